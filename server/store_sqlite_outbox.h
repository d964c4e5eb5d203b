/* store_sqlite_outbox.h - PRIVATE to store_sqlite_notify.c and
 * store_sqlite_webhooks.c: the outbox as both read and fill it. Mail
 * (notify) and webhook deliveries are rows of the one outbox table; their
 * listings read the same columns into the same struct mp_outbox_row, and
 * their fan-outs insert one row per recipient the same way. Defined in
 * store_sqlite_notify.c. */
#ifndef MELDPUNT_STORE_SQLITE_OUTBOX_H
#define MELDPUNT_STORE_SQLITE_OUTBOX_H

#include <stdint.h>

#include "meldpunt/notify_model.h"
#include "store_sqlite.h"

/* The columns mp_sqlite_outbox_row reads, in its order, and the table they
 * come from (o: the outbox, e: its event, for the event's uid). */
#define OUTBOX_COLS                                                                                \
    "o.id, IFNULL(o.event_id, 0), IFNULL(o.sub_id, 0), IFNULL(o.report_id, 0),"                    \
    " IFNULL(o.cluster_id, 0), o.attempts, o.created_at, o.next_at, o.sent_at, o.kind,"            \
    " o.channel, o.rcpt, o.rcpt_hash, o.lang, o.msg_key, o.state, o.last_error, e.uid"
#define OUTBOX_FROM " FROM outbox o LEFT JOIN notify_events e ON e.id = o.event_id"

/* The caller's callback for mp_sqlite_outbox_row (borrowed for the loop). */
struct mp_sqlite_outbox_rows {
    mp_outbox_cb cb;
    void *ctx;
};

/* A row function for mp_stmt_each/mp_stmt_first over a SELECT of
 * OUTBOX_COLS: hands the row to the struct mp_sqlite_outbox_rows at ctx
 * (its strings borrowed until the next step). */
int mp_sqlite_outbox_row(void *ctx, sqlite3_stmt *st);

/* Run a fan-out st (an INSERT OR IGNORE INTO outbox ... SELECT, its
 * parameters bound by the caller; NULL: MP_EDB): *n the rows it added (0
 * on failure or when every recipient had its row already). */
enum mp_status mp_sqlite_outbox_fanout_run(struct mp_store_sess *s, sqlite3_stmt *st, int64_t *n,
                                           const char *what) MP_WUR;

#endif
