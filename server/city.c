#include "meldpunt/city.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meldpunt/buf.h"
#include "meldpunt/timeutil.h"

#define PACK_MAX_FILE ((size_t)32 << 20)

static char *dupstr(const char *s) { return s ? strdup(s) : NULL; }

static enum mp_status copy_fixed(char *dst, size_t cap, const char *src, const char *what,
                                 struct mp_error *err)
{
    if (!src || !*src)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "%s is missing", what);
    size_t n = strlen(src);
    if (n >= cap)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "%s is too long", what);
    memcpy(dst, src, n + 1);
    return MP_OK;
}

static enum mp_status load_json(const char *dir, const char *file, json_t **out,
                                struct mp_error *err)
{
    char path[1024];
    json_error_t je;
    int n = snprintf(path, sizeof path, "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= sizeof path)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "city folder path too long");
    *out = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!*out)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "%.40s line %d: %.80s", file, je.line,
                       je.text);
    return MP_OK;
}

static bool file_exists(const char *dir, const char *file)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, file);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

bool mp_city_file(const struct mp_city *c, const char *file, char *path, size_t cap)
{
    const char *dir = c->dir ? c->dir : ".";
    if (c->base_dir && !file_exists(dir, file))
        dir = c->base_dir;
    int n = snprintf(path, cap, "%s/%s", dir, file);
    return n > 0 && (size_t)n < cap;
}

/* city.json of a member: the region's object with the member's keys laid
 * over it; the member's "extra_holidays" are added to the holidays. */
static enum mp_status merge_city_json(json_t *base, json_t *own, struct mp_error *err)
{
    const json_t *extra = json_object_get(own, "extra_holidays");
    if (extra && !json_is_array(extra))
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "city.json: extra_holidays is a list");
    /* The region's view is not the member's: without its own, the member's
     * centre is the middle of its own area (mp_city_load_member). */
    json_object_del(base, "center");
    json_object_del(base, "bbox");
    if (json_object_update(base, own))
        return MP_ENOMEM;
    json_t *hol = json_object_get(base, "holidays");
    if (extra && !json_is_array(hol)) {
        json_object_set_new(base, "holidays", json_array());
        hol = json_object_get(base, "holidays");
    }
    if (extra && (!hol || json_array_extend(hol, (json_t *)extra)))
        return MP_ENOMEM;
    json_object_del(base, "extra_holidays");
    return MP_OK;
}

/* categories.json of a member with "extends": "region": the region's list,
 * less the codes in "omit", with each of the member's categories laid over
 * the region's one of the same code (field by field) or appended. */
static enum mp_status merge_categories(json_t *base, const json_t *own, struct mp_error *err)
{
    json_t *list = json_object_get(base, "categories");
    const json_t *omit = json_object_get(own, "omit"), *add = json_object_get(own, "categories");
    size_t i, j;
    const json_t *v;
    if ((omit && !json_is_array(omit)) || (add && !json_is_array(add)) || !json_is_array(list))
        return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                       "categories.json: omit and categories are lists");
    json_array_foreach(omit, i, v)
    {
        bool found = false;
        for (j = json_array_size(list); j-- > 0;)
            if (json_equal(json_object_get(json_array_get(list, j), "code"), (json_t *)v)) {
                json_array_remove(list, j);
                found = true;
            }
        if (!found)
            return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                           "categories.json: omit names %.40s, which the region lacks",
                           json_string_value(v) ? json_string_value(v) : "?");
    }
    json_array_foreach(add, i, v)
    {
        json_t *target = NULL;
        for (j = 0; j < json_array_size(list) && !target; j++)
            if (json_equal(json_object_get(json_array_get(list, j), "code"),
                           json_object_get(v, "code")))
                target = json_array_get(list, j);
        if (target ? json_object_update(target, (json_t *)v)
                   : json_array_append_new(list, json_deep_copy(v)))
            return MP_ENOMEM;
    }
    return MP_OK;
}

/* A pack file as the city sees it: its own, else the region's (a member's
 * city.json and an extending categories.json are laid over the region's). */
static enum mp_status load_pack_json(const struct mp_city *c, const char *file, json_t **out,
                                     struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *own = NULL, *base = NULL;
    *out = NULL;
    bool has_own = !c->base_dir || file_exists(c->dir, file);
    if (has_own && (rc = load_json(c->dir, file, &own, err)))
        goto out;
    bool layered = c->base_dir && (!own || strcmp(file, "city.json") == 0 ||
                                   (strcmp(file, "categories.json") == 0 &&
                                    json_is_string(json_object_get(own, "extends"))));
    if (!layered) {
        *out = own;
        own = NULL;
        goto out;
    }
    if ((rc = load_json(c->base_dir, file, &base, err)))
        goto out;
    if (own && strcmp(file, "city.json") == 0)
        rc = merge_city_json(base, own, err);
    else if (own)
        rc = merge_categories(base, own, err);
    if (rc)
        goto out;
    *out = base;
    base = NULL;
out:
    json_decref(own);
    json_decref(base);
    return rc;
}

