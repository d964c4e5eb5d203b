/* test_recluster.c - re-clustering (mp_recluster) on temporary databases with
 * the Chicago pack, against live inserts as the oracle: a few thousand
 * generated reports in several categories (point and street rules, short
 * and long windows) over more than a year, so that the replay retires
 * clusters as it goes. Replaying what was inserted one by one changes
 * nothing; replaying under changed rules (house numbers among them) gives
 * the clusters that inserting under those rules gives; staff corrections, statuses and ids survive, also
 * when a must-link partner arrives long after its cluster went quiet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/corrections.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/region.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/streets.h"
#include "meldpunt/tz.h"

#define DAY 86400LL
#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
#define NREPORTS 2400
#define SPAN_DAYS 420
#define M_LAT (1.0 / 111320.0)
#define M_LON (1.0 / (111320.0 * 0.7445)) /* at 41.9 N */

struct db {
    struct fx_dbfile file;
    struct mp_store *store;
    struct mp_ctx ctx;
    struct mp_ctx reader; /* a second session, for mp_recluster_with */
};

/* ---- fixture ---- */

static void db_open(struct db *d)
{
    struct mp_error err = {{0}, {0}};
    assert_int_equal(fx_dbfile_copy(&d->file, "mp-recluster", &fx_template), 0);
    assert_int_equal(fx_store_open(d->file.path, 2, &d->store, &err), MP_OK);
    fx_city_ctx(&fx_pack, &d->ctx);
    d->ctx.db = mp_store_acquire(d->store);
    d->reader = d->ctx;
    d->reader.db = mp_store_acquire(d->store);
}

static void db_close(struct db *d)
{
    if (d->store) {
        mp_store_release(d->store, d->reader.db);
        mp_store_release(d->store, d->ctx.db);
        mp_store_close(d->store);
    }
    d->store = NULL;
    fx_rm_dir(d->file.dir);
}

/* ---- data ---- */

static uint32_t g_seed;
static double rnd(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return (double)(g_seed >> 8) / 16777216.0;
}

/* Busy corners of the Loop and two quieter spots further out. */
static const double spots[][2] = {{-87.6278, 41.8819}, {-87.6298, 41.8781}, {-87.6290, 41.8800},
                                  {-87.6544, 41.8817}, {-87.7072, 41.9247}};
static const char *const cats[] = {"pothole",  "street_light_out", "graffiti",
                                   "speeding", "open_hydrant",     "sidewalk_damage"};
/* Addresses with house numbers near the spots (placed by Chicago's grid),
 * a few blocks off (still within 300 m of the pin: placed, and far from
 * the pin), beyond the 300 m the pin allows (not used), on streets the
 * layer lacks or without a number. */
static const char *const addresses[] = {
    "100 W MADISON ST",      "20 N State Street",      "55 S Dearborn St.",
    "1 W MADISON AVE",       "1100 W MADISON ST",      "1118 W Madison St Apt 2",
    "1075 W MADISON ST",     "3200 W FULLERTON AVE",   "3230 W Fullerton Ave",
    "3150 W FULLERTON AVE",  "2400 N KEDZIE AVE",      "300 S DEARBORN ST",
    "310-318 S Dearborn St", "10 S STATE ST",          "5 N STATE ST",
    "1300 W MADISON ST",     "W Madison St",           "12 Elm Street",
};
#define NADDRESSES (sizeof addresses / sizeof *addresses)

