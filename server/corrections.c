#include "meldpunt/corrections.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/notify.h"
#include "meldpunt/scope.h"
#include "meldpunt/store.h"
#include "meldpunt/store_merge.h"
#include "meldpunt/store_work.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"

/* Cluster id for who (NULL: the system); another municipality's cluster is
 * answered as a missing one (tenancy, scope.h). */
static enum mp_status load(struct mp_ctx *ctx, const struct mp_principal *who, int64_t id,
                           struct mp_cluster_state *st, struct mp_error *err)
{
    enum mp_status rc = mp_store_cluster_state(ctx->db, id, st);
    if (rc == MP_OK && !mp_scope_allows(who, st->municipality))
        rc = MP_ENOTFOUND;
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no cluster %lld", (long long)id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read cluster %lld", (long long)id);
    return MP_OK;
}

enum mp_status mp_corrections_refresh(struct mp_ctx *ctx, int64_t id, int64_t heir,
                                      struct mp_error *err)
{
    struct mp_cluster_state st;
    struct mp_member_stats m;
    enum mp_status rc;
    if ((rc = load(ctx, NULL, id, &st, err)))
        return rc;
    if ((rc = mp_store_cluster_members(ctx->db, id, &m)))
        return mp_fail(err, rc, "unavailable", "cannot read the cluster's reports");
    if (m.count == 0) {
        if ((rc = mp_store_cluster_delete(ctx->db, id, heir)))
            return mp_fail(err, rc, "unavailable", "cannot remove the empty cluster");
        return MP_OK;
    }
    st.report_count = m.count;
    st.sum_x = m.sum_x;
    st.sum_y = m.sum_y;
    st.x = m.sum_x / (double)m.count;
    st.y = m.sum_y / (double)m.count;
    st.first_at = m.first_at;
    st.last_at = m.last_at;
    if (mp_geo_inverse(ctx->geo, st.x, st.y, &st.lon, &st.lat) != MP_OK)
        return mp_fail(err, MP_EDB, "internal", "cannot compute the cluster centre");
    if ((rc = mp_store_cluster_update(ctx->db, &st)))
        return mp_fail(err, rc, "unavailable", "cannot update the cluster");
    return MP_OK;
}

static enum mp_status log_history(struct mp_ctx *ctx, int64_t cluster, const char *status,
                                  const char *note, const char *actor)
{
    struct mp_history_rec h = {.cluster_id = cluster, .at = mp_time_now(), .status = status,
                               .note = note, .note_public = false, .actor = actor};
    return mp_store_history_add(ctx->db, &h);
}

double mp_corrections_merge_limit(const struct mp_category *c)
{
    if (!c)
        return 0;
    return c->rule == MP_RULE_STREET && c->along_m > c->radius_m ? c->along_m : c->radius_m;
}

/* A merge's reason: NULL when none was given, else text of at most
 * MP_MERGE_REASON_MAX characters. */
static enum mp_status check_reason(const char *reason, struct mp_error *err)
{
    if (!reason)
        return MP_OK;
    long chars = mp_utf8_chars(reason, strlen(reason));
    if (chars < 0)
        return mp_fail(err, MP_EINVAL, "invalid_field",
                       "reason must be UTF-8 text without control characters");
    if (chars > MP_MERGE_REASON_MAX)
        return mp_fail(err, MP_EINVAL, "too_long", "reason is %ld characters; at most %d", chars,
                       MP_MERGE_REASON_MAX);
    return MP_OK;
}

