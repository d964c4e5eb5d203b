/* test_cluster_evidence.c - the duplicate rules with house numbers: the
 * address span (same street, numbers within N, the side when it matters),
 * the address rule (numbers alone decide when both carry them), the
 * along-street distance from placed numbers replacing the pins', the order
 * of evidence among candidates, the search squares, and the join reason
 * that names the evidence with its limit. */
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
#define T0 1622548800LL
#define X0 447000.0
#define Y0 4636000.0
/* Chicago's grid: 800 numbers a mile. */
#define PER_NUMBER (1609.344 / 800.0)

static struct mp_category category(const char *code, enum mp_rule rule, double radius,
                                   double along, int span, bool side)
{
    struct mp_category c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "%s", code);
    c.rule = rule;
    c.radius_m = radius;
    c.along_m = along;
    c.address_span = span;
    c.address_side = side;
    c.window_days = 30;
    return c;
}

/* A cluster on W GLADYS AVE (running east-west) dx metres east of X0. */
static struct mp_cluster_state cluster(int64_t id, const char *code, double dx, double dy)
{
    struct mp_cluster_state s;
    memset(&s, 0, sizeof s);
    s.id = id;
    snprintf(s.category, sizeof s.category, "%s", code);
    snprintf(s.status, sizeof s.status, "new");
    snprintf(s.street, sizeof s.street, "W GLADYS AVE");
    s.report_count = 1;
    s.x = s.sum_x = X0 + dx;
    s.y = s.sum_y = Y0 + dy;
    s.first_at = s.last_at = T0;
    return s;
}

/* Numbers grow westwards: number n lies (1000 - n) * PER_NUMBER east of X0. */
static double east_of(long n) { return (1000.0 - (double)n) * PER_NUMBER; }

static struct mp_address_ev number(const char *street, long lo, long hi, bool placed)
{
    struct mp_address_ev e = {street, lo, hi, placed, 0, 0, 0, 0};
    if (placed) {
        e.px = X0 + east_of(lo);
        e.qx = X0 + east_of(hi);
        e.py = e.qy = Y0;
    }
    return e;
}

static struct mp_cluster_addr span_of(const char *street, long lo, long hi, bool placed)
{
    struct mp_cluster_addr a;
    memset(&a, 0, sizeof a);
    struct mp_address_ev e = number(street, lo, hi, placed);
    mp_cluster_addr_add(&a, &e);
    return a;
}

/* A report pinned at (X0 + dx, Y0) on W GLADYS AVE with the given number. */
static struct mp_cluster_probe report(double dx, struct mp_address_ev e)
{
    struct mp_cluster_probe p;
    memset(&p, 0, sizeof p);
    p.x = p.sx = X0 + dx;
    p.y = p.sy = Y0;
    p.t = T0 + 3600;
    p.street = "W GLADYS AVE";
    p.ux = 1;
    p.uy = 0;
    p.addr = e;
    return p;
}

static long pick(const struct mp_category *cat, const struct mp_cluster_probe *p,
                 const struct mp_cluster_state *c, const struct mp_cluster_addr *a, size_t n,
                 struct mp_join_reason *why)
{
    const struct mp_cluster_state *refs[8];
    const struct mp_cluster_addr *arefs[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        refs[i] = &c[i];
        arefs[i] = a ? &a[i] : NULL;
    }
    return mp_cluster_choose_ev(cat, p, refs, arefs, n, NULL, 0, why);
}

static void test_addr_span_accumulates(void **state)
{
    (void)state;
    struct mp_cluster_addr a;
    memset(&a, 0, sizeof a);
    struct mp_address_ev none = {0}, e;
    mp_cluster_addr_add(&a, &none); /* no usable number: nothing */
    assert_null(a.street);
    e = number("W GLADYS AVE", 1047, 1047, true);
    mp_cluster_addr_add(&a, &e);
    assert_string_equal(a.street, "W GLADYS AVE");
    assert_int_equal(a.lo, 1047);
    assert_int_equal(a.hi, 1047);
    assert_int_equal(a.sides, 2u); /* odd */
    assert_true(a.lo_placed && a.hi_placed);
    /* Another street does not count, whatever its numbers. */
    e = number("S ABERDEEN ST", 300, 300, true);
    mp_cluster_addr_add(&a, &e);
    assert_int_equal(a.lo, 1047);
    assert_int_equal(a.sides, 2u);
    /* A range widens both ends; an unplaced number widens without a place. */
    e = number("W GLADYS AVE", 1040, 1044, true);
    mp_cluster_addr_add(&a, &e);
    assert_int_equal(a.lo, 1040);
    assert_int_equal(a.sides, 3u);
    assert_near(a.lx, X0 + east_of(1040), 1e-9);
    e = number("W GLADYS AVE", 1060, 1060, false);
    mp_cluster_addr_add(&a, &e);
    assert_int_equal(a.hi, 1060);
    assert_false(a.hi_placed);
    assert_true(a.lo_placed);
    /* An equal end keeps the first member's place. */
    e = number("W GLADYS AVE", 1040, 1040, true);
    e.px += 5;
    mp_cluster_addr_add(&a, &e);
    assert_near(a.lx, X0 + east_of(1040), 1e-9);
}

