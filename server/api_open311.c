/* api_open311.c - Open311 GeoReport v2 under /open311/v2/: discovery,
 * services and their definitions, creating and reading service requests,
 * tokens, and FixMyStreet's servicerequestupdates extension, each as XML (the
 * standard's required format) and JSON.
 *
 * Errors use the standard's own document (<errors><error><code/>
 * <description/></error></errors>, or its JSON array) with its HTTP codes:
 * 400 bad input, 403 api_key, 404 unknown resource or jurisdiction. A handler
 * therefore writes the error itself and returns MP_OK with resp->http_status
 * set; a non-OK return would make the HTTP layer write the house JSON error.
 *
 * Where the standard is silent this endpoint is lenient the way deployed
 * clients need: unknown query arguments are ignored, an empty argument counts
 * as absent ("Optional Arguments"), and POST fields may come in the form body
 * or, as the published Swagger files declare them, in the query string.
 *
 * The handlers decode with open311_form.h, ask the Open311 domain
 * (open311.h) and write the answer with open311_doc.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/open311.h"
#include "meldpunt/open311_doc.h"
#include "meldpunt/open311_form.h"
#include "meldpunt/photo.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

#define SPEC_URL "http://wiki.open311.org/GeoReport_v2"
#define BASE_PATH "/open311/v2"

/* ---- shared pieces ---- */

/* The query arguments each GET endpoint takes; anything else is refused.
 * api_key is accepted everywhere (FixMyStreet sends it with its reads). */
#define COMMON_ARGS "jurisdiction_id", "api_key", "locale"
static const char *const args_plain[] = {COMMON_ARGS, NULL};
static const char *const args_list[] = {
    COMMON_ARGS, "service_request_id", "service_code", "start_date", "end_date", "status", "page",
    "page_size", "extensions",         "bbox",         "lat",        "long",     "radius", NULL};
static const char *const args_one[] = {COMMON_ARGS, "extensions", NULL};
static const char *const args_updates[] = {COMMON_ARGS, "start_date", "end_date",
                                           "page",      "page_size",  NULL};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void set_type(struct mp_response *resp, bool xml)
{
    resp->content_type = xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8";
}

/* Answer with the standard's error document and HTTP code http. */
__attribute__((format(printf, 4, 0))) static enum mp_status
o311_vfail(struct mp_response *resp, bool xml, int http, const char *fmt, va_list ap)
{
    char text[240];
    int n = vsnprintf(text, sizeof text, fmt, ap);
    if (n < 0)
        snprintf(text, sizeof text, "the request failed");
    mp_buf_reset(&resp->body);
    resp->body.failed = false;
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_arr(&w, "errors", "error");
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_int(&w, "code", http);
    mp_open311_doc_str(&w, "description", text);
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    resp->http_status = http;
    resp->cache = NULL;
    resp->static_body = NULL;
    set_type(resp, xml);
    return mp_open311_doc_status(&w);
}

__attribute__((format(printf, 4, 5))) static enum mp_status
o311_fail(struct mp_response *resp, bool xml, int http, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum mp_status rc = o311_vfail(resp, xml, http, fmt, ap);
    va_end(ap);
    return rc;
}

/* A refusal of the request's arguments, as the standard's error document. */
static enum mp_status refused(struct mp_response *resp, bool xml,
                              const struct mp_open311_refusal *why)
{
    return o311_fail(resp, xml, why->http, "%s", why->text);
}

/* A domain failure (err from report.c, auth.c, the store) in the standard's
 * shape: client mistakes are 400/403/404 as the standard asks; the server's
 * own trouble keeps its 5xx so that clients retry instead of giving up. */
