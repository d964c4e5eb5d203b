#include "meldpunt/cluster.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/store.h"
#include "meldpunt/vocab.h"

bool mp_cluster_status_open(const char *status)
{
    const struct mp_vocab_status *s = mp_vocab_status_find(status);
    return s && s->open;
}

bool mp_cluster_status_valid(const char *status) { return mp_vocab_status_find(status) != NULL; }

static bool excluded(int64_t id, const int64_t *ex, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ex[i] == id)
            return true;
    return false;
}

/* A fixed cluster keeps absorbing for a while: neighbours who report the
 * pothole the day after the crew filled it are reporting the same job. */
static bool absorbing(const struct mp_category *cat, const struct mp_cluster_state *c, int64_t t)
{
    if (mp_cluster_status_open(c->status))
        return true;
    if (strcmp(c->status, "fixed") == 0 && cat->fixed_absorb_days > 0 && c->fixed_at > 0)
        return t - c->fixed_at <= (int64_t)cat->fixed_absorb_days * 86400;
    return false;
}

double mp_cluster_reach(const struct mp_category *cat)
{
    return cat->rule == MP_RULE_STREET && cat->along_m > cat->radius_m ? cat->along_m
                                                                       : cat->radius_m;
}

/* Street rule: the along-street distance from the probe's snapped point to
 * the cluster centre, projected on the street's direction; the centre must
 * also lie near that street line (within the across radius plus a margin
 * for reports pinned on either side). Returns -1 when not on the street. */
static double along_street(const struct mp_category *cat, const struct mp_cluster_probe *p,
                           const struct mp_cluster_state *c)
{
    if (!p->street || !c->street[0] || strcmp(p->street, c->street) != 0)
        return -1;
    double dx = c->x - p->sx, dy = c->y - p->sy;
    double along = fabs(dx * p->ux + dy * p->uy);
    double across = fabs(dx * p->uy - dy * p->ux);
    if (across > fmax(cat->radius_m, 25.0) * 2)
        return -1;
    return along;
}

/* The candidates are either an array (arr) or pointers to states (refs). */
static long choose(const struct mp_category *cat, const struct mp_cluster_probe *p,
                   const struct mp_cluster_state *arr, const struct mp_cluster_state *const *refs,
                   size_t n, const int64_t *exclude, size_t nexclude, struct mp_join_reason *why)
{
    long best = -1;
    double best_d = INFINITY, best_along = -1;
    const int64_t window = (int64_t)cat->window_days * 86400;
    const int64_t t = p->t;
#define CAND(i) (refs ? refs[i] : &arr[i])
    for (size_t i = 0; i < n; i++) {
        const struct mp_cluster_state *c = CAND(i);
        if (strcmp(c->category, cat->code) != 0 || excluded(c->id, exclude, nexclude) ||
            !absorbing(cat, c, t))
            continue;
        /* Reports may arrive out of order (imports, phone backlogs): compare
         * against the cluster's span, not only its latest report. */
        int64_t gap = t > c->last_at ? t - c->last_at : (t < c->first_at ? c->first_at - t : 0);
        if (gap > window)
            continue;
        double d = mp_geo_dist(p->x, p->y, c->x, c->y);
        double along = cat->rule == MP_RULE_STREET ? along_street(cat, p, c) : -1;
        bool match = d <= cat->radius_m || (along >= 0 && along <= cat->along_m);
        if (!match)
            continue;
        /* Ties go to the older cluster (lower id) so results are stable. */
        if (d < best_d || (d == best_d && best >= 0 && c->id < CAND(best)->id)) {
            best_d = d;
            best = (long)i;
            best_along = along;
        }
    }
    if (why) {
        memset(why, 0, sizeof *why);
        why->rule = cat->rule;
        why->radius_m = cat->radius_m;
        why->window_s = window;
        why->along_m = -1;
        if (best >= 0) {
            const struct mp_cluster_state *c = CAND(best);
            why->kind = "nearest";
            why->distance_m = best_d;
            why->along_m = best_along;
            why->street_match = p->street && c->street[0] && strcmp(p->street, c->street) == 0;
            why->age_s = t > c->last_at ? t - c->last_at : 0;
        } else {
            why->kind = "new";
        }
    }
#undef CAND
    return best;
}

long mp_cluster_choose_probe(const struct mp_category *cat, const struct mp_cluster_probe *p,
                             const struct mp_cluster_state *cand, size_t n,
                             const int64_t *exclude, size_t nexclude,
                             struct mp_join_reason *why)
{
    return choose(cat, p, cand, NULL, n, exclude, nexclude, why);
}

long mp_cluster_choose_refs(const struct mp_category *cat, const struct mp_cluster_probe *p,
                            const struct mp_cluster_state *const *cand, size_t n,
                            const int64_t *exclude, size_t nexclude, struct mp_join_reason *why)
{
    return choose(cat, p, NULL, cand, n, exclude, nexclude, why);
}

