/* test_config.c - run-time settings: defaults, MELDPUNT_* environment
 * overrides and rejection of bad values (with the config left untouched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/config.h"

static const char *const VARS[] = {
    "MELDPUNT_DB",       "MELDPUNT_LISTEN",     "MELDPUNT_CITY",        "MELDPUNT_WEB",
    "MELDPUNT_VENDOR",   "MELDPUNT_TILE_URL",   "MELDPUNT_ADMIN_TOKEN", "MELDPUNT_THREADS",
    "MELDPUNT_MAX_BODY", "MELDPUNT_MAX_UPLOAD", "MELDPUNT_SYNC",
    "MELDPUNT_TRUSTED_PROXIES", "MELDPUNT_MAX_CONNECTIONS", "MELDPUNT_CONNECTIONS_PER_ADDRESS",
    "MELDPUNT_HEAD_TIMEOUT",    "MELDPUNT_BODY_MIN_RATE",   "MELDPUNT_PUBLIC_URL",
    "MELDPUNT_RATE_READS",      "MELDPUNT_RATE_READS_BURST", "MELDPUNT_EXPORT_MIN_RATE",
    "MELDPUNT_EXPORT_MAX_SECONDS", "MELDPUNT_GRID_MAX_CELLS",
};

/* Each test starts and ends with none of the variables set. */
static int clean_env(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof VARS / sizeof *VARS; i++)
        unsetenv(VARS[i]);
    return 0;
}

static void set(const char *k, const char *v) { assert_int_equal(setenv(k, v, 1), 0); }

/* Apply the environment to a default config; it must fail with EINVAL, a
 * "config" code and a message naming `needle`. */
static void expect_env_error(const char *needle)
{
    struct mp_config c;
    struct mp_error err = {{0}, {0}};
    mp_config_defaults(&c);
    enum mp_status rc = mp_config_from_env(&c, &err);
    if (rc != MP_EINVAL || !strstr(err.text, needle))
        print_error("rc %d, \"%s\" (expected a mention of %s)\n", (int)rc, err.text, needle);
    assert_int_equal(rc, MP_EINVAL);
    assert_string_equal(err.code, "config");
    assert_non_null(strstr(err.text, needle));
}

static void test_defaults(void **state)
{
    (void)state;
    struct mp_config c;
    memset(&c, 0x5a, sizeof c);
    mp_config_defaults(&c);
    assert_string_equal(c.db_path, "var/meldpunt.sqlite");
    assert_string_equal(c.listen_host, "127.0.0.1"); /* never all interfaces by default */
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.city_dir, "geodata/chicago");
    assert_string_equal(c.web_dir, "web");
    assert_string_equal(c.vendor_dir, "node_modules");
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.max_body, 64 * 1024);
    assert_int_equal(c.max_upload, 10 * 1024 * 1024);
    assert_int_equal(c.max_page, 5000);
    assert_int_equal(c.default_page, 1000);
    assert_true(c.default_page <= c.max_page);
    assert_int_equal(c.conn_timeout_s, 30);
    assert_true(c.max_conns > 0);
    assert_true(c.max_conns_per_ip > 0 && c.max_conns_per_ip <= c.max_conns);
    assert_true(c.sync_full);
    assert_false(c.tiles_set);
    assert_string_equal(c.tile_url, "");
    assert_string_equal(c.admin_token, "");
}

static void test_env_empty_changes_nothing(void **state)
{
    (void)state;
    struct mp_config c, d;
    struct mp_error err;
    mp_config_defaults(&c);
    mp_config_defaults(&d);
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_memory_equal(&c, &d, sizeof c);
    /* Empty values are ignored too (except the tile URL, see below). */
    set("MELDPUNT_DB", "");
    set("MELDPUNT_LISTEN", "");
    set("MELDPUNT_THREADS", "");
    set("MELDPUNT_SYNC", "");
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_memory_equal(&c, &d, sizeof c);
}

