/* alerts_render.c - the mails of area alerts (see alerts.h and
 * notify_render.h): the confirmation, a new problem, the daily digest; and
 * those of departments (deptmail.h): a new or overdue job, the morning
 * digest. They name the problem (category, place, its public page), never
 * who reported it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/alerts.h"
#include "meldpunt/city.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_render.h"
#include "meldpunt/notify_token.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/text.h"
#include "meldpunt/vocab.h"

#define VARS_MAX 24
#define URL_MAX 700

struct alert_mail {
    const struct mp_render_env *env;
    const struct mp_outbox_row *row;
    const char *lang;
    struct mp_tmpl_var vars[VARS_MAX];
    size_t nvars;
    /* the alert */
    bool found, stopped, confirmed;
    char district[32], category[48], frequency[16];
    double lon, lat, radius_m;
    char district_name[160], category_name[160], radius[24];
    char point[2 * 320]; /* room for any double, so never cut */
    /* links */
    char unsub_url[URL_MAX], unsub_post_url[URL_MAX], stop_url[URL_MAX];
    char page_url[URL_MAX]; /* the mail's own link: the confirmation, the staff page */
    char confirm_days[16];
};

static void var(struct alert_mail *m, const char *name, const char *value)
{
    if (m->nvars < VARS_MAX)
        m->vars[m->nvars++] = (struct mp_tmpl_var){name, value};
}

static void skip(struct mp_rendered *out, const char *why)
{
    out->skip = true;
    mp_text_copy(out->why, sizeof out->why, why);
}

static int take_alert(void *p, const struct mp_alert_row *a)
{
    struct alert_mail *m = p;
    m->found = true;
    m->stopped = a->stopped_at != 0 || !a->email;
    m->confirmed = a->confirmed_at != 0;
    mp_text_copy(m->district, sizeof m->district, a->district);
    mp_text_copy(m->category, sizeof m->category, a->category);
    mp_text_copy(m->frequency, sizeof m->frequency, a->frequency);
    m->lon = a->lon;
    m->lat = a->lat;
    m->radius_m = a->radius_m;
    return 0;
}

/* The name of category code in lang ("" for none). */
static void category_name(const struct mp_city *city, const char *code, const char *lang,
                          char *out, size_t cap)
{
    const struct mp_category *c = code && code[0] ? mp_city_category(city, code) : NULL;
    const char *name = !c ? code : strcmp(lang, "nl") == 0 && c->name_nl ? c->name_nl : c->name_en;
    mp_text_copy(out, cap, name ? name : "");
}

/* What every mail here shares: the address (none: skipped), the stop list
 * (on it: skipped), the link that stops all mail (also the one-click
 * unsubscribe unless the caller sets its own), the city's name. */
static enum mp_status mail_begin(struct mp_ctx *ctx, const struct mp_render_env *env,
                                 const struct mp_outbox_row *row, struct alert_mail *m,
                                 struct mp_rendered *out)
{
    enum mp_status rc;
    char token[MP_TOKEN_LEN];
    bool stopped = false;
    memset(m, 0, sizeof *m);
    m->env = env;
    m->row = row;
    m->lang = mp_mail_pack_lang(env->pack, row->lang);
    if (!row->rcpt || !row->rcpt[0]) {
        skip(out, "no address (anonymised)");
        return MP_OK;
    }
    mp_text_copy(out->rcpt, sizeof out->rcpt, row->rcpt);
    if ((rc = mp_store_notify_address_stopped(ctx->db, row->rcpt_hash, &stopped)))
        return rc;
    if (stopped) {
        skip(out, "mail stopped for this address");
        return MP_OK;
    }
    struct mp_notify_token_rec stop = {.purpose = MP_TOKEN_STOP, .rcpt_hash = row->rcpt_hash};
    if ((rc = mp_notify_token_mint(ctx, &stop, MP_NOTIFY_UNSUB_TTL, token, sizeof token)))
        return rc;
    if (!mp_render_link(m->stop_url, sizeof m->stop_url, env->public_url, "/unsubscribe.html?t=",
                        token, NULL) ||
        !mp_render_link(m->unsub_post_url, sizeof m->unsub_post_url, env->public_url,
                        "/api/v1/notify/unsubscribe?t=", token, NULL))
        return MP_EINVAL;
    var(m, "city_name", mp_mail_pack_text(env->pack, "city_name", m->lang));
    var(m, "stop_all_url", m->stop_url);
    return MP_OK;
}

