/* open311_form.c - decoding the arguments of the Open311 endpoints. */
#include "meldpunt/open311_form.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/geo.h"
#include "meldpunt/notify.h"
#include "meldpunt/streets.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

__attribute__((format(printf, 3, 4))) static bool refuse(struct mp_open311_refusal *why, int http,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why->text, sizeof why->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(why->text, sizeof why->text, "the request failed");
    why->http = http;
    return false;
}

const char *mp_open311_form_arg(const struct mp_request *req, const char *name)
{
    const char *v = mp_req_query(req, name);
    return v && *v ? v : NULL;
}

const char *mp_open311_form_field(const struct mp_request *req, const char *name)
{
    const struct mp_form_field *f = mp_form_get(req->form, name);
    if (f) {
        if (f->filename[0] || !f->value.data || !f->value.data[0])
            return NULL;
        return f->value.data;
    }
    return mp_open311_form_arg(req, name);
}

struct known {
    const char *const *allowed;
    const char *bad;
};

static int known_one(void *p, const char *k, const char *v)
{
    (void)v;
    struct known *kn = p;
    for (size_t i = 0; kn->allowed[i]; i++)
        if (strcmp(kn->allowed[i], k) == 0)
            return 0;
    kn->bad = k;
    return 1;
}

bool mp_open311_form_known_args(const struct mp_request *req, const char *const *allowed,
                                struct mp_open311_refusal *why)
{
    struct known kn = {allowed, NULL};
    mp_req_query_each(req, known_one, &kn);
    if (!kn.bad)
        return true;
    struct mp_buf list;
    mp_buf_init(&list, 512);
    for (size_t i = 0; allowed[i]; i++) {
        if (i)
            mp_buf_adds(&list, ", ");
        mp_buf_adds(&list, allowed[i]);
    }
    refuse(why, 400, "unknown parameter '%.40s'; this endpoint takes %.180s", kn.bad,
           list.data && !list.failed ? list.data : "fewer");
    mp_buf_free(&list);
    return false;
}

bool mp_open311_form_jurisdiction(const struct mp_region *region, const struct mp_city *city,
                                  const char *j, const struct mp_city **member,
                                  struct mp_open311_refusal *why)
{
    const struct mp_city *m = region && !region->of_one ? mp_region_member(region, j) : NULL;
    if (member)
        *member = m;
    if (!j || strcmp(j, city->id) == 0 || m)
        return true;
    if (region && !region->of_one)
        return refuse(why, 404,
                      "jurisdiction_id '%.60s' was not found; this endpoint serves '%s' and its "
                      "municipalities (discovery lists them)",
                      j, city->id);
    return refuse(why, 404, "jurisdiction_id '%.60s' was not found; this endpoint serves '%s'", j,
                  city->id);
}

/* ---- listings ---- */

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

bool mp_open311_form_window(const struct mp_request *req, const struct mp_tz *tz, int64_t now,
                            int64_t *since, int64_t *until, struct mp_open311_refusal *why)
{
    const char *sv = mp_open311_form_arg(req, "start_date");
    const char *ev = mp_open311_form_arg(req, "end_date");
    int64_t s = 0, e = 0;
    if (sv && !parse_when(tz, sv, &s))
        return refuse(why, 400,
                      "start_date '%.40s' is not a W3C date-time such as 2021-01-31T12:00:00Z "
                      "or 2021-01-31T06:00:00-06:00",
                      sv);
    if (ev && !parse_when(tz, ev, &e))
        return refuse(why, 400,
                      "end_date '%.40s' is not a W3C date-time such as 2021-01-31T12:00:00Z "
                      "or 2021-01-31T06:00:00-06:00",
                      ev);
    /* One side missing: the standard's default window of 90 days. */
    if (!sv && !ev) {
        e = now;
        s = e - MP_OPEN311_MAX_SPAN_S;
    } else if (!ev) {
        e = s + MP_OPEN311_MAX_SPAN_S;
    } else if (!sv) {
        s = e - MP_OPEN311_MAX_SPAN_S;
    }
    if (e < s)
        return refuse(why, 400, "end_date is before start_date");
    if (e - s > MP_OPEN311_MAX_SPAN_S)
        return refuse(why, 400,
                      "start_date and end_date may span at most 90 days; ask for the rest "
                      "in further windows");
    *since = s;
    *until = e + 1; /* end_date is inclusive */
    return true;
}

