#include "meldpunt/corrections.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/auth.h"
#include "meldpunt/city.h"
#include "meldpunt/cluster.h"
#include "meldpunt/geo.h"
#include "meldpunt/notify.h"
#include "meldpunt/store.h"
#include "meldpunt/store_work.h"
#include "meldpunt/timeutil.h"

static enum mp_status load(struct mp_ctx *ctx, int64_t id, struct mp_cluster_state *st,
                           struct mp_error *err)
{
    enum mp_status rc = mp_store_cluster_state(ctx->db, id, st);
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
    if ((rc = load(ctx, id, &st, err)))
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

/* The merge itself, in the open write transaction. */
static enum mp_status merge_in_tx(struct mp_ctx *ctx, int64_t from, int64_t into,
                                  const char *actor, struct mp_error *err)
{
    struct mp_cluster_state a, b;
    struct mp_member_stats ma, mb;
    enum mp_status rc;
    char note[96];
    if (from == into)
        return mp_fail(err, MP_EINVAL, "invalid_field", "a cluster cannot be merged into itself");
    if ((rc = load(ctx, from, &a, err)) || (rc = load(ctx, into, &b, err)))
        return rc;
    if (strcmp(a.category, b.category) != 0)
        return mp_fail(err, MP_ECONFLICT, "category_mismatch",
                       "cluster %lld is %.48s and cluster %lld is %.48s: not the same job",
                       (long long)from, a.category, (long long)into, b.category);
    if ((rc = mp_store_cluster_members(ctx->db, from, &ma)) ||
        (rc = mp_store_cluster_members(ctx->db, into, &mb)))
        return mp_fail(err, rc, "unavailable", "cannot read the clusters' reports");
    /* The merged job is open when either was. (Copy only from a: a
     * snprintf of b.status into itself is undefined and left it empty.) */
    if (!mp_cluster_status_open(b.status) && mp_cluster_status_open(a.status))
        snprintf(b.status, sizeof b.status, "%s", a.status);
    int64_t now = mp_time_now();
    struct mp_correction_rec c = {.kind = "merge", .from_cluster = from, .to_cluster = into,
                                  .at = now, .actor = actor};
    snprintf(note, sizeof note, "merged cluster %lld into this one", (long long)from);
    if ((rc = mp_store_reports_move_all(ctx->db, from, into, b.status)) ||
        (rc = mp_store_cluster_update(ctx->db, &b)) ||
        (rc = mp_store_cluster_set_status(ctx->db, into, b.status, b.fixed_at, now)) ||
        (rc = mp_store_correction_add(ctx->db, &c)) ||
        (rc = mp_store_constraint_add(ctx->db, ma.first_report, mb.first_report, true, now)) ||
        (rc = mp_store_work_cluster_merged(ctx->db, from, into)) ||
        (rc = log_history(ctx, into, b.status, note, actor)))
        return mp_fail(err, rc, "unavailable", "cannot merge the clusters");
    if ((rc = mp_corrections_refresh(ctx, from, into, err)) ||
        (rc = mp_corrections_refresh(ctx, into, 0, err)))
        return rc;
    struct mp_notify_event ev = {.type = MP_EVENT_MERGED, .cluster_id = into, .at = now,
                                 .from_cluster = from, .to_cluster = into};
    if ((rc = mp_notify_emit(ctx, &ev, NULL)))
        return mp_fail(err, rc, "unavailable", "cannot merge the clusters");
    return MP_OK;
}

struct report_of {
    int64_t cluster_id;
    char category[48];
    bool found;
};

static int grab(void *p, const struct mp_report_row *r)
{
    struct report_of *o = p;
    o->cluster_id = r->cluster_id;
    snprintf(o->category, sizeof o->category, "%s", r->category);
    o->found = true;
    return 0;
}

/* The move itself, in the open write transaction. */
static enum mp_status move_in_tx(struct mp_ctx *ctx, int64_t report_id, int64_t to,
                                 const char *actor, int64_t *new_cluster, struct mp_error *err)
{
    struct report_of r = {0};
    struct mp_cluster_state old, dst;
    struct mp_member_stats m_old, m_dst;
    enum mp_status rc = mp_store_report_get(ctx->db, report_id, false, grab, &r);
    int64_t now = mp_time_now();
    char note[96];
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no report %lld", (long long)report_id);
    if (rc)
        return mp_fail(err, rc, "unavailable", "cannot read the report");
    if (to == r.cluster_id)
        return mp_fail(err, MP_EINVAL, "invalid_field", "the report is already in cluster %lld",
                       (long long)to);
    if ((rc = load(ctx, r.cluster_id, &old, err)))
        return rc;
    if ((rc = mp_store_cluster_members(ctx->db, old.id, &m_old)))
        return mp_fail(err, rc, "unavailable", "cannot read the cluster's reports");
    if (to) {
        if ((rc = load(ctx, to, &dst, err)))
            return rc;
        if (strcmp(dst.category, r.category) != 0)
            return mp_fail(err, MP_ECONFLICT, "category_mismatch",
                           "cluster %lld is about %.48s, the report about %.48s",
                           (long long)to, dst.category, r.category);
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
                                    int64_t from, int64_t into,
                                    struct mp_correction_result *out, struct mp_error *err)
{
    char detail[96];
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    snprintf(detail, sizeof detail, "{\"from\":%lld,\"into\":%lld}", (long long)from,
             (long long)into);
    if ((rc = merge_in_tx(ctx, from, into, who->name, err))) {
        mp_store_rollback(ctx->db);
        return rc;
    }
    if ((rc = audit_commit(ctx, who, "merge", "cluster", into, detail, err)))
        return rc;
    result(ctx, into, out);
    return MP_OK;
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
    if ((rc = move_in_tx(ctx, report_id, to, who->name, &landed, err))) {
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
