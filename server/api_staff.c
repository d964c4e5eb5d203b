/* api_staff.c - the staff side of the API: who am I, the automation rules,
 * the dispatcher's queue and cluster detail, status changes (with a crew's
 * photo), assignment, and the crew's worklist in driving order as GeoJSON,
 * CSV or GPX. The handlers decode and check the request, call the domain
 * (workflow.h, assign.h, worklist.h) and encode its answer (worklist_out.h).
 *
 * Every handler here but the automation rules needs a bearer token: 401
 * without a valid one, 403 for a role that may not act. Responses carry
 * private data (contacts, internal notes), so they are never cached. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/assign.h"
#include "meldpunt/auth.h"
#include "meldpunt/automation.h"
#include "meldpunt/automation_cache.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/geom.h"
#include "meldpunt/photo.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "meldpunt/workflow.h"
#include "meldpunt/worklist.h"
#include "meldpunt/worklist_out.h"

#define QUEUE_DEFAULT 100
#define QUEUE_MAX 1000
#define WITHIN_MAX (64 * 1024) /* bytes of GeoJSON in the query string */

/* ---- shared ---- */

/* The prologue of every staff handler: only the query parameters in allowed
 * (NULL: none), and a bearer token of role min or higher (401, 403). */
static enum mp_status staff_request(struct mp_ctx *ctx, const struct mp_request *req,
                                    const char *const *allowed, enum mp_role min,
                                    struct mp_principal *who, struct mp_error *err)
{
    static const char *const none[] = {NULL};
    enum mp_status rc = mp_api_check_params(req, allowed ? allowed : none, err);
    return rc ? rc : mp_api_need_role(ctx, req, min, who, err);
}

static enum mp_status load_rules(struct mp_app *app, struct mp_automation **a,
                                 struct mp_error *err)
{
    struct mp_error e;
    /* From the app's cache, which reads the file again when it changed: an
     * edited rules file takes effect without a restart. A broken file keeps
     * staff out of nothing but the automation: it is reported, not guessed
     * around. */
    if (mp_automation_cache_get(app->rules, app->city, a, &e) != MP_OK) {
        fprintf(stderr, "meldpunt: %s\n", e.text);
        return mp_fail(err, MP_EUNAVAIL, "automation_invalid",
                       "the city pack's automation rules cannot be read: %.100s", e.text);
    }
    return MP_OK;
}

/* category= and status= of the queue and the worklist; statuses default to
 * def. Strings borrow from *scratch (caller frees). */
static enum mp_status parse_lists(struct mp_app *app, const struct mp_request *req,
                                  struct mp_work_query *q, const char *const *def, size_t ndef,
                                  bool open_only, char **scratch, struct mp_error *err)
{
    enum mp_status rc;
    const char *cat = mp_req_query(req, "category"), *st = mp_req_query(req, "status");
    size_t cl = cat ? strlen(cat) + 1 : 0, sl = st ? strlen(st) + 1 : 0;
    *scratch = NULL;
    if (cl + sl && !(*scratch = malloc(cl + sl)))
        return MP_ENOMEM;
    if (cat && (rc = mp_api_parse_categories(app, memcpy(*scratch, cat, cl), q->categories,
                                             &q->ncategories, err)))
        return rc;
    if (st) {
        const char *items[MP_QUERY_MAX_LIST];
        size_t n;
        if ((rc = mp_api_split_list(memcpy(*scratch + cl, st, sl), items, &n, "status", err)))
            return rc;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(items[i], "open") == 0) {
                q->nstatuses += mp_vocab_status_codes(MP_VOCAB_OPEN, q->statuses + q->nstatuses,
                                                      MP_QUERY_MAX_LIST - q->nstatuses);
                continue;
            }
            if (!mp_cluster_status_valid(items[i]))
                return mp_fail(err, MP_EINVAL, "invalid_parameter", "unknown status '%.24s'",
                               items[i]);
            if (open_only && !mp_cluster_status_open(items[i]))
                return mp_fail(err, MP_EINVAL, "invalid_parameter",
                               "a worklist holds open jobs only; '%.24s' is not open", items[i]);
            q->statuses[q->nstatuses++] = items[i];
        }
    } else {
        for (size_t k = 0; k < ndef; k++)
            q->statuses[q->nstatuses++] = def[k];
    }
    return mp_api_parse_district(app, req, &q->district, err);
}

