/* store_pg_merge.c - the record of staff merges on PostgreSQL
 * (store_merge.h): what a merge changed and moved, for its undo. Tables
 * merges and merge_rows (store_pg_schema.c); a merge's municipality is its
 * merged cluster's, and its rows take it from the merge. */
#include "meldpunt/store_merge.h"

#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "store_pg_engine.h"

static const char sql_add[] =
    "INSERT INTO merges (municipality, from_cluster, into_cluster, at, actor, reason, distance_m,"
    " from_status, into_status, merged_status, from_fixed_at, into_fixed_at, from_assigned,"
    " from_department, from_crew, from_priority, from_due_at, from_district, from_street,"
    " from_location) VALUES ((SELECT municipality FROM clusters WHERE id = $1::bigint), $1, $2,"
    " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULLIF($13, ''), NULLIF($14, ''),"
    " NULLIF($15::integer, 0), NULLIF($16::bigint, 0), NULLIF($17, ''), NULLIF($18, ''),"
    " NULLIF($19, '')) RETURNING id";
/* What a merge moves, noted before it moves it: $1 the merge, $2 the
 * cluster it empties. */
#define NOTE(kind, table)                                                                          \
    "INSERT INTO merge_rows (merge_id, municipality, kind, row_id) SELECT $1::bigint,"             \
    " (SELECT municipality FROM merges WHERE id = $1::bigint), '" kind "', id FROM " table         \
    " WHERE cluster_id = $2::bigint"
static const char *const sql_note[] = {
    NOTE("report", "reports"),
    NOTE("history", "history"),
    NOTE("note", "work_notes"),
    NOTE("photo", "work_photos"),
};
/* The column of each enum mp_merge_entry: four statements, no names built. */
static const char *const sql_entry_set[] = {
    "UPDATE merges SET entry_from = $2 WHERE id = $1::bigint",
    "UPDATE merges SET entry_into = $2 WHERE id = $1::bigint",
    "UPDATE merges SET entry_undo_from = $2 WHERE id = $1::bigint",
    "UPDATE merges SET entry_undo_into = $2 WHERE id = $1::bigint",
};
#define MERGE_COLUMNS                                                                              \
    "m.id, m.from_cluster, m.into_cluster, m.at, m.actor, m.reason, m.distance_m,"                 \
    " m.from_status, m.into_status, m.merged_status, m.from_fixed_at, m.into_fixed_at,"            \
    " m.from_assigned, m.from_department, m.from_crew, coalesce(m.from_priority, 0),"              \
    " coalesce(m.from_due_at, 0), m.from_district, m.from_street, m.from_location,"                \
    " coalesce(m.entry_from, 0), coalesce(m.entry_into, 0), coalesce(m.entry_undo_from, 0),"       \
    " coalesce(m.entry_undo_into, 0), coalesce(m.undone_at, 0), m.undone_by, m.municipality"
static const char sql_get[] = "SELECT " MERGE_COLUMNS " FROM merges m WHERE m.id = $1::bigint";
/* The merge's reports that are no longer in the cluster it merged into
 * (moved on, or gone): how many, the first, and where that one is now. */
static const char sql_strays[] =
    "SELECT n, rid, coalesce((SELECT cluster_id FROM reports WHERE id = rid), 0) FROM"
    " (SELECT count(*) AS n, coalesce(min(mr.row_id), 0) AS rid FROM merge_rows mr"
    " LEFT JOIN reports r ON r.id = mr.row_id AND r.municipality = mr.municipality"
    " WHERE mr.merge_id = $1::bigint AND mr.kind = 'report'"
    " AND (r.id IS NULL OR r.cluster_id <> $2::bigint)) s";
static const char sql_restore_reports[] =
    "UPDATE reports SET cluster_id = $2, status = $3, updated_at = $4 WHERE id IN"
    " (SELECT row_id FROM merge_rows WHERE merge_id = $1::bigint AND kind = 'report')";
#define RESTORE(table, kind)                                                                       \
    "UPDATE " table " SET cluster_id = $2 WHERE id IN"                                             \
    " (SELECT row_id FROM merge_rows WHERE merge_id = $1::bigint AND kind = '" kind "')"
static const char *const sql_restore[] = {
    RESTORE("history", "history"),
    RESTORE("work_notes", "note"),
    RESTORE("work_photos", "photo"),
};
static const char sql_undone[] =
    "UPDATE merges SET undone_at = $2, undone_by = $3 WHERE id = $1::bigint";
static const char sql_in_history[] =
    "SELECT " MERGE_COLUMNS " FROM merges m WHERE EXISTS (SELECT 1 FROM history h"
    " WHERE h.cluster_id = $1::bigint AND h.id IN (m.entry_from, m.entry_into,"
    " m.entry_undo_from, m.entry_undo_into)) ORDER BY m.id";
