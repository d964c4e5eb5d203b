#include "meldpunt/photo.h"

#include <assert.h>
#include <limits.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

/* libjpeg cannot write a JPEG with a side above this. */
#define MAX_JPEG_SIDE 65500u
/* Legitimate progressive JPEGs have about ten scans; a hostile one can have
 * hundreds of thousands of tiny scans, each costing a pass over the image. */
#define MAX_JPEG_SCANS 256
/* Bound on an encoded output; a 65500 px side at q85 stays far below it. */
#define MAX_OUTPUT_BYTES ((size_t)256 << 20)
#define QUALITY_FULL 85
#define QUALITY_THUMB 80

static const unsigned char SIG_JPEG[3] = {0xFF, 0xD8, 0xFF};
static const unsigned char SIG_PNG[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
static const char MIME_JPEG[] = "image/jpeg";
static const char MIME_PNG[] = "image/png";

/* An 8-bit RGB image, rows packed (w * 3 bytes). */
struct raster {
    unsigned char *px;
    unsigned w, h;
};

static void raster_free(struct raster *r)
{
    free(r->px);
    r->px = NULL;
    r->w = r->h = 0;
}

static enum mp_status fail_nomem(struct mp_error *err)
{
    return mp_fail(err, MP_ENOMEM, "out_of_memory", "not enough memory to process the photo");
}

static enum mp_status fail_invalid(struct mp_error *err)
{
    return mp_fail(err, MP_EINVAL, "invalid_photo",
                   "photo could not be read: the file is damaged or incomplete");
}

static enum mp_status fail_dimensions(struct mp_error *err, unsigned long long w,
                                      unsigned long long h, unsigned long max_pixels)
{
    return mp_fail(err, MP_EINVAL, "photo_too_large_dimensions",
                   "photo is %llux%llu pixels; at most %lu pixels are allowed", w, h, max_pixels);
}

/* Size that fits (w, h) within a square of side `side`, keeping the aspect
 * ratio and never enlarging. */
static void fit_within(unsigned w, unsigned h, unsigned side, unsigned *tw, unsigned *th)
{
    if (w <= side && h <= side) {
        *tw = w;
        *th = h;
        return;
    }
    if (w >= h) {
        unsigned long long s = ((unsigned long long)h * side + w / 2) / w;
        *tw = side;
        *th = s ? (unsigned)s : 1u;
    } else {
        unsigned long long s = ((unsigned long long)w * side + h / 2) / h;
        *th = side;
        *tw = s ? (unsigned)s : 1u;
    }
}

/* ------------------------------------------------------------------------ */
/* Area-averaging downscaler fed one source row at a time.
 *
 * Source pixel (x, y) belongs to exactly one output pixel, the one whose box
 * [ox*sw/tw, (ox+1)*sw/tw) x [oy*sh/th, (oy+1)*sh/th) contains it, so every
 * input pixel is weighed once and no full-resolution copy of the image is
 * ever needed: a 40-megapixel photo costs one row plus the output. */

struct scaler {
    unsigned sw, sh, tw, th;
    unsigned y;      /* source rows consumed */
    unsigned oy;     /* output rows completed */
    unsigned y0, y1; /* source rows of output row oy */
    uint64_t *acc;   /* tw * 3 running sums for row oy */
    unsigned char *dst;
};

static enum mp_status scaler_init(struct scaler *s, unsigned sw, unsigned sh, unsigned tw,
                                  unsigned th)
{
    assert(tw >= 1 && th >= 1 && tw <= sw && th <= sh);
    memset(s, 0, sizeof *s);
    s->sw = sw;
    s->sh = sh;
    s->tw = tw;
    s->th = th;
    s->y1 = sh / th;
    s->acc = calloc((size_t)tw * 3, sizeof *s->acc);
    s->dst = malloc((size_t)tw * th * 3);
    if (!s->acc || !s->dst) {
        free(s->acc);
        free(s->dst);
        memset(s, 0, sizeof *s);
        return MP_ENOMEM;
    }
    return MP_OK;
}

static void scaler_free(struct scaler *s)
{
    free(s->acc);
    free(s->dst);
    memset(s, 0, sizeof *s);
}

static void scaler_push(struct scaler *s, const unsigned char *row)
{
    if (s->y >= s->sh)
        return; /* decoders never give more rows than declared; be safe anyway */
    uint64_t *acc = s->acc;
    for (unsigned ox = 0; ox < s->tw; ox++) {
        size_t x0 = (size_t)((uint64_t)ox * s->sw / s->tw);
        size_t x1 = (size_t)((uint64_t)(ox + 1) * s->sw / s->tw);
        uint64_t r = 0, g = 0, b = 0;
        for (size_t x = x0; x < x1; x++) {
            r += row[x * 3];
            g += row[x * 3 + 1];
            b += row[x * 3 + 2];
        }
        acc[(size_t)ox * 3] += r;
        acc[(size_t)ox * 3 + 1] += g;
        acc[(size_t)ox * 3 + 2] += b;
    }
    s->y++;
    if (s->y < s->y1)
        return;

    unsigned char *out = s->dst + (size_t)s->oy * s->tw * 3;
    uint64_t rows = s->y1 - s->y0;
    for (unsigned ox = 0; ox < s->tw; ox++) {
        uint64_t x0 = (uint64_t)ox * s->sw / s->tw;
        uint64_t x1 = (uint64_t)(ox + 1) * s->sw / s->tw;
        uint64_t n = (x1 - x0) * rows;
        for (unsigned c = 0; c < 3; c++) {
            uint64_t v = (acc[(size_t)ox * 3 + c] + n / 2) / n;
            out[(size_t)ox * 3 + c] = (unsigned char)(v > 255 ? 255 : v);
        }
    }
    memset(acc, 0, (size_t)s->tw * 3 * sizeof *acc);
    s->oy++;
    s->y0 = s->y1;
    s->y1 = (unsigned)((uint64_t)(s->oy + 1) * s->sh / s->th);
}

/* Move the finished image out of the scaler into dst. */
static enum mp_status scaler_finish(struct scaler *s, struct raster *dst)
{
    if (s->oy != s->th)
        return MP_EINVAL;
    dst->px = s->dst;
    dst->w = s->tw;
    dst->h = s->th;
    s->dst = NULL;
    return MP_OK;
}

/* Downscale a whole raster so that its longest side is at most `side`. */
static enum mp_status raster_fit(const struct raster *src, unsigned side, struct raster *dst)
{
    struct scaler sc;
    unsigned tw, th;
    enum mp_status rc;

    fit_within(src->w, src->h, side, &tw, &th);
    rc = scaler_init(&sc, src->w, src->h, tw, th);
    if (rc != MP_OK)
        return rc;
    for (unsigned y = 0; y < src->h; y++)
        scaler_push(&sc, src->px + (size_t)y * src->w * 3);
    rc = scaler_finish(&sc, dst);
    scaler_free(&sc);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* EXIF orientation, read from the APP1 "Exif" segment that libjpeg saved.
 * Everything is bounds-checked against the segment: a lying offset or count
 * only ever yields "no orientation" (1). */

static unsigned tiff_u16(const unsigned char *p, int big_endian)
{
    return big_endian ? (unsigned)(p[0] << 8 | p[1]) : (unsigned)(p[1] << 8 | p[0]);
}

static uint32_t tiff_u32(const unsigned char *p, int big_endian)
{
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int exif_orientation(const unsigned char *seg, size_t seg_len)
{
    static const unsigned char EXIF_ID[6] = {'E', 'x', 'i', 'f', 0, 0};
    const unsigned char *t;
    size_t len, ifd;
    int be;

    if (seg_len < sizeof EXIF_ID + 8 || memcmp(seg, EXIF_ID, sizeof EXIF_ID) != 0)
        return 0;
    t = seg + sizeof EXIF_ID;
    len = seg_len - sizeof EXIF_ID;
    if (t[0] == 'I' && t[1] == 'I')
        be = 0;
    else if (t[0] == 'M' && t[1] == 'M')
        be = 1;
    else
        return 0;
    if (tiff_u16(t + 2, be) != 42)
        return 0;
    ifd = tiff_u32(t + 4, be);
    if (ifd < 8 || ifd > len - 2)
        return 0;
    unsigned n = tiff_u16(t + ifd, be);
    for (unsigned i = 0; i < n; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (e > len || len - e < 12)
            break;
        if (tiff_u16(t + e, be) != 0x0112)
            continue;
        unsigned type = tiff_u16(t + e + 2, be);
        uint32_t count = tiff_u32(t + e + 4, be);
        uint32_t v;
        if (count < 1)
            return 0;
        if (type == 3) /* SHORT, stored left-aligned in the value field */
            v = tiff_u16(t + e + 8, be);
        else if (type == 4) /* LONG: wrong per spec but written by some tools */
            v = tiff_u32(t + e + 8, be);
        else
            return 0;
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

/* Turn the stored image into the displayed one, per EXIF orientation o:
 * for each output pixel (dx, dy), which stored pixel (sx, sy) it shows. */
static enum mp_status raster_orient(const struct raster *src, int o, struct raster *dst)
{
    unsigned w = src->w, h = src->h;
    int swap = o >= 5;
    unsigned dw = swap ? h : w, dh = swap ? w : h;

    dst->px = malloc((size_t)w * h * 3);
    if (!dst->px)
        return MP_ENOMEM;
    dst->w = dw;
    dst->h = dh;
    for (unsigned dy = 0; dy < dh; dy++) {
        unsigned char *out = dst->px + (size_t)dy * dw * 3;
        for (unsigned dx = 0; dx < dw; dx++) {
            unsigned sx, sy;
            switch (o) {
            case 2: sx = w - 1 - dx; sy = dy; break;          /* mirror horizontal */
            case 3: sx = w - 1 - dx; sy = h - 1 - dy; break;  /* rotate 180 */
            case 4: sx = dx; sy = h - 1 - dy; break;          /* mirror vertical */
            case 5: sx = dy; sy = dx; break;                  /* transpose */
            case 6: sx = dy; sy = h - 1 - dx; break;          /* rotate 90 clockwise */
            case 7: sx = w - 1 - dy; sy = h - 1 - dx; break;  /* transverse */
            case 8: sx = w - 1 - dy; sy = dx; break;          /* rotate 90 counter-clockwise */
            default: sx = dx; sy = dy; break;
            }
            memcpy(out + (size_t)dx * 3, src->px + ((size_t)sy * w + sx) * 3, 3);
        }
    }
    return MP_OK;
}

/* ------------------------------------------------------------------------ */
/* libjpeg plumbing. Its default error handler prints and calls exit(); ours
 * longjmps back to the caller and keeps the message code so that we can tell
 * out-of-memory from corrupt data. Everything that must survive the longjmp
 * lives in a struct owned by a caller frame, never in locals of the function
 * that called setjmp (whose modified locals are indeterminate afterwards). */

struct jpeg_guard {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us a pointer to it */
    jmp_buf jb;
    int truncated;      /* stopped on a data-loss warning, not an error */
    int too_many_scans;
};

static void jpeg_on_error(j_common_ptr c)
{
    struct jpeg_guard *g = (struct jpeg_guard *)(void *)c->err;
    longjmp(g->jb, 1);
}

/* Warnings are silent, except those that mean pixel data is missing or
 * garbage (a truncated upload, a broken entropy stream): libjpeg would fill
 * the gap with grey and call it a success, and a half-grey street photo is
 * worse than asking the citizen to retry. Benign oddities (extra bytes
 * before a marker, unknown markers) that some cameras write are tolerated. */
static void jpeg_on_message(j_common_ptr c, int level)
{
    struct jpeg_guard *g = (struct jpeg_guard *)(void *)c->err;
    if (level >= 0)
        return; /* trace messages */
    g->pub.num_warnings++;
    int code = g->pub.msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE) {
        g->truncated = 1;
        longjmp(g->jb, 1);
    }
}

static void jpeg_on_output(j_common_ptr c)
{
    (void)c;
}

static void jpeg_guard_init(struct jpeg_guard *g)
{
    jpeg_std_error(&g->pub);
    g->pub.error_exit = jpeg_on_error;
    g->pub.emit_message = jpeg_on_message;
    g->pub.output_message = jpeg_on_output;
}

struct jpeg_scan_limit {
    struct jpeg_progress_mgr pub; /* first */
    struct jpeg_guard *guard;
};

static void jpeg_on_progress(j_common_ptr c)
{
    if (!c->is_decompressor || !c->progress)
        return;
    struct jpeg_scan_limit *lim = (struct jpeg_scan_limit *)(void *)c->progress;
    if (((j_decompress_ptr)c)->input_scan_number > MAX_JPEG_SCANS) {
        lim->guard->too_many_scans = 1;
        longjmp(lim->guard->jb, 1);
    }
}

struct jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_guard guard;
    struct jpeg_scan_limit scans;
    struct scaler sc;
    unsigned char *row;
    int orientation;
};

static enum mp_status jpeg_decode_run(struct jpeg_reader *r, const unsigned char *data, size_t len,
                                      const struct mp_photo_limits *lim, struct mp_error *err)
{
    j_decompress_ptr c = &r->cinfo;

    if (setjmp(r->guard.jb)) {
        if (r->guard.too_many_scans)
            return mp_fail(err, MP_EINVAL, "invalid_photo",
                           "photo has more than %d progressive scans", MAX_JPEG_SCANS);
        if (r->guard.pub.msg_code == JERR_OUT_OF_MEMORY && !r->guard.truncated)
            return fail_nomem(err);
        return fail_invalid(err);
    }
    c->err = &r->guard.pub;
    jpeg_create_decompress(c);
    r->scans.pub.progress_monitor = jpeg_on_progress;
    r->scans.guard = &r->guard;
    c->progress = &r->scans.pub;
    jpeg_mem_src(c, data, (unsigned long)len);
    jpeg_save_markers(c, JPEG_APP0 + 1, 0xFFFF);
    (void)jpeg_read_header(c, TRUE);

    unsigned long long w = c->image_width, h = c->image_height;
    if (w * h > lim->max_pixels)
        return fail_dimensions(err, w, h, lim->max_pixels);
    if (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK)
        return mp_fail(err, MP_EMEDIATYPE, "unsupported_color_space",
                               "CMYK JPEG photos are not supported; please send an RGB photo");

    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1) {
            int o = exif_orientation(m->data, m->data_length);
            if (o) {
                r->orientation = o;
                break;
            }
        }
    }

    unsigned tw, th;
    fit_within(c->image_width, c->image_height, lim->max_side, &tw, &th);
    /* Let the IDCT do the coarse part of the reduction (M/8 scaling is
     * nearly free and keeps peak memory at one reduced row); the box filter
     * does the rest. Pick the smallest factor that is still >= the target. */
    c->out_color_space = JCS_RGB;
    c->scale_denom = 8;
    for (unsigned num = 1; num <= 8; num++) {
        c->scale_num = num;
        jpeg_calc_output_dimensions(c);
        if (c->output_width >= tw && c->output_height >= th)
            break;
    }
    if (c->output_width < tw || c->output_height < th)
        return fail_invalid(err);

    (void)jpeg_start_decompress(c);
    if (c->output_components != 3)
        return fail_invalid(err);
    if (scaler_init(&r->sc, c->output_width, c->output_height, tw, th) != MP_OK)
        return fail_nomem(err);
    r->row = malloc((size_t)c->output_width * 3);
    if (!r->row)
        return fail_nomem(err);
    while (c->output_scanline < c->output_height) {
        JSAMPROW rows[1] = {r->row};
        if (jpeg_read_scanlines(c, rows, 1) != 1)
            return fail_invalid(err);
        scaler_push(&r->sc, r->row);
    }
    /* No jpeg_finish_decompress: every pixel is in, and what follows the
     * last scan (trailing junk, a missing EOI) does not matter to us. */
    return MP_OK;
}

static enum mp_status decode_jpeg(const unsigned char *data, size_t len,
                                  const struct mp_photo_limits *lim, struct raster *dst,
                                  int *orientation, struct mp_error *err)
{
    enum mp_status rc;
    struct jpeg_reader *r = calloc(1, sizeof *r);

    if (!r)
        return fail_nomem(err);
    jpeg_guard_init(&r->guard);
    r->orientation = 1;
    rc = jpeg_decode_run(r, data, len, lim, err);
    if (rc == MP_OK) {
        rc = scaler_finish(&r->sc, dst);
        if (rc != MP_OK)
            rc = fail_invalid(err);
    }
    if (rc == MP_OK)
        *orientation = r->orientation;
    jpeg_destroy_decompress(&r->cinfo);
    scaler_free(&r->sc);
    free(r->row);
    free(r);
    return rc;
}

/* A growable in-memory destination. jpeg_mem_dest() is not used on purpose:
 * when libjpeg-turbo grows its buffer it frees the old one but only updates
 * the caller's pointer at the end, so an error midway leaves that pointer
 * dangling and the new buffer leaked. Here the buffer is always ours. */
struct jpeg_sink {
    struct jpeg_destination_mgr pub; /* first */
    unsigned char *buf;
    size_t cap, len;
};

static void sink_init(j_compress_ptr c)
{
    struct jpeg_sink *s = (struct jpeg_sink *)(void *)c->dest;
    s->cap = 16384;
    s->buf = malloc(s->cap);
    if (!s->buf)
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 0);
    s->pub.next_output_byte = s->buf;
    s->pub.free_in_buffer = s->cap;
}

