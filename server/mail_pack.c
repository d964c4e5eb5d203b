/* mail_pack.c - the city pack's mail templates and settings (mail_pack.h).
 * Templates a pack's language lacks come from the built-in set
 * (mail_builtin.h), so a pack carries only the templates it words its own
 * way; a pack without language folders speaks the built-in languages. */
#include "meldpunt/mail_pack.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mail_builtin.h"

#define LANGS_MAX 8
#define TEMPLATES_MAX 128
#define TEMPLATE_BYTES_MAX (64 * 1024)
#define REASONS_MAX 32
#define PARTIAL_DEPTH 4

struct tmpl {
    char lang[8];
    char name[40];
    bool html;
    char *text; /* owned, NUL-terminated */
    size_t len;
};

struct followup {
    char category[48];
    int days;
};

struct mp_mail_pack {
    char langs[LANGS_MAX][8];
    size_t nlangs;
    size_t default_lang; /* index into langs */
    char lang_list[LANGS_MAX * 9];
    /* mail.json's texts per language (owned; NULL: missing), by language
     * index: TEXT_FROM_NAME, TEXT_CITY_NAME. */
    char *texts[2][LANGS_MAX];
    struct tmpl tmpls[TEMPLATES_MAX];
    size_t ntmpls;
    struct mp_kto_reason reasons[REASONS_MAX];
    char *reason_names[REASONS_MAX][LANGS_MAX]; /* owned, by language index; NULL: missing */
    size_t nreasons;
    struct followup *followups;
    size_t nfollowups;
};

static const char *const required[] = MP_MAIL_TEMPLATES;

static long lang_index(const struct mp_mail_pack *p, const char *lang, size_t len)
{
    for (size_t i = 0; i < p->nlangs; i++)
        if (strlen(p->langs[i]) == len && strncmp(p->langs[i], lang, len) == 0)
            return (long)i;
    return -1;
}

const char *mp_mail_pack_lang(const struct mp_mail_pack *p, const char *prefs)
{
    const char *s = prefs ? prefs : "";
    while (*s) {
        size_t n = strcspn(s, ",");
        long i = lang_index(p, s, n);
        if (i >= 0)
            return p->langs[i];
        s += n;
        if (*s == ',')
            s++;
    }
    return p->langs[p->default_lang];
}

const char *mp_mail_pack_langs(const struct mp_mail_pack *p) { return p->lang_list; }

static const char *const text_keys[] = {"from_name", "city_name"};

const char *mp_mail_pack_text(const struct mp_mail_pack *p, const char *key, const char *lang)
{
    for (size_t k = 0; k < sizeof text_keys / sizeof *text_keys; k++) {
        if (strcmp(text_keys[k], key) != 0)
            continue;
        long i = lang_index(p, lang, strlen(lang));
        const char *n = i >= 0 ? p->texts[k][i] : NULL;
        if (!n)
            n = p->texts[k][p->default_lang];
        return n ? n : "";
    }
    return "";
}

static const struct tmpl *find(const struct mp_mail_pack *p, const char *lang, const char *name,
                               size_t name_len, bool html)
{
    for (size_t i = 0; i < p->ntmpls; i++) {
        const struct tmpl *t = &p->tmpls[i];
        if (t->html == html && strcmp(t->lang, lang) == 0 && strlen(t->name) == name_len &&
            strncmp(t->name, name, name_len) == 0)
            return t;
    }
    return NULL;
}

bool mp_mail_pack_has(const struct mp_mail_pack *p, const char *lang, const char *name)
{
    return find(p, lang, name, strlen(name), false) && find(p, lang, name, strlen(name), true);
}

/* ---- rendering ---- */

struct render {
    const struct mp_mail_pack *p;
    const char *lang;
    bool html;
    const struct mp_tmpl_var *vars;
    size_t nvars;
    struct mp_buf *out; /* NULL: only check the syntax */
    char problem[120];
};

static const char *var(const struct render *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->nvars; i++)
        if (strlen(r->vars[i].name) == len && strncmp(r->vars[i].name, name, len) == 0)
            return r->vars[i].value ? r->vars[i].value : "";
    return "";
}

