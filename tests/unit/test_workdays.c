/* test_workdays.c - working-day arithmetic (workdays.h) and the percentile
 * used by the service-level statistics (stats.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "fixture.h"
#include "meldpunt/city.h"
#include "meldpunt/stats.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"
#include "meldpunt/workdays.h"

#define MON_FRI ((1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5))

struct fixture {
    struct mp_city city;
    int64_t holidays[8];
    struct mp_tz *chicago, *utc;
};

static int64_t day(int y, unsigned m, unsigned d) { return mp_days_from_civil(y, m, d); }

/* Local wall-clock time in Chicago -> UTC instant. */
static int64_t chi(const struct fixture *f, int y, unsigned m, unsigned d, int hh, int mm)
{
    return mp_tz_local_to_utc(f->chicago, day(y, m, d) * 86400 + hh * 3600 + mm * 60);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct mp_error err;
    assert_non_null(f);
    f->city.workdays = MON_FRI;
    /* 2021-01-01 (Fri), 2021-01-18 (Mon, MLK), 2021-07-03 (a Saturday, listed
     * to check it costs nothing), 2021-07-05 (Mon), listed twice. */
    f->holidays[0] = day(2021, 1, 1);
    f->holidays[1] = day(2021, 1, 18);
    f->holidays[2] = day(2021, 7, 3);
    f->holidays[3] = day(2021, 7, 5);
    f->holidays[4] = day(2021, 7, 5);
    f->city.holidays = f->holidays;
    f->city.nholidays = 5;
    assert_int_equal(mp_tz_load("America/Chicago", &f->chicago, &err), MP_OK);
    assert_int_equal(mp_tz_load("UTC", &f->utc, &err), MP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mp_tz_free(f->chicago);
    mp_tz_free(f->utc);
    free(f);
    return 0;
}

static void count_weeks_and_holidays(void **state)
{
    struct fixture *f = *state;
    const struct mp_city *c = &f->city;
    /* Mon 2021-01-04 .. Sun 2021-01-10: five working days. */
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 4), day(2021, 1, 11)), 5);
    /* Empty and reversed ranges. */
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 4), day(2021, 1, 4)), 0);
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 11), day(2021, 1, 4)), 0);
    /* A week with MLK day (Monday 18th) has four. */
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 18), day(2021, 1, 25)), 4);
    /* The week of 2021-07-03 (Saturday, holiday ignored) and 07-05 (Monday,
     * listed twice but one day). */
    assert_int_equal(mp_workdays_count(c, day(2021, 6, 28), day(2021, 7, 5)), 5);
    assert_int_equal(mp_workdays_count(c, day(2021, 7, 5), day(2021, 7, 12)), 4);
    /* The holiday sits exactly on the range's ends: d0 counts, d1 does not. */
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 18), day(2021, 1, 19)), 0);
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 15), day(2021, 1, 18)), 1);
    /* Whole of 2021: 261 weekdays minus Jan 1, Jan 18, Jul 5. */
    assert_int_equal(mp_workdays_count(c, day(2021, 1, 1), day(2022, 1, 1)), 258);
    /* Before 1970 (negative day numbers): Mon 1969-12-29 .. Sun 1970-01-04. */
    assert_int_equal(mp_workdays_count(c, day(1969, 12, 29), day(1970, 1, 5)), 5);
}

static void count_matches_day_by_day(void **state)
{
    struct fixture *f = *state;
    struct mp_city c = f->city;
    /* Several calendars, including one with a weekend in mid-week. */
    const unsigned masks[] = {MON_FRI, (1u << 7) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4),
                              1u << 3, 0};
    uint64_t seed = 42;
    for (size_t m = 0; m < sizeof masks / sizeof *masks; m++) {
        c.workdays = masks[m];
        for (int i = 0; i < 500; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            int64_t d0 = day(2020, 12, 1) + (int64_t)(seed >> 33) % 400;
            int64_t d1 = d0 + (int64_t)((seed >> 13) % 250) - 5;
            int64_t naive = 0;
            for (int64_t d = d0; d < d1; d++)
                naive += mp_city_is_workday(&c, d);
            assert_int_equal(mp_workdays_count(&c, d0, d1), naive);
        }
    }
}

