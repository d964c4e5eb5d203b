/* http.c - libmicrohttpd glue. Owns request state (req_cls) from the first
 * call of the access handler to the completed callback. */
#include "meldpunt/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meldpunt/app.h"
#include "meldpunt/city.h"
#include "meldpunt/ratelimit.h"

struct mp_http {
    struct MHD_Daemon *daemon;
    struct mp_app *app;
    mp_http_dispatch dispatch;
    char csp_page[512]; /* Content-Security-Policy for pages */
    _Atomic long active; /* requests between their first call and completion */
    struct mp_ratelimit *writes; /* per-address write limit, NULL when off */
    struct mp_ratelimit *auth;   /* per-address failed sign-ins */
};

struct req_state {
    struct mp_http *http;
    struct mp_request req;
    struct mp_buf body;
    struct mp_form form;
    struct MHD_PostProcessor *pp;
    size_t limit, seen;
    bool too_big, form_mode, form_bad;
    bool suspended;          /* waiting for deferred work (struct mp_async) */
    struct mp_async async;
};

const struct mp_form_field *mp_form_get(const struct mp_form *f, const char *name)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

const char *mp_req_query(const struct mp_request *r, const char *key)
{
    const char *v = NULL;
    size_t len = 0;
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v,
                                      &len) != MHD_YES)
        return NULL;
    /* "?bbox" (no "=") is present and empty, never silently absent. */
    return v ? v : "";
}

const char *mp_req_header(const struct mp_request *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

struct each_ctx {
    int (*fn)(void *, const char *, const char *);
    void *ctx;
    bool stop;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    struct each_ctx *e = cls;
    if (e->stop)
        return MHD_NO;
    if (e->fn(e->ctx, key, value ? value : "")) {
        e->stop = true;
        return MHD_NO;
    }
    return MHD_YES;
}

void mp_req_query_each(const struct mp_request *r,
                       int (*fn)(void *ctx, const char *k, const char *v), void *ctx)
{
    struct each_ctx e = {fn, ctx, false};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_arg, &e);
}

void mp_http_error_body(struct mp_response *resp, const struct mp_error *err)
{
    mp_buf_reset(&resp->body);
    mp_errtext_json(&resp->body, err, resp->lang);
    resp->content_type = "application/json";
    resp->language = resp->lang == MP_LANG_EN ? NULL : mp_errtext_lang_code(resp->lang);
    resp->static_body = NULL;
    resp->stream = NULL;
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
    case MP_EUNSUPPORTED: return 415;
    case MP_ERATE: return 429;
    case MP_EUNAVAIL: return 503;
    case MP_PENDING: return 500; /* never answered as such: see handle() */
    case MP_ENOMEM: return 503;
    case MP_EDB:
    case MP_EIO: return 500;
    }
    return 500;
}

/* Multipart and urlencoded fields, as libmicrohttpd's post processor hands
 * them over in chunks. */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
    (void)kind;
    (void)transfer_encoding;
    struct req_state *rs = cls;
    struct mp_form *f = &rs->form;
    struct mp_form_field *fld = NULL;
    if (!key)
        return MHD_YES;
    /* A NUL inside a text field would cut it short in C: refuse the form.
     * Files (photos) are binary and kept as they are. */
    if (!filename && size && memchr(data, '\0', size)) {
        rs->form_bad = true;
        return MHD_YES;
    }
    if (off > 0 && f->n > 0 && strcmp(f->fields[f->n - 1].name, key) == 0) {
        fld = &f->fields[f->n - 1];
    } else {
        /* A name may repeat only in the array form "name[]" (Open311's
         * multiple-choice attributes); each value is its own field. */
        size_t kl = strlen(key);
        bool array = kl > 2 && strcmp(key + kl - 2, "[]") == 0;
        if (f->n >= MP_FORM_MAX_FIELDS || kl >= sizeof fld->name ||
            (!array && mp_form_get(f, key))) {
            f->overflow = f->overflow || f->n >= MP_FORM_MAX_FIELDS ||
                          strlen(key) >= sizeof fld->name;
            rs->form_bad = rs->form_bad || (!f->overflow); /* a repeated field */
            return MHD_YES;
        }
        fld = &f->fields[f->n++];
        memset(fld, 0, sizeof *fld);
        snprintf(fld->name, sizeof fld->name, "%s", key);
        snprintf(fld->filename, sizeof fld->filename, "%s", filename ? filename : "");
        snprintf(fld->content_type, sizeof fld->content_type, "%s",
                 content_type ? content_type : "");
        mp_buf_init(&fld->value, rs->limit);
        mp_buf_add(&fld->value, "", 0);
    }
    if (size)
        mp_buf_add(&fld->value, data, size);
    if (fld->value.failed)
        f->overflow = true;
    return MHD_YES;
}

