/* photo.h - validate a citizen's photo and turn it into clean JPEGs.
 *
 * A report may carry one photo taken with a phone. Its bytes are untrusted:
 * the type is decided by content (magic bytes), never by file name or the
 * client's Content-Type; sizes and dimensions are bounded before any pixel
 * buffer is allocated; corrupt input is an error, never a crash.
 *
 * The photo is decoded to pixels and re-encoded, so nothing of the original
 * file survives but the picture: EXIF (GPS position, camera serial), XMP,
 * ICC profiles, comments and PNG text chunks are all dropped. The EXIF
 * Orientation tag of a JPEG is applied to the pixels first, so the result is
 * upright without it. Two JPEGs come out: `full` (longest side at most
 * max_side) and `thumb` (longest side at most thumb_side, for the map popup).
 * Images are only ever scaled down (area averaging), never up.
 *
 * Error codes (struct mp_error.code) the HTTP layer may pass on:
 *   MP_ETOOBIG        "photo_too_large"             more than max_bytes
 *   MP_EMEDIATYPE     "unsupported_media_type"      neither JPEG nor PNG
 *   MP_EMEDIATYPE     "unsupported_color_space"     CMYK/YCCK JPEG
 *   MP_EINVAL         "photo_too_large_dimensions"  more than max_pixels
 *   MP_EINVAL         "invalid_photo"               corrupt or truncated
 *   MP_EINVAL         "invalid_argument"            NULL out/limits, bad limits
 *   MP_ENOMEM         "out_of_memory"
 *
 * Thread-safety: every function here is reentrant and keeps no global state;
 * concurrent calls on different outputs are safe.
 */
#ifndef MELDPUNT_PHOTO_H
#define MELDPUNT_PHOTO_H

#include <stddef.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_photo_limits {
    size_t max_bytes;         /* input size bound */
    unsigned long max_pixels; /* width * height bound, checked from the header */
    unsigned max_side;        /* longest side of `full`; 1..65500 */
    unsigned thumb_side;      /* longest side of `thumb`; 1..65500 */
};

/* The result of mp_photo_process. `full` and `thumb` are new allocations
 * owned by the caller, released with mp_photo_clear(). width/height and
 * thumb_width/thumb_height are those of the (upright) output JPEGs.
 * source_type is a borrowed static string ("image/jpeg" or "image/png"). */
struct mp_photo {
    unsigned char *full;
    size_t full_len;
    unsigned char *thumb;
    size_t thumb_len;
    unsigned width, height, thumb_width, thumb_height;
    const char *source_type;
};

/* Fill lim with the defaults: 8 MiB, 40 megapixels, 1600 px, 320 px. */
void mp_photo_limits_default(struct mp_photo_limits *lim);

/* Decide the media type from the first bytes of data. On success *mime is a
 * borrowed static string ("image/jpeg" or "image/png"); otherwise *mime is
 * set to NULL and MP_EMEDIATYPE is returned (MP_EINVAL if mime is NULL).
 * Only the magic bytes are looked at: a valid signature does not mean the
 * rest of the file is valid. data may be NULL when len is 0. */
enum mp_status mp_photo_sniff(const unsigned char *data, size_t len, const char **mime) MP_WUR;

/* Validate data (len bytes, borrowed, not modified) against lim and produce
 * clean, upright, metadata-free JPEGs in *out. On success *out holds new
 * buffers the caller frees with mp_photo_clear(); on failure *out is left
 * zeroed and err (may be NULL) says why, with the codes listed above.
 * Memory use is bounded by lim: about 3 bytes per output pixel and one
 * decoded row, except that interlaced PNGs are held whole (4 bytes per input
 * pixel) and progressive JPEGs need libjpeg's coefficient buffer (2 to 6
 * bytes per input pixel). Time is bounded too: at most 256 JPEG scans. */
enum mp_status mp_photo_process(const unsigned char *data, size_t len,
                                const struct mp_photo_limits *lim, struct mp_photo *out,
                                struct mp_error *err) MP_WUR;

/* The record that stores p (its two JPEGs, BORROWED from p: keep p until
 * the record is stored). */
struct mp_photo_rec mp_photo_rec_of(const struct mp_photo *p);

/* Free the buffers of p and zero it. Accepts NULL and zeroed structs;
 * calling it twice is harmless. */
void mp_photo_clear(struct mp_photo *p);

#endif
