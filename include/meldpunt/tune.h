/* tune.h - choosing a category's duplicate rule from labelled reports.
 *
 * The rows of a labelled file (import.h) are replayed in memory, category
 * by category, as the import path replays them into a database: in time
 * order with the source's closures, each report probed once (its street,
 * house number and their places, mp_report_probe) and matched by the same
 * rule functions (mp_cluster_choose_ev) against the clusters within reach.
 * One replay costs microseconds a report, so thousands of parameter sets
 * can be tried.
 *
 * The search is scored by cross-validation with folds by time: the rows
 * are cut into consecutive stretches of time; for each stretch the
 * parameters that score best on the other stretches are chosen and scored
 * on it. No parameter set is scored on the rows it was chosen on. The
 * score is F1 of "joined an existing cluster" against the duplicate flag.
 *
 * Not thread-safe: one caller per struct mp_tune_data.
 */
#ifndef MELDPUNT_TUNE_H
#define MELDPUNT_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/import.h"
#include "meldpunt/status.h"

struct mp_tune_data;

/* Categories with fewer labelled duplicates than this keep their rule:
 * a handful of labels chooses noise. */
#define MP_TUNE_MIN_LABELS 5

/* Probe and order rows (TAKEN: freed with the data, also on failure) for
 * replays under ctx's pack (city, streets; ctx->db is not used), cut into
 * folds (2 to 20) stretches of time. Rows the pack refuses (outside the
 * area, ...) take no part, as in an import. New object in *out
 * (mp_tune_free). */
enum mp_status mp_tune_prepare(struct mp_ctx *ctx, struct mp_import_rows *rows, unsigned folds,
                               struct mp_tune_data **out, struct mp_error *err) MP_WUR;
void mp_tune_free(struct mp_tune_data *d);

/* The rows, with the outcome of the latest replay of each category
 * (imported, joined, cluster_id): for mp_import_score. Borrowed. */
const struct mp_import_rows *mp_tune_rows(const struct mp_tune_data *d);
/* Rows taking part, and the time span they cover. */
size_t mp_tune_count(const struct mp_tune_data *d, int64_t *first, int64_t *last);

/* Replay the rows of the category whose code rule->code names under the
 * rule fields of *rule. */
enum mp_status mp_tune_replay(struct mp_tune_data *d, const struct mp_category *rule) MP_WUR;

/* Counts of "joined" against the duplicate flag. */
struct mp_tune_counts {
    long tp, fp, fn;
};

double mp_tune_f1(const struct mp_tune_counts *c);

struct mp_tune_result {
    long reports, labelled; /* rows of the category taking part, marked duplicate */
    size_t tried;           /* parameter sets tried */
    bool enough;            /* labelled >= MP_TUNE_MIN_LABELS: a rule was chosen */
    struct mp_tune_counts current; /* the category's own rule, on every row */
    struct mp_tune_counts cv;      /* the search, each fold scored by the choice made
                                      on the other folds, summed */
    struct mp_category best;       /* chosen on all rows (the rule fields; = the current
                                      rule when !enough) */
    struct mp_tune_counts best_all; /* best on all rows: in-sample, for reference only */
};

/* Search the rule parameters of category ci of the pack: rule (point,
 * street, address), radius_m, along_m, window_days, fixed_absorb_days,
 * address_span, address_side over a fixed grid (README "Duplicate
 * folding"). Ties go to the set that changes fewest of the current rule's
 * fields, then to the simpler set (earlier in the grid). */
enum mp_status mp_tune_category(struct mp_tune_data *d, size_t ci, struct mp_tune_result *out)
    MP_WUR;

/* "street 15 m, along 100 m, numbers +-40, 84 d, absorb 3 d" into out. */
void mp_tune_describe(const struct mp_category *rule, char *out, size_t cap);

#endif