static const char sql_of_report[] =
    "SELECT " MERGE_COLUMNS " FROM merge_rows mr JOIN merges m ON m.id = mr.merge_id"
    " AND m.municipality = mr.municipality WHERE mr.kind = 'report' AND mr.row_id = $1::bigint"
    " AND m.undone_at IS NULL ORDER BY m.id";
static const char sql_moved_in[] =
    "SELECT m.id, m.from_cluster, 'report', r.id FROM reports r"
    " JOIN merge_rows mr ON mr.kind = 'report' AND mr.row_id = r.id"
    " JOIN merges m ON m.id = mr.merge_id AND m.undone_at IS NULL WHERE r.cluster_id = $1::bigint"
    " UNION ALL SELECT m.id, m.from_cluster, 'history', h.id FROM history h"
    " JOIN merge_rows mr ON mr.kind = 'history' AND mr.row_id = h.id"
    " JOIN merges m ON m.id = mr.merge_id AND m.undone_at IS NULL WHERE h.cluster_id = $1::bigint"
    " ORDER BY 1, 3, 4";

enum mp_status mp_pg_merge_add(struct mp_store_sess *s, const struct mp_merge_rec *m, int64_t *id)
{
    const struct mp_work_assignment *w = m->from_work;
    bool assigned = w && w->exists;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, m->from_cluster);
    mp_pg_int64(&p, m->into_cluster);
    mp_pg_int64(&p, m->at);
    mp_pg_text(&p, m->actor);
    mp_pg_text(&p, m->reason);
    mp_pg_double(&p, m->distance_m);
    mp_pg_text(&p, m->from_status);
    mp_pg_text(&p, m->into_status);
    mp_pg_text(&p, m->merged_status);
    mp_pg_int64(&p, m->from_fixed_at);
    mp_pg_int64(&p, m->into_fixed_at);
    mp_pg_bool(&p, assigned);
    mp_pg_text(&p, assigned ? w->department : "");
    mp_pg_text(&p, assigned ? w->crew : "");
    mp_pg_int64(&p, assigned ? w->priority : 0);
    mp_pg_int64(&p, assigned ? w->due_at : 0);
    mp_pg_text(&p, m->from_district);
    mp_pg_text(&p, m->from_street);
    mp_pg_text(&p, m->from_location);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_add, &p, mp_pg_row_int64, id, "merge add");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

/* Statement sql with $1 a and $2 b. */
static enum mp_status run_ids(struct mp_store_sess *s, const char *sql, int64_t a, int64_t b,
                              const char *what)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, a);
    mp_pg_int64(&p, b);
    return mp_pg_run(s, sql, &p, NULL, what);
}

enum mp_status mp_pg_merge_note_rows(struct mp_store_sess *s, int64_t id, int64_t from)
{
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < sizeof sql_note / sizeof *sql_note; i++)
        rc = run_ids(s, sql_note[i], id, from, "merge rows");
    return rc;
}

enum mp_status mp_pg_merge_entry_add(struct mp_store_sess *s, int64_t id, enum mp_merge_entry which,
                                     const struct mp_history_rec *h)
{
    if ((unsigned)which >= sizeof sql_entry_set / sizeof *sql_entry_set)
        return MP_EDB;
    /* The entry is an ordinary one; the merge record then points at it. */
    int64_t entry = 0;
    enum mp_status rc = mp_pg_history_insert(s, h, &entry);
    if (rc)
        return rc;
    return run_ids(s, sql_entry_set[which], id, entry, "merge entry");
}

static void read_merge(const PGresult *r, int i, struct mp_merge_row *m)
{
    memset(m, 0, sizeof *m);
    m->id = mp_pg_col_int64(r, i, 0);
    m->from_cluster = mp_pg_col_int64(r, i, 1);
    m->into_cluster = mp_pg_col_int64(r, i, 2);
    m->at = mp_pg_col_int64(r, i, 3);
    mp_pg_col_copy(m->actor, sizeof m->actor, r, i, 4);
    m->has_reason = !PQgetisnull(r, i, 5);
    mp_pg_col_copy(m->reason, sizeof m->reason, r, i, 5);
    m->distance_m = mp_pg_col_double(r, i, 6);
    mp_pg_col_copy(m->from_status, sizeof m->from_status, r, i, 7);
    mp_pg_col_copy(m->into_status, sizeof m->into_status, r, i, 8);
    mp_pg_col_copy(m->merged_status, sizeof m->merged_status, r, i, 9);
    m->from_fixed_at = mp_pg_col_int64(r, i, 10);
    m->into_fixed_at = mp_pg_col_int64(r, i, 11);
    m->from_work.exists = mp_pg_col_bool(r, i, 12);
    mp_pg_col_copy(m->from_work.department, sizeof m->from_work.department, r, i, 13);
    mp_pg_col_copy(m->from_work.crew, sizeof m->from_work.crew, r, i, 14);
    m->from_work.priority = (int)mp_pg_col_int64(r, i, 15);
    m->from_work.due_at = mp_pg_col_int64(r, i, 16);
    mp_pg_col_copy(m->from_district, sizeof m->from_district, r, i, 17);
    mp_pg_col_copy(m->from_street, sizeof m->from_street, r, i, 18);
    mp_pg_col_copy(m->from_location, sizeof m->from_location, r, i, 19);
    for (int k = 0; k < 4; k++)
        m->entry[k] = mp_pg_col_int64(r, i, 20 + k);
    m->undone_at = mp_pg_col_int64(r, i, 24);
    mp_pg_col_copy(m->undone_by, sizeof m->undone_by, r, i, 25);
    mp_pg_col_copy(m->municipality, sizeof m->municipality, r, i, 26);
}

