/* api_ogc.c - OGC API - Features - Part 1: Core, with the GeoJSON encoding,
 * under /ogc: landing page, conformance, collections (reports, clusters,
 * districts), items with bbox, datetime, limit and next links, single items.
 * GIS clients (QGIS, GDAL's OAPIF driver) add these as live layers.
 *
 * Links are absolute, built from the request's Host header (or
 * X-Forwarded-Host / X-Forwarded-Proto behind a reverse proxy), so a client
 * can follow them as given. Items are public: the same fields as the public
 * exports (export.h), never reporter contacts.
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

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/export.h"
#include "meldpunt/geom.h"
#include "meldpunt/timeutil.h"

#define OGC_LIMIT_DEFAULT 100
#define OGC_LIMIT_MAX 10000
#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define GREGORIAN "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
#define CONF_CORE "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
#define CONF_GEOJSON "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"

enum coll { COLL_REPORTS, COLL_CLUSTERS, COLL_DISTRICTS, COLL_NONE };

static const struct {
    const char *id, *title, *description;
} colls[] = {
    [COLL_REPORTS] = {"reports", "Reports",
                      "Citizens' reports of street defects, one point each; a report's time is "
                      "when it was made."},
    [COLL_CLUSTERS] = {"clusters", "Clusters",
                       "Jobs: reports of the same defect folded together, at their centre; a "
                       "cluster's time span runs from its first to its latest report."},
    [COLL_DISTRICTS] = {"districts", "Districts",
                        "The city's districts (areas), from its city pack."},
};

static enum coll coll_of(const char *name)
{
    for (int i = 0; i < COLL_NONE; i++)
        if (name && strcmp(colls[i].id, name) == 0)
            return (enum coll)i;
    return COLL_NONE;
}

/* ---- URLs ---- */

static bool host_ok(const char *h, size_t n)
{
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

/* "http://host:port" for links. Header values are checked character by
 * character: a link must never carry text a client did not mean as a host. */
static void base_url(const struct mp_app *app, const struct mp_request *req, char *out,
                     size_t cap)
{
    const char *proto = mp_req_header(req, "X-Forwarded-Proto");
    if (!proto || (strcmp(proto, "https") != 0 && strcmp(proto, "http") != 0))
        proto = "http";
    const char *host = mp_req_header(req, "X-Forwarded-Host");
    size_t n = host ? strcspn(host, ", ") : 0;
    if (!host || !host_ok(host, n)) {
        host = mp_req_header(req, "Host");
        n = host ? strlen(host) : 0;
    }
    if (host && host_ok(host, n)) {
        /* host_ok bounds n to 200 bytes; out holds at least 256. */
        size_t pl = strlen(proto);
        if (pl + 3 + n < cap) {
            memcpy(out, proto, pl);
            memcpy(out + pl, "://", 3);
            memcpy(out + pl + 3, host, n);
            out[pl + 3 + n] = '\0';
            return;
        }
    }
    if (snprintf(out, cap, "http://%.64s:%u", app->cfg->listen_host, app->cfg->listen_port) < 0)
        out[0] = '\0';
}

/* Percent-encode a query value (RFC 3986: unreserved characters and the
 * few delimiters that are safe inside a query value stay as they are). */
static void add_encoded(struct mp_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~,:/", c)) {
            mp_buf_addc(b, (char)c);
        } else {
            mp_buf_addc(b, '%');
            mp_buf_addc(b, hex[c >> 4]);
            mp_buf_addc(b, hex[c & 15]);
        }
    }
}

static void link(struct mp_buf *b, bool first, const char *base, const char *path,
                 const char *rel, const char *type, const char *title)
{
    if (!first)
        mp_buf_addc(b, ',');
    mp_buf_adds(b, "{\"href\":");
    struct mp_buf url;
    mp_buf_init(&url, 4096);
    mp_buf_adds(&url, base);
    mp_buf_adds(&url, path);
    mp_json_str(b, url.failed ? "" : url.data);
    mp_buf_free(&url);
    mp_buf_adds(b, ",\"rel\":");
    mp_json_str(b, rel);
    mp_buf_adds(b, ",\"type\":");
    mp_json_str(b, type);
    if (title) {
        mp_buf_adds(b, ",\"title\":");
        mp_json_str(b, title);
    }
    mp_buf_addc(b, '}');
}

