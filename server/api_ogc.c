/* api_ogc.c - OGC API - Features under /ogc: Part 1 (core, GeoJSON, HTML,
 * OpenAPI 3.0), Part 2 (CRS by reference) and Part 3 (queryables as query
 * parameters). Landing page, the API definition, conformance, collections
 * (reports, clusters, districts), their queryables, items and single items.
 * GIS clients (QGIS, GDAL's OAPIF driver, OWSLib) add these as live layers.
 *
 * Every document is JSON; the HTML representation (f=html, or a browser's
 * Accept header) is the same document rendered by ogc_html.h, so every
 * answer says "Vary: Accept". Links are absolute, from the public base URL
 * (mp_req_public_base: MELDPUNT_PUBLIC_URL or a trusted proxy's headers,
 * never a client's Host), so a client can follow them as given. Items are
 * public: the same fields as the public exports (export.h), never reporter
 * contacts.
 *
 * Paging is by keyset: a `next` link carries an opaque cursor (the last id
 * returned), so pages stay consistent while reports arrive and deep pages
 * cost no more than the first. numberMatched is given on the first page
 * only (it costs a count over the whole selection).
 *
 * The districts collection comes from the city pack; its feature ids are
 * positions (1-based) in the pack's district list, its properties are the
 * district code and name, and datetime does not apply to it (ignored). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/ogc.h"
#include "meldpunt/ogc_doc.h"
#include "meldpunt/ogc_html.h"
#include "meldpunt/ogc_openapi.h"
#include "meldpunt/region.h"
#include "meldpunt/timeutil.h"

/* ---- representations ---- */

/* The quality the Accept header gives media type `type` ("text/html"), by
 * its exact entry, else "text/ *", else "* / *"; 0 when none matches. */
static double accept_q(const char *accept, const char *type)
{
    double exact = -1, group = -1, any = -1;
    const char *slash = strchr(type, '/');
    size_t glen = slash ? (size_t)(slash - type) : 0;
    for (const char *p = accept; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ";,");
        double q = 1;
        const char *e = p + n;
        while (*e == ';') {
            e++;
            while (*e == ' ')
                e++;
            if (strncmp(e, "q=", 2) == 0)
                q = strtod(e + 2, NULL);
            e += strcspn(e, ";,");
        }
        while (n && p[n - 1] == ' ')
            n--;
        if (n == strlen(type) && strncasecmp(p, type, n) == 0)
            exact = q;
        else if (glen && n == glen + 2 && strncasecmp(p, type, glen + 1) == 0 && p[glen + 1] == '*')
            group = q;
        else if (n == 3 && strncmp(p, "*/*", 3) == 0)
            any = q;
        p = *e ? e + 1 : e;
    }
    return exact >= 0 ? exact : group >= 0 ? group : any >= 0 ? any : 0;
}

/* HTML or JSON: f decides; without it HTML only when the Accept header
 * prefers text/html to JSON (a browser), so that clients that send no
 * Accept, or * / *, get JSON as before. */
static enum mp_status want_html(const struct mp_request *req, bool items, bool *html,
                                struct mp_error *err)
{
    const char *f = mp_req_query(req, "f");
    *html = false;
    if (f) {
        if (strcmp(f, "html") == 0)
            *html = true;
        else if (strcmp(f, "json") != 0 && !(items && strcmp(f, "geojson") == 0))
            return mp_fail(err, MP_EINVAL, "invalid_parameter", "f must be json%s or html",
                           items ? ", geojson" : "");
        return MP_OK;
    }
    const char *accept = mp_req_header(req, "Accept");
    if (accept) {
        double h = accept_q(accept, "text/html");
        double j = accept_q(accept, "application/json");
        double g = accept_q(accept, "application/geo+json");
        *html = h > j && h > g;
    }
    return MP_OK;
}

/* The body holds the JSON document: answer it as it is (type), or as the
 * HTML page titled title. */
