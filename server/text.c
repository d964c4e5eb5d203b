#include "meldpunt/text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

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

/* ---- Unicode tricks ----
 *
 * Masking matches on a folded copy of the text and replaces spans of the
 * original. Folding is the part of NFKC that matters for contact details,
 * written out rather than taken from a library (libicu or libunistring would
 * bring a large dependency for a dozen ranges):
 *   - fullwidth forms U+FF01-U+FF5E (＠, ０-９, Ａ-ｚ) and the small forms
 *     U+FE52, U+FE59, U+FE5A, U+FE63, U+FE6B (small full stop, parentheses,
 *     hyphen, commercial at) to ASCII;
 *   - compatibility digits: superscript and subscript digits, circled digits
 *     ①-⑨ and ⓪, mathematical digits U+1D7CE-U+1D7FF; mathematical letters
 *     U+1D400-U+1D6A3 to ASCII letters;
 *   - spaces (U+00A0, U+2000-U+200A, U+202F, U+205F, U+3000) to a space,
 *     U+2024 one dot leader to '.';
 * and, beyond NFKC, for matching only: the decimal digits of Arabic-Indic,
 * extended Arabic-Indic and Devanagari; hyphens and dashes U+2010-U+2015 and
 * the minus sign U+2212 to '-'. Invisible characters are dropped: soft
 * hyphen, zero-width space and (non-)joiners, word joiner and invisible
 * operators, byte order mark, combining grapheme joiner, Mongolian vowel
 * separator and the bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069). Then "(at)", "[at]", "{at}", "<at>" and the same with
 * "dot" or Dutch "punt", spaces around them included, fold to '@' and '.'.
 * Every other character stays what it is (as one placeholder, OTHER). */

#define KEEP (-1) /* not folded: the original character stays */
/* In the folded text, any character not folded: DEL, which is no letter,
 * digit, separator or bracket (and never in stored text). */
#define OTHER '\x7f'
#define DROP (-2) /* invisible: nothing */

static bool is_bidi_control(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static int fold_cp(uint32_t cp)
{
    static const uint32_t super[10] = {0x2070, 0x00b9, 0x00b2, 0x00b3, 0x2074,
                                       0x2075, 0x2076, 0x2077, 0x2078, 0x2079};
    if (cp < 0x80)
        return (int)cp;
    if (cp == 0x00ad || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ||
        cp == 0xfeff || cp == 0x034f || cp == 0x180e || cp == 0x061c || is_bidi_control(cp))
        return DROP;
    if (cp >= 0xff01 && cp <= 0xff5e)
        return (int)(cp - 0xfee0);
    switch (cp) {
    case 0xfe52: return '.';
    case 0xfe59: return '(';
    case 0xfe5a: return ')';
    case 0xfe63: return '-';
    case 0xfe6b: return '@';
    case 0x2024: return '.';
    case 0x24ea: return '0';
    default: break;
    }
    if (cp == 0x00a0 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f ||
        cp == 0x3000)
        return ' ';
    if ((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
        return '-';
    for (int d = 0; d < 10; d++)
        if (cp == super[d] || cp == 0x2080 + (uint32_t)d)
            return '0' + d;
    if (cp >= 0x2460 && cp <= 0x2468)
        return '1' + (int)(cp - 0x2460);
    if (cp >= 0x1d7ce && cp <= 0x1d7ff)
        return '0' + (int)((cp - 0x1d7ce) % 10);
    if (cp >= 0x1d400 && cp <= 0x1d6a3) {
        int k = (int)((cp - 0x1d400) % 52);
        return k < 26 ? 'A' + k : 'a' + (k - 26);
    }
    static const uint32_t digit_zero[] = {0x0660, 0x06f0, 0x0966};
    for (size_t z = 0; z < sizeof digit_zero / sizeof *digit_zero; z++)
        if (cp >= digit_zero[z] && cp <= digit_zero[z] + 9)
            return '0' + (int)(cp - digit_zero[z]);
    return KEEP;
}

/* The code point at s (len bytes left) into *cp; its length in bytes, or 1
 * for a byte that does not start a well-formed sequence (*cp = 0xfffd). */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
                             : (s[0] & 0xf8) == 0xf0   ? 4
                                                       : 0;
    uint32_t v = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
    if (n == 0 || n > len) {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[k] & 0x3fu);
    }
    *cp = v;
    return n;
}

/* The folded text: one byte per unit, each with the byte range [start, end)
 * of the original it came from. */
struct folded {
    char *f;             /* NUL-terminated */
    size_t *start, *end; /* n entries each */
    size_t n;
};

static void folded_free(struct folded *fo)
{
    free(fo->f);
    free(fo->start);
    free(fo->end);
}

static void unit(struct folded *fo, char c, size_t start, size_t end)
{
    fo->f[fo->n] = c;
    fo->start[fo->n] = start;
    fo->end[fo->n] = end;
    fo->n++;
}

static bool bracket_open(char c) { return c == '(' || c == '[' || c == '{' || c == '<'; }

static int bracket_close(char c)
{
    return c == '(' ? ')' : c == '[' ? ']' : c == '{' ? '}' : '>';
}

/* At f[i]: spaces, an opening bracket, spaces, "at", "dot" or "punt",
 * spaces, the matching closing bracket, spaces. The folded character ('@'
 * or '.') and the number of units taken, or 0. */
static size_t spelled_at(const char *f, size_t i, char *out)
{
    static const struct {
        const char *word;
        char c;
    } words[] = {{"at", '@'}, {"dot", '.'}, {"punt", '.'}};
    size_t k = i;
    while (f[k] == ' ')
        k++;
    if (!bracket_open(f[k]))
        return 0;
    int close = bracket_close(f[k++]);
    while (f[k] == ' ')
        k++;
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
        size_t wl = strlen(words[w].word), m = k;
        if (strncasecmp(f + k, words[w].word, wl) != 0)
            continue;
        m += wl;
        while (f[m] == ' ')
            m++;
        if (f[m] != close)
            continue;
        m++;
        while (f[m] == ' ')
            m++;
        *out = words[w].c;
        return m - i;
    }
    return 0;
}

