/* notify_render.c - the reporters' mails, rendered when they go out (see
 * notify_render.h). */
#include "meldpunt/notify_render.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/city.h"
#include "meldpunt/mail.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_token.h"
#include "meldpunt/store.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/vocab.h"
#include "meldpunt/text.h"

#define VARS_MAX 32
#define URL_MAX 700

/* Everything a reporter's mail may say, with room for its strings. */
struct letter {
    const struct mp_render_env *env;
    const struct mp_outbox_row *row;
    const char *lang;
    struct mp_tmpl_var vars[VARS_MAX];
    size_t nvars;
    /* the report */
    char report_id[24], report_url[URL_MAX], category[160], location[200];
    int64_t cluster_id;
    /* links */
    char unsub_url[URL_MAX], unsub_post_url[URL_MAX], stop_url[URL_MAX], mine_url[URL_MAX];
    char kto_yes[URL_MAX], kto_no[URL_MAX], signin_url[URL_MAX];
    /* the rest */
    char status_name[120], count[24], kto_days[16], signin_minutes[16];
    char *note; /* owned */
};

static void var(struct letter *l, const char *name, const char *value)
{
    if (l->nvars < VARS_MAX)
        l->vars[l->nvars++] = (struct mp_tmpl_var){name, value};
}

bool mp_render_link(char *out, size_t cap, const char *base, const char *path, const char *token,
                    const char *tail)
{
    int n = snprintf(out, cap, "%s%s%s%s", base, path, token ? token : "", tail ? tail : "");
    return n >= 0 && (size_t)n < cap;
}

static void skip(struct mp_rendered *out, const char *why)
{
    out->skip = true;
    mp_text_copy(out->why, sizeof out->why, why);
}

static int take_report(void *p, const struct mp_report_row *r)
{
    struct letter *l = p;
    mp_text_copy(l->category, sizeof l->category, r->category);
    mp_text_copy(l->location, sizeof l->location,
                 r->location && r->location[0] ? r->location : r->address);
    l->cluster_id = r->cluster_id;
    return 0;
}

/* The category's name in the letter's language. */
static void category_name(struct letter *l, const struct mp_city *city)
{
    const struct mp_category *cat = mp_city_category(city, l->category);
    if (!cat)
        return;
    const char *name = strcmp(l->lang, "nl") == 0 && cat->name_nl ? cat->name_nl : cat->name_en;
    if (name)
        mp_text_copy(l->category, sizeof l->category, name);
}

static void status_name(struct letter *l, const char *code)
{
    const struct mp_vocab_status *s = mp_vocab_status_find(code);
    mp_text_copy(l->status_name, sizeof l->status_name,
                 !s                           ? code
                 : strcmp(l->lang, "nl") == 0 ? s->name_nl
                                              : s->name_en);
}

struct sub_state {
    bool found, active;
};

static int take_sub(void *p, const struct mp_notify_sub_row *s)
{
    struct sub_state *st = p;
    st->found = true;
    st->active = s->stopped_at == 0 && s->email;
    return 0;
}

/* The checks every reporter's mail shares, the report, the language and
 * the links out of mail (unsubscribe, stop all, my reports). */