/* The merge itself, in the open write transaction. */
static enum mp_status merge_in_tx(struct mp_ctx *ctx, const struct mp_principal *who,
                                  int64_t from, int64_t into, const char *reason,
                                  struct mp_correction_result *out, struct mp_error *err)
{
    struct mp_cluster_state a, b;
    struct mp_member_stats ma, mb;
    struct mp_work_assignment wa;
    enum mp_status rc;
    char note[96], into_status[MP_STATUS_MAXLEN];
    int64_t merge_id = 0;
    if (from == into)
        return mp_fail(err, MP_EINVAL, "invalid_field", "a cluster cannot be merged into itself");
    const char *actor = who->name;
    if ((rc = load(ctx, who, from, &a, err)) || (rc = load(ctx, who, into, &b, err)))
        return rc;
    if (strcmp(a.category, b.category) != 0)
        return mp_fail(err, MP_ECONFLICT, "category_mismatch",
                       "cluster %lld is %.48s and cluster %lld is %.48s: not the same job",
                       (long long)from, a.category, (long long)into, b.category);
    if (strcmp(a.municipality, b.municipality) != 0)
        return mp_fail(err, MP_ECONFLICT, "municipality_mismatch",
                       "cluster %lld is of %.48s and cluster %lld of %.48s: a job stays in its"
                       " municipality",
                       (long long)from, a.municipality, (long long)into, b.municipality);
    out->distance_m = mp_geo_dist(a.x, a.y, b.x, b.y);
    out->limit_m = mp_corrections_merge_limit(mp_city_category(ctx->city, a.category));
    if (!reason && out->distance_m > out->limit_m)
        return mp_fail(err, MP_EINVAL, "reason_required",
                       "clusters %lld and %lld are %.0f m apart, farther than the %.0f m of "
                       "%.48s: say why they are one job (reason)",
                       (long long)from, (long long)into, out->distance_m, out->limit_m,
                       a.category);
    if ((rc = mp_store_cluster_members(ctx->db, from, &ma)) ||
        (rc = mp_store_cluster_members(ctx->db, into, &mb)) ||
        (rc = mp_store_work_get(ctx->db, from, &wa)))
        return mp_fail(err, rc, "unavailable", "cannot read the clusters' reports");
    /* The merged job is open when either was. (Copy only from a: a
     * snprintf of b.status into itself is undefined and left it empty.) */
    snprintf(into_status, sizeof into_status, "%s", b.status);
    if (!mp_cluster_status_open(b.status) && mp_cluster_status_open(a.status))
        snprintf(b.status, sizeof b.status, "%s", a.status);
    int64_t now = mp_time_now();
    struct mp_correction_rec c = {.kind = "merge", .from_cluster = from, .to_cluster = into,
                                  .at = now, .actor = actor};
    struct mp_merge_rec m = {.from_cluster = from, .into_cluster = into, .at = now,
                             .actor = actor, .reason = reason, .distance_m = out->distance_m,
                             .from_status = a.status, .into_status = into_status,
                             .merged_status = b.status, .from_fixed_at = a.fixed_at,
                             .into_fixed_at = b.fixed_at, .from_work = &wa,
                             .from_district = a.district, .from_street = a.street,
                             .from_location = a.location};
    /* The merged cluster's own entry first, so that it goes with the rest
     * of its history (and comes back with it on an undo). */
    struct mp_history_rec hf = {.cluster_id = from, .at = now, .status = b.status,
                                .note = note, .note_public = false, .actor = actor};
    struct mp_history_rec hi = hf;
    hi.cluster_id = into;
    snprintf(note, sizeof note, "merged into cluster %lld", (long long)into);
    if ((rc = mp_store_merge_add(ctx->db, &m, &merge_id)) ||
        (rc = mp_store_merge_entry_add(ctx->db, merge_id, MP_MERGE_ENTRY_FROM, &hf)) ||
        (rc = mp_store_merge_note_rows(ctx->db, merge_id, from)))
        return mp_fail(err, rc, "unavailable", "cannot merge the clusters");
    snprintf(note, sizeof note, "merged cluster %lld into this one", (long long)from);
    if ((rc = mp_store_reports_move_all(ctx->db, from, into, b.status)) ||
        (rc = mp_store_cluster_update(ctx->db, &b)) ||
        (rc = mp_store_cluster_set_status(ctx->db, into, b.status, b.fixed_at, now)) ||
        (rc = mp_store_correction_add(ctx->db, &c)) ||
        (rc = mp_store_constraint_add(ctx->db, ma.first_report, mb.first_report, true, now)) ||
        (rc = mp_store_work_cluster_merged(ctx->db, from, into)) ||
        (rc = mp_store_merge_entry_add(ctx->db, merge_id, MP_MERGE_ENTRY_INTO, &hi)))
        return mp_fail(err, rc, "unavailable", "cannot merge the clusters");
    if ((rc = mp_corrections_refresh(ctx, from, into, err)) ||
        (rc = mp_corrections_refresh(ctx, into, 0, err)))
        return rc;
    struct mp_notify_event ev = {.type = MP_EVENT_MERGED, .cluster_id = into, .at = now,
                                 .from_cluster = from, .to_cluster = into};
    if ((rc = mp_notify_emit(ctx, &ev, NULL)))
        return mp_fail(err, rc, "unavailable", "cannot merge the clusters");
    out->merge_id = merge_id;
    return MP_OK;
}

