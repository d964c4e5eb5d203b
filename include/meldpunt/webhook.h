/* webhook.h - back offices hear what happens without polling (issue 16
 * point 4). An admin registers a receiver: a URL, a secret and the event
 * types it wants (the table in webhook.c: report.created,
 * cluster.status_changed, cluster.merged, report.moved, and
 * cluster.public_note for a status change that carries a public note).
 *
 * Each event is queued for every receiver that wants it in the transaction
 * of the change (mp_webhook_fanout, a recipient kind of notify.h: outbox
 * rows of channel "webhook"); the outbox's sender thread delivers them with
 * mp_webhook_round: an HTTP POST of a CloudEvents 1.0 structured JSON body
 * (application/cloudevents+json; "id" is the event's stable uid, for
 * receivers to drop repeats), signed with HMAC-SHA256 over
 * "<timestamp>.<body>" in the header
 *   Meldpunt-Signature: t=<unix seconds>,v1=<hex>
 * At least once: a 2xx marks it delivered; anything else is retried with a
 * doubling delay (retry_s, up to 4 hours) until give_up_s (48 hours by
 * default) after it was queued, then it fails, stays visible
 * (mp_webhook_deliveries) and can be sent again (mp_webhook_resend).
 *
 * Privacy: bodies carry no reporter's contact details unless the receiver
 * was registered with contacts = true; secrets are never shown again.
 *
 * Threads: functions use only the context they are given.
 */
#ifndef MELDPUNT_WEBHOOK_H
#define MELDPUNT_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/ctx.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_model.h"

#define MP_CHANNEL_WEBHOOK "webhook"
#define MP_WEBHOOK_URL_MAX 512
#define MP_WEBHOOK_SECRET_MIN 16
#define MP_WEBHOOK_SECRET_MAX 128
#define MP_WEBHOOK_EVENTS_MAX 160 /* the comma list, with room for every type */

/* Whether s names an event type a receiver may ask for. */
bool mp_webhook_type_valid(const char *s);
/* The types, comma-separated, for error texts. */
const char *mp_webhook_types(void);
/* The types as a table of *n. */
const char *const *mp_webhook_type_list(size_t *n);

/* Register a receiver (its own transaction). url: http(s)://, at most
 * MP_WEBHOOK_URL_MAX-1 bytes; secret: 16-128 printable ASCII characters;
 * types: n >= 1 known types (repeats ignored). *id receives its id.
 * MP_EINVAL "invalid_field" with the reason. */
enum mp_status mp_webhook_add(struct mp_ctx *ctx, const char *url, const char *secret,
                              const char *const *types, size_t n, bool contacts, int64_t *id,
                              struct mp_error *err) MP_WUR;
/* The active receivers (secrets included: callers must not show them). */
enum mp_status mp_webhook_list(struct mp_ctx *ctx, mp_webhook_cb cb, void *arg,
                               struct mp_error *err) MP_WUR;
/* Retire receiver id. MP_ENOTFOUND "not_found". */
enum mp_status mp_webhook_delete(struct mp_ctx *ctx, int64_t id, struct mp_error *err) MP_WUR;
/* Deliveries to receiver id, newest first, in state (NULL: all; else an
 * outbox state), at most limit (1-1000). */
enum mp_status mp_webhook_deliveries(struct mp_ctx *ctx, int64_t id, const char *state,
                                     size_t limit, mp_outbox_cb cb, void *arg,
                                     struct mp_error *err) MP_WUR;
/* Queue failed delivery id again, due now. MP_ENOTFOUND "not_found" when
 * it is not a failed delivery. */
enum mp_status mp_webhook_resend(struct mp_ctx *ctx, int64_t id, struct mp_error *err) MP_WUR;

/* Hex HMAC-SHA256 of "<ts>.<body>" under secret into out (65 bytes). */
void mp_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char out[65]);
/* The CloudEvents 1.0 structured JSON of event e for receiver w into b:
 * source is the server's public URL; contact (NULL: none) only when w asks
 * for contacts. */
void mp_webhook_body(const struct mp_webhook_row *w, const struct mp_notify_event_row *e,
                     const struct mp_webhook_contact *contact, const char *source,
                     struct mp_buf *b);

struct mp_webhook_opts {
    const char *source; /* the public URL: the events' source and links */
    unsigned retry_s;   /* the first retry's delay; it doubles up to 4 hours */
    unsigned give_up_s; /* a delivery not made this long after it was queued fails */
    unsigned timeout_s; /* one POST */
    unsigned batch;     /* deliveries a round takes at most */
};

/* One round at time now on the calling thread (the outbox's sender runs it
 * after each mail round): due deliveries built, posted and marked. *done
 * counts the deliveries the round finished or rescheduled. */
enum mp_status mp_webhook_round(struct mp_ctx *ctx, const struct mp_webhook_opts *o, int64_t now,
                                size_t *done, struct mp_error *err) MP_WUR;

#endif
