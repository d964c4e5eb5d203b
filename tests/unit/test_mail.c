/* test_mail.c - the message builder (mail.h): quoted-printable within its
 * line limit and reversible, headers as plain folded ASCII or RFC 2047
 * encoded words that never split a character, refused header injection,
 * and a whole message with every line ending in CRLF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/mail.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode quoted-printable (CRLF line breaks become \n) into a new string. */
static char *qp_decode(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    while (*s) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 3;
        } else if (s[0] == '=') {
            assert_true(hexval(s[1]) >= 0 && hexval(s[2]) >= 0);
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 3;
        } else if (s[0] == '\r' && s[1] == '\n') {
            *o++ = '\n';
            s += 2;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

/* Every line of s ends in CRLF (but the last, which may be unterminated)
 * and is at most max characters; no bare CR or LF. */
static void lines_within(const char *s, size_t max)
{
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            assert_int_equal(p[1], '\n');
            p++;
            col = 0;
            continue;
        }
        assert_int_not_equal(*p, '\n');
        col++;
        if (col > max)
            fail_msg("a line longer than %zu: %.80s", max, p - col + 1);
    }
}

static char *qp(const char *in)
{
    struct mp_buf b;
    mp_buf_init(&b, 0);
    mp_mail_qp(&b, in, strlen(in));
    assert_int_equal(mp_buf_status(&b), MP_OK);
    size_t len;
    char *s = mp_buf_steal(&b, &len);
    return s ? s : strdup("");
}

static void test_qp_escapes_and_round_trips(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text", "plain text"},
        {"a=b", "a=3Db"},
        {"trailing space \nnext", "trailing space=20\r\nnext"},
        {"tab\t", "tab=09"},
        {".starts with a dot", "=2Estarts with a dot"},
        {"From me to you", "=46rom me to you"},
        {"Fromage", "Fromage"},
        {"caf\xc3\xa9 \xe2\x80\x93 ok", "caf=C3=A9 =E2=80=93 ok"},
        {"crlf\r\nstays\r\n", "crlf\r\nstays\r\n"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = qp(cases[i].in);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

static void test_qp_lines_within_76(void **state)
{
    (void)state;
    /* Long runs of literals, of escapes (never split by a soft break) and
     * a mix, each line at most 76 and the whole reversible. */
    char in[4096];
    size_t n = 0;
    for (int i = 0; i < 200; i++)
        in[n++] = 'a';
    in[n++] = '\n';
    for (int i = 0; i < 120; i++)
        in[n++] = '=';
    in[n++] = '\n';
    for (int i = 0; i < 90; i++) {
        memcpy(in + n, "\xc3\xa9 ", 3);
        n += 3;
    }
    in[n] = '\0';
    char *out = qp(in);
    lines_within(out, 76);
    char *back = qp_decode(out);
    assert_string_equal(back, in);
    free(back);
    free(out);
}

static void header(const char *name, const char *value, char **out)
{
    struct mp_buf b;
    size_t len;
    mp_buf_init(&b, 0);
    mp_mail_header_text(&b, name, value);
    assert_int_equal(mp_buf_status(&b), MP_OK);
    *out = mp_buf_steal(&b, &len);
}

/* Decode the B encoded words of an unfolded header value. */
static char *words_decode(const char *v)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = calloc(1, strlen(v) + 1), *o = out;
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?"))) {
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        unsigned acc = 0;
        int bits = 0;
        for (; p < end; p++) {
            if (*p == '=')
                break;
            const char *c = strchr(b64, *p);
            assert_non_null(c);
            acc = (acc << 6) | (unsigned)(c - b64);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                *o++ = (char)((acc >> bits) & 0xff);
            }
        }
        /* Each word holds whole characters: it ends on a boundary. */
        *o = '\0';
        p = end + 2;
    }
    return out;
}