static enum mp_status answer(struct mp_response *resp, bool html, const char *type,
                             const char *title, const char *features_href, struct mp_error *err)
{
    enum mp_status rc;
    resp->cache = "no-cache";
    resp->vary_accept = true; /* HTML or JSON by the Accept header (want_html) */
    if ((rc = mp_buf_status(&resp->body)))
        return rc;
    if (!html) {
        resp->content_type = type;
        return MP_OK;
    }
    struct mp_buf page;
    mp_buf_init(&page, 0);
    rc = mp_ogc_html(&page, title, resp->body.data, resp->body.len, features_href);
    if (rc == MP_OK)
        rc = mp_buf_status(&page);
    if (rc) {
        mp_buf_free(&page);
        return mp_fail(err, rc == MP_EINVAL ? MP_EIO : rc, "internal",
                       "cannot write the HTML page");
    }
    mp_buf_free(&resp->body);
    resp->body = page;
    resp->content_type = "text/html; charset=utf-8";
    return MP_OK;
}

/* The arguments of a document that takes none but f; *html is its choice. */
static enum mp_status check_f_only(const struct mp_request *req, bool *html, struct mp_error *err)
{
    static const char *const allowed[] = {"f", NULL};
    enum mp_status rc = mp_api_check_params(req, allowed, err);
    return rc ? rc : want_html(req, false, html, err);
}

/* The collection the path names; 404 for any other name. */
static enum mp_status path_coll(const struct mp_request *req, enum mp_ogc_coll *c,
                                struct mp_error *err)
{
    if (!mp_ogc_collection_find(req->path_rest, c))
        return mp_fail(err, MP_ENOTFOUND, "not_found", "no such collection");
    return MP_OK;
}

static void page_title(char *out, size_t cap, const struct mp_app *app, const char *what)
{
    snprintf(out, cap, "meldpunt %.80s: %s", app->city->name, what);
}

/* ---- landing page, API, conformance, collections, queryables ---- */

/* A document that takes no argument but f and reads no data: write writes
 * it, type is its JSON media type, what its HTML page's title. */
static enum mp_status plain_doc(struct mp_app *app, const struct mp_request *req,
                                struct mp_response *resp,
                                void (*write)(struct mp_buf *, const struct mp_ogc_view *),
                                const char *type, const char *what, struct mp_error *err)
{
    enum mp_status rc;
    char base[MP_PUBLIC_BASE_MAX], title[192];
    bool html;
    if ((rc = check_f_only(req, &html, err)))
        return rc;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    write(&resp->body, &v);
    page_title(title, sizeof title, app, what);
    return answer(resp, html, type, title, NULL, err);
}

enum mp_status mp_api_ogc_landing(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)ctx;
    return plain_doc(app, req, resp, mp_ogc_doc_landing, "application/json", "OGC API - Features",
                     err);
}

enum mp_status mp_api_ogc_api(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                              struct mp_response *resp, struct mp_error *err)
{
    (void)ctx;
    return plain_doc(app, req, resp, mp_ogc_openapi, MP_OGC_OPENAPI_TYPE, "the API (OpenAPI 3.0)",
                     err);
}

enum mp_status mp_api_ogc_conformance(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    (void)ctx;
    return plain_doc(app, req, resp, mp_ogc_doc_conformance, "application/json",
                     "conformance classes", err);
}

enum mp_status mp_api_ogc_collections(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    enum mp_status rc;
    char base[MP_PUBLIC_BASE_MAX], title[192];
    int64_t first = 0, last = 0;
    bool html;
    if ((rc = check_f_only(req, &html, err)) || (rc = mp_ogc_time_extent(ctx, &first, &last, err)))
        return rc;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    mp_ogc_doc_collections(&resp->body, &v, first, last);
    page_title(title, sizeof title, app, "collections");
    return answer(resp, html, "application/json", title, NULL, err);
}

enum mp_status mp_api_ogc_collection(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    enum mp_status rc;
    char base[MP_PUBLIC_BASE_MAX], title[192];
    int64_t first = 0, last = 0;
    enum mp_ogc_coll c;
    bool html;
    if ((rc = path_coll(req, &c, err)) || (rc = check_f_only(req, &html, err)) ||
        (rc = mp_ogc_time_extent(ctx, &first, &last, err)))
        return rc;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    mp_ogc_doc_collection(&resp->body, &v, c, first, last);
    page_title(title, sizeof title, app, mp_ogc_collection(c)->title);
    return answer(resp, html, "application/json", title, NULL, err);
}

