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

/* Grid cell of a metric point for the candidate look-up; must match the
 * expression of migration 3 -> 4. Offsets keep both parts positive. */
#define CELL_M 128.0
#define CELL_OFF 1048576
#define CELL_MUL 2097152

static int64_t cell_of(double x, double y)
{
    int64_t cx = (int64_t)(x / CELL_M + CELL_OFF), cy = (int64_t)(y / CELL_M + CELL_OFF);
    return cx * CELL_MUL + cy;
}

/* The columns of the listing statements (filters in store_sql.h). */
#define REPORT_COLS                                                                              \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.report_count, r.category, "             \
    "r.description, r.address, r.channel, r.status, r.district, r.external_id, "               \
    "r.contact_name, r.contact_email, r.contact_phone, r.join_reason, r.lon, r.lat, "          \
    "EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.street, r.location"
#define CLUSTER_COLS                                                                             \
    "c.id, c.report_count, c.first_at, c.last_at, c.created_at, c.updated_at, c.category, "    \
    "c.status, c.district, c.lon, c.lat, c.location"
#define STATE_COLS                                                                               \
    "c.id, c.category, c.status, c.report_count, c.x, c.y, c.sum_x, c.sum_y, c.lon, c.lat, "   \
    "c.first_at, c.last_at, c.fixed_at, c.district, c.street, c.location"

static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
/* One column of cells: a contiguous key range of the (category, cell)
 * index. (An OR of ranges made SQLite scan the whole category.) */
static const char sql_candidates[] =
    "SELECT " STATE_COLS " FROM clusters c WHERE c.category = ?1 AND"
    " c.cell BETWEEN ?2 AND ?3 AND c.x BETWEEN ?4 AND ?5 AND c.y BETWEEN ?6 AND ?7"
    " AND c.last_at >= ?8 AND c.first_at <= ?9";
static const char sql_cluster_state[] = "SELECT " STATE_COLS " FROM clusters c WHERE c.id = ?1";
/* ?18 NULL: the next id */
static const char sql_cluster_insert[] =
    "INSERT INTO clusters (category, status, report_count, x, y, sum_x, sum_y, lon, lat,"
    " first_at, last_at, fixed_at, district, created_at, updated_at, street, location, cell,"
    " geom, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14,"
    " ?15, ?16, ?17, MakePoint(?8, ?9, 4326), ?18)";
static const char sql_cluster_ll_insert[] = "INSERT INTO clusters_rtree (id, minx, maxx, miny,"
                                            " maxy) VALUES (?1, ?2, ?2, ?3, ?3)";
static const char sql_cluster_ll_update[] = "UPDATE clusters_rtree SET minx = ?2, maxx = ?2,"
                                            " miny = ?3, maxy = ?3 WHERE id = ?1";
static const char sql_report_ll_insert[] = "INSERT INTO reports_rtree (id, minx, maxx, miny,"
                                           " maxy) VALUES (?1, ?2, ?2, ?3, ?3)";
static const char sql_cluster_update[] =
    "UPDATE clusters SET status = ?2, report_count = ?3, x = ?4, y = ?5, sum_x = ?6,"
    " sum_y = ?7, lon = ?8, lat = ?9, first_at = ?10, last_at = ?11, fixed_at = ?12,"
    " district = ?13, updated_at = ?14, street = ?15, location = ?16, cell = ?17,"
    " geom = MakePoint(?8, ?9, 4326) WHERE id = ?1";
static const char sql_cluster_status[] = "UPDATE clusters SET status = ?2, fixed_at = ?3,"
                                         " updated_at = ?4 WHERE id = ?1";
static const char sql_reports_status[] = "UPDATE reports SET status = ?2, updated_at = ?4"
                                         " WHERE cluster_id = ?1";
static const char sql_report_insert[] =
    "INSERT INTO reports (cluster_id, category, description, address, channel, status,"
    " district, lon, lat, x, y, created_at, updated_at, external_id, contact_name,"
    " contact_email, contact_phone, join_reason, street, location, geom) VALUES (?1, ?2, ?3,"
    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
    " MakePoint(?8, ?9, 4326))";
