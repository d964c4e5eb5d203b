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

static int list_row(void *p, const struct mp_cluster_row *c)
{
    struct mp_api_page *pg = p;
    if (!mp_api_page_take(pg, c->id))
        return 1;
    mp_geojson_cluster_feature(pg->b, pg->city, c, NULL, NULL);
    return 0;
}

static enum mp_status list_fetch(struct mp_ctx *ctx, const struct mp_query *q,
                                 struct mp_api_page *pg)
{
    return mp_cluster_list(ctx, q, list_row, pg);
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
    struct mp_bbox origin; /* set by mp_cluster_grid before the first cell */
    double cell;
    size_t n;
};

static int grid_row(void *p, const struct mp_grid_cell *c)
{
    struct grid_ctx *g = p;
    if (g->n++)
        mp_buf_addc(g->b, ',');
    double x0 = g->origin.min_lon + (double)c->gx * g->cell;
    double y0 = g->origin.min_lat + (double)c->gy * g->cell;
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
    /* An answer the cache does not hold costs the store a scan: the client
     * pays a token of its expensive-read bucket. */
    if ((rc = mp_req_take_read(req, resp, err)))
        goto out;
    struct grid_ctx g = {.b = &resp->body};
    int used = (int)zoom;
    mp_buf_adds(&resp->body, "{\"type\":\"FeatureCollection\",\"features\":[");
    if ((rc = mp_cluster_grid(ctx, &q, &used, app->cfg->grid_max_cells, &g.origin, &g.cell,
                              grid_row, &g, err)))
        goto out;
    mp_buf_adds(&resp->body, "],\"cell_deg\":");
    mp_json_num(&resp->body, g.cell, 9);
    mp_buf_printf(&resp->body, ",\"zoom\":%d,\"count\":%zu}", used, g.n);
    mp_api_cache_put(app, key, version, resp);
out:
    free(scratch);
    return rc;
}

/* ---- one cluster ---- */

/* The reports and the history arrive before the cluster (see
 * mp_cluster_view): they are written aside and nested in its properties. */
struct one_ctx {
    const struct mp_city *city;
    struct mp_buf *b;
    struct mp_buf members, history;
};

/* Members also carry their own point and the join reasoning. */
static void member_extra(struct mp_buf *b, const void *arg)
{
    const struct mp_report_row *r = arg;
    mp_geojson_report_point(b, r);
    mp_buf_adds(b, ",\"join_reason\":");
    mp_buf_adds(b, r->join_reason && r->join_reason[0] == '{' ? r->join_reason : "null");
}

static int member_row(void *p, const struct mp_report_row *r)
{
    struct one_ctx *oc = p;
    if (oc->members.len)
        mp_buf_addc(&oc->members, ',');
    mp_geojson_report_props(&oc->members, oc->city, r, member_extra, r);
    return 0;
}

static int history_row(void *p, const struct mp_history_row *h)
{
    struct mp_buf *b = &((struct one_ctx *)p)->history;
    if (b->len)
        mp_buf_addc(b, ',');
    mp_geojson_history_entry(b, h);
    return 0;
}

static void lists_extra(struct mp_buf *b, const void *arg)
{
    const struct one_ctx *oc = arg;
    mp_buf_adds(b, ",\"reports\":[");
    mp_buf_add(b, oc->members.data, oc->members.len);
    mp_buf_adds(b, "],\"history\":[");
    mp_buf_add(b, oc->history.data, oc->history.len);
    mp_buf_addc(b, ']');
}

static int one_row(void *p, const struct mp_cluster_row *c)
{
    struct one_ctx *oc = p;
    mp_geojson_cluster_feature(oc->b, oc->city, c, lists_extra, oc);
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
    struct one_ctx oc = {.city = app->city, .b = &resp->body};
    /* The lists are bounded by the body's own bound. */
    mp_buf_init(&oc.members, resp->body.max);
    mp_buf_init(&oc.history, resp->body.max);
    rc = mp_cluster_view(ctx, req->path_id, member_row, history_row, one_row, &oc, err);
    if (oc.members.failed || oc.history.failed)
        resp->body.failed = true;
    mp_buf_free(&oc.members);
    mp_buf_free(&oc.history);
    if (rc)
        return rc;
    resp->content_type = "application/geo+json";
    return MP_OK;
}

/* ---- nearby ---- */

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
    struct mp_nearby nb;
    double lat, lon;
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
    if ((rc = mp_report_nearby(ctx, cat, lon, lat, mp_req_query(req, "address"), &nb, err)))
        goto out;
    cat = nb.cat; /* the municipality's own rule, in a region */
    struct mp_buf *b = &resp->body;
    mp_buf_adds(b, "{\"would_join\":");
    if (nb.would_join)
        mp_json_int(b, nb.would_join);
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
    mp_json_str(b, nb.probe.street);
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, nb.location[0] ? nb.location : NULL);
    mp_buf_adds(b, ",\"clusters\":[");
    for (size_t k = 0; k < nb.n; k++) {
        const struct mp_nearby_item *it = &nb.items[k];
        const struct mp_cluster_state *c = it->cluster;
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
        mp_json_num(b, it->distance_m, 1);
        mp_buf_adds(b, ",\"matches\":");
        mp_json_bool(b, it->matches);
        mp_buf_adds(b, ",\"would_join\":");
        mp_json_bool(b, it->would_join);
        mp_buf_adds(b, ",\"same_street\":");
        mp_json_bool(b, it->same_street);
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
    mp_report_nearby_free(&nb);
    return rc;
}
