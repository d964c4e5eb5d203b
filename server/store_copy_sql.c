/* store_copy_sql.c - the statement texts of copy-store, made once
 * (store_copy_sql.h). */
#include "store_copy_sql.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Tables times engines: copy-store knows 25 tables on two engines. */
#define MAX_BUILT 128

static struct {
    const struct mp_copy_table *t;
    mp_copy_sql_build build;
    const char *sql[MP_COPY_SQL_KINDS]; /* NEW strings, never freed (see the header) */
} built[MAX_BUILT];
static size_t nbuilt;
static pthread_mutex_t built_lock = PTHREAD_MUTEX_INITIALIZER;

const char *mp_copy_sql(const struct mp_copy_table *t, int which, mp_copy_sql_build build)
{
    const char *out = NULL;
    if (which < 0 || which >= MP_COPY_SQL_KINDS)
        return NULL;
    pthread_mutex_lock(&built_lock);
    size_t i = 0;
    while (i < nbuilt && !(built[i].t == t && built[i].build == build))
        i++;
    if (i == nbuilt && nbuilt < MAX_BUILT) {
        built[nbuilt].t = t;
        built[nbuilt++].build = build;
    }
    if (i < nbuilt && !built[i].sql[which]) {
        struct mp_buf b;
        mp_buf_init(&b, 16384);
        build(&b, t, which);
        if (mp_buf_status(&b) == MP_OK)
            built[i].sql[which] = mp_buf_steal(&b, NULL);
        mp_buf_free(&b);
    }
    if (i < nbuilt)
        out = built[i].sql[which];
    pthread_mutex_unlock(&built_lock);
    return out;
}

static const char *col_name(const struct mp_copy_col *c, bool pg)
{
    return pg && c->pg_name ? c->pg_name : c->name;
}

static void columns(struct mp_buf *b, const struct mp_copy_table *t, bool pg)
{
    for (size_t i = 0; i < t->ncols; i++)
        mp_buf_printf(b, "%s\"%s\"", i ? ", " : "", col_name(&t->cols[i], pg));
}

void mp_copy_sql_common(struct mp_buf *b, const struct mp_copy_table *t, int which, bool pg)
{
    switch (which) {
    case MP_COPY_SQL_COUNT:
        mp_buf_printf(b, "SELECT count(*) FROM \"%s\"", t->name);
        break;
    case MP_COPY_SQL_MAX_ID:
        mp_buf_printf(b, "SELECT coalesce(max(\"%s\"), 0) FROM \"%s\"", col_name(&t->cols[0], pg),
                      t->name);
        break;
    case MP_COPY_SQL_CLEAR:
        mp_buf_printf(b, "DELETE FROM \"%s\"", t->name);
        break;
    case MP_COPY_SQL_ROWS:
        /* SQLite compares text bytewise (BINARY); PostgreSQL by the
         * database's collation unless told otherwise. */
        mp_buf_adds(b, "SELECT ");
        columns(b, t, pg);
        mp_buf_printf(b, " FROM \"%s\" ORDER BY ", t->name);
        for (size_t i = 0; i < t->nkey; i++)
            mp_buf_printf(b, "%s\"%s\"%s", i ? ", " : "", col_name(&t->cols[i], pg),
                          pg && t->cols[i].type == MP_COPY_TEXT ? " COLLATE \"C\"" : "");
        break;
    default:
        break;
    }
}

void mp_copy_sql_insert_head(struct mp_buf *b, const struct mp_copy_table *t, bool pg)
{
    mp_buf_printf(b, "INSERT INTO \"%s\" (", t->name);
    columns(b, t, pg);
}

int mp_copy_col(const struct mp_copy_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool mp_copy_is(const struct mp_copy_table *t, const char *name)
{
    return strcmp(t->name, name) == 0;
}

int mp_copy_check_column(struct mp_copy_check *c, const char *name)
{
    const struct mp_copy_table *t = c->t;
    c->seen++;
    if (!name)
        return 0;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *own = c->pg && t->cols[i].pg_name ? t->cols[i].pg_name : t->cols[i].name;
        if (strcmp(own, name) == 0)
            return 0;
    }
    for (size_t i = 0; c->derived && c->derived[i]; i++)
        if (strcmp(c->derived[i], name) == 0)
            return 0;
    snprintf(c->unknown, c->cap, "%s", name);
    return 1;
}

enum mp_status mp_copy_check_status(const struct mp_copy_check *c, enum mp_status rc)
{
    if (rc == MP_OK && c->unknown[0])
        return MP_EINVAL;
    if (rc == MP_OK && c->seen == 0)
        return MP_ENOTFOUND;
    return rc;
}
