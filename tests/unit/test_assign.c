/* test_assign.c - manual assignment (assign.h) as a domain call on a
 * temporary database with the Chicago pack: a crew brings its department,
 * a contradiction or an unknown crew is refused and leaves nothing (no row,
 * no audit entry, no open transaction), nulls give the job back to the
 * rules, and every assignment is audited with what was asked. */
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
#include "meldpunt/assign.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_work.h"

#define T0 1609502400LL /* 2021-01-01T12:00:00Z */

struct db {
    struct fx_db fx;
    struct mp_automation *rules;
    int64_t light; /* a street_light_out cluster: the lighting department's by the rules */
};

static const struct mp_principal dana = {.user_id = 4, .name = "dana", .region_wide = true,
                                         .role = MP_ROLE_DISPATCHER};

static void db_open(struct db *d)
{
    struct mp_error err = {{0}, {0}};
    char token[MP_TOKEN_LEN];
    fx_db_open(&d->fx, "mp-assign");
    assert_int_equal(mp_automation_load(fx_pack.city, &d->rules, &err), MP_OK);
    assert_int_equal(mp_auth_user_add(&d->fx.ctx, "st-1", MP_ROLE_CREW, "streets", token, &err),
                     MP_OK);
    assert_int_equal(mp_auth_user_add(&d->fx.ctx, "li-1", MP_ROLE_CREW, "lighting", token, &err),
                     MP_OK);
    assert_int_equal(mp_auth_user_add(&d->fx.ctx, "gone-1", MP_ROLE_CREW, "streets", token, &err),
                     MP_OK);
    assert_int_equal(mp_auth_user_disable(&d->fx.ctx, "gone-1", &err), MP_OK);
    assert_int_equal(mp_auth_user_add(&d->fx.ctx, "dana", MP_ROLE_DISPATCHER, NULL, token, &err),
                     MP_OK);
    fx_report(&d->fx.ctx, "street_light_out", -87.6298, 41.8781, NULL, T0, &d->light);
}

static void db_close(struct db *d)
{
    mp_automation_free(d->rules);
    fx_db_close(&d->fx);
}

struct audit {
    size_t n;
    char action[16], user[16], detail[160];
};

static int last_audit(void *p, const struct mp_audit_row *a)
{
    struct audit *au = p;
    au->n++;
    snprintf(au->action, sizeof au->action, "%s", a->action);
    snprintf(au->user, sizeof au->user, "%s", a->user_name);
    snprintf(au->detail, sizeof au->detail, "%s", a->detail ? a->detail : "(null)");
    return 0;
}

static struct audit audit_of(struct db *d, int64_t cluster)
{
    struct audit au;
    memset(&au, 0, sizeof au);
    assert_int_equal(mp_store_audit_for(d->fx.ctx.db, "cluster", cluster, last_audit, &au), MP_OK);
    return au;
}

static void a_crew_brings_its_department(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct mp_job j;
    db_open(&d);
    struct mp_assign_request rq = {.cluster_id = d.light, .set_crew = true, .crew = "st-1"};
    assert_int_equal(mp_assign_set(&d.fx.ctx, d.rules, &dana, &rq, &j, &err), MP_OK);
    assert_int_equal(j.id, d.light);
    assert_string_equal(j.crew, "st-1");
    assert_string_equal(j.department, "streets");
    assert_string_equal(j.ar.route_rule, "manual");
    assert_true(j.assigned);
    struct mp_work_assignment wa;
    assert_int_equal(mp_store_work_get(d.fx.ctx.db, d.light, &wa), MP_OK);
    assert_true(wa.exists);
    assert_string_equal(wa.department, "streets");
    assert_string_equal(wa.updated_by, "dana");
    struct audit au = audit_of(&d, d.light);
    assert_int_equal(au.n, 1);
    assert_string_equal(au.action, "assign");
    assert_string_equal(au.user, "dana");
    assert_string_equal(au.detail, "{\"crew\":\"st-1\"}");

    /* Naming the crew's own department too is no contradiction. */
    rq = (struct mp_assign_request){.cluster_id = d.light, .set_crew = true, .crew = "li-1",
                                    .set_department = true, .department = "lighting"};
    assert_int_equal(mp_assign_set(&d.fx.ctx, d.rules, &dana, &rq, &j, &err), MP_OK);
    assert_string_equal(j.crew, "li-1");
    assert_string_equal(j.department, "lighting");
    /* Nor is a department of null: the crew's is taken. */
    rq.crew = "st-1";
    rq.department = NULL;
    assert_int_equal(mp_assign_set(&d.fx.ctx, d.rules, &dana, &rq, &j, &err), MP_OK);
    assert_string_equal(j.crew, "st-1");
    assert_string_equal(j.department, "streets");
    assert_string_equal(audit_of(&d, d.light).detail, "{\"crew\":\"st-1\",\"department\":null}");
    db_close(&d);
}

/* The refusal with its text, and nothing of it stays: the assignment and
 * the audit as before, and no transaction left open (the next assignment
 * on the same session goes through). */
