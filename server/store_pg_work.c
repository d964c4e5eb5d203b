/* store_pg_work.c - SQL of the staff side of a cluster on PostgreSQL (the
 * twin of store_sqlite_work.c; contracts in store_work.h): assignments,
 * internal notes, crew photos, and the worklist/queue query.
 *
 * An assignment row carries its cluster's municipality, taken in the
 * INSERT (a missing cluster: NOT NULL, MP_ECONFLICT, as SQLite's foreign
 * key); notes and photos have no tie to a cluster row (store_pg_schema.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

static const char sql_get[] =
    "SELECT coalesce(department, ''), coalesce(crew, ''), coalesce(priority, 0),"
    " coalesce(due_at, 0), updated_at, coalesce(updated_by, '') FROM work_assignments"
    " WHERE cluster_id = $1::bigint";
/* Insert or replace: the row of a cluster is one (its key). */
static const char sql_set[] =
    "INSERT INTO work_assignments (municipality, cluster_id, department, crew, priority, due_at,"
    " updated_at, updated_by) VALUES ((SELECT municipality FROM clusters WHERE id = $1::bigint),"
    " $1, NULLIF($2, ''), NULLIF($3, ''), NULLIF($4::integer, 0), NULLIF($5::bigint, 0),"
    " $6::bigint, $7) ON CONFLICT (cluster_id, municipality) DO UPDATE SET"
    " department = excluded.department, crew = excluded.crew, priority = excluded.priority,"
    " due_at = excluded.due_at, updated_at = excluded.updated_at,"
    " updated_by = excluded.updated_by";

/* $1 categories (JSON array or NULL: any), $2 statuses (JSON array),
 * $3 district (NULL: any), $4 one cluster id or 0; with a box $5-$8 (min
 * lon, min lat, max lon, max lat): the GiST index finds candidates (its
 * boxes are rounded outwards), the BETWEEN keeps exactly SQLite's rows.
 * The address is the first one a reporter typed: the crew's satnav wants a
 * street address. */
#define WORK_COLS                                                                                  \
    "c.id, c.report_count, c.first_at, c.last_at, c.updated_at, c.category, c.status,"             \
    " c.district, c.location, (SELECT r.address FROM reports r WHERE r.cluster_id = c.id AND"      \
    " r.municipality = c.municipality AND r.address IS NOT NULL AND r.address <> ''"               \
    " ORDER BY r.created_at, r.id LIMIT 1),"                                                       \
    " c.lon, c.lat, c.x, c.y, w.cluster_id IS NOT NULL, w.department, w.crew,"                     \
    " coalesce(w.priority, 0), coalesce(w.due_at, 0), c.municipality"
#define WORK_FROM                                                                                  \
    " FROM clusters c LEFT JOIN work_assignments w ON w.cluster_id = c.id"                         \
    " AND w.municipality = c.municipality"
#define WORK_FILTERS                                                                               \
    " WHERE ($1::json IS NULL OR c.category IN (SELECT json_array_elements_text($1::json)))"       \
    " AND c.status IN (SELECT json_array_elements_text($2::json))"                                 \
    " AND ($3::text IS NULL OR c.district = $3::text)"                                             \
    " AND ($4::bigint = 0 OR c.id = $4::bigint)"
#define WORK_ORDER " ORDER BY c.first_at, c.id"
/* The staff member's municipalities (tenancy) follow: $5, or $9 after a box. */
static const char sql_list_all[] =
    "SELECT " WORK_COLS WORK_FROM WORK_FILTERS MP_PG_SCOPE("c", "$5") WORK_ORDER;
static const char sql_list_bbox[] =
    "SELECT " WORK_COLS WORK_FROM WORK_FILTERS
    " AND c.geom && ST_MakeEnvelope($5::float8, $6::float8, $7::float8, $8::float8, 4326)"
    " AND c.lon BETWEEN $5::float8 AND $7::float8 AND c.lat BETWEEN $6::float8 AND "
    "$8::float8" MP_PG_SCOPE("c", "$9") WORK_ORDER;

static const char sql_note_add[] = "INSERT INTO work_notes (cluster_id, at, status, note, actor)"
                                   " VALUES ($1::bigint, $2::bigint, $3, $4, $5)";
static const char sql_notes[] = "SELECT id, cluster_id, at, status, note, actor FROM work_notes"
                                " WHERE cluster_id = $1::bigint ORDER BY at, id";
static const char sql_photo_put[] =
    "INSERT INTO work_photos (cluster_id, at, status, actor, mime, width, height, image, thumb)"
    " VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6::integer, $7::integer, $8, $9) RETURNING id";
