/* status.h - return codes and client-facing error text shared by every module.
 *
 * Functions return enum mp_status and hand results back through out-params.
 * A message meant for the client travels in struct mp_error (bounded, like
 * jansson's json_error_t); library error codes (SQLite, PROJ) are translated
 * inside their module and never travel up.
 */
#ifndef MELDPUNT_STATUS_H
#define MELDPUNT_STATUS_H

#include <stddef.h>

#define MP_WUR __attribute__((warn_unused_result))

enum mp_status {
    MP_OK = 0,
    MP_ENOMEM,     /* allocation failed */
    MP_EINVAL,     /* input failed validation; err says which field and why */
    MP_ENOTFOUND,  /* the thing asked for does not exist */
    MP_ECONFLICT,  /* the request clashes with current state (e.g. bad transition) */
    MP_ETOOBIG,    /* input larger than its bound */
    MP_EDB,        /* storage failed; err never carries SQL */
    MP_EUNAVAIL,   /* temporarily unable to write (disk full, read-only): retry later */
    MP_EIO,        /* file or system error */
    MP_EAUTH,      /* no or invalid credentials */
    MP_EFORBIDDEN, /* credentials valid but not allowed */
    MP_EUNSUPPORTED, /* the operation is not implemented here (the storage engine lacks it): 501 */
    MP_EMEDIATYPE, /* the request's media type or a file's format is not supported: 415 */
    MP_EMETHOD,    /* the resource exists but not with this method */
    MP_ERATE,      /* rate limit exceeded: retry later */
    MP_PENDING,    /* not an error: the answer comes later (see http.h, struct mp_async) */
};

/* A bounded, client-safe error message plus a stable machine-readable code
 * ("invalid_json", "out_of_area", ...). Both are always NUL-terminated. */
struct mp_error {
    char code[40];
    char text[160];
};

/* Fill err (may be NULL) with code and a printf-style message; truncates
 * safely. Returns st so that callers can write `return mp_fail(...)`. */
enum mp_status mp_fail(struct mp_error *err, enum mp_status st, const char *code,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Static name of a status ("ok", "enomem", ...); never NULL. */
const char *mp_status_name(enum mp_status st);

#endif
