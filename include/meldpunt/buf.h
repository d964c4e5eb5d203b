/* buf.h - a growable byte buffer with a hard upper bound, and the JSON text
 * writers built on it (strings escaped per RFC 8259, coordinates at fixed
 * precision). Used to build response bodies without a DOM.
 *
 * Not thread-safe per buffer; buffers are per request.
 */
#ifndef MELDPUNT_BUF_H
#define MELDPUNT_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "meldpunt/status.h"

struct mp_buf {
    char *data;   /* owned; NUL-terminated while len < cap */
    size_t len;
    size_t cap;
    size_t max;   /* hard bound; 0 means the default of 256 MiB */
    bool failed;  /* sticky: set when an append was refused (ENOMEM/bound) */
    bool over;    /* the refusal was the bound, not memory */
};

/* Initialise an empty buffer; no allocation until the first append. */
void mp_buf_init(struct mp_buf *b, size_t max);
/* Free the data (accepts NULL and zeroed buffers); the buffer is reusable. */
void mp_buf_free(struct mp_buf *b);
/* Forget the contents but keep the allocation. */
void mp_buf_reset(struct mp_buf *b);
/* Hand the data to the caller (new allocation, free()); buffer is emptied. */
char *mp_buf_steal(struct mp_buf *b, size_t *len);

/* Appends. On failure the buffer is marked failed and later appends are
 * ignored, so callers check b->failed (or mp_buf_status) once at the end. */
void mp_buf_add(struct mp_buf *b, const void *data, size_t len);
void mp_buf_adds(struct mp_buf *b, const char *s);
void mp_buf_addc(struct mp_buf *b, char c);
/* Append a string literal without a strlen at run time. */
#define mp_buf_lit(b, lit) mp_buf_add((b), "" lit, sizeof(lit) - 1)
void mp_buf_printf(struct mp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum mp_status mp_buf_status(const struct mp_buf *b) MP_WUR;

/* JSON pieces. */
void mp_json_str(struct mp_buf *b, const char *s);             /* "escaped" or null if s NULL */
void mp_json_strn(struct mp_buf *b, const char *s, size_t n);  /* s may contain any bytes */
void mp_json_int(struct mp_buf *b, int64_t v);
void mp_json_num(struct mp_buf *b, double v, int decimals);     /* trailing zeros trimmed */
void mp_json_coord(struct mp_buf *b, double lon, double lat);   /* [lon,lat] at 7 decimals */
void mp_json_bool(struct mp_buf *b, bool v);
void mp_json_time(struct mp_buf *b, int64_t unix_seconds);      /* "YYYY-MM-DDTHH:MM:SSZ" */
/* "key": (with a leading comma when !first). */
void mp_json_key(struct mp_buf *b, const char *key, bool first);

/* A caller's extra members for an object an encoder writes: called just
 * before the encoder closes that object, it appends members each with a
 * leading comma (mp_json_key(b, key, false)). Encoders take one of these
 * (NULL for none) instead of callers reopening a written object. */
typedef void (*mp_json_extra_fn)(struct mp_buf *b, const void *arg);

/* Unchecked writers for hot encoders (a map page calls them tens of thousands
 * of times): make room once with mp_buf_reserve for the sum of the bounds
 * below, write through the cursor b->data + b->len, each call returning the
 * new end, then mp_buf_commit(b, end). Same output as the mp_json_* above. */
#define MP_JSON_STR_MAX(n) (6 * (size_t)(n) + 2) /* mp_json_put_strn of n bytes */
#define MP_JSON_INT_MAX 20
#define MP_JSON_NUM_MAX 400
#define MP_JSON_COORD_MAX (2 * MP_JSON_NUM_MAX + 3)
#define MP_JSON_TIME_MAX 24
/* Room for extra bytes plus a NUL; false (and the buffer marked failed) when
 * they do not fit the bound or memory. */
bool mp_buf_reserve(struct mp_buf *b, size_t extra) MP_WUR;
/* Set the length to end - b->data (within the reserved room). */
void mp_buf_commit(struct mp_buf *b, char *end);
#define mp_json_put_lit(o, lit) ((char *)memcpy((o), "" lit, sizeof(lit) - 1) + sizeof(lit) - 1)
char *mp_json_put_strn(char *o, const char *s, size_t n);
char *mp_json_put_int(char *o, int64_t v);
char *mp_json_put_num(char *o, double v, int decimals);
char *mp_json_put_coord(char *o, double lon, double lat);
char *mp_json_put_time(char *o, int64_t unix_seconds);

#endif
