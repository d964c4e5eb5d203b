/* store_work.c - SQL for assignments, internal notes, crew photos and the
 * worklist/queue queries. */
#include "meldpunt/store_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "meldpunt/timeutil.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_schema.h"
#include "store_sqlite_sql.h"

static const char *const work_migrations[] = {
    /* 1 */
    /* The assignment goes with its cluster: when a merge deletes a cluster
     * the row must not block it (hence the cascade). Notes and photos have
     * no foreign key: they are records of what staff did and must survive
     * whatever happens to cluster ids (see mp_store_work_cluster_merged). */
    "CREATE TABLE work_assignments ("
    " cluster_id INTEGER PRIMARY KEY REFERENCES clusters (id) ON DELETE CASCADE,"
    " department TEXT,"
    " crew TEXT,"
    " priority INTEGER,"
    " due_at INTEGER,"
    " updated_at INTEGER NOT NULL,"
    " updated_by TEXT);"
    "CREATE INDEX work_assignments_department ON work_assignments (department);"
    "CREATE TABLE work_notes ("
    " id INTEGER PRIMARY KEY,"
    " cluster_id INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " status TEXT,"
    " note TEXT NOT NULL,"
    " actor TEXT);"
    "CREATE INDEX work_notes_cluster ON work_notes (cluster_id, at);"
    "CREATE TABLE work_photos ("
    " id INTEGER PRIMARY KEY,"
    " cluster_id INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " status TEXT,"
    " actor TEXT,"
    " mime TEXT NOT NULL,"
    " width INTEGER, height INTEGER,"
    " full BLOB NOT NULL, thumb BLOB NOT NULL);"
    "CREATE INDEX work_photos_cluster ON work_photos (cluster_id, at);",
};

const struct mp_store_module mp_store_module_work = {
    "work", work_migrations, (int)(sizeof work_migrations / sizeof *work_migrations)};

static const char sql_get[] = "SELECT IFNULL(department, ''), IFNULL(crew, ''),"
                              " IFNULL(priority, 0), IFNULL(due_at, 0), updated_at,"
                              " IFNULL(updated_by, '') FROM work_assignments WHERE cluster_id = ?1";
static const char sql_set[] =
    "INSERT OR REPLACE INTO work_assignments (cluster_id, department, crew, priority, due_at,"
    " updated_at, updated_by) VALUES (?1, NULLIF(?2, ''), NULLIF(?3, ''), NULLIF(?4, 0),"
    " NULLIF(?5, 0), ?6, ?7)";

/* ?1-?4 bbox, ?5 categories (JSON array or NULL), ?6 statuses (JSON array),
 * ?7 district, ?8 one cluster id or 0. The address is the first one a
 * reporter typed: the crew's satnav wants a street address. */
#define WORK_COLS                                                                                \
    "c.id, c.report_count, c.first_at, c.last_at, c.updated_at, c.category, c.status,"          \
    " c.district, c.location, (SELECT r.address FROM reports r WHERE r.cluster_id = c.id AND"   \
    " r.address IS NOT NULL AND r.address <> '' ORDER BY r.created_at, r.id LIMIT 1),"          \
    " c.lon, c.lat, c.x, c.y, w.cluster_id IS NOT NULL, w.department, w.crew,"                  \
    " IFNULL(w.priority, 0), IFNULL(w.due_at, 0), c.municipality"
/* ?9: the staff member's municipalities (tenancy; NULL: all). */
#define WORK_FILTERS                                                                             \
    " AND (?5 IS NULL OR c.category IN (SELECT value FROM json_each(?5)))"                      \
    " AND c.status IN (SELECT value FROM json_each(?6))"                                        \
    " AND (?7 IS NULL OR c.district = ?7)"                                                      \
    " AND (?8 = 0 OR c.id = ?8)"                                                                \
    " AND (?9 IS NULL OR c.municipality IN (SELECT value FROM json_each(?9)))"                  \
    " ORDER BY c.first_at, c.id"
static const char sql_list_bbox[] =
    "SELECT " WORK_COLS " FROM clusters c LEFT JOIN work_assignments w ON w.cluster_id = c.id"
    " WHERE " MP_SQL_CLUSTER_BBOX("c") WORK_FILTERS;
static const char sql_list_all[] =
    "SELECT " WORK_COLS " FROM clusters c LEFT JOIN work_assignments w ON w.cluster_id = c.id"
    " WHERE 1" WORK_FILTERS;

