/* stats.c - service-level statistics (see stats.h for the definitions). */
#include "meldpunt/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/region.h"
#include "meldpunt/cluster.h"
#include "meldpunt/store_stats.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/workdays.h"

double mp_stats_percentile(const double *sorted, size_t n, double p)
{
    if (n == 1)
        return sorted[0];
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1)
        return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

struct acc {
    struct mp_ctx *ctx;
    const struct mp_stats_params *p;
    struct mp_stats_result *res;
    size_t nextra;   /* category/district groups: index of the "other" group */
    int64_t first_monday;
    bool failed;
    /* A region's lookups, made once per request (make_members) so that a
     * row costs one binary search in the whole's districts, not one in each
     * of the members' (35 in Halle-Vilvoorde), and no category search in
     * its member: owned, NULL for a city. */
    size_t *member_of;                  /* whole district index -> member index */
    const struct mp_category **mcat;    /* member * whole ncategories + category */
    size_t wanted;                      /* p->municipality's member index */
};

static bool add_ttf(struct mp_stats_group *g, double v)
{
    if (g->nttf == g->cap_ttf) {
        size_t nc = g->cap_ttf ? g->cap_ttf * 2 : 64;
        double *n = realloc(g->ttf, nc * sizeof *n);
        if (!n)
            return false;
        g->ttf = n;
        g->cap_ttf = nc;
    }
    g->ttf[g->nttf++] = v;
    return true;
}

static struct mp_stats_group *group_of(struct acc *a, const struct mp_stats_row *r,
                                       const struct mp_category *cat,
                                       const struct mp_district *d, size_t member)
{
    const struct mp_city *city = a->ctx->city;
    struct mp_stats_result *res = a->res;
    switch (a->p->by) {
    case MP_STATS_BY_CATEGORY:
        return cat ? &res->groups[cat - city->categories] : &res->groups[a->nextra];
    case MP_STATS_BY_DISTRICT:
        return d ? &res->groups[d - city->districts] : &res->groups[a->nextra];
    case MP_STATS_BY_WEEK: {
        int64_t day = mp_workdays_local_day(a->ctx->tz, r->created_at);
        int64_t i = (day - a->first_monday) / 7;
        if (i < 0 || (size_t)i >= res->ngroups)
            return NULL; /* cannot happen for rows inside [from, to) */
        return &res->groups[i];
    }
    case MP_STATS_BY_MUNICIPALITY:
        return &res->groups[member < a->nextra ? member : a->nextra];
    }
    return NULL;
}

static void count(struct acc *a, struct mp_stats_group *g, const struct mp_stats_row *r,
                  const struct mp_category *cat, bool open, bool fixed, double ttf,
                  bool overdue, double age)
{
    const int n = a->p->within_days;
    g->received++;
    if (open) {
        g->open++;
        if (overdue)
            g->overdue_open++;
        if (n > 0 && age > (double)n)
            g->overdue_days_open++;
    } else if (fixed) {
        g->fixed++;
        if (cat && ttf <= (double)cat->service_days)
            g->within++;
        if (n > 0 && ttf <= (double)n)
            g->within_days_fixed++;
        if (!add_ttf(g, ttf))
            a->failed = true;
    } else {
        g->closed_unfixed++;
    }
    (void)r;
}

