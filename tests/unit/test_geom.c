/* test_geom.c - polygons from GeoJSON, point in (multi)polygon with holes,
 * bounding boxes and the bbox query parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "meldpunt/geom.h"

/* A 10x10 square with a 2x2 hole in the middle, plus a second square far
 * away, plus an island inside the hole. */
static const char *const MULTI =
    "{\"type\":\"MultiPolygon\",\"coordinates\":["
    " [[[0,0],[10,0],[10,10],[0,10],[0,0]],"
    "  [[4,4],[4,6],[6,6],[6,4],[4,4]]],"
    " [[[20,20],[30,20],[30,30],[20,30],[20,20]]],"
    " [[[4.5,4.5],[5.5,4.5],[5.5,5.5],[4.5,5.5],[4.5,4.5]]]"
    "]}";

static const char *const POLY_WITH_HOLE =
    "{\"type\":\"Polygon\",\"coordinates\":["
    " [[0,0],[10,0],[10,10],[0,10],[0,0]],"
    " [[4,4],[4,6],[6,6],[6,4],[4,4]]"
    "]}";

static enum mp_status build(const char *text, struct mp_multipolygon *mp, struct mp_error *err)
{
    json_error_t je;
    json_t *g = json_loads(text, 0, &je);
    if (!g)
        fail_msg("test geometry is not JSON: %s", je.text);
    enum mp_status rc = mp_multipolygon_from_geojson(g, mp, err);
    json_decref(g);
    return rc;
}

static void expect_bad_geometry(const char *text)
{
    struct mp_multipolygon mp;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = build(text, &mp, &err);
    if (rc != MP_EINVAL) {
        print_error("accepted: %s\n", text);
        mp_multipolygon_free(&mp);
    }
    assert_int_equal(rc, MP_EINVAL);
    assert_string_equal(err.code, "invalid_geometry");
    assert_true(strlen(err.text) > 0);
    /* Nothing is left allocated and freeing again is harmless. */
    assert_null(mp.polys);
    assert_int_equal(mp.npolys, 0);
    mp_multipolygon_free(&mp);
}

static void test_polygon_with_hole(void **state)
{
    (void)state;
    struct mp_multipolygon mp;
    struct mp_error err;
    assert_int_equal(build(POLY_WITH_HOLE, &mp, &err), MP_OK);
    assert_int_equal(mp.npolys, 1);
    assert_int_equal(mp.polys[0].nrings, 2);
    assert_int_equal(mp.polys[0].rings[0].n, 5);
    assert_true(mp_multipolygon_contains(&mp, 1, 1));
    assert_true(mp_multipolygon_contains(&mp, 9.9, 0.1));
    assert_true(mp_multipolygon_contains(&mp, 3.9, 5));  /* just left of the hole */
    assert_false(mp_multipolygon_contains(&mp, 5, 5));   /* in the hole */
    assert_false(mp_multipolygon_contains(&mp, 4.1, 5.9));
    assert_false(mp_multipolygon_contains(&mp, 11, 5));  /* outside */
    assert_false(mp_multipolygon_contains(&mp, -0.1, 5));
    assert_false(mp_multipolygon_contains(&mp, 5, 10.1));
    /* Only the outer ring makes the bbox. */
    assert_near(mp.bbox.min_lon, 0, 0);
    assert_near(mp.bbox.min_lat, 0, 0);
    assert_near(mp.bbox.max_lon, 10, 0);
    assert_near(mp.bbox.max_lat, 10, 0);
    mp_multipolygon_free(&mp);
    assert_null(mp.polys);
    mp_multipolygon_free(&mp);
}

