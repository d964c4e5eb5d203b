/* store_pool.c - the SpatiaLite store's connections: the pool of sessions
 * (each a connection with its own SpatiaLite cache and pragmas),
 * transactions and savepoints, and the figures /healthz reads.
 *
 * The SpatiaLite implementation of store.h is split by concern: this file,
 * store_schema.c (schema and migrations), store_checkpoint.c (background
 * WAL checkpoints), store_stmt.c (statement cache and row loop),
 * store_reports.c, store_clusters.c, store_grid.c and store_map.c; the
 * other store_*.c implement the other store_*.h. */
#include "meldpunt/store.h"

#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h itself. */
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_checkpoint.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_schema.h"

static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_sp[] = "SAVEPOINT item";
static const char sql_sp_release[] = "RELEASE item";
static const char sql_sp_undo[] = "ROLLBACK TO item";
static const char sql_change[] = "SELECT n FROM change_counter WHERE id = 1";
static const char sql_counts[] = "SELECT (SELECT count(*) FROM reports),"
                                 " (SELECT count(*) FROM clusters)";

_Static_assert(MP_STORE_SCHEMA_CORE_VERSION == MP_STORE_SCHEMA_VERSION,
               "store_schema.c writes the version store.h announces");

struct mp_sqlite_store {
    struct mp_store head; /* and the pool of sessions */
    struct mp_sqlite_sess *sessions; /* owned array */
    unsigned nsessions;
    struct mp_store_opts opts;
    struct mp_store_checkpoint *checkpoint; /* owned; NULL without opts.bg_checkpoint */
};

static void sess_close(struct mp_sqlite_sess *s)
{
    free(s->map_scratch[0]);
    free(s->map_scratch[1]);
    mp_stmt_cache_clear(&s->head);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->spatialite_cache)
        spatialite_cleanup_ex(s->spatialite_cache);
    memset(s, 0, sizeof *s);
}

static enum mp_status sess_open(struct mp_sqlite_sess *s, const char *path,
                                const struct mp_store_opts *o, struct mp_error *err)
{
    s->head.eng = &mp_sqlite_engine;
    int flags = SQLITE_OPEN_NOMUTEX |
                (o->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK)
        return mp_fail(err, mp_db_status(s->db, rc, "open"), "store",
                       "cannot open database %.100s", path);
    s->spatialite_cache = spatialite_alloc_connection();
    if (!s->spatialite_cache)
        return MP_ENOMEM;
    spatialite_init_ex(s->db, s->spatialite_cache, 0);
    sqlite3_busy_timeout(s->db, (int)o->busy_ms);
    char pragmas[256];
    /* Memory: 8 MB of page cache per connection, and no memory map (mapped
     * pages count in the resident size once per connection); the OS page
     * cache serves the rest. */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = ON;"
             " PRAGMA cache_size = -8000; PRAGMA mmap_size = 0; PRAGMA temp_store = MEMORY;",
             o->sync_full ? "FULL" : "NORMAL");
    if (o->readonly)
        snprintf(pragmas, sizeof pragmas, "PRAGMA query_only = 1; PRAGMA cache_size = -8000;");
    if (mp_exec(&s->head, pragmas) != MP_OK)
        return mp_fail(err, MP_EDB, "store", "cannot configure database %.100s", path);
    /* With the background checkpointer, a committing writer checkpoints
     * only when the WAL passes MP_STORE_CHECKPOINT_FALLBACK_PAGES (the
     * checkpointer could not keep up, or long readers held it back): a
     * bound on the WAL, not the usual path. journal_size_limit truncates the file when SQLite
     * restarts the log after a complete checkpoint. */
    if (!o->readonly && o->bg_checkpoint &&
        mp_exec(&s->head, "PRAGMA wal_autocheckpoint = " MP_STORE_CHECKPOINT_FALLBACK_PAGES
                "; PRAGMA journal_size_limit = 67108864;") != MP_OK)
        return mp_fail(err, MP_EDB, "store", "cannot configure database %.100s", path);
    return MP_OK;
}

enum mp_status mp_sqlite_open(const char *path, const struct mp_store_opts *opts,
                              struct mp_store **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_sqlite_store *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return MP_ENOMEM;
    mp_store_pool_init(&st->head, &mp_sqlite_engine);
    st->opts = *opts;
    if (st->opts.pool_size == 0)
        st->opts.pool_size = 1;
    st->sessions = calloc(st->opts.pool_size, sizeof *st->sessions);
    if (!st->sessions) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < st->opts.pool_size; i++) {
        st->nsessions = i + 1;
        if ((rc = sess_open(&st->sessions[i], path, &st->opts, err)))
            goto out;
        if (i == 0 && !st->opts.readonly &&
            (rc = mp_store_schema_migrate(&st->sessions[0].head, st->opts.schema_version,
                                          st->opts.municipality, err)))
            goto out;
        if (i == 0 && st->opts.readonly &&
            mp_sqlite_schema_version(&st->sessions[0].head) != MP_STORE_SCHEMA_VERSION) {
            rc = mp_fail(err, MP_EDB, "store", "read-only database has schema version %d, need %d",
                         mp_sqlite_schema_version(&st->sessions[0].head), MP_STORE_SCHEMA_VERSION);
            goto out;
        }
        mp_store_pool_put(&st->head, &st->sessions[i].head);
    }
    if (!st->opts.readonly && st->opts.bg_checkpoint &&
        (rc = mp_store_checkpoint_start(path, &st->checkpoint, err)))
        goto out;
    *out = &st->head;
    st = NULL;
