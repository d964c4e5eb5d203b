/* store_sqlite_alerts.c - SQL for area alerts, the digest items of alerts
 * and departments, and the departments' digest schedule (store_alerts.h).
 * Its tables are the core migration 10 -> 11 (mp_sqlite_alerts_migration,
 * in store_sqlite_schema.c's list). */
#include "meldpunt/store_alerts.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_schema.h"

/* An alert's area is a circle (lon, lat, radius_m) with its bounding box,
 * or a district; category NULL is any. confirmed_at 0: nothing is sent
 * before the address confirms. The items keep what a digest will list,
 * once each (the UNIQUE key: a new problem once per alert, a new or
 * overdue job once per department), until a digest message takes them
 * (outbox_id). IF NOT EXISTS: a file whose user_version was set back (a
 * repair run again, as api.clusters does) keeps its tables. */
const char mp_sqlite_alerts_migration[] =
    "CREATE TABLE IF NOT EXISTS alert_subs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " email TEXT,"
    " email_hash TEXT NOT NULL,"
    " lang TEXT NOT NULL,"
    " district TEXT, category TEXT,"
    " frequency TEXT NOT NULL,"
    " lon REAL NOT NULL, lat REAL NOT NULL, radius_m REAL NOT NULL,"
    " lon_min REAL NOT NULL, lon_max REAL NOT NULL, lat_min REAL NOT NULL,"
    " lat_max REAL NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " confirmed_at INTEGER NOT NULL DEFAULT 0,"
    " stopped_at INTEGER NOT NULL DEFAULT 0,"
    " next_digest_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS alert_subs_live ON alert_subs (lat_min, lat_max)"
    " WHERE confirmed_at > 0 AND stopped_at = 0;"
    "CREATE INDEX IF NOT EXISTS alert_subs_hash ON alert_subs (email_hash);"
    "CREATE TABLE IF NOT EXISTS digest_items ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " alert_id INTEGER NOT NULL DEFAULT 0,"
    " department TEXT NOT NULL DEFAULT '',"
    " what TEXT NOT NULL,"
    " report_id INTEGER NOT NULL DEFAULT 0,"
    " cluster_id INTEGER NOT NULL DEFAULT 0,"
    " at INTEGER NOT NULL,"
    " outbox_id INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (alert_id, department, what, cluster_id, report_id));"
    "CREATE INDEX IF NOT EXISTS digest_items_waiting ON digest_items (alert_id, department) WHERE outbox_id = 0;"
    "CREATE INDEX IF NOT EXISTS digest_items_outbox ON digest_items (outbox_id) WHERE outbox_id > 0;"
    "CREATE TABLE IF NOT EXISTS dept_schedule (department TEXT PRIMARY KEY, next_digest_at INTEGER NOT NULL)"
    " WITHOUT ROWID;";

#define ALERT_COLS                                                                                 \
    "id, created_at, confirmed_at, stopped_at, next_digest_at, email, email_hash, lang, district," \
    " category, frequency, lon, lat, radius_m"

static const char sql_alert_add[] =
    "INSERT INTO alert_subs (email, email_hash, lang, district, category, frequency, lon, lat,"
    " radius_m, lon_min, lon_max, lat_min, lat_max, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char sql_alert_get[] = "SELECT " ALERT_COLS " FROM alert_subs WHERE id = ?1";
static const char sql_alert_confirm[] =
    "UPDATE alert_subs SET confirmed_at = ?2, next_digest_at = ?3 WHERE id = ?1"
    " AND confirmed_at = 0";
static const char sql_alert_stop[] =
    "UPDATE alert_subs SET stopped_at = ?2 WHERE id = ?1 AND stopped_at = 0";
static const char sql_alerts_match[] =
    "SELECT " ALERT_COLS " FROM alert_subs a WHERE a.confirmed_at > 0 AND a.stopped_at = 0"
    " AND a.email IS NOT NULL AND (a.category IS NULL OR a.category = ?1)"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = a.email_hash)"
    " AND ((a.district IS NOT NULL AND a.district = ?2) OR (a.district IS NULL"
    " AND ?4 BETWEEN a.lat_min AND a.lat_max AND ?3 BETWEEN a.lon_min AND a.lon_max))"
    " ORDER BY a.id";
