/* api_places.c - GET /api/v1/places: places for the map page's report
 * form, found on the city pack's street layer; the answer is a GeoJSON
 * Feature. ?q= places a corner named as two crossing streets or a house
 * number on a street (mp_place_find); GET /api/v1/places/suggest?q= offers
 * completions while it is typed (mp_place_suggest). ?lat=&lon= goes the other way: the street and
 * cross street of a point, exactly as a report there would be located (mp_report_probe), so that
 * the form says where the pin stands while it is moved. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geo.h"
#include "meldpunt/places.h"
#include "meldpunt/report.h"

#define PLACE_QUERY_MAX 200 /* the report form's address field holds as much */

static enum mp_status coordinate(const struct mp_request *req, const char *name, double lim,
                                 double *out, struct mp_error *err)
{
    const char *v = mp_req_query(req, name);
    if (!v || !*v)
        return mp_fail(err, MP_EINVAL, "missing_parameter", "%s is required with %s", name,
                       name[1] == 'a' ? "lon" : "lat");
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (*end || errno || !isfinite(d))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s must be a number", name);
    if (d < -lim || d > lim)
        return mp_fail(err, MP_EINVAL, "out_of_range", "%s must be between %g and %g", name, -lim,
                       lim);
    *out = d;
    return MP_OK;
}

/* ?lat=&lon=: the readable location of a point in the service area. */
static enum mp_status reverse(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                              struct mp_response *resp, struct mp_error *err)
{
    enum mp_status rc;
    double lat, lon, x, y;
    if ((rc = coordinate(req, "lat", 90, &lat, err)) ||
        (rc = coordinate(req, "lon", 180, &lon, err)))
        return rc;
    if (!mp_city_in_area(app->city, lon, lat))
        return mp_fail(err, MP_EINVAL, "out_of_area",
                       "the point %.5f,%.5f is outside the service area of %.40s", lat, lon,
                       app->city->name);
    if (mp_geo_forward(ctx->geo, lon, lat, &x, &y) != MP_OK)
        return mp_fail(err, MP_EINVAL, "out_of_range", "the point cannot be projected");
    struct mp_cluster_probe probe;
    char location[128];
    mp_report_probe(ctx, NULL, x, y, 0, &probe, location, sizeof location);
    if (!location[0])
        return mp_fail(err, MP_ENOTFOUND, "not_found",
                       "no street of the city's street layer is near %.5f,%.5f", lat, lon);
    mp_buf_adds(&resp->body, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                             "\"coordinates\":");
    mp_json_coord(&resp->body, lon, lat);
    mp_buf_adds(&resp->body, "},\"properties\":{\"kind\":\"location\",\"label\":");
    mp_json_str(&resp->body, location);
    mp_buf_adds(&resp->body, ",\"street\":");
    mp_json_str(&resp->body, probe.street);
    mp_buf_adds(&resp->body, "}}");
    resp->content_type = "application/geo+json";
    resp->cache = "public, max-age=300";
    return MP_OK;
}

/* q of both searches: given, and as long as the form's address field. */
static enum mp_status query_text(const char *q, struct mp_error *err)
{
    if (!q || !*q)
        return mp_fail(err, MP_EINVAL, "missing_parameter",
                       "q is required: a corner as two crossing streets, e.g. "
                       "'Clark St & Division St', or an address, e.g. '1600 W Fullerton Ave'");
    if (strlen(q) > PLACE_QUERY_MAX)
        return mp_fail(err, MP_EINVAL, "too_long", "q is over %d characters", PLACE_QUERY_MAX);
    return MP_OK;
}

/* GET /api/v1/places/suggest?q=: completions of what is being typed. */
enum mp_status mp_api_places_suggest(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {"q", NULL};
    struct mp_place_suggestion s[MP_PLACE_SUGGEST_MAX];
    enum mp_status rc;
    const char *q = mp_req_query(req, "q");
    if ((rc = mp_api_check_params(req, allowed, err)) || (rc = query_text(q, err)))
        return rc;
    size_t n = mp_place_suggest(ctx, q, s, MP_PLACE_SUGGEST_MAX);
    mp_buf_adds(&resp->body, "{\"suggestions\":[");
    for (size_t i = 0; i < n; i++) {
        mp_buf_printf(&resp->body, "%s{\"kind\":\"%s\",\"label\":", i ? "," : "", s[i].kind);
        mp_json_str(&resp->body, s[i].label);
        mp_buf_addc(&resp->body, '}');
    }
    mp_buf_adds(&resp->body, "]}");
    resp->content_type = "application/json";
    /* The layer changes only with a restart. */
    resp->cache = "public, max-age=300";
    return MP_OK;
}

enum mp_status mp_api_places(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"q", "lat", "lon", NULL};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    const char *q = mp_req_query(req, "q");
    bool by_point = mp_req_query(req, "lat") || mp_req_query(req, "lon");
    if (q && by_point)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "give either q (a corner) or lat and lon (a point), not both");
    if (by_point)
        return reverse(app, ctx, req, resp, err);
    if ((rc = query_text(q, err)))
        return rc;
    struct mp_place place;
    if (mp_place_find(ctx, q, &place) != MP_OK)
        return mp_fail(err, MP_ENOTFOUND, "not_found",
                       "no corner of two crossing streets and no house number matches '%.60s'", q);
    if (!mp_city_in_area(app->city, place.lon, place.lat))
        return mp_fail(err, MP_ENOTFOUND, "out_of_area",
                       "'%.60s' is outside the service area of %.40s", q, app->city->name);
    mp_buf_printf(&resp->body,
                  "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                  "[%.7f,%.7f]},\"properties\":{\"kind\":\"%s\",\"label\":",
                  place.lon, place.lat, place.kind);
    mp_json_str(&resp->body, place.label);
    mp_buf_adds(&resp->body, "}}");
    resp->content_type = "application/geo+json";
    resp->cache = "public, max-age=300";
    return MP_OK;
}
