/* test_import.c - `meldpunt import --format chicago311` on the shared 5,000-row
 * Chicago export: how many of the city's own duplicate pairs our clustering
 * folds together, that a second import adds nothing, that reports keep their
 * original (local Chicago) creation time, and that a broken file is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

/* The lead measured 55 of 62 city duplicate pairs (88.7%) in the parent's
 * cluster on this file. The floor leaves room for clustering changes that
 * trade a few pairs for better behaviour elsewhere, but catches a rule that
 * stops folding duplicates. */
#define DUP_FLOOR 0.80

static char group_dir[512];
static char db[600];
static char csv[1024];
static char *first_out; /* stdout of the first import */

/* The value of the summary line "KEY: VALUE" (matched at a line start). */
static const char *summary_value(const char *out, const char *key)
{
    size_t kl = strlen(key);
    for (const char *line = out; line && *line;) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':' && line[kl + 1] == ' ')
            return line + kl + 2;
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    fail_msg("import summary has no line '%s': %s", key, out);
    return NULL;
}

static long summary(const char *out, const char *key)
{
    return strtol(summary_value(out, key), NULL, 10);
}

static double summary_double(const char *out, const char *key)
{
    return strtod(summary_value(out, key), NULL);
}

static int group_setup(void **state)
{
    (void)state;
    it_tmpdir(group_dir, sizeof group_dir);
    it_db_make(group_dir, "import", db, sizeof db);
    snprintf(csv, sizeof csv, "%s/data/chicago/chicago_311_2021-01-01_02.csv", it_shared_dir());
    char *err = NULL;
    int rc = it_import(db, csv, &first_out, &err);
    if (rc != 0)
        fail_msg("import of %s failed with %d: %s%s", csv, rc, first_out, err);
    free(err);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(first_out);
    it_db_drop(db);
    it_rmrf(group_dir);
    return 0;
}

static void test_city_duplicates_folded(void **state)
{
    (void)state;
    long rows = summary(first_out, "rows"), imported = summary(first_out, "imported");
    long joined = summary(first_out, "joined existing cluster");
    long pairs = summary(first_out, "city duplicate pairs");
    long same = summary(first_out, "pairs in parent's cluster");
    double secs = summary_double(first_out, "seconds");
    print_message("import of %s:\n", csv);
    print_message("  rows %ld, imported %ld, joined %ld, %.3f s\n", rows, imported, joined,
                  secs);
    print_message("  city duplicate pairs %ld, in the parent's cluster %ld (%.1f%%; floor "
                  "%.0f%%)\n",
                  pairs, same, pairs ? 100.0 * (double)same / (double)pairs : 0.0,
                  100 * DUP_FLOOR);
    assert_int_equal(rows, 5000);
    assert_true(imported > 0);
    assert_true(pairs > 0);
    assert_true(same <= pairs);
    assert_true((double)same / (double)pairs >= DUP_FLOOR);
}

static void test_reimport_adds_nothing(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    assert_int_equal(it_import(db, csv, &out, &err), 0);
    long first = summary(first_out, "imported");
    print_message("second import: imported %ld, skipped already imported %ld\n",
                  summary(out, "imported"), summary(out, "skipped already imported"));
    assert_int_equal(summary(out, "imported"), 0);
    assert_int_equal(summary(out, "skipped already imported"), first);
    assert_int_equal(summary(out, "joined existing cluster"), 0);
    free(out);
    free(err);
    /* And the database agrees. */
    char *n = NULL;
    assert_int_equal(it_sqlite(db, "SELECT count(*) FROM reports;", &n), 0);
    assert_int_equal(strtol(n, NULL, 10), first);
    free(n);
}

/* ---- a small RFC 4180 reader for the expected values ---- */

struct csv {
    const char *p;
    char **f;
    size_t n, cap;
};

/* Next record into c->f (new strings); false at the end. */
static bool csv_next(struct csv *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->f[i]);
    c->n = 0;
    if (!*c->p)
        return false;
    for (;;) {
        size_t cap = 64, len = 0;
        char *v = malloc(cap);
        assert_non_null(v);
        bool quoted = *c->p == '"';
        if (quoted)
            c->p++;
        for (;;) {
            char ch = *c->p;
            if (!ch)
                break;
            if (quoted) {
                if (ch == '"' && c->p[1] == '"') {
                    c->p += 2;
                } else if (ch == '"') {
                    c->p++;
                    quoted = false;
                    continue;
                } else {
                    c->p++;
                }
            } else {
                if (ch == ',' || ch == '\n' || ch == '\r')
                    break;
                c->p++;
            }
            if (len + 2 > cap) {
                cap *= 2;
                v = realloc(v, cap);
                assert_non_null(v);
            }
            v[len++] = ch;
        }
        v[len] = '\0';
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->f = realloc(c->f, c->cap * sizeof *c->f);
            assert_non_null(c->f);
        }
        c->f[c->n++] = v;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '\r')
            c->p++;
        if (*c->p == '\n')
            c->p++;
        return true;
    }
}

static size_t col(const struct csv *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->f[i], name) == 0)
            return i;
    fail_msg("the CSV has no column %s", name);
    return 0;
}

