#include "meldpunt/import.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meldpunt/city.h"
#include "meldpunt/csv.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"

#define BATCH 1000
#define MAX_ROWS 20000000L

/* A row while reading and replaying: the public row and its label group. */
typedef struct mp_import_row row_t;

struct event {
    int64_t at;
    size_t row;
    bool closing;
};

enum col { C_SR, C_TYPE, C_STATUS, C_ORIGIN, C_CREATED, C_CLOSED, C_ADDR, C_DUP, C_PARENT,
           C_LAT, C_LON, C__N };
static const char *const chicago_cols[C__N] = {
    "sr_number", "sr_type", "status", "origin", "created_date", "closed_date",
    "street_address", "duplicate", "parent_sr_number", "latitude", "longitude"};
/* The generic labelled format (NULL: no such column). */
static const char *const labelled_cols[C__N] = {
    "id", "category", NULL, NULL, "time", "closed_at", "address", "duplicate", "parent_id",
    "lat", "lon"};

/* Columns a labelled file may leave out. */
static bool optional_col(bool labelled, int c)
{
    return labelled && (c == C_ADDR || c == C_PARENT || c == C_CLOSED);
}

static bool truthy(const char *s)
{
    return strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcasecmp(s, "yes") == 0 ||
           strcasecmp(s, "t") == 0;
}

/* A category by pack code, else by any source name the pack maps. */
static const struct mp_category *category_any(const struct mp_city *city, const char *name)
{
    const struct mp_category *c = mp_city_category(city, name);
    for (size_t i = 0; !c && i < city->ncategories; i++)
        for (size_t j = 0; j < city->categories[i].nsources; j++)
            if (strcmp(city->categories[i].sources[j].name, name) == 0)
                return &city->categories[i];
    return c;
}

static const char *channel_of(const char *origin)
{
    if (strcmp(origin, "Phone Call") == 0)
        return "phone";
    if (strcmp(origin, "Internet") == 0 || strcmp(origin, "Mobile Device") == 0)
        return "web";
    if (strncmp(origin, "spot-open311", 12) == 0 || strstr(origin, "Open311"))
        return "open311";
    if (strstr(origin, "mail") || strstr(origin, "Mail"))
        return "email";
    return "counter"; /* mass entry, alderman's office, staff apps */
}

static bool parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || end == s || *end || errno)
        return false;
    *out = v;
    return true;
}

bool mp_import_before(int64_t at_a, bool closing_a, size_t row_a, int64_t at_b, bool closing_b,
                      size_t row_b)
{
    if (at_a != at_b)
        return at_a < at_b;
    /* At the same instant, a report arrives before a closure. */
    if (closing_a != closing_b)
        return closing_b;
    return row_a < row_b;
}

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (mp_import_before(x->at, x->closing, x->row, y->at, y->closing, y->row))
        return -1;
    return mp_import_before(y->at, y->closing, y->row, x->at, x->closing, x->row) ? 1 : 0;
}

