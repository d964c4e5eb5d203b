/* store_sqlite_notify.c - SQL for the outbox: events, messages, reporters'
 * subscriptions and the stop list, one-time tokens, satisfaction answers
 * (store_notify.h). */
#include "meldpunt/store_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_outbox.h"
#include "store_sqlite_schema.h"

static const char *const notify_migrations[] = {
    /* 1 */
    /* Events are the log of what happened (no addresses in them); outbox
     * rows are the messages they fan out to, one per recipient, written in
     * the transaction of the change. Ids are AUTOINCREMENT: an event id or
     * a message id is never reused, so a receiver de-duplicating on it
     * never drops a new one. msg_key is the stable Message-ID of every
     * attempt; dedup admits one message per key (one mail per address and
     * event, one follow-up per subscription and fix). */
    "CREATE TABLE notify_events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " uid TEXT NOT NULL UNIQUE,"
    " type TEXT NOT NULL,"
    " cluster_id INTEGER, report_id INTEGER,"
    " data TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX notify_events_at ON notify_events (at);"
    "CREATE TABLE notify_subs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " report_id INTEGER NOT NULL UNIQUE REFERENCES reports (id),"
    " email TEXT,"
    " email_hash TEXT NOT NULL,"
    " lang TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " stopped_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX notify_subs_hash ON notify_subs (email_hash);"
    /* The stop list keeps only the hash of an address: it must outlive the
     * reports (an opt-out holds), and needs nothing else to hold. */
    "CREATE TABLE notify_stop (email_hash TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " event_id INTEGER,"
    " kind TEXT NOT NULL,"
    " channel TEXT NOT NULL,"
    " rcpt TEXT,"
    " rcpt_hash TEXT NOT NULL,"
    " sub_id INTEGER, report_id INTEGER, cluster_id INTEGER,"
    " lang TEXT NOT NULL,"
    " msg_key TEXT NOT NULL UNIQUE,"
    " dedup TEXT UNIQUE,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " next_at INTEGER NOT NULL,"
    " lease_until INTEGER NOT NULL DEFAULT 0,"
    " sent_at INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT);"
    "CREATE INDEX outbox_due ON outbox (channel, state, next_at);"
    "CREATE INDEX outbox_rcpt ON outbox (rcpt_hash, sent_at);"
    "CREATE INDEX outbox_report ON outbox (report_id);"
    "CREATE TABLE notify_tokens ("
    " hash TEXT PRIMARY KEY,"
    " purpose TEXT NOT NULL,"
    " rcpt_hash TEXT, email TEXT,"
    " sub_id INTEGER, report_id INTEGER, cluster_id INTEGER, ref INTEGER,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " used_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX notify_tokens_expiry ON notify_tokens (expires_at);"
    "CREATE INDEX notify_tokens_report ON notify_tokens (report_id);"
    "CREATE TABLE kto_answers ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " sub_id INTEGER NOT NULL,"
    " report_id INTEGER NOT NULL,"
    " cluster_id INTEGER NOT NULL,"
    " fixed_at INTEGER NOT NULL,"
    " satisfied INTEGER NOT NULL,"
    " reasons TEXT, text TEXT, photo BLOB, photo_thumb BLOB,"
    " created_at INTEGER NOT NULL,"
    " detailed_at INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (sub_id, fixed_at));"
    "CREATE INDEX kto_answers_cluster ON kto_answers (cluster_id, created_at);"
    /* "My reports" looks reports up by their contact address; follow-ups
     * look for clusters fixed within a window. */
    "CREATE INDEX reports_contact_email ON reports (contact_email COLLATE NOCASE)"
    " WHERE contact_email IS NOT NULL;"
    "CREATE INDEX clusters_fixed_at ON clusters (fixed_at) WHERE fixed_at > 0;",
};

const struct mp_store_module mp_store_module_notify = {
    "notify", notify_migrations, (int)(sizeof notify_migrations / sizeof *notify_migrations)};

#define NEW_KEY "lower(hex(randomblob(16)))"

/* ---- events ---- */