static int merge_row(void *ctx, const PGresult *r, int i)
{
    read_merge(r, i, ctx);
    return 1;
}

enum mp_status mp_pg_merge_get(struct mp_store_sess *s, int64_t id, struct mp_merge_row *out)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_get, &p, merge_row, out, "merge get");
}

struct strays {
    int64_t *n, *report, *now_in;
};

static int stray_row(void *ctx, const PGresult *r, int i)
{
    const struct strays *c = ctx;
    *c->n = mp_pg_col_int64(r, i, 0);
    *c->report = mp_pg_col_int64(r, i, 1);
    *c->now_in = mp_pg_col_int64(r, i, 2);
    return 1;
}

enum mp_status mp_pg_merge_strays(struct mp_store_sess *s, int64_t id, int64_t into, int64_t *n,
                                  int64_t *report, int64_t *now_in)
{
    struct strays c = {n, report, now_in};
    *n = *report = *now_in = 0;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, into);
    return mp_pg_each(s, sql_strays, &p, stray_row, &c, "merge strays");
}

enum mp_status mp_pg_merge_restore(struct mp_store_sess *s, int64_t id, int64_t from,
                                   const char *status, int64_t at, const char *actor)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, from);
    mp_pg_text(&p, status);
    mp_pg_int64(&p, at);
    enum mp_status rc = mp_pg_run(s, sql_restore_reports, &p, NULL, "merge restore");
    for (size_t i = 0; rc == MP_OK && i < sizeof sql_restore / sizeof *sql_restore; i++)
        rc = run_ids(s, sql_restore[i], id, from, "merge restore");
    if (rc)
        return rc;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, at);
    mp_pg_text(&p, actor);
    return mp_pg_run(s, sql_undone, &p, NULL, "merge undone");
}

struct merges {
    mp_merge_cb cb;
    void *ctx;
    struct mp_merge_row row;
};

static int merges_row(void *ctx, const PGresult *r, int i)
{
    struct merges *c = ctx;
    read_merge(r, i, &c->row);
    return c->cb(c->ctx, &c->row);
}

static enum mp_status each_merge(struct mp_store_sess *s, const char *sql, int64_t key,
                                 mp_merge_cb cb, void *ctx)
{
    struct merges *c = malloc(sizeof *c); /* a row holds 2 kB of reason */
    if (!c)
        return MP_ENOMEM;
    c->cb = cb;
    c->ctx = ctx;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, key);
    enum mp_status rc = mp_pg_each(s, sql, &p, merges_row, c, "merges");
    free(c);
    return rc;
}

enum mp_status mp_pg_merges_in_history(struct mp_store_sess *s, int64_t cluster, mp_merge_cb cb,
                                       void *ctx)
{
    return each_merge(s, sql_in_history, cluster, cb, ctx);
}

enum mp_status mp_pg_merges_of_report(struct mp_store_sess *s, int64_t report, mp_merge_cb cb,
                                      void *ctx)
{
    return each_merge(s, sql_of_report, report, cb, ctx);
}

struct moved {
    mp_merge_moved_cb cb;
    void *ctx;
};

static int moved_row(void *ctx, const PGresult *r, int i)
{
    const struct moved *c = ctx;
    return c->cb(c->ctx, mp_pg_col_int64(r, i, 0), mp_pg_col_int64(r, i, 1),
                 mp_pg_col_text(r, i, 2), mp_pg_col_int64(r, i, 3));
}

enum mp_status mp_pg_merge_moved_in(struct mp_store_sess *s, int64_t cluster, mp_merge_moved_cb cb,
                                    void *ctx)
{
    struct moved c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster);
    return mp_pg_each(s, sql_moved_in, &p, moved_row, &c, "merge moved");
}
