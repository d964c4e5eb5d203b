/* test_mail_pack.c - the city pack's mail words (mail_pack.h): Chicago's
 * (the built-in) templates render in both languages with no tag left,
 * variables escaped in HTML only, sections and partials as documented, the
 * language picked from the reporter's list; a pack with a broken template,
 * a missing one or a bad mail.json is refused with the file named; the
 * reasons and follow-up delays as the pack gives them. Templates a pack
 * lacks come from the built-in set (server/mail): Halle-Vilvoorde has none
 * of its own and mails in Dutch; a pack's own template, partials too, wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/mail_pack.h"

static const struct mp_tmpl_var all_vars[] = {
    {"city_name", "City of Chicago"},
    {"report_id", "42"},
    {"report_url", "https://reports.example/r/42"},
    {"category", "Pothole <deep> & wide"},
    {"location", "W FULLERTON AVE near N MILWAUKEE AVE"},
    {"status", "fixed"},
    {"status_name", "Fixed"},
    {"note", "Filled \"today\" & checked"},
    {"joined", "1"},
    {"report_count", "3"},
    {"unsubscribe_url", "https://reports.example/unsubscribe.html?t=mp_U"},
    {"stop_all_url", "https://reports.example/unsubscribe.html?t=mp_S"},
    {"my_reports_url", "https://reports.example/my-reports.html"},
    {"kto_yes_url", "https://reports.example/kto.html?t=mp_K&a=yes"},
    {"kto_no_url", "https://reports.example/kto.html?t=mp_K&a=no"},
    {"kto_days", "60"},
    {"signin_url", "https://reports.example/my-reports.html?t=mp_I"},
    {"signin_minutes", "30"},
};
#define NVARS (sizeof all_vars / sizeof *all_vars)

static struct mp_mail_pack *chicago(void)
{
    struct mp_mail_pack *p = NULL;
    struct mp_error err = {{0}, {0}};
    const char *dir = fx_chicago_dir();
    assert_non_null(dir);
    if (mp_mail_pack_load(dir, &p, &err) != MP_OK)
        fail_msg("Chicago's mail pack: %s", err.text);
    return p;
}

static void render(const struct mp_mail_pack *p, const char *lang, const char *name, bool html,
                   const struct mp_tmpl_var *vars, size_t n, char **subject, char **body)
{
    struct mp_buf s, b;
    size_t len;
    mp_buf_init(&s, 0);
    mp_buf_init(&b, 0);
    assert_int_equal(mp_mail_pack_render(p, lang, name, html, vars, n, html ? NULL : &s, &b),
                     MP_OK);
    *body = mp_buf_steal(&b, &len);
    if (!*body)
        *body = strdup("");
    if (subject) {
        *subject = mp_buf_steal(&s, &len);
        if (!*subject)
            *subject = strdup("");
    }
    mp_buf_free(&s);
}

static void test_chicago_renders_everything(void **state)
{
    (void)state;
    struct mp_mail_pack *p = chicago();
    static const char *const names[] = {"confirm", "status", "status-fixed", "followup", "signin"};
    static const char *const langs[] = {"en", "nl"};
    assert_string_equal(mp_mail_pack_langs(p), "en,nl");
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
            char *subject, *text, *html;
            assert_true(mp_mail_pack_has(p, langs[l], names[i]));
            render(p, langs[l], names[i], false, all_vars, NVARS, &subject, &text);
            render(p, langs[l], names[i], true, all_vars, NVARS, NULL, &html);
            if (strstr(subject, "{{") || strstr(text, "{{") || strstr(html, "{{"))
                fail_msg("%s/%s leaves a tag", langs[l], names[i]);
            assert_true(subject[0] && !strchr(subject, '\n'));
            /* Every mail lets the reader stop all mail and find their reports. */
            assert_non_null(strstr(text, "https://reports.example/unsubscribe.html?t=mp_S"));
            assert_non_null(
                strstr(html, "href=\"https://reports.example/unsubscribe.html?t=mp_S\""));
            assert_non_null(strstr(text, "https://reports.example/my-reports.html"));
            /* Escaped in HTML, as typed in text. */
            if (strstr(text, "Pothole")) {
                assert_non_null(strstr(text, "Pothole <deep> & wide"));
                assert_non_null(strstr(html, "Pothole &lt;deep&gt; &amp; wide"));
                assert_null(strstr(html, "<deep>"));
            }
            free(subject);
            free(text);
            free(html);
        }
    char *subject, *text;
    render(p, "nl", "status-fixed", false, all_vars, NVARS, &subject, &text);
    assert_string_equal(subject, "Melding 42 is opgelost");
    assert_non_null(
        strstr(text, "Ja, ik ben tevreden: https://reports.example/kto.html?t=mp_K&a=yes"));
    assert_non_null(strstr(text, "Filled \"today\" & checked"));
    free(subject);
    free(text);
    /* Without the satisfaction links (a decision after the reporter's own
     * request), the question is left out; without a note, its paragraph. */
    struct mp_tmpl_var few[] = {{"report_id", "7"}, {"status_name", "Fixed"}};
    render(p, "en", "status-fixed", false, few, 2, &subject, &text);
    assert_null(strstr(text, "satisfied"));
    assert_null(strstr(text, "writes:"));
    assert_null(strstr(text, "No more mail about this report"));
    free(subject);
    free(text);
    assert_int_equal(mp_mail_pack_render(p, "en", "nothing", false, few, 2, NULL, NULL),
                     MP_ENOTFOUND);
    mp_mail_pack_free(p);
}

