/* test_open311.c - the Open311 domain on a temporary database with the
 * Chicago pack: a submission stores the report and its extras together or
 * nothing at all, answers are checked against the service definition (each
 * refusal with its text), the notes of a request are the updates made to
 * its case since it was created, and working-day due dates.
 *
 * Failures of the store are injected with SQLite triggers made over a second
 * connection to the test's database file: the only way to make one insert
 * of a transaction fail without a test hook in the store. */
#include <math.h>
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
#include <sqlite3.h>

#include "fixture.h"
#include "meldpunt/auth.h"
#include "meldpunt/open311.h"
#include "meldpunt/open311_doc.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"

#define T0 1622548800LL /* 2021-06-01T12:00:00Z */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781

struct fx {
    struct fx_dbfile file;
    struct mp_store *store;
    struct mp_ctx ctx;
    struct mp_principal client;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct mp_error err = {{0}, {0}};
    if (!f)
        return -1;
    if (fx_dbfile_copy(&f->file, "mp-open311", &fx_template) != 0) {
        free(f);
        return -1;
    }
    fx_city_ctx(&fx_pack, &f->ctx);
    if (fx_store_open(f->file.path, 1, &f->store, &err) != MP_OK) {
        fprintf(stderr, "setup: %s\n", err.text);
        fx_rm_dir(f->file.dir);
        free(f);
        return -1;
    }
    f->ctx.db = mp_store_acquire(f->store);
    f->client = (struct mp_principal){.user_id = 7, .name = "fixmystreet", .region_wide = true,
                                      .role = MP_ROLE_CLIENT};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mp_store_release(f->store, f->ctx.db);
    mp_store_close(f->store);
    fx_rm_dir(f->file.dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

/* SQL over a connection of its own (failure injection only). */
static void sql(struct fx *f, const char *text)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(f->file.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", text, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
}

/* A valid pothole request in the Loop, answers and extras included. */
static void base(struct mp_open311_submission *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->report.category, sizeof s->report.category, "pothole");
    s->report.lon = LOOP_LON;
    s->report.lat = LOOP_LAT;
    s->report.has_lon = s->report.has_lat = true;
    s->report.description = strdup("Deep hole in the bike lane");
    assert_non_null(s->report.description);
    s->answers[0] = (struct mp_open311_answer){"size", "large"};
    s->answers[1] = (struct mp_open311_answer){"position", "bike_lane"};
    s->nanswers = 2;
    s->media_url = "https://photos.example.org/a.jpg";
    s->device_id = "device-1";
    s->account_id = "account-9";
}

static void counts(struct fx *f, int64_t reports, int64_t clusters)
{
    int64_t nr = -1, nc = -1;
    assert_int_equal(mp_store_counts(f->ctx.db, &nr, &nc), MP_OK);
    assert_int_equal(nr, reports);
    assert_int_equal(nc, clusters);
}

static int count_audit(void *p, const struct mp_audit_row *a)
{
    (void)a;
    (*(int *)p)++;
    return 0;
}

static int audits(struct fx *f, int64_t report_id)
{
    int n = 0;
    assert_int_equal(mp_store_audit_for(f->ctx.db, "report", report_id, count_audit, &n), MP_OK);
    return n;
}

struct got {
    int n;
    int64_t id;
    char channel[16], attributes[256], media_url[128], category[48];
};

static int keep_row(void *p, const struct mp_open311_row *row)
{
    struct got *g = p;
    g->n++;
    g->id = row->id;
    snprintf(g->channel, sizeof g->channel, "%s", row->channel ? row->channel : "");
    snprintf(g->attributes, sizeof g->attributes, "%s", row->attributes ? row->attributes : "");
    snprintf(g->media_url, sizeof g->media_url, "%s", row->media_url ? row->media_url : "");
    snprintf(g->category, sizeof g->category, "%s", row->category);
    return 0;
}

/* Submit s and expect a refusal with this status and text; nothing stored. */
static void expect_refused(struct fx *f, const struct mp_principal *who,
                           struct mp_open311_submission *s, enum mp_status want, const char *text)
{
    struct mp_error err = {{0}, {0}};
    struct mp_submit_result res;
    assert_int_equal(mp_open311_submit(&f->ctx, who, s, &res, &err), want);
    assert_string_equal(err.text, text);
    mp_report_input_clear(&s->report);
    counts(f, 0, 0);
}

/* ---- submitting ---- */

static void submit_stores_report_and_extras(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    base(&s);
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_OK);
    mp_report_input_clear(&s.report);
    assert_true(res.report_id > 0);
    counts(f, 1, 1);
    struct got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id, keep_row, &g), MP_OK);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.id, res.report_id);
    assert_string_equal(g.channel, "open311");
    /* The answers in the definition's order (size before position), as stored. */
    assert_string_equal(g.attributes, "{\"size\":\"large\",\"position\":\"bike_lane\"}");
    assert_string_equal(g.media_url, "https://photos.example.org/a.jpg");
    assert_int_equal(audits(f, res.report_id), 1);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id + 1, keep_row, &g), MP_ENOTFOUND);
}

