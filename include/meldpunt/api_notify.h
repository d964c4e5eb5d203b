/* api_notify.h - the handlers of the reporters' mail (server/api_notify.c):
 * unsubscribing (RFC 8058 one-click), "my reports" by sign-in link, the
 * satisfaction check, the staff view of its answers and the admin view of
 * the outbox. Same rules as api.h: decode, call one domain function
 * (notify.h, kto.h, outbox.h), encode.
 */
#ifndef MELDPUNT_API_NOTIFY_H
#define MELDPUNT_API_NOTIFY_H

#include "meldpunt/api.h"

/* POST /api/v1/notify/unsubscribe?t=TOKEN: the one-click unsubscribe of the
 * List-Unsubscribe header (any body, e.g. List-Unsubscribe=One-Click);
 * GET of the same URL sends a person to the page that asks first. */
enum mp_status mp_api_notify_unsubscribe(struct mp_app *, struct mp_ctx *,
                                         const struct mp_request *, struct mp_response *,
                                         struct mp_error *);
/* POST /api/v1/notify/signin {"email"}: mail a sign-in link for "my reports". */
enum mp_status mp_api_notify_signin(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
/* POST /api/v1/notify/session {"token"}: trade the sign-in token for a session. */
enum mp_status mp_api_notify_session(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
/* GET /api/v1/notify/mine (header X-Meldpunt-Session): the address's reports. */
enum mp_status mp_api_notify_mine(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
/* POST /api/v1/notify/stop (header X-Meldpunt-Session) {"report_id"} or {"all":true}. */
enum mp_status mp_api_notify_stop(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
/* POST /api/v1/kto {"token","satisfied"}: the answer behind a mail's link. */
enum mp_status mp_api_kto_answer(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
/* POST /api/v1/kto/details: JSON {"form_token","reasons","text"} or multipart
 * with the same fields (reasons comma separated) and a photo. */
enum mp_status mp_api_kto_details(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
/* GET /api/v1/clusters/{id}/feedback: the answers about a job (dispatcher). */
enum mp_status mp_api_kto_list(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                               struct mp_response *, struct mp_error *);
/* GET /api/v1/feedback/{id}/photo[/thumb] (dispatcher). */
enum mp_status mp_api_kto_photo(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                struct mp_response *, struct mp_error *);
/* GET /api/v1/outbox?state=&limit=&before= and /api/v1/outbox/{id} (admin). */
enum mp_status mp_api_outbox_list(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_outbox_get(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
/* POST /api/v1/outbox/{id}/retry (admin): queue a failed message again. */
enum mp_status mp_api_outbox_retry(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                   struct mp_response *, struct mp_error *);

#endif
