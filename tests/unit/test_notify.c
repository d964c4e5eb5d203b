/* test_notify.c - the outbox's domain side on a temporary database with the
 * Chicago pack: a live report with an address queues its confirmation in
 * its own transaction (and a rolled-back one nothing), imports are quiet, a
 * status change fans out once per subscribed address of the job when the
 * status or a public note matters, the stop list holds; the renderers mint
 * working one-time links; the satisfaction answer and its details move a
 * fixed job to reopen_requested; follow-ups are queued once per fix and
 * dropped once answered. */
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
#include "meldpunt/kto.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_render.h"
#include "meldpunt/outbox.h"
#include "meldpunt/report.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/workflow.h"

#define DAY 86400
#define LON -87.6298
#define LAT 41.8781

static struct mp_mail_pack *pack;

static int group_setup(void **state)
{
    struct mp_error err = {{0}, {0}};
    if (fx_pack_group_setup(state))
        return -1;
    if (mp_mail_pack_load(fx_chicago_dir(), &pack, &err) != MP_OK) {
        fprintf(stderr, "mail pack: %s\n", err.text);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    mp_mail_pack_free(pack);
    return fx_pack_group_teardown(state);
}

static const struct mp_principal dana = {.user_id = 1, .name = "dana", .region_wide = true,
                                         .role = MP_ROLE_DISPATCHER};

/* A report by email (NULL: none) dy metres north of the Loop, created at
 * `at` (0: now); same_as joins a cluster. */
static struct mp_submit_result submit(struct fx_db *d, const char *email, double dy, int64_t at,
                                      int64_t same_as, bool quiet)
{
    struct mp_report_input in = {0};
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    snprintf(in.category, sizeof in.category, "pothole");
    in.lon = LON;
    in.lat = LAT + dy / 111320.0;
    in.has_lon = in.has_lat = true;
    in.contact_email = email ? strdup(email) : NULL;
    snprintf(in.lang, sizeof in.lang, "nl,en");
    in.created_at = at;
    in.same_as = same_as;
    in.quiet = quiet;
    if (mp_report_submit(&d->ctx, &in, true, &res, &err) != MP_OK)
        fail_msg("report: %s", err.text);
    mp_report_input_clear(&in);
    return res;
}

static void change(struct fx_db *d, int64_t cluster, const char *status, const char *note,
                   bool note_public)
{
    struct mp_error err = {{0}, {0}};
    struct mp_workflow_request rq = {
        .cluster_id = cluster, .status = status, .note = note, .note_public = note_public};
    struct mp_workflow_result res;
    if (mp_workflow_change(&d->ctx, NULL, &dana, &rq, &res, &err) != MP_OK)
        fail_msg("%s: %s", status, err.text);
}

/* A copy of an outbox row, outliving its callback. */
struct msg {
    int64_t id, event_id, sub_id, report_id, cluster_id, created_at;
    char kind[16], rcpt[64], rcpt_hash[65], lang[24], key[40], state[16];
    struct mp_outbox_row row;
};

struct msgs {
    struct msg m[64];
    size_t n;
};

static void copy(char *dst, size_t cap, const char *s) { snprintf(dst, cap, "%s", s ? s : ""); }

static int take(void *p, const struct mp_outbox_row *r)
{
    struct msgs *l = p;
    if (l->n == 64)
        return 1;
    struct msg *m = &l->m[l->n++];
    m->id = r->id;
    m->event_id = r->event_id;
    m->sub_id = r->sub_id;
    m->report_id = r->report_id;
    m->cluster_id = r->cluster_id;
    m->created_at = r->created_at;
    copy(m->kind, sizeof m->kind, r->kind);
    copy(m->rcpt, sizeof m->rcpt, r->rcpt);
    copy(m->rcpt_hash, sizeof m->rcpt_hash, r->rcpt_hash);
    copy(m->lang, sizeof m->lang, r->lang);
    copy(m->key, sizeof m->key, r->msg_key);
    copy(m->state, sizeof m->state, r->state);
    m->row = *r;
    m->row.kind = m->kind;
    m->row.rcpt = m->rcpt;
    m->row.rcpt_hash = m->rcpt_hash;
    m->row.lang = m->lang;
    m->row.msg_key = m->key;
    m->row.state = m->state;
    m->row.event_uid = NULL;
    m->row.last_error = NULL;
    return 0;
}

/* The outbox, oldest first. */
static void outbox(struct fx_db *d, struct msgs *l)
{
    struct mp_error err = {{0}, {0}};
    struct msgs newest = {.n = 0};
    memset(l, 0, sizeof *l);
    assert_int_equal(mp_outbox_list(&d->ctx, NULL, 0, 64, take, &newest, &err), MP_OK);
    for (size_t i = 0; i < newest.n; i++) {
        l->m[i] = newest.m[newest.n - 1 - i];
        struct msg *m = &l->m[i];
        m->row.kind = m->kind;
        m->row.rcpt = m->rcpt;
        m->row.rcpt_hash = m->rcpt_hash;
        m->row.lang = m->lang;
        m->row.msg_key = m->key;
        m->row.state = m->state;
    }
    l->n = newest.n;
}

static size_t count(const struct msgs *l, const char *kind, const char *rcpt)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += (!kind || strcmp(l->m[i].kind, kind) == 0) &&
             (!rcpt || strcmp(l->m[i].rcpt, rcpt) == 0);
    return n;
}

