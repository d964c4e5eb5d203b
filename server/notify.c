/* notify.c - events and their fan-out (the table of recipient kinds), the
 * reporter's subscription when a report comes in, and the reporters' own
 * actions: stopping mail and signing in to "my reports". */
#include "meldpunt/notify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "meldpunt/notify_token.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/timeutil.h"

/* Who hears of events. A new kind of recipient (area alerts, departments,
 * webhooks) is one more row: a function that reads the event and queues
 * messages for its recipients in the same transaction. */
static const struct {
    const char *name;
    enum mp_status (*fanout)(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                             int64_t event_id);
} kinds[] = {
    {"reporters", mp_notify_reporters_fanout},
    {"alerts", mp_alerts_fanout},
    {"departments", mp_deptmail_fanout},
    {"webhooks", mp_webhook_fanout},
};

/* The event's data: what the type says, without any address. */
static void event_data(const struct mp_notify_event *ev, struct mp_buf *b)
{
    bool first = true;
    mp_buf_addc(b, '{');
    if (ev->from) {
        mp_json_key(b, "from", first);
        mp_json_str(b, ev->from);
        first = false;
    }
    if (ev->to) {
        mp_json_key(b, "to", first);
        mp_json_str(b, ev->to);
        first = false;
    }
    if (ev->to || ev->note) {
        mp_json_key(b, "note", first);
        mp_json_str(b, ev->note);
        first = false;
    }
    if (strcmp(ev->type, MP_EVENT_REPORT_CREATED) == 0) {
        mp_json_key(b, "joined", first);
        mp_json_bool(b, ev->joined);
        first = false;
    }
    if (ev->from_cluster || ev->to_cluster) {
        mp_json_key(b, "from_cluster", first);
        mp_json_int(b, ev->from_cluster);
        mp_json_key(b, "to_cluster", false);
        mp_json_int(b, ev->to_cluster);
    }
    mp_buf_addc(b, '}');
}

enum mp_status mp_notify_emit(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                              int64_t *event_id)
{
    struct mp_buf data;
    int64_t id = 0;
    mp_buf_init(&data, 16 * 1024);
    event_data(ev, &data);
    enum mp_status rc = mp_buf_status(&data);
    if (rc == MP_OK) {
        struct mp_notify_event_rec rec = {.type = ev->type,
                                          .cluster_id = ev->cluster_id,
                                          .report_id = ev->report_id,
                                          .at = ev->at,
                                          .data = data.data};
        rc = mp_store_notify_event_add(ctx->db, &rec, &id);
    }
    for (size_t k = 0; rc == MP_OK && k < sizeof kinds / sizeof *kinds; k++)
        rc = kinds[k].fanout(ctx, ev, id);
    mp_buf_free(&data);
    if (event_id)
        *event_id = rc == MP_OK ? id : 0;
    return rc;
}

enum mp_status mp_notify_report_created(struct mp_ctx *ctx, int64_t report_id, int64_t cluster_id,
                                        bool joined, const char *email, const char *lang,
                                        int64_t at, const struct mp_notify_where *where)
{
    char norm[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN];
    struct mp_notify_event ev = {.type = MP_EVENT_REPORT_CREATED,
                                 .cluster_id = cluster_id,
                                 .report_id = report_id,
                                 .at = at,
                                 .joined = joined,
                                 .where = where};
    if (email && mp_notify_address_norm(email, norm, sizeof norm)) {
        int64_t sub = 0;
        bool active = false;
        mp_notify_address_hash(norm, hash);
        enum mp_status rc = mp_store_notify_sub_add(ctx->db, report_id, norm, hash,
                                                    lang ? lang : "", at, &sub, &active);
        if (rc)
            return rc;
        ev.sub_id = active ? sub : 0;
    }
    return mp_notify_emit(ctx, &ev, NULL);
}

/* ---- addresses and languages ---- */

bool mp_notify_address_norm(const char *in, char *out, size_t cap)
{
    if (!in)
        return false;
    while (*in == ' ' || *in == '\t')
        in++;
    size_t n = strlen(in);
    while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= cap || n > 254)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[n] = '\0';
    /* What can be mailed: one @, a dot in the domain, no spaces, quotes,
     * brackets or control bytes (so never a header injection). */
    const char *at = strchr(out, '@');
    if (!at || at == out || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        out[n - 1] == '.')
        return false;
    for (const char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c))
            return false;
    }
    return true;
}

