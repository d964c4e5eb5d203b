/* ogc_openapi.h - the OpenAPI 3.0 definition of the OGC API - Features
 * service (GET /ogc/api, the landing page's "service-desc").
 *
 * Every path the service answers, with its parameters: the items path of
 * each collection is written out on its own (/collections/reports/items),
 * listing that collection's queryables as query parameters (Part 3), so that
 * clients which read the definition to learn what can be filtered on the
 * server (GDAL's OAPIF driver) send their filters instead of reading
 * everything; `limit` states its default and maximum.
 *
 * Thread-safety: pure; the JSON is built per call.
 */
#ifndef MELDPUNT_OGC_OPENAPI_H
#define MELDPUNT_OGC_OPENAPI_H

#include "meldpunt/buf.h"
#include "meldpunt/ogc_doc.h"

/* Append the definition (compact JSON) to b; b->failed when memory ran out. */
void mp_ogc_openapi(struct mp_buf *b, const struct mp_ogc_view *v);

#endif
