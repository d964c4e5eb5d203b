/* store_info.c - read-only facts about a store session that tests and
 * diagnostics ask for: the synchronous mode its connection really runs with
 * (MELDPUNT_SYNC -> struct mp_config -> struct mp_store_opts -> PRAGMA), so
 * that a test can check the whole chain rather than one link of it. */
#include "meldpunt/store.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"

/* A pragma's value is read at each step, so a cached statement is right. */
static const char sql_synchronous[] = "PRAGMA synchronous";

enum mp_status mp_sqlite_sync_mode(struct mp_store_sess *sess, int *mode)
{
    int64_t v = -1;
    enum mp_status rc =
        mp_stmt_first(sess, mp_stmt(sess, sql_synchronous), mp_row_int64, &v, "synchronous");
    *mode = rc == MP_OK ? (int)v : -1;
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

/* ---- figures for /metrics ---- */

static const char sql_report_status[] = "SELECT status, count(*) FROM reports GROUP BY status";
static const char sql_cluster_status[] = "SELECT status, count(*) FROM clusters GROUP BY status";
static const char sql_db_bytes[] =
    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";

struct status_rows {
    mp_store_status_count_cb cb;
    void *ctx;
};

static int status_row(void *p, sqlite3_stmt *st)
{
    const struct status_rows *sr = p;
    const char *status = (const char *)sqlite3_column_text(st, 0);
    sr->cb(sr->ctx, status ? status : "", sqlite3_column_int64(st, 1));
    return 0;
}

enum mp_status mp_sqlite_status_counts(struct mp_store_sess *sess, bool clusters,
                                       mp_store_status_count_cb cb, void *ctx)
{
    struct status_rows sr = {cb, ctx};
    return mp_stmt_each(sess, mp_stmt(sess, clusters ? sql_cluster_status : sql_report_status),
                        status_row, &sr, "status counts");
}

enum mp_status mp_sqlite_size_bytes(struct mp_store_sess *sess, int64_t *bytes)
{
    *bytes = -1;
    enum mp_status rc =
        mp_stmt_first(sess, mp_stmt(sess, sql_db_bytes), mp_row_int64, bytes, "database size");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}
