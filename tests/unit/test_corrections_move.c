/* test_corrections_move.c - mp_corrections_move into an EXISTING cluster, on a
 * temporary database with the Chicago pack: the target's count, sums,
 * centre (metric and WGS84, also as the candidate index sees it), first and
 * last time; the cluster left behind likewise; the report takes the
 * target's status; the correction and both constraints are stored; moving
 * the last report of a cluster deletes it; a wrong category or an unknown
 * cluster changes nothing and says why. (A move into a new cluster of its
 * own, to = 0, is covered by test_recluster and the API tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/corrections.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"

static const struct mp_principal boss = {.user_id = 7, .name = "boss", .region_wide = true,
                                         .role = MP_ROLE_DISPATCHER};

#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
#define HOUR 3600LL
#define M_LAT (1.0 / 111320.0)
#define M_LON (1.0 / (111320.0 * 0.7445)) /* at 41.9 N */

struct db {
    struct fx_dbfile file;
    struct mp_store *store;
    struct mp_ctx ctx;
};

static void db_open(struct db *d)
{
    struct mp_error err = {{0}, {0}};
    assert_int_equal(fx_dbfile_copy(&d->file, "mp-corrections", &fx_template), 0);
    assert_int_equal(fx_store_open(d->file.path, 1, &d->store, &err), MP_OK);
    fx_city_ctx(&fx_pack, &d->ctx);
    d->ctx.db = mp_store_acquire(d->store);
}

static void db_close(struct db *d)
{
    if (d->store) {
        mp_store_release(d->store, d->ctx.db);
        mp_store_close(d->store);
    }
    d->store = NULL;
    fx_rm_dir(d->file.dir);
}

/* A report of category at (lon, lat), created at t, inside the caller's
 * write transaction. */
static struct mp_submit_result put(struct db *d, const char *category, double lon, double lat,
                                   int64_t t)
{
    struct mp_report_input in;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    memset(&in, 0, sizeof in);
    snprintf(in.category, sizeof in.category, "%s", category);
    in.lon = lon;
    in.lat = lat;
    in.has_lon = in.has_lat = true;
    in.created_at = t;
    if (mp_report_submit(&d->ctx, &in, false, &res, &err) != MP_OK)
        fail_msg("submit: %s", err.text);
    return res;
}

struct report_seen {
    int64_t cluster_id;
    char status[MP_STATUS_MAXLEN];
    char join_reason[96];
};

static int grab_report(void *p, const struct mp_report_row *r)
{
    struct report_seen *s = p;
    s->cluster_id = r->cluster_id;
    snprintf(s->status, sizeof s->status, "%s", r->status ? r->status : "");
    snprintf(s->join_reason, sizeof s->join_reason, "%s", r->join_reason ? r->join_reason : "");
    return 0;
}

static struct report_seen report_of(struct db *d, int64_t id)
{
    struct report_seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(mp_store_report_get(d->ctx.db, id, true, grab_report, &s), MP_OK);
    return s;
}

struct constraints {
    int64_t a[16], b[16];
    bool must[16];
    size_t n;
};

static int grab_constraint(void *p, int64_t a, int64_t b, bool must)
{
    struct constraints *c = p;
    if (c->n < 16) {
        c->a[c->n] = a;
        c->b[c->n] = b;
        c->must[c->n] = must;
        c->n++;
    }
    return 0;
}

/* Whether the pair {a, b} is stored with this must flag. */
static bool has_constraint(const struct constraints *c, int64_t a, int64_t b, bool must)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->must[i] == must &&
            ((c->a[i] == a && c->b[i] == b) || (c->a[i] == b && c->b[i] == a)))
            return true;
    return false;
}

/* Whether the candidate index finds cluster id at (x, y) within 1 m, with
 * count reports. */
