/* lineage.h - what staff merges mean for the history of a job: which
 * history entries are a merge's (or its undo's) own, which entries and
 * reports came with a merged job and from which, and which entries belong
 * to one report's own story (the job it was reported in, the merge that
 * took it elsewhere, the job it is in since) rather than to the other job's
 * past. Read from the merge record (store_merge.h).
 *
 * Thread-safety: a loaded object is read-only; use it from one thread or
 * share it read-only.
 */
#ifndef MELDPUNT_LINEAGE_H
#define MELDPUNT_LINEAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* A merge's own history entry. */
struct mp_lineage_mark {
    int64_t merge_id;
    const char *event;    /* "merged_into" (this job went into cluster),
                             "merged_in" (cluster came into this job),
                             "unmerged" (the merge with cluster was undone) */
    int64_t cluster;      /* the other job */
    const char *reason;   /* NULL when none was given */
    double distance_m;
    bool undone;          /* the merge was taken back since */
    bool undoable;        /* the standing merge's entry on the job it went into */
};

struct mp_lineage;

/* The merges behind the history of cluster, and, when report is not 0, the
 * standing merges that report went through: a new object in *out
 * (mp_lineage_free). Bounded: past a few hundred merges or a few thousand
 * moved rows the rest are not marked. MP_ENOMEM, MP_EDB. */
enum mp_status mp_lineage_load(struct mp_ctx *ctx, int64_t cluster, int64_t report,
                               struct mp_lineage **out) MP_WUR;
void mp_lineage_free(struct mp_lineage *l);

/* The mark of history entry id when it is a merge's own entry, else NULL
 * (borrowed from l). */
const struct mp_lineage_mark *mp_lineage_entry(const struct mp_lineage *l, int64_t history_id);
/* The job history entry id came from with a standing merge; 0 when it is
 * the cluster's own. */
int64_t mp_lineage_origin(const struct mp_lineage *l, int64_t history_id);
/* The job report came from with a standing merge (and that merge's id in
 * *merge_id); 0 when it was reported in this cluster. */
int64_t mp_lineage_report_from(const struct mp_lineage *l, int64_t report_id,
                               int64_t *merge_id);
/* Does history entry h of the cluster belong to the story of the report l
 * was loaded for: logged on the job the report was in at the time? */
bool mp_lineage_shows(const struct mp_lineage *l, const struct mp_history_row *h);

#endif
