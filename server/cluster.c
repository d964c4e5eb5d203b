#include "meldpunt/cluster.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/buf.h"
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

bool mp_cluster_can_take(const struct mp_category *cat, const struct mp_cluster_state *c,
                         int64_t t)
{
    if (strcmp(c->category, cat->code) != 0 || !absorbing(cat, c, t))
        return false;
    /* Reports may arrive out of order (imports, phone backlogs): compare
     * against the cluster's span, not only its latest report. */
    int64_t gap = t > c->last_at ? t - c->last_at : (t < c->first_at ? c->first_at - t : 0);
    return gap <= (int64_t)cat->window_days * 86400;
}

bool mp_cluster_needs_numbers(const struct mp_category *cat, const struct mp_cluster_probe *p)
{
    if (!p->addr.street)
        return false;
    return cat->address_span > 0 || cat->rule == MP_RULE_ADDRESS ||
           (cat->rule == MP_RULE_STREET && p->addr.placed);
}

const char *mp_evidence_name(enum mp_evidence e)
{
    static const char *const names[MP_EV__COUNT] = {
        "none", "address_span", "along_numbers", "along_pins", "pin_distance", "same_as", "staff"};
    return e >= 0 && e < MP_EV__COUNT ? names[e] : "none";
}

double mp_cluster_reach(const struct mp_category *cat, double metres_per_number)
{
    double r = cat->radius_m;
    if (cat->rule != MP_RULE_POINT && cat->along_m > r)
        r = cat->along_m;
    /* Numbers within the span lie at most this far apart along a street. */
    double span = (double)cat->address_span * metres_per_number;
    return span > r ? span : r;
}

bool mp_cluster_in_reach(const struct mp_cluster_probe *p, double reach, double cx, double cy)
{
    if (fabs(cx - p->x) <= reach && fabs(cy - p->y) <= reach)
        return true;
    if (!p->addr.placed)
        return false;
    /* Around the placed number (or range), as around the pin. */
    double x0 = fmin(p->addr.px, p->addr.qx), x1 = fmax(p->addr.px, p->addr.qx);
    double y0 = fmin(p->addr.py, p->addr.qy), y1 = fmax(p->addr.py, p->addr.qy);
    return cx >= x0 - reach && cx <= x1 + reach && cy >= y0 - reach && cy <= y1 + reach;
}

void mp_cluster_search_box(const struct mp_cluster_probe *p, double reach, double *cx, double *cy,
                           double *half)
{
    double x0 = p->x, x1 = p->x, y0 = p->y, y1 = p->y;
    if (p->addr.placed) {
        x0 = fmin(x0, fmin(p->addr.px, p->addr.qx));
        x1 = fmax(x1, fmax(p->addr.px, p->addr.qx));
        y0 = fmin(y0, fmin(p->addr.py, p->addr.qy));
        y1 = fmax(y1, fmax(p->addr.py, p->addr.qy));
    }
    *cx = (x0 + x1) / 2;
    *cy = (y0 + y1) / 2;
    *half = fmax(x1 - x0, y1 - y0) / 2 + reach;
}

static unsigned sides_of(long lo, long hi)
{
    return (1u << (lo & 1)) | (1u << (hi & 1));
}

void mp_cluster_addr_add(struct mp_cluster_addr *span, const struct mp_address_ev *ev)
{
    if (!ev->street)
        return;
    if (!span->street) {
        *span = (struct mp_cluster_addr){ev->street, ev->lo, ev->hi, sides_of(ev->lo, ev->hi),
                                         ev->placed, ev->placed, ev->px, ev->py, ev->qx, ev->qy};
        return;
    }
    if (strcmp(span->street, ev->street) != 0)
        return;
    span->sides |= sides_of(ev->lo, ev->hi);
    if (ev->lo < span->lo) {
        span->lo = ev->lo;
        span->lo_placed = ev->placed;
        span->lx = ev->px;
        span->ly = ev->py;
    }
    if (ev->hi > span->hi) {
        span->hi = ev->hi;
        span->hi_placed = ev->placed;
        span->hx = ev->qx;
        span->hy = ev->qy;
    }
}

