/* Unit tests of the group-commit writer: every job is answered once, after
 * its batch committed; a bad report fails alone, also one that fails after
 * it wrote (nothing of it is kept); stop drains the queue. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/city.h"
#include "meldpunt/geo.h"
#include "meldpunt/ingest.h"
#include "meldpunt/store.h"
#include "meldpunt/streets.h"
#include "meldpunt/tz.h"

struct fx {
    struct fx_dbfile file;
    struct mp_city *city;
    struct mp_tz *tz;
    struct mp_geo *geo;
    struct mp_store *store;
    struct mp_streets *streets;
    struct mp_ctx ctx;
};

static int setup(void **state)
{
    static struct fx f;
    struct mp_error err;
    char pack[512], streets[600];
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    memset(&f, 0, sizeof f);
    assert_non_null(src);
    snprintf(pack, sizeof pack, "%s/geodata/chicago", src);
    snprintf(streets, sizeof streets, "%s/streets.tsv", pack);
    assert_int_equal(fx_dbfile_new(&f.file, "mp-ingest"), 0);
    struct mp_store_opts so;
    mp_store_opts_default(&so);
    so.pool_size = 2;
    assert_int_equal(mp_city_load(pack, &f.city, &err), MP_OK);
    assert_int_equal(mp_tz_load(f.city->timezone, &f.tz, &err), MP_OK);
    assert_int_equal(mp_geo_new(f.city->crs, &f.geo, &err), MP_OK);
    assert_int_equal(mp_streets_load(streets, f.geo, &f.streets, &err), MP_OK);
    assert_int_equal(mp_store_open(f.file.path, &so, &f.store, &err), MP_OK);
    f.ctx = (struct mp_ctx){.city = f.city, .tz = f.tz, .streets = f.streets, .geo = f.geo,
                            .db = mp_store_acquire(f.store)};
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mp_store_release(f->store, f->ctx.db);
    mp_store_close(f->store);
    mp_streets_free(f->streets);
    mp_geo_free(f->geo);
    mp_tz_free(f->tz);
    mp_city_free(f->city);
    fx_rm_dir(f->file.dir);
    return 0;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;

static void done(void *cookie)
{
    int *calls = cookie;
    pthread_mutex_lock(&lock);
    (*calls)++;
    finished++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static void wait_for(int n)
{
    pthread_mutex_lock(&lock);
    while (finished < n)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

static void job_init(struct mp_ingest_job *j, const char *cat, double lat, double lon,
                     int *calls)
{
    memset(j, 0, sizeof *j);
    snprintf(j->in.category, sizeof j->in.category, "%s", cat);
    j->in.lat = lat;
    j->in.lon = lon;
    j->in.has_lat = j->in.has_lon = true;
    j->done = done;
    j->cookie = calls;
}

static void test_batch_isolates_failures(void **state)
{
    struct fx *f = *state;
    struct mp_ingest *ing = NULL;
    struct mp_error err;
    enum { N = 40 };
    static struct mp_ingest_job jobs[N];
    static int calls[N];
    finished = 0;
    for (int i = 0; i < N; i++) {
        calls[i] = 0;
        /* Every fifth report is bad: an unknown category or outside the city. */
        const char *cat = i % 10 == 5 ? "no_such_category" : "graffiti";
        double lat = i % 10 == 0 && i ? 41.88 : 41.8781 + i * 0.001;
        double lon = i % 10 == 0 && i ? -87.40 : -87.6298;
        job_init(&jobs[i], cat, lat, lon, &calls[i]);
    }
    /* Queue everything before the writer runs, so batches really form. */
    assert_int_equal(mp_ingest_start(&f->ctx, 16, &ing, &err), MP_OK);
    for (int i = 0; i < N; i++)
        mp_ingest_submit(ing, &jobs[i]);
    wait_for(N);
    mp_ingest_stop(ing);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(calls[i], 1); /* answered exactly once */
        if (i % 10 == 5) {
            assert_int_equal(jobs[i].rc, MP_EINVAL);
            assert_string_equal(jobs[i].err.code, "unknown_category");
        } else if (i % 10 == 0 && i) {
            assert_int_equal(jobs[i].rc, MP_EINVAL);
            assert_string_equal(jobs[i].err.code, "out_of_area");
        } else {
            assert_int_equal(jobs[i].rc, MP_OK);
            assert_true(jobs[i].res.report_id > 0);
            ok++;
        }
    }
    int64_t reports = 0, clusters = 0;
    assert_int_equal(mp_store_counts(f->ctx.db, &reports, &clusters), MP_OK);
    assert_int_equal(reports, ok); /* the good ones were committed, the bad ones not */
}

