/* ogc.h - the OGC API - Features service (Parts 1, 2 and 3) of meldpunt: its
 * collections (reports, clusters, the city's districts), the CRSs features
 * can be had in, the queryables of each collection, and the reading of a
 * page of items with every filter pushed down to the store as a query
 * condition (category, status, district, creation and update times, the
 * box); only a box given in a projected CRS is refined row by row, because
 * its image in lon/lat is not a box.
 *
 * The documents (JSON, HTML, the OpenAPI definition) are ogc_doc.h; the
 * handlers api_ogc.c.
 *
 * Thread-safety: the tables are constant; reading uses only the context it
 * is given (its PROJ transforms included).
 */
#ifndef MELDPUNT_OGC_H
#define MELDPUNT_OGC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_geo_crs; /* geo.h */
struct mp_region;  /* region.h */

/* ---- collections ---- */

enum mp_ogc_coll { MP_OGC_REPORTS, MP_OGC_CLUSTERS, MP_OGC_DISTRICTS, MP_OGC_NCOLL };

struct mp_ogc_collection {
    const char *id, *title, *description;
    bool temporal; /* has a time extent (reports, clusters) */
};

/* The collection c (static). */
const struct mp_ogc_collection *mp_ogc_collection(enum mp_ogc_coll c);
/* The collection called id; false when there is none. */
bool mp_ogc_collection_find(const char *id, enum mp_ogc_coll *out);

/* ---- CRSs (Part 2) ---- */

#define MP_OGC_CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define MP_OGC_MAX_CRS 4

struct mp_ogc_crs {
    char uri[80];  /* as clients name it */
    char code[24]; /* as PROJ knows it: "OGC:CRS84", "EPSG:4326" */
};

/* The CRSs of every collection, the storage CRS (CRS84, the default) first:
 * CRS84, EPSG:4326, EPSG:3857 and the city pack's metric CRS when it is an
 * EPSG code not listed yet. Fills out (room for MP_OGC_MAX_CRS), returns
 * how many. */
size_t mp_ogc_crs_list(const struct mp_city *city, struct mp_ogc_crs *out);
/* The CRS of the service named uri; false when it is not one of them. */
bool mp_ogc_crs_find(const struct mp_city *city, const char *uri, struct mp_ogc_crs *out);

/* ---- queryables (Part 3) ---- */

enum mp_ogc_qtype {
    MP_OGC_Q_CATEGORY, /* a category code of the city */
    MP_OGC_Q_STATUS,   /* a workflow status */
    MP_OGC_Q_DISTRICT, /* a district of the city, by name (as the features say) or code */
    MP_OGC_Q_TIME,     /* an instant or interval as `datetime` takes it */
    MP_OGC_Q_TEXT,     /* a string compared whole (districts' own code and name) */
    MP_OGC_Q_MUNICIPALITY, /* a region pack's member, by id or name */
};

struct mp_ogc_queryable {
    const char *name; /* the feature property, and the query parameter */
    const char *title;
    enum mp_ogc_qtype type;
};

/* The queryables of collection c (static), their number in *n: reports and
 * clusters have municipality only in a region pack of several members (r
 * borrowed; NULL or a region of one: not). */
const struct mp_ogc_queryable *mp_ogc_queryables(enum mp_ogc_coll c, const struct mp_region *r,
                                                  size_t *n);
/* The member of region r whose id or name is v (borrowed), or NULL (also
 * for a region of one, which offers no choice). */
const struct mp_city *mp_ogc_municipality(const struct mp_region *r, const char *v);

/* ---- reading items ---- */

#define MP_OGC_LIMIT_DEFAULT 100
#define MP_OGC_LIMIT_MAX 10000

/* What one items request selects. q's strings are borrowed for the call. */
struct mp_ogc_query {
    enum mp_ogc_coll coll;
    /* Store filters: bbox (lon/lat), categories, statuses, district (code),
     * since/until (reports: creation; clusters: activity span),
     * updated_since/until, municipality (a member id), after_id (the page
     * cursor). q.limit is ignored. */
    struct mp_query q;
    /* Districts only: code and name compared whole (NULL: any). */
    const char *code, *name;
    /* A box given in a projected CRS: box (in box_crs's axis order) is the
     * exact test, q.bbox only its lon/lat envelope. */
    struct mp_geo_crs *box_crs;
    double box[4];
    size_t limit; /* 1..MP_OGC_LIMIT_MAX */
    bool count;   /* compute numberMatched */
};

/* One item of a page: a report or cluster row, or a district of the city
 * (index: its position in the pack, 0-based). Borrowed for the callback. */
struct mp_ogc_item {
    enum mp_ogc_coll coll;
    const struct mp_export_row *row;
    const struct mp_district *district;
    size_t index;
};

typedef void (*mp_ogc_item_fn)(void *arg, const struct mp_ogc_item *it);

struct mp_ogc_page {
    size_t n;        /* items handed to fn */
    int64_t last_id; /* id of the last one: the next page's cursor */
    bool more;       /* a next page exists */
    int64_t matched; /* numberMatched, -1 when not computed */
};

/* The page of items q selects, in id order, each handed to fn. MP_EUNAVAIL
 * with err set when the store cannot be read. */
enum mp_status mp_ogc_items(struct mp_ctx *ctx, const struct mp_ogc_query *q, mp_ogc_item_fn fn,
                            void *arg, struct mp_ogc_page *page, struct mp_error *err) MP_WUR;
/* Item id of collection c to fn; MP_ENOTFOUND (err set) when there is none. */
enum mp_status mp_ogc_item(struct mp_ctx *ctx, enum mp_ogc_coll c, int64_t id, mp_ogc_item_fn fn,
                           void *arg, struct mp_error *err) MP_WUR;
/* Earliest and latest report creation (0, 0 when none): the temporal extent
 * of reports and clusters. MP_EUNAVAIL with err set on failure. */
enum mp_status mp_ogc_time_extent(struct mp_ctx *ctx, int64_t *first, int64_t *last,
                                  struct mp_error *err) MP_WUR;

#endif
