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
 * is core migration 6 -> 7 in store.c.
 */
#ifndef MELDPUNT_STORE_MAP_H
#define MELDPUNT_STORE_MAP_H

#include <stdbool.h>

#include "meldpunt/store.h"

/* Must match the expression of MAP_STRIP. */
#define MAP_STRIPS_PER_DEG 1000.0

#define MAP_STRIP(t) "CAST((" t ".lat + 90) * 1000 AS INTEGER)"
#define MAP_STR(x) "ifnull(length(CAST(" x " AS BLOB)) || ':' || " x ", '~')"
#define MAP_REC                                                                                  \
    "ifnull(r.cluster_id, 0) || ',' || ifnull(r.created_at, 0) || ',' ||"                        \
    " ifnull(r.updated_at, 0) || ',' || EXISTS (SELECT 1 FROM photos p WHERE p.report_id ="     \
    " r.id) || ',' || " MAP_STR("r.category") " || " MAP_STR("r.status") " || " MAP_STR(         \
        "r.district") " || " MAP_STR("r.channel") " || " MAP_STR("r.description") " || " MAP_STR( \
        "r.address") " || " MAP_STR("r.location")
#define MAP_SELECT(where)                                                                        \
    "SELECT " MAP_STRIP("r") ", r.lon, r.id, r.lat, r.category, r.status, r.district,"           \
                             " r.created_at, r.cluster_id, ifnull((SELECT c.report_count FROM"   \
                             " clusters c WHERE c.id = r.cluster_id), 0), " MAP_REC               \
                             " FROM reports r WHERE " where
/* A cluster's count changes at every join: only that column of its members'
 * rows is written, found through report_map's own cluster index (members lie
 * close together, so on a few neighbouring pages): O(members), no records
 * rebuilt and no look-ups into reports. */
#define MAP_SET_COUNT                                                                            \
    "UPDATE report_map SET cluster_count = NEW.report_count WHERE cluster_id = NEW.id;"
#define MAP_DELETE(t)                                                                            \
    "DELETE FROM report_map WHERE strip = " MAP_STRIP(t) " AND lon = " t ".lon AND id = " t ".id;"

/* Core migration 6 -> 7, in four parts (a part is one string literal). */
#define MAP_MIGRATION_TABLE                                                                      \
    "CREATE TABLE report_map ("                                                                  \
    " strip INTEGER NOT NULL, lon REAL NOT NULL, id INTEGER NOT NULL, lat REAL NOT NULL,"        \
    " category TEXT, status TEXT, district TEXT, created_at INTEGER, cluster_id INTEGER,"        \
    " cluster_count INTEGER NOT NULL, rec TEXT NOT NULL,"                                        \
    " PRIMARY KEY (strip, lon, id)) WITHOUT ROWID;"                                              \
    "INSERT INTO report_map " MAP_SELECT("1") " ORDER BY 1, 2, 3;"                                \
    "CREATE INDEX report_map_cluster ON report_map (cluster_id);"
#define MAP_MIGRATION_REPORTS                                                                    \
    "CREATE TRIGGER report_map_insert AFTER INSERT ON reports BEGIN"                             \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.id") "; END;"                   \
    "CREATE TRIGGER report_map_update AFTER UPDATE OF id, cluster_id, category, description,"    \
    " address, channel, status, district, lon, lat, created_at, updated_at, location"            \
    " ON reports BEGIN " MAP_DELETE("OLD") " INSERT OR REPLACE INTO report_map " MAP_SELECT(      \
        "r.id = NEW.id") "; END;"                                                                \
    "CREATE TRIGGER report_map_delete AFTER DELETE ON reports BEGIN " MAP_DELETE("OLD") " END;"
#define MAP_MIGRATION_CLUSTERS                                                                   \
    "CREATE TRIGGER report_map_count AFTER UPDATE OF report_count ON clusters"                   \
    " WHEN NEW.report_count IS NOT OLD.report_count BEGIN " MAP_SET_COUNT " END;"               \
    "CREATE TRIGGER report_map_cluster AFTER INSERT ON clusters BEGIN " MAP_SET_COUNT " END;"
#define MAP_MIGRATION_PHOTOS                                                                     \
    "CREATE TRIGGER report_map_photo_insert AFTER INSERT ON photos BEGIN"                        \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.report_id") "; END;"            \
    "CREATE TRIGGER report_map_photo_delete AFTER DELETE ON photos BEGIN"                        \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = OLD.report_id") "; END;"            \
    "CREATE TRIGGER report_map_photo_update AFTER UPDATE OF report_id ON photos BEGIN"           \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = OLD.report_id") ";"                 \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.report_id") "; END;"

/* The public bbox list from report_map, in id order, with the semantics of
 * mp_store_reports (q->has_bbox, !q->with_private). Rows leave external_id,
 * join_reason, street and the contact fields NULL. *handled is false when the
 * box is too large for this path (too many strips or candidate rows): then
 * nothing was passed to cb and the caller runs the general query. */
enum mp_status mp_store_map_reports(struct mp_store_sess *s, const struct mp_query *q,
                                    mp_report_cb cb, void *ctx, bool *handled) MP_WUR;

#endif
