/* streets.h - the city pack's street layer (streets.tsv): snapping a point
 * to the nearest named street segment in the metric CRS, a readable location
 * ("W FULLERTON AVE near N KEDZIE AVE"), recognising a street name in a
 * free-text address ("2111 W Lexington St" -> "W LEXINGTON ST"), and placing
 * a house number on its street where the pack says how (address_grid.json,
 * addresses.tsv beside streets.tsv; geodata/README.md).
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

/* Load path (a streets.tsv) projecting through geo, with the optional
 * address_grid.json and addresses.tsv of the same folder. A missing
 * streets.tsv is not an error: *out is then an empty layer and every snap
 * fails. New object in *out (mp_streets_free). */
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
 * (borrowed). The address is taken apart by mp_address_parse (numbers,
 * units, case and the spellings of types and directions do not matter). */
const char *mp_streets_find(const struct mp_streets *s, const char *address);

/* Place house number on street (a name from mp_streets_find): at its
 * address point, else along the address range that holds it (a range of
 * one parity holds only that side's numbers), else by the pack's address
 * grid (a street whose name starts with an axis's prefix, "W GLADYS AVE",
 * numbers along that axis: 1047 W lies where the street crosses the
 * longitude the grid gives 1047). Where several places qualify (a street
 * that bends across the grid line twice) the one nearest near (metric x,
 * y; may be NULL) wins, else the first in the files' order. On success
 * *out holds the metric point (dist = its distance to near, 0 without),
 * the street's direction there and the nearer cross street. False when the
 * pack cannot place the number on that street. */
bool mp_streets_place(const struct mp_streets *s, const char *street, long number,
                      const double *near, struct mp_snap *out);

/* Place a typed address ("1600 W Fullerton Ave", "Kerkstraat 12 bus 3"):
 * its street as mp_streets_find finds it, its number placed by
 * mp_streets_place (no pin to prefer). On success the metric point in *x,
 * *y and the address in the layer's spelling in label (may be NULL; ""
 * when it does not fit): "1600 W FULLERTON AVE", "Kerkstraat 12" (the
 * number where the text had it). False when the street is unknown, the
 * text has no house number, or the pack cannot place it. For the place
 * search (GET /api/v1/places). */
bool mp_streets_address(const struct mp_streets *s, const char *text, double *x, double *y,
                        char *label, size_t cap);

/* Up to max names of the layer (borrowed) for a street being typed: those
 * whose address key (mp_address_key) starts with key_prefix, then those
 * that do once their direction word (N, S, E, W) is left out ("FULLER"
 * finds W FULLERTON AVE). Each name once, alphabetical within each group.
 * Returns how many went into out. For the place search's suggestions. */
size_t mp_streets_suggest(const struct mp_streets *s, const char *key_prefix, const char **out,
                          size_t max);

/* Up to max cross streets (borrowed names) of street (as people write it,
 * mp_streets_intersection's way) whose key starts with key_prefix, with or
 * without its direction, in the order the street meets them, each once.
 * For the suggestions after "Clark St &". */
size_t mp_streets_suggest_cross(const struct mp_streets *s, const char *street,
                                const char *key_prefix, const char **out, size_t max);

/* The most metres one house number spans in this pack (a grid of 800
 * numbers a mile: 2.0), 0 when the pack places no numbers. */
double mp_streets_metres_per_number(const struct mp_streets *s);

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
 * has them, in its own WGS84 points) with a segment in the WGS84 box
 * lon0..lon1, lat0..lat1, each once and in layer order, handed to fn; geo
 * (the caller's) converts the box. At most max lines: MP_ETOOBIG when the
 * box holds more (fn has seen max of them then); MP_ENOMEM; a conversion's
 * error. MP_OK for an empty layer. */
enum mp_status mp_streets_lines(const struct mp_streets *s, struct mp_geo *geo, double lon0,
                                double lat0, double lon1, double lat1, size_t max,
                                mp_streets_line_fn fn, void *arg) MP_WUR;

#endif
