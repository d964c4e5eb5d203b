/* test_photo.c - the photo pipeline: type sniffing, limits, metadata removal,
 * EXIF orientation, PNG conversions, corrupt input.
 *
 * Most inputs are made here with libjpeg/libpng (an APP1 Exif segment is
 * spliced in by hand); the rest are small files in tests/fixtures/photos/,
 * found through MELDPUNT_SOURCE_DIR (see generate.sh there). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "meldpunt/photo.h"

/* ------------------------------------------------------------------------ */
/* Helpers */

struct buf {
    unsigned char *p;
    size_t n;
};

static struct buf read_fixture(const char *name)
{
    const char *root = getenv("MELDPUNT_SOURCE_DIR");
    char path[4096];
    struct buf b = {NULL, 0};
    FILE *f;
    long size;

    if (!root || !*root)
        fail_msg("MELDPUNT_SOURCE_DIR must point at the repository root");
    int n = snprintf(path, sizeof path, "%s/tests/fixtures/photos/%s", root, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0 && size < (1L << 20));
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    b.n = (size_t)size;
    b.p = malloc(b.n);
    assert_non_null(b.p);
    assert_int_equal(fread(b.p, 1, b.n, f), b.n);
    assert_int_equal(fclose(f), 0);
    return b;
}

static int contains(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
    if (m == 0 || m > n)
        return 0;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

static int contains_str(const unsigned char *hay, size_t n, const char *s)
{
    return contains(hay, n, s, strlen(s));
}

/* Walk the JPEG markers up to the first SOS: only tables, frame header and
 * the JFIF APP0 may be there; no other APPn, no COM. Also search all bytes
 * for the telltales of metadata. */
static void assert_clean_jpeg(const unsigned char *p, size_t n)
{
    static const unsigned char app1[2] = {0xFF, 0xE1};
    size_t i = 2;

    assert_true(n > 4);
    assert_int_equal(p[0], 0xFF);
    assert_int_equal(p[1], 0xD8);
    for (;;) {
        assert_true(i + 4 <= n);
        assert_int_equal(p[i], 0xFF);
        unsigned m = p[i + 1];
        if (m == 0xDA)
            break;
        if (m >= 0xE0 && m <= 0xEF)
            assert_int_equal(m, 0xE0); /* JFIF only */
        assert_int_not_equal(m, 0xFE); /* COM */
        size_t seg = (size_t)p[i + 2] << 8 | p[i + 3];
        assert_true(seg >= 2);
        i += 2 + seg;
    }
    assert_false(contains(p, n, app1, sizeof app1));
    assert_false(contains_str(p, n, "Exif"));
    assert_false(contains_str(p, n, "http://ns.adobe.com"));
    assert_false(contains_str(p, n, "ICC_PROFILE"));
    assert_int_equal(p[n - 2], 0xFF);
    assert_int_equal(p[n - 1], 0xD9);
}

struct rgb {
    unsigned char *px;
    unsigned w, h;
};

struct test_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void test_jpeg_error(j_common_ptr c)
{
    longjmp(((struct test_jerr *)(void *)c->err)->jb, 1);
}

/* Decode an output JPEG back to RGB to look at its pixels. Fails the test on
 * any libjpeg error (its default handler would exit() the process). */
static void decode_rgb_into(const unsigned char *p, size_t n, struct rgb *out,
                            struct jpeg_decompress_struct *c, struct test_jerr *je)
{
    c->err = jpeg_std_error(&je->pub);
    je->pub.error_exit = test_jpeg_error;
    if (setjmp(je->jb)) {
        jpeg_destroy_decompress(c);
        fail_msg("output JPEG does not decode");
    }
    jpeg_create_decompress(c);
    jpeg_mem_src(c, p, (unsigned long)n);
    assert_int_equal(jpeg_read_header(c, TRUE), JPEG_HEADER_OK);
    c->out_color_space = JCS_RGB;
    jpeg_start_decompress(c);
    out->w = c->output_width;
    out->h = c->output_height;
    out->px = malloc((size_t)out->w * out->h * 3);
    assert_non_null(out->px);
    while (c->output_scanline < c->output_height) {
        JSAMPROW row = out->px + (size_t)c->output_scanline * out->w * 3;
        jpeg_read_scanlines(c, &row, 1);
    }
    jpeg_finish_decompress(c);
    jpeg_destroy_decompress(c);
}

static struct rgb decode_rgb(const unsigned char *p, size_t n)
{
    struct rgb out = {NULL, 0, 0};
    struct jpeg_decompress_struct c;
    struct test_jerr je;
    decode_rgb_into(p, n, &out, &c, &je);
    return out;
}

static void assert_pixel_near(const struct rgb *img, unsigned x, unsigned y, int r, int g, int b,
                              int tol)
{
    assert_true(x < img->w && y < img->h);
    const unsigned char *px = img->px + ((size_t)y * img->w + x) * 3;
    int dr = px[0] - r, dg = px[1] - g, db = px[2] - b;
    if (abs(dr) > tol || abs(dg) > tol || abs(db) > tol)
        fail_msg("pixel (%u,%u) is (%d,%d,%d), expected about (%d,%d,%d)", x, y, px[0], px[1],
                 px[2], r, g, b);
}

/* Encode RGB pixels as a plain JPEG with libjpeg (JFIF APP0 only). */
static struct buf encode_jpeg(const unsigned char *rgb, unsigned w, unsigned h, int quality)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr je;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    struct buf b;

    c.err = jpeg_std_error(&je);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)c.next_scanline * w * 3);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    b.p = mem;
    b.n = mem_len;
    return b;
}