static const char sql_event_add[] =
    "INSERT INTO notify_events (uid, type, cluster_id, report_id, data, at)"
    " VALUES (" NEW_KEY ", ?1, NULLIF(?2, 0), NULLIF(?3, 0), ?4, ?5)";
static const char sql_event_get[] = "SELECT id, IFNULL(cluster_id, 0), IFNULL(report_id, 0), at,"
                                    " uid, type, data FROM notify_events WHERE id = ?1";

enum mp_status mp_sqlite_notify_event_add(struct mp_store_sess *s,
                                          const struct mp_notify_event_rec *e, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_event_add);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, e->type);
    sqlite3_bind_int64(st, 2, e->cluster_id);
    sqlite3_bind_int64(st, 3, e->report_id);
    mp_bind_text(st, 4, e->data ? e->data : "{}");
    sqlite3_bind_int64(st, 5, e->at);
    enum mp_status rc = mp_stmt_run(s, st, "event insert");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

struct events {
    mp_notify_event_cb cb;
    void *ctx;
};

static int event_row(void *p, sqlite3_stmt *st)
{
    const struct events *c = p;
    struct mp_notify_event_row e = {
        .id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .report_id = sqlite3_column_int64(st, 2),
        .at = sqlite3_column_int64(st, 3),
        .uid = mp_col_text(st, 4),
        .type = mp_col_text(st, 5),
        .data = mp_col_text(st, 6),
    };
    return c->cb(c->ctx, &e);
}

enum mp_status mp_sqlite_notify_event_get(struct mp_store_sess *s, int64_t id,
                                          mp_notify_event_cb cb, void *ctx)
{
    struct events c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_event_get, id), event_row, &c, "event");
}

/* ---- subscriptions and the stop list ---- */

static const char sql_sub_add[] =
    "INSERT INTO notify_subs (report_id, email, email_hash, lang, created_at, stopped_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN EXISTS (SELECT 1 FROM notify_stop"
    " WHERE email_hash = ?3) THEN ?5 ELSE 0 END) RETURNING id, stopped_at = 0";
static const char sql_sub_get[] = "SELECT id, report_id, created_at, stopped_at, email,"
                                  " email_hash, lang FROM notify_subs WHERE id = ?1";
static const char sql_sub_by_report[] = "SELECT id, report_id, created_at, stopped_at, email,"
                                        " email_hash, lang FROM notify_subs WHERE report_id = ?1";
static const char sql_sub_stop[] =
    "UPDATE notify_subs SET stopped_at = ?2 WHERE id = ?1 AND stopped_at = 0";
static const char sql_stop_add[] = "INSERT OR IGNORE INTO notify_stop VALUES (?1, ?2)";
static const char sql_stop_subs[] =
    "UPDATE notify_subs SET stopped_at = ?2 WHERE email_hash = ?1 AND stopped_at = 0";
static const char sql_stopped[] = "SELECT 1 FROM notify_stop WHERE email_hash = ?1";
/* NOCASE folds A-Z only: the rule of both engines (store_notify.h), on the
 * index reports_contact_email. */
static const char sql_known[] = "SELECT 1 FROM reports WHERE contact_email = ?1 COLLATE NOCASE"
                                " AND contact_email IS NOT NULL LIMIT 1";
/* Bounded: an address with more reports than this is a call centre. */
static const char sql_mine[] =
    "SELECT r.id, r.cluster_id, r.created_at, r.updated_at, r.category, r.status, r.location,"
    " r.address, EXISTS (SELECT 1 FROM notify_subs s WHERE s.report_id = r.id AND"
    " s.stopped_at = 0) FROM reports r WHERE r.contact_email = ?1 COLLATE NOCASE"
    " AND r.contact_email IS NOT NULL ORDER BY r.id DESC LIMIT 1000";

struct sub_added {
    int64_t id;
    bool active;
};

static int sub_added_row(void *p, sqlite3_stmt *st)
{
    struct sub_added *a = p;
    a->id = sqlite3_column_int64(st, 0);
    a->active = sqlite3_column_int(st, 1) != 0;
    return 0;
}

