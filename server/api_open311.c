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
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "meldpunt/api.h"
#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/open311.h"
#include "meldpunt/report.h"
#include "meldpunt/store_open311.h"
#include "meldpunt/streets.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"
#include "meldpunt/vocab.h"

#define SPEC_URL "http://wiki.open311.org/GeoReport_v2"
#define BASE_PATH "/open311/v2"
#define MAX_SPAN_S (90 * 86400) /* the standard's largest start_date..end_date */
#define PAGE_SIZE_MAX 1000      /* and its default page: "first 1000 requests" */
#define PAGE_MAX 1000000
#define MAX_IDS 100         /* service_request_id list */
#define MAX_ATTRS 64        /* attribute[...] fields in one request */
#define ATTR_STRING_MAX 200 /* characters of a string/number/list answer */
#define ID_FIELD_MAX 200    /* device_id, account_id */
#define MEDIA_URL_MAX 1000

/* ---- shared pieces ---- */

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
    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_arr(&w, "errors", "error");
    mp_open311_obj(&w, NULL);
    mp_open311_int(&w, "code", http);
    mp_open311_str(&w, "description", text);
    mp_open311_end(&w);
    mp_open311_end(&w);
    resp->http_status = http;
    resp->cache = NULL;
    resp->static_body = NULL;
    set_type(resp, xml);
    return mp_open311_status(&w);
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

/* The same for the argument checks, which answer whether the request may go
 * on: always false. (Should even the error document fail to build, the HTTP
 * layer sees the failed body and answers 503 itself.) */
__attribute__((format(printf, 4, 5))) static bool refuse(struct mp_response *resp, bool xml,
                                                         int http, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)o311_vfail(resp, xml, http, fmt, ap);
    va_end(ap);
    return false;
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
    case MP_EUNSUPPORTED: http = 400; break;
    case MP_EAUTH:
    case MP_EFORBIDDEN: http = 403; break;
    case MP_ENOTFOUND: http = 404; break;
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
    const char *v = mp_req_query(req, name);
    return v && *v ? v : NULL;
}

/* A POST field from the form body, else from the query string. */
static const char *field(const struct mp_request *req, const char *name)
{
    const struct mp_form_field *f = mp_form_get(req->form, name);
    if (f) {
        if (f->filename[0] || !f->value.data || !f->value.data[0])
            return NULL;
        return f->value.data;
    }
    return arg(req, name);
}

/* jurisdiction_id may be left out (one city per endpoint); if given it must
 * be ours. */
static bool jurisdiction_bad(const struct mp_app *app, const char *j)
{
    return j && strcmp(j, app->city->id) != 0;
}

static enum mp_status jurisdiction_fail(const struct mp_app *app, struct mp_response *resp,
                                        bool xml, const char *j)
{
    return o311_fail(resp, xml, 404,
                     "jurisdiction_id '%.60s' was not found; this endpoint serves '%s'", j,
                     app->city->id);
}

/* scheme://host of this server as the client reached it, for absolute URLs.
 * The Host header is the client's own text: only host-name characters pass. */
static void base_url(const struct mp_request *req, char *out, size_t cap)
{
    const char *host = mp_req_header(req, "Host");
    const char *proto = mp_req_header(req, "X-Forwarded-Proto");
    bool ok = host && *host && strlen(host) <= 200;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr(".-:[]_", *p);
    snprintf(out, cap, "%s://%s", proto && strcasecmp(proto, "https") == 0 ? "https" : "http",
             ok ? host : "localhost");
}

/* Texts in the language asked for by locale (nl, nl-NL, nl_BE...), else English. */
static const char *lang_of(const struct mp_request *req)
{
    const char *l = arg(req, "locale");
    if (l && strncasecmp(l, "nl", 2) == 0 && (l[2] == '\0' || l[2] == '-' || l[2] == '_'))
        return "nl";
    return "en";
}

static const char *text_in(const json_t *o, const char *lang)
{
    if (json_is_string(o))
        return json_string_value(o);
    const char *s = json_string_value(json_object_get(o, lang));
    return s ? s : json_string_value(json_object_get(o, "en"));
}

/* The pack's public category objects: descriptions, keywords and Open311
 * attributes are not part of struct mp_category. New reference or NULL. */
static json_t *load_categories(const struct mp_app *app)
{
    return json_loadb(app->city->categories_json, app->city->categories_json_len, 0, NULL);
}

static const json_t *category_json(const json_t *root, const char *code)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(root, "categories"), i, c)
    {
        const char *cc = json_string_value(json_object_get(c, "code"));
        if (cc && strcmp(cc, code) == 0)
            return c;
    }
    return NULL;
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

