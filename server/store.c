/* store.c - the store's public interface (store.h, store_auth.h,
 * store_export.h, store_open311.h, store_stats.h, store_work.h) as calls
 * through the engine table of store_engine.h: the engine is chosen once, by
 * the location mp_store_open is given, and every session and cursor carries
 * it in its head. The SQL lives in the engines' files. */
#include "meldpunt/store.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/store_alerts.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_export.h"
#include "meldpunt/store_merge.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/store_webhooks.h"
#include "meldpunt/store_open311.h"
#include "meldpunt/store_stats.h"
#include "meldpunt/store_work.h"
#include "store_engine.h"

/* The engine entry op of x (a store, session or cursor), or the answer for
 * an operation the engine does not have yet. */
#define FORWARD(x, op, ...)                                                                        \
    ((x)->eng->op ? (x)->eng->op(__VA_ARGS__) : mp_store_unsupported((x)->eng, #op))

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

/* pgwrite: finer write locks where the engine has them. */
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

/* ---- store_auth.h ---- */

enum mp_status mp_store_user_add(struct mp_store_sess *s, const char *name, const char *role,
                                 const char *department, const char *token_hash, int64_t *id)
{
    return FORWARD(s, user_add, s, name, role, department, token_hash, id);
}

enum mp_status mp_store_user_by_token(struct mp_store_sess *s, const char *token_hash,
                                      mp_user_cb cb, void *ctx)
{
    return FORWARD(s, user_by_token, s, token_hash, cb, ctx);
}

enum mp_status mp_store_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                     void *ctx)
{
    return FORWARD(s, user_by_name, s, name, cb, ctx);
}

enum mp_status mp_store_user_set_token(struct mp_store_sess *s, const char *name,
                                       const char *token_hash)
{
    return FORWARD(s, user_set_token, s, name, token_hash);
}

enum mp_status mp_store_user_set_disabled(struct mp_store_sess *s, const char *name, bool disabled)
{
    return FORWARD(s, user_set_disabled, s, name, disabled);
}

enum mp_status mp_store_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx)
{
    return FORWARD(s, users, s, cb, ctx);
}

/* tenancy: an account's municipalities (store_auth.h) */
enum mp_status mp_store_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                                const struct mp_scope_set *set)
{
    return FORWARD(s, user_set_municipalities, s, name, set);
}

enum mp_status mp_store_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a)
{
    return FORWARD(s, audit_add, s, a);
}

enum mp_status mp_store_audit_for(struct mp_store_sess *s, const char *object_type,
                                  int64_t object_id, mp_audit_cb cb, void *ctx)
{
    return FORWARD(s, audit_for, s, object_type, object_id, cb, ctx);
}

/* ---- store_export.h ---- */

enum mp_status mp_store_export_open_path(const char *location, enum mp_export_what what,
                                         const struct mp_query *q, struct mp_export_cursor **out,
                                         struct mp_error *err)
{
    const struct mp_store_engine *e = mp_store_engine_for(location);
    *out = NULL;
    if (!e->export_open_path)
        return mp_store_unsupported_fail(e, "export_open_path", err,
                                         "exports are not available on this database engine yet");
    return e->export_open_path(location, what, q, out, err);
}

enum mp_status mp_store_export_open(struct mp_store_sess *s, enum mp_export_what what,
                                    const struct mp_query *q, struct mp_export_cursor **out,
                                    struct mp_error *err)
{
    *out = NULL;
    if (!s->eng->export_open)
        return mp_store_unsupported_fail(s->eng, "export_open", err,
                                         "exports are not available on this database engine yet");
    return s->eng->export_open(s, what, q, out, err);
}

enum mp_status mp_store_export_next(struct mp_export_cursor *c, const struct mp_export_row **row)
{
    *row = NULL;
    return FORWARD(c, export_next, c, row);
}

void mp_store_export_close(struct mp_export_cursor *c)
{
    if (c)
        c->eng->export_close(c);
}

enum mp_status mp_store_export_count(struct mp_store_sess *s, enum mp_export_what what,
                                     const struct mp_query *q, int64_t *n)
{
    *n = 0;
    return FORWARD(s, export_count, s, what, q, n);
}

enum mp_status mp_store_export_time_extent(struct mp_store_sess *s, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    return FORWARD(s, export_time_extent, s, first, last);
}