/* Why merge m cannot be undone now, if it cannot: MP_ECONFLICT. */
static enum mp_status unmerge_check(struct mp_ctx *ctx, const struct mp_merge_row *m,
                                    struct mp_cluster_state *into, struct mp_error *err)
{
    struct mp_cluster_state taken;
    int64_t strays, report, now_in;
    enum mp_status rc;
    if (m->undone_at)
        return mp_fail(err, MP_ECONFLICT, "already_undone",
                       "merge %lld was undone already, by %.60s", (long long)m->id,
                       m->undone_by[0] ? m->undone_by : "staff");
    rc = mp_store_cluster_state(ctx->db, m->into_cluster, into);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, MP_ECONFLICT, "moved_on",
                       "cluster %lld no longer exists: its reports have moved on since the "
                       "merge, which cannot be undone",
                       (long long)m->into_cluster);
    if (rc || (rc = mp_store_merge_strays(ctx->db, m->id, m->into_cluster, &strays, &report,
                                          &now_in)))
        return mp_fail(err, rc, "unavailable", "cannot read the merged reports");
    if (strays)
        return mp_fail(err, MP_ECONFLICT, "moved_on",
                       "report %lld has moved on since the merge (it is in cluster %lld now): "
                       "the merge cannot be undone",
                       (long long)report, (long long)now_in);
    rc = mp_store_cluster_state(ctx->db, m->from_cluster, &taken);
    if (rc == MP_OK)
        return mp_fail(err, MP_ECONFLICT, "id_taken",
                       "cluster id %lld is in use again: the merge cannot be undone",
                       (long long)m->from_cluster);
    return rc == MP_ENOTFOUND ? MP_OK
                              : mp_fail(err, rc, "unavailable", "cannot read cluster %lld",
                                        (long long)m->from_cluster);
}

/* The undo itself, in the open write transaction. */
static enum mp_status unmerge_in_tx(struct mp_ctx *ctx, const struct mp_merge_row *m,
                                    const char *actor, struct mp_error *err)
{
    struct mp_cluster_state into, back;
    struct mp_member_stats mf, mi;
    enum mp_status rc;
    char note[96];
    if ((rc = unmerge_check(ctx, m, &into, err)))
        return rc;
    int64_t now = mp_time_now();
    /* The old cluster at the other's place for a moment: refresh puts its
     * centre, count and times back from its reports. */
    back = into;
    back.id = m->from_cluster;
    back.report_count = 0;
    back.fixed_at = m->from_fixed_at;
    snprintf(back.status, sizeof back.status, "%s", m->from_status);
    snprintf(back.district, sizeof back.district, "%s", m->from_district);
    snprintf(back.street, sizeof back.street, "%s", m->from_street);
    snprintf(back.location, sizeof back.location, "%s", m->from_location);
    if ((rc = mp_store_cluster_insert(ctx->db, &back)) ||
        (rc = mp_store_merge_restore(ctx->db, m->id, back.id, back.status, now, actor)))
        return mp_fail(err, rc, "unavailable", "cannot bring cluster %lld back",
                       (long long)back.id);
    /* The other job's status back when the merge set it and it has stood
     * since; a status given since is a later decision, kept. */
    if (strcmp(m->into_status, m->merged_status) != 0 &&
        strcmp(into.status, m->merged_status) == 0) {
        snprintf(into.status, sizeof into.status, "%s", m->into_status);
        if ((rc = mp_store_cluster_set_status(ctx->db, into.id, into.status, m->into_fixed_at,
                                              now)))
            return mp_fail(err, rc, "unavailable", "cannot restore the status");
    }
    struct mp_correction_rec c = {.kind = "unmerge", .from_cluster = into.id,
                                  .to_cluster = back.id, .at = now, .actor = actor};
    struct mp_history_rec hf = {.cluster_id = back.id, .at = now, .status = back.status,
                                .note = note, .note_public = false, .actor = actor};
    struct mp_history_rec hi = {.cluster_id = into.id, .at = now, .status = into.status,
                                .note = note, .note_public = false, .actor = actor};
    snprintf(note, sizeof note, "merge into cluster %lld undone", (long long)into.id);
    if ((m->from_work.exists &&
         (rc = mp_store_work_set(ctx->db, back.id, &m->from_work, now))) ||
        (rc = mp_store_correction_add(ctx->db, &c)) ||
        (rc = mp_store_merge_entry_add(ctx->db, m->id, MP_MERGE_ENTRY_UNDO_FROM, &hf)))
        return mp_fail(err, rc, "unavailable", "cannot undo the merge");
    snprintf(note, sizeof note, "merge of cluster %lld undone", (long long)back.id);
    if ((rc = mp_store_merge_entry_add(ctx->db, m->id, MP_MERGE_ENTRY_UNDO_INTO, &hi)))
        return mp_fail(err, rc, "unavailable", "cannot undo the merge");
    if ((rc = mp_corrections_refresh(ctx, back.id, 0, err)) ||
        (rc = mp_corrections_refresh(ctx, into.id, 0, err)))
        return rc;
    /* From now on the two are kept apart, as a split keeps them. */
    if ((rc = mp_store_cluster_members(ctx->db, back.id, &mf)) ||
        (rc = mp_store_cluster_members(ctx->db, into.id, &mi)) ||
        (mf.count && mi.count &&
         (rc = mp_store_constraint_add(ctx->db, mf.first_report, mi.first_report, false, now))))
        return mp_fail(err, rc, "unavailable", "cannot record the correction");
    return MP_OK;
}