static int cmp_id(const void *a, const void *b)
{
    const row_t *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

void mp_import_rows_free(struct mp_import_rows *rows)
{
    for (size_t i = 0; i < rows->n; i++) {
        free(rows->v[i].id);
        free(rows->v[i].parent);
        free(rows->v[i].address);
    }
    free(rows->v);
    rows->v = NULL;
    rows->n = 0;
}

/* Local time of the export ("2021-01-01T00:00:09.000") to UTC. */
static bool local_time(const struct mp_tz *tz, const char *s, int64_t *out)
{
    int64_t t;
    if (mp_time_parse(s, 0, &t) != MP_OK)
        return false;
    /* A value with an explicit zone is already UTC-based: mp_time_parse
     * applied it. Chicago's exports carry none. */
    *out = strpbrk(s + 10, "Z+") ? t : mp_tz_local_to_utc(tz, t);
    return true;
}

enum mp_status mp_import_read(struct mp_ctx *ctx, const char *format, FILE *f,
                              struct mp_import_rows *out, struct mp_import_stats *st,
                              struct mp_error *err)
{
    enum mp_status rc;
    struct mp_csv_reader *r = NULL;
    row_t *rows = NULL;
    size_t n = 0, cap = 0, nf;
    size_t idx[C__N];
    out->v = NULL;
    out->n = 0;
    bool labelled = strcmp(format, "labelled") == 0;
    if (!labelled && strcmp(format, "chicago311") != 0)
        return mp_fail(err, MP_EINVAL, "invalid_format",
                       "unknown import format '%.40s' (chicago311 or labelled)", format);
    if ((rc = mp_csv_open(f, NULL, &r, err)))
        return rc;
    if ((rc = mp_csv_next(r, &nf, err))) {
        if (rc == MP_ENOTFOUND)
            rc = mp_fail(err, MP_EINVAL, "invalid_csv", "the file is empty");
        goto out;
    }
    const char *const *cols = labelled ? labelled_cols : chicago_cols;
    for (int c = 0; c < C__N; c++) {
        idx[c] = (size_t)-1;
        if (cols[c] && mp_csv_header_index(r, cols[c], &idx[c]) != MP_OK &&
            !optional_col(labelled, c)) {
            rc = mp_fail(err, MP_EINVAL, "invalid_csv", "column %s is missing", cols[c]);
            goto out;
        }
    }
    while ((rc = mp_csv_next(r, &nf, err)) == MP_OK) {
        const char *v[C__N];
        for (int c = 0; c < C__N; c++)
            v[c] = idx[c] == (size_t)-1 ? "" : mp_csv_field(r, idx[c], NULL);
        st->rows++;
        if (st->rows > MAX_ROWS) {
            rc = mp_fail(err, MP_ETOOBIG, "too_large", "more than %ld rows", MAX_ROWS);
            goto out;
        }
        if (strcmp(v[C_TYPE], "311 INFORMATION ONLY CALL") == 0) {
            st->skipped_info++;
            continue;
        }
        const struct mp_category *cat =
            labelled ? category_any(ctx->city, v[C_TYPE])
                     : mp_city_category_by_source(ctx->city, "chicago311", v[C_TYPE]);
        if (!cat) {
            st->skipped_type++;
            continue;
        }
        row_t row = {0};
        if (!parse_double(v[C_LAT], &row.lat) || !parse_double(v[C_LON], &row.lon)) {
            st->skipped_nocoord++;
            continue;
        }
        if (!local_time(ctx->tz, v[C_CREATED], &row.created) || !v[C_SR][0]) {
            st->skipped_invalid++;
            continue;
        }
        if (v[C_CLOSED][0] && !local_time(ctx->tz, v[C_CLOSED], &row.closed))
            row.closed = 0;
        row.category = cat;
        row.channel = channel_of(v[C_ORIGIN]);
        row.duplicate = truthy(v[C_DUP]);
        /* The labelled format's closure is a fixed job; Chicago says how. */
        if (labelled ? row.closed != 0 : strcmp(v[C_STATUS], "Completed") == 0)
            snprintf(row.final_status, sizeof row.final_status, "fixed");
        else if (!labelled && strcmp(v[C_STATUS], "Canceled") == 0)
            snprintf(row.final_status, sizeof row.final_status, "closed");
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            row_t *nr = realloc(rows, nc * sizeof *rows);
            if (!nr) {
                rc = MP_ENOMEM;
                goto out;
            }
            rows = nr;
            cap = nc;
        }
        row.id = strdup(v[C_SR]);
        row.parent = v[C_PARENT][0] ? strdup(v[C_PARENT]) : NULL;
        row.address = v[C_ADDR][0] ? strdup(v[C_ADDR]) : NULL;
        rows[n++] = row;
        if (!row.id || (v[C_PARENT][0] && !row.parent) || (v[C_ADDR][0] && !row.address)) {
            rc = MP_ENOMEM;
            goto out;
        }
    }
    if (rc == MP_ENOTFOUND)
        rc = MP_OK;
out:
    mp_csv_close(r);
    out->v = rows;
    out->n = n;
    if (rc)
        mp_import_rows_free(out);
    return rc;
}

