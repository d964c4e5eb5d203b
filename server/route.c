/* route.c - nearest neighbour + 2-opt + Or-opt on an open path.
 *
 * The path is kept as an array t[0..n+1]: t[0] is the start node S (index n)
 * and t[n+1] a virtual end node E (index n + 1) whose distance to everything
 * is 0, so that an open path is a closed problem with two pinned ends and
 * every move is a reversal of some t[i..j] with 1 <= i <= j <= n. Without a
 * start point S is virtual too (distance 0): the path may begin anywhere.
 */
#include "meldpunt/route.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Candidate neighbours per stop: 8-10 is where 2-opt with neighbour lists
 * stops gaining on random and grid-like city data. */
#define NEIGHBOURS 10
/* Improvements smaller than this (metres) are noise, and skipping them
 * guarantees termination with floating point. */
#define EPS 1e-7

struct rt {
    size_t n;
    bool has_start;
    double *p;      /* 2 (n + 1) coordinates: the stops, then S */
    size_t zero_from; /* nodes >= this are virtual: 0 m to everything */
    size_t *t;      /* n + 2 positions */
    size_t *pos;    /* node -> position, n + 2 nodes */
    size_t *nb;     /* (n + 1) rows of k neighbours: stops and S */
    size_t k;
    size_t *queue;  /* ring buffer of active nodes for the don't-look bits */
    unsigned char *queued;
    size_t qhead, qlen;
    uint64_t rng;
};

/* Spelled out: sqrt(dist2()) measured 2.4% more instructions per plan
 * (callgrind, 300 to 9,000 random stops). */
static inline double dist(const struct rt *r, size_t a, size_t b)
{
    if (a >= r->zero_from || b >= r->zero_from)
        return 0;
    double dx = r->p[2 * a] - r->p[2 * b], dy = r->p[2 * a + 1] - r->p[2 * b + 1];
    return sqrt(dx * dx + dy * dy);
}

/* Squared distance for comparisons only (no sqrt in the O(n^2) loops). */
static inline double dist2(const struct rt *r, size_t a, size_t b)
{
    if (a >= r->zero_from || b >= r->zero_from)
        return 0;
    double dx = r->p[2 * a] - r->p[2 * b], dy = r->p[2 * a + 1] - r->p[2 * b + 1];
    return dx * dx + dy * dy;
}

static void reverse(struct rt *r, size_t i, size_t j)
{
    while (i < j) {
        size_t a = r->t[i], b = r->t[j];
        r->t[i] = b;
        r->pos[b] = i;
        r->t[j] = a;
        r->pos[a] = j;
        i++;
        j--;
    }
}


static void push(struct rt *r, size_t node)
{
    if (node > r->n || r->queued[node])
        return;
    r->queued[node] = 1;
    r->queue[(r->qhead + r->qlen) % (r->n + 1)] = node;
    r->qlen++;
}

/* After a move: queue the ends of the edges it changed, and say it moved. */
static bool moved(struct rt *r, const size_t *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        push(r, nodes[i]);
    return true;
}

static size_t pop(struct rt *r)
{
    size_t node = r->queue[r->qhead];
    r->qhead = (r->qhead + 1) % (r->n + 1);
    r->qlen--;
    r->queued[node] = 0;
    return node;
}