static boolean sink_grow(j_compress_ptr c)
{
    struct jpeg_sink *s = (struct jpeg_sink *)(void *)c->dest;
    size_t ncap = s->cap * 2;
    unsigned char *nbuf;

    /* Called only when the buffer is full: free_in_buffer == 0. */
    if (ncap > MAX_OUTPUT_BYTES)
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 1);
    nbuf = realloc(s->buf, ncap);
    if (!nbuf)
        ERREXIT1(c, JERR_OUT_OF_MEMORY, 2);
    s->buf = nbuf;
    s->pub.next_output_byte = nbuf + s->cap;
    s->pub.free_in_buffer = ncap - s->cap;
    s->cap = ncap;
    return TRUE;
}

static void sink_term(j_compress_ptr c)
{
    struct jpeg_sink *s = (struct jpeg_sink *)(void *)c->dest;
    s->len = s->cap - s->pub.free_in_buffer;
}

struct jpeg_writer {
    struct jpeg_compress_struct cinfo;
    struct jpeg_guard guard;
    struct jpeg_sink sink;
};

static int jpeg_encode_run(struct jpeg_writer *wr, const struct raster *img, int quality)
{
    j_compress_ptr c = &wr->cinfo;

    if (setjmp(wr->guard.jb))
        return -1;
    c->err = &wr->guard.pub;
    jpeg_create_compress(c);
    wr->sink.pub.init_destination = sink_init;
    wr->sink.pub.empty_output_buffer = sink_grow;
    wr->sink.pub.term_destination = sink_term;
    c->dest = &wr->sink.pub;
    c->image_width = img->w;
    c->image_height = img->h;
    c->input_components = 3;
    c->in_color_space = JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, quality, TRUE);
    c->optimize_coding = TRUE;
    jpeg_start_compress(c, TRUE);
    while (c->next_scanline < c->image_height) {
        JSAMPROW rows[1] = {img->px + (size_t)c->next_scanline * img->w * 3};
        (void)jpeg_write_scanlines(c, rows, 1);
    }
    jpeg_finish_compress(c);
    return 0;
}