static const unsigned char RED[3] = {255, 0, 0}, GREEN[3] = {0, 255, 0}, BLUE[3] = {0, 0, 255},
                           WHITE[3] = {255, 255, 255};

/* w x h RGB: quadrants red | green over blue | white. */
static unsigned char *make_quadrants(unsigned w, unsigned h)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            const unsigned char *c =
                y < h / 2 ? (x < w / 2 ? RED : GREEN) : (x < w / 2 ? BLUE : WHITE);
            memcpy(px + ((size_t)y * w + x) * 3, c, 3);
        }
    return px;
}

static void assert_quadrants(const struct rgb *img, const unsigned char *tl,
                             const unsigned char *tr, const unsigned char *bl,
                             const unsigned char *br)
{
    unsigned qx = img->w / 4, qy = img->h / 4;
    assert_pixel_near(img, qx, qy, tl[0], tl[1], tl[2], 40);
    assert_pixel_near(img, 3 * qx, qy, tr[0], tr[1], tr[2], 40);
    assert_pixel_near(img, qx, 3 * qy, bl[0], bl[1], bl[2], 40);
    assert_pixel_near(img, 3 * qx, 3 * qy, br[0], br[1], br[2], 40);
}

static void put16(unsigned char *p, unsigned v, int be)
{
    p[be ? 0 : 1] = (unsigned char)(v >> 8);
    p[be ? 1 : 0] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[be ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

static void put_entry(unsigned char *p, unsigned tag, unsigned type, uint32_t count, int be)
{
    put16(p, tag, be);
    put16(p + 2, type, be);
    put32(p + 4, count, be);
}

#define GPS_DATUM "MELDPUNT-GPS-DATUM"

/* An APP1 payload: "Exif\0\0" + TIFF with IFD0 {Orientation, GPSInfo} and a
 * GPS IFD {LatitudeRef "N", MapDatum GPS_DATUM}. Returns its length. */
static size_t build_exif(unsigned char *b, size_t cap, int be, unsigned orientation)
{
    unsigned char *t = b + 6;
    size_t len;

    assert_true(cap >= 128);
    memset(b, 0, cap);
    memcpy(b, "Exif\0\0", 6);
    memcpy(t, be ? "MM" : "II", 2);
    put16(t + 2, 42, be);
    put32(t + 4, 8, be);
    /* IFD0 at 8: 2 entries, then next-IFD 0 -> ends at 8 + 2 + 24 + 4 = 38 */
    put16(t + 8, 2, be);
    put_entry(t + 10, 0x0112, 3, 1, be);
    put16(t + 18, orientation, be);
    put_entry(t + 22, 0x8825, 4, 1, be);
    put32(t + 30, 38, be);
    /* GPS IFD at 38: 2 entries -> ends at 38 + 2 + 24 + 4 = 68; datum at 68 */
    put16(t + 38, 2, be);
    put_entry(t + 40, 0x0001, 2, 2, be);
    memcpy(t + 48, "N", 2);
    put_entry(t + 52, 0x0012, 2, sizeof GPS_DATUM, be);
    put32(t + 60, 68, be);
    memcpy(t + 68, GPS_DATUM, sizeof GPS_DATUM);
    len = 6 + 68 + sizeof GPS_DATUM;
    assert_true(len <= cap);
    return len;
}

/* Splice an APP1 segment with `payload` right after the SOI of jpeg. */
static struct buf insert_app1(const struct buf *jpeg, const unsigned char *payload, size_t n)
{
    struct buf b;
    assert_true(n + 2 <= 0xFFFF);
    b.n = jpeg->n + 4 + n;
    b.p = malloc(b.n);
    assert_non_null(b.p);
    memcpy(b.p, jpeg->p, 2);
    b.p[2] = 0xFF;
    b.p[3] = 0xE1;
    b.p[4] = (unsigned char)((n + 2) >> 8);
    b.p[5] = (unsigned char)(n + 2);
    memcpy(b.p + 6, payload, n);
    memcpy(b.p + 6 + n, jpeg->p + 2, jpeg->n - 2);
    return b;
}

struct png_out {
    unsigned char *p;
    size_t n, cap;
};

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
    struct png_out *o = png_get_io_ptr(png);
    if (o->n + n > o->cap) {
        size_t cap = (o->n + n) * 2;
        unsigned char *p = realloc(o->p, cap);
        if (!p)
            png_error(png, "out of memory");
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, data, n);
    o->n += n;
}

static void png_flush_mem(png_structp png)
{
    (void)png;
}

/* Encode 8-bit pixels (RGB or RGBA by `channels`) as PNG with libpng;
 * `key`, if not NULL, is an RGB colour made transparent by a tRNS chunk. */
static struct buf encode_png_key(const unsigned char *px, unsigned w, unsigned h, int channels,
                                 const png_color_16 *key)
{
    struct png_out o = {NULL, 0, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    struct buf b;

    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng write failed");
    png_set_write_fn(png, &o, png_write_mem, png_flush_mem);
    png_set_IHDR(png, info, w, h, 8, channels == 4 ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (key)
        png_set_tRNS(png, info, NULL, 0, key);
    png_write_info(png, info);
    for (unsigned y = 0; y < h; y++)
        png_write_row(png, px + (size_t)y * w * (unsigned)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    b.p = o.p;
    b.n = o.n;
    return b;
}

static struct buf encode_png(const unsigned char *px, unsigned w, unsigned h, int channels)
{
    return encode_png_key(px, w, h, channels, NULL);
}

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static struct mp_photo_limits defaults(void)
{
    struct mp_photo_limits lim;
    mp_photo_limits_default(&lim);
    return lim;
}

static void assert_zeroed(const struct mp_photo *p)
{
    struct mp_photo zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(p, &zero, sizeof zero);
}

/* Expect failure with status st and error code `code`; out must be zeroed. */
static void expect_failure(const unsigned char *data, size_t n, const struct mp_photo_limits *lim,
                           enum mp_status st, const char *code)
{
    struct mp_photo out;
    struct mp_error err;
    memset(&out, 0xAB, sizeof out);
    memset(&err, 0, sizeof err);
    enum mp_status rc = mp_photo_process(data, n, lim, &out, &err);
    if (rc != st)
        fail_msg("expected %s/%s, got %s/%s (%s)", mp_status_name(st), code, mp_status_name(rc),
                 err.code, err.text);
    assert_string_equal(err.code, code);
    assert_true(err.text[0] != '\0');
    assert_zeroed(&out);
}

static void process_ok(const unsigned char *data, size_t n, const struct mp_photo_limits *lim,
                       struct mp_photo *out)
{
    struct mp_error err;
    memset(&err, 0, sizeof err);
    enum mp_status rc = mp_photo_process(data, n, lim, out, &err);
    if (rc != MP_OK)
        fail_msg("mp_photo_process: %s/%s (%s)", mp_status_name(rc), err.code, err.text);
    assert_non_null(out->full);
    assert_non_null(out->thumb);
    assert_clean_jpeg(out->full, out->full_len);
    assert_clean_jpeg(out->thumb, out->thumb_len);
}

/* ------------------------------------------------------------------------ */
/* Tests */

static void test_limits_default(void **state)
{
    (void)state;
    struct mp_photo_limits lim = defaults();
    assert_int_equal(lim.max_bytes, 8u << 20);
    assert_int_equal(lim.max_pixels, 40000000ul);
    assert_int_equal(lim.max_side, 1600);
    assert_int_equal(lim.thumb_side, 320);
}

static void test_sniff(void **state)
{
    (void)state;
    static const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    const char *mime = "x";

    assert_int_equal(mp_photo_sniff(jpg, sizeof jpg, &mime), MP_OK);
    assert_string_equal(mime, "image/jpeg");
    assert_int_equal(mp_photo_sniff(png, sizeof png, &mime), MP_OK);
    assert_string_equal(mime, "image/png");
    assert_int_equal(mp_photo_sniff(png, sizeof png - 1, &mime), MP_EMEDIATYPE);
    assert_null(mime);
    assert_int_equal(mp_photo_sniff(jpg, 2, &mime), MP_EMEDIATYPE);
    assert_int_equal(mp_photo_sniff((const unsigned char *)"GIF89a", 6, &mime), MP_EMEDIATYPE);
    assert_int_equal(mp_photo_sniff(NULL, 0, &mime), MP_EMEDIATYPE);
    assert_int_equal(mp_photo_sniff(jpg, sizeof jpg, NULL), MP_EINVAL);
}

/* A phone photo (exiftool-written EXIF with GPS, XMP, comment; orientation
 * 6): nothing of that survives and the picture is turned upright. */
static void test_fixture_gps_orient6(void **state)
{
    (void)state;
    struct buf in = read_fixture("gps_orient6.jpg");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    assert_true(contains_str(in.p, in.n, "Exif")); /* the fixture really has them */
    assert_true(contains_str(in.p, in.n, "WGS-84"));
    process_ok(in.p, in.n, &lim, &out);
    assert_string_equal(out.source_type, "image/jpeg");
    assert_int_equal(out.width, 32);
    assert_int_equal(out.height, 64);
    assert_int_equal(out.thumb_width, 32);
    assert_int_equal(out.thumb_height, 64);
    const char *leaks[] = {"WGS-84", "MeldpuntPhone", "SecretModel", "MELDPUNT-COMMENT",
                           "MELDPUNT-XMP", "GPS"};
    for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++) {
        assert_false(contains_str(out.full, out.full_len, leaks[i]));
        assert_false(contains_str(out.thumb, out.thumb_len, leaks[i]));
    }
    /* Rotated 90 degrees clockwise: blue | red over white | green. */
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_int_equal(img.w, 32);
    assert_int_equal(img.h, 64);
    assert_quadrants(&img, BLUE, RED, WHITE, GREEN);
    free(img.px);
    img = decode_rgb(out.thumb, out.thumb_len);
    assert_quadrants(&img, BLUE, RED, WHITE, GREEN);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

/* Hand-made EXIF in both byte orders, all eight orientations. */
static void test_orientations(void **state)
{
    (void)state;
    const unsigned char *expect[9][4] = {
        {0},
        {RED, GREEN, BLUE, WHITE},   /* 1 as stored */
        {GREEN, RED, WHITE, BLUE},   /* 2 mirror horizontal */
        {WHITE, BLUE, GREEN, RED},   /* 3 rotate 180 */
        {BLUE, WHITE, RED, GREEN},   /* 4 mirror vertical */
        {RED, BLUE, GREEN, WHITE},   /* 5 transpose */
        {BLUE, RED, WHITE, GREEN},   /* 6 rotate 90 CW */
        {WHITE, GREEN, BLUE, RED},   /* 7 transverse */
        {GREEN, WHITE, RED, BLUE},   /* 8 rotate 90 CCW */
    };
    unsigned char *px = make_quadrants(64, 32);
    struct buf plain = encode_jpeg(px, 64, 32, 95);
    struct mp_photo_limits lim = defaults();
    unsigned char exif[256];

    for (unsigned o = 1; o <= 8; o++) {
        for (int be = 0; be <= 1; be++) {
            size_t n = build_exif(exif, sizeof exif, be, o);
            struct buf in = insert_app1(&plain, exif, n);
            struct mp_photo out = {0};
            process_ok(in.p, in.n, &lim, &out);
            assert_false(contains_str(out.full, out.full_len, GPS_DATUM));
            unsigned ew = o >= 5 ? 32 : 64, eh = o >= 5 ? 64 : 32;
            assert_int_equal(out.width, ew);
            assert_int_equal(out.height, eh);
            struct rgb img = decode_rgb(out.full, out.full_len);
            assert_int_equal(img.w, ew);
            assert_int_equal(img.h, eh);
            assert_quadrants(&img, expect[o][0], expect[o][1], expect[o][2], expect[o][3]);
            free(img.px);
            mp_photo_clear(&out);
            free(in.p);
        }
    }
    free(plain.p);
    free(px);
}

/* EXIF with GPS and orientation 1 on a camera-sized photo: GPS bytes gone,
 * no APP1 marker anywhere in the output, downscaled to 1600 / 320. */
static void test_exif_gps_stripped_and_downscaled(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(2000, 1000);
    struct buf plain = encode_jpeg(px, 2000, 1000, 90);
    unsigned char exif[256];
    size_t n = build_exif(exif, sizeof exif, 1, 1);
    struct buf in = insert_app1(&plain, exif, n);
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    assert_true(contains_str(in.p, in.n, GPS_DATUM));
    process_ok(in.p, in.n, &lim, &out);
    assert_false(contains_str(out.full, out.full_len, GPS_DATUM));
    assert_false(contains_str(out.thumb, out.thumb_len, GPS_DATUM));
    assert_int_equal(out.width, 1600);
    assert_int_equal(out.height, 800);
    assert_int_equal(out.thumb_width, 320);
    assert_int_equal(out.thumb_height, 160);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_int_equal(img.w, 1600);
    assert_int_equal(img.h, 800);
    assert_quadrants(&img, RED, GREEN, BLUE, WHITE);
    free(img.px);
    img = decode_rgb(out.thumb, out.thumb_len);
    assert_int_equal(img.w, 320);
    assert_int_equal(img.h, 160);
    assert_quadrants(&img, RED, GREEN, BLUE, WHITE);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
    free(plain.p);
    free(px);
}

/* Portrait, odd ratio, and orientation 8 on top: sides swap after scaling. */
static void test_downscale_portrait_rotated(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(1000, 3000);
    struct buf plain = encode_jpeg(px, 1000, 3000, 85);
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    process_ok(plain.p, plain.n, &lim, &out);
    assert_int_equal(out.width, 533);
    assert_int_equal(out.height, 1600);
    assert_int_equal(out.thumb_width, 107);
    assert_int_equal(out.thumb_height, 320);
    mp_photo_clear(&out);

    unsigned char exif[256];
    size_t n = build_exif(exif, sizeof exif, 0, 8);
    struct buf in = insert_app1(&plain, exif, n);
    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 1600);
    assert_int_equal(out.height, 533);
    assert_int_equal(out.thumb_width, 320);
    assert_int_equal(out.thumb_height, 107);
    mp_photo_clear(&out);
    free(in.p);
    free(plain.p);
    free(px);
}

/* One-pixel black/white stripes halved: area averaging gives grey, nearest
 * neighbour would give black or white. PNG input, so no DCT scaling helps. */
static void test_downscale_averages(void **state)
{
    (void)state;
    unsigned w = 400, h = 100;
    unsigned char *px = malloc((size_t)w * h * 3);
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    assert_non_null(px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            memset(px + ((size_t)y * w + x) * 3, x % 2 ? 255 : 0, 3);
    struct buf in = encode_png(px, w, h, 3);
    lim.max_side = 200;
    lim.thumb_side = 50;
    process_ok(in.p, in.n, &lim, &out);
    assert_string_equal(out.source_type, "image/png");
    assert_int_equal(out.width, 200);
    assert_int_equal(out.height, 50);
    assert_int_equal(out.thumb_width, 50);
    assert_int_equal(out.thumb_height, 13);
    struct rgb img = decode_rgb(out.full, out.full_len);
    for (unsigned y = 0; y < img.h; y += 7)
        for (unsigned x = 0; x < img.w; x += 13)
            assert_pixel_near(&img, x, y, 128, 128, 128, 6);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
    free(px);
}

/* No upscaling: a small photo keeps its size, thumb included. */
static void test_small_not_enlarged(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(16, 8);
    struct buf in = encode_jpeg(px, 16, 8, 90);
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 16);
    assert_int_equal(out.height, 8);
    assert_int_equal(out.thumb_width, 16);
    assert_int_equal(out.thumb_height, 8);
    mp_photo_clear(&out);
    free(in.p);
    free(px);
}

/* RGBA with text chunks: composited on white, text gone. */
static void test_png_alpha_text(void **state)
{
    (void)state;
    struct buf in = read_fixture("alpha_text.png");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    assert_true(contains_str(in.p, in.n, "tEXt"));
    process_ok(in.p, in.n, &lim, &out);
    assert_string_equal(out.source_type, "image/png");
    assert_int_equal(out.width, 40);
    assert_int_equal(out.height, 30);
    const char *leaks[] = {"tEXt", "iTXt", "MELDPUNT-PNG-TEXT", "MELDPUNT-PNG-XMP"};
    for (size_t i = 0; i < sizeof leaks / sizeof *leaks; i++)
        assert_false(contains_str(out.full, out.full_len, leaks[i]));
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 5, 15, 255, 0, 0, 30);
    assert_pixel_near(&img, 34, 15, 255, 255, 255, 10); /* transparent black -> white */
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

/* Half-transparent pixels blend with white. */
static void test_png_partial_alpha(void **state)
{
    (void)state;
    unsigned char px[8 * 8 * 4];
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    for (size_t i = 0; i < sizeof px; i += 4) {
        px[i] = 0;
        px[i + 1] = 0;
        px[i + 2] = 0;
        px[i + 3] = 128;
    }
    struct buf in = encode_png(px, 8, 8, 4);
    process_ok(in.p, in.n, &lim, &out);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 4, 4, 127, 127, 127, 4);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

static void test_png_gray16(void **state)
{
    (void)state;
    struct buf in = read_fixture("gray16.png");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 50);
    assert_int_equal(out.height, 20);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 5, 10, 0, 0, 0, 8);
    assert_pixel_near(&img, 45, 10, 255, 255, 255, 8);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

static void test_png_palette_trns(void **state)
{
    (void)state;
    struct buf in = read_fixture("palette_trns.png");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 24);
    assert_int_equal(out.height, 24);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 12, 3, 0, 255, 0, 30);
    assert_pixel_near(&img, 12, 20, 255, 255, 255, 10);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

/* RGB with a tRNS colour key: keyed pixels become white. */
static void test_png_rgb_color_key(void **state)
{
    (void)state;
    unsigned char px[16 * 16 * 3];
    png_color_16 key;
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    memset(&key, 0, sizeof key); /* black is transparent */
    for (unsigned y = 0; y < 16; y++)
        for (unsigned x = 0; x < 16; x++)
            memcpy(px + (y * 16 + x) * 3, x < 8 ? (const unsigned char *)"\0\0\0" : RED, 3);
    struct buf in = encode_png_key(px, 16, 16, 3, &key);
    process_ok(in.p, in.n, &lim, &out);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 3, 8, 255, 255, 255, 10);
    assert_pixel_near(&img, 12, 8, 255, 0, 0, 30);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

static void test_png_interlaced(void **state)
{
    (void)state;
    struct buf in = read_fixture("interlaced.png");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 33);
    assert_int_equal(out.height, 17);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 16, 0, 255, 0, 0, 40);
    assert_pixel_near(&img, 16, 16, 0, 0, 255, 40);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

