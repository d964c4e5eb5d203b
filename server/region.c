/* region.c - a region pack: the whole, its members, routing a pin to one. */
#include "meldpunt/region.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meldpunt/geo.h"

#define MAX_MEMBERS 1024

static enum mp_status forward(void *cookie, double lon, double lat, double *x, double *y)
{
    return mp_geo_forward(cookie, lon, lat, x, y);
}

static int cmp_member(const void *a, const void *b)
{
    const struct mp_region_member *x = a, *y = b;
    return strcmp(x->city->id, y->city->id);
}

/* region.json: the routing settings (the rest of it is what the build
 * script turned into city.json). Absent in a plain city pack. */
static enum mp_status load_settings(struct mp_region *r, const char *dir, struct mp_error *err)
{
    char path[1100];
    json_error_t je;
    r->neighbour_m = 50;
    r->nearest = 3;
    int n = snprintf(path, sizeof path, "%s/region.json", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "region folder path too long");
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "region.json line %d: %.80s", je.line,
                       je.text);
    const json_t *nm = json_object_get(root, "neighbour_m"), *ne = json_object_get(root, "nearest");
    if (nm)
        r->neighbour_m = json_number_value(nm);
    if (ne)
        r->nearest = (size_t)json_integer_value(ne);
    json_decref(root);
    if (!(r->neighbour_m >= 0 && r->neighbour_m <= 5000) || r->nearest < 1 ||
        r->nearest > MP_ROUTE_MAX_NEAR)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                       "region.json: neighbour_m 0-5000, nearest 1-%d", MP_ROUTE_MAX_NEAR);
    return MP_OK;
}

static enum mp_status load_members(struct mp_region *r, const char *dir, const char *mdir,
                                   struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    DIR *d = opendir(mdir);
    struct dirent *e;
    if (!d)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "cannot read %.100s", mdir);
    r->members = calloc(MAX_MEMBERS, sizeof *r->members);
    if (!r->members) {
        rc = MP_ENOMEM;
        goto out;
    }
    while ((e = readdir(d))) {
        char sub[1400]; /* the members folder (< 1100) + "/" + a name (< 256) */
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        int n = snprintf(sub, sizeof sub, "%s/%s", mdir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof sub || stat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (r->nmembers == MAX_MEMBERS) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "more than %d members", MAX_MEMBERS);
            goto out;
        }
        struct mp_error merr = {{0}, {0}};
        rc = mp_city_load_member(dir, sub, &r->members[r->nmembers].city, &merr);
        if (rc) {
            rc =
                mp_fail(err, rc, "invalid_city_pack", "member %.40s: %.100s", e->d_name, merr.text);
            goto out;
        }
        struct mp_city *m = r->members[r->nmembers++].city;
        if (strcmp(m->id, e->d_name) != 0 || strcmp(m->crs, r->whole->crs) != 0 ||
            strcmp(m->timezone, r->whole->timezone) != 0) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack",
                         "member %.40s: its id must be its folder name, its crs and timezone "
                         "the region's",
                         e->d_name);
            goto out;
        }
    }
    if (r->nmembers == 0)
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "%.100s holds no member", mdir);
    qsort(r->members, r->nmembers, sizeof *r->members, cmp_member);
out:
    if (d)
        closedir(d);
    return rc;
}

enum mp_status mp_region_load(const char *dir, struct mp_region **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_geo *geo = NULL;
    struct mp_region *r = calloc(1, sizeof *r);
    char mdir[1100];
    struct stat sb;
    *out = NULL;
    if (!r)
        return MP_ENOMEM;
    if ((rc = mp_city_load(dir, &r->whole, err)))
        goto out;
    int n = snprintf(mdir, sizeof mdir, "%s/members", dir);
    r->of_one = !(n > 0 && (size_t)n < sizeof mdir && stat(mdir, &sb) == 0 && S_ISDIR(sb.st_mode));
    if (r->of_one) {
        r->neighbour_m = 0;
        r->nearest = 1;
        if (!(r->members = calloc(1, sizeof *r->members))) {
            rc = MP_ENOMEM;
            goto out;
        }
        r->members[0].city = r->whole;
        r->nmembers = 1;
    } else if ((rc = load_settings(r, dir, err)) || (rc = load_members(r, dir, mdir, err))) {
        goto out;
    }
    if ((rc = mp_geo_new(r->whole->crs, &geo, err)))
        goto out;
    for (size_t i = 0; i < r->nmembers; i++)
        if ((rc =
                 mp_multipolygon_map(&r->members[i].city->area, forward, geo, &r->members[i].xy))) {
            rc = mp_fail(err, rc, "invalid_city_pack", "member %.40s: cannot project its area",
                         r->members[i].city->id);
            goto out;
        }
    *out = r;
    r = NULL;
out:
    mp_geo_free(geo);
    mp_region_free(r);
    return rc;
}

