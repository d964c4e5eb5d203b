/* store.h - persistence of reports, clusters and their history.
 *
 * Two engines implement it: SpatiaLite (a file, server/store_sqlite*.c) and
 * PostgreSQL + PostGIS (a server, server/store_pg*.c), chosen by the
 * location mp_store_open is given; server/store.c forwards each function to
 * the engine (server/store_engine.h). The interface carries no engine types.
 * All SQL lives in store*.c. User input reaches SQL only as bound
 * parameters. An operation an engine does not implement yet answers
 * MP_EUNSUPPORTED (and logs its name).
 *
 * Threads: struct mp_store is shared and thread-safe (a pool of sessions).
 * A struct mp_store_sess is one database connection, used by one thread at a
 * time between mp_store_acquire and mp_store_release.
 *
 * Rows handed to callbacks hold BORROWED strings, valid only during the
 * callback.
 */
#ifndef MELDPUNT_STORE_H
#define MELDPUNT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_store;
struct mp_store_sess;

/* Schema version this build writes; older databases are upgraded in place. */
#define MP_STORE_SCHEMA_VERSION 15

struct mp_store_opts {
    unsigned pool_size;   /* sessions (connections); >= 1 */
    unsigned busy_ms;     /* how long a writer waits for the lock (PostgreSQL: lock_timeout) */
    /* SQLite: synchronous=FULL (survives power loss) vs NORMAL (survives
     * kill -9). PostgreSQL: synchronous_commit on vs off for this server's
     * sessions (off may lose the last commits on a crash of PostgreSQL
     * itself, never consistency). */
    bool sync_full;
    bool readonly;        /* open without write access */
    /* Checkpoint the WAL from a thread of the store's own instead of inside
     * the committing call: a commit then only appends to the WAL and syncs
     * it, and copying pages back into the database file (and its fsync)
     * runs beside the writer. For the server; one-shot commands keep
     * SQLite's automatic checkpoints. */
    bool bg_checkpoint;
    /* Upgrade an older database no further than this version (0: to
     * MP_STORE_SCHEMA_VERSION). Only for making the databases of earlier
     * versions in tests of the upgrades: the store's other functions expect
     * the current schema. */
    int schema_version;
    /* The city pack's id (borrowed for mp_store_open): the municipality of
     * the reports and clusters stored before schema version 10. NULL only
     * where the city is not known (then such a database is refused). */
    const char *municipality;
};

void mp_store_opts_default(struct mp_store_opts *o);

/* Whether location names a database server ("postgresql://..." or
 * "postgres://...", a libpq connection URI) rather than a SQLite file path. */
bool mp_store_location_is_url(const char *location);

/* The store operations that the engine serving location does not have
 * yet (the PostgreSQL engine is being completed; SQLite has them all): their
 * names, comma-separated, in buf (cut short with "..." at cap), and how many
 * there are. Such an operation answers MP_EUNSUPPORTED. */
size_t mp_store_missing_ops(const char *location, char *buf, size_t cap);

/* Open (creating and upgrading the schema when needed) the database at
 * location: a PostgreSQL URL (mp_store_location_is_url) or else the path of
 * a SQLite file. New object in *out, freed with mp_store_close. */
enum mp_status mp_store_open(const char *location, const struct mp_store_opts *opts,
                             struct mp_store **out, struct mp_error *err) MP_WUR;
void mp_store_close(struct mp_store *s);

/* Borrow a session; blocks until one is free. Never fails once opened (on
 * PostgreSQL a session whose connection was lost reconnects on its next
 * use; until then its operations answer MP_EUNAVAIL). */
struct mp_store_sess *mp_store_acquire(struct mp_store *s);
void mp_store_release(struct mp_store *s, struct mp_store_sess *sess);

/* The schema version found in the database (-1 when it cannot be read). */
int mp_store_schema_version(struct mp_store_sess *sess);

/* Transactions. begin_write takes the write lock at once (BEGIN IMMEDIATE).
 * MP_EUNAVAIL when the database cannot be written (read-only, disk full). */
