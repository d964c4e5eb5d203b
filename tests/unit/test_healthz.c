/* test_healthz.c - GET /healthz as the handler answers it on a server app:
 * the figures and the answer cache's counters appear for a client on the
 * machine itself (IPv4 and IPv6 loopback); anyone else without a staff token
 * gets {"status":"ok"} only (issue 19; staff tokens and forwarded requests
 * are in tests/api/health.test.mjs). (The counters' values against real map
 * reads are in tests/api/cache.test.mjs.) */
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

#include "fixture.h"
#include "meldpunt/api.h"
#include "meldpunt/app.h"
#include "meldpunt/config.h"
#include "meldpunt/http.h"

struct server {
    struct fx_dbfile file;
    struct mp_config cfg;
    struct mp_app *app;
};

static int setup(void **state)
{
    static struct server s;
    struct mp_error err = {{0}, {0}};
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    const char *city = fx_chicago_dir();
    if (!src || !city || fx_template_make(&s.file) != 0)
        return -1;
    mp_config_defaults(&s.cfg);
    int n1 = snprintf(s.cfg.db_path, sizeof s.cfg.db_path, "%s", s.file.path);
    int n2 = snprintf(s.cfg.city_dir, sizeof s.cfg.city_dir, "%s", city);
    int n3 = snprintf(s.cfg.web_dir, sizeof s.cfg.web_dir, "%s/web", src);
    int n4 = snprintf(s.cfg.vendor_dir, sizeof s.cfg.vendor_dir, "%s/node_modules", src);
    s.cfg.sync_full = false;
    /* /healthz needs only what the PostgreSQL engine has: serve on it. */
    s.cfg.pg_experimental = true;
    if (n1 < 0 || n2 < 0 || n3 < 0 || n4 < 0 || (size_t)n4 >= sizeof s.cfg.vendor_dir ||
        mp_app_open(&s.cfg, 1, true, &s.app, &err) != MP_OK) {
        fprintf(stderr, "test_healthz: cannot open the app: %s\n", err.text);
        fx_rm_dir(s.file.dir);
        return -1;
    }
    *state = &s;
    return 0;
}

static int teardown(void **state)
{
    struct server *s = *state;
    if (!s) /* setup failed */
        return 0;
    mp_app_close(s->app);
    fx_rm_dir(s->file.dir);
    return 0;
}

/* The handler's body for a client at ip, parsed. New reference. */
static json_t *healthz_from(struct server *s, const char *ip)
{
    struct mp_request req;
    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    req.method = "GET";
    req.path = "/healthz";
    req.body = "";
    snprintf(req.client_ip, sizeof req.client_ip, "%s", ip);
    struct mp_ctx *ctx = mp_app_acquire(s->app);
    assert_int_equal(mp_api_healthz(s->app, ctx, &req, &resp, &err), MP_OK);
    mp_app_release(s->app, ctx);
    json_error_t je;
    json_t *j = json_loadb(resp.body.data, resp.body.len, 0, &je);
    if (!j)
        fail_msg("healthz body is not JSON (%s): %.*s", je.text, (int)resp.body.len,
                 resp.body.data);
    mp_buf_free(&resp.body);
    return j;
}

static void details_for_loopback_only(void **state)
{
    struct server *s = *state;
    static const char *const local[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"};
    static const char *const remote[] = {"203.0.113.7",      "10.0.0.1",  "2001:db8::1",
                                         "::ffff:192.0.2.1", "1.127.0.0", ""};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++) {
        json_t *j = healthz_from(s, local[i]);
        json_t *c = json_object_get(j, "cache");
        if (!json_is_object(c))
            fail_msg("no cache counters for %s", local[i]);
        assert_int_equal(json_object_size(c), 3);
        assert_true(json_is_integer(json_object_get(c, "hits")));
        assert_true(json_is_integer(json_object_get(c, "misses")));
        assert_true(json_is_integer(json_object_get(c, "stored")));
        assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
        assert_true(json_is_integer(json_object_get(j, "reports")));
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof remote / sizeof *remote; i++) {
        json_t *j = healthz_from(s, remote[i]);
        if (json_object_size(j) != 1)
            fail_msg("more than the status shown to %s", remote[i]);
        assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(details_for_loopback_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
