/* store_pg_stats.c - the rows behind the service-level statistics on
 * PostgreSQL (store_stats.h). */
#include "meldpunt/store_stats.h"

#include "store_pg.h"
#include "store_pg_engine.h"

/* The range uses the reports_created index; the fix time falls back to the
 * history for clusters whose fixed_at was never set (older data). A year
 * of a city is many rows: they come in keyset batches of (created_at, id)
 * ($5, $6: the last row's), $7 rows each, not as one result. */
#define STATS_BATCH 4096
static const char sql_reports[] =
    "SELECT r.created_at,"
    " CASE WHEN c.fixed_at > 0 THEN c.fixed_at ELSE coalesce((SELECT max(h.at) FROM history h"
    "  WHERE h.cluster_id = r.cluster_id AND h.municipality = r.municipality"
    "  AND h.status = 'fixed'), 0) END,"
    " r.category, r.district, r.status, r.id"
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality"
    " WHERE r.created_at >= $1::bigint AND r.created_at < $2::bigint"
    " AND ($3::text IS NULL OR r.category = $3::text)"
    " AND ($4::text IS NULL OR r.district = $4::text)"
    " AND (r.created_at, r.id) > ($5::bigint, $6::bigint)"
    " ORDER BY r.created_at, r.id LIMIT $7::bigint";

struct stats {
    mp_stats_cb cb;
    void *ctx;
    int64_t last_at, last_id;
    int rows;
    bool stopped;
};

static int stats_row(void *ctx, const PGresult *r, int i)
{
    struct stats *c = ctx;
    struct mp_stats_row row = {
        .created_at = mp_pg_col_int64(r, i, 0),
        .fixed_at = mp_pg_col_int64(r, i, 1),
        .category = mp_pg_col_text(r, i, 2),
        .district = mp_pg_col_text(r, i, 3),
        .status = mp_pg_col_text(r, i, 4),
    };
    c->rows++;
    c->last_at = row.created_at;
    c->last_id = mp_pg_col_int64(r, i, 5);
    if (row.category && row.status && c->cb(c->ctx, &row))
        c->stopped = true;
    return c->stopped;
}

enum mp_status mp_pg_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                   const char *category, const char *district, mp_stats_cb cb,
                                   void *ctx)
{
    struct stats c = {cb, ctx, INT64_MIN, INT64_MIN, 0, false};
    enum mp_status rc;
    do {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_int64(&p, from);
        mp_pg_int64(&p, to);
        mp_pg_text(&p, category);
        mp_pg_text(&p, district);
        mp_pg_int64(&p, c.last_at);
        mp_pg_int64(&p, c.last_id);
        mp_pg_int64(&p, STATS_BATCH);
        c.rows = 0;
        rc = mp_pg_each(s, sql_reports, &p, stats_row, &c, "stats");
    } while (rc == MP_OK && !c.stopped && c.rows == STATS_BATCH);
    return rc;
}
