/* Unit tests of the street layer: snapping, addresses, locations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "meldpunt/geo.h"
#include "meldpunt/streets.h"

struct fx {
    struct mp_geo *geo;
    struct mp_streets *streets;
    char dir[64];
};

/* A tiny layer: a grid crossing in the Loop, written to a temp file. */
static const char layer[] =
    "street\tfrom_cross\tto_cross\tcoords\n"
    "W MADISON ST\tN ABERDEEN ST\tN MAY ST\t-87.65436 41.88167,-87.65558 41.88165\n"
    "W MADISON ST\tN CARPENTER ST\tN ABERDEEN ST\t-87.65314 41.88169,-87.65436 41.88167\n"
    "N ABERDEEN ST\tW MADISON ST\tW WASHINGTON BLVD\t-87.65436 41.88167,-87.6544 41.88302\n"
    "N ABERDEEN ST\tW MONROE ST\tW MADISON ST\t-87.65432 41.88032,-87.65436 41.88167\n";

static int setup(void **state)
{
    static struct fx f;
    struct mp_error err;
    char path[128];
    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/mp-streets-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(path, sizeof path, "%s/streets.tsv", f.dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(layer, fp);
    fclose(fp);
    assert_int_equal(mp_geo_new("EPSG:26916", &f.geo, &err), MP_OK);
    assert_int_equal(mp_streets_load(path, f.geo, &f.streets, &err), MP_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char path[128];
    mp_streets_free(f->streets);
    mp_geo_free(f->geo);
    snprintf(path, sizeof path, "%s/streets.tsv", f->dir);
    unlink(path);
    rmdir(f->dir);
    return 0;
}

static void xy(struct fx *f, double lon, double lat, double *x, double *y)
{
    assert_int_equal(mp_geo_forward(f->geo, lon, lat, x, y), MP_OK);
}

static void test_loaded(void **state)
{
    struct fx *f = *state;
    assert_int_equal(mp_streets_count(f->streets), 4);
}

static void test_snap_nearest_and_distance(void **state)
{
    struct fx *f = *state;
    double x, y, x0, y0;
    struct mp_snap s;
    /* 20 m north of the crossing, on Aberdeen's line. */
    xy(f, -87.65436, 41.88167 + 20.0 / 111320.0, &x, &y);
    assert_true(mp_streets_snap(f->streets, x, y, 60, NULL, &s));
    assert_string_equal(s.street, "N ABERDEEN ST");
    assert_true(s.dist < 1.0);
    /* 15 m north of Madison, 60 m west of the crossing: Madison is nearer. */
    xy(f, -87.65436 - 60.0 / 82900.0, 41.88167 + 15.0 / 111320.0, &x, &y);
    assert_true(mp_streets_snap(f->streets, x, y, 60, NULL, &s));
    assert_string_equal(s.street, "W MADISON ST");
    assert_true(s.dist > 13.0 && s.dist < 17.0);
    /* The snapped point lies on the line: its distance to the query is s.dist. */
    xy(f, -87.65436 - 60.0 / 82900.0, 41.88167, &x0, &y0);
    assert_true(fabs(s.y - y0) < 2.0);
    /* A unit direction. */
    assert_true(fabs(s.ux * s.ux + s.uy * s.uy - 1.0) < 1e-9);
}

static void test_snap_limits(void **state)
{
    struct fx *f = *state;
    double x, y;
    struct mp_snap s;
    /* 300 m away from everything: nothing within 60 m. */
    xy(f, -87.65436 + 300.0 / 82900.0, 41.88167 + 300.0 / 111320.0, &x, &y);
    assert_false(mp_streets_snap(f->streets, x, y, 60, NULL, &s));
    assert_true(mp_streets_snap(f->streets, x, y, 400, NULL, &s));
    /* Restricted to a street: Madison even though Aberdeen is nearer. */
    xy(f, -87.65436, 41.88167 + 40.0 / 111320.0, &x, &y);
    assert_true(mp_streets_snap(f->streets, x, y, 150, "W MADISON ST", &s));
    assert_string_equal(s.street, "W MADISON ST");
    assert_false(mp_streets_snap(f->streets, x, y, 150, "N NOWHERE ST", &s));
}

static void test_find_address(void **state)
{
    struct fx *f = *state;
    assert_string_equal(mp_streets_find(f->streets, "1200 W Madison St"), "W MADISON ST");
    assert_string_equal(mp_streets_find(f->streets, "1200 west madison street"), "W MADISON ST");
    assert_string_equal(mp_streets_find(f->streets, "N. Aberdeen St."), "N ABERDEEN ST");
    assert_null(mp_streets_find(f->streets, "12 Elm Street"));
    assert_null(mp_streets_find(f->streets, ""));
    assert_null(mp_streets_find(f->streets, NULL));
}

static void test_location(void **state)
{
    struct fx *f = *state;
    double x, y;
    struct mp_snap s;
    char loc[128], tiny[8];
    /* Near the MAY end of the first Madison segment. */
    xy(f, -87.65540, 41.88166, &x, &y);
    assert_true(mp_streets_snap(f->streets, x, y, 60, NULL, &s));
    mp_streets_location(&s, loc, sizeof loc);
    assert_string_equal(loc, "W MADISON ST near N MAY ST");
    mp_streets_location(&s, tiny, sizeof tiny);
    assert_string_equal(tiny, "W MADIS");
}

static void test_missing_layer(void **state)
{
    (void)state;
    struct mp_geo *geo = NULL;
    struct mp_streets *s = NULL;
    struct mp_error err;
    struct mp_snap snap;
    assert_int_equal(mp_geo_new("EPSG:26916", &geo, &err), MP_OK);
    assert_int_equal(mp_streets_load("/nonexistent/streets.tsv", geo, &s, &err), MP_OK);
    assert_int_equal(mp_streets_count(s), 0);
    assert_false(mp_streets_snap(s, 0, 0, 100, NULL, &snap));
    mp_streets_free(s);
    mp_geo_free(geo);
}

static void test_chicago_layer(void **state)
{
    (void)state;
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    char path[512];
    struct mp_geo *geo = NULL;
    struct mp_streets *s = NULL;
    struct mp_error err;
    struct mp_snap snap;
    double x, y;
    if (!src)
        skip();
    snprintf(path, sizeof path, "%s/geodata/chicago/streets.tsv", src);
    assert_int_equal(mp_geo_new("EPSG:26916", &geo, &err), MP_OK);
    assert_int_equal(mp_streets_load(path, geo, &s, &err), MP_OK);
    assert_true(mp_streets_count(s) >= 43000);
    /* 3200 W Fullerton Ave. */
    assert_int_equal(mp_geo_forward(geo, -87.70600, 41.92476, &x, &y), MP_OK);
    assert_true(mp_streets_snap(s, x, y, 60, NULL, &snap));
    assert_string_equal(snap.street, "W FULLERTON AVE");
    assert_string_equal(mp_streets_find(s, "2111 W Lexington ST"), "W LEXINGTON ST");
    mp_streets_free(s);
    mp_geo_free(geo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded),
        cmocka_unit_test(test_snap_nearest_and_distance),
        cmocka_unit_test(test_snap_limits),
        cmocka_unit_test(test_find_address),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_missing_layer),
        cmocka_unit_test(test_chicago_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