/* The checks and links every alert mail shares. confirmation: the mail
 * that asks to confirm (sent before the confirmation; its one-click
 * unsubscribe stops all mail, what a person who never asked wants). */
static enum mp_status begin(struct mp_ctx *ctx, const struct mp_render_env *env,
                            const struct mp_outbox_row *row, bool confirmation,
                            struct alert_mail *m, struct mp_rendered *out)
{
    enum mp_status rc = mail_begin(ctx, env, row, m, out);
    if (rc || out->skip)
        return rc;
    if ((rc = mp_store_alert_get(ctx->db, row->sub_id, take_alert, m)) && rc != MP_ENOTFOUND)
        return rc;
    if (!m->found || m->stopped) {
        skip(out, "the alert was stopped");
        return MP_OK;
    }
    if (!confirmation && !m->confirmed) {
        skip(out, "the alert is not confirmed");
        return MP_OK;
    }
    if (!confirmation) {
        char token[MP_TOKEN_LEN];
        struct mp_notify_token_rec t = {
            .purpose = MP_TOKEN_ALERT_UNSUB, .rcpt_hash = row->rcpt_hash, .sub_id = row->sub_id};
        if ((rc = mp_notify_token_mint(ctx, &t, MP_NOTIFY_UNSUB_TTL, token, sizeof token)))
            return rc;
        if (!mp_render_link(m->unsub_url, sizeof m->unsub_url, env->public_url,
                            "/unsubscribe.html?t=", token, NULL) ||
            !mp_render_link(m->unsub_post_url, sizeof m->unsub_post_url, env->public_url,
                            "/api/v1/notify/unsubscribe?t=", token, NULL))
            return MP_EINVAL;
    }
    const struct mp_district *d = m->district[0] ? mp_city_district(ctx->city, m->district) : NULL;
    mp_text_copy(m->district_name, sizeof m->district_name,
                 d && d->name ? d->name : m->district);
    category_name(ctx->city, m->category, m->lang, m->category_name, sizeof m->category_name);
    if (!m->district[0]) {
        snprintf(m->radius, sizeof m->radius, "%d", (int)m->radius_m);
        snprintf(m->point, sizeof m->point, "%.5f, %.5f", m->lat, m->lon);
    }
    var(m, "district_name", m->district_name);
    var(m, "radius_m", m->radius);
    var(m, "point", m->point);
    var(m, "alert_category", m->category_name);
    var(m, "daily", strcmp(m->frequency, MP_ALERT_DAILY) == 0 ? "1" : "");
    var(m, "unsubscribe_url", m->unsub_url);
    return MP_OK;
}

enum mp_status mp_render_alert_confirm(struct mp_ctx *ctx, const struct mp_render_env *env,
                                       const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct alert_mail m;
    char token[MP_TOKEN_LEN];
    enum mp_status rc = begin(ctx, env, row, true, &m, out);
    if (rc || out->skip)
        return rc;
    if (m.confirmed) {
        skip(out, "the alert is confirmed already");
        return MP_OK;
    }
    struct mp_notify_token_rec t = {
        .purpose = MP_TOKEN_ALERT_CONFIRM, .rcpt_hash = row->rcpt_hash, .sub_id = row->sub_id};
    if ((rc = mp_notify_token_mint(ctx, &t, MP_ALERT_CONFIRM_TTL, token, sizeof token)))
        return rc;
    if (!mp_render_link(m.page_url, sizeof m.page_url, env->public_url, "/alerts.html?t=",
                        token, NULL))
        return MP_EINVAL;
    snprintf(m.confirm_days, sizeof m.confirm_days, "%d", MP_ALERT_CONFIRM_TTL / 86400);
    var(&m, "confirm_url", m.page_url);
    var(&m, "confirm_days", m.confirm_days);
    return mp_render_mail(env, row, m.lang, "alert-confirm", m.vars, m.nvars, m.unsub_post_url,
                          out);
}

/* One problem as a mail shows it. */
struct problem {
    const struct mp_city *city;
    const char *lang;
    bool found;
    char category[160], location[200];
};

static int take_problem(void *p, const struct mp_report_row *r)
{
    struct problem *pr = p;
    pr->found = true;
    category_name(pr->city, r->category, pr->lang, pr->category, sizeof pr->category);
    mp_text_copy(pr->location, sizeof pr->location,
                 r->location && r->location[0] ? r->location : r->address);
    return 0;
}

