#include "meldpunt/geojson.h"

#include <stdlib.h>
#include <string.h>

#include "meldpunt/text.h"

void mp_geojson_district(struct mp_buf *b, const struct mp_city *city, const char *code)
{
    const struct mp_district *d = mp_city_district(city, code);
    if (!d) {
        mp_buf_lit(b, "null");
        return;
    }
    mp_buf_add(b, d->json, d->json_len);
}

/* The public properties of a report, measured and masked before writing:
 * a map page writes a thousand of them, so each is one reservation and then
 * unchecked writes (buf.h) instead of forty bounded appends. */
struct props {
    const char *text[6]; /* category, status, description, address, location, channel */
    size_t len[6];
    char *masked[2];     /* owned copies of description and address, when masked */
    const struct mp_district *district;
    size_t bound;
};

enum { P_CATEGORY, P_STATUS, P_DESCRIPTION, P_ADDRESS, P_LOCATION, P_CHANNEL };

/* Public text never carries contact details, even typed by the reporter. */
static bool props_measure(struct props *p, const struct mp_city *city,
                          const struct mp_report_row *r)
{
    const char *in[6] = {r->category, r->status, r->description,
                         r->address,  r->location, r->channel};
    memset(p, 0, sizeof *p);
    /* The fixed parts (member names, ids, count, times, photo, url) take
     * under 512 bytes. */
    p->bound = 512;
    for (int i = 0; i < 6; i++) {
        const char *t = in[i];
        if (t && (i == P_DESCRIPTION || i == P_ADDRESS) && mp_text_may_have_contacts(t)) {
            char *m = mp_text_mask_contacts(t);
            if (!m)
                return false;
            p->masked[i - P_DESCRIPTION] = m;
            t = m;
        }
        p->text[i] = t;
        p->len[i] = t ? strlen(t) : 0;
        p->bound += MP_JSON_STR_MAX(p->len[i]);
    }
    p->district = mp_city_district(city, r->district);
    p->bound += p->district ? p->district->json_len : 4;
    return true;
}

static void props_release(struct props *p)
{
    free(p->masked[0]);
    free(p->masked[1]);
}

static char *put_text(char *o, const struct props *p, int i)
{
    if (!p->text[i])
        return mp_json_put_lit(o, "null");
    return mp_json_put_strn(o, p->text[i], p->len[i]);
}

/* The members of the properties object, without its closing brace (a
 * caller's extra members may follow). id is the report id already formatted
 * (it appears three times). */
static char *props_put(char *o, const struct props *p, const struct mp_report_row *r,
                       const char *id, size_t id_len)
{
    o = mp_json_put_lit(o, "{\"id\":");
    memcpy(o, id, id_len);
    o += id_len;
    o = mp_json_put_lit(o, ",\"category\":");
    o = put_text(o, p, P_CATEGORY);
    o = mp_json_put_lit(o, ",\"status\":");
    o = put_text(o, p, P_STATUS);
    o = mp_json_put_lit(o, ",\"description\":");
    o = put_text(o, p, P_DESCRIPTION);
    o = mp_json_put_lit(o, ",\"address\":");
    o = put_text(o, p, P_ADDRESS);
    o = mp_json_put_lit(o, ",\"location\":");
    o = put_text(o, p, P_LOCATION);
    o = mp_json_put_lit(o, ",\"channel\":");
    o = put_text(o, p, P_CHANNEL);
    o = mp_json_put_lit(o, ",\"created_at\":");
    o = mp_json_put_time(o, r->created_at);
    o = mp_json_put_lit(o, ",\"updated_at\":");
    o = mp_json_put_time(o, r->updated_at);
    o = mp_json_put_lit(o, ",\"district\":");
    if (p->district) {
        memcpy(o, p->district->json, p->district->json_len);
        o += p->district->json_len;
    } else {
        o = mp_json_put_lit(o, "null");
    }
    o = mp_json_put_lit(o, ",\"cluster_id\":");
    o = mp_json_put_int(o, r->cluster_id);
    o = mp_json_put_lit(o, ",\"report_count\":");
    o = mp_json_put_int(o, r->cluster_count);
    if (r->has_photo) {
        o = mp_json_put_lit(o, ",\"photo\":{\"url\":\"/api/v1/reports/");
        o = mp_json_put_int(o, r->id);
        o = mp_json_put_lit(o, "/photo\",\"thumb_url\":\"/api/v1/reports/");
        o = mp_json_put_int(o, r->id);
        o = mp_json_put_lit(o, "/photo/thumb\"}");
    } else {
        o = mp_json_put_lit(o, ",\"photo\":null");
    }
    o = mp_json_put_lit(o, ",\"url\":\"/r/");
    memcpy(o, id, id_len);
    o += id_len;
    *o++ = '"';
    return o;
}

/* Close an object the hot writers left open: at once when nothing is to be
 * added (still inside the reservation, so the closing bytes cost no check),
 * else after the caller's members. close is "}" or "}}". */
