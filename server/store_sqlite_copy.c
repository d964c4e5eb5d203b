/* store_sqlite_copy.c - the SpatiaLite side of copy-store (store_copy.h):
 * whole tables read in key order and written back with their ids.
 *
 * The statements are made from the table descriptions (copystore_tables.c)
 * once and kept: see store_copy_sql.h.
 *
 * Derived rows: an INSERT into reports or clusters writes what the store's
 * own inserts write (store_sqlite_derived.h: report_map, grid_cells, the
 * change counter; the geometry; a cluster's cell, as
 * schema version 4 computes it). Photos have triggers that mark the map
 * row. */
#include "meldpunt/store_copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_copy_sql.h"
#include "store_sqlite.h"
#include "store_sqlite_derived.h"
#include "store_sqlite_engine.h"

static const char sql_seq[] = "SELECT seq FROM sqlite_sequence WHERE name = ?1";
static const char sql_seq_update[] = "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1";
static const char sql_seq_insert[] = "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2"
                                     " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence"
                                     " WHERE name = ?1)";

static void build(struct mp_buf *b, const struct mp_copy_table *t, int which)
{
    if (which != MP_COPY_SQL_INSERT) {
        mp_copy_sql_common(b, t, which, false);
        return;
    }
    bool point = mp_copy_is(t, "reports") || mp_copy_is(t, "clusters");
    mp_copy_sql_insert_head(b, t, false);
    if (point)
        mp_buf_adds(b, ", geom");
    if (mp_copy_is(t, "clusters"))
        mp_buf_adds(b, ", cell");
    mp_buf_adds(b, ") VALUES (");
    for (size_t i = 0; i < t->ncols; i++)
        mp_buf_printf(b, "%s?%zu", i ? ", " : "", i + 1);
    if (point)
        mp_buf_printf(b, ", MakePoint(?%d, ?%d, 4326)", mp_copy_col(t, "lon") + 1,
                      mp_copy_col(t, "lat") + 1);
    if (mp_copy_is(t, "clusters"))
        mp_buf_printf(b,
                      ", CAST(?%d / 128.0 + 1048576 AS INTEGER) * 2097152"
                      " + CAST(?%d / 128.0 + 1048576 AS INTEGER)",
                      mp_copy_col(t, "x") + 1, mp_copy_col(t, "y") + 1);
    mp_buf_adds(b, ")");
}

static const char *sql_for(const struct mp_copy_table *t, int which)
{
    return mp_copy_sql(t, which, build);
}

static sqlite3_stmt *stmt_for(struct mp_store_sess *s, const struct mp_copy_table *t, int which)
{
    const char *sql = sql_for(t, which);
    return sql ? mp_stmt(s, sql) : NULL;
}

enum mp_status mp_sqlite_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t,
                                    int64_t *n)
{
    *n = 0;
    return mp_stmt_first(s, stmt_for(s, t, MP_COPY_SQL_COUNT), mp_row_int64, n, t->name);
}

struct rows {
    const struct mp_copy_table *t;
    mp_copy_row_cb cb;
    void *ctx;
    struct mp_copy_value v[MP_COPY_MAX_COLS];
};

static int row_out(void *ctx, sqlite3_stmt *st)
{
    struct rows *r = ctx;
    for (size_t i = 0; i < r->t->ncols; i++) {
        struct mp_copy_value *v = &r->v[i];
        int ci = (int)i;
        memset(v, 0, sizeof *v);
        v->null = sqlite3_column_type(st, ci) == SQLITE_NULL;
        if (v->null)
            continue;
        switch (r->t->cols[i].type) {
        case MP_COPY_INT:
            v->i = sqlite3_column_int64(st, ci);
            break;
        case MP_COPY_BOOL:
            v->i = sqlite3_column_int64(st, ci) != 0;
            break;
        case MP_COPY_REAL:
            v->d = sqlite3_column_double(st, ci);
            break;
        case MP_COPY_TEXT:
            v->p = sqlite3_column_text(st, ci);
            v->len = (size_t)sqlite3_column_bytes(st, ci);
            break;
        case MP_COPY_BLOB:
            v->p = sqlite3_column_blob(st, ci);
            v->len = (size_t)sqlite3_column_bytes(st, ci);
            break;
        }
    }
    return r->cb(r->ctx, r->t, r->v);
}

