/* import.h - bulk import of reports from other systems' exports, through the
 * same validation and duplicate folding as live reports.
 *
 * Formats: "chicago311" (the City of Chicago's 311 Service Requests CSV) and
 * "labelled" (id,time,category,lat,lon,address,duplicate,parent_id,closed_at:
 * a generic file of reports with duplicate labels, for evaluation; category
 * is a pack code or a name the pack maps under any source format; times are
 * ISO 8601, local city time when they have no zone; address, parent_id and
 * closed_at are optional). A row closed by its source (chicago311: status
 * Completed or Canceled at closed_date; labelled: closed_at) closes its
 * cluster at that time in a replay, as staff would live: fixed (Canceled:
 * closed), unless the row is a duplicate, whose closing only points at its
 * parent.
 * Runs in the calling thread with a borrowed worker context.
 */
#ifndef MELDPUNT_IMPORT_H
#define MELDPUNT_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

/* How a set of rows came out against its labels. */
struct mp_import_score {
    long imported, joined;
    /* "Joined an existing cluster" against the duplicate flag, per report. */
    long tp, fp, fn, tn;
    /* The source's own duplicate links: rows marked duplicate whose parent
     * is in the same file, and how many of them ended in the parent's
     * cluster. */
    long dup_pairs, dup_pairs_same_cluster;
    /* Pairwise: pairs of reports in one cluster vs pairs linked by the
     * labels (parent links within the file, followed transitively). */
    long pairs_predicted, pairs_labelled, pairs_correct;
};

/* Categories scored one by one (more are counted in the totals only). */
#define MP_IMPORT_MAX_CATEGORIES 64

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
    /* The totals of the scores below. */
    long dup_pairs, dup_pairs_same_cluster;
    long tp, fp, fn, tn;
    long pairs_predicted, pairs_labelled, pairs_correct;
    /* Per category, indexed as city->categories. */
    struct mp_import_score per_category[MP_IMPORT_MAX_CATEGORIES];
};

/* One row of a file as read, and (after a replay) where it went. */
struct mp_import_row {
    char *id, *parent, *address; /* owned; parent and address NULL when empty */
    const struct mp_category *category; /* borrowed from the city */
    const char *channel;                /* static */
    double lon, lat;
    int64_t created, closed; /* UTC; closed 0 when the source never closed it */
    bool duplicate;
    char final_status[16]; /* "fixed", "closed", or "" (still open) */
    /* Filled by the replay: */
    int64_t cluster_id; /* any id unique per cluster */
    bool joined, imported;
};

struct mp_import_rows {
    struct mp_import_row *v; /* owned */
    size_t n;
};

/* Import the CSV in f (borrowed) of the given format. Rows are replayed in
 * time order, and closures at their closing time, so that duplicate folding
 * sees the city as it was. Commits every batch rows. */
enum mp_status mp_import_csv(struct mp_ctx *ctx, const char *format, FILE *f,
                             struct mp_import_stats *stats, struct mp_error *err) MP_WUR;

/* Read the rows of f in the given format that the pack can take (its
 * categories, with coordinates and a time; counted in stats' skipped_*
 * otherwise), in file order. New rows in *out (mp_import_rows_free). */
enum mp_status mp_import_read(struct mp_ctx *ctx, const char *format, FILE *f,
                              struct mp_import_rows *out, struct mp_import_stats *stats,
                              struct mp_error *err) MP_WUR;
void mp_import_rows_free(struct mp_import_rows *rows);

/* Whether a's event comes before b's in a replay: reports and closures by
 * time, a report before a closure at the same instant, then file order. */
bool mp_import_before(int64_t at_a, bool closing_a, size_t row_a, int64_t at_b, bool closing_b,
                      size_t row_b);

/* Score the rows' outcomes (imported, joined, cluster_id) against their
 * labels into stats: the totals and, for each category of city, its own. */
enum mp_status mp_import_score(const struct mp_city *city, const struct mp_import_rows *rows,
                               struct mp_import_stats *stats) MP_WUR;

#endif