static enum mp_status o311_from(struct mp_response *resp, bool xml, enum mp_status st,
                                const struct mp_error *err)
{
    int http;
    switch (st) {
    case MP_EINVAL:
    case MP_ECONFLICT:
    case MP_ETOOBIG:
    case MP_EMEDIATYPE: http = 400; break;
    case MP_EAUTH:
    case MP_EFORBIDDEN: http = 403; break;
    case MP_ENOTFOUND: http = 404; break;
    case MP_EUNSUPPORTED:
        return o311_fail(resp, xml, 501, "%s",
                         "this server's storage engine does not offer this operation yet");
    default:
        fprintf(stderr, "meldpunt: open311: %s: %s\n", mp_status_name(st),
                err && err->text[0] ? err->text : "-");
        if (st == MP_EUNAVAIL || st == MP_ENOMEM) {
            resp->retry_after = 5;
            return o311_fail(resp, xml, 503, "%s",
                             err && err->text[0] ? err->text : "busy; try again later");
        }
        return o311_fail(resp, xml, 500, "the server could not complete the request");
    }
    return o311_fail(resp, xml, http, "%s",
                     err && err->text[0] ? err->text : "the request could not be completed");
}

/* An optional argument: empty counts as absent, as the standard says. */
static const char *arg(const struct mp_request *req, const char *name)
{
    return mp_open311_form_arg(req, name);
}

/* The query names only arguments of allowed, and jurisdiction_id, when
 * given, is ours; false with the error document written otherwise. */
static bool args_ok_in(const struct mp_app *app, const struct mp_request *req,
                       const char *const *allowed, struct mp_response *resp, bool xml,
                       const struct mp_city **member, enum mp_status *rc)
{
    struct mp_open311_refusal why;
    if (mp_open311_form_known_args(req, allowed, &why) &&
        mp_open311_form_jurisdiction(app->region, app->city, arg(req, "jurisdiction_id"), member,
                                     &why))
        return true;
    *rc = refused(resp, xml, &why);
    return false;
}

static bool args_ok(const struct mp_app *app, const struct mp_request *req,
                    const char *const *allowed, struct mp_response *resp, bool xml,
                    enum mp_status *rc)
{
    return args_ok_in(app, req, allowed, resp, xml, NULL, rc);
}

/* Texts in the language asked for by locale (nl, nl-NL, nl_BE...), else English. */
static const char *lang_of(const struct mp_request *req)
{
    const char *l = arg(req, "locale");
    if (l && strncasecmp(l, "nl", 2) == 0 && (l[2] == '\0' || l[2] == '-' || l[2] == '_'))
        return "nl";
    return "en";
}

/* Split "NAME.json" / "NAME.xml" (a path segment) into name and format. */
static bool split_resource(const char *seg, char *name, size_t cap, bool *xml)
{
    const char *dot = seg ? strrchr(seg, '.') : NULL;
    if (!dot)
        return false;
    /* The format first, so that even a bad name is answered in it. */
    if (strcmp(dot, ".xml") == 0)
        *xml = true;
    else if (strcmp(dot, ".json") == 0)
        *xml = false;
    else
        return false;
    if (dot == seg || (size_t)(dot - seg) >= cap)
        return false;
    memcpy(name, seg, (size_t)(dot - seg));
    name[dot - seg] = '\0';
    return true;
}

static enum mp_status finish(struct mp_response *resp, const struct mp_open311_doc *w, bool xml)
{
    if (w->broken || w->depth != 0) {
        fprintf(stderr, "meldpunt: open311: document nesting broken for %s\n",
                xml ? "XML" : "JSON");
        return o311_fail(resp, xml, 500, "the server could not complete the request");
    }
    enum mp_status rc = mp_open311_doc_status(w);
    if (rc == MP_ETOOBIG)
        return o311_fail(resp, xml, 400, "the answer grew too large; ask for a smaller page_size");
    if (rc) {
        resp->retry_after = 5;
        return o311_fail(resp, xml, 503, "out of memory; try again later");
    }
    set_type(resp, xml);
    return MP_OK;
}

/* ---- discovery ---- */

