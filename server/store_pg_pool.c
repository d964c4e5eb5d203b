/* store_pg_pool.c - the PostgreSQL store's connections: the pool of
 * sessions (one libpq connection each, like the SQLite engine's), opening
 * and upgrading the database, transactions and savepoints, and the figures
 * /healthz reads. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/maint.h"
#include "meldpunt/store.h"
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_schema.h"

/* One writer at a time across every server on the database, as SQLite's
 * BEGIN IMMEDIATE gives on a file: the duplicate look-up and the cluster
 * write that follows must not interleave with another writer's, or two
 * reports of one defect could start two clusters. Held until the
 * transaction ends; waiting is bounded by lock_timeout (busy_ms). */
#define WRITE_LOCK "7236235361786932"

/* BEGIN and the lock in one round trip (simple-query protocol, constant SQL). */
static const char sql_begin_write[] = "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")";
/* pgwrite: writers of places (group commit) share WRITE_LOCK, so that
 * begin_write's writers (staff merges, recluster, imports) still have the
 * database to themselves, and lock each place's cells (below) instead: in
 * one statement, in key order, so that two writers never wait for each
 * other in a circle. */
static const char sql_begin_shared[] =
    "BEGIN; SELECT pg_advisory_xact_lock_shared(" WRITE_LOCK ")";
static const char sql_lock_cells[] =
    "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(k)"
    " FROM (SELECT DISTINCT k FROM unnest($1::bigint[]) AS k ORDER BY k) AS o) AS l";
/* The grid of those locks, metres: a place's box (a few hundred metres at
 * most) touches one to four cells; any two boxes that overlap share one,
 * so two writers that could see each other's clusters take turns. More
 * cells than PLACE_CELLS_MAX in one box: the whole database instead. */
#define PLACE_CELL_M 256.0
#define PLACE_CELLS_MAX 16
static const char sql_begin_read[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
static const char sql_commit[] = "COMMIT";
/* A write transaction's COMMIT, in one round trip: the change counter goes
 * up once if the transaction changed reports or clusters (their statement
 * triggers set meldpunt.changed: store_pg_schema.c), in the same commit as
 * the change, so a reader never sees the new number before the change.
 * Simple-query protocol (two statements in one message); constant SQL. */
static const char sql_commit_write[] =
    "UPDATE change_counter SET n = n + 1"
    " WHERE id = 1 AND current_setting('meldpunt.changed', true) = 'on';"
    " COMMIT";
/* pgwrite: the same in pipeline mode, after the writes sent ahead: the
 * counter (one prepared statement) and COMMIT, read in one round trip. */
static const char sql_counter_bump[] =
    "UPDATE change_counter SET n = n + 1"
    " WHERE id = 1 AND current_setting('meldpunt.changed', true) = 'on'";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_sp[] = "SAVEPOINT item";
static const char sql_sp_release[] = "RELEASE SAVEPOINT item";
static const char sql_sp_undo[] = "ROLLBACK TO SAVEPOINT item";
static const char sql_defer_fk[] = "SET CONSTRAINTS ALL DEFERRED";
static const char sql_change[] = "SELECT n FROM change_counter WHERE id = 1";
static const char sql_counts[] = "SELECT (SELECT count(*) FROM reports),"
                                 " (SELECT count(*) FROM clusters)";
static const char sql_sync[] = "SELECT current_setting('synchronous_commit')";
/* pgreads: for /metrics. */
static const char sql_report_status[] = "SELECT status, count(*) FROM reports GROUP BY status"
                                        " ORDER BY status";
static const char sql_cluster_status[] = "SELECT status, count(*) FROM clusters GROUP BY status"
                                         " ORDER BY status";
static const char sql_db_bytes[] = "SELECT pg_database_size(current_database())";

struct mp_pg_store {
    struct mp_store head;        /* and the pool of sessions */
    struct mp_pg_sess *sessions; /* owned array */
    unsigned nsessions;
    struct mp_store_opts opts;
};

/* libpq's messages that belong to no statement (warnings, and the FATAL
 * with which a server that shuts down says goodbye) go to the log with the
 * prefix of every store message. */
static void notice(void *arg, const char *message)
{
    (void)arg;
    fprintf(stderr, "meldpunt: store: postgresql: %s", message);
}

static void sess_close(struct mp_pg_sess *s)
{
    if (s->conn)
        PQfinish(s->conn);
    memset(s, 0, sizeof *s);
}

static enum mp_status sess_open(struct mp_pg_sess *s, const char *location,
                                const struct mp_store_opts *o, struct mp_error *err)
{
    /* Defaults first: a parameter in the URL overrides them
     * (expand_dbname). The URL itself never appears in a message, as it
     * may hold a password. */
    const char *const keys[] = {"application_name", "connect_timeout", "dbname", NULL};
    const char *const values[] = {"meldpunt", "10", location, NULL};
    s->head.eng = &mp_pg_engine;
    s->busy_ms = o->busy_ms;
    s->sync_full = o->sync_full;
    s->readonly = o->readonly;
    s->conn = PQconnectdbParams(keys, values, 1);
    if (!s->conn)
        return MP_ENOMEM;
    PQsetNoticeProcessor(s->conn, notice, NULL);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        fprintf(stderr, "meldpunt: store: postgresql: %s", PQerrorMessage(s->conn));
        return mp_fail(
            err, MP_EUNAVAIL, "store", "cannot connect to PostgreSQL (database %.60s on %.60s)",
            PQdb(s->conn) ? PQdb(s->conn) : "?", PQhost(s->conn) ? PQhost(s->conn) : "?");
    }
    if (mp_pg_configure(s) != MP_OK)
        return mp_fail(err, MP_EDB, "store", "cannot configure the PostgreSQL session");
    return MP_OK;
}

