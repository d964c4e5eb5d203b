/* errtext.c - the client's language, the Dutch texts of the error codes, the
 * JSON error answer and the HTML "page not found". English is the language
 * the modules write their messages in; it stays byte for byte what they
 * wrote, so that English answers do not change when a text is added here. */
#include "meldpunt/errtext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "meldpunt/buf.h"

/* The Dutch text of every error code a module may send, in one table. A
 * code missing here gets GENERAL_NL; tests/api/errtext.test.mjs fails when
 * a code in server/ has no line of its own. */
static const struct {
    const char *code, *nl;
} dutch[] = {
    {"already_answered", "Deze vraag is al beantwoord."},
    {"already_undone", "Deze samenvoeging is al teruggedraaid."},
    {"automation", "De automatiseringsregels van de gemeente kloppen niet."},
    {"automation_invalid", "De automatiseringsregels van de gemeente kloppen niet."},
    {"body_too_large", "Het verzoek is te groot."},
    {"busy", "De server is even te druk. Probeer het over een halve minuut opnieuw."},
    {"cannot_open", "Een bestand kon niet geopend worden."},
    {"category_mismatch", "Deze melding hoort bij een andere categorie."},
    {"config", "De instellingen van de server kloppen niet."},
    {"conflict", "Dit botst met de huidige toestand; laad de gegevens opnieuw."},
    {"copy_store", "Het kopiëren van de database tussen de twee opslagsystemen is mislukt."},
    {"corrupt", "De gegevens van de server zijn beschadigd."},
    {"crew_department_mismatch", "Deze ploeg hoort bij een andere afdeling."},
    {"cross_site", "Een schrijfverzoek van de pagina van een andere website wordt geweigerd."},
    {"csv_bad_quote", "Het CSV-bestand heeft een aanhalingsteken op een verkeerde plek."},
    {"csv_end", "Het CSV-bestand houdt te vroeg op."},
    {"csv_limits", "Het CSV-bestand is te groot."},
    {"csv_read_error", "Het CSV-bestand kon niet gelezen worden."},
    {"csv_record_too_big", "Een regel van het CSV-bestand is te lang."},
    {"csv_too_many_fields", "Een regel van het CSV-bestand heeft te veel velden."},
    {"csv_unterminated_quote", "Het CSV-bestand heeft een aanhalingsteken dat niet sluit."},
    {"duplicate_external_id", "Deze melding is al eerder ontvangen."},
    {"expired_token", "Deze link is verlopen."},
    {"forbidden", "U mag dit niet doen met dit account."},
    {"headers_too_large", "De kopregels van het verzoek zijn te groot."},
    {"id_taken", "Het oude nummer van deze melding is weer in gebruik; de samenvoeging kan "
                 "niet terug."},
    {"internal", "Er ging iets mis op de server. Probeer het later opnieuw."},
    {"invalid_argument", "Een waarde in het verzoek is ongeldig."},
    {"invalid_attribute", "Een kenmerk van de melding heeft een ongeldige waarde."},
    {"invalid_bbox", "Het gevraagde kaartgebied is ongeldig of te groot."},
    {"invalid_city_pack", "De gegevens van de gemeente kloppen niet."},
    {"invalid_crs", "Het coördinatenstelsel is ongeldig."},
    {"invalid_csv", "Het CSV-bestand is ongeldig."},
    {"invalid_cursor", "De verwijzing naar de volgende pagina is ongeldig; begin opnieuw."},
    {"invalid_field", "Een veld van het verzoek heeft een ongeldige waarde."},
    {"invalid_form", "Het formulier kon niet gelezen worden."},
    {"invalid_framing", "De lengte van het verzoek is niet eenduidig."},
    {"invalid_format", "Dit formaat wordt niet ondersteund."},
    {"invalid_geometry", "De vorm van het gebied is ongeldig."},
    {"invalid_json", "Het verzoek is geen geldige JSON."},
    {"invalid_parameter", "Een parameter van het verzoek heeft een ongeldige waarde."},
    {"invalid_path", "Het adres van het verzoek bevat ongeldige tekens."},
    {"invalid_photo", "Deze foto kan niet worden gelezen; misschien is hij beschadigd."},
    {"invalid_status", "Deze status bestaat niet."},
    {"invalid_timezone", "De tijdzone is ongeldig."},
    {"invalid_token", "Deze link is ongeldig."},
    {"invalid_transition", "Deze statuswijziging is niet toegestaan."},
    {"io", "Een bestand kon niet gelezen of geschreven worden."},
    {"listen", "De server kan niet op dit adres luisteren."},
    {"mail_pack", "De e-mailteksten van de gemeente kloppen niet."},
    {"method_not_allowed", "Deze methode is hier niet toegestaan."},
    {"metrics", "De server kon zijn meetgegevens niet bijhouden."},
    {"missing_field", "Er ontbreekt een verplicht veld."},
    {"missing_parameter", "Er ontbreekt een verplichte parameter."},
    {"moved_on", "Er is sindsdien een melding verplaatst; de samenvoeging kan niet meer "
                 "terug."},
    {"municipality_mismatch", "Deze meldingen horen bij verschillende gemeenten; ze blijven apart."},
    {"not_found", "Niet gevonden."},
    {"not_implemented", "Dit kan deze server (nog) niet met zijn database."},
    {"not_meldpunt", "Dit is geen database van meldpunt."},
    {"note_required", "Voor deze statuswijziging is een toelichting nodig."},
    {"out_of_area", "Deze plek ligt buiten ons gebied."},
    {"out_of_memory", "De server heeft te weinig geheugen. Probeer het later opnieuw."},
    {"out_of_range", "Deze waarde valt buiten het toegestane bereik."},
    {"photo_too_large", "Deze foto is te groot."},
    {"photo_too_large_dimensions", "Deze foto heeft te veel pixels."},
    {"proj", "De omrekening van coördinaten is mislukt."},
    {"rate_limited", "Er zijn te veel verzoeken vanaf hier verstuurd. Wacht even en probeer het "
                     "opnieuw."},
    {"reason_required", "Deze meldingen liggen verder uit elkaar dan gewoonlijk: geef een "
                        "reden."},
    {"smtp", "De mailserver kon niet bereikt worden."},
    {"static", "Een bestand van de website kon niet gelezen worden."},
    {"store", "De database kon het verzoek niet verwerken."},
    {"threads", "De server kon een interne taak niet starten."},
    {"too_large", "Het antwoord zou te groot worden; vraag minder tegelijk."},
    {"too_few_rows", "Er zijn te weinig regels om mee te rekenen."},
    {"too_long", "Een tekst is te lang."},
    {"too_many_features", "Dit kaartgebied bevat te veel straten; zoom verder in."},
    {"too_many_stops", "De werklijst heeft te veel adressen; kies een kleiner gebied."},
    {"unauthorized", "Meld u aan met een geldig token."},
    {"unavailable", "De server kan dit nu niet doen. Probeer het zo opnieuw."},
    {"unknown_category", "Deze categorie bestaat niet."},
    {"unknown_cluster", "Deze melding bestaat niet."},
    {"unknown_crew", "Deze ploeg bestaat niet."},
    {"unknown_district", "Deze wijk bestaat niet."},
    {"unknown_field", "Het verzoek bevat een onbekend veld."},
    {"unknown_municipality", "Deze gemeente hoort niet bij deze regio."},
    {"unknown_parameter", "Het verzoek bevat een onbekende parameter."},
    {"unsupported", "Dit kan met deze database (nog) niet."},
    {"unknown_reason", "Deze reden bestaat niet."},
    {"unsupported_color_space", "De kleuren van deze foto worden niet ondersteund."},
    {"unsupported_media_type", "Dit soort bestand wordt niet ondersteund."},
    {"uri_too_long", "Het adres van het verzoek is te lang."},
    {"usage", "Onjuist gebruik van het commando."},
    {"used_token", "Deze link is al gebruikt."},
    {"wrong_jurisdiction", "Deze plek ligt in een andere gemeente."},
};