void mp_notify_address_hash(const char *norm, char out[MP_TOKEN_HASH_LEN])
{
    mp_auth_hash(norm, out);
}

void mp_notify_lang_from_header(const char *accept, char *out, size_t cap)
{
    struct {
        char tag[9];
        int q; /* thousandths */
    } seen[8];
    size_t n = 0;
    const char *s = accept ? accept : "";
    if (cap)
        out[0] = '\0';
    while (*s && n < sizeof seen / sizeof *seen) {
        while (*s == ' ' || *s == ',')
            s++;
        size_t len = 0;
        char tag[9];
        while (s[len] && s[len] != ',' && s[len] != ';' && s[len] != '-' && s[len] != '_' &&
               s[len] != ' ' && len < 8) {
            tag[len] = (char)tolower((unsigned char)s[len]);
            len++;
        }
        tag[len] = '\0';
        const char *end = strchr(s, ',');
        const char *qp = strstr(s, ";q=");
        int q = 1000;
        if (qp && (!end || qp < end)) {
            double v = strtod(qp + 3, NULL);
            q = v <= 0 ? 0 : v >= 1 ? 1000 : (int)(v * 1000);
        }
        bool ok = len >= 2 && len <= 3 && q > 0;
        for (size_t i = 0; ok && i < len; i++)
            ok = tag[i] >= 'a' && tag[i] <= 'z';
        for (size_t i = 0; ok && i < n; i++)
            ok = strcmp(seen[i].tag, tag) != 0;
        if (ok) {
            /* Stable insertion by q: equal weights keep the header's order. */
            size_t at = n;
            while (at > 0 && seen[at - 1].q < q) {
                seen[at] = seen[at - 1];
                at--;
            }
            memcpy(seen[at].tag, tag, len + 1);
            seen[at].q = q;
            n++;
        }
        if (!end)
            break;
        s = end + 1;
    }
    size_t len = 0;
    for (size_t i = 0; i < n && i < 4; i++) {
        size_t tl = strlen(seen[i].tag);
        if (len + tl + 2 > cap)
            break;
        if (len)
            out[len++] = ',';
        memcpy(out + len, seen[i].tag, tl + 1);
        len += tl;
    }
}

/* ---- the reporters' own actions ---- */

static enum mp_status unavailable(struct mp_error *err)
{
    return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot change this right now; try again");
}

enum mp_status mp_notify_unsubscribe(struct mp_ctx *ctx, const char *token,
                                     enum mp_notify_stopped *what, int64_t *report_id,
                                     struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_UNSUB, MP_TOKEN_STOP, MP_TOKEN_ALERT_UNSUB,
                                           NULL};
    struct mp_notify_token t;
    enum mp_status rc;
    *what = 0;
    *report_id = 0;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_notify_token_check(ctx, token, purposes, false, &t, err)))
        return mp_store_end(ctx->db, rc, err);
    int64_t now = mp_time_now();
    if (strcmp(t.purpose, MP_TOKEN_UNSUB) == 0) {
        if (mp_store_notify_sub_stop(ctx->db, t.sub_id, now))
            return mp_store_end(ctx->db, unavailable(err), err);
        *what = MP_NOTIFY_STOPPED_REPORT;
        *report_id = t.report_id;
    } else if (strcmp(t.purpose, MP_TOKEN_ALERT_UNSUB) == 0) {
        if (mp_store_alert_stop(ctx->db, t.sub_id, now))
            return mp_store_end(ctx->db, unavailable(err), err);
        *what = MP_NOTIFY_STOPPED_ALERT;
        *report_id = t.sub_id;
    } else {
        if (mp_store_notify_stop_address(ctx->db, t.rcpt_hash, now))
            return mp_store_end(ctx->db, unavailable(err), err);
        *what = MP_NOTIFY_STOPPED_ADDRESS;
    }
    return mp_store_end(ctx->db, MP_OK, err);
}

