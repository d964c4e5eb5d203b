/* store_pg_export.c - the export cursors on PostgreSQL (store_export.h):
 * keyset batches of at most BATCH_ROWS rows, each one statement (its own
 * snapshot, or the snapshot of the transaction the borrowed session is in),
 * whose result the cursor keeps until its rows are handed out; so a cursor
 * never holds more than one batch in memory nor a snapshot between two
 * batches, however slowly its reader goes. The filters are those of the
 * listings (store_pg_filter.h). */
#include "meldpunt/store_export.h"

#include <stdlib.h>
#include <string.h>

#include "meldpunt/store.h"
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

#define BATCH_ROWS 1024

/* Contact fields are never selected (store_export.h). */
#define REPORT_COLS                                                                                \
    "r.id, r.cluster_id, r.created_at, r.updated_at,"                                              \
    " CASE WHEN r.status IN ('fixed', 'closed') AND c.fixed_at > 0 THEN c.fixed_at ELSE 0 END,"    \
    " r.category, r.description, r.address, r.channel, r.status, r.district, r.external_id,"       \
    " r.join_reason, r.lon, r.lat, r.location, r.municipality"
#define REPORT_FROM                                                                                \
    " FROM reports r JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality"   \
    " WHERE true"
#define CLUSTER_COLS                                                                               \
    "c.id, c.report_count, c.first_at, c.last_at,"                                                 \
    " CASE WHEN c.status IN ('fixed', 'closed') AND c.fixed_at > 0 THEN c.fixed_at ELSE 0 END,"    \
    " c.created_at, c.updated_at, c.category, c.status, c.district, c.lon, c.lat, c.location,"    \
    " c.municipality"
#define CLUSTER_FROM " FROM clusters c WHERE true"

/* The updated_at range (the OGC API's updated_at queryable), which only
 * these statements have; 0 for open-ended. Then m, the municipality (its
 * municipality queryable; NULL for any). */
#define UPDATED(t, a, b, m)                                                                        \
    " AND (" a "::bigint = 0 OR " t ".updated_at >= " a "::bigint)"                                \
    " AND (" b "::bigint = 0 OR " t ".updated_at < " b "::bigint)"                                 \
    " AND (" m "::text IS NULL OR " t ".municipality = " m "::text)"

/* Batches: $1-$5 filters, $6 after id, $7 limit, $8-$9 updated, $10 the
 * municipality, $11-$14 the box; [what][box]. */
#define R_WHERE                                                                                    \
    MP_PG_FILTERS("r") MP_PG_AFTER("r") MP_PG_REPORT_TIME UPDATED("r", "$8", "$9", "$10")
#define C_WHERE                                                                                    \
    MP_PG_FILTERS("c") MP_PG_AFTER("c") MP_PG_CLUSTER_TIME UPDATED("c", "$8", "$9", "$10")
#define BOX(t) MP_PG_BBOX(t, "$11", "$12", "$13", "$14")
/* Then the staff member's municipalities (tenancy): $11, or $15 after a box. */
static const char *const sql_rows[2][2] = {
    {"SELECT " REPORT_COLS REPORT_FROM R_WHERE MP_PG_SCOPE("r", "$11") " ORDER BY r.id"
         MP_PG_LIMIT,
     "SELECT " REPORT_COLS REPORT_FROM R_WHERE BOX("r") MP_PG_SCOPE("r", "$15") " ORDER BY r.id"
         MP_PG_LIMIT},
    {"SELECT " CLUSTER_COLS CLUSTER_FROM C_WHERE MP_PG_SCOPE("c", "$11") " ORDER BY c.id"
         MP_PG_LIMIT,
     "SELECT " CLUSTER_COLS CLUSTER_FROM C_WHERE BOX("c") MP_PG_SCOPE("c", "$15") " ORDER BY c.id"
         MP_PG_LIMIT},
};

/* Counts: $1-$5 filters, $6-$7 updated, $8 the municipality, $9-$12 the
 * box, then the staff member's municipalities (tenancy: $9 or $13); [what][box]. */
#define R_COUNT MP_PG_FILTERS("r") MP_PG_REPORT_TIME UPDATED("r", "$6", "$7", "$8")
#define C_COUNT MP_PG_FILTERS("c") MP_PG_CLUSTER_TIME UPDATED("c", "$6", "$7", "$8")
static const char *const sql_count[2][2] = {
    {"SELECT count(*) FROM reports r WHERE true" R_COUNT MP_PG_SCOPE("r", "$9"),
     "SELECT count(*) FROM reports r WHERE true" R_COUNT MP_PG_BBOX("r", "$9", "$10", "$11", "$12")
         MP_PG_SCOPE("r", "$13")},
    {"SELECT count(*) FROM clusters c WHERE true" C_COUNT MP_PG_SCOPE("c", "$9"),
     "SELECT count(*) FROM clusters c WHERE true" C_COUNT MP_PG_BBOX("c", "$9", "$10", "$11",
                                                                     "$12")
         MP_PG_SCOPE("c", "$13")},
};
static const char sql_extent[] =
    "SELECT coalesce(min(created_at), 0), coalesce(max(created_at), 0) FROM reports";

