#include "meldpunt/streets.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meldpunt/address.h"
#include "meldpunt/geo.h"

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

static uint64_t cell_key(long cx, long cy)
{
    return ((uint64_t)(uint32_t)(int32_t)cx << 32) | (uint32_t)(int32_t)cy;
}

static int cmp_ref(const void *a, const void *b)
{
    const struct cell_ref *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->seg > y->seg) - (x->seg < y->seg);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names are interned in a first pass in insertion order, then sorted; the
 * segments keep pointers' indices after a remap. */
struct intern {
    char **v;
    size_t n, cap;
};

static long intern_add(struct intern *in, const char *s)
{
    /* Linear probing over a small open-addressing table would be faster, but
     * loading happens once; a sorted pass at the end keeps this simple. */
    if (in->n == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 4096;
        char **nv = realloc(in->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        in->v = nv;
        in->cap = nc;
    }
    in->v[in->n] = strdup(s);
    if (!in->v[in->n])
        return -1;
    return (long)in->n++;
}

static long name_index(const struct mp_streets *s, const char *name)
{
    const char *key = name;
    char **hit = bsearch(&key, s->names, s->nnames, sizeof *s->names, cmp_str);
    return hit ? (long)(hit - s->names) : -1;
}

void mp_streets_free(struct mp_streets *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    free(s->segs);
    free(s->cells);
    free(s->dense);
    for (size_t i = 0; i < s->nkeys; i++)
        free(s->keys[i].key);
    free(s->keys);
    free(s->street_segs);
    free(s->street_off);
    free(s->ll);
    for (size_t i = 0; i < s->naxes; i++) {
        for (size_t k = 0; k < s->axes[i].n; k++)
            free(s->axes[i].a[k].segs);
        free(s->axes[i].a);
    }
    free(s->axes);
    free(s->ranges);
    free(s->rpts);
    free(s);
}

size_t mp_streets_count(const struct mp_streets *s) { return s ? s->nsegs : 0; }

struct raw_seg {
    double x1, y1, x2, y2;
    double lon1, lat1, lon2, lat2;
    long street, from, to; /* indices into the unsorted intern table */
};

static enum mp_status add_cells(struct mp_streets *s, size_t *cap, const struct seg *g, uint32_t i)
{
    long cx0 = (long)floor(fmin(g->x1, g->x2) / CELL), cx1 = (long)floor(fmax(g->x1, g->x2) / CELL);
    long cy0 = (long)floor(fmin(g->y1, g->y2) / CELL), cy1 = (long)floor(fmax(g->y1, g->y2) / CELL);
    if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 10000)
        return MP_EINVAL; /* a segment tens of km long is a data error */
    for (long cx = cx0; cx <= cx1; cx++)
        for (long cy = cy0; cy <= cy1; cy++) {
            if (s->ncells == *cap) {
                size_t nc = *cap ? *cap * 2 : 65536;
                struct cell_ref *n = realloc(s->cells, nc * sizeof *n);
                if (!n)
                    return MP_ENOMEM;
                s->cells = n;
                *cap = nc;
            }
            s->cells[s->ncells++] = (struct cell_ref){cell_key(cx, cy), i, g->street};
        }
    return MP_OK;
}

static long key_cx(uint64_t key) { return (long)(int32_t)(uint32_t)(key >> 32); }
static long key_cy(uint64_t key) { return (long)(int32_t)(uint32_t)key; }

static enum mp_status build_dense(struct mp_streets *s)
{
    if (s->ncells == 0 || s->ncells > UINT32_MAX)
        return MP_OK;
    long x0 = key_cx(s->cells[0].key), x1 = x0, y0 = key_cy(s->cells[0].key), y1 = y0;
    for (size_t i = 1; i < s->ncells; i++) {
        long cx = key_cx(s->cells[i].key), cy = key_cy(s->cells[i].key);
        x0 = cx < x0 ? cx : x0;
        x1 = cx > x1 ? cx : x1;
        y0 = cy < y0 ? cy : y0;
        y1 = cy > y1 ? cy : y1;
    }
    long nx = x1 - x0 + 1, ny = y1 - y0 + 1;
    if (nx > DENSE_MAX_CELLS / ny)
        return MP_OK;
    s->dense = calloc((size_t)(nx * ny) * 2, sizeof *s->dense);
    if (!s->dense)
        return MP_ENOMEM;
    s->gx0 = x0;
    s->gy0 = y0;
    s->gnx = nx;
    s->gny = ny;
    /* The refs of one cell are contiguous in the sorted list. */
    for (size_t i = 0; i < s->ncells;) {
        size_t j = i;
        while (j < s->ncells && s->cells[j].key == s->cells[i].key)
            j++;
        long k = (key_cx(s->cells[i].key) - x0) * ny + key_cy(s->cells[i].key) - y0;
        s->dense[2 * k] = (uint32_t)i;
        s->dense[2 * k + 1] = (uint32_t)j;
        i = j;
    }
    return MP_OK;
}

static int cmp_keyref(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->name > y->name) - (x->name < y->name);
}

/* Every name under its address key, so that a typed address finds the
 * layer's spelling whatever the case and abbreviations of either. */
static enum mp_status build_keys(struct mp_streets *s)
{
    char key[MP_ADDRESS_KEY_MAX];
    s->keys = malloc((s->nnames + 1) * sizeof *s->keys);
    if (!s->keys)
        return MP_ENOMEM;
    for (size_t i = 0; i < s->nnames; i++) {
        if (!mp_address_key(s->names[i], key, sizeof key))
            continue; /* empty or too long to be typed */
        if (!(s->keys[s->nkeys].key = strdup(key)))
            return MP_ENOMEM;
        s->keys[s->nkeys++].name = (uint32_t)i;
    }
    qsort(s->keys, s->nkeys, sizeof *s->keys, cmp_keyref);
    return MP_OK;
}

