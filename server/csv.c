#include "meldpunt/csv.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_RECORD_BYTES ((size_t)1 << 20)
#define DEFAULT_FIELDS ((size_t)256)
#define DEFAULT_CHUNK ((size_t)64 << 10)

/* Upper bounds on the limits themselves, so that no size computation below
 * can overflow whatever a caller passes. */
#define LIMIT_RECORD_BYTES ((size_t)1 << 30)
#define LIMIT_FIELDS ((size_t)1 << 20)
#define LIMIT_CHUNK ((size_t)16 << 20)

/* get() and peek() return a byte (0..255) or one of these. */
#define CH_END (-1)
#define CH_ERR (-2)

struct field {
    size_t off; /* into rec (or hdr) */
    size_t len; /* bytes, without the NUL that follows */
};

struct mp_csv_reader {
    FILE *f;
    struct mp_csv_limits lim;

    /* Read buffer: bytes [pos, len) are not consumed yet. */
    unsigned char *buf;
    size_t buf_cap, buf_len, buf_pos;
    int eof;
    int started; /* the BOM check has been done */

    /* Current record: field contents, each followed by a NUL. */
    char *rec;
    size_t rec_len, rec_cap;
    struct field *fields;
    size_t nfields, fields_cap;

    size_t line;     /* physical line of the next unconsumed byte */
    size_t rec_line; /* line on which the current record starts */

    /* Copy of the first record. */
    char *hdr;
    struct field *hdr_fields;
    size_t hdr_n;
    int hdr_tried; /* the first record has been attempted */

    int at_end;
    enum mp_status failed; /* sticky MP_EINVAL, MP_EIO or MP_ENOMEM */
    struct mp_error failed_err;
};

void mp_csv_limits_default(struct mp_csv_limits *lim)
{
    assert(lim);
    lim->max_record_bytes = DEFAULT_RECORD_BYTES;
    lim->max_fields = DEFAULT_FIELDS;
    lim->read_chunk_bytes = DEFAULT_CHUNK;
}

enum mp_status mp_csv_open(FILE *f, const struct mp_csv_limits *lim,
                           struct mp_csv_reader **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_csv_reader *r = NULL;

    assert(f && out);
    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    r->f = f;
    if (lim)
        r->lim = *lim;
    else
        mp_csv_limits_default(&r->lim);
    if (r->lim.read_chunk_bytes == 0)
        r->lim.read_chunk_bytes = DEFAULT_CHUNK;
    if (r->lim.max_record_bytes == 0 || r->lim.max_record_bytes > LIMIT_RECORD_BYTES ||
        r->lim.max_fields == 0 || r->lim.max_fields > LIMIT_FIELDS ||
        r->lim.read_chunk_bytes > LIMIT_CHUNK) {
        rc = mp_fail(err, MP_EINVAL, "csv_limits",
                     "CSV limits out of range (record 1..%zu bytes, 1..%zu fields, "
                     "chunk up to %zu bytes)",
                     LIMIT_RECORD_BYTES, LIMIT_FIELDS, LIMIT_CHUNK);
        goto out;
    }
    /* At least 3 bytes, so that the first fill can hold a whole BOM. */
    r->buf_cap = r->lim.read_chunk_bytes < 3 ? 3 : r->lim.read_chunk_bytes;
    r->buf = malloc(r->buf_cap);
    if (!r->buf) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    r->line = 1;
    *out = r;
    r = NULL;
out:
    mp_csv_close(r);
    return rc;
}

void mp_csv_close(struct mp_csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->rec);
    free(r->fields);
    free(r->hdr);
    free(r->hdr_fields);
    free(r);
}

/* Read up to want bytes into the empty buffer. Returns 0, or -1 on a read
 * error. Sets eof when the stream has nothing more. */
static int fill(struct mp_csv_reader *r, size_t want)
{
    assert(r->buf_pos == r->buf_len && want <= r->buf_cap);
    r->buf_pos = 0;
    r->buf_len = 0;
    if (r->eof)
        return 0;
    size_t n = fread(r->buf, 1, want, r->f);
    if (n == 0) {
        if (ferror(r->f))
            return -1;
        r->eof = 1;
    }
    r->buf_len = n;
    return 0;
}

