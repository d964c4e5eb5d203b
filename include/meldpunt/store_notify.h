/* store_notify.h - persistence of the outbox: events, the messages they fan
 * out to, reporters' subscriptions and the stop list, one-time tokens and
 * satisfaction answers (see notify.h, outbox.h, kto.h). Same threading and
 * ownership rules as store.h: a session is used by one thread at a time;
 * rows handed to callbacks are borrowed for the callback.
 *
 * Writes run in the caller's transaction: an event, its messages and the
 * change that caused them commit or roll back together.
 */
#ifndef MELDPUNT_STORE_NOTIFY_H
#define MELDPUNT_STORE_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* ---- events ---- */

/* Insert an event with a new random uid; *id receives its id. */
enum mp_status mp_store_notify_event_add(struct mp_store_sess *s,
                                         const struct mp_notify_event_rec *e, int64_t *id) MP_WUR;
/* The event id; MP_ENOTFOUND. */
enum mp_status mp_store_notify_event_get(struct mp_store_sess *s, int64_t id, mp_notify_event_cb cb,
                                         void *ctx) MP_WUR;

/* ---- subscriptions and the stop list ---- */

/* Subscribe the reporter of report_id (one subscription a report). The
 * subscription starts stopped when email_hash is on the stop list; *active
 * says which. *id receives its id. MP_ECONFLICT when the report has one. */
enum mp_status mp_store_notify_sub_add(struct mp_store_sess *s, int64_t report_id,
                                       const char *email, const char *email_hash, const char *lang,
                                       int64_t at, int64_t *id, bool *active) MP_WUR;
/* Subscription id; MP_ENOTFOUND. */
enum mp_status mp_store_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                       void *ctx) MP_WUR;
/* The subscription of report_id; MP_ENOTFOUND. */
enum mp_status mp_store_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                             mp_notify_sub_cb cb, void *ctx) MP_WUR;
/* Stop one subscription at `at` (a stopped one stays as it was). */
enum mp_status mp_store_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at) MP_WUR;
/* Put email_hash on the stop list and stop every subscription of it. */
enum mp_status mp_store_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                            int64_t at) MP_WUR;
/* Whether email_hash is on the stop list. */
enum mp_status mp_store_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                               bool *stopped) MP_WUR;
/* Whether any report carries this contact address, compared without case:
 * email is the domain's key (mp_notify_address_norm: ASCII, lower case) and a
 * stored address matches when it equals it with A-Z folded to a-z; no other
 * character folds, on either engine (a look-alike such as the Kelvin sign
 * for K must not sign in as someone else). */
enum mp_status mp_store_notify_address_known(struct mp_store_sess *s, const char *email,
                                             bool *known) MP_WUR;
/* Every report carrying this contact address (without case, as above), newest first,
 * with whether mail about it is on. */
enum mp_status mp_store_notify_mine(struct mp_store_sess *s, const char *email,
                                    mp_notify_mine_cb cb, void *ctx) MP_WUR;

/* ---- the outbox ---- */

/* Queue one message (state queued, a new random msg_key). With a dedup key
 * already present nothing is added and *id is 0. id may be NULL. */
enum mp_status mp_store_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                   int64_t *id) MP_WUR;
/* Queue m once for every address with an active subscription to a report
 * of cluster_id (the lowest subscription of an address; its report, lang
 * and address), except addresses on the stop list. m's rcpt, rcpt_hash,
 * lang, sub_id, report_id and dedup are ignored; every message gets dedup
 * "kind:event_id:address hash". *n counts the messages queued; n may be
 * NULL (then PostgreSQL may send the statement ahead, mp_pg_run_later). */
enum mp_status mp_store_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                      int64_t cluster_id, int64_t *n) MP_WUR;
/* Queued messages of channel due at now and not leased, oldest first, at
 * most max. */
