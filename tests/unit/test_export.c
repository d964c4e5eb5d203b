/* test_export.c - the export cursor (store_export.h), the writers, the
 * producer and the reads of the export domain (export.h) over a real
 * database built through mp_report_submit:
 * every read size gives the same bytes, filters and keyset paging select
 * the right rows, contacts never come out, typed contacts are masked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#include "meldpunt/app.h"
#include "meldpunt/cluster.h"
#include "meldpunt/export.h"
#include "meldpunt/report.h"
#include "meldpunt/store_export.h"
#include "meldpunt/timeutil.h"

struct fixture {
    char dir[64];
    struct mp_config cfg;
    struct mp_app *app;
    int64_t ids[6];
};

/* Points in the Loop, a few hundred metres apart (no two fold together). */
static const struct {
    const char *category, *description;
    double lon, lat;
    int64_t at;
} seed[] = {
    {"pothole", "Deep hole, \"dangerous\"; call 312-555-0123", -87.6298, 41.8781, 1609495200},
    {"graffiti", "=cmd|' /C calc'!A0", -87.6350, 41.8830, 1609498800},
    {"pothole", "", -87.6240, 41.8700, 1609581600},
    {"street_light_out", "Dark since Monday\nmail me: someone@example.org", -87.6400, 41.8760,
     1609585200},
    {"graffiti", "Tags on the bridge, ünïcödé", -87.6320, 41.8880, 1609668000},
    {"pothole", "Another one", -87.6450, 41.8650, 1609671600},
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct mp_error err;
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    assert_non_null(f);
    if (!src)
        fail_msg("MELDPUNT_SOURCE_DIR is not set (CTest sets it)");
    snprintf(f->dir, sizeof f->dir, "/tmp/mp-test-export-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mp_config_defaults(&f->cfg);
    snprintf(f->cfg.db_path, sizeof f->cfg.db_path, "%s/db.sqlite", f->dir);
    snprintf(f->cfg.city_dir, sizeof f->cfg.city_dir, "%s/geodata/chicago", src);
    if (mp_app_open(&f->cfg, 1, false, &f->app, &err) != MP_OK)
        fail_msg("mp_app_open: %s", err.text);
    struct mp_ctx *ctx = mp_app_acquire(f->app);
    for (size_t i = 0; i < sizeof seed / sizeof *seed; i++) {
        struct mp_report_input in;
        struct mp_submit_result res;
        memset(&in, 0, sizeof in);
        snprintf(in.category, sizeof in.category, "%s", seed[i].category);
        in.lon = seed[i].lon;
        in.lat = seed[i].lat;
        in.has_lon = in.has_lat = true;
        in.description = strdup(seed[i].description);
        in.contact_name = strdup("Henrietta Quill");
        in.contact_email = strdup("hq.private@example.org");
        in.created_at = seed[i].at;
        if (mp_report_submit(ctx, &in, true, &res, &err) != MP_OK)
            fail_msg("submit %zu: %s", i, err.text);
        f->ids[i] = res.report_id;
        mp_report_input_clear(&in);
    }
    mp_app_release(f->app, ctx);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[sizeof f->cfg.db_path + 8];
    mp_app_close(f->app);
    for (const char *const *sfx = (const char *const[]){"", "-wal", "-shm", NULL}; *sfx; sfx++) {
        snprintf(path, sizeof path, "%s%s", f->cfg.db_path, *sfx);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The whole document, read step bytes at a time. NEW string (free()). */
static char *produce(struct fixture *f, enum mp_export_format fmt, enum mp_export_what what,
                     bool internal, const struct mp_query *q, size_t step, size_t *len)
{
    struct mp_export *x = NULL;
    struct mp_error err;
    struct mp_export_opts o = {.format = fmt, .what = what, .internal = internal,
                               .city = f->app->city};
    if (mp_export_open_path(f->cfg.db_path, q, &o, &x, &err) != MP_OK)
        fail_msg("open: %s", err.text);
    char *out = NULL;
    *len = 0;
    fx_export_drain(x, step, &out, len);
    mp_export_free(x);
    return out;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void read_sizes_give_the_same_bytes(void **state)
{
    struct fixture *f = *state;
    struct mp_query q;
    memset(&q, 0, sizeof q);
    const enum mp_export_format fmts[] = {MP_EXPORT_GEOJSON, MP_EXPORT_GEOJSONSEQ,
                                          MP_EXPORT_CSV};
    for (size_t i = 0; i < 3; i++) {
        for (int what = 0; what < 2; what++) {
            size_t len0, len;
            char *ref = produce(f, fmts[i], (enum mp_export_what)what, what == 0, &q, 65536,
                                &len0);
            for (size_t step = 1; step < 12; step += 5) {
                char *other = produce(f, fmts[i], (enum mp_export_what)what, what == 0, &q,
                                      step, &len);
                assert_int_equal(len, len0);
                assert_memory_equal(other, ref, len);
                free(other);
            }
            free(ref);
        }
    }
}

static void documents_have_their_framing(void **state)
{
    struct fixture *f = *state;
    struct mp_query q;
    size_t len;
    memset(&q, 0, sizeof q);
    char *g = produce(f, MP_EXPORT_GEOJSON, MP_EXPORT_REPORTS, false, &q, 4096, &len);
    assert_true(starts_with(g, "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\""));
    assert_string_equal(g + len - 4, "\n]}\n");
    assert_int_equal(count(g, "\"type\":\"Feature\""), 6);
    /* lon before lat, 7 decimals at most */
    assert_non_null(strstr(g, "\"coordinates\":[-87.6298,41.8781]"));
    /* Times as mp_time_format writes them: the first report's, in UTC. */
    char when[32], want[64];
    mp_time_format(seed[0].at, when, sizeof when);
    snprintf(want, sizeof want, "\"created_at\":\"%s\"", when);
    assert_string_equal(when, "2021-01-01T10:00:00Z");
    assert_non_null(strstr(g, want));
    free(g);

    char *s = produce(f, MP_EXPORT_GEOJSONSEQ, MP_EXPORT_REPORTS, false, &q, 4096, &len);
    assert_int_equal(s[0], 0x1e);
    assert_int_equal(count(s, "\x1e"), 6);
    assert_int_equal(count(s, "\n"), 6);
    assert_int_equal(count(s, "\n\x1e"), 5);
    assert_int_equal(s[len - 1], '\n');
    free(s);

    char *c = produce(f, MP_EXPORT_CSV, MP_EXPORT_REPORTS, false, &q, 4096, &len);
    assert_true(starts_with(c, "\xEF\xBB\xBFid,category,category_name,status,created_at,"));
    assert_non_null(strstr(c, ",lon,lat\r\n"));
    /* The quoted description keeps its quotes doubled and its line break. */
    assert_non_null(strstr(c, "\"Deep hole, \"\"dangerous\"\"; call [hidden]\""));
    assert_non_null(strstr(c, "\"Dark since Monday\nmail me: [hidden]\""));
    /* Formula injection: written as text with an apostrophe. */
    assert_non_null(strstr(c, "\"'=cmd|' /C calc'!A0\""));
    assert_non_null(strstr(c, ",-87.6298,41.8781\r\n"));
    assert_int_equal(count(c, "\r\n"), 7); /* header and six rows; the quoted break is LF */
    free(c);
}

static void contacts_never_leave(void **state)
{
    struct fixture *f = *state;
    struct mp_query q;
    size_t len;
    memset(&q, 0, sizeof q);
    q.with_private = true; /* even when a caller asks: the cursor has no such columns */
    const enum mp_export_format fmts[] = {MP_EXPORT_GEOJSON, MP_EXPORT_GEOJSONSEQ,
                                          MP_EXPORT_CSV};
    for (size_t i = 0; i < 3; i++) {
        for (int internal = 0; internal < 2; internal++) {
            char *d = produce(f, fmts[i], MP_EXPORT_REPORTS, internal, &q, 4096, &len);
            assert_null(strstr(d, "Henrietta"));
            assert_null(strstr(d, "hq.private"));
            assert_null(strstr(d, "312-555-0123"));
            assert_null(strstr(d, "someone@example.org"));
            assert_int_equal(strstr(d, "join_reason") != NULL, internal);
            free(d);
        }
    }
}

static void cursor_filters_and_pages(void **state)
{
    struct fixture *f = *state;
    struct mp_error err;
    struct mp_query q;
    memset(&q, 0, sizeof q);
    q.categories[0] = "pothole";
    q.ncategories = 1;
    struct mp_export_cursor *cur = NULL;
    struct mp_ctx *ctx = mp_app_acquire(f->app);
    assert_int_equal(mp_store_export_open(ctx->db, MP_EXPORT_REPORTS, &q, &cur, &err), MP_OK);
    const struct mp_export_row *row;
    int64_t got[8];
    size_t n = 0;
    enum mp_status rc;
    while ((rc = mp_store_export_next(cur, &row)) == MP_OK) {
        assert_int_equal(row->what, MP_EXPORT_REPORTS);
        assert_string_equal(row->report.category, "pothole");
        got[n++] = row->report.id;
    }
    assert_int_equal(rc, MP_ENOTFOUND);
    assert_int_equal(mp_store_export_next(cur, &row), MP_ENOTFOUND);
    assert_null(row);
    mp_store_export_close(cur);
    assert_int_equal(n, 3);
    assert_int_equal(got[0], f->ids[0]);
    assert_int_equal(got[1], f->ids[2]);
    assert_int_equal(got[2], f->ids[5]);
    int64_t matched = 0;
    assert_int_equal(mp_store_export_count(ctx->db, MP_EXPORT_REPORTS, &q, &matched), MP_OK);
    assert_int_equal(matched, 3);

    /* Keyset paging: after the first pothole, at most one row. */
    q.after_id = f->ids[0];
    q.limit = 1;
    assert_int_equal(mp_store_export_open(ctx->db, MP_EXPORT_REPORTS, &q, &cur, &err), MP_OK);
    assert_int_equal(mp_store_export_next(cur, &row), MP_OK);
    assert_int_equal(row->report.id, f->ids[2]);
    assert_int_equal(mp_store_export_next(cur, &row), MP_ENOTFOUND);
    mp_store_export_close(cur);

    /* Time range (created_at in [since, until)) and bbox. */
    memset(&q, 0, sizeof q);
    q.since = 1609581600;
    q.until = 1609668000;
    assert_int_equal(mp_store_export_count(ctx->db, MP_EXPORT_REPORTS, &q, &matched), MP_OK);
    assert_int_equal(matched, 2);
    memset(&q, 0, sizeof q);
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.6310, 41.8770, -87.6290, 41.8790};
    assert_int_equal(mp_store_export_count(ctx->db, MP_EXPORT_REPORTS, &q, &matched), MP_OK);
    assert_int_equal(matched, 1);
    assert_int_equal(mp_store_export_count(ctx->db, MP_EXPORT_CLUSTERS, &q, &matched), MP_OK);
    assert_int_equal(matched, 1);
    int64_t first, last;
    assert_int_equal(mp_store_export_time_extent(ctx->db, &first, &last), MP_OK);
    assert_int_equal(first, 1609495200);
    assert_int_equal(last, 1609671600);
    mp_app_release(f->app, ctx);

    /* A missing database file is an error, never a new empty database. */
    assert_int_equal(mp_store_export_open_path("/nonexistent/dir/db.sqlite", MP_EXPORT_REPORTS, &q,
                                               &cur, &err),
                     MP_EUNAVAIL);
    assert_null(cur);
}

struct found {
    int calls;
    enum mp_export_what what;
    int64_t id, cluster_id;
    char category[48];
};

static void on_found(void *arg, const struct mp_export_row *row)
{
    struct found *fd = arg;
    fd->calls++;
    fd->what = row->what;
    fd->id = row->what == MP_EXPORT_CLUSTERS ? row->cluster.id : row->report.id;
    fd->cluster_id = row->what == MP_EXPORT_CLUSTERS ? row->cluster.id : row->report.cluster_id;
    snprintf(fd->category, sizeof fd->category, "%s",
             row->what == MP_EXPORT_CLUSTERS ? row->cluster.category : row->report.category);
}

/* The export domain's reads on a request's session: one row by id, a
 * cursor, the count and the time extent, and the producer on a path. */
static void domain_reads(void **state)
{
    struct fixture *f = *state;
    struct mp_error err = {{0}, {0}};
    struct found fd;
    struct mp_ctx *ctx = mp_app_acquire(f->app);

    memset(&fd, 0, sizeof fd);
    assert_int_equal(mp_export_find(ctx, MP_EXPORT_REPORTS, f->ids[2], on_found, &fd, &err),
                     MP_OK);
    assert_int_equal(fd.calls, 1);
    assert_int_equal(fd.what, MP_EXPORT_REPORTS);
    assert_int_equal(fd.id, f->ids[2]);
    assert_string_equal(fd.category, "pothole");
    int64_t cluster = fd.cluster_id;
    memset(&fd, 0, sizeof fd);
    assert_int_equal(mp_export_find(ctx, MP_EXPORT_CLUSTERS, cluster, on_found, &fd, &err), MP_OK);
    assert_int_equal(fd.calls, 1);
    assert_int_equal(fd.id, cluster);
    assert_string_equal(fd.category, "pothole");
    /* No such id: not found, and never the next row in id order (0 would
     * otherwise find the first report, the last id + 1 nothing at all). */
    memset(&fd, 0, sizeof fd);
    assert_int_equal(mp_export_find(ctx, MP_EXPORT_REPORTS, 0, on_found, &fd, &err),
                     MP_ENOTFOUND);
    assert_int_equal(mp_export_find(ctx, MP_EXPORT_REPORTS, f->ids[5] + 1, on_found, &fd, &err),
                     MP_ENOTFOUND);
    assert_int_equal(fd.calls, 0);

    struct mp_query q;
    memset(&q, 0, sizeof q);
    q.categories[0] = "graffiti";
    q.ncategories = 1;
    struct mp_export_cursor *cur = NULL;
    const struct mp_export_row *row;
    assert_int_equal(mp_export_cursor_open(ctx, MP_EXPORT_REPORTS, &q, &cur, &err), MP_OK);
    assert_int_equal(mp_export_cursor_next(cur, &row), MP_OK);
    assert_int_equal(row->report.id, f->ids[1]);
    assert_int_equal(mp_export_cursor_next(cur, &row), MP_OK);
    assert_int_equal(row->report.id, f->ids[4]);
    assert_int_equal(mp_export_cursor_next(cur, &row), MP_ENOTFOUND);
    mp_export_cursor_close(cur);
    mp_export_cursor_close(NULL);
    int64_t n = 0, first = 0, last = 0;
    assert_int_equal(mp_export_count(ctx, MP_EXPORT_REPORTS, &q, &n), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mp_export_count(ctx, MP_EXPORT_CLUSTERS, &q, &n), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mp_export_time_extent(ctx, &first, &last), MP_OK);
    assert_int_equal(first, 1609495200);
    assert_int_equal(last, 1609671600);
    mp_app_release(f->app, ctx);

    /* A producer on a missing database file fails with the reason, and
     * never creates an empty database there. */
    struct mp_export *x = (struct mp_export *)&fd; /* must be reset */
    struct mp_export_opts o = {.city = f->app->city};
    assert_int_equal(mp_export_open_path("/nonexistent/dir/db.sqlite", &q, &o, &x, &err),
                     MP_EUNAVAIL);
    assert_null(x);
    assert_string_equal(err.text, "cannot open the database");
}

static void parsers(void **state)
{
    (void)state;
    struct mp_error err;
    enum mp_export_format fmt;
    enum mp_export_what what;
    assert_int_equal(mp_export_format_parse("geojsonseq", &fmt, &err), MP_OK);
    assert_int_equal(fmt, MP_EXPORT_GEOJSONSEQ);
    assert_int_equal(mp_export_format_parse("GeoJSON", &fmt, &err), MP_EINVAL);
    assert_string_equal(err.text, "format must be geojson, geojsonseq or csv");
    assert_int_equal(mp_export_what_parse("clusters", &what, &err), MP_OK);
    assert_int_equal(what, MP_EXPORT_CLUSTERS);
    assert_int_equal(mp_export_what_parse(NULL, &what, &err), MP_EINVAL);
    assert_string_equal(mp_export_content_type(MP_EXPORT_GEOJSONSEQ), "application/geo+json-seq");
    struct mp_query q;
    memset(&q, 0, sizeof q);
    assert_int_equal(mp_cluster_status_filter_add(&q, "resolved", &err), MP_OK);
    assert_int_equal(q.nstatuses, 3);
    assert_int_equal(mp_cluster_status_filter_add(&q, "lost", &err), MP_EINVAL);
    assert_non_null(strstr(err.text, "unknown status 'lost'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_sizes_give_the_same_bytes),
        cmocka_unit_test(documents_have_their_framing),
        cmocka_unit_test(contacts_never_leave),
        cmocka_unit_test(cursor_filters_and_pages),
        cmocka_unit_test(domain_reads),
        cmocka_unit_test(parsers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