enum mp_status mp_pg_open(const char *location, const struct mp_store_opts *opts,
                          struct mp_store **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_pg_store *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return MP_ENOMEM;
    mp_store_pool_init(&st->head, &mp_pg_engine);
    st->opts = *opts;
    if (st->opts.pool_size == 0)
        st->opts.pool_size = 1;
    st->sessions = calloc(st->opts.pool_size, sizeof *st->sessions);
    if (!st->sessions) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < st->opts.pool_size; i++) {
        struct mp_pg_sess *s = &st->sessions[i];
        st->nsessions = i + 1;
        if ((rc = sess_open(s, location, &st->opts, err)))
            goto out;
        if (i == 0 && !st->opts.readonly && (rc = mp_pg_schema_migrate(s, err)))
            goto out;
        if (i == 0 && st->opts.readonly && mp_pg_schema_read_version(s) != MP_PG_SCHEMA_VERSION) {
            rc = mp_fail(err, MP_EDB, "store", "read-only database has schema version %d, need %d",
                         mp_pg_schema_read_version(s), MP_PG_SCHEMA_VERSION);
            goto out;
        }
        mp_store_pool_put(&st->head, &s->head);
    }
    *out = &st->head;
    st = NULL;
out:
    if (st)
        mp_pg_close(&st->head);
    return rc;
}

void mp_pg_close(struct mp_store *store)
{
    struct mp_pg_store *st = (struct mp_pg_store *)store;
    for (unsigned i = 0; i < st->nsessions; i++)
        sess_close(&st->sessions[i]);
    free(st->sessions);
    mp_store_pool_destroy(&st->head);
    free(st);
}

void mp_pg_acquired(struct mp_store_sess *sess)
{
    /* A connection lost while the session sat in the pool is replaced now;
     * if the server is still away, the session's statements answer
     * MP_EUNAVAIL and it tries again at the next. */
    enum mp_status rc = mp_pg_ready(mp_pg_sess(sess));
    (void)rc; /* logged */
}

void mp_pg_released(struct mp_store_sess *sess)
{
    if (mp_pg_sess(sess)->in_tx) /* never leak a transaction to the next user */
        mp_pg_rollback(sess);
}

int mp_pg_schema_version(struct mp_store_sess *s)
{
    return mp_pg_schema_read_version(mp_pg_sess(s));
}

