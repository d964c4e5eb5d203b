/* test_store_schema.c - what schema versions 9 and 10 promise, and their
 * upgrades.
 *
 * Version 9, ids that leave the server are never reused: the scenario of
 * issue 18 (a split after a merge must not give the new cluster the merged
 * one's id), a deleted highest row of every such table, and a schema-8
 * database upgraded in place: every row keeps its id, the schema ends
 * exactly as a new database's, and ids that only the history, the
 * corrections or the audit log still quote do not come back.
 *
 * Version 10, reports and clusters belong to a municipality: written and
 * read back, the duplicate look-up keyed by it (a report never joins, nor
 * names with same_as, another municipality's cluster), and a schema-9
 * database upgraded with the city it is opened with (refused without one);
 * external ids unique per municipality; and the rows the store derives from
 * a new report or cluster (map row, grid pyramid, change counter) equal to
 * what the insert triggers of earlier versions wrote.
 *
 * The database is also read and changed directly with SQLite (as an
 * operator or an older build would), through a connection with SpatiaLite
 * for the geometry triggers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
/* spatialite.h uses sqlite3 types without including sqlite3.h itself. */
#include <spatialite.h>

#include "fixture.h"
#include "meldpunt/corrections.h"
#include "meldpunt/report.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_work.h"

#define T0 1609502400LL                   /* 2021-01-01T12:00:00Z */
#define M_LON (1.0 / (111320.0 * 0.7445)) /* degrees of a metre east at 41.88 N */
#define LOOP_LON (-87.6298)
#define LOOP_LAT 41.8781

static const struct mp_principal dana = {.user_id = 4, .name = "dana", .region_wide = true,
                                         .role = MP_ROLE_DISPATCHER};

/* ---- SQL on a connection of the test's own ---- */

struct raw {
    sqlite3 *db;
    void *cache;
};

static void raw_open(struct raw *r, const char *path)
{
    assert_int_equal(sqlite3_open(path, &r->db), SQLITE_OK);
    r->cache = spatialite_alloc_connection();
    assert_non_null(r->cache);
    spatialite_init_ex(r->db, r->cache, 0);
    sqlite3_busy_timeout(r->db, 5000);
}

static void raw_close(struct raw *r)
{
    sqlite3_close(r->db);
    spatialite_cleanup_ex(r->cache);
    memset(r, 0, sizeof *r);
}

static void raw_exec(struct raw *r, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t raw_int(struct raw *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(r->db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Every row of sql, columns joined by '|', rows by '\n': a NEW string. */
static char *raw_rows(struct raw *r, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(r->db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            size_t n = strlen(t ? (const char *)t : "NULL") + 2;
            while (len + n + 1 > cap) {
                char *grown = realloc(out, cap *= 2);
                assert_non_null(grown);
                out = grown;
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%c", t ? (const char *)t : "NULL",
                                    i + 1 < sqlite3_column_count(st) ? '|' : '\n');
        }
    }
    sqlite3_finalize(st);
    return out;
}

static int64_t max_id(const char *path, const char *table)
{
    struct raw r;
    char sql[96];
    raw_open(&r, path);
    snprintf(sql, sizeof sql, "SELECT IFNULL(max(id), 0) FROM %s", table);
    int64_t v = raw_int(&r, sql);
    raw_close(&r);
    return v;
}

/* Delete the row with the highest id of table as an operator with the
 * sqlite3 shell would, after the SQL in also (which finds that id as
 * "SELECT id FROM gone"); returns the id. */
static int64_t delete_highest(const char *path, const char *table, const char *also)
{
    struct raw r;
    char sql[600];
    raw_open(&r, path);
    snprintf(sql, sizeof sql,
             "PRAGMA foreign_keys = ON; CREATE TEMP TABLE gone AS SELECT max(id) AS id FROM %s;"
             " %s DELETE FROM %s WHERE id = (SELECT id FROM gone);",
             table, also ? also : "", table);
    raw_exec(&r, sql);
    int64_t id = raw_int(&r, "SELECT id FROM gone");
    assert_true(id > 0);
    raw_close(&r);
    return id;
}

/* A report east_m metres west of the Loop (east is the lake); its id, and its cluster in *cluster.
 */
static int64_t report(struct fx_db *d, const char *category, double east_m, int64_t at,
                      int64_t *cluster)
{
    return fx_report(&d->ctx, category, LOOP_LON - east_m * M_LON, LOOP_LAT, NULL, at, cluster);
}

/* ---- issue 18, point 1 ---- */

static void a_split_after_a_merge_gets_a_new_cluster_id(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_correction_result res;
    int64_t c750, c751, moved;
    fx_db_open(&d, "mp-ids");
    /* As in the issue: two potholes 2 km apart, the second the newest job. */
    report(&d, "pothole", 0, T0, &c750);
    report(&d, "pothole", 3, T0 + 60, NULL);
    moved = report(&d, "pothole", 2000, T0 + 120, &c751);
    assert_true(c751 > c750);
    assert_int_equal(mp_corrections_merge(&d.ctx, &dana, c751, c750, "one job",
                                          &res, &err), MP_OK);
    assert_int_equal(res.cluster_id, c750);
    /* Split the far report off again: a job of its own, never 751's id
     * (SQLite gave max(id) + 1 = 751 before version 9). */
    assert_int_equal(mp_corrections_move(&d.ctx, &dana, moved, 0, &res, &err), MP_OK);
    assert_int_equal(res.cluster_id, c751 + 1);
    struct mp_cluster_state gone;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, c751, &gone), MP_ENOTFOUND);
    /* The next report's cluster goes on from there. */
    int64_t next;
    report(&d, "graffiti", 4000, T0 + 180, &next);
    assert_int_equal(next, c751 + 2);
    fx_db_close(&d);
}

