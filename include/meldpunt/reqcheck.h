/* reqcheck.h - what the HTTP layer checks in a request before any route sees
 * it, as pure functions of the request's text: control bytes in the path,
 * CORS origins, and whether a write comes from another site's page.
 *
 * Pure functions, no allocation; thread-safe.
 */
#ifndef MELDPUNT_REQCHECK_H
#define MELDPUNT_REQCHECK_H

#include <stdbool.h>

/* Whether the path of a raw request target (before decoding; the query is
 * not looked at) holds a control byte, as it is or percent-encoded (%00-%1F,
 * %7F): libmicrohttpd decodes %00 into the path it hands over, which C then
 * reads short. */
bool mp_reqcheck_path_control(const char *target);

/* origin when the comma-separated list (MELDPUNT_CORS_ORIGINS; "*" for any)
 * allows it, else NULL. Borrowed: origin itself. */
const char *mp_reqcheck_cors(const char *list, const char *origin);

/* application/json or application/...+json, parameters aside: a type a page
 * of another site cannot send without a CORS preflight. */
bool mp_reqcheck_json_type(const char *content_type);

/* What decides whether a write comes from another site's page. Every string
 * may be NULL (absent). */
struct mp_reqcheck_write {
    const char *content_type;
    const char *sec_fetch_site;
    const char *origin;
    const char *host;        /* the Host header the client sent */
    const char *public_base; /* MELDPUNT_PUBLIC_URL or a trusted proxy's, if known */
    const char *cors_list;   /* MELDPUNT_CORS_ORIGINS */
    bool has_api_key;        /* the form or the query carries an api_key */
};

/* Whether a write (POST, PUT, PATCH, DELETE) comes from a page of another
 * site, in a browser, without asking first: a form post or a fetch that
 * needs no preflight. Not when it is JSON, comes from a listed CORS origin,
 * carries an api_key (Open311 clients are servers; a browser never adds one
 * by itself), or shows no sign of a browser page (no Sec-Fetch-Site, no
 * Origin). Else Sec-Fetch-Site decides (same-origin or none pass) or, without
 * it, whether Origin is this server: the public base's scheme and authority,
 * or the authority of the Host the browser addressed. */
bool mp_reqcheck_cross_site(const struct mp_reqcheck_write *w);

#endif