/* libpq's buffers are all this process holds; caches live in the server. */
int64_t mp_pg_memory_used(struct mp_store_sess *s)
{
    (void)s;
    return 0;
}

/* ---- transactions ---- */

enum mp_status mp_pg_begin_write(struct mp_store_sess *sess, struct mp_error *err)
{
    struct mp_pg_sess *s = mp_pg_sess(sess);
    /* A read-only session would take the lock all the same (and fail only
     * at its first write): refuse as SQLite's BEGIN IMMEDIATE does. */
    enum mp_status rc = s->readonly ? MP_EUNAVAIL : mp_pg_ready(s); /* reconnects if lost */
    s->conflict = false;
    if (rc == MP_OK) {
        s->in_tx = true;
        s->writing = true;
        if ((rc = mp_pg_exec_script(s, sql_begin_write, "write lock")))
            mp_pg_rollback(sess); /* the transaction, if BEGIN got through */
    }
    if (rc)
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database cannot take writes right now; try again later");
    return MP_OK;
}

/* The lock key of one cell of a category in a municipality: FNV-1a over
 * the names and the cell's numbers. Two places that share a key share the
 * lock (a rare collision only makes two writers take turns). */
static int64_t cell_key(const char *municipality, const char *category, int64_t cx, int64_t cy)
{
    uint64_t h = UINT64_C(14695981039346656037);
    const unsigned char *parts[2] = {(const unsigned char *)municipality,
                                     (const unsigned char *)category};
    for (int k = 0; k < 2; k++) {
        for (const unsigned char *c = parts[k]; c && *c; c++)
            h = (h ^ *c) * UINT64_C(1099511628211);
        h = (h ^ 0xff) * UINT64_C(1099511628211); /* "a","bc" is not "ab","c" */
    }
    const int64_t xy[2] = {cx, cy};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 64; b += 8)
            h = (h ^ (((uint64_t)xy[k] >> b) & 0xff)) * UINT64_C(1099511628211);
    return (int64_t)h;
}

/* The keys of every cell under places as a PostgreSQL array literal in
 * *out (NEW allocation, free()). false when a box is too wide, not
 * finite, or memory is short: then the caller locks the database. */
static bool cell_keys(const struct mp_store_place *places, size_t n, char **out)
{
    size_t cap = n * PLACE_CELLS_MAX * 22 + 3, used = 0;
    char *buf = n ? malloc(cap) : NULL;
    *out = NULL;
    if (!buf)
        return false;
    buf[used++] = '{';
    for (size_t i = 0; i < n; i++) {
        const struct mp_store_place *p = &places[i];
        if (!(p->x0 <= p->x1 && p->y0 <= p->y1) || fabs(p->x0) > 1e9 || fabs(p->x1) > 1e9 ||
            fabs(p->y0) > 1e9 || fabs(p->y1) > 1e9)
            goto wide;
        int64_t cx0 = (int64_t)floor(p->x0 / PLACE_CELL_M), cx1 = (int64_t)floor(p->x1 / PLACE_CELL_M);
        int64_t cy0 = (int64_t)floor(p->y0 / PLACE_CELL_M), cy1 = (int64_t)floor(p->y1 / PLACE_CELL_M);
        if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > PLACE_CELLS_MAX)
            goto wide;
        for (int64_t cx = cx0; cx <= cx1; cx++)
            for (int64_t cy = cy0; cy <= cy1; cy++) {
                int w = snprintf(buf + used, cap - used, "%s%" PRId64, used > 1 ? "," : "",
                                 cell_key(p->municipality, p->category, cx, cy));
                if (w < 0 || (size_t)w >= cap - used)
                    goto wide;
                used += (size_t)w;
            }
    }
    if (used + 2 > cap)
        goto wide;
    buf[used++] = '}';
    buf[used] = '\0';
    *out = buf;
    return true;
wide:
    free(buf);
    return false;
}

