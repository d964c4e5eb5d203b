/* webhook.c - receivers of events: registration, fan-out in the change's
 * transaction, CloudEvents bodies, signatures, and the delivery round
 * (webhook.h). */
#include "meldpunt/webhook.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/store.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/store_webhooks.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/webhook_post.h"

/* The event types a receiver may ask for: the vocabulary of webhooks. */
static const char *const types[] = {
    MP_EVENT_REPORT_CREATED, MP_EVENT_STATUS_CHANGED, MP_EVENT_MERGED,
    MP_EVENT_MOVED,          "cluster.public_note", /* a status change that carries a public note */
};
#define NTYPES (sizeof types / sizeof *types)
#define TYPE_PREFIX "org.meldpunt."
#define RETRY_MAX_S (4 * 3600)
#define LEASE_S 120
#define BATCH_MAX 64

bool mp_webhook_type_valid(const char *s)
{
    for (size_t i = 0; s && i < NTYPES; i++)
        if (strcmp(types[i], s) == 0)
            return true;
    return false;
}

const char *const *mp_webhook_type_list(size_t *n)
{
    *n = NTYPES;
    return types;
}

const char *mp_webhook_types(void)
{
    return "report.created, cluster.status_changed, cluster.merged, report.moved, "
           "cluster.public_note";
}

static enum mp_status unavailable(struct mp_error *err)
{
    return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read or change webhooks right now");
}

static bool url_ok(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    const char *host = !url                               ? NULL
                       : strncmp(url, "http://", 7) == 0  ? url + 7
                       : strncmp(url, "https://", 8) == 0 ? url + 8
                                                          : NULL;
    if (!host || !*host || *host == '/' || n >= MP_WEBHOOK_URL_MAX)
        return false;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

static bool secret_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < MP_WEBHOOK_SECRET_MIN || n > MP_WEBHOOK_SECRET_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

enum mp_status mp_webhook_add(struct mp_ctx *ctx, const char *url, const char *secret,
                              const char *const *want, size_t n, bool contacts, int64_t *id,
                              struct mp_error *err)
{
    char list[MP_WEBHOOK_EVENTS_MAX] = "";
    *id = 0;
    if (!url_ok(url))
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "url must be an http:// or https:// URL of at most %d characters",
                       MP_WEBHOOK_URL_MAX - 1);
    if (!secret_ok(secret))
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "secret must be %d-%d printable ASCII characters without spaces",
                       MP_WEBHOOK_SECRET_MIN, MP_WEBHOOK_SECRET_MAX);
    if (n == 0)
        return mp_fail(err, MP_EINVAL, "invalid_field", "events must name at least one of: %s",
                       mp_webhook_types());
    /* In the table's order, each once: the list is compared as text. */
    for (size_t i = 0; i < n; i++)
        if (!mp_webhook_type_valid(want[i]))
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "'%.40s' is not an event type; one of: %s", want[i] ? want[i] : "",
                           mp_webhook_types());
    for (size_t t = 0; t < NTYPES; t++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(want[i], types[t]) == 0) {
                if (list[0])
                    strcat(list, ",");
                strcat(list, types[t]);
                break;
            }
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    if (rc)
        return rc;
    rc = mp_store_webhook_add(ctx->db, url, secret, list, contacts, mp_time_now(), id);
    return mp_store_end(ctx->db, rc ? unavailable(err) : MP_OK, err);
}

enum mp_status mp_webhook_list(struct mp_ctx *ctx, mp_webhook_cb cb, void *arg,
                               struct mp_error *err)
{
    return mp_store_webhook_list(ctx->db, cb, arg) ? unavailable(err) : MP_OK;
}

enum mp_status mp_webhook_delete(struct mp_ctx *ctx, int64_t id, struct mp_error *err)
{
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    if (rc)
        return rc;
    rc = mp_store_webhook_delete(ctx->db, id, mp_time_now());
    if (rc == MP_ENOTFOUND)
        rc = mp_fail(err, rc, "not_found", "there is no webhook %lld", (long long)id);
    else if (rc)
        rc = unavailable(err);
    return mp_store_end(ctx->db, rc, err);
}

enum mp_status mp_webhook_deliveries(struct mp_ctx *ctx, int64_t id, const char *state,
                                     size_t limit, mp_outbox_cb cb, void *arg, struct mp_error *err)
{
    if (state && strcmp(state, MP_OUTBOX_QUEUED) && strcmp(state, MP_OUTBOX_SENT) &&
        strcmp(state, MP_OUTBOX_FAILED))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "state must be queued, sent or failed");
    if (limit < 1 || limit > 1000)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "limit must be 1-1000");
    return mp_store_webhook_deliveries(ctx->db, id, state, limit, cb, arg) ? unavailable(err)
                                                                           : MP_OK;
}

