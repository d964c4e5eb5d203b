/* open311.c - one writer for the two Open311 formats, W3C date-times with
 * the city's offset and service-level due dates. XML comes from xml.h. */
#include "meldpunt/open311.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/timeutil.h"
#include "meldpunt/xml.h"

void mp_open311_init(struct mp_open311_writer *w, struct mp_buf *b, bool xml)
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
static const char *child(struct mp_open311_writer *w, const char *key)
{
    if (w->depth == 0) {
        w->broken = true;
        return NULL;
    }
    struct mp_open311_level *p = &w->lv[w->depth - 1];
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

static void open_level(struct mp_open311_writer *w, const char *name, const char *item, bool array)
{
    if (w->depth >= MP_OPEN311_MAX_DEPTH) {
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
    w->lv[w->depth++] = (struct mp_open311_level){el, item, array, 0};
}

void mp_open311_obj(struct mp_open311_writer *w, const char *name)
{
    open_level(w, name, NULL, false);
}

void mp_open311_arr(struct mp_open311_writer *w, const char *name, const char *item)
{
    open_level(w, name, item, true);
}

void mp_open311_end(struct mp_open311_writer *w)
{
    if (w->depth == 0) {
        w->broken = true;
        return;
    }
    const struct mp_open311_level *l = &w->lv[--w->depth];
    if (w->xml)
        mp_xml_close(w->b, l->name);
    else
        mp_buf_addc(w->b, l->array ? ']' : '}');
    if (w->depth == 0 && w->xml)
        mp_buf_addc(w->b, '\n');
}

/* A scalar whose JSON and XML spellings are the same text (numbers,
 * booleans); NULL text is null / an empty element. */
static void raw(struct mp_open311_writer *w, const char *key, const char *text)
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

void mp_open311_str(struct mp_open311_writer *w, const char *key, const char *s)
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

void mp_open311_int(struct mp_open311_writer *w, const char *key, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    raw(w, key, tmp);
}

void mp_open311_num(struct mp_open311_writer *w, const char *key, double v, int decimals)
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

void mp_open311_bool(struct mp_open311_writer *w, const char *key, bool v)
{
    raw(w, key, v ? "true" : "false");
}

void mp_open311_time(struct mp_open311_writer *w, const char *key, int64_t t,
                     const struct mp_tz *tz)
{
    if (t == 0) {
        raw(w, key, NULL);
        return;
    }
    char text[32];
    mp_open311_format_time(t, tz ? mp_tz_offset(tz, t) : 0, text, sizeof text);
    mp_open311_str(w, key, text);
}

enum mp_status mp_open311_status(const struct mp_open311_writer *w)
{
    if (w->broken || w->depth != 0)
        return MP_EINVAL;
    return mp_buf_status(w->b);
}

void mp_open311_format_time(int64_t t, int64_t offset_s, char *out, size_t cap)
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
