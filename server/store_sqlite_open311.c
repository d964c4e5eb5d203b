/* store_open311.c - SQL of the Open311 interface (see store_open311.h). */
#include "meldpunt/store_open311.h"

#include <stdlib.h>

#include "meldpunt/buf.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"
#include "store_sqlite_schema.h"
#include "store_sqlite_sql.h"

static const char *const open311_migrations[] = {
    /* 1 */
    "CREATE TABLE open311_attributes ("
    " report_id INTEGER PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,"
    " json TEXT NOT NULL DEFAULT '{}',"
    " media_url TEXT,"
    " device_id TEXT,"
    " account_id TEXT,"
    " client_id INTEGER);"
    /* servicerequestupdates asks for history by time alone; the core index
     * leads with cluster_id and cannot serve that. */
    "CREATE INDEX open311_history_at ON history (at);",
    /* 2: the attributes a service does not define, kept as sent; the updates
     * clients post (FixMyStreet's POST servicerequestupdates): the client's
     * own id of each, taken once per client, and what came with it. */
    "ALTER TABLE open311_attributes ADD COLUMN extra TEXT;"
    "CREATE TABLE open311_updates ("
    " history_id INTEGER PRIMARY KEY REFERENCES history (id) ON DELETE CASCADE,"
    " report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
    " client_id INTEGER NOT NULL,"
    " client_update_id TEXT NOT NULL,"
    " client_status TEXT,"
    " client_at INTEGER,"
    " media_url TEXT,"
    " UNIQUE (client_id, client_update_id));",
};

const struct mp_store_module mp_store_module_open311 = {
    "open311", open311_migrations, (int)(sizeof open311_migrations / sizeof *open311_migrations)};

static const char sql_put[] = "INSERT INTO open311_attributes (report_id, json, media_url,"
                              " device_id, account_id, client_id, extra)"
                              " VALUES (?1, IFNULL(?2, '{}'), ?3, ?4, ?5, NULLIF(?6, 0), ?7)";

/* joined: the report's own reasoning says it was folded into a cluster that
 * existed; join_reason is written by report.c, but a damaged value must not
 * fail the whole listing (json_extract raises on malformed JSON). */
#define REQ_COLS                                                                                   \
    "r.id, r.cluster_id, r.created_at, r.updated_at, c.first_at, c.report_count, r.category,"      \
    " r.description, r.address, r.status, r.channel, r.lon, r.lat,"                                \
    " EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id),"                                   \
    " CASE WHEN json_valid(r.join_reason) THEN"                                                    \
    " IFNULL(json_extract(r.join_reason, '$.kind'), 'new') <> 'new' ELSE 0 END,"                   \
    " (SELECT h.note FROM history h WHERE h.cluster_id = r.cluster_id AND h.note_public"           \
    " AND h.note IS NOT NULL AND h.note <> '' AND (h.report_id IS NULL OR h.report_id = r.id)"     \
    " AND NOT EXISTS (SELECT 1 FROM open311_updates u WHERE u.history_id = h.id)"                  \
    " ORDER BY h.at DESC, h.id DESC LIMIT 1),"                                                     \
    " o.json, o.media_url, o.extra, r.municipality"
#define REQ_FROM                                                                                   \
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id"                                       \
    " LEFT JOIN open311_attributes o ON o.report_id = r.id"

#define LIST_WHERE                                                                                 \
    " WHERE r.created_at >= ?1 AND r.created_at < ?2"                                              \
    " AND (?3 IS NULL OR r.category IN (SELECT value FROM json_each(?3)))"                         \
    " AND (?4 IS NULL OR r.status IN (SELECT value FROM json_each(?4)))"                         \
    " AND (?14 IS NULL OR r.municipality = ?14)"
#define LIST_ORDER " ORDER BY r.created_at DESC, r.id DESC LIMIT ?5 OFFSET ?6"
static const char sql_list[] = "SELECT " REQ_COLS REQ_FROM LIST_WHERE LIST_ORDER;
/* With a box (?7-?10: min lon, min lat, max lon, max lat) through the
 * spatial index, and a circle (?11, ?12 the centre in the metric CRS, ?13 the
 * radius in metres; NULL for none) on the reports' metric coordinates. */
