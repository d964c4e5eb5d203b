#include "meldpunt/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/address.h"
#include "meldpunt/city.h"
#include "meldpunt/geo.h"
#include "meldpunt/notify.h"
#include "meldpunt/store.h"
#include "meldpunt/store_work.h"
#include "meldpunt/streets.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

/* Enough for every cluster within a few hundred metres in a dense city. */
#define MAX_CANDIDATES 256
/* A pin this close to a street is on it (house fronts stand 10-25 m from
 * the centre line); with an address naming the street, allow more. */
#define SNAP_MAX_M 60.0
#define ADDRESS_SNAP_MAX_M 150.0
/* A house number the pack places farther than this from the pin
 * contradicts it: one of them is wrong, and the number is not used.
 * Chicago's placed numbers lie within 210 m of 99% of their 311 pins. */
#define ADDRESS_PIN_MAX_M 300.0

struct where {
    bool on_street;
    struct mp_snap snap;
    struct mp_address_ev ev;
    char location[128];
};

/* What the address says about a report pinned at metric (x, y): a house
 * number on a street of the layer, placed when the pack can place it.
 * Usable only if it agrees with the pin: placed within ADDRESS_PIN_MAX_M
 * of it, or (where the pack cannot place it) on a street within
 * ADDRESS_SNAP_MAX_M of it. *placed gets the placement (street, cross). */
static void address_ev(const struct mp_streets *streets, const char *address, double x,
                       double y, struct mp_address_ev *ev, struct mp_snap *placed)
{
    struct mp_address a;
    struct mp_snap p, q;
    const double pin[2] = {x, y};
    memset(ev, 0, sizeof *ev);
    if (!streets || !address || !mp_address_parse(address, &a) || a.number <= 0)
        return;
    const char *named = mp_streets_find(streets, address);
    if (!named)
        return;
    if (mp_streets_place(streets, named, a.number, pin, &p)) {
        if (p.dist > ADDRESS_PIN_MAX_M)
            return;
        if (a.number_to == a.number || !mp_streets_place(streets, named, a.number_to, pin, &q))
            q = p;
        *ev = (struct mp_address_ev){named, a.number, a.number_to, true, p.x, p.y, q.x, q.y};
        if (placed)
            *placed = p;
        return;
    }
    if (mp_streets_snap(streets, x, y, ADDRESS_SNAP_MAX_M, named, &p))
        *ev = (struct mp_address_ev){named, a.number, a.number_to, false, 0, 0, 0, 0};
}

/* The report's street: from the address it came with (placed by its
 * number when the pack can), else by snapping the pin to the nearest
 * street of the city pack's layer. */
static void locate(struct mp_ctx *ctx, const char *address, double x, double y, struct where *w)
{
    struct mp_snap placed;
    memset(w, 0, sizeof *w);
    if (!ctx->streets)
        return;
    address_ev(ctx->streets, address, x, y, &w->ev, &placed);
    if (w->ev.placed) {
        /* The pin on the address's street (for the along-street distance
         * from pins); the location where the number lies. */
        w->on_street = mp_streets_snap(ctx->streets, x, y, ADDRESS_PIN_MAX_M, w->ev.street,
                                       &w->snap);
        if (w->on_street)
            mp_streets_location(&placed, w->location, sizeof w->location);
        return;
    }
    const char *named = w->ev.street ? w->ev.street : mp_streets_find(ctx->streets, address);
    w->on_street = (named && mp_streets_snap(ctx->streets, x, y, ADDRESS_SNAP_MAX_M, named,
                                             &w->snap)) ||
                   mp_streets_snap(ctx->streets, x, y, SNAP_MAX_M, NULL, &w->snap);
    if (w->on_street)
        mp_streets_location(&w->snap, w->location, sizeof w->location);
}

double mp_report_reach(const struct mp_ctx *ctx, const struct mp_category *cat)
{
    return mp_cluster_reach(cat, mp_streets_metres_per_number(ctx->streets));
}

struct span_walk {
    struct mp_ctx *ctx;
    struct mp_cluster_addr *span;
    enum mp_status rc;
};

