/* Unit tests for automation_cache.c: the pack's automation rules read once
 * and kept until the file changes, and the writer's department-mail fan-out
 * (deptmail.c) taking them from the cache instead of reading the file for
 * every new report. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/automation.h"
#include "meldpunt/automation_cache.h"
#include "meldpunt/city.h"
#include "meldpunt/outbox.h"

#define LON -87.6298
#define LAT 41.8781

#define STREETS_ONLY                                                                           \
    "{\"version\": 1, \"departments\": {"                                                      \
    "\"streets\": {\"email\": \"streets@city.example\", \"mail\": \"immediate\"}}}"
/* Longer than STREETS_ONLY, so that its size differs even when both land
 * in the same tick of the file system's clock. */
#define STREETS_AND_SANITATION                                                                 \
    "{\"version\": 1, \"departments\": {"                                                      \
    "\"streets\": {\"email\": \"streets@city.example\", \"mail\": \"immediate\"},"            \
    "\"sanitation\": {\"email\": \"sanitation@city.example\", \"mail\": \"immediate\"}}}"

/* The Chicago pack with its folder (where the rules are read) moved to a
 * temporary one. */
struct pack {
    struct mp_city city;
    char dir[256];
};

static void pack_make(struct pack *p, const char *rules)
{
    snprintf(p->dir, sizeof p->dir, "%s/mp-autocache-XXXXXX", fx_tmpdir());
    assert_non_null(mkdtemp(p->dir));
    if (rules)
        fx_write_file(p->dir, "automation.json", rules);
    p->city = *fx_pack.city; /* a shallow copy: only read, never freed */
    p->city.dir = p->dir;
    p->city.base_dir = NULL;
}

static void pack_done(struct pack *p)
{
    char path[300];
    snprintf(path, sizeof path, "%s/automation.json", p->dir);
    remove(path);
    rmdir(p->dir);
}

static size_t mailed_departments(struct mp_automation_cache *c, const struct mp_city *city)
{
    struct mp_automation *a = NULL;
    struct mp_error err = {{0}, {0}};
    size_t n = 0;
    assert_int_equal(mp_automation_cache_get(c, city, &a, &err), MP_OK);
    mp_automation_dept_mail(a, &n);
    mp_automation_free(a);
    return n;
}

static void test_read_once_until_the_file_changes(void **state)
{
    (void)state;
    struct pack p;
    struct mp_automation_cache *c = NULL;
    struct mp_automation *a = NULL, *b = NULL;
    struct mp_error err = {{0}, {0}};
    pack_make(&p, STREETS_ONLY);
    assert_int_equal(mp_automation_cache_new(&c), MP_OK);
    assert_int_equal(mp_automation_cache_loads(c), 0);
    /* Many look-ups, one read; every holder shares the one object. */
    assert_int_equal(mp_automation_cache_get(c, &p.city, &a, &err), MP_OK);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(mp_automation_cache_get(c, &p.city, &b, &err), MP_OK);
        assert_ptr_equal(a, b);
        mp_automation_free(b);
    }
    assert_int_equal(mp_automation_cache_loads(c), 1);
    assert_non_null(mp_automation_dept_mail_find(a, "streets"));
    assert_null(mp_automation_dept_mail_find(a, "sanitation"));
    /* Edited on disk: the next look-up reads it; a holder of the old rules
     * keeps them until it lets go. */
    fx_write_file(p.dir, "automation.json", STREETS_AND_SANITATION);
    assert_int_equal(mp_automation_cache_get(c, &p.city, &b, &err), MP_OK);
    assert_int_equal(mp_automation_cache_loads(c), 2);
    assert_ptr_not_equal(a, b);
    assert_non_null(mp_automation_dept_mail_find(b, "sanitation"));
    assert_null(mp_automation_dept_mail_find(a, "sanitation"));
    mp_automation_free(a);
    mp_automation_free(b);
    /* A broken file fails every look-up with its error, read once. */
    fx_write_file(p.dir, "automation.json", "{\"version\": 1, \"routing\": [");
    for (int i = 0; i < 3; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(mp_automation_cache_get(c, &p.city, &a, &err), MP_EINVAL);
        assert_null(a);
        assert_string_equal(err.text, "automation.json line 1: ']' expected near end of file");
    }
    assert_int_equal(mp_automation_cache_loads(c), 3);
    /* Removed: no rules (no department mail), as a pack without the file. */
    char path[300];
    snprintf(path, sizeof path, "%s/automation.json", p.dir);
    assert_int_equal(remove(path), 0);
    assert_int_equal(mailed_departments(c, &p.city), 0);
    assert_int_equal(mp_automation_cache_loads(c), 4);
    fx_write_file(p.dir, "automation.json", STREETS_ONLY);
    assert_int_equal(mailed_departments(c, &p.city), 1);
    assert_int_equal(mp_automation_cache_loads(c), 5);
    mp_automation_cache_free(c);
    pack_done(&p);
}

