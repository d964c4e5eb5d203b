/* test_http_answer.c - the header fields of an answer (mp_http_headers):
 * caching, encoding, Vary and the request id, without a server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/http.h"

/* The fields as "Name: value\n" lines, in order. */
struct lines {
    char text[2048];
    size_t len;
};

static void collect(void *ctx, const char *name, const char *value)
{
    struct lines *l = ctx;
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%s: %s\n", name, value);
    assert_true(n > 0 && (size_t)n < sizeof l->text - l->len);
    l->len += (size_t)n;
}

static const char *headers(const struct mp_response *resp, bool shared, const char *rid,
                           struct lines *l)
{
    struct mp_http_head head = {"application/json", shared, rid, "default-src 'self'"};
    memset(l, 0, sizeof *l);
    mp_http_headers(resp, &head, collect, l);
    return l->text;
}

static void test_cache_control(void **state)
{
    (void)state;
    struct mp_response r;
    struct lines l;
    memset(&r, 0, sizeof r);
    assert_non_null(strstr(headers(&r, true, NULL, &l), "Cache-Control: no-cache\n"));
    r.cache = "public, max-age=300";
    assert_non_null(strstr(headers(&r, true, NULL, &l), "Cache-Control: public, max-age=300\n"));
    /* Not for shared caches (links for this host, a signed-in request): private. */
    assert_non_null(strstr(headers(&r, false, NULL, &l), "Cache-Control: private, max-age=300\n"));
    r.cache = "no-store";
    assert_non_null(strstr(headers(&r, false, NULL, &l), "Cache-Control: no-store\n"));
    snprintf(r.etag, sizeof r.etag, "\"abc\"");
    assert_non_null(strstr(headers(&r, true, NULL, &l), "ETag: \"abc\"\n"));
}

static void test_vary_encoding_id(void **state)
{
    (void)state;
    struct mp_response r;
    struct lines l;
    memset(&r, 0, sizeof r);
    const char *h = headers(&r, true, NULL, &l);
    assert_non_null(strstr(h, "Vary: Origin\n"));
    assert_null(strstr(h, "X-Request-Id"));
    assert_null(strstr(h, "Content-Encoding"));
    r.vary_encoding = true;
    r.encoding = "gzip";
    h = headers(&r, true, "req-7", &l);
    assert_non_null(strstr(h, "Vary: Origin, Accept-Encoding\n"));
    assert_non_null(strstr(h, "Content-Encoding: gzip\n"));
    assert_non_null(strstr(h, "X-Request-Id: req-7\n"));
    r.vary_accept = true;
    r.vary_language = true;
    h = headers(&r, true, "", &l);
    assert_non_null(strstr(h, "Vary: Origin, Accept-Encoding, Accept, Accept-Language\n"));
    assert_null(strstr(h, "X-Request-Id"));
    /* The Content-Type comes first. */
    assert_memory_equal(h, "Content-Type: application/json\n", 31);
}

static void test_error_body_drops_encoding(void **state)
{
    (void)state;
    struct mp_response r;
    struct mp_error err = {{0}, {0}};
    memset(&r, 0, sizeof r);
    mp_buf_init(&r.body, 0);
    r.encoding = "gzip";
    r.vary_encoding = true;
    snprintf(r.etag, sizeof r.etag, "\"abc-gz\"");
    (void)mp_fail(&err, MP_ERATE, "rate_limited", "too many");
    mp_http_error_body(&r, &err);
    assert_null(r.encoding);
    assert_false(r.vary_encoding);
    assert_string_equal(r.etag, "");
    assert_non_null(strstr(r.body.data, "\"rate_limited\""));
    mp_buf_free(&r.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_control),
        cmocka_unit_test(test_vary_encoding_id),
        cmocka_unit_test(test_error_body_drops_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
