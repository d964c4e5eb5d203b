/* store_pg_kto.c - SQL of the satisfaction answers on PostgreSQL
 * (store_notify.h, kto.h): the answer, its details and photo. */
#include "meldpunt/store_notify.h"

#include "store_pg.h"
#include "store_pg_engine.h"

/* The municipality is the report's: an answer comes through a subscription,
 * which ties it to an existing report. */
static const char sql_kto_add[] =
    "INSERT INTO kto_answers (municipality, sub_id, report_id, cluster_id, fixed_at, satisfied,"
    " created_at) VALUES ((SELECT municipality FROM reports WHERE id = $2::bigint), $1,"
    " $2::bigint, $3, $4, $5, $6) RETURNING id";
static const char sql_kto_detail[] =
    "UPDATE kto_answers SET reasons = $2, text = $3, photo = $4, photo_thumb = $5,"
    " detailed_at = $6 WHERE id = $1::bigint";
#define KTO_COLS                                                                                   \
    "id, sub_id, report_id, cluster_id, fixed_at, created_at, detailed_at, satisfied,"             \
    " photo IS NOT NULL, reasons, text"
static const char sql_kto_get[] = "SELECT " KTO_COLS " FROM kto_answers WHERE id = $1::bigint";
static const char sql_kto_answered[] =
    "SELECT 1 FROM kto_answers WHERE sub_id = $1::bigint AND fixed_at = $2::bigint";
static const char sql_kto_cluster[] = "SELECT " KTO_COLS " FROM kto_answers"
                                      " WHERE cluster_id = $1::bigint ORDER BY created_at, id";
static const char sql_kto_photo[] = "SELECT photo FROM kto_answers WHERE id = $1::bigint";
static const char sql_kto_thumb[] = "SELECT photo_thumb FROM kto_answers WHERE id = $1::bigint";

enum mp_status mp_pg_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k, int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, k->sub_id);
    mp_pg_int64(&p, k->report_id);
    mp_pg_int64(&p, k->cluster_id);
    mp_pg_int64(&p, k->fixed_at);
    mp_pg_bool(&p, k->satisfied);
    mp_pg_int64(&p, k->at);
    *id = 0;
    enum mp_status rc = mp_pg_first(s, sql_kto_add, &p, mp_pg_row_int64, id, "answer insert");
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                const char *text, const struct mp_photo_rec *photo, int64_t at)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    mp_pg_text(&p, reasons);
    mp_pg_text(&p, text);
    if (photo) {
        mp_pg_bytea(&p, photo->full, photo->full_len);
        mp_pg_bytea(&p, photo->thumb, photo->thumb_len);
    } else {
        mp_pg_text(&p, NULL);
        mp_pg_text(&p, NULL);
    }
    mp_pg_int64(&p, at);
    return mp_pg_run(s, sql_kto_detail, &p, NULL, "answer details");
}

struct answers {
    mp_kto_cb cb;
    void *ctx;
};

static int kto_row(void *p, const PGresult *r, int i)
{
    const struct answers *c = p;
    struct mp_kto_row k = {
        .id = mp_pg_col_int64(r, i, 0),
        .sub_id = mp_pg_col_int64(r, i, 1),
        .report_id = mp_pg_col_int64(r, i, 2),
        .cluster_id = mp_pg_col_int64(r, i, 3),
        .fixed_at = mp_pg_col_int64(r, i, 4),
        .created_at = mp_pg_col_int64(r, i, 5),
        .detailed_at = mp_pg_col_int64(r, i, 6),
        .satisfied = mp_pg_col_bool(r, i, 7),
        .has_photo = mp_pg_col_bool(r, i, 8),
        .reasons = mp_pg_col_text(r, i, 9),
        .text = mp_pg_col_text(r, i, 10),
    };
    return c->cb(c->ctx, &k);
}

/* The answers of sql with $1 = id: the first one only (first), or all. */
static enum mp_status answers(struct mp_store_sess *s, const char *sql, int64_t id, bool first,
                              mp_kto_cb cb, void *ctx, const char *what)
{
    struct answers c = {cb, ctx};
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    return first ? mp_pg_first(s, sql, &p, kto_row, &c, what)
                 : mp_pg_each(s, sql, &p, kto_row, &c, what);
}

enum mp_status mp_pg_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb, void *ctx)
{
    return answers(s, sql_kto_get, id, true, cb, ctx, "answer");
}

enum mp_status mp_pg_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                  bool *answered)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, sub_id);
    mp_pg_int64(&p, fixed_at);
    enum mp_status rc = mp_pg_first(s, sql_kto_answered, &p, NULL, NULL, "answer");
    *answered = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                     void *ctx)
{
    return answers(s, sql_kto_cluster, cluster_id, false, cb, ctx, "answers");
}

enum mp_status mp_pg_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                               size_t *len)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, id);
    /* mp_pg_blob answers MP_ENOTFOUND for a NULL photo too. */
    return mp_pg_blob(s, thumb ? sql_kto_thumb : sql_kto_photo, &p, data, len, "answer photo");
}
