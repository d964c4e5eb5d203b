/* api_notify.c - the reporters' mail over HTTP (api_notify.h): links out of
 * mail (unsubscribe, satisfaction check, "my reports"), the staff view of
 * the answers, the admin view of the outbox. Addresses never leave in an
 * answer: the outbox listing hides them. */
#include "meldpunt/api_notify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/kto.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/notify.h"
#include "meldpunt/outbox.h"
#include "meldpunt/scope.h"

#define SESSION_HEADER "X-Meldpunt-Session"

/* A required string member. */
static enum mp_status str_field(const json_t *o, const char *name, const char **out,
                                struct mp_error *err)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return mp_fail(err, MP_EINVAL, "missing_field", "%s is required", name);
    if (!json_is_string(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a string", name);
    *out = json_string_value(v);
    return MP_OK;
}

/* The page's language for texts of the pack (Accept-Language, as the
 * report form sends it). */
static const char *lang_of(const struct mp_app *app, const struct mp_request *req, char *buf,
                           size_t cap)
{
    mp_notify_lang_from_header(mp_req_header(req, "Accept-Language"), buf, cap);
    return app->mail ? mp_mail_pack_lang(app->mail, buf) : "en";
}

static enum mp_status no_params(const struct mp_request *req, struct mp_error *err)
{
    static const char *const none[] = {NULL};
    return mp_api_check_params(req, none, err);
}

/* ---- unsubscribing ---- */

enum mp_status mp_api_notify_unsubscribe(struct mp_app *app, struct mp_ctx *ctx,
                                         const struct mp_request *req, struct mp_response *resp,
                                         struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {"t", NULL};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    const char *token = mp_req_query(req, "t");
    if (!token || !token[0])
        return mp_fail(err, MP_EINVAL, "missing_parameter",
                       "t (the token of the link) is required");
    if (strcmp(req->method, "POST") != 0) {
        /* A person who opened the header's URL: the page asks first, so
         * that a link checker that only looks never unsubscribes anyone. */
        int n = snprintf(resp->location, sizeof resp->location, "/unsubscribe.html?t=%s", token);
        if (n < 0 || (size_t)n >= sizeof resp->location)
            return mp_fail(err, MP_EINVAL, "invalid_token", "this link is not valid");
        resp->http_status = 303;
        resp->content_type = "application/json";
        mp_buf_lit(&resp->body, "{\"see\":\"/unsubscribe.html\"}");
        return MP_OK;
    }
    enum mp_notify_stopped what;
    int64_t report_id = 0;
    if ((rc = mp_notify_unsubscribe(ctx, token, &what, &report_id, err)))
        return rc;
    resp->content_type = "application/json";
    if (what == MP_NOTIFY_STOPPED_REPORT)
        mp_buf_printf(&resp->body, "{\"stopped\":\"report\",\"report_id\":%lld}",
                      (long long)report_id);
    else if (what == MP_NOTIFY_STOPPED_ALERT)
        mp_buf_printf(&resp->body, "{\"stopped\":\"alert\",\"alert_id\":%lld}",
                      (long long)report_id);
    else
        mp_buf_lit(&resp->body, "{\"stopped\":\"address\"}");
    return mp_buf_status(&resp->body);
}

/* ---- "my reports" ---- */

enum mp_status mp_api_notify_signin(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    static const char *const keys[] = {"email", NULL};
    json_t *body = NULL;
    const char *email = NULL;
    char lang[MP_LANG_MAX];
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = str_field(body, "email", &email, err)))
        goto out;
    mp_notify_lang_from_header(mp_req_header(req, "Accept-Language"), lang, sizeof lang);
    (void)app;
    if ((rc = mp_notify_signin_request(ctx, email, lang, err)))
        goto out;
    /* The same answer whether or not the address reported anything. */
    resp->http_status = 202;
    resp->content_type = "application/json";
    mp_buf_lit(&resp->body, "{\"sent\":true}");
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}

