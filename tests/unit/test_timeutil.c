/* test_timeutil.c - ISO 8601 parsing and formatting, civil-calendar maths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/timeutil.h"

#define T_2021 1609459200LL /* 2021-01-01T00:00:00Z */

static void expect_parse(const char *s, int64_t dflt, int64_t want)
{
    int64_t got = 12345;
    enum mp_status rc = mp_time_parse(s, dflt, &got);
    if (rc != MP_OK || got != want)
        print_error("parse \"%s\": rc %d, got %lld, want %lld\n", s, (int)rc, (long long)got,
                    (long long)want);
    assert_int_equal(rc, MP_OK);
    assert_int_equal(got, want);
}

static void expect_bad(const char *s)
{
    int64_t got = 12345;
    enum mp_status rc = mp_time_parse(s, 0, &got);
    if (rc != MP_EINVAL)
        print_error("parse \"%s\" accepted as %lld\n", s ? s : "(null)", (long long)got);
    assert_int_equal(rc, MP_EINVAL);
    assert_int_equal(got, 12345); /* untouched on failure */
}

static void expect_format(int64_t t, const char *want)
{
    char out[32];
    memset(out, 'x', sizeof out);
    mp_time_format(t, out, sizeof out);
    assert_string_equal(out, want);
}

static void test_format(void **state)
{
    (void)state;
    expect_format(0, "1970-01-01T00:00:00Z");
    expect_format(T_2021, "2021-01-01T00:00:00Z");
    expect_format(T_2021 - 1, "2020-12-31T23:59:59Z");
    expect_format(951782400, "2000-02-29T00:00:00Z");
    expect_format(1582979696, "2020-02-29T12:34:56Z");
    expect_format(253402300799, "9999-12-31T23:59:59Z");
}

static void test_format_negative_epoch(void **state)
{
    (void)state;
    expect_format(-1, "1969-12-31T23:59:59Z");
    expect_format(-86400, "1969-12-31T00:00:00Z");
    expect_format(-86401, "1969-12-30T23:59:59Z");
    expect_format(-14182940, "1969-07-20T20:17:40Z");
    expect_format(-2208988800, "1900-01-01T00:00:00Z");
}

static void test_format_small_buffer(void **state)
{
    (void)state;
    char out[20]; /* one short of the 21 needed */
    memset(out, 'x', sizeof out);
    mp_time_format(T_2021, out, sizeof out);
    assert_string_equal(out, ""); /* never a truncated date */
    char exact[21];
    mp_time_format(T_2021, exact, sizeof exact);
    assert_string_equal(exact, "2021-01-01T00:00:00Z");
}

static void test_parse_zones(void **state)
{
    (void)state;
    expect_parse("2021-01-01T00:00:00Z", 0, T_2021);
    expect_parse("2021-01-01T00:00:00z", 0, T_2021);
    expect_parse("2021-01-01t00:00:00Z", 0, T_2021);
    expect_parse("2021-01-01 00:00:00Z", 0, T_2021);
    expect_parse("2021-01-01T02:00:00+02:00", 0, T_2021);
    expect_parse("2021-01-01T02:00:00+0200", 0, T_2021);
    expect_parse("2021-01-01T02:00:00+02", 0, T_2021);
    expect_parse("2020-12-31T19:00:00-0500", 0, T_2021);
    expect_parse("2020-12-31T19:00:00-05:00", 0, T_2021);
    expect_parse("2021-01-01T05:30:00+05:30", 0, T_2021);
    expect_parse("2021-01-01T00:00:00-00:00", 0, T_2021);
    expect_parse("2021-01-01T14:00:00+14:00", 0, T_2021);
    /* An explicit zone wins over the default. */
    expect_parse("2021-01-01T00:00:00Z", -21600, T_2021);
    expect_parse("2021-01-01T02:00:00+02:00", -21600, T_2021);
}

