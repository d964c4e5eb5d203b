/* geojson.h - RFC 7946 encoding of reports and clusters (lon, lat order,
 * WGS84, 7 decimals) into a struct mp_buf. Public encodings never include
 * reporter contact fields, and mask contact details typed into text.
 *
 * Pure functions over borrowed rows; thread-safe.
 */
#ifndef MELDPUNT_GEOJSON_H
#define MELDPUNT_GEOJSON_H

#include <stdbool.h>

#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/model.h"

/* Every encoder below takes extra (NULL for none) and its arg: called just
 * before the encoder closes the properties object, it appends members each
 * with a leading comma (see mp_json_extra_fn in buf.h). A buffer that failed
 * (bound reached, no memory) never gets the extra members. */

/* The report's public properties as a JSON object (no geometry). */
void mp_geojson_report_props(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_report_row *r, mp_json_extra_fn extra,
                             const void *arg);
/* A report as a Feature with its public properties. */
void mp_geojson_report_feature(struct mp_buf *b, const struct mp_city *city,
                               const struct mp_report_row *r, mp_json_extra_fn extra,
                               const void *arg);
/* An extra for the report encoders: the staff-only members ("contact" with
 * name, email and phone, "external_id", "join_reason") of the struct
 * mp_report_row that arg points to, read with with_private. Staff only. */
void mp_geojson_report_private(struct mp_buf *b, const void *arg);
/* An extra for the report encoders: the struct mp_report_row's point as
 * "lat" and "lon" members (plain objects that carry no geometry). */
void mp_geojson_report_point(struct mp_buf *b, const void *arg);
/* A cluster as a Feature with its centre as the point. */
void mp_geojson_cluster_feature(struct mp_buf *b, const struct mp_city *city,
                                const struct mp_cluster_row *c, mp_json_extra_fn extra,
                                const void *arg);
/* One public history entry: {"at":..,"status":..,"note":..} (the note only
 * when it is public, else null). */
void mp_geojson_history_entry(struct mp_buf *b, const struct mp_history_row *h);
/* The same with one more member, "name":value (a merge's entry on a
 * citizen's page: "merged_with":7). */
void mp_geojson_history_entry_id(struct mp_buf *b, const struct mp_history_row *h,
                                 const char *name, int64_t value);
/* {"code":..,"name":..} or null. */
void mp_geojson_district(struct mp_buf *b, const struct mp_city *city, const char *code);

#endif
