/* test_worklist.c - jobs and worklists (worklist.h, worklist_out.h) on a
 * temporary database with the Chicago pack: selection by category, status,
 * district, effective department and polygon; counting past the limit; one
 * job whatever its status, with a manual assignment winning over the rules;
 * whose worklist a crew may pull; the driving order with its legs and
 * totals; and the three writers, byte for byte (GPX text through the XML
 * writer: escaped, and U+FFFD for what XML cannot carry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "meldpunt/automation.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_work.h"
#include "meldpunt/worklist.h"
#include "meldpunt/worklist_out.h"

#define T0 1609502400LL /* 2021-01-01T12:00:00Z */
#define M_LON (1.0 / (111320.0 * 0.7445)) /* degrees of a metre east at 41.88 N */
#define M_LAT (1.0 / 111320.0)
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781

struct db {
    struct fx_db fx;
    struct mp_automation *rules;
};

static void db_open(struct db *d)
{
    struct mp_error err = {{0}, {0}};
    fx_db_open(&d->fx, "mp-worklist");
    assert_int_equal(mp_automation_load(fx_pack.city, &d->rules, &err), MP_OK);
}

static void db_close(struct db *d)
{
    mp_automation_free(d->rules);
    fx_db_close(&d->fx);
}

/* A report metres east and north of the Loop; returns its cluster. */
static int64_t report(struct db *d, const char *category, double east_m, double north_m,
                      const char *address, int64_t at)
{
    int64_t cluster;
    fx_report(&d->fx.ctx, category, LOOP_LON + east_m * M_LON, LOOP_LAT + north_m * M_LAT, address,
              at, &cluster);
    return cluster;
}

static void open_statuses(struct mp_work_query *q)
{
    static const char *const open[] = {"new", "acknowledged", "scheduled", "in_progress",
                                       "reopened"};
    for (size_t i = 0; i < sizeof open / sizeof *open; i++)
        q->statuses[q->nstatuses++] = open[i];
}

static size_t ids_of(const struct mp_job_list *l, int64_t *ids)
{
    for (size_t i = 0; i < l->n; i++)
        ids[i] = l->jobs[i].id;
    return l->n;
}

/* ---- selection ---- */