static const char sql_note_add[] = "INSERT INTO work_notes (cluster_id, at, status, note, actor)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_notes[] = "SELECT id, cluster_id, at, status, note, actor FROM work_notes"
                                " WHERE cluster_id = ?1 ORDER BY at, id";
static const char sql_photo_put[] =
    "INSERT INTO work_photos (cluster_id, at, status, actor, mime, width, height, full, thumb)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_photo_full[] = "SELECT full FROM work_photos WHERE id = ?1";
static const char sql_photo_thumb[] = "SELECT thumb FROM work_photos WHERE id = ?1";
static const char sql_photo_cluster[] = "SELECT cluster_id FROM work_photos WHERE id = ?1";
static const char sql_photos[] = "SELECT id, cluster_id, at, status, actor, IFNULL(width, 0),"
                                 " IFNULL(height, 0) FROM work_photos WHERE cluster_id = ?1"
                                 " ORDER BY at, id";
static const char sql_merge_notes[] = "UPDATE work_notes SET cluster_id = ?2 WHERE cluster_id = ?1";
static const char sql_merge_photos[] = "UPDATE work_photos SET cluster_id = ?2 WHERE cluster_id = ?1";
static const char sql_merge_drop[] = "DELETE FROM work_assignments WHERE cluster_id = ?1";

static int assignment_row(void *ctx, sqlite3_stmt *st)
{
    struct mp_work_assignment *out = ctx;
    out->exists = true;
    mp_col_copy(out->department, sizeof out->department, st, 0);
    mp_col_copy(out->crew, sizeof out->crew, st, 1);
    out->priority = sqlite3_column_int(st, 2);
    out->due_at = sqlite3_column_int64(st, 3);
    out->updated_at = sqlite3_column_int64(st, 4);
    mp_col_copy(out->updated_by, sizeof out->updated_by, st, 5);
    return 1;
}

enum mp_status mp_sqlite_work_get(struct mp_store_sess *s, int64_t cluster_id,
                                  struct mp_work_assignment *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = mp_stmt_id(s, sql_get, cluster_id);
    enum mp_status rc = mp_stmt_first(s, st, assignment_row, out, "assignment");
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_work_set(struct mp_store_sess *s, int64_t cluster_id,
                                  const struct mp_work_assignment *a, int64_t now)
{
    sqlite3_stmt *st = mp_stmt(s, sql_set);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, cluster_id);
    mp_bind_text(st, 2, a->department);
    mp_bind_text(st, 3, a->crew);
    sqlite3_bind_int(st, 4, a->priority);
    sqlite3_bind_int64(st, 5, a->due_at);
    sqlite3_bind_int64(st, 6, now);
    mp_bind_text(st, 7, a->updated_by[0] ? a->updated_by : NULL);
    return mp_stmt_run(s, st, "assignment");
}

struct work {
    mp_work_cb cb;
    void *ctx;
};