static void test_jpeg_progressive_and_gray(void **state)
{
    (void)state;
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};
    struct buf in = read_fixture("progressive.jpg");

    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 64);
    assert_int_equal(out.height, 32);
    struct rgb img = decode_rgb(out.full, out.full_len);
    assert_quadrants(&img, RED, GREEN, BLUE, WHITE);
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);

    in = read_fixture("gray.jpg");
    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 64);
    assert_int_equal(out.height, 32);
    img = decode_rgb(out.full, out.full_len);
    assert_pixel_near(&img, 48, 24, 255, 255, 255, 10); /* white stays white */
    const unsigned char *tl = img.px + (16 * 64 + 8) * 3;
    assert_true(tl[0] == tl[1] && tl[1] == tl[2]);       /* grey stays grey */
    free(img.px);
    mp_photo_clear(&out);
    free(in.p);
}

static void test_cmyk_rejected(void **state)
{
    (void)state;
    struct buf in = read_fixture("cmyk.jpg");
    struct mp_photo_limits lim = defaults();
    expect_failure(in.p, in.n, &lim, MP_EMEDIATYPE, "unsupported_color_space");
    free(in.p);
}

static void test_gif_and_fake_jpg_unsupported(void **state)
{
    (void)state;
    struct mp_photo_limits lim = defaults();
    struct mp_photo out;
    struct mp_error err;
    const char *names[] = {"gif.gif", "not_a_photo.jpg"};

    for (size_t i = 0; i < 2; i++) {
        struct buf in = read_fixture(names[i]);
        memset(&err, 0, sizeof err);
        assert_int_equal(mp_photo_process(in.p, in.n, &lim, &out, &err), MP_EMEDIATYPE);
        assert_string_equal(err.code, "unsupported_media_type");
        assert_string_equal(err.text, "photo must be a JPEG or PNG image");
        assert_zeroed(&out);
        free(in.p);
    }
    expect_failure((const unsigned char *)"", 0, &lim, MP_EMEDIATYPE, "unsupported_media_type");
    expect_failure(NULL, 0, &lim, MP_EMEDIATYPE, "unsupported_media_type");
}

