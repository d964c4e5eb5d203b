/* store_pg_filter.h - PRIVATE to the PostgreSQL engine (server/store_pg*.c):
 * the filters that its listing statements share (reports, clusters, grid,
 * exports, Open311), as store_sqlite_sql.h is the SQLite engine's, and the
 * helpers that bind them (store_pg_filter.c).
 *
 * Parameters, in this order because PostgreSQL refuses a prepared statement
 * with a parameter it does not use (it cannot infer its type), so the
 * optional ones come last, each statement naming where its own start:
 *   $1 categories, $2 statuses (JSON arrays of strings, or NULL for any),
 *   $3 district (NULL for any), $4 since, $5 until (0 for open-ended);
 *   then, in listings, $6 after id (keyset) and $7 limit (NULL for none);
 *   then a box where the statement has one (MP_PG_BBOX names its four).
 */
#ifndef MELDPUNT_STORE_PG_FILTER_H
#define MELDPUNT_STORE_PG_FILTER_H

#include <stddef.h>

#include "meldpunt/model.h"
#include "store_pg.h"

/* Categories, statuses and district of table alias t. */
#define MP_PG_FILTERS(t)                                                                           \
    " AND ($1::json IS NULL OR " t ".category IN (SELECT json_array_elements_text($1::json)))"     \
    " AND ($2::json IS NULL OR " t ".status IN (SELECT json_array_elements_text($2::json)))"       \
    " AND ($3::text IS NULL OR " t ".district = $3::text)"
#define MP_PG_REPORT_TIME                                                                          \
    " AND ($4::bigint = 0 OR r.created_at >= $4::bigint)"                                          \
    " AND ($5::bigint = 0 OR r.created_at < $5::bigint)"
/* A cluster matches a time range when its activity (first to last report)
 * overlaps it. */
#define MP_PG_CLUSTER_TIME                                                                         \
    " AND ($4::bigint = 0 OR c.last_at >= $4::bigint)"                                             \
    " AND ($5::bigint = 0 OR c.first_at < $5::bigint)"
/* The keyset cursor of a page. */
#define MP_PG_AFTER(t) " AND " t ".id > $6::bigint"
#define MP_PG_LIMIT " LIMIT $7::bigint"
/* Rows of t in the box (min lon a, min lat b, max lon c, max lat d: "$8"
 * ...): the GiST index finds candidates (its boxes are rounded outwards to
 * float4), the BETWEEN keeps exactly SQLite's rows. */
#define MP_PG_BBOX(t, a, b, c, d)                                                                  \
    " AND " t ".geom && ST_MakeEnvelope(" a "::float8, " b "::float8, " c "::float8, " d           \
    "::float8, 4326) AND " t ".lon BETWEEN " a "::float8 AND " c "::float8 AND " t                 \
    ".lat BETWEEN " b "::float8 AND " d "::float8"

/* JSON texts of a query's lists, owned (free with mp_pg_lists_free); scope:
 * its municipalities as a text[] literal (tenancy), NULL for no limit. */
struct mp_pg_lists {
    char *categories, *statuses;
    char *scope;
};

/* items as a JSON array of strings into *json (NULL when n is 0: "any");
 * MP_ENOMEM when it cannot be built. */
enum mp_status mp_pg_json_list(const char *const *items, size_t n, char **json) MP_WUR;
/* q's lists as JSON into l (free it with mp_pg_lists_free, also on error). */
enum mp_status mp_pg_lists_of(struct mp_pg_lists *l, const struct mp_query *q) MP_WUR;
void mp_pg_lists_free(struct mp_pg_lists *l);

/* Tenancy: a staff member's municipalities (model.h) as one text[]
 * parameter, for "($n::text[] IS NULL OR t.municipality = ANY ($n::text[]))".
 * mp_pg_scope_array writes the array literal ({"halle","vilvoorde"}) into
 * buf (MP_PG_SCOPE_CAP bytes) and returns it, or NULL for a NULL set
 * (region-wide: no filter); an empty set gives "{}" (matches nothing). The
 * ids travel as a bound value, never as SQL text. */
#define MP_PG_SCOPE_CAP (64 * (2 * MP_MUNICIPALITY_MAXLEN + 3) + 3)
#define MP_PG_SCOPE(t, n) " AND (" n "::text[] IS NULL OR " t ".municipality = ANY (" n "::text[]))"
const char *mp_pg_scope_array(const struct mp_scope_set *set, char *buf, size_t cap);

/* Which parameters follow $1-$5 (in this order): */
enum {
    MP_PG_PAGE = 1,    /* after id and limit ($6, $7) */
    MP_PG_AFTER = 2,   /* after id alone ($6) */
    MP_PG_UPDATED = 4, /* the updated_at range (0 for open-ended) */
    MP_PG_BOX = 8,     /* q's box, when it has one */
};
/* Add $1-$5 of q (its lists from l, which p borrows), then the parts. */
void mp_pg_query_add(struct mp_pg_params *p, const struct mp_query *q, const struct mp_pg_lists *l,
                     unsigned parts);
/* The box b as four parameters (min lon, min lat, max lon, max lat). */
void mp_pg_bbox(struct mp_pg_params *p, const struct mp_bbox *b);
/* A page of a listing: q's filters, page and box, sql_box when q has a box
 * (else sql), each row to row. */
enum mp_status mp_pg_listing(struct mp_store_sess *s, const struct mp_query *q, const char *sql,
                             const char *sql_box, mp_pg_row_fn row, void *ctx,
                             const char *what) MP_WUR;

#endif
