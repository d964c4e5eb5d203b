/* test_store.c - the SpatiaLite store on a temporary database: schema
 * creation and idempotent upgrade, clusters and their metric index, reports,
 * every listing filter, status changes, history, photos, transactions, and
 * read-only reopening. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_export.h"
#include "meldpunt/store_merge.h"
#include "meldpunt/store_stats.h"
#include "meldpunt/store_work.h"

#define DAY 86400LL
#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
/* Metric centre of the test data (UTM 16N, the Loop). */
#define X0 447742.0
#define Y0 4636434.0

struct fx {
    struct fx_dbfile file;
    struct mp_store *st;
    struct mp_store_sess *s;
    unsigned pool; /* sessions; 1 unless a test needs two connections */
};

/* ---- fixture ---- */

/* The empty database each test starts from a copy of. */
static struct fx_dbfile g_template;

static enum mp_status store_open(struct fx *f, bool readonly, struct mp_error *err)
{
    struct mp_store_opts o;
    fx_store_opts(&o, f->pool ? f->pool : 1);
    o.busy_ms = 2000;
    o.readonly = readonly;
    f->st = NULL;
    f->s = NULL;
    enum mp_status rc = mp_store_open(f->file.path, &o, &f->st, err);
    if (rc == MP_OK)
        f->s = mp_store_acquire(f->st);
    return rc;
}

static void store_close(struct fx *f)
{
    if (f->st) {
        mp_store_release(f->st, f->s);
        mp_store_close(f->st);
    }
    f->st = NULL;
    f->s = NULL;
}

static void reopen(struct fx *f, bool readonly)
{
    struct mp_error err = {{0}, {0}};
    store_close(f);
    enum mp_status rc = store_open(f, readonly, &err);
    if (rc != MP_OK)
        print_error("reopen: %s\n", err.text);
    assert_int_equal(rc, MP_OK);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (fx_dbfile_copy(&f->file, "mp-store", &g_template) != 0) {
        free(f);
        return -1;
    }
    struct mp_error err = {{0}, {0}};
    if (store_open(f, false, &err) != MP_OK) {
        fprintf(stderr, "mp_store_open: %s\n", err.text);
        fx_rm_dir(f->file.dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f);
    fx_rm_dir(f->file.dir);
    free(f);
    return 0;
}

/* ---- data helpers ---- */

/* The store holds exactly this many reports and clusters. */
static void expect_counts(struct mp_store_sess *s, int64_t reports, int64_t clusters)
{
    int64_t nr = -1, nc = -1;
    assert_int_equal(mp_store_counts(s, &nr, &nc), MP_OK);
    assert_int_equal(nr, reports);
    assert_int_equal(nc, clusters);
}

static int64_t add_cluster(struct fx *f, const char *cat, const char *status, double x, double y,
                           double lon, double lat, int64_t first, int64_t last,
                           const char *district)
{
    struct mp_cluster_state c;
    memset(&c, 0, sizeof c);
    snprintf(c.municipality, sizeof c.municipality, "chicago");
    snprintf(c.category, sizeof c.category, "%s", cat);
    snprintf(c.status, sizeof c.status, "%s", status);
    snprintf(c.district, sizeof c.district, "%s", district ? district : "");
    c.report_count = 1;
    c.x = c.sum_x = x;
    c.y = c.sum_y = y;
    c.lon = lon;
    c.lat = lat;
    c.first_at = first;
    c.last_at = last;
    int64_t id = 0;
    assert_int_equal(mp_store_cluster_create(f->s, &c, &id), MP_OK);
    assert_true(id > 0);
    return id;
}

static int64_t add_report(struct fx *f, int64_t cluster, const char *cat, const char *status,
                          double lon, double lat, int64_t at, const char *district,
                          const char *ext)
{
    struct mp_report_rec r;
    memset(&r, 0, sizeof r);
    r.municipality = "chicago";
    r.category = cat;
    r.description = "test report";
    r.channel = "web";
    r.status = status;
    r.district = district;
    r.external_id = ext;
    r.contact_name = "Private Person";
    r.contact_email = "private@example.org";
    r.contact_phone = "312-555-0100";
    r.join_reason = "{\"kind\":\"new\"}";
    r.lon = lon;
    r.lat = lat;
    r.x = X0;
    r.y = Y0;
    r.created_at = at;
    r.cluster_id = cluster;
    int64_t id = 0;
    assert_int_equal(mp_store_report_insert(f->s, &r, &id), MP_OK);
    assert_true(id > 0);
    return id;
}

/* Collected ids of a listing. */
struct ids {
    int64_t v[64];
    size_t n;
    size_t stop_after; /* 0: never stop */
    bool saw_contact;
};

static int collect_report(void *ctx, const struct mp_report_row *r)
{
    struct ids *ids = ctx;
    if (ids->n < 64)
        ids->v[ids->n++] = r->id;
    if (r->contact_email || r->contact_name || r->contact_phone)
        ids->saw_contact = true;
    return ids->stop_after && ids->n >= ids->stop_after;
}

static int collect_cluster(void *ctx, const struct mp_cluster_row *c)
{
    struct ids *ids = ctx;
    if (ids->n < 64)
        ids->v[ids->n++] = c->id;
    return ids->stop_after && ids->n >= ids->stop_after;
}

#define EXPECT_IDS(ids, ...)                                                                     \
    expect_ids((ids), (const int64_t[]){__VA_ARGS__},                                            \
               sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t), __LINE__)

#define EXPECT_NONE(ids) expect_ids((ids), NULL, 0, __LINE__)

static void expect_ids(const struct ids *got, const int64_t *want, size_t n, int line)
{
    bool same = got->n == n;
    for (size_t i = 0; same && i < n; i++)
        same = got->v[i] == want[i];
    if (!same) {
        /* Printed one by one; enough of a list to see the difference. */
        print_error("line %d: got [ ", line);
        for (size_t i = 0; i < got->n && i < 40; i++)
            print_error("%lld ", (long long)got->v[i]);
        print_error("] want [ ");
        for (size_t i = 0; i < n && i < 40; i++)
            print_error("%lld ", (long long)want[i]);
        fail_msg("]");
    }
}

static struct ids list_reports(struct fx *f, const struct mp_query *q)
{
    struct ids ids;
    memset(&ids, 0, sizeof ids);
    assert_int_equal(mp_store_reports(f->s, q, collect_report, &ids), MP_OK);
    return ids;
}

static struct ids list_clusters(struct fx *f, const struct mp_query *q)
{
    struct ids ids;
    memset(&ids, 0, sizeof ids);
    assert_int_equal(mp_store_clusters(f->s, q, collect_cluster, &ids), MP_OK);
    return ids;
}

/* A copy of one report row (strings copied: rows are borrowed). */
struct report_copy {
    int found;
    struct mp_report_row r;
    char category[48], description[64], channel[16], status[24], district[32], ext[32];
    char name[64], email[64], phone[32], reason[64];
    bool has_address;
};

static void cp(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : "(null)"); }

static int copy_report(void *ctx, const struct mp_report_row *r)
{
    struct report_copy *c = ctx;
    c->found++;
    c->r = *r;
    cp(c->category, sizeof c->category, r->category);
    cp(c->description, sizeof c->description, r->description);
    cp(c->channel, sizeof c->channel, r->channel);
    cp(c->status, sizeof c->status, r->status);
    cp(c->district, sizeof c->district, r->district);
    cp(c->ext, sizeof c->ext, r->external_id);
    cp(c->name, sizeof c->name, r->contact_name);
    cp(c->email, sizeof c->email, r->contact_email);
    cp(c->phone, sizeof c->phone, r->contact_phone);
    cp(c->reason, sizeof c->reason, r->join_reason);
    c->has_address = r->address != NULL;
    return 0;
}

/* ---- schema ---- */

static void test_schema_version(void **state)
{
    struct fx *f = *state;
    /* From nothing: a new file gets the whole schema. */
    store_close(f);
    assert_int_equal(fx_dbfile_fresh(&f->file), 0);
    struct mp_error err = {{0}, {0}};
    assert_int_equal(store_open(f, false, &err), MP_OK);
    assert_int_equal(mp_store_schema_version(f->s), MP_STORE_SCHEMA_VERSION);
    (void)add_cluster(f, "graffiti", "new", X0, Y0, -87.6298, 41.8781, T0, T0, "32");
    reopen(f, false);
    assert_int_equal(mp_store_schema_version(f->s), MP_STORE_SCHEMA_VERSION);
    expect_counts(f->s, 0, 1);
}

static void test_template_copy_is_empty(void **state)
{
    struct fx *f = *state;
    assert_int_equal(mp_store_schema_version(f->s), MP_STORE_SCHEMA_VERSION);
    expect_counts(f->s, 0, 0);
}

static void test_reopen_is_idempotent(void **state)
{
    struct fx *f = *state;
    int64_t id = add_cluster(f, "graffiti", "new", X0, Y0, -87.6298, 41.8781, T0, T0, "32");
    add_report(f, id, "graffiti", "new", -87.6298, 41.8781, T0, "32", NULL);
    for (int i = 0; i < 2; i++) {
        reopen(f, false);
        assert_int_equal(mp_store_schema_version(f->s), MP_STORE_SCHEMA_VERSION);
        expect_counts(f->s, 1, 1);
    }
    /* A second store on the same file while the first is open. */
    struct mp_store_opts o;
    mp_store_opts_default(&o);
    o.pool_size = 1;
    struct mp_store *other = NULL;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_open(f->file.path, &o, &other, &err), MP_OK);
    struct mp_store_sess *s2 = mp_store_acquire(other);
    int64_t nr, nc;
    assert_int_equal(mp_store_counts(s2, &nr, &nc), MP_OK);
    assert_int_equal(nr, 1);
    mp_store_release(other, s2);
    mp_store_close(other);
    mp_store_close(NULL);
}

/* Write version into the header of the SQLite file at path. The WAL is
 * checkpointed away when the last connection closes, so the header of the
 * main file is the truth: user_version is the big-endian 32-bit integer at
 * offset 60. */
static void poke_user_version(const char *path, unsigned char version)
{
    char wal[400];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_true(stat(wal, &sb) != 0 || sb.st_size == 0);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    const unsigned char v[4] = {0, 0, 0, version};
    assert_int_equal(fseek(fp, 60, SEEK_SET), 0);
    assert_int_equal(fwrite(v, 1, 4, fp), 4);
    assert_int_equal(fclose(fp), 0);
}

