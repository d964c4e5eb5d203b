#include "meldpunt/geom.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/geo.h"

static void bbox_empty(struct mp_bbox *b)
{
    b->min_lon = b->min_lat = INFINITY;
    b->max_lon = b->max_lat = -INFINITY;
}

static void bbox_grow(struct mp_bbox *b, const struct mp_bbox *o)
{
    b->min_lon = fmin(b->min_lon, o->min_lon);
    b->min_lat = fmin(b->min_lat, o->min_lat);
    b->max_lon = fmax(b->max_lon, o->max_lon);
    b->max_lat = fmax(b->max_lat, o->max_lat);
}

static enum mp_status ring_from_json(const json_t *arr, struct mp_ring *r, struct mp_bbox *bb,
                                     struct mp_error *err)
{
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n < 4)
        return mp_fail(err, MP_EINVAL, "invalid_geometry", "a polygon ring needs 4 or more points");
    r->xy = malloc(n * 2 * sizeof *r->xy);
    if (!r->xy)
        return MP_ENOMEM;
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(arr, i);
        const json_t *jx = json_array_get(pt, 0), *jy = json_array_get(pt, 1);
        double lon = json_number_value(jx), lat = json_number_value(jy);
        if (!json_is_array(pt) || json_array_size(pt) < 2 || !json_is_number(jx) ||
            !json_is_number(jy) || !mp_geo_valid_lonlat(lon, lat))
            return mp_fail(err, MP_EINVAL, "invalid_geometry", "bad coordinate in polygon ring");
        r->xy[2 * i] = lon;
        r->xy[2 * i + 1] = lat;
        struct mp_bbox p = {lon, lat, lon, lat};
        bbox_grow(bb, &p);
    }
    return MP_OK;
}

static enum mp_status poly_from_json(const json_t *rings, struct mp_polygon *p, struct mp_error *err)
{
    size_t n = json_array_size(rings);
    if (!json_is_array(rings) || n == 0)
        return mp_fail(err, MP_EINVAL, "invalid_geometry", "a polygon needs at least one ring");
    p->rings = calloc(n, sizeof *p->rings);
    if (!p->rings)
        return MP_ENOMEM;
    p->nrings = n;
    bbox_empty(&p->bbox);
    for (size_t i = 0; i < n; i++) {
        struct mp_bbox scratch;
        bbox_empty(&scratch);
        /* Only the outer ring bounds the polygon; holes lie inside it. */
        enum mp_status rc = ring_from_json(json_array_get(rings, i), &p->rings[i],
                                           i == 0 ? &p->bbox : &scratch, err);
        if (rc)
            return rc;
    }
    return MP_OK;
}

enum mp_status mp_multipolygon_from_geojson(const json_t *g, struct mp_multipolygon *mp,
                                            struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    memset(mp, 0, sizeof *mp);
    bbox_empty(&mp->bbox);
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *coords = json_object_get(g, "coordinates");
    if (!type || !json_is_array(coords)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_geometry", "geometry needs type and coordinates");
        goto out;
    }
    bool multi = strcmp(type, "MultiPolygon") == 0;
    if (!multi && strcmp(type, "Polygon") != 0) {
        rc = mp_fail(err, MP_EINVAL, "invalid_geometry", "expected Polygon or MultiPolygon");
        goto out;
    }
    size_t n = multi ? json_array_size(coords) : 1;
    if (n == 0) {
        rc = mp_fail(err, MP_EINVAL, "invalid_geometry", "empty MultiPolygon");
        goto out;
    }
    mp->polys = calloc(n, sizeof *mp->polys);
    if (!mp->polys) {
        rc = MP_ENOMEM;
        goto out;
    }
    mp->npolys = n;
    for (size_t i = 0; i < n; i++) {
        rc = poly_from_json(multi ? json_array_get(coords, i) : coords, &mp->polys[i], err);
        if (rc)
            goto out;
        bbox_grow(&mp->bbox, &mp->polys[i].bbox);
    }
out:
    if (rc)
        mp_multipolygon_free(mp);
    return rc;
}

