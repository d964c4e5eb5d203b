/* store_schema.c - the SpatiaLite schema: the core tables' migrations (one
 * per schema version, tracked in PRAGMA user_version) and those of the other
 * store modules' parts (tracked by name in schema_parts), applied in one
 * exclusive transaction when the store opens. */
#include "store_sqlite_schema.h"

#include <stdio.h>

#include "store_sqlite.h"

/* The 4 -> 5 migration's grid_cells SQL, the same for each of its three
 * levels (cell side 90 / 2^level degrees): GRID_FILL sums the clusters into
 * one level's cells, GRID_UPSERT adds (sign "+") or takes away ("-") one row
 * (NEW or OLD) of clusters in a trigger. String pasting at compile time: the
 * migration text is byte for byte what it has always been. */
#define GRID_FILL(level, side)                                                                  \
    "INSERT INTO grid_cells SELECT " #level ", CAST((lon + 180) / " side " AS INTEGER),"        \
    " CAST((lat + 90) / " side " AS INTEGER), category, status,"                                \
    " count(*), sum(report_count), sum(lon), sum(lat) FROM clusters GROUP BY 2, 3, 4, 5;"
#define GRID_UPSERT(level, side, row, sign)                                                     \
    " INSERT INTO grid_cells VALUES (" #level ", CAST((" row ".lon + 180) / " side " AS INTEGER)," \
    " CAST((" row ".lat + 90) / " side " AS INTEGER),"                                          \
    " " row ".category, " row ".status, " sign "1, " sign row ".report_count, " sign row ".lon, " \
    sign row ".lat)"                                                                            \
    " ON CONFLICT DO UPDATE SET clusters = clusters + excluded.clusters,"                       \
    " reports = reports + excluded.reports, sum_lon = sum_lon + excluded.sum_lon,"              \
    " sum_lat = sum_lat + excluded.sum_lat;"
#define GRID_LEVELS(row, sign)                                                                  \
    GRID_UPSERT(10, "0.087890625", row, sign)                                                   \
    GRID_UPSERT(12, "0.02197265625", row, sign)                                                 \
    GRID_UPSERT(14, "0.0054931640625", row, sign)

/* Core migration 6 -> 7: the public map table report_map (see store_map.h
 * for its layout), in four parts (a part is one string literal). MAP_STRIP
 * must match MAP_STRIPS_PER_DEG of store_map.h; MAP_REC packs a record in
 * the format store_map.c decodes. */
#define MAP_STRIP(t) "CAST((" t ".lat + 90) * 1000 AS INTEGER)"
#define MAP_STR(x) "ifnull(length(CAST(" x " AS BLOB)) || ':' || " x ", '~')"
#define MAP_REC                                                                                  \
    "ifnull(r.cluster_id, 0) || ',' || ifnull(r.created_at, 0) || ',' ||"                        \
    " ifnull(r.updated_at, 0) || ',' || EXISTS (SELECT 1 FROM photos p WHERE p.report_id ="     \
    " r.id) || ',' || " MAP_STR("r.category") " || " MAP_STR("r.status") " || " MAP_STR(         \
        "r.district") " || " MAP_STR("r.channel") " || " MAP_STR("r.description") " || " MAP_STR( \
        "r.address") " || " MAP_STR("r.location")
#define MAP_SELECT(where)                                                                        \
    "SELECT " MAP_STRIP("r") ", r.lon, r.id, r.lat, r.category, r.status, r.district,"           \
                             " r.created_at, r.cluster_id, ifnull((SELECT c.report_count FROM"   \
                             " clusters c WHERE c.id = r.cluster_id), 0), " MAP_REC               \
                             " FROM reports r WHERE " where
/* A cluster's count changes at every join: only that column of its members'
 * rows is written, found through report_map's own cluster index (members lie
 * close together, so on a few neighbouring pages): O(members), no records
 * rebuilt and no look-ups into reports. */
#define MAP_SET_COUNT                                                                            \
    "UPDATE report_map SET cluster_count = NEW.report_count WHERE cluster_id = NEW.id;"
