/* cluster.h - the duplicate-folding rules: which existing cluster, if any, a
 * new report joins. Pure functions over candidate states (no I/O), so the
 * rules are unit-tested exactly at their edges.
 */
#ifndef MELDPUNT_CLUSTER_H
#define MELDPUNT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/store.h"

/* Why a report joined (or did not join) a cluster; stored with the report
 * as JSON so staff can see the reasoning. */
struct mp_join_reason {
    const char *kind;   /* "nearest" (rule match), "same_as" (citizen said so), "new" */
    enum mp_rule rule;
    double distance_m;  /* to the cluster centre, metric */
    int64_t age_s;      /* since the cluster's latest report */
    double radius_m;    /* the rule's limit that applied */
    int64_t window_s;
};

/* Whether a workflow status counts as open (not fixed, closed or refused). */
bool mp_cluster_status_open(const char *status);
/* Whether status is one of the known workflow statuses. */
bool mp_cluster_status_valid(const char *status);

/* Pick the cluster a report at metric (x, y), time t joins: the nearest
 * candidate of the category whose centre is within cat->radius_m (inclusive)
 * and whose latest report is within cat->window_days (inclusive) of t, that
 * is open (or fixed less than fixed_absorb_days ago), and whose id is not in
 * exclude. Returns the index into cand, or -1 for a new cluster. why (may be
 * NULL) is filled either way. */
long mp_cluster_choose(const struct mp_category *cat, double x, double y, int64_t t,
                       const struct mp_cluster_state *cand, size_t n, const int64_t *exclude,
                       size_t nexclude, struct mp_join_reason *why);

/* Add a member at metric (x, y), time t to st: count, sums, centre (metric;
 * the caller sets lon/lat from the new centre), first/last time. */
void mp_cluster_add_member(struct mp_cluster_state *st, double x, double y, int64_t t);

/* Serialise why as a compact JSON object into out (cap bytes). */
void mp_join_reason_json(const struct mp_join_reason *why, char *out, size_t cap);

#endif
