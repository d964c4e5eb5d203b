/* ogc_html.c - JSON documents of the OGC API as plain HTML pages
 * (ogc_html.h). One generic renderer instead of a template per document: the
 * HTML then shows whatever the JSON holds, and cannot fall behind it. */
#include "meldpunt/ogc_html.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/xml.h"

/* Our documents nest a few levels (the OpenAPI definition about ten). */
#define MAX_DEPTH 16

struct ctx {
    struct mp_buf *b;
    const char *features_href;
};

/* Escaped for element content and attribute values alike. */
static void text(struct mp_buf *b, const char *s) { mp_xml_attr_value(b, s); }

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static void anchor(struct mp_buf *b, const char *href, const char *label)
{
    mp_buf_adds(b, "<a href=\"");
    text(b, href);
    mp_buf_adds(b, "\">");
    text(b, label);
    mp_buf_adds(b, "</a>");
}

static void value(struct ctx *c, const json_t *v, int depth);

static void scalar(struct mp_buf *b, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (is_url(json_string_value(v)))
            anchor(b, json_string_value(v), json_string_value(v));
        else
            text(b, json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        mp_buf_adds(b, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.10g", json_real_value(v));
        mp_buf_adds(b, num);
        break;
    case JSON_TRUE: mp_buf_adds(b, "true"); break;
    case JSON_FALSE: mp_buf_adds(b, "false"); break;
    default: mp_buf_adds(b, "<em>none</em>"); break;
    }
}

/* A links array: each as an anchor with its relation and media type. */
static void links(struct mp_buf *b, const json_t *a)
{
    size_t i;
    const json_t *l;
    mp_buf_adds(b, "<ul>");
    json_array_foreach(a, i, l)
    {
        const char *href = json_string_value(json_object_get(l, "href"));
        const char *rel = json_string_value(json_object_get(l, "rel"));
        const char *type = json_string_value(json_object_get(l, "type"));
        const char *title = json_string_value(json_object_get(l, "title"));
        mp_buf_adds(b, "<li>");
        if (href && is_url(href))
            anchor(b, href, title ? title : rel ? rel : href);
        else
            text(b, title ? title : href ? href : "");
        mp_buf_adds(b, " <small>(");
        text(b, rel ? rel : "");
        if (type) {
            mp_buf_adds(b, ", ");
            text(b, type);
        }
        mp_buf_adds(b, ")</small></li>");
    }
    mp_buf_adds(b, "</ul>");
}

/* A geometry: a point's coordinates; the other types' coordinates are in
 * the JSON representation (a district's outline is thousands of numbers). */
static void geometry(struct mp_buf *b, const json_t *g)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *co = json_object_get(g, "coordinates");
    if (!type) {
        mp_buf_adds(b, "<em>none</em>");
        return;
    }
    text(b, type);
    if (strcmp(type, "Point") == 0 && json_array_size(co) == 2) {
        mp_buf_adds(b, " ");
        scalar(b, json_array_get(co, 0));
        mp_buf_adds(b, ", ");
        scalar(b, json_array_get(co, 1));
    }
}

/* A feature: its id (a link to its own page when known), geometry and
 * properties. */
static void feature(struct ctx *c, const json_t *f, int depth)
{
    const json_t *id = json_object_get(f, "id");
    mp_buf_adds(c->b, "<h2>");
    if (json_is_integer(id) && c->features_href) {
        char href[1024], label[32];
        snprintf(label, sizeof label, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        int n = snprintf(href, sizeof href, "%s%s", c->features_href, label);
        if (n > 0 && (size_t)n < sizeof href)
            anchor(c->b, href, label);
    } else if (id) {
        scalar(c->b, id);
    } else {
        mp_buf_adds(c->b, "Feature");
    }
    mp_buf_adds(c->b, "</h2><dl><dt>geometry</dt><dd>");
    geometry(c->b, json_object_get(f, "geometry"));
    mp_buf_adds(c->b, "</dd>");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(f, "properties"), key, v)
    {
        mp_buf_adds(c->b, "<dt>");
        text(c->b, key);
        mp_buf_adds(c->b, "</dt><dd>");
        value(c, v, depth + 1);
        mp_buf_adds(c->b, "</dd>");
    }
    mp_buf_adds(c->b, "</dl>");
    if (json_is_array(json_object_get(f, "links")))
        links(c->b, json_object_get(f, "links"));
}

static void object(struct ctx *c, const json_t *o, int depth)
{
    const char *key;
    const json_t *v;
    mp_buf_adds(c->b, "<dl>");
    json_object_foreach((json_t *)o, key, v)
    {
        mp_buf_adds(c->b, "<dt>");
        text(c->b, key);
        mp_buf_adds(c->b, "</dt><dd>");
        if (strcmp(key, "links") == 0 && json_is_array(v))
            links(c->b, v);
        else
            value(c, v, depth + 1);
        mp_buf_adds(c->b, "</dd>");
    }
    mp_buf_adds(c->b, "</dl>");
}

static void value(struct ctx *c, const json_t *v, int depth)
{
    size_t i;
    const json_t *e;
    if (depth > MAX_DEPTH) {
        mp_buf_adds(c->b, "&#8230;");
        return;
    }
    if (json_is_object(v)) {
        if (json_is_string(json_object_get(v, "type")) &&
            strcmp(json_string_value(json_object_get(v, "type")), "Feature") == 0)
            feature(c, v, depth);
        else
            object(c, v, depth);
    } else if (json_is_array(v)) {
        bool flat = true;
        json_array_foreach(v, i, e) flat = flat && !json_is_object(e) && !json_is_array(e);
        if (flat) {
            json_array_foreach(v, i, e)
            {
                if (i)
                    mp_buf_adds(c->b, ", ");
                scalar(c->b, e);
            }
        } else {
            mp_buf_adds(c->b, "<ol>");
            json_array_foreach(v, i, e)
            {
                mp_buf_adds(c->b, "<li>");
                value(c, e, depth + 1);
                mp_buf_adds(c->b, "</li>");
            }
            mp_buf_adds(c->b, "</ol>");
        }
    } else {
        scalar(c->b, v);
    }
}

enum mp_status mp_ogc_html(struct mp_buf *b, const char *title, const char *json, size_t len,
                           const char *features_href)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    if (!doc)
        return MP_EINVAL;
    struct ctx c = {b, features_href};
    mp_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>");
    text(b, title);
    mp_buf_adds(b, "</title></head>\n<body><h1>");
    text(b, title);
    mp_buf_adds(b, "</h1>\n");
    /* The links first: they are what a reader follows. */
    if (json_is_object(doc) && json_is_array(json_object_get(doc, "links"))) {
        mp_buf_adds(b, "<nav>");
        links(b, json_object_get(doc, "links"));
        mp_buf_adds(b, "</nav>\n");
        json_object_del(doc, "links");
    }
    value(&c, doc, 0);
    mp_buf_adds(b, "\n</body></html>\n");
    json_decref(doc);
    return MP_OK;
}