static const char sql_list_box[] =
    "SELECT " REQ_COLS REQ_FROM LIST_WHERE
    " AND " MP_SQL_MAP_BOX("r", "?7", "?8", "?9", "?10")
    " AND (?13 IS NULL OR (r.x - ?11) * (r.x - ?11) + (r.y - ?12) * (r.y - ?12) <= ?13 * "
    "?13)" LIST_ORDER;
static const char sql_one[] = "SELECT " REQ_COLS REQ_FROM " WHERE r.id = ?1";

/* A cluster-wide entry (report_id NULL) concerns every report of the
 * cluster that existed by then; a report's own entry only that report. */
static const char sql_updates[] =
    "SELECT h.id, r.id, h.at, h.status, CASE WHEN h.note_public THEN h.note END, u.media_url"
    " FROM history h JOIN reports r ON r.cluster_id = h.cluster_id AND h.at >= r.created_at"
    " AND (h.report_id IS NULL OR h.report_id = r.id)"
    " LEFT JOIN open311_updates u ON u.history_id = h.id"
    " WHERE h.at >= ?1 AND h.at < ?2 ORDER BY h.at, h.id, r.id LIMIT ?3 OFFSET ?4";
static const char sql_update_find[] = "SELECT history_id, report_id FROM open311_updates"
                                      " WHERE client_id = ?1 AND client_update_id = ?2";
static const char sql_update_put[] =
    "INSERT INTO open311_updates (history_id, report_id, client_id, client_update_id,"
    " client_status, client_at, media_url) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0), ?7)";
static const char sql_update_touch[] = "UPDATE reports SET updated_at = ?2 WHERE id = ?1";

enum mp_status mp_sqlite_open311_put(struct mp_store_sess *s, const struct mp_open311_extra *x)
{
    sqlite3_stmt *st = mp_stmt(s, sql_put);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, x->report_id);
    mp_bind_text(st, 2, x->attributes);
    mp_bind_text(st, 3, x->media_url);
    mp_bind_text(st, 4, x->device_id);
    mp_bind_text(st, 5, x->account_id);
    sqlite3_bind_int64(st, 6, x->client_id);
    mp_bind_text(st, 7, x->extra);
    return mp_stmt_run(s, st, "open311 insert");
}

static void read_row(sqlite3_stmt *st, struct mp_open311_row *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->cluster_id = sqlite3_column_int64(st, 1);
    r->created_at = sqlite3_column_int64(st, 2);
    r->updated_at = sqlite3_column_int64(st, 3);
    r->cluster_first_at = sqlite3_column_int64(st, 4);
    r->cluster_count = sqlite3_column_int64(st, 5);
    r->category = mp_col_text(st, 6);
    r->description = mp_col_text(st, 7);
    r->address = mp_col_text(st, 8);
    r->status = mp_col_text(st, 9);
    r->channel = mp_col_text(st, 10);
    r->lon = sqlite3_column_double(st, 11);
    r->lat = sqlite3_column_double(st, 12);
    r->has_photo = sqlite3_column_int(st, 13) != 0;
    r->joined = sqlite3_column_int(st, 14) != 0;
    r->status_notes = mp_col_text(st, 15);
    r->attributes = mp_col_text(st, 16);
    r->media_url = mp_col_text(st, 17);
    r->extra = mp_col_text(st, 18);
    r->municipality = mp_col_text(st, 19);
}

struct requests {
    mp_open311_cb cb;
    void *ctx;
};

static int request_row(void *ctx, sqlite3_stmt *st)
{
    const struct requests *c = ctx;
    struct mp_open311_row row;
    read_row(st, &row);
    return c->cb(c->ctx, &row);
}

enum mp_status mp_sqlite_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                          mp_open311_cb cb, void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, q->has_bbox ? sql_list_box : sql_list);
    if (!st)
        return MP_EDB;
    if (q->has_bbox) {
        sqlite3_bind_double(st, 7, q->bbox.min_lon);
        sqlite3_bind_double(st, 8, q->bbox.min_lat);
        sqlite3_bind_double(st, 9, q->bbox.max_lon);
        sqlite3_bind_double(st, 10, q->bbox.max_lat);
        if (q->near) {
            sqlite3_bind_double(st, 11, q->x);
            sqlite3_bind_double(st, 12, q->y);
            sqlite3_bind_double(st, 13, q->radius_m);
        } else {
            sqlite3_bind_null(st, 13);
        }
    }
    enum mp_status rc;
    sqlite3_bind_int64(st, 1, q->since);
    sqlite3_bind_int64(st, 2, q->until);
    if ((rc = mp_bind_list(st, 3, q->categories, q->ncategories, true)) ||
        (rc = mp_bind_list(st, 4, q->statuses, q->nstatuses, true))) {
        mp_stmt_done(st);
        return rc;
    }
    sqlite3_bind_int64(st, 5, (sqlite3_int64)q->limit);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)q->offset);
    mp_bind_text(st, 14, q->municipality); /* ?14: a jurisdiction_id's member, NULL for any */
    struct requests c = {cb, ctx};
    return mp_stmt_each(s, st, request_row, &c, "open311 requests");
}