static void test_report_queues_its_confirmation(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    fx_db_open(&d, "mp-notify");
    struct mp_submit_result a = submit(&d, "Anne@Example.ORG", 0, 0, 0, false);
    submit(&d, NULL, 500, 0, 0, false);                /* no address: no mail */
    submit(&d, "quiet@example.org", 1000, 0, 0, true); /* an import: quiet */
    outbox(&d, &l);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.m[0].kind, "confirm");
    assert_string_equal(l.m[0].rcpt, "anne@example.org"); /* as stored and compared */
    assert_string_equal(l.m[0].lang, "nl,en");
    assert_string_equal(l.m[0].state, MP_OUTBOX_QUEUED);
    assert_int_equal(l.m[0].report_id, a.report_id);
    assert_int_equal(l.m[0].cluster_id, a.cluster_id);
    assert_true(l.m[0].event_id > 0);
    assert_int_equal(strlen(l.m[0].key), 32);
    fx_db_close(&d);
}

static void test_rolled_back_report_queues_nothing(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    struct mp_error err = {{0}, {0}};
    fx_db_open(&d, "mp-notify");
    struct mp_report_input in = {0};
    struct mp_submit_result res;
    snprintf(in.category, sizeof in.category, "pothole");
    in.lon = LON;
    in.lat = LAT;
    in.has_lon = in.has_lat = true;
    in.contact_email = strdup("gone@example.org");
    /* As the group commit does: inside the caller's transaction, which then
     * rolls back (a failed batch). */
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_submit(&d.ctx, &in, false, &res, &err), MP_OK);
    mp_store_rollback(d.ctx.db);
    mp_report_input_clear(&in);
    outbox(&d, &l);
    assert_int_equal(l.n, 0);
    fx_db_close(&d);
}

