/* accesslog.c - JSON access-log lines and request ids (accesslog.h). */
#include "meldpunt/accesslog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

bool mp_accesslog_id_valid(const char *id)
{
    size_t n = 0;
    if (!id)
        return false;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("-_.:+=/@", c) != NULL;
        if (!ok || n >= MP_REQUEST_ID_MAX - 1)
            return false;
    }
    return n > 0;
}

void mp_accesslog_id_new(char *out, size_t cap)
{
    unsigned char r[12];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            /* No entropy source: time and the address of a local still
             * make ids that differ within the process. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
            memcpy(r, &t, sizeof t);
            uintptr_t a = (uintptr_t)&ts;
            memcpy(r + 8, &a, 4);
            break;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    if (cap < 2 * sizeof r + 1) {
        if (cap)
            out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[2 * sizeof r] = '\0';
}

/* s as a JSON string of at most max bytes of it: only printable ASCII is
 * kept as it is, anything else becomes "?" (methods and routes are ASCII;
 * this keeps a hostile method from breaking the line). */
static size_t put_str(char *o, size_t cap, const char *s, size_t max)
{
    size_t n = 0;
    if (cap < 3)
        return 0;
    o[n++] = '"';
    for (size_t i = 0; s && s[i] && i < max && n + 3 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            o[n++] = '\\';
            o[n++] = (char)c;
        } else {
            o[n++] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
        }
    }
    o[n++] = '"';
    o[n] = '\0';
    return n;
}

size_t mp_accesslog_format(const struct mp_accesslog_entry *e, char *out, size_t cap)
{
    char method[40], route[160], when[32];
    time_t sec = (time_t)(e->time_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    if (!strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm))
        when[0] = '\0';
    put_str(method, sizeof method, e->method, 16);
    put_str(route, sizeof route, e->route, 120);
    double ms = e->duration_ms < 0 ? 0 : e->duration_ms;
    int n = snprintf(out, cap,
                     "{\"time\":\"%s.%03dZ\",\"request_id\":\"%s\",\"method\":%s,\"route\":%s,"
                     "\"status\":%d,\"bytes\":%" PRIu64 ",\"duration_ms\":%.3f}\n",
                     when, (int)(e->time_ms % 1000), e->request_id, method, route, e->status,
                     e->bytes, ms);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

void mp_accesslog_write(int fd, const char *line, size_t len)
{
    while (len) {
        ssize_t n = write(fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a closed or broken log loses lines, never requests */
        line += n;
        len -= (size_t)n;
    }
}

void mp_accesslog_begin(struct mp_accesslog_req *r)
{
    memset(r, 0, sizeof *r);
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    r->t0_wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
}

void mp_accesslog_set_id(struct mp_accesslog_req *r, const char *client_id)
{
    if (mp_accesslog_id_valid(client_id)) /* at most MP_REQUEST_ID_MAX - 1 bytes */
        memcpy(r->id, client_id, strlen(client_id) + 1);
    else
        mp_accesslog_id_new(r->id, sizeof r->id);
}

double mp_accesslog_seconds(const struct mp_accesslog_req *r)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - r->t0.tv_sec) + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e9;
}

void mp_accesslog_end(const struct mp_accesslog_req *r, const char *method, const char *route)
{
    struct mp_accesslog_entry e = {
        .time_ms = r->t0_wall_ms,
        .request_id = r->id,
        .method = method ? method : "",
        .route = route ? route : "(unmatched)",
        .status = r->status,
        .bytes = r->bytes,
        .duration_ms = mp_accesslog_seconds(r) * 1000.0,
    };
    char line[MP_ACCESSLOG_LINE_MAX];
    size_t n = mp_accesslog_format(&e, line, sizeof line);
    if (n)
        mp_accesslog_write(STDOUT_FILENO, line, n);
}