static const char sql_report_ext[] = "SELECT 1 FROM reports WHERE external_id = ?1";
static const char sql_history_insert[] =
    "INSERT INTO history (cluster_id, report_id, at, status, note, note_public, actor)"
    " VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7)";
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
static const char sql_clusters_bbox[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE " MP_SQL_BBOX("c", "clusters_rtree")
        MP_SQL_FILTERS("c") MP_SQL_AFTER("c") MP_SQL_CLUSTER_TIME " ORDER BY c.id LIMIT ?11";
static const char sql_clusters_all[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE 1" MP_SQL_FILTERS("c") MP_SQL_AFTER("c")
        MP_SQL_CLUSTER_TIME " ORDER BY c.id LIMIT ?11";
static const char sql_report_get[] = "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON"
                                     " c.id = r.cluster_id WHERE r.id = ?1";
static const char sql_cluster_get[] = "SELECT " CLUSTER_COLS " FROM clusters c WHERE c.id = ?1";
static const char sql_cluster_reports[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE r.cluster_id = ?1 ORDER BY r.created_at, r.id";
static const char sql_history[] =
    "SELECT id, cluster_id, IFNULL(report_id, 0), at, status, note, note_public, actor"
    " FROM history WHERE cluster_id = ?1 ORDER BY at, id";
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

/* ---- clusters ---- */

static void read_state(sqlite3_stmt *st, struct mp_cluster_state *c)
{
    c->id = sqlite3_column_int64(st, 0);
    mp_col_copy(c->category, sizeof c->category, st, 1);
    mp_col_copy(c->status, sizeof c->status, st, 2);
    c->report_count = sqlite3_column_int64(st, 3);
    c->x = sqlite3_column_double(st, 4);
    c->y = sqlite3_column_double(st, 5);
    c->sum_x = sqlite3_column_double(st, 6);
    c->sum_y = sqlite3_column_double(st, 7);
    c->lon = sqlite3_column_double(st, 8);
    c->lat = sqlite3_column_double(st, 9);
    c->first_at = sqlite3_column_int64(st, 10);
    c->last_at = sqlite3_column_int64(st, 11);
    c->fixed_at = sqlite3_column_int64(st, 12);
    mp_col_copy(c->district, sizeof c->district, st, 13);
    mp_col_copy(c->street, sizeof c->street, st, 14);
    mp_col_copy(c->location, sizeof c->location, st, 15);
}

struct candidates {
    struct mp_cluster_state *out;
    size_t cap, n;
};

static int candidate_row(void *ctx, sqlite3_stmt *st)
{
    struct candidates *c = ctx;
    if (c->n < c->cap)
        read_state(st, &c->out[c->n++]);
    return 0;
}

enum mp_status mp_store_cluster_candidates(struct mp_store_sess *s, const char *category,
                                           double x, double y, double r, int64_t t,
                                           int64_t window, struct mp_cluster_state *out,
                                           size_t cap, size_t *n)
{
    int64_t since = window >= 0 && t > INT64_MIN + window ? t - window : INT64_MIN;
    int64_t until = window >= 0 && t < INT64_MAX - window ? t + window : INT64_MAX;
    sqlite3_stmt *st = mp_stmt(s, sql_candidates);
    struct candidates c = {out, cap, 0};
    enum mp_status rc = MP_OK;
    *n = 0;
    if (!st)
        return MP_EDB;
    int64_t lo = cell_of(x - r, y - r), hi = cell_of(x + r, y + r);
    int64_t cx0 = lo / CELL_MUL, cx1 = hi / CELL_MUL, cy0 = lo % CELL_MUL, cy1 = hi % CELL_MUL;
    for (int64_t cx = cx0; cx <= cx1 && rc == MP_OK; cx++) {
        mp_bind_text(st, 1, category);
        sqlite3_bind_int64(st, 2, cx * CELL_MUL + cy0);
        sqlite3_bind_int64(st, 3, cx * CELL_MUL + cy1);
        sqlite3_bind_double(st, 4, x - r);
        sqlite3_bind_double(st, 5, x + r);
        sqlite3_bind_double(st, 6, y - r);
        sqlite3_bind_double(st, 7, y + r);
        sqlite3_bind_int64(st, 8, since);
        sqlite3_bind_int64(st, 9, until);
        rc = mp_stmt_each(s, st, candidate_row, &c, "candidates");
        *n = c.n;
    }
    return rc;
}

static int state_row(void *ctx, sqlite3_stmt *st)
{
    read_state(st, ctx);
    return 1;
}

enum mp_status mp_store_cluster_state(struct mp_store_sess *s, int64_t id,
                                      struct mp_cluster_state *out)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_state);
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return mp_stmt_first(s, st, state_row, out, "cluster");
}

static void bind_state(sqlite3_stmt *st, const struct mp_cluster_state *c, int64_t now)
{
    sqlite3_bind_int64(st, 3, c->report_count);
    sqlite3_bind_double(st, 4, c->x);
    sqlite3_bind_double(st, 5, c->y);
    sqlite3_bind_double(st, 6, c->sum_x);
    sqlite3_bind_double(st, 7, c->sum_y);
    sqlite3_bind_double(st, 8, c->lon);
    sqlite3_bind_double(st, 9, c->lat);
    sqlite3_bind_int64(st, 10, c->first_at);
    sqlite3_bind_int64(st, 11, c->last_at);
    sqlite3_bind_int64(st, 12, c->fixed_at);
    mp_bind_text(st, 13, c->district[0] ? c->district : NULL);
    sqlite3_bind_int64(st, 14, now);
    mp_bind_text(st, 15, c->street[0] ? c->street : NULL);
    mp_bind_text(st, 16, c->location[0] ? c->location : NULL);
    sqlite3_bind_int64(st, 17, cell_of(c->x, c->y));
}

static enum mp_status rtree_set(struct mp_store_sess *s, const char *sql, int64_t cid, double x,
                                double y)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, cid);
    sqlite3_bind_double(st, 2, x);
    sqlite3_bind_double(st, 3, y);
    return mp_stmt_run(s, st, "cluster index");
}