enum mp_status mp_sqlite_copy_rows(struct mp_store_sess *s, const struct mp_copy_table *t,
                                   mp_copy_row_cb cb, void *ctx)
{
    if (t->ncols > MP_COPY_MAX_COLS)
        return MP_EINVAL;
    struct rows r = {.t = t, .cb = cb, .ctx = ctx};
    return mp_stmt_each(s, stmt_for(s, t, MP_COPY_SQL_ROWS), row_out, &r, t->name);
}

/* Text value i of row as a C string (TEXT values are NUL-terminated, see
 * store_copy.h), NULL for NULL. */
static const char *text(const struct mp_copy_table *t, const struct mp_copy_value *row,
                        const char *name)
{
    int i = mp_copy_col(t, name);
    return i < 0 || row[i].null ? NULL : row[i].p;
}

static double real(const struct mp_copy_table *t, const struct mp_copy_value *row,
                   const char *name)
{
    int i = mp_copy_col(t, name);
    return i < 0 ? 0 : row[i].d;
}

static int64_t integer(const struct mp_copy_table *t, const struct mp_copy_value *row,
                       const char *name)
{
    int i = mp_copy_col(t, name);
    return i < 0 ? 0 : row[i].i;
}

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* What the store's own insert of a report writes beside the row. */
static enum mp_status report_derived(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     const struct mp_copy_value *row)
{
    struct mp_report_rec r = {
        .municipality = text(t, row, "municipality"),
        .category = text(t, row, "category"),
        .description = text(t, row, "description"),
        .address = text(t, row, "address"),
        .channel = text(t, row, "channel"),
        .status = text(t, row, "status"),
        .district = text(t, row, "district"),
        .location = text(t, row, "location"),
        .lon = real(t, row, "lon"),
        .lat = real(t, row, "lat"),
        .created_at = integer(t, row, "created_at"),
        .cluster_id = integer(t, row, "cluster_id"),
    };
    return mp_derived_report_added(s, integer(t, row, "id"), &r, integer(t, row, "updated_at"));
}

/* ... and of a cluster (its members come after it). */
static enum mp_status cluster_derived(struct mp_store_sess *s, const struct mp_copy_table *t,
                                      const struct mp_copy_value *row)
{
    struct mp_cluster_state c;
    memset(&c, 0, sizeof c);
    c.id = integer(t, row, "id");
    copy_text(c.category, sizeof c.category, text(t, row, "category"));
    copy_text(c.status, sizeof c.status, text(t, row, "status"));
    c.report_count = integer(t, row, "report_count");
    c.lon = real(t, row, "lon");
    c.lat = real(t, row, "lat");
    return mp_derived_cluster_added(s, c.id, &c, false);
}

enum mp_status mp_sqlite_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     const struct mp_copy_value *row)
{
    sqlite3_stmt *st = stmt_for(s, t, MP_COPY_SQL_INSERT);
    if (!st)
        return MP_EDB;
    for (size_t i = 0; i < t->ncols; i++) {
        const struct mp_copy_value *v = &row[i];
        int bi = (int)i + 1;
        if (v->null) {
            sqlite3_bind_null(st, bi);
            continue;
        }
        switch (t->cols[i].type) {
        case MP_COPY_INT:
        case MP_COPY_BOOL:
            sqlite3_bind_int64(st, bi, v->i);
            break;
        case MP_COPY_REAL:
            sqlite3_bind_double(st, bi, v->d);
            break;
        case MP_COPY_TEXT:
            sqlite3_bind_text(st, bi, v->p, (int)v->len, SQLITE_STATIC);
            break;
        case MP_COPY_BLOB:
            /* A zero-length blob is bound as one, not as NULL. */
            sqlite3_bind_blob(st, bi, v->len ? v->p : "", (int)v->len, SQLITE_STATIC);
            break;
        }
    }
    enum mp_status rc = mp_stmt_run(s, st, t->name);
    if (rc == MP_OK && mp_copy_is(t, "reports"))
        rc = report_derived(s, t, row);
    else if (rc == MP_OK && mp_copy_is(t, "clusters"))
        rc = cluster_derived(s, t, row);
    return rc;
}