static void test_env_overrides(void **state)
{
    (void)state;
    set("MELDPUNT_DB", "/var/lib/meldpunt/db.sqlite");
    set("MELDPUNT_LISTEN", "0.0.0.0:9090");
    set("MELDPUNT_CITY", "/srv/packs/gent");
    set("MELDPUNT_WEB", "/srv/web");
    set("MELDPUNT_VENDOR", "/srv/node_modules");
    set("MELDPUNT_ADMIN_TOKEN", "s3cret-token");
    set("MELDPUNT_THREADS", "8");
    set("MELDPUNT_MAX_BODY", "131072");
    set("MELDPUNT_MAX_UPLOAD", "20971520");
    set("MELDPUNT_SYNC", "normal");
    set("MELDPUNT_TILE_URL", "https://tiles.example/{z}/{x}/{y}.png");
    struct mp_config c;
    struct mp_error err;
    mp_config_defaults(&c);
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_string_equal(c.db_path, "/var/lib/meldpunt/db.sqlite");
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9090);
    assert_string_equal(c.city_dir, "/srv/packs/gent");
    assert_string_equal(c.web_dir, "/srv/web");
    assert_string_equal(c.vendor_dir, "/srv/node_modules");
    assert_string_equal(c.admin_token, "s3cret-token");
    assert_int_equal(c.threads, 8);
    assert_int_equal(c.max_body, 131072);
    assert_int_equal(c.max_upload, 20971520);
    assert_false(c.sync_full);
    assert_true(c.tiles_set);
    assert_string_equal(c.tile_url, "https://tiles.example/{z}/{x}/{y}.png");
    /* Untouched settings keep their defaults. */
    assert_int_equal(c.max_page, 5000);
    set("MELDPUNT_SYNC", "full");
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_true(c.sync_full);
    clean_env(NULL);
}

static void test_env_tiles_off(void **state)
{
    (void)state;
    /* An empty tile URL is a setting: tiles off. */
    set("MELDPUNT_TILE_URL", "");
    struct mp_config c;
    struct mp_error err;
    mp_config_defaults(&c);
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_true(c.tiles_set);
    assert_string_equal(c.tile_url, "");
    clean_env(NULL);
}

static void test_env_limits(void **state)
{
    (void)state;
    struct mp_config c;
    struct mp_error err;
    set("MELDPUNT_THREADS", "256");
    set("MELDPUNT_MAX_BODY", "67108864");    /* 64 MiB: the largest */
    set("MELDPUNT_MAX_UPLOAD", "268435456"); /* 256 MiB: the largest */
    mp_config_defaults(&c);
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_int_equal(c.threads, 256);
    assert_int_equal(c.max_body, 67108864);
    assert_int_equal(c.max_upload, 268435456);
    set("MELDPUNT_THREADS", "0"); /* 0 = one per core */
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_int_equal(c.threads, 0);
    clean_env(NULL);
}

static void test_env_bad_numbers(void **state)
{
    (void)state;
    const char *bad[] = {"-1", "abc", "257", "8x", "1e3", "99999999999999999999999", " -1",
                         "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        set("MELDPUNT_THREADS", bad[i]);
        expect_env_error("MELDPUNT_THREADS");
    }
    unsetenv("MELDPUNT_THREADS");
    set("MELDPUNT_MAX_BODY", "67108865");
    expect_env_error("MELDPUNT_MAX_BODY");
    set("MELDPUNT_MAX_BODY", "-5");
    expect_env_error("MELDPUNT_MAX_BODY");
    unsetenv("MELDPUNT_MAX_BODY");
    set("MELDPUNT_MAX_UPLOAD", "268435457");
    expect_env_error("MELDPUNT_MAX_UPLOAD");
    clean_env(NULL);
}

static void test_env_bad_values(void **state)
{
    (void)state;
    set("MELDPUNT_SYNC", "fast");
    expect_env_error("MELDPUNT_SYNC");
    set("MELDPUNT_SYNC", "FULL");
    expect_env_error("MELDPUNT_SYNC");
    unsetenv("MELDPUNT_SYNC");

    char longpath[700];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    set("MELDPUNT_DB", longpath);
    expect_env_error("MELDPUNT_DB");
    unsetenv("MELDPUNT_DB");
    set("MELDPUNT_CITY", longpath);
    expect_env_error("MELDPUNT_CITY");
    unsetenv("MELDPUNT_CITY");
    set("MELDPUNT_TILE_URL", longpath);
    expect_env_error("MELDPUNT_TILE_URL");
    unsetenv("MELDPUNT_TILE_URL");
    set("MELDPUNT_ADMIN_TOKEN", longpath);
    expect_env_error("MELDPUNT_ADMIN_TOKEN");
    unsetenv("MELDPUNT_ADMIN_TOKEN");

    set("MELDPUNT_LISTEN", "localhost");
    expect_env_error("HOST:PORT");
    clean_env(NULL);
}

