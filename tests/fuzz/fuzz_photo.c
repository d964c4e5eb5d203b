/* fuzz_photo.c - libFuzzer target for mp_photo_process.
 *
 * Build (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_photo.c server/photo.c server/status.c -ljpeg -lpng -o fuzz_photo
 *   ./fuzz_photo -max_total_time=60 -max_len=65536 tests/fuzz/corpus/photo
 *
 * Limits are smaller than the server's so that each input stays fast; the
 * code paths are the same.
 *
 * Besides memory errors it checks what photo.h promises: both outputs are
 * JPEGs within the limits, and no metadata of the original survives. The
 * marker segments of each output are walked to the end: APP0 must be JFIF,
 * and an APP1-APP15 segment (EXIF, XMP, ICC, IPTC, ...) or a COM comment
 * aborts. Should an output ever be a PNG, its tEXt, iTXt, zTXt and eXIf
 * chunks abort likewise. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/photo.h"

/* Abort with the reason: libFuzzer keeps the input as a crash. */
static void fail(const char *what, size_t at)
{
    (void)fprintf(stderr, "fuzz_photo: %s at byte %zu of an output\n", what, at);
    abort();
}

/* Walk the JPEG's markers from SOI to EOI, through the entropy-coded data
 * after each SOS (where 0xFF is followed by 0x00 or a restart marker). */
static void check_jpeg_clean(const unsigned char *p, size_t n)
{
    size_t i = 2;
    if (n < 4 || p[0] != 0xFF || p[1] != 0xD8)
        fail("no SOI", 0);
    for (;;) {
        if (i + 2 > n)
            fail("no EOI", i);
        if (p[i] != 0xFF)
            fail("no marker", i);
        while (i + 1 < n && p[i + 1] == 0xFF) /* fill bytes */
            i++;
        unsigned m = p[i + 1];
        if (m == 0xD9)
            return;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            i += 2;
            continue;
        }
        if (i + 4 > n)
            fail("truncated segment", i);
        size_t len = ((size_t)p[i + 2] << 8) | p[i + 3];
        if (len < 2 || i + 2 + len > n)
            fail("segment length out of bounds", i);
        if (m >= 0xE1 && m <= 0xEF)
            fail("an APPn segment (EXIF, XMP, ICC, ...) survived", i);
        if (m == 0xFE)
            fail("a COM segment survived", i);
        if (m == 0xE0 && (len < 7 || memcmp(p + i + 4, "JFIF\0", 5) != 0))
            fail("an APP0 segment that is not JFIF", i);
        i += 2 + len;
        if (m != 0xDA)
            continue;
        /* Entropy-coded data up to the next real marker. */
        while (i + 1 < n &&
               !(p[i] == 0xFF && p[i + 1] != 0x00 && !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7)))
            i++;
    }
}

/* Walk a PNG's chunks: none of the text or EXIF kinds may be there. */
static void check_png_clean(const unsigned char *p, size_t n)
{
    static const char *const banned[] = {"tEXt", "iTXt", "zTXt", "eXIf"};
    size_t i = 8;
    while (i + 12 <= n) {
        size_t len =
            ((size_t)p[i] << 24) | ((size_t)p[i + 1] << 16) | ((size_t)p[i + 2] << 8) | p[i + 3];
        for (size_t k = 0; k < sizeof banned / sizeof *banned; k++)
            if (memcmp(p + i + 4, banned[k], 4) == 0)
                fail("a PNG text or eXIf chunk survived", i);
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return;
        if (len > n - i - 12)
            fail("chunk length out of bounds", i);
        i += 12 + len;
    }
    fail("no IEND", i);
}

static void check_clean(const unsigned char *p, size_t n)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n >= 8 && memcmp(p, png_sig, 8) == 0)
        check_png_clean(p, n);
    else
        check_jpeg_clean(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_photo_limits lim;
    struct mp_photo out;
    struct mp_error err;
    const char *mime = NULL;

    mp_photo_limits_default(&lim);
    lim.max_bytes = 1u << 20;
    lim.max_pixels = 4000000ul;
    lim.max_side = 256;
    lim.thumb_side = 64;

    enum mp_status sniffed = mp_photo_sniff(data, size, &mime);
    enum mp_status rc = mp_photo_process(data, size, &lim, &out, &err);
    if (rc == MP_OK) {
        /* Outputs must be real JPEGs within the limits. */
        if (sniffed != MP_OK || !out.full || !out.thumb || out.full_len < 4 ||
            out.full[0] != 0xFF || out.full[1] != 0xD8 || out.width > lim.max_side ||
            out.height > lim.max_side || out.thumb_width > lim.thumb_side ||
            out.thumb_height > lim.thumb_side || out.thumb_len < 4 || out.thumb[0] != 0xFF ||
            out.thumb[1] != 0xD8)
            abort();
        /* Nothing of the original file but the picture. */
        check_clean(out.full, out.full_len);
        check_clean(out.thumb, out.thumb_len);
    } else if (out.full || out.thumb || out.full_len || out.thumb_len) {
        abort();
    }
    mp_photo_clear(&out);
    return 0;
}