enum mp_status mp_pg_begin_write_places(struct mp_store_sess *sess,
                                        const struct mp_store_place *places, size_t n,
                                        struct mp_error *err)
{
    struct mp_pg_sess *s = mp_pg_sess(sess);
    char *keys = NULL;
    if (s->readonly || !cell_keys(places, n, &keys))
        return mp_pg_begin_write(sess, err);
    enum mp_status rc = mp_pg_ready(s); /* reconnects if lost */
    s->conflict = false;
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_text(&p, keys);
        s->in_tx = true;
        s->writing = true;
        if ((rc = mp_pg_exec_script(s, sql_begin_shared, "write lock")) ||
            (rc = mp_pg_run(sess, sql_lock_cells, &p, NULL, "place locks")))
            mp_pg_rollback(sess);
    }
    free(keys);
    if (rc)
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database cannot take writes right now; try again later");
    return MP_OK;
}

bool mp_pg_tx_conflict(struct mp_store_sess *sess)
{
    return mp_pg_sess(sess)->conflict;
}

enum mp_status mp_pg_begin_read(struct mp_store_sess *sess)
{
    enum mp_status rc = mp_pg_run(sess, sql_begin_read, NULL, NULL, "begin");
    if (rc == MP_OK)
        mp_pg_sess(sess)->in_tx = true;
    return rc;
}

/* COMMIT after writes sent ahead: they, the counter and COMMIT in one
 * round trip. A failed write aborted the transaction: then COMMIT is
 * skipped (or answers ROLLBACK), never a commit. */
static enum mp_status commit_pipeline(struct mp_pg_sess *s)
{
    char tag[16];
    enum mp_status rc = mp_pg_run_later(&s->head, sql_counter_bump, NULL, "commit");
    if (rc == MP_OK)
        rc = mp_pg_pipeline_end(s, sql_commit, tag, sizeof tag);
    else if (mp_pg_pipeline_end(s, NULL, NULL, 0) != MP_OK)
        fprintf(stderr, "meldpunt: store: writes sent ahead failed before commit\n");
    if (rc == MP_OK && strcmp(tag, "COMMIT") != 0)
        rc = MP_EDB;
    return rc;
}

enum mp_status mp_pg_commit(struct mp_store_sess *sess, struct mp_error *err)
{
    struct mp_pg_sess *s = mp_pg_sess(sess);
    /* COMMIT of a transaction in which a statement failed "succeeds" as a
     * ROLLBACK: such a transaction is never committed. */
    enum mp_status rc = PQtransactionStatus(s->conn) == PQTRANS_INERROR ? MP_EDB
                        : s->pipeline ? commit_pipeline(s)
                        : s->writing  ? mp_pg_exec_script(s, sql_commit_write, "commit")
                                      : mp_pg_run(sess, sql_commit, NULL, NULL, "commit");
    if (rc) {
        mp_pg_rollback(sess);
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database could not save the change; try again later");
    }
    s->in_tx = false;
    s->writing = false;
    s->generic_plans = false;
    return MP_OK;
}

void mp_pg_rollback(struct mp_store_sess *sess)
{
    struct mp_pg_sess *s = mp_pg_sess(sess);
    enum mp_status sent = mp_pg_pipeline_end(s, NULL, NULL, 0); /* writes sent ahead */
    (void)sent; /* logged; undone below either way */
    PGTransactionStatusType t = PQtransactionStatus(s->conn);
    if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR) {
        enum mp_status rc = mp_pg_run(sess, sql_rollback, NULL, NULL, "rollback");
        (void)rc; /* logged; the transaction is over either way */
    }
    s->in_tx = false;
    s->writing = false;
    s->generic_plans = false;
}

enum mp_status mp_pg_savepoint(struct mp_store_sess *s)
{
    return mp_pg_run(s, sql_sp, NULL, NULL, "savepoint");
}

enum mp_status mp_pg_savepoint_release(struct mp_store_sess *s)
{
    /* It also reads the item's writes sent ahead: if one failed, the item
     * is undone here, so that the transaction goes on without it. */
    enum mp_status rc = mp_pg_run(s, sql_sp_release, NULL, NULL, "release");
    if (rc && PQtransactionStatus(mp_pg_sess(s)->conn) == PQTRANS_INERROR)
        mp_pg_savepoint_undo(s);
    return rc;
}