bool mp_open311_form_uint(const char *v, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi || *v == '+' || *v == ' ')
        return false;
    *out = n;
    return true;
}

bool mp_open311_form_page(const struct mp_request *req, size_t *limit, size_t *offset,
                          struct mp_open311_refusal *why)
{
    const char *pv = mp_open311_form_arg(req, "page"), *sv = mp_open311_form_arg(req, "page_size");
    long long page = 1, size = MP_OPEN311_PAGE_SIZE_MAX;
    if (pv && !mp_open311_form_uint(pv, 1, MP_OPEN311_PAGE_MAX, &page))
        return refuse(why, 400, "page must be a whole number from 1 to %d", MP_OPEN311_PAGE_MAX);
    if (sv && !mp_open311_form_uint(sv, 1, MP_OPEN311_PAGE_SIZE_MAX, &size))
        return refuse(why, 400, "page_size must be a whole number from 1 to %d",
                      MP_OPEN311_PAGE_SIZE_MAX);
    *limit = (size_t)size;
    *offset = (size_t)(page - 1) * (size_t)size;
    return true;
}

bool mp_open311_form_ids(const char *list, int64_t *ids, size_t *n, struct mp_open311_refusal *why)
{
    char copy[MP_OPEN311_MAX_IDS * 21];
    const char *items[MP_OPEN311_MAX_IDS];
    *n = 0;
    if (strlen(list) >= sizeof copy)
        return refuse(why, 400, "service_request_id lists more than %d ids", MP_OPEN311_MAX_IDS);
    memcpy(copy, list, strlen(list) + 1);
    size_t m;
    if (!mp_open311_split_list(copy, items, MP_OPEN311_MAX_IDS, &m))
        return refuse(why, 400, "service_request_id must be up to %d ids separated by commas",
                      MP_OPEN311_MAX_IDS);
    for (size_t i = 0; i < m; i++) {
        long long id;
        if (!mp_open311_form_uint(items[i], 1, INT64_MAX, &id))
            return refuse(why, 400, "service_request_id '%.24s' is not a request id", items[i]);
        ids[(*n)++] = id;
    }
    return true;
}

bool mp_open311_form_services(const struct mp_city *city, const char *list, char *copy, size_t cap,
                              const char **codes, size_t *n, struct mp_open311_refusal *why)
{
    if (strlen(list) >= cap ||
        !mp_open311_split_list(memcpy(copy, list, strlen(list) + 1), codes, MP_QUERY_MAX_LIST, n))
        return refuse(why, 400, "service_code must be up to %d codes separated by commas",
                      MP_QUERY_MAX_LIST);
    for (size_t i = 0; i < *n; i++)
        if (!mp_city_category(city, codes[i]))
            return refuse(why, 400, "service_code '%.48s' is not a service of this endpoint",
                          codes[i]);
    return true;
}

struct filters_walk {
    const struct mp_city *city;
    struct mp_open311_filters *f;
    size_t used; /* bytes of codes_copy taken */
    bool want_open, want_closed;
    struct mp_open311_refusal *why;
    bool failed;
};

static int filter_arg(void *p, const char *k, const char *v)
{
    struct filters_walk *w = p;
    bool code = strcmp(k, "service_code") == 0;
    if ((!code && strcmp(k, "status") != 0) || !v || !*v)
        return 0; /* empty counts as absent */
    char tmp[MP_QUERY_MAX_LIST * 49];
    const char *items[MP_QUERY_MAX_LIST];
    size_t n, len = strlen(v);
    if (len >= sizeof tmp ||
        !mp_open311_split_list(memcpy(tmp, v, len + 1), items, MP_QUERY_MAX_LIST, &n)) {
        w->failed = true;
        if (code)
            refuse(w->why, 400, "service_code must be up to %d codes separated by commas",
                   MP_QUERY_MAX_LIST);
        else
            refuse(w->why, 400, "status must be open, closed or open,closed");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!code) {
            if (strcmp(items[i], "open") == 0)
                w->want_open = true;
            else if (strcmp(items[i], "closed") == 0)
                w->want_closed = true;
            else {
                w->failed = true;
                refuse(w->why, 400, "status '%.24s' is not open or closed", items[i]);
                return 1;
            }
            continue;
        }
        struct mp_open311_filters *f = w->f;
        size_t il = strlen(items[i]);
        if (!mp_city_category(w->city, items[i])) {
            w->failed = true;
            refuse(w->why, 400, "service_code '%.48s' is not a service of this endpoint", items[i]);
            return 1;
        }
        bool dup = false;
        for (size_t k2 = 0; k2 < f->ncodes; k2++)
            dup = dup || strcmp(f->codes[k2], items[i]) == 0;
        if (dup)
            continue;
        if (f->ncodes == MP_QUERY_MAX_LIST || w->used + il + 1 > sizeof f->codes_copy) {
            w->failed = true;
            refuse(w->why, 400, "service_code must be up to %d codes", MP_QUERY_MAX_LIST);
            return 1;
        }
        memcpy(f->codes_copy + w->used, items[i], il + 1);
        f->codes[f->ncodes++] = f->codes_copy + w->used;
        w->used += il + 1;
    }
    return 0;
}

