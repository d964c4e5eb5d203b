/* test_workflow.c - the transition table and who may make which move:
 * every pair of statuses for every role, allowed and refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/vocab.h"
#include "meldpunt/workflow.h"

static const char *const statuses[] = {"new",      "acknowledged",    "scheduled",
                                       "in_progress", "fixed",    "closed",
                                       "not_responsible", "reopened", "reopen_requested"};
#define NSTATUS (sizeof statuses / sizeof *statuses)

static struct mp_principal principal(enum mp_role role, const char *dept)
{
    struct mp_principal p;
    memset(&p, 0, sizeof p);
    p.user_id = 7;
    snprintf(p.name, sizeof p.name, "%s", mp_role_name(role));
    p.role = role;
    snprintf(p.department, sizeof p.department, "%s", dept ? dept : "");
    p.region_wide = true; /* tenancy: these tests are about roles, not municipalities */
    return p;
}

/* The lifecycle the issue names, written out independently of the table. */
static bool expected(const char *from, const char *to)
{
    static const char *const pairs[][2] = {
        {"new", "acknowledged"},         {"new", "scheduled"},
        {"new", "not_responsible"},      {"new", "closed"},
        {"acknowledged", "scheduled"},   {"acknowledged", "in_progress"},
        {"acknowledged", "not_responsible"}, {"acknowledged", "closed"},
        {"scheduled", "in_progress"},    {"scheduled", "acknowledged"},
        {"scheduled", "not_responsible"}, {"in_progress", "fixed"},
        {"in_progress", "scheduled"},    {"fixed", "closed"},
        {"fixed", "reopened"},           {"closed", "reopened"},
        {"not_responsible", "reopened"}, {"reopened", "acknowledged"},
        {"reopened", "scheduled"},       {"reopened", "in_progress"},
        {"reopened", "not_responsible"}, {"reopened", "closed"},
        {"fixed", "reopen_requested"},   {"closed", "reopen_requested"},
        {"reopen_requested", "reopened"}, {"reopen_requested", "fixed"},
        {"reopen_requested", "closed"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        if (strcmp(pairs[i][0], from) == 0 && strcmp(pairs[i][1], to) == 0)
            return true;
    return false;
}

static bool crew_move(const char *from, const char *to)
{
    return (strcmp(from, "acknowledged") == 0 && strcmp(to, "in_progress") == 0) ||
           (strcmp(from, "scheduled") == 0 && strcmp(to, "in_progress") == 0) ||
           (strcmp(from, "in_progress") == 0 && strcmp(to, "fixed") == 0);
}

static void test_table_matches_lifecycle(void **state)
{
    (void)state;
    size_t n, count = 0;
    const struct mp_vocab_transition *t = mp_vocab_transitions(&n);
    assert_int_equal(n, 27);
    for (size_t i = 0; i < NSTATUS; i++)
        for (size_t j = 0; j < NSTATUS; j++) {
            bool in = mp_vocab_transition_find(statuses[i], statuses[j]) != NULL;
            if (in != expected(statuses[i], statuses[j]))
                fail_msg("%s -> %s: table says %d", statuses[i], statuses[j], in);
            count += in;
        }
    assert_int_equal(count, n);
    /* Nothing stays where it is, and nothing goes back to new. */
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(t[i].from, t[i].to);
        assert_string_not_equal(t[i].to, "new");
    }
    /* Reasons are required exactly for refusing, closing unfixed, reopening
     * and taking a job back from the crew. */
    assert_true(mp_vocab_transition_find("new", "not_responsible")->note_required);
    assert_true(mp_vocab_transition_find("acknowledged", "closed")->note_required);
    assert_true(mp_vocab_transition_find("fixed", "reopened")->note_required);
    assert_true(mp_vocab_transition_find("in_progress", "scheduled")->note_required);
    assert_false(mp_vocab_transition_find("fixed", "closed")->note_required);
    assert_false(mp_vocab_transition_find("in_progress", "fixed")->note_required);
    assert_null(mp_vocab_transition_find(NULL, "fixed"));
    assert_null(mp_vocab_transition_find("new", NULL));
}

static void test_dispatcher_and_admin_any_allowed(void **state)
{
    (void)state;
    enum mp_role roles[] = {MP_ROLE_DISPATCHER, MP_ROLE_ADMIN};
    for (size_t r = 0; r < 2; r++) {
        struct mp_principal p = principal(roles[r], NULL);
        for (size_t i = 0; i < NSTATUS; i++)
            for (size_t j = 0; j < NSTATUS; j++) {
                struct mp_error err;
                memset(&err, 0, sizeof err);
                enum mp_status rc = mp_workflow_check(&p, statuses[i], statuses[j], "lighting",
                                                      &err);
                if (expected(statuses[i], statuses[j]) &&
                    strcmp(statuses[j], "reopen_requested") == 0) {
                    /* The reporter's move (kto.c): staff decide after it. */
                    assert_int_equal(rc, MP_EFORBIDDEN);
                    assert_string_equal(err.code, "forbidden");
                } else if (expected(statuses[i], statuses[j])) {
                    assert_int_equal(rc, MP_OK);
                } else {
                    assert_int_equal(rc, MP_ECONFLICT);
                    assert_string_equal(err.code, "invalid_transition");
                }
            }
    }
}

static void test_crew_only_its_moves_in_its_department(void **state)
{
    (void)state;
    struct mp_principal crew = principal(MP_ROLE_CREW, "streets");
    size_t allowed = 0;
    for (size_t i = 0; i < NSTATUS; i++)
        for (size_t j = 0; j < NSTATUS; j++) {
            struct mp_error err;
            const char *from = statuses[i], *to = statuses[j];
            enum mp_status own = mp_workflow_check(&crew, from, to, "streets", &err);
            enum mp_status other = mp_workflow_check(&crew, from, to, "lighting", &err);
            enum mp_status none = mp_workflow_check(&crew, from, to, NULL, &err);
            if (!expected(from, to)) {
                assert_int_equal(own, MP_ECONFLICT);
                assert_int_equal(other, MP_ECONFLICT);
            } else if (crew_move(from, to)) {
                assert_int_equal(own, MP_OK);
                assert_int_equal(other, MP_EFORBIDDEN);
                assert_int_equal(none, MP_EFORBIDDEN);
                allowed++;
            } else {
                assert_int_equal(own, MP_EFORBIDDEN);
                assert_int_equal(other, MP_EFORBIDDEN);
            }
        }
    assert_int_equal(allowed, 3);
    struct mp_error err;
    assert_int_equal(mp_workflow_check(&crew, "in_progress", "fixed", "lighting", &err),
                     MP_EFORBIDDEN);
    assert_string_equal(err.code, "forbidden");
    assert_non_null(strstr(err.text, "lighting"));
    /* A crew account without a department can do nothing. */
    struct mp_principal lost = principal(MP_ROLE_CREW, NULL);
    assert_int_equal(mp_workflow_check(&lost, "in_progress", "fixed", "", &err), MP_EFORBIDDEN);
}

static void test_clients_and_nobody_refused_first(void **state)
{
    (void)state;
    struct mp_principal client = principal(MP_ROLE_CLIENT, NULL);
    struct mp_principal none = principal(MP_ROLE_NONE, NULL);
    struct mp_error err;
    for (size_t i = 0; i < NSTATUS; i++)
        for (size_t j = 0; j < NSTATUS; j++) {
            assert_int_equal(mp_workflow_check(&client, statuses[i], statuses[j], "streets", &err),
                             MP_EFORBIDDEN);
            assert_int_equal(mp_workflow_check(&none, statuses[i], statuses[j], "streets", &err),
                             MP_EFORBIDDEN);
        }
    assert_int_equal(mp_workflow_check(NULL, "new", "acknowledged", "streets", &err),
                     MP_EFORBIDDEN);
    /* Even nonsense is refused for a client before it is validated. */
    assert_int_equal(mp_workflow_check(&client, "new", "bogus", "streets", &err), MP_EFORBIDDEN);
}

static void test_unknown_status(void **state)
{
    (void)state;
    struct mp_principal p = principal(MP_ROLE_ADMIN, NULL);
    struct mp_error err;
    assert_int_equal(mp_workflow_check(&p, "new", "done", "streets", &err), MP_EINVAL);
    assert_string_equal(err.code, "invalid_status");
    assert_string_equal(err.text, "unknown status 'done' (new, acknowledged, scheduled, "
                                  "in_progress, fixed, closed, not_responsible, reopened, "
                                  "reopen_requested)");
    assert_int_equal(mp_workflow_check(&p, "new", "", "streets", &err), MP_EINVAL);
    assert_int_equal(mp_workflow_check(&p, "new", NULL, "streets", &err), MP_EINVAL);
}

static void test_next_lists_what_check_allows(void **state)
{
    (void)state;
    struct mp_principal people[] = {principal(MP_ROLE_ADMIN, NULL),
                                    principal(MP_ROLE_DISPATCHER, NULL),
                                    principal(MP_ROLE_CREW, "streets"),
                                    principal(MP_ROLE_CREW, "lighting"),
                                    principal(MP_ROLE_CLIENT, NULL)};
    for (size_t p = 0; p < sizeof people / sizeof *people; p++)
        for (size_t i = 0; i < NSTATUS; i++) {
            const char *next[16];
            size_t n = mp_workflow_next(&people[p], statuses[i], "streets", next, 16);
            size_t want = 0;
            for (size_t j = 0; j < NSTATUS; j++) {
                struct mp_error err;
                if (mp_workflow_check(&people[p], statuses[i], statuses[j], "streets", &err) ==
                    MP_OK) {
                    want++;
                    bool listed = false;
                    for (size_t k = 0; k < n; k++)
                        listed |= strcmp(next[k], statuses[j]) == 0;
                    assert_true(listed);
                }
            }
            assert_int_equal(n, want);
        }
    const char *one[1];
    struct mp_principal admin = principal(MP_ROLE_ADMIN, NULL);
    assert_int_equal(mp_workflow_next(&admin, "new", NULL, one, 1), 1); /* bounded by cap */
    assert_string_equal(one[0], "acknowledged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_lifecycle),
        cmocka_unit_test(test_dispatcher_and_admin_any_allowed),
        cmocka_unit_test(test_crew_only_its_moves_in_its_department),
        cmocka_unit_test(test_clients_and_nobody_refused_first),
        cmocka_unit_test(test_unknown_status),
        cmocka_unit_test(test_next_lists_what_check_allows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
