#include "meldpunt/address.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* An address is short: longer text is cut, and words past the cut are
 * dropped (a cut street key finds nothing, which is the safe answer). */
#define TEXT_MAX 256
#define MAX_TOKENS 24
#define DIGITS_MAX 7

struct tok {
    const char *s;
    size_t len;
};

/* Canonical spellings of street-type words and directions: the street
 * layer and people disagree on them more than on anything else. */
static const char *canonical(const char *w)
{
    static const char *const map[][2] = {
        {"STREET", "ST"},       {"STR", "ST"},     {"AVENUE", "AVE"},   {"AV", "AVE"},
        {"BOULEVARD", "BLVD"},  {"BVD", "BLVD"},   {"ROAD", "RD"},      {"DRIVE", "DR"},
        {"PLACE", "PL"},        {"COURT", "CT"},   {"PARKWAY", "PKWY"}, {"TERRACE", "TER"},
        {"LANE", "LN"},         {"HIGHWAY", "HWY"}, {"EXPRESSWAY", "EXPY"}, {"SQUARE", "SQ"},
        {"CIRCLE", "CIR"},      {"NORTH", "N"},    {"SOUTH", "S"},      {"EAST", "E"},
        {"WEST", "W"},
    };
    /* Most words match none: compare the first letter before the rest. */
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (map[i][0][0] == w[0] && strcmp(w, map[i][0]) == 0)
            return map[i][1];
    return w;
}

/* Upper-case one word into out (cap bytes): ASCII letters, and the Latin-1
 * lower-case letters as UTF-8 (U+00E0..U+00FE but U+00F7), so that
 * "Église" and "ÉGLISE" key alike. A trailing '.' is dropped. Returns the
 * length, or 0 when it does not fit. */
static size_t upper_word(const struct tok *t, char *out, size_t cap)
{
    size_t n = t->len;
    while (n && t->s[n - 1] == '.')
        n--;
    if (n == 0 || n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c == 0xC3 && i + 1 < n) {
            unsigned char d = (unsigned char)t->s[i + 1];
            out[i] = (char)c;
            out[i + 1] = (char)(d >= 0xA0 && d <= 0xBE && d != 0xB7 ? d - 0x20 : d);
            i++;
            continue;
        }
        out[i] = (char)toupper(c);
    }
    out[n] = '\0';
    return n;
}

/* Append one street word to the key being built; false when it does not fit. */
static bool key_add(char *key, size_t cap, size_t *len, const struct tok *t)
{
    char w[64];
    size_t n = upper_word(t, w, sizeof w);
    if (n == 0)
        return t->len > 0 && strspn(t->s, ".") == t->len; /* "." alone: nothing to add */
    /* Dutch "Kerkstr." is Kerkstraat; "STR" alone is a type word (ST). */
    if (n > 3 && strcmp(w + n - 3, "STR") == 0 && n + 3 < sizeof w) {
        memcpy(w + n, "AAT", 4);
        n += 3;
    }
    const char *c = canonical(w);
    size_t cl = strlen(c);
    if (*len + (*len ? 1 : 0) + cl >= cap)
        return false;
    if (*len)
        key[(*len)++] = ' ';
    memcpy(key + *len, c, cl + 1);
    *len += cl;
    return true;
}

static bool tok_is(const struct tok *t, const char *word)
{
    size_t n = t->len;
    while (n && t->s[n - 1] == '.')
        n--;
    return n == strlen(word) && strncasecmp(t->s, word, n) == 0;
}

/* Digits at s (at most DIGITS_MAX): their value in *v and how many. */
static size_t digits(const char *s, size_t len, long *v)
{
    size_t i = 0;
    long x = 0;
    while (i < len && i < DIGITS_MAX + 1 && isdigit((unsigned char)s[i]))
        x = x * 10 + (s[i++] - '0');
    if (i > DIGITS_MAX)
        return 0;
    *v = x;
    return i;
}

