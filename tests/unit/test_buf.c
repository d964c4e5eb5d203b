/* test_buf.c - the bounded byte buffer and the JSON text writers on it:
 * string escaping, number formatting, the hard bound and the sticky failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "meldpunt/buf.h"

/* ---- helpers ---- */

/* The buffer holds exactly want (and is NUL-terminated after it). */
static void expect_buf(const struct mp_buf *b, const char *want)
{
    assert_false(b->failed);
    assert_non_null(b->data);
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->data, want, b->len);
    assert_int_equal(b->data[b->len], '\0');
}

static void expect_str(const char *in, const char *want)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_str(&b, in);
    expect_buf(&b, want);
    mp_buf_free(&b);
}

static void expect_strn(const char *in, size_t n, const char *want)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_strn(&b, in, n);
    expect_buf(&b, want);
    mp_buf_free(&b);
}

static void expect_num(double v, int decimals, const char *want)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_num(&b, v, decimals);
    expect_buf(&b, want);
    mp_buf_free(&b);
}

static void expect_time(int64_t t, const char *want)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_time(&b, t);
    expect_buf(&b, want);
    mp_buf_free(&b);
}

/* ---- the buffer ---- */

static void test_init_empty(void **state)
{
    (void)state;
    struct mp_buf b;
    memset(&b, 0xab, sizeof b);
    mp_buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, (size_t)256 << 20);
    assert_false(b.failed);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    mp_buf_free(&b);
    mp_buf_free(&b); /* twice is fine */
    mp_buf_free(NULL);
}

static void test_appends(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_add(&b, "ab", 2);
    mp_buf_add(&b, "", 0);
    mp_buf_adds(&b, "cd");
    mp_buf_addc(&b, 'e');
    mp_buf_printf(&b, "%d-%s", 42, "x");
    expect_buf(&b, "abcde42-x");
    /* Binary data with a NUL in it is kept whole. */
    mp_buf_add(&b, "\0z", 2);
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.data + 9, "\0z", 2);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    mp_buf_free(&b);
}

static void test_growth_keeps_content(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        mp_buf_addc(&b, (char)('a' + i % 26));
    assert_false(b.failed);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);
    assert_int_equal(b.data[10000], '\0');
    mp_buf_free(&b);
}

static void test_printf_long(void **state)
{
    (void)state;
    /* Longer than printf's on-stack scratch: takes the second path. */
    char big[1001];
    memset(big, 'q', 1000);
    big[1000] = '\0';
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_adds(&b, "<");
    mp_buf_printf(&b, "%s|%s", big, big);
    mp_buf_adds(&b, ">");
    assert_false(b.failed);
    assert_int_equal(b.len, 2003);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1001], '|');
    assert_int_equal(b.data[2002], '>');
    assert_int_equal(b.data[2003], '\0');
    assert_int_equal(strlen(b.data), 2003);
    mp_buf_free(&b);
}

static void test_reset_and_steal(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_adds(&b, "hello");
    char *keep = b.data;
    mp_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, keep); /* allocation kept */
    assert_string_equal(b.data, "");
    mp_buf_adds(&b, "world");
    size_t len = 0;
    char *s = mp_buf_steal(&b, &len);
    assert_int_equal(len, 5);
    assert_string_equal(s, "world");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
    /* Stealing an empty buffer gives an empty string, never NULL. */
    len = 99;
    s = mp_buf_steal(&b, &len);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);
    s = mp_buf_steal(&b, NULL);
    assert_non_null(s);
    free(s);
    /* The buffer is usable after a steal. */
    mp_buf_adds(&b, "again");
    expect_buf(&b, "again");
    mp_buf_free(&b);
}

static void test_bound_exact_fits(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 8);
    mp_buf_adds(&b, "12345678"); /* exactly max bytes */
    expect_buf(&b, "12345678");
    assert_int_equal(mp_buf_status(&b), MP_OK);
    mp_buf_addc(&b, '9'); /* one past */
    assert_true(b.failed);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "12345678", 8);
    assert_int_equal(mp_buf_status(&b), MP_ETOOBIG);
    mp_buf_free(&b);
}

