/* ogc_html.h - the HTML representation of the OGC API - Features documents
 * (the "HTML" conformance class): any JSON document of the service rendered
 * as a plain page for people with a browser, carrying all the information of
 * the JSON one. Links become anchors, but only http(s) URLs: every text is
 * escaped, the page has no script and no inline style (the server's
 * Content-Security-Policy allows neither), so nothing in the data can act
 * in the reader's browser.
 *
 * Thread-safety: pure; the JSON is parsed per call.
 */
#ifndef MELDPUNT_OGC_HTML_H
#define MELDPUNT_OGC_HTML_H

#include <stddef.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

/* Render the JSON document json (len bytes) as an HTML page titled title
 * into b. features_href, when not NULL, is the URL that a feature's id is
 * appended to for its own page (".../items/"). MP_EINVAL when json does not
 * parse; b->failed when memory ran out. */
enum mp_status mp_ogc_html(struct mp_buf *b, const char *title, const char *json, size_t len,
                           const char *features_href) MP_WUR;

#endif
