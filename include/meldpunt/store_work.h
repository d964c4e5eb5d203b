/* store_work.h - persistence of the staff side of a cluster: its manual
 * assignment (department, crew, priority, deadline), internal notes, crew
 * photos, and the worklist and queue queries over open clusters.
 *
 * Schema part "work" (server/store_sqlite_work.c). A cluster without an assignment
 * row is routed by the automation rules when read (automation.h); a row is
 * written only when a person assigns it.
 *
 * Same threading and ownership rules as store.h: rows handed to callbacks
 * hold BORROWED strings, valid only during the callback.
 */
#ifndef MELDPUNT_STORE_WORK_H
#define MELDPUNT_STORE_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/geom.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "meldpunt/store.h"

/* The assignment row of a cluster; out->exists is false when there is none
 * (MP_OK either way). */
enum mp_status mp_store_work_get(struct mp_store_sess *s, int64_t cluster_id,
                                 struct mp_work_assignment *out) MP_WUR;
/* Insert or replace the row (a->exists ignored). */
enum mp_status mp_store_work_set(struct mp_store_sess *s, int64_t cluster_id,
                                 const struct mp_work_assignment *a, int64_t now) MP_WUR;

/* Clusters matching q, oldest first (first report, then id); a non-zero
 * return from cb stops the iteration (MP_OK is still returned). */
enum mp_status mp_store_work_list(struct mp_store_sess *s, const struct mp_work_query *q,
                                  mp_work_cb cb, void *ctx) MP_WUR;

/* Internal notes (never public) that staff wrote with a status change. */
enum mp_status mp_store_work_note_add(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                      const char *status, const char *note,
                                      const char *actor) MP_WUR;
enum mp_status mp_store_work_notes(struct mp_store_sess *s, int64_t cluster_id,
                                   mp_work_note_cb cb, void *ctx) MP_WUR;

/* Photos a crew took at the job (already processed, metadata stripped). */
enum mp_status mp_store_work_photo_put(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                       const char *status, const char *actor,
                                       const struct mp_photo_rec *p, int64_t *id) MP_WUR;
/* Copy of a photo or its thumbnail: NEW allocation in *data (free()).
 * MP_ENOTFOUND when there is no such photo. */
enum mp_status mp_store_work_photo_get(struct mp_store_sess *s, int64_t photo_id, bool thumb,
                                       void **data, size_t *len) MP_WUR;
/* The cluster a crew photo was taken for (*cluster_id); MP_ENOTFOUND. */
enum mp_status mp_store_work_photo_cluster(struct mp_store_sess *s, int64_t photo_id,
                                           int64_t *cluster_id) MP_WUR;
enum mp_status mp_store_work_photos(struct mp_store_sess *s, int64_t cluster_id,
                                    mp_work_photo_cb cb, void *ctx) MP_WUR;

/* For the merge of cluster from into cluster to (call inside the merge's
 * transaction): notes and photos move to `to`; from's assignment is
 * dropped and to's kept. */
enum mp_status mp_store_work_cluster_merged(struct mp_store_sess *s, int64_t from,
                                            int64_t to) MP_WUR;

#endif