enum mp_status mp_store_begin_write(struct mp_store_sess *sess, struct mp_error *err) MP_WUR;
/* Where a writer will read and write clusters: those of one
 * municipality and category within a metric box (x0 <= x1, y0 <= y1). */
struct mp_store_place {
    const char *municipality; /* borrowed */
    const char *category;     /* borrowed */
    double x0, y0, x1, y1;
};
/* Whether the engine can lock places (below) rather than the database: if
 * not, a writer need not work its places out. */
bool mp_store_locks_places(const struct mp_store_sess *sess);
/* begin_write for a writer (group commit's batch) that reads and writes
 * only the clusters of the n places (other rows only by inserting them).
 * PostgreSQL locks the database shared and each category's grid cells
 * under the places exclusively, so that servers writing other places go on
 * at the same time, while begin_write waits for all of them (and they for
 * it). Elsewhere: begin_write. */
enum mp_status mp_store_begin_write_places(struct mp_store_sess *sess,
                                           const struct mp_store_place *places, size_t n,
                                           struct mp_error *err) MP_WUR;
/* Whether the current (or just rolled back) write transaction failed
 * because another writer's got in its way (PostgreSQL: deadlock detected,
 * serialization failure): rolled back and run again it may well succeed.
 * Cleared by the next begin_write. Always false on SQLite. */
bool mp_store_tx_conflict(struct mp_store_sess *sess);
enum mp_status mp_store_begin_read(struct mp_store_sess *sess) MP_WUR;
enum mp_status mp_store_commit(struct mp_store_sess *sess, struct mp_error *err) MP_WUR;
void mp_store_rollback(struct mp_store_sess *sess);
/* The end of a write: commit when rc is MP_OK, else roll back and return rc. */
enum mp_status mp_store_end(struct mp_store_sess *sess, enum mp_status rc,
                            struct mp_error *err) MP_WUR;
/* A savepoint inside the open write transaction, so that one failed item of
 * a batch does not undo the others: release keeps its work, undo drops it. */
enum mp_status mp_store_savepoint(struct mp_store_sess *sess) MP_WUR;
enum mp_status mp_store_savepoint_release(struct mp_store_sess *sess) MP_WUR;
void mp_store_savepoint_undo(struct mp_store_sess *sess);
/* Rows this session has inserted, changed or deleted since it was opened
 * (by triggers too): equal before and after a step means the step wrote
 * nothing, so that a failed step needs no savepoint to be undone; -1 when
 * the engine cannot tell. */
int64_t mp_store_changes(struct mp_store_sess *sess);

/* ---- clusters, as the clustering code sees them ---- */

/* Clusters of municipality and category whose centre may lie within the
 * metric square of half side r around (x, y) (a superset: callers check
 * distances) and, with window >= 0, whose span of reports comes within
 * window seconds of t (the time test of the duplicate rules, so that old
 * clusters never crowd the cap). Fills up to cap entries of out; *n gets the
 * count written. Uses the grid-cell index on (municipality, category, cell). */
enum mp_status mp_store_cluster_candidates(struct mp_store_sess *sess, const char *municipality,
                                           const char *category, double x, double y, double r,
                                           int64_t t, int64_t window,
                                           struct mp_cluster_state *out, size_t cap,
                                           size_t *n) MP_WUR;
enum mp_status mp_store_cluster_state(struct mp_store_sess *sess, int64_t id,
                                      struct mp_cluster_state *out) MP_WUR;
/* Insert a new cluster from st (id ignored); *id receives the new id. */
enum mp_status mp_store_cluster_create(struct mp_store_sess *sess,
                                       const struct mp_cluster_state *st, int64_t *id) MP_WUR;
/* Write centre, sums, count, times back for st->id. */
enum mp_status mp_store_cluster_update(struct mp_store_sess *sess,
                                       const struct mp_cluster_state *st) MP_WUR;

/* Set the status of a cluster and all its reports; fixed_at as given. */
enum mp_status mp_store_cluster_set_status(struct mp_store_sess *sess, int64_t id,
                                           const char *status, int64_t fixed_at,
                                           int64_t now) MP_WUR;

/* ---- corrections and re-clustering ---- */

