/* test_store_alerts.c - the store operations of area alerts and digests
 * (store_alerts.h) on their own, so that they run on both engines
 * (MELDPUNT_TEST_ENGINE=pg: tests/CMakeLists.txt lists it for PostgreSQL):
 * an unconfirmed or stopped alert never matches, the category and district
 * filters, the box as the coarse filter, one digest item per key, the items
 * a digest message takes, a department's schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"

static int64_t add(struct fx_db *d, const char *district, const char *category, double lon,
                   double lat)
{
    struct mp_alert_rec a = {.email = "n@example.org",
                             .email_hash = "h",
                             .lang = "nl",
                             .district = district,
                             .category = category,
                             .frequency = MP_ALERT_DAILY,
                             .lon = lon,
                             .lat = lat,
                             .radius_m = district ? 0 : 500,
                             .lon_min = district ? 0 : lon - 0.01,
                             .lon_max = district ? 0 : lon + 0.01,
                             .lat_min = district ? 0 : lat - 0.01,
                             .lat_max = district ? 0 : lat + 0.01,
                             .created_at = 1000};
    int64_t id = 0;
    assert_int_equal(mp_store_alert_add(d->ctx.db, &a, &id), MP_OK);
    assert_true(id > 0);
    return id;
}

struct ids {
    int64_t id[8];
    size_t n;
    char lang[8], frequency[16];
    int64_t confirmed_at, next;
};

static int take(void *p, const struct mp_alert_row *a)
{
    struct ids *l = p;
    if (l->n < 8)
        l->id[l->n++] = a->id;
    strncpy(l->lang, a->lang, sizeof l->lang - 1);
    strncpy(l->frequency, a->frequency, sizeof l->frequency - 1);
    l->confirmed_at = a->confirmed_at;
    l->next = a->next_digest_at;
    return 0;
}

static struct ids match(struct fx_db *d, const char *category, const char *district, double lon,
                        double lat)
{
    struct ids l;
    memset(&l, 0, sizeof l);
    assert_int_equal(mp_store_alerts_match(d->ctx.db, category, district, lon, lat, take, &l),
                     MP_OK);
    return l;
}

static void test_alerts_match(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    fx_db_open(&d, "mp-store-alerts");
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    int64_t circle = add(&d, NULL, NULL, -87.63, 41.88);
    int64_t holes = add(&d, NULL, "pothole", -87.63, 41.88);
    int64_t loop = add(&d, "32", NULL, 0, 0);
    int64_t never = add(&d, "32", NULL, 0, 0); /* never confirmed */
    /* Unconfirmed: nothing matches. */
    assert_int_equal(match(&d, "graffiti", "32", -87.63, 41.88).n, 0);
    assert_int_equal(mp_store_alert_confirm(d.ctx.db, circle, 2000, 5000), MP_OK);
    assert_int_equal(mp_store_alert_confirm(d.ctx.db, holes, 2000, 5000), MP_OK);
    assert_int_equal(mp_store_alert_confirm(d.ctx.db, loop, 2000, 5000), MP_OK);
    assert_int_equal(mp_store_alert_confirm(d.ctx.db, loop, 3000, 9000), MP_OK); /* no change */
    struct ids l = match(&d, "graffiti", "32", -87.63, 41.88);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], circle);
    assert_int_equal(l.id[1], loop);
    l = match(&d, "pothole", NULL, -87.635, 41.885);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.id[0], circle);
    assert_int_equal(l.id[1], holes);
    assert_int_equal(match(&d, "pothole", "33", -87.70, 41.88).n, 0); /* outside the box */
    memset(&l, 0, sizeof l);
    assert_int_equal(mp_store_alert_get(d.ctx.db, loop, take, &l), MP_OK);
    assert_int_equal(l.confirmed_at, 2000);
    assert_int_equal(l.next, 5000);
    assert_string_equal(l.lang, "nl");
    assert_string_equal(l.frequency, "daily");
    assert_int_equal(mp_store_alert_stop(d.ctx.db, loop, 4000), MP_OK);
    assert_int_equal(match(&d, "graffiti", "32", 0, 0).n, 0);
    assert_int_equal(mp_store_alert_get(d.ctx.db, 99999, take, &l), MP_ENOTFOUND);
    (void)never;
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    fx_db_close(&d);
}

