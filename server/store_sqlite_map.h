/* store_map.h - PRIVATE to server/store*.c: the public map table, a copy of
 * each report's public properties stored in spatial order, so that a map page
 * reads a few neighbouring pages instead of two random B-tree look-ups per
 * feature (the report row and its cluster).
 *
 * report_map holds one row per report, keyed by (strip, lon, id): strip is a
 * band of latitude MAP_STRIPS_PER_DEG per degree wide, so a box is a handful of
 * contiguous key ranges (one per strip, bounded by longitude). rec packs the
 * public properties but the cluster's report count (a column of its own, so
 * that a join writes one integer per member) into one text value, decoded by
 * store_map.c:
 *
 *   cluster_id "," created_at "," updated_at "," has_photo ","
 *   then category, status, district, channel, description, address, location,
 *   each as <byte length> ":" <bytes>, or "~" for NULL.
 *
 * Triggers keep it exact on every change of a report, of a cluster's
 * report_count and of photos, in the writer's own transaction, whatever code
 * (or tool) writes; they use built-in SQL only. The migration that creates it
 * is core migration 6 -> 7 in store_schema.c.
 */
#ifndef MELDPUNT_STORE_MAP_H
#define MELDPUNT_STORE_MAP_H

#include <stdbool.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_store_sess;

/* Must match the strip expression (MAP_STRIP) of the migration that builds
 * the table, in store_schema.c. */
#define MAP_STRIPS_PER_DEG 1000.0

/* The public bbox list from report_map, in id order, with the semantics of
 * mp_store_reports (q->has_bbox, !q->with_private). Rows leave external_id,
 * join_reason, street and the contact fields NULL. *handled is false when the
 * box is too large for this path (too many strips or candidate rows): then
 * nothing was passed to cb and the caller runs the general query. */
enum mp_status mp_store_map_reports(struct mp_store_sess *s, const struct mp_query *q,
                                    mp_report_cb cb, void *ctx, bool *handled) MP_WUR;

#endif
