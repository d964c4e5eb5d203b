/* notify_model.h - the records of the outbox and of the reporters' side of
 * it (subscriptions, one-time tokens, satisfaction answers), as the store
 * (store_notify.h) and the modules above it (notify.h, outbox.h, kto.h)
 * hand them to each other. Types only.
 *
 * Rows handed to callbacks hold BORROWED strings, valid only during the
 * callback; records passed in are read during the call only.
 */
#ifndef MELDPUNT_NOTIFY_MODEL_H
#define MELDPUNT_NOTIFY_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_EMAIL_MAX 255  /* an address (RFC 5321 allows 254) + NUL */
#define MP_LANG_MAX 24    /* "nl,en,de": languages in the reporter's order + NUL */
#define MP_MSG_KEY_MAX 40 /* the random local part of a Message-ID (32 hex) + NUL */

/* Outbox states: queued (waiting, perhaps for its next attempt), sent,
 * failed (given up: a permanent refusal or too long; `outbox retry` queues
 * it again) and skipped (moot when its turn came: the reporter answered or
 * stopped mail, the report was anonymised). */
#define MP_OUTBOX_QUEUED "queued"
#define MP_OUTBOX_SENT "sent"
#define MP_OUTBOX_FAILED "failed"
#define MP_OUTBOX_SKIPPED "skipped"

/* Something that happened which others may want to hear of: what the
 * outbox fans out. data is JSON without any address in it. */
struct mp_notify_event_rec {
    const char *type; /* "report.created", "cluster.status_changed", ... (notify.h) */
    int64_t cluster_id, report_id, at;
    const char *data;
};

struct mp_notify_event_row {
    int64_t id, cluster_id, report_id, at;
    const char *uid; /* stable and unique: the event id receivers de-duplicate on */
    const char *type, *data;
};
typedef int (*mp_notify_event_cb)(void *ctx, const struct mp_notify_event_row *e);

/* One message to one recipient. kind names its renderer (outbox.c's table),
 * channel its transport ("mail"). */
struct mp_outbox_rec {
    const char *kind, *channel;
    const char *rcpt;      /* the address; NULL once anonymised */
    const char *rcpt_hash; /* mp_notify_address_hash of it: rate limit, stop list */
    const char *lang;
    const char *dedup; /* NULL, or a key that admits one message (a second is ignored) */
    int64_t event_id, sub_id, report_id, cluster_id; /* 0 when none */
    int64_t created_at, next_at;
};

struct mp_outbox_row {
    int64_t id, event_id, sub_id, report_id, cluster_id;
    int64_t attempts, created_at, next_at, sent_at;
    const char *kind, *channel, *rcpt, *rcpt_hash, *lang;
    const char *msg_key; /* stable across attempts: the Message-ID */
    const char *state, *last_error;
    const char *event_uid; /* NULL for messages no change caused (sign-in, follow-up) */
};
typedef int (*mp_outbox_cb)(void *ctx, const struct mp_outbox_row *r);

/* A reporter's subscription to the updates of their report's job. */
struct mp_notify_sub_row {
    int64_t id, report_id, created_at, stopped_at; /* stopped_at 0: active */
    const char *email, *email_hash, *lang;
};
typedef int (*mp_notify_sub_cb)(void *ctx, const struct mp_notify_sub_row *s);

/* A one-time (or, for unsubscribing and sessions, repeatable) token behind
 * a link: only its hash is stored. ref is what the purpose needs: the fix
 * (fixed_at) a satisfaction link asks about, the answer a details form
 * completes. email only for sign-in and session tokens (short-lived). */
struct mp_notify_token_rec {
    const char *hash, *purpose, *rcpt_hash, *email;
    int64_t sub_id, report_id, cluster_id, ref;
    int64_t created_at, expires_at;
};

struct mp_notify_token_row {
    const char *hash, *purpose, *rcpt_hash, *email;
    int64_t sub_id, report_id, cluster_id, ref;
    int64_t created_at, expires_at, used_at;
};
typedef int (*mp_notify_token_cb)(void *ctx, const struct mp_notify_token_row *t);

/* A reporter's answer to "are you satisfied with the fix?". */
struct mp_kto_rec {
    int64_t sub_id, report_id, cluster_id, fixed_at, at;
    bool satisfied;
};

struct mp_kto_row {
    int64_t id, sub_id, report_id, cluster_id, fixed_at, created_at, detailed_at;
    bool satisfied, has_photo;
    const char *reasons; /* JSON array of reason codes, or NULL */
    const char *text;    /* free text, or NULL */
};
typedef int (*mp_kto_cb)(void *ctx, const struct mp_kto_row *k);

/* One of a reporter's reports, as "my reports" lists them. */
struct mp_notify_mine_row {
    int64_t report_id, cluster_id, created_at, updated_at;
    const char *category, *status, *location, *address;
    bool subscribed; /* mail about it is on */
};
typedef int (*mp_notify_mine_cb)(void *ctx, const struct mp_notify_mine_row *r);

/* A webhook: a receiver of events (webhook.h). */
struct mp_webhook_row {
    int64_t id, created_at;
    const char *url, *secret;
    const char *events; /* comma list of event types */
    bool contacts;      /* reporters' contact details go into the bodies */
};
typedef int (*mp_webhook_cb)(void *ctx, const struct mp_webhook_row *w);

/* A reporter's contact details (NULLs once anonymised). */
struct mp_webhook_contact {
    const char *name, *email, *phone;
};
typedef int (*mp_webhook_contact_cb)(void *ctx, const struct mp_webhook_contact *c);

#endif