/* The delivery's channel, read before it is queued again. */
static int take_channel(void *p, const struct mp_outbox_row *r)
{
    *(bool *)p = r->channel && strcmp(r->channel, MP_CHANNEL_WEBHOOK) == 0;
    return 0;
}

enum mp_status mp_webhook_resend(struct mp_ctx *ctx, int64_t id, struct mp_error *err)
{
    bool hook = false;
    int64_t n = 0;
    enum mp_status rc = mp_store_begin_write(ctx->db, err);
    if (rc)
        return rc;
    rc = mp_store_outbox_get(ctx->db, id, take_channel, &hook);
    if (rc == MP_OK && hook)
        rc = mp_store_outbox_retry(ctx->db, id, mp_time_now(), &n);
    if (rc == MP_OK || rc == MP_ENOTFOUND)
        rc = n == 1 ? MP_OK
                    : mp_fail(err, MP_ENOTFOUND, "not_found", "there is no failed delivery %lld",
                              (long long)id);
    else
        rc = unavailable(err);
    return mp_store_end(ctx->db, rc, err);
}

enum mp_status mp_webhook_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                 int64_t event_id)
{
    int64_t n = 0;
    return mp_store_webhook_fanout(ctx->db, event_id, ev->type, ev->note && ev->note[0],
                                   ev->report_id, ev->cluster_id, ev->at, &n);
}

/* ---- the body and its signature ---- */

void mp_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char head[24];
    int hl = snprintf(head, sizeof head, "%lld.", (long long)ts);
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    size_t got = 0;
    out[0] = '\0';
    if (c && EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret), params) &&
        EVP_MAC_update(c, (const unsigned char *)head, (size_t)hl) &&
        EVP_MAC_update(c, (const unsigned char *)body, len) &&
        EVP_MAC_final(c, mac, &got, sizeof mac) && got == 32) {
        maclen = (unsigned int)got;
        for (unsigned int i = 0; i < maclen; i++)
            snprintf(out + 2 * i, 3, "%02x", mac[i]);
    }
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
}

