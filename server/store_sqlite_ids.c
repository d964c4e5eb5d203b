/* store_sqlite_ids.c - ids that leave the server are never reused (schema
 * version 9). SQLite hands out max(rowid) + 1 for a new row, so after a
 * delete (a merged cluster, a removed user) the next row gets the id of the
 * one that went, and whatever quoted the old id (an audit entry, a citizen's
 * link, another system) now points at something else. AUTOINCREMENT keeps
 * the highest id ever given in sqlite_sequence and never goes below it.
 *
 * AUTOINCREMENT is part of the table definition, so an existing table is
 * rebuilt: SQLite's own recipe for a change ALTER TABLE cannot make (create
 * the new table, copy the rows with their ids, drop the old one, rename the
 * new one, create the old indexes and triggers again from their stored SQL).
 * SpatiaLite's registration of a geometry column lives in geometry_columns,
 * keyed by table name, and its constraint triggers are among the triggers
 * recreated: both survive. The R*Trees and report_map are tables of their
 * own, keyed by the unchanged ids.
 *
 * Version 10 uses the same rebuild once more: a column's UNIQUE is part of
 * the table definition too, and external ids become unique per
 * municipality. */
#include "store_sqlite_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

/* Every table whose ids are quoted outside the server. The photos of a
 * report are keyed by the report's id (never reused itself). */
static const char *const id_tables[] = {
    "clusters", "reports", "history", "corrections", "users", "audit", "work_notes", "work_photos",
};

/* Where else an id may have been seen after its row was deleted before the
 * upgrade (a merged cluster lives on in history, corrections and the audit
 * log): the sequence starts above the highest of them, so that no quoted id
 * comes back. Sources that do not exist (yet) are skipped. */
static const struct {
    const char *table, *source, *sql;
} seen_ids[] = {
    {"clusters", "history", "SELECT max(cluster_id) FROM history"},
    {"clusters", "corrections", "SELECT max(from_cluster) FROM corrections"},
    {"clusters", "corrections", "SELECT max(to_cluster) FROM corrections"},
    {"clusters", "audit", "SELECT max(object_id) FROM audit WHERE object_type = 'cluster'"},
    {"clusters", "work_notes", "SELECT max(cluster_id) FROM work_notes"},
    {"clusters", "work_photos", "SELECT max(cluster_id) FROM work_photos"},
    {"clusters", "work_assignments", "SELECT max(cluster_id) FROM work_assignments"},
    {"reports", "history", "SELECT max(report_id) FROM history"},
    {"reports", "corrections", "SELECT max(report_id) FROM corrections"},
    {"reports", "photos", "SELECT max(report_id) FROM photos"},
    {"reports", "link_constraints", "SELECT max(b) FROM link_constraints"},
    {"reports", "open311_attributes", "SELECT max(report_id) FROM open311_attributes"},
    {"reports", "audit", "SELECT max(object_id) FROM audit WHERE object_type = 'report'"},
    {"users", "audit", "SELECT max(user_id) FROM audit"},
    {"users", "audit", "SELECT max(object_id) FROM audit WHERE object_type = 'user'"},
};

static const char sql_table_sql[] =
    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1";
/* Indexes (but the automatic ones of UNIQUE columns, which the table's own
 * definition makes again) and triggers, in the order they were made. */
static const char sql_dependents[] = "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND"
                                     " type IN ('index', 'trigger') AND sql IS NOT NULL"
                                     " ORDER BY rowid";

/* The first column of one row of sql (with ?1 bound to arg when given) as
 * an integer (0 for NULL or no row). A one-off statement: the migration
 * runs once, so it does not take a place in the session's cache. */
