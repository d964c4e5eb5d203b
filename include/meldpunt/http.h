/* http.h - the HTTP layer: libmicrohttpd glue with bounded bodies, form
 * decoding (multipart/form-data, x-www-form-urlencoded), and the mapping of
 * mp_status to HTTP codes. Knows nothing of SQL or of the domain: it hands a
 * struct mp_request to the router and sends back the struct mp_response.
 *
 * Threads: requests run on libmicrohttpd's internal thread pool; a request
 * and its response belong to one thread at a time.
 */
#ifndef MELDPUNT_HTTP_H
#define MELDPUNT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/errtext.h"
#include "meldpunt/status.h"

#define MP_FORM_MAX_FIELDS 32

struct mp_form_field {
    char name[64];
    char filename[128];     /* "" for plain fields */
    char content_type[64];  /* as the client declared it; never trusted */
    struct mp_buf value;    /* owned: the bytes (NUL-terminated) */
};

struct mp_form {
    struct mp_form_field fields[MP_FORM_MAX_FIELDS];
    size_t n;
    bool overflow; /* too many fields or a field too large */
};

/* Borrowed pointer to the field's value, or NULL. */
const struct mp_form_field *mp_form_get(const struct mp_form *f, const char *name);

struct mp_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* without the query string */
    const char *body;         /* NUL-terminated; "" when none */
    size_t body_len;
    const char *content_type; /* NULL when none */
    const struct mp_form *form; /* decoded form body, or NULL */
    char client_ip[64];       /* the client: the peer, or behind a trusted proxy the
                                 address it named (proxy.h); limits and logs use it */
    void *conn;               /* opaque: for header and query look-ups */
    void *http;               /* opaque: the HTTP layer's state of this request */
    int64_t path_id;          /* the {id} segment of the route, if any */
    const char *path_rest;    /* the {rest} of a pattern ending in "*" */
    int route;                /* set by the router: the route's index (router.h), or
                                 MP_ROUTE_STATIC (pages, files), MP_ROUTE_NONE */
    const char *route_pattern;/* the route's pattern (static string), or NULL */
};
#define MP_ROUTE_NONE (-1)
#define MP_ROUTE_STATIC (-2)

/* Query argument (decoded) or NULL; header value or NULL. Borrowed for the
 * length of the request. */
const char *mp_req_query(const struct mp_request *r, const char *key);
const char *mp_req_header(const struct mp_request *r, const char *key);
/* Longest public base URL (mp_req_public_base), NUL included. */
#define MP_PUBLIC_BASE_MAX 320

/* This server's base URL as the client reached it, "scheme://host[:port]
 * [/path]" without a trailing slash, for absolute links (cap >= 1; ""
 * when it does not fit): MELDPUNT_PUBLIC_URL when configured, else what a
 * trusted proxy named (X-Forwarded-Proto / -Host, Forwarded, or the Host it
 * sent), else the address the server listens on. Never a Host header from a
 * client that is not a trusted proxy. An answer that called this (or read
 * Host or X-Forwarded-* through mp_req_header) is sent "private" where it
 * said "public": a shared cache must not hand one host's links to others. */
void mp_req_public_base(const struct mp_request *r, char *out, size_t cap);
struct mp_response;

/* For handlers of expensive reads (large grids, exports): take one token
 * from the client's bucket (MELDPUNT_RATE_READS per second, _BURST at once,
 * by the same client address as every limit). MP_OK, or MP_ERATE
 * "rate_limited" with resp->retry_after set (answered 429 with Retry-After). */
enum mp_status mp_req_take_read(const struct mp_request *r, struct mp_response *resp,
                                struct mp_error *err) MP_WUR;
/* Whether the request came straight from this machine: from a loopback
 * address with no X-Forwarded-For or Forwarded header (a local proxy, trusted
 * or not, forwards other people's requests with one). */
bool mp_req_is_local(const struct mp_request *r);
/* Count a failed sign-in of this request's client that the HTTP layer cannot
 * see in the status (e.g. a wrong Open311 api_key answered 403); a 401 to a
 * request with an Authorization header is counted without it. Past the
 * client's allowance (1 per second, 10 at once) the answer becomes 429. */
void mp_req_signin_failed(const struct mp_request *r);
/* Calls fn for each query argument; stops when fn returns non-zero. */
void mp_req_query_each(const struct mp_request *r, int (*fn)(void *ctx, const char *k,
                                                             const char *v), void *ctx);

/* A streamed body: fill up to max bytes into out; return bytes written, 0 at
 * the end, -1 on error. Called on the libmicrohttpd thread. */
typedef long (*mp_stream_fn)(void *ctx, uint64_t pos, char *out, size_t max);

struct mp_app;

