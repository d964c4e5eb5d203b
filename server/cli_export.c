/* cli_export.c - `meldpunt export` (cli_export.h). */
#include "meldpunt/cli_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meldpunt/app.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/export.h"
#include "meldpunt/geom.h"
#include "meldpunt/region.h"
#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"

#define CHUNK (64 * 1024)

static void usage(FILE *out)
{
    fputs("usage: meldpunt export [--format geojson|geojsonseq|csv] [--what reports|clusters]\n"
          "                       [--bbox minLon,minLat,maxLon,maxLat] [--category C[,C...]]\n"
          "                       [--status S[,S...]] [--district D] [--since T] [--until T]\n"
          "                       [--internal] [--output FILE] [--db PATH] [--city DIR]\n"
          "\n"
          "Write reports or clusters as RFC 7946 GeoJSON (default), RFC 8142 GeoJSON text\n"
          "sequences or RFC 4180 CSV, streamed from the database: memory stays flat\n"
          "whatever the size. Public fields only, unless --internal adds the staff fields\n"
          "(district code, cluster id, channel, external id, join reason). Reporter\n"
          "contacts are never exported.\n"
          "\n"
          "  --format F       geojson, geojsonseq or csv (default geojson)\n"
          "  --what W         reports or clusters (default reports)\n"
          "  --status S       statuses, or the families open and resolved\n"
          "  --since/--until  ISO 8601 dates or times, UTC unless a zone is given\n"
          "  --output FILE    write to FILE instead of standard output\n"
          "  --db PATH|URL    SQLite file or postgresql:// URL (env MELDPUNT_DB;\n"
          "                   default var/meldpunt.sqlite)\n"
          "  --city DIR       city pack folder (env MELDPUNT_CITY; default geodata/chicago)\n",
          out);
}

struct args {
    const char *format, *what, *bbox, *category, *status, *district, *since, *until, *output;
    bool internal;
};

static int take(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "meldpunt export: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

static int parse_args(struct mp_config *cfg, int argc, char **argv, struct args *a)
{
    const struct {
        const char *name;
        const char **dst;
    } opts[] = {
        {"--format", &a->format}, {"--what", &a->what},         {"--bbox", &a->bbox},
        {"--category", &a->category}, {"--status", &a->status}, {"--district", &a->district},
        {"--since", &a->since},   {"--until", &a->until},       {"--output", &a->output},
    };
    struct mp_error err = {{0}, {0}};
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        bool done = false;
        for (size_t k = 0; k < sizeof opts / sizeof *opts && !done; k++) {
            if (strcmp(argv[i], opts[k].name) != 0)
                continue;
            if (take(argc, argv, &i, &v))
                return 2;
            *opts[k].dst = v;
            done = true;
        }
        if (done)
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(argv[i], "--internal") == 0) {
            a->internal = true;
        } else if (strcmp(argv[i], "--db") == 0) {
            if (take(argc, argv, &i, &v) ||
                mp_config_set_str(cfg->db_path, sizeof cfg->db_path, v, "--db", &err))
                goto bad;
        } else if (strcmp(argv[i], "--city") == 0) {
            if (take(argc, argv, &i, &v) ||
                mp_config_set_str(cfg->city_dir, sizeof cfg->city_dir, v, "--city", &err))
                goto bad;
        } else {
            fprintf(stderr, "meldpunt export: unknown option %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    return 0;
bad:
    if (err.text[0])
        fprintf(stderr, "meldpunt export: %s\n", err.text);
    return 2;
}

/* Split a comma list in place; items borrow from s. */
static enum mp_status split(char *s, const char **items, size_t *n, const char *what,
                            struct mp_error *err)
{
    *n = 0;
    for (char *tok = s, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (!*tok)
            return mp_fail(err, MP_EINVAL, "usage", "%s has an empty item", what);
        if (*n >= MP_QUERY_MAX_LIST)
            return mp_fail(err, MP_EINVAL, "usage", "%s lists too many items", what);
        items[(*n)++] = tok;
    }
    return MP_OK;
}

/* The filters, checked as the reports API checks them. Strings in q borrow
 * from the argument strings and from *lists (free() it). */
static enum mp_status build_query(const struct mp_city *city, const struct args *a,
                                  struct mp_query *q, char **lists, struct mp_error *err)
{
    enum mp_status rc;
    memset(q, 0, sizeof *q);
    *lists = NULL;
    if (a->bbox) {
        if ((rc = mp_bbox_parse(a->bbox, &q->bbox, err)))
            return rc;
        q->has_bbox = true;
    }
    size_t cl = a->category ? strlen(a->category) + 1 : 0;
    size_t sl = a->status ? strlen(a->status) + 1 : 0;
    if (cl + sl && !(*lists = malloc(cl + sl)))
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    if (a->category) {
        char *c = memcpy(*lists, a->category, cl);
        if ((rc = split(c, q->categories, &q->ncategories, "--category", err)))
            return rc;
        for (size_t i = 0; i < q->ncategories; i++)
            if (!mp_city_category(city, q->categories[i]))
                return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'",
                               q->categories[i]);
    }
    if (a->status) {
        char *s = memcpy(*lists + cl, a->status, sl);
        const char *items[MP_QUERY_MAX_LIST];
        size_t n;
        if ((rc = split(s, items, &n, "--status", err)))
            return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = mp_cluster_status_filter_add(q, items[i], err)))
                return rc;
    }
    if (a->district) {
        if (!mp_city_district(city, a->district))
            return mp_fail(err, MP_EINVAL, "unknown_district", "unknown district '%.32s'",
                           a->district);
        q->district = a->district;
    }
    if (a->since && mp_time_parse(a->since, 0, &q->since) != MP_OK)
        return mp_fail(err, MP_EINVAL, "usage", "--since must be an ISO 8601 date or time");
    if (a->until && mp_time_parse(a->until, 0, &q->until) != MP_OK)
        return mp_fail(err, MP_EINVAL, "usage", "--until must be an ISO 8601 date or time");
    if (q->since && q->until && q->since >= q->until)
        return mp_fail(err, MP_EINVAL, "usage", "--since must be before --until");
    return MP_OK;
}

