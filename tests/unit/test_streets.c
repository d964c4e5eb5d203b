/* Unit tests of the street layer: snapping, addresses, locations, corners. */
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
#include "fixture.h"

/* Every layer here is projected with the Chicago pack's metric CRS
 * (f->city.geo), so distances compare across layers. */
struct fx {
    struct mp_streets *streets; /* the tiny layer below */
    struct mp_streets *twice;   /* the layer of the corner refusals, further down */
    struct fx_city city;        /* the Chicago pack, its streets included */
    char dir[256];
};

/* A tiny layer: a grid crossing in the Loop, written to a temp file. */
static const char layer[] =
    "street\tfrom_cross\tto_cross\tcoords\n"
    "W MADISON ST\tN ABERDEEN ST\tN MAY ST\t-87.65436 41.88167,-87.65558 41.88165\n"
    "W MADISON ST\tN CARPENTER ST\tN ABERDEEN ST\t-87.65314 41.88169,-87.65436 41.88167\n"
    "N ABERDEEN ST\tW MADISON ST\tW WASHINGTON BLVD\t-87.65436 41.88167,-87.6544 41.88302\n"
    "N ABERDEEN ST\tW MONROE ST\tW MADISON ST\t-87.65432 41.88032,-87.65436 41.88167\n";

/* For corners: a street that crosses another twice, 1.1 km apart (a loop
 * road), and two parallel streets that both cross a third but never meet. */
static const char twice_layer[] =
    "street\tfrom_cross\tto_cross\tcoords\n"
    "W LOOP RD\tN MAIN ST\tN ELM ST\t-87.70000 41.90000,-87.69000 41.90000\n"
    "W LOOP RD\tN ELM ST\tN MAIN ST\t-87.69000 41.90000,-87.69000 41.89000\n"
    "N MAIN ST\tW LOOP RD\tW OAK ST\t-87.70000 41.90000,-87.70000 41.91000\n"
    "W OAK ST\tN MAIN ST\tN ELM ST\t-87.70000 41.91000,-87.69000 41.91000\n"
    "W PARK AVE\tN ELM ST\tN ASH ST\t-87.69000 41.92000,-87.68000 41.92000\n"
    "W LAKE AVE\tN ELM ST\tN ASH ST\t-87.69000 41.93000,-87.68000 41.93000\n";

/* Write text as dir/name and load it as a street layer. */
static void load_layer(struct fx *f, const char *name, const char *text, struct mp_streets **out)
{
    char path[320];
    struct mp_error err;
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(mp_streets_load(path, f->city.geo, out, &err), MP_OK);
}

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof f);
    *state = &f; /* teardown frees what a failed set-up got as far as */
    snprintf(f.dir, sizeof f.dir, "%s/mp-streets-XXXXXX", fx_tmpdir());
    if (!mkdtemp(f.dir)) {
        f.dir[0] = '\0';
        return -1;
    }
    if (fx_city_load(&f.city) != 0)
        return -1;
    load_layer(&f, "tiny.tsv", layer, &f.streets);
    load_layer(&f, "twice.tsv", twice_layer, &f.twice);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mp_streets_free(f->streets);
    mp_streets_free(f->twice);
    fx_city_free(&f->city);
    if (f->dir[0])
        fx_rm_dir(f->dir);
    return 0;
}

static void xy(struct fx *f, double lon, double lat, double *x, double *y)
{
    assert_int_equal(mp_geo_forward(f->city.geo, lon, lat, x, y), MP_OK);
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
    /* Units, ranges and the place after a comma do not hide the street. */
    assert_string_equal(mp_streets_find(f->streets, "1200-1210 W Madison St Apt 3, Chicago"),
                        "W MADISON ST");
    assert_string_equal(mp_streets_find(f->streets, "1200 1/2 w madison st #3"), "W MADISON ST");
    assert_null(mp_streets_find(f->streets, ""));
    assert_null(mp_streets_find(f->streets, NULL));
}

/* Suggestions while typing: a key prefix, with or without the direction;
 * each name once, and no more than asked for. */