/* Encode img as a baseline JFIF JPEG with nothing but the picture in it.
 * On success *out is a new malloc'd buffer. */
static enum mp_status encode_jpeg(const struct raster *img, int quality, unsigned char **out,
                                  size_t *out_len, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct jpeg_writer *wr = calloc(1, sizeof *wr);

    if (!wr)
        return fail_nomem(err);
    jpeg_guard_init(&wr->guard);
    if (jpeg_encode_run(wr, img, quality) != 0) {
        /* Input is our own valid raster: the only way to fail is memory. */
        rc = fail_nomem(err);
        free(wr->sink.buf);
    } else {
        *out = wr->sink.buf;
        *out_len = wr->sink.len;
    }
    jpeg_destroy_compress(&wr->cinfo);
    free(wr);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* libpng plumbing, same setjmp discipline as for libjpeg. */

struct png_reader {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t len, pos;
    struct scaler sc;
    unsigned char *row;    /* one RGBA row (non-interlaced) */
    unsigned char *image;  /* whole RGBA image (interlaced only) */
    png_bytep *rows;
    int nomem;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
    struct png_reader *r = png_get_error_ptr(png);
    if (r && msg && strstr(msg, "memory"))
        r->nomem = 1;
    /* Must not return: libpng would then print the message to stderr. */
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    struct png_reader *r = png_get_io_ptr(png);
    if (!r || n > r->len - r->pos) {
        png_error(png, "truncated");
        return; /* not reached */
    }
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
}

/* RGBA -> RGB over white, in place (the write index never passes the read
 * index). Straight alpha, as PNG stores it. */
static void flatten_on_white(unsigned char *row, unsigned w)
{
    for (size_t x = 0; x < w; x++) {
        unsigned a = row[x * 4 + 3];
        for (unsigned c = 0; c < 3; c++) {
            unsigned v = row[x * 4 + c];
            row[x * 3 + c] = (unsigned char)((v * a + 255u * (255u - a) + 127u) / 255u);
        }
    }
}

static enum mp_status png_decode_run(struct png_reader *r, const struct mp_photo_limits *lim,
                                     struct mp_error *err)
{
    png_structp png = r->png;
    png_infop info = r->info;

    if (setjmp(png_jmpbuf(png)))
        return r->nomem ? fail_nomem(err) : fail_invalid(err);

    /* Only pixels matter: skip every ancillary chunk (text, eXIf, iCCP, ...)
     * unread, which also spares us decompressing zTXt/iCCP bombs. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_read_fn(png, r, png_read_mem);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if ((unsigned long long)w * h > lim->max_pixels)
        return fail_dimensions(err, w, h, lim->max_pixels);

    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (depth == 16)
        png_set_scale_16(png); /* rounds, where strip_16 truncates */
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4 || png_get_channels(png, info) != 4)
        return fail_invalid(err);

    unsigned tw, th;
    fit_within(w, h, lim->max_side, &tw, &th);
    if (scaler_init(&r->sc, w, h, tw, th) != MP_OK)
        return fail_nomem(err);

    if (passes == 1) {
        r->row = malloc((size_t)w * 4);
        if (!r->row)
            return fail_nomem(err);
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, r->row, NULL);
            flatten_on_white(r->row, w);
            scaler_push(&r->sc, r->row);
        }
    } else {
        /* Adam7 delivers every row in several passes: keep the image whole. */
        r->image = malloc((size_t)w * h * 4);
        r->rows = malloc((size_t)h * sizeof *r->rows);
        if (!r->image || !r->rows)
            return fail_nomem(err);
        for (png_uint_32 y = 0; y < h; y++)
            r->rows[y] = r->image + (size_t)y * w * 4;
        png_read_image(png, r->rows);
        for (png_uint_32 y = 0; y < h; y++) {
            flatten_on_white(r->rows[y], w);
            scaler_push(&r->sc, r->rows[y]);
        }
    }
    /* No png_read_end: trailing chunks after the pixels do not matter. */
    return MP_OK;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum mp_status decode_png(const unsigned char *data, size_t len,
                                 const struct mp_photo_limits *lim, struct raster *dst,
                                 struct mp_error *err)
{
    enum mp_status rc;
    struct png_reader *r = NULL;

