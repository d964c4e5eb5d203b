/* test_proxy.c - trusted proxies: parsing addresses and networks, and the
 * client, scheme and host a request names through X-Forwarded-* or RFC 7239
 * Forwarded, believed only from a trusted peer, right-most untrusted first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/proxy.h"

static struct mp_proxy_list list(const char *spec)
{
    struct mp_proxy_list l;
    struct mp_error err = {{0}, {0}};
    if (mp_proxy_parse(spec, &l, &err) != MP_OK)
        print_error("parse \"%s\": %s\n", spec, err.text);
    assert_int_equal(mp_proxy_parse(spec, &l, &err), MP_OK);
    return l;
}

static void test_parse_and_match(void **state)
{
    (void)state;
    struct mp_proxy_list l = list("127.0.0.1, 10.0.0.0/8  192.168.4.0/23,::1,2001:db8:aa::/48");
    assert_int_equal(l.n, 5);
    const char *in[] = {"127.0.0.1",      "10.1.2.3", "10.255.255.255",
                        "192.168.5.77",   "::1",      "2001:db8:aa:ffff::9",
                        "::ffff:10.9.9.9"};
    const char *out[] = {"127.0.0.2",      "11.0.0.1", "192.168.6.1", "::2",
                         "2001:db8:ab::1", "",         "garbage",     "10.0.0"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        if (!mp_proxy_trusted(&l, in[i]))
            print_error("%s not trusted\n", in[i]);
        assert_true(mp_proxy_trusted(&l, in[i]));
    }
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        if (mp_proxy_trusted(&l, out[i]))
            print_error("%s trusted\n", out[i]);
        assert_false(mp_proxy_trusted(&l, out[i]));
    }
    /* /0 trusts everything of its family; an empty list nothing. */
    struct mp_proxy_list all = list("0.0.0.0/0");
    assert_true(mp_proxy_trusted(&all, "203.0.113.9"));
    assert_false(mp_proxy_trusted(&all, "2001:db8::1"));
    struct mp_proxy_list none = list("");
    assert_int_equal(none.n, 0);
    assert_false(mp_proxy_trusted(&none, "127.0.0.1"));
    assert_false(mp_proxy_trusted(NULL, "127.0.0.1"));
}

static void test_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"localhost", "10.0.0.0/33", "::/129",      "10.0.0.1/", "10.0.0.0/8x",
                         "[::1]",     "1.2.3.4:80",  "10.0.0.0/-1", "300.1.1.1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mp_proxy_list l;
        struct mp_error err = {{0}, {0}};
        if (mp_proxy_parse(bad[i], &l, &err) != MP_EINVAL)
            print_error("\"%s\" accepted\n", bad[i]);
        assert_string_equal(err.code, "config");
        assert_non_null(strstr(err.text, "MELDPUNT_TRUSTED_PROXIES"));
    }
    char many[40 * 12] = "";
    for (int i = 0; i < 33; i++) {
        char one[16];
        snprintf(one, sizeof one, "10.0.0.%d,", i);
        strcat(many, one);
    }
    struct mp_proxy_list l;
    struct mp_error err;
    assert_int_equal(mp_proxy_parse(many, &l, &err), MP_EINVAL);
    assert_non_null(strstr(err.text, "more than 32"));
}

static void resolve(const struct mp_proxy_list *l, const char *peer, const char *xff,
                    const char *fwd, const char *proto, const char *host, struct mp_proxy_view *v)
{
    struct mp_proxy_headers h = {xff, fwd, proto, host};
    mp_proxy_resolve(l, peer, &h, v);
}

static void test_untrusted_peer_is_the_client(void **state)
{
    (void)state;
    struct mp_proxy_list l = list("127.0.0.1");
    struct mp_proxy_view v;
    resolve(&l, "203.0.113.5", "198.51.100.1", "for=198.51.100.2", "https", "evil.example", &v);
    assert_string_equal(v.client, "203.0.113.5");
    assert_false(v.via_proxy);
    assert_string_equal(v.proto, "");
    assert_string_equal(v.host, "");
    /* No list: nobody is trusted, not even loopback. */
    resolve(NULL, "127.0.0.1", "198.51.100.1", NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "127.0.0.1");
    /* IPv4-mapped peers read as IPv4. */
    resolve(&l, "::ffff:203.0.113.5", NULL, NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "203.0.113.5");
}

static void test_rightmost_untrusted(void **state)
{
    (void)state;
    struct mp_proxy_list l = list("127.0.0.1, 10.0.0.0/8");
    struct mp_proxy_view v;
    /* The client sent its own X-Forwarded-For (a lie); nginx appended the real one. */
    resolve(&l, "127.0.0.1", "1.1.1.1, 203.0.113.7", NULL, "https", "reports.city.example", &v);
    assert_string_equal(v.client, "203.0.113.7");
    assert_true(v.via_proxy);
    assert_string_equal(v.proto, "https");
    assert_string_equal(v.host, "reports.city.example");
    /* Two proxies: the inner one (10.x) is skipped. Several headers join in order. */
    resolve(&l, "127.0.0.1", "9.9.9.9, 198.51.100.4, 10.1.1.1", NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "198.51.100.4");
    assert_string_equal(v.proto, "");
    /* Everything trusted: the left-most. */
    resolve(&l, "127.0.0.1", "10.0.0.5,10.0.0.6", NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "10.0.0.5");
    /* Garbage ends the walk at the last hop that was an address. */
    resolve(&l, "127.0.0.1", "198.51.100.9, unknown", NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "127.0.0.1");
    resolve(&l, "127.0.0.1", "garbage, 10.2.2.2", NULL, NULL, NULL, &v);
    assert_string_equal(v.client, "10.2.2.2");
    /* IPv6 and ports are normalised; a bad scheme or host is not believed. */
    resolve(&l, "127.0.0.1", "[2001:DB8::0:1]:4711", NULL, "gopher", "a b.example", &v);
    assert_string_equal(v.client, "2001:db8::1");
    assert_string_equal(v.proto, "");
    assert_string_equal(v.host, "");
    resolve(&l, "127.0.0.1", "198.51.100.9:5555", NULL, "http, https",
            "x.example, city.example:8443", &v);
    assert_string_equal(v.client, "198.51.100.9");
    assert_string_equal(v.proto, "https");
    assert_string_equal(v.host, "city.example:8443");
}

