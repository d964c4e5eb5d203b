/* harness.h - shared pieces of the libFuzzer targets that drive real
 * handlers: one application (city pack of the source tree, a database in a
 * temporary folder removed at exit) opened once per fuzzing process, request
 * and form builders, and the checks every handler answer must pass.
 *
 * The HTTP framing itself (request line, headers, percent-decoding of the
 * query, multipart boundaries) is libmicrohttpd's parser and is exercised by
 * the integration tests; these targets start where http.c hands a decoded
 * struct mp_request to a handler, with conn == NULL (no headers, no query:
 * libmicrohttpd's look-ups return NULL for it).
 *
 * Single-threaded, as libFuzzer runs inputs.
 */
#ifndef MELDPUNT_FUZZ_HARNESS_H
#define MELDPUNT_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/api.h"
#include "meldpunt/app.h"
#include "meldpunt/http.h"

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            (void)fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Token of the "admin" account of the fuzz database (>= client: a valid
 * Open311 api_key). */
#define FUZZ_ADMIN_TOKEN "fuzz-admin-token-0123456789abcdef"

/* The application (opened on first use; aborts if it cannot be). */
struct mp_app *fuzz_app(void);
/* Its one worker context. */
struct mp_ctx *fuzz_ctx(void);

/* Split data into form fields as http.c's form_iter would hand them to a
 * handler. Fields are separated by the bytes "\n--"; each field is a header
 * line "name" or "name;filename" ended by "\n", then the value bytes. Names
 * of 64 bytes or more, or more than MP_FORM_MAX_FIELDS fields, set overflow
 * as http.c does. Returns false for input that http.c itself refuses before
 * any handler runs (a repeated field name): the caller skips it. */
bool fuzz_form_parse(const uint8_t *data, size_t size, size_t value_limit, struct mp_form *f);
void fuzz_form_free(struct mp_form *f);

/* Checks that hold for every handler answer: a status that input can cause
 * (never a storage, I/O or memory failure), a stable error code
 * ([a-z0-9_]+) and a message for every error, and an error body that is
 * valid JSON (UTF-8 included) whatever the message echoes. */
void fuzz_check_answer(enum mp_status rc, const struct mp_error *err);
/* Whether body (len bytes) parses as JSON. */
bool fuzz_json_valid(const char *body, size_t len);
/* Free what a handler left in resp. */
void fuzz_response_free(struct mp_response *resp);

/* Bounded substring search in binary data. */
bool fuzz_contains(const char *hay, size_t hay_len, const char *needle);

#endif