/* A wall-clock time in Chicago. */
struct wall {
    int y;
    unsigned m, d;
    int hh, mm;
};

/* Spans in Chicago local time and the working days between their ends. */
static const struct {
    const char *what;
    struct wall from, to;
    double want, eps;
} between_cases[] = {
    {"Friday 15:00 to Monday 09:00: 9 h + 9 h of working days", {2021, 1, 8, 15, 0},
     {2021, 1, 11, 9, 0}, 0.75, 1e-9},
    {"Saturday to Sunday: nothing", {2021, 1, 9, 8, 0}, {2021, 1, 10, 20, 0}, 0.0, 1e-12},
    {"Same working day, 09:00 to 17:00: a third of a day", {2021, 1, 5, 9, 0},
     {2021, 1, 5, 17, 0}, 8.0 / 24.0, 1e-9},
    {"Monday 00:00 to the next Monday 00:00: exactly five", {2021, 1, 4, 0, 0},
     {2021, 1, 11, 0, 0}, 5.0, 1e-9},
    {"Over MLK day (Mon 18th): Friday 12:00 to Tuesday 12:00 is 0.5 + 0.5", {2021, 1, 15, 12, 0},
     {2021, 1, 19, 12, 0}, 1.0, 1e-9},
    {"New Year's Day (a Friday holiday) reported and fixed: zero", {2021, 1, 1, 1, 0},
     {2021, 1, 1, 23, 0}, 0.0, 1e-12},
};

static int64_t chi_wall(const struct fixture *f, const struct wall *w)
{
    return chi(f, w->y, w->m, w->d, w->hh, w->mm);
}

static void between_examples(void **state)
{
    struct fixture *f = *state;
    const struct mp_city *c = &f->city;
    for (size_t i = 0; i < sizeof between_cases / sizeof *between_cases; i++) {
        double got = mp_workdays_between(c, f->chicago, chi_wall(f, &between_cases[i].from),
                                         chi_wall(f, &between_cases[i].to));
        if (!(fabs(got - between_cases[i].want) <= between_cases[i].eps))
            print_error("case: %s\n", between_cases[i].what);
        assert_near(got, between_cases[i].want, between_cases[i].eps);
    }
    /* Not after: zero. */
    int64_t t = chi(f, 2021, 1, 5, 9, 0);
    assert_near(mp_workdays_between(c, f->chicago, t, t), 0.0, 1e-12);
    assert_near(mp_workdays_between(c, f->chicago, t + 60, t), 0.0, 1e-12);
}

static void between_uses_local_time(void **state)
{
    struct fixture *f = *state;
    const struct mp_city *c = &f->city;
    /* 2021-01-09 03:00Z is Friday 21:00 in Chicago (UTC-6): three hours of
     * a Friday until midnight local, then the weekend. In UTC the same
     * instants are both on Saturday. */
    int64_t from = day(2021, 1, 9) * 86400 + 3 * 3600;
    int64_t to = day(2021, 1, 9) * 86400 + 23 * 3600;
    assert_near(mp_workdays_between(c, f->chicago, from, to), 3.0 / 24.0, 1e-9);
    assert_near(mp_workdays_between(c, f->utc, from, to), 0.0, 1e-12);
    /* Local day of an instant. */
    assert_int_equal(mp_workdays_local_day(f->chicago, day(2021, 1, 1) * 86400 + 5 * 3600 + 59),
                     day(2020, 12, 31));
    assert_int_equal(mp_workdays_local_day(f->chicago, day(2021, 1, 1) * 86400 + 6 * 3600),
                     day(2021, 1, 1));
    assert_int_equal(mp_workdays_local_day(f->utc, -1), -1);
}

static void between_across_dst(void **state)
{
    struct fixture *f = *state;
    const struct mp_city *c = &f->city;
    /* Spring forward on Sunday 2021-03-14: Friday 12:00 CST to Monday 12:00
     * CDT is half a Friday and half a Monday, although 71 real hours passed. */
    int64_t from = chi(f, 2021, 3, 12, 12, 0), to = chi(f, 2021, 3, 15, 12, 0);
    assert_int_equal(to - from, 71 * 3600);
    assert_near(mp_workdays_between(c, f->chicago, from, to), 1.0, 1e-9);
    /* A Monday to Tuesday across a calendar with a DST change on a working
     * day (Sunday made a working day): Sunday 00:00 to Monday 00:00 local is
     * one wall-clock day although it lasted 23 hours. */
    struct mp_city seven = *c;
    seven.workdays = MON_FRI | (1u << 7);
    assert_near(mp_workdays_between(&seven, f->chicago, chi(f, 2021, 3, 14, 0, 0),
                                           chi(f, 2021, 3, 15, 0, 0)),
                       1.0, 1e-9);
}

