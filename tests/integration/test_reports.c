/* test_reports.c - the public read and write API of a live server: create a
 * report, duplicate folding, GeoJSON listings with paging and filters,
 * clusters, the city pack's layers, and the privacy of contact details. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

/* The whole demo city fits in one bbox (city.json: -87.94,41.64,-87.52,42.02). */
#define CITY_BBOX "-87.95,41.64,-87.52,42.03"

/* 800 N State St (a north-south street): a point on a real street, so that
 * the street-aware rule of potholes applies as it would for a citizen. */
#define STATE_LAT 41.8966852
#define STATE_LON -87.6282051
/* One metre of latitude in degrees. */
#define M_LAT (1.0 / 111320.0)

static char demo_db[600]; /* template database with the demo import */
static char group_dir[512];

static int group_setup(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    it_tmpdir(group_dir, sizeof group_dir);
    it_db_make(group_dir, "demo", demo_db, sizeof demo_db);
    int rc = it_import(demo_db, it_demo_csv(), &out, &err);
    if (rc != 0)
        fail_msg("demo import failed (%d): %s %s", rc, out, err);
    free(out);
    free(err);
    return 0;
}

/* One server on a copy of the demo database serves every read-only test. */
static struct it_fixture demo;

static int group_teardown(void **state)
{
    (void)state;
    int rc = demo.s.pid ? it_server_stop(&demo.s) : 0;
    if (demo.s.dir[0])
        it_server_cleanup(&demo.s);
    it_db_drop(demo_db);
    it_rmrf(group_dir);
    assert_int_equal(rc, 0);
    return 0;
}

static int setup_demo(void **state)
{
    if (!demo.s.pid) {
        it_server_init(&demo.s);
        it_server_copy_db(&demo.s, demo_db);
        it_server_start(&demo.s);
    }
    *state = &demo;
    return 0;
}

static int teardown_demo(void **state)
{
    (void)state;
    it_server_check_log(&demo.s);
    return 0;
}

/* ---- helpers ---- */

/* The integration executables do not link libm: small stand-ins. */
static double round7(double v)
{
    return (double)(long long)(v * 1e7 + (v >= 0 ? 0.5 : -0.5)) / 1e7;
}
static double dabs(double v) { return v < 0 ? -v : v; }
static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }

/* Every number after "coordinates": and every "lat"/"lon" member in the raw
 * bytes has at most 7 decimals and no exponent: what a client sees, not
 * what jansson rounds it to. */
static void assert_coords_7_decimals(const struct it_response *r)
{
    static const char *const keys[] = {"\"coordinates\":", "\"lat\":", "\"lon\":"};
    size_t checked = 0;
    for (size_t k = 0; k < 3; k++) {
        const char *p = r->body;
        while ((p = strstr(p, keys[k]))) {
            p += strlen(keys[k]);
            int depth = 0;
            /* a number, or a bracketed list of numbers */
            do {
                if (*p == '[')
                    depth++;
                else if (*p == ']')
                    depth--;
                if (*p == '-' || (*p >= '0' && *p <= '9')) {
                    const char *s = p;
                    while (*p == '-' || (*p >= '0' && *p <= '9'))
                        p++;
                    size_t decimals = 0;
                    if (*p == '.')
                        for (p++; *p >= '0' && *p <= '9'; p++)
                            decimals++;
                    if (decimals > 7 || *p == 'e' || *p == 'E')
                        fail_msg("coordinate with more than 7 decimals: %.30s", s);
                    checked++;
                    continue;
                }
                if (*p == 'n') /* null */
                    break;
                p++;
            } while (*p && depth > 0);
        }
    }
    assert_true(checked > 0);
}

/* All features of one listing page; the caller owns the result. */
static json_t *features(json_t *fc)
{
    assert_string_equal(it_jstr(fc, "type"), "FeatureCollection");
    json_t *f = json_object_get(fc, "features");
    assert_true(json_is_array(f));
    assert_int_equal(it_jint(fc, "count"), json_array_size(f));
    return f;
}

/* ---- tests ---- */

