/* recluster.c - replay every report under the current rules. The replay
 * runs in memory over a grid of cluster centres (one hash look-up per
 * neighbouring cell instead of one SQL query per report), through the same
 * mp_cluster_choose_probe as live inserts, so that inserting one by one and
 * replaying give the same clusters. Results are written back in the same
 * write transaction that read the reports. */
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
#include "meldpunt/report.h"
#include "meldpunt/store.h"

#define CELL 250.0
#define MAX_CAND 256

struct rep {
    int64_t id, old_cluster, t;
    uint32_t cat;     /* index into city->categories */
    uint32_t cluster; /* index into clusters after the replay */
    double x, y, lon, lat;
    char *address;    /* owned */
    char join[200];
};

struct clu {
    struct mp_cluster_state st; /* st.id: the database id once known, else 0 */
    uint32_t cat;
    int64_t cell;               /* hash slot's key it is listed under */
    long prev, next;            /* intrusive list of its cell */
};

struct slot {
    uint64_t key;
    long head; /* first cluster, -1 when empty */
    bool used;
};

struct work {
    struct mp_ctx *ctx;
    const char *only;
    struct rep *reps;
    size_t nreps, capreps;
    struct clu *clus;
    size_t nclus, capclus;
    struct slot *slots;
    size_t nslots, usedslots;
    /* constraints, as an edge list sorted by report id */
    int64_t (*edges)[3]; /* a, b, must */
    size_t nedges, capedges;
    /* old clusters: id -> state (sorted by id) */
    struct mp_cluster_state *old;
    struct mp_cluster_state *orig; /* copy of old as stored */
    size_t nold, capold;
    enum mp_status rc;
};

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

static struct slot *find_slot(struct work *w, uint64_t key, bool create)
{
    if (create && (w->usedslots + 1) * 2 > w->nslots) {
        size_t n = w->nslots ? w->nslots * 2 : 1024;
        struct slot *s = calloc(n, sizeof *s);
        if (!s)
            return NULL;
        for (size_t i = 0; i < w->nslots; i++) {
            if (!w->slots[i].used)
                continue;
            size_t j = mix(w->slots[i].key) & (n - 1);
            while (s[j].used)
                j = (j + 1) & (n - 1);
            s[j] = w->slots[i];
        }
        free(w->slots);
        w->slots = s;
        w->nslots = n;
    }
    if (!w->nslots)
        return NULL;
    size_t j = mix(key) & (w->nslots - 1);
    while (w->slots[j].used) {
        if (w->slots[j].key == key)
            return &w->slots[j];
        j = (j + 1) & (w->nslots - 1);
    }
    if (!create)
        return NULL;
    w->slots[j] = (struct slot){key, -1, true};
    w->usedslots++;
    return &w->slots[j];
}

static uint64_t key_of(const struct clu *c)
{
    return cell_key(c->cat, (long)floor(c->st.x / CELL), (long)floor(c->st.y / CELL));
}

static bool cell_link(struct work *w, long i)
{
    struct clu *c = &w->clus[i];
    struct slot *s = find_slot(w, key_of(c), true);
    if (!s)
        return false;
    c->cell = (int64_t)s->key;
    c->prev = -1;
    c->next = s->head;
    if (s->head >= 0)
        w->clus[s->head].prev = i;
    s->head = i;
    return true;
}

static void cell_unlink(struct work *w, long i)
{
    struct clu *c = &w->clus[i];
    struct slot *s = find_slot(w, (uint64_t)c->cell, false);
    if (c->prev >= 0)
        w->clus[c->prev].next = c->next;
    else if (s)
        s->head = c->next;
    if (c->next >= 0)
        w->clus[c->next].prev = c->prev;
}

