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

/* Which evidence decided a join, strongest first (README "Duplicate
 * folding"): both reports' house numbers on one street, the distance along
 * their street (from the numbers when both can be placed, else from the
 * pins snapped to it), the distance between the pins; or a person. */
enum mp_evidence {
    MP_EV_NONE = 0,    /* a new cluster */
    MP_EV_ADDRESS,     /* "address_span": same street, numbers within address_span */
    MP_EV_ALONG_NUMBERS, /* "along_numbers": along the street, placed by house number */
    MP_EV_ALONG_PINS,  /* "along_pins": along the street, from the snapped pins */
    MP_EV_PIN,         /* "pin_distance": the cluster's centre within radius_m */
    MP_EV_SAME_AS,     /* "same_as": the citizen said so */
    MP_EV_STAFF,       /* "staff": a staff correction */
    MP_EV__COUNT
};

/* The word for an evidence in a join reason ("address_span", ...; "none"). */
const char *mp_evidence_name(enum mp_evidence e);

/* Why a report joined (or did not join) a cluster; stored with the report
 * as JSON so staff can see the reasoning. */
struct mp_join_reason {
    const char *kind;   /* "nearest" (rule match), "same_as" (citizen said so),
                           "staff" (a correction), "new" */
    enum mp_evidence evidence;
    enum mp_rule rule;
    double distance_m;  /* pin to the cluster centre, metric */
    double along_m;     /* along the shared street, -1 when not measured */
    long number_gap;    /* house numbers between the report and the cluster's span,
                           -1 when not compared */
    bool street_match;  /* report and cluster on the same street */
    int64_t age_s;      /* since the cluster's latest report */
    double radius_m;    /* the category's limits */
    double along_limit_m;
    int address_span;
    int64_t window_s;
};

/* What one report's address says, as the rules use it: a house number (or
 * a range) on a street of the layer, and where the pack places it. */
struct mp_address_ev {
    const char *street; /* borrowed from the street layer; NULL: no usable number */
    long lo, hi;        /* the number, or the range's ends (lo <= hi) */
    bool placed;        /* p (lo) and q (hi) are set, metric */
    double px, py, qx, qy;
};

/* What a cluster's members say by address: the span of their numbers on
 * the street of its first member with a usable number. */
struct mp_cluster_addr {
    const char *street; /* borrowed; NULL when no member had a number */
    long lo, hi;
    unsigned sides;     /* bit 0: an even number, bit 1: an odd one */
    bool lo_placed, hi_placed;
    double lx, ly, hx, hy; /* where lo and hi are placed */
};

/* Add one member's address evidence to span (zeroed for an empty cluster).
 * Members on another street than the span's are left out; an end moves
 * only to a number beyond it (so the first member with a number keeps
 * it, as in time order). */
void mp_cluster_addr_add(struct mp_cluster_addr *span, const struct mp_address_ev *ev);

/* A report as the rules see it: metric position, time, its street
 * (snapped point and direction) when it has one, and its address. */
struct mp_cluster_probe {
    double x, y;
    int64_t t;
    const char *street; /* NULL when the report is not on a known street */
    double sx, sy;      /* the pin snapped onto that street */
    double ux, uy;      /* unit direction of the street there */
    struct mp_address_ev addr; /* zeroed when the address gives no usable number */
};

/* How far the rules of cat look: candidates must be fetched within this
 * metric distance of the pin or the placed address (mp_cluster_in_reach).
 * metres_per_number (mp_streets_metres_per_number) turns the address span
 * into metres; 0 when the pack places no numbers. */
double mp_cluster_reach(const struct mp_category *cat, double metres_per_number);

/* Whether a cluster centred at metric (cx, cy) lies within the square of
 * half side reach around p's pin or around its placed address. */
bool mp_cluster_in_reach(const struct mp_cluster_probe *p, double reach, double cx, double cy);

/* Whether cluster c (of any category) could take a report of cat at time
 * t at all: same category, open (or fixed within fixed_absorb_days) and
 * its reports within window_days of t. The rules' first test. */
bool mp_cluster_can_take(const struct mp_category *cat, const struct mp_cluster_state *c,
                         int64_t t);

/* Whether the rules of cat would compare p's house numbers with the
 * candidates' (so that their address spans are worth reading). */
bool mp_cluster_needs_numbers(const struct mp_category *cat, const struct mp_cluster_probe *p);

/* One square holding both squares of mp_cluster_in_reach: its centre and
 * half side (to fetch candidates in one query). */
void mp_cluster_search_box(const struct mp_cluster_probe *p, double reach, double *cx, double *cy,
                           double *half);

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

/* The rules with all the evidence: as mp_cluster_choose_refs, with addr[i]
 * (addr, or an entry, may be NULL: no numbers known) the address span of
 * cand[i]. A candidate matches when
 *   - address rule, and both the report and the candidate carry numbers:
 *     their street is the same and the numbers are at most address_span
 *     apart (and on the same side when address_side) - nothing else counts;
 *   - otherwise: its centre is within radius_m of the pin; or (street and
 *     address rules) it is on the report's street within along_m, measured
 *     between the placed numbers when both sides can be placed, else
 *     between the snapped pin and the centre; or (address_span > 0) the
 *     numbers match as above.
 * Candidates matched by their numbers win over the others (fewest numbers
 * apart first); otherwise the nearest centre wins; ties go to the lower id.
 * why->evidence names the first of address span, along-street and pin
 * distance that held for the winner. */
long mp_cluster_choose_ev(const struct mp_category *cat, const struct mp_cluster_probe *p,
                          const struct mp_cluster_state *const *cand,
                          const struct mp_cluster_addr *const *addr, size_t n,
                          const int64_t *exclude, size_t nexclude, struct mp_join_reason *why);

/* Add a member at metric (x, y), time t to st: count, sums, centre (metric;
 * the caller sets lon/lat from the new centre), first/last time. */
void mp_cluster_add_member(struct mp_cluster_state *st, double x, double y, int64_t t);

/* Room enough for any join reason's JSON. */
#define MP_JOIN_REASON_MAX 448

/* Serialise why as a compact JSON object into out (cap bytes; "{}" when it
 * does not fit): kind, rule, evidence, distance_m, along_street_m (null
 * when not measured), number_gap (null when not compared), street_match,
 * age_s, radius_m, along_limit_m, address_span, window_days, and limit_m /
 * limit_numbers: the limit of the evidence that decided (metres for pin
 * and along-street, house numbers for the address span; null otherwise). */
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
 * q must have a bbox. "unavailable" when the store does not answer.
 *
 * A cost budget: when q's box spans more than max_cells cells (0: no cap) at
 * *zoom, the grid is answered at the finest coarser zoom where it spans no
 * more, and *zoom says which (in: the zoom asked for; out: the one used).
 * The answer's size and its cost then depend on the box, not on the zoom: a
 * whole city at zoom 22 is counted as at zoom 13, from the pyramid. */
enum mp_status mp_cluster_grid(struct mp_ctx *ctx, const struct mp_query *q, int *zoom,
                               unsigned max_cells, struct mp_bbox *origin, double *cell,
                               mp_grid_cb cb, void *arg, struct mp_error *err) MP_WUR;
/* The zoom mp_cluster_grid answers at for box, zoom and max_cells. */
int mp_cluster_grid_zoom(const struct mp_bbox *box, int zoom, unsigned max_cells);

#endif
