/* export.h - bulk exports of reports and clusters for analysts, shared by
 * GET /api/v1/export and `meldpunt export`: the format writers over one row
 * at a time, a pull-based producer that joins a cursor to a writer so that
 * memory stays flat whatever the number of rows, and the reads that the OGC
 * feature service and the statistics page make of the same rows (cursors,
 * one row by id, counts, the time extent).
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
 * In a region pack of several members (mp_export_opts.with_municipality)
 * both add `municipality`, the member's id ("halle"), after the public
 * fields (CSV: after lon and lat).
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
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/status.h"
#include "meldpunt/model.h"

enum mp_export_format {
    MP_EXPORT_GEOJSON = 0,
    MP_EXPORT_GEOJSONSEQ,
    MP_EXPORT_CSV,
};

struct mp_geo_crs; /* geo.h */

struct mp_export_opts {
    enum mp_export_format format;
    enum mp_export_what what;
    bool internal;              /* staff fields (never contacts) */
    const struct mp_city *city; /* borrowed: names of categories and districts */
    /* GeoJSON features only (mp_export_feature, for the OGC API): the CRS of
     * the coordinates, borrowed; NULL for WGS84 lon/lat. */
    struct mp_geo_crs *crs;
    /* A "municipality" field (the region member's id) after the public
     * ones (CSV: after lon and lat), before the staff fields: set for a
     * region pack of several members (exports and the OGC API, whose
     * municipality queryable it is); a city pack, a region of one, leaves
     * it out and its documents stay as they were. */
    bool with_municipality;
    /* Tenancy (scope.h), for mp_export_open_path: who asks (NULL: the
     * public) and municipality= (NULL: none). A limited account exports its
     * municipalities only; asking for another is MP_EFORBIDDEN. Borrowed. */
    const struct mp_principal *who;
    const char *municipality;
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
 * (shared by the OGC API items). extra (NULL for none) adds members to the
 * Feature object itself, after "properties" (buf.h: mp_json_extra_fn). */
void mp_export_feature(struct mp_buf *b, const struct mp_export_opts *o,
                       const struct mp_export_row *row, mp_json_extra_fn extra,
                       const void *extra_arg);

/* One position as a JSON array in crs (NULL: [lon, lat] as everywhere):
 * the CRS's axis order, 7 decimals for degrees, 3 (a millimetre) for
 * lengths. False, with nothing written, when the point cannot be
 * transformed. */
bool mp_export_coord(struct mp_buf *b, struct mp_geo_crs *crs, double lon, double lat);

/* Producer: a cursor and a writer behind a read() that fills a caller's
 * buffer, so that memory stays flat whatever the number of rows. */
struct mp_export;
struct mp_export_cursor; /* a cursor over export rows (opaque) */

/* A producer of the rows matching q on a NEW private read-only connection to
 * the database file at db_path (it must exist): it holds no pooled session,
 * so it may outlive the request that made it and move between threads (one
 * at a time), e.g. to the HTTP thread that streams the body. q is used only
 * during the call; o is copied and o->city must outlive the producer. New
 * producer in *out (free with mp_export_free); err says why on failure. */
enum mp_status mp_export_open_path(const char *db_path, const struct mp_query *q,
                                   const struct mp_export_opts *o, struct mp_export **out,
                                   struct mp_error *err) MP_WUR;
/* A producer over a cursor the caller opened; takes cur (closes it even on
 * failure: then MP_ENOMEM). o as above. */
enum mp_status mp_export_new(struct mp_export_cursor *cur, const struct mp_export_opts *o,
                             struct mp_export **out) MP_WUR;
/* Copy up to max bytes of the document into out. Returns the count, 0 at the
 * end of the document, -1 on a store or memory error (the document is then
 * incomplete: GeoJSON unterminated, so a client cannot take it for whole). */
long mp_export_read(struct mp_export *x, char *out, size_t max);
/* Rows written so far. */
size_t mp_export_rows(const struct mp_export *x);
void mp_export_free(struct mp_export *x);

/* Reading inside a request (feature services, statistics), on the session
 * of ctx (borrowed for the call; a cursor borrows it until it is closed, so
 * close it before the session goes back to its pool). */
struct mp_ctx;

/* A cursor over the rows matching q (bbox, categories, statuses, district,
 * since/until, after_id, limit), in id order, read in short snapshots of a
 * batch each (store_export.h says what that guarantees); q is used only
 * during the call. New cursor in *out; err says why on failure. */
enum mp_status mp_export_cursor_open(struct mp_ctx *ctx, enum mp_export_what what,
                                     const struct mp_query *q, struct mp_export_cursor **out,
                                     struct mp_error *err) MP_WUR;
/* The next row: MP_OK with *row (borrowed until the next call or close),
 * MP_ENOTFOUND at the end (and on every later call), or a store error
 * (final). */
enum mp_status mp_export_cursor_next(struct mp_export_cursor *c,
                                     const struct mp_export_row **row) MP_WUR;
/* Release the cursor and its snapshot. Accepts NULL. */
void mp_export_cursor_close(struct mp_export_cursor *c);

/* The row with this id: fn(arg, row) once with the row (borrowed for the
 * call) and MP_OK, MP_ENOTFOUND (err untouched) when there is none, or a
 * store error with err set. */
typedef void (*mp_export_row_fn)(void *arg, const struct mp_export_row *row);
enum mp_status mp_export_find(struct mp_ctx *ctx, enum mp_export_what what, int64_t id,
                              mp_export_row_fn fn, void *arg, struct mp_error *err) MP_WUR;

/* Number of rows matching q (after_id and limit ignored). */
enum mp_status mp_export_count(struct mp_ctx *ctx, enum mp_export_what what,
                               const struct mp_query *q, int64_t *n) MP_WUR;
/* Earliest and latest report creation time (0, 0 when there are none): the
 * temporal extent of both reports and clusters. */
enum mp_status mp_export_time_extent(struct mp_ctx *ctx, int64_t *first, int64_t *last) MP_WUR;

#endif