static int take_rep(void *p, const struct mp_replay_row *r)
{
    struct work *w = p;
    const struct mp_category *cat = mp_city_category(w->ctx->city, r->category);
    if (!cat)
        return 0; /* a category the pack no longer has stays where it is */
    if (w->nreps == w->capreps) {
        size_t n = w->capreps ? w->capreps * 2 : 4096;
        struct rep *nr = realloc(w->reps, n * sizeof *nr);
        if (!nr) {
            w->rc = MP_ENOMEM;
            return 1;
        }
        w->reps = nr;
        w->capreps = n;
    }
    struct rep *d = &w->reps[w->nreps];
    memset(d, 0, sizeof *d);
    d->id = r->id;
    d->old_cluster = r->cluster_id;
    d->t = r->created_at;
    d->cat = (uint32_t)(cat - w->ctx->city->categories);
    d->x = r->x;
    d->y = r->y;
    d->lon = r->lon;
    d->lat = r->lat;
    if (r->address && !(d->address = strdup(r->address))) {
        w->rc = MP_ENOMEM;
        return 1;
    }
    w->nreps++;
    return 0;
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

static int take_old(void *p, const struct mp_cluster_state *st)
{
    struct work *w = p;
    if (w->nold == w->capold) {
        size_t n = w->capold ? w->capold * 2 : 4096;
        struct mp_cluster_state *no = realloc(w->old, n * sizeof *no);
        if (!no) {
            w->rc = MP_ENOMEM;
            return 1;
        }
        w->old = no;
        w->capold = n;
    }
    w->old[w->nold++] = *st;
    return 0;
}

static int cmp_edge(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

static int cmp_state(const void *a, const void *b)
{
    const struct mp_cluster_state *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static struct mp_cluster_state *old_state(struct work *w, int64_t id)
{
    struct mp_cluster_state key = {.id = id};
    /* qsort and bsearch take no NULL array, even with no elements. */
    return w->nold ? bsearch(&key, w->old, w->nold, sizeof *w->old, cmp_state) : NULL;
}

struct placed {
    int64_t *ids;   /* sorted report ids */
    long *cluster;  /* cluster index per id, -1 while not yet replayed */
};

static long placed_cluster(const struct placed *pl, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pl->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && pl->ids[lo] == id ? pl->cluster[lo] : -1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static enum mp_status replay(struct work *w, long *moved)
{
    const struct mp_city *city = w->ctx->city;
    struct mp_cluster_state *cand = malloc(MAX_CAND * sizeof *cand);
    long *cand_idx = malloc(MAX_CAND * sizeof *cand_idx);
    struct placed pl = {malloc((w->nreps + 1) * sizeof *pl.ids),
                        malloc((w->nreps + 1) * sizeof *pl.cluster)};
    enum mp_status rc = MP_OK;
    if (!cand || !cand_idx || !pl.ids || !pl.cluster) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < w->nreps; i++)
        pl.ids[i] = w->reps[i].id;
    qsort(pl.ids, w->nreps, sizeof *pl.ids, cmp_i64);
    for (size_t i = 0; i < w->nreps; i++)
        pl.cluster[i] = -1;
    if (w->nedges)
        qsort(w->edges, w->nedges, sizeof *w->edges, cmp_edge);
    *moved = 0;

    for (size_t i = 0; i < w->nreps; i++) {
        struct rep *r = &w->reps[i];
        const struct mp_category *cat = &city->categories[r->cat];
        struct mp_cluster_probe probe;
        char location[128];
        mp_report_probe(w->ctx, r->address, r->x, r->y, r->t, &probe, location, sizeof location);

        /* Staff corrections first: a must-link partner already replayed
         * decides; cannot-link partners' clusters are excluded. */
        long forced = -1;
        int64_t exclude[MP_NOT_SAME_MAX];
        size_t nex = 0;
        int64_t key[3] = {r->id, 0, 0};
        int64_t(*e)[3] =
            w->nedges ? bsearch(key, w->edges, w->nedges, sizeof *w->edges, cmp_edge) : NULL;
        if (e) {
            while (e > w->edges && e[-1][0] == r->id)
                e--;
            for (; e < w->edges + w->nedges && (*e)[0] == r->id; e++) {
                long c = placed_cluster(&pl, w->nreps, (*e)[1]);
                if (c < 0 || w->clus[c].cat != r->cat)
                    continue;
                /* Candidates carry index + 1 as their id (see below). */
                if ((*e)[2])
                    forced = c;
                else if (nex < MP_NOT_SAME_MAX)
                    exclude[nex++] = c + 1;
            }
        }
        long chosen = forced;
        struct mp_join_reason why;
        memset(&why, 0, sizeof why);
        why.along_m = -1;
        if (chosen < 0) {
            double reach = mp_cluster_reach(cat);
            long r0 = (long)ceil(reach / CELL);
            long cx0 = (long)floor(r->x / CELL), cy0 = (long)floor(r->y / CELL);
            size_t n = 0;
            for (long cx = cx0 - r0; cx <= cx0 + r0; cx++)
                for (long cy = cy0 - r0; cy <= cy0 + r0; cy++) {
                    struct slot *s = find_slot(w, cell_key(r->cat, cx, cy), false);
                    for (long c = s ? s->head : -1; c >= 0 && n < MAX_CAND; c = w->clus[c].next) {
                        cand[n] = w->clus[c].st;
                        /* Candidates carry their index as a stand-in id so
                         * that exclusions and tie-breaks use creation order,
                         * as database ids do on insert. */
                        cand[n].id = c + 1;
                        cand_idx[n++] = c;
                    }
                }
            long best = mp_cluster_choose_probe(cat, &probe, cand, n, exclude, nex, &why);
            chosen = best >= 0 ? cand_idx[best] : -1;
        } else {
            why.kind = "staff";
            why.rule = cat->rule;
        }
        if (chosen >= 0) {
            struct clu *c = &w->clus[chosen];
            cell_unlink(w, chosen);
            mp_cluster_add_member(&c->st, r->x, r->y, r->t);
            if (mp_geo_inverse(w->ctx->geo, c->st.x, c->st.y, &c->st.lon, &c->st.lat) != MP_OK) {
                rc = MP_EINVAL;
                goto out;
            }
            if (!cell_link(w, chosen)) {
                rc = MP_ENOMEM;
                goto out;
            }
        } else {
            if (w->nclus == w->capclus) {
                size_t n = w->capclus ? w->capclus * 2 : 4096;
                struct clu *nc = realloc(w->clus, n * sizeof *nc);
                if (!nc) {
                    rc = MP_ENOMEM;
                    goto out;
                }
                w->clus = nc;
                w->capclus = n;
            }
            chosen = (long)w->nclus++;
            struct clu *c = &w->clus[chosen];
            memset(c, 0, sizeof *c);
            c->cat = r->cat;
            snprintf(c->st.category, sizeof c->st.category, "%s", cat->code);
            snprintf(c->st.status, sizeof c->st.status, "new");
            snprintf(c->st.street, sizeof c->st.street, "%s", probe.street ? probe.street : "");
            snprintf(c->st.location, sizeof c->st.location, "%s", location);
            const struct mp_district *d = mp_city_district_at(city, r->lon, r->lat);
            snprintf(c->st.district, sizeof c->st.district, "%s", d ? d->code : "");
            mp_cluster_add_member(&c->st, r->x, r->y, r->t);
            /* As on insert: a cluster of one sits exactly on its report. */
            c->st.lon = r->lon;
            c->st.lat = r->lat;
            if (!cell_link(w, chosen)) {
                rc = MP_ENOMEM;
                goto out;
            }
            /* Keep the old cluster's identity, status and district when its
             * first report still starts a cluster. */
            struct mp_cluster_state *o = old_state(w, r->old_cluster);
            if (o && o->report_count >= 0) {
                c->st.id = o->id;
                snprintf(c->st.status, sizeof c->st.status, "%s", o->status);
                snprintf(c->st.district, sizeof c->st.district, "%s", o->district);
                c->st.fixed_at = o->fixed_at;
                o->report_count = -1; /* claimed */
            }
        }
        r->cluster = (uint32_t)chosen;
        mp_join_reason_json(&why, r->join, sizeof r->join);
        size_t lo = 0, hi = w->nreps;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (pl.ids[mid] < r->id)
                lo = mid + 1;
            else
                hi = mid;
        }
        pl.cluster[lo] = chosen;
    }
out:
    free(cand);
    free(cand_idx);
    free(pl.ids);
    free(pl.cluster);
    return rc;
}

static bool same_state(const struct mp_cluster_state *a, const struct mp_cluster_state *b)
{
    return a->report_count == b->report_count && a->sum_x == b->sum_x && a->sum_y == b->sum_y &&
           a->first_at == b->first_at && a->last_at == b->last_at && a->lon == b->lon &&
           a->lat == b->lat && strcmp(a->status, b->status) == 0 &&
           strcmp(a->street, b->street) == 0 && strcmp(a->location, b->location) == 0 &&
           strcmp(a->district, b->district) == 0;
}

static enum mp_status write_back(struct work *w, long *moved)
{
    enum mp_status rc = MP_OK;
    struct mp_ctx *ctx = w->ctx;
    int64_t *heir = calloc(w->nold + 1, sizeof *heir);
    if (!heir)
        return MP_ENOMEM;
    /* 1. Clusters: update claimed ids, create the rest. */
    for (size_t i = 0; i < w->nclus; i++) {
        struct clu *c = &w->clus[i];
        if (c->st.id) {
            /* A replay on unchanged data reproduces the clusters exactly (same
             * members in the same order, so the same sums): write only what
             * changed. */
            const struct mp_cluster_state *o = old_state(w, c->st.id);
            if (o && o->report_count == -1 && same_state(&c->st, &w->orig[o - w->old]))
                continue;
            if ((rc = mp_store_cluster_update(ctx->db, &c->st)))
                goto out;
        } else {
            if ((rc = mp_store_cluster_create(ctx->db, &c->st, &c->st.id)))
                goto out;
            struct mp_history_rec h = {.cluster_id = c->st.id, .at = c->st.first_at,
                                       .status = "new", .note_public = true,
                                       .actor = "recluster"};
            if ((rc = mp_store_history_add(ctx->db, &h)))
                goto out;
        }
    }
    /* 2. Reports that changed cluster. */
    *moved = 0;
    for (size_t i = 0; i < w->nreps; i++) {
        struct rep *r = &w->reps[i];
        const struct clu *c = &w->clus[r->cluster];
        struct mp_cluster_state *o = old_state(w, r->old_cluster);
        if (o && !heir[o - w->old]) /* reports come in time order: the first one */
            heir[o - w->old] = c->st.id;
        if (c->st.id == r->old_cluster)
            continue;
        if ((rc = mp_store_report_set_cluster(ctx->db, r->id, c->st.id, c->st.status, r->join)))
            goto out;
        (*moved)++;
    }
    /* 3. Old clusters nobody claimed are empty now; their history follows
     * their first report. */
    for (size_t i = 0; i < w->nold; i++) {
        if (w->old[i].report_count < 0)
            continue;
        if ((rc = mp_store_cluster_delete(ctx->db, w->old[i].id, heir[i])))
            goto out;
    }
out:
    free(heir);
    return rc;
}

enum mp_status mp_recluster(struct mp_ctx *ctx, const char *category,
                            struct mp_recluster_stats *st, struct mp_error *err)
{
    struct work w = {.ctx = ctx, .only = category};
    struct timespec t0, t1;
    enum mp_status rc;
    long moved = 0;
    memset(st, 0, sizeof *st);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (category && !mp_city_category(ctx->city, category))
        return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'", category);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_store_replay_reports(ctx->db, category, take_rep, &w)) || (rc = w.rc) ||
        (rc = mp_store_constraints(ctx->db, take_edge, &w)) || (rc = w.rc) ||
        (rc = mp_store_cluster_states(ctx->db, category, take_old, &w)) || (rc = w.rc)) {
        rc = mp_fail(err, rc, "unavailable", "cannot read the reports");
        goto out;
    }
    if (w.nold)
        qsort(w.old, w.nold, sizeof *w.old, cmp_state);
    /* The replay marks claimed clusters in w.old; keep the stored states. */
    w.orig = malloc((w.nold + 1) * sizeof *w.orig);
    if (!w.orig) {
        rc = mp_fail(err, MP_ENOMEM, "internal", "out of memory");
        goto out;
    }
    if (w.nold)
        memcpy(w.orig, w.old, w.nold * sizeof *w.orig);
    if ((rc = replay(&w, &moved))) {
        rc = mp_fail(err, rc, "internal", "re-clustering failed");
        goto out;
    }
    if ((rc = write_back(&w, &moved))) {
        rc = mp_fail(err, rc, "unavailable", "cannot write the new clusters");
        goto out;
    }
    if ((rc = mp_store_commit(ctx->db, err)))
        goto out;
    st->reports = (long)w.nreps;
    st->clusters_before = (long)w.nold;
    st->clusters_after = (long)w.nclus;
    st->reports_moved = moved;
    st->constraints = (long)w.nedges / 2;
out:
    if (rc)
        mp_store_rollback(ctx->db);
    for (size_t i = 0; i < w.nreps; i++)
        free(w.reps[i].address);
    free(w.reps);
    free(w.clus);
    free(w.slots);
    free(w.edges);
    free(w.old);
    free(w.orig);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}
