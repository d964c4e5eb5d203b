#include "meldpunt/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "meldpunt/region.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/timeutil.h"

static const char *const role_names[] = {
    [MP_ROLE_NONE] = "none", [MP_ROLE_CLIENT] = "client", [MP_ROLE_CREW] = "crew",
    [MP_ROLE_DISPATCHER] = "dispatcher", [MP_ROLE_ADMIN] = "admin"};

const char *mp_role_name(enum mp_role r)
{
    return (unsigned)r < sizeof role_names / sizeof *role_names ? role_names[r] : "none";
}

enum mp_status mp_role_parse(const char *s, enum mp_role *out)
{
    for (unsigned i = MP_ROLE_CLIENT; i <= MP_ROLE_ADMIN; i++)
        if (s && strcmp(s, role_names[i]) == 0) {
            *out = (enum mp_role)i;
            return MP_OK;
        }
    return MP_EINVAL;
}

bool mp_role_at_least(enum mp_role role, enum mp_role min) { return role >= min; }

enum mp_status mp_auth_new_token(char *out, size_t cap)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[32];
    size_t got = 0;
    if (cap < MP_TOKEN_LEN)
        return MP_EINVAL;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0)
            return MP_EIO;
        got += (size_t)n;
    }
    size_t o = 0;
    out[o++] = 'm';
    out[o++] = 'p';
    out[o++] = '_';
    /* 256 bits as 43 base64url characters. */
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = b64[(acc << (6 - bits)) & 63];
    out[o] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return MP_OK;
}

void mp_auth_hash(const char *token, char out[MP_TOKEN_HASH_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL))
        len = 0;
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[len ? 64 : 0] = '\0';
}

struct found {
    struct mp_principal *p;
    bool disabled;
    const char *want_hash;
};

static int take_user(void *c, const struct mp_user_row *u)
{
    struct found *f = c;
    f->p->user_id = u->id;
    snprintf(f->p->name, sizeof f->p->name, "%s", u->name ? u->name : "");
    snprintf(f->p->department, sizeof f->p->department, "%s", u->department ? u->department : "");
    if (mp_role_parse(u->role, &f->p->role) != MP_OK)
        f->p->role = MP_ROLE_NONE;
    f->disabled = u->disabled;
    f->p->region_wide = u->region_wide;
    f->p->nmunicipalities = 0;
    /* "halle,vilvoorde": member ids never hold a comma (mp_auth_user_scope
     * takes only members). More than the principal holds: the rest are
     * left out, which narrows what it sees (fails closed). */
    for (const char *m = u->municipalities; m && *m && !u->region_wide;) {
        size_t len = strcspn(m, ",");
        if (len > 0 && len < MP_MUNICIPALITY_MAXLEN &&
            f->p->nmunicipalities < MP_PRINCIPAL_MAX_MUNICIPALITIES) {
            char *dst = f->p->municipalities[f->p->nmunicipalities++];
            memcpy(dst, m, len);
            dst[len] = '\0';
        }
        m += len + (m[len] == ',');
    }
    return 0;
}

enum mp_status mp_auth_token(struct mp_ctx *ctx, const char *token, struct mp_principal *out,
                             struct mp_error *err)
{
    char hash[MP_TOKEN_HASH_LEN];
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) < 8 || strlen(token) > 128)
        return mp_fail(err, MP_EAUTH, "unauthorized", "a valid token is required");
    mp_auth_hash(token, hash);
    struct found f = {out, false, hash};
    enum mp_status rc = mp_store_user_by_token(ctx->db, hash, take_user, &f);
    if (rc == MP_ENOTFOUND || (rc == MP_OK && (f.disabled || out->role == MP_ROLE_NONE))) {
        memset(out, 0, sizeof *out);
        return mp_fail(err, MP_EAUTH, "unauthorized", "the token is not valid");
    }
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot check the token right now");
    return MP_OK;
}

