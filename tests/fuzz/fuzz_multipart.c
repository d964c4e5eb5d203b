/* fuzz_multipart.c - libFuzzer target for POST /api/v1/reports as a form
 * (multipart/form-data with a photo, or urlencoded): the form field handling
 * of api_reports.c (numbers, id lists, lengths, unknown and oversized
 * fields), photo decoding and re-encoding (mp_photo_process), validation,
 * folding and storing, through the real handler on a temporary database.
 *
 * The multipart framing (boundaries, part headers, transfer encodings) is
 * libmicrohttpd's post processor, which is reachable only through a live
 * connection; it is exercised by the integration and API tests. Here each
 * input is already split into fields (see fuzz_form_parse in harness.h):
 *
 *   category\npothole_in_street\n--lat\n41.88\n--photo;a.jpg\n<JPEG bytes>
 *
 * Checks as fuzz_json_report.c: well-formed answers and errors, 201 with
 * valid JSON, and no private e-mail address in the answer.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *value_of(const struct mp_form *f, const char *name)
{
    const struct mp_form_field *fld = mp_form_get(f, name);
    return fld && fld->value.data ? fld->value.data : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_app *app = fuzz_app();
    struct mp_ctx *ctx = fuzz_ctx();
    struct mp_form form;
    if (size > app->cfg->max_upload || !fuzz_form_parse(data, size, app->cfg->max_upload, &form))
        return 0;

    struct mp_request req;
    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    req.method = "POST";
    req.path = "/api/v1/reports";
    req.body = "";
    req.content_type = "multipart/form-data; boundary=fuzz";
    req.form = &form;
    snprintf(req.client_ip, sizeof req.client_ip, "127.0.0.1");

    enum mp_status rc = mp_api_reports_create(app, ctx, &req, &resp, &err);
    CHECK(rc != MP_PENDING);
    fuzz_check_answer(rc, &err);
    if (rc == MP_OK) {
        CHECK(resp.created);
        CHECK(!resp.body.failed && fuzz_json_valid(resp.body.data, resp.body.len));
        const char *email = value_of(&form, "contact_email");
        const struct mp_form_field *ef = mp_form_get(&form, "contact_email");
        bool shown = false;
        static const char *const public_fields[] = {"description", "address", "category",
                                                    "channel"};
        for (size_t i = 0; email && i < sizeof public_fields / sizeof *public_fields; i++) {
            const char *s = value_of(&form, public_fields[i]);
            shown = shown || (s && strstr(s, email));
        }
        /* Only a whole, NUL-free address is what the report stored. */
        if (email && ef && !ef->filename[0] && strlen(email) == ef->value.len &&
            strchr(email, '@') && !shown) {
            bool leaked = fuzz_contains(resp.body.data, resp.body.len, email);
            if (leaked)
                fprintf(stderr, "contact e-mail %s in the answer: %s\n", email, resp.body.data);
            CHECK(!leaked);
        }
    }
    fuzz_response_free(&resp);
    fuzz_form_free(&form);
    return 0;
}
