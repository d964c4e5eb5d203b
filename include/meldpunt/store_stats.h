/* store_stats.h - the rows behind the service-level statistics (stats.h):
 * each report created in a time range with its category, district, current
 * status and its cluster's fix time. Same threading and ownership rules as
 * store.h (rows are borrowed for the callback only).
 */
#ifndef MELDPUNT_STORE_STATS_H
#define MELDPUNT_STORE_STATS_H

#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* Reports with from <= created_at < to, optionally of one category and one
 * district (NULL for any), in no particular order. A non-zero return from cb
 * stops the iteration. */
enum mp_status mp_store_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                      const char *category, const char *district,
                                      mp_stats_cb cb, void *ctx) MP_WUR;

#endif