static bool all_alpha(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* An ordinal ("47TH", "1st", Dutch "1e", "2de", "3ste") names a street. */
static bool is_ordinal(const struct tok *t)
{
    static const char *const ends[] = {"ST", "ND", "RD", "TH", "E", "DE", "STE"};
    long v;
    size_t d = digits(t->s, t->len, &v);
    if (d == 0 || d == t->len)
        return false;
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        if (t->len - d == strlen(ends[i]) && strncasecmp(t->s + d, ends[i], t->len - d) == 0)
            return true;
    return false;
}

static void copy_upper(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (char)toupper((unsigned char)s[i]);
    out[k] = '\0';
}

/* A house-number token: "1047", "12A", "12bis", "1040-1048", "12-14",
 * "12-A", "12/3" (Flemish box 3), "12-2" (a floor: the second number is
 * smaller). Fills number, range, suffix and unit of a. */
static bool house_number(const struct tok *t, struct mp_address *a)
{
    long n, m;
    size_t d = digits(t->s, t->len, &n);
    if (d == 0 || n == 0 || is_ordinal(t))
        return false;
    const char *rest = t->s + d;
    size_t rl = t->len - d;
    a->number = a->number_to = n;
    if (rl == 0)
        return true;
    if (rl <= 3 && all_alpha(rest, rl)) {
        copy_upper(a->suffix, sizeof a->suffix, rest, rl);
        return true;
    }
    if (rest[0] == '-' || rest[0] == '/') {
        size_t e = digits(rest + 1, rl - 1, &m);
        if (e > 0 && e == rl - 1) {
            if (rest[0] == '-' && m > n)
                a->number_to = m;
            else
                copy_upper(a->unit, sizeof a->unit, rest + 1, rl - 1);
            return true;
        }
        if (rest[0] == '-' && rl - 1 <= 3 && all_alpha(rest + 1, rl - 1)) {
            copy_upper(a->suffix, sizeof a->suffix, rest + 1, rl - 1);
            return true;
        }
    }
    a->number = a->number_to = 0;
    return false;
}

/* Words that start a unit or box after the street of a number-first
 * address ("... AVE APT 2"), or after the number of a number-last one
 * ("Kerkstraat 12 bus 3"): what follows is not the street. The two lists
 * differ because street names hold the other style's words ("S CTA BUS
 * LN"). */
static bool unit_marker(const struct tok *t, bool number_first)
{
    static const char *const first[] = {"APT", "APARTMENT", "UNIT", "STE", "SUITE",
                                        "FL",  "FLOOR",     "RM",   "ROOM", "BLDG"};
    static const char *const last[] = {"BUS", "BTE", "BOITE", "APT", "UNIT"};
    const char *const *w = number_first ? first : last;
    size_t n = number_first ? sizeof first / sizeof *first : sizeof last / sizeof *last;
    if (t->s[0] == '#')
        return true;
    for (size_t i = 0; i < n; i++)
        if (tok_is(t, w[i]))
            return true;
    return false;
}

/* "nr." / "no." / "nummer" before a Dutch house number. */
static bool number_word(const struct tok *t)
{
    return tok_is(t, "NR") || tok_is(t, "NO") || tok_is(t, "NUMMER");
}

/* The unit value at tokens[i] (after a marker), or inside "#3". */
static void take_unit(const struct tok *tk, size_t n, size_t i, struct mp_address *a)
{
    const struct tok *m = &tk[i];
    if (m->s[0] == '#' && m->len > 1) {
        copy_upper(a->unit, sizeof a->unit, m->s + 1, m->len - 1);
        return;
    }
    if (i + 1 < n)
        copy_upper(a->unit, sizeof a->unit, tk[i + 1].s, tk[i + 1].len);
}

/* Split buf at white space into at most max words; SIZE_MAX when there
 * are more. */
static size_t split(const char *buf, struct tok *tk, size_t max)
{
    size_t n = 0;
    for (const char *q = buf; *q;) {
        while (*q && isspace((unsigned char)*q))
            q++;
        if (!*q)
            break;
        if (n == max)
            return SIZE_MAX;
        const char *s = q;
        while (*q && !isspace((unsigned char)*q))
            q++;
        tk[n++] = (struct tok){s, (size_t)(q - s)};
    }
    return n;
}

static size_t tokenize(const char *text, char *buf, struct tok *tk)
{
    /* The first part that names something: "1047 W Gladys Ave, Chicago,
     * IL" -> "1047 W Gladys Ave"; a leading part without a letter joins
     * the next ("12, Kerkstraat"). */
    size_t len = 0;
    const char *p = text;
    bool letter = false;
    while (*p && len < TEXT_MAX - 1) {
        if (*p == ',') {
            if (letter)
                break;
            buf[len++] = ' ';
            p++;
            continue;
        }
        letter = letter || isalpha((unsigned char)*p) || (unsigned char)*p >= 0x80;
        buf[len++] = *p++;
    }
    buf[len] = '\0';
    size_t n = split(buf, tk, MAX_TOKENS);
    return n == SIZE_MAX ? MAX_TOKENS : n; /* words past the cut are dropped */
}

bool mp_address_parse(const char *text, struct mp_address *out)
{
    char buf[TEXT_MAX];
    struct tok tk[MAX_TOKENS];
    memset(out, 0, sizeof *out);
    if (!text)
        return false;
    size_t n = tokenize(text, buf, tk);
    size_t first = 0, end = n, len = 0;
    if (n && house_number(&tk[0], out)) {
        /* Number first: "1047 1/2 W GLADYS AVE APT 2". */
        first = 1;
        out->number_first = true;
        long m;
        if (first + 1 < n && tok_is(&tk[first], "-") &&
            digits(tk[first + 1].s, tk[first + 1].len, &m) == tk[first + 1].len &&
            m > out->number) {
            out->number_to = m; /* "1040 - 1048 W GLADYS AVE" */
            first += 2;
        }
        if (first < n && tok_is(&tk[first], "1/2")) {
            out->half = true;
            first++;
        }
        for (size_t i = first; i < n; i++)
            if (unit_marker(&tk[i], true)) {
                take_unit(tk, n, i, out);
                end = i;
                break;
            }
    } else {
        /* Number last: the street runs up to the first house number;
         * a suffix, a box or a range may follow it. */
        for (size_t i = 1; i < n; i++) {
            if (!house_number(&tk[i], out))
                continue;
            end = i > 1 && number_word(&tk[i - 1]) ? i - 1 : i;
            size_t k = i + 1;
            if (k + 1 < n && tok_is(&tk[k], "-")) {
                long m;
                if (digits(tk[k + 1].s, tk[k + 1].len, &m) == tk[k + 1].len && m > out->number)
                    out->number_to = m;
                k += 2;
            } else if (k < n && !out->suffix[0] && tk[k].len <= 3 &&
                       all_alpha(tk[k].s, tk[k].len) && !unit_marker(&tk[k], false)) {
                copy_upper(out->suffix, sizeof out->suffix, tk[k].s, tk[k].len);
                k++;
            }
            if (k < n && unit_marker(&tk[k], false))
                take_unit(tk, n, k, out);
            break;
        }
    }
    for (size_t i = first; i < end; i++)
        if (!key_add(out->street, sizeof out->street, &len, &tk[i])) {
            out->street[0] = '\0';
            break;
        }
    if (!out->street[0]) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

bool mp_address_key(const char *name, char *out, size_t cap)
{
    char buf[TEXT_MAX];
    struct tok tk[MAX_TOKENS];
    size_t len = 0;
    if (cap == 0)
        return false;
    out[0] = '\0';
    if (!name || strlen(name) >= sizeof buf)
        return false;
    memcpy(buf, name, strlen(name) + 1);
    size_t n = split(buf, tk, MAX_TOKENS);
    if (n == SIZE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t before = len;
        if (!key_add(out, cap, &len, &tk[i])) {
            out[before] = '\0';
            return false;
        }
    }
    return len > 0;
}

int mp_address_side(long number) { return number > 0 ? (int)(number & 1) : -1; }