/* The same reports, in time order, on every call. */
static void insert_all(struct db *d, int64_t *ids)
{
    struct mp_error err = {{0}, {0}};
    g_seed = 20240611u;
    assert_int_equal(mp_store_begin_write(d->ctx.db, &err), MP_OK);
    for (int i = 0; i < NREPORTS; i++) {
        struct mp_report_input in;
        struct mp_submit_result res;
        memset(&in, 0, sizeof in);
        const double *s = spots[(size_t)(rnd() * 5)];
        const char *cat = cats[(size_t)(rnd() * 6)];
        snprintf(in.category, sizeof in.category, "%s", cat);
        in.lon = s[0] + (rnd() - 0.5) * 160 * M_LON;
        in.lat = s[1] + (rnd() - 0.5) * 160 * M_LAT;
        in.has_lon = in.has_lat = true;
        /* Addresses for every rule: a report whose number is placed away
         * from its pin is searched around both (mp_cluster_in_reach), on
         * insert and in the replay alike. */
        if (rnd() < 0.6)
            in.address = strdup(addresses[(size_t)(rnd() * NADDRESSES)]);
        in.created_at = T0 + (int64_t)i * SPAN_DAYS * DAY / NREPORTS + (int64_t)(rnd() * 600);
        enum mp_status rc = mp_report_submit(&d->ctx, &in, false, &res, &err);
        if (rc)
            fail_msg("report %d: %s", i, err.text);
        ids[i] = res.report_id;
        mp_report_input_clear(&in);
    }
    assert_int_equal(mp_store_commit(d->ctx.db, &err), MP_OK);
}

struct assign {
    int64_t report[NREPORTS], cluster[NREPORTS];
    size_t n;
};

static int take_row(void *p, const struct mp_replay_row *r)
{
    struct assign *a = p;
    if (a->n < NREPORTS) {
        a->report[a->n] = r->id;
        a->cluster[a->n++] = r->cluster_id;
    }
    return 0;
}

/* Report -> cluster, in time order. */
static void assignment(struct db *d, struct assign *a)
{
    a->n = 0;
    assert_int_equal(mp_store_replay_reports(d->ctx.db, NULL, take_row, a), MP_OK);
    assert_int_equal(a->n, NREPORTS);
}

/* Each report's cluster named by the cluster's first report (ids differ
 * between databases, the partition must not). */
static void canonical(const struct assign *a, int64_t *key)
{
    for (size_t i = 0; i < a->n; i++) {
        key[i] = 0;
        for (size_t j = 0; j <= i && !key[i]; j++)
            if (a->cluster[j] == a->cluster[i])
                key[i] = a->report[j];
    }
}

static long distinct(const struct assign *a)
{
    long n = 0;
    for (size_t i = 0; i < a->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = a->cluster[j] == a->cluster[i];
        n += !seen;
    }
    return n;
}

static struct mp_category *category(const char *code)
{
    for (size_t i = 0; i < fx_pack.city->ncategories; i++)
        if (strcmp(fx_pack.city->categories[i].code, code) == 0)
            return &fx_pack.city->categories[i];
    fail_msg("no category %s", code);
    abort(); /* not reached: fail_msg leaves the test; tells the compiler so */
}

/* ---- tests ---- */

/* Inserting one by one and replaying give the same clusters, ids and
 * states (sums exactly: the same members in the same order). */
