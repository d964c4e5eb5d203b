/* store_pg_copy.c - the PostgreSQL side of copy-store (store_copy.h):
 * whole tables read in key order through a cursor (bounded batches in the
 * caller's REPEATABLE READ transaction: one snapshot) and written back with
 * their ids (OVERRIDING SYSTEM VALUE).
 *
 * The statements are made from the table descriptions (copystore_tables.c)
 * once and kept: see store_copy_sql.h.
 *
 * Derived columns: reports and clusters get geom (and clusters metric) as
 * the store's inserts make them (store_pg_clusters.c); a child row's
 * municipality comes from its parent (the description's muni_from). Text
 * keys are ordered COLLATE "C": bytewise, as SQLite orders them. */
#include "meldpunt/store_copy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_copy_sql.h"
#include "store_pg.h"
#include "store_pg_engine.h"

/* Rows per FETCH: a few MiB at most even for photo tables. */
#define FETCH_ROWS "256"

static const char sql_seq_last[] =
    "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass), 0)";
static const char sql_seq_set[] = "SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint)";

static const char *cast(enum mp_copy_type type)
{
    switch (type) {
    case MP_COPY_INT:
        return "bigint";
    case MP_COPY_REAL:
        return "float8";
    case MP_COPY_BOOL:
        return "boolean";
    case MP_COPY_BLOB:
        return "bytea";
    case MP_COPY_TEXT:
        break;
    }
    return "text";
}

static bool has_muni(const struct mp_copy_table *t)
{
    return t->muni_from[0][0] != NULL;
}

static void build(struct mp_buf *b, const struct mp_copy_table *t, int which)
{
    if (which == MP_COPY_SQL_ROWS) {
        /* A cursor of the caller's transaction: the rows arrive FETCH by
         * FETCH, never the whole table in one result. */
        mp_buf_adds(b, "DECLARE mp_copy NO SCROLL CURSOR FOR ");
    }
    if (which != MP_COPY_SQL_INSERT) {
        mp_copy_sql_common(b, t, which, true);
        return;
    }
    bool point = mp_copy_is(t, "reports") || mp_copy_is(t, "clusters");
    mp_copy_sql_insert_head(b, t, true);
    if (has_muni(t))
        mp_buf_adds(b, ", municipality");
    if (point)
        mp_buf_adds(b, ", geom");
    if (mp_copy_is(t, "clusters"))
        mp_buf_adds(b, ", metric");
    mp_buf_printf(b, ")%s VALUES (", t->id_seq ? " OVERRIDING SYSTEM VALUE" : "");
    for (size_t i = 0; i < t->ncols; i++)
        mp_buf_printf(b, "%s$%zu::%s", i ? ", " : "", i + 1, cast(t->cols[i].type));
    if (has_muni(t)) {
        mp_buf_adds(b, ", coalesce(");
        for (size_t k = 0; k < 2 && t->muni_from[k][0]; k++)
            mp_buf_printf(b, "%s(SELECT municipality FROM \"%s\" WHERE id = $%d::bigint)",
                          k ? ", " : "", t->muni_from[k][0],
                          mp_copy_col(t, t->muni_from[k][1]) + 1);
        if (t->muni_required)
            mp_buf_adds(b, ", (SELECT min(municipality) FROM clusters)");
        mp_buf_adds(b, ")");
    }
    if (point)
        mp_buf_printf(b, ", ST_SetSRID(ST_MakePoint($%d::float8, $%d::float8), 4326)",
                      mp_copy_col(t, "lon") + 1, mp_copy_col(t, "lat") + 1);
    if (mp_copy_is(t, "clusters"))
        mp_buf_printf(b, ", ST_MakePoint($%d::float8, $%d::float8)", mp_copy_col(t, "x") + 1,
                      mp_copy_col(t, "y") + 1);
    mp_buf_adds(b, ")");
}

static const char *sql_for(const struct mp_copy_table *t, int which)
{
    return mp_copy_sql(t, which, build);
}

enum mp_status mp_pg_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t, int64_t *n)
{
    const char *sql = sql_for(t, MP_COPY_SQL_COUNT);
    *n = 0;
    return sql ? mp_pg_first(s, sql, NULL, mp_pg_row_int64, n, t->name) : MP_ENOMEM;
}

/* Run a statement without parameters outside the statement cache (the
 * cursor's DECLARE, FETCH and CLOSE); its result in *out when out. */
