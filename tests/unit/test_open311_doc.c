/* test_open311_doc.c - the Open311 writer (XML and JSON from one
 * description) and W3C date-times with offsets. (XML escaping is tested in
 * test_xml.c, the documents of requests through the API tests.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/city.h"
#include "meldpunt/open311_doc.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/tz.h"

/* ---- helpers ---- */

static int64_t utc(int y, unsigned m, unsigned d, int h, int mi, int s)
{
    return mp_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* ---- times ---- */

static void time_with_offsets(void **state)
{
    (void)state;
    char out[32];
    int64_t t = utc(2021, 1, 1, 3, 4, 5);
    mp_open311_doc_format_time(t, 0, out, sizeof out);
    assert_string_equal(out, "2021-01-01T03:04:05Z");
    mp_open311_doc_format_time(t, -6 * 3600, out, sizeof out);
    assert_string_equal(out, "2020-12-31T21:04:05-06:00");
    mp_open311_doc_format_time(t, 5 * 3600 + 1800, out, sizeof out);
    assert_string_equal(out, "2021-01-01T08:34:05+05:30");
    /* Too small a buffer gives "", never a cut-off date. */
    mp_open311_doc_format_time(t, -6 * 3600, out, 25);
    assert_string_equal(out, "");
    mp_open311_doc_format_time(t, -6 * 3600, out, 26);
    assert_string_equal(out, "2020-12-31T21:04:05-06:00");
}

/* ---- the writer ---- */

/* A small document with every kind of member, written in format xml. */
static char *sample(bool xml, enum mp_status *st)
{
    struct mp_buf b;
    struct mp_open311_doc w;
    mp_buf_init(&b, 0);
    mp_open311_doc_init(&w, &b, xml);
    mp_open311_doc_arr(&w, "service_requests", "request");
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_str(&w, "service_request_id", "17");
    mp_open311_doc_str(&w, "description", "a < b & \"c\"");
    mp_open311_doc_str(&w, "zipcode", NULL);
    mp_open311_doc_num(&w, "lat", 41.87810001, 7);
    mp_open311_doc_int(&w, "count", -3);
    mp_open311_doc_bool(&w, "metadata", true);
    mp_open311_doc_time(&w, "requested_datetime", utc(2021, 1, 1, 12, 0, 0), NULL);
    mp_open311_doc_arr(&w, "formats", "format");
    mp_open311_doc_str(&w, NULL, "text/xml");
    mp_open311_doc_str(&w, NULL, "application/json");
    mp_open311_doc_end(&w);
    mp_open311_doc_obj(&w, "extended_attributes");
    mp_open311_doc_str(&w, "channel", "open311");
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    mp_open311_doc_obj(&w, NULL);
    mp_open311_doc_str(&w, "service_request_id", "18");
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    *st = mp_open311_doc_status(&w);
    size_t len;
    return mp_buf_steal(&b, &len);
}

static void writer_json(void **state)
{
    (void)state;
    enum mp_status st;
    char *doc = sample(false, &st);
    assert_int_equal(st, MP_OK);
    assert_string_equal(doc,
                        "[{\"service_request_id\":\"17\",\"description\":\"a < b & \\\"c\\\"\","
                        "\"zipcode\":null,\"lat\":41.8781,\"count\":-3,\"metadata\":true,"
                        "\"requested_datetime\":\"2021-01-01T12:00:00Z\","
                        "\"formats\":[\"text/xml\",\"application/json\"],"
                        "\"extended_attributes\":{\"channel\":\"open311\"}},"
                        "{\"service_request_id\":\"18\"}]");
    free(doc);
}

static void writer_xml(void **state)
{
    (void)state;
    enum mp_status st;
    char *doc = sample(true, &st);
    assert_int_equal(st, MP_OK);
    assert_string_equal(doc,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<service_requests><request><service_request_id>17</service_request_id>"
                        "<description>a &lt; b &amp; \"c\"</description><zipcode/>"
                        "<lat>41.8781</lat><count>-3</count><metadata>true</metadata>"
                        "<requested_datetime>2021-01-01T12:00:00Z</requested_datetime>"
                        "<formats><format>text/xml</format><format>application/json</format>"
                        "</formats><extended_attributes><channel>open311</channel>"
                        "</extended_attributes></request><request><service_request_id>18"
                        "</service_request_id></request></service_requests>\n");
    free(doc);
}

static void writer_top_level_object(void **state)
{
    (void)state;
    for (int xml = 0; xml < 2; xml++) {
        struct mp_buf b;
        struct mp_open311_doc w;
        size_t len;
        mp_buf_init(&b, 0);
        mp_open311_doc_init(&w, &b, xml);
        mp_open311_doc_obj(&w, "service_definition");
        mp_open311_doc_str(&w, "service_code", "pothole");
        mp_open311_doc_arr(&w, "attributes", "attribute");
        mp_open311_doc_end(&w);
        mp_open311_doc_end(&w);
        assert_int_equal(mp_open311_doc_status(&w), MP_OK);
        char *doc = mp_buf_steal(&b, &len);
        assert_string_equal(doc, xml ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                       "<service_definition><service_code>pothole</service_code>"
                                       "<attributes></attributes></service_definition>\n"
                                     : "{\"service_code\":\"pothole\",\"attributes\":[]}");
        free(doc);
    }
}

static void writer_reports_misuse(void **state)
{
    (void)state;
    struct mp_buf b;
    struct mp_open311_doc w;
    /* A scalar with no element around it. */
    mp_buf_init(&b, 0);
    mp_open311_doc_init(&w, &b, false);
    mp_open311_doc_str(&w, "x", "y");
    assert_int_equal(mp_open311_doc_status(&w), MP_EINVAL);
    mp_buf_free(&b);
    /* One end too many. */
    mp_open311_doc_init(&w, &b, true);
    mp_open311_doc_obj(&w, "a");
    mp_open311_doc_end(&w);
    mp_open311_doc_end(&w);
    assert_int_equal(mp_open311_doc_status(&w), MP_EINVAL);
    mp_buf_free(&b);
    /* Left open. */
    mp_open311_doc_init(&w, &b, true);
    mp_open311_doc_arr(&w, "a", "b");
    assert_int_equal(mp_open311_doc_status(&w), MP_EINVAL);
    mp_buf_free(&b);
    /* Nested deeper than the bound. */
    mp_open311_doc_init(&w, &b, false);
    for (int i = 0; i < MP_OPEN311_DOC_MAX_DEPTH + 2; i++)
        mp_open311_doc_obj(&w, "o");
    for (int i = 0; i < MP_OPEN311_DOC_MAX_DEPTH + 2; i++)
        mp_open311_doc_end(&w);
    assert_int_equal(mp_open311_doc_status(&w), MP_EINVAL);
    mp_buf_free(&b);
}

static void writer_reports_buffer_bound(void **state)
{
    (void)state;
    struct mp_buf b;
    struct mp_open311_doc w;
    mp_buf_init(&b, 64);
    mp_open311_doc_init(&w, &b, true);
    mp_open311_doc_arr(&w, "service_requests", "request");
    for (int i = 0; i < 20; i++)
        mp_open311_doc_str(&w, NULL, "a fairly long text that cannot fit");
    mp_open311_doc_end(&w);
    /* buf.c reports a refused append as ENOMEM or ETOOBIG; either way not OK. */
    enum mp_status st = mp_open311_doc_status(&w);
    mp_buf_free(&b);
    assert_true(st == MP_ENOMEM || st == MP_ETOOBIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(time_with_offsets),
        cmocka_unit_test(writer_json),
        cmocka_unit_test(writer_xml),
        cmocka_unit_test(writer_top_level_object),
        cmocka_unit_test(writer_reports_misuse),
        cmocka_unit_test(writer_reports_buffer_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