enum mp_status mp_sqlite_notify_sub_add(struct mp_store_sess *s, int64_t report_id,
                                        const char *email, const char *email_hash, const char *lang,
                                        int64_t at, int64_t *id, bool *active)
{
    struct sub_added a = {0, false};
    sqlite3_stmt *st = mp_stmt_id(s, sql_sub_add, report_id);
    if (st) {
        mp_bind_text(st, 2, email);
        mp_bind_text(st, 3, email_hash);
        mp_bind_text(st, 4, lang);
        sqlite3_bind_int64(st, 5, at);
    }
    /* The row loop steps the statement to its end (the row callback never
     * stops it), so the insert is complete when it returns. */
    enum mp_status rc = mp_stmt_each(s, st, sub_added_row, &a, "subscription insert");
    if (rc == MP_OK && a.id == 0)
        rc = MP_EDB;
    *id = a.id;
    *active = a.active;
    return rc;
}

struct subs {
    mp_notify_sub_cb cb;
    void *ctx;
};

static int sub_row(void *p, sqlite3_stmt *st)
{
    const struct subs *c = p;
    struct mp_notify_sub_row r = {
        .id = sqlite3_column_int64(st, 0),
        .report_id = sqlite3_column_int64(st, 1),
        .created_at = sqlite3_column_int64(st, 2),
        .stopped_at = sqlite3_column_int64(st, 3),
        .email = mp_col_text(st, 4),
        .email_hash = mp_col_text(st, 5),
        .lang = mp_col_text(st, 6),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                        void *ctx)
{
    struct subs c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_sub_get, id), sub_row, &c, "subscription");
}

enum mp_status mp_sqlite_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                              mp_notify_sub_cb cb, void *ctx)
{
    struct subs c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_sub_by_report, report_id), sub_row, &c,
                         "subscription");
}

enum mp_status mp_sqlite_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at)
{
    return mp_stmt_run_ids(s, sql_sub_stop, id, at, "subscription stop");
}

/* A statement with ?1 = text and ?2 = n, run to its end. */
static enum mp_status run_text_int(struct mp_store_sess *s, const char *sql, const char *text,
                                   int64_t n, const char *what)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    if (st) {
        mp_bind_text(st, 1, text);
        sqlite3_bind_int64(st, 2, n);
    }
    return mp_stmt_run(s, st, what);
}

enum mp_status mp_sqlite_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                             int64_t at)
{
    enum mp_status rc = run_text_int(s, sql_stop_add, email_hash, at, "stop list");
    return rc ? rc : run_text_int(s, sql_stop_subs, email_hash, at, "stop list");
}

/* Whether the statement sql with ?1 = text has a row. */
static enum mp_status exists_text(struct mp_store_sess *s, const char *sql, const char *text,
                                  bool *found, const char *what)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    if (st)
        mp_bind_text(st, 1, text);
    enum mp_status rc = mp_stmt_first(s, st, NULL, NULL, what);
    *found = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                                bool *stopped)
{
    return exists_text(s, sql_stopped, email_hash, stopped, "stop list");
}

enum mp_status mp_sqlite_notify_address_known(struct mp_store_sess *s, const char *email,
                                              bool *known)
{
    return exists_text(s, sql_known, email, known, "reports by address");
}

struct mine {
    mp_notify_mine_cb cb;
    void *ctx;
};

