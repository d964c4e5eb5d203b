/* harness.c - see harness.h. The server runs as a real child process: the
 * point of these tests is the binary as an operator runs it (argv, signals,
 * its stdout line, the database left on disk), not the library. */
/* nftw() (XSI) and memmem() (GNU) */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>

/* ---- paths ---- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Absolute: children run with the source tree as their working directory. */
const char *it_binary(void)
{
    static char buf[4096];
    if (!buf[0] && !realpath(env_or("MELDPUNT_BINARY", "./meldpunt"), buf))
        snprintf(buf, sizeof buf, "%s", env_or("MELDPUNT_BINARY", "./meldpunt"));
    return buf;
}

const char *it_source_dir(void) { return env_or("MELDPUNT_SOURCE_DIR", ".."); }

const char *it_shared_dir(void)
{
    static char buf[1024];
    const char *v = getenv("MELDPUNT_SHARED_DIR");
    if (v && *v)
        return v;
    snprintf(buf, sizeof buf, "%s/../shared", it_source_dir());
    return buf;
}

const char *it_demo_csv(void)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/geodata/chicago/demo/chicago311-2021-01-01.csv",
             it_source_dir());
    return buf;
}

int64_t it_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- files ---- */

void it_tmpdir(char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/meldpunt-it-XXXXXX", env_or("TMPDIR", "/tmp"));
    if (n < 0 || (size_t)n >= cap || !mkdtemp(out))
        fail_msg("cannot create a temporary directory: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "harness: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void it_rmrf(const char *path)
{
    if (path && *path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void it_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    size_t put = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || put != len)
        fail_msg("cannot write %s", path);
}

void it_copy_file(const char *from, const char *to)
{
    size_t n = 0;
    char *data = it_read_file(from, &n);
    if (!data)
        fail_msg("cannot read %s: %s", from, strerror(errno));
    it_write_file(to, data, n);
    free(data);
}

/* ---- child processes ---- */

/* What every child gets: the city pack and web folder are found from the
 * source tree; no map tiles from outside (there is no network here). */
static void child_env(void)
{
    setenv("MELDPUNT_TILE_URL", "", 1);
    /* The tests post fast from one address; the limit has tests of its own. */
    setenv("MELDPUNT_RATE_WRITES", "0", 1);
    setenv("MELDPUNT_RATE_READS", "0", 1); /* the same for expensive reads */
    unsetenv("MELDPUNT_DB");
    unsetenv("MELDPUNT_LISTEN");
    unsetenv("MELDPUNT_CITY");
    unsetenv("MELDPUNT_WEB");
    if (chdir(it_source_dir()) != 0)
        _exit(126);
}

static void redirect(int fd, const char *path, int flags)
{
    int f = open(path, flags, 0600);
    if (f < 0)
        _exit(126);
    if (dup2(f, fd) < 0)
        _exit(126);
    close(f);
}

static int wait_status(pid_t pid, long timeout_ms, bool *done)
{
    int64_t until = it_now_ms() + timeout_ms;
    int st = 0;
    *done = false;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            *done = true;
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        if (r < 0 && errno != EINTR) {
            *done = true;
            return -1;
        }
        if (timeout_ms >= 0 && it_now_ms() > until)
            return -1;
        sleep_ms(5);
    }
}

int it_run(const char *const argv[], char **out, char **err)
{
    char dir[512], op[600], ep[600];
    it_tmpdir(dir, sizeof dir);
    snprintf(op, sizeof op, "%s/stdout", dir);
    snprintf(ep, sizeof ep, "%s/stderr", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        redirect(0, "/dev/null", O_RDONLY);
        redirect(1, op, O_WRONLY | O_CREAT | O_TRUNC);
        redirect(2, ep, O_WRONLY | O_CREAT | O_TRUNC);
        child_env();
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    bool done;
    int rc = wait_status(pid, 600000, &done);
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    char *o = it_read_file(op, NULL), *e = it_read_file(ep, NULL);
    it_rmrf(dir);
    if (e && (strstr(e, "ERROR: AddressSanitizer") || strstr(e, "ERROR: LeakSanitizer") ||
              strstr(e, "runtime error:")))
        fail_msg("%s: sanitizer report:\n%s", argv[0], e);
    if (out)
        *out = o ? o : strdup("");
    else
        free(o);
    if (err)
        *err = e ? e : strdup("");
    else
        free(e);
    if (!done)
        fail_msg("%s %s did not finish in time", argv[0], argv[1] ? argv[1] : "");
    return rc;
}

int it_import(const char *db, const char *csv, char **out, char **err)
{
    char city[1024];
    snprintf(city, sizeof city, "%s/geodata/chicago", it_source_dir());
    const char *argv[] = {it_binary(), "import", "--db", db, "--city", city,
                          "--format", "chicago311", csv, NULL};
    return it_run(argv, out, err);
}

int it_sqlite(const char *db, const char *sql, char **out)
{
    if (strncmp(db, "postgresql://", 13) == 0) {
        /* Unaligned rows without a header, '|' between columns: what
         * sqlite3 -batch prints. */
        char psql[600];
        snprintf(psql, sizeof psql, "%s/psql", env_or("PG_BIN", "/usr/lib/postgresql/15/bin"));
        const char *argv[] = {psql, "--no-psqlrc", "--quiet", "--no-align", "--tuples-only",
                              "--set=ON_ERROR_STOP=1", "--dbname", db, "--command", sql, NULL};
        return it_run(argv, out, NULL);
    }
    const char *argv[] = {"/usr/bin/sqlite3", "-batch", db, sql, NULL};
    return it_run(argv, out, NULL);
}

bool it_engine_pg(void)
{
    const char *e = getenv("MELDPUNT_TEST_ENGINE");
    return e && strcmp(e, "pg") == 0;
}

/* tests/pg/cluster.sh VERB MELDPUNT_TEST_PG_DIR name [template]: creates
 * (printing the URL into url; from template, NULL: the cluster's) or drops
 * a database of the test cluster. */
static void pg_database_from(const char *verb, const char *name, const char *template,
                             char *url, size_t cap)
{
    char script[1024], *out = NULL, *err = NULL;
    const char *dir = getenv("MELDPUNT_TEST_PG_DIR");
    if (!dir)
        fail_msg("MELDPUNT_TEST_PG_DIR is not set (tests/CMakeLists.txt sets it)");
    snprintf(script, sizeof script, "%s/tests/pg/cluster.sh", it_source_dir());
    const char *argv[] = {script, verb, dir, name, template, NULL};
    int rc = it_run(argv, &out, &err);
    if (rc != 0)
        fail_msg("cluster.sh %s %s: %s", verb, name, err);
    if (url) {
        out[strcspn(out, "\n")] = '\0';
        if (snprintf(url, cap, "%s", out) >= (int)cap)
            fail_msg("cluster.sh %s %s: the URL is too long", verb, name);
    }
    free(out);
    free(err);
}

static void pg_database(const char *verb, const char *name, char *url, size_t cap)
{
    pg_database_from(verb, name, NULL, url, cap);
}

/* The database name in a URL of cluster.sh (postgresql://ROLE@/NAME?host=...). */
static void pg_name_of(const char *url, char *name, size_t cap)
{
    const char *p = strstr(url, "@/");
    if (!p)
        fail_msg("not a database URL of the test cluster: %s", url);
    p += 2;
    size_t n = strcspn(p, "?");
    if (n == 0 || n >= cap)
        fail_msg("no database name in %s", url);
    memcpy(name, p, n);
    name[n] = '\0';
}

void it_db_make(const char *dir, const char *name, char *db, size_t cap)
{
    if (!it_engine_pg()) {
        if (snprintf(db, cap, "%s/%s.sqlite", dir, name) >= (int)cap)
            fail_msg("database path too long");
        return;
    }
    char pg_name[64];
    snprintf(pg_name, sizeof pg_name, "mpi_%ld_%s", (long)getpid(), name);
    pg_database("create", pg_name, db, cap);
}

void it_db_drop(const char *db)
{
    if (strncmp(db, "postgresql://", 13) != 0)
        return;
    char pg_name[64];
    pg_name_of(db, pg_name, sizeof pg_name);
    pg_database("drop", pg_name, NULL, 0);
}

/* ---- the server ---- */

void it_server_init(struct it_server *s)
{
    static unsigned counter;
    memset(s, 0, sizeof *s);
    it_tmpdir(s->dir, sizeof s->dir);
    snprintf(s->db, sizeof s->db, "%s/db.sqlite", s->dir);
    if (it_engine_pg()) {
        snprintf(s->pg_name, sizeof s->pg_name, "mpi_%ld_%u", (long)getpid(), ++counter);
        pg_database("create", s->pg_name, s->db, sizeof s->db);
    }
    snprintf(s->out_log, sizeof s->out_log, "%s/stdout.log", s->dir);
    snprintf(s->err_log, sizeof s->err_log, "%s/stderr.log", s->dir);
}

void it_server_copy_db(struct it_server *s, const char *db)
{
    if (!s->pg_name[0]) {
        it_copy_file(db, s->db);
        return;
    }
    char from[64];
    pg_name_of(db, from, sizeof from);
    pg_database("drop", s->pg_name, NULL, 0);
    pg_database_from("create", s->pg_name, from, s->db, sizeof s->db);
}

static void print_log_tail(const struct it_server *s)
{
    size_t n = 0;
    char *log = it_read_file(s->err_log, &n);
    if (log) {
        const char *p = n > 4000 ? log + n - 4000 : log;
        print_error("--- server stderr (%s) ---\n%s\n---\n", s->err_log, p);
        free(log);
    }
}

void it_server_start(struct it_server *s)
{
    char city[1024], web[1024];
    snprintf(city, sizeof city, "%s/geodata/chicago", it_source_dir());
    snprintf(web, sizeof web, "%s/web", it_source_dir());
    const char *argv[] = {it_binary(), "serve", "--db", s->db, "--listen", "127.0.0.1:0",
                          "--city", city, "--web", web, NULL};
    assert_int_equal(s->pid, 0);
    /* The last run's port line must not be mistaken for this run's. */
    remove(s->out_log);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        redirect(0, "/dev/null", O_RDONLY);
        /* stdout anew for each start (the port line), stderr kept across
         * restarts so that the sanitizer check sees every run. */
        redirect(1, s->out_log, O_WRONLY | O_CREAT | O_TRUNC);
        redirect(2, s->err_log, O_WRONLY | O_CREAT | O_APPEND);
        child_env();
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    int64_t until = it_now_ms() + IT_START_TIMEOUT_MS;
    static const char mark[] = "meldpunt: listening on http://127.0.0.1:";
    for (;;) {
        char *out = it_read_file(s->out_log, NULL);
        const char *hit = out ? strstr(out, mark) : NULL;
        unsigned port = 0;
        if (hit && strchr(hit, '\n') && sscanf(hit + sizeof mark - 1, "%u", &port) == 1 &&
            port > 0 && port < 65536) {
            free(out);
            s->port = port;
            snprintf(s->base, sizeof s->base, "http://127.0.0.1:%u", port);
            return;
        }
        free(out);
        int st = 0;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            print_log_tail(s);
            fail_msg("server exited before listening (status %d)",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
        }
        if (it_now_ms() > until) {
            it_server_kill(s);
            print_log_tail(s);
            fail_msg("server did not print its port within %d ms", IT_START_TIMEOUT_MS);
        }
        sleep_ms(10);
    }
}

int it_server_stop(struct it_server *s)
{
    if (!s->pid)
        return -1;
    kill(s->pid, SIGTERM);
    bool done;
    int rc = wait_status(s->pid, IT_STOP_TIMEOUT_MS, &done);
    if (!done) {
        print_error("server %d did not stop on SIGTERM within %d ms; killing it\n", (int)s->pid,
                    IT_STOP_TIMEOUT_MS);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        rc = -1;
    }
    s->pid = 0;
    s->port = 0;
    if (rc != 0)
        print_log_tail(s);
    return rc;
}

void it_server_kill(struct it_server *s)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    s->port = 0;
}

void it_server_check_log(const struct it_server *s)
{
    char *log = it_read_file(s->err_log, NULL);
    if (!log)
        return;
    bool bad = strstr(log, "ERROR: AddressSanitizer") || strstr(log, "ERROR: LeakSanitizer") ||
               strstr(log, "runtime error:") || strstr(log, "WARNING: ThreadSanitizer");
    free(log);
    if (bad) {
        print_log_tail(s);
        fail_msg("the server's stderr holds a sanitizer report");
    }
}

void it_server_cleanup(struct it_server *s)
{
    if (s->pid) {
        /* A test that failed half-way: still insist on a clean exit, it is
         * cheap and catches leaks on the error paths. */
        int rc = it_server_stop(s);
        if (rc != 0)
            print_error("server exit status %d at cleanup\n", rc);
    }
    it_server_check_log(s);
    it_rmrf(s->dir);
    s->dir[0] = '\0';
    if (s->pg_name[0])
        pg_database("drop", s->pg_name, NULL, 0);
    s->pg_name[0] = '\0';
}

/* ---- cmocka fixtures ---- */

int it_setup_server(void **state)
{
    struct it_fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    it_server_init(&f->s);
    it_server_start(&f->s);
    *state = f;
    return 0;
}

int it_teardown_server(void **state)
{
    struct it_fixture *f = *state;
    if (!f)
        return 0;
    int rc = f->s.pid ? it_server_stop(&f->s) : 0;
    it_server_cleanup(&f->s);
    free(f);
    assert_int_equal(rc, 0);
    return 0;
}

/* ---- HTTP ---- */

struct grow {
    char *p;
    size_t n, cap;
};

static size_t grow_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct grow *g = ud;
    size_t len = size * nmemb;
    if (g->n + len + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->n + len + 1)
            cap *= 2;
        char *np = realloc(g->p, cap);
        if (!np)
            return 0;
        g->p = np;
        g->cap = cap;
    }
    memcpy(g->p + g->n, data, len);
    g->n += len;
    g->p[g->n] = '\0';
    return len;
}