static double num_or(const json_t *o, const char *key, double dflt)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

static char *dump_compact(const json_t *j, size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s && len)
        *len = strlen(s);
    return s;
}

/* The duplicate rule of a category object: rule, radius_m, along_m,
 * address_span, address_side, window_days, fixed_absorb_days. */
static enum mp_status load_rule(const json_t *o, struct mp_category *c, struct mp_error *err)
{
    const char *rule = json_string_value(json_object_get(o, "rule"));
    if (!rule)
        c->rule = MP_RULE_POINT;
    else if (!mp_rule_parse(rule, &c->rule))
        return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                       "category %.40s: unknown rule (point, street or address)", c->code);
    c->radius_m = num_or(o, "radius_m", 50);
    c->along_m = num_or(o, "along_m", 0);
    double span = num_or(o, "address_span", 0);
    const json_t *side = json_object_get(o, "address_side");
    if (!(span >= 0 && span <= 10000) || (side && !json_is_boolean(side)))
        return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                       "category %.40s: address_span must be 0 to 10000, address_side true or "
                       "false",
                       c->code);
    c->address_span = (int)span;
    c->address_side = json_is_true(side);
    c->window_days = (int)num_or(o, "window_days", 30);
    c->fixed_absorb_days = (int)num_or(o, "fixed_absorb_days", 0);
    if (!(c->radius_m >= 0 && c->radius_m <= 5000) || !(c->along_m >= 0 && c->along_m <= 10000) ||
        c->window_days < 0 || c->window_days > 3650 || c->fixed_absorb_days < 0)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "category %.40s: rule out of range",
                       c->code);
    return MP_OK;
}

static enum mp_status load_category(const json_t *o, struct mp_category *c, struct mp_error *err)
{
    enum mp_status rc;
    const json_t *name = json_object_get(o, "name");
    if ((rc = copy_fixed(c->code, sizeof c->code, json_string_value(json_object_get(o, "code")),
                         "category code", err)))
        return rc;
    for (const char *p = c->code; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return mp_fail(err, MP_EINVAL, "invalid_city_pack",
                           "category code %.40s: only a-z, 0-9 and _", c->code);
    const char *group = json_string_value(json_object_get(o, "group"));
    const char *dept = json_string_value(json_object_get(o, "department"));
    snprintf(c->group, sizeof c->group, "%s", group ? group : "other");
    snprintf(c->department, sizeof c->department, "%s", dept ? dept : "");
    c->name_en = dupstr(json_string_value(json_object_get(name, "en")));
    c->name_nl = dupstr(json_string_value(json_object_get(name, "nl")));
    if (!c->name_en)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "category %.40s has no English name",
                       c->code);
    if ((rc = load_rule(o, c, err)))
        return rc;
    c->service_days = (int)num_or(o, "service_days", 10);
    c->priority = (int)num_or(o, "priority", 2);
    if (c->service_days < 0 || c->priority < 1 || c->priority > 3)
        return mp_fail(err, MP_EINVAL, "invalid_city_pack", "category %.40s: rule out of range",
                       c->code);
    const json_t *sources = json_object_get(o, "sources");
    const char *fmt;
    const json_t *names;
    size_t total = 0;
    json_object_foreach((json_t *)sources, fmt, names) total += json_array_size(names);
    if (total) {
        c->sources = calloc(total, sizeof *c->sources);
        if (!c->sources)
            return MP_ENOMEM;
        json_object_foreach((json_t *)sources, fmt, names)
        {
            size_t i;
            const json_t *nm;
            json_array_foreach(names, i, nm)
            {
                if (!json_is_string(nm))
                    continue;
                struct mp_source *s = &c->sources[c->nsources++];
                s->format = strdup(fmt);
                s->name = strdup(json_string_value(nm));
                if (!s->format || !s->name)
                    return MP_ENOMEM;
            }
        }
    }
    return MP_OK;
}