static void test_newer_schema_refused(void **state)
{
    struct fx *f = *state;
    store_close(f);
    if (fx_engine_pg()) /* the version is the highest applied migration */
        assert_int_equal(fx_sql(f->file.path, "INSERT INTO schema_migrations VALUES (99, 0)"), 0);
    else
        poke_user_version(f->file.path, 99);
    struct mp_error err = {{0}, {0}};
    assert_int_equal(store_open(f, false, &err), MP_EDB);
    assert_null(f->st);
    assert_non_null(strstr(err.text, "newer"));
    /* Read-only refuses it too. */
    assert_int_not_equal(store_open(f, true, &err), MP_OK);
    assert_null(f->st);
}

/* What each engine lacks (a server refuses to start on it without
 * MELDPUNT_PG_EXPERIMENTAL): SQLite nothing; PostgreSQL the operations it
 * does not have yet (none once complete) but neither its write path nor the
 * reads it has; a short buffer cuts a long list with
 * "..." and still counts every name. */
static void test_missing_ops(void **state)
{
    (void)state;
    char buf[4096], small[24];
    assert_int_equal(mp_store_missing_ops("var/x.sqlite", buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    const char *url = "postgresql://nobody@/none?host=/nonexistent";
    size_t n = mp_store_missing_ops(url, buf, sizeof buf);
    size_t commas = 0;
    for (const char *p = buf; (p = strstr(p, ", ")); p++)
        commas++;
    /* Empty once the engine is complete (the helpers merge one by one). */
    assert_int_equal(n ? commas + 1 : strlen(buf), n);
    char padded[4100];
    snprintf(padded, sizeof padded, ", %s,", buf);
    assert_null(strstr(padded, ", reports,"));
    assert_null(strstr(padded, ", cluster_grid,"));
    assert_null(strstr(padded, ", report_insert,"));
    assert_null(strstr(padded, ", cluster_candidates,"));
    assert_null(strstr(padded, ", begin_write,"));
    assert_int_equal(mp_store_missing_ops(url, small, sizeof small), n);
    assert_true(strlen(small) < sizeof small);
    if (strlen(buf) >= sizeof small) {
        assert_non_null(strstr(small, "..."));
        assert_memory_equal(small, buf, strlen(small) - 3);
    } else {
        assert_string_equal(small, buf);
    }
}

static void test_open_failures(void **state)
{
    (void)state;
    struct mp_store_opts o;
    mp_store_opts_default(&o);
    o.pool_size = 1;
    struct mp_store *st = (struct mp_store *)(uintptr_t)1;
    struct mp_error err = {{0}, {0}};
    assert_int_not_equal(mp_store_open("/nonexistent-dir/meldpunt/x.sqlite", &o, &st, &err),
                         MP_OK);
    assert_null(st);
    assert_true(strlen(err.text) > 0);
    /* Read-only never creates a file. */
    o.readonly = true;
    st = (struct mp_store *)(uintptr_t)1;
    assert_int_not_equal(mp_store_open("/tmp/mp-store-does-not-exist.sqlite", &o, &st, &err),
                         MP_OK);
    assert_null(st);
    struct stat sb;
    assert_true(stat("/tmp/mp-store-does-not-exist.sqlite", &sb) != 0);
    /* A PostgreSQL server that cannot be reached: unavailable, with a
     * reason that shows neither the URL nor its password. */
    o.readonly = false;
    st = (struct mp_store *)(uintptr_t)1;
    assert_int_equal(mp_store_open("postgresql://meldpunt:s3cret@/nodb?host=/nonexistent-dir", &o,
                                   &st, &err),
                     MP_EUNAVAIL);
    assert_null(st);
    assert_non_null(strstr(err.text, "cannot connect to PostgreSQL"));
    assert_null(strstr(err.text, "s3cret"));
}

/* ---- clusters ---- */

static void test_cluster_create_and_state(void **state)
{
    struct fx *f = *state;
    int64_t a = add_cluster(f, "graffiti", "new", X0 + 1.25, Y0 - 2.5, -87.6298, 41.8781, T0,
                            T0 + 60, "32");
    int64_t b = add_cluster(f, "rodent", "acknowledged", X0, Y0, -87.63, 41.88, T0, T0, NULL);
    assert_true(b > a);
    struct mp_cluster_state s;
    memset(&s, 0, sizeof s);
    assert_int_equal(mp_store_cluster_state(f->s, a, &s), MP_OK);
    assert_int_equal(s.id, a);
    assert_string_equal(s.category, "graffiti");
    assert_string_equal(s.status, "new");
    assert_int_equal(s.report_count, 1);
    assert_near(s.x, X0 + 1.25, 0);
    assert_near(s.y, Y0 - 2.5, 0);
    assert_near(s.sum_x, X0 + 1.25, 0);
    assert_near(s.lon, -87.6298, 0);
    assert_near(s.lat, 41.8781, 0);
    assert_int_equal(s.first_at, T0);
    assert_int_equal(s.last_at, T0 + 60);
    assert_int_equal(s.fixed_at, 0);
    assert_string_equal(s.district, "32");
    assert_int_equal(mp_store_cluster_state(f->s, b, &s), MP_OK);
    assert_string_equal(s.district, ""); /* none */
    assert_int_equal(mp_store_cluster_state(f->s, 999999, &s), MP_ENOTFOUND);

    /* Street and readable location travel with the cluster. */
    struct mp_cluster_state w;
    memset(&w, 0, sizeof w);
    snprintf(w.municipality, sizeof w.municipality, "chicago");
    snprintf(w.category, sizeof w.category, "pothole");
    snprintf(w.status, sizeof w.status, "new");
    snprintf(w.street, sizeof w.street, "N CLARK ST");
    snprintf(w.location, sizeof w.location, "N CLARK ST near W ADDISON ST");
    w.report_count = 1;
    w.x = w.sum_x = X0;
    w.y = w.sum_y = Y0;
    int64_t wid = 0;
    assert_int_equal(mp_store_cluster_create(f->s, &w, &wid), MP_OK);
    assert_int_equal(mp_store_cluster_state(f->s, wid, &s), MP_OK);
    assert_string_equal(s.street, "N CLARK ST");
    assert_string_equal(s.location, "N CLARK ST near W ADDISON ST");

    /* update writes centre, sums, count and times back. */
    assert_int_equal(mp_store_cluster_state(f->s, a, &s), MP_OK);
    s.report_count = 2;
    s.sum_x += X0 + 10;
    s.sum_y += Y0;
    s.x = s.sum_x / 2;
    s.y = s.sum_y / 2;
    s.lon = -87.62985;
    s.last_at = T0 + 3600;
    assert_int_equal(mp_store_cluster_update(f->s, &s), MP_OK);
    struct mp_cluster_state t;
    assert_int_equal(mp_store_cluster_state(f->s, a, &t), MP_OK);
    assert_int_equal(t.report_count, 2);
    assert_near(t.x, (2 * X0 + 11.25) / 2, 1e-9);
    assert_near(t.lon, -87.62985, 0);
    assert_int_equal(t.last_at, T0 + 3600);
}

static bool has_id(const struct mp_cluster_state *out, size_t n, int64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (out[i].id == id)
            return true;
    return false;
}

static void test_candidates_metric_box(void **state)
{
    struct fx *f = *state;
    const double r = 50;
    int64_t on_edge_x = add_cluster(f, "graffiti", "new", X0 + r, Y0, 0, 0, T0, T0, NULL);
    int64_t on_edge_y = add_cluster(f, "graffiti", "new", X0, Y0 - r, 0, 0, T0, T0, NULL);
    int64_t corner = add_cluster(f, "graffiti", "closed", X0 - r, Y0 + r, 0, 0, T0, T0, NULL);
    int64_t centre = add_cluster(f, "graffiti", "fixed", X0, Y0, 0, 0, T0, T0, NULL);
    int64_t far = add_cluster(f, "graffiti", "new", X0 + 5000, Y0 + 5000, 0, 0, T0, T0, NULL);
    /* Same place, another category. */
    int64_t other = add_cluster(f, "rodent", "new", X0, Y0, 0, 0, T0, T0, NULL);

    /* A superset of the square, never missing one inside it (edges
     * included); status is the rules' business, not the index's. */
    struct mp_cluster_state out[16];
    size_t n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, 0, -1, out, 16, &n),
                     MP_OK);
    assert_true(n >= 4 && n <= 5);
    assert_true(has_id(out, n, on_edge_x));
    assert_true(has_id(out, n, on_edge_y));
    assert_true(has_id(out, n, corner));
    assert_true(has_id(out, n, centre));
    assert_false(has_id(out, n, far)); /* 5 km off is not "near" */
    assert_false(has_id(out, n, other));
    for (size_t i = 0; i < n; i++)
        assert_string_equal(out[i].category, "graffiti");

    /* cap bounds what is written. */
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, 0, -1, out, 2, &n), MP_OK);
    assert_int_equal(n, 2);
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, 0, -1, out, 0, &n), MP_OK);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "pothole", X0, Y0, r, 0, -1, out, 16, &n), MP_OK);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "rodent", X0, Y0, 1, 0, -1, out, 16, &n), MP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].id, other);

    /* With a window, only clusters whose span comes within it of t: the
     * rules would turn the others down, and they must not fill the cap. */
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, T0 + 86400, 86400,
                                                 out, 16, &n), MP_OK);
    assert_true(n >= 4 && n <= 5); /* all end at T0: exactly one window back */
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, T0 + 86401, 86400,
                                                 out, 16, &n), MP_OK);
    assert_int_equal(n, 0);
    n = 99;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, T0 - 86401, 86400,
                                                 out, 16, &n), MP_OK);
    assert_int_equal(n, 0); /* reported before the clusters began, beyond the window */

    /* Moving a cluster moves it in the index. */
    struct mp_cluster_state s;
    assert_int_equal(mp_store_cluster_state(f->s, centre, &s), MP_OK);
    s.x = s.sum_x = X0 + 3000;
    assert_int_equal(mp_store_cluster_update(f->s, &s), MP_OK);
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, r, 0, -1, out, 16, &n), MP_OK);
    assert_false(has_id(out, n, centre));
    assert_int_equal(
        mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0 + 3000, Y0, 1, 0, -1, out, 16, &n), MP_OK);
    assert_true(has_id(out, n, centre));
}