static void test_forwarded(void **state)
{
    (void)state;
    struct mp_proxy_list l = list("127.0.0.1,10.0.0.0/8");
    struct mp_proxy_view v;
    resolve(&l, "127.0.0.1", NULL,
            "for=1.2.3.4;proto=http, for=\"[2001:db8:cafe::17]:4711\";proto=https;"
            "host=reports.city.example;by=10.0.0.1, for=10.0.0.2;proto=http;host=inner",
            "http", "ignored.example", &v);
    assert_string_equal(v.client, "2001:db8:cafe::17");
    assert_string_equal(v.proto, "https");
    assert_string_equal(v.host, "reports.city.example");
    /* X-Forwarded-For wins when both came (the proxy wrote that one). */
    resolve(&l, "127.0.0.1", "198.51.100.3", "for=192.0.2.1", NULL, NULL, &v);
    assert_string_equal(v.client, "198.51.100.3");
    /* Obfuscated or unknown nodes end the walk. */
    resolve(&l, "127.0.0.1", NULL, "for=unknown", NULL, NULL, &v);
    assert_string_equal(v.client, "127.0.0.1");
    resolve(&l, "127.0.0.1", NULL, "For=\"_hidden\", for=192.0.2.60", NULL, NULL, &v);
    assert_string_equal(v.client, "192.0.2.60");
    /* A quoted comma does not split an element. */
    resolve(&l, "127.0.0.1", NULL, "for=192.0.2.61;host=\"a,b\"", NULL, NULL, &v);
    assert_string_equal(v.client, "192.0.2.61");
    assert_string_equal(v.host, "");
}

static void test_host_ok(void **state)
{
    (void)state;
    const char *good[] = {"city.example", "city.example:8443", "127.0.0.1:80",
                          "[::1]:8080",   "[2001:db8::1]",     "a_b-c.example"};
    const char *bad[] = {"",     "x\"><evil/>", "a b", "city.example:",      "city.example:123456",
                         "[::1", "[nothex]:80", ":80", "city.example:80:80", "a/b"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_true(mp_proxy_host_ok(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (mp_proxy_host_ok(bad[i], strlen(bad[i])))
            print_error("host \"%s\" accepted\n", bad[i]);
        assert_false(mp_proxy_host_ok(bad[i], strlen(bad[i])));
    }
}

static void test_public_base(void **state)
{
    (void)state;
    struct mp_proxy_list l = list("127.0.0.1");
    struct mp_proxy_view direct, proxied, bare;
    char out[MP_PROXY_HOST_MAX + 64];
    resolve(&l, "203.0.113.5", NULL, NULL, "https", "evil.example", &direct);
    resolve(&l, "127.0.0.1", "203.0.113.5", NULL, "https", "reports.city.example", &proxied);
    resolve(&l, "127.0.0.1", "203.0.113.5", NULL, NULL, NULL, &bare);
    /* A configured URL wins over everything. */
    mp_proxy_public_base("https://city.example/meldpunt", &proxied, "x.example", "127.0.0.1", 8080,
                         out, sizeof out);
    assert_string_equal(out, "https://city.example/meldpunt");
    /* A trusted proxy's scheme and host; its Host header when it named none. */
    mp_proxy_public_base("", &proxied, "x.example", "127.0.0.1", 8080, out, sizeof out);
    assert_string_equal(out, "https://reports.city.example");
    mp_proxy_public_base("", &bare, "inner.example:81", "127.0.0.1", 8080, out, sizeof out);
    assert_string_equal(out, "http://inner.example:81");
    mp_proxy_public_base("", &bare, "x\"><evil/>", "127.0.0.1", 8080, out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:8080");
    /* A client that is no proxy names nothing: the listen address. */
    mp_proxy_public_base("", &direct, NULL, "127.0.0.1", 8080, out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:8080");
    mp_proxy_public_base(NULL, &direct, NULL, "0.0.0.0", 80, out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:80");
    /* Too small: empty, never cut. */
    char tiny[10];
    mp_proxy_public_base("https://city.example", &direct, NULL, "127.0.0.1", 80, tiny, sizeof tiny);
    assert_string_equal(tiny, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_match),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_untrusted_peer_is_the_client),
        cmocka_unit_test(test_rightmost_untrusted),
        cmocka_unit_test(test_forwarded),
        cmocka_unit_test(test_host_ok),
        cmocka_unit_test(test_public_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