enum mp_status mp_api_open311_discovery(struct mp_app *app, struct mp_ctx *ctx,
                                        const struct mp_request *req, struct mp_response *resp,
                                        struct mp_error *err)
{
    (void)ctx;
    (void)err;
    bool xml = ends_with(req->path, ".xml");
    char base[MP_PUBLIC_BASE_MAX], url[MP_PUBLIC_BASE_MAX + sizeof BASE_PATH];
    char path[600], changeset[32] = "";
    struct stat sb;
    enum mp_status rc;
    if (!args_ok(app, req, args_plain, resp, xml, &rc))
        return rc;
    mp_req_public_base(req, base, sizeof base);
    snprintf(url, sizeof url, "%s%s", base, BASE_PATH);
    /* The changeset tells clients when to refresh cached service
     * definitions, and those come from the pack's categories.json. */
    int n = snprintf(path, sizeof path, "%s/categories.json", app->city->dir);
    if (n > 0 && (size_t)n < sizeof path && stat(path, &sb) == 0)
        mp_time_format((int64_t)sb.st_mtime, changeset, sizeof changeset);
    char contact[240], key_service[240];
    snprintf(contact, sizeof contact,
             "The meldpunt street-defect service of %.60s; ask the city's meldpunt "
             "administrators for help with this API.",
             app->city->name);
    snprintf(key_service, sizeof key_service,
             "Reading needs no key. To submit requests, ask the meldpunt administrators of "
             "%.60s for an API key (an account with the role client).",
             app->city->name);

    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_obj(&w, "discovery");
    mp_open311_doc_str(&w, "changeset", changeset);
    mp_open311_doc_str(&w, "contact", contact);
    mp_open311_doc_str(&w, "key_service", key_service);
    mp_open311_doc_arr(&w, "endpoints", "endpoint");
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_str(&w, "specification", SPEC_URL);
    mp_open311_doc_str(&w, "url", url);
    mp_open311_doc_str(&w, "changeset", changeset);
    mp_open311_doc_str(&w, "type", "production");
    mp_open311_doc_arr(&w, "formats", "format");
    mp_open311_doc_str(&w, NULL, "text/xml");
    mp_open311_doc_str(&w, NULL, "application/json");
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    /* A region: one jurisdiction per municipality (an extension of the
     * discovery document; jurisdiction_id takes any of these ids). */
    if (!app->region->of_one) {
        mp_open311_doc_arr(&w, "jurisdictions", "jurisdiction");
        for (size_t i = 0; i < app->region->nmembers; i++) {
            const struct mp_city *m = app->region->members[i].city;
            mp_open311_doc_obj(&w, NULL);
            mp_open311_doc_str(&w, "jurisdiction_id", m->id);
            mp_open311_doc_str(&w, "name", m->name);
            mp_open311_doc_end(&w);
        }
        mp_open311_doc_end(&w);
    }
    mp_open311_doc_end(&w);
    resp->cache = "public, max-age=300";
    return finish(resp, &w, xml);
}

/* ---- services ---- */

enum mp_status mp_api_open311_services(struct mp_app *app, struct mp_ctx *ctx,
                                       const struct mp_request *req, struct mp_response *resp,
                                       struct mp_error *err)
{
    (void)ctx;
    (void)err;
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc;
    const struct mp_city *member = NULL;
    if (!args_ok_in(app, req, args_plain, resp, xml, &member, &rc))
        return rc;
    json_t *services = mp_open311_services(member ? member : app->city);
    if (!services)
        return o311_fail(resp, xml, 503, "the service list is not available right now");
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_services(&w, services, lang_of(req));
    json_decref(services);
    resp->cache = "public, max-age=300";
    return finish(resp, &w, xml);
}