static void test_suggest(void **state)
{
    struct fx *f = *state;
    const char *out[4];
    assert_int_equal(mp_streets_suggest(f->streets, "W MAD", out, 4), 1);
    assert_string_equal(out[0], "W MADISON ST");
    assert_int_equal(mp_streets_suggest(f->streets, "MADI", out, 4), 1);
    assert_string_equal(out[0], "W MADISON ST");
    /* No key starts with "A": N ABERDEEN ST does after its direction. */
    assert_int_equal(mp_streets_suggest(f->streets, "A", out, 4), 1);
    assert_string_equal(out[0], "N ABERDEEN ST");
    /* Cross streets are names too; W WASHINGTON BLVD matches both ways, once. */
    assert_int_equal(mp_streets_suggest(f->streets, "W", out, 4), 3);
    assert_string_equal(out[0], "W MADISON ST");
    assert_string_equal(out[1], "W MONROE ST");
    assert_string_equal(out[2], "W WASHINGTON BLVD");
    assert_int_equal(mp_streets_suggest(f->streets, "", out, 4), 0);
    assert_int_equal(mp_streets_suggest(f->streets, NULL, out, 4), 0);
    assert_int_equal(mp_streets_suggest(f->streets, "ELM", out, 4), 0);
    /* The Chicago layer has many W streets: max bounds the answer. */
    assert_int_equal(mp_streets_suggest(f->city.streets, "W", out, 4), 4);
    for (size_t i = 0; i < 4; i++)
        assert_true(strncmp(out[i], "W ", 2) == 0);
}

/* Cross streets of one street, for suggestions after "&": only streets it
 * meets, not itself, each once, in the order it meets them. */
static void test_suggest_cross(void **state)
{
    struct fx *f = *state;
    const char *out[4];
    assert_int_equal(mp_streets_suggest_cross(f->streets, "W Madison St", "N", out, 4), 3);
    assert_string_equal(out[0], "N ABERDEEN ST");
    assert_string_equal(out[1], "N MAY ST");
    assert_string_equal(out[2], "N CARPENTER ST");
    assert_int_equal(mp_streets_suggest_cross(f->streets, "Madison", "MAY", out, 4), 1);
    assert_string_equal(out[0], "N MAY ST");
    assert_int_equal(mp_streets_suggest_cross(f->streets, "W Madison St", "W", out, 4), 0);
    assert_int_equal(mp_streets_suggest_cross(f->streets, "Elm St", "N", out, 4), 0);
    assert_int_equal(mp_streets_suggest_cross(f->streets, "W Madison St", "", out, 4), 0);
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
    struct fx *f = *state;
    const struct mp_streets *s = f->city.streets;
    struct mp_snap snap;
    double x, y;
    assert_true(mp_streets_count(s) >= 43000);
    /* 3200 W Fullerton Ave. */
    assert_int_equal(mp_geo_forward(f->city.geo, -87.70600, 41.92476, &x, &y), MP_OK);
    assert_true(mp_streets_snap(s, x, y, 60, NULL, &snap));
    assert_string_equal(snap.street, "W FULLERTON AVE");
    assert_string_equal(mp_streets_find(s, "2111 W Lexington ST"), "W LEXINGTON ST");
}

/* ---- house numbers: mp_streets_place ---- */

/* Chicago's grid (address_grid.json): numbers placed where the street
 * crosses the grid line, the line taken between the anchor streets where
 * the street runs. */