static void test_parse_no_zone_uses_default(void **state)
{
    (void)state;
    expect_parse("2021-01-01T00:00:00", 0, T_2021);
    expect_parse("2020-12-31T18:00:00", -21600, T_2021); /* Chicago winter */
    expect_parse("2021-01-01T06:00", 21600, T_2021);
    /* A date alone is local midnight. */
    expect_parse("2021-01-01", 0, T_2021);
    expect_parse("2021-01-01", -21600, T_2021 + 21600);
    expect_parse("2021-01-01Z", -21600, T_2021);
}

static void test_parse_fractions_and_minutes(void **state)
{
    (void)state;
    expect_parse("2021-01-01T00:00:00.123Z", 0, T_2021);
    expect_parse("2021-01-01T00:00:00,5Z", 0, T_2021);
    expect_parse("2021-01-01T00:00:59.999999999Z", 0, T_2021 + 59);
    expect_parse("2021-01-01T10:30Z", 0, T_2021 + 10 * 3600 + 30 * 60);
    expect_parse("2021-01-01T23:59:59Z", 0, T_2021 + 86399);
    /* A leap second is clamped to :59, not rejected. */
    expect_parse("2016-12-31T23:59:60Z", 0, 1483228799);
}

static void test_parse_invalid_dates(void **state)
{
    (void)state;
    expect_bad("2021-02-30");
    expect_bad("2021-02-29"); /* 2021 is not a leap year */
    expect_bad("2021-04-31");
    expect_bad("2021-13-01");
    expect_bad("2021-00-10");
    expect_bad("2021-01-00");
    expect_bad("2021-01-32");
    expect_bad("1900-02-29"); /* divisible by 100, not by 400 */
    expect_bad("2100-02-29");
    expect_bad("1899-12-31"); /* before the supported range */
    expect_bad("2021-1-1");
    expect_bad("21-01-01");
    expect_bad("20210101");
    expect_bad("2021/01/01");
}

static void test_parse_invalid_times(void **state)
{
    (void)state;
    expect_bad("2021-01-01T24:00:00Z");
    expect_bad("2021-01-01T23:60:00Z");
    expect_bad("2021-01-01T23:59:61Z");
    expect_bad("2021-01-01T10");
    expect_bad("2021-01-01T10:0Z");
    expect_bad("2021-01-01T10:00:0Z");
    expect_bad("2021-01-01T10:00:00.Z");
    expect_bad("2021-01-01T10:00:00+15:00");
    expect_bad("2021-01-01T10:00:00+05:60");
    expect_bad("2021-01-01T10:00:00+5");
    expect_bad("2021-01-01T10:00:00+05:3");
    expect_bad("2021-01-01T");
}

static void test_parse_garbage_and_trailing(void **state)
{
    (void)state;
    expect_bad(NULL);
    expect_bad("");
    expect_bad("garbage");
    expect_bad("yesterday");
    expect_bad(" 2021-01-01");
    expect_bad("2021-01-01 ");
    expect_bad("2021-01-01x");
    expect_bad("2021-01-01T00:00:00Zjunk");
    expect_bad("2021-01-01T00:00:00+02:00Z");
    expect_bad("2021-01-01T00:00:00ZZ");
    expect_bad("2021-01-01T00:00:00 Z");
    expect_bad("2021-01-01T00:00:00\n");
    expect_bad("1609459200");
}

static void test_parse_dangling_zone_colon(void **state)
{
    (void)state;
    /* "+05:" is no zone: the minutes are missing after the colon. */
    expect_bad("2021-01-01T10:00:00+05:");
    expect_bad("2021-01-01T10:00:00-05:");
}

