/* open311.h - the Open311 GeoReport v2 domain: the city's services as the
 * standard defines them (the pack's categories.json with their attributes),
 * service requests submitted by Open311 clients (validated against the
 * service definition and stored with what the client sent beyond a report,
 * in one transaction), the reads of requests, their notes and status
 * updates, and the expected date of a service level counted in working days.
 *
 * The HTTP side is api_open311.c with open311_form.h (decoding) and
 * open311_doc.h (the XML and JSON documents); the SQL is in store_open311.h.
 *
 * Thread-safety: functions use only the context they are given; the JSON of
 * service definitions is per call (jansson references are not shared
 * between threads).
 */
#ifndef MELDPUNT_OPEN311_H
#define MELDPUNT_OPEN311_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/report.h"
#include "meldpunt/status.h"
#include "meldpunt/tz.h"

struct json_t; /* jansson */

/* ---- service definitions ---- */

/* The pack's service definitions: {"categories": [{code, name, description,
 * keywords, group, attributes: [{code, datatype, required, values...}]}]}.
 * New reference (json_decref), NULL when out of memory. */
struct json_t *mp_open311_services(const struct mp_city *city);
/* The definition of service `code` in services (BORROWED from it), NULL
 * when there is none. */
const struct json_t *mp_open311_service(const struct json_t *services, const char *code);
/* A text of the pack in lang ("nl", "en"): a plain string, or an object of
 * translations that falls back to English. BORROWED from o; NULL if none. */
const char *mp_open311_text(const struct json_t *o, const char *lang);

/* Split the comma list s in place into at most cap items (spaces before an
 * item dropped). False for an empty item or more than cap. */
bool mp_open311_split_list(char *s, const char **items, size_t cap, size_t *n);

/* ---- submitting a service request ---- */

#define MP_OPEN311_MAX_ANSWERS 64 /* attribute[...] fields in one request */

/* One attribute[CODE] field as the client sent it. */
struct mp_open311_answer {
    char code[48];
    const char *value; /* BORROWED from the request, never empty */
};

/* A service request as decoded from the client's fields. The report's
 * strings are owned (mp_report_input_clear frees them); everything else is
 * BORROWED from the request. */
struct mp_open311_submission {
    struct mp_report_input report; /* category = the service code; channel is set by submit */
    struct mp_open311_answer answers[MP_OPEN311_MAX_ANSWERS];
    size_t nanswers;
    const char *media_url;  /* NULL when not sent */
    const char *device_id;  /* NULL when not sent */
    const char *account_id; /* NULL when not sent */
    /* The municipality jurisdiction_id named (borrowed from the region), or
     * NULL for the pack as a whole: then the pin alone decides. */
    const struct mp_city *jurisdiction;
};

/* Bounds of the fields the submission checks. */
#define MP_OPEN311_ATTR_STRING_MAX 200 /* characters of a string/number/list answer */
#define MP_OPEN311_ID_FIELD_MAX 200    /* device_id, account_id */
#define MP_OPEN311_MEDIA_URL_MAX 1000

/* Validate s and store it for client who (an account of role client or
 * above: else MP_EFORBIDDEN): the answers against the service definition
 * (required ones present, values of lists defined, types and lengths; an
 * attribute the service does not define is kept as text, as cobrands send
 * their own such as title or report_url, and shown among the request's
 * extended attributes), media_url (absolute http(s), percent-encoded), the
 * device and account ids; then, in ONE write transaction, the report through
 * the same path as every other channel (mp_report_submit: validation,
 * district, clustering), the Open311 extras and the audit entry. Nothing is
 * stored unless all of it is. MP_ENOTFOUND for an unknown service,
 * MP_EINVAL with the reason for a bad field, MP_EUNAVAIL when the extras or
 * the audit entry cannot be written; err says why. */
enum mp_status mp_open311_submit(struct mp_ctx *ctx, const struct mp_principal *who,
                                 const struct mp_open311_submission *s,
                                 struct mp_submit_result *res, struct mp_error *err) MP_WUR;