struct report_of {
    int64_t cluster_id;
    char category[48];
    char municipality[MP_MUNICIPALITY_MAXLEN];
    bool found;
};

static int grab(void *p, const struct mp_report_row *r)
{
    struct report_of *o = p;
    o->cluster_id = r->cluster_id;
    snprintf(o->category, sizeof o->category, "%s", r->category);
    snprintf(o->municipality, sizeof o->municipality, "%s",
             r->municipality ? r->municipality : "");
    o->found = true;
    return 0;
}

/* The move itself, in the open write transaction. */
static enum mp_status move_in_tx(struct mp_ctx *ctx, const struct mp_principal *who,
                                 int64_t report_id, int64_t to, int64_t *new_cluster,
                                 struct mp_error *err)
{
    struct report_of r = {0};
    struct mp_cluster_state old, dst;
    struct mp_member_stats m_old, m_dst;
    enum mp_status rc = mp_store_report_get(ctx->db, report_id, false, grab, &r);
    int64_t now = mp_time_now();
    char note[96];
    const char *actor = who->name;
    /* Tenancy: another municipality's report is answered as a missing one. */
    if (rc == MP_OK && !mp_scope_allows(who, r.municipality))
        rc = MP_ENOTFOUND;
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no report %lld", (long long)report_id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the report");
    if (to == r.cluster_id)
        return mp_fail(err, MP_EINVAL, "invalid_field", "the report is already in cluster %lld",
                       (long long)to);
    if ((rc = load(ctx, who, r.cluster_id, &old, err)))
        return rc;
    if ((rc = mp_store_cluster_members(ctx->db, old.id, &m_old)))
        return mp_fail(err, rc, "unavailable", "cannot read the cluster's reports");
    if (to) {
        if ((rc = load(ctx, who, to, &dst, err)))
            return rc;
        if (strcmp(dst.category, r.category) != 0)
            return mp_fail(err, MP_ECONFLICT, "category_mismatch",
                           "cluster %lld is about %.48s, the report about %.48s",
                           (long long)to, dst.category, r.category);
        if (strcmp(dst.municipality, old.municipality) != 0)
            return mp_fail(err, MP_ECONFLICT, "municipality_mismatch",
                           "cluster %lld is of %.48s, the report of %.48s: a report stays in its"
                           " municipality",
                           (long long)to, dst.municipality, old.municipality);
        if ((rc = mp_store_cluster_members(ctx->db, to, &m_dst)))
            return mp_fail(err, rc, "unavailable", "cannot read the cluster's reports");
    } else {
        /* A cluster of its own, starting as a fresh job at the report. */
        dst = old;
        dst.id = 0;
        dst.report_count = 0;
        dst.fixed_at = 0;
        snprintf(dst.status, sizeof dst.status, "new");
        if ((rc = mp_store_cluster_create(ctx->db, &dst, &dst.id)) ||
            (rc = log_history(ctx, dst.id, "new", "split off by staff", actor)))
            return mp_fail(err, rc, "unavailable", "cannot create the new cluster");
        m_dst.first_report = report_id;
    }
    static const char reason[] = "{\"kind\":\"staff\",\"rule\":null}";
    struct mp_correction_rec c = {.kind = "move", .report_id = report_id,
                                  .from_cluster = old.id, .to_cluster = dst.id, .at = now,
                                  .actor = actor};
    snprintf(note, sizeof note, "report %lld moved out by staff", (long long)report_id);
    /* The report now never belongs with the cluster it left (anchored on
     * that cluster's first remaining report), and always with the new one. */
    int64_t anchor = m_old.first_report != report_id ? m_old.first_report : 0;
    if ((rc = mp_store_report_set_cluster(ctx->db, report_id, dst.id, dst.status, reason)) ||
        (rc = mp_store_correction_add(ctx->db, &c)) ||
        (rc = log_history(ctx, old.id, old.status, note, actor)))
        return mp_fail(err, rc, "unavailable", "cannot move the report");
    if ((rc = mp_corrections_refresh(ctx, old.id, dst.id, err)) ||
        (rc = mp_corrections_refresh(ctx, dst.id, 0, err)))
        return rc;
    /* The anchor of the old cluster may have been the report itself: find
     * the first remaining one after the move. */
    if (!anchor && mp_store_cluster_members(ctx->db, old.id, &m_old) == MP_OK && m_old.count)
        anchor = m_old.first_report;
    struct mp_notify_event ev = {.type = MP_EVENT_MOVED, .cluster_id = dst.id,
                                 .report_id = report_id, .at = now, .from_cluster = old.id,
                                 .to_cluster = dst.id};
    if ((rc = mp_store_constraint_add(ctx->db, report_id, anchor, false, now)) ||
        (to && (rc = mp_store_constraint_add(ctx->db, report_id, m_dst.first_report, true, now))) ||
        (rc = mp_notify_emit(ctx, &ev, NULL)))
        return mp_fail(err, rc, "unavailable", "cannot record the correction");
    *new_cluster = dst.id;
    return MP_OK;
}

