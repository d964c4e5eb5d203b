/* store_grid.c - the map's grid of clusters at low zoom: cells summed from
 * the clusters in a box (any filter), or from the grid_cells pyramid that
 * triggers keep (store_schema.c, migration 4 -> 5). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "meldpunt/store.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_sql.h"

static const char sql_grid_bbox[] =
    "SELECT CAST((c.lon - ?1) / ?12 AS INTEGER) AS gx, CAST((c.lat - ?2) / ?12 AS INTEGER) AS gy,"
    " count(*), sum(c.report_count), avg(c.lon), avg(c.lat) FROM clusters c"
    " WHERE " MP_SQL_CLUSTER_BBOX("c") MP_SQL_FILTERS("c") MP_SQL_AFTER("c")
        MP_SQL_CLUSTER_TIME " GROUP BY gx, gy";

struct grid {
    mp_grid_cb cb;
    void *ctx;
};

static int grid_row(void *ctx, sqlite3_stmt *st)
{
    const struct grid *g = ctx;
    struct mp_grid_cell c = {
        .gx = sqlite3_column_int64(st, 0),
        .gy = sqlite3_column_int64(st, 1),
        .clusters = sqlite3_column_int64(st, 2),
        .reports = sqlite3_column_int64(st, 3),
        .lon = sqlite3_column_double(st, 4),
        .lat = sqlite3_column_double(st, 5),
    };
    return g->cb(g->ctx, &c);
}

enum mp_status mp_sqlite_cluster_grid(struct mp_store_sess *s, const struct mp_query *q,
                                      double cell_deg, mp_grid_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_grid_bbox);
    struct grid g = {cb, ctx};
    if (!st || !q->has_bbox || !(cell_deg > 0))
        return MP_EINVAL;
    enum mp_status rc = mp_bind_query(st, q, true);
    if (rc) {
        mp_stmt_done(st);
        return rc;
    }
    sqlite3_bind_double(st, 12, cell_deg);
    return mp_stmt_each(s, st, grid_row, &g, "grid");
}

static const char sql_pyramid[] =
    "SELECT gx, gy, clusters, reports, sum_lon, sum_lat"
    " FROM grid_cells WHERE level = ?1 AND gx BETWEEN ?2 AND ?3 AND gy BETWEEN ?4 AND ?5"
    " AND (?6 IS NULL OR category IN (SELECT value FROM json_each(?6)))"
    " AND (?7 IS NULL OR status IN (SELECT value FROM json_each(?7)))";

/* Output cells summed in memory: at most this many (a screenful is a few
 * hundred). Bigger boxes (the whole world at a deep zoom) group in SQL,
 * which keeps only the cells that hold something. */
#define PYRAMID_MAX_CELLS 65536

static const char sql_pyramid_grouped[] =
    "SELECT gx >> ?8, gy >> ?8, sum(clusters), sum(reports), sum(sum_lon), sum(sum_lat)"
    " FROM grid_cells WHERE level = ?1 AND gx BETWEEN ?2 AND ?3 AND gy BETWEEN ?4 AND ?5"
    " AND (?6 IS NULL OR category IN (SELECT value FROM json_each(?6)))"
    " AND (?7 IS NULL OR status IN (SELECT value FROM json_each(?7)))"
    " GROUP BY 1, 2 HAVING sum(clusters) > 0";

struct pyr_cell {
    int64_t clusters, reports;
    double sum_lon, sum_lat;
};

/* Hand one output cell (sums over its pyramid cells) to cb. */
/* A pyramid query's rows on their way to cb: summed into cells (w x h
 * output cells from (ox, oy), each pyramid cell's gx, gy shifted right by
 * shift), or handed on one by one when SQL grouped them (cells NULL). */
struct pyramid {
    mp_grid_cb cb;
    void *ctx;
    int shift;
    int64_t ox, oy, w, h;
    struct pyr_cell *cells;
};

