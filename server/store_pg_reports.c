/* store_pg_reports.c - SQL of reports on PostgreSQL: inserting a report
 * and its photo, the import's external-id test, and the report rows a
 * submission reads back (a cluster's members, for their house numbers; one
 * report by id), and the report listing (filters of store_pg_filter.h). */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/timeutil.h"
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

/* The columns of report rows (read_report). The join to the cluster uses
 * both key columns, as a table distributed by municipality needs. */
#define REPORT_COLS                                                                                \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.report_count, r.category,"                  \
    " r.description, r.address, r.channel, r.status, r.district, r.external_id,"                   \
    " r.contact_name, r.contact_email, r.contact_phone, r.join_reason, r.lon, r.lat,"              \
    " EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.street, r.location,"             \
    " r.municipality"
#define REPORT_FROM                                                                                \
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality"

static const char sql_insert[] =
    "INSERT INTO reports (municipality, cluster_id, category, description, address, channel,"
    " status, district, lon, lat, x, y, created_at, updated_at, external_id, contact_name,"
    " contact_email, contact_phone, join_reason, street, location, geom) VALUES ($1, $2, $3, $4,"
    " $5, $6, $7, $8, $9::float8, $10::float8, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326)) RETURNING id";
static const char sql_external[] =
    "SELECT 1 FROM reports WHERE municipality = $1 AND external_id = $2";
/* The municipality comes from the report (none: refused, as the foreign
 * key would). */
static const char sql_photo_put[] =
    "INSERT INTO photos (municipality, report_id, mime, width, height, image, thumb, created_at)"
    " VALUES ((SELECT municipality FROM reports WHERE id = $1::bigint), $1, $2, $3, $4, $5, $6,"
    " $7)";
static const char sql_photo_image[] = "SELECT image FROM photos WHERE report_id = $1::bigint";
static const char sql_photo_thumb[] = "SELECT thumb FROM photos WHERE report_id = $1::bigint";
static const char sql_report_get[] = "SELECT " REPORT_COLS REPORT_FROM " WHERE r.id = $1::bigint";
#define LIST_WHERE MP_PG_FILTERS("r") MP_PG_AFTER("r") MP_PG_REPORT_TIME
static const char sql_reports_all[] =
    "SELECT " REPORT_COLS REPORT_FROM " WHERE true" LIST_WHERE " ORDER BY r.id" MP_PG_LIMIT;
static const char sql_reports_bbox[] =
    "SELECT " REPORT_COLS REPORT_FROM
    " WHERE true" LIST_WHERE MP_PG_BBOX("r", "$8", "$9", "$10", "$11") " ORDER BY r.id" MP_PG_LIMIT;
static const char sql_cluster_reports[] =
    "SELECT " REPORT_COLS REPORT_FROM " WHERE r.cluster_id = $1::bigint"
    " ORDER BY r.created_at, r.id";

enum mp_status mp_pg_report_insert(struct mp_store_sess *s, const struct mp_report_rec *r,
                                   int64_t *id)
{
    if (!r->municipality || !r->municipality[0])
        return MP_EINVAL; /* every report belongs to one (as on SQLite) */
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, r->municipality);
    mp_pg_int64(&p, r->cluster_id);
    mp_pg_text(&p, r->category);
    mp_pg_text(&p, r->description ? r->description : "");
    mp_pg_text(&p, r->address);
    mp_pg_text(&p, r->channel);
    mp_pg_text(&p, r->status);
    mp_pg_text(&p, r->district);
    mp_pg_double(&p, r->lon);
    mp_pg_double(&p, r->lat);
    mp_pg_double(&p, r->x);
    mp_pg_double(&p, r->y);
    mp_pg_int64(&p, r->created_at);
    /* A report's last change is its making (an import's: its source's
     * time), as on SQLite. */
    mp_pg_int64(&p, r->created_at ? r->created_at : mp_time_now());
    mp_pg_text(&p, r->external_id);
    mp_pg_text(&p, r->contact_name);
    mp_pg_text(&p, r->contact_email);
    mp_pg_text(&p, r->contact_phone);
    mp_pg_text(&p, r->join_reason);
    mp_pg_text(&p, r->street);
    mp_pg_text(&p, r->location);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_insert, &p, mp_pg_row_int64, id, "report insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_report_external_exists(struct mp_store_sess *s, const char *municipality,
                                            const char *ext, bool *exists)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, municipality);
    mp_pg_text(&p, ext);
    enum mp_status rc = mp_pg_first(s, sql_external, &p, NULL, NULL, "external id");
    *exists = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_photo_put(struct mp_store_sess *s, int64_t report_id,
                               const struct mp_photo_rec *ph)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, report_id);
    mp_pg_text(&p, ph->mime);
    mp_pg_int64(&p, ph->width);
    mp_pg_int64(&p, ph->height);
    mp_pg_bytea(&p, ph->full, ph->full_len);
    mp_pg_bytea(&p, ph->thumb, ph->thumb_len);
    mp_pg_int64(&p, mp_time_now());
    return mp_pg_run(s, sql_photo_put, &p, NULL, "photo insert");
}

