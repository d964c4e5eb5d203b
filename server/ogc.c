/* ogc.c - the OGC API - Features service: collections, CRSs, queryables and
 * the reading of items (ogc.h). */
#include "meldpunt/ogc.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/export.h"
#include "meldpunt/geo.h"
#include "meldpunt/region.h"

static const struct mp_ogc_collection colls[MP_OGC_NCOLL] = {
    [MP_OGC_REPORTS] = {"reports", "Reports",
                        "Citizens' reports of street defects, one point each; a report's time is "
                        "when it was made.",
                        true},
    [MP_OGC_CLUSTERS] = {"clusters", "Clusters",
                         "Jobs: reports of the same defect folded together, at their centre; a "
                         "cluster's time span runs from its first to its latest report.",
                         true},
    [MP_OGC_DISTRICTS] = {"districts", "Districts",
                          "The city's districts (areas), from its city pack.", false},
};

const struct mp_ogc_collection *mp_ogc_collection(enum mp_ogc_coll c) { return &colls[c]; }

bool mp_ogc_collection_find(const char *id, enum mp_ogc_coll *out)
{
    for (int i = 0; i < MP_OGC_NCOLL; i++)
        if (id && strcmp(colls[i].id, id) == 0) {
            *out = (enum mp_ogc_coll)i;
            return true;
        }
    return false;
}

/* ---- CRSs ---- */

static void crs_set(struct mp_ogc_crs *c, const char *uri, const char *code)
{
    snprintf(c->uri, sizeof c->uri, "%s", uri);
    snprintf(c->code, sizeof c->code, "%s", code);
}

size_t mp_ogc_crs_list(const struct mp_city *city, struct mp_ogc_crs *out)
{
    size_t n = 0;
    crs_set(&out[n++], MP_OGC_CRS84, "OGC:CRS84");
    crs_set(&out[n++], "http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326");
    crs_set(&out[n++], "http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857");
    /* The pack's CRS as EPSG:NNNN; a pack with a PROJ string instead has
     * no URI to name it by, so it is not offered. */
    const char *crs = city && city->crs ? city->crs : "";
    size_t digits = strncmp(crs, "EPSG:", 5) == 0 ? strspn(crs + 5, "0123456789") : 0;
    if (digits > 0 && digits < 10 && crs[5 + digits] == '\0' && strcmp(crs, "EPSG:4326") != 0 &&
        strcmp(crs, "EPSG:3857") != 0) {
        char uri[80];
        snprintf(uri, sizeof uri, "http://www.opengis.net/def/crs/EPSG/0/%s", crs + 5);
        crs_set(&out[n++], uri, crs);
    }
    return n;
}