static enum mp_status build_street_index(struct mp_streets *s)
{
    s->street_off = calloc(s->nnames + 2, sizeof *s->street_off);
    s->street_segs = malloc((s->nsegs + 1) * sizeof *s->street_segs);
    if (!s->street_off || !s->street_segs)
        return MP_ENOMEM;
    for (size_t i = 0; i < s->nsegs; i++)
        s->street_off[s->segs[i].street + 1]++;
    for (size_t i = 0; i < s->nnames; i++)
        s->street_off[i + 1] += s->street_off[i];
    /* Filled in segment order, so each street lists its segments as the
     * file does: placements that find two candidates pick alike. */
    uint32_t *fill = calloc(s->nnames + 1, sizeof *fill);
    if (!fill)
        return MP_ENOMEM;
    for (size_t i = 0; i < s->nsegs; i++) {
        uint32_t st = s->segs[i].street;
        s->street_segs[s->street_off[st] + fill[st]++] = (uint32_t)i;
    }
    free(fill);
    return MP_OK;
}

/* ---- house numbers: the pack's address grid and address points ---- */

#define DEG_LAT_M 111320.0
/* A number this far beyond the last crossing of its street still lies on
 * it: houses stand past the last named intersection of a dead end. */
#define PLACE_BEYOND_M 100.0
#define PER_NUMBER_MAX_M 25.0

/* Index in ll of the axis's coordinate (ll holds lon, lat) and of the other one. */
static int coord_ix(const struct axis *a) { return a->coord == 0 ? 1 : 0; }

/* Metres of one degree of the axis's coordinate at latitude lat. */
static double axis_metres(const struct axis *a, double lat)
{
    return a->coord == 0 ? DEG_LAT_M : DEG_LAT_M * cos(lat * M_PI / 180.0);
}

/* Where anchor k lies along the axis at the other coordinate (a north-
 * south anchor street's longitude at a latitude): on its segment spanning
 * that value, else at its end nearest to it. */
static double anchor_at(const struct mp_streets *s, const struct axis *a, size_t k, double other)
{
    const struct anchor *an = &a->a[k];
    const int c = coord_ix(a), o = 1 - c;
    double best = an->median, gap = INFINITY;
    for (size_t i = 0; i < an->nsegs; i++) {
        const double *ll = s->ll[an->segs[i]];
        double o1 = ll[o], o2 = ll[2 + o];
        if (o1 != o2 && other >= fmin(o1, o2) && other <= fmax(o1, o2))
            return ll[c] + (other - o1) / (o2 - o1) * (ll[2 + c] - ll[c]);
        for (int e = 0; e < 2; e++)
            if (fabs((e ? o2 : o1) - other) < gap) {
                gap = fabs((e ? o2 : o1) - other);
                best = ll[2 * e + c];
            }
    }
    return best;
}

/* The axis's coordinate of number at the other coordinate: linear between
 * the anchors around it, beyond the ends with the last pair's slope. */
static double axis_value(const struct mp_streets *s, const struct axis *a, double number,
                         double other)
{
    size_t k = 0;
    while (k + 2 < a->n && number > a->a[k + 1].number)
        k++;
    double p = anchor_at(s, a, k, other), q = anchor_at(s, a, k + 1, other);
    return p + (number - a->a[k].number) * (q - p) / (a->a[k + 1].number - a->a[k].number);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The segments of every layer street named name with or without a
 * direction in front ("HALSTED ST": N HALSTED ST, S HALSTED ST), and
 * their median coordinate. False when the layer has none. */
static enum mp_status resolve_anchor(const struct mp_streets *s, const struct axis *a,
                                     const char *name, struct anchor *an)
{
    char key[MP_ADDRESS_KEY_MAX];
    double *vals = NULL;
    size_t nv = 0;
    if (!mp_address_key(name, key, sizeof key))
        return MP_EINVAL;
    for (size_t i = 0; i < s->nkeys; i++) {
        const char *k = s->keys[i].key;
        if (strlen(k) > 2 && strchr("NSEW", k[0]) && k[1] == ' ')
            k += 2;
        if (strcmp(k, key) != 0)
            continue;
        uint32_t st = s->keys[i].name;
        size_t add = s->street_off[st + 1] - s->street_off[st];
        uint32_t *segs = realloc(an->segs, (an->nsegs + add + 1) * sizeof *segs);
        if (!segs)
            return MP_ENOMEM;
        an->segs = segs;
        memcpy(segs + an->nsegs, s->street_segs + s->street_off[st], add * sizeof *segs);
        an->nsegs += add;
    }
    if (an->nsegs == 0)
        return MP_ENOTFOUND;
    if (!(vals = malloc(2 * an->nsegs * sizeof *vals)))
        return MP_ENOMEM;
    for (size_t i = 0; i < an->nsegs; i++) {
        vals[nv++] = s->ll[an->segs[i]][coord_ix(a)];
        vals[nv++] = s->ll[an->segs[i]][2 + coord_ix(a)];
    }
    qsort(vals, nv, sizeof *vals, cmp_double);
    an->median = vals[nv / 2];
    free(vals);
    return MP_OK;
}

static enum mp_status load_grid(struct mp_streets *s, const char *path, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_error_t je;
    FILE *f = fopen(path, "r");
    if (!f)
        return MP_OK; /* optional */
    json_t *root = json_loadf(f, 0, &je);
    fclose(f);
    json_t *axes = json_object_get(root, "axes");
    if (!root || !json_is_array(axes) || json_array_size(axes) == 0 ||
        json_array_size(axes) > 16) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "address_grid.json: %s",
                     root ? "\"axes\" must list 1 to 16 axes" : je.text);
        goto out;
    }
    s->axes = calloc(json_array_size(axes), sizeof *s->axes);
    if (!s->axes) {
        rc = MP_ENOMEM;
        goto out;
    }
    size_t i;
    json_t *ax;
    json_array_foreach(axes, i, ax) {
        struct axis *a = &s->axes[s->naxes++];
        const char *prefix = json_string_value(json_object_get(ax, "prefix"));
        const char *coord = json_string_value(json_object_get(ax, "coordinate"));
        json_t *streets = json_object_get(ax, "streets");
        if (!prefix || !prefix[0] || strlen(prefix) >= sizeof a->prefix || !coord ||
            (strcmp(coord, "lat") != 0 && strcmp(coord, "lon") != 0) ||
            !json_is_array(streets) || json_array_size(streets) < 2 ||
            json_array_size(streets) > 1000) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                         "address_grid.json axis %zu: needs \"prefix\", \"coordinate\" (lat "
                         "or lon) and 2 to 1000 \"streets\" [number, name]",
                         i + 1);
            goto out;
        }
        memcpy(a->prefix, prefix, strlen(prefix) + 1);
        a->coord = strcmp(coord, "lat") == 0 ? 0 : 1;
        if (!(a->a = calloc(json_array_size(streets), sizeof *a->a))) {
            rc = MP_ENOMEM;
            goto out;
        }
        size_t j;
        json_t *pt;
        json_array_foreach(streets, j, pt) {
            struct anchor *an = &a->a[a->n++];
            json_t *num = json_array_get(pt, 0);
            const char *name = json_string_value(json_array_get(pt, 1));
            an->number = json_number_value(num);
            if (json_array_size(pt) != 2 || !json_is_number(num) || !name ||
                (j > 0 && !(an->number > a->a[j - 1].number))) {
                rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                             "address_grid.json axis %s: street %zu must be [number, name] "
                             "with numbers ascending",
                             prefix, j + 1);
                goto out;
            }
            if ((rc = resolve_anchor(s, a, name, an))) {
                if (rc != MP_ENOMEM)
                    rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                                 "address_grid.json axis %s: no street %.60s in streets.tsv",
                                 prefix, name);
                goto out;
            }
        }
    }