static void test_place_chicago_grid(void **state)
{
    struct fx *f = *state;
    const struct mp_streets *s = f->city.streets;
    struct mp_snap p, q;
    double cx, cy;
    /* 1600 W is Ashland: 1600 W Fullerton is that corner. */
    assert_true(mp_streets_place(s, "W FULLERTON AVE", 1600, NULL, &p));
    assert_string_equal(p.street, "W FULLERTON AVE");
    assert_string_equal(p.cross, "N ASHLAND AVE");
    assert_true(mp_streets_intersection(s, "Ashland & Fullerton", &cx, &cy, NULL, 0));
    assert_true(mp_geo_dist(p.x, p.y, cx, cy) < 10.0);
    /* Pulaski runs 250 m further east at 71st than on the North Side: the
     * grid line is taken where 71st runs. 3949 W 71st is one block east of
     * Pulaski (4000 W), 7100 S Pulaski is that corner. */
    assert_true(mp_streets_place(s, "S PULASKI RD", 7100, NULL, &q));
    assert_string_equal(q.cross, "W 71ST ST");
    assert_true(mp_streets_place(s, "W 71ST ST", 3949, NULL, &p));
    assert_true(p.x > q.x);
    assert_near(mp_geo_dist(p.x, p.y, q.x, q.y), 51 * 2.01, 25.0);
    /* A corner named from either street lands in one place. */
    assert_true(mp_streets_place(s, "W JACKSON BLVD", 3600, NULL, &p));
    assert_true(mp_streets_place(s, "S CENTRAL PARK BLVD", 300, NULL, &q));
    assert_true(mp_geo_dist(p.x, p.y, q.x, q.y) < 15.0);
    /* Two numbers 100 apart on one street are about 200 m apart. */
    assert_true(mp_streets_place(s, "S SANGAMON ST", 8500, NULL, &p));
    assert_true(mp_streets_place(s, "S SANGAMON ST", 8600, NULL, &q));
    assert_near(mp_geo_dist(p.x, p.y, q.x, q.y), 201, 15.0);
    assert_true(fabs(p.ux * p.ux + p.uy * p.uy - 1.0) < 1e-9);
    /* The layer has W Gladys Ave only west of Cicero: 1047 W is not on it. */
    assert_false(mp_streets_place(s, "W GLADYS AVE", 1047, NULL, &p));
    assert_true(mp_streets_place(s, "W GLADYS AVE", 4900, NULL, &p));
    /* No number, no known street, a street without a grid prefix. */
    assert_false(mp_streets_place(s, "W FULLERTON AVE", 0, NULL, &p));
    assert_false(mp_streets_place(s, "W NOWHERE AVE", 1600, NULL, &p));
    assert_near(mp_streets_metres_per_number(s), 2.0, 0.15);
    /* A typed address, as the place search takes it. */
    char label[64], tiny[8];
    double ax, ay;
    assert_true(mp_streets_address(s, "1600 west fullerton avenue, Chicago", &ax, &ay, label,
                                   sizeof label));
    assert_string_equal(label, "1600 W FULLERTON AVE");
    assert_true(mp_geo_dist(ax, ay, cx, cy) < 10.0);
    assert_true(mp_streets_address(s, "1600 W Fullerton Ave", &ax, &ay, tiny, sizeof tiny));
    assert_string_equal(tiny, "");
    assert_false(mp_streets_address(s, "W Fullerton Ave", &ax, &ay, label, sizeof label));
    assert_false(mp_streets_address(s, "1047 W Gladys Ave", &ax, &ay, label, sizeof label));
    assert_false(mp_streets_address(s, "1600 W Nowhere Ave", &ax, &ay, label, sizeof label));
    /* The tiny layer has no number files. */
    assert_false(mp_streets_place(f->streets, "W MADISON ST", 1200, NULL, &p));
    assert_near(mp_streets_metres_per_number(f->streets), 0, 0);
}

static const char dutch_layer[] =
    "street\tfrom_cross\tto_cross\tcoords\n"
    "Kerkstraat\tMarkt\tLaan\t5.12000 52.09000,5.12300 52.09000\n"
    "Kerkstraat\tLaan\tDijk\t5.12300 52.09000,5.12600 52.09000\n"
    "Markt\t\tKerkstraat\t5.12000 52.08900,5.12000 52.09000\n";

/* A pack without a grid: address ranges (one side each) and one address
 * point, with the street's case as the layer spells it. */