/* Whether the form body decoded completely: the post processor must have
 * seen the end of the body (a multipart body cut short, or whose boundary
 * never appears, is not a form), and no field was refused. */
static bool form_complete(struct req_state *rs)
{
    if (rs->form_bad || !rs->pp)
        return false;
    enum MHD_Result finished = MHD_destroy_post_processor(rs->pp);
    rs->pp = NULL;
    if (finished != MHD_YES)
        return false;
    return rs->seen == 0 || rs->form.n > 0;
}

/* Bounds on the request head, well inside libmicrohttpd's 64 KiB per
 * connection: a head between these and that limit gets a JSON 414 / 431 of
 * ours; past 64 KiB libmicrohttpd answers itself, with its own HTML. 8 KiB
 * for the target is what common proxies allow (nginx, Apache); no meldpunt
 * URL comes near it. */
#define HEAD_URI_MAX 8192
#define HEAD_FIELDS_MAX 16384

/* One walk over the query arguments or the header fields: their size, and
 * (for arguments) the first one holding a NUL byte. */
struct head_scan {
    size_t bytes;
    const char *nul_key;
};

static enum MHD_Result scan_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  size_t key_size, const char *value, size_t value_size)
{
    struct head_scan *hs = cls;
    hs->bytes += key_size + value_size + 4; /* "&k=v" or "k: v\r\n" */
    /* A query value with a NUL byte would be read short. */
    if (kind == MHD_GET_ARGUMENT_KIND &&
        (strlen(key) != key_size || (value && strlen(value) != value_size))) {
        hs->nul_key = key;
        return MHD_NO;
    }
    return MHD_YES;
}

/* MP_OK, or the refusal of a head no route should see: a NUL byte in the
 * query, an over-long target, an over-long header block. */
static enum mp_status check_head(struct MHD_Connection *conn, const char *url,
                                 struct mp_response *resp, struct mp_error *err)
{
    struct head_scan args = {strlen(url), NULL}, fields = {0, NULL};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, scan_value, &args);
    if (args.nul_key)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "query parameter '%.40s' contains a NUL byte", args.nul_key);
    if (args.bytes > HEAD_URI_MAX) {
        resp->http_status = 414;
        return mp_fail(err, MP_ETOOBIG, "uri_too_long",
                       "the request target is over %d bytes; send large inputs in a body",
                       HEAD_URI_MAX);
    }
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_value, &fields);
    if (fields.bytes > HEAD_FIELDS_MAX) {
        resp->http_status = 431;
        return mp_fail(err, MP_ETOOBIG, "headers_too_large",
                       "the request headers are over %d bytes", HEAD_FIELDS_MAX);
    }
    return MP_OK;
}

static void free_state(struct req_state *rs)
{
    if (!rs)
        return;
    if (rs->async.cleanup)
        rs->async.cleanup(rs->async.state);
    if (rs->pp)
        MHD_destroy_post_processor(rs->pp);
    for (size_t i = 0; i < rs->form.n; i++)
        mp_buf_free(&rs->form.fields[i].value);
    mp_buf_free(&rs->body);
    free(rs);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct mp_http *h = cls;
    if (*req_cls)
        h->active--;
    free_state(*req_cls);
    *req_cls = NULL;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static struct req_state *start(struct mp_http *h, struct MHD_Connection *conn, const char *method)
{
    struct req_state *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->http = h;
    h->active++;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    bool multipart = has_prefix_ci(ct, "multipart/form-data");
    bool urlenc = has_prefix_ci(ct, "application/x-www-form-urlencoded");
    rs->limit = multipart ? h->app->cfg->max_upload : h->app->cfg->max_body;
    mp_buf_init(&rs->body, rs->limit + 1);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > rs->limit)
        rs->too_big = true;
    if ((multipart || urlenc) && strcmp(method, "POST") == 0 && !rs->too_big) {
        rs->form_mode = true;
        rs->pp = MHD_create_post_processor(conn, 16 * 1024, form_iter, rs);
        if (!rs->pp)
            rs->form_bad = true; /* e.g. multipart without a boundary */
    }
    return rs;
}

