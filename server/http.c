/* http.c - libmicrohttpd glue. Owns request state (req_cls) from the first
 * call of the access handler to the completed callback. */
#include "meldpunt/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meldpunt/accesslog.h"
#include "meldpunt/app.h"
#include "meldpunt/city.h"
#include "meldpunt/connguard.h"
#include "meldpunt/metrics.h"
#include "meldpunt/proxy.h"
#include "meldpunt/ratelimit.h"
#include "meldpunt/reqcheck.h"

struct mp_http {
    struct MHD_Daemon *daemon;
    struct mp_app *app;
    mp_http_dispatch dispatch;
    char csp_page[512]; /* Content-Security-Policy for pages */
    _Atomic long active; /* requests between their first call and completion */
    struct mp_ratelimit *writes; /* per-client write limit, NULL when off */
    struct mp_ratelimit *auth;   /* per-client failed sign-ins */
    struct mp_ratelimit *reads;  /* per-client expensive reads, NULL when off */
    struct mp_connguard *guard;  /* connections per address, deadlines */
};

struct req_state {
    struct mp_http *http;
    struct mp_request req;
    struct mp_buf body;
    struct mp_form form;
    size_t limit, seen;
    bool too_big, form_mode, form_bad;
    bool suspended;          /* waiting for deferred work (struct mp_async) */
    bool started;            /* the access handler was called (the head is in) */
    bool signin_failed;      /* mp_req_signin_failed() was called */
    bool links;              /* the answer depends on the host the client named */
    bool bad_path;           /* the raw path holds a control byte (uri_seen) */
    size_t target_len;       /* bytes of the request target as sent; 0 = unknown */
    struct mp_async async;
    struct mp_proxy_view view; /* who asked (client address, scheme, host) */
    struct mp_conn *conn;    /* the connection's entry in the guard (borrowed) */
    struct mp_accesslog_req log; /* from the request line: time, id, code, bytes */
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
    struct req_state *rs = r->http;
    if (!r->conn) /* a request made by hand (unit tests) */
        return NULL;
    /* An answer built from the headers that name this server is not one a
     * shared cache may keep for everyone (see send_response). */
    if (rs && (strcasecmp(key, "Host") == 0 || strncasecmp(key, "X-Forwarded-", 12) == 0 ||
               strcasecmp(key, "Forwarded") == 0))
        rs->links = true;
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

void mp_req_public_base(const struct mp_request *r, char *out, size_t cap)
{
    struct req_state *rs = r->http;
    if (!rs) {
        out[0] = '\0';
        return;
    }
    const struct mp_config *cfg = rs->http->app->cfg;
    rs->links = true;
    /* The Host header counts only as a trusted proxy's (proxy.h). */
    const char *host = rs->view.via_proxy
                           ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host")
                           : NULL;
    mp_proxy_public_base(cfg->public_url, &rs->view, host, cfg->listen_host, cfg->listen_port,
                         out, cap);
}

enum mp_status mp_req_take_read(const struct mp_request *r, struct mp_response *resp,
                                struct mp_error *err)
{
    struct req_state *rs = r->http;
    if (!rs || mp_ratelimit_take(rs->http->reads, r->client_ip, mp_ratelimit_now_ms(),
                                 &resp->retry_after))
        return MP_OK;
    return mp_fail(err, MP_ERATE, "rate_limited",
                   "too many expensive requests from this address; try again in %u s",
                   resp->retry_after);
}

bool mp_req_is_local(const struct mp_request *r)
{
    struct MHD_Connection *c = r->conn; /* NULL in a request made by hand (unit tests) */
    return mp_proxy_is_loopback(r->client_ip) &&
           (!c || (!MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For") &&
                   !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Forwarded")));
}

void mp_req_signin_failed(const struct mp_request *r)
{
    struct req_state *rs = r->http;
    if (rs)
        rs->signin_failed = true;
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

/* Decode the whole form body (buffered in rs->body, bounded by rs->limit)
 * in one pass, then drop the raw bytes. Whether it decoded completely: the
 * post processor must have seen the end of the body (a multipart body cut
 * short, or whose boundary never appears, is not a form), and no field was
 * refused.
 *
 * Why one pass and not piece by piece as the body arrives: libmicrohttpd's
 * post processor (0.9.75) announces each field with an empty call at offset
 * 0 when the field's first bytes are not yet in, or are too few to rule out
 * the boundary, and then hands the value over at offset 0 again. Fed the
 * network's pieces, a field whose headers and bytes come in different
 * packets (node's FormData sends them so; a short file always is) then
 * looks like the same name twice, which is refused as a repeated field.
 * Over the whole body an empty call only ever means an empty value, so a
 * repeated name stays detectable. */
static bool form_complete(struct req_state *rs, struct MHD_Connection *conn)
{
    if (rs->form_bad || rs->body.failed)
        return false;
    struct MHD_PostProcessor *pp = MHD_create_post_processor(conn, 16 * 1024, form_iter, rs);
    if (!pp)
        return false; /* e.g. multipart without a boundary */
    bool ok = rs->body.len == 0 || MHD_post_process(pp, rs->body.data, rs->body.len) == MHD_YES;
    ok = MHD_destroy_post_processor(pp) == MHD_YES && ok;
    mp_buf_free(&rs->body); /* the handler reads the fields, never the raw form */
    if (!ok || rs->form_bad)
        return false;
    return rs->seen == 0 || rs->form.n > 0;
}

/* Bounds on the request head, well inside the connection's memory
 * (HEAD_MEMORY): a head between these and about 700 KiB gets a JSON 414 /
 * 431 of ours; past it libmicrohttpd answers itself, with its own HTML. 8 KiB for
 * the target is what common proxies allow (nginx, Apache); no meldpunt URL
 * comes near it. */
#define HEAD_URI_MAX 8192
#define HEAD_FIELDS_MAX 16384
/* libmicrohttpd keeps the head and a record per query argument and header
 * field in one pool per connection (half of it for reading the head), and a
 * request whose records do not fit is never answered: 64 KiB gave up at
 * about 1,000 empty arguments ("?a&a&..."). 768 KiB is the smallest of
 * 512 / 768 / 1024 KiB that answered the worst head within our bounds: a
 * target of 8 KiB of '&' (8,176 arguments) with 16 KiB of two-byte header
 * fields. The pool is mapped, not touched: 1,100 idle connections cost the
 * same resident memory (+14 MB) as with 64 KiB; a client that sends a large
 * head pins what it sent, until the head deadline. */
#define HEAD_MEMORY ((size_t)768 * 1024)

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
static enum mp_status check_head(struct MHD_Connection *conn, const struct req_state *rs,
                                 const char *url, struct mp_response *resp, struct mp_error *err)
{
    struct head_scan args = {strlen(url), NULL}, fields = {0, NULL};
    if (rs->bad_path)
        return mp_fail(err, MP_EINVAL, "invalid_path",
                       "the path contains a control character (such as %%00)");
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, scan_value, &args);
    if (args.nul_key)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "query parameter '%.40s' contains a NUL byte", args.nul_key);
    /* The target as sent, when known; else its decoded parts, estimated. */
    if (rs->target_len)
        args.bytes = rs->target_len;
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
    for (size_t i = 0; i < rs->form.n; i++)
        mp_buf_free(&rs->form.fields[i].value);
    mp_buf_free(&rs->body);
    free(rs);
}

/* The connection's entry in the guard, or NULL (not tracked). */
static struct mp_conn *guard_entry(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    struct mp_http *h = cls;
    /* The answer is out: the connection waits for its next head, and the
     * head deadline starts again. */
    mp_connguard_idle(h->guard, guard_entry(conn), mp_ratelimit_now_ms());
    struct req_state *rs = *req_cls;
    if (rs && rs->started) {
        h->active--;
        mp_metrics_request(h->app->metrics, rs->req.route, rs->log.status,
                           mp_accesslog_seconds(&rs->log));
        if (h->app->cfg->access_log)
            mp_accesslog_end(&rs->log, rs->req.method, rs->req.route_pattern);
    }
    free_state(*req_cls);
    *req_cls = NULL;
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return s && strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void peer_text(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    mp_proxy_sockaddr_text(ci ? ci->client_addr : NULL, out, cap);
}

/* Every value of header key joined with ", ", in order (a header may come
 * more than once, and proxies append to the last one). */
struct joined {
    const char *key;
    struct mp_buf *b;
};

static enum MHD_Result join_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    struct joined *j = cls;
    if (strcasecmp(key, j->key) == 0 && value) {
        if (j->b->len)
            mp_buf_adds(j->b, ", ");
        mp_buf_adds(j->b, value);
    }
    return MHD_YES;
}

static const char *joined_header(struct MHD_Connection *conn, const char *key, struct mp_buf *b)
{
    struct joined j = {key, b};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, join_value, &j);
    return b->len && !b->failed ? b->data : NULL;
}

/* The client behind the request into rs->view and rs->req.client_ip: the
 * peer, unless the peer is a trusted proxy (proxy.h). */
static void resolve_client(struct mp_http *h, struct MHD_Connection *conn, struct req_state *rs)
{
    char peer[MP_PROXY_ADDR_MAX];
    const struct mp_proxy_list *trusted = &h->app->cfg->trusted_proxies;
    peer_text(conn, peer, sizeof peer);
    if (!trusted->n || !mp_proxy_trusted(trusted, peer)) {
        mp_proxy_resolve(NULL, peer, NULL, &rs->view);
    } else {
        /* Bounded by libmicrohttpd's memory for the request head. */
        struct mp_buf b[4];
        static const char *const names[4] = {"X-Forwarded-For", "Forwarded", "X-Forwarded-Proto",
                                             "X-Forwarded-Host"};
        for (int i = 0; i < 4; i++)
            mp_buf_init(&b[i], 64 * 1024);
        struct mp_proxy_headers hdr = {
            .x_forwarded_for = joined_header(conn, names[0], &b[0]),
            .forwarded = joined_header(conn, names[1], &b[1]),
            .x_forwarded_proto = joined_header(conn, names[2], &b[2]),
            .x_forwarded_host = joined_header(conn, names[3], &b[3]),
        };
        mp_proxy_resolve(trusted, peer, &hdr, &rs->view);
        for (int i = 0; i < 4; i++)
            mp_buf_free(&b[i]);
    }
    _Static_assert(sizeof rs->req.client_ip == sizeof rs->view.client, "one address size");
    memcpy(rs->req.client_ip, rs->view.client, sizeof rs->req.client_ip);
}

static struct req_state *new_state(struct mp_http *h)
{
    struct req_state *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    rs->http = h;
    rs->req.http = rs;
    rs->req.route = MP_ROUTE_NONE;
    mp_accesslog_begin(&rs->log);
    return rs;
}

/* Called with the request line, before libmicrohttpd splits and decodes
 * it: the only place that sees the target as the client sent it. The state
 * made here is the request's req_cls. */
static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    struct req_state *rs = new_state(cls);
    if (rs) {
        rs->target_len = strlen(uri);
        rs->bad_path = mp_reqcheck_path_control(uri);
    }
    return rs;
}

