/* store_open311.h - persistence for the Open311 interface: what an Open311
 * client sent beyond a report's own fields (service attributes, media URL,
 * device and account ids), the service request listing newest first with
 * offset pages, and the status updates of requests (history entries of their
 * clusters). Same threading and ownership rules as store.h: rows handed to
 * callbacks hold BORROWED strings, valid only during the callback.
 */
#ifndef MELDPUNT_STORE_OPEN311_H
#define MELDPUNT_STORE_OPEN311_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* What an Open311 client sent with a report (strings borrowed; NULL = none). */
struct mp_open311_extra {
    int64_t report_id;
    int64_t client_id;      /* account (role client or above) whose api_key was used */
    const char *attributes; /* JSON object {code: value or [values]} */
    const char *media_url;  /* public */
    const char *device_id;  /* private, like the contact fields */
    const char *account_id; /* private */
};

/* Store x in the caller's write transaction. MP_ECONFLICT when the report
 * already has a row. */
enum mp_status mp_store_open311_put(struct mp_store_sess *s,
                                    const struct mp_open311_extra *x) MP_WUR;

/* A service request as Open311 shows it: the report, its cluster's start,
 * size and latest public note, and what the client sent with it. */
struct mp_open311_row {
    int64_t id, cluster_id, created_at, updated_at, cluster_first_at, cluster_count;
    const char *category, *description, *address, *status, *channel;
    const char *status_notes; /* latest public note of the cluster, or NULL */
    const char *attributes;   /* JSON text or NULL */
    const char *media_url;    /* the client's, or NULL */
    double lon, lat;
    bool has_photo;
    bool joined; /* it joined an existing cluster when submitted */
};
typedef int (*mp_open311_cb)(void *ctx, const struct mp_open311_row *row);

struct mp_open311_query {
    int64_t since, until;          /* created_at in [since, until) */
    const char *const *categories; /* NULL or ncategories codes */
    size_t ncategories;
    const char *const *statuses; /* NULL or nstatuses workflow statuses */
    size_t nstatuses;
    size_t limit, offset; /* limit >= 1 */
};

/* Matching requests, newest first (created_at, then id, descending). A
 * non-zero return of cb stops (MP_OK is still returned). */
enum mp_status mp_store_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                         mp_open311_cb cb, void *ctx) MP_WUR;
/* One request; MP_ENOTFOUND when there is no report id. */
enum mp_status mp_store_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                        void *ctx) MP_WUR;

/* A status update of one request: a history entry of its cluster made at or
 * after the report was created (report-specific entries only for their
 * report). note is NULL unless the note is public. */
struct mp_open311_update {
    int64_t history_id, report_id, at;
    const char *status, *note;
};
typedef int (*mp_open311_update_cb)(void *ctx, const struct mp_open311_update *u);

/* Updates with at in [since, until), oldest first, limit/offset paged. */
enum mp_status mp_store_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                        size_t limit, size_t offset, mp_open311_update_cb cb,
                                        void *ctx) MP_WUR;

#endif
