/* fuzz_json_report.c - libFuzzer target for POST /api/v1/reports with a JSON
 * body: jansson decoding, the field decoding of api_reports.c, validation
 * (mp_report_validate), duplicate folding and the store, through the real
 * handler mp_api_reports_create on a temporary database.
 *
 * Checks: the handler answers every body with a status a client can cause
 * and a well-formed error (harness.c); an accepted report answers 201 with
 * valid JSON naming a report and a cluster; and the reporter's e-mail
 * address never appears in the answer.
 *
 * Build and run: tests/fuzz/run.sh (see tests/fuzz/README.md).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The contact e-mail of the input when it is an address that appears in no
 * other field of the input (those may legitimately be shown), else NULL.
 * NEW string (free()). */
static char *private_email(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    char *out = NULL;
    const char *email = json_string_value(json_object_get(json_object_get(j, "contact"), "email"));
    if (email && strchr(email, '@')) {
        static const char *const shown[] = {"description", "address", "category", "channel"};
        bool elsewhere = false;
        for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
            const char *s = json_string_value(json_object_get(j, shown[i]));
            elsewhere = elsewhere || (s && strstr(s, email));
        }
        if (!elsewhere)
            out = strdup(email);
    }
    json_decref(j);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_app *app = fuzz_app();
    struct mp_ctx *ctx = fuzz_ctx();
    /* Bodies over the bound never reach a handler: http.c answers 413. */
    if (size > app->cfg->max_body)
        return 0;
    char *body = malloc(size + 1);
    CHECK(body != NULL);
    if (size)
        memcpy(body, data, size);
    body[size] = '\0';

    struct mp_request req;
    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    req.method = "POST";
    req.path = "/api/v1/reports";
    req.body = body;
    req.body_len = size;
    req.content_type = "application/json";
    snprintf(req.client_ip, sizeof req.client_ip, "127.0.0.1");

    enum mp_status rc = mp_api_reports_create(app, ctx, &req, &resp, &err);
    CHECK(rc != MP_PENDING); /* no group-commit writer in this application */
    fuzz_check_answer(rc, &err);
    if (rc == MP_OK) {
        CHECK(resp.created);
        CHECK(!resp.body.failed && resp.body.len > 0);
        CHECK(fuzz_json_valid(resp.body.data, resp.body.len));
        json_t *j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
        json_int_t id = json_integer_value(json_object_get(json_object_get(j, "report"), "id"));
        json_int_t cl = json_integer_value(json_object_get(json_object_get(j, "cluster"), "id"));
        json_decref(j);
        CHECK(id > 0 && cl > 0);
        char loc[64];
        snprintf(loc, sizeof loc, "/api/v1/reports/%lld", (long long)id);
        CHECK(strcmp(resp.location, loc) == 0);
        char *email = private_email(data, size);
        if (email) {
            bool leaked = fuzz_contains(resp.body.data, resp.body.len, email);
            if (leaked)
                fprintf(stderr, "contact e-mail %s in the answer: %s\n", email, resp.body.data);
            free(email);
            CHECK(!leaked);
        }
    }
    fuzz_response_free(&resp);
    free(body);
    return 0;
}