static void put_escaped(struct mp_buf *b, const char *s, bool html)
{
    if (!html) {
        mp_buf_adds(b, s);
        return;
    }
    for (; *s; s++) {
        switch (*s) {
        case '&': mp_buf_lit(b, "&amp;"); break;
        case '<': mp_buf_lit(b, "&lt;"); break;
        case '>': mp_buf_lit(b, "&gt;"); break;
        case '"': mp_buf_lit(b, "&quot;"); break;
        case '\'': mp_buf_lit(b, "&#39;"); break;
        default: mp_buf_addc(b, *s);
        }
    }
}

void mp_mail_html_escape(struct mp_buf *b, const char *s)
{
    put_escaped(b, s ? s : "", true);
}

/* The end of the section named name opened just before s: the offset of
 * its "{{/name}}" (sections of the same name nest), or -1. */
static long section_end(const char *s, size_t n, const char *name, size_t nlen)
{
    int depth = 0;
    for (size_t i = 0; i + 4 < n; i++) {
        if (s[i] != '{' || s[i + 1] != '{')
            continue;
        char kind = s[i + 2];
        const char *nm = s + i + 3;
        if ((kind == '#' || kind == '^' || kind == '/') && (size_t)(s + n - nm) > nlen + 1 &&
            strncmp(nm, name, nlen) == 0 && nm[nlen] == '}' && nm[nlen + 1] == '}') {
            if (kind != '/')
                depth++;
            else if (depth-- == 0)
                return (long)i;
        }
    }
    return -1;
}

static bool render_text(struct render *r, const char *s, size_t n, int depth)
{
    size_t i = 0;
    while (i < n) {
        const char *open = NULL;
        for (size_t k = i; k + 1 < n; k++)
            if (s[k] == '{' && s[k + 1] == '{') {
                open = s + k;
                break;
            }
        size_t lit = open ? (size_t)(open - (s + i)) : n - i;
        if (r->out)
            mp_buf_add(r->out, s + i, lit);
        if (!open)
            return true;
        const char *close = NULL;
        for (const char *c = open + 2; c + 1 < s + n; c++)
            if (c[0] == '}' && c[1] == '}') {
                close = c;
                break;
            }
        if (!close) {
            snprintf(r->problem, sizeof r->problem, "a {{ without }}");
            return false;
        }
        char kind = open[2];
        const char *name = open + 2;
        if (kind == '#' || kind == '^' || kind == '/' || kind == '>')
            name++;
        size_t nlen = (size_t)(close - name);
        for (size_t k = 0; k < nlen; k++)
            if (!((name[k] >= 'a' && name[k] <= 'z') || (name[k] >= '0' && name[k] <= '9') ||
                  name[k] == '_' || name[k] == '-')) {
                snprintf(r->problem, sizeof r->problem, "a bad tag name '%.*s'",
                         (int)(nlen < 40 ? nlen : 40), name);
                return false;
            }
        if (nlen == 0) {
            snprintf(r->problem, sizeof r->problem, "an empty tag");
            return false;
        }
        size_t after = (size_t)(close + 2 - s);
        if (kind == '/') {
            snprintf(r->problem, sizeof r->problem, "{{/%.*s}} without its opening tag",
                     (int)(nlen < 40 ? nlen : 40), name);
            return false;
        }
        if (kind == '#' || kind == '^') {
            long end = section_end(s + after, n - after, name, nlen);
            if (end < 0) {
                snprintf(r->problem, sizeof r->problem, "{{%c%.*s}} is not closed", kind,
                         (int)(nlen < 40 ? nlen : 40), name);
                return false;
            }
            bool has = var(r, name, nlen)[0] != '\0';
            bool show = kind == '#' ? has : !has;
            struct mp_buf *saved = r->out;
            if (!show)
                r->out = NULL; /* still checked */
            bool ok = render_text(r, s + after, (size_t)end, depth);
            r->out = saved;
            if (!ok)
                return false;
            i = after + (size_t)end + nlen + 5;
            continue;
        }
        if (kind == '>') {
            const struct tmpl *t = find(r->p, r->lang, name, nlen, r->html);
            if (!t || depth >= PARTIAL_DEPTH) {
                snprintf(r->problem, sizeof r->problem, "{{>%.*s}}: %s",
                         (int)(nlen < 40 ? nlen : 40), name,
                         t ? "partials nest too deep" : "no such template");
                return false;
            }
            if (!render_text(r, t->text, t->len, depth + 1))
                return false;
        } else if (r->out) {
            /* A variable named *_html is markup its renderer escaped
             * (mp_mail_html_escape): it goes into HTML as it is. */
            bool raw = r->html && nlen > 5 && strncmp(name + nlen - 5, "_html", 5) == 0;
            if (raw)
                mp_buf_adds(r->out, var(r, name, nlen));
            else
                put_escaped(r->out, var(r, name, nlen), r->html);
        }
        i = after;
    }
    return true;
}

