/* store_stmt.c - the statement toolkit every SpatiaLite store module shares
 * (store_internal.h): the per-session statement cache, stepping, binding and
 * reading columns, and the one place where SQLite result codes become a
 * status. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "store_sqlite.h"

/* SQLite result codes never leave the store: they become a status, and the
 * details go to the server log only. */
enum mp_status mp_db_status(sqlite3 *db, int rc, const char *what)
{
    int prim = rc & 0xff;
    fprintf(stderr, "meldpunt: store: %s: %s (%d)\n", what, db ? sqlite3_errmsg(db) : "?", rc);
    if (prim == SQLITE_FULL || prim == SQLITE_READONLY || prim == SQLITE_IOERR ||
        prim == SQLITE_CANTOPEN || prim == SQLITE_BUSY || prim == SQLITE_LOCKED ||
        prim == SQLITE_PERM)
        return MP_EUNAVAIL;
    if (prim == SQLITE_NOMEM)
        return MP_ENOMEM;
    if (prim == SQLITE_CONSTRAINT)
        return MP_ECONFLICT;
    return MP_EDB;
}

_Static_assert(MP_STMT_SLOTS == MP_STORE_SQL_SLOTS, "mp_store_sql_slot yields the slot");

sqlite3_stmt *mp_stmt(struct mp_store_sess *sess, const char *sql)
{
    struct mp_sqlite_sess *s = mp_sq(sess);
    unsigned i = mp_store_sql_slot(sql);
    while (s->stmts[i].sql) {
        if (s->stmts[i].sql == sql)
            return s->stmts[i].st;
        i = (i + 1) & (MP_STMT_SLOTS - 1);
    }
    if (s->nstmts >= MP_STMT_MAX) {
        fprintf(stderr, "meldpunt: store: statement cache full\n");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        (void)mp_db_status(s->db, rc, sql);
        return NULL;
    }
    s->stmts[i].sql = sql;
    s->stmts[i].st = st;
    s->nstmts++;
    return st;
}

sqlite3_stmt *mp_stmt_id(struct mp_store_sess *s, const char *sql, int64_t id)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return st;
}

void mp_stmt_cache_clear(struct mp_store_sess *sess)
{
    struct mp_sqlite_sess *s = mp_sq(sess);
    for (unsigned i = 0; i < MP_STMT_SLOTS; i++) {
        sqlite3_finalize(s->stmts[i].st);
        s->stmts[i].sql = NULL;
        s->stmts[i].st = NULL;
    }
    s->nstmts = 0;
}

void mp_stmt_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

enum mp_status mp_stmt_run(struct mp_store_sess *s, sqlite3_stmt *st, const char *what)
{
    enum mp_status rc = mp_stmt_first(s, st, NULL, NULL, what);
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_stmt_first(struct mp_store_sess *s, sqlite3_stmt *st, mp_row_fn row, void *ctx,
                             const char *what)
{
    if (!st)
        return MP_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && row)
        (void)row(ctx, st);
    mp_stmt_done(st);
    if (rc == SQLITE_ROW)
        return MP_OK;
    return rc == SQLITE_DONE ? MP_ENOTFOUND : mp_db_status(mp_sq(s)->db, rc, what);
}

int mp_row_int64(void *ctx, sqlite3_stmt *st)
{
    *(int64_t *)ctx = sqlite3_column_int64(st, 0);
    return 1;
}

enum mp_status mp_stmt_run_ids(struct mp_store_sess *s, const char *sql, int64_t a, int64_t b,
                               const char *what)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql, a);
    if (st && sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_int64(st, 2, b);
    return mp_stmt_run(s, st, what);
}

struct blob {
    void *data;
    size_t len;
    bool nomem;
};

