/* store_copy.c - the store parts of store_copy.h (whole tables, for
 * copy-store),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_copy.h"

#include "store_engine.h"

enum mp_status mp_store_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t,
                                   int64_t *n)
{
    return FORWARD(s, copy_count, s, t, n);
}

enum mp_status mp_store_copy_rows(struct mp_store_sess *s, const struct mp_copy_table *t,
                                  mp_copy_row_cb cb, void *ctx)
{
    return FORWARD(s, copy_rows, s, t, cb, ctx);
}

enum mp_status mp_store_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                    const struct mp_copy_value *row)
{
    return FORWARD(s, copy_insert, s, t, row);
}

enum mp_status mp_store_copy_flush(struct mp_store_sess *s) { return FORWARD(s, copy_flush, s); }

enum mp_status mp_store_copy_check(struct mp_store_sess *s, const struct mp_copy_table *t,
                                   char *unknown, size_t cap)
{
    return FORWARD(s, copy_check, s, t, unknown, cap);
}

enum mp_status mp_store_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t)
{
    return FORWARD(s, copy_clear, s, t);
}

enum mp_status mp_store_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     int64_t *hw)
{
    return FORWARD(s, copy_seq_get, s, t, hw);
}

enum mp_status mp_store_copy_seq_set(struct mp_store_sess *s, const struct mp_copy_table *t,
                                     int64_t hw)
{
    return FORWARD(s, copy_seq_set, s, t, hw);
}