/* One improving 2-opt move around node a, if any; returns whether it moved. */
static bool improve_at(struct rt *r, size_t a)
{
    const size_t S = r->n, E = r->n + 1;
    size_t i = r->pos[a];
    const size_t *row = r->nb + a * r->k;
    /* Successor side: replace (a, succ a) and (c, succ c) by (a, c), (succ a, succ c). */
    if (i <= r->n) {
        size_t b = r->t[i + 1];
        double dab = dist(r, a, b);
        for (size_t q = 0; q < r->k; q++) {
            size_t c = row[q];
            double dac = dist(r, a, c);
            if (dac >= dab)
                break;
            size_t j = r->pos[c];
            if (j == i + 1 || j + 1 == i || j > r->n)
                continue;
            size_t d = r->t[j + 1];
            double delta = dac + dist(r, b, d) - dab - dist(r, c, d);
            if (delta < -EPS) {
                if (j > i)
                    reverse(r, i + 1, j);
                else
                    reverse(r, j + 1, i);
                return moved(r, (const size_t[]){a, b, c, d}, 4);
            }
        }
    }
    /* Predecessor side: replace (pred a, a) and (pred c, c) by (a, c), (pred a, pred c). */
    if (i >= 1 && a != E) {
        size_t b = r->t[i - 1];
        double dab = dist(r, a, b);
        for (size_t q = 0; q < r->k; q++) {
            size_t c = row[q];
            double dac = dist(r, a, c);
            if (dac >= dab)
                break;
            if (c == S)
                continue;
            size_t j = r->pos[c];
            if (j == i + 1 || j + 1 == i || j == 0)
                continue;
            size_t d = r->t[j - 1];
            double delta = dac + dist(r, b, d) - dab - dist(r, c, d);
            if (delta < -EPS) {
                if (j > i)
                    reverse(r, i, j - 1);
                else
                    reverse(r, j, i - 1);
                return moved(r, (const size_t[]){a, b, c, d}, 4);
            }
        }
    }
    return false;
}


/* Move t[i..j] into the gap after position g (t[g], t[g+1]), reversed or
 * not, with reversals only: rev(rev(A) rev(B)) = B A. */
static void move_segment(struct rt *r, size_t i, size_t j, size_t g, bool reversed)
{
    if (g > j) {
        if (!reversed)
            reverse(r, i, j);
        reverse(r, j + 1, g);
        reverse(r, i, g);
    } else { /* g < i - 1 */
        reverse(r, g + 1, i - 1);
        if (!reversed)
            reverse(r, i, j);
        reverse(r, g + 1, j);
    }
}

/* Or-opt: move a run of 1-3 stops elsewhere (either way round) when that
 * shortens the path; insertion points come from the neighbour lists of the
 * run's two ends, and don't-look bits keep re-examination local. Returns
 * whether anything moved. */
static bool or_opt_at(struct rt *r, size_t first)
{
    const size_t n = r->n, S = r->n;
    size_t i = r->pos[first];
    if (i < 1 || i > n)
        return false;
    for (size_t len = 1; len <= 3 && i + len - 1 <= n; len++) {
        size_t j = i + len - 1;
        size_t p = r->t[i], q = r->t[j], prev = r->t[i - 1], next = r->t[j + 1];
        double gain = dist(r, prev, p) + dist(r, q, next) - dist(r, prev, next);
        if (gain <= EPS)
            continue;
        double best = EPS;
        size_t best_g = 0;
        bool best_rev = false, found = false;
        for (int end = 0; end < 2; end++) {
            const size_t *row = r->nb + (end ? q : p) * r->k;
            for (size_t m = 0; m < r->k; m++) {
                size_t c = row[m], pc = r->pos[c];
                if (pc >= i && pc <= j)
                    continue;
                /* Gaps on both sides of c: (c, succ c) and (pred c, c). */
                for (int side = 0; side < 2; side++) {
                    if (side == 1 && c == S)
                        continue;
                    size_t g = side == 0 ? pc : pc - 1;
                    if (g + 1 >= i && g <= j) /* a gap touching the run */
                        continue;
                    size_t u = r->t[g], v = r->t[g + 1];
                    double base = dist(r, u, v);
                    double fwd = gain - (dist(r, u, p) + dist(r, q, v) - base);
                    double rev = gain - (dist(r, u, q) + dist(r, p, v) - base);
                    if (fwd > best) {
                        best = fwd;
                        best_g = g;
                        best_rev = false;
                        found = true;
                    }
                    if (rev > best) {
                        best = rev;
                        best_g = g;
                        best_rev = true;
                        found = true;
                    }
                }
            }
        }
        if (found) {
            size_t u = r->t[best_g], v = r->t[best_g + 1];
            move_segment(r, i, j, best_g, best_rev);
            return moved(r, (const size_t[]){p, q, prev, next, u, v}, 6);
        }
    }
    return false;
}