static enum mp_status one_int(struct mp_store_sess *s, const char *sql, const char *arg,
                              int64_t *out)
{
    sqlite3_stmt *st = NULL;
    *out = 0;
    int rc = sqlite3_prepare_v2(mp_sq(s)->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    enum mp_status ret =
        rc == SQLITE_ROW || rc == SQLITE_DONE ? MP_OK : mp_db_status(mp_sq(s)->db, rc, "ids");
    sqlite3_finalize(st);
    return ret;
}

/* The text column 0 of every row of sql with ?1 = arg, as NEW strings
 * (free each and the array); *n gets the count. */
static enum mp_status all_text(struct mp_store_sess *s, const char *sql, const char *arg,
                               char ***out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    char **v = NULL;
    size_t cap = 0;
    enum mp_status ret = MP_OK;
    *out = NULL;
    *n = 0;
    int rc = sqlite3_prepare_v2(mp_sq(s)->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(v, cap * sizeof *v);
            if (!grown) {
                ret = MP_ENOMEM;
                break;
            }
            v = grown;
        }
        if (!(v[*n] = strdup(mp_col_text(st, 0) ? mp_col_text(st, 0) : ""))) {
            ret = MP_ENOMEM;
            break;
        }
        (*n)++;
    }
    if (ret == MP_OK && rc != SQLITE_DONE)
        ret = mp_db_status(mp_sq(s)->db, rc, "ids");
    sqlite3_finalize(st);
    *out = v;
    return ret;
}

