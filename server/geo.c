#include "meldpunt/geo.h"

#include <math.h>
#include <proj.h>
#include <stdlib.h>
#include <string.h>

struct mp_geo_crs {
    char name[32];   /* as asked for, e.g. "EPSG:4326" */
    PJ *pj;          /* EPSG:4326 (lat, lon) -> name, in name's own axis order */
    PJ_CONTEXT *ctx; /* borrowed from the owning mp_geo */
    bool geographic;
};

struct mp_geo {
    PJ_CONTEXT *ctx;
    PJ *pj;
    double to_metres; /* CRS unit -> metres (1 for metre CRSs, 0.3048006 for US survey feet) */
    struct mp_geo_crs crs[MP_GEO_MAX_CRS]; /* output CRSs made so far */
    size_t ncrs;
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
    if (!cs || !proj_cs_get_axis_info(g->ctx, cs, 0, NULL, NULL, NULL, &factor, NULL, NULL, NULL) ||
        !(factor > 0)) {
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
    for (size_t i = 0; i < g->ncrs; i++)
        proj_destroy(g->crs[i].pj);
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

/* ---- output CRSs ---- */

enum mp_status mp_geo_crs_get(struct mp_geo *g, const char *crs, struct mp_geo_crs **out,
                              struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    PJ *target = NULL, *pj = NULL;
    *out = NULL;
    for (size_t i = 0; i < g->ncrs; i++)
        if (strcmp(g->crs[i].name, crs) == 0) {
            *out = &g->crs[i];
            return MP_OK;
        }
    if (g->ncrs == MP_GEO_MAX_CRS || strlen(crs) >= sizeof g->crs[0].name)
        return mp_fail(err, MP_EINVAL, "invalid_crs", "CRS %.40s cannot be added", crs);
    target = proj_create(g->ctx, crs);
    PJ_TYPE type = target ? proj_get_type(target) : PJ_TYPE_UNKNOWN;
    bool geographic = type == PJ_TYPE_GEOGRAPHIC_2D_CRS;
    if (!geographic && type != PJ_TYPE_PROJECTED_CRS) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "CRS %.40s is not a known 2D CRS", crs);
        goto out;
    }
    /* No proj_normalize_for_visualization here: the CRS's own axis order is
     * the point (EPSG:4326 is latitude first). The source is EPSG:4326 as
     * for the metric transformer, so that both pick the same datum
     * transformation (from OGC:CRS84 PROJ picks another one for NAD83,
     * half a metre away). */
    pj = proj_create_crs_to_crs(g->ctx, "EPSG:4326", crs, NULL);
    if (!pj) {
        rc = mp_fail(err, MP_EINVAL, "invalid_crs", "no transformation from CRS84 to %.40s", crs);
        goto out;
    }
    struct mp_geo_crs *c = &g->crs[g->ncrs++];
    memcpy(c->name, crs, strlen(crs) + 1);
    c->pj = pj;
    c->ctx = g->ctx;
    c->geographic = geographic;
    pj = NULL;
    *out = c;
out:
    if (target)
        proj_destroy(target);
    if (pj)
        proj_destroy(pj);
    return rc;
}

bool mp_geo_crs_is_geographic(const struct mp_geo_crs *c) { return c->geographic; }

enum mp_status mp_geo_crs_from_lonlat(struct mp_geo_crs *c, double lon, double lat, double *a,
                                      double *b)
{
    if (!mp_geo_valid_lonlat(lon, lat))
        return MP_EINVAL;
    PJ_COORD p = proj_trans(c->pj, PJ_FWD, proj_coord(lat, lon, 0, 0));
    if (!isfinite(p.v[0]) || !isfinite(p.v[1]))
        return MP_EINVAL;
    *a = p.v[0];
    *b = p.v[1];
    return MP_OK;
}

enum mp_status mp_geo_crs_to_lonlat(struct mp_geo_crs *c, double a, double b, double *lon,
                                    double *lat)
{
    if (!isfinite(a) || !isfinite(b))
        return MP_EINVAL;
    PJ_COORD p = proj_trans(c->pj, PJ_INV, proj_coord(a, b, 0, 0));
    if (!mp_geo_valid_lonlat(p.v[1], p.v[0]))
        return MP_EINVAL;
    *lon = p.v[1];
    *lat = p.v[0];
    return MP_OK;
}

enum mp_status mp_geo_crs_box_to_lonlat(struct mp_geo_crs *c, const double box[4], double out[4])
{
    double lat1, lon1, lat2, lon2;
    for (int i = 0; i < 4; i++)
        if (!isfinite(box[i]))
            return MP_EINVAL;
    /* 21 points along each edge: PROJ's advice for a projected box. The
     * result is in EPSG:4326's order, latitude first. */
    if (!proj_trans_bounds(c->ctx, c->pj, PJ_INV, box[0], box[1], box[2], box[3], &lat1, &lon1,
                           &lat2, &lon2, 21) ||
        !mp_geo_valid_lonlat(lon1, lat1) || !mp_geo_valid_lonlat(lon2, lat2))
        return MP_EINVAL;
    out[0] = lon1;
    out[1] = lat1;
    out[2] = lon2;
    out[3] = lat2;
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
