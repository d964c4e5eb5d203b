/* report_page.h - what a citizen's report page (/r/{id}) shows of the job
 * behind the report: the job's history as the report lived it (the job it
 * was reported in, a merge that took it into another, the job since; not
 * the other job's past), and the crew's photo of the repair.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_REPORT_PAGE_H
#define MELDPUNT_REPORT_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/lineage.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* A history entry of the page; mark is the merge's when the entry is a
 * merge's own (borrowed for the call), else NULL. Non-zero stops. */
typedef int (*mp_report_page_entry_cb)(void *arg, const struct mp_history_row *h,
                                       const struct mp_lineage_mark *mark);

/* The crew's photo of the repair of a finished job. */
struct mp_report_fix_photo {
    bool present;
    int64_t at;
    unsigned width, height;
};

/* As mp_report_view (report.h): the report's entries to history, oldest
 * first, then the report to report; *fix says whether the page has a
 * repair photo (mp_report_page_fix_photo), set before the callbacks run.
 * MP_ENOTFOUND "not_found",
 * MP_EUNAVAIL "unavailable", MP_ENOMEM. */
enum mp_status mp_report_page_view(struct mp_ctx *ctx, int64_t id, mp_report_page_entry_cb history,
                                   mp_report_cb report, void *arg, struct mp_report_fix_photo *fix,
                                   struct mp_error *err) MP_WUR;

/* The latest photo a crew took when it marked the report's job fixed, once
 * the job is finished (fixed or closed), as JPEG (thumb: its thumbnail):
 * new memory in *data (free()). Its metadata went at upload (photo.c).
 * MP_ENOTFOUND "not_found" (no such report, or no such photo),
 * MP_EUNAVAIL "unavailable". */
enum mp_status mp_report_page_fix_photo(struct mp_ctx *ctx, int64_t id, bool thumb, void **data,
                                        size_t *len, struct mp_error *err) MP_WUR;

#endif
