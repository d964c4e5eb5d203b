/* test_geojson.c - RFC 7946 encoding of reports and clusters: golden files
 * (tests/golden/<case>/{input.json,expected.geojson}, compared byte for
 * byte), plus checks on every output: valid JSON, [lon, lat] order, and no
 * contact data in public features. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "meldpunt/geojson.h"

#define MAX_CASES 64

static struct mp_city *city;

static const char *source_dir(void)
{
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    if (!src || !*src)
        fail_msg("MELDPUNT_SOURCE_DIR is not set (CTest sets it)");
    return src;
}

static int setup(void **state)
{
    (void)state;
    const char *dir = fx_chicago_dir();
    struct mp_error err = {{0}, {0}};
    if (!dir)
        return -1;
    if (mp_city_load(dir, &city, &err) != MP_OK) {
        fprintf(stderr, "cannot load %s: %s\n", dir, err.text);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mp_city_free(city);
    city = NULL;
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *d = NULL;
    long n;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (d = malloc((size_t)n + 1)) != NULL) {
        if (fread(d, 1, (size_t)n, f) != (size_t)n) {
            free(d);
            d = NULL;
        } else {
            d[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return d;
}

static const char *str_or_null(const json_t *row, const char *key)
{
    return json_string_value(json_object_get(row, key)); /* NULL for null or missing */
}

static int64_t int_of(const json_t *row, const char *key)
{
    const json_t *v = json_object_get(row, key);
    if (!json_is_integer(v))
        fail_msg("row.%s must be an integer", key);
    return (int64_t)json_integer_value(v);
}

static double num_of(const json_t *row, const char *key)
{
    const json_t *v = json_object_get(row, key);
    if (!json_is_number(v))
        fail_msg("row.%s must be a number", key);
    return json_number_value(v);
}

static void report_row_from(const json_t *j, struct mp_report_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = int_of(j, "id");
    r->cluster_id = int_of(j, "cluster_id");
    r->created_at = int_of(j, "created_at");
    r->updated_at = int_of(j, "updated_at");
    r->cluster_count = int_of(j, "cluster_count");
    r->category = str_or_null(j, "category");
    r->description = str_or_null(j, "description");
    r->address = str_or_null(j, "address");
    r->location = str_or_null(j, "location");
    r->channel = str_or_null(j, "channel");
    r->status = str_or_null(j, "status");
    r->district = str_or_null(j, "district");
    r->external_id = str_or_null(j, "external_id");
    r->contact_name = str_or_null(j, "contact_name");
    r->contact_email = str_or_null(j, "contact_email");
    r->contact_phone = str_or_null(j, "contact_phone");
    r->join_reason = str_or_null(j, "join_reason");
    r->lon = num_of(j, "lon");
    r->lat = num_of(j, "lat");
    r->has_photo = json_is_true(json_object_get(j, "has_photo"));
}

static void cluster_row_from(const json_t *j, struct mp_cluster_row *c)
{
    memset(c, 0, sizeof *c);
    c->id = int_of(j, "id");
    c->report_count = int_of(j, "report_count");
    c->first_at = int_of(j, "first_at");
    c->last_at = int_of(j, "last_at");
    c->created_at = int_of(j, "created_at");
    c->updated_at = int_of(j, "updated_at");
    c->category = str_or_null(j, "category");
    c->status = str_or_null(j, "status");
    c->district = str_or_null(j, "district");
    c->location = str_or_null(j, "location");
    c->lon = num_of(j, "lon");
    c->lat = num_of(j, "lat");
}