static const char sql_photo_image[] = "SELECT image FROM work_photos WHERE id = $1::bigint";
static const char sql_photo_thumb[] = "SELECT thumb FROM work_photos WHERE id = $1::bigint";
static const char sql_photo_cluster[] = "SELECT cluster_id FROM work_photos WHERE id = $1::bigint";
static const char sql_photos[] = "SELECT id, cluster_id, at, status, actor, coalesce(width, 0),"
                                 " coalesce(height, 0) FROM work_photos"
                                 " WHERE cluster_id = $1::bigint ORDER BY at, id";
static const char sql_merge_notes[] =
    "UPDATE work_notes SET cluster_id = $2::bigint WHERE cluster_id = $1::bigint";
static const char sql_merge_photos[] =
    "UPDATE work_photos SET cluster_id = $2::bigint WHERE cluster_id = $1::bigint";
static const char sql_merge_drop[] = "DELETE FROM work_assignments WHERE cluster_id = $1::bigint";

static int assignment_row(void *ctx, const PGresult *r, int i)
{
    struct mp_work_assignment *out = ctx;
    out->exists = true;
    mp_pg_col_copy(out->department, sizeof out->department, r, i, 0);
    mp_pg_col_copy(out->crew, sizeof out->crew, r, i, 1);
    out->priority = (int)mp_pg_col_int64(r, i, 2);
    out->due_at = mp_pg_col_int64(r, i, 3);
    out->updated_at = mp_pg_col_int64(r, i, 4);
    mp_pg_col_copy(out->updated_by, sizeof out->updated_by, r, i, 5);
    return 1;
}

/* The parameters of the statements that take one cluster (or photo) id. */
static void one_id(struct mp_pg_params *p, int64_t id)
{
    mp_pg_params_init(p);
    mp_pg_int64(p, id);
}

enum mp_status mp_pg_work_get(struct mp_store_sess *s, int64_t cluster_id,
                              struct mp_work_assignment *out)
{
    memset(out, 0, sizeof *out);
    struct mp_pg_params p;
    one_id(&p, cluster_id);
    enum mp_status rc = mp_pg_first(s, sql_get, &p, assignment_row, out, "assignment");
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

enum mp_status mp_pg_work_set(struct mp_store_sess *s, int64_t cluster_id,
                              const struct mp_work_assignment *a, int64_t now)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster_id);
    mp_pg_text(&p, a->department);
    mp_pg_text(&p, a->crew);
    mp_pg_int64(&p, a->priority);
    mp_pg_int64(&p, a->due_at);
    mp_pg_int64(&p, now);
    mp_pg_text(&p, a->updated_by[0] ? a->updated_by : NULL);
    return mp_pg_run(s, sql_set, &p, NULL, "assignment");
}

struct work {
    mp_work_cb cb;
    void *ctx;
};

static int work_row(void *ctx, const PGresult *r, int i)
{
    const struct work *c = ctx;
    struct mp_work_row w = {
        .id = mp_pg_col_int64(r, i, 0),
        .report_count = mp_pg_col_int64(r, i, 1),
        .first_at = mp_pg_col_int64(r, i, 2),
        .last_at = mp_pg_col_int64(r, i, 3),
        .updated_at = mp_pg_col_int64(r, i, 4),
        .category = mp_pg_col_text(r, i, 5),
        .status = mp_pg_col_text(r, i, 6),
        .district = mp_pg_col_text(r, i, 7),
        .location = mp_pg_col_text(r, i, 8),
        .address = mp_pg_col_text(r, i, 9),
        .lon = mp_pg_col_double(r, i, 10),
        .lat = mp_pg_col_double(r, i, 11),
        .x = mp_pg_col_double(r, i, 12),
        .y = mp_pg_col_double(r, i, 13),
        .assigned = mp_pg_col_bool(r, i, 14),
        .department = mp_pg_col_text(r, i, 15),
        .crew = mp_pg_col_text(r, i, 16),
        .priority = (int)mp_pg_col_int64(r, i, 17),
        .due_at = mp_pg_col_int64(r, i, 18),
        .municipality = mp_pg_col_text(r, i, 19),
    };
    return c->cb(c->ctx, &w);
}

enum mp_status mp_pg_work_list(struct mp_store_sess *s, const struct mp_work_query *q,
                               mp_work_cb cb, void *ctx)
{
    if (q->nstatuses == 0)
        return MP_EINVAL;
    char *categories = NULL, *statuses = NULL;
    enum mp_status rc;
    if ((rc = mp_pg_json_list(q->categories, q->ncategories, &categories)) ||
        (rc = mp_pg_json_list(q->statuses, q->nstatuses, &statuses)))
        goto out;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_text(&p, categories);
    mp_pg_text(&p, statuses);
    mp_pg_text(&p, q->district);
    mp_pg_int64(&p, q->cluster_id);
    if (q->has_bbox) {
        mp_pg_double(&p, q->bbox.min_lon);
        mp_pg_double(&p, q->bbox.min_lat);
        mp_pg_double(&p, q->bbox.max_lon);
        mp_pg_double(&p, q->bbox.max_lat);
    }
    char scope[MP_PG_SCOPE_CAP];
    mp_pg_text(&p, mp_pg_scope_array(q->scope, scope, sizeof scope));
    struct work c = {cb, ctx};
    rc = mp_pg_each(s, q->has_bbox ? sql_list_bbox : sql_list_all, &p, work_row, &c, "worklist");
out:
    free(categories);
    free(statuses);
    return rc;
}

