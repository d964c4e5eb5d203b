/* test_city.c - the city pack: the real Chicago pack (categories, rules,
 * districts, area, calendar) and broken packs written to temporary folders,
 * each of which must be refused with a message naming the problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "meldpunt/city.h"
#include "meldpunt/timeutil.h"

static const char *const PACK_FILES[] = {"city.json", "categories.json", "districts.geojson",
                                         "service_area.geojson"};
#define NPACK_FILES (sizeof PACK_FILES / sizeof *PACK_FILES)

/* ---- helpers ---- */

/* The real pack's folder; fails the test when it cannot be named. */
static const char *chicago_dir(void)
{
    const char *dir = fx_chicago_dir();
    if (!dir)
        fail_msg("no path to the Chicago pack (see stderr)");
    return dir;
}

static struct mp_city *load_chicago(void)
{
    struct mp_city *c = NULL;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_city_load(chicago_dir(), &c, &err);
    if (rc != MP_OK)
        print_error("mp_city_load: %s\n", err.text);
    assert_int_equal(rc, MP_OK);
    assert_non_null(c);
    return c;
}

static int setup_chicago(void **state)
{
    *state = load_chicago();
    return 0;
}

static int teardown_chicago(void **state)
{
    mp_city_free(*state);
    return 0;
}