/* Brute force on whole local hours: count the hours [h, h+1) that start on a
 * working day. */
static void between_matches_hour_by_hour(void **state)
{
    struct fixture *f = *state;
    const struct mp_city *c = &f->city;
    uint64_t seed = 7;
    for (int i = 0; i < 300; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        int64_t local0 = (day(2021, 1, 1) + (int64_t)(seed >> 35) % 200) * 86400 +
                         (int64_t)((seed >> 20) % 24) * 3600;
        int64_t local1 = local0 + (int64_t)((seed >> 5) % (24 * 25)) * 3600;
        /* Stay clear of DST changes: there wall hours and real hours differ. */
        int64_t from = local0 - mp_tz_offset(f->chicago, local0);
        int64_t to = local1 - mp_tz_offset(f->chicago, local1);
        if (from + mp_tz_offset(f->chicago, from) != local0 ||
            to + mp_tz_offset(f->chicago, to) != local1 ||
            mp_tz_offset(f->chicago, from) != mp_tz_offset(f->chicago, to))
            continue;
        int64_t hours = 0;
        for (int64_t h = local0; h < local1; h += 3600)
            hours += mp_city_is_workday(c, h / 86400);
        assert_near(mp_workdays_between(c, f->chicago, from, to), (double)hours / 24.0,
                           1e-9);
    }
}

static void iso_weeks(void **state)
{
    (void)state;
    int y;
    unsigned w;
    mp_workdays_iso_week(day(2021, 1, 1), &y, &w); /* a Friday: last week of 2020 */
    assert_int_equal(y, 2020);
    assert_int_equal(w, 53);
    mp_workdays_iso_week(day(2021, 1, 4), &y, &w);
    assert_int_equal(y, 2021);
    assert_int_equal(w, 1);
    mp_workdays_iso_week(day(2024, 12, 30), &y, &w); /* Monday of 2025's first week */
    assert_int_equal(y, 2025);
    assert_int_equal(w, 1);
    mp_workdays_iso_week(day(2026, 12, 31), &y, &w);
    assert_int_equal(y, 2026);
    assert_int_equal(w, 53);
    mp_workdays_iso_week(day(2021, 12, 31), &y, &w);
    assert_int_equal(y, 2021);
    assert_int_equal(w, 52);
}

static void percentiles(void **state)
{
    (void)state;
    const double one[] = {3.5};
    assert_near(mp_stats_percentile(one, 1, 0.5), 3.5, 1e-12);
    assert_near(mp_stats_percentile(one, 1, 0.9), 3.5, 1e-12);
    /* numpy.percentile([1, 2, 3, 4], [50, 90]) == [2.5, 3.7] */
    const double four[] = {1, 2, 3, 4};
    assert_near(mp_stats_percentile(four, 4, 0.5), 2.5, 1e-12);
    assert_near(mp_stats_percentile(four, 4, 0.9), 3.7, 1e-12);
    assert_near(mp_stats_percentile(four, 4, 1.0), 4.0, 1e-12);
    assert_near(mp_stats_percentile(four, 4, 0.0), 1.0, 1e-12);
    /* numpy.percentile([0, 0, 1, 10, 10], 90) == 10, median 1 */
    const double five[] = {0, 0, 1, 10, 10};
    assert_near(mp_stats_percentile(five, 5, 0.5), 1.0, 1e-12);
    assert_near(mp_stats_percentile(five, 5, 0.9), 10.0, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(count_weeks_and_holidays),
        cmocka_unit_test(count_matches_day_by_day),
        cmocka_unit_test(between_examples),
        cmocka_unit_test(between_uses_local_time),
        cmocka_unit_test(between_across_dst),
        cmocka_unit_test(between_matches_hour_by_hour),
        cmocka_unit_test(iso_weeks),
        cmocka_unit_test(percentiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