/* Work off the queue of active nodes: a node whose neighbourhood changed is
 * examined again, one that yields no move is left alone (don't-look bit). */
static void search(struct rt *r)
{
    while (r->qlen) {
        size_t a = pop(r);
        if (!improve_at(r, a))
            (void)or_opt_at(r, a);
    }
}

static void seed_all(struct rt *r)
{
    r->qhead = r->qlen = 0;
    memset(r->queued, 0, r->n + 1);
    for (size_t p = 0; p <= r->n; p++)
        push(r, r->t[p]);
}


double mp_route_length(const double *xy, size_t n, const double *start, const size_t *order)
{
    double len = 0;
    for (size_t p = 0; p < n; p++) {
        double ax, ay;
        if (p == 0) {
            if (!start)
                continue;
            ax = start[0];
            ay = start[1];
        } else {
            ax = xy[2 * order[p - 1]];
            ay = xy[2 * order[p - 1] + 1];
        }
        double dx = xy[2 * order[p]] - ax, dy = xy[2 * order[p] + 1] - ay;
        len += sqrt(dx * dx + dy * dy);
    }
    return len;
}

/* ---- a uniform grid over the real nodes, for k-nearest and nearest-unused
 * look-ups in about O(1) each instead of O(n) ---- */

struct grid {
    double x0, y0, cell;
    size_t gw, gh;
    size_t *first;  /* gw * gh + 1 offsets into items */
    size_t *live;   /* per cell: items still unused (nearest neighbour) */
    size_t *items;  /* node ids, grouped by cell */
    size_t *slot;   /* node -> index in items */
    size_t *cell_of;
};

static void grid_free(struct grid *g)
{
    free(g->first);
    free(g->live);
    free(g->items);
    free(g->slot);
    free(g->cell_of);
}

static enum mp_status grid_build(struct grid *g, const struct rt *r)
{
    size_t m = r->zero_from < r->n + 1 ? r->n : r->n + 1; /* real nodes: stops, S if real */
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t a = 0; a < m; a++) {
        minx = fmin(minx, r->p[2 * a]);
        maxx = fmax(maxx, r->p[2 * a]);
        miny = fmin(miny, r->p[2 * a + 1]);
        maxy = fmax(maxy, r->p[2 * a + 1]);
    }
    /* About two nodes per cell. */
    double w = fmax(maxx - minx, 1e-6), h = fmax(maxy - miny, 1e-6);
    double cell = sqrt(w * h * 2 / (double)m);
    if (!(cell > 0) || w / cell > 4096 || h / cell > 4096)
        cell = fmax(w, h) / 4096;
    g->x0 = minx;
    g->y0 = miny;
    g->cell = cell;
    g->gw = (size_t)(w / cell) + 1;
    g->gh = (size_t)(h / cell) + 1;
    size_t cells = g->gw * g->gh;
    g->first = calloc(cells + 1, sizeof *g->first);
    g->live = calloc(cells, sizeof *g->live);
    g->items = malloc(m * sizeof *g->items);
    g->slot = malloc((r->n + 1) * sizeof *g->slot);
    g->cell_of = malloc((r->n + 1) * sizeof *g->cell_of);
    if (!g->first || !g->live || !g->items || !g->slot || !g->cell_of)
        return MP_ENOMEM;
    for (size_t a = 0; a < m; a++) {
        size_t cx = (size_t)((r->p[2 * a] - minx) / cell), cy = (size_t)((r->p[2 * a + 1] - miny) / cell);
        cx = cx < g->gw ? cx : g->gw - 1;
        cy = cy < g->gh ? cy : g->gh - 1;
        g->cell_of[a] = cy * g->gw + cx;
        g->live[g->cell_of[a]]++;
    }
    for (size_t c = 0; c < cells; c++)
        g->first[c + 1] = g->first[c] + g->live[c];
    memset(g->live, 0, cells * sizeof *g->live);
    for (size_t a = 0; a < m; a++) {
        size_t c = g->cell_of[a];
        g->slot[a] = g->first[c] + g->live[c]++;
        g->items[g->slot[a]] = a;
    }
    return MP_OK;
}

