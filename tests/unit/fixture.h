/* fixture.h - set-up shared by the unit tests: the Chicago pack as a worker
 * slot sees it, an empty database made once and copied per test, temporary
 * folders, and a double-precision assert_near. Built from
 * tests/unit/fixture.c into the static library mp_unit_fixture, which every
 * tests/unit/test_*.c executable links.
 *
 * Environment: MELDPUNT_SOURCE_DIR (the repository root; CTest sets it),
 * TMPDIR (optional; /tmp otherwise), and for the tests labelled pg
 * MELDPUNT_TEST_ENGINE=pg with MELDPUNT_TEST_PG_DIR, the folder of the
 * throwaway cluster of tests/pg/cluster.sh: then every database made here
 * is a PostgreSQL database of that cluster (made from its PostGIS
 * template) and a struct fx_dbfile's path is its URL; the folder still
 * exists, and fx_rm_dir drops the databases that belong to it.
 *
 * Ownership: fx_city_load fills the struct with new objects, freed by
 * fx_city_free (which accepts a zeroed struct). Strings returned by
 * fx_tmpdir and fx_chicago_dir are borrowed and valid for the whole run.
 * The folders that fx_template_make and fx_dbfile_copy create belong to the
 * caller until fx_rm_dir removes them. Nothing here is thread-safe: one test
 * thread calls it.
 *
 * Failures: the functions returning int are meant for cmocka set-up
 * functions; they print why on stderr and return -1, so that the set-up can
 * clean up what it holds and return -1 itself. */
#ifndef MELDPUNT_UNIT_FIXTURE_H
#define MELDPUNT_UNIT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* cmocka's float assertion works in float; coordinates and durations need
 * double. Fails the test naming the expression and both values. */
