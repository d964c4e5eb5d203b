/* store_pg_clusters.c - SQL of clusters on PostgreSQL: the candidate
 * look-up and state of the duplicate folding (on the metric GiST index),
 * creating and updating clusters, status and history (written and read),
 * and the members' aggregates and pairwise constraints that a report
 * submission writes. */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/timeutil.h"
#include "store_pg.h"
#include "store_pg_engine.h"

#define STATE_COLS                                                                                 \
    "c.id, c.category, c.status, c.report_count, c.x, c.y, c.sum_x, c.sum_y, c.lon, c.lat, "       \
    "c.first_at, c.last_at, c.fixed_at, c.district, c.street, c.location, c.municipality"

/* The box on the metric index, then the time test. Ordered as the SQLite
 * engine's (category, cell, x, y) index hands its rows out: by 128 m cell
 * column, cell, x, y, id, so that ties between equally good candidates
 * break the same way on both engines (and the cap keeps the same ones). */
static const char sql_candidates[] =
    "SELECT " STATE_COLS " FROM clusters c WHERE c.municipality = $9 AND c.category = $1"
    " AND c.metric && ST_MakeEnvelope($2::float8, $3::float8, $4::float8, $5::float8)"
    " AND c.last_at >= $6::bigint AND c.first_at <= $7::bigint"
    " ORDER BY floor(c.x / 128.0 + 1048576), floor(c.y / 128.0 + 1048576), c.x, c.y, c.id"
    " LIMIT $8::bigint";
/* The candidates' plan is the same GiST scan of clusters_metric whatever
 * the parameters, but PostgreSQL prices the generic plan above the custom
 * one (32.6 against 8.3 at 100k clusters) and so plans the statement again
 * on every call: 0.35-0.54 ms of planning against 0.07 ms of execution,
 * inside the writers' lock. Forced generic for the rest of the transaction
 * (SET LOCAL: the reads' sessions and transactions keep the default); the
 * statements that follow in a writer's transaction are key look-ups and
 * inserts, whose generic plans are their custom ones. */
static const char sql_generic_plans[] = "SET LOCAL plan_cache_mode = force_generic_plan";
static const char sql_state[] = "SELECT " STATE_COLS " FROM clusters c WHERE c.id = $1::bigint";
/* pgreads: re-clustering reads states in blocks of ids. */
static const char sql_states_range[] =
    "SELECT " STATE_COLS " FROM clusters c"
    " WHERE c.id BETWEEN $1::bigint AND $2::bigint ORDER BY c.id";
static const char sql_insert[] =
    "INSERT INTO clusters (municipality, category, status, report_count, x, y, sum_x, sum_y,"
    " lon, lat, first_at, last_at, fixed_at, district, created_at, updated_at, street, location,"
    " geom, metric) VALUES ($1, $2, $3, $4::bigint, $5::float8, $6::float8, $7, $8, $9::float8,"
    " $10::float8, $11, $12, $13, $14, $15::bigint, $15::bigint, $16, $17,"
    " ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326), ST_MakePoint($5::float8,"
    " $6::float8)) RETURNING id";
/* The same row under an id the caller chose (re-clustering, the undo of a
 * merge): refused (no row, MP_ECONFLICT) when a cluster of any
 * municipality has that id, as SQLite's primary key would. The identity
 * sequence is moved past it so that later clusters never take it (setval
 * is not undone by a rollback: an id is skipped then, never reused). */
static const char sql_insert_id[] =
    "WITH ins AS (INSERT INTO clusters (municipality, category, status, report_count, x, y,"
    " sum_x, sum_y, lon, lat, first_at, last_at, fixed_at, district, created_at, updated_at,"
    " street, location, geom, metric, id) OVERRIDING SYSTEM VALUE SELECT $1, $2, $3, $4::bigint,"
    " $5::float8, $6::float8, $7, $8, $9::float8, $10::float8, $11, $12, $13, $14, $15::bigint,"
    " $15::bigint, $16, $17, ST_SetSRID(ST_MakePoint($9::float8, $10::float8), 4326),"
    " ST_MakePoint($5::float8, $6::float8), $18::bigint"
    " WHERE NOT EXISTS (SELECT 1 FROM clusters WHERE id = $18::bigint) RETURNING id)"
    " SELECT setval(pg_get_serial_sequence('clusters', 'id'), greatest(ins.id,"
    " coalesce(pg_sequence_last_value(pg_get_serial_sequence('clusters', 'id')::regclass), 1)))"
    " FROM ins";
