/* store_clusters.c - SQL of clusters: the candidate look-up and state of
 * the duplicate folding, their rows (indexed by strip for boxes), status and history,
 * corrections (merges, moves, constraints), re-clustering's reads and
 * writes, and the cluster listings. */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"
#include "store_sqlite.h"
#include "store_sqlite_derived.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_sql.h"

/* Grid cell of a metric point for the candidate look-up; must match the
 * expression of migration 3 -> 4 (store_schema.c). Offsets keep both parts
 * positive. */
#define CELL_M 128.0
#define CELL_OFF 1048576
#define CELL_MUL 2097152

static int64_t cell_of(double x, double y)
{
    int64_t cx = (int64_t)(x / CELL_M + CELL_OFF), cy = (int64_t)(y / CELL_M + CELL_OFF);
    return cx * CELL_MUL + cy;
}

#define CLUSTER_COLS                                                                             \
    "c.id, c.report_count, c.first_at, c.last_at, c.created_at, c.updated_at, c.category, "    \
    "c.status, c.district, c.lon, c.lat, c.location, c.municipality"
#define STATE_COLS                                                                               \
    "c.id, c.category, c.status, c.report_count, c.x, c.y, c.sum_x, c.sum_y, c.lon, c.lat, "   \
    "c.first_at, c.last_at, c.fixed_at, c.district, c.street, c.location, c.municipality"

/* One column of cells: a contiguous key range of the (municipality,
 * category, cell) index. (An OR of ranges made SQLite scan the whole
 * category.) */
static const char sql_candidates[] =
    "SELECT " STATE_COLS " FROM clusters c WHERE c.municipality = ?10 AND c.category = ?1 AND"
    " c.cell BETWEEN ?2 AND ?3 AND c.x BETWEEN ?4 AND ?5 AND c.y BETWEEN ?6 AND ?7"
    " AND c.last_at >= ?8 AND c.first_at <= ?9";
static const char sql_cluster_state[] = "SELECT " STATE_COLS " FROM clusters c WHERE c.id = ?1";
/* ?18 NULL: the next id */
static const char sql_cluster_insert[] =
    "INSERT INTO clusters (category, status, report_count, x, y, sum_x, sum_y, lon, lat,"
    " first_at, last_at, fixed_at, district, created_at, updated_at, street, location, cell,"
    " geom, id, municipality) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?14, ?15, ?16, ?17, MakePoint(?8, ?9, 4326), ?18, ?19)";
static const char sql_cluster_update[] =
    "UPDATE clusters SET status = ?2, report_count = ?3, x = ?4, y = ?5, sum_x = ?6,"
    " sum_y = ?7, lon = ?8, lat = ?9, first_at = ?10, last_at = ?11, fixed_at = ?12,"
    " district = ?13, updated_at = ?14, street = ?15, location = ?16, cell = ?17,"
    " geom = MakePoint(?8, ?9, 4326) WHERE id = ?1";
static const char sql_cluster_status[] = "UPDATE clusters SET status = ?2, fixed_at = ?3,"
                                         " updated_at = ?4 WHERE id = ?1";
static const char sql_reports_status[] = "UPDATE reports SET status = ?2, updated_at = ?4"
                                         " WHERE cluster_id = ?1";
static const char sql_history_insert[] =
    "INSERT INTO history (cluster_id, report_id, at, status, note, note_public, actor)"
    " VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7)";
static const char sql_clusters_bbox[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE " MP_SQL_CLUSTER_BBOX("c")
        MP_SQL_FILTERS("c") MP_SQL_AFTER("c") MP_SQL_CLUSTER_TIME " ORDER BY c.id LIMIT ?11";
static const char sql_clusters_all[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE 1" MP_SQL_FILTERS("c") MP_SQL_AFTER("c")
        MP_SQL_CLUSTER_TIME " ORDER BY c.id LIMIT ?11";
static const char sql_cluster_get[] = "SELECT " CLUSTER_COLS " FROM clusters c WHERE c.id = ?1";
static const char sql_history[] =
    "SELECT id, cluster_id, IFNULL(report_id, 0), at, status, note, note_public, actor"
    " FROM history WHERE cluster_id = ?1 ORDER BY at, id";

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
    mp_col_copy(c->municipality, sizeof c->municipality, st, 16);
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

enum mp_status mp_sqlite_cluster_candidates(struct mp_store_sess *s, const char *municipality,
                                            const char *category, double x, double y, double r,
                                            int64_t t, int64_t window,
                                            struct mp_cluster_state *out, size_t cap, size_t *n)
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
        mp_bind_text(st, 10, municipality);
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

enum mp_status mp_sqlite_cluster_state(struct mp_store_sess *s, int64_t id,
                                       struct mp_cluster_state *out)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_cluster_state, id);
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

/* A new cluster row and its derived rows; id 0 takes the next id. */
static enum mp_status cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                     int64_t want_id, int64_t *id)
{
    if (!c->municipality[0])
        return MP_EINVAL;
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
    mp_bind_text(st, 19, c->municipality);
    enum mp_status rc = mp_stmt_run(s, st, "cluster insert");
    if (rc)
        return rc;
    *id = want_id ? want_id : sqlite3_last_insert_rowid(mp_sq(s)->db);
    return mp_derived_cluster_added(s, *id, c, want_id != 0);
}