/* Every prefix of a JPEG: never a crash; the half-file is invalid_photo. */
static void test_truncated_jpeg(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(96, 64);
    for (size_t i = 0; i < (size_t)96 * 64 * 3; i++)
        px[i] = (unsigned char)(px[i] ^ ((i * 37) & 0x3F)); /* texture: more scan data */
    struct buf in = encode_jpeg(px, 96, 64, 90);
    struct mp_photo_limits lim = defaults();

    expect_failure(in.p, in.n / 2, &lim, MP_EINVAL, "invalid_photo");
    expect_failure(in.p, 200, &lim, MP_EINVAL, "invalid_photo");
    for (size_t n = 3; n < in.n; n++) {
        struct mp_photo out = {0};
        struct mp_error err = {{0}, {0}};
        enum mp_status rc = mp_photo_process(in.p, n, &lim, &out, &err);
        if (rc == MP_OK) {
            assert_true(n >= in.n - 2); /* at most the EOI marker may be missing */
            mp_photo_clear(&out);
        } else {
            assert_int_equal(rc, MP_EINVAL);
            assert_string_equal(err.code, "invalid_photo");
            assert_zeroed(&out);
        }
    }

    /* Cut mid-scan and "repaired" with an EOI: premature end of segment. */
    size_t sos = 2;
    while (sos + 1 < in.n && !(in.p[sos] == 0xFF && in.p[sos + 1] == 0xDA))
        sos++;
    assert_true(sos + 100 < in.n);
    size_t keep = sos + (in.n - sos) / 2;
    struct buf cut = {malloc(keep + 2), keep + 2};
    assert_non_null(cut.p);
    memcpy(cut.p, in.p, keep);
    memcpy(cut.p + keep, "\xFF\xD9", 2);
    expect_failure(cut.p, cut.n, &lim, MP_EINVAL, "invalid_photo");
    free(cut.p);
    free(in.p);
    free(px);

    in = read_fixture("progressive.jpg");
    expect_failure(in.p, in.n / 2, &lim, MP_EINVAL, "invalid_photo");
    free(in.p);
}