/* The text template's subject line and where its body starts. */
static bool split_subject(const struct tmpl *t, size_t *subj_off, size_t *subj_len,
                          size_t *body_off)
{
    static const char prefix[] = "Subject: ";
    if (strncmp(t->text, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *nl = strchr(t->text, '\n');
    if (!nl)
        return false;
    *subj_off = sizeof prefix - 1;
    *subj_len = (size_t)(nl - t->text) - *subj_off;
    if (*subj_len && t->text[*subj_off + *subj_len - 1] == '\r')
        (*subj_len)--;
    const char *body = nl + 1;
    if (*body == '\r')
        body++;
    if (*body != '\n')
        return false; /* an empty line after the subject */
    *body_off = (size_t)(body + 1 - t->text);
    return true;
}

enum mp_status mp_mail_pack_render(const struct mp_mail_pack *p, const char *lang, const char *name,
                                   bool html, const struct mp_tmpl_var *vars, size_t nvars,
                                   struct mp_buf *subject, struct mp_buf *body)
{
    const struct tmpl *t = find(p, lang, name, strlen(name), html);
    if (!t)
        return MP_ENOTFOUND;
    struct render r = {p, lang, html, vars, nvars, body, ""};
    size_t off = 0, so = 0, sl = 0;
    if (!html) {
        if (!split_subject(t, &so, &sl, &off))
            return MP_EINVAL; /* checked at load */
        if (subject) {
            r.out = subject;
            if (!render_text(&r, t->text + so, sl, 0))
                return MP_EINVAL;
            r.out = body;
        }
    }
    if (!render_text(&r, t->text + off, t->len - off, 0))
        return MP_EINVAL;
    return mp_buf_status(body) || (subject && mp_buf_status(subject)) ? MP_ENOMEM : MP_OK;
}

/* ---- the reasons and the follow-up delays ---- */

const struct mp_kto_reason *mp_mail_pack_reasons(const struct mp_mail_pack *p, size_t *n)
{
    *n = p->nreasons;
    return p->reasons;
}

const struct mp_kto_reason *mp_mail_pack_reason(const struct mp_mail_pack *p, const char *code)
{
    for (size_t i = 0; code && i < p->nreasons; i++)
        if (strcmp(p->reasons[i].code, code) == 0)
            return &p->reasons[i];
    return NULL;
}

const char *mp_mail_pack_reason_name(const struct mp_mail_pack *p, const char *code,
                                     const char *lang)
{
    for (size_t i = 0; code && i < p->nreasons; i++) {
        if (strcmp(p->reasons[i].code, code) != 0)
            continue;
        long l = lang_index(p, lang, strlen(lang));
        const char *n = l >= 0 ? p->reason_names[i][l] : NULL;
        if (!n)
            n = p->reason_names[i][p->default_lang];
        return n ? n : code;
    }
    return code ? code : "";
}

int mp_mail_pack_followup_days(const struct mp_mail_pack *p, const char *category)
{
    for (size_t i = 0; category && i < p->nfollowups; i++)
        if (strcmp(p->followups[i].category, category) == 0)
            return p->followups[i].days;
    return 0;
}

/* ---- loading ---- */

/* "a/b" into out; false when it does not fit. */
static bool join(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n >= 0 && (size_t)n < cap;
}

/* Copy s (shorter than cap, checked by the caller) into out. */
static void copy_name(char *out, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static enum mp_status read_file(const char *path, char **out, size_t *len, struct mp_error *err)
{
    struct stat sb;
    FILE *f = NULL;
    *out = NULL;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return mp_fail(err, MP_EIO, "mail_pack", "cannot read %.120s", path);
    if (sb.st_size > TEMPLATE_BYTES_MAX)
        return mp_fail(err, MP_ETOOBIG, "mail_pack", "%.120s is larger than %d bytes", path,
                       TEMPLATE_BYTES_MAX);
    if (!(f = fopen(path, "rb")))
        return mp_fail(err, MP_EIO, "mail_pack", "cannot read %.120s", path);
    char *buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        fclose(f);
        return MP_ENOMEM;
    }
    *len = fread(buf, 1, (size_t)sb.st_size, f);
    fclose(f);
    buf[*len] = '\0';
    if (memchr(buf, '\0', *len)) {
        free(buf);
        return mp_fail(err, MP_EINVAL, "mail_pack", "%.120s holds a NUL byte", path);
    }
    *out = buf;
    return MP_OK;
}

static enum mp_status load_lang(struct mp_mail_pack *p, const char *mail_dir, const char *lang,
                                struct mp_error *err)
{
    char dir[1100];
    DIR *d = join(dir, sizeof dir, mail_dir, lang) ? opendir(dir) : NULL;
    if (!d)
        return mp_fail(err, MP_EIO, "mail_pack", "cannot read %.120s", dir);
    enum mp_status rc = MP_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        const char *dot = strrchr(e->d_name, '.');
        if (!dot || e->d_name[0] == '.')
            continue;
        bool html = strcmp(dot, ".html") == 0;
        if (!html && strcmp(dot, ".txt") != 0)
            continue;
        char name[sizeof p->tmpls[0].name];
        size_t nlen = (size_t)(dot - e->d_name);
        copy_name(name, sizeof name, e->d_name, nlen);
        if (nlen >= sizeof name || !name_ok(name, sizeof name)) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack",
                         "%.20s/%.60s: a template name is made of "
                         "a-z, 0-9, _ and -",
                         lang, e->d_name);
            break;
        }
        if (p->ntmpls == TEMPLATES_MAX) {
            rc = mp_fail(err, MP_ETOOBIG, "mail_pack", "more than %d templates", TEMPLATES_MAX);
            break;
        }
        struct tmpl *t = &p->tmpls[p->ntmpls];
        char path[1400];
        if (!join(path, sizeof path, dir, e->d_name)) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack", "a path under mail/ is too long");
            break;
        }
        if ((rc = read_file(path, &t->text, &t->len, err)))
            break;
        copy_name(t->lang, sizeof t->lang, lang, strlen(lang));
        memcpy(t->name, name, sizeof t->name);
        t->html = html;
        p->ntmpls++;
    }
    closedir(d);
    return rc;
}

