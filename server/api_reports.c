/* api_reports.c - /api/v1/reports: list (GeoJSON, paged), create (JSON or
 * multipart with a photo), get one, its photo. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/geojson.h"
#include "meldpunt/ingest.h"
#include "meldpunt/notify.h"
#include "meldpunt/photo.h"
#include "meldpunt/text.h"
#include "meldpunt/report.h"
#include "meldpunt/report_page.h"
#include "meldpunt/scope.h"

/* ---- list ---- */

static int list_row(void *p, const struct mp_report_row *r)
{
    struct mp_api_page *pg = p;
    if (!mp_api_page_take(pg, r->id))
        return 1;
    mp_geojson_report_feature(pg->b, pg->city, r, NULL, NULL);
    return 0;
}

static enum mp_status list_fetch(struct mp_ctx *ctx, const struct mp_query *q,
                                 struct mp_api_page *pg)
{
    return mp_report_list(ctx, q, list_row, pg);
}

/* A feature takes 450-500 bytes; the page is reserved at 512 a feature. */
enum mp_status mp_api_reports_list(struct mp_app *app, struct mp_ctx *ctx,
                                   const struct mp_request *req, struct mp_response *resp,
                                   struct mp_error *err)
{
    return mp_api_paged_list(app, ctx, req, resp, list_fetch, 512, "reports", err);
}

/* ---- get ---- */

struct one_ctx {
    struct mp_buf *b;
    const struct mp_city *city;
    int64_t id;
    struct mp_buf history; /* the entries, written before the report */
    struct mp_report_fix_photo fix;
};

/* The history, and the repair photo when there is one (no member when
 * there is none: the answer as it always was). */
static void history_member(struct mp_buf *b, const void *arg)
{
    const struct one_ctx *oc = arg;
    mp_buf_adds(b, ",\"history\":[");
    mp_buf_add(b, oc->history.data, oc->history.len);
    mp_buf_addc(b, ']');
    if (!oc->fix.present)
        return;
    mp_buf_printf(b, ",\"fix_photo\":{\"url\":\"/api/v1/reports/%lld/fix-photo\","
                     "\"thumb_url\":\"/api/v1/reports/%lld/fix-photo/thumb\",\"at\":",
                  (long long)oc->id, (long long)oc->id);
    mp_json_time(b, oc->fix.at);
    mp_buf_printf(b, ",\"width\":%u,\"height\":%u}", oc->fix.width, oc->fix.height);
}

static int one_row(void *p, const struct mp_report_row *r)
{
    struct one_ctx *oc = p;
    mp_geojson_report_feature(oc->b, oc->city, r, history_member, oc);
    return 0;
}

/* An entry as mp_geojson_history_entry writes it; a merge's own entry
 * also names the other job. */
static int history_row(void *p, const struct mp_history_row *h,
                       const struct mp_lineage_mark *mark)
{
    struct mp_buf *b = &((struct one_ctx *)p)->history;
    if (b->len)
        mp_buf_addc(b, ',');
    if (!mark)
        mp_geojson_history_entry(b, h);
    else
        mp_geojson_history_entry_id(
            b, h, strcmp(mark->event, "unmerged") == 0 ? "unmerged_from" : "merged_with",
            mark->cluster);
    return 0;
}

enum mp_status mp_api_report_get(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    struct one_ctx oc = {&resp->body, app->city, req->path_id, {0}, {0}};
    /* The history is bounded by the body's own bound. */
    mp_buf_init(&oc.history, resp->body.max);
    if ((rc = mp_report_page_view(ctx, req->path_id, history_row, one_row, &oc, &oc.fix,
                                  err)) == MP_OK &&
        oc.history.failed)
        resp->body.failed = true;
    mp_buf_free(&oc.history);
    if (rc)
        return rc;
    resp->content_type = "application/geo+json";
    return MP_OK;
}

/* ---- create ---- */

