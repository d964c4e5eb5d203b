/* proxy.c - see proxy.h. */
#include "meldpunt/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_space(char c) { return c == ' ' || c == '\t'; }

void mp_proxy_sockaddr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    const void *a = NULL;
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (a && !inet_ntop(sa->sa_family, a, out, (socklen_t)cap))
        out[0] = '\0';
}

bool mp_proxy_addr_parse(const char *s, size_t len, unsigned char out[16])
{
    char buf[MP_PROXY_ADDR_MAX];
    struct in_addr a4;
    while (len && is_space(*s))
        s++, len--;
    while (len && is_space(s[len - 1]))
        len--;
    if (len && s[0] == '[') {
        /* "[v6]" or "[v6]:port" */
        const char *close = memchr(s, ']', len);
        if (!close)
            return false;
        size_t after = len - (size_t)(close - s) - 1;
        if (after && (close[1] != ':' || after < 2 || strspn(close + 2, "0123456789") < after - 1))
            return false;
        len = (size_t)(close - s) - 1;
        s++;
    } else if (len && memchr(s, '.', len)) {
        /* "a.b.c.d:port": one colon after an IPv4 address */
        const char *colon = memchr(s, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
            len = (size_t)(colon - s);
    }
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool is_mapped(const unsigned char a[16])
{
    static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, prefix, 12) == 0;
}

static void addr_text(const unsigned char a[16], char *out, size_t cap)
{
    const char *ok = is_mapped(a) ? inet_ntop(AF_INET, a + 12, out, (socklen_t)cap)
                                  : inet_ntop(AF_INET6, a, out, (socklen_t)cap);
    if (!ok && cap)
        out[0] = '\0';
}

enum mp_status mp_proxy_parse(const char *spec, struct mp_proxy_list *out, struct mp_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = spec ? spec : "";
    while (*p) {
        size_t n = strcspn(p, ", \t");
        if (n == 0) {
            p++;
            continue;
        }
        const char *slash = memchr(p, '/', n);
        size_t alen = slash ? (size_t)(slash - p) : n;
        struct mp_proxy_net net = {{0}, 0};
        if (out->n >= MP_PROXY_MAX)
            return mp_fail(err, MP_EINVAL, "config",
                           "MELDPUNT_TRUSTED_PROXIES lists more than %d networks", MP_PROXY_MAX);
        /* Plain addresses only: no brackets, no ports. */
        char text[MP_PROXY_ADDR_MAX];
        struct in_addr a4;
        bool ok = alen > 0 && alen < sizeof text, v4 = false;
        if (ok) {
            memcpy(text, p, alen);
            text[alen] = '\0';
            v4 = inet_pton(AF_INET, text, &a4) == 1;
            ok = v4 || inet_pton(AF_INET6, text, net.addr) == 1;
        }
        if (v4) {
            net.addr[10] = net.addr[11] = 0xff;
            memcpy(net.addr + 12, &a4, 4);
        }
        unsigned max = v4 ? 32 : 128;
        unsigned bits = max;
        if (ok && slash) {
            size_t dl = n - alen - 1;
            char *end = NULL;
            char num[8];
            ok = dl > 0 && dl < sizeof num && strspn(slash + 1, "0123456789") >= dl;
            if (ok) {
                memcpy(num, slash + 1, dl);
                num[dl] = '\0';
                unsigned long v = strtoul(num, &end, 10);
                ok = *end == '\0' && v <= max;
                bits = (unsigned)v;
            }
        }
        if (!ok)
            return mp_fail(err, MP_EINVAL, "config",
                           "MELDPUNT_TRUSTED_PROXIES: '%.*s' is not an address or a network "
                           "(e.g. 10.0.0.0/8, fd00::/8)",
                           (int)(n > 60 ? 60 : n), p);
        net.bits = max == 32 ? bits + 96 : bits;
        out->nets[out->n++] = net;
        p += n;
    }
    return MP_OK;
}

static bool in_net(const struct mp_proxy_net *net, const unsigned char a[16])
{
    unsigned full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (a[full] & mask);
}

static bool trusted_bin(const struct mp_proxy_list *l, const unsigned char a[16])
{
    for (size_t i = 0; l && i < l->n; i++)
        if (in_net(&l->nets[i], a))
            return true;
    return false;
}

bool mp_proxy_trusted(const struct mp_proxy_list *l, const char *ip)
{
    unsigned char a[16];
    return l && l->n && ip && mp_proxy_addr_parse(ip, strlen(ip), a) && trusted_bin(l, a);
}

bool mp_proxy_is_loopback(const char *ip)
{
    static const unsigned char one[16] = {[15] = 1};
    unsigned char a[16];
    if (!ip || !mp_proxy_addr_parse(ip, strlen(ip), a))
        return false;
    return (is_mapped(a) && a[12] == 127) || memcmp(a, one, 16) == 0;
}

bool mp_proxy_host_ok(const char *s, size_t len)
{
    size_t i = 0;
    if (len == 0 || len >= MP_PROXY_HOST_MAX)
        return false;
    if (s[0] == '[') {
        unsigned char a[16];
        const char *close = memchr(s, ']', len);
        if (!close || !mp_proxy_addr_parse(s, (size_t)(close - s) + 1, a))
            return false;
        i = (size_t)(close - s) + 1;
    } else {
        for (; i < len && s[i] != ':'; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                  (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
                return false;
        if (i == 0)
            return false;
    }
    if (i == len)
        return true;
    /* ":port", 1-5 digits, at most 65535 */
    size_t digits = len - i - 1;
    if (s[i] != ':' || digits == 0 || digits > 5)
        return false;
    unsigned long port = 0;
    for (size_t k = i + 1; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return false;
        port = port * 10 + (unsigned long)(s[k] - '0');
    }
    return port <= 65535;
}

/* The last comma-separated item of s (trimmed) as [*start, +*len); false for
 * an empty list. */
static bool last_item(const char *s, const char **start, size_t *len)
{
    if (!s)
        return false;
    const char *comma = strrchr(s, ',');
    const char *b = comma ? comma + 1 : s;
    size_t n = strlen(b);
    while (n && is_space(*b))
        b++, n--;
    while (n && is_space(b[n - 1]))
        n--;
    *start = b;
    *len = n;
    return n > 0;
}

static void set_proto(struct mp_proxy_view *v, const char *s, size_t n)
{
    if (n == 5 && strncasecmp(s, "https", 5) == 0)
        memcpy(v->proto, "https", sizeof "https");
    else if (n == 4 && strncasecmp(s, "http", 4) == 0)
        memcpy(v->proto, "http", sizeof "http");
}

static void set_host(struct mp_proxy_view *v, const char *s, size_t n)
{
    if (mp_proxy_host_ok(s, n)) {
        memcpy(v->host, s, n);
        v->host[n] = '\0';
    }
}

/* X-Forwarded-For: walk the items right to left. */
static void walk_xff(const struct mp_proxy_list *l, const char *xff, struct mp_proxy_view *v)
{
    const char *end = xff + strlen(xff);
    while (end > xff) {
        const char *b = end;
        while (b > xff && b[-1] != ',')
            b--;
        unsigned char a[16];
        if (!mp_proxy_addr_parse(b, (size_t)(end - b), a))
            return;
        addr_text(a, v->client, sizeof v->client);
        if (!trusted_bin(l, a))
            return;
        end = b > xff ? b - 1 : b;
    }
}

/* One Forwarded element's for=, proto= and host= values (quotes removed);
 * pairs are separated by ';'. Values are copied into bounded buffers. */
struct fwd_elem {
    char for_[MP_PROXY_HOST_MAX], proto[8], host[MP_PROXY_HOST_MAX];
    bool has_for;
};

static void copy_value(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        s++, n -= 2;
    if (n >= cap)
        n = 0; /* too long to be anything we accept */
    memcpy(out, s, n);
    out[n] = '\0';
}

static void parse_elem(const char *s, size_t len, struct fwd_elem *e)
{
    memset(e, 0, sizeof *e);
    size_t i = 0;
    while (i < len) {
        size_t b = i;
        bool quoted = false;
        while (i < len && (quoted || s[i] != ';')) {
            if (s[i] == '"')
                quoted = !quoted;
            i++;
        }
        const char *pair = s + b;
        size_t n = i - b;
        while (n && is_space(*pair))
            pair++, n--;
        while (n && is_space(pair[n - 1]))
            n--;
        const char *eq = memchr(pair, '=', n);
        if (eq) {
            size_t kl = (size_t)(eq - pair), vl = n - kl - 1;
            if (kl == 3 && strncasecmp(pair, "for", 3) == 0) {
                copy_value(eq + 1, vl, e->for_, sizeof e->for_);
                e->has_for = true;
            } else if (kl == 5 && strncasecmp(pair, "proto", 5) == 0) {
                copy_value(eq + 1, vl, e->proto, sizeof e->proto);
            } else if (kl == 4 && strncasecmp(pair, "host", 4) == 0) {
                copy_value(eq + 1, vl, e->host, sizeof e->host);
            }
        }
        i++; /* past ';' */
    }
}

/* Forwarded: walk the elements right to left; the scheme and host are those
 * of the element that named the client (the request as the first trusted
 * proxy received it). */
static void walk_forwarded(const struct mp_proxy_list *l, const char *fwd, struct mp_proxy_view *v)
{
    size_t len = strlen(fwd);
    size_t end = len;
    while (end > 0) {
        /* find the start of the last element before end, skipping commas
         * inside quotes */
        size_t b = end;
        bool quoted = false;
        while (b > 0 && (quoted || fwd[b - 1] != ',')) {
            if (fwd[b - 1] == '"')
                quoted = !quoted;
            b--;
        }
        struct fwd_elem e;
        unsigned char a[16];
        parse_elem(fwd + b, end - b, &e);
        if (!e.has_for || !mp_proxy_addr_parse(e.for_, strlen(e.for_), a))
            return;
        addr_text(a, v->client, sizeof v->client);
        v->proto[0] = v->host[0] = '\0';
        set_proto(v, e.proto, strlen(e.proto));
        set_host(v, e.host, strlen(e.host));
        if (!trusted_bin(l, a))
            return;
        end = b > 0 ? b - 1 : 0;
    }
}

void mp_proxy_public_base(const char *public_url, const struct mp_proxy_view *v,
                          const char *proxy_host, const char *listen_host, unsigned listen_port,
                          char *out, size_t cap)
{
    int n;
    if (public_url && public_url[0]) {
        n = snprintf(out, cap, "%s", public_url);
    } else if (v && v->via_proxy &&
               (v->host[0] || (proxy_host && mp_proxy_host_ok(proxy_host, strlen(proxy_host))))) {
        n = snprintf(out, cap, "%s://%s", v->proto[0] ? v->proto : "http",
                     v->host[0] ? v->host : proxy_host);
    } else {
        bool any = !listen_host || !listen_host[0] || strcmp(listen_host, "0.0.0.0") == 0;
        n = snprintf(out, cap, "http://%s:%u", any ? "127.0.0.1" : listen_host, listen_port);
    }
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0';
}

void mp_proxy_resolve(const struct mp_proxy_list *l, const char *peer,
                      const struct mp_proxy_headers *hdr, struct mp_proxy_view *out)
{
    unsigned char a[16];
    memset(out, 0, sizeof *out);
    if (!peer || !mp_proxy_addr_parse(peer, strlen(peer), a)) {
        /* Not an address (no socket family we know): kept as text, cut. */
        if (snprintf(out->client, sizeof out->client, "%s", peer ? peer : "") < 0)
            out->client[0] = '\0';
        return;
    }
    addr_text(a, out->client, sizeof out->client);
    if (!l || !l->n || !trusted_bin(l, a) || !hdr)
        return;
    out->via_proxy = true;
    const char *s;
    size_t n;
    if (hdr->x_forwarded_for) {
        walk_xff(l, hdr->x_forwarded_for, out);
        /* The right-most value is the one our peer wrote. */
        if (last_item(hdr->x_forwarded_proto, &s, &n))
            set_proto(out, s, n);
        if (last_item(hdr->x_forwarded_host, &s, &n))
            set_host(out, s, n);
    } else if (hdr->forwarded) {
        walk_forwarded(l, hdr->forwarded, out);
    } else {
        if (last_item(hdr->x_forwarded_proto, &s, &n))
            set_proto(out, s, n);
        if (last_item(hdr->x_forwarded_host, &s, &n))
            set_host(out, s, n);
    }
}