static const char sql_alerts_digest_due[] =
    "SELECT " ALERT_COLS " FROM alert_subs a WHERE a.frequency = 'daily' AND a.confirmed_at > 0"
    " AND a.stopped_at = 0 AND a.next_digest_at <= ?1 AND EXISTS (SELECT 1 FROM digest_items i"
    " WHERE i.alert_id = a.id AND i.department = '' AND i.outbox_id = 0) ORDER BY a.id";
static const char sql_alert_digest_next[] = "UPDATE alert_subs SET next_digest_at = ?2 WHERE id = ?1";
static const char sql_item_add[] =
    "INSERT OR IGNORE INTO digest_items (alert_id, department, what, report_id, cluster_id, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_pending[] = "SELECT count(*) FROM digest_items WHERE alert_id = ?1"
                                  " AND department = ?2 AND outbox_id = 0";
static const char sql_take[] = "UPDATE digest_items SET outbox_id = ?3 WHERE alert_id = ?1"
                               " AND department = ?2 AND outbox_id = 0";
static const char sql_items[] =
    "SELECT id, alert_id, report_id, cluster_id, at, outbox_id, department, what"
    " FROM digest_items WHERE outbox_id = ?1 ORDER BY at, id";
static const char sql_schedule_get[] =
    "SELECT next_digest_at FROM dept_schedule WHERE department = ?1";
static const char sql_schedule_set[] =
    "INSERT INTO dept_schedule VALUES (?1, ?2)"
    " ON CONFLICT (department) DO UPDATE SET next_digest_at = excluded.next_digest_at";

struct alerts {
    mp_alert_cb cb;
    void *ctx;
};

static int alert_row(void *p, sqlite3_stmt *st)
{
    const struct alerts *c = p;
    struct mp_alert_row a = {
        .id = sqlite3_column_int64(st, 0),
        .created_at = sqlite3_column_int64(st, 1),
        .confirmed_at = sqlite3_column_int64(st, 2),
        .stopped_at = sqlite3_column_int64(st, 3),
        .next_digest_at = sqlite3_column_int64(st, 4),
        .email = mp_col_text(st, 5),
        .email_hash = mp_col_text(st, 6),
        .lang = mp_col_text(st, 7),
        .district = mp_col_text(st, 8),
        .category = mp_col_text(st, 9),
        .frequency = mp_col_text(st, 10),
        .lon = sqlite3_column_double(st, 11),
        .lat = sqlite3_column_double(st, 12),
        .radius_m = sqlite3_column_double(st, 13),
    };
    return c->cb(c->ctx, &a);
}

enum mp_status mp_sqlite_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a,
                                   int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_alert_add);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, a->email);
    mp_bind_text(st, 2, a->email_hash);
    mp_bind_text(st, 3, a->lang ? a->lang : "");
    mp_bind_text(st, 4, a->district);
    mp_bind_text(st, 5, a->category);
    mp_bind_text(st, 6, a->frequency);
    sqlite3_bind_double(st, 7, a->lon);
    sqlite3_bind_double(st, 8, a->lat);
    sqlite3_bind_double(st, 9, a->radius_m);
    sqlite3_bind_double(st, 10, a->lon_min);
    sqlite3_bind_double(st, 11, a->lon_max);
    sqlite3_bind_double(st, 12, a->lat_min);
    sqlite3_bind_double(st, 13, a->lat_max);
    sqlite3_bind_int64(st, 14, a->created_at);
    enum mp_status rc = mp_stmt_run(s, st, "alert insert");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

enum mp_status mp_sqlite_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb, void *ctx)
{
    struct alerts c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_alert_get, id), alert_row, &c, "alert");
}

enum mp_status mp_sqlite_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at,
                                       int64_t next_digest_at)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_alert_confirm, id);
    if (st) {
        sqlite3_bind_int64(st, 2, at);
        sqlite3_bind_int64(st, 3, next_digest_at);
    }
    return mp_stmt_run(s, st, "alert confirm");
}

enum mp_status mp_sqlite_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return mp_stmt_run_ids(s, sql_alert_stop, id, at, "alert stop");
}

