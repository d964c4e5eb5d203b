/* test_httpcache.c - what a GET answer gets on its way out (httpcache.h):
 * tags, 304, gzip of buffered, static, cached and streamed bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/etag.h"
#include "meldpunt/gzip.h"
#include "meldpunt/httpcache.h"
#include "meldpunt/respcache.h"

static char big[20000];

static void setup_body(void)
{
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = "{\"id\":1,\"status\":\"new\"}"[i % 24];
}

static void resp_init(struct mp_response *r, const char *type)
{
    memset(r, 0, sizeof *r);
    mp_buf_init(&r->body, 0);
    r->content_type = type;
}

static void resp_free(struct mp_response *r)
{
    mp_buf_free(&r->body);
    if (r->has_fd)
        close(r->fd);
    if (r->stream_free)
        r->stream_free(r->stream_ctx);
}

static void test_tag_and_304(void **state)
{
    (void)state;
    struct mp_response r;
    struct mp_httpcache_req q = {.get = true};
    char want[MP_ETAG_MAX];
    resp_init(&r, "application/json");
    mp_buf_adds(&r.body, "{\"a\":1}");
    mp_httpcache_apply(NULL, &q, &r);
    mp_etag_body("{\"a\":1}", 7, want, sizeof want);
    assert_string_equal(r.etag, want);
    assert_false(r.not_modified);
    assert_null(r.encoding);
    assert_true(r.vary_encoding);
    assert_int_equal(r.body.len, 7);
    resp_free(&r);

    resp_init(&r, "application/json");
    mp_buf_adds(&r.body, "{\"a\":1}");
    q.if_none_match = want;
    mp_httpcache_apply(NULL, &q, &r);
    assert_true(r.not_modified);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(r.etag, want);
    resp_free(&r);

    /* A tag the handler set (versioned) is kept, not replaced by the body's. */
    resp_init(&r, "application/json");
    mp_buf_adds(&r.body, "{\"a\":1}");
    snprintf(r.etag, sizeof r.etag, "\"v-1\"");
    q.if_none_match = "\"v-2\"";
    mp_httpcache_apply(NULL, &q, &r);
    assert_string_equal(r.etag, "\"v-1\"");
    assert_false(r.not_modified);
    resp_free(&r);
}

static void test_untouched(void **state)
{
    (void)state;
    struct mp_response r;
    struct mp_httpcache_req post = {.get = false, .accept_encoding = "gzip"};
    struct mp_httpcache_req get = {.get = true, .accept_encoding = "gzip"};
    /* Not a GET; a 201; a handler's own status: as they are. */
    resp_init(&r, "application/json");
    mp_buf_add(&r.body, big, sizeof big);
    mp_httpcache_apply(NULL, &post, &r);
    assert_string_equal(r.etag, "");
    assert_null(r.encoding);
    r.created = true;
    mp_httpcache_apply(NULL, &get, &r);
    assert_null(r.encoding);
    r.created = false;
    r.http_status = 206;
    mp_httpcache_apply(NULL, &get, &r);
    assert_null(r.encoding);
    assert_int_equal(r.body.len, sizeof big);
    resp_free(&r);
    /* no-store: no tag (nobody keeps it to ask again), but compressed. */
    resp_init(&r, "application/json");
    r.cache = "no-store";
    mp_buf_add(&r.body, big, sizeof big);
    mp_httpcache_apply(NULL, &get, &r);
    assert_string_equal(r.etag, "");
    assert_string_equal(r.encoding, "gzip");
    resp_free(&r);
    /* Images are not compressed again, and vary on nothing. */
    resp_init(&r, "image/jpeg");
    mp_buf_add(&r.body, big, sizeof big);
    mp_httpcache_apply(NULL, &get, &r);
    assert_null(r.encoding);
    assert_false(r.vary_encoding);
    assert_string_not_equal(r.etag, "");
    resp_free(&r);
    /* Small answers go out plain. */
    resp_init(&r, "application/json");
    mp_buf_add(&r.body, big, MP_GZIP_MIN);
    mp_httpcache_apply(NULL, &get, &r);
    assert_null(r.encoding);
    assert_true(r.vary_encoding);
    resp_free(&r);
}