static const char GENERAL_NL[] = "Het verzoek kon niet worden uitgevoerd.";

static int find_code(const char *code)
{
    for (size_t i = 0; code && i < sizeof dutch / sizeof *dutch; i++)
        if (strcmp(dutch[i].code, code) == 0)
            return (int)i;
    return -1;
}

bool mp_errtext_known(const char *code) { return find_code(code) >= 0; }

const char *mp_errtext_dutch(const char *code)
{
    int i = find_code(code);
    return i >= 0 ? dutch[i].nl : GENERAL_NL;
}

const char *mp_errtext_lang_code(enum mp_lang lang) { return lang == MP_LANG_NL ? "nl" : "en"; }

/* The language a tag names ("nl", "nl-BE", "EN-us"), or -1 for one we do
 * not speak (and for "*": a wildcard chooses nothing). len bytes of tag. */
static int tag_lang(const char *tag, size_t len)
{
    size_t primary = 0;
    while (primary < len && tag[primary] != '-' && tag[primary] != '_')
        primary++;
    if (primary != 2)
        return -1;
    if (strncasecmp(tag, "nl", 2) == 0)
        return MP_LANG_NL;
    if (strncasecmp(tag, "en", 2) == 0)
        return MP_LANG_EN;
    return -1;
}

/* The weight of one list item's parameters (";q=0.8"); 1 without one. The
 * parameters run from p for len bytes. */