enum mp_status mp_sqlite_alerts_match(struct mp_store_sess *s, const char *category,
                                      const char *district, double lon, double lat, mp_alert_cb cb,
                                      void *ctx)
{
    struct alerts c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_alerts_match);
    if (st) {
        mp_bind_text(st, 1, category);
        mp_bind_text(st, 2, district);
        sqlite3_bind_double(st, 3, lon);
        sqlite3_bind_double(st, 4, lat);
    }
    return mp_stmt_each(s, st, alert_row, &c, "alerts match");
}

enum mp_status mp_sqlite_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb,
                                           void *ctx)
{
    struct alerts c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt_id(s, sql_alerts_digest_due, now), alert_row, &c,
                        "alerts digest due");
}

enum mp_status mp_sqlite_alert_digest_next(struct mp_store_sess *s, int64_t id, int64_t next)
{
    return mp_stmt_run_ids(s, sql_alert_digest_next, id, next, "alert digest next");
}

enum mp_status mp_sqlite_digest_item_add(struct mp_store_sess *s,
                                         const struct mp_digest_item_rec *it, bool *added)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_item_add, it->alert_id);
    *added = false;
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 2, it->department ? it->department : "");
    mp_bind_text(st, 3, it->what);
    sqlite3_bind_int64(st, 4, it->report_id);
    sqlite3_bind_int64(st, 5, it->cluster_id);
    sqlite3_bind_int64(st, 6, it->at);
    enum mp_status rc = mp_stmt_run(s, st, "digest item insert");
    *added = rc == MP_OK && sqlite3_changes(mp_sq(s)->db) == 1;
    return rc;
}

enum mp_status mp_sqlite_digest_pending(struct mp_store_sess *s, int64_t alert_id,
                                        const char *department, int64_t *n)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_pending, alert_id);
    *n = 0;
    if (st)
        mp_bind_text(st, 2, department ? department : "");
    return mp_stmt_first(s, st, mp_row_int64, n, "digest pending");
}

enum mp_status mp_sqlite_digest_take(struct mp_store_sess *s, int64_t alert_id,
                                     const char *department, int64_t outbox_id, int64_t *n)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_take, alert_id);
    *n = 0;
    if (st) {
        mp_bind_text(st, 2, department ? department : "");
        sqlite3_bind_int64(st, 3, outbox_id);
    }
    enum mp_status rc = mp_stmt_run(s, st, "digest take");
    if (rc == MP_OK)
        *n = sqlite3_changes(mp_sq(s)->db);
    return rc;
}

struct items {
    mp_digest_item_cb cb;
    void *ctx;
};

static int item_row(void *p, sqlite3_stmt *st)
{
    const struct items *c = p;
    struct mp_digest_item_row it = {
        .id = sqlite3_column_int64(st, 0),
        .alert_id = sqlite3_column_int64(st, 1),
        .report_id = sqlite3_column_int64(st, 2),
        .cluster_id = sqlite3_column_int64(st, 3),
        .at = sqlite3_column_int64(st, 4),
        .outbox_id = sqlite3_column_int64(st, 5),
        .department = mp_col_text(st, 6),
        .what = mp_col_text(st, 7),
    };
    return c->cb(c->ctx, &it);
}

enum mp_status mp_sqlite_digest_items(struct mp_store_sess *s, int64_t outbox_id,
                                      mp_digest_item_cb cb, void *ctx)
{
    struct items c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt_id(s, sql_items, outbox_id), item_row, &c, "digest items");
}

enum mp_status mp_sqlite_dept_schedule_get(struct mp_store_sess *s, const char *department,
                                           int64_t *next)
{
    sqlite3_stmt *st = mp_stmt(s, sql_schedule_get);
    *next = 0;
    if (st)
        mp_bind_text(st, 1, department);
    enum mp_status rc = mp_stmt_first(s, st, mp_row_int64, next, "department schedule");
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_dept_schedule_set(struct mp_store_sess *s, const char *department,
                                           int64_t next)
{
    sqlite3_stmt *st = mp_stmt(s, sql_schedule_set);
    if (st) {
        mp_bind_text(st, 1, department);
        sqlite3_bind_int64(st, 2, next);
    }
    return mp_stmt_run(s, st, "department schedule");
}