static void test_create_and_get(void **state)
{
    struct it_fixture *f = *state;
    struct it_response r;
    /* Eleven decimals in, seven out. */
    const char *body = "{\"category\":\"pothole\",\"lat\":41.89668523456,\"lon\":-87.62820514321,"
                       "\"description\":\"Deep hole near the bus stop\","
                       "\"address\":\"800 N State St\"}";
    it_post_json(&f->s, "/api/v1/reports", body, &r);
    assert_int_equal(r.status, 201);
    char ct[128], loc[128];
    assert_true(it_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/json");
    assert_true(it_header(&r, "Location", loc, sizeof loc));
    json_t *j = it_json(&r);
    int64_t id = it_jint(j, "report.id"), cid = it_jint(j, "cluster.id");
    assert_true(id > 0);
    assert_true(cid > 0);
    char want[128];
    snprintf(want, sizeof want, "/api/v1/reports/%lld", (long long)id);
    assert_string_equal(loc, want);
    assert_string_equal(it_jstr(j, "report.category"), "pothole");
    assert_string_equal(it_jstr(j, "report.status"), "new");
    assert_string_equal(it_jstr(j, "report.description"), "Deep hole near the bus stop");
    assert_string_equal(it_jstr(j, "report.channel"), "web");
    assert_int_equal(it_jint(j, "report.cluster_id"), cid);
    assert_int_equal(it_jint(j, "cluster.report_count"), 1);
    assert_int_equal(it_jint(j, "report.report_count"), 1);
    assert_string_equal(it_jstr(j, "cluster.status"), "new");
    assert_true(json_is_false(json_object_get(j, "joined")));
    assert_true(it_body_has(&r, "\"lat\":41.8966852,"));
    assert_true(it_body_has(&r, "\"lon\":-87.6282051"));
    assert_coords_7_decimals(&r);
    /* A fresh report is dated now (UTC, with Z). */
    int64_t created = it_parse_utc(it_jstr(j, "report.created_at"));
    assert_true(created > 0);
    assert_true(llabs(created - (int64_t)time(NULL)) < 300);
    assert_string_equal(it_jstr(j, "report.district.name"), "Near North Side");
    json_decref(j);
    it_response_free(&r);

    /* Read it back where Location says. */
    it_get(&f->s, loc, &r);
    assert_int_equal(r.status, 200);
    assert_true(it_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/geo+json");
    j = it_json(&r);
    assert_string_equal(it_jstr(j, "type"), "Feature");
    assert_int_equal(it_jint(j, "id"), id);
    assert_string_equal(it_jstr(j, "geometry.type"), "Point");
    /* RFC 7946: longitude first. */
    assert_true(it_jnum(j, "geometry.coordinates.0") == -87.6282051);
    assert_true(it_jnum(j, "geometry.coordinates.1") == 41.8966852);
    assert_true(it_body_has(&r, "\"coordinates\":[-87.6282051,41.8966852]"));
    assert_int_equal(it_jint(j, "properties.id"), id);
    assert_int_equal(it_jint(j, "properties.cluster_id"), cid);
    assert_string_equal(it_jstr(j, "properties.address"), "800 N State St");
    json_t *hist = it_jpath(j, "properties.history");
    assert_true(json_is_array(hist));
    assert_int_equal(json_array_size(hist), 1);
    assert_string_equal(it_jstr(hist, "0.status"), "new");
    assert_coords_7_decimals(&r);
    json_decref(j);
    it_response_free(&r);

    /* HEAD answers like GET without a body. */
    it_http(&f->s, "HEAD", loc, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    it_response_free(&r);

    /* The health check counts it. */
    j = it_get_json(&f->s, "/healthz");
    assert_string_equal(it_jstr(j, "status"), "ok");
    assert_int_equal(it_jint(j, "reports"), 1);
    assert_int_equal(it_jint(j, "clusters"), 1);
    json_decref(j);
}

static void test_nearby_report_joins(void **state)
{
    struct it_fixture *f = *state;
    json_t *a = it_post_report(&f->s, "pothole", STATE_LAT, STATE_LON, NULL);
    /* 10 m further north on the same street. */
    json_t *b = it_post_report(&f->s, "pothole", STATE_LAT + 10 * M_LAT, STATE_LON, NULL);
    int64_t cid = it_jint(a, "cluster.id");
    assert_true(json_is_true(json_object_get(b, "joined")));
    assert_int_equal(it_jint(b, "cluster.id"), cid);
    assert_int_equal(it_jint(b, "cluster.report_count"), 2);
    double d = it_jnum(b, "distance_m");
    assert_true(d > 8.5 && d < 11.5);
    assert_true(it_jint(b, "report.id") != it_jint(a, "report.id"));

    /* Another category at the same spot is another problem. */
    json_t *g = it_post_report(&f->s, "graffiti", STATE_LAT, STATE_LON, NULL);
    assert_true(json_is_false(json_object_get(g, "joined")));
    assert_true(it_jint(g, "cluster.id") != cid);
    assert_int_equal(it_jint(g, "cluster.report_count"), 1);
    /* The same category 500 m away is another pothole. */
    json_t *far = it_post_report(&f->s, "pothole", STATE_LAT + 500 * M_LAT, STATE_LON, NULL);
    assert_true(json_is_false(json_object_get(far, "joined")));
    assert_true(it_jint(far, "cluster.id") != cid);

    /* The first report now shows the cluster's count. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)it_jint(a, "report.id"));
    json_t *ra = it_get_json(&f->s, path);
    assert_int_equal(it_jint(ra, "properties.report_count"), 2);
    assert_int_equal(it_jint(ra, "properties.cluster_id"), cid);

    /* The cluster: its centre, count, times, members and history. */
    snprintf(path, sizeof path, "/api/v1/clusters/%lld", (long long)cid);
    struct it_response r;
    it_get(&f->s, path, &r);
    assert_int_equal(r.status, 200);
    assert_coords_7_decimals(&r);
    json_t *c = it_json(&r);
    it_response_free(&r);
    assert_string_equal(it_jstr(c, "type"), "Feature");
    assert_int_equal(it_jint(c, "id"), cid);
    assert_string_equal(it_jstr(c, "geometry.type"), "Point");
    double clon = it_jnum(c, "geometry.coordinates.0"), clat = it_jnum(c, "geometry.coordinates.1");
    /* The centre lies between its two members (0.5 m slack for rounding). */
    assert_true(dabs(clon - STATE_LON) < 1e-5);
    assert_true(clat > STATE_LAT - 0.5 * M_LAT && clat < STATE_LAT + 10.5 * M_LAT);
    assert_int_equal(it_jint(c, "properties.report_count"), 2);
    assert_string_equal(it_jstr(c, "properties.category"), "pothole");
    assert_string_equal(it_jstr(c, "properties.status"), "new");
    json_t *members = it_jpath(c, "properties.reports");
    assert_true(json_is_array(members));
    assert_int_equal(json_array_size(members), 2);
    assert_int_equal(it_jint(members, "0.id"), it_jint(a, "report.id"));
    assert_int_equal(it_jint(members, "1.id"), it_jint(b, "report.id"));
    assert_int_equal(it_jint(members, "1.cluster_id"), cid);
    int64_t first = it_parse_utc(it_jstr(c, "properties.first_at"));
    int64_t last = it_parse_utc(it_jstr(c, "properties.last_at"));
    assert_true(first > 0 && first <= last);
    assert_int_equal(first, it_parse_utc(it_jstr(members, "0.created_at")));
    assert_int_equal(last, it_parse_utc(it_jstr(members, "1.created_at")));
    json_t *hist = it_jpath(c, "properties.history");
    assert_true(json_is_array(hist));
    assert_true(json_array_size(hist) >= 1);
    assert_string_equal(it_jstr(hist, "0.status"), "new");

    /* The cluster listing shows the same cluster with two reports. */
    json_t *fc = it_get_json(&f->s, "/api/v1/clusters?bbox=" CITY_BBOX);
    json_t *feats = features(fc);
    assert_int_equal(json_array_size(feats), 3);
    size_t i;
    json_t *feat;
    bool seen = false;
    json_array_foreach(feats, i, feat)
    {
        if (it_jint(feat, "id") != cid)
            continue;
        seen = true;
        assert_int_equal(it_jint(feat, "properties.report_count"), 2);
        assert_true(it_jnum(feat, "geometry.coordinates.0") == clon);
        assert_true(it_jnum(feat, "geometry.coordinates.1") == clat);
    }
    assert_true(seen);
    json_decref(fc);
    json_decref(c);
    json_decref(ra);
    json_decref(far);
    json_decref(g);
    json_decref(b);
    json_decref(a);
}

static void test_list_bbox_geojson(void **state)
{
    struct it_fixture *f = *state;
    /* Three far-apart reports with more decimals than the output keeps. */
    static const double pts[3][2] = {
        {41.881234567891, -87.631234567891},
        {41.951111111149, -87.701111111151},
        {41.751999999951, -87.611999999951},
    };
    int64_t ids[3];
    for (int k = 0; k < 3; k++) {
        json_t *j = it_post_report(&f->s, "graffiti", pts[k][0], pts[k][1], NULL);
        ids[k] = it_jint(j, "report.id");
        json_decref(j);
    }
    struct it_response r;
    it_get(&f->s, "/api/v1/reports?bbox=" CITY_BBOX, &r);
    assert_int_equal(r.status, 200);
    char ct[64];
    assert_true(it_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/geo+json");
    assert_coords_7_decimals(&r);
    /* %.7f of the input, longitude first. */
    assert_true(it_body_has(&r, "\"coordinates\":[-87.6312346,41.8812346]"));
    assert_true(it_body_has(&r, "\"coordinates\":[-87.7011111,41.9511111]"));
    assert_true(it_body_has(&r, "\"coordinates\":[-87.612,41.752]"));
    json_t *fc = it_json(&r);
    it_response_free(&r);
    json_t *feats = features(fc);
    assert_int_equal(json_array_size(feats), 3);
    assert_true(json_is_null(json_object_get(fc, "next_cursor")));
    for (int k = 0; k < 3; k++) {
        json_t *ft = json_array_get(feats, (size_t)k);
        assert_string_equal(it_jstr(ft, "type"), "Feature");
        assert_int_equal(it_jint(ft, "id"), ids[k]);
        assert_string_equal(it_jstr(ft, "geometry.type"), "Point");
        assert_true(it_jnum(ft, "geometry.coordinates.0") == round7(pts[k][1]));
        assert_true(it_jnum(ft, "geometry.coordinates.1") == round7(pts[k][0]));
        assert_string_equal(it_jstr(ft, "properties.category"), "graffiti");
    }
    json_decref(fc);

    /* A bbox around the first point only. */
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=-87.64,41.87,-87.62,41.89");
    feats = features(fc);
    assert_int_equal(json_array_size(feats), 1);
    assert_int_equal(it_jint(feats, "0.id"), ids[0]);
    json_decref(fc);
    /* A bbox with none of them (west of the city). */
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=-89,41,-88,42");
    assert_int_equal(json_array_size(features(fc)), 0);
    json_decref(fc);
}

/* All ids of a listing, following next_cursor; asserts page sizes. */
static json_t *walk_pages(const struct it_server *s, const char *query, size_t limit,
                          size_t *pages)
{
    json_t *all = json_array();
    char cursor[256] = "";
    *pages = 0;
    for (;;) {
        char path[1024];
        snprintf(path, sizeof path, "/api/v1/reports?%s&limit=%zu%s%s", query, limit,
                 cursor[0] ? "&cursor=" : "", cursor);
        json_t *fc = it_get_json(s, path);
        json_t *feats = features(fc);
        size_t i;
        json_t *ft;
        json_array_foreach(feats, i, ft)
        {
            json_array_append_new(all, json_integer(it_jint(ft, "id")));
        }
        ++*pages;
        json_t *next = json_object_get(fc, "next_cursor");
        if (json_is_null(next)) {
            assert_true(json_array_size(feats) <= limit);
            json_decref(fc);
            break;
        }
        /* Only full pages announce a next one. */
        assert_int_equal(json_array_size(feats), limit);
        assert_true(json_is_string(next));
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(fc);
        assert_true(*pages < 1000);
    }
    return all;
}

static void assert_same_ids(json_t *a, json_t *b)
{
    assert_int_equal(json_array_size(a), json_array_size(b));
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_integer_value(json_array_get(a, i)) != json_integer_value(json_array_get(b, i)))
            fail_msg("listing differs at position %zu: %lld vs %lld", i,
                     (long long)json_integer_value(json_array_get(a, i)),
                     (long long)json_integer_value(json_array_get(b, i)));
}

static void test_paging(void **state)
{
    struct it_fixture *f = *state;
    json_t *h = it_get_json(&f->s, "/healthz");
    int64_t total = it_jint(h, "reports");
    json_decref(h);
    assert_true(total > 500); /* the demo import */

    size_t pages;
    json_t *whole = walk_pages(&f->s, "bbox=" CITY_BBOX, 5000, &pages);
    assert_int_equal(pages, 1);
    /* Every demo report lies inside the city. */
    assert_int_equal(json_array_size(whole), total);
    /* Ascending ids, no duplicates. */
    for (size_t i = 1; i < json_array_size(whole); i++)
        assert_true(json_integer_value(json_array_get(whole, i - 1)) <
                    json_integer_value(json_array_get(whole, i)));

    json_t *paged = walk_pages(&f->s, "bbox=" CITY_BBOX, 97, &pages);
    assert_int_equal(pages, (size_t)(total + 96) / 97);
    assert_same_ids(whole, paged);
    json_decref(paged);

    /* Without a bbox too. */
    paged = walk_pages(&f->s, "status=open,resolved", 250, &pages);
    assert_same_ids(whole, paged);
    json_decref(paged);

    /* Paging inside a filter: the same ids as the filter in one page. */
    json_t *one = walk_pages(&f->s, "bbox=" CITY_BBOX "&category=street_light_out", 5000, &pages);
    assert_true(json_array_size(one) > 7);
    json_t *many = walk_pages(&f->s, "bbox=" CITY_BBOX "&category=street_light_out", 7, &pages);
    assert_true(pages >= 2);
    assert_same_ids(one, many);
    json_decref(many);
    json_decref(one);

    /* A page that ends exactly at the last report. */
    char q[64];
    snprintf(q, sizeof q, "bbox=" CITY_BBOX);
    json_t *exact = walk_pages(&f->s, q, (size_t)total, &pages);
    assert_int_equal(pages, 1);
    assert_same_ids(whole, exact);
    json_decref(exact);
    json_decref(whole);
}

/* The full demo listing, for filters to be checked against. */
static json_t *full_listing(const struct it_server *s)
{
    json_t *fc = it_get_json(s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000");
    assert_true(json_is_null(json_object_get(fc, "next_cursor")));
    return fc;
}

static bool status_open(const char *st)
{
    static const char *const open[] = {"new", "acknowledged", "scheduled", "reopened",
                                       "in_progress"};
    for (size_t i = 0; i < 5; i++)
        if (strcmp(st, open[i]) == 0)
            return true;
    return false;
}

static void test_filters(void **state)
{
    struct it_fixture *f = *state;
    json_t *full = full_listing(&f->s);
    json_t *all = features(full);
    size_t i;
    json_t *ft;

    /* category: exactly the members of the full listing with that category. */
    static const char *const cats[] = {"street_light_out", "graffiti", "pothole",
                                       "traffic_signal_out"};
    for (size_t c = 0; c < 4; c++) {
        size_t want = 0;
        json_array_foreach(all, i, ft)
        {
            want += strcmp(it_jstr(ft, "properties.category"), cats[c]) == 0;
        }
        char path[256];
        snprintf(path, sizeof path, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000&category=%s",
                 cats[c]);
        json_t *fc = it_get_json(&f->s, path);
        json_t *got = features(fc);
        assert_int_equal(json_array_size(got), want);
        json_array_foreach(got, i, ft)
        {
            assert_string_equal(it_jstr(ft, "properties.category"), cats[c]);
        }
        json_decref(fc);
    }
    /* Two categories at once. */
    {
        size_t want = 0;
        json_array_foreach(all, i, ft)
        {
            const char *c = it_jstr(ft, "properties.category");
            want += strcmp(c, "graffiti") == 0 || strcmp(c, "pothole") == 0;
        }
        json_t *fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX
                                        "&limit=5000&category=graffiti,pothole");
        assert_int_equal(json_array_size(features(fc)), want);
        assert_true(want > 0);
        json_decref(fc);
    }

    /* status: an exact status and the open family. */
    size_t n_fixed = 0, n_open = 0;
    json_array_foreach(all, i, ft)
    {
        const char *st = it_jstr(ft, "properties.status");
        n_fixed += strcmp(st, "fixed") == 0;
        n_open += status_open(st);
    }
    assert_true(n_fixed > 0 && n_open > 0);
    json_t *fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000&status=fixed");
    json_t *got = features(fc);
    assert_int_equal(json_array_size(got), n_fixed);
    json_array_foreach(got, i, ft)
    {
        assert_string_equal(it_jstr(ft, "properties.status"), "fixed");
    }
    json_decref(fc);
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000&status=open");
    got = features(fc);
    assert_int_equal(json_array_size(got), n_open);
    json_array_foreach(got, i, ft)
    {
        assert_true(status_open(it_jstr(ft, "properties.status")));
    }
    json_decref(fc);

    /* since (inclusive) and until (exclusive) on the report's creation. */
    const int64_t since = it_parse_utc("2021-01-01T12:00:00Z");
    const int64_t until = it_parse_utc("2021-01-01T18:00:00Z");
    size_t want = 0;
    json_array_foreach(all, i, ft)
    {
        int64_t t = it_parse_utc(it_jstr(ft, "properties.created_at"));
        want += t >= since && t < until;
    }
    assert_true(want > 0 && want < json_array_size(all));
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX
                            "&limit=5000&since=2021-01-01T12:00:00Z&until=2021-01-01T18:00:00Z");
    got = features(fc);
    assert_int_equal(json_array_size(got), want);
    json_array_foreach(got, i, ft)
    {
        int64_t t = it_parse_utc(it_jstr(ft, "properties.created_at"));
        assert_true(t >= since && t < until);
    }
    json_decref(fc);
    /* The same window written with a zone offset (Chicago is UTC-6 in January). */
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX
                            "&limit=5000&since=2021-01-01T06:00:00-06:00"
                            "&until=2021-01-01T12:00:00-06:00");
    assert_int_equal(json_array_size(features(fc)), want);
    json_decref(fc);
    /* A window before any report. */
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&until=2020-12-31");
    assert_int_equal(json_array_size(features(fc)), 0);
    json_decref(fc);

    /* district: the code as GET /api/v1/districts gives it (32 = Loop). */
    want = 0;
    json_array_foreach(all, i, ft)
    {
        json_t *code = it_jpath(ft, "properties.district.code");
        want += json_is_string(code) && strcmp(json_string_value(code), "32") == 0;
    }
    assert_true(want > 0);
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX "&limit=5000&district=32");
    got = features(fc);
    assert_int_equal(json_array_size(got), want);
    json_array_foreach(got, i, ft)
    {
        assert_string_equal(it_jstr(ft, "properties.district.name"), "Loop");
    }
    json_decref(fc);

    /* Filters combine (AND). */
    want = 0;
    json_array_foreach(all, i, ft)
    {
        want += strcmp(it_jstr(ft, "properties.category"), "street_light_out") == 0 &&
                strcmp(it_jstr(ft, "properties.status"), "fixed") == 0;
    }
    fc = it_get_json(&f->s, "/api/v1/reports?bbox=" CITY_BBOX
                            "&limit=5000&category=street_light_out&status=fixed");
    assert_int_equal(json_array_size(features(fc)), want);
    json_decref(fc);
    json_decref(full);
}

