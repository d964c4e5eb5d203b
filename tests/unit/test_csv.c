/* test_csv.c - the streaming CSV reader and the export field writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/csv.h"

/* ---- helpers ---- */

struct rd {
    FILE *f;
    struct mp_csv_reader *r;
};

static void rd_open_lim(struct rd *t, const char *data, size_t len,
                        const struct mp_csv_limits *lim)
{
    struct mp_error err;
    t->f = tmpfile();
    assert_non_null(t->f);
    if (len > 0)
        assert_int_equal(fwrite(data, 1, len, t->f), len);
    rewind(t->f);
    t->r = NULL;
    assert_int_equal(mp_csv_open(t->f, lim, &t->r, &err), MP_OK);
    assert_non_null(t->r);
}

static void rd_open_chunk(struct rd *t, const char *data, size_t len, size_t chunk)
{
    struct mp_csv_limits lim;
    mp_csv_limits_default(&lim);
    lim.read_chunk_bytes = chunk;
    rd_open_lim(t, data, len, &lim);
}

static void rd_open(struct rd *t, const char *s)
{
    rd_open_lim(t, s, strlen(s), NULL);
}

static void rd_close(struct rd *t)
{
    mp_csv_close(t->r);
    assert_int_equal(fclose(t->f), 0);
}

/* Read the next record and check it is exactly want[0..n) starting on line. */
static void expect_rec(struct rd *t, size_t line, const char *const *want, size_t n)
{
    struct mp_error err;
    size_t nf = 99;
    assert_int_equal(mp_csv_next(t->r, &nf, &err), MP_OK);
    assert_int_equal(nf, n);
    assert_int_equal(mp_csv_line(t->r), line);
    for (size_t i = 0; i < n; i++) {
        size_t len = 99;
        const char *got = mp_csv_field(t->r, i, &len);
        assert_int_equal(len, strlen(want[i]));
        assert_memory_equal(got, want[i], len);
        assert_int_equal(got[len], '\0');
    }
}