static void a_deleted_highest_row_never_comes_back(void **state)
{
    (void)state;
    struct fx_db d;
    int64_t cluster, id, gone;
    fx_db_open(&d, "mp-ids");
    const char *path = d.file.path;
    unsigned char img[4] = {1, 2, 3, 4};
    struct mp_photo_rec p = {.full = img,
                             .thumb = img,
                             .full_len = 4,
                             .thumb_len = 4,
                             .width = 2,
                             .height = 2,
                             .mime = "image/jpeg"};

    /* Reports (and their cluster, history entry, photo and map row). */
    report(&d, "graffiti", 0, T0, &cluster);
    int64_t last = report(&d, "graffiti", 500, T0 + 60, NULL);
    assert_int_equal(mp_store_photo_put(d.ctx.db, last, &p), MP_OK);
    gone = delete_highest(path, "reports",
                          "DELETE FROM photos WHERE report_id IN gone;");
    assert_int_equal(gone, last);
    id = report(&d, "graffiti", 1000, T0 + 120, NULL);
    assert_int_equal(id, gone + 1);

    /* Clusters: the highest one, emptied and deleted. */
    int64_t top = max_id(path, "clusters");
    gone = delete_highest(path, "clusters",
                          "CREATE TEMP TABLE members AS SELECT id FROM reports WHERE cluster_id"
                          " IN gone; DELETE FROM photos WHERE report_id IN members;"
                          " DELETE FROM history WHERE cluster_id IN gone;"
                          " DELETE FROM reports WHERE id IN members;");
    assert_int_equal(gone, top);
    report(&d, "graffiti", 1500, T0 + 180, &id);
    assert_int_equal(id, gone + 1);

    /* History entries (the public notes). */
    struct mp_history_rec h = {.cluster_id = cluster,
                               .at = T0 + 240,
                               .status = "acknowledged",
                               .note = "on our list",
                               .note_public = true};
    assert_int_equal(mp_store_history_add(d.ctx.db, &h), MP_OK);
    gone = delete_highest(path, "history", NULL);
    assert_int_equal(mp_store_history_add(d.ctx.db, &h), MP_OK);
    assert_int_equal(max_id(path, "history"), gone + 1);

    /* Internal notes and crew photos. */
    assert_int_equal(mp_store_work_note_add(d.ctx.db, cluster, T0 + 300, "in_progress", "a", "c"),
                     MP_OK);
    gone = delete_highest(path, "work_notes", NULL);
    assert_int_equal(mp_store_work_note_add(d.ctx.db, cluster, T0 + 360, "in_progress", "b", "c"),
                     MP_OK);
    assert_int_equal(max_id(path, "work_notes"), gone + 1);
    assert_int_equal(mp_store_work_photo_put(d.ctx.db, cluster, T0, "fixed", "c", &p, &id), MP_OK);
    gone = delete_highest(path, "work_photos", NULL);
    assert_int_equal(gone, id);
    assert_int_equal(mp_store_work_photo_put(d.ctx.db, cluster, T0, "fixed", "c", &p, &id), MP_OK);
    assert_int_equal(id, gone + 1);

    /* Accounts and the audit log. */
    assert_int_equal(mp_store_user_add(d.ctx.db, "ann", "admin", NULL, "h1", &id), MP_OK);
    assert_int_equal(mp_store_user_add(d.ctx.db, "bob", "crew", NULL, "h2", &id), MP_OK);
    gone = delete_highest(path, "users", NULL);
    assert_int_equal(gone, id);
    assert_int_equal(mp_store_user_add(d.ctx.db, "cy", "crew", NULL, "h3", &id), MP_OK);
    assert_int_equal(id, gone + 1);
    struct mp_audit_rec a = {.at = T0,
                             .user_name = "ann",
                             .action = "status",
                             .object_type = "cluster",
                             .object_id = cluster};
    assert_int_equal(mp_store_audit_add(d.ctx.db, &a), MP_OK);
    gone = delete_highest(path, "audit", NULL);
    assert_int_equal(mp_store_audit_add(d.ctx.db, &a), MP_OK);
    assert_int_equal(max_id(path, "audit"), gone + 1);

    /* Corrections (a move into a cluster of its own). */
    struct mp_correction_rec c = {.kind = "move",
                                  .report_id = 1,
                                  .from_cluster = cluster,
                                  .to_cluster = cluster,
                                  .at = T0,
                                  .actor = "dana"};
    assert_int_equal(mp_store_correction_add(d.ctx.db, &c), MP_OK);
    gone = delete_highest(path, "corrections", NULL);
    assert_int_equal(mp_store_correction_add(d.ctx.db, &c), MP_OK);
    assert_int_equal(max_id(path, "corrections"), gone + 1);
    fx_db_close(&d);
}

