/* proxy.h - trusted reverse proxies (MELDPUNT_TRUSTED_PROXIES) and what a
 * request says about its client when it came through them: the client's
 * address (X-Forwarded-For, or RFC 7239 Forwarded), the scheme and the host
 * the client asked for (X-Forwarded-Proto / -Host, or Forwarded's proto= and
 * host=).
 *
 * Nothing a request carries is believed unless the peer that sent it is a
 * trusted proxy. Through a chain of proxies the client is the right-most
 * address that is not a trusted proxy: every proxy appends the address it saw,
 * so everything left of that is the client's own text and could be anything.
 *
 * X-Forwarded-For wins over Forwarded when both came: a proxy appends to one of
 * them and passes the other through from the client untouched, so reading the
 * other would let a client choose its own address. A proxy that writes only
 * Forwarded must drop X-Forwarded-For (README "Security").
 *
 * Pure functions, no allocation; thread-safe (the list is read-only once
 * parsed).
 */
#ifndef MELDPUNT_PROXY_H
#define MELDPUNT_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/status.h"

#define MP_PROXY_MAX 32      /* networks in the trusted list */
#define MP_PROXY_ADDR_MAX 64 /* an address as text, NUL included (IPv6 is <= 46) */
#define MP_PROXY_HOST_MAX 256

/* One trusted network: an address and the number of leading bits that must
 * match. IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d, 96 + n bits). */
struct mp_proxy_net {
    unsigned char addr[16];
    unsigned bits;
};

struct mp_proxy_list {
    struct mp_proxy_net nets[MP_PROXY_MAX];
    size_t n;
};

/* What the HTTP layer found in a request head; every field may be NULL. When
 * a header came several times, its values are joined with ", " in order. */
struct mp_proxy_headers {
    const char *x_forwarded_for;
    const char *forwarded;
    const char *x_forwarded_proto;
    const char *x_forwarded_host;
};

/* Who asked, as far as the server can tell. */
struct mp_proxy_view {
    char client[MP_PROXY_ADDR_MAX]; /* canonical text: IPv4 dotted, IPv6 RFC 5952 */
    char proto[8];                  /* "http" or "https" a trusted proxy named; else "" */
    char host[MP_PROXY_HOST_MAX];   /* host[:port] a trusted proxy named; else "" */
    bool via_proxy;                 /* the peer is a trusted proxy */
};

/* Parse spec, a list of IPv4 or IPv6 addresses and CIDR networks separated
 * by commas or spaces ("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8"), into out. An
 * empty spec gives an empty list (no proxy trusted). MP_EINVAL with a
 * message naming the bad item, "config" code. */
enum mp_status mp_proxy_parse(const char *spec, struct mp_proxy_list *out,
                              struct mp_error *err) MP_WUR;

/* Parse an IPv4 or IPv6 address (also "[v6]", "[v6]:port" and
 * "a.b.c.d:port") of len bytes into 16 bytes (IPv4 as IPv4-mapped IPv6). */
bool mp_proxy_addr_parse(const char *s, size_t len, unsigned char out[16]);

struct sockaddr;

/* A socket address as text into out (IPv4 dotted, IPv6 RFC 5952); "" for
 * NULL or another family. */
void mp_proxy_sockaddr_text(const struct sockaddr *sa, char *out, size_t cap);

/* Whether the address text ip is inside one of the list's networks. */
bool mp_proxy_trusted(const struct mp_proxy_list *l, const char *ip);

/* The client behind a request from peer (the socket's address as text):
 * peer itself unless peer is trusted, else the right-most untrusted address
 * of the forwarding chain (hdr); the scheme and host only from a trusted
 * proxy and only when well-formed. An entry that is not an address ends the
 * walk at the last hop that was one. */
void mp_proxy_resolve(const struct mp_proxy_list *l, const char *peer,
                      const struct mp_proxy_headers *hdr, struct mp_proxy_view *out);

/* A request's public base URL ("scheme://host[:port][/path]", no trailing
 * slash) into out, for absolute links: public_url when configured (""
 * otherwise); else the scheme and host a trusted proxy named (v from
 * mp_proxy_resolve), the host falling back to proxy_host, the Host header the
 * trusted proxy sent (pass NULL when the peer is not one); else
 * "http://listen_host:listen_port" (127.0.0.1 for 0.0.0.0). Never the Host
 * of a client that is not a trusted proxy. cap >= 1; out is "" when cap is
 * too small. */
void mp_proxy_public_base(const char *public_url, const struct mp_proxy_view *v,
                          const char *proxy_host, const char *listen_host, unsigned listen_port,
                          char *out, size_t cap);

/* Whether the address text ip is a loopback address (127.0.0.0/8, ::1, or
 * IPv4-mapped 127/8). */
bool mp_proxy_is_loopback(const char *ip);

/* Whether s (len bytes) is a plausible host[:port]: letters, digits, '.',
 * '-', '_' or a bracketed IPv6 address, then an optional numeric port. */
bool mp_proxy_host_ok(const char *s, size_t len);

#endif
