/* deptmail.c - mail to departments: new jobs routed to them and jobs that
 * became overdue, at once or as a working-day morning digest (see
 * deptmail.h). */
#include "meldpunt/deptmail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/alerts.h"
#include "meldpunt/automation.h"
#include "meldpunt/automation_cache.h"
#include "meldpunt/notify.h"
#include "meldpunt/store.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/store_work.h"
#include "meldpunt/text.h"
#include "meldpunt/vocab.h"
#include "meldpunt/workdays.h"

/* The rules, from the app's cache (read again only when the file changed:
 * this runs for every new report, in the writer's transaction): an edited
 * file takes effect at once, as for staff. NULL (logged) when they cannot
 * be read: mail to departments waits rather than guessing. */
static struct mp_automation *rules(const struct mp_ctx *ctx)
{
    struct mp_automation *a = NULL;
    struct mp_error e = {{0}, {0}};
    if (mp_automation_cache_get(ctx->rules, ctx->city, &a, &e) != MP_OK) {
        fprintf(stderr, "meldpunt: department mail: %s\n", e.text);
        return NULL;
    }
    return a;
}

/* Queue one message about job cluster_id (kind dept_new / dept_overdue, once
 * per department and job) or keep it for the department's digest. */
static enum mp_status tell(struct mp_ctx *ctx, const struct mp_dept_mail *d, const char *what,
                           int64_t cluster_id, int64_t report_id, int64_t event_id, int64_t now)
{
    enum mp_status rc;
    if (d->digest) {
        struct mp_digest_item_rec it = {.department = d->code,
                                        .what = what,
                                        .report_id = 0,
                                        .cluster_id = cluster_id,
                                        .at = now};
        bool added = false;
        int64_t next = 0;
        if ((rc = mp_store_digest_item_add(ctx->db, &it, &added)) ||
            (rc = mp_store_dept_schedule_get(ctx->db, d->code, &next)))
            return rc;
        if (next == 0)
            rc = mp_store_dept_schedule_set(
                ctx->db, d->code, mp_alert_next_morning(ctx, now, MP_DEPT_DIGEST_HOUR, true));
        return rc;
    }
    char norm[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN], kind[16], dedup[96];
    if (!mp_notify_address_norm(d->email, norm, sizeof norm))
        return MP_OK; /* the pack's check lets only plausible addresses through */
    mp_notify_address_hash(norm, hash);
    snprintf(kind, sizeof kind, "dept_%s", what);
    snprintf(dedup, sizeof dedup, "%s:%s:%lld", kind, d->code, (long long)cluster_id);
    struct mp_outbox_rec m = {.kind = kind,
                              .channel = MP_CHANNEL_MAIL,
                              .rcpt = norm,
                              .rcpt_hash = hash,
                              .lang = d->lang,
                              .dedup = dedup,
                              .event_id = event_id,
                              .report_id = report_id,
                              .cluster_id = cluster_id,
                              .created_at = now,
                              .next_at = now};
    return mp_store_outbox_add(ctx->db, &m, NULL);
}

enum mp_status mp_deptmail_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                  int64_t event_id)
{
    if (strcmp(ev->type, MP_EVENT_REPORT_CREATED) != 0 || ev->joined)
        return MP_OK; /* a new job only */
    struct mp_automation *a = rules(ctx);
    size_t n = 0;
    if (!a || (mp_automation_dept_mail(a, &n), n == 0)) {
        mp_automation_free(a);
        return MP_OK;
    }
    struct mp_cluster_state st;
    enum mp_status rc = mp_store_cluster_state(ctx->db, ev->cluster_id, &st);
    if (rc == MP_OK) {
        struct mp_automation_input in = {.category = st.category,
                                         .district = st.district,
                                         .status = st.status,
                                         .report_count = st.report_count,
                                         .first_at = st.first_at};
        struct mp_automation_result ar;
        mp_automation_eval(a, ctx->city, ctx->tz, &in, ev->at, &ar);
        const struct mp_dept_mail *d = mp_automation_dept_mail_find(a, ar.department);
        if (d)
            rc = tell(ctx, d, MP_DIGEST_NEW, ev->cluster_id, ev->report_id, event_id, ev->at);
    }
    mp_automation_free(a);
    return rc == MP_ENOTFOUND ? MP_OK : rc;
}

/* ---- the sender's round ---- */

struct late {
    int64_t cluster_id;
    const struct mp_dept_mail *d;
};