/* ---- a schema-8 database upgraded ---- */

/* A schema-8 database as the build before version 9 left it: the ids of
 * cluster 3, report 4 and user 2 are gone from their tables but still
 * quoted by the corrections, the audit log and the history. */
static const char v8_rows[] =
    "INSERT INTO clusters (id, category, status, report_count, x, y, sum_x, sum_y, lon, lat,"
    " first_at, last_at, district, created_at, updated_at, cell, geom) VALUES"
    " (1, 'graffiti', 'new', 2, 447742, 4636434, 895484, 9272868, -87.6298, 41.8781,"
    "  1609502400, 1609502460, '32', 1609502400, 1609502460, 7, MakePoint(-87.6298, 41.8781, "
    "4326)),"
    " (2, 'pothole', 'fixed', 1, 448742, 4636434, 448742, 4636434, -87.6178, 41.8781,"
    "  1609502500, 1609502500, '32', 1609502500, 1609502600, 8, MakePoint(-87.6178, 41.8781, "
    "4326)),"
    " (3, 'pothole', 'new', 1, 449742, 4636434, 449742, 4636434, -87.6058, 41.8781,"
    "  1609502700, 1609502700, NULL, 1609502700, 1609502700, 9, MakePoint(-87.6058, 41.8781, "
    "4326));"
    "INSERT INTO clusters_rtree VALUES (1, -87.6298, -87.6298, 41.8781, 41.8781),"
    " (2, -87.6178, -87.6178, 41.8781, 41.8781), (3, -87.6058, -87.6058, 41.8781, 41.8781);"
    "INSERT INTO reports (id, cluster_id, category, description, address, channel, status,"
    " district, lon, lat, x, y, created_at, updated_at, external_id, contact_email, join_reason,"
    " street, location, geom) VALUES"
    " (1, 1, 'graffiti', 'tag', '100 W Madison', 'web', 'new', '32', -87.6298, 41.8781, 447742,"
    "  4636434, 1609502400, 1609502400, 'ext-1', 'a@example.org', '{\"kind\":\"new\"}', 'W "
    "MADISON',"
    "  'W MADISON ST near N CLARK ST', MakePoint(-87.6298, 41.8781, 4326)),"
    " (2, 1, 'graffiti', 'tag too', NULL, 'phone', 'new', '32', -87.6298, 41.8781, 447742,"
    "  4636434, 1609502460, 1609502460, NULL, NULL, '{\"kind\":\"pin_distance\"}', NULL, NULL,"
    "  MakePoint(-87.6298, 41.8781, 4326)),"
    " (3, 2, 'pothole', 'hole', NULL, 'web', 'fixed', '32', -87.6178, 41.8781, 448742,"
    "  4636434, 1609502500, 1609502600, NULL, NULL, NULL, NULL, NULL,"
    "  MakePoint(-87.6178, 41.8781, 4326)),"
    " (4, 3, 'pothole', 'far hole', NULL, 'web', 'new', NULL, -87.6058, 41.8781, 449742,"
    "  4636434, 1609502700, 1609502700, NULL, NULL, NULL, NULL, NULL,"
    "  MakePoint(-87.6058, 41.8781, 4326));"
    "INSERT INTO reports_rtree VALUES (1, -87.6298, -87.6298, 41.8781, 41.8781),"
    " (2, -87.6298, -87.6298, 41.8781, 41.8781), (3, -87.6178, -87.6178, 41.8781, 41.8781),"
    " (4, -87.6058, -87.6058, 41.8781, 41.8781);"
    "INSERT INTO photos VALUES (3, 'image/jpeg', 2, 2, x'01020304', x'0102', 1609502500);"
    "INSERT INTO history (id, cluster_id, report_id, at, status, note, note_public, actor) VALUES"
    " (1, 1, NULL, 1609502400, 'new', NULL, 1, NULL), (2, 2, NULL, 1609502500, 'new', NULL, 1, "
    "NULL),"
    " (3, 2, NULL, 1609502600, 'fixed', 'filled', 1, 'dana'),"
    " (4, 3, NULL, 1609502700, 'new', NULL, 1, NULL);"
    "INSERT INTO link_constraints VALUES (1, 2, 1, 1609502460);"
    "INSERT INTO users (id, name, role, department, token_hash, created_at) VALUES"
    " (1, 'ann', 'admin', NULL, 'h1', 1609502400), (2, 'bob', 'crew', 'streets', 'h2', 1609502400);"
    "INSERT INTO work_notes VALUES (1, 2, 1609502600, 'fixed', 'cold patch', 'bob'),"
    " (2, 2, 1609502610, 'fixed', 'second coat', 'bob');"
    "INSERT INTO work_photos VALUES (1, 2, 1609502600, 'fixed', 'bob', 'image/jpeg', 2, 2,"
    " x'0a0b', x'0a');"
    /* Then staff merged cluster 3 into cluster 2 and removed report 4 and user 2. */
    "UPDATE reports SET cluster_id = 2 WHERE id = 4;"
    "UPDATE history SET cluster_id = 2 WHERE cluster_id = 3;"
    "DELETE FROM clusters_rtree WHERE id = 3; DELETE FROM clusters WHERE id = 3;"
    "INSERT INTO corrections (id, kind, report_id, from_cluster, to_cluster, actor, at) VALUES"
    " (1, 'merge', NULL, 3, 2, 'ann', 1609502800);"
    "INSERT INTO audit (id, user_id, user_name, action, object_type, object_id, detail, at) VALUES"
    " (1, 1, 'ann', 'merge', 'cluster', 2, '{\"from\":3,\"into\":2}', 1609502800),"
    " (2, 2, 'bob', 'status', 'cluster', 2, NULL, 1609502900),"
    " (3, 1, 'ann', 'intake', 'report', 4, NULL, 1609502950);"
    "DELETE FROM reports_rtree WHERE id = 4; DELETE FROM reports WHERE id = 4;"
    "DELETE FROM users WHERE id = 2;";

