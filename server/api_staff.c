/* api_staff.c - the staff side of the API: who am I, the automation rules,
 * the dispatcher's queue and cluster detail, status changes (with a crew's
 * photo), assignment, and the crew's worklist in driving order as GeoJSON,
 * CSV or GPX.
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
#include "meldpunt/auth.h"
#include "meldpunt/automation.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/csv.h"
#include "meldpunt/geo.h"
#include "meldpunt/geom.h"
#include "meldpunt/photo.h"
#include "meldpunt/route.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_work.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "meldpunt/workflow.h"

/* Most stops one worklist holds: a crew's week, several times over. */
#define WORKLIST_MAX 5000
#define QUEUE_DEFAULT 100
#define QUEUE_MAX 1000
#define WITHIN_MAX (64 * 1024) /* bytes of GeoJSON in the query string */
#define MEMBERS_MAX 2000
#define NOTES_MAX 512

/* ---- shared ---- */

/* The prologue of every staff handler: only the query parameters in allowed,
 * and a bearer token of role min or higher (401, 403). */
static enum mp_status staff_request(struct mp_ctx *ctx, const struct mp_request *req,
                                    const char *const *allowed, enum mp_role min,
                                    struct mp_principal *who, struct mp_error *err)
{
    enum mp_status rc = mp_api_check_params(req, allowed, err);
    return rc ? rc : mp_api_need_role(ctx, req, min, who, err);
}

static enum mp_status load_rules(struct mp_app *app, struct mp_automation **a,
                                 struct mp_error *err)
{
    struct mp_error e;
    /* Read per request: the file is small, and an edited rules file takes
     * effect without a restart. A broken file keeps staff out of nothing
     * but the automation: it is reported, not guessed around. */
    if (mp_automation_load(app->city, a, &e) != MP_OK) {
        fprintf(stderr, "meldpunt: %s\n", e.text);
        return mp_fail(err, MP_EUNAVAIL, "automation_invalid",
                       "the city pack's automation rules cannot be read: %.100s", e.text);
    }
    return MP_OK;
}

static const char *category_name(const struct mp_city *city, const char *code)
{
    const struct mp_category *c = mp_city_category(city, code);
    return c && c->name_en ? c->name_en : code;
}

static double age_days(int64_t first_at, int64_t now)
{
    return now > first_at ? (double)(now - first_at) / 86400.0 : 0;
}

/* A job, copied out of the store row so that it outlives the callback. */
struct job {
    int64_t id, report_count, first_at, last_at;
    char category[48], status[MP_STATUS_MAXLEN], district[32];
    char location[160], address[208];
    char crew[64];
    double lon, lat, x, y;
    bool assigned;
    struct mp_automation_result ar;
    char department[MP_DEPARTMENT_MAX]; /* effective; ar.department points here */
};

static void job_from_row(struct job *j, const struct mp_work_row *r, const struct mp_app *app,
                         const struct mp_automation *a, int64_t now)
{
    memset(j, 0, sizeof *j);
    j->id = r->id;
    j->report_count = r->report_count;
    j->first_at = r->first_at;
    j->last_at = r->last_at;
    snprintf(j->category, sizeof j->category, "%s", r->category ? r->category : "");
    snprintf(j->status, sizeof j->status, "%s", r->status ? r->status : "");
    snprintf(j->district, sizeof j->district, "%s", r->district ? r->district : "");
    snprintf(j->location, sizeof j->location, "%s", r->location ? r->location : "");
    snprintf(j->address, sizeof j->address, "%s", r->address ? r->address : "");
    snprintf(j->crew, sizeof j->crew, "%s", r->crew ? r->crew : "");
    j->lon = r->lon;
    j->lat = r->lat;
    j->x = r->x;
    j->y = r->y;
    j->assigned = r->assigned;
    struct mp_automation_input in = {
        .category = j->category,
        .district = j->district,
        .status = j->status,
        .report_count = r->report_count,
        .first_at = r->first_at,
        .department = r->department,
        .manual_priority = r->priority,
        .manual_due_at = r->due_at,
    };
    mp_automation_eval(a, app->city, app->tz, &in, now, &j->ar);
    snprintf(j->department, sizeof j->department, "%s", j->ar.department);
    j->ar.department = j->department;
}

static void json_actions(struct mp_buf *b, const struct mp_principal *who, const struct job *j)
{
    const char *next[16];
    size_t n = mp_workflow_next(who, j->status, j->department, next, 16);
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, next[i]);
    }
    mp_buf_addc(b, ']');
}

