/* test_webhook.c - the pure parts of webhooks (webhook.h): the signature
 * (HMAC-SHA256 of "<ts>.<body>", checked against `openssl dgst -sha256
 * -hmac`), the CloudEvents body (members, escaping, a public note told as
 * one to a receiver that asked only for notes, contacts only when given),
 * and the table of event types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/webhook.h"

static void test_signature_matches_openssl(void **state)
{
    (void)state;
    char sig[65];
    const char *body = "{\"a\":1}";
    /* printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec-0123456789abcdef' */
    mp_webhook_sign("whsec-0123456789abcdef", 1700000000, body, strlen(body), sig);
    assert_string_equal(sig, "d77c78ac4da074c56908b55eac30358b2a7bfc573be4c76819af5102e8dcf939");
    /* Another time or another secret: another signature. */
    char other[65];
    mp_webhook_sign("whsec-0123456789abcdef", 1700000001, body, strlen(body), other);
    assert_string_not_equal(sig, other);
    mp_webhook_sign("whsec-0123456789abcdeF", 1700000000, body, strlen(body), other);
    assert_string_not_equal(sig, other);
}

static char *body_of(const struct mp_webhook_row *w, const struct mp_notify_event_row *e,
                     const struct mp_webhook_contact *c, struct mp_buf *b)
{
    mp_buf_init(b, 1 << 16);
    mp_webhook_body(w, e, c, "https://meldpunt.city.example", b);
    assert_int_equal(mp_buf_status(b), MP_OK);
    return b->data;
}

static void test_body_is_a_cloudevent(void **state)
{
    (void)state;
    struct mp_webhook_row w = {.id = 1, .events = "report.created,cluster.status_changed"};
    struct mp_notify_event_row e = {
        .id = 9,
        .cluster_id = 12,
        .at = 1700000000,
        .uid = "0123456789abcdef0123456789abcdef",
        .type = "cluster.status_changed",
        .data = "{\"from\":\"new\",\"to\":\"fixed\",\"note\":\"\\\"Done\\\"\"}"};
    struct mp_buf b;
    assert_string_equal(
        body_of(&w, &e, NULL, &b),
        "{\"specversion\":\"1.0\",\"id\":\"0123456789abcdef0123456789abcdef\","
        "\"source\":\"https://meldpunt.city.example\",\"type\":\"org.meldpunt.cluster.status_"
        "changed\",\"subject\":\"clusters/12\",\"time\":\"2023-11-14T22:13:20Z\","
        "\"datacontenttype\":\"application/json\",\"data\":{\"cluster_id\":12,\"report_id\":null,"
        "\"url\":\"https://meldpunt.city.example/api/v1/clusters/12\",\"from\":\"new\",\"to\":"
        "\"fixed\",\"note\":\"\\\"Done\\\"\"}}");
    mp_buf_free(&b);
    /* A receiver of notes only hears the change as a note. */
    w.events = "cluster.public_note";
    assert_non_null(
        strstr(body_of(&w, &e, NULL, &b), "\"type\":\"org.meldpunt.cluster.public_note\""));
    mp_buf_free(&b);
}

static void test_contacts_only_when_given(void **state)
{
    (void)state;
    struct mp_webhook_row w = {.id = 2, .events = "report.created", .contacts = true};
    struct mp_notify_event_row e = {.cluster_id = 3,
                                    .report_id = 4,
                                    .at = 0,
                                    .uid = "u",
                                    .type = "report.created",
                                    .data = "{\"joined\":false}"};
    struct mp_webhook_contact c = {"Anne \"A\"", "anne@example.org", NULL};
    struct mp_buf b;
    const char *s = body_of(&w, &e, &c, &b);
    assert_non_null(strstr(s, "\"subject\":\"reports/4\""));
    assert_non_null(
        strstr(s, "\"url\":\"https://meldpunt.city.example/r/4\",\"joined\":false,"
                  "\"contact\":{\"name\":\"Anne \\\"A\\\"\",\"email\":\"anne@example.org\","
                  "\"phone\":null}}}"));
    mp_buf_free(&b);
    assert_null(strchr(body_of(&w, &e, NULL, &b), '@'));
    mp_buf_free(&b);
}

static void test_types(void **state)
{
    (void)state;
    size_t n = 0;
    const char *const *t = mp_webhook_type_list(&n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_true(mp_webhook_type_valid(t[i]));
        assert_non_null(strstr(mp_webhook_types(), t[i]));
    }
    assert_false(mp_webhook_type_valid("report.deleted"));
    assert_false(mp_webhook_type_valid("report"));
    assert_false(mp_webhook_type_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_matches_openssl),
        cmocka_unit_test(test_body_is_a_cloudevent),
        cmocka_unit_test(test_contacts_only_when_given),
        cmocka_unit_test(test_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