#define REC(t, line, ...)                                                                  \
    expect_rec((t), (line), (const char *const[]){__VA_ARGS__},                            \
               sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void expect_end(struct rd *t)
{
    struct mp_error err;
    size_t nf = 99;
    assert_int_equal(mp_csv_next(t->r, &nf, &err), MP_ENOTFOUND);
    assert_int_equal(nf, 0);
    /* and it stays at the end */
    assert_int_equal(mp_csv_next(t->r, &nf, &err), MP_ENOTFOUND);
}

static void expect_fail(struct rd *t, enum mp_status st, const char *code, const char *text_part)
{
    struct mp_error err;
    memset(&err, 0, sizeof err);
    size_t nf = 99;
    assert_int_equal(mp_csv_next(t->r, &nf, &err), st);
    assert_int_equal(nf, 0);
    assert_string_equal(err.code, code);
    if (!strstr(err.text, text_part))
        fail_msg("error text \"%s\" lacks \"%s\"", err.text, text_part);
    /* no fields are exposed after a failure */
    size_t len = 99;
    assert_string_equal(mp_csv_field(t->r, 0, &len), "");
    assert_int_equal(len, 0);
}

/* Serialise every record of data (read with the given chunk size) into out,
 * so that different chunk sizes can be compared byte for byte. */
static void dump_all(const char *data, size_t len, size_t chunk, char *out, size_t cap)
{
    struct rd t;
    size_t used = 0, nf;
    enum mp_status st;
    rd_open_chunk(&t, data, len, chunk);
    while ((st = mp_csv_next(t.r, &nf, NULL)) == MP_OK) {
        int n = snprintf(out + used, cap - used, "L%zu N%zu", mp_csv_line(t.r), nf);
        assert_true(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
        for (size_t i = 0; i < nf; i++) {
            size_t fl;
            const char *p = mp_csv_field(t.r, i, &fl);
            n = snprintf(out + used, cap - used, " [%zu:", fl);
            assert_true(n > 0 && (size_t)n < cap - used);
            used += (size_t)n;
            assert_true(fl + 2 < cap - used);
            memcpy(out + used, p, fl);
            used += fl;
            out[used++] = ']';
            out[used] = '\0';
        }
        assert_true(used + 1 < cap);
        out[used++] = '\n';
        out[used] = '\0';
    }
    int n = snprintf(out + used, cap - used, "END %d line %zu", (int)st, mp_csv_line(t.r));
    assert_true(n > 0 && (size_t)n < cap - used);
    rd_close(&t);
}

struct membuf {
    char data[8192];
    size_t len;
    int calls;
    int fail_at; /* fail on this call (1-based); 0 never */
};

static int mem_sink(void *ctx, const char *d, size_t n)
{
    struct membuf *m = ctx;
    m->calls++;
    if (m->fail_at && m->calls >= m->fail_at)
        return -1;
    if (n > sizeof m->data - 1 - m->len)
        return -1;
    memcpy(m->data + m->len, d, n);
    m->len += n;
    m->data[m->len] = '\0';
    return 0;
}

static const char *write_one(struct membuf *m, const char *v, int first)
{
    memset(m, 0, sizeof *m);
    assert_int_equal(mp_csv_write_field(mem_sink, m, v, strlen(v), first), MP_OK);
    return m->data;
}

/* ---- reader ---- */

static void test_limits_default(void **state)
{
    (void)state;
    struct mp_csv_limits lim;
    memset(&lim, 0xff, sizeof lim);
    mp_csv_limits_default(&lim);
    assert_int_equal(lim.max_record_bytes, 1024 * 1024);
    assert_int_equal(lim.max_fields, 256);
    assert_int_equal(lim.read_chunk_bytes, 64 * 1024);
}

static void test_open_rejects_bad_limits(void **state)
{
    (void)state;
    struct mp_csv_limits lim;
    struct mp_error err;
    struct mp_csv_reader *r = (struct mp_csv_reader *)&lim; /* must be reset to NULL */
    FILE *f = tmpfile();
    assert_non_null(f);

    mp_csv_limits_default(&lim);
    lim.max_fields = 0;
    assert_int_equal(mp_csv_open(f, &lim, &r, &err), MP_EINVAL);
    assert_null(r);
    assert_string_equal(err.code, "csv_limits");

    mp_csv_limits_default(&lim);
    lim.max_record_bytes = 0;
    assert_int_equal(mp_csv_open(f, &lim, &r, &err), MP_EINVAL);

    mp_csv_limits_default(&lim);
    lim.max_record_bytes = SIZE_MAX;
    assert_int_equal(mp_csv_open(f, &lim, &r, &err), MP_EINVAL);

    mp_csv_limits_default(&lim);
    lim.read_chunk_bytes = SIZE_MAX;
    assert_int_equal(mp_csv_open(f, &lim, &r, &err), MP_EINVAL);
    assert_null(r);

    mp_csv_close(NULL);
    assert_int_equal(fclose(f), 0);
}

static void test_simple_records(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "name,ward,lat\nPothole,28,41.87\nLight out,3,41.9\n");
    assert_int_equal(mp_csv_line(t.r), 0);
    REC(&t, 1, "name", "ward", "lat");
    REC(&t, 2, "Pothole", "28", "41.87");
    REC(&t, 3, "Light out", "3", "41.9");
    expect_end(&t);
    rd_close(&t);
}

static void test_field_out_of_range(void **state)
{
    (void)state;
    struct rd t;
    size_t len = 99;
    rd_open(&t, "a,b\n");
    /* before the first record */
    assert_string_equal(mp_csv_field(t.r, 0, &len), "");
    assert_int_equal(len, 0);
    REC(&t, 1, "a", "b");
    len = 99;
    assert_string_equal(mp_csv_field(t.r, 2, &len), "");
    assert_int_equal(len, 0);
    assert_string_equal(mp_csv_field(t.r, SIZE_MAX, NULL), "");
    assert_string_equal(mp_csv_field(t.r, 1, NULL), "b");
    expect_end(&t);
    assert_string_equal(mp_csv_field(t.r, 0, NULL), "");
    rd_close(&t);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "\"a,b\",\"say \"\"hi\"\"\",\"\",\"\"\"\"\n"
                "\"multi\nline\",x\n"
                "\"crlf\r\ninside\",\"bare\rcr\"\n"
                "after,\"q\"\n");
    REC(&t, 1, "a,b", "say \"hi\"", "", "\"");
    REC(&t, 2, "multi\nline", "x");
    /* the record on line 2 spans two lines, so this one starts on line 4 */
    REC(&t, 4, "crlf\r\ninside", "bare\rcr");
    REC(&t, 7, "after", "q");
    expect_end(&t);
    rd_close(&t);
}