/* ---- store_open311.h ---- */

enum mp_status mp_store_open311_put(struct mp_store_sess *s, const struct mp_open311_extra *x)
{
    return FORWARD(s, open311_put, s, x);
}

enum mp_status mp_store_open311_update_find(struct mp_store_sess *s, int64_t client_id,
                                            const char *client_update_id, int64_t *history_id,
                                            int64_t *report_id)
{
    return FORWARD(s, open311_update_find, s, client_id, client_update_id, history_id, report_id);
}

enum mp_status mp_store_open311_note_add(struct mp_store_sess *s,
                                         const struct mp_open311_note_rec *rec, int64_t *history_id)
{
    return FORWARD(s, open311_note_add, s, rec, history_id);
}

enum mp_status mp_store_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                         mp_open311_cb cb, void *ctx)
{
    return FORWARD(s, open311_requests, s, q, cb, ctx);
}

enum mp_status mp_store_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                        void *ctx)
{
    return FORWARD(s, open311_request, s, id, cb, ctx);
}

enum mp_status mp_store_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                        size_t limit, size_t offset, mp_open311_update_cb cb,
                                        void *ctx)
{
    return FORWARD(s, open311_updates, s, since, until, limit, offset, cb, ctx);
}

/* ---- store_stats.h ---- */

enum mp_status mp_store_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                      const char *category, const char *district, mp_stats_cb cb,
                                      void *ctx)
{
    return FORWARD(s, stats_reports, s, from, to, category, district, cb, ctx);
}

/* ---- store_work.h ---- */

enum mp_status mp_store_work_get(struct mp_store_sess *s, int64_t cluster_id,
                                 struct mp_work_assignment *out)
{
    return FORWARD(s, work_get, s, cluster_id, out);
}

enum mp_status mp_store_work_set(struct mp_store_sess *s, int64_t cluster_id,
                                 const struct mp_work_assignment *a, int64_t now)
{
    return FORWARD(s, work_set, s, cluster_id, a, now);
}

enum mp_status mp_store_work_list(struct mp_store_sess *s, const struct mp_work_query *q,
                                  mp_work_cb cb, void *ctx)
{
    return FORWARD(s, work_list, s, q, cb, ctx);
}

enum mp_status mp_store_work_note_add(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                      const char *status, const char *note, const char *actor)
{
    return FORWARD(s, work_note_add, s, cluster_id, at, status, note, actor);
}

