/* feed.h - the Atom feeds of new problems (issue 16 point 2, "local alerts"
 * without e-mail): RFC 4287 documents of the newest live reports in a
 * district, within a radius of a point, or anywhere, optionally of some
 * categories. Descriptions are public text with contact details masked;
 * no reporter's details appear.
 *
 * Threads: functions use only the context they are given.
 */
#ifndef MELDPUNT_FEED_H
#define MELDPUNT_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/buf.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

#define MP_FEED_ENTRIES 50        /* entries a feed shows at most */
#define MP_FEED_DAYS 30           /* how far back a feed looks */
#define MP_FEED_RADIUS_MAX 5000.0 /* metres */

struct mp_feed_query {
    const char *district; /* NULL: any */
    const char *categories[MP_QUERY_MAX_LIST];
    size_t ncategories;
    bool has_point;
    double lon, lat, radius_m; /* with has_point */
    const char *lang;          /* "en" or "nl": category names and titles */
};

/* Check q against the city: MP_EINVAL "unknown_district" /
 * "unknown_category" / "invalid_parameter" (radius 1-5000 m, the point in
 * the service area). */
enum mp_status mp_feed_check(struct mp_ctx *ctx, const struct mp_feed_query *q,
                             struct mp_error *err) MP_WUR;

/* The Atom document for q into out: base is the public URL (ids and links
 * are under it), self the feed's own URL (path and query). now: the
 * feed's updated time when it has no entries. */
enum mp_status mp_feed_atom(struct mp_ctx *ctx, const struct mp_feed_query *q, const char *base,
                            const char *self, int64_t now, struct mp_buf *out,
                            struct mp_error *err) MP_WUR;

#endif