static void test_place_points_and_ranges(void **state)
{
    struct fx *f = *state;
    char dir[300], path[400];
    struct mp_streets *s = NULL;
    struct mp_error err;
    struct mp_snap p, q;
    double x0, y0, x1, y1;
    snprintf(dir, sizeof dir, "%s/numbers-XXXXXX", f->dir);
    assert_non_null(mkdtemp(dir));
    fx_write_file(dir, "streets.tsv", dutch_layer);
    fx_write_file(dir, "addresses.tsv",
             "street\tfrom\tto\tcoords\n"
             "Kerkstraat\t1\t41\t5.12000 52.09010,5.12300 52.09010,5.12600 52.09010\n"
             "Kerkstraat\t2\t42\t5.12000 52.08990,5.12600 52.08990\n"
             "KERKSTRAAT\t12\t12\t5.12500 52.08980\n");
    snprintf(path, sizeof path, "%s/streets.tsv", dir);
    assert_int_equal(mp_streets_load(path, f->city.geo, &s, &err), MP_OK);
    const char *k = mp_streets_find(s, "kerkstraat 13 bus 2");
    assert_non_null(k);
    assert_string_equal(k, "Kerkstraat");
    /* 21 is halfway along the odd side, on the north. */
    xy(f, 5.12300, 52.09010, &x0, &y0);
    assert_true(mp_streets_place(s, k, 21, NULL, &p));
    assert_true(mp_geo_dist(p.x, p.y, x0, y0) < 0.5);
    assert_string_equal(p.street, "Kerkstraat");
    assert_non_null(p.cross);
    /* 22 on the even side, south, halfway too: sides differ by ~22 m. */
    assert_true(mp_streets_place(s, k, 22, NULL, &q));
    xy(f, 5.12300, 52.08990, &x1, &y1);
    assert_true(mp_geo_dist(q.x, q.y, x1, y1) < 0.5);
    /* The address point of 12 wins over the even range that holds it. */
    assert_true(mp_streets_place(s, k, 12, NULL, &p));
    xy(f, 5.12500, 52.08980, &x0, &y0);
    assert_true(mp_geo_dist(p.x, p.y, x0, y0) < 0.5);
    /* Beyond every range. */
    assert_false(mp_streets_place(s, k, 43, NULL, &p));
    assert_false(mp_streets_place(s, "Markt", 1, NULL, &p));
    /* A range of 40 numbers: its length over 40 (far from its UTM zone,
     * the Chicago CRS stretches a Dutch street by a quarter: no matter). */
    assert_true(mp_streets_place(s, k, 1, NULL, &p));
    assert_true(mp_streets_place(s, k, 41, NULL, &q));
    assert_near(mp_streets_metres_per_number(s), mp_geo_dist(p.x, p.y, q.x, q.y) / 40.0, 0.01);
    /* Number-last addresses keep their order in the label. */
    char label[64];
    double ax, ay;
    assert_true(mp_streets_address(s, "kerkstraat 21 bus 4", &ax, &ay, label, sizeof label));
    assert_string_equal(label, "Kerkstraat 21");
    mp_streets_free(s);

    /* Broken number files are refused with the line and the reason. */
    fx_write_file(dir, "addresses.tsv",
             "street\tfrom\tto\tcoords\nDorpsstraat\t1\t9\t5.1 52.1,5.2 52.1\n");
    assert_int_not_equal(mp_streets_load(path, f->city.geo, &s, &err), MP_OK);
    assert_string_equal(err.text, "addresses.tsv line 2: the street is not in streets.tsv");
    fx_write_file(dir, "addresses.tsv", "street\tfrom\tto\tcoords\nKerkstraat\t1\t9\t5.1 52.1\n");
    assert_int_not_equal(mp_streets_load(path, f->city.geo, &s, &err), MP_OK);
    assert_string_equal(err.text,
                        "addresses.tsv line 2: a range needs two points, an address one");
    snprintf(path, sizeof path, "%s/addresses.tsv", dir);
    assert_int_equal(unlink(path), 0);
    fx_write_file(dir, "address_grid.json",
             "{\"axes\": [{\"prefix\": \"N\", \"coordinate\": \"lat\", \"streets\": "
             "[[0, \"Markt\"], [100, \"Nergensweg\"]]}]}");
    snprintf(path, sizeof path, "%s/streets.tsv", dir);
    assert_int_not_equal(mp_streets_load(path, f->city.geo, &s, &err), MP_OK);
    assert_string_equal(err.text, "address_grid.json axis N: no street Nergensweg in streets.tsv");
    fx_write_file(dir, "address_grid.json",
             "{\"axes\": [{\"prefix\": \"N\", \"coordinate\": \"lat\", \"streets\": "
             "[[100, \"Markt\"], [0, \"Kerkstraat\"]]}]}");
    assert_int_not_equal(mp_streets_load(path, f->city.geo, &s, &err), MP_OK);
    assert_string_equal(err.text, "address_grid.json axis N: street 2 must be [number, name] "
                                  "with numbers ascending");
    fx_rm_dir(dir);
}