static void test_candidates_never_miss(void **state)
{
    /* Clusters scattered over 4 km, queried around many points with radii
     * from 1 m to 700 m (across index cell borders): every cluster inside
     * the square is among the candidates. */
    struct fx *f = *state;
    enum { N = 300, Q = 60 };
    static double xs[N], ys[N];
    static int64_t ids[N];
    unsigned seed = 12345;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        xs[i] = X0 - 2000 + (double)(seed >> 8 & 0xffff) / 65535.0 * 4000;
        seed = seed * 1103515245u + 12345u;
        ys[i] = Y0 - 2000 + (double)(seed >> 8 & 0xffff) / 65535.0 * 4000;
        ids[i] = add_cluster(f, "graffiti", "new", xs[i], ys[i], 0, 0, T0, T0, NULL);
    }
    assert_int_equal(mp_store_commit(f->s, &err), MP_OK);
    static struct mp_cluster_state out[N];
    for (int q = 0; q < Q; q++) {
        double qx = xs[q * 5], qy = ys[q * 5] + (q % 7) * 13.7;
        double r = q % 3 == 0 ? 1.0 : 10.0 * (q % 70) + 0.5;
        size_t n = 0;
        assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", qx, qy, r, 0, -1, out, N, &n),
                         MP_OK);
        for (int i = 0; i < N; i++) {
            bool inside = fabs(xs[i] - qx) <= r && fabs(ys[i] - qy) <= r;
            if (inside && !has_id(out, n, ids[i]))
                fail_msg("query %d (r %.1f): cluster %lld at (%+.1f, %+.1f) missed", q, r,
                         (long long)ids[i], xs[i] - qx, ys[i] - qy);
        }
    }
}

/* ---- reports ---- */

static void test_report_insert_and_get(void **state)
{
    struct fx *f = *state;
    int64_t c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6298, 41.8781, T0, T0, "32");
    int64_t r = add_report(f, c, "graffiti", "new", -87.6298123, 41.8781456, T0 - 5, "32",
                           "SR-1");
    struct report_copy got;
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_report_get(f->s, r, false, copy_report, &got), MP_OK);
    assert_int_equal(got.found, 1);
    assert_int_equal(got.r.id, r);
    assert_int_equal(got.r.cluster_id, c);
    assert_int_equal(got.r.cluster_count, 1);
    assert_int_equal(got.r.created_at, T0 - 5);
    assert_int_equal(got.r.updated_at, T0 - 5); /* its last change is its making */
    assert_string_equal(got.category, "graffiti");
    assert_string_equal(got.description, "test report");
    assert_false(got.has_address);
    assert_string_equal(got.channel, "web");
    assert_string_equal(got.status, "new");
    assert_string_equal(got.district, "32");
    assert_string_equal(got.ext, "SR-1");
    assert_string_equal(got.reason, "{\"kind\":\"new\"}");
    assert_near(got.r.lon, -87.6298123, 0);
    assert_near(got.r.lat, 41.8781456, 0);
    assert_false(got.r.has_photo);
    /* Contact data only when asked for. */
    assert_string_equal(got.name, "(null)");
    assert_string_equal(got.email, "(null)");
    assert_string_equal(got.phone, "(null)");
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_report_get(f->s, r, true, copy_report, &got), MP_OK);
    assert_string_equal(got.name, "Private Person");
    assert_string_equal(got.email, "private@example.org");
    assert_string_equal(got.phone, "312-555-0100");

    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_report_get(f->s, r + 100, true, copy_report, &got), MP_ENOTFOUND);
    assert_int_equal(got.found, 0);

    /* External ids: unique within a municipality, NULL allowed many times. */
    bool exists = false;
    assert_int_equal(mp_store_report_external_exists(f->s, "chicago", "SR-1", &exists), MP_OK);
    assert_true(exists);
    assert_int_equal(mp_store_report_external_exists(f->s, "chicago", "SR-2", &exists), MP_OK);
    assert_false(exists);
    assert_int_equal(mp_store_report_external_exists(f->s, "evanston", "SR-1", &exists), MP_OK);
    assert_false(exists);
    struct mp_report_rec dup;
    memset(&dup, 0, sizeof dup);
    dup.municipality = "chicago";
    dup.category = "graffiti";
    dup.description = "";
    dup.channel = "web";
    dup.status = "new";
    dup.external_id = "SR-1";
    dup.cluster_id = c;
    dup.created_at = T0;
    int64_t id = 0;
    assert_int_equal(mp_store_report_insert(f->s, &dup, &id), MP_ECONFLICT);
    /* Another town's system may have an SR-1 of its own, in a cluster of
     * that town (PostgreSQL's keys refuse a cluster of another one). */
    struct mp_cluster_state ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.municipality, sizeof ev.municipality, "evanston");
    snprintf(ev.category, sizeof ev.category, "graffiti");
    snprintf(ev.status, sizeof ev.status, "new");
    ev.report_count = 1;
    ev.x = ev.sum_x = X0;
    ev.y = ev.sum_y = Y0;
    ev.lon = -87.68;
    ev.lat = 42.04;
    ev.first_at = ev.last_at = T0;
    assert_int_equal(mp_store_cluster_create(f->s, &ev, &dup.cluster_id), MP_OK);
    dup.municipality = "evanston";
    assert_int_equal(mp_store_report_insert(f->s, &dup, &id), MP_OK);
    assert_int_equal(mp_store_report_external_exists(f->s, "evanston", "SR-1", &exists), MP_OK);
    assert_true(exists);
    assert_int_equal(mp_store_report_insert(f->s, &dup, &id), MP_ECONFLICT);
    dup.municipality = "chicago";
    dup.cluster_id = c;
    add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    /* A report must belong to a cluster that exists. */
    dup.external_id = NULL;
    dup.cluster_id = 424242;
    assert_int_not_equal(mp_store_report_insert(f->s, &dup, &id), MP_OK);
    /* And to a municipality. */
    dup.cluster_id = c;
    dup.municipality = NULL;
    assert_int_equal(mp_store_report_insert(f->s, &dup, &id), MP_EINVAL);
    dup.municipality = "";
    assert_int_equal(mp_store_report_insert(f->s, &dup, &id), MP_EINVAL);
}

/* The listing data set: 3 clusters, 6 reports. */
struct data {
    int64_t ca, cb, cc;         /* graffiti/32/new, rodent/6/fixed, graffiti/none/closed */
    int64_t r[6];
};

static void make_data(struct fx *f, struct data *d)
{
    d->ca = add_cluster(f, "graffiti", "new", X0, Y0, -87.6298, 41.8781, T0, T0 + 2 * DAY, "32");
    d->cb = add_cluster(f, "rodent", "fixed", X0, Y0, -87.6553, 41.9484, T0 + 5 * DAY,
                        T0 + 6 * DAY, "6");
    d->cc = add_cluster(f, "graffiti", "closed", X0, Y0, -87.70, 41.70, T0 - 10 * DAY,
                        T0 - 9 * DAY, NULL);
    d->r[0] = add_report(f, d->ca, "graffiti", "new", -87.6298, 41.8781, T0, "32", NULL);
    d->r[1] = add_report(f, d->ca, "graffiti", "new", -87.6297, 41.8782, T0 + 2 * DAY, "32", NULL);
    d->r[2] = add_report(f, d->cb, "rodent", "fixed", -87.6553, 41.9484, T0 + 5 * DAY, "6", NULL);
    d->r[3] = add_report(f, d->cb, "rodent", "fixed", -87.6554, 41.9485, T0 + 6 * DAY, "6", NULL);
    d->r[4] = add_report(f, d->cc, "graffiti", "closed", -87.70, 41.70, T0 - 10 * DAY, NULL, NULL);
    d->r[5] = add_report(f, d->cc, "graffiti", "closed", -87.70, 41.70, T0 - 9 * DAY, NULL, NULL);
}

static void test_report_listing_filters(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_query q;
    struct ids got;

    memset(&q, 0, sizeof q);
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5]);
    assert_false(got.saw_contact);

    /* bbox around the Loop only */
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.64, 41.87, -87.62, 41.89};
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1]);
    /* bbox edges are inclusive */
    q.bbox = (struct mp_bbox){-87.6553, 41.9484, -87.60, 41.99};
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[2]);
    q.bbox = (struct mp_bbox){-80, 10, -79, 11};
    got = list_reports(f, &q);
    EXPECT_NONE(&got);
    q.has_bbox = false;

    /* categories */
    q.categories[0] = "rodent";
    q.ncategories = 1;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[2], d.r[3]);
    q.categories[1] = "graffiti";
    q.ncategories = 2;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5]);
    q.categories[0] = "pothole";
    q.categories[1] = "nonsense'); DROP TABLE reports; --";
    got = list_reports(f, &q);
    EXPECT_NONE(&got);
    q.ncategories = 0;

    /* statuses */
    q.statuses[0] = "closed";
    q.statuses[1] = "fixed";
    q.nstatuses = 2;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[2], d.r[3], d.r[4], d.r[5]);
    q.nstatuses = 1;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[4], d.r[5]);
    q.nstatuses = 0;

    /* district */
    q.district = "6";
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[2], d.r[3]);
    q.district = "77";
    got = list_reports(f, &q);
    EXPECT_NONE(&got);
    q.district = NULL;

    /* since inclusive, until exclusive */
    q.since = T0;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3]);
    q.until = T0 + 5 * DAY;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1]);
    q.since = 0;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[4], d.r[5]);
    q.until = 0;

    /* keyset paging: after_id + limit walks everything once, in order */
    q.limit = 4;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3]);
    q.after_id = d.r[3];
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[4], d.r[5]);
    q.after_id = d.r[5];
    got = list_reports(f, &q);
    EXPECT_NONE(&got);
    q.after_id = 0;
    q.limit = 0;

    /* everything at once */
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-88, 41, -87, 42};
    q.categories[0] = "graffiti";
    q.ncategories = 1;
    q.statuses[0] = "new";
    q.nstatuses = 1;
    q.district = "32";
    q.since = T0 + 1;
    q.limit = 1;
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[1]);

    /* contact data only with with_private */
    memset(&q, 0, sizeof q);
    q.with_private = true;
    got = list_reports(f, &q);
    assert_true(got.saw_contact);

    /* a callback can stop the walk */
    memset(&q, 0, sizeof q);
    memset(&got, 0, sizeof got);
    got.stop_after = 2;
    assert_int_equal(mp_store_reports(f->s, &q, collect_report, &got), MP_OK);
    EXPECT_IDS(&got, d.r[0], d.r[1]);
    /* ... and the next walk starts from the first row again (the statement
     * was reset, not left where the callback stopped it). */
    memset(&got, 0, sizeof got);
    got.stop_after = 1;
    assert_int_equal(mp_store_reports(f->s, &q, collect_report, &got), MP_OK);
    EXPECT_IDS(&got, d.r[0]);

    /* cluster members, oldest first */
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_cluster_reports(f->s, d.cb, collect_report, &got), MP_OK);
    EXPECT_IDS(&got, d.r[2], d.r[3]);
    assert_false(got.saw_contact);
}

