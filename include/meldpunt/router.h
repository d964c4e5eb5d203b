/* router.h - the static table of method, path pattern and handler, and the
 * dispatch of one request through it (404 for unknown routes, 405 with Allow
 * for known routes and the wrong method).
 *
 * Thread-safe: the table is constant.
 */
#ifndef MELDPUNT_ROUTER_H
#define MELDPUNT_ROUTER_H

#include "meldpunt/app.h"
#include "meldpunt/http.h"

/* Route req to its handler, borrowing a worker context when the handler
 * needs one. Returns the handler's status; err is filled on failure. */
enum mp_status mp_router_dispatch(struct mp_app *app, struct mp_request *req,
                                  struct mp_response *resp, struct mp_error *err) MP_WUR;

/* The table for /metrics and the access log: its number of routes, and the
 * method and pattern of route i < mp_router_count() (static strings). A
 * dispatched request carries its route's index in req->route (http.h). */
size_t mp_router_count(void);
void mp_router_route(size_t i, const char **method, const char **pattern);

#endif
