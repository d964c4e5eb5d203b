/* ogc_doc.c - the JSON documents of the OGC API - Features service
 * (ogc_doc.h). */
#include "meldpunt/ogc_doc.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/export.h"
#include "meldpunt/region.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

#define GREGORIAN "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
#define REL_QUERYABLES "http://www.opengis.net/def/rel/ogc/1.0/queryables"

void mp_ogc_doc_add_encoded(struct mp_buf *b, const char *s)
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

/* {"href": base + path, "rel", "type", "title"?} with a comma before it
 * unless first. */
static void link(struct mp_buf *b, bool first, const char *base, const char *path, const char *rel,
                 const char *type, const char *title)
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

void mp_ogc_doc_landing(struct mp_buf *b, const struct mp_ogc_view *v)
{
    const char *base = v->base;
    mp_buf_adds(b, "{\"title\":\"meldpunt\"");
    mp_buf_adds(b, ",\"description\":");
    struct mp_buf d;
    mp_buf_init(&d, 1024);
    mp_buf_printf(&d,
                  "Street defect reports of %s, their clusters and the city's districts "
                  "as OGC API - Features.",
                  v->city->name);
    mp_json_str(b, d.failed ? "" : d.data);
    mp_buf_free(&d);
    mp_buf_adds(b, ",\"links\":[");
    link(b, true, base, "/ogc", "self", "application/json", "This document");
    link(b, false, base, "/ogc?f=html", "alternate", "text/html", "This document as HTML");
    link(b, false, base, "/ogc/api", "service-desc", MP_OGC_OPENAPI_TYPE,
         "The API definition (OpenAPI 3.0)");
    link(b, false, base, "/ogc/api?f=html", "service-doc", "text/html", "The API documentation");
    link(b, false, base, "/ogc/conformance", "conformance", "application/json",
         "Conformance classes implemented by this server");
    link(b, false, base, "/ogc/collections", "data", "application/json", "The feature collections");
    mp_buf_adds(b, "]}");
}

void mp_ogc_doc_conformance(struct mp_buf *b, const struct mp_ogc_view *v)
{
    static const char *const classes[] = {
        MP_OGC_CONF_CORE, MP_OGC_CONF_GEOJSON,    MP_OGC_CONF_HTML,          MP_OGC_CONF_OAS30,
        MP_OGC_CONF_CRS,  MP_OGC_CONF_QUERYABLES, MP_OGC_CONF_QUERYABLES_QP,
    };
    mp_buf_adds(b, "{\"conformsTo\":[");
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, classes[i]);
    }
    mp_buf_adds(b, "],\"links\":[");
    link(b, true, v->base, "/ogc/conformance", "self", "application/json", "This document");
    link(b, false, v->base, "/ogc/conformance?f=html", "alternate", "text/html",
         "This document as HTML");
    mp_buf_adds(b, "]}");
}

static void crs_array(struct mp_buf *b, const struct mp_city *city)
{
    struct mp_ogc_crs all[MP_OGC_MAX_CRS];
    size_t n = mp_ogc_crs_list(city, all);
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, all[i].uri);
    }
    mp_buf_addc(b, ']');
}

static void collection_json(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c,
                            int64_t first, int64_t last)
{
    const struct mp_ogc_collection *col = mp_ogc_collection(c);
    const struct mp_bbox *bb = &v->city->bbox;
    char path[128];
    mp_buf_adds(b, "{\"id\":");
    mp_json_str(b, col->id);
    mp_buf_adds(b, ",\"title\":");
    mp_json_str(b, col->title);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, col->description);
    mp_buf_adds(b, ",\"itemType\":\"feature\",\"crs\":");
    crs_array(b, v->city);
    mp_buf_adds(b, ",\"storageCrs\":\"" MP_OGC_CRS84 "\",\"extent\":{\"spatial\":{\"bbox\":[[");
    mp_json_num(b, bb->min_lon, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->min_lat, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->max_lon, 7);
    mp_buf_addc(b, ',');
    mp_json_num(b, bb->max_lat, 7);
    mp_buf_adds(b, "]],\"crs\":\"" MP_OGC_CRS84 "\"}");
    if (col->temporal) {
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
    snprintf(path, sizeof path, "/ogc/collections/%s", col->id);
    link(b, true, v->base, path, "self", "application/json", "This collection");
    snprintf(path, sizeof path, "/ogc/collections/%s?f=html", col->id);
    link(b, false, v->base, path, "alternate", "text/html", "This collection as HTML");
    snprintf(path, sizeof path, "/ogc/collections/%s/items", col->id);
    link(b, false, v->base, path, "items", "application/geo+json", col->title);
    snprintf(path, sizeof path, "/ogc/collections/%s/items?f=html", col->id);
    link(b, false, v->base, path, "items", "text/html", col->title);
    snprintf(path, sizeof path, "/ogc/collections/%s/queryables", col->id);
    link(b, false, v->base, path, REL_QUERYABLES, "application/schema+json",
         "The properties this collection can be filtered by");
    mp_buf_adds(b, "]}");
}