void mp_pg_savepoint_undo(struct mp_store_sess *s)
{
    /* ROLLBACK TO keeps the savepoint; release it so the next item starts
     * clean, as on SQLite. */
    if (mp_pg_run(s, sql_sp_undo, NULL, NULL, "undo") == MP_OK &&
        mp_pg_run(s, sql_sp_release, NULL, NULL, "release") != MP_OK)
        fprintf(stderr, "meldpunt: store: cannot release an undone savepoint\n");
}

enum mp_status mp_pg_defer_foreign_keys(struct mp_store_sess *s)
{
    return mp_pg_run(s, sql_defer_fk, NULL, NULL, "defer foreign keys");
}

/* ---- figures ---- */

enum mp_status mp_pg_change_counter(struct mp_store_sess *s, int64_t *n)
{
    *n = -1;
    enum mp_status rc = mp_pg_first(s, sql_change, NULL, mp_pg_row_int64, n, "change counter");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

struct counts {
    int64_t *reports, *clusters;
};

static int counts_row(void *ctx, const PGresult *r, int row)
{
    const struct counts *c = ctx;
    *c->reports = mp_pg_col_int64(r, row, 0);
    *c->clusters = mp_pg_col_int64(r, row, 1);
    return 1;
}

enum mp_status mp_pg_counts(struct mp_store_sess *s, int64_t *reports, int64_t *clusters)
{
    struct counts c = {reports, clusters};
    return mp_pg_first(s, sql_counts, NULL, counts_row, &c, "counts");
}

static int sync_row(void *ctx, const PGresult *r, int row)
{
    const char *v = mp_pg_col_text(r, row, 0);
    /* In SQLite's numbers: off loses the last commits when PostgreSQL
     * itself crashes (NORMAL, 1); every other value waits for the WAL
     * flush (FULL, 2). */
    *(int *)ctx = v && strcmp(v, "off") == 0 ? 1 : 2;
    return 1;
}

enum mp_status mp_pg_sync_mode(struct mp_store_sess *s, int *mode)
{
    *mode = -1;
    enum mp_status rc = mp_pg_first(s, sql_sync, NULL, sync_row, mode, "synchronous_commit");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

/* pgreads: /metrics' figures. */
struct status_rows {
    mp_store_status_count_cb cb;
    void *ctx;
};

static int status_row(void *ctx, const PGresult *r, int row)
{
    const struct status_rows *sr = ctx;
    const char *status = mp_pg_col_text(r, row, 0);
    sr->cb(sr->ctx, status ? status : "", mp_pg_col_int64(r, row, 1));
    return 0;
}

enum mp_status mp_pg_status_counts(struct mp_store_sess *s, bool clusters,
                                   mp_store_status_count_cb cb, void *ctx)
{
    struct status_rows sr = {cb, ctx};
    return mp_pg_each(s, clusters ? sql_cluster_status : sql_report_status, NULL, status_row, &sr,
                      "status counts");
}

/* The database's size on disk: its tables and indexes (PostgreSQL's WAL is
 * the cluster's, not the database's). */
enum mp_status mp_pg_size_bytes(struct mp_store_sess *s, int64_t *bytes)
{
    *bytes = -1;
    enum mp_status rc = mp_pg_first(s, sql_db_bytes, NULL, mp_pg_row_int64, bytes, "database size");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

/* ---- maintenance ---- */

enum mp_status mp_pg_maint_backup(const char *location, const char *dest_path,
                                  const struct mp_backup_opts *opts, struct mp_backup_stats *stats,
                                  struct mp_error *err)
{
    (void)location;
    (void)dest_path;
    (void)opts;
    if (stats)
        memset(stats, 0, sizeof *stats);
    return mp_fail(err, MP_EUNSUPPORTED, "unsupported",
                   "the database is PostgreSQL: back it up with pg_dump or continuous archiving"
                   " (PITR), not meldpunt backup");
}
