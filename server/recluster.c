/* recluster.c - replay every report under the current rules, through the
 * same mp_cluster_choose_probe as live inserts, so that inserting one by one
 * and replaying give the same clusters.
 *
 * The replay streams: reports come from one time-ordered cursor and are
 * placed one at a time; nothing is kept per report. Only clusters that can
 * still take a member are held in memory, on a grid of metric cells. Reports
 * arrive in time order, so a cluster whose latest report is more than its
 * category's window behind the current report can never match again
 * (mp_cluster_choose_probe skips it, and later reports are later still): it
 * is written out and dropped. Memory is therefore bounded by the clusters
 * open within one window, not by the number of reports. Clusters holding a
 * report with a staff constraint stay to the end, since a must-link partner
 * may still join them.
 *
 * Writes happen as the replay goes, in the one write transaction that reads
 * the reports, and only where something changed: a report whose cluster id
 * changes (with the reason it joined), a cluster whose state differs from
 * the stored one, new clusters, and at the end old clusters nobody claimed.
 * A new cluster gets the id SQLite would have given it when created in
 * replay order (the highest id plus its rank), so that reports can point at
 * it before it is written; foreign keys are checked at COMMIT.
 *
 * The rules (mp_cluster_choose_refs, the same code as
 * mp_cluster_choose_probe) see a cluster's creation rank as its id, so
 * exclusions and tie-breaks follow creation order as database ids do.
 * Clusters of a category the pack no longer has are neither replayed nor
 * deleted. In a region pack a report is placed by its municipality's own
 * version of the category (radius, window, rule), as its live insert was,
 * and never joins another municipality's cluster. With a second context, reading and snapping run on another
 * connection and thread (recluster_feed.c). The open clusters are found by
 * grid cell through recluster_cells.c; the state all three share is in
 * recluster_impl.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/corrections.h"
#include "meldpunt/geo.h"
#include "meldpunt/region.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "recluster_impl.h"

/* Candidates a report is compared with at most. */
#define MAX_CAND 256

/* snprintf(dst, cap, "%s", src) without the formatting machinery: one new
 * cluster costs five of these. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    n = n < cap - 1 ? n : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool queue_push(struct queue *q, struct qent e)
{
    if (q->n == q->cap) {
        size_t n = q->cap ? q->cap * 2 : 256;
        struct qent *v = malloc(n * sizeof *v);
        if (!v)
            return false;
        for (size_t i = 0; i < q->n; i++)
            v[i] = q->v[(q->head + i) % q->cap];
        free(q->v);
        q->v = v;
        q->cap = n;
        q->head = 0;
    }
    q->v[(q->head + q->n++) % q->cap] = e;
    return true;
}

static bool same_state(const struct clu *c)
{
    const struct mp_cluster_state *a = &c->st;
    return c->texts_same && a->report_count == c->old_count && a->sum_x == c->old_sum_x &&
           a->sum_y == c->old_sum_y && a->first_at == c->old_first && a->last_at == c->old_last &&
           a->lon == c->old_lon && a->lat == c->old_lat;
}

/* Write a cluster that is complete (no report can join it any more) and
 * drop it. */
static enum mp_status retire(struct work *w, long i)
{
    enum mp_status rc = MP_OK;
    struct clu *c = &w->clus[i];
    /* The centre's lon/lat only matter once final: one inverse projection
     * per cluster instead of one per member. A cluster of one sits exactly
     * on its report (set when it was created), as on insert. */
    if (c->st.report_count > 1 &&
        mp_geo_inverse(w->ctx->geo, c->st.x, c->st.y, &c->st.lon, &c->st.lat) != MP_OK)
        return MP_EINVAL;
    c->st.id = c->dbid;
    if (c->fresh) {
        if ((rc = mp_store_cluster_insert(w->ctx->db, &c->st)))
            return rc;
        struct mp_history_rec h = {.cluster_id = c->st.id, .at = c->st.first_at,
                                   .status = "new", .note_public = true,
                                   .actor = "recluster"};
        if ((rc = mp_store_history_add(w->ctx->db, &h)))
            return rc;
    } else if (!same_state(c) && (rc = mp_store_cluster_update(w->ctx->db, &c->st))) {
        return rc;
    }
    mp_recluster_cells_unlink(w, i);
    w->hot[i].live = false;
    w->open--;
    if (w->nfree == w->capfree) {
        size_t n = w->capfree ? w->capfree * 2 : 1024;
        long *f = realloc(w->free_idx, n * sizeof *f);
        if (!f)
            return MP_ENOMEM;
        w->free_idx = f;
        w->capfree = n;
    }
    w->free_idx[w->nfree++] = i;
    return MP_OK;
}