enum mp_status mp_api_ogc_queryables(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)ctx;
    enum mp_status rc;
    char base[MP_PUBLIC_BASE_MAX], title[192], what[96];
    enum mp_ogc_coll c;
    bool html;
    if ((rc = path_coll(req, &c, err)) || (rc = check_f_only(req, &html, err)))
        return rc;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    mp_ogc_doc_queryables(&resp->body, &v, c);
    snprintf(what, sizeof what, "queryables of %s", mp_ogc_collection(c)->id);
    page_title(title, sizeof title, app, what);
    return answer(resp, html, "application/schema+json", title, NULL, err);
}

/* ---- items: decoding ---- */

/* One end of a datetime interval: "" or ".." is open (0). A date covers its
 * whole UTC day; an end is inclusive, so its exclusive bound is one second
 * (or one day) later. A date written with a bare "T" after it, as GDAL
 * writes dates, is the date. */
static enum mp_status interval_end(const char *name, const char *s, bool is_end, int64_t *out,
                                   struct mp_error *err)
{
    char tmp[64];
    size_t n = strlen(s);
    *out = 0;
    if (!n || strcmp(s, "..") == 0)
        return MP_OK;
    if (n == 11 && s[10] == 'T' && n < sizeof tmp) {
        memcpy(tmp, s, 10);
        tmp[10] = '\0';
        s = tmp;
        n = 10;
    }
    int64_t t;
    if (mp_time_parse(s, 0, &t) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "%s must be an RFC 3339 date-time, a date, or an interval a/b "
                       "with '..' for an open end",
                       name);
    *out = is_end ? t + (n == 10 ? 86400 : 1) : t;
    return MP_OK;
}

/* An instant or interval into [*since, *until), 0 for an open end. */
static enum mp_status parse_interval(const char *name, const char *v, int64_t *since,
                                     int64_t *until, struct mp_error *err)
{
    enum mp_status rc;
    char a[64], b[64];
    const char *slash = strchr(v, '/');
    if (strlen(v) >= sizeof a)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s is too long", name);
    if (!slash) {
        int64_t t;
        if ((rc = interval_end(name, v, false, &t, err)) ||
            (rc = interval_end(name, v, true, until, err)))
            return rc;
        if (!t)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "%s '..' needs an interval, e.g. ../2021-01-31", name);
        *since = t;
        return MP_OK;
    }
    if (strchr(slash + 1, '/'))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s has more than one '/'", name);
    /* Both parts fit: v is shorter than a and b. */
    memcpy(a, v, (size_t)(slash - v));
    a[slash - v] = '\0';
    memcpy(b, slash + 1, strlen(slash + 1) + 1);
    if ((rc = interval_end(name, a, false, since, err)) ||
        (rc = interval_end(name, b, true, until, err)))
        return rc;
    if (!*since && !*until)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "%s interval must have at least one end", name);
    if (*since && *until && *since >= *until)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s interval must start before it ends",
                       name);
    return MP_OK;
}

/* Narrow [*since, *until) to its overlap with [s, u) (0: open). */
static void narrow(int64_t *since, int64_t *until, int64_t s, int64_t u)
{
    if (s && (!*since || s > *since))
        *since = s;
    if (u && (!*until || u < *until))
        *until = u;
}

/* bbox: four numbers (or six with heights, which are ignored). */
static enum mp_status parse_box(const char *v, double box[4], struct mp_error *err)
{
    double n[6];
    int k = 0;
    const char *p = v;
    while (k < 6) {
        char *end = NULL;
        errno = 0;
        n[k] = strtod(p, &end);
        if (end == p || errno)
            break;
        k++;
        p = end;
        if (*p != ',')
            break;
        p++;
    }
    if (*p || (k != 4 && k != 6))
        return mp_fail(err, MP_EINVAL, "invalid_bbox",
                       "bbox must be minLon,minLat,maxLon,maxLat (or six numbers with heights)");
    if (k == 6) { /* minx, miny, minz, maxx, maxy, maxz */
        n[2] = n[3];
        n[3] = n[4];
    }
    memcpy(box, n, 4 * sizeof *box);
    return MP_OK;
}

