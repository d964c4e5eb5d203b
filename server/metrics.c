/* metrics.c - Prometheus counters and histograms (metrics.h). */
#include "meldpunt/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* HTTP codes the server answers with; anything else counts as its class'
 * last slot ("other"). */
static const int codes[] = {200, 201, 204, 206, 301, 302, 303, 304, 400, 401, 403, 404, 405, 406,
                            409, 411, 412, 413, 414, 415, 422, 429, 431, 500, 501, 502, 503, 504};
#define NCODES (sizeof codes / sizeof *codes)

/* Upper bounds in seconds: a cached map answer takes well under a
 * millisecond, a whole export many seconds. */
static const double latency_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NLAT (sizeof latency_le / sizeof *latency_le)
static const double batch_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
#define NBATCH (sizeof batch_le / sizeof *batch_le)
static const double commit_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NCOMMIT (sizeof commit_le / sizeof *commit_le)

/* A histogram: counts per bucket (not cumulative; summed when rendered),
 * one more for +Inf, and the sum in microseconds (or units). */
struct hist {
    _Atomic uint64_t bucket[NLAT + 1];
    _Atomic uint64_t sum_micro;
};
_Static_assert(NBATCH <= NLAT && NCOMMIT <= NLAT, "every histogram fits struct hist");

struct mp_metrics {
    size_t n; /* routes of the table; two more follow */
    mp_metrics_label_fn label;
    _Atomic uint64_t *requests; /* [(n + 2) * (NCODES + 1)] */
    struct hist *latency;       /* [n + 2] */
    struct hist batch, commit;
};

enum mp_status mp_metrics_new(size_t n, mp_metrics_label_fn label, struct mp_metrics **out)
{
    struct mp_metrics *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return MP_ENOMEM;
    m->n = n;
    m->label = label;
    m->requests = calloc((n + 2) * (NCODES + 1), sizeof *m->requests);
    m->latency = calloc(n + 2, sizeof *m->latency);
    if (!m->requests || !m->latency) {
        mp_metrics_free(m);
        return MP_ENOMEM;
    }
    *out = m;
    return MP_OK;
}

void mp_metrics_free(struct mp_metrics *m)
{
    if (!m)
        return;
    free(m->requests);
    free(m->latency);
    free(m);
}

static void observe(struct hist *h, const double *le, size_t nle, double v, double unit)
{
    size_t i = 0;
    while (i < nle && v > le[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    double u = v * unit;
    atomic_fetch_add_explicit(&h->sum_micro, u > 0 ? (uint64_t)(u + 0.5) : 0, memory_order_relaxed);
}

void mp_metrics_request(struct mp_metrics *m, int route_index, int status, double seconds)
{
    if (!m)
        return;
    size_t route = route_index >= 0 && (size_t)route_index < m->n ? (size_t)route_index
                   : route_index == -2                            ? m->n
                                                                  : m->n + 1;
    size_t c = NCODES; /* "other" */
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == status) {
            c = i;
            break;
        }
    atomic_fetch_add_explicit(&m->requests[route * (NCODES + 1) + c], 1, memory_order_relaxed);
    observe(&m->latency[route], latency_le, NLAT, seconds, 1e6);
}

void mp_metrics_batch(struct mp_metrics *m, size_t jobs, double seconds)
{
    if (!m)
        return;
    observe(&m->batch, batch_le, NBATCH, (double)jobs, 1);
    observe(&m->commit, commit_le, NCOMMIT, seconds, 1e6);
}

static void route_labels(const struct mp_metrics *m, size_t r, struct mp_buf *out)
{
    const char *method = "", *pattern = r == m->n ? "(static)" : "(unmatched)";
    if (r < m->n)
        m->label(r, &method, &pattern);
    /* Patterns and methods are the router's literals: no quote or backslash. */
    mp_buf_printf(out, "method=\"%s\",route=\"%s\"", method, pattern);
}

static void hist_lines(struct mp_buf *out, const char *name, const char *labels,
                       const struct hist *h, const double *le, size_t nle, double unit)
{
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (size_t i = 0; i <= nle; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < nle)
            mp_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, le[i],
                          (unsigned long long)cum);
        else
            mp_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                          (unsigned long long)cum);
    }
    double sum = (double)atomic_load_explicit(&h->sum_micro, memory_order_relaxed) / unit;
    const char *open = labels[0] ? "{" : "", *close = labels[0] ? "}" : "";
    mp_buf_printf(out, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name, open, labels, close, sum,
                  name, open, labels, close, (unsigned long long)cum);
}