/* Counts of the request's Content-Length and Transfer-Encoding fields. */
struct framing {
    int content_length, transfer_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    struct framing *f = cls;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0)
        f->transfer_encoding++;
    return MHD_YES;
}

/* Whether the body's length is ambiguous: two Content-Length fields, or a
 * Content-Length beside Transfer-Encoding (RFC 9112 6.3). A proxy in front
 * may have framed it otherwise than libmicrohttpd does (request smuggling),
 * so such a request is refused and its connection closed. */
static bool framing_ambiguous(struct MHD_Connection *conn)
{
    struct framing f = {0, 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    return f.content_length > 1 || (f.content_length && f.transfer_encoding);
}

/* Set up the request's state at the first call of the access handler (the
 * head is in); rs may come from uri_seen. */
static struct req_state *start(struct mp_http *h, struct MHD_Connection *conn, const char *method,
                               struct req_state *rs)
{
    if (!rs && !(rs = new_state(h)))
        return NULL;
    rs->started = true;
    h->active++;
    rs->req.method = method; /* for the log, also of answers made before any route */
    mp_accesslog_set_id(&rs->log,
                        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"));
    resolve_client(h, conn, rs);
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    bool multipart = has_prefix_ci(ct, "multipart/form-data");
    bool urlenc = has_prefix_ci(ct, "application/x-www-form-urlencoded");
    rs->limit = multipart ? h->app->cfg->max_upload : h->app->cfg->max_body;
    mp_buf_init(&rs->body, rs->limit + 1);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > rs->limit)
        rs->too_big = true;
    /* The form is decoded once the whole body is in (form_complete). */
    if ((multipart || urlenc) && strcmp(method, "POST") == 0 && !rs->too_big)
        rs->form_mode = true;
    return rs;
}

static void add_header(void *r, const char *name, const char *value)
{
    MHD_add_response_header(r, name, value);
}

static void add_headers(struct mp_http *h, struct MHD_Response *r, const struct mp_response *resp,
                        const char *ctype, bool shared, const struct req_state *rs)
{
    struct mp_http_head head = {ctype, shared, rs ? rs->log.id : NULL, h->csp_page};
    mp_http_headers(resp, &head, add_header, r);
}

/* A streamed answer and the connection it goes to, whose pace the guard
 * watches (connguard.h, phase sending). The connection's entry outlives the
 * reader's calls: libmicrohttpd reads no more once the connection closes. */
struct streamed {
    struct mp_response resp;
    struct mp_connguard *guard;
    struct mp_conn *conn; /* borrowed; NULL when not tracked */
    uint64_t *bytes; /* the request's byte count for the access log, or NULL */
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct streamed *s = cls;
    long n = s->resp.stream(s->resp.stream_ctx, pos, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    mp_connguard_sent(s->guard, s->conn, (size_t)n);
    if (s->bytes)
        *s->bytes += (uint64_t)n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct streamed *s = cls;
    if (s->resp.stream_free)
        s->resp.stream_free(s->resp.stream_ctx);
    mp_buf_free(&s->resp.body);
    free(s);
}

/* shared: whether the answer may be kept by shared caches when the handler
 * says "public" (not when it holds links built for the request's host).
 * rs (may be NULL) records the code and the bytes for the log. */
static enum MHD_Result send_response(struct mp_http *h, struct MHD_Connection *conn,
                                     struct mp_response *resp, enum mp_status st, bool shared,
                                     struct req_state *rs)
{
    struct MHD_Response *r = NULL;
    int code = resp->http_status ? resp->http_status : mp_http_code(st);
    if (st == MP_OK && resp->created)
        code = 201;
    if (st == MP_OK && resp->not_modified)
        code = 304;
    uint64_t sent = 0;
    const char *ctype = resp->content_type ? resp->content_type : "application/json";
    if (resp->stream && st == MP_OK) {
        struct streamed *heap = malloc(sizeof *heap);
        if (!heap)
            return MHD_NO;
        heap->resp = *resp;
        heap->bytes = rs ? &rs->log.bytes : NULL;
        memset(resp, 0, sizeof *resp); /* the heap copy owns everything now */
        heap->guard = h->guard;
        heap->conn = guard_entry(conn);
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, heap,
                                              stream_free);
        if (!r) {
            stream_free(heap);
            return MHD_NO;
        }
        /* From here the send rate and the length are watched. */
        mp_connguard_stream(h->guard, heap->conn, mp_ratelimit_now_ms());
        add_headers(h, r, &heap->resp, ctype, shared, rs);
    } else if (code == 304) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (r)
            add_headers(h, r, resp, ctype, shared, rs);
    } else if (resp->has_fd && st == MP_OK) {
        r = MHD_create_response_from_fd64(resp->fd_len, resp->fd);
        if (r) {
            resp->has_fd = false; /* libmicrohttpd closes it with the response */
            sent = resp->fd_len;
            add_headers(h, r, resp, ctype, shared, rs);
        }
    } else if (resp->static_body) {
        r = MHD_create_response_from_buffer(resp->static_len, (void *)resp->static_body,
                                            MHD_RESPMEM_PERSISTENT);
        sent = resp->static_len;
        if (r)
            add_headers(h, r, resp, ctype, shared, rs);
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
        sent = len;
        add_headers(h, r, resp, ctype, shared, rs);
    }
    if (!r)
        return MHD_NO;
    if (rs) {
        rs->log.status = code;
        /* HEAD answers carry no body (libmicrohttpd drops it). */
        rs->log.bytes += rs->req.method && strcmp(rs->req.method, "HEAD") == 0 ? 0 : sent;
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

/* The request's Origin when the configured list allows it, else NULL. */
static const char *cors_origin(struct mp_http *h, struct MHD_Connection *conn)
{
    return mp_reqcheck_cors(h->app->cfg->cors_origins,
                            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"));
}

static bool is_write(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

/* Whether a write comes from another site's page (reqcheck.h). */
static bool cross_site_write(struct mp_http *h, struct MHD_Connection *conn, struct req_state *rs)
{
    char base[MP_PUBLIC_BASE_MAX] = "";
    const struct mp_config *cfg = h->app->cfg;
    /* Only a base that names this server: configured, or a trusted proxy's. */
    if (cfg->public_url[0] || (rs->view.via_proxy && rs->view.host[0]))
        mp_proxy_public_base(cfg->public_url, &rs->view, NULL, NULL, 0, base, sizeof base);
    struct mp_reqcheck_write w = {
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
        .sec_fetch_site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site"),
        .origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
        .host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
        .public_base = base,
        .cors_list = cfg->cors_origins,
        .has_api_key = (rs->form_mode && mp_form_get(&rs->form, "api_key")) ||
                       MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "api_key"),
    };
    return mp_reqcheck_cross_site(&w);
}

/* Answer 400 before the body is read, and close the connection: after a
 * request whose framing is in doubt, nothing on it can be trusted. */
static enum MHD_Result refuse_now(struct mp_http *h, struct MHD_Connection *conn,
                                  struct req_state *rs)
{
    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    enum mp_status st = mp_fail(&err, MP_EINVAL, "invalid_framing",
                                "the body length is ambiguous: send one Content-Length, or "
                                "Transfer-Encoding without Content-Length");
    mp_http_error_body(&resp, &err);
    resp.close = true;
    mp_connguard_busy(h->guard, rs->conn);
    enum MHD_Result ret = send_response(h, conn, &resp, st, true, rs);
    mp_buf_free(&resp.body);
    return ret;
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
    if (st == MP_ENOTFOUND && resp->page_404)
        resp->vary_accept = true; /* the page or the JSON, by Accept */
    if (st == MP_ENOTFOUND && resp->page_404 &&
        mp_errtext_wants_html(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept"))) {
        resp->vary_language = true;
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
    if (!rs || !rs->started) {
        /* First call: headers only. Answering now would close the connection
         * (see STYLE.md), so only set up state. */
        rs = start(h, conn, method, rs);
        if (!rs)
            return MHD_NO;
        *req_cls = rs;
        /* The head is in: from now on the body must keep a minimum rate. */
        rs->conn = guard_entry(conn);
        mp_connguard_head(h->guard, rs->conn, mp_ratelimit_now_ms());
        if (framing_ambiguous(conn))
            return refuse_now(h, conn, rs);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        mp_connguard_body(h->guard, rs->conn, n);
        if (rs->too_big)
            return MHD_YES;
        rs->seen += n;
        if (rs->seen > rs->limit) {
            rs->too_big = true;
            return MHD_YES;
        }
        mp_buf_add(&rs->body, upload_data, n);
        return MHD_YES;
    }

    /* The whole request is in; answering has no deadline here. */
    mp_connguard_busy(h->guard, rs->conn);
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
    } else if (rs->form_mode && !form_complete(rs, conn)) {
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
        bool has_auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if ((st = check_head(conn, rs, url, &resp, &err)) != MP_OK) {
            /* refused before any route */
        } else if (strcmp(method, "OPTIONS") == 0 && cors_origin(h, conn)) {
            st = MP_OK; /* a CORS preflight from an allowed origin */
            resp.http_status = 204;
            snprintf(resp.allow, sizeof resp.allow, "GET, HEAD, POST");
        } else if (is_write(method) && cross_site_write(h, conn, rs)) {
            st = mp_fail(&err, MP_EFORBIDDEN, "cross_site",
                         "a write from another site's page must be sent as application/json");
        } else if (is_write(method) &&
                   !mp_ratelimit_take(h->writes, req->client_ip, mp_ratelimit_now_ms(),
                                      &resp.retry_after)) {
            st = mp_fail(&err, MP_ERATE, "rate_limited",
                         "too many reports from this address; try again in %u s",
                         resp.retry_after);
        } else {
            st = h->dispatch(h->app, req, &resp, &err);
            /* The token is checked first: a valid one is never refused. A
             * failed sign-in costs the client a token of its bucket, and past
             * the bucket it is answered 429 instead of 401 / 403. Tokens are
             * 256 bits, so this is about load and log noise, not guessing. */
            if (st != MP_PENDING && ((st == MP_EAUTH && has_auth) || rs->signin_failed) &&
                !mp_ratelimit_take(h->auth, req->client_ip, mp_ratelimit_now_ms(),
                                   &resp.retry_after)) {
                if (resp.stream_free)
                    resp.stream_free(resp.stream_ctx);
                resp.stream = NULL;
                resp.stream_free = NULL;
                resp.http_status = 0;
                st = mp_fail(&err, MP_ERATE, "rate_limited",
                             "too many failed sign-ins from this address; try again in %u s",
                             resp.retry_after);
            }
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
            fprintf(stderr, "meldpunt: [%s] %s %s %s: %s: %s\n", rs->log.id,
                    rs->req.client_ip, method, url, mp_status_name(st), err.text);
        mp_http_error_fill(st, &err);
        error_answer(conn, &resp, &err, st);
        if (st == MP_EUNAVAIL || st == MP_ERATE)
            resp.retry_after = resp.retry_after ? resp.retry_after : 5;
    }
    const char *origin = cors_origin(h, conn);
    if (origin)
        snprintf(resp.cors, sizeof resp.cors, "%s", origin);
    /* An answer to a signed-in request is the signed-in person's: no
     * shared cache keeps it, whatever the handler said. */
    bool shared = !rs->links && !MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             "Authorization");
    enum MHD_Result ret = send_response(h, conn, &resp, st, shared, rs);
    mp_buf_free(&resp.body);
    if (resp.has_fd)
        close(resp.fd);
    return ret;
}

/* Connections (connguard.h): shut down, counted at accept, tracked. */
static void kill_socket(void *ctx, int fd)
{
    (void)ctx;
    /* Not close(): the descriptor stays libmicrohttpd's. Its event loop sees
     * the end of the stream and closes the connection itself. */
    (void)shutdown(fd, SHUT_RDWR);
}

static bool peer_trusted(struct mp_http *h, const char *peer)
{
    return mp_proxy_trusted(&h->app->cfg->trusted_proxies, peer);
}

/* Refuse at accept a direct client over its connection cap; a trusted
 * proxy is never capped (it carries many clients). */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct mp_http *h = cls;
    char peer[MP_PROXY_ADDR_MAX];
    mp_proxy_sockaddr_text(addr, peer, sizeof peer);
    return mp_connguard_admit(h->guard, peer, peer_trusted(h, peer)) ? MHD_YES : MHD_NO;
}

static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                             enum MHD_ConnectionNotificationCode code)
{
    struct mp_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        char peer[MP_PROXY_ADDR_MAX];
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        peer_text(conn, peer, sizeof peer);
        if (fd)
            *socket_ctx = mp_connguard_open(h->guard, fd->connect_fd, peer,
                                            peer_trusted(h, peer), mp_ratelimit_now_ms());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* Before libmicrohttpd closes the descriptor (connguard.h). */
        mp_connguard_close(h->guard, *socket_ctx);
        *socket_ctx = NULL;
    }
}

/* Free what mp_http_start made besides the daemon. */
static void http_free(struct mp_http *h)
{
    mp_ratelimit_free(h->writes);
    mp_ratelimit_free(h->auth);
    mp_ratelimit_free(h->reads);
    mp_connguard_free(h->guard);
    free(h);
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
    /* Keep 1/16 of the connections (8-256) free for newcomers. */
    unsigned reserve = cfg->max_conns / 16;
    struct mp_connguard_limits lim = {
        .max_conns = cfg->max_conns,
        .reserve = reserve < 8 ? 8 : reserve > 256 ? 256 : reserve,
        .per_addr = cfg->max_conns_per_ip,
        .head_timeout_ms = cfg->head_timeout_s * 1000,
        .body_min_rate = cfg->body_min_rate,
        .send_min_rate = cfg->export_min_rate,
        .send_max_ms = cfg->export_max_s * 1000, /* at most a week: fits */
    };
    if ((cfg->rate_writes > 0 &&
         mp_ratelimit_new(cfg->rate_writes, cfg->rate_burst, 16384, &h->writes) != MP_OK) ||
        (cfg->rate_reads > 0 &&
         mp_ratelimit_new(cfg->rate_reads, cfg->rate_reads_burst, 16384, &h->reads) != MP_OK) ||
        mp_ratelimit_new(1.0, 10.0, 4096, &h->auth) != MP_OK ||
        mp_connguard_new(&lim, kill_socket, h, &h->guard) != MP_OK) {
        http_free(h);
        return mp_fail(err, MP_EINVAL, "config", "bad rate limit or connection settings");
    }
    mp_http_csp_page(app->city->tile_url, h->csp_page, sizeof h->csp_page);

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->listen_port);
    const char *host = strcmp(cfg->listen_host, "localhost") == 0 ? "127.0.0.1" : cfg->listen_host;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        http_free(h);
        return mp_fail(err, MP_EINVAL, "config", "listen host must be an IPv4 address");
    }
    unsigned threads = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads == 0)
        threads = 1;
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
            MHD_ALLOW_SUSPEND_RESUME,
        0, accept_policy, h, handle,
        h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_NOTIFY_CONNECTION,
        connection_event, h, MHD_OPTION_CONNECTION_LIMIT, cfg->max_conns,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        HEAD_MEMORY, MHD_OPTION_URI_LOG_CALLBACK, uri_seen, h, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        1024, MHD_OPTION_END);
    if (!h->daemon) {
        http_free(h);
        return mp_fail(err, MP_EIO, "listen", "cannot listen on %.60s:%u", cfg->listen_host,
                       cfg->listen_port);
    }
    /* Four sweeps a second: a deadline is kept to within 250 ms. */
    if (mp_connguard_start_sweeper(h->guard, 250) != MP_OK) {
        MHD_stop_daemon(h->daemon);
        http_free(h);
        return mp_fail(err, MP_ENOMEM, "threads", "cannot start the connection sweeper");
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
        mp_connguard_stop_sweeper(h->guard);
        MHD_stop_daemon(h->daemon);
    }
    http_free(h);
}
