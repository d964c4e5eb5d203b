/* tune.c - the in-memory replay of a labelled file and the cross-validated
 * search over a category's rule parameters (tune.h).
 *
 * The replay mirrors the import path (import.c -> mp_report_submit): each
 * report meets the clusters of its category whose centre lies within reach
 * of its pin or placed number (mp_cluster_in_reach), with their address
 * spans, and mp_cluster_choose_ev decides; closures set a cluster fixed or
 * closed at their time unless it already is. Clusters whose latest report
 * is more than the window behind can never take a report again (reports
 * come in time order) and leave the list of active ones. What it leaves
 * out of the import path: the cap of 256 candidates a live insert reads.
 */
#include "meldpunt/tune.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/report.h"
#include "meldpunt/streets.h"

struct ev {
    int64_t at;
    uint32_t row;
    bool closing;
};

struct clu {
    struct mp_cluster_state st;
    struct mp_cluster_addr addr;
};

struct mp_tune_data {
    struct mp_ctx *ctx;
    struct mp_import_rows rows;
    bool *ok;                       /* the row takes part */
    struct mp_cluster_probe *probe; /* per row */
    unsigned *fold;                 /* per row */
    unsigned nfolds;
    struct ev **ev; /* per category, in replay order */
    size_t *nev;
    size_t count;
    int64_t first, last;
    /* scratch of a replay */
    struct clu *clus;
    size_t nclus, capclus;
    uint32_t *active;
    size_t nactive;
    const struct mp_cluster_state **refs;
    const struct mp_cluster_addr **arefs;
    uint32_t *ridx;
};

double mp_tune_f1(const struct mp_tune_counts *c)
{
    long d = 2 * c->tp + c->fp + c->fn;
    return d ? 2.0 * (double)c->tp / (double)d : 0.0;
}

void mp_tune_free(struct mp_tune_data *d)
{
    if (!d)
        return;
    mp_import_rows_free(&d->rows);
    free(d->ok);
    free(d->probe);
    free(d->fold);
    if (d->ev)
        for (size_t i = 0; i < d->ctx->city->ncategories; i++)
            free(d->ev[i]);
    free(d->ev);
    free(d->nev);
    free(d->clus);
    free(d->active);
    free(d->refs);
    free(d->arefs);
    free(d->ridx);
    free(d);
}

const struct mp_import_rows *mp_tune_rows(const struct mp_tune_data *d) { return &d->rows; }

size_t mp_tune_count(const struct mp_tune_data *d, int64_t *first, int64_t *last)
{
    *first = d->first;
    *last = d->last;
    return d->count;
}

static int cmp_ev(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (mp_import_before(x->at, x->closing, x->row, y->at, y->closing, y->row))
        return -1;
    return mp_import_before(y->at, y->closing, y->row, x->at, x->closing, x->row) ? 1 : 0;
}

struct by_time {
    int64_t t;
    uint32_t row;
};

static int cmp_time(const void *a, const void *b)
{
    const struct by_time *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Which rows take part (as mp_report_submit would accept them), their
 * probes, and their folds: consecutive stretches of equal size in time. */
static enum mp_status probe_rows(struct mp_tune_data *d, struct mp_error *err)
{
    const size_t n = d->rows.n;
    struct by_time *order = malloc((n + 1) * sizeof *order);
    if (!order)
        return MP_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct mp_import_row *r = &d->rows.v[i];
        struct mp_report_input in = {0};
        struct mp_error verr;
        double x, y;
        snprintf(in.category, sizeof in.category, "%s", r->category->code);
        in.lon = r->lon;
        in.lat = r->lat;
        in.has_lon = in.has_lat = true;
        in.address = r->address;
        if (mp_report_validate(d->ctx->city, &in, &verr) != MP_OK ||
            mp_geo_forward(d->ctx->geo, r->lon, r->lat, &x, &y) != MP_OK)
            continue;
        char location[8];
        mp_report_probe(d->ctx, r->address, x, y, r->created, &d->probe[i], location,
                        sizeof location);
        d->ok[i] = true;
        order[d->count++] = (struct by_time){r->created, (uint32_t)i};
    }
    if (d->count < d->nfolds) {
        free(order);
        return mp_fail(err, MP_EINVAL, "too_few_rows",
                       "%zu usable rows cannot make %u folds", d->count, d->nfolds);
    }
    qsort(order, d->count, sizeof *order, cmp_time);
    d->first = order[0].t;
    d->last = order[d->count - 1].t;
    for (size_t k = 0; k < d->count; k++)
        d->fold[order[k].row] = (unsigned)(k * d->nfolds / d->count);
    free(order);
    return MP_OK;
}