static void test_multipolygon(void **state)
{
    (void)state;
    struct mp_multipolygon mp;
    struct mp_error err;
    assert_int_equal(build(MULTI, &mp, &err), MP_OK);
    assert_int_equal(mp.npolys, 3);
    assert_true(mp_multipolygon_contains(&mp, 1, 1));
    assert_true(mp_multipolygon_contains(&mp, 25, 25));   /* second part */
    assert_true(mp_multipolygon_contains(&mp, 5, 5));     /* the island in the hole */
    assert_false(mp_multipolygon_contains(&mp, 4.2, 4.2)); /* hole, off the island */
    assert_false(mp_multipolygon_contains(&mp, 15, 15));  /* between the parts, inside the bbox */
    assert_false(mp_multipolygon_contains(&mp, 31, 25));
    assert_near(mp.bbox.min_lon, 0, 0);
    assert_near(mp.bbox.max_lon, 30, 0);
    assert_near(mp.bbox.max_lat, 30, 0);
    assert_near(mp.polys[1].bbox.min_lon, 20, 0);
    mp_multipolygon_free(&mp);
}

static void test_concave_polygon(void **state)
{
    (void)state;
    /* A "U": the notch between the arms is outside. */
    struct mp_multipolygon mp;
    struct mp_error err;
    assert_int_equal(build("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[3,0],[3,3],[2,3],"
                           "[2,1],[1,1],[1,3],[0,3],[0,0]]]}",
                           &mp, &err),
                     MP_OK);
    assert_true(mp_multipolygon_contains(&mp, 0.5, 2.5));
    assert_true(mp_multipolygon_contains(&mp, 2.5, 2.5));
    assert_true(mp_multipolygon_contains(&mp, 1.5, 0.5));
    assert_false(mp_multipolygon_contains(&mp, 1.5, 2));
    mp_multipolygon_free(&mp);
}

static void test_real_coordinates(void **state)
{
    (void)state;
    /* Clockwise or counter-clockwise does not matter; negative lons do. */
    struct mp_multipolygon mp;
    struct mp_error err;
    assert_int_equal(build("{\"type\":\"Polygon\",\"coordinates\":[[[-87.64,41.87],"
                           "[-87.64,41.89],[-87.62,41.89],[-87.62,41.87],[-87.64,41.87]]]}",
                           &mp, &err),
                     MP_OK);
    assert_true(mp_multipolygon_contains(&mp, -87.6298, 41.8781));
    assert_false(mp_multipolygon_contains(&mp, 41.8781, -87.6298)); /* swapped */
    assert_false(mp_multipolygon_contains(&mp, -87.6198, 41.8781));
    mp_multipolygon_free(&mp);
}

static void test_bad_geometries(void **state)
{
    (void)state;
    expect_bad_geometry("{\"type\":\"Point\",\"coordinates\":[1,2]}");
    expect_bad_geometry("{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}");
    expect_bad_geometry("{\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}");
    expect_bad_geometry("{\"type\":\"Polygon\"}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":{}}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[]}");
    expect_bad_geometry("{\"type\":\"MultiPolygon\",\"coordinates\":[]}");
    expect_bad_geometry("{\"type\":\"MultiPolygon\",\"coordinates\":[[]]}");
    /* A ring needs four points (closed triangle). */
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[0,0]]]}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[\"ring\"]}");
    /* Coordinates out of WGS84 range. */
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[200,0],[1,1],[0,0]]]}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,95],[1,1],[0,0]]]}");
    /* A point with one number. */
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1],[1,1],[0,0]]]}");
    /* A bad hole after a good outer ring: the outer ring is freed too. */
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[9,0],[9,9],[0,0]],"
                        "[[1,1],[2,1],[1,1]]]}");
    /* A bad second part of a MultiPolygon. */
    expect_bad_geometry("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[9,0],[9,9],[0,0]]],"
                        "[[[1,1],[2,1],[1,1]]]]}");
}

static void test_non_numeric_coordinates(void **state)
{
    (void)state;
    /* Strings, nulls or objects are not coordinates; they must not be read
     * as 0,0 (a point in the Gulf of Guinea). */
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[\"a\",\"b\"],[1,1],"
                        "[0,0]]]}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[null,1],[1,1],[0,0]]]}");
    expect_bad_geometry("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,{}],[1,1],[0,0]]]}");
}

