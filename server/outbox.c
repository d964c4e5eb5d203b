/* outbox.c - the sender: due messages rendered, delivered, marked (see
 * outbox.h), and the tables that make a new kind of message a few lines:
 * which renderer a kind has and which transport a channel. */
#include "meldpunt/outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "meldpunt/alerts.h"
#include "meldpunt/city.h"
#include "meldpunt/deptmail.h"
#include "meldpunt/kto.h"
#include "meldpunt/mail.h"
#include "meldpunt/mail_smtp.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_render.h"
#include "meldpunt/store.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "meldpunt/text.h"
#include "meldpunt/webhook.h"

#define BATCH_MAX 256
#define LEASE_S 300 /* a round finishes long before */
#define RETRY_MAX_S 3600
#define FOLLOWUP_EVERY_S 300 /* how often follow-ups, digests, overdue jobs are looked for */
#define PRUNE_EVERY_S 3600   /* how often expired tokens are deleted */

/* Every kind of message: its renderer and its channel. */
static const struct {
    const char *kind, *channel;
    mp_render_fn render;
} kinds[] = {
    {"confirm", MP_CHANNEL_MAIL, mp_render_confirm},
    {"status", MP_CHANNEL_MAIL, mp_render_status},
    {"followup", MP_CHANNEL_MAIL, mp_render_followup},
    {"signin", MP_CHANNEL_MAIL, mp_render_signin},
    {"alert_confirm", MP_CHANNEL_MAIL, mp_render_alert_confirm},
    {"alert", MP_CHANNEL_MAIL, mp_render_alert},
    {"alert_digest", MP_CHANNEL_MAIL, mp_render_alert_digest},
    {"dept_new", MP_CHANNEL_MAIL, mp_render_dept_job},
    {"dept_overdue", MP_CHANNEL_MAIL, mp_render_dept_job},
    {"dept_digest", MP_CHANNEL_MAIL, mp_render_dept_digest},
};

static const char *const states[] = {MP_OUTBOX_QUEUED, MP_OUTBOX_SENT, MP_OUTBOX_FAILED,
                                     MP_OUTBOX_SKIPPED};

bool mp_outbox_state_valid(const char *s)
{
    for (size_t i = 0; s && i < sizeof states / sizeof *states; i++)
        if (strcmp(states[i], s) == 0)
            return true;
    return false;
}

void mp_outbox_mask(const char *addr, char *out, size_t cap)
{
    const char *at = addr ? strchr(addr, '@') : NULL;
    int n = at && at != addr ? snprintf(out, cap, "%c***%s", addr[0], at)
                             : snprintf(out, cap, "%s", addr ? "***" : "");
    if (n < 0 || (size_t)n >= cap)
        snprintf(out, cap, "***");
}

static mp_render_fn renderer(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].render;
    return NULL;
}

void mp_outbox_opts_from_config(const struct mp_config *cfg, struct mp_outbox_opts *o)
{
    memset(o, 0, sizeof *o);
    o->smtp_url = cfg->smtp_url;
    o->smtp_plain = cfg->smtp_plain;
    o->mail_from = cfg->mail_from;
    if (cfg->public_url[0]) {
        o->public_url = cfg->public_url;
    } else {
        /* Without MELDPUNT_PUBLIC_URL the links point at the listen address:
         * right for a machine of one's own, wrong behind a proxy. */
        snprintf(o->own_url, sizeof o->own_url, "http://%.64s:%u", cfg->listen_host,
                 cfg->listen_port);
        o->public_url = o->own_url;
    }
    o->rate_per_hour = cfg->mail_rate;
    o->retry_s = cfg->mail_retry_s ? cfg->mail_retry_s : 30;
    o->give_up_s = 48 * 3600;
    o->batch = 64;
    o->poll_ms = 100;
    o->webhook_retry_s = cfg->webhook_retry_s;
    o->webhook_give_up_s = cfg->webhook_give_up_s;
}

/* ---- one round ---- */