static const char sql_update[] =
    "UPDATE clusters SET status = $2, report_count = $3::bigint, x = $4::float8, y = $5::float8,"
    " sum_x = $6, sum_y = $7, lon = $8::float8, lat = $9::float8, first_at = $10, last_at = $11,"
    " fixed_at = $12, district = $13, updated_at = $14, street = $15, location = $16,"
    " geom = ST_SetSRID(ST_MakePoint($8::float8, $9::float8), 4326),"
    " metric = ST_MakePoint($4::float8, $5::float8) WHERE id = $1::bigint";
static const char sql_cluster_status[] = "UPDATE clusters SET status = $2, fixed_at = $3,"
                                         " updated_at = $4 WHERE id = $1::bigint";
static const char sql_reports_status[] = "UPDATE reports SET status = $2, updated_at = $3"
                                         " WHERE cluster_id = $1::bigint";
/* Children take their municipality from their parent row; none (NULL) is
 * refused like the foreign key it stands for. */
static const char sql_history_insert[] =
    "INSERT INTO history (municipality, cluster_id, report_id, at, status, note, note_public,"
    " actor) VALUES ((SELECT municipality FROM clusters WHERE id = $1::bigint), $1,"
    " NULLIF($2::bigint, 0), $3, $4, $5, $6, $7) RETURNING id";
/* pgwrite: the same without the id, sent ahead (mp_pg_run_later). */
static const char sql_history_add[] =
    "INSERT INTO history (municipality, cluster_id, report_id, at, status, note, note_public,"
    " actor) VALUES ((SELECT municipality FROM clusters WHERE id = $1::bigint), $1,"
    " NULLIF($2::bigint, 0), $3, $4, $5, $6, $7)";
static const char sql_history[] =
    "SELECT id, cluster_id, coalesce(report_id, 0), at, status, note, note_public, actor"
    " FROM history WHERE cluster_id = $1::bigint ORDER BY at, id";
static const char sql_members[] =
    "SELECT count(*), coalesce(min(created_at), 0), coalesce(max(created_at), 0),"
    " coalesce(sum(x), 0), coalesce(sum(y), 0),"
    " coalesce((SELECT id FROM reports WHERE cluster_id = $1::bigint"
    " ORDER BY created_at, id LIMIT 1), 0)"
    " FROM reports WHERE cluster_id = $1::bigint";
static const char sql_constraint[] =
    "INSERT INTO link_constraints (municipality, a, b, must, at) VALUES ((SELECT municipality"
    " FROM reports WHERE id = $1::bigint), $1, $2, $3, $4)"
    " ON CONFLICT (a, b, municipality) DO UPDATE SET must = excluded.must, at = excluded.at";

static void read_state(const PGresult *r, int i, struct mp_cluster_state *c)
{
    c->id = mp_pg_col_int64(r, i, 0);
    mp_pg_col_copy(c->category, sizeof c->category, r, i, 1);
    mp_pg_col_copy(c->status, sizeof c->status, r, i, 2);
    c->report_count = mp_pg_col_int64(r, i, 3);
    c->x = mp_pg_col_double(r, i, 4);
    c->y = mp_pg_col_double(r, i, 5);
    c->sum_x = mp_pg_col_double(r, i, 6);
    c->sum_y = mp_pg_col_double(r, i, 7);
    c->lon = mp_pg_col_double(r, i, 8);
    c->lat = mp_pg_col_double(r, i, 9);
    c->first_at = mp_pg_col_int64(r, i, 10);
    c->last_at = mp_pg_col_int64(r, i, 11);
    c->fixed_at = mp_pg_col_int64(r, i, 12);
    mp_pg_col_copy(c->district, sizeof c->district, r, i, 13);
    mp_pg_col_copy(c->street, sizeof c->street, r, i, 14);
    mp_pg_col_copy(c->location, sizeof c->location, r, i, 15);
    mp_pg_col_copy(c->municipality, sizeof c->municipality, r, i, 16);
}

