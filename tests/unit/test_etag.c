/* test_etag.c - strong entity tags and If-None-Match (etag.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/etag.h"

static void test_body_tag(void **state)
{
    (void)state;
    char a[MP_ETAG_MAX], b[MP_ETAG_MAX], c[MP_ETAG_MAX];
    mp_etag_body("abc", 3, a, sizeof a);
    mp_etag_body("abc", 3, b, sizeof b);
    mp_etag_body("abd", 3, c, sizeof c);
    /* FNV-1a 64 of "abc", quoted: the tag of the bytes, nothing else. */
    assert_string_equal(a, "\"e71fa2190541574b\"");
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    mp_etag_body("", 0, a, sizeof a);
    assert_string_equal(a, "\"cbf29ce484222325\"");
}

static void test_version_tag(void **state)
{
    (void)state;
    char a[MP_ETAG_MAX], b[MP_ETAG_MAX], c[MP_ETAG_MAX], d[MP_ETAG_MAX];
    mp_etag_version(7, "/api/v1/clusters?bbox=1,2,3,4", 41, a, sizeof a);
    mp_etag_version(7, "/api/v1/clusters?bbox=1,2,3,5", 41, b, sizeof b);
    mp_etag_version(8, "/api/v1/clusters?bbox=1,2,3,4", 41, c, sizeof c);
    mp_etag_version(7, "/api/v1/clusters?bbox=1,2,3,4", 42, d, sizeof d);
    assert_int_equal(strlen(a), 1 + 16 + 3 + 1);
    assert_memory_equal(a + 17, "-41\"", 4);
    /* The key, the salt and the version each change the tag. */
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    assert_memory_equal(a, d, 17); /* same key and salt: same hash part */
}

static void test_gzip_twin(void **state)
{
    (void)state;
    char out[MP_ETAG_MAX];
    mp_etag_gzip("\"abc-12\"", out, sizeof out);
    assert_string_equal(out, "\"abc-12-gz\"");
    mp_etag_gzip("abc", out, sizeof out);
    assert_string_equal(out, "");
    mp_etag_gzip("\"", out, sizeof out);
    assert_string_equal(out, "");
    char small[6];
    mp_etag_gzip("\"abc\"", small, sizeof small);
    assert_string_equal(small, ""); /* does not fit: no tag rather than a cut one */
}

static void test_match(void **state)
{
    (void)state;
    const char *tag = "\"0123456789abcdef\"";
    assert_true(mp_etag_match("\"0123456789abcdef\"", tag));
    assert_true(mp_etag_match("*", tag));
    assert_true(mp_etag_match("\"x\", W/\"0123456789abcdef\"", tag));
    assert_true(mp_etag_match("\"x\" ,\"0123456789abcdef-gz\"", tag));
    assert_true(mp_etag_match(" \t\"0123456789abcdef\"", tag));
    assert_false(mp_etag_match(NULL, tag));
    assert_false(mp_etag_match("", tag));
    assert_false(mp_etag_match("\"0123456789abcde\"", tag));
    assert_false(mp_etag_match("\"0123456789abcdef0\"", tag));
    assert_false(mp_etag_match("0123456789abcdef", tag));   /* not quoted */
    assert_false(mp_etag_match("\"0123456789abcdef", tag)); /* unterminated */
    assert_false(mp_etag_match("garbage, \"nope\"", tag));
    assert_false(mp_etag_match("\"0123456789abcdef\"", "")); /* no tag never matches */
    assert_true(mp_etag_match("junk, \"0123456789abcdef\"", tag));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_tag),
        cmocka_unit_test(test_version_tag),
        cmocka_unit_test(test_gzip_twin),
        cmocka_unit_test(test_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
