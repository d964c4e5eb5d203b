/* worklist.c - jobs (clusters with the automation rules applied), their
 * selection by area and filters, and the driving order of a worklist. */
#include "meldpunt/worklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/geo.h"
#include "meldpunt/route.h"
#include "meldpunt/scope.h"
#include "meldpunt/store_work.h"
#include "meldpunt/vocab.h"

double mp_worklist_age_days(int64_t first_at, int64_t now)
{
    return now > first_at ? (double)(now - first_at) / 86400.0 : 0;
}

/* A job, copied out of the store row so that it outlives the callback. */
static void job_from_row(struct mp_job *j, const struct mp_work_row *r, const struct mp_ctx *ctx,
                         const struct mp_automation *a, int64_t now)
{
    memset(j, 0, sizeof *j);
    j->id = r->id;
    j->report_count = r->report_count;
    j->first_at = r->first_at;
    j->last_at = r->last_at;
    snprintf(j->category, sizeof j->category, "%s", r->category ? r->category : "");
    snprintf(j->status, sizeof j->status, "%s", r->status ? r->status : "");
    snprintf(j->district, sizeof j->district, "%s", r->district ? r->district : "");
    snprintf(j->location, sizeof j->location, "%s", r->location ? r->location : "");
    snprintf(j->address, sizeof j->address, "%s", r->address ? r->address : "");
    snprintf(j->crew, sizeof j->crew, "%s", r->crew ? r->crew : "");
    snprintf(j->municipality, sizeof j->municipality, "%s",
             r->municipality ? r->municipality : "");
    j->lon = r->lon;
    j->lat = r->lat;
    j->x = r->x;
    j->y = r->y;
    j->assigned = r->assigned;
    struct mp_automation_input in = {
        .category = j->category,
        .district = j->district,
        .status = j->status,
        .report_count = r->report_count,
        .first_at = r->first_at,
        .department = r->department,
        .manual_priority = r->priority,
        .manual_due_at = r->due_at,
    };
    mp_automation_eval(a, ctx->city, ctx->tz, &in, now, &j->ar);
    snprintf(j->department, sizeof j->department, "%s", j->ar.department);
    /* It borrowed from the row or the rules: jobs are copied around, so the
     * department lives in the job itself. */
    j->ar.department = NULL;
}

struct collect {
    struct mp_job_list *out;
    size_t cap, max;
    const struct mp_ctx *ctx;
    const struct mp_automation *a;
    const struct mp_job_filter *f;
    int64_t now;
    bool stop_when_full; /* a worklist stops at max; the queue counts on */
    bool too_many;
    bool nomem;
};

static int collect_row(void *p, const struct mp_work_row *r)
{
    struct collect *c = p;
    struct mp_job_list *l = c->out;
    if (c->f->within && !mp_multipolygon_contains(c->f->within, r->lon, r->lat))
        return 0;
    struct mp_job j;
    job_from_row(&j, r, c->ctx, c->a, c->now);
    if (c->f->department && strcmp(c->f->department, j.department) != 0)
        return 0;
    l->total++;
    if (l->n == c->max) {
        c->too_many = true;
        return c->stop_when_full;
    }
    if (l->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct mp_job *nj = realloc(l->jobs, ncap * sizeof *nj);
        if (!nj) {
            c->nomem = true;
            return 1;
        }
        l->jobs = nj;
        c->cap = ncap;
    }
    l->jobs[l->n++] = j;
    return 0;
}

/* The jobs of f into out, up to max. The store's failure code is returned
 * for the caller to word; running out of memory is MP_ENOMEM. */
static enum mp_status collect(struct mp_ctx *ctx, const struct mp_automation *a,
                              const struct mp_job_filter *f, size_t max, bool stop_when_full,
                              int64_t now, struct mp_job_list *out, bool *too_many)
{
    memset(out, 0, sizeof *out);
    struct collect c = {.out = out, .max = max, .ctx = ctx, .a = a, .f = f, .now = now,
                        .stop_when_full = stop_when_full};
    /* Tenancy: the caller checked f's municipalities (scoped); the store
     * filters on them. */
    struct mp_scope sc;
    struct mp_work_query q = f->q;
    struct mp_error ignore;
    enum mp_status rc = mp_scope_list(f->who, f->municipality, &sc, &ignore);
    if (rc)
        return rc;
    q.scope = sc.filter;
    rc = mp_store_work_list(ctx->db, &q, collect_row, &c);
    if (too_many)
        *too_many = c.too_many;
    return rc ? rc : c.nomem ? MP_ENOMEM : MP_OK;
}

void mp_worklist_jobs_free(struct mp_job_list *l)
{
    if (!l)
        return;
    free(l->jobs);
    memset(l, 0, sizeof *l);
}

enum mp_status mp_worklist_jobs(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_job_filter *f, size_t max, int64_t now,
                                struct mp_job_list *out, struct mp_error *err)
{
    struct mp_scope sc;
    enum mp_status rc = mp_scope_list(f->who, f->municipality, &sc, err);
    if (rc)
        return rc;
    rc = collect(ctx, a, f, max, false, now, out, NULL);
    if (rc && rc != MP_ENOMEM)
        return mp_fail(err, rc, "unavailable", "cannot read the queue now");
    return rc;
}

