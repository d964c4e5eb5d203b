/* api_feed.c - GET /feeds/reports.atom (feed.h): decode the area and the
 * categories, build the Atom document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/errtext.h"
#include "meldpunt/feed.h"
#include "meldpunt/outbox.h"
#include "meldpunt/timeutil.h"

/* A number parameter; false when present and not a number. */
static bool number(const struct mp_request *req, const char *name, double *out, bool *given)
{
    const char *s = mp_req_query(req, name);
    char *end = NULL;
    *given = s && *s;
    if (!*given)
        return true;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && *out == *out;
}

/* The feed's own path and query (its id): the parameters given, escaped. */
static void self_url(const struct mp_request *req, char *out, size_t cap)
{
    static const char *const names[] = {"district", "category", "lat", "lon", "radius", "lang"};
    struct mp_buf b;
    mp_buf_init(&b, cap - 1);
    mp_buf_lit(&b, "/feeds/reports.atom");
    char sep = '?';
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = mp_req_query(req, names[i]);
        if (!v || !*v)
            continue;
        mp_buf_printf(&b, "%c%s=", sep, names[i]);
        sep = '&';
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("-._~,", *p))
                mp_buf_addc(&b, (char)*p);
            else
                mp_buf_printf(&b, "%%%02X", *p);
    }
    snprintf(out, cap, "%s", b.failed || !b.data ? "/feeds/reports.atom" : b.data);
    mp_buf_free(&b);
}

enum mp_status mp_api_feed_atom(struct mp_app *app, struct mp_ctx *ctx,
                                const struct mp_request *req, struct mp_response *resp,
                                struct mp_error *err)
{
    static const char *const allowed[] = {"district", "category", "lat", "lon",
                                          "radius",   "lang",     NULL};
    struct mp_feed_query q = {0};
    char *cats = NULL;
    bool has_lat, has_lon, has_radius;
    enum mp_status rc;
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    q.district = mp_req_query(req, "district");
    const char *c = mp_req_query(req, "category");
    if (c && *c &&
        (!(cats = strdup(c)) ||
         (rc = mp_api_parse_categories(app, cats, q.categories, &q.ncategories, err)))) {
        free(cats);
        return cats ? rc : MP_ENOMEM;
    }
    q.radius_m = 500;
    if (!number(req, "lat", &q.lat, &has_lat) || !number(req, "lon", &q.lon, &has_lon) ||
        !number(req, "radius", &q.radius_m, &has_radius))
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "lat, lon and radius are numbers");
    if (has_lat != has_lon || (has_radius && !has_lat))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "lat and lon go together (radius with them)");
    if (has_lat && q.district)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "a feed is of a district or of a point, not both");
    q.has_point = has_lat;
    q.lang = mp_errtext_lang_code(
        mp_errtext_lang(mp_req_query(req, "lang"), mp_req_header(req, "Accept-Language")));
    char self[1024];
    self_url(req, self, sizeof self);
    /* Ids and links under the public base URL, by the same rule as OGC and Open311 links
     * (never from an untrusted Host). */
    char base[MP_PUBLIC_BASE_MAX];
    mp_req_public_base(req, base, sizeof base);
    if ((rc = mp_feed_check(ctx, &q, err)) ||
        (rc = mp_feed_atom(ctx, &q, base, self, mp_time_now(), &resp->body, err))) {
        free(cats);
        return rc;
    }
    free(cats);
    resp->content_type = "application/atom+xml; charset=utf-8";
    return MP_OK;
}