static void test_bound_sticky(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 10);
    mp_buf_adds(&b, "abcde");
    mp_buf_adds(&b, "0123456789"); /* would make 15 > 10: refused whole */
    assert_true(b.failed);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "abcde", 5);
    /* Sticky: a later append that would fit is ignored too. */
    mp_buf_addc(&b, 'x');
    mp_buf_adds(&b, "y");
    mp_buf_printf(&b, "%d", 1);
    mp_json_str(&b, "z");
    mp_json_num(&b, 1.0, 0);
    assert_int_equal(b.len, 5);
    /* A refusal because of the bound is "too big", not "out of memory",
     * whatever the length reached before it. */
    enum mp_status st = mp_buf_status(&b);
    if (st != MP_ETOOBIG)
        mp_buf_free(&b);
    assert_int_equal(st, MP_ETOOBIG);
    /* reset clears the failure. */
    mp_buf_reset(&b);
    assert_false(b.failed);
    mp_buf_adds(&b, "ok");
    expect_buf(&b, "ok");
    assert_int_equal(mp_buf_status(&b), MP_OK);
    mp_buf_free(&b);
}

static void test_bound_printf(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 300);
    char big[400];
    memset(big, 'x', 399);
    big[399] = '\0';
    mp_buf_printf(&b, "%s", big); /* long path, over the bound */
    assert_true(b.failed);
    assert_int_equal(b.len, 0);
    mp_buf_free(&b);
}

static void test_bound_json_string_that_fits(void **state)
{
    (void)state;
    /* "abc" encodes to 5 bytes; a buffer bounded at 16 must take it. */
    struct mp_buf b;
    mp_buf_init(&b, 16);
    mp_json_str(&b, "abc");
    bool failed = b.failed, ok = !failed && b.len == 5 && memcmp(b.data, "\"abc\"", 5) == 0;
    mp_buf_free(&b);
    assert_false(failed);
    assert_true(ok);
}

static void test_bound_json_string_too_big(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 16);
    mp_json_str(&b, "0123456789abcdef"); /* 18 bytes encoded */
    assert_true(b.failed);
    assert_int_equal(b.len, 0);
    assert_int_not_equal(mp_buf_status(&b), MP_OK);
    mp_buf_free(&b);
}

/* ---- JSON strings ---- */

/* The unchecked writers write what the checked ones write, within their
 * bounds. */
static void test_put_writers_match(void **state)
{
    (void)state;
    static const char *const strs[] = {"", "plain", "a\"b\\c\n\t\x01\x7f", "</x>", "caf\xc3\xa9",
                                       "bad \xff\xc3", "<"};
    static const double nums[] = {0, -0.0, 1.5, -87.7347183, 41.83247674999, 1e20, -1e300};
    static const int64_t ints[] = {0, 1, -1, 417, INT64_MAX, INT64_MIN};
    struct mp_buf a, b;
    mp_buf_init(&a, 0);
    mp_buf_init(&b, 0);
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        size_t n = strlen(strs[i]);
        mp_buf_reset(&a);
        mp_json_strn(&a, strs[i], n);
        mp_buf_reset(&b);
        assert_true(mp_buf_reserve(&b, MP_JSON_STR_MAX(n)));
        char *end = mp_json_put_strn(b.data + b.len, strs[i], n);
        assert_true((size_t)(end - b.data) <= MP_JSON_STR_MAX(n));
        mp_buf_commit(&b, end);
        assert_string_equal(b.data, a.data);
    }
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        mp_buf_reset(&a);
        mp_json_coord(&a, nums[i], -nums[i]);
        mp_buf_reset(&b);
        assert_true(mp_buf_reserve(&b, MP_JSON_COORD_MAX));
        mp_buf_commit(&b, mp_json_put_coord(b.data, nums[i], -nums[i]));
        assert_string_equal(b.data, a.data);
    }
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        mp_buf_reset(&a);
        mp_json_int(&a, ints[i]);
        mp_json_time(&a, ints[i] > 0 && ints[i] < 1000000000000 ? ints[i] : 1700000000);
        mp_buf_reset(&b);
        assert_true(mp_buf_reserve(&b, MP_JSON_INT_MAX + MP_JSON_TIME_MAX));
        char *o = mp_json_put_int(b.data, ints[i]);
        o = mp_json_put_time(o, ints[i] > 0 && ints[i] < 1000000000000 ? ints[i] : 1700000000);
        mp_buf_commit(&b, o);
        assert_string_equal(b.data, a.data);
    }
    /* The checked writers take exactly what they write: a small bounded
     * buffer (open311.c formats numbers into 64 bytes) still takes them. */
    struct mp_buf small;
    mp_buf_init(&small, 16);
    mp_json_num(&small, -87.7347183, 7);
    mp_json_int(&small, 417);
    assert_false(small.failed);
    assert_string_equal(small.data, "-87.7347183417");
    mp_buf_free(&small);
    mp_buf_init(&small, 23); /* "YYYY-MM-DDTHH:MM:SSZ" and quotes: 22 */
    mp_json_time(&small, 1700000000);
    assert_false(small.failed);
    assert_string_equal(small.data, "\"2023-11-14T22:13:20Z\"");
    mp_buf_free(&small);
    /* A reservation past the bound fails and marks the buffer. */
    struct mp_buf c;
    mp_buf_init(&c, 8);
    assert_false(mp_buf_reserve(&c, 9));
    assert_true(c.failed);
    mp_buf_free(&a);
    mp_buf_free(&b);
    mp_buf_free(&c);
}

