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

/* Public text never carries contact details, even typed by the reporter. */
static void masked_str(struct mp_buf *b, const char *s)
{
    if (!s) {
        mp_buf_adds(b, "null");
        return;
    }
    /* Fast path: nothing that could be an address or a phone number (street
     * addresses have digits, but fewer than a phone number). */
    if (!mp_text_may_have_contacts(s)) {
        mp_json_str(b, s);
        return;
    }
    char *m = mp_text_mask_contacts(s);
    if (!m) {
        b->failed = true;
        return;
    }
    mp_json_str(b, m);
    free(m);
}

void mp_geojson_report_props(struct mp_buf *b, const struct mp_city *city,
                             const struct mp_report_row *r)
{
    mp_buf_lit(b, "{\"id\":");
    mp_json_int(b, r->id);
    mp_buf_lit(b, ",\"category\":");
    mp_json_str(b, r->category);
    mp_buf_lit(b, ",\"status\":");
    mp_json_str(b, r->status);
    mp_buf_lit(b, ",\"description\":");
    masked_str(b, r->description);
    mp_buf_lit(b, ",\"address\":");
    masked_str(b, r->address);
    mp_buf_lit(b, ",\"location\":");
    mp_json_str(b, r->location);
    mp_buf_lit(b, ",\"channel\":");
    mp_json_str(b, r->channel);
    mp_buf_lit(b, ",\"created_at\":");
    mp_json_time(b, r->created_at);
    mp_buf_lit(b, ",\"updated_at\":");
    mp_json_time(b, r->updated_at);
    mp_buf_lit(b, ",\"district\":");
    mp_geojson_district(b, city, r->district);
    mp_buf_lit(b, ",\"cluster_id\":");
    mp_json_int(b, r->cluster_id);
    mp_buf_lit(b, ",\"report_count\":");
    mp_json_int(b, r->cluster_count);
    if (r->has_photo) {
        mp_buf_lit(b, ",\"photo\":{\"url\":\"/api/v1/reports/");
        mp_json_int(b, r->id);
        mp_buf_lit(b, "/photo\",\"thumb_url\":\"/api/v1/reports/");
        mp_json_int(b, r->id);
        mp_buf_lit(b, "/photo/thumb\"}");
    } else {
        mp_buf_lit(b, ",\"photo\":null");
    }
    mp_buf_lit(b, ",\"url\":\"/r/");
    mp_json_int(b, r->id);
    mp_buf_lit(b, "\"}");
}

void mp_geojson_report_feature(struct mp_buf *b, const struct mp_city *city,
                               const struct mp_report_row *r, bool with_private)
{
    mp_buf_lit(b, "{\"type\":\"Feature\",\"id\":");
    mp_json_int(b, r->id);
    mp_buf_lit(b, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    mp_json_coord(b, r->lon, r->lat);
    mp_buf_lit(b, "},\"properties\":");
    mp_geojson_report_props(b, city, r);
    if (with_private && !b->failed && b->len > 0 && b->data[b->len - 1] == '}') {
        /* Reopen the properties object to add the staff-only members. */
        b->len--;
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
        mp_buf_addc(b, '}');
    }
    mp_buf_addc(b, '}');
}

void mp_geojson_cluster_feature(struct mp_buf *b, const struct mp_city *city,
                                const struct mp_cluster_row *c, bool open_props)
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
    if (!open_props)
        mp_buf_adds(b, "}}");
}
