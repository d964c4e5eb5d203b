/* api_webhooks.c - handlers of the webhooks' admin API (api_webhooks.h). */
#include "meldpunt/api_webhooks.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "meldpunt/scope.h"
#include "meldpunt/webhook.h"

#define TYPES_MAX 8

static enum mp_status need_admin(struct mp_ctx *ctx, const struct mp_request *req,
                                 struct mp_error *err)
{
    struct mp_principal who;
    enum mp_status rc = mp_api_need_role(ctx, req, MP_ROLE_ADMIN, &who, err);
    if (rc == MP_EFORBIDDEN)
        return mp_fail(err, rc, "forbidden", "only admins may manage webhooks");
    /* Tenancy: a receiver gets every municipality's events. */
    return rc ? rc : mp_scope_region_only(&who, "webhook configuration", err);
}

static enum mp_status no_params(const struct mp_request *req, struct mp_error *err)
{
    static const char *const none[] = {NULL};
    return mp_api_check_params(req, none, err);
}

/* The receiver without its secret. */
static void hook_json(struct mp_buf *b, const struct mp_webhook_row *w)
{
    mp_buf_printf(b, "{\"id\":%lld,\"url\":", (long long)w->id);
    mp_json_str(b, w->url);
    mp_buf_lit(b, ",\"events\":[");
    for (const char *p = w->events; p && *p;) {
        size_t n = strcspn(p, ",");
        if (p != w->events)
            mp_buf_addc(b, ',');
        mp_json_strn(b, p, n);
        p += n + (p[n] == ',');
    }
    mp_buf_lit(b, "],\"contacts\":");
    mp_json_bool(b, w->contacts);
    mp_buf_lit(b, ",\"created_at\":");
    mp_json_time(b, w->created_at);
    mp_buf_addc(b, '}');
}

struct listing {
    struct mp_buf *b;
    size_t n;
    int64_t only; /* 0: every receiver */
};

static int hook_row(void *p, const struct mp_webhook_row *w)
{
    struct listing *l = p;
    if (l->only && w->id != l->only)
        return 0;
    if (l->n++)
        mp_buf_addc(l->b, ',');
    hook_json(l->b, w);
    return 0;
}

/* Decode {"url","secret","events","contacts"}. */
static enum mp_status decode(const json_t *o, const char **url, const char **secret,
                             const char **types, size_t *n, bool *contacts, struct mp_error *err)
{
    const json_t *u = json_object_get(o, "url"), *s = json_object_get(o, "secret"),
                 *e = json_object_get(o, "events"), *c = json_object_get(o, "contacts");
    if (!json_is_string(u) || !json_is_string(s) || !e)
        return mp_fail(err, MP_EINVAL, "missing_field",
                       "url and secret (strings) and events are required");
    if (!json_is_array(e) || json_array_size(e) > TYPES_MAX)
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "events must be an array of at most %d event types", TYPES_MAX);
    if (c && !json_is_boolean(c))
        return mp_fail(err, MP_EINVAL, "invalid_field", "contacts must be true or false");
    *n = 0;
    for (size_t i = 0; i < json_array_size(e); i++) {
        const json_t *t = json_array_get(e, i);
        if (!json_is_string(t))
            return mp_fail(err, MP_EINVAL, "invalid_field", "events must be strings");
        types[(*n)++] = json_string_value(t);
    }
    *url = json_string_value(u);
    *secret = json_string_value(s);
    *contacts = json_is_true(c);
    return MP_OK;
}

enum mp_status mp_api_webhook_add(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)app;
    static const char *const keys[] = {"url", "secret", "events", "contacts", NULL};
    json_t *body = NULL;
    const char *url = NULL, *secret = NULL, *types[TYPES_MAX];
    size_t n = 0;
    bool contacts = false;
    int64_t id = 0;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)) ||
        (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = decode(body, &url, &secret, types, &n, &contacts, err)) ||
        (rc = mp_webhook_add(ctx, url, secret, types, n, contacts, &id, err)))
        goto out;
    struct listing l = {&resp->body, 0, id};
    if ((rc = mp_webhook_list(ctx, hook_row, &l, err)))
        goto out;
    resp->http_status = 201;
    resp->content_type = "application/json";
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}

