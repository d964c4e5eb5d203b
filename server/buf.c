#include "meldpunt/buf.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/timeutil.h"

#define DEFAULT_MAX ((size_t)256 << 20)

void mp_buf_init(struct mp_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : DEFAULT_MAX;
}

void mp_buf_free(struct mp_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
    b->over = false;
}

void mp_buf_reset(struct mp_buf *b)
{
    b->len = 0;
    b->failed = false;
    b->over = false;
    if (b->data)
        b->data[0] = '\0';
}

char *mp_buf_steal(struct mp_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = b->len;
    if (!d) {
        d = calloc(1, 1);
        if (len)
            *len = 0;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

/* Ensure room for extra bytes plus the terminating NUL. */
static bool reserve(struct mp_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > b->max || b->len > b->max - extra) {
        b->failed = true;
        b->over = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

bool mp_buf_reserve(struct mp_buf *b, size_t extra) { return reserve(b, extra); }

void mp_buf_commit(struct mp_buf *b, char *end)
{
    b->len = (size_t)(end - b->data);
    b->data[b->len] = '\0';
}

void mp_buf_add(struct mp_buf *b, const void *data, size_t len)
{
    if (!reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void mp_buf_adds(struct mp_buf *b, const char *s) { mp_buf_add(b, s, strlen(s)); }

void mp_buf_addc(struct mp_buf *b, char c)
{
    if (!reserve(b, 1))
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void mp_buf_printf(struct mp_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        mp_buf_add(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

enum mp_status mp_buf_status(const struct mp_buf *b)
{
    if (!b->failed)
        return MP_OK;
    return b->over ? MP_ETOOBIG : MP_ENOMEM;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
 * (bad lead byte, truncated, overlong, surrogate, beyond U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        len = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* What each byte needs in a JSON string: 0 copied as is, 1 a two-byte escape
 * (\" \\ \n \r \t), 2 a \u00XX escape (other controls, DEL), 3 the start
 * of a multi-byte UTF-8 sequence (checked), 4 '<' (a following '/' is
 * escaped so that JSON can never close a script element). */
enum { J_PLAIN, J_SHORT, J_U, J_UTF8, J_LT };
static const unsigned char json_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 1, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

void mp_json_strn(struct mp_buf *b, const char *s, size_t n)
{
    static const char replacement[] = "\\ufffd";
    const unsigned char *u = (const unsigned char *)s;
    /* Bytes that are not valid UTF-8 (a message cut mid-character, binary
     * junk echoed from a request) become U+FFFD: the output is always JSON
     * that strict parsers accept. No byte takes more than 6 output bytes, so
     * reserving 6n + 2 makes the single pass below safe; only when that
     * worst case would pass the buffer's bound is the exact size counted
     * first, so that a bounded buffer still takes exactly what fits. */
    if (b->failed)
        return;
    size_t worst = n <= (SIZE_MAX - 2) / 6 ? 6 * n + 2 : SIZE_MAX;
    if (worst > b->max || b->len > b->max - worst) {
        size_t need = 2;
        for (size_t i = 0; i < n;) {
            unsigned char c = u[i];
            switch (json_class[c]) {
            case J_UTF8: {
                size_t len = utf8_seq(u + i, n - i);
                need += len ? len : sizeof replacement - 1;
                i += len ? len : 1;
                continue;
            }
            case J_SHORT: need += 2; break;
            case J_U: need += 6; break;
            case J_LT:
                if (i + 1 < n && u[i + 1] == '/') {
                    need += 7;
                    i++;
                } else {
                    need += 1;
                }
                break;
            default: need += 1;
            }
            i++;
        }
        worst = need;
    }
    if (!reserve(b, worst))
        return;
    mp_buf_commit(b, mp_json_put_strn(b->data + b->len, s, n));
}

char *mp_json_put_strn(char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    static const char replacement[] = "\\ufffd";
    const unsigned char *u = (const unsigned char *)s;
    *o++ = '"';
    size_t i = 0;
    for (;;) {
        /* Runs of plain bytes (nearly all of a map page) are copied whole. */
        size_t from = i;
        while (i < n && json_class[u[i]] == J_PLAIN)
            i++;
        memcpy(o, s + from, i - from);
        o += i - from;
        if (i == n)
            break;
        unsigned char c = u[i];
        switch (json_class[c]) {
        case J_UTF8: {
            size_t len = utf8_seq(u + i, n - i);
            if (len) {
                memcpy(o, s + i, len);
                o += len;
                i += len;
            } else {
                memcpy(o, replacement, sizeof replacement - 1);
                o += sizeof replacement - 1;
                i++;
            }
            continue;
        }
        case J_SHORT:
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
            break;
        case J_LT:
            *o++ = '<';
            if (i + 1 < n && u[i + 1] == '/') {
                memcpy(o, "\\u002f", 6);
                o += 6;
                i++;
            }
            break;
        default: /* J_U */
            *o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0';
            *o++ = hex[c >> 4]; *o++ = hex[c & 15];
        }
        i++;
    }
    *o++ = '"';
    return o;
}

void mp_json_str(struct mp_buf *b, const char *s)
{
    if (!s) {
        mp_buf_add(b, "null", 4);
        return;
    }
    mp_json_strn(b, s, strlen(s));
}

char *mp_json_put_int(char *o, int64_t v)
{
    char tmp[24], *t = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--t = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--t = '-';
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(o, t, n);
    return o + n;
}

/* The checked writers format into a local buffer and append exactly what
 * was written, so that a bounded buffer takes whatever fits (open311.c
 * formats numbers into a 64-byte buffer). */
void mp_json_int(struct mp_buf *b, int64_t v)
{
    char tmp[MP_JSON_INT_MAX];
    mp_buf_add(b, tmp, (size_t)(mp_json_put_int(tmp, v) - tmp));
}

char *mp_json_put_num(char *o, double v, int decimals)
{
    static const int64_t pow10[] = {1,         10,         100,         1000,
                                    10000,     100000,     1000000,     10000000,
                                    100000000, 1000000000, 10000000000, 100000000000,
                                    1000000000000};
    char tmp[MP_JSON_NUM_MAX];
    decimals = decimals < 0 ? 0 : decimals > 12 ? 12 : decimals;
    if (v != v || v > 1e300 || v < -1e300) { /* NaN/inf are not JSON */
        memcpy(o, "null", 4);
        return o + 4;
    }
    /* Fast path (coordinates, distances): fixed point in integers, since
     * printf's float conversion dominated the cost of a map page. Exact for
     * |v| * 10^decimals below 2^53. */
    double scaled = v * (double)pow10[decimals];
    if (scaled > -9.0e15 && scaled < 9.0e15) {
        /* nearbyint rounds half to even, as printf does for exact halves. */
        int64_t n = (int64_t)nearbyint(scaled);
        char *t = tmp + sizeof tmp;
        bool neg = n < 0;
        uint64_t u = neg ? (uint64_t)(-n) : (uint64_t)n;
        uint64_t ip = u / (uint64_t)pow10[decimals], fp = u % (uint64_t)pow10[decimals];
        int digits = decimals;
        while (digits > 0 && fp % 10 == 0) { /* trailing zeros trimmed */
            fp /= 10;
            digits--;
        }
        if (digits > 0) {
            for (int i = 0; i < digits; i++) {
                *--t = (char)('0' + fp % 10);
                fp /= 10;
            }
            *--t = '.';
        }
        do {
            *--t = (char)('0' + ip % 10);
            ip /= 10;
        } while (ip);
        if (neg && u != 0)
            *--t = '-';
        size_t len = (size_t)(tmp + sizeof tmp - t);
        memcpy(o, t, len);
        return o + len;
    }
    int n = snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    if (n <= 0 || (size_t)n >= sizeof tmp) {
        memcpy(o, "null", 4);
        return o + 4;
    }
    size_t len = (size_t)n;
    if (memchr(tmp, '.', len)) {
        while (len > 0 && tmp[len - 1] == '0')
            len--;
        if (len > 0 && tmp[len - 1] == '.')
            len--;
    }
    if (len == 2 && tmp[0] == '-' && tmp[1] == '0')
        len = 1, tmp[0] = '0';
    memcpy(o, tmp, len);
    return o + len;
}

void mp_json_num(struct mp_buf *b, double v, int decimals)
{
    char tmp[MP_JSON_NUM_MAX];
    mp_buf_add(b, tmp, (size_t)(mp_json_put_num(tmp, v, decimals) - tmp));
}

char *mp_json_put_coord(char *o, double lon, double lat)
{
    *o++ = '[';
    o = mp_json_put_num(o, lon, 7);
    *o++ = ',';
    o = mp_json_put_num(o, lat, 7);
    *o++ = ']';
    return o;
}

void mp_json_coord(struct mp_buf *b, double lon, double lat)
{
    char tmp[MP_JSON_COORD_MAX];
    mp_buf_add(b, tmp, (size_t)(mp_json_put_coord(tmp, lon, lat) - tmp));
}

void mp_json_bool(struct mp_buf *b, bool v) { mp_buf_adds(b, v ? "true" : "false"); }

char *mp_json_put_time(char *o, int64_t t)
{
    /* mp_time_format writes exactly 20 characters (years clamped to
     * 0-9999) and a NUL, which the closing quote overwrites. */
    *o++ = '"';
    mp_time_format(t, o, 21);
    o += 20;
    *o++ = '"';
    return o;
}

void mp_json_time(struct mp_buf *b, int64_t t)
{
    char tmp[MP_JSON_TIME_MAX];
    mp_buf_add(b, tmp, (size_t)(mp_json_put_time(tmp, t) - tmp));
}

void mp_json_key(struct mp_buf *b, const char *key, bool first)
{
    if (!first)
        mp_buf_addc(b, ',');
    mp_json_str(b, key);
    mp_buf_addc(b, ':');
}