static void test_cluster_reports_order(void **state)
{
    struct fx *f = *state;
    int64_t c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    int64_t late = add_report(f, c, "graffiti", "new", -87.6, 41.8, T0 + 100, NULL, NULL);
    int64_t early = add_report(f, c, "graffiti", "new", -87.6, 41.8, T0 - 100, NULL, NULL);
    int64_t same1 = add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    int64_t same2 = add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    struct ids got;
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_cluster_reports(f->s, c, collect_report, &got), MP_OK);
    EXPECT_IDS(&got, early, same1, same2, late);
}

static void test_cluster_listing_filters(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    struct ids got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.ca, d.cb, d.cc);
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.66, 41.94, -87.65, 41.95};
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.cb);
    q.has_bbox = false;
    q.categories[0] = "graffiti";
    q.ncategories = 1;
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.ca, d.cc);
    q.statuses[0] = "new";
    q.nstatuses = 1;
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.ca);
    q.ncategories = q.nstatuses = 0;
    q.district = "6";
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.cb);
    q.district = NULL;
    /* A cluster matches a time range when its span overlaps it. */
    q.since = T0 + DAY; /* ca runs T0..T0+2d: overlaps */
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.ca, d.cb);
    q.since = T0 + 2 * DAY + 1;
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.cb);
    q.since = 0;
    q.until = T0 + 5 * DAY; /* cb starts exactly then: excluded */
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.ca, d.cc);
    q.until = 0;
    q.after_id = d.ca;
    q.limit = 1;
    got = list_clusters(f, &q);
    EXPECT_IDS(&got, d.cb);

    struct ids one;
    memset(&one, 0, sizeof one);
    assert_int_equal(mp_store_cluster_get(f->s, d.cc, collect_cluster, &one), MP_OK);
    EXPECT_IDS(&one, d.cc);
    assert_int_equal(mp_store_cluster_get(f->s, 987654, collect_cluster, &one), MP_ENOTFOUND);
}

static int count_cells(void *ctx, const struct mp_grid_cell *c)
{
    int64_t *tot = ctx;
    tot[0] += 1;
    tot[1] += c->clusters;
    tot[2] += c->reports;
    if (c->clusters > tot[3])
        tot[3] = c->clusters;
    return 0;
}

static void test_grid(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    (void)add_cluster(f, "graffiti", "new", X0, Y0, -87.6299, 41.8780, T0, T0, "32");
    struct mp_query q;
    memset(&q, 0, sizeof q);
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-88, 41.5, -87.5, 42.1};
    int64_t tot[4] = {0, 0, 0, 0};
    assert_int_equal(mp_store_cluster_grid(f->s, &q, 0.05, count_cells, tot), MP_OK);
    assert_int_equal(tot[0], 3); /* Loop (2 clusters), Lake View, far south-west */
    assert_int_equal(tot[1], 4);
    assert_int_equal(tot[2], 4); /* report_count of each cluster row is 1 */
    assert_int_equal(tot[3], 2);
    q.has_bbox = false;
    assert_int_equal(mp_store_cluster_grid(f->s, &q, 0.05, count_cells, tot), MP_EINVAL);
    q.has_bbox = true;
    assert_int_equal(mp_store_cluster_grid(f->s, &q, 0, count_cells, tot), MP_EINVAL);
}

/* The pyramid, summed in memory for a screenful of cells and grouped in SQL
 * for a huge box, must give the cells that aggregating the clusters gives. */
#define PYR_MAX 4096
struct pyr_set {
    size_t n;
    struct mp_grid_cell c[PYR_MAX];
};

static int pyr_collect(void *ctx, const struct mp_grid_cell *c)
{
    struct pyr_set *s = ctx;
    assert_true(s->n < PYR_MAX);
    s->c[s->n++] = *c;
    return 0;
}

static void test_grid_pyramid(void **state)
{
    struct fx *f = *state;
    const char *cats[] = {"pothole", "graffiti", "streetlight"};
    const char *sts[] = {"new", "in_progress", "fixed"};
    uint64_t seed = 42;
    for (int i = 0; i < 400; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double lon = -87.85 + (double)((seed >> 20) % 100000) / 100000.0 * 0.3;
        double lat = 41.70 + (double)((seed >> 40) % 100000) / 100000.0 * 0.25;
        (void)add_cluster(f, cats[i % 3], sts[(i / 3) % 3], lon * 1000, lat * 1000, lon, lat, T0,
                          T0, NULL);
    }
    static struct pyr_set got, want;
    for (int zoom = 8; zoom <= 14; zoom++) {
        double cell = 90.0 / (double)(1L << zoom);
        for (int big = 0; big < 2; big++) {
            struct mp_query q;
            memset(&q, 0, sizeof q);
            q.has_bbox = true;
            /* The small box holds all clusters; the big one is the whole
             * world, too many cells to sum in memory at deep zooms. */
            q.bbox = big ? (struct mp_bbox){-180, -90, 180, 90}
                         : (struct mp_bbox){-88.0, 41.6, -87.4, 42.1};
            if (zoom == 12 && !big) {
                q.categories[0] = cats[0];
                q.ncategories = 1;
            }
            got.n = want.n = 0;
            assert_int_equal(mp_store_grid_pyramid(f->s, &q, zoom, pyr_collect, &got), MP_OK);
            /* The reference: the clusters aggregated on the same lattice. */
            q.bbox.min_lon = floor(q.bbox.min_lon / cell) * cell;
            q.bbox.min_lat = floor(q.bbox.min_lat / cell) * cell;
            assert_int_equal(mp_store_cluster_grid(f->s, &q, cell, pyr_collect, &want), MP_OK);
            assert_true(want.n > 0);
            assert_int_equal(got.n, want.n);
            int64_t ox = (int64_t)llround((q.bbox.min_lon + 180) / cell);
            int64_t oy = (int64_t)llround((q.bbox.min_lat + 90) / cell);
            for (size_t i = 0; i < want.n; i++) {
                const struct mp_grid_cell *w = &want.c[i];
                size_t j = 0;
                while (j < got.n && !(got.c[j].gx == w->gx + ox && got.c[j].gy == w->gy + oy))
                    j++;
                if (j == got.n)
                    fail_msg("zoom %d: cell %lld,%lld missing", zoom, (long long)(w->gx + ox),
                             (long long)(w->gy + oy));
                assert_int_equal(got.c[j].clusters, w->clusters);
                assert_int_equal(got.c[j].reports, w->reports);
                assert_true(fabs(got.c[j].lon - w->lon) < 1e-9);
                assert_true(fabs(got.c[j].lat - w->lat) < 1e-9);
            }
            /* Cells come by column, then row. */
            for (size_t j = 1; j < got.n; j++)
                assert_true(got.c[j - 1].gx < got.c[j].gx ||
                            (got.c[j - 1].gx == got.c[j].gx && got.c[j - 1].gy < got.c[j].gy));
        }
    }
}

/* The pyramid for boxes that cut through the clusters: only the clusters
 * whose cell of the pyramid's level is in the box's range count, whatever
 * way the engine finds them (PostgreSQL sums a wide box without its GiST
 * index, a narrow one with it). The reference is summed here, in C, with
 * the level's formulas. */
static void test_grid_pyramid_cut(void **state)
{
    struct fx *f = *state;
    enum { N = 400 };
    static double lons[N], lats[N];
    uint64_t seed = 7;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        lons[i] = -87.85 + (double)((seed >> 20) % 100000) / 100000.0 * 0.3;
        lats[i] = 41.70 + (double)((seed >> 40) % 100000) / 100000.0 * 0.25;
        (void)add_cluster(f, "pothole", "new", lons[i] * 1000, lats[i] * 1000, lons[i], lats[i],
                          T0, T0, NULL);
    }
    /* A wide box (0.03 square degrees) and a narrow one (0.005), each with
     * clusters outside it on all four sides. */
    const struct mp_bbox boxes[] = {{-87.80, 41.75, -87.60, 41.90}, {-87.75, 41.80, -87.68, 41.87}};
    static struct pyr_set got, want;
    for (int zoom = 8; zoom <= 14; zoom++) {
        int level = zoom <= 10 ? 10 : zoom <= 12 ? 12 : 14;
        double lcell = 90.0 / (double)(1L << level);
        for (size_t b = 0; b < sizeof boxes / sizeof boxes[0]; b++) {
            struct mp_query q;
            memset(&q, 0, sizeof q);
            q.has_bbox = true;
            q.bbox = boxes[b];
            int64_t gx0 = (int64_t)((q.bbox.min_lon + 180) / lcell);
            int64_t gx1 = (int64_t)((q.bbox.max_lon + 180) / lcell);
            int64_t gy0 = (int64_t)((q.bbox.min_lat + 90) / lcell);
            int64_t gy1 = (int64_t)((q.bbox.max_lat + 90) / lcell);
            want.n = got.n = 0;
            for (int i = 0; i < N; i++) {
                int64_t lx = (int64_t)((lons[i] + 180) / lcell);
                int64_t ly = (int64_t)((lats[i] + 90) / lcell);
                if (lx < gx0 || lx > gx1 || ly < gy0 || ly > gy1)
                    continue;
                int64_t gx = lx >> (level - zoom), gy = ly >> (level - zoom);
                size_t j = 0;
                while (j < want.n && !(want.c[j].gx == gx && want.c[j].gy == gy))
                    j++;
                if (j == want.n)
                    want.c[want.n++] = (struct mp_grid_cell){.gx = gx, .gy = gy};
                want.c[j].clusters++;
                want.c[j].reports++;
                want.c[j].lon += lons[i];
                want.c[j].lat += lats[i];
            }
            assert_true(want.n > 0);
            assert_int_equal(mp_store_grid_pyramid(f->s, &q, zoom, pyr_collect, &got), MP_OK);
            if (got.n != want.n)
                fail_msg("zoom %d, box %zu: %zu cells, want %zu", zoom, b, got.n, want.n);
            for (size_t i = 0; i < want.n; i++) {
                const struct mp_grid_cell *w = &want.c[i];
                size_t j = 0;
                while (j < got.n && !(got.c[j].gx == w->gx && got.c[j].gy == w->gy))
                    j++;
                if (j == got.n)
                    fail_msg("zoom %d, box %zu: cell %lld,%lld missing", zoom, b,
                             (long long)w->gx, (long long)w->gy);
                assert_int_equal(got.c[j].clusters, w->clusters);
                assert_int_equal(got.c[j].reports, w->reports);
                assert_true(fabs(got.c[j].lon - w->lon / (double)w->clusters) < 1e-9);
                assert_true(fabs(got.c[j].lat - w->lat / (double)w->clusters) < 1e-9);
            }
        }
    }
}

