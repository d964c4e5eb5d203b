/* open311_doc.h - the documents of the Open311 GeoReport v2 interface:
 * one writer that produces the same document as XML (the standard's
 * required format, on the XML writer of xml.h) or JSON (its Spark-convention
 * mapping), W3C date-times with the city's offset, and the documents built
 * with it (services, service definitions, requests and their notes).
 *
 * The domain is open311.h, the handlers api.h (mp_api_open311_*).
 *
 * Thread-safety: pure functions over caller-owned buffers; a writer belongs
 * to one request.
 */
#ifndef MELDPUNT_OPEN311_DOC_H
#define MELDPUNT_OPEN311_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/model.h"
#include "meldpunt/tz.h"

/* Nesting the documents need: root, item, list, item, list, item. */
#define MP_OPEN311_DOC_MAX_DEPTH 8

/* One element being written: an object (fields by name) or an array (items
 * that share one element name in XML, e.g. <services><service>...). */
struct mp_open311_doc_level {
    const char *name; /* XML element name of this level (static string) */
    const char *item; /* arrays: XML element name of each item */
    bool array;
    unsigned n; /* children written so far (JSON commas) */
};

struct mp_open311_doc {
    struct mp_buf *b; /* borrowed */
    bool xml;
    int depth;
    bool broken; /* nesting misused (a bug): the document is marked failed */
    struct mp_open311_doc_level lv[MP_OPEN311_DOC_MAX_DEPTH];
};

/* Start a document in b (borrowed for the writer's life). */
void mp_open311_doc_init(struct mp_open311_doc *w, struct mp_buf *b, bool xml);

/* Open an object. At the top it is the root element `name` (XML) or a bare
 * {...} (JSON); inside an array, name is ignored and the array's item name is
 * used; inside an object it is the member `name`. */
void mp_open311_doc_obj(struct mp_open311_doc *w, const char *name);
/* Open an array: the element `name` whose children are each called `item`
 * in XML; a JSON array (bare at the top, member `name` inside an object). */
void mp_open311_doc_arr(struct mp_open311_doc *w, const char *name, const char *item);
/* Close the innermost object or array. */
void mp_open311_doc_end(struct mp_open311_doc *w);

/* Scalars: a member `key` of the current object, or an item of the current
 * array (key ignored). A NULL string is JSON null and an empty XML element. */
void mp_open311_doc_str(struct mp_open311_doc *w, const char *key, const char *s);
void mp_open311_doc_int(struct mp_open311_doc *w, const char *key, int64_t v);
/* A number with at most `decimals` decimals (trailing zeros trimmed). */
void mp_open311_doc_num(struct mp_open311_doc *w, const char *key, double v, int decimals);
void mp_open311_doc_bool(struct mp_open311_doc *w, const char *key, bool v);
/* A W3C date-time in the zone tz ("2021-01-01T12:00:00-06:00"); t 0 = null. */
void mp_open311_doc_time(struct mp_open311_doc *w, const char *key, int64_t t,
                         const struct mp_tz *tz);

/* MP_OK, or the buffer's failure (ENOMEM, ETOOBIG) or MP_EINVAL when the
 * nesting was misused. Call once at the end. */
enum mp_status mp_open311_doc_status(const struct mp_open311_doc *w) MP_WUR;

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" for instant t shown at offset_s seconds east of
 * UTC ("Z" when the offset is 0). out needs 26 bytes; "" when cap is short. */
void mp_open311_doc_format_time(int64_t t, int64_t offset_s, char *out, size_t cap);

/* ---- the documents of GeoReport v2 ---- */

struct json_t; /* jansson */

/* The service list (GET services): every service of services (from
 * mp_open311_services, open311.h) with its texts in lang. */
void mp_open311_doc_services(struct mp_open311_doc *w, const struct json_t *services,
                             const char *lang);
/* The service definition (GET services/CODE) of service (one entry of
 * services): its attributes and their values with texts in lang. */
void mp_open311_doc_service_def(struct mp_open311_doc *w, const struct json_t *service,
                                const char *code, const char *lang);

/* The service_notice of a request that joined a case that already existed
 * with count reports in all. out needs 200 bytes. */
void mp_open311_doc_notice(char *out, size_t cap, int64_t count);

/* How requests are shown: all borrowed for the writing. */
struct mp_open311_view {
    const struct mp_city *city;
    const struct mp_tz *tz;
    const char *base;              /* scheme://host of photo URLs */
    const char *lang;              /* "nl" or "en" */
    bool extensions;               /* attributes, extended_attributes and notes */
    const struct json_t *services; /* attribute labels (extensions), may be NULL */
};

/* Open the object of one request in a service_requests list and write its
 * members: the standard's, and with extensions its attributes and
 * extended_attributes. Texts citizens typed have contacts masked. The
 * caller adds the notes (extensions: an array "notes" of
 * mp_open311_doc_note) and closes the object with mp_open311_doc_end. */
void mp_open311_doc_request(struct mp_open311_doc *w, const struct mp_open311_view *v,
                            const struct mp_open311_row *row);
/* One note of a request (an item of its "notes" array). */
void mp_open311_doc_note(struct mp_open311_doc *w, const struct mp_open311_view *v,
                         const struct mp_history_row *h);

#endif
