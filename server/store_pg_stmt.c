/* store_pg_stmt.c - the statement toolkit every PostgreSQL store module
 * shares (store_pg.h): the per-connection cache of prepared statements,
 * parameters, running statements, reading columns, noticing and repairing
 * a lost connection, and the one place where SQLSTATEs become a status. */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

/* ---- errors ---- */

/* SQLSTATE classes and codes that mean "try again later" rather than "this
 * request is wrong" or "the store is broken". */
static bool transient(const char *state)
{
    static const char *const codes[] = {
        "40001", /* serialization_failure */
        "40P01", /* deadlock_detected */
        "55P03", /* lock_not_available (lock_timeout) */
        "25006", /* read_only_sql_transaction (a standby, or read-only mode) */
        "57P01", /* admin_shutdown */
        "57P02", /* crash_shutdown */
        "57P03", /* cannot_connect_now */
        "57014", /* query_canceled */
    };
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0) /* connection, resources */
        return true;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (strcmp(state, codes[i]) == 0)
            return true;
    return false;
}

enum mp_status mp_pg_status(struct mp_pg_sess *s, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : NULL;
    if (!msg || !*msg)
        msg = PQerrorMessage(s->conn);
    bool lost = PQstatus(s->conn) != CONNECTION_OK;
    if (lost && s->reported_down)
        return MP_EUNAVAIL; /* logged once per outage */
    if (lost)
        s->reported_down = true;
    fprintf(stderr, "meldpunt: store: %s: %s%s%s", what, state ? state : "", state ? " " : "",
            msg && *msg ? msg : "error\n");
    if (lost || !state)
        return MP_EUNAVAIL;
    if (strncmp(state, "23", 2) == 0)
        return MP_ECONFLICT;
    if (transient(state))
        return MP_EUNAVAIL;
    if (strcmp(state, "53200") == 0)
        return MP_ENOMEM;
    return MP_EDB;
}

/* ---- the connection ---- */

enum mp_status mp_pg_configure(struct mp_pg_sess *s)
{
    /* Numbers and constants only: nothing here comes from a request. */
    char sql[200];
    int n = snprintf(sql, sizeof sql,
                     "SET lock_timeout = %u; SET synchronous_commit = %s;"
                     " SET default_transaction_read_only = %s; SET client_min_messages = warning",
                     s->busy_ms, s->sync_full ? "on" : "off", s->readonly ? "on" : "off");
    if (n < 0 || (size_t)n >= sizeof sql)
        return MP_EDB;
    PGresult *r = PQexec(s->conn, sql);
    enum mp_status rc =
        PQresultStatus(r) == PGRES_COMMAND_OK ? MP_OK : mp_pg_status(s, r, "session settings");
    PQclear(r);
    return rc;
}

void mp_pg_stmt_forget(struct mp_pg_sess *s)
{
    memset(s->stmts, 0, sizeof s->stmts);
    s->nstmts = 0;
}

/* Read what the server sent to an idle connection: nothing, normally; a
 * notice; or, when it shut down or restarted, a FATAL message and then the
 * end of the connection, which libpq sees only when it reads past the
 * message. So: while the socket has something (poll, no waiting), consume
 * and parse it. Afterwards PQstatus tells whether the connection is gone. */
static void drain_idle(PGconn *c)
{
    for (int i = 0; i < 4 && PQstatus(c) == CONNECTION_OK; i++) {
        struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
            return;
        if (!PQconsumeInput(c))
            return;
        (void)PQisBusy(c); /* parses what came in */
        PGnotify *nt;
        while ((nt = PQnotifies(c)) != NULL)
            PQfreemem(nt);
    }
}

enum mp_status mp_pg_ready(struct mp_pg_sess *s)
{
    if (!s->in_tx)
        drain_idle(s->conn);
    if (PQstatus(s->conn) == CONNECTION_OK)
        return MP_OK;
    if (s->in_tx)
        return MP_EUNAVAIL; /* the transaction died with the connection */
    /* Logged once per outage and session, however often it is retried. */
    if (!s->reported_down)
        fprintf(stderr, "meldpunt: store: postgresql: connection lost, reconnecting\n");
    s->reported_down = true;
    PQreset(s->conn);
    mp_pg_stmt_forget(s);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return MP_EUNAVAIL;
    enum mp_status rc = mp_pg_configure(s);
    if (rc == MP_OK) {
        fprintf(stderr, "meldpunt: store: postgresql: reconnected\n");
        s->reported_down = false;
    }
    return rc;
}