/* Visit the cells of ring `ring` around (cx, cy); cb per live node. */
static void grid_ring(const struct grid *g, size_t cx, size_t cy, size_t ring,
                      void (*cb)(void *ctx, size_t node), void *ctx)
{
    long x0 = (long)cx - (long)ring, x1 = (long)cx + (long)ring;
    long y0 = (long)cy - (long)ring, y1 = (long)cy + (long)ring;
    for (long y = y0; y <= y1; y++) {
        if (y < 0 || y >= (long)g->gh)
            continue;
        bool edge_row = y == y0 || y == y1;
        for (long x = x0; x <= x1; x += edge_row ? 1 : (x1 - x0 ? x1 - x0 : 1)) {
            if (x >= 0 && x < (long)g->gw) {
                size_t c = (size_t)y * g->gw + (size_t)x;
                for (size_t i = g->first[c]; i < g->first[c] + g->live[c]; i++)
                    cb(ctx, g->items[i]);
            }
        }
    }
}

static bool ring_outside(const struct grid *g, size_t cx, size_t cy, size_t ring)
{
    return ring > cx && ring > cy && cx + ring >= g->gw && cy + ring >= g->gh;
}

static void cell_xy(const struct grid *g, const struct rt *r, size_t a, size_t *cx, size_t *cy)
{
    double fx = (r->p[2 * a] - g->x0) / g->cell, fy = (r->p[2 * a + 1] - g->y0) / g->cell;
    *cx = fx <= 0 ? 0 : (size_t)fx < g->gw ? (size_t)fx : g->gw - 1;
    *cy = fy <= 0 ? 0 : (size_t)fy < g->gh ? (size_t)fy : g->gh - 1;
}

/* Visit ring after ring around node a until done says that everything
 * nearer than the rings covered has been seen (reach2: the squared distance
 * they cover for sure) or the grid ends. */
static void grid_search(const struct grid *g, const struct rt *r, size_t a,
                        void (*visit)(void *ctx, size_t node),
                        bool (*done)(const void *ctx, double reach2), void *ctx)
{
    size_t cx, cy;
    cell_xy(g, r, a, &cx, &cy);
    for (size_t ring = 0; !ring_outside(g, cx, cy, ring); ring++) {
        grid_ring(g, cx, cy, ring, visit, ctx);
        double reach = (double)ring * g->cell;
        if (done(ctx, reach * reach))
            break;
    }
}

struct knn {
    const struct rt *r;
    size_t a, cnt, k;
    size_t *row;
    double *rd;
};

static void knn_visit(void *ctx, size_t b)
{
    struct knn *q = ctx;
    if (b == q->a)
        return;
    double d = dist2(q->r, q->a, b);
    if (q->cnt == q->k && d >= q->rd[q->cnt - 1])
        return;
    size_t p = q->cnt < q->k ? q->cnt++ : q->cnt - 1;
    while (p > 0 && q->rd[p - 1] > d) {
        q->rd[p] = q->rd[p - 1];
        q->row[p] = q->row[p - 1];
        p--;
    }
    q->rd[p] = d;
    q->row[p] = b;
}

static bool knn_done(const void *ctx, double reach2)
{
    const struct knn *q = ctx;
    return q->cnt == q->k && q->rd[q->cnt - 1] <= reach2;
}

/* The k nearest other nodes (stops and S) of every stop and of S. A virtual
 * S is 0 m from everything: it heads every list, so that moves which make a
 * stop the first one are found. */
