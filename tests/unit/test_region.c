/* test_region.c - region packs: the Halle-Vilvoorde pack (35 members that
 * inherit from the region folder), routing pins by place with real
 * borders, the refusal naming the nearest members, member overrides and
 * their errors, and the Chicago pack as a region of one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/city.h"
#include "meldpunt/geo.h"
#include "meldpunt/region.h"
#include "meldpunt/timeutil.h"

static char region_dir[600];

static struct mp_region *load(const char *dir)
{
    struct mp_region *r = NULL;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_region_load(dir, &r, &err);
    if (rc)
        fail_msg("load %s: %s", dir, err.text);
    return r;
}

static int setup(void **state)
{
    (void)state;
    const char *chicago = fx_chicago_dir();
    if (!chicago)
        return -1;
    /* geodata/chicago -> geodata/halle-vilvoorde */
    size_t len = (size_t)(strrchr(chicago, '/') - chicago);
    if (len + sizeof "/halle-vilvoorde" > sizeof region_dir)
        return -1;
    memcpy(region_dir, chicago, len);
    memcpy(region_dir + len, "/halle-vilvoorde", sizeof "/halle-vilvoorde");
    return 0;
}

/* Route (lat, lon) as the report path does: metric coordinates in the
 * region's CRS, reach = radius_m. */
static void route(const struct mp_region *r, double lat, double lon, double reach,
                  struct mp_route *out)
{
    struct mp_geo *g = NULL;
    struct mp_error err = {{0}, {0}};
    double x, y;
    assert_int_equal(mp_geo_new(r->whole->crs, &g, &err), MP_OK);
    assert_int_equal(mp_geo_forward(g, lon, lat, &x, &y), MP_OK);
    mp_geo_free(g);
    mp_region_route(r, lon, lat, x, y, reach, out);
}

static int64_t day(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(mp_time_parse(iso, 0, &t), MP_OK);
    return t / 86400;
}

static void test_members_inherit(void **state)
{
    (void)state;
    struct mp_region *r = load(region_dir);
    assert_false(r->of_one);
    assert_int_equal(r->nmembers, 35);
    assert_string_equal(r->whole->id, "halle-vilvoorde");
    assert_string_equal(r->whole->crs, "EPSG:31370");
    assert_int_equal(r->whole->ndistricts, 35);
    assert_string_equal(r->members[0].city->id, "affligem");
    assert_string_equal(r->members[34].city->id, "zemst");
    const struct mp_city *halle = mp_region_member(r, "halle");
    assert_non_null(halle);
    assert_string_equal(halle->name, "Halle");
    assert_string_equal(halle->name_local, "Hal");
    /* From the region: crs, time zone, calendar, categories. */
    assert_string_equal(halle->timezone, "Europe/Brussels");
    assert_int_equal(halle->ndistricts, 1);
    assert_string_equal(halle->districts[0].code, "23027");
    assert_int_equal(halle->ncategories, 10);
    assert_string_equal(halle->categories[0].code, "wegdek");
    assert_string_equal(halle->categories[0].name_nl, "Put of verzakking in de weg");
    /* Halle's own rule for sluikstort, the region's elsewhere. */
    assert_near(mp_city_category(halle, "sluikstort")->radius_m, 30, 0);
    assert_int_equal(mp_city_category(halle, "sluikstort")->service_days, 3);
    const struct mp_city *asse = mp_region_member(r, "asse");
    assert_near(mp_city_category(asse, "sluikstort")->radius_m, 40, 0);
    assert_int_equal(mp_city_category(asse, "sluikstort")->service_days, 5);
    /* Vilvoorde leaves speeding to the police zone. */
    const struct mp_city *vilvoorde = mp_region_member(r, "vilvoorde");
    assert_null(mp_city_category(vilvoorde, "te_snel_verkeer"));
    assert_int_equal(vilvoorde->ncategories, 9);
    /* Belgian holidays, Easter-based ones computed: Easter 2025 is 20 April. */
    assert_false(mp_city_is_workday(asse, day("2025-04-21"))); /* Paasmaandag */
    assert_false(mp_city_is_workday(asse, day("2025-05-29"))); /* O.L.H. Hemelvaart */
    assert_false(mp_city_is_workday(asse, day("2025-06-09"))); /* Pinkstermaandag */
    assert_false(mp_city_is_workday(asse, day("2026-04-06"))); /* Paasmaandag 2026 */
    assert_false(mp_city_is_workday(asse, day("2025-07-21")));
    assert_true(mp_city_is_workday(asse, day("2025-04-22")));
    /* A member's own days add to the region's. */
    assert_true(mp_city_is_workday(asse, day("2026-11-02")));
    assert_false(mp_city_is_workday(halle, day("2026-11-02")));
    assert_false(mp_city_is_workday(halle, day("2026-04-06")));
    assert_ptr_equal(mp_region_member_of_district(r, "23088"), vilvoorde);
    assert_null(mp_region_member(r, "brussel"));
    assert_null(mp_region_member_of_district(r, "21004"));
    mp_region_free(r);
}