out:
    if (st)
        mp_sqlite_close(&st->head);
    return rc;
}

void mp_sqlite_close(struct mp_store *store)
{
    struct mp_sqlite_store *st = (struct mp_sqlite_store *)store;
    mp_store_checkpoint_stop(st->checkpoint);
    for (unsigned i = 0; i < st->nsessions; i++)
        sess_close(&st->sessions[i]);
    free(st->sessions);
    mp_store_pool_destroy(&st->head);
    free(st);
}

void mp_sqlite_released(struct mp_store_sess *sess)
{
    struct mp_sqlite_sess *s = mp_sq(sess);
    if (s->in_tx) /* a handler left a transaction open: never leak it to the next user */
        mp_sqlite_rollback(sess);
    /* A statement stepped but not reset keeps its read snapshot open, and
     * an idle pooled session would then hold back WAL checkpoints for as
     * long as it sits in the pool: reset whatever a caller left running. */
    for (sqlite3_stmt *p = sqlite3_next_stmt(s->db, NULL); p; p = sqlite3_next_stmt(s->db, p))
        if (sqlite3_stmt_busy(p))
            sqlite3_reset(p);
}

int mp_sqlite_schema_version(struct mp_store_sess *s) { return mp_store_schema_user_version(s); }

/* ---- transactions ---- */

enum mp_status mp_sqlite_begin_write(struct mp_store_sess *s, struct mp_error *err)
{
    sqlite3_stmt *st = mp_stmt(s, sql_begin_write);
    enum mp_status rc = mp_stmt_run(s, st, "begin");
    if (rc)
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database cannot take writes right now; try again later");
    mp_sq(s)->in_tx = true;
    return MP_OK;
}

enum mp_status mp_sqlite_begin_read(struct mp_store_sess *s)
{
    sqlite3_stmt *st = mp_stmt(s, sql_begin_read);
    enum mp_status rc = mp_stmt_run(s, st, "begin");
    if (rc == MP_OK)
        mp_sq(s)->in_tx = true;
    return rc;
}

enum mp_status mp_sqlite_commit(struct mp_store_sess *s, struct mp_error *err)
{
    sqlite3_stmt *st = mp_stmt(s, sql_commit);
    enum mp_status rc = mp_stmt_run(s, st, "commit");
    if (rc) {
        mp_sqlite_rollback(s);
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database could not save the change; try again later");
    }
    mp_sq(s)->in_tx = false;
    return MP_OK;
}

void mp_sqlite_rollback(struct mp_store_sess *s)
{
    if (!sqlite3_get_autocommit(mp_sq(s)->db)) {
        enum mp_status rc = mp_stmt_run(s, mp_stmt(s, sql_rollback), "rollback");
        (void)rc; /* logged; the transaction is over either way */
    }
    mp_sq(s)->in_tx = false;
}

enum mp_status mp_sqlite_savepoint(struct mp_store_sess *s)
{
    return mp_stmt_run(s, mp_stmt(s, sql_sp), "savepoint");
}

enum mp_status mp_sqlite_savepoint_release(struct mp_store_sess *s)
{
    return mp_stmt_run(s, mp_stmt(s, sql_sp_release), "release");
}

void mp_sqlite_savepoint_undo(struct mp_store_sess *s)
{
    /* ROLLBACK TO keeps the savepoint open; release it so the next item
     * starts clean. */
    if (mp_stmt_run(s, mp_stmt(s, sql_sp_undo), "undo") == MP_OK &&
        mp_stmt_run(s, mp_stmt(s, sql_sp_release), "release") != MP_OK)
        fprintf(stderr, "meldpunt: store: cannot release an undone savepoint\n");
}

int64_t mp_sqlite_changes(struct mp_store_sess *s)
{
    return sqlite3_total_changes64(mp_sq(s)->db);
}

enum mp_status mp_sqlite_defer_foreign_keys(struct mp_store_sess *s)
{
    return mp_exec(s, "PRAGMA defer_foreign_keys = ON");
}

/* ---- figures ---- */

enum mp_status mp_sqlite_change_counter(struct mp_store_sess *s, int64_t *n)
{
    *n = -1;
    enum mp_status rc =
        mp_stmt_first(s, mp_stmt(s, sql_change), mp_row_int64, n, "change counter");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

int64_t mp_sqlite_memory_used(struct mp_store_sess *s)
{
    (void)s;
    return (int64_t)sqlite3_memory_used();
}

struct counts {
    int64_t *reports, *clusters;
};

static int counts_row(void *ctx, sqlite3_stmt *st)
{
    const struct counts *c = ctx;
    *c->reports = sqlite3_column_int64(st, 0);
    *c->clusters = sqlite3_column_int64(st, 1);
    return 1;
}

enum mp_status mp_sqlite_counts(struct mp_store_sess *s, int64_t *reports, int64_t *clusters)
{
    struct counts c = {reports, clusters};
    return mp_stmt_first(s, mp_stmt(s, sql_counts), counts_row, &c, "counts");
}