static enum mp_status finish(struct mp_response *resp, const struct mp_open311_writer *w, bool xml)
{
    if (w->broken || w->depth != 0) {
        fprintf(stderr, "meldpunt: open311: document nesting broken for %s\n",
                xml ? "XML" : "JSON");
        return o311_fail(resp, xml, 500, "the server could not complete the request");
    }
    enum mp_status rc = mp_open311_status(w);
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
    char base[256], url[300], path[600], changeset[32] = "";
    struct stat sb;
    base_url(req, base, sizeof base);
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

    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_obj(&w, "discovery");
    mp_open311_str(&w, "changeset", changeset);
    mp_open311_str(&w, "contact", contact);
    mp_open311_str(&w, "key_service", key_service);
    mp_open311_arr(&w, "endpoints", "endpoint");
    mp_open311_obj(&w, NULL);
    mp_open311_str(&w, "specification", SPEC_URL);
    mp_open311_str(&w, "url", url);
    mp_open311_str(&w, "changeset", changeset);
    mp_open311_str(&w, "type", "production");
    mp_open311_arr(&w, "formats", "format");
    mp_open311_str(&w, NULL, "text/xml");
    mp_open311_str(&w, NULL, "application/json");
    mp_open311_end(&w);
    mp_open311_end(&w);
    mp_open311_end(&w);
    mp_open311_end(&w);
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
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
    json_t *root = load_categories(app);
    if (!root)
        return o311_fail(resp, xml, 503, "the service list is not available right now");
    const char *lang = lang_of(req);
    struct mp_buf kw;
    mp_buf_init(&kw, 64 * 1024);
    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_arr(&w, "services", "service");
    size_t i, k;
    const json_t *c, *word;
    json_array_foreach(json_object_get(root, "categories"), i, c)
    {
        const json_t *attrs = json_object_get(c, "attributes");
        mp_buf_reset(&kw);
        mp_buf_add(&kw, "", 0);
        json_array_foreach(json_object_get(c, "keywords"), k, word)
        {
            if (!json_is_string(word))
                continue;
            if (kw.len)
                mp_buf_adds(&kw, ", ");
            mp_buf_adds(&kw, json_string_value(word));
        }
        mp_open311_obj(&w, NULL);
        mp_open311_str(&w, "service_code", json_string_value(json_object_get(c, "code")));
        mp_open311_str(&w, "service_name", text_in(json_object_get(c, "name"), lang));
        mp_open311_str(&w, "description", text_in(json_object_get(c, "description"), lang));
        mp_open311_bool(&w, "metadata", json_array_size(attrs) > 0);
        mp_open311_str(&w, "type", "realtime");
        mp_open311_str(&w, "keywords", kw.len && kw.data ? kw.data : NULL);
        mp_open311_str(&w, "group", json_string_value(json_object_get(c, "group")));
        mp_open311_end(&w);
    }
    mp_open311_end(&w);
    if (kw.failed)
        resp->body.failed = true;
    mp_buf_free(&kw);
    json_decref(root);
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
    if (!split_resource(req->path_rest, code, sizeof code, &xml))
        return o311_fail(resp, xml, 404,
                         "no such resource: ask for services/SERVICE_CODE.xml or .json");
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
    json_t *root = load_categories(app);
    if (!root)
        return o311_fail(resp, xml, 503, "the service list is not available right now");
    const json_t *c = category_json(root, code);
    if (!c) {
        json_decref(root);
        return o311_fail(resp, xml, 404,
                         "service_code '%.48s' was not found; services.%s lists them", code,
                         xml ? "xml" : "json");
    }
    const char *lang = lang_of(req);
    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_obj(&w, "service_definition");
    mp_open311_str(&w, "service_code", code);
    mp_open311_arr(&w, "attributes", "attribute");
    size_t i, k;
    const json_t *a, *v;
    json_array_foreach(json_object_get(c, "attributes"), i, a)
    {
        const json_t *var = json_object_get(a, "variable");
        const json_t *values = json_object_get(a, "values");
        mp_open311_obj(&w, NULL);
        mp_open311_bool(&w, "variable", !json_is_false(var));
        mp_open311_str(&w, "code", json_string_value(json_object_get(a, "code")));
        mp_open311_str(&w, "datatype", json_string_value(json_object_get(a, "datatype")));
        mp_open311_bool(&w, "required", json_is_true(json_object_get(a, "required")));
        mp_open311_str(&w, "datatype_description",
                       text_in(json_object_get(a, "datatype_description"), lang));
        mp_open311_int(&w, "order",
                       json_is_integer(json_object_get(a, "order"))
                           ? json_integer_value(json_object_get(a, "order"))
                           : (json_int_t)i + 1);
        mp_open311_str(&w, "description", text_in(json_object_get(a, "description"), lang));
        if (json_array_size(values) > 0) {
            mp_open311_arr(&w, "values", "value");
            json_array_foreach(values, k, v)
            {
                mp_open311_obj(&w, NULL);
                mp_open311_str(&w, "key", json_string_value(json_object_get(v, "key")));
                mp_open311_str(&w, "name", text_in(json_object_get(v, "name"), lang));
                mp_open311_end(&w);
            }
            mp_open311_end(&w);
        }
        mp_open311_end(&w);
    }
    mp_open311_end(&w);
    mp_open311_end(&w);
    json_decref(root);
    resp->cache = "public, max-age=300";
    return finish(resp, &w, xml);
}

/* ---- dates and pages ---- */

/* A W3C date-time from a query argument. Times with a zone are exact; a date
 * or a time without one is the city's local time. A "+" in an offset that the
 * client did not percent-encode arrives as a space (form decoding of the query
 * string) and is read as "+" again. */
static bool parse_when(const struct mp_tz *tz, const char *v, int64_t *out)
{
    char tmp[48];
    size_t n = strlen(v);
    if (n >= sizeof tmp)
        return false;
    memcpy(tmp, v, n + 1);
    const char *t = strchr(tmp, 'T');
    for (char *p = tmp; t && *p; p++)
        if (*p == ' ' && p > t)
            *p = '+';
    int64_t a, b;
    if (mp_time_parse(tmp, 0, &a) != MP_OK || mp_time_parse(tmp, 3600, &b) != MP_OK)
        return false;
    /* The default offset only matters when the text had no zone. */
    *out = a == b ? a : (tz ? mp_tz_local_to_utc(tz, a) : a);
    return true;
}

struct window {
    int64_t since, until; /* [since, until) */
};

/* The argument parsers below return false when the request is bad, with the
 * standard's error document already written into resp. */