static enum mp_status replay(struct mp_ctx *ctx, row_t *rows, size_t n,
                             struct mp_import_stats *st, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct event *ev = malloc((2 * n + 1) * sizeof *ev);
    size_t ne = 0, in_batch = 0;
    bool in_tx = false;
    if (!ev)
        return MP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ev[ne++] = (struct event){rows[i].created, i, false};
        /* A duplicate's closing only says "see parent": the job stays open. */
        if (rows[i].final_status[0] && rows[i].closed && !rows[i].duplicate)
            ev[ne++] = (struct event){rows[i].closed, i, true};
    }
    qsort(ev, ne, sizeof *ev, cmp_event);
    for (size_t k = 0; k < ne; k++) {
        row_t *row = &rows[ev[k].row];
        if (!in_tx) {
            if ((rc = mp_store_begin_write(ctx->db, err)))
                goto out;
            in_tx = true;
        }
        if (ev[k].closing) {
            struct mp_cluster_state cs;
            if (!row->cluster_id || mp_store_cluster_state(ctx->db, row->cluster_id, &cs))
                continue;
            if (strcmp(cs.status, "fixed") == 0 || strcmp(cs.status, "closed") == 0)
                continue;
            if ((rc = mp_report_cluster_set_status(ctx, row->cluster_id, row->final_status,
                                                   ev[k].at, NULL, "import", err)))
                goto out;
            st->status_changes++;
        } else {
            struct mp_report_input in = {0};
            snprintf(in.category, sizeof in.category, "%s", row->category->code);
            in.lon = row->lon;
            in.lat = row->lat;
            in.has_lon = in.has_lat = true;
            snprintf(in.channel, sizeof in.channel, "%s", row->channel);
            in.address = row->address;
            in.external_id = row->id;
            in.created_at = row->created;
            in.quiet = true; /* another system's past: nobody is told again */
            struct mp_submit_result res;
            struct mp_error verr;
            /* The external id is unique within the municipality the report
             * is stored under: in a region the member its pin routes to. A
             * refusal here comes again from the submit below. */
            const struct mp_city *member = ctx->city;
            bool exists = false;
            enum mp_status routed = mp_report_check(ctx, &in, &member, &verr);
            (void)routed;
            if ((rc = mp_store_report_external_exists(ctx->db, member->id, row->id, &exists)))
                goto out;
            if (exists) {
                st->skipped_existing++;
                continue;
            }
            enum mp_status s = mp_report_submit(ctx, &in, false, &res, &verr);
            if (s == MP_EINVAL) {
                if (strcmp(verr.code, "out_of_area") == 0)
                    st->skipped_area++;
                else
                    st->skipped_invalid++;
                continue;
            }
            if (s) {
                rc = mp_fail(err, s, verr.code, "%s", verr.text);
                goto out;
            }
            row->cluster_id = res.cluster_id;
            row->joined = res.joined;
            row->imported = true;

        }
        if (++in_batch >= BATCH) {
            in_tx = false;
            in_batch = 0;
            if ((rc = mp_store_commit(ctx->db, err)))
                goto out;
        }
    }
    if (in_tx) {
        in_tx = false;
        rc = mp_store_commit(ctx->db, err);
    }
out:
    if (in_tx)
        mp_store_rollback(ctx->db);
    free(ev);
    return rc;
}

static size_t find_root(size_t *group, size_t i)
{
    /* Path halving over the parent links resolved into group indices. */
    while (group[i] != i) {
        group[i] = group[group[i]];
        i = group[i];
    }
    return i;
}

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

static long pairs_of(long k) { return k * (k - 1) / 2; }

/* Count pairs within runs of equal keys (key columns: 1 or 2 of 2). */
static long run_pairs(int64_t (*keys)[2], size_t n, int ncols)
{
    long total = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && keys[i][0] == keys[i - 1][0] &&
                    (ncols == 1 || keys[i][1] == keys[i - 1][1]);
        if (same) {
            k++;
        } else {
            total += pairs_of(k);
            k = 1;
        }
    }
    return total + pairs_of(k);
}

