/* outbox.h - delivering what notify.h queued. A sender thread (started by
 * `meldpunt serve`) takes the messages that are due, renders each when it
 * goes out (the table of kinds in outbox.c: kind -> renderer and channel)
 * and hands it to its channel's transport (mail: SMTP, mail_smtp.h).
 *
 * Delivery is at least once: a message is marked sent only after the relay
 * took it, so a crash in between sends it again after the restart, with the
 * same Message-ID (and event id) for the receiver to drop the repeat. A
 * refused or failed attempt is retried with a doubling delay (from
 * retry_s up to an hour) until give_up_s after the message was queued; a
 * permanent refusal (5xx) fails it at once. Each address gets at most
 * rate_per_hour mails an hour; more wait. Without a transport (no
 * MELDPUNT_SMTP_URL) mail stays queued. Failed messages stay visible and
 * can be queued again (mp_outbox_retry; `meldpunt outbox retry`).
 *
 * One sender per database: a starting sender takes over the leases of
 * messages a crashed one was sending.
 *
 * Threads: mp_outbox_start/stop/kick from any thread; the sender (and the
 * webhook worker) use the context each was given alone. The reading functions use the caller's.
 */
#ifndef MELDPUNT_OUTBOX_H
#define MELDPUNT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/config.h"
#include "meldpunt/ctx.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"

struct mp_outbox_opts {
    const char *smtp_url;   /* "" or NULL: mail stays queued */
    bool smtp_plain;        /* smtp:// without STARTTLS (a relay on this host; tests) */
    const char *mail_from;  /* the sender's address */
    const char *public_url; /* base of the links in mail, no trailing slash */
    unsigned rate_per_hour; /* mails per address and hour; 0: no limit */
    unsigned retry_s;       /* the first retry's delay; it doubles up to an hour */
    unsigned give_up_s;     /* a message not sent this long after it was queued fails */
    unsigned batch;         /* messages a round takes at most */
    unsigned poll_ms;       /* how often an idle sender looks for due messages */
    unsigned webhook_retry_s, webhook_give_up_s; /* webhook.h's round */
    char own_url[96];       /* room for the fallback public_url (opts_from_config) */
};

/* The options of cfg (MELDPUNT_SMTP_URL, MELDPUNT_MAIL_*; the public URL
 * with the listen address as fallback, kept in o->own_url), borrowing
 * cfg's strings. */
void mp_outbox_opts_from_config(const struct mp_config *cfg, struct mp_outbox_opts *o);

struct mp_outbox;

/* Start the sender on ctx (borrowed: a context of its own, used only by
 * the sender thread) with the pack's templates (borrowed) and o (copied).
 * With hooks_ctx (borrowed, another context of its own; may be NULL) the
 * webhook deliveries get a thread of their own on it, so that a slow mail
 * relay does not delay them; without, the mail thread sends them after
 * each mail round. MP_EINVAL for an unusable SMTP URL or sender address.
 * New object in *out. */
enum mp_status mp_outbox_start(struct mp_ctx *ctx, struct mp_ctx *hooks_ctx,
                               const struct mp_mail_pack *pack, const struct mp_outbox_opts *o,
                               struct mp_outbox **out, struct mp_error *err) MP_WUR;
/* Let the current round finish, stop the thread, free. Accepts NULL. */
void mp_outbox_stop(struct mp_outbox *ob);
/* Wake the sender: something may be due. */
void mp_outbox_kick(struct mp_outbox *ob);

/* What one round did. */
struct mp_outbox_round {
    size_t sent, retried, failed, skipped, postponed;
};

/* One round at time now, on the calling thread (for tests and the bench;
 * the sender thread runs the same): due messages rendered, delivered and
 * marked, follow-ups queued. ctx is used by this call only. Without a
 * transport only follow-ups are queued. */
enum mp_status mp_outbox_round(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                               const struct mp_outbox_opts *o, int64_t now,
                               struct mp_outbox_round *r, struct mp_error *err) MP_WUR;

/* ---- what is queued (CLI `meldpunt outbox`, GET /api/v1/outbox) ---- */

/* Messages in state (NULL: all), newest first, ids below before (0: from
 * the newest), at most limit (1-1000). Rows borrowed for the callback. */
enum mp_status mp_outbox_list(struct mp_ctx *ctx, const char *state, int64_t before, size_t limit,
                              mp_outbox_cb cb, void *arg, struct mp_error *err) MP_WUR;
/* Message id; MP_ENOTFOUND "not_found". */
enum mp_status mp_outbox_get(struct mp_ctx *ctx, int64_t id, mp_outbox_cb cb, void *arg,
                             struct mp_error *err) MP_WUR;
/* Queue a failed message (id 0: every failed one) again, due now; *n
 * counts them. MP_ENOTFOUND "not_found" when id is not a failed message. */
enum mp_status mp_outbox_retry(struct mp_ctx *ctx, int64_t id, int64_t *n,
                               struct mp_error *err) MP_WUR;
/* The number of messages in each state. */
enum mp_status mp_outbox_counts(struct mp_ctx *ctx,
                                int (*cb)(void *arg, const char *state, int64_t n), void *arg,
                                struct mp_error *err) MP_WUR;
/* Whether s names an outbox state (queued, sent, failed, skipped). */
bool mp_outbox_state_valid(const char *s);
/* The address with its local part hidden ("a***@example.org") into out:
 * what listings show. */
void mp_outbox_mask(const char *addr, char *out, size_t cap);

/* meldpunt outbox [list [--state S] [--limit N] | show ID | retry ID|--failed] [--db PATH]
 * (server/cli_outbox.c). */
int mp_cli_outbox(struct mp_config *cfg, int argc, char **argv);

#endif
