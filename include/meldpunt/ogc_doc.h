/* ogc_doc.h - the JSON documents of the OGC API - Features service (ogc.h):
 * landing page, conformance, collections, a collection, the queryables of
 * a collection (JSON Schema), the FeatureCollection around a page of items
 * and the items themselves (reports and clusters through export.h, the
 * city's districts here), in the CRS asked for.
 *
 * Links are absolute (base is scheme://host as the client reached the
 * server) and every document links its HTML twin as "alternate".
 *
 * Thread-safety: pure functions over caller-owned buffers.
 */
#ifndef MELDPUNT_OGC_DOC_H
#define MELDPUNT_OGC_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/ogc.h"

/* Conformance classes this service implements, each declared only with its
 * implementation. */
#define MP_OGC_CONF_CORE "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
#define MP_OGC_CONF_GEOJSON "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
#define MP_OGC_CONF_HTML "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"
#define MP_OGC_CONF_OAS30 "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
#define MP_OGC_CONF_CRS "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
#define MP_OGC_CONF_QUERYABLES "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables"
#define MP_OGC_CONF_QUERYABLES_QP                                                                  \
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters"

#define MP_OGC_OPENAPI_TYPE "application/vnd.oai.openapi+json;version=3.0"

/* What every document needs; borrowed for the call. */
struct mp_ogc_view {
    const struct mp_city *city;
    const char *base; /* "scheme://host" */
    /* The pack (borrowed; NULL as a region of one): a region's members are
     * the municipality queryable's values. */
    const struct mp_region *region;
};

void mp_ogc_doc_landing(struct mp_buf *b, const struct mp_ogc_view *v);
void mp_ogc_doc_conformance(struct mp_buf *b, const struct mp_ogc_view *v);
/* The collections, or the one collection c; first and last are the
 * temporal extent (0 when unknown). */
void mp_ogc_doc_collections(struct mp_buf *b, const struct mp_ogc_view *v, int64_t first,
                            int64_t last);
void mp_ogc_doc_collection(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c,
                           int64_t first, int64_t last);
/* The queryables of c as a JSON Schema (application/schema+json), with the
 * city's categories, the statuses and the district names as enumerations. */
void mp_ogc_doc_queryables(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c);

/* One item as a GeoJSON Feature in crs (NULL: CRS84); with_links adds the
 * item's own links (self, alternate, collection), as a single item has. */
void mp_ogc_doc_item(struct mp_buf *b, const struct mp_ogc_view *v, const struct mp_ogc_item *it,
                     struct mp_geo_crs *crs, bool with_links);

/* The members of a FeatureCollection after its features: links (self with
 * self_url, next with next_url when not NULL, alternate, collection),
 * timeStamp, numberMatched (when page->matched >= 0), numberReturned. */
void mp_ogc_doc_items_end(struct mp_buf *b, const struct mp_ogc_view *v, enum mp_ogc_coll c,
                          const char *self_url, const char *next_url,
                          const struct mp_ogc_page *page);

/* Append the percent-encoded query value s (RFC 3986 unreserved characters
 * and ",:/" as they are). */
void mp_ogc_doc_add_encoded(struct mp_buf *b, const char *s);

#endif