static bool fold(const char *s, struct folded *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    struct folded a = {calloc(len + 1, 1), malloc((len + 1) * sizeof(size_t)),
                       malloc((len + 1) * sizeof(size_t)), 0};
    struct folded b = {calloc(len + 1, 1), malloc((len + 1) * sizeof(size_t)),
                       malloc((len + 1) * sizeof(size_t)), 0};
    if (!a.f || !a.start || !a.end || !b.f || !b.start || !b.end) {
        folded_free(&a);
        folded_free(&b);
        return false;
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = decode(u + i, len - i, &cp);
        int c = fold_cp(cp);
        if (c != DROP)
            unit(&a, (char)(c == KEEP ? OTHER : c), i, i + n);
        i += n;
    }
    a.f[a.n] = '\0';
    /* Spelled-out "@" and "." */
    for (size_t i = 0; i < a.n;) {
        char c;
        size_t n = a.f[i] == ' ' || bracket_open(a.f[i]) ? spelled_at(a.f, i, &c) : 0;
        if (n) {
            unit(&b, c, a.start[i], a.end[i + n - 1]);
            i += n;
        } else {
            unit(&b, a.f[i], a.start[i], a.end[i]);
            i++;
        }
    }
    b.f[b.n] = '\0';
    folded_free(&a);
    *out = b;
    return true;
}

/* ---- finding contacts in the folded text ---- */

struct span {
    size_t a, b; /* folded units [a, b) */
};

struct spans {
    struct span *v;
    size_t n;
};

/* E-mail addresses in f (n units) into sp (room for n / 3 + 1), and fill
 * them with '#' so that the phone pass sees no digits in them (as it saw
 * "[hidden]" when the passes ran one after the other on the text). */
static void find_emails(char *f, size_t n, struct spans *sp)
{
    size_t plain_from = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i] != '@')
            continue;
        size_t start, len = email_span(f, i, &start);
        /* A local part reaching back into an address already found starts
         * where the plain text starts. */
        if (len && start < plain_from) {
            len -= plain_from - start;
            start = plain_from;
        }
        if (len && start < i) {
            sp->v[sp->n++] = (struct span){start, start + len};
            plain_from = start + len;
            i = plain_from - 1;
        }
    }
    for (size_t k = 0; k < sp->n; k++)
        memset(f + sp->v[k].a, '#', sp->v[k].b - sp->v[k].a);
}

