/* app.h - the running application: configuration, city pack, store, worker
 * slots (each a store session plus a PROJ transformer) and static files.
 * It is the cls libmicrohttpd hands to every request.
 *
 * Threads: mp_app_acquire/release are thread-safe; everything else is
 * read-only after mp_app_open.
 */
#ifndef MELDPUNT_APP_H
#define MELDPUNT_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/config.h"
#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

struct mp_static_file {
    char url[128];
    char *data;   /* owned */
    size_t len;
    const char *mime; /* static string */
    char etag[32];
};

struct mp_slot {
    struct mp_ctx ctx;
    struct mp_slot *next_free;
};

struct mp_app {
    const struct mp_config *cfg; /* borrowed: outlives the app */
    struct mp_region *region; /* owned: the pack (a city pack is a region of one) */
    struct mp_city *city;     /* borrowed: region->whole */
    struct mp_tz *tz;
    struct mp_streets *streets;
    struct mp_ingest *ingest;  /* group-commit writer (server only), or NULL */
    struct mp_respcache *cache;/* rendered map answers (server only), or NULL */
    struct mp_respcache *gzcache; /* gzip of answers (httpcache.h; server only), or NULL */
    struct mp_slot writer;     /* the writer's own worker context */
    struct mp_store *store;
    struct mp_slot *slots; /* owned array */
    unsigned nslots;
    struct mp_slot *free_slots;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned exports_running; /* under lock: see mp_app_export_begin */
    struct mp_static_file *files; /* owned */
    size_t nfiles;
    char *config_json; /* owned: the body of GET /api/v1/config */
    size_t config_json_len;
    /* The city pack's mail words (mail_pack.h): set by `serve` after opening,
     * borrowed (it outlives the app's requests); NULL elsewhere. */
    const struct mp_mail_pack *mail;
    /* owned: GET /api/v1/config?municipality= of each member, indexed as
     * region->members (the page /m/{slug}) */
    struct {
        char *json;
        size_t len;
    } *member_config;
    struct mp_metrics *metrics; /* owned, or NULL: set by the server before it
                                   listens (main.c), freed by mp_app_close */
    /* owned: the pack's automation rules, read again only when the file
     * changes (automation_cache.h); every worker context points at it */
    struct mp_automation_cache *rules;
    uint64_t etag_salt; /* changes with the build and the configuration the
                           answers show: part of every versioned ETag (etag.h) */
};

/* Open everything cfg names. server = true loads web files and starts the
 * group-commit writer (with a worker context of its own), and leaves one
 * store session free for the outbox sender (outbox.h) to acquire.
 * New app in *out (mp_app_close). */
enum mp_status mp_app_open(const struct mp_config *cfg, unsigned nslots, bool server,
                           struct mp_app **out, struct mp_error *err) MP_WUR;
void mp_app_close(struct mp_app *app);

/* Borrow a worker context (blocks until one is free) and give it back. */
struct mp_ctx *mp_app_acquire(struct mp_app *app);
void mp_app_release(struct mp_app *app, struct mp_ctx *ctx);

/* Count a whole export as streaming: false when cfg->max_exports already
 * are. Each export holds a database connection and a core for its whole
 * length (its reads are short batches, so it holds no snapshot between
 * them); a bound keeps a burst of downloads from crowding out the map.
 * Thread-safe. */
bool mp_app_export_begin(struct mp_app *app);
void mp_app_export_end(struct mp_app *app);

/* Borrowed static file for an exact URL path, or NULL. */
const struct mp_static_file *mp_app_static(const struct mp_app *app, const char *url);

#endif