static enum mp_status load_categories(struct mp_city *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *root = NULL, *pub = NULL;
    if ((rc = load_pack_json(c, "categories.json", &root, err)))
        goto out;
    const json_t *arr = json_object_get(root, "categories");
    size_t n = json_array_size(arr);
    if (n == 0 || n > 500) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "categories.json needs 1-500 categories");
        goto out;
    }
    c->categories = calloc(n, sizeof *c->categories);
    pub = json_array();
    if (!c->categories || !pub) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        c->ncategories = i + 1;
        if ((rc = load_category(o, &c->categories[i], err)))
            goto out;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->categories[j].code, c->categories[i].code) == 0) {
                rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "category %.40s twice",
                             c->categories[i].code);
                goto out;
            }
        /* The public list is the pack's own object less the import mapping. */
        json_t *copy = json_deep_copy(o);
        if (!copy) {
            rc = MP_ENOMEM;
            goto out;
        }
        json_object_del(copy, "sources");
        json_array_append_new(pub, copy);
    }
    json_t *wrap = json_pack("{s:O}", "categories", pub);
    c->categories_json = wrap ? dump_compact(wrap, &c->categories_json_len) : NULL;
    json_decref(wrap);
    if (!c->categories_json)
        rc = MP_ENOMEM;
out:
    json_decref(root);
    json_decref(pub);
    return rc;
}

/* district_order: indexes sorted by code and, among equal codes, by
 * position (a stable sort), so that the binary search of mp_city_district
 * finds the district a linear search would: the first with that code. */
static enum mp_status index_districts(struct mp_city *c)
{
    c->district_order = malloc(c->ndistricts * sizeof *c->district_order);
    if (!c->district_order)
        return MP_ENOMEM;
    for (size_t i = 0; i < c->ndistricts; i++)
        c->district_order[i] = i;
    /* Insertion sort: stable, and a pack has tens of districts. */
    for (size_t i = 1; i < c->ndistricts; i++) {
        size_t v = c->district_order[i], j = i;
        while (j > 0 && (strcmp(c->districts[c->district_order[j - 1]].code,
                                c->districts[v].code) > 0)) {
            c->district_order[j] = c->district_order[j - 1];
            j--;
        }
        c->district_order[j] = v;
    }
    return MP_OK;
}

static enum mp_status load_districts(struct mp_city *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *root = NULL;
    if ((rc = load_pack_json(c, "districts.geojson", &root, err)))
        goto out;
    const json_t *feats = json_object_get(root, "features");
    size_t n = json_array_size(feats);
    if (n == 0) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "districts.geojson has no features");
        goto out;
    }
    c->districts = calloc(n, sizeof *c->districts);
    if (!c->districts) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(feats, i);
        const json_t *props = json_object_get(f, "properties");
        struct mp_district *d = &c->districts[i];
        c->ndistricts = i + 1;
        if ((rc = copy_fixed(d->code, sizeof d->code,
                             json_string_value(json_object_get(props, "code")), "district code",
                             err)))
            goto out;
        d->name = dupstr(json_string_value(json_object_get(props, "name")));
        if (!d->name) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "district %.20s has no name",
                         d->code);
            goto out;
        }
        if ((rc = mp_multipolygon_from_geojson(json_object_get(f, "geometry"), &d->area, err)))
            goto out;
        struct mp_buf b;
        mp_buf_init(&b, 0);
        mp_buf_adds(&b, "{\"code\":");
        mp_json_str(&b, d->code);
        mp_buf_adds(&b, ",\"name\":");
        mp_json_str(&b, d->name);
        mp_buf_addc(&b, '}');
        if (b.failed) {
            mp_buf_free(&b);
            rc = MP_ENOMEM;
            goto out;
        }
        d->json = mp_buf_steal(&b, &d->json_len);
    }
    if ((rc = index_districts(c)))
        goto out;
    c->districts_json = dump_compact(root, &c->districts_json_len);
    if (!c->districts_json)
        rc = MP_ENOMEM;
out:
    json_decref(root);
    return rc;
}