static void test_address_span_point_rule(void **state)
{
    (void)state;
    struct mp_category cat = category("street_light_out", MP_RULE_POINT, 45, 0, 10, false);
    struct mp_join_reason why;
    /* The cluster's pin is 150 m away: beyond the radius, but its numbers
     * are 1040-1048 and the report's 1056: 8 apart. */
    struct mp_cluster_state c = cluster(1, "street_light_out", 150, 0);
    struct mp_cluster_addr a = span_of("W GLADYS AVE", 1040, 1048, false);
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1056, 1056, false));
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ADDRESS);
    assert_int_equal(why.number_gap, 8);
    /* Edge: 10 apart joins, 11 does not. */
    p.addr = number("W GLADYS AVE", 1058, 1058, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), 0);
    p.addr = number("W GLADYS AVE", 1029, 1029, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), -1);
    assert_string_equal(why.kind, "new");
    /* Inside the span: 0 apart. */
    p.addr = number("W GLADYS AVE", 1044, 1044, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.number_gap, 0);
    /* Another street's numbers never compare. */
    p.addr = number("W GLADSTONE AVE", 1044, 1044, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
    /* Without the span parameter the numbers are not used. */
    cat.address_span = 0;
    p.addr = number("W GLADYS AVE", 1044, 1044, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
    /* Without spans given (the old callers), no numbers either. */
    cat.address_span = 10;
    assert_int_equal(pick(&cat, &p, &c, NULL, 1, NULL), -1);
}

static void test_address_side(void **state)
{
    (void)state;
    struct mp_category cat = category("street_light_out", MP_RULE_POINT, 45, 0, 10, true);
    struct mp_cluster_state c = cluster(1, "street_light_out", 150, 0);
    struct mp_cluster_addr a = span_of("W GLADYS AVE", 1040, 1048, false); /* even side */
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1051, 1051, false));
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
    p.addr = number("W GLADYS AVE", 1050, 1050, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), 0);
    /* A range over both sides meets either. */
    p.addr = number("W GLADYS AVE", 1049, 1050, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), 0);
    cat.address_side = false;
    p.addr = number("W GLADYS AVE", 1051, 1051, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), 0);
}

static void test_address_rule(void **state)
{
    (void)state;
    struct mp_category cat = category("pothole", MP_RULE_ADDRESS, 15, 100, 20, false);
    struct mp_join_reason why;
    /* Both numbered, pins on top of each other, numbers 40 apart: no. */
    struct mp_cluster_state c = cluster(1, "pothole", 0, 0);
    struct mp_cluster_addr a = span_of("W GLADYS AVE", 1000, 1000, false);
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1040, 1040, false));
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), -1);
    /* ... nor on another street (a corner): numbers alone decide. */
    p.addr = number("S ABERDEEN ST", 300, 300, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
    /* Pins 300 m apart, numbers 20 apart: yes. */
    c = cluster(1, "pothole", 300, 0);
    p.addr = number("W GLADYS AVE", 1020, 1020, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ADDRESS);
    assert_int_equal(why.rule, MP_RULE_ADDRESS);
    /* Without a number on one side, the street rule: 90 m along the
     * street from the pins. */
    c = cluster(1, "pothole", 90, 0);
    p.addr = (struct mp_address_ev){0};
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ALONG_PINS);
    assert_near(why.along_m, 90, 1e-9);
    c = cluster(1, "pothole", 10, 5);
    c.street[0] = '\0'; /* a cluster off the street: only the pins */
    p.addr = number("W GLADYS AVE", 1020, 1020, false);
    assert_int_equal(pick(&cat, &p, &c, NULL, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_PIN);
}