/* Hand one output cell (sums over its pyramid cells) to cb. */
static int pyr_emit(const struct pyramid *p, int64_t gx, int64_t gy, const struct pyr_cell *sum)
{
    struct mp_grid_cell c = {
        .gx = gx,
        .gy = gy,
        .clusters = sum->clusters,
        .reports = sum->reports,
        .lon = sum->sum_lon / (double)sum->clusters,
        .lat = sum->sum_lat / (double)sum->clusters,
    };
    return p->cb(p->ctx, &c);
}

static int pyr_grouped_row(void *ctx, sqlite3_stmt *st)
{
    const struct pyr_cell sum = {sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                                 sqlite3_column_double(st, 4), sqlite3_column_double(st, 5)};
    return pyr_emit(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), &sum);
}

static int pyr_sum_row(void *ctx, sqlite3_stmt *st)
{
    const struct pyramid *p = ctx;
    int64_t cx = (sqlite3_column_int64(st, 0) >> p->shift) - p->ox;
    int64_t cy = (sqlite3_column_int64(st, 1) >> p->shift) - p->oy;
    if (cx < 0 || cx >= p->w || cy < 0 || cy >= p->h)
        return 0; /* cannot happen: the WHERE bounds gx and gy */
    struct pyr_cell *c = &p->cells[cx * p->h + cy];
    c->clusters += sqlite3_column_int64(st, 2);
    c->reports += sqlite3_column_int64(st, 3);
    c->sum_lon += sqlite3_column_double(st, 4);
    c->sum_lat += sqlite3_column_double(st, 5);
    return 0;
}

enum mp_status mp_sqlite_grid_pyramid(struct mp_store_sess *s, const struct mp_query *q, int zoom,
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
    /* The pyramid's cells are summed into output cells in memory rather
     * than by GROUP BY: SQLite sorts a GROUP BY on computed keys, which was
     * nearly all of an uncached whole-city grid request (bench/README.md). */
    struct pyramid p = {.cb = cb, .ctx = ctx, .shift = level - zoom};
    p.ox = gx0 >> p.shift;
    p.oy = gy0 >> p.shift;
    p.w = (gx1 >> p.shift) - p.ox + 1;
    p.h = (gy1 >> p.shift) - p.oy + 1;
    bool grouped =
        p.w <= 0 || p.h <= 0 || p.w > PYRAMID_MAX_CELLS || p.h > PYRAMID_MAX_CELLS / p.w;
    if (!grouped && !(p.cells = calloc((size_t)(p.w * p.h), sizeof *p.cells)))
        return MP_ENOMEM;
    enum mp_status rc = MP_OK;
    sqlite3_stmt *st = mp_stmt(s, grouped ? sql_pyramid_grouped : sql_pyramid);
    if (!st) {
        rc = MP_EDB;
        goto out;
    }
    if (grouped)
        sqlite3_bind_int(st, 8, p.shift);
    sqlite3_bind_int(st, 1, level);
    sqlite3_bind_int64(st, 2, gx0);
    sqlite3_bind_int64(st, 3, gx1);
    sqlite3_bind_int64(st, 4, gy0);
    sqlite3_bind_int64(st, 5, gy1);
    if ((rc = mp_bind_list(st, 6, q->categories, q->ncategories, true)) ||
        (rc = mp_bind_list(st, 7, q->statuses, q->nstatuses, true))) {
        mp_stmt_done(st);
        goto out;
    }
    /* Two calls, not one with a chosen function: each then inlines its
     * row function (store_internal.h). */
    rc = grouped ? mp_stmt_each(s, st, pyr_grouped_row, &p, "pyramid")
                 : mp_stmt_each(s, st, pyr_sum_row, &p, "pyramid");
    if (rc)
        goto out;
    /* The order GROUP BY gave: by column, then row. */
    for (int64_t i = 0; !grouped && i < p.w * p.h; i++) {
        const struct pyr_cell *c = &p.cells[i];
        if (c->clusters > 0 && pyr_emit(&p, p.ox + i / p.h, p.oy + i % p.h, c))
            break;
    }
out:
    free(p.cells);
    return rc;
}
