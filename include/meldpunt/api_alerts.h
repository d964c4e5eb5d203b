/* api_alerts.h - the handlers of area alerts (server/api_alerts.c): subscribing
 * (double opt-in) and confirming. Stopping an alert is the one-click
 * unsubscribe of api_notify.h. Same rules as api.h: decode, call one domain
 * function (alerts.h), encode.
 */
#ifndef MELDPUNT_API_ALERTS_H
#define MELDPUNT_API_ALERTS_H

#include "meldpunt/api.h"

/* POST /api/v1/alerts {"email", "lat", "lon", "radius_m" | "district",
 * "category"?, "frequency"?, "lang"?}: 202, a confirmation mail is queued. */
enum mp_status mp_api_alerts_subscribe(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                       struct mp_response *, struct mp_error *);
/* POST /api/v1/alerts/confirm {"token"}: the confirmation link's token (once). */
enum mp_status mp_api_alerts_confirm(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);

#endif