static void test_clusters(void **state)
{
    struct it_fixture *f = *state;
    json_t *rep = full_listing(&f->s);
    size_t nreports = json_array_size(features(rep));
    struct it_response r;
    it_get(&f->s, "/api/v1/clusters?bbox=" CITY_BBOX "&limit=5000", &r);
    assert_int_equal(r.status, 200);
    assert_coords_7_decimals(&r);
    json_t *fc = it_json(&r);
    it_response_free(&r);
    json_t *cl = features(fc);
    json_t *h = it_get_json(&f->s, "/healthz");
    assert_int_equal(json_array_size(cl), it_jint(h, "clusters"));
    json_decref(h);
    /* Every report is in exactly one cluster. */
    int64_t sum = 0, best = 0, best_n = 0;
    size_t i;
    json_t *ft;
    json_array_foreach(cl, i, ft)
    {
        int64_t n = it_jint(ft, "properties.report_count");
        assert_true(n >= 1);
        assert_int_equal(it_jint(ft, "properties.id"), it_jint(ft, "id"));
        sum += n;
        if (n > best_n) {
            best_n = n;
            best = it_jint(ft, "id");
        }
        assert_true(it_parse_utc(it_jstr(ft, "properties.first_at")) <=
                    it_parse_utc(it_jstr(ft, "properties.last_at")));
    }
    assert_int_equal(sum, nreports);
    assert_true(best_n >= 2);

    /* The biggest cluster in detail. */
    char path[512];
    snprintf(path, sizeof path, "/api/v1/clusters/%lld", (long long)best);
    it_get(&f->s, path, &r);
    assert_int_equal(r.status, 200);
    assert_coords_7_decimals(&r);
    json_t *c = it_json(&r);
    it_response_free(&r);
    assert_int_equal(it_jint(c, "id"), best);
    assert_int_equal(it_jint(c, "properties.report_count"), best_n);
    json_t *members = it_jpath(c, "properties.reports");
    assert_int_equal(json_array_size(members), best_n);
    double min_lon = 999, max_lon = -999, min_lat = 999, max_lat = -999;
    int64_t tmin = INT64_MAX, tmax = 0;
    json_array_foreach(members, i, ft)
    {
        assert_int_equal(it_jint(ft, "cluster_id"), best);
        double lon = it_jnum(ft, "lon"), lat = it_jnum(ft, "lat");
        min_lon = dmin(min_lon, lon);
        max_lon = dmax(max_lon, lon);
        min_lat = dmin(min_lat, lat);
        max_lat = dmax(max_lat, lat);
        int64_t t = it_parse_utc(it_jstr(ft, "created_at"));
        tmin = t < tmin ? t : tmin;
        tmax = t > tmax ? t : tmax;
    }
    assert_int_equal(it_parse_utc(it_jstr(c, "properties.first_at")), tmin);
    assert_int_equal(it_parse_utc(it_jstr(c, "properties.last_at")), tmax);
    /* The centre is among its members (1e-6 degrees slack). */
    double clon = it_jnum(c, "geometry.coordinates.0"), clat = it_jnum(c, "geometry.coordinates.1");
    assert_true(clon >= min_lon - 1e-6 && clon <= max_lon + 1e-6);
    assert_true(clat >= min_lat - 1e-6 && clat <= max_lat + 1e-6);
    json_t *hist = it_jpath(c, "properties.history");
    assert_true(json_is_array(hist) && json_array_size(hist) >= 1);
    assert_string_equal(it_jstr(hist, "0.status"), "new");
    json_decref(c);

    /* Cluster listing pages like the report listing. */
    json_t *ids = json_array();
    char cursor[128] = "";
    for (int page = 0; page < 100; page++) {
        snprintf(path, sizeof path, "/api/v1/clusters?bbox=" CITY_BBOX "&limit=150%s%s",
                 cursor[0] ? "&cursor=" : "", cursor);
        json_t *p = it_get_json(&f->s, path);
        json_array_foreach(features(p), i, ft)
        {
            json_array_append_new(ids, json_integer(it_jint(ft, "id")));
        }
        json_t *next = json_object_get(p, "next_cursor");
        bool last = json_is_null(next);
        if (!last)
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        json_decref(p);
        if (last)
            break;
    }
    assert_int_equal(json_array_size(ids), json_array_size(cl));
    json_array_foreach(cl, i, ft)
    {
        assert_int_equal(json_integer_value(json_array_get(ids, i)), it_jint(ft, "id"));
    }
    json_decref(ids);
    json_decref(fc);
    json_decref(rep);
}