static void add_headers(struct mp_http *h, struct MHD_Response *r, const struct mp_response *resp,
                        const char *ctype)
{
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (strncmp(ctype, "text/html", 9) == 0) {
        MHD_add_response_header(r, "Content-Security-Policy", h->csp_page);
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
    }
    if (resp->cache)
        MHD_add_response_header(r, "Cache-Control", resp->cache);
    else
        MHD_add_response_header(r, "Cache-Control", "no-cache");
    if (resp->etag[0])
        MHD_add_response_header(r, "ETag", resp->etag);
    if (resp->location[0])
        MHD_add_response_header(r, "Location", resp->location);
    if (resp->allow[0])
        MHD_add_response_header(r, "Allow", resp->allow);
    if (resp->disposition[0])
        MHD_add_response_header(r, "Content-Disposition", resp->disposition);
    if (resp->language)
        MHD_add_response_header(r, "Content-Language", resp->language);
    if (resp->content_crs[0])
        MHD_add_response_header(r, "Content-Crs", resp->content_crs);
    if (resp->cors[0]) {
        MHD_add_response_header(r, "Access-Control-Allow-Origin", resp->cors);
        MHD_add_response_header(r, "Access-Control-Allow-Methods", "GET, HEAD, POST");
        MHD_add_response_header(r, "Access-Control-Allow-Headers",
                                "Content-Type, Authorization");
        MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    }
    MHD_add_response_header(r, "Vary", "Origin");
    if (resp->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", resp->retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct mp_response *resp = cls;
    long n = resp->stream(resp->stream_ctx, pos, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct mp_response *resp = cls;
    if (resp->stream_free)
        resp->stream_free(resp->stream_ctx);
    mp_buf_free(&resp->body);
    free(resp);
}

static enum MHD_Result send_response(struct mp_http *h, struct MHD_Connection *conn,
                            struct mp_response *resp, enum mp_status st)
{
    struct MHD_Response *r = NULL;
    int code = resp->http_status ? resp->http_status : mp_http_code(st);
    if (st == MP_OK && resp->created)
        code = 201;
    if (st == MP_OK && resp->not_modified)
        code = 304;
    const char *ctype = resp->content_type ? resp->content_type : "application/json";
    if (resp->stream && st == MP_OK) {
        struct mp_response *heap = malloc(sizeof *heap);
        if (!heap)
            return MHD_NO;
        *heap = *resp;
        memset(resp, 0, sizeof *resp); /* the heap copy owns everything now */
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, heap,
                                              stream_free);
        if (!r) {
            stream_free(heap);
            return MHD_NO;
        }
        add_headers(h, r, heap, ctype);
    } else if (code == 304) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r)
            add_headers(h, r, resp, ctype);
    } else if (resp->has_fd && st == MP_OK) {
        r = MHD_create_response_from_fd64(resp->fd_len, resp->fd);
        if (r) {
            resp->has_fd = false; /* libmicrohttpd closes it with the response */
            add_headers(h, r, resp, ctype);
        }
    } else if (resp->static_body) {
        r = MHD_create_response_from_buffer(resp->static_len, (void *)resp->static_body,
                                            MHD_RESPMEM_PERSISTENT);
        if (r)
            add_headers(h, r, resp, ctype);
    } else {
        size_t len;
        char *body = mp_buf_steal(&resp->body, &len);
        if (!body)
            return MHD_NO;
        r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(body);
            return MHD_NO;
        }
        add_headers(h, r, resp, ctype);
    }
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                  out, (socklen_t)cap);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, out,
                  (socklen_t)cap);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The request's Origin when the configured list allows it, else NULL. */
static const char *cors_origin(struct mp_http *h, struct MHD_Connection *conn)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *list = h->app->cfg->cors_origins;
    size_t n = origin ? strlen(origin) : 0;
    if (!n || !list[0])
        return NULL;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if ((len == n && strncmp(p, origin, n) == 0) || (len == 1 && *p == '*'))
            return origin;
        p = end ? end + 1 : p + len;
    }
    return NULL;
}