enum mp_status mp_pg_photo_get(struct mp_store_sess *s, int64_t report_id, bool thumb, void **data,
                               size_t *len)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, report_id);
    return mp_pg_blob(s, thumb ? sql_photo_thumb : sql_photo_image, &p, data, len, "photo");
}

/* ---- report rows ---- */

static void read_report(const PGresult *r, int i, struct mp_report_row *o, bool with_private)
{
    o->id = mp_pg_col_int64(r, i, 0);
    o->cluster_id = mp_pg_col_int64(r, i, 1);
    o->created_at = mp_pg_col_int64(r, i, 2);
    o->updated_at = mp_pg_col_int64(r, i, 3);
    o->cluster_count = mp_pg_col_int64(r, i, 4);
    o->category = mp_pg_col_text(r, i, 5);
    o->description = mp_pg_col_text(r, i, 6);
    o->address = mp_pg_col_text(r, i, 7);
    o->channel = mp_pg_col_text(r, i, 8);
    o->status = mp_pg_col_text(r, i, 9);
    o->district = mp_pg_col_text(r, i, 10);
    o->external_id = mp_pg_col_text(r, i, 11);
    o->contact_name = with_private ? mp_pg_col_text(r, i, 12) : NULL;
    o->contact_email = with_private ? mp_pg_col_text(r, i, 13) : NULL;
    o->contact_phone = with_private ? mp_pg_col_text(r, i, 14) : NULL;
    o->join_reason = mp_pg_col_text(r, i, 15);
    o->lon = mp_pg_col_double(r, i, 16);
    o->lat = mp_pg_col_double(r, i, 17);
    o->has_photo = mp_pg_col_bool(r, i, 18);
    o->street = mp_pg_col_text(r, i, 19);
    o->location = mp_pg_col_text(r, i, 20);
    o->municipality = mp_pg_col_text(r, i, 21);
}

struct reports {
    mp_report_cb cb;
    void *ctx;
    bool with_private;
};

static int report_row(void *ctx, const PGresult *r, int i)
{
    const struct reports *c = ctx;
    struct mp_report_row row;
    read_report(r, i, &row, c->with_private);
    return c->cb(c->ctx, &row);
}

enum mp_status mp_pg_cluster_reports(struct mp_store_sess *s, int64_t cluster_id, mp_report_cb cb,
                                     void *ctx)
{
    struct reports c = {cb, ctx, false};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster_id);
    return mp_pg_each(s, sql_cluster_reports, &p, report_row, &c, "reports");
}

enum mp_status mp_pg_report_get(struct mp_store_sess *s, int64_t id, bool with_private,
                                mp_report_cb cb, void *ctx)
{
    struct reports c = {cb, ctx, with_private};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_report_get, &p, report_row, &c, "report");
}

enum mp_status mp_pg_reports(struct mp_store_sess *s, const struct mp_query *q, mp_report_cb cb,
                             void *ctx)
{
    struct reports c = {cb, ctx, q->with_private};
    return mp_pg_listing(s, q, sql_reports_all, sql_reports_bbox, report_row, &c, "reports");
}
