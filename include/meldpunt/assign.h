/* assign.h - who does a job: a dispatcher assigns a cluster to a department
 * and a crew, and may set its priority and deadline by hand. A manual
 * choice wins over the automation rules (automation.h), which keep deciding
 * whatever was left unset.
 *
 * A crew works for one department: naming a crew without a department
 * assigns the crew's department too, and naming both when they differ is
 * refused. Every assignment is audited (who, when, what was asked).
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_ASSIGN_H
#define MELDPUNT_ASSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/auth.h"
#include "meldpunt/automation.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/worklist.h"

/* What to change: only the members whose set_ flag is true. Strings are
 * borrowed for the call and already checked for form (a department code,
 * a crew name of 1-60 bytes, a priority 1-3). */
struct mp_assign_request {
    int64_t cluster_id;
    bool set_department, set_crew, set_priority, set_due_at;
    const char *department; /* NULL: back to the rules */
    const char *crew;       /* NULL: nobody */
    int priority;           /* 1..3, 0: back to the rules */
    int64_t due_at;         /* 0: back to the rules */
    const char *due_at_text; /* due_at as the client wrote it (the audit keeps the request) */
};

/* who (a dispatcher or above: the caller checked) changes the assignment of
 * a cluster in one write transaction with its audit entry, then reads the
 * job back into *out as the rules in a (may be NULL) now make it.
 * Errors: MP_ENOTFOUND "not_found"; MP_EINVAL "unknown_crew" (no active crew
 * of that name), "crew_department_mismatch"; MP_EUNAVAIL or MP_EDB
 * "unavailable". */
enum mp_status mp_assign_set(struct mp_ctx *ctx, const struct mp_automation *a,
                             const struct mp_principal *who, const struct mp_assign_request *rq,
                             struct mp_job *out, struct mp_error *err) MP_WUR;

/* The crew accounts (enabled or not), by name, each to cb (rows borrowed for
 * the call; a non-zero return stops); for who (NULL: all) only those that
 * work for one of its municipalities (scope.h). MP_EUNAVAIL "unavailable". */
enum mp_status mp_assign_crews(struct mp_ctx *ctx, const struct mp_principal *who, mp_user_cb cb,
                               void *cb_ctx, struct mp_error *err) MP_WUR;

#endif
