/* store_pg_map.c - the public map list on PostgreSQL from report_map, the
 * table in spatial order that the schema's triggers keep (store_pg_schema.c,
 * version MP_PG_SCHEMA_MAP), as the SQLite engine reads its report_map
 * (store_sqlite_map.c). Every other listing goes on to store_pg_reports.c.
 *
 * Why: the general statement joins reports (stored in time order, so a
 * box's thousand rows lie on a thousand heap pages) to clusters (one index
 * look-up per row for report_count): about 5,000 buffer visits and 12-15 ms
 * of PostgreSQL CPU per uncached map page at 1M reports (bench/README.md).
 * Here one index scan per latitude band of the box reads rows that lie
 * together, about 60 buffers for the same page. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

/* Must match the strip expression of store_pg_schema.c's report_map
 * (trunc((lat + 90) * 1000)) and SQLite's MAP_STRIPS_PER_DEG. */
#define STRIPS_PER_DEG 1000.0
/* Beyond this many bands the box is a zoomed-out view, which the general
 * statement's GiST bitmap scan serves as well (as store_sqlite_map.c). */
#define MAX_STRIPS 2000

/* The columns the public map shows (geojson.c's report properties), in
 * read_row's order. $1-$7 the filters and page of store_pg_filter.h
 * (alias r, with report_map's category, status, district and created_at),
 * $8-$11 the box, $12-$13 its first and last band. */
static const char sql_map[] =
    "SELECT r.id, r.cluster_id, r.created_at, r.updated_at, r.cluster_count, r.category,"
    " r.description, r.address, r.channel, r.status, r.district, r.lon, r.lat, r.has_photo,"
    " r.location FROM report_map r WHERE"
    " r.strip = ANY (ARRAY(SELECT generate_series($12::integer, $13::integer)))"
    " AND r.lon BETWEEN $8::float8 AND $10::float8 AND r.lat BETWEEN $9::float8 AND $11::float8"
    "" MP_PG_FILTERS("r") MP_PG_AFTER("r") MP_PG_REPORT_TIME " ORDER BY r.id" MP_PG_LIMIT;

struct map {
    mp_report_cb cb;
    void *ctx;
};

/* Binary columns (mp_pg_each_binary): no text to parse, which was a fifth
 * of the server's CPU for a map page (strtod's slow path for PostgreSQL's
 * shortest round-trip digits, strtoll). The statement's columns are NOT
 * NULL where read as numbers. */
static uint64_t bin64(const PGresult *r, int i, int col)
{
    const unsigned char *b = (const unsigned char *)PQgetvalue(r, i, col);
    uint64_t v = 0;
    if (PQgetlength(r, i, col) != 8)
        return 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | b[k];
    return v;
}

static int64_t bin_int64(const PGresult *r, int i, int col) { return (int64_t)bin64(r, i, col); }

static double bin_double(const PGresult *r, int i, int col)
{
    uint64_t v = bin64(r, i, col);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* A row as the SQLite engine's map path gives it: external_id, join_reason,
 * street, municipality and the contact fields NULL. Text columns come as
 * they are (libpq ends each value with a NUL). */
static int map_row(void *ctx, const PGresult *r, int i)
{
    const struct map *m = ctx;
    struct mp_report_row row = {
        .id = bin_int64(r, i, 0),
        .cluster_id = bin_int64(r, i, 1),
        .created_at = bin_int64(r, i, 2),
        .updated_at = bin_int64(r, i, 3),
        .cluster_count = bin_int64(r, i, 4),
        .category = mp_pg_col_text(r, i, 5),
        .description = mp_pg_col_text(r, i, 6),
        .address = mp_pg_col_text(r, i, 7),
        .channel = mp_pg_col_text(r, i, 8),
        .status = mp_pg_col_text(r, i, 9),
        .district = mp_pg_col_text(r, i, 10),
        .lon = bin_double(r, i, 11),
        .lat = bin_double(r, i, 12),
        .has_photo = PQgetlength(r, i, 13) == 1 && PQgetvalue(r, i, 13)[0] != 0,
        .location = mp_pg_col_text(r, i, 14),
    };
    return m->cb(m->ctx, &row);
}

enum mp_status mp_pg_map_reports(struct mp_store_sess *s, const struct mp_query *q,
                                 mp_report_cb cb, void *ctx)
{
    /* The negated test also turns NaN away: the bands are conversions of
     * lat to integers. */
    if (!q->has_bbox || q->with_private ||
        !(q->bbox.min_lat >= -90.0 && q->bbox.max_lat <= 90.0 &&
          q->bbox.min_lat <= q->bbox.max_lat))
        return mp_pg_reports(s, q, cb, ctx);
    int64_t s0 = (int64_t)((q->bbox.min_lat + 90.0) * STRIPS_PER_DEG);
    int64_t s1 = (int64_t)((q->bbox.max_lat + 90.0) * STRIPS_PER_DEG);
    if (s1 - s0 >= MAX_STRIPS)
        return mp_pg_reports(s, q, cb, ctx);
    struct map m = {cb, ctx};
    struct mp_pg_lists l;
    enum mp_status rc = mp_pg_lists_of(&l, q);
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_query_add(&p, q, &l, MP_PG_PAGE | MP_PG_BOX);
        mp_pg_int64(&p, s0);
        mp_pg_int64(&p, s1);
        rc = mp_pg_each_binary(s, sql_map, &p, map_row, &m, "map");
    }
    mp_pg_lists_free(&l);
    return rc;
}