void mp_ogc_doc_collections(struct mp_buf *b, const struct mp_ogc_view *v, int64_t first,
                            int64_t last)
{
    mp_buf_adds(b, "{\"links\":[");
    link(b, true, v->base, "/ogc/collections", "self", "application/json", "The collections");
    link(b, false, v->base, "/ogc/collections?f=html", "alternate", "text/html",
         "The collections as HTML");
    mp_buf_adds(b, "],\"crs\":");
    crs_array(b, v->city);
    mp_buf_adds(b, ",\"collections\":[");
    for (int c = 0; c < MP_OGC_NCOLL; c++) {
        if (c)
            mp_buf_addc(b, ',');
        collection_json(b, v, (enum mp_ogc_coll)c, first, last);
    }
    mp_buf_adds(b, "]}");
}

void mp_ogc_doc_collection(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c,
                           int64_t first, int64_t last)
{
    collection_json(b, v, c, first, last);
}

/* ---- queryables ---- */

static void enum_categories(struct mp_buf *b, const struct mp_city *city)
{
    for (size_t i = 0; i < city->ncategories; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, city->categories[i].code);
    }
}

static void enum_statuses(struct mp_buf *b)
{
    size_t n;
    const struct mp_vocab_status *st = mp_vocab_statuses(&n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, st[i].code);
    }
}

static void enum_districts(struct mp_buf *b, const struct mp_city *city, bool codes)
{
    for (size_t i = 0; i < city->ndistricts; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, codes ? city->districts[i].code : city->districts[i].name);
    }
}

/* The members' ids (only asked for in a region of several). */
static void enum_members(struct mp_buf *b, const struct mp_region *r)
{
    for (size_t i = 0; i < r->nmembers; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, r->members[i].city->id);
    }
}