/* A new cluster row and its R*Tree entry; id 0 takes the next id. */
static enum mp_status cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                     int64_t want_id, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_insert);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, c->category);
    mp_bind_text(st, 2, c->status);
    bind_state(st, c, mp_time_now());
    if (want_id)
        sqlite3_bind_int64(st, 18, want_id);
    else
        sqlite3_bind_null(st, 18);
    enum mp_status rc = mp_stmt_run(s, st, "cluster insert");
    if (rc)
        return rc;
    *id = want_id ? want_id : sqlite3_last_insert_rowid(s->db);
    return rtree_set(s, sql_cluster_ll_insert, *id, c->lon, c->lat);
}

enum mp_status mp_store_cluster_create(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                       int64_t *id)
{
    return cluster_insert(s, c, 0, id);
}

enum mp_status mp_store_cluster_update(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_update);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, c->id);
    mp_bind_text(st, 2, c->status);
    bind_state(st, c, mp_time_now());
    enum mp_status rc = mp_stmt_run(s, st, "cluster update");
    if (rc)
        return rc;
    return rtree_set(s, sql_cluster_ll_update, c->id, c->lon, c->lat);
}

enum mp_status mp_store_cluster_set_status(struct mp_store_sess *s, int64_t id,
                                           const char *status, int64_t fixed_at, int64_t now)
{
    const char *const sqls[2] = {sql_cluster_status, sql_reports_status};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = mp_stmt(s, sqls[i]);
        if (!st)
            return MP_EDB;
        sqlite3_bind_int64(st, 1, id);
        mp_bind_text(st, 2, status);
        sqlite3_bind_int64(st, 3, fixed_at);
        sqlite3_bind_int64(st, 4, now);
        enum mp_status rc = mp_stmt_run(s, st, "status");
        if (rc)
            return rc;
    }
    return MP_OK;
}

/* ---- corrections and re-clustering ---- */

