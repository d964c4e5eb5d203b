/* open311.c - the Open311 domain: service definitions, the submission of a
 * service request in one transaction, the reads of requests, notes and
 * updates, and service-level due dates. */
#include "meldpunt/open311.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meldpunt/geo.h"
#include "meldpunt/scope.h"
#include "meldpunt/store_open311.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"

/* ---- service definitions ---- */

json_t *mp_open311_services(const struct mp_city *city)
{
    /* Descriptions, keywords and Open311 attributes are not part of struct
     * mp_category: the pack's public category objects carry them. */
    return json_loadb(city->categories_json, city->categories_json_len, 0, NULL);
}

const json_t *mp_open311_service(const json_t *services, const char *code)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(services, "categories"), i, c)
    {
        const char *cc = json_string_value(json_object_get(c, "code"));
        if (cc && strcmp(cc, code) == 0)
            return c;
    }
    return NULL;
}

const char *mp_open311_text(const json_t *o, const char *lang)
{
    if (json_is_string(o))
        return json_string_value(o);
    const char *s = json_string_value(json_object_get(o, lang));
    return s ? s : json_string_value(json_object_get(o, "en"));
}

bool mp_open311_split_list(char *s, const char **items, size_t cap, size_t *n)
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

/* ---- the answers to a service's attributes ---- */

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
    if (chars > (strcmp(type, "text") == 0 ? MP_DESCRIPTION_MAX : MP_OPEN311_ATTR_STRING_MAX)) {
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
    const char *keys[MP_OPEN311_MAX_ANSWERS];
    size_t n, i;
    const json_t *have;
    if (strlen(value) >= sizeof tmp || !mp_open311_split_list(memcpy(tmp, value, strlen(value) + 1),
                                                              keys, MP_OPEN311_MAX_ANSWERS, &n)) {
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
static bool attr_answer(const json_t *def, const struct mp_open311_submission *s, char *msg,
                        size_t cap, json_t **out)
{
    const char *code = json_string_value(json_object_get(def, "code"));
    const char *type = json_string_value(json_object_get(def, "datatype"));
    bool multi = type && strcmp(type, "multivaluelist") == 0;
    json_t *val = NULL;
    *out = NULL;
    if (!code)
        return true; /* the pack's loader keeps codes; nothing to match */
    for (size_t k = 0; k < s->nanswers; k++) {
        if (strcmp(s->answers[k].code, code) != 0)
            continue;
        if (val && !multi) {
            snprintf(msg, cap, "attribute[%s] takes one value", code);
            goto fail;
        }
        if (!multi) {
            if (!attr_value_ok(def, code, s->answers[k].value, msg, cap, &val))
                goto fail;
            continue;
        }
        if (!val && !(val = json_array()))
            goto fail;
        if (!list_keys(def, code, s->answers[k].value, val, msg, cap))
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

/* Whether the service definition cat defines attribute code. */
static bool defined(const json_t *cat, const char *code)
{
    size_t i;
    const json_t *def;
    json_array_foreach(json_object_get(cat, "attributes"), i, def)
    {
        const char *c = json_string_value(json_object_get(def, "code"));
        if (c && strcmp(c, code) == 0)
            return true;
    }
    return false;
}

/* The answers to attributes the service does not define, kept as the client
 * sent them (one text each; a repeated one keeps its first) in a NEW object
 * in *out, or NULL when there are none. Such answers are the client's own
 * (FixMyStreet cobrands send title, report_url, fixmystreet_id...): public
 * text like a description, bounded like one. */
static bool extra_answers(const json_t *cat, const struct mp_open311_submission *s, char *msg,
                          size_t cap, json_t **out)
{
    json_t *obj = NULL;
    *out = NULL;
    for (size_t k = 0; k < s->nanswers; k++) {
        const char *code = s->answers[k].code, *v = s->answers[k].value;
        if (defined(cat, code) || (obj && json_object_get(obj, code)))
            continue;
        if (mp_utf8_chars(code, strlen(code)) < 0 || strpbrk(code, "\t\r\n")) {
            snprintf(msg, cap, "attribute names must be UTF-8 text without control characters");
            json_decref(obj);
            return false;
        }
        long chars = mp_utf8_chars(v, strlen(v));
        if (chars < 0 || chars > MP_DESCRIPTION_MAX) {
            snprintf(msg, cap, "attribute[%s] must be UTF-8 text of at most %d characters", code,
                     MP_DESCRIPTION_MAX);
            json_decref(obj);
            return false;
        }
        if ((!obj && !(obj = json_object())) || json_object_set_new(obj, code, json_string(v))) {
            json_decref(obj);
            return false; /* out of memory: msg stays empty */
        }
    }
    *out = obj;
    return true;
}

/* Validate the answers against the service definition of cat: required ones
 * present, list keys defined, types and lengths. New JSON object {code:
 * value or [keys]} of the defined attributes in *out. On false, msg says why
 * (empty: out of memory). */
static bool attrs_check(const json_t *cat, const struct mp_open311_submission *s, char *msg,
                        size_t cap, json_t **out)
{
    const json_t *defs = json_object_get(cat, "attributes");
    size_t i;
    const json_t *def;
    *out = NULL;
    json_t *obj = json_object();
    if (!obj)
        return false;
    json_array_foreach(defs, i, def)
    {
        json_t *val;
        if (!attr_answer(def, s, msg, cap, &val)) {
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
    if (!rest || n > MP_OPEN311_MEDIA_URL_MAX || !*rest || *rest == '/')
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
    return n >= 0 && n <= MP_OPEN311_ID_FIELD_MAX;
}

/* ---- submitting ---- */

/* Everything about s that needs no database, in the order clients are told
 * about it: the answers, media_url, the ids. The answers as JSON text (NEW,
 * free()) in *attrs_text. */
static enum mp_status check(const struct mp_city *city, const struct mp_open311_submission *s,
                            char **attrs_text, char **extra_text, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *services = NULL, *attrs = NULL, *extra = NULL;
    const json_t *service;
    char msg[200];
    *attrs_text = *extra_text = NULL;
    if (!(services = mp_open311_services(city))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory; try again later");
        goto out;
    }
    if (!(service = mp_open311_service(services, s->report.category))) {
        rc = mp_fail(err, MP_ENOTFOUND, "not_found", "service_code '%.48s' was not found",
                     s->report.category);
        goto out;
    }
    msg[0] = '\0';
    if (!attrs_check(service, s, msg, sizeof msg, &attrs)) {
        rc = msg[0] ? mp_fail(err, MP_EINVAL, "invalid_attribute", "%s", msg)
                    : mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory; try again later");
        goto out;
    }
    msg[0] = '\0';
    if (!extra_answers(service, s, msg, sizeof msg, &extra)) {
        rc = msg[0] ? mp_fail(err, MP_EINVAL, "invalid_attribute", "%s", msg)
                    : mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory; try again later");
        goto out;
    }
    if (!(*attrs_text = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER)) ||
        (extra && !(*extra_text = json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER)))) {
        rc = mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory; try again later");
        goto out;
    }
    if (s->media_url && !media_url_ok(s->media_url)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter",
                     "media_url must be an absolute http or https URL of at most %d "
                     "characters, percent-encoded",
                     MP_OPEN311_MEDIA_URL_MAX);
        goto out;
    }
    if (!id_field_ok(s->device_id) || !id_field_ok(s->account_id))
        rc = mp_fail(err, MP_EINVAL, "invalid_parameter",
                     "device_id and account_id must be text of at most %d characters",
                     MP_OPEN311_ID_FIELD_MAX);
out:
    if (rc) {
        free(*attrs_text);
        free(*extra_text);
        *attrs_text = *extra_text = NULL;
    }
    json_decref(attrs);
    json_decref(extra);
    json_decref(services);
    return rc;
}

enum mp_status mp_open311_submit(struct mp_ctx *ctx, const struct mp_principal *who,
                                 const struct mp_open311_submission *s,
                                 struct mp_submit_result *res, struct mp_error *err)
{
    enum mp_status rc;
    char *attrs_text = NULL, *extra_text = NULL;
    bool in_tx = false;
    if (!mp_role_at_least(who->role, MP_ROLE_CLIENT))
        return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                       "Invalid api_key received -- can't proceed with create_request");
    if ((rc = check(ctx->city, s, &attrs_text, &extra_text, err)))
        return rc;
    struct mp_report_input in = s->report; /* its strings stay the caller's */
    snprintf(in.channel, sizeof in.channel, "open311");
    /* A client that named a municipality must have pinned it: the pin
     * decides, and a request for one town is not sent to its neighbour. */
    const struct mp_city *routed = NULL;
    bool scoped = !who->region_wide; /* tenancy: its pin must be in its municipalities */
    if ((s->jurisdiction || scoped) && (rc = mp_report_check(ctx, &in, &routed, err)))
        goto out;
    if (scoped && routed && (rc = mp_scope_intake(who, routed->id, routed->name, err)))
        goto out;
    if (s->jurisdiction && routed != s->jurisdiction) {
        rc = mp_fail(err, MP_EINVAL, "wrong_jurisdiction",
                     "the point lies in %.48s, not in jurisdiction_id '%.48s'", routed->name,
                     s->jurisdiction->id);
        goto out;
    }
    struct mp_open311_extra x = {.client_id = who->user_id,
                                 .attributes = attrs_text,
                                 .extra = extra_text,
                                 .media_url = s->media_url,
                                 .device_id = s->device_id,
                                 .account_id = s->account_id};
    /* The report, what came with it and the audit entry are one fact: a
     * request whose extras are lost must not stay behind as a bare report. */
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    in_tx = true;
    if ((rc = mp_report_submit(ctx, &in, false, res, err)))
        goto out;
    x.report_id = res->report_id;
    if (mp_store_open311_put(ctx->db, &x) != MP_OK ||
        mp_auth_audit(ctx, who, "open311_create", "report", res->report_id, NULL) != MP_OK) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable",
                     "the request could not be stored; try again later");
        goto out;
    }
    rc = mp_store_commit(ctx->db, err);
out:
    if (rc && in_tx)
        mp_store_rollback(ctx->db);
    free(attrs_text);
    free(extra_text);
    return rc;
}

