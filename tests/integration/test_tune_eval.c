/* test_tune_eval.c - `meldpunt tune-duplicates` and `meldpunt eval-duplicates`
 * on a small labelled file (tests/fixtures/labelled/small.csv, made by
 * generate.py beside it): ten days of traffic signal outages that the crews
 * fix within hours (and that the city labels as a new request once fixed),
 * and potholes along W Fullerton Ave reported by house number. The tuner
 * must find that a fixed signal should not absorb the next outage, write it
 * into a copy of the pack's categories.json, and eval-duplicates must score
 * that file side by side with the pack's rules and the baselines. The
 * closures are the file's closed_at: without them the same rules score
 * differently, which shows that the replay closes clusters.
 *
 * The commands run on a copy of the Chicago pack whose traffic_signal_out
 * rule is set to what it was before it was tuned (point 60 m, 7 days,
 * absorbing 1 day after a fix), so that the test does not depend on the
 * pack's current values. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

static char dir[512], city[1024], fixture[1024], rules[700];

/* dir/pack: links to the Chicago pack's files, and its categories.json
 * with traffic_signal_out's rule as it was before tuning. */
static void make_pack(void)
{
    char src[1024], from[1400], to[1400];
    snprintf(src, sizeof src, "%s/geodata/chicago", it_source_dir());
    snprintf(city, sizeof city, "%s/pack", dir);
    if (mkdir(city, 0700) != 0)
        fail_msg("mkdir %s failed", city);
    DIR *d = opendir(src);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "categories.json") == 0)
            continue;
        snprintf(from, sizeof from, "%s/%s", src, e->d_name);
        snprintf(to, sizeof to, "%s/%s", city, e->d_name);
        if (symlink(from, to) != 0)
            fail_msg("symlink %s failed", to);
    }
    closedir(d);
    snprintf(from, sizeof from, "%s/categories.json", src);
    snprintf(to, sizeof to, "%s/categories.json", city);
    json_error_t je;
    json_t *root = json_load_file(from, 0, &je), *c;
    assert_non_null(root);
    size_t i;
    json_array_foreach(json_object_get(root, "categories"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "code")), "traffic_signal_out") != 0)
            continue;
        json_object_set_new(c, "rule", json_string("point"));
        json_object_set_new(c, "radius_m", json_integer(60));
        json_object_set_new(c, "along_m", json_integer(0));
        json_object_set_new(c, "address_span", json_integer(0));
        json_object_set_new(c, "window_days", json_integer(7));
        json_object_set_new(c, "fixed_absorb_days", json_integer(1));
    }
    assert_int_equal(json_dump_file(root, to, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
    json_decref(root);
}

/* The line of out that starts with prefix (borrowed), or fail. */
static const char *line_of(const char *out, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, n) == 0)
            return l;
    fail_msg("no line starting '%s' in:\n%s", prefix, out);
    return NULL;
}

/* The F1 column (the 6th number after the name) of an eval row. */
static double eval_f1(const char *out, const char *row)
{
    const char *l = line_of(out, row) + strlen(row);
    long reports, joined, labelled;
    double p, r, f;
    if (sscanf(l, "%ld %ld %ld %lf %lf %lf", &reports, &joined, &labelled, &p, &r, &f) != 6)
        fail_msg("cannot read the scores of '%s': %.200s", row, l);
    return f;
}

static int run(const char *const *argv, char **out, char **err)
{
    *out = *err = NULL;
    return it_run(argv, out, err);
}