static bool parse_window(const struct mp_app *app, const struct mp_request *req,
                         struct mp_response *resp, bool xml, struct window *win)
{
    const char *sv = arg(req, "start_date"), *ev = arg(req, "end_date");
    int64_t s = 0, e = 0;
    if (sv && !parse_when(app->tz, sv, &s))
        return refuse(resp, xml, 400,
                      "start_date '%.40s' is not a W3C date-time such as 2021-01-31T12:00:00Z "
                      "or 2021-01-31T06:00:00-06:00",
                      sv);
    if (ev && !parse_when(app->tz, ev, &e))
        return refuse(resp, xml, 400,
                      "end_date '%.40s' is not a W3C date-time such as 2021-01-31T12:00:00Z "
                      "or 2021-01-31T06:00:00-06:00",
                      ev);
    /* One side missing: the standard's default window of 90 days. */
    if (!sv && !ev) {
        e = mp_time_now();
        s = e - MAX_SPAN_S;
    } else if (!ev) {
        e = s + MAX_SPAN_S;
    } else if (!sv) {
        s = e - MAX_SPAN_S;
    }
    if (e < s)
        return refuse(resp, xml, 400, "end_date is before start_date");
    if (e - s > MAX_SPAN_S)
        return refuse(resp, xml, 400,
                      "start_date and end_date may span at most 90 days; ask for the rest "
                      "in further windows");
    win->since = s;
    win->until = e + 1; /* end_date is inclusive */
    return true;
}

static bool parse_uint(const char *v, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi || *v == '+' || *v == ' ')
        return false;
    *out = n;
    return true;
}

struct page {
    size_t limit, offset;
};

static bool parse_page(const struct mp_request *req, struct mp_response *resp, bool xml,
                       struct page *pg)
{
    const char *pv = arg(req, "page"), *sv = arg(req, "page_size");
    long long page = 1, size = PAGE_SIZE_MAX;
    if (pv && !parse_uint(pv, 1, PAGE_MAX, &page))
        return refuse(resp, xml, 400, "page must be a whole number from 1 to %d", PAGE_MAX);
    if (sv && !parse_uint(sv, 1, PAGE_SIZE_MAX, &size))
        return refuse(resp, xml, 400, "page_size must be a whole number from 1 to %d",
                      PAGE_SIZE_MAX);
    pg->limit = (size_t)size;
    pg->offset = (size_t)(page - 1) * (size_t)size;
    return true;
}

/* ---- service requests as Open311 shows them ---- */

/* Said when a request was folded into a case that already existed. */
static void notice_text(char *out, size_t cap, int64_t count)
{
    snprintf(out, cap,
             "This problem had already been reported nearby: the request joins an existing "
             "case (%lld reports in all) and is handled with it as one job.",
             (long long)count);
}

/* What Open311 clients see of a workflow status. */
static const char *open_closed(const char *status)
{
    const struct mp_vocab_status *v = mp_vocab_status_find(status);
    return v ? v->open311 : "closed";
}

struct render {
    struct mp_open311_writer *w;
    struct mp_app *app;
    struct mp_ctx *ctx;
    const char *base;
    const char *lang;
    bool extensions;
    json_t *cats; /* pack categories, for the extension's attribute labels */
    enum mp_status rc;
};

/* Public text never carries contact details, even typed into a description. */
static void masked(struct render *r, const char *key, const char *s)
{
    if (!s || !*s) {
        mp_open311_str(r->w, key, NULL);
        return;
    }
    char *m = mp_text_mask_contacts(s);
    if (!m) {
        r->w->b->failed = true;
        return;
    }
    mp_open311_str(r->w, key, m);
    free(m);
}

/* The label of attribute code and the display name of value, from the
 * service definition; the raw texts when the definition changed since.
 * *typed: the value is the citizen's own text, not a key of a list. */
static void attr_texts(const json_t *cat, const char *code, const char *value, const char *lang,
                       const char **label, const char **name, bool *typed)
{
    size_t i, k;
    const json_t *a, *v;
    *label = code;
    *name = value;
    *typed = true;
    json_array_foreach(json_object_get(cat, "attributes"), i, a)
    {
        const char *c = json_string_value(json_object_get(a, "code"));
        if (!c || strcmp(c, code) != 0)
            continue;
        const char *d = text_in(json_object_get(a, "description"), lang);
        *label = d ? d : code;
        json_array_foreach(json_object_get(a, "values"), k, v)
        {
            const char *key = json_string_value(json_object_get(v, "key"));
            if (key && value && strcmp(key, value) == 0) {
                const char *nm = text_in(json_object_get(v, "name"), lang);
                *name = nm ? nm : value;
                *typed = false;
            }
        }
    }
}

static void render_attributes(struct render *r, const struct mp_open311_row *row)
{
    struct mp_open311_writer *w = r->w;
    json_t *attrs = row->attributes ? json_loads(row->attributes, 0, NULL) : NULL;
    const json_t *cat = category_json(r->cats, row->category);
    const char *code;
    json_t *val;
    mp_open311_arr(w, "attributes", "attribute");
    json_object_foreach(attrs, code, val)
    {
        size_t n = json_is_array(val) ? json_array_size(val) : 1;
        for (size_t i = 0; i < n; i++) {
            const json_t *one = json_is_array(val) ? json_array_get(val, i) : val;
            const char *label, *name;
            bool typed;
            if (!json_is_string(one))
                continue;
            attr_texts(cat, code, json_string_value(one), r->lang, &label, &name, &typed);
            mp_open311_obj(w, NULL);
            mp_open311_str(w, "label", label);
            mp_open311_str(w, "name", code);
            /* Typed answers are public text like a description: masked. */
            if (typed) {
                masked(r, "value", name);
                masked(r, "code", json_string_value(one));
            } else {
                mp_open311_str(w, "value", name);
                mp_open311_str(w, "code", json_string_value(one));
            }
            mp_open311_end(w);
        }
    }
    mp_open311_end(w);
    json_decref(attrs);
}

struct notes_ctx {
    struct render *r;
    const struct mp_open311_row *row;
};

