/* test_alerts.c - area alerts on a temporary database with the Chicago pack:
 * the area test at the edge of a circle and of a district, the box that
 * holds a circle, the morning of a digest in the city's zone and calendar;
 * then, through the real report path, that nothing is queued for an
 * unconfirmed alert, that a new job inside the circle queues one alert and
 * one outside, of another category or a "me too" report none, and that a
 * daily alert keeps its problems for the digest the sender's round queues
 * when its morning comes (the clock injected as mp_outbox_round's now).
 * Departments: a new job routed to one with mail at once queues one mail,
 * an overdue job one however often the round looks, and a morning digest
 * waits for a working day (Thanksgiving, its Friday and the weekend). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/alerts.h"
#include "meldpunt/city.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/outbox.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/timeutil.h"

#define LON -87.6298
#define LAT 41.8781
#define M_PER_DEG_LAT (6371008.8 * 3.14159265358979323846 / 180.0)

static struct mp_mail_pack *pack;

static int group_setup(void **state)
{
    struct mp_error err = {{0}, {0}};
    if (fx_pack_group_setup(state))
        return -1;
    if (mp_mail_pack_load(fx_chicago_dir(), &pack, &err) != MP_OK) {
        fprintf(stderr, "mail pack: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    mp_mail_pack_free(pack);
    return fx_pack_group_teardown(state);
}

/* (lon, lat) d metres from the Loop at bearing deg (0 north, 90 east). */
static void at_distance(double d, double deg, double *lon, double *lat)
{
    double b = deg * 3.14159265358979323846 / 180.0;
    *lat = LAT + d * cos(b) / M_PER_DEG_LAT;
    *lon = LON + d * sin(b) / (M_PER_DEG_LAT * cos(LAT * 3.14159265358979323846 / 180.0));
}

static void test_area_circle_edge(void **state)
{
    (void)state;
    struct mp_alert_area a = {NULL, LON, LAT, 500};
    double lon, lat;
    for (double deg = 0; deg < 360; deg += 45) {
        at_distance(499, deg, &lon, &lat);
        assert_true(mp_alert_area_contains(&a, NULL, lon, lat));
        assert_true(mp_alert_area_contains(&a, "32", lon, lat)); /* the district plays no part */
        at_distance(501, deg, &lon, &lat);
        assert_false(mp_alert_area_contains(&a, NULL, lon, lat));
    }
    assert_true(mp_alert_area_contains(&a, NULL, LON, LAT));
}

static void test_area_district(void **state)
{
    (void)state;
    struct mp_alert_area a = {"32", 0, 0, 0};
    assert_true(mp_alert_area_contains(&a, "32", LON, LAT));
    assert_false(mp_alert_area_contains(&a, "33", LON, LAT));
    assert_false(mp_alert_area_contains(&a, "3", LON, LAT));
    assert_false(mp_alert_area_contains(&a, NULL, LON, LAT)); /* outside every district */
}

static void test_box_holds_the_circle(void **state)
{
    (void)state;
    double box[4], lon, lat;
    mp_alert_area_box(LON, LAT, 2000, box);
    for (double deg = 0; deg < 360; deg += 5) {
        at_distance(2000, deg, &lon, &lat);
        assert_true(lon >= box[0] && lon <= box[1]);
        assert_true(lat >= box[2] && lat <= box[3]);
    }
    /* ... and not much more: a tenth wider than the circle at most. */
    assert_true((box[3] - box[2]) * M_PER_DEG_LAT < 2 * 2000 * 1.1);
}

/* UTC instant of a local Chicago wall-clock time in December (UTC-6). */
static int64_t chicago_dec(int day, int hour, int min)
{
    return mp_days_from_civil(2026, 12, (unsigned)day) * 86400 + (hour + 6) * 3600 + min * 60;
}

static void test_next_morning(void **state)
{
    (void)state;
    struct fx_db d;
    fx_db_open(&d, "mp-alerts");
    const struct mp_ctx ctx = d.ctx;
    /* Thursday 24 December 10:00: tomorrow 07:00 for a neighbour ... */
    assert_int_equal(mp_alert_next_morning(&ctx, chicago_dec(24, 10, 0), 7, false),
                     chicago_dec(25, 7, 0));
    /* ... but Friday is Christmas and then comes the weekend: Monday for a department. */
    assert_int_equal(mp_alert_next_morning(&ctx, chicago_dec(24, 10, 0), 7, true),
                     chicago_dec(28, 7, 0));
    /* Before 07:00 it is the same day; at 07:00 sharp the next. */
    assert_int_equal(mp_alert_next_morning(&ctx, chicago_dec(22, 6, 59), 7, true),
                     chicago_dec(22, 7, 0));
    assert_int_equal(mp_alert_next_morning(&ctx, chicago_dec(22, 7, 0), 7, true),
                     chicago_dec(23, 7, 0));
    /* Saturday: Monday. */
    assert_int_equal(mp_alert_next_morning(&ctx, chicago_dec(19, 12, 0), 7, true),
                     chicago_dec(21, 7, 0));
    fx_db_close(&d);
}