enum mp_status mp_api_open311_service_def(struct mp_app *app, struct mp_ctx *ctx,
                                          const struct mp_request *req, struct mp_response *resp,
                                          struct mp_error *err)
{
    (void)ctx;
    (void)err;
    char code[64];
    bool xml = true;
    enum mp_status rc;
    if (!split_resource(req->path_rest, code, sizeof code, &xml))
        return o311_fail(resp, xml, 404,
                         "no such resource: ask for services/SERVICE_CODE.xml or .json");
    const struct mp_city *member = NULL;
    if (!args_ok_in(app, req, args_plain, resp, xml, &member, &rc))
        return rc;
    json_t *services = mp_open311_services(member ? member : app->city);
    if (!services)
        return o311_fail(resp, xml, 503, "the service list is not available right now");
    const json_t *service = mp_open311_service(services, code);
    if (!service) {
        json_decref(services);
        return o311_fail(resp, xml, 404,
                         "service_code '%.48s' was not found; services.%s lists them", code,
                         xml ? "xml" : "json");
    }
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_service_def(&w, service, code, lang_of(req));
    json_decref(services);
    resp->cache = "public, max-age=300";
    return finish(resp, &w, xml);
}

/* ---- service requests ---- */

struct render {
    struct mp_open311_doc *w;
    struct mp_open311_view v;
    struct mp_ctx *ctx;
    json_t *services; /* owned: for the extension's attribute labels */
    enum mp_status rc;
};

static int note_row(void *p, const struct mp_history_row *h)
{
    struct render *r = p;
    mp_open311_doc_note(r->w, &r->v, h);
    return 0;
}

static int render_row(void *p, const struct mp_open311_row *row)
{
    struct render *r = p;
    struct mp_open311_doc *w = r->w;
    mp_open311_doc_request(w, &r->v, row);
    if (r->v.extensions) {
        mp_open311_doc_arr(w, "notes", "note");
        enum mp_status rc = mp_open311_notes(r->ctx, row, note_row, r);
        mp_open311_doc_end(w);
        if (rc) {
            r->rc = rc;
            mp_open311_doc_end(w);
            return 1;
        }
    }
    mp_open311_doc_end(w);
    return w->b->failed ? 1 : 0;
}

static void render_init(struct render *r, struct mp_open311_doc *w, struct mp_app *app,
                        struct mp_ctx *ctx, const struct mp_request *req, const char *base)
{
    const char *ext = arg(req, "extensions");
    memset(r, 0, sizeof *r);
    r->w = w;
    r->ctx = ctx;
    r->v.city = app->city;
    r->v.tz = app->tz;
    r->v.base = base;
    r->v.lang = lang_of(req);
    r->v.extensions = ext && strcasecmp(ext, "true") == 0;
    r->services = r->v.extensions ? mp_open311_services(app->city) : NULL;
    r->v.services = r->services;
}

static enum mp_status unavailable(struct mp_response *resp, bool xml, enum mp_status rc)
{
    struct mp_error e;
    mp_fail(&e, rc, "unavailable", "cannot read service requests right now; try again later");
    return o311_from(resp, xml, rc, &e);
}

/* member: jurisdiction_id's municipality (NULL: the whole), whose
 * requests alone the answer holds. */
static bool list_by_ids(struct mp_ctx *ctx, const char *list, const char *member,
                        struct render *r, struct mp_response *resp, bool xml)
{
    int64_t ids[MP_OPEN311_MAX_IDS];
    size_t n;
    struct mp_open311_refusal why;
    if (!mp_open311_form_ids(list, ids, &n, &why)) {
        (void)refused(resp, xml, &why);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        /* The standard names no error for unknown ids in a list: they are
         * simply not in the answer. */
        enum mp_status rc = mp_open311_request_in(ctx, ids[i], member, render_row, r);
        if (rc == MP_OK && r->rc)
            rc = r->rc;
        if (rc && rc != MP_ENOTFOUND) {
            (void)unavailable(resp, xml, rc);
            return false;
        }
    }
    return true;
}

enum mp_status mp_api_open311_requests_list(struct mp_app *app, struct mp_ctx *ctx,
                                            const struct mp_request *req, struct mp_response *resp,
                                            struct mp_error *err)
{
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc = MP_OK;
    const struct mp_city *member = NULL;
    if (!args_ok_in(app, req, args_list, resp, xml, &member, &rc))
        return rc;
    const char *member_id = member ? member->id : NULL;
    /* A list reads up to a page of rows after an offset: an expensive read. */
    if ((rc = mp_req_take_read(req, resp, err)))
        return rc;
    char base[MP_PUBLIC_BASE_MAX];
    mp_req_public_base(req, base, sizeof base);
    struct mp_open311_doc w;
    struct render r;
    struct mp_open311_refusal why;
    mp_open311_doc_init(&w, &resp->body, xml);
    render_init(&r, &w, app, ctx, req, base);
    mp_open311_doc_arr(&w, "service_requests", "request");