static bool contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* Checks every encoded feature must pass, whatever the case. */
static void check_feature(const char *name, const char *text, size_t len, double lon, double lat,
                          const char *const *secrets, size_t nsecrets, bool with_private)
{
    json_error_t je;
    json_t *f = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!f)
        fail_msg("%s: output is not JSON (%s at %d): %s", name, je.text, je.position, text);
    assert_string_equal(json_string_value(json_object_get(f, "type")), "Feature");
    const json_t *g = json_object_get(f, "geometry");
    assert_string_equal(json_string_value(json_object_get(g, "type")), "Point");
    const json_t *xy = json_object_get(g, "coordinates");
    assert_int_equal(json_array_size(xy), 2);
    /* RFC 7946: longitude first. 7 decimals: within half a unit of 1e-7. */
    double x = json_number_value(json_array_get(xy, 0)), y = json_number_value(json_array_get(xy, 1));
    if (!(fabs(x - lon) <= 5.1e-8 && fabs(y - lat) <= 5.1e-8))
        fail_msg("%s: coordinates [%.9f,%.9f], row lon %.9f lat %.9f", name, x, y, lon, lat);
    const json_t *props = json_object_get(f, "properties");
    assert_true(json_is_object(props));
    assert_true(json_equal(json_object_get(f, "id"), json_object_get(props, "id")));
    if (!with_private) {
        assert_null(json_object_get(props, "contact"));
        assert_null(json_object_get(props, "contact_name"));
        assert_null(json_object_get(props, "contact_email"));
        assert_null(json_object_get(props, "contact_phone"));
        assert_null(json_object_get(props, "external_id"));
        assert_null(json_object_get(props, "join_reason"));
        for (size_t i = 0; i < nsecrets; i++)
            if (secrets[i] && contains(text, len, secrets[i]))
                fail_msg("%s: public output contains \"%s\"", name, secrets[i]);
    }
    json_decref(f);
}

