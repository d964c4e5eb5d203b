/* notify_token.c - minting and checking the tokens of reporters' links. */
#include "meldpunt/notify_token.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/store_notify.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/text.h"

enum mp_status mp_notify_token_mint(struct mp_ctx *ctx, const struct mp_notify_token_rec *t,
                                    int64_t ttl, char *token, size_t cap)
{
    char hash[MP_TOKEN_HASH_LEN];
    enum mp_status rc = mp_auth_new_token(token, cap);
    if (rc)
        return rc;
    mp_auth_hash(token, hash);
    struct mp_notify_token_rec r = *t;
    r.hash = hash;
    r.created_at = mp_time_now();
    r.expires_at = r.created_at + ttl;
    return mp_store_notify_token_add(ctx->db, &r);
}

static int take(void *p, const struct mp_notify_token_row *t)
{
    struct mp_notify_token *o = p;
    mp_text_copy(o->hash, sizeof o->hash, t->hash);
    mp_text_copy(o->purpose, sizeof o->purpose, t->purpose);
    mp_text_copy(o->rcpt_hash, sizeof o->rcpt_hash, t->rcpt_hash);
    mp_text_copy(o->email, sizeof o->email, t->email);
    o->sub_id = t->sub_id;
    o->report_id = t->report_id;
    o->cluster_id = t->cluster_id;
    o->ref = t->ref;
    o->expires_at = t->expires_at;
    o->used_at = t->used_at;
    return 0;
}

/* A token as mp_auth_new_token writes it: "mp_" and 43 base64url. */
static bool shape_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n != 46 || strncmp(t, "mp_", 3) != 0)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') ||
              (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_'))
            return false;
    return true;
}

enum mp_status mp_notify_token_check(struct mp_ctx *ctx, const char *token,
                                     const char *const *purposes, bool once,
                                     struct mp_notify_token *out, struct mp_error *err)
{
    char hash[MP_TOKEN_HASH_LEN];
    memset(out, 0, sizeof *out);
    if (!shape_ok(token))
        return mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid");
    mp_auth_hash(token, hash);
    enum mp_status rc = mp_store_notify_token_get(ctx->db, hash, take, out);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid");
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot check the link right now");
    /* The index found the row by its hash; comparing the two in constant
     * time as well keeps the check free of timing differences wherever the
     * store looks it up. */
    bool match =
        strlen(out->hash) == strlen(hash) && CRYPTO_memcmp(out->hash, hash, strlen(hash)) == 0;
    bool purpose_ok = false;
    for (const char *const *p = purposes; *p && !purpose_ok; p++)
        purpose_ok = strcmp(*p, out->purpose) == 0;
    if (!match || !purpose_ok) {
        memset(out, 0, sizeof *out);
        return mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid");
    }
    if (out->expires_at < mp_time_now())
        return mp_fail(err, MP_EAUTH, "expired_token", "this link has expired");
    if (once && out->used_at)
        return mp_fail(err, MP_EAUTH, "used_token", "this link has been used already");
    return MP_OK;
}

enum mp_status mp_notify_token_use(struct mp_ctx *ctx, const struct mp_notify_token *t,
                                   struct mp_error *err)
{
    enum mp_status rc = mp_store_notify_token_use(ctx->db, t->hash, mp_time_now());
    if (rc == MP_ECONFLICT)
        return mp_fail(err, MP_EAUTH, "used_token", "this link has been used already");
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot use the link right now");
    return MP_OK;
}
