/* store_sql.h - PRIVATE to server/store*.c: the SQL text of the filters that
 * the listing statements (reports, clusters, grid, exports, worklists)
 * share. Parameters as mp_bind_query binds them: ?1-?4 bbox (min lon, min
 * lat, max lon, max lat), ?5 categories and ?6 statuses (JSON arrays or
 * NULL), ?7 district, ?8 since, ?9 until, ?10 after id, ?11 limit. String
 * pasting at compile time: each statement's text is what it was when every
 * module spelt these out itself. */
#ifndef MELDPUNT_STORE_SQL_H
#define MELDPUNT_STORE_SQL_H

/* Rows of table alias t inside the box, found through the R*Tree idx (a
 * condition: no leading AND). */
#define MP_SQL_BBOX(t, idx)                                                                      \
    t ".id IN (SELECT id FROM " idx " WHERE minx <= ?3 AND maxx >= ?1 AND miny <= ?4 AND "       \
      "maxy >= ?2) AND " t ".lon BETWEEN ?1 AND ?3 AND " t ".lat BETWEEN ?2 AND ?4"
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