/* "2021-01-01T00:00:09.000" (Chicago local, January: UTC-6) -> Unix seconds UTC. */
static int64_t chicago_january(const char *s)
{
    char iso[32];
    snprintf(iso, sizeof iso, "%.19sZ", s);
    int64_t t = it_parse_utc(iso);
    if (t < 0)
        fail_msg("unexpected created_date %s", s);
    return t + 6 * 3600;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_created_times_kept(void **state)
{
    (void)state;
    /* Expected: every row's "address|UTC time" and UTC time. */
    char *text = it_read_file(csv, NULL);
    assert_non_null(text);
    struct csv c = {.p = text};
    assert_true(csv_next(&c));
    size_t ci = col(&c, "created_date"), ai = col(&c, "street_address");
    size_t cap = 8192, nkeys = 0;
    char **keys = malloc(cap * sizeof *keys);
    assert_non_null(keys);
    while (csv_next(&c)) {
        if (c.n <= ci || c.n <= ai)
            continue;
        int64_t t = chicago_january(c.f[ci]);
        char iso[32];
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        size_t al = strlen(c.f[ai]), il = strlen(iso);
        char *k = malloc(al + il + 2);
        assert_non_null(k);
        memcpy(k, c.f[ai], al);
        k[al] = '|';
        memcpy(k + al + 1, iso, il + 1);
        if (nkeys == cap) {
            cap *= 2;
            keys = realloc(keys, cap * sizeof *keys);
            assert_non_null(keys);
        }
        keys[nkeys++] = k;
    }
    csv_next(&c); /* frees the last record */
    free(c.f);
    free(text);
    qsort(keys, nkeys, sizeof *keys, cmp_key);

    struct it_server s;
    it_server_init(&s);
    it_server_copy_db(&s, db);
    it_server_start(&s);
    json_t *fc = it_get_json(&s, "/api/v1/reports?since=2021-01-01&until=2021-01-03&limit=5000");
    json_t *feats = json_object_get(fc, "features");
    long imported = summary(first_out, "imported");
    assert_int_equal(json_array_size(feats), imported);
    assert_true(json_is_null(json_object_get(fc, "next_cursor")));
    /* The file runs from 2021-01-01 00:00 to 2021-01-02 16:26 Chicago time. */
    const int64_t lo = it_parse_utc("2021-01-01T06:00:00Z");
    const int64_t hi = it_parse_utc("2021-01-02T22:27:00Z");
    size_t i, with_address = 0, matched = 0;
    json_t *ft;
    json_array_foreach(feats, i, ft)
    {
        const char *created = json_string_value(it_jpath(ft, "properties.created_at"));
        int64_t t = it_parse_utc(created);
        if (t < lo || t >= hi)
            fail_msg("report %lld created %s: outside 2021-01-01T06:00Z..2021-01-02T22:27Z",
                     (long long)json_integer_value(json_object_get(ft, "id")),
                     created ? created : "(none)");
        json_t *addr = it_jpath(ft, "properties.address");
        if (!json_is_string(addr))
            continue;
        with_address++;
        char key[512];
        snprintf(key, sizeof key, "%s|%s", json_string_value(addr), created);
        const char *kp = key;
        if (bsearch(&kp, keys, nkeys, sizeof *keys, cmp_key))
            matched++;
        else
            print_error("no CSV row with street_address|created (UTC-6) = %s\n", key);
    }
    print_message("%zu reports, %zu with an address, %zu matched to their CSV row\n",
                  json_array_size(feats), with_address, matched);
    assert_true(with_address > (size_t)imported * 9 / 10);
    assert_int_equal(matched, with_address);
    json_decref(fc);

    /* Nothing is dated before Chicago's midnight (06:00Z). */
    fc = it_get_json(&s, "/api/v1/reports?until=2021-01-01T06:00:00Z");
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 0);
    json_decref(fc);

    for (size_t k = 0; k < nkeys; k++)
        free(keys[k]);
    free(keys);
    int rc = it_server_stop(&s);
    it_server_cleanup(&s);
    assert_int_equal(rc, 0);
}

static void test_missing_column_refused(void **state)
{
    (void)state;
    char dir[512], bad[600], bad_db[600];
    it_tmpdir(dir, sizeof dir);
    snprintf(bad, sizeof bad, "%s/no_latitude.csv", dir);
    snprintf(bad_db, sizeof bad_db, "%s/db.sqlite", dir);
    /* The real header and first rows, without the latitude column. */
    static const char text[] =
        "sr_number,sr_type,status,origin,created_date,closed_date,street_address,duplicate,"
        "parent_sr_number,longitude\n"
        "SR21-00000010,Pothole in Street Complaint,Open,Phone Call,2021-01-01T00:10:00.000,,"
        "800 N STATE ST,False,,-87.6282051\n";
    it_write_file(bad, text, sizeof text - 1);
    char *out = NULL, *err = NULL;
    int rc = it_import(bad_db, bad, &out, &err);
    print_message("missing column: exit %d, stderr: %s", rc, err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "latitude"));
    assert_non_null(strstr(err, "missing"));
    assert_null(strstr(out, "imported:"));
    free(out);
    free(err);

    /* A file that does not exist: also exit 1 with its name. */
    snprintf(bad, sizeof bad, "%s/nope.csv", dir);
    rc = it_import(bad_db, bad, &out, &err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(err, "nope.csv"));
    free(out);
    free(err);
    it_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_city_duplicates_folded),
        cmocka_unit_test(test_reimport_adds_nothing),
        cmocka_unit_test(test_created_times_kept),
        cmocka_unit_test(test_missing_column_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
