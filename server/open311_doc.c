/* open311_doc.c - one writer for the two Open311 formats (XML from xml.h),
 * W3C date-times with the city's offset, and the documents of GeoReport v2
 * written with it. */
#include "meldpunt/open311_doc.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/open311.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "meldpunt/xml.h"

void mp_open311_doc_init(struct mp_open311_doc *w, struct mp_buf *b, bool xml)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->xml = xml;
    /* The standard asks for the declaration with the encoding before the root. */
    if (xml)
        mp_xml_decl(b);
}

/* Begin a child of the current level: in JSON the comma and the member key,
 * in XML nothing yet. Returns the child's XML element name, or NULL when
 * there is no level to write into. */
static const char *child(struct mp_open311_doc *w, const char *key)
{
    if (w->depth == 0) {
        w->broken = true;
        return NULL;
    }
    struct mp_open311_doc_level *p = &w->lv[w->depth - 1];
    const char *name = p->array ? p->item : key;
    if (!name) {
        w->broken = true;
        return NULL;
    }
    if (!w->xml) {
        if (p->n)
            mp_buf_addc(w->b, ',');
        if (!p->array) {
            mp_json_str(w->b, key);
            mp_buf_addc(w->b, ':');
        }
    }
    p->n++;
    return name;
}

static void open_level(struct mp_open311_doc *w, const char *name, const char *item, bool array)
{
    if (w->depth >= MP_OPEN311_DOC_MAX_DEPTH) {
        w->broken = true;
        return;
    }
    const char *el = w->depth == 0 ? name : child(w, name);
    if (!el) {
        w->broken = true;
        return;
    }
    if (w->xml)
        mp_xml_open(w->b, el);
    else
        mp_buf_addc(w->b, array ? '[' : '{');
    w->lv[w->depth++] = (struct mp_open311_doc_level){el, item, array, 0};
}

void mp_open311_doc_obj(struct mp_open311_doc *w, const char *name)
{
    open_level(w, name, NULL, false);
}

void mp_open311_doc_arr(struct mp_open311_doc *w, const char *name, const char *item)
{
    open_level(w, name, item, true);
}

void mp_open311_doc_end(struct mp_open311_doc *w)
{
    if (w->depth == 0) {
        w->broken = true;
        return;
    }
    const struct mp_open311_doc_level *l = &w->lv[--w->depth];
    if (w->xml)
        mp_xml_close(w->b, l->name);
    else
        mp_buf_addc(w->b, l->array ? ']' : '}');
    if (w->depth == 0 && w->xml)
        mp_buf_addc(w->b, '\n');
}

/* A scalar whose JSON and XML spellings are the same text (numbers,
 * booleans); NULL text is null / an empty element. */
static void raw(struct mp_open311_doc *w, const char *key, const char *text)
{
    const char *name = child(w, key);
    if (!name)
        return;
    if (!w->xml) {
        mp_buf_adds(w->b, text ? text : "null");
    } else if (!text) {
        mp_xml_empty(w->b, name);
    } else {
        /* Numbers and booleans: nothing to escape. */
        mp_xml_open(w->b, name);
        mp_buf_adds(w->b, text);
        mp_xml_close(w->b, name);
    }
}

void mp_open311_doc_str(struct mp_open311_doc *w, const char *key, const char *s)
{
    if (!s) {
        raw(w, key, NULL);
        return;
    }
    const char *name = child(w, key);
    if (!name)
        return;
    if (!w->xml) {
        mp_json_str(w->b, s);
        return;
    }
    mp_xml_element(w->b, name, s);
}

void mp_open311_doc_int(struct mp_open311_doc *w, const char *key, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    raw(w, key, tmp);
}

void mp_open311_doc_num(struct mp_open311_doc *w, const char *key, double v, int decimals)
{
    if (!isfinite(v)) {
        raw(w, key, NULL);
        return;
    }
    /* mp_json_num trims trailing zeros and never prints "-0". */
    struct mp_buf tmp;
    mp_buf_init(&tmp, 64);
    mp_json_num(&tmp, v, decimals);
    if (tmp.failed || !tmp.data)
        w->b->failed = true;
    else
        raw(w, key, tmp.data);
    mp_buf_free(&tmp);
}