static int64_t day(const char *date)
{
    int64_t t;
    assert_int_equal(mp_time_parse(date, 0, &t), MP_OK);
    return t / 86400;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *d = malloc((size_t)n + 1);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    d[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return d;
}

static void put_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A temporary copy of the Chicago pack, to be broken one file at a time. */
struct pack {
    char dir[512];
};

static void pack_make(struct pack *p)
{
    snprintf(p->dir, sizeof p->dir, "%s/mp-city-XXXXXX", fx_tmpdir());
    if (!mkdtemp(p->dir))
        fail_msg("mkdtemp %s failed", p->dir);
    for (size_t i = 0; i < NPACK_FILES; i++) {
        char src[1200];
        size_t len;
        snprintf(src, sizeof src, "%s/%s", chicago_dir(), PACK_FILES[i]);
        char *d = slurp(src, &len);
        put_file(p->dir, PACK_FILES[i], d, len);
        free(d);
    }
}

static void pack_remove(struct pack *p)
{
    for (size_t i = 0; i < NPACK_FILES; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", p->dir, PACK_FILES[i]);
        (void)unlink(path);
    }
    assert_int_equal(rmdir(p->dir), 0);
}

static json_t *pack_json(struct pack *p, const char *name)
{
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

/* Takes j. */
static void pack_put_json(struct pack *p, const char *name, json_t *j)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    assert_int_equal(json_dump_file(j, path, JSON_INDENT(1)), 0);
    json_decref(j);
}

/* Load the (broken) pack: it must fail with MP_EINVAL, code
 * invalid_city_pack and a message containing needle. */
static void expect_pack_error(struct pack *p, const char *needle)
{
    struct mp_city *c = (struct mp_city *)(uintptr_t)1;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_city_load(p->dir, &c, &err);
    if (rc != MP_EINVAL || !strstr(err.text, needle))
        print_error("rc %d, message \"%s\", expected it to mention \"%s\"\n", (int)rc, err.text,
                    needle);
    assert_int_equal(rc, MP_EINVAL);
    assert_null(c);
    assert_string_equal(err.code, "invalid_city_pack");
    assert_non_null(strstr(err.text, needle));
}

/* Change one member of category number idx of the temp pack. Takes v. */
static void set_category_member(struct pack *p, size_t idx, const char *key, json_t *v)
{
    json_t *root = pack_json(p, "categories.json");
    json_t *cat = json_array_get(json_object_get(root, "categories"), idx);
    assert_non_null(cat);
    if (v)
        assert_int_equal(json_object_set_new(cat, key, v), 0);
    else
        assert_int_equal(json_object_del(cat, key), 0);
    pack_put_json(p, "categories.json", root);
}

/* ---- the real pack ---- */

static void test_identity(void **state)
{
    const struct mp_city *c = *state;
    assert_string_equal(c->id, "chicago");
    assert_string_equal(c->name, "Chicago");
    assert_string_equal(c->crs, "EPSG:26916");
    assert_string_equal(c->timezone, "America/Chicago");
    assert_near(c->center_lon, -87.732127, 1e-9);
    assert_near(c->center_lat, 41.833791, 1e-9);
    assert_int_equal(c->zoom, 11);
    assert_non_null(c->dir);
    assert_non_null(strstr(c->dir, "geodata/chicago"));
    /* The bbox is the outline's, and city.json states it to 6 decimals. */
    assert_near(c->bbox.min_lon, -87.940114, 1e-6);
    assert_near(c->bbox.min_lat, 41.644543, 1e-6);
    assert_near(c->bbox.max_lon, -87.52414, 1e-6);
    assert_near(c->bbox.max_lat, 42.023039, 1e-6);
    assert_non_null(c->tile_url);
    assert_non_null(strstr(c->tile_url, "{z}"));
    assert_int_equal(c->tile_max_zoom, 19);
}

/* Every category as loaded equals what categories.json says (so tuning the
 * pack needs no test change, but a loader that drops or mixes up a field
 * fails), plus the invariants the rules rely on. */
static void test_categories(void **state)
{
    const struct mp_city *c = *state;
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof path, "%s/categories.json", chicago_dir());
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    const json_t *arr = json_object_get(root, "categories");
    assert_int_equal(c->ncategories, json_array_size(arr));
    assert_int_equal(c->ncategories, 26);
    for (size_t i = 0; i < c->ncategories; i++) {
        const json_t *o = json_array_get(arr, i);
        const struct mp_category *k = &c->categories[i]; /* display order kept */
        const char *code = json_string_value(json_object_get(o, "code"));
        assert_string_equal(k->code, code);
        assert_ptr_equal(mp_city_category(c, code), k); /* unique */
        const char *rule = json_string_value(json_object_get(o, "rule"));
        enum mp_rule want;
        assert_true(mp_rule_parse(rule, &want));
        assert_int_equal(k->rule, want);
        assert_string_equal(mp_rule_name(k->rule), rule);
        assert_int_equal(k->address_span, json_integer_value(json_object_get(o, "address_span")));
        assert_int_equal(k->address_side, json_is_true(json_object_get(o, "address_side")));
        assert_near(k->radius_m, json_number_value(json_object_get(o, "radius_m")), 0);
        assert_near(k->along_m, json_number_value(json_object_get(o, "along_m")), 0);
        assert_int_equal(k->window_days, json_integer_value(json_object_get(o, "window_days")));
        assert_int_equal(k->fixed_absorb_days,
                         json_integer_value(json_object_get(o, "fixed_absorb_days")));
        assert_int_equal(k->service_days, json_integer_value(json_object_get(o, "service_days")));
        assert_int_equal(k->priority, json_integer_value(json_object_get(o, "priority")));
        assert_string_equal(k->department,
                            json_string_value(json_object_get(o, "department")));
        assert_string_equal(k->group, json_string_value(json_object_get(o, "group")));
        const json_t *name = json_object_get(o, "name");
        assert_string_equal(k->name_en, json_string_value(json_object_get(name, "en")));
        assert_string_equal(k->name_nl, json_string_value(json_object_get(name, "nl")));
        /* what the rules rely on */
        assert_true(k->priority >= 1 && k->priority <= 3);
        assert_true(k->radius_m > 0);
        assert_true(k->window_days > 0);
        if (k->rule == MP_RULE_POINT)
            assert_near(k->along_m, 0, 0);
        else
            assert_true(k->along_m > 0);
    }
    json_decref(root);

    /* A few facts of the Chicago pack that README.md explains. */
    const struct mp_category *k = mp_city_category(c, "pothole");
    assert_non_null(k);
    assert_int_equal(k->rule, MP_RULE_ADDRESS);
    assert_int_equal(k->address_span, 50);
    assert_false(k->address_side);
    assert_string_equal(k->department, "streets");
    k = mp_city_category(c, "traffic_signal_out");
    assert_non_null(k);
    assert_int_equal(k->rule, MP_RULE_POINT);
    assert_int_equal(k->priority, 1);
    k = mp_city_category(c, "speeding");
    assert_non_null(k);
    assert_int_equal(k->fixed_absorb_days, 0);

    assert_null(mp_city_category(c, "Pothole"));
    assert_null(mp_city_category(c, "pothole "));
    assert_null(mp_city_category(c, ""));
    assert_null(mp_city_category(c, NULL));
}