static inline int peek(struct mp_csv_reader *r)
{
    if (r->buf_pos == r->buf_len) {
        if (fill(r, r->lim.read_chunk_bytes) != 0)
            return CH_ERR;
        if (r->buf_len == 0)
            return CH_END;
    }
    return r->buf[r->buf_pos];
}

static inline int get(struct mp_csv_reader *r)
{
    int c = peek(r);
    if (c >= 0)
        r->buf_pos++;
    return c;
}

/* The first bytes of the stream: gather three (or all there are) with
 * possibly several short reads, and drop them if they are a UTF-8 BOM. */
static int skip_bom(struct mp_csv_reader *r)
{
    while (r->buf_len < 3 && !r->eof) {
        size_t n = fread(r->buf + r->buf_len, 1, 3 - r->buf_len, r->f);
        if (n == 0) {
            if (ferror(r->f))
                return -1;
            r->eof = 1;
        }
        r->buf_len += n;
    }
    if (r->buf_len == 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
        r->buf_pos = 3;
    return 0;
}

static enum mp_status grow_rec(struct mp_csv_reader *r, size_t need)
{
    /* content + one NUL per field never exceeds raw bytes + 1 (every field
     * but the last was ended by a comma that counted as raw), so the
     * buffer never needs more than max_record_bytes + 2. */
    size_t limit = r->lim.max_record_bytes + 2;
    assert(need <= limit);
    size_t cap = r->rec_cap ? r->rec_cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    char *p = realloc(r->rec, cap);
    if (!p)
        return MP_ENOMEM;
    r->rec = p;
    r->rec_cap = cap;
    return MP_OK;
}

static inline enum mp_status append(struct mp_csv_reader *r, char c)
{
    if (r->rec_len + 1 > r->rec_cap) {
        enum mp_status rc = grow_rec(r, r->rec_len + 1);
        if (rc != MP_OK)
            return rc;
    }
    r->rec[r->rec_len++] = c;
    return MP_OK;
}

static enum mp_status begin_field(struct mp_csv_reader *r)
{
    assert(r->nfields < r->lim.max_fields);
    if (r->nfields == r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
        if (cap > r->lim.max_fields)
            cap = r->lim.max_fields;
        struct field *p = realloc(r->fields, cap * sizeof *p);
        if (!p)
            return MP_ENOMEM;
        r->fields = p;
        r->fields_cap = cap;
    }
    r->fields[r->nfields].off = r->rec_len;
    r->fields[r->nfields].len = 0;
    r->nfields++;
    return MP_OK;
}

static enum mp_status end_field(struct mp_csv_reader *r)
{
    struct field *fl = &r->fields[r->nfields - 1];
    fl->len = r->rec_len - fl->off;
    return append(r, '\0');
}

static enum mp_status keep_header(struct mp_csv_reader *r)
{
    r->hdr = malloc(r->rec_len);
    r->hdr_fields = malloc(r->nfields * sizeof *r->hdr_fields);
    if (!r->hdr || !r->hdr_fields) {
        free(r->hdr);
        free(r->hdr_fields);
        r->hdr = NULL;
        r->hdr_fields = NULL;
        return MP_ENOMEM;
    }
    memcpy(r->hdr, r->rec, r->rec_len);
    memcpy(r->hdr_fields, r->fields, r->nfields * sizeof *r->hdr_fields);
    r->hdr_n = r->nfields;
    return MP_OK;
}

static enum mp_status io_fail(const struct mp_csv_reader *r, struct mp_error *e)
{
    return mp_fail(e, MP_EIO, "csv_read_error", "read error near line %zu", r->line);
}

enum state { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED };

enum mp_status mp_csv_next(struct mp_csv_reader *r, size_t *nfields, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    enum mp_status skip = MP_OK; /* MP_ETOOBIG once the record is being skipped */
    enum state st = FIELD_START;
    size_t raw = 0;
    size_t qline = 0;
    int c;
    struct mp_error e = {{0}, {0}};

    assert(r && nfields);
    *nfields = 0;
    r->nfields = 0;
    r->rec_len = 0;
    if (r->failed != MP_OK) {
        e = r->failed_err;
        rc = r->failed;
        goto out;
    }
    if (r->at_end) {
        rc = mp_fail(&e, MP_ENOTFOUND, "csv_end", "end of file");
        goto out;
    }
    if (!r->started) {
        r->started = 1;
        if (skip_bom(r) != 0) {
            rc = io_fail(r, &e);
            goto out;
        }
    }

    /* Empty lines between records carry nothing: skip them. */
    for (;;) {
        c = peek(r);
        if (c == CH_ERR) {
            rc = io_fail(r, &e);
            goto out;
        }
        if (c == CH_END) {
            r->at_end = 1;
            rc = mp_fail(&e, MP_ENOTFOUND, "csv_end", "end of file");
            goto out;
        }
        if (c != '\n' && c != '\r')
            break;
        r->buf_pos++;
        if (c == '\r') {
            c = peek(r);
            if (c == CH_ERR) {
                rc = io_fail(r, &e);
                goto out;
            }
            if (c == '\n')
                r->buf_pos++;
        }
        r->line++;
    }

    r->rec_line = r->line;
    if ((rc = begin_field(r)) != MP_OK)
        goto out;
    for (;;) {
        c = get(r);
        if (c == CH_ERR) {
            rc = io_fail(r, &e);
            goto out;
        }
        if (c == CH_END) {
            if (st == QUOTED) {
                rc = mp_fail(&e, MP_EINVAL, "csv_unterminated_quote",
                             "unterminated quoted field starting on line %zu", qline);
                goto out;
            }
            r->at_end = 1;
            break;
        }
        if (st != QUOTED && (c == '\n' || c == '\r')) {
            if (c == '\r') {
                c = peek(r);
                if (c == CH_ERR) {
                    rc = io_fail(r, &e);
                    goto out;
                }
                if (c == '\n')
                    r->buf_pos++;
            }
            r->line++;
            break;
        }
        /* Once a record is too big, keep running the state machine to find
         * its end (quoted line breaks included) but store nothing. */
        if (++raw > r->lim.max_record_bytes && skip == MP_OK) {
            skip = mp_fail(&e, MP_ETOOBIG, "csv_record_too_big",
                           "record on line %zu is longer than %zu bytes", r->rec_line,
                           r->lim.max_record_bytes);
        }
        switch (st) {
        case FIELD_START:
            if (c == '"') {
                st = QUOTED;
                qline = r->line;
                break;
            }
            st = UNQUOTED;
            if (c == ',') {
                st = FIELD_START;
                goto next_field;
            }
            if (skip == MP_OK && (rc = append(r, (char)c)) != MP_OK)
                goto out;
            break;
        case UNQUOTED:
            if (c == ',') {
                st = FIELD_START;
                goto next_field;
            }
            /* A quote inside an unquoted field is data (see csv.h). */
            if (skip == MP_OK && (rc = append(r, (char)c)) != MP_OK)
                goto out;
            break;
        case QUOTED:
            if (c == '"') {
                st = QUOTE_IN_QUOTED;
                break;
            }
            if (c == '\n') {
                r->line++;
            } else if (c == '\r') {
                /* CRLF counts once, on its LF. */
                int n = peek(r);
                if (n == CH_ERR) {
                    rc = io_fail(r, &e);
                    goto out;
                }
                if (n != '\n')
                    r->line++;
            }
            if (skip == MP_OK && (rc = append(r, (char)c)) != MP_OK)
                goto out;
            break;
        case QUOTE_IN_QUOTED:
            if (c == '"') {
                st = QUOTED;
                if (skip == MP_OK && (rc = append(r, '"')) != MP_OK)
                    goto out;
                break;
            }
            if (c == ',') {
                st = FIELD_START;
                goto next_field;
            }
            rc = mp_fail(&e, MP_EINVAL, "csv_bad_quote",
                         "unexpected character after closing quote on line %zu", r->line);
            goto out;
        }
        continue;
    next_field:
        if (skip != MP_OK)
            continue;
        if ((rc = end_field(r)) != MP_OK)
            goto out;
        if (r->nfields == r->lim.max_fields) {
            skip = mp_fail(&e, MP_ETOOBIG, "csv_too_many_fields",
                           "record on line %zu has more than %zu fields", r->rec_line,
                           r->lim.max_fields);
            continue;
        }
        if ((rc = begin_field(r)) != MP_OK)
            goto out;
    }

    if (skip != MP_OK) {
        rc = skip;
        goto out;
    }
    if ((rc = end_field(r)) != MP_OK)
        goto out;
    if (!r->hdr_tried) {
        r->hdr_tried = 1;
        if ((rc = keep_header(r)) != MP_OK)
            goto out;
    }
    *nfields = r->nfields;
out:
    if (rc == MP_ENOMEM)
        mp_fail(&e, MP_ENOMEM, "out_of_memory", "out of memory");
    if (rc != MP_OK && rc != MP_ENOTFOUND) {
        r->nfields = 0;
        r->rec_len = 0;
        r->hdr_tried = 1;
    }
    /* These leave the stream mid-record with no reliable way to
     * resynchronise: make them final. */
    if ((rc == MP_EINVAL || rc == MP_EIO || rc == MP_ENOMEM) && r->failed == MP_OK) {
        r->failed = rc;
        r->failed_err = e;
    }
    if (rc != MP_OK && err)
        *err = e;
    return rc;
}

const char *mp_csv_field(const struct mp_csv_reader *r, size_t i, size_t *len)
{
    assert(r);
    if (i >= r->nfields) {
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = r->fields[i].len;
    return r->rec + r->fields[i].off;
}

size_t mp_csv_line(const struct mp_csv_reader *r)
{
    assert(r);
    return r->rec_line;
}

enum mp_status mp_csv_header_index(const struct mp_csv_reader *r, const char *name, size_t *idx)
{
    assert(r && name && idx);
    size_t n = strlen(name);
    for (size_t i = 0; i < r->hdr_n; i++) {
        const struct field *fl = &r->hdr_fields[i];
        if (fl->len == n && memcmp(r->hdr + fl->off, name, n) == 0) {
            *idx = i;
            return MP_OK;
        }
    }
    return MP_ENOTFOUND;
}

/* ---- writer ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? and nothing
 * else: what a spreadsheet reads as a number, never as a formula. */
static int is_plain_number(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && is_digit(s[i])) {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return 0;
    }
    return i == n;
}

static int formula_like(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    switch (s[0]) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
        return !is_plain_number(s, n);
    default:
        return 0;
    }
}