void mp_open311_doc_bool(struct mp_open311_doc *w, const char *key, bool v)
{
    raw(w, key, v ? "true" : "false");
}

void mp_open311_doc_time(struct mp_open311_doc *w, const char *key, int64_t t,
                         const struct mp_tz *tz)
{
    if (t == 0) {
        raw(w, key, NULL);
        return;
    }
    char text[32];
    mp_open311_doc_format_time(t, tz ? mp_tz_offset(tz, t) : 0, text, sizeof text);
    mp_open311_doc_str(w, key, text);
}

enum mp_status mp_open311_doc_status(const struct mp_open311_doc *w)
{
    if (w->broken || w->depth != 0)
        return MP_EINVAL;
    return mp_buf_status(w->b);
}

void mp_open311_doc_format_time(int64_t t, int64_t offset_s, char *out, size_t cap)
{
    char utc[32], text[48];
    if (cap == 0)
        return;
    out[0] = '\0';
    /* The local wall clock is the UTC formatting of t shifted by the offset. */
    mp_time_format(t + offset_s, utc, sizeof utc);
    size_t n = strlen(utc);
    if (n == 0)
        return;
    if (offset_s == 0) {
        memcpy(text, utc, n + 1);
    } else {
        utc[n - 1] = '\0'; /* drop the Z */
        int64_t a = offset_s < 0 ? -offset_s : offset_s;
        int len = snprintf(text, sizeof text, "%s%c%02d:%02d", utc, offset_s < 0 ? '-' : '+',
                           (int)(a / 3600 % 100), (int)(a / 60 % 60));
        if (len < 0 || (size_t)len >= sizeof text)
            return;
    }
    n = strlen(text);
    if (n < cap)
        memcpy(out, text, n + 1);
}

/* ---- the documents of GeoReport v2 ---- */

void mp_open311_doc_services(struct mp_open311_doc *w, const json_t *services, const char *lang)
{
    struct mp_buf kw;
    mp_buf_init(&kw, 64 * 1024);
    mp_open311_doc_arr(w, "services", "service");
    size_t i, k;
    const json_t *c, *word;
    json_array_foreach(json_object_get(services, "categories"), i, c)
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
        mp_open311_doc_obj(w, NULL);
        mp_open311_doc_str(w, "service_code", json_string_value(json_object_get(c, "code")));
        mp_open311_doc_str(w, "service_name", mp_open311_text(json_object_get(c, "name"), lang));
        mp_open311_doc_str(w, "description",
                           mp_open311_text(json_object_get(c, "description"), lang));
        mp_open311_doc_bool(w, "metadata", json_array_size(attrs) > 0);
        mp_open311_doc_str(w, "type", "realtime");
        mp_open311_doc_str(w, "keywords", kw.len && kw.data ? kw.data : NULL);
        mp_open311_doc_str(w, "group", json_string_value(json_object_get(c, "group")));
        mp_open311_doc_end(w);
    }
    mp_open311_doc_end(w);
    if (kw.failed)
        w->b->failed = true;
    mp_buf_free(&kw);
}