/* What must survive the upgrade, table by table, as text. */
static const char v8_check[] =
    "SELECT 'c', id, category, status, report_count, lon, lat, first_at, district, cell,"
    " AsText(geom) FROM clusters UNION ALL "
    "SELECT 'r', id, cluster_id, category, description, address, channel, status, external_id,"
    " contact_email, join_reason || location || AsText(geom) FROM reports UNION ALL "
    "SELECT 'm', id, cluster_id, cluster_count, strip, lon, lat, rec, 0, 0, 0 FROM report_map"
    " UNION ALL "
    "SELECT 'p', report_id, mime, hex(full), hex(thumb), 0, 0, 0, 0, 0, 0 FROM photos UNION ALL "
    "SELECT 'h', id, cluster_id, report_id, at, status, note, actor, 0, 0, 0 FROM history"
    " UNION ALL "
    "SELECT 'u', id, name, role, department, token_hash, 0, 0, 0, 0, 0 FROM users UNION ALL "
    "SELECT 'a', id, user_id, action, object_type, object_id, detail, 0, 0, 0, 0 FROM audit"
    " UNION ALL "
    "SELECT 'n', id, cluster_id, note, 0, 0, 0, 0, 0, 0, 0 FROM work_notes UNION ALL "
    "SELECT 'w', id, cluster_id, hex(full), 0, 0, 0, 0, 0, 0, 0 FROM work_photos UNION ALL "
    "SELECT 'x', id, kind, from_cluster, to_cluster, 0, 0, 0, 0, 0, 0 FROM corrections UNION ALL "
    "SELECT 'l', a, b, must, 0, 0, 0, 0, 0, 0, 0 FROM link_constraints UNION ALL "
    "SELECT 'g', level, gx, gy, category, status, clusters, reports, 0, 0, 0 FROM grid_cells "
    "ORDER BY 1, 2, 3, 4, 5";
/* The R*Trees, which version 15 drops (boxes read report_map, in v8_check,
 * and the index clusters_strip since). */
static const char v8_rtree[] =
    "SELECT 'rr', id, minx, maxx, miny, maxy FROM reports_rtree UNION ALL"
    " SELECT 'cr', id, minx, maxx, miny, maxy FROM clusters_rtree ORDER BY 1, 2";
/* Indexes and triggers of the tables a rebuild replaces. */
static const char dependents[] =
    "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN"
    " ('clusters', 'reports', 'history', 'corrections', 'users', 'audit', 'work_notes',"
    " 'work_photos') ORDER BY type, name";
