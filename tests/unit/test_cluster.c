/* test_cluster.c - the duplicate-folding rules (point rule) exactly at their
 * edges: radius, time window, category, status, fixed absorption, exclusion,
 * ties; the centre arithmetic of mp_cluster_add_member; status helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "meldpunt/cluster.h"

#define DAY 86400LL
#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
/* The new report sits here; metric coordinates chosen so that distances
 * like 25.0 and 25.01 are exact enough to test the <= edge. */
#define X0 447000.0
#define Y0 4636000.0

static struct mp_category graffiti(void)
{
    struct mp_category c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "graffiti");
    c.rule = MP_RULE_POINT;
    c.radius_m = 25;
    c.window_days = 30;
    c.fixed_absorb_days = 2;
    c.service_days = 5;
    c.priority = 3;
    return c;
}

static struct mp_cluster_state cand(int64_t id, const char *cat, const char *status, double x,
                                    double y, int64_t first, int64_t last)
{
    struct mp_cluster_state s;
    memset(&s, 0, sizeof s);
    s.id = id;
    snprintf(s.category, sizeof s.category, "%s", cat);
    snprintf(s.status, sizeof s.status, "%s", status);
    s.report_count = 1;
    s.x = s.sum_x = x;
    s.y = s.sum_y = y;
    s.first_at = first;
    s.last_at = last;
    return s;
}

static long choose1(const struct mp_category *cat, const struct mp_cluster_state *c, int64_t t)
{
    return mp_cluster_choose(cat, X0, Y0, t, c, 1, NULL, 0, NULL);
}

/* ---- radius ---- */

static void test_radius_edge(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c = cand(1, "graffiti", "new", X0 + 25.0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), 0); /* exactly at the radius joins */
    c.x = X0 + 25.01;
    assert_int_equal(choose1(&cat, &c, T0), -1); /* 1 cm past does not */
    c.x = X0 - 25.0;
    assert_int_equal(choose1(&cat, &c, T0), 0);
    c.x = X0 - 25.01;
    assert_int_equal(choose1(&cat, &c, T0), -1);
    /* Along y, and on the diagonal (15, 20): 25.0 exactly. */
    c.x = X0;
    c.y = Y0 - 25.0;
    assert_int_equal(choose1(&cat, &c, T0), 0);
    c.y = Y0 + 25.01;
    assert_int_equal(choose1(&cat, &c, T0), -1);
    c.x = X0 + 15.0;
    c.y = Y0 + 20.0;
    assert_int_equal(choose1(&cat, &c, T0), 0);
    c.x = X0 + 15.01;
    assert_int_equal(choose1(&cat, &c, T0), -1);
    /* Same spot. */
    c.x = X0;
    c.y = Y0;
    assert_int_equal(choose1(&cat, &c, T0), 0);
}

static void test_radius_is_the_categorys(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c = cand(1, "graffiti", "new", X0 + 40.0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), -1);
    cat.radius_m = 40;
    assert_int_equal(choose1(&cat, &c, T0), 0);
    cat.radius_m = 0; /* radius 0: only the same point */
    assert_int_equal(choose1(&cat, &c, T0), -1);
    c.x = X0;
    assert_int_equal(choose1(&cat, &c, T0), 0);
}

/* ---- time window ---- */

static void test_window_edge(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c = cand(1, "graffiti", "new", X0 + 10, Y0, T0 - 5 * DAY, T0);
    assert_int_equal(choose1(&cat, &c, T0 + 30 * DAY), 0);      /* exactly at the edge */
    assert_int_equal(choose1(&cat, &c, T0 + 30 * DAY + 1), -1); /* 1 s past */
    assert_int_equal(choose1(&cat, &c, T0 + 1), 0);
    cat.window_days = 0; /* a window of 0 days: only the very same second */
    assert_int_equal(choose1(&cat, &c, T0), 0);
    assert_int_equal(choose1(&cat, &c, T0 + 1), -1);
}