int mp_cli_export(struct mp_config *cfg, int argc, char **argv)
{
    struct args a = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_export_opts o = {0};
    struct mp_app *app = NULL;
    struct mp_export *x = NULL;
    struct mp_query q;
    char *lists = NULL, *chunk = NULL;
    FILE *out = NULL;
    int ret = 1;
    int pr = parse_args(cfg, argc, argv, &a);
    if (pr)
        return pr < 0 ? 0 : pr;
    if ((a.format && mp_export_format_parse(a.format, &o.format, &err)) ||
        (a.what && mp_export_what_parse(a.what, &o.what, &err))) {
        fprintf(stderr, "meldpunt export: %s\n", err.text);
        return 2;
    }
    o.internal = a.internal;
    /* Opening the app would create an empty database: exporting from a
     * mistyped path must fail instead. */
    struct stat sb;
    if (!mp_store_location_is_url(cfg->db_path) && stat(cfg->db_path, &sb) != 0) {
        fprintf(stderr, "meldpunt export: no database at %s: %s\n", cfg->db_path,
                strerror(errno));
        return 1;
    }
    /* The app brings the city pack (names, validation) and upgrades an older
     * schema; the rows come through the cursor's own connection. */
    if (mp_app_open(cfg, 1, false, &app, &err) != MP_OK) {
        fprintf(stderr, "meldpunt export: %s\n", err.text);
        goto out;
    }
    o.city = app->city;
    o.with_municipality = app->region && !app->region->of_one; /* as the API does */
    if (build_query(app->city, &a, &q, &lists, &err)) {
        fprintf(stderr, "meldpunt export: %s\n", err.text);
        ret = 2;
        goto out;
    }
    if (mp_export_open_path(cfg->db_path, &q, &o, &x, &err) != MP_OK) {
        fprintf(stderr, "meldpunt export: %s\n", err.text[0] ? err.text : "out of memory");
        goto out;
    }
    out = a.output && strcmp(a.output, "-") != 0 ? fopen(a.output, "wb") : stdout;
    if (!out) {
        fprintf(stderr, "meldpunt export: cannot create %s: %s\n", a.output, strerror(errno));
        goto out;
    }
    chunk = malloc(CHUNK);
    if (!chunk) {
        fprintf(stderr, "meldpunt export: out of memory\n");
        goto out;
    }
    long n;
    while ((n = mp_export_read(x, chunk, CHUNK)) > 0) {
        if (fwrite(chunk, 1, (size_t)n, out) != (size_t)n) {
            fprintf(stderr, "meldpunt export: write failed: %s\n", strerror(errno));
            goto out;
        }
    }
    if (n < 0) {
        fprintf(stderr, "meldpunt export: reading the database failed; the output is "
                        "incomplete\n");
        goto out;
    }
    if (fflush(out) != 0) {
        fprintf(stderr, "meldpunt export: write failed: %s\n", strerror(errno));
        goto out;
    }
    if (a.output)
        fprintf(stderr, "meldpunt export: %zu %s written to %s\n", mp_export_rows(x),
                o.what == MP_EXPORT_CLUSTERS ? "clusters" : "reports", a.output);
    ret = 0;
out:
    if (out && out != stdout && fclose(out) != 0 && ret == 0) {
        fprintf(stderr, "meldpunt export: write failed: %s\n", strerror(errno));
        ret = 1;
    }
    free(chunk);
    mp_export_free(x);
    free(lists);
    mp_app_close(app);
    return ret;
}