void mp_open311_doc_service_def(struct mp_open311_doc *w, const json_t *service, const char *code,
                                const char *lang)
{
    mp_open311_doc_obj(w, "service_definition");
    mp_open311_doc_str(w, "service_code", code);
    mp_open311_doc_arr(w, "attributes", "attribute");
    size_t i, k;
    const json_t *a, *v;
    json_array_foreach(json_object_get(service, "attributes"), i, a)
    {
        const json_t *var = json_object_get(a, "variable");
        const json_t *values = json_object_get(a, "values");
        mp_open311_doc_obj(w, NULL);
        mp_open311_doc_bool(w, "variable", !json_is_false(var));
        mp_open311_doc_str(w, "code", json_string_value(json_object_get(a, "code")));
        mp_open311_doc_str(w, "datatype", json_string_value(json_object_get(a, "datatype")));
        mp_open311_doc_bool(w, "required", json_is_true(json_object_get(a, "required")));
        mp_open311_doc_str(w, "datatype_description",
                           mp_open311_text(json_object_get(a, "datatype_description"), lang));
        mp_open311_doc_int(w, "order",
                           json_is_integer(json_object_get(a, "order"))
                               ? json_integer_value(json_object_get(a, "order"))
                               : (json_int_t)i + 1);
        mp_open311_doc_str(w, "description",
                           mp_open311_text(json_object_get(a, "description"), lang));
        if (json_array_size(values) > 0) {
            mp_open311_doc_arr(w, "values", "value");
            json_array_foreach(values, k, v)
            {
                mp_open311_doc_obj(w, NULL);
                mp_open311_doc_str(w, "key", json_string_value(json_object_get(v, "key")));
                mp_open311_doc_str(w, "name", mp_open311_text(json_object_get(v, "name"), lang));
                mp_open311_doc_end(w);
            }
            mp_open311_doc_end(w);
        }
        mp_open311_doc_end(w);
    }
    mp_open311_doc_end(w);
    mp_open311_doc_end(w);
}

/* Said when a request was folded into a case that already existed. */
void mp_open311_doc_notice(char *out, size_t cap, int64_t count)
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

/* Public text never carries contact details, even typed into a description. */
static void masked(struct mp_open311_doc *w, const char *key, const char *s)
{
    if (!s || !*s) {
        mp_open311_doc_str(w, key, NULL);
        return;
    }
    char *m = mp_text_mask_contacts(s);
    if (!m) {
        w->b->failed = true;
        return;
    }
    mp_open311_doc_str(w, key, m);
    free(m);
}

/* The label of attribute code and the display name of value, from the
 * service definition; the raw texts when the definition changed since.
 * *typed: the value is the citizen's own text, not a key of a list. */
static void attr_texts(const json_t *cat, const char *code, const char *value, const char *lang,
                       const char **label, const char **name, bool *typed)
{
    size_t i, k;
    const json_t *a, *val;
    *label = code;
    *name = value;
    *typed = true;
    json_array_foreach(json_object_get(cat, "attributes"), i, a)
    {
        const char *c = json_string_value(json_object_get(a, "code"));
        if (!c || strcmp(c, code) != 0)
            continue;
        const char *d = mp_open311_text(json_object_get(a, "description"), lang);
        *label = d ? d : code;
        json_array_foreach(json_object_get(a, "values"), k, val)
        {
            const char *key = json_string_value(json_object_get(val, "key"));
            if (key && value && strcmp(key, value) == 0) {
                const char *nm = mp_open311_text(json_object_get(val, "name"), lang);
                *name = nm ? nm : value;
                *typed = false;
            }
        }
    }
}

static void attributes(struct mp_open311_doc *w, const struct mp_open311_view *v,
                       const struct mp_open311_row *row)
{
    json_t *attrs = row->attributes ? json_loads(row->attributes, 0, NULL) : NULL;
    const json_t *cat = mp_open311_service(v->services, row->category);
    const char *code;
    json_t *val;
    mp_open311_doc_arr(w, "attributes", "attribute");
    json_object_foreach(attrs, code, val)
    {
        size_t n = json_is_array(val) ? json_array_size(val) : 1;
        for (size_t i = 0; i < n; i++) {
            const json_t *one = json_is_array(val) ? json_array_get(val, i) : val;
            const char *label, *name;
            bool typed;
            if (!json_is_string(one))
                continue;
            attr_texts(cat, code, json_string_value(one), v->lang, &label, &name, &typed);
            mp_open311_doc_obj(w, NULL);
            mp_open311_doc_str(w, "label", label);
            mp_open311_doc_str(w, "name", code);
            /* Typed answers are public text like a description: masked. */
            if (typed) {
                masked(w, "value", name);
                masked(w, "code", json_string_value(one));
            } else {
                mp_open311_doc_str(w, "value", name);
                mp_open311_doc_str(w, "code", json_string_value(one));
            }
            mp_open311_doc_end(w);
        }
    }
    mp_open311_doc_end(w);
    json_decref(attrs);
}

