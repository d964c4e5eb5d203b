/* gzip.c - gzip content coding with zlib (gzip.h). */
#include "meldpunt/gzip.h"

/* next_in of a const buffer without casting the const away. */
#define ZLIB_CONST
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Level 6 (zlib's default) costs twice the time of level 1 on a 430 KB
 * GeoJSON answer for about 12% fewer bytes; 4 sits between them, and
 * answers that are asked often are compressed once (http.c keeps them). */
#define LEVEL 4
/* windowBits 15 + 16: a gzip wrapper rather than zlib's. */
#define GZIP_WINDOW (15 + 16)

/* The q-value of one element ("gzip;q=0.5" -> 0.5); 1 when none. */
static double qvalue(const char *params, size_t n)
{
    const char *q = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=' &&
            (i == 0 || params[i - 1] == ';' || params[i - 1] == ' ')) {
            q = params + i + 2;
            break;
        }
    return q ? strtod(q, NULL) : 1.0;
}

bool mp_gzip_accepted(const char *ae)
{
    double gzip = -1, star = -1;
    if (!ae)
        return false;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t name = strcspn(p, ";, \t");
        if (name > n)
            name = n;
        double q = qvalue(p + name, n - name);
        if ((name == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (name == 6 && strncasecmp(p, "x-gzip", 6) == 0))
            gzip = q;
        else if (name == 1 && *p == '*')
            star = q;
        p += n;
    }
    return gzip >= 0 ? gzip > 0 : star > 0;
}

bool mp_gzip_type_ok(const char *ct)
{
    static const char *const types[] = {"text/",
                                        "application/json",
                                        "application/geo+json",
                                        "application/xml",
                                        "application/gpx",
                                        "application/javascript",
                                        "application/schema+json",
                                        "application/vnd.oai.openapi",
                                        "application/problem+json",
                                        "image/svg+xml",
                                        "application/x-ndjson"};
    if (!ct)
        return false;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strncasecmp(ct, types[i], strlen(types[i])) == 0)
            return true;
    return false;
}

enum mp_status mp_gzip_buffer(const void *in, size_t len, struct mp_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, LEVEL, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return MP_ENOMEM;
    enum mp_status rc = MP_OK;
    /* deflateBound is the worst case: one reservation, one pass. */
    size_t bound = (size_t)deflateBound(&z, (uLong)len);
    if (len > UINT_MAX || !mp_buf_reserve(out, bound)) {
        rc = MP_ENOMEM;
        goto out;
    }
    z.next_in = in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        rc = MP_ENOMEM;
        goto out;
    }
    mp_buf_commit(out, (char *)z.next_out);
out:
    deflateEnd(&z);
    return rc;
}

struct mp_gzip_stream {
    z_stream z;
    mp_gzip_source_fn inner;
    void *inner_ctx;
    void (*inner_free)(void *ctx);
    uint64_t inner_pos; /* bytes read from inner */
    bool inner_done;    /* inner returned 0 */
    bool finished;      /* the gzip trailer is out */
    char in[64 * 1024];
};

enum mp_status mp_gzip_stream_new(mp_gzip_source_fn inner, void *inner_ctx,
                                  void (*inner_free)(void *ctx), struct mp_gzip_stream **out)
{
    *out = NULL;
    struct mp_gzip_stream *g = calloc(1, sizeof *g);
    if (!g) {
        if (inner_free)
            inner_free(inner_ctx);
        return MP_ENOMEM;
    }
    g->inner = inner;
    g->inner_ctx = inner_ctx;
    g->inner_free = inner_free;
    if (deflateInit2(&g->z, LEVEL, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        g->z.state = NULL;
        mp_gzip_stream_free(g);
        return MP_ENOMEM;
    }
    *out = g;
    return MP_OK;
}

long mp_gzip_stream_read(void *gz, uint64_t pos, char *out, size_t max)
{
    (void)pos; /* the HTTP layer reads in order */
    struct mp_gzip_stream *g = gz;
    if (g->finished)
        return 0;
    if (max > UINT_MAX)
        max = UINT_MAX;
    g->z.next_out = (Bytef *)out;
    g->z.avail_out = (uInt)max;
    /* Fill out completely, or to the end: a short read would make the HTTP
     * layer send many small chunks. */
    while (g->z.avail_out > 0) {
        if (g->z.avail_in == 0 && !g->inner_done) {
            long n = g->inner(g->inner_ctx, g->inner_pos, g->in, sizeof g->in);
            if (n < 0)
                return -1;
            if (n == 0)
                g->inner_done = true;
            g->inner_pos += (uint64_t)n;
            g->z.next_in = (Bytef *)g->in;
            g->z.avail_in = (uInt)n;
        }
        int zr = deflate(&g->z, g->inner_done ? Z_FINISH : Z_NO_FLUSH);
        if (zr == Z_STREAM_END) {
            g->finished = true;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            return -1;
    }
    return (long)(max - g->z.avail_out);
}

void mp_gzip_stream_free(void *gz)
{
    struct mp_gzip_stream *g = gz;
    if (!g)
        return;
    if (g->z.state)
        deflateEnd(&g->z);
    if (g->inner_free)
        g->inner_free(g->inner_ctx);
    free(g);
}