long mp_cluster_choose(const struct mp_category *cat, double x, double y, int64_t t,
                       const struct mp_cluster_state *cand, size_t n, const int64_t *exclude,
                       size_t nexclude, struct mp_join_reason *why)
{
    struct mp_cluster_probe p = {.x = x, .y = y, .t = t};
    return mp_cluster_choose_probe(cat, &p, cand, n, exclude, nexclude, why);
}

void mp_cluster_add_member(struct mp_cluster_state *st, double x, double y, int64_t t)
{
    if (st->report_count == 0) {
        st->first_at = st->last_at = t;
        st->sum_x = st->sum_y = 0;
    }
    st->report_count++;
    st->sum_x += x;
    st->sum_y += y;
    st->x = st->sum_x / (double)st->report_count;
    st->y = st->sum_y / (double)st->report_count;
    if (t < st->first_at)
        st->first_at = t;
    if (t > st->last_at)
        st->last_at = t;
}

void mp_join_reason_json(const struct mp_join_reason *why, char *out, size_t cap)
{
    char along[400] = "null";
    if (why->along_m >= 0)
        snprintf(along, sizeof along, "%.1f", why->along_m);
    int n = snprintf(out, cap,
                     "{\"kind\":\"%s\",\"rule\":\"%s\",\"distance_m\":%.1f,"
                     "\"along_street_m\":%s,\"street_match\":%s,\"age_s\":%lld,"
                     "\"radius_m\":%.1f,\"window_days\":%lld}",
                     why->kind ? why->kind : "new",
                     why->rule == MP_RULE_STREET ? "street" : "point", why->distance_m, along,
                     why->street_match ? "true" : "false", (long long)why->age_s, why->radius_m,
                     (long long)(why->window_s / 86400));
    if (n < 0 || (size_t)n >= cap)
        snprintf(out, cap, "{}");
}

enum mp_status mp_cluster_status_filter_add(struct mp_query *q, const char *item,
                                            struct mp_error *err)
{
    static const struct {
        const char *alias;
        enum mp_vocab_which members;
    } families[] = {
        {"open", MP_VOCAB_OPEN},
        {"unresolved", MP_VOCAB_OPEN},
        {"resolved", MP_VOCAB_RESOLVED},
    };
    for (size_t f = 0; f < sizeof families / sizeof *families; f++) {
        if (strcmp(item, families[f].alias) != 0)
            continue;
        q->nstatuses += mp_vocab_status_codes(families[f].members, q->statuses + q->nstatuses,
                                              MP_QUERY_MAX_LIST - q->nstatuses);
        return MP_OK;
    }
    if (!mp_cluster_status_valid(item)) {
        char all[128];
        (void)mp_vocab_status_list(all, sizeof all);
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "unknown status '%.24s' (use %s, open or resolved)", item, all);
    }
    if (q->nstatuses >= MP_QUERY_MAX_LIST)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "status lists too many items");
    q->statuses[q->nstatuses++] = item;
    return MP_OK;
}

/* ---- reading ---- */

enum mp_status mp_cluster_list(struct mp_ctx *ctx, const struct mp_query *q, mp_cluster_cb cb,
                               void *arg)
{
    return mp_store_clusters(ctx->db, q, cb, arg);
}

/* The lists are read before the cluster rather than the cluster copied: a
 * row's strings live only as long as its callback. For an unknown id both
 * lists are empty, so nothing reaches the callbacks before not_found. */
enum mp_status mp_cluster_view(struct mp_ctx *ctx, int64_t id, mp_report_cb member,
                               mp_history_cb history, mp_cluster_cb cluster, void *arg,
                               struct mp_error *err)
{
    enum mp_status rc = mp_store_cluster_reports(ctx->db, id, member, arg);
    if (rc == MP_OK)
        rc = mp_store_history(ctx->db, id, history, arg);
    if (rc == MP_OK)
        rc = mp_store_cluster_get(ctx->db, id, cluster, arg);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no cluster %lld", (long long)id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the cluster right now");
    return MP_OK;
}

enum mp_status mp_cluster_grid(struct mp_ctx *ctx, const struct mp_query *q, int zoom,
                               struct mp_bbox *origin, double *cell, mp_grid_cb cb, void *arg,
                               struct mp_error *err)
{
    *cell = 90.0 / pow(2.0, (double)zoom);
    *origin = (struct mp_bbox){-180.0, -90.0, 180.0, 90.0};
    enum mp_status rc = mp_store_grid_pyramid(ctx->db, q, zoom, cb, arg);
    if (rc == MP_EUNSUPPORTED) {
        /* Filters the pyramid does not keep (it answers so before any row):
         * aggregate the clusters. The store counts cells from the bbox corner
         * snapped to the lattice. */
        struct mp_query snapped = *q;
        snapped.bbox.min_lon = floor(q->bbox.min_lon / *cell) * *cell;
        snapped.bbox.min_lat = floor(q->bbox.min_lat / *cell) * *cell;
        origin->min_lon = snapped.bbox.min_lon;
        origin->min_lat = snapped.bbox.min_lat;
        rc = mp_store_cluster_grid(ctx->db, &snapped, *cell, cb, arg);
    }
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot aggregate clusters right now");
    return MP_OK;
}