/* ---- corners: mp_streets_intersection ---- */

/* The corner's distance in metres from lon/lat. */
static double off_by(struct fx *f, double x, double y, double lon, double lat)
{
    double ex, ey;
    assert_int_equal(mp_geo_forward(f->city.geo, lon, lat, &ex, &ey), MP_OK);
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
        assert_true(mp_streets_intersection(f->city.streets, ways[i], &x, &y, label, sizeof label));
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
    assert_false(mp_streets_intersection(f->city.streets, "N Clark St & N State St", &x, &y, label,
                                         sizeof label));
    /* An unknown street, one street only, no second part. */
    assert_false(mp_streets_intersection(f->city.streets, "N Clark St & Nowhere Blvd", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city.streets, "N Clark St", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city.streets, "N Clark St &", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city.streets, "& W Division St", &x, &y, NULL, 0));
    assert_false(mp_streets_intersection(f->city.streets, "", &x, &y, NULL, 0));
    assert_string_equal(label, "untouched");
    /* A text longer than any address is refused, not cut. */
    char big[400];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big + 100, " & ", 3);
    assert_false(mp_streets_intersection(f->city.streets, big, &x, &y, NULL, 0));
}

static void test_corner_twice_layer(void **state)
{
    struct fx *f = *state;
    double x, y;
    char label[64];
    /* Oak meets Main at one end only. */
    assert_true(mp_streets_intersection(f->twice, "W Oak St & N Main St", &x, &y, label,
                                        sizeof label));
    assert_true(off_by(f, x, y, -87.70, 41.91) < 1.0);
    assert_string_equal(label, "W OAK ST & N MAIN ST");
    /* Direction and type left out. */
    assert_true(mp_streets_intersection(f->twice, "oak & main", &x, &y, label, sizeof label));
    assert_true(off_by(f, x, y, -87.70, 41.91) < 1.0);
    assert_string_equal(label, "W OAK ST & N MAIN ST");
    /* Loop Rd meets Main at both of its ends, 1.1 km apart: which one? */
    assert_false(mp_streets_intersection(f->twice, "Loop Rd & Main St", &x, &y, NULL, 0));
    /* Park and Lake never meet although both cross Elm. */
    assert_false(mp_streets_intersection(f->twice, "W Park Ave & W Lake Ave", &x, &y, NULL, 0));
    /* A label that does not fit is left empty, the corner still found. */
    char tiny[8] = "x";
    assert_true(mp_streets_intersection(f->twice, "W Oak St & N Main St", &x, &y, tiny,
                                        sizeof tiny));
    assert_string_equal(tiny, "");
    /* An empty layer places nothing. */
    assert_false(mp_streets_intersection(NULL, "W Oak St & N Main St", &x, &y, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loaded),
        cmocka_unit_test(test_snap_nearest_and_distance),
        cmocka_unit_test(test_snap_limits),
        cmocka_unit_test(test_find_address),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_suggest_cross),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_missing_layer),
        cmocka_unit_test(test_chicago_layer),
        cmocka_unit_test(test_place_chicago_grid),
        cmocka_unit_test(test_place_points_and_ranges),
        cmocka_unit_test(test_city_corner_spellings),
        cmocka_unit_test(test_city_refusals),
        cmocka_unit_test(test_corner_twice_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
