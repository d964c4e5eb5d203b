#include "meldpunt/app.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meldpunt/auth.h"
#include "meldpunt/automation_cache.h"
#include "meldpunt/city.h"
#include "meldpunt/etag.h"
#include "meldpunt/geo.h"
#include "meldpunt/ingest.h"
#include "meldpunt/metrics.h"
#include "meldpunt/region.h"
#include "meldpunt/respcache.h"
#include "meldpunt/store.h"
#include "meldpunt/streets.h"
#include "meldpunt/tz.h"
#include "meldpunt/vocab.h"

#define STATIC_MAX_FILE ((size_t)4 << 20)
#define STATIC_MAX_FILES 256

static const char *mime_for(const char *name)
{
    static const struct {
        const char *ext, *mime;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].mime;
    return NULL;
}

static bool name_ok(const char *n)
{
    if (n[0] == '.' || strlen(n) > 100)
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
              *p == '_'))
            return false;
    return true;
}

static enum mp_status add_file(struct mp_app *app, const char *dir, const char *name,
                               const char *url_prefix, struct mp_error *err)
{
    char path[1100];
    const char *mime = mime_for(name);
    if (!mime || !name_ok(name) || app->nfiles >= STATIC_MAX_FILES)
        return MP_OK; /* not a servable file: skip */
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return MP_OK;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > STATIC_MAX_FILE)
        return MP_OK;
    struct mp_static_file *f = &app->files[app->nfiles];
    memset(f, 0, sizeof *f);
    n = snprintf(f->url, sizeof f->url, "%s%s", url_prefix, name);
    if (n < 0 || (size_t)n >= sizeof f->url)
        return MP_OK;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return mp_fail(err, MP_EIO, "static", "cannot read %.200s", path);
    f->data = malloc((size_t)sb.st_size + 1);
    if (!f->data) {
        fclose(fp);
        return MP_ENOMEM;
    }
    f->len = fread(f->data, 1, (size_t)sb.st_size, fp);
    fclose(fp);
    f->mime = mime;
    mp_etag_body(f->data, f->len, f->etag, sizeof f->etag);
    app->nfiles++;
    return MP_OK;
}

/* The fixed list of servable files is built once, here: every regular file
 * with a known type at the top of web/, and Leaflet's dist files. Requests
 * are matched against this list by exact name, never joined to a path. */
static enum mp_status add_dir(struct mp_app *app, const char *dir, const char *prefix,
                              struct mp_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return MP_OK;
    enum mp_status rc = MP_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d)))
        rc = add_file(app, dir, e->d_name, prefix, err);
    closedir(d);
    return rc;
}

static enum mp_status load_static(struct mp_app *app, struct mp_error *err)
{
    enum mp_status rc;
    char dir[1100];
    app->files = calloc(STATIC_MAX_FILES, sizeof *app->files);
    if (!app->files)
        return MP_ENOMEM;
    if ((rc = add_dir(app, app->cfg->web_dir, "/", err)))
        return rc;
    snprintf(dir, sizeof dir, "%s/leaflet/dist", app->cfg->vendor_dir);
    if ((rc = add_dir(app, dir, "/vendor/leaflet/", err)))
        return rc;
    snprintf(dir, sizeof dir, "%s/leaflet/dist/images", app->cfg->vendor_dir);
    return add_dir(app, dir, "/vendor/leaflet/images/", err);
}

/* The status codes as a list: the "statuses" key the pages have always read. */
static json_t *status_codes(void)
{
    size_t n;
    const struct mp_vocab_status *st = mp_vocab_statuses(&n);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(st[i].code))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

/* The whole vocabulary for the pages: names, families, legend groups and
 * the moves, so that no page spells a status of its own. */
