/* store_pg_grid.c - the map's grid of clusters at low zoom on PostgreSQL:
 * cells summed from the clusters in a box (any filter), and the global
 * lattice of the pyramid's levels (10, 12, 14) from grid_cells, which
 * triggers keep as SQLite's do. The cells are computed with the SQLite
 * engine's formulas (store_sqlite_grid.c, and its schema's grid_cells), so
 * that both engines give the same cells. */
#include <stdint.h>

#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

/* SQLite's CAST(v AS INTEGER) truncates towards zero; v is never negative
 * here (the box, or the +180/+90 of the lattice). No limit: $6 after id,
 * $7-$10 the box, $11 the cell's side. */
static const char sql_grid[] =
    "SELECT trunc((c.lon - $7::float8) / $11::float8)::bigint AS gx,"
    " trunc((c.lat - $8::float8) / $11::float8)::bigint AS gy,"
    " count(*), sum(c.report_count), avg(c.lon), avg(c.lat) FROM clusters c WHERE "
    "true" MP_PG_FILTERS("c") MP_PG_AFTER("c") MP_PG_CLUSTER_TIME MP_PG_BBOX(
        "c", "$7", "$8", "$9", "$10") " GROUP BY gx, gy ORDER BY gx, gy";

struct grid {
    mp_grid_cb cb;
    void *ctx;
};

static int grid_row(void *ctx, const PGresult *r, int i)
{
    const struct grid *g = ctx;
    struct mp_grid_cell c = {
        .gx = mp_pg_col_int64(r, i, 0),
        .gy = mp_pg_col_int64(r, i, 1),
        .clusters = mp_pg_col_int64(r, i, 2),
        .reports = mp_pg_col_int64(r, i, 3),
        .lon = mp_pg_col_double(r, i, 4),
        .lat = mp_pg_col_double(r, i, 5),
    };
    return g->cb(g->ctx, &c);
}

enum mp_status mp_pg_cluster_grid(struct mp_store_sess *s, const struct mp_query *q,
                                  double cell_deg, mp_grid_cb cb, void *ctx)
{
    if (!q->has_bbox || !(cell_deg > 0))
        return MP_EINVAL;
    struct grid g = {cb, ctx};
    struct mp_pg_lists l;
    enum mp_status rc = mp_pg_lists_of(&l, q);
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_query_add(&p, q, &l, MP_PG_AFTER | MP_PG_BOX);
        mp_pg_double(&p, cell_deg);
        rc = mp_pg_each(s, sql_grid, &p, grid_row, &g, "grid");
    }
    mp_pg_lists_free(&l);
    return rc;
}

/* The pyramid from grid_cells, which the schema's triggers keep exact on
 * every change of a cluster (store_pg_schema.c, version MP_PG_SCHEMA_MAP):
 * the cells of the level (10, 12 or 14) within $3-$6 (gx from, to, gy
 * from, to), shifted right by $2 to the zoom's cells and summed; $7, $8 the
 * lists. O(cells) however many clusters lie under them: until version 14
 * this summed the clusters themselves, 540 ms of PostgreSQL CPU for the
 * whole city at 686 k clusters (bench/README.md). Sums, not averages: the
 * SQLite engine divides the sums of its pyramid's cells. */
static const char sql_pyramid[] =
    "SELECT g.gx >> $2::int, g.gy >> $2::int, sum(g.clusters), sum(g.reports), sum(g.sum_lon),"
    " sum(g.sum_lat) FROM grid_cells g WHERE g.level = $1::smallint"
    " AND g.gx BETWEEN $3::bigint AND $4::bigint AND g.gy BETWEEN $5::bigint AND $6::bigint"
    " AND ($7::json IS NULL OR g.category IN (SELECT json_array_elements_text($7::json)))"
    " AND ($8::json IS NULL OR g.status IN (SELECT json_array_elements_text($8::json)))"
    " GROUP BY 1, 2 HAVING sum(g.clusters) > 0 ORDER BY 1, 2";

struct pyramid {
    mp_grid_cb cb;
    void *ctx;
};

static int pyramid_row(void *ctx, const PGresult *r, int i)
{
    const struct pyramid *py = ctx;
    int64_t n = mp_pg_col_int64(r, i, 2);
    struct mp_grid_cell c = {
        .gx = mp_pg_col_int64(r, i, 0),
        .gy = mp_pg_col_int64(r, i, 1),
        .clusters = n,
        .reports = mp_pg_col_int64(r, i, 3),
        .lon = mp_pg_col_double(r, i, 4) / (double)n,
        .lat = mp_pg_col_double(r, i, 5) / (double)n,
    };
    return py->cb(py->ctx, &c);
}

enum mp_status mp_pg_grid_pyramid(struct mp_store_sess *s, const struct mp_query *q, int zoom,
                                  mp_grid_cb cb, void *ctx)
{
    if (!q->has_bbox || q->district || q->since || q->until || zoom < 0 || zoom > 14)
        return MP_EUNSUPPORTED;
    int level = zoom <= 10 ? 10 : zoom <= 12 ? 12 : 14;
    double cell = 90.0 / (double)(1L << level);
    struct mp_pg_lists l;
    struct pyramid py = {cb, ctx};
    enum mp_status rc;
    if ((rc = mp_pg_lists_of(&l, q)))
        goto out;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, level);
    mp_pg_int64(&p, level - zoom);
    mp_pg_int64(&p, (int64_t)((q->bbox.min_lon + 180) / cell));
    mp_pg_int64(&p, (int64_t)((q->bbox.max_lon + 180) / cell));
    mp_pg_int64(&p, (int64_t)((q->bbox.min_lat + 90) / cell));
    mp_pg_int64(&p, (int64_t)((q->bbox.max_lat + 90) / cell));
    mp_pg_text(&p, l.categories);
    mp_pg_text(&p, l.statuses);
    rc = mp_pg_each(s, sql_pyramid, &p, pyramid_row, &py, "pyramid");
out:
    mp_pg_lists_free(&l);
    return rc;
}