out:
    json_decref(root);
    return rc;
}

static long street_of_key(const struct mp_streets *s, const char *key)
{
    size_t lo = 0, hi = s->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->keys[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nkeys && strcmp(s->keys[lo].key, key) == 0 ? (long)s->keys[lo].name : -1;
}

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    if (x->street != y->street)
        return x->street < y->street ? -1 : 1;
    return (x->first > y->first) - (x->first < y->first);
}

/* addresses.tsv: "street	from	to	lon lat[,lon lat...]" after a header. */
static enum mp_status load_ranges(struct mp_streets *s, const char *path, struct mp_geo *geo,
                                  struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    size_t cap = 0, pcap = 0;
    long lineno = 0;
    char *line = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return MP_OK; /* optional */
    if (!(line = malloc(LINE_MAX))) {
        rc = MP_ENOMEM;
        goto out;
    }
    while (fgets(line, LINE_MAX, f)) {
        char key[MP_ADDRESS_KEY_MAX], *fields[4], *p = line, *end;
        int nf = 0;
        if (++lineno == 1)
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        while (nf < 4) {
            fields[nf++] = p;
            if (!(p = strchr(p, '\t')))
                break;
            *p++ = '\0';
        }
        long st = -1, from = 0, to = 0;
        if (nf == 4 && mp_address_key(fields[0], key, sizeof key))
            st = street_of_key(s, key);
        if (nf == 4) {
            from = strtol(fields[1], &end, 10);
            from = *end || end == fields[1] ? 0 : from;
            to = strtol(fields[2], &end, 10);
            to = *end || end == fields[2] ? 0 : to;
        }
        if (st < 0 || from <= 0 || to <= 0 || from > 9999999 || to > 9999999) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                         "addresses.tsv line %ld: %s", lineno,
                         nf < 4 ? "4 fields" : st < 0 ? "the street is not in streets.tsv"
                                                     : "numbers must be 1 to 9999999");
            goto out;
        }
        if (s->nranges == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct range *nr = realloc(s->ranges, nc * sizeof *nr);
            if (!nr) {
                rc = MP_ENOMEM;
                goto out;
            }
            s->ranges = nr;
            cap = nc;
        }
        struct range *r = &s->ranges[s->nranges];
        *r = (struct range){(uint32_t)st, from, to, s->nrpts, 0};
        for (char *tok = strtok(fields[3], ","); tok; tok = strtok(NULL, ",")) {
            char *e1, *e2;
            double lon = strtod(tok, &e1), lat = strtod(e1, &e2), x, y;
            if (e1 == tok || e2 == e1 || mp_geo_forward(geo, lon, lat, &x, &y) != MP_OK) {
                rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                             "addresses.tsv line %ld: bad coordinate", lineno);
                goto out;
            }
            if (s->nrpts == pcap) {
                size_t nc = pcap ? pcap * 2 : 4096;
                double(*np)[2] = realloc(s->rpts, nc * sizeof *np);
                if (!np) {
                    rc = MP_ENOMEM;
                    goto out;
                }
                s->rpts = np;
                pcap = nc;
            }
            s->rpts[s->nrpts][0] = x;
            s->rpts[s->nrpts++][1] = y;
            r->n++;
        }
        if (r->n == 0 || (from != to && r->n < 2)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                         "addresses.tsv line %ld: a range needs two points, an address one",
                         lineno);
            goto out;
        }
        s->nranges++;
    }
    qsort(s->ranges, s->nranges, sizeof *s->ranges, cmp_range);
out:
    fclose(f);
    free(line);
    return rc;
}

static double polyline_length(double (*p)[2], size_t n)
{
    double len = 0;
    for (size_t i = 1; i < n; i++)
        len += hypot(p[i][0] - p[i - 1][0], p[i][1] - p[i - 1][1]);
    return len;
}

/* The optional number files beside streets.tsv, and how many metres a
 * number spans at most (for how far the address rule looks). */