static void replay_of_live_inserts_changes_nothing(void **state)
{
    (void)state;
    static int64_t ids[NREPORTS];
    static struct assign before, after;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats st;
    db_open(&d);
    insert_all(&d, ids);
    assignment(&d, &before);
    long nclusters = distinct(&before);
    /* A real mix: many joins, many separate clusters. */
    assert_true(nclusters > NREPORTS / 5 && nclusters < NREPORTS * 4 / 5);
    struct mp_cluster_state *states = calloc(NREPORTS, sizeof *states);
    assert_non_null(states);
    for (size_t i = 0; i < before.n; i++)
        assert_int_equal(mp_store_cluster_state(d.ctx.db, before.cluster[i], &states[i]), MP_OK);

    assert_int_equal(mp_recluster(&d.ctx, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports, NREPORTS);
    assert_int_equal(st.reports_moved, 0);
    assert_int_equal(st.clusters_before, nclusters);
    assert_int_equal(st.clusters_after, nclusters);
    assignment(&d, &after);
    for (size_t i = 0; i < before.n; i++) {
        struct mp_cluster_state now;
        assert_int_equal(after.report[i], before.report[i]);
        assert_int_equal(after.cluster[i], before.cluster[i]);
        assert_int_equal(mp_store_cluster_state(d.ctx.db, after.cluster[i], &now), MP_OK);
        assert_int_equal(now.report_count, states[i].report_count);
        assert_true(now.sum_x == states[i].sum_x && now.sum_y == states[i].sum_y);
        assert_true(now.lon == states[i].lon && now.lat == states[i].lat);
        assert_int_equal(now.first_at, states[i].first_at);
        assert_int_equal(now.last_at, states[i].last_at);
        assert_string_equal(now.street, states[i].street);
        assert_string_equal(now.location, states[i].location);
        assert_string_equal(now.district, states[i].district);
    }
    /* The same through the reader thread. */
    assert_int_equal(mp_recluster_with(&d.ctx, &d.reader, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports, NREPORTS);
    assert_int_equal(st.reports_moved, 0);
    assert_int_equal(st.clusters_after, nclusters);
    free(states);
    db_close(&d);
}

/* Replaying under changed rules gives what inserting under them gives. */
static void replay_under_new_rules_matches_live_inserts(void **state)
{
    (void)state;
    static int64_t ids[NREPORTS];
    static struct assign a_old, a_new, b_live;
    static int64_t ka[NREPORTS], kb[NREPORTS];
    struct db a = {0}, b = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats st;
    db_open(&a);
    db_open(&b);
    insert_all(&a, ids);
    assignment(&a, &a_old);

    /* Every rule and every kind of evidence: pins, along the street from
     * pins and from numbers, the address span with and without sides, and
     * the address rule. */
    struct mp_category *graffiti = category("graffiti"), *light = category("street_light_out"),
                       *walk = category("sidewalk_damage"), *hole = category("pothole"),
                       *fast = category("speeding"), *hydrant = category("open_hydrant");
    struct mp_category keep_g = *graffiti, keep_l = *light, keep_w = *walk, keep_h = *hole,
                       keep_f = *fast, keep_y = *hydrant;
    graffiti->radius_m = 60;
    light->window_days = 5;
    light->address_span = 30;
    light->address_side = true;
    walk->radius_m = 8;
    walk->address_span = 60;
    hole->rule = MP_RULE_ADDRESS;
    hole->address_span = 20;
    fast->along_m = 150;
    fast->address_span = 10;
    hydrant->rule = MP_RULE_STREET;
    hydrant->along_m = 120;
    insert_all(&b, ids);
    /* With the reader thread, as the command line runs it. */
    enum mp_status rc = mp_recluster_with(&a.ctx, &a.reader, NULL, &st, &err);
    *graffiti = keep_g;
    *light = keep_l;
    *walk = keep_w;
    *hole = keep_h;
    *fast = keep_f;
    *hydrant = keep_y;
    assert_int_equal(rc, MP_OK);

    assignment(&a, &a_new);
    assignment(&b, &b_live);
    canonical(&a_new, ka);
    canonical(&b_live, kb);
    long changed = 0;
    for (size_t i = 0; i < a_new.n; i++) {
        assert_int_equal(a_new.report[i], b_live.report[i]);
        if (ka[i] != kb[i])
            fail_msg("report %lld: replay puts it with %lld, live insert with %lld",
                     (long long)a_new.report[i], (long long)ka[i], (long long)kb[i]);
        changed += a_new.cluster[i] != a_old.cluster[i];
    }
    assert_true(st.reports_moved > 0);
    assert_int_equal(st.reports_moved, changed);
    assert_int_equal(st.clusters_after, distinct(&b_live));
    assert_int_equal(distinct(&a_new), distinct(&b_live));
    /* Clusters that kept their first report keep their id. */
    for (size_t i = 0; i < a_new.n; i++)
        if (ka[i] == a_new.report[i] && a_old.cluster[i] != 0) {
            bool first_before = false;
            for (size_t j = 0; j < i && !first_before; j++)
                first_before = a_old.cluster[j] == a_old.cluster[i];
            if (!first_before)
                assert_int_equal(a_new.cluster[i], a_old.cluster[i]);
        }
    db_close(&a);
    db_close(&b);
}

static int64_t cluster_of(struct db *d, int64_t report)
{
    static struct assign a;
    assignment(d, &a);
    for (size_t i = 0; i < a.n; i++)
        if (a.report[i] == report)
            return a.cluster[i];
    fail_msg("no report %lld", (long long)report);
    return 0;
}

/* A merge of clusters a year apart (long after the first went quiet), a
 * report moved out, and a fixed cluster: all survive a replay. */
static void corrections_and_statuses_survive(void **state)
{
    (void)state;
    static int64_t ids[NREPORTS];
    static struct assign a;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats st;
    db_open(&d);
    insert_all(&d, ids);
    assignment(&d, &a);
    /* An early and a late report of one category in different clusters;
     * a report in a cluster of two or more; another cluster to fix. */
    size_t early = 0, late = 0, member = 0, fixed = 0;
    int64_t cl_early = a.cluster[early];
    struct mp_cluster_state se, sl, sm;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, cl_early, &se), MP_OK);
    for (size_t i = a.n - 1; i > a.n / 2 && !late; i--) {
        assert_int_equal(mp_store_cluster_state(d.ctx.db, a.cluster[i], &sl), MP_OK);
        if (strcmp(sl.category, se.category) == 0 && a.cluster[i] != cl_early)
            late = i;
    }
    assert_true(late > 0);
    /* A merge links the two clusters' first reports. */
    for (size_t i = 0; i < late; i++)
        if (a.cluster[i] == a.cluster[late])
            late = i;
    for (size_t i = 1; i < a.n / 2 && !member; i++) {
        assert_int_equal(mp_store_cluster_state(d.ctx.db, a.cluster[i], &sm), MP_OK);
        if (sm.report_count >= 2 && a.cluster[i] != cl_early && a.report[i] != ids[0])
            member = i;
    }
    assert_true(member > 0);
    /* In a third category, which the corrections leave alone. */
    for (size_t i = a.n / 3; i < a.n && !fixed; i++) {
        struct mp_cluster_state sf;
        assert_int_equal(mp_store_cluster_state(d.ctx.db, a.cluster[i], &sf), MP_OK);
        if (strcmp(sf.category, se.category) != 0 && strcmp(sf.category, sm.category) != 0)
            fixed = i;
    }
    assert_true(fixed > 0);
    /* Its first report: that one keeps the id whatever the status does to
     * the later ones (a fixed cluster absorbs only for a while). */
    for (size_t i = 0; i < fixed; i++)
        if (a.cluster[i] == a.cluster[fixed])
            fixed = i;
    int64_t late_cluster = a.cluster[late], member_cluster = a.cluster[member];
    int64_t fixed_cluster = a.cluster[fixed];

    struct mp_principal dana = {.name = "dana", .region_wide = true, .role = MP_ROLE_DISPATCHER};
    struct mp_principal boss = {.name = "boss", .region_wide = true, .role = MP_ROLE_ADMIN};
    struct mp_correction_result res;
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, late_cluster, cl_early, "test", &res, &err),
                     MP_OK);
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, a.report[member], 0, &res, &err), MP_OK);
    assert_int_not_equal(res.cluster_id, member_cluster);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&d.ctx, fixed_cluster, "fixed",
                                                  T0 + SPAN_DAYS * DAY, NULL, "crew", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(cluster_of(&d, a.report[late]), cl_early);

    assert_int_equal(mp_recluster_with(&d.ctx, &d.reader, NULL, &st, &err), MP_OK);
    assert_true(st.constraints > 0);
    /* The merge holds although the late report came long after the early
     * cluster's window, and it is still the early cluster. */
    assert_int_equal(cluster_of(&d, a.report[late]), cluster_of(&d, a.report[early]));
    assert_int_equal(cluster_of(&d, a.report[early]), cl_early);
    /* The moved report stays apart from the first report left in the
     * cluster it left. */
    size_t anchor = 0;
    while (anchor < a.n && (a.cluster[anchor] != member_cluster || anchor == member))
        anchor++;
    assert_true(anchor < a.n);
    assert_int_not_equal(cluster_of(&d, a.report[anchor]), cluster_of(&d, a.report[member]));
    /* The fixed cluster keeps its id and status. */
    struct mp_cluster_state sf;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, cluster_of(&d, a.report[fixed]), &sf),
                     MP_OK);
    assert_int_equal(sf.id, fixed_cluster);
    assert_string_equal(sf.status, "fixed");

    /* A second replay has nothing left to change. */
    assert_int_equal(mp_recluster(&d.ctx, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports_moved, 0);
    assert_int_equal(st.clusters_after, st.clusters_before);
    db_close(&d);
}

