/* test_metrics.c - counters, histograms and the Prometheus page
 * (metrics.h). The page's syntax is checked by promtool in
 * tests/interop/promtool.test.mjs; here, what it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/metrics.h"

static void label(size_t i, const char **method, const char **pattern)
{
    static const char *const m[] = {"GET", "POST"};
    static const char *const p[] = {"/api/v1/reports/{id}", "/api/v1/reports"};
    *method = m[i];
    *pattern = p[i];
}

static char *render(struct mp_metrics *m, const struct mp_metrics_gauges *g, struct mp_buf *b)
{
    mp_buf_init(b, 0);
    mp_metrics_render(m, g, b);
    assert_false(b->failed);
    return b->data;
}

static void test_requests(void **state)
{
    (void)state;
    struct mp_metrics *m = NULL;
    assert_int_equal(mp_metrics_new(2, label, &m), MP_OK);
    mp_metrics_request(m, 0, 200, 0.0004);
    mp_metrics_request(m, 0, 200, 0.003);
    mp_metrics_request(m, 0, 404, 0.02);
    mp_metrics_request(m, 1, 201, 7.0);
    mp_metrics_request(m, -2, 304, 0.0001);
    mp_metrics_request(m, -1, 418, 0.0001); /* unmatched, a code not in the list */
    mp_metrics_request(m, 99, 200, 0.0001); /* out of the table: unmatched */
    mp_metrics_request(NULL, 0, 200, 1);    /* no metrics: nothing */
    struct mp_metrics_gauges g;
    memset(&g, 0, sizeof g);
    struct mp_buf b;
    const char *page = render(m, &g, &b);
    const char *want[] = {
        "meldpunt_http_requests_total{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",status=\"200\"} 2\n",
        "meldpunt_http_requests_total{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",status=\"404\"} 1\n",
        "meldpunt_http_requests_total{method=\"POST\",route=\"/api/v1/reports\",status=\"201\"} "
        "1\n",
        "meldpunt_http_requests_total{method=\"\",route=\"(static)\",status=\"304\"} 1\n",
        "meldpunt_http_requests_total{method=\"\",route=\"(unmatched)\",status=\"other\"} 1\n",
        "meldpunt_http_requests_total{method=\"\",route=\"(unmatched)\",status=\"200\"} 1\n",
        /* Buckets are cumulative: 0.0004 <= 0.0005; 0.003 <= 0.005; 0.02 <= 0.025. */
        "meldpunt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",le=\"0.0005\"} 1\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",le=\"0.0025\"} 1\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",le=\"0.005\"} 2\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",le=\"0.025\"} 3\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\",le=\"+Inf\"} 3\n",
        "meldpunt_http_request_duration_seconds_sum{method=\"GET\",route=\"/api/v1/reports/{id}\"} "
        "0.023400\n",
        "meldpunt_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/reports/"
        "{id}\"} 3\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/"
        "reports\",le=\"5\"} 0\n",
        "meldpunt_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/"
        "reports\",le=\"10\"} 1\n",
        "# TYPE meldpunt_http_requests_total counter\n",
        "# TYPE meldpunt_http_request_duration_seconds histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(page, want[i]))
            fail_msg("missing: %s\nin:\n%s", want[i], page);
    /* A route nobody asked for has no series. */
    assert_null(strstr(page, "route=\"/api/v1/reports\",status=\"200\""));
    mp_buf_free(&b);
    mp_metrics_free(m);
    mp_metrics_free(NULL);
}

static void test_writer_and_gauges(void **state)
{
    (void)state;
    struct mp_metrics *m = NULL;
    assert_int_equal(mp_metrics_new(2, label, &m), MP_OK);
    mp_metrics_batch(m, 1, 0.002);
    mp_metrics_batch(m, 3, 0.004);
    mp_metrics_batch(m, 600, 0.5);
    struct mp_metrics_gauges g;
    memset(&g, 0, sizeof g);
    g.queue_depth = 7;
    g.db_bytes = 4096;
    g.cache_hits = 5;
    g.cache_misses = 2;
    g.cache_stored = 1;
    snprintf(g.reports[0].status, sizeof g.reports[0].status, "new");
    g.reports[0].n = 12;
    snprintf(g.reports[1].status, sizeof g.reports[1].status, "fixed");
    g.reports[1].n = 3;
    g.n_reports = 2;
    snprintf(g.clusters[0].status, sizeof g.clusters[0].status, "new");
    g.clusters[0].n = 9;
    g.n_clusters = 1;
    struct mp_buf b;
    const char *page = render(m, &g, &b);
    const char *want[] = {
        "meldpunt_writer_batch_size_bucket{le=\"1\"} 1\n",
        "meldpunt_writer_batch_size_bucket{le=\"2\"} 1\n",
        "meldpunt_writer_batch_size_bucket{le=\"4\"} 2\n",
        "meldpunt_writer_batch_size_bucket{le=\"512\"} 2\n",
        "meldpunt_writer_batch_size_bucket{le=\"+Inf\"} 3\n",
        "meldpunt_writer_batch_size_sum 604.000000\n",
        "meldpunt_writer_batch_size_count 3\n",
        "meldpunt_writer_commit_seconds_bucket{le=\"0.0025\"} 1\n",
        "meldpunt_writer_commit_seconds_bucket{le=\"0.005\"} 2\n",
        "meldpunt_writer_commit_seconds_sum 0.506000\n",
        "meldpunt_writer_queue_depth 7\n",
        "meldpunt_database_size_bytes 4096\n",
        "meldpunt_answer_cache_lookups_total{result=\"hit\"} 5\n",
        "meldpunt_answer_cache_lookups_total{result=\"miss\"} 2\n",
        "meldpunt_answer_cache_stored_total 1\n",
        "meldpunt_reports{status=\"new\"} 12\n",
        "meldpunt_reports{status=\"fixed\"} 3\n",
        "meldpunt_clusters{status=\"new\"} 9\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(page, want[i]))
            fail_msg("missing: %s\nin:\n%s", want[i], page);
    mp_buf_free(&b);
    /* A database size not known is left out, not written as -1. */
    g.db_bytes = -1;
    page = render(m, &g, &b);
    assert_null(strstr(page, "meldpunt_database_size_bytes"));
    mp_buf_free(&b);
    mp_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_writer_and_gauges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
