/* http_answer.c - the parts of an answer that need no libmicrohttpd: the
 * HTTP code of a status and the error code a failure lacks, the JSON error
 * body, the Content-Security-Policy of the pages, and the header fields of
 * an answer. Kept apart from http.c (the connection handling) so that each
 * reads whole. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/http.h"

void mp_http_error_body(struct mp_response *resp, const struct mp_error *err)
{
    mp_buf_reset(&resp->body);
    mp_errtext_json(&resp->body, err, resp->lang);
    resp->content_type = "application/json";
    resp->language = resp->lang == MP_LANG_EN ? NULL : mp_errtext_lang_code(resp->lang);
    resp->vary_language = true; /* the text follows Accept-Language (http.c client_lang) */
    resp->static_body = NULL;
    resp->stream = NULL;
    /* Whatever httpcache.c had prepared for a 200 is not this answer's. */
    resp->encoding = NULL;
    resp->vary_encoding = false;
    resp->etag[0] = '\0';
}

void mp_http_error_fill(enum mp_status st, struct mp_error *err)
{
    /* An operation the storage engine lacks is no failure of the request or
     * of the server: whatever code a domain module wrapped it in (often
     * "unavailable"), the client learns that it is not implemented here.
     * The store's own "unsupported" answer keeps its text (it says what to
     * use instead). */
    if (st == MP_EUNSUPPORTED) {
        if (strcmp(err->code, "unsupported") == 0 || strcmp(err->code, "not_implemented") == 0)
            snprintf(err->code, sizeof err->code, "not_implemented");
        else
            mp_fail(err, st, "not_implemented",
                    "this server's storage engine does not offer this operation yet");
        return;
    }
    if (!err->code[0])
        mp_fail(err, st, st == MP_ENOMEM ? "unavailable" : "internal",
                "the server could not complete the request");
}

int mp_http_code(enum mp_status st)
{
    switch (st) {
    case MP_OK: return 200;
    case MP_EINVAL: return 400;
    case MP_EAUTH: return 401;
    case MP_EFORBIDDEN: return 403;
    case MP_ENOTFOUND: return 404;
    case MP_EMETHOD: return 405;
    case MP_ECONFLICT: return 409;
    case MP_ETOOBIG: return 413;
    case MP_EMEDIATYPE: return 415;
    case MP_EUNSUPPORTED: return 501;
    case MP_ERATE: return 429;
    case MP_EUNAVAIL: return 503;
    case MP_PENDING: return 500; /* never answered as such: see http.c handle() */
    case MP_ENOMEM: return 503;
    case MP_EDB:
    case MP_EIO: return 500;
    }
    return 500;
}

/* The tile server's origin (scheme, host, port) of a tile URL template, for
 * img-src; "" when the template is no http(s) URL. */
static void tile_origin(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    size_t scheme = url && strncmp(url, "https://", 8) == 0  ? 8
                    : url && strncmp(url, "http://", 7) == 0 ? 7
                                                             : 0;
    if (!scheme)
        return;
    const char *host = url + scheme, *end = strchr(host, '/');
    size_t n = end ? (size_t)(end - host) : strlen(host);
    if (n > 150)
        return; /* not a host name worth allowing */
    int len = (int)n;
    /* Tile templates may use {s} subdomains: allow the parent domain. */
    const char *sch = scheme == 8 ? "https" : "http";
    bool sub = n > 4 && strncmp(host, "{s}.", 4) == 0;
    int w = snprintf(out, cap, "%s://%s%.*s", sch, sub ? "*." : "", sub ? len - 4 : len,
                     sub ? host + 4 : host);
    if (w < 0 || (size_t)w >= cap)
        out[0] = '\0'; /* an origin cut short would allow another host */
}

void mp_http_csp_page(const char *tile_url, char *out, size_t cap)
{
    char tiles[200];
    tile_origin(tile_url, tiles, sizeof tiles);
    if (snprintf(out, cap,
                 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: "
                 "blob: %s; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action "
                 "'self'; frame-ancestors 'none'",
                 tiles) >= (int)cap)
        out[0] = '\0'; /* never a policy cut short: the pages then go without one */
}

void mp_http_headers(const struct mp_response *resp, const struct mp_http_head *head,
                     void (*add)(void *ctx, const char *name, const char *value), void *ctx)
{
    add(ctx, "Content-Type", head->ctype);
    if (resp->encoding)
        add(ctx, "Content-Encoding", resp->encoding);
    if (head->request_id && head->request_id[0])
        add(ctx, "X-Request-Id", head->request_id);
    add(ctx, "X-Content-Type-Options", "nosniff");
    add(ctx, "Referrer-Policy", "no-referrer");
    if (strncmp(head->ctype, "text/html", 9) == 0) {
        add(ctx, "Content-Security-Policy", head->csp_page);
        add(ctx, "X-Frame-Options", "DENY");
    }
    if (resp->cache && !head->shared && strncmp(resp->cache, "public", 6) == 0) {
        /* Links in it were built for this request's host: the client may
         * keep it, a shared cache may not. */
        char priv[96];
        if (snprintf(priv, sizeof priv, "private%s", resp->cache + 6) < (int)sizeof priv)
            add(ctx, "Cache-Control", priv);
        else
            add(ctx, "Cache-Control", "private");
    } else if (resp->cache)
        add(ctx, "Cache-Control", resp->cache);
    else
        add(ctx, "Cache-Control", "no-cache");
    if (resp->etag[0])
        add(ctx, "ETag", resp->etag);
    if (resp->location[0])
        add(ctx, "Location", resp->location);
    if (resp->allow[0])
        add(ctx, "Allow", resp->allow);
    if (resp->disposition[0])
        add(ctx, "Content-Disposition", resp->disposition);
    if (resp->language)
        add(ctx, "Content-Language", resp->language);
    if (resp->content_crs[0])
        add(ctx, "Content-Crs", resp->content_crs);
    if (resp->cors[0]) {
        add(ctx, "Access-Control-Allow-Origin", resp->cors);
        add(ctx, "Access-Control-Allow-Methods", "GET, HEAD, POST");
        add(ctx, "Access-Control-Allow-Headers", "Content-Type, Authorization");
        add(ctx, "Access-Control-Max-Age", "600");
    }
    /* What besides the URL chose this answer, for caches: the CORS origin
     * always; Accept-Encoding for types that may be compressed (httpcache.h);
     * Accept and Accept-Language where the handler or the error answer
     * negotiated by them. */
    char vary[64];
    int vn = snprintf(
        vary, sizeof vary, "Origin%s%s%s", resp->vary_encoding ? ", Accept-Encoding" : "",
        resp->vary_accept ? ", Accept" : "", resp->vary_language ? ", Accept-Language" : "");
    add(ctx, "Vary", vn > 0 && (size_t)vn < sizeof vary ? vary : "*");
    if (resp->close)
        add(ctx, "Connection", "close");
    if (resp->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", resp->retry_after);
        add(ctx, "Retry-After", ra);
    }
}