/* ---- a correction as staff make it: one transaction, audited ---- */

/* Audit the correction (what: "merge", "move") made in the open write
 * transaction and commit it. Nothing of it stays when either fails. */
static enum mp_status audit_commit(struct mp_ctx *ctx, const struct mp_principal *who,
                                   const char *what, const char *kind, int64_t id,
                                   const char *detail, struct mp_error *err)
{
    enum mp_status rc = mp_auth_audit(ctx, who, what, kind, id, detail);
    if (rc) {
        mp_store_rollback(ctx->db);
        return mp_fail(err, rc, "unavailable", "the %s could not be saved", what);
    }
    return mp_store_commit(ctx->db, err); /* a failed commit has rolled back */
}

/* The cluster a correction left the job in, as committed. A failed read
 * leaves only the id: the correction itself is saved. */
static void result(struct mp_ctx *ctx, int64_t cluster_id, struct mp_correction_result *out)
{
    out->cluster_id = cluster_id;
    out->have_state = mp_store_cluster_state(ctx->db, cluster_id, &out->state) == MP_OK;
}

enum mp_status mp_corrections_merge(struct mp_ctx *ctx, const struct mp_principal *who,
                                    int64_t from, int64_t into, const char *reason,
                                    struct mp_correction_result *out, struct mp_error *err)
{
    char detail[96];
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    if (reason && !reason[0])
        reason = NULL;
    if ((rc = check_reason(reason, err)) || (rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = merge_in_tx(ctx, who, from, into, reason, out, err))) {
        mp_store_rollback(ctx->db);
        return rc;
    }
    snprintf(detail, sizeof detail, "{\"from\":%lld,\"into\":%lld,\"merge\":%lld}",
             (long long)from, (long long)into, (long long)out->merge_id);
    if ((rc = audit_commit(ctx, who, "merge", "cluster", into, detail, err)))
        return rc;
    result(ctx, into, out);
    return MP_OK;
}