/* The members every staff view of a job shares (no braces). */
static void json_job_fields(struct mp_buf *b, const struct mp_app *app,
                            const struct mp_principal *who, const struct job *j, int64_t now)
{
    const struct mp_district *d = j->district[0] ? mp_city_district(app->city, j->district) : NULL;
    mp_buf_adds(b, "\"cluster_id\":");
    mp_json_int(b, j->id);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, j->category);
    mp_buf_adds(b, ",\"category_name\":");
    mp_json_str(b, category_name(app->city, j->category));
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, j->status);
    mp_buf_adds(b, ",\"address\":");
    mp_json_str(b, j->address[0] ? j->address : NULL);
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, j->location[0] ? j->location : NULL);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, j->district[0] ? j->district : NULL);
    mp_buf_adds(b, ",\"district_name\":");
    mp_json_str(b, d ? d->name : NULL);
    mp_buf_adds(b, ",\"report_count\":");
    mp_json_int(b, j->report_count);
    mp_buf_adds(b, ",\"first_at\":");
    mp_json_time(b, j->first_at);
    mp_buf_adds(b, ",\"last_at\":");
    mp_json_time(b, j->last_at);
    mp_buf_adds(b, ",\"age_days\":");
    mp_json_num(b, age_days(j->first_at, now), 1);
    mp_buf_adds(b, ",\"priority\":");
    mp_json_int(b, j->ar.priority);
    mp_buf_adds(b, ",\"priority_rule\":");
    mp_json_str(b, j->ar.priority_rule);
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, j->department[0] ? j->department : NULL);
    mp_buf_adds(b, ",\"route_rule\":");
    mp_json_str(b, j->ar.route_rule);
    mp_buf_adds(b, ",\"crew\":");
    mp_json_str(b, j->crew[0] ? j->crew : NULL);
    mp_buf_adds(b, ",\"assigned\":");
    mp_json_bool(b, j->assigned);
    mp_buf_adds(b, ",\"service_days\":");
    mp_json_int(b, j->ar.service_days);
    mp_buf_adds(b, ",\"due_at\":");
    mp_json_time(b, j->ar.due_at);
    mp_buf_adds(b, ",\"overdue\":");
    mp_json_bool(b, j->ar.overdue);
    mp_buf_adds(b, ",\"actions\":");
    json_actions(b, who, j);
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, j->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, j->lon, 7);
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
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CLIENT, &who, err)))
        return rc;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"name\":");
    mp_json_str(b, who.name);
    mp_buf_adds(b, ",\"role\":");
    mp_json_str(b, mp_role_name(who.role));
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, who.department[0] ? who.department : NULL);
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

/* ---- collecting jobs ---- */

struct collect {
    struct job *jobs;
    size_t n, cap, max, total;
    const struct mp_app *app;
    const struct mp_automation *a;
    const char *department;           /* effective department filter, or NULL */
    const struct mp_multipolygon *within;
    int64_t now;
    bool too_many;
    bool nomem;
};

static int collect_row(void *p, const struct mp_work_row *r)
{
    struct collect *c = p;
    if (c->within && !mp_multipolygon_contains(c->within, r->lon, r->lat))
        return 0;
    struct job j;
    job_from_row(&j, r, c->app, c->a, c->now);
    if (c->department && strcmp(c->department, j.department) != 0)
        return 0;
    c->total++;
    if (c->n == c->max) {
        c->too_many = true;
        return c->max == WORKLIST_MAX; /* a worklist stops; the queue only counts on */
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct job *nj = realloc(c->jobs, ncap * sizeof *nj);
        if (!nj) {
            c->nomem = true;
            return 1;
        }
        c->jobs = nj;
        c->cap = ncap;
    }
    c->jobs[c->n++] = j;
    return 0;
}

/* ---- GET /api/v1/staff/queue ---- */

enum mp_status mp_api_staff_queue(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    static const char *const allowed[] = {"category", "status", "district", "department",
                                          "limit", NULL};
    static const char *const incoming[] = {"new", "reopened"};
    struct mp_principal who;
    struct mp_work_query q;
    struct mp_automation *a = NULL;
    struct collect c;
    char *scratch = NULL;
    const char *dept;
    long long limit;
    enum mp_status rc;
    memset(&q, 0, sizeof q);
    memset(&c, 0, sizeof c);
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_DISPATCHER, &who, err)) ||
        (rc = parse_lists(app, req, &q, incoming, 2, false, &scratch, err)) ||
        (rc = parse_department(req, &dept, err)) ||
        (rc = query_int(req, "limit", 1, QUEUE_MAX, QUEUE_DEFAULT, &limit, err)) ||
        (rc = load_rules(app, &a, err)))
        goto out;
    c = (struct collect){.app = app, .a = a, .department = dept, .now = mp_time_now(),
                         .max = (size_t)limit};
    if ((rc = mp_store_work_list(ctx->db, &q, collect_row, &c)) || c.nomem) {
        rc = c.nomem ? MP_ENOMEM : mp_fail(err, rc, "unavailable", "cannot read the queue now");
        goto out;
    }
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"clusters\":[");
    for (size_t i = 0; i < c.n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_buf_addc(b, '{');
        json_job_fields(b, app, &who, &c.jobs[i], c.now);
        mp_buf_addc(b, '}');
    }
    mp_buf_printf(b, "],\"count\":%zu,\"total\":%zu}", c.n, c.total);
    private_json(resp);
out:
    free(c.jobs);
    free(scratch);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/clusters/{id} ---- */

