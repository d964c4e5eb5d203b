#include "meldpunt/router.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/api_alerts.h"
#include "meldpunt/api_notify.h"
#include "meldpunt/api_webhooks.h"
#include "meldpunt/httpcache.h"
#include "meldpunt/region.h"

struct route {
    const char *method;
    const char *pattern; /* literal segments, "{id}" (a positive integer) and a final "*" */
    mp_handler handler;
    bool needs_ctx;
    const char *rest;    /* handed to the handler in req->path_rest */
};

static const struct route routes[] = {
    {"GET", "/healthz", mp_api_healthz, true, NULL},
    {"GET", "/metrics", mp_api_metrics, true, NULL},
    {"GET", "/api/v1/config", mp_api_config, false, NULL},
    {"GET", "/api/v1/categories", mp_api_categories, false, NULL},
    {"GET", "/api/v1/districts", mp_api_districts, false, NULL},
    {"GET", "/api/v1/service-area", mp_api_service_area, false, NULL},
    {"GET", "/api/v1/reports", mp_api_reports_list, true, NULL},
    {"POST", "/api/v1/reports", mp_api_reports_create, true, NULL},
    {"GET", "/api/v1/reports/{id}", mp_api_report_get, true, NULL},
    {"GET", "/api/v1/reports/{id}/photo", mp_api_report_photo, true, NULL},
    {"GET", "/api/v1/reports/{id}/photo/thumb", mp_api_report_photo, true, "thumb"},
    {"GET", "/api/v1/reports/{id}/fix-photo", mp_api_report_fix_photo, true, NULL},
    {"GET", "/api/v1/reports/{id}/fix-photo/thumb", mp_api_report_fix_photo, true, "thumb"},
    {"GET", "/api/v1/clusters", mp_api_clusters_list, true, NULL},
    {"GET", "/api/v1/clusters/grid", mp_api_clusters_grid, true, NULL},
    {"GET", "/api/v1/clusters/{id}", mp_api_cluster_get, true, NULL},
    {"GET", "/api/v1/nearby", mp_api_nearby, true, NULL},
    {"GET", "/api/v1/places", mp_api_places, true, NULL},
    {"GET", "/api/v1/places/suggest", mp_api_places_suggest, true, NULL},
    {"GET", "/api/v1/streets", mp_api_streets, true, NULL},
    {"GET", "/api/v1/export", mp_api_export, true, NULL},
    {"GET", "/api/v1/stats", mp_api_stats, true, NULL},
    {"GET", "/ogc", mp_api_ogc_landing, false, NULL},
    {"GET", "/ogc/", mp_api_ogc_landing, false, NULL},
    {"GET", "/ogc/api", mp_api_ogc_api, false, NULL},
    {"GET", "/ogc/conformance", mp_api_ogc_conformance, false, NULL},
    {"GET", "/ogc/collections", mp_api_ogc_collections, true, NULL},
    {"GET", "/ogc/collections/reports", mp_api_ogc_collection, true, "reports"},
    {"GET", "/ogc/collections/reports/items", mp_api_ogc_items, true, "reports"},
    {"GET", "/ogc/collections/reports/items/{id}", mp_api_ogc_item, true, "reports"},
    {"GET", "/ogc/collections/reports/queryables", mp_api_ogc_queryables, false, "reports"},
    {"GET", "/ogc/collections/clusters", mp_api_ogc_collection, true, "clusters"},
    {"GET", "/ogc/collections/clusters/items", mp_api_ogc_items, true, "clusters"},
    {"GET", "/ogc/collections/clusters/items/{id}", mp_api_ogc_item, true, "clusters"},
    {"GET", "/ogc/collections/clusters/queryables", mp_api_ogc_queryables, false, "clusters"},
    {"GET", "/ogc/collections/districts", mp_api_ogc_collection, true, "districts"},
    {"GET", "/ogc/collections/districts/items", mp_api_ogc_items, true, "districts"},
    {"GET", "/ogc/collections/districts/items/{id}", mp_api_ogc_item, true, "districts"},
    {"GET", "/ogc/collections/districts/queryables", mp_api_ogc_queryables, false, "districts"},
    {"POST", "/api/v1/clusters/{id}/merge", mp_api_cluster_merge, true, NULL},
    {"POST", "/api/v1/merges/{id}/undo", mp_api_merge_undo, true, NULL},
    {"POST", "/api/v1/reports/{id}/move", mp_api_report_move, true, NULL},
    {"GET", "/api/v1/me", mp_api_me, true, NULL},
    {"GET", "/api/v1/automation", mp_api_automation, false, NULL},
    {"GET", "/api/v1/automation/evaluate", mp_api_automation_eval, false, NULL},
    {"GET", "/api/v1/staff/queue", mp_api_staff_queue, true, NULL},
    {"GET", "/api/v1/staff/clusters/{id}", mp_api_staff_cluster, true, NULL},
    {"GET", "/api/v1/staff/clusters/{id}/merge-candidates", mp_api_merge_candidates, true, NULL},
    {"GET", "/api/v1/staff/crews", mp_api_staff_crews, true, NULL},
    {"GET", "/api/v1/staff/photos/{id}", mp_api_staff_photo, true, NULL},
    {"GET", "/api/v1/staff/photos/{id}/thumb", mp_api_staff_photo, true, "thumb"},
    {"POST", "/api/v1/clusters/{id}/status", mp_api_cluster_status, true, NULL},
    {"POST", "/api/v1/clusters/{id}/assign", mp_api_cluster_assign, true, NULL},
    {"GET", "/api/v1/worklist", mp_api_worklist, true, NULL},
    {"POST", "/api/v1/notify/unsubscribe", mp_api_notify_unsubscribe, true, NULL},
    {"GET", "/api/v1/notify/unsubscribe", mp_api_notify_unsubscribe, false, NULL},
    {"POST", "/api/v1/notify/signin", mp_api_notify_signin, true, NULL},
    {"POST", "/api/v1/notify/session", mp_api_notify_session, true, NULL},
    {"GET", "/api/v1/notify/mine", mp_api_notify_mine, true, NULL},
    {"POST", "/api/v1/notify/stop", mp_api_notify_stop, true, NULL},
    {"POST", "/api/v1/alerts", mp_api_alerts_subscribe, true, NULL},
    {"POST", "/api/v1/alerts/confirm", mp_api_alerts_confirm, true, NULL},
    {"POST", "/api/v1/kto", mp_api_kto_answer, true, NULL},
    {"POST", "/api/v1/kto/details", mp_api_kto_details, true, NULL},
    {"GET", "/api/v1/clusters/{id}/feedback", mp_api_kto_list, true, NULL},
    {"GET", "/api/v1/feedback/{id}/photo", mp_api_kto_photo, true, NULL},
    {"GET", "/api/v1/feedback/{id}/photo/thumb", mp_api_kto_photo, true, "thumb"},
    {"GET", "/api/v1/outbox", mp_api_outbox_list, true, NULL},
    {"GET", "/api/v1/outbox/{id}", mp_api_outbox_get, true, NULL},
    {"POST", "/api/v1/outbox/{id}/retry", mp_api_outbox_retry, true, NULL},
    {"GET", "/feeds/reports.atom", mp_api_feed_atom, true, NULL},
    {"GET", "/api/v1/webhooks", mp_api_webhook_list, true, NULL},
    {"POST", "/api/v1/webhooks", mp_api_webhook_add, true, NULL},
    {"DELETE", "/api/v1/webhooks/{id}", mp_api_webhook_delete, true, NULL},
    {"GET", "/api/v1/webhooks/{id}/deliveries", mp_api_webhook_deliveries, true, NULL},
    {"POST", "/api/v1/webhooks/deliveries/{id}/resend", mp_api_webhook_resend, true, NULL},
    {"GET", "/open311/v2/discovery.xml", mp_api_open311_discovery, false, NULL},
    {"GET", "/open311/v2/discovery.json", mp_api_open311_discovery, false, NULL},
    {"GET", "/open311/v2/services.xml", mp_api_open311_services, false, NULL},
    {"GET", "/open311/v2/services.json", mp_api_open311_services, false, NULL},
    {"GET", "/open311/v2/services/*", mp_api_open311_service_def, false, NULL},
    {"GET", "/open311/v2/requests.xml", mp_api_open311_requests_list, true, NULL},
    {"GET", "/open311/v2/requests.json", mp_api_open311_requests_list, true, NULL},
    {"POST", "/open311/v2/requests.xml", mp_api_open311_requests_create, true, NULL},
    {"POST", "/open311/v2/requests.json", mp_api_open311_requests_create, true, NULL},
    {"GET", "/open311/v2/requests/*", mp_api_open311_request_get, true, NULL},
    {"GET", "/open311/v2/tokens/*", mp_api_open311_token, false, NULL},
    {"GET", "/open311/v2/servicerequestupdates.xml", mp_api_open311_updates, true, NULL},
    {"GET", "/open311/v2/servicerequestupdates.json", mp_api_open311_updates, true, NULL},
    {"POST", "/open311/v2/servicerequestupdates.xml", mp_api_open311_update_create, true, NULL},
    {"POST", "/open311/v2/servicerequestupdates.json", mp_api_open311_update_create, true, NULL},
};