static int note_row(void *p, const struct mp_history_row *h)
{
    struct notes_ctx *nc = p;
    if (h->at < nc->row->created_at || (h->report_id && h->report_id != nc->row->id))
        return 0;
    char text[80];
    snprintf(text, sizeof text, "Status: %s", h->status ? h->status : "?");
    mp_open311_obj(nc->r->w, NULL);
    mp_open311_time(nc->r->w, "datetime", h->at, nc->r->app->tz);
    mp_open311_str(nc->r->w, "description",
                   h->note_public && h->note && h->note[0] ? h->note : text);
    mp_open311_str(nc->r->w, "type", h->status);
    mp_open311_end(nc->r->w);
    return 0;
}

static int render_row(void *p, const struct mp_open311_row *row)
{
    struct render *r = p;
    struct mp_open311_writer *w = r->w;
    const struct mp_category *cat = mp_city_category(r->app->city, row->category);
    char id[24], notice[200] = "", media[400];
    snprintf(id, sizeof id, "%lld", (long long)row->id);
    if (row->joined)
        notice_text(notice, sizeof notice, row->cluster_count);
    const char *media_url = row->media_url;
    if (row->has_photo) {
        snprintf(media, sizeof media, "%s/api/v1/reports/%lld/photo", r->base, (long long)row->id);
        media_url = media;
    }
    int64_t due =
        cat ? mp_open311_due(r->app->city, r->app->tz, row->cluster_first_at, cat->service_days)
            : 0;
    mp_open311_obj(w, NULL);
    mp_open311_str(w, "service_request_id", id);
    mp_open311_str(w, "status", open_closed(row->status));
    mp_open311_str(w, "status_notes", row->status_notes);
    mp_open311_str(w, "service_name",
                   cat ? (strcmp(r->lang, "nl") == 0 && cat->name_nl ? cat->name_nl : cat->name_en)
                       : row->category);
    mp_open311_str(w, "service_code", row->category);
    masked(r, "description", row->description);
    mp_open311_str(w, "agency_responsible", cat && cat->department[0] ? cat->department : NULL);
    mp_open311_str(w, "service_notice", row->joined ? notice : NULL);
    mp_open311_time(w, "requested_datetime", row->created_at, r->app->tz);
    mp_open311_time(w, "updated_datetime", row->updated_at, r->app->tz);
    mp_open311_time(w, "expected_datetime", cat && cat->service_days > 0 ? due : 0, r->app->tz);
    masked(r, "address", row->address);
    mp_open311_str(w, "address_id", "");
    mp_open311_str(w, "zipcode", NULL);
    mp_open311_num(w, "lat", row->lat, 7);
    mp_open311_num(w, "long", row->lon, 7);
    mp_open311_str(w, "media_url", media_url);
    if (r->extensions) {
        render_attributes(r, row);
        mp_open311_obj(w, "extended_attributes");
        mp_open311_str(w, "channel", row->channel);
        mp_open311_int(w, "cluster_id", row->cluster_id);
        mp_open311_int(w, "report_count", row->cluster_count);
        mp_open311_str(w, "internal_status", row->status);
        mp_open311_end(w);
        mp_open311_arr(w, "notes", "note");
        struct notes_ctx nc = {r, row};
        enum mp_status rc = mp_store_history(r->ctx->db, row->cluster_id, note_row, &nc);
        mp_open311_end(w);
        if (rc) {
            r->rc = rc;
            mp_open311_end(w);
            return 1;
        }
    }
    mp_open311_end(w);
    return w->b->failed ? 1 : 0;
}

static void render_init(struct render *r, struct mp_open311_writer *w, struct mp_app *app,
                        struct mp_ctx *ctx, const struct mp_request *req, const char *base)
{
    const char *ext = arg(req, "extensions");
    memset(r, 0, sizeof *r);
    r->w = w;
    r->app = app;
    r->ctx = ctx;
    r->base = base;
    r->lang = lang_of(req);
    r->extensions = ext && strcasecmp(ext, "true") == 0;
    r->cats = r->extensions ? load_categories(app) : NULL;
}

static enum mp_status unavailable(struct mp_response *resp, bool xml, enum mp_status rc)
{
    struct mp_error e;
    mp_fail(&e, rc, "unavailable", "cannot read service requests right now; try again later");
    return o311_from(resp, xml, rc, &e);
}

/* Split a comma list in place (bounded). */
static bool split_list(char *s, const char **items, size_t cap, size_t *n)
{
    *n = 0;
    for (char *tok = s, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        while (*tok == ' ')
            tok++;
        if (!*tok || *n >= cap)
            return false;
        items[(*n)++] = tok;
    }
    return true;
}

