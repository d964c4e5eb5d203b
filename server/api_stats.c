/* api_stats.c - GET /api/v1/stats: service-level statistics (stats.h) as
 * JSON for the /stats page and for analysts. */
#include <stdlib.h>
#include <string.h>

#include "meldpunt/api.h"
#include "meldpunt/city.h"
#include "meldpunt/region.h"
#include "meldpunt/export.h"
#include "meldpunt/stats.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"

/* Default range when from is absent: a year back from to. */
#define DEFAULT_SPAN (365 * 86400)

/* A date or time from the query. A bare date is a local calendar day in the
 * city's zone: its start, or for the end of a range (end = true) the start
 * of the next day, so that from=2021-01-01&to=2021-01-31 covers all of
 * January. A time without a zone is local too; one with a zone is exact. */
static enum mp_status parse_local(const struct mp_tz *tz, const char *name, const char *v,
                                  bool end, int64_t *out, struct mp_error *err)
{
    int64_t t;
    if (mp_time_parse(v, 0, &t) != MP_OK)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "%s must be a date (2021-01-31) or an ISO 8601 time", name);
    size_t len = strlen(v);
    if (len == 10) {
        *out = mp_tz_local_to_utc(tz, end ? t + 86400 : t);
        return MP_OK;
    }
    const char *time = strchr(v, 'T');
    if (!time)
        time = strchr(v, 't');
    bool zoned = time && (strpbrk(time, "Zz+") || strchr(time, '-'));
    *out = zoned ? t : mp_tz_local_to_utc(tz, t);
    return MP_OK;
}

static void num_or_null(struct mp_buf *b, bool has, double v, int decimals)
{
    if (has)
        mp_json_num(b, v, decimals);
    else
        mp_buf_adds(b, "null");
}

static void day_str(struct mp_buf *b, int64_t day)
{
    int y;
    unsigned m, d;
    mp_civil_from_days(day, &y, &m, &d);
    mp_buf_printf(b, "\"%04d-%02u-%02u\"", y, m, d);
}

/* The within-N-working-days figures of a group (stats.h), when asked for. */
static void within_days_json(struct mp_buf *b, const struct mp_stats_group *g, int days)
{
    mp_buf_printf(b,
                  ",\"within_days\":{\"days\":%d,\"fixed\":%lld,\"overdue_open\":%lld,"
                  "\"share\":",
                  days, (long long)g->within_days_fixed, (long long)g->overdue_days_open);
    num_or_null(b, g->has_share_days, g->share_within_days, 4);
    mp_buf_addc(b, '}');
}

static void group_json(struct mp_buf *b, const struct mp_stats_group *g, enum mp_stats_by by,
                       bool total, int within_days)
{
    mp_buf_adds(b, "{\"key\":");
    if (!total && by == MP_STATS_BY_DISTRICT && !g->key[0])
        mp_buf_adds(b, "null");
    else
        mp_json_str(b, g->key);
    if (!total) {
        mp_buf_adds(b, ",\"name\":");
        mp_json_str(b, g->name);
        if (by == MP_STATS_BY_WEEK) {
            mp_buf_adds(b, ",\"week_start\":");
            day_str(b, g->week_start);
        }
        if (by == MP_STATS_BY_CATEGORY) {
            mp_buf_adds(b, ",\"service_days\":");
            if (g->name)
                mp_json_int(b, g->service_days);
            else
                mp_buf_adds(b, "null");
        }
    }
    mp_buf_printf(b,
                  ",\"received\":%lld,\"open\":%lld,\"fixed\":%lld,\"closed_unfixed\":%lld,"
                  "\"within_service_level\":%lld,\"overdue_open\":%lld",
                  (long long)g->received, (long long)g->open, (long long)g->fixed,
                  (long long)g->closed_unfixed, (long long)g->within,
                  (long long)g->overdue_open);
    mp_buf_adds(b, ",\"median_days_to_fix\":");
    num_or_null(b, g->has_ttf, g->median, 2);
    mp_buf_adds(b, ",\"p90_days_to_fix\":");
    num_or_null(b, g->has_ttf, g->p90, 2);
    mp_buf_adds(b, ",\"share_within_service_level\":");
    num_or_null(b, g->has_share, g->share_within, 4);
    if (within_days > 0)
        within_days_json(b, g, within_days);
    mp_buf_addc(b, '}');
}