static void refused(struct db *d, const struct mp_assign_request *rq, enum mp_status want,
                    const char *code, const char *text)
{
    struct mp_error err = {{0}, {0}};
    struct mp_job j;
    struct mp_work_assignment before, after;
    assert_int_equal(mp_store_work_get(d->fx.ctx.db, d->light, &before), MP_OK);
    size_t audits = audit_of(d, d->light).n;
    assert_int_equal(mp_assign_set(&d->fx.ctx, d->rules, &dana, rq, &j, &err), want);
    assert_string_equal(err.code, code);
    assert_string_equal(err.text, text);
    assert_int_equal(mp_store_work_get(d->fx.ctx.db, d->light, &after), MP_OK);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(audit_of(d, d->light).n, audits);
    struct mp_assign_request ok = {.cluster_id = d->light, .set_priority = true, .priority = 2};
    assert_int_equal(mp_assign_set(&d->fx.ctx, d->rules, &dana, &ok, &j, &err), MP_OK);
    assert_int_equal(j.ar.priority, 2);
}

static void a_refused_assignment_leaves_nothing(void **state)
{
    (void)state;
    struct db d;
    char text[64];
    db_open(&d);
    struct mp_assign_request rq = {.cluster_id = d.light, .set_crew = true, .crew = "st-1",
                                   .set_department = true, .department = "lighting",
                                   .set_priority = true, .priority = 1};
    refused(&d, &rq, MP_EINVAL, "crew_department_mismatch",
            "crew st-1 belongs to streets, not to lighting");
    rq.set_department = false;
    rq.crew = "nobody";
    refused(&d, &rq, MP_EINVAL, "unknown_crew", "there is no active crew account named nobody");
    rq.crew = "gone-1";
    refused(&d, &rq, MP_EINVAL, "unknown_crew", "there is no active crew account named gone-1");
    rq.crew = "dana";
    refused(&d, &rq, MP_EINVAL, "unknown_crew", "there is no active crew account named dana");
    rq.cluster_id = d.light + 100;
    snprintf(text, sizeof text, "there is no cluster %lld", (long long)rq.cluster_id);
    refused(&d, &rq, MP_ENOTFOUND, "not_found", text);
    db_close(&d);
}

static void nulls_give_the_job_back_to_the_rules(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct mp_job j;
    db_open(&d);
    struct mp_assign_request rq = {.cluster_id = d.light,
                                   .set_department = true, .department = "streets",
                                   .set_priority = true, .priority = 1,
                                   .set_due_at = true, .due_at = T0 + 3600,
                                   .due_at_text = "2021-01-01T14:00:00+01:00"};
    assert_int_equal(mp_assign_set(&d.fx.ctx, d.rules, &dana, &rq, &j, &err), MP_OK);
    assert_string_equal(j.department, "streets");
    assert_string_equal(j.ar.priority_rule, "manual");
    assert_int_equal(j.ar.priority, 1);
    assert_int_equal(j.ar.due_at, T0 + 3600);
    assert_string_equal(audit_of(&d, d.light).detail,
                        "{\"department\":\"streets\",\"due_at\":\"2021-01-01T14:00:00+01:00\","
                        "\"priority\":1}");

    rq = (struct mp_assign_request){.cluster_id = d.light, .set_department = true,
                                    .set_crew = true, .set_priority = true, .set_due_at = true};
    assert_int_equal(mp_assign_set(&d.fx.ctx, d.rules, &dana, &rq, &j, &err), MP_OK);
    assert_string_equal(j.department, "lighting");
    assert_string_equal(j.ar.route_rule, "category");
    assert_string_equal(j.ar.priority_rule, "category");
    assert_string_equal(j.crew, "");
    assert_int_not_equal(j.ar.due_at, T0 + 3600);
    /* The row stays: a person decided that the rules decide. */
    assert_true(j.assigned);
    struct audit au = audit_of(&d, d.light);
    assert_int_equal(au.n, 2);
    assert_string_equal(au.detail,
                        "{\"crew\":null,\"department\":null,\"due_at\":null,\"priority\":null}");
    db_close(&d);
}

struct names {
    char all[128];
};

static int add_name(void *p, const struct mp_user_row *u)
{
    struct names *n = p;
    size_t len = strlen(n->all);
    snprintf(n->all + len, sizeof n->all - len, "%s%s/%s%s", len ? " " : "", u->name,
             u->department ? u->department : "-", u->disabled ? "/disabled" : "");
    return 0;
}

static void the_crews_are_the_crew_accounts(void **state)
{
    (void)state;
    struct db d;
    struct mp_error err = {{0}, {0}};
    struct names n = {""};
    db_open(&d);
    assert_int_equal(mp_assign_crews(&d.fx.ctx, NULL, add_name, &n, &err), MP_OK);
    assert_string_equal(n.all, "gone-1/streets/disabled li-1/lighting st-1/streets");
    db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_crew_brings_its_department),
        cmocka_unit_test(a_refused_assignment_leaves_nothing),
        cmocka_unit_test(nulls_give_the_job_back_to_the_rules),
        cmocka_unit_test(the_crews_are_the_crew_accounts),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
