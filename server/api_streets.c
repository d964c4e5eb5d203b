/* api_streets.c - GET /api/v1/streets?bbox=: the city pack's street layer
 * (streets.tsv) in a small box as GeoJSON LineStrings with the street's
 * name, so that the map page can draw streets and their names where no tile
 * server is available. The layer does not change while the server runs:
 * answers are cacheable for a day. */
#include <stdio.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/buf.h"
#include "meldpunt/ctx.h"
#include "meldpunt/geom.h"
#include "meldpunt/streets.h"

/* A neighbourhood, not a city: the page asks from zoom 16 on, where a
 * screen shows well under 0.05 degrees each way. */
#define STREETS_MAX_SPAN 0.05
/* Downtown Chicago holds about 900 lines in a box of the largest size. */
#define STREETS_MAX_LINES 4000

struct lines {
    struct mp_buf *b;
    size_t n;
};

static int write_line(void *arg, size_t id, const char *street, const double *lonlat,
                      size_t npoints)
{
    struct lines *w = arg;
    struct mp_buf *b = w->b;
    mp_buf_printf(b, "%s{\"type\":\"Feature\",\"id\":%zu,\"geometry\":{\"type\":"
                     "\"LineString\",\"coordinates\":[",
                  w->n++ ? "," : "", id);
    for (size_t i = 0; i < npoints; i++) {
        if (i)
            mp_buf_addc(b, ',');
        mp_json_coord(b, lonlat[2 * i], lonlat[2 * i + 1]);
    }
    mp_buf_adds(b, "]},\"properties\":{\"name\":");
    mp_json_str(b, street);
    mp_buf_adds(b, "}}");
    return b->failed ? 1 : 0;
}

enum mp_status mp_api_streets(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                              struct mp_response *resp, struct mp_error *err)
{
    (void)app;
    static const char *const allowed[] = {"bbox", NULL};
    enum mp_status rc;
    struct mp_bbox box;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    const char *v = mp_req_query(req, "bbox");
    if (!v || !*v)
        return mp_fail(err, MP_EINVAL, "missing_parameter",
                       "bbox is required: minLon,minLat,maxLon,maxLat");
    if ((rc = mp_bbox_parse(v, &box, err)))
        return rc;
    /* A hair of slack: "-87.65,41.87,-87.60,41.92" spans 0.05 in decimal. */
    if (box.max_lon - box.min_lon > STREETS_MAX_SPAN + 1e-9 ||
        box.max_lat - box.min_lat > STREETS_MAX_SPAN + 1e-9)
        return mp_fail(err, MP_EINVAL, "invalid_bbox",
                       "bbox may span at most %.2f degrees each way for streets; zoom in",
                       STREETS_MAX_SPAN);
    struct lines w = {&resp->body, 0};
    mp_buf_adds(&resp->body, "{\"type\":\"FeatureCollection\",\"features\":[");
    rc = mp_streets_lines(ctx->streets, ctx->geo, box.min_lon, box.min_lat, box.max_lon,
                          box.max_lat, STREETS_MAX_LINES, write_line, &w);
    if (rc == MP_ETOOBIG)
        return mp_fail(err, MP_EINVAL, "too_many_features",
                       "the box holds more than %d street lines; ask for a smaller one",
                       STREETS_MAX_LINES);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the street layer right now");
    mp_buf_printf(&resp->body, "],\"count\":%zu}", w.n);
    resp->content_type = "application/geo+json";
    resp->cache = "public, max-age=86400";
    return MP_OK;
}