static bool indexed_at(struct db *d, const char *category, int64_t id, double x, double y,
                       int64_t count)
{
    struct mp_cluster_state found[16];
    size_t n = 0;
    assert_int_equal(
        mp_store_cluster_candidates(d->ctx.db, "chicago", category, x, y, 1.0, 0, -1, found, 16, &n), MP_OK);
    for (size_t i = 0; i < n; i++)
        if (found[i].id == id)
            return found[i].report_count == count && fabs(found[i].x - x) < 0.01 &&
                   fabs(found[i].y - y) < 0.01;
    return false;
}

/* Two clusters of graffiti (point rule, 25 m): A = {a1, a2 10 m east of
 * it}, B = {b1 300 m east}, B acknowledged. a2 moves into B. */
static void move_into_existing_cluster(void **state)
{
    (void)state;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    const double lon0 = -87.6298, lat0 = 41.8781;
    db_open(&d);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    struct mp_submit_result a1 = put(&d, "graffiti", lon0, lat0, T0);
    struct mp_submit_result a2 = put(&d, "graffiti", lon0 + 10 * M_LON, lat0, T0 + HOUR);
    struct mp_submit_result b1 =
        put(&d, "graffiti", lon0 + 300 * M_LON, lat0 + 5 * M_LAT, T0 + 2 * HOUR);
    assert_int_equal(a2.cluster_id, a1.cluster_id);
    assert_int_not_equal(b1.cluster_id, a1.cluster_id);
    assert_int_equal(mp_report_cluster_set_status(&d.ctx, b1.cluster_id, "acknowledged",
                                                  T0 + 2 * HOUR, NULL, "dana", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);

    /* The metric positions of the three reports, as the store keeps them. */
    double xa1, ya1, xa2, ya2, xb1, yb1;
    assert_int_equal(mp_geo_forward(d.ctx.geo, lon0, lat0, &xa1, &ya1), MP_OK);
    assert_int_equal(mp_geo_forward(d.ctx.geo, lon0 + 10 * M_LON, lat0, &xa2, &ya2), MP_OK);
    assert_int_equal(mp_geo_forward(d.ctx.geo, lon0 + 300 * M_LON, lat0 + 5 * M_LAT, &xb1, &yb1),
                     MP_OK);

    struct mp_correction_result res;
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, a2.report_id, b1.cluster_id, &res, &err),
                     MP_OK);
    assert_int_equal(res.cluster_id, b1.cluster_id);

    /* The target: two reports, centre half way, times spanning both. */
    struct mp_cluster_state b;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, b1.cluster_id, &b), MP_OK);
    assert_int_equal(b.report_count, 2);
    assert_near(b.sum_x, xa2 + xb1, 1e-6);
    assert_near(b.sum_y, ya2 + yb1, 1e-6);
    assert_near(b.x, (xa2 + xb1) / 2, 1e-6);
    assert_near(b.y, (ya2 + yb1) / 2, 1e-6);
    double lon, lat;
    assert_int_equal(mp_geo_inverse(d.ctx.geo, b.x, b.y, &lon, &lat), MP_OK);
    assert_near(b.lon, lon, 1e-9);
    assert_near(b.lat, lat, 1e-9);
    assert_near(b.lon, lon0 + 155 * M_LON, 0.2 * M_LON); /* (10 + 300) / 2 m east */
    assert_int_equal(b.first_at, T0 + HOUR);
    assert_int_equal(b.last_at, T0 + 2 * HOUR);
    assert_string_equal(b.status, "acknowledged");
    assert_true(indexed_at(&d, "graffiti", b.id, b.x, b.y, 2));

    /* The cluster left behind: a1 alone, centre on it. */
    struct mp_cluster_state a;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, a1.cluster_id, &a), MP_OK);
    assert_int_equal(a.report_count, 1);
    assert_near(a.x, xa1, 1e-6);
    assert_near(a.y, ya1, 1e-6);
    assert_near(a.sum_x, xa1, 1e-6);
    assert_near(a.lon, lon0, 1e-7);
    assert_near(a.lat, lat0, 1e-7);
    assert_int_equal(a.first_at, T0);
    assert_int_equal(a.last_at, T0);
    assert_string_equal(a.status, "new");
    assert_true(indexed_at(&d, "graffiti", a.id, a.x, a.y, 1));

    /* The report: in B, with B's status, placed by staff. */
    struct report_seen r = report_of(&d, a2.report_id);
    assert_int_equal(r.cluster_id, b1.cluster_id);
    assert_string_equal(r.status, "acknowledged");
    assert_string_equal(r.join_reason, "{\"kind\":\"staff\",\"rule\":null}");
    assert_int_equal(report_of(&d, a1.report_id).cluster_id, a1.cluster_id);
    assert_int_equal(report_of(&d, b1.report_id).cluster_id, b1.cluster_id);

    /* Re-clustering's constraints: never with a1, always with b1. */
    struct constraints c = {0};
    assert_int_equal(mp_store_constraints(d.ctx.db, grab_constraint, &c), MP_OK);
    assert_int_equal(c.n, 2);
    assert_true(has_constraint(&c, a2.report_id, a1.report_id, false));
    assert_true(has_constraint(&c, a2.report_id, b1.report_id, true));

    /* Moving a1, the last report of A, into B too: A is gone, B has three. */
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, a1.report_id, b1.cluster_id, &res, &err),
                     MP_OK);
    assert_int_equal(mp_store_cluster_state(d.ctx.db, a1.cluster_id, &a), MP_ENOTFOUND);
    assert_false(indexed_at(&d, "graffiti", a1.cluster_id, xa1, ya1, 1));
    assert_int_equal(mp_store_cluster_state(d.ctx.db, b1.cluster_id, &b), MP_OK);
    assert_int_equal(b.report_count, 3);
    assert_near(b.x, (xa1 + xa2 + xb1) / 3, 1e-6);
    assert_near(b.y, (ya1 + ya2 + yb1) / 3, 1e-6);
    assert_int_equal(b.first_at, T0);
    assert_int_equal(b.last_at, T0 + 2 * HOUR);
    assert_true(indexed_at(&d, "graffiti", b.id, b.x, b.y, 3));
    db_close(&d);
}