static void test_status_fans_out_once_per_address(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    fx_db_open(&d, "mp-notify");
    struct mp_submit_result a = submit(&d, "anne@example.org", 0, 0, 0, false);
    submit(&d, "bert@example.org", 2, 0, a.cluster_id, false);
    submit(&d, "ANNE@example.org", 3, 0, a.cluster_id, false); /* Anne's second report */
    struct mp_submit_result other = submit(&d, "carla@example.org", 800, 0, 0, false);
    outbox(&d, &l);
    size_t base = l.n;
    assert_int_equal(base, 4);
    change(&d, a.cluster_id, "acknowledged", NULL, false);
    outbox(&d, &l);
    assert_int_equal(l.n, base + 2);
    assert_int_equal(count(&l, "status", "anne@example.org"), 1);
    assert_int_equal(count(&l, "status", "bert@example.org"), 1);
    assert_int_equal(count(&l, "status", "carla@example.org"), 0);
    /* One event for both, each about the address's first report of the job. */
    assert_int_equal(l.m[base].event_id, l.m[base + 1].event_id);
    for (size_t i = base; i < l.n; i++)
        if (strcmp(l.m[i].rcpt, "anne@example.org") == 0)
            assert_int_equal(l.m[i].report_id, a.report_id);
    /* A crew starting: nothing; with a public note it matters, with an
     * internal one it does not. */
    change(&d, a.cluster_id, "in_progress", NULL, false);
    change(&d, a.cluster_id, "scheduled", "Back on Monday (internal)", false);
    outbox(&d, &l);
    assert_int_equal(l.n, base + 4); /* scheduled is mailed itself */
    change(&d, a.cluster_id, "in_progress", "The crew is there now", true);
    outbox(&d, &l);
    assert_int_equal(l.n, base + 6);
    /* Another job's changes reach only its reporters. */
    change(&d, other.cluster_id, "acknowledged", NULL, false);
    outbox(&d, &l);
    assert_int_equal(count(&l, "status", "carla@example.org"), 1);
    fx_db_close(&d);
}

static void test_stop_list_holds(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    struct mp_error err = {{0}, {0}};
    fx_db_open(&d, "mp-notify");
    struct mp_submit_result a = submit(&d, "daan@example.org", 0, 0, 0, false);
    /* Daan stops all mail with the session of "my reports". */
    struct mp_render_env env = {pack, "https://reports.example", "meldpunt@city.example",
                                mp_time_now()};
    assert_int_equal(mp_notify_signin_request(&d.ctx, "Daan@Example.org", "en", &err), MP_OK);
    assert_int_equal(mp_notify_signin_request(&d.ctx, "nobody@example.org", "en", &err), MP_OK);
    outbox(&d, &l);
    assert_int_equal(count(&l, "signin", NULL), 1);
    struct mp_rendered out = {0};
    mp_buf_init(&out.message, 0);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_render_signin(&d.ctx, &env, &l.m[l.n - 1].row, &out), MP_OK);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_false(out.skip);
    /* The link's token, as the text part carries it (quoted-printable). */
    const char *at = strstr(out.message.data, "my-reports.html?t=3D");
    assert_non_null(at);
    char token[64] = {0};
    size_t k = 0;
    for (const char *p = at + 20; k < 46; p++) {
        if (p[0] == '=' && p[1] == '\r') {
            p += 2;
            continue;
        }
        token[k++] = *p;
    }
    char session[MP_TOKEN_LEN], second[MP_TOKEN_LEN];
    int64_t expires = 0;
    assert_int_equal(mp_notify_session_open(&d.ctx, token, session, sizeof session, &expires, &err),
                     MP_OK);
    assert_int_equal(mp_notify_session_open(&d.ctx, token, second, sizeof second, &expires, &err),
                     MP_EAUTH);
    assert_string_equal(err.code, "used_token");
    assert_int_equal(mp_notify_mine_stop(&d.ctx, session, 0, &err), MP_OK);
    mp_buf_free(&out.message);
    change(&d, a.cluster_id, "acknowledged", "Seen", true);
    submit(&d, "daan@example.org", 900, 0, 0, false);
    outbox(&d, &l);
    assert_int_equal(count(&l, "status", NULL), 0);
    assert_int_equal(count(&l, "confirm", NULL), 1); /* the first, from before the stop */
    fx_db_close(&d);
}

/* The satisfaction token of a rendered mail (text part, quoted-printable). */
static void kto_token(const char *msg, char *token)
{
    const char *at = strstr(msg, "kto.html?t=3D");
    assert_non_null(at);
    size_t k = 0;
    for (const char *p = at + 13; k < 46; p++) {
        if (p[0] == '=' && p[1] == '\r') {
            p += 2;
            continue;
        }
        token[k++] = *p;
    }
    token[k] = '\0';
}

