/* api_alerts.c - subscribing to area alerts and confirming them (see
 * api_alerts.h, alerts.h). The answers never echo the address. */
#include "meldpunt/api_alerts.h"

#include <jansson.h>
#include <string.h>

#include "meldpunt/alerts.h"
#include "meldpunt/buf.h"
#include "meldpunt/notify.h"

/* An optional string member (NULL when absent). */
static enum mp_status opt_str(const json_t *o, const char *name, const char **out,
                              struct mp_error *err)
{
    const json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v || json_is_null(v))
        return MP_OK;
    if (!json_is_string(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a string", name);
    *out = json_string_value(v);
    return MP_OK;
}

/* An optional number member; *has says whether it came. */
static enum mp_status opt_num(const json_t *o, const char *name, double *out, bool *has,
                              struct mp_error *err)
{
    const json_t *v = json_object_get(o, name);
    *has = false;
    if (!v || json_is_null(v))
        return MP_OK;
    if (!json_is_number(v))
        return mp_fail(err, MP_EINVAL, "invalid_field", "%s must be a number", name);
    *out = json_number_value(v);
    *has = true;
    return MP_OK;
}

static void alert_json(struct mp_buf *b, const struct mp_alert_info *a)
{
    mp_buf_printf(b, "{\"alert\":{\"id\":%lld,\"confirmed\":%s,\"frequency\":", (long long)a->id,
                  a->confirmed_at ? "true" : "false");
    mp_json_str(b, a->frequency);
    mp_buf_lit(b, ",\"category\":");
    mp_json_str(b, a->category[0] ? a->category : NULL);
    if (a->has_point)
        mp_buf_printf(b, ",\"lat\":%.7f,\"lon\":%.7f,\"radius_m\":%.0f", a->lat, a->lon,
                      a->radius_m);
    else {
        mp_buf_lit(b, ",\"district\":");
        mp_json_str(b, a->district);
    }
    mp_buf_lit(b, "}}");
}

enum mp_status mp_api_alerts_subscribe(struct mp_app *app, struct mp_ctx *ctx,
                                       const struct mp_request *req, struct mp_response *resp,
                                       struct mp_error *err)
{
    (void)app;
    static const char *const none[] = {NULL};
    static const char *const keys[] = {"email",    "lat",       "lon",  "radius_m", "district",
                                       "category", "frequency", "lang", NULL};
    json_t *body = NULL;
    struct mp_alert_request r = {0};
    char lang[MP_LANG_MAX];
    const char *given_lang = NULL;
    bool has_lat = false, has_lon = false, has_radius = false;
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, none, err)) ||
        (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = opt_str(body, "email", &r.email, err)) ||
        (rc = opt_str(body, "district", &r.district, err)) ||
        (rc = opt_str(body, "category", &r.category, err)) ||
        (rc = opt_str(body, "frequency", &r.frequency, err)) ||
        (rc = opt_str(body, "lang", &given_lang, err)) ||
        (rc = opt_num(body, "lat", &r.lat, &has_lat, err)) ||
        (rc = opt_num(body, "lon", &r.lon, &has_lon, err)) ||
        (rc = opt_num(body, "radius_m", &r.radius_m, &has_radius, err)))
        goto out;
    if ((has_lat || has_lon || has_radius) && !(has_lat && has_lon && has_radius)) {
        rc = mp_fail(err, MP_EINVAL, "missing_field", "lat, lon and radius_m go together");
        goto out;
    }
    r.has_point = has_lat;
    /* The subscriber's language: what they chose on the page, else what
     * their browser asks for. */
    mp_notify_lang_from_header(given_lang ? given_lang : mp_req_header(req, "Accept-Language"),
                               lang, sizeof lang);
    r.lang = lang;
    int64_t id = 0;
    if ((rc = mp_alert_subscribe(ctx, &r, &id, err)))
        goto out;
    resp->http_status = 202;
    resp->content_type = "application/json";
    mp_buf_lit(&resp->body, "{\"status\":\"confirmation_sent\"}");
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}

enum mp_status mp_api_alerts_confirm(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)app;
    static const char *const none[] = {NULL};
    static const char *const keys[] = {"token", NULL};
    json_t *body = NULL;
    const char *token = NULL;
    struct mp_alert_info a;
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, none, err)) ||
        (rc = mp_api_json_object(req, keys, &body, err)) ||
        (rc = opt_str(body, "token", &token, err)))
        goto out;
    if (!token || !token[0]) {
        rc = mp_fail(err, MP_EINVAL, "missing_field", "token is required");
        goto out;
    }
    if ((rc = mp_alert_confirm(ctx, token, &a, err)))
        goto out;
    resp->content_type = "application/json";
    alert_json(&resp->body, &a);
    rc = mp_buf_status(&resp->body);
out:
    json_decref(body);
    return rc;
}
