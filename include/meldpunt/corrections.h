/* corrections.h - staff corrections of duplicate folding: merge two
 * clusters, move a report out into a new cluster or into another one. Each
 * runs in a write transaction of its own (the caller holds none), is logged
 * in the cluster's history and the audit log (who, when), leaves a pairwise
 * constraint that re-clustering honours, and recomputes counts, centres and
 * status of the clusters it touches; a failure leaves nothing of it.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_CORRECTIONS_H
#define MELDPUNT_CORRECTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* Recompute count, sums, centre, first/last time of a cluster from its
 * members; an empty cluster is deleted (its history goes to heir). Runs in
 * the caller's write transaction. */
enum mp_status mp_corrections_refresh(struct mp_ctx *ctx, int64_t cluster_id, int64_t heir,
                                      struct mp_error *err) MP_WUR;

/* Where a correction left the job: the cluster's id, and its state as
 * committed (have_state is false when it could not be read back; the
 * correction stands all the same). A merge also says its id (for its undo),
 * how far apart the two centres were and the category's limit. */
struct mp_correction_result {
    int64_t cluster_id;
    bool have_state;
    struct mp_cluster_state state;
    int64_t merge_id;
    double distance_m, limit_m;
};

#define MP_MERGE_CANDIDATES_MAX 10

/* The distance within which two jobs of a category are plainly one: its
 * radius (for the street rule the along-street distance when larger). A
 * merge of two jobs farther apart needs a reason. */
double mp_corrections_merge_limit(const struct mp_category *c);

/* who folds cluster from into cluster into (same category), saying why in
 * reason (NULL or "" for none; required when the centres lie farther apart
 * than mp_corrections_merge_limit). The merged cluster keeps into's id; its
 * status is into's, unless into is finished and from is still open (then
 * the job is not done: from's status). Both jobs' histories get a "merged"
 * entry, and the merge is recorded (store_merge.h) so that
 * mp_corrections_unmerge can take it back. Errors: MP_EINVAL
 * "invalid_field" (into itself, a reason that is not text), "too_long",
 * "reason_required"; MP_ENOTFOUND "not_found", MP_ECONFLICT
 * "category_mismatch", or "unavailable" when it cannot be saved. */
enum mp_status mp_corrections_merge(struct mp_ctx *ctx, const struct mp_principal *who,
                                    int64_t from, int64_t into, const char *reason,
                                    struct mp_correction_result *out,
                                    struct mp_error *err) MP_WUR;

/* who takes back merge merge_id: the merged cluster comes back under its
 * old id with the reports, history entries, notes and photos the merge
 * moved, its status and assignment as they were; the other job gets its
 * status back when the merge changed it and nobody has since. out says
 * where the merged cluster is again. Errors: MP_ENOTFOUND "not_found";
 * MP_ECONFLICT "already_undone", "moved_on" (the other job is gone, or a
 * report has been moved out of it since), "id_taken"; "unavailable". */
enum mp_status mp_corrections_unmerge(struct mp_ctx *ctx, const struct mp_principal *who,
                                      int64_t merge_id, struct mp_correction_result *out,
                                      struct mp_error *err) MP_WUR;

/* A job near another of the same category that staff may merge it with. */
struct mp_merge_candidate {
    struct mp_cluster_state st;
    double distance_m; /* between the centres */
    bool within;       /* distance_m <= the category's merge limit */
};

struct mp_merge_candidates {
    struct mp_cluster_state self;
    double limit_m;  /* mp_corrections_merge_limit of the category */
    double search_m; /* how far was looked */
    size_t n;
    struct mp_merge_candidate c[MP_MERGE_CANDIDATES_MAX];
};

/* The jobs of cluster id's category whose centres lie within search_m of
 * its own (a few times the merge limit, at least 250 m, at most 2 km),
 * nearest first, at most MP_MERGE_CANDIDATES_MAX, into *out. Errors:
 * MP_ENOTFOUND "not_found", MP_EUNAVAIL "unavailable". */
enum mp_status mp_corrections_merge_candidates(struct mp_ctx *ctx, const struct mp_principal *who,
                                               int64_t id, struct mp_merge_candidates *out,
                                               struct mp_error *err) MP_WUR;

/* who moves a report out of its cluster: into cluster to (same category),
 * or into a new cluster of its own when to is 0; out says where it went.
 * Errors: MP_EINVAL "invalid_field" (already there), MP_ENOTFOUND
 * "not_found", MP_ECONFLICT "category_mismatch", or "unavailable". */
enum mp_status mp_corrections_move(struct mp_ctx *ctx, const struct mp_principal *who,
                                   int64_t report_id, int64_t to,
                                   struct mp_correction_result *out,
                                   struct mp_error *err) MP_WUR;

struct mp_recluster_stats {
    long reports, clusters_before, clusters_after, reports_moved, constraints;
    long peak_open; /* most clusters held in memory at once (open within a window) */
    double seconds;
};

/* Replay all reports (of category, or all when NULL) in time order under
 * the current rules, in one write transaction the caller does NOT hold,
 * honouring staff corrections as constraints. Cluster ids and statuses are
 * kept where a cluster's first report still starts it. */
enum mp_status mp_recluster(struct mp_ctx *ctx, const char *category,
                            struct mp_recluster_stats *st, struct mp_error *err) MP_WUR;
/* As mp_recluster, with a second context (reader, may be NULL: then as
 * mp_recluster) on the same database whose session reads the reports, and
 * whose thread snaps them to streets, while ctx replays and writes: less wall
 * time on two cores. reader's session must not be in a transaction; both
 * contexts are borrowed for the call. Memory: bounded by the clusters open
 * within one category window, plus a bit per stored cluster id. */
enum mp_status mp_recluster_with(struct mp_ctx *ctx, struct mp_ctx *reader, const char *category,
                                 struct mp_recluster_stats *st, struct mp_error *err) MP_WUR;

/* regionfaces: a region pack's database from before schema 10 keyed every
 * row by the region's own id. mp_reroute gives each report the member its
 * pin lies in, each cluster the member of its centre (one transaction),
 * then, when anything changed, re-clusters (mp_recluster_with) so that no
 * cluster holds reports of two members. Rows already a member's stay; a
 * point outside every member is counted in unrouted and left. MP_EINVAL
 * without a region of several members; MP_EUNSUPPORTED on PostgreSQL,
 * whose rows are keyed by member from the start. Both contexts borrowed. */
struct mp_reroute_stats {
    long reports, clusters, unrouted;
    struct mp_recluster_stats recluster;
};
enum mp_status mp_reroute(struct mp_ctx *ctx, struct mp_ctx *reader, struct mp_reroute_stats *st,
                          struct mp_error *err) MP_WUR;

#endif