enum mp_status mp_api_notify_session(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)app;
    static const char *const keys[] = {"token", NULL};
    json_t *body = NULL;
    const char *token = NULL;
    char session[MP_TOKEN_LEN];
    int64_t expires = 0;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = str_field(body, "token", &token, err)) ||
        (rc = mp_notify_session_open(ctx, token, session, sizeof session, &expires, err)))
        goto out;
    resp->content_type = "application/json";
    resp->cache = "no-store";
    mp_buf_lit(&resp->body, "{\"session\":");
    mp_json_str(&resp->body, session);
    mp_buf_lit(&resp->body, ",\"expires_at\":");
    mp_json_time(&resp->body, expires);
    mp_buf_addc(&resp->body, '}');
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}

struct mine {
    struct mp_buf *b;
    const struct mp_city *city;
    size_t n;
};

static int mine_row(void *p, const struct mp_notify_mine_row *r)
{
    struct mine *m = p;
    struct mp_buf *b = m->b;
    if (m->n++)
        mp_buf_addc(b, ',');
    mp_buf_printf(b, "{\"id\":%lld,\"cluster_id\":%lld,\"category\":", (long long)r->report_id,
                  (long long)r->cluster_id);
    mp_json_str(b, r->category);
    mp_buf_lit(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_lit(b, ",\"location\":");
    mp_json_str(b, r->location && r->location[0] ? r->location : r->address);
    mp_buf_lit(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_lit(b, ",\"updated_at\":");
    mp_json_time(b, r->updated_at);
    mp_buf_printf(b, ",\"url\":\"/r/%lld\",\"mail\":", (long long)r->report_id);
    mp_json_bool(b, r->subscribed);
    mp_buf_addc(b, '}');
    return 0;
}

enum mp_status mp_api_notify_mine(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    struct mine m = {&resp->body, app->city, 0};
    enum mp_status rc;
    if ((rc = no_params(req, err)))
        return rc;
    mp_buf_lit(&resp->body, "{\"reports\":[");
    if ((rc = mp_notify_mine(ctx, mp_req_header(req, SESSION_HEADER), mine_row, &m, err)))
        return rc;
    mp_buf_lit(&resp->body, "]}");
    resp->content_type = "application/json";
    resp->cache = "no-store";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_notify_stop(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)app;
    static const char *const keys[] = {"report_id", "all", NULL};
    json_t *body = NULL;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = mp_api_json_object(req, keys, &body, err)))
        goto out;
    const json_t *id = json_object_get(body, "report_id"), *all = json_object_get(body, "all");
    if ((id && !json_is_integer(id)) || (all && !json_is_true(all)) || (!id == !all) ||
        (id && json_integer_value(id) <= 0)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field",
                     "give report_id (one of your reports) or all: true");
        goto out;
    }
    int64_t report = id ? json_integer_value(id) : 0;
    if ((rc = mp_notify_mine_stop(ctx, mp_req_header(req, SESSION_HEADER), report, err)))
        goto out;
    resp->content_type = "application/json";
    if (report)
        mp_buf_printf(&resp->body, "{\"stopped\":\"report\",\"report_id\":%lld}",
                      (long long)report);
    else
        mp_buf_lit(&resp->body, "{\"stopped\":\"address\"}");
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}

/* ---- the satisfaction check ---- */

/* The pack's reasons for an answer, in the page's language. */
static void reasons_json(const struct mp_mail_pack *pack, bool satisfied, const char *lang,
                         struct mp_buf *b)
{
    size_t n = 0, k = 0;
    const struct mp_kto_reason *r = mp_mail_pack_reasons(pack, &n);
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (r[i].satisfied != satisfied)
            continue;
        if (k++)
            mp_buf_addc(b, ',');
        mp_buf_lit(b, "{\"code\":");
        mp_json_str(b, r[i].code);
        mp_buf_lit(b, ",\"name\":");
        mp_json_str(b, mp_mail_pack_reason_name(pack, r[i].code, lang));
        mp_buf_lit(b, ",\"reopen\":");
        mp_json_bool(b, r[i].reopen);
        mp_buf_addc(b, '}');
    }
    mp_buf_addc(b, ']');
}

static enum mp_status need_pack(const struct mp_app *app, struct mp_error *err)
{
    return app->mail ? MP_OK
                     : mp_fail(err, MP_EUNAVAIL, "unavailable",
                               "the satisfaction check is not available here");
}

