/* report_page.c - the citizen's view of a report's job (report_page.h):
 * mp_report_view's history, filtered by the merges the report went
 * through (lineage.h), and the crew's repair photo. */
#include "meldpunt/report_page.h"

#include <string.h>

#include "meldpunt/cluster.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_work.h"

struct job_of {
    int64_t cluster_id;
    char status[MP_STATUS_MAXLEN];
};

static int grab(void *p, const struct mp_report_row *r)
{
    struct job_of *j = p;
    j->cluster_id = r->cluster_id;
    snprintf(j->status, sizeof j->status, "%s", r->status ? r->status : "");
    return 0;
}

struct fix_pick {
    int64_t id, at;
    unsigned width, height;
};

/* The latest photo taken with the change to fixed (rows come oldest first). */
static int fix_row(void *p, const struct mp_work_photo_row *r)
{
    struct fix_pick *f = p;
    if (r->status && strcmp(r->status, "fixed") == 0)
        *f = (struct fix_pick){r->id, r->at, r->width, r->height};
    return 0;
}

/* The report's job, and its repair photo when the job is finished. */
static enum mp_status job_and_photo(struct mp_ctx *ctx, int64_t id, struct job_of *j,
                                    struct fix_pick *f, struct mp_error *err)
{
    enum mp_status rc = mp_store_report_get(ctx->db, id, false, grab, j);
    memset(f, 0, sizeof *f);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no report %lld", (long long)id);
    if (rc || (!mp_cluster_status_open(j->status) &&
               (rc = mp_store_work_photos(ctx->db, j->cluster_id, fix_row, f))))
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the report right now");
    return MP_OK;
}

struct page {
    const struct mp_lineage *lineage;
    mp_report_page_entry_cb history;
    mp_report_cb report;
    void *arg;
};

static int page_entry(void *p, const struct mp_history_row *h)
{
    struct page *pg = p;
    if (!mp_lineage_shows(pg->lineage, h))
        return 0;
    return pg->history(pg->arg, h, mp_lineage_entry(pg->lineage, h->id));
}

static int page_report(void *p, const struct mp_report_row *r)
{
    struct page *pg = p;
    return pg->report(pg->arg, r);
}

enum mp_status mp_report_page_view(struct mp_ctx *ctx, int64_t id, mp_report_page_entry_cb history,
                                   mp_report_cb report, void *arg, struct mp_report_fix_photo *fix,
                                   struct mp_error *err)
{
    struct job_of j;
    struct fix_pick f;
    struct mp_lineage *l = NULL;
    enum mp_status rc;
    memset(fix, 0, sizeof *fix);
    if ((rc = job_and_photo(ctx, id, &j, &f, err)))
        return rc;
    if ((rc = mp_lineage_load(ctx, j.cluster_id, id, &l)))
        return rc == MP_ENOMEM
                   ? rc
                   : mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the history right now");
    /* Known before the report is written: an encoder puts it in the report. */
    if (f.id)
        *fix = (struct mp_report_fix_photo){true, f.at, f.width, f.height};
    struct page pg = {l, history, report, arg};
    rc = mp_report_view(ctx, id, page_entry, page_report, &pg, err);
    mp_lineage_free(l);
    return rc;
}

enum mp_status mp_report_page_fix_photo(struct mp_ctx *ctx, int64_t id, bool thumb, void **data,
                                        size_t *len, struct mp_error *err)
{
    struct job_of j;
    struct fix_pick f;
    enum mp_status rc;
    *data = NULL;
    *len = 0;
    if ((rc = job_and_photo(ctx, id, &j, &f, err)))
        return rc;
    if (!f.id)
        return mp_fail(err, MP_ENOTFOUND, "not_found", "report %lld has no photo of a repair",
                       (long long)id);
    if ((rc = mp_store_work_photo_get(ctx->db, f.id, thumb, data, len)))
        return mp_fail(err, rc == MP_ENOTFOUND ? rc : MP_EUNAVAIL,
                       rc == MP_ENOTFOUND ? "not_found" : "unavailable",
                       "cannot read the photo of report %lld", (long long)id);
    return MP_OK;
}
