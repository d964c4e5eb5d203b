/* store_export.c - SQL of the export cursors (store_export.h). The filters
 * are those of the listing statements (store_sql.h), but a cursor prepares
 * a statement of its own, not the session's cached one: it lives as long as
 * a download. */
#include "meldpunt/store_export.h"

#include <stddef.h>
#include <stdint.h>
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
    " r.join_reason, r.lon, r.lat, r.location, r.municipality"
#define REPORT_FROM " FROM reports r JOIN clusters c ON c.id = r.cluster_id WHERE 1"
#define CLUSTER_COLS                                                                             \
    "c.id, c.report_count, c.first_at, c.last_at,"                                             \
    " CASE WHEN c.status IN ('fixed', 'closed') AND c.fixed_at > 0 THEN c.fixed_at ELSE 0 END," \
    " c.created_at, c.updated_at, c.category, c.status, c.district, c.lon, c.lat, c.location,"  \
    " c.municipality"
#define CLUSTER_FROM " FROM clusters c WHERE 1"

/* ?12, ?13: the updated_at range (the OGC API's updated_at queryable), and
 * ?14 the municipality (its municipality queryable), which only these
 * statements have. */
#define UPDATED(t)                                                                               \
    " AND (?12 IS NULL OR " t ".updated_at >= ?12) AND (?13 IS NULL OR " t ".updated_at < ?13)" \
    " AND (?14 IS NULL OR " t ".municipality = ?14)"
/* ?15: the staff member's municipalities (tenancy; NULL for all). */
#define SCOPE(t) " AND (?15 IS NULL OR " t ".municipality IN (SELECT value FROM json_each(?15)))"
#define REPORT_WHERE                                                                             \
    MP_SQL_FILTERS("r") MP_SQL_AFTER("r") MP_SQL_REPORT_TIME UPDATED("r") SCOPE("r")
#define CLUSTER_WHERE                                                                            \
    MP_SQL_FILTERS("c") MP_SQL_AFTER("c") MP_SQL_CLUSTER_TIME UPDATED("c") SCOPE("c")

/* The rows of one batch in id order after ?10, at most ?11 of them:
 * [what][plan], plan 0 without a box, 1 a box through the spatial index
 * (MP_SQL_REPORT_BBOX, MP_SQL_CLUSTER_BBOX), 2 a box
 * tested on each row of a scan in id order. */
#define BATCH_ORDER(t) " ORDER BY " t ".id LIMIT ?11"
#define BOX_SCAN(t) " AND " t ".lon BETWEEN ?1 AND ?3 AND " t ".lat BETWEEN ?2 AND ?4"
static const char *const sql_rows[2][3] = {
    {"SELECT " REPORT_COLS REPORT_FROM REPORT_WHERE BATCH_ORDER("r"),
     "SELECT " REPORT_COLS REPORT_FROM " AND " MP_SQL_REPORT_BBOX("r") REPORT_WHERE BATCH_ORDER("r"),
     "SELECT " REPORT_COLS REPORT_FROM BOX_SCAN("r") REPORT_WHERE BATCH_ORDER("r")},
    {"SELECT " CLUSTER_COLS CLUSTER_FROM CLUSTER_WHERE BATCH_ORDER("c"),
     "SELECT " CLUSTER_COLS CLUSTER_FROM " AND " MP_SQL_CLUSTER_BBOX("c") CLUSTER_WHERE
         BATCH_ORDER("c"),
     "SELECT " CLUSTER_COLS CLUSTER_FROM BOX_SCAN("c") CLUSTER_WHERE BATCH_ORDER("c")},
};

/* Counts (cached statements: they finish within the call). */
static const char sql_count_r[] = "SELECT count(*) FROM reports r WHERE 1" MP_SQL_FILTERS("r")
    MP_SQL_REPORT_TIME UPDATED("r") SCOPE("r");
