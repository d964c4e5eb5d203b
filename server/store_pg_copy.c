/* store_pg_copy.c - the PostgreSQL side of copy-store (store_copy.h):
 * whole tables read in key order through a cursor (bounded batches in the
 * caller's REPEATABLE READ transaction: one snapshot) and written back with
 * their ids (OVERRIDING SYSTEM VALUE).
 *
 * The statements are made from the table descriptions
 * (copystore_tables.c), the one place that lists tables and columns;
 * identifiers come from that constant list only, never from input. Each
 * text is made once per table and kept for the life of the process, so
 * that the statement cache, which keys on the text's address, prepares it
 * once per connection like the static statements.
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

#include "meldpunt/buf.h"
#include "store_pg.h"
#include "store_pg_engine.h"

enum { SQL_COUNT, SQL_ROWS, SQL_INSERT, SQL_MAX_ID, SQL_CLEAR, NSQL };

/* Rows per FETCH: a few MiB at most even for photo tables. */
#define FETCH_ROWS "256"

struct built {
    const struct mp_copy_table *t;
    const char *sql[NSQL];
};
#define MAX_BUILT 64
static struct built built[MAX_BUILT];
static size_t nbuilt;
static pthread_mutex_t built_lock = PTHREAD_MUTEX_INITIALIZER;

static const char sql_seq_last[] =
    "SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass), 0)";
static const char sql_seq_set[] = "SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint)";

static bool is(const struct mp_copy_table *t, const char *name)
{
    return strcmp(t->name, name) == 0;
}

static const char *pg_name(const struct mp_copy_col *c)
{
    return c->pg_name ? c->pg_name : c->name;
}

static int col(const struct mp_copy_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

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

static void build_insert(struct mp_buf *b, const struct mp_copy_table *t)
{
    mp_buf_printf(b, "INSERT INTO \"%s\" (", t->name);
    for (size_t i = 0; i < t->ncols; i++)
        mp_buf_printf(b, "%s\"%s\"", i ? ", " : "", pg_name(&t->cols[i]));
    if (has_muni(t))
        mp_buf_adds(b, ", municipality");
    if (is(t, "reports") || is(t, "clusters"))
        mp_buf_adds(b, ", geom");
    if (is(t, "clusters"))
        mp_buf_adds(b, ", metric");
    mp_buf_printf(b, ")%s VALUES (", t->id_seq ? " OVERRIDING SYSTEM VALUE" : "");
    for (size_t i = 0; i < t->ncols; i++)
        mp_buf_printf(b, "%s$%zu::%s", i ? ", " : "", i + 1, cast(t->cols[i].type));
    if (has_muni(t)) {
        mp_buf_adds(b, ", coalesce(");
        for (size_t k = 0; k < 2 && t->muni_from[k][0]; k++)
            mp_buf_printf(b, "%s(SELECT municipality FROM \"%s\" WHERE id = $%d::bigint)",
                          k ? ", " : "", t->muni_from[k][0], col(t, t->muni_from[k][1]) + 1);
        if (t->muni_required)
            mp_buf_adds(b, ", (SELECT min(municipality) FROM clusters)");
        mp_buf_adds(b, ")");
    }
    if (is(t, "reports") || is(t, "clusters"))
        mp_buf_printf(b, ", ST_SetSRID(ST_MakePoint($%d::float8, $%d::float8), 4326)",
                      col(t, "lon") + 1, col(t, "lat") + 1);
    if (is(t, "clusters"))
        mp_buf_printf(b, ", ST_MakePoint($%d::float8, $%d::float8)", col(t, "x") + 1,
                      col(t, "y") + 1);
    mp_buf_adds(b, ")");
}

static void build(struct mp_buf *b, const struct mp_copy_table *t, int which)
{
    switch (which) {
    case SQL_COUNT:
        mp_buf_printf(b, "SELECT count(*) FROM \"%s\"", t->name);
        break;
    case SQL_MAX_ID:
        mp_buf_printf(b, "SELECT coalesce(max(\"%s\"), 0) FROM \"%s\"", t->cols[0].name, t->name);
        break;
    case SQL_CLEAR:
        mp_buf_printf(b, "DELETE FROM \"%s\"", t->name);
        break;
    case SQL_ROWS:
        /* A cursor of the caller's transaction (the rows arrive FETCH by
         * FETCH, never the whole table in one result). */
        mp_buf_adds(b, "DECLARE mp_copy NO SCROLL CURSOR FOR SELECT ");
        for (size_t i = 0; i < t->ncols; i++)
            mp_buf_printf(b, "%s\"%s\"", i ? ", " : "", pg_name(&t->cols[i]));
        mp_buf_printf(b, " FROM \"%s\" ORDER BY ", t->name);
        for (size_t i = 0; i < t->nkey; i++)
            mp_buf_printf(b, "%s\"%s\"%s", i ? ", " : "", pg_name(&t->cols[i]),
                          t->cols[i].type == MP_COPY_TEXT ? " COLLATE \"C\"" : "");
        break;
    case SQL_INSERT:
        build_insert(b, t);
        break;
    default:
        break;
    }
}

static const char *sql_for(const struct mp_copy_table *t, int which)
{
    const char *out = NULL;
    pthread_mutex_lock(&built_lock);
    size_t i = 0;
    while (i < nbuilt && built[i].t != t)
        i++;
    if (i == nbuilt && nbuilt < MAX_BUILT)
        built[nbuilt++].t = t;
    if (i < nbuilt && !built[i].sql[which]) {
        struct mp_buf b;
        mp_buf_init(&b, 16384);
        build(&b, t, which);
        if (mp_buf_status(&b) == MP_OK)
            built[i].sql[which] = mp_buf_steal(&b, NULL);
        mp_buf_free(&b);
    }
    if (i < nbuilt)
        out = built[i].sql[which];
    pthread_mutex_unlock(&built_lock);
    return out;
}

enum mp_status mp_pg_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t, int64_t *n)
{
    const char *sql = sql_for(t, SQL_COUNT);
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
    const char *sql = sql_for(t, SQL_ROWS);
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

enum mp_status mp_pg_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                 const struct mp_copy_value *row)
{
    const char *sql = sql_for(t, SQL_INSERT);
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
    return mp_pg_run(s, sql, &p, NULL, t->name);
}

enum mp_status mp_pg_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t)
{
    const char *sql = sql_for(t, SQL_CLEAR);
    return sql ? mp_pg_run(s, sql, NULL, NULL, t->name) : MP_ENOMEM;
}

enum mp_status mp_pg_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                  int64_t *hw)
{
    int64_t last = 0, max = 0;
    const char *sql = sql_for(t, SQL_MAX_ID);
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
