/* streets_numbers.c - house numbers on the street layer: the pack's address
 * grid (Chicago's 800-per-mile axes), address points and ranges, and placing
 * "number on street" at a point (see streets.h). */
#include "meldpunt/streets.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meldpunt/address.h"
#include "meldpunt/geo.h"
#include "streets_impl.h"

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
    if (!root || !json_is_array(axes) || json_array_size(axes) == 0 || json_array_size(axes) > 16) {
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
    json_array_foreach(axes, i, ax)
    {
        struct axis *a = &s->axes[s->naxes++];
        const char *prefix = json_string_value(json_object_get(ax, "prefix"));
        const char *coord = json_string_value(json_object_get(ax, "coordinate"));
        json_t *streets = json_object_get(ax, "streets");
        if (!prefix || !prefix[0] || strlen(prefix) >= sizeof a->prefix || !coord ||
            (strcmp(coord, "lat") != 0 && strcmp(coord, "lon") != 0) || !json_is_array(streets) ||
            json_array_size(streets) < 2 || json_array_size(streets) > 1000) {
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
        json_array_foreach(streets, j, pt)
        {
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

long mp_streets_key_ix(const struct mp_streets *s, const char *key)
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
            st = mp_streets_key_ix(s, key);
        if (nf == 4) {
            from = strtol(fields[1], &end, 10);
            from = *end || end == fields[1] ? 0 : from;
            to = strtol(fields[2], &end, 10);
            to = *end || end == fields[2] ? 0 : to;
        }
        if (st < 0 || from <= 0 || to <= 0 || from > 9999999 || to > 9999999) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "addresses.tsv line %ld: %s", lineno,
                         nf < 4   ? "4 fields"
                         : st < 0 ? "the street is not in streets.tsv"
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
            rc =
                mp_fail(err, MP_EINVAL, "invalid_city_pack",
                        "addresses.tsv line %ld: a range needs two points, an address one", lineno);
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
enum mp_status mp_streets_load_numbers(struct mp_streets *s, const char *path, struct mp_geo *geo,
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
        double m =
            fabs(q->median - p->median) / (q->number - p->number) * axis_metres(&s->axes[i], lat);
        s->per_number_m = fmax(s->per_number_m, m);
    }
    for (size_t i = 0; i < s->nranges; i++) {
        const struct range *r = &s->ranges[i];
        if (r->from != r->to)
            s->per_number_m = fmax(s->per_number_m, polyline_length(s->rpts + r->first, r->n) /
                                                        (double)labs(r->to - r->from));
    }
    s->per_number_m = fmin(s->per_number_m, PER_NUMBER_MAX_M);
    return MP_OK;
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

double mp_streets_metres_per_number(const struct mp_streets *s) { return s ? s->per_number_m : 0; }

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
        double want =
            polyline_length(p, r->n) * (double)(number - r->from) / (double)(r->to - r->from);
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
                if (pick_offer(pk, g->x1 + f * (g->x2 - g->x1), g->y1 + f * (g->y2 - g->y1), i, ux,
                               uy))
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
    long st = mp_streets_name_ix(s, street);
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
        double t =
            hypot(pk.x - g->x1, pk.y - g->y1) / fmax(hypot(g->x2 - g->x1, g->y2 - g->y1), 1e-9);
        uint32_t cross = t < 0.5 ? g->from : g->to;
        out->cross = s->names[cross][0] ? s->names[cross] : NULL;
    }
    return true;
}