static int take_member(void *p, const struct mp_report_row *r)
{
    struct span_walk *w = p;
    struct mp_address_ev ev;
    double x, y;
    if (!r->address || !r->address[0])
        return 0;
    if (mp_geo_forward(w->ctx->geo, r->lon, r->lat, &x, &y) != MP_OK) {
        w->rc = MP_EINVAL;
        return 1;
    }
    address_ev(w->ctx->streets, r->address, x, y, &ev, NULL);
    mp_cluster_addr_add(w->span, &ev);
    return 0;
}

enum mp_status mp_report_cluster_addr(struct mp_ctx *ctx, int64_t cluster_id,
                                      struct mp_cluster_addr *out)
{
    struct span_walk w = {ctx, out, MP_OK};
    memset(out, 0, sizeof *out);
    /* Oldest first, as a replay adds them. */
    enum mp_status rc = mp_store_cluster_reports(ctx->db, cluster_id, take_member, &w);
    return rc ? rc : w.rc;
}

void mp_report_input_clear(struct mp_report_input *in)
{
    free(in->description);
    free(in->address);
    free(in->contact_name);
    free(in->contact_email);
    free(in->contact_phone);
    free(in->external_id);
    memset(in, 0, sizeof *in);
}

bool mp_report_channel_valid(const char *c)
{
    static const char *const ok[] = {"web", "phone", "email", "counter", "open311"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (strcmp(c, ok[i]) == 0)
            return true;
    return false;
}

static enum mp_status check_text(const char *field, const char *s, long max,
                                 struct mp_error *err)
{
    if (!s)
        return MP_OK;
    long n = mp_utf8_chars(s, strlen(s));
    if (n < 0)
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "%s must be UTF-8 text without control characters", field);
    if (n > max)
        return mp_fail(err, MP_EINVAL, "too_long", "%s is %ld characters; at most %ld allowed",
                       field, n, max);
    return MP_OK;
}

/* mp_report_validate; area_known: the caller has found the pin inside
 * city's service area (the route's polygon test), so it is not tested
 * twice on the writer. */
static enum mp_status validate(const struct mp_city *city, const struct mp_report_input *in,
                               bool area_known, struct mp_error *err)
{
    enum mp_status rc;
    if (!in->category[0])
        return mp_fail(err, MP_EINVAL, "missing_field", "category is required");
    if (!mp_city_category(city, in->category))
        return mp_fail(err, MP_EINVAL, "unknown_category",
                       "unknown category '%.48s'; GET /api/v1/categories lists them",
                       in->category);
    if (!in->has_lat || !in->has_lon)
        return mp_fail(err, MP_EINVAL, "missing_field", "lat and lon are required");
    if (!isfinite(in->lat) || in->lat < -90 || in->lat > 90)
        return mp_fail(err, MP_EINVAL, "out_of_range", "lat must be between -90 and 90");
    if (!isfinite(in->lon) || in->lon < -180 || in->lon > 180)
        return mp_fail(err, MP_EINVAL, "out_of_range", "lon must be between -180 and 180");
    if (!area_known && !mp_city_in_area(city, in->lon, in->lat))
        return mp_fail(err, MP_EINVAL, "out_of_area",
                       "the point %.5f,%.5f is outside the service area of %.40s", in->lat,
                       in->lon, city->name);
    if ((rc = check_text("description", in->description, MP_DESCRIPTION_MAX, err)) ||
        (rc = check_text("address", in->address, MP_ADDRESS_MAX, err)) ||
        (rc = check_text("contact name", in->contact_name, MP_CONTACT_MAX, err)) ||
        (rc = check_text("contact email", in->contact_email, MP_CONTACT_MAX, err)) ||
        (rc = check_text("contact phone", in->contact_phone, MP_CONTACT_MAX, err)))
        return rc;
    if (in->channel[0] && !mp_report_channel_valid(in->channel))
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "channel must be one of web, phone, email, counter, open311");
    if (in->contact_email && in->contact_email[0] && !mp_text_email_ok(in->contact_email))
        return mp_fail(err, MP_EINVAL, "invalid_field", "contact email is not a valid address");
    if (in->contact_phone && in->contact_phone[0] && !mp_text_phone_ok(in->contact_phone))
        return mp_fail(err, MP_EINVAL, "invalid_field", "contact phone is not a valid number");
    if (in->same_as < 0)
        return mp_fail(err, MP_EINVAL, "invalid_field", "same_as must be a cluster id");
    for (size_t i = 0; i < in->n_not_same; i++)
        if (in->not_same_as[i] <= 0)
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "not_same_as must list cluster ids");
    return MP_OK;
}