void mp_multipolygon_free(struct mp_multipolygon *mp)
{
    if (!mp)
        return;
    for (size_t i = 0; i < mp->npolys; i++) {
        for (size_t j = 0; j < mp->polys[i].nrings; j++)
            free(mp->polys[i].rings[j].xy);
        free(mp->polys[i].rings);
    }
    free(mp->polys);
    memset(mp, 0, sizeof *mp);
}

enum mp_status mp_multipolygon_map(const struct mp_multipolygon *src,
                                   enum mp_status (*fn)(void *cookie, double a, double b,
                                                        double *x, double *y),
                                   void *cookie, struct mp_multipolygon *dst)
{
    enum mp_status rc = MP_OK;
    memset(dst, 0, sizeof *dst);
    bbox_empty(&dst->bbox);
    if (src->npolys && !(dst->polys = calloc(src->npolys, sizeof *dst->polys)))
        return MP_ENOMEM;
    dst->npolys = src->npolys;
    for (size_t i = 0; i < src->npolys; i++) {
        const struct mp_polygon *sp = &src->polys[i];
        struct mp_polygon *dp = &dst->polys[i];
        bbox_empty(&dp->bbox);
        if (!(dp->rings = calloc(sp->nrings, sizeof *dp->rings))) {
            rc = MP_ENOMEM;
            goto out;
        }
        dp->nrings = sp->nrings;
        for (size_t r = 0; r < sp->nrings; r++) {
            const struct mp_ring *sr = &sp->rings[r];
            struct mp_ring *dr = &dp->rings[r];
            if (!(dr->xy = malloc(sr->n * 2 * sizeof *dr->xy))) {
                rc = MP_ENOMEM;
                goto out;
            }
            dr->n = sr->n;
            for (size_t k = 0; k < sr->n; k++) {
                double *o = &dr->xy[2 * k];
                if ((rc = fn(cookie, sr->xy[2 * k], sr->xy[2 * k + 1], &o[0], &o[1])))
                    goto out;
                struct mp_bbox pt = {o[0], o[1], o[0], o[1]};
                bbox_grow(&dp->bbox, &pt);
            }
        }
        bbox_grow(&dst->bbox, &dp->bbox);
    }
out:
    if (rc)
        mp_multipolygon_free(dst);
    return rc;
}

double mp_multipolygon_outline_dist(const struct mp_multipolygon *mp, double x, double y)
{
    double best = INFINITY;
    for (size_t i = 0; i < mp->npolys; i++) {
        const struct mp_polygon *p = &mp->polys[i];
        /* A polygon whose box is farther than the best so far cannot beat it. */
        double bx = fmax(fmax(p->bbox.min_lon - x, x - p->bbox.max_lon), 0);
        double by = fmax(fmax(p->bbox.min_lat - y, y - p->bbox.max_lat), 0);
        if (hypot(bx, by) > best)
            continue;
        for (size_t r = 0; r < p->nrings; r++) {
            const struct mp_ring *ring = &p->rings[r];
            for (size_t k = 0; k + 1 < ring->n; k++) {
                double ax = ring->xy[2 * k] - x, ay = ring->xy[2 * k + 1] - y;
                double dx = ring->xy[2 * k + 2] - x - ax, dy = ring->xy[2 * k + 3] - y - ay;
                double len2 = dx * dx + dy * dy;
                double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                best = fmin(best, hypot(ax + t * dx, ay + t * dy));
            }
        }
    }
    return best;
}

bool mp_bbox_contains(const struct mp_bbox *b, double lon, double lat)
{
    return lon >= b->min_lon && lon <= b->max_lon && lat >= b->min_lat && lat <= b->max_lat;
}

