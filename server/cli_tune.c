/* cli_tune.c - `meldpunt tune-duplicates`: search each category's duplicate
 * rule on labelled files, cross-validated with folds by time (tune.h), and
 * write the pack's categories.json with the rules that scored better. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/cli.h"
#include "meldpunt/geo.h"
#include "meldpunt/import.h"
#include "meldpunt/streets.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tune.h"
#include "meldpunt/tz.h"

#define MAX_FILES 16

static void usage(FILE *out)
{
    fputs("usage: meldpunt tune-duplicates [--city DIR] [--format labelled|chicago311]\n"
          "                                [--folds K] [--output FILE] FILE...\n"
          "\n"
          "Chooses each category's duplicate rule from labelled reports. The reports of\n"
          "the FILEs are replayed in memory as an import would (time order, the source's\n"
          "closures, addresses placed on their streets), once for every rule in a grid:\n"
          "rule point, street or address; radius_m 10-250; along_m 50-300; window_days\n"
          "1-84; fixed_absorb_days 0-3; address_span 0-80 numbers, with or without the\n"
          "side. Each is scored by F1 of 'joined an existing cluster' against the\n"
          "duplicate flag, cross-validated with K folds by time (default 5): every\n"
          "stretch of time is scored by the rule chosen on the others, so no rule is\n"
          "scored on the rows it was chosen on.\n"
          "\n"
          "Prints, per category, the pack's current rule and the rule chosen on all rows,\n"
          "each with its cross-validated F1, and writes the pack's categories.json with\n"
          "the chosen rules of the categories where the search scored better than the\n"
          "current rule (and that have at least 5 labelled duplicates) to FILE (default\n"
          "suggested-categories.json). Try it with `meldpunt eval-duplicates --rules FILE`.\n",
          out);
}

struct pack {
    struct mp_city *city;
    struct mp_tz *tz;
    struct mp_geo *geo;
    struct mp_streets *streets;
    struct mp_ctx ctx;
};

static void pack_free(struct pack *p)
{
    mp_streets_free(p->streets);
    mp_geo_free(p->geo);
    mp_tz_free(p->tz);
    mp_city_free(p->city);
}

static enum mp_status pack_load(const char *dir, struct pack *p, struct mp_error *err)
{
    enum mp_status rc;
    char path[1100];
    memset(p, 0, sizeof *p);
    if ((rc = mp_city_load(dir, &p->city, err)) ||
        (rc = mp_tz_load(p->city->timezone, &p->tz, err)) ||
        (rc = mp_geo_new(p->city->crs, &p->geo, err)))
        return rc;
    if (snprintf(path, sizeof path, "%s/streets.tsv", dir) >= (int)sizeof path)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "city folder path too long");
    if ((rc = mp_streets_load(path, p->geo, &p->streets, err)))
        return rc;
    p->ctx = (struct mp_ctx){.city = p->city, .tz = p->tz, .streets = p->streets, .geo = p->geo};
    return MP_OK;
}

/* "N:" in front of every id and parent of file N, so that files with the
 * same ids do not link each other's rows. */
static enum mp_status prefix_ids(struct mp_import_rows *r, size_t file)
{
    for (size_t i = 0; i < r->n; i++) {
        char *ids[2] = {r->v[i].id, r->v[i].parent};
        for (int k = 0; k < 2; k++) {
            if (!ids[k])
                continue;
            size_t len = strlen(ids[k]) + 24;
            char *s = malloc(len);
            if (!s)
                return MP_ENOMEM;
            snprintf(s, len, "%zu:%s", file, ids[k]);
            free(ids[k]);
            if (k == 0)
                r->v[i].id = s;
            else
                r->v[i].parent = s;
        }
    }
    return MP_OK;
}

static enum mp_status read_files(struct pack *p, const char *format, char **files, size_t nf,
                                 struct mp_import_rows *all, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    memset(all, 0, sizeof *all);
    for (size_t i = 0; i < nf && rc == MP_OK; i++) {
        struct mp_import_rows r;
        struct mp_import_stats st;
        memset(&st, 0, sizeof st);
        FILE *f = fopen(files[i], "rb");
        if (!f)
            return mp_fail(err, MP_EINVAL, "cannot_open", "cannot open %.200s: %.60s", files[i],
                           strerror(errno));
        rc = mp_import_read(&p->ctx, format, f, &r, &st, err);
        fclose(f);
        if (rc)
            break;
        if (nf > 1 && (rc = prefix_ids(&r, i + 1))) {
            mp_import_rows_free(&r);
            break;
        }
        struct mp_import_row *v = realloc(all->v, (all->n + r.n + 1) * sizeof *v);
        if (!v) {
            mp_import_rows_free(&r);
            rc = MP_ENOMEM;
            break;
        }
        all->v = v;
        memcpy(all->v + all->n, r.v, r.n * sizeof *r.v);
        all->n += r.n;
        free(r.v); /* the strings now belong to all */
    }
    if (rc)
        mp_import_rows_free(all);
    return rc;
}