enum mp_status mp_corrections_unmerge(struct mp_ctx *ctx, const struct mp_principal *who,
                                      int64_t merge_id, struct mp_correction_result *out,
                                      struct mp_error *err)
{
    char detail[96];
    struct mp_merge_row *m = NULL;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    if (!(m = malloc(sizeof *m)))
        return MP_ENOMEM;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    rc = mp_store_merge_get(ctx->db, merge_id, m);
    if (rc == MP_OK && who && !who->region_wide) {
        /* Tenancy: a merge is of its merged cluster's municipality (a merge
         * never crosses one), which its reports keep after the other
         * cluster is gone: its own staff then hear why it cannot be undone
         * (409 moved_on), as region staff do; another's is a missing one.
         * With none of its reports left, the other cluster says, if it
         * stands. */
        struct mp_cluster_state into;
        const char *of = m->municipality;
        enum mp_status irc = MP_OK;
        if (!of[0] && (irc = mp_store_cluster_state(ctx->db, m->into_cluster, &into)) == MP_OK)
            of = into.municipality;
        if (irc && irc != MP_ENOTFOUND)
            rc = irc;
        else if (!mp_scope_allows(who, of))
            rc = MP_ENOTFOUND;
    }
    if (rc == MP_ENOTFOUND)
        rc = mp_fail(err, rc, "not_found", "there is no merge %lld", (long long)merge_id);
    else if (rc)
        rc = mp_fail(err, rc, "unavailable", "cannot read merge %lld", (long long)merge_id);
    else
        rc = unmerge_in_tx(ctx, m, who->name, err);
    if (rc) {
        mp_store_rollback(ctx->db);
        goto out;
    }
    snprintf(detail, sizeof detail, "{\"merge\":%lld,\"from\":%lld,\"into\":%lld}",
             (long long)merge_id, (long long)m->from_cluster, (long long)m->into_cluster);
    if ((rc = audit_commit(ctx, who, "unmerge", "cluster", m->into_cluster, detail, err)))
        goto out;
    result(ctx, m->from_cluster, out);
    out->merge_id = merge_id;
    out->distance_m = m->distance_m;
out:
    free(m);
    return rc;
}

static int cmp_candidate(const void *pa, const void *pb)
{
    const struct mp_merge_candidate *a = pa, *b = pb;
    if (a->distance_m != b->distance_m)
        return a->distance_m < b->distance_m ? -1 : 1;
    return a->st.id < b->st.id ? -1 : a->st.id > b->st.id;
}

#define CANDIDATES_SCAN 256 /* clusters looked at in the square around the job */

enum mp_status mp_corrections_merge_candidates(struct mp_ctx *ctx, const struct mp_principal *who,
                                               int64_t id, struct mp_merge_candidates *out,
                                               struct mp_error *err)
{
    struct mp_cluster_state *near = NULL;
    struct mp_merge_candidate *all = NULL;
    size_t n = 0;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    /* Its candidates are of its own municipality: checking it scopes them. */
    if ((rc = load(ctx, who, id, &out->self, err)))
        return rc;
    out->limit_m = mp_corrections_merge_limit(mp_city_category(ctx->city, out->self.category));
    out->search_m = fmin(fmax(4 * out->limit_m, 250), 2000);
    near = malloc(CANDIDATES_SCAN * sizeof *near);
    all = malloc(CANDIDATES_SCAN * sizeof *all);
    if (!near || !all) {
        rc = MP_ENOMEM;
        goto out;
    }
    /* No time window: an old job nearby is exactly what staff look for. */
    /* Only its own municipality's jobs: duplicates never fold across. */
    if ((rc = mp_store_cluster_candidates(ctx->db, out->self.municipality, out->self.category,
                                          out->self.x, out->self.y, out->search_m, 0, -1, near,
                                          CANDIDATES_SCAN, &n))) {
        rc = mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot look for nearby jobs right now");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double d = mp_geo_dist(out->self.x, out->self.y, near[i].x, near[i].y);
        if (near[i].id == id || d > out->search_m)
            continue;
        all[k].st = near[i];
        all[k].distance_m = d;
        all[k].within = d <= out->limit_m;
        k++;
    }
    qsort(all, k, sizeof *all, cmp_candidate);
    out->n = k < MP_MERGE_CANDIDATES_MAX ? k : MP_MERGE_CANDIDATES_MAX;
    memcpy(out->c, all, out->n * sizeof *all);
out:
    free(near);
    free(all);
    return rc;
}

enum mp_status mp_corrections_move(struct mp_ctx *ctx, const struct mp_principal *who,
                                   int64_t report_id, int64_t to,
                                   struct mp_correction_result *out, struct mp_error *err)
{
    char detail[96];
    int64_t landed = 0;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = move_in_tx(ctx, who, report_id, to, &landed, err))) {
        mp_store_rollback(ctx->db);
        return rc;
    }
    snprintf(detail, sizeof detail, "{\"report\":%lld,\"to\":%lld}", (long long)report_id,
             (long long)landed);
    if ((rc = audit_commit(ctx, who, "move", "report", report_id, detail, err)))
        return rc;
    result(ctx, landed, out);
    return MP_OK;
}
