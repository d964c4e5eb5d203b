/* fuzz_text.c - libFuzzer target for the text every public answer passes
 * through: mp_utf8_chars (the UTF-8 and control-character gate of every text
 * field), mp_text_mask_contacts (e-mail addresses and phone numbers typed
 * into public descriptions), mp_address_parse (addresses taken apart) and
 * mp_streets_find / mp_streets_address (street names recognised and house
 * numbers placed in free-text addresses, on the demo city's street layer).
 *
 * Properties:
 *   - mp_utf8_chars agrees with an independent validator written from the
 *     Unicode standard's table of well-formed byte sequences;
 *   - masking never fails, keeps valid text valid, and leaves nothing that
 *     plainly is an e-mail address (an alphanumeric local part, @, a domain
 *     of two or more labels) or a phone number (seven digits in a row
 *     standing on their own);
 *   - a recognised street name is recognised as itself;
 *   - a parsed address has a street key that is its own key, and a range
 *     that does not run backwards; an unparsed one has neither.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "meldpunt/address.h"
#include "meldpunt/streets.h"
#include "meldpunt/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unicode 15, table 3-7: well-formed UTF-8 byte sequences; plus the gate's
 * own rule of no control characters (C0 but tab, LF, CR; DEL; C1, which is
 * C2 80..C2 9F in UTF-8). */
static long ref_chars(const uint8_t *s, size_t len)
{
    long n = 0;
    for (size_t i = 0; i < len; n++) {
        uint8_t a = s[i];
        uint8_t lo = 0x80, hi = 0xbf;
        size_t k;
        if (a <= 0x7f) {
            if ((a < 0x20 && a != 9 && a != 10 && a != 13) || a == 0x7f)
                return -1;
            i++;
            continue;
        }
        if (a == 0xc2)
            k = 1, lo = 0xa0; /* U+0080..U+009F are the C1 controls */
        else if (a >= 0xc3 && a <= 0xdf)
            k = 1;
        else if (a == 0xe0)
            k = 2, lo = 0xa0;
        else if ((a >= 0xe1 && a <= 0xec) || a == 0xee || a == 0xef)
            k = 2;
        else if (a == 0xed)
            k = 2, hi = 0x9f;
        else if (a == 0xf0)
            k = 3, lo = 0x90;
        else if (a >= 0xf1 && a <= 0xf3)
            k = 3;
        else if (a == 0xf4)
            k = 3, hi = 0x8f;
        else
            return -1;
        if (i + k >= len) /* truncated sequence */
            return -1;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return -1;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xbf)
                return -1;
        i += k + 1;
    }
    return n;
}

static bool alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A plain e-mail address or phone number left in masked text, or NULL.
 * Deliberately simpler than the masker: only what no reader could miss. */
static const char *plain_contact(const char *t)
{
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '@') {
            size_t b = i, e = i + 1, labels = 0, len = 0;
            bool local_alnum = false;
            while (b > 0 && (alnum(t[b - 1]) || strchr("._%+-", t[b - 1]))) {
                local_alnum = local_alnum || alnum(t[b - 1]);
                b--;
            }
            /* label(.label)+, each label a letter or digit then [A-Za-z0-9-]* */
            for (;;) {
                len = 0;
                while (alnum(t[e + len]) || (len > 0 && t[e + len] == '-'))
                    len++;
                if (len == 0)
                    break;
                labels++;
                e += len;
                if (t[e] != '.' || !alnum(t[e + 1]))
                    break;
                e++;
            }
            if (local_alnum && labels >= 2)
                return t + b;
        }
        if (t[i] >= '0' && t[i] <= '9' && (i == 0 || !alnum(t[i - 1]))) {
            size_t k = i;
            while (t[k] >= '0' && t[k] <= '9')
                k++;
            if (k - i >= 7)
                return t + i;
        }
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    long got = mp_utf8_chars((const char *)data, size);
    long want = ref_chars(data, size);
    if (got != want) {
        fprintf(stderr, "mp_utf8_chars %ld, reference %ld\n", got, want);
        abort();
    }

    char *s = malloc(size + 1);
    CHECK(s != NULL);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    char *once = mp_text_mask_contacts(s);
    CHECK(once != NULL);
    if (want >= 0 && memchr(data, '\0', size) == NULL)
        CHECK(mp_utf8_chars(once, strlen(once)) >= 0);
    const char *left = plain_contact(once);
    if (left) {
        fprintf(stderr, "masking left a contact:\n in:   %s\n out:  %s\n left: %.40s\n", s, once,
                left);
        abort();
    }
    free(once);

    const struct mp_streets *streets = fuzz_app()->streets;
    const char *name = mp_streets_find(streets, s);
    if (name) {
        CHECK(name[0] != '\0');
        const char *again = mp_streets_find(streets, name);
        if (!again || strcmp(again, name) != 0) {
            fprintf(stderr, "'%s' -> '%s' -> '%s'\n", s, name, again ? again : "(none)");
            abort();
        }
    }
    struct mp_address a;
    char key[MP_ADDRESS_KEY_MAX], label[64];
    if (mp_address_parse(s, &a)) {
        CHECK(a.street[0] != '\0' && a.number >= 0 && a.number_to >= a.number);
        if (!mp_address_key(a.street, key, sizeof key) || strcmp(key, a.street) != 0) {
            fprintf(stderr, "'%s': key '%s', its key '%s'\n", s, a.street, key);
            abort();
        }
    } else {
        CHECK(a.street[0] == '\0' && a.number == 0);
    }
    double x, y;
    if (mp_streets_address(streets, s, &x, &y, label, sizeof label))
        CHECK(a.number > 0 && name != NULL);
    free(s);
    return 0;
}