static void test_line_ends(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "a,b\r\nc,d\ne,f\rg,h\r\n");
    REC(&t, 1, "a", "b");
    REC(&t, 2, "c", "d");
    REC(&t, 3, "e", "f");
    REC(&t, 4, "g", "h");
    expect_end(&t);
    rd_close(&t);
}

static void test_bom_skipped(void **state)
{
    (void)state;
    struct rd t;
    size_t idx = 99;
    rd_open(&t, "\xEF\xBB\xBFid,name\n1,\xEF\xBB\xBFx\n");
    REC(&t, 1, "id", "name");
    assert_int_equal(mp_csv_header_index(t.r, "id", &idx), MP_OK);
    assert_int_equal(idx, 0);
    /* only a BOM at the very start is dropped */
    REC(&t, 2, "1", "\xEF\xBB\xBFx");
    expect_end(&t);
    rd_close(&t);

    /* a BOM alone, a partial BOM, a BOM with 1-byte reads */
    rd_open(&t, "\xEF\xBB\xBF");
    expect_end(&t);
    rd_close(&t);
    rd_open(&t, "\xEF\xBB");
    REC(&t, 1, "\xEF\xBB");
    expect_end(&t);
    rd_close(&t);
    rd_open_chunk(&t, "\xEF\xBB\xBF" "a\n", 5, 1);
    REC(&t, 1, "a");
    expect_end(&t);
    rd_close(&t);
}

static void test_empty_fields(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "a,b,\n,,\n,x\n\"\"\n \n");
    REC(&t, 1, "a", "b", "");
    REC(&t, 2, "", "", "");
    REC(&t, 3, "", "x");
    /* a quoted empty field is a record, not a blank line; so is a space */
    REC(&t, 4, "");
    REC(&t, 5, " ");
    expect_end(&t);
    rd_close(&t);
}

static void test_final_record_without_newline(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "a,b\nc,d");
    REC(&t, 1, "a", "b");
    REC(&t, 2, "c", "d");
    expect_end(&t);
    rd_close(&t);

    rd_open(&t, "a,\"b\"");
    REC(&t, 1, "a", "b");
    expect_end(&t);
    rd_close(&t);

    rd_open(&t, "a,");
    REC(&t, 1, "a", "");
    expect_end(&t);
    rd_close(&t);
}

static void test_blank_lines_skipped(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "\n\r\na,b\n\n\r\n\rc\n\n");
    REC(&t, 3, "a", "b");
    REC(&t, 7, "c");
    expect_end(&t);
    rd_close(&t);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "");
    expect_end(&t);
    rd_close(&t);
    rd_open(&t, "\n\n\r\n");
    expect_end(&t);
    rd_close(&t);
}

static void test_nul_byte_in_field(void **state)
{
    (void)state;
    struct rd t;
    size_t nf, len;
    rd_open_lim(&t, "a\0b,c\n", 6, NULL);
    assert_int_equal(mp_csv_next(t.r, &nf, NULL), MP_OK);
    assert_int_equal(nf, 2);
    const char *p = mp_csv_field(t.r, 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "a\0b", 4);
    rd_close(&t);
}

static void test_bare_quote_in_unquoted_field(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "12\" pipe,x\"y\"z,a\"\n");
    REC(&t, 1, "12\" pipe", "x\"y\"z", "a\"");
    expect_end(&t);
    rd_close(&t);
}

