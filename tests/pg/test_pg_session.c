/* test_pg_session.c - what the PostgreSQL engine's sessions must do beyond
 * the SQLite engine's unit tests (which run on both): survive a connection
 * the server ends (idle: reconnect before the next statement; inside a
 * transaction: MP_EUNAVAIL until rolled back), let one writer at a time in
 * (the advisory lock of begin_write, bounded by busy_ms), never commit a
 * transaction in which a statement failed (and let a savepoint rescue it, as
 * group commit needs), bump the change counter only when a change is
 * committed, and keep photo bytes (zeros included) exact.
 *
 * Runs only with MELDPUNT_TEST_ENGINE=pg (tests/CMakeLists.txt registers it
 * with the cluster of tests/pg/cluster.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/store.h"

#define T0 1622548800LL

struct fx {
    struct fx_dbfile file;
    struct mp_store *st;
    struct mp_store_sess *a, *b; /* two sessions of one store */
};

static struct fx_dbfile g_template;

static int group_setup(void **state)
{
    (void)state;
    if (!fx_engine_pg()) {
        fprintf(stderr, "test_pg_session runs with MELDPUNT_TEST_ENGINE=pg only\n");
        return -1;
    }
    return fx_template_make(&g_template);
}

static int group_teardown(void **state)
{
    (void)state;
    fx_rm_dir(g_template.dir);
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mp_error err = {{0}, {0}};
    struct mp_store_opts o;
    if (!f || fx_dbfile_copy(&f->file, "mp-pg", &g_template) != 0) {
        free(f);
        return -1;
    }
    fx_store_opts(&o, 2);
    o.busy_ms = 300;
    if (mp_store_open(f->file.path, &o, &f->st, &err) != MP_OK) {
        fprintf(stderr, "mp_store_open: %s\n", err.text);
        fx_rm_dir(f->file.dir);
        free(f);
        return -1;
    }
    f->a = mp_store_acquire(f->st);
    f->b = mp_store_acquire(f->st);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mp_store_release(f->st, f->a);
    mp_store_release(f->st, f->b);
    mp_store_close(f->st);
    fx_rm_dir(f->file.dir);
    free(f);
    return 0;
}

/* End every other connection to the test's database, as a restart of the
 * server or an administrator would, and wait until they are gone. */
static void end_connections(struct fx *f)
{
    assert_int_equal(fx_sql(f->file.path,
                            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND pid <> pg_backend_pid()"),
                     0);
}

static int64_t add_cluster(struct mp_store_sess *s, const char *category)
{
    struct mp_cluster_state c;
    memset(&c, 0, sizeof c);
    snprintf(c.municipality, sizeof c.municipality, "chicago");
    snprintf(c.category, sizeof c.category, "%s", category);
    snprintf(c.status, sizeof c.status, "new");
    c.report_count = 1;
    c.x = c.sum_x = 447742.0;
    c.y = c.sum_y = 4636434.0;
    c.lon = -87.6298;
    c.lat = 41.8781;
    c.first_at = c.last_at = T0;
    int64_t id = 0;
    assert_int_equal(mp_store_cluster_create(s, &c, &id), MP_OK);
    assert_true(id > 0);
    return id;
}

/* A report of cluster (its other fields empty or fixed). */
static struct mp_report_rec report_of(int64_t cluster)
{
    struct mp_report_rec r;
    memset(&r, 0, sizeof r);
    r.municipality = "chicago";
    r.category = "graffiti";
    r.description = "";
    r.channel = "web";
    r.status = "new";
    r.lon = -87.6298;
    r.lat = 41.8781;
    r.created_at = T0;
    r.cluster_id = cluster;
    return r;
}

static void expect_counts(struct mp_store_sess *s, int64_t reports, int64_t clusters)
{
    int64_t nr = -1, nc = -1;
    assert_int_equal(mp_store_counts(s, &nr, &nc), MP_OK);
    assert_int_equal(nr, reports);
    assert_int_equal(nc, clusters);
}

static void test_reconnect_when_idle(void **state)
{
    struct fx *f = *state;
    expect_counts(f->a, 0, 0);
    end_connections(f);
    /* The very next statement works: the lost connection is noticed and
     * replaced before it is used, so no request pays for the restart. */
    expect_counts(f->a, 0, 0);
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(f->b, &err), MP_OK);
    (void)add_cluster(f->b, "graffiti");
    assert_int_equal(mp_store_commit(f->b, &err), MP_OK);
    expect_counts(f->a, 0, 1);
}

