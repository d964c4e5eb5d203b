/* api_corrections.c - staff corrections of duplicate folding:
 * POST /api/v1/clusters/{id}/merge {"into": ID, "reason": TEXT?}
 * POST /api/v1/merges/{id}/undo
 * GET  /api/v1/staff/clusters/{id}/merge-candidates
 * POST /api/v1/reports/{id}/move   {"to": ID | null}
 * Dispatchers and admins only; every correction is audited. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/corrections.h"
#include "meldpunt/timeutil.h"

/* The body: a JSON object with no keys but key and (when not NULL) key2. */
static enum mp_status body_object(const struct mp_request *req, const char *key,
                                  const char *key2, json_t **out, struct mp_error *err)
{
    json_error_t je;
    if (!mp_api_media_is(req, "application/json"))
        return mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type", "send application/json");
    *out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!*out)
        return mp_fail(err, MP_EINVAL, "invalid_json", "malformed JSON: %.100s", je.text);
    const char *k;
    json_t *v;
    if (!json_is_object(*out))
        return mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object");
    json_object_foreach(*out, k, v)
    {
        if (strcmp(k, key) != 0 && (!key2 || strcmp(k, key2) != 0))
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", k);
    }
    return MP_OK;
}

/* Both corrections begin alike: a dispatcher or admin (mp_auth_bearer never
 * answers forbidden itself, so the text below is ours to give), then the
 * body, an object with the one key. */
static enum mp_status dispatcher(struct mp_ctx *ctx, const struct mp_request *req,
                                 struct mp_principal *who, struct mp_error *err)
{
    enum mp_status rc = mp_api_need_role(ctx, req, MP_ROLE_DISPATCHER, who, err);
    if (rc == MP_EFORBIDDEN)
        return mp_fail(err, rc, "forbidden",
                       "only dispatchers and admins may correct duplicate folding");
    return rc;
}

static enum mp_status begin(struct mp_ctx *ctx, const struct mp_request *req, const char *key,
                            const char *key2, struct mp_principal *who, json_t **body,
                            struct mp_error *err)
{
    enum mp_status rc = dispatcher(ctx, req, who, err);
    return rc ? rc : body_object(req, key, key2, body, err);
}

/* {"id":..,"report_count":..,"status":..,"coordinates":[..]} of a cluster state. */
static void cluster_brief(struct mp_buf *b, const struct mp_cluster_state *st)
{
    mp_buf_printf(b, "{\"id\":%lld,\"report_count\":%lld,\"status\":", (long long)st->id,
                  (long long)st->report_count);
    mp_json_str(b, st->status);
    mp_buf_adds(b, ",\"coordinates\":");
    mp_json_coord(b, st->lon, st->lat);
    mp_buf_addc(b, '}');
}

/* {"<key>":<id>,"cluster":{...}: the answer to the corrections, left open
 * for a merge's own members. */
static void answer_open(struct mp_response *resp, const char *key, int64_t id,
                        const struct mp_correction_result *res)
{
    struct mp_buf *b = &resp->body;
    mp_buf_printf(b, "{\"%s\":%lld,\"cluster\":", key, (long long)id);
    if (res->have_state)
        cluster_brief(b, &res->state);
    else
        mp_buf_printf(b, "{\"id\":%lld}", (long long)res->cluster_id);
    resp->content_type = "application/json";
}

