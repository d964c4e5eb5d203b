/* api.h - the JSON API handlers and the helpers they share for decoding
 * query parameters. Handlers decode and validate input, call the domain and
 * encode the answer; they return a status and never an HTTP code (the HTTP
 * layer maps it), except for the few codes that have no status.
 *
 * Threads: a handler runs on one HTTP thread with a borrowed worker context.
 */
#ifndef MELDPUNT_API_H
#define MELDPUNT_API_H

#include "meldpunt/app.h"
#include "meldpunt/auth.h"
#include "meldpunt/http.h"
#include "meldpunt/model.h"

typedef enum mp_status (*mp_handler)(struct mp_app *app, struct mp_ctx *ctx,
                                     const struct mp_request *req, struct mp_response *resp,
                                     struct mp_error *err);

/* Reject query parameters not in allowed (NULL-terminated list). */
enum mp_status mp_api_check_params(const struct mp_request *req, const char *const *allowed,
                                   struct mp_error *err) MP_WUR;
/* The body as a JSON object (jansson's json_t, caller json_decref()s *out,
 * also on error) whose members are all in allowed (NULL-terminated):
 * MP_EMEDIATYPE "unsupported_media_type" unless application/json,
 * MP_EINVAL "invalid_json" / "unknown_field". */
struct json_t;
enum mp_status mp_api_json_object(const struct mp_request *req, const char *const *allowed,
                                  struct json_t **out, struct mp_error *err) MP_WUR;
/* Fill q from the listing parameters (bbox, category, status, district,
 * since, until, limit, cursor). Strings in q borrow from req and from a
 * scratch copy kept in *scratch (free() it after use). */
enum mp_status mp_api_parse_query(struct mp_app *app, const struct mp_request *req,
                                  struct mp_query *q, char **scratch,
                                  struct mp_error *err) MP_WUR;
/* The account behind the request's "Authorization: Bearer" header, into
 * *who: MP_EAUTH without a valid token, MP_EFORBIDDEN ("forbidden") for a
 * role below min. */
enum mp_status mp_api_need_role(struct mp_ctx *ctx, const struct mp_request *req,
                                enum mp_role min, struct mp_principal *who,
                                struct mp_error *err) MP_WUR;
/* Split the comma list s in place into items (at most MP_QUERY_MAX_LIST;
 * they borrow from s). what names the parameter in the error text. */
enum mp_status mp_api_split_list(char *s, const char **items, size_t *n, const char *what,
                                 struct mp_error *err) MP_WUR;
/* category=: split s in place as mp_api_split_list does, each item a code
 * of the city's categories ("unknown_category" otherwise). */
enum mp_status mp_api_parse_categories(const struct mp_app *app, char *s, const char **items,
                                       size_t *n, struct mp_error *err) MP_WUR;
/* district=, if given, into *out (borrowed from req): the code of one of
 * the city's districts ("unknown_district" otherwise); *out is left alone
 * without it. */
enum mp_status mp_api_parse_district(const struct mp_app *app, const struct mp_request *req,
                                     const char **out, struct mp_error *err) MP_WUR;
/* Opaque page cursors: encode an id, decode one (MP_EINVAL if not ours). */
void mp_api_cursor_encode(int64_t id, char *out, size_t cap);
enum mp_status mp_api_cursor_decode(const char *s, int64_t *id) MP_WUR;

/* Whether the request's Content-Type is the media type want (compared
 * without case, parameters such as charset ignored). */
bool mp_api_media_is(const struct mp_request *req, const char *want);

/* The file behind a page's address ("/" -> "/index.html", "/r/12" ->
 * "/report.html", "/crew", "/staff", "/stats"), or path itself. Static. */
const char *mp_api_page_file(const char *path);

/* Answers that depend only on the data and the request (public map
 * listings): cache_get tags resp with the data version (etag.h) and returns
 * true when the client's copy (304) or a cached answer is still valid;
 * otherwise it leaves key and version for cache_put, which remembers the
 * answer the handler then built. */
bool mp_api_cache_get(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                      struct mp_response *resp, char *key, size_t cap, int64_t *version);
void mp_api_cache_put(struct mp_app *app, const char *key, int64_t version,
                      const struct mp_response *resp);

/* One page of a paged GeoJSON listing as its row writer sees it. b and
 * city are borrowed for the request. */
struct mp_api_page {
    struct mp_buf *b;
    const struct mp_city *city;
    size_t n, limit;
    int64_t last_id;
    bool more;
};

/* A row writer's first step for the row with this id: false for the row past
 * the page (fetched only to tell that a next page exists; the writer stops
 * there), else writes the separator, counts the row and returns true. */
bool mp_api_page_take(struct mp_api_page *pg, int64_t id);

/* The store call of a listing: feeds the rows matching q to a row writer
 * that writes into pg. */
typedef enum mp_status (*mp_api_page_fetch)(struct mp_ctx *ctx, const struct mp_query *q,
                                            struct mp_api_page *pg);

/* A paged listing (GET with the listing parameters of mp_api_parse_query):
 * answers from the cache when it can, else builds the FeatureCollection with
 * next_cursor and count from one fetch of limit + 1 rows, and caches it.
 * row_bytes > 0 reserves that many bytes a feature up front; what names the
 * rows in the error text ("reports"). */
enum mp_status mp_api_paged_list(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 mp_api_page_fetch fetch, size_t row_bytes, const char *what,
                                 struct mp_error *err) MP_WUR;

