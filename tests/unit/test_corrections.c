/* test_corrections.c - staff corrections (corrections.h) as domain calls on
 * a temporary database with the Chicago pack: a merge folds one cluster into
 * another (counts, centre, status, history, audit), a move takes a report
 * into an existing cluster or a new one of its own, and a refused
 * correction leaves nothing behind, not even an open transaction. */
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
#include "meldpunt/city.h"
#include "meldpunt/corrections.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_merge.h"
#include "meldpunt/store_work.h"

#define T0 1609502400LL /* 2021-01-01T12:00:00Z */
#define M_LON (1.0 / (111320.0 * 0.7445)) /* degrees of a metre east at 41.88 N */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781

static const struct mp_principal dana = {.user_id = 4, .name = "dana", .region_wide = true,
                                         .role = MP_ROLE_DISPATCHER};

/* A report east_m metres east of the Loop; its id, and its cluster in *cluster. */
static int64_t report(struct fx_db *d, const char *category, double east_m, int64_t at,
                      int64_t *cluster)
{
    return fx_report(&d->ctx, category, LOOP_LON + east_m * M_LON, LOOP_LAT, NULL, at, cluster);
}

static struct mp_cluster_state state_of(struct fx_db *d, int64_t id)
{
    struct mp_cluster_state st;
    assert_int_equal(mp_store_cluster_state(d->ctx.db, id, &st), MP_OK);
    return st;
}

struct log {
    size_t n;
    char last[160];
};

static int history_note(void *p, const struct mp_history_row *h)
{
    struct log *l = p;
    l->n++;
    snprintf(l->last, sizeof l->last, "%s|%s|%s", h->status ? h->status : "",
             h->actor ? h->actor : "", h->note ? h->note : "");
    return 0;
}

static int audit_entry(void *p, const struct mp_audit_row *a)
{
    struct log *l = p;
    l->n++;
    snprintf(l->last, sizeof l->last, "%s|%s|%s", a->user_name, a->action,
             a->detail ? a->detail : "");
    return 0;
}

static struct log history_of(struct fx_db *d, int64_t cluster)
{
    struct log l = {0, ""};
    assert_int_equal(mp_store_history(d->ctx.db, cluster, history_note, &l), MP_OK);
    return l;
}

static struct log audit_of(struct fx_db *d, const char *type, int64_t id)
{
    struct log l = {0, ""};
    assert_int_equal(mp_store_audit_for(d->ctx.db, type, id, audit_entry, &l), MP_OK);
    return l;
}

struct report_of {
    int64_t cluster_id;
};

static int grab(void *p, const struct mp_report_row *r)
{
    ((struct report_of *)p)->cluster_id = r->cluster_id;
    return 0;
}

static void set_status(struct fx_db *d, int64_t cluster, const char *status)
{
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(d->ctx.db, &err), MP_OK);
    assert_int_equal(mp_report_cluster_set_status(&d->ctx, cluster, status, T0 + 600, NULL,
                                                  "dana", &err),
                     MP_OK);
    assert_int_equal(mp_store_commit(d->ctx.db, &err), MP_OK);
}

static void a_merge_folds_counts_centre_history_and_audit(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    int64_t a, a2, b, other;
    char want[160];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    report(&d, "sidewalk_damage", 2, T0 + 60, &a2); /* joins a */
    report(&d, "sidewalk_damage", 300, T0 + 120, &b);
    report(&d, "graffiti", 300, T0 + 180, &other);
    assert_int_equal(a2, a);
    struct mp_cluster_state sa = state_of(&d, a), sb = state_of(&d, b);
    /* The target is fixed, the other still open: the merged job is open. */
    set_status(&d, a, "fixed");
    set_status(&d, b, "acknowledged");
    size_t before = history_of(&d, a).n;

    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, "one hole", &res, &err), MP_OK);
    assert_int_equal(res.cluster_id, a);
    assert_true(res.have_state);
    assert_int_equal(res.state.report_count, 3);
    assert_string_equal(res.state.status, "acknowledged");
    assert_near(res.state.x, (sa.sum_x + sb.sum_x) / 3, 1e-6);
    assert_near(res.state.y, (sa.sum_y + sb.sum_y) / 3, 1e-6);
    struct mp_cluster_state gone;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, b, &gone), MP_ENOTFOUND);
    struct log h = history_of(&d, a);
    /* b's history went with its reports; the merge's entry comes last. */
    assert_true(h.n > before + 1);
    snprintf(want, sizeof want, "acknowledged|dana|merged cluster %lld into this one",
             (long long)b);
    assert_string_equal(h.last, want);
    struct log au = audit_of(&d, "cluster", a);
    assert_int_equal(au.n, 1);
    snprintf(want, sizeof want, "dana|merge|{\"from\":%lld,\"into\":%lld,\"merge\":%lld}",
             (long long)b, (long long)a, (long long)res.merge_id);
    assert_string_equal(au.last, want);
    /* A job of another category is no part of it. */
    assert_int_equal(state_of(&d, other).report_count, 1);
    fx_db_close(&d);
}