enum mp_status mp_report_validate(const struct mp_city *city, const struct mp_report_input *in,
                                  struct mp_error *err)
{
    return validate(city, in, false, err);
}

void mp_report_probe(struct mp_ctx *ctx, const char *address, double x, double y, int64_t t,
                     struct mp_cluster_probe *probe, char *location, size_t cap)
{
    struct where w;
    locate(ctx, address, x, y, &w);
    memset(probe, 0, sizeof *probe);
    probe->x = x;
    probe->y = y;
    probe->t = t;
    if (w.on_street) {
        probe->street = w.snap.street;
        probe->sx = w.snap.x;
        probe->sy = w.snap.y;
        probe->ux = w.snap.ux;
        probe->uy = w.snap.uy;
    }
    probe->addr = w.ev;
    if (cap) { /* bounded copy; a cut location is still readable */
        size_t n = strlen(w.location);
        n = n < cap - 1 ? n : cap - 1;
        memcpy(location, w.location, n);
        location[n] = '\0';
    }
}

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

/* The candidates of one insert and what the rules read of them. */
struct pick_buf {
    struct mp_cluster_state cand[MAX_CANDIDATES];
    const struct mp_cluster_state *refs[MAX_CANDIDATES];
    struct mp_cluster_addr spans[MAX_CANDIDATES];
    const struct mp_cluster_addr *span_refs[MAX_CANDIDATES];
};

/* The cluster the report joins, loaded into *st, or st->id = 0 for a new one. */
static enum mp_status pick_cluster(struct mp_ctx *ctx, const struct mp_category *cat,
                                   const struct mp_report_input *in,
                                   const struct mp_cluster_probe *probe,
                                   struct mp_cluster_state *st, struct mp_join_reason *why,
                                   struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_cluster_state *cand;
    const struct mp_cluster_state **refs;
    struct mp_cluster_addr *spans;
    const struct mp_cluster_addr **span_refs;
    memset(st, 0, sizeof *st);
    if (in->same_as) {
        rc = mp_store_cluster_state(ctx->db, in->same_as, st);
        if (rc == MP_ENOTFOUND)
            return mp_fail(err, MP_EINVAL, "unknown_cluster", "same_as: there is no cluster %lld",
                           (long long)in->same_as);
        if (rc)
            return mp_fail(err, rc, "unavailable", "cannot read the cluster");
        /* Another municipality's job is not one this desk can join
         * (ctx->city is the municipality the pin routed to). */
        if (strcmp(st->municipality, ctx->city->id) != 0)
            return mp_fail(err, MP_EINVAL, "unknown_cluster", "same_as: there is no cluster %lld",
                           (long long)in->same_as);
        if (strcmp(st->category, cat->code) != 0)
            return mp_fail(err, MP_EINVAL, "category_mismatch",
                           "same_as: cluster %lld is about %.48s, not %.48s",
                           (long long)in->same_as, st->category, cat->code);
        memset(why, 0, sizeof *why);
        why->kind = "same_as";
        why->evidence = MP_EV_SAME_AS;
        why->rule = cat->rule;
        why->distance_m = mp_geo_dist(probe->x, probe->y, st->x, st->y);
        why->along_m = -1;
        why->number_gap = -1;
        why->street_match = probe->street && strcmp(probe->street, st->street) == 0;
        why->age_s = probe->t > st->last_at ? probe->t - st->last_at : 0;
        why->radius_m = cat->radius_m;
        why->along_limit_m = cat->along_m;
        why->address_span = cat->address_span;
        why->window_s = (int64_t)cat->window_days * 86400;
        return MP_OK;
    }
    struct pick_buf *buf = malloc(sizeof *buf);
    if (!buf)
        return MP_ENOMEM;
    cand = buf->cand;
    refs = buf->refs;
    spans = buf->spans;
    span_refs = buf->span_refs;
    size_t n = 0, m = 0;
    double reach = mp_report_reach(ctx, cat), bx, by, half;
    /* Around the pin and the placed address: one square holding both,
     * then each candidate tested against the two (as the replay does). */
    mp_cluster_search_box(probe, reach, &bx, &by, &half);
    rc = mp_store_cluster_candidates(ctx->db, ctx->city->id, cat->code, bx, by, half, probe->t,
                                     (int64_t)cat->window_days * 86400, cand, MAX_CANDIDATES, &n);
    if (rc) {
        rc = mp_fail(err, rc, "unavailable", "cannot look up nearby reports");
        goto out;
    }
    const bool numbers = mp_cluster_needs_numbers(cat, probe);
    for (size_t i = 0; i < n; i++) {
        if (!mp_cluster_in_reach(probe, reach, cand[i].x, cand[i].y))
            continue;
        refs[m] = &cand[i];
        span_refs[m] = NULL;
        /* The members' numbers, only where they can count. */
        if (numbers && mp_cluster_can_take(cat, &cand[i], probe->t)) {
            if ((rc = mp_report_cluster_addr(ctx, cand[i].id, &spans[m]))) {
                rc = mp_fail(err, rc, "unavailable", "cannot look up nearby reports");
                goto out;
            }
            span_refs[m] = &spans[m];
        }
        m++;
    }
    long best = mp_cluster_choose_ev(cat, probe, refs, span_refs, m, in->not_same_as,
                                     in->n_not_same, why);
    if (best >= 0)
        *st = *refs[best];
out:
    free(buf);
    return rc;
}