/* f=json is the only representation; anything else is refused rather than
 * answered with JSON the client did not ask for. */
static enum mp_status check_f(const struct mp_request *req, bool items, struct mp_error *err)
{
    const char *f = mp_req_query(req, "f");
    if (!f || strcmp(f, "json") == 0 || (items && strcmp(f, "geojson") == 0))
        return MP_OK;
    return mp_fail(err, MP_EINVAL, "invalid_parameter", "f must be json%s",
                   items ? " or geojson" : "");
}

/* The arguments of a document that takes none but f. */
static enum mp_status check_f_only(const struct mp_request *req, bool items,
                                   struct mp_error *err)
{
    static const char *const allowed[] = {"f", NULL};
    enum mp_status rc = mp_api_check_params(req, allowed, err);
    return rc ? rc : check_f(req, items, err);
}

/* The collection the path names; 404 for any other name. */
static enum mp_status path_coll(const struct mp_request *req, enum coll *c, struct mp_error *err)
{
    *c = coll_of(req->path_rest);
    if (*c == COLL_NONE)
        return mp_fail(err, MP_ENOTFOUND, "not_found", "no such collection");
    return MP_OK;
}

static enum mp_status json_answer(struct mp_response *resp, const char *type)
{
    resp->content_type = type;
    resp->cache = "no-cache";
    return mp_buf_status(&resp->body);
}

/* ---- landing page, conformance, collections ---- */

enum mp_status mp_api_ogc_landing(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    (void)ctx;
    enum mp_status rc;
    char base[256];
    if ((rc = check_f_only(req, false, err)))
        return rc;
    base_url(app, req, base, sizeof base);
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"title\":\"meldpunt\"");
    mp_buf_adds(b, ",\"description\":");
    struct mp_buf d;
    mp_buf_init(&d, 1024);
    mp_buf_printf(&d, "Street defect reports of %s, their clusters and the city's districts "
                      "as OGC API - Features.",
                  app->city->name);
    mp_json_str(b, d.failed ? "" : d.data);
    mp_buf_free(&d);
    mp_buf_adds(b, ",\"links\":[");
    link(b, true, base, "/ogc", "self", "application/json", "This document");
    link(b, false, base, "/ogc/conformance", "conformance", "application/json",
         "Conformance classes implemented by this server");
    link(b, false, base, "/ogc/collections", "data", "application/json",
         "The feature collections");
    mp_buf_adds(b, "]}");
    return json_answer(resp, "application/json");
}

enum mp_status mp_api_ogc_conformance(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    (void)app;
    (void)ctx;
    enum mp_status rc;
    if ((rc = check_f_only(req, false, err)))
        return rc;
    mp_buf_adds(&resp->body, "{\"conformsTo\":[\"" CONF_CORE "\",\"" CONF_GEOJSON "\"]}");
    return json_answer(resp, "application/json");
}

static void collection_json(struct mp_buf *b, const struct mp_app *app, const char *base,
                            enum coll c, int64_t first, int64_t last)
{
    char path[96];
    const struct mp_bbox *bb = &app->city->bbox;
    mp_buf_adds(b, "{\"id\":");
    mp_json_str(b, colls[c].id);
    mp_buf_adds(b, ",\"title\":");
    mp_json_str(b, colls[c].title);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, colls[c].description);
    mp_buf_adds(b, ",\"itemType\":\"feature\",\"crs\":[\"" CRS84 "\"],\"storageCrs\":\"" CRS84
                   "\",\"extent\":{\"spatial\":{\"bbox\":[[");
    mp_json_num(b, bb->min_lon, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->min_lat, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->max_lon, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->max_lat, 7);
    mp_buf_adds(b, "]],\"crs\":\"" CRS84 "\"}");
    if (c != COLL_DISTRICTS) {
        mp_buf_adds(b, ",\"temporal\":{\"interval\":[[");
        if (first) {
            mp_json_time(b, first);
            mp_buf_addc(b, ',');
            mp_json_time(b, last);
        } else {
            mp_buf_adds(b, "null,null");
        }
        mp_buf_adds(b, "]],\"trs\":\"" GREGORIAN "\"}");
    }
    mp_buf_adds(b, "},\"links\":[");
    snprintf(path, sizeof path, "/ogc/collections/%s", colls[c].id);
    link(b, true, base, path, "self", "application/json", "This collection");
    snprintf(path, sizeof path, "/ogc/collections/%s/items", colls[c].id);
    link(b, false, base, path, "items", "application/geo+json", colls[c].title);
    mp_buf_adds(b, "]}");
}