static void test_truncated_png(void **state)
{
    (void)state;
    const char *names[] = {"alpha_text.png", "interlaced.png", "gray16.png"};
    struct mp_photo_limits lim = defaults();

    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        struct buf in = read_fixture(names[i]);
        expect_failure(in.p, in.n / 2, &lim, MP_EINVAL, "invalid_photo");
        for (size_t n = 8; n < in.n; n++) {
            struct mp_photo out = {0};
            struct mp_error err = {{0}, {0}};
            enum mp_status rc = mp_photo_process(in.p, n, &lim, &out, &err);
            if (rc == MP_OK) {
                assert_true(n >= in.n - 12); /* only IEND may be missing */
                mp_photo_clear(&out);
            } else {
                assert_int_equal(rc, MP_EINVAL);
                assert_string_equal(err.code, "invalid_photo");
            }
        }
        free(in.p);
    }
}

static void test_corrupt_bytes(void **state)
{
    (void)state;
    struct mp_photo_limits lim = defaults();
    unsigned char junk[600];

    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 7919u >> 3);
    memcpy(junk, "\xFF\xD8\xFF", 3);
    expect_failure(junk, sizeof junk, &lim, MP_EINVAL, "invalid_photo");
    memcpy(junk, "\x89PNG\r\n\x1a\n", 8);
    expect_failure(junk, sizeof junk, &lim, MP_EINVAL, "invalid_photo");

    /* A flipped byte inside the PNG pixel data: CRC mismatch. */
    struct buf in = read_fixture("gray16.png");
    in.p[in.n - 20] ^= 0x55;
    expect_failure(in.p, in.n, &lim, MP_EINVAL, "invalid_photo");
    free(in.p);
}

