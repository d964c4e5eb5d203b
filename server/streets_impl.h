/* streets_impl.h - PRIVATE to server/streets*.c: the layer's representation,
 * shared by streets.c (loading, the segment index, snapping, intersections, the
 * lines of the map) and streets_numbers.c (house numbers: the address grid,
 * address points and ranges, placing a number on its street). */
#ifndef MELDPUNT_STREETS_IMPL_H
#define MELDPUNT_STREETS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "meldpunt/geo.h"
#include "meldpunt/status.h"
#include "meldpunt/streets.h"

/* A uniform grid over the segments: a cell is CELL metres square. Segments
 * are listed in every cell their bounding box touches. */
#define CELL 200.0
#define LINE_MAX 65536
#define MAX_SEGMENTS 2000000
/* Up to this many cells the grid is also a dense table (8 bytes a cell):
 * a snap then indexes its cells instead of searching for them. */
#define DENSE_MAX_CELLS (1L << 22)

struct seg {
    double x1, y1, x2, y2;
    uint32_t street, from, to; /* indices into names */
};

/* A name as addresses spell it (mp_address_key) -> the layer's name. */
struct keyref {
    char *key; /* owned */
    uint32_t name;
};

/* A street of the grid whose house number is known: a line of the grid
 * ("HALSTED ST" is 800 W on every stretch, "N HALSTED ST" and "S HALSTED
 * ST" alike). */
struct anchor {
    double number;
    double median;  /* its median coordinate along the axis */
    uint32_t *segs; /* owned: its segments */
    size_t nsegs;
};

/* One axis of an address grid: streets whose name starts with prefix
 * number along coordinate (0 latitude, 1 longitude), between anchor
 * streets; numbers ascending. */
struct axis {
    char prefix[8];
    int coord;
    struct anchor *a; /* owned */
    size_t n;
};

/* Address points and ranges (addresses.tsv): numbers from..to along a
 * line of points (one point when from == to). */
struct range {
    uint32_t street;
    long from, to;
    size_t first, n; /* into rpts */
};

struct cell_ref {
    uint64_t key;
    uint32_t seg;
    uint32_t street; /* the segment's, so that a named snap skips others unread */
};

struct mp_streets {
    struct seg *segs;
    size_t nsegs;
    char **names; /* owned, unique, sorted for bsearch */
    size_t nnames;
    struct cell_ref *cells; /* sorted by key */
    size_t ncells;
    /* Dense index over the grid's bounding box: cell (cx, cy) holds
     * cells[dense[2k] .. dense[2k + 1]) with k = (cx - gx0) * gny + cy - gy0;
     * NULL when the box is too large (then binary search). */
    uint32_t *dense;
    long gx0, gy0, gnx, gny;
    struct keyref *keys; /* sorted by key */
    size_t nkeys;
    /* The segments of name i are street_segs[street_off[i] .. street_off[i + 1]). */
    uint32_t *street_segs, *street_off;
    double (*ll)[4]; /* lon1, lat1, lon2, lat2 of every segment */
    struct axis *axes;
    size_t naxes;
    struct range *ranges; /* sorted by street, then file order */
    size_t nranges;
    double (*rpts)[2]; /* metric */
    size_t nrpts;
    double per_number_m;
};

/* Index in names of a name spelt exactly as the layer spells it, or -1. */
long mp_streets_name_ix(const struct mp_streets *s, const char *name);
/* Index in names of a street given its address key (mp_address_key), or -1. */
long mp_streets_key_ix(const struct mp_streets *s, const char *key);
/* Load the house numbers next to the layer at path (address grid, address
 * points and ranges); absent files leave the layer without numbers. */
enum mp_status mp_streets_load_numbers(struct mp_streets *s, const char *path, struct mp_geo *geo,
                                       struct mp_error *err);

#endif
