/* store_pg_notify.c - SQL of the notifications on PostgreSQL
 * (store_notify.h): events, reporters' subscriptions and the stop list,
 * "my reports", one-time tokens. The messages are store_pg_outbox.c's, the
 * satisfaction answers store_pg_kto.c's; the tables are store_pg_schema.c's
 * v10_notify. */
#include "meldpunt/store_notify.h"

#include "store_pg.h"
#include "store_pg_engine.h"

/* ---- events ---- */

/* The uid: 32 hex digits of a random UUID (the SQLite engine's 16 random
 * bytes), unique across servers without coordination. The municipality is
 * the cluster's, else the report's (an event may name neither). */
static const char sql_event_add[] =
    "INSERT INTO notify_events (uid, type, municipality, cluster_id, report_id, data, at)"
    " VALUES (replace(gen_random_uuid()::text, '-', ''), $1, coalesce((SELECT municipality FROM"
    " clusters WHERE id = $2::bigint), (SELECT municipality FROM reports WHERE id ="
    " $3::bigint)), NULLIF($2::bigint, 0), NULLIF($3::bigint, 0), $4, $5) RETURNING id";
static const char sql_event_get[] =
    "SELECT id, coalesce(cluster_id, 0), coalesce(report_id, 0), at, uid, type, data"
    " FROM notify_events WHERE id = $1::bigint";

enum mp_status mp_pg_notify_event_add(struct mp_store_sess *s, const struct mp_notify_event_rec *e,
                                      int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, e->type);
    mp_pg_int64(&p, e->cluster_id);
    mp_pg_int64(&p, e->report_id);
    mp_pg_text(&p, e->data ? e->data : "{}");
    mp_pg_int64(&p, e->at);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_event_add, &p, mp_pg_row_int64, id, "event insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

struct events {
    mp_notify_event_cb cb;
    void *ctx;
};

static int event_row(void *p, const PGresult *r, int i)
{
    const struct events *c = p;
    struct mp_notify_event_row e = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .report_id = mp_pg_col_int64(r, i, 2),
        .at = mp_pg_col_int64(r, i, 3),
        .uid = mp_pg_col_text(r, i, 4),
        .type = mp_pg_col_text(r, i, 5),
        .data = mp_pg_col_text(r, i, 6),
    };
    return c->cb(c->ctx, &e);
}

/* One bigint parameter. */
static void one_id(struct mp_pg_params *p, int64_t id)
{
    mp_pg_params_init(p);
    mp_pg_int64(p, id);
}

enum mp_status mp_pg_notify_event_get(struct mp_store_sess *s, int64_t id, mp_notify_event_cb cb,
                                      void *ctx)
{
    struct events c = {cb, ctx};
    struct mp_pg_params p;
    one_id(&p, id);
    return mp_pg_first(s, sql_event_get, &p, event_row, &c, "event");
}

/* ---- subscriptions and the stop list ---- */

/* A missing report leaves the municipality NULL: refused (MP_ECONFLICT),
 * as SQLite's foreign key; so is a second subscription of a report. */
static const char sql_sub_add[] =
    "INSERT INTO notify_subs (municipality, report_id, email, email_hash, lang, created_at,"
    " stopped_at) VALUES ((SELECT municipality FROM reports WHERE id = $1::bigint), $1, $2, $3,"
    " $4, $5::bigint, CASE WHEN EXISTS (SELECT 1 FROM notify_stop WHERE email_hash = $3)"
    " THEN $5::bigint ELSE 0 END) RETURNING id, stopped_at = 0";
#define SUB_COLS "id, report_id, created_at, stopped_at, email, email_hash, lang"
static const char sql_sub_get[] = "SELECT " SUB_COLS " FROM notify_subs WHERE id = $1::bigint";
static const char sql_sub_by_report[] =
    "SELECT " SUB_COLS " FROM notify_subs WHERE report_id = $1::bigint";
static const char sql_sub_stop[] =
    "UPDATE notify_subs SET stopped_at = $2 WHERE id = $1::bigint AND stopped_at = 0";
static const char sql_stop_add[] =
    "INSERT INTO notify_stop VALUES ($1, $2) ON CONFLICT (email_hash) DO NOTHING";
static const char sql_stop_subs[] =
    "UPDATE notify_subs SET stopped_at = $2 WHERE email_hash = $1 AND stopped_at = 0";
static const char sql_stopped[] = "SELECT 1 FROM notify_stop WHERE email_hash = $1";
/* "Without case" is the rule of SQLite's NOCASE, on both engines
 * (store_notify.h): A-Z equal a-z, every other character only itself. The
 * database's lower() folds by its locale, non-ASCII letters too (C.UTF-8:
 * the Kelvin sign K to k, U+0130 to i), so that a look-alike address would
 * sign in as someone else; lower() under COLLATE "C" folds ASCII only. The
 * first term is the index's expression (reports_contact_email) and finds a
 * superset: an address equal to the ASCII key $1 under ASCII folding is ASCII
 * itself, so the locale's lower() of it is the key too (in every locale that
 * lowers A-Z to a-z: not a Turkish one). The second term decides. */
