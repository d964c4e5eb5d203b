/* test_automation_rules.c - the exact texts of automation.c that the rule
 * parsers and mp_automation_json share between routing and priority rules:
 * the JSON of every rule (lists, null for "any", absent descriptions) and
 * the error messages that name a rule by its number, then by its id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/automation.h"
#include "meldpunt/city.h"

static struct mp_city *city;

static int setup(void **state)
{
    (void)state;
    char dir[1024];
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    struct mp_error err;
    if (!src)
        fail_msg("MELDPUNT_SOURCE_DIR is not set (CTest sets it)");
    snprintf(dir, sizeof dir, "%s/geodata/chicago", src);
    if (mp_city_load(dir, &city, &err) != MP_OK)
        fail_msg("city: %s", err.text);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mp_city_free(city);
    return 0;
}

static void rules_as_json(void **state)
{
    (void)state;
    static const char rules[] =
        "{\"version\":1,\"description\":\"Test rules\",\"routing\":["
        "{\"id\":\"ohare\",\"description\":\"Airport\",\"categories\":[\"pothole\",\"graffiti\"],"
        "\"districts\":[\"76\"],\"department\":\"aviation\"},"
        "{\"id\":\"lights\",\"categories\":[\"street_light_out\"],\"department\":\"electric\"}],"
        "\"priority\":[{\"id\":\"busy\",\"description\":\"Five or more\",\"min_reports\":5,"
        "\"priority\":1},"
        "{\"id\":\"pothole-3\",\"categories\":[\"pothole\"],\"min_reports\":3,\"priority\":2}],"
        "\"overdue\":{\"service_days\":{\"graffiti\":3}}}";
    static const char want[] =
        "{\"source\":\"automation.json\",\"description\":\"Test rules\",\"routing\":["
        "{\"id\":\"ohare\",\"description\":\"Airport\",\"categories\":[\"pothole\",\"graffiti\"],"
        "\"districts\":[\"76\"],\"department\":\"aviation\"},"
        "{\"id\":\"lights\",\"description\":null,\"categories\":[\"street_light_out\"],"
        "\"districts\":null,\"department\":\"electric\"}],"
        "\"priority\":[{\"id\":\"busy\",\"description\":\"Five or more\",\"categories\":null,"
        "\"min_reports\":5,\"priority\":1},"
        "{\"id\":\"pothole-3\",\"description\":null,\"categories\":[\"pothole\"],"
        "\"min_reports\":3,\"priority\":2}],"
        "\"categories\":[{\"code\":\"pothole\",\"department\":\"streets\",\"priority\":2,"
        "\"service_days\":7,\"service_days_source\":\"category\"},";
    struct mp_automation *a = NULL;
    struct mp_error err;
    struct mp_buf b;
    if (mp_automation_parse(city, rules, strlen(rules), &a, &err) != MP_OK)
        fail_msg("parse: %s", err.text);
    mp_buf_init(&b, 0);
    mp_automation_json(a, city, &b);
    assert_false(b.failed);
    if (strncmp(b.data, want, strlen(want)) != 0)
        fail_msg("got %s", b.data);
    assert_non_null(strstr(b.data, "{\"code\":\"graffiti\",\"department\":\"sanitation\","
                                   "\"priority\":3,\"service_days\":3,"
                                   "\"service_days_source\":\"automation\"}"));
    mp_buf_free(&b);
    mp_automation_free(a);

    /* No rules file: empty lists, the categories' own defaults. */
    mp_buf_init(&b, 0);
    mp_automation_json(NULL, city, &b);
    assert_false(b.failed);
    assert_non_null(strstr(b.data, "{\"source\":\"automation.json\",\"description\":null,"
                                   "\"routing\":[],\"priority\":[],\"categories\":["));
    mp_buf_free(&b);
}

static void messages_name_the_rule(void **state)
{
    (void)state;
    static const struct {
        const char *json, *error;
    } cases[] = {
        {"{\"version\":1,\"routing\":[{\"id\":\"a\",\"categories\":[\"pothole\"],"
         "\"department\":\"s\"},[]]}",
         "routing rule 2 must be an object"},
        {"{\"version\":1,\"priority\":[3]}", "priority rule 1 must be an object"},
        {"{\"version\":1,\"routing\":[{\"id\":\"Bad Id\",\"categories\":[\"pothole\"],"
         "\"department\":\"s\"}]}",
         "routing rule 1: 'id' must be 1-47 characters of a-z, 0-9, '-', '_'"},
        {"{\"version\":1,\"priority\":[{\"id\":\"p\",\"min_reports\":3,\"priority\":1},"
         "{\"idd\":\"q\"}]}",
         "priority rule 2: unknown field 'idd'"},
        {"{\"version\":1,\"routing\":[{\"id\":\"r1\",\"description\":7,\"categories\":"
         "[\"pothole\"],\"department\":\"s\"}]}",
         "routing rule 'r1': 'description' must be text"},
        {"{\"version\":1,\"priority\":[{\"id\":\"p9\",\"description\":[],\"min_reports\":3,"
         "\"priority\":1}]}",
         "priority rule 'p9': 'description' must be text"},
        {"{\"version\":1,\"priority\":[{\"id\":\"p9\",\"categories\":[\"nope\"],"
         "\"min_reports\":3,\"priority\":1}]}",
         "priority rule 'p9': unknown category 'nope'"},
        /* 48 characters: one too many. */
        {"{\"version\":1,\"routing\":[{\"id\":\"a23456789012345678901234567890123456789012345678\","
         "\"categories\":[\"pothole\"],\"department\":\"s\"}]}",
         "routing rule 1: 'id' must be 1-47 characters of a-z, 0-9, '-', '_'"},
        /* The longest id still fits the rule's name in messages. */
        {"{\"version\":1,\"routing\":[{\"id\":\"a2345678901234567890123456789012345678901234567\","
         "\"categories\":[\"nope\"],\"department\":\"s\"}]}",
         "routing rule 'a2345678901234567890123456789012345678901234567': unknown category "
         "'nope'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct mp_automation *a = NULL;
        struct mp_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(mp_automation_parse(city, cases[i].json, strlen(cases[i].json), &a, &err),
                         MP_EINVAL);
        assert_null(a);
        assert_string_equal(err.text, cases[i].error);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_as_json),
        cmocka_unit_test(messages_name_the_rule),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