static json_t *workflow_json(void)
{
    size_t ns, nt;
    const struct mp_vocab_status *st = mp_vocab_statuses(&ns);
    const struct mp_vocab_transition *tr = mp_vocab_transitions(&nt);
    json_t *statuses = json_array(), *moves = json_array();
    bool ok = statuses && moves;
    for (size_t i = 0; ok && i < ns; i++)
        ok = json_array_append_new(
                 statuses,
                 json_pack("{s:s,s:{s:s,s:s},s:b,s:b,s:s,s:s,s:s}", "code", st[i].code, "name",
                           "en", st[i].name_en, "nl", st[i].name_nl, "open", st[i].open,
                           "public", st[i].public, "map_group", st[i].map_group, "open311",
                           st[i].open311, "fixmystreet", st[i].fixmystreet)) == 0;
    for (size_t i = 0; ok && i < nt; i++)
        ok = json_array_append_new(moves, json_pack("{s:s,s:s,s:b,s:b}", "from", tr[i].from, "to",
                                                    tr[i].to, "crew", tr[i].crew,
                                                    "note_required", tr[i].note_required)) == 0;
    if (!ok) {
        json_decref(statuses);
        json_decref(moves);
        return NULL;
    }
    return json_pack("{s:o,s:o}", "statuses", statuses, "transitions", moves);
}

/* {"id","name","bbox"} of every member, for the region's pages. */
static json_t *members_json(const struct mp_region *r)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < r->nmembers; i++) {
        const struct mp_city *m = r->members[i].city;
        if (json_array_append_new(list, json_pack("{s:s,s:s,s:[f,f,f,f]}", "id", m->id, "name",
                                                  m->name, "bbox", m->bbox.min_lon,
                                                  m->bbox.min_lat, m->bbox.max_lon,
                                                  m->bbox.max_lat))) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* The body of GET /api/v1/config for city c: the region's whole (member
 * NULL) or one member's page (/m/{slug}), which also names its region. */
static enum mp_status render_config(const struct mp_region *r, const struct mp_city *c,
                                    bool member, char **out, size_t *len)
{
    json_t *tiles = json_null();
    if (c->tile_url)
        tiles = json_pack("{s:s,s:s,s:i}", "url", c->tile_url, "attribution",
                          c->tile_attribution ? c->tile_attribution : "", "max_zoom",
                          c->tile_max_zoom);
    /* "o" takes its reference even when the pack fails; a NULL one makes the
     * pack fail, and with it the whole config (MP_ENOMEM). */
    json_t *root = json_pack(
        "{s:{s:s,s:s,s:[f,f],s:i,s:[f,f,f,f],s:s},s:o,s:{s:i,s:I},s:o,s:o}", "city", "id",
        c->id, "name", c->name, "center", c->center_lon, c->center_lat, "zoom", c->zoom, "bbox",
        c->bbox.min_lon, c->bbox.min_lat, c->bbox.max_lon, c->bbox.max_lat, "timezone",
        c->timezone, "tiles", tiles, "limits", "description_max", 2000, "photo_max_bytes",
        (json_int_t)(8 << 20), "statuses", status_codes(), "workflow", workflow_json());
    if (!root)
        return MP_ENOMEM;
    /* A region (not a city pack, whose answer stays as it was): the
     * members, and on a member's page the region it belongs to. */
    bool bad = false;
    if (!r->of_one && member)
        bad = json_object_set_new(root, "region", json_pack("{s:s,s:s}", "id", r->whole->id,
                                                            "name", r->whole->name)) != 0;
    else if (!r->of_one)
        bad = json_object_set_new(root, "municipalities", members_json(r)) != 0;
    *out = bad ? NULL
               : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (!*out)
        return MP_ENOMEM;
    *len = strlen(*out);
    return MP_OK;
}

static enum mp_status render_configs(struct mp_app *app)
{
    const struct mp_region *r = app->region;
    enum mp_status rc = render_config(r, app->city, false, &app->config_json,
                                      &app->config_json_len);
    if (rc)
        return rc;
    if (!(app->member_config = calloc(r->nmembers, sizeof *app->member_config)))
        return MP_ENOMEM;
    for (size_t i = 0; i < r->nmembers; i++)
        if ((rc = render_config(r, r->members[i].city, true, &app->member_config[i].json,
                                &app->member_config[i].len)))
            return rc;
    return MP_OK;
}

/* A server on an engine that lacks store operations would fail requests
 * that need them (MP_EUNSUPPORTED): it starts only when the operator opted
 * in, and then says which. */