enum mp_status mp_sqlite_cluster_create(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                        int64_t *id)
{
    return cluster_insert(s, c, 0, id);
}

enum mp_status mp_sqlite_cluster_update(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    sqlite3_stmt *st = mp_stmt(s, sql_cluster_update);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, c->id);
    mp_bind_text(st, 2, c->status);
    bind_state(st, c, mp_time_now());
    return mp_stmt_run(s, st, "cluster update");
}

enum mp_status mp_sqlite_cluster_set_status(struct mp_store_sess *s, int64_t id, const char *status,
                                            int64_t fixed_at, int64_t now)
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
static const char sql_correction[] = "INSERT INTO corrections (kind, report_id, from_cluster,"
                                     " to_cluster, actor, at) VALUES (?1, NULLIF(?2, 0),"
                                     " NULLIF(?3, 0), NULLIF(?4, 0), ?5, ?6)";
static const char sql_constraint[] =
    "INSERT OR REPLACE INTO link_constraints (a, b, must, at) VALUES (?1, ?2, ?3, ?4)";
static const char sql_replay_all[] =
    "SELECT id, cluster_id, created_at, category, address, lon, lat, x, y, municipality"
    " FROM reports ORDER BY created_at, id";
static const char sql_replay_cat[] =
    "SELECT id, cluster_id, created_at, category, address, lon, lat, x, y, municipality"
    " FROM reports WHERE category = ?1 ORDER BY created_at, id";
static const char sql_constraints[] = "SELECT a, b, must FROM link_constraints";
static const char sql_states_range[] =
    "SELECT " STATE_COLS " FROM clusters c WHERE c.id BETWEEN ?1 AND ?2 ORDER BY c.id";
static const char sql_cluster_ids[] = "SELECT id, category FROM clusters";
/* The sequence remembers deleted clusters too (ids are never reused). */
static const char sql_cluster_max[] =
    "SELECT max(IFNULL((SELECT max(id) FROM clusters), 0),"
    " IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'clusters'), 0))";

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

enum mp_status mp_sqlite_cluster_members(struct mp_store_sess *s, int64_t id,
                                         struct mp_member_stats *o)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_members, id);
    return mp_stmt_first(s, st, members_row, o, "members");
}

enum mp_status mp_sqlite_reports_move_all(struct mp_store_sess *s, int64_t from, int64_t to,
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

enum mp_status mp_sqlite_report_set_cluster(struct mp_store_sess *s, int64_t report_id,
                                            int64_t cluster_id, const char *status, const char *why)
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
    if (rc == MP_OK && sqlite3_changes(mp_sq(s)->db) == 0)
        return MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_sqlite_cluster_delete(struct mp_store_sess *s, int64_t id, int64_t heir)
{
    enum mp_status rc = mp_stmt_run_ids(s, heir ? sql_history_move : sql_history_del, id, heir,
                                        "cluster delete");
    if (rc == MP_OK)
        rc = mp_stmt_run_ids(s, sql_cluster_del, id, 0, "cluster delete");
    return rc;
}

enum mp_status mp_sqlite_correction_add(struct mp_store_sess *s, const struct mp_correction_rec *c)
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

enum mp_status mp_sqlite_constraint_add(struct mp_store_sess *s, int64_t a, int64_t b, bool must,
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
        .municipality = mp_col_text(st, 9),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_replay_reports(struct mp_store_sess *s, const char *category,
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

enum mp_status mp_sqlite_constraints(struct mp_store_sess *s, mp_constraint_cb cb, void *ctx)
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

enum mp_status mp_sqlite_cluster_states_range(struct mp_store_sess *s, int64_t lo, int64_t hi,
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

enum mp_status mp_sqlite_cluster_ids(struct mp_store_sess *s, mp_cluster_id_cb cb, void *ctx)
{
    struct cluster_ids c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_cluster_ids), cluster_id_row, &c, "cluster ids");
}

enum mp_status mp_sqlite_cluster_max_id(struct mp_store_sess *s, int64_t *max)
{
    *max = 0;
    return mp_stmt_first(s, mp_stmt(s, sql_cluster_max), mp_row_int64, max, "cluster ids");
}

enum mp_status mp_sqlite_cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    int64_t id;
    return cluster_insert(s, c, c->id, &id);
}

/* ---- history ---- */

enum mp_status mp_sqlite_history_add(struct mp_store_sess *s, const struct mp_history_rec *h)
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

enum mp_status mp_sqlite_history(struct mp_store_sess *s, int64_t cluster_id, mp_history_cb cb,
                                 void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_history, cluster_id);
    struct history c = {cb, ctx};
    return mp_stmt_each(s, st, history_row, &c, "history");
}

/* ---- listings ---- */

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
    c->municipality = mp_col_text(st, 12);
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

enum mp_status mp_sqlite_clusters(struct mp_store_sess *s, const struct mp_query *q,
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

enum mp_status mp_sqlite_cluster_get(struct mp_store_sess *s, int64_t id, mp_cluster_cb cb,
                                     void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_cluster_get, id);
    struct clusters c = {cb, ctx};
    return mp_stmt_first(s, st, cluster_row, &c, "cluster");
}