static int64_t submit_cat(struct mp_ctx *ctx, const char *category, const double *spot,
                          int64_t t, int64_t *cluster)
{
    struct mp_error err = {{0}, {0}};
    struct mp_report_input in;
    struct mp_submit_result res;
    memset(&in, 0, sizeof in);
    snprintf(in.category, sizeof in.category, "%s", category);
    in.lon = spot[0];
    in.lat = spot[1];
    in.has_lon = in.has_lat = true;
    in.created_at = t;
    if (mp_report_submit(ctx, &in, false, &res, &err) != MP_OK)
        fail_msg("submit: %s", err.text);
    *cluster = res.cluster_id;
    return res.report_id;
}

static int64_t submit_at(struct mp_ctx *ctx, const double *spot, int64_t t, int64_t *cluster)
{
    return submit_cat(ctx, "pothole", spot, t, cluster);
}

struct find {
    int64_t report, cluster;
};

static int find_row(void *p, const struct mp_replay_row *r)
{
    struct find *f = p;
    if (r->id == f->report)
        f->cluster = r->cluster_id;
    return 0;
}

/* cluster_of for a database of a few reports. */
static int64_t cluster_of_few(struct db *d, int64_t report)
{
    struct find f = {report, 0};
    assert_int_equal(mp_store_replay_reports(d->ctx.db, NULL, find_row, &f), MP_OK);
    return f.cluster;
}

