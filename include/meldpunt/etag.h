/* etag.h - strong entity tags and If-None-Match.
 *
 * Two kinds of tag, both strong (the same tag means the same bytes):
 * - of a body: a 64-bit FNV-1a hash of its bytes, for answers already built;
 * - of a version: a hash of what names the answer (path and query, and a
 *   salt that changes with the server's build and configuration) with the
 *   store's change counter, so that an answer that depends only on those can
 *   be validated before it is built (the map and its grid).
 * A compressed representation is another representation: its tag gets the
 * suffix "-gz" (mp_etag_gzip), and If-None-Match with either tag of the same
 * content matches.
 *
 * Thread-safety: pure functions.
 */
#ifndef MELDPUNT_ETAG_H
#define MELDPUNT_ETAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for any tag made here, quotes and NUL included. */
#define MP_ETAG_MAX 48

/* 64-bit FNV-1a of len bytes, continuing from h (start with MP_ETAG_SEED). */
#define MP_ETAG_SEED 14695981039346656037ull
uint64_t mp_etag_hash(uint64_t h, const void *data, size_t len);

/* "\"<16 hex>\"" of the bytes into out (cap >= MP_ETAG_MAX). */
void mp_etag_body(const void *data, size_t len, char *out, size_t cap);
/* "\"<16 hex>-<version>\"" of key (NUL-terminated) under salt into out. */
void mp_etag_version(uint64_t salt, const char *key, int64_t version, char *out, size_t cap);
/* The tag of the gzip representation of the answer tagged etag, into out
 * (out may not be etag): "\"x\"" -> "\"x-gz\"". "" when etag is not a tag. */
void mp_etag_gzip(const char *etag, char *out, size_t cap);

/* Whether the If-None-Match field value inm (may be NULL) names etag or its
 * gzip twin: "*", or a comma-separated list of tags compared weakly (a "W/"
 * prefix is ignored), as RFC 9110 13.1.2 asks of If-None-Match. */
bool mp_etag_match(const char *inm, const char *etag);

#endif