static int work_row(void *ctx, sqlite3_stmt *st)
{
    const struct work *c = ctx;
    struct mp_work_row r = {
        .id = sqlite3_column_int64(st, 0),
        .report_count = sqlite3_column_int64(st, 1),
        .first_at = sqlite3_column_int64(st, 2),
        .last_at = sqlite3_column_int64(st, 3),
        .updated_at = sqlite3_column_int64(st, 4),
        .category = mp_col_text(st, 5),
        .status = mp_col_text(st, 6),
        .district = mp_col_text(st, 7),
        .location = mp_col_text(st, 8),
        .address = mp_col_text(st, 9),
        .lon = sqlite3_column_double(st, 10),
        .lat = sqlite3_column_double(st, 11),
        .x = sqlite3_column_double(st, 12),
        .y = sqlite3_column_double(st, 13),
        .assigned = sqlite3_column_int(st, 14) != 0,
        .department = mp_col_text(st, 15),
        .crew = mp_col_text(st, 16),
        .priority = sqlite3_column_int(st, 17),
        .due_at = sqlite3_column_int64(st, 18),
        .municipality = mp_col_text(st, 19),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_work_list(struct mp_store_sess *s, const struct mp_work_query *q,
                                   mp_work_cb cb, void *ctx)
{
    if (q->nstatuses == 0)
        return MP_EINVAL;
    sqlite3_stmt *st = mp_stmt(s, q->has_bbox ? sql_list_bbox : sql_list_all);
    if (!st)
        return MP_EDB;
    enum mp_status ret;
    if (q->has_bbox)
        mp_bind_bbox(st, &q->bbox);
    if ((ret = mp_bind_list(st, 5, q->categories, q->ncategories, true)) ||
        (ret = mp_bind_list(st, 6, q->statuses, q->nstatuses, false)) ||
        (ret = mp_bind_scope(st, 9, q->scope))) {
        mp_stmt_done(st);
        return ret;
    }
    mp_bind_text(st, 7, q->district);
    sqlite3_bind_int64(st, 8, q->cluster_id);
    struct work c = {cb, ctx};
    return mp_stmt_each(s, st, work_row, &c, "worklist");
}

enum mp_status mp_sqlite_work_note_add(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                       const char *status, const char *note, const char *actor)
{
    sqlite3_stmt *st = mp_stmt(s, sql_note_add);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, cluster_id);
    sqlite3_bind_int64(st, 2, at);
    mp_bind_text(st, 3, status);
    mp_bind_text(st, 4, note);
    mp_bind_text(st, 5, actor);
    return mp_stmt_run(s, st, "note insert");
}

struct notes {
    mp_work_note_cb cb;
    void *ctx;
};

static int note_row(void *ctx, sqlite3_stmt *st)
{
    const struct notes *c = ctx;
    struct mp_work_note_row r = {
        .id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .at = sqlite3_column_int64(st, 2),
        .status = mp_col_text(st, 3),
        .note = mp_col_text(st, 4),
        .actor = mp_col_text(st, 5),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_work_notes(struct mp_store_sess *s, int64_t cluster_id, mp_work_note_cb cb,
                                    void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_notes, cluster_id);
    struct notes c = {cb, ctx};
    return mp_stmt_each(s, st, note_row, &c, "notes");
}

enum mp_status mp_sqlite_work_photo_put(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                        const char *status, const char *actor,
                                        const struct mp_photo_rec *p, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_photo_put);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, cluster_id);
    sqlite3_bind_int64(st, 2, at);
    mp_bind_text(st, 3, status);
    mp_bind_text(st, 4, actor);
    mp_bind_text(st, 5, p->mime ? p->mime : "image/jpeg");
    sqlite3_bind_int(st, 6, (int)p->width);
    sqlite3_bind_int(st, 7, (int)p->height);
    sqlite3_bind_blob64(st, 8, p->full, p->full_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 9, p->thumb, p->thumb_len, SQLITE_STATIC);
    enum mp_status rc = mp_stmt_run(s, st, "work photo insert");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

enum mp_status mp_sqlite_work_photo_get(struct mp_store_sess *s, int64_t photo_id, bool thumb,
                                        void **data, size_t *len)
{
    sqlite3_stmt *st = mp_stmt_id(s, thumb ? sql_photo_thumb : sql_photo_full, photo_id);
    return mp_stmt_blob(s, st, data, len, "work photo");
}

struct photos {
    mp_work_photo_cb cb;
    void *ctx;
};

static int photo_row(void *ctx, sqlite3_stmt *st)
{
    const struct photos *c = ctx;
    struct mp_work_photo_row r = {
        .id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .at = sqlite3_column_int64(st, 2),
        .status = mp_col_text(st, 3),
        .actor = mp_col_text(st, 4),
        .width = (unsigned)sqlite3_column_int(st, 5),
        .height = (unsigned)sqlite3_column_int(st, 6),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_work_photo_cluster(struct mp_store_sess *s, int64_t photo_id,
                                           int64_t *cluster_id)
{
    return mp_stmt_first(s, mp_stmt_id(s, sql_photo_cluster, photo_id), mp_row_int64, cluster_id,
                         "photo cluster");
}

enum mp_status mp_sqlite_work_photos(struct mp_store_sess *s, int64_t cluster_id,
                                     mp_work_photo_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_photos, cluster_id);
    struct photos c = {cb, ctx};
    return mp_stmt_each(s, st, photo_row, &c, "photos");
}

enum mp_status mp_sqlite_work_cluster_merged(struct mp_store_sess *s, int64_t from, int64_t to)
{
    enum mp_status rc;
    if ((rc = mp_stmt_run_ids(s, sql_merge_notes, from, to, "merge")) ||
        (rc = mp_stmt_run_ids(s, sql_merge_photos, from, to, "merge")) ||
        (rc = mp_stmt_run_ids(s, sql_merge_drop, from, 0, "merge")))
        return rc;
    return MP_OK;
}