static enum mp_status parse_department(const struct mp_request *req, const char **out,
                                       struct mp_error *err)
{
    const char *v = mp_req_query(req, "department");
    *out = NULL;
    if (!v)
        return MP_OK;
    if (!mp_automation_department_ok(v))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "department must be a code such as 'streets' (a-z, 0-9, '-', '_')");
    *out = v;
    return MP_OK;
}

/* Staff answers carry contacts and internal notes: JSON that no cache keeps. */
static void private_json(struct mp_response *resp)
{
    resp->content_type = "application/json";
    resp->cache = "no-store";
}

/* ---- GET /api/v1/me ---- */

enum mp_status mp_api_me(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                         struct mp_response *resp, struct mp_error *err)
{
    (void)app;
    struct mp_principal who;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_CLIENT, &who, err)))
        return rc;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"name\":");
    mp_json_str(b, who.name);
    mp_buf_adds(b, ",\"role\":");
    mp_json_str(b, mp_role_name(who.role));
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, who.department[0] ? who.department : NULL);
    /* Tenancy: the municipalities this account works for (null: all). */
    mp_buf_adds(b, ",\"region_wide\":");
    mp_buf_adds(b, who.region_wide ? "true" : "false");
    mp_buf_adds(b, ",\"municipalities\":");
    if (who.region_wide) {
        mp_buf_adds(b, "null");
    } else {
        mp_buf_addc(b, '[');
        for (size_t i = 0; i < who.nmunicipalities; i++) {
            if (i)
                mp_buf_addc(b, ',');
            mp_json_str(b, who.municipalities[i]);
        }
        mp_buf_addc(b, ']');
    }
    mp_buf_addc(b, '}');
    private_json(resp);
    return MP_OK;
}

/* ---- GET /api/v1/automation, /api/v1/automation/evaluate ---- */

enum mp_status mp_api_automation(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    (void)ctx;
    static const char *const allowed[] = {NULL};
    struct mp_automation *a = NULL;
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = load_rules(app, &a, err)))
        return rc;
    mp_automation_json(a, app->city, &resp->body);
    mp_automation_free(a);
    resp->content_type = "application/json";
    resp->cache = "no-cache";
    return MP_OK;
}

static enum mp_status query_int(const struct mp_request *req, const char *name, long long lo,
                                long long hi, long long dflt, long long *out,
                                struct mp_error *err)
{
    const char *v = mp_req_query(req, name);
    *out = dflt;
    if (!v)
        return MP_OK;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s must be a whole number %lld-%lld",
                       name, lo, hi);
    *out = n;
    return MP_OK;
}

static enum mp_status query_coord(const struct mp_request *req, const char *name, double *out,
                                  bool *has, struct mp_error *err)
{
    const char *v = mp_req_query(req, name);
    *has = false;
    if (!v)
        return MP_OK;
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (!*v || *end || errno || !isfinite(d))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s must be a number", name);
    *out = d;
    *has = true;
    return MP_OK;
}

/* What the rules would do with a cluster of this category, place, size and
 * age: the automation made testable without creating reports. */