static const char sql_count_r_bbox[] = "SELECT count(*) FROM reports r WHERE 1 AND "
    MP_SQL_REPORT_BBOX("r") MP_SQL_FILTERS("r") MP_SQL_REPORT_TIME UPDATED("r") SCOPE("r");
static const char sql_count_c[] = "SELECT count(*) FROM clusters c WHERE 1" MP_SQL_FILTERS("c")
    MP_SQL_CLUSTER_TIME UPDATED("c") SCOPE("c");
static const char sql_count_c_bbox[] = "SELECT count(*) FROM clusters c WHERE 1 AND "
    MP_SQL_CLUSTER_BBOX("c") MP_SQL_FILTERS("c") MP_SQL_CLUSTER_TIME UPDATED("c") SCOPE("c");
static const char sql_extent[] = "SELECT min(created_at), max(created_at) FROM reports";

/* Keyset batches. A cursor never keeps a statement running between two
 * calls of next: it reads up to BATCH_ROWS rows into memory, resets the
 * statement (which ends its read transaction on a connection in autocommit
 * mode) and hands the rows out; the next batch is a new snapshot that
 * resumes after the last id. However slowly a client reads, the WAL is
 * pinned only while one batch is read (milliseconds), so checkpoints
 * complete. A batch's memory: its rows' text, about BATCH_TEXT at most. */
#define BATCH_ROWS 1024
/* ... or fewer when their text passes this (long descriptions). */
#define BATCH_TEXT ((size_t)1 << 20)
/* A box's index subquery is run whole by every batch. When the first batch
 * shows that the box holds more than one row in BOX_DENSE of the ids it
 * spans (the whole city, a district), later batches scan by id and test the
 * box on each row instead: the export then reads the table once, rather
 * than the box once per batch. The rows are the same: the index only finds
 * candidates for the same BETWEEN test. */
#define BOX_DENSE 32

enum col_kind { COL_INT, COL_REAL, COL_TEXT };

struct col {
    enum col_kind kind;
    size_t off; /* of the member in struct mp_export_report or mp_export_cluster */
};

#define R(kind, m) {kind, offsetof(struct mp_export_report, m)}
#define K(kind, m) {kind, offsetof(struct mp_export_cluster, m)}
/* The columns of REPORT_COLS and CLUSTER_COLS, in order. */
static const struct col report_cols[] = {
    R(COL_INT, id),          R(COL_INT, cluster_id),   R(COL_INT, created_at),
    R(COL_INT, updated_at),  R(COL_INT, fixed_at),     R(COL_TEXT, category),
    R(COL_TEXT, description), R(COL_TEXT, address),    R(COL_TEXT, channel),
    R(COL_TEXT, status),     R(COL_TEXT, district),    R(COL_TEXT, external_id),
    R(COL_TEXT, join_reason), R(COL_REAL, lon),        R(COL_REAL, lat),
    R(COL_TEXT, location),   R(COL_TEXT, municipality),
};
static const struct col cluster_cols[] = {
    K(COL_INT, id),        K(COL_INT, report_count), K(COL_INT, first_at),  K(COL_INT, last_at),
    K(COL_INT, fixed_at),  K(COL_INT, created_at),   K(COL_INT, updated_at), K(COL_TEXT, category),
    K(COL_TEXT, status),   K(COL_TEXT, district),    K(COL_REAL, lon),      K(COL_REAL, lat),
    K(COL_TEXT, location), K(COL_TEXT, municipality),
};
#undef R
#undef K

#define NO_TEXT SIZE_MAX

/* One column of one buffered row: text as an offset into the batch's text
 * (NO_TEXT for NULL), so that growing the text moves no pointer. */
union cell {
    int64_t i;
    double d;
    size_t text;
};

