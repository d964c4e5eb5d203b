/* cli_eval.c - `meldpunt eval-duplicates`: replay a labelled file through
 * the real clustering code (the import path, into a temporary database)
 * under the pack's rules, other rules files and plain baselines, and score
 * each against the file's labels, in total and per category. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meldpunt/app.h"
#include "meldpunt/city.h"
#include "meldpunt/cli.h"
#include "meldpunt/import.h"

#define MAX_RULES_FILES 4
#define MAX_VARIANTS (MAX_RULES_FILES + 4)

static void usage(FILE *out)
{
    fputs("usage: meldpunt eval-duplicates [--city DIR] [--format labelled|chicago311]\n"
          "                                [--rules FILE]... [--baselines] FILE\n"
          "\n"
          "Replays the reports of FILE in time order through the duplicate folding of the\n"
          "city pack (in a temporary database, closing clusters when the file says the\n"
          "source closed them) and scores it against the file's labels: precision, recall\n"
          "and F1 of 'joined an existing cluster' against the duplicate flag, pairwise\n"
          "scores over the parent links the file knows, and how many of the source's\n"
          "duplicate links end in their parent's cluster. Then the same per category,\n"
          "and each category's F1 under every rule set side by side.\n"
          "\n"
          "--rules FILE  also score the rules of another categories.json (up to 4; e.g.\n"
          "              the one `meldpunt tune-duplicates` suggests), matched by code\n"
          "--baselines   also score plain rules for every category: FixMyStreet's hint\n"
          "              (point 250 m), Signalen's (point 50 m), both over 12 weeks, and\n"
          "              the address alone (same street, numbers within 40, 12 weeks)\n"
          "\n"
          "The labelled format is described in README.md.\n",
          out);
}

enum kind { PACK, RULES, POINT, ADDRESS };

struct variant {
    char name[64];
    enum kind kind;
    const char *file; /* RULES */
    double radius_m;  /* POINT */
    int span;         /* ADDRESS */
    struct mp_import_stats st;
};

static double ratio(long a, long b) { return b ? (double)a / (double)b : 0.0; }
static double f1(double p, double r) { return p + r > 0 ? 2 * p * r / (p + r) : 0.0; }

/* Put the variant's rules into the city's categories. */
static int set_rules(struct mp_city *city, const struct variant *v)
{
    struct mp_error err = {{0}, {0}};
    size_t applied;
    if (v->kind == RULES && mp_city_apply_rules(city, v->file, &applied, &err) != MP_OK) {
        fprintf(stderr, "meldpunt eval-duplicates: %s\n", err.text);
        return 1;
    }
    for (size_t i = 0; v->kind >= POINT && i < city->ncategories; i++) {
        struct mp_category *c = &city->categories[i];
        c->window_days = 84;
        c->fixed_absorb_days = 0;
        c->address_side = false;
        c->along_m = 0;
        if (v->kind == POINT) {
            c->rule = MP_RULE_POINT;
            c->radius_m = v->radius_m;
            c->address_span = 0;
        } else {
            /* The numbers alone: a radius no distance meets. */
            c->rule = MP_RULE_ADDRESS;
            c->radius_m = -1;
            c->address_span = v->span;
        }
    }
    return 0;
}