/* ---- through the report path ---- */

struct kinds {
    int64_t sub;
    int alert, digest, confirm;
};

static int count_row(void *p, const struct mp_outbox_row *r)
{
    struct kinds *k = p;
    if (r->sub_id != k->sub)
        return 0;
    k->alert += strcmp(r->kind, "alert") == 0;
    k->digest += strcmp(r->kind, "alert_digest") == 0;
    k->confirm += strcmp(r->kind, "alert_confirm") == 0;
    return 0;
}

static struct kinds queued(struct fx_db *d, int64_t sub)
{
    struct mp_error err = {{0}, {0}};
    struct kinds k = {sub, 0, 0, 0};
    assert_int_equal(mp_outbox_list(&d->ctx, NULL, 0, 1000, count_row, &k, &err), MP_OK);
    return k;
}

static int64_t subscribe(struct fx_db *d, const char *email, const char *district,
                         const char *category, const char *frequency)
{
    struct mp_error err = {{0}, {0}};
    struct mp_alert_request r = {.email = email,
                                 .lang = "en",
                                 .district = district,
                                 .category = category,
                                 .frequency = frequency,
                                 .has_point = !district,
                                 .lon = LON,
                                 .lat = LAT,
                                 .radius_m = 500};
    int64_t id = 0;
    if (mp_alert_subscribe(&d->ctx, &r, &id, &err) != MP_OK)
        fail_msg("subscribe: %s", err.text);
    return id;
}

/* What the confirmation link does, with the first digest not before next. */
static void confirm(struct fx_db *d, int64_t id, int64_t next)
{
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(d->ctx.db, &err), MP_OK);
    assert_int_equal(mp_store_alert_confirm(d->ctx.db, id, mp_time_now(), next), MP_OK);
    assert_int_equal(mp_store_commit(d->ctx.db, &err), MP_OK);
}

static void test_new_problems_alert_inside_only(void **state)
{
    (void)state;
    struct fx_db d;
    double lon, lat;
    int64_t job;
    fx_db_open(&d, "mp-alerts");
    int64_t sub = subscribe(&d, "Nina@Example.org", NULL, NULL, NULL);
    int64_t picky = subscribe(&d, "pete@example.org", NULL, "pothole", NULL);
    assert_int_equal(queued(&d, sub).confirm, 1);
    /* Unconfirmed: nothing but the confirmation. */
    at_distance(100, 0, &lon, &lat);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, &job);
    assert_int_equal(queued(&d, sub).alert, 0);
    confirm(&d, sub, 0);
    confirm(&d, picky, 0);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, NULL); /* "me too": joins job */
    at_distance(800, 90, &lon, &lat);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, NULL); /* outside */
    assert_int_equal(queued(&d, sub).alert, 0);
    at_distance(450, 200, &lon, &lat);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, NULL); /* inside */
    assert_int_equal(queued(&d, sub).alert, 1);
    assert_int_equal(queued(&d, picky).alert, 0); /* graffiti, not potholes */
    fx_report(&d.ctx, "pothole", lon, lat, NULL, 0, NULL);
    assert_int_equal(queued(&d, sub).alert, 2);
    assert_int_equal(queued(&d, picky).alert, 1);
    fx_db_close(&d);
}