/* Handlers */
/* GET /metrics (Prometheus text format): from loopback, or with
 * "Authorization: Bearer MELDPUNT_METRICS_TOKEN"; 403 / 401 otherwise. */
enum mp_status mp_api_metrics(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                              struct mp_response *, struct mp_error *);
enum mp_status mp_api_healthz(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                              struct mp_response *, struct mp_error *);
enum mp_status mp_api_config(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                             struct mp_response *, struct mp_error *);
enum mp_status mp_api_categories(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
enum mp_status mp_api_districts(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                struct mp_response *, struct mp_error *);
enum mp_status mp_api_service_area(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                   struct mp_response *, struct mp_error *);
enum mp_status mp_api_reports_list(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                   struct mp_response *, struct mp_error *);
enum mp_status mp_api_reports_create(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
enum mp_status mp_api_report_get(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
enum mp_status mp_api_report_photo(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                   struct mp_response *, struct mp_error *);
enum mp_status mp_api_clusters_list(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
enum mp_status mp_api_clusters_grid(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
enum mp_status mp_api_cluster_get(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_nearby(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                             struct mp_response *, struct mp_error *);
/* GET /api/v1/places?q=: a corner of two crossing streets as a GeoJSON
 * Feature; ?lat=&lon=: the nearest street and cross street of a point
 * (api_places.c). */
enum mp_status mp_api_places(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                             struct mp_response *, struct mp_error *);
enum mp_status mp_api_places_suggest(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
/* GET /api/v1/streets?bbox=: the city pack's street lines in a small box as
 * GeoJSON, for the map without tiles (api_streets.c). */
enum mp_status mp_api_streets(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                              struct mp_response *, struct mp_error *);
enum mp_status mp_api_static(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                             struct mp_response *, struct mp_error *);

enum mp_status mp_api_cluster_merge(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
enum mp_status mp_api_report_move(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_report_fix_photo(struct mp_app *, struct mp_ctx *,
                                       const struct mp_request *, struct mp_response *,
                                       struct mp_error *);
enum mp_status mp_api_merge_undo(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
enum mp_status mp_api_merge_candidates(struct mp_app *, struct mp_ctx *,
                                       const struct mp_request *, struct mp_response *,
                                       struct mp_error *);

/* Open311 GeoReport v2 (api_open311.c); the format comes from the path. */
enum mp_status mp_api_open311_discovery(struct mp_app *, struct mp_ctx *,
                                        const struct mp_request *, struct mp_response *,
                                        struct mp_error *);
enum mp_status mp_api_open311_services(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                       struct mp_response *, struct mp_error *);
enum mp_status mp_api_open311_service_def(struct mp_app *, struct mp_ctx *,
                                          const struct mp_request *, struct mp_response *,
                                          struct mp_error *);
enum mp_status mp_api_open311_requests_list(struct mp_app *, struct mp_ctx *,
                                            const struct mp_request *, struct mp_response *,
                                            struct mp_error *);
enum mp_status mp_api_open311_requests_create(struct mp_app *, struct mp_ctx *,
                                              const struct mp_request *, struct mp_response *,
                                              struct mp_error *);
enum mp_status mp_api_open311_request_get(struct mp_app *, struct mp_ctx *,
                                          const struct mp_request *, struct mp_response *,
                                          struct mp_error *);
enum mp_status mp_api_open311_token(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
enum mp_status mp_api_open311_updates(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                      struct mp_response *, struct mp_error *);
enum mp_status mp_api_open311_update_create(struct mp_app *, struct mp_ctx *,
                                            const struct mp_request *, struct mp_response *,
                                            struct mp_error *);

/* Exports, statistics, OGC API - Features (issue 6) */
enum mp_status mp_api_export(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                             struct mp_response *, struct mp_error *);
enum mp_status mp_api_stats(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                            struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_landing(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_api(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                              struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_queryables(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_conformance(struct mp_app *, struct mp_ctx *,
                                      const struct mp_request *, struct mp_response *,
                                      struct mp_error *);
enum mp_status mp_api_ogc_collections(struct mp_app *, struct mp_ctx *,
                                      const struct mp_request *, struct mp_response *,
                                      struct mp_error *);
enum mp_status mp_api_ogc_collection(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_items(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                struct mp_response *, struct mp_error *);
enum mp_status mp_api_ogc_item(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                               struct mp_response *, struct mp_error *);

/* Staff, workflow, automation and worklists (issue 5, api_staff.c) */
enum mp_status mp_api_me(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                         struct mp_response *, struct mp_error *);
enum mp_status mp_api_automation(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                 struct mp_response *, struct mp_error *);
enum mp_status mp_api_automation_eval(struct mp_app *, struct mp_ctx *,
                                      const struct mp_request *, struct mp_response *,
                                      struct mp_error *);
enum mp_status mp_api_staff_queue(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_staff_cluster(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                    struct mp_response *, struct mp_error *);
enum mp_status mp_api_staff_crews(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_staff_photo(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                  struct mp_response *, struct mp_error *);
enum mp_status mp_api_cluster_status(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
enum mp_status mp_api_cluster_assign(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                     struct mp_response *, struct mp_error *);
enum mp_status mp_api_worklist(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                               struct mp_response *, struct mp_error *);

/* GET /feeds/reports.atom?district=|lat=&lon=[&radius=]&category=&lang=: the
 * Atom feed of new problems (feed.h). */
enum mp_status mp_api_feed_atom(struct mp_app *, struct mp_ctx *, const struct mp_request *,
                                struct mp_response *, struct mp_error *);

#endif
