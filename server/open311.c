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

/* Validate the answers against the service definition of cat: every code
 * known, required ones present, list keys defined. New JSON object {code:
 * value or [keys]} in *out. On false, msg says why (empty: out of memory). */
static bool attrs_check(const json_t *cat, const struct mp_open311_submission *s, char *msg,
                        size_t cap, json_t **out)
{
    const json_t *defs = json_object_get(cat, "attributes");
    const char *service = json_string_value(json_object_get(cat, "code"));
    size_t i;
    const json_t *def;
    *out = NULL;
    for (size_t k = 0; k < s->nanswers; k++) {
        bool known = false;
        json_array_foreach(defs, i, def)
        {
            const char *c = json_string_value(json_object_get(def, "code"));
            known = known || (c && strcmp(c, s->answers[k].code) == 0);
        }
        if (!known) {
            snprintf(msg, cap,
                     "attribute[%s] is not an attribute of service %s; services/%s.xml lists them",
                     s->answers[k].code, service, service);
            return false;
        }
    }
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
                            char **attrs_text, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *services = NULL, *attrs = NULL;
    const json_t *service;
    char msg[200];
    *attrs_text = NULL;
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
    if (!(*attrs_text = json_dumps(attrs, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
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
        *attrs_text = NULL;
    }
    json_decref(attrs);
    json_decref(services);
    return rc;
}

enum mp_status mp_open311_submit(struct mp_ctx *ctx, const struct mp_principal *who,
                                 const struct mp_open311_submission *s,
                                 struct mp_submit_result *res, struct mp_error *err)
{
    enum mp_status rc;
    char *attrs_text = NULL;
    bool in_tx = false;
    if (!mp_role_at_least(who->role, MP_ROLE_CLIENT))
        return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                       "Invalid api_key received -- can't proceed with create_request");
    if ((rc = check(ctx->city, s, &attrs_text, err)))
        return rc;
    struct mp_report_input in = s->report; /* its strings stay the caller's */
    snprintf(in.channel, sizeof in.channel, "open311");
    struct mp_open311_extra x = {.client_id = who->user_id,
                                 .attributes = attrs_text,
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
    return rc;
}

/* ---- reading ---- */

enum mp_status mp_open311_requests(struct mp_ctx *ctx, const struct mp_open311_query *q,
                                   mp_open311_cb cb, void *arg)
{
    return mp_store_open311_requests(ctx->db, q, cb, arg);
}

enum mp_status mp_open311_request(struct mp_ctx *ctx, int64_t id, mp_open311_cb cb, void *arg)
{
    return mp_store_open311_request(ctx->db, id, cb, arg);
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
