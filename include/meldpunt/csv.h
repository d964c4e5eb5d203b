/* csv.h - streaming RFC 4180 CSV reader (city data imports) and a field
 * writer for exports.
 *
 * Reader
 * ------
 * Reads records from a borrowed FILE* in fixed-size chunks, so memory stays
 * bounded by the limits below whatever the file size. Accepted input:
 *   - fields separated by ',', records ended by CRLF, LF or a bare CR;
 *   - quoted fields with "" as an escaped quote; commas, CR and LF inside
 *     quotes are data (a quoted CRLF stays CRLF in the field);
 *   - a UTF-8 byte order mark at the very start of the file is skipped;
 *   - empty lines between records are skipped (a line holding only "" is not
 *     empty: it is a record with one empty field);
 *   - "a,b," is three fields, the last empty; the final record may lack its
 *     line end.
 * Leniency, decided deliberately:
 *   - a quote inside an unquoted field is data: 12" pipe,x gives the fields
 *     [12" pipe] and [x] (hand-edited exports do this; it is unambiguous);
 *   - anything but a comma or a line end right after a closing quote, as in
 *     "a"b, is MP_EINVAL: the quoting is broken and guessing could shift
 *     every later column;
 *   - an unterminated quote at end of file is MP_EINVAL.
 * Fields are bytes: no encoding is checked, and a field may contain NUL
 * bytes, so use the returned length when that matters.
 *
 * Thread-safety: a reader is used by one thread at a time; different readers
 * are independent. The writer functions keep no state and are reentrant.
 */
#ifndef MELDPUNT_CSV_H
#define MELDPUNT_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "meldpunt/status.h"

struct mp_csv_limits {
    /* Largest record, counted in input bytes from its first byte up to (not
     * including) its line end, quotes and separators included. Also bounds
     * the reader's memory (about twice this plus the field table). */
    size_t max_record_bytes;
    /* Most fields in one record. */
    size_t max_fields;
    /* Bytes per fread(); 0 selects the default (64 KiB). Small values exist
     * so that tests and fuzzing can put every byte on a chunk boundary. */
    size_t read_chunk_bytes;
};

/* Fill lim with the defaults: 1 MiB per record, 256 fields, 64 KiB chunks. */
void mp_csv_limits_default(struct mp_csv_limits *lim);

struct mp_csv_reader;

/* Create a reader over f. f is borrowed: it must stay open until
 * mp_csv_close(), and the caller closes it afterwards. lim is copied; NULL
 * means the defaults. Nothing is read until the first mp_csv_next().
 * Returns MP_OK with a new reader in *out (free with mp_csv_close), MP_EINVAL
 * for a zero or absurd limit, MP_ENOMEM. */
enum mp_status mp_csv_open(FILE *f, const struct mp_csv_limits *lim,
                           struct mp_csv_reader **out, struct mp_error *err) MP_WUR;

/* Free the reader (not its FILE*). Accepts NULL. */
void mp_csv_close(struct mp_csv_reader *r);

/* Read the next record. Returns
 *   MP_OK        *nfields > 0; fields via mp_csv_field();
 *   MP_ENOTFOUND clean end of file (again on every later call);
 *   MP_ETOOBIG   the record is over max_record_bytes or max_fields; it has
 *                been skipped to its end, so the next call reads the record
 *                after it (err names the line);
 *   MP_EINVAL    malformed quoting; err names the line, e.g.
 *                "unterminated quoted field starting on line 3";
 *   MP_EIO       the FILE* reported a read error;
 *   MP_ENOMEM.
 * MP_EINVAL, MP_EIO and MP_ENOMEM are final: later calls return the same
 * status. *nfields is 0 whenever the result is not MP_OK.
 * The first record of the file is remembered as the header (see
 * mp_csv_header_index); it is also returned as a normal record. */
enum mp_status mp_csv_next(struct mp_csv_reader *r, size_t *nfields,
                           struct mp_error *err) MP_WUR;

/* Field i of the current record: a borrowed, NUL-terminated pointer valid
 * until the next mp_csv_next() or mp_csv_close(). *len (if len is not NULL)
 * receives its length in bytes. For i out of range, or when there is no
 * current record, returns "" with *len = 0. Never NULL. */
const char *mp_csv_field(const struct mp_csv_reader *r, size_t i, size_t *len);

/* Physical line (1-based, counting CRLF, LF and bare CR) on which the current
 * record starts; 0 before the first record. A record with quoted line breaks
 * spans several lines; the next record's number accounts for them. */
size_t mp_csv_line(const struct mp_csv_reader *r);

/* Look name up among the columns of the header, which is the FIRST record of
 * the file as read by the first mp_csv_next() (a BOM is not part of it).
 * Exact byte-wise match, case-sensitive; with duplicate names, the first
 * column wins. Returns MP_OK with the 0-based column in *idx, or
 * MP_ENOTFOUND when the name is absent, no record has been read yet, or the
 * first record could not be read. */
enum mp_status mp_csv_header_index(const struct mp_csv_reader *r, const char *name,
                                   size_t *idx) MP_WUR;

/* Writer
 * ------
 * A sink receives output bytes; it returns 0 on success and non-zero on
 * failure (which the writer passes on as MP_EIO without writing more). */
typedef int (*mp_csv_sink)(void *ctx, const char *data, size_t len);

/* Write one field of value[0..len) (value may be NULL when len is 0),
 * preceded by a comma unless first_in_row is non-zero. Rules:
 *   - RFC 4180: the field is quoted when it contains a comma, a quote, CR or
 *     LF; quotes inside are doubled.
 *   - Spreadsheet formula injection (OWASP "CSV Injection"): a value that
 *     starts with '=', '+', '-', '@', TAB or CR is written quoted with a
 *     leading apostrophe inside the quotes ("'=SUM(A1)"), so spreadsheets
 *     show it as text. Exception: a plain decimal number - optional sign,
 *     digits with an optional fraction, optional exponent, nothing else,
 *     e.g. -87.6798462, +3, -1.5e-3 - is written as is, so coordinates stay
 *     numeric. The apostrophe is part of the output: a CSV reader sees it.
 *   - An empty first field is written as "" so that a one-column row never
 *     turns into an empty line, which readers skip; a value starting with a
 *     UTF-8 BOM is quoted so that readers do not drop it at the start of a
 *     file.
 * Returns MP_OK, MP_EIO if the sink failed, MP_EINVAL if value is NULL with
 * len > 0. Reentrant. */
enum mp_status mp_csv_write_field(mp_csv_sink sink, void *ctx, const char *value, size_t len,
                                  int first_in_row) MP_WUR;

/* End the row with CRLF. Returns MP_OK or MP_EIO if the sink failed. */
enum mp_status mp_csv_end_row(mp_csv_sink sink, void *ctx) MP_WUR;

#endif