static int mine_row(void *p, sqlite3_stmt *st)
{
    const struct mine *c = p;
    struct mp_notify_mine_row r = {
        .report_id = sqlite3_column_int64(st, 0),
        .cluster_id = sqlite3_column_int64(st, 1),
        .created_at = sqlite3_column_int64(st, 2),
        .updated_at = sqlite3_column_int64(st, 3),
        .category = mp_col_text(st, 4),
        .status = mp_col_text(st, 5),
        .location = mp_col_text(st, 6),
        .address = mp_col_text(st, 7),
        .subscribed = sqlite3_column_int(st, 8) != 0,
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_notify_mine(struct mp_store_sess *s, const char *email,
                                     mp_notify_mine_cb cb, void *ctx)
{
    struct mine c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_mine);
    if (st)
        mp_bind_text(st, 1, email);
    return mp_stmt_each(s, st, mine_row, &c, "reports by address");
}

/* ---- the outbox ---- */

static const char sql_outbox_add[] =
    "INSERT OR IGNORE INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, sub_id, report_id,"
    " cluster_id, lang, msg_key, dedup, created_at, next_at) VALUES (NULLIF(?1, 0), ?2, ?3, ?4,"
    " ?5, NULLIF(?6, 0), NULLIF(?7, 0), NULLIF(?8, 0), ?9, " NEW_KEY ", ?10, ?11, ?12)";
/* One message per address: the lowest subscription of each (the rows come
 * in subscription order, and the dedup key admits the first). */
static const char sql_outbox_fanout[] =
    "INSERT OR IGNORE INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, sub_id, report_id,"
    " cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT NULLIF(?1, 0), ?2, ?3, s.email, s.email_hash, s.id, s.report_id, r.cluster_id,"
    " s.lang, " NEW_KEY ", ?2 || ':' || ?1 || ':' || s.email_hash, ?4, ?5"
    " FROM reports r JOIN notify_subs s ON s.report_id = r.id"
    " WHERE r.cluster_id = ?6 AND s.stopped_at = 0 AND s.email IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = s.email_hash)"
    " ORDER BY s.id";
static const char sql_outbox_due[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE o.channel = ?1 AND o.state = 'queued'"
    " AND o.next_at <= ?2 AND o.lease_until <= ?2"
    " ORDER BY o.next_at, o.id LIMIT ?3";
static const char sql_outbox_lease[] = "UPDATE outbox SET lease_until = ?2 WHERE id = ?1";
static const char sql_outbox_release[] =
    "UPDATE outbox SET lease_until = 0 WHERE state = 'queued' AND lease_until <> 0";
static const char sql_outbox_finish[] =
    "UPDATE outbox SET state = ?2, attempts = attempts + ?3, next_at = ?4, sent_at = ?5,"
    " last_error = ?6, lease_until = 0 WHERE id = ?1";
static const char sql_outbox_sent_since[] =
    "SELECT count(*), IFNULL(min(sent_at), 0) FROM outbox WHERE rcpt_hash = ?1 AND sent_at >= ?2"
    " AND sent_at > 0";
static const char sql_outbox_list[] =
    "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE (?1 IS NULL OR o.state = ?1)"
    " AND (?2 = 0 OR o.id < ?2) ORDER BY o.id DESC LIMIT ?3";
static const char sql_outbox_get[] = "SELECT " OUTBOX_COLS OUTBOX_FROM " WHERE o.id = ?1";
static const char sql_outbox_retry[] =
    "UPDATE outbox SET state = 'queued', next_at = ?2, lease_until = 0"
    " WHERE state = 'failed' AND (?1 = 0 OR id = ?1)";
static const char sql_outbox_counts[] =
    "SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state";

/* Bind the fields every insert of a message shares: ?1 event, ?2 kind, ?3
 * channel. */
static void bind_message(sqlite3_stmt *st, const struct mp_outbox_rec *m)
{
    sqlite3_bind_int64(st, 1, m->event_id);
    mp_bind_text(st, 2, m->kind);
    mp_bind_text(st, 3, m->channel);
}

enum mp_status mp_sqlite_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                    int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_outbox_add);
    if (!st)
        return MP_EDB;
    bind_message(st, m);
    mp_bind_text(st, 4, m->rcpt);
    mp_bind_text(st, 5, m->rcpt_hash);
    sqlite3_bind_int64(st, 6, m->sub_id);
    sqlite3_bind_int64(st, 7, m->report_id);
    sqlite3_bind_int64(st, 8, m->cluster_id);
    mp_bind_text(st, 9, m->lang ? m->lang : "");
    mp_bind_text(st, 10, m->dedup);
    sqlite3_bind_int64(st, 11, m->created_at);
    sqlite3_bind_int64(st, 12, m->next_at);
    enum mp_status rc = mp_stmt_run(s, st, "outbox insert");
    if (id)
        *id = rc == MP_OK && sqlite3_changes(mp_sq(s)->db) == 1
                  ? sqlite3_last_insert_rowid(mp_sq(s)->db)
                  : 0;
    return rc;
}