/* A due message, copied out of its row, and what became of it. */
struct job {
    int64_t id, attempts, created_at;
    char kind[16], rcpt_hash[MP_TOKEN_HASH_LEN];
    struct mp_outbox_row row; /* strings point into the copies below */
    char rcpt[MP_EMAIL_MAX], lang[MP_LANG_MAX], msg_key[MP_MSG_KEY_MAX], uid[40];
    struct mp_rendered out;
    const char *state; /* the outcome; NULL: left as it was */
    bool attempted;
    int64_t next_at, sent_at;
    char error[120];
};

struct due {
    struct job *jobs;
    size_t n, cap;
};

static int take_due(void *p, const struct mp_outbox_row *r)
{
    struct due *d = p;
    if (d->n == d->cap)
        return 1;
    struct job *j = &d->jobs[d->n++];
    memset(j, 0, sizeof *j);
    j->row = *r;
    j->id = r->id;
    j->attempts = r->attempts;
    j->created_at = r->created_at;
    mp_text_copy(j->kind, sizeof j->kind, r->kind);
    mp_text_copy(j->rcpt_hash, sizeof j->rcpt_hash, r->rcpt_hash);
    mp_text_copy(j->rcpt, sizeof j->rcpt, r->rcpt);
    mp_text_copy(j->lang, sizeof j->lang, r->lang);
    mp_text_copy(j->msg_key, sizeof j->msg_key, r->msg_key);
    mp_text_copy(j->uid, sizeof j->uid, r->event_uid);
    j->row.kind = j->kind;
    j->row.rcpt_hash = j->rcpt_hash;
    j->row.rcpt = r->rcpt ? j->rcpt : NULL;
    j->row.lang = j->lang;
    j->row.msg_key = j->msg_key;
    j->row.event_uid = r->event_uid ? j->uid : NULL;
    j->row.channel = MP_CHANNEL_MAIL;
    j->row.state = MP_OUTBOX_QUEUED;
    j->row.last_error = NULL;
    mp_buf_init(&j->out.message, 1 << 20);
    return 0;
}

/* The delay before attempt number `attempts` + 1. */
static int64_t backoff(const struct mp_outbox_opts *o, int64_t attempts)
{
    int64_t d = o->retry_s ? o->retry_s : 30;
    for (int64_t i = 1; i < attempts && d < RETRY_MAX_S; i++)
        d *= 2;
    return d < RETRY_MAX_S ? d : RETRY_MAX_S;
}

static void retry_or_fail(const struct mp_outbox_opts *o, struct job *j, int64_t now,
                          const char *why)
{
    j->attempted = true;
    mp_text_copy(j->error, sizeof j->error, why);
    if (now - j->created_at >= (int64_t)o->give_up_s) {
        j->state = MP_OUTBOX_FAILED;
        return;
    }
    j->state = MP_OUTBOX_QUEUED;
    j->next_at = now + backoff(o, j->attempts + 1);
}

/* Rate limit, then render, in the open write transaction (the tokens of
 * the links commit before the mail can arrive). Jobs before j in the round
 * that are going out count as sent. */
static enum mp_status prepare(struct mp_ctx *ctx, const struct mp_render_env *env,
                              const struct mp_outbox_opts *o, struct due *d, size_t at,
                              struct mp_outbox_round *r)
{
    enum mp_status rc;
    struct job *j = &d->jobs[at];
    if (o->rate_per_hour && strcmp(j->kind, "signin") != 0) {
        int64_t n = 0, oldest = 0;
        if ((rc = mp_store_outbox_sent_since(ctx->db, j->rcpt_hash, env->now - 3600, &n, &oldest)))
            return rc;
        for (size_t k = 0; k < at; k++)
            if (!d->jobs[k].state && strcmp(d->jobs[k].rcpt_hash, j->rcpt_hash) == 0) {
                n++;
                if (!oldest)
                    oldest = env->now;
            }
        if (n >= (int64_t)o->rate_per_hour) {
            j->state = MP_OUTBOX_QUEUED;
            j->next_at = oldest + 3600 + 1;
            mp_text_copy(j->error, sizeof j->error, "rate limit: waits for its turn");
            r->postponed++;
            return MP_OK;
        }
    }
    mp_render_fn render = renderer(j->kind);
    if (!render) {
        j->state = MP_OUTBOX_FAILED;
        snprintf(j->error, sizeof j->error, "no renderer for kind %.20s", j->kind);
        r->failed++;
        return MP_OK;
    }
    rc = render(ctx, env, &j->row, &j->out);
    if (rc == MP_OK && j->out.skip) {
        j->state = MP_OUTBOX_SKIPPED;
        mp_text_copy(j->error, sizeof j->error, j->out.why);
        r->skipped++;
        return MP_OK;
    }
    if (rc == MP_EINVAL || rc == MP_ENOTFOUND) {
        /* The pack or the data cannot make this message: it never will. */
        j->state = MP_OUTBOX_FAILED;
        snprintf(j->error, sizeof j->error, "cannot render: %.90s",
                 j->out.why[0] ? j->out.why : "bad data");
        r->failed++;
        return MP_OK;
    }
    return rc;
}