/* Crossing-number test (W. Randolph Franklin's formulation). */
static bool ring_crosses(const struct mp_ring *r, double x, double y)
{
    bool in = false;
    const double *p = r->xy;
    for (size_t i = 0, j = r->n - 1; i < r->n; j = i++) {
        double xi = p[2 * i], yi = p[2 * i + 1], xj = p[2 * j], yj = p[2 * j + 1];
        if (((yi > y) != (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi))
            in = !in;
    }
    return in;
}

bool mp_multipolygon_contains(const struct mp_multipolygon *mp, double lon, double lat)
{
    if (!mp->npolys || !mp_bbox_contains(&mp->bbox, lon, lat))
        return false;
    for (size_t i = 0; i < mp->npolys; i++) {
        const struct mp_polygon *p = &mp->polys[i];
        if (!mp_bbox_contains(&p->bbox, lon, lat) || !ring_crosses(&p->rings[0], lon, lat))
            continue;
        bool in_hole = false;
        for (size_t h = 1; h < p->nrings && !in_hole; h++)
            in_hole = ring_crosses(&p->rings[h], lon, lat);
        if (!in_hole)
            return true;
    }
    return false;
}

bool mp_multipolygon_near(const struct mp_multipolygon *mp, double lon, double lat, double max_m)
{
    const double m_per_deg = 111320.0;
    double kx = m_per_deg * cos(lat * M_PI / 180.0), ky = m_per_deg;
    if (!(max_m > 0) || kx <= 0)
        return false;
    double dlon = max_m / kx, dlat = max_m / ky;
    struct mp_bbox grown = {mp->bbox.min_lon - dlon, mp->bbox.min_lat - dlat,
                            mp->bbox.max_lon + dlon, mp->bbox.max_lat + dlat};
    if (!mp_bbox_contains(&grown, lon, lat))
        return false;
    for (size_t i = 0; i < mp->npolys; i++) {
        const struct mp_polygon *p = &mp->polys[i];
        struct mp_bbox pg = {p->bbox.min_lon - dlon, p->bbox.min_lat - dlat,
                             p->bbox.max_lon + dlon, p->bbox.max_lat + dlat};
        if (!mp_bbox_contains(&pg, lon, lat))
            continue;
        for (size_t r = 0; r < p->nrings; r++) {
            const struct mp_ring *ring = &p->rings[r];
            for (size_t k = 0; k + 1 < ring->n; k++) {
                /* Segment in metres relative to the point. */
                double ax = (ring->xy[2 * k] - lon) * kx, ay = (ring->xy[2 * k + 1] - lat) * ky;
                double bx = (ring->xy[2 * k + 2] - lon) * kx,
                       by = (ring->xy[2 * k + 3] - lat) * ky;
                double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
                double t = len2 > 0 ? -(ax * dx + ay * dy) / len2 : 0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                if (hypot(ax + t * dx, ay + t * dy) <= max_m)
                    return true;
            }
        }
    }
    return false;
}

enum mp_status mp_bbox_parse(const char *s, struct mp_bbox *out, struct mp_error *err)
{
    double v[4];
    const char *p = s;
    if (!s || !*s)
        return mp_fail(err, MP_EINVAL, "invalid_bbox", "bbox is empty");
    for (int i = 0; i < 4; i++) {
        char *end = NULL;
        errno = 0;
        v[i] = strtod(p, &end);
        if (end == p || errno || !isfinite(v[i]))
            return mp_fail(err, MP_EINVAL, "invalid_bbox",
                           "bbox must be four numbers: minLon,minLat,maxLon,maxLat");
        p = end;
        if (i < 3) {
            if (*p != ',')
                return mp_fail(err, MP_EINVAL, "invalid_bbox",
                               "bbox must be four comma-separated numbers");
            p++;
        }
    }
    if (*p != '\0')
        return mp_fail(err, MP_EINVAL, "invalid_bbox", "bbox has more than four numbers");
    if (!mp_geo_valid_lonlat(v[0], v[1]) || !mp_geo_valid_lonlat(v[2], v[3]))
        return mp_fail(err, MP_EINVAL, "invalid_bbox",
                       "bbox coordinates out of range (lon -180..180, lat -90..90)");
    if (!(v[0] < v[2]) || !(v[1] < v[3]))
        return mp_fail(err, MP_EINVAL, "invalid_bbox", "bbox minimum must be below its maximum");
    out->min_lon = v[0];
    out->min_lat = v[1];
    out->max_lon = v[2];
    out->max_lat = v[3];
    return MP_OK;
}
