/* store_sqlite_derived.c - the rows derived from a new report or cluster
 * (see store_sqlite_derived.h): what the insert triggers of schemas 5-9 did,
 * as single-row statements of the inserting call. Each writes exactly what
 * its trigger wrote (tests/unit/test_store.c compares the map path with the
 * general query after every kind of change). */
#include "store_sqlite_derived.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"
#include "store_sqlite_map.h"

static const char sql_change[] = "UPDATE change_counter SET n = n + 1 WHERE id = 1";
/* The cluster's count as the report joined it: the caller has written the
 * cluster (created or updated) before the report. */
static const char sql_map_insert[] =
    "INSERT INTO report_map (strip, lon, id, lat, category, status, district, created_at,"
    " cluster_id, cluster_count, rec) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
    " ifnull((SELECT report_count FROM clusters WHERE id = ?9), 0), ?10)";
/* One level of the pyramid (cell side ?3 degrees), as grid_cells_insert
 * did with an upsert: the cell's row exists nearly always, and an UPDATE
 * finds it with one search where the upsert made two. */
#define GRID_CELL                                                                                \
    "level = ?1 AND gx = CAST((?2 + 180) / ?3 AS INTEGER) AND gy = CAST((?4 + 90) / ?3 AS"       \
    " INTEGER) AND category = ?5 AND status = ?6"
static const char sql_grid_add[] =
    "UPDATE grid_cells SET clusters = clusters + 1, reports = reports + ?7,"
    " sum_lon = sum_lon + ?2, sum_lat = sum_lat + ?4 WHERE " GRID_CELL;
static const char sql_grid_new[] =
    "INSERT INTO grid_cells VALUES (?1, CAST((?2 + 180) / ?3 AS INTEGER),"
    " CAST((?4 + 90) / ?3 AS INTEGER), ?5, ?6, 1, ?7, ?2, ?4)";
static const char sql_map_count[] = "UPDATE report_map SET cluster_count = ?2 WHERE cluster_id = ?1";

/* The levels of grid_cells and their cell sides (90 / 2^level degrees). */
static const struct {
    int level;
    double side;
} grid_levels[] = {{10, 0.087890625}, {12, 0.02197265625}, {14, 0.0054931640625}};

/* v in decimal, as "%lld" writes it (at most 20 bytes): the writer packs a
 * record per report, and printf's parsing was most of the packing. */
static char *put_int(char *p, int64_t v)
{
    char tmp[20];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* "<byte length>:<bytes>", or "~" for NULL (MAP_STR of store_sqlite_schema.c). */
static char *put_str(char *p, const char *s)
{
    if (!s) {
        *p++ = '~';
        return p;
    }
    size_t n = strlen(s);
    p = put_int(p, (int64_t)n);
    *p++ = ':';
    memcpy(p, s, n);
    return p + n;
}

/* The packed record of report_map (store_sqlite_map.h) as a NEW string
 * (free()); its length in *len. */
static char *pack(int64_t cluster_id, int64_t created_at, int64_t updated_at,
                  const struct mp_report_rec *r, size_t *len)
{
    const char *const f[] = {r->category,
                             r->status,
                             r->district,
                             r->channel,
                             r->description ? r->description : "",
                             r->address,
                             r->location};
    size_t need = 4 * 21 + 1;
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        need += (f[i] ? strlen(f[i]) : 0) + 22;
    char *out = malloc(need), *p = out;
    if (!out)
        return NULL;
    const int64_t head[] = {cluster_id, created_at, updated_at};
    for (size_t i = 0; i < sizeof head / sizeof *head; i++) {
        p = put_int(p, head[i]);
        *p++ = ',';
    }
    *p++ = '0'; /* no photo yet: a photo's insert trigger rewrites the row */
    *p++ = ',';
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        p = put_str(p, f[i]);
    *p = '\0';
    *len = (size_t)(p - out);
    return out;
}

enum mp_status mp_derived_report_added(struct mp_store_sess *s, int64_t id,
                                       const struct mp_report_rec *r, int64_t updated_at)
{
    size_t len = 0;
    char *rec = pack(r->cluster_id, r->created_at, updated_at, r, &len);
    sqlite3_stmt *st = mp_stmt(s, sql_map_insert);
    if (!rec || !st) {
        free(rec);
        return rec ? MP_EDB : MP_ENOMEM;
    }
    sqlite3_bind_int64(st, 1, (int64_t)((r->lat + 90.0) * MAP_STRIPS_PER_DEG));
    sqlite3_bind_double(st, 2, r->lon);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_double(st, 4, r->lat);
    mp_bind_text(st, 5, r->category);
    mp_bind_text(st, 6, r->status);
    mp_bind_text(st, 7, r->district);
    sqlite3_bind_int64(st, 8, r->created_at);
    sqlite3_bind_int64(st, 9, r->cluster_id);
    sqlite3_bind_text(st, 10, rec, (int)len, free);
    enum mp_status rc = mp_stmt_run(s, st, "report map");
    return rc ? rc : mp_stmt_run(s, mp_stmt(s, sql_change), "change counter");
}

enum mp_status mp_derived_cluster_added(struct mp_store_sess *s, int64_t id,
                                        const struct mp_cluster_state *c, bool may_have_members)
{
    enum mp_status rc = MP_OK;
    for (size_t i = 0; rc == MP_OK && i < 2 * sizeof grid_levels / sizeof *grid_levels; i++) {
        /* Even steps update the level's cell, odd ones insert it when the
         * update found none. */
        if (i % 2 && sqlite3_changes(mp_sq(s)->db) > 0)
            continue;
        sqlite3_stmt *st = mp_stmt(s, i % 2 ? sql_grid_new : sql_grid_add);
        if (!st)
            return MP_EDB;
        sqlite3_bind_int(st, 1, grid_levels[i / 2].level);
        sqlite3_bind_double(st, 2, c->lon);
        sqlite3_bind_double(st, 3, grid_levels[i / 2].side);
        sqlite3_bind_double(st, 4, c->lat);
        mp_bind_text(st, 5, c->category);
        mp_bind_text(st, 6, c->status);
        sqlite3_bind_int64(st, 7, c->report_count);
        rc = mp_stmt_run(s, st, "grid cells");
    }
    if (rc == MP_OK && may_have_members)
        rc = mp_stmt_run_ids(s, sql_map_count, id, c->report_count, "report map count");
    return rc ? rc : mp_stmt_run(s, mp_stmt(s, sql_change), "change counter");
}