static void test_category_sources(void **state)
{
    const struct mp_city *c = *state;
    const struct mp_category *k =
        mp_city_category_by_source(c, "chicago311", "Pothole in Street Complaint");
    assert_non_null(k);
    assert_string_equal(k->code, "pothole");
    /* Byte-exact: the EN DASH of the 311 type name. */
    k = mp_city_category_by_source(c, "chicago311",
                                   "Snow \xe2\x80\x93 Uncleared Sidewalk Complaint");
    assert_non_null(k);
    assert_string_equal(k->code, "uncleared_sidewalk");
    assert_null(mp_city_category_by_source(c, "chicago311", "Snow - Uncleared Sidewalk Complaint"));
    assert_null(mp_city_category_by_source(c, "chicago311", "pothole in street complaint"));
    assert_null(mp_city_category_by_source(c, "other_feed", "Pothole in Street Complaint"));
    assert_null(mp_city_category_by_source(c, "chicago311", "311 INFORMATION ONLY CALL"));
    /* 35 sr_types mapped in all. */
    size_t n = 0;
    for (size_t i = 0; i < c->ncategories; i++)
        n += c->categories[i].nsources;
    assert_int_equal(n, 35);
}

static void test_public_categories_json(void **state)
{
    const struct mp_city *c = *state;
    json_error_t je;
    json_t *j = json_loadb(c->categories_json, c->categories_json_len, 0, &je);
    assert_non_null(j);
    assert_int_equal(strlen(c->categories_json), c->categories_json_len);
    json_t *arr = json_object_get(j, "categories");
    assert_int_equal(json_array_size(arr), 26);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o)
    {
        /* The import mapping is internal. */
        assert_null(json_object_get(o, "sources"));
        assert_string_equal(json_string_value(json_object_get(o, "code")), c->categories[i].code);
    }
    json_decref(j);

    j = json_loadb(c->districts_json, c->districts_json_len, 0, &je);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "features")), 77);
    json_decref(j);
    j = json_loadb(c->area_json, c->area_json_len, 0, &je);
    assert_non_null(j);
    json_decref(j);
}

