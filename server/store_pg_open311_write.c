/* store_pg_open311_write.c - the writes of the Open311 interface on
 * PostgreSQL (the twin of the writes in store_sqlite_open311.c; contracts
 * in store_open311.h): what a client sent beyond a report's own fields,
 * and the updates clients post (a public history entry of the request's
 * cluster, and the client's own id of it). The reads are in
 * store_pg_open311.c. Both rows take their municipality from their parent
 * in the INSERT (a missing report: NOT NULL, MP_ECONFLICT, as SQLite's
 * foreign key). */
#include <stdint.h>

#include "store_pg.h"
#include "store_pg_engine.h"

/* A second row for one report is refused (its key): MP_ECONFLICT. */
static const char sql_put[] =
    "INSERT INTO open311_attributes (municipality, report_id, json, media_url, device_id,"
    " account_id, client_id, extra) VALUES ((SELECT municipality FROM reports"
    " WHERE id = $1::bigint), $1, coalesce($2, '{}'), $3, $4, $5, NULLIF($6::bigint, 0), $7)";
static const char sql_update_find[] =
    "SELECT history_id, report_id FROM open311_updates WHERE client_id = $1::bigint"
    " AND client_update_id = $2 ORDER BY history_id LIMIT 1";
/* The history entry and the client's row of it in one statement: the
 * entry's id is needed for the row (the CTE hands it over). A client's id
 * used twice is refused by the unique key (MP_ECONFLICT). */
static const char sql_note_add[] =
    "WITH h AS (INSERT INTO history (municipality, cluster_id, report_id, at, status, note,"
    " note_public, actor) VALUES ((SELECT municipality FROM clusters WHERE id = $1::bigint), $1,"
    " NULLIF($2::bigint, 0), $3::bigint, $4, $5, true, $6) RETURNING id, municipality)"
    " INSERT INTO open311_updates (history_id, municipality, report_id, client_id,"
    " client_update_id, client_status, client_at, media_url) SELECT h.id, h.municipality,"
    " $2::bigint, $7::bigint, $8, $9, NULLIF($10::bigint, 0), $11 FROM h RETURNING history_id";
static const char sql_update_touch[] =
    "UPDATE reports SET updated_at = $2::bigint WHERE id = $1::bigint";

enum mp_status mp_pg_open311_put(struct mp_store_sess *s, const struct mp_open311_extra *x)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, x->report_id);
    mp_pg_text(&p, x->attributes);
    mp_pg_text(&p, x->media_url);
    mp_pg_text(&p, x->device_id);
    mp_pg_text(&p, x->account_id);
    mp_pg_int64(&p, x->client_id);
    mp_pg_text(&p, x->extra);
    return mp_pg_run(s, sql_put, &p, NULL, "open311 insert");
}

struct found_update {
    int64_t *history_id, *report_id;
};

static int found_update(void *ctx, const PGresult *r, int i)
{
    const struct found_update *f = ctx;
    *f->history_id = mp_pg_col_int64(r, i, 0);
    *f->report_id = mp_pg_col_int64(r, i, 1);
    return 1;
}

enum mp_status mp_pg_open311_update_find(struct mp_store_sess *s, int64_t client_id,
                                         const char *client_update_id, int64_t *history_id,
                                         int64_t *report_id)
{
    struct found_update f = {history_id, report_id};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, client_id);
    mp_pg_text(&p, client_update_id);
    return mp_pg_first(s, sql_update_find, &p, found_update, &f, "open311 update find");
}

enum mp_status mp_pg_open311_note_add(struct mp_store_sess *s,
                                      const struct mp_open311_note_rec *rec, int64_t *history_id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, rec->cluster_id);
    mp_pg_int64(&p, rec->report_id);
    mp_pg_int64(&p, rec->at);
    mp_pg_text(&p, rec->status);
    mp_pg_text(&p, rec->note);
    mp_pg_text(&p, rec->actor);
    mp_pg_int64(&p, rec->client_id);
    mp_pg_text(&p, rec->client_update_id);
    mp_pg_text(&p, rec->client_status);
    mp_pg_int64(&p, rec->client_at);
    mp_pg_text(&p, rec->media_url);
    enum mp_status rc =
        mp_pg_first(s, sql_note_add, &p, mp_pg_row_int64, history_id, "open311 update insert");
    if (rc)
        return rc == MP_ENOTFOUND ? MP_EDB : rc;
    /* The note is a change of the request: its updated_datetime moves. */
    mp_pg_params_init(&p);
    mp_pg_int64(&p, rec->report_id);
    mp_pg_int64(&p, rec->at);
    return mp_pg_run(s, sql_update_touch, &p, NULL, "open311 update touch");
}
