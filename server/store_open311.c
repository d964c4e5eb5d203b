/* store_open311.c - the store parts of store_open311.h (Open311 extras,
 * notes and queries),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_open311.h"

#include "store_engine.h"

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
