/* test_xml.c - the XML writer: markup characters, the characters XML 1.0
 * cannot carry, broken UTF-8 (one U+FFFD per broken sequence), attribute
 * values and tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/xml.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- helpers ---- */

typedef void (*escaper)(struct mp_buf *b, const char *s);

static void expect_with(escaper fn, const char *in, const char *want)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_add(&b, "", 0);
    fn(&b, in);
    assert_false(b.failed);
    assert_non_null(b.data);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    mp_buf_free(&b);
}

static void assert_xml(const char *in, const char *want)
{
    expect_with(mp_xml_text, in, want);
}

static void assert_attr(const char *in, const char *want)
{
    expect_with(mp_xml_attr_value, in, want);
}

static void assert_quoted(const char *in, const char *want)
{
    expect_with(mp_xml_text_quoted, in, want);
}

static void expect_buf(struct mp_buf *b, const char *want)
{
    assert_false(b->failed);
    assert_non_null(b->data);
    assert_string_equal(b->data, want);
    mp_buf_free(b);
}

/* ---- character data ---- */

static void text_escapes_markup(void **state)
{
    (void)state;
    assert_xml("plain text", "plain text");
    assert_xml("a<b>&c", "a&lt;b&gt;&amp;c");
    assert_xml("]]>", "]]&gt;");
    assert_xml("&amp;", "&amp;amp;");
    /* Quotes need no escaping in element content. */
    assert_xml("say \"hi\" it's", "say \"hi\" it's");
    assert_xml("", "");
    assert_xml("<<<", "&lt;&lt;&lt;");
}

static void text_null_writes_nothing(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_buf_adds(&b, "x");
    mp_xml_text(&b, NULL);
    mp_xml_attr_value(&b, NULL);
    mp_xml_text_quoted(&b, NULL);
    expect_buf(&b, "x");
}

static void text_keeps_line_breaks_and_tabs(void **state)
{
    (void)state;
    assert_xml("a\nb\tc", "a\nb\tc");
    /* A literal CR would reach the client as LF: keep it as a reference. */
    assert_xml("a\r\nb", "a&#13;\nb");
}

static void text_replaces_controls(void **state)
{
    (void)state;
    assert_xml("a\x01"
               "b\x1f"
               "c",
               "a" FFFD "b" FFFD "c");
    assert_xml("\x1b[31mred", FFFD "[31mred"); /* a terminal escape */
    assert_xml("\x0b\x0c", FFFD FFFD);         /* vertical tab, form feed */
    /* DEL and the C1 controls are legal XML 1.0 but discouraged, and strict
     * UTF-8 text checks refuse them: replaced like the C0 controls. */
    assert_xml("\x7f", FFFD);
    assert_xml("\xC2\x80", FFFD);
    assert_xml("\xC2\x85", FFFD);
    assert_xml("\xC2\x9F", FFFD);
    assert_xml("\xC2\xA0", "\xC2\xA0"); /* the first printable after them stays */
    /* The two non-characters XML excludes; their neighbours stay. */
    assert_xml("\xEF\xBF\xBE", FFFD);
    assert_xml("\xEF\xBF\xBF", FFFD);
    assert_xml("\xEF\xBF\xBC", "\xEF\xBF\xBC");
    assert_xml("\xF0\x9F\xBF\xBE", "\xF0\x9F\xBF\xBE"); /* U+1FFFE is a legal Char */
}

