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
#define MP_STORE_SCHEMA_CORE_VERSION 11

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

#define MP_STORE_SCHEMA_CORE_VERSION 11
/* The schema version in the database file (PRAGMA user_version), -1 when it
 * cannot be read. */
int mp_store_schema_user_version(struct mp_store_sess *s);

#endif
