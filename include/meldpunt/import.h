/* import.h - bulk import of reports from other systems' exports, through the
 * same validation and duplicate folding as live reports.
 *
 * Formats: "chicago311" (the City of Chicago's 311 Service Requests CSV) and
 * "labelled" (id,time,category,lat,lon,address,duplicate,parent_id: a
 * generic file of reports with duplicate labels, for evaluation; category is
 * a pack code or a name the pack maps under any source format; time is ISO
 * 8601, local city time when it has no zone).
 * Runs in the calling thread with a borrowed worker context.
 */
#ifndef MELDPUNT_IMPORT_H
#define MELDPUNT_IMPORT_H

#include <stdint.h>
#include <stdio.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

struct mp_import_stats {
    long rows;            /* data rows read */
    long imported;        /* reports stored */
    long joined;          /* of which joined an existing cluster */
    long skipped_info;    /* information-only calls */
    long skipped_type;    /* request types the city pack does not map */
    long skipped_nocoord; /* rows without coordinates */
    long skipped_area;    /* outside the service area */
    long skipped_invalid; /* failed validation otherwise */
    long skipped_existing;/* already imported (same external id) */
    long status_changes;  /* closures replayed */
    /* The city's own duplicate links: rows marked duplicate whose parent is
     * in the same file, and how many of them ended in the parent's cluster. */
    long dup_pairs;
    long dup_pairs_same_cluster;
    /* "Joined an existing cluster" against the duplicate flag, per report. */
    long tp, fp, fn, tn;
    /* Pairwise: pairs of reports in one cluster vs pairs linked by the labels
     * (parent links within the file, followed transitively). */
    long pairs_predicted, pairs_labelled, pairs_correct;
};

/* Import the CSV in f (borrowed) of the given format. Rows are replayed in
 * time order, and closures at their closing time, so that duplicate folding
 * sees the city as it was. Commits every batch rows. */
enum mp_status mp_import_csv(struct mp_ctx *ctx, const char *format, FILE *f,
                             struct mp_import_stats *stats, struct mp_error *err) MP_WUR;

#endif
