/* store_stats.c - the store parts of store_stats.h (report figures per
 * category and district),
 * as calls through the engine table (store_engine.h). One file per public
 * store header, as store_maint.c for maint.h; store.c keeps the dispatcher
 * and store.h's own operations. */
#include "meldpunt/store_stats.h"

#include "store_engine.h"

enum mp_status mp_store_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                      const char *category, const char *district, mp_stats_cb cb,
                                      void *ctx)
{
    return FORWARD(s, stats_reports, s, from, to, category, district, cb, ctx);
}