enum mp_status mp_render_alert(struct mp_ctx *ctx, const struct mp_render_env *env,
                               const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct alert_mail m;
    char id[24], url[URL_MAX];
    enum mp_status rc = begin(ctx, env, row, false, &m, out);
    if (rc || out->skip)
        return rc;
    struct problem pr = {ctx->city, m.lang, false, {0}, {0}};
    if ((rc = mp_store_report_get(ctx->db, row->report_id, false, take_problem, &pr)) &&
        rc != MP_ENOTFOUND)
        return rc;
    if (!pr.found) {
        skip(out, "the report is gone");
        return MP_OK;
    }
    snprintf(id, sizeof id, "%lld", (long long)row->report_id);
    if (!mp_render_link(url, sizeof url, env->public_url, "/r/", id, NULL))
        return MP_EINVAL;
    var(&m, "report_id", id);
    var(&m, "report_url", url);
    var(&m, "category", pr.category);
    var(&m, "location", pr.location);
    return mp_render_mail(env, row, m.lang, "alert", m.vars, m.nvars, m.unsub_post_url, out);
}

/* The items of a digest, as a text list and an HTML one. */
struct listing {
    struct mp_ctx *ctx;
    const struct mp_render_env *env;
    const char *lang;
    struct mp_buf text, html;
    int64_t n;
    enum mp_status rc;
};

static int take_item(void *p, const struct mp_digest_item_row *it)
{
    struct listing *l = p;
    char id[24], url[URL_MAX];
    struct problem pr = {l->ctx->city, l->lang, false, {0}, {0}};
    enum mp_status rc = mp_store_report_get(l->ctx->db, it->report_id, false, take_problem, &pr);
    if (rc && rc != MP_ENOTFOUND) {
        l->rc = rc;
        return 1;
    }
    if (!pr.found)
        return 0; /* gone since (anonymised, merged away): nothing to show */
    snprintf(id, sizeof id, "%lld", (long long)it->report_id);
    if (!mp_render_link(url, sizeof url, l->env->public_url, "/r/", id, NULL)) {
        l->rc = MP_EINVAL;
        return 1;
    }
    l->n++;
    mp_buf_printf(&l->text, "- %s%s%s: %s\n", pr.category, pr.location[0] ? ", " : "",
                  pr.location, url);
    mp_buf_lit(&l->html, "<li><a href=\"");
    mp_mail_html_escape(&l->html, url);
    mp_buf_lit(&l->html, "\">");
    mp_mail_html_escape(&l->html, pr.category);
    mp_buf_lit(&l->html, "</a>");
    if (pr.location[0]) {
        mp_buf_lit(&l->html, ", ");
        mp_mail_html_escape(&l->html, pr.location);
    }
    mp_buf_lit(&l->html, "</li>\n");
    return 0;
}

/* A digest: the items of message row (each listed by item), then template
 * name with the list as {{items}} and {{items_html}} and their {{count}}.
 * Skipped when every item is gone. */
static enum mp_status digest_mail(struct mp_ctx *ctx, const struct mp_render_env *env,
                                  const struct mp_outbox_row *row, struct alert_mail *m,
                                  mp_digest_item_cb item, const char *name,
                                  struct mp_rendered *out)
{
    char count[24];
    struct listing l = {ctx, env, m->lang, {0}, {0}, 0, MP_OK};
    mp_buf_init(&l.text, 256 * 1024);
    mp_buf_init(&l.html, 512 * 1024);
    mp_buf_lit(&l.html, "<ul>\n");
    enum mp_status rc = mp_store_digest_items(ctx->db, row->id, item, &l);
    mp_buf_lit(&l.html, "</ul>");
    if (rc == MP_OK)
        rc = l.rc;
    if (rc == MP_OK && (rc = mp_buf_status(&l.text)) == MP_OK)
        rc = mp_buf_status(&l.html);
    if (rc == MP_OK && l.n == 0)
        skip(out, "everything the digest would list is gone");
    if (rc == MP_OK && !out->skip) {
        snprintf(count, sizeof count, "%lld", (long long)l.n);
        var(m, "count", count);
        var(m, "items", l.text.data);
        var(m, "items_html", l.html.data);
        rc = mp_render_mail(env, row, m->lang, name, m->vars, m->nvars, m->unsub_post_url, out);
    }
    mp_buf_free(&l.text);
    mp_buf_free(&l.html);
    return rc;
}

enum mp_status mp_render_alert_digest(struct mp_ctx *ctx, const struct mp_render_env *env,
                                      const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct alert_mail m;
    enum mp_status rc = begin(ctx, env, row, false, &m, out);
    if (rc || out->skip)
        return rc;
    return digest_mail(ctx, env, row, &m, take_item, "alert-digest", out);
}