struct detail {
    struct mp_buf *b;
    const struct mp_app *app;
    size_t n;
    int64_t ids[MEMBERS_MAX];
    size_t nids;
    bool with_private;
    struct {
        int64_t at;
        char status[MP_STATUS_MAXLEN];
        char *note;
        char actor[64];
        bool used;
    } notes[NOTES_MAX];
    size_t nnotes;
};

/* The body, after the comma that goes before every array item but the first. */
static struct mp_buf *next_item(struct detail *d)
{
    if (d->n++)
        mp_buf_addc(d->b, ',');
    return d->b;
}

static int member_id(void *p, const struct mp_report_row *r)
{
    struct detail *d = p;
    if (d->nids < MEMBERS_MAX)
        d->ids[d->nids++] = r->id;
    return 0;
}

static int member_row(void *p, const struct mp_report_row *r)
{
    struct detail *d = p;
    struct mp_buf *b = next_item(d);
    mp_buf_adds(b, "{\"id\":");
    mp_json_int(b, r->id);
    mp_buf_adds(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, r->category);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_adds(b, ",\"channel\":");
    mp_json_str(b, r->channel);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, r->description);
    mp_buf_adds(b, ",\"address\":");
    mp_json_str(b, r->address);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, r->district);
    mp_buf_adds(b, ",\"external_id\":");
    mp_json_str(b, r->external_id);
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, r->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, r->lon, 7);
    mp_buf_adds(b, ",\"has_photo\":");
    mp_json_bool(b, r->has_photo);
    mp_buf_adds(b, ",\"join_reason\":");
    /* Stored as JSON text by the clustering code; anything else is shown as null. */
    json_t *jr = r->join_reason ? json_loads(r->join_reason, 0, NULL) : NULL;
    if (json_is_object(jr))
        mp_buf_adds(b, r->join_reason);
    else
        mp_buf_adds(b, "null");
    json_decref(jr);
    if (d->with_private) {
        mp_buf_adds(b, ",\"contact\":{\"name\":");
        mp_json_str(b, r->contact_name);
        mp_buf_adds(b, ",\"email\":");
        mp_json_str(b, r->contact_email);
        mp_buf_adds(b, ",\"phone\":");
        mp_json_str(b, r->contact_phone);
        mp_buf_addc(b, '}');
    }
    mp_buf_addc(b, '}');
    return 0;
}

static int note_row(void *p, const struct mp_work_note_row *r)
{
    struct detail *d = p;
    if (d->nnotes == NOTES_MAX)
        return 1;
    d->notes[d->nnotes].at = r->at;
    snprintf(d->notes[d->nnotes].status, sizeof d->notes[0].status, "%s", r->status ? r->status : "");
    snprintf(d->notes[d->nnotes].actor, sizeof d->notes[0].actor, "%s", r->actor ? r->actor : "");
    d->notes[d->nnotes].note = strdup(r->note ? r->note : "");
    d->notes[d->nnotes].used = false;
    if (d->notes[d->nnotes].note)
        d->nnotes++;
    return 0;
}

static void emit_note(struct mp_buf *b, int64_t at, const char *status, const char *actor,
                      const char *note, bool note_public)
{
    mp_buf_adds(b, "{\"at\":");
    mp_json_time(b, at);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, status);
    mp_buf_adds(b, ",\"actor\":");
    mp_json_str(b, actor);
    mp_buf_adds(b, ",\"note\":");
    mp_json_str(b, note);
    mp_buf_adds(b, ",\"note_public\":");
    mp_json_bool(b, note_public);
    mp_buf_addc(b, '}');
}

/* History as staff see it: every entry with its actor, public notes, and
 * the internal note written with the same change. */
static int history_row(void *p, const struct mp_history_row *h)
{
    struct detail *d = p;
    const char *inote = NULL;
    for (size_t i = 0; i < d->nnotes && !inote; i++)
        if (!d->notes[i].used && d->notes[i].at == h->at &&
            strcmp(d->notes[i].status, h->status ? h->status : "") == 0) {
            d->notes[i].used = true;
            inote = d->notes[i].note;
        }
    struct mp_buf *b = next_item(d);
    bool pub = h->note && h->note[0] && h->note_public;
    emit_note(b, h->at, h->status, h->actor, pub ? h->note : inote, pub || !inote);
    return 0;
}

static int photo_row(void *p, const struct mp_work_photo_row *r)
{
    struct detail *d = p;
    struct mp_buf *b = next_item(d);
    mp_buf_adds(b, "{\"id\":");
    mp_json_int(b, r->id);
    mp_buf_adds(b, ",\"at\":");
    mp_json_time(b, r->at);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_adds(b, ",\"actor\":");
    mp_json_str(b, r->actor);
    mp_buf_printf(b, ",\"width\":%u,\"height\":%u,\"url\":\"/api/v1/staff/photos/%lld\","
                     "\"thumb_url\":\"/api/v1/staff/photos/%lld/thumb\"}",
                  r->width, r->height, (long long)r->id, (long long)r->id);
    return 0;
}