enum mp_status mp_notify_signin_request(struct mp_ctx *ctx, const char *email, const char *lang,
                                        struct mp_error *err)
{
    char norm[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN];
    bool known = false;
    enum mp_status rc;
    if (!mp_notify_address_norm(email, norm, sizeof norm))
        return mp_fail(err, MP_EINVAL, "invalid_field", "email must be an e-mail address");
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if (mp_store_notify_address_known(ctx->db, norm, &known))
        return mp_store_end(ctx->db, unavailable(err), err);
    if (known) {
        int64_t now = mp_time_now();
        mp_notify_address_hash(norm, hash);
        struct mp_outbox_rec m = {.kind = "signin",
                                  .channel = MP_CHANNEL_MAIL,
                                  .rcpt = norm,
                                  .rcpt_hash = hash,
                                  .lang = lang ? lang : "",
                                  .created_at = now,
                                  .next_at = now};
        if (mp_store_outbox_add(ctx->db, &m, NULL))
            return mp_store_end(ctx->db, unavailable(err), err);
    }
    return mp_store_end(ctx->db, MP_OK, err);
}

enum mp_status mp_notify_session_open(struct mp_ctx *ctx, const char *signin_token, char *session,
                                      size_t cap, int64_t *expires_at, struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_SIGNIN, NULL};
    struct mp_notify_token t;
    enum mp_status rc;
    session[0] = '\0';
    *expires_at = 0;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_notify_token_check(ctx, signin_token, purposes, true, &t, err)) ||
        (rc = mp_notify_token_use(ctx, &t, err)))
        return mp_store_end(ctx->db, rc, err);
    struct mp_notify_token_rec s = {
        .purpose = MP_TOKEN_SESSION, .rcpt_hash = t.rcpt_hash, .email = t.email};
    if (mp_notify_token_mint(ctx, &s, MP_NOTIFY_SESSION_TTL, session, cap)) {
        session[0] = '\0';
        return mp_store_end(ctx->db, unavailable(err), err);
    }
    *expires_at = mp_time_now() + MP_NOTIFY_SESSION_TTL;
    return mp_store_end(ctx->db, MP_OK, err);
}

static enum mp_status session_check(struct mp_ctx *ctx, const char *session,
                                    struct mp_notify_token *t, struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_SESSION, NULL};
    enum mp_status rc = mp_notify_token_check(ctx, session, purposes, false, t, err);
    if (rc == MP_OK && !t->email[0])
        rc = mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid");
    return rc;
}

enum mp_status mp_notify_mine(struct mp_ctx *ctx, const char *session, mp_notify_mine_cb cb,
                              void *arg, struct mp_error *err)
{
    struct mp_notify_token t;
    enum mp_status rc = session_check(ctx, session, &t, err);
    if (rc)
        return rc;
    if (mp_store_notify_mine(ctx->db, t.email, cb, arg))
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read your reports right now");
    return MP_OK;
}

struct owned {
    int64_t want;
    bool found;
};

static int owned_row(void *p, const struct mp_notify_mine_row *r)
{
    struct owned *o = p;
    if (r->report_id == o->want)
        o->found = true;
    return o->found;
}

/* The subscription of report_id, if it has one. */
static int sub_of_report(void *p, const struct mp_notify_sub_row *s)
{
    *(int64_t *)p = s->id;
    return 0;
}

enum mp_status mp_notify_mine_stop(struct mp_ctx *ctx, const char *session, int64_t report_id,
                                   struct mp_error *err)
{
    struct mp_notify_token t;
    enum mp_status rc;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = session_check(ctx, session, &t, err)))
        return mp_store_end(ctx->db, rc, err);
    int64_t now = mp_time_now();
    if (report_id == 0) {
        if (mp_store_notify_stop_address(ctx->db, t.rcpt_hash, now))
            return mp_store_end(ctx->db, unavailable(err), err);
        return mp_store_end(ctx->db, MP_OK, err);
    }
    struct owned o = {report_id, false};
    if (mp_store_notify_mine(ctx->db, t.email, owned_row, &o))
        return mp_store_end(ctx->db, unavailable(err), err);
    if (!o.found)
        return mp_store_end(ctx->db,
                            mp_fail(err, MP_ENOTFOUND, "not_found",
                                    "report %lld is not one of yours", (long long)report_id),
                            err);
    int64_t sub = 0;
    rc = mp_store_notify_sub_by_report(ctx->db, report_id, sub_of_report, &sub);
    if (rc == MP_OK && sub)
        rc = mp_store_notify_sub_stop(ctx->db, sub, now);
    if (rc && rc != MP_ENOTFOUND)
        return mp_store_end(ctx->db, unavailable(err), err);
    return mp_store_end(ctx->db, MP_OK, err);
}
