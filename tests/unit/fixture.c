/* fixture.c - set-up shared by the unit tests (see fixture.h). */
#include "fixture.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "meldpunt/city.h"
#include "meldpunt/export.h"
#include "meldpunt/geo.h"
#include "meldpunt/report.h"
#include "meldpunt/streets.h"
#include "meldpunt/tz.h"

const char *fx_tmpdir(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

const char *fx_chicago_dir(void)
{
    static char dir[1024];
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    if (!src || !*src) {
        fprintf(stderr, "MELDPUNT_SOURCE_DIR is not set (CTest sets it)\n");
        return NULL;
    }
    int n = snprintf(dir, sizeof dir, "%s/geodata/chicago", src);
    if (n < 0 || (size_t)n >= sizeof dir) {
        fprintf(stderr, "MELDPUNT_SOURCE_DIR is too long\n");
        return NULL;
    }
    return dir;
}

/* ---- PostgreSQL (MELDPUNT_TEST_ENGINE=pg) ---- */

/* The names of the databases made for a folder, one a line, in this file
 * of the folder (fx_rm_dir drops them). */
#define PG_LIST "pg-databases"
/* The cluster's database with PostGIS that every new one is copied from
 * (tests/pg/cluster.sh). */
#define PG_TEMPLATE "meldpunt_template"

bool fx_engine_pg(void)
{
    const char *e = getenv("MELDPUNT_TEST_ENGINE");
    return e && strcmp(e, "pg") == 0;
}

/* The URL of database name in the test cluster; 0 or -1. */
static int pg_url(char *out, size_t cap, const char *name)
{
    const char *dir = getenv("MELDPUNT_TEST_PG_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "MELDPUNT_TEST_PG_DIR is not set (tests/CMakeLists.txt sets it)\n");
        return -1;
    }
    int n = snprintf(out, cap, "postgresql://meldpunt@/%s?host=%s", name, dir);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Run sql on a connection of its own to location (a URL); 0 or -1. */
static int pg_exec(const char *location, const char *sql)
{
    PGconn *c = PQconnectdb(location);
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "fixture: cannot connect to %s: %s", location, PQerrorMessage(c));
    } else {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
            rc = 0;
        else
            fprintf(stderr, "fixture: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

/* Run sql on the cluster's maintenance database; 0 or -1. */
static int pg_admin(const char *sql)
{
    char url[512];
    return pg_url(url, sizeof url, "postgres") == 0 ? pg_exec(url, sql) : -1;
}

/* The database name in a test URL (between "@/" and "?"), into out. */
static int pg_name_of(const char *url, char *out, size_t cap)
{
    const char *a = strstr(url, "@/"), *b = a ? strchr(a, '?') : NULL;
    if (!a || !b || (size_t)(b - a - 2) >= cap)
        return -1;
    memcpy(out, a + 2, (size_t)(b - a - 2));
    out[b - a - 2] = '\0';
    return 0;
}

/* A new database copied from template, recorded in d->dir's list, its URL
 * in d->path. */
static int pg_make(struct fx_dbfile *d, const char *template_name)
{
    static unsigned counter;
    char name[64], sql[200], list[300];
    snprintf(name, sizeof name, "mpu_%ld_%u", (long)getpid(), ++counter);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", name, template_name);
    snprintf(list, sizeof list, "%s/" PG_LIST, d->dir);
    FILE *f = fopen(list, "a");
    if (!f || fprintf(f, "%s\n", name) < 0) {
        if (f)
            fclose(f);
        return -1;
    }
    if (fclose(f) != 0 || pg_admin(sql) != 0)
        return -1;
    return pg_url(d->path, sizeof d->path, name);
}

/* Drop the databases listed for dir. */
static void pg_drop_listed(const char *dir)
{
    char list[300], name[128], sql[200];
    snprintf(list, sizeof list, "%s/" PG_LIST, dir);
    FILE *f = fopen(list, "r");
    if (!f)
        return;
    while (fgets(name, sizeof name, f)) {
        name[strcspn(name, "\n")] = '\0';
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
        if (name[0])
            (void)pg_admin(sql);
    }
    fclose(f);
}

int fx_sql(const char *location, const char *sql)
{
    if (mp_store_location_is_url(location))
        return pg_exec(location, sql);
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc = sqlite3_open_v2(location, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    }
    if (rc != SQLITE_OK)
        fprintf(stderr, "fixture: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

void fx_rm_dir(const char *dir)
{
    pg_drop_listed(dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[600];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        (void)unlink(p);
    }
    closedir(d);
    (void)rmdir(dir);
}

void fx_write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

int fx_copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    char buf[65536];
    size_t n;
    int rc = in && out ? 0 : -1;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    if (in && ferror(in))
        rc = -1;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

int fx_city_load(struct fx_city *c)
{
    struct mp_error err = {{0}, {0}};
    const char *pack = fx_chicago_dir();
    char streets[1100];
    memset(c, 0, sizeof *c);
    if (!pack)
        return -1;
    if (mp_city_load(pack, &c->city, &err) != MP_OK ||
        mp_tz_load(c->city->timezone, &c->tz, &err) != MP_OK ||
        mp_geo_new(c->city->crs, &c->geo, &err) != MP_OK) {
        fprintf(stderr, "setup: %s\n", err.text);
        fx_city_free(c);
        return -1;
    }
    snprintf(streets, sizeof streets, "%s/streets.tsv", pack);
    if (mp_streets_load(streets, c->geo, &c->streets, &err) != MP_OK) {
        fprintf(stderr, "setup: streets: %s\n", err.text);
        fx_city_free(c);
        return -1;
    }
    return 0;
}

void fx_city_free(struct fx_city *c)
{
    mp_streets_free(c->streets);
    mp_geo_free(c->geo);
    mp_tz_free(c->tz);
    mp_city_free(c->city);
    memset(c, 0, sizeof *c);
}

void fx_city_ctx(const struct fx_city *c, struct mp_ctx *ctx)
{
    ctx->city = c->city;
    ctx->region = NULL; /* one pack: no routing by place */
    ctx->tz = c->tz;
    ctx->geo = c->geo;
    ctx->streets = c->streets;
    ctx->rules = NULL; /* no automation cache: the rules are read from the pack */
}

void fx_store_opts(struct mp_store_opts *o, unsigned pool_size)
{
    mp_store_opts_default(o);
    o->pool_size = pool_size;
    o->sync_full = false;
    o->municipality = "chicago";
}

enum mp_status fx_store_open(const char *path, unsigned pool_size, struct mp_store **out,
                             struct mp_error *err)
{
    struct mp_store_opts o;
    fx_store_opts(&o, pool_size);
    return mp_store_open(path, &o, out, err);
}

/* A new folder "$TMPDIR/<prefix>-XXXXXX" holding d->path = <folder>/<file>. */
static int make_dir(struct fx_dbfile *d, const char *prefix, const char *file)
{
    int n = snprintf(d->dir, sizeof d->dir, "%s/%s-XXXXXX", fx_tmpdir(), prefix);
    if (n < 0 || (size_t)n >= sizeof d->dir || !mkdtemp(d->dir)) {
        fprintf(stderr, "cannot make a temporary folder for %s\n", prefix);
        return -1;
    }
    snprintf(d->path, sizeof d->path, "%s/%s", d->dir, file);
    return 0;
}

int fx_template_make(struct fx_dbfile *t)
{
    struct mp_store *st = NULL;
    struct mp_error err = {{0}, {0}};
    if (make_dir(t, "mp-tmpl", "template.sqlite") != 0)
        return -1;
    if (fx_engine_pg() && pg_make(t, PG_TEMPLATE) != 0) {
        fx_rm_dir(t->dir);
        return -1;
    }
    if (fx_store_open(t->path, 1, &st, &err) != MP_OK) {
        fprintf(stderr, "template: %s\n", err.text);
        fx_rm_dir(t->dir);
        return -1;
    }
    mp_store_close(st); /* the last close checkpoints the WAL into the file */
    return 0;
}

int fx_dbfile_new(struct fx_dbfile *d, const char *prefix)
{
    if (make_dir(d, prefix, "test.sqlite") != 0)
        return -1;
    if (fx_engine_pg() && pg_make(d, PG_TEMPLATE) != 0) {
        fx_rm_dir(d->dir);
        return -1;
    }
    return 0;
}

int fx_dbfile_fresh(struct fx_dbfile *d)
{
    if (fx_engine_pg())
        return pg_make(d, PG_TEMPLATE);
    int n = snprintf(d->path, sizeof d->path, "%s/fresh.sqlite", d->dir);
    return n > 0 && (size_t)n < sizeof d->path ? 0 : -1;
}

int fx_dbfile_copy(struct fx_dbfile *d, const char *prefix, const struct fx_dbfile *template_db)
{
    char name[128];
    if (make_dir(d, prefix, "test.sqlite") != 0)
        return -1;
    if (fx_engine_pg()) {
        /* CREATE DATABASE ... TEMPLATE: the template must have no
         * connections, which holds between tests (every store is closed). */
        if (pg_name_of(template_db->path, name, sizeof name) != 0 || pg_make(d, name) != 0) {
            fprintf(stderr, "cannot copy the database %s\n", template_db->path);
            fx_rm_dir(d->dir);
            return -1;
        }
        return 0;
    }
    if (fx_copy_file(template_db->path, d->path) != 0) {
        fprintf(stderr, "cannot copy %s to %s\n", template_db->path, d->path);
        fx_rm_dir(d->dir);
        return -1;
    }
    return 0;
}

struct fx_city fx_pack;
struct fx_dbfile fx_template;

int fx_pack_group_setup(void **state)
{
    (void)state;
    if (fx_city_load(&fx_pack) != 0)
        return -1;
    return fx_template_make(&fx_template);
}

int fx_pack_group_teardown(void **state)
{
    (void)state;
    fx_rm_dir(fx_template.dir);
    fx_city_free(&fx_pack);
    return 0;
}

void fx_db_open(struct fx_db *d, const char *prefix)
{
    struct mp_error err = {{0}, {0}};
    memset(d, 0, sizeof *d);
    assert_int_equal(fx_dbfile_copy(&d->file, prefix, &fx_template), 0);
    if (fx_store_open(d->file.path, 1, &d->store, &err) != MP_OK)
        fail_msg("%s: %s", d->file.path, err.text);
    fx_city_ctx(&fx_pack, &d->ctx);
    d->ctx.db = mp_store_acquire(d->store);
}

void fx_db_close(struct fx_db *d)
{
    if (d->store) {
        mp_store_release(d->store, d->ctx.db);
        mp_store_close(d->store);
    }
    fx_rm_dir(d->file.dir);
    memset(d, 0, sizeof *d);
}

int64_t fx_report(struct mp_ctx *ctx, const char *category, double lon, double lat,
                  const char *address, int64_t at, int64_t *cluster)
{
    struct mp_report_input in;
    struct mp_submit_result res;
    struct mp_error err = {{0}, {0}};
    memset(&in, 0, sizeof in);
    snprintf(in.category, sizeof in.category, "%s", category);
    in.lon = lon;
    in.lat = lat;
    in.has_lon = in.has_lat = true;
    in.created_at = at;
    if (address && !(in.address = strdup(address)))
        fail_msg("out of memory");
    enum mp_status rc = mp_report_submit(ctx, &in, true, &res, &err);
    mp_report_input_clear(&in);
    if (rc != MP_OK)
        fail_msg("report %s at %.7f,%.7f: %s", category, lon, lat, err.text);
    if (cluster)
        *cluster = res.cluster_id;
    return res.report_id;
}

void fx_export_drain(struct mp_export *x, size_t step, char **doc, size_t *len)
{
    size_t cap = *len + (1 << 16);
    char *out = realloc(*doc, cap + 1), *chunk = malloc(step);
    long got;
    assert_non_null(out);
    assert_non_null(chunk);
    while ((got = mp_export_read(x, chunk, step)) > 0) {
        assert_true((size_t)got <= step);
        if (*len + (size_t)got > cap) {
            cap *= 2;
            out = realloc(out, cap + 1);
            assert_non_null(out);
        }
        memcpy(out + *len, chunk, (size_t)got);
        *len += (size_t)got;
    }
    assert_int_equal(got, 0);
    assert_int_equal(mp_export_read(x, chunk, step), 0); /* the end stays the end */
    out[*len] = '\0';
    *doc = out;
    free(chunk);
}

long fx_gunzip(const void *in, size_t len, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    long n = rc == Z_STREAM_END && z.avail_in == 0 ? (long)z.total_out : -1;
    inflateEnd(&z);
    return n;
}