static enum mp_status begin(struct mp_ctx *ctx, const struct mp_render_env *env,
                            const struct mp_outbox_row *row, bool needs_sub, struct letter *l,
                            struct mp_rendered *out)
{
    enum mp_status rc;
    memset(l, 0, sizeof *l);
    l->env = env;
    l->row = row;
    l->lang = mp_mail_pack_lang(env->pack, row->lang);
    if (!row->rcpt || !row->rcpt[0]) {
        skip(out, "no address (anonymised)");
        return MP_OK;
    }
    mp_text_copy(out->rcpt, sizeof out->rcpt, row->rcpt);
    if (needs_sub) {
        struct sub_state s = {false, false};
        if ((rc = mp_store_notify_sub_get(ctx->db, row->sub_id, take_sub, &s)) &&
            rc != MP_ENOTFOUND)
            return rc;
        if (!s.active) {
            skip(out, "mail stopped for this report");
            return MP_OK;
        }
        bool stopped = false;
        if ((rc = mp_store_notify_address_stopped(ctx->db, row->rcpt_hash, &stopped)))
            return rc;
        if (stopped) {
            skip(out, "mail stopped for this address");
            return MP_OK;
        }
    }
    if (row->report_id) {
        rc = mp_store_report_get(ctx->db, row->report_id, false, take_report, l);
        if (rc == MP_ENOTFOUND) {
            skip(out, "the report is gone");
            return MP_OK;
        }
        if (rc)
            return rc;
        category_name(l, ctx->city);
        snprintf(l->report_id, sizeof l->report_id, "%lld", (long long)row->report_id);
        if (!mp_render_link(l->report_url, sizeof l->report_url, env->public_url, "/r/", l->report_id,
                       NULL))
            return MP_EINVAL;
    }
    char token[MP_TOKEN_LEN];
    if (needs_sub) {
        struct mp_notify_token_rec t = {.purpose = MP_TOKEN_UNSUB,
                                        .rcpt_hash = row->rcpt_hash,
                                        .sub_id = row->sub_id,
                                        .report_id = row->report_id};
        if ((rc = mp_notify_token_mint(ctx, &t, MP_NOTIFY_UNSUB_TTL, token, sizeof token)))
            return rc;
        if (!mp_render_link(l->unsub_url, sizeof l->unsub_url, env->public_url,
                       "/unsubscribe.html?t=", token, NULL) ||
            !mp_render_link(l->unsub_post_url, sizeof l->unsub_post_url, env->public_url,
                       "/api/v1/notify/unsubscribe?t=", token, NULL))
            return MP_EINVAL;
    }
    struct mp_notify_token_rec t = {.purpose = MP_TOKEN_STOP, .rcpt_hash = row->rcpt_hash};
    if ((rc = mp_notify_token_mint(ctx, &t, MP_NOTIFY_UNSUB_TTL, token, sizeof token)))
        return rc;
    if (!mp_render_link(l->stop_url, sizeof l->stop_url, env->public_url, "/unsubscribe.html?t=", token,
                   NULL) ||
        !mp_render_link(l->mine_url, sizeof l->mine_url, env->public_url, "/my-reports.html", NULL,
                   NULL))
        return MP_EINVAL;
    if (!needs_sub && !mp_render_link(l->unsub_post_url, sizeof l->unsub_post_url, env->public_url,
                                 "/api/v1/notify/unsubscribe?t=", token, NULL))
        return MP_EINVAL;
    var(l, "city_name", mp_mail_pack_text(env->pack, "city_name", l->lang));
    var(l, "report_id", l->report_id);
    var(l, "report_url", l->report_url);
    var(l, "category", l->category);
    var(l, "location", l->location);
    var(l, "unsubscribe_url", l->unsub_url);
    var(l, "stop_all_url", l->stop_url);
    var(l, "my_reports_url", l->mine_url);
    return MP_OK;
}

/* The satisfaction links for the fix at fixed_at. */
static enum mp_status kto_links(struct mp_ctx *ctx, struct letter *l, int64_t fixed_at)
{
    char token[MP_TOKEN_LEN];
    struct mp_notify_token_rec t = {.purpose = MP_TOKEN_KTO,
                                    .rcpt_hash = l->row->rcpt_hash,
                                    .sub_id = l->row->sub_id,
                                    .report_id = l->row->report_id,
                                    .cluster_id = l->cluster_id,
                                    .ref = fixed_at};
    enum mp_status rc = mp_notify_token_mint(ctx, &t, MP_NOTIFY_KTO_TTL, token, sizeof token);
    if (rc)
        return rc;
    if (!mp_render_link(l->kto_yes, sizeof l->kto_yes, l->env->public_url, "/kto.html?t=", token,
                   "&a=yes") ||
        !mp_render_link(l->kto_no, sizeof l->kto_no, l->env->public_url, "/kto.html?t=", token, "&a=no"))
        return MP_EINVAL;
    snprintf(l->kto_days, sizeof l->kto_days, "%d", MP_NOTIFY_KTO_TTL / 86400);
    var(l, "kto_yes_url", l->kto_yes);
    var(l, "kto_no_url", l->kto_no);
    var(l, "kto_days", l->kto_days);
    return MP_OK;
}