/* ---- updates from clients ---- */

/* The statuses of mySociety's Open311 definition of an update. */
static bool update_status_ok(const char *s)
{
    static const char *const known[] = {
        "OPEN",
        "CLOSED",
        "FIXED",
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "PLANNED",
        "NO_FURTHER_ACTION",
        "NOT_COUNCILS_RESPONSIBILITY",
        "DUPLICATE",
        "INTERNAL_REFERRAL",
        "CANCELLED",
        "REOPEN",
        "FOR_TRIAGE",
    };
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcasecmp(s, known[i]) == 0)
            return true;
    return false;
}

static enum mp_status update_check(const struct mp_open311_update_in *u, struct mp_error *err)
{
    long idn = mp_utf8_chars(u->update_id, strlen(u->update_id));
    if (idn < 1 || idn > MP_OPEN311_UPDATE_ID_MAX)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "update_id must be text of at most %d characters", MP_OPEN311_UPDATE_ID_MAX);
    if (!update_status_ok(u->status))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "status '%.32s' is not an update status (OPEN, CLOSED, FIXED, "
                       "IN_PROGRESS, ACTION_SCHEDULED, ...)",
                       u->status);
    long chars = u->description ? mp_utf8_chars(u->description, strlen(u->description)) : 0;
    if (chars < 0 || chars > MP_DESCRIPTION_MAX)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "description must be UTF-8 text of at most %d characters",
                       MP_DESCRIPTION_MAX);
    if (u->media_url && !media_url_ok(u->media_url))
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "media_url must be an absolute http or https URL of at most %d "
                       "characters, percent-encoded",
                       MP_OPEN311_MEDIA_URL_MAX);
    if (!chars && !u->media_url)
        return mp_fail(err, MP_EINVAL, "invalid_parameter",
                       "an update needs a description or a media_url");
    return MP_OK;
}

