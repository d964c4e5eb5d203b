#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/etag.h"
#include "meldpunt/report.h"
#include "meldpunt/respcache.h"
#include "meldpunt/timeutil.h"

/* Largest bbox a listing accepts, in degrees on each side: a whole region,
 * not the planet. */
#define BBOX_MAX_SPAN 5.0

struct param_check {
    const char *const *allowed;
    const char *bad;
};

static int check_one(void *ctx, const char *k, const char *v)
{
    (void)v;
    struct param_check *pc = ctx;
    /* Every route takes the language of its error messages (read by http.c). */
    if (strcmp(k, "lang") == 0)
        return 0;
    for (const char *const *a = pc->allowed; *a; a++)
        if (strcmp(*a, k) == 0)
            return 0;
    pc->bad = k;
    return 1;
}

enum mp_status mp_api_check_params(const struct mp_request *req, const char *const *allowed,
                                   struct mp_error *err)
{
    struct param_check pc = {allowed, NULL};
    mp_req_query_each(req, check_one, &pc);
    if (pc.bad)
        return mp_fail(err, MP_EINVAL, "unknown_parameter", "unknown query parameter '%.40s'",
                       pc.bad);
    return MP_OK;
}

enum mp_status mp_api_need_role(struct mp_ctx *ctx, const struct mp_request *req,
                                enum mp_role min, struct mp_principal *who,
                                struct mp_error *err)
{
    enum mp_status rc = mp_auth_bearer(ctx, mp_req_header(req, "Authorization"), who, err);
    if (rc)
        return rc;
    if (!mp_role_at_least(who->role, min))
        return mp_fail(err, MP_EFORBIDDEN, "forbidden", "this needs the role %s or higher",
                       mp_role_name(min));
    return MP_OK;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A cursor is "v1:<id>" in base64url: opaque to clients, cheap to check. */
void mp_api_cursor_encode(int64_t id, char *out, size_t cap)
{
    char raw[40];
    int n = snprintf(raw, sizeof raw, "v1:%lld", (long long)id);
    size_t o = 0;
    for (int i = 0; i < n && o + 5 < cap; i += 3) {
        unsigned v = (unsigned)(unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

enum mp_status mp_api_cursor_decode(const char *s, int64_t *id)
{
    char raw[40];
    size_t len = strlen(s), o = 0;
    unsigned acc = 0;
    int bits = 0;
    if (len == 0 || len > 48)
        return MP_EINVAL;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b64, s[i]);
        if (!p || !s[i])
            return MP_EINVAL;
        acc = (acc << 6) | (unsigned)(p - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= sizeof raw)
                return MP_EINVAL;
            raw[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[o] = '\0';
    if (strncmp(raw, "v1:", 3) != 0)
        return MP_EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(raw + 3, &end, 10);
    if (end == raw + 3 || *end || errno || v < 0)
        return MP_EINVAL;
    *id = v;
    return MP_OK;
}

enum mp_status mp_api_split_list(char *s, const char **items, size_t *n, const char *what,
                                 struct mp_error *err)
{
    *n = 0;
    for (char *tok = s, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (!*tok)
            return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s has an empty item", what);
        if (*n >= MP_QUERY_MAX_LIST)
            return mp_fail(err, MP_EINVAL, "invalid_parameter", "%s lists too many items", what);
        items[(*n)++] = tok;
    }
    return MP_OK;
}

enum mp_status mp_api_parse_categories(const struct mp_app *app, char *s, const char **items,
                                       size_t *n, struct mp_error *err)
{
    enum mp_status rc = mp_api_split_list(s, items, n, "category", err);
    if (rc)
        return rc;
    for (size_t i = 0; i < *n; i++)
        if (!mp_city_category(app->city, items[i]))
            return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'",
                           items[i]);
    return MP_OK;
}

enum mp_status mp_api_parse_district(const struct mp_app *app, const struct mp_request *req,
                                     const char **out, struct mp_error *err)
{
    const char *v = mp_req_query(req, "district");
    if (!v)
        return MP_OK;
    if (!mp_city_district(app->city, v))
        return mp_fail(err, MP_EINVAL, "unknown_district",
                       "unknown district '%.32s'; GET /api/v1/districts lists them", v);
    *out = v;
    return MP_OK;
}

static enum mp_status parse_time(struct mp_app *app, const char *name, const char *v,
                                 int64_t *out, struct mp_error *err)
{
    (void)app;
    if (mp_time_parse(v, 0, out) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "%s must be an ISO 8601 date or time, e.g. 2021-01-31T12:00:00Z", name);
    return MP_OK;
}

enum mp_status mp_api_parse_query(struct mp_app *app, const struct mp_request *req,
                                  struct mp_query *q, char **scratch, struct mp_error *err)
{
    enum mp_status rc;
    const char *v;
    memset(q, 0, sizeof *q);
    *scratch = NULL;
    q->limit = app->cfg->default_page;

    if ((v = mp_req_query(req, "bbox"))) {
        if ((rc = mp_bbox_parse(v, &q->bbox, err)))
            return rc;
        if (q->bbox.max_lon - q->bbox.min_lon > BBOX_MAX_SPAN ||
            q->bbox.max_lat - q->bbox.min_lat > BBOX_MAX_SPAN)
            return mp_fail(err, MP_EINVAL, "invalid_bbox",
                           "bbox may span at most %.0f degrees each way", BBOX_MAX_SPAN);
        q->has_bbox = true;
    }
    /* One scratch copy holds both lists so that q can point into it. */
    const char *cat = mp_req_query(req, "category"), *st = mp_req_query(req, "status");
    size_t cl = cat ? strlen(cat) + 1 : 0, sl = st ? strlen(st) + 1 : 0;
    if (cl + sl) {
        *scratch = malloc(cl + sl);
        if (!*scratch)
            return MP_ENOMEM;
    }
    if (cat && (rc = mp_api_parse_categories(app, memcpy(*scratch, cat, cl), q->categories,
                                             &q->ncategories, err)))
        return rc;
    if (st) {
        char *s = memcpy(*scratch + cl, st, sl);
        const char *items[MP_QUERY_MAX_LIST];
        size_t n;
        if ((rc = mp_api_split_list(s, items, &n, "status", err)))
            return rc;
        for (size_t i = 0; i < n; i++)
            if ((rc = mp_cluster_status_filter_add(q, items[i], err)))
                return rc;
    }
    if ((rc = mp_api_parse_district(app, req, &q->district, err)))
        return rc;
    if ((v = mp_req_query(req, "since")) && (rc = parse_time(app, "since", v, &q->since, err)))
        return rc;
    if ((v = mp_req_query(req, "until")) && (rc = parse_time(app, "until", v, &q->until, err)))
        return rc;
    if (q->since && q->until && q->since >= q->until)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "since must be before until");
    if ((v = mp_req_query(req, "limit"))) {
        char *end = NULL;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || errno || n < 1 || (size_t)n > app->cfg->max_page)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "limit must be a whole number from 1 to %zu", app->cfg->max_page);
        q->limit = (size_t)n;
    }
    if ((v = mp_req_query(req, "cursor")) && mp_api_cursor_decode(v, &q->after_id) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_cursor",
                       "cursor is not one this server handed out");
    return MP_OK;
}