enum mp_status mp_api_automation_eval(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    (void)ctx;
    static const char *const allowed[] = {"category", "district", "lat", "lon", "reports",
                                          "first_at", "status", "now", NULL};
    struct mp_automation *a = NULL;
    enum mp_status rc;
    double lat = 0, lon = 0;
    bool has_lat, has_lon;
    long long reports;
    int64_t first_at = mp_time_now(), now = mp_time_now();
    if ((rc = mp_api_check_params(req, allowed, err)) ||
        (rc = query_coord(req, "lat", &lat, &has_lat, err)) ||
        (rc = query_coord(req, "lon", &lon, &has_lon, err)) ||
        (rc = query_int(req, "reports", 1, 100000000, 1, &reports, err)))
        return rc;
    const char *code = mp_req_query(req, "category");
    if (!code || !mp_city_category(app->city, code))
        return mp_fail(err, MP_EINVAL, code ? "unknown_category" : "missing_parameter",
                       "category must name a category of GET /api/v1/categories");
    const char *district = mp_req_query(req, "district");
    if (district && !mp_city_district(app->city, district))
        return mp_fail(err, MP_EINVAL, "unknown_district", "unknown district '%.32s'", district);
    if (has_lat != has_lon || (has_lat && district))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "give a district, or lat and lon, not both");
    if (has_lat) {
        if (!mp_geo_valid_lonlat(lon, lat))
            return mp_fail(err, MP_EINVAL, "out_of_range", "lat or lon out of range");
        const struct mp_district *d = mp_city_district_at(app->city, lon, lat);
        district = d ? d->code : NULL;
    }
    const char *v = mp_req_query(req, "first_at");
    if (v && mp_time_parse(v, 0, &first_at) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "first_at must be an ISO 8601 time");
    if ((v = mp_req_query(req, "now")) && mp_time_parse(v, 0, &now) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "now must be an ISO 8601 time");
    const char *status = mp_req_query(req, "status");
    if (status && !mp_cluster_status_valid(status))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "unknown status '%.24s'", status);
    if ((rc = load_rules(app, &a, err)))
        return rc;
    struct mp_automation_input in = {.category = code,
                                     .district = district,
                                     .status = status ? status : "new",
                                     .report_count = reports,
                                     .first_at = first_at};
    struct mp_automation_result ar;
    mp_automation_eval(a, app->city, app->tz, &in, now, &ar);
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"category\":");
    mp_json_str(b, code);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, district);
    mp_buf_adds(b, ",\"reports\":");
    mp_json_int(b, reports);
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, ar.department);
    mp_buf_adds(b, ",\"route_rule\":");
    mp_json_str(b, ar.route_rule);
    mp_buf_adds(b, ",\"priority\":");
    mp_json_int(b, ar.priority);
    mp_buf_adds(b, ",\"priority_rule\":");
    mp_json_str(b, ar.priority_rule);
    mp_buf_adds(b, ",\"service_days\":");
    mp_json_int(b, ar.service_days);
    mp_buf_adds(b, ",\"first_at\":");
    mp_json_time(b, first_at);
    mp_buf_adds(b, ",\"due_at\":");
    mp_json_time(b, ar.due_at);
    mp_buf_adds(b, ",\"now\":");
    mp_json_time(b, now);
    mp_buf_adds(b, ",\"overdue\":");
    mp_json_bool(b, ar.overdue);
    mp_buf_addc(b, '}');
    mp_automation_free(a);
    resp->content_type = "application/json";
    resp->cache = "no-cache";
    return MP_OK;
}

/* ---- GET /api/v1/staff/queue ---- */

enum mp_status mp_api_staff_queue(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    static const char *const allowed[] = {"category", "status", "district", "department",
                                          "limit", "municipality", NULL};
    static const char *const incoming[] = {"new", "reopened"};
    struct mp_principal who;
    struct mp_job_filter f;
    struct mp_job_list l;
    struct mp_automation *a = NULL;
    char *scratch = NULL;
    long long limit;
    enum mp_status rc;
    memset(&f, 0, sizeof f);
    memset(&l, 0, sizeof l);
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_DISPATCHER, &who, err)) ||
        (rc = parse_lists(app, req, &f.q, incoming, 2, false, &scratch, err)) ||
        (rc = parse_department(req, &f.department, err)) ||
        (rc = query_int(req, "limit", 1, QUEUE_MAX, QUEUE_DEFAULT, &limit, err)) ||
        (rc = load_rules(app, &a, err)))
        goto out;
    int64_t now = mp_time_now();
    f.who = &who;
    f.municipality = mp_req_query(req, "municipality");
    if ((rc = mp_worklist_jobs(ctx, a, &f, (size_t)limit, now, &l, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"clusters\":[");
    for (size_t i = 0; i < l.n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_buf_addc(b, '{');
        mp_worklist_out_job(b, app->city, &who, &l.jobs[i], now);
        mp_buf_addc(b, '}');
    }
    mp_buf_printf(b, "],\"count\":%zu,\"total\":%zu}", l.n, l.total);
    private_json(resp);
out:
    mp_worklist_jobs_free(&l);
    free(scratch);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/clusters/{id} ---- */

enum mp_status mp_api_staff_cluster(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    struct mp_principal who;
    struct mp_automation *a = NULL;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_CREW, &who, err)) ||
        (rc = load_rules(app, &a, err)))
        goto out;
    struct mp_worklist_view_out v = {
        .b = &resp->body, .city = app->city, .who = &who, .now = mp_time_now()};
    if ((rc = mp_workflow_view(ctx, a, &who, req->path_id, v.now, &mp_worklist_out_view_cbs,
                               &v, err)))
        goto out;
    mp_worklist_out_view_end(&v);
    private_json(resp);
