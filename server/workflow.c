/* workflow.c - role permissions over the transition table (vocab.c), the
 * one path by which staff change a cluster's status, and the staff view of
 * what the changes left (history with internal notes, crew photos, audit). */
#include "meldpunt/workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/buf.h"
#include "meldpunt/cluster.h"
#include "meldpunt/notify.h"
#include "meldpunt/report.h"
#include "meldpunt/scope.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_work.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

/* Without a side effect on err: the permission part of the check. */
static bool permitted(const struct mp_principal *who, const struct mp_vocab_transition *t,
                      const char *dept)
{
    if (t->reporter)
        return false;
    if (mp_role_at_least(who->role, MP_ROLE_DISPATCHER))
        return true;
    return who->role == MP_ROLE_CREW && t->crew && who->department[0] && dept &&
           strcmp(who->department, dept) == 0;
}

enum mp_status mp_workflow_check(const struct mp_principal *who, const char *from, const char *to,
                                 const char *dept, struct mp_error *err)
{
    if (!who || !mp_role_at_least(who->role, MP_ROLE_CREW))
        return mp_fail(err, MP_EFORBIDDEN, "forbidden", "only staff may change a status");
    if (!mp_cluster_status_valid(to)) {
        char all[128];
        (void)mp_vocab_status_list(all, sizeof all);
        return mp_fail(err, MP_EINVAL, "invalid_status", "unknown status '%.24s' (%s)",
                       to ? to : "", all);
    }
    const struct mp_vocab_transition *t = mp_vocab_transition_find(from, to);
    if (!t)
        return mp_fail(err, MP_ECONFLICT, "invalid_transition",
                       "a cluster that is %.24s cannot become %.24s", from ? from : "?", to);
    if (!permitted(who, t, dept)) {
        if (who->role == MP_ROLE_CREW && t->crew)
            return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                           "this job belongs to department %.47s, not to %.47s",
                           dept && *dept ? dept : "(none)", who->department);
        return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                       "a %s may not change %.24s to %.24s", mp_role_name(who->role), from, to);
    }
    return MP_OK;
}

size_t mp_workflow_next(const struct mp_principal *who, const char *from, const char *dept,
                        const char **out, size_t cap)
{
    size_t n = 0, ntable;
    const struct mp_vocab_transition *table = mp_vocab_transitions(&ntable);
    if (!who || !mp_role_at_least(who->role, MP_ROLE_CREW))
        return 0;
    for (size_t i = 0; from && i < ntable && n < cap; i++)
        if (strcmp(table[i].from, from) == 0 && permitted(who, &table[i], dept))
            out[n++] = table[i].to;
    return n;
}

enum mp_status mp_workflow_change(struct mp_ctx *ctx, const struct mp_automation *a,
                                  const struct mp_principal *who,
                                  const struct mp_workflow_request *rq,
                                  struct mp_workflow_result *out, struct mp_error *err)
{
    enum mp_status rc;
    bool in_tx = false;
    struct mp_cluster_state st;
    struct mp_work_assignment wa;
    memset(out, 0, sizeof *out);
    const char *note = rq->note && rq->note[0] ? rq->note : NULL;
    if (note) {
        long chars = mp_utf8_chars(note, strlen(note));
        if (chars < 0)
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "note must be UTF-8 text without control characters");
        if (chars > MP_WORKFLOW_NOTE_MAX)
            return mp_fail(err, MP_EINVAL, "too_long", "note is %ld characters; at most %d",
                           chars, MP_WORKFLOW_NOTE_MAX);
    }
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    in_tx = true;
    rc = mp_store_cluster_state(ctx->db, rq->cluster_id, &st);
    /* Tenancy: another municipality's cluster is answered as a missing one. */
    if (rc == MP_OK && !mp_scope_allows(who, st.municipality))
        rc = MP_ENOTFOUND;
    if (rc == MP_ENOTFOUND) {
        rc = mp_fail(err, rc, "not_found", "there is no cluster %lld", (long long)rq->cluster_id);
        goto out;
    }
    if (rc || (rc = mp_store_work_get(ctx->db, rq->cluster_id, &wa))) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
        goto out;
    }
    struct mp_automation_input in = {
        .category = st.category,
        .district = st.district,
        .status = st.status,
        .report_count = st.report_count,
        .first_at = st.first_at,
        .department = wa.exists ? wa.department : NULL,
    };
    struct mp_automation_result ar;
    mp_automation_eval(a, ctx->city, ctx->tz, &in, mp_time_now(), &ar);
    if ((rc = mp_workflow_check(who, st.status, rq->status, ar.department, err)))
        goto out;
    /* mp_workflow_check passed, so the transition exists. */
    const struct mp_vocab_transition *tr = mp_vocab_transition_find(st.status, rq->status);
    if (tr && tr->note_required && !note) {
        rc = mp_fail(err, MP_EINVAL, "note_required",
                     "a note is required to change %.24s to %.24s", st.status, rq->status);
        goto out;
    }
    int64_t at = mp_time_now();
    if ((rc = mp_report_cluster_set_status(ctx, rq->cluster_id, rq->status, at,
                                           rq->note_public ? note : NULL, who->name, err)))
        goto out;
    if (note && !rq->note_public &&
        (rc = mp_store_work_note_add(ctx->db, rq->cluster_id, at, rq->status, note, who->name)))
        goto db_fail;
    if (rq->photo && (rc = mp_store_work_photo_put(ctx->db, rq->cluster_id, at, rq->status,
                                                   who->name, rq->photo, &out->photo_id)))
        goto db_fail;
    /* The reporters' mail is queued with the change it tells of. */
    struct mp_notify_event ev = {.type = MP_EVENT_STATUS_CHANGED,
                                 .cluster_id = rq->cluster_id,
                                 .at = at,
                                 .from = st.status,
                                 .to = rq->status,
                                 .note = rq->note_public ? note : NULL};
    if ((rc = mp_notify_emit(ctx, &ev, NULL)))
        goto db_fail;
    char detail[256];
    int dn = snprintf(detail, sizeof detail,
                      "{\"from\":\"%s\",\"to\":\"%s\",\"note\":%s,\"photo_id\":%lld}", st.status,
                      rq->status, !note ? "null" : rq->note_public ? "\"public\"" : "\"internal\"",
                      (long long)out->photo_id);
    if (dn < 0 || (size_t)dn >= sizeof detail)
        snprintf(detail, sizeof detail, "{}");
    if ((rc = mp_auth_audit(ctx, who, "status", "cluster", rq->cluster_id, detail)))
        goto db_fail;
    in_tx = false;
    if ((rc = mp_store_commit(ctx->db, err)))
        goto out;
    snprintf(out->previous, sizeof out->previous, "%s", st.status);
    snprintf(out->status, sizeof out->status, "%s", rq->status);
    out->at = at;
    goto out;
