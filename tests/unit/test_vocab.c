/* test_vocab.c - the status and transition tables: complete rows, moves
 * only between known statuses, the Open311 and FixMyStreet mappings total,
 * and the lists and texts other modules build from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/cluster.h"
#include "meldpunt/vocab.h"

static const char *const fms_names[] = {"OPEN",   "INVESTIGATING", "ACTION_SCHEDULED",
                                        "IN_PROGRESS", "FIXED", "CLOSED",
                                        "NOT_COUNCILS_RESPONSIBILITY"};
static const char *const map_groups[] = {"open", "in_progress", "fixed", "not_responsible"};

static bool one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static void test_every_status_is_complete(void **state)
{
    (void)state;
    size_t n;
    const struct mp_vocab_status *st = mp_vocab_statuses(&n);
    assert_int_equal(n, 9);
    assert_true(n <= MP_VOCAB_STATUSES_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct mp_vocab_status *s = &st[i];
        assert_non_null(s->code);
        assert_true(s->code[0] && strlen(s->code) < 24); /* MP_STATUS_MAXLEN */
        if (!s->name_en || !s->name_en[0] || !s->name_nl || !s->name_nl[0])
            fail_msg("status %s lacks a name", s->code);
        /* The Open311 mapping is total and follows the open flag. */
        assert_string_equal(s->open311, s->open ? "open" : "closed");
        if (!one_of(s->fixmystreet, fms_names, sizeof fms_names / sizeof *fms_names))
            fail_msg("status %s: FixMyStreet name %s", s->code, s->fixmystreet);
        if (!one_of(s->map_group, map_groups, sizeof map_groups / sizeof *map_groups))
            fail_msg("status %s: map group %s", s->code, s->map_group);
        assert_true(s->public);
        assert_ptr_equal(mp_vocab_status_find(s->code), s);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(st[j].code, s->code);
    }
    /* The wording the pages showed before they read it from here. */
    const struct mp_vocab_status *nr = mp_vocab_status_find("not_responsible");
    assert_string_equal(nr->name_en, "Not our responsibility");
    assert_string_equal(nr->name_nl, "Niet onze verantwoordelijkheid");
    assert_string_equal(nr->fixmystreet, "NOT_COUNCILS_RESPONSIBILITY");
    assert_string_equal(mp_vocab_status_find("acknowledged")->name_nl, "In behandeling genomen");
    assert_string_equal(mp_vocab_status_find("scheduled")->fixmystreet, "ACTION_SCHEDULED");
    assert_string_equal(mp_vocab_status_find("reopened")->fixmystreet, "OPEN");
    assert_string_equal(mp_vocab_status_find("closed")->map_group, "fixed");
    /* The reporter's request to reopen: open again, the council looking. */
    const struct mp_vocab_status *rr = mp_vocab_status_find("reopen_requested");
    assert_non_null(rr);
    assert_true(rr->open);
    assert_string_equal(rr->fixmystreet, "INVESTIGATING");
    assert_string_equal(rr->name_nl, "Heropenen gevraagd");
    /* Reporters hear of the changes they wait for, not of work starting. */
    static const char *const mailed[] = {"acknowledged", "scheduled",       "fixed",
                                         "closed",       "not_responsible", "reopened"};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(st[i].mail, one_of(st[i].code, mailed, sizeof mailed / sizeof *mailed));
    assert_null(mp_vocab_status_find(NULL));
    assert_null(mp_vocab_status_find("New"));
    assert_null(mp_vocab_status_find("open"));
}

static void test_transitions_name_known_statuses(void **state)
{
    (void)state;
    size_t n;
    const struct mp_vocab_transition *t = mp_vocab_transitions(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        if (!mp_vocab_status_find(t[i].from) || !mp_vocab_status_find(t[i].to))
            fail_msg("move %s -> %s names an unknown status", t[i].from, t[i].to);
        assert_ptr_equal(mp_vocab_transition_find(t[i].from, t[i].to), &t[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(t[j].from, t[i].from) == 0 && strcmp(t[j].to, t[i].to) == 0)
                fail_msg("move %s -> %s twice", t[i].from, t[i].to);
    }
    /* Every status can be left and (but new) reached: no dead end, no orphan. */
    size_t ns;
    const struct mp_vocab_status *st = mp_vocab_statuses(&ns);
    for (size_t s = 0; s < ns; s++) {
        bool leaves = false, reached = false;
        for (size_t i = 0; i < n; i++) {
            leaves |= strcmp(t[i].from, st[s].code) == 0;
            reached |= strcmp(t[i].to, st[s].code) == 0;
        }
        assert_true(leaves);
        assert_true(reached || strcmp(st[s].code, "new") == 0);
    }
    /* Only the reporter moves a job into reopen_requested, from fixed or
     * closed; staff move it on. */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].reporter, strcmp(t[i].to, "reopen_requested") == 0);
        if (t[i].reporter)
            assert_true(strcmp(t[i].from, "fixed") == 0 || strcmp(t[i].from, "closed") == 0);
    }
    assert_non_null(mp_vocab_transition_find("reopen_requested", "reopened"));
    assert_true(mp_vocab_transition_find("reopen_requested", "fixed")->note_required);
    /* Crews only start and finish work. */
    for (size_t i = 0; i < n; i++)
        if (t[i].crew)
            assert_true(strcmp(t[i].to, "in_progress") == 0 || strcmp(t[i].to, "fixed") == 0);
    assert_null(mp_vocab_transition_find("new", "fixed"));
    assert_null(mp_vocab_transition_find("nope", "new"));
}