static void test_without_a_cache_reads_the_file(void **state)
{
    (void)state;
    struct pack p;
    pack_make(&p, STREETS_ONLY);
    assert_int_equal(mailed_departments(NULL, &p.city), 1);
    fx_write_file(p.dir, "automation.json", STREETS_AND_SANITATION);
    assert_int_equal(mailed_departments(NULL, &p.city), 2);
    pack_done(&p);
}

struct count {
    const char *kind, *rcpt;
    int n;
};

static int count_mail(void *p, const struct mp_outbox_row *r)
{
    struct count *c = p;
    c->n += strcmp(r->kind, c->kind) == 0 && r->rcpt && strcmp(r->rcpt, c->rcpt) == 0;
    return 0;
}

static int mails(struct fx_db *d, const char *kind, const char *rcpt)
{
    struct mp_error err = {{0}, {0}};
    struct count c = {kind, rcpt, 0};
    assert_int_equal(mp_outbox_list(&d->ctx, NULL, 0, 1000, count_mail, &c, &err), MP_OK);
    return c.n;
}

/* The writer's fan-out for every new job: the rules come from the context's
 * cache, read once, and an edit is seen by the next report. */
static void test_department_fanout_reads_the_rules_once(void **state)
{
    (void)state;
    struct fx_db d;
    struct pack p;
    const double m_per_deg = 6371008.8 * 3.14159265358979323846 / 180.0;
    fx_db_open(&d, "mp-autocache");
    pack_make(&p, STREETS_ONLY);
    const struct mp_city *orig = d.ctx.city;
    assert_int_equal(mp_automation_cache_new(&d.ctx.rules), MP_OK);
    d.ctx.city = &p.city;
    /* Five new pothole jobs 400 m apart: five mails, one read of the file. */
    for (int i = 0; i < 5; i++)
        fx_report(&d.ctx, "pothole", LON, LAT + 400.0 * i / m_per_deg, NULL, 0, NULL);
    assert_int_equal(mails(&d, "dept_new", "streets@city.example"), 5);
    assert_int_equal(mp_automation_cache_loads(d.ctx.rules), 1);
    /* Sanitation gains an address: its next new job mails it. */
    fx_write_file(p.dir, "automation.json", STREETS_AND_SANITATION);
    fx_report(&d.ctx, "graffiti", LON - 0.01, LAT, NULL, 0, NULL);
    fx_report(&d.ctx, "graffiti", LON - 0.02, LAT, NULL, 0, NULL);
    assert_int_equal(mails(&d, "dept_new", "sanitation@city.example"), 2);
    assert_int_equal(mp_automation_cache_loads(d.ctx.rules), 2);
    mp_automation_cache_free(d.ctx.rules);
    d.ctx.rules = NULL;
    d.ctx.city = orig;
    pack_done(&p);
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_once_until_the_file_changes),
        cmocka_unit_test(test_without_a_cache_reads_the_file),
        cmocka_unit_test(test_department_fanout_reads_the_rules_once),
    };
    return cmocka_run_group_tests(tests, fx_pack_group_setup, fx_pack_group_teardown);
}
