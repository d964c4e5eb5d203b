/* harness.c - see harness.h. */
#include "harness.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meldpunt/config.h"

#ifndef MP_SOURCE_DIR
#define MP_SOURCE_DIR "."
#endif

static struct mp_config g_cfg;
static struct mp_app *g_app;
static struct mp_ctx *g_ctx;
static char g_dir[256];

static void remove_db(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char path[600];
    if (g_ctx)
        mp_app_release(g_app, g_ctx);
    mp_app_close(g_app);
    g_app = NULL;
    g_ctx = NULL;
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        snprintf(path, sizeof path, "%s/fuzz.sqlite%s", g_dir, suffix[i]);
        (void)unlink(path);
    }
    (void)rmdir(g_dir);
}

static void open_app(void)
{
    struct mp_error err = {{0}, {0}};
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    if (!src || !*src)
        src = MP_SOURCE_DIR;
    /* run.sh points this into its build folder and empties it between
     * targets: a crash (abort) skips the atexit clean-up. */
    const char *tmp = getenv("MELDPUNT_FUZZ_TMP");
    snprintf(g_dir, sizeof g_dir, "%s/meldpunt-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    CHECK(mkdtemp(g_dir) != NULL);
    mp_config_defaults(&g_cfg);
    snprintf(g_cfg.db_path, sizeof g_cfg.db_path, "%s/fuzz.sqlite", g_dir);
    snprintf(g_cfg.city_dir, sizeof g_cfg.city_dir, "%s/geodata/chicago", src);
    snprintf(g_cfg.admin_token, sizeof g_cfg.admin_token, "%s", FUZZ_ADMIN_TOKEN);
    /* NORMAL: a commit per accepted input without an fsync each time. */
    g_cfg.sync_full = false;
    if (mp_app_open(&g_cfg, 1, false, &g_app, &err) != MP_OK) {
        fprintf(stderr, "fuzz: cannot open the application (city %s): %s\n", g_cfg.city_dir,
                err.text);
        abort();
    }
    g_ctx = mp_app_acquire(g_app);
    atexit(remove_db);
}

struct mp_app *fuzz_app(void)
{
    if (!g_app)
        open_app();
    return g_app;
}

struct mp_ctx *fuzz_ctx(void)
{
    if (!g_app)
        open_app();
    return g_ctx;
}

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end)
{
    for (; p + 3 <= end; p++)
        if (p[0] == '\n' && p[1] == '-' && p[2] == '-')
            return p;
    return NULL;
}

bool fuzz_form_parse(const uint8_t *data, size_t size, size_t value_limit, struct mp_form *f)
{
    const uint8_t *p = data, *end = data + size;
    memset(f, 0, sizeof *f);
    while (p < end) {
        const uint8_t *next = find_sep(p, end);
        const uint8_t *stop = next ? next : end;
        const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
        const uint8_t *vstart = nl ? nl + 1 : stop;
        size_t hlen = (size_t)((nl ? nl : stop) - p);
        char header[256];
        if (hlen >= sizeof header)
            hlen = sizeof header - 1;
        memcpy(header, p, hlen);
        header[hlen] = '\0'; /* a NUL inside ends the name, as C strings in http.c */
        char *semi = strchr(header, ';');
        if (semi)
            *semi++ = '\0';
        if (header[0]) {
            if (f->n >= MP_FORM_MAX_FIELDS || strlen(header) >= sizeof f->fields[0].name) {
                f->overflow = true;
            } else if (mp_form_get(f, header)) {
                fuzz_form_free(f);
                return false; /* http.c answers invalid_form itself */
            } else {
                struct mp_form_field *fld = &f->fields[f->n++];
                snprintf(fld->name, sizeof fld->name, "%s", header);
                snprintf(fld->filename, sizeof fld->filename, "%s", semi ? semi : "");
                mp_buf_init(&fld->value, value_limit);
                mp_buf_add(&fld->value, "", 0);
                mp_buf_add(&fld->value, vstart, (size_t)(stop - vstart));
                if (fld->value.failed)
                    f->overflow = true;
            }
        }
        p = next ? next + 3 : end;
    }
    return true;
}

void fuzz_form_free(struct mp_form *f)
{
    for (size_t i = 0; i < f->n; i++)
        mp_buf_free(&f->fields[i].value);
    f->n = 0;
}

bool fuzz_json_valid(const char *body, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY, &je);
    if (!j) {
        fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", je.text, je.position,
                (int)(len > 2000 ? 2000 : len), body);
        return false;
    }
    json_decref(j);
    return true;
}

bool fuzz_contains(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > hay_len)
        return false;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

void fuzz_check_answer(enum mp_status rc, const struct mp_error *err)
{
    if (rc == MP_OK)
        return;
    /* What a client can cause. Storage, I/O and memory failures (or an
     * unhandled MP_PENDING) from input alone are bugs. */
    bool input_status = rc == MP_EINVAL || rc == MP_ENOTFOUND || rc == MP_ECONFLICT ||
                        rc == MP_ETOOBIG || rc == MP_EAUTH || rc == MP_EFORBIDDEN ||
                        rc == MP_EMEDIATYPE || rc == MP_EMETHOD || rc == MP_ERATE;
    if (!input_status)
        fprintf(stderr, "status %s: %s: %s\n", mp_status_name(rc), err->code, err->text);
    CHECK(input_status);
    CHECK(memchr(err->code, '\0', sizeof err->code) != NULL);
    CHECK(memchr(err->text, '\0', sizeof err->text) != NULL);
    CHECK(err->code[0] != '\0');
    CHECK(err->text[0] != '\0');
    for (const char *c = err->code; *c; c++)
        CHECK(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_');
    /* The error body a client gets must be JSON whatever the message holds. */
    struct mp_response r;
    memset(&r, 0, sizeof r);
    mp_buf_init(&r.body, 0);
    mp_http_error_body(&r, err);
    CHECK(!r.body.failed);
    bool ok = fuzz_json_valid(r.body.data, r.body.len);
    if (!ok)
        fprintf(stderr, "error body of %s/%s is not JSON\n", mp_status_name(rc), err->code);
    mp_buf_free(&r.body);
    CHECK(ok);
}

void fuzz_response_free(struct mp_response *resp)
{
    if (resp->stream_free)
        resp->stream_free(resp->stream_ctx);
    mp_buf_free(&resp->body);
    memset(resp, 0, sizeof *resp);
}
