/* test_geo.c - WGS84 <-> metric CRS through PROJ: reference values, round
 * trips at the millimetre, metric distances against haversine, units other
 * than metres, and rejection of bad CRSs and coordinates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/geo.h"

/* The Loop (State and Madison) and Wrigley Field. */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781
#define WRIG_LON (-87.6553)
#define WRIG_LAT 41.9484

static struct mp_geo *geo_open(const char *crs)
{
    struct mp_geo *g = NULL;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_geo_new(crs, &g, &err);
    if (rc != MP_OK)
        print_error("mp_geo_new(%s): %s\n", crs, err.text);
    assert_int_equal(rc, MP_OK);
    assert_non_null(g);
    return g;
}

/* One transformer for the tests that only read through it (creating one
 * opens PROJ's database: slow under ASan). */
static struct mp_geo *g_utm;

static int group_setup(void **state)
{
    (void)state;
    struct mp_error err = {{0}, {0}};
    if (mp_geo_new("EPSG:26916", &g_utm, &err) != MP_OK) {
        fprintf(stderr, "EPSG:26916: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    mp_geo_free(g_utm);
    return 0;
}

static int setup(void **state)
{
    *state = g_utm;
    return 0;
}

static void test_forward_reference(void **state)
{
    struct mp_geo *g = *state;
    double x = 0, y = 0;
    /* Reference: an independent Krüger-series UTM 16N on GRS80 gives
     * 447741.91672, 4636433.68382 (and cs2cs agrees). */
    assert_int_equal(mp_geo_forward(g, LOOP_LON, LOOP_LAT, &x, &y), MP_OK);
    assert_near(x, 447741.91672, 0.001);
    assert_near(y, 4636433.68382, 0.001);
    assert_int_equal(mp_geo_forward(g, WRIG_LON, WRIG_LAT, &x, &y), MP_OK);
    assert_near(x, 445685.6622, 0.001);
    assert_near(y, 4644254.7907, 0.001);
    /* On the central meridian, x is the false easting exactly. */
    assert_int_equal(mp_geo_forward(g, -87.0, 41.0, &x, &y), MP_OK);
    assert_near(x, 500000.0, 0.001);
}

static void test_round_trip_1mm(void **state)
{
    struct mp_geo *g = *state;
    /* A grid over the city: forward then inverse lands within 1 mm. */
    for (double lat = 41.64; lat <= 42.03; lat += 0.013) {
        for (double lon = -87.95; lon <= -87.52; lon += 0.017) {
            double x, y, lon2, lat2;
            assert_int_equal(mp_geo_forward(g, lon, lat, &x, &y), MP_OK);
            assert_int_equal(mp_geo_inverse(g, x, y, &lon2, &lat2), MP_OK);
            double d = mp_geo_haversine(lon, lat, lon2, lat2);
            if (d > 0.001)
                fail_msg("%.7f,%.7f came back %.9f,%.9f (%.4f m)", lon, lat, lon2, lat2, d);
        }
    }
    /* And inverse then forward. */
    double lon, lat, x2, y2;
    assert_int_equal(mp_geo_inverse(g, 447000.0, 4640000.0, &lon, &lat), MP_OK);
    assert_true(lon < -87.6 && lon > -87.7); /* lon, lat order, not lat, lon */
    assert_true(lat > 41.8 && lat < 42.0);
    assert_int_equal(mp_geo_forward(g, lon, lat, &x2, &y2), MP_OK);
    assert_near(mp_geo_dist(447000.0, 4640000.0, x2, y2), 0.0, 0.001);
}

static void test_distance_vs_haversine(void **state)
{
    struct mp_geo *g = *state;
    double x1, y1, x2, y2;
    assert_int_equal(mp_geo_forward(g, LOOP_LON, LOOP_LAT, &x1, &y1), MP_OK);
    assert_int_equal(mp_geo_forward(g, WRIG_LON, WRIG_LAT, &x2, &y2), MP_OK);
    double metric = mp_geo_dist(x1, y1, x2, y2);
    double hav = mp_geo_haversine(LOOP_LON, LOOP_LAT, WRIG_LON, WRIG_LAT);
    assert_true(hav > 7900 && hav < 8200);
    assert_near(metric / hav, 1.0, 0.005);
    /* A short distance across the city, east-west. */
    assert_int_equal(mp_geo_forward(g, -87.70, 41.80, &x1, &y1), MP_OK);
    assert_int_equal(mp_geo_forward(g, -87.69, 41.80, &x2, &y2), MP_OK);
    assert_near(mp_geo_dist(x1, y1, x2, y2) / mp_geo_haversine(-87.70, 41.80, -87.69, 41.80),
                1.0, 0.005);
}

static void test_offset_50m_north(void **state)
{
    struct mp_geo *g = *state;
    double x, y, lon, lat;
    assert_int_equal(mp_geo_forward(g, LOOP_LON, LOOP_LAT, &x, &y), MP_OK);
    assert_int_equal(mp_geo_inverse(g, x, y + 50.0, &lon, &lat), MP_OK);
    assert_near(mp_geo_haversine(LOOP_LON, LOOP_LAT, lon, lat), 50.0, 0.5);
    assert_true(lat > LOOP_LAT); /* north is +y */
    /* 50 m east likewise, and east is +x. */
    assert_int_equal(mp_geo_inverse(g, x + 50.0, y, &lon, &lat), MP_OK);
    assert_near(mp_geo_haversine(LOOP_LON, LOOP_LAT, lon, lat), 50.0, 0.5);
    assert_true(lon > LOOP_LON);
}

static void test_us_survey_feet_in_metres(void **state)
{
    (void)state;
    /* NAD83 / Illinois East is in US survey feet; the module hands back
     * metres: cs2cs gives 1175844.3966, 1898954.8763 ftUS for the Loop. */
    struct mp_geo *ft = geo_open("EPSG:3435");
    double x, y, x2, y2;
    assert_int_equal(mp_geo_forward(ft, LOOP_LON, LOOP_LAT, &x, &y), MP_OK);
    assert_near(x, 1175844.3966 * 1200.0 / 3937.0, 0.002);
    assert_near(y, 1898954.8763 * 1200.0 / 3937.0, 0.002);
    assert_int_equal(mp_geo_forward(ft, WRIG_LON, WRIG_LAT, &x2, &y2), MP_OK);
    double d_ft = mp_geo_dist(x, y, x2, y2);
    double hav = mp_geo_haversine(LOOP_LON, LOOP_LAT, WRIG_LON, WRIG_LAT);
    assert_near(d_ft / hav, 1.0, 0.005);
    /* Inverse takes metres back. */
    double lon, lat;
    assert_int_equal(mp_geo_inverse(ft, x, y, &lon, &lat), MP_OK);
    assert_near(mp_geo_haversine(LOOP_LON, LOOP_LAT, lon, lat), 0.0, 0.001);
    mp_geo_free(ft);
}

static void test_invalid_crs(void **state)
{
    (void)state;
    const char *bad[] = {"EPSG:4326", /* geographic, degrees */
                         "EPSG:4978", /* geocentric */
                         "EPSG:999999", "EPSG:abc", "+proj=nonsense +type=crs", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mp_geo *g = (struct mp_geo *)(uintptr_t)1;
        struct mp_error err = {{0}, {0}};
        enum mp_status rc = mp_geo_new(bad[i], &g, &err);
        if (rc != MP_EINVAL)
            print_error("CRS \"%s\" accepted\n", bad[i]);
        assert_int_equal(rc, MP_EINVAL);
        assert_null(g);
        assert_string_equal(err.code, "invalid_crs");
        assert_true(strlen(err.text) > 0);
    }
    mp_geo_free(NULL);
}

static void test_invalid_lonlat(void **state)
{
    struct mp_geo *g = *state;
    double x = 7, y = 7;
    assert_int_equal(mp_geo_forward(g, NAN, LOOP_LAT, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, LOOP_LON, NAN, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, INFINITY, LOOP_LAT, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, LOOP_LON, 90.0001, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, LOOP_LON, -91, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, -180.0001, LOOP_LAT, &x, &y), MP_EINVAL);
    assert_int_equal(mp_geo_forward(g, 181, LOOP_LAT, &x, &y), MP_EINVAL);
    assert_near(x, 7, 0); /* outputs untouched */
    assert_near(y, 7, 0);
    double lon = 7, lat = 7;
    assert_int_equal(mp_geo_inverse(g, NAN, 4636433.0, &lon, &lat), MP_EINVAL);
    assert_int_equal(mp_geo_inverse(g, 447741.0, INFINITY, &lon, &lat), MP_EINVAL);
    assert_near(lon, 7, 0);
    assert_near(lat, 7, 0);
}

static void test_valid_lonlat_edges(void **state)
{
    (void)state;
    assert_true(mp_geo_valid_lonlat(180, 90));
    assert_true(mp_geo_valid_lonlat(-180, -90));
    assert_true(mp_geo_valid_lonlat(0, 0));
    assert_false(mp_geo_valid_lonlat(180.0000001, 0));
    assert_false(mp_geo_valid_lonlat(0, -90.0000001));
    assert_false(mp_geo_valid_lonlat(NAN, 0));
    assert_false(mp_geo_valid_lonlat(0, -INFINITY));
    assert_false(mp_geo_valid_lonlat(-200, 41));
}

static void test_dist_and_haversine(void **state)
{
    (void)state;
    assert_near(mp_geo_dist(0, 0, 3, 4), 5.0, 0);
    assert_near(mp_geo_dist(1000, 2000, 1015, 2020), 25.0, 0);
    assert_near(mp_geo_dist(5, 5, 5, 5), 0.0, 0);
    /* One degree of latitude on the mean sphere (R = 6371008.8 m). */
    assert_near(mp_geo_haversine(0, 0, 0, 1), 111195.08, 0.01);
    assert_near(mp_geo_haversine(10, 20, 10, 20), 0.0, 0);
    /* Antipodes: half the circumference, no NaN from rounding. */
    assert_near(mp_geo_haversine(0, 0, 180, 0), M_PI * 6371008.8, 0.01);
}

/* Output CRSs keep the CRS's own axis order: EPSG:4326 is latitude first,
 * projected CRSs easting first; the city's CRS gives what the metric
 * transformer gives. */
static void test_output_crs_axis_order(void **state)
{
    struct mp_geo *g = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_geo_crs *c4326 = NULL, *c3857 = NULL, *utm = NULL, *again = NULL, *c84 = NULL;
    double a, b, x, y;
    assert_int_equal(mp_geo_crs_get(g, "EPSG:4326", &c4326, &err), MP_OK);
    assert_true(mp_geo_crs_is_geographic(c4326));
    assert_int_equal(mp_geo_crs_from_lonlat(c4326, LOOP_LON, LOOP_LAT, &a, &b), MP_OK);
    assert_near(a, LOOP_LAT, 1e-9);
    assert_near(b, LOOP_LON, 1e-9);
    assert_int_equal(mp_geo_crs_get(g, "OGC:CRS84", &c84, &err), MP_OK);
    assert_int_equal(mp_geo_crs_from_lonlat(c84, LOOP_LON, LOOP_LAT, &a, &b), MP_OK);
    assert_near(a, LOOP_LON, 1e-9);
    assert_near(b, LOOP_LAT, 1e-9);
    /* Web Mercator: x = R * lon in radians, R = 6378137. */
    assert_int_equal(mp_geo_crs_get(g, "EPSG:3857", &c3857, &err), MP_OK);
    assert_false(mp_geo_crs_is_geographic(c3857));
    assert_int_equal(mp_geo_crs_from_lonlat(c3857, LOOP_LON, LOOP_LAT, &a, &b), MP_OK);
    assert_near(a, 6378137.0 * LOOP_LON * M_PI / 180.0, 0.001);
    assert_near(b, 6378137.0 * log(tan(M_PI / 4 + LOOP_LAT * M_PI / 360.0)), 0.001);
    assert_int_equal(mp_geo_crs_get(g, "EPSG:26916", &utm, &err), MP_OK);
    assert_int_equal(mp_geo_crs_from_lonlat(utm, LOOP_LON, LOOP_LAT, &a, &b), MP_OK);
    assert_int_equal(mp_geo_forward(g, LOOP_LON, LOOP_LAT, &x, &y), MP_OK);
    assert_near(a, x, 0.001);
    assert_near(b, y, 0.001);
    double lon, lat;
    assert_int_equal(mp_geo_crs_to_lonlat(utm, a, b, &lon, &lat), MP_OK);
    assert_near(lon, LOOP_LON, 1e-8);
    assert_near(lat, LOOP_LAT, 1e-8);
    /* Made once, then kept. */
    assert_int_equal(mp_geo_crs_get(g, "EPSG:4326", &again, &err), MP_OK);
    assert_ptr_equal(again, c4326);
}

/* A box given in a CRS becomes the lon/lat envelope that covers it: for
 * EPSG:4326 the same box with its axes swapped; for a projected box
 * slightly more than its corners, never less. */
static void test_output_crs_box(void **state)
{
    struct mp_geo *g = *state;
    struct mp_error err = {{0}, {0}};
    struct mp_geo_crs *c4326 = NULL, *utm = NULL;
    double bb[4];
    const double latlon[4] = {41.80, -87.70, 41.95, -87.60};
    assert_int_equal(mp_geo_crs_get(g, "EPSG:4326", &c4326, &err), MP_OK);
    assert_int_equal(mp_geo_crs_box_to_lonlat(c4326, latlon, bb), MP_OK);
    assert_near(bb[0], -87.70, 1e-9);
    assert_near(bb[1], 41.80, 1e-9);
    assert_near(bb[2], -87.60, 1e-9);
    assert_near(bb[3], 41.95, 1e-9);
    double x1, y1, x2, y2;
    assert_int_equal(mp_geo_forward(g, LOOP_LON, LOOP_LAT, &x1, &y1), MP_OK);
    assert_int_equal(mp_geo_forward(g, WRIG_LON, WRIG_LAT, &x2, &y2), MP_OK);
    const double box[4] = {fmin(x1, x2), fmin(y1, y2), fmax(x1, x2), fmax(y1, y2)};
    assert_int_equal(mp_geo_crs_get(g, "EPSG:26916", &utm, &err), MP_OK);
    assert_int_equal(mp_geo_crs_box_to_lonlat(utm, box, bb), MP_OK);
    double corners[4][2] = {{box[0], box[1]}, {box[0], box[3]}, {box[2], box[1]}, {box[2], box[3]}};
    for (int i = 0; i < 4; i++) {
        double lon, lat;
        assert_int_equal(mp_geo_inverse(g, corners[i][0], corners[i][1], &lon, &lat), MP_OK);
        assert_true(lon >= bb[0] - 1e-9 && lon <= bb[2] + 1e-9);
        assert_true(lat >= bb[1] - 1e-9 && lat <= bb[3] + 1e-9);
    }
    const double bad[4] = {NAN, 0, 1, 1};
    assert_int_equal(mp_geo_crs_box_to_lonlat(utm, bad, bb), MP_EINVAL);
}

static void test_output_crs_unknown(void **state)
{
    (void)state;
    struct mp_geo *g = geo_open("EPSG:26916");
    struct mp_error err = {{0}, {0}};
    struct mp_geo_crs *c = NULL;
    assert_int_equal(mp_geo_crs_get(g, "EPSG:999999", &c, &err), MP_EINVAL);
    assert_null(c);
    assert_string_equal(err.code, "invalid_crs");
    assert_int_equal(mp_geo_crs_get(g, "EPSG:4978", &c, &err), MP_EINVAL); /* geocentric */
    /* At most MP_GEO_MAX_CRS are kept; the next one is refused, not leaked. */
    static const char *const many[] = {"EPSG:4326", "EPSG:3857", "EPSG:26916", "EPSG:28992",
                                       "EPSG:31370", "EPSG:3435", "EPSG:2154", "EPSG:25832",
                                       "EPSG:32631"};
    for (size_t i = 0; i < MP_GEO_MAX_CRS; i++)
        assert_int_equal(mp_geo_crs_get(g, many[i], &c, &err), MP_OK);
    assert_int_equal(mp_geo_crs_get(g, many[MP_GEO_MAX_CRS], &c, &err), MP_EINVAL);
    assert_int_equal(mp_geo_crs_get(g, "EPSG:4326", &c, &err), MP_OK);
    mp_geo_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_forward_reference, setup),
        cmocka_unit_test_setup(test_round_trip_1mm, setup),
        cmocka_unit_test_setup(test_distance_vs_haversine, setup),
        cmocka_unit_test_setup(test_offset_50m_north, setup),
        cmocka_unit_test(test_us_survey_feet_in_metres),
        cmocka_unit_test(test_invalid_crs),
        cmocka_unit_test_setup(test_invalid_lonlat, setup),
        cmocka_unit_test(test_valid_lonlat_edges),
        cmocka_unit_test(test_dist_and_haversine),
        cmocka_unit_test_setup(test_output_crs_axis_order, setup),
        cmocka_unit_test_setup(test_output_crs_box, setup),
        cmocka_unit_test(test_output_crs_unknown),
    };
    return cmocka_run_group_tests_name("geo", tests, group_setup, group_teardown);
}