static void submit_checks_answers(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    base(&s);
    /* An attribute the service does not define is kept (see
     * submit_keeps_undefined_attributes), within the bounds of a text. */
    char long_text[MP_DESCRIPTION_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    s.answers[0] = (struct mp_open311_answer){"colour", long_text};
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "attribute[colour] must be UTF-8 text of at most 2000 characters");
    base(&s);
    s.answers[0] = (struct mp_open311_answer){"col\x99our", "red"};
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "attribute names must be UTF-8 text without control characters");
    base(&s);
    s.answers[1] = (struct mp_open311_answer){"depth", "bottomless"};
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "attribute[depth] has no value 'bottomless'; the service definition lists "
                   "them");
    base(&s);
    s.answers[0] = (struct mp_open311_answer){"depth", "shallow"};
    s.answers[1] = (struct mp_open311_answer){"depth", "deep"};
    expect_refused(f, &f->client, &s, MP_EINVAL, "attribute[depth] takes one value");
    /* A required attribute (traffic_signal_out: problem). */
    base(&s);
    snprintf(s.report.category, sizeof s.report.category, "traffic_signal_out");
    s.nanswers = 0;
    expect_refused(f, &f->client, &s, MP_EINVAL, "attribute[problem] is required for this service");
    /* A string answer is one line; a list of several values names keys. */
    base(&s);
    snprintf(s.report.category, sizeof s.report.category, "street_light_out");
    s.answers[0] = (struct mp_open311_answer){"pole_number", "P-1\nP-2"};
    s.nanswers = 1;
    expect_refused(f, &f->client, &s, MP_EINVAL, "attribute[pole_number] must be one line");
    base(&s);
    snprintf(s.report.category, sizeof s.report.category, "speeding");
    s.answers[0] = (struct mp_open311_answer){"when", "morning,never"};
    s.nanswers = 1;
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "attribute[when] has no value 'never'; the service definition lists them");
    base(&s);
    s.answers[0] = (struct mp_open311_answer){"size", "large\x01"};
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "attribute[size] must be UTF-8 text without control characters");
}

static void submit_checks_extras_and_client(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    char long_id[202];
    base(&s);
    s.media_url = "ftp://photos.example.org/a.jpg";
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "media_url must be an absolute http or https URL of at most 1000 "
                   "characters, percent-encoded");
    base(&s);
    s.media_url = "https://photos.example.org/a b.jpg";
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "media_url must be an absolute http or https URL of at most 1000 "
                   "characters, percent-encoded");
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    base(&s);
    s.account_id = long_id;
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "device_id and account_id must be text of at most 200 characters");
    base(&s);
    snprintf(s.report.category, sizeof s.report.category, "no_such_service");
    expect_refused(f, &f->client, &s, MP_ENOTFOUND, "service_code 'no_such_service' was not found");
    /* Only API clients (and staff above them) submit through Open311. */
    struct mp_principal nobody = {.user_id = 3, .name = "anon", .role = MP_ROLE_NONE};
    base(&s);
    expect_refused(f, &nobody, &s, MP_EFORBIDDEN,
                   "Invalid api_key received -- can't proceed with create_request");
    /* The report's own validation still applies (the JSON API's path). */
    base(&s);
    s.report.lon = 10;
    s.report.lat = 10;
    expect_refused(f, &f->client, &s, MP_EINVAL,
                   "the point 10.00000,10.00000 is outside the service area of Chicago");
}

/* A request whose Open311 extras cannot be written leaves no report and no
 * case behind, and the session is usable afterwards. */