/* Aggregates of a cluster's members (count 0 when it has none). */
enum mp_status mp_store_cluster_members(struct mp_store_sess *sess, int64_t cluster_id,
                                        struct mp_member_stats *out) MP_WUR;
/* Point every report of cluster from at cluster to (status copied from to). */
enum mp_status mp_store_reports_move_all(struct mp_store_sess *sess, int64_t from, int64_t to,
                                         const char *status) MP_WUR;
/* Put one report in a cluster, with its status and why (JSON or NULL). */
enum mp_status mp_store_report_set_cluster(struct mp_store_sess *sess, int64_t report_id,
                                           int64_t cluster_id, const char *status,
                                           const char *join_reason) MP_WUR;
/* Delete an empty cluster (row and metric index); its history moves to
 * heir (or is deleted when heir is 0). */
enum mp_status mp_store_cluster_delete(struct mp_store_sess *sess, int64_t id,
                                       int64_t heir) MP_WUR;
/* Log a correction and the pairwise constraint it implies (must = same
 * cluster, !must = never). a == b records no constraint. */
enum mp_status mp_store_correction_add(struct mp_store_sess *sess,
                                       const struct mp_correction_rec *c) MP_WUR;
enum mp_status mp_store_constraint_add(struct mp_store_sess *sess, int64_t a, int64_t b,
                                       bool must, int64_t at) MP_WUR;

