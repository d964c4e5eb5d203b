/* Unit tests of the address parser: Chicago's number-first addresses and
 * Dutch/Flemish number-last ones, with the awkward cases people type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/address.h"

struct want {
    const char *text;
    const char *street;
    long number, number_to;
    const char *suffix, *unit;
    bool half;
};

static void check(const struct want *w)
{
    struct mp_address a;
    bool ok = mp_address_parse(w->text, &a);
    if (!w->street) {
        if (ok)
            fail_msg("'%s' parsed as street '%s'", w->text, a.street);
        assert_int_equal(a.number, 0);
        return;
    }
    if (!ok)
        fail_msg("'%s' gave no street", w->text);
    if (strcmp(a.street, w->street) != 0 || a.number != w->number ||
        a.number_to != w->number_to || strcmp(a.suffix, w->suffix) != 0 ||
        strcmp(a.unit, w->unit) != 0 || a.half != w->half)
        fail_msg("'%s': street '%s' number %ld-%ld suffix '%s' unit '%s' half %d; expected "
                 "'%s' %ld-%ld '%s' '%s' %d",
                 w->text, a.street, a.number, a.number_to, a.suffix, a.unit, a.half, w->street,
                 w->number, w->number_to, w->suffix, w->unit, w->half);
}

static void test_chicago_style(void **state)
{
    (void)state;
    static const struct want cases[] = {
        {"1047 W GLADYS AVE", "W GLADYS AVE", 1047, 1047, "", "", false},
        {"1047 west gladys avenue", "W GLADYS AVE", 1047, 1047, "", "", false},
        {"1047 W. Gladys Ave.", "W GLADYS AVE", 1047, 1047, "", "", false},
        {"  1047   W  GLADYS   AVE  ", "W GLADYS AVE", 1047, 1047, "", "", false},
        {"1040-1048 W GLADYS AVE", "W GLADYS AVE", 1040, 1048, "", "", false},
        {"1040 - 1048 W GLADYS AVE", "W GLADYS AVE", 1040, 1048, "", "", false},
        {"1047 W GLADYS AVE APT 2", "W GLADYS AVE", 1047, 1047, "", "2", false},
        {"1047 W GLADYS AVE Apt. 2R", "W GLADYS AVE", 1047, 1047, "", "2R", false},
        {"1047 W GLADYS AVE #3", "W GLADYS AVE", 1047, 1047, "", "3", false},
        {"1047 W GLADYS AVE UNIT 3B", "W GLADYS AVE", 1047, 1047, "", "3B", false},
        {"1047 1/2 W GLADYS AVE", "W GLADYS AVE", 1047, 1047, "", "", true},
        {"1047A W GLADYS AVE", "W GLADYS AVE", 1047, 1047, "A", "", false},
        {"1047 W Gladys Ave, Chicago, IL 60607", "W GLADYS AVE", 1047, 1047, "", "", false},
        /* A numbered street is a street, not a house number. */
        {"3949 W 71ST ST", "W 71ST ST", 3949, 3949, "", "", false},
        {"W 47th Street", "W 47TH ST", 0, 0, "", "", false},
        {"3900 S DR MARTIN LUTHER KING JR DR", "S DR MARTIN LUTHER KING JR DR", 3900, 3900, "",
         "", false},
        {"N Aberdeen St.", "N ABERDEEN ST", 0, 0, "", "", false},
        /* A Flemish box word is part of a Chicago street's name. */
        {"1200 S CTA BUS LN", "S CTA BUS LN", 1200, 1200, "", "", false},
        {"S CTA Bus Ln", "S CTA BUS LN", 0, 0, "", "", false},
        /* A range written backwards is a number and a unit, not a range. */
        {"1048-2 W GLADYS AVE", "W GLADYS AVE", 1048, 1048, "", "2", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check(&cases[i]);
}