/* The schema's objects but the bookkeeping that differs by history. */
static const char schema_objects[] =
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT IN ('sqlite_sequence',"
    " 'sqlite_stat1') ORDER BY type, name";

/* A new database in a copy of the template's folder (dir), upgraded no
 * further than version, at path (cap bytes): open in r, raw. */
static void old_version(struct fx_dbfile *dir, const char *name, int version, char *path,
                        size_t cap, struct raw *r)
{
    struct mp_store *st = NULL;
    struct mp_store_opts o;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(fx_dbfile_copy(dir, name, &fx_template), 0);
    snprintf(path, cap, "%s/v%d.sqlite", dir->dir, version);
    fx_store_opts(&o, 1);
    o.schema_version = version;
    assert_int_equal(mp_store_open(path, &o, &st, &err), MP_OK);
    mp_store_close(st);
    raw_open(r, path);
    assert_int_equal(raw_int(r, "PRAGMA user_version"), version);
}

static void a_schema_8_database_upgraded_keeps_its_ids(void **state)
{
    (void)state;
    struct fx_dbfile dir;
    struct mp_store *st = NULL;
    struct mp_store_opts o;
    struct mp_error err = {{0}, {0}};
    struct raw r;
    char v8[400];

    /* Version 8 with its rows. */
    old_version(&dir, "mp-ids-v8", 8, v8, sizeof v8, &r);
    fx_store_opts(&o, 1);
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM sqlite_master WHERE sql LIKE"
                                 " '%AUTOINCREMENT%' AND name IN ('reports', 'clusters')"),
                     0);
    raw_exec(&r, v8_rows);
    char *before = raw_rows(&r, v8_check);
    char *rtree8 = raw_rows(&r, v8_rtree);
    char *deps8 = raw_rows(&r, dependents);
    raw_close(&r);

    /* Upgraded to version 9 by opening it: every row, index and trigger
     * (SpatiaLite's geometry constraints among them) as it was. */
    o.schema_version = 9;
    assert_int_equal(mp_store_open(v8, &o, &st, &err), MP_OK);
    mp_store_close(st);
    raw_open(&r, v8);
    assert_int_equal(raw_int(&r, "PRAGMA user_version"), 9);
    char *after = raw_rows(&r, v8_check);
    assert_string_equal(after, before);
    char *rtree9 = raw_rows(&r, v8_rtree);
    assert_string_equal(rtree9, rtree8);
    char *deps9 = raw_rows(&r, dependents);
    assert_string_equal(deps9, deps8);
    assert_non_null(strstr(deps9, "trigger|ggi_reports_geom|"));
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    char *check = raw_rows(&r, "PRAGMA integrity_check");
    assert_string_equal(check, "ok\n");
    /* The geometry columns are still registered. */
    char *geo = raw_rows(&r, "SELECT f_table_name, geometry_type, srid FROM geometry_columns"
                             " ORDER BY 1");
    assert_string_equal(geo, "clusters|1|4326\nreports|1|4326\n");
    raw_close(&r);

    /* And on to the current version: still every row, and exactly the
     * schema of a new database. */
    assert_int_equal(fx_store_open(v8, 1, &st, &err), MP_OK);
    struct mp_store_sess *s = mp_store_acquire(st);
    assert_int_equal(mp_store_schema_version(s), MP_STORE_SCHEMA_VERSION);
    raw_open(&r, v8);
    free(after);
    after = raw_rows(&r, v8_check);
    assert_string_equal(after, before);
    char *upgraded = raw_rows(&r, schema_objects);
    raw_close(&r);
    raw_open(&r, fx_template.path);
    char *fresh = raw_rows(&r, schema_objects);
    raw_close(&r);
    assert_string_equal(upgraded, fresh);

    /* New rows go on above the ids that are quoted anywhere: cluster 3
     * (merged away), report 4 and user 2 (deleted) stay retired. */
    struct mp_ctx ctx = {0}; /* fields fx_city_ctx leaves alone (the automation cache) stay NULL */
    fx_city_ctx(&fx_pack, &ctx);
    ctx.db = s;
    int64_t cluster, id;
    id = fx_report(&ctx, "graffiti", LOOP_LON - 3000 * M_LON, LOOP_LAT, NULL, T0 + 1000, &cluster);
    assert_int_equal(id, 5);
    assert_int_equal(cluster, 4);
    assert_int_equal(mp_store_user_add(s, "cy", "crew", NULL, "h3", &id), MP_OK);
    assert_int_equal(id, 3);
    int64_t max = 0;
    assert_int_equal(mp_store_cluster_max_id(s, &max), MP_OK);
    assert_int_equal(max, 4);
    mp_store_release(st, s);
    mp_store_close(st);

    /* Opening it again changes nothing. */
    raw_open(&r, v8);
    char *seq = raw_rows(&r, "SELECT name, seq FROM sqlite_sequence WHERE name IN ('reports',"
                             " 'clusters', 'users', 'history', 'audit') ORDER BY name");
    raw_close(&r);
    assert_int_equal(fx_store_open(v8, 1, &st, &err), MP_OK);
    mp_store_close(st);
    raw_open(&r, v8);
    char *seq2 = raw_rows(&r, "SELECT name, seq FROM sqlite_sequence WHERE name IN ('reports',"
                              " 'clusters', 'users', 'history', 'audit') ORDER BY name");
    raw_close(&r);
    assert_string_equal(seq, "audit|3\nclusters|4\nhistory|5\nreports|5\nusers|3\n");
    assert_string_equal(seq2, seq);
    free(before);
    free(after);
    free(deps8);
    free(rtree8);
    free(rtree9);
    free(deps9);
    free(check);
    free(geo);
    free(upgraded);
    free(fresh);
    free(seq);
    free(seq2);
    fx_rm_dir(dir.dir);
}

