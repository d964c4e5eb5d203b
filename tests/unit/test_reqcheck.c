/* test_reqcheck.c - the HTTP layer's checks before any route: control bytes
 * in the path, CORS origins, and cross-site writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/reqcheck.h"

static void test_path_control(void **state)
{
    (void)state;
    const char *bad[] = {"/api/v1/staff/queue%00.css", "/healthz%0a", "/a%1F", "/a%7f", "/a\x01",
                         "/a%0D%0AX-Injected:%201"};
    const char *good[] = {"/healthz", "/healthz%2500", "/a%20b",    "/q?x=%00",
                          "/a%0",     "/a%zz",         "/caf%C3%A9"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_true(mp_reqcheck_path_control(bad[i]));
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_false(mp_reqcheck_path_control(good[i]));
}

static void test_cors(void **state)
{
    (void)state;
    const char *list = "https://city.example, https://app.city.example";
    assert_string_equal(mp_reqcheck_cors(list, "https://app.city.example"),
                        "https://app.city.example");
    assert_null(mp_reqcheck_cors(list, "https://city.example.evil"));
    assert_null(mp_reqcheck_cors(list, "https://app.city"));
    assert_null(mp_reqcheck_cors("", "https://city.example"));
    assert_null(mp_reqcheck_cors(list, NULL));
    assert_non_null(mp_reqcheck_cors("*", "https://anyone.example"));
}

static void test_json_type(void **state)
{
    (void)state;
    assert_true(mp_reqcheck_json_type("application/json"));
    assert_true(mp_reqcheck_json_type("Application/JSON; charset=utf-8"));
    assert_true(mp_reqcheck_json_type("application/geo+json"));
    assert_false(mp_reqcheck_json_type("text/plain"));
    assert_false(mp_reqcheck_json_type("application/jsonx"));
    assert_false(mp_reqcheck_json_type("text/json"));
    assert_false(mp_reqcheck_json_type("multipart/form-data; boundary=x+json"));
    assert_false(mp_reqcheck_json_type(NULL));
}

static void test_cross_site(void **state)
{
    (void)state;
    const char *form = "multipart/form-data; boundary=b";
    struct mp_reqcheck_write w = {.content_type = form, .host = "127.0.0.1:8080"};
    assert_false(mp_reqcheck_cross_site(&w)); /* no browser page: curl, a server */
    w.origin = "https://evil.example";
    assert_true(mp_reqcheck_cross_site(&w));
    w.origin = "http://127.0.0.1:8080"; /* the Host the browser addressed */
    assert_false(mp_reqcheck_cross_site(&w));
    w.origin = "null";
    assert_true(mp_reqcheck_cross_site(&w));
    /* Sec-Fetch-Site decides when it came. */
    w.origin = "http://127.0.0.1:8080";
    w.sec_fetch_site = "cross-site";
    assert_true(mp_reqcheck_cross_site(&w));
    w.sec_fetch_site = "same-site";
    assert_true(mp_reqcheck_cross_site(&w));
    w.sec_fetch_site = "none";
    assert_false(mp_reqcheck_cross_site(&w));
    /* Behind a proxy: the public base's scheme and authority. */
    struct mp_reqcheck_write p = {.content_type = form,
                                  .host = "127.0.0.1",
                                  .origin = "https://reports.city.example",
                                  .public_base = "https://reports.city.example/meldpunt"};
    assert_false(mp_reqcheck_cross_site(&p));
    p.origin = "http://reports.city.example";
    assert_true(mp_reqcheck_cross_site(&p));
    /* JSON, a listed origin and an api_key pass. */
    p.content_type = "application/json";
    assert_false(mp_reqcheck_cross_site(&p));
    p.content_type = "text/plain";
    p.origin = "https://partner.example";
    p.cors_list = "https://partner.example";
    assert_false(mp_reqcheck_cross_site(&p));
    p.origin = "https://evil.example";
    assert_true(mp_reqcheck_cross_site(&p));
    p.has_api_key = true;
    assert_false(mp_reqcheck_cross_site(&p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_control),
        cmocka_unit_test(test_cors),
        cmocka_unit_test(test_json_type),
        cmocka_unit_test(test_cross_site),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