static void free_all(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Run sql (a NEW sqlite3_mprintf string, freed here; NULL means out of memory). */
static enum mp_status exec_owned(struct mp_store_sess *s, char *sql)
{
    if (!sql)
        return MP_ENOMEM;
    enum mp_status rc = mp_exec(s, sql);
    sqlite3_free(sql);
    return rc;
}

static enum mp_status table_exists(struct mp_store_sess *s, const char *table, bool *exists)
{
    int64_t v = 0;
    enum mp_status rc = one_int(s,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                " AND name = ?1",
                                table, &v);
    *exists = v > 0;
    return rc;
}

/* The highest id table ever gave out, as far as the database remembers:
 * its own rows and every place that quotes them. */
static enum mp_status highest_seen(struct mp_store_sess *s, const char *table, int64_t *max)
{
    char *sql = sqlite3_mprintf("SELECT max(id) FROM \"%w\"", table);
    if (!sql)
        return MP_ENOMEM;
    enum mp_status rc = one_int(s, sql, NULL, max);
    sqlite3_free(sql);
    for (size_t i = 0; rc == MP_OK && i < sizeof seen_ids / sizeof *seen_ids; i++) {
        bool exists = false;
        int64_t v = 0;
        if (strcmp(seen_ids[i].table, table) != 0)
            continue;
        if ((rc = table_exists(s, seen_ids[i].source, &exists)) || !exists)
            continue;
        if ((rc = one_int(s, seen_ids[i].sql, NULL, &v)) == MP_OK && v > *max)
            *max = v;
    }
    return rc;
}

/* The stored definition def of table ("CREATE TABLE <table> (" or, once a
 * rebuild renamed it, "CREATE TABLE \"<table>\" (") under the name
 * mp_rebuild, with its one occurrence of find replaced by replace: a NEW
 * string (free()), or NULL (with *rc) when the definition is not of that
 * shape. */
static char *redefined_sql(const char *table, const char *def, const char *find,
                           const char *replace, enum mp_status *rc)
{
    char head[80], quoted[84];
    int hn = snprintf(head, sizeof head, "CREATE TABLE %s (", table);
    int qn = snprintf(quoted, sizeof quoted, "CREATE TABLE \"%s\" (", table);
    const char *at = strstr(def, find);
    size_t skip = 0;
    *rc = MP_EDB;
    if (hn > 0 && (size_t)hn < sizeof head && strncmp(def, head, (size_t)hn) == 0)
        skip = (size_t)hn;
    else if (qn > 0 && (size_t)qn < sizeof quoted && strncmp(def, quoted, (size_t)qn) == 0)
        skip = (size_t)qn;
    if (!skip || !at || strstr(at + 1, find)) {
        fprintf(stderr, "meldpunt: store: cannot rebuild %s: unexpected definition %.200s\n", table,
                def);
        return NULL;
    }
    static const char new_head[] = "CREATE TABLE mp_rebuild (";
    const char *cols = def + skip, *rest = at + strlen(find);
    size_t before = (size_t)(at - cols), rn = strlen(replace), after = strlen(rest);
    char *out = malloc(sizeof new_head + before + rn + after);
    if (!out) {
        *rc = MP_ENOMEM;
        return NULL;
    }
    char *p = out;
    memcpy(p, new_head, sizeof new_head - 1);
    p += sizeof new_head - 1;
    memcpy(p, cols, before);
    p += before;
    memcpy(p, replace, rn);
    p += rn;
    memcpy(p, rest, after + 1);
    *rc = MP_OK;
    return out;
}

/* Rebuild table with the definition create (of mp_rebuild; see the head of
 * the file) and start its sequence at the highest id seen, or where it
 * stood when that is higher. Runs inside the migration's exclusive
 * transaction with foreign keys off (mp_store_schema_migrate): with them
 * on, dropping the old table would first delete its rows and cascade into
 * open311_attributes and work_assignments. */
static enum mp_status rebuild(struct mp_store_sess *s, const char *table, const char *create)
{
    char **deps = NULL;
    size_t ndeps = 0;
    int64_t seq = 0, stood = 0;
    bool has_seq = false;
    enum mp_status rc;
    if ((rc = highest_seen(s, table, &seq)) ||
        (rc = table_exists(s, "sqlite_sequence", &has_seq)) ||
        (has_seq &&
         (rc = one_int(s, "SELECT max(seq) FROM sqlite_sequence WHERE name = ?1", table, &stood))) ||
        (rc = all_text(s, sql_dependents, table, &deps, &ndeps)))
        goto out;
    if (stood > seq)
        seq = stood;
    /* legacy_alter_table: the rename must not check the triggers of other
     * tables that name the table being replaced (report_map's triggers on
     * photos name reports), which fail to resolve between the drop and the
     * rename. */
    if ((rc = mp_exec(s, create)) ||
        (rc = exec_owned(s, sqlite3_mprintf("INSERT INTO mp_rebuild SELECT * FROM \"%w\";"
                                            " DROP TABLE \"%w\";",
                                            table, table))) ||
        (rc = mp_exec(s, "PRAGMA legacy_alter_table = ON")) ||
        (rc = exec_owned(s, sqlite3_mprintf("ALTER TABLE mp_rebuild RENAME TO \"%w\"", table))) ||
        (rc = mp_exec(s, "PRAGMA legacy_alter_table = OFF")))
        goto out;
    for (size_t i = 0; i < ndeps; i++)
        if ((rc = mp_exec(s, deps[i])))
            goto out;
    rc = exec_owned(s, sqlite3_mprintf("DELETE FROM sqlite_sequence WHERE name = '%q';"
                                       " INSERT INTO sqlite_sequence (name, seq)"
                                       " VALUES ('%q', %lld);",
                                       table, table, (long long)seq));
out:
    if (rc)
        (void)mp_exec(s, "PRAGMA legacy_alter_table = OFF");
    free_all(deps, ndeps);
    return rc;
}

/* Rebuild table with its one occurrence of find replaced by replace, unless
 * its definition already has skip (the change was made). */
static enum mp_status redefine(struct mp_store_sess *s, const char *table, const char *find,
                               const char *replace, const char *skip)
{
    char **def = NULL, *create = NULL;
    size_t n = 0;
    enum mp_status rc = all_text(s, sql_table_sql, table, &def, &n);
    /* Tables of a part not created yet are rebuilt when they are (the
     * migration runs again after the parts). */
    if (rc == MP_OK && n == 1 && !strstr(def[0], skip) &&
        (create = redefined_sql(table, def[0], find, replace, &rc)))
        rc = rebuild(s, table, create);
    free(create);
    free_all(def, n);
    return rc;
}

enum mp_status mp_store_ids_never_reused(struct mp_store_sess *s)
{
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < sizeof id_tables / sizeof *id_tables; i++)
        rc = redefine(s, id_tables[i], "id INTEGER PRIMARY KEY",
                      "id INTEGER PRIMARY KEY AUTOINCREMENT", "AUTOINCREMENT");
    return rc;
}

enum mp_status mp_store_external_ids_per_municipality(struct mp_store_sess *s)
{
    /* A step run again finds the column without its UNIQUE and only makes
     * sure of the index. */
    enum mp_status rc = redefine(s, "reports", " external_id TEXT UNIQUE,", " external_id TEXT,",
                                 " external_id TEXT,");
    if (rc == MP_OK)
        rc = mp_exec(s, "CREATE UNIQUE INDEX IF NOT EXISTS reports_external ON reports"
                        " (municipality, external_id)");
    return rc;
}
