/* worklist_out.c - jobs and worklists as JSON, GeoJSON, CSV and GPX (the
 * GPX with the server's one XML writer, xml.h). */
#include "meldpunt/worklist_out.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/csv.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/workflow.h"
#include "meldpunt/xml.h"

static const char *category_name(const struct mp_city *city, const char *code)
{
    const struct mp_category *c = mp_city_category(city, code);
    return c && c->name_en ? c->name_en : code;
}

static void json_actions(struct mp_buf *b, const struct mp_principal *who, const struct mp_job *j)
{
    const char *next[16];
    size_t n = mp_workflow_next(who, j->status, j->department, next, 16);
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, next[i]);
    }
    mp_buf_addc(b, ']');
}

void mp_worklist_out_job(struct mp_buf *b, const struct mp_city *city,
                         const struct mp_principal *who, const struct mp_job *j, int64_t now)
{
    const struct mp_district *d = j->district[0] ? mp_city_district(city, j->district) : NULL;
    mp_buf_adds(b, "\"cluster_id\":");
    mp_json_int(b, j->id);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, j->category);
    mp_buf_adds(b, ",\"category_name\":");
    mp_json_str(b, category_name(city, j->category));
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, j->status);
    mp_buf_adds(b, ",\"address\":");
    mp_json_str(b, j->address[0] ? j->address : NULL);
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, j->location[0] ? j->location : NULL);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, j->district[0] ? j->district : NULL);
    mp_buf_adds(b, ",\"district_name\":");
    mp_json_str(b, d ? d->name : NULL);
    mp_buf_adds(b, ",\"report_count\":");
    mp_json_int(b, j->report_count);
    mp_buf_adds(b, ",\"first_at\":");
    mp_json_time(b, j->first_at);
    mp_buf_adds(b, ",\"last_at\":");
    mp_json_time(b, j->last_at);
    mp_buf_adds(b, ",\"age_days\":");
    mp_json_num(b, mp_worklist_age_days(j->first_at, now), 1);
    mp_buf_adds(b, ",\"priority\":");
    mp_json_int(b, j->ar.priority);
    mp_buf_adds(b, ",\"priority_rule\":");
    mp_json_str(b, j->ar.priority_rule);
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, j->department[0] ? j->department : NULL);
    mp_buf_adds(b, ",\"route_rule\":");
    mp_json_str(b, j->ar.route_rule);
    mp_buf_adds(b, ",\"crew\":");
    mp_json_str(b, j->crew[0] ? j->crew : NULL);
    mp_buf_adds(b, ",\"assigned\":");
    mp_json_bool(b, j->assigned);
    mp_buf_adds(b, ",\"service_days\":");
    mp_json_int(b, j->ar.service_days);
    mp_buf_adds(b, ",\"due_at\":");
    mp_json_time(b, j->ar.due_at);
    mp_buf_adds(b, ",\"overdue\":");
    mp_json_bool(b, j->ar.overdue);
    mp_buf_adds(b, ",\"actions\":");
    json_actions(b, who, j);
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, j->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, j->lon, 7);
}

/* ---- the staff view of a job ---- */

/* The arrays of the view, in the order mp_workflow_view fills them. */
enum view_part { PART_JOB, PART_REPORTS, PART_HISTORY, PART_PHOTOS, PART_AUDIT, PART_END };

/* The body, ready for an item of part: the arrays before it closed (empty
 * ones too), the comma that goes before every item but the first. */
static struct mp_buf *view_item(struct mp_worklist_view_out *v, enum view_part part)
{
    static const char *const opening[] = {
        [PART_REPORTS] = "},\"reports\":[", [PART_HISTORY] = "],\"history\":[",
        [PART_PHOTOS] = "],\"photos\":[", [PART_AUDIT] = "],\"audit\":[", [PART_END] = "]}"};
    while (v->part < (int)part) {
        v->part++;
        mp_buf_adds(v->b, opening[v->part]);
        v->n = 0;
    }
    if (part != PART_END && v->n++)
        mp_buf_addc(v->b, ',');
    return v->b;
}

static void view_job(void *p, const struct mp_job *j)
{
    struct mp_worklist_view_out *v = p;
    mp_buf_adds(v->b, "{\"cluster\":{");
    mp_worklist_out_job(v->b, v->city, v->who, j, v->now);
}