static void test_chicago_is_a_region_of_one(void **state)
{
    (void)state;
    struct mp_region *r = load(fx_chicago_dir());
    struct mp_route rt;
    struct mp_error err = {{0}, {0}};
    assert_true(r->of_one);
    assert_int_equal(r->nmembers, 1);
    assert_ptr_equal(r->members[0].city, r->whole);
    route(r, 41.8781, -87.6298, 50, &rt);
    assert_ptr_equal(rt.member, r->whole);
    assert_true(rt.inside);
    assert_int_equal(rt.nnear, 0);
    route(r, 41.88, -87.55, 50, &rt); /* Lake Michigan */
    assert_null(rt.member);
    assert_int_equal(mp_region_refusal(r, &rt, -87.55, 41.88, &err), MP_EINVAL);
    assert_string_equal(err.code, "out_of_area");
    assert_string_equal(err.text, "the point 41.88000,-87.55000 is outside the service area of "
                                  "Chicago");
    mp_region_free(r);
}

/* Points 10 and 30 m either side of the middle of a real shared border
 * (the longest edge Halle and Beersel, Vilvoorde and Machelen share in
 * districts.geojson, offset along its normal). */
static void test_route_border(void **state)
{
    (void)state;
    struct mp_region *r = load(region_dir);
    struct mp_route rt;
    route(r, 50.733304, 4.282102, 40, &rt); /* Halle, 10 m from Beersel */
    assert_string_equal(rt.member->id, "halle");
    assert_true(rt.inside);
    assert_int_equal(rt.nnear, 1);
    assert_string_equal(rt.near[0].city->id, "beersel");
    assert_near(rt.near[0].distance_m, 10, 1.5);
    route(r, 50.733313, 4.282385, 40, &rt); /* Beersel, 10 m from Halle */
    assert_string_equal(rt.member->id, "beersel");
    assert_string_equal(rt.near[0].city->id, "halle");
    assert_near(rt.near[0].distance_m, 10, 1.5);
    route(r, 50.920776, 4.454104, 20, &rt); /* Machelen, 30 m from Vilvoorde */
    assert_string_equal(rt.member->id, "machelen");
    assert_int_equal(rt.nnear, 1); /* within neighbour_m (50) though beyond reach 20 */
    assert_near(rt.near[0].distance_m, 30, 1.5);
    route(r, 50.921314, 4.454104, 10, &rt);
    assert_string_equal(rt.member->id, "vilvoorde");
    /* Halle's town centre: no neighbour within 50 m. */
    route(r, 50.7345, 4.2370, 50, &rt);
    assert_string_equal(rt.member->id, "halle");
    assert_int_equal(rt.nnear, 0);
    mp_region_free(r);
}

static void test_route_outside(void **state)
{
    (void)state;
    struct mp_region *r = load(region_dir);
    struct mp_route rt;
    struct mp_error err = {{0}, {0}};
    /* Brussels, Grote Markt: a bay in the region, no member. */
    route(r, 50.8467, 4.3525, 40, &rt);
    assert_null(rt.member);
    assert_int_equal(rt.nnear, 3);
    assert_true(rt.near[0].distance_m <= rt.near[1].distance_m);
    assert_true(rt.near[1].distance_m <= rt.near[2].distance_m);
    assert_true(rt.near[0].distance_m > 3000);
    assert_int_equal(mp_region_refusal(r, &rt, 4.3525, 50.8467, &err), MP_EINVAL);
    assert_string_equal(err.code, "out_of_area");
    char want[2048];
    int n = snprintf(want, sizeof want,
             "the point 50.84670,4.35250 is outside every municipality of Halle-Vilvoorde; "
             "nearest: %s %.1f km, %s %.1f km, %s %.1f km",
             rt.near[0].city->name, rt.near[0].distance_m / 1000, rt.near[1].city->name,
             rt.near[1].distance_m / 1000, rt.near[2].city->name, rt.near[2].distance_m / 1000);
    assert_true(n > 0 && (size_t)n < sizeof want);
    assert_string_equal(err.text, want);
    /* Just outside the region's outer edge (the middle of Halle's longest
     * edge on the outline, 20 m out; margin 40 m): Halle takes it; 100 m
     * out, nobody, Halle named first. */
    route(r, 50.714623, 4.157572, 40, &rt);
    assert_non_null(rt.member);
    assert_string_equal(rt.member->id, "halle");
    assert_false(rt.inside);
    route(r, 50.714131, 4.156744, 40, &rt);
    assert_null(rt.member);
    assert_string_equal(rt.near[0].city->id, "halle");
    assert_near(rt.near[0].distance_m, 100, 2);
    mp_region_free(r);
}