static void close_object(struct mp_buf *b, char *o, mp_json_extra_fn extra, const void *arg,
                         const char *close)
{
    if (!extra) {
        while (*close)
            *o++ = *close++;
        mp_buf_commit(b, o);
        return;
    }
    mp_buf_commit(b, o);
    extra(b, arg);
    mp_buf_adds(b, close);
}

void mp_geojson_report_props(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_report_row *r, mp_json_extra_fn extra,
                             const void *arg)
{
    struct props p;
    if (!props_measure(&p, city, r))
        b->failed = true;
    else if (mp_buf_reserve(b, p.bound)) {
        char id[MP_JSON_INT_MAX];
        size_t id_len = (size_t)(mp_json_put_int(id, r->id) - id);
        close_object(b, props_put(b->data + b->len, &p, r, id, id_len), extra, arg, "}");
    }
    props_release(&p);
}

void mp_geojson_report_feature(struct mp_buf *b, const struct mp_city *city,
                               const struct mp_report_row *r, mp_json_extra_fn extra,
                               const void *arg)
{
    struct props p;
    if (!props_measure(&p, city, r)) {
        b->failed = true;
        props_release(&p);
        return;
    }
    /* 100 bytes of fixed text around the properties. */
    if (mp_buf_reserve(b, p.bound + MP_JSON_INT_MAX + MP_JSON_COORD_MAX + 100)) {
        char id[MP_JSON_INT_MAX];
        size_t id_len = (size_t)(mp_json_put_int(id, r->id) - id);
        char *o = b->data + b->len;
        o = mp_json_put_lit(o, "{\"type\":\"Feature\",\"id\":");
        memcpy(o, id, id_len);
        o += id_len;
        o = mp_json_put_lit(o, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
        o = mp_json_put_coord(o, r->lon, r->lat);
        o = mp_json_put_lit(o, "},\"properties\":");
        o = props_put(o, &p, r, id, id_len);
        close_object(b, o, extra, arg, "}}");
    }
    props_release(&p);
}

void mp_geojson_report_private(struct mp_buf *b, const void *arg)
{
    const struct mp_report_row *r = arg;
    mp_buf_adds(b, ",\"contact\":{\"name\":");
    mp_json_str(b, r->contact_name);
    mp_buf_adds(b, ",\"email\":");
    mp_json_str(b, r->contact_email);
    mp_buf_adds(b, ",\"phone\":");
    mp_json_str(b, r->contact_phone);
    mp_buf_adds(b, "},\"external_id\":");
    mp_json_str(b, r->external_id);
    mp_buf_adds(b, ",\"join_reason\":");
    mp_buf_adds(b, r->join_reason && r->join_reason[0] == '{' ? r->join_reason : "null");
}

void mp_geojson_report_point(struct mp_buf *b, const void *arg)
{
    const struct mp_report_row *r = arg;
    mp_buf_adds(b, ",\"lat\":");
    mp_json_num(b, r->lat, 7);
    mp_buf_adds(b, ",\"lon\":");
    mp_json_num(b, r->lon, 7);
}

static void history_members(struct mp_buf *b, const struct mp_history_row *h)
{
    mp_buf_adds(b, "{\"at\":");
    mp_json_time(b, h->at);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, h->status);
    mp_buf_adds(b, ",\"note\":");
    mp_json_str(b, h->note_public ? h->note : NULL);
}

void mp_geojson_history_entry(struct mp_buf *b, const struct mp_history_row *h)
{
    history_members(b, h);
    mp_buf_addc(b, '}');
}

void mp_geojson_history_entry_id(struct mp_buf *b, const struct mp_history_row *h,
                                 const char *name, int64_t value)
{
    history_members(b, h);
    mp_buf_printf(b, ",\"%s\":%lld}", name, (long long)value);
}

void mp_geojson_cluster_feature(struct mp_buf *b, const struct mp_city *city,
                                const struct mp_cluster_row *c, mp_json_extra_fn extra,
                                const void *arg)
{
    mp_buf_adds(b, "{\"type\":\"Feature\",\"id\":");
    mp_json_int(b, c->id);
    mp_buf_adds(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    mp_json_coord(b, c->lon, c->lat);
    mp_buf_adds(b, "},\"properties\":{\"id\":");
    mp_json_int(b, c->id);
    mp_buf_adds(b, ",\"category\":");
    mp_json_str(b, c->category);
    mp_buf_adds(b, ",\"status\":");
    mp_json_str(b, c->status);
    mp_buf_adds(b, ",\"report_count\":");
    mp_json_int(b, c->report_count);
    mp_buf_adds(b, ",\"first_at\":");
    mp_json_time(b, c->first_at);
    mp_buf_adds(b, ",\"last_at\":");
    mp_json_time(b, c->last_at);
    mp_buf_adds(b, ",\"updated_at\":");
    mp_json_time(b, c->updated_at);
    mp_buf_adds(b, ",\"district\":");
    mp_geojson_district(b, city, c->district);
    mp_buf_adds(b, ",\"location\":");
    mp_json_str(b, c->location);
    if (extra)
        extra(b, arg);
    mp_buf_adds(b, "}}");
}
