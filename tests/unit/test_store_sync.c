/* test_store_sync.c - the durability setting reaches SQLite: MELDPUNT_SYNC
 * (unset, full, normal) through mp_config_from_env and mp_app_open (as the
 * server opens it: worker slots and the group-commit writer) to the PRAGMA
 * synchronous of every pooled connection, read back with
 * mp_store_sync_mode; and mp_store_open alone for both values. */
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
#include "meldpunt/app.h"
#include "meldpunt/config.h"
#include "meldpunt/store.h"

#define SYNC_NORMAL 1
#define SYNC_FULL 2
#define POOL 3

static struct fx_dbfile tmpl;

static int group_setup(void **state)
{
    (void)state;
    return fx_template_make(&tmpl);
}

static int group_teardown(void **state)
{
    (void)state;
    fx_rm_dir(tmpl.dir);
    return 0;
}

static int sync_of(struct mp_store_sess *s)
{
    int mode = -1;
    assert_int_equal(mp_store_sync_mode(s, &mode), MP_OK);
    return mode;
}

/* Every session of the pool, held at once so that each is a different
 * connection, runs with want. */
static void expect_pool(struct mp_store *store, unsigned n, int want)
{
    struct mp_store_sess *held[POOL + 1];
    assert_true(n <= POOL + 1);
    for (unsigned i = 0; i < n; i++)
        held[i] = mp_store_acquire(store);
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < i; j++)
            assert_ptr_not_equal(held[i], held[j]);
        assert_int_equal(sync_of(held[i]), want);
    }
    for (unsigned i = 0; i < n; i++)
        mp_store_release(store, held[i]);
}

static void store_opts_set_the_pragma(void **state)
{
    (void)state;
    struct fx_dbfile f;
    struct mp_store_opts o;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(fx_dbfile_copy(&f, "mp-sync", &tmpl), 0);
    for (int full = 0; full <= 1; full++) {
        struct mp_store *store = NULL;
        mp_store_opts_default(&o);
        o.pool_size = POOL;
        o.sync_full = full;
        assert_int_equal(mp_store_open(f.path, &o, &store, &err), MP_OK);
        expect_pool(store, POOL, full ? SYNC_FULL : SYNC_NORMAL);
        mp_store_close(store);
    }
    /* The default is the durable one. */
    mp_store_opts_default(&o);
    assert_true(o.sync_full);
    fx_rm_dir(f.dir);
}

/* As `meldpunt serve` does it: the environment, the config, the app. */
static void open_app_with_env(const char *sync, int want)
{
    struct fx_dbfile f;
    struct mp_config cfg;
    struct mp_error err = {{0}, {0}};
    struct mp_app *app = NULL;
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(fx_dbfile_copy(&f, "mp-sync-app", &tmpl), 0);
    if (sync)
        assert_int_equal(setenv("MELDPUNT_SYNC", sync, 1), 0);
    else
        assert_int_equal(unsetenv("MELDPUNT_SYNC"), 0);
    mp_config_defaults(&cfg);
    assert_int_equal(mp_config_from_env(&cfg, &err), MP_OK);
    snprintf(cfg.db_path, sizeof cfg.db_path, "%s", f.path);
    assert_non_null(fx_chicago_dir());
    snprintf(cfg.city_dir, sizeof cfg.city_dir, "%s", fx_chicago_dir());
    int n = snprintf(cfg.web_dir, sizeof cfg.web_dir, "%s/web", src);
    assert_true(n > 0 && (size_t)n < sizeof cfg.web_dir);
    n = snprintf(cfg.vendor_dir, sizeof cfg.vendor_dir, "%s/node_modules", src);
    assert_true(n > 0 && (size_t)n < sizeof cfg.vendor_dir);
    enum mp_status rc = mp_app_open(&cfg, 2, true, &app, &err);
    if (rc)
        fail_msg("mp_app_open: %s", err.text);
    /* The writer that commits reports, and both worker slots. */
    assert_int_equal(sync_of(app->writer.ctx.db), want);
    struct mp_ctx *a = mp_app_acquire(app), *b = mp_app_acquire(app);
    assert_ptr_not_equal(a, b);
    assert_int_equal(sync_of(a->db), want);
    assert_int_equal(sync_of(b->db), want);
    mp_app_release(app, b);
    mp_app_release(app, a);
    mp_app_close(app);
    assert_int_equal(unsetenv("MELDPUNT_SYNC"), 0);
    fx_rm_dir(f.dir);
}

static void env_full_is_full(void **state)
{
    (void)state;
    open_app_with_env("full", SYNC_FULL);
}

static void env_normal_is_normal(void **state)
{
    (void)state;
    open_app_with_env("normal", SYNC_NORMAL);
}

static void env_unset_is_full(void **state)
{
    (void)state;
    open_app_with_env(NULL, SYNC_FULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(store_opts_set_the_pragma),
        cmocka_unit_test(env_full_is_full),
        cmocka_unit_test(env_normal_is_normal),
        cmocka_unit_test(env_unset_is_full),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
