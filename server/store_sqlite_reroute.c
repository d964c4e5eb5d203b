/* store_sqlite_reroute.c - re-keying old rows to a region's members
 * (store.h: mp_store_set_municipality). Only the reports and clusters
 * tables carry the municipality in this engine; the derived map and grid
 * tables do not, so nothing else follows. */
#include "meldpunt/store.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"

static const char sql_report[] = "UPDATE reports SET municipality = ?2 WHERE id = ?1";
static const char sql_cluster[] = "UPDATE clusters SET municipality = ?2 WHERE id = ?1";

enum mp_status mp_sqlite_set_municipality(struct mp_store_sess *s, bool cluster, int64_t id,
                                          const char *municipality)
{
    sqlite3_stmt *st = mp_stmt_id(s, cluster ? sql_cluster : sql_report, id);
    if (!st)
        return MP_EDB;
    mp_bind_text(st, 2, municipality);
    enum mp_status rc = mp_stmt_run(s, st, "set municipality");
    if (rc)
        return rc;
    return sqlite3_changes(mp_sq(s)->db) ? MP_OK : MP_ENOTFOUND;
}