/* Deferred answers. A handler that hands work to another thread returns
 * MP_PENDING with resp->async filled. The HTTP layer then suspends the
 * connection (the thread serves others) and calls start(state, wake, token):
 * the work must call wake(token) exactly once when done, from any thread.
 * The layer then calls finish() on an HTTP thread to fill the response, and
 * cleanup(state) when the request ends, whatever happened. */
struct mp_async {
    void (*start)(void *state, void (*wake)(void *token), void *token);
    enum mp_status (*finish)(struct mp_app *app, void *state, struct mp_response *resp,
                             struct mp_error *err);
    void (*cleanup)(void *state);
    void *state;
};

struct mp_response {
    int http_status;          /* 0: derived from the handler's status */
    const char *content_type; /* static string */
    struct mp_buf body;       /* owned */
    const void *static_body;  /* borrowed (lives as long as the app); overrides body */
    size_t static_len;
    bool has_fd;              /* the body is the file fd (owned), fd_len bytes from 0; */
    int fd;                   /* overrides body (a cached answer, sent with sendfile) */
    size_t fd_len;
    char allow[48];           /* Allow header for 405 */
    const char *cache;        /* Cache-Control (static string) */
    char location[128];
    char etag[48];
    char disposition[128];    /* Content-Disposition */
    char content_crs[96];     /* Content-Crs (OGC API Features Part 2), "" for none */
    const char *encoding;     /* Content-Encoding, set by httpcache.h */
    bool vary_encoding;       /* chosen by Accept-Encoding (httpcache.h) */
    unsigned retry_after;     /* seconds; 0 for none */
    char cors[128];           /* Access-Control-Allow-Origin, set by the HTTP layer */
    bool created;             /* 201 instead of 200 */
    bool not_modified;        /* 304 */
    bool close;               /* close the connection after this answer */
    mp_stream_fn stream;      /* when set, the body is streamed */
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    struct mp_async async;    /* with MP_PENDING only */
    enum mp_lang lang;        /* the client's language (errtext.h), set by the HTTP layer */
    const char *language;     /* Content-Language (static string), NULL for none */
    bool page_404;            /* a 404 here may be the HTML page for browsers (not the API) */
    bool vary_accept;         /* the representation was chosen by the Accept header: Vary */
    bool vary_language;       /* the text is in the Accept-Language's language: Vary */
};

/* The HTTP code for a handler's status: MP_EMEDIATYPE 415 (unsupported
 * media type), MP_EUNSUPPORTED 501 (not implemented by this server's
 * storage engine), ... */
int mp_http_code(enum mp_status st);
/* Complete the error of a failed answer before it is sent: a code and text
 * when the handler left none ("internal", or "unavailable" for MP_ENOMEM);
 * for MP_EUNSUPPORTED always the code "not_implemented" (with a text saying
 * so unless the store wrote one). err is the caller's. */
void mp_http_error_fill(enum mp_status st, struct mp_error *err);

/* The Content-Security-Policy of the web pages into out (cap >= 1): this
 * server's own scripts, styles and API, images also from the origin of the
 * city's tile URL template (tile_url may be NULL). "" when cap is too small. */
void mp_http_csp_page(const char *tile_url, char *out, size_t cap);

/* What the header fields of an answer depend on besides the answer: its
 * Content-Type, whether a shared cache may keep a "public" answer (not when
 * it holds links built for the request's host or answers a signed-in
 * request: it is then sent "private"), the request id (may be NULL) and the
 * pages' Content-Security-Policy. All borrowed. */
struct mp_http_head {
    const char *ctype;
    bool shared;
    const char *request_id;
    const char *csp_page;
};
/* Call add(ctx, name, value) for each header field of resp, in order; the
 * strings are valid for the call. */
void mp_http_headers(const struct mp_response *resp, const struct mp_http_head *head,
                     void (*add)(void *ctx, const char *name, const char *value), void *ctx);

/* The error answer {"error":{"code":..,"message":..}} for err into resp,
 * replacing whatever body it had (JSON whatever the text holds), in the
 * language resp->lang (errtext.h: Dutch adds "detail"). */
void mp_http_error_body(struct mp_response *resp, const struct mp_error *err);

struct mp_http;

/* What answers a request (the router's mp_router_dispatch): it is handed
 * in, so that the HTTP layer depends on nothing above it. */
typedef enum mp_status (*mp_http_dispatch)(struct mp_app *app, struct mp_request *req,
                                           struct mp_response *resp, struct mp_error *err);

/* Start serving app on host:port (port 0 picks a free one), answering
 * through dispatch; *bound_port receives the actual port. New server object
 * in *out. */
enum mp_status mp_http_start(struct mp_app *app, mp_http_dispatch dispatch, struct mp_http **out,
                             unsigned *bound_port, struct mp_error *err) MP_WUR;
/* Stop accepting, finish in-flight requests, free. Accepts NULL. */
void mp_http_stop(struct mp_http *h);

#endif
