/* store_pg_alerts.c - area alerts, digest items and the departments' digest
 * schedule on PostgreSQL (store_alerts.h); the tables are schema version 11
 * (store_pg_schema.c). Statements and orderings mirror
 * store_sqlite_alerts.c, so that the same unit tests pass on both. */
#include "meldpunt/store_alerts.h"

#include "store_pg.h"
#include "store_pg_engine.h"

#define ALERT_COLS                                                                                 \
    "id, created_at, confirmed_at, stopped_at, next_digest_at, email, email_hash, lang, district," \
    " category, frequency, lon, lat, radius_m"

static const char sql_alert_add[] =
    "INSERT INTO alert_subs (email, email_hash, lang, district, category, frequency, lon, lat,"
    " radius_m, lon_min, lon_max, lat_min, lat_max, created_at) VALUES ($1, $2, $3, $4, $5, $6,"
    " $7::float8, $8::float8, $9::float8, $10::float8, $11::float8, $12::float8, $13::float8,"
    " $14::bigint) RETURNING id";
static const char sql_alert_get[] = "SELECT " ALERT_COLS " FROM alert_subs WHERE id = $1::bigint";
static const char sql_alert_confirm[] =
    "UPDATE alert_subs SET confirmed_at = $2::bigint, next_digest_at = $3::bigint"
    " WHERE id = $1::bigint AND confirmed_at = 0";
static const char sql_alert_stop[] = "UPDATE alert_subs SET stopped_at = $2::bigint"
                                     " WHERE id = $1::bigint AND stopped_at = 0";
static const char sql_alerts_match[] =
    "SELECT " ALERT_COLS " FROM alert_subs a WHERE a.confirmed_at > 0 AND a.stopped_at = 0"
    " AND a.email IS NOT NULL AND (a.category IS NULL OR a.category = $1::text)"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = a.email_hash)"
    " AND ((a.district IS NOT NULL AND a.district = $2::text) OR (a.district IS NULL"
    " AND $4::float8 BETWEEN a.lat_min AND a.lat_max"
    " AND $3::float8 BETWEEN a.lon_min AND a.lon_max)) ORDER BY a.id";
static const char sql_alerts_digest_due[] =
    "SELECT " ALERT_COLS " FROM alert_subs a WHERE a.frequency = 'daily' AND a.confirmed_at > 0"
    " AND a.stopped_at = 0 AND a.next_digest_at <= $1::bigint AND EXISTS (SELECT 1"
    " FROM digest_items i WHERE i.alert_id = a.id AND i.department = '' AND i.outbox_id = 0)"
    " ORDER BY a.id";
static const char sql_alert_digest_next[] =
    "UPDATE alert_subs SET next_digest_at = $2::bigint WHERE id = $1::bigint";
static const char sql_item_add[] =
    "INSERT INTO digest_items (alert_id, department, what, report_id, cluster_id, at)"
    " VALUES ($1::bigint, $2, $3, $4::bigint, $5::bigint, $6::bigint) ON CONFLICT DO NOTHING";
static const char sql_pending[] = "SELECT count(*) FROM digest_items WHERE alert_id = $1::bigint"
                                  " AND department = $2 AND outbox_id = 0";
static const char sql_take[] =
    "UPDATE digest_items SET outbox_id = $3::bigint WHERE alert_id = $1::bigint"
    " AND department = $2 AND outbox_id = 0";
static const char sql_items[] =
    "SELECT id, alert_id, report_id, cluster_id, at, outbox_id, department, what"
    " FROM digest_items WHERE outbox_id = $1::bigint ORDER BY at, id";
static const char sql_schedule_get[] =
    "SELECT next_digest_at FROM dept_schedule WHERE department = $1";
static const char sql_schedule_set[] =
    "INSERT INTO dept_schedule VALUES ($1, $2::bigint)"
    " ON CONFLICT (department) DO UPDATE SET next_digest_at = excluded.next_digest_at";

struct alerts {
    mp_alert_cb cb;
    void *ctx;
};

static int alert_row(void *p, const PGresult *r, int i)
{
    const struct alerts *c = p;
    struct mp_alert_row a = {
        .id = mp_pg_col_int64(r, i, 0),
        .created_at = mp_pg_col_int64(r, i, 1),
        .confirmed_at = mp_pg_col_int64(r, i, 2),
        .stopped_at = mp_pg_col_int64(r, i, 3),
        .next_digest_at = mp_pg_col_int64(r, i, 4),
        .email = mp_pg_col_text(r, i, 5),
        .email_hash = mp_pg_col_text(r, i, 6),
        .lang = mp_pg_col_text(r, i, 7),
        .district = mp_pg_col_text(r, i, 8),
        .category = mp_pg_col_text(r, i, 9),
        .frequency = mp_pg_col_text(r, i, 10),
        .lon = mp_pg_col_double(r, i, 11),
        .lat = mp_pg_col_double(r, i, 12),
        .radius_m = mp_pg_col_double(r, i, 13),
    };
    return c->cb(c->ctx, &a);
}