/* The engine-neutral head (store_engine.h) first. */
struct mp_pg_cursor {
    struct mp_export_cursor head;
    struct mp_store *store;     /* owned when opened on a path, else NULL */
    struct mp_store_sess *sess; /* borrowed, or acquired from store */
    enum mp_export_what what;
    struct mp_query q;        /* the filters (district: the copy; lists: not used) */
    struct mp_pg_lists lists; /* owned copies of q's lists, district and municipality */
    char *district, *municipality;
    PGresult *batch; /* owned: the rows being handed out */
    int nrows, next;
    int64_t last_id;   /* the next batch starts after it */
    int64_t remaining; /* rows the limit still allows; -1: no limit */
    bool more, done;
    enum mp_status final;
    struct mp_export_row row;
};

void mp_pg_export_close(struct mp_export_cursor *cur)
{
    struct mp_pg_cursor *c = (struct mp_pg_cursor *)cur;
    PQclear(c->batch);
    if (c->store) {
        if (c->sess)
            mp_store_release(c->store, c->sess);
        mp_store_close(c->store);
    }
    mp_pg_lists_free(&c->lists);
    free(c->district);
    free(c->municipality);
    free(c);
}

static enum mp_status cursor_start(struct mp_store *store, struct mp_store_sess *sess,
                                   enum mp_export_what what, const struct mp_query *q,
                                   struct mp_export_cursor **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_pg_cursor *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c) {
        if (store) {
            mp_store_release(store, sess);
            mp_store_close(store);
        }
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
    }
    c->head.eng = &mp_pg_engine;
    c->store = store;
    c->sess = sess;
    c->what = what;
    c->row.what = what;
    c->q = *q;
    c->last_id = q->after_id;
    c->remaining = q->limit ? (int64_t)q->limit : -1;
    c->more = true;
    if (mp_pg_lists_of(&c->lists, q) || (q->district && !(c->district = strdup(q->district))) ||
        (q->municipality && !(c->municipality = strdup(q->municipality)))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    c->q.district = c->district; /* the lists come from c->lists */
    c->q.municipality = c->municipality;
    c->q.scope = NULL;           /* and the municipalities: q's may not outlive the call */
    *out = &c->head;
    c = NULL;
out:
    if (c)
        mp_pg_export_close(&c->head);
    return rc;
}

enum mp_status mp_pg_export_open_path(const char *location, enum mp_export_what what,
                                      const struct mp_query *q, struct mp_export_cursor **out,
                                      struct mp_error *err)
{
    /* A store of one read-only session of its own (it may move between
     * threads with the cursor). */
    struct mp_store_opts o;
    struct mp_store *store = NULL;
    mp_store_opts_default(&o);
    o.pool_size = 1;
    o.readonly = true;
    o.bg_checkpoint = false;
    *out = NULL;
    enum mp_status rc = mp_store_open(location, &o, &store, err);
    if (rc)
        return rc;
    return cursor_start(store, mp_store_acquire(store), what, q, out, err);
}

enum mp_status mp_pg_export_open(struct mp_store_sess *sess, enum mp_export_what what,
                                 const struct mp_query *q, struct mp_export_cursor **out,
                                 struct mp_error *err)
{
    return cursor_start(NULL, sess, what, q, out, err);
}

/* q's parameters in the order above: the shared filters (with the page
 * when parts says so), the updated_at range, the municipality, the box,
 * the staff member's municipalities (l->scope: the cursor's own copy). */
static void add_params(struct mp_pg_params *p, const struct mp_query *q,
                       const struct mp_pg_lists *l, unsigned parts)
{
    mp_pg_query_add(p, q, l, parts | MP_PG_UPDATED);
    mp_pg_text(p, q->municipality);
    if (q->has_bbox)
        mp_pg_bbox(p, &q->bbox);
    mp_pg_text(p, l->scope);
}

