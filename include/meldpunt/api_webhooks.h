/* api_webhooks.h - the admin API of webhooks (server/api_webhooks.c). Same
 * rules as api.h: decode, call one domain function (webhook.h), encode.
 * Every route needs an admin; secrets are taken, never shown.
 */
#ifndef MELDPUNT_API_WEBHOOKS_H
#define MELDPUNT_API_WEBHOOKS_H

#include "meldpunt/api.h"

/* POST /api/v1/webhooks {"url","secret","events":[...],"contacts":false}: 201. */
enum mp_status mp_api_webhook_add(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
/* GET /api/v1/webhooks: the active receivers. */
enum mp_status mp_api_webhook_list(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                   struct mp_response *, struct mp_error *);
/* DELETE /api/v1/webhooks/{id}. */
enum mp_status mp_api_webhook_delete(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
/* GET /api/v1/webhooks/{id}/deliveries?state=&limit=: newest first. */
enum mp_status mp_api_webhook_deliveries(struct mp_app *, struct mp_ctx *,
                                         const struct mp_request *, struct mp_response *,
                                         struct mp_error *);
/* POST /api/v1/webhooks/deliveries/{id}/resend: a failed delivery, again. */
enum mp_status mp_api_webhook_resend(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);

#endif