/* ---- departments (deptmail.h) ---- */

/* What a department's mail says of one job. */
struct job {
    const struct mp_city *city;
    const char *lang;
    struct mp_cluster_state st;
    char id[24], category[160], status[120], count[24];
};

static enum mp_status job_read(struct mp_ctx *ctx, int64_t id, const char *lang, struct job *j)
{
    memset(j, 0, sizeof *j);
    j->city = ctx->city;
    j->lang = lang;
    enum mp_status rc = mp_store_cluster_state(ctx->db, id, &j->st);
    if (rc)
        return rc;
    snprintf(j->id, sizeof j->id, "%lld", (long long)id);
    snprintf(j->count, sizeof j->count, "%lld", (long long)j->st.report_count);
    category_name(ctx->city, j->st.category, lang, j->category, sizeof j->category);
    const struct mp_vocab_status *s = mp_vocab_status_find(j->st.status);
    mp_text_copy(j->status, sizeof j->status,
                 !s ? j->st.status : strcmp(lang, "nl") == 0 ? s->name_nl : s->name_en);
    return MP_OK;
}

/* The parts every department mail shares: mail_begin's, and the staff
 * page. */
static enum mp_status dept_begin(struct mp_ctx *ctx, const struct mp_render_env *env,
                                 const struct mp_outbox_row *row, struct alert_mail *m,
                                 struct mp_rendered *out)
{
    enum mp_status rc = mail_begin(ctx, env, row, m, out);
    if (rc || out->skip)
        return rc;
    if (!mp_render_link(m->page_url, sizeof m->page_url, env->public_url, "/staff.html", NULL,
                        NULL))
        return MP_EINVAL;
    var(m, "staff_url", m->page_url);
    return MP_OK;
}

enum mp_status mp_render_dept_job(struct mp_ctx *ctx, const struct mp_render_env *env,
                                  const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct alert_mail m;
    struct job j;
    enum mp_status rc = dept_begin(ctx, env, row, &m, out);
    if (rc || out->skip)
        return rc;
    if ((rc = job_read(ctx, row->cluster_id, m.lang, &j)) == MP_ENOTFOUND) {
        skip(out, "the job is gone");
        return MP_OK;
    }
    if (rc)
        return rc;
    var(&m, "overdue", strcmp(row->kind, "dept_overdue") == 0 ? "1" : "");
    var(&m, "job_id", j.id);
    var(&m, "category", j.category);
    var(&m, "location", j.st.location);
    var(&m, "status_name", j.status);
    var(&m, "report_count", j.count);
    return mp_render_mail(env, row, m.lang, "dept-job", m.vars, m.nvars, m.unsub_post_url, out);
}

static int take_job_item(void *p, const struct mp_digest_item_row *it)
{
    struct listing *l = p;
    struct job j;
    enum mp_status rc = job_read(l->ctx, it->cluster_id, l->lang, &j);
    if (rc == MP_ENOTFOUND)
        return 0; /* merged away since */
    if (rc) {
        l->rc = rc;
        return 1;
    }
    bool late = strcmp(it->what, MP_DIGEST_OVERDUE) == 0;
    l->n++;
    mp_buf_printf(&l->text, "- %s%s #%s %s%s%s (%s)\n", late ? "!" : "", late ? " " : "", j.id,
                  j.category, j.st.location[0] ? ", " : "", j.st.location, j.status);
    mp_buf_printf(&l->html, "<li>%s#%s ", late ? "<strong>!</strong> " : "", j.id);
    mp_mail_html_escape(&l->html, j.category);
    if (j.st.location[0]) {
        mp_buf_lit(&l->html, ", ");
        mp_mail_html_escape(&l->html, j.st.location);
    }
    mp_buf_lit(&l->html, " (");
    mp_mail_html_escape(&l->html, j.status);
    mp_buf_lit(&l->html, ")</li>\n");
    return 0;
}

enum mp_status mp_render_dept_digest(struct mp_ctx *ctx, const struct mp_render_env *env,
                                     const struct mp_outbox_row *row, struct mp_rendered *out)
{
    struct alert_mail m;
    enum mp_status rc = dept_begin(ctx, env, row, &m, out);
    if (rc || out->skip)
        return rc;
    return digest_mail(ctx, env, row, &m, take_job_item, "dept-digest", out);
}
