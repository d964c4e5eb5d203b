/* notify_token.h - the tokens behind the links of reporters' mail:
 * unsubscribing, the satisfaction check, signing in to "my reports". Each
 * is 256 random bits (mp_auth_new_token); only its SHA-256 is stored, and
 * the stored hash is compared with the computed one in constant time. A
 * token has one purpose, an expiry and, for most purposes, one use.
 *
 * Thread-safety: functions use only the context they are given; they run
 * in the caller's transaction.
 */
#ifndef MELDPUNT_NOTIFY_TOKEN_H
#define MELDPUNT_NOTIFY_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/ctx.h"
#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"

#define MP_TOKEN_UNSUB "unsub"       /* stop mail about one report (repeatable) */
#define MP_TOKEN_STOP "stop"         /* stop all mail to an address (repeatable) */
#define MP_TOKEN_KTO "kto"           /* answer the satisfaction check (once) */
#define MP_TOKEN_KTO_FORM "kto_form" /* add reasons, text, photo to that answer (once) */
#define MP_TOKEN_SIGNIN "signin"     /* open a "my reports" session (once) */
#define MP_TOKEN_SESSION "session"   /* read "my reports" (repeatable, short) */
#define MP_TOKEN_ALERT_CONFIRM "alert_confirm" /* confirm an area alert (once; alerts.h) */
#define MP_TOKEN_ALERT_UNSUB "alert_unsub"     /* stop one area alert (repeatable) */

/* A checked token: copies of its stored fields. */
struct mp_notify_token {
    char hash[MP_TOKEN_HASH_LEN];
    char purpose[16];
    char rcpt_hash[MP_TOKEN_HASH_LEN];
    char email[MP_EMAIL_MAX];
    int64_t sub_id, report_id, cluster_id, ref;
    int64_t expires_at, used_at;
};

/* A new token of t's purpose and links (t->hash, created_at and expires_at
 * are filled here), valid for ttl seconds from now: the raw token into
 * token (cap >= MP_TOKEN_LEN), only its hash into the store. */
enum mp_status mp_notify_token_mint(struct mp_ctx *ctx, const struct mp_notify_token_rec *t,
                                    int64_t ttl, char *token, size_t cap) MP_WUR;

/* Look token up: one of the purposes (NULL-terminated list), not expired,
 * and when once, not used. Errors (MP_EAUTH): "invalid_token" (unknown,
 * malformed or of another purpose), "expired_token", "used_token";
 * MP_EUNAVAIL "unavailable". */
enum mp_status mp_notify_token_check(struct mp_ctx *ctx, const char *token,
                                     const char *const *purposes, bool once,
                                     struct mp_notify_token *out, struct mp_error *err) MP_WUR;

/* Use a checked one-time token: MP_EAUTH "used_token" when another request
 * used it first (the transaction's lock decides). */
enum mp_status mp_notify_token_use(struct mp_ctx *ctx, const struct mp_notify_token *t,
                                   struct mp_error *err) MP_WUR;

#endif
