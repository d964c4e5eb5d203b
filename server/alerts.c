/* alerts.c - area alerts: subscribing with double opt-in, confirming, the
 * matching of new problems against the alerts' areas (a recipient kind of
 * notify.c's table) and the daily digests (see alerts.h). */
#include "meldpunt/alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_token.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/workdays.h"

#define EARTH_M 6371008.8 /* mean radius */
#define DEG (3.14159265358979323846 / 180.0)

/* ---- areas ---- */

bool mp_alert_area_contains(const struct mp_alert_area *a, const char *district, double lon,
                            double lat)
{
    if (a->district)
        return district && strcmp(a->district, district) == 0;
    /* Haversine: exact enough at a few kilometres, and the same on every
     * engine (the store only filters by the box). */
    double p1 = a->lat * DEG, p2 = lat * DEG;
    double dp = (lat - a->lat) * DEG, dl = (lon - a->lon) * DEG;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    double d = 2 * EARTH_M * asin(sqrt(h < 1 ? h : 1));
    return d <= a->radius_m;
}

void mp_alert_area_box(double lon, double lat, double radius_m, double box[4])
{
    /* A little wider than the circle: the box only has to hold it. */
    double dlat = radius_m * 1.01 / EARTH_M / DEG;
    double c = cos(lat * DEG);
    double dlon = dlat / (c > 0.01 ? c : 0.01);
    box[0] = lon - dlon;
    box[1] = lon + dlon;
    box[2] = lat - dlat;
    box[3] = lat + dlat;
}

int64_t mp_alert_next_morning(const struct mp_ctx *ctx, int64_t now, int hour, bool working_days)
{
    int64_t day = mp_workdays_local_day(ctx->tz, now);
    /* A year of days off in a row does not happen; the bound keeps a broken
     * calendar from looping. */
    for (int i = 0; i < 400; i++, day++) {
        int64_t at = mp_tz_local_to_utc(ctx->tz, day * 86400 + (int64_t)hour * 3600);
        if (at <= now)
            continue;
        if (!working_days || mp_city_is_workday(ctx->city, day))
            return at;
    }
    return now + 86400;
}

/* ---- subscribing ---- */

static enum mp_status unavailable(struct mp_error *err)
{
    return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot store the alert right now; try again");
}

static enum mp_status check_request(struct mp_ctx *ctx, const struct mp_alert_request *r,
                                    struct mp_error *err)
{
    if (!r->email)
        return mp_fail(err, MP_EINVAL, "missing_field", "email is required");
    if (r->frequency && strcmp(r->frequency, MP_ALERT_IMMEDIATE) != 0 &&
        strcmp(r->frequency, MP_ALERT_DAILY) != 0)
        return mp_fail(err, MP_EINVAL, "invalid_field", "frequency must be immediate or daily");
    if (r->category && !mp_city_category(ctx->city, r->category))
        return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'",
                       r->category);
    if (r->district && r->has_point)
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "give either lat, lon and radius_m or a district, not both");
    if (r->district) {
        if (!mp_city_district(ctx->city, r->district))
            return mp_fail(err, MP_EINVAL, "unknown_district", "unknown district '%.32s'",
                           r->district);
        return MP_OK;
    }
    if (!r->has_point)
        return mp_fail(err, MP_EINVAL, "missing_field",
                       "lat, lon and radius_m (or a district) are required");
    if (!(r->lat >= -90 && r->lat <= 90))
        return mp_fail(err, MP_EINVAL, "out_of_range", "lat must be between -90 and 90");
    if (!(r->lon >= -180 && r->lon <= 180))
        return mp_fail(err, MP_EINVAL, "out_of_range", "lon must be between -180 and 180");
    if (!(r->radius_m >= MP_ALERT_RADIUS_MIN && r->radius_m <= MP_ALERT_RADIUS_MAX))
        return mp_fail(err, MP_EINVAL, "out_of_range", "radius_m must be %.0f-%.0f metres",
                       MP_ALERT_RADIUS_MIN, MP_ALERT_RADIUS_MAX);
    if (!mp_city_in_area(ctx->city, r->lon, r->lat))
        return mp_fail(err, MP_EINVAL, "out_of_area", "the point is outside the service area");
    return MP_OK;
}

