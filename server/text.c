#include "meldpunt/text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

long mp_utf8_chars(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    long chars = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                return -1;
            i++;
            chars++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07;
        } else {
            return -1;
        }
        if (i + n > len)
            return -1;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Reject overlong forms, surrogates and out-of-range code points. */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
            return -1; /* overlong, surrogate, out of range, or a C1 control */
        i += n;
        chars++;
    }
    return chars;
}

bool mp_text_email_ok(const char *s)
{
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len < 3 || len > 254 || !at || at == s || strchr(at + 1, '@'))
        return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || dot[1] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20 || *p == '<' || *p == '>')
            return false;
    return true;
}

bool mp_text_phone_ok(const char *s)
{
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr("+ .-()/", *p))
            return false;
    }
    return digits >= 6 && digits <= 20;
}

static bool email_char(char c)
{
    return isalnum((unsigned char)c) || strchr("._%+-", c);
}

/* Length of an e-mail address starting at s[i] whose @ is at s[at], or 0. */
static size_t email_span(const char *s, size_t at, size_t *start)
{
    size_t b = at, e = at + 1;
    while (b > 0 && email_char(s[b - 1]))
        b--;
    bool dot = false;
    while (s[e] && (isalnum((unsigned char)s[e]) || s[e] == '-' || s[e] == '.')) {
        if (s[e] == '.' && s[e + 1] && isalnum((unsigned char)s[e + 1]))
            dot = true;
        e++;
    }
    while (e > at + 1 && s[e - 1] == '.')
        e--;
    if (b == at || !dot)
        return 0;
    *start = b;
    return e - b;
}

/* Whether s starts with a calendar date (YYYY-MM-DD, DD-MM-YYYY, with -, /
 * or . as separator): digits in a date are not a phone number. */
static bool date_at(const char *s)
{
    static const char *const shapes[] = {"dddd#dd#dd", "dd#dd#dddd"};
    for (size_t k = 0; k < 2; k++) {
        const char *sh = shapes[k];
        char sep = 0;
        size_t i = 0;
        for (; sh[i]; i++) {
            if (sh[i] == 'd' && !isdigit((unsigned char)s[i]))
                break;
            if (sh[i] == '#') {
                if (!s[i] || !strchr("-/.", s[i]) || (sep && s[i] != sep))
                    break;
                sep = s[i];
            }
        }
        if (!sh[i] && !isdigit((unsigned char)s[i]))
            return true;
    }
    return false;
}

/* Length of a phone-number-like run starting at s: 7 or more digits, joined
 * by short runs of separators (space . - / parentheses), optionally after a
 * +; 0 when it is not one. There is no upper bound on the digits: a list of
 * numbers written in a row is masked whole rather than left readable. */
static size_t phone_span(const char *s)
{
    size_t i = 0, digits = 0, last = 0;
    if (date_at(s))
        return 0;
    if (s[0] == '+')
        i++;
    while (s[i]) {
        if (isdigit((unsigned char)s[i])) {
            digits++;
            last = ++i;
            continue;
        }
        size_t j = i;
        while (s[j] && strchr(" .-/()", s[j]) && j - i < 3)
            j++;
        if (j == i || !isdigit((unsigned char)s[j]) || date_at(s + j))
            break;
        i = j;
    }
    return digits >= 7 ? last : 0;
}

/* One pass: e-mail addresses (emails = true) or phone numbers. Output is
 * at most 3 times the input (an address of 3+ bytes or a run of 7+ becomes
 * the 8-byte mask). */
static char *mask_pass(const char *s, bool emails)
{
    static const char mask[] = "[hidden]";
    size_t len = strlen(s);
    char *out = malloc(len * 3 + sizeof mask + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0, plain_from = 0; /* input copied 1:1 since plain_from */
    while (i < len) {
        if (emails && s[i] == '@') {
            size_t start, n = email_span(s, i, &start);
            /* A local part reaching back into text already masked starts
             * where the plain text starts. */
            if (n && start < plain_from) {
                n -= plain_from - start;
                start = plain_from;
            }
            if (n && start < i) {
                o -= i - start; /* drop the local part already copied */
                memcpy(out + o, mask, sizeof mask - 1);
                o += sizeof mask - 1;
                i = plain_from = start + n;
                continue;
            }
        }
        bool boundary = i == 0 || !isalnum((unsigned char)s[i - 1]);
        if (!emails && boundary &&
            (isdigit((unsigned char)s[i]) || s[i] == '+' || s[i] == '(')) {
            size_t n = phone_span(s + i);
            if (n) {
                memcpy(out + o, mask, sizeof mask - 1);
                o += sizeof mask - 1;
                i = plain_from = i + n;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}

char *mp_text_mask_contacts(const char *s)
{
    /* Addresses first, so that digits in an address are not half-masked as
     * a phone number. */
    char *a = mask_pass(s, true);
    if (!a)
        return NULL;
    char *b = mask_pass(a, false);
    free(a);
    return b;
}

bool mp_text_may_have_contacts(const char *s)
{
    unsigned digits = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '@')
            return true;
        if (*p >= '0' && *p <= '9')
            digits++;
    }
    return digits >= 7;
}

void mp_text_copy(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}
