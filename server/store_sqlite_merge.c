/* store_sqlite_merge.c - SQL for the record of staff merges (store_merge.h):
 * its own schema part, so that its tables need no number of the core
 * schema's. */
#include "meldpunt/store_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/store.h"
#include "store_sqlite_engine.h"
#include "store_sqlite.h"
#include "store_sqlite_schema.h"

static const char *const merge_migrations[] = {
    /* 1 */
    /* A merge keeps what it changed: the two statuses before it, the
     * merged cluster's assignment and place, the ids of the history entries
     * it (and its undo) wrote. No foreign keys to clusters: the merged
     * cluster is gone while the merge stands, and the record must outlive
     * whatever happens to either job. AUTOINCREMENT: a merge's id is quoted
     * by the undo and never comes back. */
    "CREATE TABLE merges ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " from_cluster INTEGER NOT NULL,"
    " into_cluster INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " actor TEXT,"
    " reason TEXT,"
    " distance_m REAL NOT NULL,"
    " from_status TEXT NOT NULL, into_status TEXT NOT NULL, merged_status TEXT NOT NULL,"
    " from_fixed_at INTEGER NOT NULL, into_fixed_at INTEGER NOT NULL,"
    " from_assigned INTEGER NOT NULL, from_department TEXT, from_crew TEXT,"
    " from_priority INTEGER, from_due_at INTEGER,"
    " from_district TEXT, from_street TEXT, from_location TEXT,"
    " entry_from INTEGER, entry_into INTEGER, entry_undo_from INTEGER, entry_undo_into INTEGER,"
    " undone_at INTEGER, undone_by TEXT);"
    "CREATE INDEX merges_into ON merges (into_cluster);"
    /* What a merge moved: kind 'report', 'history', 'note' or 'photo'. */
    "CREATE TABLE merge_rows ("
    " merge_id INTEGER NOT NULL REFERENCES merges (id),"
    " kind TEXT NOT NULL,"
    " row_id INTEGER NOT NULL,"
    " PRIMARY KEY (merge_id, kind, row_id)) WITHOUT ROWID;"
    "CREATE INDEX merge_rows_row ON merge_rows (kind, row_id);",
};

const struct mp_store_module mp_store_module_merge = {
    "merge", merge_migrations, (int)(sizeof merge_migrations / sizeof *merge_migrations)};

static const char sql_add[] =
    "INSERT INTO merges (from_cluster, into_cluster, at, actor, reason, distance_m, from_status,"
    " into_status, merged_status, from_fixed_at, into_fixed_at, from_assigned, from_department,"
    " from_crew, from_priority, from_due_at, from_district, from_street, from_location)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, NULLIF(?13, ''), NULLIF(?14, ''),"
    " NULLIF(?15, 0), NULLIF(?16, 0), NULLIF(?17, ''), NULLIF(?18, ''), NULLIF(?19, ''))";
static const char sql_note_reports[] =
    "INSERT INTO merge_rows SELECT ?1, 'report', id FROM reports WHERE cluster_id = ?2";
static const char sql_note_history[] =
    "INSERT INTO merge_rows SELECT ?1, 'history', id FROM history WHERE cluster_id = ?2";
static const char sql_note_notes[] =
    "INSERT INTO merge_rows SELECT ?1, 'note', id FROM work_notes WHERE cluster_id = ?2";
static const char sql_note_photos[] =
    "INSERT INTO merge_rows SELECT ?1, 'photo', id FROM work_photos WHERE cluster_id = ?2";
