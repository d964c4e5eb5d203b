/* store_merge.h - the store's record of staff merges, so that a merge can
 * be shown as one event in both jobs' histories and undone: what each
 * cluster was before (status, assignment), the history entries the merge
 * wrote, and which rows (reports, history entries, internal notes, crew
 * photos) it moved from the merged cluster into the other.
 *
 * Writes run in the caller's write transaction (corrections.c); reads in
 * any. Thread-safety: one session per thread, as the rest of the store.
 */
#ifndef MELDPUNT_STORE_MERGE_H
#define MELDPUNT_STORE_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"

struct mp_store_sess;

#define MP_MERGE_REASON_MAX 500 /* characters of a merge's reason */

/* A merge as it is written (strings borrowed for the call). */
struct mp_merge_rec {
    int64_t from_cluster, into_cluster, at;
    const char *actor;
    const char *reason;   /* NULL when none was given */
    double distance_m;    /* between the two centres at the time */
    /* What the merge changed, for its undo. */
    const char *from_status, *into_status, *merged_status;
    int64_t from_fixed_at, into_fixed_at;
    const struct mp_work_assignment *from_work; /* from's assignment (exists false: none) */
    const char *from_district, *from_street, *from_location; /* "" when none */
};

/* The history entries of a merge and of its undo, one on each side. */
enum mp_merge_entry {
    MP_MERGE_ENTRY_FROM,      /* on the merged cluster: "merged into job N" */
    MP_MERGE_ENTRY_INTO,      /* on the other: "job N merged into this one" */
    MP_MERGE_ENTRY_UNDO_FROM, /* on the merged cluster, back again */
    MP_MERGE_ENTRY_UNDO_INTO, /* on the other */
};

/* A merge as it is read (a copy: no borrowed strings). */
struct mp_merge_row {
    int64_t id, from_cluster, into_cluster, at;
    char actor[64];
    char reason[MP_MERGE_REASON_MAX * 4 + 1]; /* "" when none */
    bool has_reason;
    double distance_m;
    char from_status[MP_STATUS_MAXLEN], into_status[MP_STATUS_MAXLEN],
        merged_status[MP_STATUS_MAXLEN];
    int64_t from_fixed_at, into_fixed_at;
    struct mp_work_assignment from_work;
    char from_district[32], from_street[64], from_location[128];
    int64_t entry[4]; /* history ids by enum mp_merge_entry, 0 when not written */
    int64_t undone_at; /* 0 while it stands */
    char undone_by[64];
    /* The merged cluster's municipality (tenancy: whose merge it is, also
     * once the other cluster is gone; a merge never crosses one), as its
     * reports say; "" when none of them is left. */
    char municipality[MP_MUNICIPALITY_MAXLEN];
};

typedef int (*mp_merge_cb)(void *ctx, const struct mp_merge_row *m);
/* A row a standing merge moved: kind is "report" or "history". */
typedef int (*mp_merge_moved_cb)(void *ctx, int64_t merge_id, int64_t from_cluster,
                                 const char *kind, int64_t row_id);

/* Log a merge; its new id in *id. */
enum mp_status mp_store_merge_add(struct mp_store_sess *s, const struct mp_merge_rec *m,
                                  int64_t *id) MP_WUR;
/* Remember every report, history entry, internal note and crew photo that
 * cluster from holds now as moved by merge id (call before moving them). */
enum mp_status mp_store_merge_note_rows(struct mp_store_sess *s, int64_t id,
                                        int64_t from) MP_WUR;
/* Add history entry h and record it as the merge's entry of kind which. */
enum mp_status mp_store_merge_entry_add(struct mp_store_sess *s, int64_t id,
                                        enum mp_merge_entry which,
                                        const struct mp_history_rec *h) MP_WUR;
/* One merge; MP_ENOTFOUND when there is none. */
enum mp_status mp_store_merge_get(struct mp_store_sess *s, int64_t id,
                                  struct mp_merge_row *out) MP_WUR;
/* How many of the reports merge id moved are no longer in cluster into
 * (*n), and one of them with the cluster it is in now (0: deleted). */
enum mp_status mp_store_merge_strays(struct mp_store_sess *s, int64_t id, int64_t into,
                                     int64_t *n, int64_t *report, int64_t *now_in) MP_WUR;
/* Put back what merge id moved: its reports (with status), history
 * entries, notes and photos into cluster from; mark it undone at by actor. */
enum mp_status mp_store_merge_restore(struct mp_store_sess *s, int64_t id, int64_t from,
                                      const char *status, int64_t at,
                                      const char *actor) MP_WUR;
/* The merges (standing or undone) one of whose entries is in cluster's
 * history now, oldest first. */
enum mp_status mp_store_merges_in_history(struct mp_store_sess *s, int64_t cluster,
                                          mp_merge_cb cb, void *ctx) MP_WUR;
/* The standing merges that moved report, oldest first. */
enum mp_status mp_store_merges_of_report(struct mp_store_sess *s, int64_t report,
                                         mp_merge_cb cb, void *ctx) MP_WUR;
/* The reports and history entries in cluster now that standing merges
 * moved there, by merge, oldest merge first. */
enum mp_status mp_store_merge_moved_in(struct mp_store_sess *s, int64_t cluster,
                                       mp_merge_moved_cb cb, void *ctx) MP_WUR;

#endif