static void jobs_are_selected_by_every_filter(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct mp_job_filter f;
    struct mp_job_list l;
    int64_t ids[8];
    db_open(&d);
    /* Oldest first: the order the queue shows. */
    int64_t hole_loop = report(&d, "sidewalk_damage", 0, 0, "10 S State St", T0);
    int64_t graffiti = report(&d, "graffiti", 400, 0, NULL, T0 + 60);
    int64_t hole_west = report(&d, "sidewalk_damage", -6000, 0, NULL, T0 + 120);
    int64_t light = report(&d, "street_light_out", 0, 500, NULL, T0 + 180);
    int64_t now = T0 + 86400;

    memset(&f, 0, sizeof f);
    open_statuses(&f.q);
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(ids_of(&l, ids), 4);
    assert_int_equal(l.total, 4);
    assert_int_equal(ids[0], hole_loop);
    assert_int_equal(ids[1], graffiti);
    assert_int_equal(ids[2], hole_west);
    assert_int_equal(ids[3], light);
    /* The row model: the rules applied. Graffiti in the Loop goes to the
     * Graffiti Blasters by a routing rule, the rest to their category's
     * department. */
    const struct mp_job *j = &l.jobs[1];
    assert_string_equal(j->department, "graffiti-blasters");
    assert_string_equal(j->ar.route_rule, "downtown-graffiti");
    assert_string_equal(j->district, "32");
    assert_false(j->assigned);
    assert_null(j->ar.department);
    assert_string_equal(l.jobs[0].department, "streets");
    assert_string_equal(l.jobs[0].ar.route_rule, "category");
    assert_string_equal(l.jobs[0].address, "10 S State St");
    assert_string_equal(l.jobs[0].status, "new");
    assert_int_equal(l.jobs[0].report_count, 1);
    assert_int_equal(l.jobs[0].first_at, T0);
    assert_near(l.jobs[0].lon, LOOP_LON, 1e-7);
    assert_near(l.jobs[0].lat, LOOP_LAT, 1e-7);
    assert_string_equal(l.jobs[3].department, "lighting");
    mp_worklist_jobs_free(&l);

    /* The limit cuts the list, not the count. */
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 1, now, &l, &err), MP_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.total, 4);
    mp_worklist_jobs_free(&l);

    /* The effective department, not the category's. */
    f.department = "graffiti-blasters";
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(ids_of(&l, ids), 1);
    assert_int_equal(ids[0], graffiti);
    mp_worklist_jobs_free(&l);
    f.department = "streets";
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(ids_of(&l, ids), 2);
    assert_int_equal(ids[0], hole_loop);
    assert_int_equal(ids[1], hole_west);
    mp_worklist_jobs_free(&l);
    f.department = NULL;

    /* Category and district. */
    f.q.categories[f.q.ncategories++] = "street_light_out";
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(ids_of(&l, ids), 1);
    assert_int_equal(ids[0], light);
    mp_worklist_jobs_free(&l);
    f.q.ncategories = 0;
    f.q.district = "32";
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    for (size_t i = 0; i < l.n; i++) {
        assert_int_not_equal(l.jobs[i].id, hole_west);
        assert_string_equal(l.jobs[i].district, "32");
    }
    assert_true(l.n >= 2);
    mp_worklist_jobs_free(&l);
    f.q.district = NULL;

    /* A polygon: a triangle around the Loop point whose bounding box, the
     * store's area, also holds the graffiti 400 m east (outside it). */
    char gj[512];
    snprintf(gj, sizeof gj,
             "{\"type\":\"Polygon\",\"coordinates\":[[[%.7f,%.7f],[%.7f,%.7f],[%.7f,%.7f],"
             "[%.7f,%.7f]]]}",
             LOOP_LON - 100 * M_LON, LOOP_LAT - 100 * M_LAT, LOOP_LON + 450 * M_LON,
             LOOP_LAT - 100 * M_LAT, LOOP_LON - 100 * M_LON, LOOP_LAT + 450 * M_LAT,
             LOOP_LON - 100 * M_LON, LOOP_LAT - 100 * M_LAT);
    json_t *g = json_loads(gj, 0, NULL);
    struct mp_multipolygon poly;
    memset(&poly, 0, sizeof poly);
    assert_int_equal(mp_multipolygon_from_geojson(g, &poly, &err), MP_OK);
    json_decref(g);
    f.within = &poly;
    f.q.has_bbox = true;
    f.q.bbox = poly.bbox;
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(ids_of(&l, ids), 1);
    assert_int_equal(ids[0], hole_loop);
    mp_worklist_jobs_free(&l);
    mp_multipolygon_free(&poly);

    /* Statuses: a closed job is in no open list. */
    memset(&f, 0, sizeof f);
    f.q.statuses[f.q.nstatuses++] = "closed";
    assert_int_equal(mp_worklist_jobs(&d.fx.ctx, d.rules, &f, 10, now, &l, &err), MP_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.total, 0);
    mp_worklist_jobs_free(&l);
    db_close(&d);
}

static void one_job_whatever_its_status(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct mp_job j;
    db_open(&d);
    int64_t c = report(&d, "sidewalk_damage", 0, 0, NULL, T0);
    assert_int_equal(mp_store_begin_write(d.fx.ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&d.fx.ctx, c, "closed", T0 + 60, "dup", "dana",
                                                  &err),
                     MP_OK);
    /* A manual assignment wins over the rules: department, crew, priority. */
    struct mp_work_assignment wa = {.priority = 1, .due_at = T0 + 3600};
    snprintf(wa.department, sizeof wa.department, "lighting");
    snprintf(wa.crew, sizeof wa.crew, "li-1");
    assert_int_equal(mp_store_work_set(d.fx.ctx.db, c, &wa, T0 + 60), MP_OK);
    assert_int_equal(mp_store_commit(d.fx.ctx.db, &err), MP_OK);

    assert_int_equal(mp_worklist_job(&d.fx.ctx, d.rules, c, T0 + 86400, &j, &err), MP_OK);
    assert_int_equal(j.id, c);
    assert_string_equal(j.status, "closed");
    assert_string_equal(j.department, "lighting");
    assert_string_equal(j.ar.route_rule, "manual");
    assert_string_equal(j.crew, "li-1");
    assert_true(j.assigned);
    assert_int_equal(j.ar.priority, 1);
    assert_int_equal(j.ar.due_at, T0 + 3600);

    memset(&err, 0, sizeof err);
    assert_int_equal(mp_worklist_job(&d.fx.ctx, d.rules, c + 1000, T0, &j, &err), MP_ENOTFOUND);
    char text[64];
    snprintf(text, sizeof text, "there is no cluster %lld", (long long)(c + 1000));
    assert_string_equal(err.code, "not_found");
    assert_string_equal(err.text, text);
    db_close(&d);
}