static void test_dutch_style(void **state)
{
    (void)state;
    static const struct want cases[] = {
        {"Kerkstraat 12", "KERKSTRAAT", 12, 12, "", "", false},
        {"kerkstraat 12", "KERKSTRAAT", 12, 12, "", "", false},
        {"Kerkstraat 12A", "KERKSTRAAT", 12, 12, "A", "", false},
        {"Kerkstraat 12 a", "KERKSTRAAT", 12, 12, "A", "", false},
        {"Kerkstraat 12-A", "KERKSTRAAT", 12, 12, "A", "", false},
        {"Kerkstraat 12bis", "KERKSTRAAT", 12, 12, "BIS", "", false},
        {"Kerkstraat 12 bus 3", "KERKSTRAAT", 12, 12, "", "3", false},
        {"Kerkstraat 12 bus 3, 2000 Antwerpen", "KERKSTRAAT", 12, 12, "", "3", false},
        {"Kerkstraat 12/3", "KERKSTRAAT", 12, 12, "", "3", false},
        {"Kerkstraat 12-14", "KERKSTRAAT", 12, 14, "", "", false},
        {"Kerkstraat 12 - 14", "KERKSTRAAT", 12, 14, "", "", false},
        {"Kerkstr. 12", "KERKSTRAAT", 12, 12, "", "", false},
        {"Kerkstraat 12, 1234 AB Amsterdam", "KERKSTRAAT", 12, 12, "", "", false},
        {"Kerkstraat 12 1234 AB Amsterdam", "KERKSTRAAT", 12, 12, "", "", false},
        {"Sint-Jansstraat 5", "SINT-JANSSTRAAT", 5, 5, "", "", false},
        {"Oude Gracht 127", "OUDE GRACHT", 127, 127, "", "", false},
        /* A street that starts with an ordinal ("1e"). */
        {"1e Jan Steenstraat 3", "1E JAN STEENSTRAAT", 3, 3, "", "", false},
        /* Latin-1 letters in UTF-8 key alike in either case. */
        {"Rue de l'\xc3\xa9glise 4", "RUE DE L'\xc3\x89GLISE", 4, 4, "", "", false},
        {"Kerkstraat nr. 12", "KERKSTRAAT", 12, 12, "", "", false},
        {"Kerkstraat", "KERKSTRAAT", 0, 0, "", "", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check(&cases[i]);
}

static void test_not_addresses(void **state)
{
    (void)state;
    static const struct want cases[] = {
        {"", NULL, 0, 0, "", "", false},
        {"   ", NULL, 0, 0, "", "", false},
        {"1047", NULL, 0, 0, "", "", false},
        {"1047 1/2", NULL, 0, 0, "", "", false},
        {",,,", NULL, 0, 0, "", "", false},
        {NULL, NULL, 0, 0, "", "", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check(&cases[i]);
    /* An eight-digit "number" is not a house number. */
    struct mp_address a;
    assert_true(mp_address_parse("12345678 W GLADYS AVE", &a));
    assert_int_equal(a.number, 0);
    assert_string_equal(a.street, "12345678 W GLADYS AVE");
    /* Text too long for a key gives no street rather than a cut one. */
    char longer[400];
    memset(longer, 'A', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, "12 ", 3);
    assert_false(mp_address_parse(longer, &a));
}

static void test_key(void **state)
{
    (void)state;
    char k[MP_ADDRESS_KEY_MAX], tiny[8];
    assert_true(mp_address_key("N Aberdeen Street", k, sizeof k));
    assert_string_equal(k, "N ABERDEEN ST");
    assert_true(mp_address_key("W FULLERTON AVE", k, sizeof k));
    assert_string_equal(k, "W FULLERTON AVE");
    assert_true(mp_address_key("Kerkstraat", k, sizeof k));
    assert_string_equal(k, "KERKSTRAAT");
    /* The key of a layer name and of a typed address meet. */
    struct mp_address a;
    assert_true(mp_address_parse("2111 west lexington street", &a));
    assert_true(mp_address_key("W LEXINGTON ST", k, sizeof k));
    assert_string_equal(a.street, k);
    /* Cut at a word boundary, and said so. */
    assert_false(mp_address_key("N ABERDEEN ST", tiny, sizeof tiny));
    assert_string_equal(tiny, "N");
    assert_false(mp_address_key("", k, sizeof k));
    assert_false(mp_address_key(NULL, k, sizeof k));
}

static void test_style(void **state)
{
    (void)state;
    struct mp_address a;
    assert_true(mp_address_parse("1047 W GLADYS AVE", &a));
    assert_true(a.number_first);
    assert_true(mp_address_parse("Kerkstraat 12", &a));
    assert_false(a.number_first);
}

static void test_side(void **state)
{
    (void)state;
    assert_int_equal(mp_address_side(1047), 1);
    assert_int_equal(mp_address_side(1048), 0);
    assert_int_equal(mp_address_side(0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chicago_style), cmocka_unit_test(test_dutch_style),
        cmocka_unit_test(test_not_addresses), cmocka_unit_test(test_key),
        cmocka_unit_test(test_style), cmocka_unit_test(test_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