enum mp_status mp_api_stats(struct mp_app *app, struct mp_ctx *ctx, const struct mp_request *req,
                            struct mp_response *resp, struct mp_error *err)
{
    static const char *const allowed[] = {"from",         "to",          "group_by", "category",
                                          "district",     "municipality", "within_days", NULL};
    enum mp_status rc;
    struct mp_stats_result res;
    struct mp_stats_params p = {.now = mp_time_now(), .by = MP_STATS_BY_CATEGORY};
    const char *v;
    memset(&res, 0, sizeof res);
    if ((rc = mp_api_check_params(req, allowed, err)))
        return rc;
    p.to = p.now;
    if ((v = mp_req_query(req, "to")) && (rc = parse_local(app->tz, "to", v, true, &p.to, err)))
        return rc;
    p.from = p.to - DEFAULT_SPAN;
    if ((v = mp_req_query(req, "from")) &&
        (rc = parse_local(app->tz, "from", v, false, &p.from, err)))
        return rc;
    if (p.from >= p.to)
        return mp_fail(err, MP_EINVAL, "invalid_parameter", "from must be before to");
    if ((v = mp_req_query(req, "group_by"))) {
        if (strcmp(v, "category") == 0)
            p.by = MP_STATS_BY_CATEGORY;
        else if (strcmp(v, "district") == 0)
            p.by = MP_STATS_BY_DISTRICT;
        else if (strcmp(v, "week") == 0)
            p.by = MP_STATS_BY_WEEK;
        else if (strcmp(v, "municipality") == 0 && !app->region->of_one)
            p.by = MP_STATS_BY_MUNICIPALITY;
        else if (app->region->of_one)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "group_by must be category, district or week");
        else
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "group_by must be category, district, week or municipality");
    }
    if ((v = mp_req_query(req, "municipality"))) {
        if (app->region->of_one || !mp_region_member(app->region, v))
            return mp_fail(err, MP_EINVAL, "unknown_municipality",
                           "unknown municipality '%.48s'; GET /api/v1/config lists them", v);
        p.municipality = v;
    }
    if ((v = mp_req_query(req, "within_days"))) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > 365)
            return mp_fail(err, MP_EINVAL, "invalid_parameter",
                           "within_days must be a whole number of working days from 1 to 365");
        p.within_days = (int)n;
    }
    if ((v = mp_req_query(req, "category"))) {
        if (!mp_city_category(app->city, v))
            return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'", v);
        p.category = v;
    }
    if ((v = mp_req_query(req, "district"))) {
        if (!mp_city_district(app->city, v))
            return mp_fail(err, MP_EINVAL, "unknown_district",
                           "unknown district '%.32s'; GET /api/v1/districts lists them", v);
        p.district = v;
    }
    /* The counts scan every report of the range: an expensive read. */
    if ((rc = mp_req_take_read(req, resp, err)) || (rc = mp_stats_compute(ctx, &p, &res, err)))
        return rc;
    int64_t first = 0, last = 0;
    if (mp_export_time_extent(ctx, &first, &last) != MP_OK)
        first = last = 0;

    struct mp_buf *b = &resp->body;
    static const char *const by_name[] = {"category", "district", "week", "municipality"};
    mp_buf_adds(b, "{\"from\":");
    mp_json_time(b, p.from);
    mp_buf_adds(b, ",\"to\":");
    mp_json_time(b, p.to);
    mp_buf_adds(b, ",\"group_by\":");
    mp_json_str(b, by_name[p.by]);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, p.category);
    mp_buf_adds(b, ",\"district\":");
    mp_json_str(b, p.district);
    if (p.municipality || p.by == MP_STATS_BY_MUNICIPALITY) {
        mp_buf_adds(b, ",\"municipality\":");
        mp_json_str(b, p.municipality);
    }
    mp_buf_adds(b, ",\"timezone\":");
    mp_json_str(b, app->city->timezone);
    mp_buf_adds(b, ",\"generated_at\":");
    mp_json_time(b, p.now);
    mp_buf_adds(b, ",\"data_extent\":");
    if (first) {
        mp_buf_adds(b, "{\"first\":");
        mp_json_time(b, first);
        mp_buf_adds(b, ",\"last\":");
        mp_json_time(b, last);
        mp_buf_addc(b, '}');
    } else {
        mp_buf_adds(b, "null");
    }
    mp_buf_adds(b,
                ",\"definitions\":{\"days_to_fix\":\"working days from the report to its "
                "cluster's latest fix, in the city's local time; weekends and holidays count "
                "zero\",\"share_within_service_level\":\"fixed within the category's service "
                "days / (fixed + open past the service days)\"}");
    mp_buf_adds(b, ",\"total\":");
    group_json(b, &res.total, p.by, true, p.within_days);
    mp_buf_adds(b, ",\"groups\":[");
    for (size_t i = 0; i < res.ngroups; i++) {
        if (i)
            mp_buf_addc(b, ',');
        group_json(b, &res.groups[i], p.by, false, p.within_days);
    }
    mp_buf_adds(b, "]}");
    mp_stats_result_free(&res);
    resp->content_type = "application/json";
    resp->cache = "no-store";
    return mp_buf_status(b);
}