static void test_daily_digest_when_its_morning_comes(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_outbox_round round;
    struct mp_outbox_opts o = {
        .public_url = "https://reports.example", .mail_from = "meldpunt@city.example", .batch = 16};
    double lon, lat;
    fx_db_open(&d, "mp-alerts");
    int64_t now = mp_time_now();
    int64_t sub = subscribe(&d, "dora@example.org", "32", NULL, MP_ALERT_DAILY);
    confirm(&d, sub, now + 3600);
    at_distance(100, 0, &lon, &lat);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, NULL);
    at_distance(300, 180, &lon, &lat);
    fx_report(&d.ctx, "pothole", lon, lat, NULL, 0, NULL);
    fx_report(&d.ctx, "pothole", lon, lat, NULL, 0, NULL); /* "me too" */
    fx_report(&d.ctx, "pothole", LON - 0.1, LAT, NULL, 0, NULL); /* 8 km west: not the Loop */
    int64_t waiting = 0;
    assert_int_equal(mp_store_digest_pending(d.ctx.db, sub, "", &waiting), MP_OK);
    assert_int_equal(waiting, 2);
    assert_int_equal(queued(&d, sub).alert, 0);
    /* Not yet its morning. */
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 3599, &round, &err), MP_OK);
    assert_int_equal(queued(&d, sub).digest, 0);
    /* Its morning: one digest with both problems; then nothing more today. */
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 3600, &round, &err), MP_OK);
    assert_int_equal(queued(&d, sub).digest, 1);
    assert_int_equal(mp_store_digest_pending(d.ctx.db, sub, "", &waiting), MP_OK);
    assert_int_equal(waiting, 0);
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 3700, &round, &err), MP_OK);
    assert_int_equal(queued(&d, sub).digest, 1);
    fx_db_close(&d);
}

/* ---- departments (deptmail.h) ---- */

/* d's context with a pack whose automation.json gives "streets" mail at
 * once and "sanitation" a morning digest: the Chicago pack with its folder
 * (where the rules are read) moved to a temporary one. */
struct dept_pack {
    struct mp_city city;
    char dir[256];
};

static void dept_pack(struct fx_db *d, struct dept_pack *p)
{
    snprintf(p->dir, sizeof p->dir, "%s/mp-deptmail-XXXXXX", fx_tmpdir());
    assert_non_null(mkdtemp(p->dir));
    fx_write_file(p->dir, "automation.json",
                  "{\"version\": 1, \"departments\": {"
                  "\"streets\": {\"email\": \"streets@city.example\", \"mail\": \"immediate\"},"
                  "\"sanitation\": {\"email\": \"Sanitation@City.example\", \"mail\": \"digest\","
                  " \"lang\": \"nl\"}}}");
    p->city = *d->ctx.city; /* a shallow copy: only read, never freed */
    p->city.dir = p->dir;
    p->city.base_dir = NULL;
    d->ctx.city = &p->city;
}

static void dept_pack_done(struct fx_db *d, struct dept_pack *p, const struct mp_city *orig)
{
    d->ctx.city = orig;
    char path[300];
    snprintf(path, sizeof path, "%s/automation.json", p->dir);
    remove(path);
    rmdir(p->dir);
}

struct dept_count {
    const char *kind, *rcpt;
    int n;
};

static int count_dept(void *p, const struct mp_outbox_row *r)
{
    struct dept_count *c = p;
    c->n += strcmp(r->kind, c->kind) == 0 && r->rcpt && strcmp(r->rcpt, c->rcpt) == 0;
    return 0;
}

static int dept_mails(struct fx_db *d, const char *kind, const char *rcpt)
{
    struct mp_error err = {{0}, {0}};
    struct dept_count c = {kind, rcpt, 0};
    assert_int_equal(mp_outbox_list(&d->ctx, NULL, 0, 1000, count_dept, &c, &err), MP_OK);
    return c.n;
}

/* Local Chicago wall-clock time in November 2026 (UTC-6 after 1 November). */
static int64_t chicago_nov(int day, int hour, int min)
{
    return mp_days_from_civil(2026, 11, (unsigned)day) * 86400 + (hour + 6) * 3600 + min * 60;
}

static void test_department_new_and_overdue_once(void **state)
{
    (void)state;
    struct fx_db d;
    struct dept_pack p;
    struct mp_error err = {{0}, {0}};
    struct mp_outbox_round round;
    struct mp_outbox_opts o = {.public_url = "https://reports.example", .batch = 16};
    double lon, lat;
    int64_t job;
    fx_db_open(&d, "mp-alerts");
    const struct mp_city *orig = d.ctx.city;
    dept_pack(&d, &p);
    int64_t now = mp_time_now();
    /* A new pothole job: streets hears at once; the "me too" report adds nothing. */
    at_distance(100, 0, &lon, &lat);
    fx_report(&d.ctx, "pothole", lon, lat, NULL, 0, &job);
    fx_report(&d.ctx, "pothole", lon, lat, NULL, 0, NULL);
    assert_int_equal(dept_mails(&d, "dept_new", "streets@city.example"), 1);
    /* Not overdue yet (7 working days). */
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now, &round, &err), MP_OK);
    assert_int_equal(dept_mails(&d, "dept_overdue", "streets@city.example"), 0);
    /* Three weeks on: overdue, mailed once however often the round looks. */
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 21 * 86400, &round, &err), MP_OK);
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 22 * 86400, &round, &err), MP_OK);
    assert_int_equal(dept_mails(&d, "dept_overdue", "streets@city.example"), 1);
    /* A graffiti job goes to sanitation's digest, not to a mail of its own. */
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, 0, NULL);
    assert_int_equal(dept_mails(&d, "dept_new", "sanitation@city.example"), 0);
    int64_t waiting = 0;
    assert_int_equal(mp_store_digest_pending(d.ctx.db, 0, "sanitation", &waiting), MP_OK);
    assert_int_equal(waiting, 1);
    dept_pack_done(&d, &p, orig);
    fx_db_close(&d);
}

