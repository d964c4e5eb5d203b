/* feed.c - Atom feeds of new problems (feed.h): the newest live reports of
 * a district, a radius or the city, as an RFC 4287 document. */
#include "meldpunt/feed.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/geo.h"
#include "meldpunt/model.h"
#include "meldpunt/report.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "meldpunt/xml.h"

enum mp_status mp_feed_check(struct mp_ctx *ctx, const struct mp_feed_query *q,
                             struct mp_error *err)
{
    if (q->district && !mp_city_district(ctx->city, q->district))
        return mp_fail(err, MP_EINVAL, "unknown_district", "unknown district '%.32s'", q->district);
    for (size_t i = 0; i < q->ncategories; i++)
        if (!mp_city_category(ctx->city, q->categories[i]))
            return mp_fail(err, MP_EINVAL, "unknown_category", "unknown category '%.48s'",
                           q->categories[i]);
    if (q->has_point) {
        if (!(q->radius_m >= 1 && q->radius_m <= MP_FEED_RADIUS_MAX))
            return mp_fail(err, MP_EINVAL, "invalid_parameter", "radius must be 1-%.0f metres",
                           MP_FEED_RADIUS_MAX);
        if (!mp_city_in_area(ctx->city, q->lon, q->lat))
            return mp_fail(err, MP_EINVAL, "out_of_area",
                           "the point is outside the service area of %s", ctx->city->name);
    }
    return MP_OK;
}

/* An entry, copied out of its row (the newest MP_FEED_ENTRIES stay). */
struct entry {
    int64_t id, created_at, updated_at;
    char category[48], status[32];
    char *description, *place; /* owned */
};

struct ring {
    const struct mp_feed_query *q;
    struct entry e[MP_FEED_ENTRIES];
    size_t n, next;
    bool failed;
};

static void entry_free(struct entry *e)
{
    free(e->description);
    free(e->place);
    memset(e, 0, sizeof *e);
}

static int take(void *p, const struct mp_report_row *r)
{
    struct ring *g = p;
    const struct mp_feed_query *q = g->q;
    if (q->has_point && mp_geo_haversine(q->lon, q->lat, r->lon, r->lat) > q->radius_m)
        return 0;
    struct entry *e = &g->e[g->next];
    entry_free(e);
    e->id = r->id;
    e->created_at = r->created_at;
    e->updated_at = r->updated_at > r->created_at ? r->updated_at : r->created_at;
    mp_text_copy(e->category, sizeof e->category, r->category);
    mp_text_copy(e->status, sizeof e->status, r->status);
    const char *place = r->location && r->location[0] ? r->location : r->address;
    /* Public text: contact details typed into it are masked, as everywhere. */
    e->description =
        r->description && r->description[0] ? mp_text_mask_contacts(r->description) : NULL;
    e->place = place && place[0] ? mp_text_mask_contacts(place) : NULL;
    if ((r->description && r->description[0] && !e->description) ||
        (place && place[0] && !e->place))
        g->failed = true;
    g->next = (g->next + 1) % MP_FEED_ENTRIES;
    if (g->n < MP_FEED_ENTRIES)
        g->n++;
    return 0;
}

static void time_element(struct mp_buf *b, const char *name, int64_t t)
{
    char s[32];
    mp_time_format(t, s, sizeof s);
    mp_xml_element(b, name, s);
}

static void link(struct mp_buf *b, const char *rel, const char *type, const char *href)
{
    mp_xml_start(b, "link");
    mp_xml_attr(b, "rel", rel);
    mp_xml_attr(b, "type", type);
    mp_xml_attr(b, "href", href);
    mp_xml_start_empty(b);
}

static const char *category_name(const struct mp_city *c, const char *code, bool nl)
{
    const struct mp_category *cat = mp_city_category(c, code);
    if (!cat)
        return code;
    return nl && cat->name_nl ? cat->name_nl : cat->name_en ? cat->name_en : code;
}

static void feed_title(struct mp_ctx *ctx, const struct mp_feed_query *q, bool nl, char *out,
                       size_t cap)
{
    const struct mp_district *d = q->district ? mp_city_district(ctx->city, q->district) : NULL;
    const char *what = q->ncategories == 1 ? category_name(ctx->city, q->categories[0], nl)
                       : nl                ? "Nieuwe meldingen"
                                           : "New problems";
    if (d)
        snprintf(out, cap, "%s %s %s - %s", what, nl ? "in" : "in", d->name, ctx->city->name);
    else if (q->has_point)
        snprintf(out, cap,
                 nl ? "%s binnen %.0f m van %.5f, %.5f - %s"
                    : "%s within %.0f m of %.5f, %.5f - %s",
                 what, q->radius_m, q->lat, q->lon, ctx->city->name);
    else
        snprintf(out, cap, "%s - %s", what, ctx->city->name);
}