struct request_probe {
    bool found;
    int64_t cluster_id;
};

static int probe_row(void *p, const struct mp_open311_row *row)
{
    struct request_probe *rp = p;
    rp->found = true;
    rp->cluster_id = row->cluster_id;
    return 1;
}

enum mp_status mp_open311_post_update(struct mp_ctx *ctx, const struct mp_principal *who,
                                      const struct mp_open311_update_in *u,
                                      struct mp_open311_update_out *out, struct mp_error *err)
{
    enum mp_status rc;
    char *note = NULL;
    bool in_tx = false;
    struct mp_cluster_state st;
    memset(out, 0, sizeof *out);
    if (!mp_role_at_least(who->role, MP_ROLE_CLIENT))
        return mp_fail(
            err, MP_EFORBIDDEN, "forbidden",
            "Invalid api_key received -- can't proceed with post_service_request_update");
    if ((rc = update_check(u, err)))
        return rc;
    /* Public text never carries contact details: masked before it is kept. */
    if (!(note = mp_text_mask_contacts(u->description ? u->description : "")))
        return mp_fail(err, MP_ENOMEM, "out_of_memory", "out of memory; try again later");
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    in_tx = true;
    rc = mp_store_open311_update_find(ctx->db, who->user_id, u->update_id, &out->history_id,
                                      &out->report_id);
    if (rc == MP_OK) {
        /* A retry of an update already taken (its answer was lost): the
         * same answer again, and nothing new. */
        if (out->report_id != u->service_request_id) {
            rc = mp_fail(err, MP_ECONFLICT, "conflict",
                         "update_id '%.64s' was already used for service request %lld",
                         u->update_id, (long long)out->report_id);
            goto out;
        }
        out->existed = true;
        rc = mp_store_commit(ctx->db, err);
        goto out;
    }
    if (rc != MP_ENOTFOUND)
        goto db_fail;
    struct request_probe rp = {false, 0};
    if ((rc = mp_store_open311_request(ctx->db, u->service_request_id, probe_row, &rp)) == MP_OK &&
        rp.found)
        /* Tenancy: another municipality's request is answered as a missing one. */
        rc = mp_scope_report(ctx, who, u->service_request_id);
    if (rc == MP_ENOTFOUND || (rc == MP_OK && !rp.found)) {
        rc = mp_fail(err, MP_ENOTFOUND, "not_found", "service_request_id '%lld' was not found",
                     (long long)u->service_request_id);
        goto out;
    }
    if (rc || (rc = mp_store_cluster_state(ctx->db, rp.cluster_id, &st)))
        goto db_fail;
    struct mp_open311_note_rec rec = {.report_id = u->service_request_id,
                                      .cluster_id = rp.cluster_id,
                                      .client_id = who->user_id,
                                      .at = mp_time_now(),
                                      .status = st.status,
                                      .note = note,
                                      .actor = who->name,
                                      .client_update_id = u->update_id,
                                      .client_status = u->status,
                                      .client_at = u->updated_at,
                                      .media_url = u->media_url};
    if ((rc = mp_store_open311_note_add(ctx->db, &rec, &out->history_id)) ||
        (rc = mp_auth_audit(ctx, who, "open311_update", "report", u->service_request_id, NULL)))
        goto db_fail;
    out->report_id = u->service_request_id;
    rc = mp_store_commit(ctx->db, err);
    goto out;
db_fail:
    rc =
        mp_fail(err, MP_EUNAVAIL, "unavailable", "the update could not be stored; try again later");
out:
    if (in_tx && rc)
        mp_store_rollback(ctx->db);
    free(note);
    return rc;
}