static enum mp_status load_area(struct mp_city *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *root = NULL;
    if ((rc = load_pack_json(c, "service_area.geojson", &root, err)))
        goto out;
    const json_t *f = json_array_get(json_object_get(root, "features"), 0);
    if ((rc = mp_multipolygon_from_geojson(json_object_get(f, "geometry"), &c->area, err)))
        goto out;
    c->area_json = dump_compact(root, &c->area_json_len);
    if (!c->area_json)
        rc = MP_ENOMEM;
out:
    json_decref(root);
    return rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static enum mp_status load_city_json(struct mp_city *c, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_t *root = NULL;
    if ((rc = load_pack_json(c, "city.json", &root, err)))
        goto out;
    if ((rc = copy_fixed(c->id, sizeof c->id, json_string_value(json_object_get(root, "id")),
                         "city id", err)))
        goto out;
    c->name = dupstr(json_string_value(json_object_get(root, "name")));
    c->name_local = dupstr(json_string_value(json_object_get(root, "name_fr")));
    c->crs = dupstr(json_string_value(json_object_get(root, "crs")));
    c->timezone = dupstr(json_string_value(json_object_get(root, "timezone")));
    if (!c->name || !c->crs || !c->timezone) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "city.json needs name, crs, timezone");
        goto out;
    }
    const json_t *center = json_object_get(root, "center");
    c->center_lon = center ? json_number_value(json_array_get(center, 0)) : NAN;
    c->center_lat = center ? json_number_value(json_array_get(center, 1)) : NAN;
    c->zoom = (int)num_or(root, "zoom", 12);
    /* The simplified outline runs up to ~15 m off the true limit, and pins on
     * the street that forms the limit fall either side of it. */
    c->area_margin_m = num_or(root, "area_margin_m", 25);
    if (!(c->area_margin_m >= 0 && c->area_margin_m <= 1000)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "city.json: area_margin_m 0-1000");
        goto out;
    }
    const json_t *wd = json_object_get(root, "workdays");
    size_t i;
    const json_t *v;
    if (json_array_size(wd) == 0)
        c->workdays = 0x3e; /* Monday to Friday */
    json_array_foreach(wd, i, v)
    {
        json_int_t d = json_integer_value(v);
        if (d >= 1 && d <= 7)
            c->workdays |= 1u << d;
    }
    const json_t *hol = json_object_get(root, "holidays");
    c->holidays = calloc(json_array_size(hol) + 1, sizeof *c->holidays);
    if (!c->holidays) {
        rc = MP_ENOMEM;
        goto out;
    }
    json_array_foreach(hol, i, v)
    {
        int64_t t;
        if (mp_time_parse(json_string_value(v), 0, &t) != MP_OK) {
            rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "city.json: bad holiday date");
            goto out;
        }
        c->holidays[c->nholidays++] = t / 86400;
    }
    qsort(c->holidays, c->nholidays, sizeof *c->holidays, cmp_i64);
    const json_t *tiles = json_object_get(root, "tiles");
    c->tile_url = dupstr(json_string_value(json_object_get(tiles, "url")));
    c->tile_attribution = dupstr(json_string_value(json_object_get(tiles, "attribution")));
    c->tile_max_zoom = (int)num_or(tiles, "max_zoom", 19);
out:
    json_decref(root);
    return rc;
}

enum mp_status mp_city_load(const char *dir, struct mp_city **out, struct mp_error *err)
{
    return mp_city_load_member(NULL, dir, out, err);
}

enum mp_status mp_city_load_member(const char *base_dir, const char *dir, struct mp_city **out,
                                   struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_city *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->dir = strdup(dir)) || (base_dir && !(c->base_dir = strdup(base_dir)))) {
        rc = MP_ENOMEM;
        goto out;
    }
    if ((rc = load_city_json(c, err)) || (rc = load_categories(c, err)) ||
        (rc = load_districts(c, err)) || (rc = load_area(c, err)))
        goto out;
    c->bbox = c->area.bbox;
    if (isnan(c->center_lon) || isnan(c->center_lat)) {
        c->center_lon = (c->bbox.min_lon + c->bbox.max_lon) / 2;
        c->center_lat = (c->bbox.min_lat + c->bbox.max_lat) / 2;
    }
    *out = c;
    c = NULL;
out:
    mp_city_free(c);
    return rc;
}

void mp_city_free(struct mp_city *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncategories; i++) {
        struct mp_category *k = &c->categories[i];
        free(k->name_en);
        free(k->name_nl);
        for (size_t j = 0; j < k->nsources; j++) {
            free(k->sources[j].format);
            free(k->sources[j].name);
        }
        free(k->sources);
    }
    free(c->categories);
    for (size_t i = 0; i < c->ndistricts; i++) {
        free(c->districts[i].name);
        free(c->districts[i].json);
        mp_multipolygon_free(&c->districts[i].area);
    }
    free(c->districts);
    free(c->district_order);
    mp_multipolygon_free(&c->area);
    free(c->holidays);
    free(c->name);
    free(c->crs);
    free(c->timezone);
    free(c->dir);
    free(c->base_dir);
    free(c->name_local);
    free(c->tile_url);
    free(c->tile_attribution);
    free(c->categories_json);
    free(c->districts_json);
    free(c->area_json);
    free(c);
}

const struct mp_category *mp_city_category(const struct mp_city *c, const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < c->ncategories; i++)
        if (strcmp(c->categories[i].code, code) == 0)
            return &c->categories[i];
    return NULL;
}

