/* webhook_post.h - the webhook transport: one HTTP(S) POST through libcurl,
 * no redirects followed, bounded in time. The answer's body is not kept.
 * Threads: any; each call has its own handle.
 */
#ifndef MELDPUNT_WEBHOOK_POST_H
#define MELDPUNT_WEBHOOK_POST_H

#include <stdbool.h>
#include <stddef.h>

/* POST body (len bytes, content type ctype) to url with the extra header
 * lines in headers (NULL-terminated, "Name: value"). true when the
 * receiver answered 2xx; else why (cap bytes) says what happened ("http
 * 500", "could not connect"). *status gets the HTTP status (0: none). */
bool mp_webhook_post(const char *url, const char *ctype, const char *const *headers,
                     const char *body, size_t len, unsigned timeout_s, long *status, char *why,
                     size_t cap);

#endif