    /* The IHDR must be the first chunk: check the dimensions straight from
     * the bytes, before libpng allocates anything or wants more input. */
    if (len >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
        uint32_t w = be32(data + 16), h = be32(data + 20);
        if ((unsigned long long)w * h > lim->max_pixels)
            return fail_dimensions(err, w, h, lim->max_pixels);
    }

    r = calloc(1, sizeof *r);
    if (!r)
        return fail_nomem(err);
    r->data = data;
    r->len = len;
    r->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, png_on_error, png_on_warning);
    if (r->png)
        r->info = png_create_info_struct(r->png);
    if (!r->png || !r->info) {
        rc = fail_nomem(err);
        goto out;
    }
    rc = png_decode_run(r, lim, err);
    if (rc == MP_OK && scaler_finish(&r->sc, dst) != MP_OK)
        rc = fail_invalid(err);
out:
    png_destroy_read_struct(&r->png, &r->info, NULL);
    scaler_free(&r->sc);
    free(r->row);
    free(r->image);
    free(r->rows);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------------ */

void mp_photo_limits_default(struct mp_photo_limits *lim)
{
    if (!lim)
        return;
    lim->max_bytes = (size_t)8 << 20;
    lim->max_pixels = 40000000ul;
    lim->max_side = 1600;
    lim->thumb_side = 320;
}