enum mp_status mp_store_work_notes(struct mp_store_sess *s, int64_t cluster_id, mp_work_note_cb cb,
                                   void *ctx)
{
    return FORWARD(s, work_notes, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_work_photo_put(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                       const char *status, const char *actor,
                                       const struct mp_photo_rec *p, int64_t *id)
{
    return FORWARD(s, work_photo_put, s, cluster_id, at, status, actor, p, id);
}

enum mp_status mp_store_work_photo_get(struct mp_store_sess *s, int64_t photo_id, bool thumb,
                                       void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    return FORWARD(s, work_photo_get, s, photo_id, thumb, data, len);
}

enum mp_status mp_store_work_photos(struct mp_store_sess *s, int64_t cluster_id,
                                    mp_work_photo_cb cb, void *ctx)
{
    return FORWARD(s, work_photos, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_work_cluster_merged(struct mp_store_sess *s, int64_t from, int64_t to)
{
    return FORWARD(s, work_cluster_merged, s, from, to);
}

enum mp_status mp_store_work_photo_cluster(struct mp_store_sess *s, int64_t photo_id,
                                           int64_t *cluster_id)
{
    return FORWARD(s, work_photo_cluster, s, photo_id, cluster_id);
}

enum mp_status mp_store_merge_add(struct mp_store_sess *s, const struct mp_merge_rec *m,
                                  int64_t *id)
{
    return FORWARD(s, merge_add, s, m, id);
}

enum mp_status mp_store_merge_note_rows(struct mp_store_sess *s, int64_t id, int64_t from)
{
    return FORWARD(s, merge_note_rows, s, id, from);
}

enum mp_status mp_store_merge_entry_add(struct mp_store_sess *s, int64_t id,
                                        enum mp_merge_entry which, const struct mp_history_rec *h)
{
    return FORWARD(s, merge_entry_add, s, id, which, h);
}

enum mp_status mp_store_merge_get(struct mp_store_sess *s, int64_t id, struct mp_merge_row *out)
{
    return FORWARD(s, merge_get, s, id, out);
}

enum mp_status mp_store_merge_strays(struct mp_store_sess *s, int64_t id, int64_t into, int64_t *n,
                                     int64_t *report, int64_t *now_in)
{
    return FORWARD(s, merge_strays, s, id, into, n, report, now_in);
}

enum mp_status mp_store_merge_restore(struct mp_store_sess *s, int64_t id, int64_t from,
                                      const char *status, int64_t at, const char *actor)
{
    return FORWARD(s, merge_restore, s, id, from, status, at, actor);
}

enum mp_status mp_store_merges_in_history(struct mp_store_sess *s, int64_t cluster, mp_merge_cb cb,
                                          void *ctx)
{
    return FORWARD(s, merges_in_history, s, cluster, cb, ctx);
}

enum mp_status mp_store_merges_of_report(struct mp_store_sess *s, int64_t report, mp_merge_cb cb,
                                         void *ctx)
{
    return FORWARD(s, merges_of_report, s, report, cb, ctx);
}

enum mp_status mp_store_merge_moved_in(struct mp_store_sess *s, int64_t cluster,
                                       mp_merge_moved_cb cb, void *ctx)
{
    return FORWARD(s, merge_moved_in, s, cluster, cb, ctx);
}

enum mp_status mp_store_notify_event_add(struct mp_store_sess *s,
                                         const struct mp_notify_event_rec *e, int64_t *id)
{
    return FORWARD(s, notify_event_add, s, e, id);
}

enum mp_status mp_store_notify_event_get(struct mp_store_sess *s, int64_t id, mp_notify_event_cb cb,
                                         void *ctx)
{
    return FORWARD(s, notify_event_get, s, id, cb, ctx);
}

enum mp_status mp_store_notify_sub_add(struct mp_store_sess *s, int64_t report_id,
                                       const char *email, const char *email_hash, const char *lang,
                                       int64_t at, int64_t *id, bool *active)
{
    return FORWARD(s, notify_sub_add, s, report_id, email, email_hash, lang, at, id, active);
}

enum mp_status mp_store_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                       void *ctx)
{
    return FORWARD(s, notify_sub_get, s, id, cb, ctx);
}

enum mp_status mp_store_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                             mp_notify_sub_cb cb, void *ctx)
{
    return FORWARD(s, notify_sub_by_report, s, report_id, cb, ctx);
}

enum mp_status mp_store_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return FORWARD(s, notify_sub_stop, s, id, at);
}

enum mp_status mp_store_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                            int64_t at)
{
    return FORWARD(s, notify_stop_address, s, email_hash, at);
}

enum mp_status mp_store_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                               bool *stopped)
{
    return FORWARD(s, notify_address_stopped, s, email_hash, stopped);
}

enum mp_status mp_store_notify_address_known(struct mp_store_sess *s, const char *email,
                                             bool *known)
{
    return FORWARD(s, notify_address_known, s, email, known);
}

enum mp_status mp_store_notify_mine(struct mp_store_sess *s, const char *email,
                                    mp_notify_mine_cb cb, void *ctx)
{
    return FORWARD(s, notify_mine, s, email, cb, ctx);
}

enum mp_status mp_store_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                   int64_t *id)
{
    return FORWARD(s, outbox_add, s, m, id);
}

enum mp_status mp_store_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                      int64_t cluster_id, int64_t *n)
{
    return FORWARD(s, outbox_fanout, s, m, cluster_id, n);
}

enum mp_status mp_store_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                   size_t max, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_due, s, channel, now, max, cb, ctx);
}

enum mp_status mp_store_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until)
{
    return FORWARD(s, outbox_lease, s, id, until);
}

enum mp_status mp_store_outbox_release_all(struct mp_store_sess *s)
{
    return FORWARD(s, outbox_release_all, s);
}

enum mp_status mp_store_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                      bool attempted, int64_t next_at, int64_t sent_at,
                                      const char *error)
{
    return FORWARD(s, outbox_finish, s, id, state, attempted, next_at, sent_at, error);
}