/* Match path against pattern; an {id} segment is stored in *id. A final "*"
 * segment takes any one non-empty last segment of the path, stored in *rest
 * (a pointer into path), e.g. "pothole.xml" of /open311/v2/services/pothole.xml. */
static bool match(const char *pattern, const char *path, int64_t *id, const char **rest)
{
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (p[0] == '*' && p[1] == '\0') {
            if (strchr(s, '/'))
                return false;
            *rest = s;
            return true;
        }
        if (strncmp(p, "{id}", 4) == 0) {
            int64_t v = 0;
            int digits = 0;
            while (*s >= '0' && *s <= '9' && digits < 18) {
                v = v * 10 + (*s++ - '0');
                digits++;
            }
            if (digits == 0 || v == 0 || (*s && *s != '/'))
                return false;
            *id = v;
            p += 4;
            continue;
        }
        if (*p++ != *s++)
            return false;
    }
    return *p == '\0' && *s == '\0';
}

size_t mp_router_count(void)
{
    return sizeof routes / sizeof *routes;
}

void mp_router_route(size_t i, const char **method, const char **pattern)
{
    *method = routes[i].method;
    *pattern = routes[i].pattern;
}

static bool method_is(const char *route_method, const char *method)
{
    /* HEAD is GET without the body; libmicrohttpd drops the body itself. */
    return strcmp(route_method, method) == 0 ||
           (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static bool is_api(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/healthz") == 0 ||
           strcmp(path, "/metrics") == 0 ||
           strncmp(path, "/open311/", 9) == 0 || strcmp(path, "/ogc") == 0 ||
           strncmp(path, "/ogc/", 5) == 0;
}

enum mp_status mp_router_dispatch(struct mp_app *app, struct mp_request *req,
                                  struct mp_response *resp, struct mp_error *err)
{
    const struct route *hit = NULL;
    bool path_known = false, get = false, post = false;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        int64_t id = 0;
        const char *rest = NULL;
        if (!match(routes[i].pattern, req->path, &id, &rest))
            continue;
        path_known = true;
        get |= strcmp(routes[i].method, "GET") == 0;
        post |= strcmp(routes[i].method, "POST") == 0;
        if (!hit && method_is(routes[i].method, req->method)) {
            hit = &routes[i];
            req->route = (int)i;
            req->route_pattern = routes[i].pattern;
            req->path_id = id;
            req->path_rest = rest ? rest : routes[i].rest;
        }
    }
    if (!hit && !path_known && !is_api(req->path)) {
        /* Pages and their files: GET only. */
        if (!method_is("GET", req->method)) {
            if (!mp_app_static(app, mp_api_page_file(req->path)))
                return mp_fail(err, MP_ENOTFOUND, "not_found", "no such page or resource");
            snprintf(resp->allow, sizeof resp->allow, "GET, HEAD");
            return mp_fail(err, MP_EMETHOD, "method_not_allowed", "use GET for pages");
        }
        int64_t id = 0;
        const char *rest = NULL;
        resp->page_404 = true; /* a browser gets the page "not found" (http.c) */
        req->route = MP_ROUTE_STATIC;
        req->route_pattern = "(static)";
        if (strncmp(req->path, "/r/", 3) == 0 && !match("/r/{id}", req->path, &id, &rest))
            return mp_fail(err, MP_ENOTFOUND, "not_found", "no such report page");
        if (strncmp(req->path, "/m/", 3) == 0 && !mp_region_member(app->region, req->path + 3))
            return mp_fail(err, MP_ENOTFOUND, "not_found", "no such municipality page");
        enum mp_status rc = mp_api_static(app, NULL, req, resp, err);
        if (rc == MP_OK)
            mp_httpcache_answer(app->gzcache, req, resp);
        return rc;
    }
    if (!hit) {
        if (!path_known)
            return mp_fail(err, MP_ENOTFOUND, "not_found", "no such API route: %.100s",
                           req->path);
        snprintf(resp->allow, sizeof resp->allow, "%s%s%s", get ? "GET, HEAD" : "",
                 get && post ? ", " : "", post ? "POST" : "");
        return mp_fail(err, MP_EMETHOD, "method_not_allowed", "%.10s is not allowed here; use %s",
                       req->method, resp->allow);
    }
    struct mp_ctx *ctx = hit->needs_ctx ? mp_app_acquire(app) : NULL;
    enum mp_status rc = hit->handler(app, ctx, req, resp, err);
    mp_app_release(app, ctx);
    /* ETag, 304 and gzip, for every route (a deferred answer is a write). */
    if (rc == MP_OK)
        mp_httpcache_answer(app->gzcache, req, resp);
    return rc;
}
