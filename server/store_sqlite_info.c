/* store_info.c - read-only facts about a store session that tests and
 * diagnostics ask for: the synchronous mode its connection really runs with
 * (MELDPUNT_SYNC -> struct mp_config -> struct mp_store_opts -> PRAGMA), so
 * that a test can check the whole chain rather than one link of it. */
#include "meldpunt/store.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"

/* A pragma's value is read at each step, so a cached statement is right. */
static const char sql_synchronous[] = "PRAGMA synchronous";

enum mp_status mp_sqlite_sync_mode(struct mp_store_sess *sess, int *mode)
{
    int64_t v = -1;
    enum mp_status rc =
        mp_stmt_first(sess, mp_stmt(sess, sql_synchronous), mp_row_int64, &v, "synchronous");
    *mode = rc == MP_OK ? (int)v : -1;
    return rc == MP_ENOTFOUND ? MP_EDB : rc;
}