/* The engine-neutral head (store_engine.h) first. */
struct mp_sqlite_cursor {
    struct mp_export_cursor head;
    sqlite3 *db;      /* borrowed (from a session) or owned */
    bool owns_db;
    sqlite3_stmt *st; /* owned, finalized on close: the first batch's plan */
    sqlite3_stmt *scan; /* owned or NULL: a box's later batches when it is dense */
    bool use_scan;
    enum mp_export_what what;
    const struct col *cols;
    size_t ncols;
    union cell *cells; /* BATCH_ROWS * ncols */
    char *text;        /* the batch's strings, NUL-terminated */
    size_t text_len, text_cap;
    size_t nrows, next; /* rows in the batch; the next one to hand out */
    int64_t start_id, last_id; /* ids after which the export and the next batch start */
    int64_t remaining;  /* rows the limit still allows; -1: no limit */
    unsigned batches;
    bool more; /* the last batch was full: there may be more rows */
    bool done;
    enum mp_status final;
    struct mp_export_row row;
};

/* The updated_at range, the municipality and the staff member's
 * municipalities, which only these statements have (copied: a cursor
 * outlives q). */
static enum mp_status bind_updated(sqlite3_stmt *st, const struct mp_query *q)
{
    if (!st)
        return MP_OK;
    if (q->updated_since)
        sqlite3_bind_int64(st, 12, q->updated_since);
    if (q->updated_until)
        sqlite3_bind_int64(st, 13, q->updated_until);
    if (q->municipality)
        sqlite3_bind_text(st, 14, q->municipality, -1, SQLITE_TRANSIENT);
    return mp_bind_scope(st, 15, q->scope);
}