static void view_report(void *p, const struct mp_report_row *r, bool with_private,
                        int64_t merged_from, int64_t merge_id)
{
    struct mp_buf *b = view_item(p, PART_REPORTS);
    mp_buf_adds(b, "{\"id\":");
    mp_json_int(b, r->id);
    mp_buf_adds(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, r->category);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_adds(b, ",\"channel\":");
    mp_json_str(b, r->channel);
    mp_buf_adds(b, ",\"description\":");
    mp_json_str(b, r->description);
    mp_buf_adds(b, ",\"address\":");
    mp_json_str(b, r->address);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, r->district);
    mp_buf_adds(b, ",\"external_id\":");
    mp_json_str(b, r->external_id);
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, r->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, r->lon, 7);
    mp_buf_adds(b, ",\"has_photo\":");
    mp_json_bool(b, r->has_photo);
    if (merged_from)
        mp_buf_printf(b, ",\"merged_from\":%lld,\"merge_id\":%lld", (long long)merged_from,
                      (long long)merge_id);
    mp_buf_adds(b, ",\"join_reason\":");
    /* Stored as JSON text by the clustering code; anything else is shown as null. */
    json_t *jr = r->join_reason ? json_loads(r->join_reason, 0, NULL) : NULL;
    if (json_is_object(jr))
        mp_buf_adds(b, r->join_reason);
    else
        mp_buf_adds(b, "null");
    json_decref(jr);
    if (with_private) {
        mp_buf_adds(b, ",\"contact\":{\"name\":");
        mp_json_str(b, r->contact_name);
        mp_buf_adds(b, ",\"email\":");
        mp_json_str(b, r->contact_email);
        mp_buf_adds(b, ",\"phone\":");
        mp_json_str(b, r->contact_phone);
        mp_buf_addc(b, '}');
    }
    mp_buf_addc(b, '}');
}

static void view_entry(void *p, const struct mp_workflow_entry *e)
{
    struct mp_buf *b = view_item(p, PART_HISTORY);
    mp_buf_adds(b, "{\"at\":");
    mp_json_time(b, e->at);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, e->status);
    mp_buf_adds(b, ",\"actor\":");
    mp_json_str(b, e->actor);
    mp_buf_adds(b, ",\"note\":");
    mp_json_str(b, e->note);
    mp_buf_adds(b, ",\"note_public\":");
    mp_json_bool(b, e->note_public);
    if (e->from_cluster)
        mp_buf_printf(b, ",\"from_cluster\":%lld", (long long)e->from_cluster);
    if (e->merge) {
        const struct mp_lineage_mark *m = e->merge;
        mp_buf_printf(b, ",\"merge\":{\"id\":%lld,\"event\":\"%s\",\"cluster_id\":%lld,"
                         "\"reason\":",
                      (long long)m->merge_id, m->event, (long long)m->cluster);
        mp_json_str(b, m->reason);
        mp_buf_adds(b, ",\"distance_m\":");
        mp_json_num(b, m->distance_m, 1);
        mp_buf_adds(b, ",\"undone\":");
        mp_json_bool(b, m->undone);
        mp_buf_adds(b, ",\"undoable\":");
        mp_json_bool(b, m->undoable);
        mp_buf_addc(b, '}');
    }
    mp_buf_addc(b, '}');
}

static void view_photo(void *p, const struct mp_work_photo_row *r)
{
    struct mp_buf *b = view_item(p, PART_PHOTOS);
    mp_buf_adds(b, "{\"id\":");
    mp_json_int(b, r->id);
    mp_buf_adds(b, ",\"at\":");
    mp_json_time(b, r->at);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_adds(b, ",\"actor\":");
    mp_json_str(b, r->actor);
    mp_buf_printf(b, ",\"width\":%u,\"height\":%u,\"url\":\"/api/v1/staff/photos/%lld\","
                     "\"thumb_url\":\"/api/v1/staff/photos/%lld/thumb\"}",
                  r->width, r->height, (long long)r->id, (long long)r->id);
}

static void view_audit(void *p, const struct mp_audit_row *a)
{
    struct mp_buf *b = view_item(p, PART_AUDIT);
    mp_buf_adds(b, "{\"at\":");
    mp_json_time(b, a->at);
    mp_buf_adds(b, ",\"user\":");
    mp_json_str(b, a->user_name);
    mp_buf_adds(b, ",\"action\":");
    mp_json_str(b, a->action);
    mp_buf_adds(b, ",\"detail\":");
    json_t *j = a->detail ? json_loads(a->detail, 0, NULL) : NULL;
    if (j)
        mp_buf_adds(b, a->detail);
    else
        mp_json_str(b, a->detail);
    json_decref(j);
    mp_buf_addc(b, '}');
}

