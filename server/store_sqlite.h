/* store_sqlite.h - PRIVATE to the SQLite engine (server/store_sqlite*.c):
 * the session layout and the statement toolkit of store_sqlite_stmt.c (the
 * statement cache, the row loop, binding and reading columns), so that each
 * store module (reports, clusters, auth, exports, open311, ...) keeps its
 * own SQL next to its own interface while sharing one connection pool. The
 * engine's entries are declared in store_sqlite_engine.h. Never include
 * this outside server/store_sqlite*.c.
 */
#ifndef MELDPUNT_STORE_INTERNAL_H
#define MELDPUNT_STORE_INTERNAL_H

#include <assert.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "store_engine.h"

/* The statement cache of a session: an open-addressing table keyed by the
 * address of a static SQL string (so a look-up is a hash of a pointer and
 * one or two compares, as cheap as the array index it replaced on the hot
 * paths). At most MP_STMT_MAX distinct statements a session, which keeps
 * probe sequences short; the store has about a hundred. */
#define MP_STMT_SLOTS 256
#define MP_STMT_MAX (MP_STMT_SLOTS * 3 / 4)

struct mp_stmt_slot {
    const char *sql; /* the key: compared by address, never by content */
    sqlite3_stmt *st;
};

/* A session: the engine-neutral head (store_engine.h) first, then one
 * connection and its statements. */
struct mp_sqlite_sess {
    struct mp_store_sess head;
    sqlite3 *db;
    void *spatialite_cache;
    struct mp_stmt_slot stmts[MP_STMT_SLOTS];
    unsigned nstmts;
    bool in_tx;
    /* store_map.c's row buffers, kept between requests so that a map page
     * does not fault in fresh pages each time (owned; freed by sess_close). */
    void *map_scratch[2];
    size_t map_scratch_cap[2];
};

/* The SQLite session whose head s is. The toolkit below takes the head, so
 * that the engine's functions, which have the public signatures, pass their
 * session on unchanged. */
static inline struct mp_sqlite_sess *mp_sq(struct mp_store_sess *s)
{
    assert(s->eng == &mp_sqlite_engine);
    return (struct mp_sqlite_sess *)s;
}

/* The session's prepared statement for sql, prepared on first use (NULL on
 * error, which is logged). sql must be a static string: the cache keys on
 * its address. Reset the statement with mp_stmt_done (or one of the
 * helpers below, which do) after use. */
sqlite3_stmt *mp_stmt(struct mp_store_sess *s, const char *sql);
/* mp_stmt with ?1 bound to id: the statement of a look-up by one key
 * (NULL as for mp_stmt). */
sqlite3_stmt *mp_stmt_id(struct mp_store_sess *s, const char *sql, int64_t id);
/* Finalize every cached statement of s (when the session closes). */
void mp_stmt_cache_clear(struct mp_store_sess *s);
/* Reset a statement and clear its bindings; NULL is allowed. */
void mp_stmt_done(sqlite3_stmt *st);
/* Step a statement that returns no rows (or ignores them), then reset it.
 * A NULL st (mp_stmt failed) gives MP_EDB. */
enum mp_status mp_stmt_run(struct mp_store_sess *s, sqlite3_stmt *st, const char *what) MP_WUR;
/* Called by mp_stmt_each for each row of st (columns valid until it
 * returns); non-zero stops the loop, which is not an error. */
typedef int (*mp_row_fn)(void *ctx, sqlite3_stmt *st);
/* The row loop: step st, calling row for each row until the rows run out or
 * row returns non-zero, then reset st and clear its bindings (always, also
 * on error). MP_OK then; an SQLite error is logged with what and mapped by
 * mp_db_status. A NULL st (mp_stmt failed) gives MP_EDB. Defined below. */
static inline enum mp_status mp_stmt_each(struct mp_store_sess *s, sqlite3_stmt *st,
                                          mp_row_fn row, void *ctx, const char *what) MP_WUR;