static bool run_case(const char *dir, const char *name)
{
    char path[1400];
    size_t in_len = 0, want_len = 0;
    snprintf(path, sizeof path, "%s/%s/input.json", dir, name);
    char *in = slurp(path, &in_len);
    if (!in)
        fail_msg("%s: cannot read %s", name, path);
    snprintf(path, sizeof path, "%s/%s/expected.geojson", dir, name);
    char *want = slurp(path, &want_len);
    if (!want)
        fail_msg("%s: cannot read %s", name, path);
    json_error_t je;
    json_t *root = json_loadb(in, in_len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        fail_msg("%s: input.json: %s", name, je.text);
    const char *enc = str_or_null(root, "encoder");
    const json_t *row = json_object_get(root, "row");
    bool with_private = json_is_true(json_object_get(root, "with_private"));
    assert_non_null(enc);
    assert_true(json_is_object(row));

    struct mp_buf b;
    mp_buf_init(&b, 0);
    double lon = 0, lat = 0;
    const char *secrets[3] = {NULL, NULL, NULL};
    if (strcmp(enc, "report_feature") == 0) {
        struct mp_report_row r;
        report_row_from(row, &r);
        mp_geojson_report_feature(&b, city, &r, with_private ? mp_geojson_report_private : NULL, &r);
        lon = r.lon;
        lat = r.lat;
        secrets[0] = r.contact_name;
        secrets[1] = r.contact_email;
        secrets[2] = r.contact_phone;
    } else if (strcmp(enc, "cluster_feature") == 0) {
        struct mp_cluster_row c;
        cluster_row_from(row, &c);
        mp_geojson_cluster_feature(&b, city, &c, NULL, NULL);
        lon = c.lon;
        lat = c.lat;
    } else {
        fail_msg("%s: unknown encoder %s", name, enc);
    }
    assert_false(b.failed);
    bool same = b.len == want_len && memcmp(b.data, want, want_len) == 0;
    if (!same) {
        size_t i = 0;
        while (i < b.len && i < want_len && b.data[i] == want[i])
            i++;
        print_error("%s: output differs from expected.geojson at byte %zu\n"
                    "  expected: %s\n  actual:   %s\n",
                    name, i, want, b.data);
    } else {
        check_feature(name, b.data, b.len, lon, lat, secrets, 3, with_private);
    }
    mp_buf_free(&b);
    json_decref(root);
    free(in);
    free(want);
    return same;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden_cases(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/golden", source_dir());
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    char *names[MAX_CASES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char probe[1400];
        if (e->d_name[0] == '.')
            continue;
        snprintf(probe, sizeof probe, "%s/%s/input.json", dir, e->d_name);
        FILE *f = fopen(probe, "rb");
        if (!f)
            continue; /* README and the like */
        fclose(f);
        assert_true(n < MAX_CASES);
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    /* The cases the suite promises: a public report, a staff report, a cluster. */
    bool have_public = false, have_private = false, have_cluster = false;
    for (size_t i = 0; i < n; i++) {
        have_public |= strcmp(names[i], "report_feature") == 0;
        have_private |= strcmp(names[i], "report_feature_private") == 0;
        have_cluster |= strcmp(names[i], "cluster_feature") == 0;
    }
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = run_case(dir, names[i]);
        print_message("golden: %s %s\n", names[i], ok ? "ok" : "FAILED");
        failed += !ok;
        free(names[i]);
    }
    assert_int_equal(failed, 0);
    assert_true(have_public && have_private && have_cluster);
    assert_true(n >= 3);
}

/* ---- beyond the golden files ---- */

static struct mp_report_row sample_report(void)
{
    struct mp_report_row r;
    memset(&r, 0, sizeof r);
    r.id = 41;
    r.cluster_id = 40;
    r.created_at = 1622548800;
    r.updated_at = 1622548800;
    r.cluster_count = 1;
    r.category = "graffiti";
    r.description = "Tags; reach me on +32 470 12 34 56 or a.b@c.org";
    r.address = "mail a.b@c.org";
    r.channel = "web";
    r.status = "new";
    r.district = "32";
    r.contact_name = "Secret Name";
    r.contact_email = "secret@example.org";
    r.contact_phone = "773-555-0199";
    r.external_id = "EXT-1";
    r.join_reason = "{\"kind\":\"new\"}";
    r.lon = -87.6298;
    r.lat = 41.8781;
    return r;
}

static void test_public_report_hides_contacts(void **state)
{
    (void)state;
    struct mp_report_row r = sample_report();
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_geojson_report_feature(&b, city, &r, NULL, NULL);
    assert_false(b.failed);
    const char *secrets[] = {"Secret Name", "secret@example.org", "773-555-0199", "a.b@c.org",
                             "470 12 34 56"};
    check_feature("public", b.data, b.len, r.lon, r.lat, secrets, 5, false);
    assert_non_null(strstr(b.data, "\"address\":\"mail [hidden]\""));
    mp_buf_free(&b);

    /* The props alone (used by listings) follow the same rule. */
    mp_buf_init(&b, 0);
    mp_geojson_report_props(&b, city, &r, NULL, NULL);
    assert_false(b.failed);
    json_error_t je;
    json_t *p = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(p);
    assert_null(json_object_get(p, "contact"));
    assert_null(strstr(b.data, "secret"));
    assert_string_equal(json_string_value(json_object_get(p, "description")),
                        "Tags; reach me on [hidden] or [hidden]");
    json_decref(p);
    mp_buf_free(&b);
}

static void test_private_report_in_a_collection(void **state)
{
    (void)state;
    /* The private members go inside the properties object; inside a larger
     * body the text before it must stay intact. */
    struct mp_report_row r = sample_report();
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_adds(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    mp_geojson_report_feature(&b, city, &r, mp_geojson_report_private, &r);
    mp_buf_addc(&b, ',');
    r.id = 42;
    mp_geojson_report_feature(&b, city, &r, NULL, NULL);
    mp_buf_adds(&b, "]}");
    assert_false(b.failed);
    json_error_t je;
    json_t *fc = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
    if (!fc)
        fail_msg("not JSON: %s: %s", je.text, b.data);
    json_t *f0 = json_array_get(json_object_get(fc, "features"), 0);
    json_t *f1 = json_array_get(json_object_get(fc, "features"), 1);
    json_t *c = json_object_get(json_object_get(f0, "properties"), "contact");
    assert_string_equal(json_string_value(json_object_get(c, "email")), "secret@example.org");
    assert_string_equal(json_string_value(json_object_get(c, "phone")), "773-555-0199");
    assert_string_equal(json_string_value(json_object_get(c, "name")), "Secret Name");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(f0, "properties"),
                                                          "join_reason"),
                                          "kind")),
        "new");
    assert_null(json_object_get(json_object_get(f1, "properties"), "contact"));
    json_decref(fc);
    mp_buf_free(&b);
}