db_fail:
    rc = mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                 "the change could not be stored; try again later");
out:
    if (in_tx)
        mp_store_rollback(ctx->db);
    return rc;
}

/* ---- the staff view of a cluster ---- */

/* A crew reads its own department's jobs only (their internal notes, crew
 * photos, history); dispatchers and admins read every job. */
static enum mp_status crew_scope(const struct mp_principal *who, const char *dept,
                                 struct mp_error *err)
{
    if (who->role != MP_ROLE_CREW || (dept && who->department[0] &&
                                      strcmp(dept, who->department) == 0))
        return MP_OK;
    return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                   "this job belongs to department %.47s, not to %.47s",
                   dept && *dept ? dept : "(none)", who->department);
}

#define MEMBERS_MAX 2000
#define NOTES_MAX 512

/* An internal note, kept until the history entry of its change comes by. */
struct view_note {
    int64_t at;
    char status[MP_STATUS_MAXLEN];
    char *note; /* owned */
    char actor[64];
    bool used;
};

struct view {
    const struct mp_workflow_view_cbs *cbs;
    void *p;
    bool with_private;
    const struct mp_lineage *lineage;
    int64_t ids[MEMBERS_MAX];
    size_t nids;
    struct view_note notes[NOTES_MAX];
    size_t nnotes;
};

static int member_id(void *p, const struct mp_report_row *r)
{
    struct view *v = p;
    if (v->nids < MEMBERS_MAX)
        v->ids[v->nids++] = r->id;
    return 0;
}

static int member_row(void *p, const struct mp_report_row *r)
{
    struct view *v = p;
    int64_t merge_id, from = mp_lineage_report_from(v->lineage, r->id, &merge_id);
    v->cbs->report(v->p, r, v->with_private, from, merge_id);
    return 0;
}

static int note_row(void *p, const struct mp_work_note_row *r)
{
    struct view *v = p;
    if (v->nnotes == NOTES_MAX)
        return 1;
    struct view_note *n = &v->notes[v->nnotes];
    n->at = r->at;
    snprintf(n->status, sizeof n->status, "%s", r->status ? r->status : "");
    snprintf(n->actor, sizeof n->actor, "%s", r->actor ? r->actor : "");
    n->note = strdup(r->note ? r->note : "");
    n->used = false;
    if (n->note)
        v->nnotes++;
    return 0;
}

/* An entry shows its public note; without one, the internal note written
 * with the same change (same time and status), each internal note once. */
static int history_row(void *p, const struct mp_history_row *h)
{
    struct view *v = p;
    const char *inote = NULL;
    for (size_t i = 0; i < v->nnotes && !inote; i++)
        if (!v->notes[i].used && v->notes[i].at == h->at &&
            strcmp(v->notes[i].status, h->status ? h->status : "") == 0) {
            v->notes[i].used = true;
            inote = v->notes[i].note;
        }
    bool pub = h->note && h->note[0] && h->note_public;
    struct mp_workflow_entry e = {.at = h->at, .status = h->status, .actor = h->actor,
                                  .note = pub ? h->note : inote, .note_public = pub || !inote,
                                  .merge = mp_lineage_entry(v->lineage, h->id),
                                  .from_cluster = mp_lineage_origin(v->lineage, h->id)};
    v->cbs->entry(v->p, &e);
    return 0;
}