/* mp_stmt_each of the first row only (row may be NULL: a test of existence);
 * MP_ENOTFOUND when there is none. */
enum mp_status mp_stmt_first(struct mp_store_sess *s, sqlite3_stmt *st, mp_row_fn row, void *ctx,
                             const char *what) MP_WUR;
/* A row function for mp_stmt_first: column 0 into the int64_t at ctx. */
int mp_row_int64(void *ctx, sqlite3_stmt *st);
/* mp_stmt_run of the cached statement for sql with ?1 = a and, when the
 * statement has a second parameter, ?2 = b. */
enum mp_status mp_stmt_run_ids(struct mp_store_sess *s, const char *sql, int64_t a, int64_t b,
                               const char *what) MP_WUR;
/* Copy column 0 of st's first row (a blob) into a NEW allocation in *data
 * (free()), its size in *len; MP_ENOTFOUND when there is no row. Resets st;
 * a NULL st gives MP_EDB. */
enum mp_status mp_stmt_blob(struct mp_store_sess *s, sqlite3_stmt *st, void **data, size_t *len,
                            const char *what) MP_WUR;
/* Run SQL text that may hold several statements and returns no rows
 * (schema, pragmas); errors are logged. */
enum mp_status mp_exec(struct mp_store_sess *s, const char *sql);
/* Map an SQLite result code to a status, logging the details. */
enum mp_status mp_db_status(sqlite3 *db, int rc, const char *what);
/* Bind s (borrowed: must outlive the step) or NULL. Inline: a report
 * insert binds fourteen texts. */
static inline void mp_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}
/* Column i as text, borrowed until the next step or reset. */
static inline const char *mp_col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}
/* Column i as text into dst (cap bytes, truncated, "" for NULL). */
void mp_col_copy(char *dst, size_t cap, sqlite3_stmt *st, int i);
/* Bind a box to ?1-?4: min lon, min lat, max lon, max lat. */
void mp_bind_bbox(sqlite3_stmt *st, const struct mp_bbox *b);
/* Bind a list of strings as a JSON array text, for "x IN (SELECT value FROM
 * json_each(?))"; an empty list binds NULL (no filter) when empty_is_null,
 * else "[]" (matches nothing). */
enum mp_status mp_bind_list(sqlite3_stmt *st, int idx, const char *const *items, size_t n,
                            bool empty_is_null) MP_WUR;
/* Bind a staff member's municipalities (model.h) as a JSON array text, for
 * "(?n IS NULL OR municipality IN (SELECT value FROM json_each(?n)))": NULL
 * (region-wide) binds NULL, which filters nothing; an empty set binds "[]",
 * which matches nothing. */
enum mp_status mp_bind_scope(sqlite3_stmt *st, int idx, const struct mp_scope_set *set) MP_WUR;
/* Bind a listing query's filters and page to the parameters every listing
 * statement shares: ?1-?4 bbox, ?5 categories, ?6 statuses (lists as for
 * mp_bind_list), ?7 district, ?8 since, ?9 until, and with_paging ?10
 * after id, ?11 limit (-1: none). Strings are copied: the statement may
 * outlive q. */
enum mp_status mp_bind_query(sqlite3_stmt *st, const struct mp_query *q, bool with_paging) MP_WUR;

/* Inline, so that where the loop is hot (the map's strip scan, the grid
 * pyramid: thousands of rows a request) the compiler inlines the caller's
 * static row function into it and the loop costs what the hand-written
 * loops it replaced did: a call through a pointer per row was 0.5-0.8 % of
 * a map or grid request under callgrind. */
static inline enum mp_status mp_stmt_each(struct mp_store_sess *s, sqlite3_stmt *st,
                                          mp_row_fn row, void *ctx, const char *what)
{
    if (!st)
        return MP_EDB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (row(ctx, st))
            break;
    mp_stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? MP_OK : mp_db_status(mp_sq(s)->db, rc, what);
}

#endif
