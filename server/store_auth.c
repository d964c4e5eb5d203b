/* store_auth.c - the store parts of store_auth.h (staff accounts and
 * their municipalities, the audit log),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_auth.h"

#include "store_engine.h"

enum mp_status mp_store_user_add(struct mp_store_sess *s, const char *name, const char *role,
                                 const char *department, const char *token_hash, int64_t *id)
{
    return FORWARD(s, user_add, s, name, role, department, token_hash, id);
}

enum mp_status mp_store_user_by_token(struct mp_store_sess *s, const char *token_hash,
                                      mp_user_cb cb, void *ctx)
{
    return FORWARD(s, user_by_token, s, token_hash, cb, ctx);
}

enum mp_status mp_store_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                     void *ctx)
{
    return FORWARD(s, user_by_name, s, name, cb, ctx);
}

enum mp_status mp_store_user_set_token(struct mp_store_sess *s, const char *name,
                                       const char *token_hash)
{
    return FORWARD(s, user_set_token, s, name, token_hash);
}

enum mp_status mp_store_user_set_disabled(struct mp_store_sess *s, const char *name, bool disabled)
{
    return FORWARD(s, user_set_disabled, s, name, disabled);
}

enum mp_status mp_store_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx)
{
    return FORWARD(s, users, s, cb, ctx);
}

/* tenancy: an account's municipalities */
enum mp_status mp_store_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                                const struct mp_scope_set *set)
{
    return FORWARD(s, user_set_municipalities, s, name, set);
}

enum mp_status mp_store_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a)
{
    return FORWARD(s, audit_add, s, a);
}

enum mp_status mp_store_audit_for(struct mp_store_sess *s, const char *object_type,
                                  int64_t object_id, mp_audit_cb cb, void *ctx)
{
    return FORWARD(s, audit_for, s, object_type, object_id, cb, ctx);
}