static void test_language_and_texts(void **state)
{
    (void)state;
    struct mp_mail_pack *p = chicago();
    assert_string_equal(mp_mail_pack_lang(p, "nl,en"), "nl");
    assert_string_equal(mp_mail_pack_lang(p, "de,fr,nl"), "nl");
    assert_string_equal(mp_mail_pack_lang(p, "de"), "en");
    assert_string_equal(mp_mail_pack_lang(p, ""), "en");
    assert_string_equal(mp_mail_pack_lang(p, NULL), "en");
    assert_string_equal(mp_mail_pack_lang(p, "n"), "en");
    assert_string_equal(mp_mail_pack_text(p, "city_name", "nl"), "gemeente Chicago");
    assert_string_equal(mp_mail_pack_text(p, "from_name", "de"),
                        "City of Chicago \xe2\x80\x93 street reports");
    assert_string_equal(mp_mail_pack_text(p, "nothing", "en"), "");
    /* The satisfaction reasons: some reopen, the satisfied ones never do. */
    size_t n = 0, reopen = 0, satisfied = 0;
    const struct mp_kto_reason *r = mp_mail_pack_reasons(p, &n);
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++) {
        reopen += r[i].reopen;
        satisfied += r[i].satisfied;
        assert_false(r[i].reopen && r[i].satisfied);
        assert_ptr_equal(mp_mail_pack_reason(p, r[i].code), &r[i]);
    }
    assert_int_equal(reopen, 3);
    assert_int_equal(satisfied, 3);
    assert_string_equal(mp_mail_pack_reason_name(p, "not_fixed", "nl"),
                        "Het probleem is niet opgelost");
    assert_string_equal(mp_mail_pack_reason_name(p, "not_fixed", "fr"), "The problem is not fixed");
    assert_null(mp_mail_pack_reason(p, "nope"));
    /* Follow-up delays from categories.json. */
    assert_int_equal(mp_mail_pack_followup_days(p, "pothole"), 28);
    assert_int_equal(mp_mail_pack_followup_days(p, "traffic_signal_out"), 7);
    assert_int_equal(mp_mail_pack_followup_days(p, "dead_animal"), 0);
    assert_int_equal(mp_mail_pack_followup_days(p, "unknown"), 0);
    mp_mail_pack_free(p);
}

/* ---- a pack of our own ---- */

struct pack {
    char dir[256];
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const required[] = MP_MAIL_TEMPLATES;

/* A minimal valid pack; the test then breaks one thing. */
static void pack_make(struct pack *k)
{
    char path[512];
    snprintf(k->dir, sizeof k->dir, "%s/mp-mailpack-XXXXXX", fx_tmpdir());
    assert_non_null(mkdtemp(k->dir));
    snprintf(path, sizeof path, "%s/mail", k->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/mail/fr", k->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(k->dir, "categories.json",
               "{\"categories\":[{\"code\":\"pothole\",\"followup_days\":14}]}");
    write_file(k->dir, "mail/mail.json",
               "{\"default_language\":\"fr\",\"kto_reasons\":[{\"code\":\"bad\",\"reopen\":true,"
               "\"name\":{\"fr\":\"Pas r\xc3\xa9par\xc3\xa9\"}}]}");
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        char name[64];
        snprintf(name, sizeof name, "mail/fr/%s.txt", required[i]);
        write_file(k->dir, name, "Subject: {{a}}\n\n{{#a}}[{{a}}]{{/a}}{{^a}}none{{/a}} {{>_f}}");
        snprintf(name, sizeof name, "mail/fr/%s.html", required[i]);
        write_file(k->dir, name, "<p>{{a}}</p>{{>_f}}");
    }
    write_file(k->dir, "mail/fr/_f.txt", "-- {{a}}");
    write_file(k->dir, "mail/fr/_f.html", "<hr>{{a}}");
}

