/* worklist.h - the jobs staff work on, and a crew's worklist.
 *
 * A job is a cluster as the dispatcher's queue, the staff view and the
 * worklist see it: the store's row with the automation rules applied
 * (effective department, priority, service level, deadline). This module
 * selects jobs (by area: bbox, district or a polygon; categories, statuses
 * and the effective department), reads one job, and plans a worklist: the
 * open jobs of an area in driving order (route.h), with the leg to each stop,
 * the running total and the route's length.
 *
 * The writers of worklists (GeoJSON, CSV, GPX) are in worklist_out.h.
 *
 * Ownership: lists and worklists hold new memory (mp_worklist_jobs_free,
 * mp_worklist_free); a job's rule ids (ar.route_rule, ar.priority_rule)
 * borrow from the automation rules it was evaluated with, so a job must not
 * outlive them. Filters and requests are borrowed for the call.
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_WORKLIST_H
#define MELDPUNT_WORKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/automation.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geom.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* Most stops one worklist holds: a crew's week, several times over. */
#define MP_WORKLIST_MAX 5000

struct mp_job {
    int64_t id, report_count, first_at, last_at;
    char category[48], status[MP_STATUS_MAXLEN], district[32]; /* district "" outside all */
    char location[160], address[208]; /* "" when unknown */
    char crew[64];                    /* assigned crew, "" when none */
    double lon, lat, x, y;            /* centre: WGS84 and metric */
    bool assigned;                    /* a person assigned it (the rules did not) */
    /* What the rules (and a manual assignment) make of it. ar.department is
     * NULL: the effective department is department below. */
    struct mp_automation_result ar;
    char department[MP_DEPARTMENT_MAX]; /* effective, "" when nothing routes it */
    char municipality[MP_MUNICIPALITY_MAXLEN]; /* member id (tenancy) */
};

/* Which jobs: q selects in the store (bbox, categories, statuses (at least
 * one), district, one cluster); department keeps the jobs whose effective
 * department it is, within those inside the polygon. Strings and the
 * polygon are borrowed. */
struct mp_job_filter {
    struct mp_work_query q;
    const char *department;              /* NULL for any */
    const struct mp_multipolygon *within; /* NULL for all of q's area */
    /* Tenancy (scope.h): the jobs of who's municipalities, or of the one
     * asked for (municipality=; outside who's is MP_EFORBIDDEN "forbidden").
     * who NULL: no limit (the system, e.g. department mail). q.scope is
     * set from these by mp_worklist_jobs and mp_worklist_plan. */
    const struct mp_principal *who;
    const char *municipality;
};

/* Jobs, oldest first (first report, then id). */
struct mp_job_list {
    struct mp_job *jobs; /* owned, n of them */
    size_t n;
    size_t total; /* how many matched, also past the limit */
};

/* The dispatcher's queue: the first max jobs matching f into out (new
 * memory: mp_worklist_jobs_free, also after a failure), counting every
 * match into out->total. MP_ENOMEM, or MP_EUNAVAIL "unavailable". */
enum mp_status mp_worklist_jobs(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_job_filter *f, size_t max, int64_t now,
                                struct mp_job_list *out, struct mp_error *err) MP_WUR;
void mp_worklist_jobs_free(struct mp_job_list *l);

/* One job, whatever its status, evaluated at now. MP_ENOTFOUND
 * "not_found", MP_EUNAVAIL "unavailable", MP_ENOMEM. Not scoped: callers
 * that answer staff check out->municipality (mp_scope_check). */
enum mp_status mp_worklist_job(struct mp_ctx *ctx, const struct mp_automation *a, int64_t id,
                               int64_t now, struct mp_job *out, struct mp_error *err) MP_WUR;

/* Whose jobs who may pull as a worklist: a crew only its own department's
 * (asking for another is MP_EFORBIDDEN "forbidden"), and without asking it
 * gets its own; staff above may ask for any department or none. *effective
 * (borrowed from dept or who) is the department filter to use. Handlers
 * call it with the other checks of the request, so that a refusal comes
 * before the errors of parameters checked after it; mp_worklist_plan
 * applies it again. */
enum mp_status mp_worklist_scope(const struct mp_principal *who, const char *dept,
                                 const char **effective, struct mp_error *err) MP_WUR;

/* A worklist to plan: the jobs of f (statuses: open ones) that who may
 * see (mp_worklist_scope), in driving order from the start when there is
 * one. */
struct mp_worklist_request {
    const struct mp_principal *who;
    struct mp_job_filter f;
    bool has_start;
    double start_lon, start_lat;
};

/* A planned worklist: its stops in driving order. */
struct mp_worklist {
    struct mp_job *stops; /* owned, n of them, in driving order */
    double *leg_m;        /* owned, n: metres from the stop before, or from the start */
    double *cum_m;        /* owned, n: metres driven up to and including stop k */
    size_t n;
    double length_m; /* the route's length, from the start when there is one */
    bool has_start;
    double start_lon, start_lat;
    const char *department; /* the department it was selected for, or NULL; borrowed
                             * from the request (or its principal) */
    int64_t generated_at;   /* the now it was evaluated at */
};

/* Select the jobs of rq->f and plan their order at time now, into out (new
 * memory: mp_worklist_free, also after a failure). MP_EFORBIDDEN
 * "forbidden" for a crew asking for another department; MP_EINVAL
 * "invalid_parameter" for a start that cannot be projected, "too_many_stops"
 * beyond MP_WORKLIST_MAX jobs; MP_EUNAVAIL "unavailable"; MP_ENOMEM. */
enum mp_status mp_worklist_plan(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_worklist_request *rq, int64_t now,
                                struct mp_worklist *out, struct mp_error *err) MP_WUR;
void mp_worklist_free(struct mp_worklist *w);

/* Days since first_at at now, 0 for a job from the future. */
double mp_worklist_age_days(int64_t first_at, int64_t now);

#endif
