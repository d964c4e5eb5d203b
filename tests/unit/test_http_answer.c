/* test_http_answer.c - the header fields of an answer (mp_http_headers):
 * caching, encoding, Vary and the request id, without a server; and the
 * HTTP code and error code of a status (mp_http_code, mp_http_error_fill). */
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

/* What a status answers: an engine that lacks an operation is 501 "not
 * implemented" whatever code the domain wrapped it in; 415 stays for media
 * types. */
static void test_status_codes(void **state)
{
    (void)state;
    assert_int_equal(mp_http_code(MP_EUNSUPPORTED), 501);
    assert_int_equal(mp_http_code(MP_EMEDIATYPE), 415);
    assert_int_equal(mp_http_code(MP_EINVAL), 400);
    assert_int_equal(mp_http_code(MP_EUNAVAIL), 503);
    assert_int_equal(mp_http_code(MP_EDB), 500);

    struct mp_error err = {{0}, {0}};
    mp_http_error_fill(MP_EUNSUPPORTED, &err);
    assert_string_equal(err.code, "not_implemented");
    assert_string_equal(err.text, "this server's storage engine does not offer this operation yet");
    /* A domain module's wrapper ("cannot aggregate clusters right now")
     * would read as a failure to retry: the answer says what it is. */
    (void)mp_fail(&err, MP_EUNSUPPORTED, "unavailable", "cannot aggregate clusters right now");
    mp_http_error_fill(MP_EUNSUPPORTED, &err);
    assert_string_equal(err.code, "not_implemented");
    assert_string_equal(err.text, "this server's storage engine does not offer this operation yet");
    /* The store's own answer says what to use instead: kept. */
    (void)mp_fail(&err, MP_EUNSUPPORTED, "unsupported", "back it up with pg_dump");
    mp_http_error_fill(MP_EUNSUPPORTED, &err);
    assert_string_equal(err.code, "not_implemented");
    assert_string_equal(err.text, "back it up with pg_dump");
    /* Media types keep their code and text; a bare failure gets one. */
    (void)mp_fail(&err, MP_EMEDIATYPE, "unsupported_media_type", "send application/json");
    mp_http_error_fill(MP_EMEDIATYPE, &err);
    assert_string_equal(err.code, "unsupported_media_type");
    assert_string_equal(err.text, "send application/json");
    memset(&err, 0, sizeof err);
    mp_http_error_fill(MP_EDB, &err);
    assert_string_equal(err.code, "internal");
    assert_string_equal(err.text, "the server could not complete the request");
    memset(&err, 0, sizeof err);
    mp_http_error_fill(MP_ENOMEM, &err);
    assert_string_equal(err.code, "unavailable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_control),
        cmocka_unit_test(test_vary_encoding_id),
        cmocka_unit_test(test_error_body_drops_encoding),
        cmocka_unit_test(test_status_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
