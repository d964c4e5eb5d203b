/* store_pg.h - PRIVATE to the PostgreSQL engine (server/store_pg*.c): the
 * session layout and the statement toolkit of store_pg_stmt.c, which every
 * file of the engine shares. Never include this outside server/store_pg*.c.
 *
 * HOW TO ADD AN OPERATION (one per entry of struct mp_store_engine in
 * store_engine.h; the public header holds its contract):
 *
 *   1. Write it in the file of its concern (store_pg_reports.c,
 *      store_pg_clusters.c, store_pg_work.c, store_pg_auth.c, ...), named
 *      mp_pg_<entry>, with the entry's exact signature (it takes the
 *      engine-neutral struct mp_store_sess *; pass it on to the toolkit
 *      unchanged). SQL is a static string (the statement cache keys on its
 *      address) with $1, $2, ... placeholders; user input only ever travels
 *      as a parameter:
 *
 *        static const char sql_state[] =
 *            "SELECT id, category FROM clusters WHERE id = $1";
 *
 *        static int state_row(void *ctx, const PGresult *r, int i)
 *        {
 *            struct mp_cluster_state *c = ctx;
 *            c->id = mp_pg_col_int64(r, i, 0);
 *            mp_pg_col_copy(c->category, sizeof c->category, r, i, 1);
 *            return 1;                      // non-zero: stop after this row
 *        }
 *
 *        enum mp_status mp_pg_cluster_state(struct mp_store_sess *s, int64_t id,
 *                                           struct mp_cluster_state *out)
 *        {
 *            struct mp_pg_params p;
 *            mp_pg_params_init(&p);
 *            mp_pg_int64(&p, id);           // $1
 *            return mp_pg_first(s, sql_state, &p, state_row, out, "cluster");
 *        }
 *
 *   2. Declare it in store_pg_engine.h and put it in the table in
 *      store_pg_engine.c (.cluster_state = mp_pg_cluster_state). Until an
 *      entry is there it stays NULL, and its forwarder (store*.c) answers
 *      MP_EUNSUPPORTED and logs "store: postgresql: <entry> is not
 *      implemented".
 *   3. Tables and indexes the operation needs go into store_pg_schema.c.
 *
 * The toolkit: mp_pg_run (statements without rows; how many rows changed),
 * mp_pg_each (the row loop, like mp_stmt_each of the SQLite engine),
 * mp_pg_first (first row, MP_ENOTFOUND when none), mp_pg_blob (one bytea);
 * parameters are added in order with mp_pg_text/int64/double/bool/bytea
 * (text format, bytea binary); columns are read with mp_pg_col_*.
 * PostgreSQL's text output of float8 is exact (shortest round-trip digits)
 * and parameters are written with 17 significant digits, so coordinates
 * survive the text format bit for bit.
 *
 * Each statement is prepared once per connection (PQprepare, named after
 * its cache slot) and run with PQexecPrepared; a result is read whole into
 * memory, which suits the store's bounded reads. A cursor that streams a
 * whole table (exports) should use its own statement with single-row mode
 * (PQsendQueryPrepared + PQsetSingleRowMode) or DECLARE ... CURSOR instead.
 *
 * Errors: SQLSTATEs become a status in one place (mp_pg_status): class 23
 * (constraint) MP_ECONFLICT; a lost connection, a shutdown, lock or
 * serialization failures, disk full, read-only: MP_EUNAVAIL (the HTTP layer
 * answers 503 with Retry-After); anything else MP_EDB. The details go to the
 * log only. A session whose connection was lost reconnects by itself at the
 * start of its next statement outside a transaction (inside one the
 * transaction is gone: MP_EUNAVAIL until the caller rolls back). Unlike
 * SQLite, a failed statement aborts the whole transaction on PostgreSQL
 * (commit then fails): where a failure is expected and the transaction
 * must go on, wrap the statement in a savepoint, as group commit does.
 *
 * Rows that belong to a report or a cluster (history, photos, ...) carry
 * its municipality, taken in the INSERT from the parent row, e.g.
 * "(SELECT municipality FROM clusters WHERE id = $1::bigint)": see
 * store_pg_schema.c.
 *
 * Threads: a session is used by one thread at a time, like every store
 * session.
 */
#ifndef MELDPUNT_STORE_PG_H
#define MELDPUNT_STORE_PG_H

#include <assert.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"
#include "store_engine.h"

/* Prepared statements per connection: an open-addressing table keyed by
 * the address of the static SQL, as in the SQLite engine. */
#define MP_PG_STMT_SLOTS MP_STORE_SQL_SLOTS
#define MP_PG_STMT_MAX (MP_PG_STMT_SLOTS * 3 / 4)

struct mp_pg_store;

/* A session: the engine-neutral head (store_engine.h) first, then one
 * connection and the statements prepared on it. */
struct mp_pg_sess {
    struct mp_store_sess head;
    PGconn *conn;
    const char *stmts[MP_PG_STMT_SLOTS]; /* SQL prepared as "s<slot>" on conn; NULL: free */
    unsigned nstmts;
    bool in_tx;
    bool writing;       /* in_tx began with begin_write: its COMMIT bumps the change counter */
    bool generic_plans; /* in_tx has plan_cache_mode = force_generic_plan (store_pg_clusters.c) */
    bool reported_down; /* the loss of the connection was logged (once per outage) */
    unsigned busy_ms;   /* lock_timeout, set again after a reconnect */
    bool sync_full;     /* synchronous_commit, likewise */
    bool readonly;
};