enum mp_status mp_sqlite_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                         void *ctx)
{
    sqlite3_stmt *st = mp_stmt_id(s, sql_one, id);
    struct requests c = {cb, ctx};
    return mp_stmt_first(s, st, request_row, &c, "open311 requests");
}

struct updates {
    mp_open311_update_cb cb;
    void *ctx;
};

static int update_row(void *ctx, sqlite3_stmt *st)
{
    const struct updates *c = ctx;
    struct mp_open311_update u = {
        .history_id = sqlite3_column_int64(st, 0),
        .report_id = sqlite3_column_int64(st, 1),
        .at = sqlite3_column_int64(st, 2),
        .status = mp_col_text(st, 3),
        .note = mp_col_text(st, 4),
        .media_url = mp_col_text(st, 5),
    };
    return c->cb(c->ctx, &u);
}

enum mp_status mp_sqlite_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                         size_t limit, size_t offset, mp_open311_update_cb cb,
                                         void *ctx)
{
    sqlite3_stmt *st = mp_stmt(s, sql_updates);
    struct updates c = {cb, ctx};
    if (st) {
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, until);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)offset);
    }
    return mp_stmt_each(s, st, update_row, &c, "open311 updates");
}

struct found_update {
    int64_t *history_id, *report_id;
};

static int found_update(void *ctx, sqlite3_stmt *st)
{
    const struct found_update *f = ctx;
    *f->history_id = sqlite3_column_int64(st, 0);
    *f->report_id = sqlite3_column_int64(st, 1);
    return 1;
}

enum mp_status mp_sqlite_open311_update_find(struct mp_store_sess *s, int64_t client_id,
                                             const char *client_update_id, int64_t *history_id,
                                             int64_t *report_id)
{
    sqlite3_stmt *st = mp_stmt(s, sql_update_find);
    struct found_update f = {history_id, report_id};
    if (st) {
        sqlite3_bind_int64(st, 1, client_id);
        mp_bind_text(st, 2, client_update_id);
    }
    return mp_stmt_first(s, st, found_update, &f, "open311 update find");
}

enum mp_status mp_sqlite_open311_note_add(struct mp_store_sess *s,
                                          const struct mp_open311_note_rec *rec,
                                          int64_t *history_id)
{
    enum mp_status rc;
    struct mp_history_rec h = {.cluster_id = rec->cluster_id,
                               .report_id = rec->report_id,
                               .at = rec->at,
                               .status = rec->status,
                               .note = rec->note,
                               .note_public = true,
                               .actor = rec->actor};
    if ((rc = mp_store_history_add(s, &h)))
        return rc;
    *history_id = sqlite3_last_insert_rowid(mp_sq(s)->db);
    sqlite3_stmt *st = mp_stmt(s, sql_update_put);
    if (!st)
        return MP_EDB;
    sqlite3_bind_int64(st, 1, *history_id);
    sqlite3_bind_int64(st, 2, rec->report_id);
    sqlite3_bind_int64(st, 3, rec->client_id);
    mp_bind_text(st, 4, rec->client_update_id);
    mp_bind_text(st, 5, rec->client_status);
    sqlite3_bind_int64(st, 6, rec->client_at);
    mp_bind_text(st, 7, rec->media_url);
    if ((rc = mp_stmt_run(s, st, "open311 update insert")))
        return rc;
    /* The note is a change of the request: its updated_datetime moves. */
    if (!(st = mp_stmt(s, sql_update_touch)))
        return MP_EDB;
    sqlite3_bind_int64(st, 1, rec->report_id);
    sqlite3_bind_int64(st, 2, rec->at);
    return mp_stmt_run(s, st, "open311 update touch");
}
