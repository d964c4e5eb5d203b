/* health.h - what /healthz tells about the data: to the public only that the
 * server and its database answer; to the machine itself and to staff how much
 * there is, which schema it is in, and how much memory the storage engine
 * holds.
 *
 * Thread-safety: only the context given.
 */
#ifndef MELDPUNT_HEALTH_H
#define MELDPUNT_HEALTH_H

#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/metrics.h"
#include "meldpunt/status.h"

struct mp_health {
    int64_t reports, clusters;
    int schema;                 /* the database's schema version */
    int64_t store_memory_bytes; /* the whole process's storage engine (caches, statements) */
};

/* Whether the database answers, without counting anything: what /healthz
 * tells the public. MP_EUNAVAIL "unavailable" when it does not. */
enum mp_status mp_health_alive(struct mp_ctx *ctx, struct mp_error *err) MP_WUR;

/* Fill out; MP_EUNAVAIL "unavailable" when the database does not answer.
 * Counts every report and cluster: for loopback and staff only. */
enum mp_status mp_health_read(struct mp_ctx *ctx, struct mp_health *out,
                              struct mp_error *err) MP_WUR;

/* The figures of /metrics that live in the database: its size, reports and
 * clusters by status (at most MP_METRICS_STATUSES each; the vocabulary has
 * fewer). Fills those fields of g only. MP_EUNAVAIL "unavailable" when the
 * database does not answer. */
enum mp_status mp_health_figures(struct mp_ctx *ctx, struct mp_metrics_gauges *g,
                                 struct mp_error *err) MP_WUR;

#endif