static bool list_by_ids(struct mp_ctx *ctx, const char *ids, struct render *r,
                        struct mp_response *resp, bool xml)
{
    char copy[MAX_IDS * 21];
    const char *items[MAX_IDS];
    size_t n;
    if (strlen(ids) >= sizeof copy)
        return refuse(resp, xml, 400, "service_request_id lists more than %d ids", MAX_IDS);
    memcpy(copy, ids, strlen(ids) + 1);
    if (!split_list(copy, items, MAX_IDS, &n))
        return refuse(resp, xml, 400, "service_request_id must be up to %d ids separated by commas",
                      MAX_IDS);
    for (size_t i = 0; i < n; i++) {
        long long id;
        if (!parse_uint(items[i], 1, INT64_MAX, &id))
            return refuse(resp, xml, 400, "service_request_id '%.24s' is not a request id",
                          items[i]);
        /* The standard names no error for unknown ids in a list: they are
         * simply not in the answer. */
        enum mp_status rc = mp_store_open311_request(ctx->db, id, render_row, r);
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
    (void)err;
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc = MP_OK;
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
    char base[256];
    base_url(req, base, sizeof base);
    struct mp_open311_writer w;
    struct render r;
    mp_open311_init(&w, &resp->body, xml);
    render_init(&r, &w, app, ctx, req, base);
    mp_open311_arr(&w, "service_requests", "request");

    const char *ids = arg(req, "service_request_id");
    if (ids) {
        /* "This overrides all other arguments." */
        if (!list_by_ids(ctx, ids, &r, resp, xml))
            goto out;
    } else {
        struct window win = {0, 0};
        struct page pg = {0, 0};
        struct mp_open311_query q;
        const char *cats[MP_QUERY_MAX_LIST], *stats[16];
        char codes_copy[MP_QUERY_MAX_LIST * 49], status_copy[64];
        memset(&q, 0, sizeof q);
        if (!parse_window(app, req, resp, xml, &win) || !parse_page(req, resp, xml, &pg))
            goto out;
        const char *codes = arg(req, "service_code"), *status = arg(req, "status");
        if (codes) {
            size_t n;
            if (strlen(codes) >= sizeof codes_copy ||
                !split_list(memcpy(codes_copy, codes, strlen(codes) + 1), cats, MP_QUERY_MAX_LIST,
                            &n)) {
                rc = o311_fail(resp, xml, 400,
                               "service_code must be up to %d codes separated by commas",
                               MP_QUERY_MAX_LIST);
                goto out;
            }
            for (size_t i = 0; i < n; i++)
                if (!mp_city_category(app->city, cats[i])) {
                    rc = o311_fail(resp, xml, 400,
                                   "service_code '%.48s' is not a service of this endpoint",
                                   cats[i]);
                    goto out;
                }
            q.categories = cats;
            q.ncategories = n;
        }
        if (status) {
            const char *items[4];
            size_t n;
            bool want_open = false, want_closed = false;
            if (strlen(status) >= sizeof status_copy ||
                !split_list(memcpy(status_copy, status, strlen(status) + 1), items, 4, &n)) {
                rc = o311_fail(resp, xml, 400, "status must be open, closed or open,closed");
                goto out;
            }
            for (size_t i = 0; i < n; i++) {
                if (strcmp(items[i], "open") == 0)
                    want_open = true;
                else if (strcmp(items[i], "closed") == 0)
                    want_closed = true;
                else {
                    rc =
                        o311_fail(resp, xml, 400, "status '%.24s' is not open or closed", items[i]);
                    goto out;
                }
            }
            if (want_open != want_closed) {
                q.nstatuses = mp_vocab_status_codes(
                    want_open ? MP_VOCAB_OPEN311_OPEN : MP_VOCAB_OPEN311_CLOSED, stats,
                    sizeof stats / sizeof *stats);
                q.statuses = stats;
            }
        }
        q.since = win.since;
        q.until = win.until;
        q.limit = pg.limit;
        q.offset = pg.offset;
        rc = mp_store_open311_requests(ctx->db, &q, render_row, &r);
        if (rc == MP_OK && r.rc)
            rc = r.rc;
        if (rc) {
            rc = unavailable(resp, xml, rc);
            goto out;
        }
    }
    mp_open311_end(&w);
    rc = finish(resp, &w, xml);
out:
    json_decref(r.cats);
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
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
    if (!parse_uint(name, 1, INT64_MAX, &id))
        return o311_fail(resp, xml, 404, "service_request_id '%.24s' was not found", name);
    char base[256];
    base_url(req, base, sizeof base);
    struct mp_open311_writer w;
    struct render r;
    mp_open311_init(&w, &resp->body, xml);
    render_init(&r, &w, app, ctx, req, base);
    /* The standard answers one request as a list of one. */
    mp_open311_arr(&w, "service_requests", "request");
    enum mp_status rc = mp_store_open311_request(ctx->db, id, render_row, &r);
    if (rc == MP_OK && r.rc)
        rc = r.rc;
    json_decref(r.cats);
    if (rc == MP_ENOTFOUND)
        return o311_fail(resp, xml, 404, "service_request_id '%lld' was not found", id);
    if (rc)
        return unavailable(resp, xml, rc);
    mp_open311_end(&w);
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
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
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
    struct mp_open311_writer *w;
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
    mp_open311_obj(uc->w, NULL);
    mp_open311_str(uc->w, "update_id", uid);
    mp_open311_str(uc->w, "service_request_id", rid);
    mp_open311_str(uc->w, "status", fms_status(u->status));
    mp_open311_time(uc->w, "updated_datetime", u->at, uc->tz);
    mp_open311_str(uc->w, "description", u->note ? u->note : "");
    mp_open311_end(uc->w);
    return uc->w->b->failed ? 1 : 0;
}

enum mp_status mp_api_open311_updates(struct mp_app *app, struct mp_ctx *ctx,
                                      const struct mp_request *req, struct mp_response *resp,
                                      struct mp_error *err)
{
    (void)err;
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc;
    const char *j = arg(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j))
        return jurisdiction_fail(app, resp, xml, j);
    struct window win = {0, 0};
    struct page pg = {0, 0};
    if (!parse_window(app, req, resp, xml, &win) || !parse_page(req, resp, xml, &pg))
        return MP_OK;
    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_arr(&w, "service_request_updates", "request_update");
    struct updates_ctx uc = {&w, app->tz};
    rc = mp_store_open311_updates(ctx->db, win.since, win.until, pg.limit, pg.offset, update_row,
                                  &uc);
    if (rc)
        return unavailable(resp, xml, rc);
    mp_open311_end(&w);
    return finish(resp, &w, xml);
}

/* ---- POST requests ---- */

struct attr_in {
    char code[48];
    const char *value; /* borrowed from the request */
};