#define MAP_DELETE(t)                                                                            \
    "DELETE FROM report_map WHERE strip = " MAP_STRIP(t) " AND lon = " t ".lon AND id = " t ".id;"

#define MAP_MIGRATION_TABLE                                                                      \
    "CREATE TABLE report_map ("                                                                  \
    " strip INTEGER NOT NULL, lon REAL NOT NULL, id INTEGER NOT NULL, lat REAL NOT NULL,"        \
    " category TEXT, status TEXT, district TEXT, created_at INTEGER, cluster_id INTEGER,"        \
    " cluster_count INTEGER NOT NULL, rec TEXT NOT NULL,"                                        \
    " PRIMARY KEY (strip, lon, id)) WITHOUT ROWID;"                                              \
    "INSERT INTO report_map " MAP_SELECT("1") " ORDER BY 1, 2, 3;"                                \
    "CREATE INDEX report_map_cluster ON report_map (cluster_id);"
#define MAP_MIGRATION_REPORTS                                                                    \
    "CREATE TRIGGER report_map_insert AFTER INSERT ON reports BEGIN"                             \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.id") "; END;"                   \
    "CREATE TRIGGER report_map_update AFTER UPDATE OF id, cluster_id, category, description,"    \
    " address, channel, status, district, lon, lat, created_at, updated_at, location"            \
    " ON reports BEGIN " MAP_DELETE("OLD") " INSERT OR REPLACE INTO report_map " MAP_SELECT(      \
        "r.id = NEW.id") "; END;"                                                                \
    "CREATE TRIGGER report_map_delete AFTER DELETE ON reports BEGIN " MAP_DELETE("OLD") " END;"
#define MAP_MIGRATION_CLUSTERS                                                                   \
    "CREATE TRIGGER report_map_count AFTER UPDATE OF report_count ON clusters"                   \
    " WHEN NEW.report_count IS NOT OLD.report_count BEGIN " MAP_SET_COUNT " END;"               \
    "CREATE TRIGGER report_map_cluster AFTER INSERT ON clusters BEGIN " MAP_SET_COUNT " END;"
#define MAP_MIGRATION_PHOTOS                                                                     \
    "CREATE TRIGGER report_map_photo_insert AFTER INSERT ON photos BEGIN"                        \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.report_id") "; END;"            \
    "CREATE TRIGGER report_map_photo_delete AFTER DELETE ON photos BEGIN"                        \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = OLD.report_id") "; END;"            \
    "CREATE TRIGGER report_map_photo_update AFTER UPDATE OF report_id ON photos BEGIN"           \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = OLD.report_id") ";"                 \
    " INSERT OR REPLACE INTO report_map " MAP_SELECT("r.id = NEW.report_id") "; END;"

/* Each entry upgrades the schema from version i to i + 1. Never edit a
 * released entry: add a new one. */