/* Does w's list name type? */
static bool wants(const struct mp_webhook_row *w, const char *type)
{
    size_t n = strlen(type);
    for (const char *p = w->events; p && (p = strstr(p, type)); p += n)
        if ((p == w->events || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

void mp_webhook_body(const struct mp_webhook_row *w, const struct mp_notify_event_row *e,
                     const struct mp_webhook_contact *contact, const char *source, struct mp_buf *b)
{
    /* A receiver that asked only for public notes hears of the change as one. */
    const char *type = wants(w, e->type) || strcmp(e->type, MP_EVENT_STATUS_CHANGED) != 0
                           ? e->type
                           : "cluster.public_note";
    mp_buf_lit(b, "{\"specversion\":\"1.0\",\"id\":");
    mp_json_str(b, e->uid);
    mp_buf_lit(b, ",\"source\":");
    mp_json_str(b, source);
    mp_buf_lit(b, ",\"type\":\"" TYPE_PREFIX);
    mp_buf_adds(b, type);
    mp_buf_lit(b, "\",\"subject\":");
    if (e->report_id)
        mp_buf_printf(b, "\"reports/%lld\"", (long long)e->report_id);
    else
        mp_buf_printf(b, "\"clusters/%lld\"", (long long)e->cluster_id);
    mp_buf_lit(b, ",\"time\":");
    mp_json_time(b, e->at);
    mp_buf_lit(b, ",\"datacontenttype\":\"application/json\",\"data\":{\"cluster_id\":");
    mp_json_int(b, e->cluster_id);
    mp_buf_lit(b, ",\"report_id\":");
    if (e->report_id)
        mp_json_int(b, e->report_id);
    else
        mp_buf_lit(b, "null");
    mp_buf_lit(b, ",\"url\":");
    mp_buf_printf(b, "\"%s/%s/%lld\"", source, e->report_id ? "r" : "api/v1/clusters",
                  (long long)(e->report_id ? e->report_id : e->cluster_id));
    /* The event's own members (from, to, note, joined, clusters): stored
     * as an object without addresses (notify.c). */
    const char *d = e->data ? e->data : "{}";
    size_t dl = strlen(d);
    if (dl > 2 && d[0] == '{' && d[dl - 1] == '}') {
        mp_buf_addc(b, ',');
        mp_buf_add(b, d + 1, dl - 2);
    }
    if (contact) {
        mp_buf_lit(b, ",\"contact\":{\"name\":");
        mp_json_str(b, contact->name);
        mp_buf_lit(b, ",\"email\":");
        mp_json_str(b, contact->email);
        mp_buf_lit(b, ",\"phone\":");
        mp_json_str(b, contact->phone);
        mp_buf_addc(b, '}');
    }
    mp_buf_lit(b, "}}");
}

/* ---- the round ---- */

struct wjob {
    int64_t id, attempts, created_at, event_id, report_id, hook_id;
    char msg_key[MP_MSG_KEY_MAX];
    char url[MP_WEBHOOK_URL_MAX], secret[MP_WEBHOOK_SECRET_MAX + 1];
    struct mp_buf body;
    const char *state; /* NULL: to be posted */
    int64_t next_at, sent_at;
    char error[120];
};

struct wdue {
    struct wjob *jobs;
    size_t n, cap;
};

static int count_due(void *p, const struct mp_outbox_row *r)
{
    (void)r;
    ++*(int64_t *)p;
    return 0;
}

static int take_due(void *p, const struct mp_outbox_row *r)
{
    struct wdue *d = p;
    if (d->n == d->cap)
        return 1;
    struct wjob *j = &d->jobs[d->n++];
    memset(j, 0, sizeof *j);
    j->id = r->id;
    j->attempts = r->attempts;
    j->created_at = r->created_at;
    j->event_id = r->event_id;
    j->report_id = r->report_id;
    j->hook_id = r->rcpt ? strtoll(r->rcpt, NULL, 10) : 0;
    mp_text_copy(j->msg_key, sizeof j->msg_key, r->msg_key);
    mp_buf_init(&j->body, 1 << 20);
    return 0;
}

/* The receiver of a delivery, copied out of its row. */
struct build {
    struct wjob *j;
    struct mp_webhook_row hook; /* strings point into j and events */
    char events[MP_WEBHOOK_EVENTS_MAX];
};

static int take_hook(void *p, const struct mp_webhook_row *w)
{
    struct build *b = p;
    mp_text_copy(b->j->url, sizeof b->j->url, w->url);
    mp_text_copy(b->j->secret, sizeof b->j->secret, w->secret);
    mp_text_copy(b->events, sizeof b->events, w->events);
    b->hook = *w;
    b->hook.url = b->j->url;
    b->hook.secret = b->j->secret;
    b->hook.events = b->events;
    return 0;
}

struct event_copy {
    const struct mp_webhook_opts *o;
    struct wjob *j;
    const struct mp_webhook_row *hook;
    const struct mp_webhook_contact *contact;
};

static int write_body(void *p, const struct mp_notify_event_row *e)
{
    struct event_copy *c = p;
    mp_webhook_body(c->hook, e, c->contact, c->o->source, &c->j->body);
    return 0;
}

struct contact_copy {
    char name[128], email[256], phone[64];
    struct mp_webhook_contact k;
};

static int take_contact(void *p, const struct mp_webhook_contact *k)
{
    struct contact_copy *c = p;
    mp_text_copy(c->name, sizeof c->name, k->name);
    mp_text_copy(c->email, sizeof c->email, k->email);
    mp_text_copy(c->phone, sizeof c->phone, k->phone);
    c->k = (struct mp_webhook_contact){k->name ? c->name : NULL, k->email ? c->email : NULL,
                                       k->phone ? c->phone : NULL};
    return 0;
}

/* Build j's body in the open transaction; a retired receiver or a lost
 * event fails the delivery. */
static enum mp_status prepare(struct mp_ctx *ctx, const struct mp_webhook_opts *o, struct wjob *j)
{
    struct build b = {.j = j};
    enum mp_status rc = mp_store_webhook_get(ctx->db, j->hook_id, take_hook, &b);
    if (rc == MP_ENOTFOUND) {
        j->state = MP_OUTBOX_FAILED;
        mp_text_copy(j->error, sizeof j->error, "the webhook was deleted");
        return MP_OK;
    }
    if (rc)
        return rc;
    struct contact_copy cc = {{0}, {0}, {0}, {0}};
    const struct mp_webhook_contact *contact = NULL;
    if (b.hook.contacts && j->report_id) {
        rc = mp_store_webhook_contact(ctx->db, j->report_id, take_contact, &cc);
        if (rc && rc != MP_ENOTFOUND)
            return rc;
        contact = rc == MP_OK ? &cc.k : NULL;
    }
    struct event_copy ec = {o, j, &b.hook, contact};
    rc = mp_store_notify_event_get(ctx->db, j->event_id, write_body, &ec);
    if (rc == MP_ENOTFOUND) {
        j->state = MP_OUTBOX_FAILED;
        mp_text_copy(j->error, sizeof j->error, "the event is gone");
        return MP_OK;
    }
    if (rc == MP_OK && mp_buf_status(&j->body)) {
        j->state = MP_OUTBOX_FAILED;
        mp_text_copy(j->error, sizeof j->error, "the body is too large");
    }
    return rc;
}

static int64_t backoff(const struct mp_webhook_opts *o, int64_t attempts)
{
    int64_t d = o->retry_s ? o->retry_s : 30;
    for (int64_t i = 1; i < attempts && d < RETRY_MAX_S; i++)
        d *= 2;
    return d < RETRY_MAX_S ? d : RETRY_MAX_S;
}

static void post(const struct mp_webhook_opts *o, struct wjob *j)
{
    char sig[65], h_sig[120], h_id[80];
    const char *headers[] = {h_sig, h_id, NULL};
    int64_t ts = mp_time_now();
    long status = 0;
    mp_webhook_sign(j->secret, ts, j->body.data, j->body.len, sig);
    snprintf(h_sig, sizeof h_sig, "Meldpunt-Signature: t=%lld,v1=%s", (long long)ts, sig);
    snprintf(h_id, sizeof h_id, "Meldpunt-Delivery: %s", j->msg_key);
    bool ok = mp_webhook_post(j->url, "application/cloudevents+json; charset=utf-8", headers,
                              j->body.data, j->body.len, o->timeout_s, &status, j->error,
                              sizeof j->error);
    int64_t t = mp_time_now();
    if (ok) {
        j->state = MP_OUTBOX_SENT;
        j->sent_at = t;
        j->error[0] = '\0';
    } else if (t - j->created_at >= (int64_t)o->give_up_s) {
        j->state = MP_OUTBOX_FAILED;
    } else {
        j->state = MP_OUTBOX_QUEUED;
        j->next_at = t + backoff(o, j->attempts + 1);
    }
    if (!ok)
        fprintf(stderr, "meldpunt: webhook: delivery %lld not made: %s\n", (long long)j->id,
                j->error);
}

enum mp_status mp_webhook_round(struct mp_ctx *ctx, const struct mp_webhook_opts *o, int64_t now,
                                size_t *done, struct mp_error *err)
{
    struct wdue d = {0};
    *done = 0;
    d.cap = o->batch && o->batch < BATCH_MAX ? o->batch : BATCH_MAX;
    if (!(d.jobs = calloc(d.cap, sizeof *d.jobs)))
        return MP_ENOMEM;
    /* A look without the write lock first: most rounds find nothing. */
    int64_t any = 0;
    enum mp_status rc = mp_store_outbox_due(ctx->db, MP_CHANNEL_WEBHOOK, now, 1, count_due, &any);
    if (rc || !any)
        goto out;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    rc = mp_store_outbox_due(ctx->db, MP_CHANNEL_WEBHOOK, now, d.cap, take_due, &d);
    for (size_t i = 0; rc == MP_OK && i < d.n; i++)
        if ((rc = mp_store_outbox_lease(ctx->db, d.jobs[i].id, now + LEASE_S)) == MP_OK)
            rc = prepare(ctx, o, &d.jobs[i]);
    if ((rc = mp_store_end(ctx->db, rc ? unavailable(err) : MP_OK, err)))
        goto out;
    /* Posting outside any transaction: a receiver may take its time. */
    for (size_t i = 0; i < d.n; i++)
        if (!d.jobs[i].state)
            post(o, &d.jobs[i]);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    for (size_t i = 0; rc == MP_OK && i < d.n; i++) {
        struct wjob *j = &d.jobs[i];
        rc = mp_store_outbox_finish(ctx->db, j->id, j->state, true,
                                    strcmp(j->state, MP_OUTBOX_QUEUED) == 0 ? j->next_at : 0,
                                    j->sent_at, j->error[0] ? j->error : NULL);
    }
    rc = mp_store_end(ctx->db, rc ? unavailable(err) : MP_OK, err);
    if (rc == MP_OK)
        *done = d.n;
out:
    for (size_t i = 0; i < d.n; i++)
        mp_buf_free(&d.jobs[i].body);
    free(d.jobs);
    return rc;
}
