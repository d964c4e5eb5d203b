/* store.c - the SpatiaLite implementation of store.h: connection pool,
 * schema creation and upgrades, prepared statements. */
#include "meldpunt/store.h"

#include <pthread.h>
#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h itself. */
#include <spatialite.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "meldpunt/timeutil.h"
#include "store_checkpoint.h"
#include "store_internal.h"
#include "store_map.h"
#include "store_schema.h"
#include "store_sql.h"

/* The columns of the listing statements (filters in store_sql.h). */
#define REPORT_COLS                                                                              \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.report_count, r.category, "             \
    "r.description, r.address, r.channel, r.status, r.district, r.external_id, "               \
    "r.contact_name, r.contact_email, r.contact_phone, r.join_reason, r.lon, r.lat, "          \
    "EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.street, r.location"
static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_report_ll_insert[] = "INSERT INTO reports_rtree (id, minx, maxx, miny,"
                                           " maxy) VALUES (?1, ?2, ?2, ?3, ?3)";
static const char sql_report_insert[] =
    "INSERT INTO reports (cluster_id, category, description, address, channel, status,"
    " district, lon, lat, x, y, created_at, updated_at, external_id, contact_name,"
    " contact_email, contact_phone, join_reason, street, location, geom) VALUES (?1, ?2, ?3,"
    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
    " MakePoint(?8, ?9, 4326))";
static const char sql_report_ext[] = "SELECT 1 FROM reports WHERE external_id = ?1";
static const char sql_photo_put[] =
    "INSERT INTO photos (report_id, mime, width, height, full, thumb, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_photo_full[] = "SELECT full FROM photos WHERE report_id = ?1";
