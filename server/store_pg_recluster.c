/* store_pg_recluster.c - the PostgreSQL reads of re-clustering (store.h):
 * every report in time order, the pairwise constraints, the clusters' ids
 * and the highest one. (Cluster states by id range are read with the other
 * state rows in store_pg_clusters.c.) */
#include <stdbool.h>
#include <stdint.h>

#include "store_pg.h"
#include "store_pg_engine.h"

/* Reports in (created_at, id) order, in keyset batches: a replay reads the
 * whole table, which must not arrive as one result in memory. $1 the
 * category (NULL: all), $2/$3 the key of the last row handed out, $4 the
 * batch size. */
#define REPLAY_BATCH 4096
static const char sql_replay[] =
    "SELECT id, cluster_id, created_at, category, address, lon, lat, x, y, municipality"
    " FROM reports"
    " WHERE ($1::text IS NULL OR category = $1::text) AND (created_at, id) > ($2::bigint,"
    " $3::bigint) ORDER BY created_at, id LIMIT $4::bigint";
/* In key order, as SQLite's primary key hands them out. */
static const char sql_constraints[] = "SELECT a, b, must FROM link_constraints ORDER BY a, b";
static const char sql_cluster_ids[] = "SELECT id, category FROM clusters ORDER BY id";
static const char sql_cluster_max[] = "SELECT coalesce(max(id), 0) FROM clusters";

struct replay {
    mp_replay_cb cb;
    void *ctx;
    int64_t last_at, last_id;
    int rows;
    bool stopped;
};

static int replay_row(void *ctx, const PGresult *r, int i)
{
    struct replay *c = ctx;
    struct mp_replay_row row = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .created_at = mp_pg_col_int64(r, i, 2),
        .category = mp_pg_col_text(r, i, 3),
        .address = mp_pg_col_text(r, i, 4),
        .lon = mp_pg_col_double(r, i, 5),
        .lat = mp_pg_col_double(r, i, 6),
        .x = mp_pg_col_double(r, i, 7),
        .y = mp_pg_col_double(r, i, 8),
        .municipality = mp_pg_col_text(r, i, 9),
    };
    c->rows++;
    c->last_at = row.created_at;
    c->last_id = row.id;
    if (c->cb(c->ctx, &row))
        c->stopped = true;
    return c->stopped;
}

enum mp_status mp_pg_replay_reports(struct mp_store_sess *s, const char *category, mp_replay_cb cb,
                                    void *ctx)
{
    struct replay c = {cb, ctx, INT64_MIN, INT64_MIN, 0, false};
    enum mp_status rc;
    do {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_text(&p, category);
        mp_pg_int64(&p, c.last_at);
        mp_pg_int64(&p, c.last_id);
        mp_pg_int64(&p, REPLAY_BATCH);
        c.rows = 0;
        rc = mp_pg_each(s, sql_replay, &p, replay_row, &c, "replay");
    } while (rc == MP_OK && !c.stopped && c.rows == REPLAY_BATCH);
    return rc;
}

struct constraints {
    mp_constraint_cb cb;
    void *ctx;
};

static int constraint_row(void *ctx, const PGresult *r, int i)
{
    const struct constraints *c = ctx;
    return c->cb(c->ctx, mp_pg_col_int64(r, i, 0), mp_pg_col_int64(r, i, 1),
                 mp_pg_col_bool(r, i, 2));
}

enum mp_status mp_pg_constraints(struct mp_store_sess *s, mp_constraint_cb cb, void *ctx)
{
    struct constraints c = {cb, ctx};
    return mp_pg_each(s, sql_constraints, NULL, constraint_row, &c, "constraints");
}

struct cluster_ids {
    mp_cluster_id_cb cb;
    void *ctx;
};

static int cluster_id_row(void *ctx, const PGresult *r, int i)
{
    const struct cluster_ids *c = ctx;
    return c->cb(c->ctx, mp_pg_col_int64(r, i, 0), mp_pg_col_text(r, i, 1));
}

enum mp_status mp_pg_cluster_ids(struct mp_store_sess *s, mp_cluster_id_cb cb, void *ctx)
{
    struct cluster_ids c = {cb, ctx};
    return mp_pg_each(s, sql_cluster_ids, NULL, cluster_id_row, &c, "cluster ids");
}

enum mp_status mp_pg_cluster_max_id(struct mp_store_sess *s, int64_t *max)
{
    *max = 0;
    return mp_pg_first(s, sql_cluster_max, NULL, mp_pg_row_int64, max, "cluster ids");
}