const struct mp_workflow_view_cbs mp_worklist_out_view_cbs = {view_job, view_report, view_entry,
                                                              view_photo, view_audit};

void mp_worklist_out_view_end(struct mp_worklist_view_out *v)
{
    view_item(v, PART_END);
}

/* ---- GeoJSON ---- */

void mp_worklist_out_geojson(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_principal *who, const struct mp_worklist *w)
{
    mp_buf_adds(b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t k = 0; k < w->n; k++) {
        const struct mp_job *j = &w->stops[k];
        if (k)
            mp_buf_addc(b, ',');
        mp_buf_adds(b, "{\"type\":\"Feature\",\"id\":");
        mp_json_int(b, j->id);
        mp_buf_adds(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
        mp_json_coord(b, j->lon, j->lat);
        mp_buf_printf(b, "},\"properties\":{\"stop\":%zu,", k + 1);
        mp_worklist_out_job(b, city, who, j, w->generated_at);
        mp_buf_adds(b, ",\"leg_m\":");
        mp_json_num(b, w->leg_m[k], 1);
        mp_buf_adds(b, ",\"cumulative_m\":");
        mp_json_num(b, w->cum_m[k], 1);
        mp_buf_adds(b, "}}");
    }
    mp_buf_adds(b, "],\"route\":{\"type\":\"LineString\",\"coordinates\":[");
    size_t pts = 0;
    if (w->has_start) {
        mp_json_coord(b, w->start_lon, w->start_lat);
        pts++;
    }
    for (size_t k = 0; k < w->n; k++) {
        if (pts++)
            mp_buf_addc(b, ',');
        mp_json_coord(b, w->stops[k].lon, w->stops[k].lat);
    }
    mp_buf_adds(b, "]},\"route_length_m\":");
    mp_json_num(b, w->length_m, 1);
    mp_buf_printf(b, ",\"count\":%zu,\"start\":", w->n);
    if (w->has_start)
        mp_json_coord(b, w->start_lon, w->start_lat);
    else
        mp_buf_adds(b, "null");
    mp_buf_adds(b, ",\"department\":");
    mp_json_str(b, w->department);
    mp_buf_adds(b, ",\"generated_at\":");
    mp_json_time(b, w->generated_at);
    mp_buf_addc(b, '}');
}

/* ---- CSV ---- */

static int buf_sink(void *p, const char *data, size_t len)
{
    struct mp_buf *b = p;
    mp_buf_add(b, data, len);
    return b->failed ? -1 : 0;
}

static enum mp_status csv_text(struct mp_buf *b, const char *v, int first)
{
    return mp_csv_write_field(buf_sink, b, v ? v : "", v ? strlen(v) : 0, first);
}

/* A number as the JSON writers print it (fixed decimals, zeros trimmed). */
static enum mp_status csv_num(struct mp_buf *b, double v, int decimals)
{
    char tmp[64];
    struct mp_buf t;
    mp_buf_init(&t, sizeof tmp);
    mp_json_num(&t, v, decimals);
    snprintf(tmp, sizeof tmp, "%s", t.data ? t.data : "0");
    mp_buf_free(&t);
    return mp_csv_write_field(buf_sink, b, tmp, strlen(tmp), 0);
}

static enum mp_status csv_int(struct mp_buf *b, int64_t v, int first)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    return mp_csv_write_field(buf_sink, b, tmp, strlen(tmp), first);
}

static enum mp_status csv_stop(struct mp_buf *b, const struct mp_city *city,
                               const struct mp_worklist *w, size_t k)
{
    const struct mp_job *j = &w->stops[k];
    char due[32];
    enum mp_status rc;
    mp_time_format(j->ar.due_at, due, sizeof due);
    if ((rc = csv_int(b, (int64_t)k + 1, 1)) || (rc = csv_int(b, j->id, 0)) ||
        (rc = csv_text(b, j->category, 0)) ||
        (rc = csv_text(b, category_name(city, j->category), 0)) ||
        (rc = csv_text(b, j->status, 0)) || (rc = csv_int(b, j->ar.priority, 0)) ||
        (rc = csv_text(b, j->ar.overdue ? "true" : "false", 0)) || (rc = csv_text(b, due, 0)) ||
        (rc = csv_int(b, j->report_count, 0)) ||
        (rc = csv_num(b, mp_worklist_age_days(j->first_at, w->generated_at), 1)) ||
        (rc = csv_text(b, j->address, 0)) || (rc = csv_text(b, j->location, 0)) ||
        (rc = csv_text(b, j->district, 0)) || (rc = csv_num(b, j->lat, 7)) ||
        (rc = csv_num(b, j->lon, 7)) || (rc = csv_num(b, w->leg_m[k], 1)) ||
        (rc = csv_num(b, w->cum_m[k], 1)) || (rc = csv_text(b, j->department, 0)) ||
        (rc = csv_text(b, j->crew, 0)))
        return rc;
    return mp_csv_end_row(buf_sink, b);
}