static double item_q(const char *p, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (p[i] != ';')
            continue;
        size_t j = i + 1;
        while (j < len && p[j] == ' ')
            j++;
        if (j + 1 < len && (p[j] == 'q' || p[j] == 'Q') && p[j + 1] == '=') {
            char num[8];
            size_t k = 0;
            for (j += 2;
                 j < len && k < sizeof num - 1 && (isdigit((unsigned char)p[j]) || p[j] == '.');)
                num[k++] = p[j++];
            num[k] = '\0';
            return k ? strtod(num, NULL) : 0;
        }
    }
    return 1;
}

/* Walks a comma-separated header list ("a;q=0.5, b"): fn(ctx, item, item_len,
 * q) for each item, item without its parameters and spaces. */
static void each_item(const char *list, void (*fn)(void *, const char *, size_t, double), void *ctx)
{
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t name = strcspn(p, ";");
        name = name < len ? name : len;
        while (name && (p[name - 1] == ' ' || p[name - 1] == '\t'))
            name--;
        fn(ctx, p, name, item_q(p + name, len - name));
        p += len;
    }
}

struct pick_lang {
    int lang;
    double q;
};

static void lang_item(void *arg, const char *item, size_t len, double q)
{
    struct pick_lang *pl = arg;
    int l = tag_lang(item, len);
    if (l >= 0 && q > 0 && q > pl->q) {
        pl->lang = l;
        pl->q = q;
    }
}

enum mp_lang mp_errtext_lang(const char *lang_param, const char *accept_language)
{
    if (lang_param) {
        int l = tag_lang(lang_param, strlen(lang_param));
        if (l >= 0)
            return (enum mp_lang)l;
    }
    struct pick_lang pl = {MP_LANG_EN, 0};
    each_item(accept_language, lang_item, &pl);
    return (enum mp_lang)pl.lang;
}

void mp_errtext_json(struct mp_buf *b, const struct mp_error *err, enum mp_lang lang)
{
    const char *text = err->text[0] ? err->text : "request failed";
    mp_buf_adds(b, "{\"error\":{\"code\":");
    mp_json_str(b, err->code[0] ? err->code : "error");
    mp_buf_adds(b, ",\"message\":");
    if (lang == MP_LANG_NL) {
        mp_json_str(b, mp_errtext_dutch(err->code));
        mp_buf_adds(b, ",\"detail\":");
    }
    mp_json_str(b, text);
    mp_buf_adds(b, "}}");
}