/* ---- whose worklist ---- */

static void a_crew_pulls_its_own_department_only(void **state)
{
    (void)state;
    struct mp_principal crew = {.name = "st-1", .region_wide = true, .role = MP_ROLE_CREW, .department = "streets"};
    struct mp_principal disp = {.name = "dana", .region_wide = true, .role = MP_ROLE_DISPATCHER};
    struct mp_error err = {{0}, {0}};
    const char *eff = "unset";
    assert_int_equal(mp_worklist_scope(&crew, NULL, &eff, &err), MP_OK);
    assert_string_equal(eff, "streets");
    assert_int_equal(mp_worklist_scope(&crew, "streets", &eff, &err), MP_OK);
    assert_string_equal(eff, "streets");
    assert_int_equal(mp_worklist_scope(&crew, "lighting", &eff, &err), MP_EFORBIDDEN);
    assert_string_equal(err.code, "forbidden");
    assert_string_equal(err.text, "a crew of streets may not pull the worklist of lighting");
    assert_int_equal(mp_worklist_scope(&disp, NULL, &eff, &err), MP_OK);
    assert_null(eff);
    assert_int_equal(mp_worklist_scope(&disp, "lighting", &eff, &err), MP_OK);
    assert_string_equal(eff, "lighting");
}

/* ---- planning ---- */

static void plan_orders_the_stops_and_adds_up_the_legs(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct mp_worklist w;
    int64_t at[6];
    /* Six stops on a line west of the Loop, 300 m apart, reported out of
     * order; one more of another department. */
    static const int place[6] = {3, 0, 5, 1, 4, 2};
    db_open(&d);
    for (int i = 0; i < 6; i++)
        at[place[i]] = report(&d, "sidewalk_damage", -300.0 * (place[i] + 1), 0, NULL, T0 + i);
    report(&d, "street_light_out", -900, 40, NULL, T0 + 10);

    struct mp_principal crew = {.name = "st-1", .region_wide = true, .role = MP_ROLE_CREW, .department = "streets"};
    struct mp_worklist_request rq;
    memset(&rq, 0, sizeof rq);
    rq.who = &crew;
    open_statuses(&rq.f.q);
    rq.has_start = true;
    rq.start_lon = LOOP_LON;
    rq.start_lat = LOOP_LAT;
    assert_int_equal(mp_worklist_plan(&d.fx.ctx, d.rules, &rq, T0 + 86400, &w, &err), MP_OK);
    assert_int_equal(w.n, 6);
    assert_string_equal(w.department, "streets");
    assert_true(w.has_start);
    assert_int_equal(w.generated_at, T0 + 86400);
    double sum = 0;
    for (size_t k = 0; k < 6; k++) {
        /* From the start westwards, nearest first. */
        assert_int_equal(w.stops[k].id, at[k]);
        assert_near(w.leg_m[k], 300, 3);
        sum += w.leg_m[k];
        assert_near(w.cum_m[k], sum, 1e-9);
    }
    assert_near(w.length_m, sum, 1e-6);
    mp_worklist_free(&w);

    /* Without a start the path begins at an end of the line: no first leg. */
    rq.has_start = false;
    assert_int_equal(mp_worklist_plan(&d.fx.ctx, d.rules, &rq, T0 + 86400, &w, &err), MP_OK);
    assert_int_equal(w.n, 6);
    assert_near(w.leg_m[0], 0, 1e-9);
    assert_true(w.stops[0].id == at[0] || w.stops[0].id == at[5]);
    assert_near(w.length_m, 1500, 15);
    assert_near(w.cum_m[5], w.length_m, 1e-6);
    mp_worklist_free(&w);

    /* A dispatcher asking for lighting gets the one light. */
    struct mp_principal disp = {.name = "dana", .region_wide = true, .role = MP_ROLE_DISPATCHER};
    rq.who = &disp;
    rq.f.department = "lighting";
    assert_int_equal(mp_worklist_plan(&d.fx.ctx, d.rules, &rq, T0 + 86400, &w, &err), MP_OK);
    assert_int_equal(w.n, 1);
    assert_string_equal(w.stops[0].category, "street_light_out");
    assert_near(w.length_m, 0, 1e-9);
    mp_worklist_free(&w);

    /* The crew may not, whatever else it asks. */
    rq.who = &crew;
    assert_int_equal(mp_worklist_plan(&d.fx.ctx, d.rules, &rq, T0 + 86400, &w, &err),
                     MP_EFORBIDDEN);
    assert_string_equal(err.text, "a crew of streets may not pull the worklist of lighting");
    assert_int_equal(w.n, 0);
    assert_null(w.stops);
    mp_worklist_free(&w);
    db_close(&d);
}