/* ---- exports, figures and re-clustering's reads ---- */

/* The ids an export cursor hands out (on the session, or on a connection
 * of its own from the location), and the end staying the end. */
static struct ids export_ids(struct fx *f, enum mp_export_what what, const struct mp_query *q,
                             bool own)
{
    struct ids ids;
    memset(&ids, 0, sizeof ids);
    struct mp_export_cursor *c = NULL;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = own ? mp_store_export_open_path(f->file.path, what, q, &c, &err)
                            : mp_store_export_open(f->s, what, q, &c, &err);
    assert_int_equal(rc, MP_OK);
    const struct mp_export_row *row;
    while ((rc = mp_store_export_next(c, &row)) == MP_OK) {
        assert_int_equal(row->what, what);
        int64_t id = what == MP_EXPORT_REPORTS ? row->report.id : row->cluster.id;
        if (what == MP_EXPORT_REPORTS)
            assert_string_equal(row->report.description, "test report");
        if (ids.n < 64)
            ids.v[ids.n++] = id;
    }
    assert_int_equal(rc, MP_ENOTFOUND);
    assert_int_equal(mp_store_export_next(c, &row), MP_ENOTFOUND);
    mp_store_export_close(c);
    return ids;
}

static int64_t export_count(struct fx *f, enum mp_export_what what, const struct mp_query *q)
{
    int64_t n = -1;
    assert_int_equal(mp_store_export_count(f->s, what, q, &n), MP_OK);
    return n;
}

static void test_export_cursors(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    struct ids got = export_ids(f, MP_EXPORT_REPORTS, &q, false);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5]);
    got = export_ids(f, MP_EXPORT_REPORTS, &q, true);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5]);
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 6);
    got = export_ids(f, MP_EXPORT_CLUSTERS, &q, false);
    EXPECT_IDS(&got, d.ca, d.cb, d.cc);
    assert_int_equal(export_count(f, MP_EXPORT_CLUSTERS, &q), 3);

    /* Keyset start and limit; count ignores both. */
    q.after_id = d.r[0];
    q.limit = 2;
    got = export_ids(f, MP_EXPORT_REPORTS, &q, false);
    EXPECT_IDS(&got, d.r[1], d.r[2]);
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 6);
    q.after_id = 0;
    q.limit = 0;

    /* Box, lists, and the updated_at range that only exports have (a
     * report's updated_at is its creation here). */
    q.has_bbox = true;
    q.bbox = (struct mp_bbox){-87.64, 41.87, -87.62, 41.89};
    got = export_ids(f, MP_EXPORT_REPORTS, &q, true);
    EXPECT_IDS(&got, d.r[0], d.r[1]);
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 2);
    got = export_ids(f, MP_EXPORT_CLUSTERS, &q, false);
    EXPECT_IDS(&got, d.ca);
    assert_int_equal(export_count(f, MP_EXPORT_CLUSTERS, &q), 1);
    q.has_bbox = false;
    q.statuses[0] = "closed";
    q.statuses[1] = "fixed";
    q.nstatuses = 2;
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 4);
    q.updated_since = T0 + 5 * DAY;
    q.updated_until = T0 + 6 * DAY;
    got = export_ids(f, MP_EXPORT_REPORTS, &q, false);
    EXPECT_IDS(&got, d.r[2]);
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 1);

    int64_t first = -1, last = -1;
    assert_int_equal(mp_store_export_time_extent(f->s, &first, &last), MP_OK);
    assert_int_equal(first, T0 - 10 * DAY);
    assert_int_equal(last, T0 + 6 * DAY);
}

struct figures {
    int64_t rows, fixed, total;
    int64_t ids[8];
    size_t n;
};

static int stats_row(void *ctx, const struct mp_stats_row *r)
{
    struct figures *g = ctx;
    g->rows++;
    if (strcmp(r->status, "fixed") == 0)
        g->fixed++;
    return 0;
}

static void status_count(void *ctx, const char *status, int64_t n)
{
    struct figures *g = ctx;
    g->total += n;
    if (strcmp(status, "fixed") == 0)
        g->fixed = n;
}

static int replay_row(void *ctx, const struct mp_replay_row *r)
{
    struct ids *ids = ctx;
    if (ids->n < 64)
        ids->v[ids->n++] = r->id;
    return 0;
}

static int state_row(void *ctx, const struct mp_cluster_state *c)
{
    return collect_cluster(ctx, &(struct mp_cluster_row){.id = c->id});
}

static int cluster_id_row(void *ctx, int64_t id, const char *category)
{
    assert_non_null(category);
    return collect_cluster(ctx, &(struct mp_cluster_row){.id = id});
}

static int constraint_row(void *ctx, int64_t a, int64_t b, bool must)
{
    struct ids *ids = ctx;
    if (ids->n < 60) {
        ids->v[ids->n++] = a;
        ids->v[ids->n++] = b;
        ids->v[ids->n++] = must;
    }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---- tenancy: an account's municipalities, and the lists they limit ---- */

struct scope_got {
    bool region_wide;
    char municipalities[128];
};

static int take_scope(void *p, const struct mp_user_row *u)
{
    struct scope_got *g = p;
    g->region_wide = u->region_wide;
    cp(g->municipalities, sizeof g->municipalities, u->municipalities);
    return 0;
}

static int count_work(void *p, const struct mp_work_row *r)
{
    assert_string_equal(r->municipality, "chicago");
    ++*(int *)p;
    return 0;
}

static int work_rows(struct fx *f, const struct mp_scope_set *scope)
{
    struct mp_work_query w;
    memset(&w, 0, sizeof w);
    w.statuses[w.nstatuses++] = "new";
    w.statuses[w.nstatuses++] = "fixed";
    w.statuses[w.nstatuses++] = "closed";
    w.scope = scope;
    int n = 0;
    assert_int_equal(mp_store_work_list(f->s, &w, count_work, &n), MP_OK);
    return n;
}

static void test_tenancy_scope(void **state)
{
    struct fx *f = *state;
    struct data d;
    int64_t id;
    struct scope_got g;
    make_data(f, &d);

    /* A new account is region-wide until it is given municipalities. */
    assert_int_equal(mp_store_user_add(f->s, "dora", "dispatcher", NULL, "hash-dora", &id), MP_OK);
    assert_int_equal(mp_store_user_by_token(f->s, "hash-dora", take_scope, &g), MP_OK);
    assert_true(g.region_wide);
    assert_string_equal(g.municipalities, "(null)");
    static const char two[][MP_MUNICIPALITY_MAXLEN] = {"vilvoorde", "halle"};
    struct mp_scope_set set = {2, two};
    assert_int_equal(mp_store_user_set_municipalities(f->s, "dora", &set), MP_OK);
    assert_int_equal(mp_store_user_by_name(f->s, "dora", take_scope, &g), MP_OK);
    assert_false(g.region_wide);
    assert_string_equal(g.municipalities, "halle,vilvoorde"); /* sorted */
    set.n = 1; /* replaces the set */
    assert_int_equal(mp_store_user_set_municipalities(f->s, "dora", &set), MP_OK);
    assert_int_equal(mp_store_user_by_token(f->s, "hash-dora", take_scope, &g), MP_OK);
    assert_string_equal(g.municipalities, "vilvoorde");
    assert_int_equal(mp_store_user_set_municipalities(f->s, "dora", NULL), MP_OK);
    assert_int_equal(mp_store_user_by_token(f->s, "hash-dora", take_scope, &g), MP_OK);
    assert_true(g.region_wide);
    assert_string_equal(g.municipalities, "(null)");
    assert_int_equal(mp_store_user_set_municipalities(f->s, "nobody", NULL), MP_ENOTFOUND);

    /* Lists: NULL filters nothing, the set keeps its municipalities only,
     * an empty set matches nothing; a name with quotes is bound, not SQL. */
    static const char chicago[][MP_MUNICIPALITY_MAXLEN] = {"halle", "chicago"};
    static const char other[][MP_MUNICIPALITY_MAXLEN] = {"halle", "x\"', \"{}"};
    const struct mp_scope_set mine = {2, chicago}, theirs = {2, other}, none = {0, other};
    assert_int_equal(work_rows(f, NULL), 3);
    assert_int_equal(work_rows(f, &mine), 3);
    assert_int_equal(work_rows(f, &theirs), 0);
    assert_int_equal(work_rows(f, &none), 0);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    for (int own = 0; own < 2; own++) {
        q.scope = &mine;
        struct ids got = export_ids(f, MP_EXPORT_REPORTS, &q, own);
        EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5]);
        q.has_bbox = true; /* the plans with a box bind it elsewhere */
        q.bbox = (struct mp_bbox){-87.64, 41.87, -87.62, 41.89};
        got = export_ids(f, MP_EXPORT_CLUSTERS, &q, own);
        EXPECT_IDS(&got, d.ca);
        q.scope = &theirs;
        got = export_ids(f, MP_EXPORT_CLUSTERS, &q, own);
        assert_int_equal(got.n, 0);
        q.has_bbox = false;
        got = export_ids(f, MP_EXPORT_REPORTS, &q, own);
        assert_int_equal(got.n, 0);
    }
    q.scope = &mine;
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 6);
    q.has_bbox = true;
    assert_int_equal(export_count(f, MP_EXPORT_CLUSTERS, &q), 1);
    q.scope = &none;
    assert_int_equal(export_count(f, MP_EXPORT_CLUSTERS, &q), 0);
    q.has_bbox = false;
    assert_int_equal(export_count(f, MP_EXPORT_REPORTS, &q), 0);
}