static void curl_once(void)
{
    static bool done;
    if (!done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        done = true;
    }
}

void it_http(const struct it_server *s, const char *method, const char *path,
             const char *const *headers, const void *body, size_t body_len,
             struct it_response *r)
{
    struct grow hb = {0}, bb = {0};
    struct curl_slist *hl = NULL;
    bool has_ct = false;
    memset(r, 0, sizeof *r);
    assert_true(s->port > 0);
    curl_once();
    size_t ul = strlen(s->base) + strlen(path) + 1;
    char *url = malloc(ul);
    assert_non_null(url);
    memcpy(url, s->base, strlen(s->base));
    memcpy(url + strlen(s->base), path, strlen(path) + 1);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    for (const char *const *h = headers; h && *h; h++) {
        hl = curl_slist_append(hl, *h);
        has_ct = has_ct || strncasecmp(*h, "Content-Type:", 13) == 0;
    }
    /* No 100-continue round trip, and no invented form Content-Type. */
    hl = curl_slist_append(hl, "Expect:");
    if (!has_ct)
        hl = curl_slist_append(hl, "Content-Type:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        if (body || strcmp(method, "POST") == 0) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        }
        if (strcmp(method, "POST") != 0 && (body || strcmp(method, "GET") != 0))
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode cc = curl_easy_perform(c);
    free(url);
    if (cc != CURLE_OK) {
        curl_slist_free_all(hl);
        curl_easy_cleanup(c);
        free(hb.p);
        free(bb.p);
        fail_msg("%s %s: curl: %s", method, path, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    r->headers = hb.p ? hb.p : strdup("");
    r->body = bb.p ? bb.p : strdup("");
    r->body_len = bb.n;
    assert_non_null(r->headers);
    assert_non_null(r->body);
}

void it_get(const struct it_server *s, const char *path, struct it_response *r)
{
    it_http(s, "GET", path, NULL, NULL, 0, r);
}

void it_post_json(const struct it_server *s, const char *path, const char *json,
                  struct it_response *r)
{
    static const char *const h[] = {"Content-Type: application/json", NULL};
    it_http(s, "POST", path, h, json, strlen(json), r);
}

void it_response_free(struct it_response *r)
{
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof *r);
}

bool it_header(const struct it_response *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    /* With redirects or 100-continue there could be several blocks; the
     * last one is the answer. */
    const char *found = NULL;
    for (const char *line = r->headers; line && *line;) {
        const char *end = strchr(line, '\n');
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':')
            found = line + nl + 1;
        if (strncmp(line, "HTTP/", 5) == 0)
            found = NULL;
        line = end ? end + 1 : NULL;
    }
    if (!found)
        return false;
    while (*found == ' ' || *found == '\t')
        found++;
    size_t len = strcspn(found, "\r\n");
    if (cap) {
        size_t k = len < cap - 1 ? len : cap - 1;
        memcpy(out, found, k);
        out[k] = '\0';
    }
    return true;
}

json_t *it_json(const struct it_response *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        fail_msg("response (HTTP %ld) is not JSON (%s at %d:%d): %.300s", r->status, je.text,
                 je.line, je.column, r->body);
    return j;
}

json_t *it_get_json(const struct it_server *s, const char *path)
{
    struct it_response r;
    it_get(s, path, &r);
    if (r.status != 200)
        fail_msg("GET %s: HTTP %ld: %.300s", path, r.status, r.body);
    json_t *j = it_json(&r);
    it_response_free(&r);
    return j;
}

bool it_body_has(const struct it_response *r, const char *needle)
{
    return memmem(r->body, r->body_len, needle, strlen(needle)) != NULL;
}

json_t *it_jpath(json_t *root, const char *path)
{
    char seg[128];
    json_t *cur = root;
    const char *p = path;
    while (cur && *p) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, p, n);
        seg[n] = '\0';
        p += n;
        if (*p == '.')
            p++;
        if (json_is_array(cur)) {
            char *end = NULL;
            unsigned long i = strtoul(seg, &end, 10);
            cur = *end ? NULL : json_array_get(cur, i);
        } else {
            cur = json_object_get(cur, seg);
        }
    }
    return cur;
}