bool mp_ogc_crs_find(const struct mp_city *city, const char *uri, struct mp_ogc_crs *out)
{
    struct mp_ogc_crs all[MP_OGC_MAX_CRS];
    size_t n = mp_ogc_crs_list(city, all);
    for (size_t i = 0; uri && i < n; i++)
        if (strcmp(all[i].uri, uri) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

/* ---- queryables ---- */

static const struct mp_ogc_queryable q_reports[] = {
    {"category", "Category (code)", MP_OGC_Q_CATEGORY},
    {"status", "Workflow status", MP_OGC_Q_STATUS},
    {"district", "District (name, or code)", MP_OGC_Q_DISTRICT},
    {"created_at", "Time the report was made", MP_OGC_Q_TIME},
    {"updated_at", "Time of the report's latest change", MP_OGC_Q_TIME},
    {"municipality", "Municipality of the region (id, or name)", MP_OGC_Q_MUNICIPALITY},
};
static const struct mp_ogc_queryable q_clusters[] = {
    {"category", "Category (code)", MP_OGC_Q_CATEGORY},
    {"status", "Workflow status", MP_OGC_Q_STATUS},
    {"district", "District (name, or code)", MP_OGC_Q_DISTRICT},
    {"updated_at", "Time of the cluster's latest change", MP_OGC_Q_TIME},
    {"municipality", "Municipality of the region (id, or name)", MP_OGC_Q_MUNICIPALITY},
};
static const struct mp_ogc_queryable q_districts[] = {
    {"code", "District code", MP_OGC_Q_TEXT},
    {"name", "District name", MP_OGC_Q_TEXT},
};

const struct mp_ogc_queryable *mp_ogc_queryables(enum mp_ogc_coll c, const struct mp_region *r,
                                                  size_t *n)
{
    /* The municipality is each table's last queryable, left out where there
     * is no choice of one (a plain city pack). */
    size_t drop = r && !r->of_one ? 0 : 1;
    switch (c) {
    case MP_OGC_REPORTS: *n = sizeof q_reports / sizeof *q_reports - drop; return q_reports;
    case MP_OGC_CLUSTERS: *n = sizeof q_clusters / sizeof *q_clusters - drop; return q_clusters;
    default: *n = sizeof q_districts / sizeof *q_districts; return q_districts;
    }
}

const struct mp_city *mp_ogc_municipality(const struct mp_region *r, const char *v)
{
    if (!r || r->of_one || !v)
        return NULL;
    const struct mp_city *m = mp_region_member(r, v);
    for (size_t i = 0; !m && i < r->nmembers; i++)
        if (strcmp(r->members[i].city->name, v) == 0)
            m = r->members[i].city;
    return m;
}

/* ---- reading ---- */

static enum mp_export_what what_of(enum mp_ogc_coll c)
{
    return c == MP_OGC_CLUSTERS ? MP_EXPORT_CLUSTERS : MP_EXPORT_REPORTS;
}

/* Whether the row lies in the exact box of a projected bbox-crs. */
static bool in_box(const struct mp_ogc_query *q, double lon, double lat)
{
    double a, b;
    if (!q->box_crs)
        return true;
    if (mp_geo_crs_from_lonlat(q->box_crs, lon, lat, &a, &b) != MP_OK)
        return false;
    return a >= q->box[0] && a <= q->box[2] && b >= q->box[1] && b <= q->box[3];
}

static bool overlaps(const struct mp_bbox *a, const struct mp_bbox *b)
{
    return a->min_lon <= b->max_lon && a->max_lon >= b->min_lon && a->min_lat <= b->max_lat &&
           a->max_lat >= b->min_lat;
}

static void district_page(const struct mp_city *city, const struct mp_ogc_query *q,
                          mp_ogc_item_fn fn, void *arg, struct mp_ogc_page *page)
{
    page->matched = 0;
    for (size_t i = 0; i < city->ndistricts; i++) {
        const struct mp_district *d = &city->districts[i];
        if ((q->q.has_bbox && !overlaps(&d->area.bbox, &q->q.bbox)) ||
            (q->code && strcmp(q->code, d->code) != 0) ||
            (q->name && strcmp(q->name, d->name) != 0))
            continue;
        page->matched++;
        if ((int64_t)(i + 1) <= q->q.after_id || page->more)
            continue;
        if (page->n == q->limit) {
            page->more = true;
            continue;
        }
        struct mp_ogc_item it = {MP_OGC_DISTRICTS, NULL, d, i};
        fn(arg, &it);
        page->n++;
        page->last_id = (int64_t)(i + 1);
    }
}

enum mp_status mp_ogc_items(struct mp_ctx *ctx, const struct mp_ogc_query *q, mp_ogc_item_fn fn,
                            void *arg, struct mp_ogc_page *page, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_export_cursor *cur = NULL;
    const struct mp_export_row *row;
    memset(page, 0, sizeof *page);
    page->matched = -1;
    if (q->coll == MP_OGC_DISTRICTS) {
        district_page(ctx->city, q, fn, arg, page);
        return MP_OK;
    }
    struct mp_query sq = q->q;
    /* One row past the page tells that a next page exists; with an exact
     * box to test, rows the test drops do not count, so the store reads on
     * until the page is full. */
    sq.limit = q->box_crs ? 0 : q->limit + 1;
    if ((rc = mp_export_cursor_open(ctx, what_of(q->coll), &sq, &cur, err)))
        return rc;
    while ((rc = mp_export_cursor_next(cur, &row)) == MP_OK) {
        bool report = row->what == MP_EXPORT_REPORTS;
        if (!in_box(q, report ? row->report.lon : row->cluster.lon,
                    report ? row->report.lat : row->cluster.lat))
            continue;
        if (page->n == q->limit) {
            page->more = true;
            break;
        }
        struct mp_ogc_item it = {q->coll, row, NULL, 0};
        fn(arg, &it);
        page->n++;
        page->last_id = report ? row->report.id : row->cluster.id;
    }
    mp_export_cursor_close(cur);
    if (rc != MP_OK && rc != MP_ENOTFOUND)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the features right now");
    /* The count runs over the whole selection: asked for on first pages
     * only, and not for an exact box (it would read every row of it). */
    if (q->count && !q->box_crs &&
        mp_export_count(ctx, what_of(q->coll), &q->q, &page->matched) != MP_OK)
        page->matched = -1;
    return MP_OK;
}

struct found {
    enum mp_ogc_coll coll;
    mp_ogc_item_fn fn;
    void *arg;
};

static void found_row(void *p, const struct mp_export_row *row)
{
    const struct found *f = p;
    struct mp_ogc_item it = {f->coll, row, NULL, 0};
    f->fn(f->arg, &it);
}

enum mp_status mp_ogc_item(struct mp_ctx *ctx, enum mp_ogc_coll c, int64_t id, mp_ogc_item_fn fn,
                           void *arg, struct mp_error *err)
{
    enum mp_status rc;
    if (c == MP_OGC_DISTRICTS) {
        if (id < 1 || id > (int64_t)ctx->city->ndistricts) {
            rc = MP_ENOTFOUND;
        } else {
            struct mp_ogc_item it = {c, NULL, &ctx->city->districts[id - 1], (size_t)(id - 1)};
            fn(arg, &it);
            return MP_OK;
        }
    } else {
        struct found f = {c, fn, arg};
        rc = mp_export_find(ctx, what_of(c), id, found_row, &f, err);
    }
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, MP_ENOTFOUND, "not_found", "there is no %s feature %lld", colls[c].id,
                       (long long)id);
    return rc;
}

enum mp_status mp_ogc_time_extent(struct mp_ctx *ctx, int64_t *first, int64_t *last,
                                  struct mp_error *err)
{
    if (mp_export_time_extent(ctx, first, last) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the collections right now");
    return MP_OK;
}
