/* store_sqlite_derived.h - PRIVATE to server/store_sqlite*.c: the rows the
 * store derives from a new report or cluster, written by the inserting call
 * itself with prepared statements (store_sqlite_derived.c).
 *
 * Until schema 10 triggers wrote them. A trigger makes SQLite open a
 * statement journal for the statement that fires it (every page the
 * statement changes is copied first, so that it can be undone alone), and
 * the public map row was built by SQL string concatenation with two
 * look-ups: together about 40 % of the writer's instructions per report.
 * Inserts are the hot path (every report, nearly every one a new cluster);
 * changes of existing rows (status, corrections, photos, re-clustering)
 * keep their triggers, which also serve any other tool that writes. So an
 * INSERT into reports or clusters must go through these functions (the
 * store has one place for each). */
#ifndef MELDPUNT_STORE_SQLITE_DERIVED_H
#define MELDPUNT_STORE_SQLITE_DERIVED_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_store_sess;

/* After report r was inserted under id with updated_at: its report_map row
 * (the record store_sqlite_map.h describes; no photo yet: photos come after
 * the report and have triggers of their own) and the change counter. */
enum mp_status mp_derived_report_added(struct mp_store_sess *s, int64_t id,
                                       const struct mp_report_rec *r, int64_t updated_at) MP_WUR;

/* After cluster c was inserted under id: its counts in the three levels of
 * grid_cells and the change counter; with may_have_members (an id chosen by
 * the caller: re-clustering points reports at a cluster before it writes
 * it), its count in its members' report_map rows. */
enum mp_status mp_derived_cluster_added(struct mp_store_sess *s, int64_t id,
                                        const struct mp_cluster_state *c,
                                        bool may_have_members) MP_WUR;

#endif
