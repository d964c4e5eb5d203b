#include "meldpunt/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum mp_status mp_fail(struct mp_error *err, enum mp_status st, const char *code,
                       const char *fmt, ...)
{
    if (!err)
        return st;
    snprintf(err->code, sizeof err->code, "%s", code ? code : "error");
    va_list ap;
    va_start(ap, fmt);
    /* Truncation is acceptable here: the text is bounded by design. */
    int n = vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        err->text[0] = '\0';
    return st;
}

const char *mp_status_name(enum mp_status st)
{
    switch (st) {
    case MP_OK: return "ok";
    case MP_ENOMEM: return "enomem";
    case MP_EINVAL: return "einval";
    case MP_ENOTFOUND: return "enotfound";
    case MP_ECONFLICT: return "econflict";
    case MP_ETOOBIG: return "etoobig";
    case MP_EDB: return "edb";
    case MP_EUNAVAIL: return "eunavail";
    case MP_EIO: return "eio";
    case MP_EAUTH: return "eauth";
    case MP_EFORBIDDEN: return "eforbidden";
    case MP_EUNSUPPORTED: return "eunsupported";
    case MP_EMEDIATYPE: return "emediatype";
    case MP_EMETHOD: return "emethod";
    case MP_ERATE: return "erate";
    case MP_PENDING: return "pending";
    }
    return "unknown";
}
