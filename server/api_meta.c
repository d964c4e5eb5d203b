/* api_meta.c - health, configuration for the page, the city pack's public
 * layers, and static files. */
#include <stdint.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/health.h"
#include "meldpunt/ingest.h"
#include "meldpunt/metrics.h"
#include "meldpunt/region.h"
#include "meldpunt/respcache.h"

/* Details for the machine itself and for staff; the public learns "ok". A
 * wrong token is a failed sign-in like any other, answered as the public. */
static bool health_details(struct mp_ctx *ctx, const struct mp_request *req)
{
    struct mp_principal who;
    struct mp_error ignore;
    if (mp_req_is_local(req))
        return true;
    if (!mp_req_header(req, "Authorization"))
        return false;
    enum mp_status rc = mp_api_need_role(ctx, req, MP_ROLE_CREW, &who, &ignore);
    if (rc == MP_EAUTH)
        mp_req_signin_failed(req);
    return rc == MP_OK;
}

enum mp_status mp_api_healthz(struct mp_app *app, struct mp_ctx *ctx,
                              const struct mp_request *req, struct mp_response *resp,
                              struct mp_error *err)
{
    struct mp_health h;
    enum mp_status rc;
    resp->content_type = "application/json";
    resp->cache = "no-store";
    if (!health_details(ctx, req)) {
        /* No counting for the public: a cheap question to the database. */
        if ((rc = mp_health_alive(ctx, err)))
            return rc;
        mp_buf_adds(&resp->body, "{\"status\":\"ok\"}");
        return MP_OK;
    }
    if ((rc = mp_health_read(ctx, &h, err)))
        return rc;
    mp_buf_printf(&resp->body,
                  "{\"status\":\"ok\",\"version\":\"%s\",\"schema\":%d,\"city\":", MP_VERSION,
                  h.schema);
    mp_json_str(&resp->body, app->city->id);
    mp_buf_printf(&resp->body, ",\"reports\":%lld,\"clusters\":%lld,\"store_memory_bytes\":%lld",
                  (long long)h.reports, (long long)h.clusters, (long long)h.store_memory_bytes);
    /* The answer cache's counters, for the operator on the machine (and the
     * tests): how the map is used is nobody else's business. */
    if (app->cache && mp_req_is_local(req)) {
        struct mp_respcache_stats cs;
        mp_respcache_stats(app->cache, &cs);
        mp_buf_printf(&resp->body, ",\"cache\":{\"hits\":%llu,\"misses\":%llu,\"stored\":%llu}",
                      (unsigned long long)cs.hits, (unsigned long long)cs.misses,
                      (unsigned long long)cs.stored);
    }
    mp_buf_addc(&resp->body, '}');
    return MP_OK;
}

/* Whether a and b are equal, in time that does not depend on where they
 * differ (a token compared byte by byte would leak its prefix). */
static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* /metrics is for the machine (a Prometheus on it) or whoever holds
 * MELDPUNT_METRICS_TOKEN: figures of use are figures of abuse. */
static enum mp_status metrics_allowed(const struct mp_app *app, const struct mp_request *req,
                                      struct mp_error *err)
{
    const char *auth = mp_req_header(req, "Authorization");
    const char *token = app->cfg->metrics_token;
    if (token[0] && auth) {
        if (strncmp(auth, "Bearer ", 7) == 0 && same_secret(auth + 7, token))
            return MP_OK;
        mp_req_signin_failed(req);
        return mp_fail(err, MP_EAUTH, "unauthorized", "the metrics token is not valid");
    }
    if (mp_req_is_local(req))
        return MP_OK;
    return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                   token[0] ? "metrics are served to this machine, or with the metrics token"
                            : "metrics are served to this machine only");
}

enum mp_status mp_api_metrics(struct mp_app *app, struct mp_ctx *ctx,
                              const struct mp_request *req, struct mp_response *resp,
                              struct mp_error *err)
{
    static const char *const allowed[] = {NULL};
    struct mp_metrics_gauges g;
    enum mp_status rc;
    resp->cache = "no-store";
    if ((rc = metrics_allowed(app, req, err)) || (rc = mp_api_check_params(req, allowed, err)))
        return rc;
    memset(&g, 0, sizeof g);
    if ((rc = mp_health_figures(ctx, &g, err)))
        return rc;
    g.queue_depth = (int64_t)mp_ingest_queue_depth(app->ingest);
    struct mp_respcache_stats cs;
    mp_respcache_stats(app->cache, &cs);
    g.cache_hits = cs.hits;
    g.cache_misses = cs.misses;
    g.cache_stored = cs.stored;
    if (!app->metrics)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "metrics are not kept by this process");
    mp_metrics_render(app->metrics, &g, &resp->body);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return MP_OK;
}