/* How well a media range matches the types a page or an API answer comes
 * in: the most specific range that matches decides the weight. */
struct pick_media {
    int html_rank, json_rank; /* 3 exact, 2 type/x, 1 wildcard, 0 none */
    double html_q, json_q;
};

static int media_rank(const char *range, size_t len, const char *type, const char *sub)
{
    size_t tl = strlen(type), sl = strlen(sub);
    if (len == 3 && strncmp(range, "*/*", 3) == 0)
        return 1;
    if (len < tl + 2 || strncasecmp(range, type, tl) != 0 || range[tl] != '/')
        return 0;
    const char *r = range + tl + 1;
    size_t rl = len - tl - 1;
    if (rl == 1 && r[0] == '*')
        return 2;
    return rl == sl && strncasecmp(r, sub, sl) == 0 ? 3 : 0;
}

static void media_item(void *arg, const char *item, size_t len, double q)
{
    struct pick_media *pm = arg;
    int h = media_rank(item, len, "text", "html"), j = media_rank(item, len, "application", "json");
    if (h > pm->html_rank) {
        pm->html_rank = h;
        pm->html_q = q;
    }
    if (j > pm->json_rank) {
        pm->json_rank = j;
        pm->json_q = q;
    }
}

bool mp_errtext_wants_html(const char *accept)
{
    struct pick_media pm = {0, 0, 0, 0};
    each_item(accept, media_item, &pm);
    return pm.html_rank > 0 && pm.html_q > 0 && pm.html_q > pm.json_q;
}

/* The page's texts: the keys are those of web/strings-public.js, so that the
 * page script (web/notfound.js) can redraw them in a language chosen on the
 * site. */
static const struct {
    const char *lang, *title, *heading, *text, *home;
} page_404[] = {
    {"en", "Page not found · meldpunt", "Page not found",
     "There is no page at this address. The link may be mistyped, or the report number may not "
     "exist.",
     "Go to the map of reports"},
    {"nl", "Pagina niet gevonden · meldpunt", "Pagina niet gevonden",
     "Op dit adres staat geen pagina. Misschien is de link verkeerd getypt, of bestaat het "
     "meldingsnummer niet.",
     "Naar de kaart met meldingen"},
};

void mp_errtext_html_404(struct mp_buf *b, enum mp_lang lang)
{
    const size_t i = lang == MP_LANG_NL ? 1 : 0;
    mp_buf_printf(b,
                  "<!doctype html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"robots\" content=\"noindex\">\n"
                  "<title data-i18n=\"notfound.page_title\">%s</title>\n"
                  "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n"
                  "<link rel=\"stylesheet\" href=\"/theme.css\">\n"
                  "<link rel=\"stylesheet\" href=\"/app.css\">\n"
                  "<script type=\"module\" src=\"/notfound.js\"></script>\n</head>\n"
                  "<body class=\"page-notfound\">\n<header class=\"topbar\">\n"
                  "<p class=\"brand\"><img src=\"/favicon.svg\" alt=\"\" width=\"28\" "
                  "height=\"28\"> <a href=\"/\">meldpunt</a></p>\n"
                  "<div class=\"topbar-actions\"><button type=\"button\" id=\"lang-switch\" "
                  "class=\"chip\" hidden></button></div>\n</header>\n"
                  "<main id=\"main\" class=\"notfound-main\">\n"
                  "<h1 data-i18n=\"notfound.title\">%s</h1>\n"
                  "<p data-i18n=\"notfound.text\">%s</p>\n"
                  "<p><a id=\"home-link\" class=\"primary-link\" href=\"/\" "
                  "data-i18n=\"notfound.home\">%s</a></p>\n</main>\n</body>\n</html>\n",
                  page_404[i].lang, page_404[i].title, page_404[i].heading, page_404[i].text,
                  page_404[i].home);
}
