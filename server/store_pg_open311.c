/* store_pg_open311.c - SQL of the Open311 interface on PostgreSQL
 * (store_open311.h): the service request listing (a box on the reports'
 * GiST index, a circle on their metric coordinates), one request, and the
 * status updates of requests (history entries of their clusters); and what
 * clients sent beyond a report's own fields (the writes' block below). */
#include "meldpunt/store_open311.h"

#include <stdlib.h>

#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

/* ---- pgreads: the request listing, one request, the updates ---- */

/* joined: the report's own reasoning says it was folded into a cluster that
 * existed; a damaged join_reason must not fail the listing, so it is read
 * with meldpunt_json_kind (store_pg_schema.c: NULL for text that is not
 * JSON), as SQLite's json_valid guard does. */
#define REQ_COLS                                                                                   \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.first_at, c.report_count, r.category,"      \
    " r.description, r.address, r.status, r.channel, r.lon, r.lat,"                                \
    " EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id),"                                   \
    " coalesce(meldpunt_json_kind(r.join_reason), 'new') <> 'new',"                                \
    " (SELECT h.note FROM history h WHERE h.cluster_id = r.cluster_id AND h.note_public"           \
    " AND h.note IS NOT NULL AND h.note <> '' AND (h.report_id IS NULL OR h.report_id = r.id)"     \
    " AND NOT EXISTS (SELECT 1 FROM open311_updates u WHERE u.history_id = h.id)"                  \
    " ORDER BY h.at DESC, h.id DESC LIMIT 1),"                                                     \
    " o.json, o.media_url, o.extra, r.municipality"
#define REQ_FROM                                                                                   \
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality"   \
    " LEFT JOIN open311_attributes o ON o.report_id = r.id AND o.municipality = r.municipality"

/* $1 since, $2 until, $3 categories, $4 statuses (JSON arrays or NULL), $5
 * limit, $6 offset. */
#define LIST_WHERE                                                                                 \
    " WHERE r.created_at >= $1::bigint AND r.created_at < $2::bigint"                              \
    " AND ($3::json IS NULL OR r.category IN (SELECT json_array_elements_text($3::json)))"         \
    " AND ($4::json IS NULL OR r.status IN (SELECT json_array_elements_text($4::json)))"
#define LIST_ORDER " ORDER BY r.created_at DESC, r.id DESC LIMIT $5::bigint OFFSET $6::bigint"
/* The last parameter of either listing: a jurisdiction_id's member (NULL for
 * any). */
#define LIST_MEMBER(m) " AND (" m "::text IS NULL OR r.municipality = " m "::text)"
static const char sql_list[] = "SELECT " REQ_COLS REQ_FROM LIST_WHERE LIST_MEMBER("$7") LIST_ORDER;
/* With a box ($7-$10: min lon, min lat, max lon, max lat) through the GiST
 * index, and a circle ($11, $12 the centre in the metric CRS, $13 the radius
 * in metres; NULL for none) on the reports' metric coordinates. */
static const char sql_list_box[] = "SELECT " REQ_COLS REQ_FROM LIST_WHERE MP_PG_BBOX(
    "r", "$7", "$8", "$9",
    "$10") " AND ($13::float8 IS NULL OR (r.x - $11::float8) * (r.x - $11::float8)"
           " + (r.y - $12::float8) * (r.y - $12::float8) <= $13::float8 * $13::float8)" LIST_MEMBER(
               "$14") LIST_ORDER;
static const char sql_one[] = "SELECT " REQ_COLS REQ_FROM " WHERE r.id = $1::bigint";

/* A cluster-wide entry (report_id NULL) concerns every report of the
 * cluster that existed by then; a report's own entry only that report. */
static const char sql_updates[] =
    "SELECT h.id, r.id, h.at, h.status, CASE WHEN h.note_public THEN h.note END, u.media_url"
    " FROM history h JOIN reports r ON r.cluster_id = h.cluster_id"
    " AND r.municipality = h.municipality AND h.at >= r.created_at"
    " AND (h.report_id IS NULL OR h.report_id = r.id)"
    " LEFT JOIN open311_updates u ON u.history_id = h.id AND u.municipality = h.municipality"
    " WHERE h.at >= $1::bigint AND h.at < $2::bigint ORDER BY h.at, h.id, r.id"
    " LIMIT $3::bigint OFFSET $4::bigint";