static int copy_blob(void *ctx, sqlite3_stmt *st)
{
    struct blob *b = ctx;
    int n = sqlite3_column_bytes(st, 0);
    const void *p = sqlite3_column_blob(st, 0);
    b->data = malloc(n > 0 ? (size_t)n : 1);
    if (!b->data) {
        b->nomem = true;
        return 1;
    }
    if (n > 0)
        memcpy(b->data, p, (size_t)n);
    b->len = (size_t)n;
    return 1;
}

enum mp_status mp_stmt_blob(struct mp_store_sess *s, sqlite3_stmt *st, void **data, size_t *len,
                            const char *what)
{
    struct blob b = {NULL, 0, false};
    enum mp_status rc = mp_stmt_first(s, st, copy_blob, &b, what);
    *data = b.data;
    *len = b.len;
    return rc == MP_OK && b.nomem ? MP_ENOMEM : rc;
}

enum mp_status mp_exec(struct mp_store_sess *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(mp_sq(s)->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "meldpunt: store: %s\n", msg ? msg : "error");
        sqlite3_free(msg);
        return mp_db_status(mp_sq(s)->db, rc, "exec");
    }
    return MP_OK;
}

/* snprintf(dst, cap, "%s", s) without the formatting machinery, which was
 * most of the cost of reading a cluster state. */
void mp_col_copy(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const char *s = mp_col_text(st, i);
    size_t n = s ? strnlen(s, cap - 1) : 0;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

void mp_bind_bbox(sqlite3_stmt *st, const struct mp_bbox *b)
{
    sqlite3_bind_double(st, 1, b->min_lon);
    sqlite3_bind_double(st, 2, b->min_lat);
    sqlite3_bind_double(st, 3, b->max_lon);
    sqlite3_bind_double(st, 4, b->max_lat);
}

enum mp_status mp_bind_list(sqlite3_stmt *st, int idx, const char *const *items, size_t n,
                            bool empty_is_null)
{
    if (n == 0 && empty_is_null) {
        sqlite3_bind_null(st, idx);
        return MP_OK;
    }
    struct mp_buf b;
    mp_buf_init(&b, 64 * 1024);
    mp_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(&b, ',');
        mp_json_str(&b, items[i]);
    }
    mp_buf_addc(&b, ']');
    if (b.failed) {
        mp_buf_free(&b);
        return MP_ENOMEM;
    }
    size_t len;
    char *text = mp_buf_steal(&b, &len);
    sqlite3_bind_text(st, idx, text, (int)len, free);
    return MP_OK;
}

enum mp_status mp_bind_scope(sqlite3_stmt *st, int idx, const struct mp_scope_set *set)
{
    const char *items[64];
    if (!set) {
        sqlite3_bind_null(st, idx);
        return MP_OK;
    }
    /* The principal holds at most 64 (auth.h); more would be a caller's bug,
     * and matching fewer fails closed. */
    size_t n = set->n < 64 ? set->n : 64;
    for (size_t i = 0; i < n; i++)
        items[i] = set->names[i];
    return mp_bind_list(st, idx, items, n, false);
}

enum mp_status mp_bind_query(sqlite3_stmt *st, const struct mp_query *q, bool with_paging)
{
    enum mp_status rc;
    if (q->has_bbox)
        mp_bind_bbox(st, &q->bbox);
    if ((rc = mp_bind_list(st, 5, q->categories, q->ncategories, true)) ||
        (rc = mp_bind_list(st, 6, q->statuses, q->nstatuses, true)))
        return rc;
    /* Copied: an export cursor outlives the query it was opened with. */
    if (q->district)
        sqlite3_bind_text(st, 7, q->district, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 7);
    if (q->since)
        sqlite3_bind_int64(st, 8, q->since);
    if (q->until)
        sqlite3_bind_int64(st, 9, q->until);
    if (with_paging) {
        sqlite3_bind_int64(st, 10, q->after_id);
        sqlite3_bind_int64(st, 11, q->limit ? (sqlite3_int64)q->limit : -1);
    }
    return MP_OK;
}