/* The raw values that the page links repeat, in link order. */
enum { L_BBOX, L_BBOX_CRS, L_DATETIME, L_CRS, L_Q0, L_NLINK = L_Q0 + 8 };

struct items_req {
    struct mp_ogc_query q;
    struct mp_ogc_crs crs; /* of the answer */
    bool crs_default;
    bool html;
    const char *link[L_NLINK]; /* raw values, NULL when absent or default */
    const char *link_name[L_NLINK];
    char cats[MP_QUERY_MAX_LIST * 49];
    char stats[MP_QUERY_MAX_LIST * 25];
};

/* bbox and bbox-crs into the store's lon/lat box, and the exact box of a
 * projected CRS. */
static enum mp_status decode_box(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct items_req *ir,
                                 struct mp_error *err)
{
    enum mp_status rc;
    struct mp_ogc_crs bc;
    double box[4];
    const char *v = mp_req_query(req, "bbox"), *bcv = mp_req_query(req, "bbox-crs");
    if (bcv && !mp_ogc_crs_find(app->city, bcv, &bc))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "bbox-crs '%.100s' is not one of this service's CRSs (the collections "
                       "list them)",
                       bcv);
    bool lonlat = !bcv || strcmp(bcv, MP_OGC_CRS84) == 0;
    if (!lonlat)
        ir->link[L_BBOX_CRS] = bcv;
    if (!v)
        return MP_OK;
    ir->link[L_BBOX] = v;
    if ((rc = parse_box(v, box, err)))
        return rc;
    if (box[0] > box[2] || box[1] > box[3])
        return mp_fail(err, MP_EINVAL, "invalid_bbox",
                       "bbox must list its minimum corner first (no antimeridian crossing)");
    struct mp_bbox *bb = &ir->q.q.bbox;
    if (lonlat) {
        for (int i = 0; i < 4; i++)
            if (!(box[i] >= (i % 2 ? -90.0 : -180.0) && box[i] <= (i % 2 ? 90.0 : 180.0)))
                return mp_fail(err, MP_EINVAL, "invalid_bbox",
                               "bbox must be WGS84 longitudes (-180..180) and latitudes "
                               "(-90..90)");
        *bb = (struct mp_bbox){box[0], box[1], box[2], box[3]};
    } else {
        struct mp_geo_crs *gc;
        if ((rc = mp_geo_crs_get(ctx->geo, bc.code, &gc, err)))
            return rc;
        double env[4];
        if (mp_geo_crs_box_to_lonlat(gc, box, env) != MP_OK)
            return mp_fail(err, MP_EINVAL, "invalid_bbox",
                           "bbox cannot be transformed from %.60s to longitudes and latitudes",
                           bc.uri);
        *bb = (struct mp_bbox){env[0], env[1], env[2], env[3]};
        /* A box of a geographic CRS is a box of lon/lat too; a projected
         * one is not: its rows are tested exactly. */
        if (!mp_geo_crs_is_geographic(gc)) {
            ir->q.box_crs = gc;
            memcpy(ir->q.box, box, sizeof ir->q.box);
        }
    }
    ir->q.q.has_bbox = true;
    return MP_OK;
}

static enum mp_status decode_district(const struct mp_city *city, const char *v, const char **code,
                                      struct mp_error *err)
{
    const struct mp_district *d = mp_city_district(city, v);
    for (size_t i = 0; !d && i < city->ndistricts; i++)
        if (strcmp(city->districts[i].name, v) == 0)
            d = &city->districts[i];
    if (!d)
        return mp_fail(err, MP_EINVAL, "unknown_district",
                       "unknown district '%.60s'; the queryables list them", v);
    *code = d->code;
    return MP_OK;
}

/* A municipality queryable's value: a member of the region by id or name.
 * The error names as many of the valid ids as its text holds. */
