/* Unit tests of placing a corner written as two crossing streets
 * (mp_streets_intersection): on the real Chicago layer and on a small layer
 * made for the hard cases. */
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
    struct mp_streets *city;  /* geodata/chicago/streets.tsv */
    struct mp_streets *small; /* the layer below */
    char dir[64];
};

/* A street that crosses another twice, 700 m apart (a loop road), and two
 * parallel streets that never meet. */
static const char small_layer[] =
    "street\tfrom_cross\tto_cross\tcoords\n"
    "W LOOP RD\tN MAIN ST\tN ELM ST\t-87.70000 41.90000,-87.69000 41.90000\n"
    "W LOOP RD\tN ELM ST\tN MAIN ST\t-87.69000 41.90000,-87.69000 41.89000\n"
    "N MAIN ST\tW LOOP RD\tW OAK ST\t-87.70000 41.90000,-87.70000 41.91000\n"
    "W OAK ST\tN MAIN ST\tN ELM ST\t-87.70000 41.91000,-87.69000 41.91000\n"
    "W PARK AVE\tN ELM ST\tN ASH ST\t-87.69000 41.92000,-87.68000 41.92000\n"
    "W LAKE AVE\tN ELM ST\tN ASH ST\t-87.69000 41.93000,-87.68000 41.93000\n";

static int setup(void **state)
{
    static struct fx f;
    struct mp_error err;
    char path[512];
    memset(&f, 0, sizeof f);
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(mp_geo_new("EPSG:26916", &f.geo, &err), MP_OK);
    snprintf(path, sizeof path, "%s/geodata/chicago/streets.tsv", src);
    assert_int_equal(mp_streets_load(path, f.geo, &f.city, &err), MP_OK);
    assert_true(mp_streets_count(f.city) > 40000);
    snprintf(f.dir, sizeof f.dir, "/tmp/mp-corner-XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    snprintf(path, sizeof path, "%s/streets.tsv", f.dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(small_layer, fp);
    fclose(fp);
    assert_int_equal(mp_streets_load(path, f.geo, &f.small, &err), MP_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char path[128];
    mp_streets_free(f->city);
    mp_streets_free(f->small);
    mp_geo_free(f->geo);
    snprintf(path, sizeof path, "%s/streets.tsv", f->dir);
    unlink(path);
    rmdir(f->dir);
    return 0;
}

/* The corner's distance in metres from lon/lat. */
static double off_by(struct fx *f, double x, double y, double lon, double lat)
{
    double ex, ey;
    assert_int_equal(mp_geo_forward(f->geo, lon, lat, &ex, &ey), MP_OK);
    return mp_geo_dist(x, y, ex, ey);
}

/* N Clark St meets W Division St at -87.63145 41.90390 in the layer (the
 * shared end of two Clark segments): every way of writing it lands there. */
static void test_city_corner_spellings(void **state)
{
    struct fx *f = *state;
    static const char *const ways[] = {
        "N CLARK ST & W DIVISION ST",   "n clark st and w division st",
        "North Clark Street at West Division Street", "Clark St & Division St",
        "W Division St / N Clark St",   "  clark st  @  division street ",
        "N CLARK ST near W DIVISION ST", "Clark & Division", "clark and division street",
    };
    for (size_t i = 0; i < sizeof ways / sizeof *ways; i++) {
        double x, y;
        char label[128];
        assert_true(mp_streets_intersection(f->city, ways[i], &x, &y, label, sizeof label));
        assert_true(off_by(f, x, y, -87.63145, 41.90390) < 5.0);
        assert_true(strcmp(label, "N CLARK ST & W DIVISION ST") == 0 ||
                    strcmp(label, "W DIVISION ST & N CLARK ST") == 0);
    }
}

static void test_city_refusals(void **state)
{
    struct fx *f = *state;
    double x = 0, y = 0;
    char label[64] = "untouched";
    /* Streets that do not meet (both run north-south). */
    assert_false(mp_streets_intersection(f->city, "N Clark St & N State St", &x, &y, label,
                                         sizeof label));
    /* An unknown street, one street only, no second part. */
    assert_false(mp_streets_intersection(f->city, "N Clark St & Nowhere Blvd", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city, "N Clark St", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city, "N Clark St &", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city, "& W Division St", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city, "", &x, &y, NULL, 0));
    assert_string_equal(label, "untouched");
    /* A text longer than any address is refused, not cut. */
    char big[400];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big + 100, " & ", 3);
    assert_false(mp_streets_intersection(f->city, big, &x, &y, NULL, 0));
}

static void test_small_layer(void **state)
{
    struct fx *f = *state;
    double x, y;
    char label[64];
    /* Oak meets Main at one end only. */
    assert_true(mp_streets_intersection(f->small, "W Oak St & N Main St", &x, &y, label,
                                        sizeof label));
    assert_true(off_by(f, x, y, -87.70, 41.91) < 1.0);
    assert_string_equal(label, "W OAK ST & N MAIN ST");
    /* Direction and type left out. */
    assert_true(mp_streets_intersection(f->small, "oak & main", &x, &y, label, sizeof label));
    assert_true(off_by(f, x, y, -87.70, 41.91) < 1.0);
    assert_string_equal(label, "W OAK ST & N MAIN ST");
    /* Loop Rd meets Main at both of its ends, 1.1 km apart: which one? */
    assert_false(mp_streets_intersection(f->small, "Loop Rd & Main St", &x, &y, NULL, 0));
    /* Park and Lake never meet although both cross Elm. */
    assert_false(mp_streets_intersection(f->small, "W Park Ave & W Lake Ave", &x, &y, NULL, 0));
    /* A label that does not fit is left empty, the corner still found. */
    char tiny[8] = "x";
    assert_true(mp_streets_intersection(f->small, "W Oak St & N Main St", &x, &y, tiny,
                                        sizeof tiny));
    assert_string_equal(tiny, "");
    /* An empty layer places nothing. */
    assert_false(mp_streets_intersection(NULL, "W Oak St & N Main St", &x, &y, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_city_corner_spellings),
        cmocka_unit_test(test_city_refusals),
        cmocka_unit_test(test_small_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
