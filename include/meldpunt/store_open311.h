/* store_open311.h - persistence for the Open311 interface: what an Open311
 * client sent beyond a report's own fields (service attributes, the
 * attributes the service does not define, media URL, device and account
 * ids), the updates clients post (public notes with their media URL and the
 * client's own id), the service request listing (with a box and a circle)
 * newest first with offset pages, and the status updates of requests
 * (history entries of their clusters). Same threading and ownership rules as store.h: rows handed
 * to callbacks hold BORROWED strings, valid only during the callback.
 */
#ifndef MELDPUNT_STORE_OPEN311_H
#define MELDPUNT_STORE_OPEN311_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* Store x in the caller's write transaction. MP_ECONFLICT when the report
 * already has a row. */
enum mp_status mp_store_open311_put(struct mp_store_sess *s,
                                    const struct mp_open311_extra *x) MP_WUR;

/* The update a client posted under its own update_id: the history entry
 * and request it became; MP_ENOTFOUND when the client has used no such id. */
enum mp_status mp_store_open311_update_find(struct mp_store_sess *s, int64_t client_id,
                                            const char *client_update_id, int64_t *history_id,
                                            int64_t *report_id) MP_WUR;
/* In the caller's write transaction: the history entry of the request (a
 * public note on its cluster), the row of what the client sent with it, and
 * the request's updated_at moved to rec->at. The entry's id in *history_id. */
enum mp_status mp_store_open311_note_add(struct mp_store_sess *s,
                                         const struct mp_open311_note_rec *rec,
                                         int64_t *history_id) MP_WUR;

/* Matching requests, newest first (created_at, then id, descending). A
 * non-zero return of cb stops (MP_OK is still returned). */
enum mp_status mp_store_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                         mp_open311_cb cb, void *ctx) MP_WUR;
/* One request; MP_ENOTFOUND when there is no report id. */
enum mp_status mp_store_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                        void *ctx) MP_WUR;

/* Updates with at in [since, until), oldest first, limit/offset paged; a
 * client's own update carries its media_url. */
enum mp_status mp_store_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                        size_t limit, size_t offset, mp_open311_update_cb cb,
                                        void *ctx) MP_WUR;

#endif