static enum mp_status decode_municipality(const struct mp_region *r, const char *v,
                                          const char **id, struct mp_error *err)
{
    const struct mp_city *m = mp_ogc_municipality(r, v);
    if (m) {
        *id = m->id;
        return MP_OK;
    }
    char list[sizeof err->text];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < r->nmembers; i++) {
        const char *mid = r->members[i].city->id;
        /* Room for ", ", the id and a closing ", ..." within the text. */
        if (len + strlen(mid) + 8 > sizeof list - 60) {
            snprintf(list + len, sizeof list - len, ", ...");
            break;
        }
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", mid);
    }
    return mp_fail(err, MP_EINVAL, "unknown_municipality",
                   "unknown municipality '%.24s'; one of %zu: %s", v, r->nmembers, list);
}

/* The queryable parameters of the collection. */
static enum mp_status decode_filters(struct mp_app *app, const struct mp_request *req,
                                     struct items_req *ir, struct mp_error *err)
{
    enum mp_status rc;
    size_t nq;
    const struct mp_ogc_queryable *qs = mp_ogc_queryables(ir->q.coll, app->region, &nq);
    struct mp_query *q = &ir->q.q;
    for (size_t i = 0; i < nq && L_Q0 + i < L_NLINK; i++) {
        const char *v = mp_req_query(req, qs[i].name);
        if (!v)
            continue;
        ir->link[L_Q0 + i] = v;
        ir->link_name[L_Q0 + i] = qs[i].name;
        int64_t s = 0, u = 0;
        switch (qs[i].type) {
        case MP_OGC_Q_CATEGORY:
            if (strlen(v) >= sizeof ir->cats)
                return mp_fail(err, MP_EINVAL, "invalid_parameter", "category is too long");
            if ((rc = mp_api_parse_categories(app, memcpy(ir->cats, v, strlen(v) + 1),
                                              q->categories, &q->ncategories, err)))
                return rc;
            break;
        case MP_OGC_Q_STATUS: {
            const char *items[MP_QUERY_MAX_LIST];
            size_t n;
            if (strlen(v) >= sizeof ir->stats)
                return mp_fail(err, MP_EINVAL, "invalid_parameter", "status is too long");
            if ((rc = mp_api_split_list(memcpy(ir->stats, v, strlen(v) + 1), items, &n, "status",
                                        err)))
                return rc;
            for (size_t k = 0; k < n; k++)
                if ((rc = mp_cluster_status_filter_add(q, items[k], err)))
                    return rc;
            break;
        }
        case MP_OGC_Q_DISTRICT:
            if ((rc = decode_district(app->city, v, &q->district, err)))
                return rc;
            break;
        case MP_OGC_Q_TIME:
            if ((rc = parse_interval(qs[i].name, v, &s, &u, err)))
                return rc;
            if (strcmp(qs[i].name, "updated_at") == 0)
                narrow(&q->updated_since, &q->updated_until, s, u);
            else
                narrow(&q->since, &q->until, s, u);
            break;
        case MP_OGC_Q_TEXT:
            if (strcmp(qs[i].name, "code") == 0)
                ir->q.code = v;
            else
                ir->q.name = v;
            break;
        case MP_OGC_Q_MUNICIPALITY:
            if ((rc = decode_municipality(app->region, v, &q->municipality, err)))
                return rc;
            break;
        }
    }
    /* Two time ranges on the same column that do not meet select nothing;
     * the store is told so plainly rather than with an inverted range. */
    if (q->since && q->until && q->since >= q->until)
        q->until = q->since;
    if (q->updated_since && q->updated_until && q->updated_since >= q->updated_until)
        q->updated_until = q->updated_since;
    return MP_OK;
}

static bool param_allowed(const struct mp_region *r, enum mp_ogc_coll c, const char *k)
{
    static const char *const fixed[] = {"f",        "bbox",  "bbox-crs", "crs",
                                        "datetime", "limit", "cursor",   NULL};
    for (size_t i = 0; fixed[i]; i++)
        if (strcmp(fixed[i], k) == 0)
            return true;
    size_t n;
    const struct mp_ogc_queryable *qs = mp_ogc_queryables(c, r, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(qs[i].name, k) == 0)
            return true;
    return false;
}

struct param_check {
    const struct mp_region *r;
    enum mp_ogc_coll c;
    const char *bad;
};