enum mp_status mp_sqlite_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                       int64_t cluster_id, int64_t *n)
{
    sqlite3_stmt *st = mp_stmt(s, sql_outbox_fanout);
    if (st) {
        bind_message(st, m);
        sqlite3_bind_int64(st, 4, m->created_at);
        sqlite3_bind_int64(st, 5, m->next_at);
        sqlite3_bind_int64(st, 6, cluster_id);
    }
    return mp_sqlite_outbox_fanout_run(s, st, n, "outbox fan-out");
}

enum mp_status mp_sqlite_outbox_fanout_run(struct mp_store_sess *s, sqlite3_stmt *st, int64_t *n,
                                           const char *what)
{
    if (n) /* may be NULL: nobody counts */
        *n = 0;
    if (!st)
        return MP_EDB;
    enum mp_status rc = mp_stmt_run(s, st, what);
    if (rc == MP_OK && n)
        *n = sqlite3_changes64(mp_sq(s)->db);
    return rc;
}

int mp_sqlite_outbox_row(void *ctx, sqlite3_stmt *st)
{
    const struct mp_sqlite_outbox_rows *c = ctx;
    struct mp_outbox_row r = {
        .id = sqlite3_column_int64(st, 0),
        .event_id = sqlite3_column_int64(st, 1),
        .sub_id = sqlite3_column_int64(st, 2),
        .report_id = sqlite3_column_int64(st, 3),
        .cluster_id = sqlite3_column_int64(st, 4),
        .attempts = sqlite3_column_int64(st, 5),
        .created_at = sqlite3_column_int64(st, 6),
        .next_at = sqlite3_column_int64(st, 7),
        .sent_at = sqlite3_column_int64(st, 8),
        .kind = mp_col_text(st, 9),
        .channel = mp_col_text(st, 10),
        .rcpt = mp_col_text(st, 11),
        .rcpt_hash = mp_col_text(st, 12),
        .lang = mp_col_text(st, 13),
        .msg_key = mp_col_text(st, 14),
        .state = mp_col_text(st, 15),
        .last_error = mp_col_text(st, 16),
        .event_uid = mp_col_text(st, 17),
    };
    return c->cb(c->ctx, &r);
}

enum mp_status mp_sqlite_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                    size_t max, mp_outbox_cb cb, void *ctx)
{
    struct mp_sqlite_outbox_rows c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_outbox_due);
    if (st) {
        mp_bind_text(st, 1, channel);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
    }
    return mp_stmt_each(s, st, mp_sqlite_outbox_row, &c, "outbox due");
}

enum mp_status mp_sqlite_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until)
{
    return mp_stmt_run_ids(s, sql_outbox_lease, id, until, "outbox lease");
}

enum mp_status mp_sqlite_outbox_release_all(struct mp_store_sess *s)
{
    return mp_stmt_run(s, mp_stmt(s, sql_outbox_release), "outbox release");
}

enum mp_status mp_sqlite_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                       bool attempted, int64_t next_at, int64_t sent_at,
                                       const char *error)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_outbox_finish, id);
    if (st) {
        mp_bind_text(st, 2, state);
        sqlite3_bind_int(st, 3, attempted ? 1 : 0);
        sqlite3_bind_int64(st, 4, next_at);
        sqlite3_bind_int64(st, 5, sent_at);
        mp_bind_text(st, 6, error);
    }
    return mp_stmt_run(s, st, "outbox finish");
}

struct two_ints {
    int64_t a, b;
};

static int two_ints_row(void *p, sqlite3_stmt *st)
{
    struct two_ints *t = p;
    t->a = sqlite3_column_int64(st, 0);
    t->b = sqlite3_column_int64(st, 1);
    return 1;
}