/* The column of each enum mp_merge_entry: four statements, no names built. */
static const char *const sql_entry_set[] = {
    "UPDATE merges SET entry_from = ?2 WHERE id = ?1",
    "UPDATE merges SET entry_into = ?2 WHERE id = ?1",
    "UPDATE merges SET entry_undo_from = ?2 WHERE id = ?1",
    "UPDATE merges SET entry_undo_into = ?2 WHERE id = ?1",
};
#define MERGE_COLUMNS                                                                              \
    "m.id, m.from_cluster, m.into_cluster, m.at, m.actor, m.reason, m.distance_m,"                 \
    " m.from_status, m.into_status, m.merged_status, m.from_fixed_at, m.into_fixed_at,"            \
    " m.from_assigned, m.from_department, m.from_crew, IFNULL(m.from_priority, 0),"                \
    " IFNULL(m.from_due_at, 0), m.from_district, m.from_street, m.from_location,"                  \
    " IFNULL(m.entry_from, 0), IFNULL(m.entry_into, 0), IFNULL(m.entry_undo_from, 0),"             \
    " IFNULL(m.entry_undo_into, 0), IFNULL(m.undone_at, 0), m.undone_by,"                          \
    " (SELECT r.municipality FROM merge_rows x JOIN reports r ON r.id = x.row_id"                  \
    "  WHERE x.merge_id = m.id AND x.kind = 'report' LIMIT 1)"
static const char sql_get[] = "SELECT " MERGE_COLUMNS " FROM merges m WHERE m.id = ?1";
static const char sql_strays[] =
    "SELECT n, rid, IFNULL((SELECT cluster_id FROM reports WHERE id = rid), 0) FROM"
    " (SELECT count(*) AS n, IFNULL(min(mr.row_id), 0) AS rid FROM merge_rows mr"
    " LEFT JOIN reports r ON r.id = mr.row_id WHERE mr.merge_id = ?1 AND mr.kind = 'report'"
    " AND (r.id IS NULL OR r.cluster_id <> ?2))";
static const char sql_restore_reports[] =
    "UPDATE reports SET cluster_id = ?2, status = ?3, updated_at = ?4 WHERE id IN"
    " (SELECT row_id FROM merge_rows WHERE merge_id = ?1 AND kind = 'report')";
static const char sql_restore_history[] =
    "UPDATE history SET cluster_id = ?2 WHERE id IN"
    " (SELECT row_id FROM merge_rows WHERE merge_id = ?1 AND kind = 'history')";
static const char sql_restore_notes[] =
    "UPDATE work_notes SET cluster_id = ?2 WHERE id IN"
    " (SELECT row_id FROM merge_rows WHERE merge_id = ?1 AND kind = 'note')";
static const char sql_restore_photos[] =
    "UPDATE work_photos SET cluster_id = ?2 WHERE id IN"
    " (SELECT row_id FROM merge_rows WHERE merge_id = ?1 AND kind = 'photo')";
static const char sql_undone[] = "UPDATE merges SET undone_at = ?2, undone_by = ?3 WHERE id = ?1";
static const char sql_in_history[] =
    "SELECT " MERGE_COLUMNS " FROM merges m WHERE EXISTS (SELECT 1 FROM history h"
    " WHERE h.cluster_id = ?1 AND h.id IN (m.entry_from, m.entry_into, m.entry_undo_from,"
    " m.entry_undo_into)) ORDER BY m.id";
static const char sql_of_report[] =
    "SELECT " MERGE_COLUMNS " FROM merge_rows mr JOIN merges m ON m.id = mr.merge_id"
    " WHERE mr.kind = 'report' AND mr.row_id = ?1 AND m.undone_at IS NULL ORDER BY m.id";
static const char sql_moved_in[] =
    "SELECT m.id, m.from_cluster, 'report', r.id FROM reports r"
    " JOIN merge_rows mr ON mr.kind = 'report' AND mr.row_id = r.id"
    " JOIN merges m ON m.id = mr.merge_id AND m.undone_at IS NULL WHERE r.cluster_id = ?1"
    " UNION ALL SELECT m.id, m.from_cluster, 'history', h.id FROM history h"
    " JOIN merge_rows mr ON mr.kind = 'history' AND mr.row_id = h.id"
    " JOIN merges m ON m.id = mr.merge_id AND m.undone_at IS NULL WHERE h.cluster_id = ?1"
    " ORDER BY 1, 3, 4";