enum mp_status mp_worklist_job(struct mp_ctx *ctx, const struct mp_automation *a, int64_t id,
                               int64_t now, struct mp_job *out, struct mp_error *err)
{
    struct mp_job_filter f;
    struct mp_job_list l;
    memset(&f, 0, sizeof f);
    f.q.nstatuses = mp_vocab_status_codes(MP_VOCAB_ALL, f.q.statuses, MP_QUERY_MAX_LIST);
    f.q.cluster_id = id;
    enum mp_status rc = collect(ctx, a, &f, 1, false, now, &l, NULL);
    if (rc == MP_OK && l.n == 0)
        rc = mp_fail(err, MP_ENOTFOUND, "not_found", "there is no cluster %lld", (long long)id);
    else if (rc == MP_OK)
        *out = l.jobs[0];
    else if (rc != MP_ENOMEM)
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
    mp_worklist_jobs_free(&l);
    return rc;
}

/* A crew's list is its own department's; staff above may look at any. */
enum mp_status mp_worklist_scope(const struct mp_principal *who, const char *dept,
                                 const char **effective, struct mp_error *err)
{
    *effective = dept;
    if (who->role != MP_ROLE_CREW)
        return MP_OK;
    if (dept && strcmp(dept, who->department) != 0)
        return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                       "a crew of %.47s may not pull the worklist of %.47s", who->department,
                       dept);
    *effective = who->department;
    return MP_OK;
}

void mp_worklist_free(struct mp_worklist *w)
{
    if (!w)
        return;
    free(w->stops);
    free(w->leg_m);
    free(w->cum_m);
    memset(w, 0, sizeof *w);
}

/* The stops of l in the order route.c found, with each leg and the running
 * total (from the start when there is one). */
static enum mp_status put_in_order(const struct mp_job_list *l, const size_t *order,
                                   const double *start_xy, struct mp_worklist *w)
{
    size_t n = l->n;
    w->stops = malloc((n + 1) * sizeof *w->stops);
    w->leg_m = malloc((n + 1) * sizeof *w->leg_m);
    w->cum_m = malloc((n + 1) * sizeof *w->cum_m);
    if (!w->stops || !w->leg_m || !w->cum_m)
        return MP_ENOMEM;
    double cum = 0;
    for (size_t k = 0; k < n; k++) {
        const struct mp_job *j = &l->jobs[order[k]];
        double leg = 0;
        if (k > 0)
            leg = mp_geo_dist(w->stops[k - 1].x, w->stops[k - 1].y, j->x, j->y);
        else if (start_xy)
            leg = mp_geo_dist(start_xy[0], start_xy[1], j->x, j->y);
        cum += leg;
        w->stops[k] = *j;
        w->leg_m[k] = leg;
        w->cum_m[k] = cum;
    }
    w->n = n;
    return MP_OK;
}

enum mp_status mp_worklist_plan(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_worklist_request *rq, int64_t now,
                                struct mp_worklist *out, struct mp_error *err)
{
    struct mp_job_filter f = rq->f;
    struct mp_job_list l;
    double start_xy[2] = {0, 0};
    double *xy = NULL;
    size_t *order = NULL;
    bool too_many = false;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    memset(&l, 0, sizeof l);
    struct mp_scope sc;
    f.who = rq->who;
    if ((rc = mp_worklist_scope(rq->who, rq->f.department, &f.department, err)) ||
        (rc = mp_scope_list(f.who, f.municipality, &sc, err)))
        goto out;
    if (rq->has_start &&
        mp_geo_forward(ctx->geo, rq->start_lon, rq->start_lat, &start_xy[0], &start_xy[1]) !=
            MP_OK) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter",
                     "start must be lon,lat in degrees, e.g. start=-87.6298,41.8781");
        goto out;
    }
    if ((rc = collect(ctx, a, &f, MP_WORKLIST_MAX, true, now, &l, &too_many))) {
        if (rc != MP_ENOMEM)
            rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the jobs right now");
        goto out;
    }
    if (too_many) {
        rc = mp_fail(err, MP_EINVAL, "too_many_stops",
                     "more than %d open jobs match; narrow the area, department or category",
                     MP_WORKLIST_MAX);
        goto out;
    }
    xy = malloc((2 * l.n + 2) * sizeof *xy);
    order = malloc((l.n + 1) * sizeof *order);
    if (!xy || !order) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        xy[2 * i] = l.jobs[i].x;
        xy[2 * i + 1] = l.jobs[i].y;
    }
    if ((rc = mp_route_plan(xy, l.n, rq->has_start ? start_xy : NULL, order, &out->length_m))) {
        rc = mp_fail(err, rc, "internal", "cannot plan the route");
        goto out;
    }
    if ((rc = put_in_order(&l, order, rq->has_start ? start_xy : NULL, out)))
        goto out;
    out->has_start = rq->has_start;
    out->start_lon = rq->start_lon;
    out->start_lat = rq->start_lat;
    out->department = f.department;
    out->generated_at = now;
out:
    mp_worklist_jobs_free(&l);
    free(xy);
    free(order);
    return rc;
}