static int audit_row(void *p, const struct mp_audit_row *a)
{
    struct detail *d = p;
    struct mp_buf *b = next_item(d);
    mp_buf_adds(b, "{\"at\":");
    mp_json_time(b, a->at);
    mp_buf_adds(b, ",\"user\":");
    mp_json_str(b, a->user_name);
    mp_buf_adds(b, ",\"action\":");
    mp_json_str(b, a->action);
    mp_buf_adds(b, ",\"detail\":");
    json_t *j = a->detail ? json_loads(a->detail, 0, NULL) : NULL;
    if (j)
        mp_buf_adds(b, a->detail);
    else
        mp_json_str(b, a->detail);
    json_decref(j);
    mp_buf_addc(b, '}');
    return 0;
}

/* One job (any status) with its effective assignment. */
static enum mp_status load_job(struct mp_app *app, struct mp_ctx *ctx,
                               const struct mp_automation *a, int64_t id, struct job *out,
                               struct mp_error *err)
{
    struct mp_work_query q;
    memset(&q, 0, sizeof q);
    q.nstatuses = mp_vocab_status_codes(MP_VOCAB_ALL, q.statuses, MP_QUERY_MAX_LIST);
    q.cluster_id = id;
    struct collect c = {.app = app, .a = a, .now = mp_time_now(), .max = 1};
    enum mp_status rc = mp_store_work_list(ctx->db, &q, collect_row, &c);
    if (rc == MP_OK && c.nomem)
        rc = MP_ENOMEM;
    if (rc == MP_OK && c.n == 0)
        rc = mp_fail(err, MP_ENOTFOUND, "not_found", "there is no cluster %lld", (long long)id);
    else if (rc == MP_OK)
        *out = c.jobs[0];
    else if (rc != MP_ENOMEM)
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
    free(c.jobs);
    return rc;
}

enum mp_status mp_api_staff_cluster(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    struct mp_automation *a = NULL;
    struct detail *d = NULL;
    struct job j;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CREW, &who, err)) ||
        (rc = load_rules(app, &a, err)) ||
        (rc = load_job(app, ctx, a, req->path_id, &j, err)))
        goto out;
    d = calloc(1, sizeof *d);
    if (!d) {
        rc = MP_ENOMEM;
        goto out;
    }
    struct mp_buf *b = &resp->body;
    int64_t now = mp_time_now();
    d->b = b;
    d->app = app;
    /* Contact details are for those who call reporters back, not for crews. */
    d->with_private = mp_role_at_least(who.role, MP_ROLE_DISPATCHER);
    mp_buf_adds(b, "{\"cluster\":{");
    json_job_fields(b, app, &who, &j, now);
    mp_buf_adds(b, "},\"reports\":[");
    if ((rc = mp_store_cluster_reports(ctx->db, j.id, member_id, d)))
        goto db_fail;
    for (size_t i = 0; i < d->nids; i++) {
        rc = mp_store_report_get(ctx->db, d->ids[i], d->with_private, member_row, d);
        if (rc && rc != MP_ENOTFOUND)
            goto db_fail;
    }
    mp_buf_adds(b, "],\"history\":[");
    d->n = 0;
    if ((rc = mp_store_work_notes(ctx->db, j.id, note_row, d)) ||
        (rc = mp_store_history(ctx->db, j.id, history_row, d)))
        goto db_fail;
    /* Internal notes that match no history entry (there should be none). */
    for (size_t i = 0; i < d->nnotes; i++)
        if (!d->notes[i].used)
            emit_note(next_item(d), d->notes[i].at, d->notes[i].status, d->notes[i].actor,
                      d->notes[i].note, false);
    mp_buf_adds(b, "],\"photos\":[");
    d->n = 0;
    if ((rc = mp_store_work_photos(ctx->db, j.id, photo_row, d)))
        goto db_fail;
    mp_buf_adds(b, "],\"audit\":[");
    d->n = 0;
    if ((rc = mp_store_audit_for(ctx->db, "cluster", j.id, audit_row, d)))
        goto db_fail;
    mp_buf_adds(b, "]}");
    private_json(resp);
    goto out;
db_fail:
    rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
out:
    if (d)
        for (size_t i = 0; i < d->nnotes; i++)
            free(d->notes[i].note);
    free(d);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/crews ---- */

struct crews_ctx {
    struct mp_buf *b;
    size_t n;
};