static void pack_remove(struct pack *k)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->dir);
    assert_int_equal(system(cmd), 0);
}

static void load_fails(const struct pack *k, const char *text)
{
    struct mp_mail_pack *p = NULL;
    struct mp_error err = {{0}, {0}};
    assert_int_not_equal(mp_mail_pack_load(k->dir, &p, &err), MP_OK);
    assert_null(p);
    assert_string_equal(err.text, text);
}

static void test_own_pack_sections_and_partials(void **state)
{
    (void)state;
    struct pack k;
    struct mp_mail_pack *p = NULL;
    struct mp_error err = {{0}, {0}};
    pack_make(&k);
    assert_int_equal(mp_mail_pack_load(k.dir, &p, &err), MP_OK);
    char *subject, *body;
    struct mp_tmpl_var a[] = {{"a", "x<y"}};
    render(p, "fr", "confirm", false, a, 1, &subject, &body);
    assert_string_equal(subject, "x<y");
    assert_string_equal(body, "[x<y] -- x<y");
    free(subject);
    free(body);
    render(p, "fr", "confirm", false, NULL, 0, &subject, &body);
    assert_string_equal(body, "none -- ");
    free(subject);
    free(body);
    render(p, "fr", "status", true, a, 1, NULL, &body);
    assert_string_equal(body, "<p>x&lt;y</p><hr>x&lt;y");
    free(body);
    assert_string_equal(mp_mail_pack_lang(p, "en"), "fr");
    assert_int_equal(mp_mail_pack_followup_days(p, "pothole"), 14);
    mp_mail_pack_free(p);
    pack_remove(&k);
}

static void test_broken_packs_are_refused(void **state)
{
    (void)state;
    struct pack k;
    pack_make(&k);
    write_file(k.dir, "mail/fr/status.txt", "Subject: x\n\n{{#a}}never closed");
    load_fails(&k, "mail/fr/status.txt: {{#a}} is not closed");
    write_file(k.dir, "mail/fr/status.txt", "Subject: x\n\n{{>_nothing}}");
    load_fails(&k, "mail/fr/status.txt: {{>_nothing}}: no such template");
    write_file(k.dir, "mail/fr/status.txt", "No subject line");
    load_fails(&k, "mail/fr/status.txt must start with a Subject: line and an empty line");
    write_file(k.dir, "mail/fr/status.txt", "Subject: x\n\n{{bad name}}");
    load_fails(&k, "mail/fr/status.txt: a bad tag name 'bad name'");
    write_file(k.dir, "mail/fr/status.txt", "Subject: x\n\nok");
    char path[512];
    snprintf(path, sizeof path, "%s/mail/fr/signin.html", k.dir);
    assert_int_equal(unlink(path), 0);
    load_fails(&k, "mail/fr lacks signin.txt or signin.html");
    write_file(k.dir, "mail/fr/signin.html", "ok");
    write_file(k.dir, "mail/mail.json", "{\"default_language\":\"de\",\"kto_reasons\":[]}");
    load_fails(&k, "mail.json: default_language must name a language folder of mail/");
    write_file(k.dir, "mail/mail.json",
               "{\"default_language\":\"fr\",\"kto_reasons\":[{\"code\":"
               "\"x\"}]}");
    load_fails(&k, "mail.json: reason x has no name in the default language");
    write_file(k.dir, "mail/mail.json", "{\"default_language\":\"fr\",\"kto_reasons\":[]}");
    write_file(k.dir, "categories.json",
               "{\"categories\":[{\"code\":\"pothole\","
               "\"followup_days\":-1}]}");
    load_fails(&k, "categories.json: pothole: followup_days must be 0-365");
    pack_remove(&k);
}

/* The region pack carries mail.json only: its confirmation is the
 * built-in one, in its default language (Dutch), with its own names. */