/* ---- prepared statements ---- */

_Static_assert(MP_PG_STMT_SLOTS == MP_STORE_SQL_SLOTS, "mp_store_sql_slot yields the slot");

/* The name under which sql is prepared on s's connection, preparing it on
 * first use. MP_OK with name filled, or the failure's status. */
static enum mp_status prepared(struct mp_pg_sess *s, const char *sql, int nparams, char name[16],
                               const char *what)
{
    unsigned i = mp_store_sql_slot(sql);
    while (s->stmts[i]) {
        if (s->stmts[i] == sql) {
            snprintf(name, 16, "s%u", i);
            return MP_OK;
        }
        i = (i + 1) & (MP_PG_STMT_SLOTS - 1);
    }
    if (s->nstmts >= MP_PG_STMT_MAX) {
        fprintf(stderr, "meldpunt: store: statement cache full\n");
        return MP_EDB;
    }
    snprintf(name, 16, "s%u", i);
    /* Parameter types are left to the server, which infers them from the
     * statement; SQL casts ($1::bigint) where it cannot. */
    PGresult *r = PQprepare(s->conn, name, sql, nparams, NULL);
    enum mp_status rc = PQresultStatus(r) == PGRES_COMMAND_OK ? MP_OK : mp_pg_status(s, r, what);
    PQclear(r);
    if (rc == MP_OK) {
        s->stmts[i] = sql;
        s->nstmts++;
    }
    return rc;
}

/* Run sql with p; a result with rows or a completed command in *out (the
 * caller PQclears it). binary asks for binary columns (bytea). */
static enum mp_status exec(struct mp_store_sess *sess, const char *sql,
                           const struct mp_pg_params *p, bool binary, PGresult **out,
                           const char *what)
{
    struct mp_pg_sess *s = mp_pg_sess(sess);
    static const struct mp_pg_params none = {0};
    char name[16];
    enum mp_status rc;
    *out = NULL;
    if (!p)
        p = &none;
    if (p->overflow) {
        fprintf(stderr, "meldpunt: store: %s: more than %d parameters\n", what, MP_PG_MAX_PARAMS);
        return MP_EDB;
    }
    if ((rc = mp_pg_ready(s)) || (rc = prepared(s, sql, p->n, name, what)))
        return rc;
    PGresult *r =
        PQexecPrepared(s->conn, name, p->n, p->values, p->lengths, p->formats, binary ? 1 : 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = mp_pg_status(s, r, what);
        PQclear(r);
        return rc;
    }
    *out = r;
    return MP_OK;
}

static enum mp_status each(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                           bool binary, mp_pg_row_fn row, void *ctx, const char *what)
{
    PGresult *r;
    enum mp_status rc = exec(s, sql, p, binary, &r, what);
    if (rc)
        return rc;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        if (row(ctx, r, i))
            break;
    PQclear(r);
    return MP_OK;
}

enum mp_status mp_pg_each(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                          mp_pg_row_fn row, void *ctx, const char *what)
{
    return each(s, sql, p, false, row, ctx, what);
}

enum mp_status mp_pg_each_binary(struct mp_store_sess *s, const char *sql,
                                 const struct mp_pg_params *p, mp_pg_row_fn row, void *ctx,
                                 const char *what)
{
    return each(s, sql, p, true, row, ctx, what);
}

enum mp_status mp_pg_first(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                           mp_pg_row_fn row, void *ctx, const char *what)
{
    PGresult *r;
    enum mp_status rc = exec(s, sql, p, false, &r, what);
    if (rc)
        return rc;
    if (PQntuples(r) < 1) {
        PQclear(r);
        return MP_ENOTFOUND;
    }
    if (row)
        (void)row(ctx, r, 0);
    PQclear(r);
    return MP_OK;
}