static int crew_row(void *p, const struct mp_user_row *u)
{
    struct crews_ctx *c = p;
    if (!u->role || strcmp(u->role, "crew") != 0)
        return 0;
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
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    struct mp_automation *a = NULL;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_DISPATCHER, &who, err)) ||
        (rc = load_rules(app, &a, err)))
        return rc;
    struct mp_buf *b = &resp->body;
    struct crews_ctx c = {b, 0};
    mp_buf_adds(b, "{\"crews\":[");
    if ((rc = mp_store_users(ctx->db, crew_row, &c))) {
        mp_automation_free(a);
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the accounts right now");
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
    static const char *const allowed[] = {NULL};
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
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CREW, &who, err)))
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
            photo_rec = (struct mp_photo_rec){.full = photo.full,
                                              .full_len = photo.full_len,
                                              .thumb = photo.thumb,
                                              .thumb_len = photo.thumb_len,
                                              .width = photo.width,
                                              .height = photo.height,
                                              .mime = "image/jpeg"};
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
        rc = mp_fail(err, MP_EUNSUPPORTED, "unsupported_media_type",
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

struct crew_found {
    bool found, disabled, is_crew;
    char department[48];
};

static int take_crew(void *p, const struct mp_user_row *u)
{
    struct crew_found *c = p;
    c->found = true;
    c->disabled = u->disabled;
    c->is_crew = u->role && strcmp(u->role, "crew") == 0;
    snprintf(c->department, sizeof c->department, "%s", u->department ? u->department : "");
    return 0;
}

enum mp_status mp_api_cluster_assign(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    struct mp_automation *a = NULL;
    json_t *body = NULL;
    struct mp_work_assignment wa;
    struct job j;
    bool in_tx = false;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_DISPATCHER, &who, err)))
        goto out;
    if (!mp_api_media_is(req, "application/json")) {
        rc = mp_fail(err, MP_EUNSUPPORTED, "unsupported_media_type", "send application/json");
        goto out;
    }
    json_error_t je;
    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(body)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "department") && strcmp(key, "crew") && strcmp(key, "priority") &&
            strcmp(key, "due_at")) {
            rc = mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", key);
            goto out;
        }
    }
    if (json_object_size(body) == 0) {
        rc = mp_fail(err, MP_EINVAL, "missing_field",
                     "give at least one of department, crew, priority, due_at");
        goto out;
    }
    const json_t *jd = json_object_get(body, "department"), *jc = json_object_get(body, "crew"),
                 *jp = json_object_get(body, "priority"), *jt = json_object_get(body, "due_at");
    if (jd && !json_is_null(jd) && !mp_automation_department_ok(json_string_value(jd))) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field",
                     "department must be a code such as 'streets' (a-z, 0-9, '-', '_') or null");
        goto out;
    }
    if (jc && !json_is_null(jc) &&
        (!json_is_string(jc) || !json_string_length(jc) || json_string_length(jc) > 60)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "crew must name a crew account or be null");
        goto out;
    }
    if (jp && !json_is_null(jp) &&
        (!json_is_integer(jp) || json_integer_value(jp) < 1 || json_integer_value(jp) > 3)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "priority must be 1, 2, 3 or null");
        goto out;
    }
    int64_t due = 0;
    if (jt && !json_is_null(jt) &&
        (!json_is_string(jt) || mp_time_parse(json_string_value(jt), 0, &due) != MP_OK)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_field", "due_at must be an ISO 8601 time or null");
        goto out;
    }
    if ((rc = load_rules(app, &a, err)) || (rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    in_tx = true;
    struct mp_cluster_state st;
    rc = mp_store_cluster_state(ctx->db, req->path_id, &st);
    if (rc == MP_ENOTFOUND) {
        rc = mp_fail(err, rc, "not_found", "there is no cluster %lld", (long long)req->path_id);
        goto out;
    }
    if (rc || (rc = mp_store_work_get(ctx->db, req->path_id, &wa))) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
        goto out;
    }
    if (jd)
        snprintf(wa.department, sizeof wa.department, "%s",
                 json_is_null(jd) ? "" : json_string_value(jd));
    if (jc) {
        snprintf(wa.crew, sizeof wa.crew, "%s", json_is_null(jc) ? "" : json_string_value(jc));
        if (wa.crew[0]) {
            struct crew_found cf = {0};
            rc = mp_store_user_by_name(ctx->db, wa.crew, take_crew, &cf);
            if (rc && rc != MP_ENOTFOUND) {
                rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the accounts now");
                goto out;
            }
            if (!cf.found || !cf.is_crew || cf.disabled) {
                rc = mp_fail(err, MP_EINVAL, "unknown_crew",
                             "there is no active crew account named %.60s", wa.crew);
                goto out;
            }
            /* A crew works for one department: naming it sets the
             * department too, and a contradiction is an error. */
            if (!jd || json_is_null(jd))
                snprintf(wa.department, sizeof wa.department, "%s", cf.department);
            else if (strcmp(wa.department, cf.department) != 0) {
                rc = mp_fail(err, MP_EINVAL, "crew_department_mismatch",
                             "crew %.60s belongs to %.47s, not to %.47s", wa.crew, cf.department,
                             wa.department);
                goto out;
            }
        }
    }
    if (jp)
        wa.priority = json_is_null(jp) ? 0 : (int)json_integer_value(jp);
    if (jt)
        wa.due_at = json_is_null(jt) ? 0 : due;
    snprintf(wa.updated_by, sizeof wa.updated_by, "%s", who.name);
    char *detail = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    rc = mp_store_work_set(ctx->db, req->path_id, &wa, mp_time_now());
    if (rc == MP_OK)
        rc = mp_auth_audit(ctx, &who, "assign", "cluster", req->path_id, detail);
    free(detail);
    if (rc) {
        rc = mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                     "the assignment could not be stored; try again later");
        goto out;
    }
    in_tx = false;
    if ((rc = mp_store_commit(ctx->db, err)) ||
        (rc = load_job(app, ctx, a, req->path_id, &j, err)))
        goto out;
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"cluster\":{");
    json_job_fields(b, app, &who, &j, mp_time_now());
    mp_buf_adds(b, "}}");
    private_json(resp);
