/* test_export_wal.c - exports read in keyset batches (store_export.h): a
 * producer that a slow client has stopped reading half-way holds no read
 * transaction, so a TRUNCATE checkpoint completes and empties the WAL
 * while the export is open; the rows of the batches after the writes
 * include the new rows, none twice and none missed; limits, start ids and
 * boxes (through the R*Tree and by scan) span batches.
 *
 * Issue 19: with one statement per export, the checkpoint below reported
 * busy and the WAL kept every frame written while the export was open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fixture.h"
#include "meldpunt/app.h"
#include "meldpunt/export.h"
#include "meldpunt/report.h"
#include "meldpunt/store_export.h"

/* More than two batches of the cursor (1,024 rows each). */
#define SEED_ROWS 2600

struct fixture {
    char dir[256];
    struct mp_config cfg;
    struct mp_app *app;
    int next; /* reports submitted so far */
};

/* Report i at a point of a 60 x 60 lattice west of the Loop, 80 m apart
 * (east to west) so that each opens a cluster of its own. */
static void submit(struct fixture *f, int n)
{
    struct mp_ctx *ctx = mp_app_acquire(f->app);
    struct mp_error err;
    for (int k = 0; k < n; k++, f->next++) {
        struct mp_report_input in;
        struct mp_submit_result res;
        memset(&in, 0, sizeof in);
        snprintf(in.category, sizeof in.category, "%s", f->next % 3 ? "pothole" : "graffiti");
        in.lon = -87.72 + 0.001 * (double)(f->next % 60);
        in.lat = 41.80 + 0.0015 * (double)((f->next / 60) % 60);
        in.has_lon = in.has_lat = true;
        char text[64];
        snprintf(text, sizeof text, "report number %d", f->next);
        in.description = strdup(text);
        in.created_at = 1609495200 + f->next;
        if (mp_report_submit(ctx, &in, true, &res, &err) != MP_OK)
            fail_msg("submit %d: %s", f->next, err.text);
        mp_report_input_clear(&in);
    }
    mp_app_release(f->app, ctx);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct mp_error err;
    const char *city = fx_chicago_dir();
    assert_non_null(f);
    if (!city)
        fail_msg("MELDPUNT_SOURCE_DIR is not set (CTest sets it)");
    snprintf(f->dir, sizeof f->dir, "%s/mp-test-export-wal-XXXXXX", fx_tmpdir());
    assert_non_null(mkdtemp(f->dir));
    mp_config_defaults(&f->cfg);
    f->cfg.sync_full = false; /* thousands of commits: no fsync each */
    snprintf(f->cfg.db_path, sizeof f->cfg.db_path, "%s/db.sqlite", f->dir);
    snprintf(f->cfg.city_dir, sizeof f->cfg.city_dir, "%s", city);
    if (mp_app_open(&f->cfg, 1, false, &f->app, &err) != MP_OK)
        fail_msg("mp_app_open: %s", err.text);
    submit(f, SEED_ROWS);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    mp_app_close(f->app);
    fx_rm_dir(f->dir);
    free(f);
    return 0;
}

static struct mp_export *open_export(struct fixture *f, enum mp_export_format fmt,
                                     const struct mp_query *q)
{
    struct mp_export *x = NULL;
    struct mp_error err;
    struct mp_export_opts o = {.format = fmt, .what = MP_EXPORT_REPORTS, .city = f->app->city};
    if (mp_export_open_path(f->cfg.db_path, q, &o, &x, &err) != MP_OK)
        fail_msg("open: %s", err.text);
    return x;
}

/* The rest of the document after the n bytes of out, into out (NEW
 * string, free()). */
static char *drain(struct mp_export *x, char *out, size_t n)
{
    fx_export_drain(x, 4096, &out, &n);
    return out;
}

static char *whole(struct fixture *f, enum mp_export_format fmt, const struct mp_query *q)
{
    struct mp_export *x = open_export(f, fmt, q);
    char *out = drain(x, NULL, 0);
    mp_export_free(x);
    return out;
}

/* The ids of a GeoJSON text sequence, in order: how many; each one
 * greater than the one before (no row twice, id order kept). */
