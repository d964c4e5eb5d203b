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

#include "streets_impl.h"

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

/* The entries of cell (cx, cy): cells[*lo .. *end), empty for a cell
 * without segments (also outside the dense table, which covers them all). */
static void cell_entries(const struct mp_streets *s, long cx, long cy, size_t *lo, size_t *end)
{
    *lo = *end = 0;
    if (s->dense) {
        if (cx < s->gx0 || cx >= s->gx0 + s->gnx || cy < s->gy0 || cy >= s->gy0 + s->gny)
            return;
        long k = (cx - s->gx0) * s->gny + cy - s->gy0;
        *lo = s->dense[2 * k];
        *end = s->dense[2 * k + 1];
        return;
    }
    /* The lower bound of the cell's key in the sorted cell list. */
    struct cell_ref key = {cell_key(cx, cy), 0, 0};
    size_t l = 0, hi = s->ncells;
    while (l < hi) {
        size_t mid = l + (hi - l) / 2;
        if (cmp_ref(&s->cells[mid], &key) < 0)
            l = mid + 1;
        else
            hi = mid;
    }
    size_t e = l;
    while (e < s->ncells && s->cells[e].key == key.key)
        e++;
    *lo = l;
    *end = e;
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

long mp_streets_name_ix(const struct mp_streets *s, const char *name)
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
        remap[i] = mp_streets_name_ix(s, in.v[i]);
    s->segs = malloc((nraw + 1) * sizeof *s->segs);
    s->ll = malloc((nraw + 1) * sizeof *s->ll);
    if (!s->segs || !s->ll) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nraw; i++) {
        struct seg *g = &s->segs[s->nsegs];
        *g = (struct seg){raw[i].x1,
                          raw[i].y1,
                          raw[i].x2,
                          raw[i].y2,
                          (uint32_t)remap[raw[i].street],
                          (uint32_t)remap[raw[i].from],
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
    if ((rc = mp_streets_load_numbers(s, path, geo, err)))
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
    long want = street ? mp_streets_name_ix(s, street) : -1;
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
            size_t lo, end;
            cell_entries(s, cx, cy, &lo, &end);
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
    long i = mp_streets_key_ix(s, a.street);
    return i >= 0 ? s->names[i] : NULL;
}

/* A typed prefix names a street in one of two ways: from its key's start,
 * or from the word after the direction (people leave the direction out). */
static bool key_starts(const char *key, const char *prefix, size_t plen, bool skip_dir)
{
    if (skip_dir) {
        if (!strchr("NSEW", key[0]) || key[0] == '\0' || key[1] != ' ')
            return false;
        key += 2;
    }
    return strncmp(key, prefix, plen) == 0;
}

size_t mp_streets_suggest(const struct mp_streets *s, const char *key_prefix, const char **out,
                          size_t max)
{
    size_t n = 0, plen = key_prefix ? strlen(key_prefix) : 0;
    if (!s || plen == 0)
        return 0;
    /* A linear pass: a city has a few thousand street names, and a
     * suggestion is asked for once per pause in typing. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < s->nkeys && n < max; i++) {
            if (!key_starts(s->keys[i].key, key_prefix, plen, pass == 1))
                continue;
            const char *name = s->names[s->keys[i].name];
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = out[k] == name;
            if (!seen)
                out[n++] = name;
        }
    return n;
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
        alts[0] = mp_streets_name_ix(s, hit);
        return 1;
    }
    static const char *const dirs[] = {"", "N ", "S ", "E ", "W "};
    static const char *const types[] = {"",    " ST", " AVE", " BLVD", " RD",
                                        " DR", " PL", " CT",  " PKWY", " HWY"};
    char buf[200];
    size_t n = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++)
        for (size_t t = 0; t < sizeof types / sizeof *types && n < MAX_ALTS; t++) {
            if (snprintf(buf, sizeof buf, "%s%s%s", dirs[d], text, types[t]) >= (int)sizeof buf)
                return 0;
            if (!(hit = mp_streets_find(s, buf)))
                continue;
            long k = mp_streets_name_ix(s, hit);
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

bool mp_streets_intersection(const struct mp_streets *s, const char *text, double *x, double *y,
                             char *label, size_t cap)
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

size_t mp_streets_suggest_cross(const struct mp_streets *s, const char *street,
                                const char *key_prefix, const char **out, size_t max)
{
    long alts[MAX_ALTS];
    char key[MP_ADDRESS_KEY_MAX];
    size_t na, n = 0, plen = key_prefix ? strlen(key_prefix) : 0;
    if (!s || !street || plen == 0 || s->nsegs == 0 || !(na = street_alts(s, street, alts)))
        return 0;
    /* The cross streets the layer names at the ends of the street's own
     * segments: a walk along one street, not over the whole layer. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < na; k++)
            for (uint32_t j = s->street_off[alts[k]]; j < s->street_off[alts[k] + 1]; j++) {
                const struct seg *g = &s->segs[s->street_segs[j]];
                for (int end = 0; end < 2 && n < max; end++) {
                    uint32_t c = end ? g->to : g->from;
                    const char *name = s->names[c];
                    if (!name[0] || in_alts(c, alts, na) ||
                        !mp_address_key(name, key, sizeof key) ||
                        !key_starts(key, key_prefix, plen, pass == 1))
                        continue;
                    bool seen = false;
                    for (size_t q = 0; q < n && !seen; q++)
                        seen = out[q] == name;
                    if (!seen)
                        out[n++] = name;
                }
            }
    return n;
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
            size_t lo, end;
            cell_entries(s, cx, cy, &lo, &end);
            for (size_t i = lo; i < end; i++) {
                const struct seg *g = &s->segs[s->cells[i].seg];
                if (fmax(g->x1, g->x2) < x0 || fmin(g->x1, g->x2) > x1 || fmax(g->y1, g->y2) < y0 ||
                    fmin(g->y1, g->y2) > y1)
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
