/* store_reports.c - SQL of reports: inserting a report (with its
 * report_map row, the reports' spatial index) and its photo, the import's external-id test, and the report
 * listings (the public map path is store_map.c's). */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"
#include "store_sqlite.h"
#include "store_sqlite_derived.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_map.h"
#include "store_sqlite_sql.h"

/* The columns of report rows (listing filters in store_sql.h). */
#define REPORT_COLS                                                                              \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.report_count, r.category, "             \
    "r.description, r.address, r.channel, r.status, r.district, r.external_id, "               \
    "r.contact_name, r.contact_email, r.contact_phone, r.join_reason, r.lon, r.lat, "          \
    "EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.street, r.location, "         \
    "r.municipality"
static const char sql_report_insert[] =
    "INSERT INTO reports (cluster_id, category, description, address, channel, status,"
    " district, lon, lat, x, y, created_at, updated_at, external_id, contact_name,"
    " contact_email, contact_phone, join_reason, street, location, geom, municipality) VALUES"
    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
    " ?20, MakePoint(?8, ?9, 4326), ?21)";
static const char sql_report_ext[] =
    "SELECT 1 FROM reports WHERE municipality = ?1 AND external_id = ?2";
static const char sql_photo_put[] =
    "INSERT INTO photos (report_id, mime, width, height, full, thumb, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_photo_full[] = "SELECT full FROM photos WHERE report_id = ?1";
static const char sql_photo_thumb[] = "SELECT thumb FROM photos WHERE report_id = ?1";
static const char sql_reports_bbox[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE " MP_SQL_REPORT_BBOX("r") MP_SQL_FILTERS("r") MP_SQL_AFTER("r")
        MP_SQL_REPORT_TIME " ORDER BY r.id LIMIT ?11";
static const char sql_reports_all[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE 1" MP_SQL_FILTERS("r") MP_SQL_AFTER("r") MP_SQL_REPORT_TIME " ORDER BY r.id LIMIT ?11";
static const char sql_report_get[] = "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON"
                                     " c.id = r.cluster_id WHERE r.id = ?1";
static const char sql_cluster_reports[] =
    "SELECT " REPORT_COLS " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE r.cluster_id = ?1 ORDER BY r.created_at, r.id";

enum mp_status mp_sqlite_report_insert(struct mp_store_sess *s, const struct mp_report_rec *r,
                                       int64_t *id)
{
    if (!r->municipality || !r->municipality[0])
        return MP_EINVAL;
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
    /* A report's last change is its making: the time it was made, which an
     * import takes from its source (not the time of the import). */
    const int64_t updated_at = r->created_at ? r->created_at : mp_time_now();
    sqlite3_bind_int64(st, 13, updated_at);
    mp_bind_text(st, 14, r->external_id);
    mp_bind_text(st, 15, r->contact_name);
    mp_bind_text(st, 16, r->contact_email);
    mp_bind_text(st, 17, r->contact_phone);
    mp_bind_text(st, 18, r->join_reason);
    mp_bind_text(st, 19, r->street);
    mp_bind_text(st, 20, r->location);
    mp_bind_text(st, 21, r->municipality);
    enum mp_status rc = mp_stmt_run(s, st, "report insert");
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return mp_derived_report_added(s, *id, r, updated_at);
}

enum mp_status mp_sqlite_report_external_exists(struct mp_store_sess *s, const char *municipality,
                                                const char *ext, bool *exists)
{
    sqlite3_stmt *st = mp_stmt(s, sql_report_ext);
    if (st) {
        mp_bind_text(st, 1, municipality);
        mp_bind_text(st, 2, ext);
    }
    enum mp_status rc = mp_stmt_first(s, st, NULL, NULL, "external id");
    *exists = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_photo_put(struct mp_store_sess *s, int64_t report_id,
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

enum mp_status mp_sqlite_photo_get(struct mp_store_sess *s, int64_t report_id, bool thumb,
                                   void **data, size_t *len)
{
    sqlite3_stmt *st = mp_stmt_id(s, thumb ? sql_photo_thumb : sql_photo_full, report_id);
    return mp_stmt_blob(s, st, data, len, "photo");
}

/* ---- listings ---- */

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
    r->municipality = mp_col_text(st, 21);
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

enum mp_status mp_sqlite_reports(struct mp_store_sess *s, const struct mp_query *q, mp_report_cb cb,
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

enum mp_status mp_sqlite_report_get(struct mp_store_sess *s, int64_t id, bool with_private,
                                    mp_report_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_report_get, id);
    struct reports c = {cb, ctx, with_private};
    return mp_stmt_first(s, st, report_row, &c, "report");
}

enum mp_status mp_sqlite_cluster_reports(struct mp_store_sess *s, int64_t cluster_id,
                                         mp_report_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_cluster_reports, cluster_id);
    struct reports c = {cb, ctx, false};
    return mp_stmt_each(s, st, report_row, &c, "reports");
}