/* ---- municipalities (schema version 10) ---- */

static int copy_cluster_row(void *p, const struct mp_cluster_row *c)
{
    snprintf(p, MP_MUNICIPALITY_MAXLEN, "%s", c->municipality ? c->municipality : "(null)");
    return 0;
}

static int copy_report_row(void *p, const struct mp_report_row *r)
{
    snprintf(p, MP_MUNICIPALITY_MAXLEN, "%s", r->municipality ? r->municipality : "(null)");
    return 0;
}

/* A report in the city of ctx at lon, lat, naming same_as; its error. */
static enum mp_status same_as_report(struct mp_ctx *ctx, double lon, double lat, int64_t same_as,
                                     struct mp_error *err)
{
    struct mp_report_input in;
    struct mp_submit_result res;
    memset(&in, 0, sizeof in);
    snprintf(in.category, sizeof in.category, "graffiti");
    in.lon = lon;
    in.lat = lat;
    in.has_lon = in.has_lat = true;
    in.created_at = T0 + 600;
    in.same_as = same_as;
    return mp_report_submit(ctx, &in, true, &res, err);
}

static void a_report_never_joins_another_municipality(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct raw r;
    int64_t first, second, third;
    char m[MP_MUNICIPALITY_MAXLEN];
    fx_db_open(&d, "mp-municipality");
    int64_t id = report(&d, "graffiti", 0, T0, &first);

    /* Written from the city and read back with every row. */
    struct mp_cluster_state cs;
    assert_int_equal(mp_store_cluster_state(d.ctx.db, first, &cs), MP_OK);
    assert_string_equal(cs.municipality, "chicago");
    assert_int_equal(mp_store_cluster_get(d.ctx.db, first, copy_cluster_row, m), MP_OK);
    assert_string_equal(m, "chicago");
    assert_int_equal(mp_store_report_get(d.ctx.db, id, false, copy_report_row, m), MP_OK);
    assert_string_equal(m, "chicago");

    /* The same job one metre away, but of a neighbouring town sharing the
     * database: the look-up does not see it, so a new job starts. */
    raw_open(&r, d.file.path);
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE clusters SET municipality = 'evanston' WHERE id = %lld",
             (long long)first);
    raw_exec(&r, sql);
    raw_close(&r);
    size_t n = 9;
    struct mp_cluster_state found[4];
    assert_int_equal(mp_store_cluster_candidates(d.ctx.db, "evanston", "graffiti", cs.x, cs.y, 50,
                                                 0, -1, found, 4, &n),
                     MP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(found[0].id, first);
    assert_int_equal(mp_store_cluster_candidates(d.ctx.db, "chicago", "graffiti", cs.x, cs.y, 50, 0,
                                                 -1, found, 4, &n),
                     MP_OK);
    assert_int_equal(n, 0);
    report(&d, "graffiti", 1, T0 + 60, &second);
    assert_int_not_equal(second, first);
    /* ... which the next report of the spot joins, as it would have joined
     * the first. */
    report(&d, "graffiti", 2, T0 + 120, &third);
    assert_int_equal(third, second);

    /* Nor can a citizen name the other town's job. */
    assert_int_equal(same_as_report(&d.ctx, LOOP_LON, LOOP_LAT, first, &err), MP_EINVAL);
    assert_string_equal(err.code, "unknown_cluster");
    char want[80];
    snprintf(want, sizeof want, "same_as: there is no cluster %lld", (long long)first);
    assert_string_equal(err.text, want);
    assert_int_equal(same_as_report(&d.ctx, LOOP_LON, LOOP_LAT, second, &err), MP_OK);
    fx_db_close(&d);
}

/* A schema-9 database: two clusters and a report, no municipality yet. */
static const char v9_rows[] =
    "INSERT INTO clusters (id, category, status, report_count, x, y, sum_x, sum_y, lon, lat,"
    " first_at, last_at, created_at, updated_at, cell, geom) VALUES"
    " (1, 'graffiti', 'new', 1, 447742, 4636434, 447742, 4636434, -87.6298, 41.8781,"
    "  1609502400, 1609502400, 1609502400, 1609502400, 7, MakePoint(-87.6298, 41.8781, 4326)),"
    " (2, 'rodent', 'new', 0, 447742, 4636434, 0, 0, -87.6298, 41.8781,"
    "  1609502400, 1609502400, 1609502400, 1609502400, 7, MakePoint(-87.6298, 41.8781, 4326));"
    "INSERT INTO reports (id, cluster_id, category, channel, status, lon, lat, x, y, created_at,"
    " updated_at, external_id, geom) VALUES (1, 1, 'graffiti', 'web', 'new', -87.6298, 41.8781,"
    " 447742, 4636434, 1609502400, 1609502400, 'SR-1', MakePoint(-87.6298, 41.8781, 4326));";