struct key_ctx {
    char *out;
    size_t cap, len;
    bool overflow;
};

static int key_arg(void *p, const char *k, const char *v)
{
    struct key_ctx *kc = p;
    int n = snprintf(kc->out + kc->len, kc->cap - kc->len, "%c%s=%s", kc->len ? '&' : '?', k, v);
    if (n < 0 || (size_t)n >= kc->cap - kc->len) {
        kc->overflow = true;
        return 1;
    }
    kc->len += (size_t)n;
    return 0;
}

bool mp_api_cache_get(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                      struct mp_response *resp, char *key, size_t cap, int64_t *version)
{
    key[0] = '\0';
    *version = -1;
    /* The map polls: any cache may keep the answer, and asks again each
     * time; the tag answers that with a 304 before anything is built. */
    resp->cache = "public, no-cache";
    if (mp_report_data_version(ctx, version) != MP_OK)
        return false;
    int n = snprintf(key, cap, "%s", req->path);
    if (n < 0 || (size_t)n >= cap) {
        key[0] = '\0';
        return false;
    }
    struct key_ctx kc = {key + n, cap - (size_t)n, 0, false};
    mp_req_query_each(req, key_arg, &kc);
    if (kc.overflow) {
        key[0] = '\0';
        return false;
    }
    mp_etag_version(app->etag_salt, key, *version, resp->etag, sizeof resp->etag);
    if (mp_etag_match(mp_req_header(req, "If-None-Match"), resp->etag)) {
        resp->not_modified = true;
        return true;
    }
    if (!app->cache || !mp_respcache_get_fd(app->cache, key, *version, &resp->fd, &resp->fd_len))
        return false;
    resp->has_fd = true;
    return true;
}