static enum mp_status load_numbers(struct mp_streets *s, const char *path, struct mp_geo *geo,
                                   struct mp_error *err)
{
    enum mp_status rc;
    static const char grid[] = "/address_grid.json", points[] = "/addresses.tsv";
    char file[1200];
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 1;
    if (dl + sizeof grid > sizeof file)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "the pack's path is too long");
    memcpy(file, slash ? path : ".", dl);
    memcpy(file + dl, grid, sizeof grid);
    if ((rc = load_grid(s, file, err)))
        return rc;
    memcpy(file + dl, points, sizeof points);
    if ((rc = load_ranges(s, file, geo, err)))
        return rc;
    double lat = s->nsegs ? s->ll[0][1] : 0;
    /* Over a whole axis: one odd stretch between two anchors (a jog in
     * a street) says little about how far numbers reach. */
    for (size_t i = 0; i < s->naxes; i++) {
        const struct anchor *p = &s->axes[i].a[0], *q = &s->axes[i].a[s->axes[i].n - 1];
        double m = fabs(q->median - p->median) / (q->number - p->number) *
                   axis_metres(&s->axes[i], lat);
        s->per_number_m = fmax(s->per_number_m, m);
    }
    for (size_t i = 0; i < s->nranges; i++) {
        const struct range *r = &s->ranges[i];
        if (r->from != r->to)
            s->per_number_m =
                fmax(s->per_number_m, polyline_length(s->rpts + r->first, r->n) /
                                          (double)labs(r->to - r->from));
    }
    s->per_number_m = fmin(s->per_number_m, PER_NUMBER_MAX_M);
    return MP_OK;
}

enum mp_status mp_streets_load(const char *path, struct mp_geo *geo, struct mp_streets **out,
                               struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_streets *s = calloc(1, sizeof *s);
    struct intern in = {0};
    struct raw_seg *raw = NULL;
    size_t nraw = 0, rawcap = 0, cellcap = 0;
    long *remap = NULL;
    char *line = NULL;
    FILE *f = NULL;
    *out = NULL;
    if (!s)
        return MP_ENOMEM;
    f = fopen(path, "r");
    if (!f) { /* no street layer: every category falls back to the point rule */
        *out = s;
        return MP_OK;
    }
    line = malloc(LINE_MAX);
    if (!line) {
        rc = MP_ENOMEM;
        goto out;
    }
    long lineno = 0;
    while (fgets(line, LINE_MAX, f)) {
        lineno++;
        if (lineno == 1)
            continue; /* header */
        char *fields[4], *p = line;
        int nf = 0;
        line[strcspn(line, "\r\n")] = '\0';
        while (nf < 4) {
            fields[nf++] = p;
            p = strchr(p, '\t');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (nf < 4 || !fields[0][0]) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "streets.tsv line %ld: 4 fields",
                         lineno);
            goto out;
        }
        long st = intern_add(&in, fields[0]), fr = intern_add(&in, fields[1]),
             to = intern_add(&in, fields[2]);
        if (st < 0 || fr < 0 || to < 0) {
            rc = MP_ENOMEM;
            goto out;
        }
        /* coords: "lon lat,lon lat,..." - every consecutive pair is a segment */
        double px = 0, py = 0, plon = 0, plat = 0;
        int k = 0;
        for (char *tok = strtok(fields[3], ","); tok; tok = strtok(NULL, ","), k++) {
            double lon, lat, x, y;
            char *e1, *e2;
            /* "lon lat" (strtod as sscanf's %lf, a third of the load time less) */
            lon = strtod(tok, &e1);
            lat = strtod(e1, &e2);
            if (e1 == tok || e2 == e1 || mp_geo_forward(geo, lon, lat, &x, &y) != MP_OK) {
                rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                             "streets.tsv line %ld: bad coordinate", lineno);
                goto out;
            }
            if (k > 0) {
                if (nraw == rawcap) {
                    size_t nc = rawcap ? rawcap * 2 : 65536;
                    struct raw_seg *n = realloc(raw, nc * sizeof *n);
                    if (!n) {
                        rc = MP_ENOMEM;
                        goto out;
                    }
                    raw = n;
                    rawcap = nc;
                }
                raw[nraw++] = (struct raw_seg){px, py, x, y, plon, plat, lon, lat, st, fr, to};
            }
            px = x;
            py = y;
            plon = lon;
            plat = lat;
        }
        if (nraw > MAX_SEGMENTS) {
            rc = mp_fail(err, MP_ETOOBIG, "invalid_city_pack", "streets.tsv is too large");
            goto out;
        }
    }
    /* Sort and deduplicate names, then map the raw indices onto them. */
    char **sorted = malloc((in.n + 1) * sizeof *sorted);
    remap = malloc((in.n + 1) * sizeof *remap);
    if (!sorted || !remap) {
        free(sorted);
        rc = MP_ENOMEM;
        goto out;
    }
    memcpy(sorted, in.v, in.n * sizeof *sorted);
    qsort(sorted, in.n, sizeof *sorted, cmp_str);
    s->names = malloc((in.n + 1) * sizeof *s->names);
    if (!s->names) {
        free(sorted);
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < in.n; i++) {
        if (s->nnames == 0 || strcmp(s->names[s->nnames - 1], sorted[i]) != 0) {
            s->names[s->nnames] = strdup(sorted[i]);
            if (!s->names[s->nnames]) {
                free(sorted);
                rc = MP_ENOMEM;
                goto out;
            }
            s->nnames++;
        }
    }
    free(sorted);
    for (size_t i = 0; i < in.n; i++)
        remap[i] = name_index(s, in.v[i]);
    s->segs = malloc((nraw + 1) * sizeof *s->segs);
    s->ll = malloc((nraw + 1) * sizeof *s->ll);
    if (!s->segs || !s->ll) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nraw; i++) {
        struct seg *g = &s->segs[s->nsegs];
        *g = (struct seg){raw[i].x1, raw[i].y1, raw[i].x2, raw[i].y2,
                          (uint32_t)remap[raw[i].street], (uint32_t)remap[raw[i].from],
                          (uint32_t)remap[raw[i].to]};
        if ((rc = add_cells(s, &cellcap, g, (uint32_t)s->nsegs))) {
            rc = mp_fail(err, rc, "invalid_city_pack", "streets.tsv: a segment is too long");
            goto out;
        }
        s->ll[s->nsegs][0] = raw[i].lon1;
        s->ll[s->nsegs][1] = raw[i].lat1;
        s->ll[s->nsegs][2] = raw[i].lon2;
        s->ll[s->nsegs][3] = raw[i].lat2;
        s->nsegs++;
    }
    qsort(s->cells, s->ncells, sizeof *s->cells, cmp_ref);
    if ((rc = build_dense(s)) || (rc = build_keys(s)) || (rc = build_street_index(s)))
        goto out;
    if ((rc = load_numbers(s, path, geo, err)))
        goto out;
    *out = s;
    s = NULL;
