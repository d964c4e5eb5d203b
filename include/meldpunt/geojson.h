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

/* The report's public properties as a JSON object (no geometry). */
void mp_geojson_report_props(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_report_row *r);
/* A report as a Feature; with_private adds a "contact" object (staff only). */
void mp_geojson_report_feature(struct mp_buf *b, const struct mp_city *city,
                               const struct mp_report_row *r, bool with_private);
/* A cluster as a Feature with its centre as the point. Leaves the properties
 * object open when open_props is true so callers can append members; close
 * it with "}}" then. */
void mp_geojson_cluster_feature(struct mp_buf *b, const struct mp_city *city,
                                const struct mp_cluster_row *c, bool open_props);
/* {"code":..,"name":..} or null. */
void mp_geojson_district(struct mp_buf *b, const struct mp_city *city, const char *code);

#endif
