/* cluster.h - the duplicate-folding rules: which existing cluster, if any, a
 * new report joins. Pure functions over candidate states (no I/O), so the
 * rules are unit-tested exactly at their edges. At the end: the reading
 * functions behind the public cluster answers (these go through the store).
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

/* ---- reading: what the public API shows of clusters ----
 * Rows handed to callbacks are borrowed for the call; a callback returning
 * non-zero stops the walk (that is not an error). Thread-safety: only the
 * context given. */
struct mp_ctx;

/* The clusters matching q, in id order. */
enum mp_status mp_cluster_list(struct mp_ctx *ctx, const struct mp_query *q, mp_cluster_cb cb,
                               void *arg) MP_WUR;

/* One cluster with its reports and history: the reports (oldest first) to
 * member, then the history (oldest first) to history, then the cluster to
 * cluster, so that an encoder can nest both lists in the cluster it writes
 * last. MP_ENOTFOUND "not_found" for an unknown id, "unavailable" when the
 * store does not answer. */
enum mp_status mp_cluster_view(struct mp_ctx *ctx, int64_t id, mp_report_cb member,
                               mp_history_cb history, mp_cluster_cb cluster, void *arg,
                               struct mp_error *err) MP_WUR;

/* Clusters and reports counted per cell of 90 / 2^zoom degrees (in *cell)
 * for the map's low zooms: from the pyramid of counts where it holds q's
 * filters, else by aggregating the clusters. A cell's gx, gy count cells from
 * *origin's corner (min_lon, min_lat), set before the first call of cb: the
 * global lattice's (-180, -90), or q's bbox corner snapped to that lattice.
 * q must have a bbox. "unavailable" when the store does not answer. */
enum mp_status mp_cluster_grid(struct mp_ctx *ctx, const struct mp_query *q, int zoom,
                               struct mp_bbox *origin, double *cell, mp_grid_cb cb, void *arg,
                               struct mp_error *err) MP_WUR;

#endif
