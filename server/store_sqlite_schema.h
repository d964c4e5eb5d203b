/* store_schema.h - PRIVATE to server/store*.c: creating and upgrading the
 * SpatiaLite schema (store_schema.c), and the type by which the other store
 * modules (auth, open311, work) hand it their own tables. */
#ifndef MELDPUNT_STORE_SCHEMA_H
#define MELDPUNT_STORE_SCHEMA_H

#include "meldpunt/status.h"

struct mp_store_sess;

/* The schema version the core migrations of store_schema.c reach: store.h's
 * MP_STORE_SCHEMA_VERSION (store_pool.c asserts that they agree; this header
 * does not include store.h, which the pool's own files implement). */
#define MP_STORE_SCHEMA_CORE_VERSION 14

/* A schema component: its own list of migrations, applied in order and
 * tracked in the schema_parts table by name. Append entries, never edit a
 * released one. */
struct mp_store_module {
    const char *name;
    const char *const *migrations;
    int nmigrations;
};

/* The parts, each defined in its module's store_*.c. */
extern const struct mp_store_module mp_store_module_auth;
extern const struct mp_store_module mp_store_module_open311;
extern const struct mp_store_module mp_store_module_work;
extern const struct mp_store_module mp_store_module_notify;
extern const struct mp_store_module mp_store_module_webhooks;
extern const struct mp_store_module mp_store_module_merge;

/* The core migration 10 -> 11: area alerts (store_sqlite_alerts.c). */
extern const char mp_sqlite_alerts_migration[];

/* Bring the database of s up to MP_STORE_SCHEMA_CORE_VERSION (or version
 * when lower and above 0: mp_store_opts.schema_version) and every part up to
 * its last migration, in one exclusive transaction (all or nothing); rows
 * older than version 10 get municipality (mp_store_opts.municipality), and
 * without one such a file is refused (MP_EINVAL with a message). MP_EDB with
 * a message when the file is newer than this build. */
enum mp_status mp_store_schema_migrate(struct mp_store_sess *s, int version,
                                       const char *municipality, struct mp_error *err) MP_WUR;
/* Schema version 9 (store_sqlite_ids.c): every table whose ids leave the
 * server that exists and lacks AUTOINCREMENT is rebuilt with it, keeping
 * its rows, ids, indexes and triggers, and its sequence starts at the
 * highest id the database still quotes. Inside the migration's transaction,
 * with foreign keys off. */
enum mp_status mp_store_ids_never_reused(struct mp_store_sess *s) MP_WUR;
/* Schema version 10 (store_sqlite_ids.c): reports.external_id loses its
 * UNIQUE (reports is rebuilt as above) and the unique index reports_external
 * on (municipality, external_id) takes its place; once done, only makes
 * sure of the index. Same conditions as mp_store_ids_never_reused. */
enum mp_status mp_store_external_ids_per_municipality(struct mp_store_sess *s) MP_WUR;
/* The schema version in the database file (PRAGMA user_version), -1 when it
 * cannot be read. */
int mp_store_schema_user_version(struct mp_store_sess *s);

#endif