/* Refused moves say why and change nothing. */
static void move_refused(void **state)
{
    (void)state;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    const double lon0 = -87.6500, lat0 = 41.9000;
    db_open(&d);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    struct mp_submit_result g = put(&d, "graffiti", lon0, lat0, T0);
    struct mp_submit_result g2 = put(&d, "graffiti", lon0, lat0 + 5 * M_LAT, T0 + HOUR);
    struct mp_submit_result p = put(&d, "illegal_dumping", lon0 + 200 * M_LON, lat0, T0);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(g2.cluster_id, g.cluster_id);

    struct mp_correction_result res;
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, g2.report_id, p.cluster_id, &res, &err),
                     MP_ECONFLICT);
    assert_string_equal(err.code, "category_mismatch");
    char want[160];
    snprintf(want, sizeof want, "cluster %lld is about illegal_dumping, the report about graffiti",
             (long long)p.cluster_id);
    assert_string_equal(err.text, want);
    assert_int_equal(
        mp_corrections_move(&d.ctx, &boss, g2.report_id, p.cluster_id + 1000, &res, &err),
        MP_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    snprintf(want, sizeof want, "there is no cluster %lld", (long long)(p.cluster_id + 1000));
    assert_string_equal(err.text, want);
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, g2.report_id, g.cluster_id, &res, &err),
                     MP_EINVAL);
    snprintf(want, sizeof want, "the report is already in cluster %lld", (long long)g.cluster_id);
    assert_string_equal(err.text, want);

    struct mp_cluster_state s;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, g.cluster_id, &s), MP_OK);
    assert_int_equal(s.report_count, 2);
    assert_int_equal(mp_store_cluster_state(d.ctx.db, p.cluster_id, &s), MP_OK);
    assert_int_equal(s.report_count, 1);
    assert_int_equal(report_of(&d, g2.report_id).cluster_id, g.cluster_id);
    db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(move_into_existing_cluster),
        cmocka_unit_test(move_refused),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