static size_t ids_in_order(const char *doc, int64_t *first, int64_t *last)
{
    size_t n = 0;
    int64_t prev = 0;
    for (const char *p = strchr(doc, '\x1e'); p; p = strchr(p + 1, '\x1e')) {
        const char *id = strstr(p, "\"id\":");
        assert_non_null(id);
        int64_t v = strtoll(id + 5, NULL, 10);
        if (n == 0 && first)
            *first = v;
        else
            assert_true(v > prev);
        prev = v;
        n++;
    }
    if (last)
        *last = prev;
    return n;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void a_stalled_export_does_not_pin_the_wal(void **state)
{
    struct fixture *f = *state;
    struct mp_query q;
    memset(&q, 0, sizeof q);
    struct mp_export *x = open_export(f, MP_EXPORT_GEOJSONSEQ, &q);
    /* A client that took the first bytes and then stopped reading. */
    size_t n = 4096;
    char *doc = malloc(n);
    assert_non_null(doc);
    assert_int_equal(mp_export_read(x, doc, n), (long)n);

    /* Reports keep coming in meanwhile. */
    submit(f, 40);
    char wal[sizeof f->cfg.db_path + 8];
    snprintf(wal, sizeof wal, "%s-wal", f->cfg.db_path);
    assert_true(file_size(wal) > 0);

    /* What the server's checkpointer asks for when the WAL is large: it
     * completes (not busy) and empties the file, the export still open. */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->cfg.db_path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0); /* busy */
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(file_size(wal), 0);

    /* The rest: every row, the new ones too (their batches came after the
     * writes), none twice. */
    doc = drain(x, doc, n);
    mp_export_free(x);
    int64_t first = 0, last = 0;
    assert_int_equal(ids_in_order(doc, &first, &last), SEED_ROWS + 40);
    assert_int_equal(last - first + 1, SEED_ROWS + 40);
    free(doc);
}

static void batches_keep_limits_starts_and_boxes(void **state)
{
    struct fixture *f = *state;
    struct mp_query q;
    int64_t first = 0, last = 0;
    memset(&q, 0, sizeof q);
    char *all = whole(f, MP_EXPORT_GEOJSONSEQ, &q);
    size_t total = ids_in_order(all, &first, &last);
    assert_true(total >= SEED_ROWS);

    /* A limit over more than one batch, from a start id. */
    q.after_id = first + 99;
    q.limit = 1500;
    char *page = whole(f, MP_EXPORT_GEOJSONSEQ, &q);
    int64_t pfirst = 0, plast = 0;
    assert_int_equal(ids_in_order(page, &pfirst, &plast), 1500);
    assert_int_equal(pfirst, first + 100);
    assert_int_equal(plast, first + 1599);
    /* The same bytes as the whole export has for those rows. */
    const char *from = strstr(all, "\x1e{\"type\":\"Feature\",\"id\":");
    for (int i = 0; i < 100; i++)
        from = strchr(from + 1, '\x1e');
    assert_memory_equal(page, from, strlen(page));
    free(page);

    /* A box around every report: the R*Tree for the first batch, a scan
     * for the rest (dense); the same bytes as no box. */
    memset(&q, 0, sizeof q);
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.73, 41.79, -87.65, 41.90};
    char *boxed = whole(f, MP_EXPORT_CSV, &q);
    memset(&q, 0, sizeof q);
    char *plain = whole(f, MP_EXPORT_CSV, &q);
    assert_string_equal(boxed, plain);
    free(boxed);
    free(plain);

    /* A box of one lattice column (sparse in ids: the R*Tree for every
     * batch): exactly the reports whose lon falls in it. */
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.7205, 41.79, -87.7195, 41.90};
    char *narrow = whole(f, MP_EXPORT_GEOJSONSEQ, &q);
    size_t in_box = 0;
    for (int i = 0; i < f->next; i++)
        in_box += i % 60 == 0;
    assert_int_equal(ids_in_order(narrow, NULL, NULL), in_box);
    free(narrow);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_stalled_export_does_not_pin_the_wal),
        cmocka_unit_test(batches_keep_limits_starts_and_boxes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