out:
    if (f)
        fclose(f);
    for (size_t i = 0; i < in.n; i++)
        free(in.v[i]);
    free(in.v);
    free(raw);
    free(remap);
    free(line);
    mp_streets_free(s);
    return rc;
}

/* Closest point of segment g to (x, y); returns the squared distance. */
static double seg_closest(const struct seg *g, double x, double y, double *px, double *py,
                          double *t_out)
{
    double dx = g->x2 - g->x1, dy = g->y2 - g->y1, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((x - g->x1) * dx + (y - g->y1) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *px = g->x1 + t * dx;
    *py = g->y1 + t * dy;
    *t_out = t;
    return (x - *px) * (x - *px) + (y - *py) * (y - *py);
}

bool mp_streets_snap(const struct mp_streets *s, double x, double y, double max_m,
                     const char *street, struct mp_snap *out)
{
    if (!s || s->nsegs == 0 || !(max_m > 0))
        return false;
    long want = street ? name_index(s, street) : -1;
    if (street && want < 0)
        return false;
    long r = (long)ceil(max_m / CELL);
    long cx0 = (long)floor(x / CELL), cy0 = (long)floor(y / CELL);
    double best = max_m;
    long best_seg = -1;
    double bx = 0, by = 0, bt = 0;
    for (long cx = cx0 - r; cx <= cx0 + r; cx++)
        for (long cy = cy0 - r; cy <= cy0 + r; cy++) {
            /* A segment within best of (x, y) has its closest point in a
             * cell it is listed in, and that cell is within best too: skip
             * cells farther than that (with a margin for rounding). The
             * result does not depend on the order segments are seen in. */
            double ex = fmax(fmax((double)cx * CELL - x, x - (double)(cx + 1) * CELL), 0);
            double ey = fmax(fmax((double)cy * CELL - y, y - (double)(cy + 1) * CELL), 0);
            if (ex * ex + ey * ey > (best + 1e-3) * (best + 1e-3))
                continue;
            struct cell_ref key = {cell_key(cx, cy), 0, 0};
            size_t lo = 0, end = 0;
            if (s->dense) {
                if (cx < s->gx0 || cx >= s->gx0 + s->gnx || cy < s->gy0 ||
                    cy >= s->gy0 + s->gny)
                    continue;
                long k = (cx - s->gx0) * s->gny + cy - s->gy0;
                lo = s->dense[2 * k];
                end = s->dense[2 * k + 1];
            } else {
                /* lower bound of key in the sorted cell list */
                size_t hi = s->ncells;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cmp_ref(&s->cells[mid], &key) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (end = lo; end < s->ncells && s->cells[end].key == key.key;)
                    end++;
            }
            for (size_t i = lo; i < end; i++) {
                if (want >= 0 && s->cells[i].street != (uint32_t)want)
                    continue;
                const struct seg *g = &s->segs[s->cells[i].seg];
                double px, py, t;
                double d2 = seg_closest(g, x, y, &px, &py, &t);
                /* Far enough beyond the best so far that the exact distance
                 * cannot tie it (the margin dwarfs rounding): skip hypot. */
                if (d2 > best * best * (1 + 1e-9))
                    continue;
                double d = hypot(x - px, y - py);
                /* Ties go to the lower segment index: deterministic. */
                if (d < best || (d == best && best_seg >= 0 && s->cells[i].seg < best_seg)) {
                    best = d;
                    best_seg = s->cells[i].seg;
                    bx = px;
                    by = py;
                    bt = t;
                }
            }
        }
    if (best_seg < 0)
        return false;
    const struct seg *g = &s->segs[best_seg];
    double len = hypot(g->x2 - g->x1, g->y2 - g->y1);
    out->street = s->names[g->street];
    uint32_t cross = bt < 0.5 ? g->from : g->to;
    out->cross = s->names[cross][0] ? s->names[cross] : NULL;
    out->x = bx;
    out->y = by;
    out->ux = len > 0 ? (g->x2 - g->x1) / len : 1;
    out->uy = len > 0 ? (g->y2 - g->y1) / len : 0;
    out->dist = best;
    return true;
}

const char *mp_streets_find(const struct mp_streets *s, const char *address)
{
    struct mp_address a;
    if (!s || !address || s->nkeys == 0 || !mp_address_parse(address, &a))
        return NULL;
    long i = street_of_key(s, a.street);
    return i >= 0 ? s->names[i] : NULL;
}

bool mp_streets_address(const struct mp_streets *s, const char *text, double *x, double *y,
                        char *label, size_t cap)
{
    struct mp_address a;
    struct mp_snap p;
    const char *street = mp_streets_find(s, text);
    if (!street || !mp_address_parse(text, &a) || a.number <= 0 ||
        !mp_streets_place(s, street, a.number, NULL, &p))
        return false;
    *x = p.x;
    *y = p.y;
    if (label && cap) {
        char num[24];
        size_t nl = (size_t)snprintf(num, sizeof num, "%ld", a.number), sl = strlen(street);
        const char *first = a.number_first ? num : street, *second = a.number_first ? street : num;
        size_t fl = a.number_first ? nl : sl, l2 = a.number_first ? sl : nl;
        label[0] = '\0'; /* a cut address would mislead */
        if (fl + 1 + l2 < cap) {
            memcpy(label, first, fl);
            label[fl] = ' ';
            memcpy(label + fl + 1, second, l2 + 1);
        }
    }
    return true;
}

double mp_streets_metres_per_number(const struct mp_streets *s)
{
    return s ? s->per_number_m : 0;
}

/* The candidate placements of one number, best kept: the one nearest
 * near when given, else the first found (file order). */
struct pick {
    const double *near;
    bool have;
    double x, y, d;
    uint32_t seg; /* a segment of the street there, UINT32_MAX when none */
    double ux, uy;
};

/* Returns whether the offer is now the pick. */
static bool pick_offer(struct pick *p, double x, double y, uint32_t seg, double ux, double uy)
{
    double d = p->near ? hypot(x - p->near[0], y - p->near[1]) : 0;
    if (p->have && !(d < p->d))
        return false;
    *p = (struct pick){p->near, true, x, y, d, seg, ux, uy};
    return true;
}

static bool place_ranges(const struct mp_streets *s, uint32_t st, long number, struct pick *pk)
{
    /* An exact address point wins over any range. */
    struct pick exact = {.near = pk->near}, ranged = {.near = pk->near};
    for (size_t i = 0; i < s->nranges; i++) {
        const struct range *r = &s->ranges[i];
        if (r->street != st)
            continue;
        long lo = r->from < r->to ? r->from : r->to, hi = r->from < r->to ? r->to : r->from;
        if (number < lo || number > hi)
            continue;
        double(*p)[2] = s->rpts + r->first;
        if (r->from == r->to) {
            pick_offer(&exact, p[0][0], p[0][1], UINT32_MAX, 1, 0);
            continue;
        }
        /* A range of one parity is one side of the street. */
        if ((r->from & 1) == (r->to & 1) && (number & 1) != (r->from & 1))
            continue;
        double want = polyline_length(p, r->n) * (double)(number - r->from) /
                      (double)(r->to - r->from);
        for (size_t k = 1; k < r->n; k++) {
            double len = hypot(p[k][0] - p[k - 1][0], p[k][1] - p[k - 1][1]);
            if (want > len && k + 1 < r->n) {
                want -= len;
                continue;
            }
            double f = len > 0 ? fmin(want / len, 1.0) : 0;
            double ux = len > 0 ? (p[k][0] - p[k - 1][0]) / len : 1,
                   uy = len > 0 ? (p[k][1] - p[k - 1][1]) / len : 0;
            pick_offer(&ranged, p[k - 1][0] + f * (p[k][0] - p[k - 1][0]),
                       p[k - 1][1] + f * (p[k][1] - p[k - 1][1]), UINT32_MAX, ux, uy);
            break;
        }
    }
    *pk = exact.have ? exact : ranged;
    return pk->have;
}

/* Where the street crosses the grid line of number, the line taken at the
 * street's own stretch: first at the street's median, then again at the
 * crossing found (anchor streets are not straight across a whole city). */
static bool place_grid(const struct mp_streets *s, uint32_t st, long number, struct pick *pk)
{
    const char *name = s->names[st];
    size_t pl = strcspn(name, " ");
    const struct axis *a = NULL;
    for (size_t i = 0; i < s->naxes && !a; i++)
        if (strlen(s->axes[i].prefix) == pl && strncmp(name, s->axes[i].prefix, pl) == 0)
            a = &s->axes[i];
    uint32_t first = s->street_off[st], end = s->street_off[st + 1];
    if (!a || name[pl] == '\0' || first == end)
        return false;
    const int c = coord_ix(a), o = 1 - c;
    /* The street's median position across the axis, to start with. */
    double other = s->ll[s->street_segs[first + (end - first) / 2]][o];
    const struct pick start = *pk;
    for (int pass = 0; pass < 2; pass++) {
        const double v = axis_value(s, a, (double)number, other);
        double beyond = INFINITY, at = other;
        uint32_t beyond_seg = 0;
        int beyond_end = 0;
        *pk = start;
        for (uint32_t k = first; k < end; k++) {
            uint32_t i = s->street_segs[k];
            const struct seg *g = &s->segs[i];
            double va = s->ll[i][c], vb = s->ll[i][2 + c];
            double len = hypot(g->x2 - g->x1, g->y2 - g->y1);
            double ux = len > 0 ? (g->x2 - g->x1) / len : 1,
                   uy = len > 0 ? (g->y2 - g->y1) / len : 0;
            if (va != vb && v >= fmin(va, vb) && v <= fmax(va, vb)) {
                double f = (v - va) / (vb - va);
                if (pick_offer(pk, g->x1 + f * (g->x2 - g->x1), g->y1 + f * (g->y2 - g->y1), i,
                               ux, uy))
                    at = s->ll[i][o] + f * (s->ll[i][2 + o] - s->ll[i][o]);
                continue;
            }
            for (int e = 0; e < 2; e++) {
                double gap = fabs((e ? vb : va) - v) * axis_metres(a, s->ll[i][1]);
                if (gap < beyond) {
                    beyond = gap;
                    beyond_seg = i;
                    beyond_end = e;
                }
            }
        }
        if (!pk->have && beyond <= PLACE_BEYOND_M) {
            const struct seg *g = &s->segs[beyond_seg];
            double len = hypot(g->x2 - g->x1, g->y2 - g->y1);
            pick_offer(pk, beyond_end ? g->x2 : g->x1, beyond_end ? g->y2 : g->y1, beyond_seg,
                       len > 0 ? (g->x2 - g->x1) / len : 1, len > 0 ? (g->y2 - g->y1) / len : 0);
            at = s->ll[beyond_seg][2 * beyond_end + o];
        }
        if (!pk->have)
            return false;
        other = at;
    }
    return true;
}

bool mp_streets_place(const struct mp_streets *s, const char *street, long number,
                      const double *near, struct mp_snap *out)
{
    if (!s || !street || number <= 0 || (!s->naxes && !s->nranges))
        return false;
    long st = name_index(s, street);
    if (st < 0)
        return false;
    struct pick pk = {.near = near};
    if (!place_ranges(s, (uint32_t)st, number, &pk)) {
        pk = (struct pick){.near = near};
        if (!place_grid(s, (uint32_t)st, number, &pk))
            return false;
    }
    memset(out, 0, sizeof *out);
    out->street = s->names[st];
    out->x = pk.x;
    out->y = pk.y;
    out->ux = pk.ux;
    out->uy = pk.uy;
    out->dist = pk.d;
    struct mp_snap on;
    if (pk.seg == UINT32_MAX && mp_streets_snap(s, pk.x, pk.y, 60, s->names[st], &on)) {
        out->cross = on.cross; /* an address point: its cross street from the layer */
        out->ux = on.ux;
        out->uy = on.uy;
    } else if (pk.seg != UINT32_MAX) {
        const struct seg *g = &s->segs[pk.seg];
        double t = hypot(pk.x - g->x1, pk.y - g->y1) /
                   fmax(hypot(g->x2 - g->x1, g->y2 - g->y1), 1e-9);
        uint32_t cross = t < 0.5 ? g->from : g->to;
        out->cross = s->names[cross][0] ? s->names[cross] : NULL;
    }
    return true;
}

void mp_streets_location(const struct mp_snap *snap, char *out, size_t cap)
{
    /* Built by hand, not by snprintf: re-clustering asks this for every
     * new cluster. */
    static const char near[] = " near ";
    if (cap == 0)
        return;
    bool with_cross = snap->cross && strcmp(snap->cross, snap->street) != 0;
    size_t ls = strlen(snap->street), lc = with_cross ? strlen(snap->cross) : 0;
    if (with_cross && ls + sizeof near - 1 + lc < cap) {
        memcpy(out, snap->street, ls);
        memcpy(out + ls, near, sizeof near - 1);
        memcpy(out + ls + sizeof near - 1, snap->cross, lc);
        out[ls + sizeof near - 1 + lc] = '\0';
        return;
    }
    /* The street alone, or cut when even that does not fit. */
    ls = ls < cap - 1 ? ls : cap - 1;
    memcpy(out, snap->street, ls);
    out[ls] = '\0';
}

/* ---- intersections ---- */

/* Up to MAX_ALTS name indices for a street as people write it: the layer's
 * own spelling through mp_streets_find, or, when the direction or the type
 * is left out ("Clark St", "Division"), the spellings with N, S, E or W in
 * front and a common type after. */
#define MAX_ALTS 8

static size_t street_alts(const struct mp_streets *s, const char *text, long *alts)
{
    const char *hit = mp_streets_find(s, text);
    if (hit) {
        alts[0] = name_index(s, hit);
        return 1;
    }
    static const char *const dirs[] = {"", "N ", "S ", "E ", "W "};
    static const char *const types[] = {"", " ST", " AVE", " BLVD", " RD", " DR",
                                        " PL", " CT", " PKWY", " HWY"};
    char buf[200];
    size_t n = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++)
        for (size_t t = 0; t < sizeof types / sizeof *types && n < MAX_ALTS; t++) {
            if (snprintf(buf, sizeof buf, "%s%s%s", dirs[d], text, types[t]) >= (int)sizeof buf)
                return 0;
            if (!(hit = mp_streets_find(s, buf)))
                continue;
            long k = name_index(s, hit);
            bool seen = false;
            for (size_t i = 0; i < n; i++)
                seen = seen || alts[i] == k;
            if (!seen)
                alts[n++] = k;
        }
    return n;
}