/* ---- updates from clients (FixMyStreet's POST servicerequestupdates) ---- */

#define MP_OPEN311_UPDATE_ID_MAX 64 /* characters of a client's update_id */

/* An update as decoded from the client's fields; strings BORROWED from the
 * request. */
struct mp_open311_update_in {
    int64_t service_request_id;
    const char *update_id;   /* the client's id of the update, never NULL */
    const char *status;      /* as the client sent it (OPEN, FIXED, ...), never NULL */
    int64_t updated_at;      /* the client's updated_datetime */
    const char *description; /* NULL when none */
    const char *media_url;   /* NULL when none */
};

/* What posting an update gave: the id the client is answered with, made of
 * the history entry and the request as GET servicerequestupdates names
 * them ("H-R"), and whether it existed already. */
struct mp_open311_update_out {
    int64_t history_id, report_id;
    bool existed;
};

/* Post u for client who (role client or above, else MP_EFORBIDDEN): it
 * becomes a PUBLIC note on the request's cluster (a history entry of the
 * request, contacts in the text masked), its media_url is kept (checked as
 * for requests, linked, never fetched) and the request's updated_datetime
 * becomes now. The status the client sends is kept with the update but
 * moves nothing: a client makes no workflow transitions (workflow.h), so a
 * citizen's "fixed" or "reopen" is read by staff in the note, who decide.
 * A client's update_id is taken once: the same id again answers the first
 * update (out->existed) instead of adding a second note. One write
 * transaction with the audit entry. MP_ENOTFOUND for an unknown request,
 * MP_EINVAL with the reason for a bad field, MP_EUNAVAIL when it cannot be
 * stored; err says why. */
enum mp_status mp_open311_post_update(struct mp_ctx *ctx, const struct mp_principal *who,
                                      const struct mp_open311_update_in *u,
                                      struct mp_open311_update_out *out,
                                      struct mp_error *err) MP_WUR;

/* ---- reading ---- */

/* Requests matching q, newest first; a non-zero return of cb stops (MP_OK
 * is still returned). Rows are borrowed for the callback. */
enum mp_status mp_open311_requests(struct mp_ctx *ctx, const struct mp_open311_query *q,
                                   mp_open311_cb cb, void *arg) MP_WUR;
/* Request id; MP_ENOTFOUND when there is none. */
enum mp_status mp_open311_request(struct mp_ctx *ctx, int64_t id, mp_open311_cb cb,
                                  void *arg) MP_WUR;
/* Request id as jurisdiction_id member (a region member's id, borrowed; NULL:
 * the whole) sees it: MP_ENOTFOUND also when it belongs to another member,
 * whose requests that jurisdiction does not serve. */
enum mp_status mp_open311_request_in(struct mp_ctx *ctx, int64_t id, const char *member,
                                     mp_open311_cb cb, void *arg) MP_WUR;
/* The notes of request row: the history entries of its cluster made since
 * the request was created, less those that belong to another report of the
 * cluster, oldest first. May be called from inside a request callback. */
enum mp_status mp_open311_notes(struct mp_ctx *ctx, const struct mp_open311_row *row,
                                mp_history_cb cb, void *arg) MP_WUR;
/* Status updates with at in [since, until), oldest first, limit/offset
 * paged. */
enum mp_status mp_open311_updates(struct mp_ctx *ctx, int64_t since, int64_t until, size_t limit,
                                  size_t offset, mp_open311_update_cb cb, void *arg) MP_WUR;

/* ---- service levels ---- */

/* The instant `working_days` working days (city calendar: weekdays and
 * holidays) after `start`, at the same local time of day. With 0 working
 * days the answer is start itself. Bounded: gives up (returns 0) beyond
 * about ten years of non-working days. */
int64_t mp_open311_due(const struct mp_city *city, const struct mp_tz *tz, int64_t start,
                       int working_days);

#endif
