/* test_text.c - UTF-8 validation and length, e-mail and phone checks, and
 * masking of contact details typed into public text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/text.h"

static long chars(const char *s) { return mp_utf8_chars(s, strlen(s)); }

static void expect_mask(const char *in, const char *want)
{
    char *out = mp_text_mask_contacts(in);
    assert_non_null(out);
    bool same = strcmp(out, want) == 0, fresh = out != in;
    if (!same)
        print_error("mask \"%s\"\n  got  \"%s\"\n  want \"%s\"\n", in, out, want);
    free(out); /* before asserting, so that a failure leaks nothing */
    assert_true(same);
    assert_true(fresh); /* always a new string */
}

/* ---- UTF-8 ---- */

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_int_equal(chars(""), 0);
    assert_int_equal(chars("abc"), 3);
    assert_int_equal(chars("caf\xc3\xa9"), 4);                 /* é: 2 bytes */
    assert_int_equal(chars("\xe2\x82\xac"), 1);                /* €: 3 bytes */
    assert_int_equal(chars("\xf0\x9f\x98\x80"), 1);            /* 😀: 4 bytes */
    assert_int_equal(chars("a\tb\r\nc"), 6);                   /* tab, CR, LF allowed */
    assert_int_equal(chars("\xc2\xa0"), 1);                    /* first 2-byte after the C1 controls */
    assert_int_equal(chars("\xdf\xbf"), 1);                    /* largest 2-byte */
    assert_int_equal(chars("\xe0\xa0\x80"), 1);                /* smallest 3-byte */
    assert_int_equal(chars("\xed\x9f\xbf"), 1);                /* U+D7FF, below surrogates */
    assert_int_equal(chars("\xee\x80\x80"), 1);                /* U+E000, above them */
    assert_int_equal(chars("\xef\xbf\xbd"), 1);                /* U+FFFD */
    assert_int_equal(chars("\xf0\x90\x80\x80"), 1);            /* U+10000 */
    assert_int_equal(chars("\xf4\x8f\xbf\xbf"), 1);            /* U+10FFFF, the last */
    /* Only len bytes count. */
    assert_int_equal(mp_utf8_chars("abcdef", 2), 2);
    assert_int_equal(mp_utf8_chars("\xc3\xa9x", 2), 1);
}

static void test_utf8_length_in_code_points(void **state)
{
    (void)state;
    /* 2000 x "é" is 4000 bytes but 2000 characters. */
    char s[4001];
    for (int i = 0; i < 2000; i++) {
        s[2 * i] = '\xc3';
        s[2 * i + 1] = '\xa9';
    }
    s[4000] = '\0';
    assert_int_equal(mp_utf8_chars(s, 4000), 2000);
}

static void test_utf8_overlong(void **state)
{
    (void)state;
    assert_int_equal(chars("\xc0\xaf"), -1);         /* "/" in 2 bytes */
    assert_int_equal(chars("\xc1\xbf"), -1);
    assert_int_equal(chars("\xc0\x80"), -1);         /* NUL in 2 bytes (modified UTF-8) */
    assert_int_equal(chars("\xe0\x80\xaf"), -1);     /* "/" in 3 bytes */
    assert_int_equal(chars("\xe0\x9f\xbf"), -1);     /* U+07FF in 3 bytes */
    assert_int_equal(chars("\xf0\x80\x80\xaf"), -1); /* "/" in 4 bytes */
    assert_int_equal(chars("\xf0\x8f\xbf\xbf"), -1); /* U+FFFF in 4 bytes */
}

static void test_utf8_surrogates_and_range(void **state)
{
    (void)state;
    assert_int_equal(chars("\xed\xa0\x80"), -1); /* U+D800 */
    assert_int_equal(chars("\xed\xbf\xbf"), -1); /* U+DFFF */
    assert_int_equal(chars("\xed\xa0\xbd\xed\xb8\x80"), -1); /* CESU-8 pair */
    assert_int_equal(chars("\xf4\x90\x80\x80"), -1); /* U+110000 */
    assert_int_equal(chars("\xf7\xbf\xbf\xbf"), -1);
    assert_int_equal(chars("\xf8\x88\x80\x80\x80"), -1); /* 5-byte form */
    assert_int_equal(chars("\xfc\x84\x80\x80\x80\x80"), -1);
    assert_int_equal(chars("\xfe"), -1);
    assert_int_equal(chars("\xff"), -1);
}