enum mp_status mp_store_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                          int64_t since, int64_t *n, int64_t *oldest)
{
    return FORWARD(s, outbox_sent_since, s, rcpt_hash, since, n, oldest);
}

enum mp_status mp_store_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                    size_t limit, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_list, s, state, before, limit, cb, ctx);
}

enum mp_status mp_store_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_get, s, id, cb, ctx);
}

enum mp_status mp_store_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now, int64_t *n)
{
    return FORWARD(s, outbox_retry, s, id, now, n);
}

enum mp_status mp_store_outbox_counts(struct mp_store_sess *s,
                                      int (*cb)(void *ctx, const char *state, int64_t n), void *ctx)
{
    return FORWARD(s, outbox_counts, s, cb, ctx);
}

enum mp_status mp_store_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                         const char *category, const char *const *statuses,
                                         size_t n, int64_t fixed_from, int64_t fixed_to,
                                         int64_t *added)
{
    return FORWARD(s, notify_followups, s, m, category, statuses, n, fixed_from, fixed_to, added);
}

enum mp_status mp_store_notify_token_add(struct mp_store_sess *s,
                                         const struct mp_notify_token_rec *t)
{
    return FORWARD(s, notify_token_add, s, t);
}

enum mp_status mp_store_notify_token_get(struct mp_store_sess *s, const char *hash,
                                         mp_notify_token_cb cb, void *ctx)
{
    return FORWARD(s, notify_token_get, s, hash, cb, ctx);
}

enum mp_status mp_store_notify_token_use(struct mp_store_sess *s, const char *hash, int64_t at)
{
    return FORWARD(s, notify_token_use, s, hash, at);
}

enum mp_status mp_store_notify_tokens_prune(struct mp_store_sess *s, int64_t now, int64_t *n)
{
    return FORWARD(s, notify_tokens_prune, s, now, n);
}

enum mp_status mp_store_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k, int64_t *id)
{
    return FORWARD(s, kto_add, s, k, id);
}

enum mp_status mp_store_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                   const char *text, const struct mp_photo_rec *photo, int64_t at)
{
    return FORWARD(s, kto_detail, s, id, reasons, text, photo, at);
}

enum mp_status mp_store_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb, void *ctx)
{
    return FORWARD(s, kto_get, s, id, cb, ctx);
}

enum mp_status mp_store_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                     bool *answered)
{
    return FORWARD(s, kto_answered, s, sub_id, fixed_at, answered);
}

enum mp_status mp_store_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                        void *ctx)
{
    return FORWARD(s, kto_for_cluster, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                                  size_t *len)
{
    return FORWARD(s, kto_photo, s, id, thumb, data, len);
}

enum mp_status mp_store_webhook_add(struct mp_store_sess *s, const char *url, const char *secret,
                                    const char *events, bool contacts, int64_t at, int64_t *id)
{
    return FORWARD(s, webhook_add, s, url, secret, events, contacts, at, id);
}

enum mp_status mp_store_webhook_list(struct mp_store_sess *s, mp_webhook_cb cb, void *ctx)
{
    return FORWARD(s, webhook_list, s, cb, ctx);
}

enum mp_status mp_store_webhook_get(struct mp_store_sess *s, int64_t id, mp_webhook_cb cb,
                                    void *ctx)
{
    return FORWARD(s, webhook_get, s, id, cb, ctx);
}

enum mp_status mp_store_webhook_delete(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return FORWARD(s, webhook_delete, s, id, at);
}

enum mp_status mp_store_webhook_fanout(struct mp_store_sess *s, int64_t event_id, const char *type,
                                       bool note, int64_t report_id, int64_t cluster_id, int64_t at,
                                       int64_t *n)
{
    return FORWARD(s, webhook_fanout, s, event_id, type, note, report_id, cluster_id, at, n);
}

enum mp_status mp_store_webhook_deliveries(struct mp_store_sess *s, int64_t id, const char *state,
                                           size_t limit, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, webhook_deliveries, s, id, state, limit, cb, ctx);
}

enum mp_status mp_store_webhook_contact(struct mp_store_sess *s, int64_t report_id,
                                        mp_webhook_contact_cb cb, void *ctx)
{
    return FORWARD(s, webhook_contact, s, report_id, cb, ctx);
}

