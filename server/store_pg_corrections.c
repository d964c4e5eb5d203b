/* store_pg_corrections.c - SQL of staff corrections on PostgreSQL (the
 * twin of the corrections part of store_sqlite_clusters.c; contracts in
 * store.h): moving reports between clusters, deleting an emptied cluster,
 * and the log of corrections. (Inserting a cluster under a chosen id is
 * with the other cluster inserts, in store_pg_clusters.c.)
 *
 * Rows keep their municipality when they move: a report or history entry
 * pointed at a cluster of another municipality fails its foreign key
 * (MP_ECONFLICT), as duplicates never fold across municipalities. */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/timeutil.h"
#include "store_pg.h"
#include "store_pg_engine.h"

static const char sql_move_all[] =
    "UPDATE reports SET cluster_id = $2::bigint, status = $3, updated_at = $4::bigint"
    " WHERE cluster_id = $1::bigint";
static const char sql_set_cluster[] =
    "UPDATE reports SET cluster_id = $2::bigint, status = $3, join_reason = $4,"
    " updated_at = $5::bigint WHERE id = $1::bigint";
static const char sql_history_move[] =
    "UPDATE history SET cluster_id = $2::bigint WHERE cluster_id = $1::bigint";
static const char sql_history_del[] = "DELETE FROM history WHERE cluster_id = $1::bigint";
/* The assignment goes with the cluster (ON DELETE CASCADE). */
static const char sql_cluster_del[] = "DELETE FROM clusters WHERE id = $1::bigint";
static const char sql_correction[] =
    "INSERT INTO corrections (kind, report_id, from_cluster, to_cluster, actor, at)"
    " VALUES ($1, NULLIF($2::bigint, 0), NULLIF($3::bigint, 0), NULLIF($4::bigint, 0), $5,"
    " $6::bigint)";

enum mp_status mp_pg_reports_move_all(struct mp_store_sess *s, int64_t from, int64_t to,
                                      const char *status)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, from);
    mp_pg_int64(&p, to);
    mp_pg_text(&p, status);
    mp_pg_int64(&p, mp_time_now());
    return mp_pg_run(s, sql_move_all, &p, NULL, "move reports");
}

enum mp_status mp_pg_report_set_cluster(struct mp_store_sess *s, int64_t report_id,
                                        int64_t cluster_id, const char *status, const char *why)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, report_id);
    mp_pg_int64(&p, cluster_id);
    mp_pg_text(&p, status);
    mp_pg_text(&p, why);
    mp_pg_int64(&p, mp_time_now());
    int64_t changed = 0;
    enum mp_status rc = mp_pg_run(s, sql_set_cluster, &p, &changed, "report cluster");
    if (rc == MP_OK && changed == 0)
        return MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_pg_cluster_delete(struct mp_store_sess *s, int64_t id, int64_t heir)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    if (heir)
        mp_pg_int64(&p, heir);
    enum mp_status rc =
        mp_pg_run(s, heir ? sql_history_move : sql_history_del, &p, NULL, "cluster delete");
    if (rc)
        return rc;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_run(s, sql_cluster_del, &p, NULL, "cluster delete");
}

enum mp_status mp_pg_correction_add(struct mp_store_sess *s, const struct mp_correction_rec *c)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, c->kind);
    mp_pg_int64(&p, c->report_id);
    mp_pg_int64(&p, c->from_cluster);
    mp_pg_int64(&p, c->to_cluster);
    mp_pg_text(&p, c->actor);
    mp_pg_int64(&p, c->at ? c->at : mp_time_now());
    return mp_pg_run(s, sql_correction, &p, NULL, "correction");
}