/* A member's categories.json that omits a code the region lacks is refused
 * with the member and the code named; one that is not "extends" replaces. */
static void test_member_errors(void **state)
{
    (void)state;
    char tmp[300], members[400], m[500];
    snprintf(tmp, sizeof tmp, "%s/mp-region-XXXXXX", fx_tmpdir());
    assert_non_null(mkdtemp(tmp));
    static const char *const files[] = {"region.json", "city.json", "categories.json",
                                        "districts.geojson", "service_area.geojson"};
    char from[700], to[700];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(from, sizeof from, "%s/%s", region_dir, files[i]);
        snprintf(to, sizeof to, "%s/%s", tmp, files[i]);
        assert_int_equal(fx_copy_file(from, to), 0);
    }
    snprintf(members, sizeof members, "%s/members", tmp);
    snprintf(m, sizeof m, "%s/halle", members);
    assert_int_equal(mkdir(members, 0700), 0);
    assert_int_equal(mkdir(m, 0700), 0);
    static const char *const own[] = {"districts.geojson", "service_area.geojson"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s/members/halle/%s", region_dir, own[i]);
        snprintf(to, sizeof to, "%s/%s", m, own[i]);
        assert_int_equal(fx_copy_file(from, to), 0);
    }
    /* A new member is a few lines. */
    fx_write_file(m, "city.json", "{\"id\": \"halle\", \"name\": \"Halle\"}\n");
    struct mp_region *r = load(tmp);
    assert_int_equal(r->nmembers, 1);
    assert_int_equal(r->members[0].city->ncategories, 10);
    mp_region_free(r);

    struct mp_error err = {{0}, {0}};
    fx_write_file(m, "categories.json", "{\"extends\": \"region\", \"omit\": [\"potholes\"]}\n");
    assert_int_equal(mp_region_load(tmp, &r, &err), MP_EINVAL);
    assert_null(r);
    assert_string_equal(err.text, "member halle: categories.json: omit names potholes, which "
                                  "the region lacks");
    fx_write_file(m, "city.json", "{\"id\": \"hal\", \"name\": \"Halle\"}\n");
    fx_write_file(m, "categories.json", "{\"extends\": \"region\"}\n");
    assert_int_equal(mp_region_load(tmp, &r, &err), MP_EINVAL);
    assert_string_equal(err.text, "member halle: its id must be its folder name, its crs and "
                                  "timezone the region's");
    fx_write_file(m, "city.json", "{\"id\": \"halle\", \"name\": \"Halle\"}\n");
    fx_write_file(tmp, "region.json", "{\"neighbour_m\": -1}\n");
    assert_int_equal(mp_region_load(tmp, &r, &err), MP_EINVAL);
    assert_string_equal(err.text, "region.json: neighbour_m 0-5000, nearest 1-4");
    /* Not extending: the member's list replaces the region's. */
    fx_write_file(tmp, "region.json", "{}\n");
    fx_write_file(m, "categories.json",
               "{\"categories\": [{\"code\": \"eigen\", \"name\": {\"en\": \"Own\"}}]}\n");
    r = load(tmp);
    assert_int_equal(r->members[0].city->ncategories, 1);
    assert_string_equal(r->members[0].city->categories[0].code, "eigen");
    mp_region_free(r);
    fx_rm_dir(m);
    fx_rm_dir(members);
    fx_rm_dir(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_inherit),
        cmocka_unit_test(test_chicago_is_a_region_of_one),
        cmocka_unit_test(test_route_border),
        cmocka_unit_test(test_route_outside),
        cmocka_unit_test(test_member_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