    const char *ids = arg(req, "service_request_id");
    if (ids) {
        /* "This overrides all other arguments." */
        if (!list_by_ids(ctx, ids, member_id, &r, resp, xml))
            goto out;
    } else {
        struct mp_open311_query q;
        struct mp_open311_filters f;
        memset(&q, 0, sizeof q);
        q.municipality = member_id;
        if (!mp_open311_form_window(req, app->tz, mp_time_now(), &q.since, &q.until, &why) ||
            !mp_open311_form_page(req, &q.limit, &q.offset, &why) ||
            !mp_open311_form_filters(app->city, req, &f, &why) ||
            !mp_open311_form_area(req, &q, &why)) {
            rc = refused(resp, xml, &why);
            goto out;
        }
        if (f.ncodes) {
            q.categories = f.codes;
            q.ncategories = f.ncodes;
        }
        if (f.nstatuses) {
            q.statuses = f.statuses;
            q.nstatuses = f.nstatuses;
        }
        rc = mp_open311_requests(ctx, &q, render_row, &r);
        if (rc == MP_OK && r.rc)
            rc = r.rc;
        if (rc) {
            rc = unavailable(resp, xml, rc);
            goto out;
        }
    }
    mp_open311_doc_end(&w);
    rc = finish(resp, &w, xml);
out:
    json_decref(r.services);
    return rc;
}

enum mp_status mp_api_open311_request_get(struct mp_app *app, struct mp_ctx *ctx,
                                          const struct mp_request *req, struct mp_response *resp,
                                          struct mp_error *err)
{
    (void)err;
    char name[32];
    bool xml = true;
    long long id = 0;
    if (!split_resource(req->path_rest, name, sizeof name, &xml))
        return o311_fail(resp, xml, 404,
                         "no such resource: ask for requests/SERVICE_REQUEST_ID.xml or .json");
    enum mp_status rc;
    const struct mp_city *member = NULL;
    if (!args_ok_in(app, req, args_one, resp, xml, &member, &rc))
        return rc;
    if (!mp_open311_form_uint(name, 1, INT64_MAX, &id))
        return o311_fail(resp, xml, 404, "service_request_id '%.24s' was not found", name);
    char base[MP_PUBLIC_BASE_MAX];
    mp_req_public_base(req, base, sizeof base);
    struct mp_open311_doc w;
    struct render r;
    mp_open311_doc_init(&w, &resp->body, xml);
    render_init(&r, &w, app, ctx, req, base);
    /* The standard answers one request as a list of one. */
    mp_open311_doc_arr(&w, "service_requests", "request");
    rc = mp_open311_request_in(ctx, id, member ? member->id : NULL, render_row, &r);
    if (rc == MP_OK && r.rc)
        rc = r.rc;
    json_decref(r.services);
    if (rc == MP_ENOTFOUND && member)
        return o311_fail(resp, xml, 404,
                         "service_request_id '%lld' was not found in jurisdiction_id '%.48s'", id,
                         member->id);
    if (rc == MP_ENOTFOUND)
        return o311_fail(resp, xml, 404, "service_request_id '%lld' was not found", id);
    if (rc)
        return unavailable(resp, xml, rc);
    mp_open311_doc_end(&w);
    return finish(resp, &w, xml);
}

