/* errtext.h - the language the server speaks to people in: the client's
 * language (a `lang` query parameter, else Accept-Language; English or
 * Dutch), the Dutch text of every error code, the JSON error answer in that
 * language, and the HTML "page not found" a browser gets.
 *
 * English answers are the technical messages as the modules wrote them,
 * unchanged. A Dutch answer carries the Dutch text of the code as its
 * message and the English technical text as its detail.
 *
 * Thread-safe: constant tables only.
 */
#ifndef MELDPUNT_ERRTEXT_H
#define MELDPUNT_ERRTEXT_H

#include <stdbool.h>

#include "meldpunt/status.h"

struct mp_buf;

enum mp_lang { MP_LANG_EN = 0, MP_LANG_NL };

/* The language of a request: lang_param (the `lang` query parameter, may be
 * NULL) when it names one we speak ("nl", "en", also "nl-BE"), else the
 * language of accept_language (the header, may be NULL) we speak with the
 * highest weight (the first of equals), else English. */
enum mp_lang mp_errtext_lang(const char *lang_param, const char *accept_language);

/* "en" or "nl": a static string. */
const char *mp_errtext_lang_code(enum mp_lang lang);

/* The Dutch text for people of an error code: a static string, a general
 * one for a code the table does not know. */
const char *mp_errtext_dutch(const char *code);

/* Whether the table has a Dutch text of its own for code (tests). */
bool mp_errtext_known(const char *code);

/* The error answer {"error":{"code":..,"message":..}} for err appended to
 * b. In English, message is err's text as it is; in Dutch, message is the
 * code's Dutch text and "detail" carries err's text. */
void mp_errtext_json(struct mp_buf *b, const struct mp_error *err, enum mp_lang lang);

/* Whether an Accept header prefers an HTML page to JSON: a browser that
 * navigates to an address. NULL and a bare wildcard prefer JSON. */
bool mp_errtext_wants_html(const char *accept);

/* The HTML page "not found" in lang, with a link to the map, appended to
 * b (a complete document; its texts carry the page's i18n keys so that the
 * page script can follow a language chosen on the site). */
void mp_errtext_html_404(struct mp_buf *b, enum mp_lang lang);

#endif
