/* store_auth.c - SQL for accounts and the audit log. */
#include "meldpunt/store_auth.h"

#include "meldpunt/timeutil.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_schema.h"

static const char *const auth_migrations[] = {
    /* 1 */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL,"
    " department TEXT,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " disabled INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " last_seen_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER,"
    " user_name TEXT,"
    " action TEXT NOT NULL,"
    " object_type TEXT,"
    " object_id INTEGER,"
    " detail TEXT,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX audit_object ON audit (object_type, object_id, at);",
    /* 2 (schema 12, tenancy): an account works for the whole region or for
     * the municipalities listed in user_municipalities (core migration
     * 11 -> 12 creates that table). Accounts that exist are region-wide, so
     * a city pack and an older install behave as before. */
    "ALTER TABLE users ADD COLUMN region_wide INTEGER NOT NULL DEFAULT 1;",
};

const struct mp_store_module mp_store_module_auth = {
    "auth", auth_migrations, (int)(sizeof auth_migrations / sizeof *auth_migrations)};

#define USER_COLS                                                                                  \
    "id, created_at, last_seen_at, name, role, department, disabled, region_wide,"                 \
    " (SELECT group_concat(municipality, ',') FROM (SELECT municipality FROM user_municipalities"  \
    " m WHERE m.user_id = users.id ORDER BY municipality))"

static const char sql_add[] = "INSERT INTO users (name, role, department, token_hash, created_at)"
                              " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_by_token[] = "SELECT " USER_COLS " FROM users WHERE token_hash = ?1";
static const char sql_by_name[] = "SELECT " USER_COLS " FROM users WHERE name = ?1";
static const char sql_all[] = "SELECT " USER_COLS " FROM users ORDER BY name";
static const char sql_set_token[] = "UPDATE users SET token_hash = ?2 WHERE name = ?1";
static const char sql_disable[] = "UPDATE users SET disabled = ?2 WHERE name = ?1";
static const char sql_set_region[] = "UPDATE users SET region_wide = ?2 WHERE name = ?1";
static const char sql_scope_clear[] =
    "DELETE FROM user_municipalities WHERE user_id = (SELECT id FROM users WHERE name = ?1)";
static const char sql_scope_add[] = "INSERT INTO user_municipalities (user_id, municipality)"
                                    " SELECT u.id, j.value FROM users u, json_each(?2) j"
                                    " WHERE u.name = ?1";
static const char sql_audit_add[] = "INSERT INTO audit (user_id, user_name, action, object_type,"
                                    " object_id, detail, at) VALUES (NULLIF(?1, 0), ?2, ?3, ?4,"
                                    " ?5, ?6, ?7)";
static const char sql_audit_for[] = "SELECT id, IFNULL(user_id, 0), object_id, at, user_name,"
                                    " action, object_type, detail FROM audit WHERE object_type ="
                                    " ?1 AND object_id = ?2 ORDER BY at, id";

enum mp_status mp_sqlite_user_add(struct mp_store_sess *s, const char *name, const char *role,
                                  const char *department, const char *token_hash, int64_t *id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_add);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, name);
    mp_bind_text(st, 2, role);
    mp_bind_text(st, 3, department);
    mp_bind_text(st, 4, token_hash);
    sqlite3_bind_int64(st, 5, mp_time_now());
    enum mp_status rc = mp_stmt_run(s, st, "user insert");
    if (rc == MP_OK)
        *id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    return rc;
}

struct users {
    mp_user_cb cb;
    void *ctx;
};

static int user_row(void *ctx, sqlite3_stmt *st)
{
    const struct users *c = ctx;
    struct mp_user_row u = {
        .id = sqlite3_column_int64(st, 0),
        .created_at = sqlite3_column_int64(st, 1),
        .last_seen_at = sqlite3_column_int64(st, 2),
        .name = mp_col_text(st, 3),
        .role = mp_col_text(st, 4),
        .department = mp_col_text(st, 5),
        .disabled = sqlite3_column_int(st, 6) != 0,
        .region_wide = sqlite3_column_int(st, 7) != 0,
        .municipalities = mp_col_text(st, 8),
    };
    return c->cb(c->ctx, &u);
}

