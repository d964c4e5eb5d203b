/* places.c - the map page's place search (places.h) on the street layer
 * (streets.h): corners, house numbers, and suggestions while typing. */
#include "meldpunt/places.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/address.h"
#include "meldpunt/geo.h"
#include "meldpunt/streets.h"

enum mp_status mp_place_find(struct mp_ctx *ctx, const char *text, struct mp_place *out)
{
    double x, y;
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return MP_ENOTFOUND;
    /* A corner first: "Halsted & 18th" has no house number, and a text with
     * a number and a separator ("1600 W Fullerton / ...") is no corner. */
    if (mp_streets_intersection(ctx->streets, text, &x, &y, out->label, sizeof out->label))
        out->kind = "corner";
    else if (mp_streets_address(ctx->streets, text, &x, &y, out->label, sizeof out->label))
        out->kind = "address";
    else
        return MP_ENOTFOUND;
    if (mp_geo_inverse(ctx->geo, x, y, &out->lon, &out->lat) != MP_OK)
        return MP_ENOTFOUND;
    return MP_OK;
}

/* label = a + sep + b when it fits; false (and label untouched) when not. */
static bool join(char *label, const char *a, const char *sep, const char *b)
{
    /* Built in tmp first: a or b may be label itself. */
    char tmp[MP_PLACE_LABEL_MAX];
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    if (la + ls + lb >= sizeof tmp)
        return false;
    memcpy(tmp, a, la);
    memcpy(tmp + la, sep, ls);
    memcpy(tmp + la + ls, b, lb + 1);
    memcpy(label, tmp, la + ls + lb + 1);
    return true;
}

/* "Clark St & Div": the streets starting "DIV" that cross the one before
 * the '&' (only corners that exist are offered: a pair that meets in two
 * places is left out, as the search would refuse it). */
static size_t suggest_corner(struct mp_ctx *ctx, const char *text, const char *amp,
                             struct mp_place_suggestion *out, size_t max)
{
    char head[MP_PLACE_LABEL_MAX], key[MP_ADDRESS_KEY_MAX], probe[MP_PLACE_LABEL_MAX];
    size_t hl = (size_t)(amp - text), n = 0;
    while (hl && text[hl - 1] == ' ')
        hl--;
    if (hl == 0 || hl >= sizeof head || !mp_address_key(amp + 1, key, sizeof key))
        return 0;
    memcpy(head, text, hl);
    head[hl] = '\0';
    const char *names[2 * MP_PLACE_SUGGEST_MAX];
    size_t nn =
        mp_streets_suggest_cross(ctx->streets, head, key, names, sizeof names / sizeof *names);
    for (size_t i = 0; i < nn && n < max; i++) {
        double x, y;
        if (!join(probe, head, " & ", names[i]) ||
            !mp_streets_intersection(ctx->streets, probe, &x, &y, out[n].label,
                                     sizeof out[n].label))
            continue;
        out[n++].kind = "corner";
    }
    return n;
}

size_t mp_place_suggest(struct mp_ctx *ctx, const char *text, struct mp_place_suggestion *out,
                        size_t max)
{
    struct mp_address a;
    const char *names[MP_PLACE_SUGGEST_MAX];
    size_t n = 0;
    if (max > MP_PLACE_SUGGEST_MAX)
        max = MP_PLACE_SUGGEST_MAX;
    if (!text || !*text || max == 0)
        return 0;
    const char *amp = strrchr(text, '&');
    if (amp)
        return suggest_corner(ctx, text, amp, out, max);
    if (!mp_address_parse(text, &a))
        return 0;
    size_t nn = mp_streets_suggest(ctx->streets, a.street, names, max);
    for (size_t i = 0; i < nn; i++) {
        struct mp_snap p;
        char num[24];
        if (a.number <= 0) {
            if (join(out[n].label, names[i], "", ""))
                out[n++].kind = "street";
            continue;
        }
        /* Only numbers the pack places on that street: a suggestion that
         * finds nothing would be worse than none. */
        if (!mp_streets_place(ctx->streets, names[i], a.number, NULL, &p))
            continue;
        snprintf(num, sizeof num, "%ld", a.number);
        if (a.number_first ? join(out[n].label, num, " ", names[i])
                           : join(out[n].label, names[i], " ", num))
            out[n++].kind = "address";
    }
    return n;
}