static void test_figures_and_replay_reads(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct figures g;
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_store_stats_reports(f->s, T0, T0 + 6 * DAY + 1, NULL, NULL, stats_row, &g),
                     MP_OK);
    assert_int_equal(g.rows, 4);
    assert_int_equal(g.fixed, 2);
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_store_stats_reports(f->s, 0, T0 + 100 * DAY, "graffiti", "32", stats_row,
                                            &g),
                     MP_OK);
    assert_int_equal(g.rows, 2);

    memset(&g, 0, sizeof g);
    assert_int_equal(mp_store_status_counts(f->s, false, status_count, &g), MP_OK);
    assert_int_equal(g.total, 6);
    assert_int_equal(g.fixed, 2);
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_store_status_counts(f->s, true, status_count, &g), MP_OK);
    assert_int_equal(g.total, 3);
    assert_int_equal(g.fixed, 1);
    int64_t bytes = 0;
    assert_int_equal(mp_store_size_bytes(f->s, &bytes), MP_OK);
    assert_true(bytes > 0);

    /* Re-clustering's reads: reports in time order, clusters by id. */
    struct ids got;
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_replay_reports(f->s, NULL, replay_row, &got), MP_OK);
    EXPECT_IDS(&got, d.r[4], d.r[5], d.r[0], d.r[1], d.r[2], d.r[3]);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_replay_reports(f->s, "rodent", replay_row, &got), MP_OK);
    EXPECT_IDS(&got, d.r[2], d.r[3]);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_cluster_ids(f->s, cluster_id_row, &got), MP_OK);
    qsort(got.v, got.n, sizeof got.v[0], cmp_id); /* in no promised order */
    EXPECT_IDS(&got, d.ca, d.cb, d.cc);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_cluster_states_range(f->s, d.cb, d.cc + 5, state_row, &got), MP_OK);
    EXPECT_IDS(&got, d.cb, d.cc);
    int64_t max = 0;
    assert_int_equal(mp_store_cluster_max_id(f->s, &max), MP_OK);
    assert_int_equal(max, d.cc);
    assert_int_equal(mp_store_constraint_add(f->s, d.r[1], d.r[0], true, T0), MP_OK);
    assert_int_equal(mp_store_constraint_add(f->s, d.r[3], d.r[2], false, T0), MP_OK);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_constraints(f->s, constraint_row, &got), MP_OK);
    EXPECT_IDS(&got, d.r[0], d.r[1], 1, d.r[2], d.r[3], 0);
}

/* ---- status, history, photos ---- */

static void test_set_status_applies_to_reports(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    assert_int_equal(mp_store_cluster_set_status(f->s, d.ca, "fixed", T0 + 3 * DAY, T0 + 3 * DAY),
                     MP_OK);
    struct mp_cluster_state s;
    assert_int_equal(mp_store_cluster_state(f->s, d.ca, &s), MP_OK);
    assert_string_equal(s.status, "fixed");
    assert_int_equal(s.fixed_at, T0 + 3 * DAY);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    q.statuses[0] = "fixed";
    q.nstatuses = 1;
    struct ids got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3]);
    /* The other clusters' reports are untouched. */
    q.statuses[0] = "closed";
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[4], d.r[5]);
    struct report_copy rc;
    memset(&rc, 0, sizeof rc);
    assert_int_equal(mp_store_report_get(f->s, d.r[0], false, copy_report, &rc), MP_OK);
    assert_string_equal(rc.status, "fixed");
    assert_int_equal(rc.r.updated_at, T0 + 3 * DAY);
    struct ids cl;
    memset(&cl, 0, sizeof cl);
    q.statuses[0] = "fixed";
    cl = list_clusters(f, &q);
    EXPECT_IDS(&cl, d.ca, d.cb);
    /* Reopen: fixed_at as given. */
    assert_int_equal(mp_store_cluster_set_status(f->s, d.ca, "reopened", 0, T0 + 4 * DAY), MP_OK);
    assert_int_equal(mp_store_cluster_state(f->s, d.ca, &s), MP_OK);
    assert_string_equal(s.status, "reopened");
    assert_int_equal(s.fixed_at, 0);
}

struct hist {
    int n;
    int64_t id[16], report_id[16], at[16];
    char status[16][24], note[16][32], actor[16][32];
    bool pub[16];
    int stop_after;
};

static int collect_history(void *ctx, const struct mp_history_row *h)
{
    struct hist *x = ctx;
    if (x->n < 16) {
        x->id[x->n] = h->id;
        x->report_id[x->n] = h->report_id;
        x->at[x->n] = h->at;
        cp(x->status[x->n], sizeof x->status[0], h->status);
        cp(x->note[x->n], sizeof x->note[0], h->note);
        cp(x->actor[x->n], sizeof x->actor[0], h->actor);
        x->pub[x->n] = h->note_public;
        x->n++;
    }
    return x->stop_after && x->n >= x->stop_after;
}

static void test_history(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_history_rec h[] = {
        {.cluster_id = d.ca, .at = T0 + 100, .status = "acknowledged", .note = "seen",
         .note_public = true, .actor = "dispatcher1"},
        {.cluster_id = d.ca, .at = T0, .status = "new", .note_public = true},
        {.cluster_id = d.ca, .report_id = d.r[1], .at = T0 + 100, .status = "acknowledged",
         .note = "internal: call back", .note_public = false, .actor = "crew7"},
        {.cluster_id = d.cb, .at = T0 + 50, .status = "fixed", .note_public = true},
    };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(mp_store_history_add(f->s, &h[i]), MP_OK);
    struct hist x;
    memset(&x, 0, sizeof x);
    assert_int_equal(mp_store_history(f->s, d.ca, collect_history, &x), MP_OK);
    assert_int_equal(x.n, 3);
    /* ordered by time, then insertion */
    assert_int_equal(x.at[0], T0);
    assert_string_equal(x.status[0], "new");
    assert_int_equal(x.report_id[0], 0);
    assert_string_equal(x.note[0], "(null)");
    assert_string_equal(x.actor[0], "(null)");
    assert_string_equal(x.status[1], "acknowledged");
    assert_string_equal(x.note[1], "seen");
    assert_string_equal(x.actor[1], "dispatcher1");
    assert_true(x.pub[1]);
    assert_true(x.id[1] < x.id[2]);
    assert_int_equal(x.report_id[2], d.r[1]);
    assert_false(x.pub[2]);
    assert_string_equal(x.actor[2], "crew7");
    memset(&x, 0, sizeof x);
    x.stop_after = 1;
    assert_int_equal(mp_store_history(f->s, d.ca, collect_history, &x), MP_OK);
    assert_int_equal(x.n, 1);
    /* A stopped walk leaves nothing behind: the next one reads all three. */
    memset(&x, 0, sizeof x);
    assert_int_equal(mp_store_history(f->s, d.ca, collect_history, &x), MP_OK);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.status[0], "new");
    memset(&x, 0, sizeof x);
    assert_int_equal(mp_store_history(f->s, 424242, collect_history, &x), MP_OK);
    assert_int_equal(x.n, 0);
    /* History of a cluster that does not exist cannot be written. */
    struct mp_history_rec bad = {.cluster_id = 424242, .at = T0, .status = "new"};
    assert_int_not_equal(mp_store_history_add(f->s, &bad), MP_OK);
}

static void test_photos(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    unsigned char full[3000], thumb[300];
    for (size_t i = 0; i < sizeof full; i++)
        full[i] = (unsigned char)(i * 7 + 3);
    for (size_t i = 0; i < sizeof thumb; i++)
        thumb[i] = (unsigned char)(255 - i);
    full[10] = 0; /* binary, with NULs */
    struct mp_photo_rec p = {.full = full, .thumb = thumb, .full_len = sizeof full,
                             .thumb_len = sizeof thumb, .width = 1600, .height = 1200,
                             .mime = "image/jpeg"};
    assert_int_equal(mp_store_photo_put(f->s, d.r[0], &p), MP_OK);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mp_store_photo_get(f->s, d.r[0], false, &data, &len), MP_OK);
    assert_int_equal(len, sizeof full);
    assert_memory_equal(data, full, sizeof full);
    free(data);
    assert_int_equal(mp_store_photo_get(f->s, d.r[0], true, &data, &len), MP_OK);
    assert_int_equal(len, sizeof thumb);
    assert_memory_equal(data, thumb, sizeof thumb);
    free(data);
    data = (void *)full;
    len = 5;
    assert_int_equal(mp_store_photo_get(f->s, d.r[1], false, &data, &len), MP_ENOTFOUND);
    assert_null(data);
    assert_int_equal(len, 0);
    /* One photo per report. */
    assert_int_not_equal(mp_store_photo_put(f->s, d.r[0], &p), MP_OK);
    /* The row says it has one; the others do not. */
    struct report_copy rc;
    memset(&rc, 0, sizeof rc);
    assert_int_equal(mp_store_report_get(f->s, d.r[0], false, copy_report, &rc), MP_OK);
    assert_true(rc.r.has_photo);
    assert_int_equal(mp_store_report_get(f->s, d.r[1], false, copy_report, &rc), MP_OK);
    assert_false(rc.r.has_photo);
}

/* ---- transactions, counts, read-only ---- */

static void test_transactions(void **state)
{
    struct fx *f = *state;
    f->pool = 2;
    reopen(f, false);
    struct mp_error err = {{0}, {0}};
    int64_t nr, nc;
    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    int64_t c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    mp_store_rollback(f->s);
    expect_counts(f->s, 0, 0);
    /* Rolled back ids are gone; nothing in the metric index either. */
    struct mp_cluster_state out[4];
    size_t n = 9;
    assert_int_equal(mp_store_cluster_candidates(f->s, "chicago", "graffiti", X0, Y0, 10, 0, -1, out, 4, &n), MP_OK);
    assert_int_equal(n, 0);

    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    /* Another connection does not see uncommitted rows. */
    struct mp_store_sess *other = mp_store_acquire(f->st);
    assert_int_equal(mp_store_counts(other, &nr, &nc), MP_OK);
    assert_int_equal(nr, 0);
    assert_int_equal(mp_store_commit(f->s, &err), MP_OK);
    expect_counts(other, 1, 1);
    /* A session released inside a transaction is rolled back for the next user. */
    assert_int_equal(mp_store_begin_write(other, &err), MP_OK);
    (void)add_cluster(&(struct fx){.st = f->st, .s = other}, "rodent", "new", X0, Y0, 0, 0, T0,
                      T0, NULL);
    mp_store_release(f->st, other);
    assert_int_equal(mp_store_counts(f->s, &nr, &nc), MP_OK);
    assert_int_equal(nc, 1);
    /* read transactions */
    assert_int_equal(mp_store_begin_read(f->s), MP_OK);
    assert_int_equal(mp_store_counts(f->s, &nr, &nc), MP_OK);
    mp_store_rollback(f->s);
}

static int count_history(void *ctx, const struct mp_history_row *h)
{
    (void)h;
    ++*(int *)ctx;
    return 0;
}

/* pgwrite: writes whose outcome nobody waits for (PostgreSQL sends them
 * ahead, mp_pg_run_later) still land, and one that fails takes the whole
 * transaction with it: a failed commit, nothing kept (on SQLite the write
 * itself fails). */