/* A refused correction: its error, nothing changed, nothing audited, and
 * the session free for the next write. */
static void refused_merge(struct fx_db *d, int64_t from, int64_t into, enum mp_status want,
                          const char *code, const char *text)
{
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    assert_int_equal(mp_corrections_merge(&d->ctx, &dana, from, into, NULL, &res, &err), want);
    assert_string_equal(err.code, code);
    assert_string_equal(err.text, text);
    assert_int_equal(audit_of(d, "cluster", into).n, 0);
    assert_int_equal(mp_store_begin_write(d->ctx.db, &err), MP_OK);
    mp_store_rollback(d->ctx.db);
}

static void a_refused_merge_leaves_nothing(void **state)
{
    (void)state;
    struct fx_db d;
    int64_t a, b, g;
    char text[160];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    report(&d, "sidewalk_damage", 300, T0 + 60, &b);
    report(&d, "graffiti", 600, T0 + 120, &g);
    refused_merge(&d, a, a, MP_EINVAL, "invalid_field", "a cluster cannot be merged into itself");
    snprintf(text, sizeof text,
             "cluster %lld is sidewalk_damage and cluster %lld is graffiti: not the same job",
             (long long)a, (long long)g);
    refused_merge(&d, a, g, MP_ECONFLICT, "category_mismatch", text);
    snprintf(text, sizeof text, "there is no cluster %lld", (long long)(g + 50));
    refused_merge(&d, a, g + 50, MP_ENOTFOUND, "not_found", text);
    assert_int_equal(state_of(&d, a).report_count, 1);
    assert_int_equal(state_of(&d, b).report_count, 1);
    assert_int_equal(state_of(&d, g).report_count, 1);
    fx_db_close(&d);
}

static void a_move_into_an_existing_cluster(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    int64_t a, a2, c;
    char want[160];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    int64_t r = report(&d, "sidewalk_damage", 4, T0 + 60, &a2);
    report(&d, "sidewalk_damage", 300, T0 + 120, &c);
    assert_int_equal(a2, a);
    struct mp_cluster_state sc = state_of(&d, c);
    double a_sum_x = state_of(&d, a).sum_x;

    assert_int_equal(mp_corrections_move(&d.ctx, &dana, r, c, &res, &err), MP_OK);
    assert_int_equal(res.cluster_id, c);
    assert_true(res.have_state);
    assert_int_equal(res.state.report_count, 2);
    /* The target's centre moved half way towards the report, and it is as
     * old as the report now; the cluster it left lost it. */
    struct mp_cluster_state sa = state_of(&d, a);
    assert_int_equal(sa.report_count, 1);
    assert_int_equal(sa.last_at, T0);
    double rx = a_sum_x - sa.sum_x;
    assert_near(res.state.x, (sc.x + rx) / 2, 1e-6);
    assert_near(res.state.sum_x, sc.sum_x + rx, 1e-6);
    assert_int_equal(res.state.first_at, T0 + 60);
    snprintf(want, sizeof want, "new|dana|report %lld moved out by staff", (long long)r);
    assert_string_equal(history_of(&d, a).last, want);
    struct log au = audit_of(&d, "report", r);
    assert_int_equal(au.n, 1);
    snprintf(want, sizeof want, "dana|move|{\"report\":%lld,\"to\":%lld}", (long long)r,
             (long long)c);
    assert_string_equal(au.last, want);

    /* Already there: refused, nothing audited, the session free. */
    memset(&err, 0, sizeof err);
    assert_int_equal(mp_corrections_move(&d.ctx, &dana, r, c, &res, &err), MP_EINVAL);
    snprintf(want, sizeof want, "the report is already in cluster %lld", (long long)c);
    assert_string_equal(err.text, want);
    assert_int_equal(audit_of(&d, "report", r).n, 1);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    mp_store_rollback(d.ctx.db);
    fx_db_close(&d);
}