static const char *const migrations[][4] = {
    {
    /* 0 -> 1 */
    "SELECT InitSpatialMetadata(0, 'WGS84_ONLY');"
    "CREATE TABLE clusters ("
    " id INTEGER PRIMARY KEY,"
    " category TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'new',"
    " report_count INTEGER NOT NULL DEFAULT 0,"
    " x REAL NOT NULL, y REAL NOT NULL, sum_x REAL NOT NULL, sum_y REAL NOT NULL,"
    " lon REAL NOT NULL, lat REAL NOT NULL,"
    " first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, fixed_at INTEGER NOT NULL DEFAULT 0,"
    " district TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "SELECT AddGeometryColumn('clusters', 'geom', 4326, 'POINT', 'XY');"
    "SELECT CreateSpatialIndex('clusters', 'geom');"
    "CREATE INDEX clusters_status ON clusters (status);"
    "CREATE VIRTUAL TABLE cluster_metric USING rtree (id, minx, maxx, miny, maxy);"
    "CREATE TABLE reports ("
    " id INTEGER PRIMARY KEY,"
    " cluster_id INTEGER NOT NULL REFERENCES clusters (id),"
    " category TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " address TEXT,"
    " channel TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " district TEXT,"
    " lon REAL NOT NULL, lat REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    " external_id TEXT UNIQUE,"
    " contact_name TEXT, contact_email TEXT, contact_phone TEXT,"
    " join_reason TEXT);"
    "SELECT AddGeometryColumn('reports', 'geom', 4326, 'POINT', 'XY');"
    "SELECT CreateSpatialIndex('reports', 'geom');"
    "CREATE INDEX reports_cluster ON reports (cluster_id);"
    "CREATE INDEX reports_created ON reports (created_at);"
    "CREATE TABLE history ("
    " id INTEGER PRIMARY KEY,"
    " cluster_id INTEGER NOT NULL REFERENCES clusters (id),"
    " report_id INTEGER REFERENCES reports (id),"
    " at INTEGER NOT NULL,"
    " status TEXT NOT NULL,"
    " note TEXT,"
    " note_public INTEGER NOT NULL DEFAULT 1,"
    " actor TEXT);"
    "CREATE INDEX history_cluster ON history (cluster_id, at);"
    "CREATE TABLE photos ("
    " report_id INTEGER PRIMARY KEY REFERENCES reports (id),"
    " mime TEXT NOT NULL, width INTEGER, height INTEGER,"
    " full BLOB NOT NULL, thumb BLOB NOT NULL, created_at INTEGER NOT NULL);",
    },
    {
    /* 1 -> 2: streets and readable locations (duplicate issue), staff corrections. */
    "ALTER TABLE reports ADD COLUMN street TEXT;"
    "ALTER TABLE reports ADD COLUMN location TEXT;"
    "ALTER TABLE clusters ADD COLUMN street TEXT;"
    "ALTER TABLE clusters ADD COLUMN location TEXT;"
    "CREATE TABLE corrections ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL," /* merge, move */
    " report_id INTEGER,"
    " from_cluster INTEGER,"
    " to_cluster INTEGER,"
    " actor TEXT,"
    " at INTEGER NOT NULL);"
    /* Pairwise constraints between reports that staff corrections imply;
     * re-clustering honours them. must = 1: same cluster; 0: never. */
    "CREATE TABLE link_constraints ("
    " a INTEGER NOT NULL REFERENCES reports (id),"
    " b INTEGER NOT NULL REFERENCES reports (id),"
    " must INTEGER NOT NULL,"
    " at INTEGER NOT NULL,"
    " PRIMARY KEY (a, b));"
    "CREATE INDEX link_constraints_b ON link_constraints (b);",
    },
    {
    /* 2 -> 3: SpatiaLite's index triggers align the R*Tree by building and
     * parsing an SQL statement per row (RTreeAlign), which dominated the cost
     * of an insert. The store now keeps the same R*Tree layout itself with
     * prepared statements, in the same transaction. The geometry columns stay
     * registered for GIS tools; the per-row time-stamp triggers go. */
    "SELECT DisableSpatialIndex('reports', 'geom');"
    "SELECT DisableSpatialIndex('clusters', 'geom');"
    "DROP TABLE IF EXISTS idx_reports_geom;"
    "DROP TABLE IF EXISTS idx_clusters_geom;"
    "DROP TRIGGER IF EXISTS tmi_reports_geom;"
    "DROP TRIGGER IF EXISTS tmu_reports_geom;"
    "DROP TRIGGER IF EXISTS tmd_reports_geom;"
    "DROP TRIGGER IF EXISTS tmi_clusters_geom;"
    "DROP TRIGGER IF EXISTS tmu_clusters_geom;"
    "DROP TRIGGER IF EXISTS tmd_clusters_geom;"
    "CREATE VIRTUAL TABLE reports_rtree USING rtree (id, minx, maxx, miny, maxy);"
    "INSERT INTO reports_rtree SELECT id, lon, lon, lat, lat FROM reports;"
    "CREATE VIRTUAL TABLE clusters_rtree USING rtree (id, minx, maxx, miny, maxy);"
    "INSERT INTO clusters_rtree SELECT id, lon, lon, lat, lat FROM clusters;",
    },
    {
    /* 3 -> 4: the duplicate look-up finds candidate clusters through a grid
     * of metric cells (CELL_M square) under a B-tree index: cheaper to keep
     * up to date on every insert than a second R*Tree. The index also holds
     * x and y so that the exact box test runs before any row is read. */
    "ALTER TABLE clusters ADD COLUMN cell INTEGER NOT NULL DEFAULT 0;"
    "UPDATE clusters SET cell = CAST(x / 128.0 + 1048576 AS INTEGER) * 2097152"
    " + CAST(y / 128.0 + 1048576 AS INTEGER);"
    "CREATE INDEX clusters_cell ON clusters (category, cell, x, y);"
    "DROP TABLE cluster_metric;",
    },
    {
    /* 4 -> 5: the map's low-zoom aggregation. Counts of clusters and reports
     * per cell of a global lattice at zoom levels 10, 12 and 14 (cell side
     * 90 / 2^z degrees), per category and status, kept exact by triggers on
     * every cluster change. A whole-city view then reads a few thousand rows
     * instead of every cluster. */
    "CREATE TABLE grid_cells ("
    " level INTEGER NOT NULL, gx INTEGER NOT NULL, gy INTEGER NOT NULL,"
    " category TEXT NOT NULL, status TEXT NOT NULL,"
    " clusters INTEGER NOT NULL, reports INTEGER NOT NULL,"
    " sum_lon REAL NOT NULL, sum_lat REAL NOT NULL,"
    " PRIMARY KEY (level, gx, gy, category, status)) WITHOUT ROWID;"
    GRID_FILL(10, "0.087890625")
    GRID_FILL(12, "0.02197265625")
    GRID_FILL(14, "0.0054931640625"),

    "CREATE TRIGGER grid_cells_insert AFTER INSERT ON clusters BEGIN"
    GRID_LEVELS("NEW", "+")
    " END;",

    "CREATE TRIGGER grid_cells_update AFTER UPDATE OF lon, lat, status, report_count, category"
    " ON clusters BEGIN"
    GRID_LEVELS("OLD", "-")
    GRID_LEVELS("NEW", "+")
    " END;",

    "CREATE TRIGGER grid_cells_delete AFTER DELETE ON clusters BEGIN"
    GRID_LEVELS("OLD", "-")
    " END;",
    },
    {
        /* 5 -> 6: a change counter bumped by every change of a report or a
         * cluster, in the same transaction, so that rendered answers can be
         * cached and revalidated with one read, also across processes
         * (imports, recluster) writing the same file. */
        "CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);"
        "INSERT INTO change_counter VALUES (1, 0);"
        "CREATE TRIGGER change_reports_insert AFTER INSERT ON reports BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;"
        "CREATE TRIGGER change_reports_update AFTER UPDATE ON reports BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;"
        "CREATE TRIGGER change_reports_delete AFTER DELETE ON reports BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;"
        "CREATE TRIGGER change_clusters_insert AFTER INSERT ON clusters BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;"
        "CREATE TRIGGER change_clusters_update AFTER UPDATE ON clusters BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;"
        "CREATE TRIGGER change_clusters_delete AFTER DELETE ON clusters BEGIN"
        " UPDATE change_counter SET n = n + 1 WHERE id = 1; END;",
    },
    {
        /* 6 -> 7: the public map table (store_map.h): each report's public
         * properties in spatial order, kept by triggers, so that a map page
         * reads neighbouring pages instead of two random look-ups a feature. */
        MAP_MIGRATION_TABLE,
        MAP_MIGRATION_REPORTS,
        MAP_MIGRATION_CLUSTERS,
        MAP_MIGRATION_PHOTOS,
    },
    {
        /* 7 -> 8: a repair, no new structure. Staff merges stored the target
         * cluster's status as '' (fixed in 99ee145), and its reports took
         * it. The cluster gets back the last real status of its history,
         * else 'new'; its reports follow their cluster as they always do. */
        "UPDATE clusters SET status = COALESCE((SELECT h.status FROM history h"
        " WHERE h.cluster_id = clusters.id AND h.status <> '' ORDER BY h.at DESC, h.id DESC"
        " LIMIT 1), 'new') WHERE status = '';"
        "UPDATE reports SET status = (SELECT c.status FROM clusters c WHERE c.id = reports.cluster_id)"
        " WHERE status = '';",
    },
    {
        /* 8 -> 9: ids are never reused; no SQL text, see steps[] below. */
        NULL,
    },
    {
        /* 9 -> 10: the municipality of reports and clusters; steps[]. */
        NULL,
    },
    {
        /* 10 -> 11: area alerts and department digests (store_sqlite_alerts.c). */
        mp_sqlite_alerts_migration,
    },
    {
        /* 11 -> 12: tenancy. The municipalities (member ids) a staff account
         * works for; an account without rows is region-wide or sees nothing,
         * as users.region_wide says (the auth part's migration 2 adds it,
         * 1 for the accounts that exist: they keep seeing everything). */
        "CREATE TABLE IF NOT EXISTS user_municipalities ("
        " user_id INTEGER NOT NULL,"
        " municipality TEXT NOT NULL,"
        " PRIMARY KEY (user_id, municipality)) WITHOUT ROWID;",
    },
    {
        /* 12 -> 13: nothing on SQLite. PostgreSQL's change counter moved
         * from per-statement triggers to one bump at commit (pgingest);
         * SQLite's row triggers cost nothing comparable (one file, one
         * writer, no row versions), so they stay. */
        NULL,
    },
    {
        /* 13 -> 14 (pgmap): nothing on SQLite. PostgreSQL gains the map
         * table and grid pyramid SQLite has had since versions 5 and 7
         * (store_pg_schema.c). */
        NULL,
    },
};
#define NMIGRATIONS (int)(sizeof migrations / sizeof migrations[0])

