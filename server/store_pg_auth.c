/* store_pg_auth.c - SQL of accounts and the audit log on PostgreSQL (the
 * twin of store_sqlite_auth.c; contracts in store_auth.h). Lists sort by
 * byte order (COLLATE "C"), as SQLite's BINARY collation does, whatever
 * the database's locale. */
#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/timeutil.h"
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

#define USER_COLS                                                                                  \
    "id, created_at, last_seen_at, name, role, department, disabled, region_wide,"                 \
    " (SELECT string_agg(m.municipality, ',' ORDER BY m.municipality COLLATE \"C\")"               \
    " FROM user_municipalities m WHERE m.user_id = users.id)"

/* A taken name (or token hash) is a unique violation: MP_ECONFLICT. */
static const char sql_add[] = "INSERT INTO users (name, role, department, token_hash, created_at)"
                              " VALUES ($1, $2, $3, $4, $5::bigint) RETURNING id";
static const char sql_by_token[] = "SELECT " USER_COLS " FROM users WHERE token_hash = $1";
static const char sql_by_name[] = "SELECT " USER_COLS " FROM users WHERE name = $1";
static const char sql_all[] = "SELECT " USER_COLS " FROM users ORDER BY name COLLATE \"C\", id";
static const char sql_set_token[] = "UPDATE users SET token_hash = $2 WHERE name = $1";
static const char sql_disable[] = "UPDATE users SET disabled = $2::boolean WHERE name = $1";
static const char sql_set_region[] = "UPDATE users SET region_wide = $2::boolean WHERE name = $1";
static const char sql_scope_clear[] =
    "DELETE FROM user_municipalities WHERE user_id = (SELECT id FROM users WHERE name = $1)";
static const char sql_scope_add[] = "INSERT INTO user_municipalities (user_id, municipality)"
                                    " SELECT u.id, m FROM users u, unnest($2::text[]) m"
                                    " WHERE u.name = $1";
static const char sql_audit_add[] =
    "INSERT INTO audit (user_id, user_name, action, object_type, object_id, detail, at)"
    " VALUES (NULLIF($1::bigint, 0), $2, $3, $4, $5::bigint, $6, $7::bigint)";
static const char sql_audit_for[] =
    "SELECT id, coalesce(user_id, 0), object_id, at, user_name, action, object_type, detail"
    " FROM audit WHERE object_type = $1 AND object_id = $2::bigint ORDER BY at, id";

enum mp_status mp_pg_user_add(struct mp_store_sess *s, const char *name, const char *role,
                              const char *department, const char *token_hash, int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, name);
    mp_pg_text(&p, role);
    mp_pg_text(&p, department);
    mp_pg_text(&p, token_hash);
    mp_pg_int64(&p, mp_time_now());
    int64_t got = 0;
    enum mp_status rc = mp_pg_first(s, sql_add, &p, mp_pg_row_int64, &got, "user insert");
    if (rc == MP_OK)
        *id = got;
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

struct users {
    mp_user_cb cb;
    void *ctx;
};

static int user_row(void *ctx, const PGresult *r, int i)
{
    const struct users *c = ctx;
    struct mp_user_row u = {
        .id = mp_pg_col_int64(r, i, 0),
        .created_at = mp_pg_col_int64(r, i, 1),
        .last_seen_at = mp_pg_col_int64(r, i, 2),
        .name = mp_pg_col_text(r, i, 3),
        .role = mp_pg_col_text(r, i, 4),
        .department = mp_pg_col_text(r, i, 5),
        .disabled = mp_pg_col_bool(r, i, 6),
        .region_wide = mp_pg_col_bool(r, i, 7),
        .municipalities = mp_pg_col_text(r, i, 8),
    };
    return c->cb(c->ctx, &u);
}

/* The user whose unique key ($1: token hash or name) is key. The callback's
 * answer is not a stop here: the first row is the only one. */