/* The pin's metric coordinates and, with a region, its municipality. */
static enum mp_status route_pin(struct mp_ctx *ctx, const struct mp_report_input *in,
                                struct mp_route *route, double *x, double *y,
                                struct mp_error *err)
{
    memset(route, 0, sizeof *route);
    if (!in->has_lat || !in->has_lon || !mp_geo_valid_lonlat(in->lon, in->lat))
        return mp_report_validate(ctx->city, in, err); /* says what is wrong */
    if (mp_geo_forward(ctx->geo, in->lon, in->lat, x, y) != MP_OK) {
        /* Far away (null island in a UTM zone): out of the area, first. */
        enum mp_status rc = mp_report_validate(ctx->city, in, err);
        return rc ? rc : mp_fail(err, MP_EINVAL, "out_of_range", "the point cannot be projected");
    }
    if (!ctx->region)
        return MP_OK;
    /* The category's radius (the region's rule; a member may differ) says
     * how far a neighbour's job may be and still be the same defect. */
    const struct mp_category *cat = mp_city_category(ctx->city, in->category);
    mp_region_route(ctx->region, in->lon, in->lat, *x, *y, cat ? cat->radius_m : 0, route);
    if (!route->member)
        return mp_region_refusal(ctx->region, route, in->lon, in->lat, err);
    return MP_OK;
}

enum mp_status mp_report_check(struct mp_ctx *ctx, const struct mp_report_input *in,
                               const struct mp_city **member, struct mp_error *err)
{
    struct mp_route route;
    double x, y;
    enum mp_status rc = route_pin(ctx, in, &route, &x, &y, err);
    if (rc)
        return rc;
    const struct mp_city *city = route.member ? route.member : ctx->city;
    if (member)
        *member = city;
    return mp_report_validate(city, in, err);
}

/* What mp_report_submit will read and write of the clusters, as
 * pick_cluster searches them. */
bool mp_report_place(struct mp_ctx *ctx, const struct mp_report_input *in,
                     struct mp_store_place *place)
{
    struct mp_route route;
    struct mp_error err;
    struct mp_cluster_probe probe;
    double x, y, bx, by, half;
    char location[8];
    if (in->same_as || route_pin(ctx, in, &route, &x, &y, &err) != MP_OK || route.nnear)
        return false; /* a cluster anywhere, or a neighbour's: the whole database */
    const struct mp_city *city = route.member ? route.member : ctx->city;
    const struct mp_category *cat = mp_city_category(city, in->category);
    if (!cat || mp_report_validate(city, in, &err) != MP_OK)
        return false;
    struct mp_ctx member_ctx = *ctx;
    member_ctx.city = city;
    mp_report_probe(&member_ctx, in->address, x, y, in->created_at ? in->created_at : 0, &probe,
                    location, sizeof location);
    mp_cluster_search_box(&probe, mp_report_reach(&member_ctx, cat), &bx, &by, &half);
    *place = (struct mp_store_place){city->id, cat->code, bx - half, by - half, bx + half,
                                     by + half};
    return true;
}