bool mp_open311_form_filters(const struct mp_city *city, const struct mp_request *req,
                             struct mp_open311_filters *f, struct mp_open311_refusal *why)
{
    struct filters_walk w = {city, f, 0, false, false, why, false};
    f->ncodes = f->nstatuses = 0;
    mp_req_query_each(req, filter_arg, &w);
    if (w.failed)
        return false;
    /* Both families together are no filter at all. */
    if (w.want_open != w.want_closed)
        f->nstatuses =
            mp_vocab_status_codes(w.want_open ? MP_VOCAB_OPEN311_OPEN : MP_VOCAB_OPEN311_CLOSED,
                                  f->statuses, MP_QUERY_MAX_LIST);
    return true;
}

/* A decimal number, the whole of v. */
static bool number(const char *v, double *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtod(v, &end);
    return end != v && !*end && !errno && *v != ' ';
}

bool mp_open311_form_area(const struct mp_request *req, struct mp_open311_query *q,
                          struct mp_open311_refusal *why)
{
    const char *bb = mp_open311_form_arg(req, "bbox");
    const char *lat = mp_open311_form_arg(req, "lat"), *lon = mp_open311_form_arg(req, "long");
    const char *rad = mp_open311_form_arg(req, "radius");
    if (bb) {
        double n[4];
        char tmp[128];
        const char *items[4];
        size_t k;
        if (strlen(bb) >= sizeof tmp ||
            !mp_open311_split_list(memcpy(tmp, bb, strlen(bb) + 1), items, 4, &k) || k != 4 ||
            !number(items[0], &n[0]) || !number(items[1], &n[1]) || !number(items[2], &n[2]) ||
            !number(items[3], &n[3]) || !mp_geo_valid_lonlat(n[0], n[1]) ||
            !mp_geo_valid_lonlat(n[2], n[3]) || n[0] > n[2] || n[1] > n[3])
            return refuse(why, 400,
                          "bbox must be min_long,min_lat,max_long,max_lat in decimal degrees "
                          "(WGS84), the smaller corner first");
        q->has_bbox = true;
        q->bbox = (struct mp_bbox){n[0], n[1], n[2], n[3]};
    }
    if (!lat && !lon) {
        if (rad)
            return refuse(why, 400, "radius needs lat and long: the centre of the circle");
        return true;
    }
    double la, lo, r = MP_OPEN311_RADIUS_DEFAULT;
    if (!lat || !lon)
        return refuse(why, 400, "lat and long must both be sent");
    if (!number(lat, &la) || !number(lon, &lo) || !mp_geo_valid_lonlat(lo, la))
        return refuse(why, 400, "lat and long must be numbers in decimal degrees (WGS84)");
    if (rad && (!number(rad, &r) || !(r > 0) || r > MP_OPEN311_RADIUS_MAX))
        return refuse(why, 400, "radius must be a number of metres above 0 and at most %d",
                      MP_OPEN311_RADIUS_MAX);
    q->near = true;
    q->near_lon = lo;
    q->near_lat = la;
    q->radius_m = r;
    return true;
}

/* ---- a POSTed service request ---- */