enum mp_status mp_api_kto_answer(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    static const char *const keys[] = {"token", "satisfied", NULL};
    json_t *body = NULL;
    const char *token = NULL;
    char form[MP_TOKEN_LEN], langs[MP_LANG_MAX];
    struct mp_kto_answered a;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_pack(app, err)) ||
        (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = str_field(body, "token", &token, err)))
        goto out;
    const json_t *sat = json_object_get(body, "satisfied");
    if (!json_is_boolean(sat)) {
        rc = mp_fail(err, MP_EINVAL, sat ? "invalid_field" : "missing_field",
                     "satisfied must be true or false");
        goto out;
    }
    if ((rc = mp_kto_answer(ctx, token, json_is_true(sat), form, sizeof form, &a, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    resp->content_type = "application/json";
    resp->cache = "no-store";
    mp_buf_printf(b,
                  "{\"answer_id\":%lld,\"report_id\":%lld,\"report_url\":\"/r/%lld\","
                  "\"satisfied\":",
                  (long long)a.answer_id, (long long)a.report_id, (long long)a.report_id);
    mp_json_bool(b, a.satisfied);
    mp_buf_lit(b, ",\"form_token\":");
    mp_json_str(b, form);
    mp_buf_lit(b, ",\"form_expires_at\":");
    mp_json_time(b, a.form_expires_at);
    mp_buf_lit(b, ",\"reasons\":");
    reasons_json(app->mail, a.satisfied, lang_of(app, req, langs, sizeof langs), b);
    mp_buf_addc(b, '}');
    rc = mp_buf_status(b);
out:
    json_decref(body);
    return rc;
}

/* Split a comma list in place: up to cap items. */
static enum mp_status split(char *s, const char **items, size_t cap, size_t *n,
                            struct mp_error *err)
{
    char *save = NULL;
    *n = 0;
    for (char *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == cap)
            return mp_fail(err, MP_EINVAL, "invalid_field", "at most %zu reasons", cap);
        items[(*n)++] = tok;
    }
    return MP_OK;
}

enum mp_status mp_api_kto_details(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    static const char *const keys[] = {"form_token", "reasons", "text", NULL};
    json_t *body = NULL;
    char *list = NULL, langs[MP_LANG_MAX];
    const char *reasons[MP_KTO_REASONS_MAX + 1];
    struct mp_kto_details d = {.reasons = reasons};
    const char *token = NULL;
    struct mp_kto_result res;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_pack(app, err)))
        goto out;
    d.lang = lang_of(app, req, langs, sizeof langs);
    if (req->form) {
        const struct mp_form *f = req->form;
        for (size_t i = 0; i < f->n; i++) {
            const char *nm = f->fields[i].name;
            if (strcmp(nm, "form_token") && strcmp(nm, "reasons") && strcmp(nm, "text") &&
                strcmp(nm, "photo")) {
                rc = mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", nm);
                goto out;
            }
        }
        const struct mp_form_field *t = mp_form_get(f, "form_token"),
                                   *r = mp_form_get(f, "reasons"), *x = mp_form_get(f, "text"),
                                   *p = mp_form_get(f, "photo");
        token = t ? t->value.data : NULL;
        d.text = x && x->value.len ? x->value.data : NULL;
        if (p && p->value.len) {
            d.photo = (const unsigned char *)p->value.data;
            d.photo_len = p->value.len;
        }
        if (r && r->value.len) {
            if (!(list = strdup(r->value.data))) {
                rc = MP_ENOMEM;
                goto out;
            }
            if ((rc = split(list, reasons, MP_KTO_REASONS_MAX + 1, &d.nreasons, err)))
                goto out;
        }
    } else {
        if ((rc = mp_api_json_object(req, keys, &body, err)) ||
            (rc = str_field(body, "form_token", &token, err)))
            goto out;
        const json_t *r = json_object_get(body, "reasons"), *x = json_object_get(body, "text"), *e;
        size_t i;
        if ((r && !json_is_array(r)) || (x && !json_is_string(x) && !json_is_null(x))) {
            rc = mp_fail(err, MP_EINVAL, "invalid_field",
                         "reasons must be a list of codes and text a string");
            goto out;
        }
        json_array_foreach(r, i, e)
        {
            if (!json_is_string(e) || d.nreasons > MP_KTO_REASONS_MAX) {
                rc = mp_fail(err, MP_EINVAL, "invalid_field",
                             "reasons must be a list of at most %d codes", MP_KTO_REASONS_MAX);
                goto out;
            }
            reasons[d.nreasons++] = json_string_value(e);
        }
        d.text = json_string_value(x);
    }
    if (!token) {
        rc = mp_fail(err, MP_EINVAL, "missing_field", "form_token is required");
        goto out;
    }
    if ((rc = mp_kto_detail(ctx, app->mail, token, &d, &res, err)))
        goto out;
    resp->content_type = "application/json";
    mp_buf_printf(&resp->body,
                  "{\"report_id\":%lld,\"reopen_requested\":", (long long)res.report_id);
    mp_json_bool(&resp->body, res.reopen_requested);
    mp_buf_lit(&resp->body, ",\"status\":");
    mp_json_str(&resp->body, res.status[0] ? res.status : NULL);
    mp_buf_addc(&resp->body, '}');
    rc = mp_buf_status(&resp->body);