enum mp_status mp_store_end(struct mp_store_sess *s, enum mp_status rc, struct mp_error *err)
{
    if (rc) {
        mp_store_rollback(s);
        return rc;
    }
    return mp_store_commit(s, err);
}

/* ---- store_alerts.h ---- */

enum mp_status mp_store_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a, int64_t *id)
{
    return FORWARD(s, alert_add, s, a, id);
}

enum mp_status mp_store_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb, void *ctx)
{
    return FORWARD(s, alert_get, s, id, cb, ctx);
}

enum mp_status mp_store_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at, int64_t next_digest_at)
{
    return FORWARD(s, alert_confirm, s, id, at, next_digest_at);
}

enum mp_status mp_store_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return FORWARD(s, alert_stop, s, id, at);
}

enum mp_status mp_store_alerts_match(struct mp_store_sess *s, const char *category, const char *district, double lon, double lat, mp_alert_cb cb, void *ctx)
{
    return FORWARD(s, alerts_match, s, category, district, lon, lat, cb, ctx);
}

enum mp_status mp_store_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb, void *ctx)
{
    return FORWARD(s, alerts_digest_due, s, now, cb, ctx);
}

enum mp_status mp_store_alert_digest_next(struct mp_store_sess *s, int64_t id, int64_t next)
{
    return FORWARD(s, alert_digest_next, s, id, next);
}

enum mp_status mp_store_digest_item_add(struct mp_store_sess *s, const struct mp_digest_item_rec *it, bool *added)
{
    return FORWARD(s, digest_item_add, s, it, added);
}

enum mp_status mp_store_digest_pending(struct mp_store_sess *s, int64_t alert_id, const char *department, int64_t *n)
{
    return FORWARD(s, digest_pending, s, alert_id, department, n);
}

enum mp_status mp_store_digest_take(struct mp_store_sess *s, int64_t alert_id, const char *department, int64_t outbox_id, int64_t *n)
{
    return FORWARD(s, digest_take, s, alert_id, department, outbox_id, n);
}

enum mp_status mp_store_digest_items(struct mp_store_sess *s, int64_t outbox_id, mp_digest_item_cb cb, void *ctx)
{
    return FORWARD(s, digest_items, s, outbox_id, cb, ctx);
}

enum mp_status mp_store_dept_schedule_get(struct mp_store_sess *s, const char *department, int64_t *next)
{
    return FORWARD(s, dept_schedule_get, s, department, next);
}

enum mp_status mp_store_dept_schedule_set(struct mp_store_sess *s, const char *department, int64_t next)
{
    return FORWARD(s, dept_schedule_set, s, department, next);
}

/* ---- regionfaces: re-keying old rows ---- */

enum mp_status mp_store_set_municipality(struct mp_store_sess *s, bool cluster, int64_t id,
                                         const char *municipality)
{
    return FORWARD(s, set_municipality, s, cluster, id, municipality);
}

/* ---- store_copy.h: whole tables for copy-store (copystore) ---- */

enum mp_status mp_store_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t,
                                   int64_t *n)
{
    return FORWARD(s, copy_count, s, t, n);
}

enum mp_status mp_store_copy_rows(struct mp_store_sess *s, const struct mp_copy_table *t,
                                  mp_copy_row_cb cb, void *ctx)
{
    return FORWARD(s, copy_rows, s, t, cb, ctx);
}

enum mp_status mp_store_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                    const struct mp_copy_value *row)
{
    return FORWARD(s, copy_insert, s, t, row);
}

enum mp_status mp_store_copy_flush(struct mp_store_sess *s)
{
    return FORWARD(s, copy_flush, s);
}

enum mp_status mp_store_copy_check(struct mp_store_sess *s, const struct mp_copy_table *t,
                                   char *unknown, size_t cap)
{
    return FORWARD(s, copy_check, s, t, unknown, cap);
}

enum mp_status mp_store_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t)
{
    return FORWARD(s, copy_clear, s, t);
}

enum mp_status mp_store_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     int64_t *hw)
{
    return FORWARD(s, copy_seq_get, s, t, hw);
}

enum mp_status mp_store_copy_seq_set(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     int64_t hw)
{
    return FORWARD(s, copy_seq_set, s, t, hw);
}
