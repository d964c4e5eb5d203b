/* kto.h - the satisfaction check after a fix (Signalen's KTO, FixMyStreet's
 * "is it really fixed?"). The mail that tells a reporter the job is fixed
 * (and, some weeks later, the follow-up to those who did not answer)
 * carries two one-click links: satisfied, not satisfied. The click records
 * the answer (once) and opens a form for the details: reasons from the city
 * pack's list, free text, a photo. "Not satisfied" for a reason that asks
 * to reopen moves the job into reopen_requested (the reporter's move of the
 * status table), where staff decide.
 *
 * Thread-safety: functions use only the context they are given; each runs
 * its own transaction.
 */
#ifndef MELDPUNT_KTO_H
#define MELDPUNT_KTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/ctx.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/model.h"
#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"

#define MP_KTO_TEXT_MAX 2000 /* characters */
#define MP_KTO_REASONS_MAX 16

/* The statuses a satisfaction check asks about: the map group "fixed"
 * (fixed, closed), borrowed static codes into out; returns how many. */
size_t mp_kto_fixed_statuses(const char **out, size_t cap);

struct mp_kto_answered {
    int64_t answer_id, report_id;
    bool satisfied;
    int64_t form_expires_at;
};

/* Record the answer behind a satisfaction link (token: once). form_token
 * (cap >= MP_TOKEN_LEN) receives the one-time token of the details form.
 * Errors: MP_EAUTH "invalid_token", "expired_token", "used_token";
 * MP_ECONFLICT "already_answered" (another link of the same fix was used);
 * MP_EUNAVAIL. */
enum mp_status mp_kto_answer(struct mp_ctx *ctx, const char *token, bool satisfied,
                             char *form_token, size_t cap, struct mp_kto_answered *out,
                             struct mp_error *err) MP_WUR;

struct mp_kto_details {
    const char *const *reasons; /* codes of the pack's list */
    size_t nreasons;
    const char *text;           /* NULL or "" for none */
    const unsigned char *photo; /* JPEG or PNG as uploaded (metadata is stripped), or NULL */
    size_t photo_len;
    const char *lang; /* for the note of a reopen request: the pack's words */
};

struct mp_kto_result {
    int64_t report_id, cluster_id;
    bool reopen_requested;         /* the job moved to reopen_requested */
    char status[MP_STATUS_MAXLEN]; /* the job's status after it */
};

/* Add the details to the answer (form_token: once). A reason must be one of
 * the pack's, offered with the answer given ("unknown_reason"); text at
 * most MP_KTO_TEXT_MAX characters; photo as for reports. Not satisfied for
 * a reason that reopens moves a fixed or closed job to reopen_requested,
 * with the reason's name as public note, when it is still in the fix the
 * answer was about. */
enum mp_status mp_kto_detail(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                             const char *form_token, const struct mp_kto_details *d,
                             struct mp_kto_result *out, struct mp_error *err) MP_WUR;

/* ---- for staff ---- */

/* The answers about one cluster, oldest first (rows borrowed); none for
 * a cluster of another municipality than who's (scope.h), as for a
 * missing one. */
enum mp_status mp_kto_list(struct mp_ctx *ctx, const struct mp_principal *who, int64_t cluster_id,
                           mp_kto_cb cb, void *arg, struct mp_error *err) MP_WUR;
/* An answer's photo (thumb: its thumbnail) as JPEG: new memory in *data.
 * MP_ENOTFOUND "not_found". */
enum mp_status mp_kto_photo(struct mp_ctx *ctx, const struct mp_principal *who, int64_t answer_id,
                            bool thumb, void **data, size_t *len, struct mp_error *err) MP_WUR;

#endif
