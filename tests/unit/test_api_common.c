/* test_api_common.c - the helpers the API handlers share that need no live
 * HTTP connection: opaque page cursors, and the error body (http.c). (Query parsing
 * reads libmicrohttpd's connection and is covered by the API tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "meldpunt/api.h"

static void expect_round_trip(int64_t id)
{
    char cur[64];
    mp_api_cursor_encode(id, cur, sizeof cur);
    assert_true(strlen(cur) > 0);
    /* base64url without padding: safe in a query string as is */
    for (const char *p = cur; *p; p++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                               *p));
    int64_t back = -7;
    assert_int_equal(mp_api_cursor_decode(cur, &back), MP_OK);
    assert_int_equal(back, id);
}

static void expect_reject(const char *s)
{
    int64_t id = -7;
    enum mp_status rc = mp_api_cursor_decode(s, &id);
    if (rc != MP_EINVAL)
        print_error("cursor \"%s\" accepted as %lld\n", s, (long long)id);
    assert_int_equal(rc, MP_EINVAL);
    assert_int_equal(id, -7); /* untouched */
}

static void test_cursor_known_value(void **state)
{
    (void)state;
    char cur[64];
    /* "v1:1" in base64url without padding. */
    mp_api_cursor_encode(1, cur, sizeof cur);
    assert_string_equal(cur, "djE6MQ");
    /* "v1:123" is 6 bytes: no partial group. */
    mp_api_cursor_encode(123, cur, sizeof cur);
    assert_string_equal(cur, "djE6MTIz");
    int64_t id;
    assert_int_equal(mp_api_cursor_decode("djE6MTIz", &id), MP_OK);
    assert_int_equal(id, 123);
}

static void test_cursor_round_trip(void **state)
{
    (void)state;
    const int64_t ids[] = {0, 1, 2, 9, 10, 42, 99, 100, 999, 1000, 65535, 1000000,
                           2147483647LL, 2147483648LL, 1000000000000LL, INT64_MAX - 1,
                           INT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        expect_round_trip(ids[i]);
    for (int64_t id = 1; id < 100000; id += 97)
        expect_round_trip(id);
}

static void test_cursor_rejects_junk(void **state)
{
    (void)state;
    expect_reject("");
    expect_reject("!!!!");
    expect_reject("djE6MQ==");     /* padding is not ours */
    expect_reject("djE6 MQ");
    expect_reject("djE6+Q");       /* standard base64 alphabet */
    expect_reject("djE6/Q");
    expect_reject("MQ");           /* "1" without the version */
    expect_reject("djE6");         /* "v1:" without an id */
    expect_reject("djI6MQ");       /* "v2:1" */
    expect_reject("VjE6MQ");       /* "V1:1" */
    expect_reject("djE6LTE");      /* "v1:-1" */
    expect_reject("djE6MXg");      /* "v1:1x" */
    expect_reject("djE6YWJj");     /* "v1:abc" */
    expect_reject("djE6OTk5OTk5OTk5OTk5OTk5OTk5OTk"); /* "v1:99999999999999999999": overflow */
    expect_reject("12345");
    /* Longer than any cursor we hand out. */
    char big[200];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_reject(big);
    big[49] = '\0';
    expect_reject(big);
}

static void test_cursor_small_buffer(void **state)
{
    (void)state;
    /* A too-small buffer never overflows and stays a C string. */
    char out[8];
    memset(out, 'x', sizeof out);
    mp_api_cursor_encode(123456789, out, 4);
    assert_true(memchr(out, '\0', 4) != NULL);
    assert_int_equal(out[4], 'x');
}

static void test_error_body(void **state)
{
    (void)state;
    struct mp_response resp;
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    mp_buf_adds(&resp.body, "partial output that must go");
    struct mp_error err;
    memset(&err, 0, sizeof err);
    (void)mp_fail(&err, MP_EINVAL, "out_of_area", "the point \"%s\" is outside </script>", "x");
    mp_http_error_body(&resp, &err);
    assert_false(resp.body.failed);
    assert_string_equal(resp.body.data,
                        "{\"error\":{\"code\":\"out_of_area\",\"message\":\"the point \\\"x\\\" "
                        "is outside <\\u002fscript>\"}}");
    assert_string_equal(resp.content_type, "application/json");
    json_error_t je;
    json_t *j = json_loads(resp.body.data, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "the point \"x\" is outside </script>");
    json_decref(j);
    /* An empty error still gives a well-formed body. */
    memset(&err, 0, sizeof err);
    mp_http_error_body(&resp, &err);
    assert_string_equal(resp.body.data,
                        "{\"error\":{\"code\":\"error\",\"message\":\"request failed\"}}");
    mp_buf_free(&resp.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_known_value),
        cmocka_unit_test(test_cursor_round_trip),
        cmocka_unit_test(test_cursor_rejects_junk),
        cmocka_unit_test(test_cursor_small_buffer),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests_name("api_common", tests, NULL, NULL);
}