static void test_writes_sent_ahead(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_cluster_state st;
    int n = 0;
    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    int64_t c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    assert_int_equal(mp_store_cluster_state(f->s, c, &st), MP_OK);
    st.report_count = 2;
    assert_int_equal(mp_store_cluster_update(f->s, &st), MP_OK);
    struct mp_history_rec h = {.cluster_id = c, .at = T0, .status = "new", .note_public = true};
    assert_int_equal(mp_store_history_add(f->s, &h), MP_OK);
    assert_int_equal(mp_store_commit(f->s, &err), MP_OK);
    assert_int_equal(mp_store_cluster_state(f->s, c, &st), MP_OK);
    assert_int_equal(st.report_count, 2);
    assert_int_equal(mp_store_history(f->s, c, count_history, &n), MP_OK);
    assert_int_equal(n, 1);

    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    (void)add_cluster(f, "rodent", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    h.cluster_id = 987654321; /* no such cluster */
    if (mp_store_history_add(f->s, &h) == MP_OK)
        assert_int_not_equal(mp_store_commit(f->s, &err), MP_OK);
    else
        mp_store_rollback(f->s);
    expect_counts(f->s, 0, 1); /* not the rodent cluster either */
}

/* pgwrite: group commit's writers lock places, not the database, where the
 * engine can (PostgreSQL): another place goes on at once, the same place
 * (an overlapping box of the category) waits, and so does a writer that
 * takes the whole database. */
static void test_place_locks(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    if (!mp_store_locks_places(f->s))
        skip(); /* SQLite: one writer per file, begin_write */
    f->pool = 2;
    reopen(f, false);
    const struct mp_store_place here = {"chicago", "graffiti", X0 - 50, Y0 - 50, X0 + 50, Y0 + 50};
    const struct mp_store_place far = {"chicago", "graffiti", X0 + 5000, Y0, X0 + 5100, Y0 + 100};
    const struct mp_store_place other_cat = {"chicago", "rodent", X0 - 50, Y0 - 50, X0, Y0};
    const struct mp_store_place overlap = {"chicago", "graffiti", X0 + 40, Y0 + 40, X0 + 90, Y0 + 90};
    struct mp_store_sess *other = mp_store_acquire(f->st);
    assert_int_equal(mp_store_begin_write_places(f->s, &here, 1, &err), MP_OK);
    assert_int_equal(mp_store_begin_write_places(other, &far, 1, &err), MP_OK);
    mp_store_rollback(other);
    assert_int_equal(mp_store_begin_write_places(other, &other_cat, 1, &err), MP_OK);
    mp_store_rollback(other);
    assert_int_equal(mp_store_begin_write_places(other, &overlap, 1, &err), MP_EUNAVAIL);
    assert_string_equal(err.code, "unavailable");
    assert_int_equal(mp_store_begin_write(other, &err), MP_EUNAVAIL);
    mp_store_rollback(f->s);
    assert_int_equal(mp_store_begin_write_places(other, &overlap, 1, &err), MP_OK);
    mp_store_rollback(other);
    mp_store_release(f->st, other);
}

struct status_setter {
    struct mp_store_sess *s;
    int64_t cluster;
    enum mp_status rc;
};

static void *set_status(void *p)
{
    struct status_setter *w = p;
    w->rc = mp_store_cluster_set_status(w->s, w->cluster, "fixed", T0, T0);
    return NULL;
}

/* pgwrite: two writers of different places that then meet on shared rows
 * in opposite order (pgmap's grid cells do this): PostgreSQL kills one
 * with deadlock_detected, and the store says so (mp_store_tx_conflict),
 * so that group commit runs that batch again instead of answering 503. */
static void test_writer_conflict_is_named(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    if (!fx_engine_pg())
        skip(); /* SQLite: one writer per file, nothing to collide with */
    f->pool = 2;
    reopen(f, false);
    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    int64_t c1 = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    int64_t c2 = add_cluster(f, "graffiti", "new", X0 + 5000, Y0, -87.5, 41.8, T0, T0, NULL);
    assert_int_equal(mp_store_commit(f->s, &err), MP_OK);
    const struct mp_store_place here = {"chicago", "graffiti", X0 - 50, Y0 - 50, X0 + 50, Y0 + 50};
    const struct mp_store_place far = {"chicago", "graffiti", X0 + 4950, Y0 - 50, X0 + 5050, Y0 + 50};
    struct mp_store_sess *other = mp_store_acquire(f->st);
    assert_int_equal(mp_store_begin_write_places(f->s, &here, 1, &err), MP_OK);
    assert_int_equal(mp_store_begin_write_places(other, &far, 1, &err), MP_OK);
    assert_false(mp_store_tx_conflict(f->s));
    assert_int_equal(mp_store_cluster_set_status(f->s, c1, "fixed", T0, T0), MP_OK);
    assert_int_equal(mp_store_cluster_set_status(other, c2, "fixed", T0, T0), MP_OK);
    struct status_setter a = {f->s, c2, MP_OK}; /* waits for other's row */
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, set_status, &a), 0);
    usleep(200 * 1000);
    enum mp_status b = mp_store_cluster_set_status(other, c1, "fixed", T0, T0);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* Exactly one lost, and only the loser is told so. */
    assert_true((a.rc == MP_EUNAVAIL) != (b == MP_EUNAVAIL));
    assert_true(a.rc == MP_OK || b == MP_OK);
    assert_int_equal(mp_store_tx_conflict(f->s), a.rc == MP_EUNAVAIL);
    assert_int_equal(mp_store_tx_conflict(other), b == MP_EUNAVAIL);
    mp_store_rollback(f->s);
    mp_store_rollback(other);
    /* Cleared by the next write transaction. */
    struct mp_store_sess *loser = a.rc == MP_EUNAVAIL ? f->s : other;
    assert_int_equal(mp_store_begin_write(loser, &err), MP_OK);
    assert_false(mp_store_tx_conflict(loser));
    mp_store_rollback(loser);
    mp_store_release(f->st, other);
}

static off_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* With bg_checkpoint the store's own thread copies committed pages into the
 * database file (a committing writer does not: its fallback is 20,000 pages
 * of WAL), and once a WAL of more than 4,096 frames is all copied it
 * truncates it. 20 MB of photo in one commit gives about 5,000 frames. */
static void test_background_checkpoint(void **state)
{
    struct fx *f = *state;
    if (fx_engine_pg())
        skip(); /* SQLite's WAL file; PostgreSQL checkpoints by itself */
    store_close(f);
    struct mp_store_opts o;
    fx_store_opts(&o, 1);
    o.bg_checkpoint = true;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_open(f->file.path, &o, &f->st, &err), MP_OK);
    f->s = mp_store_acquire(f->st);
    char wal[400];
    snprintf(wal, sizeof wal, "%s-wal", f->file.path);
    off_t before = file_size(f->file.path);
    assert_true(before > 0);

    const size_t big = (size_t)20 << 20;
    unsigned char *full = malloc(big);
    assert_non_null(full);
    for (size_t i = 0; i < big; i++)
        full[i] = (unsigned char)(i * 2654435761u >> 24); /* does not compress to nothing */
    struct mp_photo_rec p = {.full = full, .thumb = full, .full_len = big, .thumb_len = 16,
                             .width = 1, .height = 1, .mime = "image/jpeg"};
    assert_int_equal(mp_store_begin_write(f->s, &err), MP_OK);
    int64_t c = add_cluster(f, "graffiti", "new", X0, Y0, -87.6, 41.8, T0, T0, NULL);
    int64_t r = add_report(f, c, "graffiti", "new", -87.6, 41.8, T0, NULL, NULL);
    assert_int_equal(mp_store_photo_put(f->s, r, &p), MP_OK);
    assert_int_equal(mp_store_commit(f->s, &err), MP_OK);
    free(full);
    /* The commit wrote the WAL only. */
    assert_true(file_size(wal) > (off_t)big);

    /* Checkpoints run every 100 ms; give the thread up to 10 s (sanitizers,
     * a busy machine). */
    off_t now = before, wal_now = -1;
    for (int i = 0; i < 1000; i++) {
        now = file_size(f->file.path);
        wal_now = file_size(wal);
        if (now > before + (off_t)big && wal_now == 0)
            break;
        usleep(10000);
    }
    assert_true(now > before + (off_t)big); /* copied into the database file */
    assert_int_equal(wal_now, 0);            /* and the WAL truncated */
    expect_counts(f->s, 1, 1);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mp_store_photo_get(f->s, r, false, &data, &len), MP_OK);
    assert_int_equal(len, big);
    free(data);
}

static void test_readonly_reopen(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    reopen(f, true);
    expect_counts(f->s, 6, 3);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    struct ids got = list_reports(f, &q);
    assert_int_equal(got.n, 6);
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_store_begin_write(f->s, &err);
    if (rc == MP_OK)
        mp_store_rollback(f->s);
    assert_int_equal(rc, MP_EUNAVAIL);
    /* And no write gets through outside a transaction either. */
    struct mp_cluster_state c;
    memset(&c, 0, sizeof c);
    snprintf(c.municipality, sizeof c.municipality, "chicago");
    snprintf(c.category, sizeof c.category, "graffiti");
    snprintf(c.status, sizeof c.status, "new");
    int64_t id = 0;
    assert_int_not_equal(mp_store_cluster_create(f->s, &c, &id), MP_OK);
    assert_int_not_equal(mp_store_cluster_set_status(f->s, d.ca, "closed", 0, T0), MP_OK);
    int64_t nr, nc;
    assert_int_equal(mp_store_counts(f->s, &nr, &nc), MP_OK);
    assert_int_equal(nc, 3);
    /* Writable again afterwards, data intact. */
    reopen(f, false);
    struct mp_cluster_state s;
    assert_int_equal(mp_store_cluster_state(f->s, d.ca, &s), MP_OK);
    assert_string_equal(s.status, "new");
}

static int group_setup(void **state)
{
    (void)state;
    return fx_template_make(&g_template);
}

static int group_teardown(void **state)
{
    (void)state;
    fx_rm_dir(g_template.dir);
    return 0;
}

/* ---- the public map table (report_map, schema v7) ---- */

/* The public fields of up to 16 listed reports, as text, one line each. */
struct rows_text {
    char line[16][1024];
    size_t n;
};