enum mp_status mp_store_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                   size_t max, mp_outbox_cb cb, void *ctx) MP_WUR;
/* Lease message id to the caller until `until`: no other sender takes it. */
enum mp_status mp_store_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until) MP_WUR;
/* Drop every lease (a sender starting: whoever held them is gone). */
enum mp_status mp_store_outbox_release_all(struct mp_store_sess *s) MP_WUR;
/* The outcome of an attempt: state, the next attempt's time (queued),
 * sent_at (sent), the error (NULL to clear); attempted counts the attempt.
 * The lease ends. */
enum mp_status mp_store_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                      bool attempted, int64_t next_at, int64_t sent_at,
                                      const char *error) MP_WUR;
/* Messages sent to rcpt_hash at or after since: their number and the
 * oldest one's time (0 when none). */
enum mp_status mp_store_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                          int64_t since, int64_t *n, int64_t *oldest) MP_WUR;
/* Messages in state (NULL: all), newest first, with ids below before (0:
 * from the newest), at most limit. */
enum mp_status mp_store_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                    size_t limit, mp_outbox_cb cb, void *ctx) MP_WUR;
/* Message id; MP_ENOTFOUND. */
enum mp_status mp_store_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb,
                                   void *ctx) MP_WUR;
/* Queue message id (0: every failed message) again, due at now: *n counts
 * them. A sent or queued message is left as it is. */
enum mp_status mp_store_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now,
                                     int64_t *n) MP_WUR;
/* How many messages are in each state: cb(ctx, state, n) per state. */
enum mp_status mp_store_outbox_counts(struct mp_store_sess *s,
                                      int (*cb)(void *ctx, const char *state, int64_t n),
                                      void *ctx) MP_WUR;

/* ---- follow-ups ---- */

/* Queue m (dedup "kind:sub:fixed_at") for every active subscription of a
 * report of category whose cluster is in one of statuses (n of them) and
 * was fixed in [fixed_from, fixed_to], where the reporter reported before
 * the fix and has not answered the satisfaction check for that fix. m's
 * rcpt, sub_id, report_id, cluster_id and dedup are filled per message.
 * *added counts the new ones. */
enum mp_status mp_store_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                         const char *category, const char *const *statuses,
                                         size_t n, int64_t fixed_from, int64_t fixed_to,
                                         int64_t *added) MP_WUR;

/* ---- tokens ---- */

enum mp_status mp_store_notify_token_add(struct mp_store_sess *s,
                                         const struct mp_notify_token_rec *t) MP_WUR;
/* The token whose hash is hash; MP_ENOTFOUND. */
enum mp_status mp_store_notify_token_get(struct mp_store_sess *s, const char *hash,
                                         mp_notify_token_cb cb, void *ctx) MP_WUR;
/* Mark a token used at `at`: MP_ECONFLICT when it already was. */
enum mp_status mp_store_notify_token_use(struct mp_store_sess *s, const char *hash,
                                         int64_t at) MP_WUR;
/* Delete tokens that expired before now; *n counts them (may be NULL). */
enum mp_status mp_store_notify_tokens_prune(struct mp_store_sess *s, int64_t now,
                                            int64_t *n) MP_WUR;

/* ---- satisfaction answers ---- */

/* Record an answer; MP_ECONFLICT when the subscription answered for this
 * fix already. *id receives its id. */
enum mp_status mp_store_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k,
                                int64_t *id) MP_WUR;
/* Add the details to answer id: reasons (JSON array) and text (each may be
 * NULL), a processed photo (may be NULL). */
enum mp_status mp_store_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                   const char *text, const struct mp_photo_rec *photo,
                                   int64_t at) MP_WUR;
enum mp_status mp_store_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb,
                                void *ctx) MP_WUR;
/* Whether subscription sub_id answered for the fix at fixed_at. */
enum mp_status mp_store_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                     bool *answered) MP_WUR;
/* The answers about one cluster, oldest first. */
enum mp_status mp_store_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                        void *ctx) MP_WUR;
/* The answer's photo (or its thumbnail): NEW allocation in *data (free()).
 * MP_ENOTFOUND when it has none. */
enum mp_status mp_store_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                                  size_t *len) MP_WUR;

#endif