enum mp_status mp_api_open311_token(struct mp_app *app, struct mp_ctx *ctx,
                                    const struct mp_request *req, struct mp_response *resp,
                                    struct mp_error *err)
{
    (void)ctx;
    (void)err;
    char name[80];
    bool xml = true;
    if (!split_resource(req->path_rest, name, sizeof name, &xml))
        return o311_fail(resp, xml, 404, "no such resource: ask for tokens/TOKEN.xml or .json");
    enum mp_status rc;
    if (!args_ok(app, req, args_plain, resp, xml, &rc))
        return rc;
    /* Every service is "realtime": POST answers with the service_request_id
     * at once, so no token is ever handed out. */
    return o311_fail(resp, xml, 404,
                     "token '%.40s' was not found: this endpoint creates requests in real time "
                     "and answers POST with the service_request_id, never with a token",
                     name);
}

/* ---- servicerequestupdates (FixMyStreet's extension) ---- */

/* FixMyStreet's update statuses for our workflow statuses. */
static const char *fms_status(const char *s)
{
    const struct mp_vocab_status *v = mp_vocab_status_find(s);
    return v ? v->fixmystreet : "CLOSED";
}

struct updates_ctx {
    struct mp_open311_doc *w;
    const struct mp_tz *tz;
};

static int update_row(void *p, const struct mp_open311_update *u)
{
    struct updates_ctx *uc = p;
    char uid[48], rid[24];
    /* One history entry is an update of every request in the cluster: the
     * pair names it uniquely. */
    snprintf(uid, sizeof uid, "%lld-%lld", (long long)u->history_id, (long long)u->report_id);
    snprintf(rid, sizeof rid, "%lld", (long long)u->report_id);
    mp_open311_doc_obj(uc->w, NULL);
    mp_open311_doc_str(uc->w, "update_id", uid);
    mp_open311_doc_str(uc->w, "service_request_id", rid);
    mp_open311_doc_str(uc->w, "status", fms_status(u->status));
    mp_open311_doc_time(uc->w, "updated_datetime", u->at, uc->tz);
    mp_open311_doc_str(uc->w, "description", u->note ? u->note : "");
    if (u->media_url)
        mp_open311_doc_str(uc->w, "media_url", u->media_url);
    mp_open311_doc_end(uc->w);
    return uc->w->b->failed ? 1 : 0;
}

enum mp_status mp_api_open311_updates(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    (void)err;
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc;
    int64_t since, until;
    size_t limit, offset;
    struct mp_open311_refusal why;
    if (!args_ok(app, req, args_updates, resp, xml, &rc))
        return rc;
    if (!mp_open311_form_window(req, app->tz, mp_time_now(), &since, &until, &why) ||
        !mp_open311_form_page(req, &limit, &offset, &why))
        return refused(resp, xml, &why);
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_arr(&w, "service_request_updates", "request_update");
    struct updates_ctx uc = {&w, app->tz};
    rc = mp_open311_updates(ctx, since, until, limit, offset, update_row, &uc);
    if (rc)
        return unavailable(resp, xml, rc);
    mp_open311_doc_end(&w);
    return finish(resp, &w, xml);
}

/* ---- POST servicerequestupdates (FixMyStreet's extension) ---- */

/* The account behind the POST's api_key (role client or above); false with
 * the standard's 403 (or 503) written otherwise. what names the call in the
 * error text, as FixMyStreet's own server words it. */
static bool client_ok(struct mp_ctx *ctx, const struct mp_request *req, struct mp_response *resp,
                      bool xml, const char *what, struct mp_principal *who, enum mp_status *rc)
{
    struct mp_error aerr;
    const char *key = mp_open311_form_field(req, "api_key");
    if (!key) {
        *rc = o311_fail(resp, xml, 403, "api_key is missing -- can't proceed with %s", what);
        return false;
    }
    enum mp_status ast = mp_auth_token(ctx, key, who, &aerr);
    if (ast == MP_EUNAVAIL) {
        *rc = o311_from(resp, xml, ast, &aerr);
        return false;
    }
    if (ast != MP_OK || !mp_role_at_least(who->role, MP_ROLE_CLIENT)) {
        /* A wrong key is a failed sign-in: counted like a bad token (429 past
         * the allowance), so that keys cannot be guessed at full speed. */
        if (ast != MP_OK)
            mp_req_signin_failed(req);
        *rc = o311_fail(resp, xml, 403, "Invalid api_key received -- can't proceed with %s", what);
        return false;
    }
    return true;
}