static int row_text(void *ctx, const struct mp_report_row *r)
{
    struct rows_text *t = ctx;
    if (t->n < 16)
        snprintf(t->line[t->n++], sizeof t->line[0],
                 "%lld c=%lld n=%lld %s %s d=%s a=%s ch=%s dist=%s loc=%s t=%lld/%lld"
                 " %.7f,%.7f photo=%d",
                 (long long)r->id, (long long)r->cluster_id, (long long)r->cluster_count,
                 r->category ? r->category : "(null)", r->status ? r->status : "(null)",
                 r->description ? r->description : "(null)", r->address ? r->address : "(null)",
                 r->channel ? r->channel : "(null)", r->district ? r->district : "(null)",
                 r->location ? r->location : "(null)", (long long)r->created_at,
                 (long long)r->updated_at, r->lon, r->lat, r->has_photo);
    return 0;
}

/* The map path (public bbox list) must give exactly what the general query
 * gives (staff lists still read reports and clusters directly). */
static void expect_map_matches(struct fx *f, const struct mp_query *base, int line)
{
    struct mp_query q = *base;
    struct rows_text pub, staff;
    memset(&pub, 0, sizeof pub);
    memset(&staff, 0, sizeof staff);
    q.has_bbox = true;
    q.with_private = false;
    assert_int_equal(mp_store_reports(f->s, &q, row_text, &pub), MP_OK);
    q.with_private = true;
    assert_int_equal(mp_store_reports(f->s, &q, row_text, &staff), MP_OK);
    if (pub.n != staff.n)
        fail_msg("line %d: map path %zu rows, general query %zu", line, pub.n, staff.n);
    for (size_t i = 0; i < pub.n; i++)
        if (strcmp(pub.line[i], staff.line[i]) != 0)
            fail_msg("line %d: row %zu\n map:     %s\n general: %s", line, i, pub.line[i],
                     staff.line[i]);
}

static void test_map_table_follows_changes(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_query q;
    memset(&q, 0, sizeof q);
    q.bbox = (struct mp_bbox){-87.8, 41.6, -87.5, 42.0};
    expect_map_matches(f, &q, __LINE__);

    /* A report joins cluster a: its count changes for every member. */
    int64_t r6 = add_report(f, d.ca, "graffiti", "new", -87.6299, 41.8783, T0 + 3 * DAY, "32",
                            NULL);
    struct mp_cluster_state cs;
    assert_int_equal(mp_store_cluster_state(f->s, d.ca, &cs), MP_OK);
    cs.report_count = 3;
    assert_int_equal(mp_store_cluster_update(f->s, &cs), MP_OK);
    expect_map_matches(f, &q, __LINE__);
    struct rows_text t;
    memset(&t, 0, sizeof t);
    struct mp_query one = q;
    one.has_bbox = true;
    one.bbox = (struct mp_bbox){-87.62995, 41.87825, -87.62985, 41.87835};
    assert_int_equal(mp_store_reports(f->s, &one, row_text, &t), MP_OK);
    assert_int_equal(t.n, 1);
    assert_non_null(strstr(t.line[0], " n=3 "));

    /* Status of a cluster and its reports. */
    assert_int_equal(mp_store_cluster_set_status(f->s, d.ca, "fixed", T0 + 4 * DAY, T0 + 4 * DAY),
                     MP_OK);
    expect_map_matches(f, &q, __LINE__);

    /* A photo, then a report moved to another cluster (and so another count). */
    unsigned char img[4] = {1, 2, 3, 4};
    struct mp_photo_rec p = {.full = img, .thumb = img, .full_len = 4, .thumb_len = 4,
                             .width = 2, .height = 2, .mime = "image/jpeg"};
    assert_int_equal(mp_store_photo_put(f->s, d.r[2], &p), MP_OK);
    assert_int_equal(mp_store_report_set_cluster(f->s, r6, d.cb, "fixed", NULL), MP_OK);
    expect_map_matches(f, &q, __LINE__);
    assert_int_equal(mp_store_reports_move_all(f->s, d.cb, d.ca, "new"), MP_OK);
    expect_map_matches(f, &q, __LINE__);

    /* Filters and paging on the map path. */
    q.categories[0] = "rodent";
    q.ncategories = 1;
    expect_map_matches(f, &q, __LINE__);
    q.ncategories = 0;
    q.statuses[0] = "new";
    q.nstatuses = 1;
    expect_map_matches(f, &q, __LINE__);
    q.nstatuses = 0;
    q.district = "6";
    expect_map_matches(f, &q, __LINE__);
    q.district = NULL;
    q.since = T0 + 1;
    q.until = T0 + 6 * DAY;
    expect_map_matches(f, &q, __LINE__);
    q.since = q.until = 0;
    q.limit = 2;
    q.after_id = d.r[0];
    expect_map_matches(f, &q, __LINE__);
    struct ids got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[1], d.r[2]);
    q.limit = 0;
    q.after_id = 0;

    /* A box of the whole world takes the general path, with the same rows. */
    q.bbox = (struct mp_bbox){-180, -90, 180, 90};
    got = list_reports(f, &q);
    EXPECT_IDS(&got, d.r[0], d.r[1], d.r[2], d.r[3], d.r[4], d.r[5], r6);
    expect_map_matches(f, &q, __LINE__);
}

/* ---- the record of a merge (store_merge.h) ---- */

static int merge_ids(void *ctx, const struct mp_merge_row *m)
{
    struct ids *ids = ctx;
    if (ids->n < 64)
        ids->v[ids->n++] = m->id;
    return 0;
}

static int moved_rows(void *ctx, int64_t merge_id, int64_t from_cluster, const char *kind,
                      int64_t row_id)
{
    struct ids *ids = ctx;
    if (ids->n < 60) {
        ids->v[ids->n++] = merge_id;
        ids->v[ids->n++] = from_cluster;
        ids->v[ids->n++] = strcmp(kind, "report") == 0 ? row_id : -row_id;
    }
    return 0;
}

static void test_merge_record(void **state)
{
    struct fx *f = *state;
    struct data d;
    make_data(f, &d);
    struct mp_history_rec h = {.cluster_id = d.cb, .at = T0 + 6 * DAY, .status = "fixed",
                               .note = "done", .note_public = true, .actor = "crew"};
    assert_int_equal(mp_store_history_add(f->s, &h), MP_OK);
    struct hist before;
    memset(&before, 0, sizeof before);
    assert_int_equal(mp_store_history(f->s, d.cb, collect_history, &before), MP_OK);
    assert_int_equal(before.n, 1);
    int64_t h0 = before.id[0];

    struct mp_merge_rec rec = {.from_cluster = d.cb, .into_cluster = d.ca, .at = T0 + 7 * DAY,
                               .actor = "dana", .distance_m = 12.5, .from_status = "fixed",
                               .into_status = "new", .merged_status = "new",
                               .from_fixed_at = T0 + 6 * DAY, .from_district = "6",
                               .from_street = "", .from_location = ""};
    int64_t m = 0;
    assert_int_equal(mp_store_merge_add(f->s, &rec, &m), MP_OK);
    assert_true(m > 0);
    assert_int_equal(mp_store_merge_note_rows(f->s, m, d.cb), MP_OK);
    h.note = "merged into another job";
    h.at = T0 + 7 * DAY;
    assert_int_equal(mp_store_merge_entry_add(f->s, m, MP_MERGE_ENTRY_FROM, &h), MP_OK);

    struct mp_merge_row *row = malloc(sizeof *row);
    assert_non_null(row);
    assert_int_equal(mp_store_merge_get(f->s, m, row), MP_OK);
    assert_int_equal(row->from_cluster, d.cb);
    assert_int_equal(row->into_cluster, d.ca);
    assert_string_equal(row->actor, "dana");
    assert_false(row->has_reason);
    assert_true(row->distance_m == 12.5);
    assert_false(row->from_work.exists);
    assert_string_equal(row->from_district, "6");
    assert_string_equal(row->from_street, "");
    assert_true(row->entry[MP_MERGE_ENTRY_FROM] > h0);
    assert_int_equal(row->entry[MP_MERGE_ENTRY_INTO], 0);
    assert_int_equal(row->undone_at, 0);
    assert_int_equal(mp_store_merge_get(f->s, m + 99, row), MP_ENOTFOUND);

    /* Nothing moved yet: both reports are still outside the cluster merged
     * into. */
    int64_t n = -1, report = -1, now_in = -1;
    assert_int_equal(mp_store_merge_strays(f->s, m, d.ca, &n, &report, &now_in), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(report, d.r[2]);
    assert_int_equal(now_in, d.cb);
    assert_int_equal(mp_store_merge_strays(f->s, m, d.cb, &n, &report, &now_in), MP_OK);
    assert_int_equal(n, 0);

    struct ids got;
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_merges_in_history(f->s, d.cb, merge_ids, &got), MP_OK);
    EXPECT_IDS(&got, m);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_merges_of_report(f->s, d.r[3], merge_ids, &got), MP_OK);
    EXPECT_IDS(&got, m);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_merge_moved_in(f->s, d.cb, moved_rows, &got), MP_OK);
    EXPECT_IDS(&got, m, d.cb, -h0, m, d.cb, d.r[2], m, d.cb, d.r[3]);

    assert_int_equal(mp_store_merge_restore(f->s, m, d.cb, "fixed", T0 + 8 * DAY, "erik"), MP_OK);
    assert_int_equal(mp_store_merge_get(f->s, m, row), MP_OK);
    assert_int_equal(row->undone_at, T0 + 8 * DAY);
    assert_string_equal(row->undone_by, "erik");
    free(row);
    memset(&got, 0, sizeof got);
    assert_int_equal(mp_store_merges_of_report(f->s, d.r[3], merge_ids, &got), MP_OK);
    EXPECT_NONE(&got);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_schema_version),
        T(test_template_copy_is_empty),
        T(test_reopen_is_idempotent),
        T(test_newer_schema_refused),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_missing_ops),
        T(test_cluster_create_and_state),
        T(test_candidates_metric_box),
        T(test_candidates_never_miss),
        T(test_report_insert_and_get),
        T(test_report_listing_filters),
        T(test_cluster_reports_order),
        T(test_cluster_listing_filters),
        T(test_grid),
        T(test_grid_pyramid),
        T(test_grid_pyramid_cut),
        T(test_export_cursors),
        T(test_tenancy_scope),
        T(test_figures_and_replay_reads),
        T(test_merge_record),
        T(test_set_status_applies_to_reports),
        T(test_history),
        T(test_photos),
        T(test_map_table_follows_changes),
        T(test_transactions),
        T(test_writes_sent_ahead),
        T(test_place_locks),
        T(test_writer_conflict_is_named),
        T(test_background_checkpoint),
        T(test_readonly_reopen),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
