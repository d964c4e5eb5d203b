/* store_notify.c - the store parts of store_notify.h (notification
 * events and subscriptions, the outbox, stop tokens, KTO answers),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_notify.h"

#include "store_engine.h"

enum mp_status mp_store_notify_event_add(struct mp_store_sess *s,
                                         const struct mp_notify_event_rec *e, int64_t *id)
{
    return FORWARD(s, notify_event_add, s, e, id);
}

enum mp_status mp_store_notify_event_get(struct mp_store_sess *s, int64_t id, mp_notify_event_cb cb,
                                         void *ctx)
{
    return FORWARD(s, notify_event_get, s, id, cb, ctx);
}

enum mp_status mp_store_notify_sub_add(struct mp_store_sess *s, int64_t report_id,
                                       const char *email, const char *email_hash, const char *lang,
                                       int64_t at, int64_t *id, bool *active)
{
    return FORWARD(s, notify_sub_add, s, report_id, email, email_hash, lang, at, id, active);
}

enum mp_status mp_store_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                       void *ctx)
{
    return FORWARD(s, notify_sub_get, s, id, cb, ctx);
}

enum mp_status mp_store_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                             mp_notify_sub_cb cb, void *ctx)
{
    return FORWARD(s, notify_sub_by_report, s, report_id, cb, ctx);
}

enum mp_status mp_store_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return FORWARD(s, notify_sub_stop, s, id, at);
}

enum mp_status mp_store_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                            int64_t at)
{
    return FORWARD(s, notify_stop_address, s, email_hash, at);
}

enum mp_status mp_store_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                               bool *stopped)
{
    return FORWARD(s, notify_address_stopped, s, email_hash, stopped);
}

enum mp_status mp_store_notify_address_known(struct mp_store_sess *s, const char *email,
                                             bool *known)
{
    return FORWARD(s, notify_address_known, s, email, known);
}

enum mp_status mp_store_notify_mine(struct mp_store_sess *s, const char *email,
                                    mp_notify_mine_cb cb, void *ctx)
{
    return FORWARD(s, notify_mine, s, email, cb, ctx);
}

enum mp_status mp_store_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                   int64_t *id)
{
    return FORWARD(s, outbox_add, s, m, id);
}

enum mp_status mp_store_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                      int64_t cluster_id, int64_t *n)
{
    return FORWARD(s, outbox_fanout, s, m, cluster_id, n);
}

enum mp_status mp_store_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                   size_t max, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_due, s, channel, now, max, cb, ctx);
}

enum mp_status mp_store_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until)
{
    return FORWARD(s, outbox_lease, s, id, until);
}

enum mp_status mp_store_outbox_release_all(struct mp_store_sess *s)
{
    return FORWARD(s, outbox_release_all, s);
}

enum mp_status mp_store_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                      bool attempted, int64_t next_at, int64_t sent_at,
                                      const char *error)
{
    return FORWARD(s, outbox_finish, s, id, state, attempted, next_at, sent_at, error);
}

enum mp_status mp_store_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                          int64_t since, int64_t *n, int64_t *oldest)
{
    return FORWARD(s, outbox_sent_since, s, rcpt_hash, since, n, oldest);
}

enum mp_status mp_store_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                    size_t limit, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_list, s, state, before, limit, cb, ctx);
}

enum mp_status mp_store_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb, void *ctx)
{
    return FORWARD(s, outbox_get, s, id, cb, ctx);
}

enum mp_status mp_store_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now, int64_t *n)
{
    return FORWARD(s, outbox_retry, s, id, now, n);
}

enum mp_status mp_store_outbox_counts(struct mp_store_sess *s,
                                      int (*cb)(void *ctx, const char *state, int64_t n), void *ctx)
{
    return FORWARD(s, outbox_counts, s, cb, ctx);
}

enum mp_status mp_store_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                         const char *category, const char *const *statuses,
                                         size_t n, int64_t fixed_from, int64_t fixed_to,
                                         int64_t *added)
{
    return FORWARD(s, notify_followups, s, m, category, statuses, n, fixed_from, fixed_to, added);
}

enum mp_status mp_store_notify_token_add(struct mp_store_sess *s,
                                         const struct mp_notify_token_rec *t)
{
    return FORWARD(s, notify_token_add, s, t);
}

enum mp_status mp_store_notify_token_get(struct mp_store_sess *s, const char *hash,
                                         mp_notify_token_cb cb, void *ctx)
{
    return FORWARD(s, notify_token_get, s, hash, cb, ctx);
}

enum mp_status mp_store_notify_token_use(struct mp_store_sess *s, const char *hash, int64_t at)
{
    return FORWARD(s, notify_token_use, s, hash, at);
}

enum mp_status mp_store_notify_tokens_prune(struct mp_store_sess *s, int64_t now, int64_t *n)
{
    return FORWARD(s, notify_tokens_prune, s, now, n);
}

enum mp_status mp_store_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k, int64_t *id)
{
    return FORWARD(s, kto_add, s, k, id);
}

enum mp_status mp_store_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                   const char *text, const struct mp_photo_rec *photo, int64_t at)
{
    return FORWARD(s, kto_detail, s, id, reasons, text, photo, at);
}

enum mp_status mp_store_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb, void *ctx)
{
    return FORWARD(s, kto_get, s, id, cb, ctx);
}

enum mp_status mp_store_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                     bool *answered)
{
    return FORWARD(s, kto_answered, s, sub_id, fixed_at, answered);
}

enum mp_status mp_store_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                        void *ctx)
{
    return FORWARD(s, kto_for_cluster, s, cluster_id, cb, ctx);
}

enum mp_status mp_store_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                                  size_t *len)
{
    return FORWARD(s, kto_photo, s, id, thumb, data, len);
}
