/* report.h - a citizen's report: validation of what came in (from any
 * channel: JSON API, forms, Open311, imports) and submission through the
 * duplicate-folding path in one transaction.
 *
 * Thread-safety: functions use only the struct mp_ctx they are given.
 */
#ifndef MELDPUNT_REPORT_H
#define MELDPUNT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/cluster.h"
#include "meldpunt/ctx.h"
#include "meldpunt/status.h"
#include "meldpunt/model.h"
#include "meldpunt/region.h"

#define MP_DESCRIPTION_MAX 2000 /* characters (code points) */
#define MP_ADDRESS_MAX 200
#define MP_CONTACT_MAX 200
#define MP_NOT_SAME_MAX 16

struct mp_report_input {
    char category[48];
    double lon, lat;
    bool has_lon, has_lat;
    char *description; /* owned (all char * below): NULL when absent */
    char *address;
    char channel[16];  /* "" means the channel's default, "web" */
    char *contact_name, *contact_email, *contact_phone;
    char lang[24];     /* the reporter's languages for mail, best first ("nl,en"; "": the pack's) */
    int64_t same_as;   /* 0 when absent */
    int64_t not_same_as[MP_NOT_SAME_MAX];
    size_t n_not_same;
    /* Set by trusted callers only (imports, staff), never from public input: */
    int64_t created_at;  /* 0 = now */
    char *external_id;
    bool quiet;          /* a replay of another system's reports: no event, no mail (notify.h) */
    /* Borrowed: a processed photo stored with the report in one transaction. */
    const struct mp_photo_rec *photo;
};

/* Free the owned strings; the struct can be reused after memset. */
void mp_report_input_clear(struct mp_report_input *in);

/* Whether c is a known intake channel (web, phone, email, counter, open311). */
bool mp_report_channel_valid(const char *c);

/* Check everything that does not need the database: required fields, ranges,
 * lengths, UTF-8, category known, point inside the service area, contact
 * formats. err carries a code such as "missing_field", "out_of_range",
 * "out_of_area", "unknown_category", "too_long", "invalid_field". */
enum mp_status mp_report_validate(const struct mp_city *city, const struct mp_report_input *in,
                                  struct mp_error *err) MP_WUR;

/* mp_report_validate against the municipality the pin routes to (region.h;
 * ctx->region NULL = against ctx->city): "out_of_area" names the nearest
 * members when the pin is outside every one; "unknown_category" when the
 * member does not take the category. *member (may be NULL) gets the member
 * (borrowed from the region). */
enum mp_status mp_report_check(struct mp_ctx *ctx, const struct mp_report_input *in,
                               const struct mp_city **member, struct mp_error *err) MP_WUR;

struct mp_submit_result {
    int64_t report_id, cluster_id, cluster_count, created_at;
    bool joined;
    char status[MP_STATUS_MAXLEN];
    char district[32];
    char location[128];
    struct mp_join_reason why;
    /* Region packs (ctx->region): the municipality the pin went to
     * (borrowed from the region), the other members whose border lies within
     * the category's radius or the region's neighbour_m, nearest first, and
     * the nearest open job of the same category in one of them within the
     * radius (0 = none), which the history of both jobs now records. */
    const struct mp_city *member;
    struct mp_route_near near[MP_ROUTE_MAX_NEAR];
    size_t nnear;
    int64_t neighbour_job;
    const struct mp_city *neighbour_job_of;
    double neighbour_job_m;
};

/* Validate, fold into a cluster and store. With own_tx the call runs its own
 * write transaction and returns only after it committed (durable); without,
 * the caller holds a write transaction (imports, group commit). Unless
 * in->quiet, the report's event and the reporter's subscription and
 * confirmation (when a contact address came with it) go into the outbox in
 * the same transaction (notify.h). */
enum mp_status mp_report_submit(struct mp_ctx *ctx, const struct mp_report_input *in, bool own_tx,
                                struct mp_submit_result *out, struct mp_error *err) MP_WUR;

/* The place (store.h) whose clusters mp_report_submit of in
 * would read and write, for a writer that locks places, not the database.
 * false when it may touch clusters elsewhere (same_as, a neighbour
 * municipality's job) or in is not valid: then lock the database. */
struct mp_store_place;
bool mp_report_place(struct mp_ctx *ctx, const struct mp_report_input *in,
                     struct mp_store_place *place);