static enum mp_status take_string(const json_t *v, const char *name, char **dst,
                                  struct mp_error *err)
{
    if (!v || json_is_null(v))
        return MP_OK;
    if (!json_is_string(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a string", name);
    *dst = strdup(json_string_value(v));
    if (*dst)
        (void)mp_text_strip_bidi(*dst); /* stored without bidi overrides */
    return *dst ? MP_OK : MP_ENOMEM;
}

static enum mp_status take_code(const json_t *v, const char *name, char *dst, size_t cap,
                                struct mp_error *err)
{
    if (!v || json_is_null(v))
        return MP_OK;
    if (!json_is_string(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a string", name);
    const char *s = json_string_value(v);
    if (strlen(s) >= cap)
        return mp_fail(err, MP_EINVAL, name[0] == 'c' && name[1] == 'a' ? "unknown_category"
                                                                        : "invalid_field",
                       "%s '%.40s...' is too long", name, s);
    memcpy(dst, s, strlen(s) + 1);
    return MP_OK;
}

static enum mp_status take_coord(const json_t *v, const char *name, double *dst, bool *has,
                                 struct mp_error *err)
{
    if (!v || json_is_null(v))
        return MP_OK;
    if (!json_is_number(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a number", name);
    *dst = json_number_value(v);
    *has = true;
    return MP_OK;
}

static enum mp_status input_from_json(const json_t *o, struct mp_report_input *in,
                                      struct mp_error *err)
{
    static const char *const known[] = {"category", "lat", "lon", "description", "address",
                                        "channel", "contact", "same_as", "not_same_as", NULL};
    enum mp_status rc;
    const char *key;
    const json_t *v;
    if (!json_is_object(o))
        return mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object");
    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", key);
    }
    if ((rc = take_code(json_object_get(o, "category"), "category", in->category,
                        sizeof in->category, err)) ||
        (rc = take_coord(json_object_get(o, "lat"), "lat", &in->lat, &in->has_lat, err)) ||
        (rc = take_coord(json_object_get(o, "lon"), "lon", &in->lon, &in->has_lon, err)) ||
        (rc = take_string(json_object_get(o, "description"), "description", &in->description,
                          err)) ||
        (rc = take_string(json_object_get(o, "address"), "address", &in->address, err)) ||
        (rc = take_code(json_object_get(o, "channel"), "channel", in->channel,
                        sizeof in->channel, err)))
        return rc;
    const json_t *contact = json_object_get(o, "contact");
    if (contact && !json_is_null(contact)) {
        if (!json_is_object(contact))
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "contact must be an object with name, email, phone");
        json_object_foreach((json_t *)contact, key, v)
        {
            if (strcmp(key, "name") && strcmp(key, "email") && strcmp(key, "phone"))
                return mp_fail(err, MP_EINVAL, "unknown_field", "unknown contact field '%.40s'",
                               key);
        }
        if ((rc = take_string(json_object_get(contact, "name"), "contact.name",
                              &in->contact_name, err)) ||
            (rc = take_string(json_object_get(contact, "email"), "contact.email",
                              &in->contact_email, err)) ||
            (rc = take_string(json_object_get(contact, "phone"), "contact.phone",
                              &in->contact_phone, err)))
            return rc;
    }
    v = json_object_get(o, "same_as");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return mp_fail(err, MP_EINVAL, "invalid_field", "same_as must be a cluster id");
        in->same_as = json_integer_value(v);
    }
    v = json_object_get(o, "not_same_as");
    if (v && !json_is_null(v)) {
        size_t i;
        const json_t *e;
        if (!json_is_array(v) || json_array_size(v) > MP_NOT_SAME_MAX)
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "not_same_as must be an array of at most %d cluster ids",
                           MP_NOT_SAME_MAX);
        json_array_foreach(v, i, e)
        {
            if (!json_is_integer(e) || json_integer_value(e) <= 0)
                return mp_fail(err, MP_EINVAL, "invalid_field",
                               "not_same_as must list cluster ids");
            in->not_same_as[in->n_not_same++] = json_integer_value(e);
        }
    }
    return MP_OK;
}

static enum mp_status form_string(const struct mp_form *f, const char *name, char **dst)
{
    const struct mp_form_field *fld = mp_form_get(f, name);
    if (!fld || fld->filename[0])
        return MP_OK;
    *dst = strndup(fld->value.data ? fld->value.data : "", fld->value.len);
    if (*dst)
        (void)mp_text_strip_bidi(*dst);
    return *dst ? MP_OK : MP_ENOMEM;
}

static enum mp_status form_number(const struct mp_form *f, const char *name, double *dst,
                                  bool *has, struct mp_error *err)
{
    const struct mp_form_field *fld = mp_form_get(f, name);
    if (!fld || fld->value.len == 0)
        return MP_OK;
    char *end = NULL;
    errno = 0;
    double v = strtod(fld->value.data, &end);
    if (end == fld->value.data || *end || errno)
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a number", name);
    *dst = v;
    *has = true;
    return MP_OK;
}

static enum mp_status form_ids(const char *s, int64_t *ids, size_t cap, size_t *n,
                               const char *name, struct mp_error *err)
{
    *n = 0;
    while (s && *s) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || v <= 0 || *n >= cap || (*end && *end != ','))
            return mp_fail(err, MP_EINVAL, "invalid_field", "%s must list cluster ids", name);
        ids[(*n)++] = v;
        s = *end ? end + 1 : end;
    }
    return MP_OK;
}