enum mp_status mp_sqlite_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                           int64_t since, int64_t *n, int64_t *oldest)
{
    struct two_ints t = {0, 0};
    sqlite3_stmt *st = mp_stmt(s, sql_outbox_sent_since);
    if (st) {
        mp_bind_text(st, 1, rcpt_hash);
        sqlite3_bind_int64(st, 2, since);
    }
    enum mp_status rc = mp_stmt_first(s, st, two_ints_row, &t, "outbox rate");
    *n = t.a;
    *oldest = t.b;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                     size_t limit, mp_outbox_cb cb, void *ctx)
{
    struct mp_sqlite_outbox_rows c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_outbox_list);
    if (st) {
        mp_bind_text(st, 1, state);
        sqlite3_bind_int64(st, 2, before);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    }
    return mp_stmt_each(s, st, mp_sqlite_outbox_row, &c, "outbox list");
}

enum mp_status mp_sqlite_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb, void *ctx)
{
    struct mp_sqlite_outbox_rows c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_outbox_get, id), mp_sqlite_outbox_row, &c,
                         "outbox get");
}

enum mp_status mp_sqlite_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now, int64_t *n)
{
    enum mp_status rc = mp_stmt_run_ids(s, sql_outbox_retry, id, now, "outbox retry");
    *n = rc == MP_OK ? sqlite3_changes64(mp_sq(s)->db) : 0;
    return rc;
}

struct counts {
    int (*cb)(void *ctx, const char *state, int64_t n);
    void *ctx;
};

static int count_row(void *p, sqlite3_stmt *st)
{
    const struct counts *c = p;
    return c->cb(c->ctx, mp_col_text(st, 0), sqlite3_column_int64(st, 1));
}

enum mp_status mp_sqlite_outbox_counts(struct mp_store_sess *s,
                                       int (*cb)(void *ctx, const char *state, int64_t n),
                                       void *ctx)
{
    struct counts c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_outbox_counts), count_row, &c, "outbox counts");
}

/* ---- follow-ups ---- */

/* From the few clusters fixed within the window (a partial index on
 * fixed_at) to their reports' active subscriptions. */
static const char sql_followups[] =
    "INSERT OR IGNORE INTO outbox (event_id, kind, channel, rcpt, rcpt_hash, sub_id, report_id,"
    " cluster_id, lang, msg_key, dedup, created_at, next_at)"
    " SELECT NULLIF(?1, 0), ?2, ?3, s.email, s.email_hash, s.id, s.report_id, c.id, s.lang,"
    " " NEW_KEY ", ?2 || ':' || s.id || ':' || c.fixed_at, ?4, ?5"
    " FROM clusters c JOIN reports r ON r.cluster_id = c.id"
    " JOIN notify_subs s ON s.report_id = r.id"
    " WHERE c.fixed_at > 0 AND c.fixed_at BETWEEN ?6 AND ?7 AND c.category = ?8"
    " AND c.status IN (SELECT value FROM json_each(?9))"
    " AND s.stopped_at = 0 AND s.email IS NOT NULL AND r.created_at <= c.fixed_at"
    " AND NOT EXISTS (SELECT 1 FROM kto_answers k WHERE k.sub_id = s.id"
    " AND k.fixed_at = c.fixed_at)"
    " AND NOT EXISTS (SELECT 1 FROM notify_stop x WHERE x.email_hash = s.email_hash)"
    " ORDER BY s.id";

enum mp_status mp_sqlite_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                          const char *category, const char *const *statuses,
                                          size_t n, int64_t fixed_from, int64_t fixed_to,
                                          int64_t *added)
{
    sqlite3_stmt *st = mp_stmt(s, sql_followups);
    *added = 0;
    if (!st)
        return MP_EDB;
    bind_message(st, m);
    sqlite3_bind_int64(st, 4, m->created_at);
    sqlite3_bind_int64(st, 5, m->next_at);
    sqlite3_bind_int64(st, 6, fixed_from);
    sqlite3_bind_int64(st, 7, fixed_to);
    mp_bind_text(st, 8, category);
    if (mp_bind_list(st, 9, statuses, n, false) != MP_OK) {
        mp_stmt_done(st);
        return MP_ENOMEM;
    }
    enum mp_status rc = mp_stmt_run(s, st, "follow-ups");
    if (rc == MP_OK)
        *added = sqlite3_changes64(mp_sq(s)->db);
    return rc;
}

