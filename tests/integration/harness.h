/* harness.h - integration test harness: the real meldpunt binary as a child
 * process on 127.0.0.1 with port 0, driven over HTTP with libcurl.
 *
 * Environment (set by tests/CMakeLists.txt): MELDPUNT_BINARY (the server),
 * MELDPUNT_SOURCE_DIR (repo root), MELDPUNT_SHARED_DIR (../shared). ASAN_OPTIONS
 * and UBSAN_OPTIONS pass through to the child unchanged.
 *
 * Ownership: every it_* function that fills a struct or returns a char * hands
 * the caller a new object, freed with the matching *_free or free(). Nothing
 * here is thread-safe: one test thread drives one or more servers.
 *
 * Failures inside the harness (a server that does not start, curl errors)
 * fail the current cmocka test through fail_msg(), so callers need not check.
 */
#ifndef MELDPUNT_IT_HARNESS_H
#define MELDPUNT_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

/* Generous: under ASan+UBSan the server opens SpatiaLite and PROJ slowly. */
#define IT_START_TIMEOUT_MS 60000
#define IT_STOP_TIMEOUT_MS 30000

/* Whether the tests run on PostgreSQL: MELDPUNT_TEST_ENGINE=pg, with
 * MELDPUNT_TEST_PG_DIR the folder of the cluster of tests/pg/cluster.sh.
 * Then a server's db is the URL of a database of its own, made from the
 * cluster's PostGIS template and dropped by it_server_cleanup. */
bool it_engine_pg(void);

/* Paths from the environment (with fallbacks for a manual run from the
 * build directory). Borrowed, valid for the whole run. */
const char *it_binary(void);
const char *it_source_dir(void);
const char *it_shared_dir(void);

/* A temporary directory (mkdtemp under $TMPDIR or /tmp) and its removal. */
void it_tmpdir(char *out, size_t cap);
void it_rmrf(const char *path);

/* Read a whole file; new buffer (NUL-terminated, *len excludes the NUL) or NULL. */
char *it_read_file(const char *path, size_t *len);
/* Write a buffer to a file; fails the test on error. */
void it_write_file(const char *path, const void *data, size_t len);

/* Copy a file (e.g. a template database); fails the test on error. */
void it_copy_file(const char *from, const char *to);

/* A database outside any server, e.g. one to import into once and copy for
 * each server (it_server_copy_db): the file dir/name.sqlite, or on
 * PostgreSQL a database of the test cluster made from its template. Its
 * path or URL into db; it_db_drop(db) removes a PostgreSQL one (a file goes
 * with its folder). */
void it_db_make(const char *dir, const char *name, char *db, size_t cap);
void it_db_drop(const char *db);

/* Run /usr/bin/sqlite3 DB SQL, or psql for a postgresql:// DB (rows as
 * sqlite3 prints them: '|' between columns); returns its exit status,
 * stdout in *out (new). */
int it_sqlite(const char *db, const char *sql, char **out);

/* A server process. dir holds db.sqlite (or db is a PostgreSQL URL, see
 * it_engine_pg), stdout.log and stderr.log. */
struct it_server {
    char dir[512];
    char db[600];
    char pg_name[64]; /* the PostgreSQL database, "" on SQLite */
    char out_log[600];
    char err_log[600];
    pid_t pid;      /* 0 when not running */
    unsigned port;
    char base[64];  /* "http://127.0.0.1:PORT" */
};

/* Fill s for a new temporary directory (nothing started yet). */
void it_server_init(struct it_server *s);
/* Start `meldpunt serve` on s->db (kept across restarts); waits for the
 * "listening on" line. Fails the test if the server does not come up. */
void it_server_start(struct it_server *s);
/* SIGTERM and wait; returns the exit status (-1 if killed by a signal or it
 * did not stop in time, in which case it is SIGKILLed). */
int it_server_stop(struct it_server *s);
/* SIGKILL and reap. No-op when not running. */
void it_server_kill(struct it_server *s);
/* Fail the test if stderr.log holds a sanitizer report. */
void it_server_check_log(const struct it_server *s);
/* Put a copy of database db (it_db_make's) under s, initialised and not
 * started: a file copy, or on PostgreSQL CREATE DATABASE ... TEMPLATE. */
void it_server_copy_db(struct it_server *s, const char *db);
/* Kill if still running, check the log, remove the directory. */
void it_server_cleanup(struct it_server *s);

/* What a test's *state holds between it_setup_server and it_teardown_server. */
struct it_fixture {
    struct it_server s;
};
/* cmocka set-up: *state = a new struct it_fixture whose server runs on a new,
 * empty database. */
int it_setup_server(void **state);
/* cmocka tear-down for it_setup_server (a NULL *state is a no-op): SIGTERM,
 * then it_server_cleanup and free. Fails the test unless the server exited
 * with status 0 (a clean exit on SIGTERM: under ASan, also no leaks). */
int it_teardown_server(void **state);

/* Run a program to completion with the server's environment; captures
 * stdout and stderr (new strings, may be NULL pointers to ignore). Returns
 * the exit status, or -1 if it died on a signal. */
int it_run(const char *const argv[], char **out, char **err);
/* `meldpunt import --db DB --city SRC/geodata/chicago --format chicago311 CSV` */
int it_import(const char *db, const char *csv, char **out, char **err);
/* The demo CSV shipped with the city pack (a static path). */
const char *it_demo_csv(void);

/* One HTTP exchange. */
struct it_response {
    long status;
    char *headers; /* raw header block, NUL-terminated */
    char *body;    /* NUL-terminated; body_len excludes the NUL */
    size_t body_len;
};

/* method: "GET", "POST", ...; path: starting with '/' (may carry a query);
 * headers: NULL-terminated list of "Name: value" or NULL; body: NULL for none.
 * A body without a Content-Type header goes out without one (curl's form
 * default is suppressed). Fails the test on transport errors. */
void it_http(const struct it_server *s, const char *method, const char *path,
             const char *const *headers, const void *body, size_t body_len,
             struct it_response *r);
void it_get(const struct it_server *s, const char *path, struct it_response *r);
/* POST with Content-Type: application/json. */
void it_post_json(const struct it_server *s, const char *path, const char *json,
                  struct it_response *r);
void it_response_free(struct it_response *r);
/* Value of a response header (case-insensitive name), copied into out;
 * returns false if absent. */
bool it_header(const struct it_response *r, const char *name, char *out, size_t cap);
/* Parse the body as JSON; fails the test if it is not. New reference. */
json_t *it_json(const struct it_response *r);
/* GET path, assert 200 and return the JSON body (new reference). */
json_t *it_get_json(const struct it_server *s, const char *path);

/* memmem over a response body. */
bool it_body_has(const struct it_response *r, const char *needle);

/* Dotted path lookup in a JSON object ("report.cluster_id"); borrowed. */
json_t *it_jpath(json_t *root, const char *path);
/* The value at a dotted path; fails the test when it is missing or of
 * another type. it_jstr's string is borrowed from root. */
int64_t it_jint(json_t *root, const char *path);
double it_jnum(json_t *root, const char *path);
const char *it_jstr(json_t *root, const char *path);

/* ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" to Unix seconds; -1 on a bad string. */
int64_t it_parse_utc(const char *s);

/* A submitted report: POST a JSON report and assert 201. Returns the parsed
 * answer (new reference). */
json_t *it_post_report(const struct it_server *s, const char *category, double lat, double lon,
                       const char *extra_json_members);

/* Milliseconds on a monotonic clock. */
int64_t it_now_ms(void);

#endif
