#include "meldpunt/geo.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

struct mp_geo {
    PJ_CONTEXT *ctx;
    PJ *pj;
    double to_metres; /* CRS unit -> metres (1 for metre CRSs, 0.3048006 for US survey feet) */
};

enum mp_status mp_geo_new(const char *crs, struct mp_geo **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_geo *g = NULL;
    PJ *raw = NULL, *target = NULL, *cs = NULL;
    *out = NULL;

    g = calloc(1, sizeof *g);
    if (!g) {
        rc = MP_ENOMEM;
        goto out;
    }
    g->ctx = proj_context_create();
    if (!g->ctx) {
        rc = mp_fail(err, MP_ENOMEM, "proj", "cannot create a PROJ context");
        goto out;
    }
    /* PROJ logs to stderr by default; errors are reported through our codes. */
    proj_log_level(g->ctx, PJ_LOG_NONE);

    target = proj_create(g->ctx, crs);
    if (!target || proj_get_type(target) != PJ_TYPE_PROJECTED_CRS) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "CRS %.60s is not a known projected CRS", crs);
        goto out;
    }
    cs = proj_crs_get_coordinate_system(g->ctx, target);
    double factor = 1.0;
    if (!cs || !proj_cs_get_axis_info(g->ctx, cs, 0, NULL, NULL, NULL, &factor, NULL, NULL,
                                      NULL) || !(factor > 0)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "CRS %.60s has no linear unit", crs);
        goto out;
    }
    g->to_metres = factor;

    raw = proj_create_crs_to_crs(g->ctx, "EPSG:4326", crs, NULL);
    if (!raw) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "no transformation from WGS84 to %.60s", crs);
        goto out;
    }
    /* Keep lon, lat axis order on the geographic side whatever EPSG says. */
    g->pj = proj_normalize_for_visualization(g->ctx, raw);
    if (!g->pj) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "cannot normalise the transformation");
        goto out;
    }
    *out = g;
    g = NULL;
out:
    if (cs)
        proj_destroy(cs);
    if (target)
        proj_destroy(target);
    if (raw)
        proj_destroy(raw);
    mp_geo_free(g);
    return rc;
}

void mp_geo_free(struct mp_geo *g)
{
    if (!g)
        return;
    if (g->pj)
        proj_destroy(g->pj);
    if (g->ctx)
        proj_context_destroy(g->ctx);
    free(g);
}

enum mp_status mp_geo_forward(struct mp_geo *g, double lon, double lat, double *x, double *y)
{
    if (!mp_geo_valid_lonlat(lon, lat))
        return MP_EINVAL;
    PJ_COORD c = proj_coord(lon, lat, 0, 0);
    c = proj_trans(g->pj, PJ_FWD, c);
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y))
        return MP_EINVAL;
    *x = c.xy.x * g->to_metres;
    *y = c.xy.y * g->to_metres;
    return MP_OK;
}

enum mp_status mp_geo_inverse(struct mp_geo *g, double x, double y, double *lon, double *lat)
{
    PJ_COORD c = proj_coord(x / g->to_metres, y / g->to_metres, 0, 0);
    c = proj_trans(g->pj, PJ_INV, c);
    if (!isfinite(c.lp.lam) || !isfinite(c.lp.phi))
        return MP_EINVAL;
    *lon = c.xy.x;
    *lat = c.xy.y;
    return MP_OK;
}

double mp_geo_dist(double x1, double y1, double x2, double y2) { return hypot(x2 - x1, y2 - y1); }

double mp_geo_haversine(double lon1, double lat1, double lon2, double lat2)
{
    const double r = 6371008.8, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1.0, sqrt(a)));
}

int mp_geo_valid_lonlat(double lon, double lat)
{
    return isfinite(lon) && isfinite(lat) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
           lon <= 180.0;
}