/* ---- reading ---- */

enum mp_status mp_open311_requests(struct mp_ctx *ctx, const struct mp_open311_query *q,
                                   mp_open311_cb cb, void *arg)
{
    struct mp_open311_query nq = *q;
    if (q->near) {
        /* The circle is measured in the city's metric CRS, like every
         * distance here; its envelope in lon/lat lets the store use its
         * spatial index first. */
        double lon[2], lat[2];
        if (mp_geo_forward(ctx->geo, q->near_lon, q->near_lat, &nq.x, &nq.y) != MP_OK ||
            mp_geo_inverse(ctx->geo, nq.x - q->radius_m, nq.y - q->radius_m, &lon[0], &lat[0]) !=
                MP_OK ||
            mp_geo_inverse(ctx->geo, nq.x + q->radius_m, nq.y + q->radius_m, &lon[1], &lat[1]) !=
                MP_OK)
            return MP_EINVAL;
        /* A conformal projection turns a square into a near-square: a
         * margin of a tenth covers the corners' curvature. */
        double mlon = (lon[1] - lon[0]) * 0.1, mlat = (lat[1] - lat[0]) * 0.1;
        struct mp_bbox env = {lon[0] - mlon, lat[0] - mlat, lon[1] + mlon, lat[1] + mlat};
        if (nq.has_bbox) {
            env.min_lon = fmax(env.min_lon, nq.bbox.min_lon);
            env.min_lat = fmax(env.min_lat, nq.bbox.min_lat);
            env.max_lon = fmin(env.max_lon, nq.bbox.max_lon);
            env.max_lat = fmin(env.max_lat, nq.bbox.max_lat);
            if (env.min_lon > env.max_lon || env.min_lat > env.max_lat)
                return MP_OK; /* the box and the circle do not meet */
        }
        nq.has_bbox = true;
        nq.bbox = env;
    }
    return mp_store_open311_requests(ctx->db, &nq, cb, arg);
}

