/* auth.h - staff accounts and API clients: roles, bearer tokens (random,
 * shown once, stored only as a SHA-256 hash), the check of a request's
 * Authorization header, and the audit log of staff actions.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_AUTH_H
#define MELDPUNT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

enum mp_role {
    MP_ROLE_NONE = 0,
    MP_ROLE_CLIENT,     /* an API client (Open311 api_key): may submit reports */
    MP_ROLE_CREW,       /* a road crew of a department */
    MP_ROLE_DISPATCHER, /* triage, workflow, corrections */
    MP_ROLE_ADMIN,      /* everything, including accounts */
};

/* A region pack has at most this many members an account can name. */
#define MP_PRINCIPAL_MAX_MUNICIPALITIES 64

struct mp_principal {
    int64_t user_id;
    char name[64];
    enum mp_role role;
    char department[48];
    /* Tenancy: a region-wide account works for every municipality; any
     * other only for the nmunicipalities member ids listed (sorted). A
     * zeroed principal is region_wide false with none: it sees nothing
     * (fail closed). scope.h reads these; nothing else should. */
    bool region_wide;
    size_t nmunicipalities;
    char municipalities[MP_PRINCIPAL_MAX_MUNICIPALITIES][MP_MUNICIPALITY_MAXLEN];
};

#define MP_TOKEN_LEN 48   /* "mp_" + 43 base64url characters + NUL fits in 48 */
#define MP_TOKEN_HASH_LEN 65 /* hex SHA-256 + NUL */

const char *mp_role_name(enum mp_role r);
enum mp_status mp_role_parse(const char *s, enum mp_role *out) MP_WUR;
/* Whether role has at least the rights of min (client < crew < dispatcher < admin). */
bool mp_role_at_least(enum mp_role role, enum mp_role min);

/* A new random token (256 bits from getrandom) into out (cap >= MP_TOKEN_LEN). */
enum mp_status mp_auth_new_token(char *out, size_t cap) MP_WUR;
/* Hex SHA-256 of token into out (MP_TOKEN_HASH_LEN bytes). */
void mp_auth_hash(const char *token, char out[MP_TOKEN_HASH_LEN]);

/* Resolve a bearer token (the raw token, not the header) to its principal.
 * MP_EAUTH when unknown or disabled. */
enum mp_status mp_auth_token(struct mp_ctx *ctx, const char *token, struct mp_principal *out,
                             struct mp_error *err) MP_WUR;
/* Resolve an "Authorization: Bearer TOKEN" header value (may be NULL). */
enum mp_status mp_auth_bearer(struct mp_ctx *ctx, const char *header, struct mp_principal *out,
                              struct mp_error *err) MP_WUR;

/* Create an account; *token receives its first token (shown once). The
 * account is region-wide; mp_auth_user_scope (same transaction) narrows it. */
enum mp_status mp_auth_user_add(struct mp_ctx *ctx, const char *name, enum mp_role role,
                                const char *department, char token[MP_TOKEN_LEN],
                                struct mp_error *err) MP_WUR;
/* Set the municipalities of account name: region_wide, or the member ids of
 * list ("halle,vilvoorde"), each checked against ctx->region (an unknown one
 * is refused with code "unknown_municipality", naming valid members as far
 * as the message holds). With neither (list NULL, !region_wide): region-wide
 * in a pack of one member, refused (code "usage") in a pack of several. The
 * caller audits and owns the transaction. */
enum mp_status mp_auth_user_scope(struct mp_ctx *ctx, const char *name, bool region_wide,
                                  const char *list, struct mp_error *err) MP_WUR;
/* Replace an account's token with a new one. */
enum mp_status mp_auth_user_token(struct mp_ctx *ctx, const char *name, char token[MP_TOKEN_LEN],
                                  struct mp_error *err) MP_WUR;
enum mp_status mp_auth_user_disable(struct mp_ctx *ctx, const char *name,
                                    struct mp_error *err) MP_WUR;
/* Make sure an admin account with this token exists (MELDPUNT_ADMIN_TOKEN). */
enum mp_status mp_auth_ensure_admin(struct mp_ctx *ctx, const char *token,
                                    struct mp_error *err) MP_WUR;

/* Append to the audit log: who did what to which object (detail: JSON or
 * NULL). Runs in the caller's transaction if one is open. */
enum mp_status mp_auth_audit(struct mp_ctx *ctx, const struct mp_principal *who,
                             const char *action, const char *object_type, int64_t object_id,
                             const char *detail) MP_WUR;

#endif