struct overdue {
    const struct mp_ctx *ctx;
    const struct mp_automation *a;
    int64_t now;
    struct late *jobs;
    size_t n, cap;
    bool nomem;
};

static int take_job(void *p, const struct mp_work_row *r)
{
    struct overdue *o = p;
    struct mp_automation_input in = {.category = r->category,
                                     .district = r->district,
                                     .status = r->status,
                                     .report_count = r->report_count,
                                     .first_at = r->first_at,
                                     .department = r->department,
                                     .manual_priority = r->priority,
                                     .manual_due_at = r->due_at};
    struct mp_automation_result ar;
    mp_automation_eval(o->a, o->ctx->city, o->ctx->tz, &in, o->now, &ar);
    const struct mp_dept_mail *d = ar.overdue ? mp_automation_dept_mail_find(o->a, ar.department)
                                              : NULL;
    if (!d)
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        struct late *j = realloc(o->jobs, cap * sizeof *j);
        if (!j) {
            o->nomem = true;
            return 1;
        }
        o->jobs = j;
        o->cap = cap;
    }
    o->jobs[o->n++] = (struct late){r->id, d};
    return 0;
}

static enum mp_status overdue_jobs(struct mp_ctx *ctx, const struct mp_automation *a, int64_t now)
{
    struct mp_work_query q;
    memset(&q, 0, sizeof q);
    q.nstatuses = mp_vocab_status_codes(MP_VOCAB_OPEN, q.statuses, MP_QUERY_MAX_LIST);
    struct overdue o = {ctx, a, now, NULL, 0, 0, false};
    enum mp_status rc = mp_store_work_list(ctx->db, &q, take_job, &o);
    if (rc == MP_OK && o.nomem)
        rc = MP_ENOMEM;
    for (size_t i = 0; rc == MP_OK && i < o.n; i++)
        rc = tell(ctx, o.jobs[i].d, MP_DIGEST_OVERDUE, o.jobs[i].cluster_id, 0, 0, now);
    free(o.jobs);
    return rc;
}

/* The digest of department d if its morning has come (on a working day). */
static enum mp_status digest(struct mp_ctx *ctx, const struct mp_dept_mail *d, int64_t now)
{
    int64_t next = 0, waiting = 0;
    enum mp_status rc = mp_store_dept_schedule_get(ctx->db, d->code, &next);
    if (rc || (next && now < next))
        return rc;
    int64_t after = mp_alert_next_morning(ctx, now, MP_DEPT_DIGEST_HOUR, true);
    /* A server that was down over the weekend does not send on Sunday. */
    bool workday = mp_city_is_workday(ctx->city, mp_workdays_local_day(ctx->tz, now));
    if (next && workday && (rc = mp_store_digest_pending(ctx->db, 0, d->code, &waiting)) == MP_OK &&
        waiting > 0) {
        char norm[MP_EMAIL_MAX], hash[MP_TOKEN_HASH_LEN], dedup[96];
        if (!mp_notify_address_norm(d->email, norm, sizeof norm))
            return MP_OK;
        mp_notify_address_hash(norm, hash);
        snprintf(dedup, sizeof dedup, "dept_digest:%s:%lld", d->code, (long long)next);
        struct mp_outbox_rec m = {.kind = "dept_digest",
                                  .channel = MP_CHANNEL_MAIL,
                                  .rcpt = norm,
                                  .rcpt_hash = hash,
                                  .lang = d->lang,
                                  .dedup = dedup,
                                  .created_at = now,
                                  .next_at = now};
        int64_t id = 0, n = 0;
        if ((rc = mp_store_outbox_add(ctx->db, &m, &id)) == MP_OK && id)
            rc = mp_store_digest_take(ctx->db, 0, d->code, id, &n);
    }
    if (rc == MP_OK)
        rc = mp_store_dept_schedule_set(ctx->db, d->code, after);
    return rc;
}

enum mp_status mp_deptmail_scan(struct mp_ctx *ctx, int64_t now)
{
    struct mp_automation *a = rules(ctx);
    size_t n = 0;
    const struct mp_dept_mail *depts = mp_automation_dept_mail(a, &n);
    enum mp_status rc = n ? overdue_jobs(ctx, a, now) : MP_OK;
    for (size_t i = 0; rc == MP_OK && i < n; i++)
        if (depts[i].digest)
            rc = digest(ctx, &depts[i], now);
    mp_automation_free(a);
    return rc;
}
