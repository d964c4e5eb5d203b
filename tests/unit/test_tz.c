/* test_tz.c - time zones from the system tz database: offsets, DST
 * transitions in both directions, local-to-UTC with skipped and repeated
 * wall-clock times, and rejection of bad zone names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/tz.h"

#define H 3600LL
#define CST (-6 * H)
#define CDT (-5 * H)
/* 2021-03-14T08:00:00Z: 02:00 CST, clocks jump to 03:00 CDT. */
#define SPRING_2021 1615708800LL
/* 2021-11-07T07:00:00Z: 02:00 CDT, clocks fall back to 01:00 CST. */
#define FALL_2021 1636268400LL
/* Midnight of those days, as if local time were UTC. */
#define MAR14_LOCAL 1615680000LL
#define NOV07_LOCAL 1636243200LL

static struct mp_tz *load(const char *name)
{
    struct mp_tz *tz = NULL;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_tz_load(name, &tz, &err);
    if (rc != MP_OK)
        print_error("mp_tz_load(%s): %s\n", name, err.text);
    assert_int_equal(rc, MP_OK);
    assert_non_null(tz);
    return tz;
}

static void expect_bad_name(const char *name)
{
    struct mp_tz *tz = (struct mp_tz *)(uintptr_t)1;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_tz_load(name, &tz, &err), MP_EINVAL);
    assert_null(tz);
    assert_string_equal(err.code, "invalid_timezone");
    assert_true(strlen(err.text) > 0);
}

static void test_chicago_offsets(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    assert_int_equal(mp_tz_offset(tz, 1610712000), CST); /* 2021-01-15T12:00Z */
    assert_int_equal(mp_tz_offset(tz, 1626350400), CDT); /* 2021-07-15T12:00Z */
    assert_int_equal(mp_tz_offset(tz, 1609459200), CST); /* 2021-01-01 */
    assert_int_equal(mp_tz_offset(tz, 0), CST);          /* 1970-01-01 */
    assert_int_equal(mp_tz_offset(tz, 946684800), CST);  /* 2000-01-01 */
    /* Before standard time (1883) the zone ran on local mean time. */
    assert_int_equal(mp_tz_offset(tz, -3000000000LL), -21036);
    mp_tz_free(tz);
}

static void test_chicago_transitions(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    assert_int_equal(mp_tz_offset(tz, SPRING_2021 - 1), CST);
    assert_int_equal(mp_tz_offset(tz, SPRING_2021), CDT);
    assert_int_equal(mp_tz_offset(tz, FALL_2021 - 1), CDT);
    assert_int_equal(mp_tz_offset(tz, FALL_2021), CST);
    /* 2007 rules changed: DST began 2007-03-11 (second Sunday of March). */
    assert_int_equal(mp_tz_offset(tz, 1173600000LL - 1), CST); /* 2007-03-11T08:00Z */
    assert_int_equal(mp_tz_offset(tz, 1173600000LL), CDT);
    mp_tz_free(tz);
}

static void test_local_to_utc_plain(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    /* 2021-01-15 12:00 local = 18:00Z; 2021-07-15 12:00 local = 17:00Z. */
    assert_int_equal(mp_tz_local_to_utc(tz, 1610712000), 1610712000 + 6 * H);
    assert_int_equal(mp_tz_local_to_utc(tz, 1626350400), 1626350400 + 5 * H);
    mp_tz_free(tz);
}

static void test_local_to_utc_spring_gap(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    /* Last second before the jump and the first after it. */
    assert_int_equal(mp_tz_local_to_utc(tz, MAR14_LOCAL + 2 * H - 1), SPRING_2021 - 1);
    assert_int_equal(mp_tz_local_to_utc(tz, MAR14_LOCAL + 3 * H), SPRING_2021);
    /* 02:00 and 02:30 do not exist: shifted forward by the gap, to 03:00
     * and 03:30 CDT. */
    assert_int_equal(mp_tz_local_to_utc(tz, MAR14_LOCAL + 2 * H), SPRING_2021);
    assert_int_equal(mp_tz_local_to_utc(tz, MAR14_LOCAL + 2 * H + 30 * 60),
                     SPRING_2021 + 30 * 60);
    assert_int_equal(mp_tz_local_to_utc(tz, MAR14_LOCAL + 3 * H - 1), SPRING_2021 + H - 1);
    mp_tz_free(tz);
}