static void test_parse_leap_years(void **state)
{
    (void)state;
    expect_parse("2000-02-29", 0, 951782400);
    expect_parse("2020-02-29T12:34:56Z", 0, 1582979696);
    expect_parse("2024-02-29T00:00:00Z", 0, 1709164800);
    expect_parse("2021-03-01", 0, 1614556800);
    /* 2020 has 366 days, 2021 has 365. */
    int64_t a, b, c;
    assert_int_equal(mp_time_parse("2020-01-01", 0, &a), MP_OK);
    assert_int_equal(mp_time_parse("2021-01-01", 0, &b), MP_OK);
    assert_int_equal(mp_time_parse("2022-01-01", 0, &c), MP_OK);
    assert_int_equal(b - a, 366 * 86400);
    assert_int_equal(c - b, 365 * 86400);
}

static void test_parse_negative_epoch(void **state)
{
    (void)state;
    expect_parse("1969-12-31T23:59:59Z", 0, -1);
    expect_parse("1969-07-20T20:17:40Z", 0, -14182940);
    expect_parse("1900-01-01T00:00:00Z", 0, -2208988800);
    expect_parse("1970-01-01T01:00:00+01:00", 0, 0);
    expect_parse("9999-12-31T23:59:59Z", 0, 253402300799);
}

static void test_round_trip(void **state)
{
    (void)state;
    /* Every formatted instant parses back to itself, across the range and
     * including negative times; the step is odd so all seconds-of-day mix. */
    char buf[32];
    int checked = 0;
    for (int64_t t = -2208988800LL; t < 253402300799LL; t += 86399LL * 499 + 7) {
        mp_time_format(t, buf, sizeof buf);
        int64_t back = 0;
        if (mp_time_parse(buf, 0, &back) != MP_OK || back != t)
            print_error("round trip %lld -> %s -> %lld\n", (long long)t, buf, (long long)back);
        assert_int_equal(mp_time_parse(buf, 9999, &back), MP_OK);
        assert_int_equal(back, t);
        checked++;
    }
    assert_true(checked > 5000);
}

static void test_civil_days(void **state)
{
    (void)state;
    assert_int_equal(mp_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(mp_days_from_civil(2021, 1, 1), 18628);
    assert_int_equal(mp_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(mp_days_from_civil(2000, 3, 1) - mp_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(mp_days_from_civil(1900, 3, 1) - mp_days_from_civil(1900, 2, 28), 1);
    /* Every day from 1600 to 2400 maps back to itself, one day apart. */
    int64_t lo = mp_days_from_civil(1600, 1, 1), hi = mp_days_from_civil(2400, 12, 31);
    int py = 1599;
    unsigned pm = 12, pd = 31;
    for (int64_t z = lo; z <= hi; z++) {
        int y;
        unsigned m, d;
        mp_civil_from_days(z, &y, &m, &d);
        if (mp_days_from_civil(y, m, d) != z)
            fail_msg("day %lld -> %d-%u-%u", (long long)z, y, m, d);
        /* consecutive: next day of the month, or the 1st of the next month */
        bool next = (y == py && m == pm && d == pd + 1) ||
                    (d == 1 && ((y == py && m == pm + 1) || (y == py + 1 && m == 1 && pm == 12)));
        if (!next)
            fail_msg("day %lld: %d-%u-%u does not follow %d-%u-%u", (long long)z, y, m, d, py,
                     pm, pd);
        py = y, pm = m, pd = d;
    }
}

static void test_now(void **state)
{
    (void)state;
    int64_t now = mp_time_now();
    assert_true(now > 1609459200LL);     /* after 2021 */
    assert_true(now < 4102444800LL);     /* before 2100 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_negative_epoch),
        cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_parse_zones),
        cmocka_unit_test(test_parse_no_zone_uses_default),
        cmocka_unit_test(test_parse_fractions_and_minutes),
        cmocka_unit_test(test_parse_invalid_dates),
        cmocka_unit_test(test_parse_invalid_times),
        cmocka_unit_test(test_parse_garbage_and_trailing),
        cmocka_unit_test(test_parse_dangling_zone_colon),
        cmocka_unit_test(test_parse_leap_years),
        cmocka_unit_test(test_parse_negative_epoch),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_civil_days),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}