/* ---- writers ---- */

/* Two stops by hand: text that XML and CSV must escape, a control
 * character, an overdue job. */
static void sample(struct mp_worklist *w, struct mp_job *stops, double *leg, double *cum)
{
    memset(stops, 0, 2 * sizeof *stops);
    stops[0].id = 7;
    snprintf(stops[0].category, sizeof stops[0].category, "pothole");
    snprintf(stops[0].status, sizeof stops[0].status, "new");
    snprintf(stops[0].address, sizeof stops[0].address, "12 \"Main\" & <Side>, 'x'\x01");
    snprintf(stops[0].district, sizeof stops[0].district, "32");
    snprintf(stops[0].department, sizeof stops[0].department, "streets");
    stops[0].report_count = 1;
    stops[0].first_at = T0;
    stops[0].last_at = T0;
    stops[0].lon = -87.6298;
    stops[0].lat = 41.8781;
    stops[0].ar.priority = 2;
    stops[0].ar.priority_rule = "category";
    stops[0].ar.route_rule = "category";
    stops[0].ar.service_days = 7;
    stops[0].ar.due_at = T0 + 7 * 86400;
    stops[1] = stops[0];
    stops[1].id = 9;
    stops[1].address[0] = '\0';
    snprintf(stops[1].location, sizeof stops[1].location, "W MADISON ST near S STATE ST");
    snprintf(stops[1].crew, sizeof stops[1].crew, "st-1");
    stops[1].report_count = 3;
    stops[1].lon = -87.63;
    stops[1].lat = 41.88;
    stops[1].ar.overdue = true;
    stops[1].ar.priority = 1;
    leg[0] = 120.04;
    leg[1] = 250.5;
    cum[0] = leg[0];
    cum[1] = leg[0] + leg[1];
    memset(w, 0, sizeof *w);
    w->stops = stops;
    w->leg_m = leg;
    w->cum_m = cum;
    w->n = 2;
    w->length_m = cum[1];
    w->has_start = true;
    w->start_lon = -87.629;
    w->start_lat = 41.878;
    w->department = "streets";
    w->generated_at = T0 + 2 * 86400;
}