static void test_pack_without_templates_mails_in_its_language(void **state)
{
    (void)state;
    char dir[600];
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    assert_non_null(src);
    snprintf(dir, sizeof dir, "%s/geodata/halle-vilvoorde/mail/nl", src);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0); /* no templates of its own */
    snprintf(dir, sizeof dir, "%s/geodata/halle-vilvoorde", src);
    struct mp_mail_pack *p = NULL;
    struct mp_error err = {{0}, {0}};
    if (mp_mail_pack_load(dir, &p, &err) != MP_OK)
        fail_msg("Halle-Vilvoorde's mail pack: %s", err.text);
    assert_string_equal(mp_mail_pack_langs(p), "en,nl");
    assert_string_equal(mp_mail_pack_lang(p, NULL), "nl");
    assert_string_equal(mp_mail_pack_lang(p, "fr,de"), "nl");
    assert_string_equal(mp_mail_pack_lang(p, "en"), "en");
    const char *city = mp_mail_pack_text(p, "city_name", "nl");
    assert_string_equal(city, "uw gemeente (arrondissement Halle-Vilvoorde)");
    struct mp_tmpl_var vars[NVARS];
    memcpy(vars, all_vars, sizeof vars);
    vars[0].value = city; /* city_name */
    char *subject, *text, *html;
    render(p, "nl", "confirm", false, vars, NVARS, &subject, &text);
    render(p, "nl", "confirm", true, vars, NVARS, NULL, &html);
    assert_string_equal(subject, "Uw melding 42 is ontvangen: Pothole <deep> & wide");
    assert_non_null(strstr(text, "Beste melder,"));
    assert_non_null(strstr(text, "uw gemeente (arrondissement Halle-Vilvoorde)"));
    assert_non_null(strstr(text, "Helemaal geen mail meer van ons: "
                                 "https://reports.example/unsubscribe.html?t=mp_S"));
    assert_non_null(strstr(html, "https://reports.example/r/42"));
    assert_null(strstr(text, "{{"));
    assert_null(strstr(html, "{{"));
    free(subject);
    free(text);
    free(html);
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        assert_true(mp_mail_pack_has(p, "nl", required[i]));
        assert_true(mp_mail_pack_has(p, "en", required[i]));
    }
    mp_mail_pack_free(p);
}

/* A pack's own template wins over the built-in one; what it lacks in a
 * language the built-in set has is filled in, and a partial of its own
 * also serves the built-in templates. */
static void test_own_template_wins(void **state)
{
    (void)state;
    struct pack k;
    char path[512];
    pack_make(&k);
    snprintf(path, sizeof path, "%s/mail/nl", k.dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(k.dir, "mail/nl/confirm.txt", "Subject: Eigen {{report_id}}\n\nEigen tekst.");
    write_file(k.dir, "mail/nl/_footer.txt", "-- eigen voet");
    struct mp_mail_pack *p = NULL;
    struct mp_error err = {{0}, {0}};
    if (mp_mail_pack_load(k.dir, &p, &err) != MP_OK)
        fail_msg("own pack: %s", err.text);
    /* Its own folders are its languages: no built-in language is added. */
    assert_string_equal(mp_mail_pack_langs(p), "fr,nl");
    char *subject, *text;
    render(p, "nl", "confirm", false, all_vars, NVARS, &subject, &text);
    assert_string_equal(subject, "Eigen 42");
    assert_string_equal(text, "Eigen tekst.");
    free(subject);
    free(text);
    render(p, "nl", "status", false, all_vars, NVARS, &subject, &text);
    assert_string_equal(subject, "Melding 42: Fixed");
    assert_non_null(strstr(text, "-- eigen voet"));
    assert_null(strstr(text, "Helemaal geen mail meer"));
    free(subject);
    free(text);
    /* The HTML confirmation is the built-in one, with the built-in footer. */
    render(p, "nl", "confirm", true, all_vars, NVARS, NULL, &text);
    assert_non_null(strstr(text, "https://reports.example/unsubscribe.html?t=mp_S"));
    free(text);
    /* fr has no built-in templates: its own, as before. */
    render(p, "fr", "confirm", false, all_vars, NVARS, &subject, &text);
    assert_string_equal(text, "none -- ");
    free(subject);
    free(text);
    mp_mail_pack_free(p);
    pack_remove(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chicago_renders_everything),
        cmocka_unit_test(test_language_and_texts),
        cmocka_unit_test(test_own_pack_sections_and_partials),
        cmocka_unit_test(test_broken_packs_are_refused),
        cmocka_unit_test(test_pack_without_templates_mails_in_its_language),
        cmocka_unit_test(test_own_template_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