static enum mp_status input_from_form(const struct mp_form *f, struct mp_report_input *in,
                                      struct mp_error *err)
{
    static const char *const known[] = {"category", "lat", "lon", "description", "address",
                                        "channel", "contact_name", "contact_email",
                                        "contact_phone", "same_as", "not_same_as", "photo",
                                        NULL};
    enum mp_status rc;
    if (f->overflow)
        return mp_fail(err, MP_ETOOBIG, "body_too_large", "too many form fields or one too large");
    for (size_t i = 0; i < f->n; i++) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, f->fields[i].name) == 0;
        if (!ok)
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'",
                           f->fields[i].name);
    }
    const struct mp_form_field *cat = mp_form_get(f, "category");
    if (cat) {
        if (cat->value.len >= sizeof in->category)
            return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category");
        memcpy(in->category, cat->value.data ? cat->value.data : "", cat->value.len);
        in->category[cat->value.len] = '\0';
    }
    const struct mp_form_field *ch = mp_form_get(f, "channel");
    if (ch) {
        if (ch->value.len >= sizeof in->channel)
            return mp_fail(err, MP_EINVAL, "invalid_field", "unknown channel");
        memcpy(in->channel, ch->value.data ? ch->value.data : "", ch->value.len);
        in->channel[ch->value.len] = '\0';
    }
    if ((rc = form_number(f, "lat", &in->lat, &in->has_lat, err)) ||
        (rc = form_number(f, "lon", &in->lon, &in->has_lon, err)) ||
        (rc = form_string(f, "description", &in->description)) ||
        (rc = form_string(f, "address", &in->address)) ||
        (rc = form_string(f, "contact_name", &in->contact_name)) ||
        (rc = form_string(f, "contact_email", &in->contact_email)) ||
        (rc = form_string(f, "contact_phone", &in->contact_phone)))
        return rc;
    const struct mp_form_field *same = mp_form_get(f, "same_as");
    if (same && same->value.len) {
        size_t n;
        if ((rc = form_ids(same->value.data, &in->same_as, 1, &n, "same_as", err)))
            return rc;
    }
    const struct mp_form_field *not_same = mp_form_get(f, "not_same_as");
    if (not_same && not_same->value.len &&
        (rc = form_ids(not_same->value.data, in->not_same_as, MP_NOT_SAME_MAX, &in->n_not_same,
                       "not_same_as", err)))
        return rc;
    return MP_OK;
}

/* Reports for another channel (phone, counter, ...) are entered by staff on
 * a caller's behalf: fills who when the request carries a dispatcher's token. */
static bool is_staff(struct mp_ctx *ctx, const struct mp_request *req, struct mp_principal *who)
{
    struct mp_error ignore;
    return mp_auth_bearer(ctx, mp_req_header(req, "Authorization"), who, &ignore) == MP_OK &&
           mp_role_at_least(who->role, MP_ROLE_DISPATCHER);
}

/* Where a region sent the report: "municipality", the "neighbours" whose
 * border is within reach and a neighbour's open job within the category's
 * radius ("neighbour_job"), which both desks see in the jobs' history. */
