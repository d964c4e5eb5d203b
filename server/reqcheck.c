/* reqcheck.c - see reqcheck.h. */
#include "meldpunt/reqcheck.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static int hex_value(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool mp_reqcheck_path_control(const char *target)
{
    for (const unsigned char *p = (const unsigned char *)target; *p && *p != '?'; p++) {
        int v = *p;
        if (*p == '%' && hex_value(p[1]) >= 0 && hex_value(p[2]) >= 0)
            v = hex_value(p[1]) * 16 + hex_value(p[2]);
        if (v < 0x20 || v == 0x7f)
            return true;
    }
    return false;
}

const char *mp_reqcheck_cors(const char *list, const char *origin)
{
    size_t n = origin ? strlen(origin) : 0;
    if (!n || !list || !list[0])
        return NULL;
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ')
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        if ((len == n && strncmp(p, origin, n) == 0) || (len == 1 && *p == '*'))
            return origin;
        p = end ? end + 1 : p + len;
    }
    return NULL;
}

bool mp_reqcheck_json_type(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
            strncasecmp(ct + n - 5, "+json", 5) == 0);
}

/* The "host[:port]" part of an origin or URL ("https://a.example:8443/x"). */
static const char *authority(const char *url, size_t *len)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    *len = strcspn(p, "/?#");
    return p;
}

static bool same_origin(const struct mp_reqcheck_write *w)
{
    size_t ol, bl;
    const char *oa = authority(w->origin, &ol);
    size_t scheme_len = (size_t)(oa - w->origin);
    if (w->public_base && w->public_base[0]) {
        const char *ba = authority(w->public_base, &bl);
        if (ol == bl && strncasecmp(oa, ba, ol) == 0 &&
            (size_t)(ba - w->public_base) == scheme_len &&
            strncasecmp(w->origin, w->public_base, scheme_len) == 0)
            return true;
    }
    return w->host && strlen(w->host) == ol && strncasecmp(oa, w->host, ol) == 0;
}

bool mp_reqcheck_cross_site(const struct mp_reqcheck_write *w)
{
    if (mp_reqcheck_json_type(w->content_type) || mp_reqcheck_cors(w->cors_list, w->origin) ||
        w->has_api_key)
        return false;
    if (w->sec_fetch_site)
        return strcasecmp(w->sec_fetch_site, "same-origin") != 0 &&
               strcasecmp(w->sec_fetch_site, "none") != 0;
    return w->origin && !same_origin(w);
}
