/* copystore.c - copy a whole database between engines and verify it
 * (copystore.h). The tables and their canonical form are the store's
 * (store_copy.h, copystore_tables.c); this file decides the order, the
 * transactions, the counters and the checksums. */
#include "meldpunt/copystore.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "meldpunt/store.h"

_Static_assert(sizeof((struct mp_copy_result *)0)->tables /
                       sizeof((struct mp_copy_result *)0)->tables[0] >= 32,
               "room for every table");

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex(const unsigned char *md, unsigned len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[2 * len] = '\0';
}

/* One table's running checksum and count. */
struct sum {
    EVP_MD_CTX *md;
    int64_t rows;
    bool failed;
};

static void sum_add(struct sum *h, const void *p, size_t n)
{
    if (!h->failed && !EVP_DigestUpdate(h->md, p, n))
        h->failed = true;
}

/* The canonical text of row (copystore.h) into the checksum. */
static void sum_row(struct sum *h, const struct mp_copy_table *t, const struct mp_copy_value *row)
{
    char num[64];
    for (size_t i = 0; i < t->ncols; i++) {
        const struct mp_copy_value *v = &row[i];
        int n = 0;
        if (v->null) {
            sum_add(h, "~|", 2);
            continue;
        }
        switch (t->cols[i].type) {
        case MP_COPY_INT:
        case MP_COPY_BOOL:
            n = snprintf(num, sizeof num, "i%lld|", (long long)v->i);
            sum_add(h, num, (size_t)n);
            break;
        case MP_COPY_REAL:
            n = snprintf(num, sizeof num, "r%.17g|", v->d);
            sum_add(h, num, (size_t)n);
            break;
        case MP_COPY_TEXT:
            n = snprintf(num, sizeof num, "t%zu:", v->len);
            sum_add(h, num, (size_t)n);
            sum_add(h, v->p, v->len);
            sum_add(h, "|", 1);
            break;
        case MP_COPY_BLOB: {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned mdlen = 0;
            char mdhex[2 * EVP_MAX_MD_SIZE + 1];
            if (!EVP_Digest(v->len ? v->p : "", v->len, md, &mdlen, EVP_sha256(), NULL)) {
                h->failed = true;
                break;
            }
            hex(md, mdlen, mdhex);
            n = snprintf(num, sizeof num, "b%zu:", v->len);
            sum_add(h, num, (size_t)n);
            sum_add(h, mdhex, strlen(mdhex));
            sum_add(h, "|", 1);
            break;
        }
        }
    }
    sum_add(h, "\n", 1);
    h->rows++;
}

static enum mp_status sum_start(struct sum *h)
{
    memset(h, 0, sizeof *h);
    h->md = EVP_MD_CTX_new();
    if (!h->md || !EVP_DigestInit_ex(h->md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(h->md);
        h->md = NULL;
        return MP_ENOMEM;
    }
    return MP_OK;
}

/* Finish h into out (65 bytes) and free it. */
static enum mp_status sum_end(struct sum *h, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    bool ok = !h->failed && EVP_DigestFinal_ex(h->md, md, &len);
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
    if (!ok)
        return MP_ENOMEM;
    hex(md, len, out);
    return MP_OK;
}

/* The row callbacks: hash only, or hash and insert into the target. */
struct pass {
    struct sum sum;
    struct mp_store_sess *to; /* NULL: hash only */
    enum mp_status rc;
};

static int on_row(void *ctx, const struct mp_copy_table *t, const struct mp_copy_value *row)
{
    struct pass *p = ctx;
    sum_row(&p->sum, t, row);
    if (p->to && (p->rc = mp_store_copy_insert(p->to, t, row)) != MP_OK)
        return 1;
    return 0;
}

/* Rows, checksum and id counter of t in sess (its read transaction). */
static enum mp_status measure(struct mp_store_sess *sess, const struct mp_copy_table *t,
                              int64_t *rows, char *sum, int64_t *seq)
{
    struct pass p = {.rc = MP_OK};
    enum mp_status rc = sum_start(&p.sum);
    if (rc)
        return rc;
    rc = mp_store_copy_rows(sess, t, on_row, &p);
    enum mp_status end = sum_end(&p.sum, sum);
    *rows = p.sum.rows;
    *seq = 0;
    if (rc == MP_OK)
        rc = end;
    if (rc == MP_OK && t->id_seq)
        rc = mp_store_copy_seq_get(sess, t, seq);
    return rc;
}

struct ends {
    struct mp_store *from_store, *to_store;
    struct mp_store_sess *from, *to;
};

static enum mp_status open_one(const char *location, bool readonly, struct mp_store **store,
                               struct mp_store_sess **sess, const char *which,
                               struct mp_error *err)
{
    struct mp_store_opts o;
    mp_store_opts_default(&o);
    o.pool_size = 1;
    o.readonly = readonly;
    struct mp_error said = {{0}, {0}};
    enum mp_status rc = mp_store_open(location, &o, store, &said);
    if (rc)
        return mp_fail(err, rc, "copy_store", "cannot open %s (%.400s): %.200s", which, location,
                       said.text);
    *sess = mp_store_acquire(*store);
    int v = mp_store_schema_version(*sess);
    if (v != MP_STORE_SCHEMA_VERSION)
        return mp_fail(err, MP_EINVAL, "copy_store",
                       "%s is at schema version %d, this build at %d: upgrade it first (open it"
                       " once with this build's meldpunt serve)",
                       which, v, MP_STORE_SCHEMA_VERSION);
    return MP_OK;
}

/* Every table of the list has, at both ends, the columns the list says
 * (and those the engine derives): a column a schema version adds must be
 * in the list before a copy can leave it behind. */
static enum mp_status check_tables(struct ends *e, struct mp_error *err)
{
    struct mp_store_sess *const end[] = {e->from, e->to};
    const char *const which[] = {"the source", "the target"};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < mp_copy_ntables; i++) {
            const struct mp_copy_table *t = &mp_copy_tables[i];
            char unknown[64];
            enum mp_status rc = mp_store_copy_check(end[k], t, unknown, sizeof unknown);
            if (rc == MP_EINVAL)
                return mp_fail(err, rc, "copy_store",
                               "table %s of %s has a column %s that copy-store does not know"
                               " (add it to server/copystore_tables.c)",
                               t->name, which[k], unknown);
            if (rc == MP_ENOTFOUND)
                return mp_fail(err, rc, "copy_store", "%s has no table %s", which[k], t->name);
            if (rc)
                return mp_fail(err, rc, "copy_store", "cannot read the columns of %s", t->name);
        }
    }
    return MP_OK;
}