/* Queue the follow-up questions of the categories that ask one. */
static enum mp_status followups(struct mp_ctx *ctx, const struct mp_mail_pack *pack, int64_t now)
{
    const char *fixed[MP_VOCAB_STATUSES_MAX];
    size_t nfixed = mp_kto_fixed_statuses(fixed, MP_VOCAB_STATUSES_MAX);
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < ctx->city->ncategories; i++) {
        const char *cat = ctx->city->categories[i].code;
        int days = mp_mail_pack_followup_days(pack, cat);
        if (days <= 0)
            continue;
        struct mp_outbox_rec m = {
            .kind = "followup", .channel = MP_CHANNEL_MAIL, .created_at = now, .next_at = now};
        int64_t added = 0;
        /* Fixed between days + 14 and days ago: a server that was down
         * for two weeks asks late rather than never; older fixes are past
         * asking about. */
        rc = mp_store_notify_followups(ctx->db, &m, cat, fixed, nfixed,
                                       now - (int64_t)(days + 14) * 86400,
                                       now - (int64_t)days * 86400, &added);
    }
    return rc;
}

static enum mp_status finish_all(struct mp_ctx *ctx, struct due *d, struct mp_error *err)
{
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    for (size_t i = 0; rc == MP_OK && i < d->n; i++) {
        struct job *j = &d->jobs[i];
        if (!j->state) /* not reached this round: free it for the next */
            rc = mp_store_outbox_lease(ctx->db, j->id, 0);
        else
            rc = mp_store_outbox_finish(ctx->db, j->id, j->state, j->attempted,
                                        strcmp(j->state, MP_OUTBOX_QUEUED) == 0 ? j->next_at : 0,
                                        j->sent_at, j->error[0] ? j->error : NULL);
    }
    if (rc) {
        mp_store_rollback(ctx->db);
        return mp_fail(err, rc, "unavailable", "cannot record what was sent");
    }
    return mp_store_commit(ctx->db, err);
}

