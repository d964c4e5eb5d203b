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

#endif