/* The user whose unique key (?1: token hash or name) is key. */
static enum mp_status user_by(struct mp_store_sess *s, const char *sql, const char *key,
                              mp_user_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    struct users c = {cb, ctx};
    if (st)
        mp_bind_text(st, 1, key);
    return mp_stmt_first(s, st, user_row, &c, "users");
}

enum mp_status mp_sqlite_user_by_token(struct mp_store_sess *s, const char *hash, mp_user_cb cb,
                                       void *ctx)
{
    return user_by(s, sql_by_token, hash, cb, ctx);
}

enum mp_status mp_sqlite_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                      void *ctx)
{
    return user_by(s, sql_by_name, name, cb, ctx);
}

enum mp_status mp_sqlite_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx)
{
    struct users c = {cb, ctx};
    return mp_stmt_each(s, mp_stmt(s, sql_all), user_row, &c, "users");
}

static enum mp_status update_user(struct mp_store_sess *s, const char *sql, const char *name,
                                  const char *text, int num)
{
    sqlite3_stmt *st = mp_stmt(s, sql);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 1, name);
    if (text)
        mp_bind_text(st, 2, text);
    else
        sqlite3_bind_int(st, 2, num);
    enum mp_status rc = mp_stmt_run(s, st, "user update");
    if (rc == MP_OK && sqlite3_changes(mp_sq(s)->db) == 0)
        return MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_sqlite_user_set_token(struct mp_store_sess *s, const char *name, const char *hash)
{
    return update_user(s, sql_set_token, name, hash, 0);
}

enum mp_status mp_sqlite_user_set_disabled(struct mp_store_sess *s, const char *name, bool disabled)
{
    return update_user(s, sql_disable, name, NULL, disabled);
}

enum mp_status mp_sqlite_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                                 const struct mp_scope_set *set)
{
    enum mp_status rc = update_user(s, sql_set_region, name, NULL, set == NULL);
    sqlite3_stmt *st = NULL;
    if (rc == MP_OK && (st = mp_stmt(s, sql_scope_clear)))
        mp_bind_text(st, 1, name);
    if (rc == MP_OK)
        rc = mp_stmt_run(s, st, "user municipalities");
    if (rc || !set || set->n == 0)
        return rc;
    if (!(st = mp_stmt(s, sql_scope_add)))
        return MP_EDB;
    mp_bind_text(st, 1, name);
    if ((rc = mp_bind_scope(st, 2, set)))
        return rc;
    return mp_stmt_run(s, st, "user municipalities");
}

enum mp_status mp_sqlite_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a)
{
    sqlite3_stmt *st = mp_stmt(s, sql_audit_add);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, a->user_id);
    mp_bind_text(st, 2, a->user_name);
    mp_bind_text(st, 3, a->action);
    mp_bind_text(st, 4, a->object_type);
    sqlite3_bind_int64(st, 5, a->object_id);
    mp_bind_text(st, 6, a->detail);
    sqlite3_bind_int64(st, 7, a->at ? a->at : mp_time_now());
    return mp_stmt_run(s, st, "audit insert");
}

struct audit {
    mp_audit_cb cb;
    void *ctx;
};

static int audit_row(void *ctx, sqlite3_stmt *st)
{
    const struct audit *c = ctx;
    struct mp_audit_row a = {
        .id = sqlite3_column_int64(st, 0),
        .user_id = sqlite3_column_int64(st, 1),
        .object_id = sqlite3_column_int64(st, 2),
        .at = sqlite3_column_int64(st, 3),
        .user_name = mp_col_text(st, 4),
        .action = mp_col_text(st, 5),
        .object_type = mp_col_text(st, 6),
        .detail = mp_col_text(st, 7),
    };
    return c->cb(c->ctx, &a);
}

enum mp_status mp_sqlite_audit_for(struct mp_store_sess *s, const char *type, int64_t id,
                                   mp_audit_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_audit_for);
    struct audit c = {cb, ctx};
    if (st) {
        mp_bind_text(st, 1, type);
        sqlite3_bind_int64(st, 2, id);
    }
    return mp_stmt_each(s, st, audit_row, &c, "audit");
}