static void test_header_plain_and_folded(void **state)
{
    (void)state;
    char *h;
    header("Subject", "Report 12: Acknowledged", &h);
    assert_string_equal(h, "Subject: Report 12: Acknowledged\r\n");
    free(h);
    header("Subject",
           "A long subject that goes on and on about a pothole that nobody has fixed "
           "for weeks and weeks",
           &h);
    lines_within(h, 78);
    assert_non_null(strstr(h, "\r\n "));
    free(h);
    /* Text that looks like an encoded word is encoded itself. */
    header("Subject", "=?UTF-8?B?x?= is not mine", &h);
    assert_non_null(strstr(h, "Subject: =?UTF-8?B?"));
    char *back = words_decode(h);
    assert_string_equal(back, "=?UTF-8?B?x?= is not mine");
    free(back);
    free(h);
}

static void test_header_encoded_words(void **state)
{
    (void)state;
    /* 60 two- and three-byte characters: several words, none splitting one. */
    char value[400] = "Gemeente Chicago \xe2\x80\x93 ";
    for (int i = 0; i < 30; i++)
        strcat(value, "\xc3\xa9\xe2\x82\xac");
    char *h;
    header("From", value, &h);
    lines_within(h, 78);
    /* Each word within 75 and decodable on its own to whole characters. */
    for (const char *w = strstr(h, "=?"); w; w = strstr(w + 2, "=?")) {
        const char *end = strstr(w, "?=");
        assert_true(end - w + 2 <= 75);
        char one[120];
        size_t wl = (size_t)(end - w + 2);
        assert_true(wl < sizeof one);
        memcpy(one, w, wl);
        one[wl] = '\0';
        char *dec = words_decode(one);
        /* No dangling lead byte: the last byte is ASCII or a continuation
         * that completes a sequence. */
        size_t n = strlen(dec);
        assert_true(n > 0);
        unsigned char last = (unsigned char)dec[n - 1];
        assert_true(last < 0x80 || (last & 0xc0) == 0x80);
        free(dec);
        w = end;
    }
    char *back = words_decode(h);
    assert_string_equal(back, value);
    free(back);
    free(h);
    /* Control bytes never go out raw: a CR LF in a subject is encoded. */
    header("Subject", "Hello\r\nBcc: victim@example.org", &h);
    assert_null(strstr(h, "\r\nBcc"));
    free(h);
}

static struct mp_mail sample(void)
{
    return (struct mp_mail){
        .from_name = "City of Chicago \xe2\x80\x93 street reports",
        .from_addr = "meldpunt@city.example",
        .to_addr = "anne@example.org",
        .subject = "Melding 12 is opgelost",
        .text = "Hallo,\n\nHet probleem is opgelost: h\xc3\xa9 =)\n",
        .html = "<p>Hallo, <a href=\"https://reports.example/r/12\">melding 12</a></p>",
        .msg_id = "0123456789abcdef0123456789abcdef@city.example",
        .date = 0,
        .lang = "nl",
        .unsubscribe_url = "https://reports.example/api/v1/notify/unsubscribe?t=mp_abc",
        .event_id = "feedfacefeedfacefeedfacefeedface",
    };
}