/* The built-in templates of lang that the pack does not have itself (its
 * own, loaded first, win; a partial of its own also serves the built-in
 * templates that include it). */
static enum mp_status add_builtin(struct mp_mail_pack *p, const char *lang, struct mp_error *err)
{
    for (size_t i = 0; i < mp_mail_nbuiltin; i++) {
        const struct mp_mail_builtin *b = &mp_mail_builtin[i];
        if (strcmp(b->lang, lang) != 0 || find(p, lang, b->name, strlen(b->name), b->html))
            continue;
        if (p->ntmpls == TEMPLATES_MAX)
            return mp_fail(err, MP_ETOOBIG, "mail_pack", "more than %d templates", TEMPLATES_MAX);
        struct tmpl *t = &p->tmpls[p->ntmpls];
        if (!(t->text = malloc(b->len + 1)))
            return MP_ENOMEM;
        memcpy(t->text, b->text, b->len + 1);
        t->len = b->len;
        copy_name(t->lang, sizeof t->lang, lang, strlen(lang));
        copy_name(t->name, sizeof t->name, b->name, strlen(b->name));
        t->html = b->html;
        p->ntmpls++;
    }
    return MP_OK;
}

/* Every template of every language: a subject where needed, balanced
 * sections, partials that exist; the required ones present. */