static void test_window_counts_from_latest(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    /* first report 100 days ago, latest 10 days ago: still open for 20 days. */
    struct mp_cluster_state c =
        cand(1, "graffiti", "acknowledged", X0, Y0, T0 - 100 * DAY, T0 - 10 * DAY);
    assert_int_equal(choose1(&cat, &c, T0), 0);
    assert_int_equal(choose1(&cat, &c, T0 + 20 * DAY), 0);
    assert_int_equal(choose1(&cat, &c, T0 + 20 * DAY + 1), -1);
}

static void test_window_out_of_order(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    /* A report older than the cluster (imports, phone backlog): the gap is
     * measured to the cluster's first report. */
    struct mp_cluster_state c = cand(1, "graffiti", "new", X0, Y0, T0, T0 + 3 * DAY);
    assert_int_equal(choose1(&cat, &c, T0 - 30 * DAY), 0);
    assert_int_equal(choose1(&cat, &c, T0 - 30 * DAY - 1), -1);
    assert_int_equal(choose1(&cat, &c, T0 + DAY), 0); /* inside the span: gap 0 */
}

/* ---- category and status ---- */

static void test_other_category(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c = cand(1, "illegal_dumping", "new", X0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), -1);
    /* A prefix of the code is another category too. */
    c = cand(1, "graffit", "new", X0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), -1);
    c = cand(1, "graffiti_x", "new", X0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), -1);
}

static void test_open_statuses_join(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    const char *open[] = {"new", "acknowledged", "scheduled", "in_progress", "reopened"};
    for (size_t i = 0; i < 5; i++) {
        struct mp_cluster_state c = cand(1, "graffiti", open[i], X0, Y0, T0, T0);
        assert_int_equal(choose1(&cat, &c, T0 + DAY), 0);
    }
}

static void test_closed_not_joined(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    const char *closed[] = {"closed", "not_responsible"};
    for (size_t i = 0; i < 2; i++) {
        struct mp_cluster_state c = cand(1, "graffiti", closed[i], X0, Y0, T0, T0);
        c.fixed_at = T0; /* even with a fixed time set */
        assert_int_equal(choose1(&cat, &c, T0 + 1), -1);
    }
    /* An unknown status is not open. */
    struct mp_cluster_state c = cand(1, "graffiti", "bogus", X0, Y0, T0, T0);
    assert_int_equal(choose1(&cat, &c, T0), -1);
}

static void test_fixed_absorb(void **state)
{
    (void)state;
    struct mp_category cat = graffiti(); /* fixed_absorb_days = 2 */
    struct mp_cluster_state c = cand(1, "graffiti", "fixed", X0, Y0, T0 - DAY, T0);
    c.fixed_at = T0 + DAY;
    assert_int_equal(choose1(&cat, &c, T0 + DAY), 0);
    assert_int_equal(choose1(&cat, &c, T0 + 3 * DAY), 0);      /* exactly 2 days after */
    assert_int_equal(choose1(&cat, &c, T0 + 3 * DAY + 1), -1); /* 1 s later */
    /* The window still applies while absorbing. */
    cat.fixed_absorb_days = 40;
    assert_int_equal(choose1(&cat, &c, T0 + 30 * DAY), 0);
    assert_int_equal(choose1(&cat, &c, T0 + 30 * DAY + 1), -1);
    /* Never absorbed when the category says 0 days. */
    cat.fixed_absorb_days = 0;
    assert_int_equal(choose1(&cat, &c, T0 + DAY), -1);
    /* A fixed cluster without a fixed time does not absorb. */
    cat.fixed_absorb_days = 2;
    c.fixed_at = 0;
    assert_int_equal(choose1(&cat, &c, T0 + DAY), -1);
}

/* ---- several candidates ---- */

static void test_nearest_wins(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c[3] = {
        cand(7, "graffiti", "new", X0 + 20, Y0, T0, T0),
        cand(9, "graffiti", "new", X0 + 5, Y0, T0, T0),
        cand(3, "graffiti", "new", X0, Y0 + 12, T0, T0),
    };
    struct mp_join_reason why;
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0 + 60, c, 3, NULL, 0, &why), 1);
    assert_string_equal(why.kind, "nearest");
    assert_int_equal(why.rule, MP_RULE_POINT);
    assert_near(why.distance_m, 5.0, 1e-9);
    assert_int_equal(why.age_s, 60);
    assert_near(why.radius_m, 25.0, 0);
    assert_int_equal(why.window_s, 30 * DAY);
    /* A nearer cluster of another category or a closed one does not count. */
    snprintf(c[1].category, sizeof c[1].category, "rodent");
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 3, NULL, 0, NULL), 2);
    snprintf(c[2].status, sizeof c[2].status, "closed");
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 3, NULL, 0, NULL), 0);
}