enum mp_status mp_photo_sniff(const unsigned char *data, size_t len, const char **mime)
{
    if (!mime)
        return MP_EINVAL;
    *mime = NULL;
    if (!data)
        return MP_EMEDIATYPE;
    if (len >= sizeof SIG_JPEG && memcmp(data, SIG_JPEG, sizeof SIG_JPEG) == 0)
        *mime = MIME_JPEG;
    else if (len >= sizeof SIG_PNG && memcmp(data, SIG_PNG, sizeof SIG_PNG) == 0)
        *mime = MIME_PNG;
    return *mime ? MP_OK : MP_EMEDIATYPE;
}

struct mp_photo_rec mp_photo_rec_of(const struct mp_photo *p)
{
    /* process() always re-encodes to JPEG, whatever came in. */
    return (struct mp_photo_rec){.full = p->full,
                                 .full_len = p->full_len,
                                 .thumb = p->thumb,
                                 .thumb_len = p->thumb_len,
                                 .width = p->width,
                                 .height = p->height,
                                 .mime = "image/jpeg"};
}

void mp_photo_clear(struct mp_photo *p)
{
    if (!p)
        return;
    free(p->full);
    free(p->thumb);
    memset(p, 0, sizeof *p);
}

enum mp_status mp_photo_process(const unsigned char *data, size_t len,
                                const struct mp_photo_limits *lim, struct mp_photo *out,
                                struct mp_error *err)
{
    enum mp_status rc;
    struct raster decoded = {0}, upright = {0}, small = {0};
    struct mp_photo res = {0};
    const char *mime = NULL;
    int orientation = 1;