static enum mp_status user_by(struct mp_store_sess *s, const char *sql, const char *key,
                              mp_user_cb cb, void *ctx)
{
    struct users c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, key);
    return mp_pg_first(s, sql, &p, user_row, &c, "users");
}

enum mp_status mp_pg_user_by_token(struct mp_store_sess *s, const char *hash, mp_user_cb cb,
                                   void *ctx)
{
    return user_by(s, sql_by_token, hash, cb, ctx);
}

enum mp_status mp_pg_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                  void *ctx)
{
    return user_by(s, sql_by_name, name, cb, ctx);
}

enum mp_status mp_pg_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx)
{
    struct users c = {cb, ctx};
    return mp_pg_each(s, sql_all, NULL, user_row, &c, "users");
}

/* Run an UPDATE of one account by name ($1) with p; MP_ENOTFOUND when no
 * account has that name. */
static enum mp_status update_user(struct mp_store_sess *s, const char *sql,
                                  const struct mp_pg_params *p)
{
    int64_t changed = 0;
    enum mp_status rc = mp_pg_run(s, sql, p, &changed, "user update");
    if (rc == MP_OK && changed == 0)
        return MP_ENOTFOUND;
    return rc;
}

enum mp_status mp_pg_user_set_token(struct mp_store_sess *s, const char *name, const char *hash)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, name);
    mp_pg_text(&p, hash);
    return update_user(s, sql_set_token, &p);
}

enum mp_status mp_pg_user_set_disabled(struct mp_store_sess *s, const char *name, bool disabled)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, name);
    mp_pg_bool(&p, disabled);
    return update_user(s, sql_disable, &p);
}

enum mp_status mp_pg_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, a->user_id);
    mp_pg_text(&p, a->user_name);
    mp_pg_text(&p, a->action);
    mp_pg_text(&p, a->object_type);
    mp_pg_int64(&p, a->object_id);
    mp_pg_text(&p, a->detail);
    mp_pg_int64(&p, a->at ? a->at : mp_time_now());
    return mp_pg_run(s, sql_audit_add, &p, NULL, "audit insert");
}

struct audit {
    mp_audit_cb cb;
    void *ctx;
};

static int audit_row(void *ctx, const PGresult *r, int i)
{
    const struct audit *c = ctx;
    struct mp_audit_row a = {
        .id = mp_pg_col_int64(r, i, 0),
        .user_id = mp_pg_col_int64(r, i, 1),
        .object_id = mp_pg_col_int64(r, i, 2),
        .at = mp_pg_col_int64(r, i, 3),
        .user_name = mp_pg_col_text(r, i, 4),
        .action = mp_pg_col_text(r, i, 5),
        .object_type = mp_pg_col_text(r, i, 6),
        .detail = mp_pg_col_text(r, i, 7),
    };
    return c->cb(c->ctx, &a);
}

enum mp_status mp_pg_audit_for(struct mp_store_sess *s, const char *type, int64_t id,
                               mp_audit_cb cb, void *ctx)
{
    struct audit c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, type);
    mp_pg_int64(&p, id);
    return mp_pg_each(s, sql_audit_for, &p, audit_row, &c, "audit");
}

enum mp_status mp_pg_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                             const struct mp_scope_set *set)
{
    char names[MP_PG_SCOPE_CAP];
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, name);
    mp_pg_bool(&p, set == NULL);
    enum mp_status rc = update_user(s, sql_set_region, &p);
    mp_pg_params_init(&p);
    mp_pg_text(&p, name);
    if (rc == MP_OK)
        rc = mp_pg_run(s, sql_scope_clear, &p, NULL, "user municipalities");
    if (rc || !set || set->n == 0)
        return rc;
    mp_pg_text(&p, mp_pg_scope_array(set, names, sizeof names));
    return mp_pg_run(s, sql_scope_add, &p, NULL, "user municipalities");
}