static enum mp_status check_engine(const struct mp_config *cfg, struct mp_error *err)
{
    char names[2048];
    size_t n = mp_store_missing_ops(cfg->db_path, names, sizeof names);
    if (n == 0)
        return MP_OK;
    /* The list is longer than an error's text: it goes to the log. */
    fprintf(stderr, "meldpunt: the PostgreSQL engine lacks %zu store operations: %s\n", n, names);
    if (!cfg->pg_experimental)
        return mp_fail(err, MP_EUNSUPPORTED, "config",
                       "the PostgreSQL engine lacks %zu store operations (listed above); set "
                       "MELDPUNT_PG_EXPERIMENTAL=1 to serve anyway",
                       n);
    fprintf(stderr, "meldpunt: MELDPUNT_PG_EXPERIMENTAL=1: serving anyway; requests that need "
                    "those operations fail\n");
    return MP_OK;
}

enum mp_status mp_app_open(const struct mp_config *cfg, unsigned nslots, bool server,
                           struct mp_app **out, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_app *app = calloc(1, sizeof *app);
    *out = NULL;
    if (!app)
        return MP_ENOMEM;
    app->cfg = cfg;
    pthread_mutex_init(&app->lock, NULL);
    pthread_cond_init(&app->cond, NULL);
    if ((rc = mp_region_load(cfg->city_dir, &app->region, err)))
        goto out;
    app->city = app->region->whole;
    for (size_t i = 0; cfg->tiles_set && i < app->region->nmembers; i++)
        if ((rc = mp_city_set_tiles(app->region->members[i].city, cfg->tile_url)))
            goto out;
    if (cfg->tiles_set && (rc = mp_city_set_tiles(app->city, cfg->tile_url)))
        goto out;
    if ((rc = mp_tz_load(app->city->timezone, &app->tz, err)))
        goto out;
    if ((rc = mp_automation_cache_new(&app->rules)))
        goto out;
    if (server && (rc = check_engine(cfg, err)))
        goto out;
    struct mp_store_opts so;
    mp_store_opts_default(&so);
    /* the writer's, the outbox sender's and the webhook worker's */
    so.pool_size = nslots + (server ? 3 : 0);
    so.sync_full = cfg->sync_full;
    so.bg_checkpoint = server;
    so.municipality = app->city->id;
    if ((rc = mp_store_open(cfg->db_path, &so, &app->store, err)))
        goto out;
    app->slots = calloc(nslots, sizeof *app->slots);
    if (!app->slots) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < nslots; i++) {
        struct mp_slot *s = &app->slots[i];
        app->nslots = i + 1;
        s->ctx.city = app->city;
        s->ctx.region = app->region;
        s->ctx.tz = app->tz;
        s->ctx.rules = app->rules;
        if ((rc = mp_geo_new(app->city->crs, &s->ctx.geo, err)))
            goto out;
        s->ctx.db = mp_store_acquire(app->store);
        if (i == 0) {
            char path[1100];
            snprintf(path, sizeof path, "%s/streets.tsv", cfg->city_dir);
            if ((rc = mp_streets_load(path, s->ctx.geo, &app->streets, err)))
                goto out;
        }
        s->ctx.streets = app->streets;
        s->next_free = app->free_slots;
        app->free_slots = s;
    }
    if (cfg->admin_token[0]) {
        struct mp_ctx *ctx = &app->slots[0].ctx;
        if ((rc = mp_store_begin_write(ctx->db, err)) ||
            (rc = mp_auth_ensure_admin(ctx, cfg->admin_token, err)) ||
            (rc = mp_store_commit(ctx->db, err)))
            goto out;
    }
    if ((rc = render_configs(app)))
        goto out;
    {
        /* What a versioned answer depends on besides its path, query and the
         * data: the build, and the configuration it shows (city pack, public
         * URL). A new build or setting changes every tag. */
        uint64_t h = mp_etag_hash(MP_ETAG_SEED, MP_VERSION, strlen(MP_VERSION));
        h = mp_etag_hash(h, app->config_json, app->config_json_len);
        app->etag_salt = mp_etag_hash(h, cfg->public_url, strlen(cfg->public_url));
    }
    if (server) {
        struct mp_ctx *w = &app->writer.ctx;
        w->city = app->city;
        w->region = app->region;
        w->tz = app->tz;
        w->rules = app->rules;
        w->streets = app->streets;
        w->db = mp_store_acquire(app->store);
        if ((rc = mp_geo_new(app->city->crs, &w->geo, err)) ||
            (rc = mp_ingest_start(w, 512, &app->ingest, err)) || (rc = load_static(app, err)))
            goto out;
        /* 16 answers of up to 512 KiB (a page of 1,000 reports is ~460 KiB):
         * a city's hot map views, 8 MiB at most. And 32 gzipped answers
         * of up to 1 MiB (httpcache.h), kept by their strong ETag. */
        if ((rc = mp_respcache_new(16, (size_t)512 << 10, true, &app->cache)) ||
            (rc = mp_respcache_new(32, (size_t)1 << 20, true, &app->gzcache)))
            goto out;
    }
    *out = app;
    app = NULL;