static int run_variant(struct mp_config *cfg, struct variant *v, const char *format,
                       const char *file)
{
    char dir[] = "/tmp/meldpunt-eval-XXXXXX", path[128];
    struct mp_error err = {{0}, {0}};
    struct mp_app *app = NULL;
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
    if (set_rules(app->city, v))
        goto out;
    struct mp_ctx *ctx = mp_app_acquire(app);
    enum mp_status rc = mp_import_csv(ctx, format, f, &v->st, &err);
    mp_app_release(app, ctx);
    if (rc) {
        fprintf(stderr, "meldpunt eval-duplicates: %s\n", err.text);
        goto out;
    }
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

static void print_head(const char *first)
{
    printf("%-40s %7s %6s %7s %9s %6s %6s %6s %6s %7s %11s\n", first, "reports", "joined",
           "labeled", "precision", "recall", "F1", "pair P", "pair R", "pair F1", "parent kept");
}

static void print_score(const char *name, const struct mp_import_score *s)
{
    double p = ratio(s->tp, s->tp + s->fp), r = ratio(s->tp, s->tp + s->fn);
    double pp = ratio(s->pairs_correct, s->pairs_predicted),
           pr = ratio(s->pairs_correct, s->pairs_labelled);
    printf("%-40s %7ld %6ld %7ld %9.3f %6.3f %6.3f %6.3f %6.3f %7.3f %5ld/%-5ld\n", name,
           s->imported, s->joined, s->tp + s->fn, p, r, f1(p, r), pp, pr, f1(pp, pr),
           s->dup_pairs_same_cluster, s->dup_pairs);
}

static struct mp_import_score totals(const struct mp_import_stats *st)
{
    return (struct mp_import_score){st->imported,
                                    st->joined,
                                    st->tp,
                                    st->fp,
                                    st->fn,
                                    st->tn,
                                    st->dup_pairs,
                                    st->dup_pairs_same_cluster,
                                    st->pairs_predicted,
                                    st->pairs_labelled,
                                    st->pairs_correct};
}

static double f1_of(const struct mp_import_score *s)
{
    return f1(ratio(s->tp, s->tp + s->fp), ratio(s->tp, s->tp + s->fn));
}

/* Short column titles for the side-by-side table. */
static void column_name(const struct variant *v, char *out, size_t cap)
{
    if (v->kind == PACK)
        snprintf(out, cap, "pack");
    else if (v->kind == RULES) {
        const char *b = strrchr(v->file, '/');
        snprintf(out, cap, "%.9s", b ? b + 1 : v->file);
    } else if (v->kind == POINT)
        snprintf(out, cap, "%ld m", lround(v->radius_m));
    else
        snprintf(out, cap, "addr %d", v->span);
}

static void print_tables(const struct mp_city *city, const struct variant *vs, size_t nv)
{
    char name[64];
    print_head("rule");
    for (size_t i = 0; i < nv; i++) {
        struct mp_import_score t = totals(&vs[i].st);
        print_score(vs[i].name, &t);
    }
    printf("\nper category, %s:\n", vs[0].name);
    print_head("category");
    for (size_t c = 0; c < city->ncategories && c < MP_IMPORT_MAX_CATEGORIES; c++)
        if (vs[0].st.per_category[c].imported)
            print_score(city->categories[c].code, &vs[0].st.per_category[c]);
    if (nv < 2)
        return;
    printf("\nF1 per category (labeled = rows the source marked duplicate):\n");
    printf("%-26s %7s %7s", "category", "reports", "labeled");
    for (size_t i = 0; i < nv; i++) {
        column_name(&vs[i], name, sizeof name);
        printf(" %9s", name);
    }
    printf("\n");
    for (size_t c = 0; c < city->ncategories && c < MP_IMPORT_MAX_CATEGORIES; c++) {
        const struct mp_import_score *s0 = &vs[0].st.per_category[c];
        if (!s0->imported)
            continue;
        printf("%-26s %7ld %7ld", city->categories[c].code, s0->imported, s0->tp + s0->fn);
        for (size_t i = 0; i < nv; i++)
            printf(" %9.3f", f1_of(&vs[i].st.per_category[c]));
        printf("\n");
    }
}

int mp_cli_eval(struct mp_config *cfg, int argc, char **argv)
{
    const char *format = "labelled", *file = NULL;
    const char *rules[MAX_RULES_FILES];
    size_t nrules = 0;
    bool baselines = false;
    int ret = 1;
    struct mp_error err = {{0}, {0}};
    struct mp_city *city = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strcmp(argv[i], "--city") == 0 && i + 1 < argc) {
            snprintf(cfg->city_dir, sizeof cfg->city_dir, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc) {
            if (nrules == MAX_RULES_FILES) {
                fprintf(stderr, "meldpunt eval-duplicates: at most %d --rules files\n",
                        MAX_RULES_FILES);
                return 2;
            }
            rules[nrules++] = argv[++i];
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
    struct variant *vs = calloc(MAX_VARIANTS, sizeof *vs);
    if (!vs)
        return 1;
    size_t nv = 0;
    vs[nv++] = (struct variant){.name = "meldpunt (city pack rules)", .kind = PACK};
    for (size_t i = 0; i < nrules; i++) {
        vs[nv] = (struct variant){.kind = RULES, .file = rules[i]};
        snprintf(vs[nv].name, sizeof vs[nv].name, "rules: %.50s", rules[i]);
        nv++;
    }
    if (baselines) {
        vs[nv++] = (struct variant){
            .name = "baseline: point 250 m, 12 weeks", .kind = POINT, .radius_m = 250};
        vs[nv++] = (struct variant){
            .name = "baseline: point 50 m, 12 weeks", .kind = POINT, .radius_m = 50};
        vs[nv++] = (struct variant){
            .name = "baseline: same street, numbers +-40", .kind = ADDRESS, .span = 40};
    }
    for (size_t i = 0; i < nv; i++)
        if (run_variant(cfg, &vs[i], format, file))
            goto out;
    if (mp_city_load(cfg->city_dir, &city, &err) != MP_OK) {
        fprintf(stderr, "meldpunt eval-duplicates: %s\n", err.text);
        goto out;
    }
    print_tables(city, vs, nv);
    ret = 0;
out:
    mp_city_free(city);
    free(vs);
    return ret;
}