enum mp_status mp_worklist_out_csv(struct mp_buf *b, const struct mp_city *city,
                                   const struct mp_worklist *w, struct mp_error *err)
{
    static const char *const cols[] = {
        "stop",    "cluster_id", "category",     "category_name", "status",       "priority",
        "overdue", "due_at",     "report_count", "age_days",      "address",      "location",
        "district", "lat",       "lon",          "leg_m",         "cumulative_m", "department",
        "crew"};
    enum mp_status rc = MP_OK;
    for (size_t i = 0; i < sizeof cols / sizeof *cols && !rc; i++)
        rc = csv_text(b, cols[i], i == 0);
    if (!rc)
        rc = mp_csv_end_row(buf_sink, b);
    for (size_t k = 0; k < w->n && !rc; k++)
        rc = csv_stop(b, city, w, k);
    if (rc)
        return mp_fail(err, MP_ENOMEM, "internal", "cannot write the worklist");
    return MP_OK;
}

/* ---- GPX ---- */

/* Element content as GPX files spell it: quotes as references too. */
static void gpx_text(struct mp_buf *b, const char *name, const char *text)
{
    mp_xml_open(b, name);
    mp_xml_text_quoted(b, text);
    mp_xml_close(b, name);
}

static void gpx_point(struct mp_buf *b, const char *tag, const struct mp_city *city,
                      const struct mp_job *j, size_t stop, int64_t now)
{
    char name[128];
    mp_xml_start(b, tag);
    mp_xml_attr_num(b, "lat", j->lat, 7);
    mp_xml_attr_num(b, "lon", j->lon, 7);
    mp_xml_start_done(b);
    snprintf(name, sizeof name, "%zu. %s", stop, category_name(city, j->category));
    gpx_text(b, "name", name);
    if (strcmp(tag, "wpt") == 0) {
        mp_xml_open(b, "desc");
        const char *place = j->address[0] ? j->address : j->location[0] ? j->location : NULL;
        if (place) {
            mp_xml_text_quoted(b, place);
            mp_buf_adds(b, "; ");
        }
        /* The rest is numbers and a status code: nothing to escape. */
        mp_buf_printf(b, "cluster %lld, %s, %lld report%s, %.1f days old, priority %d%s",
                      (long long)j->id, j->status, (long long)j->report_count,
                      j->report_count == 1 ? "" : "s", mp_worklist_age_days(j->first_at, now),
                      j->ar.priority, j->ar.overdue ? ", OVERDUE" : "");
        mp_xml_close(b, "desc");
        gpx_text(b, "type", j->category);
    }
    mp_xml_close(b, tag);
    mp_buf_addc(b, '\n');
}

void mp_worklist_out_gpx(struct mp_buf *b, const struct mp_city *city,
                         const struct mp_worklist *w)
{
    char when[32];
    mp_time_format(w->generated_at, when, sizeof when);
    mp_xml_decl(b);
    mp_buf_adds(b, "<gpx version=\"1.1\" creator=\"meldpunt\" "
                   "xmlns=\"http://www.topografix.com/GPX/1/1\">\n<metadata><name>Worklist");
    if (w->department) {
        mp_buf_adds(b, " ");
        mp_xml_text_quoted(b, w->department);
    }
    mp_buf_printf(b, "</name><desc>%zu stops, route %.1f km</desc><time>%s</time></metadata>\n",
                  w->n, w->length_m / 1000.0, when);
    for (size_t k = 0; k < w->n; k++)
        gpx_point(b, "wpt", city, &w->stops[k], k + 1, w->generated_at);
    mp_buf_adds(b, "<rte><name>Worklist</name>\n");
    for (size_t k = 0; k < w->n; k++)
        gpx_point(b, "rtept", city, &w->stops[k], k + 1, w->generated_at);
    mp_buf_adds(b, "</rte>\n</gpx>\n");
}