enum mp_status mp_sqlite_merge_add(struct mp_store_sess *s, const struct mp_merge_rec *m,
                                   int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_add);
    if (!st)
        return MP_EDB;
    const struct mp_work_assignment *w = m->from_work;
    bool assigned = w && w->exists;
    sqlite3_bind_int64(st, 1, m->from_cluster);
    sqlite3_bind_int64(st, 2, m->into_cluster);
    sqlite3_bind_int64(st, 3, m->at);
    mp_bind_text(st, 4, m->actor);
    mp_bind_text(st, 5, m->reason);
    sqlite3_bind_double(st, 6, m->distance_m);
    mp_bind_text(st, 7, m->from_status);
    mp_bind_text(st, 8, m->into_status);
    mp_bind_text(st, 9, m->merged_status);
    sqlite3_bind_int64(st, 10, m->from_fixed_at);
    sqlite3_bind_int64(st, 11, m->into_fixed_at);
    sqlite3_bind_int(st, 12, assigned);
    mp_bind_text(st, 13, assigned ? w->department : "");
    mp_bind_text(st, 14, assigned ? w->crew : "");
    sqlite3_bind_int(st, 15, assigned ? w->priority : 0);
    sqlite3_bind_int64(st, 16, assigned ? w->due_at : 0);
    mp_bind_text(st, 17, m->from_district);
    mp_bind_text(st, 18, m->from_street);
    mp_bind_text(st, 19, m->from_location);
    enum mp_status rc = mp_stmt_run(s, st, "merge add");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

enum mp_status mp_sqlite_merge_note_rows(struct mp_store_sess *s, int64_t id, int64_t from)
{
    enum mp_status rc;
    if ((rc = mp_stmt_run_ids(s, sql_note_reports, id, from, "merge rows")) ||
        (rc = mp_stmt_run_ids(s, sql_note_history, id, from, "merge rows")) ||
        (rc = mp_stmt_run_ids(s, sql_note_notes, id, from, "merge rows")) ||
        (rc = mp_stmt_run_ids(s, sql_note_photos, id, from, "merge rows")))
        return rc;
    return MP_OK;
}

enum mp_status mp_sqlite_merge_entry_add(struct mp_store_sess *s, int64_t id,
                                         enum mp_merge_entry which, const struct mp_history_rec *h)
{
    if ((unsigned)which >= sizeof sql_entry_set / sizeof *sql_entry_set)
        return MP_EDB;
    /* The entry is an ordinary one; the merge record then points at it. */
    enum mp_status rc = mp_sqlite_history_add(s, h);
    if (rc)
        return rc;
    return mp_stmt_run_ids(s, sql_entry_set[which], id, sqlite3_last_insert_rowid(mp_sq(s)->db),
                           "merge entry");
}

static int merge_row(void *p, sqlite3_stmt *st)
{
    struct mp_merge_row *m = p;
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->from_cluster = sqlite3_column_int64(st, 1);
    m->into_cluster = sqlite3_column_int64(st, 2);
    m->at = sqlite3_column_int64(st, 3);
    mp_col_copy(m->actor, sizeof m->actor, st, 4);
    m->has_reason = sqlite3_column_type(st, 5) != SQLITE_NULL;
    mp_col_copy(m->reason, sizeof m->reason, st, 5);
    m->distance_m = sqlite3_column_double(st, 6);
    mp_col_copy(m->from_status, sizeof m->from_status, st, 7);
    mp_col_copy(m->into_status, sizeof m->into_status, st, 8);
    mp_col_copy(m->merged_status, sizeof m->merged_status, st, 9);
    m->from_fixed_at = sqlite3_column_int64(st, 10);
    m->into_fixed_at = sqlite3_column_int64(st, 11);
    m->from_work.exists = sqlite3_column_int(st, 12) != 0;
    mp_col_copy(m->from_work.department, sizeof m->from_work.department, st, 13);
    mp_col_copy(m->from_work.crew, sizeof m->from_work.crew, st, 14);
    m->from_work.priority = sqlite3_column_int(st, 15);
    m->from_work.due_at = sqlite3_column_int64(st, 16);
    mp_col_copy(m->from_district, sizeof m->from_district, st, 17);
    mp_col_copy(m->from_street, sizeof m->from_street, st, 18);
    mp_col_copy(m->from_location, sizeof m->from_location, st, 19);
    for (int k = 0; k < 4; k++)
        m->entry[k] = sqlite3_column_int64(st, 20 + k);
    m->undone_at = sqlite3_column_int64(st, 24);
    mp_col_copy(m->undone_by, sizeof m->undone_by, st, 25);
    mp_col_copy(m->municipality, sizeof m->municipality, st, 26);
    return 0;
}