void mp_region_free(struct mp_region *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->members && i < r->nmembers; i++) {
        mp_multipolygon_free(&r->members[i].xy);
        if (r->members[i].city != r->whole)
            mp_city_free(r->members[i].city);
    }
    free(r->members);
    mp_city_free(r->whole);
    free(r);
}

const struct mp_city *mp_region_member(const struct mp_region *r, const char *slug)
{
    size_t lo = 0, hi = r->nmembers;
    while (slug && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->members[mid].city->id, slug);
        if (c == 0)
            return r->members[mid].city;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t mp_region_member_index_of_district(const struct mp_region *r, const char *code)
{
    for (size_t i = 0; code && i < r->nmembers; i++)
        if (mp_city_district(r->members[i].city, code))
            return i;
    return SIZE_MAX;
}

const struct mp_city *mp_region_member_of_district(const struct mp_region *r, const char *code)
{
    size_t i = mp_region_member_index_of_district(r, code);
    return i == SIZE_MAX ? NULL : r->members[i].city;
}

/* Keep the k nearest, nearest first. */
static void near_add(struct mp_route *out, size_t k, const struct mp_city *c, double d)
{
    size_t i = out->nnear;
    if (i == k && !(d < out->near[k - 1].distance_m))
        return;
    if (i == k)
        i--;
    else
        out->nnear++;
    while (i > 0 && out->near[i - 1].distance_m > d) {
        out->near[i] = out->near[i - 1];
        i--;
    }
    out->near[i] = (struct mp_route_near){c, d};
}

void mp_region_route(const struct mp_region *r, double lon, double lat, double x, double y,
                     double reach_m, struct mp_route *out)
{
    memset(out, 0, sizeof *out);
    if (r->of_one) {
        const struct mp_city *c = r->whole;
        out->inside = mp_multipolygon_contains(&c->area, lon, lat);
        if (out->inside || mp_multipolygon_near(&c->area, lon, lat, c->area_margin_m))
            out->member = c;
        else
            near_add(out, 1, c, mp_multipolygon_outline_dist(&r->members[0].xy, x, y));
        return;
    }
    for (size_t i = 0; i < r->nmembers && !out->member; i++) {
        const struct mp_city *c = r->members[i].city;
        if (mp_bbox_contains(&c->area.bbox, lon, lat) &&
            mp_multipolygon_contains(&c->area, lon, lat)) {
            out->member = c;
            out->inside = true;
        }
    }
    double reach = fmax(reach_m, r->neighbour_m);
    /* Not inside any: the nearest member takes a pin within the margin
     * (a gap between simplified outlines, a street that forms the limit). */
    struct mp_route nearest;
    memset(&nearest, 0, sizeof nearest);
    for (size_t i = 0; i < r->nmembers; i++) {
        const struct mp_region_member *m = &r->members[i];
        if (m->city == out->member)
            continue;
        const struct mp_bbox *b = &m->xy.bbox;
        double bx = fmax(fmax(b->min_lon - x, x - b->max_lon), 0);
        double by = fmax(fmax(b->min_lat - y, y - b->max_lat), 0);
        if (out->member && hypot(bx, by) > reach)
            continue;
        double d = mp_multipolygon_outline_dist(&m->xy, x, y);
        if (out->member) {
            if (d <= reach)
                near_add(out, MP_ROUTE_MAX_NEAR, m->city, d);
        } else {
            near_add(&nearest, MP_ROUTE_MAX_NEAR, m->city, d);
        }
    }
    if (out->member)
        return;
    if (nearest.nnear && nearest.near[0].distance_m <= r->whole->area_margin_m) {
        out->member = nearest.near[0].city;
        for (size_t i = 1; i < nearest.nnear; i++)
            if (nearest.near[i].distance_m <= reach)
                near_add(out, MP_ROUTE_MAX_NEAR, nearest.near[i].city, nearest.near[i].distance_m);
        return;
    }
    for (size_t i = 0; i < nearest.nnear && i < r->nearest; i++)
        out->near[out->nnear++] = nearest.near[i];
}

enum mp_status mp_region_refusal(const struct mp_region *r, const struct mp_route *route,
                                 double lon, double lat, struct mp_error *err)
{
    if (r->of_one)
        return mp_fail(err, MP_EINVAL, "out_of_area",
                       "the point %.5f,%.5f is outside the service area of %.40s", lat, lon,
                       r->whole->name);
    char names[120] = "";
    size_t used = 0;
    for (size_t i = 0; i < route->nnear; i++) {
        double d = route->near[i].distance_m;
        int n = snprintf(names + used, sizeof names - used, "%s%.30s %.1f km", i ? ", " : "",
                         route->near[i].city->name, d / 1000.0);
        if (n < 0 || (size_t)n >= sizeof names - used)
            break; /* the names that fit */
        used += (size_t)n;
    }
    return mp_fail(err, MP_EINVAL, "out_of_area",
                   "the point %.5f,%.5f is outside every municipality of %.30s; nearest: %s", lat,
                   lon, r->whole->name, names);
}
