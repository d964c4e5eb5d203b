/* store_pg_read.c - the PostgreSQL engine's listings of clusters (the map,
 * one cluster), the filter parameters every listing shares
 * (store_pg_read.h). The report listing lives with the report rows in
 * store_pg_reports.c. */
#include "store_pg_read.h"

#include <stdlib.h>

#include "meldpunt/buf.h"
#include "store_pg_engine.h"

/* ---- filters ---- */

enum mp_status mp_pg_json_list(const char *const *items, size_t n, char **json)
{
    *json = NULL;
    if (n == 0)
        return MP_OK;
    struct mp_buf b;
    mp_buf_init(&b, 64 * 1024);
    mp_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(&b, ',');
        mp_json_str(&b, items[i]);
    }
    mp_buf_addc(&b, ']');
    if (b.failed) {
        mp_buf_free(&b);
        return MP_ENOMEM;
    }
    size_t len;
    *json = mp_buf_steal(&b, &len);
    return *json ? MP_OK : MP_ENOMEM;
}

void mp_pg_lists_free(struct mp_pg_lists *l)
{
    free(l->categories);
    free(l->statuses);
    l->categories = l->statuses = NULL;
}

enum mp_status mp_pg_lists_of(struct mp_pg_lists *l, const struct mp_query *q)
{
    enum mp_status rc;
    l->categories = l->statuses = NULL;
    if ((rc = mp_pg_json_list(q->categories, q->ncategories, &l->categories)))
        return rc;
    return mp_pg_json_list(q->statuses, q->nstatuses, &l->statuses);
}

void mp_pg_query_add(struct mp_pg_params *p, const struct mp_query *q,
                     const struct mp_pg_lists *l, unsigned parts)
{
    mp_pg_text(p, l->categories);
    mp_pg_text(p, l->statuses);
    mp_pg_text(p, q->district);
    mp_pg_int64(p, q->since);
    mp_pg_int64(p, q->until);
    if (parts & (MP_PG_PAGE | MP_PG_AFTER))
        mp_pg_int64(p, q->after_id);
    if ((parts & MP_PG_PAGE) && q->limit)
        mp_pg_int64(p, (int64_t)q->limit);
    else if (parts & MP_PG_PAGE)
        mp_pg_text(p, NULL); /* LIMIT NULL: all */
    if (parts & MP_PG_UPDATED) {
        mp_pg_int64(p, q->updated_since);
        mp_pg_int64(p, q->updated_until);
    }
    if ((parts & MP_PG_BOX) && q->has_bbox)
        mp_pg_bbox(p, &q->bbox);
}

void mp_pg_bbox(struct mp_pg_params *p, const struct mp_bbox *b)
{
    mp_pg_double(p, b->min_lon);
    mp_pg_double(p, b->min_lat);
    mp_pg_double(p, b->max_lon);
    mp_pg_double(p, b->max_lat);
}

enum mp_status mp_pg_listing(struct mp_store_sess *s, const struct mp_query *q, const char *sql,
                             const char *sql_box, mp_pg_row_fn row, void *ctx, const char *what)
{
    struct mp_pg_lists l;
    enum mp_status rc = mp_pg_lists_of(&l, q);
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_query_add(&p, q, &l, MP_PG_PAGE | MP_PG_BOX);
        rc = mp_pg_each(s, q->has_bbox ? sql_box : sql, &p, row, ctx, what);
    }
    mp_pg_lists_free(&l);
    return rc;
}

/* ---- clusters ---- */

#define CLUSTER_COLS                                                                               \
    "c.id, c.report_count, c.first_at, c.last_at, c.created_at, c.updated_at, c.category,"         \
    " c.status, c.district, c.lon, c.lat, c.location"
#define CLUSTER_WHERE MP_PG_FILTERS("c") MP_PG_AFTER("c") MP_PG_CLUSTER_TIME
static const char sql_clusters_all[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE true" CLUSTER_WHERE
    " ORDER BY c.id" MP_PG_LIMIT;
static const char sql_clusters_bbox[] =
    "SELECT " CLUSTER_COLS " FROM clusters c WHERE true" CLUSTER_WHERE
        MP_PG_BBOX("c", "$8", "$9", "$10", "$11") " ORDER BY c.id" MP_PG_LIMIT;
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
