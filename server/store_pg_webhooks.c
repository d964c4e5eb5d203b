/* store_pg_webhooks.c - SQL of webhooks on PostgreSQL (store_webhooks.h):
 * the receivers, and the fan-out of an event to them. Their deliveries are
 * outbox rows of channel "webhook": store_pg_outbox.c lists, leases and
 * finishes them like mail. */
#include "meldpunt/store_webhooks.h"

#include "store_pg.h"
#include "store_pg_engine.h"

#define WEBHOOK_COLS "id, created_at, url, secret, events, contacts"

static const char sql_add[] = "INSERT INTO webhooks (url, secret, events, contacts, created_at)"
                              " VALUES ($1, $2, $3, $4, $5) RETURNING id";
static const char sql_list[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE deleted_at = 0 ORDER BY id";
static const char sql_get[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE deleted_at = 0 AND id = $1::bigint";
static const char sql_delete[] =
    "UPDATE webhooks SET deleted_at = $2 WHERE id = $1::bigint AND deleted_at = 0";
/* One delivery per receiver and event (the dedup key); rcpt is the
 * receiver's id, rcpt_hash names it for the listing's index. The
 * municipality is the report's, else the cluster's. */
static const char sql_fanout[] =
    "INSERT INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, municipality, report_id,"
    " cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT $1::bigint, 'webhook', 'webhook', w.id::text, 'webhook:' || w.id, coalesce((SELECT"
    " municipality FROM reports WHERE id = $4::bigint), (SELECT municipality FROM clusters"
    " WHERE id = $5::bigint)), NULLIF($4::bigint, 0), NULLIF($5::bigint, 0), '',"
    " replace(gen_random_uuid()::text, '-', ''), 'webhook:' || w.id || ':' || $1::bigint,"
    " $6::bigint, $6::bigint FROM webhooks w WHERE w.deleted_at = 0"
    " AND (position(',' || $2::text || ',' IN ',' || w.events || ',') > 0"
    " OR ($3::boolean AND position(',cluster.public_note,' IN ',' || w.events || ',') > 0))"
    " ORDER BY w.id ON CONFLICT DO NOTHING";
static const char sql_contact[] =
    "SELECT contact_name, contact_email, contact_phone FROM reports WHERE id = $1::bigint";

enum mp_status mp_pg_webhook_add(struct mp_store_sess *s, const char *url, const char *secret,
                                 const char *events, bool contacts, int64_t at, int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, url);
    mp_pg_text(&p, secret);
    mp_pg_text(&p, events);
    mp_pg_bool(&p, contacts);
    mp_pg_int64(&p, at);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_add, &p, mp_pg_row_int64, id, "webhook insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

struct hooks {
    mp_webhook_cb cb;
    void *ctx;
};

static int hook_row(void *p, const PGresult *r, int i)
{
    const struct hooks *c = p;
    struct mp_webhook_row w = {
        .id = mp_pg_col_int64(r, i, 0),
        .created_at = mp_pg_col_int64(r, i, 1),
        .url = mp_pg_col_text(r, i, 2),
        .secret = mp_pg_col_text(r, i, 3),
        .events = mp_pg_col_text(r, i, 4),
        .contacts = mp_pg_col_bool(r, i, 5),
    };
    return c->cb(c->ctx, &w);
}

enum mp_status mp_pg_webhook_list(struct mp_store_sess *s, mp_webhook_cb cb, void *ctx)
{
    struct hooks c = {cb, ctx};
    return mp_pg_each(s, sql_list, NULL, hook_row, &c, "webhooks");
}

enum mp_status mp_pg_webhook_get(struct mp_store_sess *s, int64_t id, mp_webhook_cb cb, void *ctx)
{
    struct hooks c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_get, &p, hook_row, &c, "webhook");
}

enum mp_status mp_pg_webhook_delete(struct mp_store_sess *s, int64_t id, int64_t at)
{
    struct mp_pg_params p;
    int64_t n = 0;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_int64(&p, at);
    enum mp_status rc = mp_pg_run(s, sql_delete, &p, &n, "webhook delete");
    return rc == MP_OK && n == 0 ? MP_ENOTFOUND : rc;
}

enum mp_status mp_pg_webhook_fanout(struct mp_store_sess *s, int64_t event_id, const char *type,
                                    bool note, int64_t report_id, int64_t cluster_id, int64_t at,
                                    int64_t *n)
{
    struct mp_pg_params p;
    int64_t changed = 0;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, event_id);
    mp_pg_text(&p, type);
    mp_pg_bool(&p, note);
    mp_pg_int64(&p, report_id);
    mp_pg_int64(&p, cluster_id);
    mp_pg_int64(&p, at);
    enum mp_status rc = mp_pg_run(s, sql_fanout, &p, &changed, "webhook fan-out");
    *n = rc == MP_OK ? changed : 0;
    return rc;
}

struct contacts {
    mp_webhook_contact_cb cb;
    void *ctx;
};

static int contact_row(void *p, const PGresult *r, int i)
{
    const struct contacts *c = p;
    struct mp_webhook_contact k = {mp_pg_col_text(r, i, 0), mp_pg_col_text(r, i, 1),
                                   mp_pg_col_text(r, i, 2)};
    return c->cb(c->ctx, &k);
}

enum mp_status mp_pg_webhook_contact(struct mp_store_sess *s, int64_t report_id,
                                     mp_webhook_contact_cb cb, void *ctx)
{
    struct contacts c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, report_id);
    return mp_pg_first(s, sql_contact, &p, contact_row, &c, "contact");
}