/* The nearest open job of cat's category within its radius of (x, y) in
 * one of the neighbours the route lists: never joined (duplicates stay in
 * their municipality), but both desks learn of it from a staff-only
 * history entry on each job. */
static enum mp_status neighbour_job(struct mp_ctx *ctx, const struct mp_route *route,
                                    const struct mp_category *cat,
                                    const struct mp_cluster_state *own,
                                    struct mp_submit_result *out, double x, double y, int64_t t)
{
    struct mp_cluster_state *cand = malloc(MAX_CANDIDATES * sizeof *cand);
    enum mp_status rc = MP_OK;
    if (!cand)
        return MP_ENOMEM;
    for (size_t k = 0; k < route->nnear; k++) {
        const struct mp_city *nb = route->near[k].city;
        size_t n = 0;
        if (route->near[k].distance_m > cat->radius_m)
            continue;
        if ((rc = mp_store_cluster_candidates(ctx->db, nb->id, cat->code, x, y, cat->radius_m, t,
                                              (int64_t)cat->window_days * 86400, cand,
                                              MAX_CANDIDATES, &n)))
            goto out;
        for (size_t i = 0; i < n; i++) {
            const struct mp_vocab_status *vs = mp_vocab_status_find(cand[i].status);
            double d = mp_geo_dist(x, y, cand[i].x, cand[i].y);
            if (!vs || !vs->open || d > cat->radius_m ||
                (out->neighbour_job && d >= out->neighbour_job_m))
                continue;
            out->neighbour_job = cand[i].id;
            out->neighbour_job_of = nb;
            out->neighbour_job_m = d;
        }
    }
    if (!out->neighbour_job)
        goto out;
    char note[240];
    struct mp_cluster_state other;
    if ((rc = mp_store_cluster_state(ctx->db, out->neighbour_job, &other)))
        goto out;
    snprintf(note, sizeof note, "neighbour: job %lld of %.60s is %d m away (%.48s)",
             (long long)out->neighbour_job, out->neighbour_job_of->name, (int)lround(out->neighbour_job_m),
             cat->code);
    /* An internal note rides on a history entry of the same time and
     * status (workflow.c shows it to staff only). */
    struct mp_history_rec h = {.cluster_id = own->id, .at = t, .status = own->status,
                               .actor = "region"};
    if ((rc = mp_store_history_add(ctx->db, &h)) ||
        (rc = mp_store_work_note_add(ctx->db, own->id, t, own->status, note, "region")))
        goto out;
    snprintf(note, sizeof note, "neighbour: job %lld of %.60s is %d m away (%.48s)",
             (long long)own->id, ctx->city->name, (int)lround(out->neighbour_job_m), cat->code);
    h = (struct mp_history_rec){.cluster_id = other.id, .at = t, .status = other.status,
                                .actor = "region"};
    if ((rc = mp_store_history_add(ctx->db, &h)) == MP_OK)
        rc = mp_store_work_note_add(ctx->db, other.id, t, other.status, note, "region");
out:
    free(cand);
    return rc;
}

enum mp_status mp_report_submit(struct mp_ctx *ctx, const struct mp_report_input *in, bool own_tx,
                                struct mp_submit_result *out, struct mp_error *err)
{
    enum mp_status rc;
    bool in_tx = false;
    struct mp_cluster_state st;
    char reason[MP_JOIN_REASON_MAX];
    memset(out, 0, sizeof *out);

    double x, y;
    struct mp_route route;
    struct mp_ctx member_ctx;
    if ((rc = route_pin(ctx, in, &route, &x, &y, err)))
        return rc;
    if (ctx->region) {
        /* Everything below works in the municipality's pack: its categories
         * and rules, districts, and (the store) its own clusters only. */
        member_ctx = *ctx;
        member_ctx.city = route.member;
        ctx = &member_ctx;
        out->member = route.member;
        memcpy(out->near, route.near, sizeof out->near);
        out->nnear = route.nnear;
    }
    if ((rc = validate(ctx->city, in, route.inside && route.member == ctx->city, err)))
        return rc;
    const struct mp_category *cat = mp_city_category(ctx->city, in->category);
    const struct mp_district *d = mp_city_district_at(ctx->city, in->lon, in->lat);
    int64_t t = in->created_at ? in->created_at : mp_time_now();
    char location[128];
    struct mp_cluster_probe probe;
    mp_report_probe(ctx, in->address, x, y, t, &probe, location, sizeof location);