static void test_text_after_closing_quote(void **state)
{
    (void)state;
    struct rd t;
    rd_open(&t, "ok,1\n\"a\",\"b\"c,d\n");
    REC(&t, 1, "ok", "1");
    expect_fail(&t, MP_EINVAL, "csv_bad_quote", "line 2");
    rd_close(&t);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    struct rd t;
    struct mp_error err;
    size_t nf;
    rd_open(&t, "h1,h2\n\"two\nlines\",x\nok,\"never closed\nmore\nand more");
    REC(&t, 1, "h1", "h2");
    REC(&t, 2, "two\nlines", "x");
    expect_fail(&t, MP_EINVAL, "csv_unterminated_quote",
                "unterminated quoted field starting on line 4");
    assert_int_equal(mp_csv_line(t.r), 4);
    /* final: the same error again, not a bogus record or a clean end */
    assert_int_equal(mp_csv_next(t.r, &nf, &err), MP_EINVAL);
    assert_string_equal(err.text, "unterminated quoted field starting on line 4");
    assert_int_equal(mp_csv_next(t.r, &nf, NULL), MP_EINVAL);
    rd_close(&t);

    rd_open(&t, "\"");
    expect_fail(&t, MP_EINVAL, "csv_unterminated_quote", "line 1");
    rd_close(&t);
}

static void test_read_error(void **state)
{
    (void)state;
    struct mp_csv_reader *r = NULL;
    struct mp_error err;
    size_t nf;
    FILE *f = fopen("/dev/null", "w"); /* reading a write-only stream fails */
    assert_non_null(f);
    assert_int_equal(mp_csv_open(f, NULL, &r, &err), MP_OK);
    assert_int_equal(mp_csv_next(r, &nf, &err), MP_EIO);
    assert_string_equal(err.code, "csv_read_error");
    assert_int_equal(mp_csv_next(r, &nf, &err), MP_EIO);
    mp_csv_close(r);
    assert_int_equal(fclose(f), 0);
}

