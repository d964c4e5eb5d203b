/* store_pg_grid.c - the map's grid of clusters at low zoom on PostgreSQL:
 * cells summed from the clusters in a box (any filter), and the global
 * lattice of the pyramid's levels (10, 12, 14), which PostgreSQL sums from
 * the clusters themselves rather than from a table that triggers keep. The
 * cells are computed with the SQLite engine's formulas (store_sqlite_grid.c,
 * and its schema's grid_cells), so that both engines give the same cells. */
#include <stdbool.h>
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

/* The pyramid: each cluster's cell at the level (side $1 degrees, as the
 * SQLite triggers compute it), shifted right by $2 to the zoom's cell,
 * within the level's cells $3-$6 (gx from, to, gy from, to); $7, $8 the
 * lists. $9-$12 a box a little larger than those cells finds the clusters
 * on the GiST index; the cell test then decides, as on SQLite. Sums, not
 * averages: the SQLite engine divides sums of its pyramid's cells. */
#define LEVEL_GX "(trunc((c.lon + 180) / $1::float8)::bigint)"
#define LEVEL_GY "(trunc((c.lat + 90) / $1::float8)::bigint)"
static const char sql_pyramid[] =
    "SELECT " LEVEL_GX " >> $2::int AS gx, " LEVEL_GY " >> $2::int AS gy,"
    " count(*), sum(c.report_count), sum(c.lon), sum(c.lat) FROM clusters c"
    " WHERE c.geom && ST_MakeEnvelope($9::float8, $10::float8, $11::float8, $12::float8, 4326)"
    " AND " LEVEL_GX " BETWEEN $3::bigint AND $4::bigint"
    " AND " LEVEL_GY " BETWEEN $5::bigint AND $6::bigint"
    " AND ($7::json IS NULL OR c.category IN (SELECT json_array_elements_text($7::json)))"
    " AND ($8::json IS NULL OR c.status IN (SELECT json_array_elements_text($8::json)))"
    " GROUP BY gx, gy ORDER BY gx, gy";

/* The same cells for a wide box, where the GiST narrowing finds most of the
 * clusters anyway: every cluster summed once per level cell in a hash
 * (a few hundred groups), then the level cells in range folded into the
 * zoom's. Three to four times less PostgreSQL CPU than sql_pyramid for the
 * whole city (no per-row box test, no sort of every cluster by cell), and
 * its plan does not depend on the parameters' values; OFFSET 0 keeps the
 * range test out of the inner query, where it would make the planner expect
 * a handful of rows and sort them all again. $1-$8 as in sql_pyramid. */
static const char sql_pyramid_wide[] =
    "SELECT l.lgx >> $2::int, l.lgy >> $2::int, sum(l.n), sum(l.r), sum(l.sx), sum(l.sy)"
    " FROM (SELECT " LEVEL_GX " AS lgx, " LEVEL_GY " AS lgy, count(*) AS n,"
    " sum(c.report_count) AS r, sum(c.lon) AS sx, sum(c.lat) AS sy FROM clusters c"
    " WHERE ($7::json IS NULL OR c.category IN (SELECT json_array_elements_text($7::json)))"
    " AND ($8::json IS NULL OR c.status IN (SELECT json_array_elements_text($8::json)))"
    " GROUP BY 1, 2 OFFSET 0) l"
    " WHERE l.lgx BETWEEN $3::bigint AND $4::bigint AND l.lgy BETWEEN $5::bigint AND $6::bigint"
    " GROUP BY 1, 2 ORDER BY 1, 2";
/* Boxes of at least this many square degrees (about 8 x 11 km in Chicago,
 * a zoom-12 screen) take sql_pyramid_wide. */
#define WIDE_BOX_DEG2 0.01

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
    int64_t gx0 = (int64_t)((q->bbox.min_lon + 180) / cell);
    int64_t gx1 = (int64_t)((q->bbox.max_lon + 180) / cell);
    int64_t gy0 = (int64_t)((q->bbox.min_lat + 90) / cell);
    int64_t gy1 = (int64_t)((q->bbox.max_lat + 90) / cell);
    /* A cell's worth wider than the cells on each side: the box only
     * narrows the scan, the cell test above is exact. */
    struct mp_bbox box = {(double)(gx0 - 1) * cell - 180, (double)(gy0 - 1) * cell - 90,
                          (double)(gx1 + 2) * cell - 180, (double)(gy1 + 2) * cell - 90};
    struct mp_pg_lists l;
    struct pyramid py = {cb, ctx};
    enum mp_status rc;
    if ((rc = mp_pg_lists_of(&l, q)))
        goto out;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_double(&p, cell);
    mp_pg_int64(&p, level - zoom);
    mp_pg_int64(&p, gx0);
    mp_pg_int64(&p, gx1);
    mp_pg_int64(&p, gy0);
    mp_pg_int64(&p, gy1);
    mp_pg_text(&p, l.categories);
    mp_pg_text(&p, l.statuses);
    bool wide = (q->bbox.max_lon - q->bbox.min_lon) * (q->bbox.max_lat - q->bbox.min_lat) >=
                WIDE_BOX_DEG2;
    if (!wide)
        mp_pg_bbox(&p, &box);
    rc = mp_pg_each(s, wide ? sql_pyramid_wide : sql_pyramid, &p, pyramid_row, &py, "pyramid");
out:
    mp_pg_lists_free(&l);
    return rc;
}
