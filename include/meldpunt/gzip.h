/* gzip.h - gzip content coding of answers (zlib): whether a client takes it,
 * which types are worth it, a whole body at once, and a streamed body
 * compressed as it streams.
 *
 * Ownership: mp_gzip_stream_new returns a NEW stream (mp_gzip_stream_free)
 * that TAKES the inner stream's context: it frees it with inner_free, even
 * when it fails.
 * Thread-safety: the functions are reentrant; a stream belongs to one
 * thread at a time.
 */
#ifndef MELDPUNT_GZIP_H
#define MELDPUNT_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

/* Answers at most this long go out as they are: the gzip header and the
 * client's work cost more than the bytes saved. */
#define MP_GZIP_MIN 1024

/* Whether an Accept-Encoding field value (may be NULL) accepts gzip: "gzip",
 * "x-gzip" or "*" with a q-value above 0, unless gzip itself has q=0. */
bool mp_gzip_accepted(const char *accept_encoding);
/* Whether a Content-Type is text that compresses (JSON, GeoJSON, XML, HTML,
 * CSS, JavaScript, CSV, SVG, GPX); not images, which are compressed already. */
bool mp_gzip_type_ok(const char *content_type);

/* Append the gzip of len bytes at in to out (MP_ENOMEM when out refuses). */
enum mp_status mp_gzip_buffer(const void *in, size_t len, struct mp_buf *out) MP_WUR;

/* A streamed body that reads inner and hands out its gzip. inner has the
 * shape of http.h's mp_stream_fn (bytes written, 0 at the end, -1 on
 * error), and so has mp_gzip_stream_read, whose ctx is the stream. */
typedef long (*mp_gzip_source_fn)(void *ctx, uint64_t pos, char *out, size_t max);
struct mp_gzip_stream;
enum mp_status mp_gzip_stream_new(mp_gzip_source_fn inner, void *inner_ctx,
                                  void (*inner_free)(void *ctx),
                                  struct mp_gzip_stream **out) MP_WUR;
long mp_gzip_stream_read(void *gz, uint64_t pos, char *out, size_t max);
/* Frees the stream and the inner context. Accepts NULL. */
void mp_gzip_stream_free(void *gz);

#endif
