/* store.c - the store's dispatcher and store.h's own operations as calls
 * through the engine table of store_engine.h: the engine is chosen once, by
 * the location mp_store_open is given, and every session and cursor carries
 * it in its head. The other public store headers have a forwarding file
 * each (store_<header>.c, and store_maint.c for maint.h); the SQL lives in
 * the engines' files. */
#include "meldpunt/store.h"

#include <stdio.h>
#include <string.h>

#include "store_engine.h"

enum mp_status mp_store_unsupported(const struct mp_store_engine *e, const char *op)
{
    fprintf(stderr, "meldpunt: store: %s: %s is not implemented\n", e->name, op);
    return MP_EUNSUPPORTED;
}

enum mp_status mp_store_unsupported_fail(const struct mp_store_engine *e, const char *op,
                                         struct mp_error *err, const char *text)
{
    enum mp_status st = mp_store_unsupported(e, op);
    return mp_fail(err, st, "not_implemented", "%s", text);
}

bool mp_store_location_is_url(const char *location)
{
    return strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0;
}

const struct mp_store_engine *mp_store_engine_for(const char *location)
{
    return mp_store_location_is_url(location) ? &mp_pg_engine : &mp_sqlite_engine;
}

/* Appends ", name" (or the first name) to buf while it fits; a list cut
 * short ends in "...". */
static void append_name(char *buf, size_t cap, size_t *used, const char *name)
{
    if (!cap || *used + 1 >= cap)
        return;
    const char *sep = *used ? ", " : "";
    size_t ls = strlen(sep), ln = strlen(name);
    if (*used + ls + ln >= cap) {
        buf[*used] = '\0';
        if (cap - *used > 4)
            memcpy(buf + *used, "...", 4);
        *used = cap; /* full: nothing more goes in */
        return;
    }
    memcpy(buf + *used, sep, ls);
    memcpy(buf + *used + ls, name, ln + 1);
    *used += ls + ln;
}

/* The table's size is that of its name and of the members the two lists
 * name: a member missing from MP_STORE_ENGINE_OPS breaks the build here. */
#define MEMBER_SIZE(op) +sizeof(((const struct mp_store_engine *)0)->op)
_Static_assert(sizeof(struct mp_store_engine) == sizeof(const char *) MEMBER_SIZE(acquired)
                                                     MEMBER_SIZE(memory_used) MEMBER_SIZE(changes)
                                                         MEMBER_SIZE(begin_write_places)
                                                         MEMBER_SIZE(tx_conflict)
                                                         MP_STORE_ENGINE_OPS(MEMBER_SIZE),
               "MP_STORE_ENGINE_OPS names every operation of struct mp_store_engine");
#undef MEMBER_SIZE