static void test_utf8_truncated_and_stray(void **state)
{
    (void)state;
    assert_int_equal(chars("\xc3"), -1);
    assert_int_equal(chars("abc\xc3"), -1);
    assert_int_equal(chars("\xe2\x82"), -1);
    assert_int_equal(chars("\xf0\x9f\x98"), -1);
    assert_int_equal(mp_utf8_chars("\xe2\x82\xac", 2), -1); /* cut by len */
    assert_int_equal(chars("\x80"), -1);                    /* lone continuation */
    assert_int_equal(chars("a\xbf" "b"), -1);
    assert_int_equal(chars("\xc3" "a"), -1);                /* lead + ASCII */
    assert_int_equal(chars("\xe2\x28\xa1"), -1);
    assert_int_equal(chars("\xe9t\xe9"), -1);               /* Latin-1 "été" */
}

static void test_utf8_control_chars(void **state)
{
    (void)state;
    assert_int_equal(mp_utf8_chars("a\0b", 3), -1); /* NUL */
    assert_int_equal(chars("\x01"), -1);
    assert_int_equal(chars("bell\x07"), -1);
    assert_int_equal(chars("\x1b[31mred"), -1);      /* terminal escape */
    assert_int_equal(chars("\x1f"), -1);
    assert_int_equal(chars("\x7f"), -1);             /* DEL */
    assert_int_equal(chars("\x0b"), -1);             /* vertical tab */
    assert_int_equal(chars("\x0c"), -1);             /* form feed */
}

static void test_utf8_c1_controls(void **state)
{
    (void)state;
    /* U+0080..U+009F are control characters too (Unicode category Cc),
     * e.g. NEL U+0085 and CSI U+009B, which some terminals honour. */
    assert_int_equal(chars("\xc2\x85"), -1);
    assert_int_equal(chars("a\xc2\x9b" "31m"), -1);
    assert_int_equal(chars("\xc2\xa0"), 1); /* U+00A0 no-break space is fine */
}

/* ---- e-mail and phone ---- */

static void test_email_ok(void **state)
{
    (void)state;
    assert_true(mp_text_email_ok("a.b@c.org"));
    assert_true(mp_text_email_ok("jan.de.vries+meldpunt@gemeente.example.nl"));
    assert_true(mp_text_email_ok("x@y.io"));
    assert_true(mp_text_email_ok("o'brien@chicago.gov"));
    assert_false(mp_text_email_ok(""));
    assert_false(mp_text_email_ok("a.b.c.org"));
    assert_false(mp_text_email_ok("@c.org"));
    assert_false(mp_text_email_ok("a@"));
    assert_false(mp_text_email_ok("a@b"));
    assert_false(mp_text_email_ok("a@@b.org"));
    assert_false(mp_text_email_ok("a@b@c.org"));
    assert_false(mp_text_email_ok("a b@c.org"));
    assert_false(mp_text_email_ok("ab@c.org "));
    assert_false(mp_text_email_ok("ab@c.org\n"));
    assert_false(mp_text_email_ok("a@.org"));
    assert_false(mp_text_email_ok("a@b.org."));
    assert_false(mp_text_email_ok("<a@b.org>"));
    assert_false(mp_text_email_ok("a\t@b.org"));
    /* 254 bytes at most. */
    char big[300];
    memset(big, 'a', sizeof big);
    memcpy(big + 254 - 8, "@abc.org", 9); /* total 254 */
    assert_int_equal(strlen(big), 254);
    assert_true(mp_text_email_ok(big));
    memset(big, 'a', sizeof big);
    memcpy(big + 255 - 8, "@abc.org", 9); /* total 255 */
    assert_false(mp_text_email_ok(big));
}

static void test_phone_ok(void **state)
{
    (void)state;
    assert_true(mp_text_phone_ok("312-555-1234"));
    assert_true(mp_text_phone_ok("(312) 555-1234"));
    assert_true(mp_text_phone_ok("+1 312 555 1234"));
    assert_true(mp_text_phone_ok("+32 470 12 34 56"));
    assert_true(mp_text_phone_ok("312.555.1234"));
    assert_true(mp_text_phone_ok("123456"));               /* 6 digits: the minimum */
    assert_true(mp_text_phone_ok("12345678901234567890")); /* 20: the maximum */
    assert_false(mp_text_phone_ok("12345"));
    assert_false(mp_text_phone_ok("123456789012345678901"));
    assert_false(mp_text_phone_ok(""));
    assert_false(mp_text_phone_ok("+-() ."));
    assert_false(mp_text_phone_ok("312-555-CALL"));
    assert_false(mp_text_phone_ok("312 555 1234 ext"));
    assert_false(mp_text_phone_ok("312#555#1234"));
    assert_false(mp_text_phone_ok("a.b@c.org"));
}