static void test_gzip_buffered(void **state)
{
    (void)state;
    struct mp_respcache *gz = NULL;
    assert_int_equal(mp_respcache_new(4, 1 << 20, true, &gz), MP_OK);
    struct mp_httpcache_req q = {.get = true, .accept_encoding = "gzip, deflate"};
    static char back[sizeof big + 1];
    char plain_tag[MP_ETAG_MAX], gz_tag[MP_ETAG_MAX];
    mp_etag_body(big, sizeof big, plain_tag, sizeof plain_tag);
    mp_etag_gzip(plain_tag, gz_tag, sizeof gz_tag);
    /* Three times the same answer: compressed each time (a static body, then
     * from the cache of compressed bodies once second sight admits it). */
    for (int round = 0; round < 3; round++) {
        struct mp_response r;
        resp_init(&r, "application/geo+json");
        r.static_body = big;
        r.static_len = sizeof big;
        mp_httpcache_apply(gz, &q, &r);
        assert_string_equal(r.encoding, "gzip");
        assert_string_equal(r.etag, gz_tag);
        assert_null(r.static_body);
        const char *data = r.body.data;
        size_t len = r.body.len;
        char fdbuf[8192];
        if (r.has_fd) {
            assert_true(r.fd_len < sizeof fdbuf);
            assert_int_equal(pread(r.fd, fdbuf, r.fd_len, 0), (ssize_t)r.fd_len);
            data = fdbuf;
            len = r.fd_len;
        }
        assert_int_equal(r.has_fd, round == 2);
        assert_true(len < sizeof big / 10);
        assert_int_equal(fx_gunzip(data, len, back, sizeof back), (long)sizeof big);
        assert_memory_equal(back, big, sizeof big);
        resp_free(&r);
    }
    struct mp_respcache_stats st;
    mp_respcache_stats(gz, &st);
    assert_int_equal(st.stored, 1);
    assert_int_equal(st.hits, 1);
    /* The client's gzip copy is still good: 304, naming the gzip tag. */
    struct mp_response r;
    resp_init(&r, "application/geo+json");
    r.static_body = big;
    r.static_len = sizeof big;
    q.if_none_match = gz_tag;
    mp_httpcache_apply(gz, &q, &r);
    assert_true(r.not_modified);
    assert_string_equal(r.etag, gz_tag);
    assert_null(r.static_body);
    resp_free(&r);
    /* The plain tag from a client that now takes gzip matches too. */
    resp_init(&r, "application/geo+json");
    r.static_body = big;
    r.static_len = sizeof big;
    q.if_none_match = plain_tag;
    mp_httpcache_apply(gz, &q, &r);
    assert_true(r.not_modified);
    resp_free(&r);
    mp_respcache_free(gz);
}

struct source {
    size_t sent;
    bool freed;
};

static long source_read(void *ctx, uint64_t pos, char *out, size_t max)
{
    struct source *s = ctx;
    (void)pos;
    size_t n = sizeof big - s->sent < max ? sizeof big - s->sent : max;
    memcpy(out, big + s->sent, n);
    s->sent += n;
    return (long)n;
}

static void source_free(void *ctx) { ((struct source *)ctx)->freed = true; }

static void test_stream(void **state)
{
    (void)state;
    struct source src = {0, false};
    struct mp_response r;
    resp_init(&r, "text/csv");
    r.cache = "no-store";
    r.stream = source_read;
    r.stream_ctx = &src;
    r.stream_free = source_free;
    struct mp_httpcache_req q = {.get = true, .accept_encoding = "gzip"};
    mp_httpcache_apply(NULL, &q, &r);
    assert_string_equal(r.encoding, "gzip");
    assert_ptr_not_equal(r.stream_ctx, &src);
    static char out[sizeof big], back[sizeof big + 1];
    size_t len = 0;
    long n;
    while ((n = r.stream(r.stream_ctx, len, out + len, sizeof out - len)) > 0)
        len += (size_t)n;
    assert_int_equal(n, 0);
    assert_int_equal(fx_gunzip(out, len, back, sizeof back), (long)sizeof big);
    assert_memory_equal(back, big, sizeof big);
    resp_free(&r);
    assert_true(src.freed); /* the gzip stream freed the inner one */
    /* Without gzip the stream is the handler's own. */
    struct source plain = {0, false};
    resp_init(&r, "text/csv");
    r.stream = source_read;
    r.stream_ctx = &plain;
    r.stream_free = source_free;
    q.accept_encoding = "identity";
    mp_httpcache_apply(NULL, &q, &r);
    assert_null(r.encoding);
    assert_ptr_equal(r.stream_ctx, &plain);
    assert_string_equal(r.etag, ""); /* a stream has no tag of its bytes */
    resp_free(&r);
}

int main(void)
{
    setup_body();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tag_and_304),
        cmocka_unit_test(test_untouched),
        cmocka_unit_test(test_gzip_buffered),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