static void gpx_is_gpx_1_1_with_escaped_text(void **state)
{
    (void)state;
    struct mp_worklist w;
    struct mp_job stops[2];
    double leg[2], cum[2];
    struct mp_buf b;
    sample(&w, stops, leg, cum);
    /* A broken UTF-8 sequence: GPX readers get U+FFFD, not the byte. */
    snprintf(stops[1].location, sizeof stops[1].location, "W MADISON ST \xC3(near)");
    mp_buf_init(&b, 0);
    mp_worklist_out_gpx(&b, fx_pack.city, &w);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    assert_string_equal(
        b.data,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<gpx version=\"1.1\" creator=\"meldpunt\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
        "<metadata><name>Worklist streets</name><desc>2 stops, route 0.4 km</desc>"
        "<time>2021-01-03T12:00:00Z</time></metadata>\n"
        "<wpt lat=\"41.8781\" lon=\"-87.6298\"><name>1. Pothole in street</name>"
        "<desc>12 &quot;Main&quot; &amp; &lt;Side&gt;, &apos;x&apos;\xEF\xBF\xBD; cluster 7, new,"
        " 1 report,"
        " 2.0 days old, priority 2</desc><type>pothole</type></wpt>\n"
        "<wpt lat=\"41.88\" lon=\"-87.63\"><name>2. Pothole in street</name>"
        "<desc>W MADISON ST \xEF\xBF\xBD(near); cluster 9, new, 3 reports, 2.0 days old,"
        " priority 1, OVERDUE</desc><type>pothole</type></wpt>\n"
        "<rte><name>Worklist</name>\n"
        "<rtept lat=\"41.8781\" lon=\"-87.6298\"><name>1. Pothole in street</name></rtept>\n"
        "<rtept lat=\"41.88\" lon=\"-87.63\"><name>2. Pothole in street</name></rtept>\n"
        "</rte>\n</gpx>\n");
    mp_buf_free(&b);
}

static void csv_has_a_row_a_stop(void **state)
{
    (void)state;
    struct mp_worklist w;
    struct mp_job stops[2];
    double leg[2], cum[2];
    struct mp_buf b;
    struct mp_error err = {{0}, {0}};
    sample(&w, stops, leg, cum);
    mp_buf_init(&b, 0);
    assert_int_equal(mp_worklist_out_csv(&b, fx_pack.city, &w, &err), MP_OK);
    assert_string_equal(
        b.data,
        "stop,cluster_id,category,category_name,status,priority,overdue,due_at,report_count,"
        "age_days,address,location,district,lat,lon,leg_m,cumulative_m,department,crew\r\n"
        "1,7,pothole,Pothole in street,new,2,false,2021-01-08T12:00:00Z,1,2,"
        "\"12 \"\"Main\"\" & <Side>, 'x'\x01\",,32,41.8781,-87.6298,120,120,streets,\r\n"
        "2,9,pothole,Pothole in street,new,1,true,2021-01-08T12:00:00Z,3,2,,"
        "W MADISON ST near S STATE ST,32,41.88,-87.63,250.5,370.5,streets,st-1\r\n");
    mp_buf_free(&b);
    /* A buffer that refuses the rows is an error the client hears of. */
    mp_buf_init(&b, 64);
    assert_int_equal(mp_worklist_out_csv(&b, fx_pack.city, &w, &err), MP_ENOMEM);
    assert_string_equal(err.code, "internal");
    assert_string_equal(err.text, "cannot write the worklist");
    mp_buf_free(&b);
}

static void geojson_has_the_stops_and_the_route(void **state)
{
    (void)state;
    struct mp_worklist w;
    struct mp_job stops[2];
    double leg[2], cum[2];
    struct mp_buf b;
    struct mp_principal crew = {.name = "st-1", .region_wide = true, .role = MP_ROLE_CREW, .department = "streets"};
    sample(&w, stops, leg, cum);
    mp_buf_init(&b, 0);
    mp_worklist_out_geojson(&b, fx_pack.city, &crew, &w);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    json_error_t je;
    json_t *fc = json_loads(b.data, 0, &je);
    if (!fc)
        fail_msg("not JSON: %s", je.text);
    assert_string_equal(json_string_value(json_object_get(fc, "type")), "FeatureCollection");
    assert_int_equal(json_integer_value(json_object_get(fc, "count")), 2);
    assert_string_equal(json_string_value(json_object_get(fc, "department")), "streets");
    assert_string_equal(json_string_value(json_object_get(fc, "generated_at")),
                        "2021-01-03T12:00:00Z");
    assert_near(json_number_value(json_object_get(fc, "route_length_m")), 370.5, 1e-9);
    /* The route runs from the start through the stops in order. */
    assert_non_null(strstr(b.data, ",\"route\":{\"type\":\"LineString\",\"coordinates\":"
                                   "[[-87.629,41.878],[-87.6298,41.8781],[-87.63,41.88]]},"));
    assert_non_null(strstr(b.data, ",\"start\":[-87.629,41.878],"));
    json_t *f1 = json_array_get(json_object_get(fc, "features"), 1);
    json_t *p = json_object_get(f1, "properties");
    assert_int_equal(json_integer_value(json_object_get(f1, "id")), 9);
    assert_int_equal(json_integer_value(json_object_get(p, "stop")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "cluster_id")), 9);
    assert_string_equal(json_string_value(json_object_get(p, "district_name")), "Loop");
    assert_string_equal(json_string_value(json_object_get(p, "crew")), "st-1");
    assert_true(json_is_null(json_object_get(p, "address")));
    assert_true(json_is_true(json_object_get(p, "overdue")));
    assert_near(json_number_value(json_object_get(p, "leg_m")), 250.5, 1e-9);
    assert_near(json_number_value(json_object_get(p, "cumulative_m")), 370.5, 1e-9);
    /* A new job: the crew can do nothing with it yet. */
    assert_int_equal(json_array_size(json_object_get(p, "actions")), 0);
    json_decref(fc);
    mp_buf_free(&b);
}