static void submit_is_one_transaction(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    sql(f, "CREATE TRIGGER refuse_extras BEFORE INSERT ON open311_attributes"
           " BEGIN SELECT RAISE(ABORT, 'test: extras refused'); END;");
    base(&s);
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_EUNAVAIL);
    assert_string_equal(err.text, "the request could not be stored; try again later");
    counts(f, 0, 0);
    assert_int_equal(audits(f, 1), 0);
    sql(f, "DROP TRIGGER refuse_extras;");

    /* The same for the audit entry, written last. */
    sql(f, "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit"
           " BEGIN SELECT RAISE(ABORT, 'test: audit refused'); END;");
    memset(&err, 0, sizeof err);
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_EUNAVAIL);
    assert_string_equal(err.text, "the request could not be stored; try again later");
    counts(f, 0, 0);
    struct got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id, keep_row, &g), MP_ENOTFOUND);
    sql(f, "DROP TRIGGER refuse_audit;");

    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_OK);
    mp_report_input_clear(&s.report);
    counts(f, 1, 1);
    assert_int_equal(audits(f, res.report_id), 1);
}

/* ---- reading ---- */

struct notes_seen {
    int n;
    int64_t at[16], report_id[16];
};

static int keep_note(void *p, const struct mp_history_row *h)
{
    struct notes_seen *ns = p;
    assert_true(ns->n < 16);
    ns->at[ns->n] = h->at;
    ns->report_id[ns->n++] = h->report_id;
    return 0;
}

static bool seen_at(const struct notes_seen *ns, int64_t at)
{
    for (int i = 0; i < ns->n; i++)
        if (ns->at[i] == at)
            return true;
    return false;
}

/* The fields the notes need; the row's strings are gone after the call. */
static int keep_first(void *p, const struct mp_open311_row *row)
{
    struct mp_open311_row *out = p;
    memset(out, 0, sizeof *out);
    out->id = row->id;
    out->cluster_id = row->cluster_id;
    out->created_at = row->created_at;
    return 1;
}

/* Notes of a request: its case's history since the request was made, less
 * what was said about another report of the case alone. */
static void notes_are_the_requests_own(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result a, b;
    struct mp_error err = {{0}, {0}};
    base(&s);
    s.report.created_at = T0;
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &a, &err), MP_OK);
    mp_report_input_clear(&s.report);
    base(&s);
    s.report.created_at = T0 + 100;
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &b, &err), MP_OK);
    mp_report_input_clear(&s.report);
    assert_true(b.joined);
    assert_int_equal(b.cluster_id, a.cluster_id);
    const struct mp_history_rec hs[] = {
        {a.cluster_id, 0, T0 + 50, "acknowledged", "Seen", true, "disp"},
        {a.cluster_id, a.report_id, T0 + 200, "acknowledged", "About A", true, "disp"},
        {a.cluster_id, 0, T0 + 300, "scheduled", "Planned", true, "disp"},
    };
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++)
        assert_int_equal(mp_store_history_add(f->ctx.db, &hs[i]), MP_OK);

    struct mp_open311_row row;
    struct notes_seen ns;
    assert_int_equal(mp_open311_request(&f->ctx, b.report_id, keep_first, &row), MP_OK);
    memset(&ns, 0, sizeof ns);
    assert_int_equal(mp_open311_notes(&f->ctx, &row, keep_note, &ns), MP_OK);
    assert_true(seen_at(&ns, T0 + 300));
    assert_false(seen_at(&ns, T0 + 50));  /* before B was made */
    assert_false(seen_at(&ns, T0 + 200)); /* about A alone */
    for (int i = 0; i < ns.n; i++) {
        assert_true(ns.at[i] >= T0 + 100);
        assert_true(ns.report_id[i] == 0 || ns.report_id[i] == b.report_id);
    }
    assert_int_equal(mp_open311_request(&f->ctx, a.report_id, keep_first, &row), MP_OK);
    memset(&ns, 0, sizeof ns);
    assert_int_equal(mp_open311_notes(&f->ctx, &row, keep_note, &ns), MP_OK);
    assert_true(seen_at(&ns, T0 + 50));
    assert_true(seen_at(&ns, T0 + 200));
    assert_true(seen_at(&ns, T0 + 300));

    /* The listing and the updates feed see the same requests. */
    struct mp_open311_query q = {.since = T0, .until = T0 + 101, .limit = 10};
    struct got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(mp_open311_requests(&f->ctx, &q, keep_row, &g), MP_OK);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.id, a.report_id); /* newest first: A comes last */
}

static int keep_extra(void *p, const struct mp_open311_row *row)
{
    snprintf(p, 256, "%s|%s|%s", row->attributes ? row->attributes : "-",
             row->extra ? row->extra : "-", row->status_notes ? row->status_notes : "-");
    return 0;
}

/* Attributes a service does not define are kept apart from the defined
 * ones, the first of a repeated one; the defined ones are checked as ever. */