static int photo_row(void *p, const struct mp_work_photo_row *r)
{
    struct view *v = p;
    v->cbs->photo(v->p, r);
    return 0;
}

static int audit_row(void *p, const struct mp_audit_row *a)
{
    struct view *v = p;
    v->cbs->audit(v->p, a);
    return 0;
}

/* Everything after the job, in the order the callbacks promise. */
static enum mp_status view_rest(struct mp_ctx *ctx, int64_t id, struct view *v)
{
    enum mp_status rc;
    if ((rc = mp_store_cluster_reports(ctx->db, id, member_id, v)))
        return rc;
    /* The ids first: a report is read with its own statement. */
    for (size_t i = 0; i < v->nids; i++) {
        rc = mp_store_report_get(ctx->db, v->ids[i], v->with_private, member_row, v);
        if (rc && rc != MP_ENOTFOUND)
            return rc;
    }
    if ((rc = mp_store_work_notes(ctx->db, id, note_row, v)) ||
        (rc = mp_store_history(ctx->db, id, history_row, v)))
        return rc;
    /* Internal notes that match no history entry (there should be none). */
    for (size_t i = 0; i < v->nnotes; i++)
        if (!v->notes[i].used) {
            struct mp_workflow_entry e = {.at = v->notes[i].at, .status = v->notes[i].status,
                                          .actor = v->notes[i].actor, .note = v->notes[i].note,
                                          .note_public = false};
            v->cbs->entry(v->p, &e);
        }
    if ((rc = mp_store_work_photos(ctx->db, id, photo_row, v)) ||
        (rc = mp_store_audit_for(ctx->db, "cluster", id, audit_row, v)))
        return rc;
    return MP_OK;
}

enum mp_status mp_workflow_view(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_principal *who, int64_t id, int64_t now,
                                const struct mp_workflow_view_cbs *cbs, void *p,
                                struct mp_error *err)
{
    struct mp_job j;
    struct view *v = NULL;
    struct mp_lineage *lineage = NULL;
    enum mp_status rc;
    if ((rc = mp_worklist_job(ctx, a, id, now, &j, err)) ||
        (rc = mp_scope_check(who, j.municipality, err, "there is no cluster %lld",
                             (long long)id)) ||
        (rc = crew_scope(who, j.department, err)))
        return rc;
    if ((rc = mp_lineage_load(ctx, j.id, 0, &lineage)))
        return rc == MP_ENOMEM ? rc
                               : mp_fail(err, MP_EUNAVAIL, "unavailable",
                                         "cannot read the cluster right now");
    if (!(v = calloc(1, sizeof *v))) {
        mp_lineage_free(lineage);
        return MP_ENOMEM;
    }
    v->lineage = lineage;
    v->cbs = cbs;
    v->p = p;
    v->with_private = mp_role_at_least(who->role, MP_ROLE_DISPATCHER);
    cbs->job(p, &j);
    if ((rc = view_rest(ctx, j.id, v)))
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
    for (size_t i = 0; i < v->nnotes; i++)
        free(v->notes[i].note);
    free(v);
    mp_lineage_free(lineage);
    return rc;
}

enum mp_status mp_workflow_photo(struct mp_ctx *ctx, const struct mp_automation *a,
                                 const struct mp_principal *who, int64_t photo_id, bool thumb,
                                 void **data, size_t *len, struct mp_error *err)
{
    int64_t cluster = 0;
    struct mp_job j;
    enum mp_status rc = mp_store_work_photo_cluster(ctx->db, photo_id, &cluster);
    if (rc == MP_OK && (who->role == MP_ROLE_CREW || !who->region_wide)) {
        /* A photo of a job that is gone is nobody's department's, nor any
         * municipality's but for region-wide staff. */
        if ((rc = mp_worklist_job(ctx, a, cluster, mp_time_now(), &j, err)) == MP_ENOTFOUND) {
            if (who->role == MP_ROLE_CREW)
                return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                               "this photo belongs to no job of department %.47s",
                               who->department);
            return mp_fail(err, rc, "not_found", "there is no photo %lld", (long long)photo_id);
        }
        /* Tenancy first: another municipality's photo is a missing one. */
        if (rc ||
            (rc = mp_scope_check(who, j.municipality, err, "there is no photo %lld",
                                 (long long)photo_id)) ||
            (who->role == MP_ROLE_CREW && (rc = crew_scope(who, j.department, err))))
            return rc;
    }
    if (rc == MP_OK)
        rc = mp_store_work_photo_get(ctx->db, photo_id, thumb, data, len);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no photo %lld", (long long)photo_id);
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the photo right now");
    return MP_OK;
}