static enum mp_status ids_step(struct mp_store_sess *s, const char *municipality,
                               struct mp_error *err)
{
    (void)municipality;
    (void)err;
    return mp_store_ids_never_reused(s);
}

static const char sql_has_municipality[] =
    "SELECT count(*) FROM pragma_table_info(?1) WHERE name = 'municipality'";
static const char sql_unset_municipality[] =
    "SELECT (SELECT count(*) FROM reports WHERE municipality = '')"
    " + (SELECT count(*) FROM clusters WHERE municipality = '')";
static const char sql_fill_reports[] =
    "UPDATE reports SET municipality = ?1 WHERE municipality = ''";
static const char sql_fill_clusters[] =
    "UPDATE clusters SET municipality = ?1 WHERE municipality = ''";

/* 9 -> 10: every report and cluster belongs to a municipality (the city
 * pack's id), and the duplicate look-up's index leads with it, so that a
 * region can partition or shard by it and a report never joins another
 * municipality's cluster. Existing rows get the municipality of the city
 * the database is opened with. NOT NULL needs a default on ALTER TABLE: ''
 * stands for "not set", which the store never writes. The column is added
 * only where it is missing, so the step may run again on a file whose
 * user_version was set back by hand (tests do). */
static enum mp_status municipality_step(struct mp_store_sess *s, const char *municipality,
                                        struct mp_error *err)
{
    static const char *const tables[] = {"reports", "clusters"};
    static const char *const add[] = {
        "ALTER TABLE reports ADD COLUMN municipality TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE clusters ADD COLUMN municipality TEXT NOT NULL DEFAULT ''",
    };
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < sizeof tables / sizeof *tables; i++) {
        int64_t has = 0;
        sqlite3_stmt *st = mp_stmt(s, sql_has_municipality);
        if (st)
            mp_bind_text(st, 1, tables[i]);
        if ((rc = mp_stmt_first(s, st, mp_row_int64, &has, "municipality")) == MP_OK && !has)
            rc = mp_exec(s, add[i]);
    }
    int64_t unset = 0;
    if (rc == MP_OK)
        rc = mp_stmt_first(s, mp_stmt(s, sql_unset_municipality), mp_row_int64, &unset,
                           "municipality");
    if (rc == MP_OK && unset > 0) {
        if (!municipality || !municipality[0])
            return mp_fail(err, MP_EINVAL, "store",
                           "the database predates municipalities (schema %d): open it once"
                           " with its city pack (meldpunt serve --city DIR) to upgrade it",
                           mp_store_schema_user_version(s));
        const char *const fill[] = {sql_fill_reports, sql_fill_clusters};
        for (size_t i = 0; rc == MP_OK && i < 2; i++) {
            sqlite3_stmt *st = mp_stmt(s, fill[i]);
            if (st)
                mp_bind_text(st, 1, municipality);
            rc = mp_stmt_run(s, st, "municipality");
        }
    }
    /* An external id (the number another system gave a request) is unique
     * within its municipality: two towns' systems may both have an "SR-1". */
    if (rc == MP_OK)
        rc = mp_store_external_ids_per_municipality(s);
    if (rc == MP_OK)
        rc = mp_exec(s, "DROP INDEX IF EXISTS clusters_cell;"
                        " CREATE INDEX clusters_cell ON clusters (municipality, category, cell,"
                        " x, y);");
    /* The writer's path: a new report or cluster writes its derived rows
     * itself (store_sqlite_derived.h), so the insert triggers go, and with
     * them SpatiaLite's geometry constraint triggers (the store only ever
     * writes MakePoint(lon, lat, 4326); the column stays registered in
     * geometry_columns for GIS tools). Triggers on changes stay. */
    if (rc == MP_OK)
        rc = mp_exec(s, "DROP TRIGGER IF EXISTS report_map_insert;"
                        " DROP TRIGGER IF EXISTS change_reports_insert;"
                        " DROP TRIGGER IF EXISTS grid_cells_insert;"
                        " DROP TRIGGER IF EXISTS change_clusters_insert;"
                        " DROP TRIGGER IF EXISTS report_map_cluster;"
                        " DROP TRIGGER IF EXISTS ggi_reports_geom;"
                        " DROP TRIGGER IF EXISTS ggu_reports_geom;"
                        " DROP TRIGGER IF EXISTS ggi_clusters_geom;"
                        " DROP TRIGGER IF EXISTS ggu_clusters_geom;");
    return rc;
}