enum mp_status mp_api_open311_update_create(struct mp_app *app, struct mp_ctx *ctx,
                                            const struct mp_request *req, struct mp_response *resp,
                                            struct mp_error *err)
{
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc;
    struct mp_open311_refusal why;
    struct mp_principal who;
    struct mp_open311_update_in u;
    struct mp_open311_update_out res;
    if (!mp_open311_form_body(req, &why))
        return refused(resp, xml, &why);
    /* The key first: without a valid one nothing else is looked at. */
    if (!client_ok(ctx, req, resp, xml, "post_service_request_update", &who, &rc))
        return rc;
    if (!mp_open311_form_update(app->region, app->city, app->tz, req, &u, &why))
        return refused(resp, xml, &why);
    if ((rc = mp_open311_post_update(ctx, &who, &u, &res, err)))
        return o311_from(resp, xml, rc, err);
    char uid[48];
    /* The id GET servicerequestupdates gives the same update, so that a
     * client recognises its own update when it reads the updates back. */
    snprintf(uid, sizeof uid, "%lld-%lld", (long long)res.history_id, (long long)res.report_id);
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_arr(&w, "service_request_updates", "request_update");
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_str(&w, "update_id", uid);
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    return finish(resp, &w, xml);
}

/* ---- POST requests ---- */

enum mp_status mp_api_open311_requests_create(struct mp_app *app, struct mp_ctx *ctx,
                                              const struct mp_request *req,
                                              struct mp_response *resp, struct mp_error *err)
{
    (void)app;
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc;
    struct mp_open311_submission s;
    struct mp_open311_refusal why;
    struct mp_principal who;
    struct mp_photo photo;
    struct mp_photo_rec prec;
    memset(&s, 0, sizeof s);
    memset(&photo, 0, sizeof photo);

    if (!mp_open311_form_body(req, &why)) {
        rc = refused(resp, xml, &why);
        goto out;
    }
    /* The key first: without a valid one nothing else is looked at. */
    if (!client_ok(ctx, req, resp, xml, "create_request", &who, &rc))
        goto out;
    if (!mp_open311_form_submission(ctx, req, xml, &s, &why)) {
        rc = refused(resp, xml, &why);
        goto out;
    }
    /* A photo sent as a file (FixMyStreet's multipart upload) is the
     * report's photo, cleaned like a web upload; a report keeps one, so
     * further files are left out. */
    const struct mp_form_field *file = mp_open311_form_first_file(req);
    if (file) {
        struct mp_photo_limits lim;
        struct mp_error perr;
        mp_photo_limits_default(&lim);
        if ((rc = mp_photo_process((const unsigned char *)file->value.data, file->value.len, &lim,
                                   &photo, &perr))) {
            rc = o311_fail(resp, xml, rc == MP_ENOMEM ? 503 : 400, "media file '%.60s': %s",
                           file->name, perr.text);
            goto out;
        }
        prec = mp_photo_rec_of(&photo);
        s.report.photo = &prec;
    }
    struct mp_submit_result res;
    if ((rc = mp_open311_submit(ctx, &who, &s, &res, err))) {
        rc = o311_from(resp, xml, rc, err);
        goto out;
    }
    char id[24], notice[200] = "";
    snprintf(id, sizeof id, "%lld", (long long)res.report_id);
    if (res.joined)
        mp_open311_doc_notice(notice, sizeof notice, res.cluster_count);
    struct mp_open311_doc w;
    mp_open311_doc_init(&w, &resp->body, xml);
    mp_open311_doc_arr(&w, "service_requests", "request");
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_str(&w, "service_request_id", id);
    mp_open311_doc_str(&w, "service_notice", res.joined ? notice : NULL);
    mp_open311_doc_str(&w, "account_id", s.account_id);
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    rc = finish(resp, &w, xml);
out:
    mp_report_input_clear(&s.report);
    mp_photo_clear(&photo);
    return rc;
}
