/* store_merge.c - the store parts of store_merge.h (staff merges of
 * clusters and their undo),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_merge.h"

#include "store_engine.h"

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