    if (own_tx) {
        if ((rc = mp_store_begin_write(ctx->db, err)))
            return rc;
        in_tx = true;
    }
    if ((rc = pick_cluster(ctx, cat, in, &probe, &st, &out->why, err)))
        goto out;
    out->joined = st.id != 0;
    if (out->joined) {
        mp_cluster_add_member(&st, x, y, t);
        if (mp_geo_inverse(ctx->geo, st.x, st.y, &st.lon, &st.lat) != MP_OK) {
            rc = mp_fail(err, MP_EDB, "internal", "cannot compute the cluster centre");
            goto out;
        }
        if ((rc = mp_store_cluster_update(ctx->db, &st)))
            goto db_fail;
    } else {
        snprintf(st.municipality, sizeof st.municipality, "%s", ctx->city->id);
        snprintf(st.category, sizeof st.category, "%s", cat->code);
        snprintf(st.status, sizeof st.status, "new");
        snprintf(st.district, sizeof st.district, "%s", d ? d->code : "");
        snprintf(st.street, sizeof st.street, "%s", probe.street ? probe.street : "");
        snprintf(st.location, sizeof st.location, "%s", location);
        mp_cluster_add_member(&st, x, y, t);
        /* A cluster of one sits exactly on its report, not on a round trip
         * through the projection. */
        st.lon = in->lon;
        st.lat = in->lat;
        if ((rc = mp_store_cluster_create(ctx->db, &st, &st.id)))
            goto db_fail;
        struct mp_history_rec h = {.cluster_id = st.id, .at = t, .status = "new",
                                   .note_public = true};
        if ((rc = mp_store_history_add(ctx->db, &h)))
            goto db_fail;
    }
    mp_join_reason_json(&out->why, reason, sizeof reason);
    struct mp_report_rec rec = {
        .municipality = ctx->city->id,
        .category = cat->code,
        .description = in->description ? in->description : "",
        .address = nonempty(in->address),
        .channel = in->channel[0] ? in->channel : "web",
        .status = st.status,
        .district = d ? d->code : NULL,
        .external_id = nonempty(in->external_id),
        .contact_name = nonempty(in->contact_name),
        .contact_email = nonempty(in->contact_email),
        .contact_phone = nonempty(in->contact_phone),
        .join_reason = reason,
        .street = probe.street,
        .location = location[0] ? location : NULL,
        .lon = in->lon, .lat = in->lat, .x = x, .y = y,
        .created_at = t,
        .cluster_id = st.id,
    };
    if ((rc = mp_store_report_insert(ctx->db, &rec, &out->report_id))) {
        if (rc == MP_ECONFLICT) {
            rc = mp_fail(err, MP_ECONFLICT, "duplicate_external_id",
                         "a report with this external id exists");
            goto out;
        }
        goto db_fail;
    }
    if (in->photo && (rc = mp_store_photo_put(ctx->db, out->report_id, in->photo)))
        goto db_fail;
    /* The citizen's word is kept, so that re-clustering honours it too. */
    if (in->same_as || in->n_not_same) {
        struct mp_member_stats m;
        if (in->same_as && (rc = mp_store_cluster_members(ctx->db, st.id, &m)) == MP_OK)
            rc = mp_store_constraint_add(ctx->db, out->report_id, m.first_report, true, t);
        for (size_t i = 0; rc == MP_OK && i < in->n_not_same; i++)
            if ((rc = mp_store_cluster_members(ctx->db, in->not_same_as[i], &m)) == MP_OK &&
                m.count > 0)
                rc = mp_store_constraint_add(ctx->db, out->report_id, m.first_report, false, t);
        if (rc)
            goto db_fail;
    }
    if (route.nnear && (rc = neighbour_job(ctx, &route, cat, &st, out, x, y, t)))
        goto db_fail;
    /* Told in the same transaction: no mail for a report that is not
     * stored, and none lost for one that is. */
    const struct mp_notify_where where = {rec.category, rec.district, rec.lon, rec.lat};
    if (!in->quiet && (rc = mp_notify_report_created(ctx, out->report_id, st.id, out->joined,
                                                     nonempty(in->contact_email), in->lang, t,
                                                     &where)))
        goto db_fail;
    if (own_tx) {
        in_tx = false;
        if ((rc = mp_store_commit(ctx->db, err)))
            goto out;
    }
    out->cluster_id = st.id;
    out->cluster_count = st.report_count;
    out->created_at = t;
    snprintf(out->status, sizeof out->status, "%s", st.status);
    snprintf(out->district, sizeof out->district, "%s", d ? d->code : "");
    memcpy(out->location, location, sizeof out->location);
    goto out;
db_fail:
    rc = mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                 "the report could not be stored; try again later");
