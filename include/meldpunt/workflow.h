/* workflow.h - the life of a cluster (and so of all its reports):
 *
 *   new -> acknowledged -> scheduled -> in_progress -> fixed -> closed
 *
 * plus not_responsible (not the city's job), reopened and reopen_requested (a
 * reporter said the fix did not hold; staff decide). The statuses and
 * transitions are tables (data, in vocab.c); the role permissions are
 * workflow.c's: dispatchers and admins may make every allowed transition but the
 * reporter's own (into reopen_requested, kto.c); a crew only
 * acknowledged -> in_progress, scheduled -> in_progress and
 * in_progress -> fixed, and only on clusters of its own department; API
 * clients none. Every change goes through mp_report_cluster_set_status and
 * leaves a history entry and an audit entry (who, when).
 *
 * Thread-safety: the table is constant; mp_workflow_change uses only the
 * context it is given.
 */
#ifndef MELDPUNT_WORKFLOW_H
#define MELDPUNT_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/automation.h"
#include "meldpunt/ctx.h"
#include "meldpunt/lineage.h"
#include "meldpunt/status.h"
#include "meldpunt/model.h"
#include "meldpunt/worklist.h"

#define MP_WORKFLOW_NOTE_MAX 2000 /* characters */

/* May who move a cluster of (effective) department dept from -> to?
 * MP_EINVAL "invalid_status" for an unknown target status,
 * MP_ECONFLICT "invalid_transition" when the table has no such transition,
 * MP_EFORBIDDEN "forbidden" when the role (or a crew's department) may not.
 * A client or no role is refused before the table is consulted. */
enum mp_status mp_workflow_check(const struct mp_principal *who, const char *from, const char *to,
                                 const char *dept, struct mp_error *err) MP_WUR;

/* The statuses who may move such a cluster to, in table order: up to cap
 * borrowed static names into out; returns how many. */
size_t mp_workflow_next(const struct mp_principal *who, const char *from, const char *dept,
                        const char **out, size_t cap);

struct mp_workflow_request {
    int64_t cluster_id;
    const char *status;
    const char *note;   /* NULL or "" for none */
    bool note_public;   /* shown to citizens; otherwise staff only */
    const struct mp_photo_rec *photo; /* borrowed, or NULL */
};

struct mp_workflow_result {
    char previous[MP_STATUS_MAXLEN];
    char status[MP_STATUS_MAXLEN];
    int64_t at;
    int64_t photo_id; /* 0 when none */
};

/* Check and make a status change in one write transaction: the cluster's
 * effective department (manual assignment, else the rules in a, which may be
 * NULL) decides what a crew may do. The note goes into the public history
 * when note_public, else into the internal notes; the photo into the crew
 * photos. Errors as mp_workflow_check, plus MP_ENOTFOUND, MP_EINVAL for a
 * bad note, MP_EUNAVAIL. */
enum mp_status mp_workflow_change(struct mp_ctx *ctx, const struct mp_automation *a,
                                  const struct mp_principal *who,
                                  const struct mp_workflow_request *rq,
                                  struct mp_workflow_result *out, struct mp_error *err) MP_WUR;

/* ---- reading what the workflow left ---- */

/* A history entry as staff see it: its public note, or else the internal
 * note written with the same change. Strings borrowed for the callback,
 * each may be NULL. */
struct mp_workflow_entry {
    int64_t at;
    const char *status, *actor, *note;
    bool note_public;
    const struct mp_lineage_mark *merge; /* a merge's own entry, else NULL */
    int64_t from_cluster; /* came with that merged job; 0: this job's own */
};

/* What mp_workflow_view hands out, in this order: the job once; its
 * reports (with contact details when with_private; merged_from the job it
 * came with by merge merge_id, 0 when reported here); the history, oldest
 * first, with the internal notes; the crew's photos; the audit entries of
 * the cluster. Rows are borrowed for the callback. */
struct mp_workflow_view_cbs {
    void (*job)(void *p, const struct mp_job *j);
    void (*report)(void *p, const struct mp_report_row *r, bool with_private,
                   int64_t merged_from, int64_t merge_id);
    void (*entry)(void *p, const struct mp_workflow_entry *e);
    void (*photo)(void *p, const struct mp_work_photo_row *r);
    void (*audit)(void *p, const struct mp_audit_row *a);
};

/* The staff view of cluster id for who (crew or above: the caller checked)
 * at time now, with the rules in a (may be NULL). Reporters' contact
 * details are for those who call them back (dispatchers and above), not
 * for crews; a crew sees only its own department's jobs. Errors:
 * MP_ENOTFOUND "not_found"; MP_EFORBIDDEN "forbidden" (a crew, another
 * department's job); MP_EUNAVAIL "unavailable" (possibly after some
 * callbacks ran); MP_ENOMEM. */
enum mp_status mp_workflow_view(struct mp_ctx *ctx, const struct mp_automation *a,
                                const struct mp_principal *who, int64_t id, int64_t now,
                                const struct mp_workflow_view_cbs *cbs, void *p,
                                struct mp_error *err) MP_WUR;

/* A crew photo (thumb: its thumbnail) as JPEG for who: new memory in
 * *data (free()). A crew may see only its own department's jobs' photos
 * (the department as the rules in a, which may be NULL, give it).
 * MP_ENOTFOUND "not_found", MP_EFORBIDDEN "forbidden", MP_EUNAVAIL
 * "unavailable". */
enum mp_status mp_workflow_photo(struct mp_ctx *ctx, const struct mp_automation *a,
                                 const struct mp_principal *who, int64_t photo_id, bool thumb,
                                 void **data, size_t *len, struct mp_error *err) MP_WUR;

#endif
