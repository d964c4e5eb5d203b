/* text.h - checks and transforms of user text: UTF-8 validity and length in
 * characters, and masking of contact details typed into public text.
 * Pure functions, thread-safe.
 */
#ifndef MELDPUNT_TEXT_H
#define MELDPUNT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Number of code points in s[0..len), or -1 when s is not valid UTF-8 or
 * contains NUL or control characters other than tab, CR and LF. */
long mp_utf8_chars(const char *s, size_t len);

/* Plausible e-mail address: one @, non-empty local part, a dot in the domain,
 * no spaces, at most 254 bytes. */
bool mp_text_email_ok(const char *s);
/* Plausible phone number: 6-20 digits with optional +, spaces, dots, dashes
 * and parentheses. */
bool mp_text_phone_ok(const char *s);

/* Copy s into a NEW string (caller frees) with e-mail addresses and phone
 * numbers replaced by "[hidden]", and bidi controls (U+202A-U+202E,
 * U+2066-U+2069) left out. Matching sees through Unicode tricks: fullwidth
 * and other compatibility forms of ASCII letters, digits, '@' and '.',
 * invisible characters inside an address or number, and "(at)" / "[dot]"
 * spellings (text.c lists what is folded). The rest of the text is kept as
 * it was. Returns NULL on allocation failure. */
char *mp_text_mask_contacts(const char *s);
/* False when mp_text_mask_contacts(s) would certainly return s unchanged
 * (ASCII only, no '@', no bracket and fewer than 7 digits: every phone
 * number it masks has 7 or more), so that readers can skip the copy; true
 * means "mask to be sure". */
bool mp_text_may_have_contacts(const char *s);
/* The JSON text json (an object or an array, as Open311 attribute answers
 * are stored) with every string in it masked as mp_text_mask_contacts does:
 * member values and list items at any depth, not member names; the order of
 * members kept, written compactly. A NEW string (caller frees), or NULL when
 * nothing changes or json is not JSON; NULL with *nomem set when memory ran
 * out. */
char *mp_text_mask_json(const char *json, bool *nomem);
/* Remove the bidi embedding, override and isolate controls (U+202A-U+202E,
 * U+2066-U+2069) from s in place, for free text before it is stored: they
 * can make text read in an order other than the one it is stored in.
 * Returns the new length. */
size_t mp_text_strip_bidi(char *s);

/* Copy s (NULL: "") into dst[cap], cut to cap - 1 bytes, always terminated:
 * for the fixed fields of records copied out of store rows. cap > 0. */
void mp_text_copy(char *dst, size_t cap, const char *s);

#endif