/* ---- tokens ---- */

static const char sql_token_add[] =
    "INSERT INTO notify_tokens (hash, purpose, rcpt_hash, email, sub_id, report_id, cluster_id,"
    " ref, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, NULLIF(?5, 0), NULLIF(?6, 0),"
    " NULLIF(?7, 0), ?8, ?9, ?10)";
static const char sql_token_get[] =
    "SELECT hash, purpose, rcpt_hash, email, IFNULL(sub_id, 0), IFNULL(report_id, 0),"
    " IFNULL(cluster_id, 0), IFNULL(ref, 0), created_at, expires_at, used_at FROM notify_tokens"
    " WHERE hash = ?1";
static const char sql_token_use[] =
    "UPDATE notify_tokens SET used_at = ?2 WHERE hash = ?1 AND used_at = 0";
static const char sql_tokens_prune[] = "DELETE FROM notify_tokens WHERE expires_at < ?1";

enum mp_status mp_sqlite_notify_token_add(struct mp_store_sess *s,
                                          const struct mp_notify_token_rec *t)
{
    sqlite3_stmt *st = mp_stmt(s, sql_token_add);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, t->hash);
    mp_bind_text(st, 2, t->purpose);
    mp_bind_text(st, 3, t->rcpt_hash);
    mp_bind_text(st, 4, t->email);
    sqlite3_bind_int64(st, 5, t->sub_id);
    sqlite3_bind_int64(st, 6, t->report_id);
    sqlite3_bind_int64(st, 7, t->cluster_id);
    sqlite3_bind_int64(st, 8, t->ref);
    sqlite3_bind_int64(st, 9, t->created_at);
    sqlite3_bind_int64(st, 10, t->expires_at);
    return mp_stmt_run(s, st, "token insert");
}

struct tokens {
    mp_notify_token_cb cb;
    void *ctx;
};

static int token_row(void *p, sqlite3_stmt *st)
{
    const struct tokens *c = p;
    struct mp_notify_token_row t = {
        .hash = mp_col_text(st, 0),
        .purpose = mp_col_text(st, 1),
        .rcpt_hash = mp_col_text(st, 2),
        .email = mp_col_text(st, 3),
        .sub_id = sqlite3_column_int64(st, 4),
        .report_id = sqlite3_column_int64(st, 5),
        .cluster_id = sqlite3_column_int64(st, 6),
        .ref = sqlite3_column_int64(st, 7),
        .created_at = sqlite3_column_int64(st, 8),
        .expires_at = sqlite3_column_int64(st, 9),
        .used_at = sqlite3_column_int64(st, 10),
    };
    return c->cb(c->ctx, &t);
}

enum mp_status mp_sqlite_notify_token_get(struct mp_store_sess *s, const char *hash,
                                          mp_notify_token_cb cb, void *ctx)
{
    struct tokens c = {cb, ctx};
    sqlite3_stmt *st = mp_stmt(s, sql_token_get);
    if (st)
        mp_bind_text(st, 1, hash);
    return mp_stmt_first(s, st, token_row, &c, "token");
}

enum mp_status mp_sqlite_notify_token_use(struct mp_store_sess *s, const char *hash, int64_t at)
{
    enum mp_status rc = run_text_int(s, sql_token_use, hash, at, "token use");
    if (rc == MP_OK && sqlite3_changes(mp_sq(s)->db) != 1)
        return MP_ECONFLICT;
    return rc;
}

enum mp_status mp_sqlite_notify_tokens_prune(struct mp_store_sess *s, int64_t now, int64_t *n)
{
    enum mp_status rc = mp_stmt_run(s, mp_stmt_id(s, sql_tokens_prune, now), "token prune");
    if (n)
        *n = rc == MP_OK ? sqlite3_changes64(mp_sq(s)->db) : 0;
    return rc;
}

/* ---- satisfaction answers ---- */

