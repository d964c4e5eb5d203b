/* stats.h - service-level statistics over the reports received in a time
 * range, grouped by category, district or ISO week (local time).
 *
 * Definitions (per group and in total):
 *   received        reports created in [from, to)
 *   open            of those, currently in an open status (new,
 *                   acknowledged, scheduled, in_progress, reopened)
 *   fixed           currently fixed or closed, and their cluster was marked
 *                   fixed at some time (clusters.fixed_at or history)
 *   closed_unfixed  closed or refused without ever being fixed (cancelled,
 *                   not responsible): no fix was due
 *   time to fix     working days (workdays.h: fractional, weekends and
 *                   holidays count zero, city local time) from the report's
 *                   creation to its cluster's latest fix; 0 for a report that
 *                   joined a cluster already fixed
 *   median, p90     of the time to fix over the fixed reports, by linear
 *                   interpolation between order statistics (numpy's default,
 *                   Excel's PERCENTILE.INC); absent without fixed reports
 *   within          fixed reports whose time to fix is at most their
 *                   category's service_days
 *   overdue_open    open reports whose working time from creation to now
 *                   already exceeds their category's service_days
 *   share_within    within / (fixed + overdue_open): of the reports whose
 *                   outcome against the service level is known, the share
 *                   solved in time; open reports not yet due and reports
 *                   closed without a fix are left out. Absent when 0/0.
 *
 * In a region pack (ctx->region) each report counts under its municipality's
 * rules: the member whose district it is supplies the category's
 * service_days and the working calendar (its holidays).
 *
 * With within_days = N (the comparison across a region's members: "70%
 * within ten working days" per town, whatever each category's own level):
 *   within_days_fixed    fixed reports whose time to fix is at most N
 *   overdue_days_open    open reports older than N working days
 *   share_within_days    within_days_fixed / (fixed + overdue_days_open),
 *                        absent when 0/0
 * each in the report's municipality's working calendar.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_STATS_H
#define MELDPUNT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

enum mp_stats_by {
    MP_STATS_BY_CATEGORY = 0,
    MP_STATS_BY_DISTRICT,
    MP_STATS_BY_WEEK,
    MP_STATS_BY_MUNICIPALITY, /* region packs: the member whose district it is */
};

/* Week grouping covers at most this many weeks (about ten years). */
#define MP_STATS_MAX_WEEKS 530

struct mp_stats_params {
    int64_t from, to;       /* created_at range [from, to), UTC seconds; from < to */
    int64_t now;            /* evaluation time for overdue open reports */
    enum mp_stats_by by;
    const char *category;   /* NULL for all (borrowed) */
    const char *district;   /* NULL for all (borrowed) */
    const char *municipality; /* region member id; NULL for all (borrowed) */
    int within_days;          /* N > 0: the within-N-working-days figures; 0: none */
};

struct mp_stats_group {
    char key[48];           /* category code, district code ("" outside every
                             * district) or ISO week "2021-W01" */
    const char *name;       /* borrowed from the city (category or district
                             * name), NULL for weeks and unknown codes */
    int64_t week_start;     /* week grouping: local day (days since epoch) of its Monday */
    int service_days;       /* category grouping: its service level; else 0 */
    int64_t received, open, fixed, closed_unfixed, within, overdue_open;
    bool has_ttf;
    double median, p90;     /* working days, when has_ttf */
    bool has_share;
    double share_within;
    /* within_days (params): see above; zero when not asked for */
    int64_t within_days_fixed, overdue_days_open;
    bool has_share_days;
    double share_within_days;
    /* private: times to fix collected while counting */
    double *ttf;
    size_t nttf, cap_ttf;
};

struct mp_stats_result {
    struct mp_stats_group total;
    struct mp_stats_group *groups; /* owned; groups without reports are dropped,
                                    * except weeks, which are all kept */
    size_t ngroups;
};

/* Compute the statistics. On success *out holds new memory (free with
 * mp_stats_result_free). MP_EINVAL (err says why) when the week grouping
 * spans more than MP_STATS_MAX_WEEKS. */
enum mp_status mp_stats_compute(struct mp_ctx *ctx, const struct mp_stats_params *p,
                                struct mp_stats_result *out, struct mp_error *err) MP_WUR;
void mp_stats_result_free(struct mp_stats_result *r);

/* Percentile p (0..1) of sorted[0..n) by linear interpolation between the
 * closest ranks (h = (n - 1) p); n > 0. */
double mp_stats_percentile(const double *sorted, size_t n, double p);

#endif