void mp_api_cache_put(struct mp_app *app, const char *key, int64_t version,
                      const struct mp_response *resp)
{
    if (key[0] && version >= 0 && !resp->body.failed)
        mp_respcache_put(app->cache, key, version, resp->body.data, resp->body.len);
}

bool mp_api_page_take(struct mp_api_page *pg, int64_t id)
{
    if (pg->n == pg->limit) {
        pg->more = true;
        return false;
    }
    if (pg->n++)
        mp_buf_addc(pg->b, ',');
    pg->last_id = id;
    return true;
}

enum mp_status mp_api_paged_list(struct mp_app *app, struct mp_ctx *ctx,
                                 const struct mp_request *req, struct mp_response *resp,
                                 mp_api_page_fetch fetch, size_t row_bytes, const char *what,
                                 struct mp_error *err)
{
    static const char *const allowed[] = {"bbox", "category", "status", "district", "since",
                                          "until", "limit", "cursor", NULL};
    enum mp_status rc;
    struct mp_query q;
    char *scratch = NULL, key[512];
    int64_t version;
    if ((rc = mp_api_check_params(req, allowed, err)) ||
        (rc = mp_api_parse_query(app, req, &q, &scratch, err)))
        goto out;
    resp->content_type = "application/geo+json";
    if (mp_api_cache_get(app, ctx, req, resp, key, sizeof key, &version))
        goto out;
    /* One row past the page tells whether there is a next one. */
    size_t limit = q.limit;
    q.limit = limit + 1;
    struct mp_api_page pg = {.b = &resp->body, .city = app->city, .limit = limit};
    /* Room for a full page up front spares the doublings of a growing
     * buffer (each a copy or a remap). Pages not written are never touched,
     * so a short page costs no memory for it. */
    if (row_bytes && !mp_buf_reserve(&resp->body, limit * row_bytes + 256)) {
        rc = mp_fail(err, MP_ENOMEM, "unavailable", "cannot build the page right now");
        goto out;
    }
    mp_buf_adds(&resp->body, "{\"type\":\"FeatureCollection\",\"features\":[");
    if ((rc = fetch(ctx, &q, &pg))) {
        rc = mp_fail(err, rc, "unavailable", "cannot read %s right now", what);
        goto out;
    }
    mp_buf_adds(&resp->body, "],\"next_cursor\":");
    if (pg.more) {
        char cur[64];
        mp_api_cursor_encode(pg.last_id, cur, sizeof cur);
        mp_json_str(&resp->body, cur);
    } else {
        mp_buf_adds(&resp->body, "null");
    }
    mp_buf_printf(&resp->body, ",\"count\":%zu}", pg.n);
    mp_api_cache_put(app, key, version, resp);
out:
    free(scratch);
    return rc;
}

bool mp_api_media_is(const struct mp_request *req, const char *want)
{
    const char *ct = req->content_type;
    size_t n = strlen(want);
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

enum mp_status mp_api_json_object(const struct mp_request *req, const char *const *allowed,
                                  json_t **out, struct mp_error *err)
{
    json_error_t je;
    const char *key;
    json_t *v;
    *out = NULL;
    if (!mp_api_media_is(req, "application/json"))
        return mp_fail(err, MP_EMEDIATYPE, "unsupported_media_type", "send application/json");
    *out = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(*out))
        return mp_fail(err, MP_EINVAL, "invalid_json", "the body must be a JSON object%s%.80s",
                       *out ? "" : ": ", *out ? "" : je.text);
    json_object_foreach(*out, key, v)
    {
        bool ok = false;
        for (const char *const *k = allowed; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return mp_fail(err, MP_EINVAL, "unknown_field", "unknown field '%.40s'", key);
    }
    return MP_OK;
}