static void a_move_into_a_cluster_of_its_own(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    int64_t a, a2;
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    int64_t r = report(&d, "sidewalk_damage", 4, T0 + 60, &a2);
    assert_int_equal(a2, a);
    set_status(&d, a, "scheduled");
    assert_int_equal(mp_corrections_move(&d.ctx, &dana, r, 0, &res, &err), MP_OK);
    assert_true(res.cluster_id > a);
    assert_true(res.have_state);
    assert_int_equal(res.state.id, res.cluster_id);
    assert_int_equal(res.state.report_count, 1);
    /* A fresh job at the report, whatever the old one's status. */
    assert_string_equal(res.state.status, "new");
    assert_int_equal(res.state.first_at, T0 + 60);
    assert_string_equal(history_of(&d, res.cluster_id).last, "new|dana|split off by staff");
    assert_int_equal(state_of(&d, a).report_count, 1);
    assert_string_equal(state_of(&d, a).status, "scheduled");
    fx_db_close(&d);
}

/* Farther apart than the category's limit: a merge needs a reason, and
 * none is asked within it. The reason stays with the merge's record. */
static void a_merge_beyond_the_limit_needs_a_reason(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    int64_t a, b, c;
    char text[400];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    report(&d, "sidewalk_damage", 300, T0 + 60, &b);
    double limit = mp_corrections_merge_limit(mp_city_category(d.ctx.city, "sidewalk_damage"));
    assert_true(limit > 0 && limit < 300);
    snprintf(text, sizeof text,
             "clusters %lld and %lld are 300 m apart, farther than the %d m of "
             "sidewalk_damage: say why they are one job (reason)",
             (long long)b, (long long)a, (int)limit);
    refused_merge(&d, b, a, MP_EINVAL, "reason_required", text);
    /* An empty reason is none. */
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, "", &res, &err), MP_EINVAL);
    assert_string_equal(err.code, "reason_required");
    assert_int_equal(state_of(&d, b).report_count, 1);

    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, "one slab, both ends", &res, &err),
                     MP_OK);
    assert_near(res.distance_m, 300, 0.5);
    struct mp_merge_row m;
    assert_int_equal(mp_store_merge_get(d.ctx.db, res.merge_id, &m), MP_OK);
    assert_string_equal(m.reason, "one slab, both ends");
    assert_int_equal(m.from_cluster, b);
    assert_int_equal(m.into_cluster, a);

    /* Within the limit no reason is asked. */
    report(&d, "sidewalk_damage", -2000, T0 + 120, &c);
    int64_t c2, r2 = report(&d, "sidewalk_damage", -2000 + limit / 2, T0 + 180, &c2);
    if (c2 == c) { /* it joined: a job of its own again */
        assert_int_equal(mp_corrections_move(&d.ctx, &dana, r2, 0, &res, &err), MP_OK);
        c2 = res.cluster_id;
    }
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, c2, c, NULL, &res, &err), MP_OK);
    assert_false(res.distance_m > res.limit_m);
    fx_db_close(&d);
}

static int count_history(void *p, const struct mp_history_row *h)
{
    (void)h;
    (*(size_t *)p)++;
    return 0;
}

static size_t history_count(struct fx_db *d, int64_t cluster)
{
    size_t n = 0;
    assert_int_equal(mp_store_history(d->ctx.db, cluster, count_history, &n), MP_OK);
    return n;
}

/* The undo brings the merged job back under its old id with its reports,
 * status, history and assignment, and gives the other its status back. */
