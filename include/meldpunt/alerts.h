/* alerts.h - area alerts (issue 16, "neighbours"): anyone may subscribe an
 * e-mail address to new problems within a radius of a point or in a
 * district, of one category or of all, mailed at once or as a daily
 * digest, in the language they used.
 *
 * Double opt-in: a subscription starts unconfirmed and only its
 * confirmation mail is queued (kind "alert_confirm"); its one-time link
 * (MP_ALERT_CONFIRM_TTL) confirms it, and nothing else is ever sent before.
 * A confirmed alert hears of every NEW job (a report that started a
 * cluster) inside its area: "me too" reports that join an existing job do
 * not alert again. Immediate alerts queue a message (kind "alert") per new
 * problem; daily ones keep the problem for the next digest (kind
 * "alert_digest"), sent at MP_ALERT_DIGEST_HOUR local time. Every alert
 * mail carries the one-click unsubscribe of that alert and the link that
 * stops all mail to the address (notify.h's stop list holds for alerts
 * too). An alert never says who reported: no contact data in it.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_ALERTS_H
#define MELDPUNT_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/alerts_model.h"
#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

#define MP_ALERT_RADIUS_MIN 50.0    /* metres */
#define MP_ALERT_RADIUS_MAX 5000.0  /* metres: a neighbourhood, not the city */
#define MP_ALERT_CONFIRM_TTL (3 * 86400) /* the confirmation link */
#define MP_ALERT_DIGEST_HOUR 7           /* local hour of the daily digest */

/* What a subscriber asks for (borrowed strings). Either has_point with
 * radius_m, or district. */
struct mp_alert_request {
    const char *email;
    const char *lang;      /* the subscriber's languages ("nl,en"); "" or NULL: the pack's */
    const char *district;  /* NULL: the circle */
    const char *category;  /* NULL: every category */
    const char *frequency; /* NULL: immediate */
    bool has_point;
    double lon, lat, radius_m;
};

/* An alert as the API shows it (no address). */
struct mp_alert_info {
    int64_t id, confirmed_at;
    char frequency[16], district[32], category[48];
    bool has_point;
    double lon, lat, radius_m;
};

/* The area part of an alert, for matching. */
struct mp_alert_area {
    const char *district; /* NULL: the circle */
    double lon, lat, radius_m;
};

/* Whether a new problem at (lon, lat) in district (NULL outside every
 * district) lies in area a: the district's code equal, or at most
 * radius_m metres from the centre (great-circle distance). */
bool mp_alert_area_contains(const struct mp_alert_area *a, const char *district, double lon,
                            double lat);
/* A box {lon_min, lon_max, lat_min, lat_max} that holds the circle. */
void mp_alert_area_box(double lon, double lat, double radius_m, double box[4]);
/* The first local `hour`:00 of the city's zone strictly after now; with
 * working_days, the first on a working day of the city's calendar. */
int64_t mp_alert_next_morning(const struct mp_ctx *ctx, int64_t now, int hour, bool working_days);

/* Check r against the city (address, area, district, category, frequency),
 * store the unconfirmed alert and queue its confirmation mail, in a
 * transaction of its own. *id (may be NULL) receives the alert's id.
 * Errors (MP_EINVAL): "invalid_field" (email, frequency, radius_m),
 * "missing_field", "out_of_range", "out_of_area", "unknown_district",
 * "unknown_category"; MP_EUNAVAIL. */
enum mp_status mp_alert_subscribe(struct mp_ctx *ctx, const struct mp_alert_request *r,
                                  int64_t *id, struct mp_error *err) MP_WUR;

/* Confirm with the token of the confirmation link (once). Errors
 * (MP_EAUTH): "invalid_token", "expired_token", "used_token". */
enum mp_status mp_alert_confirm(struct mp_ctx *ctx, const char *token, struct mp_alert_info *out,
                                struct mp_error *err) MP_WUR;

/* Queue the daily digests due at now (the sender's round, in its open write
 * transaction): one message per alert with items waiting. */
enum mp_status mp_alerts_queue_digests(struct mp_ctx *ctx, int64_t now) MP_WUR;

#endif
