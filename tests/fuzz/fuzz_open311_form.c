/* fuzz_open311_form.c - libFuzzer target for POST /open311/v2/requests.(json|xml):
 * the GeoReport v2 form fields (api_key, service_code, lat/long, attribute[X]
 * values checked against the service definition, media_url, names, e-mail,
 * phone, device and account ids) through the real handler
 * mp_api_open311_requests_create on a temporary database.
 *
 * Input: the first byte picks the format (odd: XML); the rest is form fields
 * as in fuzz_multipart.c. Unless the input brings its own api_key, the
 * fuzz database's admin token is added so that inputs get past the key.
 *
 * Checks: never a 5xx; the answer is valid JSON, or well-formed XML (parsed
 * with libxml2 when the build found it, else at least valid UTF-8 without
 * control characters); the reporter's e-mail never appears in it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "meldpunt/text.h"

#ifdef MP_FUZZ_HAVE_LIBXML2
#include <libxml/parser.h>
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool xml_ok(const char *body, size_t len)
{
    if (mp_utf8_chars(body, len) < 0)
        return false;
#ifdef MP_FUZZ_HAVE_LIBXML2
    xmlDocPtr doc = xmlReadMemory(body, (int)len, "answer.xml", "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return false;
    xmlFreeDoc(doc);
#endif
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_app *app = fuzz_app();
    struct mp_ctx *ctx = fuzz_ctx();
    struct mp_form form;
    if (size < 1 || size > app->cfg->max_body)
        return 0;
    bool xml = data[0] & 1;
    if (!fuzz_form_parse(data + 1, size - 1, app->cfg->max_body, &form))
        return 0;
    if (!mp_form_get(&form, "api_key") && form.n < MP_FORM_MAX_FIELDS) {
        struct mp_form_field *k = &form.fields[form.n++];
        memset(k, 0, sizeof *k);
        snprintf(k->name, sizeof k->name, "api_key");
        mp_buf_init(&k->value, 0);
        mp_buf_adds(&k->value, FUZZ_ADMIN_TOKEN);
    }

    struct mp_request req;
    struct mp_response resp;
    struct mp_error err = {{0}, {0}};
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    mp_buf_init(&resp.body, 0);
    req.method = "POST";
    req.path = xml ? "/open311/v2/requests.xml" : "/open311/v2/requests.json";
    req.body = "";
    req.content_type = "application/x-www-form-urlencoded";
    req.form = &form;
    snprintf(req.client_ip, sizeof req.client_ip, "127.0.0.1");

    enum mp_status rc = mp_api_open311_requests_create(app, ctx, &req, &resp, &err);
    CHECK(rc != MP_PENDING);
    fuzz_check_answer(rc, &err);
    if (rc == MP_OK) {
        /* The standard's errors travel as documents with their own code. */
        if (resp.http_status >= 500)
            fprintf(stderr, "HTTP %d: %.*s\n", resp.http_status, (int)resp.body.len,
                    resp.body.data);
        CHECK(resp.http_status < 500);
        CHECK(!resp.body.failed && resp.body.len > 0);
        bool ok = xml ? xml_ok(resp.body.data, resp.body.len)
                      : fuzz_json_valid(resp.body.data, resp.body.len);
        if (!ok)
            fprintf(stderr, "malformed %s answer: %.*s\n", xml ? "XML" : "JSON",
                    (int)resp.body.len, resp.body.data);
        CHECK(ok);
        const struct mp_form_field *ef = mp_form_get(&form, "email");
        if ((resp.created || resp.http_status == 201 || resp.http_status == 0) && ef &&
            !ef->filename[0] && ef->value.data && strchr(ef->value.data, '@') &&
            strlen(ef->value.data) == ef->value.len) {
            bool shown = false;
            for (size_t i = 0; i < form.n; i++)
                shown = shown || (&form.fields[i] != ef && form.fields[i].value.data &&
                                  strstr(form.fields[i].value.data, ef->value.data));
            if (!shown)
                CHECK(!fuzz_contains(resp.body.data, resp.body.len, ef->value.data));
        }
    }
    fuzz_response_free(&resp);
    fuzz_form_free(&form);
    return 0;
}