/* The round proper, with a transport (NULL: none configured). */
static enum mp_status round_with(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                                 const struct mp_outbox_opts *o, struct mp_smtp *smtp, int64_t now,
                                 int64_t *down_until, struct mp_outbox_round *r,
                                 struct mp_error *err)
{
    struct due d = {0};
    enum mp_status rc = MP_OK;
    memset(r, 0, sizeof *r);
    if (!smtp || (down_until && *down_until > now))
        return MP_OK; /* mail stays queued */
    d.cap = o->batch && o->batch < BATCH_MAX ? o->batch : BATCH_MAX;
    if (!(d.jobs = calloc(d.cap, sizeof *d.jobs)))
        return MP_ENOMEM;
    struct mp_render_env env = {pack, o->public_url, o->mail_from, now};
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    if ((rc = mp_store_outbox_due(ctx->db, MP_CHANNEL_MAIL, now, d.cap, take_due, &d))) {
        mp_store_rollback(ctx->db);
        goto out;
    }
    for (size_t i = 0; rc == MP_OK && i < d.n; i++)
        if ((rc = mp_store_outbox_lease(ctx->db, d.jobs[i].id, now + LEASE_S)) == MP_OK)
            rc = prepare(ctx, &env, o, &d, i, r);
    if (rc) {
        mp_store_rollback(ctx->db);
        rc = mp_fail(err, rc, "unavailable", "cannot prepare the outbox");
        goto out;
    }
    if ((rc = mp_store_commit(ctx->db, err)))
        goto out;
    /* Delivery outside any transaction: the relay may take its time. */
    bool down = false;
    for (size_t i = 0; i < d.n; i++) {
        struct job *j = &d.jobs[i];
        if (j->state) /* decided while preparing */
            continue;
        if (down)
            continue; /* left as it was; its lease ends below */
        char why[120];
        enum mp_smtp_result res = mp_smtp_send(smtp, o->mail_from, j->out.rcpt, j->out.message.data,
                                               j->out.message.len, why, sizeof why);
        int64_t t = mp_time_now();
        switch (res) {
        case MP_SMTP_SENT:
            j->state = MP_OUTBOX_SENT;
            j->attempted = true;
            j->sent_at = t;
            r->sent++;
            break;
        case MP_SMTP_PERMFAIL:
            j->state = MP_OUTBOX_FAILED;
            j->attempted = true;
            mp_text_copy(j->error, sizeof j->error, why);
            r->failed++;
            break;
        case MP_SMTP_DOWN:
            down = true;
            if (down_until)
                *down_until = t + backoff(o, j->attempts + 1);
            /* This message counts an attempt, as a refused one does. */
            __attribute__((fallthrough));
        case MP_SMTP_TEMPFAIL:
            retry_or_fail(o, j, t, why);
            if (strcmp(j->state, MP_OUTBOX_FAILED) == 0)
                r->failed++;
            else
                r->retried++;
            break;
        }
        if (res != MP_SMTP_SENT)
            fprintf(stderr, "meldpunt: outbox: message %lld (%s) not sent: %s\n", (long long)j->id,
                    j->kind, why);
    }
    rc = finish_all(ctx, &d, err);
out:
    for (size_t i = 0; i < d.n; i++)
        mp_buf_free(&d.jobs[i].out.message);
    free(d.jobs);
    return rc;
}

static enum mp_status queue_followups(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                                      int64_t now, struct mp_error *err)
{
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    if (rc)
        return rc;
    if ((rc = followups(ctx, pack, now)) || (rc = mp_alerts_queue_digests(ctx, now)) ||
        (rc = mp_deptmail_scan(ctx, now)) ||
        (rc = mp_store_notify_tokens_prune(ctx->db, now, NULL))) {
        mp_store_rollback(ctx->db);
        return mp_fail(err, rc, "unavailable", "cannot queue the follow-ups");
    }
    return mp_store_commit(ctx->db, err);
}

enum mp_status mp_outbox_round(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                               const struct mp_outbox_opts *o, int64_t now,
                               struct mp_outbox_round *r, struct mp_error *err)
{
    struct mp_smtp *smtp = NULL;
    enum mp_status rc = queue_followups(ctx, pack, now, err);
    if (rc == MP_OK && o->smtp_url && o->smtp_url[0])
        rc = mp_smtp_open(o->smtp_url, o->smtp_plain, 60, &smtp, err);
    if (rc == MP_OK)
        rc = round_with(ctx, pack, o, smtp, now, NULL, r, err);
    mp_smtp_close(smtp);
    return rc;
}

/* ---- the thread ---- */

struct mp_outbox {
    struct mp_ctx *ctx;
    struct mp_ctx *hooks_ctx; /* the webhook worker's, or NULL: webhooks on the mail thread */
    const struct mp_mail_pack *pack;
    struct mp_outbox_opts o;
    char smtp_url[512], mail_from[256], public_url[256];
    struct mp_smtp *smtp;
    pthread_t thread, hooks_thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping, started, hooks_started, kicked;
};

static void wait_a_while(struct mp_outbox *ob, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ob->lock);
    while (!ob->stopping && !ob->kicked)
        if (pthread_cond_timedwait(&ob->cond, &ob->lock, &until) == ETIMEDOUT)
            break;
    ob->kicked = false;
    pthread_mutex_unlock(&ob->lock);
}

