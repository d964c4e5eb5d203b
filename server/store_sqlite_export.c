/* store_export.c - SQL of the export cursors (store_export.h). The filters
 * are those of the listing statements (store_sql.h), but a cursor prepares
 * a statement of its own, not the session's cached one: it lives as long as
 * a download. */
#include "meldpunt/store_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_sql.h"

#define REPORT_COLS                                                                              \
    "r.id, r.cluster_id, r.created_at, r.updated_at,"                                          \
    " CASE WHEN r.status IN ('fixed', 'closed') AND c.fixed_at > 0 THEN c.fixed_at ELSE 0 END," \
    " r.category, r.description, r.address, r.channel, r.status, r.district, r.external_id,"   \
    " r.join_reason, r.lon, r.lat, r.location"
#define REPORT_FROM " FROM reports r JOIN clusters c ON c.id = r.cluster_id WHERE 1"
#define CLUSTER_COLS                                                                             \
    "c.id, c.report_count, c.first_at, c.last_at,"                                             \
    " CASE WHEN c.status IN ('fixed', 'closed') AND c.fixed_at > 0 THEN c.fixed_at ELSE 0 END," \
    " c.created_at, c.updated_at, c.category, c.status, c.district, c.lon, c.lat, c.location"
#define CLUSTER_FROM " FROM clusters c WHERE 1"

/* The box as one more condition after "WHERE 1". */
#define BBOX(t, idx) " AND " MP_SQL_BBOX(t, idx)
/* ?12, ?13: the updated_at range (the OGC API's updated_at queryable), which
 * only these statements have. */
#define UPDATED(t)                                                                               \
    " AND (?12 IS NULL OR " t ".updated_at >= ?12) AND (?13 IS NULL OR " t ".updated_at < ?13)"
#define REPORT_WHERE MP_SQL_FILTERS("r") MP_SQL_AFTER("r") MP_SQL_REPORT_TIME UPDATED("r")
#define CLUSTER_WHERE MP_SQL_FILTERS("c") MP_SQL_AFTER("c") MP_SQL_CLUSTER_TIME UPDATED("c")

/* [what][has_bbox] */
static const char *const sql_rows[2][2] = {
    {"SELECT " REPORT_COLS REPORT_FROM REPORT_WHERE " ORDER BY r.id LIMIT ?11",
     "SELECT " REPORT_COLS REPORT_FROM BBOX("r", "reports_rtree") REPORT_WHERE
     " ORDER BY r.id LIMIT ?11"},
    {"SELECT " CLUSTER_COLS CLUSTER_FROM CLUSTER_WHERE " ORDER BY c.id LIMIT ?11",
     "SELECT " CLUSTER_COLS CLUSTER_FROM BBOX("c", "clusters_rtree") CLUSTER_WHERE
     " ORDER BY c.id LIMIT ?11"},
};

/* Counts (cached statements: they finish within the call). */
static const char sql_count_r[] = "SELECT count(*) FROM reports r WHERE 1" MP_SQL_FILTERS("r")
    MP_SQL_REPORT_TIME UPDATED("r");
static const char sql_count_r_bbox[] = "SELECT count(*) FROM reports r WHERE 1" BBOX(
    "r", "reports_rtree") MP_SQL_FILTERS("r") MP_SQL_REPORT_TIME UPDATED("r");
static const char sql_count_c[] = "SELECT count(*) FROM clusters c WHERE 1" MP_SQL_FILTERS("c")
    MP_SQL_CLUSTER_TIME UPDATED("c");
static const char sql_count_c_bbox[] = "SELECT count(*) FROM clusters c WHERE 1" BBOX(
    "c", "clusters_rtree") MP_SQL_FILTERS("c") MP_SQL_CLUSTER_TIME UPDATED("c");
static const char sql_extent[] = "SELECT min(created_at), max(created_at) FROM reports";

/* The engine-neutral head (store_engine.h) first. */
struct mp_sqlite_cursor {
    struct mp_export_cursor head;
    sqlite3 *db;       /* borrowed (from a session) or owned */
    bool owns_db;
    sqlite3_stmt *st;  /* owned: finalized on close */
    enum mp_export_what what;
    bool done;
    enum mp_status final;
    struct mp_export_row row;
};

/* The updated_at range, which only these statements have. */
static void bind_updated(sqlite3_stmt *st, const struct mp_query *q)
{
    if (!st)
        return;
    if (q->updated_since)
        sqlite3_bind_int64(st, 12, q->updated_since);
    if (q->updated_until)
        sqlite3_bind_int64(st, 13, q->updated_until);
}

/* mp_bind_query copies the caller's strings, so the query may die before
 * the cursor. */
static enum mp_status cursor_start(sqlite3 *db, bool owns_db, enum mp_export_what what,
                                   const struct mp_query *q, struct mp_export_cursor **out,
                                   struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_sqlite_cursor *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c) {
        if (owns_db)
            sqlite3_close_v2(db);
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    }
    c->head.eng = &mp_sqlite_engine;
    c->db = db;
    c->owns_db = owns_db;
    c->what = what;
    c->row.what = what;
    const char *sql = sql_rows[what == MP_EXPORT_CLUSTERS][q->has_bbox];
    int src = sqlite3_prepare_v2(db, sql, -1, &c->st, NULL);
    if (src != SQLITE_OK) {
        rc = mp_fail(err, mp_db_status(db, src, "export prepare"), "unavailable",
                     "cannot read the data right now");
        goto out;
    }
    if ((rc = mp_bind_query(c->st, q, true))) {
        rc = mp_fail(err, rc, "out_of_memory", "out of memory");
        goto out;
    }
    bind_updated(c->st, q);
    *out = &c->head;
    c = NULL;
out:
    if (c)
        mp_sqlite_export_close(&c->head);
    return rc;
}