static void add_members(struct mp_buf *b, const void *arg)
{
    mp_buf_adds(b, ",\"members\":");
    mp_buf_adds(b, arg);
}

static void test_cluster_extra_members(void **state)
{
    (void)state;
    struct mp_cluster_row c;
    memset(&c, 0, sizeof c);
    c.id = 3;
    c.report_count = 2;
    c.category = "rodent";
    c.status = "new";
    c.district = "32";
    c.lon = -87.6298;
    c.lat = 41.8781;
    struct mp_buf closed, open;
    mp_buf_init(&closed, 0);
    mp_buf_init(&open, 0);
    mp_geojson_cluster_feature(&closed, city, &c, NULL, NULL);
    mp_geojson_cluster_feature(&open, city, &c, add_members, "[]");
    /* The extra members go just before the closing "}}", nothing else moves. */
    const char *added = ",\"members\":[]}}";
    assert_int_equal(open.len, closed.len + strlen(added) - 2);
    assert_memory_equal(open.data, closed.data, closed.len - 2);
    assert_string_equal(closed.data + closed.len - 2, "}}");
    assert_string_equal(open.data + closed.len - 2, added);
    json_error_t je;
    json_t *j = json_loadb(open.data, open.len, 0, &je);
    assert_non_null(j);
    assert_true(json_is_array(json_object_get(json_object_get(j, "properties"), "members")));
    json_decref(j);
    /* A report's properties and feature take extra members the same way. */
    struct mp_report_row r = sample_report();
    mp_buf_reset(&closed);
    mp_buf_reset(&open);
    mp_geojson_report_props(&closed, city, &r, NULL, NULL);
    mp_geojson_report_props(&open, city, &r, add_members, "[1]");
    assert_memory_equal(open.data, closed.data, closed.len - 1);
    assert_string_equal(open.data + closed.len - 1, ",\"members\":[1]}");
    mp_buf_reset(&closed);
    mp_buf_reset(&open);
    mp_geojson_report_feature(&closed, city, &r, NULL, NULL);
    mp_geojson_report_feature(&open, city, &r, add_members, "[2]");
    assert_memory_equal(open.data, closed.data, closed.len - 2);
    assert_string_equal(open.data + closed.len - 2, ",\"members\":[2]}}");
    mp_buf_free(&closed);
    mp_buf_free(&open);
}

static void test_district_object(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_geojson_district(&b, city, "76");
    assert_string_equal(b.data, "{\"code\":\"76\",\"name\":\"O'Hare\"}");
    mp_buf_reset(&b);
    mp_geojson_district(&b, city, "nope");
    assert_string_equal(b.data, "null");
    mp_buf_reset(&b);
    mp_geojson_district(&b, city, NULL);
    assert_string_equal(b.data, "null");
    mp_buf_free(&b);
}

static void test_bounded_buffer_fails_cleanly(void **state)
{
    (void)state;
    /* A body bound smaller than the feature: the buffer reports failure
     * instead of writing a truncated feature. */
    struct mp_report_row r = sample_report();
    const size_t bounds[] = {100, 10};
    for (size_t i = 0; i < 2; i++) {
        for (int priv = 0; priv < 2; priv++) {
            struct mp_buf b;
            mp_buf_init(&b, bounds[i]);
            mp_geojson_report_feature(&b, city, &r, priv ? mp_geojson_report_private : NULL, &r);
            bool failed = b.failed;
            size_t len = b.len;
            enum mp_status st = mp_buf_status(&b);
            mp_buf_free(&b);
            if (len > bounds[i])
                print_error("bound %zu, with_private %d: len %zu\n", bounds[i], priv, len);
            assert_true(failed);
            assert_int_not_equal(st, MP_OK);
            assert_true(len <= bounds[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases),
        cmocka_unit_test(test_public_report_hides_contacts),
        cmocka_unit_test(test_private_report_in_a_collection),
        cmocka_unit_test(test_cluster_extra_members),
        cmocka_unit_test(test_district_object),
        cmocka_unit_test(test_bounded_buffer_fails_cleanly),
    };
    return cmocka_run_group_tests_name("geojson", tests, setup, teardown);
}
