/* store_info.c - read-only facts about a store session that tests and
 * diagnostics ask for: the synchronous mode its connection really runs with
 * (MELDPUNT_SYNC -> struct mp_config -> struct mp_store_opts -> PRAGMA), so
 * that a test can check the whole chain rather than one link of it. */
#include <sqlite3.h>

#include "meldpunt/store.h"
#include "store_internal.h"

enum mp_status mp_store_sync_mode(struct mp_store_sess *sess, int *mode)
{
    sqlite3_stmt *st = NULL;
    enum mp_status rc = MP_EDB;
    *mode = -1;
    /* Not a cached statement: asked rarely, and a pragma's value is read
     * at each step anyway. */
    int sr = sqlite3_prepare_v2(sess->db, "PRAGMA synchronous", -1, &st, NULL);
    if (sr == SQLITE_OK)
        sr = sqlite3_step(st);
    if (sr == SQLITE_ROW) {
        *mode = sqlite3_column_int(st, 0);
        rc = MP_OK;
    } else {
        rc = mp_db_status(sess->db, sr, "synchronous");
    }
    sqlite3_finalize(st);
    return rc;
}
