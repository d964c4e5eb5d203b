/* test_automation.c - the city pack's action sequences: the shipped Chicago
 * rules, routing, priority raising, service levels over weekends and
 * holidays, and the checks that reject a broken rules file. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/automation.h"
#include "meldpunt/city.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"
#include "meldpunt/workdays.h"

static struct mp_city *city;
static struct mp_tz *tz;
static struct mp_automation *rules;

static int setup(void **state)
{
    (void)state;
    const char *dir = fx_chicago_dir();
    struct mp_error err;
    if (!dir)
        return -1;
    if (mp_city_load(dir, &city, &err) != MP_OK) {
        fprintf(stderr, "city: %s\n", err.text);
        return -1;
    }
    if (mp_tz_load(city->timezone, &tz, &err) != MP_OK)
        return -1;
    if (mp_automation_load(city, &rules, &err) != MP_OK) {
        fprintf(stderr, "automation: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mp_automation_free(rules);
    mp_tz_free(tz);
    mp_city_free(city);
    return 0;
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(mp_time_parse(iso, 0, &t), MP_OK);
    return t;
}

static struct mp_automation_result eval(const char *cat, const char *district, int64_t reports,
                                        const char *dept, int prio)
{
    struct mp_automation_input in = {.category = cat, .district = district, .status = "new",
                                     .report_count = reports, .first_at = at("2021-03-01T12:00:00Z"),
                                     .department = dept, .manual_priority = prio};
    struct mp_automation_result r;
    mp_automation_eval(rules, city, tz, &in, at("2021-03-01T13:00:00Z"), &r);
    return r;
}

static void test_routing(void **state)
{
    (void)state;
    struct mp_automation_result r = eval("pothole", "76", 1, NULL, 0);
    assert_string_equal(r.department, "aviation");
    assert_string_equal(r.route_rule, "ohare-airport");
    r = eval("pothole", "32", 1, NULL, 0);
    assert_string_equal(r.department, "streets");
    assert_string_equal(r.route_rule, "category");
    r = eval("graffiti", "32", 1, NULL, 0);
    assert_string_equal(r.department, "graffiti-blasters");
    r = eval("graffiti", "1", 1, NULL, 0);
    assert_string_equal(r.department, "sanitation");
    r = eval("graffiti", NULL, 1, NULL, 0); /* outside every district: no district rule */
    assert_string_equal(r.department, "sanitation");
    r = eval("street_light_out", "76", 1, NULL, 0);
    assert_string_equal(r.department, "aviation");
    r = eval("street_light_out", "75", 1, NULL, 0);
    assert_string_equal(r.department, "lighting");
    /* A person's assignment wins over every rule. */
    r = eval("pothole", "76", 1, "streets", 0);
    assert_string_equal(r.department, "streets");
    assert_string_equal(r.route_rule, "manual");
    /* No rules at all: the category decides. */
    struct mp_automation_input in = {.category = "pothole", .district = "76", .status = "new",
                                     .report_count = 1, .first_at = 0};
    mp_automation_eval(NULL, city, tz, &in, 0, &r);
    assert_string_equal(r.department, "streets");
}

static void test_priority_raise(void **state)
{
    (void)state;
    struct mp_automation_result r = eval("pothole", "32", 2, NULL, 0);
    assert_int_equal(r.priority, 2);
    assert_string_equal(r.priority_rule, "category");
    r = eval("pothole", "32", 3, NULL, 0);
    assert_int_equal(r.priority, 1);
    assert_string_equal(r.priority_rule, "pothole-busy");
    r = eval("graffiti", "1", 4, NULL, 0); /* graffiti is priority 3 */
    assert_int_equal(r.priority, 3);
    r = eval("graffiti", "1", 5, NULL, 0);
    assert_int_equal(r.priority, 2);
    assert_string_equal(r.priority_rule, "neighbours-5");
    r = eval("graffiti", "1", 10, NULL, 0);
    assert_int_equal(r.priority, 1);
    assert_string_equal(r.priority_rule, "neighbours-10");
    /* Rules only raise: a hand-set low priority still goes up with the crowd ... */
    r = eval("graffiti", "1", 10, NULL, 3);
    assert_int_equal(r.priority, 1);
    /* ... and a hand-set high one is never lowered. */
    r = eval("graffiti", "1", 1, NULL, 1);
    assert_int_equal(r.priority, 1);
    assert_string_equal(r.priority_rule, "manual");
}

