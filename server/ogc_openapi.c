/* ogc_openapi.c - the OpenAPI 3.0 definition of the OGC API (ogc_openapi.h),
 * built as a jansson tree: the document is nested deeply and written rarely
 * (clients fetch it once per session). */
#include "meldpunt/ogc_openapi.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/ogc.h"

#define REF_PARAM "#/components/parameters/"

static json_t *ref(const char *kind, const char *name)
{
    char text[128];
    snprintf(text, sizeof text, "#/components/%s/%s", kind, name);
    return json_pack("{s:s}", "$ref", text);
}

static json_t *param_ref(const char *name) { return ref("parameters", name); }

/* A content map {type: {schema}} of one media type. */
static json_t *content(const char *type, json_t *schema)
{
    return json_pack("{s:{s:o}}", type, "schema", schema);
}

/* The 200 answer in JSON (schema) and HTML, and the house error answers. */
static json_t *responses(const char *what, const char *json_type, json_t *schema, bool with_404)
{
    json_t *ok = content(json_type, schema);
    json_object_set_new(ok, "text/html", json_pack("{s:{s:s}}", "schema", "type", "string"));
    json_t *r = json_pack("{s:{s:s,s:o},s:o}", "200", "description", what, "content", ok, "400",
                          ref("responses", "InvalidParameter"));
    if (with_404)
        json_object_set_new(r, "404", ref("responses", "NotFound"));
    json_object_set_new(r, "503", ref("responses", "Unavailable"));
    return r;
}

static json_t *get_op(const char *id, const char *summary, json_t *params, json_t *resp)
{
    return json_pack("{s:{s:s,s:s,s:[s],s:o,s:o}}", "get", "operationId", id, "summary", summary,
                     "tags", "OGC API - Features", "parameters", params, "responses", resp);
}

static json_t *obj_schema(void) { return json_pack("{s:s}", "type", "object"); }

static json_t *crs_enum(const struct mp_city *city)
{
    struct mp_ogc_crs all[MP_OGC_MAX_CRS];
    size_t n = mp_ogc_crs_list(city, all);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(all[i].uri));
    return a;
}