/* The PostgreSQL session whose head s is. */
static inline struct mp_pg_sess *mp_pg_sess(struct mp_store_sess *s)
{
    assert(s->eng == &mp_pg_engine);
    return (struct mp_pg_sess *)s;
}

/* ---- parameters ---- */

#define MP_PG_MAX_PARAMS 32

/* The parameters of one statement, $1 first. Numbers are written as text
 * into the struct itself; strings and bytes are BORROWED and must outlive
 * the statement's execution. Lives on the caller's stack (about 1.5 KiB). */
struct mp_pg_params {
    int n;
    bool overflow; /* more than MP_PG_MAX_PARAMS: the statement is not run */
    const char *values[MP_PG_MAX_PARAMS];
    int lengths[MP_PG_MAX_PARAMS];
    int formats[MP_PG_MAX_PARAMS]; /* 0 text, 1 binary */
    char num[MP_PG_MAX_PARAMS][32];
};

static inline void mp_pg_params_init(struct mp_pg_params *p)
{
    p->n = 0;
    p->overflow = false;
}

/* s (borrowed) or SQL NULL when s is NULL. */
void mp_pg_text(struct mp_pg_params *p, const char *s);
void mp_pg_int64(struct mp_pg_params *p, int64_t v);
void mp_pg_double(struct mp_pg_params *p, double v);
void mp_pg_bool(struct mp_pg_params *p, bool v);
/* len bytes at data (borrowed), sent in binary: a bytea parameter. */
void mp_pg_bytea(struct mp_pg_params *p, const void *data, size_t len);

/* ---- running statements ---- */

/* Called by mp_pg_each for each row of r; non-zero stops the loop, which is
 * not an error. */
typedef int (*mp_pg_row_fn)(void *ctx, const PGresult *r, int row);

/* Run sql (static) with p (NULL: none) and hand each row to row. MP_OK,
 * or the status of the failure (logged with what). */
enum mp_status mp_pg_each(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                          mp_pg_row_fn row, void *ctx, const char *what) MP_WUR;
/* mp_pg_each with the columns in binary format (int8 and float8 as 8 bytes
 * in network order, bool as one byte, text as is): for listings of many
 * rows, where parsing numbers out of text costs the client more than the
 * rest of its row (pgmap: store_pg_map.c, which reads them). */
enum mp_status mp_pg_each_binary(struct mp_store_sess *s, const char *sql,
                                 const struct mp_pg_params *p, mp_pg_row_fn row, void *ctx,
                                 const char *what) MP_WUR;
/* mp_pg_each of the first row only (row may be NULL: a test of existence);
 * MP_ENOTFOUND when there is none. */
enum mp_status mp_pg_first(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                           mp_pg_row_fn row, void *ctx, const char *what) MP_WUR;
/* Run a statement whose rows (if any) do not matter; the number of rows it
 * inserted, updated or deleted into *changed (may be NULL). */
enum mp_status mp_pg_run(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                         int64_t *changed, const char *what) MP_WUR;
/* Column 0 of the first row (a bytea, read in binary) into a NEW
 * allocation in *data (free()), its size in *len; MP_ENOTFOUND when there
 * is no row. */
enum mp_status mp_pg_blob(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                          void **data, size_t *len, const char *what) MP_WUR;
/* Run sql and hand its whole result to the caller in *out (PQclear it):
 * for a caller that keeps one bounded batch of rows between calls (the
 * export cursor). */
enum mp_status mp_pg_result(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                            PGresult **out, const char *what) MP_WUR;
/* A row function for mp_pg_first: column 0 into the int64_t at ctx. */
int mp_pg_row_int64(void *ctx, const PGresult *r, int row);

/* Forget every prepared statement of s (its connection was replaced). */
void mp_pg_stmt_forget(struct mp_pg_sess *s);
/* Make sure the connection of s works before a statement: outside a
 * transaction, a connection the server closed is noticed and replaced
 * (PQreset) and the session's settings are applied again. MP_EUNAVAIL when
 * the server cannot be reached, or when the connection was lost inside a
 * transaction. */
enum mp_status mp_pg_ready(struct mp_pg_sess *s) MP_WUR;
/* Apply the session settings (lock_timeout, synchronous_commit, read-only)
 * to a new connection. */
enum mp_status mp_pg_configure(struct mp_pg_sess *s) MP_WUR;
/* The status of a failed result r (NULL: the connection failed) on s, with
 * the details logged under what. */
enum mp_status mp_pg_status(struct mp_pg_sess *s, const PGresult *r, const char *what);

/* ---- reading columns (text format) ---- */

/* Column col of row as text, NULL for SQL NULL; borrowed from r. */
static inline const char *mp_pg_col_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}
/* 0 for SQL NULL. */
int64_t mp_pg_col_int64(const PGresult *r, int row, int col);
double mp_pg_col_double(const PGresult *r, int row, int col);
/* true for a boolean 't' (or a non-zero number); false for NULL. */
bool mp_pg_col_bool(const PGresult *r, int row, int col);
/* The text into dst (cap bytes, truncated, "" for NULL). */
void mp_pg_col_copy(char *dst, size_t cap, const PGresult *r, int row, int col);

#endif