enum mp_status mp_pg_run(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                         int64_t *changed, const char *what)
{
    PGresult *r;
    enum mp_status rc = exec(s, sql, p, false, &r, what);
    if (rc)
        return rc;
    if (changed) {
        const char *n = PQcmdTuples(r);
        *changed = *n ? strtoll(n, NULL, 10) : 0;
    }
    PQclear(r);
    return MP_OK;
}

enum mp_status mp_pg_blob(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                          void **data, size_t *len, const char *what)
{
    PGresult *r;
    *data = NULL;
    *len = 0;
    enum mp_status rc = exec(s, sql, p, true, &r, what);
    if (rc)
        return rc;
    if (PQntuples(r) < 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        return MP_ENOTFOUND;
    }
    int n = PQgetlength(r, 0, 0);
    void *copy = malloc(n > 0 ? (size_t)n : 1);
    if (copy) {
        memcpy(copy, PQgetvalue(r, 0, 0), (size_t)n);
        *data = copy;
        *len = (size_t)n;
    }
    PQclear(r);
    return copy ? MP_OK : MP_ENOMEM;
}

enum mp_status mp_pg_result(struct mp_store_sess *s, const char *sql, const struct mp_pg_params *p,
                            PGresult **out, const char *what)
{
    return exec(s, sql, p, false, out, what);
}

int mp_pg_row_int64(void *ctx, const PGresult *r, int row)
{
    *(int64_t *)ctx = mp_pg_col_int64(r, row, 0);
    return 1;
}

/* ---- parameters ---- */

/* The next parameter slot, or NULL (and the overflow flag) past the end. */
static int next(struct mp_pg_params *p)
{
    assert(p->n < MP_PG_MAX_PARAMS); /* the statements are static: a fixed count */
    if (p->n >= MP_PG_MAX_PARAMS) {
        p->overflow = true;
        return -1;
    }
    int i = p->n++;
    p->lengths[i] = 0;
    p->formats[i] = 0;
    return i;
}

void mp_pg_text(struct mp_pg_params *p, const char *s)
{
    int i = next(p);
    if (i >= 0)
        p->values[i] = s;
}

void mp_pg_int64(struct mp_pg_params *p, int64_t v)
{
    int i = next(p);
    if (i < 0)
        return;
    snprintf(p->num[i], sizeof p->num[i], "%" PRId64, v);
    p->values[i] = p->num[i];
}

void mp_pg_double(struct mp_pg_params *p, double v)
{
    int i = next(p);
    if (i < 0)
        return;
    /* 17 significant digits: the value comes back bit for bit. */
    snprintf(p->num[i], sizeof p->num[i], "%.17g", v);
    p->values[i] = p->num[i];
}

void mp_pg_bool(struct mp_pg_params *p, bool v)
{
    int i = next(p);
    if (i >= 0)
        p->values[i] = v ? "true" : "false";
}

void mp_pg_bytea(struct mp_pg_params *p, const void *data, size_t len)
{
    int i = next(p);
    if (i < 0)
        return;
    assert(len <= INT32_MAX);
    p->values[i] = data ? data : "";
    p->lengths[i] = (int)len;
    p->formats[i] = 1;
}

/* ---- columns ---- */

int64_t mp_pg_col_int64(const PGresult *r, int row, int col)
{
    const char *t = mp_pg_col_text(r, row, col);
    return t ? strtoll(t, NULL, 10) : 0;
}

double mp_pg_col_double(const PGresult *r, int row, int col)
{
    const char *t = mp_pg_col_text(r, row, col);
    return t ? strtod(t, NULL) : 0.0;
}

bool mp_pg_col_bool(const PGresult *r, int row, int col)
{
    const char *t = mp_pg_col_text(r, row, col);
    return t && (t[0] == 't' || (t[0] >= '1' && t[0] <= '9'));
}

void mp_pg_col_copy(char *dst, size_t cap, const PGresult *r, int row, int col)
{
    const char *t = mp_pg_col_text(r, row, col);
    size_t n = t ? strnlen(t, cap - 1) : 0;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
}