static json_t *components(const struct mp_ogc_view *v)
{
    json_t *ids = json_array();
    for (int c = 0; c < MP_OGC_NCOLL; c++)
        json_array_append_new(ids, json_string(mp_ogc_collection((enum mp_ogc_coll)c)->id));
    json_t *params = json_pack(
        "{"
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:[ss]}},"                  /* f */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:[sss]}},"                 /* fItems */
        "s:{s:s,s:s,s:s,s:b,s:s,s:b,s:{s:s,s:i,s:i,s:{s:s}}}," /* bbox */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:s,s:o}},"                 /* bbox-crs */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:s,s:o}},"                 /* crs */
        "s:{s:s,s:s,s:s,s:b,s:{s:s}},"                         /* datetime */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:i,s:i,s:i}},"             /* limit */
        "s:{s:s,s:s,s:s,s:b,s:{s:s}},"                         /* cursor */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:o}},"                     /* collectionId */
        "s:{s:s,s:s,s:s,s:b,s:{s:s,s:i}}"                      /* featureId */
        "}",
        "f", "name", "f", "in", "query", "description",
        "The representation: json (the default) or html; without it the Accept header decides.",
        "required", 0, "schema", "type", "string", "enum", "json", "html", "fItems", "name", "f",
        "in", "query", "description", "The representation: geojson or json (the default), or html.",
        "required", 0, "schema", "type", "string", "enum", "json", "geojson", "html", "bbox",
        "name", "bbox", "in", "query", "description",
        "Only features in the box: minimum x, minimum y, maximum x, maximum y (or six numbers "
        "with heights, which are ignored), in bbox-crs (CRS84, longitude first, when not given).",
        "required", 0, "style", "form", "explode", 0, "schema", "type", "array", "minItems", 4,
        "maxItems", 6, "items", "type", "number", "bbox-crs", "name", "bbox-crs", "in", "query",
        "description",
        "The CRS of bbox; a box in a projected CRS selects exactly the features inside it.",
        "required", 0, "schema", "type", "string", "format", "uri", "enum", crs_enum(v->city),
        "crs", "name", "crs", "in", "query", "description",
        "The CRS of the answer's coordinates, in its own axis order (EPSG:4326: latitude "
        "first); the answer names it in its Content-Crs header.",
        "required", 0, "schema", "type", "string", "format", "uri", "enum", crs_enum(v->city),
        "datetime", "name", "datetime", "in", "query", "description",
        "An instant (RFC 3339 date-time or date) or an interval a/b with '..' for an open end. "
        "Reports: when they were made; clusters: their span from first to latest report.",
        "required", 0, "schema", "type", "string", "limit", "name", "limit", "in", "query",
        "description",
        "Features per page; larger values are served as the maximum, the rest by next links.",
        "required", 0, "schema", "type", "integer", "minimum", 1, "maximum", MP_OGC_LIMIT_MAX,
        "default", MP_OGC_LIMIT_DEFAULT, "cursor", "name", "cursor", "in", "query", "description",
        "Where a page starts: taken from the next link of the page before.", "required", 0,
        "schema", "type", "string", "collectionId", "name", "collectionId", "in", "path",
        "description", "The collection.", "required", 1, "schema", "type", "string", "enum", ids,
        "featureId", "name", "featureId", "in", "path", "description", "The feature's id.",
        "required", 1, "schema", "type", "integer", "minimum", 1);
    json_t *error =
        json_pack("{s:s,s:[s],s:{s:{s:s,s:[ss],s:{s:{s:s},s:{s:s}}}}}", "type", "object",
                  "required", "error", "properties", "error", "type", "object", "required", "code",
                  "message", "properties", "code", "type", "string", "message", "type", "string");
    json_t *resp =
        json_pack("{s:{s:s,s:o},s:{s:s,s:o},s:{s:s,s:o}}", "InvalidParameter", "description",
                  "A parameter is unknown or its value is not valid; the message says which.",
                  "content", content("application/json", ref("schemas", "exception")), "NotFound",
                  "description", "There is no such collection or feature.", "content",
                  content("application/json", ref("schemas", "exception")), "Unavailable",
                  "description", "The data cannot be read right now; try again later.", "content",
                  content("application/json", ref("schemas", "exception")));
    json_t *fc =
        json_pack("{s:s,s:[ss],s:{s:{s:s,s:[s]},s:{s:s,s:{s:s}},s:{s:s},s:{s:s,s:s},s:{s:s,s:i},"
                  "s:{s:s,s:i}}}",
                  "type", "object", "required", "type", "features", "properties", "type", "type",
                  "string", "enum", "FeatureCollection", "features", "type", "array", "items",
                  "type", "object", "links", "type", "array", "timeStamp", "type", "string",
                  "format", "date-time", "numberMatched", "type", "integer", "minimum", 0,
                  "numberReturned", "type", "integer", "minimum", 0);
    json_t *feature = json_pack(
        "{s:s,s:[sss],s:{s:{s:s,s:[s]},s:{},s:{s:s},s:{s:s}}}", "type", "object", "required",
        "type", "geometry", "properties", "properties", "type", "type", "string", "enum", "Feature",
        "geometry", "properties", "type", "object", "id", "type", "integer");
    return json_pack("{s:o,s:o,s:{s:o,s:o,s:o}}", "parameters", params, "responses", resp,
                     "schemas", "exception", error, "featureCollectionGeoJSON", fc,
                     "featureGeoJSON", feature);
}

/* The query parameters of collection c's queryables. */
static void add_queryables(json_t *params, const struct mp_ogc_view *v, enum mp_ogc_coll c)
{
    size_t n;
    const struct mp_ogc_queryable *qs = mp_ogc_queryables(c, v->region, &n);
    for (size_t i = 0; i < n; i++) {
        const char *d = NULL;
        switch (qs[i].type) {
        case MP_OGC_Q_CATEGORY:
            d = "Only features of these categories (codes, comma-separated).";
            break;
        case MP_OGC_Q_STATUS:
            d = "Only features with these workflow statuses (comma-separated).";
            break;
        case MP_OGC_Q_DISTRICT:
            d = "Only features in this district (its name, as the features carry it, or code).";
            break;
        case MP_OGC_Q_TIME: d = "An instant or interval as for datetime, on this property."; break;
        case MP_OGC_Q_TEXT: d = "Only the district with this value."; break;
        case MP_OGC_Q_MUNICIPALITY:
            d = "Only features of this municipality of the region (its id, or name).";
            break;
        }
        char title[160];
        snprintf(title, sizeof title, "%s. %s", qs[i].title, d);
        json_array_append_new(params, json_pack("{s:s,s:s,s:s,s:b,s:{s:s}}", "name", qs[i].name,
                                                "in", "query", "description", title, "required", 0,
                                                "schema", "type", "string"));
    }
}