out:
    if (in_tx)
        mp_store_rollback(ctx->db);
    return rc;
}

enum mp_status mp_report_cluster_set_status(struct mp_ctx *ctx, int64_t cluster_id,
                                            const char *status, int64_t at, const char *note,
                                            const char *actor, struct mp_error *err)
{
    enum mp_status rc;
    struct mp_cluster_state st;
    if (!mp_cluster_status_valid(status))
        return mp_fail(err, MP_EINVAL, "invalid_status", "unknown status '%.24s'", status);
    if ((rc = mp_store_cluster_state(ctx->db, cluster_id, &st)))
        return rc == MP_ENOTFOUND ? mp_fail(err, rc, "not_found", "no cluster %lld",
                                            (long long)cluster_id)
                                  : mp_fail(err, rc, "unavailable", "cannot read the cluster");
    if ((rc = mp_store_cluster_set_status(ctx->db, cluster_id, status,
                                          strcmp(status, "fixed") == 0 ? at : st.fixed_at, at)))
        return mp_fail(err, rc, "unavailable", "cannot change the status");
    struct mp_history_rec h = {.cluster_id = cluster_id, .at = at, .status = status,
                               .note = note, .note_public = true, .actor = actor};
    if ((rc = mp_store_history_add(ctx->db, &h)))
        return mp_fail(err, rc, "unavailable", "cannot record the status change");
    return MP_OK;
}

/* ---- reading ---- */

enum mp_status mp_report_list(struct mp_ctx *ctx, const struct mp_query *q, mp_report_cb cb,
                              void *arg)
{
    return mp_store_reports(ctx->db, q, cb, arg);
}

static int grab_cluster(void *p, const struct mp_report_row *r)
{
    *(int64_t *)p = r->cluster_id;
    return 0;
}

/* The report is read twice (its cluster first, the row to encode last)
 * rather than copied: a row's strings live only as long as its callback. */
enum mp_status mp_report_view(struct mp_ctx *ctx, int64_t id, mp_history_cb history,
                              mp_report_cb report, void *arg, struct mp_error *err)
{
    int64_t cluster_id = 0;
    enum mp_status rc = mp_store_report_get(ctx->db, id, false, grab_cluster, &cluster_id);
    if (rc == MP_OK && (rc = mp_store_history(ctx->db, cluster_id, history, arg)))
        return mp_fail(err, rc, "unavailable", "cannot read the history right now");
    if (rc == MP_OK)
        rc = mp_store_report_get(ctx->db, id, false, report, arg);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no report %lld", (long long)id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the report right now");
    return MP_OK;
}

enum mp_status mp_report_photo(struct mp_ctx *ctx, int64_t id, bool thumb, void **data,
                               size_t *len)
{
    return mp_store_photo_get(ctx->db, id, thumb, data, len);
}

enum mp_status mp_report_data_version(struct mp_ctx *ctx, int64_t *version)
{
    return mp_store_change_counter(ctx->db, version);
}

static int by_distance(const void *a, const void *b)
{
    const double *x = a, *y = b; /* first member of each entry is the distance */
    return (*x > *y) - (*x < *y);
}

