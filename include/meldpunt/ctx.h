/* ctx.h - what a domain call works with: the city (shared, read-only), a
 * store session and a PROJ transformer (both owned by one worker slot and
 * used by one thread at a time). Borrowed by the domain modules for the
 * length of one call.
 */
#ifndef MELDPUNT_CTX_H
#define MELDPUNT_CTX_H

struct mp_automation_cache;
struct mp_city;
struct mp_geo;
struct mp_region;
struct mp_store_sess;
struct mp_tz;
struct mp_streets;

struct mp_ctx {
    const struct mp_city *city; /* the pack as a whole (a region's whole) */
    /* The region whose member a report's pin picks (report.c); NULL in
     * tools that work on one pack (then ctx->city is the one). */
    const struct mp_region *region;
    const struct mp_tz *tz;
    const struct mp_streets *streets; /* may be empty, never NULL in a running app */
    struct mp_geo *geo;
    struct mp_store_sess *db;
    /* The app's automation rules, read once per change of the file
     * (automation_cache.h; shared, thread-safe), or NULL in tools and tests
     * that have none: then the rules are read from the pack when needed. */
    struct mp_automation_cache *rules;
};

#endif
