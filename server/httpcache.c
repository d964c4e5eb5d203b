/* httpcache.c - ETags, 304 and gzip of answers (httpcache.h). */
#include "meldpunt/httpcache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meldpunt/etag.h"
#include "meldpunt/gzip.h"
#include "meldpunt/respcache.h"

_Static_assert(sizeof((struct mp_response *)0)->etag >= MP_ETAG_MAX, "a tag fits resp->etag");

/* The body of a buffered answer: its bytes and length, or false for one
 * that has none here (streamed). An answer in a descriptor is read into
 * scratch (the cache's memfds are small: at most its max_body). */
static bool body_of(const struct mp_response *resp, struct mp_buf *scratch, const char **data,
                    size_t *len)
{
    if (resp->stream)
        return false;
    if (resp->has_fd) {
        if (!mp_buf_reserve(scratch, resp->fd_len))
            return false;
        size_t got = 0;
        while (got < resp->fd_len) {
            ssize_t n = pread(resp->fd, scratch->data + got, resp->fd_len - got, (off_t)got);
            if (n <= 0)
                return false;
            got += (size_t)n;
        }
        mp_buf_commit(scratch, scratch->data + got);
        *data = scratch->data;
        *len = got;
        return true;
    }
    if (resp->static_body) {
        *data = resp->static_body;
        *len = resp->static_len;
        return true;
    }
    *data = resp->body.data ? resp->body.data : "";
    *len = resp->body.len;
    return true;
}

/* Drop the answer's body (for a 304): a 304 carries none. */
static void drop_body(struct mp_response *resp)
{
    mp_buf_reset(&resp->body);
    resp->static_body = NULL;
    resp->static_len = 0;
    if (resp->has_fd)
        close(resp->fd);
    resp->has_fd = false;
}

/* Replace the body with the descriptor fd of len bytes (owned). */
static void use_fd(struct mp_response *resp, int fd, size_t len)
{
    drop_body(resp);
    resp->has_fd = true;
    resp->fd = fd;
    resp->fd_len = len;
}

static void compress_buffered(struct mp_respcache *c, struct mp_response *resp, const char *data,
                              size_t len)
{
    char gz_tag[MP_ETAG_MAX] = "";
    int fd = -1;
    size_t fd_len = 0;
    if (resp->etag[0])
        mp_etag_gzip(resp->etag, gz_tag, sizeof gz_tag);
    if (c && gz_tag[0] && mp_respcache_get_fd(c, gz_tag, 0, &fd, &fd_len)) {
        use_fd(resp, fd, fd_len);
    } else {
        struct mp_buf out;
        mp_buf_init(&out, 0);
        if (mp_gzip_buffer(data, len, &out) != MP_OK) {
            mp_buf_free(&out);
            return; /* sent as it is */
        }
        if (c && gz_tag[0])
            mp_respcache_put(c, gz_tag, 0, out.data, out.len);
        drop_body(resp);
        mp_buf_free(&resp->body);
        resp->body = out;
    }
    resp->encoding = "gzip";
    if (gz_tag[0])
        memcpy(resp->etag, gz_tag, strlen(gz_tag) + 1); /* both MP_ETAG_MAX */
}

/* The length of a buffered answer's body, or SIZE_MAX for a stream. */
static size_t body_len(const struct mp_response *resp)
{
    return resp->stream        ? SIZE_MAX
           : resp->has_fd      ? resp->fd_len
           : resp->static_body ? resp->static_len
                               : resp->body.len;
}

static void compress_stream(struct mp_response *resp)
{
    struct mp_gzip_stream *g = NULL;
    /* The stream takes the inner context, also when it fails: then the
     * answer cannot be sent at all, and ends as an error on the wire. */
    enum mp_status rc = mp_gzip_stream_new(resp->stream, resp->stream_ctx, resp->stream_free, &g);
    resp->stream_ctx = g;
    resp->stream_free = mp_gzip_stream_free;
    resp->stream = mp_gzip_stream_read;
    if (rc != MP_OK) {
        resp->stream = NULL;
        resp->stream_free = NULL;
        return;
    }
    resp->encoding = "gzip";
    resp->etag[0] = '\0'; /* a streamed tag would name the plain bytes */
}

void mp_httpcache_apply(struct mp_respcache *c, const struct mp_httpcache_req *req,
                        struct mp_response *resp)
{
    if (!req->get || resp->http_status || resp->created || resp->not_modified || resp->encoding)
        return;
    bool no_store = resp->cache && strstr(resp->cache, "no-store");
    resp->vary_encoding =
        mp_gzip_type_ok(resp->content_type ? resp->content_type : "application/json");
    bool gzip = resp->vary_encoding && mp_gzip_accepted(req->accept_encoding);
    struct mp_buf scratch;
    const char *data = NULL;
    size_t len = 0;
    mp_buf_init(&scratch, 0);
    bool have = false;
    if (!resp->etag[0] && !no_store && !resp->stream) {
        if (!(have = body_of(resp, &scratch, &data, &len)))
            goto out;
        mp_etag_body(data, len, resp->etag, sizeof resp->etag);
    }
    if (resp->etag[0] && mp_etag_match(req->if_none_match, resp->etag)) {
        size_t full = body_len(resp);
        if (resp->stream_free)
            resp->stream_free(resp->stream_ctx);
        resp->stream = NULL;
        resp->stream_free = NULL;
        drop_body(resp);
        resp->not_modified = true;
        /* The 304 names the representation the client would have got. */
        char gz_tag[MP_ETAG_MAX];
        if (gzip && full > MP_GZIP_MIN) {
            mp_etag_gzip(resp->etag, gz_tag, sizeof gz_tag);
            if (gz_tag[0])
                memcpy(resp->etag, gz_tag, strlen(gz_tag) + 1);
        }
        goto out;
    }
    if (!gzip)
        goto out;
    if (resp->stream) {
        compress_stream(resp);
        goto out;
    }
    if (!have && !body_of(resp, &scratch, &data, &len))
        goto out;
    if (len > MP_GZIP_MIN)
        compress_buffered(c, resp, data, len);
out:
    mp_buf_free(&scratch);
}

void mp_httpcache_answer(struct mp_respcache *gz, const struct mp_request *req,
                         struct mp_response *resp)
{
    struct mp_httpcache_req hq = {
        .get = req->method && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0),
        .if_none_match = mp_req_header(req, "If-None-Match"),
        .accept_encoding = mp_req_header(req, "Accept-Encoding"),
    };
    mp_httpcache_apply(gz, &hq, resp);
}