static void an_undo_restores_id_reports_status_and_history(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res, un;
    int64_t a, b, b2;
    char want[160];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    int64_t rb = report(&d, "sidewalk_damage", 300, T0 + 60, &b);
    int64_t rb2 = report(&d, "sidewalk_damage", 302, T0 + 90, &b2);
    assert_int_equal(b2, b);
    set_status(&d, a, "fixed");
    set_status(&d, b, "scheduled");
    struct mp_work_assignment wa = {.exists = true, .department = "streets", .crew = "crew-7",
                                    .priority = 1};
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    assert_int_equal(mp_store_work_set(d.ctx.db, b, &wa, T0), MP_OK);
    assert_int_equal(mp_store_commit(d.ctx.db, &err), MP_OK);
    struct mp_cluster_state sa = state_of(&d, a), sb = state_of(&d, b);
    size_t ha = history_count(&d, a), hb = history_count(&d, b);

    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, "same hole", &res, &err), MP_OK);
    assert_string_equal(res.state.status, "scheduled"); /* the open one's */
    assert_int_equal(res.state.report_count, 3);
    /* Both entries of the merge, and b's history, are in a's now. */
    assert_int_equal(history_count(&d, a), ha + hb + 2);

    assert_int_equal(mp_corrections_unmerge(&d.ctx, &dana, res.merge_id, &un, &err), MP_OK);
    assert_int_equal(un.cluster_id, b);
    assert_true(un.have_state);
    struct mp_cluster_state back = state_of(&d, b), now_a = state_of(&d, a);
    assert_int_equal(back.report_count, 2);
    assert_string_equal(back.status, "scheduled");
    assert_near(back.x, sb.x, 1e-6);
    assert_near(back.y, sb.y, 1e-6);
    assert_int_equal(back.first_at, sb.first_at);
    assert_string_equal(back.location, sb.location);
    /* a is as it was: its own report, fixed again (nobody changed it since). */
    assert_int_equal(now_a.report_count, 1);
    assert_string_equal(now_a.status, "fixed");
    assert_near(now_a.x, sa.x, 1e-6);
    assert_int_equal(now_a.fixed_at, sa.fixed_at);
    /* Each history is its own again, with the merge's entry and the undo's. */
    assert_int_equal(history_count(&d, b), hb + 2);
    assert_int_equal(history_count(&d, a), ha + 2);
    snprintf(want, sizeof want, "scheduled|dana|merge into cluster %lld undone", (long long)a);
    assert_string_equal(history_of(&d, b).last, want);
    snprintf(want, sizeof want, "fixed|dana|merge of cluster %lld undone", (long long)b);
    assert_string_equal(history_of(&d, a).last, want);
    /* The reports are back, with the job's status. */
    struct report_of r1 = {0}, r2 = {0};
    assert_int_equal(mp_store_report_get(d.ctx.db, rb, false, grab, &r1), MP_OK);
    assert_int_equal(mp_store_report_get(d.ctx.db, rb2, false, grab, &r2), MP_OK);
    assert_int_equal(r1.cluster_id, b);
    assert_int_equal(r2.cluster_id, b);
    struct mp_work_assignment got;
    assert_int_equal(mp_store_work_get(d.ctx.db, b, &got), MP_OK);
    assert_true(got.exists);
    assert_string_equal(got.crew, "crew-7");
    assert_int_equal(got.priority, 1);
    snprintf(want, sizeof want, "dana|unmerge|{\"merge\":%lld,\"from\":%lld,\"into\":%lld}",
             (long long)res.merge_id, (long long)b, (long long)a);
    assert_string_equal(audit_of(&d, "cluster", a).last, want);

    /* Once only. */
    assert_int_equal(mp_corrections_unmerge(&d.ctx, &dana, res.merge_id, &un, &err),
                     MP_ECONFLICT);
    assert_string_equal(err.code, "already_undone");
    assert_int_equal(mp_corrections_unmerge(&d.ctx, &dana, res.merge_id + 9, &un, &err),
                     MP_ENOTFOUND);
    snprintf(want, sizeof want, "there is no merge %lld", (long long)(res.merge_id + 9));
    assert_string_equal(err.text, want);
    fx_db_close(&d);
}

