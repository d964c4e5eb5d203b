/* httpcache.h - what a GET answer gets on its way out, between the handler
 * and the wire: a strong ETag (the handler's, or one of its bytes), 304 for
 * a matching If-None-Match, and gzip when the client takes it. Knows the
 * struct mp_response only, not libmicrohttpd: http.c calls it.
 *
 * The router calls it after a handler (libmicrohttpd is not needed here).
 *
 * Compressed bodies are kept in a small cache of their own keyed by the
 * answer's strong tag (the same tag is the same bytes), so that an answer
 * asked for again is compressed once and then sent with sendfile.
 *
 * Ownership: the cache of compressed bodies is the caller's (app.h).
 * Thread-safety: mp_httpcache_apply may run on many threads at once.
 */
#ifndef MELDPUNT_HTTPCACHE_H
#define MELDPUNT_HTTPCACHE_H

#include <stdbool.h>

#include "meldpunt/http.h"
#include "meldpunt/respcache.h"
#include "meldpunt/status.h"

/* What of the request matters here (field values may be NULL). */
struct mp_httpcache_req {
    bool get; /* GET or HEAD */
    const char *if_none_match;
    const char *accept_encoding;
};

/* Prepare the 200 answer resp of a handler (other answers pass as they are):
 * tag it, turn it into a 304, or compress it (resp->encoding "gzip", body
 * replaced, tag made the gzip one); resp->vary_encoding tells whether it was
 * chosen by Accept-Encoding. gz (app->gzcache) may be NULL: no
 * compressed answer is kept. A failure to compress sends the answer as it is. */
void mp_httpcache_apply(struct mp_respcache *gz, const struct mp_httpcache_req *req,
                        struct mp_response *resp);

/* mp_httpcache_apply for the request req (its method and header fields). */
void mp_httpcache_answer(struct mp_respcache *gz, const struct mp_request *req,
                         struct mp_response *resp);

#endif