static void test_districts(void **state)
{
    const struct mp_city *c = *state;
    assert_int_equal(c->ndistricts, 77);
    const struct mp_district *d = mp_city_district_at(c, -87.6298, 41.8781);
    assert_non_null(d);
    assert_string_equal(d->code, "32");
    assert_string_equal(d->name, "Loop");
    assert_ptr_equal(mp_city_district(c, "32"), d);

    d = mp_city_district_at(c, -87.6696, 42.0106);
    assert_non_null(d);
    assert_string_equal(d->code, "1");
    assert_string_equal(d->name, "Rogers Park");
    d = mp_city_district_at(c, -87.5907, 41.7943);
    assert_non_null(d);
    assert_string_equal(d->name, "Hyde Park");
    /* O'Hare is a MultiPolygon of three parts. */
    d = mp_city_district_at(c, -87.9048, 41.9786);
    assert_non_null(d);
    assert_string_equal(d->code, "76");
    assert_string_equal(d->name, "O'Hare");
    assert_int_equal(d->area.npolys, 3);

    /* Lat, lon swapped is nowhere. */
    assert_null(mp_city_district_at(c, 41.8781, -87.6298));
    /* Lake Michigan, Norridge (an enclave) and the suburbs are in no district. */
    assert_null(mp_city_district_at(c, -87.55, 41.88));
    assert_null(mp_city_district_at(c, -87.8284, 41.9636));
    assert_null(mp_city_district_at(c, -87.70, 42.06)); /* Evanston / Skokie */

    assert_null(mp_city_district(c, "0"));
    assert_null(mp_city_district(c, "78"));
    assert_null(mp_city_district(c, NULL));
    assert_string_equal(mp_city_district(c, "77")->code, "77");
    assert_null(mp_city_district(c, ""));
    assert_null(mp_city_district(c, "32 "));
    /* Codes are unique; each district's public object is rendered at load. */
    for (size_t i = 0; i < c->ndistricts; i++) {
        const struct mp_district *x = &c->districts[i];
        char want[160];
        snprintf(want, sizeof want, "{\"code\":\"%s\",\"name\":\"%s\"}", x->code, x->name);
        assert_ptr_equal(mp_city_district(c, x->code), x);
        assert_string_equal(x->json, want);
        assert_int_equal(x->json_len, strlen(want));
    }
}

static void test_in_area(void **state)
{
    const struct mp_city *c = *state;
    assert_true(mp_city_in_area(c, -87.6298, 41.8781));  /* Loop */
    assert_true(mp_city_in_area(c, -87.9048, 41.9786));  /* O'Hare, a separate part */
    assert_false(mp_city_in_area(c, -87.55, 41.88));     /* Lake Michigan */
    assert_false(mp_city_in_area(c, -87.8284, 41.9636)); /* Norridge: a hole */
    assert_false(mp_city_in_area(c, -87.70, 42.06));     /* north of the city */
    assert_false(mp_city_in_area(c, 0, 0));
    assert_false(mp_city_in_area(c, 41.8781, -87.6298)); /* swapped */
    /* Every district centre-ish point that is in a district is in the area. */
    for (double lat = 41.65; lat < 42.02; lat += 0.01)
        for (double lon = -87.93; lon < -87.53; lon += 0.01)
            if (mp_city_district_at(c, lon, lat) && !mp_city_in_area(c, lon, lat))
                fail_msg("%.4f,%.4f is in a district but not in the service area", lat, lon);
}

