/* corrections.h - staff corrections of duplicate folding: merge two
 * clusters, move a report out into a new cluster or into another one. Each
 * is logged (who, when), leaves a pairwise constraint that re-clustering
 * honours, and recomputes counts, centres and status of the clusters it
 * touches. Runs inside the caller's write transaction.
 */
#ifndef MELDPUNT_CORRECTIONS_H
#define MELDPUNT_CORRECTIONS_H

#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

/* Recompute count, sums, centre, first/last time of a cluster from its
 * members; an empty cluster is deleted (its history goes to heir). */
enum mp_status mp_corrections_refresh(struct mp_ctx *ctx, int64_t cluster_id, int64_t heir,
                                      struct mp_error *err) MP_WUR;

/* Fold cluster from into cluster into (same category). The merged cluster
 * keeps into's id; its status is into's, unless into is finished and from is
 * still open (then the job is not done: from's status). */
enum mp_status mp_corrections_merge(struct mp_ctx *ctx, int64_t from, int64_t into,
                                    const char *actor, struct mp_error *err) MP_WUR;

/* Move a report out of its cluster: into cluster to (same category), or into
 * a new cluster of its own when to is 0. *new_cluster receives where it went. */
enum mp_status mp_corrections_move(struct mp_ctx *ctx, int64_t report_id, int64_t to,
                                   const char *actor, int64_t *new_cluster,
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

#endif