static void build_neighbours(struct rt *r, const struct grid *g, double *scratch_d)
{
    const bool virtual_s = r->zero_from == r->n;
    for (size_t a = 0; a <= r->n; a++) {
        size_t *row = r->nb + a * r->k;
        if (a == r->n && virtual_s) { /* all at 0 m: any k will do */
            for (size_t i = 0; i < r->k; i++)
                row[i] = i;
            continue;
        }
        struct knn q = {r, a, 0, r->k, row, scratch_d};
        if (virtual_s) {
            row[0] = r->n;
            scratch_d[0] = 0;
            q.cnt = 1;
        }
        grid_search(g, r, a, knn_visit, knn_done, &q);
    }
}

struct nn {
    const struct rt *r;
    size_t from, best;
    double bd;
};

static void nn_visit(void *ctx, size_t b)
{
    struct nn *q = ctx;
    if (b >= q->r->n) /* S is no stop */
        return;
    double d = dist2(q->r, q->from, b);
    if (d < q->bd || (d == q->bd && b < q->best)) {
        q->bd = d;
        q->best = b;
    }
}

static bool nn_done(const void *ctx, double reach2)
{
    const struct nn *q = ctx;
    return q->best < q->r->n && q->bd <= reach2;
}

static void grid_remove(struct grid *g, size_t a)
{
    size_t c = g->cell_of[a], last = g->first[c] + g->live[c] - 1, i = g->slot[a];
    size_t other = g->items[last];
    g->items[i] = other;
    g->slot[other] = i;
    g->items[last] = a;
    g->slot[a] = last;
    g->live[c]--;
}

static void nearest_neighbour(struct rt *r, struct grid *g)
{
    const size_t n = r->n;
    size_t cur = n, p = 1; /* from S */
    if (r->zero_from == n) {
        /* Free start: begin at the stop farthest from the centroid, an end
         * of the spread rather than its middle. */
        double cx = 0, cy = 0, far = -1;
        for (size_t a = 0; a < n; a++) {
            cx += r->p[2 * a] / (double)n;
            cy += r->p[2 * a + 1] / (double)n;
        }
        for (size_t a = 0; a < n; a++) {
            double dx = r->p[2 * a] - cx, dy = r->p[2 * a + 1] - cy;
            if (dx * dx + dy * dy > far) {
                far = dx * dx + dy * dy;
                cur = a;
            }
        }
        r->t[p++] = cur;
        grid_remove(g, cur);
    } else {
        grid_remove(g, n);
    }
    for (; p <= n; p++) {
        struct nn q = {r, cur, n, INFINITY};
        grid_search(g, r, cur, nn_visit, nn_done, &q);
        r->t[p] = q.best;
        grid_remove(g, q.best);
        cur = q.best;
    }
    for (size_t i = 0; i < n + 2; i++)
        r->pos[r->t[i]] = i;
}

static uint64_t next_rand(struct rt *r)
{
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return r->rng * 2685821657736338717ull;
}

static double path_length(const struct rt *r)
{
    double len = 0;
    for (size_t q = 0; q <= r->n; q++)
        len += dist(r, r->t[q], r->t[q + 1]);
    return len;
}


/* Double bridge on positions 1..n: A B C D -> A C B D, a change no sequence
 * of improving 2-opt moves undoes, so the search leaves its local optimum. */
static void double_bridge(struct rt *r)
{
    size_t n = r->n, cut[3];
    for (int i = 0; i < 3; i++)
        cut[i] = 1 + (size_t)(next_rand(r) % n);
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (cut[j] < cut[i]) {
                size_t x = cut[i];
                cut[i] = cut[j];
                cut[j] = x;
            }
    size_t a = cut[0], b = cut[1], c = cut[2];
    if (a == b || b == c)
        return;
    size_t ends[6] = {r->t[a - 1], r->t[a], r->t[b - 1], r->t[b], r->t[c - 1], r->t[c]};
    /* B = [a..b-1], C = [b..c-1]: rev(rev(B) rev(C)) = C B. */
    reverse(r, a, b - 1);
    reverse(r, b, c - 1);
    reverse(r, a, c - 1);
    for (int i = 0; i < 6; i++)
        push(r, ends[i]);
}