static int on_row(void *p, const struct mp_stats_row *r)
{
    struct acc *a = p;
    const struct mp_city *whole = a->ctx->city;
    /* The district is looked up when it is used: by_district or a region. */
    const struct mp_district *d =
        r->district && (a->member_of || a->p->by == MP_STATS_BY_DISTRICT)
            ? mp_city_district(whole, r->district)
            : NULL;
    const struct mp_category *cat = mp_city_category(whole, r->category);
    /* The report's own municipality's rules (a region), else the pack's. */
    const struct mp_city *rules = whole;
    const struct mp_category *rcat = cat;
    size_t member = SIZE_MAX;
    if (a->member_of) {
        const struct mp_region *region = a->ctx->region;
        /* A district the whole does not list (not in a pack that loads)
         * is looked for member by member, as before the table. */
        member = d ? a->member_of[d - whole->districts]
                   : mp_region_member_index_of_district(region, r->district);
        if (member != SIZE_MAX) {
            rules = region->members[member].city;
            rcat = cat ? a->mcat[member * whole->ncategories + (size_t)(cat - whole->categories)]
                       : mp_city_category(rules, r->category);
        }
    }
    if (a->p->municipality && (member == SIZE_MAX || member != a->wanted))
        return 0;
    bool open = mp_cluster_status_open(r->status);
    bool fixed = !open && r->fixed_at > 0 &&
                 (strcmp(r->status, "fixed") == 0 || strcmp(r->status, "closed") == 0);
    double ttf = 0, age = 0;
    bool overdue = false;
    if (fixed)
        ttf = mp_workdays_between(rules, a->ctx->tz, r->created_at,
                                  r->fixed_at > r->created_at ? r->fixed_at : r->created_at);
    else if (open && (rcat || a->p->within_days > 0)) {
        age = mp_workdays_between(rules, a->ctx->tz, r->created_at, a->p->now);
        overdue = rcat && age > (double)rcat->service_days;
    }
    struct mp_stats_group *g = group_of(a, r, cat, d, member);
    count(a, &a->res->total, r, rcat, open, fixed, ttf, overdue, age);
    if (g)
        count(a, g, r, rcat, open, fixed, ttf, overdue, age);
    return a->failed ? 1 : 0;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void finish(struct mp_stats_group *g, int within_days)
{
    if (g->nttf) {
        qsort(g->ttf, g->nttf, sizeof *g->ttf, cmp_double);
        g->has_ttf = true;
        g->median = mp_stats_percentile(g->ttf, g->nttf, 0.5);
        g->p90 = mp_stats_percentile(g->ttf, g->nttf, 0.9);
    }
    int64_t due = g->fixed + g->overdue_open;
    if (due > 0) {
        g->has_share = true;
        g->share_within = (double)g->within / (double)due;
    }
    int64_t due_days = g->fixed + g->overdue_days_open;
    if (within_days > 0 && due_days > 0) {
        g->has_share_days = true;
        g->share_within_days = (double)g->within_days_fixed / (double)due_days;
    }
    free(g->ttf);
    g->ttf = NULL;
    g->nttf = g->cap_ttf = 0;
}

static enum mp_status make_groups(struct acc *a, struct mp_error *err)
{
    const struct mp_city *city = a->ctx->city;
    const struct mp_stats_params *p = a->p;
    struct mp_stats_result *res = a->res;
    size_t n = 0;
    if (p->by == MP_STATS_BY_CATEGORY) {
        n = city->ncategories + 1;
        a->nextra = city->ncategories;
    } else if (p->by == MP_STATS_BY_DISTRICT) {
        n = city->ndistricts + 1;
        a->nextra = city->ndistricts;
    } else if (p->by == MP_STATS_BY_MUNICIPALITY) {
        const struct mp_region *r = a->ctx->region;
        if (!r || r->of_one)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "group_by=municipality needs a region pack; this is one city");
        n = r->nmembers + 1;
        a->nextra = r->nmembers;
    } else {
        int64_t d0 = mp_workdays_local_day(a->ctx->tz, p->from);
        int64_t d1 = mp_workdays_local_day(a->ctx->tz, p->to - 1);
        /* Mondays: ISO weekday of day d is ((d + 3) mod 7) + 1. */
        a->first_monday = d0 - ((d0 % 7) + 7 + 3) % 7;
        int64_t weeks = (d1 - a->first_monday) / 7 + 1;
        if (weeks > MP_STATS_MAX_WEEKS)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "group_by=week covers at most %d weeks; shorten from..to",
                           MP_STATS_MAX_WEEKS);
        n = (size_t)weeks;
    }
    res->groups = calloc(n, sizeof *res->groups);
    if (!res->groups)
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    res->ngroups = n;
    for (size_t i = 0; i < n; i++) {
        struct mp_stats_group *g = &res->groups[i];
        if (p->by == MP_STATS_BY_CATEGORY && i < city->ncategories) {
            snprintf(g->key, sizeof g->key, "%s", city->categories[i].code);
            g->name = city->categories[i].name_en;
            g->service_days = city->categories[i].service_days;
        } else if (p->by == MP_STATS_BY_DISTRICT && i < city->ndistricts) {
            snprintf(g->key, sizeof g->key, "%s", city->districts[i].code);
            g->name = city->districts[i].name;
        } else if (p->by == MP_STATS_BY_MUNICIPALITY && i < a->nextra) {
            const struct mp_city *m = a->ctx->region->members[i].city;
            snprintf(g->key, sizeof g->key, "%s", m->id);
            g->name = m->name;
        } else if (p->by == MP_STATS_BY_WEEK) {
            int y;
            unsigned w;
            g->week_start = a->first_monday + (int64_t)i * 7;
            mp_workdays_iso_week(g->week_start, &y, &w);
            snprintf(g->key, sizeof g->key, "%04d-W%02u", y, w);
        } else {
            snprintf(g->key, sizeof g->key, "%s", p->by == MP_STATS_BY_CATEGORY ? "other" : "");
        }
    }
    snprintf(res->total.key, sizeof res->total.key, "total");
    return MP_OK;
}

