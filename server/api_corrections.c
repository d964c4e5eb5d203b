/* api_corrections.c - staff corrections of duplicate folding:
 * POST /api/v1/clusters/{id}/merge {"into": ID}
 * POST /api/v1/reports/{id}/move   {"to": ID | null}
 * Dispatchers and admins only; every correction is audited. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/corrections.h"

/* The body: a JSON object with exactly the allowed keys. */
static enum mp_status body_object(const struct mp_request *req, const char *key, json_t **out,
                                  struct mp_error *err)
{
    json_error_t je;
    if (!mp_api_media_is(req, "application/json"))
        return mp_fail(err, MP_EUNSUPPORTED, "unsupported_media_type", "send application/json");
    *out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!*out)
        return mp_fail(err, MP_EINVAL, "invalid_json", "malformed JSON: %.100s", je.text);
    const char *k;
    json_t *v;
    if (!json_is_object(*out))
        return mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object");
    json_object_foreach(*out, k, v)
    {
        if (strcmp(k, key) != 0)
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", k);
    }
    return MP_OK;
}

/* Both corrections begin alike: a dispatcher or admin (mp_auth_bearer never
 * answers forbidden itself, so the text below is ours to give), then the
 * body, an object with the one key. */
static enum mp_status begin(struct mp_ctx *ctx, const struct mp_request *req, const char *key,
                            struct mp_principal *who, json_t **body, struct mp_error *err)
{
    enum mp_status rc = mp_api_need_role(ctx, req, MP_ROLE_DISPATCHER, who, err);
    if (rc == MP_EFORBIDDEN)
        return mp_fail(err, rc, "forbidden",
                       "only dispatchers and admins may correct duplicate folding");
    return rc ? rc : body_object(req, key, body, err);
}

/* {"<key>":<id>,"cluster":{...}}: the answer to both corrections. */
static void answer(struct mp_response *resp, const char *key, int64_t id,
                   const struct mp_correction_result *res)
{
    struct mp_buf *b = &resp->body;
    const struct mp_cluster_state *st = &res->state;
    mp_buf_printf(b, "{\"%s\":%lld,\"cluster\":", key, (long long)id);
    if (res->have_state) {
        mp_buf_printf(b, "{\"id\":%lld,\"report_count\":%lld,\"status\":", (long long)st->id,
                      (long long)st->report_count);
        mp_json_str(b, st->status);
        mp_buf_adds(b, ",\"coordinates\":");
        mp_json_coord(b, st->lon, st->lat);
        mp_buf_addc(b, '}');
    } else {
        mp_buf_printf(b, "{\"id\":%lld}", (long long)res->cluster_id);
    }
    mp_buf_addc(b, '}');
    resp->content_type = "application/json";
}

enum mp_status mp_api_cluster_merge(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    (void)app;
    struct mp_principal who;
    struct mp_correction_result res;
    json_t *body = NULL;
    enum mp_status rc;
    if ((rc = begin(ctx, req, "into", &who, &body, err)))
        goto out;
    const json_t *into = json_object_get(body, "into");
    if (!json_is_integer(into) || json_integer_value(into) <= 0) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "into must be a cluster id");
        goto out;
    }
    if ((rc = mp_corrections_merge(ctx, &who, req->path_id, json_integer_value(into), &res, err)))
        goto out;
    answer(resp, "merged", req->path_id, &res);
out:
    json_decref(body);
    return rc;
}

enum mp_status mp_api_report_move(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)app;
    struct mp_principal who;
    struct mp_correction_result res;
    json_t *body = NULL;
    enum mp_status rc;
    int64_t to = 0;
    if ((rc = begin(ctx, req, "to", &who, &body, err)))
        goto out;
    const json_t *v = json_object_get(body, "to");
    if (!v) {
        rc = mp_fail(err, MP_EINVAL, "missing_field",
                     "to is required: a cluster id, or null for a new cluster");
        goto out;
    }
    if (!json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            rc = mp_fail(err, MP_EINVAL, "invalid_field", "to must be a cluster id or null");
            goto out;
        }
        to = json_integer_value(v);
    }
    if ((rc = mp_corrections_move(ctx, &who, req->path_id, to, &res, err)))
        goto out;
    answer(resp, "report_id", req->path_id, &res);
out:
    json_decref(body);
    return rc;
}