static void submit_keeps_undefined_attributes(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    char got[256];
    base(&s);
    s.answers[2] = (struct mp_open311_answer){"title", "Hole by the stop"};
    s.answers[3] = (struct mp_open311_answer){"report_url", "https://fms.example/report/9"};
    s.answers[4] = (struct mp_open311_answer){"title", "second"};
    s.nanswers = 5;
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_OK);
    mp_report_input_clear(&s.report);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id, keep_extra, got), MP_OK);
    assert_string_equal(got, "{\"size\":\"large\",\"position\":\"bike_lane\"}|"
                             "{\"title\":\"Hole by the stop\",\"report_url\":"
                             "\"https://fms.example/report/9\"}|-");
}

/* Whether cluster id has status st (1) or not (0). */
static int status_is(struct fx *f, int64_t id, const char *st)
{
    struct mp_cluster_state cs;
    assert_int_equal(mp_store_cluster_state(f->ctx.db, id, &cs), MP_OK);
    return strcmp(cs.status, st) == 0;
}

static int count_notes(void *p, const struct mp_history_row *h)
{
    int *n = p;
    if (h->note && strcmp(h->note, "Still there, mail [hidden]") == 0)
        n[0]++;
    n[1]++;
    return 0;
}

/* A client's update: a public note of the request, the status untouched, the
 * update_id taken once, status_notes left to the city. */
static void post_update_is_a_note(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    struct mp_open311_update_out out, again;
    char got[256];
    base(&s);
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &res, &err), MP_OK);
    mp_report_input_clear(&s.report);
    const struct mp_history_rec city = {res.cluster_id, 0, T0 + 10, "new", "We know", true, "disp"};
    assert_int_equal(mp_store_history_add(f->ctx.db, &city), MP_OK);
    struct mp_open311_update_in u = {.service_request_id = res.report_id,
                                     .update_id = "fms-1",
                                     .status = "FIXED",
                                     .updated_at = T0,
                                     .description = "Still there, mail a@example.org",
                                     .media_url = "https://fms.example/c/1.jpeg"};
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &out, &err), MP_OK);
    assert_false(out.existed);
    assert_int_equal(out.report_id, res.report_id);
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &again, &err), MP_OK);
    assert_true(again.existed);
    assert_int_equal(again.history_id, out.history_id);
    struct mp_open311_row row;
    int n[2] = {0, 0};
    assert_int_equal(status_is(f, res.cluster_id, "new"), 1);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id, keep_first, &row), MP_OK);
    assert_int_equal(mp_open311_notes(&f->ctx, &row, count_notes, n), MP_OK);
    assert_int_equal(n[0], 1);
    assert_int_equal(mp_open311_request(&f->ctx, res.report_id, keep_extra, got), MP_OK);
    assert_non_null(strstr(got, "|We know"));
    /* Refusals: another request under a used id, unknown request, bad status,
     * nothing to say, a client below the role. */
    u.service_request_id = res.report_id + 1;
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &out, &err), MP_ECONFLICT);
    assert_string_equal(err.text, "update_id 'fms-1' was already used for service request 1");
    u.update_id = "fms-2";
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &out, &err), MP_ENOTFOUND);
    assert_string_equal(err.text, "service_request_id '2' was not found");
    u.service_request_id = res.report_id;
    u.status = "MAYBE";
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &out, &err), MP_EINVAL);
    u.status = "open";
    u.description = NULL;
    u.media_url = NULL;
    assert_int_equal(mp_open311_post_update(&f->ctx, &f->client, &u, &out, &err), MP_EINVAL);
    assert_string_equal(err.text, "an update needs a description or a media_url");
    struct mp_principal nobody = f->client;
    nobody.role = MP_ROLE_NONE;
    assert_int_equal(mp_open311_post_update(&f->ctx, &nobody, &u, &out, &err), MP_EFORBIDDEN);
}

static int count_update(void *p, const struct mp_open311_update *u)
{
    (void)u;
    (*(int *)p)++;
    return 0;
}