/* Kicks of the iterated local search: cheap for short lists, where a crew's
 * day is, and skipped for long ones, where 2-opt + Or-opt alone is within a
 * few per cent and time matters more. */
static unsigned kicks_for(size_t n)
{
    if (n < 8)
        return n < 4 ? 0 : 50;
    if (n <= 60)
        return 300;
    return n <= 1000 ? 100 : 0;
}

enum mp_status mp_route_plan(const double *xy, size_t n, const double *start, size_t *order,
                             double *length)
{
    enum mp_status rc = MP_OK;
    struct rt r;
    double *scratch = NULL;
    size_t *best = NULL;
    struct grid grid;
    memset(&r, 0, sizeof r);
    memset(&grid, 0, sizeof grid);
    if (length)
        *length = 0;
    if (n > MP_ROUTE_MAX)
        return MP_EINVAL;
    for (size_t i = 0; i < 2 * n; i++)
        if (!isfinite(xy[i]))
            return MP_EINVAL;
    if (start && (!isfinite(start[0]) || !isfinite(start[1])))
        return MP_EINVAL;
    if (n == 0)
        return MP_OK;
    r.n = n;
    r.has_start = start != NULL;
    r.zero_from = start ? n + 1 : n;
    r.rng = 0x2545f4914f6cdd1dull ^ (uint64_t)n; /* deterministic: same input, same order */
    r.k = n < NEIGHBOURS ? n : NEIGHBOURS; /* n + 1 nodes, so n others each */
    r.p = malloc(2 * (n + 1) * sizeof *r.p);
    r.t = malloc((n + 2) * sizeof *r.t);
    r.pos = malloc((n + 2) * sizeof *r.pos);
    r.nb = malloc((n + 1) * r.k * sizeof *r.nb);
    r.queue = malloc((n + 1) * sizeof *r.queue);
    r.queued = malloc(n + 1);
    scratch = malloc(r.k * sizeof *scratch);
    best = malloc((n + 2) * sizeof *best);
    if (!r.p || !r.t || !r.pos || !r.nb || !r.queue || !r.queued || !scratch || !best) {
        rc = MP_ENOMEM;
        goto out;
    }
    memcpy(r.p, xy, 2 * n * sizeof *r.p);
    r.p[2 * n] = start ? start[0] : 0;
    r.p[2 * n + 1] = start ? start[1] : 0;
    r.t[0] = n;
    r.t[n + 1] = n + 1;
    if ((rc = grid_build(&grid, &r)))
        goto out;
    build_neighbours(&r, &grid, scratch);
    nearest_neighbour(&r, &grid);
    seed_all(&r);
    search(&r);
    double best_len = path_length(&r);
    memcpy(best, r.t, (n + 2) * sizeof *best);
    for (unsigned kick = kicks_for(n); kick > 0; kick--) {
        double_bridge(&r);
        search(&r);
        double len = path_length(&r);
        if (len < best_len - EPS) {
            best_len = len;
            memcpy(best, r.t, (n + 2) * sizeof *best);
        } else {
            memcpy(r.t, best, (n + 2) * sizeof *best);
            for (size_t q = 0; q < n + 2; q++)
                r.pos[r.t[q]] = q;
        }
    }
    for (size_t q = 0; q < n; q++)
        order[q] = best[q + 1];
    if (length)
        *length = mp_route_length(xy, n, start, order);
out:
    free(r.p);
    free(r.t);
    free(r.pos);
    free(r.nb);
    free(r.queue);
    free(r.queued);
    free(scratch);
    free(best);
    grid_free(&grid);
    return rc;
}