/* Reports (of one category, or all when NULL) in time order. */
enum mp_status mp_store_replay_reports(struct mp_store_sess *sess, const char *category,
                                       mp_replay_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_constraints(struct mp_store_sess *sess, mp_constraint_cb cb,
                                    void *ctx) MP_WUR;
/* Cluster states with ids in [lo, hi], in id order (re-clustering reads
 * them in blocks as it claims clusters). */
enum mp_status mp_store_cluster_states_range(struct mp_store_sess *sess, int64_t lo, int64_t hi,
                                             mp_state_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_cluster_ids(struct mp_store_sess *sess, mp_cluster_id_cb cb,
                                    void *ctx) MP_WUR;
/* The highest cluster id ever given, deleted clusters included (0 when
 * there was none): the next new cluster gets this plus one, and a caller
 * that chooses ids itself (re-clustering) must start above it. */
enum mp_status mp_store_cluster_max_id(struct mp_store_sess *sess, int64_t *max) MP_WUR;
/* Insert a cluster under the id c->id chosen by the caller (unused), as
 * mp_store_cluster_create does otherwise. */
enum mp_status mp_store_cluster_insert(struct mp_store_sess *sess,
                                       const struct mp_cluster_state *c) MP_WUR;
/* Check foreign keys at COMMIT instead of per statement until the current
 * transaction ends: for a writer that points rows at a parent it inserts
 * later in the same transaction. */
enum mp_status mp_store_defer_foreign_keys(struct mp_store_sess *sess) MP_WUR;

/* ---- reports ---- */

enum mp_status mp_store_report_insert(struct mp_store_sess *sess, const struct mp_report_rec *r,
                                      int64_t *id) MP_WUR;
/* Whether a report of municipality with this external id exists (import
 * idempotence; an external id is unique within its municipality, and
 * mp_store_report_insert answers MP_ECONFLICT for a second one). */
enum mp_status mp_store_report_external_exists(struct mp_store_sess *sess,
                                               const char *municipality, const char *ext,
                                               bool *exists) MP_WUR;

/* Photos: processed images (metadata already stripped) of one report. */
enum mp_status mp_store_photo_put(struct mp_store_sess *sess, int64_t report_id,
                                  const struct mp_photo_rec *p) MP_WUR;
/* Copy of the full image or its thumbnail: NEW allocation in *data (free()). */
enum mp_status mp_store_photo_get(struct mp_store_sess *sess, int64_t report_id, bool thumb,
                                  void **data, size_t *len) MP_WUR;

/* Status history entry (cluster-wide when report_id is 0). */
enum mp_status mp_store_history_add(struct mp_store_sess *sess, const struct mp_history_rec *h) MP_WUR;

/* ---- reading ---- */

/* Iterate matching rows in id order; a non-zero return from cb stops the
 * iteration (MP_OK is still returned). Without q->with_private, rows of a
 * bbox list come from the public map table and leave external_id,
 * join_reason and street NULL too. */
enum mp_status mp_store_reports(struct mp_store_sess *sess, const struct mp_query *q,
                                mp_report_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_clusters(struct mp_store_sess *sess, const struct mp_query *q,
                                 mp_cluster_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_report_get(struct mp_store_sess *sess, int64_t id, bool with_private,
                                   mp_report_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_cluster_get(struct mp_store_sess *sess, int64_t id, mp_cluster_cb cb,
                                    void *ctx) MP_WUR;
/* Reports of one cluster, oldest first. */
enum mp_status mp_store_cluster_reports(struct mp_store_sess *sess, int64_t cluster_id,
                                        mp_report_cb cb, void *ctx) MP_WUR;

/* History of a cluster (report_id 0) or of a report (its own and its cluster's). */
enum mp_status mp_store_history(struct mp_store_sess *sess, int64_t cluster_id,
                                mp_history_cb cb, void *ctx) MP_WUR;

/* Grid aggregation of clusters for the map at low zoom. */
enum mp_status mp_store_cluster_grid(struct mp_store_sess *sess, const struct mp_query *q,
                                     double cell_deg, mp_grid_cb cb, void *ctx) MP_WUR;

/* The same from the precomputed pyramid (levels 10, 12, 14) for zoom <= 14:
 * cells of 90 / 2^zoom degrees on the global lattice (gx counts from -180,
 * gy from -90). Honours bbox, categories and statuses only: MP_EUNSUPPORTED
 * when q has other filters or zoom is above 14 (use mp_store_cluster_grid). */
enum mp_status mp_store_grid_pyramid(struct mp_store_sess *sess, const struct mp_query *q,
                                     int zoom, mp_grid_cb cb, void *ctx) MP_WUR;

/* Bytes of memory the session's storage engine holds in this process now
 * (SQLite: its page caches and statements, for every connection;
 * PostgreSQL: what libpq holds, about 0, as the caches live in the
 * server): for /healthz, to tell cache growth from a leak. */
int64_t mp_store_memory_used(struct mp_store_sess *sess);

/* A number that changes whenever a report or a cluster changes, whichever
 * process changed it (kept by triggers): the validator of cached answers. */
enum mp_status mp_store_change_counter(struct mp_store_sess *sess, int64_t *n) MP_WUR;

/* Counts for /healthz. */
enum mp_status mp_store_counts(struct mp_store_sess *sess, int64_t *reports,
                               int64_t *clusters) MP_WUR;

/* For /metrics (server/store_sqlite_info.c): cb once per status in use, with
 * the number of reports (clusters = false) or clusters in it; the status
 * string is borrowed for the call. And the database's size in bytes (its
 * pages, without the write-ahead log). */
typedef void (*mp_store_status_count_cb)(void *ctx, const char *status, int64_t n);
enum mp_status mp_store_status_counts(struct mp_store_sess *sess, bool clusters,
                                      mp_store_status_count_cb cb, void *ctx) MP_WUR;
enum mp_status mp_store_size_bytes(struct mp_store_sess *sess, int64_t *bytes) MP_WUR;

/* sess's PRAGMA synchronous into *mode (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA); server/store_sqlite_info.c. */
enum mp_status mp_store_sync_mode(struct mp_store_sess *sess, int *mode) MP_WUR;

/* ---- regionfaces: re-keying old rows to a region's members (reroute) ---- */

/* Set the municipality of report id (cluster false) or cluster id to
 * municipality (borrowed for the call): for the rows to which the upgrade to
 * schema 10 gave the pack's own id because they predate municipalities.
 * MP_ENOTFOUND when there is no such row. SQLite only: a PostgreSQL database
 * began at schema 10, keyed by its members (MP_EUNSUPPORTED). */
enum mp_status mp_store_set_municipality(struct mp_store_sess *sess, bool cluster, int64_t id,
                                         const char *municipality) MP_WUR;

#endif