static enum mp_status check_templates(const struct mp_mail_pack *p, struct mp_error *err)
{
    for (size_t l = 0; l < p->nlangs; l++)
        for (size_t k = 0; k < sizeof required / sizeof *required; k++)
            if (!mp_mail_pack_has(p, p->langs[l], required[k]))
                return mp_fail(err, MP_EINVAL, "mail_pack", "mail/%s lacks %s.txt or %s.html",
                               p->langs[l], required[k], required[k]);
    for (size_t i = 0; i < p->ntmpls; i++) {
        const struct tmpl *t = &p->tmpls[i];
        struct render r = {p, t->lang, t->html, NULL, 0, NULL, ""};
        size_t so = 0, sl = 0, off = 0;
        bool partial = t->name[0] == '_';
        if (!t->html && !partial && !split_subject(t, &so, &sl, &off))
            return mp_fail(err, MP_EINVAL, "mail_pack",
                           "mail/%s/%s.txt must start with a Subject: line and an empty line",
                           t->lang, t->name);
        if ((!t->html && !partial && !render_text(&r, t->text + so, sl, 0)) ||
            !render_text(&r, t->text + off, t->len - off, 0))
            return mp_fail(err, MP_EINVAL, "mail_pack", "mail/%s/%s.%s: %s", t->lang, t->name,
                           t->html ? "html" : "txt", r.problem);
    }
    return MP_OK;
}

static enum mp_status load_settings(struct mp_mail_pack *p, const char *mail_dir,
                                    struct mp_error *err)
{
    char path[1100];
    json_error_t je;
    enum mp_status rc = MP_OK;
    snprintf(path, sizeof path, "%s/mail.json", mail_dir);
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return mp_fail(err, MP_EINVAL, "mail_pack", "%.100s: %.50s (line %d)", path, je.text,
                       je.line);
    const char *def = json_string_value(json_object_get(root, "default_language"));
    long d = def ? lang_index(p, def, strlen(def)) : -1;
    if (d < 0) {
        rc = mp_fail(err, MP_EINVAL, "mail_pack",
                     "mail.json: default_language must name a language folder of mail/");
        goto out;
    }
    p->default_lang = (size_t)d;
    for (size_t k = 0; k < sizeof text_keys / sizeof *text_keys; k++) {
        const json_t *texts = json_object_get(root, text_keys[k]);
        for (size_t l = 0; l < p->nlangs; l++) {
            const char *n = json_string_value(json_object_get(texts, p->langs[l]));
            if (n && !(p->texts[k][l] = strdup(n))) {
                rc = MP_ENOMEM;
                goto out;
            }
        }
    }
    const json_t *reasons = json_object_get(root, "kto_reasons"), *r;
    size_t i;
    if (!json_is_array(reasons) || json_array_size(reasons) > REASONS_MAX) {
        rc = mp_fail(err, MP_EINVAL, "mail_pack",
                     "mail.json: kto_reasons must be a list of at most %d reasons", REASONS_MAX);
        goto out;
    }
    json_array_foreach(reasons, i, r)
    {
        struct mp_kto_reason *x = &p->reasons[p->nreasons];
        char **names = p->reason_names[p->nreasons];
        const char *code = json_string_value(json_object_get(r, "code"));
        if (!code || !name_ok(code, sizeof x->code) || mp_mail_pack_reason(p, code)) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack",
                         "mail.json: kto_reasons[%zu] needs a new code of a-z, 0-9, _ and -", i);
            goto out;
        }
        snprintf(x->code, sizeof x->code, "%s", code);
        x->reopen = json_is_true(json_object_get(r, "reopen"));
        x->satisfied = json_is_true(json_object_get(r, "satisfied"));
        p->nreasons++;
        const json_t *given = json_object_get(r, "name");
        for (size_t l = 0; l < p->nlangs; l++) {
            const char *n = json_string_value(json_object_get(given, p->langs[l]));
            if (n && !(names[l] = strdup(n))) {
                rc = MP_ENOMEM;
                goto out;
            }
        }
        if (!names[p->default_lang]) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack",
                         "mail.json: reason %s has no name in the default language", code);
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

