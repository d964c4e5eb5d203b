/* fuzz_csv.c - libFuzzer target for the CSV reader and writer.
 *
 * Each input is read twice in lockstep, with the default 64 KiB chunk and
 * with a tiny one, and both readers must agree on every status, line and
 * field. Every record read is then written back with mp_csv_write_field and
 * read again: the fields must survive, apart from the documented apostrophe
 * in front of formula-like values.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       tests/fuzz/fuzz_csv.c server/csv.c server/status.c -o /tmp/fuzz_csv
 *   cp -r tests/fuzz/corpus/csv /tmp/csv-corpus
 *   /tmp/fuzz_csv -max_total_time=60 /tmp/csv-corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            (void)fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

struct out {
    char *p;
    size_t len, cap;
};

static int out_sink(void *ctx, const char *d, size_t n)
{
    struct out *o = ctx;
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 1024;
        while (n > cap - o->len)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p)
            return -1;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, d, n);
    o->len += n;
    return 0;
}

static int is_trigger(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* Write the current record of r and read it back. */
static void round_trip(const struct mp_csv_reader *r, size_t nf)
{
    struct out o = {NULL, 0, 0};
    struct mp_csv_reader *back = NULL;
    struct mp_csv_limits lim;
    FILE *f = NULL;
    size_t bnf = 0;

    for (size_t i = 0; i < nf; i++) {
        size_t len;
        const char *v = mp_csv_field(r, i, &len);
        CHECK(mp_csv_write_field(out_sink, &o, v, len, i == 0) == MP_OK);
    }
    CHECK(mp_csv_end_row(out_sink, &o) == MP_OK);

    mp_csv_limits_default(&lim);
    lim.max_record_bytes = (size_t)64 * 1024;
    f = fmemopen(o.p, o.len, "r");
    CHECK(f != NULL);
    CHECK(mp_csv_open(f, &lim, &back, NULL) == MP_OK);
    CHECK(mp_csv_next(back, &bnf, NULL) == MP_OK);
    CHECK(bnf == nf);
    for (size_t i = 0; i < nf; i++) {
        size_t len, blen;
        const char *v = mp_csv_field(r, i, &len);
        const char *b = mp_csv_field(back, i, &blen);
        if (blen == len) {
            CHECK(memcmp(b, v, len) == 0);
            /* left as is although formula-like: only plain numbers may be */
            if (len > 0 && is_trigger(v[0])) {
                CHECK(v[0] == '+' || v[0] == '-');
                CHECK(strspn(v, "0123456789.eE+-") == len);
            }
        } else {
            CHECK(blen == len + 1 && b[0] == '\'' && len > 0 && is_trigger(v[0]));
            CHECK(memcmp(b + 1, v, len) == 0);
        }
    }
    CHECK(mp_csv_next(back, &bnf, NULL) == MP_ENOTFOUND);
    mp_csv_close(back);
    CHECK(fclose(f) == 0);
    free(o.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_csv_limits lim;
    struct mp_csv_reader *a = NULL, *b = NULL;
    FILE *fa = NULL, *fb = NULL;
    struct mp_error ea, eb;
    char *copy = malloc(size ? size : 1); /* fmemopen wants a mutable buffer */

    if (!copy)
        goto out;
    if (size)
        memcpy(copy, data, size);
    fa = fmemopen(copy, size, "r");
    fb = fmemopen(copy, size, "r");
    if (!fa || !fb)
        goto out;

    mp_csv_limits_default(&lim);
    lim.max_record_bytes = 4096;
    lim.max_fields = 64;
    lim.read_chunk_bytes = 0;
    CHECK(mp_csv_open(fa, &lim, &a, &ea) == MP_OK);
    lim.read_chunk_bytes = 1 + size % 13;
    CHECK(mp_csv_open(fb, &lim, &b, &eb) == MP_OK);

    for (size_t rec = 0;; rec++) {
        size_t na = 0, nb = 0;
        enum mp_status sa = mp_csv_next(a, &na, &ea);
        enum mp_status sb = mp_csv_next(b, &nb, &eb);
        CHECK(sa == sb);
        CHECK(na == nb);
        CHECK(mp_csv_line(a) == mp_csv_line(b));
        if (sa != MP_OK) {
            CHECK(na == 0);
            CHECK(strcmp(ea.code, eb.code) == 0 && strcmp(ea.text, eb.text) == 0);
            CHECK(sa == MP_ENOTFOUND || sa == MP_EINVAL || sa == MP_ETOOBIG);
            if (sa == MP_ETOOBIG)
                continue;
            /* final: asking again gives the same answer */
            CHECK(mp_csv_next(a, &na, &ea) == sa);
            break;
        }
        CHECK(na > 0 && na <= 64);
        for (size_t i = 0; i < na; i++) {
            size_t la, lb;
            const char *pa = mp_csv_field(a, i, &la);
            const char *pb = mp_csv_field(b, i, &lb);
            CHECK(la == lb && la <= 4096 && memcmp(pa, pb, la) == 0);
            CHECK(pa[la] == '\0');
        }
        CHECK(mp_csv_field(a, na, NULL)[0] == '\0');
        if (rec == 0) {
            size_t len, idx = 99;
            const char *h = mp_csv_field(a, 0, &len);
            if (strlen(h) == len)
                CHECK(mp_csv_header_index(a, h, &idx) == MP_OK && idx == 0);
        }
        round_trip(a, na);
    }
out:
    mp_csv_close(a);
    mp_csv_close(b);
    if (fa)
        CHECK(fclose(fa) == 0);
    if (fb)
        CHECK(fclose(fb) == 0);
    free(copy);
    return 0;
}