enum mp_status mp_open311_request(struct mp_ctx *ctx, int64_t id, mp_open311_cb cb, void *arg)
{
    return mp_store_open311_request(ctx->db, id, cb, arg);
}

struct in_member {
    const char *member;
    mp_open311_cb cb;
    void *arg;
    bool seen;
};

static int request_in_member(void *p, const struct mp_open311_row *row)
{
    struct in_member *m = p;
    if (row->municipality && strcmp(row->municipality, m->member) != 0)
        return 0;
    m->seen = true;
    return m->cb(m->arg, row);
}

enum mp_status mp_open311_request_in(struct mp_ctx *ctx, int64_t id, const char *member,
                                     mp_open311_cb cb, void *arg)
{
    if (!member)
        return mp_open311_request(ctx, id, cb, arg);
    struct in_member m = {member, cb, arg, false};
    enum mp_status rc = mp_store_open311_request(ctx->db, id, request_in_member, &m);
    return rc == MP_OK && !m.seen ? MP_ENOTFOUND : rc;
}

struct notes {
    const struct mp_open311_row *row;
    mp_history_cb cb;
    void *arg;
};

static int note_of_request(void *p, const struct mp_history_row *h)
{
    const struct notes *n = p;
    /* What happened to the case before the request joined it, or to another
     * report of it alone, is no update of this request. */
    if (h->at < n->row->created_at || (h->report_id && h->report_id != n->row->id))
        return 0;
    return n->cb(n->arg, h);
}

enum mp_status mp_open311_notes(struct mp_ctx *ctx, const struct mp_open311_row *row,
                                mp_history_cb cb, void *arg)
{
    struct notes n = {row, cb, arg};
    return mp_store_history(ctx->db, row->cluster_id, note_of_request, &n);
}

enum mp_status mp_open311_updates(struct mp_ctx *ctx, int64_t since, int64_t until, size_t limit,
                                  size_t offset, mp_open311_update_cb cb, void *arg)
{
    return mp_store_open311_updates(ctx->db, since, until, limit, offset, cb, arg);
}

/* ---- service levels ---- */

/* Ten years: more non-working days in a row means a broken calendar. */
#define DUE_MAX_DAYS 3660

int64_t mp_open311_due(const struct mp_city *city, const struct mp_tz *tz, int64_t start,
                       int working_days)
{
    if (working_days <= 0)
        return start;
    int64_t local = start + (tz ? mp_tz_offset(tz, start) : 0);
    int64_t day = local / 86400, secs = local % 86400;
    if (secs < 0) {
        secs += 86400;
        day -= 1;
    }
    int found = 0;
    for (int i = 0; i < DUE_MAX_DAYS && found < working_days; i++) {
        day++;
        if (mp_city_is_workday(city, day))
            found++;
    }
    if (found < working_days)
        return 0;
    int64_t due_local = day * 86400 + secs;
    return tz ? mp_tz_local_to_utc(tz, due_local) : due_local;
}