static int group_setup(void **state)
{
    (void)state;
    it_tmpdir(dir, sizeof dir);
    make_pack();
    snprintf(fixture, sizeof fixture, "%s/tests/fixtures/labelled/small.csv", it_source_dir());
    snprintf(rules, sizeof rules, "%s/suggested.json", dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    it_rmrf(dir);
    return 0;
}

static void test_tune_chooses_and_writes(void **state)
{
    (void)state;
    char *out, *err;
    const char *argv[] = {it_binary(), "tune-duplicates", "--city", city, "--output", rules,
                          fixture, NULL};
    int rc = run(argv, &out, &err);
    if (rc != 0)
        fail_msg("tune-duplicates exit %d: %s%s", rc, out, err);
    print_message("%s", out);
    assert_non_null(strstr(out, "160 reports from 2021-01-01T08:00:00Z to 2021-01-10T18:00:00Z, "
                                "5 folds by time"));
    /* The current rule absorbs for a day after a fix; the chosen one does
     * not, and scores better held out. */
    const char *l = line_of(out, "traffic_signal_out ");
    long reports, labelled;
    assert_int_equal(sscanf(l, "traffic_signal_out %ld %ld", &reports, &labelled), 2);
    assert_int_equal(reports, 100);
    assert_int_equal(labelled, 60);
    assert_non_null(strstr(l, "point 60 m, 7 d, absorb 1 d"));
    const char *chosen = strstr(l, "point 60 m, 7 d, absorb 0 d");
    assert_non_null(chosen);
    double cur_f1 = strtod(strstr(l, "absorb 1 d") + strlen("absorb 1 d"), NULL);
    double new_f1 = strtod(chosen + strlen("point 60 m, 7 d, absorb 0 d"), NULL);
    assert_true(new_f1 > cur_f1);
    /* A category without rows is not listed; every row is in the total. */
    assert_null(strstr(out, "\ngraffiti "));
    assert_non_null(line_of(out, "all categories               160"));
    assert_non_null(strstr(out, "wrote "));

    /* The written file is the pack's, with the chosen rules in it. */
    json_error_t je;
    json_t *root = json_load_file(rules, 0, &je);
    if (!root)
        fail_msg("%s: %s", rules, je.text);
    json_t *cats = json_object_get(root, "categories"), *c;
    size_t i, seen = 0;
    json_array_foreach(cats, i, c) {
        const char *code = json_string_value(json_object_get(c, "code"));
        if (strcmp(code, "traffic_signal_out") == 0) {
            assert_int_equal(json_integer_value(json_object_get(c, "fixed_absorb_days")), 0);
            assert_int_equal(json_integer_value(json_object_get(c, "radius_m")), 60);
            assert_string_equal(json_string_value(json_object_get(c, "rule")), "point");
            assert_false(json_is_true(json_object_get(c, "address_side")));
            seen++;
        } else if (strcmp(code, "graffiti") == 0) {
            /* Untouched: the pack's own values and fields. */
            assert_int_equal(json_integer_value(json_object_get(c, "radius_m")), 25);
            assert_null(json_object_get(c, "address_span"));
            assert_non_null(json_object_get(c, "attributes"));
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    assert_int_equal(json_array_size(cats), 26);
    json_decref(root);
    free(out);
    free(err);
}

static void test_eval_side_by_side(void **state)
{
    (void)state;
    char *out, *err;
    const char *argv[] = {it_binary(), "eval-duplicates", "--city", city, "--rules", rules,
                          "--baselines", fixture, NULL};
    int rc = run(argv, &out, &err);
    if (rc != 0)
        fail_msg("eval-duplicates exit %d: %s%s", rc, out, err);
    print_message("%s", out);
    double pack = eval_f1(out, "meldpunt (city pack rules)");
    char row[800];
    snprintf(row, sizeof row, "rules: %s", rules);
    double tuned = eval_f1(out, row);
    /* What the tuner chose scores better through the real import path. */
    assert_true(tuned > pack);
    assert_true(eval_f1(out, "baseline: point 250 m, 12 weeks") > 0);
    assert_true(eval_f1(out, "baseline: point 50 m, 12 weeks") > 0);
    assert_true(eval_f1(out, "baseline: same street, numbers +-40") > 0);
    /* Per category, and F1 per category side by side (5 columns). */
    assert_non_null(strstr(out, "per category, meldpunt (city pack rules):"));
    const char *l = line_of(strstr(out, "F1 per category"), "traffic_signal_out ");
    double f[5];
    long reports, labelled;
    assert_int_equal(sscanf(l, "traffic_signal_out %ld %ld %lf %lf %lf %lf %lf", &reports,
                            &labelled, &f[0], &f[1], &f[2], &f[3], &f[4]),
                     7);
    assert_true(f[1] > f[0]);
    free(out);
    free(err);
}

/* The same rules on the same reports without closed_at: the fixed signals
 * stay open, so the next outage joins them and the scores change. */
static void test_closures_are_replayed(void **state)
{
    (void)state;
    char *out, *err, path[700];
    size_t len;
    char *text = it_read_file(fixture, &len);
    assert_non_null(text);
    /* Drop the last column. */
    char *open_only = malloc(len + 1);
    assert_non_null(open_only);
    size_t o = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t ll = nl ? (size_t)(nl - line) : strlen(line);
        char *last = line + ll;
        while (last > line && *last != ',')
            last--;
        assert_true(last > line);
        memcpy(open_only + o, line, (size_t)(last - line));
        o += (size_t)(last - line);
        open_only[o++] = '\n';
        line += ll + (nl ? 1 : 0);
    }
    snprintf(path, sizeof path, "%s/open.csv", dir);
    it_write_file(path, open_only, o);
    free(open_only);
    free(text);
    const char *with[] = {it_binary(), "eval-duplicates", "--city", city, "--rules", rules,
                          fixture, NULL};
    const char *without[] = {it_binary(), "eval-duplicates", "--city", city, "--rules", rules,
                             path, NULL};
    char row[800];
    snprintf(row, sizeof row, "rules: %s", rules);
    assert_int_equal(run(with, &out, &err), 0);
    double closed = eval_f1(out, row);
    free(out);
    free(err);
    assert_int_equal(run(without, &out, &err), 0);
    double open = eval_f1(out, row);
    free(out);
    free(err);
    print_message("F1 with the closures %.3f, without %.3f\n", closed, open);
    assert_true(closed > open);

    /* An import replays them too, and says how many. */
    char db[700];
    snprintf(db, sizeof db, "%s/import.sqlite", dir);
    const char *imp[] = {it_binary(), "import", "--db", db, "--city", city, "--format", "labelled",
                         fixture, NULL};
    assert_int_equal(run(imp, &out, &err), 0);
    long changes = strtol(line_of(out, "status changes replayed: ") + 25, NULL, 10);
    free(out);
    free(err);
    char *n = NULL;
    assert_int_equal(it_sqlite(db, "SELECT count(*) FROM clusters WHERE status = 'fixed';", &n),
                     0);
    assert_true(changes > 0);
    assert_int_equal(strtol(n, NULL, 10), changes);
    free(n);
}

static void test_errors(void **state)
{
    (void)state;
    char *out, *err;
    const char *folds[] = {it_binary(), "tune-duplicates", "--folds", "1", fixture, NULL};
    assert_int_equal(run(folds, &out, &err), 2);
    assert_non_null(strstr(err, "--folds must be 2 to 20"));
    free(out);
    free(err);
    const char *missing[] = {it_binary(), "tune-duplicates", "--city", city,
                             "/nonexistent/file.csv", NULL};
    assert_int_equal(run(missing, &out, &err), 1);
    assert_non_null(strstr(err, "cannot open /nonexistent/file.csv"));
    free(out);
    free(err);
    const char *bad_rules[] = {it_binary(), "eval-duplicates", "--city", city, "--rules",
                               "/nonexistent/rules.json", fixture, NULL};
    assert_int_equal(run(bad_rules, &out, &err), 1);
    assert_non_null(strstr(err, "/nonexistent/rules.json"));
    free(out);
    free(err);
    const char *help[] = {it_binary(), "tune-duplicates", "--help", NULL};
    assert_int_equal(run(help, &out, &err), 0);
    assert_non_null(strstr(out, "folds by time"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tune_chooses_and_writes),
        cmocka_unit_test(test_eval_side_by_side),
        cmocka_unit_test(test_closures_are_replayed),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