static void test_holidays_and_workdays(void **state)
{
    const struct mp_city *c = *state;
    assert_int_equal(c->nholidays, 131);
    for (size_t i = 1; i < c->nholidays; i++)
        assert_true(c->holidays[i - 1] < c->holidays[i]);
    assert_int_equal(c->workdays, 0x3e); /* Monday to Friday */

    /* Christmas 2021 fell on a Saturday: observed on Friday the 24th. */
    assert_false(mp_city_is_workday(c, day("2021-12-24")));
    assert_false(mp_city_is_workday(c, day("2021-12-25"))); /* Saturday anyway */
    assert_false(mp_city_is_workday(c, day("2021-12-31"))); /* New Year 2022 observed */
    assert_true(mp_city_is_workday(c, day("2021-12-23")));  /* Thursday */
    assert_true(mp_city_is_workday(c, day("2021-12-27")));  /* Monday */
    assert_false(mp_city_is_workday(c, day("2021-07-05"))); /* July 4th observed */
    assert_false(mp_city_is_workday(c, day("2021-11-25"))); /* Thanksgiving */
    assert_false(mp_city_is_workday(c, day("2021-11-26"))); /* the day after */
    assert_false(mp_city_is_workday(c, day("2021-01-02"))); /* Saturday */
    assert_false(mp_city_is_workday(c, day("2021-01-03"))); /* Sunday */
    assert_true(mp_city_is_workday(c, day("2021-01-04")));  /* Monday */
    assert_true(mp_city_is_workday(c, day("2021-01-08")));  /* Friday */
    assert_false(mp_city_is_workday(c, day("2020-01-01"))); /* first holiday */
    assert_false(mp_city_is_workday(c, day("2030-12-25"))); /* last holiday */
    assert_true(mp_city_is_workday(c, day("2031-12-25")));  /* beyond the list: a Thursday */
    /* Weekdays before 1970 (negative day numbers) are right too. */
    assert_true(mp_city_is_workday(c, day("1969-12-31")));  /* Wednesday */
    assert_false(mp_city_is_workday(c, day("1969-12-28"))); /* Sunday */
    assert_false(mp_city_is_workday(c, day("1969-12-27"))); /* Saturday */
    assert_true(mp_city_is_workday(c, day("1969-12-29")));  /* Monday */
    /* 2021 has 261 weekdays and 13 holidays, all on weekdays (2021-12-31
     * observes New Year 2022): 248 working days. */
    int n = 0;
    for (int64_t d = day("2021-01-01"); d < day("2022-01-01"); d++)
        n += mp_city_is_workday(c, d);
    assert_int_equal(n, 248);
}

static void test_set_tiles(void **state)
{
    (void)state;
    struct mp_city *c = load_chicago();
    assert_int_equal(mp_city_set_tiles(c, "https://tiles.example/{z}/{x}/{y}.png"), MP_OK);
    assert_string_equal(c->tile_url, "https://tiles.example/{z}/{x}/{y}.png");
    assert_int_equal(mp_city_set_tiles(c, ""), MP_OK);
    assert_null(c->tile_url);
    assert_int_equal(mp_city_set_tiles(c, "x"), MP_OK);
    assert_int_equal(mp_city_set_tiles(c, NULL), MP_OK);
    assert_null(c->tile_url);
    mp_city_free(c);
    mp_city_free(NULL);
}

/* ---- broken packs ---- */

static void test_copy_loads(void **state)
{
    (void)state;
    /* The harness itself: an untouched copy loads. */
    struct pack p;
    pack_make(&p);
    struct mp_city *c = NULL;
    struct mp_error err;
    assert_int_equal(mp_city_load(p.dir, &c, &err), MP_OK);
    assert_int_equal(c->ncategories, 26);
    mp_city_free(c);
    pack_remove(&p);
}

static void test_missing_folder(void **state)
{
    (void)state;
    struct mp_city *c = (struct mp_city *)(uintptr_t)1;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_city_load("/nonexistent/meldpunt/pack", &c, &err), MP_EINVAL);
    assert_null(c);
    assert_non_null(strstr(err.text, "city.json"));
}

static void test_missing_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPACK_FILES; i++) {
        struct pack p;
        pack_make(&p);
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", p.dir, PACK_FILES[i]);
        assert_int_equal(unlink(path), 0);
        expect_pack_error(&p, PACK_FILES[i]);
        pack_remove(&p);
    }
}

static void test_bad_json(void **state)
{
    (void)state;
    for (size_t i = 0; i < NPACK_FILES; i++) {
        struct pack p;
        pack_make(&p);
        put_file(p.dir, PACK_FILES[i], "{\"id\": \"chicago\",", 17);
        expect_pack_error(&p, PACK_FILES[i]);
        pack_remove(&p);
    }
}

static void test_duplicate_json_key(void **state)
{
    (void)state;
    struct pack p;
    pack_make(&p);
    const char *text = "{\"categories\": [], \"categories\": []}";
    put_file(p.dir, "categories.json", text, strlen(text));
    expect_pack_error(&p, "categories.json");
    pack_remove(&p);
}