size_t mp_store_missing_ops(const char *location, char *buf, size_t cap)
{
    const struct mp_store_engine *e = mp_store_engine_for(location);
    size_t n = 0, used = 0;
    if (cap)
        buf[0] = '\0';
#define MISSING(op)                                                                                \
    if (!e->op) {                                                                                  \
        n++;                                                                                       \
        append_name(buf, cap, &used, #op);                                                         \
    }
    MP_STORE_ENGINE_OPS(MISSING)
#undef MISSING
    return n;
}

void mp_store_opts_default(struct mp_store_opts *o)
{
    o->pool_size = 4;
    o->busy_ms = 10000;
    o->sync_full = true;
    o->readonly = false;
    o->bg_checkpoint = false;
    o->schema_version = 0;
}

/* ---- the store and its sessions ---- */

enum mp_status mp_store_open(const char *location, const struct mp_store_opts *opts,
                             struct mp_store **out, struct mp_error *err)
{
    const struct mp_store_engine *e = mp_store_engine_for(location);
    *out = NULL;
    return e->open(location, opts, out, err);
}

void mp_store_close(struct mp_store *s)
{
    if (s)
        s->eng->close(s);
}

/* ---- the pool of sessions, the same for every engine ---- */

void mp_store_pool_init(struct mp_store *s, const struct mp_store_engine *e)
{
    s->eng = e;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->free_list = NULL;
}

void mp_store_pool_put(struct mp_store *s, struct mp_store_sess *sess)
{
    pthread_mutex_lock(&s->lock);
    sess->next_free = s->free_list;
    s->free_list = sess;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void mp_store_pool_destroy(struct mp_store *s)
{
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

struct mp_store_sess *mp_store_acquire(struct mp_store *s)
{
    pthread_mutex_lock(&s->lock);
    while (!s->free_list)
        pthread_cond_wait(&s->cond, &s->lock);
    struct mp_store_sess *sess = s->free_list;
    s->free_list = sess->next_free;
    pthread_mutex_unlock(&s->lock);
    if (s->eng->acquired)
        s->eng->acquired(sess);
    return sess;
}

void mp_store_release(struct mp_store *s, struct mp_store_sess *sess)
{
    if (!sess)
        return;
    s->eng->released(sess);
    mp_store_pool_put(s, sess);
}

int mp_store_schema_version(struct mp_store_sess *s) { return s->eng->schema_version(s); }

int64_t mp_store_memory_used(struct mp_store_sess *s)
{
    return s->eng->memory_used ? s->eng->memory_used(s) : 0;
}

/* ---- transactions ---- */

enum mp_status mp_store_begin_write(struct mp_store_sess *s, struct mp_error *err)
{
    return s->eng->begin_write(s, err);
}

/* Finer write locks where the engine has them. */
bool mp_store_locks_places(const struct mp_store_sess *s)
{
    return s->eng->begin_write_places != NULL;
}

enum mp_status mp_store_begin_write_places(struct mp_store_sess *s,
                                           const struct mp_store_place *places, size_t n,
                                           struct mp_error *err)
{
    return s->eng->begin_write_places ? s->eng->begin_write_places(s, places, n, err)
                                      : s->eng->begin_write(s, err);
}

bool mp_store_tx_conflict(struct mp_store_sess *s)
{
    return s->eng->tx_conflict && s->eng->tx_conflict(s);
}

enum mp_status mp_store_begin_read(struct mp_store_sess *s) { return s->eng->begin_read(s); }

enum mp_status mp_store_commit(struct mp_store_sess *s, struct mp_error *err)
{
    return s->eng->commit(s, err);
}

void mp_store_rollback(struct mp_store_sess *s) { s->eng->rollback(s); }

enum mp_status mp_store_savepoint(struct mp_store_sess *s) { return s->eng->savepoint(s); }

enum mp_status mp_store_savepoint_release(struct mp_store_sess *s)
{
    return s->eng->savepoint_release(s);
}

void mp_store_savepoint_undo(struct mp_store_sess *s) { s->eng->savepoint_undo(s); }

enum mp_status mp_store_end(struct mp_store_sess *s, enum mp_status rc, struct mp_error *err)
{
    if (rc) {
        mp_store_rollback(s);
        return rc;
    }
    return mp_store_commit(s, err);
}

int64_t mp_store_changes(struct mp_store_sess *s)
{
    return s->eng->changes ? s->eng->changes(s) : -1;
}

enum mp_status mp_store_defer_foreign_keys(struct mp_store_sess *s)
{
    return FORWARD(s, defer_foreign_keys, s);
}

/* ---- clusters ---- */

enum mp_status mp_store_cluster_candidates(struct mp_store_sess *s, const char *municipality,
                                           const char *category, double x, double y, double r,
                                           int64_t t, int64_t window,
                                           struct mp_cluster_state *out, size_t cap, size_t *n)
{
    *n = 0;
    return FORWARD(s, cluster_candidates, s, municipality, category, x, y, r, t, window, out, cap,
                   n);
}

enum mp_status mp_store_cluster_state(struct mp_store_sess *s, int64_t id,
                                      struct mp_cluster_state *out)
{
    return FORWARD(s, cluster_state, s, id, out);
}

enum mp_status mp_store_cluster_create(struct mp_store_sess *s, const struct mp_cluster_state *st,
                                       int64_t *id)
{
    return FORWARD(s, cluster_create, s, st, id);
}

enum mp_status mp_store_cluster_update(struct mp_store_sess *s, const struct mp_cluster_state *st)
{
    return FORWARD(s, cluster_update, s, st);
}

enum mp_status mp_store_cluster_set_status(struct mp_store_sess *s, int64_t id, const char *status,
                                           int64_t fixed_at, int64_t now)
{
    return FORWARD(s, cluster_set_status, s, id, status, fixed_at, now);
}

/* ---- corrections and re-clustering ---- */

enum mp_status mp_store_cluster_members(struct mp_store_sess *s, int64_t cluster_id,
                                        struct mp_member_stats *out)
{
    return FORWARD(s, cluster_members, s, cluster_id, out);
}

enum mp_status mp_store_reports_move_all(struct mp_store_sess *s, int64_t from, int64_t to,
                                         const char *status)
{
    return FORWARD(s, reports_move_all, s, from, to, status);
}

enum mp_status mp_store_report_set_cluster(struct mp_store_sess *s, int64_t report_id,
                                           int64_t cluster_id, const char *status,
                                           const char *join_reason)
{
    return FORWARD(s, report_set_cluster, s, report_id, cluster_id, status, join_reason);
}

enum mp_status mp_store_cluster_delete(struct mp_store_sess *s, int64_t id, int64_t heir)
{
    return FORWARD(s, cluster_delete, s, id, heir);
}

enum mp_status mp_store_correction_add(struct mp_store_sess *s, const struct mp_correction_rec *c)
{
    return FORWARD(s, correction_add, s, c);
}

enum mp_status mp_store_constraint_add(struct mp_store_sess *s, int64_t a, int64_t b, bool must,
                                       int64_t at)
{
    return FORWARD(s, constraint_add, s, a, b, must, at);
}

enum mp_status mp_store_replay_reports(struct mp_store_sess *s, const char *category,
                                       mp_replay_cb cb, void *ctx)
{
    return FORWARD(s, replay_reports, s, category, cb, ctx);
}

enum mp_status mp_store_constraints(struct mp_store_sess *s, mp_constraint_cb cb, void *ctx)
{
    return FORWARD(s, constraints, s, cb, ctx);
}

enum mp_status mp_store_cluster_states_range(struct mp_store_sess *s, int64_t lo, int64_t hi,
                                             mp_state_cb cb, void *ctx)
{
    return FORWARD(s, cluster_states_range, s, lo, hi, cb, ctx);
}

enum mp_status mp_store_cluster_ids(struct mp_store_sess *s, mp_cluster_id_cb cb, void *ctx)
{
    return FORWARD(s, cluster_ids, s, cb, ctx);
}

enum mp_status mp_store_cluster_max_id(struct mp_store_sess *s, int64_t *max)
{
    *max = 0;
    return FORWARD(s, cluster_max_id, s, max);
}

enum mp_status mp_store_cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    return FORWARD(s, cluster_insert, s, c);
}

/* ---- reports, photos, history ---- */

enum mp_status mp_store_report_insert(struct mp_store_sess *s, const struct mp_report_rec *r,
                                      int64_t *id)
{
    return FORWARD(s, report_insert, s, r, id);
}

enum mp_status mp_store_report_external_exists(struct mp_store_sess *s, const char *municipality,
                                               const char *ext, bool *exists)
{
    *exists = false;
    return FORWARD(s, report_external_exists, s, municipality, ext, exists);
}

enum mp_status mp_store_photo_put(struct mp_store_sess *s, int64_t report_id,
                                  const struct mp_photo_rec *p)
{
    return FORWARD(s, photo_put, s, report_id, p);
}

enum mp_status mp_store_photo_get(struct mp_store_sess *s, int64_t report_id, bool thumb,
                                  void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    return FORWARD(s, photo_get, s, report_id, thumb, data, len);
}

enum mp_status mp_store_history_add(struct mp_store_sess *s, const struct mp_history_rec *h)
{
    return FORWARD(s, history_add, s, h);
}

/* ---- reading ---- */

enum mp_status mp_store_reports(struct mp_store_sess *s, const struct mp_query *q, mp_report_cb cb,
                                void *ctx)
{
    return FORWARD(s, reports, s, q, cb, ctx);
}

enum mp_status mp_store_clusters(struct mp_store_sess *s, const struct mp_query *q,
                                 mp_cluster_cb cb, void *ctx)
{
    return FORWARD(s, clusters, s, q, cb, ctx);
}

enum mp_status mp_store_report_get(struct mp_store_sess *s, int64_t id, bool with_private,
                                   mp_report_cb cb, void *ctx)
{
    return FORWARD(s, report_get, s, id, with_private, cb, ctx);
}

enum mp_status mp_store_cluster_get(struct mp_store_sess *s, int64_t id, mp_cluster_cb cb,
                                    void *ctx)
{
    return FORWARD(s, cluster_get, s, id, cb, ctx);
}

enum mp_status mp_store_cluster_reports(struct mp_store_sess *s, int64_t cluster_id,
                                        mp_report_cb cb, void *ctx)
{
    return FORWARD(s, cluster_reports, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_history(struct mp_store_sess *s, int64_t cluster_id, mp_history_cb cb,
                                void *ctx)
{
    return FORWARD(s, history, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_cluster_grid(struct mp_store_sess *s, const struct mp_query *q,
                                     double cell_deg, mp_grid_cb cb, void *ctx)
{
    return FORWARD(s, cluster_grid, s, q, cell_deg, cb, ctx);
}

enum mp_status mp_store_grid_pyramid(struct mp_store_sess *s, const struct mp_query *q, int zoom,
                                     mp_grid_cb cb, void *ctx)
{
    return FORWARD(s, grid_pyramid, s, q, zoom, cb, ctx);
}

/* ---- figures ---- */

enum mp_status mp_store_change_counter(struct mp_store_sess *s, int64_t *n)
{
    *n = -1;
    return FORWARD(s, change_counter, s, n);
}

enum mp_status mp_store_counts(struct mp_store_sess *s, int64_t *reports, int64_t *clusters)
{
    return FORWARD(s, counts, s, reports, clusters);
}

enum mp_status mp_store_sync_mode(struct mp_store_sess *s, int *mode)
{
    *mode = -1;
    return FORWARD(s, sync_mode, s, mode);
}

enum mp_status mp_store_status_counts(struct mp_store_sess *s, bool clusters,
                                      mp_store_status_count_cb cb, void *ctx)
{
    return FORWARD(s, status_counts, s, clusters, cb, ctx);
}

enum mp_status mp_store_size_bytes(struct mp_store_sess *s, int64_t *bytes)
{
    *bytes = -1;
    return FORWARD(s, size_bytes, s, bytes);
}

/* ---- regionfaces: re-keying old rows ---- */

enum mp_status mp_store_set_municipality(struct mp_store_sess *s, bool cluster, int64_t id,
                                         const char *municipality)
{
    return FORWARD(s, set_municipality, s, cluster, id, municipality);
}
