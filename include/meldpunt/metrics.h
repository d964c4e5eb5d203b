/* metrics.h - counters and histograms for Prometheus' text format (0.0.4):
 * requests by route and status with their latency, the writer's batches and
 * commit times; and the page of /metrics, with the figures read at scrape
 * time (queue depth, database size, answer cache, statuses) handed in.
 *
 * Routes are indexes into a table fixed at mp_metrics_new (the router's
 * patterns, plus "(static)" and "(unmatched)"): a label never comes from a
 * request, so the number of series stays bounded.
 *
 * Ownership: mp_metrics_new returns a NEW object (mp_metrics_free); the
 * route names are static strings.
 * Thread-safety: mp_metrics_request and mp_metrics_batch are lock-free
 * (relaxed atomics) and may run on any thread; rendering reads the same.
 */
#ifndef MELDPUNT_METRICS_H
#define MELDPUNT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

struct mp_metrics;

/* n routes; label(i, &method, &pattern) names route i with static strings
 * (the router's mp_router_route). */
typedef void (*mp_metrics_label_fn)(size_t i, const char **method, const char **pattern);
enum mp_status mp_metrics_new(size_t n, mp_metrics_label_fn label, struct mp_metrics **out) MP_WUR;
void mp_metrics_free(struct mp_metrics *m);

/* Count one answered request of route (an index < n; -2 counts as
 * "(static)" and anything else as "(unmatched)", as http.h's MP_ROUTE_*)
 * with its HTTP status and its time from head to answer. NULL m: nothing. */
void mp_metrics_request(struct mp_metrics *m, int route, int status, double seconds);
/* One commit of the writer: its jobs and the seconds it took. */
void mp_metrics_batch(struct mp_metrics *m, size_t jobs, double seconds);

/* A count by status (reports or clusters). */
struct mp_metrics_status {
    char status[32];
    int64_t n;
};
#define MP_METRICS_STATUSES 16

/* What is read when the page is asked for. -1 for a figure not known. */
struct mp_metrics_gauges {
    int64_t queue_depth;
    int64_t db_bytes;
    uint64_t cache_hits, cache_misses, cache_stored;
    struct mp_metrics_status reports[MP_METRICS_STATUSES], clusters[MP_METRICS_STATUSES];
    size_t n_reports, n_clusters;
};

/* The whole page into out. */
void mp_metrics_render(struct mp_metrics *m, const struct mp_metrics_gauges *g, struct mp_buf *out);

#endif