struct attr_set {
    struct attr_in a[MAX_ATTRS];
    size_t n;
    bool overflow, bad_name;
};

/* "attribute[code]", "attribute[code][]" or "attribute[code][N]" -> code. */
static bool attr_name(const char *name, char *code, size_t cap)
{
    if (strncmp(name, "attribute[", 10) != 0)
        return false;
    const char *s = name + 10, *close = strchr(s, ']');
    if (!close || close == s || (size_t)(close - s) >= cap)
        return false;
    const char *rest = close + 1;
    if (*rest) {
        if (*rest++ != '[')
            return false;
        while (*rest >= '0' && *rest <= '9')
            rest++;
        if (strcmp(rest, "]") != 0)
            return false;
    }
    memcpy(code, s, (size_t)(close - s));
    code[close - s] = '\0';
    return true;
}

static void attr_add(struct attr_set *as, const char *name, const char *value)
{
    char code[48];
    if (strncmp(name, "attribute[", 10) != 0)
        return;
    if (!attr_name(name, code, sizeof code)) {
        as->bad_name = true;
        return;
    }
    if (!value || !*value) /* an empty answer is no answer */
        return;
    if (as->n >= MAX_ATTRS) {
        as->overflow = true;
        return;
    }
    snprintf(as->a[as->n].code, sizeof as->a[as->n].code, "%s", code);
    as->a[as->n++].value = value;
}

static int attr_query(void *p, const char *k, const char *v)
{
    attr_add(p, k, v);
    return 0;
}

static bool list_has_key(const json_t *values, const char *key)
{
    size_t i;
    const json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *k = json_string_value(json_object_get(v, "key"));
        if (k && strcmp(k, key) == 0)
            return true;
    }
    return false;
}

/* Check one answer against its definition; the value to store in *out. */
static bool attr_value_ok(const json_t *def, const char *code, const char *v, char *msg, size_t cap,
                          json_t **out)
{
    const char *type = json_string_value(json_object_get(def, "datatype"));
    long chars = mp_utf8_chars(v, strlen(v));
    *out = NULL;
    type = type ? type : "string";
    if (chars < 0) {
        snprintf(msg, cap, "attribute[%s] must be UTF-8 text without control characters", code);
        return false;
    }
    if (chars > (strcmp(type, "text") == 0 ? MP_DESCRIPTION_MAX : ATTR_STRING_MAX)) {
        snprintf(msg, cap, "attribute[%s] is too long", code);
        return false;
    }
    if (strcmp(type, "number") == 0) {
        char *end = NULL;
        errno = 0;
        double d = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(d)) {
            snprintf(msg, cap, "attribute[%s] must be a number", code);
            return false;
        }
    } else if (strcmp(type, "datetime") == 0) {
        int64_t t;
        if (mp_time_parse(v, 0, &t) != MP_OK) {
            snprintf(msg, cap, "attribute[%s] must be an ISO 8601 date-time", code);
            return false;
        }
    } else if (strcmp(type, "string") == 0) {
        if (strpbrk(v, "\r\n")) {
            snprintf(msg, cap, "attribute[%s] must be one line", code);
            return false;
        }
    } else if (strcmp(type, "singlevaluelist") == 0) {
        if (!list_has_key(json_object_get(def, "values"), v)) {
            snprintf(msg, cap,
                     "attribute[%s] has no value '%.40s'; the service definition lists them", code,
                     v);
            return false;
        }
    }
    *out = json_string(v);
    return *out != NULL;
}

/* Append the keys of a multivaluelist answer (one comma-separated value, or
 * one of several repeated fields) to list, each once. */
static bool list_keys(const json_t *def, const char *code, const char *value, json_t *list,
                      char *msg, size_t cap)
{
    char tmp[1024];
    const char *keys[MAX_ATTRS];
    size_t n, i;
    const json_t *have;
    if (strlen(value) >= sizeof tmp ||
        !split_list(memcpy(tmp, value, strlen(value) + 1), keys, MAX_ATTRS, &n)) {
        snprintf(msg, cap, "attribute[%s] must list keys of the service definition", code);
        return false;
    }
    for (size_t m = 0; m < n; m++) {
        bool dup = false;
        if (!list_has_key(json_object_get(def, "values"), keys[m])) {
            snprintf(msg, cap,
                     "attribute[%s] has no value '%.40s'; the service definition lists them", code,
                     keys[m]);
            return false;
        }
        json_array_foreach(list, i, have)
        {
            dup = dup || strcmp(json_string_value(have), keys[m]) == 0;
        }
        if (!dup && json_array_append_new(list, json_string(keys[m])))
            return false; /* out of memory: msg stays empty */
    }
    return true;
}

/* The answer to one defined attribute: a string, an array for a
 * multivaluelist, or NULL when not answered. False with msg set when the
 * answer is wrong, with msg empty when memory ran out. */
static bool attr_answer(const json_t *def, const struct attr_set *as, char *msg, size_t cap,
                        json_t **out)
{
    const char *code = json_string_value(json_object_get(def, "code"));
    const char *type = json_string_value(json_object_get(def, "datatype"));
    bool multi = type && strcmp(type, "multivaluelist") == 0;
    json_t *val = NULL;
    *out = NULL;
    if (!code)
        return true; /* the pack's loader keeps codes; nothing to match */
    for (size_t k = 0; k < as->n; k++) {
        if (strcmp(as->a[k].code, code) != 0)
            continue;
        if (val && !multi) {
            snprintf(msg, cap, "attribute[%s] takes one value", code);
            goto fail;
        }
        if (!multi) {
            if (!attr_value_ok(def, code, as->a[k].value, msg, cap, &val))
                goto fail;
            continue;
        }
        if (!val && !(val = json_array()))
            goto fail;
        if (!list_keys(def, code, as->a[k].value, val, msg, cap))
            goto fail;
    }
    if (!val && json_is_true(json_object_get(def, "required"))) {
        snprintf(msg, cap, "attribute[%s] is required for this service", code);
        return false;
    }
    *out = val;
    return true;
fail:
    json_decref(val);
    return false;
}

