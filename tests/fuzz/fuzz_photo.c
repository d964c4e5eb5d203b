/* fuzz_photo.c - libFuzzer target for mp_photo_process.
 *
 * Build (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_photo.c server/photo.c server/status.c -ljpeg -lpng -o fuzz_photo
 *   ./fuzz_photo -max_total_time=60 -max_len=65536 tests/fuzz/corpus/photo
 *
 * Limits are smaller than the server's so that each input stays fast; the
 * code paths are the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "meldpunt/photo.h"

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
            out.thumb_height > lim.thumb_side)
            abort();
    } else if (out.full || out.thumb || out.full_len || out.thumb_len) {
        abort();
    }
    mp_photo_clear(&out);
    return 0;
}
