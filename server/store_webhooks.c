/* store_webhooks.c - the store parts of store_webhooks.h (webhooks and
 * their deliveries),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_webhooks.h"

#include "store_engine.h"

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
