/* test_workflow_view.c - the staff view of a cluster (mp_workflow_view) and
 * the crew photo read, on a temporary database with the Chicago pack: the
 * parts in their order, contact details for dispatchers only, each internal
 * note shown with the history entry of its change, public notes as they
 * are, and the errors a client hears. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/report.h"
#include "meldpunt/workflow.h"

#define T0 1609502400LL /* 2021-01-01T12:00:00Z */

/* What the callbacks saw, one token a call, in order. */
struct trace {
    char s[1024];
    int64_t job;
};

static void add(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct trace *t, const char *fmt, ...)
{
    size_t len = strlen(t->s);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->s + len, sizeof t->s - len, fmt, ap);
    va_end(ap);
}

static void on_job(void *p, const struct mp_job *j)
{
    struct trace *t = p;
    t->job = j->id;
    add(t, "job:%s:%s ", j->status, j->department);
}

static void on_report(void *p, const struct mp_report_row *r, bool with_private,
                      int64_t merged_from, int64_t merge_id)
{
    (void)merged_from;
    (void)merge_id;
    add(p, "report:%s:%s ", with_private ? "private" : "public",
        r->contact_name ? r->contact_name : "-");
}

static void on_entry(void *p, const struct mp_workflow_entry *e)
{
    add(p, "entry:%s:%s:%s:%s ", e->status ? e->status : "-", e->actor ? e->actor : "-",
        e->note ? e->note : "-", e->note_public ? "public" : "internal");
}

static void on_photo(void *p, const struct mp_work_photo_row *r)
{
    add(p, "photo:%s:%ux%u ", r->status, r->width, r->height);
}

static void on_audit(void *p, const struct mp_audit_row *a)
{
    add(p, "audit:%s:%s ", a->user_name, a->action);
}

static const struct mp_workflow_view_cbs cbs = {on_job, on_report, on_entry, on_photo, on_audit};

static void change(struct fx_db *d, const struct mp_principal *who, int64_t cluster,
                   const char *status, const char *note, bool note_public,
                   const struct mp_photo_rec *photo, int64_t *photo_id)
{
    struct mp_error err = {{0}, {0}};
    struct mp_workflow_request rq = {.cluster_id = cluster, .status = status, .note = note,
                                     .note_public = note_public, .photo = photo};
    struct mp_workflow_result res;
    if (mp_workflow_change(&d->ctx, NULL, who, &rq, &res, &err) != MP_OK)
        fail_msg("%s: %s", status, err.text);
    if (photo_id)
        *photo_id = res.photo_id;
}

static void the_view_pairs_notes_with_their_changes(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_report_input in;
    struct mp_submit_result res;
    struct mp_principal dana = {.user_id = 4, .name = "dana", .region_wide = true, .role = MP_ROLE_DISPATCHER};
    struct mp_principal crew = {.user_id = 5, .name = "st-1", .region_wide = true, .role = MP_ROLE_CREW,
                                .department = "streets"};
    int64_t cluster, photo_id = 0;
    fx_db_open(&d, "mp-view");
    fx_report(&d.ctx, "sidewalk_damage", -87.6298, 41.8781, NULL, T0, &cluster);
    memset(&in, 0, sizeof in);
    snprintf(in.category, sizeof in.category, "sidewalk_damage");
    in.lon = -87.6298;
    in.lat = 41.8781;
    in.has_lon = in.has_lat = true;
    in.created_at = T0 + 60;
    in.contact_name = strdup("Ann");
    assert_int_equal(mp_report_submit(&d.ctx, &in, true, &res, &err), MP_OK);
    mp_report_input_clear(&in);
    assert_int_equal(res.cluster_id, cluster);

    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xd9};
    struct mp_photo_rec photo = {.full = jpeg, .full_len = sizeof jpeg, .thumb = jpeg + 2,
                                 .thumb_len = 2, .width = 640, .height = 480,
                                 .mime = "image/jpeg"};
    /* Within one second: the internal note must find its own change. */
    change(&d, &dana, cluster, "acknowledged", NULL, false, NULL, NULL);
    change(&d, &crew, cluster, "in_progress", "bring cones", false, &photo, &photo_id);
    change(&d, &crew, cluster, "fixed", "filled it", true, NULL, NULL);

    struct trace t = {"", 0};
    assert_int_equal(mp_workflow_view(&d.ctx, NULL, &dana, cluster, T0 + 86400, &cbs, &t, &err),
                     MP_OK);
    assert_int_equal(t.job, cluster);
    assert_string_equal(t.s, "job:fixed:streets "
                             "report:private:- report:private:Ann "
                             "entry:new:-:-:public "
                             "entry:acknowledged:dana:-:public "
                             "entry:in_progress:st-1:bring cones:internal "
                             "entry:fixed:st-1:filled it:public "
                             "photo:in_progress:640x480 "
                             "audit:dana:status audit:st-1:status audit:st-1:status ");

    /* A crew sees the same without the reporters' contact details. */
    t = (struct trace){"", 0};
    assert_int_equal(mp_workflow_view(&d.ctx, NULL, &crew, cluster, T0 + 86400, &cbs, &t, &err),
                     MP_OK);
    assert_non_null(strstr(t.s, "report:public:- report:public:- entry:new"));

    memset(&err, 0, sizeof err);
    t = (struct trace){"", 0};
    assert_int_equal(mp_workflow_view(&d.ctx, NULL, &dana, cluster + 9, T0, &cbs, &t, &err),
                     MP_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    assert_string_equal(t.s, "");

    /* The photo and its thumbnail, as stored. */
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(mp_workflow_photo(&d.ctx, NULL, &dana, photo_id, false, &data, &len, &err), MP_OK);
    assert_int_equal(len, sizeof jpeg);
    assert_memory_equal(data, jpeg, len);
    free(data);
    assert_int_equal(mp_workflow_photo(&d.ctx, NULL, &dana, photo_id, true, &data, &len, &err), MP_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(data, jpeg + 2, 2);
    free(data);
    char text[64];
    snprintf(text, sizeof text, "there is no photo %lld", (long long)(photo_id + 1));
    assert_int_equal(mp_workflow_photo(&d.ctx, NULL, &dana, photo_id + 1, false, &data, &len, &err),
                     MP_ENOTFOUND);
    assert_string_equal(err.text, text);

    /* A crew of the job's department sees its photo; another department's
     * crew neither the job (its notes, photos, history) nor the photo. */
    assert_int_equal(mp_workflow_photo(&d.ctx, NULL, &crew, photo_id, true, &data, &len, &err),
                     MP_OK);
    free(data);
    struct mp_principal parks = {.user_id = 9, .name = "pk-1", .region_wide = true, .role = MP_ROLE_CREW,
                                 .department = "parks"};
    t = (struct trace){"", 0};
    memset(&err, 0, sizeof err);
    assert_int_equal(mp_workflow_view(&d.ctx, NULL, &parks, cluster, T0, &cbs, &t, &err),
                     MP_EFORBIDDEN);
    assert_string_equal(err.text, "this job belongs to department streets, not to parks");
    assert_string_equal(t.s, "");
    data = NULL;
    assert_int_equal(mp_workflow_photo(&d.ctx, NULL, &parks, photo_id, true, &data, &len, &err),
                     MP_EFORBIDDEN);
    assert_string_equal(err.text, "this job belongs to department streets, not to parks");
    assert_null(data);
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_view_pairs_notes_with_their_changes),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