static const char sql_photo_thumb[] = "SELECT thumb FROM photos WHERE report_id = ?1";
static const char sql_reports_bbox[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE " MP_SQL_BBOX("r", "reports_rtree") MP_SQL_FILTERS("r") MP_SQL_AFTER("r")
        MP_SQL_REPORT_TIME " ORDER BY r.id LIMIT ?11";
static const char sql_reports_all[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE 1" MP_SQL_FILTERS("r") MP_SQL_AFTER("r") MP_SQL_REPORT_TIME " ORDER BY r.id LIMIT ?11";
static const char sql_report_get[] = "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON"
                                     " c.id = r.cluster_id WHERE r.id = ?1";
static const char sql_cluster_reports[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE r.cluster_id = ?1 ORDER BY r.created_at, r.id";
static const char sql_counts[] = "SELECT (SELECT count(*) FROM reports),"
                                 " (SELECT count(*) FROM clusters)";


struct mp_store {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mp_store_sess *sessions; /* owned array */
    unsigned nsessions;
    struct mp_store_sess *free_list;
    struct mp_store_opts opts;
    struct mp_store_checkpoint *checkpoint; /* owned; NULL without opts.bg_checkpoint */
};

void mp_store_opts_default(struct mp_store_opts *o)
{
    o->pool_size = 4;
    o->busy_ms = 10000;
    o->sync_full = true;
    o->readonly = false;
    o->bg_checkpoint = false;
}

static void sess_close(struct mp_store_sess *s)
{
    free(s->map_scratch[0]);
    free(s->map_scratch[1]);
    mp_stmt_cache_clear(s);
    if (s->db)
        sqlite3_close_v2(s->db);
    if (s->spatialite_cache)
        spatialite_cleanup_ex(s->spatialite_cache);
    memset(s, 0, sizeof *s);
}

static enum mp_status sess_open(struct mp_store_sess *s, const char *path,
                                const struct mp_store_opts *o, struct mp_error *err)
{
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
    if (mp_exec(s, pragmas) != MP_OK)
        return mp_fail(err, MP_EDB, "store", "cannot configure database %.100s", path);
    /* With the background checkpointer, a committing writer checkpoints
     * only when the WAL passes MP_STORE_CHECKPOINT_FALLBACK_PAGES (the checkpointer could
     * not keep up, or long readers held it back): a bound on the WAL, not
     * the usual path. journal_size_limit truncates the file when SQLite
     * restarts the log after a complete checkpoint. */
    if (!o->readonly && o->bg_checkpoint &&
        mp_exec(s, "PRAGMA wal_autocheckpoint = " MP_STORE_CHECKPOINT_FALLBACK_PAGES
                "; PRAGMA journal_size_limit = 67108864;") != MP_OK)
        return mp_fail(err, MP_EDB, "store", "cannot configure database %.100s", path);
    return MP_OK;
}

enum mp_status mp_store_open(const char *path, const struct mp_store_opts *opts,
                             struct mp_store **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_store *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return MP_ENOMEM;
    st->opts = *opts;
    if (st->opts.pool_size == 0)
        st->opts.pool_size = 1;
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->cond, NULL);
    st->sessions = calloc(st->opts.pool_size, sizeof *st->sessions);
    if (!st->sessions) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < st->opts.pool_size; i++) {
        st->nsessions = i + 1;
        if ((rc = sess_open(&st->sessions[i], path, &st->opts, err)))
            goto out;
        if (i == 0 && !st->opts.readonly && (rc = mp_store_schema_migrate(&st->sessions[0], err)))
            goto out;
        if (i == 0 && st->opts.readonly &&
            mp_store_schema_version(&st->sessions[0]) != MP_STORE_SCHEMA_VERSION) {
            rc = mp_fail(err, MP_EDB, "store", "read-only database has schema version %d, need %d",
                         mp_store_schema_version(&st->sessions[0]), MP_STORE_SCHEMA_VERSION);
            goto out;
        }
        st->sessions[i].next_free = st->free_list;
        st->free_list = &st->sessions[i];
    }
    if (!st->opts.readonly && st->opts.bg_checkpoint &&
        (rc = mp_store_checkpoint_start(path, &st->checkpoint, err)))
        goto out;
    *out = st;
    st = NULL;
out:
    mp_store_close(st);
    return rc;
}

void mp_store_close(struct mp_store *st)
{
    if (!st)
        return;
    mp_store_checkpoint_stop(st->checkpoint);
    for (unsigned i = 0; i < st->nsessions; i++)
        sess_close(&st->sessions[i]);
    free(st->sessions);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

struct mp_store_sess *mp_store_acquire(struct mp_store *st)
{
    pthread_mutex_lock(&st->lock);
    while (!st->free_list)
        pthread_cond_wait(&st->cond, &st->lock);
    struct mp_store_sess *s = st->free_list;
    st->free_list = s->next_free;
    pthread_mutex_unlock(&st->lock);
    return s;
}

void mp_store_release(struct mp_store *st, struct mp_store_sess *s)
{
    if (!s)
        return;
    if (s->in_tx) /* a handler left a transaction open: never leak it to the next user */
        mp_store_rollback(s);
    /* A statement stepped but not reset keeps its read snapshot open, and
     * an idle pooled session would then hold back WAL checkpoints for as
     * long as it sits in the pool: reset whatever a caller left running. */
    for (sqlite3_stmt *p = sqlite3_next_stmt(s->db, NULL); p; p = sqlite3_next_stmt(s->db, p))
        if (sqlite3_stmt_busy(p))
            sqlite3_reset(p);
    pthread_mutex_lock(&st->lock);
    s->next_free = st->free_list;
    st->free_list = s;
    pthread_cond_signal(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

/* ---- transactions ---- */


enum mp_status mp_store_begin_write(struct mp_store_sess *s, struct mp_error *err)
{
    sqlite3_stmt *st = mp_stmt(s, sql_begin_write);
    enum mp_status rc = mp_stmt_run(s, st, "begin");
    if (rc)
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database cannot take writes right now; try again later");
    s->in_tx = true;
    return MP_OK;
}

enum mp_status mp_store_begin_read(struct mp_store_sess *s)
{
    sqlite3_stmt *st = mp_stmt(s, sql_begin_read);
    enum mp_status rc = mp_stmt_run(s, st, "begin");
    if (rc == MP_OK)
        s->in_tx = true;
    return rc;
}

enum mp_status mp_store_commit(struct mp_store_sess *s, struct mp_error *err)
{
    sqlite3_stmt *st = mp_stmt(s, sql_commit);
    enum mp_status rc = mp_stmt_run(s, st, "commit");
    if (rc) {
        mp_store_rollback(s);
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the database could not save the change; try again later");
    }
    s->in_tx = false;
    return MP_OK;
}

void mp_store_rollback(struct mp_store_sess *s)
{
    if (!sqlite3_get_autocommit(s->db)) {
        enum mp_status rc = mp_stmt_run(s, mp_stmt(s, sql_rollback), "rollback");
        (void)rc; /* logged; the transaction is over either way */
    }
    s->in_tx = false;
}

static const char sql_sp[] = "SAVEPOINT item";
static const char sql_sp_release[] = "RELEASE item";
static const char sql_sp_undo[] = "ROLLBACK TO item";

enum mp_status mp_store_savepoint(struct mp_store_sess *s)
{
    return mp_stmt_run(s, mp_stmt(s, sql_sp), "savepoint");
}

enum mp_status mp_store_savepoint_release(struct mp_store_sess *s)
{
    return mp_stmt_run(s, mp_stmt(s, sql_sp_release), "release");
}

void mp_store_savepoint_undo(struct mp_store_sess *s)
{
    /* ROLLBACK TO keeps the savepoint open; release it so the next item
     * starts clean. */
    if (mp_stmt_run(s, mp_stmt(s, sql_sp_undo), "undo") == MP_OK &&
        mp_stmt_run(s, mp_stmt(s, sql_sp_release), "release") != MP_OK)
        fprintf(stderr, "meldpunt: store: cannot release an undone savepoint\n");
}

enum mp_status mp_store_defer_foreign_keys(struct mp_store_sess *s)
{
    return mp_exec(s, "PRAGMA defer_foreign_keys = ON");
}

/* ---- reports ---- */

enum mp_status mp_store_report_insert(struct mp_store_sess *s, const struct mp_report_rec *r,
                                      int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_report_insert);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, r->cluster_id);
    mp_bind_text(st, 2, r->category);
    mp_bind_text(st, 3, r->description ? r->description : "");
    mp_bind_text(st, 4, r->address);
    mp_bind_text(st, 5, r->channel);
    mp_bind_text(st, 6, r->status);
    mp_bind_text(st, 7, r->district);
    sqlite3_bind_double(st, 8, r->lon);
    sqlite3_bind_double(st, 9, r->lat);
    sqlite3_bind_double(st, 10, r->x);
    sqlite3_bind_double(st, 11, r->y);
    sqlite3_bind_int64(st, 12, r->created_at);
    sqlite3_bind_int64(st, 13, mp_time_now());
    mp_bind_text(st, 14, r->external_id);
    mp_bind_text(st, 15, r->contact_name);
    mp_bind_text(st, 16, r->contact_email);
    mp_bind_text(st, 17, r->contact_phone);
    mp_bind_text(st, 18, r->join_reason);
    mp_bind_text(st, 19, r->street);
    mp_bind_text(st, 20, r->location);
    enum mp_status rc = mp_stmt_run(s, st, "report insert");
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(s->db);
    return mp_stmt_run_point(s, sql_report_ll_insert, *id, r->lon, r->lat, "report index");
}

enum mp_status mp_store_report_external_exists(struct mp_store_sess *s, const char *ext,
                                               bool *exists)
{
    sqlite3_stmt *st = mp_stmt(s, sql_report_ext);
    if (st)
        mp_bind_text(st, 1, ext);
    enum mp_status rc = mp_stmt_first(s, st, NULL, NULL, "external id");
    *exists = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_store_photo_put(struct mp_store_sess *s, int64_t report_id,
                                  const struct mp_photo_rec *p)
{
    sqlite3_stmt *st = mp_stmt(s, sql_photo_put);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, report_id);
    mp_bind_text(st, 2, p->mime);
    sqlite3_bind_int(st, 3, (int)p->width);
    sqlite3_bind_int(st, 4, (int)p->height);
    sqlite3_bind_blob64(st, 5, p->full, p->full_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 6, p->thumb, p->thumb_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, mp_time_now());
    return mp_stmt_run(s, st, "photo insert");
}

enum mp_status mp_store_photo_get(struct mp_store_sess *s, int64_t report_id, bool thumb,
                                  void **data, size_t *len)
{
    sqlite3_stmt *st = mp_stmt(s, thumb ? sql_photo_thumb : sql_photo_full);
    if (st)
        sqlite3_bind_int64(st, 1, report_id);
    return mp_stmt_blob(s, st, data, len, "photo");
}

/* ---- reading ---- */

static void read_report(sqlite3_stmt *st, struct mp_report_row *r, bool with_private)
{
    r->id = sqlite3_column_int64(st, 0);
    r->cluster_id = sqlite3_column_int64(st, 1);
    r->created_at = sqlite3_column_int64(st, 2);
    r->updated_at = sqlite3_column_int64(st, 3);
    r->cluster_count = sqlite3_column_int64(st, 4);
    r->category = mp_col_text(st, 5);
    r->description = mp_col_text(st, 6);
    r->address = mp_col_text(st, 7);
    r->channel = mp_col_text(st, 8);
    r->status = mp_col_text(st, 9);
    r->district = mp_col_text(st, 10);
    r->external_id = mp_col_text(st, 11);
    r->contact_name = with_private ? mp_col_text(st, 12) : NULL;
    r->contact_email = with_private ? mp_col_text(st, 13) : NULL;
    r->contact_phone = with_private ? mp_col_text(st, 14) : NULL;
    r->join_reason = mp_col_text(st, 15);
    r->lon = sqlite3_column_double(st, 16);
    r->lat = sqlite3_column_double(st, 17);
    r->has_photo = sqlite3_column_int(st, 18) != 0;
    r->street = mp_col_text(st, 19);
    r->location = mp_col_text(st, 20);
}

struct reports {
    mp_report_cb cb;
    void *ctx;
    bool with_private;
};

static int report_row(void *ctx, sqlite3_stmt *st)
{
    const struct reports *c = ctx;
    struct mp_report_row row;
    read_report(st, &row, c->with_private);
    return c->cb(c->ctx, &row);
}

enum mp_status mp_store_reports(struct mp_store_sess *s, const struct mp_query *q, mp_report_cb cb,
                                void *ctx)
{
    bool handled;
    enum mp_status rc = mp_store_map_reports(s, q, cb, ctx, &handled);
    if (rc || handled)
        return rc;
    sqlite3_stmt *st = mp_stmt(s, q->has_bbox ? sql_reports_bbox : sql_reports_all);
    struct reports c = {cb, ctx, q->with_private};
    if (st && (rc = mp_bind_query(st, q, true))) {
        mp_stmt_done(st);
        return rc;
    }
    return mp_stmt_each(s, st, report_row, &c, "reports");
}

enum mp_status mp_store_report_get(struct mp_store_sess *s, int64_t id, bool with_private,
                                   mp_report_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_report_get);
    struct reports c = {cb, ctx, with_private};
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return mp_stmt_first(s, st, report_row, &c, "report");
}

enum mp_status mp_store_cluster_reports(struct mp_store_sess *s, int64_t cluster_id,
                                        mp_report_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_reports);
    struct reports c = {cb, ctx, false};
    if (st)
        sqlite3_bind_int64(st, 1, cluster_id);
    return mp_stmt_each(s, st, report_row, &c, "reports");
}

static const char sql_change[] = "SELECT n FROM change_counter WHERE id = 1";

enum mp_status mp_store_change_counter(struct mp_store_sess *s, int64_t *n)
{
    *n = -1;
    enum mp_status rc = mp_stmt_first(s, mp_stmt(s, sql_change), mp_row_int64, n, "change counter");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

int64_t mp_store_memory_used(void) { return (int64_t)sqlite3_memory_used(); }

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

enum mp_status mp_store_counts(struct mp_store_sess *s, int64_t *reports, int64_t *clusters)
{
    struct counts c = {reports, clusters};
    return mp_stmt_first(s, mp_stmt(s, sql_counts), counts_row, &c, "counts");
}