enum mp_status mp_auth_bearer(struct mp_ctx *ctx, const char *header, struct mp_principal *out,
                              struct mp_error *err)
{
    if (!header || strncmp(header, "Bearer ", 7) != 0) {
        memset(out, 0, sizeof *out);
        return mp_fail(err, MP_EAUTH, "unauthorized",
                       "send the staff token as 'Authorization: Bearer TOKEN'");
    }
    return mp_auth_token(ctx, header + 7, out, err);
}

static enum mp_status name_ok(const char *name, struct mp_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 60)
        return mp_fail(err, MP_EINVAL, "invalid_field", "a name of 1-60 characters is required");
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_' || *p == '@'))
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "names use letters, digits, '.', '-', '_' and '@'");
    return MP_OK;
}

enum mp_status mp_auth_user_add(struct mp_ctx *ctx, const char *name, enum mp_role role,
                                const char *department, char token[MP_TOKEN_LEN],
                                struct mp_error *err)
{
    enum mp_status rc;
    char hash[MP_TOKEN_HASH_LEN];
    int64_t id;
    if ((rc = name_ok(name, err)))
        return rc;
    if (role == MP_ROLE_NONE)
        return mp_fail(err, MP_EINVAL, "invalid_field", "unknown role");
    if (role == MP_ROLE_CREW && (!department || !*department))
        return mp_fail(err, MP_EINVAL, "invalid_field", "a crew belongs to a department");
    if ((rc = mp_auth_new_token(token, MP_TOKEN_LEN)))
        return mp_fail(err, rc, "internal", "cannot generate a token");
    mp_auth_hash(token, hash);
    rc = mp_store_user_add(ctx->db, name, mp_role_name(role),
                           department && *department ? department : NULL, hash, &id);
    if (rc == MP_ECONFLICT)
        return mp_fail(err, rc, "conflict", "an account named %.60s exists", name);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot store the account");
    return MP_OK;
}

/* The member ids of a region as "a, b, c" into out, as far as it holds;
 * when the next one does not fit, the list ends in ", ..." after the last
 * whole name that leaves room for it. Appended by length, not snprintf, so
 * that no output is ever cut in the middle of a name. */
