/* test_restart.c - durability: what the server answered with 201 is on disk,
 * across a clean stop (SIGTERM) and a crash (SIGKILL right after the 201),
 * and the database file stays sound (PRAGMA integrity_check). On PostgreSQL
 * the server keeps no file of its own: the database itself must hold every
 * 201 after the crash (the soundness of its files is PostgreSQL's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#define CITY_BBOX "-87.95,41.64,-87.52,42.03"
#define M_LAT (1.0 / 111320.0)
#define GROUPS 8
#define PER_GROUP 3

/* The raw body of a GET that must answer 200 (new string). */
static char *get_raw(const struct it_server *s, const char *path)
{
    struct it_response r;
    it_get(s, path, &r);
    if (r.status != 200)
        fail_msg("GET %s: HTTP %ld: %.200s", path, r.status, r.body);
    char *body = r.body;
    r.body = NULL;
    it_response_free(&r);
    return body;
}

static void assert_integrity_ok(const char *db)
{
    if (it_engine_pg())
        return; /* no file of the server's to check (see the top) */
    char *out = NULL;
    int rc = it_sqlite(db, "PRAGMA integrity_check;", &out);
    if (rc != 0 || strcmp(out, "ok\n") != 0)
        fail_msg("PRAGMA integrity_check on %s: exit %d, %.400s", db, rc, out);
    free(out);
}

/* Reports posted in groups of PER_GROUP a few metres apart (each group one
 * cluster), the groups a kilometre apart. */
static void post_groups(const struct it_server *s, int64_t *rid, int64_t *cid)
{
    for (int g = 0; g < GROUPS; g++) {
        for (int k = 0; k < PER_GROUP; k++) {
            double lat = 41.80 + g * 1000 * M_LAT + k * 4 * M_LAT, lon = -87.68;
            char extra[128];
            snprintf(extra, sizeof extra, "\"description\":\"group %d report %d\"", g, k);
            json_t *j = it_post_report(s, "graffiti", lat, lon, extra);
            rid[g * PER_GROUP + k] = it_jint(j, "report.id");
            cid[g * PER_GROUP + k] = it_jint(j, "cluster.id");
            assert_int_equal(it_jint(j, "cluster.report_count"), k + 1);
            if (k)
                assert_int_equal(cid[g * PER_GROUP + k], cid[g * PER_GROUP]);
            json_decref(j);
        }
    }
}

static void test_sigterm_restart_keeps_everything(void **state)
{
    struct it_fixture *f = *state;
    int64_t rid[GROUPS * PER_GROUP], cid[GROUPS * PER_GROUP];
    post_groups(&f->s, rid, cid);
    char *reports = get_raw(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000");
    char *clusters = get_raw(&f->s, "/api/v1/clusters?bbox=" CITY_BBOX "&limit=5000");

    assert_int_equal(it_server_stop(&f->s), 0);
    assert_integrity_ok(f->s.db);
    it_server_start(&f->s);

    /* Byte for byte the same listings. */
    char *reports2 = get_raw(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000");
    char *clusters2 = get_raw(&f->s, "/api/v1/clusters?bbox=" CITY_BBOX "&limit=5000");
    assert_string_equal(reports2, reports);
    assert_string_equal(clusters2, clusters);
    free(reports);
    free(reports2);
    free(clusters);
    free(clusters2);

    /* Each report, with its cluster. */
    for (int i = 0; i < GROUPS * PER_GROUP; i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)rid[i]);
        json_t *j = it_get_json(&f->s, path);
        assert_int_equal(it_jint(j, "properties.cluster_id"), cid[i]);
        assert_int_equal(it_jint(j, "properties.report_count"), PER_GROUP);
        json_decref(j);
    }
    for (int g = 0; g < GROUPS; g++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/clusters/%lld", (long long)cid[g * PER_GROUP]);
        json_t *j = it_get_json(&f->s, path);
        assert_int_equal(it_jint(j, "properties.report_count"), PER_GROUP);
        assert_int_equal(json_array_size(it_jpath(j, "properties.reports")), PER_GROUP);
        json_decref(j);
    }
    json_t *h = it_get_json(&f->s, "/healthz");
    assert_int_equal(it_jint(h, "reports"), GROUPS * PER_GROUP);
    assert_int_equal(it_jint(h, "clusters"), GROUPS);
    json_decref(h);

    /* Clustering picks up where it was: a new report joins an old cluster. */
    json_t *j = it_post_report(&f->s, "graffiti", 41.80 + 2 * M_LAT, -87.68, NULL);
    assert_true(json_is_true(json_object_get(j, "joined")));
    assert_int_equal(it_jint(j, "cluster.id"), cid[0]);
    assert_int_equal(it_jint(j, "cluster.report_count"), PER_GROUP + 1);
    json_decref(j);

    assert_int_equal(it_server_stop(&f->s), 0);
    assert_integrity_ok(f->s.db);
}