static void test_tie_goes_to_lower_id(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c[3] = {
        cand(12, "graffiti", "new", X0 + 10, Y0, T0, T0),
        cand(5, "graffiti", "new", X0 - 10, Y0, T0, T0),
        cand(8, "graffiti", "new", X0, Y0 + 10, T0, T0),
    };
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 3, NULL, 0, NULL), 1);
    /* Whatever the order of the candidates. */
    struct mp_cluster_state r[3] = {c[2], c[0], c[1]};
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, r, 3, NULL, 0, NULL), 2);
    struct mp_cluster_state s[3] = {c[1], c[2], c[0]};
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, s, 3, NULL, 0, NULL), 0);
}

static void test_exclude_list(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_cluster_state c[2] = {
        cand(4, "graffiti", "new", X0 + 2, Y0, T0, T0),
        cand(6, "graffiti", "new", X0 + 20, Y0, T0, T0),
    };
    const int64_t ex1[] = {4};
    const int64_t ex2[] = {99, 6, 4};
    const int64_t ex3[] = {6};
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 2, ex1, 1, NULL), 1);
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 2, ex3, 1, NULL), 0);
    struct mp_join_reason why;
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 2, ex2, 3, &why), -1);
    assert_string_equal(why.kind, "new");
    /* nexclude bounds the list: only the first entry (99) counts here. */
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, c, 2, ex2, 1, NULL), 0);
}

static void test_no_candidates(void **state)
{
    (void)state;
    struct mp_category cat = graffiti();
    struct mp_join_reason why;
    memset(&why, 0x5a, sizeof why);
    assert_int_equal(mp_cluster_choose(&cat, X0, Y0, T0, NULL, 0, NULL, 0, &why), -1);
    assert_string_equal(why.kind, "new");
    assert_near(why.distance_m, 0, 0);
    assert_int_equal(why.age_s, 0);
    assert_near(why.radius_m, 25, 0);
    assert_int_equal(why.window_s, 30 * DAY);
}

/* ---- add_member ---- */

static void test_add_member_first(void **state)
{
    (void)state;
    struct mp_cluster_state st;
    memset(&st, 0, sizeof st);
    st.sum_x = 123; /* garbage from a caller must not leak into the sums */
    mp_cluster_add_member(&st, 100.0, 200.0, T0);
    assert_int_equal(st.report_count, 1);
    assert_near(st.x, 100.0, 0);
    assert_near(st.y, 200.0, 0);
    assert_near(st.sum_x, 100.0, 0);
    assert_near(st.sum_y, 200.0, 0);
    assert_int_equal(st.first_at, T0);
    assert_int_equal(st.last_at, T0);
}

static void test_add_member_centre(void **state)
{
    (void)state;
    struct mp_cluster_state st;
    memset(&st, 0, sizeof st);
    mp_cluster_add_member(&st, X0, Y0, T0);
    mp_cluster_add_member(&st, X0 + 10, Y0 + 4, T0 + 100);
    assert_int_equal(st.report_count, 2);
    assert_near(st.x, X0 + 5, 1e-9);
    assert_near(st.y, Y0 + 2, 1e-9);
    assert_int_equal(st.first_at, T0);
    assert_int_equal(st.last_at, T0 + 100);
    /* An older report (out of order) moves first_at back, not last_at. */
    mp_cluster_add_member(&st, X0 + 20, Y0 - 4, T0 - 50);
    assert_int_equal(st.report_count, 3);
    assert_near(st.x, X0 + 10, 1e-9);
    assert_near(st.y, Y0 + 0, 1e-9);
    assert_near(st.sum_x, 3 * X0 + 30, 1e-6);
    assert_near(st.sum_y, 3 * Y0, 1e-6);
    assert_int_equal(st.first_at, T0 - 50);
    assert_int_equal(st.last_at, T0 + 100);
}

