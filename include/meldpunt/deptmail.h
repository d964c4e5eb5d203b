/* deptmail.h - mail to departments (issue 16, "staff"): a department whose
 * address the city pack names (automation.json "departments", see
 * geodata/README.md) hears of every new job the rules route to it and of
 * every open job of it that became overdue (its service level in working
 * days, automation.h), once per job: at once (kinds "dept_new",
 * "dept_overdue"), or collected for a digest (kind "dept_digest") sent at
 * MP_DEPT_DIGEST_HOUR local time on working days only (the pack's weekdays
 * and holidays). The routing is evaluated with the rules as they are when
 * the job is new or found overdue.
 *
 * The new-job side is a recipient kind of notify.c's table
 * (mp_deptmail_fanout, declared in notify.h); overdue jobs and digests are
 * looked for by the sender's round (mp_deptmail_scan), which is where tests
 * inject the clock (mp_outbox_round's now).
 *
 * Thread-safety: functions use only the context they are given.
 */
#ifndef MELDPUNT_DEPTMAIL_H
#define MELDPUNT_DEPTMAIL_H

#include <stdint.h>

#include "meldpunt/ctx.h"
#include "meldpunt/status.h"

#define MP_DEPT_DIGEST_HOUR 7 /* local hour of the morning digest */

/* Queue mail for the open jobs that are overdue at now and the digests due
 * at now, in the caller's open write transaction. A pack without
 * departments' mail (or whose rules cannot be read: logged) queues nothing. */
enum mp_status mp_deptmail_scan(struct mp_ctx *ctx, int64_t now) MP_WUR;

#endif