out:
    free(list);
    json_decref(body);
    return rc;
}

/* ---- staff: the answers ---- */

static int answer_row(void *p, const struct mp_kto_row *k)
{
    struct mine *m = p;
    struct mp_buf *b = m->b;
    if (m->n++)
        mp_buf_addc(b, ',');
    mp_buf_printf(b, "{\"id\":%lld,\"report_id\":%lld,\"satisfied\":", (long long)k->id,
                  (long long)k->report_id);
    mp_json_bool(b, k->satisfied);
    mp_buf_lit(b, ",\"fixed_at\":");
    mp_json_time(b, k->fixed_at);
    mp_buf_lit(b, ",\"answered_at\":");
    mp_json_time(b, k->created_at);
    mp_buf_lit(b, ",\"reasons\":");
    if (k->reasons)
        mp_buf_adds(b, k->reasons); /* JSON written by kto.c */
    else
        mp_buf_lit(b, "[]");
    mp_buf_lit(b, ",\"text\":");
    mp_json_str(b, k->text);
    if (k->has_photo)
        mp_buf_printf(b, ",\"photo\":\"/api/v1/feedback/%lld/photo\"", (long long)k->id);
    else
        mp_buf_lit(b, ",\"photo\":null");
    mp_buf_addc(b, '}');
    return 0;
}