static void test_bbox_contains(void **state)
{
    (void)state;
    struct mp_bbox b = {-88, 41, -87, 42};
    assert_true(mp_bbox_contains(&b, -87.5, 41.5));
    assert_true(mp_bbox_contains(&b, -88, 41)); /* edges are inside */
    assert_true(mp_bbox_contains(&b, -87, 42));
    assert_false(mp_bbox_contains(&b, -86.9999999, 41.5));
    assert_false(mp_bbox_contains(&b, -87.5, 40.9999999));
    assert_false(mp_bbox_contains(&b, NAN, 41.5));
}

static void expect_bbox(const char *s, double a, double b, double c, double d)
{
    struct mp_bbox out;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_bbox_parse(s, &out, &err);
    if (rc != MP_OK)
        print_error("bbox \"%s\": %s\n", s, err.text);
    assert_int_equal(rc, MP_OK);
    assert_near(out.min_lon, a, 0);
    assert_near(out.min_lat, b, 0);
    assert_near(out.max_lon, c, 0);
    assert_near(out.max_lat, d, 0);
}

static void expect_bad_bbox(const char *s)
{
    struct mp_bbox out = {1, 2, 3, 4};
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_bbox_parse(s, &out, &err);
    if (rc != MP_EINVAL)
        print_error("bbox \"%s\" accepted\n", s ? s : "(null)");
    assert_int_equal(rc, MP_EINVAL);
    assert_string_equal(err.code, "invalid_bbox");
    assert_true(strlen(err.text) > 0);
    assert_near(out.min_lon, 1, 0); /* untouched */
    assert_near(out.max_lat, 4, 0);
}

static void test_bbox_parse_good(void **state)
{
    (void)state;
    expect_bbox("-87.7,41.8,-87.6,41.9", -87.7, 41.8, -87.6, 41.9);
    expect_bbox("-180,-90,180,90", -180, -90, 180, 90);
    expect_bbox("0,0,1,1", 0, 0, 1, 1);
    expect_bbox("-87.70000001,41.8,-87.7,41.80000001", -87.70000001, 41.8, -87.7, 41.80000001);
    expect_bbox("1e-3,2,3,4", 0.001, 2, 3, 4);
}

static void test_bbox_parse_bad(void **state)
{
    (void)state;
    expect_bad_bbox(NULL);
    expect_bad_bbox("");
    expect_bad_bbox("1,2,3");
    expect_bad_bbox("1,2,3,4,5");
    expect_bad_bbox("1,2,3,4,");
    expect_bad_bbox("a,b,c,d");
    expect_bad_bbox("1,2,3,x");
    expect_bad_bbox("1,,3,4");
    expect_bad_bbox(",1,2,3,4");
    expect_bad_bbox("1;2;3;4");
    expect_bad_bbox("1 2 3 4");
    expect_bad_bbox("1,2,3,4 ");
    expect_bad_bbox("1,2,3,4junk");
    expect_bad_bbox("nan,0,1,1");
    expect_bad_bbox("0,0,NaN,1");
    expect_bad_bbox("-inf,0,1,1");
    expect_bad_bbox("0,0,inf,1");
    expect_bad_bbox("0,0,infinity,1");
    expect_bad_bbox("1e999,0,1,1");
    /* ranges */
    expect_bad_bbox("-181,0,1,1");
    expect_bad_bbox("0,0,180.5,1");
    expect_bad_bbox("0,-91,1,1");
    expect_bad_bbox("0,0,1,90.0001");
    /* min < max, strictly */
    expect_bad_bbox("1,0,0,1");
    expect_bad_bbox("0,1,1,0");
    expect_bad_bbox("1,1,1,2");
    expect_bad_bbox("1,1,2,1");
    /* lat, lon swapped for Chicago: min > max on both axes */
    expect_bad_bbox("41.9,-87.6,41.8,-87.7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polygon_with_hole),
        cmocka_unit_test(test_multipolygon),
        cmocka_unit_test(test_concave_polygon),
        cmocka_unit_test(test_real_coordinates),
        cmocka_unit_test(test_bad_geometries),
        cmocka_unit_test(test_non_numeric_coordinates),
        cmocka_unit_test(test_bbox_contains),
        cmocka_unit_test(test_bbox_parse_good),
        cmocka_unit_test(test_bbox_parse_bad),
    };
    return cmocka_run_group_tests_name("geom", tests, NULL, NULL);
}