/* Prepare one plan and bind q's filters (copied: the cursor outlives q). */
static enum mp_status prepare(struct mp_sqlite_cursor *c, const char *sql,
                              const struct mp_query *q, sqlite3_stmt **out,
                              struct mp_error *err)
{
    int src = sqlite3_prepare_v2(c->db, sql, -1, out, NULL);
    if (src != SQLITE_OK)
        return mp_fail(err, mp_db_status(c->db, src, "export prepare"), "unavailable",
                       "cannot read the data right now");
    if (mp_bind_query(*out, q, true) != MP_OK || bind_updated(*out, q) != MP_OK)
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    return MP_OK;
}

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
    bool clusters = what == MP_EXPORT_CLUSTERS;
    c->cols = clusters ? cluster_cols : report_cols;
    c->ncols = clusters ? sizeof cluster_cols / sizeof *cluster_cols
                        : sizeof report_cols / sizeof *report_cols;
    c->start_id = c->last_id = q->after_id;
    c->remaining = q->limit ? (int64_t)q->limit : -1;
    c->more = true;
    if (!(c->cells = calloc(BATCH_ROWS * c->ncols, sizeof *c->cells))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    if ((rc = prepare(c, sql_rows[clusters][q->has_bbox ? 1 : 0], q, &c->st, err)) ||
        (q->has_bbox && (rc = prepare(c, sql_rows[clusters][2], q, &c->scan, err))))
        goto out;
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

/* Append s (with its NUL) to the batch's text; its offset, NO_TEXT for
 * NULL, or NO_TEXT with *failed set when memory runs out. */
static size_t keep_text(struct mp_sqlite_cursor *c, const char *s, int len, bool *failed)
{
    if (!s)
        return NO_TEXT;
    size_t need = c->text_len + (size_t)len + 1;
    if (need > c->text_cap) {
        size_t cap = c->text_cap ? c->text_cap : 64 * 1024;
        while (cap < need)
            cap *= 2;
        char *t = realloc(c->text, cap);
        if (!t) {
            *failed = true;
            return NO_TEXT;
        }
        c->text = t;
        c->text_cap = cap;
    }
    size_t at = c->text_len;
    memcpy(c->text + at, s, (size_t)len);
    c->text[at + (size_t)len] = '\0';
    c->text_len = need;
    return at;
}

/* Read the next batch into memory in one short read transaction. */
static enum mp_status read_batch(struct mp_sqlite_cursor *c)
{
    sqlite3_stmt *st = c->use_scan ? c->scan : c->st;
    int64_t want = c->remaining >= 0 && c->remaining < BATCH_ROWS ? c->remaining : BATCH_ROWS;
    bool failed = false;
    int src = SQLITE_DONE;
    c->nrows = c->next = 0;
    c->text_len = 0;
    sqlite3_bind_int64(st, 10, c->last_id);
    sqlite3_bind_int64(st, 11, want);
    while (!failed && (int64_t)c->nrows < want && c->text_len < BATCH_TEXT &&
           (src = sqlite3_step(st)) == SQLITE_ROW) {
        union cell *cell = &c->cells[c->nrows * c->ncols];
        for (size_t i = 0; i < c->ncols; i++) {
            int col = (int)i;
            switch (c->cols[i].kind) {
            case COL_INT: cell[i].i = sqlite3_column_int64(st, col); break;
            case COL_REAL: cell[i].d = sqlite3_column_double(st, col); break;
            case COL_TEXT:
                cell[i].text = keep_text(c, mp_col_text(st, col), sqlite3_column_bytes(st, col),
                                         &failed);
                break;
            }
        }
        c->nrows++;
    }
    /* The reset ends the statement's read transaction: from here until the
     * next batch the cursor holds no snapshot. */
    sqlite3_reset(st);
    if (failed)
        return MP_ENOMEM;
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        return mp_db_status(c->db, src, "export step");
    c->batches++;
    /* Stopped before the statement said it was done: there may be more. */
    c->more = src == SQLITE_ROW;
    if (c->nrows) {
        c->last_id = c->cells[(c->nrows - 1) * c->ncols].i; /* column 0 is the id */
        if (c->remaining >= 0)
            c->remaining -= (int64_t)c->nrows;
        if (c->remaining == 0)
            c->more = false;
    }
    if (c->batches == 1 && c->more && c->scan &&
        c->last_id - c->start_id <= (int64_t)c->nrows * BOX_DENSE)
        c->use_scan = true;
    return MP_OK;
}

enum mp_status mp_sqlite_export_next(struct mp_export_cursor *cur, const struct mp_export_row **row)
{
    struct mp_sqlite_cursor *c = (struct mp_sqlite_cursor *)cur;
    *row = NULL;
    if (c->done)
        return c->final;
    if (c->next == c->nrows) {
        enum mp_status rc = c->more ? read_batch(c) : MP_ENOTFOUND;
        if (rc == MP_OK && c->nrows == 0)
            rc = MP_ENOTFOUND;
        if (rc) {
            c->done = true;
            c->final = rc;
            return rc;
        }
    }
    const union cell *cell = &c->cells[c->next++ * c->ncols];
    char *base = c->what == MP_EXPORT_CLUSTERS ? (char *)&c->row.cluster : (char *)&c->row.report;
    for (size_t i = 0; i < c->ncols; i++) {
        char *m = base + c->cols[i].off;
        switch (c->cols[i].kind) {
        case COL_INT: memcpy(m, &cell[i].i, sizeof(int64_t)); break;
        case COL_REAL: memcpy(m, &cell[i].d, sizeof(double)); break;
        case COL_TEXT: {
            const char *s = cell[i].text == NO_TEXT ? NULL : c->text + cell[i].text;
            memcpy(m, &s, sizeof s);
            break;
        }
        }
    }
    if (c->what == MP_EXPORT_REPORTS && !c->row.report.description)
        c->row.report.description = "";
    *row = &c->row;
    return MP_OK;
}

void mp_sqlite_export_close(struct mp_export_cursor *cur)
{
    struct mp_sqlite_cursor *c = (struct mp_sqlite_cursor *)cur;
    sqlite3_finalize(c->st);
    sqlite3_finalize(c->scan);
    if (c->owns_db)
        sqlite3_close_v2(c->db);
    free(c->cells);
    free(c->text);
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
    if (st && ((rc = mp_bind_query(st, q, false)) || (rc = bind_updated(st, q)))) {
        mp_stmt_done(st);
        return rc;
    }
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