static const char sql_members[] =
    "SELECT count(*), IFNULL(min(created_at), 0), IFNULL(max(created_at), 0),"
    " IFNULL(sum(x), 0), IFNULL(sum(y), 0),"
    " IFNULL((SELECT id FROM reports WHERE cluster_id = ?1 ORDER BY created_at, id LIMIT 1), 0)"
    " FROM reports WHERE cluster_id = ?1";
static const char sql_move_all[] =
    "UPDATE reports SET cluster_id = ?2, status = ?3, updated_at = ?4 WHERE cluster_id = ?1";
static const char sql_set_cluster[] = "UPDATE reports SET cluster_id = ?2, status = ?3,"
                                      " join_reason = ?4, updated_at = ?5 WHERE id = ?1";
static const char sql_history_move[] = "UPDATE history SET cluster_id = ?2 WHERE cluster_id = ?1";
static const char sql_history_del[] = "DELETE FROM history WHERE cluster_id = ?1";
static const char sql_cluster_del[] = "DELETE FROM clusters WHERE id = ?1";
static const char sql_ll_del[] = "DELETE FROM clusters_rtree WHERE id = ?1";
static const char sql_correction[] = "INSERT INTO corrections (kind, report_id, from_cluster,"
                                     " to_cluster, actor, at) VALUES (?1, NULLIF(?2, 0),"
                                     " NULLIF(?3, 0), NULLIF(?4, 0), ?5, ?6)";
static const char sql_constraint[] =
    "INSERT OR REPLACE INTO link_constraints (a, b, must, at) VALUES (?1, ?2, ?3, ?4)";
static const char sql_replay_all[] =
    "SELECT id, cluster_id, created_at, category, address, lon, lat, x, y FROM reports"
    " ORDER BY created_at, id";
static const char sql_replay_cat[] =
    "SELECT id, cluster_id, created_at, category, address, lon, lat, x, y FROM reports"
    " WHERE category = ?1 ORDER BY created_at, id";
static const char sql_constraints[] = "SELECT a, b, must FROM link_constraints";
static const char sql_states_range[] =
    "SELECT " STATE_COLS " FROM clusters c WHERE c.id BETWEEN ?1 AND ?2 ORDER BY c.id";
static const char sql_cluster_ids[] = "SELECT id, category FROM clusters";
static const char sql_cluster_max[] = "SELECT IFNULL(max(id), 0) FROM clusters";

static int members_row(void *ctx, sqlite3_stmt *st)
{
    struct mp_member_stats *o = ctx;
    o->count = sqlite3_column_int64(st, 0);
    o->first_at = sqlite3_column_int64(st, 1);
    o->last_at = sqlite3_column_int64(st, 2);
    o->sum_x = sqlite3_column_double(st, 3);
    o->sum_y = sqlite3_column_double(st, 4);
    o->first_report = sqlite3_column_int64(st, 5);
    return 1;
}

enum mp_status mp_store_cluster_members(struct mp_store_sess *s, int64_t id,
                                        struct mp_member_stats *o)
{
    sqlite3_stmt *st = mp_stmt(s, sql_members);
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return mp_stmt_first(s, st, members_row, o, "members");
}

enum mp_status mp_store_reports_move_all(struct mp_store_sess *s, int64_t from, int64_t to,
                                         const char *status)
{
    sqlite3_stmt *st = mp_stmt(s, sql_move_all);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    mp_bind_text(st, 3, status);
    sqlite3_bind_int64(st, 4, mp_time_now());
    return mp_stmt_run(s, st, "move reports");
}

enum mp_status mp_store_report_set_cluster(struct mp_store_sess *s, int64_t report_id,
                                           int64_t cluster_id, const char *status,
                                           const char *why)
{
    sqlite3_stmt *st = mp_stmt(s, sql_set_cluster);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, report_id);
    sqlite3_bind_int64(st, 2, cluster_id);
    mp_bind_text(st, 3, status);
    mp_bind_text(st, 4, why);
    sqlite3_bind_int64(st, 5, mp_time_now());
    enum mp_status rc = mp_stmt_run(s, st, "report cluster");
    if (rc == MP_OK && sqlite3_changes(s->db) == 0)
        return MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_store_cluster_delete(struct mp_store_sess *s, int64_t id, int64_t heir)
{
    enum mp_status rc = mp_stmt_run_ids(s, heir ? sql_history_move : sql_history_del, id, heir,
                                        "cluster delete");
    if (rc == MP_OK)
        rc = mp_stmt_run_ids(s, sql_ll_del, id, 0, "cluster delete");
    if (rc == MP_OK)
        rc = mp_stmt_run_ids(s, sql_cluster_del, id, 0, "cluster delete");
    return rc;
}