static bool in_alts(uint32_t v, const long *alts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((long)v == alts[i])
            return true;
    return false;
}

/* Splits "A & B" (also "and", "at", "near", "/", "@", "x") into a and b,
 * trimmed. False when no separator stands between two non-empty parts. */
static bool split_cross(const char *text, char *a, char *b, size_t cap)
{
    static const char *const seps[] = {" & ", "&", " AND ", " AT ", " NEAR ", "/", "@", " X "};
    char up[200];
    size_t n = strlen(text);
    if (n >= sizeof up)
        return false;
    for (size_t i = 0; i <= n; i++)
        up[i] = (char)toupper((unsigned char)text[i]);
    for (size_t k = 0; k < sizeof seps / sizeof *seps; k++) {
        const char *at = strstr(up, seps[k]);
        if (!at)
            continue;
        size_t la = (size_t)(at - up), lb_off = la + strlen(seps[k]);
        while (la && isspace((unsigned char)text[la - 1]))
            la--;
        while (text[lb_off] && isspace((unsigned char)text[lb_off]))
            lb_off++;
        size_t lb = n - lb_off;
        while (lb && isspace((unsigned char)text[lb_off + lb - 1]))
            lb--;
        size_t start = 0;
        while (start < la && isspace((unsigned char)text[start]))
            start++;
        if (la <= start || lb == 0 || la - start >= cap || lb >= cap)
            return false;
        memcpy(a, text + start, la - start);
        a[la - start] = '\0';
        memcpy(b, text + lb_off, lb);
        b[lb] = '\0';
        return true;
    }
    return false;
}

