/* geo.h - coordinate transforms between WGS84 (lon, lat) and the city pack's
 * metric CRS, through PROJ. Every distance in meldpunt is measured in metres
 * in that CRS, never in degrees.
 *
 * Thread-safety: a struct mp_geo owns its own PJ_CONTEXT and must be used by
 * one thread at a time (the app keeps one per worker slot).
 */
#ifndef MELDPUNT_GEO_H
#define MELDPUNT_GEO_H

#include "meldpunt/status.h"

struct mp_geo;

/* Create a transformer from EPSG:4326 to crs (e.g. "EPSG:26916"). Returns a
 * new object in *out (free with mp_geo_free). MP_EINVAL if PROJ does not know
 * the CRS or it is not projected in metres/feet. */
enum mp_status mp_geo_new(const char *crs, struct mp_geo **out, struct mp_error *err) MP_WUR;
void mp_geo_free(struct mp_geo *g);

/* lon/lat degrees -> metric x/y (metres, whatever the CRS's own unit).
 * MP_EINVAL if PROJ cannot transform the point. */
enum mp_status mp_geo_forward(struct mp_geo *g, double lon, double lat, double *x,
                              double *y) MP_WUR;
/* metric x/y -> lon/lat degrees. */
enum mp_status mp_geo_inverse(struct mp_geo *g, double x, double y, double *lon,
                              double *lat) MP_WUR;

/* Euclidean distance between two metric points, in metres. */
double mp_geo_dist(double x1, double y1, double x2, double y2);

/* Great-circle distance in metres (haversine) - used only as an independent
 * cross-check in tests, never for clustering. */
double mp_geo_haversine(double lon1, double lat1, double lon2, double lat2);

/* Validate a WGS84 coordinate pair: finite, lat in [-90,90], lon in [-180,180]. */
int mp_geo_valid_lonlat(double lon, double lat);

#endif