#define SAME_ADDRESS                                                                               \
    "lower(contact_email) = lower($1)"                                                             \
    " AND lower(contact_email COLLATE \"C\") = lower($1 COLLATE \"C\")"
static const char sql_known[] =
    "SELECT 1 FROM reports WHERE " SAME_ADDRESS " AND contact_email IS NOT NULL LIMIT 1";
/* Bounded: an address with more reports than this is a call centre. */
static const char sql_mine[] =
    "SELECT r.id, r.cluster_id, r.created_at, r.updated_at, r.category, r.status, r.location,"
    " r.address, EXISTS (SELECT 1 FROM notify_subs s WHERE s.report_id = r.id AND"
    " s.stopped_at = 0) FROM reports r WHERE " SAME_ADDRESS
    " AND r.contact_email IS NOT NULL ORDER BY r.id DESC LIMIT 1000";

struct sub_added {
    int64_t id;
    bool active;
};

static int sub_added_row(void *p, const PGresult *r, int i)
{
    struct sub_added *a = p;
    a->id = mp_pg_col_int64(r, i, 0);
    a->active = mp_pg_col_bool(r, i, 1);
    return 1;
}

enum mp_status mp_pg_notify_sub_add(struct mp_store_sess *s, int64_t report_id, const char *email,
                                    const char *email_hash, const char *lang, int64_t at,
                                    int64_t *id, bool *active)
{
    struct sub_added a = {0, false};
    struct mp_pg_params p;
    one_id(&p, report_id);
    mp_pg_text(&p, email);
    mp_pg_text(&p, email_hash);
    mp_pg_text(&p, lang);
    mp_pg_int64(&p, at);
    enum mp_status rc = mp_pg_first(s, sql_sub_add, &p, sub_added_row, &a, "subscription insert");
    *id = a.id;
    *active = a.active;
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

struct subs {
    mp_notify_sub_cb cb;
    void *ctx;
};

static int sub_row(void *p, const PGresult *r, int i)
{
    const struct subs *c = p;
    struct mp_notify_sub_row row = {
        .id = mp_pg_col_int64(r, i, 0),
        .report_id = mp_pg_col_int64(r, i, 1),
        .created_at = mp_pg_col_int64(r, i, 2),
        .stopped_at = mp_pg_col_int64(r, i, 3),
        .email = mp_pg_col_text(r, i, 4),
        .email_hash = mp_pg_col_text(r, i, 5),
        .lang = mp_pg_col_text(r, i, 6),
    };
    return c->cb(c->ctx, &row);
}

enum mp_status mp_pg_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                    void *ctx)
{
    struct subs c = {cb, ctx};
    struct mp_pg_params p;
    one_id(&p, id);
    return mp_pg_first(s, sql_sub_get, &p, sub_row, &c, "subscription");
}

enum mp_status mp_pg_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                          mp_notify_sub_cb cb, void *ctx)
{
    struct subs c = {cb, ctx};
    struct mp_pg_params p;
    one_id(&p, report_id);
    return mp_pg_first(s, sql_sub_by_report, &p, sub_row, &c, "subscription");
}

enum mp_status mp_pg_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    struct mp_pg_params p;
    one_id(&p, id);
    mp_pg_int64(&p, at);
    return mp_pg_run(s, sql_sub_stop, &p, NULL, "subscription stop");
}

/* A statement with $1 = text and $2 = n. */
static enum mp_status run_text_int(struct mp_store_sess *s, const char *sql, const char *text,
                                   int64_t n, int64_t *changed, const char *what)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, text);
    mp_pg_int64(&p, n);
    return mp_pg_run(s, sql, &p, changed, what);
}

enum mp_status mp_pg_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                         int64_t at)
{
    enum mp_status rc = run_text_int(s, sql_stop_add, email_hash, at, NULL, "stop list");
    return rc ? rc : run_text_int(s, sql_stop_subs, email_hash, at, NULL, "stop list");
}

/* Whether the statement sql with $1 = text has a row. */
static enum mp_status exists_text(struct mp_store_sess *s, const char *sql, const char *text,
                                  bool *found, const char *what)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, text);
    enum mp_status rc = mp_pg_first(s, sql, &p, NULL, NULL, what);
    *found = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                            bool *stopped)
{
    return exists_text(s, sql_stopped, email_hash, stopped, "stop list");
}

enum mp_status mp_pg_notify_address_known(struct mp_store_sess *s, const char *email, bool *known)
{
    return exists_text(s, sql_known, email, known, "reports by address");
}