/* GET path: 200, Content-Type application/geo+json and a FeatureCollection,
 * returned parsed (new reference). */
static json_t *get_feature_collection(const struct it_server *s, const char *path)
{
    struct it_response r;
    char ct[64];
    it_get(s, path, &r);
    assert_int_equal(r.status, 200);
    assert_true(it_header(&r, "Content-Type", ct, sizeof ct));
    assert_string_equal(ct, "application/geo+json");
    json_t *j = it_json(&r);
    it_response_free(&r);
    assert_string_equal(it_jstr(j, "type"), "FeatureCollection");
    return j;
}

static void test_meta_endpoints(void **state)
{
    struct it_fixture *f = *state;
    json_t *j = it_get_json(&f->s, "/api/v1/categories");
    json_t *cats = json_object_get(j, "categories");
    assert_true(json_is_array(cats));
    assert_true(json_array_size(cats) >= 20);
    size_t i;
    json_t *c;
    bool pothole = false;
    json_array_foreach(cats, i, c)
    {
        assert_true(json_is_string(json_object_get(c, "code")));
        if (strcmp(it_jstr(c, "code"), "pothole") == 0) {
            pothole = true;
            assert_string_equal(it_jstr(c, "name.en"), "Pothole in street");
        }
    }
    assert_true(pothole);
    json_decref(j);

    j = get_feature_collection(&f->s, "/api/v1/districts");
    json_t *d = json_object_get(j, "features");
    assert_int_equal(json_array_size(d), 77); /* Chicago's community areas */
    bool loop = false;
    json_array_foreach(d, i, c)
    {
        const char *gt = it_jstr(c, "geometry.type");
        assert_true(strcmp(gt, "Polygon") == 0 || strcmp(gt, "MultiPolygon") == 0);
        assert_true(json_is_object(json_object_get(c, "properties")));
        json_t *code = it_jpath(c, "properties.code");
        loop = loop || (json_is_string(code) && strcmp(json_string_value(code), "32") == 0 &&
                        strcmp(it_jstr(c, "properties.name"), "Loop") == 0);
    }
    assert_true(loop);
    json_decref(j);

    /* The service area: the union of the community areas, one feature. */
    j = get_feature_collection(&f->s, "/api/v1/service-area");
    assert_int_equal(json_array_size(json_object_get(j, "features")), 1);
    json_t *geom = it_jpath(j, "features.0.geometry");
    const char *gt = it_jstr(geom, "type");
    assert_true(strcmp(gt, "Polygon") == 0 || strcmp(gt, "MultiPolygon") == 0);
    /* lon, lat order: the first vertex is in Chicago. */
    json_t *v0 = strcmp(gt, "Polygon") == 0 ? it_jpath(geom, "coordinates.0.0")
                                             : it_jpath(geom, "coordinates.0.0.0");
    assert_true(json_is_array(v0));
    double lon = json_number_value(json_array_get(v0, 0));
    double lat = json_number_value(json_array_get(v0, 1));
    assert_true(lon > -88.0 && lon < -87.5);
    assert_true(lat > 41.6 && lat < 42.1);
    json_decref(j);

    j = it_get_json(&f->s, "/api/v1/config");
    assert_string_equal(it_jstr(j, "city.id"), "chicago");
    assert_string_equal(it_jstr(j, "city.timezone"), "America/Chicago");
    assert_true(json_is_null(json_object_get(j, "tiles"))); /* MELDPUNT_TILE_URL="" */
    assert_int_equal(it_jint(j, "limits.description_max"), 2000);
    assert_true(json_is_array(json_object_get(j, "statuses")));
    json_decref(j);

    struct it_response r;
    it_get(&f->s, "/healthz", &r);
    assert_int_equal(r.status, 200);
    char cc[64];
    assert_true(it_header(&r, "Cache-Control", cc, sizeof cc));
    assert_string_equal(cc, "no-store");
    j = it_json(&r);
    it_response_free(&r);
    assert_string_equal(it_jstr(j, "status"), "ok");
    assert_string_equal(it_jstr(j, "city"), "chicago");
    assert_true(it_jint(j, "reports") > 500);
    assert_true(it_jint(j, "clusters") > 0 && it_jint(j, "clusters") <= it_jint(j, "reports"));
    json_decref(j);
}