static void place_json(const struct mp_submit_result *res, struct mp_buf *b)
{
    mp_buf_adds(b, ",\"municipality\":{\"id\":");
    mp_json_str(b, res->member->id);
    mp_buf_adds(b, ",\"name\":");
    mp_json_str(b, res->member->name);
    mp_buf_adds(b, "},\"neighbours\":[");
    for (size_t i = 0; i < res->nnear; i++) {
        mp_buf_adds(b, i ? ",{\"id\":" : "{\"id\":");
        mp_json_str(b, res->near[i].city->id);
        mp_buf_adds(b, ",\"name\":");
        mp_json_str(b, res->near[i].city->name);
        mp_buf_adds(b, ",\"distance_m\":");
        mp_json_num(b, res->near[i].distance_m, 1);
        mp_buf_addc(b, '}');
    }
    mp_buf_adds(b, "],\"neighbour_job\":");
    if (!res->neighbour_job) {
        mp_buf_adds(b, "null");
        return;
    }
    mp_buf_printf(b, "{\"cluster_id\":%lld,\"municipality\":", (long long)res->neighbour_job);
    mp_json_str(b, res->neighbour_job_of->id);
    mp_buf_adds(b, ",\"name\":");
    mp_json_str(b, res->neighbour_job_of->name);
    mp_buf_adds(b, ",\"distance_m\":");
    mp_json_num(b, res->neighbour_job_m, 1);
    mp_buf_addc(b, '}');
}

/* The answer to a stored report: its public properties plus lat, lon, its
 * cluster and whether it joined one. Built from what was submitted, so the
 * group-commit path needs no read-back. */
static void created_body(const struct mp_city *city, const struct mp_report_input *in,
                         const struct mp_submit_result *res, bool has_photo, struct mp_buf *b)
{
    struct mp_report_row row = {
        .id = res->report_id,
        .cluster_id = res->cluster_id,
        .created_at = res->created_at,
        .updated_at = res->created_at,
        .cluster_count = res->cluster_count,
        .category = in->category,
        .description = in->description ? in->description : "",
        .address = in->address && in->address[0] ? in->address : NULL,
        .channel = in->channel[0] ? in->channel : "web",
        .status = res->status,
        .district = res->district[0] ? res->district : NULL,
        .location = res->location[0] ? res->location : NULL,
        .lon = in->lon,
        .lat = in->lat,
        .has_photo = has_photo,
    };
    mp_buf_adds(b, "{\"report\":");
    mp_geojson_report_props(b, city, &row, mp_geojson_report_point, &row);
    mp_buf_printf(b, ",\"cluster\":{\"id\":%lld,\"report_count\":%lld,\"status\":",
                  (long long)res->cluster_id, (long long)res->cluster_count);
    mp_json_str(b, res->status);
    mp_buf_adds(b, "},\"joined\":");
    mp_json_bool(b, res->joined);
    if (res->member && res->member != city)
        place_json(res, b);
    if (res->joined) {
        mp_buf_adds(b, ",\"distance_m\":");
        mp_json_num(b, res->why.distance_m, 1);
    }
    mp_buf_addc(b, '}');
}

static void created_headers(struct mp_response *resp, int64_t id)
{
    resp->created = true;
    resp->content_type = "application/json";
    snprintf(resp->location, sizeof resp->location, "/api/v1/reports/%lld", (long long)id);
}

/* A report waiting for the group commit (see ingest.h). */
struct pending {
    struct mp_ingest_job job; /* job.in owns the input's strings */
    struct mp_principal staff;
    struct mp_ingest *ingest;
    struct mp_photo photo;
    struct mp_photo_rec rec;
};

static void pending_start(void *state, void (*wake)(void *token), void *token)
{
    struct pending *p = state;
    p->job.done = wake;
    p->job.cookie = token;
    mp_ingest_submit(p->ingest, &p->job);
}

static enum mp_status pending_finish(struct mp_app *app, void *state, struct mp_response *resp,
                                     struct mp_error *err)
{
    struct pending *p = state;
    if (p->job.rc) {
        *err = p->job.err;
        return p->job.rc;
    }
    created_body(app->city, &p->job.in, &p->job.res, p->job.in.photo != NULL, &resp->body);
    created_headers(resp, p->job.res.report_id);
    return MP_OK;
}

static void pending_free(void *state)
{
    struct pending *p = state;
    if (!p)
        return;
    mp_photo_clear(&p->photo);
    mp_report_input_clear(&p->job.in);
    free(p);
}

