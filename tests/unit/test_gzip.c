/* test_gzip.c - gzip content coding (gzip.h): negotiation, types, whole
 * bodies and streamed bodies, checked by inflating them again with zlib. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/gzip.h"

static void test_accepted(void **state)
{
    (void)state;
    const char *yes[] = {"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "GZIP", "x-gzip",
                         "*",    "deflate, *;q=0.1",  "gzip;q=0.001"};
    const char *no[] = {"",      "identity", "deflate, br", "gzip;q=0",     "gzip;q=0.0, *",
                        "*;q=0", "gzipx",    "xgzip",       "br, gzip ;q=0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        assert_true(mp_gzip_accepted(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (mp_gzip_accepted(no[i]))
            fail_msg("'%s' should not accept gzip", no[i]);
    assert_false(mp_gzip_accepted(NULL));
}

static void test_types(void **state)
{
    (void)state;
    assert_true(mp_gzip_type_ok("application/geo+json"));
    assert_true(mp_gzip_type_ok("application/json"));
    assert_true(mp_gzip_type_ok("text/xml; charset=utf-8"));
    assert_true(mp_gzip_type_ok("text/csv"));
    assert_true(mp_gzip_type_ok("application/gpx+xml"));
    assert_true(mp_gzip_type_ok("image/svg+xml"));
    assert_false(mp_gzip_type_ok("image/jpeg"));
    assert_false(mp_gzip_type_ok("image/png"));
    assert_false(mp_gzip_type_ok("application/octet-stream"));
    assert_false(mp_gzip_type_ok(NULL));
}

static void test_buffer(void **state)
{
    (void)state;
    static char in[100000], back[100001];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = "{\"type\":\"Feature\",\"id\":12}"[i % 26];
    struct mp_buf out;
    mp_buf_init(&out, 0);
    mp_buf_adds(&out, "x"); /* appended after what is there */
    assert_int_equal(mp_gzip_buffer(in, sizeof in, &out), MP_OK);
    assert_true(out.len > 1 && out.len < sizeof in / 20);
    assert_int_equal(out.data[0], 'x');
    assert_int_equal((unsigned char)out.data[1], 0x1f); /* gzip magic */
    assert_int_equal((unsigned char)out.data[2], 0x8b);
    assert_int_equal(fx_gunzip(out.data + 1, out.len - 1, back, sizeof back), (long)sizeof in);
    assert_memory_equal(back, in, sizeof in);
    mp_buf_free(&out);
    /* A bound too small for the result fails; nothing half-written. */
    mp_buf_init(&out, 10);
    assert_int_equal(mp_gzip_buffer(in, sizeof in, &out), MP_ENOMEM);
    mp_buf_free(&out);
}

/* An inner stream: total bytes of a pattern in pieces of at most step, or
 * an error after fail_at bytes. */
struct source {
    size_t total, step, sent, fail_at;
    bool freed;
    uint64_t last_pos;
};

static long source_read(void *ctx, uint64_t pos, char *out, size_t max)
{
    struct source *s = ctx;
    assert_int_equal(pos, s->sent); /* read in order, positions as sent */
    if (s->fail_at && s->sent >= s->fail_at)
        return -1;
    size_t n = s->total - s->sent;
    if (n > max)
        n = max;
    if (n > s->step)
        n = s->step;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)('a' + (s->sent + i) % 7 + ((s->sent + i) / 4096) % 3);
    s->sent += n;
    return (long)n;
}

static void source_free(void *ctx) { ((struct source *)ctx)->freed = true; }

static void test_stream(void **state)
{
    (void)state;
    struct source src = {.total = 300000, .step = 777};
    struct mp_gzip_stream *g = NULL;
    assert_int_equal(mp_gzip_stream_new(source_read, &src, source_free, &g), MP_OK);
    struct mp_buf all;
    mp_buf_init(&all, 0);
    char chunk[5000];
    uint64_t pos = 0;
    long n;
    int calls = 0;
    while ((n = mp_gzip_stream_read(g, pos, chunk, sizeof chunk)) > 0) {
        mp_buf_add(&all, chunk, (size_t)n);
        pos += (uint64_t)n;
        /* A stream that never ends (no Z_FINISH) fails here, not by a hang. */
        assert_true(++calls < 1000);
    }
    assert_int_equal(n, 0);
    /* Read again after the end: still the end. */
    assert_int_equal(mp_gzip_stream_read(g, pos, chunk, sizeof chunk), 0);
    mp_gzip_stream_free(g);
    assert_true(src.freed);
    /* Chunks are filled, not one per inner piece. */
    assert_true(calls < (int)(all.len / sizeof chunk) + 2);
    char *back = malloc(src.total + 1);
    assert_non_null(back);
    assert_int_equal(fx_gunzip(all.data, all.len, back, src.total + 1), (long)src.total);
    struct source again = {.total = 300000, .step = 300000};
    char *want = malloc(src.total);
    assert_non_null(want);
    assert_int_equal(source_read(&again, 0, want, src.total), (long)src.total);
    assert_memory_equal(back, want, src.total);
    free(back);
    free(want);
    mp_buf_free(&all);
}

static void test_stream_error(void **state)
{
    (void)state;
    struct source src = {.total = 300000, .step = 1000, .fail_at = 100000};
    struct mp_gzip_stream *g = NULL;
    assert_int_equal(mp_gzip_stream_new(source_read, &src, source_free, &g), MP_OK);
    char chunk[4096];
    uint64_t pos = 0;
    long n;
    while ((n = mp_gzip_stream_read(g, pos, chunk, sizeof chunk)) > 0)
        pos += (uint64_t)n;
    assert_int_equal(n, -1); /* the inner error reaches the reader */
    mp_gzip_stream_free(g);
    assert_true(src.freed);
    /* An empty inner stream still makes a valid (empty) gzip. */
    struct source empty = {.total = 0, .step = 1};
    assert_int_equal(mp_gzip_stream_new(source_read, &empty, source_free, &g), MP_OK);
    n = mp_gzip_stream_read(g, 0, chunk, sizeof chunk);
    assert_true(n > 0);
    char back[8];
    assert_int_equal(fx_gunzip(chunk, (size_t)n, back, sizeof back), 0);
    assert_int_equal(mp_gzip_stream_read(g, (uint64_t)n, chunk, sizeof chunk), 0);
    mp_gzip_stream_free(g);
    mp_gzip_stream_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),     cmocka_unit_test(test_types),
        cmocka_unit_test(test_buffer),       cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
