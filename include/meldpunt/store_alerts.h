/* store_alerts.h - persistence of area alerts (alerts.h) and of the
 * department digests (deptmail.h): the subscriptions, the items waiting for
 * a digest, the departments' digest schedule. Same threading and ownership
 * rules as store.h; writes run in the caller's transaction, so an item and
 * the report that caused it commit or roll back together.
 */
#ifndef MELDPUNT_STORE_ALERTS_H
#define MELDPUNT_STORE_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/alerts_model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* ---- area alerts ---- */

/* Store a new, unconfirmed alert; *id receives its id. */
enum mp_status mp_store_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a,
                                  int64_t *id) MP_WUR;
/* Alert id; MP_ENOTFOUND. */
enum mp_status mp_store_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb,
                                  void *ctx) MP_WUR;
/* Confirm alert id at `at` (a confirmed one stays as it was) with the first
 * digest not before next_digest_at. */
enum mp_status mp_store_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at,
                                      int64_t next_digest_at) MP_WUR;
/* Stop alert id at `at` (a stopped one stays as it was). */
enum mp_status mp_store_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at) MP_WUR;
/* The confirmed, active alerts with an address, of category (or of any
 * category), in district (when not NULL) or whose box holds (lon, lat):
 * the candidates for a new problem there, by id. The caller tests each
 * circle exactly. Addresses on the stop list (store_notify.h) are left
 * out, so nothing is queued for them; the renderer checks again when the
 * mail goes out (an address may stop in between). */
enum mp_status mp_store_alerts_match(struct mp_store_sess *s, const char *category,
                                     const char *district, double lon, double lat,
                                     mp_alert_cb cb, void *ctx) MP_WUR;
/* The confirmed, active daily alerts due at now (next_digest_at <= now)
 * that have items waiting, by id. */
enum mp_status mp_store_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb,
                                          void *ctx) MP_WUR;
/* Set the earliest time of alert id's next digest. */
enum mp_status mp_store_alert_digest_next(struct mp_store_sess *s, int64_t id,
                                          int64_t next) MP_WUR;

/* ---- digest items (alerts and departments) ---- */

/* Keep an item for the next digest. One item per (alert, department,
 * what, cluster, report): a second is ignored and *added is false. */
enum mp_status mp_store_digest_item_add(struct mp_store_sess *s,
                                        const struct mp_digest_item_rec *it, bool *added) MP_WUR;
/* How many items of alert_id (or, with alert_id 0, of department) wait. */
enum mp_status mp_store_digest_pending(struct mp_store_sess *s, int64_t alert_id,
                                       const char *department, int64_t *n) MP_WUR;
/* Give every waiting item of alert_id (or department) to the digest
 * message outbox_id; *n counts them. */
enum mp_status mp_store_digest_take(struct mp_store_sess *s, int64_t alert_id,
                                    const char *department, int64_t outbox_id,
                                    int64_t *n) MP_WUR;
/* The items of digest message outbox_id, oldest first. */
enum mp_status mp_store_digest_items(struct mp_store_sess *s, int64_t outbox_id,
                                     mp_digest_item_cb cb, void *ctx) MP_WUR;

/* ---- the departments' digest schedule ---- */

/* The earliest time of department's next digest; 0 when it has none yet. */
enum mp_status mp_store_dept_schedule_get(struct mp_store_sess *s, const char *department,
                                          int64_t *next) MP_WUR;
enum mp_status mp_store_dept_schedule_set(struct mp_store_sess *s, const char *department,
                                          int64_t next) MP_WUR;

#endif
