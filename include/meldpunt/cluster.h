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
#include "meldpunt/model.h"

/* Why a report joined (or did not join) a cluster; stored with the report
 * as JSON so staff can see the reasoning. */
struct mp_join_reason {
    const char *kind;   /* "nearest" (rule match), "same_as" (citizen said so),
                           "staff" (a correction), "new" */
    enum mp_rule rule;
    double distance_m;  /* to the cluster centre, metric */
    double along_m;     /* along the shared street (street rule), -1 when not measured */
    bool street_match;  /* report and cluster on the same street */
    int64_t age_s;      /* since the cluster's latest report */
    double radius_m;    /* the rule's limit that applied */
    int64_t window_s;
};

/* A report as the rules see it: metric position, time, and its street
 * (snapped point and direction) when it has one. */
struct mp_cluster_probe {
    double x, y;
    int64_t t;
    const char *street; /* NULL when the report is not on a known street */
    double sx, sy;      /* snapped point on that street */
    double ux, uy;      /* unit direction of the street there */
};

/* How far the rules of cat look: candidates must be fetched within this
 * metric distance. */
double mp_cluster_reach(const struct mp_category *cat);

/* Whether a workflow status counts as open (not fixed, closed or refused). */
bool mp_cluster_status_open(const char *status);
/* Whether status is one of the known workflow statuses. */
bool mp_cluster_status_valid(const char *status);
/* Add one status filter item to q (the map's, the exports' and the staff
 * lists' status= parameter): a status, or a family ("open", "unresolved",
 * "resolved") that expands to its members. The item is borrowed by q.
 * MP_EINVAL for an unknown status, or when q already holds as many
 * statuses as it can. */
enum mp_status mp_cluster_status_filter_add(struct mp_query *q, const char *item,
                                            struct mp_error *err) MP_WUR;

/* Pick the cluster a report at metric (x, y), time t joins: the nearest
 * candidate of the category whose centre is within cat->radius_m (inclusive)
 * and whose latest report is within cat->window_days (inclusive) of t, that
 * is open (or fixed less than fixed_absorb_days ago), and whose id is not in
 * exclude. Returns the index into cand, or -1 for a new cluster. why (may be
 * NULL) is filled either way. */
long mp_cluster_choose(const struct mp_category *cat, double x, double y, int64_t t,
                       const struct mp_cluster_state *cand, size_t n, const int64_t *exclude,
                       size_t nexclude, struct mp_join_reason *why);

/* The full rule, point or street: as mp_cluster_choose, and for a category
 * with the street rule a candidate also matches when it is on the probe's
 * street and within cat->along_m of it measured along the street. Among
 * matches the nearest (straight distance) wins. */
long mp_cluster_choose_probe(const struct mp_category *cat, const struct mp_cluster_probe *p,
                             const struct mp_cluster_state *cand, size_t n,
                             const int64_t *exclude, size_t nexclude,
                             struct mp_join_reason *why);

/* As mp_cluster_choose_probe over pointers to the candidates' states (for
 * callers that keep states elsewhere and would otherwise copy them). */
long mp_cluster_choose_refs(const struct mp_category *cat, const struct mp_cluster_probe *p,
                            const struct mp_cluster_state *const *cand, size_t n,
                            const int64_t *exclude, size_t nexclude, struct mp_join_reason *why);

/* Add a member at metric (x, y), time t to st: count, sums, centre (metric;
 * the caller sets lon/lat from the new centre), first/last time. */
void mp_cluster_add_member(struct mp_cluster_state *st, double x, double y, int64_t t);

/* Serialise why as a compact JSON object into out (cap bytes). */
void mp_join_reason_json(const struct mp_join_reason *why, char *out, size_t cap);

#endif