static void updates_are_paged(void **state)
{
    struct fx *f = *state;
    struct mp_open311_submission s;
    struct mp_submit_result a;
    struct mp_error err = {{0}, {0}};
    base(&s);
    s.report.created_at = T0;
    assert_int_equal(mp_open311_submit(&f->ctx, &f->client, &s, &a, &err), MP_OK);
    mp_report_input_clear(&s.report);
    for (int i = 1; i <= 3; i++) {
        struct mp_history_rec h = {a.cluster_id, 0, T0 + 10 * i, "acknowledged", NULL, false, NULL};
        assert_int_equal(mp_store_history_add(f->ctx.db, &h), MP_OK);
    }
    int n = 0;
    assert_int_equal(mp_open311_updates(&f->ctx, T0 + 1, T0 + 31, 10, 0, count_update, &n), MP_OK);
    assert_int_equal(n, 3);
    n = 0;
    assert_int_equal(mp_open311_updates(&f->ctx, T0 + 1, T0 + 31, 2, 2, count_update, &n), MP_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(mp_open311_updates(&f->ctx, T0 + 11, T0 + 21, 10, 0, count_update, &n), MP_OK);
    assert_int_equal(n, 1);
}

/* ---- service definitions ---- */

static void service_definitions(void **state)
{
    (void)state;
    json_t *services = mp_open311_services(fx_pack.city);
    assert_non_null(services);
    const json_t *pothole = mp_open311_service(services, "pothole");
    assert_non_null(pothole);
    assert_null(mp_open311_service(services, "potholes"));
    const json_t *name = json_object_get(pothole, "name");
    assert_string_equal(mp_open311_text(name, "en"), "Pothole in street");
    assert_string_equal(mp_open311_text(name, "xx"), "Pothole in street"); /* English fallback */
    assert_string_not_equal(mp_open311_text(name, "nl"), "Pothole in street");
    json_t *plain = json_string("same");
    assert_string_equal(mp_open311_text(plain, "nl"), "same");
    json_decref(plain);
    json_decref(services);
}

static void split_lists(void **state)
{
    (void)state;
    char text[64];
    const char *items[3];
    size_t n;
    snprintf(text, sizeof text, "a, b,c");
    assert_true(mp_open311_split_list(text, items, 3, &n));
    assert_int_equal(n, 3);
    assert_string_equal(items[0], "a");
    assert_string_equal(items[1], "b");
    assert_string_equal(items[2], "c");
    snprintf(text, sizeof text, "a,b,c,d");
    assert_false(mp_open311_split_list(text, items, 3, &n)); /* more than cap */
    snprintf(text, sizeof text, "a,,b");
    assert_false(mp_open311_split_list(text, items, 3, &n)); /* an empty item */
    snprintf(text, sizeof text, "a,");
    assert_false(mp_open311_split_list(text, items, 3, &n));
}

/* ---- service levels ---- */

static int64_t utc(int y, unsigned m, unsigned d, int h, int mi, int s)
{
    return mp_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void due_counts_working_days(void **state)
{
    const struct fx_city *f = &fx_pack;
    (void)state;
    char out[32];
    /* Thursday 2021-12-23 10:00 CST; the 24th and 31st are observed holidays. */
    int64_t start = utc(2021, 12, 23, 16, 0, 0);
    int64_t due = mp_open311_due(f->city, f->tz, start, 1);
    mp_open311_doc_format_time(due, mp_tz_offset(f->tz, due), out, sizeof out);
    assert_string_equal(out, "2021-12-27T10:00:00-06:00");
    due = mp_open311_due(f->city, f->tz, start, 5);
    mp_open311_doc_format_time(due, mp_tz_offset(f->tz, due), out, sizeof out);
    assert_string_equal(out, "2022-01-03T10:00:00-06:00");
    assert_int_equal(mp_open311_due(f->city, f->tz, start, 0), start);
}

static void due_keeps_local_time_across_dst(void **state)
{
    const struct fx_city *f = &fx_pack;
    (void)state;
    char out[32];
    /* Friday 2021-03-12 09:00 CST; clocks go forward on Sunday the 14th. */
    int64_t start = utc(2021, 3, 12, 15, 0, 0);
    int64_t due = mp_open311_due(f->city, f->tz, start, 1);
    assert_int_equal(due, utc(2021, 3, 15, 14, 0, 0));
    mp_open311_doc_format_time(due, mp_tz_offset(f->tz, due), out, sizeof out);
    assert_string_equal(out, "2021-03-15T09:00:00-05:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(submit_stores_report_and_extras, setup, teardown),
        cmocka_unit_test_setup_teardown(submit_checks_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(submit_keeps_undefined_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(post_update_is_a_note, setup, teardown),
        cmocka_unit_test_setup_teardown(submit_checks_extras_and_client, setup, teardown),
        cmocka_unit_test_setup_teardown(submit_is_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(notes_are_the_requests_own, setup, teardown),
        cmocka_unit_test_setup_teardown(updates_are_paged, setup, teardown),
        cmocka_unit_test(service_definitions),
        cmocka_unit_test(split_lists),
        cmocka_unit_test(due_counts_working_days),
        cmocka_unit_test(due_keeps_local_time_across_dst),
    };
    return cmocka_run_group_tests_name("open311", tests, fx_pack_group_setup,
                                       fx_pack_group_teardown);
}