static void write_entry(struct mp_ctx *ctx, const struct entry *e, const char *base, bool nl,
                        struct mp_buf *b)
{
    char url[600];
    const char *cat = category_name(ctx->city, e->category, nl);
    const struct mp_vocab_status *st = mp_vocab_status_find(e->status);
    const char *status = st ? (nl ? st->name_nl : st->name_en) : e->status;
    snprintf(url, sizeof url, "%s/r/%lld", base, (long long)e->id);
    mp_xml_open(b, "entry");
    mp_xml_element(b, "id", url);
    mp_xml_open(b, "title");
    mp_xml_text(b, cat);
    if (e->place) {
        mp_buf_lit(b, " - ");
        mp_xml_text(b, e->place);
    }
    mp_xml_close(b, "title");
    time_element(b, "updated", e->updated_at);
    time_element(b, "published", e->created_at);
    link(b, "alternate", "text/html", url);
    mp_xml_start(b, "category");
    mp_xml_attr(b, "term", e->category);
    mp_xml_attr(b, "label", cat);
    mp_xml_start_empty(b);
    mp_xml_open(b, "summary");
    mp_buf_printf(b, "%s %lld: ", nl ? "Melding" : "Report", (long long)e->id);
    mp_xml_text(b, status);
    if (e->description) {
        mp_buf_lit(b, ". ");
        mp_xml_text(b, e->description);
    }
    mp_xml_close(b, "summary");
    mp_xml_close(b, "entry");
}

enum mp_status mp_feed_atom(struct mp_ctx *ctx, const struct mp_feed_query *q, const char *base,
                            const char *self, int64_t now, struct mp_buf *out, struct mp_error *err)
{
    struct ring *g = calloc(1, sizeof *g);
    if (!g)
        return MP_ENOMEM;
    g->q = q;
    struct mp_query lq = {.district = q->district, .since = now - MP_FEED_DAYS * 86400};
    for (size_t i = 0; i < q->ncategories && i < MP_QUERY_MAX_LIST; i++)
        lq.categories[lq.ncategories++] = q->categories[i];
    if (q->has_point) {
        /* The box around the circle; the circle itself is take()'s test. */
        double dlat = q->radius_m / 111320.0;
        double dlon = q->radius_m / (111320.0 * cos(q->lat * M_PI / 180.0));
        lq.has_bbox = true;
        lq.bbox = (struct mp_bbox){q->lon - dlon, q->lat - dlat, q->lon + dlon, q->lat + dlat};
    }
    enum mp_status rc = mp_report_list(ctx, &lq, take, g);
    if (rc || g->failed) {
        rc = mp_fail(err, rc ? MP_EUNAVAIL : MP_ENOMEM, "unavailable",
                     "cannot read the reports right now");
        goto out;
    }
    bool nl = q->lang && strcmp(q->lang, "nl") == 0;
    char title[400], url[700];
    feed_title(ctx, q, nl, title, sizeof title);
    snprintf(url, sizeof url, "%s%s", base, self);
    int64_t updated = now;
    if (g->n) {
        /* The newest entry's time: the feed changes when an entry does. */
        updated = 0;
        for (size_t i = 0; i < g->n; i++)
            if (g->e[i].updated_at > updated)
                updated = g->e[i].updated_at;
    }
    mp_xml_decl(out);
    mp_xml_start(out, "feed");
    mp_xml_attr(out, "xmlns", "http://www.w3.org/2005/Atom");
    mp_xml_attr(out, "xml:lang", nl ? "nl" : "en");
    mp_xml_start_done(out);
    mp_xml_element(out, "id", url);
    mp_xml_element(out, "title", title);
    time_element(out, "updated", updated);
    link(out, "self", "application/atom+xml", url);
    char home[600];
    snprintf(home, sizeof home, "%s/", base);
    link(out, "alternate", "text/html", home);
    mp_xml_open(out, "author");
    mp_xml_element(out, "name", ctx->city->name);
    mp_xml_element(out, "uri", home);
    mp_xml_close(out, "author");
    mp_xml_element(out, "generator", "meldpunt");
    /* Newest first: the ring's last entry back to its oldest. */
    for (size_t k = 0; k < g->n; k++) {
        size_t i = (g->next + MP_FEED_ENTRIES - 1 - k) % MP_FEED_ENTRIES;
        write_entry(ctx, &g->e[i], base, nl, out);
    }
    mp_xml_close(out, "feed");
    rc = mp_buf_status(out);
out:
    for (size_t i = 0; i < MP_FEED_ENTRIES; i++)
        entry_free(&g->e[i]);
    free(g);
    return rc;
}