static void status_family(struct mp_buf *out, const char *name, const char *help,
                          const struct mp_metrics_status *s, size_t n)
{
    mp_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
    for (size_t i = 0; i < n; i++) {
        mp_buf_printf(out, "%s{status=", name);
        mp_json_str(out, s[i].status); /* JSON escaping is what the format asks: \\ \" \n */
        mp_buf_printf(out, "} %lld\n", (long long)s[i].n);
    }
}

void mp_metrics_render(struct mp_metrics *m, const struct mp_metrics_gauges *g, struct mp_buf *out)
{
    mp_buf_adds(out, "# HELP meldpunt_http_requests_total HTTP requests answered, by route and "
                     "status.\n# TYPE meldpunt_http_requests_total counter\n");
    for (size_t r = 0; r < m->n + 2; r++)
        for (size_t c = 0; c <= NCODES; c++) {
            uint64_t v =
                atomic_load_explicit(&m->requests[r * (NCODES + 1) + c], memory_order_relaxed);
            if (!v)
                continue;
            mp_buf_adds(out, "meldpunt_http_requests_total{");
            route_labels(m, r, out);
            if (c < NCODES)
                mp_buf_printf(out, ",status=\"%d\"} %llu\n", codes[c], (unsigned long long)v);
            else
                mp_buf_printf(out, ",status=\"other\"} %llu\n", (unsigned long long)v);
        }
    mp_buf_adds(out, "# HELP meldpunt_http_request_duration_seconds Time from a request's head "
                     "to its answer, by route.\n# TYPE meldpunt_http_request_duration_seconds "
                     "histogram\n");
    for (size_t r = 0; r < m->n + 2; r++) {
        uint64_t any = 0;
        for (size_t i = 0; i <= NLAT; i++)
            any += atomic_load_explicit(&m->latency[r].bucket[i], memory_order_relaxed);
        if (!any)
            continue;
        struct mp_buf labels;
        mp_buf_init(&labels, 512);
        route_labels(m, r, &labels);
        if (!labels.failed)
            hist_lines(out, "meldpunt_http_request_duration_seconds", labels.data, &m->latency[r],
                       latency_le, NLAT, 1e6);
        mp_buf_free(&labels);
    }
    mp_buf_adds(out, "# HELP meldpunt_writer_batch_size Reports committed together by the "
                     "writer.\n# TYPE meldpunt_writer_batch_size histogram\n");
    hist_lines(out, "meldpunt_writer_batch_size", "", &m->batch, batch_le, NBATCH, 1);
    mp_buf_adds(out, "# HELP meldpunt_writer_commit_seconds Time of the writer's commits "
                     "(their fsync).\n# TYPE meldpunt_writer_commit_seconds histogram\n");
    hist_lines(out, "meldpunt_writer_commit_seconds", "", &m->commit, commit_le, NCOMMIT, 1e6);
    mp_buf_printf(out,
                  "# HELP meldpunt_writer_queue_depth Reports waiting for the writer.\n"
                  "# TYPE meldpunt_writer_queue_depth gauge\nmeldpunt_writer_queue_depth %lld\n",
                  (long long)g->queue_depth);
    if (g->db_bytes >= 0)
        mp_buf_printf(out,
                      "# HELP meldpunt_database_size_bytes Size of the database file (without "
                      "its write-ahead log).\n# TYPE meldpunt_database_size_bytes gauge\n"
                      "meldpunt_database_size_bytes %lld\n",
                      (long long)g->db_bytes);
    mp_buf_printf(out,
                  "# HELP meldpunt_answer_cache_lookups_total Look-ups in the answer cache of "
                  "map answers, by result.\n# TYPE meldpunt_answer_cache_lookups_total counter\n"
                  "meldpunt_answer_cache_lookups_total{result=\"hit\"} %llu\n"
                  "meldpunt_answer_cache_lookups_total{result=\"miss\"} %llu\n"
                  "# HELP meldpunt_answer_cache_stored_total Answers written into the answer "
                  "cache.\n# TYPE meldpunt_answer_cache_stored_total counter\n"
                  "meldpunt_answer_cache_stored_total %llu\n",
                  (unsigned long long)g->cache_hits, (unsigned long long)g->cache_misses,
                  (unsigned long long)g->cache_stored);
    status_family(out, "meldpunt_reports", "Reports by status.", g->reports, g->n_reports);
    status_family(out, "meldpunt_clusters", "Clusters by status.", g->clusters, g->n_clusters);
}
