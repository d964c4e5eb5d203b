/* places.h - what people type in the map page's search box, found on the
 * city pack's street layer: a corner of two crossing streets ("Clark St &
 * Division St"), a house number ("1600 W Fullerton Ave", "Kerkstraat 12",
 * placed by the pack's address grid, ranges or points: streets.h), and
 * suggestions while it is typed.
 *
 * Thread-safety: functions use only the context they are given; the street
 * layer is read-only.
 */
#ifndef MELDPUNT_PLACES_H
#define MELDPUNT_PLACES_H

#include <stddef.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

#define MP_PLACE_LABEL_MAX 160
#define MP_PLACE_SUGGEST_MAX 8

struct mp_place {
    const char *kind;               /* "corner" or "address" (static) */
    double lon, lat;                /* WGS84 */
    char label[MP_PLACE_LABEL_MAX]; /* in the layer's spelling: "N CLARK ST & W DIVISION ST",
                                       "1600 W FULLERTON AVE" */
};

/* The place text names: a corner when it names two crossing streets, else
 * a house number on a street. Whether it lies in the service area is the
 * caller's question (mp_city_in_area). MP_ENOTFOUND when neither. */
enum mp_status mp_place_find(struct mp_ctx *ctx, const char *text, struct mp_place *out) MP_WUR;

struct mp_place_suggestion {
    const char *kind; /* "address" (a number the pack places on that street), "street"
                         (a street whose name starts so; no number typed yet), "corner"
                         (after "&": streets that cross the one before it) (static) */
    char label[MP_PLACE_LABEL_MAX];
};

/* Up to max (at most MP_PLACE_SUGGEST_MAX) completions of text as typed so
 * far into out, best first; each label, searched with mp_place_find, finds
 * its place (a "street" label is to be completed with a number). Returns
 * how many; 0 when nothing fits. */
size_t mp_place_suggest(struct mp_ctx *ctx, const char *text, struct mp_place_suggestion *out,
                        size_t max);

#endif