static bool stopping(struct mp_outbox *ob)
{
    pthread_mutex_lock(&ob->lock);
    bool s = ob->stopping;
    pthread_mutex_unlock(&ob->lock);
    return s;
}

/* One round of webhook deliveries on ctx: *done of at most *batch. */
static void hooks_round(struct mp_outbox *ob, struct mp_ctx *ctx, int64_t now, size_t *done,
                        size_t *batch)
{
    struct mp_error err = {{0}, {0}};
    struct mp_webhook_opts wo = {ob->o.public_url, ob->o.webhook_retry_s, ob->o.webhook_give_up_s,
                                 10, 32};
    *batch = wo.batch;
    if (mp_webhook_round(ctx, &wo, now, done, &err))
        fprintf(stderr, "meldpunt: webhook: %s\n", err.text);
}

static void *sender(void *arg)
{
    struct mp_outbox *ob = arg;
    int64_t down_until = 0, next_followups = 0;
    prctl(PR_SET_NAME, "mp-outbox", 0, 0, 0);
    while (!stopping(ob)) {
        struct mp_error err = {{0}, {0}};
        struct mp_outbox_round r;
        int64_t now = mp_time_now();
        if (now >= next_followups) {
            if (queue_followups(ob->ctx, ob->pack, now, &err))
                fprintf(stderr, "meldpunt: outbox: %s\n", err.text);
            next_followups = now + FOLLOWUP_EVERY_S;
        }
        if (round_with(ob->ctx, ob->pack, &ob->o, ob->smtp, now, &down_until, &r, &err))
            fprintf(stderr, "meldpunt: outbox: %s\n", err.text);
        /* Without a worker of their own, webhooks go out on this thread,
         * whether or not mail can (and after it: a slow relay delays them). */
        size_t hooks = 0, batch = 0;
        if (!ob->hooks_ctx)
            hooks_round(ob, ob->ctx, now, &hooks, &batch);
        /* A full round: more may be due at once. */
        if ((r.sent + r.retried + r.failed + r.skipped + r.postponed < ob->o.batch ||
             down_until > now) &&
            (batch == 0 || hooks < batch))
            wait_a_while(ob, ob->o.poll_ms);
    }
    return NULL;
}

/* The webhook worker: deliveries on a context of their own, so that a slow
 * or stuck mail relay does not hold them up (nor a slow receiver the mail). */
static void *hooks_sender(void *arg)
{
    struct mp_outbox *ob = arg;
    prctl(PR_SET_NAME, "mp-webhooks", 0, 0, 0);
    while (!stopping(ob)) {
        size_t hooks = 0, batch = 0;
        hooks_round(ob, ob->hooks_ctx, mp_time_now(), &hooks, &batch);
        if (hooks < batch)
            wait_a_while(ob, ob->o.poll_ms);
    }
    return NULL;
}

enum mp_status mp_outbox_start(struct mp_ctx *ctx, struct mp_ctx *hooks_ctx,
                               const struct mp_mail_pack *pack, const struct mp_outbox_opts *o,
                               struct mp_outbox **out, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_outbox *ob = calloc(1, sizeof *ob);
    *out = NULL;
    if (!ob)
        return MP_ENOMEM;
    ob->ctx = ctx;
    ob->hooks_ctx = hooks_ctx;
    ob->pack = pack;
    ob->o = *o;
    mp_text_copy(ob->smtp_url, sizeof ob->smtp_url, o->smtp_url);
    mp_text_copy(ob->mail_from, sizeof ob->mail_from, o->mail_from);
    mp_text_copy(ob->public_url, sizeof ob->public_url, o->public_url);
    ob->o.smtp_url = ob->smtp_url;
    ob->o.mail_from = ob->mail_from;
    ob->o.public_url = ob->public_url;
    if (!ob->o.batch)
        ob->o.batch = 64;
    if (!ob->o.poll_ms)
        ob->o.poll_ms = 100;
    pthread_mutex_init(&ob->lock, NULL);
    pthread_cond_init(&ob->cond, NULL);
    if (ob->smtp_url[0]) {
        if (!mp_mail_addr_ok(ob->mail_from)) {
            rc = mp_fail(err, MP_EINVAL, "config",
                         "MELDPUNT_MAIL_FROM must be the sender's address (with "
                         "MELDPUNT_SMTP_URL)");
            goto fail;
        }
        if ((rc = mp_smtp_open(ob->smtp_url, o->smtp_plain, 60, &ob->smtp, err)))
            goto fail;
    }
    /* Whoever leased messages before us is gone (one sender a database). */
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto fail;
    if ((rc = mp_store_outbox_release_all(ctx->db))) {
        mp_store_rollback(ctx->db);
        rc = mp_fail(err, rc, "unavailable", "cannot read the outbox");
        goto fail;
    }
    if ((rc = mp_store_commit(ctx->db, err)))
        goto fail;
    if (pthread_create(&ob->thread, NULL, sender, ob) != 0) {
        rc = mp_fail(err, MP_ENOMEM, "internal", "cannot start the outbox sender");
        goto fail;
    }
    ob->started = true;
    if (hooks_ctx) {
        if (pthread_create(&ob->hooks_thread, NULL, hooks_sender, ob) != 0) {
            rc = mp_fail(err, MP_ENOMEM, "internal", "cannot start the webhook sender");
            goto fail;
        }
        ob->hooks_started = true;
    }
    *out = ob;
    return MP_OK;
fail:
    mp_outbox_stop(ob);
    return rc;
}

