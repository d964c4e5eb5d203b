/* store_pg_engine.c - the PostgreSQL engine's table (store_engine.h). Not
 * built yet: opening a postgresql:// location says so. */
#include "meldpunt/store.h"
#include "store_engine.h"

static enum mp_status pg_open(const char *location, const struct mp_store_opts *opts,
                              struct mp_store **out, struct mp_error *err)
{
    (void)location;
    (void)opts;
    *out = NULL;
    return mp_fail(err, MP_EUNSUPPORTED, "store", "this build has no PostgreSQL engine yet");
}

const struct mp_store_engine mp_pg_engine = {
    .name = "postgresql",
    .open = pg_open,
};
