/* timeutil.h - UTC timestamps as ISO 8601 text, and working-day arithmetic.
 * Pure functions, thread-safe. Times are int64 Unix seconds (UTC).
 */
#ifndef MELDPUNT_TIMEUTIL_H
#define MELDPUNT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"

/* Current time, Unix seconds. */
int64_t mp_time_now(void);

/* Write "YYYY-MM-DDTHH:MM:SSZ" into out (cap >= 21). */
void mp_time_format(int64_t t, char *out, size_t cap);

/* Parse ISO 8601 / RFC 3339: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with
 * "Z", "+HH:MM", "-HHMM" or no zone. A time without a zone is taken in the
 * offset tz_offset_default seconds (pass 0 for UTC). MP_EINVAL on anything
 * else, including impossible dates (Feb 30). */
enum mp_status mp_time_parse(const char *s, int64_t tz_offset_default, int64_t *out) MP_WUR;

/* Days since 1970-01-01 for a civil date, and back. */
int64_t mp_days_from_civil(int y, unsigned m, unsigned d);
void mp_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

#endif
