/* streets.h - the city pack's street layer (streets.tsv): snapping a point
 * to the nearest named street segment in the metric CRS, a readable location
 * ("W FULLERTON AVE near N KEDZIE AVE"), and recognising a street name in a
 * free-text address ("2111 W Lexington St" -> "W LEXINGTON ST").
 *
 * Read-only after mp_streets_load: safe to share between threads.
 */
#ifndef MELDPUNT_STREETS_H
#define MELDPUNT_STREETS_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/status.h"

struct mp_geo;
struct mp_streets;

/* Load path (a streets.tsv) projecting through geo. A missing file is not an
 * error: *out is then an empty layer and every snap fails. New object in
 * *out (mp_streets_free). */
enum mp_status mp_streets_load(const char *path, struct mp_geo *geo, struct mp_streets **out,
                               struct mp_error *err) MP_WUR;
void mp_streets_free(struct mp_streets *s);
size_t mp_streets_count(const struct mp_streets *s);

struct mp_snap {
    const char *street; /* borrowed from the layer */
    const char *cross;  /* the nearer cross street of the segment, or NULL */
    double x, y;        /* the snapped point, metric */
    double ux, uy;      /* unit direction of the segment */
    double dist;        /* from the query point to the snapped point, metres */
};

/* Snap metric (x, y) to the nearest segment within max_m. With street given
 * (a name from mp_streets_find), only that street's segments count. Returns
 * false when nothing is that close. */
bool mp_streets_snap(const struct mp_streets *s, double x, double y, double max_m,
                     const char *street, struct mp_snap *out);

/* The layer's spelling of the street named in a free-text address, or NULL
 * (borrowed). Handles house numbers, case, and common suffix spellings. */
const char *mp_streets_find(const struct mp_streets *s, const char *address);

/* Place a corner written as two crossing streets ("N Clark St & W Division
 * St"; also "and", "at", "near", "/", "@"; the direction and the type may
 * be left out, "Clark & Division", when the streets so named meet in one
 * place only). On success the
 * metric corner in *x, *y (the mean of the segment ends where the two
 * meet) and "STREET & CROSS" in the layer's spelling in label (may be
 * NULL). False when either street is unknown, they do not meet, or they
 * meet in more than one place (more than 60 m apart). */
bool mp_streets_intersection(const struct mp_streets *s, const char *text, double *x,
                             double *y, char *label, size_t cap);

/* "STREET near CROSS" (or just STREET) into out. */
void mp_streets_location(const struct mp_snap *snap, char *out, size_t cap);

/* One line of the layer as fn sees it: id (stable while the layer is
 * loaded), the street's name and npoints points as lon, lat pairs, all
 * borrowed for the call. A non-zero return stops the walk. */
typedef int (*mp_streets_line_fn)(void *arg, size_t id, const char *street,
                                  const double *lonlat, size_t npoints);

/* The lines of the layer (a street between two cross streets, as the pack
 * has them) with a segment in the WGS84 box lon0..lon1, lat0..lat1, each
 * once and in layer order, handed to fn; geo (the caller's) converts. At
 * most max lines: MP_ETOOBIG when the box holds more (fn has seen max of
 * them then); MP_ENOMEM; a conversion's error. MP_OK for an empty layer. */
enum mp_status mp_streets_lines(const struct mp_streets *s, struct mp_geo *geo, double lon0,
                                double lat0, double lon1, double lat1, size_t max,
                                mp_streets_line_fn fn, void *arg) MP_WUR;

#endif