/* Phone numbers start where a word does not: in the folded text, and also in
 * the original, so that folding never masks less than the plain text shows
 * ("M1234567" with a mathematical M, or "A<zero-width space>1234567", still
 * look like a number standing on its own to a reader of the bytes). */
static void find_phones(const char *s, const struct folded *fo, struct spans *sp)
{
    const char *f = fo->f;
    size_t n = fo->n;
    for (size_t i = 0; i < n;) {
        size_t at = fo->start[i];
        bool boundary = i == 0 || !isalnum((unsigned char)f[i - 1]) || at == 0 ||
                        !isalnum((unsigned char)s[at - 1]);
        if (boundary && (isdigit((unsigned char)f[i]) || f[i] == '+' || f[i] == '(')) {
            size_t len = phone_span(f + i);
            if (len) {
                sp->v[sp->n++] = (struct span){i, i + len};
                i += len;
                continue;
            }
        }
        i++;
    }
}

static int by_start(const void *x, const void *y)
{
    const struct span *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a;
}

/* Copy the code point at src (left bytes remain) to out + *o unless it is a
 * bidi control; its length in bytes. out may be src's own string (in place,
 * *o never ahead of src). */
static size_t keep_unless_bidi(char *out, size_t *o, const char *src, size_t left)
{
    uint32_t cp;
    size_t n = decode((const unsigned char *)src, left, &cp);
    if (!is_bidi_control(cp)) {
        memmove(out + *o, src, n);
        *o += n;
    }
    return n;
}

char *mp_text_mask_contacts(const char *s)
{
    static const char mask[] = "[hidden]";
    struct folded fo = {NULL, NULL, NULL, 0};
    struct spans sp = {NULL, 0};
    char *out = NULL;
    if (!fold(s, &fo))
        return NULL;
    /* Every address takes 3+ units and every phone number 7+. */
    sp.v = malloc((fo.n / 3 + 2) * sizeof *sp.v);
    if (!sp.v)
        goto out;
    /* Addresses first, so that digits in an address are not half-masked as
     * a phone number. */
    find_emails(fo.f, fo.n, &sp);
    find_phones(s, &fo, &sp);
    qsort(sp.v, sp.n, sizeof *sp.v, by_start);
    size_t len = strlen(s);
    out = malloc(len + sp.n * (sizeof mask - 1) + 1);
    if (!out)
        goto out;
    /* The original text with each span replaced and bidi controls dropped. */
    size_t o = 0, k = 0;
    for (size_t i = 0; i < len;) {
        if (k < sp.n && i >= fo.start[sp.v[k].a]) {
            memcpy(out + o, mask, sizeof mask - 1);
            o += sizeof mask - 1;
            i = fo.end[sp.v[k].b - 1];
            k++;
            continue;
        }
        i += keep_unless_bidi(out, &o, s + i, len - i);
    }
    out[o] = '\0';
out:
    free(sp.v);
    folded_free(&fo);
    return out;
}

size_t mp_text_strip_bidi(char *s)
{
    size_t len = strlen(s), o = 0;
    for (size_t i = 0; i < len;)
        i += keep_unless_bidi(s, &o, s + i, len - i);
    s[o] = '\0';
    return o;
}

bool mp_text_may_have_contacts(const char *s)
{
    unsigned digits = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* '@', anything outside ASCII (fullwidth forms, invisible
         * characters), or a bracket that may open a spelled "(at)". */
        if (*p == '@' || *p >= 0x80 || bracket_open((char)*p))
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

/* Mask every string of v, at any depth; whether one changed. */
static bool mask_json_value(json_t *v, bool *nomem)
{
    bool changed = false;
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, key, x) changed |= mask_json_value(x, nomem);
        return changed;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) changed |= mask_json_value(x, nomem);
        return changed;
    }
    const char *text = json_string_value(v);
    if (!text || !mp_text_may_have_contacts(text))
        return false;
    char *m = mp_text_mask_contacts(text);
    if (!m)
        *nomem = true;
    else if (strcmp(m, text) != 0) {
        if (json_string_set(v, m) != 0)
            *nomem = true;
        else
            changed = true;
    }
    free(m);
    return changed;
}

char *mp_text_mask_json(const char *json, bool *nomem)
{
    json_t *v = json_loads(json, 0, NULL);
    char *out = NULL;
    if (v && mask_json_value(v, nomem) && !*nomem &&
        !(out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        *nomem = true;
    json_decref(v);
    return out;
}