static const char sql_kto_add[] =
    "INSERT INTO kto_answers (sub_id, report_id, cluster_id, fixed_at, satisfied, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_kto_detail[] =
    "UPDATE kto_answers SET reasons = ?2, text = ?3, photo = ?4, photo_thumb = ?5,"
    " detailed_at = ?6 WHERE id = ?1";
#define KTO_COLS                                                                                   \
    "id, sub_id, report_id, cluster_id, fixed_at, created_at, detailed_at, satisfied,"             \
    " photo IS NOT NULL, reasons, text"
static const char sql_kto_get[] = "SELECT " KTO_COLS " FROM kto_answers WHERE id = ?1";
static const char sql_kto_answered[] =
    "SELECT 1 FROM kto_answers WHERE sub_id = ?1 AND fixed_at = ?2";
static const char sql_kto_cluster[] =
    "SELECT " KTO_COLS " FROM kto_answers WHERE cluster_id = ?1 ORDER BY created_at, id";
static const char sql_kto_photo[] = "SELECT photo FROM kto_answers WHERE id = ?1"
                                    " AND photo IS NOT NULL";
static const char sql_kto_thumb[] = "SELECT photo_thumb FROM kto_answers WHERE id = ?1"
                                    " AND photo_thumb IS NOT NULL";

enum mp_status mp_sqlite_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_kto_add);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, k->sub_id);
    sqlite3_bind_int64(st, 2, k->report_id);
    sqlite3_bind_int64(st, 3, k->cluster_id);
    sqlite3_bind_int64(st, 4, k->fixed_at);
    sqlite3_bind_int(st, 5, k->satisfied ? 1 : 0);
    sqlite3_bind_int64(st, 6, k->at);
    enum mp_status rc = mp_stmt_run(s, st, "answer insert");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

enum mp_status mp_sqlite_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                    const char *text, const struct mp_photo_rec *photo, int64_t at)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_kto_detail, id);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 2, reasons);
    mp_bind_text(st, 3, text);
    if (photo) {
        sqlite3_bind_blob64(st, 4, photo->full, photo->full_len, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 5, photo->thumb, photo->thumb_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 4);
        sqlite3_bind_null(st, 5);
    }
    sqlite3_bind_int64(st, 6, at);
    return mp_stmt_run(s, st, "answer details");
}

struct answers {
    mp_kto_cb cb;
    void *ctx;
};

static int kto_row(void *p, sqlite3_stmt *st)
{
    const struct answers *c = p;
    struct mp_kto_row k = {
        .id = sqlite3_column_int64(st, 0),
        .sub_id = sqlite3_column_int64(st, 1),
        .report_id = sqlite3_column_int64(st, 2),
        .cluster_id = sqlite3_column_int64(st, 3),
        .fixed_at = sqlite3_column_int64(st, 4),
        .created_at = sqlite3_column_int64(st, 5),
        .detailed_at = sqlite3_column_int64(st, 6),
        .satisfied = sqlite3_column_int(st, 7) != 0,
        .has_photo = sqlite3_column_int(st, 8) != 0,
        .reasons = mp_col_text(st, 9),
        .text = mp_col_text(st, 10),
    };
    return c->cb(c->ctx, &k);
}

enum mp_status mp_sqlite_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb, void *ctx)
{
    struct answers c = {cb, ctx};
    return mp_stmt_first(s, mp_stmt_id(s, sql_kto_get, id), kto_row, &c, "answer");
}

enum mp_status mp_sqlite_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                      bool *answered)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_kto_answered, sub_id);
    if (st)
        sqlite3_bind_int64(st, 2, fixed_at);
    enum mp_status rc = mp_stmt_first(s, st, NULL, NULL, "answer");
    *answered = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_sqlite_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                         void *ctx)
{
    struct answers c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt_id(s, sql_kto_cluster, cluster_id), kto_row, &c, "answers");
}

enum mp_status mp_sqlite_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                                   size_t *len)
{
    return mp_stmt_blob(s, mp_stmt_id(s, thumb ? sql_kto_thumb : sql_kto_photo, id), data, len,
                        "answer photo");
}