static void close_ends(struct ends *e)
{
    if (e->from)
        mp_store_release(e->from_store, e->from);
    if (e->to)
        mp_store_release(e->to_store, e->to);
    if (e->from_store)
        mp_store_close(e->from_store);
    if (e->to_store)
        mp_store_close(e->to_store);
}

/* Refuse a target that holds rows, or (force) empty it, keeping its id
 * counters' high-water marks in keep[] (ids it gave stay given). */
static enum mp_status prepare_target(struct mp_store_sess *to, bool force, int64_t *keep,
                                     struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < mp_copy_ntables; i++) {
        const struct mp_copy_table *t = &mp_copy_tables[i];
        int64_t n = 0;
        keep[i] = 0;
        if ((rc = mp_store_copy_count(to, t, &n)))
            break;
        if (n > 0 && !force)
            return mp_fail(err, MP_ECONFLICT, "copy_store",
                           "the target is not empty: table %s holds %lld rows (copy into a new"
                           " database, or give --force to delete the target's rows first)",
                           t->name, (long long)n);
        if (t->id_seq)
            rc = mp_store_copy_seq_get(to, t, &keep[i]);
    }
    /* Children first. */
    for (size_t i = mp_copy_ntables; force && rc == MP_OK && i-- > 0;)
        rc = mp_store_copy_clear(to, &mp_copy_tables[i]);
    return rc;
}

static enum mp_status copy_all(struct ends *e, const struct mp_copy_opts *opts,
                               struct mp_copy_result *res, struct mp_error *err)
{
    int64_t keep[sizeof res->tables / sizeof res->tables[0]];
    enum mp_status rc = mp_store_begin_read(e->from);
    if (rc)
        return mp_fail(err, rc, "copy_store", "cannot read the source");
    if ((rc = mp_store_begin_write(e->to, err))) {
        mp_store_rollback(e->from);
        return rc;
    }
    if ((rc = mp_store_defer_foreign_keys(e->to)) ||
        (rc = prepare_target(e->to, opts->force, keep, err)))
        goto out;
    for (size_t i = 0; rc == MP_OK && i < mp_copy_ntables; i++) {
        const struct mp_copy_table *t = &mp_copy_tables[i];
        struct mp_copy_table_sum *ts = &res->tables[i];
        struct pass p = {.to = e->to, .rc = MP_OK};
        if ((rc = sum_start(&p.sum)))
            break;
        rc = mp_store_copy_rows(e->from, t, on_row, &p);
        enum mp_status flushed = mp_store_copy_flush(e->to);
        enum mp_status end = sum_end(&p.sum, ts->sum_from);
        if (rc == MP_OK)
            rc = p.rc ? p.rc : flushed ? flushed : end;
        ts->rows_from = p.sum.rows;
        if (rc == MP_OK && t->id_seq &&
            (rc = mp_store_copy_seq_get(e->from, t, &ts->seq_from)) == MP_OK) {
            int64_t hw = ts->seq_from > keep[i] ? ts->seq_from : keep[i];
            if (hw > 0)
                rc = mp_store_copy_seq_set(e->to, t, hw);
        }
        if (rc)
            rc = mp_fail(err, rc, "copy_store", "copying table %s failed (row %lld)", t->name,
                         (long long)p.sum.rows);
    }
out:
    mp_store_rollback(e->from);
    if (rc == MP_OK)
        return mp_store_commit(e->to, err);
    mp_store_rollback(e->to);
    return rc;
}