    if (out)
        memset(out, 0, sizeof *out);
    if (!out || !lim || (!data && len)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_argument", "missing photo output or limits");
        goto out;
    }
    if (lim->max_side < 1 || lim->max_side > MAX_JPEG_SIDE || lim->thumb_side < 1 ||
        lim->thumb_side > MAX_JPEG_SIDE) {
        rc = mp_fail(err, MP_EINVAL, "invalid_argument", "photo limits out of range");
        goto out;
    }
    if (len > lim->max_bytes) {
        rc = mp_fail(err, MP_ETOOBIG, "photo_too_large", "photo is larger than %zu bytes",
                     lim->max_bytes);
        goto out;
    }
    if (mp_photo_sniff(data, len, &mime) != MP_OK) {
        rc = mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type",
                     "photo must be a JPEG or PNG image");
        goto out;
    }
#if SIZE_MAX > ULONG_MAX
    if (len > ULONG_MAX) { /* jpeg_mem_src takes an unsigned long */
        rc = mp_fail(err, MP_ETOOBIG, "photo_too_large", "photo is too large");
        goto out;
    }
#endif

    if (mime == MIME_JPEG)
        rc = decode_jpeg(data, len, lim, &decoded, &orientation, err);
    else
        rc = decode_png(data, len, lim, &decoded, err);
    if (rc != MP_OK)
        goto out;

    /* Rotate after downscaling: the longest side is the same either way and
     * the smaller image is cheaper to move. */
    if (orientation > 1) {
        if (raster_orient(&decoded, orientation, &upright) != MP_OK) {
            rc = fail_nomem(err);
            goto out;
        }
    } else {
        upright = decoded;
        decoded.px = NULL;
    }
    if (raster_fit(&upright, lim->thumb_side, &small) != MP_OK) {
        rc = fail_nomem(err);
        goto out;
    }
    rc = encode_jpeg(&upright, QUALITY_FULL, &res.full, &res.full_len, err);
    if (rc != MP_OK)
        goto out;
    rc = encode_jpeg(&small, QUALITY_THUMB, &res.thumb, &res.thumb_len, err);
    if (rc != MP_OK)
        goto out;
    res.width = upright.w;
    res.height = upright.h;
    res.thumb_width = small.w;
    res.thumb_height = small.h;
    res.source_type = mime;
    *out = res;
    memset(&res, 0, sizeof res);

out:
    mp_photo_clear(&res);
    raster_free(&decoded);
    raster_free(&upright);
    raster_free(&small);
    return rc;
}
