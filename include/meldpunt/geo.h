/* geo.h - coordinate transforms between WGS84 (lon, lat) and the city pack's
 * metric CRS, through PROJ. Every distance in meldpunt is measured in metres
 * in that CRS, never in degrees.
 *
 * Thread-safety: a struct mp_geo owns its own PJ_CONTEXT and must be used by
 * one thread at a time (the app keeps one per worker slot); so must the
 * output CRS transforms it keeps.
 */
#ifndef MELDPUNT_GEO_H
#define MELDPUNT_GEO_H

#include <stdbool.h>

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

/* ---- output CRSs (OGC API - Features - Part 2) ----
 *
 * Features may be asked for in other CRSs than WGS84 lon/lat: EPSG:4326
 * (latitude first), Web Mercator, the city's own metric CRS. A struct
 * mp_geo_crs transforms between OGC:CRS84 (lon, lat) and such a CRS in the
 * CRS's OWN axis order and unit, as OGC API Part 2 asks (not normalised to
 * x/y like the metric transformer above). */
struct mp_geo_crs;

#define MP_GEO_MAX_CRS 8 /* output CRSs one transformer keeps */

/* The transform for crs ("EPSG:4326", "OGC:CRS84", ...), made on first use
 * on g's PROJ context and kept until mp_geo_free: BORROWED from g, used by
 * g's thread only. MP_EINVAL "invalid_crs" when PROJ does not know the CRS,
 * it is neither geographic nor projected, or g already keeps MP_GEO_MAX_CRS
 * others. */
enum mp_status mp_geo_crs_get(struct mp_geo *g, const char *crs, struct mp_geo_crs **out,
                              struct mp_error *err) MP_WUR;
/* Whether coordinates of the CRS are angles (degrees), not lengths. */
bool mp_geo_crs_is_geographic(const struct mp_geo_crs *c);
/* lon/lat (CRS84) -> the CRS's two coordinates in its axis order. MP_EINVAL
 * when PROJ cannot transform the point. */
enum mp_status mp_geo_crs_from_lonlat(struct mp_geo_crs *c, double lon, double lat, double *a,
                                      double *b) MP_WUR;
/* The CRS's two coordinates -> lon/lat. */
enum mp_status mp_geo_crs_to_lonlat(struct mp_geo_crs *c, double a, double b, double *lon,
                                    double *lat) MP_WUR;
/* A box in the CRS (first axis min, second axis min, first max, second max)
 * -> the lon/lat envelope of its image (min lon, min lat, max lon, max lat;
 * edges densified, so that a box of a projected CRS is covered whole).
 * MP_EINVAL when it cannot be transformed. */
enum mp_status mp_geo_crs_box_to_lonlat(struct mp_geo_crs *c, const double box[4],
                                        double out[4]) MP_WUR;

/* Euclidean distance between two metric points, in metres. */
double mp_geo_dist(double x1, double y1, double x2, double y2);

/* Great-circle distance in metres (haversine) - used only as an independent
 * cross-check in tests, never for clustering. */
double mp_geo_haversine(double lon1, double lat1, double lon2, double lat2);

/* Validate a WGS84 coordinate pair: finite, lat in [-90,90], lon in [-180,180]. */
int mp_geo_valid_lonlat(double lon, double lat);

#endif