enum mp_status mp_copystore_run(const char *from, const char *to, const struct mp_copy_opts *opts,
                                struct mp_copy_result *res, struct mp_error *err)
{
    struct ends e = {0};
    memset(res, 0, sizeof *res);
    if (mp_copy_ntables > sizeof res->tables / sizeof res->tables[0])
        return mp_fail(err, MP_EINVAL, "copy_store", "too many tables");
    res->ntables = mp_copy_ntables;
    for (size_t i = 0; i < mp_copy_ntables; i++)
        res->tables[i].name = mp_copy_tables[i].name;
    enum mp_status rc = open_one(from, true, &e.from_store, &e.from, "the source", err);
    if (rc == MP_OK)
        rc = open_one(to, opts->verify_only, &e.to_store, &e.to, "the target", err);
    if (rc == MP_OK)
        rc = check_tables(&e, err);
    double t0 = now_s();
    if (rc == MP_OK && !opts->verify_only)
        rc = copy_all(&e, opts, res, err);
    double t1 = now_s();
    res->copy_s = t1 - t0;
    /* Verify: the target in one snapshot against what was copied (or, with
     * verify_only, the source in one snapshot). */
    if (rc == MP_OK && opts->verify_only && (rc = mp_store_begin_read(e.from)))
        rc = mp_fail(err, rc, "copy_store", "cannot read the source");
    if (rc == MP_OK && (rc = mp_store_begin_read(e.to))) {
        rc = mp_fail(err, rc, "copy_store", "cannot read the target");
        if (opts->verify_only)
            mp_store_rollback(e.from);
    }
    bool reading = rc == MP_OK;
    res->ok = rc == MP_OK;
    for (size_t i = 0; rc == MP_OK && i < mp_copy_ntables; i++) {
        const struct mp_copy_table *t = &mp_copy_tables[i];
        struct mp_copy_table_sum *ts = &res->tables[i];
        if (opts->verify_only)
            rc = measure(e.from, t, &ts->rows_from, ts->sum_from, &ts->seq_from);
        if (rc == MP_OK)
            rc = measure(e.to, t, &ts->rows_to, ts->sum_to, &ts->seq_to);
        if (rc)
            rc = mp_fail(err, rc, "copy_store", "reading table %s failed", t->name);
        ts->ok = rc == MP_OK && ts->rows_from == ts->rows_to &&
                 strcmp(ts->sum_from, ts->sum_to) == 0 && ts->seq_to >= ts->seq_from;
        res->ok = res->ok && ts->ok;
    }
    if (reading) {
        mp_store_rollback(e.to);
        if (opts->verify_only)
            mp_store_rollback(e.from);
    }
    res->verify_s = now_s() - t1;
    close_ends(&e);
    return rc;
}

void mp_copystore_print(FILE *out, const struct mp_copy_result *res)
{
    fprintf(out, "%-20s %10s  %-16s  %10s  %s\n", "table", "rows", "checksum", "next_id", "ok");
    for (size_t i = 0; i < res->ntables; i++) {
        const struct mp_copy_table_sum *ts = &res->tables[i];
        char rows[48], seq[48];
        if (ts->rows_from == ts->rows_to)
            snprintf(rows, sizeof rows, "%lld", (long long)ts->rows_to);
        else
            snprintf(rows, sizeof rows, "%lld/%lld", (long long)ts->rows_from,
                     (long long)ts->rows_to);
        if (!mp_copy_tables[i].id_seq)
            snprintf(seq, sizeof seq, "-");
        else
            snprintf(seq, sizeof seq, "%lld", (long long)ts->seq_to + 1);
        fprintf(out, "%-20s %10s  %.16s%s  %10s  %s\n", ts->name, rows, ts->sum_to,
                strcmp(ts->sum_from, ts->sum_to) == 0 ? "" : "!", seq,
                ts->ok ? "ok" : "MISMATCH");
    }
    fprintf(out, "%s: %zu tables, copy %.2f s, verify %.2f s\n",
            res->ok ? "verified" : "MISMATCH", res->ntables, res->copy_s, res->verify_s);
}
