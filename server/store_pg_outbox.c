/* store_pg_outbox.c - SQL of the outbox on PostgreSQL (store_notify.h):
 * queueing messages (one, a status change's fan-out to subscribers, the
 * follow-up questions), the sender's due/lease/finish cycle, and the staff
 * listings. Webhook deliveries are rows of this table too: their listing
 * is here, the receivers and the fan-out in store_pg_webhooks.c.
 *
 * Several servers on one database each run a sender. Two must never send
 * the same message: outbox_due locks the rows it hands out (FOR UPDATE
 * SKIP LOCKED, so a second sender skips them instead of waiting) until the
 * caller's transaction, in which it leases them, ends; a leased row is not
 * due again until its lease runs out. A lease records the backend of the
 * session that took it (pg_backend_pid), and outbox_release_all, run by a
 * sender that starts, frees only the leases whose backend is gone (its
 * server died or lost its connection) or that ran out: on SQLite a
 * starting sender is the only one, here others may be sending what they
 * leased. A server that restarts after kill -9 thus sends its messages at
 * once, as on SQLite. */
#include <stdlib.h>
#include <string.h>

#include "meldpunt/store_notify.h"
#include "meldpunt/store_webhooks.h"
#include "store_pg.h"
#include "store_pg_engine.h"

#define NEW_KEY "replace(gen_random_uuid()::text, '-', '')"
#define OUTBOX_COLS                                                                                \
    "o.id, coalesce(o.event_id, 0), coalesce(o.sub_id, 0), coalesce(o.report_id, 0),"              \
    " coalesce(o.cluster_id, 0), o.attempts, o.created_at, o.next_at, o.sent_at, o.kind,"          \
    " o.channel, o.rcpt, o.rcpt_hash, o.lang, o.msg_key, o.state, o.last_error, e.uid"
#define OUTBOX_FROM " FROM outbox o LEFT JOIN notify_events e ON e.id = o.event_id"

/* $1 event, $2 kind, $3 channel in every insert (bind_message). The
 * municipality is the report's, else the cluster's. */
static const char sql_outbox_add[] =
    "INSERT INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, municipality, sub_id,"
    " report_id, cluster_id, lang, msg_key, dedup, created_at, next_at) VALUES"
    " (NULLIF($1::bigint, 0), $2, $3, $4, $5, coalesce((SELECT municipality FROM reports WHERE"
    " id = $7::bigint), (SELECT municipality FROM clusters WHERE id = $8::bigint)),"
    " NULLIF($6::bigint, 0), NULLIF($7::bigint, 0), NULLIF($8::bigint, 0), $9, " NEW_KEY ","
    " $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id";
/* One message per address: the lowest subscription of each (the rows come
 * in subscription order, and the dedup key admits the first). */
static const char sql_outbox_fanout[] =
    "INSERT INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, municipality, sub_id,"
    " report_id, cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT NULLIF($1::bigint, 0), $2, $3, s.email, s.email_hash, r.municipality, s.id,"
    " s.report_id, r.cluster_id, s.lang, " NEW_KEY ","
    " $2::text || ':' || $1::bigint || ':' || s.email_hash, $4, $5"
    " FROM reports r JOIN notify_subs s ON s.report_id = r.id AND s.municipality = r.municipality"
    " WHERE r.cluster_id = $6::bigint AND s.stopped_at = 0 AND s.email IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = s.email_hash)"
    " ORDER BY s.id ON CONFLICT DO NOTHING";