enum mp_status mp_store_correction_add(struct mp_store_sess *s, const struct mp_correction_rec *c)
{
    sqlite3_stmt *st = mp_stmt(s, sql_correction);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, c->kind);
    sqlite3_bind_int64(st, 2, c->report_id);
    sqlite3_bind_int64(st, 3, c->from_cluster);
    sqlite3_bind_int64(st, 4, c->to_cluster);
    mp_bind_text(st, 5, c->actor);
    sqlite3_bind_int64(st, 6, c->at ? c->at : mp_time_now());
    return mp_stmt_run(s, st, "correction");
}

enum mp_status mp_store_constraint_add(struct mp_store_sess *s, int64_t a, int64_t b, bool must,
                                       int64_t at)
{
    if (a == b || a <= 0 || b <= 0)
        return MP_OK;
    sqlite3_stmt *st = mp_stmt(s, sql_constraint);
    if (!st)
        return MP_EDB;
    /* One row per unordered pair: the later word wins. */
    sqlite3_bind_int64(st, 1, a < b ? a : b);
    sqlite3_bind_int64(st, 2, a < b ? b : a);
    sqlite3_bind_int(st, 3, must);
    sqlite3_bind_int64(st, 4, at ? at : mp_time_now());
    return mp_stmt_run(s, st, "constraint");
}

struct replay {
    mp_replay_cb cb;
    void *ctx;
};

static int replay_row(void *ctx, sqlite3_stmt *st)
{
    const struct replay *c = ctx;
    struct mp_replay_row r = {
        .id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .created_at = sqlite3_column_int64(st, 2),
        .category = mp_col_text(st, 3),
        .address = mp_col_text(st, 4),
        .lon = sqlite3_column_double(st, 5),
        .lat = sqlite3_column_double(st, 6),
        .x = sqlite3_column_double(st, 7),
        .y = sqlite3_column_double(st, 8),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_store_replay_reports(struct mp_store_sess *s, const char *category,
                                       mp_replay_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, category ? sql_replay_cat : sql_replay_all);
    struct replay c = {cb, ctx};
    if (st && category)
        mp_bind_text(st, 1, category);
    return mp_stmt_each(s, st, replay_row, &c, "replay");
}

struct constraints {
    mp_constraint_cb cb;
    void *ctx;
};

static int constraint_row(void *ctx, sqlite3_stmt *st)
{
    const struct constraints *c = ctx;
    return c->cb(c->ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                 sqlite3_column_int(st, 2) != 0);
}

enum mp_status mp_store_constraints(struct mp_store_sess *s, mp_constraint_cb cb, void *ctx)
{
    struct constraints c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_constraints), constraint_row, &c, "constraints");
}

struct states {
    mp_state_cb cb;
    void *ctx;
};

static int states_row(void *ctx, sqlite3_stmt *st)
{
    const struct states *c = ctx;
    struct mp_cluster_state cs;
    read_state(st, &cs);
    return c->cb(c->ctx, &cs);
}

enum mp_status mp_store_cluster_states_range(struct mp_store_sess *s, int64_t lo, int64_t hi,
                                             mp_state_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_states_range);
    struct states c = {cb, ctx};
    if (st) {
        sqlite3_bind_int64(st, 1, lo);
        sqlite3_bind_int64(st, 2, hi);
    }
    return mp_stmt_each(s, st, states_row, &c, "states");
}

struct cluster_ids {
    mp_cluster_id_cb cb;
    void *ctx;
};

static int cluster_id_row(void *ctx, sqlite3_stmt *st)
{
    const struct cluster_ids *c = ctx;
    return c->cb(c->ctx, sqlite3_column_int64(st, 0), mp_col_text(st, 1));
}

