/* tz.h - a time zone from the system's tz database (TZif files under
 * /usr/share/zoneinfo), for turning local times (imported data, working days)
 * into UTC and back without touching the process-wide TZ state.
 *
 * Read-only after load: thread-safe.
 */
#ifndef MELDPUNT_TZ_H
#define MELDPUNT_TZ_H

#include <stdint.h>

#include "meldpunt/status.h"

struct mp_tz;

/* Load zone name (e.g. "America/Chicago", "UTC"). New object in *out. The
 * name must match [A-Za-z0-9_+-/] and never contain "..". */
enum mp_status mp_tz_load(const char *name, struct mp_tz **out, struct mp_error *err) MP_WUR;
void mp_tz_free(struct mp_tz *tz);

/* Offset from UTC (seconds, east positive) in force at UTC instant t. */
int64_t mp_tz_offset(const struct mp_tz *tz, int64_t t);
/* UTC instant for a local wall-clock time (seconds since the epoch as if the
 * local time were UTC). Ambiguous times take the earlier instant; skipped
 * times are shifted forward. */
int64_t mp_tz_local_to_utc(const struct mp_tz *tz, int64_t local);

#endif