enum mp_status mp_api_webhook_list(struct mp_app *app, struct mp_ctx *ctx,
                                   const struct mp_request *req, struct mp_response *resp,
                                   struct mp_error *err)
{
    (void)app;
    struct listing l = {&resp->body, 0, 0};
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)))
        return rc;
    mp_buf_lit(&resp->body, "{\"webhooks\":[");
    if ((rc = mp_webhook_list(ctx, hook_row, &l, err)))
        return rc;
    mp_buf_lit(&resp->body, "],\"event_types\":[");
    size_t nt = 0;
    const char *const *types = mp_webhook_type_list(&nt);
    for (size_t i = 0; i < nt; i++) {
        if (i)
            mp_buf_addc(&resp->body, ',');
        mp_json_str(&resp->body, types[i]);
    }
    mp_buf_lit(&resp->body, "]}");
    resp->content_type = "application/json";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_webhook_delete(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)app;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)) ||
        (rc = mp_webhook_delete(ctx, req->path_id, err)))
        return rc;
    resp->content_type = "application/json";
    mp_buf_printf(&resp->body, "{\"deleted\":%lld}", (long long)req->path_id);
    return mp_buf_status(&resp->body);
}

static int delivery_row(void *p, const struct mp_outbox_row *r)
{
    struct listing *l = p;
    struct mp_buf *b = l->b;
    if (l->n++)
        mp_buf_addc(b, ',');
    mp_buf_printf(b, "{\"id\":%lld,\"state\":", (long long)r->id);
    mp_json_str(b, r->state);
    mp_buf_lit(b, ",\"event_id\":");
    mp_json_str(b, r->event_uid);
    mp_buf_lit(b, ",\"delivery\":");
    mp_json_str(b, r->msg_key);
    mp_buf_printf(b, ",\"report_id\":%lld,\"cluster_id\":%lld,\"attempts\":%lld",
                  (long long)r->report_id, (long long)r->cluster_id, (long long)r->attempts);
    mp_buf_lit(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_lit(b, ",\"next_at\":");
    if (strcmp(r->state, "queued") == 0)
        mp_json_time(b, r->next_at);
    else
        mp_buf_lit(b, "null");
    mp_buf_lit(b, ",\"delivered_at\":");
    if (r->sent_at)
        mp_json_time(b, r->sent_at);
    else
        mp_buf_lit(b, "null");
    mp_buf_lit(b, ",\"last_error\":");
    mp_json_str(b, r->last_error);
    mp_buf_addc(b, '}');
    return 0;
}

enum mp_status mp_api_webhook_deliveries(struct mp_app *app, struct mp_ctx *ctx,
                                         const struct mp_request *req, struct mp_response *resp,
                                         struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {"state", "limit", NULL};
    struct listing l = {&resp->body, 0, 0};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = need_admin(ctx, req, err)))
        return rc;
    const char *lim = mp_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : 100;
    if (lim && (end == lim || *end || limit < 0))
        limit = 0;
    mp_buf_lit(&resp->body, "{\"deliveries\":[");
    if ((rc = mp_webhook_deliveries(ctx, req->path_id, mp_req_query(req, "state"), (size_t)limit,
                                    delivery_row, &l, err)))
        return rc;
    mp_buf_lit(&resp->body, "]}");
    resp->content_type = "application/json";
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_webhook_resend(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)app;
    enum mp_status rc;
    if ((rc = no_params(req, err)) || (rc = need_admin(ctx, req, err)) ||
        (rc = mp_webhook_resend(ctx, req->path_id, err)))
        return rc;
    resp->content_type = "application/json";
    mp_buf_printf(&resp->body, "{\"queued\":%lld}", (long long)req->path_id);
    return mp_buf_status(&resp->body);
}
