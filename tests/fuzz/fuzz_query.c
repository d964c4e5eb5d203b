/* fuzz_query.c - libFuzzer target for the query-string value parsers: bbox
 * (mp_bbox_parse), times (mp_time_parse, as since/until and Open311's
 * start_date/end_date use it) and page cursors (mp_api_cursor_decode).
 *
 * Splitting the query string and percent-decoding are libmicrohttpd's, and
 * mp_api_parse_query reads its arguments through the connection; both are
 * exercised by the integration tests. The value parsers are pure and are
 * fuzzed here with properties:
 *   - an accepted bbox is finite, inside WGS84 and has min < max;
 *   - an accepted time formats as ISO 8601 and parses back to itself;
 *   - a cursor that decodes re-encodes to one that decodes to the same id,
 *     and every id encodes to a cursor that decodes to it.
 * Input: byte 0 picks the parser, byte 1 the default zone offset for times,
 * the rest is the value.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "meldpunt/geom.h"
#include "meldpunt/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_bbox(const char *s)
{
    struct mp_bbox b;
    struct mp_error err = {{0}, {0}};
    if (mp_bbox_parse(s, &b, &err) == MP_OK) {
        CHECK(isfinite(b.min_lon) && isfinite(b.min_lat) && isfinite(b.max_lon) &&
              isfinite(b.max_lat));
        CHECK(b.min_lon >= -180 && b.max_lon <= 180 && b.min_lat >= -90 && b.max_lat <= 90);
        CHECK(b.min_lon < b.max_lon && b.min_lat < b.max_lat);
    } else {
        CHECK(err.code[0] && err.text[0]);
        fuzz_check_answer(MP_EINVAL, &err);
    }
}

static void fuzz_time(const char *s, int offset_byte)
{
    /* Zone offsets that exist: -12:00 .. +14:00 in quarter hours. */
    int64_t offset = (int64_t)((offset_byte % 105) - 48) * 900;
    int64_t t = 0, back = 0;
    if (mp_time_parse(s, offset, &t) != MP_OK)
        return;
    /* Years 1-9999 print in the four-digit form that parses back. */
    if (t < -62135596800LL || t > 253402300799LL)
        return;
    char out[32];
    mp_time_format(t, out, sizeof out);
    CHECK(strlen(out) == 20 && out[19] == 'Z');
    if (mp_time_parse(out, 0, &back) != MP_OK || back != t) {
        fprintf(stderr, "'%s' -> %lld -> '%s' -> %lld\n", s, (long long)t, out, (long long)back);
        abort();
    }
}

static void fuzz_cursor(const char *s, const uint8_t *raw, size_t n)
{
    int64_t id = -1, again = -1;
    char enc[64];
    if (mp_api_cursor_decode(s, &id) == MP_OK) {
        CHECK(id >= 0);
        mp_api_cursor_encode(id, enc, sizeof enc);
        CHECK(mp_api_cursor_decode(enc, &again) == MP_OK && again == id);
    }
    /* Any id the store can hand out survives encoding. */
    uint64_t v = 0;
    memcpy(&v, raw, n < sizeof v ? n : sizeof v);
    id = (int64_t)(v >> 1);
    mp_api_cursor_encode(id, enc, sizeof enc);
    CHECK(mp_api_cursor_decode(enc, &again) == MP_OK && again == id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    char *s = malloc(size - 1);
    CHECK(s != NULL);
    memcpy(s, data + 2, size - 2);
    s[size - 2] = '\0'; /* a NUL inside ends the value, as in a C string from the query */
    switch (data[0] % 3) {
    case 0: fuzz_bbox(s); break;
    case 1: fuzz_time(s, data[1]); break;
    default: fuzz_cursor(s, data + 2, size - 2); break;
    }
    free(s);
    return 0;
}
