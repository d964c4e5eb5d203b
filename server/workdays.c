/* workdays.c - working-day arithmetic (see workdays.h for the definition). */
#include "meldpunt/workdays.h"

#include "meldpunt/timeutil.h"

/* ISO weekday (1 = Monday .. 7) of a day since 1970-01-01, a Thursday. */
static unsigned iso_weekday(int64_t day) { return (unsigned)(((day % 7) + 7 + 3) % 7 + 1); }

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t mp_workdays_count(const struct mp_city *city, int64_t d0, int64_t d1)
{
    if (d1 <= d0)
        return 0;
    /* Weekdays first, by whole weeks plus a remainder, so that a span of
     * years costs no more than a span of days. */
    unsigned per_week = 0;
    for (unsigned wd = 1; wd <= 7; wd++)
        per_week += (city->workdays >> wd) & 1u;
    int64_t n = d1 - d0, count = n / 7 * (int64_t)per_week;
    for (int64_t d = d0 + n / 7 * 7; d < d1; d++)
        count += (city->workdays >> iso_weekday(d)) & 1u;
    /* Then the holidays in range that fell on a working weekday. */
    size_t lo = 0, hi = city->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (city->holidays[mid] < d0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < city->nholidays && city->holidays[i] < d1; i++) {
        if (i > lo && city->holidays[i] == city->holidays[i - 1])
            continue; /* a date listed twice is still one day off */
        if ((city->workdays >> iso_weekday(city->holidays[i])) & 1u)
            count--;
    }
    return count;
}

int64_t mp_workdays_local_day(const struct mp_tz *tz, int64_t t)
{
    return floor_div(t + mp_tz_offset(tz, t), 86400);
}

double mp_workdays_between(const struct mp_city *city, const struct mp_tz *tz, int64_t from,
                           int64_t to)
{
    if (to <= from)
        return 0.0;
    int64_t lf = from + mp_tz_offset(tz, from), lt = to + mp_tz_offset(tz, to);
    if (lt <= lf)
        return 0.0;
    int64_t d0 = floor_div(lf, 86400), d1 = floor_div(lt, 86400);
    if (d0 == d1)
        return mp_city_is_workday(city, d0) ? (double)(lt - lf) / 86400.0 : 0.0;
    /* A partial first day, whole days between, a partial last day. */
    int64_t secs = 0;
    if (mp_city_is_workday(city, d0))
        secs += (d0 + 1) * 86400 - lf;
    if (mp_city_is_workday(city, d1))
        secs += lt - d1 * 86400;
    return (double)mp_workdays_count(city, d0 + 1, d1) + (double)secs / 86400.0;
}

void mp_workdays_iso_week(int64_t day, int *year, unsigned *week)
{
    /* The Thursday of the day's week decides the ISO year. */
    int64_t thursday = day - (int64_t)iso_weekday(day) + 4;
    int y;
    unsigned m, d;
    mp_civil_from_days(thursday, &y, &m, &d);
    int64_t jan1 = mp_days_from_civil(y, 1, 1);
    *year = y;
    *week = (unsigned)((thursday - jan1) / 7 + 1);
}
