/* connguard.h - the connections the server holds, so that slow or greedy
 * clients cannot take them all: a cap per client address, a total deadline
 * for each request head, a minimum upload rate for bodies, and room kept for
 * new connections by closing the one that has waited longest for a head.
 *
 * A connection is in one of three phases:
 *   waiting  - for a complete request head: since it opened, or since its
 *              last answer (keep-alive). It must complete the head within
 *              head_timeout_ms of that moment, however it trickles bytes
 *              (libmicrohttpd's own timeout restarts with every byte).
 *   body     - the head is in, the body is arriving: after a grace of
 *              head_timeout_ms it must have averaged body_min_rate bytes/s.
 *   busy     - the server is answering; no deadline here.
 *   sending  - the server streams a long answer (an export): it must end
 *              within send_max_ms, and after a grace of head_timeout_ms the
 *              client must have taken send_min_rate bytes/s on average.
 *              Taken means handed to the socket less what still waits in
 *              its send queue (SIOCOUTQ), so a client that stopped reading
 *              does not count the kernel's buffers as read.
 * When more than max_conns - reserve connections are open, every new one
 * closes the connection that has been waiting longest (an idle keep-alive or
 * a slow head; never one whose request is being answered).
 *
 * Connections are closed through the kill callback (the HTTP layer shuts the
 * socket down; its event loop then closes it and calls mp_connguard_close).
 * kill is called with the guard's lock held, and mp_connguard_close takes the
 * lock: as long as the HTTP layer untracks a connection before it closes its
 * descriptor, kill never sees a descriptor that was closed and reused.
 *
 * Addresses are counted under mp_ratelimit_key (IPv6 per /64). Connections
 * from trusted proxies are exempt from the per-address cap (they carry many
 * clients); the proxy caps its own clients (contrib/nginx/meldpunt.conf).
 *
 * Ownership: mp_connguard_new returns a NEW guard (mp_connguard_free, after
 * every connection was closed). mp_connguard_open returns a BORROWED handle,
 * valid until mp_connguard_close.
 * Threads: every function is thread-safe (one mutex inside). Times are passed
 * in (monotonic milliseconds), so that tests control the clock.
 */
#ifndef MELDPUNT_CONNGUARD_H
#define MELDPUNT_CONNGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"

struct mp_connguard_limits {
    unsigned max_conns;       /* the server's total; >= 1 */
    unsigned reserve;         /* < max_conns: kept free by closing the longest waiting */
    unsigned per_addr;        /* open connections per client address; 0 = no cap */
    unsigned head_timeout_ms; /* see "waiting" above; 0 = no deadline */
    unsigned body_min_rate;   /* bytes per second; 0 = no minimum */
    unsigned send_min_rate;   /* bytes per second of a streamed answer; 0 = no minimum */
    unsigned send_max_ms;     /* of a streamed answer; 0 = no limit */
};

struct mp_connguard_stats {
    unsigned open; /* tracked, including those being killed */
    unsigned waiting;
    uint64_t refused_addr;    /* over the per-address cap */
    uint64_t killed_deadline; /* head deadline or body rate missed */
    uint64_t killed_send;     /* streamed answer too slow or too long */
    uint64_t evicted;         /* closed to keep the reserve */
};

struct mp_connguard;
struct mp_conn;

typedef void (*mp_connguard_kill_fn)(void *ctx, int fd);

enum mp_status mp_connguard_new(const struct mp_connguard_limits *lim, mp_connguard_kill_fn kill,
                                void *ctx, struct mp_connguard **out) MP_WUR;
/* Accepts NULL. */
void mp_connguard_free(struct mp_connguard *g);

/* Whether a new connection from addr would be within the per-address cap (a
 * cheap check before accepting; mp_connguard_open decides). */
bool mp_connguard_admit(struct mp_connguard *g, const char *addr, bool exempt);

/* Track a new connection (socket fd) from addr, waiting for its first head.
 * Over the per-address cap it is killed at once; when the reserve is used up
 * the longest waiting other connection is killed. NULL when out of memory
 * (the connection is then killed). */
struct mp_conn *mp_connguard_open(struct mp_connguard *g, int fd, const char *addr, bool exempt,
                                  int64_t now_ms);
/* Untrack c; call before its descriptor is closed. Accepts NULL. */
void mp_connguard_close(struct mp_connguard *g, struct mp_conn *c);

/* Phase changes (each accepts a NULL c): the head is complete and a body may
 * follow; body bytes arrived; the answer is being made; the answer was sent
 * and the connection waits for its next head. */
void mp_connguard_head(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms);
void mp_connguard_body(struct mp_connguard *g, struct mp_conn *c, size_t bytes);
void mp_connguard_busy(struct mp_connguard *g, struct mp_conn *c);
void mp_connguard_idle(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms);
/* A streamed answer starts (phase sending), and bytes of it were handed to
 * the socket. */
void mp_connguard_stream(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms);
void mp_connguard_sent(struct mp_connguard *g, struct mp_conn *c, size_t bytes);

/* Kill the connections past their deadline at now_ms; returns how many. */
unsigned mp_connguard_sweep(struct mp_connguard *g, int64_t now_ms);

void mp_connguard_stats(struct mp_connguard *g, struct mp_connguard_stats *out);

/* Sweep every interval_ms (on the monotonic clock) on a thread of the
 * guard's own, until mp_connguard_stop_sweeper (or mp_connguard_free, which
 * stops it). MP_ENOMEM when no thread can be made. */
enum mp_status mp_connguard_start_sweeper(struct mp_connguard *g, unsigned interval_ms) MP_WUR;
/* Stop the sweeper and wait for it; accepts a guard without one. */
void mp_connguard_stop_sweeper(struct mp_connguard *g);

#endif
