/* respcache.h - a bounded cache of rendered answers (map pages, grids),
 * keyed by the request's path and query, validated by the store's change
 * counter: an entry serves only while nothing changed since it was made.
 *
 * Ownership: mp_respcache_new returns a NEW cache (mp_respcache_free);
 * get_fd hands out a NEW descriptor of the body (the caller closes it; it
 * stays valid after the entry is evicted); put copies what it is given.
 * Bodies are kept in sealed memfds (Linux), outside the heap, so that an
 * answer can go out with sendfile.
 * Threads: all functions are thread-safe (one mutex).
 */
#ifndef MELDPUNT_RESPCACHE_H
#define MELDPUNT_RESPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"

struct mp_respcache;

/* Room for entries answers of at most max_body bytes each. With
 * second_sight, an answer is kept only when put a second time (the same key
 * at the same version asked again while not cached, among the last 128 such
 * keys): answers asked for once are never written. */
enum mp_status mp_respcache_new(size_t entries, size_t max_body, bool second_sight,
                                struct mp_respcache **out) MP_WUR;
void mp_respcache_free(struct mp_respcache *c);

/* A descriptor of the cached body for key made at version in *fd (read it
 * with pread/sendfile at offsets 0..*len: the file offset is shared), and
 * its length; false on a miss (absent, older version, no descriptor left). */
bool mp_respcache_get_fd(struct mp_respcache *c, const char *key, int64_t version, int *fd,
                         size_t *len);
/* Remember body for key at version (ignored when too large). */
void mp_respcache_put(struct mp_respcache *c, const char *key, int64_t version, const char *body,
                      size_t len);

/* Counts since mp_respcache_new: look-ups that found their answer (hits)
 * and that did not (misses), answers written into the cache (stored). For
 * /healthz and the tests, which otherwise cannot tell a cached answer from
 * a fresh one. A NULL cache counts nothing (all zero). */
struct mp_respcache_stats {
    uint64_t hits, misses, stored;
};
void mp_respcache_stats(struct mp_respcache *c, struct mp_respcache_stats *out);

#endif