static void test_department_digest_skips_holidays_and_weekends(void **state)
{
    (void)state;
    struct fx_db d;
    struct dept_pack p;
    struct mp_error err = {{0}, {0}};
    struct mp_outbox_round round;
    struct mp_outbox_opts o = {.public_url = "https://reports.example", .batch = 16};
    double lon, lat;
    fx_db_open(&d, "mp-alerts");
    const struct mp_city *orig = d.ctx.city;
    dept_pack(&d, &p);
    /* Wednesday 25 November 2026, 10:00: the day before Thanksgiving. */
    at_distance(200, 90, &lon, &lat);
    fx_report(&d.ctx, "graffiti", lon, lat, NULL, chicago_nov(25, 10, 0), NULL);
    int64_t next = 0;
    assert_int_equal(mp_store_dept_schedule_get(d.ctx.db, "sanitation", &next), MP_OK);
    assert_int_equal(next, chicago_nov(30, 7, 0)); /* Thu and Fri holidays, then the weekend */
    const int64_t quiet[] = {chicago_nov(26, 7, 0), chicago_nov(27, 9, 0), chicago_nov(28, 8, 0),
                             chicago_nov(29, 12, 0), chicago_nov(30, 6, 59)};
    for (size_t i = 0; i < sizeof quiet / sizeof *quiet; i++) {
        assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, quiet[i], &round, &err), MP_OK);
        assert_int_equal(dept_mails(&d, "dept_digest", "sanitation@city.example"), 0);
    }
    /* Monday 07:00: the digest, once. */
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, chicago_nov(30, 7, 0), &round, &err),
                     MP_OK);
    assert_int_equal(dept_mails(&d, "dept_digest", "sanitation@city.example"), 1);
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, chicago_nov(30, 9, 0), &round, &err),
                     MP_OK);
    assert_int_equal(dept_mails(&d, "dept_digest", "sanitation@city.example"), 1);
    assert_int_equal(mp_store_dept_schedule_get(d.ctx.db, "sanitation", &next), MP_OK);
    assert_int_equal(next, chicago_dec(1, 7, 0)); /* Tuesday */
    dept_pack_done(&d, &p, orig);
    fx_db_close(&d);
}

static void test_bad_requests(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    fx_db_open(&d, "mp-alerts");
    struct mp_alert_request r = {
        .email = "a@example.org", .has_point = true, .lon = LON, .lat = LAT, .radius_m = 49.9};
    assert_int_equal(mp_alert_subscribe(&d.ctx, &r, NULL, &err), MP_EINVAL);
    assert_string_equal(err.code, "out_of_range");
    assert_string_equal(err.text, "radius_m must be 50-5000 metres");
    r.radius_m = 5000.1;
    assert_int_equal(mp_alert_subscribe(&d.ctx, &r, NULL, &err), MP_EINVAL);
    r.radius_m = 5000;
    r.lat = 0;
    r.lon = 0;
    assert_int_equal(mp_alert_subscribe(&d.ctx, &r, NULL, &err), MP_EINVAL);
    assert_string_equal(err.code, "out_of_area");
    r = (struct mp_alert_request){.email = "a@example", .district = "32"};
    assert_int_equal(mp_alert_subscribe(&d.ctx, &r, NULL, &err), MP_EINVAL);
    assert_string_equal(err.text, "email must be an e-mail address");
    r.email = "a@example.org";
    r.district = "999";
    assert_int_equal(mp_alert_subscribe(&d.ctx, &r, NULL, &err), MP_EINVAL);
    assert_string_equal(err.code, "unknown_district");
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_area_circle_edge),
        cmocka_unit_test(test_area_district),
        cmocka_unit_test(test_box_holds_the_circle),
        cmocka_unit_test(test_next_morning),
        cmocka_unit_test(test_new_problems_alert_inside_only),
        cmocka_unit_test(test_daily_digest_when_its_morning_comes),
        cmocka_unit_test(test_department_new_and_overdue_once),
        cmocka_unit_test(test_department_digest_skips_holidays_and_weekends),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