enum mp_status mp_api_reports_create(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct pending *p = calloc(1, sizeof *p);
    json_t *body = NULL;
    if (!p)
        return MP_ENOMEM;
    struct mp_report_input *in = &p->job.in;

    if (req->form) {
        if ((rc = input_from_form(req->form, in, err)))
            goto out;
    } else if (mp_api_media_is(req, "application/json")) {
        json_error_t je;
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
        if (!body) {
            rc = mp_fail(err, MP_EINVAL, "invalid_json", "malformed JSON at line %d column %d: %.80s",
                         je.line, je.column, je.text);
            goto out;
        }
        if ((rc = input_from_json(body, in, err)))
            goto out;
    } else {
        rc = mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type",
                     "send application/json or multipart/form-data");
        goto out;
    }
    /* Mail to the reporter speaks the language the page asked in. */
    mp_notify_lang_from_header(mp_req_header(req, "Accept-Language"), in->lang, sizeof in->lang);
    if (in->channel[0] && strcmp(in->channel, "web") != 0) {
        if (!is_staff(ctx, req, &p->staff)) {
            rc = mp_fail(err, MP_EFORBIDDEN, "forbidden",
                         "only staff may record a report for another channel");
            goto out;
        }
        p->job.staff = &p->staff;
    }
    /* Check everything cheap before the photo work and the writer queue;
     * staff record reports of their own municipalities only (tenancy). */
    const struct mp_city *member = NULL;
    if ((rc = mp_report_check(ctx, in, &member, err)) ||
        (p->job.staff && member &&
         (rc = mp_scope_intake(p->job.staff, member->id, member->name, err))))
        goto out;
    const struct mp_form_field *pf = req->form ? mp_form_get(req->form, "photo") : NULL;
    if (pf && pf->value.len > 0) {
        struct mp_photo_limits lim;
        mp_photo_limits_default(&lim);
        if ((rc = mp_photo_process((const unsigned char *)pf->value.data, pf->value.len, &lim,
                                   &p->photo, err)))
            goto out;
        p->rec = mp_photo_rec_of(&p->photo);
        in->photo = &p->rec;
    }
    if (app->ingest) {
        p->ingest = app->ingest;
        resp->async = (struct mp_async){pending_start, pending_finish, pending_free, p};
        p = NULL; /* the HTTP layer owns it now and frees it through cleanup */
        rc = MP_PENDING;
        goto out;
    }
    /* No writer thread (tools and tests): store in a transaction of our own. */
    if ((rc = mp_report_submit(ctx, in, true, &p->job.res, err)))
        goto out;
    created_body(app->city, in, &p->job.res, in->photo != NULL, &resp->body);
    created_headers(resp, p->job.res.report_id);
out:
    json_decref(body);
    pending_free(p);
    return rc;
}

/* The prologue of both public photo routes: no parameters; the thumbnail
 * when the path ends in /thumb. */
static enum mp_status photo_request(const struct mp_request *req, bool *thumb,
                                    struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    *thumb = req->path_rest && strcmp(req->path_rest, "thumb") == 0;
    return mp_api_check_params(req, allowed, err);
}

/* Their answer: the JPEG (data is freed here), cacheable for max_age. */
static enum mp_status photo_answer(struct mp_response *resp, void *data, size_t len,
                                   const char *cache)
{
    mp_buf_add(&resp->body, data, len);
    free(data);
    resp->content_type = "image/jpeg";
    resp->cache = cache;
    return mp_buf_status(&resp->body);
}

enum mp_status mp_api_report_photo(struct mp_app *app, struct mp_ctx *ctx,
                                   const struct mp_request *req, struct mp_response *resp,
                                   struct mp_error *err)
{
    (void)app;
    enum mp_status rc;
    void *data = NULL;
    size_t len = 0;
    bool thumb;
    if ((rc = photo_request(req, &thumb, err)))
        return rc;
    rc = mp_report_photo(ctx, req->path_id, thumb, &data, &len);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "report %lld has no photo", (long long)req->path_id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the photo right now");
    return photo_answer(resp, data, len, "public, max-age=86400");
}

/* GET /api/v1/reports/{id}/fix-photo[/thumb]: the crew's photo of the
 * repair, public as the report is (its metadata went at upload). */
enum mp_status mp_api_report_fix_photo(struct mp_app *app, struct mp_ctx *ctx,
                                       const struct mp_request *req, struct mp_response *resp,
                                       struct mp_error *err)
{
    (void)app;
    enum mp_status rc;
    void *data = NULL;
    size_t len = 0;
    bool thumb;
    if ((rc = photo_request(req, &thumb, err)) ||
        (rc = mp_report_page_fix_photo(ctx, req->path_id, thumb, &data, &len, err)))
        return rc;
    /* A later repair replaces it: revalidate within the hour. */
    return photo_answer(resp, data, len, "public, max-age=3600");
}
