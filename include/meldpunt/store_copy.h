/* store_copy.h - the store's whole-table reads and writes for
 * `meldpunt copy-store` (copystore.h): every row of one table in a form
 * both engines share, in key order, and the same rows written back with
 * their ids. The tables, their columns, key order and canonical types are
 * described once, in server/copystore_tables.c (mp_copy_tables); each
 * engine turns a description into its own SQL (server/store_sqlite_copy.c,
 * server/store_pg_copy.c), so no SQL leaves the store files.
 *
 * A table that a schema version adds is one more entry in mp_copy_tables:
 * the engines need nothing else unless the table has rows derived from it
 * (SQLite: report_map, grid_cells, R*Trees; PostgreSQL: geometry columns)
 * or, on PostgreSQL, a municipality column filled from a parent row (the
 * entry names the parent: muni_from). */
#ifndef MELDPUNT_STORE_COPY_H
#define MELDPUNT_STORE_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"

struct mp_store_sess;

/* The canonical types. INT is a 64-bit integer, REAL a double, BOOL 0 or 1
 * (SQLite: INTEGER; PostgreSQL: boolean), TEXT and BLOB bytes with a
 * length (PostgreSQL: bytea). */
enum mp_copy_type { MP_COPY_INT, MP_COPY_REAL, MP_COPY_TEXT, MP_COPY_BLOB, MP_COPY_BOOL };

struct mp_copy_col {
    const char *name; /* the column's name on both engines, unless ... */
    enum mp_copy_type type;
    const char *pg_name; /* ... PostgreSQL names it otherwise (NULL: name) */
};

/* At most this many columns in a table (the PostgreSQL statements' limit
 * of parameters, with room for the derived ones). */
#define MP_COPY_MAX_COLS 28

struct mp_copy_table {
    const char *name;
    const struct mp_copy_col *cols;
    size_t ncols;
    /* The first nkey columns are the primary key: rows are read in its
     * order (text compared bytewise on both engines). */
    size_t nkey;
    /* Column 0 is an id the database hands out: the target's counter
     * (sqlite_sequence, the identity's sequence) continues above the
     * highest id the source ever gave. */
    bool id_seq;
    /* PostgreSQL only: the table has a municipality column that is not one
     * of cols; the insert takes it from the first of these parents
     * (table, this table's column holding the parent's id) that has the
     * row. muni_required: NOT NULL, so when no parent has it, the lowest
     * municipality of the clusters is taken (a one-municipality database
     * is the only one SQLite holds). */
    const char *muni_from[2][2];
    bool muni_required;
};

/* One value: null, or by the column's type i (INT, BOOL), d (REAL), or p
 * and len (TEXT, BLOB; borrowed for the duration of the callback, TEXT not
 * necessarily NUL-terminated). */
struct mp_copy_value {
    bool null;
    int64_t i;
    double d;
    const void *p;
    size_t len;
};

/* One row of t: ncols values in t's column order; non-zero stops. */
typedef int (*mp_copy_row_cb)(void *ctx, const struct mp_copy_table *t,
                              const struct mp_copy_value *row);

/* The rows of t in *n. Inside a transaction of the caller's. */
enum mp_status mp_store_copy_count(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                   int64_t *n) MP_WUR;
/* Every row of t in key order to cb, streamed (bounded memory), inside a
 * transaction of the caller's (a read transaction: one snapshot). */
enum mp_status mp_store_copy_rows(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                  mp_copy_row_cb cb, void *ctx) MP_WUR;
/* Insert one row of t with its id, and the rows derived from it, in the
 * caller's write transaction (foreign keys deferred: the caller inserts
 * parents first anyway). Values are copied before it returns; a failure
 * may be reported by a later insert or by mp_store_copy_flush. */
enum mp_status mp_store_copy_insert(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                    const struct mp_copy_value *row) MP_WUR;
/* Wait until every row mp_store_copy_insert took is written: an engine
 * may send rows ahead (PostgreSQL's pipeline) and report a failure of one
 * only here. Call it after the last row of each table, also after a
 * failure, before any other call on sess. */
enum mp_status mp_store_copy_flush(struct mp_store_sess *sess) MP_WUR;
/* Whether the database's table t has exactly the columns t describes,
 * besides those the engine derives itself: MP_EINVAL with the first
 * column t does not describe in unknown (cap bytes), so that a column a
 * schema version adds is not left behind silently; MP_ENOTFOUND when the
 * table does not exist. */
enum mp_status mp_store_copy_check(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                   char *unknown, size_t cap) MP_WUR;
/* Delete every row of t and what is derived from it (copy-store --force),
 * in the caller's write transaction. */
enum mp_status mp_store_copy_clear(struct mp_store_sess *sess,
                                   const struct mp_copy_table *t) MP_WUR;
/* For a table with id_seq: the highest id it ever gave (its counter, or
 * the highest id in it when that is higher; 0 when none) ... */
enum mp_status mp_store_copy_seq_get(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                     int64_t *hw) MP_WUR;
/* ... and make the next id it gives hw + 1 or more (hw > 0). */
enum mp_status mp_store_copy_seq_set(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                     int64_t hw) MP_WUR;

#endif