/* Contact details are private: not in any public answer, byte for byte. */
static void test_contact_private(void **state)
{
    struct it_fixture *f = *state;
    static const char *const secrets[] = {
        "Zyxwv", "Qutsrp", "zyxwv.private", "private@example.org", "555-0199", "5550199",
        "555 0199", "0199", "zyx.desc", "desc@example.net", "0142", NULL};
    json_t *a = it_post_report(
        &f->s, "street_light_out", 41.8789, -87.6359,
        "\"description\":\"Lamp is dark. Call me on 312 555 0142 or zyx.desc@example.net\","
        "\"contact\":{\"name\":\"Zyxwv Qutsrp\",\"email\":\"zyxwv.private@example.org\","
        "\"phone\":\"+1 (312) 555-0199\"}");
    int64_t id = it_jint(a, "report.id"), cid = it_jint(a, "cluster.id");
    /* A second one through a form, joining the first. */
    static const char form[] =
        "category=street_light_out&lat=41.87892&lon=-87.63592&contact_name=Zyxwv+Qutsrp"
        "&contact_email=zyxwv.private%40example.org&contact_phone=%2B1+312+555+0199";
    static const char *const fh[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    struct it_response r;
    it_http(&f->s, "POST", "/api/v1/reports", fh, form, strlen(form), &r);
    assert_int_equal(r.status, 201);
    for (const char *const *s = secrets; *s; s++)
        if (it_body_has(&r, *s))
            fail_msg("POST form answer shows '%s': %s", *s, r.body);
    it_response_free(&r);
    json_decref(a);

    /* The contact details were stored (so their absence below means
     * something): read them straight from the database. */
    char sql[256], *out = NULL;
    snprintf(sql, sizeof sql,
             "SELECT contact_name || '|' || contact_email || '|' || contact_phone FROM reports"
             " WHERE id = %lld;",
             (long long)id);
    assert_int_equal(it_sqlite(f->s.db, sql, &out), 0);
    assert_string_equal(out, "Zyxwv Qutsrp|zyxwv.private@example.org|+1 (312) 555-0199\n");
    free(out);

    char paths[16][200];
    int np = 0;
    snprintf(paths[np++], 200, "/api/v1/reports/%lld", (long long)id);
    snprintf(paths[np++], 200, "/api/v1/reports/%lld", (long long)id + 1);
    snprintf(paths[np++], 200, "/api/v1/reports?bbox=" CITY_BBOX);
    snprintf(paths[np++], 200, "/api/v1/reports?limit=5000");
    snprintf(paths[np++], 200, "/api/v1/clusters?bbox=" CITY_BBOX);
    snprintf(paths[np++], 200, "/api/v1/clusters/%lld", (long long)cid);
    snprintf(paths[np++], 200, "/api/v1/clusters/grid?bbox=" CITY_BBOX "&zoom=12");
    snprintf(paths[np++], 200, "/api/v1/nearby?lat=41.8789&lon=-87.6359&category=street_light_out");
    snprintf(paths[np++], 200, "/healthz");
    snprintf(paths[np++], 200, "/api/v1/config");
    snprintf(paths[np++], 200, "/api/v1/categories");
    snprintf(paths[np++], 200, "/api/v1/districts");
    snprintf(paths[np++], 200, "/api/v1/service-area");
    snprintf(paths[np++], 200, "/r/%lld", (long long)id);
    for (int k = 0; k < np; k++) {
        it_get(&f->s, paths[k], &r);
        assert_int_equal(r.status, 200);
        for (const char *const *s = secrets; *s; s++)
            if (it_body_has(&r, *s))
                fail_msg("GET %s shows '%s'", paths[k], *s);
        it_response_free(&r);
    }
    /* The cluster view did list both reports. */
    char cpath[64];
    snprintf(cpath, sizeof cpath, "/api/v1/clusters/%lld", (long long)cid);
    json_t *c = it_get_json(&f->s, cpath);
    assert_int_equal(it_jint(c, "properties.report_count"), 2);
    json_decref(c);
}

/* POST a valid graffiti report in JSON under the header line content_type. */
static void post_graffiti_json(const struct it_server *s, const char *content_type,
                               struct it_response *r)
{
    static const char json[] = "{\"category\":\"graffiti\",\"lat\":41.9,\"lon\":-87.65}";
    const char *const h[] = {content_type, NULL};
    it_http(s, "POST", "/api/v1/reports", h, json, strlen(json), r);
}

/* Media types: JSON with parameters, both form encodings; text limits in
 * characters. */
static void test_media_types(void **state)
{
    struct it_fixture *f = *state;
    struct it_response r;
    post_graffiti_json(&f->s, "Content-Type: application/json; charset=utf-8", &r);
    assert_int_equal(r.status, 201);
    it_response_free(&r);

    static const char mp[] = "--XyZ\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\n"
                             "graffiti\r\n--XyZ\r\nContent-Disposition: form-data; name=\"lat\""
                             "\r\n\r\n41.91\r\n--XyZ\r\nContent-Disposition: form-data; "
                             "name=\"lon\"\r\n\r\n-87.66\r\n--XyZ\r\nContent-Disposition: "
                             "form-data; name=\"description\"\r\n\r\nTag on the wall\r\n"
                             "--XyZ--\r\n";
    static const char *const h2[] = {"Content-Type: multipart/form-data; boundary=XyZ", NULL};
    it_http(&f->s, "POST", "/api/v1/reports", h2, mp, strlen(mp), &r);
    assert_int_equal(r.status, 201);
    json_t *j = it_json(&r);
    assert_string_equal(it_jstr(j, "report.description"), "Tag on the wall");
    assert_true(it_jnum(j, "report.lat") == 41.91);
    json_decref(j);
    it_response_free(&r);

    /* Limits count characters, not bytes: 2000 two-byte characters fit. */
    size_t n = 2000;
    char *desc = malloc(n * 2 + 1), *body = malloc(n * 2 + 200);
    assert_non_null(desc);
    assert_non_null(body);
    for (size_t i = 0; i < n; i++)
        memcpy(desc + 2 * i, "\xc3\xa9", 2); /* é */
    desc[2 * n] = '\0';
    snprintf(body, n * 2 + 200,
             "{\"category\":\"graffiti\",\"lat\":41.9,\"lon\":-87.65,"
             "\"description\":\"%s\"}",
             desc);
    it_post_json(&f->s, "/api/v1/reports", body, &r);
    assert_int_equal(r.status, 201);
    j = it_json(&r);
    assert_string_equal(it_jstr(j, "report.description"), desc);
    json_decref(j);
    it_response_free(&r);
    free(body);
    free(desc);
}

/* RFC 9110 8.3.1: type and subtype are case-insensitive, so a client that
 * writes Application/JSON sends JSON. */
static void test_media_type_case_insensitive(void **state)
{
    struct it_fixture *f = *state;
    struct it_response r;
    post_graffiti_json(&f->s, "Content-Type: Application/JSON", &r);
    long status = r.status;
    char body[300];
    snprintf(body, sizeof body, "%s", r.body);
    it_response_free(&r);
    if (status != 201)
        fail_msg("Content-Type: Application/JSON gave HTTP %ld: %s", status, body);
}

/* Each on a server of its own, on an empty database. */
#define ON_EMPTY(fn) cmocka_unit_test_setup_teardown(fn, it_setup_server, it_teardown_server)
/* Read-only, on the one server of the demo import. */
#define ON_DEMO(fn) cmocka_unit_test_setup_teardown(fn, setup_demo, teardown_demo)

int main(void)
{
    const struct CMUnitTest tests[] = {
        ON_EMPTY(test_create_and_get),
        ON_EMPTY(test_nearby_report_joins),
        ON_EMPTY(test_list_bbox_geojson),
        ON_DEMO(test_paging),
        ON_DEMO(test_filters),
        ON_DEMO(test_clusters),
        ON_DEMO(test_meta_endpoints),
        ON_EMPTY(test_contact_private),
        ON_EMPTY(test_media_types),
        ON_EMPTY(test_media_type_case_insensitive),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