enum mp_status mp_tune_prepare(struct mp_ctx *ctx, struct mp_import_rows *rows, unsigned folds,
                               struct mp_tune_data **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    const struct mp_city *city = ctx->city;
    struct mp_tune_data *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d) {
        mp_import_rows_free(rows);
        return MP_ENOMEM;
    }
    d->ctx = ctx;
    d->rows = *rows;
    rows->v = NULL;
    rows->n = 0;
    d->nfolds = folds;
    if (folds < 2 || folds > 20) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter", "folds must be 2 to 20");
        goto out;
    }
    const size_t n = d->rows.n;
    d->ok = calloc(n + 1, sizeof *d->ok);
    d->probe = calloc(n + 1, sizeof *d->probe);
    d->fold = calloc(n + 1, sizeof *d->fold);
    d->ev = calloc(city->ncategories + 1, sizeof *d->ev);
    d->nev = calloc(city->ncategories + 1, sizeof *d->nev);
    d->refs = malloc((n + 1) * sizeof *d->refs);
    d->arefs = malloc((n + 1) * sizeof *d->arefs);
    d->ridx = malloc((n + 1) * sizeof *d->ridx);
    d->active = malloc((n + 1) * sizeof *d->active);
    if (!d->ok || !d->probe || !d->fold || !d->ev || !d->nev || !d->refs || !d->arefs ||
        !d->ridx || !d->active) {
        rc = MP_ENOMEM;
        goto out;
    }
    if (n > UINT32_MAX) {
        rc = mp_fail(err, MP_ETOOBIG, "too_large", "too many rows");
        goto out;
    }
    if ((rc = probe_rows(d, err)))
        goto out;
    /* Each category's reports and closures, in the import's order. */
    for (size_t i = 0; i < n; i++)
        if (d->ok[i])
            d->nev[d->rows.v[i].category - city->categories] += 2;
    for (size_t c = 0; c < city->ncategories; c++) {
        if (!(d->ev[c] = malloc((d->nev[c] + 1) * sizeof **d->ev))) {
            rc = MP_ENOMEM;
            goto out;
        }
        d->nev[c] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const struct mp_import_row *r = &d->rows.v[i];
        size_t c = (size_t)(r->category - city->categories);
        if (!d->ok[i])
            continue;
        d->ev[c][d->nev[c]++] = (struct ev){r->created, (uint32_t)i, false};
        /* A duplicate's closing only says "see parent": the job stays open. */
        if (r->final_status[0] && r->closed && !r->duplicate)
            d->ev[c][d->nev[c]++] = (struct ev){r->closed, (uint32_t)i, true};
    }
    for (size_t c = 0; c < city->ncategories; c++)
        qsort(d->ev[c], d->nev[c], sizeof **d->ev, cmp_ev);
    *out = d;
    d = NULL;
out:
    mp_tune_free(d);
    return rc;
}

static struct clu *new_cluster(struct mp_tune_data *d)
{
    if (d->nclus == d->capclus) {
        size_t n = d->capclus ? d->capclus * 2 : 256;
        struct clu *c = realloc(d->clus, n * sizeof *c);
        if (!c)
            return NULL;
        d->clus = c;
        d->capclus = n;
    }
    struct clu *c = &d->clus[d->nclus++];
    memset(c, 0, sizeof *c);
    return c;
}