static void test_add_member_many(void **state)
{
    (void)state;
    /* 1000 members on a ring of radius 20 m around a point: the centre
     * stays on that point to well under a millimetre. */
    struct mp_cluster_state st;
    memset(&st, 0, sizeof st);
    for (int i = 0; i < 1000; i++) {
        double a = 2 * M_PI * i / 1000.0;
        mp_cluster_add_member(&st, X0 + 20 * cos(a), Y0 + 20 * sin(a), T0 + i);
    }
    assert_int_equal(st.report_count, 1000);
    assert_near(st.x, X0, 1e-4);
    assert_near(st.y, Y0, 1e-4);
    assert_int_equal(st.last_at, T0 + 999);
}

static void test_add_member_existing(void **state)
{
    (void)state;
    /* A cluster as read from the store (count 2) takes a third member. */
    struct mp_cluster_state st = cand(3, "graffiti", "new", 0, 0, T0, T0 + 10);
    st.report_count = 2;
    st.sum_x = 2 * X0 + 6;
    st.sum_y = 2 * Y0;
    st.x = X0 + 3;
    st.y = Y0;
    mp_cluster_add_member(&st, X0 + 6, Y0 + 9, T0 + 5);
    assert_int_equal(st.report_count, 3);
    assert_near(st.x, X0 + 4, 1e-9);
    assert_near(st.y, Y0 + 3, 1e-9);
    assert_int_equal(st.first_at, T0);
    assert_int_equal(st.last_at, T0 + 10);
}

/* ---- street rule (mp_cluster_choose_probe) ---- */

static struct mp_category pothole(void)
{
    struct mp_category c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "pothole");
    c.rule = MP_RULE_STREET;
    c.radius_m = 15;
    c.along_m = 100;
    c.window_days = 84;
    c.fixed_absorb_days = 3;
    return c;
}

/* A report on N CLARK ST (running north-south) at (X0, Y0). */
static struct mp_cluster_probe on_clark(int64_t t)
{
    struct mp_cluster_probe p;
    memset(&p, 0, sizeof p);
    p.x = p.sx = X0;
    p.y = p.sy = Y0;
    p.t = t;
    p.street = "N CLARK ST";
    p.ux = 0;
    p.uy = 1;
    return p;
}

static struct mp_cluster_state on_street(int64_t id, const char *street, double dx, double dy)
{
    struct mp_cluster_state c = cand(id, "pothole", "new", X0 + dx, Y0 + dy, T0, T0);
    snprintf(c.street, sizeof c.street, "%s", street);
    return c;
}

static long choose_p(const struct mp_category *cat, const struct mp_cluster_probe *p,
                     const struct mp_cluster_state *c, size_t n, struct mp_join_reason *why)
{
    return mp_cluster_choose_probe(cat, p, c, n, NULL, 0, why);
}

static void test_reach(void **state)
{
    (void)state;
    struct mp_category cat = pothole();
    assert_near(mp_cluster_reach(&cat, 0), 100, 0);
    cat.along_m = 10; /* along shorter than across: the radius reaches further */
    assert_near(mp_cluster_reach(&cat, 0), 15, 0);
    struct mp_category g = graffiti();
    g.along_m = 500; /* ignored by the point rule */
    assert_near(mp_cluster_reach(&g, 0), 25, 0);
}

static void test_street_along_edge(void **state)
{
    (void)state;
    struct mp_category cat = pothole();
    struct mp_cluster_probe p = on_clark(T0);
    struct mp_join_reason why;
    /* 90 m up the same street: far beyond the 15 m radius, within 100 m along. */
    struct mp_cluster_state c = on_street(1, "N CLARK ST", 0, 90);
    assert_int_equal(choose_p(&cat, &p, &c, 1, &why), 0);
    assert_string_equal(why.kind, "nearest");
    assert_int_equal(why.rule, MP_RULE_STREET);
    assert_true(why.street_match);
    assert_near(why.along_m, 90, 1e-9);
    assert_near(why.distance_m, 90, 1e-9);
    c = on_street(1, "N CLARK ST", 0, -100.0); /* exactly along_m, the other way */
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), 0);
    c = on_street(1, "N CLARK ST", 0, 100.01);
    assert_int_equal(choose_p(&cat, &p, &c, 1, &why), -1);
    assert_string_equal(why.kind, "new");
    /* Measured along the street: 99 m along and 20 m across is 101 m in a
     * straight line, still a match. */
    c = on_street(1, "N CLARK ST", 20, 99);
    assert_int_equal(choose_p(&cat, &p, &c, 1, &why), 0);
    assert_near(why.along_m, 99, 1e-9);
}