#define assert_near(a, b, eps)                                                                  \
    do {                                                                                        \
        double a_ = (a), b_ = (b), e_ = (eps);                                                  \
        if (!(fabs(a_ - b_) <= e_)) {                                                           \
            print_error("%s = %.10f, expected %.10f +- %g\n", #a, a_, b_, e_);                 \
            fail();                                                                             \
        }                                                                                       \
    } while (0)

/* $TMPDIR, or /tmp when it is unset or empty. Borrowed. */
const char *fx_tmpdir(void);

/* "$MELDPUNT_SOURCE_DIR/geodata/chicago". Borrowed (a static buffer); NULL,
 * with a message on stderr, when the variable is unset or the path too long. */
const char *fx_chicago_dir(void);

/* Remove the files in dir (one level, as the tests make them) and dir,
 * and drop the PostgreSQL databases made for it. */
void fx_rm_dir(const char *dir);

/* Whether the tests run on PostgreSQL (MELDPUNT_TEST_ENGINE=pg). */
bool fx_engine_pg(void);

/* Run SQL text (one or more statements, no rows wanted) on the database at
 * location, a SQLite file or a PostgreSQL URL, on a connection of its own:
 * for a test that must reach past the store. 0, or -1 with the error on
 * stderr. */
int fx_sql(const char *location, const char *sql);

/* Copy a file byte for byte; 0, or -1 when it cannot be read or written. */
int fx_copy_file(const char *from, const char *to);

/* Read an export producer to its end, step bytes a call, appending to *doc
 * (a malloc'd buffer of *len bytes, or NULL and 0; kept NUL-terminated).
 * Fails the test when a read returns more than step, on a read error, or
 * when the end does not stay the end. */
struct mp_export;
void fx_export_drain(struct mp_export *x, size_t step, char **doc, size_t *len);
/* Write text as the file dir/name (replacing it); fails the test when it
 * cannot. */
void fx_write_file(const char *dir, const char *name, const char *text);

/* The Chicago pack as server/app.c hands it to a worker slot. */
struct fx_city {
    struct mp_city *city;
    struct mp_tz *tz;
    struct mp_geo *geo;
    struct mp_streets *streets;
};

/* Load city, time zone, metric transformer and streets of the Chicago pack
 * into *c (new objects). On failure nothing stays loaded and *c is zeroed. */
int fx_city_load(struct fx_city *c);
void fx_city_free(struct fx_city *c);
/* Point ctx's city, tz, geo and streets at c (borrowed), with no region and
 * no rules cache (ctx->rules NULL); ctx->db is left
 * as it is. */
void fx_city_ctx(const struct fx_city *c, struct mp_ctx *ctx);

/* Store options for a test database: the defaults with pool_size sessions,
 * synchronous=NORMAL (a test database need not survive power loss) and the
 * Chicago pack's municipality ("chicago"). */
void fx_store_opts(struct mp_store_opts *o, unsigned pool_size);
/* mp_store_open with fx_store_opts(pool_size). */
enum mp_status fx_store_open(const char *path, unsigned pool_size, struct mp_store **out,
                             struct mp_error *err) MP_WUR;

/* A database file (or PostgreSQL database) in a temporary folder of its
 * own. */
struct fx_dbfile {
    char dir[256];
    char path[320];
};

/* An empty database (no schema) in a new temporary folder named after
 * prefix: d->path names a file not yet created, or a new PostgreSQL
 * database. On failure nothing is left. Remove with fx_rm_dir(d->dir). */
int fx_dbfile_new(struct fx_dbfile *d, const char *prefix);

/* Point d->path at another empty database of d's folder (fresh.sqlite, or
 * a new PostgreSQL database that fx_rm_dir(d->dir) drops too). */
int fx_dbfile_fresh(struct fx_dbfile *d);

/* An empty database with every migration (template.sqlite) in a new
 * temporary folder (mp-tmpl-XXXXXX). Creating one (SpatiaLite metadata,
 * every migration) takes about a second under ASan, so a group makes one
 * and each test starts from a copy. On failure nothing is left on disk.
 * Remove with fx_rm_dir(t->dir). */
int fx_template_make(struct fx_dbfile *t);

/* A copy of the template at d->path (test.sqlite) in a new temporary
 * folder named after prefix ("mp-store" -> mp-store-XXXXXX). On failure
 * nothing is left on disk. Remove with fx_rm_dir(d->dir). */
int fx_dbfile_copy(struct fx_dbfile *d, const char *prefix, const struct fx_dbfile *template_db);

/* For a group of tests that each open a database with the city: the
 * Chicago pack and an empty template database, made by the group set-up
 * below and shared read-only by the group's tests (fx_dbfile_copy of
 * fx_template gives each test its own file). */
extern struct fx_city fx_pack;
extern struct fx_dbfile fx_template;
/* cmocka group set-up and tear-down for fx_pack and fx_template. */
int fx_pack_group_setup(void **state);
int fx_pack_group_teardown(void **state);

/* For a test of the group that calls the domain: a copy of fx_template
 * opened with one session, and a context on it with fx_pack. fx_db_open
 * fails the test when it cannot; fx_db_close removes the copy. */
struct fx_db {
    struct fx_dbfile file;
    struct mp_store *store;
    struct mp_ctx ctx;
};
void fx_db_open(struct fx_db *d, const char *prefix);
void fx_db_close(struct fx_db *d);

/* A report (its own write transaction) of category at lon, lat, created at
 * at (0: now), with an address or none (NULL). Returns its id; its cluster
 * goes into *cluster (may be NULL). Fails the test when it is refused. */
int64_t fx_report(struct mp_ctx *ctx, const char *category, double lon, double lat,
                  const char *address, int64_t at, int64_t *cluster);

/* gunzip len bytes at in into out (cap bytes): the inflated length, or -1
 * when in is not one whole valid gzip stream or does not fit. For the tests
 * of what the server compresses (gzip.c, httpcache.c). */
long fx_gunzip(const void *in, size_t len, char *out, size_t cap);

#endif
