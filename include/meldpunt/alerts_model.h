/* alerts_model.h - the records of area alerts and department mail (alerts.h,
 * deptmail.h) as the store (store_alerts.h) and the modules above it hand
 * them to each other. Types only.
 *
 * Rows handed to callbacks hold BORROWED strings, valid only during the
 * callback; records passed in are read during the call only.
 */
#ifndef MELDPUNT_ALERTS_MODEL_H
#define MELDPUNT_ALERTS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

/* How often an alert mails: at once per new problem, or once a day. */
#define MP_ALERT_IMMEDIATE "immediate"
#define MP_ALERT_DAILY "daily"

/* A neighbour's subscription to new problems in an area: within radius_m
 * of (lon, lat), or (district not NULL) in a district; only of category
 * when it is not NULL. The box (lon_min .. lat_max) holds the circle: the
 * store's coarse filter before the exact test (mp_alert_area_contains). */
struct mp_alert_rec {
    const char *email, *email_hash, *lang;
    const char *district, *category; /* NULL: any */
    const char *frequency;           /* MP_ALERT_IMMEDIATE or MP_ALERT_DAILY */
    double lon, lat, radius_m;       /* radius_m 0 with a district */
    double lon_min, lon_max, lat_min, lat_max;
    int64_t created_at;
};

struct mp_alert_row {
    int64_t id, created_at;
    int64_t confirmed_at;   /* 0: the address has not confirmed: nothing is sent */
    int64_t stopped_at;     /* 0: active */
    int64_t next_digest_at; /* daily: the earliest time of the next digest */
    const char *email;      /* NULL once anonymised */
    const char *email_hash, *lang, *district, *category, *frequency;
    double lon, lat, radius_m;
};
typedef int (*mp_alert_cb)(void *ctx, const struct mp_alert_row *a);

/* Something a digest will list: a new problem for an alert (alert_id), or
 * a new or overdue job for a department (department). */
#define MP_DIGEST_NEW "new"
#define MP_DIGEST_OVERDUE "overdue"

struct mp_digest_item_rec {
    int64_t alert_id;       /* 0 for a department's item */
    const char *department; /* "" for an alert's item */
    const char *what;       /* MP_DIGEST_NEW, MP_DIGEST_OVERDUE */
    int64_t report_id, cluster_id, at;
};

struct mp_digest_item_row {
    int64_t id, alert_id, report_id, cluster_id, at, outbox_id;
    const char *department, *what;
};
typedef int (*mp_digest_item_cb)(void *ctx, const struct mp_digest_item_row *it);

#endif
