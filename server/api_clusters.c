/* api_clusters.c - /api/v1/clusters (list, grid aggregation, one with its
 * reports and history) and /api/v1/nearby (the citizen's duplicate hint). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/geojson.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"

static int list_row(void *p, const struct mp_cluster_row *c)
{
    struct mp_api_page *pg = p;
    if (!mp_api_page_take(pg, c->id))
        return 1;
    mp_geojson_cluster_feature(pg->b, pg->city, c, false);
    return 0;
}

static enum mp_status list_fetch(struct mp_ctx *ctx, const struct mp_query *q,
                                 struct mp_api_page *pg)
{
    return mp_store_clusters(ctx->db, q, list_row, pg);
}

enum mp_status mp_api_clusters_list(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    return mp_api_paged_list(app, ctx, req, resp, list_fetch, 0, "clusters", err);
}

/* ---- grid ---- */

struct grid_ctx {
    struct mp_buf *b;
    const struct mp_bbox *bbox;
    double cell;
    size_t n;
};

static int grid_row(void *p, const struct mp_grid_cell *c)
{
    struct grid_ctx *g = p;
    if (g->n++)
        mp_buf_addc(g->b, ',');
    double x0 = g->bbox->min_lon + (double)c->gx * g->cell;
    double y0 = g->bbox->min_lat + (double)c->gy * g->cell;
    mp_buf_adds(g->b, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    mp_json_coord(g->b, c->lon, c->lat);
    mp_buf_adds(g->b, "},\"properties\":{\"count\":");
    mp_json_int(g->b, c->clusters);
    mp_buf_adds(g->b, ",\"reports\":");
    mp_json_int(g->b, c->reports);
    mp_buf_adds(g->b, ",\"cell\":[");
    mp_json_num(g->b, x0, 7);
    mp_buf_addc(g->b, ',');
    mp_json_num(g->b, y0, 7);
    mp_buf_addc(g->b, ',');
    mp_json_num(g->b, x0 + g->cell, 7);
    mp_buf_addc(g->b, ',');
    mp_json_num(g->b, y0 + g->cell, 7);
    mp_buf_adds(g->b, "]}}");
    return 0;
}

enum mp_status mp_api_clusters_grid(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    static const char *const allowed[] = {"bbox", "zoom", "category", "status", "district",
                                          "since", "until", NULL};
    enum mp_status rc;
    struct mp_query q;
    char *scratch = NULL, key[512];
    int64_t version;
    if ((rc = mp_api_check_params(req, allowed, err)) ||
        (rc = mp_api_parse_query(app, req, &q, &scratch, err)))
        goto out;
    resp->content_type = "application/geo+json";
    if (!q.has_bbox) {
        rc = mp_fail(err, MP_EINVAL, "missing_parameter", "bbox is required");
        goto out;
    }
    const char *z = mp_req_query(req, "zoom");
    char *end = NULL;
    errno = 0;
    long zoom = z ? strtol(z, &end, 10) : -1;
    if (!z || !*z || *end || errno || zoom < 0 || zoom > 22) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter", "zoom must be a whole number 0-22");
        goto out;
    }
    /* About 64 screen pixels per cell: 360 degrees span 256 * 2^zoom pixels.
     * Cells sit on the global lattice from (-180, -90), so they do not shift
     * while panning and match the precomputed pyramid. */
    if (mp_api_cache_get(app, ctx, req, resp, key, sizeof key, &version))
        goto out;
    double cell = 90.0 / pow(2.0, (double)zoom);
    struct mp_bbox origin = {-180.0, -90.0, 180.0, 90.0};
    struct grid_ctx g = {&resp->body, &origin, cell, 0};
    mp_buf_adds(&resp->body, "{\"type\":\"FeatureCollection\",\"features\":[");
    rc = mp_store_grid_pyramid(ctx->db, &q, (int)zoom, grid_row, &g);
    if (rc == MP_EUNSUPPORTED) {
        /* Filters the pyramid does not keep: aggregate the clusters. The
         * store counts cells from the bbox corner snapped to the lattice. */
        q.bbox.min_lon = floor(q.bbox.min_lon / cell) * cell;
        q.bbox.min_lat = floor(q.bbox.min_lat / cell) * cell;
        origin.min_lon = q.bbox.min_lon;
        origin.min_lat = q.bbox.min_lat;
        g.n = 0;
        rc = mp_store_cluster_grid(ctx->db, &q, cell, grid_row, &g);
    }
    if (rc) {
        rc = mp_fail(err, rc, "unavailable", "cannot aggregate clusters right now");
        goto out;
    }
    mp_buf_adds(&resp->body, "],\"cell_deg\":");
    mp_json_num(&resp->body, cell, 9);
    mp_buf_printf(&resp->body, ",\"count\":%zu}", g.n);
    mp_api_cache_put(app, key, version, resp);
out:
    free(scratch);
    return rc;
}

