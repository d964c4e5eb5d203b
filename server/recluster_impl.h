/* recluster_impl.h - PRIVATE to server/recluster*.c: the replay's working
 * state, shared by recluster.c (the replay: placing reports, retiring and
 * writing clusters, the stored states and staff constraints),
 * recluster_cells.c (the index of open clusters by grid cell) and
 * recluster_feed.c (reading and snapping on a second connection and
 * thread). Never include this outside server/recluster*.c.
 *
 * Ownership: struct work and everything it points to belong to the one
 * mp_recluster_with call that made it and are freed at its end; the cell
 * index's tables (struct cells) are allocated and freed by
 * recluster_cells.c only. Nothing here is shared between threads except
 * what recluster_feed.c guards with its own lock: the feeder's reader
 * thread never touches struct work.
 */
#ifndef MELDPUNT_RECLUSTER_IMPL_H
#define MELDPUNT_RECLUSTER_IMPL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* The side of a grid cell of the open-cluster index, in metres. */
#define CELL 250.0
/* Stored states are fetched in blocks of ids: claims come mostly in id
 * order (clusters are created in time order), in a few interleaved runs
 * after earlier re-clusterings. */
#define BLOCK_IDS 512
#define NBLOCKS 8

struct clu {
    /* st.id: while in the replay, the creation rank, a stand-in id for the
     * rules (exclusions and tie-breaks follow creation order, as database
     * ids do on insert); set to dbid when written. */
    struct mp_cluster_state st;
    struct mp_cluster_addr addr; /* its members' house numbers, as on insert */
    int64_t dbid;                /* the stored id it keeps, or the one reserved for it */
    /* The stored numbers of a claimed cluster that decide whether to write. */
    int64_t old_count, old_first, old_last;
    double old_sum_x, old_sum_y, old_lon, old_lat;
    long cx, cy; /* the grid cell it is listed under */
    long prev;   /* in the list of its cell (next is in struct hot) */
    uint32_t cat;
    bool fresh;      /* a new cluster: inserted when written */
    bool texts_same; /* claimed, and status, district, street, location as stored */
};

/* What the walk over a cell's list reads of each cluster, packed apart
 * from the states: most clusters listed near a report are out of its reach
 * or window, and are passed over without touching their state. */
struct hot {
    double x, y;     /* = st.x, st.y */
    int64_t last_at; /* = st.last_at */
    int64_t seq;     /* = st.id while in the replay */
    long next;       /* next cluster in the list of its cell, -1 at the end */
    bool live;
    bool pinned; /* holds a constrained report: kept to the end */
};

/* A grid cell with clusters in it (open addressing, linear probing; a
 * cell is removed when its last cluster leaves, so the table holds the
 * open clusters' cells only and stays small enough for the cache). */
struct slot {
    uint64_t key;
    int32_t head; /* first cluster's index + 1; 0 when empty */
    int32_t used;
};

/* The index of open clusters by category and grid cell (recluster_cells.c):
 * a dense table of list heads (index + 1, 0 when empty) per category over
 * the city's box, and a hash table for cells outside. Owned by the work it
 * is in; zero-initialised means empty. */
struct cells {
    int32_t *dense; /* NULL when the box is too large: the hash does all */
    long gx0, gy0, gnx, gny;
    struct slot *slots;
    size_t nslots, usedslots;
};

/* Clusters of one category in the order their latest report arrived. */
struct qent {
    int64_t t, seq;
    long idx;
};
struct queue {
    struct qent *v;
    size_t head, n, cap; /* ring */
};

struct block {
    int64_t no;   /* block number (id / BLOCK_IDS), -1 when empty */
    uint64_t use; /* for least-recently-used replacement */
    struct mp_cluster_state *st;
    size_t n;
};

/* A report as the replay takes it. */
struct row {
    int64_t id, cluster_id, created_at;
    double x, y, lon, lat;
    uint32_t cat;
    bool probed;                   /* probe and location are filled */
    const char *address;           /* borrowed; for probing here (when not probed) */
    size_t addr_off;               /* reader thread: address in the batch's arena + 1, or 0 */
    struct mp_cluster_probe probe; /* its street borrowed from the street layer */
    char location[128];
    /* Its own (a region's member): it joins only that municipality's
     * clusters, and a cluster it starts is that municipality's. */
    char municipality[MP_MUNICIPALITY_MAXLEN];
};

struct placed {
    int64_t id; /* a constrained report */
    long idx;   /* its cluster, -1 while not yet replayed */
};

struct heir {
    int64_t old, heir;
};