static int check_param(void *p, const char *k, const char *v)
{
    (void)v;
    struct param_check *pc = p;
    if (param_allowed(pc->r, pc->c, k))
        return 0;
    pc->bad = k;
    return 1;
}

/* The output CRS (crs=) into ir and *gc (NULL for CRS84). */
static enum mp_status decode_crs(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct items_req *ir,
                                 struct mp_geo_crs **gc, struct mp_error *err)
{
    const char *v = mp_req_query(req, "crs");
    *gc = NULL;
    if (!v)
        v = MP_OGC_CRS84;
    if (!mp_ogc_crs_find(app->city, v, &ir->crs))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "crs '%.100s' is not one of this service's CRSs (the collections list "
                       "them)",
                       v);
    ir->crs_default = strcmp(v, MP_OGC_CRS84) == 0;
    if (ir->crs_default)
        return MP_OK;
    ir->link[L_CRS] = v;
    return mp_geo_crs_get(ctx->geo, ir->crs.code, gc, err);
}

static enum mp_status parse_items(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, enum mp_ogc_coll c,
                                  struct items_req *ir, struct mp_geo_crs **gc,
                                  struct mp_error *err)
{
    enum mp_status rc;
    const char *v;
    memset(ir, 0, sizeof *ir);
    ir->q.coll = c;
    ir->q.limit = MP_OGC_LIMIT_DEFAULT;
    ir->link_name[L_BBOX] = "bbox";
    ir->link_name[L_BBOX_CRS] = "bbox-crs";
    ir->link_name[L_DATETIME] = "datetime";
    ir->link_name[L_CRS] = "crs";
    struct param_check pc = {app->region, c, NULL};
    mp_req_query_each(req, check_param, &pc);
    if (pc.bad)
        return mp_fail(err, MP_EINVAL, "unknown_parameter", "unknown query parameter '%.40s'",
                       pc.bad);
    if ((rc = want_html(req, true, &ir->html, err)) || (rc = decode_box(app, ctx, req, ir, err)))
        return rc;
    if ((v = mp_req_query(req, "datetime"))) {
        if ((rc = parse_interval("datetime", v, &ir->q.q.since, &ir->q.q.until, err)))
            return rc;
        ir->link[L_DATETIME] = v;
    }
    if ((rc = decode_filters(app, req, ir, err)) || (rc = decode_crs(app, ctx, req, ir, gc, err)))
        return rc;
    if ((v = mp_req_query(req, "limit"))) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < 1)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "limit must be a whole number from 1 to %d", MP_OGC_LIMIT_MAX);
        /* Larger values are served as the maximum: the client pages on.
         * The maximum is also the server's page bound (cfg->max_page), the
         * features any list answer holds at most. */
        size_t most = app->cfg->max_page < MP_OGC_LIMIT_MAX ? app->cfg->max_page : MP_OGC_LIMIT_MAX;
        ir->q.limit = (unsigned long long)n > most ? most : (size_t)n;
    }
    if ((v = mp_req_query(req, "cursor"))) {
        if (mp_api_cursor_decode(v, &ir->q.q.after_id) != MP_OK)
            return mp_fail(err, MP_EINVAL, "invalid_cursor",
                           "cursor is not one this server handed out");
    }
    ir->q.count = !v;
    return MP_OK;
}

/* The items URL with the selection and paging of this request. */
static void items_url(struct mp_buf *u, const char *base, enum mp_ogc_coll c,
                      const struct items_req *ir, const char *cursor)
{
    char sep = '?';
    mp_buf_printf(u, "%s/ogc/collections/%s/items", base, mp_ogc_collection(c)->id);
    for (int i = 0; i < L_NLINK; i++) {
        if (!ir->link[i])
            continue;
        mp_buf_printf(u, "%c%s=", sep, ir->link_name[i]);
        mp_ogc_doc_add_encoded(u, ir->link[i]);
        sep = '&';
    }
    mp_buf_printf(u, "%climit=%zu", sep, ir->q.limit);
    if (cursor) {
        mp_buf_adds(u, "&cursor=");
        mp_ogc_doc_add_encoded(u, cursor);
    }
}