/* A progressive JPEG with 379 scans (every AC coefficient of every
 * component in its own scan, then refined): valid, but refused, since scan
 * count multiplies decoding time. */
static void test_jpeg_too_many_scans(void **state)
{
    (void)state;
    static jpeg_scan_info scans[1 + 2 * 3 * 63];
    unsigned char *px = make_quadrants(32, 32);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr je;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    int n = 0;

    memset(scans, 0, sizeof scans);
    scans[n].comps_in_scan = 3;
    for (int k = 0; k < 3; k++)
        scans[n].component_index[k] = k;
    n++;
    for (int pass = 0; pass < 2; pass++)
        for (int comp = 0; comp < 3; comp++)
            for (int k = 1; k <= 63; k++, n++) {
                scans[n].comps_in_scan = 1;
                scans[n].component_index[0] = comp;
                scans[n].Ss = scans[n].Se = k;
                scans[n].Ah = pass;
                scans[n].Al = 1 - pass;
            }
    assert_int_equal(n, (int)(sizeof scans / sizeof *scans));
    c.err = jpeg_std_error(&je);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = 32;
    c.image_height = 32;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    c.scan_info = scans;
    c.num_scans = n;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * 32 * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);

    struct mp_photo_limits lim = defaults();
    struct mp_photo out;
    struct mp_error err;
    assert_int_equal(mp_photo_process(mem, mem_len, &lim, &out, &err), MP_EINVAL);
    assert_string_equal(err.code, "invalid_photo");
    assert_non_null(strstr(err.text, "progressive scans"));
    assert_zeroed(&out);
    free(mem);
    free(px);
}