static json_t *paths(const struct mp_ogc_view *v)
{
    json_t *p = json_object();
    json_object_set_new(
        p, "/",
        get_op("getLandingPage", "The landing page", json_pack("[o]", param_ref("f")),
               responses("The landing page", "application/json", obj_schema(), false)));
    json_object_set_new(
        p, "/api",
        get_op("getAPI", "This API definition (OpenAPI 3.0), or its documentation in HTML",
               json_pack("[o]", param_ref("f")),
               responses("The API definition", MP_OGC_OPENAPI_TYPE, obj_schema(), false)));
    json_object_set_new(
        p, "/conformance",
        get_op("getConformance", "The conformance classes implemented",
               json_pack("[o]", param_ref("f")),
               responses("The conformance classes", "application/json", obj_schema(), false)));
    json_object_set_new(
        p, "/collections",
        get_op("getCollections", "The feature collections", json_pack("[o]", param_ref("f")),
               responses("The collections", "application/json", obj_schema(), false)));
    json_object_set_new(
        p, "/collections/{collectionId}",
        get_op("describeCollection", "One feature collection",
               json_pack("[oo]", param_ref("collectionId"), param_ref("f")),
               responses("The collection", "application/json", obj_schema(), true)));
    for (int i = 0; i < MP_OGC_NCOLL; i++) {
        enum mp_ogc_coll c = (enum mp_ogc_coll)i;
        const struct mp_ogc_collection *col = mp_ogc_collection(c);
        char path[96], op[64], summary[128];
        json_t *params = json_pack("[ooooooo]", param_ref("bbox"), param_ref("bbox-crs"),
                                   param_ref("crs"), param_ref("datetime"), param_ref("limit"),
                                   param_ref("cursor"), param_ref("fItems"));
        add_queryables(params, v, c);
        snprintf(path, sizeof path, "/collections/%s/items", col->id);
        snprintf(op, sizeof op, "get_%s_items", col->id);
        snprintf(summary, sizeof summary, "%s: a page of features", col->title);
        json_object_set_new(p, path,
                            get_op(op, summary, params,
                                   responses("A page of features", "application/geo+json",
                                             ref("schemas", "featureCollectionGeoJSON"), true)));
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}", col->id);
        snprintf(op, sizeof op, "get_%s_item", col->id);
        snprintf(summary, sizeof summary, "%s: one feature", col->title);
        json_object_set_new(p, path,
                            get_op(op, summary,
                                   json_pack("[ooo]", param_ref("featureId"), param_ref("crs"),
                                             param_ref("fItems")),
                                   responses("The feature", "application/geo+json",
                                             ref("schemas", "featureGeoJSON"), true)));
        snprintf(path, sizeof path, "/collections/%s/queryables", col->id);
        snprintf(op, sizeof op, "get_%s_queryables", col->id);
        snprintf(summary, sizeof summary, "%s: the properties features can be filtered by",
                 col->title);
        json_object_set_new(p, path,
                            get_op(op, summary, json_pack("[o]", param_ref("f")),
                                   responses("The queryables (JSON Schema)",
                                             "application/schema+json", obj_schema(), false)));
    }
    return p;
}

void mp_ogc_openapi(struct mp_buf *b, const struct mp_ogc_view *v)
{
    char title[160], url[320], desc[400];
    snprintf(title, sizeof title, "meldpunt %.100s: OGC API - Features", v->city->name);
    snprintf(url, sizeof url, "%s/ogc", v->base);
    snprintf(desc, sizeof desc,
             "Street defect reports of %.100s, the jobs they are folded into (clusters) and the "
             "city's districts, with filters on category, status, district and times, in CRS84, "
             "EPSG:4326, Web Mercator and the city's own CRS.",
             v->city->name);
    json_t *doc = json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:[{s:s}],s:o,s:o}", "openapi", "3.0.3",
                            "info", "title", title, "version", "1.0", "description", desc,
                            "servers", "url", url, "tags", "name", "OGC API - Features", "paths",
                            paths(v), "components", components(v));
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        mp_buf_adds(b, text);
    else
        b->failed = true;
    free(text);
    json_decref(doc);
}
