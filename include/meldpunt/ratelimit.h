/* ratelimit.h - per-client token buckets with bounded memory, for limiting
 * writes (POST) and failed sign-ins per IP address.
 *
 * Each client key (an IP address as text) owns a bucket that holds at most
 * `burst` tokens and refills at `rate_per_s` tokens per second; a request
 * takes one token or is refused with the number of seconds after which one
 * will be there (the Retry-After header).
 *
 * Memory is fixed when the table is made: `capacity` buckets in a
 * set-associative table (each key may live in one of a few neighbouring
 * slots). When those slots are taken by other clients, the bucket that
 * carries no state (refilled to full) or else the least recently seen one is
 * reused, so a flood of distinct addresses cannot grow memory; it can at
 * worst make the server forget some clients, which then start with a full
 * bucket again. The slot of a key is chosen by a hash with a per-table random
 * seed, so clients cannot aim their addresses at one set.
 *
 * IPv6 addresses are keyed by their /64 prefix: one subscriber usually holds
 * a whole /64 and could otherwise draw a fresh bucket for every address.
 *
 * Ownership: mp_ratelimit_new returns a NEW table (mp_ratelimit_free).
 * Threads: every function is thread-safe (one mutex inside; the critical
 * section is a few dozen instructions). Times are passed in by the caller
 * (monotonic milliseconds), so that tests control the clock.
 */
#ifndef MELDPUNT_RATELIMIT_H
#define MELDPUNT_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"

struct mp_ratelimit;

/* Longest key kept; longer keys are cut (an IPv6 text address is <= 45). */
#define MP_RATELIMIT_KEY_MAX 64

/* New table: rate_per_s > 0 tokens per second, burst >= 1 tokens at most,
 * room for capacity clients (rounded up to a power of two, at least 64).
 * MP_EINVAL for a rate or burst out of range, MP_ENOMEM. */
enum mp_status mp_ratelimit_new(double rate_per_s, double burst, size_t capacity,
                                struct mp_ratelimit **out) MP_WUR;
/* Accepts NULL. */
void mp_ratelimit_free(struct mp_ratelimit *rl);

/* Take one token for key at time now_ms (any monotonic millisecond clock;
 * going backwards is treated as no time passing). true: allowed. false:
 * refused, and *retry_after_s (may be NULL) gets the whole seconds (>= 1)
 * until a token is available. A NULL table allows everything (limiting
 * switched off); a NULL or empty key shares one bucket. */
bool mp_ratelimit_take(struct mp_ratelimit *rl, const char *key, int64_t now_ms,
                       unsigned *retry_after_s);

/* Whether a take would succeed now, without taking (for failed sign-ins:
 * peek before checking a token, take only when the check failed). */
bool mp_ratelimit_peek(struct mp_ratelimit *rl, const char *key, int64_t now_ms,
                       unsigned *retry_after_s);

/* The key a client address is counted under, into out (cap >= 1): IPv6 cut
 * to its /64 ("2001:db8:1:2::/64"), everything else (IPv4, IPv4-mapped IPv6,
 * unparsable text) as given, cut to cap - 1 bytes. Also used for counting
 * connections per client (connguard.h). */
void mp_ratelimit_key(const char *ip, char *out, size_t cap);

/* Clients currently tracked (for tests and /healthz-style figures). */
size_t mp_ratelimit_size(struct mp_ratelimit *rl);

/* A monotonic clock in milliseconds (CLOCK_MONOTONIC) for callers. */
int64_t mp_ratelimit_now_ms(void);

#endif