static void test_build_a_message(void **state)
{
    (void)state;
    struct mp_mail m = sample();
    struct mp_buf b;
    mp_buf_init(&b, 0);
    assert_int_equal(mp_mail_build(&m, &b), MP_OK);
    const char *s = b.data;
    lines_within(s, 998);
    assert_true(strncmp(s, "From: =?UTF-8?B?", 16) == 0);
    assert_non_null(strstr(s, "\r\n <meldpunt@city.example>\r\nTo: anne@example.org\r\n"));
    assert_non_null(strstr(s, "\r\nSubject: Melding 12 is opgelost\r\n"));
    assert_non_null(strstr(s, "\r\nDate: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
    assert_non_null(
        strstr(s, "\r\nMessage-ID: <0123456789abcdef0123456789abcdef@city.example>\r\n"));
    assert_non_null(strstr(s, "\r\nMIME-Version: 1.0\r\nContent-Language: nl\r\n"));
    assert_non_null(strstr(s, "\r\nAuto-Submitted: auto-generated\r\n"));
    assert_non_null(strstr(s, "\r\nList-Unsubscribe: <https://reports.example/api/v1/notify/"
                              "unsubscribe?t=mp_abc>\r\nList-Unsubscribe-Post: "
                              "List-Unsubscribe=One-Click\r\n"));
    assert_non_null(strstr(s, "\r\nX-Meldpunt-Event: feedfacefeedfacefeedfacefeedface\r\n"));
    assert_non_null(strstr(s, "Content-Type: multipart/alternative;\r\n boundary=\"=_mp_"
                              "0123456789abcdef0123456789abcdef\"\r\n\r\n"));
    const char *text = strstr(s, "--=_mp_0123456789abcdef0123456789abcdef\r\nContent-Type: "
                                 "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
                                 "quoted-printable\r\n\r\nHallo,\r\n\r\nHet probleem is opgelost: "
                                 "h=C3=A9 =3D)\r\n");
    assert_non_null(text);
    const char *html = strstr(text, "--=_mp_0123456789abcdef0123456789abcdef\r\nContent-Type: "
                                    "text/html; charset=utf-8\r\n");
    assert_non_null(html);
    assert_non_null(strstr(html, "<a href=3D\"https://reports.example/r/12\">"));
    size_t len = strlen(s);
    static const char end[] = "--=_mp_0123456789abcdef0123456789abcdef--\r\n";
    assert_string_equal(s + len - strlen(end), end);
    mp_buf_free(&b);
}

static void test_build_refuses_injection(void **state)
{
    (void)state;
    struct mp_buf b;
    mp_buf_init(&b, 0);
    struct mp_mail m = sample();
    m.to_addr = "anne@example.org\r\nBcc: all@example.org";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    m = sample();
    m.to_addr = "Anne <anne@example.org>";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    m = sample();
    m.from_addr = "no-at-sign";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    m = sample();
    m.unsubscribe_url = "https://x.example/u?t=a>\r\nBcc: x@example.org";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    m = sample();
    m.unsubscribe_url = "javascript:alert(1)";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    m = sample();
    m.msg_id = "id with space@city.example";
    assert_int_equal(mp_mail_build(&m, &b), MP_EINVAL);
    assert_int_equal(b.len, 0); /* nothing appended */
    /* Without the optional headers. */
    m = sample();
    m.unsubscribe_url = NULL;
    m.event_id = NULL;
    m.from_name = NULL;
    assert_int_equal(mp_mail_build(&m, &b), MP_OK);
    assert_null(strstr(b.data, "List-Unsubscribe"));
    assert_true(strncmp(b.data, "From: meldpunt@city.example\r\n", 29) == 0);
    mp_buf_free(&b);
    assert_true(mp_mail_addr_ok("a.b+c@sub.example.org"));
    assert_false(mp_mail_addr_ok("a@b"));
    assert_false(mp_mail_addr_ok("a@@b.org"));
    assert_false(mp_mail_addr_ok("a b@c.org"));
    assert_false(mp_mail_addr_ok(""));
}

static void test_date(void **state)
{
    (void)state;
    char d[40];
    mp_mail_date(0, d, sizeof d);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    mp_mail_date(1796214896, d, sizeof d); /* 2026-12-02T12:34:56Z */
    assert_string_equal(d, "Wed, 02 Dec 2026 12:34:56 +0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qp_escapes_and_round_trips),
        cmocka_unit_test(test_qp_lines_within_76),
        cmocka_unit_test(test_header_plain_and_folded),
        cmocka_unit_test(test_header_encoded_words),
        cmocka_unit_test(test_build_a_message),
        cmocka_unit_test(test_build_refuses_injection),
        cmocka_unit_test(test_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