/* ---- one cluster ---- */

struct one_ctx {
    struct mp_buf *b;
    const struct mp_city *city;
    size_t n;
};

static int one_row(void *p, const struct mp_cluster_row *c)
{
    struct one_ctx *oc = p;
    mp_geojson_cluster_feature(oc->b, oc->city, c, true);
    return 0;
}

static int member_row(void *p, const struct mp_report_row *r)
{
    struct one_ctx *oc = p;
    if (oc->n++)
        mp_buf_addc(oc->b, ',');
    mp_geojson_report_props(oc->b, oc->city, r);
    /* Members also carry their own point and the join reasoning. */
    oc->b->len--;
    mp_buf_adds(oc->b, ",\"lat\":");
    mp_json_num(oc->b, r->lat, 7);
    mp_buf_adds(oc->b, ",\"lon\":");
    mp_json_num(oc->b, r->lon, 7);
    mp_buf_adds(oc->b, ",\"join_reason\":");
    mp_buf_adds(oc->b, r->join_reason && r->join_reason[0] == '{' ? r->join_reason : "null");
    mp_buf_addc(oc->b, '}');
    return 0;
}

static int history_row(void *p, const struct mp_history_row *h)
{
    struct one_ctx *oc = p;
    if (oc->n++)
        mp_buf_addc(oc->b, ',');
    mp_buf_adds(oc->b, "{\"at\":");
    mp_json_time(oc->b, h->at);
    mp_buf_adds(oc->b, ",\"status\":");
    mp_json_str(oc->b, h->status);
    mp_buf_adds(oc->b, ",\"note\":");
    mp_json_str(oc->b, h->note_public ? h->note : NULL);
    mp_buf_addc(oc->b, '}');
    return 0;
}

enum mp_status mp_api_cluster_get(struct mp_app *app, struct mp_ctx *ctx,
                                  const struct mp_request *req, struct mp_response *resp,
                                  struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    struct one_ctx oc = {&resp->body, app->city, 0};
    rc = mp_store_cluster_get(ctx->db, req->path_id, one_row, &oc);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no cluster %lld",
                       (long long)req->path_id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the cluster right now");
    mp_buf_adds(&resp->body, ",\"reports\":[");
    if ((rc = mp_store_cluster_reports(ctx->db, req->path_id, member_row, &oc)))
        return mp_fail(err, rc, "unavailable", "cannot read the cluster right now");
    mp_buf_adds(&resp->body, "],\"history\":[");
    oc.n = 0;
    if ((rc = mp_store_history(ctx->db, req->path_id, history_row, &oc)))
        return mp_fail(err, rc, "unavailable", "cannot read the cluster right now");
    mp_buf_adds(&resp->body, "]}}");
    resp->content_type = "application/geo+json";
    return MP_OK;
}

/* ---- nearby ---- */

#define NEARBY_MAX 64

static int cmp_dist(const void *a, const void *b)
{
    const double *x = a, *y = b; /* first member of each entry is the distance */
    return (*x > *y) - (*x < *y);
}

static enum mp_status query_double(const struct mp_request *req, const char *name, double lo,
                                   double hi, double *out, struct mp_error *err)
{
    const char *v = mp_req_query(req, name);
    if (!v || !*v)
        return mp_fail(err, MP_EINVAL, "missing_parameter", "%s is required", name);
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (*end || errno || !isfinite(d))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s must be a number", name);
    if (d < lo || d > hi)
        return mp_fail(err, MP_EINVAL, "out_of_range", "%s must be between %g and %g", name, lo,
                       hi);
    *out = d;
    return MP_OK;
}