out:
    if (in_tx)
        mp_store_rollback(ctx->db);
    json_decref(body);
    mp_automation_free(a);
    return rc;
}

/* ---- GET /api/v1/staff/photos/{id} ---- */

enum mp_status mp_api_staff_photo(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {NULL};
    struct mp_principal who;
    void *data = NULL;
    size_t len = 0;
    enum mp_status rc;
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CREW, &who, err)))
        return rc;
    bool thumb = req->path_rest && strcmp(req->path_rest, "thumb") == 0;
    rc = mp_store_work_photo_get(ctx->db, req->path_id, thumb, &data, &len);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no photo %lld", (long long)req->path_id);
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the photo right now");
    mp_buf_add(&resp->body, data, len);
    free(data);
    resp->content_type = "image/jpeg";
    resp->cache = "private, max-age=3600";
    return mp_buf_status(&resp->body);
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

static enum mp_status parse_start(struct mp_ctx *ctx, const char *v, double *lonlat,
                                  double *xy, struct mp_error *err)
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
    lonlat[0] = lon;
    lonlat[1] = lat;
    if (mp_geo_forward(ctx->geo, lon, lat, &xy[0], &xy[1]) != MP_OK)
        goto bad;
    return MP_OK;
bad:
    return mp_fail(err, MP_EINVAL, "invalid_parameter",
                   "start must be lon,lat in degrees, e.g. start=-87.6298,41.8781");
}

struct sink {
    struct mp_buf *b;
};

static int buf_sink(void *p, const char *data, size_t len)
{
    struct sink *s = p;
    mp_buf_add(s->b, data, len);
    return s->b->failed ? -1 : 0;
}

static enum mp_status csv_text(struct sink *s, const char *v, int first)
{
    return mp_csv_write_field(buf_sink, s, v ? v : "", v ? strlen(v) : 0, first);
}

static enum mp_status csv_num(struct sink *s, double v, int decimals)
{
    char tmp[64];
    struct mp_buf b;
    mp_buf_init(&b, sizeof tmp);
    mp_json_num(&b, v, decimals);
    snprintf(tmp, sizeof tmp, "%s", b.data ? b.data : "0");
    mp_buf_free(&b);
    return mp_csv_write_field(buf_sink, s, tmp, strlen(tmp), 0);
}

static enum mp_status csv_int(struct sink *s, int64_t v, int first)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    return mp_csv_write_field(buf_sink, s, tmp, strlen(tmp), first);
}

static void xml_text(struct mp_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '&': mp_buf_adds(b, "&amp;"); break;
        case '<': mp_buf_adds(b, "&lt;"); break;
        case '>': mp_buf_adds(b, "&gt;"); break;
        case '"': mp_buf_adds(b, "&quot;"); break;
        case '\'': mp_buf_adds(b, "&apos;"); break;
        default:
            /* XML 1.0 allows no control characters but tab, LF and CR. */
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                mp_buf_addc(b, ' ');
            else
                mp_buf_addc(b, (char)*p);
        }
    }
}

static const char *job_place(const struct job *j)
{
    return j->address[0] ? j->address : j->location[0] ? j->location : NULL;
}

static void gpx_point(struct mp_buf *b, const char *tag, const struct mp_app *app,
                      const struct job *j, size_t stop, int64_t now)
{
    char name[128];
    mp_buf_printf(b, "<%s lat=\"", tag);
    mp_json_num(b, j->lat, 7);
    mp_buf_adds(b, "\" lon=\"");
    mp_json_num(b, j->lon, 7);
    mp_buf_adds(b, "\"><name>");
    snprintf(name, sizeof name, "%zu. %s", stop, category_name(app->city, j->category));
    xml_text(b, name);
    mp_buf_adds(b, "</name>");
    if (strcmp(tag, "wpt") == 0) {
        mp_buf_adds(b, "<desc>");
        const char *place = job_place(j);
        if (place) {
            xml_text(b, place);
            mp_buf_adds(b, "; ");
        }
        mp_buf_printf(b, "cluster %lld, %s, %lld report%s, %.1f days old, priority %d%s",
                      (long long)j->id, j->status, (long long)j->report_count,
                      j->report_count == 1 ? "" : "s", age_days(j->first_at, now), j->ar.priority,
                      j->ar.overdue ? ", OVERDUE" : "");
        mp_buf_adds(b, "</desc><type>");
        xml_text(b, j->category);
        mp_buf_adds(b, "</type>");
    }
    mp_buf_printf(b, "</%s>\n", tag);
}

/* Metres to stop k of the route from the stop before it, or from the start
 * (none: 0). */
static double leg_m(const struct job *jobs, const size_t *order, size_t k, const double *start_xy)
{
    const struct job *j = &jobs[order[k]];
    if (k > 0)
        return mp_geo_dist(jobs[order[k - 1]].x, jobs[order[k - 1]].y, j->x, j->y);
    return start_xy ? mp_geo_dist(start_xy[0], start_xy[1], j->x, j->y) : 0;
}