enum mp_status mp_pg_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a, int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, a->email);
    mp_pg_text(&p, a->email_hash);
    mp_pg_text(&p, a->lang ? a->lang : "");
    mp_pg_text(&p, a->district);
    mp_pg_text(&p, a->category);
    mp_pg_text(&p, a->frequency);
    mp_pg_double(&p, a->lon);
    mp_pg_double(&p, a->lat);
    mp_pg_double(&p, a->radius_m);
    mp_pg_double(&p, a->lon_min);
    mp_pg_double(&p, a->lon_max);
    mp_pg_double(&p, a->lat_min);
    mp_pg_double(&p, a->lat_max);
    mp_pg_int64(&p, a->created_at);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_alert_add, &p, mp_pg_row_int64, id, "alert insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb, void *ctx)
{
    struct alerts c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_alert_get, &p, alert_row, &c, "alert");
}

enum mp_status mp_pg_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at,
                                   int64_t next_digest_at)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, at);
    mp_pg_int64(&p, next_digest_at);
    return mp_pg_run(s, sql_alert_confirm, &p, NULL, "alert confirm");
}

enum mp_status mp_pg_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, at);
    return mp_pg_run(s, sql_alert_stop, &p, NULL, "alert stop");
}

enum mp_status mp_pg_alerts_match(struct mp_store_sess *s, const char *category,
                                  const char *district, double lon, double lat, mp_alert_cb cb,
                                  void *ctx)
{
    struct alerts c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, category);
    mp_pg_text(&p, district);
    mp_pg_double(&p, lon);
    mp_pg_double(&p, lat);
    return mp_pg_each(s, sql_alerts_match, &p, alert_row, &c, "alerts match");
}

enum mp_status mp_pg_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb,
                                       void *ctx)
{
    struct alerts c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, now);
    return mp_pg_each(s, sql_alerts_digest_due, &p, alert_row, &c, "alerts digest due");
}

enum mp_status mp_pg_alert_digest_next(struct mp_store_sess *s, int64_t id, int64_t next)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, next);
    return mp_pg_run(s, sql_alert_digest_next, &p, NULL, "alert digest next");
}

enum mp_status mp_pg_digest_item_add(struct mp_store_sess *s, const struct mp_digest_item_rec *it,
                                     bool *added)
{
    struct mp_pg_params p;
    int64_t n = 0;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, it->alert_id);
    mp_pg_text(&p, it->department ? it->department : "");
    mp_pg_text(&p, it->what);
    mp_pg_int64(&p, it->report_id);
    mp_pg_int64(&p, it->cluster_id);
    mp_pg_int64(&p, it->at);
    enum mp_status rc = mp_pg_run(s, sql_item_add, &p, &n, "digest item insert");
    *added = rc == MP_OK && n == 1;
    return rc;
}

enum mp_status mp_pg_digest_pending(struct mp_store_sess *s, int64_t alert_id,
                                    const char *department, int64_t *n)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, alert_id);
    mp_pg_text(&p, department ? department : "");
    *n = 0;
    return mp_pg_first(s, sql_pending, &p, mp_pg_row_int64, n, "digest pending");
}

enum mp_status mp_pg_digest_take(struct mp_store_sess *s, int64_t alert_id, const char *department,
                                 int64_t outbox_id, int64_t *n)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, alert_id);
    mp_pg_text(&p, department ? department : "");
    mp_pg_int64(&p, outbox_id);
    *n = 0;
    return mp_pg_run(s, sql_take, &p, n, "digest take");
}

struct items {
    mp_digest_item_cb cb;
    void *ctx;
};

static int item_row(void *p, const PGresult *r, int i)
{
    const struct items *c = p;
    struct mp_digest_item_row it = {
        .id = mp_pg_col_int64(r, i, 0),
        .alert_id = mp_pg_col_int64(r, i, 1),
        .report_id = mp_pg_col_int64(r, i, 2),
        .cluster_id = mp_pg_col_int64(r, i, 3),
        .at = mp_pg_col_int64(r, i, 4),
        .outbox_id = mp_pg_col_int64(r, i, 5),
        .department = mp_pg_col_text(r, i, 6),
        .what = mp_pg_col_text(r, i, 7),
    };
    return c->cb(c->ctx, &it);
}

enum mp_status mp_pg_digest_items(struct mp_store_sess *s, int64_t outbox_id, mp_digest_item_cb cb,
                                  void *ctx)
{
    struct items c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, outbox_id);
    return mp_pg_each(s, sql_items, &p, item_row, &c, "digest items");
}

enum mp_status mp_pg_dept_schedule_get(struct mp_store_sess *s, const char *department,
                                       int64_t *next)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, department);
    *next = 0;
    enum mp_status rc =
        mp_pg_first(s, sql_schedule_get, &p, mp_pg_row_int64, next, "department schedule");
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_dept_schedule_set(struct mp_store_sess *s, const char *department,
                                       int64_t next)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, department);
    mp_pg_int64(&p, next);
    return mp_pg_run(s, sql_schedule_set, &p, NULL, "department schedule");
}