/* The Message-ID's domain: the sender address's. */
static const char *domain_of(const char *addr)
{
    const char *at = addr ? strchr(addr, '@') : NULL;
    return at ? at + 1 : "meldpunt.invalid";
}

enum mp_status mp_render_mail(const struct mp_render_env *env, const struct mp_outbox_row *row,
                              const char *lang, const char *name, const struct mp_tmpl_var *vars,
                              size_t nvars, const char *unsub_post_url, struct mp_rendered *out)
{
    struct mp_buf subject, text, html;
    char msg_id[MP_MSG_KEY_MAX + 260];
    enum mp_status rc;
    mp_buf_init(&subject, 4096);
    mp_buf_init(&text, 256 * 1024);
    mp_buf_init(&html, 256 * 1024);
    int n = snprintf(msg_id, sizeof msg_id, "%s@%s", row->msg_key, domain_of(env->mail_from));
    if (n < 0 || (size_t)n >= sizeof msg_id) {
        rc = MP_EINVAL;
        goto out;
    }
    if ((rc = mp_mail_pack_render(env->pack, lang, name, false, vars, nvars, &subject, &text)) ||
        (rc = mp_mail_pack_render(env->pack, lang, name, true, vars, nvars, NULL, &html)))
        goto out;
    struct mp_mail m = {
        .from_name = mp_mail_pack_text(env->pack, "from_name", lang),
        .from_addr = env->mail_from,
        .to_addr = out->rcpt,
        .subject = subject.data ? subject.data : "",
        .text = text.data ? text.data : "",
        .html = html.data ? html.data : "",
        .msg_id = msg_id,
        .date = row->created_at,
        .lang = lang,
        .unsubscribe_url = unsub_post_url && unsub_post_url[0] ? unsub_post_url : NULL,
        .event_id = row->event_uid,
    };
    rc = mp_mail_build(&m, &out->message);
out:
    if (rc == MP_EINVAL)
        snprintf(out->why, sizeof out->why, "template %s or an address cannot be used", name);
    mp_buf_free(&subject);
    mp_buf_free(&text);
    mp_buf_free(&html);
    return rc;
}

/* Render template name and build the message. */
static enum mp_status compose(struct letter *l, const char *name, struct mp_rendered *out)
{
    enum mp_status rc = mp_render_mail(l->env, l->row, l->lang, name, l->vars, l->nvars,
                                       l->unsub_post_url, out);
    free(l->note);
    l->note = NULL;
    return rc;
}

struct cluster_now {
    struct mp_cluster_state st;
    bool found;
};