static void test_json_str_plain(void **state)
{
    (void)state;
    expect_str("", "\"\"");
    expect_str("plain text 123", "\"plain text 123\"");
    expect_str(NULL, "null");
    /* A lone slash is fine; only "</" is escaped. */
    expect_str("a/b", "\"a/b\"");
    expect_str("/", "\"/\"");
}

static void test_json_str_escapes(void **state)
{
    (void)state;
    expect_str("say \"hi\"", "\"say \\\"hi\\\"\"");
    expect_str("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    expect_str("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
    expect_str("\b\f", "\"\\u0008\\u000c\"");
    expect_str("\x01\x1f", "\"\\u0001\\u001f\"");
    expect_str("del\x7f", "\"del\\u007f\"");
    expect_str("\x1b[31m", "\"\\u001b[31m\"");
}

static void test_json_str_script_close(void **state)
{
    (void)state;
    expect_str("</script>", "\"<\\u002fscript>\"");
    expect_str("a</b></c", "\"a<\\u002fb><\\u002fc\"");
    expect_str("< /", "\"< /\"");
    expect_str("<<//", "\"<<\\u002f/\"");
    /* The "<" of "</" at a chunk start (i == 0) is still seen. */
    expect_strn("</", 2, "\"<\\u002f\"");
    /* ...but a slash at index 0 has no "<" before it. */
    expect_strn("/<", 2, "\"/<\"");
}

static void test_json_str_utf8_passthrough(void **state)
{
    (void)state;
    expect_str("caf\xc3\xa9", "\"caf\xc3\xa9\"");
    expect_str("\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"");
    expect_str("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
    expect_str("Snow \xe2\x80\x93 Uncleared", "\"Snow \xe2\x80\x93 Uncleared\"");
}

static void test_json_strn_embedded_nul(void **state)
{
    (void)state;
    expect_strn("a\0b", 3, "\"a\\u0000b\"");
    expect_strn("abc", 0, "\"\"");
    expect_strn("abcdef", 3, "\"abc\"");
}

static void test_json_str_round_trip_jansson(void **state)
{
    (void)state;
    /* Every byte 1..127 plus UTF-8: jansson decodes it back to the input. */
    char in[160];
    size_t n = 0;
    for (int c = 1; c < 128; c++)
        in[n++] = (char)c;
    memcpy(in + n, "</\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 11);
    n += 11;
    in[n] = '\0';
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_adds(&b, "[");
    mp_json_str(&b, in);
    mp_buf_adds(&b, "]");
    assert_false(b.failed);
    json_error_t je;
    json_t *j = json_loadb(b.data, b.len, 0, &je);
    if (!j)
        print_error("jansson: %s\n", je.text);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(j, 0)), in);
    /* No raw control character survives in the encoded text. */
    for (size_t i = 0; i < b.len; i++)
        assert_true((unsigned char)b.data[i] >= 0x20 && b.data[i] != 0x7f);
    json_decref(j);
    mp_buf_free(&b);
}

/* ---- numbers ---- */

static void test_json_num_trim(void **state)
{
    (void)state;
    expect_num(1.5, 7, "1.5");
    expect_num(2.0, 7, "2");
    expect_num(0.0, 7, "0");
    expect_num(-87.6298, 7, "-87.6298");
    expect_num(41.8781, 7, "41.8781");
    expect_num(-87.62981234567, 7, "-87.6298123");
    expect_num(41.87810004, 7, "41.8781");   /* rounds below the 7th decimal */
    expect_num(41.87810006, 7, "41.8781001");
    expect_num(0.1, 7, "0.1");
    expect_num(0.0000001, 7, "0.0000001");
    expect_num(100.0, 7, "100");             /* integer zeros are not trimmed */
    expect_num(100.0, 0, "100");
    expect_num(1e6, 2, "1000000");
    expect_num(-10.25, 1, "-10.2");          /* 10.25 is exact: printf rounds half to even */
    expect_num(12.5, 3, "12.5");
}

static void test_json_num_negative_zero(void **state)
{
    (void)state;
    expect_num(-0.0, 7, "0");
    expect_num(-0.00000001, 7, "0");
    expect_num(-0.4, 0, "0");
    expect_num(-0.00000006, 7, "-0.0000001"); /* a real negative stays negative */
}

static void test_json_num_not_finite(void **state)
{
    (void)state;
    expect_num(NAN, 7, "null");
    expect_num(-NAN, 7, "null");
    expect_num(INFINITY, 7, "null");
    expect_num(-INFINITY, 2, "null");
    expect_num(1e301, 0, "null");
}

static void test_json_num_decimals_clamped(void **state)
{
    (void)state;
    expect_num(1.234567890123456, 40, "1.234567890123");
    expect_num(1.6, -3, "2");
}

static void test_json_coord(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_coord(&b, -87.6298, 41.8781);
    expect_buf(&b, "[-87.6298,41.8781]");
    mp_buf_reset(&b);
    mp_json_coord(&b, -87.629812345, 41.878100049);
    expect_buf(&b, "[-87.6298123,41.8781]");
    mp_buf_reset(&b);
    mp_json_coord(&b, 0.0, -0.0);
    expect_buf(&b, "[0,0]");
    mp_buf_reset(&b);
    /* Never %.17g noise. */
    mp_json_coord(&b, 50.73, 4.7);
    expect_buf(&b, "[50.73,4.7]");
    mp_buf_free(&b);
}

static void test_json_int_bool_key(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_json_int(&b, INT64_MIN);
    mp_buf_addc(&b, ' ');
    mp_json_int(&b, INT64_MAX);
    mp_buf_addc(&b, ' ');
    mp_json_int(&b, 0);
    mp_buf_addc(&b, ' ');
    mp_json_int(&b, -1);
    expect_buf(&b, "-9223372036854775808 9223372036854775807 0 -1");
    mp_buf_reset(&b);
    mp_buf_addc(&b, '{');
    mp_json_key(&b, "a", true);
    mp_json_bool(&b, true);
    mp_json_key(&b, "b\"", false);
    mp_json_bool(&b, false);
    mp_buf_addc(&b, '}');
    expect_buf(&b, "{\"a\":true,\"b\\\"\":false}");
    mp_buf_free(&b);
}

static void test_json_time(void **state)
{
    (void)state;
    expect_time(0, "\"1970-01-01T00:00:00Z\"");
    expect_time(1609459200, "\"2021-01-01T00:00:00Z\"");
    expect_time(1615708800, "\"2021-03-14T08:00:00Z\"");
    expect_time(951782400, "\"2000-02-29T00:00:00Z\"");
    expect_time(-1, "\"1969-12-31T23:59:59Z\"");
    expect_time(-14182940, "\"1969-07-20T20:17:40Z\"");
    expect_time(253402300799, "\"9999-12-31T23:59:59Z\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_growth_keeps_content),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_reset_and_steal),
        cmocka_unit_test(test_bound_exact_fits),
        cmocka_unit_test(test_bound_sticky),
        cmocka_unit_test(test_bound_printf),
        cmocka_unit_test(test_bound_json_string_that_fits),
        cmocka_unit_test(test_bound_json_string_too_big),
        cmocka_unit_test(test_json_str_plain),
        cmocka_unit_test(test_json_str_escapes),
        cmocka_unit_test(test_json_str_script_close),
        cmocka_unit_test(test_json_str_utf8_passthrough),
        cmocka_unit_test(test_json_strn_embedded_nul),
        cmocka_unit_test(test_json_str_round_trip_jansson),
        cmocka_unit_test(test_json_num_trim),
        cmocka_unit_test(test_json_num_negative_zero),
        cmocka_unit_test(test_json_num_not_finite),
        cmocka_unit_test(test_json_num_decimals_clamped),
        cmocka_unit_test(test_json_coord),
        cmocka_unit_test(test_json_int_bool_key),
        cmocka_unit_test(test_json_time),
        cmocka_unit_test(test_put_writers_match),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
