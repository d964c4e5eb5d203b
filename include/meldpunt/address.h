/* address.h - a typed street address taken apart: house number (or range),
 * its suffix and unit, and the street as a normalised key that compares
 * equal however people spell it.
 *
 * Two styles are recognised, told apart by where the number stands:
 *   number first (US grid):  "1047 W GLADYS AVE", "1040-1048 W Gladys Ave Apt 2",
 *                            "1047 1/2 W Gladys Ave #3", "1047 West Gladys Avenue, Chicago"
 *   number last (Dutch, Flemish): "Kerkstraat 12", "Kerkstraat 12A", "Kerkstraat 12 bus 3",
 *                            "Kerkstraat 12/3", "Kerkstraat 12-14", "Kerkstr. 12, 1000 Brussel"
 * Anything after the first comma (place, postcode) is ignored. A text
 * without a house number still yields its street ("W Gladys Ave").
 *
 * The street key is upper case (ASCII, and the Latin-1 letters of UTF-8),
 * words separated by one space, with street types and directions in one
 * spelling (STREET -> ST, AVENUE -> AVE, WEST -> W, "Kerkstr." ->
 * KERKSTRAAT). The street layer keys its names the same way
 * (mp_address_key), so "1200 west madison street" finds W MADISON ST.
 *
 * Pure functions: no allocation, no state; thread-safe.
 */
#ifndef MELDPUNT_ADDRESS_H
#define MELDPUNT_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define MP_ADDRESS_KEY_MAX 96

struct mp_address {
    long number;    /* house number, 0 when the text has none */
    long number_to; /* last number of a range ("1040-1048", "12-14"), else = number */
    bool half;      /* "1047 1/2" */
    bool number_first; /* the number stood before the street (US style) */
    char suffix[8]; /* letter(s) after the number: "A" of "12A" / "12 a", "" */
    char unit[16];  /* apartment, unit or box: "2" of "Apt 2", "3" of "bus 3", "" */
    char street[MP_ADDRESS_KEY_MAX]; /* the street's key: "W GLADYS AVE", "KERKSTRAAT" */
};

/* Take text (NUL-terminated UTF-8, NULL allowed) apart into *out. Returns
 * true when a street was found (out->street non-empty), whether or not a
 * number was; *out is filled either way (zeroed on false). */
bool mp_address_parse(const char *text, struct mp_address *out);

/* The key of a street name as the street layer spells it ("N Aberdeen
 * Street" -> "N ABERDEEN ST") into out (cap bytes, at least 1). A name that
 * does not fit is cut at a word boundary; returns false then (and for an
 * empty name). */
bool mp_address_key(const char *name, char *out, size_t cap);

/* Whether the number is odd (a side of the street), 0 or 1; -1 for no number. */
int mp_address_side(long number);

#endif
