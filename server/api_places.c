/* api_places.c - GET /api/v1/places?q=: a place for the map page's search
 * box. Corners named as two crossing streets are found on the city pack's
 * street layer (mp_report_corner); the answer is a GeoJSON Feature. House numbers
 * cannot be placed: the layer has no address ranges. */
#include <stdio.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/buf.h"
#include "meldpunt/city.h"
#include "meldpunt/report.h"

#define PLACE_QUERY_MAX 200 /* the report form's address field holds as much */

enum mp_status mp_api_places(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"q", NULL};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    const char *q = mp_req_query(req, "q");
    if (!q || !*q)
        return mp_fail(err, MP_EINVAL, "missing_parameter",
                       "q is required: a corner as two crossing streets, e.g. "
                       "'Clark St & Division St'");
    if (strlen(q) > PLACE_QUERY_MAX)
        return mp_fail(err, MP_EINVAL, "too_long", "q is over %d characters", PLACE_QUERY_MAX);
    double lon, lat;
    char label[160];
    if (mp_report_corner(ctx, q, &lon, &lat, label, sizeof label) != MP_OK)
        return mp_fail(err, MP_ENOTFOUND, "not_found",
                       "no corner of two crossing streets matches '%.60s' (house numbers "
                       "cannot be searched)",
                       q);
    if (!mp_city_in_area(app->city, lon, lat))
        return mp_fail(err, MP_ENOTFOUND, "out_of_area",
                       "'%.60s' is outside the service area of %.40s", q, app->city->name);
    mp_buf_printf(&resp->body,
                  "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                  "[%.7f,%.7f]},\"properties\":{\"kind\":\"corner\",\"label\":",
                  lon, lat);
    mp_json_str(&resp->body, label);
    mp_buf_adds(&resp->body, "}}");
    resp->content_type = "application/geo+json";
    resp->cache = "public, max-age=300";
    return MP_OK;
}