static enum mp_status fixed_body(const struct mp_request *req, struct mp_response *resp,
                                 const char *body, size_t len, const char *type,
                                 struct mp_error *err)
{
    static const char *const allowed[] = {"municipality", NULL};
    enum mp_status rc = mp_api_check_params(req, allowed, err);
    if (rc)
        return rc;
    resp->static_body = body;
    resp->static_len = len;
    resp->content_type = type;
    resp->cache = "public, max-age=300";
    return MP_OK;
}

/* ?municipality=SLUG: the member's index in app->region (the region's own
 * answer when absent: *index = SIZE_MAX). */
static enum mp_status member_of(const struct mp_app *app, const struct mp_request *req,
                                size_t *index, struct mp_error *err)
{
    const char *slug = mp_req_query(req, "municipality");
    *index = SIZE_MAX;
    if (!slug)
        return MP_OK;
    const struct mp_region *r = app->region;
    for (size_t i = 0; i < r->nmembers; i++)
        if (strcmp(r->members[i].city->id, slug) == 0) {
            *index = i;
            return MP_OK;
        }
    return mp_fail(err, MP_ENOTFOUND, "unknown_municipality",
                   "no municipality '%.48s' in %.48s; GET /api/v1/config lists them", slug,
                   r->whole->name);
}

/* The pack's layer in the region or, with ?municipality=, in the member. */
enum layer { L_CATEGORIES, L_DISTRICTS, L_AREA };

static enum mp_status layer_body(struct mp_app *app, const struct mp_request *req,
                                 struct mp_response *resp, enum layer which, struct mp_error *err)
{
    size_t i;
    enum mp_status rc = member_of(app, req, &i, err);
    if (rc)
        return rc;
    const struct mp_city *c = i == SIZE_MAX ? app->city : app->region->members[i].city;
    switch (which) {
    case L_CATEGORIES:
        return fixed_body(req, resp, c->categories_json, c->categories_json_len,
                          "application/json", err);
    case L_DISTRICTS:
        return fixed_body(req, resp, c->districts_json, c->districts_json_len,
                          "application/geo+json", err);
    case L_AREA:
        break;
    }
    return fixed_body(req, resp, c->area_json, c->area_json_len, "application/geo+json", err);
}

enum mp_status mp_api_config(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    (void)ctx;
    size_t i;
    enum mp_status rc = member_of(app, req, &i, err);
    if (rc)
        return rc;
    if (i != SIZE_MAX)
        return fixed_body(req, resp, app->member_config[i].json, app->member_config[i].len,
                          "application/json", err);
    return fixed_body(req, resp, app->config_json, app->config_json_len, "application/json", err);
}

enum mp_status mp_api_categories(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 struct mp_error *err)
{
    (void)ctx;
    return layer_body(app, req, resp, L_CATEGORIES, err);
}

enum mp_status mp_api_districts(struct mp_app *app, struct mp_ctx *ctx,
                                const struct mp_request *req, struct mp_response *resp,
                                struct mp_error *err)
{
    (void)ctx;
    return layer_body(app, req, resp, L_DISTRICTS, err);
}

enum mp_status mp_api_service_area(struct mp_app *app, struct mp_ctx *ctx,
                                   const struct mp_request *req, struct mp_response *resp,
                                   struct mp_error *err)
{
    (void)ctx;
    return layer_body(app, req, resp, L_AREA, err);
}

const char *mp_api_page_file(const char *path)
{
    static const struct {
        const char *path, *file;
    } pages[] = {{"/", "/index.html"}, {"/crew", "/crew.html"}, {"/staff", "/staff.html"},
                 {"/stats", "/stats.html"}};
    if (strncmp(path, "/r/", 3) == 0)
        return "/report.html";
    if (strncmp(path, "/m/", 3) == 0) /* a municipality's map (router.c checks the slug) */
        return "/index.html";
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
        if (strcmp(path, pages[i].path) == 0)
            return pages[i].file;
    return path;
}

enum mp_status mp_api_static(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    (void)ctx;
    const char *url = mp_api_page_file(req->path);
    const struct mp_static_file *f = mp_app_static(app, url);
    if (!f)
        return mp_fail(err, MP_ENOTFOUND, "not_found", "no such page or resource");
    const char *inm = mp_req_header(req, "If-None-Match");
    snprintf(resp->etag, sizeof resp->etag, "%s", f->etag);
    if (inm && strcmp(inm, f->etag) == 0) {
        resp->not_modified = true;
        return MP_OK;
    }
    resp->static_body = f->data;
    resp->static_len = f->len;
    resp->content_type = f->mime;
    resp->cache = strncmp(url, "/vendor/", 8) == 0 ? "public, max-age=86400" : "no-cache";
    return MP_OK;
}