static void test_service_levels(void **state)
{
    (void)state;
    assert_int_equal(eval("pothole", "32", 1, NULL, 0).service_days, 5); /* automation.json */
    assert_int_equal(eval("dead_animal", "32", 1, NULL, 0).service_days, 1);
    assert_int_equal(eval("street_light_out", "32", 1, NULL, 0).service_days, 5); /* category */
    assert_int_equal(eval("sidewalk_damage", "32", 1, NULL, 0).service_days, 60);
}

static void expect_due(const char *from, int days, const char *want)
{
    int64_t due = mp_automation_due(city, tz, at(from), days);
    char got[32];
    mp_time_format(due, got, sizeof got);
    assert_string_equal(got, want);
    /* The same instant, seen through the statistics module's definition. */
    double w = mp_workdays_between(city, tz, at(from), due);
    if (w < days - 1e-6 || w > days + 1e-6)
        fail_msg("%s + %d working days: workdays_between says %.4f", from, days, w);
}

static void test_due_dates(void **state)
{
    (void)state;
    /* Friday 15:00 in Chicago (CST, UTC-6) + 1 working day = Monday 15:00. */
    expect_due("2021-01-08T21:00:00Z", 1, "2021-01-11T21:00:00Z");
    /* Friday before Martin Luther King Jr. Day: Monday is a holiday. */
    expect_due("2021-01-15T21:00:00Z", 1, "2021-01-19T21:00:00Z");
    /* Saturday: the clock starts on Monday, so one day ends Monday midnight. */
    expect_due("2021-01-09T16:00:00Z", 1, "2021-01-12T06:00:00Z");
    /* Five working days from a Wednesday morning, across a weekend. */
    expect_due("2021-03-03T15:00:00Z", 5, "2021-03-10T15:00:00Z");
    /* Across the start of daylight saving time (14 March 2021): 09:00 CST
     * Friday + 1 working day = 09:00 CDT Monday. */
    expect_due("2021-03-12T15:00:00Z", 1, "2021-03-15T14:00:00Z");
    /* Christmas and New Year 2021 observed on Friday 24 and 31 December. */
    expect_due("2021-12-23T18:00:00Z", 1, "2021-12-27T18:00:00Z");
}

static void test_overdue(void **state)
{
    (void)state;
    struct mp_automation_input in = {.category = "pothole", .district = "32", .status = "scheduled",
                                     .report_count = 1, .first_at = at("2021-03-01T15:00:00Z")};
    struct mp_automation_result r;
    /* 5 working days from Monday 09:00 CST: due Monday 8 March 09:00 CST. */
    mp_automation_eval(rules, city, tz, &in, at("2021-03-08T14:59:59Z"), &r);
    assert_false(r.overdue);
    mp_automation_eval(rules, city, tz, &in, at("2021-03-08T15:00:01Z"), &r);
    assert_true(r.overdue);
    in.status = "fixed";
    mp_automation_eval(rules, city, tz, &in, at("2021-04-01T00:00:00Z"), &r);
    assert_false(r.overdue);
    /* A deadline set by hand replaces the service level. */
    in.status = "new";
    in.manual_due_at = at("2021-03-02T00:00:00Z");
    mp_automation_eval(rules, city, tz, &in, at("2021-03-02T00:00:01Z"), &r);
    assert_true(r.overdue);
    assert_int_equal(r.due_at, at("2021-03-02T00:00:00Z"));
}