struct mine {
    mp_notify_mine_cb cb;
    void *ctx;
};

static int mine_row(void *p, const PGresult *r, int i)
{
    const struct mine *c = p;
    struct mp_notify_mine_row row = {
        .report_id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .created_at = mp_pg_col_int64(r, i, 2),
        .updated_at = mp_pg_col_int64(r, i, 3),
        .category = mp_pg_col_text(r, i, 4),
        .status = mp_pg_col_text(r, i, 5),
        .location = mp_pg_col_text(r, i, 6),
        .address = mp_pg_col_text(r, i, 7),
        .subscribed = mp_pg_col_bool(r, i, 8),
    };
    return c->cb(c->ctx, &row);
}

enum mp_status mp_pg_notify_mine(struct mp_store_sess *s, const char *email, mp_notify_mine_cb cb,
                                 void *ctx)
{
    struct mine c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, email);
    return mp_pg_each(s, sql_mine, &p, mine_row, &c, "reports by address");
}

/* ---- tokens ---- */

static const char sql_token_add[] =
    "INSERT INTO notify_tokens (hash, purpose, rcpt_hash, email, municipality, sub_id, report_id,"
    " cluster_id, ref, created_at, expires_at) VALUES ($1, $2, $3, $4, coalesce((SELECT"
    " municipality FROM reports WHERE id = $6::bigint), (SELECT municipality FROM clusters"
    " WHERE id = $7::bigint)), NULLIF($5::bigint, 0), NULLIF($6::bigint, 0),"
    " NULLIF($7::bigint, 0), $8, $9, $10)";
static const char sql_token_get[] =
    "SELECT hash, purpose, rcpt_hash, email, coalesce(sub_id, 0), coalesce(report_id, 0),"
    " coalesce(cluster_id, 0), coalesce(ref, 0), created_at, expires_at, used_at"
    " FROM notify_tokens WHERE hash = $1";
static const char sql_token_use[] =
    "UPDATE notify_tokens SET used_at = $2 WHERE hash = $1 AND used_at = 0";
static const char sql_tokens_prune[] = "DELETE FROM notify_tokens WHERE expires_at < $1";

enum mp_status mp_pg_notify_token_add(struct mp_store_sess *s, const struct mp_notify_token_rec *t)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, t->hash);
    mp_pg_text(&p, t->purpose);
    mp_pg_text(&p, t->rcpt_hash);
    mp_pg_text(&p, t->email);
    mp_pg_int64(&p, t->sub_id);
    mp_pg_int64(&p, t->report_id);
    mp_pg_int64(&p, t->cluster_id);
    mp_pg_int64(&p, t->ref);
    mp_pg_int64(&p, t->created_at);
    mp_pg_int64(&p, t->expires_at);
    return mp_pg_run(s, sql_token_add, &p, NULL, "token insert");
}

struct tokens {
    mp_notify_token_cb cb;
    void *ctx;
};

static int token_row(void *p, const PGresult *r, int i)
{
    const struct tokens *c = p;
    struct mp_notify_token_row t = {
        .hash = mp_pg_col_text(r, i, 0),
        .purpose = mp_pg_col_text(r, i, 1),
        .rcpt_hash = mp_pg_col_text(r, i, 2),
        .email = mp_pg_col_text(r, i, 3),
        .sub_id = mp_pg_col_int64(r, i, 4),
        .report_id = mp_pg_col_int64(r, i, 5),
        .cluster_id = mp_pg_col_int64(r, i, 6),
        .ref = mp_pg_col_int64(r, i, 7),
        .created_at = mp_pg_col_int64(r, i, 8),
        .expires_at = mp_pg_col_int64(r, i, 9),
        .used_at = mp_pg_col_int64(r, i, 10),
    };
    return c->cb(c->ctx, &t);
}

enum mp_status mp_pg_notify_token_get(struct mp_store_sess *s, const char *hash,
                                      mp_notify_token_cb cb, void *ctx)
{
    struct tokens c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, hash);
    return mp_pg_first(s, sql_token_get, &p, token_row, &c, "token");
}

enum mp_status mp_pg_notify_token_use(struct mp_store_sess *s, const char *hash, int64_t at)
{
    int64_t n = 0;
    enum mp_status rc = run_text_int(s, sql_token_use, hash, at, &n, "token use");
    return rc == MP_OK && n != 1 ? MP_ECONFLICT : rc;
}

enum mp_status mp_pg_notify_tokens_prune(struct mp_store_sess *s, int64_t now, int64_t *n)
{
    struct mp_pg_params p;
    int64_t changed = 0;
    one_id(&p, now);
    enum mp_status rc = mp_pg_run(s, sql_tokens_prune, &p, &changed, "token prune");
    if (n)
        *n = rc == MP_OK ? changed : 0;
    return rc;
}