enum mp_status mp_tune_replay(struct mp_tune_data *d, const struct mp_category *rule)
{
    const struct mp_city *city = d->ctx->city;
    const struct mp_category *cat = mp_city_category(city, rule->code);
    if (!cat)
        return MP_EINVAL;
    const size_t ci = (size_t)(cat - city->categories);
    const double reach = mp_cluster_reach(rule, mp_streets_metres_per_number(d->ctx->streets));
    const int64_t window = (int64_t)rule->window_days * 86400;
    d->nclus = 0;
    d->nactive = 0;
    for (size_t k = 0; k < d->nev[ci]; k++) {
        struct mp_import_row *r = &d->rows.v[d->ev[ci][k].row];
        r->imported = r->joined = false;
        r->cluster_id = 0;
    }
    for (size_t k = 0; k < d->nev[ci]; k++) {
        const struct ev *e = &d->ev[ci][k];
        struct mp_import_row *r = &d->rows.v[e->row];
        if (e->closing) {
            if (!r->imported)
                continue;
            struct mp_cluster_state *st = &d->clus[r->cluster_id - 1].st;
            if (strcmp(st->status, "fixed") == 0 || strcmp(st->status, "closed") == 0)
                continue;
            snprintf(st->status, sizeof st->status, "%s", r->final_status);
            if (strcmp(r->final_status, "fixed") == 0)
                st->fixed_at = e->at;
            continue;
        }
        const struct mp_cluster_probe *p = &d->probe[e->row];
        size_t n = 0, keep = 0;
        for (size_t a = 0; a < d->nactive; a++) {
            struct clu *c = &d->clus[d->active[a]];
            /* In time order, a cluster past its window stays past it. */
            if (p->t - c->st.last_at > window)
                continue;
            d->active[keep++] = d->active[a];
            if (!mp_cluster_in_reach(p, reach, c->st.x, c->st.y))
                continue;
            d->refs[n] = &c->st;
            d->arefs[n] = &c->addr;
            d->ridx[n++] = d->active[a];
        }
        d->nactive = keep;
        long best = mp_cluster_choose_ev(rule, p, d->refs, d->arefs, n, NULL, 0, NULL);
        struct clu *c;
        if (best >= 0) {
            c = &d->clus[d->ridx[best]];
            r->joined = true;
        } else {
            if (!(c = new_cluster(d)))
                return MP_ENOMEM;
            c->st.id = (int64_t)d->nclus; /* creation order, as database ids */
            snprintf(c->st.category, sizeof c->st.category, "%s", cat->code);
            snprintf(c->st.status, sizeof c->st.status, "new");
            snprintf(c->st.street, sizeof c->st.street, "%s", p->street ? p->street : "");
            d->active[d->nactive++] = (uint32_t)(d->nclus - 1);
            r->joined = false;
        }
        mp_cluster_add_member(&c->st, p->x, p->y, p->t);
        mp_cluster_addr_add(&c->addr, &p->addr);
        r->cluster_id = c->st.id;
        r->imported = true;
    }
    /* Cluster ids unique across categories, for pairwise scores. */
    for (size_t k = 0; k < d->nev[ci]; k++) {
        struct mp_import_row *r = &d->rows.v[d->ev[ci][k].row];
        if (!d->ev[ci][k].closing && r->imported && r->cluster_id < ((int64_t)1 << 32))
            r->cluster_id += (int64_t)(ci + 1) << 32;
    }
    return MP_OK;
}

/* ---- the search ---- */

static const double radii[] = {10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 250};
static const double across[] = {10, 15, 20, 30, 40, 60};
static const double alongs[] = {50, 100, 150, 200, 300};
static const int windows[] = {1, 3, 7, 14, 30, 84};
static const int absorbs[] = {0, 1, 3};
static const int spans[] = {0, 10, 20, 40, 80};
#define N(a) (sizeof a / sizeof *a)

/* Every parameter set of the grid after the current rule, simplest first. */
static struct mp_category *grid(const struct mp_category *cur, size_t *count)
{
    size_t cap = 1 + N(radii) * N(windows) * N(absorbs) * (2 * N(spans)) +
                 2 * N(across) * N(alongs) * N(windows) * N(absorbs) * (2 * N(spans));
    struct mp_category *g = malloc(cap * sizeof *g), base = *cur;
    size_t n = 0;
    if (!g)
        return NULL;
    g[n++] = *cur;
    for (int kind = MP_RULE_POINT; kind <= MP_RULE_ADDRESS; kind++) {
        const double *rs = kind == MP_RULE_POINT ? radii : across;
        size_t nr = kind == MP_RULE_POINT ? N(radii) : N(across);
        size_t na = kind == MP_RULE_POINT ? 1 : N(alongs);
        for (size_t s = 0; s < N(spans); s++)
            for (int side = 0; side < 2; side++) {
                /* Sides only matter with a span; the address rule's span
                 * 0 is "the same number". */
                if (side && spans[s] == 0 && kind != MP_RULE_ADDRESS)
                    continue;
                for (size_t r = 0; r < nr; r++)
                    for (size_t a = 0; a < na; a++)
                        for (size_t w = 0; w < N(windows); w++)
                            for (size_t b = 0; b < N(absorbs); b++) {
                                struct mp_category c = base;
                                c.rule = (enum mp_rule)kind;
                                c.radius_m = rs[r];
                                c.along_m = kind == MP_RULE_POINT ? 0 : alongs[a];
                                c.window_days = windows[w];
                                c.fixed_absorb_days = absorbs[b];
                                c.address_span = spans[s];
                                c.address_side = side != 0;
                                g[n++] = c;
                            }
            }
    }
    *count = n;
    return g;
}

static struct mp_tune_counts sum_except(const struct mp_tune_counts *f, unsigned nf,
                                        unsigned skip)
{
    struct mp_tune_counts s = {0, 0, 0};
    for (unsigned k = 0; k < nf; k++)
        if (k != skip) {
            s.tp += f[k].tp;
            s.fp += f[k].fp;
            s.fn += f[k].fn;
        }
    return s;
}