static void test_too_many_bytes(void **state)
{
    (void)state;
    struct buf in = read_fixture("gps_orient6.jpg");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};

    lim.max_bytes = in.n - 1;
    expect_failure(in.p, in.n, &lim, MP_ETOOBIG, "photo_too_large");
    lim.max_bytes = in.n;
    process_ok(in.p, in.n, &lim, &out);
    mp_photo_clear(&out);
    free(in.p);
}

/* Decompression bombs: the header alone decides, before any pixel buffer
 * exists (under ASan a 40 GB allocation attempt would abort the test). */
static void test_png_bomb_header(void **state)
{
    (void)state;
    unsigned char png[8 + 25 + 12];
    struct mp_photo_limits lim = defaults();

    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    memcpy(png + 8, "\0\0\0\x0dIHDR", 8);
    const unsigned char ihdr[13] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0};
    memcpy(png + 16, ihdr, sizeof ihdr); /* 100000 x 100000, 8-bit RGB */
    uint32_t crc = crc32_png(png + 12, 17);
    for (int i = 0; i < 4; i++)
        png[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
    memcpy(png + 33, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    expect_failure(png, sizeof png, &lim, MP_EINVAL, "photo_too_large_dimensions");

    /* Let the header pass: libpng then finds no pixel data at all. */
    lim.max_pixels = ULONG_MAX;
    expect_failure(png, sizeof png, &lim, MP_EINVAL, "invalid_photo");
    /* Only the IHDR's size fields are needed to refuse. */
    lim.max_pixels = 1000;
    expect_failure(png, 24, &lim, MP_EINVAL, "photo_too_large_dimensions");
}

static void test_jpeg_bomb_header(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(16, 16);
    struct buf in = encode_jpeg(px, 16, 16, 90);
    struct mp_photo_limits lim = defaults();
    size_t i;

    for (i = 2; i + 9 < in.n; i++)
        if (in.p[i] == 0xFF && in.p[i + 1] == 0xC0)
            break;
    assert_true(i + 9 < in.n);
    in.p[i + 5] = 0xEA; /* height 60000 */
    in.p[i + 6] = 0x60;
    in.p[i + 7] = 0xEA; /* width 60000 */
    in.p[i + 8] = 0x60;
    expect_failure(in.p, in.n, &lim, MP_EINVAL, "photo_too_large_dimensions");
    free(in.p);
    free(px);
}

/* Lying EXIF: offsets and counts beyond the segment are ignored safely. */
static void test_exif_malformed(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(64, 32);
    struct buf plain = encode_jpeg(px, 64, 32, 90);
    struct mp_photo_limits lim = defaults();
    unsigned char exif[256];
    size_t n;

    for (int variant = 0; variant < 6; variant++) {
        n = build_exif(exif, sizeof exif, 0, 6);
        unsigned char *t = exif + 6;
        switch (variant) {
        case 0: put32(t + 4, 0xFFFFFFF0u, 0); break;      /* IFD0 far outside */
        case 1: put16(t + 8, 0xFFFF, 0); put16(t + 10, 0x1234, 0); break; /* huge count */
        case 2: n = 6 + 20; break;                        /* entry cut off */
        case 3: put16(t + 18, 9, 0); break;               /* orientation out of range */
        case 4: memcpy(t, "XX", 2); break;                /* bad byte order */
        case 5: put32(t + 4, 7, 0); break;                /* IFD inside header */
        }
        struct buf in = insert_app1(&plain, exif, n);
        struct mp_photo out = {0};
        process_ok(in.p, in.n, &lim, &out);
        assert_int_equal(out.width, 64); /* orientation not applied */
        assert_int_equal(out.height, 32);
        mp_photo_clear(&out);
        free(in.p);
    }
    /* A count that runs past the end must still find an in-range entry. */
    n = build_exif(exif, sizeof exif, 0, 6);
    put16(exif + 6 + 8, 500, 0);
    struct buf in = insert_app1(&plain, exif, n);
    struct mp_photo out = {0};
    process_ok(in.p, in.n, &lim, &out);
    assert_int_equal(out.width, 32);
    mp_photo_clear(&out);
    free(in.p);
    free(plain.p);
    free(px);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct buf in = read_fixture("gray.jpg");
    struct mp_photo_limits lim = defaults();
    struct mp_photo out = {0};
    struct mp_error err;

    assert_int_equal(mp_photo_process(in.p, in.n, NULL, &out, &err), MP_EINVAL);
    assert_string_equal(err.code, "invalid_argument");
    assert_int_equal(mp_photo_process(in.p, in.n, &lim, NULL, &err), MP_EINVAL);
    assert_int_equal(mp_photo_process(NULL, 10, &lim, &out, NULL), MP_EINVAL);
    lim.max_side = 0;
    expect_failure(in.p, in.n, &lim, MP_EINVAL, "invalid_argument");
    lim = defaults();
    lim.thumb_side = 70000;
    expect_failure(in.p, in.n, &lim, MP_EINVAL, "invalid_argument");
    free(in.p);
}

static void test_clear(void **state)
{
    (void)state;
    struct mp_photo p = {0};
    mp_photo_clear(NULL);
    mp_photo_clear(&p);
    p.full = malloc(4);
    p.thumb = malloc(4);
    p.full_len = p.thumb_len = 4;
    mp_photo_clear(&p);
    assert_zeroed(&p);
    mp_photo_clear(&p);
    mp_photo_limits_default(NULL);
}

struct thread_job {
    const struct buf *in;
    const struct mp_photo *expect;
    int ok;
};

static void *thread_main(void *arg)
{
    struct thread_job *j = arg;
    struct mp_photo_limits lim;
    mp_photo_limits_default(&lim);
    j->ok = 1;
    for (int i = 0; i < 5; i++) {
        struct mp_photo out = {0};
        struct mp_error err;
        if (mp_photo_process(j->in->p, j->in->n, &lim, &out, &err) != MP_OK ||
            out.full_len != j->expect->full_len ||
            memcmp(out.full, j->expect->full, out.full_len) != 0 ||
            out.thumb_len != j->expect->thumb_len ||
            memcmp(out.thumb, j->expect->thumb, out.thumb_len) != 0)
            j->ok = 0;
        mp_photo_clear(&out);
    }
    return NULL;
}

/* Concurrent calls give the same bytes as a lone call. */
static void test_threads(void **state)
{
    (void)state;
    unsigned char *px = make_quadrants(900, 700);
    struct buf plain = encode_jpeg(px, 900, 700, 90);
    unsigned char exif[256];
    size_t n = build_exif(exif, sizeof exif, 1, 6);
    struct buf in = insert_app1(&plain, exif, n);
    struct mp_photo_limits lim = defaults();
    struct mp_photo expect = {0};
    pthread_t th[4];
    struct thread_job jobs[4];

    lim.max_side = 500;
    lim.thumb_side = 100;
    process_ok(in.p, in.n, &lim, &expect);
    mp_photo_clear(&expect);
    lim = defaults();
    process_ok(in.p, in.n, &lim, &expect);
    for (int i = 0; i < 4; i++) {
        jobs[i].in = &in;
        jobs[i].expect = &expect;
        jobs[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_true(jobs[i].ok);
    }
    mp_photo_clear(&expect);
    free(in.p);
    free(plain.p);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_fixture_gps_orient6),
        cmocka_unit_test(test_orientations),
        cmocka_unit_test(test_exif_gps_stripped_and_downscaled),
        cmocka_unit_test(test_downscale_portrait_rotated),
        cmocka_unit_test(test_downscale_averages),
        cmocka_unit_test(test_small_not_enlarged),
        cmocka_unit_test(test_png_alpha_text),
        cmocka_unit_test(test_png_partial_alpha),
        cmocka_unit_test(test_png_gray16),
        cmocka_unit_test(test_png_palette_trns),
        cmocka_unit_test(test_png_rgb_color_key),
        cmocka_unit_test(test_png_interlaced),
        cmocka_unit_test(test_jpeg_progressive_and_gray),
        cmocka_unit_test(test_cmyk_rejected),
        cmocka_unit_test(test_gif_and_fake_jpg_unsupported),
        cmocka_unit_test(test_truncated_jpeg),
        cmocka_unit_test(test_truncated_png),
        cmocka_unit_test(test_corrupt_bytes),
        cmocka_unit_test(test_jpeg_too_many_scans),
        cmocka_unit_test(test_too_many_bytes),
        cmocka_unit_test(test_png_bomb_header),
        cmocka_unit_test(test_jpeg_bomb_header),
        cmocka_unit_test(test_exif_malformed),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests_name("photo", tests, NULL, NULL);
}
