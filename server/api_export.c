/* api_export.c - GET /api/v1/export: reports or clusters as GeoJSON,
 * GeoJSON text sequences or CSV, streamed from a database cursor.
 *
 * The body is pulled by libmicrohttpd through resp->stream after the
 * handler has returned and its worker slot is back in the pool, so the
 * producer owns a private read-only connection (mp_export_open_path): a slow
 * client never holds a pooled session, and any number of downloads cannot
 * starve the request handlers of connections. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/export.h"
#include "meldpunt/region.h"
#include "meldpunt/timeutil.h"

/* What the stream owns: the export, and its place among the running ones. */
struct running {
    struct mp_app *app;
    struct mp_export *x;
};

static long stream_read(void *ctx, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    return mp_export_read(((struct running *)ctx)->x, out, max);
}

static void stream_free(void *ctx)
{
    struct running *r = ctx;
    mp_export_free(r->x);
    mp_app_export_end(r->app);
    free(r);
}

enum mp_status mp_api_export(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                             struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"format", "what", "bbox", "category", "status",
                                          "district", "since", "until", "municipality", NULL};
    enum mp_status rc;
    struct mp_query q;
    char *scratch = NULL;
    struct mp_export *x = NULL;
    struct running *run = NULL;
    bool counted = false;
    /* A region of several members says whose each row is, as its OGC
     * features do; a city pack's documents stay as they were. */
    struct mp_export_opts o = {.city = app->city,
                               .with_municipality = app->region && !app->region->of_one};
    const char *v;
    if ((rc = mp_api_check_params(req, allowed, err)))
        goto out;
    if ((v = mp_req_query(req, "format")) && (rc = mp_export_format_parse(v, &o.format, err)))
        goto out;
    if ((v = mp_req_query(req, "what")) && (rc = mp_export_what_parse(v, &o.what, err)))
        goto out;
    if ((rc = mp_api_parse_query(app, req, &q, &scratch, err)))
        goto out;
    q.limit = 0; /* everything that matches */

    /* Staff see internal fields; a wrong token is an error rather than a
     * silent downgrade to the public export. */
    const char *auth = mp_req_header(req, "Authorization");
    struct mp_principal who;
    if (auth) {
        if ((rc = mp_auth_bearer(ctx, auth, &who, err)))
            goto out;
        o.internal = mp_role_at_least(who.role, MP_ROLE_DISPATCHER);
        o.who = &who;
    }
    o.municipality = mp_req_query(req, "municipality");
    /* Every export costs its client a token of the expensive-read bucket. */
    if ((rc = mp_req_take_read(req, resp, err)))
        goto out;
    if (!(counted = mp_app_export_begin(app))) {
        rc = mp_fail(err, MP_EUNAVAIL, "busy",
                     "%u exports are already streaming, the most this server runs at once;"
                     " try again in a minute",
                     app->cfg->max_exports);
        resp->retry_after = 30;
        goto out;
    }
    if (!(run = malloc(sizeof *run))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory");
        goto out;
    }
    if ((rc = mp_export_open_path(app->cfg->db_path, &q, &o, &x, err)))
        goto out;
    if (o.internal) {
        char detail[96];
        snprintf(detail, sizeof detail, "{\"what\":\"%s\",\"format\":\"%s\"}",
                 o.what == MP_EXPORT_CLUSTERS ? "clusters" : "reports",
                 mp_export_extension(o.format));
        if (mp_auth_audit(ctx, &who, "export", o.what == MP_EXPORT_CLUSTERS ? "cluster" : "report",
                          0, detail) != MP_OK) {
            /* An export staff cannot be held to account for does not leave. */
            rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot record the export right now");
            goto out;
        }
    }
    char day[32];
    mp_time_format(mp_time_now(), day, sizeof day);
    snprintf(resp->disposition, sizeof resp->disposition,
             "attachment; filename=\"meldpunt-%s-%.4s%.2s%.2s.%s\"",
             o.what == MP_EXPORT_CLUSTERS ? "clusters" : "reports", day, day + 5, day + 8,
             mp_export_extension(o.format));
    resp->content_type = mp_export_content_type(o.format);
    resp->cache = "no-store";
    run->app = app;
    run->x = x;
    resp->stream = stream_read;
    resp->stream_ctx = run;
    resp->stream_free = stream_free; /* from here on it ends the count */
    x = NULL;
    run = NULL;
    counted = false;
out:
    if (counted)
        mp_app_export_end(app);
    free(run);
    mp_export_free(x);
    free(scratch);
    return rc;
}
