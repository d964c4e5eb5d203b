/* store_work.c - the store parts of store_work.h (crew work on a
 * cluster: state, notes, photos),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_work.h"

#include "store_engine.h"

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