/* ---- masking ---- */

static void test_mask_phone(void **state)
{
    (void)state;
    expect_mask("call 312-555-1234", "call [hidden]");
    expect_mask("call 312-555-1234 tonight", "call [hidden] tonight");
    expect_mask("call 312-555-1234.", "call [hidden].");
    expect_mask("+32 470 12 34 56", "[hidden]");
    expect_mask("bel +32 470 12 34 56 aub", "bel [hidden] aub");
    expect_mask("(312) 555-1234", "[hidden]");
    expect_mask("tel:3125551234", "tel:[hidden]");
    expect_mask("555 1234", "[hidden]"); /* 7 digits */
    expect_mask("312.555.1234, or 773-555-0000",
                "[hidden], or [hidden]");
}

static void test_mask_email(void **state)
{
    (void)state;
    expect_mask("mail a.b@c.org", "mail [hidden]");
    expect_mask("mail a.b@c.org.", "mail [hidden].");
    expect_mask("<jan.de.vries+x@gemeente.example.nl>", "<[hidden]>");
    expect_mask("a@b.org and c@d.org", "[hidden] and [hidden]");
    expect_mask("caf\xc3\xa9 a.b@c.org", "caf\xc3\xa9 [hidden]");
    expect_mask("mail a.b@c.org or call 312-555-1234", "mail [hidden] or call [hidden]");
}

static void test_mask_leaves_other_text(void **state)
{
    (void)state;
    expect_mask("", "");
    expect_mask("Big pothole in front of the school", "Big pothole in front of the school");
    expect_mask("Since 2021 the light at 1600 W 87th St is out",
                "Since 2021 the light at 1600 W 87th St is out");
    expect_mask("2021", "2021");
    expect_mask("3 holes, 12 m apart, 40 cm deep", "3 holes, 12 m apart, 40 cm deep");
    expect_mask("lamp 123456 is out", "lamp 123456 is out"); /* 6 digits: a pole number */
    expect_mask("ID12345678", "ID12345678");             /* digits glued to a word */
    expect_mask("@home", "@home");
    expect_mask("user@localhost", "user@localhost");      /* no dot in the domain */
    expect_mask("a @ b.org", "a @ b.org");
    expect_mask("caf\xc3\xa9 \xe2\x82\xac 5", "caf\xc3\xa9 \xe2\x82\xac 5");
}

/* The readers' shortcut: when it says "no contacts", masking must indeed
 * leave the text as it is. */
static void test_may_have_contacts(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "", "Big pothole", "10252 S KOSTNER AVE", "lamp 123456 is out", "call 555 1234",
        "3125550100", "+31 6 1234 5678", "mail a@b.org", "@home", "user@localhost",
        "1 2 3 4 5 6 7", "2021-05-06", "ID12345678",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char *m = mp_text_mask_contacts(texts[i]);
        assert_non_null(m);
        if (!mp_text_may_have_contacts(texts[i]))
            assert_string_equal(m, texts[i]);
        free(m);
    }
    assert_false(mp_text_may_have_contacts("10252 S KOSTNER AVE"));
    assert_false(mp_text_may_have_contacts("lamp 123456 is out"));
    assert_true(mp_text_may_have_contacts("call 555 1234"));
    assert_true(mp_text_may_have_contacts("@home"));
}

static void test_mask_list_of_numbers(void **state)
{
    (void)state;
    /* Three numbers separated by spaces make one run of 30 digits; too long
     * for one phone number, but every digit of it is still contact data and
     * none of the numbers may come out. */
    const char *in = "numbers: 312 555 1234 773 555 9876 872 555 0000";
    char *out = mp_text_mask_contacts(in);
    assert_non_null(out);
    bool leaked = strstr(out, "555") != NULL, kept = strncmp(out, "numbers: ", 9) == 0;
    if (leaked)
        print_error("leaked: \"%s\"\n", out);
    free(out);
    assert_false(leaked);
    assert_true(kept);
}