void mp_outbox_stop(struct mp_outbox *ob)
{
    if (!ob)
        return;
    pthread_mutex_lock(&ob->lock);
    ob->stopping = true;
    pthread_cond_broadcast(&ob->cond);
    pthread_mutex_unlock(&ob->lock);
    if (ob->started)
        pthread_join(ob->thread, NULL);
    if (ob->hooks_started)
        pthread_join(ob->hooks_thread, NULL);
    mp_smtp_close(ob->smtp);
    pthread_cond_destroy(&ob->cond);
    pthread_mutex_destroy(&ob->lock);
    free(ob);
}

void mp_outbox_kick(struct mp_outbox *ob)
{
    if (!ob)
        return;
    pthread_mutex_lock(&ob->lock);
    ob->kicked = true;
    pthread_cond_broadcast(&ob->cond);
    pthread_mutex_unlock(&ob->lock);
}

/* ---- reading ---- */

static enum mp_status unavailable(struct mp_error *err)
{
    return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the outbox right now");
}

enum mp_status mp_outbox_list(struct mp_ctx *ctx, const char *state, int64_t before, size_t limit,
                              mp_outbox_cb cb, void *arg, struct mp_error *err)
{
    if (state && !mp_outbox_state_valid(state))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "state must be queued, sent, failed or skipped");
    if (limit < 1 || limit > 1000)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "limit must be 1-1000");
    if (mp_store_outbox_list(ctx->db, state, before, limit, cb, arg))
        return unavailable(err);
    return MP_OK;
}

enum mp_status mp_outbox_get(struct mp_ctx *ctx, int64_t id, mp_outbox_cb cb, void *arg,
                             struct mp_error *err)
{
    enum mp_status rc = mp_store_outbox_get(ctx->db, id, cb, arg);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no message %lld", (long long)id);
    return rc ? unavailable(err) : MP_OK;
}

enum mp_status mp_outbox_retry(struct mp_ctx *ctx, int64_t id, int64_t *n, struct mp_error *err)
{
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    *n = 0;
    if (rc)
        return rc;
    if ((rc = mp_store_outbox_retry(ctx->db, id, mp_time_now(), n))) {
        mp_store_rollback(ctx->db);
        return unavailable(err);
    }
    if (id && *n == 0) {
        mp_store_rollback(ctx->db);
        return mp_fail(err, MP_ENOTFOUND, "not_found", "there is no failed message %lld",
                       (long long)id);
    }
    return mp_store_commit(ctx->db, err);
}

enum mp_status mp_outbox_counts(struct mp_ctx *ctx,
                                int (*cb)(void *arg, const char *state, int64_t n), void *arg,
                                struct mp_error *err)
{
    return mp_store_outbox_counts(ctx->db, cb, arg) ? unavailable(err) : MP_OK;
}