enum mp_status mp_api_nearby(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"lat", "lon", "category", "address", NULL};
    enum mp_status rc;
    struct mp_cluster_state *cand = NULL;
    struct entry {
        double d;
        size_t i;
    } *order = NULL;
    double lat, lon, x, y;
    if ((rc = mp_api_check_params(req, allowed, err)) ||
        (rc = query_double(req, "lat", -90, 90, &lat, err)) ||
        (rc = query_double(req, "lon", -180, 180, &lon, err)))
        return rc;
    const char *code = mp_req_query(req, "category");
    if (!code || !*code)
        return mp_fail(err, MP_EINVAL, "missing_parameter", "category is required");
    const struct mp_category *cat = mp_city_category(app->city, code);
    if (!cat)
        return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'", code);
    if (mp_geo_forward(ctx->geo, lon, lat, &x, &y) != MP_OK)
        return mp_fail(err, MP_EINVAL, "out_of_range", "the point cannot be projected");
    /* Show what is close by as well as what would be joined: three times the
     * radius, at least 150 m. */
    double show = fmax(cat->radius_m * 3, 150.0);
    cand = malloc(NEARBY_MAX * sizeof *cand);
    order = malloc(NEARBY_MAX * sizeof *order);
    if (!cand || !order) {
        rc = MP_ENOMEM;
        goto out;
    }
    size_t n = 0, m = 0;
    if ((rc = mp_store_cluster_candidates(ctx->db, cat->code, x, y, show, 0, -1, cand, NEARBY_MAX, &n))) {
        rc = mp_fail(err, rc, "unavailable", "cannot look up nearby reports");
        goto out;
    }
    int64_t now = mp_time_now();
    struct mp_join_reason why;
    struct mp_cluster_probe probe;
    char location[128];
    mp_report_probe(ctx, mp_req_query(req, "address"), x, y, now, &probe, location,
                    sizeof location);
    long join = mp_cluster_choose_probe(cat, &probe, cand, n, NULL, 0, &why);
    for (size_t i = 0; i < n; i++) {
        double d = mp_geo_dist(x, y, cand[i].x, cand[i].y);
        /* Long-closed clusters are history, not a hint. */
        if (d <= show && (mp_cluster_status_open(cand[i].status) || (long)i == join))
            order[m++] = (struct entry){d, i};
    }
    qsort(order, m, sizeof *order, cmp_dist);
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"would_join\":");
    if (join >= 0)
        mp_json_int(b, cand[join].id);
    else
        mp_buf_adds(b, "null");
    mp_buf_adds(b, ",\"rule\":");
    mp_json_str(b, mp_rule_name(cat->rule));
    mp_buf_adds(b, ",\"radius_m\":");
    mp_json_num(b, cat->radius_m, 1);
    mp_buf_adds(b, ",\"along_m\":");
    mp_json_num(b, cat->along_m, 1);
    mp_buf_adds(b, ",\"window_days\":");
    mp_json_int(b, cat->window_days);
    mp_buf_adds(b, ",\"street\":");
    mp_json_str(b, probe.street);
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, location[0] ? location : NULL);
    mp_buf_adds(b, ",\"clusters\":[");
    for (size_t k = 0; k < m; k++) {
        const struct mp_cluster_state *c = &cand[order[k].i];
        if (k)
            mp_buf_addc(b, ',');
        mp_buf_adds(b, "{\"id\":");
        mp_json_int(b, c->id);
        mp_buf_adds(b, ",\"category\":");
        mp_json_str(b, c->category);
        mp_buf_adds(b, ",\"status\":");
        mp_json_str(b, c->status);
        mp_buf_adds(b, ",\"report_count\":");
        mp_json_int(b, c->report_count);
        mp_buf_adds(b, ",\"distance_m\":");
        mp_json_num(b, order[k].d, 1);
        /* Every cluster the rules would accept, not only the nearest. */
        struct mp_join_reason one;
        bool matches = mp_cluster_choose_probe(cat, &probe, c, 1, NULL, 0, &one) == 0;
        mp_buf_adds(b, ",\"matches\":");
        mp_json_bool(b, matches);
        mp_buf_adds(b, ",\"would_join\":");
        mp_json_bool(b, (long)order[k].i == join);
        mp_buf_adds(b, ",\"same_street\":");
        mp_json_bool(b, probe.street && strcmp(probe.street, c->street) == 0);
        mp_buf_adds(b, ",\"first_at\":");
        mp_json_time(b, c->first_at);
        mp_buf_adds(b, ",\"last_at\":");
        mp_json_time(b, c->last_at);
        mp_buf_adds(b, ",\"lat\":");
        mp_json_num(b, c->lat, 7);
        mp_buf_adds(b, ",\"lon\":");
        mp_json_num(b, c->lon, 7);
        mp_buf_adds(b, ",\"location\":");
        mp_json_str(b, c->location[0] ? c->location : NULL);
        mp_buf_addc(b, '}');
    }
    mp_buf_adds(b, "]}");
    resp->content_type = "application/json";
out:
    free(cand);
    free(order);
    return rc;
}
