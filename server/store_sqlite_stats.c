/* store_stats.c - SQL of the service-level statistics (store_stats.h). */
#include "meldpunt/store_stats.h"

#include "store_sqlite.h"
#include "store_sqlite_engine.h"

/* The range uses the reports_created index; the fix time falls back to the
 * history for clusters whose fixed_at was never set (older data). */
static const char sql_reports[] =
    "SELECT r.created_at,"
    " CASE WHEN c.fixed_at > 0 THEN c.fixed_at ELSE IFNULL((SELECT max(h.at) FROM history h"
    "  WHERE h.cluster_id = r.cluster_id AND h.status = 'fixed'), 0) END,"
    " r.category, r.district, r.status"
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id"
    " WHERE r.created_at >= ?1 AND r.created_at < ?2"
    " AND (?3 IS NULL OR r.category = ?3) AND (?4 IS NULL OR r.district = ?4)";

struct stats {
    mp_stats_cb cb;
    void *ctx;
};

static int stats_row(void *ctx, sqlite3_stmt *st)
{
    const struct stats *c = ctx;
    struct mp_stats_row r = {
        .created_at = sqlite3_column_int64(st, 0),
        .fixed_at = sqlite3_column_int64(st, 1),
        .category = mp_col_text(st, 2),
        .district = mp_col_text(st, 3),
        .status = mp_col_text(st, 4),
    };
    if (!r.category || !r.status)
        return 0;
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                       const char *category, const char *district, mp_stats_cb cb,
                                       void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_reports);
    struct stats c = {cb, ctx};
    if (st) {
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, to);
        mp_bind_text(st, 3, category);
        mp_bind_text(st, 4, district);
    }
    return mp_stmt_each(s, st, stats_row, &c, "stats");
}
