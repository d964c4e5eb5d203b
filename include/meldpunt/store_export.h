/* store_export.h - pull cursors over reports and clusters for exports and
 * feature services: open -> next (one row at a time) -> close, so that a
 * caller that is itself pulled (libmicrohttpd's response callback, a pipe)
 * never holds more than one row. The filters are those of struct mp_query
 * (bbox, categories, statuses, district, since/until, after_id, limit).
 *
 * Rows carry NO contact fields at all: the cursor never selects them, so no
 * export can leak a reporter's name, e-mail or phone whatever its writer
 * does.
 *
 * A cursor reads in keyset batches: up to 1,024 rows at a time into memory,
 * each batch in a read transaction of its own that ends before next
 * returns, the next batch resuming after the last id handed out. Between
 * batches the cursor holds no snapshot, so however slowly its reader goes
 * (a client that stopped reading an export) it never keeps the WAL from
 * being checkpointed. Consistency: every row is as it was when its batch was
 * read; a row that exists from the open to the end is handed out exactly
 * once; a row added after the open appears when its id is past the batches
 * already read (ids only grow), a row deleted or moved out of the filter
 * before its batch does not appear. Counts and the rows of one answer may
 * so differ by the writes in between. On a quiet database the rows, and so
 * the documents, are those of one snapshot. A cursor on a session that is
 * inside a transaction reads that transaction's snapshot throughout.
 * Each cursor prepares statements of its own (never cached ones) and
 * finalizes them on close.
 *
 * Threads: a cursor is used by one thread at a time. A cursor opened on a
 * borrowed session must be closed before that session is released; a
 * cursor opened on a path owns its own read-only connection and may move
 * between threads (one at a time), e.g. from a handler to the HTTP thread
 * that streams the body.
 */
#ifndef MELDPUNT_STORE_EXPORT_H
#define MELDPUNT_STORE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

struct mp_export_cursor;

/* Open a cursor on a NEW private read-only connection to the database at
 * location (a SQLite file, which must exist, or a postgresql:// URL; see
 * mp_store_open). Memory stays small whatever the table size: the
 * connection has a small page cache and no memory map. q is copied (its
 * strings are used only during this call). New cursor in *out. */
enum mp_status mp_store_export_open_path(const char *location, enum mp_export_what what,
                                         const struct mp_query *q,
                                         struct mp_export_cursor **out,
                                         struct mp_error *err) MP_WUR;
/* Open a cursor on a borrowed session (bounded reads inside a handler). */
enum mp_status mp_store_export_open(struct mp_store_sess *sess, enum mp_export_what what,
                                    const struct mp_query *q, struct mp_export_cursor **out,
                                    struct mp_error *err) MP_WUR;
/* Next row in id order: MP_OK with *row (borrowed, valid until the next call
 * or close), MP_ENOTFOUND at the end (and on every later call), or a store
 * error (final). */
enum mp_status mp_store_export_next(struct mp_export_cursor *c,
                                    const struct mp_export_row **row) MP_WUR;
/* Finalize the statement and close a private connection. Accepts NULL. */
void mp_store_export_close(struct mp_export_cursor *c);

/* Number of rows matching q (after_id and limit ignored). */
enum mp_status mp_store_export_count(struct mp_store_sess *sess, enum mp_export_what what,
                                     const struct mp_query *q, int64_t *n) MP_WUR;
/* Earliest and latest report creation time (0, 0 when there are none): the
 * temporal extent of both reports and clusters. */
enum mp_status mp_store_export_time_extent(struct mp_store_sess *sess, int64_t *first,
                                           int64_t *last) MP_WUR;

#endif