static void test_street_other_street(void **state)
{
    (void)state;
    struct mp_category cat = pothole();
    struct mp_cluster_probe p = on_clark(T0);
    /* A cross street 40 m away: only the across radius counts. */
    struct mp_cluster_state c = on_street(1, "W ADDISON ST", 0, 40);
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    /* ...and two reports this close always match (corners). */
    c = on_street(1, "W ADDISON ST", 9, 12); /* 15 m */
    struct mp_join_reason why;
    assert_int_equal(choose_p(&cat, &p, &c, 1, &why), 0);
    assert_false(why.street_match);
    c = on_street(1, "W ADDISON ST", 9, 12.01);
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    /* A cluster without a street, or a report without one: radius only. */
    c = on_street(1, "", 0, 40);
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    c = on_street(1, "N CLARK ST", 0, 40);
    p.street = NULL;
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    /* The point rule never looks along streets. */
    struct mp_category g = graffiti();
    g.along_m = 100;
    p = on_clark(T0);
    c = on_street(1, "N CLARK ST", 0, 40);
    snprintf(c.category, sizeof c.category, "graffiti");
    assert_int_equal(choose_p(&g, &p, &c, 1, NULL), -1);
}

static void test_street_rules_still_apply(void **state)
{
    (void)state;
    struct mp_category cat = pothole();
    struct mp_cluster_probe p = on_clark(T0 + 84 * DAY + 1); /* 1 s past the window */
    struct mp_cluster_state c = on_street(1, "N CLARK ST", 0, 50);
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    p = on_clark(T0 + DAY);
    snprintf(c.status, sizeof c.status, "closed");
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
    snprintf(c.status, sizeof c.status, "new");
    const int64_t ex[] = {1};
    assert_int_equal(mp_cluster_choose_probe(&cat, &p, &c, 1, ex, 1, NULL), -1);
    snprintf(c.category, sizeof c.category, "sidewalk_damage");
    assert_int_equal(choose_p(&cat, &p, &c, 1, NULL), -1);
}

static void test_street_nearest_wins(void **state)
{
    (void)state;
    /* Among matches the straight distance decides, whichever rule matched. */
    struct mp_category cat = pothole();
    struct mp_cluster_probe p = on_clark(T0);
    struct mp_cluster_state c[3] = {
        on_street(4, "N CLARK ST", 0, 80),
        on_street(5, "W ADDISON ST", 10, 0),
        on_street(6, "N CLARK ST", 0, -30),
    };
    assert_int_equal(choose_p(&cat, &p, c, 3, NULL), 1);
    c[1].x = X0 + 40; /* out of the radius now */
    assert_int_equal(choose_p(&cat, &p, c, 3, NULL), 2);
}

/* ---- reasons and statuses ---- */

static void test_join_reason_json(void **state)
{
    (void)state;
    struct mp_join_reason why;
    memset(&why, 0, sizeof why);
    why.kind = "nearest";
    why.rule = MP_RULE_POINT;
    why.distance_m = 12.345;
    why.age_s = 3600;
    why.radius_m = 25;
    why.window_s = 30 * DAY;
    char out[512];
    mp_join_reason_json(&why, out, sizeof out);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("not JSON: %s (%s)", out, je.text);
    assert_true(json_is_object(j));
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "nearest");
    assert_string_equal(json_string_value(json_object_get(j, "rule")), "point");
    assert_near(json_number_value(json_object_get(j, "distance_m")), 12.3, 1e-9); /* 0.1 m */
    assert_near(json_number_value(json_object_get(j, "age_s")), 3600, 0);
    assert_near(json_number_value(json_object_get(j, "radius_m")), 25, 0);
    assert_near(json_number_value(json_object_get(j, "window_days")), 30, 0);
    json_decref(j);
    why.kind = NULL;
    why.rule = MP_RULE_STREET;
    mp_join_reason_json(&why, out, sizeof out);
    j = json_loads(out, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "new");
    assert_string_equal(json_string_value(json_object_get(j, "rule")), "street");
    json_decref(j);
    /* Too small a buffer gives an empty object, never cut JSON. */
    char small[20];
    mp_join_reason_json(&why, small, sizeof small);
    assert_string_equal(small, "{}");
}