const struct mp_category *mp_city_category_by_source(const struct mp_city *c, const char *fmt,
                                                     const char *name)
{
    for (size_t i = 0; i < c->ncategories; i++)
        for (size_t j = 0; j < c->categories[i].nsources; j++) {
            const struct mp_source *s = &c->categories[i].sources[j];
            if (strcmp(s->format, fmt) == 0 && strcmp(s->name, name) == 0)
                return &c->categories[i];
        }
    return NULL;
}

const struct mp_district *mp_city_district_at(const struct mp_city *c, double lon, double lat)
{
    for (size_t i = 0; i < c->ndistricts; i++)
        if (mp_multipolygon_contains(&c->districts[i].area, lon, lat))
            return &c->districts[i];
    return NULL;
}

const struct mp_district *mp_city_district(const struct mp_city *c, const char *code)
{
    if (!code || !c->district_order)
        return NULL;
    /* Lower bound: the first index whose code is not below the one asked. */
    size_t lo = 0, hi = c->ndistricts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->districts[c->district_order[mid]].code, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->ndistricts && strcmp(c->districts[c->district_order[lo]].code, code) == 0)
        return &c->districts[c->district_order[lo]];
    return NULL;
}

bool mp_city_in_area(const struct mp_city *c, double lon, double lat)
{
    return mp_multipolygon_contains(&c->area, lon, lat) ||
           mp_multipolygon_near(&c->area, lon, lat, c->area_margin_m);
}

enum mp_status mp_city_set_tiles(struct mp_city *c, const char *url)
{
    char *copy = NULL;
    if (url && *url && !(copy = strdup(url)))
        return MP_ENOMEM;
    free(c->tile_url);
    c->tile_url = copy;
    return MP_OK;
}

bool mp_city_is_workday(const struct mp_city *c, int64_t day)
{
    /* 1970-01-01 was a Thursday (ISO weekday 4). */
    int64_t wd = ((day % 7) + 7 + 3) % 7 + 1;
    if (!(c->workdays & (1u << wd)))
        return false;
    size_t lo = 0, hi = c->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holidays[mid] == day)
            return false;
        if (c->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return true;
}

static const char *const rule_names[MP_RULE__COUNT] = {"point", "street", "address"};

const char *mp_rule_name(enum mp_rule r)
{
    return r >= 0 && r < MP_RULE__COUNT ? rule_names[r] : "point";
}

bool mp_rule_parse(const char *name, enum mp_rule *out)
{
    for (int i = 0; name && i < MP_RULE__COUNT; i++)
        if (strcmp(name, rule_names[i]) == 0) {
            *out = (enum mp_rule)i;
            return true;
        }
    return false;
}

enum mp_status mp_city_apply_rules(struct mp_city *c, const char *path, size_t *applied,
                                   struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    json_error_t je;
    *applied = 0;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    const json_t *arr = json_object_get(root, "categories");
    if (!root || !json_is_array(arr)) {
        rc = mp_fail(err, MP_EINVAL, "invalid_city_pack", "%.60s: %.80s", path,
                     root ? "no \"categories\" list" : je.text);
        goto out;
    }
    size_t i;
    const json_t *o;
    json_array_foreach(arr, i, o) {
        const char *code = json_string_value(json_object_get(o, "code"));
        struct mp_category *cat = (struct mp_category *)mp_city_category(c, code ? code : "");
        if (!cat)
            continue; /* a category of another pack: nothing to change */
        struct mp_category tmp = *cat;
        if ((rc = load_rule(o, &tmp, err)))
            goto out;
        *cat = tmp;
        (*applied)++;
    }
out:
    json_decref(root);
    return rc;
}

/* Whole metres as integers, as the hand-written files have them. */
static json_t *metres(double m)
{
    return m == floor(m) && fabs(m) < 1e9 ? json_integer((json_int_t)m) : json_real(m);
}

enum mp_status mp_city_rule_json(const struct mp_category *c, json_t *o)
{
    int bad = json_object_set_new(o, "rule", json_string(mp_rule_name(c->rule)));
    bad |= json_object_set_new(o, "radius_m", metres(c->radius_m));
    bad |= json_object_set_new(o, "along_m", metres(c->along_m));
    bad |= json_object_set_new(o, "address_span", json_integer(c->address_span));
    bad |= json_object_set_new(o, "address_side", json_boolean(c->address_side));
    bad |= json_object_set_new(o, "window_days", json_integer(c->window_days));
    bad |= json_object_set_new(o, "fixed_absorb_days", json_integer(c->fixed_absorb_days));
    return bad ? MP_ENOMEM : MP_OK;
}