static void answer(struct mp_response *resp, const char *key, int64_t id,
                   const struct mp_correction_result *res)
{
    answer_open(resp, key, id, res);
    mp_buf_addc(&resp->body, '}');
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
    if ((rc = begin(ctx, req, "into", "reason", &who, &body, err)))
        goto out;
    const json_t *into = json_object_get(body, "into"), *reason = json_object_get(body, "reason");
    if (!json_is_integer(into) || json_integer_value(into) <= 0) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "into must be a cluster id");
        goto out;
    }
    if (reason && !json_is_null(reason) && !json_is_string(reason)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "reason must be text or null");
        goto out;
    }
    if ((rc = mp_corrections_merge(ctx, &who, req->path_id, json_integer_value(into),
                                   json_string_value(reason), &res, err)))
        goto out;
    answer_open(resp, "merged", req->path_id, &res);
    mp_buf_printf(&resp->body, ",\"merge_id\":%lld,\"distance_m\":", (long long)res.merge_id);
    mp_json_num(&resp->body, res.distance_m, 1);
    mp_buf_adds(&resp->body, ",\"limit_m\":");
    mp_json_num(&resp->body, res.limit_m, 1);
    mp_buf_addc(&resp->body, '}');
out:
    json_decref(body);
    return rc;
}

enum mp_status mp_api_merge_undo(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    (void)app;
    struct mp_principal who;
    struct mp_correction_result res;
    enum mp_status rc;
    /* No body to read: an empty one, or an empty object, is fine. */
    if ((rc = dispatcher(ctx, req, &who, err)))
        return rc;
    if (req->body_len && !(req->body_len == 2 && memcmp(req->body, "{}", 2) == 0))
        return mp_fail(err, MP_EINVAL, "invalid_json", "the undo takes no body (or {})");
    if ((rc = mp_corrections_unmerge(ctx, &who, req->path_id, &res, err)))
        return rc;
    answer(resp, "undone", req->path_id, &res);
    return MP_OK;
}

/* ---- GET /api/v1/staff/clusters/{id}/merge-candidates ---- */

static void candidate_json(struct mp_buf *b, const struct mp_cluster_state *st, double distance,
                           bool within, int64_t now)
{
    mp_buf_printf(b, "{\"cluster_id\":%lld,\"status\":", (long long)st->id);
    mp_json_str(b, st->status);
    mp_buf_printf(b, ",\"report_count\":%lld,\"location\":", (long long)st->report_count);
    mp_json_str(b, st->location[0] ? st->location : NULL);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, st->district[0] ? st->district : NULL);
    mp_buf_adds(b, ",\"first_at\":");
    mp_json_time(b, st->first_at);
    mp_buf_adds(b, ",\"age_days\":");
    mp_json_num(b, (double)(now - st->first_at) / 86400.0, 1);
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, st->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, st->lon, 7);
    if (distance >= 0) {
        mp_buf_adds(b, ",\"distance_m\":");
        mp_json_num(b, distance, 1);
        mp_buf_adds(b, ",\"within_limit\":");
        mp_json_bool(b, within);
    }
    mp_buf_addc(b, '}');
}

enum mp_status mp_api_merge_candidates(struct mp_app *app, struct mp_ctx *ctx,
                                       const struct mp_request *req, struct mp_response *resp,
                                       struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    struct mp_merge_candidates *mc = NULL;
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = dispatcher(ctx, req, &who, err)))
        return rc;
    if (!(mc = malloc(sizeof *mc)))
        return MP_ENOMEM;
    if ((rc = mp_corrections_merge_candidates(ctx, &who, req->path_id, mc, err)))
        goto out;
    int64_t now = mp_time_now();
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"cluster\":");
    candidate_json(b, &mc->self, -1, false, now);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, mc->self.category);
    mp_buf_adds(b, ",\"limit_m\":");
    mp_json_num(b, mc->limit_m, 1);
    mp_buf_adds(b, ",\"search_m\":");
    mp_json_num(b, mc->search_m, 1);
    mp_buf_adds(b, ",\"candidates\":[");
    for (size_t i = 0; i < mc->n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        candidate_json(b, &mc->c[i].st, mc->c[i].distance_m, mc->c[i].within, now);
    }
    mp_buf_adds(b, "]}");
    resp->content_type = "application/json";
    resp->cache = "no-store";
out:
    free(mc);
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
    if ((rc = begin(ctx, req, "to", NULL, &who, &body, err)))
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
