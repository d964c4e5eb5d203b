/* store_pg_filter.c - the filter parameters that the PostgreSQL engine's
 * listings share (store_pg_filter.h). */
#include "store_pg_filter.h"

#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"

enum mp_status mp_pg_json_list(const char *const *items, size_t n, char **json)
{
    *json = NULL;
    if (n == 0)
        return MP_OK;
    struct mp_buf b;
    mp_buf_init(&b, 64 * 1024);
    mp_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            mp_buf_addc(&b, ',');
        mp_json_str(&b, items[i]);
    }
    mp_buf_addc(&b, ']');
    if (b.failed) {
        mp_buf_free(&b);
        return MP_ENOMEM;
    }
    size_t len;
    *json = mp_buf_steal(&b, &len);
    return *json ? MP_OK : MP_ENOMEM;
}

void mp_pg_lists_free(struct mp_pg_lists *l)
{
    free(l->categories);
    free(l->statuses);
    free(l->scope);
    l->categories = l->statuses = NULL;
}

enum mp_status mp_pg_lists_of(struct mp_pg_lists *l, const struct mp_query *q)
{
    enum mp_status rc;
    l->categories = l->statuses = l->scope = NULL;
    if (q->scope) {
        char buf[MP_PG_SCOPE_CAP];
        if (!(l->scope = strdup(mp_pg_scope_array(q->scope, buf, sizeof buf))))
            return MP_ENOMEM;
    }
    if ((rc = mp_pg_json_list(q->categories, q->ncategories, &l->categories)))
        return rc;
    return mp_pg_json_list(q->statuses, q->nstatuses, &l->statuses);
}

void mp_pg_query_add(struct mp_pg_params *p, const struct mp_query *q, const struct mp_pg_lists *l,
                     unsigned parts)
{
    mp_pg_text(p, l->categories);
    mp_pg_text(p, l->statuses);
    mp_pg_text(p, q->district);
    mp_pg_int64(p, q->since);
    mp_pg_int64(p, q->until);
    if (parts & (MP_PG_PAGE | MP_PG_AFTER))
        mp_pg_int64(p, q->after_id);
    if ((parts & MP_PG_PAGE) && q->limit)
        mp_pg_int64(p, (int64_t)q->limit);
    else if (parts & MP_PG_PAGE)
        mp_pg_text(p, NULL); /* LIMIT NULL: all */
    if (parts & MP_PG_UPDATED) {
        mp_pg_int64(p, q->updated_since);
        mp_pg_int64(p, q->updated_until);
    }
    if ((parts & MP_PG_BOX) && q->has_bbox)
        mp_pg_bbox(p, &q->bbox);
}

void mp_pg_bbox(struct mp_pg_params *p, const struct mp_bbox *b)
{
    mp_pg_double(p, b->min_lon);
    mp_pg_double(p, b->min_lat);
    mp_pg_double(p, b->max_lon);
    mp_pg_double(p, b->max_lat);
}

enum mp_status mp_pg_listing(struct mp_store_sess *s, const struct mp_query *q, const char *sql,
                             const char *sql_box, mp_pg_row_fn row, void *ctx, const char *what)
{
    struct mp_pg_lists l;
    enum mp_status rc = mp_pg_lists_of(&l, q);
    if (rc == MP_OK) {
        struct mp_pg_params p;
        mp_pg_params_init(&p);
        mp_pg_query_add(&p, q, &l, MP_PG_PAGE | MP_PG_BOX);
        rc = mp_pg_each(s, q->has_bbox ? sql_box : sql, &p, row, ctx, what);
    }
    mp_pg_lists_free(&l);
    return rc;
}

const char *mp_pg_scope_array(const struct mp_scope_set *set, char *buf, size_t cap)
{
    size_t o = 0;
    if (!set || cap < 3)
        return NULL;
    buf[o++] = '{';
    /* Stop at the first name that does not fit: fewer names match fewer
     * rows (fails closed). The principal holds at most 64 (auth.h). */
    for (size_t i = 0; i < set->n && i < 64; i++) {
        const char *n = set->names[i];
        size_t need = 3 + (i > 0);
        for (const char *c = n; *c; c++)
            need += (*c == '"' || *c == '\\') ? 2 : 1;
        if (o + need + 2 > cap)
            break;
        if (i > 0)
            buf[o++] = ',';
        buf[o++] = '"';
        for (const char *c = n; *c; c++) {
            if (*c == '"' || *c == '\\')
                buf[o++] = '\\';
            buf[o++] = *c;
        }
        buf[o++] = '"';
    }
    buf[o++] = '}';
    buf[o] = '\0';
    return buf;
}