/* Retire the clusters of category ci whose latest report is more than the
 * window before t (in a region, the longest of the members' windows: the
 * queue holds every member's clusters of the category). */
static enum mp_status expire(struct work *w, uint32_t ci, int64_t t)
{
    const struct mp_category *cat = &w->ctx->city->categories[ci];
    const int64_t window =
        w->max_window ? w->max_window[ci] : (int64_t)cat->window_days * 86400;
    struct queue *q = &w->queues[ci];
    while (q->n && t - q->v[q->head].t > window) {
        struct qent e = q->v[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        const struct hot *h = &w->hot[e.idx];
        /* Stale entries (the cluster took a later report, or is gone) pass. */
        if (!h->live || h->seq != e.seq || h->last_at != e.t || h->pinned)
            continue;
        enum mp_status rc = retire(w, e.idx);
        if (rc)
            return rc;
    }
    return MP_OK;
}

static long new_clu(struct work *w)
{
    if (w->nfree)
        return w->free_idx[--w->nfree];
    if (w->nclus >= INT32_MAX) /* cells keep int32 indices */
        return -1;
    if (w->nclus == w->capclus) {
        /* By half: this array is most of the memory a replay holds. */
        size_t n = w->capclus ? w->capclus + w->capclus / 2 : 4096;
        struct clu *nc = realloc(w->clus, n * sizeof *nc);
        if (!nc)
            return -1;
        w->clus = nc;
        struct hot *nh = realloc(w->hot, n * sizeof *nh);
        if (!nh)
            return -1;
        w->hot = nh;
        w->capclus = n;
    }
    return (long)w->nclus++;
}

static int take_block_state(void *p, const struct mp_cluster_state *st)
{
    struct block *b = p;
    if (b->n < BLOCK_IDS)
        b->st[b->n++] = *st;
    return 0;
}

/* The stored state of cluster id, or NULL when there is none. */
static const struct mp_cluster_state *stored_state(struct work *w, int64_t id)
{
    int64_t no = id / BLOCK_IDS;
    struct block *b = NULL, *lru = &w->blocks[0];
    for (int i = 0; i < NBLOCKS; i++) {
        if (w->blocks[i].no == no)
            b = &w->blocks[i];
        if (w->blocks[i].use < lru->use)
            lru = &w->blocks[i];
    }
    if (!b) {
        b = lru;
        b->no = -1;
        b->n = 0;
        if ((w->rc = mp_store_cluster_states_range(w->ctx->db, no * BLOCK_IDS,
                                                   no * BLOCK_IDS + BLOCK_IDS - 1,
                                                   take_block_state, b)))
            return NULL;
        b->no = no;
    }
    b->use = ++w->clock;
    /* Rows come in id order: binary search. */
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->st[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->n && b->st[lo].id == id ? &b->st[lo] : NULL;
}

static int cmp_edge(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static int cmp_placed(const void *a, const void *b)
{
    const struct placed *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_heir(const void *a, const void *b)
{
    const struct heir *x = a, *y = b;
    return (x->old > y->old) - (x->old < y->old);
}

static struct placed *find_placed(struct work *w, int64_t id)
{
    struct placed key = {.id = id};
    return w->nplaced ? bsearch(&key, w->placed, w->nplaced, sizeof *w->placed, cmp_placed)
                      : NULL;
}

static bool is_old(const struct work *w, int64_t id)
{
    return id > 0 && id <= w->max_old;
}

/* The report's street (snapped point, direction) and location. */
void mp_recluster_row_probe(const struct mp_ctx *ctx, struct row *r)
{
    mp_report_probe((struct mp_ctx *)ctx, r->address, r->x, r->y, r->created_at, &r->probe,
                    r->location, sizeof r->location);
    r->probed = true;
}

bool mp_recluster_row_needs_probe(const struct mp_category *cat, const char *address)
{
    return cat->rule != MP_RULE_POINT || (cat->address_span > 0 && address && address[0]);
}

/* The probe's address evidence, empty for a report not probed (whose
 * address is then known not to count). */
static const struct mp_cluster_probe *probe_of(const struct row *r)
{
    static const struct mp_cluster_probe none;
    return r->probed ? &r->probe : &none;
}

/* The rules that place a report of category ci in municipality m: its
 * member's version of the category in a region (as a live insert uses,
 * report.c), else the pack's. */
static const struct mp_category *rules_of(const struct work *w, uint32_t ci, const char *m)
{
    const struct mp_region *reg = w->ctx->region;
    if (w->member_cats) {
        size_t lo = 0, hi = reg->nmembers;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(reg->members[mid].city->id, m);
            if (c == 0)
                return w->member_cats[mid * w->ctx->city->ncategories + ci];
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return &w->ctx->city->categories[ci];
}

/* A region's table of the members' categories and the longest windows
 * (struct work); nothing for a plain pack. */
static enum mp_status member_rules(struct work *w)
{
    const struct mp_region *reg = w->ctx->region;
    const struct mp_city *city = w->ctx->city;
    if (!reg || reg->of_one || !reg->nmembers || !city->ncategories)
        return MP_OK;
    w->member_cats = calloc(reg->nmembers * city->ncategories, sizeof *w->member_cats);
    w->max_window = calloc(city->ncategories, sizeof *w->max_window);
    if (!w->member_cats || !w->max_window)
        return MP_ENOMEM;
    for (size_t ci = 0; ci < city->ncategories; ci++) {
        const struct mp_category *whole = &city->categories[ci];
        w->max_window[ci] = (int64_t)whole->window_days * 86400;
        for (size_t m = 0; m < reg->nmembers; m++) {
            const struct mp_category *own = mp_city_category(reg->members[m].city, whole->code);
            w->member_cats[m * city->ncategories + ci] = own ? own : whole;
            if (own && (int64_t)own->window_days * 86400 > w->max_window[ci])
                w->max_window[ci] = (int64_t)own->window_days * 86400;
        }
    }
    return MP_OK;
}

/* Place one report; returns a status. */
enum mp_status mp_recluster_replay_one(struct work *w, struct row *r)
{
    enum mp_status rc;
    const uint32_t ci = r->cat;
    const struct mp_city *city = w->ctx->city;
    const struct mp_category *cat = rules_of(w, ci, r->municipality);
    if ((rc = expire(w, ci, r->created_at)))
        return rc;

    /* Staff corrections first: a must-link partner already replayed
     * decides; cannot-link partners' clusters are excluded. */
    long forced = -1;
    int64_t exclude[MP_NOT_SAME_MAX];
    size_t nex = 0;
    struct placed *me = NULL;
    if (w->nedges) {
        int64_t key[3] = {r->id, 0, 0};
        int64_t(*e)[3] = bsearch(key, w->edges, w->nedges, sizeof *w->edges, cmp_edge);
        if (e) {
            me = find_placed(w, r->id);
            while (e > w->edges && e[-1][0] == r->id)
                e--;
            for (; e < w->edges + w->nedges && (*e)[0] == r->id; e++) {
                struct placed *pp = find_placed(w, (*e)[1]);
                long c = pp ? pp->idx : -1;
                if (c < 0 || w->clus[c].cat != ci ||
                    strcmp(w->clus[c].st.municipality, r->municipality) != 0)
                    continue;
                if ((*e)[2])
                    forced = c;
                else if (nex < MP_NOT_SAME_MAX)
                    exclude[nex++] = w->clus[c].st.id;
            }
        }
    }

    /* The point rule needs no street to choose: snap only for the street
     * and address rules, for an address whose number may count, for a new
     * cluster (its street and location) and for the reason of a report
     * that moves. */
    if (!r->probed && mp_recluster_row_needs_probe(cat, r->address))
        mp_recluster_row_probe(w->ctx, r);
    const bool probed = r->probed;
    const struct mp_cluster_probe bare = {.x = r->x, .y = r->y, .t = r->created_at};
    const struct mp_cluster_probe *probe = probed ? &r->probe : &bare;
    long chosen = forced;
    size_t n = 0;
    struct mp_join_reason why;
    memset(&why, 0, sizeof why);
    why.along_m = -1;
    if (chosen < 0) {
        const int64_t window = (int64_t)cat->window_days * 86400;
        const double reach = mp_report_reach(w->ctx, cat);
        double bx, by, half;
        mp_cluster_search_box(probe, reach, &bx, &by, &half);
        /* Only the pin can match under a point rule without numbers. */
        const bool pin_only = cat->rule == MP_RULE_POINT &&
                              (cat->address_span == 0 || !probe->addr.street);
        for (long cx = cell_x(bx - half); cx <= cell_x(bx + half); cx++)
            for (long cy = cell_x(by - half); cy <= cell_x(by + half); cy++) {
                const int32_t *hd = mp_recluster_cells_head(w, ci, cx, cy);
                for (long c = hd ? (long)*hd - 1 : -1; c >= 0 && n < MAX_CAND;
                     c = w->hot[c].next) {
                    /* Pass over those the rules would reject on the
                     * numbers alone, by the rules' own tests: beyond the
                     * window (reports come in time order, so the gap is
                     * t - last_at), or for the point rule without house
                     * numbers beyond the radius (the one way to match). */
                    const struct hot *h = &w->hot[c];
                    if (strcmp(w->clus[c].st.municipality, r->municipality) != 0)
                        continue;
                    /* Live inserts look within the squares of half side
                     * reach around the pin and the placed address
                     * (mp_cluster_in_reach): the same here, or a report
                     * whose snapped point or number lies far from its pin
                     * could join in a replay and not live. */
                    if (!mp_cluster_in_reach(probe, reach, h->x, h->y))
                        continue;
                    if (r->created_at - h->last_at > window ||
                        (pin_only && !(mp_geo_dist(r->x, r->y, h->x, h->y) <= cat->radius_m)))
                        continue;
                    w->cand[n] = &w->clus[c].st;
                    w->cand_addr[n] = &w->clus[c].addr;
                    w->cand_idx[n++] = c;
                }
            }
        long best = mp_cluster_choose_ev(cat, probe, w->cand, w->cand_addr, n, exclude, nex, &why);
        chosen = best >= 0 ? w->cand_idx[best] : -1;
        /* A report that moves gets its reason with the street it is on
         * (the point rule chose without it): asked again before the
         * cluster changes. */
        if (chosen >= 0 && !probed && w->clus[chosen].dbid != r->cluster_id) {
            mp_recluster_row_probe(w->ctx, r);
            (void)mp_cluster_choose_ev(cat, &r->probe, w->cand, w->cand_addr, n, exclude, nex,
                                       &why);
        }
    } else {
        why.kind = "staff";
        why.evidence = MP_EV_STAFF;
        why.rule = cat->rule;
    }

    if (chosen >= 0) {
        struct clu *c = &w->clus[chosen];
        mp_cluster_add_member(&c->st, r->x, r->y, r->created_at);
        mp_cluster_addr_add(&c->addr, &probe_of(r)->addr);
        w->hot[chosen].x = c->st.x;
        w->hot[chosen].y = c->st.y;
        w->hot[chosen].last_at = c->st.last_at;
        if (cell_x(c->st.x) != c->cx || cell_x(c->st.y) != c->cy) {
            mp_recluster_cells_unlink(w, chosen);
            if (!mp_recluster_cells_link(w, chosen))
                return MP_ENOMEM;
        }
    } else {
        if (!r->probed)
            mp_recluster_row_probe(w->ctx, r);
        if ((chosen = new_clu(w)) < 0)
            return MP_ENOMEM;
        struct clu *c = &w->clus[chosen];
        memset(c, 0, sizeof *c);
        c->cat = ci;
        c->st.id = ++w->seq;
        copy_str(c->st.municipality, sizeof c->st.municipality, r->municipality);
        copy_str(c->st.category, sizeof c->st.category, cat->code);
        copy_str(c->st.status, sizeof c->st.status, "new");
        copy_str(c->st.street, sizeof c->st.street, r->probe.street ? r->probe.street : "");
        copy_str(c->st.location, sizeof c->st.location, r->location);
        mp_cluster_add_member(&c->st, r->x, r->y, r->created_at);
        mp_cluster_addr_add(&c->addr, &r->probe.addr);
        c->st.lon = r->lon;
        c->st.lat = r->lat;
        /* Keep the old cluster's identity, status and district when its
         * first report still starts a cluster. */
        const struct mp_cluster_state *o = NULL;
        if (is_old(w, r->cluster_id) && bit_get(w->unclaimed, r->cluster_id)) {
            o = stored_state(w, r->cluster_id);
            if (w->rc)
                return w->rc;
        }
        if (o) {
            bit_clear(w->unclaimed, r->cluster_id);
            c->dbid = o->id;
            copy_str(c->st.status, sizeof c->st.status, o->status);
            copy_str(c->st.district, sizeof c->st.district, o->district);
            c->st.fixed_at = o->fixed_at;
            c->old_count = o->report_count;
            c->old_sum_x = o->sum_x;
            c->old_sum_y = o->sum_y;
            c->old_first = o->first_at;
            c->old_last = o->last_at;
            c->old_lon = o->lon;
            c->old_lat = o->lat;
            c->texts_same = strcmp(c->st.status, o->status) == 0 &&
                            strcmp(c->st.street, o->street) == 0 &&
                            strcmp(c->st.location, o->location) == 0 &&
                            strcmp(c->st.district, o->district) == 0;
        } else {
            const struct mp_district *d = mp_city_district_at(city, r->lon, r->lat);
            copy_str(c->st.district, sizeof c->st.district, d ? d->code : "");
            c->dbid = ++w->next_id;
            c->fresh = true;
        }
        w->nclusters++;
        if (++w->open > w->peak_open)
            w->peak_open = w->open;
        w->hot[chosen] = (struct hot){.x = c->st.x, .y = c->st.y, .last_at = c->st.last_at,
                                      .seq = c->st.id, .next = -1, .live = true};
        if (!mp_recluster_cells_link(w, chosen))
            return MP_ENOMEM;
    }
    struct clu *c = &w->clus[chosen];
    if (!queue_push(&w->queues[ci], (struct qent){r->created_at, c->st.id, chosen}))
        return MP_ENOMEM;
    if (me) {
        me->idx = chosen;
        w->hot[chosen].pinned = true;
    }

    /* The first report of an old cluster names the heir of its history,
     * should nobody claim it. */
    if (is_old(w, r->cluster_id) && !bit_get(w->seen, r->cluster_id)) {
        bit_set(w->seen, r->cluster_id);
        if (c->dbid != r->cluster_id) {
            if (w->nheirs == w->capheirs) {
                size_t nn = w->capheirs ? w->capheirs * 2 : 256;
                struct heir *h = realloc(w->heirs, nn * sizeof *h);
                if (!h)
                    return MP_ENOMEM;
                w->heirs = h;
                w->capheirs = nn;
            }
            w->heirs[w->nheirs++] = (struct heir){r->cluster_id, c->dbid};
        }
    }
    if (c->dbid == r->cluster_id)
        return MP_OK;
    char join[MP_JOIN_REASON_MAX];
    mp_join_reason_json(&why, join, sizeof join);
    if ((rc = mp_store_report_set_cluster(w->ctx->db, r->id, c->dbid, c->st.status, join)))
        return rc;
    w->moved++;
    return MP_OK;
}

const struct mp_category *mp_recluster_row_category(const struct mp_city *city, const char *code,
                                                    const struct mp_category **last)
{
    if (!code)
        return NULL;
    if (!*last || strcmp(code, (*last)->code) != 0)
        *last = mp_city_category(city, code);
    return *last;
}

void mp_recluster_row_fill(struct row *d, const struct mp_replay_row *r, uint32_t cat)
{
    d->id = r->id;
    d->cluster_id = r->cluster_id;
    d->created_at = r->created_at;
    d->x = r->x;
    d->y = r->y;
    d->lon = r->lon;
    d->lat = r->lat;
    d->cat = cat;
    d->probed = false;
    d->address = r->address;
    d->addr_off = 0;
    copy_str(d->municipality, sizeof d->municipality, r->municipality ? r->municipality : "");
}

static int take_rep(void *p, const struct mp_replay_row *r)
{
    struct work *w = p;
    const struct mp_category *cat =
        mp_recluster_row_category(w->ctx->city, r->category, &w->row_cat);
    if (!cat)
        return 0; /* a category the pack no longer has stays where it is */
    struct row d;
    mp_recluster_row_fill(&d, r, (uint32_t)(cat - w->ctx->city->categories));
    w->nreps++;
    w->rc = mp_recluster_replay_one(w, &d);
    return w->rc != MP_OK;
}

static int take_edge(void *p, int64_t a, int64_t b, bool must)
{
    struct work *w = p;
    if (w->nedges + 2 > w->capedges) {
        size_t n = w->capedges ? w->capedges * 2 : 256;
        int64_t(*ne)[3] = realloc(w->edges, n * sizeof *ne);
        if (!ne) {
            w->rc = MP_ENOMEM;
            return 1;
        }
        w->edges = ne;
        w->capedges = n;
    }
    /* Both directions, so each report finds its partners by binary search. */
    w->edges[w->nedges][0] = a, w->edges[w->nedges][1] = b, w->edges[w->nedges++][2] = must;
    w->edges[w->nedges][0] = b, w->edges[w->nedges][1] = a, w->edges[w->nedges++][2] = must;
    return 0;
}

static int take_id(void *p, int64_t id, const char *category)
{
    struct work *w = p;
    if (id <= 0 || id > w->max_old)
        return 0;
    /* Clusters of a category the pack no longer has keep their reports
     * (which are not replayed): they are not the replay's to delete. */
    if (!category)
        return 0;
    if (!w->last_code || strcmp(category, w->last_code) != 0) {
        w->last_cat = mp_city_category(w->ctx->city, category);
        if (!w->last_cat) {
            w->last_code = NULL;
            return 0;
        }
        w->last_code = w->last_cat->code;
    }
    if (w->only && strcmp(category, w->only) != 0)
        return 0;
    bit_set(w->unclaimed, id);
    w->nold++;
    return 0;
}

/* Constraints, the stored clusters' ids and the bookkeeping for both. */
static enum mp_status prepare(struct work *w)
{
    enum mp_status rc;
    const struct mp_city *city = w->ctx->city;
    if ((rc = member_rules(w)) || (rc = mp_store_constraints(w->ctx->db, take_edge, w)) ||
        (rc = w->rc))
        return rc;
    if (w->nedges) {
        qsort(w->edges, w->nedges, sizeof *w->edges, cmp_edge);
        w->placed = malloc(w->nedges * sizeof *w->placed);
        if (!w->placed)
            return MP_ENOMEM;
        for (size_t i = 0; i < w->nedges; i++)
            if (i == 0 || w->edges[i][0] != w->edges[i - 1][0])
                w->placed[w->nplaced++] = (struct placed){w->edges[i][0], -1};
    }
    if ((rc = mp_store_cluster_max_id(w->ctx->db, &w->max_old)))
        return rc;
    w->next_id = w->max_old;
    size_t words = (size_t)(w->max_old >> 6) + 1;
    w->unclaimed = calloc(words, sizeof *w->unclaimed);
    w->seen = calloc(words, sizeof *w->seen);
    w->queues = calloc(city->ncategories + 1, sizeof *w->queues);
    w->cand = malloc(MAX_CAND * sizeof *w->cand);
    w->cand_addr = malloc(MAX_CAND * sizeof *w->cand_addr);
    w->cand_idx = malloc(MAX_CAND * sizeof *w->cand_idx);
    if (!w->unclaimed || !w->seen || !w->queues || !w->cand || !w->cand_addr || !w->cand_idx)
        return MP_ENOMEM;
    for (int i = 0; i < NBLOCKS; i++) {
        w->blocks[i].no = -1;
        if (!(w->blocks[i].st = malloc(BLOCK_IDS * sizeof *w->blocks[i].st)))
            return MP_ENOMEM;
    }
    if ((rc = mp_store_cluster_ids(w->ctx->db, take_id, w)) || (rc = w->rc))
        return rc;
    mp_recluster_cells_init(w);
    return MP_OK;
}

/* After the replay: write what is still in memory, then delete the old
 * clusters nobody claimed; their history follows their first report. */
static enum mp_status finish(struct work *w)
{
    enum mp_status rc;
    for (size_t i = 0; i < w->nclus; i++)
        if (w->hot[i].live && (rc = retire(w, (long)i)))
            return rc;
    if (w->nheirs)
        qsort(w->heirs, w->nheirs, sizeof *w->heirs, cmp_heir);
    for (int64_t id = 1; id <= w->max_old; id++) {
        if (!w->unclaimed[id >> 6]) {
            id |= 63; /* a whole word of claimed (or absent) ids */
            continue;
        }
        if (!bit_get(w->unclaimed, id))
            continue;
        struct heir key = {.old = id}, *h = NULL;
        if (w->nheirs)
            h = bsearch(&key, w->heirs, w->nheirs, sizeof *w->heirs, cmp_heir);
        if ((rc = mp_store_cluster_delete(w->ctx->db, id, h ? h->heir : 0)))
            return rc;
    }
    return MP_OK;
}

enum mp_status mp_recluster(struct mp_ctx *ctx, const char *category,
                            struct mp_recluster_stats *st, struct mp_error *err)
{
    return mp_recluster_with(ctx, NULL, category, st, err);
}

enum mp_status mp_recluster_with(struct mp_ctx *ctx, struct mp_ctx *reader, const char *category,
                                 struct mp_recluster_stats *st, struct mp_error *err)
{
    struct work w = {.ctx = ctx, .only = category};
    struct timespec t0, t1;
    enum mp_status rc;
    memset(st, 0, sizeof *st);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (category && !mp_city_category(ctx->city, category))
        return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'", category);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_store_defer_foreign_keys(ctx->db)) || (rc = prepare(&w))) {
        rc = mp_fail(err, rc, "unavailable", "cannot read the reports");
        goto out;
    }
    if (reader ? (rc = mp_recluster_feed(&w, reader)) != MP_OK
               : (rc = mp_store_replay_reports(ctx->db, category, take_rep, &w)) ||
                     (rc = w.rc)) {
        rc = mp_fail(err, rc, "unavailable", "re-clustering failed");
        goto out;
    }
    if ((rc = finish(&w))) {
        rc = mp_fail(err, rc, "unavailable", "cannot write the new clusters");
        goto out;
    }
    if ((rc = mp_store_commit(ctx->db, err)))
        goto out;
    st->reports = w.nreps;
    st->clusters_before = w.nold;
    st->clusters_after = w.nclusters;
    st->reports_moved = w.moved;
    st->constraints = (long)w.nedges / 2;
    st->peak_open = w.peak_open;
out:
    if (rc)
        mp_store_rollback(ctx->db);
    free(w.clus);
    free(w.hot);
    free(w.free_idx);
    mp_recluster_cells_free(&w.cells);
    if (w.queues)
        for (size_t i = 0; i < ctx->city->ncategories; i++)
            free(w.queues[i].v);
    free(w.queues);
    free(w.member_cats);
    free(w.max_window);
    free(w.edges);
    free(w.placed);
    free(w.unclaimed);
    free(w.seen);
    free(w.heirs);
    for (int i = 0; i < NBLOCKS; i++)
        free(w.blocks[i].st);
    free(w.cand);
    free(w.cand_addr);
    free(w.cand_idx);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