enum mp_status mp_api_ogc_collections(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    enum mp_status rc;
    char base[256];
    int64_t first = 0, last = 0;
    if ((rc = check_f_only(req, false, err)))
        return rc;
    if (mp_export_time_extent(ctx, &first, &last) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the collections right now");
    base_url(app, req, base, sizeof base);
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"links\":[");
    link(b, true, base, "/ogc/collections", "self", "application/json", "The collections");
    mp_buf_adds(b, "],\"collections\":[");
    for (int c = 0; c < COLL_NONE; c++) {
        if (c)
            mp_buf_addc(b, ',');
        collection_json(b, app, base, (enum coll)c, first, last);
    }
    mp_buf_adds(b, "]}");
    return json_answer(resp, "application/json");
}

enum mp_status mp_api_ogc_collection(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    enum mp_status rc;
    char base[256];
    int64_t first = 0, last = 0;
    enum coll c;
    if ((rc = path_coll(req, &c, err)) || (rc = check_f_only(req, false, err)))
        return rc;
    if (mp_export_time_extent(ctx, &first, &last) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the collection right now");
    base_url(app, req, base, sizeof base);
    collection_json(&resp->body, app, base, c, first, last);
    return json_answer(resp, "application/json");
}

/* ---- items ---- */

/* One end of a datetime interval: "" or ".." is open (0). A date covers its
 * whole UTC day; an end is inclusive, so its exclusive bound is one second
 * (or one day) later. */
static enum mp_status interval_end(const char *s, bool is_end, int64_t *out,
                                   struct mp_error *err)
{
    *out = 0;
    if (!*s || strcmp(s, "..") == 0)
        return MP_OK;
    int64_t t;
    if (mp_time_parse(s, 0, &t) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "datetime must be an RFC 3339 date-time, a date, or an interval a/b "
                       "with '..' for an open end");
    *out = is_end ? t + (strlen(s) == 10 ? 86400 : 1) : t;
    return MP_OK;
}

static enum mp_status parse_datetime(const char *v, struct mp_query *q, struct mp_error *err)
{
    enum mp_status rc;
    char a[64], b[64];
    const char *slash = strchr(v, '/');
    if (strlen(v) >= sizeof a)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "datetime is too long");
    if (!slash) {
        int64_t t;
        if ((rc = interval_end(v, false, &t, err)) || (rc = interval_end(v, true, &q->until, err)))
            return rc;
        if (!t)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "datetime '..' needs an interval, e.g. ../2021-01-31");
        q->since = t;
        return MP_OK;
    }
    if (strchr(slash + 1, '/'))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "datetime has more than one '/'");
    /* Both parts fit: v is shorter than a and b. */
    memcpy(a, v, (size_t)(slash - v));
    a[slash - v] = '\0';
    memcpy(b, slash + 1, strlen(slash + 1) + 1);
    if ((rc = interval_end(a, false, &q->since, err)) ||
        (rc = interval_end(b, true, &q->until, err)))
        return rc;
    if (!q->since && !q->until)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "datetime interval must have at least one end");
    if (q->since && q->until && q->since >= q->until)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "datetime interval must start before it ends");
    return MP_OK;
}

/* bbox=minLon,minLat,maxLon,maxLat (or the six-number form with heights,
 * whose heights are ignored), in CRS84. Unlike the map's listing, any size
 * is fine: a GIS client zoomed out asks for the world. */
