/* store_copy_sql.h - PRIVATE to server/store_*_copy.c: what both engines'
 * copy-store statements share (store_copy_sql.c). Each engine makes its
 * statement texts from the table descriptions of store_copy.h; a text is
 * made once per table and statement kind and kept for the life of the
 * process, so that the engines' statement caches, which key on the text's
 * address, prepare it once per connection like a static statement.
 * Identifiers come from the constant descriptions only, never from input. */
#ifndef MELDPUNT_STORE_COPY_SQL_H
#define MELDPUNT_STORE_COPY_SQL_H

#include <stdbool.h>

#include "meldpunt/buf.h"
#include "meldpunt/store_copy.h"

/* Statement kinds. The first four are the same SQL on both engines
 * (mp_copy_sql_common); the insert is each engine's own. */
enum mp_copy_sql_kind {
    MP_COPY_SQL_COUNT,  /* the table's rows */
    MP_COPY_SQL_MAX_ID, /* its highest id (column 0), 0 when empty */
    MP_COPY_SQL_CLEAR,  /* delete every row */
    MP_COPY_SQL_ROWS,   /* every row in key order (PostgreSQL prefixes a cursor) */
    MP_COPY_SQL_INSERT, /* one row: the engine's */
    MP_COPY_SQL_KINDS
};

/* Writes the text of statement kind `which` of t into b. */
typedef void (*mp_copy_sql_build)(struct mp_buf *b, const struct mp_copy_table *t, int which);

/* The text of statement kind `which` (< MP_COPY_SQL_KINDS) of t for the
 * engine whose builder is build, made on first use; NULL when out of
 * memory. Thread-safe. */
const char *mp_copy_sql(const struct mp_copy_table *t, int which, mp_copy_sql_build build);

/* The text of a statement kind before MP_COPY_SQL_INSERT into b, as the
 * engine names the columns (pg: pg_name; text keys ordered bytewise). */
void mp_copy_sql_common(struct mp_buf *b, const struct mp_copy_table *t, int which, bool pg);

/* "INSERT INTO <t> (<columns>" with the columns as the engine names them:
 * the engine adds its derived columns, then the values. */
void mp_copy_sql_insert_head(struct mp_buf *b, const struct mp_copy_table *t, bool pg);

/* The index of column name in t, -1 when t has none. */
int mp_copy_col(const struct mp_copy_table *t, const char *name);

/* Whether t is the table name. */
bool mp_copy_is(const struct mp_copy_table *t, const char *name);

/* The column check of mp_store_copy_check: fill t, derived (the engine's
 * own columns of t, NULL-terminated; may be NULL), unknown and cap, then
 * pass each column name of the database's table t (as the engine names
 * it: pg_name on PostgreSQL) to mp_copy_check_column. */
struct mp_copy_check {
    const struct mp_copy_table *t;
    bool pg;
    const char *const *derived;
    char *unknown;
    size_t cap;
    size_t seen;
};

/* Count name; when t does not describe it and it is not derived, copy it
 * into unknown and answer 1 (stop), else 0. */
int mp_copy_check_column(struct mp_copy_check *c, const char *name);

/* The status of a finished check: MP_EINVAL with a column in unknown,
 * MP_ENOTFOUND when the table had no columns (does not exist), else rc. */
enum mp_status mp_copy_check_status(const struct mp_copy_check *c, enum mp_status rc);

#endif