struct candidates {
    struct mp_cluster_state *out;
    size_t cap, n;
};

static int candidate_row(void *ctx, const PGresult *r, int i)
{
    struct candidates *c = ctx;
    if (c->n < c->cap)
        read_state(r, i, &c->out[c->n++]);
    return 0;
}

enum mp_status mp_pg_cluster_candidates(struct mp_store_sess *s, const char *municipality,
                                        const char *category, double x, double y, double r,
                                        int64_t t, int64_t window, struct mp_cluster_state *out,
                                        size_t cap, size_t *n)
{
    int64_t since = window >= 0 && t > INT64_MIN + window ? t - window : INT64_MIN;
    int64_t until = window >= 0 && t < INT64_MAX - window ? t + window : INT64_MAX;
    struct candidates c = {out, cap, 0};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, category);
    mp_pg_double(&p, x - r);
    mp_pg_double(&p, y - r);
    mp_pg_double(&p, x + r);
    mp_pg_double(&p, y + r);
    mp_pg_int64(&p, since);
    mp_pg_int64(&p, until);
    mp_pg_int64(&p, (int64_t)cap);
    mp_pg_text(&p, municipality);
    struct mp_pg_sess *ps = mp_pg_sess(s);
    enum mp_status rc = MP_OK;
    if (ps->in_tx && !ps->generic_plans &&
        (rc = mp_pg_run(s, sql_generic_plans, NULL, NULL, "candidates plan")) == MP_OK)
        ps->generic_plans = true;
    if (rc == MP_OK)
        rc = mp_pg_each(s, sql_candidates, &p, candidate_row, &c, "candidates");
    *n = c.n;
    return rc;
}

static int state_row(void *ctx, const PGresult *r, int i)
{
    read_state(r, i, ctx);
    return 1;
}

enum mp_status mp_pg_cluster_state(struct mp_store_sess *s, int64_t id,
                                   struct mp_cluster_state *out)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_state, &p, state_row, out, "cluster");
}

/* pgreads */
struct states {
    mp_state_cb cb;
    void *ctx;
};

static int states_row(void *ctx, const PGresult *r, int i)
{
    const struct states *c = ctx;
    struct mp_cluster_state cs;
    read_state(r, i, &cs);
    return c->cb(c->ctx, &cs);
}

enum mp_status mp_pg_cluster_states_range(struct mp_store_sess *s, int64_t lo, int64_t hi,
                                          mp_state_cb cb, void *ctx)
{
    struct states c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, lo);
    mp_pg_int64(&p, hi);
    return mp_pg_each(s, sql_states_range, &p, states_row, &c, "states");
}

/* The fields of a state that insert and update write alike: report_count
 * to location, with the time of the write. */
static void add_state(struct mp_pg_params *p, const struct mp_cluster_state *c)
{
    mp_pg_int64(p, c->report_count);
    mp_pg_double(p, c->x);
    mp_pg_double(p, c->y);
    mp_pg_double(p, c->sum_x);
    mp_pg_double(p, c->sum_y);
    mp_pg_double(p, c->lon);
    mp_pg_double(p, c->lat);
    mp_pg_int64(p, c->first_at);
    mp_pg_int64(p, c->last_at);
    mp_pg_int64(p, c->fixed_at);
    mp_pg_text(p, c->district[0] ? c->district : NULL);
    mp_pg_int64(p, mp_time_now());
    mp_pg_text(p, c->street[0] ? c->street : NULL);
    mp_pg_text(p, c->location[0] ? c->location : NULL);
}

/* The parameters of a new cluster row (both inserts): $1 to $17. */
static void add_new(struct mp_pg_params *p, const struct mp_cluster_state *c)
{
    mp_pg_params_init(p);
    mp_pg_text(p, c->municipality);
    mp_pg_text(p, c->category);
    mp_pg_text(p, c->status);
    add_state(p, c);
}

enum mp_status mp_pg_cluster_create(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                    int64_t *id)
{
    struct mp_pg_params p;
    add_new(&p, c);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_insert, &p, mp_pg_row_int64, id, "cluster insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    struct mp_pg_params p;
    add_new(&p, c);
    mp_pg_int64(&p, c->id);
    enum mp_status rc = mp_pg_first(s, sql_insert_id, &p, NULL, NULL, "cluster insert");
    return rc == MP_ENOTFOUND ? MP_ECONFLICT : rc;
}