/* What SQL text cannot say: a step run after the SQL of its version (index
 * = the version it upgrades from). A step may fill err; otherwise the
 * caller names the version that failed. */
static enum mp_status (*const steps[])(struct mp_store_sess *s, const char *municipality,
                                       struct mp_error *err) = {
    /* 8 -> 9: AUTOINCREMENT on every table whose ids leave the server. */
    [8] = ids_step,
    /* 9 -> 10: reports and clusters belong to a municipality. */
    [9] = municipality_step,
};
_Static_assert(sizeof steps / sizeof steps[0] <= sizeof migrations / sizeof migrations[0],
               "a step belongs to a migration");

_Static_assert(sizeof migrations / sizeof migrations[0] == MP_STORE_SCHEMA_CORE_VERSION,
               "one migration per schema version");

static const struct mp_store_module *const modules[] = {
    &mp_store_module_auth,
    &mp_store_module_open311,
    &mp_store_module_work,
    &mp_store_module_merge, /* after work: it records work rows */
    &mp_store_module_notify,
    &mp_store_module_webhooks,
};

static const char sql_part_version[] = "SELECT version FROM schema_parts WHERE name = ?1";
static const char sql_part_set[] = "INSERT OR REPLACE INTO schema_parts VALUES (?1, ?2)";