static void expect_reject(const char *json, const char *needle)
{
    struct mp_automation *a = NULL;
    struct mp_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(mp_automation_parse(city, json, strlen(json), &a, &err), MP_EINVAL);
    assert_null(a);
    if (!strstr(err.text, needle))
        fail_msg("error '%s' does not mention '%s'", err.text, needle);
}

static void test_rejects_broken_rules(void **state)
{
    (void)state;
    expect_reject("{}", "version");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"potholes\"],"
                  "\"department\":\"streets\"}]}",
                  "unknown category 'potholes'");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"pothole\"],"
                  "\"districts\":[\"78\"],\"department\":\"streets\"}]}",
                  "unknown district '78'");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"pothole\"],"
                  "\"department\":\"Streets Dept\"}]}",
                  "department");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"pothole\"],"
                  "\"departmnet\":\"streets\"}]}",
                  "unknown field 'departmnet'");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"pothole\"],"
                  "\"department\":\"s\"},{\"id\":\"a\",\"categories\":[\"graffiti\"],"
                  "\"department\":\"s\"}]}",
                  "used twice");
    expect_reject("{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[],"
                  "\"department\":\"s\"}]}",
                  "categories");
    expect_reject("{\"version\":1,\"priority\":[{\"id\":\"p\",\"min_reports\":1,\"priority\":1}]}",
                  "min_reports");
    expect_reject("{\"version\":1,\"priority\":[{\"id\":\"p\",\"min_reports\":3,\"priority\":0}]}",
                  "priority");
    expect_reject("{\"version\":1,\"overdue\":{\"service_days\":{\"pothole\":-1}}}", "pothole");
    expect_reject("{\"version\":1,\"overdue\":{\"service_days\":{\"nope\":3}}}", "nope");
    expect_reject("{\"version\":1,", "line");
    /* A minimal file is fine. */
    struct mp_automation *a = NULL;
    struct mp_error err;
    const char *ok = "{\"version\":1}";
    assert_int_equal(mp_automation_parse(city, ok, strlen(ok), &a, &err), MP_OK);
    mp_automation_free(a);
}

static void test_missing_file_means_no_rules(void **state)
{
    (void)state;
    char *saved = city->dir;
    city->dir = (char *)"/nonexistent-meldpunt-pack";
    struct mp_automation *a = NULL;
    struct mp_error err;
    enum mp_status rc = mp_automation_load(city, &a, &err);
    city->dir = saved;
    assert_int_equal(rc, MP_OK);
    struct mp_automation_input in = {.category = "pothole", .district = "76", .status = "new",
                                     .report_count = 50, .first_at = 0};
    struct mp_automation_result r;
    mp_automation_eval(a, city, tz, &in, 0, &r);
    assert_string_equal(r.department, "streets");
    assert_int_equal(r.priority, 2);
    assert_int_equal(r.service_days, 7);
    mp_automation_free(a);
}

static void test_json_and_departments(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_automation_json(rules, city, &b);
    assert_false(b.failed);
    json_error_t je;
    json_t *j = json_loads(b.data, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "routing")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "priority")), 3);
    assert_int_equal(json_array_size(json_object_get(j, "categories")), city->ncategories);
    json_decref(j);
    mp_buf_free(&b);
    const char *d[64];
    size_t n = mp_automation_departments(rules, city, d, 64);
    bool aviation = false, streets = false;
    for (size_t i = 0; i < n; i++) {
        aviation |= strcmp(d[i], "aviation") == 0;
        streets |= strcmp(d[i], "streets") == 0;
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(d[i], d[k]);
    }
    assert_true(aviation && streets);
    assert_true(mp_automation_department_ok("graffiti-blasters"));
    assert_false(mp_automation_department_ok("Streets"));
    assert_false(mp_automation_department_ok(""));
    assert_false(mp_automation_department_ok(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_priority_raise),
        cmocka_unit_test(test_service_levels),
        cmocka_unit_test(test_due_dates),
        cmocka_unit_test(test_overdue),
        cmocka_unit_test(test_rejects_broken_rules),
        cmocka_unit_test(test_missing_file_means_no_rules),
        cmocka_unit_test(test_json_and_departments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