/* The clustering view of a report at metric (x, y), time t: its street from
 * the address (else the nearest street), the house number the address gives
 * (probe->addr: usable only when it agrees with the pin - placed within
 * 300 m of it, or where the pack cannot place numbers, on a street within
 * 150 m), into probe (streets borrowed from the city's street layer), and
 * its readable location into location (where the number lies, when placed). */
void mp_report_probe(struct mp_ctx *ctx, const char *address, double x, double y, int64_t t,
                     struct mp_cluster_probe *probe, char *location, size_t cap);

/* How far the rules of cat look around a report in this pack
 * (mp_cluster_reach with the street layer's metres per house number). */
double mp_report_reach(const struct mp_ctx *ctx, const struct mp_category *cat);

/* The address span of a stored cluster: its reports' usable house numbers
 * (as mp_report_probe reads one report's), oldest first, into *out (street
 * borrowed from the street layer). For the rules of a live insert, and for
 * any caller that shows what a report would join (GET /api/v1/nearby). */
enum mp_status mp_report_cluster_addr(struct mp_ctx *ctx, int64_t cluster_id,
                                      struct mp_cluster_addr *out) MP_WUR;

/* Set a cluster's status (and so all its reports'), with a history entry.
 * MP_EINVAL for an unknown status. Runs inside the caller's transaction. */
enum mp_status mp_report_cluster_set_status(struct mp_ctx *ctx, int64_t cluster_id,
                                            const char *status, int64_t at, const char *note,
                                            const char *actor, struct mp_error *err) MP_WUR;

/* ---- reading: what the public API shows of reports ----
 * Rows handed to callbacks are borrowed for the call; a callback returning
 * non-zero stops the walk (that is not an error). */

/* The reports matching q (public fields), in id order. */
enum mp_status mp_report_list(struct mp_ctx *ctx, const struct mp_query *q, mp_report_cb cb,
                              void *arg) MP_WUR;

/* One report (public fields) and the history of its cluster: the history
 * entries first, oldest first, to history, then the report to report, so
 * that an encoder can nest the history in the report it writes last.
 * MP_ENOTFOUND "not_found" for an unknown id; "unavailable" when the report
 * or the history cannot be read. */
enum mp_status mp_report_view(struct mp_ctx *ctx, int64_t id, mp_history_cb history,
                              mp_report_cb report, void *arg, struct mp_error *err) MP_WUR;

/* A report's photo (its thumbnail with thumb) as a new buffer in *data (the
 * caller frees it) of *len bytes. MP_ENOTFOUND when it has none. */
enum mp_status mp_report_photo(struct mp_ctx *ctx, int64_t id, bool thumb, void **data,
                               size_t *len) MP_WUR;

/* A number that changes whenever a report or a cluster changes, whichever
 * process changed it: the validator of cached answers. */
enum mp_status mp_report_data_version(struct mp_ctx *ctx, int64_t *version) MP_WUR;

/* The citizen's duplicate hint: the clusters near a point, and the one a
 * report there would join. */
#define MP_NEARBY_MAX 64
struct mp_nearby_item {
    const struct mp_cluster_state *cluster; /* borrowed from the struct mp_nearby */
    double distance_m;
    bool matches;     /* the category's rules would accept a report here */
    bool would_join;  /* the cluster a report here joins */
    bool same_street; /* on the street of the point */
};
struct mp_nearby {
    struct mp_cluster_state *cand; /* owned: free with mp_report_nearby_free */
    struct mp_nearby_item items[MP_NEARBY_MAX]; /* nearest first */
    size_t n;
    int64_t would_join;            /* cluster id; 0 when a report there starts its own */
    struct mp_cluster_probe probe; /* probe.street borrowed from the city's street layer */
    char location[128];            /* readable location of the point, "" when none */
    /* The category whose rule decided (borrowed from the pack): cat, or in a
     * region the pin's municipality's own version of it. */
    const struct mp_category *cat;
};

/* Fill out for a report of cat at (lon, lat), with the address typed so far
 * (may be NULL): the open clusters of the category within three times its
 * radius (at least 150 m), nearest first, plus the one a report would join
 * even when it is resolved. "out_of_range" when the point cannot be
 * projected, "unavailable" when the store does not answer. out needs
 * mp_report_nearby_free whatever the result. */
enum mp_status mp_report_nearby(struct mp_ctx *ctx, const struct mp_category *cat, double lon,
                                double lat, const char *address, struct mp_nearby *out,
                                struct mp_error *err) MP_WUR;
void mp_report_nearby_free(struct mp_nearby *n);

#endif