static void test_along_from_numbers(void **state)
{
    (void)state;
    struct mp_category cat = category("pothole", MP_RULE_STREET, 15, 100, 0, false);
    struct mp_join_reason why;
    /* Pins 90 m apart along the street (a match from the pins), but the
     * numbers 1000 and 1075 lie 151 m apart: the numbers win, no match. */
    struct mp_cluster_state c = cluster(1, "pothole", 90, 0);
    struct mp_cluster_addr a = span_of("W GLADYS AVE", 1000, 1000, true);
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1075, 1075, true));
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), -1);
    /* Pins 150 m apart, numbers 40 apart (80 m): a match by numbers. */
    c = cluster(1, "pothole", 150, 0);
    p.addr = number("W GLADYS AVE", 1040, 1040, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ALONG_NUMBERS);
    assert_near(why.along_m, 40 * PER_NUMBER, 1e-6);
    /* From the span's nearer end: 1000-1030 against 1075 is 45 numbers
     * (90.5 m), against 1080 50 (100.6 m: beyond the limit). */
    a = span_of("W GLADYS AVE", 1000, 1030, true);
    p.addr = number("W GLADYS AVE", 1075, 1075, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_near(why.along_m, 45 * PER_NUMBER, 1e-6);
    p.addr = number("W GLADYS AVE", 1080, 1080, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), -1);
    p.addr = number("W GLADYS AVE", 960, 960, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_near(why.along_m, 40 * PER_NUMBER, 1e-6);
    /* One side not placed: the pins decide again (150 m: no). */
    a = span_of("W GLADYS AVE", 1000, 1000, false);
    p.addr = number("W GLADYS AVE", 1040, 1040, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
    c = cluster(1, "pothole", 90, 0);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ALONG_PINS);
    /* The point rule never measures along the street. */
    cat.rule = MP_RULE_POINT;
    a = span_of("W GLADYS AVE", 1000, 1000, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, NULL), -1);
}

static void test_numbers_outrank_pins(void **state)
{
    (void)state;
    struct mp_category cat = category("pothole", MP_RULE_STREET, 15, 100, 10, false);
    struct mp_join_reason why;
    /* Cluster 1 is 5 m away (a pin match); cluster 2 is 60 m away but its
     * numbers are 4 from the report's: the numbers win. */
    struct mp_cluster_state c[3] = {cluster(1, "pothole", 5, 0), cluster(2, "pothole", 60, 0),
                                    cluster(3, "pothole", 40, 0)};
    struct mp_cluster_addr a[3];
    memset(a, 0, sizeof a);
    a[1] = span_of("W GLADYS AVE", 1004, 1004, false);
    a[2] = span_of("W GLADYS AVE", 1009, 1009, false);
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1000, 1000, false));
    assert_int_equal(pick(&cat, &p, c, a, 3, &why), 1);
    assert_int_equal(why.evidence, MP_EV_ADDRESS);
    assert_int_equal(why.number_gap, 4);
    assert_near(why.distance_m, 60, 1e-9);
    /* Equal gaps: the nearer centre. */
    a[2] = span_of("W GLADYS AVE", 996, 996, false);
    assert_int_equal(pick(&cat, &p, c, a, 3, &why), 2);
    /* Without numbers the nearest centre again; on the report's street
     * the along-street distance is named before the pin distance. */
    p.addr = (struct mp_address_ev){0};
    assert_int_equal(pick(&cat, &p, c, a, 3, &why), 0);
    assert_int_equal(why.evidence, MP_EV_ALONG_PINS);
    c[0].street[0] = '\0';
    assert_int_equal(pick(&cat, &p, c, a, 3, &why), 0);
    assert_int_equal(why.evidence, MP_EV_PIN);
}

static void test_reach_and_squares(void **state)
{
    (void)state;
    struct mp_category cat = category("street_light_out", MP_RULE_POINT, 45, 0, 40, false);
    assert_near(mp_cluster_reach(&cat, PER_NUMBER), 40 * PER_NUMBER, 1e-9);
    assert_near(mp_cluster_reach(&cat, 0), 45, 0);
    cat.address_span = 10;
    assert_near(mp_cluster_reach(&cat, PER_NUMBER), 45, 0);
    /* Around the pin, and around the placed number 200 m east of it. */
    struct mp_cluster_probe p = report(0, number("W GLADYS AVE", 1000, 1000, false));
    assert_true(mp_cluster_in_reach(&p, 50, X0 + 50, Y0 - 50));
    assert_false(mp_cluster_in_reach(&p, 50, X0 + 200, Y0));
    p.addr = number("W GLADYS AVE", 900, 900, true); /* placed 201 m east */
    assert_true(mp_cluster_in_reach(&p, 50, X0 + 200, Y0 + 40));
    assert_false(mp_cluster_in_reach(&p, 50, X0 + 100, Y0));
    double cx, cy, half;
    mp_cluster_search_box(&p, 50, &cx, &cy, &half);
    assert_near(cx, X0 + 50 * PER_NUMBER, 1e-6);
    assert_near(cy, Y0, 1e-9);
    assert_near(half, 50 * PER_NUMBER + 50, 1e-6);
    p.addr.placed = false;
    mp_cluster_search_box(&p, 50, &cx, &cy, &half);
    assert_near(cx, X0, 0);
    assert_near(half, 50, 0);
}