static enum mp_status parse_bbox(const char *v, struct mp_bbox *out, struct mp_error *err)
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
    for (int i = 0; i < 4; i++)
        if (!(n[i] >= (i % 2 ? -90.0 : -180.0) && n[i] <= (i % 2 ? 90.0 : 180.0)))
            return mp_fail(err, MP_EINVAL, "invalid_bbox",
                           "bbox must be WGS84 longitudes (-180..180) and latitudes (-90..90)");
    if (n[0] > n[2] || n[1] > n[3])
        return mp_fail(err, MP_EINVAL, "invalid_bbox",
                       "bbox must list its minimum corner first (no antimeridian crossing)");
    *out = (struct mp_bbox){n[0], n[1], n[2], n[3]};
    return MP_OK;
}

struct items_req {
    struct mp_query q;
    size_t limit;
    bool has_cursor;
    const char *bbox_raw, *datetime_raw;
};

static enum mp_status parse_items(const struct mp_request *req, struct items_req *ir,
                                  struct mp_error *err)
{
    static const char *const allowed[] = {"f", "bbox", "bbox-crs", "datetime", "limit",
                                          "cursor", NULL};
    enum mp_status rc;
    const char *v;
    memset(ir, 0, sizeof *ir);
    ir->limit = OGC_LIMIT_DEFAULT;
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = check_f(req, true, err)))
        return rc;
    if ((v = mp_req_query(req, "bbox-crs")) && strcmp(v, CRS84) != 0)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "bbox-crs must be %s", CRS84);
    if ((v = mp_req_query(req, "bbox"))) {
        if ((rc = parse_bbox(v, &ir->q.bbox, err)))
            return rc;
        ir->q.has_bbox = true;
        ir->bbox_raw = v;
    }
    if ((v = mp_req_query(req, "datetime"))) {
        if ((rc = parse_datetime(v, &ir->q, err)))
            return rc;
        ir->datetime_raw = v;
    }
    if ((v = mp_req_query(req, "limit"))) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < 1)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "limit must be a whole number from 1 to %d", OGC_LIMIT_MAX);
        /* Larger values are served as the maximum: the client pages on. */
        ir->limit = n > OGC_LIMIT_MAX ? OGC_LIMIT_MAX : (size_t)n;
    }
    if ((v = mp_req_query(req, "cursor"))) {
        if (mp_api_cursor_decode(v, &ir->q.after_id) != MP_OK)
            return mp_fail(err, MP_EINVAL, "invalid_cursor",
                           "cursor is not one this server handed out");
        ir->has_cursor = true;
    }
    return MP_OK;
}

/* The items URL with the selection and paging of this request. */
static void items_url(struct mp_buf *u, const char *base, enum coll c,
                      const struct items_req *ir, const char *cursor)
{
    char sep = '?';
    mp_buf_printf(u, "%s/ogc/collections/%s/items", base, colls[c].id);
    if (ir->bbox_raw) {
        mp_buf_printf(u, "%cbbox=", sep);
        add_encoded(u, ir->bbox_raw);
        sep = '&';
    }
    if (ir->datetime_raw) {
        mp_buf_printf(u, "%cdatetime=", sep);
        add_encoded(u, ir->datetime_raw);
        sep = '&';
    }
    mp_buf_printf(u, "%climit=%zu", sep, ir->limit);
    if (cursor) {
        mp_buf_adds(u, "&cursor=");
        add_encoded(u, cursor);
    }
}

static void url_link(struct mp_buf *b, bool first, const struct mp_buf *url, const char *rel,
                     const char *type)
{
    if (!first)
        mp_buf_addc(b, ',');
    mp_buf_adds(b, "{\"href\":");
    mp_json_str(b, url->failed ? "" : url->data);
    mp_buf_adds(b, ",\"rel\":");
    mp_json_str(b, rel);
    mp_buf_adds(b, ",\"type\":");
    mp_json_str(b, type);
    mp_buf_addc(b, '}');
}

static bool bbox_overlaps(const struct mp_bbox *a, const struct mp_bbox *b)
{
    return a->min_lon <= b->max_lon && a->max_lon >= b->min_lon && a->min_lat <= b->max_lat &&
           a->max_lat >= b->min_lat;
}

