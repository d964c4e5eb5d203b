/* store_auth.h - persistence of accounts and the audit log (see auth.h).
 * Same threading and ownership rules as store.h.
 */
#ifndef MELDPUNT_STORE_AUTH_H
#define MELDPUNT_STORE_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* MP_ECONFLICT when the name is taken. */
enum mp_status mp_store_user_add(struct mp_store_sess *s, const char *name, const char *role,
                                 const char *department, const char *token_hash,
                                 int64_t *id) MP_WUR;
/* The account holding this token hash (enabled or not); MP_ENOTFOUND. The
 * row's strings are borrowed for the callback only. */
enum mp_status mp_store_user_by_token(struct mp_store_sess *s, const char *token_hash,
                                      mp_user_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                     void *ctx) MP_WUR;
enum mp_status mp_store_user_set_token(struct mp_store_sess *s, const char *name,
                                       const char *token_hash) MP_WUR;
enum mp_status mp_store_user_set_disabled(struct mp_store_sess *s, const char *name,
                                          bool disabled) MP_WUR;
enum mp_status mp_store_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx) MP_WUR;
/* Make account name region-wide (set NULL) or limit it to set's member ids
 * (replacing what it had); MP_ENOTFOUND when there is no such account. The
 * ids are bound, never spliced into SQL. */
enum mp_status mp_store_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                                const struct mp_scope_set *set) MP_WUR;

enum mp_status mp_store_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a) MP_WUR;
/* Audit entries for one object (type and id), oldest first. */
enum mp_status mp_store_audit_for(struct mp_store_sess *s, const char *object_type,
                                  int64_t object_id, mp_audit_cb cb, void *ctx) MP_WUR;

#endif
