/* test_ogc_html.c - the HTML pages of the OGC API: text and attributes
 * escaped, only http(s) URLs become links, features link to their own page,
 * nesting bounded, a document that is not JSON refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/ogc_html.h"

static char *render(const char *json, const char *features_href, struct mp_buf *b)
{
    mp_buf_init(b, 0);
    assert_int_equal(mp_ogc_html(b, "T <&>", json, strlen(json), features_href), MP_OK);
    assert_false(b->failed);
    return b->data;
}

static void test_escaped(void **state)
{
    (void)state;
    struct mp_buf b;
    const char *html =
        render("{\"title\":\"<script>alert(1)</script>\",\"a\":\"x\\\" onmouseover=\\\"y\","
               "\"links\":[{\"href\":\"http://h/p?a=1&b=<2>\",\"rel\":\"self\","
               "\"type\":\"text/html\",\"title\":\"<b>\"}]}",
               NULL, &b);
    assert_non_null(strstr(html, "<title>T &lt;&amp;&gt;</title>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "x&quot; onmouseover=&quot;y"));
    assert_non_null(strstr(html, "<a href=\"http://h/p?a=1&amp;b=&lt;2&gt;\">&lt;b&gt;</a>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<b>"));
    mp_buf_free(&b);
}

static void test_only_http_links(void **state)
{
    (void)state;
    struct mp_buf b;
    const char *html = render("{\"u\":\"javascript:alert(1)\",\"v\":\"https://ok.example/x\","
                              "\"links\":[{\"href\":\"data:text/html,hi\",\"rel\":\"evil\"}]}",
                              NULL, &b);
    assert_null(strstr(html, "href=\"javascript"));
    assert_null(strstr(html, "href=\"data:"));
    assert_non_null(strstr(html, "javascript:alert(1)"));
    assert_non_null(strstr(html, "<a href=\"https://ok.example/x\">"));
    mp_buf_free(&b);
}

static void test_features(void **state)
{
    (void)state;
    struct mp_buf b;
    const char *html =
        render("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"id\":7,"
               "\"geometry\":{\"type\":\"Point\",\"coordinates\":[-87.5,41.75]},"
               "\"properties\":{\"status\":\"new\"}}]}",
               "https://h/ogc/collections/reports/items/", &b);
    assert_non_null(strstr(html, "<a href=\"https://h/ogc/collections/reports/items/7\">7</a>"));
    assert_non_null(strstr(html, "Point -87.5, 41.75"));
    assert_non_null(strstr(html, "<dt>status</dt><dd>new</dd>"));
    mp_buf_free(&b);
}

static void test_depth_and_errors(void **state)
{
    (void)state;
    struct mp_buf b;
    char deep[400];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    deep[n++] = '1';
    for (int i = 0; i < 40; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    const char *html = render(deep, NULL, &b);
    assert_non_null(strstr(html, "&#8230;"));
    mp_buf_free(&b);
    mp_buf_init(&b, 0);
    assert_int_equal(mp_ogc_html(&b, "t", "{not json", 9, NULL), MP_EINVAL);
    mp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaped),
        cmocka_unit_test(test_only_http_links),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_depth_and_errors),
    };
    return cmocka_run_group_tests_name("ogc_html", tests, NULL, NULL);
}