enum mp_status mp_pg_cluster_update(struct mp_store_sess *s, const struct mp_cluster_state *c)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, c->id);
    mp_pg_text(&p, c->status);
    add_state(&p, c);
    return mp_pg_run_later(s, sql_update, &p, "cluster update");
}

enum mp_status mp_pg_cluster_set_status(struct mp_store_sess *s, int64_t id, const char *status,
                                        int64_t fixed_at, int64_t now)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_text(&p, status);
    mp_pg_int64(&p, fixed_at);
    mp_pg_int64(&p, now);
    enum mp_status rc = mp_pg_run(s, sql_cluster_status, &p, NULL, "status");
    if (rc)
        return rc;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_text(&p, status);
    mp_pg_int64(&p, now);
    return mp_pg_run(s, sql_reports_status, &p, NULL, "status");
}

static void history_params(struct mp_pg_params *p, const struct mp_history_rec *h)
{
    mp_pg_params_init(p);
    mp_pg_int64(p, h->cluster_id);
    mp_pg_int64(p, h->report_id);
    mp_pg_int64(p, h->at);
    mp_pg_text(p, h->status);
    mp_pg_text(p, h->note);
    mp_pg_bool(p, h->note_public);
    mp_pg_text(p, h->actor);
}

enum mp_status mp_pg_history_insert(struct mp_store_sess *s, const struct mp_history_rec *h,
                                    int64_t *id)
{
    struct mp_pg_params p;
    history_params(&p, h);
    *id = 0;
    enum mp_status rc =
        mp_pg_first(s, sql_history_insert, &p, mp_pg_row_int64, id, "history insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_history_add(struct mp_store_sess *s, const struct mp_history_rec *h)
{
    struct mp_pg_params p;
    history_params(&p, h);
    return mp_pg_run_later(s, sql_history_add, &p, "history insert");
}

struct history {
    mp_history_cb cb;
    void *ctx;
};

static int history_row(void *ctx, const PGresult *r, int i)
{
    const struct history *c = ctx;
    struct mp_history_row h = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .report_id = mp_pg_col_int64(r, i, 2),
        .at = mp_pg_col_int64(r, i, 3),
        .status = mp_pg_col_text(r, i, 4),
        .note = mp_pg_col_text(r, i, 5),
        .note_public = mp_pg_col_bool(r, i, 6),
        .actor = mp_pg_col_text(r, i, 7),
    };
    return c->cb(c->ctx, &h);
}

enum mp_status mp_pg_history(struct mp_store_sess *s, int64_t cluster_id, mp_history_cb cb,
                             void *ctx)
{
    struct history c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster_id);
    return mp_pg_each(s, sql_history, &p, history_row, &c, "history");
}

static int members_row(void *ctx, const PGresult *r, int i)
{
    struct mp_member_stats *o = ctx;
    o->count = mp_pg_col_int64(r, i, 0);
    o->first_at = mp_pg_col_int64(r, i, 1);
    o->last_at = mp_pg_col_int64(r, i, 2);
    o->sum_x = mp_pg_col_double(r, i, 3);
    o->sum_y = mp_pg_col_double(r, i, 4);
    o->first_report = mp_pg_col_int64(r, i, 5);
    return 1;
}

enum mp_status mp_pg_cluster_members(struct mp_store_sess *s, int64_t id, struct mp_member_stats *o)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_members, &p, members_row, o, "members");
}

enum mp_status mp_pg_constraint_add(struct mp_store_sess *s, int64_t a, int64_t b, bool must,
                                    int64_t at)
{
    if (a == b || a <= 0 || b <= 0)
        return MP_OK;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    /* One row per unordered pair: the later word wins. */
    mp_pg_int64(&p, a < b ? a : b);
    mp_pg_int64(&p, a < b ? b : a);
    mp_pg_bool(&p, must);
    mp_pg_int64(&p, at ? at : mp_time_now());
    return mp_pg_run(s, sql_constraint, &p, NULL, "constraint");
}