/* A report moved out of the merged job since: the undo is refused and
 * changes nothing. */
static void an_undo_is_refused_after_a_later_move(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res, mv, un;
    int64_t a, b;
    char want[200];
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    int64_t rb = report(&d, "sidewalk_damage", 300, T0 + 60, &b);
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, "same hole", &res, &err), MP_OK);
    assert_int_equal(mp_corrections_move(&d.ctx, &dana, rb, 0, &mv, &err), MP_OK);
    size_t ha = history_count(&d, a);
    assert_int_equal(mp_corrections_unmerge(&d.ctx, &dana, res.merge_id, &un, &err),
                     MP_ECONFLICT);
    assert_string_equal(err.code, "moved_on");
    snprintf(want, sizeof want,
             "report %lld has moved on since the merge (it is in cluster %lld now): the merge "
             "cannot be undone",
             (long long)rb, (long long)mv.cluster_id);
    assert_string_equal(err.text, want);
    struct report_of still = {0};
    assert_int_equal(mp_store_report_get(d.ctx.db, rb, false, grab, &still), MP_OK);
    assert_int_equal(still.cluster_id, mv.cluster_id);
    assert_int_equal(history_count(&d, a), ha);
    assert_int_equal(mp_store_begin_write(d.ctx.db, &err), MP_OK);
    mp_store_rollback(d.ctx.db);

    /* The other job merged away since: gone, so refused as well. */
    int64_t c, e;
    report(&d, "sidewalk_damage", -900, T0, &c);
    report(&d, "sidewalk_damage", -1300, T0, &e);
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, c, e, "x", &res, &err), MP_OK);
    int64_t m1 = res.merge_id;
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, e, mv.cluster_id, "y", &res, &err),
                     MP_OK);
    assert_int_equal(mp_corrections_unmerge(&d.ctx, &dana, m1, &un, &err), MP_ECONFLICT);
    snprintf(want, sizeof want,
             "cluster %lld no longer exists: its reports have moved on since the merge, which "
             "cannot be undone",
             (long long)e);
    assert_string_equal(err.text, want);
    fx_db_close(&d);
}

/* Candidates: the same category only, nearest first, with the limit. */
static void merge_candidates_are_near_and_alike(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_merge_candidates mc;
    int64_t a, b, c, g, far;
    fx_db_open(&d, "mp-corrections");
    report(&d, "sidewalk_damage", 0, T0, &a);
    report(&d, "sidewalk_damage", 120, T0 - 90 * 86400, &b);
    report(&d, "sidewalk_damage", 60, T0 - 90 * 86400 + 10, &c);
    report(&d, "graffiti", 10, T0, &g);
    report(&d, "sidewalk_damage", -5000, T0, &far);
    assert_int_equal(mp_corrections_merge_candidates(&d.ctx, NULL, a, &mc, &err), MP_OK);
    assert_int_equal(mc.self.id, a);
    assert_int_equal(mc.n, 2);
    assert_int_equal(mc.c[0].st.id, c);
    assert_near(mc.c[0].distance_m, 60, 0.5);
    assert_int_equal(mc.c[1].st.id, b);
    assert_int_equal(mc.c[0].within, mc.c[0].distance_m <= mc.limit_m);
    assert_true(mc.search_m >= 250);
    assert_int_equal(mp_corrections_merge_candidates(&d.ctx, NULL, far + 100, &mc, &err),
                     MP_ENOTFOUND);
    assert_string_equal(err.code, "not_found");
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_merge_folds_counts_centre_history_and_audit),
        cmocka_unit_test(a_refused_merge_leaves_nothing),
        cmocka_unit_test(a_move_into_an_existing_cluster),
        cmocka_unit_test(a_move_into_a_cluster_of_its_own),
        cmocka_unit_test(a_merge_beyond_the_limit_needs_a_reason),
        cmocka_unit_test(an_undo_restores_id_reports_status_and_history),
        cmocka_unit_test(an_undo_is_refused_after_a_later_move),
        cmocka_unit_test(merge_candidates_are_near_and_alike),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