static void text_replaces_broken_utf8(void **state)
{
    (void)state;
    assert_xml("\xC3", FFFD);             /* truncated at the end */
    assert_xml("\xC3(", FFFD "(");        /* bad continuation: '(' read afresh */
    assert_xml("\xC3<", FFFD "&lt;");     /* ... and still escaped */
    assert_xml("\xE2\x82", FFFD);         /* truncated 3-byte */
    assert_xml("\xE2\x82x", FFFD "x");
    assert_xml("\xF0\x9F\x98", FFFD);     /* truncated 4-byte */
    assert_xml("\xFF\xFE", FFFD FFFD);    /* never valid in UTF-8 */
    assert_xml("\xF8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD); /* old 5-byte form */
    assert_xml("\xC0\x80", FFFD);         /* overlong NUL */
    assert_xml("\xC1\xBF", FFFD);         /* overlong DEL */
    assert_xml("\xE0\x80\xAF", FFFD);     /* overlong '/' */
    assert_xml("\xF0\x80\x80\xAF", FFFD); /* overlong '/' in four bytes */
    assert_xml("\xED\xA0\x80", FFFD);     /* UTF-16 surrogate */
    assert_xml("\xED\xBF\xBF", FFFD);     /* the last surrogate */
    assert_xml("\xF4\x90\x80\x80", FFFD); /* above U+10FFFF */
    assert_xml("\x80x", FFFD "x");        /* lone continuation byte */
    assert_xml("\x80\x80", FFFD FFFD);    /* one each */
    /* Latin-1 text is not UTF-8: each high byte that breaks a sequence is
     * one replacement, the ASCII around it stays. */
    assert_xml("caf\xE9 au lait", "caf" FFFD " au lait");
    assert_xml("\xE9t\xE9", FFFD "t" FFFD);
}

static void text_keeps_valid_utf8(void **state)
{
    (void)state;
    assert_xml("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
               "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    assert_xml("\xEF\xBF\xBD", "\xEF\xBF\xBD");
    assert_xml("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
    assert_xml("\xED\x9F\xBF", "\xED\x9F\xBF");         /* U+D7FF, before the surrogates */
    assert_xml("\xEE\x80\x80", "\xEE\x80\x80");         /* U+E000, after them */
    /* Valid text around a broken byte keeps every byte. */
    assert_xml("Stra\xC3\x9F" "e \xFF & \xC3\xA9", "Stra\xC3\x9F" "e " FFFD " &amp; \xC3\xA9");
}

static void text_long_runs(void **state)
{
    (void)state;
    /* Long valid runs go out in one piece, a bad byte at either end or in
     * the middle costs only itself. */
    char in[3001], want[3100];
    memset(in, 'a', 3000);
    in[3000] = '\0';
    in[0] = '\x01';
    in[1500] = '&';
    in[2999] = '\xC3';
    snprintf(want, sizeof want, FFFD "%.*s&amp;%.*s" FFFD, 1499, in + 1, 1498, in + 1501);
    assert_xml(in, want);
}

/* ---- attribute values and the quoted text ---- */

static void attr_value_escapes_quotes_and_whitespace(void **state)
{
    (void)state;
    assert_attr("say \"hi\" it's", "say &quot;hi&quot; it&apos;s");
    assert_attr("a\tb\nc\r\nd", "a&#9;b&#10;c&#13;&#10;d");
    assert_attr("a<b>&c", "a&lt;b&gt;&amp;c");
    assert_attr("\x01\xC3", FFFD FFFD);
    assert_attr("caf\xC3\xA9", "caf\xC3\xA9");
}

static void quoted_text_keeps_whitespace(void **state)
{
    (void)state;
    assert_quoted("say \"hi\" it's", "say &quot;hi&quot; it&apos;s");
    assert_quoted("a\tb\nc\rd", "a\tb\nc&#13;d");
    assert_quoted("<&>", "&lt;&amp;&gt;");
    assert_quoted("\x02", FFFD);
}

/* ---- tags ---- */

static void tags(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_xml_decl(&b);
    mp_xml_start(&b, "gpx");
    mp_xml_attr(&b, "version", "1.1");
    mp_xml_attr(&b, "creator", "a \"b\" & <c>");
    mp_xml_start_done(&b);
    mp_xml_start(&b, "wpt");
    mp_xml_attr_num(&b, "lat", 41.87810001, 7);
    mp_xml_attr_num(&b, "lon", -87.6, 7);
    mp_xml_attr_num(&b, "ele", -0.00000001, 7);
    mp_xml_attr_num(&b, "bad", NAN, 7);
    mp_xml_start_empty(&b);
    mp_xml_element(&b, "name", "1. <Pothole>");
    mp_xml_element(&b, "desc", NULL);
    mp_xml_open(&b, "rte");
    mp_xml_empty(&b, "rtept");
    mp_xml_close(&b, "rte");
    mp_xml_close(&b, "gpx");
    expect_buf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<gpx version=\"1.1\" creator=\"a &quot;b&quot; &amp; &lt;c&gt;\">"
                   "<wpt lat=\"41.8781\" lon=\"-87.6\" ele=\"0\" bad=\"\"/>"
                   "<name>1. &lt;Pothole&gt;</name><desc/><rte><rtept/></rte></gpx>");
}

static void bound_marks_failure(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 8);
    mp_xml_text(&b, "<<<<"); /* 16 bytes escaped */
    assert_true(b.failed);
    assert_true(b.over);
    mp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_escapes_markup),
        cmocka_unit_test(text_null_writes_nothing),
        cmocka_unit_test(text_keeps_line_breaks_and_tabs),
        cmocka_unit_test(text_replaces_controls),
        cmocka_unit_test(text_replaces_broken_utf8),
        cmocka_unit_test(text_keeps_valid_utf8),
        cmocka_unit_test(text_long_runs),
        cmocka_unit_test(attr_value_escapes_quotes_and_whitespace),
        cmocka_unit_test(quoted_text_keeps_whitespace),
        cmocka_unit_test(tags),
        cmocka_unit_test(bound_marks_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