/* How many rule fields of a differ from cur's: among equally good sets
 * the one that changes least wins, so that what the labels cannot tell
 * apart (a window longer than the file, say) stays as the pack has it. */
static int changes(const struct mp_category *a, const struct mp_category *cur)
{
    return (a->rule != cur->rule) + (a->radius_m != cur->radius_m) +
           ((a->rule != MP_RULE_POINT || cur->rule != MP_RULE_POINT) &&
            a->along_m != cur->along_m) +
           (a->window_days != cur->window_days) + (a->fixed_absorb_days != cur->fixed_absorb_days) +
           (a->address_span != cur->address_span) + (a->address_side != cur->address_side);
}

/* The set with the highest F1 over the folds but skip (nfolds: none);
 * ties to the fewest changes from the current rule (sets[0]), then to the
 * earliest. */
static size_t argbest(const struct mp_tune_counts *counts, const struct mp_category *sets,
                      size_t n, unsigned nf, unsigned skip)
{
    size_t best = 0;
    double best_f = -1;
    int best_c = 0;
    for (size_t i = 0; i < n; i++) {
        struct mp_tune_counts s = sum_except(counts + i * nf, nf, skip);
        double f = mp_tune_f1(&s);
        int c = changes(&sets[i], &sets[0]);
        if (f > best_f + 1e-12 || (f > best_f - 1e-12 && c < best_c)) {
            best_f = f;
            best_c = c;
            best = i;
        }
    }
    return best;
}

enum mp_status mp_tune_category(struct mp_tune_data *d, size_t ci, struct mp_tune_result *out)
{
    enum mp_status rc = MP_OK;
    const struct mp_category *cur = &d->ctx->city->categories[ci];
    const unsigned nf = d->nfolds;
    struct mp_tune_counts *counts = NULL;
    struct mp_category *sets = NULL;
    size_t nsets = 1;
    memset(out, 0, sizeof *out);
    out->best = *cur;
    for (size_t k = 0; k < d->nev[ci]; k++) {
        const struct mp_import_row *r = &d->rows.v[d->ev[ci][k].row];
        if (!d->ev[ci][k].closing) {
            out->reports++;
            out->labelled += r->duplicate;
        }
    }
    out->enough = out->labelled >= MP_TUNE_MIN_LABELS;
    if (!(sets = out->enough ? grid(cur, &nsets) : malloc(sizeof *sets))) {
        rc = MP_ENOMEM;
        goto out;
    }
    sets[0] = *cur;
    if (!(counts = calloc(nsets * nf, sizeof *counts))) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nsets; i++) {
        if ((rc = mp_tune_replay(d, &sets[i])))
            goto out;
        for (size_t k = 0; k < d->nev[ci]; k++) {
            const struct mp_import_row *r = &d->rows.v[d->ev[ci][k].row];
            if (d->ev[ci][k].closing || !r->imported)
                continue;
            struct mp_tune_counts *c = &counts[i * nf + d->fold[d->ev[ci][k].row]];
            c->tp += r->duplicate && r->joined;
            c->fp += !r->duplicate && r->joined;
            c->fn += r->duplicate && !r->joined;
        }
    }
    out->tried = nsets;
    out->current = sum_except(counts, nf, nf);
    /* Each fold scored by the set chosen without it. */
    for (unsigned k = 0; k < nf; k++) {
        size_t b = argbest(counts, sets, nsets, nf, k);
        out->cv.tp += counts[b * nf + k].tp;
        out->cv.fp += counts[b * nf + k].fp;
        out->cv.fn += counts[b * nf + k].fn;
    }
    size_t b = argbest(counts, sets, nsets, nf, nf);
    out->best = sets[b];
    out->best_all = sum_except(counts + b * nf, nf, nf);
    /* Leave the rows as the category's own rule places them. */
    rc = mp_tune_replay(d, cur);
out:
    free(counts);
    free(sets);
    return rc;
}

void mp_tune_describe(const struct mp_category *c, char *out, size_t cap)
{
    char span[48] = "";
    if (c->address_span > 0 || c->rule == MP_RULE_ADDRESS)
        snprintf(span, sizeof span, ", numbers +-%d%s", c->address_span,
                 c->address_side ? " same side" : "");
    if (c->rule == MP_RULE_POINT)
        snprintf(out, cap, "point %.0f m%s, %d d, absorb %d d", c->radius_m, span,
                 c->window_days, c->fixed_absorb_days);
    else
        snprintf(out, cap, "%s %.0f m, along %.0f m%s, %d d, absorb %d d", mp_rule_name(c->rule),
                 c->radius_m, c->along_m, span, c->window_days, c->fixed_absorb_days);
}