struct requests {
    mp_open311_cb cb;
    void *ctx;
};

static int request_row(void *ctx, const PGresult *r, int i)
{
    const struct requests *c = ctx;
    struct mp_open311_row row = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .created_at = mp_pg_col_int64(r, i, 2),
        .updated_at = mp_pg_col_int64(r, i, 3),
        .cluster_first_at = mp_pg_col_int64(r, i, 4),
        .cluster_count = mp_pg_col_int64(r, i, 5),
        .category = mp_pg_col_text(r, i, 6),
        .description = mp_pg_col_text(r, i, 7),
        .address = mp_pg_col_text(r, i, 8),
        .status = mp_pg_col_text(r, i, 9),
        .channel = mp_pg_col_text(r, i, 10),
        .lon = mp_pg_col_double(r, i, 11),
        .lat = mp_pg_col_double(r, i, 12),
        .has_photo = mp_pg_col_bool(r, i, 13),
        .joined = mp_pg_col_bool(r, i, 14),
        .status_notes = mp_pg_col_text(r, i, 15),
        .attributes = mp_pg_col_text(r, i, 16),
        .media_url = mp_pg_col_text(r, i, 17),
        .extra = mp_pg_col_text(r, i, 18),
        .municipality = mp_pg_col_text(r, i, 19),
    };
    return c->cb(c->ctx, &row);
}

enum mp_status mp_pg_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                      mp_open311_cb cb, void *ctx)
{
    struct mp_pg_lists l = {NULL, NULL, NULL};
    struct requests c = {cb, ctx};
    struct mp_pg_params p;
    enum mp_status rc;
    /* Lists of any length here (not struct mp_query's). */
    if ((rc = mp_pg_json_list(q->categories, q->ncategories, &l.categories)) ||
        (rc = mp_pg_json_list(q->statuses, q->nstatuses, &l.statuses)))
        goto out;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, q->since);
    mp_pg_int64(&p, q->until);
    mp_pg_text(&p, l.categories);
    mp_pg_text(&p, l.statuses);
    mp_pg_int64(&p, (int64_t)q->limit);
    mp_pg_int64(&p, (int64_t)q->offset);
    if (q->has_bbox) {
        mp_pg_bbox(&p, &q->bbox);
        if (q->near) {
            mp_pg_double(&p, q->x);
            mp_pg_double(&p, q->y);
            mp_pg_double(&p, q->radius_m);
        } else {
            mp_pg_text(&p, NULL);
            mp_pg_text(&p, NULL);
            mp_pg_text(&p, NULL);
        }
    }
    mp_pg_text(&p, q->municipality);
    rc = mp_pg_each(s, q->has_bbox ? sql_list_box : sql_list, &p, request_row, &c,
                    "open311 requests");
out:
    mp_pg_lists_free(&l);
    return rc;
}

enum mp_status mp_pg_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                     void *ctx)
{
    struct requests c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return mp_pg_first(s, sql_one, &p, request_row, &c, "open311 requests");
}

struct updates {
    mp_open311_update_cb cb;
    void *ctx;
};

static int update_row(void *ctx, const PGresult *r, int i)
{
    const struct updates *c = ctx;
    struct mp_open311_update u = {
        .history_id = mp_pg_col_int64(r, i, 0),
        .report_id = mp_pg_col_int64(r, i, 1),
        .at = mp_pg_col_int64(r, i, 2),
        .status = mp_pg_col_text(r, i, 3),
        .note = mp_pg_col_text(r, i, 4),
        .media_url = mp_pg_col_text(r, i, 5),
    };
    return c->cb(c->ctx, &u);
}

enum mp_status mp_pg_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                     size_t limit, size_t offset, mp_open311_update_cb cb,
                                     void *ctx)
{
    struct updates c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, since);
    mp_pg_int64(&p, until);
    mp_pg_int64(&p, (int64_t)limit);
    mp_pg_int64(&p, (int64_t)offset);
    return mp_pg_each(s, sql_updates, &p, update_row, &c, "open311 updates");
}

/* ---- end of pgreads' block ---- */
