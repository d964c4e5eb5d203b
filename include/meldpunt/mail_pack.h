/* mail_pack.h - the city pack's words for mail: templates per language in
 * geodata/<city>/mail/<lang>/<name>.txt and .html, the settings in
 * geodata/<city>/mail/mail.json (default language, sender name, the reasons
 * a reporter can give in the satisfaction check) and each category's
 * follow-up delay ("followup_days" in categories.json). Every template a
 * language of the pack lacks comes from the built-in set (server/mail,
 * compiled in); a pack with no language folder has the built-in languages.
 * README.md ("Mail to reporters") documents the files; the template
 * language:
 *
 *   {{name}}              the variable (HTML-escaped in .html templates)
 *   {{#name}}..{{/name}}  the inside only when the variable is not empty
 *   {{^name}}..{{/name}}  the inside only when it is empty
 *   {{>name}}             the template name of the same language and type
 *
 * A variable whose name ends in "_html" is markup that its renderer built
 * with mp_mail_html_escape: .html templates take it as it is.
 *
 * A .txt template starts with a "Subject: ..." line and an empty line; the
 * subject is rendered like the body. Templates whose name starts with "_"
 * are partials (no subject; meant for {{>_name}}).
 *
 * Thread-safety: read-only after mp_mail_pack_load; share it freely.
 */
#ifndef MELDPUNT_MAIL_PACK_H
#define MELDPUNT_MAIL_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/buf.h"
#include "meldpunt/status.h"

struct mp_mail_pack;

/* A reason a reporter may give for (dis)satisfaction. */
struct mp_kto_reason {
    char code[32];
    bool reopen;    /* not satisfied for this reason asks for the job to be reopened */
    bool satisfied; /* offered with "satisfied" (else with "not satisfied") */
};

/* A template variable: value may be NULL (empty). */
struct mp_tmpl_var {
    const char *name, *value;
};

/* Every template a language must have: the reporters', the area alerts', the departments'. */
#define MP_MAIL_TEMPLATES                                                                          \
    {                                                                                              \
        "confirm", "status", "followup", "signin", "alert-confirm", "alert", "alert-digest",       \
        "dept-job", "dept-digest"                                                                  \
    }

/* Load the mail part of the pack in city_dir (mail/ and categories.json).
 * Its languages are mail/'s language folders, or the built-in ones when it
 * has none; each must have the templates of MP_MAIL_TEMPLATES (text and
 * HTML), its own or built-in, with balanced sections; err names the file
 * and the problem.
 * New object in *out (mp_mail_pack_free). */
enum mp_status mp_mail_pack_load(const char *city_dir, struct mp_mail_pack **out,
                                 struct mp_error *err) MP_WUR;
void mp_mail_pack_free(struct mp_mail_pack *p);

/* The first language of prefs (a comma list, "nl,en") the pack has, else
 * its default. Borrowed from the pack. */
const char *mp_mail_pack_lang(const struct mp_mail_pack *p, const char *prefs);
/* The languages the pack has, comma separated ("en,nl"). Borrowed. */
const char *mp_mail_pack_langs(const struct mp_mail_pack *p);
/* A text of mail.json in lang (else in the default language; "" when the
 * pack has none): "from_name" (the sender's display name), "city_name"
 * (the city as its mails name it). Borrowed. */
const char *mp_mail_pack_text(const struct mp_mail_pack *p, const char *key, const char *lang);
/* Whether lang has template name. */
bool mp_mail_pack_has(const struct mp_mail_pack *p, const char *lang, const char *name);

/* Render template name of lang (html: the .html one, else the .txt one)
 * with vars into body; for the text one also its subject into subject (may
 * be NULL otherwise). MP_ENOTFOUND when lang has no such template. */
enum mp_status mp_mail_pack_render(const struct mp_mail_pack *p, const char *lang, const char *name,
                                   bool html, const struct mp_tmpl_var *vars, size_t nvars,
                                   struct mp_buf *subject, struct mp_buf *body) MP_WUR;

/* s (NULL: "") HTML-escaped onto b: for the renderers' *_html variables. */
void mp_mail_html_escape(struct mp_buf *b, const char *s);

/* The reasons, in the pack's order: *n of them. Borrowed. */
const struct mp_kto_reason *mp_mail_pack_reasons(const struct mp_mail_pack *p, size_t *n);
/* The reason's name in lang (the default language's when lang lacks one). */
const char *mp_mail_pack_reason_name(const struct mp_mail_pack *p, const char *code,
                                     const char *lang);
/* The reason with this code, or NULL. */
const struct mp_kto_reason *mp_mail_pack_reason(const struct mp_mail_pack *p, const char *code);

/* Days after a fix when reporters of category who did not answer are asked
 * whether it is really fixed; 0: never. */
int mp_mail_pack_followup_days(const struct mp_mail_pack *p, const char *category);

#endif
