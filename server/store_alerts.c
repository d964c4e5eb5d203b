/* store_alerts.c - the store parts of store_alerts.h (alert subscriptions,
 * their digest items, departments' digest schedules),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_alerts.h"

#include "store_engine.h"

enum mp_status mp_store_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a,
                                  int64_t *id)
{
    return FORWARD(s, alert_add, s, a, id);
}

enum mp_status mp_store_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb, void *ctx)
{
    return FORWARD(s, alert_get, s, id, cb, ctx);
}

enum mp_status mp_store_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at,
                                      int64_t next_digest_at)
{
    return FORWARD(s, alert_confirm, s, id, at, next_digest_at);
}

enum mp_status mp_store_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return FORWARD(s, alert_stop, s, id, at);
}

enum mp_status mp_store_alerts_match(struct mp_store_sess *s, const char *category,
                                     const char *district, double lon, double lat, mp_alert_cb cb,
                                     void *ctx)
{
    return FORWARD(s, alerts_match, s, category, district, lon, lat, cb, ctx);
}

enum mp_status mp_store_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb,
                                          void *ctx)
{
    return FORWARD(s, alerts_digest_due, s, now, cb, ctx);
}

enum mp_status mp_store_alert_digest_next(struct mp_store_sess *s, int64_t id, int64_t next)
{
    return FORWARD(s, alert_digest_next, s, id, next);
}

enum mp_status mp_store_digest_item_add(struct mp_store_sess *s,
                                        const struct mp_digest_item_rec *it, bool *added)
{
    return FORWARD(s, digest_item_add, s, it, added);
}

enum mp_status mp_store_digest_pending(struct mp_store_sess *s, int64_t alert_id,
                                       const char *department, int64_t *n)
{
    return FORWARD(s, digest_pending, s, alert_id, department, n);
}

enum mp_status mp_store_digest_take(struct mp_store_sess *s, int64_t alert_id,
                                    const char *department, int64_t outbox_id, int64_t *n)
{
    return FORWARD(s, digest_take, s, alert_id, department, outbox_id, n);
}

enum mp_status mp_store_digest_items(struct mp_store_sess *s, int64_t outbox_id,
                                     mp_digest_item_cb cb, void *ctx)
{
    return FORWARD(s, digest_items, s, outbox_id, cb, ctx);
}

enum mp_status mp_store_dept_schedule_get(struct mp_store_sess *s, const char *department,
                                          int64_t *next)
{
    return FORWARD(s, dept_schedule_get, s, department, next);
}

enum mp_status mp_store_dept_schedule_set(struct mp_store_sess *s, const char *department,
                                          int64_t next)
{
    return FORWARD(s, dept_schedule_set, s, department, next);
}
