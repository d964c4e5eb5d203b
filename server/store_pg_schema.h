/* store_pg_schema.h - PRIVATE to server/store_pg*.c: creating and upgrading
 * the PostgreSQL schema (store_pg_schema.c). */
#ifndef MELDPUNT_STORE_PG_SCHEMA_H
#define MELDPUNT_STORE_PG_SCHEMA_H

#include "meldpunt/status.h"

struct mp_pg_sess;

/* The schema version the PostgreSQL migrations reach. The numbers are the
 * SQLite engine's (store.h's MP_STORE_SCHEMA_VERSION): a version means the
 * same data on both engines. The first PostgreSQL schema starts at 10, the
 * first version with municipalities and never-reused ids. */
/* The map table and grid pyramid (pgmap, store_pg_schema.c): the one place
 * that numbers that step. */
#define MP_PG_SCHEMA_MAP 14
#define MP_PG_SCHEMA_VERSION 15

/* Bring the database of s up to MP_PG_SCHEMA_VERSION, in one transaction
 * that holds an advisory lock, so that servers starting together upgrade
 * it once. MP_EDB with a message when the database is newer than this
 * build, MP_EUNAVAIL when it cannot be reached. */
enum mp_status mp_pg_schema_migrate(struct mp_pg_sess *s, struct mp_error *err) MP_WUR;
/* The schema version in the database, -1 when it cannot be read. */
int mp_pg_schema_read_version(struct mp_pg_sess *s);
/* Run constant SQL of one or more statements (never anything from a
 * request) on s in one round trip, by the simple-query protocol: the
 * migrations, and the write transaction's BEGIN + lock and bump + COMMIT
 * (store_pg_pool.c). MP_OK when every statement succeeded, else the first
 * failure's status (logged as what). */
enum mp_status mp_pg_exec_script(struct mp_pg_sess *s, const char *sql, const char *what);

#endif