/* Street rule from the pins: the along-street distance from the probe's
 * snapped point to the cluster centre, projected on the street's
 * direction; the centre must also lie near that street line (within the
 * across radius plus a margin for reports pinned on either side). Returns
 * -1 when not on the street. */
static double along_pins(const struct mp_category *cat, const struct mp_cluster_probe *p,
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

/* What the numbers say about one candidate. */
struct numbers {
    long gap;        /* numbers between the report and the span; -1: not comparable */
    bool side_ok;    /* on a side the span has */
    double along;    /* metres between the placed numbers; -1: not measurable */
};

static struct numbers compare_numbers(const struct mp_cluster_probe *p,
                                      const struct mp_cluster_addr *a)
{
    struct numbers r = {-1, false, -1};
    const struct mp_address_ev *e = &p->addr;
    if (!e->street || !a || !a->street || strcmp(e->street, a->street) != 0)
        return r;
    r.gap = e->hi < a->lo ? a->lo - e->hi : e->lo > a->hi ? e->lo - a->hi : 0;
    r.side_ok = (sides_of(e->lo, e->hi) & a->sides) != 0;
    if (!e->placed)
        return r;
    if (r.gap == 0)
        r.along = 0;
    else if (e->hi < a->lo && a->lo_placed)
        r.along = hypot(e->qx - a->lx, e->qy - a->ly);
    else if (e->lo > a->hi && a->hi_placed)
        r.along = hypot(e->px - a->hx, e->py - a->hy);
    return r;
}

/* The candidates are either an array (arr) or pointers to states (refs);
 * addr (may be NULL) parallel to them. */
static long choose(const struct mp_category *cat, const struct mp_cluster_probe *p,
                   const struct mp_cluster_state *arr, const struct mp_cluster_state *const *refs,
                   const struct mp_cluster_addr *const *addr, size_t n, const int64_t *exclude,
                   size_t nexclude, struct mp_join_reason *why)
{
#define CAND(i) (refs ? refs[i] : &arr[i])
    long best = -1;
    double best_d = INFINITY, best_along = -1;
    long best_gap = -1;
    int best_tier = 2;
    enum mp_evidence best_ev = MP_EV_NONE;
    const int64_t window = (int64_t)cat->window_days * 86400;
    const int64_t t = p->t;
    for (size_t i = 0; i < n; i++) {
        const struct mp_cluster_state *c = CAND(i);
        if (excluded(c->id, exclude, nexclude) || !mp_cluster_can_take(cat, c, t))
            continue;
        double d = mp_geo_dist(p->x, p->y, c->x, c->y);
        struct numbers nb = compare_numbers(p, addr ? addr[i] : NULL);
        bool by_numbers = nb.gap >= 0 && nb.gap <= cat->address_span &&
                          (!cat->address_side || nb.side_ok);
        enum mp_evidence ev = MP_EV_NONE;
        double along = -1;
        const struct mp_cluster_addr *a = addr ? addr[i] : NULL;
        if (cat->rule == MP_RULE_ADDRESS && p->addr.street && a && a->street) {
            /* Both carry numbers: they alone decide. */
            if (by_numbers)
                ev = MP_EV_ADDRESS;
        } else {
            if (cat->rule != MP_RULE_POINT) {
                along = nb.along >= 0 ? nb.along : along_pins(cat, p, c);
                if (along >= 0 && along <= cat->along_m)
                    ev = nb.along >= 0 ? MP_EV_ALONG_NUMBERS : MP_EV_ALONG_PINS;
            }
            if (ev == MP_EV_NONE && d <= cat->radius_m)
                ev = MP_EV_PIN;
            if (cat->address_span > 0 && by_numbers)
                ev = MP_EV_ADDRESS;
        }
        if (ev == MP_EV_NONE)
            continue;
        /* Numbers that match outrank pins: fewest numbers apart, then the
         * nearest centre; ties go to the older cluster (lower id). */
        int tier = ev == MP_EV_ADDRESS ? 0 : 1;
        long g = tier == 0 ? nb.gap : 0;
        bool better = best < 0 || tier < best_tier;
        if (!better && tier == best_tier)
            better = g < best_gap ||
                     (g == best_gap && (d < best_d || (d == best_d && c->id < CAND(best)->id)));
        if (better) {
            best = (long)i;
            best_d = d;
            best_along = along;
            best_gap = g;
            best_tier = tier;
            best_ev = ev;
        }
    }
    if (why) {
        memset(why, 0, sizeof *why);
        why->rule = cat->rule;
        why->radius_m = cat->radius_m;
        why->along_limit_m = cat->along_m;
        why->address_span = cat->address_span;
        why->window_s = window;
        why->along_m = -1;
        why->number_gap = -1;
        if (best >= 0) {
            const struct mp_cluster_state *c = CAND(best);
            why->kind = "nearest";
            why->evidence = best_ev;
            why->distance_m = best_d;
            why->along_m = best_along;
            why->number_gap = compare_numbers(p, addr ? addr[best] : NULL).gap;
            why->street_match = p->street && c->street[0] && strcmp(p->street, c->street) == 0;
            why->age_s = t > c->last_at ? t - c->last_at : 0;
        } else {
            why->kind = "new";
        }
    }
#undef CAND
    return best;
}

long mp_cluster_choose_ev(const struct mp_category *cat, const struct mp_cluster_probe *p,
                          const struct mp_cluster_state *const *cand,
                          const struct mp_cluster_addr *const *addr, size_t n,
                          const int64_t *exclude, size_t nexclude, struct mp_join_reason *why)
{
    return choose(cat, p, NULL, cand, addr, n, exclude, nexclude, why);
}

long mp_cluster_choose_refs(const struct mp_category *cat, const struct mp_cluster_probe *p,
                            const struct mp_cluster_state *const *cand, size_t n,
                            const int64_t *exclude, size_t nexclude, struct mp_join_reason *why)
{
    return choose(cat, p, NULL, cand, NULL, n, exclude, nexclude, why);
}

long mp_cluster_choose_probe(const struct mp_category *cat, const struct mp_cluster_probe *p,
                             const struct mp_cluster_state *cand, size_t n,
                             const int64_t *exclude, size_t nexclude,
                             struct mp_join_reason *why)
{
    return choose(cat, p, cand, NULL, NULL, n, exclude, nexclude, why);
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

/* A bounded writer of the join reason: the writer thread formats one per
 * report, and snprintf's parsing and float conversion were most of it. */
struct reason_out {
    char *p, *end; /* end: the last byte, kept for the NUL */
    bool over;
};

static void put_mem(struct reason_out *o, const char *s, size_t n)
{
    if (o->over || n > (size_t)(o->end - o->p)) {
        o->over = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

static void put_s(struct reason_out *o, const char *s) { put_mem(o, s, strlen(s)); }

static void put_i(struct reason_out *o, int64_t v)
{
    char tmp[MP_JSON_INT_MAX];
    put_mem(o, tmp, (size_t)(mp_json_put_int(tmp, v) - tmp));
}

/* v as "%.1f" writes it, byte for byte. In integers when v * 10 is safely
 * away from a half (its rounding error is below 1e-7 there, far inside the
 * 1e-6 margin), so that the rounded digit is certain; else (ties, negative
 * values, huge ones, NaN) by snprintf. */
static void put_f1(struct reason_out *o, double v)
{
    char tmp[320]; /* "%.1f" of DBL_MAX: 309 digits and ".0" */
    if (v >= 0 && v < 1e8 && !signbit(v)) {
        double s = v * 10, f = floor(s), frac = s - f;
        if (fabs(frac - 0.5) > 1e-6) {
            int64_t n = (int64_t)f + (frac > 0.5);
            char *t = mp_json_put_int(tmp, n / 10);
            *t++ = '.';
            *t++ = (char)('0' + n % 10);
            put_mem(o, tmp, (size_t)(t - tmp));
            return;
        }
    }
    int n = snprintf(tmp, sizeof tmp, "%.1f", v);
    if (n < 0 || (size_t)n >= sizeof tmp)
        o->over = true;
    else
        put_mem(o, tmp, (size_t)n);
}

void mp_join_reason_json(const struct mp_join_reason *why, char *out, size_t cap)
{
    if (!cap)
        return;
    struct reason_out o = {out, out + cap - 1, false};
    put_s(&o, "{\"kind\":\"");
    put_s(&o, why->kind ? why->kind : "new");
    put_s(&o, "\",\"rule\":\"");
    put_s(&o, mp_rule_name(why->rule));
    put_s(&o, "\",\"evidence\":\"");
    put_s(&o, mp_evidence_name(why->evidence));
    put_s(&o, "\",\"distance_m\":");
    put_f1(&o, why->distance_m);
    put_s(&o, ",\"along_street_m\":");
    if (why->along_m >= 0)
        put_f1(&o, why->along_m);
    else
        put_s(&o, "null");
    put_s(&o, ",\"number_gap\":");
    if (why->number_gap >= 0)
        put_i(&o, why->number_gap);
    else
        put_s(&o, "null");
    put_s(&o, why->street_match ? ",\"street_match\":true,\"age_s\":"
                                : ",\"street_match\":false,\"age_s\":");
    put_i(&o, why->age_s);
    put_s(&o, ",\"radius_m\":");
    put_f1(&o, why->radius_m);
    put_s(&o, ",\"along_limit_m\":");
    put_f1(&o, why->along_limit_m);
    put_s(&o, ",\"address_span\":");
    put_i(&o, why->address_span);
    put_s(&o, ",\"window_days\":");
    put_i(&o, why->window_s / 86400);
    /* The limit of the evidence that decided, so that a page can say
     * "62 m along the street (limit 100 m)" without knowing the rules. */
    put_s(&o, ",\"limit_m\":");
    if (why->evidence == MP_EV_PIN)
        put_f1(&o, why->radius_m);
    else if (why->evidence == MP_EV_ALONG_NUMBERS || why->evidence == MP_EV_ALONG_PINS)
        put_f1(&o, why->along_limit_m);
    else
        put_s(&o, "null");
    put_s(&o, ",\"limit_numbers\":");
    if (why->evidence == MP_EV_ADDRESS)
        put_i(&o, why->address_span);
    else
        put_s(&o, "null");
    put_s(&o, "}");
    if (o.over) {
        if (cap >= 3)
            memcpy(out, "{}", 3);
        else
            out[0] = '\0';
        return;
    }
    *o.p = '\0';
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

/* Cells of the lattice of size cell that box touches along one axis. */
static double cells_across(double lo, double hi, double cell)
{
    return floor(hi / cell) - floor(lo / cell) + 1;
}

int mp_cluster_grid_zoom(const struct mp_bbox *box, int zoom, unsigned max_cells)
{
    while (max_cells && zoom > 0) {
        double cell = 90.0 / pow(2.0, (double)zoom);
        if (cells_across(box->min_lon, box->max_lon, cell) *
                cells_across(box->min_lat, box->max_lat, cell) <=
            (double)max_cells)
            break;
        zoom--;
    }
    return zoom;
}

enum mp_status mp_cluster_grid(struct mp_ctx *ctx, const struct mp_query *q, int *zoom_io,
                               unsigned max_cells, struct mp_bbox *origin, double *cell,
                               mp_grid_cb cb, void *arg, struct mp_error *err)
{
    int zoom = *zoom_io = mp_cluster_grid_zoom(&q->bbox, *zoom_io, max_cells);
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