out:
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/crews ---- */

struct crews_out {
    struct mp_buf *b;
    size_t n;
};

static int crew_row(void *p, const struct mp_user_row *u)
{
    struct crews_out *c = p;
    if (c->n++)
        mp_buf_addc(c->b, ',');
    mp_buf_adds(c->b, "{\"name\":");
    mp_json_str(c->b, u->name);
    mp_buf_adds(c->b, ",\"department\":");
    mp_json_str(c->b, u->department);
    mp_buf_adds(c->b, ",\"disabled\":");
    mp_json_bool(c->b, u->disabled);
    mp_buf_addc(c->b, '}');
    return 0;
}

enum mp_status mp_api_staff_crews(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    struct mp_principal who;
    struct mp_automation *a = NULL;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_DISPATCHER, &who, err)) ||
        (rc = load_rules(app, &a, err)))
        return rc;
    struct mp_buf *b = &resp->body;
    struct crews_out c = {b, 0};
    mp_buf_adds(b, "{\"crews\":[");
    if ((rc = mp_assign_crews(ctx, &who, crew_row, &c, err))) {
        mp_automation_free(a);
        return rc;
    }
    mp_buf_adds(b, "],\"departments\":[");
    const char *depts[128];
    size_t n = mp_automation_departments(a, app->city, depts, 128);
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, depts[i]);
    }
    mp_buf_adds(b, "]}");
    mp_automation_free(a);
    private_json(resp);
    return MP_OK;
}

/* ---- POST /api/v1/clusters/{id}/status ---- */

static bool truthy(const char *s, size_t len)
{
    return (len == 4 && strncmp(s, "true", 4) == 0) || (len == 1 && s[0] == '1') ||
           (len == 2 && strncmp(s, "on", 2) == 0) || (len == 3 && strncmp(s, "yes", 3) == 0);
}