enum mp_status mp_alert_subscribe(struct mp_ctx *ctx, const struct mp_alert_request *r,
                                  int64_t *id, struct mp_error *err)
{
    char norm[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN];
    int64_t aid = 0;
    enum mp_status rc = check_request(ctx, r, err);
    if (id)
        *id = 0;
    if (rc)
        return rc;
    if (!mp_notify_address_norm(r->email, norm, sizeof norm))
        return mp_fail(err, MP_EINVAL, "invalid_field", "email must be an e-mail address");
    mp_notify_address_hash(norm, hash);
    int64_t now = mp_time_now();
    double box[4] = {0, 0, 0, 0};
    if (!r->district)
        mp_alert_area_box(r->lon, r->lat, r->radius_m, box);
    struct mp_alert_rec a = {
        .email = norm,
        .email_hash = hash,
        .lang = r->lang ? r->lang : "",
        .district = r->district,
        .category = r->category,
        .frequency = r->frequency ? r->frequency : MP_ALERT_IMMEDIATE,
        .lon = r->district ? 0 : r->lon,
        .lat = r->district ? 0 : r->lat,
        .radius_m = r->district ? 0 : r->radius_m,
        .lon_min = box[0],
        .lon_max = box[1],
        .lat_min = box[2],
        .lat_max = box[3],
        .created_at = now,
    };
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if (mp_store_alert_add(ctx->db, &a, &aid))
        return mp_store_end(ctx->db, unavailable(err), err);
    /* Only the confirmation: everything else waits for its link. */
    struct mp_outbox_rec m = {.kind = "alert_confirm",
                              .channel = MP_CHANNEL_MAIL,
                              .rcpt = norm,
                              .rcpt_hash = hash,
                              .lang = a.lang,
                              .sub_id = aid,
                              .created_at = now,
                              .next_at = now};
    if (mp_store_outbox_add(ctx->db, &m, NULL))
        return mp_store_end(ctx->db, unavailable(err), err);
    if ((rc = mp_store_end(ctx->db, MP_OK, err)))
        return rc;
    if (id)
        *id = aid;
    return MP_OK;
}

static int take_info(void *p, const struct mp_alert_row *a)
{
    struct mp_alert_info *o = p;
    o->id = a->id;
    o->confirmed_at = a->confirmed_at;
    mp_text_copy(o->frequency, sizeof o->frequency, a->frequency);
    mp_text_copy(o->district, sizeof o->district, a->district);
    mp_text_copy(o->category, sizeof o->category, a->category);
    o->has_point = !a->district;
    o->lon = a->lon;
    o->lat = a->lat;
    o->radius_m = a->radius_m;
    return 0;
}

enum mp_status mp_alert_confirm(struct mp_ctx *ctx, const char *token, struct mp_alert_info *out,
                                struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_ALERT_CONFIRM, NULL};
    struct mp_notify_token t;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_notify_token_check(ctx, token, purposes, true, &t, err)) ||
        (rc = mp_notify_token_use(ctx, &t, err)))
        return mp_store_end(ctx->db, rc, err);
    int64_t now = mp_time_now();
    rc = mp_store_alert_confirm(ctx->db, t.sub_id, now,
                                mp_alert_next_morning(ctx, now, MP_ALERT_DIGEST_HOUR, false));
    if (rc == MP_OK)
        rc = mp_store_alert_get(ctx->db, t.sub_id, take_info, out);
    if (rc == MP_ENOTFOUND)
        return mp_store_end(ctx->db, mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid"),
                            err);
    if (rc)
        return mp_store_end(ctx->db, unavailable(err), err);
    return mp_store_end(ctx->db, MP_OK, err);
}

/* ---- new problems ---- */

/* A matching alert, copied out of its row. */
struct match {
    int64_t id;
    bool daily;
    char email[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN], lang[MP_LANG_MAX];
};

struct matches {
    const char *district;
    double lon, lat;
    struct match *m;
    size_t n, cap;
    bool nomem;
};

/* Append a copy of a to l. */
static int keep(struct matches *l, const struct mp_alert_row *a)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct match *m = realloc(l->m, cap * sizeof *m);
        if (!m) {
            l->nomem = true;
            return 1;
        }
        l->m = m;
        l->cap = cap;
    }
    struct match *m = &l->m[l->n++];
    m->id = a->id;
    m->daily = a->frequency && strcmp(a->frequency, MP_ALERT_DAILY) == 0;
    mp_text_copy(m->email, sizeof m->email, a->email);
    mp_text_copy(m->hash, sizeof m->hash, a->email_hash);
    mp_text_copy(m->lang, sizeof m->lang, a->lang);
    return 0;
}