struct items {
    int64_t report[8];
    size_t n;
};

static int take_item(void *p, const struct mp_digest_item_row *it)
{
    struct items *l = p;
    if (l->n < 8)
        l->report[l->n++] = it->report_id;
    return 0;
}

static void test_digests(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    bool added = false;
    int64_t n = 0;
    fx_db_open(&d, "mp-store-alerts");
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    int64_t a = add(&d, "32", NULL, 0, 0);
    assert_int_equal(mp_store_alert_confirm(d.ctx.db, a, 2000, 5000), MP_OK);
    struct mp_digest_item_rec it = {.alert_id = a, .department = "", .what = MP_DIGEST_NEW,
                                    .report_id = 7, .cluster_id = 3, .at = 100};
    assert_int_equal(mp_store_digest_item_add(d.ctx.db, &it, &added), MP_OK);
    assert_true(added);
    assert_int_equal(mp_store_digest_item_add(d.ctx.db, &it, &added), MP_OK);
    assert_false(added); /* once */
    it.report_id = 8;
    it.at = 90;
    assert_int_equal(mp_store_digest_item_add(d.ctx.db, &it, &added), MP_OK);
    struct mp_digest_item_rec dept = {.department = "streets", .what = MP_DIGEST_OVERDUE,
                                      .cluster_id = 3, .at = 100};
    assert_int_equal(mp_store_digest_item_add(d.ctx.db, &dept, &added), MP_OK);
    assert_true(added);
    assert_int_equal(mp_store_digest_pending(d.ctx.db, a, "", &n), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mp_store_digest_pending(d.ctx.db, 0, "streets", &n), MP_OK);
    assert_int_equal(n, 1);
    /* Due only from its time on, and only with items waiting. */
    struct ids l;
    memset(&l, 0, sizeof l);
    assert_int_equal(mp_store_alerts_digest_due(d.ctx.db, 4999, take, &l), MP_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(mp_store_alerts_digest_due(d.ctx.db, 5000, take, &l), MP_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(mp_store_digest_take(d.ctx.db, a, "", 42, &n), MP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(mp_store_alert_digest_next(d.ctx.db, a, 9000), MP_OK);
    memset(&l, 0, sizeof l);
    assert_int_equal(mp_store_alerts_digest_due(d.ctx.db, 9999, take, &l), MP_OK);
    assert_int_equal(l.n, 0); /* nothing waits */
    struct items got = {{0}, 0};
    assert_int_equal(mp_store_digest_items(d.ctx.db, 42, take_item, &got), MP_OK);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.report[0], 8); /* oldest first */
    assert_int_equal(got.report[1], 7);
    assert_int_equal(mp_store_digest_pending(d.ctx.db, 0, "streets", &n), MP_OK);
    assert_int_equal(n, 1); /* the department's item is its own */
    /* A department's schedule. */
    int64_t next = -1;
    assert_int_equal(mp_store_dept_schedule_get(d.ctx.db, "streets", &next), MP_OK);
    assert_int_equal(next, 0);
    assert_int_equal(mp_store_dept_schedule_set(d.ctx.db, "streets", 1234), MP_OK);
    assert_int_equal(mp_store_dept_schedule_set(d.ctx.db, "streets", 5678), MP_OK);
    assert_int_equal(mp_store_dept_schedule_get(d.ctx.db, "streets", &next), MP_OK);
    assert_int_equal(next, 5678);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alerts_match),
        cmocka_unit_test(test_digests),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