static void members_list(const struct mp_region *r, char *out, size_t cap)
{
    static const char more[] = ", ...";
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; r && i < r->nmembers; i++) {
        const char *id = r->members[i].city->id;
        const size_t sep = i ? 2 : 0, len = strlen(id);
        if (o + sep + len + 1 > cap) {
            while (o > 0 && o + sizeof more > cap) {
                char *comma = strrchr(out, ',');
                o = comma ? (size_t)(comma - out) : 0;
                out[o] = '\0';
            }
            if (o > 0)
                memcpy(out + o, more, sizeof more);
            break;
        }
        memcpy(out + o, ", ", sep);
        memcpy(out + o + sep, id, len);
        o += sep + len;
        out[o] = '\0';
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

enum mp_status mp_auth_user_scope(struct mp_ctx *ctx, const char *name, bool region_wide,
                                  const char *list, struct mp_error *err)
{
    char (*set)[MP_MUNICIPALITY_MAXLEN] = NULL;
    size_t n = 0, members = ctx->region ? ctx->region->nmembers : 1;
    enum mp_status rc = MP_OK;
    char valid[120];
    if (region_wide && list)
        return mp_fail(err, MP_EINVAL, "usage", "give --municipality or --region, not both");
    if (!region_wide && !list) {
        if (members > 1)
            return mp_fail(err, MP_EINVAL, "usage",
                           "this region has %zu municipalities: give --municipality a[,b...]"
                           " or --region",
                           members);
        region_wide = true;
    }
    if (!region_wide) {
        set = calloc(MP_PRINCIPAL_MAX_MUNICIPALITIES, sizeof *set);
        if (!set)
            return mp_fail(err, MP_ENOMEM, "internal", "out of memory");
        for (const char *m = list; *m;) {
            size_t len = strcspn(m, ",");
            char id[MP_MUNICIPALITY_MAXLEN];
            snprintf(id, sizeof id, "%.*s", (int)(len < sizeof id ? len : sizeof id - 1), m);
            bool known = len > 0 && len < sizeof id &&
                         (ctx->region ? mp_region_member(ctx->region, id) != NULL
                                      : ctx->city && strcmp(ctx->city->id, id) == 0);
            if (!known) {
                members_list(ctx->region, valid, sizeof valid);
                rc = mp_fail(err, MP_EINVAL, "unknown_municipality",
                             "no municipality '%.40s' in this region; members: %s", id,
                             ctx->region ? valid : ctx->city ? ctx->city->id : "");
                goto out;
            }
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                dup = dup || strcmp(set[i], id) == 0;
            if (!dup && n == MP_PRINCIPAL_MAX_MUNICIPALITIES) {
                rc = mp_fail(err, MP_EINVAL, "usage", "an account names at most %d municipalities",
                             MP_PRINCIPAL_MAX_MUNICIPALITIES);
                goto out;
            }
            if (!dup)
                memcpy(set[n++], id, sizeof id);
            m += len + (m[len] == ',');
        }
        if (n == 0) {
            rc = mp_fail(err, MP_EINVAL, "usage", "--municipality needs at least one member id");
            goto out;
        }
        qsort(set, n, sizeof *set, by_name);
    }
    struct mp_scope_set s = {n, (const char(*)[MP_MUNICIPALITY_MAXLEN])set};
    rc = mp_store_user_set_municipalities(ctx->db, name, region_wide ? NULL : &s);
    if (rc == MP_ENOTFOUND)
        rc = mp_fail(err, rc, "not_found", "no account named %.60s", name);
    else if (rc)
        rc = mp_fail(err, rc, "unavailable", "cannot store the account's municipalities");
out:
    free(set);
    return rc;
}

enum mp_status mp_auth_user_token(struct mp_ctx *ctx, const char *name, char token[MP_TOKEN_LEN],
                                  struct mp_error *err)
{
    char hash[MP_TOKEN_HASH_LEN];
    enum mp_status rc = mp_auth_new_token(token, MP_TOKEN_LEN);
    if (rc)
        return mp_fail(err, rc, "internal", "cannot generate a token");
    mp_auth_hash(token, hash);
    rc = mp_store_user_set_token(ctx->db, name, hash);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "no account named %.60s", name);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot store the token");
    return MP_OK;
}

enum mp_status mp_auth_user_disable(struct mp_ctx *ctx, const char *name, struct mp_error *err)
{
    enum mp_status rc = mp_store_user_set_disabled(ctx->db, name, true);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "no account named %.60s", name);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot disable the account");
    return MP_OK;
}

enum mp_status mp_auth_ensure_admin(struct mp_ctx *ctx, const char *token, struct mp_error *err)
{
    struct mp_principal p;
    struct mp_error ignore;
    if (mp_auth_token(ctx, token, &p, &ignore) == MP_OK)
        return MP_OK;
    if (strlen(token) < 16)
        return mp_fail(err, MP_EINVAL, "config", "MELDPUNT_ADMIN_TOKEN must be 16+ characters");
    char hash[MP_TOKEN_HASH_LEN];
    int64_t id;
    mp_auth_hash(token, hash);
    /* The configured token becomes the "admin" account's token. */
    enum mp_status rc = mp_store_user_set_token(ctx->db, "admin", hash);
    if (rc == MP_ENOTFOUND)
        rc = mp_store_user_add(ctx->db, "admin", "admin", NULL, hash, &id);
    if (rc)
        return mp_fail(err, rc, "store", "cannot set up the admin account");
    return MP_OK;
}

enum mp_status mp_auth_audit(struct mp_ctx *ctx, const struct mp_principal *who,
                             const char *action, const char *object_type, int64_t object_id,
                             const char *detail)
{
    struct mp_audit_rec a = {
        .user_id = who ? who->user_id : 0,
        .user_name = who ? who->name : "system",
        .action = action,
        .object_type = object_type,
        .object_id = object_id,
        .detail = detail,
        .at = mp_time_now(),
    };
    return mp_store_audit_add(ctx->db, &a);
}