/* Locks what it returns (see the top); not for a read-only transaction. */
static const char sql_outbox_due[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE o.channel = $1 AND o.state = 'queued'"
    " AND o.next_at <= $2::bigint AND o.lease_until <= $2::bigint"
    " ORDER BY o.next_at, o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED";
static const char sql_outbox_lease[] =
    "UPDATE outbox SET lease_until = $2, lease_owner = pg_backend_pid() WHERE id = $1::bigint";
/* A backend id may be reused by a new session: its lease then lasts until
 * it runs out, the safe way round. */
static const char sql_outbox_release[] =
    "UPDATE outbox SET lease_until = 0, lease_owner = NULL WHERE state = 'queued'"
    " AND lease_until <> 0 AND (lease_until <= extract(epoch FROM now())::bigint"
    " OR lease_owner IS NULL OR lease_owner NOT IN (SELECT pid FROM pg_stat_activity"
    " WHERE pid IS NOT NULL))";
static const char sql_outbox_finish[] =
    "UPDATE outbox SET state = $2, attempts = attempts + $3, next_at = $4, sent_at = $5,"
    " last_error = $6, lease_until = 0 WHERE id = $1::bigint";
static const char sql_outbox_sent_since[] =
    "SELECT count(*), coalesce(min(sent_at), 0) FROM outbox WHERE rcpt_hash = $1"
    " AND sent_at >= $2::bigint AND sent_at > 0";
static const char sql_outbox_list[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE ($1::text IS NULL OR o.state = $1)"
    " AND ($2::bigint = 0 OR o.id < $2::bigint) ORDER BY o.id DESC LIMIT $3";
static const char sql_outbox_get[] = "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE o.id = $1::bigint";
static const char sql_outbox_retry[] =
    "UPDATE outbox SET state = 'queued', next_at = $2, lease_until = 0"
    " WHERE state = 'failed' AND ($1::bigint = 0 OR id = $1::bigint)";
/* A receiver's deliveries (webhook_deliveries): $1 state, $2 its id. */
static const char sql_deliveries[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE o.channel = 'webhook'"
    " AND o.rcpt_hash = 'webhook:' || $2::bigint AND ($1::text IS NULL OR o.state = $1)"
    " ORDER BY o.id DESC LIMIT $3";
static const char sql_outbox_counts[] =
    "SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state";

static void bind_message(struct mp_pg_params *p, const struct mp_outbox_rec *m)
{
    mp_pg_params_init(p);
    mp_pg_int64(p, m->event_id);
    mp_pg_text(p, m->kind);
    mp_pg_text(p, m->channel);
}

enum mp_status mp_pg_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m, int64_t *id)
{
    struct mp_pg_params p;
    int64_t got = 0;
    bind_message(&p, m);
    mp_pg_text(&p, m->rcpt);
    mp_pg_text(&p, m->rcpt_hash);
    mp_pg_int64(&p, m->sub_id);
    mp_pg_int64(&p, m->report_id);
    mp_pg_int64(&p, m->cluster_id);
    mp_pg_text(&p, m->lang ? m->lang : "");
    mp_pg_text(&p, m->dedup);
    mp_pg_int64(&p, m->created_at);
    mp_pg_int64(&p, m->next_at);
    /* No row back: the dedup key was taken, nothing was added. */
    enum mp_status rc = mp_pg_first(s, sql_outbox_add, &p, mp_pg_row_int64, &got, "outbox insert");
    if (rc == MP_ENOTFOUND)
        rc = MP_OK;
    if (id)
        *id = rc == MP_OK ? got : 0;
    return rc;
}

enum mp_status mp_pg_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                   int64_t cluster_id, int64_t *n)
{
    struct mp_pg_params p;
    int64_t changed = 0;
    bind_message(&p, m);
    mp_pg_int64(&p, m->created_at);
    mp_pg_int64(&p, m->next_at);
    mp_pg_int64(&p, cluster_id);
    if (!n) /* nobody counts: sent ahead in a write transaction */
        return mp_pg_run_later(s, sql_outbox_fanout, &p, "outbox fan-out");
    enum mp_status rc = mp_pg_run(s, sql_outbox_fanout, &p, &changed, "outbox fan-out");
    *n = rc == MP_OK ? changed : 0;
    return rc;
}

struct messages {
    mp_outbox_cb cb;
    void *ctx;
};

static int message_row(void *p, const PGresult *r, int i)
{
    const struct messages *c = p;
    struct mp_outbox_row row = {
        .id = mp_pg_col_int64(r, i, 0),
        .event_id = mp_pg_col_int64(r, i, 1),
        .sub_id = mp_pg_col_int64(r, i, 2),
        .report_id = mp_pg_col_int64(r, i, 3),
        .cluster_id = mp_pg_col_int64(r, i, 4),
        .attempts = mp_pg_col_int64(r, i, 5),
        .created_at = mp_pg_col_int64(r, i, 6),
        .next_at = mp_pg_col_int64(r, i, 7),
        .sent_at = mp_pg_col_int64(r, i, 8),
        .kind = mp_pg_col_text(r, i, 9),
        .channel = mp_pg_col_text(r, i, 10),
        .rcpt = mp_pg_col_text(r, i, 11),
        .rcpt_hash = mp_pg_col_text(r, i, 12),
        .lang = mp_pg_col_text(r, i, 13),
        .msg_key = mp_pg_col_text(r, i, 14),
        .state = mp_pg_col_text(r, i, 15),
        .last_error = mp_pg_col_text(r, i, 16),
        .event_uid = mp_pg_col_text(r, i, 17),
    };
    return c->cb(c->ctx, &row);
}

/* The message rows of sql with $1 text, $2 and $3 numbers. */
static enum mp_status messages(struct mp_store_sess *s, const char *sql, const char *text,
                               int64_t a, int64_t b, mp_outbox_cb cb, void *ctx, const char *what)
{
    struct messages c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, text);
    mp_pg_int64(&p, a);
    mp_pg_int64(&p, b);
    return mp_pg_each(s, sql, &p, message_row, &c, what);
}