/* The pack's categories.json with the chosen rules, to path. */
static int write_rules(const struct pack *p, const struct mp_category *chosen, const bool *change,
                       const char *path)
{
    char src[1100];
    json_error_t je;
    snprintf(src, sizeof src, "%s/categories.json", p->city->dir);
    json_t *root = json_load_file(src, 0, &je);
    json_t *arr = json_object_get(root, "categories");
    size_t i;
    json_t *o;
    int ret = 1;
    if (!root || !json_is_array(arr)) {
        fprintf(stderr, "meldpunt tune-duplicates: %s: %s\n", src,
                root ? "no categories" : je.text);
        goto out;
    }
    json_array_foreach(arr, i, o)
    {
        const struct mp_category *c =
            mp_city_category(p->city, json_string_value(json_object_get(o, "code")));
        size_t ci = c ? (size_t)(c - p->city->categories) : 0;
        if (c && change[ci] && mp_city_rule_json(&chosen[ci], o) != MP_OK)
            goto out;
    }
    if (json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
        fprintf(stderr, "meldpunt tune-duplicates: cannot write %s\n", path);
        goto out;
    }
    ret = 0;
out:
    json_decref(root);
    return ret;
}

static void add(struct mp_tune_counts *a, const struct mp_tune_counts *b)
{
    a->tp += b->tp;
    a->fp += b->fp;
    a->fn += b->fn;
}

int mp_cli_tune(struct mp_config *cfg, int argc, char **argv)
{
    const char *format = "labelled", *output = "suggested-categories.json";
    char *files[MAX_FILES];
    size_t nfiles = 0;
    long folds = 5;
    int ret = 1;
    struct mp_error err = {{0}, {0}};
    struct pack p;
    struct mp_import_rows rows = {0};
    struct mp_tune_data *d = NULL;
    struct mp_category *chosen = NULL;
    bool *change = NULL;
    memset(&p, 0, sizeof p);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strcmp(argv[i], "--city") == 0 && i + 1 < argc) {
            snprintf(cfg->city_dir, sizeof cfg->city_dir, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (strcmp(argv[i], "--folds") == 0 && i + 1 < argc) {
            char *end;
            folds = strtol(argv[++i], &end, 10);
            if (*end || folds < 2 || folds > 20) {
                fprintf(stderr, "meldpunt tune-duplicates: --folds must be 2 to 20\n");
                return 2;
            }
        } else if (argv[i][0] != '-' && nfiles < MAX_FILES) {
            files[nfiles++] = argv[i];
        } else {
            fprintf(stderr, "meldpunt tune-duplicates: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!nfiles) {
        usage(stderr);
        return 2;
    }
    if (pack_load(cfg->city_dir, &p, &err) || read_files(&p, format, files, nfiles, &rows, &err) ||
        mp_tune_prepare(&p.ctx, &rows, (unsigned)folds, &d, &err)) {
        fprintf(stderr, "meldpunt tune-duplicates: %s\n", err.text);
        goto out;
    }
    const struct mp_city *city = p.city;
    chosen = calloc(city->ncategories + 1, sizeof *chosen);
    change = calloc(city->ncategories + 1, sizeof *change);
    if (!chosen || !change)
        goto out;
    int64_t first, last;
    char t0[32], t1[32], cur[120], best[120];
    size_t n = mp_tune_count(d, &first, &last);
    mp_time_format(first, t0, sizeof t0);
    mp_time_format(last, t1, sizeof t1);
    printf("%zu reports from %s to %s, %ld folds by time; F1 cross-validated "
           "(each fold scored by the rule chosen on the others)\n\n",
           n, t0, t1, folds);
    printf("%-24s %7s %7s  %-58s %6s  %-58s %6s\n", "category", "reports", "labeled",
           "current rule", "F1", "chosen rule", "F1");
    struct mp_tune_counts all_cur = {0, 0, 0}, all_new = {0, 0, 0};
    size_t nchanged = 0;
    for (size_t ci = 0; ci < city->ncategories; ci++) {
        struct mp_tune_result r;
        if (mp_tune_category(d, ci, &r) != MP_OK) {
            fprintf(stderr, "meldpunt tune-duplicates: out of memory\n");
            goto out;
        }
        if (r.reports == 0)
            continue;
        chosen[ci] = r.best;
        /* Adopt the search only where it scored better, held out. */
        change[ci] = r.enough && mp_tune_f1(&r.cv) > mp_tune_f1(&r.current);
        nchanged += change[ci];
        add(&all_cur, &r.current);
        add(&all_new, change[ci] ? &r.cv : &r.current);
        mp_tune_describe(&city->categories[ci], cur, sizeof cur);
        mp_tune_describe(&r.best, best, sizeof best);
        if (!r.enough)
            snprintf(best, sizeof best, "(keeps its rule: %ld labels < %d)", r.labelled,
                     MP_TUNE_MIN_LABELS);
        else if (!change[ci]) {
            static const char tail[] = " (not better)";
            size_t bl = strlen(best);
            if (bl + sizeof tail <= sizeof best) /* whole or not at all */
                memcpy(best + bl, tail, sizeof tail);
        }
        printf("%-24s %7ld %7ld  %-58s %6.3f  %-58s", city->categories[ci].code, r.reports,
               r.labelled, cur, mp_tune_f1(&r.current), best);
        if (r.enough)
            printf(" %6.3f", mp_tune_f1(&r.cv));
        printf("\n");
    }
    printf("%-24s %7zu %7s  %-58s %6.3f  %-58s %6.3f\n", "all categories", n, "", "current rules",
           mp_tune_f1(&all_cur), "chosen where better", mp_tune_f1(&all_new));
    if (write_rules(&p, chosen, change, output))
        goto out;
    printf("\nwrote %s: the pack's categories.json with the chosen rules of %zu "
           "categor%s\n",
           output, nchanged, nchanged == 1 ? "y" : "ies");
    ret = 0;
out:
    free(chosen);
    free(change);
    mp_tune_free(d);
    mp_import_rows_free(&rows);
    pack_free(&p);
    return ret;
}