static const char sql_columns[] = "SELECT name FROM pragma_table_info(?1)";

static int column_row(void *ctx, sqlite3_stmt *st)
{
    return mp_copy_check_column(ctx, mp_col_text(st, 0));
}

enum mp_status mp_sqlite_copy_check(struct mp_store_sess *s, const struct mp_copy_table *t,
                                    char *unknown, size_t cap)
{
    /* The columns the engine writes itself (see the top of the file). */
    static const char *const report_cols[] = {"geom", NULL};
    static const char *const cluster_cols[] = {"geom", "cell", NULL};
    struct mp_copy_check c = {t, false, NULL, unknown, cap, 0};
    if (mp_copy_is(t, "reports"))
        c.derived = report_cols;
    else if (mp_copy_is(t, "clusters"))
        c.derived = cluster_cols;
    unknown[0] = '\0';
    sqlite3_stmt *st = mp_stmt(s, sql_columns);
    if (st)
        mp_bind_text(st, 1, t->name);
    return mp_copy_check_status(&c, mp_stmt_each(s, st, column_row, &c, "columns"));
}

enum mp_status mp_sqlite_copy_flush(struct mp_store_sess *s)
{
    (void)s; /* every insert is written when it returns */
    return MP_OK;
}

enum mp_status mp_sqlite_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t)
{
    enum mp_status rc = mp_stmt_run(s, stmt_for(s, t, MP_COPY_SQL_CLEAR), t->name);
    /* The delete triggers keep report_map and grid_cells right row by row;
     * emptied tables leave nothing derived behind. */
    if (rc == MP_OK && mp_copy_is(t, "reports"))
        rc = mp_exec(s, "DELETE FROM report_map");
    if (rc == MP_OK && mp_copy_is(t, "clusters"))
        rc = mp_exec(s, "DELETE FROM grid_cells");
    return rc;
}

enum mp_status mp_sqlite_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                      int64_t *hw)
{
    int64_t seq = 0, max = 0;
    sqlite3_stmt *st = mp_stmt(s, sql_seq);
    if (st)
        mp_bind_text(st, 1, t->name);
    enum mp_status rc = mp_stmt_first(s, st, mp_row_int64, &seq, "sequence");
    if (rc == MP_ENOTFOUND)
        rc = MP_OK;
    if (rc == MP_OK)
        rc = mp_stmt_first(s, stmt_for(s, t, MP_COPY_SQL_MAX_ID), mp_row_int64, &max, t->name);
    *hw = seq > max ? seq : max;
    return rc;
}

enum mp_status mp_sqlite_copy_seq_set(struct mp_store_sess *s, const struct mp_copy_table *t,
                                      int64_t hw)
{
    /* sqlite_sequence has no key: update the table's row, or add it. A
     * table without AUTOINCREMENT ignores its row (its ids continue above
     * its highest row, which the copy kept). */
    enum mp_status rc = MP_OK;
    const char *const sql[] = {sql_seq_update, sql_seq_insert};
    for (size_t i = 0; rc == MP_OK && i < 2; i++) {
        sqlite3_stmt *st = mp_stmt(s, sql[i]);
        if (st) {
            mp_bind_text(st, 1, t->name);
            sqlite3_bind_int64(st, 2, hw);
        }
        rc = mp_stmt_run(s, st, "sequence");
    }
    return rc;
}