/* The reason as the printf formula wrote it before the writer formatted it
 * by hand (replay compares stored reasons byte for byte). */
static void printf_reason(const struct mp_join_reason *why, char *out, size_t cap)
{
    char along[320] = "null", gap[32] = "null", limit_m[320] = "null", limit_n[32] = "null";
    if (why->along_m >= 0)
        snprintf(along, sizeof along, "%.1f", why->along_m);
    if (why->number_gap >= 0)
        snprintf(gap, sizeof gap, "%ld", why->number_gap);
    if (why->evidence == MP_EV_PIN)
        snprintf(limit_m, sizeof limit_m, "%.1f", why->radius_m);
    else if (why->evidence == MP_EV_ALONG_NUMBERS || why->evidence == MP_EV_ALONG_PINS)
        snprintf(limit_m, sizeof limit_m, "%.1f", why->along_limit_m);
    else if (why->evidence == MP_EV_ADDRESS)
        snprintf(limit_n, sizeof limit_n, "%d", why->address_span);
    int n = snprintf(out, cap,
             "{\"kind\":\"%s\",\"rule\":\"%s\",\"evidence\":\"%s\",\"distance_m\":%.1f,"
             "\"along_street_m\":%s,\"number_gap\":%s,\"street_match\":%s,"
             "\"age_s\":%lld,\"radius_m\":%.1f,\"along_limit_m\":%.1f,"
             "\"address_span\":%d,\"window_days\":%lld,\"limit_m\":%s,"
             "\"limit_numbers\":%s}",
             why->kind ? why->kind : "new", mp_rule_name(why->rule),
             mp_evidence_name(why->evidence), why->distance_m, along, gap,
             why->street_match ? "true" : "false", (long long)why->age_s, why->radius_m,
             why->along_limit_m, why->address_span, (long long)(why->window_s / 86400), limit_m,
             limit_n);
    if (n < 0 || (size_t)n >= cap)
        snprintf(out, cap, "{}");
}

/* Byte for byte what printf wrote, for the values where "%.1f" is easy to
 * get wrong: exact and inexact halves (0.05, 0.25, 2.675), values just
 * beside a half, -0.0, negatives, large and non-finite ones, and a sweep. */
static void test_join_reason_json_is_printfs(void **state)
{
    (void)state;
    static const double edge[] = {0, -0.0, 0.05, 0.15, 0.25, 0.35, 0.45, 2.675, 12.345, 0.95,
                                  9.95, 99.95, 1e-9, 0.04999999999, 0.05000000001, 25,
                                  -0.04, -3.25, 1e7 + 0.05, 99999999.95, 1e8, 1e15, 1e300,
                                  INFINITY, -INFINITY, NAN, 1234.5678};
    const enum mp_evidence evs[] = {MP_EV_PIN, MP_EV_ALONG_NUMBERS, MP_EV_ALONG_PINS,
                                    MP_EV_ADDRESS};
    char got[MP_JOIN_REASON_MAX], want[MP_JOIN_REASON_MAX];
    size_t n = sizeof edge / sizeof *edge;
    for (size_t i = 0; i < n + 20000; i++) {
        double v = i < n ? edge[i] : (double)(i - n) * 0.0137 + (double)(i % 7) * 0.05;
        struct mp_join_reason why = {
            .kind = i % 3 ? "nearest" : NULL,
            .evidence = evs[i % 4],
            .rule = i % 2 ? MP_RULE_POINT : MP_RULE_STREET,
            .distance_m = v,
            .along_m = i % 5 ? v / 3 : -1,
            .number_gap = i % 6 ? (long)i - 7 : -1,
            .street_match = i % 2,
            .age_s = (int64_t)i * 977 - 5000,
            .radius_m = v * 2,
            .along_limit_m = v + 0.05,
            .address_span = (int)i % 50 - 3,
            .window_s = (int64_t)i * 3600,
        };
        mp_join_reason_json(&why, got, sizeof got);
        printf_reason(&why, want, sizeof want);
        if (strcmp(got, want) != 0)
            fail_msg("value %.17g:\n got  %s\n want %s", v, got, want);
    }
}