enum mp_status mp_api_cluster_status(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    struct mp_principal who;
    struct mp_automation *a = NULL;
    json_t *body = NULL;
    struct mp_photo photo;
    struct mp_photo_rec photo_rec;
    struct mp_workflow_request rq;
    struct mp_workflow_result res;
    char status[MP_STATUS_MAXLEN] = "";
    char *note = NULL;
    enum mp_status rc;
    memset(&photo, 0, sizeof photo);
    memset(&rq, 0, sizeof rq);
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_CREW, &who, err)))
        goto out;
    if (req->form) {
        static const char *const known[] = {"status", "note", "note_public", "photo", NULL};
        if (req->form->overflow) {
            rc = mp_fail(err, MP_ETOOBIG, "body_too_large", "too many form fields or one too large");
            goto out;
        }
        for (size_t i = 0; i < req->form->n; i++) {
            bool ok = false;
            for (const char *const *k = known; *k && !ok; k++)
                ok = strcmp(*k, req->form->fields[i].name) == 0;
            if (!ok) {
                rc = mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'",
                             req->form->fields[i].name);
                goto out;
            }
        }
        const struct mp_form_field *f = mp_form_get(req->form, "status");
        if (f && f->value.len < sizeof status && f->value.data)
            memcpy(status, f->value.data, f->value.len + 1);
        else if (f)
            snprintf(status, sizeof status, "?");
        if ((f = mp_form_get(req->form, "note")) && f->value.len &&
            !(note = strndup(f->value.data, f->value.len))) {
            rc = MP_ENOMEM;
            goto out;
        }
        f = mp_form_get(req->form, "note_public");
        rq.note_public = f && f->value.data && truthy(f->value.data, f->value.len);
        f = mp_form_get(req->form, "photo");
        if (f && f->value.len > 0) {
            struct mp_photo_limits lim;
            mp_photo_limits_default(&lim);
            if ((rc = mp_photo_process((const unsigned char *)f->value.data, f->value.len, &lim,
                                       &photo, err)))
                goto out;
            photo_rec = mp_photo_rec_of(&photo);
            rq.photo = &photo_rec;
        }
    } else if (mp_api_media_is(req, "application/json")) {
        json_error_t je;
        const char *key;
        json_t *v;
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(body)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object%s%.80s",
                         body ? "" : ": ", body ? "" : je.text);
            goto out;
        }
        json_object_foreach(body, key, v)
        {
            if (strcmp(key, "status") && strcmp(key, "note") && strcmp(key, "note_public")) {
                rc = mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", key);
                goto out;
            }
        }
        const json_t *s = json_object_get(body, "status"), *n = json_object_get(body, "note"),
                     *np = json_object_get(body, "note_public");
        if (s && !json_is_string(s)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_field", "status must be a string");
            goto out;
        }
        if (n && !json_is_null(n) && !json_is_string(n)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_field", "note must be a string");
            goto out;
        }
        if (np && !json_is_boolean(np)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_field", "note_public must be true or false");
            goto out;
        }
        snprintf(status, sizeof status, "%s", s ? json_string_value(s) : "");
        if (s && strlen(json_string_value(s)) >= sizeof status)
            snprintf(status, sizeof status, "?");
        if (json_is_string(n) && !(note = strdup(json_string_value(n)))) {
            rc = MP_ENOMEM;
            goto out;
        }
        rq.note_public = json_is_true(np);
    } else {
        rc = mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type",
                     "send application/json or multipart/form-data");
        goto out;
    }
    if (!status[0]) {
        rc = mp_fail(err, MP_EINVAL, "missing_field", "status is required");
        goto out;
    }
    if ((rc = load_rules(app, &a, err)))
        goto out;
    rq.cluster_id = req->path_id;
    rq.status = status;
    rq.note = note;
    if ((rc = mp_workflow_change(ctx, a, &who, &rq, &res, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"cluster_id\":");
    mp_json_int(b, req->path_id);
    mp_buf_adds(b, ",\"previous\":");
    mp_json_str(b, res.previous);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, res.status);
    mp_buf_adds(b, ",\"at\":");
    mp_json_time(b, res.at);
    mp_buf_adds(b, ",\"note\":");
    mp_json_str(b, note && note[0] ? (rq.note_public ? "public" : "internal") : NULL);
    mp_buf_adds(b, ",\"photo_id\":");
    if (res.photo_id)
        mp_json_int(b, res.photo_id);
    else
        mp_buf_adds(b, "null");
    mp_buf_addc(b, '}');
    private_json(resp);
out:
    json_decref(body);
    free(note);
    mp_photo_clear(&photo);
    mp_automation_free(a);
    return rc;
}

/* ---- POST /api/v1/clusters/{id}/assign ---- */

/* {"department", "crew", "priority", "due_at"}, each optional and nullable,
 * at least one, into rq (strings borrowed from body). */
