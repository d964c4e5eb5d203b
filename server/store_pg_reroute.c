/* store_pg_reroute.c - re-keying old rows to a region's members on
 * PostgreSQL (store.h: mp_store_set_municipality): not done here. A
 * PostgreSQL database began at schema 10 with every row keyed by its
 * member, and the municipality is part of every key and foreign key
 * (store_pg_schema.c), so there are no pre-municipality rows to re-key; a
 * SQLite database is re-routed before it is copied over. */
#include "store_pg.h"
#include "store_pg_engine.h"

enum mp_status mp_pg_set_municipality(struct mp_store_sess *s, bool cluster, int64_t id,
                                      const char *municipality)
{
    (void)s;
    (void)cluster;
    (void)id;
    (void)municipality;
    return MP_EUNSUPPORTED;
}