enum mp_status mp_report_nearby(struct mp_ctx *ctx, const struct mp_category *cat, double lon,
                                double lat, const char *address, struct mp_nearby *out,
                                struct mp_error *err)
{
    struct entry {
        double d;
        size_t i;
    } order[MP_NEARBY_MAX];
    double x, y;
    size_t n = 0, m = 0;
    struct mp_ctx member_ctx;
    memset(out, 0, sizeof *out);
    if (mp_geo_forward(ctx->geo, lon, lat, &x, &y) != MP_OK)
        return mp_fail(err, MP_EINVAL, "out_of_range", "the point cannot be projected");
    /* In a region, the hint is what the pin's municipality would do: its
     * rule for the category, its own jobs only (as mp_report_submit). */
    if (ctx->region && !ctx->region->of_one) {
        struct mp_route route;
        mp_region_route(ctx->region, lon, lat, x, y, cat->radius_m, &route);
        if (!route.member)
            return mp_region_refusal(ctx->region, &route, lon, lat, err);
        member_ctx = *ctx;
        member_ctx.city = route.member;
        ctx = &member_ctx;
        if (!(cat = mp_city_category(route.member, cat->code)))
            return mp_fail(err, MP_EINVAL, "unknown_category",
                           "%.60s does not take this category; GET "
                           "/api/v1/categories?municipality=%.48s lists its own",
                           route.member->name, route.member->id);
    }
    out->cat = cat;
    /* Show what is close by as well as what would be joined: three times the
     * radius, at least 150 m. */
    double show = fmax(cat->radius_m * 3, 150.0);
    if (!(out->cand = malloc(MP_NEARBY_MAX * sizeof *out->cand)))
        return MP_ENOMEM;
    enum mp_status rc = mp_store_cluster_candidates(ctx->db, ctx->city->id, cat->code, x, y, show,
                                                    0, -1, out->cand, MP_NEARBY_MAX, &n);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot look up nearby reports");
    int64_t now = mp_time_now();
    struct mp_join_reason why;
    mp_report_probe(ctx, address, x, y, now, &out->probe, out->location, sizeof out->location);
    /* The candidates' house numbers, as an insert reads them. */
    const struct mp_cluster_state *refs[MP_NEARBY_MAX];
    struct mp_cluster_addr spans[MP_NEARBY_MAX];
    const struct mp_cluster_addr *span_refs[MP_NEARBY_MAX];
    const bool numbers = mp_cluster_needs_numbers(cat, &out->probe);
    for (size_t i = 0; i < n; i++) {
        refs[i] = &out->cand[i];
        span_refs[i] = NULL;
        if (numbers && mp_cluster_can_take(cat, &out->cand[i], now)) {
            if ((rc = mp_report_cluster_addr(ctx, out->cand[i].id, &spans[i])))
                return mp_fail(err, rc, "unavailable", "cannot look up nearby reports");
            span_refs[i] = &spans[i];
        }
    }
    long join = mp_cluster_choose_ev(cat, &out->probe, refs, span_refs, n, NULL, 0, &why);
    for (size_t i = 0; i < n; i++) {
        double d = mp_geo_dist(x, y, out->cand[i].x, out->cand[i].y);
        /* Long-closed clusters are history, not a hint. */
        if (d <= show && (mp_cluster_status_open(out->cand[i].status) || (long)i == join))
            order[m++] = (struct entry){d, i};
    }
    qsort(order, m, sizeof *order, by_distance);
    out->would_join = join >= 0 ? out->cand[join].id : 0;
    for (size_t k = 0; k < m; k++) {
        const struct mp_cluster_state *c = &out->cand[order[k].i];
        /* Every cluster the rules would accept, not only the nearest. */
        struct mp_join_reason one;
        out->items[k] = (struct mp_nearby_item){
            .cluster = c,
            .distance_m = order[k].d,
            .matches = mp_cluster_choose_ev(cat, &out->probe, &refs[order[k].i],
                                            &span_refs[order[k].i], 1, NULL, 0, &one) == 0,
            .would_join = (long)order[k].i == join,
            .same_street = out->probe.street && strcmp(out->probe.street, c->street) == 0,
        };
    }
    out->n = m;
    return MP_OK;
}

void mp_report_nearby_free(struct mp_nearby *n)
{
    if (!n)
        return;
    free(n->cand);
    n->cand = NULL;
    n->n = 0;
}