const struct mp_form_field *mp_open311_form_first_file(const struct mp_request *req)
{
    for (size_t i = 0; req->form && i < req->form->n; i++)
        if (req->form->fields[i].filename[0])
            return &req->form->fields[i];
    return NULL;
}

bool mp_open311_form_body(const struct mp_request *req, struct mp_open311_refusal *why)
{
    if (req->form && req->form->overflow)
        return refuse(why, 400, "too many fields, or a field too large");
    if (!req->form && req->body_len > 0)
        return refuse(why, 400,
                      "send the fields form-encoded (Content-Type: "
                      "application/x-www-form-urlencoded; charset=utf-8)");
    return true;
}

/* The attribute[CODE] answers being collected. */
struct answers {
    struct mp_open311_submission *s;
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

static void attr_add(struct answers *as, const char *name, const char *value)
{
    struct mp_open311_submission *s = as->s;
    char code[sizeof s->answers[0].code];
    if (strncmp(name, "attribute[", 10) != 0)
        return;
    if (!attr_name(name, code, sizeof code)) {
        as->bad_name = true;
        return;
    }
    if (!value || !*value) /* an empty answer is no answer */
        return;
    if (s->nanswers >= MP_OPEN311_MAX_ANSWERS) {
        as->overflow = true;
        return;
    }
    memcpy(s->answers[s->nanswers].code, code, sizeof code);
    s->answers[s->nanswers++].value = value;
}

static int attr_query(void *p, const char *k, const char *v)
{
    attr_add(p, k, v);
    return 0;
}

/* lat and long, or a corner of two crossing streets in address_string. */
static bool place(struct mp_ctx *ctx, const struct mp_request *req, struct mp_report_input *in,
                  struct mp_open311_refusal *why)
{
    const char *lat = mp_open311_form_field(req, "lat"), *lon = mp_open311_form_field(req, "long");
    const char *addr = mp_open311_form_field(req, "address_string");
    if (lat || lon) {
        char *e1 = NULL, *e2 = NULL;
        if (!lat || !lon)
            return refuse(why, 400, "lat and long must both be sent");
        errno = 0;
        in->lat = strtod(lat, &e1);
        in->lon = strtod(lon, &e2);
        if (*e1 || *e2 || e1 == lat || e2 == lon || errno)
            return refuse(why, 400, "lat and long must be numbers in decimal degrees (WGS84)");
    } else if (addr) {
        /* No geocoder for house numbers (the street layer has no address
         * ranges), but a corner named by two crossing streets can be placed
         * on the city's own street layer. */
        double x, y;
        if (!mp_streets_intersection(ctx->streets, addr, &x, &y, NULL, 0) ||
            mp_geo_inverse(ctx->geo, x, y, &in->lon, &in->lat) != MP_OK)
            return refuse(why, 400,
                          "address_string '%.60s' could not be placed: name a corner as two "
                          "crossing streets ('N Clark St & W Division St'), or send lat and "
                          "long",
                          addr);
    } else if (mp_open311_form_field(req, "address_id")) {
        return refuse(why, 400,
                      "this endpoint cannot place a request by address_id; send lat and long "
                      "or a corner in address_string");
    } else {
        return refuse(why, 400, "a location is required: send lat and long");
    }
    in->has_lat = in->has_lon = true;
    return true;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The standard's two name fields are the one private contact name. */
static bool contact_name(const char *first, const char *last, char **out)
{
    size_t fl = first ? strlen(first) : 0, ll = last ? strlen(last) : 0;
    char *o = *out = malloc(fl + ll + 2);
    if (!o)
        return false;
    if (fl)
        o = (char *)memcpy(o, first, fl) + fl;
    if (fl && ll)
        *o++ = ' ';
    if (ll)
        o = (char *)memcpy(o, last, ll) + ll;
    *o = '\0';
    return true;
}

bool mp_open311_form_submission(struct mp_ctx *ctx, const struct mp_request *req, bool xml,
                                struct mp_open311_submission *s, struct mp_open311_refusal *why)
{
    struct mp_report_input *in = &s->report;
    memset(s, 0, sizeof *s);
    if (!mp_open311_form_jurisdiction(ctx->region, ctx->city,
                                      mp_open311_form_field(req, "jurisdiction_id"),
                                      &s->jurisdiction, why))
        return false;
    const char *code = mp_open311_form_field(req, "service_code");
    if (!code)
        return refuse(why, 400, "service_code was not provided");
    if (strlen(code) >= sizeof in->category ||
        !mp_city_category(s->jurisdiction ? s->jurisdiction : ctx->city, code))
        return refuse(why, 404, "service_code '%.48s' was not found; services.%s lists them", code,
                      xml ? "xml" : "json");
    memcpy(in->category, code, strlen(code) + 1);
    if (!place(ctx, req, in, why))
        return false;