void mp_ogc_doc_queryables(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c)
{
    const struct mp_ogc_collection *col = mp_ogc_collection(c);
    size_t n;
    const struct mp_ogc_queryable *qs = mp_ogc_queryables(c, v->region, &n);
    mp_buf_adds(b, "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":");
    struct mp_buf id;
    mp_buf_init(&id, 1024);
    mp_buf_printf(&id, "%s/ogc/collections/%s/queryables", v->base, col->id);
    mp_json_str(b, id.failed ? "" : id.data);
    mp_buf_free(&id);
    mp_buf_adds(b, ",\"type\":\"object\",\"title\":");
    mp_json_str(b, col->title);
    mp_buf_adds(b, ",\"properties\":{\"geometry\":{\"title\":\"Position\",\"format\":");
    mp_buf_adds(b, c == MP_OGC_DISTRICTS ? "\"geometry-multipolygon\"" : "\"geometry-point\"");
    mp_buf_adds(b, ",\"x-ogc-role\":\"primary-geometry\"}");
    for (size_t i = 0; i < n; i++) {
        mp_buf_addc(b, ',');
        mp_json_str(b, qs[i].name);
        mp_buf_adds(b, ":{\"title\":");
        mp_json_str(b, qs[i].title);
        mp_buf_adds(b, ",\"type\":\"string\"");
        switch (qs[i].type) {
        case MP_OGC_Q_CATEGORY:
            mp_buf_adds(b, ",\"enum\":[");
            enum_categories(b, v->city);
            mp_buf_addc(b, ']');
            break;
        case MP_OGC_Q_STATUS:
            mp_buf_adds(b, ",\"enum\":[");
            enum_statuses(b);
            mp_buf_addc(b, ']');
            break;
        case MP_OGC_Q_DISTRICT:
            mp_buf_adds(b, ",\"enum\":[");
            enum_districts(b, v->city, false);
            mp_buf_addc(b, ']');
            break;
        case MP_OGC_Q_TIME: mp_buf_adds(b, ",\"format\":\"date-time\""); break;
        case MP_OGC_Q_TEXT:
            mp_buf_adds(b, ",\"enum\":[");
            enum_districts(b, v->city, strcmp(qs[i].name, "code") == 0);
            mp_buf_addc(b, ']');
            break;
        case MP_OGC_Q_MUNICIPALITY:
            mp_buf_adds(b, ",\"enum\":[");
            enum_members(b, v->region);
            mp_buf_addc(b, ']');
            break;
        }
        mp_buf_addc(b, '}');
    }
    mp_buf_adds(b, "},\"additionalProperties\":false}");
}

/* ---- items ---- */

struct item_links {
    const struct mp_ogc_view *v;
    enum mp_ogc_coll c;
    int64_t id;
};

static void add_item_links(struct mp_buf *b, const void *arg)
{
    const struct item_links *l = arg;
    const char *cid = mp_ogc_collection(l->c)->id;
    char path[160];
    mp_buf_adds(b, ",\"links\":[");
    snprintf(path, sizeof path, "/ogc/collections/%s/items/%lld", cid, (long long)l->id);
    link(b, true, l->v->base, path, "self", "application/geo+json", NULL);
    snprintf(path, sizeof path, "/ogc/collections/%s/items/%lld?f=html", cid, (long long)l->id);
    link(b, false, l->v->base, path, "alternate", "text/html", NULL);
    snprintf(path, sizeof path, "/ogc/collections/%s", cid);
    link(b, false, l->v->base, path, "collection", "application/json", NULL);
    mp_buf_addc(b, ']');
}

static void district_feature(struct mp_buf *b, const struct mp_district *d, size_t index,
                             struct mp_geo_crs *crs, mp_json_extra_fn extra, const void *arg)
{
    mp_buf_printf(b,
                  "{\"type\":\"Feature\",\"id\":%zu,\"geometry\":{\"type\":\"MultiPolygon\","
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
                /* The pack's polygons lie in the city, which every CRS
                 * offered covers; a point that still fails spoils the
                 * answer rather than shifting silently. */
                if (!mp_export_coord(b, crs, ring->xy[2 * i], ring->xy[2 * i + 1]))
                    b->failed = true;
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
        extra(b, arg);
    mp_buf_addc(b, '}');
}

void mp_ogc_doc_item(struct mp_buf *b, const struct mp_ogc_view *v, const struct mp_ogc_item *it,
                     struct mp_geo_crs *crs, bool with_links)
{
    struct item_links l = {v, it->coll, 0};
    if (it->coll == MP_OGC_DISTRICTS) {
        l.id = (int64_t)it->index + 1;
        district_feature(b, it->district, it->index, crs, with_links ? add_item_links : NULL, &l);
        return;
    }
    struct mp_export_opts o = {
        .format = MP_EXPORT_GEOJSON, .what = it->row->what, .city = v->city, .crs = crs,
        .with_municipality = v->region && !v->region->of_one};
    l.id = it->row->what == MP_EXPORT_CLUSTERS ? it->row->cluster.id : it->row->report.id;
    mp_export_feature(b, &o, it->row, with_links ? add_item_links : NULL, &l);
}

static void url_link(struct mp_buf *b, const char *href, const char *rel, const char *type)
{
    mp_buf_adds(b, "{\"href\":");
    mp_json_str(b, href);
    mp_buf_adds(b, ",\"rel\":");
    mp_json_str(b, rel);
    mp_buf_adds(b, ",\"type\":");
    mp_json_str(b, type);
    mp_buf_addc(b, '}');
}

void mp_ogc_doc_items_end(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c,
                          const char *self_url, const char *next_url,
                          const struct mp_ogc_page *page)
{
    mp_buf_adds(b, "],\"links\":[");
    url_link(b, self_url, "self", "application/geo+json");
    if (next_url) {
        mp_buf_addc(b, ',');
        url_link(b, next_url, "next", "application/geo+json");
    }
    struct mp_buf url;
    mp_buf_init(&url, 16384);
    mp_buf_adds(&url, self_url);
    mp_buf_adds(&url, strchr(self_url, '?') ? "&f=html" : "?f=html");
    mp_buf_addc(b, ',');
    url_link(b, url.failed ? "" : url.data, "alternate", "text/html");
    mp_buf_reset(&url);
    mp_buf_printf(&url, "%s/ogc/collections/%s", v->base, mp_ogc_collection(c)->id);
    mp_buf_addc(b, ',');
    url_link(b, url.failed ? "" : url.data, "collection", "application/json");
    mp_buf_free(&url);
    mp_buf_adds(b, "],\"timeStamp\":");
    mp_json_time(b, mp_time_now());
    if (page->matched >= 0)
        mp_buf_printf(b, ",\"numberMatched\":%lld", (long long)page->matched);
    mp_buf_printf(b, ",\"numberReturned\":%zu}", page->n);
}
