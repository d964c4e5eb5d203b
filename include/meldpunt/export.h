/* export.h - bulk exports of reports and clusters for analysts, shared by
 * GET /api/v1/export and `meldpunt export`: the format writers over one row
 * at a time, and a pull-based producer that joins a store cursor to a
 * writer so that memory stays flat whatever the number of rows.
 *
 * Formats
 *   geojson     RFC 7946 FeatureCollection (application/geo+json): WGS84
 *               Point geometries, [lon, lat] at 7 decimals, the row id as the
 *               Feature id, no "crs" member.
 *   geojsonseq  RFC 8142 GeoJSON text sequence (application/geo+json-seq):
 *               each Feature is RS (0x1E), the JSON text, LF.
 *   csv         RFC 4180 (text/csv; charset=utf-8; header=present): a UTF-8
 *               byte order mark (so that spreadsheets read UTF-8), a header
 *               row, CRLF line ends, quoting as mp_csv_write_field does it
 *               (including its defence against formula injection), and plain
 *               numeric lon and lat columns instead of a WKT geometry.
 * Times are ISO 8601 UTC ("2021-01-31T12:00:00Z"); empty CSV fields and JSON
 * null stand for "none".
 *
 * Fields, in this order (the same in every format; GeoJSON has lon/lat in
 * its geometry instead of properties):
 *   reports:  id, category, category_name, status, created_at, updated_at,
 *             fixed_at, district, location, address, description, lon, lat
 *   clusters: id, category, category_name, status, report_count, first_at,
 *             last_at, fixed_at, updated_at, district, location, lon, lat
 * `district` is the district's name; `location` the nearest street and
 * cross street the server derived ("W 97TH ST near S HARVARD AVE").
 * Staff exports (internal = true) add
 *   reports:  district_code, cluster_id, channel, external_id, join_reason
 *   clusters: district_code
 * Reporter contact fields are never exported (the store cursor does not
 * even read them), and e-mail addresses and phone numbers typed into
 * descriptions and addresses are masked in every export, staff or not.
 *
 * Thread-safety: writers keep no state; a producer is used by one thread at
 * a time.
 */
#ifndef MELDPUNT_EXPORT_H
#define MELDPUNT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/status.h"
#include "meldpunt/model.h"

enum mp_export_format {
    MP_EXPORT_GEOJSON = 0,
    MP_EXPORT_GEOJSONSEQ,
    MP_EXPORT_CSV,
};

struct mp_export_opts {
    enum mp_export_format format;
    enum mp_export_what what;
    bool internal;              /* staff fields (never contacts) */
    const struct mp_city *city; /* borrowed: names of categories and districts */
};

/* "geojson" | "geojsonseq" | "csv"; MP_EINVAL with a message otherwise. */
enum mp_status mp_export_format_parse(const char *s, enum mp_export_format *out,
                                      struct mp_error *err) MP_WUR;
/* "reports" | "clusters". */
enum mp_status mp_export_what_parse(const char *s, enum mp_export_what *out,
                                    struct mp_error *err) MP_WUR;
/* Static strings: the media type and a file name extension. */
const char *mp_export_content_type(enum mp_export_format f);
const char *mp_export_extension(enum mp_export_format f);

/* Writers: the start of the document, one row (first: no row before it), the
 * end. Errors surface as b->failed. */
void mp_export_begin(struct mp_buf *b, const struct mp_export_opts *o);
void mp_export_row(struct mp_buf *b, const struct mp_export_opts *o,
                   const struct mp_export_row *row, bool first);
void mp_export_end(struct mp_buf *b, const struct mp_export_opts *o);

/* One report or cluster as a GeoJSON Feature with the export's properties
 * (shared by the OGC API items). */
void mp_export_feature(struct mp_buf *b, const struct mp_export_opts *o,
                       const struct mp_export_row *row);

/* Producer: a cursor and a writer behind a read() that fills a caller's
 * buffer. Takes cur (closes it even on failure). o is copied; o->city must
 * outlive the producer. New producer in *out. */
struct mp_export;
struct mp_export_cursor; /* a store cursor (store_export.h) */
enum mp_status mp_export_new(struct mp_export_cursor *cur, const struct mp_export_opts *o,
                             struct mp_export **out) MP_WUR;
/* Copy up to max bytes of the document into out. Returns the count, 0 at the
 * end of the document, -1 on a store or memory error (the document is then
 * incomplete: GeoJSON unterminated, so a client cannot take it for whole). */
long mp_export_read(struct mp_export *x, char *out, size_t max);
/* Rows written so far. */
size_t mp_export_rows(const struct mp_export *x);
void mp_export_free(struct mp_export *x);

#endif