enum mp_status mp_sqlite_export_open_path(const char *db_path, enum mp_export_what what,
                                          const struct mp_query *q, struct mp_export_cursor **out,
                                          struct mp_error *err)
{
    sqlite3 *db = NULL;
    *out = NULL;
    /* Read-write open so that WAL's shared memory works; query_only makes
     * the connection refuse writes all the same. No CREATE: a missing file
     * is an error, not a new empty database. */
    int src = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        enum mp_status st = mp_db_status(db, src, "export open");
        sqlite3_close_v2(db);
        return mp_fail(err, st, "unavailable", "cannot open the database");
    }
    sqlite3_busy_timeout(db, 10000);
    /* Flat memory: a 4 MiB page cache and no memory map, whose touched pages
     * would otherwise count in the process's resident size. */
    char *msg = NULL;
    src = sqlite3_exec(db,
                       "PRAGMA query_only = 1; PRAGMA cache_size = -4000; PRAGMA mmap_size = 0;"
                       " PRAGMA temp_store = MEMORY;",
                       NULL, NULL, &msg);
    sqlite3_free(msg);
    if (src != SQLITE_OK) {
        enum mp_status st = mp_db_status(db, src, "export pragmas");
        sqlite3_close_v2(db);
        return mp_fail(err, st, "unavailable", "cannot configure the database connection");
    }
    return cursor_start(db, true, what, q, out, err);
}

enum mp_status mp_sqlite_export_open(struct mp_store_sess *sess, enum mp_export_what what,
                                     const struct mp_query *q, struct mp_export_cursor **out,
                                     struct mp_error *err)
{
    return cursor_start(mp_sq(sess)->db, false, what, q, out, err);
}

static const char *text(sqlite3_stmt *st, int i) { return mp_col_text(st, i); }

enum mp_status mp_sqlite_export_next(struct mp_export_cursor *cur, const struct mp_export_row **row)
{
    struct mp_sqlite_cursor *c = (struct mp_sqlite_cursor *)cur;
    *row = NULL;
    if (c->done)
        return c->final;
    int src = sqlite3_step(c->st);
    if (src == SQLITE_DONE) {
        c->done = true;
        c->final = MP_ENOTFOUND;
        return MP_ENOTFOUND;
    }
    if (src != SQLITE_ROW) {
        c->done = true;
        c->final = mp_db_status(c->db, src, "export step");
        return c->final;
    }
    sqlite3_stmt *st = c->st;
    if (c->what == MP_EXPORT_REPORTS) {
        struct mp_export_report *r = &c->row.report;
        r->id = sqlite3_column_int64(st, 0);
        r->cluster_id = sqlite3_column_int64(st, 1);
        r->created_at = sqlite3_column_int64(st, 2);
        r->updated_at = sqlite3_column_int64(st, 3);
        r->fixed_at = sqlite3_column_int64(st, 4);
        r->category = text(st, 5);
        r->description = text(st, 6);
        r->address = text(st, 7);
        r->channel = text(st, 8);
        r->status = text(st, 9);
        r->district = text(st, 10);
        r->external_id = text(st, 11);
        r->join_reason = text(st, 12);
        r->lon = sqlite3_column_double(st, 13);
        r->lat = sqlite3_column_double(st, 14);
        r->location = text(st, 15);
        if (!r->description)
            r->description = "";
    } else {
        struct mp_export_cluster *k = &c->row.cluster;
        k->id = sqlite3_column_int64(st, 0);
        k->report_count = sqlite3_column_int64(st, 1);
        k->first_at = sqlite3_column_int64(st, 2);
        k->last_at = sqlite3_column_int64(st, 3);
        k->fixed_at = sqlite3_column_int64(st, 4);
        k->created_at = sqlite3_column_int64(st, 5);
        k->updated_at = sqlite3_column_int64(st, 6);
        k->category = text(st, 7);
        k->status = text(st, 8);
        k->district = text(st, 9);
        k->lon = sqlite3_column_double(st, 10);
        k->lat = sqlite3_column_double(st, 11);
        k->location = text(st, 12);
    }
    *row = &c->row;
    return MP_OK;
}

void mp_sqlite_export_close(struct mp_export_cursor *cur)
{
    struct mp_sqlite_cursor *c = (struct mp_sqlite_cursor *)cur;
    sqlite3_finalize(c->st);
    if (c->owns_db)
        sqlite3_close_v2(c->db);
    free(c);
}

enum mp_status mp_sqlite_export_count(struct mp_store_sess *sess, enum mp_export_what what,
                                      const struct mp_query *q, int64_t *n)
{
    const char *sql = what == MP_EXPORT_CLUSTERS ? (q->has_bbox ? sql_count_c_bbox : sql_count_c)
                                                 : (q->has_bbox ? sql_count_r_bbox : sql_count_r);
    sqlite3_stmt *st = mp_stmt(sess, sql);
    enum mp_status rc;
    *n = 0;
    if (st && (rc = mp_bind_query(st, q, false))) {
        mp_stmt_done(st);
        return rc;
    }
    bind_updated(st, q);
    return mp_stmt_first(sess, st, mp_row_int64, n, "export count");
}

struct extent {
    int64_t *first, *last;
};

static int extent_row(void *ctx, sqlite3_stmt *st)
{
    const struct extent *e = ctx;
    *e->first = sqlite3_column_int64(st, 0);
    *e->last = sqlite3_column_int64(st, 1);
    return 1;
}

enum mp_status mp_sqlite_export_time_extent(struct mp_store_sess *sess, int64_t *first,
                                            int64_t *last)
{
    struct extent e = {first, last};
    *first = *last = 0;
    return mp_stmt_first(sess, mp_stmt(sess, sql_extent), extent_row, &e, "time extent");
}