static const char sql_user_version[] = "PRAGMA user_version";

int mp_store_schema_user_version(struct mp_store_sess *s)
{
    int64_t v = -1;
    if (mp_stmt_first(s, mp_stmt(s, sql_user_version), mp_row_int64, &v, "user_version"))
        return -1;
    return (int)v;
}

enum mp_status mp_store_schema_migrate(struct mp_store_sess *s, int version,
                                       const char *municipality, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    int target = version > 0 && version < NMIGRATIONS ? version : NMIGRATIONS;
    /* Rebuilding a table (version 9) drops the old one, which with foreign
     * keys on would delete its rows first and cascade; the pragma has no
     * effect inside a transaction, so it is set around it. */
    if ((rc = mp_exec(s, "PRAGMA foreign_keys = OFF")))
        return mp_fail(err, rc, "store", "cannot prepare the schema check");
    if ((rc = mp_exec(s, "BEGIN EXCLUSIVE"))) {
        rc = mp_fail(err, rc, "store", "cannot lock the database to check its schema");
        goto fk;
    }
    int v = mp_store_schema_user_version(s);
    if (v < 0 || v > NMIGRATIONS) {
        rc = mp_fail(err, MP_EDB, "store",
                     "database schema version %d is newer than this build (%d)", v, NMIGRATIONS);
        goto out;
    }
    for (; v < target; v++) {
        char pragma[48];
        /* A version is up to four parts (ISO C bounds a string literal). */
        for (int part = 0; part < 4 && migrations[v][part]; part++) {
            if ((rc = mp_exec(s, migrations[v][part]))) {
                rc = mp_fail(err, rc, "store", "schema upgrade to version %d failed", v + 1);
                goto out;
            }
        }
        if ((size_t)v < sizeof steps / sizeof steps[0] && steps[v]) {
            struct mp_error said = {{0}, {0}};
            if ((rc = steps[v](s, municipality, &said))) {
                if (said.text[0] && err)
                    *err = said;
                else if (!said.text[0])
                    rc = mp_fail(err, rc, "store", "schema upgrade to version %d failed", v + 1);
                goto out;
            }
        }
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((rc = mp_exec(s, pragma)))
            goto out;
    }
    if ((rc = mp_exec(s, "CREATE TABLE IF NOT EXISTS schema_parts (name TEXT PRIMARY KEY,"
                      " version INTEGER NOT NULL)")))
        goto out;
    for (size_t m = 0; m < sizeof modules / sizeof *modules; m++) {
        const struct mp_store_module *mod = modules[m];
        sqlite3_stmt *st = mp_stmt(s, sql_part_version);
        int64_t found = 0;
        if (st)
            mp_bind_text(st, 1, mod->name);
        enum mp_status vrc = mp_stmt_first(s, st, mp_row_int64, &found, "schema part");
        if (vrc != MP_OK && vrc != MP_ENOTFOUND) {
            rc = MP_EDB;
            goto out;
        }
        int mv = (int)found;
        if (mv > mod->nmigrations) {
            rc = mp_fail(err, MP_EDB, "store", "schema part %s is newer than this build",
                         mod->name);
            goto out;
        }
        for (; mv < mod->nmigrations; mv++) {
            if ((rc = mp_exec(s, mod->migrations[mv]))) {
                rc = mp_fail(err, rc, "store", "schema upgrade of %s to version %d failed",
                             mod->name, mv + 1);
                goto out;
            }
        }
        if ((st = mp_stmt(s, sql_part_set))) {
            mp_bind_text(st, 1, mod->name);
            sqlite3_bind_int(st, 2, mv);
        }
        if (mp_stmt_run(s, st, "schema part")) {
            rc = MP_EDB;
            goto out;
        }
    }
    /* The parts create their tables after the core on a new file: version
     * 9's rule reaches them here (a no-op once every table has it). */
    if (target >= 9 && (rc = mp_store_ids_never_reused(s))) {
        rc = mp_fail(err, rc, "store", "schema upgrade to version 9 failed");
        goto out;
    }
    rc = mp_exec(s, "COMMIT");
out:
    if (rc)
        (void)mp_exec(s, "ROLLBACK");
fk:
    if (mp_exec(s, "PRAGMA foreign_keys = ON") != MP_OK && rc == MP_OK)
        rc = mp_fail(err, MP_EDB, "store", "cannot switch foreign keys back on");
    return rc;
}