static void a_schema_9_database_gets_the_city_as_municipality(void **state)
{
    (void)state;
    struct fx_dbfile dir;
    struct mp_store *st = NULL;
    struct mp_store_opts o;
    struct mp_error err = {{0}, {0}};
    struct raw r;
    char v9[400];
    old_version(&dir, "mp-municipality-v9", 9, v9, sizeof v9, &r);
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM pragma_table_info('reports') WHERE name"
                                 " = 'municipality'"),
                     0);
    raw_exec(&r, v9_rows);
    raw_close(&r);

    /* Without a city it cannot know whose rows they are: refused, untouched. */
    fx_store_opts(&o, 1);
    o.municipality = NULL;
    st = NULL;
    assert_int_equal(mp_store_open(v9, &o, &st, &err), MP_EINVAL);
    assert_null(st);
    assert_string_equal(err.text, "the database predates municipalities (schema 9): open it once"
                                  " with its city pack (meldpunt serve --city DIR) to upgrade it");
    raw_open(&r, v9);
    assert_int_equal(raw_int(&r, "PRAGMA user_version"), 9);
    raw_close(&r);

    /* With the city: every row is the city's, and the look-up index leads
     * with the municipality. */
    assert_int_equal(fx_store_open(v9, 1, &st, &err), MP_OK);
    mp_store_close(st);
    raw_open(&r, v9);
    assert_int_equal(raw_int(&r, "PRAGMA user_version"), MP_STORE_SCHEMA_VERSION);
    char *rows = raw_rows(&r, "SELECT 'c', id, municipality FROM clusters UNION ALL"
                              " SELECT 'r', id, municipality FROM reports ORDER BY 1, 2");
    assert_string_equal(rows, "c|1|chicago\nc|2|chicago\nr|1|chicago\n");
    char *plan = raw_rows(&r, "EXPLAIN QUERY PLAN SELECT id FROM clusters WHERE municipality ="
                              " 'chicago' AND category = 'graffiti' AND cell BETWEEN 1 AND 9");
    assert_non_null(strstr(plan, "INDEX clusters_cell (municipality=? AND category=? AND"
                                 " cell>? AND cell<?)"));
    /* External ids are unique per municipality: the column's own UNIQUE is
     * gone, the index on both takes its place (and the id lookup uses it). */
    char *def = raw_rows(&r, "SELECT sql FROM sqlite_master WHERE name = 'reports'");
    assert_null(strstr(def, "UNIQUE"));
    assert_non_null(strstr(def, " external_id TEXT,"));
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM sqlite_master WHERE name ="
                                 " 'sqlite_autoindex_reports_1'"),
                     0);
    char *ext = raw_rows(&r, "EXPLAIN QUERY PLAN SELECT 1 FROM reports WHERE municipality ="
                             " 'chicago' AND external_id = 'SR-1'");
    assert_non_null(strstr(ext, "INDEX reports_external (municipality=? AND external_id=?)"));
    assert_int_equal(raw_int(&r, "SELECT seq FROM sqlite_sequence WHERE name = 'reports'"), 1);
    raw_close(&r);
    assert_int_equal(fx_store_open(v9, 1, &st, &err), MP_OK);
    struct mp_store_sess *s = mp_store_acquire(st);
    struct mp_report_rec rec = {.municipality = "chicago", .category = "graffiti",
                                .description = "", .channel = "web", .status = "new",
                                .external_id = "SR-1", .cluster_id = 1, .lon = LOOP_LON,
                                .lat = LOOP_LAT, .x = 447742, .y = 4636434, .created_at = T0};
    int64_t id = 0;
    assert_int_equal(mp_store_report_insert(s, &rec, &id), MP_ECONFLICT);
    rec.municipality = "evanston";
    assert_int_equal(mp_store_report_insert(s, &rec, &id), MP_OK);
    assert_int_equal(id, 2);
    assert_int_equal(mp_store_report_insert(s, &rec, &id), MP_ECONFLICT);
    mp_store_release(st, s);
    mp_store_close(st);
    free(rows);
    free(plan);
    free(def);
    free(ext);
    fx_rm_dir(dir.dir);
}

/* ---- the rows derived from a new report or cluster (schema 10) ---- */

/* report_map, every column: compared before and after the update trigger
 * (report_map_update, still SQL) wrote every row again. */
static const char map_rows[] = "SELECT strip, lon, id, lat, category, status, district,"
                               " created_at, cluster_id, cluster_count, rec FROM report_map"
                               " ORDER BY id";
/* grid_cells (but emptied cells) and the same counts summed from clusters. */
static const char grid_rows[] =
    "SELECT level, gx, gy, category, status, clusters, reports, printf('%.9f %.9f', sum_lon,"
    " sum_lat) FROM grid_cells WHERE clusters <> 0 ORDER BY 1, 2, 3, 4, 5";
