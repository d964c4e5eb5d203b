/* store_sql.h - PRIVATE to server/store*.c: the SQL text of the filters that
 * the listing statements (reports, clusters, grid, exports, worklists)
 * share. Parameters as mp_bind_query binds them: ?1-?4 bbox (min lon, min
 * lat, max lon, max lat), ?5 categories and ?6 statuses (JSON arrays or
 * NULL), ?7 district, ?8 since, ?9 until, ?10 after id, ?11 limit. String
 * pasting at compile time: each statement's text is what it was when every
 * module spelt these out itself. */
#ifndef MELDPUNT_STORE_SQL_H
#define MELDPUNT_STORE_SQL_H

/* Rows of alias t inside the box (?x0, ?y0) - (?x1, ?y1), found through a
 * B-tree keyed by (latitude strip, lon) rather than an R*Tree (schema 15
 * dropped both R*Trees: their entries were the largest costs of storing a
 * report): one key range of longitudes per strip, the strips clamped to
 * those that hold rows, so that a whole-world box costs no more than the
 * city. Reports use report_map's key (strip, lon, id), clusters the index
 * clusters_strip on (MP_SQL_MAP_STRIP("lat"), lon). The strip expression is
 * MAP_STRIP of store_sqlite_schema.c (1000 = MAP_STRIPS_PER_DEG of
 * store_sqlite_map.h). The subquery reads index keys only; the ids come out
 * sorted, so an ORDER BY id LIMIT stops early. A condition: no leading AND. */
#define MP_SQL_MAP_STRIP(v) "CAST((" v " + 90) * 1000 AS INTEGER)"
#define MP_SQL_STRIPS(y0, y1, lo, hi)                                                            \
    "WITH RECURSIVE strips(s) AS (SELECT max(" MP_SQL_MAP_STRIP(y0) ", (" lo ")) UNION ALL"      \
    " SELECT s + 1 FROM strips WHERE s < min(" MP_SQL_MAP_STRIP(y1) ", (" hi ")))"
#define MP_SQL_BOX_ROWS(t, x0, y0, x1, y1)                                                       \
    " AND " t ".lon BETWEEN " x0 " AND " x1 " AND " t ".lat BETWEEN " y0 " AND " y1
#define MP_SQL_MAP_BOX(t, x0, y0, x1, y1)                                                        \
    t ".id IN (" MP_SQL_STRIPS(y0, y1, "SELECT min(strip) FROM report_map",                     \
                               "SELECT max(strip) FROM report_map")                             \
      " SELECT m.id FROM strips CROSS JOIN report_map m WHERE m.strip = strips.s AND m.lon"      \
      " BETWEEN " x0 " AND " x1 ")" MP_SQL_BOX_ROWS(t, x0, y0, x1, y1)
#define MP_SQL_REPORT_BBOX(t) MP_SQL_MAP_BOX(t, "?1", "?2", "?3", "?4")
#define MP_SQL_CLUSTER_BBOX(t)                                                                   \
    t ".id IN (" MP_SQL_STRIPS("?2", "?4", "SELECT min(" MP_SQL_MAP_STRIP("lat") ") FROM clusters", \
                               "SELECT max(" MP_SQL_MAP_STRIP("lat") ") FROM clusters")           \
      " SELECT k.id FROM strips CROSS JOIN clusters k WHERE " MP_SQL_MAP_STRIP("k.lat")          \
      " = strips.s AND k.lon BETWEEN ?1 AND ?3)" MP_SQL_BOX_ROWS(t, "?1", "?2", "?3", "?4")
#define MP_SQL_FILTERS(t)                                                                        \
    " AND (?5 IS NULL OR " t ".category IN (SELECT value FROM json_each(?5)))"                  \
    " AND (?6 IS NULL OR " t ".status IN (SELECT value FROM json_each(?6)))"                    \
    " AND (?7 IS NULL OR " t ".district = ?7)"
/* The keyset cursor of a page. */
#define MP_SQL_AFTER(t) " AND " t ".id > ?10"
#define MP_SQL_REPORT_TIME                                                                       \
    " AND (?8 IS NULL OR r.created_at >= ?8) AND (?9 IS NULL OR r.created_at < ?9)"
/* A cluster matches a time range when its activity (first to last report)
 * overlaps it. */
#define MP_SQL_CLUSTER_TIME                                                                      \
    " AND (?8 IS NULL OR c.last_at >= ?8) AND (?9 IS NULL OR c.first_at < ?9)"

#endif
