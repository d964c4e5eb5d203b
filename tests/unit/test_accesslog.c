/* test_accesslog.c - access-log lines and request ids (accesslog.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "meldpunt/accesslog.h"

static void test_id_valid(void **state)
{
    (void)state;
    char max[65], over[66];
    memset(max, 'a', 64);
    max[64] = '\0';
    memset(over, 'a', 65);
    over[65] = '\0';
    const char *good[] = {"a", "req-1", "5f0c2b1e-8a1d-4a6e-9d1f-2b7e9c3a4d5e", "x_y.z:1+2=3/4@5",
                          max};
    const char *bad[] = {"", "a b", "a\"b", "a\\b", "a\nb", "<script>", "é", "a,b", over};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(mp_accesslog_id_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (mp_accesslog_id_valid(bad[i]))
            fail_msg("'%s' should not be a valid request id", bad[i]);
    assert_false(mp_accesslog_id_valid(NULL));
}

static void test_id_new(void **state)
{
    (void)state;
    char a[MP_REQUEST_ID_MAX], b[MP_REQUEST_ID_MAX];
    mp_accesslog_id_new(a, sizeof a);
    mp_accesslog_id_new(b, sizeof b);
    assert_int_equal(strlen(a), 24);
    assert_int_equal(strspn(a, "0123456789abcdef"), 24);
    assert_string_not_equal(a, b);
    assert_true(mp_accesslog_id_valid(a));
    char small[10] = "unchanged";
    mp_accesslog_id_new(small, sizeof small);
    assert_string_equal(small, "");
}

static void test_format(void **state)
{
    (void)state;
    struct mp_accesslog_entry e = {
        .time_ms = 1796650245123, /* 2026-12-07T13:30:45.123Z */
        .request_id = "abc-1",
        .method = "GET",
        .route = "/api/v1/reports/{id}",
        .status = 200,
        .bytes = 1234,
        .duration_ms = 1.23456,
    };
    char line[MP_ACCESSLOG_LINE_MAX];
    size_t n = mp_accesslog_format(&e, line, sizeof line);
    assert_string_equal(line,
                        "{\"time\":\"2026-12-07T13:30:45.123Z\",\"request_id\":\"abc-1\","
                        "\"method\":\"GET\",\"route\":\"/api/v1/reports/{id}\",\"status\":200,"
                        "\"bytes\":1234,\"duration_ms\":1.235}\n");
    assert_int_equal(n, strlen(line));
    /* A hostile method cannot break the line or the JSON. */
    e.method = "G\"E\\T\n\x01\xc3\xa9XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    e.status = 0;
    e.duration_ms = -5;
    n = mp_accesslog_format(&e, line, sizeof line);
    assert_true(n > 0);
    assert_non_null(strstr(line, "\"method\":\"G\\\"E\\\\T????XXXXXXX\","));
    assert_non_null(strstr(line, "\"status\":0,"));
    assert_non_null(strstr(line, "\"duration_ms\":0.000}"));
    assert_ptr_equal(strchr(line, '\n'), line + n - 1); /* one newline, at the end */
    /* Too small: nothing rather than half a line. */
    char small[40];
    assert_int_equal(mp_accesslog_format(&e, small, sizeof small), 0);
}

static void test_write(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    mp_accesslog_write(fds[1], "{\"a\":1}\n", 8);
    close(fds[1]);
    char got[16] = "";
    assert_int_equal(read(fds[0], got, sizeof got), 8);
    assert_memory_equal(got, "{\"a\":1}\n", 8);
    close(fds[0]);
    mp_accesslog_write(-1, "x", 1); /* a closed log loses the line, nothing else */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_id_new),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