enum mp_status mp_api_worklist(struct mp_app *app, struct mp_ctx *ctx,
                               const struct mp_request *req, struct mp_response *resp,
                               struct mp_error *err)
{
    static const char *const allowed[] = {"district", "bbox", "within", "department", "category",
                                          "status", "start", "format", NULL};
    struct mp_principal who;
    struct mp_work_query q;
    struct mp_multipolygon within;
    struct mp_automation *a = NULL;
    struct collect c;
    char *scratch = NULL;
    double *xy = NULL;
    size_t *order = NULL;
    const char *dept = NULL;
    double start_ll[2] = {0, 0}, start_xy[2] = {0, 0};
    bool has_start = false, has_within = false;
    const char *open_statuses[MP_VOCAB_STATUSES_MAX];
    size_t nopen = mp_vocab_status_codes(MP_VOCAB_OPEN, open_statuses, MP_VOCAB_STATUSES_MAX);
    enum mp_status rc;
    memset(&q, 0, sizeof q);
    memset(&c, 0, sizeof c);
    memset(&within, 0, sizeof within);
    if ((rc = staff_request(ctx, req, allowed, MP_ROLE_CREW, &who, err)) ||
        (rc = parse_lists(app, req, &q, open_statuses, nopen, true, &scratch, err)) ||
        (rc = parse_department(req, &dept, err)))
        goto out;
    const char *fmt = mp_req_query(req, "format");
    if (!fmt)
        fmt = "geojson";
    if (strcmp(fmt, "geojson") && strcmp(fmt, "csv") && strcmp(fmt, "gpx")) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter", "format must be geojson, csv or gpx");
        goto out;
    }
    /* A crew's list is its own department's; staff above may look at any. */
    if (who.role == MP_ROLE_CREW) {
        if (dept && strcmp(dept, who.department) != 0) {
            rc = mp_fail(err, MP_EFORBIDDEN, "forbidden",
                         "a crew of %.47s may not pull the worklist of %.47s", who.department,
                         dept);
            goto out;
        }
        dept = who.department;
    }
    const char *bbox = mp_req_query(req, "bbox"), *w = mp_req_query(req, "within");
    if ((q.district != NULL) + (bbox != NULL) + (w != NULL) > 1) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter",
                     "give one area: district, bbox or within");
        goto out;
    }
    if (bbox) {
        if ((rc = mp_bbox_parse(bbox, &q.bbox, err)))
            goto out;
        q.has_bbox = true;
    }
    if (w) {
        if ((rc = parse_within(w, &within, err)))
            goto out;
        has_within = true;
        q.has_bbox = true;
        q.bbox = within.bbox;
    }
    const char *sv = mp_req_query(req, "start");
    if (sv) {
        if ((rc = parse_start(ctx, sv, start_ll, start_xy, err)))
            goto out;
        has_start = true;
    }
    if ((rc = load_rules(app, &a, err)))
        goto out;
    int64_t now = mp_time_now();
    c = (struct collect){.app = app, .a = a, .department = dept, .now = now, .max = WORKLIST_MAX,
                         .within = has_within ? &within : NULL};
    if ((rc = mp_store_work_list(ctx->db, &q, collect_row, &c)) || c.nomem) {
        rc = c.nomem ? MP_ENOMEM
                     : mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the jobs right now");
        goto out;
    }
    if (c.too_many) {
        rc = mp_fail(err, MP_EINVAL, "too_many_stops",
                     "more than %d open jobs match; narrow the area, department or category",
                     WORKLIST_MAX);
        goto out;
    }
    size_t n = c.n;
    xy = malloc((2 * n + 2) * sizeof *xy);
    order = malloc((n + 1) * sizeof *order);
    if (!xy || !order) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = c.jobs[i].x;
        xy[2 * i + 1] = c.jobs[i].y;
    }
    double total = 0;
    if ((rc = mp_route_plan(xy, n, has_start ? start_xy : NULL, order, &total))) {
        rc = mp_fail(err, rc, "internal", "cannot plan the route");
        goto out;
    }
    struct mp_buf *b = &resp->body;
    double cum = 0;
    if (strcmp(fmt, "geojson") == 0) {
        mp_buf_adds(b, "{\"type\":\"FeatureCollection\",\"features\":[");
        for (size_t k = 0; k < n; k++) {
            const struct job *j = &c.jobs[order[k]];
            double leg = leg_m(c.jobs, order, k, has_start ? start_xy : NULL);
            cum += leg;
            if (k)
                mp_buf_addc(b, ',');
            mp_buf_adds(b, "{\"type\":\"Feature\",\"id\":");
            mp_json_int(b, j->id);
            mp_buf_adds(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
            mp_json_coord(b, j->lon, j->lat);
            mp_buf_printf(b, "},\"properties\":{\"stop\":%zu,", k + 1);
            json_job_fields(b, app, &who, j, now);
            mp_buf_adds(b, ",\"leg_m\":");
            mp_json_num(b, leg, 1);
            mp_buf_adds(b, ",\"cumulative_m\":");
            mp_json_num(b, cum, 1);
            mp_buf_adds(b, "}}");
        }
        mp_buf_adds(b, "],\"route\":{\"type\":\"LineString\",\"coordinates\":[");
        size_t pts = 0;
        if (has_start) {
            mp_json_coord(b, start_ll[0], start_ll[1]);
            pts++;
        }
        for (size_t k = 0; k < n; k++) {
            if (pts++)
                mp_buf_addc(b, ',');
            mp_json_coord(b, c.jobs[order[k]].lon, c.jobs[order[k]].lat);
        }
        mp_buf_adds(b, "]},\"route_length_m\":");
        mp_json_num(b, total, 1);
        mp_buf_printf(b, ",\"count\":%zu,\"start\":", n);
        if (has_start)
            mp_json_coord(b, start_ll[0], start_ll[1]);
        else
            mp_buf_adds(b, "null");
        mp_buf_adds(b, ",\"department\":");
        mp_json_str(b, dept);
        mp_buf_adds(b, ",\"generated_at\":");
        mp_json_time(b, now);
        mp_buf_addc(b, '}');
        resp->content_type = "application/geo+json";
    } else if (strcmp(fmt, "csv") == 0) {
        static const char *const cols[] = {
            "stop",        "cluster_id", "category", "category_name", "status",   "priority",
            "overdue",     "due_at",     "report_count", "age_days",  "address",  "location",
            "district",    "lat",        "lon",      "leg_m",         "cumulative_m", "department",
            "crew"};
        struct sink s = {b};
        for (size_t i = 0; i < sizeof cols / sizeof *cols && !rc; i++)
            rc = csv_text(&s, cols[i], i == 0);
        if (!rc)
            rc = mp_csv_end_row(buf_sink, &s);
        for (size_t k = 0; k < n && !rc; k++) {
            const struct job *j = &c.jobs[order[k]];
            char due[32];
            double leg = leg_m(c.jobs, order, k, has_start ? start_xy : NULL);
            cum += leg;
            mp_time_format(j->ar.due_at, due, sizeof due);
            if ((rc = csv_int(&s, (int64_t)k + 1, 1)) || (rc = csv_int(&s, j->id, 0)) ||
                (rc = csv_text(&s, j->category, 0)) ||
                (rc = csv_text(&s, category_name(app->city, j->category), 0)) ||
                (rc = csv_text(&s, j->status, 0)) || (rc = csv_int(&s, j->ar.priority, 0)) ||
                (rc = csv_text(&s, j->ar.overdue ? "true" : "false", 0)) ||
                (rc = csv_text(&s, due, 0)) || (rc = csv_int(&s, j->report_count, 0)) ||
                (rc = csv_num(&s, age_days(j->first_at, now), 1)) ||
                (rc = csv_text(&s, j->address, 0)) || (rc = csv_text(&s, j->location, 0)) ||
                (rc = csv_text(&s, j->district, 0)) || (rc = csv_num(&s, j->lat, 7)) ||
                (rc = csv_num(&s, j->lon, 7)) || (rc = csv_num(&s, leg, 1)) ||
                (rc = csv_num(&s, cum, 1)) || (rc = csv_text(&s, j->department, 0)) ||
                (rc = csv_text(&s, j->crew, 0)) || (rc = mp_csv_end_row(buf_sink, &s)))
                break;
        }
        if (rc) {
            rc = mp_fail(err, MP_ENOMEM, "internal", "cannot write the worklist");
            goto out;
        }
        resp->content_type = "text/csv; charset=utf-8";
        snprintf(resp->disposition, sizeof resp->disposition,
                 "attachment; filename=\"worklist.csv\"");
    } else {
        char when[32];
        mp_time_format(now, when, sizeof when);
        mp_buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<gpx version=\"1.1\" creator=\"meldpunt\" "
                       "xmlns=\"http://www.topografix.com/GPX/1/1\">\n<metadata><name>");
        xml_text(b, "Worklist");
        if (dept) {
            mp_buf_adds(b, " ");
            xml_text(b, dept);
        }
        mp_buf_printf(b, "</name><desc>%zu stops, route %.1f km</desc><time>%s</time></metadata>\n",
                      n, total / 1000.0, when);
        for (size_t k = 0; k < n; k++)
            gpx_point(b, "wpt", app, &c.jobs[order[k]], k + 1, now);
        mp_buf_adds(b, "<rte><name>");
        xml_text(b, "Worklist");
        mp_buf_adds(b, "</name>\n");
        for (size_t k = 0; k < n; k++)
            gpx_point(b, "rtept", app, &c.jobs[order[k]], k + 1, now);
        mp_buf_adds(b, "</rte>\n</gpx>\n");
        resp->content_type = "application/gpx+xml";
        snprintf(resp->disposition, sizeof resp->disposition,
                 "attachment; filename=\"worklist.gpx\"");
    }
    resp->cache = "no-store";
    rc = mp_buf_status(b);
out:
    free(c.jobs);
    free(xy);
    free(order);
    free(scratch);
    mp_multipolygon_free(&within);
    mp_automation_free(a);
    return rc;
}