static void test_mask_long_input(void **state)
{
    (void)state;
    /* Many short phone-like runs: the output grows (8-byte mask for 7
     * digits) and must stay inside its allocation (ASan checks). */
    size_t n = 2000;
    char *in = malloc(n * 10 + 1);
    char *want = malloc(n * 11 + 1);
    assert_non_null(in);
    assert_non_null(want);
    size_t o = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(in + o, "5551234 x ", 10);
        o += 10;
        memcpy(want + w, "[hidden] x ", 11);
        w += 11;
    }
    in[o] = '\0';
    want[w] = '\0';
    expect_mask(in, want);
    /* Many minimal addresses: 5 bytes to 8. */
    o = w = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(in + o, "a@b.c ", 6);
        o += 6;
        memcpy(want + w, "[hidden] ", 9);
        w += 9;
    }
    in[o] = '\0';
    want[w] = '\0';
    expect_mask(in, want);
    free(in);
    free(want);
}

/* ---- Unicode tricks (issue 19) ---- */

static void test_mask_fullwidth_and_compatibility_forms(void **state)
{
    (void)state;
    expect_mask("jan\xef\xbc\xa0" "example.org", "[hidden]");           /* fullwidth @ */
    expect_mask("jan\xef\xb9\xab" "example\xef\xb9\x92" "org", "[hidden]"); /* small @ and . */
    expect_mask("\xef\xbd\x8a\xef\xbd\x81\xef\xbd\x8e@\xef\xbd\x85x.org", "[hidden]");
    /* Fullwidth digits and plus; the fullwidth words around them stay as they were. */
    expect_mask("\xef\xbc\xa3\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x8c "
                "\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90 \xef\xbc\x91\xef\xbc\x92"
                "\xef\xbc\x93 \xef\xbc\x94\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97",
                "\xef\xbc\xa3\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x8c [hidden]");
    expect_mask("bel \xef\xbc\x8b\xef\xbc\x93\xef\xbc\x91 6 1234 5678", "bel [hidden]");
    /* Arabic-Indic, superscript, mathematical and circled digits. */
    expect_mask("\xd9\xa0\xd9\xa6\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6"
                "\xd9\xa7\xd9\xa8",
                "[hidden]");
    expect_mask("tel \xc2\xb3\xc2\xb9\xc2\xb2 555 1234", "tel [hidden]");
    expect_mask("\xf0\x9d\x9f\x91\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x90 555 1234", "[hidden]");
    expect_mask("\xe2\x91\xa2\xe2\x91\xa0\xe2\x91\xa1 555 1234", "[hidden]");
    /* Mathematical bold letters around an ordinary @. */
    expect_mask("\xf0\x9d\x90\xa3\xf0\x9d\x90\x9a\xf0\x9d\x90\xa7@x.org", "[hidden]");
}

static void test_mask_invisible_characters(void **state)
{
    (void)state;
    expect_mask("ja\xe2\x80\x8bn@exa\xe2\x80\x8bmple.org", "[hidden]");   /* zero-width space */
    expect_mask("mail jan\xe2\x80\x8b@example.org now", "mail [hidden] now");
    expect_mask("jan@example\xc2\xad.org", "[hidden]");                      /* soft hyphen */
    expect_mask("312\xc2\xad" "555\xe2\x81\xa0" "1234", "[hidden]");       /* word joiner */
    expect_mask("jan\xef\xbb\xbf@example.org", "[hidden]");                  /* BOM */
    expect_mask("31\xe2\x80\x8d" "2-555-12\xe2\x80\x8c" "34", "[hidden]");  /* ZWJ, ZWNJ */
    expect_mask("555\xc2\xa0" "1234", "[hidden]");                            /* no-break space */
    expect_mask("555\xe2\x80\x91" "1234 and 555\xe2\x88\x92" "1234", "[hidden] and [hidden]");
    /* Folding never masks less than the bytes show: digits after an invisible
     * character or a mathematical letter stand on their own to a reader. */
    expect_mask("A\xe2\x80\x8b" "1234567", "A\xe2\x80\x8b[hidden]");
    expect_mask("\xf0\x9d\x91\x80" "1234567", "\xf0\x9d\x91\x80[hidden]");
    expect_mask("ID1234567", "ID1234567");
}

static void test_mask_spelled_at_and_dot(void **state)
{
    (void)state;
    expect_mask("mail jan (at) example (dot) org please", "mail [hidden] please");
    expect_mask("jan[at]example[dot]org", "[hidden]");
    expect_mask("Jan(AT)Example(Dot)org", "[hidden]");
    expect_mask("jan {at} example.org", "[hidden]");
    expect_mask("jan <at> gemeente (punt) nl", "[hidden]");
    expect_mask("jan \xef\xbc\x88" "at\xef\xbc\x89 example.org", "[hidden]"); /* fullwidth ( ) */
    /* Brackets that spell nothing, or an "at" without an address, stay. */
    expect_mask("hole (at the corner) of Main St.", "hole (at the corner) of Main St.");
    expect_mask("meet me (at) home", "meet me (at) home");
    expect_mask("(3 holes) [see photo]", "(3 holes) [see photo]");
}

