/* store_webhooks.h - persistence of webhooks (webhook.h): the registered
 * receivers, and their deliveries, which are outbox rows of channel
 * "webhook" (store_notify.h: leased, finished and re-queued like mail).
 * Same threading and ownership rules as store.h; rows handed to callbacks
 * are borrowed for the callback. Writes run in the caller's transaction.
 */
#ifndef MELDPUNT_STORE_WEBHOOKS_H
#define MELDPUNT_STORE_WEBHOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* Register a receiver; *id receives its id. */
enum mp_status mp_store_webhook_add(struct mp_store_sess *s, const char *url, const char *secret,
                                    const char *events, bool contacts, int64_t at,
                                    int64_t *id) MP_WUR;
/* Every active receiver, oldest first. */
enum mp_status mp_store_webhook_list(struct mp_store_sess *s, mp_webhook_cb cb, void *ctx) MP_WUR;
/* Active receiver id; MP_ENOTFOUND. */
enum mp_status mp_store_webhook_get(struct mp_store_sess *s, int64_t id, mp_webhook_cb cb,
                                    void *ctx) MP_WUR;
/* Retire receiver id (its deliveries stay visible; queued ones fail when
 * their turn comes); MP_ENOTFOUND when there is no active one. */
enum mp_status mp_store_webhook_delete(struct mp_store_sess *s, int64_t id, int64_t at) MP_WUR;

/* Queue a delivery of event_id to every active receiver whose list names
 * type (or, with note set, "cluster.public_note"): outbox rows of channel
 * "webhook", rcpt the receiver's id, one per receiver and event. *n counts
 * them. */
enum mp_status mp_store_webhook_fanout(struct mp_store_sess *s, int64_t event_id, const char *type,
                                       bool note, int64_t report_id, int64_t cluster_id, int64_t at,
                                       int64_t *n) MP_WUR;
/* Deliveries to receiver id (retired ones too), newest first, in state
 * (NULL: all), at most limit. */
enum mp_status mp_store_webhook_deliveries(struct mp_store_sess *s, int64_t id, const char *state,
                                           size_t limit, mp_outbox_cb cb, void *ctx) MP_WUR;
/* The contact details of report_id; MP_ENOTFOUND. */
enum mp_status mp_store_webhook_contact(struct mp_store_sess *s, int64_t report_id,
                                        mp_webhook_contact_cb cb, void *ctx) MP_WUR;

#endif
