/* workdays.h - working-day arithmetic in a city's calendar and time zone,
 * for service levels ("fixed within 7 working days") and statistics.
 *
 * Definitions
 * -----------
 * A working day is a local calendar day whose ISO weekday is in the city's
 * `workdays` and that is not one of its `holidays` (mp_city_is_workday).
 *
 * Both instants are first turned into local wall-clock time in the city's
 * zone (t + mp_tz_offset(tz, t)). The working time between them is then
 * the length of the local interval [from, to) that falls on working days,
 * counted in days of 24 wall-clock hours:
 *
 *     workdays(from, to) = sum over local days D that are working days of
 *                          |[from, to) intersect [D 00:00, D+1 00:00)| / 24 h
 *
 * So weekends and holidays count zero; a report made on Friday 15:00 and
 * fixed on Monday 09:00 took 9/24 + 9/24 = 0.75 working days; one made on
 * Saturday and fixed on Sunday took 0. Days are not shortened to office
 * hours. A wall-clock day counts as one whole day also when a daylight
 * saving change makes it 23 or 25 hours long. When to is not after from (or
 * falls before it in wall-clock time, inside a repeated autumn hour), the
 * result is 0. A service level of N working days is met when the working
 * time is at most N.
 *
 * Pure functions over read-only data (the city and the zone): thread-safe.
 */
#ifndef MELDPUNT_WORKDAYS_H
#define MELDPUNT_WORKDAYS_H

#include <stdint.h>

#include "meldpunt/city.h"
#include "meldpunt/tz.h"

/* Number of working days among the local days [d0, d1) (days since
 * 1970-01-01); 0 when d1 <= d0. O(log holidays + holidays in range). */
int64_t mp_workdays_count(const struct mp_city *city, int64_t d0, int64_t d1);

/* Working time, in fractional working days, between UTC instants from and to
 * (see the definition above). */
double mp_workdays_between(const struct mp_city *city, const struct mp_tz *tz, int64_t from,
                           int64_t to);

/* The local calendar day (days since 1970-01-01) of UTC instant t. */
int64_t mp_workdays_local_day(const struct mp_tz *tz, int64_t t);

/* ISO 8601 week of a local day: *year is the ISO week-numbering year, *week
 * 1..53 (weeks start on Monday; week 1 holds the year's first Thursday). */
void mp_workdays_iso_week(int64_t day, int *year, unsigned *week);

#endif