static void test_env_proxies_and_connections(void **state)
{
    (void)state;
    struct mp_config c;
    struct mp_error err;
    mp_config_defaults(&c);
    assert_int_equal(c.trusted_proxies.n, 0); /* nobody's X-Forwarded-For by default */
    assert_string_equal(c.public_url, "");
    assert_true(c.rate_reads == 10 && c.rate_reads_burst == 40);
    assert_int_equal(c.export_min_rate, 4096);
    assert_int_equal(c.export_max_s, 3600);
    assert_int_equal(c.grid_max_cells, 1024);
    assert_int_equal(c.head_timeout_s, 10);
    assert_int_equal(c.body_min_rate, 1024);
    set("MELDPUNT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8 ::1,fd00::/8");
    set("MELDPUNT_MAX_CONNECTIONS", "2000");
    set("MELDPUNT_CONNECTIONS_PER_ADDRESS", "0");
    set("MELDPUNT_HEAD_TIMEOUT", "3");
    set("MELDPUNT_BODY_MIN_RATE", "100");
    set("MELDPUNT_RATE_READS", "0");
    set("MELDPUNT_RATE_READS_BURST", "5");
    set("MELDPUNT_EXPORT_MIN_RATE", "0");
    set("MELDPUNT_EXPORT_MAX_SECONDS", "120");
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_int_equal(c.trusted_proxies.n, 4);
    assert_true(mp_proxy_trusted(&c.trusted_proxies, "10.200.3.4"));
    assert_true(mp_proxy_trusted(&c.trusted_proxies, "fd12::1"));
    assert_false(mp_proxy_trusted(&c.trusted_proxies, "127.0.0.2"));
    assert_int_equal(c.max_conns, 2000);
    assert_int_equal(c.max_conns_per_ip, 0);
    assert_int_equal(c.head_timeout_s, 3);
    assert_int_equal(c.body_min_rate, 100);
    assert_true(c.rate_reads == 0 && c.rate_reads_burst == 5);
    assert_int_equal(c.export_min_rate, 0);
    assert_int_equal(c.export_max_s, 120);

    /* A bad list names the bad item and leaves the list as it was. */
    set("MELDPUNT_TRUSTED_PROXIES", "127.0.0.1, proxy.local");
    expect_env_error("proxy.local");
    set("MELDPUNT_TRUSTED_PROXIES", "10.0.0.0/33");
    expect_env_error("10.0.0.0/33");
    set("MELDPUNT_TRUSTED_PROXIES", "127.0.0.1");
    set("MELDPUNT_HEAD_TIMEOUT", "0");
    expect_env_error("MELDPUNT_HEAD_TIMEOUT");
    set("MELDPUNT_RATE_READS_BURST", "0");
    expect_env_error("MELDPUNT_RATE_READS_BURST");
    unsetenv("MELDPUNT_RATE_READS_BURST");
    set("MELDPUNT_HEAD_TIMEOUT", "5");
    set("MELDPUNT_EXPORT_MAX_SECONDS", "99999999");
    expect_env_error("MELDPUNT_EXPORT_MAX_SECONDS");
    unsetenv("MELDPUNT_EXPORT_MAX_SECONDS");
    set("MELDPUNT_GRID_MAX_CELLS", "8");
    expect_env_error("MELDPUNT_GRID_MAX_CELLS");
    unsetenv("MELDPUNT_GRID_MAX_CELLS");
    set("MELDPUNT_MAX_CONNECTIONS", "8");
    expect_env_error("MELDPUNT_MAX_CONNECTIONS");
    clean_env(NULL);
}