/* Validate the answers against the service definition of cat: every code
 * known, required ones present, list keys defined. New JSON object {code:
 * value or [keys]} in *out. On false, msg says why (empty: out of memory). */
static bool attrs_check(const json_t *cat, const struct attr_set *as, char *msg, size_t cap,
                        json_t **out)
{
    const json_t *defs = json_object_get(cat, "attributes");
    const char *service = json_string_value(json_object_get(cat, "code"));
    size_t i;
    const json_t *def;
    *out = NULL;
    for (size_t k = 0; k < as->n; k++) {
        bool known = false;
        json_array_foreach(defs, i, def)
        {
            const char *c = json_string_value(json_object_get(def, "code"));
            known = known || (c && strcmp(c, as->a[k].code) == 0);
        }
        if (!known) {
            snprintf(msg, cap,
                     "attribute[%s] is not an attribute of service %s; services/%s.xml lists them",
                     as->a[k].code, service, service);
            return false;
        }
    }
    json_t *obj = json_object();
    if (!obj)
        return false;
    json_array_foreach(defs, i, def)
    {
        json_t *val;
        if (!attr_answer(def, as, msg, cap, &val)) {
            json_decref(obj);
            return false;
        }
        if (val && json_object_set_new(obj, json_string_value(json_object_get(def, "code")), val)) {
            json_decref(obj);
            return false;
        }
    }
    *out = obj;
    return true;
}

static bool media_url_ok(const char *u)
{
    size_t n = strlen(u);
    const char *rest = strncmp(u, "https://", 8) == 0  ? u + 8
                       : strncmp(u, "http://", 7) == 0 ? u + 7
                                                       : NULL;
    if (!rest || n > MEDIA_URL_MAX || !*rest || *rest == '/')
        return false;
    /* Printable ASCII only: anything else must arrive percent-encoded. */
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"<>\\^`{|}", *p))
            return false;
    return true;
}

static bool id_field_ok(const char *s)
{
    long n = s ? mp_utf8_chars(s, strlen(s)) : 0;
    return n >= 0 && n <= ID_FIELD_MAX;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Store the report and what came with it in one transaction. */
static enum mp_status submit(struct mp_ctx *ctx, const struct mp_report_input *in,
                             const struct mp_principal *who, const struct mp_open311_extra *x0,
                             struct mp_submit_result *res, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_open311_extra x = *x0;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_report_submit(ctx, in, false, res, err)))
        goto out;
    x.report_id = res->report_id;
    if (mp_store_open311_put(ctx->db, &x) != MP_OK) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable",
                     "the request could not be stored; try again later");
        goto out;
    }
    if (mp_auth_audit(ctx, who, "open311_create", "report", res->report_id, NULL) != MP_OK) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable",
                     "the request could not be stored; try again later");
        goto out;
    }
    rc = mp_store_commit(ctx->db, err);
out:
    if (rc)
        mp_store_rollback(ctx->db);
    return rc;
}

enum mp_status mp_api_open311_requests_create(struct mp_app *app, struct mp_ctx *ctx,
                                              const struct mp_request *req,
                                              struct mp_response *resp, struct mp_error *err)
{
    bool xml = ends_with(req->path, ".xml");
    enum mp_status rc = MP_OK;
    struct mp_report_input in;
    struct attr_set as;
    json_t *cats = NULL, *attrs = NULL;
    char *attrs_text = NULL;
    char msg[200];
    memset(&in, 0, sizeof in);
    memset(&as, 0, sizeof as);

    if (req->form && req->form->overflow) {
        rc = o311_fail(resp, xml, 400, "too many fields, or a field too large");
        goto out;
    }
    if (!req->form && req->body_len > 0) {
        rc = o311_fail(resp, xml, 400,
                       "send the fields form-encoded (Content-Type: "
                       "application/x-www-form-urlencoded; charset=utf-8)");
        goto out;
    }
    /* The key first: without a valid one nothing else is looked at. */
    const char *key = field(req, "api_key");
    struct mp_principal who;
    struct mp_error aerr;
    if (!key) {
        rc = o311_fail(resp, xml, 403, "api_key is missing -- can't proceed with create_request");
        goto out;
    }
    enum mp_status ast = mp_auth_token(ctx, key, &who, &aerr);
    if (ast == MP_EUNAVAIL) {
        rc = o311_from(resp, xml, ast, &aerr);
        goto out;
    }
    if (ast != MP_OK || !mp_role_at_least(who.role, MP_ROLE_CLIENT)) {
        rc = o311_fail(resp, xml, 403,
                       "Invalid api_key received -- can't proceed with create_request");
        goto out;
    }
    const char *j = field(req, "jurisdiction_id");
    if (jurisdiction_bad(app, j)) {
        rc = jurisdiction_fail(app, resp, xml, j);
        goto out;
    }
    const char *code = field(req, "service_code");
    if (!code) {
        rc = o311_fail(resp, xml, 400, "service_code was not provided");
        goto out;
    }
    cats = load_categories(app);
    const json_t *cat = cats ? category_json(cats, code) : NULL;
    if (!cats) {
        rc = o311_fail(resp, xml, 503, "the service list is not available right now");
        goto out;
    }
    if (!cat || strlen(code) >= sizeof in.category) {
        rc = o311_fail(resp, xml, 404, "service_code '%.48s' was not found; services.%s lists them",
                       code, xml ? "xml" : "json");
        goto out;
    }
    snprintf(in.category, sizeof in.category, "%s", code);