static void test_lost_inside_transaction(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    (void)add_cluster(f->a, "graffiti");
    end_connections(f);
    /* The transaction is gone with its connection: no statement may run
     * outside it as if nothing happened. */
    int64_t nr, nc;
    assert_int_equal(mp_store_counts(f->a, &nr, &nc), MP_EUNAVAIL);
    assert_int_equal(mp_store_commit(f->a, &err), MP_EUNAVAIL);
    assert_string_equal(err.code, "unavailable");
    mp_store_rollback(f->a);
    /* Rolled back: usable again, and nothing was saved. */
    expect_counts(f->a, 0, 0);
}

static void test_one_writer_at_a_time(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    /* busy_ms (300) later the second writer gives up: 503, try again. */
    assert_int_equal(mp_store_begin_write(f->b, &err), MP_EUNAVAIL);
    assert_string_equal(err.code, "unavailable");
    assert_non_null(strstr(err.text, "cannot take writes"));
    /* Readers are never blocked. */
    expect_counts(f->b, 0, 0);
    mp_store_rollback(f->a);
    assert_int_equal(mp_store_begin_write(f->b, &err), MP_OK);
    mp_store_rollback(f->b);
}

static void test_failed_statement_is_never_committed(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_report_rec r = report_of(999999); /* no such cluster: the foreign key refuses it */
    int64_t id = 0;

    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    (void)add_cluster(f->a, "graffiti");
    assert_int_equal(mp_store_report_insert(f->a, &r, &id), MP_ECONFLICT);
    assert_int_equal(mp_store_commit(f->a, &err), MP_EDB);
    expect_counts(f->b, 0, 0);

    /* Group commit: the failed item is undone to its savepoint and the
     * batch's other work is committed. */
    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    (void)add_cluster(f->a, "graffiti");
    assert_int_equal(mp_store_savepoint(f->a), MP_OK);
    assert_int_equal(mp_store_report_insert(f->a, &r, &id), MP_ECONFLICT);
    mp_store_savepoint_undo(f->a);
    assert_int_equal(mp_store_savepoint(f->a), MP_OK);
    r.cluster_id = add_cluster(f->a, "graffiti");
    assert_int_equal(mp_store_report_insert(f->a, &r, &id), MP_OK);
    assert_int_equal(mp_store_savepoint_release(f->a), MP_OK);
    assert_int_equal(mp_store_commit(f->a, &err), MP_OK);
    expect_counts(f->b, 1, 2);
}

static void test_change_counter_moves_at_commit(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    int64_t n0 = -1, n1 = -1, n2 = -1;
    assert_int_equal(mp_store_change_counter(f->b, &n0), MP_OK);
    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    (void)add_cluster(f->a, "graffiti");
    /* Not yet visible: a reader caching an answer now must not file it
     * under a number that the commit will not change again. */
    assert_int_equal(mp_store_change_counter(f->b, &n1), MP_OK);
    assert_int_equal(n1, n0);
    assert_int_equal(mp_store_commit(f->a, &err), MP_OK);
    assert_int_equal(mp_store_change_counter(f->b, &n2), MP_OK);
    assert_true(n2 > n0);
}

static void test_photo_bytes_exact(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    unsigned char full[1000], thumb[3] = {0, 255, 0};
    for (size_t i = 0; i < sizeof full; i++)
        full[i] = (unsigned char)(i * 7);
    struct mp_photo_rec p = {.full = full,
                             .thumb = thumb,
                             .full_len = sizeof full,
                             .thumb_len = sizeof thumb,
                             .width = 10,
                             .height = 20,
                             .mime = "image/jpeg"};
    int64_t id = 0;
    assert_int_equal(mp_store_begin_write(f->a, &err), MP_OK);
    struct mp_report_rec r = report_of(add_cluster(f->a, "graffiti"));
    assert_int_equal(mp_store_report_insert(f->a, &r, &id), MP_OK);
    assert_int_equal(mp_store_photo_put(f->a, id, &p), MP_OK);
    assert_int_equal(mp_store_commit(f->a, &err), MP_OK);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mp_store_photo_get(f->b, id, false, &data, &len), MP_OK);
    assert_int_equal(len, sizeof full);
    assert_memory_equal(data, full, sizeof full);
    free(data);
    assert_int_equal(mp_store_photo_get(f->b, id, true, &data, &len), MP_OK);
    assert_int_equal(len, sizeof thumb);
    assert_memory_equal(data, thumb, sizeof thumb);
    free(data);
    assert_int_equal(mp_store_photo_get(f->b, id + 1, true, &data, &len), MP_ENOTFOUND);
    assert_null(data);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reconnect_when_idle),
        T(test_lost_inside_transaction),
        T(test_one_writer_at_a_time),
        T(test_failed_statement_is_never_committed),
        T(test_change_counter_moves_at_commit),
        T(test_photo_bytes_exact),
    };
#undef T
    return cmocka_run_group_tests_name("pg_session", tests, group_setup, group_teardown);
}
