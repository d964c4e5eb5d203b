/* accesslog.h - one JSON line per request on stdout, and request ids.
 *
 * A line holds: time (UTC, milliseconds), request id, method, route (the
 * pattern that answered, such as "/api/v1/reports/{id}", never the raw path
 * nor a query value: both may carry personal data or an attacker's bytes),
 * status, bytes of the body sent, duration in milliseconds. No client
 * address either: limits see it, the log does not keep it.
 *
 * Thread-safety: all functions are reentrant; a line goes out in one
 * write(), so lines of different threads never interleave.
 */
#ifndef MELDPUNT_ACCESSLOG_H
#define MELDPUNT_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Room for a request id, NUL included: a client's id is at most 64 bytes. */
#define MP_REQUEST_ID_MAX 65
/* Room for a whole line. */
#define MP_ACCESSLOG_LINE_MAX 512

struct mp_accesslog_entry {
    int64_t time_ms;        /* Unix time in milliseconds when the request came in */
    const char *request_id; /* valid (mp_accesslog_id_valid) */
    const char *method;     /* as sent; escaped and cut at 16 bytes */
    const char *route;      /* a static pattern, "(static)" or "(unmatched)" */
    int status;
    uint64_t bytes; /* body bytes sent */
    double duration_ms;
};

/* Whether a client's X-Request-Id can be echoed and logged: 1-64 bytes of
 * letters, digits and "-_.:+=/@". */
bool mp_accesslog_id_valid(const char *id);
/* A new id of 24 lower-case hex digits (96 random bits) into out
 * (cap >= 25). */
void mp_accesslog_id_new(char *out, size_t cap);

/* The line for e, newline included, into out; its length, or 0 when it
 * does not fit. */
size_t mp_accesslog_format(const struct mp_accesslog_entry *e, char *out, size_t cap);
/* Write the line to fd whole (retrying on EINTR and short writes). */
void mp_accesslog_write(int fd, const char *line, size_t len);

/* One request's record, kept by the HTTP layer from the request line to
 * the last byte of the answer. */
struct mp_accesslog_req {
    struct timespec t0; /* monotonic */
    int64_t t0_wall_ms; /* Unix time in ms */
    char id[MP_REQUEST_ID_MAX];
    int status;     /* the HTTP code queued; 0 = none */
    uint64_t bytes; /* body bytes handed out */
};
/* Start the record now, with no id yet. */
void mp_accesslog_begin(struct mp_accesslog_req *r);
/* The request's id: the client's X-Request-Id (may be NULL) when valid,
 * else a new one. */
void mp_accesslog_set_id(struct mp_accesslog_req *r, const char *client_id);
/* Seconds since mp_accesslog_begin. */
double mp_accesslog_seconds(const struct mp_accesslog_req *r);
/* Write the request's line to stdout (route: a static pattern, or NULL
 * for "(unmatched)"). */
void mp_accesslog_end(const struct mp_accesslog_req *r, const char *method, const char *route);

#endif