static enum mp_status cluster_now(struct mp_ctx *ctx, int64_t id, struct cluster_now *c)
{
    enum mp_status rc = mp_store_cluster_state(ctx->db, id, &c->st);
    c->found = rc == MP_OK;
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

struct event_data {
    char to[32], from[32];
    char *note; /* owned */
    int64_t at;
    bool found, joined;
};

static int take_event(void *p, const struct mp_notify_event_row *e)
{
    struct event_data *d = p;
    json_t *o = json_loads(e->data ? e->data : "{}", 0, NULL);
    d->found = true;
    d->at = e->at;
    mp_text_copy(d->to, sizeof d->to, json_string_value(json_object_get(o, "to")));
    mp_text_copy(d->from, sizeof d->from, json_string_value(json_object_get(o, "from")));
    const char *note = json_string_value(json_object_get(o, "note"));
    d->note = note && note[0] ? strdup(note) : NULL;
    d->joined = json_is_true(json_object_get(o, "joined"));
    json_decref(o);
    return 0;
}

/* The event of row; false (and out->skip) when it is gone. */
static enum mp_status event_of(struct mp_ctx *ctx, const struct mp_outbox_row *row,
                               struct event_data *ev, struct mp_rendered *out)
{
    memset(ev, 0, sizeof *ev);
    enum mp_status rc = mp_store_notify_event_get(ctx->db, row->event_id, take_event, ev);
    if (rc == MP_ENOTFOUND || (rc == MP_OK && !ev->found)) {
        skip(out, "the event is gone");
        return MP_OK;
    }
    return rc;
}

enum mp_status mp_render_confirm(struct mp_ctx *ctx, const struct mp_render_env *env,
                                 const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct letter l;
    struct cluster_now c;
    struct event_data ev;
    enum mp_status rc = begin(ctx, env, row, true, &l, out);
    if (rc || out->skip)
        return rc;
    if ((rc = event_of(ctx, row, &ev, out)) || out->skip ||
        (rc = cluster_now(ctx, l.cluster_id, &c))) {
        free(ev.note);
        return rc;
    }
    free(ev.note);
    snprintf(l.count, sizeof l.count, "%lld", (long long)(c.found ? c.st.report_count : 1));
    var(&l, "joined", ev.joined ? "1" : "");
    var(&l, "report_count", l.count);
    return compose(&l, "confirm", out);
}

enum mp_status mp_render_status(struct mp_ctx *ctx, const struct mp_render_env *env,
                                const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct letter l;
    struct event_data ev;
    char name[64];
    enum mp_status rc = begin(ctx, env, row, true, &l, out);
    if (rc || out->skip)
        return rc;
    if ((rc = event_of(ctx, row, &ev, out)) || out->skip) {
        free(ev.note);
        return rc;
    }
    l.note = ev.note;
    status_name(&l, ev.to);
    var(&l, "status", ev.to);
    var(&l, "status_name", l.status_name);
    var(&l, "note", l.note);
    /* A status may have words of its own (status-fixed asks whether the
     * reporter is satisfied); a decision after the reporter's own request
     * to reopen does not ask again. */
    int n = snprintf(name, sizeof name, "status-%s", ev.to);
    bool own = n > 0 && (size_t)n < sizeof name && mp_mail_pack_has(env->pack, l.lang, name);
    const struct mp_vocab_status *to = mp_vocab_status_find(ev.to);
    bool ask = to && strcmp(to->code, "fixed") == 0 && strcmp(ev.from, "reopen_requested") != 0;
    if (ask && (rc = kto_links(ctx, &l, ev.at))) {
        free(l.note);
        return rc;
    }
    return compose(&l, own ? name : "status", out);
}

/* The fixed family: what a follow-up still asks about. */
static bool fixed_family(const char *status)
{
    const struct mp_vocab_status *s = mp_vocab_status_find(status);
    return s && strcmp(s->map_group, "fixed") == 0;
}

enum mp_status mp_render_followup(struct mp_ctx *ctx, const struct mp_render_env *env,
                                  const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct letter l;
    struct cluster_now c;
    bool answered = false;
    enum mp_status rc = begin(ctx, env, row, true, &l, out);
    if (rc || out->skip)
        return rc;
    if ((rc = cluster_now(ctx, l.cluster_id, &c)))
        return rc;
    if (!c.found || !fixed_family(c.st.status) || c.st.fixed_at == 0) {
        skip(out, "the job is no longer fixed");
        return MP_OK;
    }
    if ((rc = mp_store_kto_answered(ctx->db, row->sub_id, c.st.fixed_at, &answered)))
        return rc;
    if (answered) {
        skip(out, "the reporter answered already");
        return MP_OK;
    }
    if ((rc = kto_links(ctx, &l, c.st.fixed_at)))
        return rc;
    return compose(&l, "followup", out);
}

enum mp_status mp_render_signin(struct mp_ctx *ctx, const struct mp_render_env *env,
                                const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct letter l;
    char token[MP_TOKEN_LEN];
    enum mp_status rc = begin(ctx, env, row, false, &l, out);
    if (rc || out->skip)
        return rc;
    struct mp_notify_token_rec t = {
        .purpose = MP_TOKEN_SIGNIN, .rcpt_hash = row->rcpt_hash, .email = row->rcpt};
    if ((rc = mp_notify_token_mint(ctx, &t, MP_NOTIFY_SIGNIN_TTL, token, sizeof token)))
        return rc;
    if (!mp_render_link(l.signin_url, sizeof l.signin_url, env->public_url, "/my-reports.html?t=", token,
                   NULL))
        return MP_EINVAL;
    snprintf(l.signin_minutes, sizeof l.signin_minutes, "%d", MP_NOTIFY_SIGNIN_TTL / 60);
    var(&l, "signin_url", l.signin_url);
    var(&l, "signin_minutes", l.signin_minutes);
    return compose(&l, "signin", out);
}