/* A region's per-request tables (struct acc): each whole district's member,
 * the first whose districts hold its code, as mp_region_member_index_of_district
 * finds it; each member's own version of each whole category (NULL where the
 * member omits it); the member p->municipality names (SIZE_MAX: none). */
static enum mp_status make_members(struct acc *a, struct mp_error *err)
{
    const struct mp_region *region = a->ctx->region;
    const struct mp_city *whole = a->ctx->city;
    a->wanted = SIZE_MAX;
    if (!region || region->of_one)
        return MP_OK;
    a->member_of = malloc((whole->ndistricts ? whole->ndistricts : 1) * sizeof *a->member_of);
    a->mcat = calloc(region->nmembers * whole->ncategories + 1, sizeof *a->mcat);
    if (!a->member_of || !a->mcat)
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    for (size_t i = 0; i < whole->ndistricts; i++)
        a->member_of[i] = SIZE_MAX;
    for (size_t m = region->nmembers; m-- > 0;) {
        const struct mp_city *c = region->members[m].city;
        /* Backwards, so that the first member listing a code keeps it. */
        for (size_t i = 0; i < c->ndistricts; i++) {
            const struct mp_district *d = mp_city_district(whole, c->districts[i].code);
            if (d)
                a->member_of[d - whole->districts] = m;
        }
        for (size_t k = 0; k < whole->ncategories; k++)
            a->mcat[m * whole->ncategories + k] = mp_city_category(c, whole->categories[k].code);
        if (a->p->municipality && strcmp(c->id, a->p->municipality) == 0)
            a->wanted = m;
    }
    return MP_OK;
}

enum mp_status mp_stats_compute(struct mp_ctx *ctx, const struct mp_stats_params *p,
                                struct mp_stats_result *out, struct mp_error *err)
{
    enum mp_status rc;
    struct acc a = {.ctx = ctx, .p = p, .res = out};
    memset(out, 0, sizeof *out);
    if ((rc = make_groups(&a, err)))
        goto out;
    if ((rc = make_members(&a, err)))
        goto out;
    if ((rc = mp_store_stats_reports(ctx->db, p->from, p->to, p->category, p->district, on_row,
                                     &a))) {
        rc = mp_fail(err, rc, "unavailable", "cannot read the reports right now");
        goto out;
    }
    if (a.failed) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    finish(&out->total, p->within_days);
    size_t kept = 0;
    for (size_t i = 0; i < out->ngroups; i++) {
        struct mp_stats_group *g = &out->groups[i];
        finish(g, p->within_days);
        if (g->received > 0 || p->by == MP_STATS_BY_WEEK)
            out->groups[kept++] = *g;
    }
    out->ngroups = kept;
out:
    free(a.member_of);
    free(a.mcat);
    if (rc)
        mp_stats_result_free(out);
    return rc;
}

void mp_stats_result_free(struct mp_stats_result *r)
{
    if (!r)
        return;
    free(r->total.ttf);
    for (size_t i = 0; r->groups && i < r->ngroups; i++)
        free(r->groups[i].ttf);
    free(r->groups);
    memset(r, 0, sizeof *r);
}