static void test_header_index(void **state)
{
    (void)state;
    struct rd t;
    size_t idx = 99;
    rd_open(&t, "id,Name,name,,lat,name\n1,2,3,4,5,6\nid,x\n");
    assert_int_equal(mp_csv_header_index(t.r, "id", &idx), MP_ENOTFOUND);
    REC(&t, 1, "id", "Name", "name", "", "lat", "name");
    assert_int_equal(mp_csv_header_index(t.r, "id", &idx), MP_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(mp_csv_header_index(t.r, "Name", &idx), MP_OK);
    assert_int_equal(idx, 1);
    /* case-sensitive; the first of duplicates wins */
    assert_int_equal(mp_csv_header_index(t.r, "name", &idx), MP_OK);
    assert_int_equal(idx, 2);
    assert_int_equal(mp_csv_header_index(t.r, "", &idx), MP_OK);
    assert_int_equal(idx, 3);
    /* exact: no prefixes, no extension */
    idx = 99;
    assert_int_equal(mp_csv_header_index(t.r, "la", &idx), MP_ENOTFOUND);
    assert_int_equal(mp_csv_header_index(t.r, "lat ", &idx), MP_ENOTFOUND);
    assert_int_equal(mp_csv_header_index(t.r, "LAT", &idx), MP_ENOTFOUND);
    assert_int_equal(idx, 99);
    /* the header survives later records, which do not replace it */
    REC(&t, 2, "1", "2", "3", "4", "5", "6");
    REC(&t, 3, "id", "x");
    expect_end(&t);
    assert_int_equal(mp_csv_header_index(t.r, "lat", &idx), MP_OK);
    assert_int_equal(idx, 4);
    assert_int_equal(mp_csv_header_index(t.r, "x", &idx), MP_ENOTFOUND);
    rd_close(&t);
}

static void test_header_not_set_when_first_record_fails(void **state)
{
    (void)state;
    struct rd t;
    struct mp_csv_limits lim;
    size_t idx;
    mp_csv_limits_default(&lim);
    lim.max_fields = 2;
    rd_open_lim(&t, "a,b,c\nd,e\n", 10, &lim);
    expect_fail(&t, MP_ETOOBIG, "csv_too_many_fields", "line 1");
    REC(&t, 2, "d", "e");
    assert_int_equal(mp_csv_header_index(t.r, "a", &idx), MP_ENOTFOUND);
    assert_int_equal(mp_csv_header_index(t.r, "d", &idx), MP_ENOTFOUND);
    rd_close(&t);
}

static const char tricky[] =
    "\xEF\xBB\xBF"
    "id,text,n\r\n"
    "1,\"a,b\",\r\n"
    "\r\n"
    "2,\"multi\r\nline \"\"quoted\"\"\nend\",x\n"
    "3,plain\"quote,\"\"\"\"\"\"\"\"\"\"\"\"\"\"\n"
    "\n\n"
    "4,,\r"
    "5,\"\xE2\x80\x93 caf\xC3\xA9\",\"\"\r\n"
    "6,last,\"no newline\"";

static void test_chunk_boundaries(void **state)
{
    (void)state;
    static char ref[8192], got[8192];
    /* Every split point of the input falls on a read boundary for some of
     * these chunk sizes; the result must not depend on it. */
    dump_all(tricky, sizeof tricky - 1, 0, ref, sizeof ref);
    assert_non_null(strstr(ref, "L1 N3 [2:id] [4:text] [1:n]\n"));
    assert_non_null(strstr(ref, "L4 N3 [1:2] [24:multi\r\nline \"quoted\"\nend] [1:x]\n"));
    assert_non_null(strstr(ref, "L7 N3 [1:3] [11:plain\"quote] [6:\"\"\"\"\"\"]\n"));
    assert_non_null(strstr(ref, "L10 N3 [1:4] [0:] [0:]\n"));
    assert_non_null(strstr(ref, "L12 N3 [1:6] [4:last] [10:no newline]\nEND"));
    for (size_t chunk = 1; chunk <= 17; chunk++) {
        dump_all(tricky, sizeof tricky - 1, chunk, got, sizeof got);
        assert_string_equal(got, ref);
    }
}

/* A file several times the default chunk, with multi-line quoted records
 * that straddle the 64 KiB read boundaries. */
static void test_large_file_across_chunks(void **state)
{
    (void)state;
    const size_t nrec = 3000;
    size_t cap = (size_t)400 * 1024, used = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    for (size_t i = 0; i < nrec; i++) {
        /* field 2 holds i quotes' worth of text of varying length */
        int n = snprintf(data + used, cap - used, "%zu,\"v%zu \"\"q\"\",\r\n%0*zu\",tail\n", i, i,
                         (int)(i % 97), (size_t)0);
        assert_true(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
    }
    assert_true(used > (size_t)3 * 64 * 1024);

    size_t chunks[] = {0, 7, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct rd t;
        size_t nf;
        char want[256];
        rd_open_chunk(&t, data, used, chunks[c]);
        for (size_t i = 0; i < nrec; i++) {
            assert_int_equal(mp_csv_next(t.r, &nf, NULL), MP_OK);
            assert_int_equal(nf, 3);
            assert_int_equal(mp_csv_line(t.r), 1 + 2 * i);
            assert_int_equal(strtoul(mp_csv_field(t.r, 0, NULL), NULL, 10), i);
            int n = snprintf(want, sizeof want, "v%zu \"q\",\r\n%0*zu", i, (int)(i % 97),
                             (size_t)0);
            assert_true(n > 0 && (size_t)n < sizeof want);
            assert_string_equal(mp_csv_field(t.r, 1, NULL), want);
            assert_string_equal(mp_csv_field(t.r, 2, NULL), "tail");
        }
        expect_end(&t);
        rd_close(&t);
    }
    free(data);
}

static void test_record_too_big(void **state)
{
    (void)state;
    const size_t big = (size_t)2 * 1024 * 1024;
    size_t cap = 2 * big + 200, used = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    /* line 1: header; line 2: a 2 MB unquoted record; lines 3-5: a 2 MB quoted
     * record with line breaks; line 6: a normal record */
    memcpy(data, "h1,h2\n", 6);
    used = 6;
    memset(data + used, 'x', big);
    used += big;
    data[used++] = '\n';
    data[used++] = '"';
    memset(data + used, 'y', big);
    data[used + 10] = '\n';
    data[used + 20] = ',';
    data[used + 30] = '\r';
    data[used + 31] = '\n';
    used += big;
    memcpy(data + used, "\",z\nafter,ok\n", 13);
    used += 13;

    struct rd t;
    rd_open_lim(&t, data, used, NULL);
    REC(&t, 1, "h1", "h2");
    expect_fail(&t, MP_ETOOBIG, "csv_record_too_big", "record on line 2 is longer than 1048576");
    expect_fail(&t, MP_ETOOBIG, "csv_record_too_big", "record on line 3 is longer than 1048576");
    /* the oversized records were skipped to their ends */
    REC(&t, 6, "after", "ok");
    expect_end(&t);
    rd_close(&t);
    free(data);
}

static void test_limits_exact(void **state)
{
    (void)state;
    struct rd t;
    struct mp_csv_limits lim;
    mp_csv_limits_default(&lim);
    lim.max_record_bytes = 7; /* counts quotes and commas, not the line end */
    lim.max_fields = 3;
    const char in[] = "abc,d,e\r\n\"a\"\"\",b\nabcdefgh\na,b,c,d\n,,\n,,,\n1234567";
    rd_open_lim(&t, in, sizeof in - 1, &lim);
    REC(&t, 1, "abc", "d", "e");
    REC(&t, 2, "a\"", "b");
    expect_fail(&t, MP_ETOOBIG, "csv_record_too_big", "line 3 is longer than 7 bytes");
    expect_fail(&t, MP_ETOOBIG, "csv_too_many_fields", "line 4 has more than 3 fields");
    REC(&t, 5, "", "", "");
    expect_fail(&t, MP_ETOOBIG, "csv_too_many_fields", "line 6");
    REC(&t, 7, "1234567");
    expect_end(&t);
    rd_close(&t);
}

static void test_chicago_311(void **state)
{
    (void)state;
    const char *dir = getenv("MELDPUNT_SHARED_DIR");
    /* A prerequisite (CTest sets it): a skip would count as passed. */
    if (!dir || !*dir)
        fail_msg("MELDPUNT_SHARED_DIR is not set (run through ctest)");
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/data/chicago/chicago_311_2021-01-01_02.csv", dir);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);

    struct mp_csv_reader *r = NULL;
    struct mp_error err;
    size_t nf, loc, lat, lon, sr;
    assert_int_equal(mp_csv_open(f, NULL, &r, &err), MP_OK);
    assert_int_equal(mp_csv_next(r, &nf, &err), MP_OK);
    assert_int_equal(nf, 37);
    assert_string_equal(mp_csv_field(r, 0, NULL), "sr_number");
    assert_string_equal(mp_csv_field(r, 36, NULL), "electrical_district");
    assert_int_equal(mp_csv_header_index(r, "sr_number", &sr), MP_OK);
    assert_int_equal(sr, 0);
    assert_int_equal(mp_csv_header_index(r, "location", &loc), MP_OK);
    assert_int_equal(loc, 34);
    assert_int_equal(mp_csv_header_index(r, "latitude", &lat), MP_OK);
    assert_int_equal(lat, 32);
    assert_int_equal(mp_csv_header_index(r, "longitude", &lon), MP_OK);
    assert_int_equal(lon, 33);

    size_t with_location = 0;
    for (size_t row = 0; row < 100; row++) {
        assert_int_equal(mp_csv_next(r, &nf, &err), MP_OK);
        assert_int_equal(nf, 37);
        assert_int_equal(mp_csv_line(r), row + 2);
        assert_memory_equal(mp_csv_field(r, sr, NULL), "SR21-", 5);
        size_t len;
        const char *l = mp_csv_field(r, loc, &len);
        if (len == 0)
            continue;
        with_location++;
        /* {'latitude': '41.87...', 'longitude': '-87.67...', 'human_address':
         * '{"address": "", ...}'} - one field, commas and unescaped quotes */
        assert_memory_equal(l, "{'latitude': '", 14);
        assert_int_equal(l[len - 1], '}');
        assert_non_null(strchr(l, ','));
        assert_non_null(strstr(l, "'human_address': '{\"address\": \"\", \"city\": \"\""));
        char want[128];
        n = snprintf(want, sizeof want, "'latitude': '%s', 'longitude': '%s'",
                     mp_csv_field(r, lat, NULL), mp_csv_field(r, lon, NULL));
        assert_true(n > 0 && (size_t)n < sizeof want);
        assert_non_null(strstr(l, want));
    }
    assert_true(with_location >= 95);
    /* and the rest of the file: 5,000 requests, all 37 columns */
    size_t rows = 100;
    enum mp_status st;
    while ((st = mp_csv_next(r, &nf, &err)) == MP_OK) {
        assert_int_equal(nf, 37);
        rows++;
    }
    assert_int_equal(st, MP_ENOTFOUND);
    assert_int_equal(rows, 5000);
    mp_csv_close(r);
    assert_int_equal(fclose(f), 0);
}

/* ---- writer ---- */

static void test_write_plain_and_quoted(void **state)
{
    (void)state;
    struct membuf m;
    assert_string_equal(write_one(&m, "Pothole", 1), "Pothole");
    assert_string_equal(write_one(&m, "Pothole", 0), ",Pothole");
    assert_string_equal(write_one(&m, "a,b", 1), "\"a,b\"");
    assert_string_equal(write_one(&m, "say \"hi\"", 0), ",\"say \"\"hi\"\"\"");
    assert_string_equal(write_one(&m, "\"", 1), "\"\"\"\"");
    assert_string_equal(write_one(&m, "l1\nl2", 1), "\"l1\nl2\"");
    assert_string_equal(write_one(&m, "l1\r\nl2", 1), "\"l1\r\nl2\"");
    assert_string_equal(write_one(&m, " spaced ", 1), " spaced ");
    assert_string_equal(write_one(&m, "caf\xC3\xA9", 1), "caf\xC3\xA9");
    assert_string_equal(write_one(&m, "\xEF\xBB\xBFid", 1), "\"\xEF\xBB\xBFid\"");
    /* empty: as is after a comma, "" at the start of a row */
    assert_string_equal(write_one(&m, "", 0), ",");
    assert_string_equal(write_one(&m, "", 1), "\"\"");
    memset(&m, 0, sizeof m);
    assert_int_equal(mp_csv_write_field(mem_sink, &m, NULL, 0, 0), MP_OK);
    assert_string_equal(m.data, ",");
    assert_int_equal(mp_csv_write_field(mem_sink, &m, NULL, 1, 0), MP_EINVAL);
    /* len, not strlen, decides */
    memset(&m, 0, sizeof m);
    assert_int_equal(mp_csv_write_field(mem_sink, &m, "a,b", 1, 1), MP_OK);
    assert_string_equal(m.data, "a");

    memset(&m, 0, sizeof m);
    assert_int_equal(mp_csv_end_row(mem_sink, &m), MP_OK);
    assert_string_equal(m.data, "\r\n");
}

static void test_write_formula_neutralised(void **state)
{
    (void)state;
    struct membuf m;
    assert_string_equal(write_one(&m, "=SUM(A1)", 1), "\"'=SUM(A1)\"");
    assert_string_equal(write_one(&m, "+31 6 1234", 1), "\"'+31 6 1234\"");
    assert_string_equal(write_one(&m, "-2+3", 0), ",\"'-2+3\"");
    assert_string_equal(write_one(&m, "@cmd", 1), "\"'@cmd\"");
    assert_string_equal(write_one(&m, "\tx", 1), "\"'\tx\"");
    assert_string_equal(write_one(&m, "\rx", 1), "\"'\rx\"");
    assert_string_equal(write_one(&m, "-", 1), "\"'-\"");
    assert_string_equal(write_one(&m, "=HYPERLINK(\"http://x\",\"y\")", 1),
                        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    /* plain numbers stay numeric */
    assert_string_equal(write_one(&m, "-87.6798462", 0), ",-87.6798462");
    assert_string_equal(write_one(&m, "+3", 1), "+3");
    assert_string_equal(write_one(&m, "-.5", 1), "-.5");
    assert_string_equal(write_one(&m, "-1.5e-3", 1), "-1.5e-3");
    assert_string_equal(write_one(&m, "-12.", 1), "-12.");
    /* ...but not almost-numbers */
    assert_string_equal(write_one(&m, "-1e", 1), "\"'-1e\"");
    assert_string_equal(write_one(&m, "-.", 1), "\"'-.\"");
    assert_string_equal(write_one(&m, "-1 ", 1), "\"'-1 \"");
    assert_string_equal(write_one(&m, "-0x10", 1), "\"'-0x10\"");
    /* not at the start: not a formula */
    assert_string_equal(write_one(&m, "a=b", 1), "a=b");
    assert_string_equal(write_one(&m, " =1", 1), " =1");
}

static void test_write_sink_failure(void **state)
{
    (void)state;
    struct membuf m;
    /* fail at every possible call; the error must surface and writing stop */
    for (int at = 1; at <= 8; at++) {
        memset(&m, 0, sizeof m);
        m.fail_at = at;
        enum mp_status st = mp_csv_write_field(mem_sink, &m, "=\"a\"\"b\"", 7, 0);
        if (m.calls >= at) {
            assert_int_not_equal(st, MP_OK);
            assert_int_equal(m.calls, at);
        } else {
            assert_int_equal(st, MP_OK);
        }
    }
    memset(&m, 0, sizeof m);
    m.fail_at = 1;
    assert_int_not_equal(mp_csv_write_field(mem_sink, &m, "x", 1, 1), MP_OK);
    memset(&m, 0, sizeof m);
    m.fail_at = 1;
    assert_int_not_equal(mp_csv_end_row(mem_sink, &m), MP_OK);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const rows[][4] = {
        {"\xEF\xBB\xBF" "id", "text", "lon", "lat"},
        {"1", "say \"hi\", then leave", "-87.6798462", "41.8718313"},
        {"2", "line1\nline2\r\nline3\r", "", "x"},
        {"3", "Stra\xC3\x9F" "e \xE2\x80\x93 caf\xC3\xA9 \xF0\x9F\x9A\xA7", ",", "\"\""},
        {"", "", "", ""},
        {"=SUM(A1)", "@x", "+1", "-2-2"},
    };
    static const char *const expect[][4] = {
        {"\xEF\xBB\xBF" "id", "text", "lon", "lat"},
        {"1", "say \"hi\", then leave", "-87.6798462", "41.8718313"},
        {"2", "line1\nline2\r\nline3\r", "", "x"},
        {"3", "Stra\xC3\x9F" "e \xE2\x80\x93 caf\xC3\xA9 \xF0\x9F\x9A\xA7", ",", "\"\""},
        {"", "", "", ""},
        {"'=SUM(A1)", "'@x", "+1", "'-2-2"},
    };
    const size_t nrows = sizeof rows / sizeof rows[0];
    static struct membuf m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < nrows; i++) {
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(
                mp_csv_write_field(mem_sink, &m, rows[i][j], strlen(rows[i][j]), j == 0), MP_OK);
        assert_int_equal(mp_csv_end_row(mem_sink, &m), MP_OK);
    }
    /* a one-column table with an empty value must survive too */
    assert_int_equal(mp_csv_write_field(mem_sink, &m, "", 0, 1), MP_OK);
    assert_int_equal(mp_csv_end_row(mem_sink, &m), MP_OK);

    for (size_t chunk = 0; chunk <= 5; chunk++) {
        struct rd t;
        size_t nf, idx;
        rd_open_chunk(&t, m.data, m.len, chunk);
        for (size_t i = 0; i < nrows; i++) {
            assert_int_equal(mp_csv_next(t.r, &nf, NULL), MP_OK);
            assert_int_equal(nf, 4);
            for (size_t j = 0; j < 4; j++)
                assert_string_equal(mp_csv_field(t.r, j, NULL), expect[i][j]);
        }
        REC(&t, 10, "");
        expect_end(&t);
        assert_int_equal(mp_csv_header_index(t.r, "lat", &idx), MP_OK);
        assert_int_equal(idx, 3);
        rd_close(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_open_rejects_bad_limits),
        cmocka_unit_test(test_simple_records),
        cmocka_unit_test(test_field_out_of_range),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_bom_skipped),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_final_record_without_newline),
        cmocka_unit_test(test_blank_lines_skipped),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_nul_byte_in_field),
        cmocka_unit_test(test_bare_quote_in_unquoted_field),
        cmocka_unit_test(test_text_after_closing_quote),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_header_index),
        cmocka_unit_test(test_header_not_set_when_first_record_fails),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_large_file_across_chunks),
        cmocka_unit_test(test_record_too_big),
        cmocka_unit_test(test_limits_exact),
        cmocka_unit_test(test_chicago_311),
        cmocka_unit_test(test_write_plain_and_quoted),
        cmocka_unit_test(test_write_formula_neutralised),
        cmocka_unit_test(test_write_sink_failure),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