out:
    mp_app_close(app);
    return rc;
}

void mp_app_close(struct mp_app *app)
{
    if (!app)
        return;
    mp_ingest_stop(app->ingest); /* finishes queued reports first */
    mp_respcache_free(app->cache);
    mp_respcache_free(app->gzcache);
    mp_metrics_free(app->metrics);
    mp_geo_free(app->writer.ctx.geo);
    if (app->writer.ctx.db)
        mp_store_release(app->store, app->writer.ctx.db);
    for (unsigned i = 0; i < app->nslots; i++) {
        mp_geo_free(app->slots[i].ctx.geo);
        if (app->slots[i].ctx.db)
            mp_store_release(app->store, app->slots[i].ctx.db);
    }
    free(app->slots);
    mp_store_close(app->store);
    mp_streets_free(app->streets);
    mp_tz_free(app->tz);
    mp_automation_cache_free(app->rules); /* after the writer stopped */
    for (size_t i = 0; i < app->nfiles; i++)
        free(app->files[i].data);
    free(app->files);
    free(app->config_json);
    for (size_t i = 0; app->member_config && i < app->region->nmembers; i++)
        free(app->member_config[i].json);
    free(app->member_config);
    mp_region_free(app->region); /* and with it app->city */
    pthread_cond_destroy(&app->cond);
    pthread_mutex_destroy(&app->lock);
    free(app);
}

struct mp_ctx *mp_app_acquire(struct mp_app *app)
{
    pthread_mutex_lock(&app->lock);
    while (!app->free_slots)
        pthread_cond_wait(&app->cond, &app->lock);
    struct mp_slot *s = app->free_slots;
    app->free_slots = s->next_free;
    pthread_mutex_unlock(&app->lock);
    return &s->ctx;
}

bool mp_app_export_begin(struct mp_app *app)
{
    pthread_mutex_lock(&app->lock);
    bool ok = app->exports_running < app->cfg->max_exports;
    if (ok)
        app->exports_running++;
    pthread_mutex_unlock(&app->lock);
    return ok;
}

void mp_app_export_end(struct mp_app *app)
{
    pthread_mutex_lock(&app->lock);
    if (app->exports_running > 0)
        app->exports_running--;
    pthread_mutex_unlock(&app->lock);
}

void mp_app_release(struct mp_app *app, struct mp_ctx *ctx)
{
    if (!ctx)
        return;
    /* ctx is the first member of its slot. */
    struct mp_slot *s = (struct mp_slot *)(void *)ctx;
    pthread_mutex_lock(&app->lock);
    s->next_free = app->free_slots;
    app->free_slots = s;
    pthread_cond_signal(&app->cond);
    pthread_mutex_unlock(&app->lock);
}

const struct mp_static_file *mp_app_static(const struct mp_app *app, const char *url)
{
    for (size_t i = 0; i < app->nfiles; i++)
        if (strcmp(app->files[i].url, url) == 0)
            return &app->files[i];
    return NULL;
}