static enum mp_status direct(struct mp_store_sess *s, const char *sql, PGresult **out,
                             const char *what)
{
    struct mp_pg_sess *ps = mp_pg_sess(s);
    PGresult *r = PQexec(ps->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    enum mp_status rc =
        st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? MP_OK : mp_pg_status(ps, r, what);
    if (rc == MP_OK && out)
        *out = r;
    else
        PQclear(r);
    return rc;
}

/* Row i of r as values of t into v; bytea is decoded into NEW buffers
 * listed in blobs (freed by the caller). */
static enum mp_status decode(const struct mp_copy_table *t, const PGresult *r, int i,
                             struct mp_copy_value *v, unsigned char **blobs)
{
    for (size_t c = 0; c < t->ncols; c++) {
        int ci = (int)c;
        memset(&v[c], 0, sizeof v[c]);
        blobs[c] = NULL;
        v[c].null = PQgetisnull(r, i, ci);
        if (v[c].null)
            continue;
        const char *s = PQgetvalue(r, i, ci);
        switch (t->cols[c].type) {
        case MP_COPY_INT:
            v[c].i = strtoll(s, NULL, 10);
            break;
        case MP_COPY_BOOL:
            v[c].i = s[0] == 't';
            break;
        case MP_COPY_REAL:
            v[c].d = strtod(s, NULL);
            break;
        case MP_COPY_TEXT:
            v[c].p = s;
            v[c].len = (size_t)PQgetlength(r, i, ci);
            break;
        case MP_COPY_BLOB: {
            size_t len = 0;
            blobs[c] = PQunescapeBytea((const unsigned char *)s, &len);
            if (!blobs[c])
                return MP_ENOMEM;
            v[c].p = blobs[c];
            v[c].len = len;
            break;
        }
        }
    }
    return MP_OK;
}

enum mp_status mp_pg_copy_rows(struct mp_store_sess *s, const struct mp_copy_table *t,
                               mp_copy_row_cb cb, void *ctx)
{
    struct mp_copy_value v[MP_COPY_MAX_COLS];
    unsigned char *blobs[MP_COPY_MAX_COLS];
    const char *sql = sql_for(t, MP_COPY_SQL_ROWS);
    if (!sql)
        return MP_ENOMEM;
    if (t->ncols > MP_COPY_MAX_COLS)
        return MP_EINVAL;
    enum mp_status rc = direct(s, sql, NULL, t->name);
    bool stop = false;
    while (rc == MP_OK && !stop) {
        PGresult *r = NULL;
        if ((rc = direct(s, "FETCH " FETCH_ROWS " FROM mp_copy", &r, t->name)))
            break;
        int n = PQntuples(r);
        for (int i = 0; rc == MP_OK && !stop && i < n; i++) {
            rc = decode(t, r, i, v, blobs);
            if (rc == MP_OK && cb(ctx, t, v))
                stop = true;
            for (size_t c = 0; c < t->ncols; c++)
                PQfreemem(blobs[c]);
        }
        PQclear(r);
        if (n == 0)
            break;
    }
    if (rc == MP_OK)
        rc = direct(s, "CLOSE mp_copy", NULL, t->name);
    return rc;
}

/* Inserts are sent in pipeline mode: PIPELINE_ROWS rows go out before
 * their results are read, instead of one round trip a row (a copy is
 * mostly inserts: several times faster on a busy machine). The results of a
 * batch are tiny, so neither side's socket buffer fills and blocking mode
 * cannot deadlock. The state is per connection (copy-store uses one). */
#define PIPELINE_ROWS 64
#define MAX_CONNS 8
#define MAX_PREPARED 128

static struct pipe {
    PGconn *conn;
    int queued;
    enum mp_status rc; /* the first failure of the rows sent */
    const char *resume; /* the trigger to enable again after the table (below) */
} pipes[MAX_CONNS];

/* The change counter's statement triggers (store_pg_schema.c) would fire
 * once per inserted row. Up to schema 12 every firing updated the
 * counter's one row (each update stepping over the dead versions of all
 * before it: the copy of 100,000 reports ran for more than ten minutes);
 * since 13 a firing only marks the transaction, but a plpgsql call per row
 * is still waste, and the copy's rows may travel on connections other
 * than the one that commits. So they stay off while their table is filled (ALTER TABLE in the
 * copy's transaction: the target is empty and locked for it) and the
 * counter moves once afterwards. ALTER TABLE refuses to run while
 * deferred foreign-key checks wait: they are made at once first. */
#define RESUME(table)                                                                            \
    "SET CONSTRAINTS ALL IMMEDIATE; ALTER TABLE " table " ENABLE TRIGGER " table "_changed;"      \
    " SET CONSTRAINTS ALL DEFERRED"
static const struct {
    const char *table, *off, *on;
} counted[] = {
    {"reports", "ALTER TABLE reports DISABLE TRIGGER reports_changed", RESUME("reports")},
    {"clusters", "ALTER TABLE clusters DISABLE TRIGGER clusters_changed", RESUME("clusters")},
};
static const char sql_changed[] = "UPDATE change_counter SET n = n + 1 WHERE id = 1";
static struct {
    PGconn *conn;
    const char *sql;
} prepared[MAX_PREPARED];
static size_t nprepared;
static pthread_mutex_t pipe_lock = PTHREAD_MUTEX_INITIALIZER;

static struct pipe *pipe_of(PGconn *conn)
{
    struct pipe *free_slot = NULL;
    for (size_t i = 0; i < MAX_CONNS; i++) {
        if (pipes[i].conn == conn)
            return &pipes[i];
        if (!pipes[i].conn && !free_slot)
            free_slot = &pipes[i];
    }
    if (free_slot)
        *free_slot = (struct pipe){conn, 0, MP_OK, NULL};
    return free_slot;
}

/* The name sql is prepared under on ps's connection ("mpc<n>"), prepared
 * now (outside pipeline mode) on first use. */
static enum mp_status prepare(struct mp_pg_sess *ps, const char *sql, int nparams, char *name,
                              size_t cap, const char *what)
{
    size_t i = 0;
    while (i < nprepared && !(prepared[i].conn == ps->conn && prepared[i].sql == sql))
        i++;
    snprintf(name, cap, "mpc%zu", i);
    if (i < nprepared)
        return MP_OK;
    if (nprepared == MAX_PREPARED)
        return MP_ENOMEM;
    PGresult *r = PQprepare(ps->conn, name, sql, nparams, NULL);
    enum mp_status rc =
        PQresultStatus(r) == PGRES_COMMAND_OK ? MP_OK : mp_pg_status(ps, r, what);
    PQclear(r);
    if (rc == MP_OK) {
        prepared[nprepared].conn = ps->conn;
        prepared[nprepared++].sql = sql;
    }
    return rc;
}

/* Read the results of the rows sent so far (a sync point ends them). */
static enum mp_status drain(struct mp_pg_sess *ps, struct pipe *pp, const char *what)
{
    if (!PQpipelineSync(ps->conn))
        return mp_pg_status(ps, NULL, what);
    int nulls = 0;
    for (;;) {
        PGresult *r = PQgetResult(ps->conn);
        if (!r) {
            /* One NULL ends each statement's results; more in a row mean
             * the connection is gone. */
            if (++nulls > 2 && PQstatus(ps->conn) != CONNECTION_OK) {
                if (pp->rc == MP_OK)
                    pp->rc = mp_pg_status(ps, NULL, what);
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        if (st == PGRES_FATAL_ERROR && pp->rc == MP_OK)
            pp->rc = mp_pg_status(ps, r, what);
        PQclear(r);
    }
    pp->queued = 0;
    return pp->rc;
}

/* Before the first row of t: its change-counter trigger off (see counted). */
static enum mp_status quiet_triggers(struct mp_store_sess *s, struct pipe *pp,
                                     const struct mp_copy_table *t)
{
    for (size_t i = 0; i < sizeof counted / sizeof *counted; i++) {
        if (!mp_copy_is(t, counted[i].table))
            continue;
        pp->resume = counted[i].on;
        return direct(s, counted[i].off, NULL, t->name);
    }
    return MP_OK;
}

enum mp_status mp_pg_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                 const struct mp_copy_value *row)
{
    struct mp_pg_sess *ps = mp_pg_sess(s);
    const char *sql = sql_for(t, MP_COPY_SQL_INSERT);
    if (!sql)
        return MP_ENOMEM;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    for (size_t i = 0; i < t->ncols; i++) {
        const struct mp_copy_value *v = &row[i];
        if (v->null) {
            mp_pg_text(&p, NULL);
            continue;
        }
        switch (t->cols[i].type) {
        case MP_COPY_INT:
            mp_pg_int64(&p, v->i);
            break;
        case MP_COPY_BOOL:
            mp_pg_bool(&p, v->i != 0);
            break;
        case MP_COPY_REAL:
            mp_pg_double(&p, v->d);
            break;
        case MP_COPY_TEXT:
            /* NUL-terminated (store_copy.h). */
            mp_pg_text(&p, v->p);
            break;
        case MP_COPY_BLOB:
            mp_pg_bytea(&p, v->len ? v->p : "", v->len);
            break;
        }
    }
    if (p.overflow)
        return MP_EINVAL;
    char name[24];
    enum mp_status rc = MP_OK;
    pthread_mutex_lock(&pipe_lock);
    struct pipe *pp = pipe_of(ps->conn);
    if (!pp)
        rc = MP_ENOMEM;
    else if (pp->rc)
        rc = pp->rc;
    else if (PQpipelineStatus(ps->conn) == PQ_PIPELINE_OFF &&
             ((rc = quiet_triggers(s, pp, t)) ||
              (rc = prepare(ps, sql, p.n, name, sizeof name, t->name)) ||
              (!PQenterPipelineMode(ps->conn) && (rc = mp_pg_status(ps, NULL, t->name)))))
        ;
    else if ((rc = prepare(ps, sql, p.n, name, sizeof name, t->name)))
        ;
    else if (!PQsendQueryPrepared(ps->conn, name, p.n, p.values, p.lengths, p.formats, 0))
        rc = pp->rc = mp_pg_status(ps, NULL, t->name);
    else if (++pp->queued >= PIPELINE_ROWS)
        rc = drain(ps, pp, t->name);
    pthread_mutex_unlock(&pipe_lock);
    return rc;
}

enum mp_status mp_pg_copy_flush(struct mp_store_sess *s)
{
    struct mp_pg_sess *ps = mp_pg_sess(s);
    enum mp_status rc = MP_OK;
    pthread_mutex_lock(&pipe_lock);
    struct pipe *pp = pipe_of(ps->conn);
    if (PQpipelineStatus(ps->conn) != PQ_PIPELINE_OFF) {
        if (pp)
            rc = drain(ps, pp, "copy");
        if (!PQexitPipelineMode(ps->conn) && rc == MP_OK)
            rc = mp_pg_status(ps, NULL, "copy");
    }
    if (pp) {
        if (rc == MP_OK)
            rc = pp->rc;
        if (rc == MP_OK && pp->resume && (rc = direct(s, pp->resume, NULL, "copy")) == MP_OK)
            rc = mp_pg_run(s, sql_changed, NULL, NULL, "change counter");
        pp->conn = NULL; /* the next table starts afresh */
    }
    pthread_mutex_unlock(&pipe_lock);
    return rc;
}

static const char sql_columns[] =
    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
    " AND table_name = $1";

static int column_row(void *ctx, const PGresult *r, int i)
{
    return mp_copy_check_column(ctx, mp_pg_col_text(r, i, 0));
}

enum mp_status mp_pg_copy_check(struct mp_store_sess *s, const struct mp_copy_table *t,
                                char *unknown, size_t cap)
{
    /* The columns the engine writes itself (see the top of the file); the
     * outbox's lease owner is a server's process: a lease does not move. */
    static const char *const report_cols[] = {"geom", NULL};
    static const char *const cluster_cols[] = {"geom", "metric", NULL};
    static const char *const outbox_cols[] = {"municipality", "lease_owner", NULL};
    static const char *const child_cols[] = {"municipality", NULL};
    struct mp_copy_check c = {t, true, NULL, unknown, cap, 0};
    if (mp_copy_is(t, "reports"))
        c.derived = report_cols;
    else if (mp_copy_is(t, "clusters"))
        c.derived = cluster_cols;
    else if (mp_copy_is(t, "outbox"))
        c.derived = outbox_cols;
    else if (has_muni(t))
        c.derived = child_cols;
    unknown[0] = '\0';
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, t->name);
    return mp_copy_check_status(&c, mp_pg_each(s, sql_columns, &p, column_row, &c, "columns"));
}

enum mp_status mp_pg_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t)
{
    const char *sql = sql_for(t, MP_COPY_SQL_CLEAR);
    return sql ? mp_pg_run(s, sql, NULL, NULL, t->name) : MP_ENOMEM;
}

enum mp_status mp_pg_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                  int64_t *hw)
{
    int64_t last = 0, max = 0;
    const char *sql = sql_for(t, MP_COPY_SQL_MAX_ID);
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, t->name);
    mp_pg_text(&p, t->cols[0].name);
    enum mp_status rc = mp_pg_first(s, sql_seq_last, &p, mp_pg_row_int64, &last, "sequence");
    if (rc == MP_OK)
        rc = sql ? mp_pg_first(s, sql, NULL, mp_pg_row_int64, &max, t->name) : MP_ENOMEM;
    *hw = last > max ? last : max;
    return rc;
}

enum mp_status mp_pg_copy_seq_set(struct mp_store_sess *s, const struct mp_copy_table *t,
                                  int64_t hw)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, t->name);
    mp_pg_text(&p, t->cols[0].name);
    mp_pg_int64(&p, hw);
    return mp_pg_first(s, sql_seq_set, &p, NULL, NULL, "sequence");
}