enum mp_status mp_api_kto_list(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                               struct mp_response *resp, struct mp_error *err)
{
    struct mp_principal who;
    struct mine m = {&resp->body, app->city, 0};
    enum mp_status rc;
    if ((rc = no_params(req, err)) ||
        (rc = mp_api_need_role(ctx, req, MP_ROLE_DISPATCHER, &who, err)))
        return rc;
    mp_buf_printf(&resp->body, "{\"cluster_id\":%lld,\"answers\":[", (long long)req->path_id);
    if ((rc = mp_kto_list(ctx, &who, req->path_id, answer_row, &m, err)))
        return rc;
    mp_buf_lit(&resp->body, "]}");
    resp->content_type = "application/json";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_kto_photo(struct mp_app *app, struct mp_ctx *ctx,
                                const struct mp_request *req, struct mp_response *resp,
                                struct mp_error *err)
{
    (void)app;
    struct mp_principal who;
    void *data = NULL;
    size_t len = 0;
    enum mp_status rc;
    if ((rc = no_params(req, err)) ||
        (rc = mp_api_need_role(ctx, req, MP_ROLE_DISPATCHER, &who, err)) ||
        (rc = mp_kto_photo(ctx, &who, req->path_id,
                           req->path_rest && strcmp(req->path_rest, "thumb") == 0, &data, &len,
                           err)))
        return rc;
    mp_buf_add(&resp->body, data, len);
    free(data);
    resp->content_type = "image/jpeg";
    resp->cache = "private, max-age=3600";
    return mp_buf_status(&resp->body);
}

/* ---- admin: the outbox ---- */

static int message_row(void *p, const struct mp_outbox_row *r)
{
    struct mine *m = p;
    struct mp_buf *b = m->b;
    char masked[MP_EMAIL_MAX];
    if (m->n++)
        mp_buf_addc(b, ',');
    mp_outbox_mask(r->rcpt, masked, sizeof masked);
    mp_buf_printf(b, "{\"id\":%lld,\"state\":", (long long)r->id);
    mp_json_str(b, r->state);
    mp_buf_lit(b, ",\"kind\":");
    mp_json_str(b, r->kind);
    mp_buf_lit(b, ",\"channel\":");
    mp_json_str(b, r->channel);
    mp_buf_lit(b, ",\"to\":");
    mp_json_str(b, r->rcpt ? masked : NULL);
    mp_buf_printf(b,
                  ",\"report_id\":%lld,\"cluster_id\":%lld,\"event_id\":", (long long)r->report_id,
                  (long long)r->cluster_id);
    mp_json_str(b, r->event_uid);
    mp_buf_lit(b, ",\"message_key\":");
    mp_json_str(b, r->msg_key);
    mp_buf_lit(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_lit(b, ",\"next_at\":");
    if (strcmp(r->state, MP_OUTBOX_QUEUED) == 0)
        mp_json_time(b, r->next_at);
    else
        mp_buf_lit(b, "null");
    mp_buf_lit(b, ",\"sent_at\":");
    if (r->sent_at)
        mp_json_time(b, r->sent_at);
    else
        mp_buf_lit(b, "null");
    mp_buf_printf(b, ",\"attempts\":%lld,\"last_error\":", (long long)r->attempts);
    mp_json_str(b, r->last_error);
    mp_buf_addc(b, '}');
    return 0;
}

static int count_row(void *p, const char *state, int64_t n)
{
    struct mine *m = p;
    if (m->n++)
        mp_buf_addc(m->b, ',');
    mp_json_str(m->b, state);
    mp_buf_printf(m->b, ":%lld", (long long)n);
    return 0;
}

static enum mp_status need_admin(struct mp_ctx *ctx, const struct mp_request *req,
                                 struct mp_error *err)
{
    struct mp_principal who;
    enum mp_status rc = mp_api_need_role(ctx, req, MP_ROLE_ADMIN, &who, err);
    if (rc == MP_EFORBIDDEN)
        return mp_fail(err, rc, "forbidden", "only admins may see the outbox");
    /* Tenancy: the outbox holds every municipality's mail and mail of none
     * (sign-in links, digests). */
    return rc ? rc : mp_scope_region_only(&who, "the outbox", err);
}

enum mp_status mp_api_outbox_list(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    static const char *const allowed[] = {"state", "limit", "before", NULL};
    struct mine m = {&resp->body, app->city, 0};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = need_admin(ctx, req, err)))
        return rc;
    const char *state = mp_req_query(req, "state"), *lim = mp_req_query(req, "limit"),
               *bef = mp_req_query(req, "before");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : 100;
    if (lim && (end == lim || *end))
        limit = -1;
    long long before = bef ? strtoll(bef, &end, 10) : 0;
    if (bef && (end == bef || *end || before <= 0))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "before must be a message id");
    mp_buf_lit(&resp->body, "{\"counts\":{");
    if ((rc = mp_outbox_counts(ctx, count_row, &m, err)))
        return rc;
    mp_buf_lit(&resp->body, "},\"messages\":[");
    m.n = 0;
    if ((rc = mp_outbox_list(ctx, state, before, limit > 0 ? (size_t)limit : 0, message_row, &m,
                             err)))
        return rc;
    mp_buf_lit(&resp->body, "]}");
    resp->content_type = "application/json";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_outbox_get(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    struct mine m = {&resp->body, app->city, 0};
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)) ||
        (rc = mp_outbox_get(ctx, req->path_id, message_row, &m, err)))
        return rc;
    resp->content_type = "application/json";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_outbox_retry(struct mp_app *app, struct mp_ctx *ctx,
                                   const struct mp_request *req, struct mp_response *resp,
                                   struct mp_error *err)
{
    (void)app;
    int64_t n = 0;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)) ||
        (rc = mp_outbox_retry(ctx, req->path_id, &n, err)))
        return rc;
    resp->content_type = "application/json";
    mp_buf_printf(&resp->body, "{\"queued\":%lld}", (long long)n);
    return mp_buf_status(&resp->body);
}
