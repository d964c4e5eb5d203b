/* recluster_cells.c - the replay's index of open clusters by category and
 * grid cell of CELL metres (recluster_impl.h): which clusters lie near a
 * report. Each cell holds a doubly linked list of its clusters (next in
 * struct hot, which the candidate walk reads; prev in struct clu). Cells
 * inside the city's box have their list head in a dense table, so the walk
 * indexes instead of searching; cells outside (a report far off, a pack
 * without a usable box) live in a small hash table that drops a cell when
 * its last cluster leaves. Owns struct cells' tables; the clusters are the
 * replay's.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "meldpunt/geo.h"
#include "recluster_impl.h"

/* Entries of the dense grid at most (4 bytes each). */
#define DENSE_MAX (16L << 20)

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static uint64_t cell_key(uint32_t cat, long cx, long cy)
{
    return ((uint64_t)cat << 48) ^ ((uint64_t)(uint32_t)(int32_t)cx << 24) ^
           (uint64_t)(uint32_t)(int32_t)cy;
}

static struct slot *find_slot(struct cells *g, uint64_t key, bool create)
{
    if (create && (g->usedslots + 1) * 2 > g->nslots) {
        size_t n = g->nslots ? g->nslots * 2 : 1024;
        struct slot *s = calloc(n, sizeof *s);
        if (!s)
            return NULL;
        for (size_t i = 0; i < g->nslots; i++) {
            if (!g->slots[i].used)
                continue;
            size_t j = mix(g->slots[i].key) & (n - 1);
            while (s[j].used)
                j = (j + 1) & (n - 1);
            s[j] = g->slots[i];
        }
        free(g->slots);
        g->slots = s;
        g->nslots = n;
    }
    if (!g->nslots)
        return NULL;
    size_t j = mix(key) & (g->nslots - 1);
    while (g->slots[j].used) {
        if (g->slots[j].key == key)
            return &g->slots[j];
        j = (j + 1) & (g->nslots - 1);
    }
    if (!create)
        return NULL;
    g->slots[j] = (struct slot){key, 0, 1};
    g->usedslots++;
    return &g->slots[j];
}

/* Remove slot j, moving later entries of its probe run back into the gap
 * (no tombstones). */
static void slot_delete(struct cells *g, size_t j)
{
    const size_t mask = g->nslots - 1;
    size_t i = j;
    g->usedslots--;
    for (;;) {
        g->slots[i].used = 0;
        size_t k = i;
        for (;;) {
            k = (k + 1) & mask;
            if (!g->slots[k].used)
                return;
            size_t home = mix(g->slots[k].key) & mask;
            /* It stays when its home lies cyclically in (i, k]. */
            bool stays = i <= k ? (i < home && home <= k) : (i < home || home <= k);
            if (!stays)
                break;
        }
        g->slots[i] = g->slots[k];
        i = k;
    }
}

static bool in_dense(const struct cells *g, long cx, long cy)
{
    return g->dense && cx >= g->gx0 && cx < g->gx0 + g->gnx && cy >= g->gy0 && cy < g->gy0 + g->gny;
}

static int32_t *dense_at(const struct cells *g, uint32_t cat, long cx, long cy)
{
    return &g->dense[((size_t)cat * (size_t)g->gnx + (size_t)(cx - g->gx0)) * (size_t)g->gny +
                     (size_t)(cy - g->gy0)];
}

/* The list head of a cell (NULL when absent and not create, or no memory). */
static int32_t *head_of(struct cells *g, uint32_t cat, long cx, long cy, bool create)
{
    if (in_dense(g, cx, cy))
        return dense_at(g, cat, cx, cy);
    struct slot *s = find_slot(g, cell_key(cat, cx, cy), create);
    return s ? &s->head : NULL;
}

const int32_t *mp_recluster_cells_head(struct work *w, uint32_t cat, long cx, long cy)
{
    return head_of(&w->cells, cat, cx, cy, false);
}

bool mp_recluster_cells_link(struct work *w, long i)
{
    struct clu *c = &w->clus[i];
    long cx = cell_x(c->st.x), cy = cell_x(c->st.y);
    int32_t *h = head_of(&w->cells, c->cat, cx, cy, true);
    if (!h)
        return false;
    c->cx = cx;
    c->cy = cy;
    c->prev = -1;
    w->hot[i].next = (long)*h - 1;
    if (*h)
        w->clus[*h - 1].prev = i;
    *h = (int32_t)(i + 1);
    return true;
}

void mp_recluster_cells_unlink(struct work *w, long i)
{
    struct cells *g = &w->cells;
    struct clu *c = &w->clus[i];
    long next = w->hot[i].next;
    if (c->prev >= 0) {
        w->hot[c->prev].next = next;
    } else if (in_dense(g, c->cx, c->cy)) {
        *dense_at(g, c->cat, c->cx, c->cy) = (int32_t)(next + 1);
    } else {
        struct slot *s = find_slot(g, cell_key(c->cat, c->cx, c->cy), false);
        if (s && (s->head = (int32_t)(next + 1)) == 0)
            slot_delete(g, (size_t)(s - g->slots));
    }
    if (next >= 0)
        w->clus[next].prev = c->prev;
}

/* The dense part of the grid: the city's box (its corners and edge
 * midpoints projected) with a margin of cells. Untouched parts of the
 * table stay unmapped (calloc). Without it the hash table does all. */
void mp_recluster_cells_init(struct work *w)
{
    struct cells *g = &w->cells;
    const struct mp_city *city = w->ctx->city;
    const struct mp_bbox *b = &city->bbox;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double lon = b->min_lon + (b->max_lon - b->min_lon) * i / 2;
            double lat = b->min_lat + (b->max_lat - b->min_lat) * j / 2;
            double x, y;
            if (mp_geo_forward(w->ctx->geo, lon, lat, &x, &y) != MP_OK || !isfinite(x) ||
                !isfinite(y))
                return;
            minx = fmin(minx, x);
            miny = fmin(miny, y);
            maxx = fmax(maxx, x);
            maxy = fmax(maxy, y);
        }
    if (!(maxx - minx < 1e6 && maxy - miny < 1e6)) /* not a city: leave it to the hash */
        return;
    g->gx0 = cell_x(minx) - 4;
    g->gy0 = cell_x(miny) - 4;
    g->gnx = cell_x(maxx) - g->gx0 + 5;
    g->gny = cell_x(maxy) - g->gy0 + 5;
    size_t n = (size_t)g->gnx * (size_t)g->gny * city->ncategories;
    if (n <= DENSE_MAX)
        g->dense = calloc(n ? n : 1, sizeof *g->dense);
}

void mp_recluster_cells_free(struct cells *c)
{
    free(c->slots);
    free(c->dense);
    c->slots = NULL;
    c->dense = NULL;
    c->nslots = c->usedslots = 0;
}
