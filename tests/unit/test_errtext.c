/* test_errtext.c - the client's language from ?lang= and Accept-Language, the
 * choice between an HTML page and JSON from Accept, and the error answer in
 * English (unchanged) and Dutch (message and detail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/buf.h"
#include "meldpunt/errtext.h"

static void test_lang_from_accept_language(void **state)
{
    (void)state;
    assert_int_equal(mp_errtext_lang(NULL, NULL), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang(NULL, ""), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang(NULL, "*"), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang(NULL, "nl"), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang(NULL, "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7"), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang(NULL, "en-US,en;q=0.9,nl;q=0.8"), MP_LANG_EN);
    /* The weight decides, not the order. */
    assert_int_equal(mp_errtext_lang(NULL, "en;q=0.5, nl-BE;q=0.8"), MP_LANG_NL);
    /* Languages we do not speak are passed over; q=0 means "not this one". */
    assert_int_equal(mp_errtext_lang(NULL, "fr-FR,fr;q=0.9,nl;q=0.5"), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang(NULL, "nl;q=0, en;q=0.1"), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang(NULL, "de, nld, nlx"), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang(NULL, " NL ; q=1 "), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang(NULL, ",,,;q=,nl"), MP_LANG_NL);
}

static void test_lang_parameter_wins(void **state)
{
    (void)state;
    assert_int_equal(mp_errtext_lang("nl", "en-US,en"), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang("en", "nl"), MP_LANG_EN);
    assert_int_equal(mp_errtext_lang("NL-be", NULL), MP_LANG_NL);
    /* A language we do not speak falls back to the header, then English. */
    assert_int_equal(mp_errtext_lang("fr", "nl"), MP_LANG_NL);
    assert_int_equal(mp_errtext_lang("", NULL), MP_LANG_EN);
    assert_string_equal(mp_errtext_lang_code(MP_LANG_NL), "nl");
    assert_string_equal(mp_errtext_lang_code(MP_LANG_EN), "en");
}

static void test_wants_html(void **state)
{
    (void)state;
    /* Chromium and Firefox navigating to a page. */
    assert_true(mp_errtext_wants_html("text/html,application/xhtml+xml,application/xml;q=0.9,"
                                      "image/avif,image/webp,*/*;q=0.8"));
    assert_true(mp_errtext_wants_html("text/html"));
    assert_true(mp_errtext_wants_html("text/*, application/json;q=0.5"));
    /* API clients: fetch() of the pages, curl, no header at all. */
    assert_false(mp_errtext_wants_html("application/json"));
    assert_false(mp_errtext_wants_html("*/*"));
    assert_false(mp_errtext_wants_html(NULL));
    assert_false(mp_errtext_wants_html(""));
    assert_false(mp_errtext_wants_html("text/html;q=0.5, application/json"));
    assert_false(mp_errtext_wants_html("text/html;q=0"));
    assert_false(mp_errtext_wants_html("application/json, text/html"));
}

static char *answer(const char *code, const char *text, enum mp_lang lang)
{
    struct mp_error err;
    struct mp_buf b;
    memset(&err, 0, sizeof err);
    strcpy(err.code, code);
    strcpy(err.text, text);
    mp_buf_init(&b, 0);
    mp_errtext_json(&b, &err, lang);
    size_t len;
    return mp_buf_steal(&b, &len);
}

static void test_json_answer(void **state)
{
    (void)state;
    char *en = answer("out_of_area", "the point 52.37310,4.89260 is outside", MP_LANG_EN);
    char *nl = answer("out_of_area", "the point 52.37310,4.89260 is outside", MP_LANG_NL);
    char *unknown = answer("no_such_code", "x \"y\"", MP_LANG_NL);
    bool ok_en = strcmp(en, "{\"error\":{\"code\":\"out_of_area\",\"message\":\"the point "
                            "52.37310,4.89260 is outside\"}}") == 0;
    bool ok_nl = strcmp(nl, "{\"error\":{\"code\":\"out_of_area\",\"message\":\"Deze plek ligt "
                            "buiten ons gebied.\",\"detail\":\"the point 52.37310,4.89260 is "
                            "outside\"}}") == 0;
    bool ok_unknown = strcmp(unknown, "{\"error\":{\"code\":\"no_such_code\",\"message\":\"Het "
                                      "verzoek kon niet worden uitgevoerd.\",\"detail\":\"x "
                                      "\\\"y\\\"\"}}") == 0;
    if (!ok_en || !ok_nl || !ok_unknown)
        print_error("en: %s\nnl: %s\nunknown: %s\n", en, nl, unknown);
    free(en);
    free(nl);
    free(unknown);
    assert_true(ok_en);
    assert_true(ok_nl);
    assert_true(ok_unknown);
    assert_true(mp_errtext_known("not_found"));
    assert_false(mp_errtext_known("no_such_code"));
}

static void test_html_404(void **state)
{
    (void)state;
    struct mp_buf b;
    size_t len;
    mp_buf_init(&b, 0);
    mp_errtext_html_404(&b, MP_LANG_NL);
    char *nl = mp_buf_steal(&b, &len);
    mp_buf_init(&b, 0);
    mp_errtext_html_404(&b, MP_LANG_EN);
    char *en = mp_buf_steal(&b, &len);
    bool ok = strstr(nl, "<html lang=\"nl\">") && strstr(nl, ">Pagina niet gevonden</h1>") &&
              strstr(nl, "href=\"/\"") && strstr(en, "<html lang=\"en\">") &&
              strstr(en, ">Page not found</h1>") && !strstr(en, "niet gevonden");
    if (!ok)
        print_error("nl: %s\nen: %s\n", nl, en);
    free(nl);
    free(en);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang_from_accept_language),
        cmocka_unit_test(test_lang_parameter_wins),
        cmocka_unit_test(test_wants_html),
        cmocka_unit_test(test_json_answer),
        cmocka_unit_test(test_html_404),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