static bool is_write(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

static void wake(void *token)
{
    MHD_resume_connection(token);
}

/* The client's language: ?lang= first, then Accept-Language (errtext.c). */
static enum mp_lang client_lang(struct MHD_Connection *conn)
{
    return mp_errtext_lang(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang"),
                           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
}

/* The error answer: a browser asking for a page that does not exist gets an
 * HTML page in its language; everyone else the JSON error. */
static void error_answer(struct MHD_Connection *conn, struct mp_response *resp,
                         const struct mp_error *err, enum mp_status st)
{
    if (st == MP_ENOTFOUND && resp->page_404 &&
        mp_errtext_wants_html(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept"))) {
        mp_buf_reset(&resp->body);
        mp_errtext_html_404(&resp->body, resp->lang);
        resp->content_type = "text/html; charset=utf-8";
        resp->language = mp_errtext_lang_code(resp->lang);
        resp->static_body = NULL;
        resp->stream = NULL;
        return;
    }
    mp_http_error_body(resp, err);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **req_cls)
{
    (void)version;
    struct mp_http *h = cls;
    struct req_state *rs = *req_cls;
    if (!rs) {
        /* First call: headers only. Answering now would close the connection
         * (see STYLE.md), so only set up state. */
        rs = start(h, conn, method);
        if (!rs)
            return MHD_NO;
        *req_cls = rs;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rs->too_big)
            return MHD_YES;
        rs->seen += n;
        if (rs->seen > rs->limit) {
            rs->too_big = true;
            return MHD_YES;
        }
        if (rs->form_mode) {
            if (rs->pp && !rs->form_bad && MHD_post_process(rs->pp, upload_data, n) != MHD_YES)
                rs->form_bad = true;
        } else {
            mp_buf_add(&rs->body, upload_data, n);
        }
        return MHD_YES;
    }

    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    enum mp_status st;
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    resp.lang = client_lang(conn);
    if (rs->suspended) {
        /* Resumed: the deferred work is done; build the answer. */
        rs->suspended = false;
        st = rs->async.finish(h->app, rs->async.state, &resp, &err);
    } else if (rs->too_big) {
        st = mp_fail(&err, MP_ETOOBIG, "body_too_large", "the request body is over %zu bytes",
                     rs->limit);
    } else if (rs->form_mode && !form_complete(rs)) {
        st = mp_fail(&err, MP_EINVAL, "invalid_form",
                     "the form body could not be decoded (boundary, encoding or a repeated field)");
    } else {
        struct mp_request *req = &rs->req;
        req->method = method;
        req->path = url;
        req->body = rs->body.data ? rs->body.data : "";
        req->body_len = rs->body.len;
        req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        req->form = rs->form_mode ? &rs->form : NULL;
        req->conn = conn;
        client_ip(conn, req->client_ip, sizeof req->client_ip);
        bool has_auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if ((st = check_head(conn, url, &resp, &err)) != MP_OK) {
            /* refused before any route */
        } else if (strcmp(method, "OPTIONS") == 0 && cors_origin(h, conn)) {
            st = MP_OK; /* a CORS preflight from an allowed origin */
            resp.http_status = 204;
            snprintf(resp.allow, sizeof resp.allow, "GET, HEAD, POST");
        } else if (has_auth &&
                   !mp_ratelimit_peek(h->auth, req->client_ip, now_ms(), &resp.retry_after)) {
            st = mp_fail(&err, MP_ERATE, "rate_limited",
                         "too many failed sign-ins from this address; try again later");
        } else if (is_write(method) &&
                   !mp_ratelimit_take(h->writes, req->client_ip, now_ms(), &resp.retry_after)) {
            st = mp_fail(&err, MP_ERATE, "rate_limited",
                         "too many reports from this address; try again in %u s",
                         resp.retry_after);
        } else {
            st = h->dispatch(h->app, req, &resp, &err);
            /* Failed sign-ins cost a token; good ones are never limited. */
            if (st == MP_EAUTH && has_auth)
                (void)mp_ratelimit_take(h->auth, req->client_ip, now_ms(), NULL);
        }
        if (st == MP_PENDING) {
            /* Suspend first, then start the work: its wake-up must never
             * come before the suspension. */
            rs->async = resp.async;
            rs->suspended = true;
            mp_buf_free(&resp.body);
            if (resp.has_fd)
                close(resp.fd);
            MHD_suspend_connection(conn);
            rs->async.start(rs->async.state, wake, conn);
            return MHD_YES;
        }
    }
    if (st == MP_OK && resp.body.failed)
        st = mp_fail(&err, MP_ENOMEM, "too_large", "the answer grew too large; narrow the query");
    if (st != MP_OK) {
        if (st == MP_EDB || st == MP_EIO || st == MP_ENOMEM)
            fprintf(stderr, "meldpunt: %s %s: %s: %s\n", method, url, mp_status_name(st),
                    err.text);
        if (!err.code[0])
            mp_fail(&err, st, st == MP_ENOMEM ? "unavailable" : "internal",
                    "the server could not complete the request");
        error_answer(conn, &resp, &err, st);
        if (st == MP_EUNAVAIL || st == MP_ERATE)
            resp.retry_after = resp.retry_after ? resp.retry_after : 5;
    }
    const char *origin = cors_origin(h, conn);
    if (origin)
        snprintf(resp.cors, sizeof resp.cors, "%s", origin);
    enum MHD_Result ret = send_response(h, conn, &resp, st);
    mp_buf_free(&resp.body);
    if (resp.has_fd)
        close(resp.fd);
    return ret;
}

static void tile_origin(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    /* The tile server's origin (scheme, host, port) goes into img-src. */
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
    if (n > 4 && strncmp(host, "{s}.", 4) == 0)
        snprintf(out, cap, "%s://*.%.*s", sch, len - 4, host + 4);
    else
        snprintf(out, cap, "%s://%.*s", sch, len, host);
}

enum mp_status mp_http_start(struct mp_app *app, mp_http_dispatch dispatch, struct mp_http **out,
                             unsigned *bound_port, struct mp_error *err)
{
    const struct mp_config *cfg = app->cfg;
    struct mp_http *h = calloc(1, sizeof *h);
    *out = NULL;
    if (!h)
        return MP_ENOMEM;
    h->app = app;
    h->dispatch = dispatch;
    if ((cfg->rate_writes > 0 &&
         mp_ratelimit_new(cfg->rate_writes, cfg->rate_burst, 16384, &h->writes) != MP_OK) ||
        mp_ratelimit_new(1.0, 10.0, 4096, &h->auth) != MP_OK) {
        mp_ratelimit_free(h->writes);
        mp_ratelimit_free(h->auth);
        free(h);
        return mp_fail(err, MP_EINVAL, "config", "bad rate limit settings");
    }
    char tiles[200];
    tile_origin(app->city->tile_url, tiles, sizeof tiles);
    snprintf(h->csp_page, sizeof h->csp_page,
             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"
             " %s; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
             " frame-ancestors 'none'",
             tiles);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->listen_port);
    const char *host = strcmp(cfg->listen_host, "localhost") == 0 ? "127.0.0.1" : cfg->listen_host;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        mp_ratelimit_free(h->writes);
        mp_ratelimit_free(h->auth);
        free(h);
        return mp_fail(err, MP_EINVAL, "config", "listen host must be an IPv4 address");
    }
    unsigned threads = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads == 0)
        threads = 1;
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
            MHD_ALLOW_SUSPEND_RESUME,
        0, NULL, NULL, handle,
        h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_LIMIT,
        cfg->max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_END);
    if (!h->daemon) {
        mp_ratelimit_free(h->writes);
        mp_ratelimit_free(h->auth);
        free(h);
        return mp_fail(err, MP_EIO, "listen", "cannot listen on %.60s:%u", cfg->listen_host,
                       cfg->listen_port);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = di ? di->port : cfg->listen_port;
    *out = h;
    return MP_OK;
}

void mp_http_stop(struct mp_http *h)
{
    if (!h)
        return;
    if (h->daemon) {
        /* Stop accepting at once, then let in-flight requests (including
         * reports waiting for their commit) finish, for at most 15 s. */
        MHD_quiesce_daemon(h->daemon);
        for (int i = 0; i < 1500 && h->active > 0; i++)
            usleep(10 * 1000);
        MHD_stop_daemon(h->daemon);
    }
    mp_ratelimit_free(h->writes);
    mp_ratelimit_free(h->auth);
    free(h);
}
