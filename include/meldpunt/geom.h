/* geom.h - planar polygon tests on WGS84 coordinates: point in (multi)polygon
 * with holes, bounding boxes. Used for the service area and district lookup,
 * where the city pack's polygons are loaded once and then read by every
 * thread (read-only after load, so thread-safe).
 */
#ifndef MELDPUNT_GEOM_H
#define MELDPUNT_GEOM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "meldpunt/status.h"

struct mp_bbox {
    double min_lon, min_lat, max_lon, max_lat;
};

struct mp_ring {
    double *xy; /* owned: lon0, lat0, lon1, lat1, ... ; closed (first == last) */
    size_t n;   /* number of points */
};

struct mp_polygon {
    struct mp_ring *rings; /* owned: [0] outer, the rest holes */
    size_t nrings;
    struct mp_bbox bbox;
};

struct mp_multipolygon {
    struct mp_polygon *polys; /* owned */
    size_t npolys;
    struct mp_bbox bbox;
};

/* Build from a GeoJSON geometry object (Polygon or MultiPolygon; borrowed).
 * On success *mp owns new memory (free with mp_multipolygon_free). */
enum mp_status mp_multipolygon_from_geojson(const json_t *geometry, struct mp_multipolygon *mp,
                                            struct mp_error *err) MP_WUR;
void mp_multipolygon_free(struct mp_multipolygon *mp);

/* Even-odd point-in-polygon over all rings; points on the boundary may go
 * either way (acceptable at 1e-7 degree scale). */
bool mp_multipolygon_contains(const struct mp_multipolygon *mp, double lon, double lat);

/* Whether the point lies within max_m metres of the outline of mp (any
 * ring). Distances use a local equirectangular projection around the point:
 * exact to well under 1% at the few tens of metres this is meant for (a pin
 * on the street that forms the city limit). */
bool mp_multipolygon_near(const struct mp_multipolygon *mp, double lon, double lat, double max_m);

bool mp_bbox_contains(const struct mp_bbox *b, double lon, double lat);

/* A copy of src with every vertex passed through fn (e.g. into a metric CRS;
 * the bbox fields then hold x/y). fn returns MP_OK or the status returned.
 * On success *dst owns new memory (mp_multipolygon_free); on failure *dst is
 * empty. */
enum mp_status mp_multipolygon_map(const struct mp_multipolygon *src,
                                   enum mp_status (*fn)(void *cookie, double a, double b,
                                                        double *x, double *y),
                                   void *cookie, struct mp_multipolygon *dst) MP_WUR;

/* Planar distance from (x, y) to the outline of mp (any ring), in mp's own
 * units: for a multipolygon in a metric CRS (mp_multipolygon_map), metres.
 * 0 when the point lies on it; INFINITY for an empty mp. */
double mp_multipolygon_outline_dist(const struct mp_multipolygon *mp, double x, double y);

/* Parse "minLon,minLat,maxLon,maxLat" (exactly four finite numbers, valid
 * WGS84 ranges, min < max). MP_EINVAL with a message in err otherwise. */
enum mp_status mp_bbox_parse(const char *s, struct mp_bbox *out, struct mp_error *err) MP_WUR;

#endif