static void test_local_to_utc_fall_overlap(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    /* 01:30 happens twice (06:30Z CDT and 07:30Z CST): the earlier wins. */
    assert_int_equal(mp_tz_local_to_utc(tz, NOV07_LOCAL + H + 30 * 60), FALL_2021 - 30 * 60);
    assert_int_equal(mp_tz_local_to_utc(tz, NOV07_LOCAL + H), FALL_2021 - H);
    assert_int_equal(mp_tz_local_to_utc(tz, NOV07_LOCAL + 2 * H - 1), FALL_2021 - 1);
    /* Before and after the repeated hour there is one answer. */
    assert_int_equal(mp_tz_local_to_utc(tz, NOV07_LOCAL + H - 1), FALL_2021 - H - 1);
    assert_int_equal(mp_tz_local_to_utc(tz, NOV07_LOCAL + 2 * H), FALL_2021 + H);
    mp_tz_free(tz);
}

static void test_round_trip_year(void **state)
{
    (void)state;
    struct mp_tz *tz = load("America/Chicago");
    /* Every 10 minutes of 2021: UTC -> local -> UTC is the identity, except
     * the second pass through the repeated hour, which maps to the first. */
    for (int64_t t = 1609459200LL; t < 1640995200LL; t += 600) {
        int64_t local = t + mp_tz_offset(tz, t);
        int64_t back = mp_tz_local_to_utc(tz, local);
        int64_t want = (t >= FALL_2021 && t < FALL_2021 + H) ? t - H : t;
        if (back != want)
            fail_msg("t=%lld local=%lld back=%lld want=%lld", (long long)t, (long long)local,
                     (long long)back, (long long)want);
    }
    mp_tz_free(tz);
}

static void test_utc(void **state)
{
    (void)state;
    const char *names[] = {"UTC", "Etc/UTC"};
    for (size_t i = 0; i < 2; i++) {
        struct mp_tz *tz = load(names[i]);
        const int64_t ts[] = {-3000000000LL, -1, 0, SPRING_2021, FALL_2021, 4102444800LL};
        for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
            assert_int_equal(mp_tz_offset(tz, ts[k]), 0);
            assert_int_equal(mp_tz_local_to_utc(tz, ts[k]), ts[k]);
        }
        mp_tz_free(tz);
    }
}

static void test_other_zones(void **state)
{
    (void)state;
    struct mp_tz *tz = load("Europe/Amsterdam");
    assert_int_equal(mp_tz_offset(tz, 1610712000), 1 * H);
    assert_int_equal(mp_tz_offset(tz, 1626350400), 2 * H);
    mp_tz_free(tz);
    tz = load("Asia/Kolkata");
    assert_int_equal(mp_tz_offset(tz, 1610712000), 19800);
    assert_int_equal(mp_tz_local_to_utc(tz, 1610712000), 1610712000 - 19800);
    mp_tz_free(tz);
    /* Southern hemisphere: summer time in January. */
    tz = load("Australia/Sydney");
    assert_int_equal(mp_tz_offset(tz, 1610712000), 11 * H);
    assert_int_equal(mp_tz_offset(tz, 1626350400), 10 * H);
    mp_tz_free(tz);
}

static void test_bad_names(void **state)
{
    (void)state;
    expect_bad_name("../etc/passwd");
    expect_bad_name("../../../../etc/passwd");
    expect_bad_name("America/../../etc/passwd");
    expect_bad_name("/etc/passwd");
    expect_bad_name("/usr/share/zoneinfo/UTC");
    expect_bad_name("");
    expect_bad_name(NULL);
    expect_bad_name("America/Chicago;rm");
    expect_bad_name("America/Chicago ");
    expect_bad_name("America\\Chicago");
    expect_bad_name("Mars/Olympus_Mons"); /* well-formed but unknown */
    expect_bad_name("America");           /* a directory, not a zone */
    expect_bad_name("zone.tab");          /* '.' is not allowed */
    char longname[80];
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    expect_bad_name(longname);
    mp_tz_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chicago_offsets),
        cmocka_unit_test(test_chicago_transitions),
        cmocka_unit_test(test_local_to_utc_plain),
        cmocka_unit_test(test_local_to_utc_spring_gap),
        cmocka_unit_test(test_local_to_utc_fall_overlap),
        cmocka_unit_test(test_round_trip_year),
        cmocka_unit_test(test_utc),
        cmocka_unit_test(test_other_zones),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