static void district_feature(struct mp_buf *b, const struct mp_district *d, size_t index,
                             mp_json_extra_fn extra, const void *extra_arg)
{
    mp_buf_printf(b, "{\"type\":\"Feature\",\"id\":%zu,\"geometry\":{\"type\":\"MultiPolygon\","
                     "\"coordinates\":[",
                  index + 1);
    for (size_t p = 0; p < d->area.npolys; p++) {
        const struct mp_polygon *poly = &d->area.polys[p];
        mp_buf_adds(b, p ? ",[" : "[");
        for (size_t r = 0; r < poly->nrings; r++) {
            const struct mp_ring *ring = &poly->rings[r];
            mp_buf_adds(b, r ? ",[" : "[");
            for (size_t i = 0; i < ring->n; i++) {
                if (i)
                    mp_buf_addc(b, ',');
                mp_json_coord(b, ring->xy[2 * i], ring->xy[2 * i + 1]);
            }
            mp_buf_addc(b, ']');
        }
        mp_buf_addc(b, ']');
    }
    mp_buf_adds(b, "]},\"properties\":{\"code\":");
    mp_json_str(b, d->code);
    mp_buf_adds(b, ",\"name\":");
    mp_json_str(b, d->name);
    mp_buf_addc(b, '}');
    if (extra)
        extra(b, extra_arg);
    mp_buf_addc(b, '}');
}

/* Features of a store collection: limit + 1 rows, the extra one only tells
 * that a next page exists. */
static enum mp_status row_features(struct mp_app *app, struct mp_ctx *ctx, enum coll c,
                                     struct items_req *ir, struct mp_buf *b, size_t *n,
                                     int64_t *last_id, bool *more, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_export_cursor *cur = NULL;
    struct mp_export_opts o = {.format = MP_EXPORT_GEOJSON,
                               .what = c == COLL_CLUSTERS ? MP_EXPORT_CLUSTERS
                                                          : MP_EXPORT_REPORTS,
                               .city = app->city};
    ir->q.limit = ir->limit + 1;
    if ((rc = mp_export_cursor_open(ctx, o.what, &ir->q, &cur, err)))
        return rc;
    const struct mp_export_row *row;
    while ((rc = mp_export_cursor_next(cur, &row)) == MP_OK) {
        if (*n == ir->limit) {
            *more = true;
            break;
        }
        if ((*n)++)
            mp_buf_addc(b, ',');
        mp_export_feature(b, &o, row, NULL, NULL);
        *last_id = c == COLL_CLUSTERS ? row->cluster.id : row->report.id;
    }
    mp_export_cursor_close(cur);
    if (rc != MP_OK && rc != MP_ENOTFOUND)
        return mp_fail(err, rc, "unavailable", "cannot read the features right now");
    return MP_OK;
}

static void district_features(const struct mp_app *app, struct items_req *ir,
                              struct mp_buf *b, size_t *n, int64_t *last_id, bool *more,
                              int64_t *matched)
{
    const struct mp_city *city = app->city;
    for (size_t i = 0; i < city->ndistricts; i++) {
        const struct mp_district *d = &city->districts[i];
        if (ir->q.has_bbox && !bbox_overlaps(&d->area.bbox, &ir->q.bbox))
            continue;
        (*matched)++;
        if ((int64_t)(i + 1) <= ir->q.after_id || *more)
            continue;
        if (*n == ir->limit) {
            *more = true;
            continue;
        }
        if ((*n)++)
            mp_buf_addc(b, ',');
        district_feature(b, d, i, NULL, NULL);
        *last_id = (int64_t)(i + 1);
    }
}

enum mp_status mp_api_ogc_items(struct mp_app *app, struct mp_ctx *ctx,
                                const struct mp_request *req, struct mp_response *resp,
                                struct mp_error *err)
{
    enum mp_status rc;
    struct items_req ir;
    char base[256];
    enum coll c;
    if ((rc = path_coll(req, &c, err)) || (rc = parse_items(req, &ir, err)))
        return rc;
    base_url(app, req, base, sizeof base);

