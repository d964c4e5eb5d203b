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
 * correction stands all the same). */
struct mp_correction_result {
    int64_t cluster_id;
    bool have_state;
    struct mp_cluster_state state;
};

/* who folds cluster from into cluster into (same category). The merged
 * cluster keeps into's id; its status is into's, unless into is finished
 * and from is still open (then the job is not done: from's status).
 * Errors: MP_EINVAL "invalid_field" (into itself), MP_ENOTFOUND "not_found",
 * MP_ECONFLICT "category_mismatch", or "unavailable" when it cannot be
 * saved. */
enum mp_status mp_corrections_merge(struct mp_ctx *ctx, const struct mp_principal *who,
                                    int64_t from, int64_t into,
                                    struct mp_correction_result *out,
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

#endif