/* Output that stops at the first sink failure and remembers it. */
struct sink_state {
    mp_csv_sink sink;
    void *ctx;
    int failed;
};

static void put(struct sink_state *o, const char *data, size_t len)
{
    if (!o->failed && len > 0 && o->sink(o->ctx, data, len) != 0)
        o->failed = 1;
}

enum mp_status mp_csv_write_field(mp_csv_sink sink, void *ctx, const char *value, size_t len,
                                  int first_in_row)
{
    enum mp_status rc = MP_OK;
    struct sink_state o = {sink, ctx, 0};

    assert(sink);
    if (!value && len > 0) {
        rc = MP_EINVAL;
        goto out;
    }
    int neutralise = formula_like(value, len);
    /* An empty first field alone would make an empty line, and a leading BOM
     * at the start of a file would be dropped by readers: quote both. */
    int quote = neutralise || (first_in_row && len == 0) ||
                (len >= 3 && memcmp(value, "\xEF\xBB\xBF", 3) == 0);
    for (size_t i = 0; i < len && !quote; i++) {
        char c = value[i];
        quote = c == ',' || c == '"' || c == '\r' || c == '\n';
    }

    if (!first_in_row)
        put(&o, ",", 1);
    if (!quote) {
        put(&o, value, len);
    } else {
        put(&o, "\"'", neutralise ? (size_t)2 : (size_t)1);
        size_t start = 0;
        for (size_t i = 0; i < len; i++) {
            if (value[i] != '"')
                continue;
            /* Up to and including the quote, then the doubling quote. */
            put(&o, value + start, i + 1 - start);
            put(&o, "\"", 1);
            start = i + 1;
        }
        put(&o, value + start, len - start);
        put(&o, "\"", 1);
    }
    if (o.failed)
        rc = MP_EIO;
out:
    return rc;
}

enum mp_status mp_csv_end_row(mp_csv_sink sink, void *ctx)
{
    assert(sink);
    return sink(ctx, "\r\n", 2) != 0 ? MP_EIO : MP_OK;
}
