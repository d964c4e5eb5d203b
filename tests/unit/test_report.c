/* test_report.c - validation of incoming reports (one error code per bad
 * field) and mp_report_submit end to end on a temporary database with the
 * Chicago pack: joining, not joining, same_as / not_same_as, windows, fixed
 * clusters, rollback on failure, durability across reopening. */
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
#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/streets.h"
#include "meldpunt/tz.h"

#define DAY 86400LL
#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781
/* A point-rule category: street_light_out, 45 m, 30 days, fixed absorbs 2 days. */
#define CAT "street_light_out"

struct fx {
    struct fx_dbfile file;
    struct mp_store *store;
    struct mp_ctx ctx;
};

/* ---- fixture: fx_pack and fx_template (fixture.h) for the group ---- */

static enum mp_status open_store(struct fx *f, struct mp_error *err)
{
    enum mp_status rc = fx_store_open(f->file.path, 1, &f->store, err);
    if (rc == MP_OK)
        f->ctx.db = mp_store_acquire(f->store);
    return rc;
}

static void close_store(struct fx *f)
{
    if (f->store) {
        mp_store_release(f->store, f->ctx.db);
        mp_store_close(f->store);
    }
    f->store = NULL;
    f->ctx.db = NULL;
}

/* Each test gets a fresh database in its own temporary folder. */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mp_error err = {{0}, {0}};
    if (!f)
        return -1;
    if (fx_dbfile_copy(&f->file, "mp-report", &fx_template) != 0) {
        free(f);
        return -1;
    }
    fx_city_ctx(&fx_pack, &f->ctx);
    if (open_store(f, &err) != MP_OK) {
        fprintf(stderr, "setup: %s\n", err.text);
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
    close_store(f);
    fx_rm_dir(f->file.dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static char *xdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* A valid report in the Loop; the caller changes what the test is about. */
static void base_input(struct mp_report_input *in)
{
    memset(in, 0, sizeof *in);
    snprintf(in->category, sizeof in->category, "%s", CAT);
    in->lon = LOOP_LON;
    in->lat = LOOP_LAT;
    in->has_lon = in->has_lat = true;
    in->description = xdup("The light at the corner is out");
    in->created_at = T0;
}

/* base_input with another description (copied). */
static void base_input_described(struct mp_report_input *in, const char *description)
{
    base_input(in);
    free(in->description);
    in->description = xdup(description);
}

/* The point dx, dy metres (east, north in the metric CRS) from the Loop. */
static void offset(struct fx *f, double dx, double dy, double *lon, double *lat)
{
    double x, y;
    assert_int_equal(mp_geo_forward(f->ctx.geo, LOOP_LON, LOOP_LAT, &x, &y), MP_OK);
    assert_int_equal(mp_geo_inverse(f->ctx.geo, x + dx, y + dy, lon, lat), MP_OK);
}

static void expect_invalid(const struct mp_city *city, struct mp_report_input *in,
                           const char *code, const char *needle)
{
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_report_validate(city, in, &err);
    if (rc != MP_EINVAL || strcmp(err.code, code) != 0 || (needle && !strstr(err.text, needle)))
        print_error("rc %d code \"%s\" text \"%s\"; expected %s mentioning %s\n", (int)rc,
                    err.code, err.text, code, needle ? needle : "-");
    mp_report_input_clear(in);
    assert_int_equal(rc, MP_EINVAL);
    assert_string_equal(err.code, code);
    if (needle)
        assert_non_null(strstr(err.text, needle));
}

static struct mp_submit_result submit_ok(struct fx *f, struct mp_report_input *in)
{
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_report_submit(&f->ctx, in, true, &res, &err);
    if (rc != MP_OK)
        print_error("submit: %s (%s)\n", err.text, err.code);
    mp_report_input_clear(in);
    assert_int_equal(rc, MP_OK);
    assert_true(res.report_id > 0);
    assert_true(res.cluster_id > 0);
    return res;
}

static void expect_submit_error(struct fx *f, struct mp_report_input *in, enum mp_status want,
                                const char *code)
{
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    int64_t nr0, nc0, nr1, nc1;
    assert_int_equal(mp_store_counts(f->ctx.db, &nr0, &nc0), MP_OK);
    enum mp_status rc = mp_report_submit(&f->ctx, in, true, &res, &err);
    mp_report_input_clear(in);
    if (rc != want || strcmp(err.code, code) != 0)
        print_error("rc %d code %s (%s); expected %d %s\n", (int)rc, err.code, err.text,
                    (int)want, code);
    assert_int_equal(rc, want);
    assert_string_equal(err.code, code);
    assert_true(strlen(err.text) > 0);
    /* Nothing of a refused report is stored. */
    assert_int_equal(mp_store_counts(f->ctx.db, &nr1, &nc1), MP_OK);
    assert_int_equal(nr1, nr0);
    assert_int_equal(nc1, nc0);
}

static void cluster_state(struct fx *f, int64_t id, struct mp_cluster_state *st)
{
    assert_int_equal(mp_store_cluster_state(f->ctx.db, id, st), MP_OK);
}

/* ---- validation ---- */

static void test_validate_ok(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    struct mp_error err;
    base_input(&in);
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    /* Optional fields set and valid. */
    in.address = xdup("121 N LaSalle St");
    in.contact_name = xdup("Jan Smit");
    in.contact_email = xdup("jan@example.org");
    in.contact_phone = xdup("+1 (312) 555-0100");
    snprintf(in.channel, sizeof in.channel, "open311");
    in.not_same_as[0] = 4;
    in.n_not_same = 1;
    in.same_as = 3;
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    /* Empty contact strings mean "none". */
    free(in.contact_email);
    in.contact_email = xdup("");
    free(in.contact_phone);
    in.contact_phone = xdup("");
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    mp_report_input_clear(&in);
    /* No description at all is fine too. */
    base_input(&in);
    free(in.description);
    in.description = NULL;
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    mp_report_input_clear(&in);
    const char *channels[] = {"web", "phone", "email", "counter", "open311"};
    for (size_t i = 0; i < 5; i++)
        assert_true(mp_report_channel_valid(channels[i]));
    assert_false(mp_report_channel_valid("fax"));
    assert_false(mp_report_channel_valid("Web"));
    assert_false(mp_report_channel_valid(""));
}

static void test_validate_category(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.category[0] = '\0';
    expect_invalid(f->ctx.city, &in, "missing_field", "category");
    base_input(&in);
    snprintf(in.category, sizeof in.category, "unicorns");
    expect_invalid(f->ctx.city, &in, "unknown_category", "unicorns");
    base_input(&in);
    snprintf(in.category, sizeof in.category, "Pothole");
    expect_invalid(f->ctx.city, &in, "unknown_category", NULL);
}

static void test_validate_position(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.has_lat = false;
    expect_invalid(f->ctx.city, &in, "missing_field", "lat");
    base_input(&in);
    in.has_lon = false;
    expect_invalid(f->ctx.city, &in, "missing_field", "lon");
    base_input(&in);
    in.lat = 91;
    expect_invalid(f->ctx.city, &in, "out_of_range", "lat");
    base_input(&in);
    in.lat = -90.0000001;
    expect_invalid(f->ctx.city, &in, "out_of_range", "lat");
    base_input(&in);
    in.lat = NAN;
    expect_invalid(f->ctx.city, &in, "out_of_range", "lat");
    base_input(&in);
    in.lon = -181;
    expect_invalid(f->ctx.city, &in, "out_of_range", "lon");
    base_input(&in);
    in.lon = INFINITY;
    expect_invalid(f->ctx.city, &in, "out_of_range", "lon");
    /* Lake Michigan, off the Loop. */
    base_input(&in);
    in.lon = -87.55;
    in.lat = 41.88;
    expect_invalid(f->ctx.city, &in, "out_of_area", "Chicago");
    /* lat and lon swapped: a valid pair, far from Chicago. */
    base_input(&in);
    in.lon = LOOP_LAT;
    in.lat = LOOP_LON;
    expect_invalid(f->ctx.city, &in, "out_of_area", NULL);
    base_input(&in);
    in.lon = 0;
    in.lat = 0;
    expect_invalid(f->ctx.city, &in, "out_of_area", NULL);
}

static void test_validate_description_length(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    struct mp_error err;
    /* 2000 x "é" = 4000 bytes = 2000 characters: allowed. */
    char *s = malloc(2 * 2001 + 1);
    assert_non_null(s);
    for (int i = 0; i < 2001; i++)
        memcpy(s + 2 * i, "\xc3\xa9", 2);
    s[4000] = '\0';
    base_input_described(&in, s);
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    mp_report_input_clear(&in);
    /* 2001 of them: too long, and the message counts characters. */
    s[4000] = '\xc3';
    s[4002] = '\0';
    base_input_described(&in, s);
    expect_invalid(f->ctx.city, &in, "too_long", "2001");
    /* ASCII: 2000 fine, 2001 not. */
    memset(s, 'a', 2001);
    s[2000] = '\0';
    base_input_described(&in, s);
    assert_int_equal(mp_report_validate(f->ctx.city, &in, &err), MP_OK);
    mp_report_input_clear(&in);
    s[2000] = 'a';
    s[2001] = '\0';
    base_input_described(&in, s);
    expect_invalid(f->ctx.city, &in, "too_long", "description");
    free(s);
}

static void test_validate_text_fields(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input_described(&in, "bad \xc3\x28 utf-8");
    expect_invalid(f->ctx.city, &in, "invalid_field", "description");
    base_input_described(&in, "escape \x1b[2J");
    expect_invalid(f->ctx.city, &in, "invalid_field", "description");
    char big[300];
    memset(big, 'x', 201);
    big[201] = '\0';
    base_input(&in);
    in.address = xdup(big);
    expect_invalid(f->ctx.city, &in, "too_long", "address");
    base_input(&in);
    in.contact_name = xdup(big);
    expect_invalid(f->ctx.city, &in, "too_long", "name");
    base_input(&in);
    in.contact_name = xdup("bad\xff");
    expect_invalid(f->ctx.city, &in, "invalid_field", "name");
}

static void test_validate_contacts_and_channel(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.contact_email = xdup("not-an-address");
    expect_invalid(f->ctx.city, &in, "invalid_field", "email");
    base_input(&in);
    in.contact_email = xdup("a@b");
    expect_invalid(f->ctx.city, &in, "invalid_field", "email");
    base_input(&in);
    in.contact_phone = xdup("call me");
    expect_invalid(f->ctx.city, &in, "invalid_field", "phone");
    base_input(&in);
    in.contact_phone = xdup("12345");
    expect_invalid(f->ctx.city, &in, "invalid_field", "phone");
    base_input(&in);
    snprintf(in.channel, sizeof in.channel, "fax");
    expect_invalid(f->ctx.city, &in, "invalid_field", "channel");
    base_input(&in);
    in.same_as = -1;
    expect_invalid(f->ctx.city, &in, "invalid_field", "same_as");
    base_input(&in);
    in.not_same_as[0] = 5;
    in.not_same_as[1] = 0;
    in.n_not_same = 2;
    expect_invalid(f->ctx.city, &in, "invalid_field", "not_same_as");
}

/* ---- submission ---- */

static void test_submit_first_report(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.contact_email = xdup("jan@example.org");
    struct mp_submit_result a = submit_ok(f, &in);
    assert_false(a.joined);
    assert_int_equal(a.cluster_count, 1);
    assert_int_equal(a.created_at, T0);
    assert_string_equal(a.status, "new");
    assert_string_equal(a.district, "32");
    assert_string_equal(a.why.kind, "new");
    /* State and Madison is on a street of the pack: it gets a readable
     * location, and the cluster keeps that of its first report. */
    assert_true(strlen(a.location) > 0);
    struct mp_cluster_state st;
    cluster_state(f, a.cluster_id, &st);
    assert_string_equal(st.location, a.location);
    assert_string_equal(st.category, CAT);
    assert_string_equal(st.status, "new");
    assert_int_equal(st.report_count, 1);
    assert_string_equal(st.district, "32");
    assert_int_equal(st.first_at, T0);
    assert_int_equal(st.last_at, T0);
    /* A cluster of one sits exactly on its report. */
    assert_near(st.lon, LOOP_LON, 0);
    assert_near(st.lat, LOOP_LAT, 0);
    int64_t nr, nc;
    assert_int_equal(mp_store_counts(f->ctx.db, &nr, &nc), MP_OK);
    assert_int_equal(nr, 1);
    assert_int_equal(nc, 1);
}

static void test_submit_joins_within_radius(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    /* 10 m north, an hour later: the same light. */
    base_input(&in);
    offset(f, 0, 10, &in.lon, &in.lat);
    in.created_at = T0 + 3600;
    struct mp_submit_result b = submit_ok(f, &in);
    assert_true(b.joined);
    assert_int_equal(b.cluster_id, a.cluster_id);
    assert_int_equal(b.cluster_count, 2);
    assert_true(b.report_id > a.report_id);
    assert_string_equal(b.why.kind, "nearest");
    assert_near(b.why.distance_m, 10.0, 0.01);
    assert_int_equal(b.why.age_s, 3600);
    assert_near(b.why.radius_m, 45.0, 0);
    /* The centre moved half way. */
    struct mp_cluster_state st;
    cluster_state(f, a.cluster_id, &st);
    assert_int_equal(st.report_count, 2);
    assert_int_equal(st.last_at, T0 + 3600);
    double x0, y0;
    assert_int_equal(mp_geo_forward(f->ctx.geo, LOOP_LON, LOOP_LAT, &x0, &y0), MP_OK);
    assert_near(st.x, x0, 0.001);
    assert_near(st.y, y0 + 5, 0.001);
    double clon, clat;
    offset(f, 0, 5, &clon, &clat);
    assert_near(st.lon, clon, 1e-8);
    assert_near(st.lat, clat, 1e-8);
}

static void test_submit_far_does_not_join(void **state)
{
    struct fx *f = *state;
    const struct mp_category *cat = mp_city_category(f->ctx.city, CAT);
    assert_true(cat->radius_m < 200);
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    base_input(&in);
    offset(f, 200, 0, &in.lon, &in.lat);
    struct mp_submit_result b = submit_ok(f, &in);
    assert_false(b.joined);
    assert_int_not_equal(b.cluster_id, a.cluster_id);
    assert_int_equal(b.cluster_count, 1);
    /* Just outside the radius (radius + 0.5 m) does not join either... */
    base_input(&in);
    offset(f, 0, -(cat->radius_m + 0.5), &in.lon, &in.lat);
    struct mp_submit_result c = submit_ok(f, &in);
    assert_false(c.joined);
    /* ...and just inside does, with the nearer cluster. */
    base_input(&in);
    offset(f, 0, -(cat->radius_m + 0.5) - 3, &in.lon, &in.lat);
    struct mp_submit_result d = submit_ok(f, &in);
    assert_true(d.joined);
    assert_int_equal(d.cluster_id, c.cluster_id);
    /* Another category at the very same spot starts its own cluster. */
    base_input(&in);
    snprintf(in.category, sizeof in.category, "graffiti");
    struct mp_submit_result e = submit_ok(f, &in);
    assert_false(e.joined);
    assert_int_not_equal(e.cluster_id, a.cluster_id);
}

static void test_submit_same_as(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    /* 200 m away, but the citizen says it is the same: it joins. */
    base_input(&in);
    offset(f, 200, 0, &in.lon, &in.lat);
    in.same_as = a.cluster_id;
    struct mp_submit_result b = submit_ok(f, &in);
    assert_true(b.joined);
    assert_int_equal(b.cluster_id, a.cluster_id);
    assert_int_equal(b.cluster_count, 2);
    assert_string_equal(b.why.kind, "same_as");
    assert_near(b.why.distance_m, 200.0, 0.01);

    base_input(&in);
    in.same_as = 999999;
    expect_submit_error(f, &in, MP_EINVAL, "unknown_cluster");

    base_input(&in);
    snprintf(in.category, sizeof in.category, "graffiti");
    in.same_as = a.cluster_id;
    expect_submit_error(f, &in, MP_EINVAL, "category_mismatch");
}

static void test_submit_not_same_as(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    base_input(&in);
    offset(f, 5, 0, &in.lon, &in.lat);
    in.not_same_as[0] = 77777; /* unknown ids are harmless */
    in.not_same_as[1] = a.cluster_id;
    in.n_not_same = 2;
    struct mp_submit_result b = submit_ok(f, &in);
    assert_false(b.joined);
    assert_int_not_equal(b.cluster_id, a.cluster_id);
    /* A third report nearby may join either, but not the excluded one. */
    base_input(&in);
    offset(f, 3, 0, &in.lon, &in.lat);
    in.not_same_as[0] = b.cluster_id;
    in.n_not_same = 1;
    struct mp_submit_result c = submit_ok(f, &in);
    assert_true(c.joined);
    assert_int_equal(c.cluster_id, a.cluster_id);
}

static void test_submit_window(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    /* 30 days after the latest report: still the same cluster. */
    base_input(&in);
    in.created_at = T0 + 30 * DAY;
    struct mp_submit_result b = submit_ok(f, &in);
    assert_true(b.joined);
    assert_int_equal(b.cluster_id, a.cluster_id);
    /* 30 days and 1 s after that one: a new cluster. */
    base_input(&in);
    in.created_at = T0 + 60 * DAY + 1;
    struct mp_submit_result c = submit_ok(f, &in);
    assert_false(c.joined);
}

static void test_submit_fixed_cluster(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    assert_int_equal(mp_store_begin_write(f->ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&f->ctx, a.cluster_id, "fixed", T0 + DAY,
                                                  "replaced the lamp", "crew7", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(f->ctx.db, &err), MP_OK);
    /* Within fixed_absorb_days (2) of the fix: joins the fixed cluster. */
    base_input(&in);
    in.created_at = T0 + 3 * DAY;
    struct mp_submit_result b = submit_ok(f, &in);
    assert_true(b.joined);
    assert_int_equal(b.cluster_id, a.cluster_id);
    assert_string_equal(b.status, "fixed");
    /* After it: a new cluster. */
    base_input(&in);
    in.created_at = T0 + 3 * DAY + 1;
    struct mp_submit_result c = submit_ok(f, &in);
    assert_false(c.joined);
    assert_string_equal(c.status, "new");
    /* A closed cluster never absorbs. */
    assert_int_equal(mp_store_begin_write(f->ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&f->ctx, c.cluster_id, "closed", T0 + 3 * DAY + 2,
                                                  NULL, NULL, &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(f->ctx.db, &err), MP_OK);
    base_input(&in);
    in.created_at = T0 + 3 * DAY + 3;
    struct mp_submit_result d = submit_ok(f, &in);
    assert_false(d.joined);
}

static void test_submit_refused_stores_nothing(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.lon = -87.55;
    in.lat = 41.88;
    expect_submit_error(f, &in, MP_EINVAL, "out_of_area");
    base_input(&in);
    snprintf(in.category, sizeof in.category, "unicorns");
    expect_submit_error(f, &in, MP_EINVAL, "unknown_category");
    /* A duplicate external id rolls back the cluster made for it. */
    base_input(&in);
    in.external_id = xdup("SR21-0001");
    (void)submit_ok(f, &in);
    base_input(&in);
    offset(f, -1000, 1000, &in.lon, &in.lat);
    in.external_id = xdup("SR21-0001");
    expect_submit_error(f, &in, MP_ECONFLICT, "duplicate_external_id");
    /* The session is usable afterwards (no transaction left open). */
    base_input(&in);
    offset(f, -1000, 1000, &in.lon, &in.lat);
    struct mp_submit_result r = submit_ok(f, &in);
    assert_false(r.joined);
}

static void test_submit_in_callers_transaction(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_report_input in;
    struct mp_submit_result res;
    assert_int_equal(mp_store_begin_write(f->ctx.db, &err), MP_OK);
    for (int i = 0; i < 3; i++) {
        base_input(&in);
        offset(f, 0, 2.0 * i, &in.lon, &in.lat);
        assert_int_equal(mp_report_submit(&f->ctx, &in, false, &res, &err), MP_OK);
        mp_report_input_clear(&in);
        assert_int_equal(res.cluster_count, i + 1); /* sees its own earlier writes */
    }
    mp_store_rollback(f->ctx.db);
    int64_t nr, nc;
    assert_int_equal(mp_store_counts(f->ctx.db, &nr, &nc), MP_OK);
    assert_int_equal(nr, 0);
    assert_int_equal(nc, 0);
}

static void test_submit_with_photo(void **state)
{
    struct fx *f = *state;
    static const unsigned char full[] = {0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3, 0xff, 0xd9};
    static const unsigned char thumb[] = {0xff, 0xd8, 9, 0xff, 0xd9};
    struct mp_photo_rec p = {.full = full, .thumb = thumb, .full_len = sizeof full,
                             .thumb_len = sizeof thumb, .width = 4, .height = 3,
                             .mime = "image/jpeg"};
    struct mp_report_input in;
    base_input(&in);
    in.photo = &p;
    struct mp_submit_result a = submit_ok(f, &in);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mp_store_photo_get(f->ctx.db, a.report_id, true, &data, &len), MP_OK);
    assert_int_equal(len, sizeof thumb);
    assert_memory_equal(data, thumb, sizeof thumb);
    free(data);
}

struct seen {
    int n;
    char status[24];
    char email[64];
    char channel[16];
    bool address_null, phone_null;
    int64_t cluster_id, created_at;
};

static int see_report(void *ctx, const struct mp_report_row *r)
{
    struct seen *s = ctx;
    s->n++;
    snprintf(s->status, sizeof s->status, "%s", r->status);
    snprintf(s->email, sizeof s->email, "%s", r->contact_email ? r->contact_email : "(null)");
    snprintf(s->channel, sizeof s->channel, "%s", r->channel);
    s->address_null = r->address == NULL;
    s->phone_null = r->contact_phone == NULL;
    s->cluster_id = r->cluster_id;
    s->created_at = r->created_at;
    return 0;
}

static int count_history(void *ctx, const struct mp_history_row *h)
{
    int *n = ctx;
    (void)h;
    (*n)++;
    return 0;
}

static void test_committed_data_survives_reopen(void **state)
{
    struct fx *f = *state;
    struct mp_report_input in;
    base_input(&in);
    in.contact_email = xdup("jan@example.org");
    in.contact_phone = xdup(""); /* empty: stored as none */
    in.address = xdup("");
    snprintf(in.channel, sizeof in.channel, "phone");
    struct mp_submit_result a = submit_ok(f, &in);
    base_input(&in);
    offset(f, 4, 4, &in.lon, &in.lat);
    struct mp_submit_result b = submit_ok(f, &in);
    assert_true(b.joined);

    struct mp_error err = {{0}, {0}};
    close_store(f);
    assert_int_equal(open_store(f, &err), MP_OK);

    int64_t nr, nc;
    assert_int_equal(mp_store_counts(f->ctx.db, &nr, &nc), MP_OK);
    assert_int_equal(nr, 2);
    assert_int_equal(nc, 1);
    struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(mp_store_report_get(f->ctx.db, a.report_id, true, see_report, &s), MP_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.status, "new");
    assert_string_equal(s.email, "jan@example.org");
    assert_string_equal(s.channel, "phone");
    assert_true(s.address_null);
    assert_true(s.phone_null);
    assert_int_equal(s.cluster_id, a.cluster_id);
    assert_int_equal(s.created_at, T0);
    struct mp_cluster_state st;
    cluster_state(f, a.cluster_id, &st);
    assert_int_equal(st.report_count, 2);
    /* The new cluster wrote its "new" history entry. */
    int nh = 0;
    assert_int_equal(mp_store_history(f->ctx.db, a.cluster_id, count_history, &nh), MP_OK);
    assert_int_equal(nh, 1);
}

static void test_cluster_set_status(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_report_input in;
    base_input(&in);
    struct mp_submit_result a = submit_ok(f, &in);
    assert_int_equal(mp_store_begin_write(f->ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&f->ctx, a.cluster_id, "done", T0, NULL, NULL,
                                                  &err),
                     MP_EINVAL);
    assert_string_equal(err.code, "invalid_status");
    assert_int_equal(mp_report_cluster_set_status(&f->ctx, 424242, "closed", T0, NULL, NULL,
                                                  &err),
                     MP_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    assert_int_equal(mp_report_cluster_set_status(&f->ctx, a.cluster_id, "scheduled", T0 + 10,
                                                  "next week", "dispatcher1", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(f->ctx.db, &err), MP_OK);
    struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(mp_store_report_get(f->ctx.db, a.report_id, false, see_report, &s), MP_OK);
    assert_string_equal(s.status, "scheduled");
    struct mp_cluster_state st;
    cluster_state(f, a.cluster_id, &st);
    assert_string_equal(st.status, "scheduled");
    assert_int_equal(st.fixed_at, 0);
    int nh = 0;
    assert_int_equal(mp_store_history(f->ctx.db, a.cluster_id, count_history, &nh), MP_OK);
    assert_int_equal(nh, 2); /* "new" and "scheduled" */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_validate_ok),
        T(test_validate_category),
        T(test_validate_position),
        T(test_validate_description_length),
        T(test_validate_text_fields),
        T(test_validate_contacts_and_channel),
        T(test_submit_first_report),
        T(test_submit_joins_within_radius),
        T(test_submit_far_does_not_join),
        T(test_submit_same_as),
        T(test_submit_not_same_as),
        T(test_submit_window),
        T(test_submit_fixed_cluster),
        T(test_submit_refused_stores_nothing),
        T(test_submit_in_callers_transaction),
        T(test_submit_with_photo),
        T(test_committed_data_survives_reopen),
        T(test_cluster_set_status),
    };
#undef T
    return cmocka_run_group_tests_name("report", tests, fx_pack_group_setup, fx_pack_group_teardown);
}