static int take_match(void *p, const struct mp_alert_row *a)
{
    struct matches *l = p;
    struct mp_alert_area area = {a->district, a->lon, a->lat, a->radius_m};
    return mp_alert_area_contains(&area, l->district, l->lon, l->lat) ? keep(l, a) : 0;
}

struct where {
    char category[48], district[32];
    double lon, lat;
    bool has_district;
};

static int take_where(void *p, const struct mp_report_row *r)
{
    struct where *w = p;
    mp_text_copy(w->category, sizeof w->category, r->category);
    mp_text_copy(w->district, sizeof w->district, r->district);
    w->has_district = r->district && r->district[0];
    w->lon = r->lon;
    w->lat = r->lat;
    return 0;
}

enum mp_status mp_alerts_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                int64_t event_id)
{
    /* New jobs only: a "me too" report tells the neighbours nothing new. */
    if (strcmp(ev->type, MP_EVENT_REPORT_CREATED) != 0 || ev->joined)
        return MP_OK;
    struct where w = {{0}, {0}, 0, 0, false};
    enum mp_status rc = MP_OK;
    if (ev->where) {
        /* The writer's path: the report as it was just stored. */
        struct mp_report_row r = {.category = ev->where->category,
                                  .district = ev->where->district,
                                  .lon = ev->where->lon,
                                  .lat = ev->where->lat};
        take_where(&w, &r);
    } else if ((rc = mp_store_report_get(ctx->db, ev->report_id, false, take_where, &w))) {
        return rc == MP_ENOTFOUND ? MP_OK : rc;
    }
    struct matches l = {w.has_district ? w.district : NULL, w.lon, w.lat, NULL, 0, 0, false};
    rc = mp_store_alerts_match(ctx->db, w.category, l.district, w.lon, w.lat, take_match, &l);
    if (rc == MP_OK && l.nomem)
        rc = MP_ENOMEM;
    for (size_t i = 0; rc == MP_OK && i < l.n; i++) {
        const struct match *m = &l.m[i];
        if (m->daily) {
            struct mp_digest_item_rec it = {.alert_id = m->id,
                                            .department = "",
                                            .what = MP_DIGEST_NEW,
                                            .report_id = ev->report_id,
                                            .cluster_id = ev->cluster_id,
                                            .at = ev->at};
            bool added = false;
            rc = mp_store_digest_item_add(ctx->db, &it, &added);
            continue;
        }
        char dedup[64];
        snprintf(dedup, sizeof dedup, "alert:%lld:%lld", (long long)m->id,
                 (long long)ev->cluster_id);
        struct mp_outbox_rec o = {.kind = "alert",
                                  .channel = MP_CHANNEL_MAIL,
                                  .rcpt = m->email,
                                  .rcpt_hash = m->hash,
                                  .lang = m->lang,
                                  .dedup = dedup,
                                  .event_id = event_id,
                                  .sub_id = m->id,
                                  .report_id = ev->report_id,
                                  .cluster_id = ev->cluster_id,
                                  .created_at = ev->at,
                                  .next_at = ev->at};
        rc = mp_store_outbox_add(ctx->db, &o, NULL);
    }
    free(l.m);
    return rc;
}

/* ---- daily digests ---- */

/* Every alert of a digest round. */
static int take_due(void *p, const struct mp_alert_row *a)
{
    return keep(p, a);
}

enum mp_status mp_alerts_queue_digests(struct mp_ctx *ctx, int64_t now)
{
    struct matches due = {NULL, 0, 0, NULL, 0, 0, false};
    enum mp_status rc = mp_store_alerts_digest_due(ctx->db, now, take_due, &due);
    if (rc == MP_OK && due.nomem)
        rc = MP_ENOMEM;
    int64_t next = mp_alert_next_morning(ctx, now, MP_ALERT_DIGEST_HOUR, false);
    for (size_t i = 0; rc == MP_OK && i < due.n; i++) {
        const struct match *m = &due.m[i];
        struct mp_outbox_rec o = {.kind = "alert_digest",
                                  .channel = MP_CHANNEL_MAIL,
                                  .rcpt = m->email,
                                  .rcpt_hash = m->hash,
                                  .lang = m->lang,
                                  .sub_id = m->id,
                                  .created_at = now,
                                  .next_at = now};
        int64_t oid = 0, n = 0;
        if ((rc = mp_store_outbox_add(ctx->db, &o, &oid)) == MP_OK &&
            (rc = mp_store_digest_take(ctx->db, m->id, "", oid, &n)) == MP_OK)
            rc = mp_store_alert_digest_next(ctx->db, m->id, next);
    }
    free(due.m);
    return rc;
}