static void test_status_helpers(void **state)
{
    (void)state;
    const char *open[] = {"new", "acknowledged", "scheduled", "in_progress", "reopened"};
    const char *done[] = {"fixed", "closed", "not_responsible"};
    for (size_t i = 0; i < 5; i++) {
        assert_true(mp_cluster_status_open(open[i]));
        assert_true(mp_cluster_status_valid(open[i]));
    }
    for (size_t i = 0; i < 3; i++) {
        assert_false(mp_cluster_status_open(done[i]));
        assert_true(mp_cluster_status_valid(done[i]));
    }
    const char *bad[] = {"", "New", "open", "resolved", "fixed ", "in progress", "deleted"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_false(mp_cluster_status_open(bad[i]));
        assert_false(mp_cluster_status_valid(bad[i]));
    }
    assert_false(mp_cluster_status_valid(NULL));
}

/* Issue 19's cost budget: a grid spans at most max_cells cells; past that
 * it is answered at the finest coarser zoom that fits. */
static void test_grid_zoom_budget(void **state)
{
    (void)state;
    const struct mp_bbox city = {-87.94, 41.64, -87.52, 42.02};
    const struct mp_bbox block = {-87.64, 41.87, -87.63, 41.88};
    const struct mp_bbox world = {-180, -90, 180, 90};
    assert_int_equal(mp_cluster_grid_zoom(&city, 22, 4096), 13); /* 1,400 cells; 14: 5,400 */
    assert_int_equal(mp_cluster_grid_zoom(&city, 22, 0), 22);    /* no cap */
    assert_int_equal(mp_cluster_grid_zoom(&city, 11, 4096), 11); /* fits as asked */
    assert_int_equal(mp_cluster_grid_zoom(&block, 18, 4096), 18);
    assert_int_equal(mp_cluster_grid_zoom(&world, 5, 4096), 4);
    assert_int_equal(mp_cluster_grid_zoom(&world, 0, 16), 0); /* never below 0 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radius_edge),
        cmocka_unit_test(test_join_reason_json_is_printfs),
        cmocka_unit_test(test_radius_is_the_categorys),
        cmocka_unit_test(test_window_edge),
        cmocka_unit_test(test_window_counts_from_latest),
        cmocka_unit_test(test_window_out_of_order),
        cmocka_unit_test(test_other_category),
        cmocka_unit_test(test_open_statuses_join),
        cmocka_unit_test(test_closed_not_joined),
        cmocka_unit_test(test_fixed_absorb),
        cmocka_unit_test(test_nearest_wins),
        cmocka_unit_test(test_tie_goes_to_lower_id),
        cmocka_unit_test(test_exclude_list),
        cmocka_unit_test(test_no_candidates),
        cmocka_unit_test(test_add_member_first),
        cmocka_unit_test(test_add_member_centre),
        cmocka_unit_test(test_add_member_many),
        cmocka_unit_test(test_add_member_existing),
        cmocka_unit_test(test_reach),
        cmocka_unit_test(test_street_along_edge),
        cmocka_unit_test(test_street_other_street),
        cmocka_unit_test(test_street_rules_still_apply),
        cmocka_unit_test(test_street_nearest_wins),
        cmocka_unit_test(test_join_reason_json),
        cmocka_unit_test(test_status_helpers),
        cmocka_unit_test(test_grid_zoom_budget),
    };
    return cmocka_run_group_tests_name("cluster", tests, NULL, NULL);
}