static enum mp_status parse_assign(json_t *body, struct mp_assign_request *rq,
                                   struct mp_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "department") && strcmp(key, "crew") && strcmp(key, "priority") &&
            strcmp(key, "due_at"))
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", key);
    }
    if (json_object_size(body) == 0)
        return mp_fail(err, MP_EINVAL, "missing_field",
                       "give at least one of department, crew, priority, due_at");
    const json_t *jd = json_object_get(body, "department"), *jc = json_object_get(body, "crew"),
                 *jp = json_object_get(body, "priority"), *jt = json_object_get(body, "due_at");
    if (jd && !json_is_null(jd) && !mp_automation_department_ok(json_string_value(jd)))
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "department must be a code such as 'streets' (a-z, 0-9, '-', '_') or null");
    if (jc && !json_is_null(jc) &&
        (!json_is_string(jc) || !json_string_length(jc) || json_string_length(jc) > 60))
        return mp_fail(err, MP_EINVAL, "invalid_field", "crew must name a crew account or be null");
    if (jp && !json_is_null(jp) &&
        (!json_is_integer(jp) || json_integer_value(jp) < 1 || json_integer_value(jp) > 3))
        return mp_fail(err, MP_EINVAL, "invalid_field", "priority must be 1, 2, 3 or null");
    if (jt && !json_is_null(jt) &&
        (!json_is_string(jt) || mp_time_parse(json_string_value(jt), 0, &rq->due_at) != MP_OK))
        return mp_fail(err, MP_EINVAL, "invalid_field", "due_at must be an ISO 8601 time or null");
    rq->set_department = jd != NULL;
    rq->department = json_string_value(jd);
    rq->set_crew = jc != NULL;
    rq->crew = json_string_value(jc);
    rq->set_priority = jp != NULL;
    rq->priority = json_is_integer(jp) ? (int)json_integer_value(jp) : 0;
    rq->set_due_at = jt != NULL;
    rq->due_at_text = json_string_value(jt);
    if (!rq->due_at_text)
        rq->due_at = 0;
    return MP_OK;
}

enum mp_status mp_api_cluster_assign(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    struct mp_principal who;
    struct mp_automation *a = NULL;
    struct mp_assign_request rq = {.cluster_id = req->path_id};
    struct mp_job j;
    json_t *body = NULL;
    json_error_t je;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_DISPATCHER, &who, err)))
        goto out;
    if (!mp_api_media_is(req, "application/json")) {
        rc = mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type", "send application/json");
        goto out;
    }
    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(body)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object");
        goto out;
    }
    if ((rc = parse_assign(body, &rq, err)) || (rc = load_rules(app, &a, err)) ||
        (rc = mp_assign_set(ctx, a, &who, &rq, &j, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"cluster\":{");
    mp_worklist_out_job(b, app->city, &who, &j, mp_time_now());
    mp_buf_adds(b, "}}");
    private_json(resp);
out:
    json_decref(body);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/photos/{id} ---- */

enum mp_status mp_api_staff_photo(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    struct mp_principal who;
    struct mp_automation *a = NULL;
    void *data = NULL;
    size_t len = 0;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, NULL, MP_ROLE_CREW, &who, err)) ||
        (rc = load_rules(app, &a, err)))
        goto out;
    bool thumb = req->path_rest && strcmp(req->path_rest, "thumb") == 0;
    if ((rc = mp_workflow_photo(ctx, a, &who, req->path_id, thumb, &data, &len, err)))
        goto out;
    mp_buf_add(&resp->body, data, len);
    resp->content_type = "image/jpeg";
    resp->cache = "private, max-age=3600";
    rc = mp_buf_status(&resp->body);
out:
    free(data);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/worklist ---- */

static enum mp_status parse_within(const char *text, struct mp_multipolygon *mp,
                                   struct mp_error *err)
{
    json_error_t je;
    if (strlen(text) > WITHIN_MAX)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "within is longer than %d bytes",
                       WITHIN_MAX);
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "within must be a GeoJSON Polygon or MultiPolygon: %.80s", je.text);
    const json_t *g = j;
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type && strcmp(type, "Feature") == 0)
        g = json_object_get(j, "geometry");
    enum mp_status rc = mp_multipolygon_from_geojson(g, mp, err);
    json_decref(j);
    if (rc == MP_EINVAL)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "within: %.120s", err->text);
    return rc;
}

static enum mp_status parse_start(const char *v, struct mp_worklist_request *rq,
                                  struct mp_error *err)
{
    char *end = NULL;
    errno = 0;
    double lon = strtod(v, &end);
    if (end == v || *end != ',' || errno)
        goto bad;
    const char *s2 = end + 1;
    double lat = strtod(s2, &end);
    if (end == s2 || *end || errno || !mp_geo_valid_lonlat(lon, lat))
        goto bad;
    rq->has_start = true;
    rq->start_lon = lon;
    rq->start_lat = lat;
    return MP_OK;
bad:
    return mp_fail(err, MP_EINVAL, "invalid_parameter",
                   "start must be lon,lat in degrees, e.g. start=-87.6298,41.8781");
}