static void test_codes_by_family(void **state)
{
    (void)state;
    const char *out[MP_VOCAB_STATUSES_MAX];
    size_t n = mp_vocab_status_codes(MP_VOCAB_OPEN, out, MP_VOCAB_STATUSES_MAX);
    assert_int_equal(n, 6);
    const char *open[] = {"new",         "acknowledged", "scheduled",
                          "in_progress", "reopened",     "reopen_requested"};
    for (size_t i = 0; i < n; i++)
        assert_string_equal(out[i], open[i]);
    n = mp_vocab_status_codes(MP_VOCAB_RESOLVED, out, MP_VOCAB_STATUSES_MAX);
    assert_int_equal(n, 3);
    assert_string_equal(out[0], "fixed");
    assert_string_equal(out[1], "closed");
    assert_string_equal(out[2], "not_responsible");
    assert_int_equal(mp_vocab_status_codes(MP_VOCAB_OPEN311_OPEN, out, MP_VOCAB_STATUSES_MAX), 6);
    assert_int_equal(mp_vocab_status_codes(MP_VOCAB_OPEN311_CLOSED, out, MP_VOCAB_STATUSES_MAX),
                     3);
    assert_int_equal(mp_vocab_status_codes(MP_VOCAB_ALL, out, MP_VOCAB_STATUSES_MAX), 9);
    /* Bounded by cap. */
    assert_int_equal(mp_vocab_status_codes(MP_VOCAB_ALL, out, 2), 2);
    assert_string_equal(out[1], "acknowledged");
    assert_int_equal(mp_vocab_status_codes(MP_VOCAB_ALL, out, 0), 0);
}

static void test_status_list_text(void **state)
{
    (void)state;
    char buf[128];
    assert_true(mp_vocab_status_list(buf, sizeof buf));
    assert_string_equal(buf, "new, acknowledged, scheduled, in_progress, fixed, closed, "
                             "not_responsible, reopened, reopen_requested");
    size_t len = strlen(buf);
    char exact[128];
    assert_true(mp_vocab_status_list(exact, len + 1));
    assert_false(mp_vocab_status_list(exact, len));
    assert_string_equal(exact, "");
    assert_false(mp_vocab_status_list(exact, 0));
}

/* The filter families of the map, the exports and the staff lists expand
 * from the table, and the error text names every choice. */
static void test_filter_families(void **state)
{
    (void)state;
    struct mp_query q;
    struct mp_error err;
    memset(&q, 0, sizeof q);
    assert_int_equal(mp_cluster_status_filter_add(&q, "resolved", &err), MP_OK);
    assert_int_equal(q.nstatuses, 3);
    assert_string_equal(q.statuses[2], "not_responsible");
    assert_int_equal(mp_cluster_status_filter_add(&q, "unresolved", &err), MP_OK);
    assert_int_equal(q.nstatuses, 9);
    assert_string_equal(q.statuses[8], "reopen_requested");
    assert_int_equal(mp_cluster_status_filter_add(&q, "done", &err), MP_EINVAL);
    assert_string_equal(err.code, "invalid_parameter");
    assert_string_equal(err.text, "unknown status 'done' (use new, acknowledged, scheduled, "
                                  "in_progress, fixed, closed, not_responsible, reopened, "
                                  "reopen_requested, open or resolved)");
    /* A family never overruns the query's list. */
    memset(&q, 0, sizeof q);
    q.nstatuses = MP_QUERY_MAX_LIST - 2;
    assert_int_equal(mp_cluster_status_filter_add(&q, "open", &err), MP_OK);
    assert_int_equal(q.nstatuses, MP_QUERY_MAX_LIST);
    assert_true(mp_cluster_status_open("reopened"));
    assert_false(mp_cluster_status_open("closed"));
    assert_true(mp_cluster_status_valid("closed"));
    assert_false(mp_cluster_status_valid("open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status_is_complete),
        cmocka_unit_test(test_transitions_name_known_statuses),
        cmocka_unit_test(test_codes_by_family),
        cmocka_unit_test(test_status_list_text),
        cmocka_unit_test(test_filter_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