    const char *lat = field(req, "lat"), *lon = field(req, "long");
    const char *addr = field(req, "address_string");
    if (lat || lon) {
        char *e1 = NULL, *e2 = NULL;
        if (!lat || !lon) {
            rc = o311_fail(resp, xml, 400, "lat and long must both be sent");
            goto out;
        }
        errno = 0;
        in.lat = strtod(lat, &e1);
        in.lon = strtod(lon, &e2);
        if (*e1 || *e2 || e1 == lat || e2 == lon || errno) {
            rc = o311_fail(resp, xml, 400,
                           "lat and long must be numbers in decimal degrees (WGS84)");
            goto out;
        }
        in.has_lat = in.has_lon = true;
    } else if (addr) {
        /* No geocoder for house numbers (the street layer has no address
         * ranges), but a corner named by two crossing streets can be placed
         * on the city's own street layer. */
        double x, y;
        if (!mp_streets_intersection(ctx->streets, addr, &x, &y, NULL, 0) ||
            mp_geo_inverse(ctx->geo, x, y, &in.lon, &in.lat) != MP_OK) {
            rc = o311_fail(resp, xml, 400,
                           "address_string '%.60s' could not be placed: name a corner as two "
                           "crossing streets ('N Clark St & W Division St'), or send lat and "
                           "long",
                           addr);
            goto out;
        }
        in.has_lat = in.has_lon = true;
    } else if (field(req, "address_id")) {
        rc = o311_fail(resp, xml, 400,
                       "this endpoint cannot place a request by address_id; send lat and long "
                       "or a corner in address_string");
        goto out;
    } else {
        rc = o311_fail(resp, xml, 400, "a location is required: send lat and long");
        goto out;
    }

    /* Attributes from the body and, for Swagger-made clients, the query. */
    for (size_t i = 0; req->form && i < req->form->n; i++)
        if (!req->form->fields[i].filename[0])
            attr_add(&as, req->form->fields[i].name, req->form->fields[i].value.data);
    mp_req_query_each(req, attr_query, &as);
    if (as.overflow || as.bad_name) {
        rc = o311_fail(resp, xml, 400,
                       as.overflow ? "too many attribute fields"
                                   : "attribute fields must be named attribute[CODE]");
        goto out;
    }
    msg[0] = '\0';
    if (!attrs_check(cat, &as, msg, sizeof msg, &attrs)) {
        rc = msg[0] ? o311_fail(resp, xml, 400, "%s", msg)
                    : o311_fail(resp, xml, 503, "out of memory; try again later");
        goto out;
    }
    attrs_text = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!attrs_text) {
        rc = o311_fail(resp, xml, 503, "out of memory; try again later");
        goto out;
    }

    const char *media = field(req, "media_url");
    if (media && !media_url_ok(media)) {
        rc = o311_fail(resp, xml, 400,
                       "media_url must be an absolute http or https URL of at most %d "
                       "characters, percent-encoded",
                       MEDIA_URL_MAX);
        goto out;
    }
    const char *device = field(req, "device_id"), *account = field(req, "account_id");
    if (!id_field_ok(device) || !id_field_ok(account)) {
        rc = o311_fail(resp, xml, 400,
                       "device_id and account_id must be text of at most %d "
                       "characters",
                       ID_FIELD_MAX);
        goto out;
    }
    const char *first = field(req, "first_name"), *last = field(req, "last_name");
    if (first || last) {
        /* The standard's two name fields are the one private contact name. */
        size_t fl = first ? strlen(first) : 0, ll = last ? strlen(last) : 0;
        char *o = in.contact_name = malloc(fl + ll + 2);
        if (!o) {
            rc = o311_fail(resp, xml, 503, "out of memory; try again later");
            goto out;
        }
        if (fl)
            o = (char *)memcpy(o, first, fl) + fl;
        if (fl && ll)
            *o++ = ' ';
        if (ll)
            o = (char *)memcpy(o, last, ll) + ll;
        *o = '\0';
    }
    in.description = dup_or_null(field(req, "description"));
    in.address = dup_or_null(addr);
    in.contact_email = dup_or_null(field(req, "email"));
    in.contact_phone = dup_or_null(field(req, "phone"));
    snprintf(in.channel, sizeof in.channel, "open311");
    if ((field(req, "description") && !in.description) || (addr && !in.address) ||
        (field(req, "email") && !in.contact_email) || (field(req, "phone") && !in.contact_phone)) {
        rc = o311_fail(resp, xml, 503, "out of memory; try again later");
        goto out;
    }

    struct mp_submit_result res;
    struct mp_open311_extra x = {.client_id = who.user_id,
                                 .attributes = attrs_text,
                                 .media_url = media,
                                 .device_id = device,
                                 .account_id = account};
    if ((rc = submit(ctx, &in, &who, &x, &res, err))) {
        rc = o311_from(resp, xml, rc, err);
        goto out;
    }
    char id[24], notice[200] = "";
    snprintf(id, sizeof id, "%lld", (long long)res.report_id);
    if (res.joined)
        notice_text(notice, sizeof notice, res.cluster_count);
    struct mp_open311_writer w;
    mp_open311_init(&w, &resp->body, xml);
    mp_open311_arr(&w, "service_requests", "request");
    mp_open311_obj(&w, NULL);
    mp_open311_str(&w, "service_request_id", id);
    mp_open311_str(&w, "service_notice", res.joined ? notice : NULL);
    mp_open311_str(&w, "account_id", account);
    mp_open311_end(&w);
    mp_open311_end(&w);
    rc = finish(resp, &w, xml);
out:
    json_decref(attrs);
    json_decref(cats);
    free(attrs_text);
    mp_report_input_clear(&in);
    return rc;
}
