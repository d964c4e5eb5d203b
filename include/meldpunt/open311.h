/* open311.h - the pieces of the Open311 GeoReport v2 interface that do not
 * touch HTTP or the database: one writer that produces the same document as
 * XML (the standard's required format) or JSON (its Spark-convention
 * mapping) on the XML writer of xml.h, W3C date-times with the city's offset,
 * and the expected date of a service level counted in working days.
 *
 * The handlers themselves are in api.h (mp_api_open311_*), the SQL in
 * store_open311.h.
 *
 * Thread-safety: pure functions over caller-owned buffers; a writer belongs
 * to one request.
 */
#ifndef MELDPUNT_OPEN311_H
#define MELDPUNT_OPEN311_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/tz.h"

/* Nesting the documents need: root, item, list, item, list, item. */
#define MP_OPEN311_MAX_DEPTH 8

/* One element being written: an object (fields by name) or an array (items
 * that share one element name in XML, e.g. <services><service>...). */
struct mp_open311_level {
    const char *name; /* XML element name of this level (static string) */
    const char *item; /* arrays: XML element name of each item */
    bool array;
    unsigned n; /* children written so far (JSON commas) */
};

struct mp_open311_writer {
    struct mp_buf *b; /* borrowed */
    bool xml;
    int depth;
    bool broken; /* nesting misused (a bug): the document is marked failed */
    struct mp_open311_level lv[MP_OPEN311_MAX_DEPTH];
};

/* Start a document in b (borrowed for the writer's life). */
void mp_open311_init(struct mp_open311_writer *w, struct mp_buf *b, bool xml);

/* Open an object. At the top it is the root element `name` (XML) or a bare
 * {...} (JSON); inside an array, name is ignored and the array's item name is
 * used; inside an object it is the member `name`. */
void mp_open311_obj(struct mp_open311_writer *w, const char *name);
/* Open an array: the element `name` whose children are each called `item`
 * in XML; a JSON array (bare at the top, member `name` inside an object). */
void mp_open311_arr(struct mp_open311_writer *w, const char *name, const char *item);
/* Close the innermost object or array. */
void mp_open311_end(struct mp_open311_writer *w);

/* Scalars: a member `key` of the current object, or an item of the current
 * array (key ignored). A NULL string is JSON null and an empty XML element. */
void mp_open311_str(struct mp_open311_writer *w, const char *key, const char *s);
void mp_open311_int(struct mp_open311_writer *w, const char *key, int64_t v);
/* A number with at most `decimals` decimals (trailing zeros trimmed). */
void mp_open311_num(struct mp_open311_writer *w, const char *key, double v, int decimals);
void mp_open311_bool(struct mp_open311_writer *w, const char *key, bool v);
/* A W3C date-time in the zone tz ("2021-01-01T12:00:00-06:00"); t 0 = null. */
void mp_open311_time(struct mp_open311_writer *w, const char *key, int64_t t,
                     const struct mp_tz *tz);

/* MP_OK, or the buffer's failure (ENOMEM, ETOOBIG) or MP_EINVAL when the
 * nesting was misused. Call once at the end. */
enum mp_status mp_open311_status(const struct mp_open311_writer *w) MP_WUR;

/* "YYYY-MM-DDTHH:MM:SS+HH:MM" for instant t shown at offset_s seconds east of
 * UTC ("Z" when the offset is 0). out needs 26 bytes; "" when cap is short. */
void mp_open311_format_time(int64_t t, int64_t offset_s, char *out, size_t cap);

/* The instant `working_days` working days (city calendar: weekdays and
 * holidays) after `start`, at the same local time of day. With 0 working
 * days the answer is start itself. Bounded: gives up (returns 0) beyond
 * about ten years of non-working days. */
int64_t mp_open311_due(const struct mp_city *city, const struct mp_tz *tz, int64_t start,
                       int working_days);

#endif