/* The pairwise figures of the imported rows of category cat (NULL: all). */
static void score_pairs(const struct mp_import_rows *rows, const size_t *group,
                        const struct mp_category *cat, int64_t (*keys)[2],
                        struct mp_import_score *sc)
{
    size_t m = 0;
    for (size_t i = 0; i < rows->n; i++)
        if (rows->v[i].imported && (!cat || rows->v[i].category == cat)) {
            keys[m][0] = rows->v[i].cluster_id;
            keys[m][1] = (int64_t)group[i];
            m++;
        }
    qsort(keys, m, sizeof *keys, cmp_pair);
    sc->pairs_predicted = run_pairs(keys, m, 1);
    sc->pairs_correct = run_pairs(keys, m, 2);
    for (size_t i = 0; i < m; i++) { /* regroup by label only */
        keys[i][0] = keys[i][1];
        keys[i][1] = 0;
    }
    qsort(keys, m, sizeof *keys, cmp_pair);
    sc->pairs_labelled = run_pairs(keys, m, 1);
}

enum mp_status mp_import_score(const struct mp_city *city, const struct mp_import_rows *rows,
                               struct mp_import_stats *st)
{
    enum mp_status rc = MP_OK;
    const size_t n = rows->n;
    const row_t **by_id = malloc((n + 1) * sizeof *by_id);
    size_t *group = malloc((n + 1) * sizeof *group);
    int64_t(*keys)[2] = malloc((n + 1) * sizeof *keys);
    struct mp_import_score total = {0};
    if (!by_id || !group || !keys) {
        rc = MP_ENOMEM;
        goto out;
    }
    memset(st->per_category, 0, sizeof st->per_category);
    for (size_t i = 0; i < n; i++) {
        by_id[i] = &rows->v[i];
        group[i] = i;
    }
    qsort(by_id, n, sizeof *by_id, cmp_id);
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows->v[i];
        if (!r->imported)
            continue;
        size_t ci = (size_t)(r->category - city->categories);
        struct mp_import_score *sc =
            ci < MP_IMPORT_MAX_CATEGORIES ? &st->per_category[ci] : NULL;
        long *cell = r->duplicate ? (r->joined ? &total.tp : &total.fn)
                                  : (r->joined ? &total.fp : &total.tn);
        (*cell)++;
        total.imported++;
        total.joined += r->joined;
        if (sc) {
            (*(r->duplicate ? (r->joined ? &sc->tp : &sc->fn) : (r->joined ? &sc->fp : &sc->tn)))++;
            sc->imported++;
            sc->joined += r->joined;
        }
        if (!r->parent)
            continue;
        row_t key = {.id = r->parent};
        const row_t *kp = &key, **hit = bsearch(&kp, by_id, n, sizeof *by_id, cmp_id);
        if (!hit || !(*hit)->imported)
            continue;
        size_t a = find_root(group, i), b = find_root(group, (size_t)(*hit - rows->v));
        if (a != b)
            group[a] = b;
        if (r->duplicate) {
            bool same = (*hit)->cluster_id == r->cluster_id;
            total.dup_pairs++;
            total.dup_pairs_same_cluster += same;
            if (sc) {
                sc->dup_pairs++;
                sc->dup_pairs_same_cluster += same;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        group[i] = find_root(group, i);
    score_pairs(rows, group, NULL, keys, &total);
    for (size_t c = 0; c < city->ncategories && c < MP_IMPORT_MAX_CATEGORIES; c++)
        if (st->per_category[c].imported)
            score_pairs(rows, group, &city->categories[c], keys, &st->per_category[c]);
    st->imported = total.imported;
    st->joined = total.joined;
    st->tp = total.tp;
    st->fp = total.fp;
    st->fn = total.fn;
    st->tn = total.tn;
    st->dup_pairs = total.dup_pairs;
    st->dup_pairs_same_cluster = total.dup_pairs_same_cluster;
    st->pairs_predicted = total.pairs_predicted;
    st->pairs_labelled = total.pairs_labelled;
    st->pairs_correct = total.pairs_correct;
out:
    free(by_id);
    free(group);
    free(keys);
    return rc;
}

enum mp_status mp_import_csv(struct mp_ctx *ctx, const char *format, FILE *f,
                             struct mp_import_stats *st, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_import_rows rows;
    memset(st, 0, sizeof *st);
    if ((rc = mp_import_read(ctx, format, f, &rows, st, err)))
        return rc;
    if ((rc = replay(ctx, rows.v, rows.n, st, err)) == MP_OK)
        rc = mp_import_score(ctx->city, &rows, st);
    mp_import_rows_free(&rows);
    return rc;
}
