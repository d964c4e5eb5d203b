/* store_pg_read.c - the PostgreSQL engine's listings of clusters (the map,
 * one cluster), with the filters of store_pg_filter.h. The report listing
 * lives with the report rows in store_pg_reports.c. */
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

#define CLUSTER_COLS                                                                               \
    "c.id, c.report_count, c.first_at, c.last_at, c.created_at, c.updated_at, c.category,"         \
    " c.status, c.district, c.lon, c.lat, c.location"
#define CLUSTER_WHERE MP_PG_FILTERS("c") MP_PG_AFTER("c") MP_PG_CLUSTER_TIME
static const char sql_clusters_all[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE true" CLUSTER_WHERE " ORDER BY c.id" MP_PG_LIMIT;
static const char sql_clusters_bbox[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE true" CLUSTER_WHERE MP_PG_BBOX(
        "c", "$8", "$9", "$10", "$11") " ORDER BY c.id" MP_PG_LIMIT;
static const char sql_cluster_get[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE c.id = $1::bigint";

struct clusters {
    mp_cluster_cb cb;
    void *ctx;
};

static int cluster_row(void *ctx, const PGresult *r, int i)
{
    const struct clusters *c = ctx;
    struct mp_cluster_row row = {
        .id = mp_pg_col_int64(r, i, 0),
        .report_count = mp_pg_col_int64(r, i, 1),
        .first_at = mp_pg_col_int64(r, i, 2),
        .last_at = mp_pg_col_int64(r, i, 3),
        .created_at = mp_pg_col_int64(r, i, 4),
        .updated_at = mp_pg_col_int64(r, i, 5),
        .category = mp_pg_col_text(r, i, 6),
        .status = mp_pg_col_text(r, i, 7),
        .district = mp_pg_col_text(r, i, 8),
        .lon = mp_pg_col_double(r, i, 9),
        .lat = mp_pg_col_double(r, i, 10),
        .location = mp_pg_col_text(r, i, 11),
    };
    return c->cb(c->ctx, &row);
}

enum mp_status mp_pg_clusters(struct mp_store_sess *s, const struct mp_query *q, mp_cluster_cb cb,
                              void *ctx)
{
    struct clusters c = {cb, ctx};
    return mp_pg_listing(s, q, sql_clusters_all, sql_clusters_bbox, cluster_row, &c, "clusters");
}

enum mp_status mp_pg_cluster_get(struct mp_store_sess *s, int64_t id, mp_cluster_cb cb, void *ctx)
{
    struct clusters c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_cluster_get, &p, cluster_row, &c, "cluster");
}