static enum mp_status read_batch(struct mp_pg_cursor *c)
{
    int64_t want = c->remaining >= 0 && c->remaining < BATCH_ROWS ? c->remaining : BATCH_ROWS;
    c->q.after_id = c->last_id;
    c->q.limit = (size_t)want;
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    add_params(&p, &c->q, &c->lists, MP_PG_PAGE);
    PQclear(c->batch);
    c->batch = NULL;
    c->nrows = c->next = 0;
    enum mp_status rc =
        mp_pg_result(c->sess, sql_rows[c->what == MP_EXPORT_CLUSTERS][c->q.has_bbox ? 1 : 0], &p,
                     &c->batch, "export");
    if (rc)
        return rc;
    c->nrows = PQntuples(c->batch);
    c->more = c->nrows == want;
    if (c->nrows) {
        c->last_id = mp_pg_col_int64(c->batch, c->nrows - 1, 0); /* column 0 is the id */
        if (c->remaining >= 0)
            c->remaining -= c->nrows;
        if (c->remaining == 0)
            c->more = false;
    }
    return MP_OK;
}

static void read_report(const PGresult *r, int i, struct mp_export_report *o)
{
    o->id = mp_pg_col_int64(r, i, 0);
    o->cluster_id = mp_pg_col_int64(r, i, 1);
    o->created_at = mp_pg_col_int64(r, i, 2);
    o->updated_at = mp_pg_col_int64(r, i, 3);
    o->fixed_at = mp_pg_col_int64(r, i, 4);
    o->category = mp_pg_col_text(r, i, 5);
    o->description = mp_pg_col_text(r, i, 6);
    if (!o->description)
        o->description = "";
    o->address = mp_pg_col_text(r, i, 7);
    o->channel = mp_pg_col_text(r, i, 8);
    o->status = mp_pg_col_text(r, i, 9);
    o->district = mp_pg_col_text(r, i, 10);
    o->external_id = mp_pg_col_text(r, i, 11);
    o->join_reason = mp_pg_col_text(r, i, 12);
    o->lon = mp_pg_col_double(r, i, 13);
    o->lat = mp_pg_col_double(r, i, 14);
    o->location = mp_pg_col_text(r, i, 15);
    o->municipality = mp_pg_col_text(r, i, 16);
}

static void read_cluster(const PGresult *r, int i, struct mp_export_cluster *o)
{
    o->id = mp_pg_col_int64(r, i, 0);
    o->report_count = mp_pg_col_int64(r, i, 1);
    o->first_at = mp_pg_col_int64(r, i, 2);
    o->last_at = mp_pg_col_int64(r, i, 3);
    o->fixed_at = mp_pg_col_int64(r, i, 4);
    o->created_at = mp_pg_col_int64(r, i, 5);
    o->updated_at = mp_pg_col_int64(r, i, 6);
    o->category = mp_pg_col_text(r, i, 7);
    o->status = mp_pg_col_text(r, i, 8);
    o->district = mp_pg_col_text(r, i, 9);
    o->lon = mp_pg_col_double(r, i, 10);
    o->lat = mp_pg_col_double(r, i, 11);
    o->location = mp_pg_col_text(r, i, 12);
    o->municipality = mp_pg_col_text(r, i, 13);
}

enum mp_status mp_pg_export_next(struct mp_export_cursor *cur, const struct mp_export_row **row)
{
    struct mp_pg_cursor *c = (struct mp_pg_cursor *)cur;
    *row = NULL;
    if (c->done)
        return c->final;
    if (c->next == c->nrows) {
        enum mp_status rc = c->more ? read_batch(c) : MP_ENOTFOUND;
        if (rc == MP_OK && c->nrows == 0)
            rc = MP_ENOTFOUND;
        if (rc) {
            PQclear(c->batch);
            c->batch = NULL;
            c->done = true;
            c->final = rc;
            return rc;
        }
    }
    int i = c->next++;
    if (c->what == MP_EXPORT_CLUSTERS)
        read_cluster(c->batch, i, &c->row.cluster);
    else
        read_report(c->batch, i, &c->row.report);
    *row = &c->row;
    return MP_OK;
}

enum mp_status mp_pg_export_count(struct mp_store_sess *sess, enum mp_export_what what,
                                  const struct mp_query *q, int64_t *n)
{
    struct mp_pg_lists l;
    *n = 0;
    enum mp_status rc = mp_pg_lists_of(&l, q);
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        add_params(&p, q, &l, 0);
        rc = mp_pg_first(sess, sql_count[what == MP_EXPORT_CLUSTERS][q->has_bbox ? 1 : 0], &p,
                         mp_pg_row_int64, n, "export count");
    }
    mp_pg_lists_free(&l);
    return rc;
}

struct extent {
    int64_t *first, *last;
};

static int extent_row(void *ctx, const PGresult *r, int i)
{
    const struct extent *e = ctx;
    *e->first = mp_pg_col_int64(r, i, 0);
    *e->last = mp_pg_col_int64(r, i, 1);
    return 1;
}

enum mp_status mp_pg_export_time_extent(struct mp_store_sess *sess, int64_t *first, int64_t *last)
{
    struct extent e = {first, last};
    *first = *last = 0;
    return mp_pg_first(sess, sql_extent, NULL, extent_row, &e, "time extent");
}
