/* region.h - a region pack: one installation for several municipalities.
 *
 * A region is a folder that is itself a city pack (the region as a whole:
 * its outline, every member's districts, the region-wide categories and
 * calendar: what the region map and the region-wide lists show) plus a
 * members/ folder with one city pack per municipality, each of which takes
 * from the region folder every file it does not have (city.json and an
 * extending categories.json are laid over the region's: city.h,
 * mp_city_load_member). A plain city pack (no members/ folder) is a region
 * of one: its only member is the whole. geodata/README.md, "Region packs".
 *
 * The pin decides the municipality (mp_region_route): the member whose area
 * contains it; on a border, the one that contains it with the neighbours
 * within reach named; in a gap of the outlines or just outside the region
 * (within the whole's area_margin_m), the nearest member; outside that, no
 * member, with the nearest ones named. Distances are metres in the pack's
 * metric CRS (city.json "crs").
 *
 * Read-only after mp_region_load: safe to share between threads.
 */
#ifndef MELDPUNT_REGION_H
#define MELDPUNT_REGION_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/city.h"
#include "meldpunt/geom.h"
#include "meldpunt/status.h"

struct mp_geo;

struct mp_region_member {
    struct mp_city *city;        /* owned, except in a region of one (then == whole) */
    struct mp_multipolygon xy;   /* owned: its area in the metric CRS */
};

struct mp_region {
    struct mp_city *whole;             /* owned */
    struct mp_region_member *members;  /* owned, sorted by id */
    size_t nmembers;
    bool of_one;         /* a plain city pack */
    double neighbour_m;  /* a pin this close to another member names it (region.json) */
    size_t nearest;      /* members named when a pin is outside all of them */
};

/* Load the region (or city) pack in folder dir. New region in *out
 * (mp_region_free); err names the member and the problem on failure.
 * Every member must share the whole's crs and timezone. */
enum mp_status mp_region_load(const char *dir, struct mp_region **out,
                              struct mp_error *err) MP_WUR;
void mp_region_free(struct mp_region *r);

/* The member whose id is slug (borrowed), or NULL. */
const struct mp_city *mp_region_member(const struct mp_region *r, const char *slug);
/* The member a district code belongs to (borrowed), or NULL. */
const struct mp_city *mp_region_member_of_district(const struct mp_region *r, const char *code);
/* Its index in r->members, or SIZE_MAX. */
size_t mp_region_member_index_of_district(const struct mp_region *r, const char *code);

#define MP_ROUTE_MAX_NEAR 4

struct mp_route_near {
    const struct mp_city *city; /* borrowed */
    double distance_m;          /* from the pin to its outline (0 = on it) */
};

struct mp_route {
    const struct mp_city *member; /* borrowed; NULL = outside every member */
    bool inside;                  /* member's area contains the pin (not only near it) */
    /* Other members, nearest first: with a member, those within reach (the
     * neighbours across a border); without, the nearest r->nearest. */
    struct mp_route_near near[MP_ROUTE_MAX_NEAR];
    size_t nnear;
};

/* Route the pin (lon, lat), whose metric coordinates are (x, y): see above.
 * reach_m: how far another member's outline may be to be listed in near
 * (at least r->neighbour_m is used). */
void mp_region_route(const struct mp_region *r, double lon, double lat, double x, double y,
                     double reach_m, struct mp_route *out);

/* "outside every municipality of Halle-Vilvoorde; nearest: Linkebeek
 * 1.2 km, ..." for an unrouted pin (the out_of_area error text). */
enum mp_status mp_region_refusal(const struct mp_region *r, const struct mp_route *route,
                                 double lon, double lat, struct mp_error *err);

#endif
