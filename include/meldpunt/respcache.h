/* respcache.h - a bounded cache of rendered answers (map pages, grids),
 * keyed by the request's path and query, validated by the store's change
 * counter: an entry serves only while nothing changed since it was made.
 *
 * Ownership: mp_respcache_new returns a NEW cache (mp_respcache_free); get
 * copies the body into the caller's buffer; put copies what it is given.
 * Threads: all functions are thread-safe (one mutex).
 */
#ifndef MELDPUNT_RESPCACHE_H
#define MELDPUNT_RESPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

struct mp_respcache;

/* Room for entries answers of at most max_body bytes each. */
enum mp_status mp_respcache_new(size_t entries, size_t max_body,
                                struct mp_respcache **out) MP_WUR;
void mp_respcache_free(struct mp_respcache *c);

/* Append the cached body for key made at version to out; false on a miss
 * (absent, older version, or out refused the bytes). */
bool mp_respcache_get(struct mp_respcache *c, const char *key, int64_t version,
                      struct mp_buf *out);
/* Remember body for key at version (ignored when too large). */
void mp_respcache_put(struct mp_respcache *c, const char *key, int64_t version,
                      const char *body, size_t len);

#endif