/* The attributes a client sent that the service does not define, as it sent
 * them: public text like a description, so masked. An array of {code,
 * value}: codes are the client's text and never become XML names. */
static void extra_attributes(struct mp_open311_doc *w, const char *text)
{
    json_t *extra = json_loads(text, 0, NULL);
    const char *code;
    json_t *val;
    mp_open311_doc_arr(w, "extra_attributes", "attribute");
    json_object_foreach(extra, code, val)
    {
        if (!json_is_string(val))
            continue;
        mp_open311_doc_obj(w, NULL);
        mp_open311_doc_str(w, "code", code);
        masked(w, "value", json_string_value(val));
        mp_open311_doc_end(w);
    }
    mp_open311_doc_end(w);
    json_decref(extra);
}

void mp_open311_doc_request(struct mp_open311_doc *w, const struct mp_open311_view *v,
                            const struct mp_open311_row *row)
{
    const struct mp_category *cat = mp_city_category(v->city, row->category);
    char id[24], notice[200] = "", media[400];
    snprintf(id, sizeof id, "%lld", (long long)row->id);
    if (row->joined)
        mp_open311_doc_notice(notice, sizeof notice, row->cluster_count);
    const char *media_url = row->media_url;
    if (row->has_photo) {
        snprintf(media, sizeof media, "%s/api/v1/reports/%lld/photo", v->base, (long long)row->id);
        media_url = media;
    }
    int64_t due =
        cat ? mp_open311_due(v->city, v->tz, row->cluster_first_at, cat->service_days) : 0;
    mp_open311_doc_obj(w, NULL);
    mp_open311_doc_str(w, "service_request_id", id);
    mp_open311_doc_str(w, "status", open_closed(row->status));
    mp_open311_doc_str(w, "status_notes", row->status_notes);
    mp_open311_doc_str(
        w, "service_name",
        cat ? (strcmp(v->lang, "nl") == 0 && cat->name_nl ? cat->name_nl : cat->name_en)
            : row->category);
    mp_open311_doc_str(w, "service_code", row->category);
    masked(w, "description", row->description);
    mp_open311_doc_str(w, "agency_responsible", cat && cat->department[0] ? cat->department : NULL);
    mp_open311_doc_str(w, "service_notice", row->joined ? notice : NULL);
    mp_open311_doc_time(w, "requested_datetime", row->created_at, v->tz);
    mp_open311_doc_time(w, "updated_datetime", row->updated_at, v->tz);
    mp_open311_doc_time(w, "expected_datetime", cat && cat->service_days > 0 ? due : 0, v->tz);
    masked(w, "address", row->address);
    mp_open311_doc_str(w, "address_id", "");
    mp_open311_doc_str(w, "zipcode", NULL);
    mp_open311_doc_num(w, "lat", row->lat, 7);
    mp_open311_doc_num(w, "long", row->lon, 7);
    mp_open311_doc_str(w, "media_url", media_url);
    if (v->extensions) {
        attributes(w, v, row);
        mp_open311_doc_obj(w, "extended_attributes");
        mp_open311_doc_str(w, "channel", row->channel);
        mp_open311_doc_int(w, "cluster_id", row->cluster_id);
        mp_open311_doc_int(w, "report_count", row->cluster_count);
        mp_open311_doc_str(w, "internal_status", row->status);
        if (row->extra)
            extra_attributes(w, row->extra);
        mp_open311_doc_end(w);
    }
}

void mp_open311_doc_note(struct mp_open311_doc *w, const struct mp_open311_view *v,
                         const struct mp_history_row *h)
{
    char text[80];
    snprintf(text, sizeof text, "Status: %s", h->status ? h->status : "?");
    mp_open311_doc_obj(w, NULL);
    mp_open311_doc_time(w, "datetime", h->at, v->tz);
    mp_open311_doc_str(w, "description", h->note_public && h->note && h->note[0] ? h->note : text);
    mp_open311_doc_str(w, "type", h->status);
    mp_open311_doc_end(w);
}