/* The area (one of district, bbox, within) and the start of a worklist
 * into rq; the polygon goes into *within (caller frees). */
static enum mp_status parse_area(const struct mp_request *req, struct mp_worklist_request *rq,
                                 struct mp_multipolygon *within, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_work_query *q = &rq->f.q;
    const char *bbox = mp_req_query(req, "bbox"), *w = mp_req_query(req, "within");
    if ((q->district != NULL) + (bbox != NULL) + (w != NULL) > 1)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "give one area: district, bbox or within");
    if (bbox) {
        if ((rc = mp_bbox_parse(bbox, &q->bbox, err)))
            return rc;
        q->has_bbox = true;
    }
    if (w) {
        if ((rc = parse_within(w, within, err)))
            return rc;
        rq->f.within = within;
        q->has_bbox = true;
        q->bbox = within->bbox;
    }
    const char *sv = mp_req_query(req, "start");
    return sv ? parse_start(sv, rq, err) : MP_OK;
}

enum mp_status mp_api_worklist(struct mp_app *app, struct mp_ctx *ctx,
                               const struct mp_request *req, struct mp_response *resp,
                               struct mp_error *err)
{
    static const char *const allowed[] = {"district", "bbox", "within", "department", "category",
                                          "status", "start", "format", "municipality", NULL};
    struct mp_principal who;
    struct mp_worklist_request rq;
    struct mp_worklist w;
    struct mp_multipolygon within;
    struct mp_automation *a = NULL;
    char *scratch = NULL;
    const char *open_statuses[MP_VOCAB_STATUSES_MAX];
    size_t nopen = mp_vocab_status_codes(MP_VOCAB_OPEN, open_statuses, MP_VOCAB_STATUSES_MAX);
    enum mp_status rc;
    memset(&rq, 0, sizeof rq);
    memset(&w, 0, sizeof w);
    memset(&within, 0, sizeof within);
    rq.who = &who;
    rq.f.municipality = mp_req_query(req, "municipality");
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CREW, &who, err)) ||
        (rc = parse_lists(app, req, &rq.f.q, open_statuses, nopen, true, &scratch, err)) ||
        (rc = parse_department(req, &rq.f.department, err)))
        goto out;
    const char *fmt = mp_req_query(req, "format");
    if (!fmt)
        fmt = "geojson";
    if (strcmp(fmt, "geojson") && strcmp(fmt, "csv") && strcmp(fmt, "gpx")) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter", "format must be geojson, csv or gpx");
        goto out;
    }
    if ((rc = mp_worklist_scope(&who, rq.f.department, &rq.f.department, err)) ||
        (rc = parse_area(req, &rq, &within, err)) || (rc = load_rules(app, &a, err)) ||
        (rc = mp_worklist_plan(ctx, a, &rq, mp_time_now(), &w, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    if (strcmp(fmt, "geojson") == 0) {
        mp_worklist_out_geojson(b, app->city, &who, &w);
        resp->content_type = "application/geo+json";
    } else if (strcmp(fmt, "csv") == 0) {
        if ((rc = mp_worklist_out_csv(b, app->city, &w, err)))
            goto out;
        resp->content_type = "text/csv; charset=utf-8";
        snprintf(resp->disposition, sizeof resp->disposition,
                 "attachment; filename=\"worklist.csv\"");
    } else {
        mp_worklist_out_gpx(b, app->city, &w);
        resp->content_type = "application/gpx+xml";
        snprintf(resp->disposition, sizeof resp->disposition,
                 "attachment; filename=\"worklist.gpx\"");
    }
    resp->cache = "no-store";
    rc = mp_buf_status(b);
out:
    mp_worklist_free(&w);
    free(scratch);
    mp_multipolygon_free(&within);
    mp_automation_free(a);
    return rc;
}