static void municipality_of(struct db *d, int64_t cluster, const char *want)
{
    struct mp_cluster_state s;
    assert_int_equal(mp_store_cluster_state(d->ctx.db, cluster, &s), MP_OK);
    assert_string_equal(s.municipality, want);
}

/* Two municipalities' potholes on one spot (a region's border; here the
 * Chicago pack under a second id): live inserts keep them apart by the
 * store's key, and so must the replay, which runs with one city for all.
 * A cluster split off keeps its municipality. Without the replay's test of
 * the municipality the four reports fold into one cluster (checked). */
static void municipalities_stay_apart(void **state)
{
    (void)state;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats st;
    db_open(&d);
    struct mp_city other = *fx_pack.city; /* shallow: borrowed tables, own id */
    snprintf(other.id, sizeof other.id, "%s", "evanston");
    struct mp_ctx there = d.ctx;
    there.city = &other;
    int64_t rep[4], clu[4];
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    for (int i = 0; i < 4; i++)
        rep[i] = submit_at(i % 2 ? &there : &d.ctx, spots[0], T0 + i * 3600, &clu[i]);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(clu[2], clu[0]);
    assert_int_equal(clu[3], clu[1]);
    assert_int_not_equal(clu[1], clu[0]);
    municipality_of(&d, clu[0], "chicago");
    municipality_of(&d, clu[1], "evanston");

    assert_int_equal(mp_recluster(&d.ctx, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports_moved, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cluster_of_few(&d, rep[i]), clu[i]);
    municipality_of(&d, clu[0], "chicago");
    municipality_of(&d, clu[1], "evanston");

    /* Staff cannot fold them either: not by a merge, not by a move. */
    struct mp_principal boss = {.name = "boss", .region_wide = true, .role = MP_ROLE_ADMIN};
    struct mp_correction_result res;
    assert_int_equal(mp_corrections_merge(&d.ctx, &boss, clu[1], clu[0], "test", &res, &err),
                     MP_ECONFLICT);
    assert_string_equal(err.code, "municipality_mismatch");
    assert_string_equal(err.text, "cluster 2 is of evanston and cluster 1 of chicago: a job stays"
                                  " in its municipality");
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, rep[1], clu[0], &res, &err),
                     MP_ECONFLICT);
    assert_string_equal(err.text, "cluster 1 is of chicago, the report of evanston: a report"
                                  " stays in its municipality");

    /* Split: the new cluster is the old one's municipality's. */
    assert_int_equal(mp_corrections_move(&d.ctx, &boss, rep[3], 0, &res, &err), MP_OK);
    assert_int_not_equal(res.cluster_id, clu[3]);
    municipality_of(&d, res.cluster_id, "evanston");
    assert_int_equal(mp_recluster_with(&d.ctx, &d.reader, NULL, &st, &err), MP_OK);
    assert_int_equal(cluster_of_few(&d, rep[3]), res.cluster_id);
    assert_int_equal(cluster_of_few(&d, rep[1]), clu[1]);
    assert_int_equal(cluster_of_few(&d, rep[2]), clu[0]);
    municipality_of(&d, res.cluster_id, "evanston");
    db_close(&d);
}