/* The writer runs a batch without a savepoint per job first; a job that
 * fails after it wrote (here: its new cluster, then a taken external id)
 * must still leave nothing behind, and the others must be kept. */
static void test_failure_after_a_write_is_undone(void **state)
{
    struct fx *f = *state;
    struct mp_ingest *ing = NULL;
    struct mp_error err;
    enum { N = 8, DUP = 3 };
    static struct mp_ingest_job jobs[N];
    static int calls[N];
    int64_t reports0 = 0, clusters0 = 0, reports = 0, clusters = 0;
    assert_int_equal(mp_store_counts(f->ctx.db, &reports0, &clusters0), MP_OK);
    finished = 0;
    for (int i = 0; i < N; i++) {
        calls[i] = 0;
        /* 300 m apart: each would start a job of its own. */
        job_init(&jobs[i], "street_light_out", 41.95 + i * 0.003, -87.70, &calls[i]);
    }
    jobs[0].in.external_id = strdup("SR-TAKEN");
    jobs[DUP].in.external_id = strdup("SR-TAKEN");
    assert_non_null(jobs[0].in.external_id);
    assert_non_null(jobs[DUP].in.external_id);
    assert_int_equal(mp_ingest_start(&f->ctx, 16, &ing, &err), MP_OK);
    for (int i = 0; i < N; i++)
        mp_ingest_submit(ing, &jobs[i]);
    wait_for(N);
    mp_ingest_stop(ing);
    for (int i = 0; i < N; i++) {
        assert_int_equal(calls[i], 1);
        if (i == DUP) {
            assert_int_equal(jobs[i].rc, MP_ECONFLICT);
            assert_string_equal(jobs[i].err.code, "duplicate_external_id");
            assert_string_equal(jobs[i].err.text, "a report with this external id exists");
        } else {
            assert_int_equal(jobs[i].rc, MP_OK);
        }
        mp_report_input_clear(&jobs[i].in);
    }
    assert_int_equal(mp_store_counts(f->ctx.db, &reports, &clusters), MP_OK);
    assert_int_equal(reports - reports0, N - 1);
    assert_int_equal(clusters - clusters0, N - 1); /* no cluster left of the failed one */
}

static void test_stop_drains_queue(void **state)
{
    struct fx *f = *state;
    struct mp_ingest *ing = NULL;
    struct mp_error err;
    static struct mp_ingest_job jobs[5];
    static int calls[5];
    int64_t before = 0, after = 0, clusters;
    assert_int_equal(mp_store_counts(f->ctx.db, &before, &clusters), MP_OK);
    finished = 0;
    assert_int_equal(mp_ingest_start(&f->ctx, 2, &ing, &err), MP_OK);
    for (int i = 0; i < 5; i++) {
        calls[i] = 0;
        job_init(&jobs[i], "pothole", 41.90 + i * 0.002, -87.65, &calls[i]);
        mp_ingest_submit(ing, &jobs[i]);
    }
    mp_ingest_stop(ing); /* returns only when every queued job is done */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(calls[i], 1);
        assert_int_equal(jobs[i].rc, MP_OK);
    }
    assert_int_equal(mp_store_counts(f->ctx.db, &after, &clusters), MP_OK);
    assert_int_equal(after - before, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_isolates_failures),
        cmocka_unit_test(test_failure_after_a_write_is_undone),
        cmocka_unit_test(test_stop_drains_queue),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