    struct mp_buf *b = &resp->body;
    size_t n = 0;
    int64_t last_id = 0, matched = -1;
    bool more = false;
    mp_buf_adds(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    if (c == COLL_DISTRICTS) {
        matched = 0;
        district_features(app, &ir, b, &n, &last_id, &more, &matched);
    } else {
        if ((rc = row_features(app, ctx, c, &ir, b, &n, &last_id, &more, err)))
            return rc;
        if (!ir.has_cursor &&
            mp_export_count(ctx, c == COLL_CLUSTERS ? MP_EXPORT_CLUSTERS : MP_EXPORT_REPORTS,
                            &ir.q, &matched) != MP_OK)
            matched = -1;
    }
    mp_buf_adds(b, "],\"links\":[");
    struct mp_buf url;
    char cur[64];
    mp_buf_init(&url, 8192);
    items_url(&url, base, c, &ir, mp_req_query(req, "cursor"));
    url_link(b, true, &url, "self", "application/geo+json");
    if (more) {
        mp_buf_reset(&url);
        mp_api_cursor_encode(last_id, cur, sizeof cur);
        items_url(&url, base, c, &ir, cur);
        url_link(b, false, &url, "next", "application/geo+json");
    }
    mp_buf_reset(&url);
    mp_buf_printf(&url, "%s/ogc/collections/%s", base, colls[c].id);
    url_link(b, false, &url, "collection", "application/json");
    mp_buf_free(&url);
    mp_buf_adds(b, "],\"timeStamp\":");
    mp_json_time(b, mp_time_now());
    if (matched >= 0)
        mp_buf_printf(b, ",\"numberMatched\":%lld", (long long)matched);
    mp_buf_printf(b, ",\"numberReturned\":%zu}", n);
    return json_answer(resp, "application/geo+json");
}

/* The item's own links, inside its Feature object. */
struct item_links {
    const char *base;
    enum coll c;
    int64_t id;
};

static void add_item_links(struct mp_buf *b, const void *arg)
{
    const struct item_links *l = arg;
    char path[128];
    mp_buf_adds(b, ",\"links\":[");
    snprintf(path, sizeof path, "/ogc/collections/%s/items/%lld", colls[l->c].id,
             (long long)l->id);
    link(b, true, l->base, path, "self", "application/geo+json", NULL);
    snprintf(path, sizeof path, "/ogc/collections/%s", colls[l->c].id);
    link(b, false, l->base, path, "collection", "application/json", NULL);
    mp_buf_addc(b, ']');
}

struct item_out {
    struct mp_buf *b;
    const struct mp_export_opts *o;
    const struct item_links *links;
};

static void item_feature(void *arg, const struct mp_export_row *row)
{
    const struct item_out *io = arg;
    mp_export_feature(io->b, io->o, row, add_item_links, io->links);
}

enum mp_status mp_api_ogc_item(struct mp_app *app, struct mp_ctx *ctx,
                               const struct mp_request *req, struct mp_response *resp,
                               struct mp_error *err)
{
    enum mp_status rc;
    char base[256];
    enum coll c;
    if ((rc = path_coll(req, &c, err)) || (rc = check_f_only(req, true, err)))
        return rc;
    base_url(app, req, base, sizeof base);
    struct mp_buf *b = &resp->body;
    struct item_links links = {base, c, req->path_id};
    if (c == COLL_DISTRICTS) {
        if (req->path_id > (int64_t)app->city->ndistricts)
            rc = MP_ENOTFOUND;
        else
            district_feature(b, &app->city->districts[req->path_id - 1],
                             (size_t)(req->path_id - 1), add_item_links, &links);
    } else {
        struct mp_export_opts o = {.format = MP_EXPORT_GEOJSON,
                                   .what = c == COLL_CLUSTERS ? MP_EXPORT_CLUSTERS
                                                              : MP_EXPORT_REPORTS,
                                   .city = app->city};
        struct item_out io = {b, &o, &links};
        rc = mp_export_find(ctx, o.what, req->path_id, item_feature, &io, err);
    }
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, MP_ENOTFOUND, "not_found", "there is no %s feature %lld",
                       colls[c].id, (long long)req->path_id);
    if (rc)
        return rc;
    return json_answer(resp, "application/geo+json");
}