static void test_duplicate_category(void **state)
{
    (void)state;
    struct pack p;
    pack_make(&p);
    set_category_member(&p, 5, "code", json_string("pothole"));
    expect_pack_error(&p, "pothole twice");
    pack_remove(&p);
}

static void test_bad_rules(void **state)
{
    (void)state;
    struct {
        const char *key;
        json_t *value;
        const char *needle;
    } cases[] = {
        {"rule", json_string("zigzag"), "unknown rule"},
        {"rule", json_string("Point"), "unknown rule"},
        {"radius_m", json_real(-1), "out of range"},
        {"radius_m", json_integer(5001), "out of range"},
        {"along_m", json_integer(-5), "out of range"},
        {"window_days", json_integer(-1), "out of range"},
        {"window_days", json_integer(3651), "out of range"},
        {"fixed_absorb_days", json_integer(-1), "out of range"},
        {"address_span", json_integer(-1), "address_span must be 0 to 10000"},
        {"address_span", json_integer(10001), "address_span must be 0 to 10000"},
        {"address_side", json_string("yes"), "address_side true or false"},
        {"rule", json_string("Address"), "unknown rule (point, street or address)"},
        {"service_days", json_integer(-2), "out of range"},
        {"priority", json_integer(0), "out of range"},
        {"priority", json_integer(4), "out of range"},
        {"code", json_string("Pot-Hole"), "only a-z"},
        {"code", json_string(""), "category code is missing"},
        {"code", json_integer(7), "category code is missing"},
        {"code", NULL, "category code is missing"},
        {"name", NULL, "English name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct pack p;
        pack_make(&p);
        set_category_member(&p, 3, cases[i].key, cases[i].value);
        expect_pack_error(&p, cases[i].needle);
        pack_remove(&p);
    }
}

/* Another categories.json's rules over the pack's (eval-duplicates --rules). */
static void test_apply_rules(void **state)
{
    (void)state;
    struct pack p;
    struct mp_city *c = NULL;
    struct mp_error err = {{0}, {0}};
    size_t n = 0;
    char path[1200];
    pack_make(&p);
    assert_int_equal(mp_city_load(p.dir, &c, &err), MP_OK);
    const struct mp_category *hole = mp_city_category(c, "pothole");
    const double service = hole->service_days;
    snprintf(path, sizeof path, "%s/rules.json", p.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"categories\": [{\"code\": \"pothole\", \"rule\": \"point\", \"radius_m\": 22,"
          " \"address_span\": 12, \"address_side\": true, \"window_days\": 9,"
          " \"service_days\": 99},"
          " {\"code\": \"no_such_thing\", \"rule\": \"street\", \"along_m\": 5}]}",
          f);
    fclose(f);
    assert_int_equal(mp_city_apply_rules(c, path, &n, &err), MP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hole->rule, MP_RULE_POINT);
    assert_near(hole->radius_m, 22, 0);
    assert_near(hole->along_m, 0, 0); /* the file's default, as a pack's */
    assert_int_equal(hole->address_span, 12);
    assert_true(hole->address_side);
    assert_int_equal(hole->window_days, 9);
    assert_int_equal(hole->fixed_absorb_days, 0);
    assert_near(hole->service_days, service, 0); /* not a rule field */
    /* Written back as a pack spells it. */
    json_t *o = json_object();
    assert_int_equal(mp_city_rule_json(hole, o), MP_OK);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"rule\":\"point\",\"radius_m\":22,\"along_m\":0,"
                              "\"address_span\":12,\"address_side\":true,\"window_days\":9,"
                              "\"fixed_absorb_days\":0}");
    free(text);
    json_decref(o);
    /* A bad value changes nothing of that category and says which. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"categories\": [{\"code\": \"pothole\", \"radius_m\": 1, \"rule\": \"zigzag\"}]}", f);
    fclose(f);
    assert_int_equal(mp_city_apply_rules(c, path, &n, &err), MP_EINVAL);
    assert_string_equal(err.text, "category pothole: unknown rule (point, street or address)");
    assert_near(hole->radius_m, 22, 0);
    assert_int_equal(mp_city_apply_rules(c, "/nonexistent/rules.json", &n, &err), MP_EINVAL);
    assert_non_null(strstr(err.text, "/nonexistent/rules.json"));
    assert_int_equal(unlink(path), 0);
    mp_city_free(c);
    pack_remove(&p);
}

static void test_no_categories(void **state)
{
    (void)state;
    struct pack p;
    pack_make(&p);
    const char *text = "{\"categories\": []}";
    put_file(p.dir, "categories.json", text, strlen(text));
    expect_pack_error(&p, "categories");
    pack_remove(&p);
}

static void test_bad_city_json(void **state)
{
    (void)state;
    const char *drop[] = {"crs", "timezone", "name"};
    for (size_t i = 0; i < 3; i++) {
        struct pack p;
        pack_make(&p);
        json_t *root = pack_json(&p, "city.json");
        assert_int_equal(json_object_del(root, drop[i]), 0);
        pack_put_json(&p, "city.json", root);
        expect_pack_error(&p, "city.json needs");
        pack_remove(&p);
    }
    struct pack p;
    pack_make(&p);
    json_t *root = pack_json(&p, "city.json");
    assert_int_equal(json_object_del(root, "id"), 0);
    pack_put_json(&p, "city.json", root);
    expect_pack_error(&p, "city id");
    pack_remove(&p);

    const char *bad_days[] = {"2021-02-30", "2021-13-01", "Christmas"};
    for (size_t i = 0; i < 3; i++) {
        pack_make(&p);
        root = pack_json(&p, "city.json");
        json_array_append_new(json_object_get(root, "holidays"), json_string(bad_days[i]));
        pack_put_json(&p, "city.json", root);
        expect_pack_error(&p, "holiday");
        pack_remove(&p);
    }
}

static void test_bad_districts(void **state)
{
    (void)state;
    struct pack p;
    pack_make(&p);
    json_t *root = pack_json(&p, "districts.geojson");
    json_t *f = json_array_get(json_object_get(root, "features"), 10);
    json_object_del(json_object_get(f, "properties"), "code");
    pack_put_json(&p, "districts.geojson", root);
    expect_pack_error(&p, "district code");
    pack_remove(&p);

    pack_make(&p);
    root = pack_json(&p, "districts.geojson");
    json_array_clear(json_object_get(root, "features"));
    pack_put_json(&p, "districts.geojson", root);
    expect_pack_error(&p, "no features");
    pack_remove(&p);

    /* A broken geometry fails with the geometry's own code. */
    pack_make(&p);
    root = pack_json(&p, "districts.geojson");
    f = json_array_get(json_object_get(root, "features"), 0);
    json_object_set_new(json_object_get(f, "geometry"), "type", json_string("Point"));
    pack_put_json(&p, "districts.geojson", root);
    struct mp_city *c = NULL;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_city_load(p.dir, &c, &err), MP_EINVAL);
    assert_null(c);
    assert_true(strlen(err.text) > 0);
    pack_remove(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_category_sources),
        cmocka_unit_test(test_public_categories_json),
        cmocka_unit_test(test_districts),
        cmocka_unit_test(test_in_area),
        cmocka_unit_test(test_holidays_and_workdays),
        cmocka_unit_test(test_set_tiles),
        cmocka_unit_test(test_copy_loads),
        cmocka_unit_test(test_missing_folder),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_duplicate_json_key),
        cmocka_unit_test(test_duplicate_category),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_apply_rules),
        cmocka_unit_test(test_no_categories),
        cmocka_unit_test(test_bad_city_json),
        cmocka_unit_test(test_bad_districts),
    };
    return cmocka_run_group_tests_name("city", tests, setup_chicago, teardown_chicago);
}
