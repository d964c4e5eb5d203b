/* notify.h - what happens to reports and jobs, told to those who want to
 * hear it. A domain change records an event and fans it out into outbox
 * messages IN ITS OWN TRANSACTION (mp_notify_emit), so that nothing is sent
 * for a change that rolled back and nothing is lost when the process dies
 * after the commit; the sender (outbox.h) delivers them later.
 *
 * Fan-out goes through a table of recipient kinds (notify.c): each kind
 * reads the event and queues messages for its recipients, naming the
 * renderer (outbox.c) and the transport. Reporters are the first kind
 * (notify_reporters.c): a confirmation of their report, a mail on each
 * change that matters, for every report of the job ("me too" reporters
 * included). Area alerts, departments and webhooks are further kinds.
 *
 * The reporters' own actions without an account also live here: stopping
 * mail (one report, or an address for good), and "my reports" through a
 * one-time sign-in link mailed to the address.
 *
 * Privacy: addresses never go into events, logs or public answers; the stop
 * list holds only their SHA-256.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_NOTIFY_H
#define MELDPUNT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/ctx.h"
#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"

/* Event types (the CloudEvents type suffixes of webhooks). */
#define MP_EVENT_REPORT_CREATED "report.created"         /* a live report, new or "me too" */
#define MP_EVENT_STATUS_CHANGED "cluster.status_changed" /* with the public note, if any */
#define MP_EVENT_MERGED "cluster.merged"                 /* a job folded into another */
#define MP_EVENT_MOVED "report.moved"                    /* a report put in another job */

/* The channel of mail messages. */
#define MP_CHANNEL_MAIL "mail"

/* What a new report is and where, as its caller stored it: spares the
 * fan-outs a read of the row just written (the writer's path). */
struct mp_notify_where {
    const char *category;
    const char *district; /* NULL or "" outside every district */
    double lon, lat;
};

struct mp_notify_event {
    const char *type;
    int64_t cluster_id, report_id, at;
    /* cluster.status_changed */
    const char *from, *to;
    const char *note; /* the public note, or NULL */
    /* report.created */
    bool joined;    /* it joined an existing job */
    int64_t sub_id; /* the reporter's active subscription (0: none) */
    const struct mp_notify_where *where; /* borrowed, or NULL: read the report */
    /* cluster.merged (from_cluster into to_cluster), report.moved */
    int64_t from_cluster, to_cluster;
};

/* Record ev (with a new unique event id) and fan it out to every recipient
 * kind, in the caller's open write transaction. *event_id (may be NULL)
 * receives its id. MP_EDB/MP_EUNAVAIL from the store; the caller rolls back. */
enum mp_status mp_notify_emit(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                              int64_t *event_id) MP_WUR;

/* A live report was stored (in the caller's transaction): subscribe its
 * reporter when an address came with it (lang: the reporter's languages,
 * "" for the pack's default), then emit report.created. where (borrowed,
 * may be NULL) is the stored report's category, district and place. */
enum mp_status mp_notify_report_created(struct mp_ctx *ctx, int64_t report_id, int64_t cluster_id,
                                        bool joined, const char *email, const char *lang,
                                        int64_t at, const struct mp_notify_where *where) MP_WUR;

/* ---- the recipient kinds of notify.c's table (a file each) ---- */

/* Reporters (notify_reporters.c): the confirmation of a report with an
 * active subscription; for a status change that matters to citizens (the
 * status table's mail flag) or that carries a public note, one mail to each
 * address subscribed to a report of the job. */
enum mp_status mp_notify_reporters_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                          int64_t event_id) MP_WUR;
/* Area alerts (alerts.c, alerts.h): a new job (not a "me too" report)
 * queues alert mail, or digest items, for the confirmed alerts whose area
 * holds it. */
enum mp_status mp_alerts_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                int64_t event_id) MP_WUR;
/* Departments (deptmail.c, deptmail.h): a new job routed to a department
 * with mail queues its mail, or an item of its morning digest. */
