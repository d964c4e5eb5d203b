/* store_sqlite_webhooks.c - SQL for webhooks (store_webhooks.h). */
#include "meldpunt/store_webhooks.h"

#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_outbox.h"
#include "store_sqlite_schema.h"

static const char *const webhook_migrations[] = {
    /* 1 */
    /* The secret is kept as given: the server signs with it. deleted_at
     * retires a receiver without losing its deliveries' history. */
    "CREATE TABLE webhooks ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " url TEXT NOT NULL,"
    " secret TEXT NOT NULL,"
    " events TEXT NOT NULL,"
    " contacts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " deleted_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX outbox_webhook ON outbox (channel, rcpt_hash, id);",
};

const struct mp_store_module mp_store_module_webhooks = {
    "webhooks", webhook_migrations, (int)(sizeof webhook_migrations / sizeof *webhook_migrations)};

#define WEBHOOK_COLS "id, created_at, url, secret, events, contacts"

static const char sql_add[] = "INSERT INTO webhooks (url, secret, events, contacts, created_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_list[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE deleted_at = 0 ORDER BY id";
static const char sql_get[] =
    "SELECT " WEBHOOK_COLS " FROM webhooks WHERE deleted_at = 0 AND id = ?1";
static const char sql_delete[] =
    "UPDATE webhooks SET deleted_at = ?2 WHERE id = ?1 AND deleted_at = 0";
/* One delivery per receiver and event (the dedup key); rcpt is the
 * receiver's id, rcpt_hash names it for the listing's index. */
static const char sql_fanout[] =
    "INSERT OR IGNORE INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, report_id,"
    " cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT ?1, 'webhook', 'webhook', w.id, 'webhook:' || w.id, NULLIF(?4, 0), NULLIF(?5, 0),"
    " '', lower(hex(randomblob(16))), 'webhook:' || w.id || ':' || ?1, ?6, ?6"
    " FROM webhooks w WHERE w.deleted_at = 0"
    " AND (instr(',' || w.events || ',', ',' || ?2 || ',') > 0"
    " OR (?3 AND instr(',' || w.events || ',', ',cluster.public_note,') > 0))"
    " ORDER BY w.id";
static const char sql_any[] = "SELECT EXISTS (SELECT 1 FROM webhooks WHERE deleted_at = 0)";
static const char sql_deliveries[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM
    " WHERE o.channel = 'webhook' AND o.rcpt_hash = 'webhook:' || ?1"
    " AND (?2 IS NULL OR o.state = ?2) ORDER BY o.id DESC LIMIT ?3";
static const char sql_contact[] =
    "SELECT contact_name, contact_email, contact_phone FROM reports WHERE id = ?1";

enum mp_status mp_sqlite_webhook_add(struct mp_store_sess *s, const char *url, const char *secret,
                                     const char *events, bool contacts, int64_t at, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_add);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, url);
    mp_bind_text(st, 2, secret);
    mp_bind_text(st, 3, events);
    sqlite3_bind_int(st, 4, contacts ? 1 : 0);
    sqlite3_bind_int64(st, 5, at);
    enum mp_status rc = mp_stmt_run(s, st, "webhook insert");
    *id = rc == MP_OK ? sqlite3_last_insert_rowid(mp_sq(s)->db) : 0;
    return rc;
}

struct hooks {
    mp_webhook_cb cb;
    void *ctx;
};

static int hook_row(void *p, sqlite3_stmt *st)
{
    const struct hooks *c = p;
    struct mp_webhook_row w = {
        .id = sqlite3_column_int64(st, 0),
        .created_at = sqlite3_column_int64(st, 1),
        .url = mp_col_text(st, 2),
        .secret = mp_col_text(st, 3),
        .events = mp_col_text(st, 4),
        .contacts = sqlite3_column_int(st, 5) != 0,
    };
    return c->cb(c->ctx, &w);
}

enum mp_status mp_sqlite_webhook_list(struct mp_store_sess *s, mp_webhook_cb cb, void *ctx)
{
    struct hooks c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_list), hook_row, &c, "webhooks");
}

enum mp_status mp_sqlite_webhook_get(struct mp_store_sess *s, int64_t id, mp_webhook_cb cb,
                                     void *ctx)
{
    struct hooks c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_get, id), hook_row, &c, "webhook");
}

enum mp_status mp_sqlite_webhook_delete(struct mp_store_sess *s, int64_t id, int64_t at)
{
    enum mp_status rc = mp_stmt_run_ids(s, sql_delete, id, at, "webhook delete");
    if (rc == MP_OK && sqlite3_changes(mp_sq(s)->db) == 0)
        rc = MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_sqlite_webhook_fanout(struct mp_store_sess *s, int64_t event_id, const char *type,
                                        bool note, int64_t report_id, int64_t cluster_id,
                                        int64_t at, int64_t *n)
{
    /* Every event of the writer comes here, and most towns have no
     * receiver: the look-up reads one page, where the INSERT ... SELECT
     * opened the outbox and its six indexes for writing first (about 20 k
     * instructions a report, bench/README.md "Writer CPU"). */
    int64_t live = 0;
    enum mp_status rc = mp_stmt_first(s, mp_stmt(s, sql_any), mp_row_int64, &live, "webhooks");
    *n = 0;
    if (rc != MP_OK || !live)
        return rc;
    sqlite3_stmt *st = mp_stmt(s, sql_fanout);
    if (st) {
        sqlite3_bind_int64(st, 1, event_id);
        mp_bind_text(st, 2, type);
        sqlite3_bind_int(st, 3, note ? 1 : 0);
        sqlite3_bind_int64(st, 4, report_id);
        sqlite3_bind_int64(st, 5, cluster_id);
        sqlite3_bind_int64(st, 6, at);
    }
    return mp_sqlite_outbox_fanout_run(s, st, n, "webhook fan-out");
}

enum mp_status mp_sqlite_webhook_deliveries(struct mp_store_sess *s, int64_t id, const char *state,
                                            size_t limit, mp_outbox_cb cb, void *ctx)
{
    struct mp_sqlite_outbox_rows c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_deliveries);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        mp_bind_text(st, 2, state);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    }
    return mp_stmt_each(s, st, mp_sqlite_outbox_row, &c, "webhook deliveries");
}

struct contacts {
    mp_webhook_contact_cb cb;
    void *ctx;
};

static int contact_row(void *p, sqlite3_stmt *st)
{
    const struct contacts *c = p;
    struct mp_webhook_contact k = {mp_col_text(st, 0), mp_col_text(st, 1), mp_col_text(st, 2)};
    return c->cb(c->ctx, &k);
}

enum mp_status mp_sqlite_webhook_contact(struct mp_store_sess *s, int64_t report_id,
                                         mp_webhook_contact_cb cb, void *ctx)
{
    struct contacts c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_contact, report_id), contact_row, &c, "contact");
}