int64_t it_jint(json_t *root, const char *path)
{
    json_t *v = it_jpath(root, path);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

double it_jnum(json_t *root, const char *path)
{
    json_t *v = it_jpath(root, path);
    if (!json_is_number(v))
        fail_msg("%s is not a number", path);
    return json_number_value(v);
}

const char *it_jstr(json_t *root, const char *path)
{
    json_t *v = it_jpath(root, path);
    if (!json_is_string(v))
        fail_msg("%s is not a string", path);
    return json_string_value(v);
}

int64_t it_parse_utc(const char *s)
{
    int y, mo, d, h, mi, se;
    char z = 0;
    int used = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &se, &z, &used) != 7 ||
        z != 'Z' || s[used] != '\0')
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = se};
    return (int64_t)timegm(&tm);
}

json_t *it_post_report(const struct it_server *s, const char *category, double lat, double lon,
                       const char *extra)
{
    char body[4096];
    int n = snprintf(body, sizeof body, "{\"category\":\"%s\",\"lat\":%.7f,\"lon\":%.7f%s%s}",
                     category, lat, lon, extra && *extra ? "," : "", extra ? extra : "");
    assert_true(n > 0 && (size_t)n < sizeof body);
    struct it_response r;
    it_post_json(s, "/api/v1/reports", body, &r);
    if (r.status != 201)
        fail_msg("POST %s: HTTP %ld: %.300s", body, r.status, r.body);
    json_t *j = it_json(&r);
    it_response_free(&r);
    return j;
}