    /* Attributes from the body and, for Swagger-made clients, the query. */
    struct answers as = {s, false, false};
    for (size_t i = 0; req->form && i < req->form->n; i++)
        if (!req->form->fields[i].filename[0])
            attr_add(&as, req->form->fields[i].name, req->form->fields[i].value.data);
    mp_req_query_each(req, attr_query, &as);
    if (as.overflow || as.bad_name)
        return refuse(why, 400,
                      as.overflow ? "too many attribute fields"
                                  : "attribute fields must be named attribute[CODE]");

    s->media_url = mp_open311_form_field(req, "media_url");
    s->device_id = mp_open311_form_field(req, "device_id");
    s->account_id = mp_open311_form_field(req, "account_id");
    const char *first = mp_open311_form_field(req, "first_name");
    const char *last = mp_open311_form_field(req, "last_name");
    const char *text = mp_open311_form_field(req, "description");
    const char *addr = mp_open311_form_field(req, "address_string");
    const char *email = mp_open311_form_field(req, "email");
    const char *phone = mp_open311_form_field(req, "phone");
    if ((first || last) && !contact_name(first, last, &in->contact_name))
        return refuse(why, 503, "out of memory; try again later");
    in->description = dup_or_null(text);
    in->address = dup_or_null(addr);
    in->contact_email = dup_or_null(email);
    in->contact_phone = dup_or_null(phone);
    /* Mail to the reporter speaks the client's language: locale (GeoReport
     * v2's own parameter) before the header. */
    const char *locale = mp_open311_form_field(req, "locale");
    mp_notify_lang_from_header(locale ? locale : mp_req_header(req, "Accept-Language"), in->lang,
                               sizeof in->lang);
    if ((text && !in->description) || (addr && !in->address) || (email && !in->contact_email) ||
        (phone && !in->contact_phone))
        return refuse(why, 503, "out of memory; try again later");
    return true;
}

/* ---- a POSTed update ---- */

bool mp_open311_form_update(const struct mp_region *region, const struct mp_city *city,
                            const struct mp_tz *tz,
                            const struct mp_request *req, struct mp_open311_update_in *u,
                            struct mp_open311_refusal *why)
{
    memset(u, 0, sizeof *u);
    if (!mp_open311_form_jurisdiction(region, city, mp_open311_form_field(req, "jurisdiction_id"),
                                      NULL, why))
        return false;
    if (mp_open311_form_first_file(req))
        return refuse(why, 400, "an update cannot carry a file: send its address in media_url");
    const char *id = mp_open311_form_field(req, "service_request_id");
    long long n;
    if (!id)
        return refuse(why, 400, "service_request_id was not provided");
    if (!mp_open311_form_uint(id, 1, INT64_MAX, &n))
        return refuse(why, 404, "service_request_id '%.24s' was not found", id);
    u->service_request_id = n;
    u->update_id = mp_open311_form_field(req, "update_id");
    if (!u->update_id)
        u->update_id = mp_open311_form_field(req, "update_id_ext");
    if (!u->update_id)
        return refuse(why, 400, "update_id was not provided");
    const char *when = mp_open311_form_field(req, "updated_datetime");
    if (!when)
        return refuse(why, 400, "updated_datetime was not provided");
    if (!parse_when(tz, when, &u->updated_at))
        return refuse(why, 400,
                      "updated_datetime '%.40s' is not a W3C date-time such as "
                      "2021-01-31T12:00:00Z",
                      when);
    u->status = mp_open311_form_field(req, "status");
    if (!u->status)
        return refuse(why, 400, "status was not provided");
    u->description = mp_open311_form_field(req, "description");
    u->media_url = mp_open311_form_field(req, "media_url");
    if (!u->media_url)
        u->media_url = mp_open311_form_field(req, "media_url[]");
    return true;
}