static void the_staff_view_has_every_array_even_empty(void **state)
{
    (void)state;
    struct mp_worklist w;
    struct mp_job stops[2];
    double leg[2], cum[2];
    struct mp_buf b;
    struct mp_principal disp = {.name = "dana", .region_wide = true, .role = MP_ROLE_DISPATCHER};
    sample(&w, stops, leg, cum);
    mp_buf_init(&b, 0);
    struct mp_worklist_view_out v = {.b = &b, .city = fx_pack.city, .who = &disp,
                                     .now = T0 + 86400};
    const struct mp_workflow_view_cbs *cbs = &mp_worklist_out_view_cbs;
    /* A job with a history entry, two photos and nothing else. */
    struct mp_work_photo_row ph = {.id = 3, .cluster_id = 7, .at = T0, .status = "fixed",
                                   .actor = "st-1", .width = 640, .height = 480};
    struct mp_workflow_entry e = {.at = T0, .status = "new", .note_public = true};
    cbs->job(&v, &stops[0]);
    cbs->entry(&v, &e);
    cbs->photo(&v, &ph);
    ph.id = 4;
    cbs->photo(&v, &ph);
    mp_worklist_out_view_end(&v);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    const char *tail = strstr(b.data, "},\"reports\":[");
    assert_non_null(tail);
    assert_string_equal(
        tail, "},\"reports\":[],\"history\":[{\"at\":\"2021-01-01T12:00:00Z\",\"status\":\"new\","
              "\"actor\":null,\"note\":null,\"note_public\":true}],\"photos\":["
              "{\"id\":3,\"at\":\"2021-01-01T12:00:00Z\",\"status\":\"fixed\",\"actor\":\"st-1\","
              "\"width\":640,\"height\":480,\"url\":\"/api/v1/staff/photos/3\","
              "\"thumb_url\":\"/api/v1/staff/photos/3/thumb\"},"
              "{\"id\":4,\"at\":\"2021-01-01T12:00:00Z\",\"status\":\"fixed\",\"actor\":\"st-1\","
              "\"width\":640,\"height\":480,\"url\":\"/api/v1/staff/photos/4\","
              "\"thumb_url\":\"/api/v1/staff/photos/4/thumb\"}],\"audit\":[]}");
    json_t *o = json_loads(b.data, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "cluster"),
                                                        "cluster_id")),
                     7);
    /* A dispatcher may acknowledge a new job. */
    assert_true(json_array_size(json_object_get(json_object_get(o, "cluster"), "actions")) > 0);
    json_decref(o);
    mp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jobs_are_selected_by_every_filter),
        cmocka_unit_test(one_job_whatever_its_status),
        cmocka_unit_test(a_crew_pulls_its_own_department_only),
        cmocka_unit_test(plan_orders_the_stops_and_adds_up_the_legs),
        cmocka_unit_test(gpx_is_gpx_1_1_with_escaped_text),
        cmocka_unit_test(csv_has_a_row_a_stop),
        cmocka_unit_test(geojson_has_the_stops_and_the_route),
        cmocka_unit_test(the_staff_view_has_every_array_even_empty),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