struct work {
    struct mp_ctx *ctx;
    const char *only;
    struct clu *clus;
    struct hot *hot; /* parallel to clus */
    size_t nclus, capclus;
    long *free_idx;
    size_t nfree, capfree;
    struct cells cells;
    struct queue *queues; /* one per category */
    /* constraints, as an edge list sorted by report id: a, b, must */
    int64_t (*edges)[3];
    size_t nedges, capedges;
    struct placed *placed; /* sorted by id */
    size_t nplaced;
    /* stored clusters: bit set while a cluster may still be claimed */
    uint64_t *unclaimed, *seen;
    int64_t max_old;
    long nold;
    struct heir *heirs;
    size_t nheirs, capheirs;
    struct block blocks[NBLOCKS];
    uint64_t clock;
    int64_t next_id, seq;
    /* category of the previous row, to skip the look-up by name */
    const char *last_code;
    const struct mp_category *last_cat, *row_cat;
    /* Region packs (ctx->region of several members): each member's own
     * version of every category of the whole, [member * ncategories + ci]
     * (borrowed from the member; the whole's where it lacks one), whose
     * rules place that member's reports as its live inserts do; and per
     * category the longest window of any member, after which expire may
     * retire a cluster. Both NULL in a plain pack (the whole's rules). */
    const struct mp_category **member_cats;
    int64_t *max_window;
    const struct mp_cluster_state **cand;
    const struct mp_cluster_addr **cand_addr;
    long *cand_idx;
    long nreps, nclusters, moved;
    long open, peak_open; /* clusters in memory now, and at most */
    enum mp_status rc;
};

static inline bool bit_get(const uint64_t *b, int64_t i) { return (b[i >> 6] >> (i & 63)) & 1; }
static inline void bit_set(uint64_t *b, int64_t i) { b[i >> 6] |= (uint64_t)1 << (i & 63); }
static inline void bit_clear(uint64_t *b, int64_t i) { b[i >> 6] &= ~((uint64_t)1 << (i & 63)); }

/* The grid cell of a metric coordinate (x or y). */
static inline long cell_x(double x) { return (long)floor(x / CELL); }

/* ---- recluster.c ---- */

/* Replay one report (the caller counts it): expire what it can no longer
 * join, choose or make its cluster, write its move. r's address is
 * borrowed for the call; r is probed in place when needed. */
enum mp_status mp_recluster_replay_one(struct work *w, struct row *r) MP_WUR;
/* The pack's category of a row's code, or NULL (also for a NULL code);
 * *last caches the previous answer, borrowed from city. */
const struct mp_category *mp_recluster_row_category(const struct mp_city *city, const char *code,
                                                    const struct mp_category **last);
/* Fill d from a cursor row of category index cat; d->address borrows
 * r->address (valid only in the cursor's callback). */
void mp_recluster_row_fill(struct row *d, const struct mp_replay_row *r, uint32_t cat);
/* Whether a report's probe can matter before its cluster is known: for
 * the street and address rules always, else when its house number may. */
bool mp_recluster_row_needs_probe(const struct mp_category *cat, const char *address);
/* Snap r to its street (r->probe, r->location) on ctx's street layer and
 * PROJ context; ctx is only read. */
void mp_recluster_row_probe(const struct mp_ctx *ctx, struct row *r);

/* ---- recluster_cells.c: the open clusters by category and grid cell ---- */

/* Set up the dense table over the city's box (the hash alone when the box
 * is not a city's, or too large, or memory is short). Call once, before
 * any link. */
void mp_recluster_cells_init(struct work *w);
/* The list head of a cell (index + 1 of its first cluster, 0 when empty),
 * or NULL when the cell has none; borrowed until the next link or unlink. */
const int32_t *mp_recluster_cells_head(struct work *w, uint32_t cat, long cx, long cy);
/* List cluster i under the cell of its centre (sets its cx, cy, prev and
 * next). False when out of memory. */
bool mp_recluster_cells_link(struct work *w, long i);
/* Take cluster i out of the list of the cell it was linked under. */
void mp_recluster_cells_unlink(struct work *w, long i);
/* Free the index's tables (c itself is the caller's); accepts an empty one. */
void mp_recluster_cells_free(struct cells *c);

/* ---- recluster_feed.c: reading on a second connection and thread ---- */

/* Replay every report of w->only (NULL: all) read and snapped on reader's
 * session by a thread of its own, while this thread replays and writes.
 * reader is borrowed for the call and used by that thread only; w->rc is
 * not used. Returns the first failure of either side. */
enum mp_status mp_recluster_feed(struct work *w, struct mp_ctx *reader) MP_WUR;

#endif