static void render_last(struct fx_db *d, struct msgs *l, const char *kind, struct mp_rendered *out)
{
    struct mp_error err = {{0}, {0}};
    struct mp_render_env env = {pack, "https://reports.example", "meldpunt@city.example",
                                mp_time_now()};
    outbox(d, l);
    const struct msg *m = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->m[i].kind, kind) == 0)
            m = &l->m[i];
    assert_non_null(m);
    memset(out, 0, sizeof *out);
    mp_buf_init(&out->message, 0);
    assert_int_equal(mp_store_begin_write(d->ctx.db, &err), MP_OK);
    mp_render_fn fn = strcmp(kind, "status") == 0 ? mp_render_status : mp_render_followup;
    assert_int_equal(fn(&d->ctx, &env, &m->row, out), MP_OK);
    assert_int_equal(mp_store_commit(d->ctx.db, &err), MP_OK);
}

static void test_satisfaction_reopens(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    struct mp_error err = {{0}, {0}};
    struct mp_rendered out;
    char token[64], form[MP_TOKEN_LEN], form2[MP_TOKEN_LEN];
    struct mp_kto_answered a;
    struct mp_kto_result res;
    fx_db_open(&d, "mp-notify");
    struct mp_submit_result r = submit(&d, "carla@example.org", 0, 0, 0, false);
    change(&d, r.cluster_id, "acknowledged", NULL, false);
    change(&d, r.cluster_id, "in_progress", NULL, false);
    change(&d, r.cluster_id, "fixed", "Filled", true);
    render_last(&d, &l, "status", &out);
    assert_false(out.skip);
    assert_non_null(strstr(out.message.data, "Subject: Melding "));
    kto_token(out.message.data, token);
    mp_buf_free(&out.message);
    /* A wrong token, then the real one: recorded once. */
    char wrong[64];
    snprintf(wrong, sizeof wrong, "%s", token);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_int_equal(mp_kto_answer(&d.ctx, wrong, false, form2, sizeof form2, &a, &err), MP_EAUTH);
    assert_string_equal(err.code, "invalid_token");
    assert_int_equal(mp_kto_answer(&d.ctx, token, false, form, sizeof form, &a, &err), MP_OK);
    assert_int_equal(a.report_id, r.report_id);
    assert_int_equal(mp_kto_answer(&d.ctx, token, true, form2, sizeof form2, &a, &err), MP_EAUTH);
    assert_string_equal(err.code, "used_token");
    /* A satisfied reason for an unsatisfied answer is refused; the form
     * token stays usable for the right one. */
    const char *good[] = {"not_fixed", "too_slow"}, *bad[] = {"quick"};
    struct mp_kto_details det = {.reasons = bad, .nreasons = 1, .lang = "nl"};
    assert_int_equal(mp_kto_detail(&d.ctx, pack, form, &det, &res, &err), MP_EINVAL);
    assert_string_equal(err.code, "unknown_reason");
    det = (struct mp_kto_details){
        .reasons = good, .nreasons = 2, .text = "Nog steeds een gat", .lang = "nl"};
    assert_int_equal(mp_kto_detail(&d.ctx, pack, form, &det, &res, &err), MP_OK);
    assert_true(res.reopen_requested);
    assert_string_equal(res.status, "reopen_requested");
    assert_int_equal(mp_kto_detail(&d.ctx, pack, form, &det, &res, &err), MP_EAUTH);
    assert_string_equal(err.code, "used_token");
    /* The job asks to be reopened; its reporters are not mailed about it. */
    struct mp_cluster_state st;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, r.cluster_id, &st), MP_OK);
    assert_string_equal(st.status, "reopen_requested");
    outbox(&d, &l);
    size_t before = count(&l, "status", NULL);
    /* Staff decide: back to fixed, with a reason; that mail asks nothing. */
    change(&d, r.cluster_id, "fixed", "Checked: the patch holds", true);
    render_last(&d, &l, "status", &out);
    assert_int_equal(count(&l, "status", NULL), before + 1);
    assert_null(strstr(out.message.data, "kto.html"));
    mp_buf_free(&out.message);
    fx_db_close(&d);
}