enum mp_status mp_store_cluster_ids(struct mp_store_sess *s, mp_cluster_id_cb cb, void *ctx)
{
    struct cluster_ids c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_cluster_ids), cluster_id_row, &c, "cluster ids");
}

enum mp_status mp_store_cluster_max_id(struct mp_store_sess *s, int64_t *max)
{
    *max = 0;
    return mp_stmt_first(s, mp_stmt(s, sql_cluster_max), mp_row_int64, max, "cluster ids");
}

enum mp_status mp_store_cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    int64_t id;
    return cluster_insert(s, c, c->id, &id);
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
    return rtree_set(s, sql_report_ll_insert, *id, r->lon, r->lat);
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

enum mp_status mp_store_history_add(struct mp_store_sess *s, const struct mp_history_rec *h)
{
    sqlite3_stmt *st = mp_stmt(s, sql_history_insert);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, h->cluster_id);
    sqlite3_bind_int64(st, 2, h->report_id);
    sqlite3_bind_int64(st, 3, h->at);
    mp_bind_text(st, 4, h->status);
    mp_bind_text(st, 5, h->note);
    sqlite3_bind_int(st, 6, h->note_public);
    mp_bind_text(st, 7, h->actor);
    return mp_stmt_run(s, st, "history insert");
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

static void read_cluster(sqlite3_stmt *st, struct mp_cluster_row *c)
{
    c->id = sqlite3_column_int64(st, 0);
    c->report_count = sqlite3_column_int64(st, 1);
    c->first_at = sqlite3_column_int64(st, 2);
    c->last_at = sqlite3_column_int64(st, 3);
    c->created_at = sqlite3_column_int64(st, 4);
    c->updated_at = sqlite3_column_int64(st, 5);
    c->category = mp_col_text(st, 6);
    c->status = mp_col_text(st, 7);
    c->district = mp_col_text(st, 8);
    c->lon = sqlite3_column_double(st, 9);
    c->lat = sqlite3_column_double(st, 10);
    c->location = mp_col_text(st, 11);
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

struct clusters {
    mp_cluster_cb cb;
    void *ctx;
};

static int cluster_row(void *ctx, sqlite3_stmt *st)
{
    const struct clusters *c = ctx;
    struct mp_cluster_row row;
    read_cluster(st, &row);
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

enum mp_status mp_store_clusters(struct mp_store_sess *s, const struct mp_query *q,
                                 mp_cluster_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, q->has_bbox ? sql_clusters_bbox : sql_clusters_all);
    struct clusters c = {cb, ctx};
    enum mp_status rc;
    if (st && (rc = mp_bind_query(st, q, true))) {
        mp_stmt_done(st);
        return rc;
    }
    return mp_stmt_each(s, st, cluster_row, &c, "clusters");
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

enum mp_status mp_store_cluster_get(struct mp_store_sess *s, int64_t id, mp_cluster_cb cb,
                                    void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_get);
    struct clusters c = {cb, ctx};
    if (st)
        sqlite3_bind_int64(st, 1, id);
    return mp_stmt_first(s, st, cluster_row, &c, "cluster");
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

struct history {
    mp_history_cb cb;
    void *ctx;
};

static int history_row(void *ctx, sqlite3_stmt *st)
{
    const struct history *c = ctx;
    struct mp_history_row h = {
        .id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .report_id = sqlite3_column_int64(st, 2),
        .at = sqlite3_column_int64(st, 3),
        .status = mp_col_text(st, 4),
        .note = mp_col_text(st, 5),
        .note_public = sqlite3_column_int(st, 6) != 0,
        .actor = mp_col_text(st, 7),
    };
    return c->cb(c->ctx, &h);
}

enum mp_status mp_store_history(struct mp_store_sess *s, int64_t cluster_id, mp_history_cb cb,
                                void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_history);
    struct history c = {cb, ctx};
    if (st)
        sqlite3_bind_int64(st, 1, cluster_id);
    return mp_stmt_each(s, st, history_row, &c, "history");
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