static enum mp_status load_followups(struct mp_mail_pack *p, const char *city_dir,
                                     struct mp_error *err)
{
    char path[1100];
    json_error_t je;
    enum mp_status rc = MP_OK;
    snprintf(path, sizeof path, "%s/categories.json", city_dir);
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return mp_fail(err, MP_EINVAL, "mail_pack", "%.100s: %.50s", path, je.text);
    const json_t *cats = json_object_get(root, "categories"), *c;
    size_t i;
    if (!(p->followups = calloc(json_array_size(cats) + 1, sizeof *p->followups))) {
        rc = MP_ENOMEM;
        goto out;
    }
    json_array_foreach(cats, i, c)
    {
        const json_t *v = json_object_get(c, "followup_days");
        const char *code = json_string_value(json_object_get(c, "code"));
        if (!v || !code)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 365) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack",
                         "categories.json: %.40s: followup_days must be 0-365", code);
            goto out;
        }
        struct followup *f = &p->followups[p->nfollowups++];
        snprintf(f->category, sizeof f->category, "%s", code);
        f->days = (int)json_integer_value(v);
    }
out:
    json_decref(root);
    return rc;
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

enum mp_status mp_mail_pack_load(const char *city_dir, struct mp_mail_pack **out,
                                 struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    char mail_dir[1024];
    struct mp_mail_pack *p = calloc(1, sizeof *p);
    DIR *d = NULL;
    bool own_langs = false;
    *out = NULL;
    if (!p)
        return MP_ENOMEM;
    snprintf(mail_dir, sizeof mail_dir, "%s/mail", city_dir);
    if (!(d = opendir(mail_dir))) {
        rc = mp_fail(err, MP_EIO, "mail_pack", "the city pack has no mail folder (%.100s)",
                     mail_dir);
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[1400];
        struct stat sb;
        if (e->d_name[0] == '.' || !join(path, sizeof path, mail_dir, e->d_name) ||
            stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            continue;
        if (!name_ok(e->d_name, sizeof p->langs[0]) || p->nlangs == LANGS_MAX) {
            rc = mp_fail(err, MP_EINVAL, "mail_pack",
                         "mail/%.40s: a language folder is a short code (en, nl)", e->d_name);
            goto out;
        }
        copy_name(p->langs[p->nlangs++], sizeof p->langs[0], e->d_name, strlen(e->d_name));
    }
    /* No language folder: the pack's words are mail.json's texts in the
     * built-in templates, in the built-in languages. */
    own_langs = p->nlangs > 0;
    for (size_t i = 0; !own_langs && i < mp_mail_nbuiltin; i++) {
        const char *lang = mp_mail_builtin[i].lang;
        if (lang_index(p, lang, strlen(lang)) < 0 && p->nlangs < LANGS_MAX)
            copy_name(p->langs[p->nlangs++], sizeof p->langs[0], lang, strlen(lang));
    }
    if (p->nlangs == 0) {
        rc = mp_fail(err, MP_EINVAL, "mail_pack", "mail/ holds no language folder");
        goto out;
    }
    qsort(p->langs, p->nlangs, sizeof p->langs[0], by_name);
    for (size_t l = 0; l < p->nlangs; l++) {
        size_t len = strlen(p->lang_list);
        snprintf(p->lang_list + len, sizeof p->lang_list - len, "%s%s", l ? "," : "", p->langs[l]);
        if ((own_langs && (rc = load_lang(p, mail_dir, p->langs[l], err))) ||
            (rc = add_builtin(p, p->langs[l], err)))
            goto out;
    }
    if ((rc = check_templates(p, err)) || (rc = load_settings(p, mail_dir, err)) ||
        (rc = load_followups(p, city_dir, err)))
        goto out;
    *out = p;
    p = NULL;
out:
    if (d)
        closedir(d);
    mp_mail_pack_free(p);
    return rc;
}

void mp_mail_pack_free(struct mp_mail_pack *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ntmpls; i++)
        free(p->tmpls[i].text);
    for (size_t k = 0; k < sizeof text_keys / sizeof *text_keys; k++)
        for (size_t l = 0; l < LANGS_MAX; l++)
            free(p->texts[k][l]);
    for (size_t i = 0; i < p->nreasons; i++)
        for (size_t l = 0; l < LANGS_MAX; l++)
            free(p->reason_names[i][l]);
    free(p->followups);
    free(p);
}
