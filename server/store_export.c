/* store_export.c - the store parts of store_export.h (export cursors,
 * counts, the time extent),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_export.h"

#include "store_engine.h"

enum mp_status mp_store_export_open_path(const char *location, enum mp_export_what what,
                                         const struct mp_query *q, struct mp_export_cursor **out,
                                         struct mp_error *err)
{
    const struct mp_store_engine *e = mp_store_engine_for(location);
    *out = NULL;
    if (!e->export_open_path)
        return mp_store_unsupported_fail(e, "export_open_path", err,
                                         "exports are not available on this database engine yet");
    return e->export_open_path(location, what, q, out, err);
}

enum mp_status mp_store_export_open(struct mp_store_sess *s, enum mp_export_what what,
                                    const struct mp_query *q, struct mp_export_cursor **out,
                                    struct mp_error *err)
{
    *out = NULL;
    if (!s->eng->export_open)
        return mp_store_unsupported_fail(s->eng, "export_open", err,
                                         "exports are not available on this database engine yet");
    return s->eng->export_open(s, what, q, out, err);
}

enum mp_status mp_store_export_next(struct mp_export_cursor *c, const struct mp_export_row **row)
{
    *row = NULL;
    return FORWARD(c, export_next, c, row);
}

void mp_store_export_close(struct mp_export_cursor *c)
{
    if (c)
        c->eng->export_close(c);
}

enum mp_status mp_store_export_count(struct mp_store_sess *s, enum mp_export_what what,
                                     const struct mp_query *q, int64_t *n)
{
    *n = 0;
    return FORWARD(s, export_count, s, what, q, n);
}

enum mp_status mp_store_export_time_extent(struct mp_store_sess *s, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    return FORWARD(s, export_time_extent, s, first, last);
}