static json_t *reason(const struct mp_join_reason *why)
{
    char out[MP_JOIN_REASON_MAX];
    json_error_t je;
    mp_join_reason_json(why, out, sizeof out);
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("not JSON: %s (%s)", out, je.text);
    return j;
}

static void test_reason_names_evidence(void **state)
{
    (void)state;
    struct mp_category cat = category("pothole", MP_RULE_STREET, 15, 100, 10, false);
    struct mp_join_reason why;
    struct mp_cluster_state c = cluster(1, "pothole", 90, 0);
    struct mp_cluster_probe p = report(0, (struct mp_address_ev){0});
    /* Along the street from the pins: the page needs the along distance
     * and its limit (issue 18: it read the radius). */
    assert_int_equal(pick(&cat, &p, &c, NULL, 1, &why), 0);
    json_t *j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "along_pins");
    assert_near(json_number_value(json_object_get(j, "along_street_m")), 90, 0);
    assert_near(json_number_value(json_object_get(j, "limit_m")), 100, 0);
    assert_true(json_is_null(json_object_get(j, "limit_numbers")));
    assert_true(json_is_null(json_object_get(j, "number_gap")));
    assert_near(json_number_value(json_object_get(j, "radius_m")), 15, 0);
    assert_near(json_number_value(json_object_get(j, "along_limit_m")), 100, 0);
    /* Not "along_m": the staff page reads that name as a distance. */
    assert_null(json_object_get(j, "along_m"));
    json_decref(j);
    /* The pin distance: the radius is the limit. */
    c = cluster(1, "pothole", 3, 4);
    c.street[0] = '\0';
    assert_int_equal(pick(&cat, &p, &c, NULL, 1, &why), 0);
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "pin_distance");
    assert_near(json_number_value(json_object_get(j, "limit_m")), 15, 0);
    assert_true(json_is_null(json_object_get(j, "along_street_m")));
    json_decref(j);
    /* The address span: the limit is in house numbers. */
    c = cluster(1, "pothole", 300, 0);
    struct mp_cluster_addr a = span_of("W GLADYS AVE", 1000, 1000, false);
    p.addr = number("W GLADYS AVE", 1006, 1006, false);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "address_span");
    assert_near(json_number_value(json_object_get(j, "number_gap")), 6, 0);
    assert_near(json_number_value(json_object_get(j, "limit_numbers")), 10, 0);
    assert_true(json_is_null(json_object_get(j, "limit_m")));
    assert_near(json_number_value(json_object_get(j, "address_span")), 10, 0);
    json_decref(j);
    /* Along from numbers, and the rule's name for the address rule. */
    cat.rule = MP_RULE_ADDRESS;
    cat.address_span = 0;
    p.addr = (struct mp_address_ev){0};
    c = cluster(1, "pothole", 50, 0);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "rule")), "address");
    json_decref(j);
    cat.rule = MP_RULE_STREET;
    a = span_of("W GLADYS AVE", 1000, 1000, true);
    p.addr = number("W GLADYS AVE", 1030, 1030, true);
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), 0);
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "along_numbers");
    assert_near(json_number_value(json_object_get(j, "along_street_m")),
                round(30 * PER_NUMBER * 10) / 10, 1e-9);
    json_decref(j);
    /* A new cluster names no evidence. */
    c = cluster(1, "pothole", 3000, 0);
    p.addr = (struct mp_address_ev){0};
    assert_int_equal(pick(&cat, &p, &c, &a, 1, &why), -1);
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "new");
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "none");
    json_decref(j);
    /* The largest values still fit the buffer every caller uses. */
    memset(&why, 0, sizeof why);
    why.kind = "same_as";
    why.evidence = MP_EV_SAME_AS;
    why.distance_m = why.along_m = why.radius_m = why.along_limit_m = 1e12;
    why.number_gap = 9999999;
    why.address_span = 10000;
    why.age_s = INT64_MAX / 2;
    why.window_s = 3650 * DAY;
    j = reason(&why);
    assert_string_equal(json_string_value(json_object_get(j, "evidence")), "same_as");
    json_decref(j);
    assert_string_equal(mp_evidence_name(MP_EV_STAFF), "staff");
    assert_string_equal(mp_evidence_name(MP_EV__COUNT), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_span_accumulates),
        cmocka_unit_test(test_address_span_point_rule),
        cmocka_unit_test(test_address_side),
        cmocka_unit_test(test_address_rule),
        cmocka_unit_test(test_along_from_numbers),
        cmocka_unit_test(test_numbers_outrank_pins),
        cmocka_unit_test(test_reach_and_squares),
        cmocka_unit_test(test_reason_names_evidence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
