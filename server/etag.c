/* etag.c - strong entity tags (etag.h). */
#include "meldpunt/etag.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

uint64_t mp_etag_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* cap below MP_ETAG_MAX leaves no tag rather than half of one. */
static void fit(int n, char *out, size_t cap)
{
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0';
}

void mp_etag_body(const void *data, size_t len, char *out, size_t cap)
{
    fit(snprintf(out, cap, "\"%016" PRIx64 "\"", mp_etag_hash(MP_ETAG_SEED, data, len)), out, cap);
}

void mp_etag_version(uint64_t salt, const char *key, int64_t version, char *out, size_t cap)
{
    uint64_t h = mp_etag_hash(MP_ETAG_SEED, &salt, sizeof salt);
    h = mp_etag_hash(h, key, strlen(key));
    fit(snprintf(out, cap, "\"%016" PRIx64 "-%" PRId64 "\"", h, version), out, cap);
}

void mp_etag_gzip(const char *etag, char *out, size_t cap)
{
    size_t n = strlen(etag);
    out[0] = '\0';
    if (n < 2 || etag[0] != '"' || etag[n - 1] != '"')
        return;
    static const char tail[] = "-gz\"";
    if (n - 1 + sizeof tail > cap)
        return; /* does not fit: no tag rather than a cut one */
    memcpy(out, etag, n - 1);
    memcpy(out + n - 1, tail, sizeof tail);
}

/* Whether the opaque tag [s, s+n) (quotes included) equals etag. */
static bool same(const char *s, size_t n, const char *etag)
{
    return strlen(etag) == n && memcmp(s, etag, n) == 0;
}

bool mp_etag_match(const char *inm, const char *etag)
{
    char gz[MP_ETAG_MAX];
    if (!inm || !etag || !etag[0])
        return false;
    mp_etag_gzip(etag, gz, sizeof gz);
    const char *p = inm;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return false;
        if (*p == '*')
            return true;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"') {
            /* Not a tag: skip to the next element. */
            p += strcspn(p, ",");
            continue;
        }
        const char *end = strchr(p + 1, '"');
        if (!end)
            return false;
        size_t n = (size_t)(end - p) + 1;
        if (same(p, n, etag) || (gz[0] && same(p, n, gz)))
            return true;
        p = end + 1;
    }
}