/* Copy db and its write-ahead log as a crash left them to DB.copy. On
 * PostgreSQL the database itself is what the crash left. */
static void crash_copy(const char *db, char *copy, size_t cap)
{
    if (it_engine_pg()) {
        snprintf(copy, cap, "%s", db);
        return;
    }
    char wal[720], copy_wal[720], shm[720];
    snprintf(copy, cap, "%s.copy", db);
    snprintf(copy_wal, sizeof copy_wal, "%s-wal", copy);
    snprintf(shm, sizeof shm, "%s-shm", copy);
    remove(copy_wal);
    remove(shm);
    it_copy_file(db, copy);
    snprintf(wal, sizeof wal, "%s-wal", db);
    FILE *w = fopen(wal, "rb");
    if (w) {
        fclose(w);
        it_copy_file(wal, copy_wal);
    }
}

static void test_sigkill_after_201(void **state)
{
    struct it_fixture *f = *state;
    int64_t rid[GROUPS * PER_GROUP], cid[GROUPS * PER_GROUP];
    post_groups(&f->s, rid, cid);
    int64_t total = GROUPS * PER_GROUP;

    /* Three crashes: a new cluster, a join, a report with contact data. */
    static const struct {
        const char *category;
        double lat, lon;
        const char *extra;
        bool joins;
    } posts[] = {
        {"pothole", 41.8966852, -87.6282051, "\"description\":\"crash one\"", false},
        {"graffiti", 41.80 + 1000 * M_LAT + 2 * M_LAT, -87.68, NULL, true},
        {"street_light_out", 41.95, -87.70,
         "\"contact\":{\"email\":\"crash@example.org\"},\"description\":\"crash three\"", false},
    };
    for (size_t i = 0; i < sizeof posts / sizeof *posts; i++) {
        json_t *j = it_post_report(&f->s, posts[i].category, posts[i].lat, posts[i].lon,
                                   posts[i].extra);
        it_server_kill(&f->s); /* right after the 201, no chance to checkpoint */
        total++;
        int64_t id = it_jint(j, "report.id"), c = it_jint(j, "cluster.id");
        int64_t count = it_jint(j, "cluster.report_count");
        assert_true(json_is_boolean(json_object_get(j, "joined")));
        assert_int_equal(json_is_true(json_object_get(j, "joined")), posts[i].joins);
        json_decref(j);

        /* The file as the crash left it (with its WAL) is sound and has it.
         * Checked on a copy, so that the server recovers the original itself. */
        char copy[700];
        crash_copy(f->s.db, copy, sizeof copy);
        assert_integrity_ok(copy);
        char sql[128], *out = NULL;
        snprintf(sql, sizeof sql, "SELECT cluster_id FROM reports WHERE id = %lld;",
                 (long long)id);
        assert_int_equal(it_sqlite(copy, sql, &out), 0);
        char want[32];
        snprintf(want, sizeof want, "%lld\n", (long long)c);
        assert_string_equal(out, want);
        free(out);

        it_server_start(&f->s);
        char path[64];
        snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)id);
        j = it_get_json(&f->s, path);
        assert_int_equal(it_jint(j, "properties.cluster_id"), c);
        assert_int_equal(it_jint(j, "properties.report_count"), count);
        assert_string_equal(json_string_value(it_jpath(j, "properties.category")),
                            posts[i].category);
        json_decref(j);
        snprintf(path, sizeof path, "/api/v1/clusters/%lld", (long long)c);
        j = it_get_json(&f->s, path);
        assert_int_equal(it_jint(j, "properties.report_count"), count);
        json_decref(j);
        json_t *h = it_get_json(&f->s, "/healthz");
        assert_int_equal(it_jint(h, "reports"), total);
        json_decref(h);
    }

    /* A clean stop after the crashes, and the file is still sound. */
    assert_int_equal(it_server_stop(&f->s), 0);
    assert_integrity_ok(f->s.db);
    char *out = NULL;
    assert_int_equal(it_sqlite(f->s.db, "SELECT count(*) FROM reports;", &out), 0);
    char want[32];
    snprintf(want, sizeof want, "%lld\n", (long long)total);
    assert_string_equal(out, want);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigterm_restart_keeps_everything, it_setup_server,
                                        it_teardown_server),
        cmocka_unit_test_setup_teardown(test_sigkill_after_201, it_setup_server,
                                        it_teardown_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