/* ---- items: answering ---- */

struct item_out {
    struct mp_buf *b;
    const struct mp_ogc_view *v;
    struct mp_geo_crs *crs;
    bool with_links;
    size_t n;
};

static void item_out(void *arg, const struct mp_ogc_item *it)
{
    struct item_out *o = arg;
    if (o->n++)
        mp_buf_addc(o->b, ',');
    mp_ogc_doc_item(o->b, o->v, it, o->crs, o->with_links);
}

static void set_content_crs(struct mp_response *resp, const struct mp_ogc_crs *crs)
{
    snprintf(resp->content_crs, sizeof resp->content_crs, "<%s>", crs->uri);
}

enum mp_status mp_api_ogc_items(struct mp_app *app, struct mp_ctx *ctx,
                                const struct mp_request *req, struct mp_response *resp,
                                struct mp_error *err)
{
    enum mp_status rc;
    struct items_req *ir = NULL;
    struct mp_geo_crs *gc = NULL;
    char base[MP_PUBLIC_BASE_MAX], title[192], href[MP_PUBLIC_BASE_MAX + 64];
    enum mp_ogc_coll c;
    struct mp_buf url, next;
    mp_buf_init(&url, 16384);
    mp_buf_init(&next, 16384);
    if ((rc = path_coll(req, &c, err)))
        goto out;
    if (!(ir = malloc(sizeof *ir))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    if ((rc = parse_items(app, ctx, req, c, ir, &gc, err)) ||
        (rc = mp_req_take_read(req, resp, err)))
        goto out;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    struct mp_buf *b = &resp->body;
    struct mp_ogc_page page;
    struct item_out o = {b, &v, gc, false, 0};
    mp_buf_adds(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    if ((rc = mp_ogc_items(ctx, &ir->q, item_out, &o, &page, err)))
        goto out;
    items_url(&url, base, c, ir, mp_req_query(req, "cursor"));
    if (page.more) {
        char cur[64];
        mp_api_cursor_encode(page.last_id, cur, sizeof cur);
        items_url(&next, base, c, ir, cur);
    }
    mp_ogc_doc_items_end(b, &v, c, url.failed ? "" : url.data,
                         page.more ? (next.failed ? "" : next.data) : NULL, &page);
    if (!ir->html)
        set_content_crs(resp, &ir->crs);
    page_title(title, sizeof title, app, mp_ogc_collection(c)->title);
    if (snprintf(href, sizeof href, "%s/ogc/collections/%s/items/", base,
                 mp_ogc_collection(c)->id) >= (int)sizeof href)
        href[0] = '\0'; /* no item links rather than cut ones */
    rc = answer(resp, ir->html, "application/geo+json", title, href, err);
out:
    mp_buf_free(&url);
    mp_buf_free(&next);
    free(ir);
    return rc;
}

enum mp_status mp_api_ogc_item(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                               struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"f", "crs", NULL};
    enum mp_status rc;
    char base[MP_PUBLIC_BASE_MAX], title[200], what[96];
    enum mp_ogc_coll c;
    struct items_req *ir = malloc(sizeof *ir);
    struct mp_geo_crs *gc = NULL;
    bool html = false;
    if (!ir)
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    memset(ir, 0, sizeof *ir);
    if ((rc = path_coll(req, &c, err)) || (rc = mp_api_check_params(req, allowed, err)) ||
        (rc = want_html(req, true, &html, err)) || (rc = decode_crs(app, ctx, req, ir, &gc, err)))
        goto out;
    mp_req_public_base(req, base, sizeof base);
    struct mp_ogc_view v = {app->city, base, app->region};
    struct item_out o = {&resp->body, &v, gc, true, 0};
    if ((rc = mp_ogc_item(ctx, c, req->path_id, item_out, &o, err)))
        goto out;
    if (!html)
        set_content_crs(resp, &ir->crs);
    snprintf(what, sizeof what, "%s %lld", mp_ogc_collection(c)->id, (long long)req->path_id);
    page_title(title, sizeof title, app, what);
    rc = answer(resp, html, "application/geo+json", title, NULL, err);
out:
    free(ir);
    return rc;
}