enum mp_status mp_pg_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                size_t max, mp_outbox_cb cb, void *ctx)
{
    return messages(s, sql_outbox_due, channel, now, (int64_t)max, cb, ctx, "outbox due");
}

/* A statement with $1 = id and $2 = n; the rows it changed into *changed
 * (may be NULL). */
static enum mp_status run_ids(struct mp_store_sess *s, const char *sql, int64_t id, int64_t n,
                              int64_t *changed, const char *what)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, n);
    return mp_pg_run(s, sql, &p, changed, what);
}

enum mp_status mp_pg_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until)
{
    return run_ids(s, sql_outbox_lease, id, until, NULL, "outbox lease");
}

enum mp_status mp_pg_outbox_release_all(struct mp_store_sess *s)
{
    return mp_pg_run(s, sql_outbox_release, NULL, NULL, "outbox release");
}

enum mp_status mp_pg_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                   bool attempted, int64_t next_at, int64_t sent_at,
                                   const char *error)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_text(&p, state);
    mp_pg_int64(&p, attempted ? 1 : 0);
    mp_pg_int64(&p, next_at);
    mp_pg_int64(&p, sent_at);
    mp_pg_text(&p, error);
    return mp_pg_run(s, sql_outbox_finish, &p, NULL, "outbox finish");
}

struct two_ints {
    int64_t a, b;
};

static int two_ints_row(void *p, const PGresult *r, int i)
{
    struct two_ints *t = p;
    t->a = mp_pg_col_int64(r, i, 0);
    t->b = mp_pg_col_int64(r, i, 1);
    return 1;
}

enum mp_status mp_pg_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                       int64_t since, int64_t *n, int64_t *oldest)
{
    struct two_ints t = {0, 0};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, rcpt_hash);
    mp_pg_int64(&p, since);
    enum mp_status rc = mp_pg_first(s, sql_outbox_sent_since, &p, two_ints_row, &t, "outbox rate");
    *n = t.a;
    *oldest = t.b;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                 size_t limit, mp_outbox_cb cb, void *ctx)
{
    return messages(s, sql_outbox_list, state, before, (int64_t)limit, cb, ctx, "outbox list");
}