enum mp_status mp_pg_work_note_add(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                   const char *status, const char *note, const char *actor)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster_id);
    mp_pg_int64(&p, at);
    mp_pg_text(&p, status);
    mp_pg_text(&p, note);
    mp_pg_text(&p, actor);
    return mp_pg_run(s, sql_note_add, &p, NULL, "note insert");
}

struct notes {
    mp_work_note_cb cb;
    void *ctx;
};

static int note_row(void *ctx, const PGresult *r, int i)
{
    const struct notes *c = ctx;
    struct mp_work_note_row n = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .at = mp_pg_col_int64(r, i, 2),
        .status = mp_pg_col_text(r, i, 3),
        .note = mp_pg_col_text(r, i, 4),
        .actor = mp_pg_col_text(r, i, 5),
    };
    return c->cb(c->ctx, &n);
}

enum mp_status mp_pg_work_notes(struct mp_store_sess *s, int64_t cluster_id, mp_work_note_cb cb,
                                void *ctx)
{
    struct notes c = {cb, ctx};
    struct mp_pg_params p;
    one_id(&p, cluster_id);
    return mp_pg_each(s, sql_notes, &p, note_row, &c, "notes");
}

enum mp_status mp_pg_work_photo_put(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                    const char *status, const char *actor,
                                    const struct mp_photo_rec *ph, int64_t *id)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cluster_id);
    mp_pg_int64(&p, at);
    mp_pg_text(&p, status);
    mp_pg_text(&p, actor);
    mp_pg_text(&p, ph->mime ? ph->mime : "image/jpeg");
    mp_pg_int64(&p, ph->width);
    mp_pg_int64(&p, ph->height);
    mp_pg_bytea(&p, ph->full, ph->full_len);
    mp_pg_bytea(&p, ph->thumb, ph->thumb_len);
    int64_t got = 0;
    enum mp_status rc =
        mp_pg_first(s, sql_photo_put, &p, mp_pg_row_int64, &got, "work photo insert");
    if (rc == MP_OK)
        *id = got;
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}

enum mp_status mp_pg_work_photo_get(struct mp_store_sess *s, int64_t photo_id, bool thumb,
                                    void **data, size_t *len)
{
    struct mp_pg_params p;
    one_id(&p, photo_id);
    return mp_pg_blob(s, thumb ? sql_photo_thumb : sql_photo_image, &p, data, len, "work photo");
}

enum mp_status mp_pg_work_photo_cluster(struct mp_store_sess *s, int64_t photo_id,
                                        int64_t *cluster_id)
{
    struct mp_pg_params p;
    one_id(&p, photo_id);
    return mp_pg_first(s, sql_photo_cluster, &p, mp_pg_row_int64, cluster_id, "photo cluster");
}

struct photos {
    mp_work_photo_cb cb;
    void *ctx;
};

static int photo_row(void *ctx, const PGresult *r, int i)
{
    const struct photos *c = ctx;
    struct mp_work_photo_row ph = {
        .id = mp_pg_col_int64(r, i, 0),
        .cluster_id = mp_pg_col_int64(r, i, 1),
        .at = mp_pg_col_int64(r, i, 2),
        .status = mp_pg_col_text(r, i, 3),
        .actor = mp_pg_col_text(r, i, 4),
        .width = (unsigned)mp_pg_col_int64(r, i, 5),
        .height = (unsigned)mp_pg_col_int64(r, i, 6),
    };
    return c->cb(c->ctx, &ph);
}

enum mp_status mp_pg_work_photos(struct mp_store_sess *s, int64_t cluster_id, mp_work_photo_cb cb,
                                 void *ctx)
{
    struct photos c = {cb, ctx};
    struct mp_pg_params p;
    one_id(&p, cluster_id);
    return mp_pg_each(s, sql_photos, &p, photo_row, &c, "photos");
}

enum mp_status mp_pg_work_cluster_merged(struct mp_store_sess *s, int64_t from, int64_t to)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, from);
    mp_pg_int64(&p, to);
    struct mp_pg_params one;
    one_id(&one, from);
    enum mp_status rc;
    if ((rc = mp_pg_run(s, sql_merge_notes, &p, NULL, "merge")) ||
        (rc = mp_pg_run(s, sql_merge_photos, &p, NULL, "merge")) ||
        (rc = mp_pg_run(s, sql_merge_drop, &one, NULL, "merge")))
        return rc;
    return MP_OK;
}