static void test_followups_once_per_fix(void **state)
{
    (void)state;
    struct fx_db d;
    struct msgs l;
    struct mp_error err = {{0}, {0}};
    struct mp_outbox_round round;
    struct mp_outbox_opts o = {
        .public_url = "https://reports.example", .mail_from = "meldpunt@city.example", .batch = 16};
    fx_db_open(&d, "mp-notify");
    int64_t now = mp_time_now();
    /* Reported 40 days ago, fixed 29 days ago (potholes ask after 28). */
    struct mp_submit_result r = submit(&d, "emma@example.org", 0, now - 40 * DAY, 0, false);
    struct mp_submit_result recent = submit(&d, "fien@example.org", 900, now - 40 * DAY, 0, false);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&d.ctx, r.cluster_id, "fixed", now - 29 * DAY,
                                                  NULL, "dana", &err),
                     MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&d.ctx, recent.cluster_id, "fixed",
                                                  now - 20 * DAY, NULL, "dana", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now, &round, &err), MP_OK);
    assert_int_equal(mp_outbox_round(&d.ctx, pack, &o, now + 600, &round, &err), MP_OK);
    outbox(&d, &l);
    assert_int_equal(count(&l, "followup", NULL), 1);
    assert_int_equal(count(&l, "followup", "emma@example.org"), 1);
    /* Rendered: the question with fresh links; answered, it is moot. */
    struct mp_rendered out;
    char token[64], form[MP_TOKEN_LEN];
    struct mp_kto_answered a;
    render_last(&d, &l, "followup", &out);
    assert_false(out.skip);
    assert_non_null(strstr(out.message.data, "Is het echt opgelost?"));
    kto_token(out.message.data, token);
    mp_buf_free(&out.message);
    assert_int_equal(mp_kto_answer(&d.ctx, token, true, form, sizeof form, &a, &err), MP_OK);
    render_last(&d, &l, "followup", &out);
    assert_true(out.skip);
    assert_string_equal(out.why, "the reporter answered already");
    mp_buf_free(&out.message);
    fx_db_close(&d);
}

static void test_languages_of_a_header(void **state)
{
    (void)state;
    char out[MP_LANG_MAX];
    mp_notify_lang_from_header("nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7", out, sizeof out);
    assert_string_equal(out, "nl,en");
    mp_notify_lang_from_header("de;q=0.1, fr", out, sizeof out);
    assert_string_equal(out, "fr,de");
    mp_notify_lang_from_header("*;q=0.5, x-klingon, en;q=0", out, sizeof out);
    assert_string_equal(out, "");
    mp_notify_lang_from_header(NULL, out, sizeof out);
    assert_string_equal(out, "");
    mp_notify_lang_from_header("a1,b2,c3,d4,e5,fr,nl,en,de,es", out, sizeof out);
    assert_string_equal(out, "fr,nl,en,de");
    char addr[MP_EMAIL_MAX];
    assert_true(mp_notify_address_norm(" A.B@Example.ORG\t", addr, sizeof addr));
    assert_string_equal(addr, "a.b@example.org");
    assert_false(mp_notify_address_norm("a@b\r\nBcc: c@d.org", addr, sizeof addr));
    assert_false(mp_notify_address_norm("no-at.example.org", addr, sizeof addr));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_queues_its_confirmation),
        cmocka_unit_test(test_rolled_back_report_queues_nothing),
        cmocka_unit_test(test_status_fans_out_once_per_address),
        cmocka_unit_test(test_stop_list_holds),
        cmocka_unit_test(test_satisfaction_reopens),
        cmocka_unit_test(test_followups_once_per_fix),
        cmocka_unit_test(test_languages_of_a_header),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
