/* lineage.c - the merges behind a job's history (lineage.h), read once per
 * view into small sorted arrays: a view asks about every entry and report. */
#include "meldpunt/lineage.h"

#include <stdlib.h>
#include <string.h>

#include "meldpunt/store_merge.h"

#define MERGES_MAX 256
#define MOVED_MAX 4096

struct merge {
    int64_t id, from, into, entry[4];
    bool undone;
    char *reason; /* owned, NULL when none */
    double distance_m;
};

struct moved {
    int64_t row_id, merge_id, from;
    bool report; /* else a history entry */
};

struct mp_lineage {
    int64_t cluster;
    struct merge *merges; /* of the history, by id */
    size_t nmerges;
    struct moved *moved; /* by (report, row_id, merge_id) */
    size_t nmoved;
    struct merge *path; /* the report's standing merges, by id */
    size_t npath;
    struct mp_lineage_mark mark; /* the last mark handed out */
};

struct fill {
    struct merge *to;
    size_t *n;
    bool failed;
};

static int take_merge(void *p, const struct mp_merge_row *m)
{
    struct fill *f = p;
    if (*f->n == MERGES_MAX)
        return 1;
    struct merge *g = &f->to[*f->n];
    g->id = m->id;
    g->from = m->from_cluster;
    g->into = m->into_cluster;
    memcpy(g->entry, m->entry, sizeof g->entry);
    g->undone = m->undone_at != 0;
    g->distance_m = m->distance_m;
    g->reason = NULL;
    if (m->has_reason && !(g->reason = strdup(m->reason))) {
        f->failed = true;
        return 1;
    }
    (*f->n)++;
    return 0;
}

static int take_moved(void *p, int64_t merge_id, int64_t from, const char *kind, int64_t row_id)
{
    struct mp_lineage *l = p;
    if (l->nmoved == MOVED_MAX)
        return 1;
    l->moved[l->nmoved++] = (struct moved){.row_id = row_id,
                                           .merge_id = merge_id,
                                           .from = from,
                                           .report = kind && strcmp(kind, "report") == 0};
    return 0;
}

static int cmp_moved(const void *pa, const void *pb)
{
    const struct moved *a = pa, *b = pb;
    if (a->report != b->report)
        return a->report ? 1 : -1;
    if (a->row_id != b->row_id)
        return a->row_id < b->row_id ? -1 : 1;
    return a->merge_id < b->merge_id ? -1 : a->merge_id > b->merge_id;
}

enum mp_status mp_lineage_load(struct mp_ctx *ctx, int64_t cluster, int64_t report,
                               struct mp_lineage **out)
{
    enum mp_status rc = MP_ENOMEM;
    struct mp_lineage *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!l || !(l->merges = calloc(MERGES_MAX, sizeof *l->merges)) ||
        !(l->moved = calloc(MOVED_MAX, sizeof *l->moved)) ||
        (report && !(l->path = calloc(MERGES_MAX, sizeof *l->path))))
        goto fail;
    l->cluster = cluster;
    struct fill f = {l->merges, &l->nmerges, false};
    if ((rc = mp_store_merges_in_history(ctx->db, cluster, take_merge, &f)) ||
        (rc = mp_store_merge_moved_in(ctx->db, cluster, take_moved, l)))
        goto fail;
    struct fill fp = {l->path, &l->npath, false};
    if (report && (rc = mp_store_merges_of_report(ctx->db, report, take_merge, &fp)))
        goto fail;
    if (f.failed || fp.failed) {
        rc = MP_ENOMEM;
        goto fail;
    }
    qsort(l->moved, l->nmoved, sizeof *l->moved, cmp_moved);
    *out = l;
    return MP_OK;
fail:
    mp_lineage_free(l);
    return rc;
}

void mp_lineage_free(struct mp_lineage *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->merges && i < l->nmerges; i++)
        free(l->merges[i].reason);
    for (size_t i = 0; l->path && i < l->npath; i++)
        free(l->path[i].reason);
    free(l->merges);
    free(l->moved);
    free(l->path);
    free(l);
}

const struct mp_lineage_mark *mp_lineage_entry(const struct mp_lineage *cl, int64_t history_id)
{
    struct mp_lineage *l = (struct mp_lineage *)cl; /* the mark is scratch */
    static const char *const events[] = {"merged_into", "merged_in", "unmerged", "unmerged"};
    for (size_t i = 0; l && i < l->nmerges; i++) {
        const struct merge *m = &l->merges[i];
        for (int k = 0; k < 4; k++) {
            if (!m->entry[k] || m->entry[k] != history_id)
                continue;
            /* Entries 0 and 2 stand on the merged job, 1 and 3 on the other. */
            l->mark = (struct mp_lineage_mark){.merge_id = m->id,
                                               .event = events[k],
                                               .cluster = k % 2 == 0 ? m->into : m->from,
                                               .reason = m->reason,
                                               .distance_m = m->distance_m,
                                               .undone = m->undone,
                                               .undoable = k == 1 && !m->undone};
            return &l->mark;
        }
    }
    return NULL;
}

/* The first (earliest merge's) row of that kind and id, or NULL. */
static const struct moved *find_moved(const struct mp_lineage *l, bool report, int64_t row_id)
{
    size_t lo = 0, hi = l ? l->nmoved : 0;
    struct moved key = {.row_id = row_id, .merge_id = 0, .report = report};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_moved(&l->moved[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < (l ? l->nmoved : 0) && l->moved[lo].report == report && l->moved[lo].row_id == row_id)
        return &l->moved[lo];
    return NULL;
}

int64_t mp_lineage_origin(const struct mp_lineage *l, int64_t history_id)
{
    const struct moved *m = find_moved(l, false, history_id);
    return m ? m->from : 0;
}

int64_t mp_lineage_report_from(const struct mp_lineage *l, int64_t report_id, int64_t *merge_id)
{
    const struct moved *m = find_moved(l, true, report_id);
    *merge_id = m ? m->merge_id : 0;
    return m ? m->from : 0;
}

bool mp_lineage_shows(const struct mp_lineage *l, const struct mp_history_row *h)
{
    if (!l)
        return true;
    int64_t origin = mp_lineage_origin(l, h->id);
    if (!origin)
        origin = l->cluster;
    /* The job the report was in when the entry was written: before a
     * merge's entry on the job it went into, the job it came from. */
    int64_t was_in = l->cluster;
    for (size_t i = 0; i < l->npath; i++)
        if (h->id <= l->path[i].entry[MP_MERGE_ENTRY_INTO]) {
            was_in = l->path[i].from;
            break;
        }
    return was_in == origin;
}