static const char grid_sums[] =
    "SELECT l.level, CAST((lon + 180) / l.side AS INTEGER), CAST((lat + 90) / l.side AS INTEGER),"
    " category, status, count(*), sum(report_count), printf('%.9f %.9f', sum(lon), sum(lat))"
    " FROM clusters, (SELECT 10 AS level, 0.087890625 AS side UNION ALL SELECT 12,"
    " 0.02197265625 UNION ALL SELECT 14, 0.0054931640625) l GROUP BY 1, 2, 3, 4, 5"
    " ORDER BY 1, 2, 3, 4, 5";

static void expect_derived_rows(const char *path, int64_t reports)
{
    struct raw r;
    raw_open(&r, path);
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM report_map"), reports);
    char *map = raw_rows(&r, map_rows);
    char *grid = raw_rows(&r, grid_rows);
    char *sums = raw_rows(&r, grid_sums);
    raw_exec(&r, "BEGIN; UPDATE reports SET updated_at = updated_at;");
    char *again = raw_rows(&r, map_rows);
    raw_exec(&r, "ROLLBACK");
    raw_close(&r);
    assert_string_equal(map, again);
    assert_string_equal(grid, sums);
    free(map);
    free(grid);
    free(sums);
    free(again);
}

static int64_t changes_now(struct fx_db *d)
{
    int64_t n = -1;
    assert_int_equal(mp_store_change_counter(d->ctx.db, &n), MP_OK);
    return n;
}

/* The store writes a new report's map row, its cluster's counts in the
 * grid pyramid and the change counter itself (the insert triggers went in
 * version 10): every row as the triggers wrote it. */
static void a_new_row_writes_what_the_triggers_wrote(void **state)
{
    (void)state;
    struct fx_db d;
    struct mp_error err = {{0}, {0}};
    struct mp_recluster_stats rs;
    int64_t c1, c2, c3;
    fx_db_open(&d, "mp-derived");
    struct raw r;
    raw_open(&r, d.file.path);
    assert_int_equal(raw_int(&r, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND"
                                 " (sql LIKE '%AFTER INSERT ON reports%' OR sql LIKE"
                                 " '%AFTER INSERT ON clusters%' OR name LIKE 'gg%')"),
                     0);
    raw_close(&r);

    /* A new job: its cluster and its report each count one change. */
    int64_t n0 = changes_now(&d);
    report(&d, "graffiti", 0, T0, &c1);
    assert_int_equal(changes_now(&d), n0 + 2);
    /* A report that joins (cluster_count of both members 2), one with an
     * address of non-ASCII text (the record counts bytes), other
     * categories and places. */
    fx_report(&d.ctx, "graffiti", LOOP_LON - 3 * M_LON, LOOP_LAT, "233 S Wacker Dr", T0 + 60,
              &c2);
    assert_int_equal(c2, c1);
    assert_int_equal(changes_now(&d), n0 + 4);
    fx_report(&d.ctx, "pothole", LOOP_LON + 0.01, LOOP_LAT + 0.02, "Ça va 12 é", T0 + 120, &c3);
    assert_int_not_equal(c3, c1);
    report(&d, "street_light_out", 4000, T0 + 180, NULL);
    int64_t far = report(&d, "graffiti", 9000, T0 + 240, NULL);
    expect_derived_rows(d.file.path, 5);

    /* Re-clustering writes a new cluster after pointing its reports at it
     * (here: the far report, put into the first job by hand, gets a job of
     * its own again): the members' counts follow. */
    raw_open(&r, d.file.path);
    char sql[120];
    snprintf(sql, sizeof sql, "UPDATE reports SET cluster_id = %lld WHERE id = %lld",
             (long long)c1, (long long)far);
    raw_exec(&r, sql);
    raw_close(&r);
    int64_t max0 = 0, max1 = 0;
    assert_int_equal(mp_store_cluster_max_id(d.ctx.db, &max0), MP_OK);
    assert_int_equal(mp_recluster(&d.ctx, NULL, &rs, &err), MP_OK);
    assert_int_equal(mp_store_cluster_max_id(d.ctx.db, &max1), MP_OK);
    assert_int_equal(max1, max0 + 1);
    expect_derived_rows(d.file.path, 5);
    fx_db_close(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_split_after_a_merge_gets_a_new_cluster_id),
        cmocka_unit_test(a_deleted_highest_row_never_comes_back),
        cmocka_unit_test(a_schema_8_database_upgraded_keeps_its_ids),
        cmocka_unit_test(a_report_never_joins_another_municipality),
        cmocka_unit_test(a_schema_9_database_gets_the_city_as_municipality),
        cmocka_unit_test(a_new_row_writes_what_the_triggers_wrote),
    };
    return cmocka_run_group_tests_name("store_schema", tests, fx_pack_group_setup,
                                       fx_pack_group_teardown);
}