bool mp_streets_intersection(const struct mp_streets *s, const char *text, double *x,
                             double *y, char *label, size_t cap)
{
    char a[160], b[160];
    long alts_a[MAX_ALTS], alts_b[MAX_ALTS];
    if (!s || !text || s->nsegs == 0 || !split_cross(text, a, b, sizeof a))
        return false;
    size_t na = street_alts(s, a, alts_a), nb = street_alts(s, b, alts_b);
    if (!na || !nb)
        return false;
    /* Every end of a segment of one street where the other crosses it. A
     * street crossing another more than once (a bend, a loop) is ambiguous
     * unless its meeting points lie together: the ends within MEET_M of the
     * first one found make the corner, any other is refused. */
    const double MEET_M = 60.0;
    double sx = 0, sy = 0, fx = 0, fy = 0;
    size_t hits = 0;
    uint32_t sa = 0, sb = 0;
    for (size_t i = 0; i < s->nsegs; i++) {
        const struct seg *g = &s->segs[i];
        bool on_a = in_alts(g->street, alts_a, na), on_b = !on_a && in_alts(g->street, alts_b, nb);
        if (!on_a && !on_b)
            continue;
        const long *other = on_a ? alts_b : alts_a;
        size_t nother = on_a ? nb : na;
        for (int end = 0; end < 2; end++) {
            uint32_t cross = end ? g->to : g->from;
            if (!in_alts(cross, other, nother))
                continue;
            double px = end ? g->x2 : g->x1, py = end ? g->y2 : g->y1;
            if (hits == 0) {
                fx = px;
                fy = py;
                sa = on_a ? g->street : cross;
                sb = on_a ? cross : g->street;
            } else if (mp_geo_dist(fx, fy, px, py) > MEET_M) {
                return false; /* two places: the caller must say which */
            }
            sx += px;
            sy += py;
            hits++;
        }
    }
    if (!hits)
        return false;
    *x = sx / (double)hits;
    *y = sy / (double)hits;
    if (label && cap) {
        /* "A & B", or "" when it does not fit: a cut name would mislead. */
        const char *first = s->names[sa], *second = s->names[sb];
        size_t l1 = strlen(first), l2 = strlen(second);
        label[0] = '\0';
        if (l1 + 3 + l2 < cap) {
            memcpy(label, first, l1);
            memcpy(label + l1, " & ", 3);
            memcpy(label + l1 + 3, second, l2 + 1);
        }
    }
    return true;
}

