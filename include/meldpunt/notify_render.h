/* notify_render.h - turning an outbox message into what its transport sends:
 * the reporters' mails (confirm, status, followup, signin), each from the
 * city pack's templates in the reporter's language, with the report's data
 * as it is when the message goes out and fresh one-time links. outbox.c
 * keeps the table of kinds and calls these.
 *
 * Renderers run in the sender's open write transaction (they store the
 * tokens of the links they write), so that a link works as soon as its
 * mail can arrive. A renderer may find the message moot (the reporter
 * stopped mail or already answered): out->skip, nothing to send.
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_NOTIFY_RENDER_H
#define MELDPUNT_NOTIFY_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/buf.h"
#include "meldpunt/ctx.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/notify_model.h"
#include "meldpunt/status.h"

struct mp_render_env {
    const struct mp_mail_pack *pack;
    const char *public_url; /* base of every link, without a trailing slash */
    const char *mail_from;  /* the sender's address */
    int64_t now;
};

struct mp_rendered {
    struct mp_buf message;   /* what the transport sends (mail: RFC 5322) */
    char rcpt[MP_EMAIL_MAX]; /* the envelope recipient */
    bool skip;               /* moot: mark the message skipped, send nothing */
    char why[80];            /* why it was skipped or could not be rendered */
};

typedef enum mp_status (*mp_render_fn)(struct mp_ctx *ctx, const struct mp_render_env *env,
                                       const struct mp_outbox_row *row, struct mp_rendered *out);

/* The parts every renderer shares (alerts_render.c too). */

/* base + path + token + tail into out; false when it does not fit. */
bool mp_render_link(char *out, size_t cap, const char *base, const char *path, const char *token,
                    const char *tail);
/* Render template name of lang with vars (subject and text, HTML) and
 * build the message to out->rcpt into out->message: the Message-ID from
 * row's msg_key, its date, its event id; unsub_post_url (may be NULL) is
 * the one-click List-Unsubscribe target. MP_EINVAL (out->why says so) when
 * the template or an address cannot be used; MP_ENOTFOUND without it. */
enum mp_status mp_render_mail(const struct mp_render_env *env, const struct mp_outbox_row *row,
                              const char *lang, const char *name, const struct mp_tmpl_var *vars,
                              size_t nvars, const char *unsub_post_url,
                              struct mp_rendered *out) MP_WUR;

/* The reporter's confirmation of a new report (kind "confirm"). */
enum mp_status mp_render_confirm(struct mp_ctx *ctx, const struct mp_render_env *env,
                                 const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;
/* A change of the job's status or a public note (kind "status"); for
 * "fixed" the template status-fixed with the satisfaction links. */
enum mp_status mp_render_status(struct mp_ctx *ctx, const struct mp_render_env *env,
                                const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;
/* "Is it really fixed?" some weeks after the fix (kind "followup"). */
enum mp_status mp_render_followup(struct mp_ctx *ctx, const struct mp_render_env *env,
                                  const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;
/* The one-time sign-in link of "my reports" (kind "signin"). */
enum mp_status mp_render_signin(struct mp_ctx *ctx, const struct mp_render_env *env,
                                const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;

/* Area alerts (alerts_render.c, see alerts.h): the confirmation with its
 * one-time link (kind "alert_confirm"), a new problem in the area
 * ("alert"), the daily digest ("alert_digest"). Skipped when the alert was
 * stopped, is not confirmed (but for its confirmation) or the address is
 * on the stop list. */
enum mp_status mp_render_alert_confirm(struct mp_ctx *ctx, const struct mp_render_env *env,
                                       const struct mp_outbox_row *row,
                                       struct mp_rendered *out) MP_WUR;
enum mp_status mp_render_alert(struct mp_ctx *ctx, const struct mp_render_env *env,
                               const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;
enum mp_status mp_render_alert_digest(struct mp_ctx *ctx, const struct mp_render_env *env,
                                      const struct mp_outbox_row *row,
                                      struct mp_rendered *out) MP_WUR;
/* Departments (alerts_render.c, see deptmail.h): a new job routed to the
 * department or one that became overdue (kinds "dept_new", "dept_overdue"),
 * and the morning digest ("dept_digest"). */
enum mp_status mp_render_dept_job(struct mp_ctx *ctx, const struct mp_render_env *env,
                                  const struct mp_outbox_row *row, struct mp_rendered *out) MP_WUR;
enum mp_status mp_render_dept_digest(struct mp_ctx *ctx, const struct mp_render_env *env,
                                     const struct mp_outbox_row *row,
                                     struct mp_rendered *out) MP_WUR;

#endif