static void test_mask_strips_bidi_controls(void **state)
{
    (void)state;
    /* U+202E would show "gro.elpmaxe@naj" reversed; it is left out. */
    expect_mask("deep hole \xe2\x80\xae" "evil", "deep hole evil");
    expect_mask("a\xe2\x80\xaa" "b\xe2\x81\xa6" "c\xe2\x81\xa9" "d", "abcd");
    expect_mask("jan\xe2\x80\xae@example.org", "[hidden]");
    /* Other non-ASCII text is kept byte for byte. */
    expect_mask("caf\xc3\xa9 \xef\xac\x81 \xe2\x91\xa0 \xe2\x80\x8b!",
                "caf\xc3\xa9 \xef\xac\x81 \xe2\x91\xa0 \xe2\x80\x8b!");
    /* Bytes that are not UTF-8 (old data) pass through and do not derail. */
    expect_mask("\xff a@b.org \xc3", "\xff [hidden] \xc3");

    char s[] = "\xe2\x80\xaa" "left\xe2\x80\xae" "right\xe2\x81\xa9 caf\xc3\xa9";
    assert_int_equal(mp_text_strip_bidi(s), strlen("leftright caf\xc3\xa9"));
    assert_string_equal(s, "leftright caf\xc3\xa9");
    char plain[] = "no controls \xe2\x80\x8b here";
    assert_int_equal(mp_text_strip_bidi(plain), strlen("no controls \xe2\x80\x8b here"));
}

/* The shortcut must send every trick above to the masker. */
static void test_may_have_contacts_unicode(void **state)
{
    (void)state;
    assert_true(mp_text_may_have_contacts("jan\xef\xbc\xa0" "example.org"));
    assert_true(mp_text_may_have_contacts("\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90"));
    assert_true(mp_text_may_have_contacts("jan (at) example (dot) org"));
    assert_true(mp_text_may_have_contacts("hole \xe2\x80\xae"));
    assert_false(mp_text_may_have_contacts("Deep hole, right lane"));
}

/* Stored attribute answers (JSON): every string masked at any depth, names,
 * numbers and the members' order kept; NULL when nothing changes. */
static void test_mask_json(void **state)
{
    (void)state;
    bool nomem = false;
    char *m = mp_text_mask_json(
        "{\"b call\":\"call 312-555-0147\",\"a\":{\"x\":[1,\"mail a.b@example.org\","
        "{\"y\":\"ok\"}]},\"n\":2.5,\"t\":true}",
        &nomem);
    assert_false(nomem);
    assert_non_null(m);
    assert_string_equal(
        m, "{\"b call\":\"call [hidden]\",\"a\":{\"x\":[1,\"mail [hidden]\",{\"y\":\"ok\"}]},"
           "\"n\":2.5,\"t\":true}");
    free(m);
    assert_null(mp_text_mask_json("{\"a\":[\"pole 17\",{\"b\":\"out\"}]}", &nomem));
    assert_null(mp_text_mask_json("not json 312-555-0147", &nomem));
    assert_false(nomem);
    m = mp_text_mask_json("[[\"x 312-555-0147\"]]", &nomem);
    assert_string_equal(m, "[[\"x [hidden]\"]]");
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_length_in_code_points),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates_and_range),
        cmocka_unit_test(test_utf8_truncated_and_stray),
        cmocka_unit_test(test_utf8_control_chars),
        cmocka_unit_test(test_utf8_c1_controls),
        cmocka_unit_test(test_email_ok),
        cmocka_unit_test(test_phone_ok),
        cmocka_unit_test(test_mask_phone),
        cmocka_unit_test(test_mask_email),
        cmocka_unit_test(test_mask_leaves_other_text),
        cmocka_unit_test(test_mask_list_of_numbers),
        cmocka_unit_test(test_mask_long_input),
        cmocka_unit_test(test_may_have_contacts),
        cmocka_unit_test(test_mask_fullwidth_and_compatibility_forms),
        cmocka_unit_test(test_mask_invisible_characters),
        cmocka_unit_test(test_mask_spelled_at_and_dot),
        cmocka_unit_test(test_mask_strips_bidi_controls),
        cmocka_unit_test(test_may_have_contacts_unicode),
        cmocka_unit_test(test_mask_json),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