/* ---- the layer as lines, for the map without tiles ---- */

/* Segments a and b (= a + 1) were one row of streets.tsv: the same street
 * between the same cross streets, b starting where a ends (the load keeps a
 * row's segments in order and shares their end points exactly). */
static bool same_row(const struct mp_streets *s, size_t a, size_t b)
{
    const struct seg *x = &s->segs[a], *y = &s->segs[b];
    return x->street == y->street && x->from == y->from && x->to == y->to && x->x2 == y->x1 &&
           x->y2 == y->y1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The segments listed in the grid cells of the metric box, those whose
 * bounding box meets it, sorted and unique, into *out (malloc'ed). */
static enum mp_status segs_in_box(const struct mp_streets *s, double x0, double y0, double x1,
                                  double y1, uint32_t **out, size_t *n)
{
    long cx0 = (long)floor(x0 / CELL), cx1 = (long)floor(x1 / CELL);
    long cy0 = (long)floor(y0 / CELL), cy1 = (long)floor(y1 / CELL);
    size_t cap = 0, len = 0;
    uint32_t *v = NULL;
    *out = NULL;
    *n = 0;
    if ((cx1 - cx0 + 1) > 4096 || (cy1 - cy0 + 1) > 4096)
        return MP_ETOOBIG; /* callers bound the box long before this */
    for (long cx = cx0; cx <= cx1; cx++)
        for (long cy = cy0; cy <= cy1; cy++) {
            size_t lo = 0, end = 0;
            struct cell_ref key = {cell_key(cx, cy), 0, 0};
            if (s->dense) {
                if (cx < s->gx0 || cx >= s->gx0 + s->gnx || cy < s->gy0 || cy >= s->gy0 + s->gny)
                    continue;
                long k = (cx - s->gx0) * s->gny + cy - s->gy0;
                lo = s->dense[2 * k];
                end = s->dense[2 * k + 1];
            } else {
                size_t hi = s->ncells;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cmp_ref(&s->cells[mid], &key) < 0)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (end = lo; end < s->ncells && s->cells[end].key == key.key;)
                    end++;
            }
            for (size_t i = lo; i < end; i++) {
                const struct seg *g = &s->segs[s->cells[i].seg];
                if (fmax(g->x1, g->x2) < x0 || fmin(g->x1, g->x2) > x1 ||
                    fmax(g->y1, g->y2) < y0 || fmin(g->y1, g->y2) > y1)
                    continue;
                if (len == cap) {
                    size_t nc = cap ? cap * 2 : 1024;
                    uint32_t *nv = realloc(v, nc * sizeof *nv);
                    if (!nv) {
                        free(v);
                        return MP_ENOMEM;
                    }
                    v = nv;
                    cap = nc;
                }
                v[len++] = s->cells[i].seg;
            }
        }
    if (len)
        qsort(v, len, sizeof *v, cmp_u32);
    size_t u = 0;
    for (size_t i = 0; i < len; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    *out = v;
    *n = u;
    return MP_OK;
}

enum mp_status mp_streets_lines(const struct mp_streets *s, struct mp_geo *geo, double lon0,
                                double lat0, double lon1, double lat1, size_t max,
                                mp_streets_line_fn fn, void *arg)
{
    enum mp_status rc = MP_OK;
    uint32_t *segs = NULL;
    double *pts = NULL;
    size_t nsegs = 0, ptcap = 0, lines = 0;
    if (!s || s->nsegs == 0)
        return MP_OK;
    /* The metric box around the four corners (the CRS turns the box a little). */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    const double corners[4][2] = {{lon0, lat0}, {lon1, lat0}, {lon0, lat1}, {lon1, lat1}};
    for (int c = 0; c < 4; c++) {
        double x, y;
        if ((rc = mp_geo_forward(geo, corners[c][0], corners[c][1], &x, &y)))
            return rc;
        x0 = fmin(x0, x);
        y0 = fmin(y0, y);
        x1 = fmax(x1, x);
        y1 = fmax(y1, y);
    }
    if ((rc = segs_in_box(s, x0, y0, x1, y1, &segs, &nsegs)))
        return rc;
    size_t last_row = SIZE_MAX;
    for (size_t k = 0; k < nsegs; k++) {
        size_t first = segs[k];
        while (first > 0 && same_row(s, first - 1, first))
            first--;
        if (first == last_row)
            continue; /* an earlier segment of the same row brought it */
        last_row = first;
        if (lines == max) {
            rc = MP_ETOOBIG;
            goto out;
        }
        size_t end = first + 1;
        while (end < s->nsegs && same_row(s, end - 1, end))
            end++;
        size_t npts = end - first + 1;
        if (npts * 2 > ptcap) {
            size_t nc = npts * 2 * 2;
            double *np = realloc(pts, nc * sizeof *np);
            if (!np) {
                rc = MP_ENOMEM;
                goto out;
            }
            pts = np;
            ptcap = nc;
        }
        /* The pack's own WGS84 points (kept by the load), not converted back. */
        for (size_t i = 0; i < npts; i++) {
            const double *ll = s->ll[i < npts - 1 ? first + i : end - 1];
            pts[2 * i] = i < npts - 1 ? ll[0] : ll[2];
            pts[2 * i + 1] = i < npts - 1 ? ll[1] : ll[3];
        }
        lines++;
        if (fn(arg, first, s->names[s->segs[first].street], pts, npts))
            break;
    }
out:
    free(segs);
    free(pts);
    return rc;
}
