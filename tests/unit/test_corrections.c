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
#include "meldpunt/corrections.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"

#define T0 1609502400LL /* 2021-01-01T12:00:00Z */
#define M_LON (1.0 / (111320.0 * 0.7445)) /* degrees of a metre east at 41.88 N */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781

static const struct mp_principal dana = {.user_id = 4, .name = "dana",
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

    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, b, a, &res, &err), MP_OK);
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
    snprintf(want, sizeof want, "dana|merge|{\"from\":%lld,\"into\":%lld}", (long long)b,
             (long long)a);
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
    assert_int_equal(mp_corrections_merge(&d->ctx, &dana, from, into, &res, &err), want);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_merge_folds_counts_centre_history_and_audit),
        cmocka_unit_test(a_refused_merge_leaves_nothing),
        cmocka_unit_test(a_move_into_an_existing_cluster),
        cmocka_unit_test(a_move_into_a_cluster_of_its_own),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