static void test_public_url(void **state)
{
    (void)state;
    struct mp_config c;
    struct mp_error err;
    mp_config_defaults(&c);
    set("MELDPUNT_PUBLIC_URL", "https://reports.city.example/");
    assert_int_equal(mp_config_from_env(&c, &err), MP_OK);
    assert_string_equal(c.public_url, "https://reports.city.example"); /* no trailing slash */
    assert_int_equal(mp_config_set_public_url(&c, "http://[::1]:8080/meldpunt", &err), MP_OK);
    assert_string_equal(c.public_url, "http://[::1]:8080/meldpunt");
    const char *bad[] = {"reports.city.example", "ftp://x.example", "https://", "https://a b",
                         "https://x.example/a\"b", "https://x.example:99999",
                         "https://evil.example?x=1", "javascript://x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mp_error e = {{0}, {0}};
        if (mp_config_set_public_url(&c, bad[i], &e) != MP_EINVAL)
            print_error("public URL \"%s\" accepted\n", bad[i]);
        assert_string_equal(e.code, "config");
        assert_non_null(strstr(e.text, "MELDPUNT_PUBLIC_URL"));
        assert_string_equal(c.public_url, "http://[::1]:8080/meldpunt"); /* untouched */
    }
    clean_env(NULL);
}

static void test_set_listen(void **state)
{
    (void)state;
    struct mp_config c;
    struct mp_error err;
    mp_config_defaults(&c);
    assert_int_equal(mp_config_set_listen(&c, "127.0.0.1:0", &err), MP_OK);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 0);
    assert_int_equal(mp_config_set_listen(&c, "example.org:65535", &err), MP_OK);
    assert_string_equal(c.listen_host, "example.org");
    assert_int_equal(c.listen_port, 65535);
    /* The last colon splits: IPv6 literal hosts keep theirs. */
    assert_int_equal(mp_config_set_listen(&c, "[::1]:8081", &err), MP_OK);
    assert_string_equal(c.listen_host, "[::1]");
    assert_int_equal(c.listen_port, 8081);

    const char *bad[] = {"nohost", ":8080", "host:", "host:65536", "host:-1", "host:80x",
                         "host:99999999999999999999", "host:8 0"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mp_config before;
        memcpy(&before, &c, sizeof c);
        struct mp_error e = {{0}, {0}};
        enum mp_status rc = mp_config_set_listen(&c, bad[i], &e);
        if (rc != MP_EINVAL)
            print_error("listen \"%s\" accepted\n", bad[i]);
        assert_int_equal(rc, MP_EINVAL);
        assert_true(strlen(e.text) > 0);
        assert_memory_equal(&c, &before, sizeof c); /* untouched */
    }
    char host[100];
    memset(host, 'h', 64);
    memcpy(host + 64, ":80", 4);
    assert_int_equal(mp_config_set_listen(&c, host, &err), MP_EINVAL);
    host[63] = ':'; /* 63-byte host fits */
    memcpy(host + 64, "80", 3);
    assert_int_equal(mp_config_set_listen(&c, host, &err), MP_OK);
    assert_int_equal(strlen(c.listen_host), 63);
}

static void test_set_str(void **state)
{
    (void)state;
    char dst[4] = "xyz";
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_config_set_str(dst, sizeof dst, "abc", "thing", &err), MP_OK);
    assert_string_equal(dst, "abc");
    assert_int_equal(mp_config_set_str(dst, sizeof dst, "", "thing", &err), MP_OK);
    assert_string_equal(dst, "");
    assert_int_equal(mp_config_set_str(dst, sizeof dst, "abcd", "thing", &err), MP_EINVAL);
    assert_string_equal(dst, ""); /* untouched */
    assert_non_null(strstr(err.text, "thing"));
    assert_non_null(strstr(err.text, "3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_empty_changes_nothing, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_overrides, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_tiles_off, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_limits, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_bad_numbers, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_bad_values, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_env_proxies_and_connections, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_public_url, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_set_listen, clean_env, clean_env),
        cmocka_unit_test_setup_teardown(test_set_str, clean_env, clean_env),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