enum mp_status mp_deptmail_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                  int64_t event_id) MP_WUR;
/* Webhooks (webhook.c): a delivery to each registered receiver that wants
 * the event's type (or, for a change with a public note,
 * cluster.public_note). */
enum mp_status mp_webhook_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                 int64_t event_id) MP_WUR;

/* ---- addresses and languages ---- */

/* The address as stored and compared: trimmed, lower case. false when it is
 * not a plausible address (or does not fit cap). */
bool mp_notify_address_norm(const char *in, char *out, size_t cap);
/* Hex SHA-256 of a normalised address (MP_TOKEN_HASH_LEN bytes). */
void mp_notify_address_hash(const char *norm, char out[MP_TOKEN_HASH_LEN]);
/* The languages of an Accept-Language header, best first, as a comma list
 * of primary tags ("nl,en"; at most 4) into out; "" for none. */
void mp_notify_lang_from_header(const char *accept, char *out, size_t cap);

/* ---- the reporters' own actions (each its own transaction) ---- */

/* What a stop did. */
enum mp_notify_stopped {
    MP_NOTIFY_STOPPED_REPORT = 1, /* mail about one report */
    MP_NOTIFY_STOPPED_ADDRESS,    /* all mail to the address */
    MP_NOTIFY_STOPPED_ALERT,      /* one area alert (alerts.h) */
};

/* Stop mail with the token of an unsubscribe link ("unsub": the report's
 * subscription; "stop": the address; "alert_unsub": an area alert, whose
 * id then comes in *report_id). Repeatable until the token expires.
 * Errors: MP_EAUTH "invalid_token" / "expired_token"; MP_EUNAVAIL. */
enum mp_status mp_notify_unsubscribe(struct mp_ctx *ctx, const char *token,
                                     enum mp_notify_stopped *what, int64_t *report_id,
                                     struct mp_error *err) MP_WUR;

/* Mail a one-time sign-in link for "my reports" to email, if any report
 * carries it (lang for the mail). Answers alike either way, so that nobody
 * learns whether an address reported. MP_EINVAL "invalid_field" for a bad
 * address. */
enum mp_status mp_notify_signin_request(struct mp_ctx *ctx, const char *email, const char *lang,
                                        struct mp_error *err) MP_WUR;

/* Trade a sign-in token (once) for a session token (into session, cap >=
 * MP_TOKEN_LEN) valid until *expires_at. MP_EAUTH "invalid_token",
 * "expired_token", "used_token". */
enum mp_status mp_notify_session_open(struct mp_ctx *ctx, const char *signin_token, char *session,
                                      size_t cap, int64_t *expires_at, struct mp_error *err) MP_WUR;

/* Every report made with the session's address, newest first. */
enum mp_status mp_notify_mine(struct mp_ctx *ctx, const char *session, mp_notify_mine_cb cb,
                              void *arg, struct mp_error *err) MP_WUR;

/* With a session: stop mail about report_id (one of the address's), or with
 * report_id 0 all mail to the address. MP_ENOTFOUND "not_found" for a
 * report of another address. */
enum mp_status mp_notify_mine_stop(struct mp_ctx *ctx, const char *session, int64_t report_id,
                                   struct mp_error *err) MP_WUR;

/* Token lifetimes in seconds (README "Reporters' mail"). */
#define MP_NOTIFY_UNSUB_TTL (400 * 86400) /* unsubscribe links: mails get old */
#define MP_NOTIFY_SIGNIN_TTL (30 * 60)    /* the sign-in link of "my reports" */
#define MP_NOTIFY_SESSION_TTL (60 * 60)   /* the session it opens */
#define MP_NOTIFY_KTO_TTL (60 * 86400)    /* the satisfaction links */
#define MP_NOTIFY_KTO_FORM_TTL (2 * 3600) /* the details form after a click */

#endif