enum mp_status mp_sqlite_merge_get(struct mp_store_sess *s, int64_t id, struct mp_merge_row *out)
{
    return mp_stmt_first(s, mp_stmt_id(s, sql_get, id), merge_row, out, "merge get");
}

struct strays {
    int64_t *n, *report, *now_in;
};

static int stray_row(void *p, sqlite3_stmt *st)
{
    struct strays *c = p;
    *c->n = sqlite3_column_int64(st, 0);
    *c->report = sqlite3_column_int64(st, 1);
    *c->now_in = sqlite3_column_int64(st, 2);
    return 1;
}

enum mp_status mp_sqlite_merge_strays(struct mp_store_sess *s, int64_t id, int64_t into, int64_t *n,
                                      int64_t *report, int64_t *now_in)
{
    sqlite3_stmt *st = mp_stmt(s, sql_strays);
    struct strays c = {n, report, now_in};
    *n = *report = *now_in = 0;
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, into);
    return mp_stmt_each(s, st, stray_row, &c, "merge strays");
}

enum mp_status mp_sqlite_merge_restore(struct mp_store_sess *s, int64_t id, int64_t from,
                                       const char *status, int64_t at, const char *actor)
{
    enum mp_status rc;
    sqlite3_stmt *st = mp_stmt(s, sql_restore_reports);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, from);
    mp_bind_text(st, 3, status);
    sqlite3_bind_int64(st, 4, at);
    if ((rc = mp_stmt_run(s, st, "merge restore")) ||
        (rc = mp_stmt_run_ids(s, sql_restore_history, id, from, "merge restore")) ||
        (rc = mp_stmt_run_ids(s, sql_restore_notes, id, from, "merge restore")) ||
        (rc = mp_stmt_run_ids(s, sql_restore_photos, id, from, "merge restore")))
        return rc;
    if (!(st = mp_stmt(s, sql_undone)))
        return MP_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    mp_bind_text(st, 3, actor);
    return mp_stmt_run(s, st, "merge undone");
}

struct merges {
    mp_merge_cb cb;
    void *ctx;
    struct mp_merge_row row;
};

static int merges_row(void *p, sqlite3_stmt *st)
{
    struct merges *c = p;
    merge_row(&c->row, st);
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
    enum mp_status rc = mp_stmt_each(s, mp_stmt_id(s, sql, key), merges_row, c, "merges");
    free(c);
    return rc;
}

enum mp_status mp_sqlite_merges_in_history(struct mp_store_sess *s, int64_t cluster, mp_merge_cb cb,
                                           void *ctx)
{
    return each_merge(s, sql_in_history, cluster, cb, ctx);
}

enum mp_status mp_sqlite_merges_of_report(struct mp_store_sess *s, int64_t report, mp_merge_cb cb,
                                          void *ctx)
{
    return each_merge(s, sql_of_report, report, cb, ctx);
}

struct moved {
    mp_merge_moved_cb cb;
    void *ctx;
};

static int moved_row(void *p, sqlite3_stmt *st)
{
    struct moved *c = p;
    return c->cb(c->ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                 mp_col_text(st, 2), sqlite3_column_int64(st, 3));
}

enum mp_status mp_sqlite_merge_moved_in(struct mp_store_sess *s, int64_t cluster,
                                        mp_merge_moved_cb cb, void *ctx)
{
    struct moved c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt_id(s, sql_moved_in, cluster), moved_row, &c, "merge moved");
}