/* A region whose members differ in a rule: the replay places each report
 * by its own municipality's version of the category, as its live insert
 * did. Two members (the Chicago pack, and a copy of it under another id
 * whose graffiti radius is 15 m where the pack's is 25 m) each get two
 * graffiti reports 20 m apart: live, Chicago's fold and the other's stay
 * apart. With the whole's rules for everyone (the replay before it took
 * the member's) the second member's pair folds: 1 report moved (checked). */
static void members_keep_their_own_rules(void **state)
{
    (void)state;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats st;
    db_open(&d);
    const struct mp_city *whole = fx_pack.city;
    struct mp_city near = *whole; /* shallow: borrowed tables, own id and categories */
    snprintf(near.id, sizeof near.id, "%s", "oak_park");
    struct mp_category *cats_near = calloc(whole->ncategories, sizeof *cats_near);
    assert_non_null(cats_near);
    memcpy(cats_near, whole->categories, whole->ncategories * sizeof *cats_near);
    near.categories = cats_near;
    struct mp_category *graf = NULL;
    for (size_t i = 0; i < near.ncategories; i++)
        if (strcmp(cats_near[i].code, "graffiti") == 0)
            graf = &cats_near[i];
    assert_non_null(graf);
    assert_true(mp_city_category(whole, "graffiti")->radius_m == 25);
    assert_int_equal(graf->rule, MP_RULE_POINT);
    graf->radius_m = 15;
    /* Members sorted by id, as mp_region_load leaves them. */
    struct mp_region_member members[2] = {{.city = (struct mp_city *)whole},
                                          {.city = &near}};
    struct mp_region reg = {.whole = (struct mp_city *)whole, .members = members,
                            .nmembers = 2, .of_one = false};
    struct mp_ctx there = d.ctx;
    there.city = &near; /* a live insert in the member runs with the member's pack */

    /* 20 m apart along the latitude, a day between them. */
    const double a[2] = {spots[4][0], spots[4][1]};
    const double b[2] = {spots[4][0], spots[4][1] + 20 * M_LAT};
    const double c[2] = {spots[3][0], spots[3][1]};
    const double e[2] = {spots[3][0], spots[3][1] + 20 * M_LAT};
    int64_t rep[4], clu[4];
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    rep[0] = submit_cat(&d.ctx, "graffiti", a, T0, &clu[0]);
    rep[1] = submit_cat(&d.ctx, "graffiti", b, T0 + DAY, &clu[1]);
    rep[2] = submit_cat(&there, "graffiti", c, T0, &clu[2]);
    rep[3] = submit_cat(&there, "graffiti", e, T0 + DAY, &clu[3]);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(clu[1], clu[0]);     /* 20 m <= 25 m */
    assert_int_not_equal(clu[3], clu[2]); /* 20 m > 15 m */
    municipality_of(&d, clu[2], "oak_park");

    d.ctx.region = &reg;
    d.reader.region = &reg;
    assert_int_equal(mp_recluster(&d.ctx, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports_moved, 0);
    assert_int_equal(st.clusters_after, 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cluster_of_few(&d, rep[i]), clu[i]);
    /* The threaded replay (a second connection reads and snaps) alike. */
    assert_int_equal(mp_recluster_with(&d.ctx, &d.reader, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports_moved, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cluster_of_few(&d, rep[i]), clu[i]);

    /* The member's rule changes (the pack is edited): the replay applies
     * the new one to that member only. */
    graf->radius_m = 30;
    assert_int_equal(mp_recluster(&d.ctx, NULL, &st, &err), MP_OK);
    assert_int_equal(st.reports_moved, 1);
    assert_int_equal(cluster_of_few(&d, rep[3]), clu[2]);
    assert_int_equal(cluster_of_few(&d, rep[1]), clu[0]);
    municipality_of(&d, clu[2], "oak_park");
    db_close(&d);
    free(cats_near);
}

struct muni_find {
    int64_t report;
    char municipality[48];
};

static int find_muni(void *p, const struct mp_replay_row *r)
{
    struct muni_find *f = p;
    if (r->id == f->report)
        snprintf(f->municipality, sizeof f->municipality, "%s", r->municipality);
    return 0;
}

static void report_municipality_is(struct db *d, int64_t report, const char *want)
{
    struct muni_find f = {report, ""};
    assert_int_equal(mp_store_replay_reports(d->ctx.db, NULL, find_muni, &f), MP_OK);
    assert_string_equal(f.municipality, want);
}

/* A region pack's database from before schema 10: the upgrade keyed every
 * row by the region's own id, and its clusters folded across borders
 * (here Halle's and Beersel's sluikstort 20 m apart, one on each side of
 * their border, in one cluster). mp_reroute gives each report the member
 * of its pin and each cluster that of its centre, then re-clusters: the
 * straddling cluster splits, one side keeping its id. Without the replay's
 * test that an old cluster is claimed only by a report of its own
 * municipality, Beersel's report (the first) took the job that is Halle's
 * (checked: it stays "halle" with Beersel's report in it). */
static void rows_before_municipalities_are_rerouted(void **state)
{
    (void)state;
    struct db d = {0};
    struct mp_error err = {{0}, {0}};
    db_open(&d);
    const char *chicago = fx_chicago_dir();
    char dir[600];
    size_t len = (size_t)(strrchr(chicago, '/') - chicago);
    assert_true(len + sizeof "/halle-vilvoorde" <= sizeof dir);
    memcpy(dir, chicago, len);
    memcpy(dir + len, "/halle-vilvoorde", sizeof "/halle-vilvoorde");
    struct mp_region *reg = NULL;
    struct mp_tz *tz = NULL;
    struct mp_geo *geo = NULL;
    struct mp_streets *streets = NULL;
    assert_int_equal(mp_region_load(dir, &reg, &err), MP_OK);
    assert_int_equal(mp_tz_load(reg->whole->timezone, &tz, &err), MP_OK);
    assert_int_equal(mp_geo_new(reg->whole->crs, &geo, &err), MP_OK);
    assert_int_equal(mp_streets_load("/nonexistent/streets.tsv", geo, &streets, &err), MP_OK);
    /* The old server: one pack, no routing by place. */
    struct mp_ctx old = d.ctx;
    old.city = reg->whole;
    old.region = NULL;
    old.tz = tz;
    old.geo = geo;
    old.streets = streets;
    const double halle[2] = {4.282102, 50.733304}, beersel[2] = {4.282385, 50.733313};
    const double vilvoorde[2] = {4.4250, 50.9280};
    int64_t rep[3], clu[3];
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    /* Beersel's first: the centre of the two lies on Halle's side, so the
     * job's first report is not of the municipality the job is given. */
    rep[1] = submit_cat(&old, "sluikstort", beersel, T0, &clu[1]);
    rep[0] = submit_cat(&old, "sluikstort", halle, T0 + DAY, &clu[0]);
    rep[2] = submit_cat(&old, "zwerfvuil", vilvoorde, T0, &clu[2]);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(clu[1], clu[0]); /* folded across the border */
    municipality_of(&d, clu[0], "halle-vilvoorde");
    report_municipality_is(&d, rep[1], "halle-vilvoorde");

    struct mp_ctx now = old, reader = old;
    now.region = reg;
    reader.region = reg;
    reader.db = d.reader.db;
    struct mp_reroute_stats st;
    enum mp_status rc = mp_reroute(&now, &reader, &st, &err);
    if (fx_engine_pg()) {
        /* Rows keyed by the region cannot arise on PostgreSQL (it began
         * at schema 10); it refuses rather than re-key half of its keys. */
        assert_int_equal(rc, MP_EUNSUPPORTED);
        assert_string_equal(err.text, "this storage engine keys every row by its member from the"
                                      " start: re-route a SQLite database before copying it");
        municipality_of(&d, clu[0], "halle-vilvoorde");
    } else {
        assert_int_equal(rc, MP_OK);
        assert_int_equal(st.reports, 3);
        assert_int_equal(st.clusters, 2);
        assert_int_equal(st.unrouted, 0);
        assert_int_equal(st.recluster.reports_moved, 1);
        report_municipality_is(&d, rep[0], "halle");
        report_municipality_is(&d, rep[1], "beersel");
        report_municipality_is(&d, rep[2], "vilvoorde");
        int64_t h = cluster_of_few(&d, rep[0]), b = cluster_of_few(&d, rep[1]);
        assert_int_not_equal(h, b);
        assert_true(h == clu[0] || b == clu[0]); /* one side keeps the job's id */
        municipality_of(&d, h, "halle");
        municipality_of(&d, b, "beersel");
        assert_int_equal(cluster_of_few(&d, rep[2]), clu[2]);
        municipality_of(&d, clu[2], "vilvoorde");
        /* Once is enough: nothing left to re-key, nothing replayed. */
        assert_int_equal(mp_reroute(&now, &reader, &st, &err), MP_OK);
        assert_int_equal(st.reports + st.clusters + st.recluster.reports, 0);
    }
    /* A plain city pack has nothing to route to. */
    assert_int_equal(mp_reroute(&d.ctx, NULL, &st, &err), MP_EINVAL);
    assert_string_equal(err.text, "re-routing needs a region pack (a folder with members/); this"
                                  " is one city");
    mp_streets_free(streets);
    mp_geo_free(geo);
    mp_tz_free(tz);
    mp_region_free(reg);
    db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_of_live_inserts_changes_nothing),
        cmocka_unit_test(replay_under_new_rules_matches_live_inserts),
        cmocka_unit_test(corrections_and_statuses_survive),
        cmocka_unit_test(municipalities_stay_apart),
        cmocka_unit_test(members_keep_their_own_rules),
        cmocka_unit_test(rows_before_municipalities_are_rerouted),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
