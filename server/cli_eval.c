/* cli_eval.c - `meldpunt eval-duplicates`: replay a labelled file through
 * the real clustering code in a temporary database and score it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meldpunt/app.h"
#include "meldpunt/city.h"
#include "meldpunt/cli.h"
#include "meldpunt/import.h"

static void usage(FILE *out)
{
    fputs("usage: meldpunt eval-duplicates [--city DIR] [--format labelled|chicago311]\n"
          "                                [--baselines] FILE\n"
          "\n"
          "Replays the reports of FILE in time order through the duplicate folding of the\n"
          "city pack (in a temporary database) and scores it against the file's labels:\n"
          "precision, recall and F1 of 'joined an existing cluster' against the duplicate\n"
          "flag, and pairwise scores over the parent links the file knows.\n"
          "--baselines also scores plain point rules (250 m and 50 m, 12 weeks) on the\n"
          "same data. The labelled format is described in README.md.\n",
          out);
}

struct variant {
    const char *name;
    double radius_m; /* 0: the pack's own rules */
    int window_days;
};

static double ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }
static double f1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

static int run_variant(struct mp_config *cfg, const struct variant *v, const char *format,
                       const char *file, bool header)
{
    char dir[] = "/tmp/meldpunt-eval-XXXXXX", path[128];
    struct mp_error err = {{0}, {0}};
    struct mp_app *app = NULL;
    struct mp_import_stats st;
    int ret = 1;
    if (!mkdtemp(dir)) {
        fprintf(stderr, "meldpunt eval-duplicates: cannot create a temporary folder\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/eval.sqlite", dir);
    struct mp_config local = *cfg;
    snprintf(local.db_path, sizeof local.db_path, "%s", path);
    local.sync_full = false; /* a throw-away database: durability buys nothing */
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "meldpunt eval-duplicates: cannot open %s: %s\n", file, strerror(errno));
        goto out;
    }
    if (mp_app_open(&local, 1, false, &app, &err) != MP_OK) {
        fprintf(stderr, "meldpunt eval-duplicates: %s\n", err.text);
        goto out;
    }
    if (v->radius_m > 0) {
        for (size_t i = 0; i < app->city->ncategories; i++) {
            struct mp_category *c = &app->city->categories[i];
            c->rule = MP_RULE_POINT;
            c->radius_m = v->radius_m;
            c->window_days = v->window_days;
        }
    }
    struct mp_ctx *ctx = mp_app_acquire(app);
    enum mp_status rc = mp_import_csv(ctx, format, f, &st, &err);
    mp_app_release(app, ctx);
    if (rc) {
        fprintf(stderr, "meldpunt eval-duplicates: %s\n", err.text);
        goto out;
    }
    double p = ratio(st.tp, st.tp + st.fp), r = ratio(st.tp, st.tp + st.fn);
    double pp = ratio(st.pairs_correct, st.pairs_predicted),
           pr = ratio(st.pairs_correct, st.pairs_labelled);
    if (header)
        printf("%-34s %8s %7s %7s %9s %7s %6s %8s %8s %8s %11s\n", "rule", "reports", "joined",
               "labeled", "precision", "recall", "F1", "pair P", "pair R", "pair F1",
               "parent kept");
    printf("%-34s %8ld %7ld %7ld %9.3f %7.3f %6.3f %8.3f %8.3f %8.3f %5ld/%-5ld\n", v->name,
           st.imported, st.joined, st.tp + st.fn, p, r, f1(p, r), pp, pr, f1(pp, pr),
           st.dup_pairs_same_cluster, st.dup_pairs);
    ret = 0;
out:
    if (f)
        fclose(f);
    mp_app_close(app);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char p2[160];
        snprintf(p2, sizeof p2, "%s%s", path, suffix[i]);
        unlink(p2);
    }
    rmdir(dir);
    return ret;
}

int mp_cli_eval(struct mp_config *cfg, int argc, char **argv)
{
    const char *format = "labelled", *file = NULL;
    bool baselines = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strcmp(argv[i], "--city") == 0 && i + 1 < argc) {
            snprintf(cfg->city_dir, sizeof cfg->city_dir, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--baselines") == 0) {
            baselines = true;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            fprintf(stderr, "meldpunt eval-duplicates: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    static const struct variant variants[] = {
        {"meldpunt (city pack rules)", 0, 0},
        {"baseline: point 250 m, 12 weeks", 250, 84},
        {"baseline: point 50 m, 12 weeks", 50, 84},
    };
    size_t n = baselines ? 3 : 1;
    for (size_t i = 0; i < n; i++)
        if (run_variant(cfg, &variants[i], format, file, i == 0))
            return 1;
    return 0;
}