enum mp_status mp_pg_webhook_deliveries(struct mp_store_sess *s, int64_t id, const char *state,
                                        size_t limit, mp_outbox_cb cb, void *ctx)
{
    return messages(s, sql_deliveries, state, id, (int64_t)limit, cb, ctx, "webhook deliveries");
}

enum mp_status mp_pg_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb, void *ctx)
{
    struct messages c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_outbox_get, &p, message_row, &c, "outbox get");
}

enum mp_status mp_pg_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now, int64_t *n)
{
    int64_t changed = 0;
    enum mp_status rc = run_ids(s, sql_outbox_retry, id, now, &changed, "outbox retry");
    *n = rc == MP_OK ? changed : 0;
    return rc;
}

struct counts {
    int (*cb)(void *ctx, const char *state, int64_t n);
    void *ctx;
};

static int count_row(void *p, const PGresult *r, int i)
{
    const struct counts *c = p;
    return c->cb(c->ctx, mp_pg_col_text(r, i, 0), mp_pg_col_int64(r, i, 1));
}

enum mp_status mp_pg_outbox_counts(struct mp_store_sess *s,
                                   int (*cb)(void *ctx, const char *state, int64_t n), void *ctx)
{
    struct counts c = {cb, ctx};
    return mp_pg_each(s, sql_outbox_counts, NULL, count_row, &c, "outbox counts");
}

/* ---- follow-ups ---- */

/* From the few clusters fixed within the window (a partial index on
 * fixed_at) to their reports' active subscriptions. $9 is the statuses as
 * a text[] literal (text_array). */
static const char sql_followups[] =
    "INSERT INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, municipality, sub_id,"
    " report_id, cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT NULLIF($1::bigint, 0), $2, $3, s.email, s.email_hash, c.municipality, s.id,"
    " s.report_id, c.id, s.lang, " NEW_KEY ", $2::text || ':' || s.id || ':' || c.fixed_at, $4, $5"
    " FROM clusters c JOIN reports r ON r.cluster_id = c.id AND r.municipality = c.municipality"
    " JOIN notify_subs s ON s.report_id = r.id AND s.municipality = r.municipality"
    " WHERE c.fixed_at > 0 AND c.fixed_at BETWEEN $6::bigint AND $7::bigint AND c.category = $8"
    " AND c.status = ANY ($9::text[])"
    " AND s.stopped_at = 0 AND s.email IS NOT NULL AND r.created_at <= c.fixed_at"
    " AND NOT EXISTS (SELECT 1 FROM kto_answers k WHERE k.sub_id = s.id"
    " AND k.fixed_at = c.fixed_at)"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = s.email_hash)"
    " ORDER BY s.id ON CONFLICT DO NOTHING";

/* The array literal {"a","b",...} of v (n strings) in a NEW allocation
 * (free()); NULL when out of memory. */
static char *text_array(const char *const *v, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(v[i]) + 3;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *o++ = ',';
        *o++ = '"';
        for (const char *c = v[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '"';
    }
    *o++ = '}';
    *o = '\0';
    return out;
}

enum mp_status mp_pg_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                      const char *category, const char *const *statuses, size_t n,
                                      int64_t fixed_from, int64_t fixed_to, int64_t *added)
{
    struct mp_pg_params p;
    char *list = text_array(statuses, n);
    *added = 0;
    if (!list)
        return MP_ENOMEM;
    bind_message(&p, m);
    mp_pg_int64(&p, m->created_at);
    mp_pg_int64(&p, m->next_at);
    mp_pg_int64(&p, fixed_from);
    mp_pg_int64(&p, fixed_to);
    mp_pg_text(&p, category);
    mp_pg_text(&p, list);
    enum mp_status rc = mp_pg_run(s, sql_followups, &p, added, "follow-ups");
    free(list);
    if (rc)
        *added = 0;
    return rc;
}
