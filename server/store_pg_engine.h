/* store_pg_engine.h - PRIVATE to the PostgreSQL engine: its entries, the
 * mp_pg_* functions that the table in store_pg_engine.c hands to
 * store_engine.h. Each has the signature and contract of the public
 * function of the same name (mp_pg_x: mp_store_x; mp_pg_maint_x:
 * mp_maint_x) and takes the engine-neutral heads, converting them with
 * mp_pg_sess() (store_pg.h). Add an operation here, in the file of its
 * concern and in the table (see the top of store_pg.h). */
#ifndef MELDPUNT_STORE_PG_ENGINE_H
#define MELDPUNT_STORE_PG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/status.h"
#include "store_engine.h"

/* store_pg_pool.c */
enum mp_status mp_pg_open(const char *location, const struct mp_store_opts *opts,
                          struct mp_store **out, struct mp_error *err);
void mp_pg_close(struct mp_store *store);
void mp_pg_acquired(struct mp_store_sess *sess);
void mp_pg_released(struct mp_store_sess *sess);
int mp_pg_schema_version(struct mp_store_sess *s);
int64_t mp_pg_memory_used(struct mp_store_sess *s);
enum mp_status mp_pg_begin_write(struct mp_store_sess *sess, struct mp_error *err);
enum mp_status mp_pg_begin_read(struct mp_store_sess *sess);
enum mp_status mp_pg_commit(struct mp_store_sess *sess, struct mp_error *err);
void mp_pg_rollback(struct mp_store_sess *sess);
enum mp_status mp_pg_savepoint(struct mp_store_sess *s);
enum mp_status mp_pg_savepoint_release(struct mp_store_sess *s);
void mp_pg_savepoint_undo(struct mp_store_sess *s);
enum mp_status mp_pg_defer_foreign_keys(struct mp_store_sess *s);
enum mp_status mp_pg_change_counter(struct mp_store_sess *s, int64_t *n);
enum mp_status mp_pg_counts(struct mp_store_sess *s, int64_t *reports, int64_t *clusters);
enum mp_status mp_pg_sync_mode(struct mp_store_sess *s, int *mode);
enum mp_status mp_pg_maint_backup(const char *location, const char *dest_path,
                                  const struct mp_backup_opts *opts, struct mp_backup_stats *stats,
                                  struct mp_error *err);

/* store_pg_clusters.c */
enum mp_status mp_pg_cluster_candidates(struct mp_store_sess *s, const char *municipality,
                                        const char *category, double x, double y, double r,
                                        int64_t t, int64_t window, struct mp_cluster_state *out,
                                        size_t cap, size_t *n);
enum mp_status mp_pg_cluster_state(struct mp_store_sess *s, int64_t id,
                                   struct mp_cluster_state *out);
enum mp_status mp_pg_cluster_create(struct mp_store_sess *s, const struct mp_cluster_state *c,
                                    int64_t *id);
enum mp_status mp_pg_cluster_update(struct mp_store_sess *s, const struct mp_cluster_state *c);
enum mp_status mp_pg_cluster_set_status(struct mp_store_sess *s, int64_t id, const char *status,
                                        int64_t fixed_at, int64_t now);
enum mp_status mp_pg_history_add(struct mp_store_sess *s, const struct mp_history_rec *h);
enum mp_status mp_pg_history(struct mp_store_sess *s, int64_t cluster_id, mp_history_cb cb,
                             void *ctx);
enum mp_status mp_pg_cluster_members(struct mp_store_sess *s, int64_t id,
                                     struct mp_member_stats *o);
enum mp_status mp_pg_constraint_add(struct mp_store_sess *s, int64_t a, int64_t b, bool must,
                                    int64_t at);

/* store_pg_reports.c */
enum mp_status mp_pg_report_insert(struct mp_store_sess *s, const struct mp_report_rec *r,
                                   int64_t *id);
enum mp_status mp_pg_report_external_exists(struct mp_store_sess *s, const char *municipality,
                                            const char *ext, bool *exists);
enum mp_status mp_pg_photo_put(struct mp_store_sess *s, int64_t report_id,
                               const struct mp_photo_rec *ph);
enum mp_status mp_pg_photo_get(struct mp_store_sess *s, int64_t report_id, bool thumb, void **data,
                               size_t *len);
enum mp_status mp_pg_report_get(struct mp_store_sess *s, int64_t id, bool with_private,
                                mp_report_cb cb, void *ctx);
enum mp_status mp_pg_cluster_reports(struct mp_store_sess *s, int64_t cluster_id, mp_report_cb cb,
                                     void *ctx);

/* alerts: store_pg_alerts.c */
enum mp_status mp_pg_alert_add(struct mp_store_sess *s, const struct mp_alert_rec *a, int64_t *id);
enum mp_status mp_pg_alert_get(struct mp_store_sess *s, int64_t id, mp_alert_cb cb, void *ctx);
enum mp_status mp_pg_alert_confirm(struct mp_store_sess *s, int64_t id, int64_t at, int64_t next_digest_at);
enum mp_status mp_pg_alert_stop(struct mp_store_sess *s, int64_t id, int64_t at);
enum mp_status mp_pg_alerts_match(struct mp_store_sess *s, const char *category, const char *district, double lon, double lat, mp_alert_cb cb, void *ctx);
enum mp_status mp_pg_alerts_digest_due(struct mp_store_sess *s, int64_t now, mp_alert_cb cb, void *ctx);
enum mp_status mp_pg_alert_digest_next(struct mp_store_sess *s, int64_t id, int64_t next);
enum mp_status mp_pg_digest_item_add(struct mp_store_sess *s, const struct mp_digest_item_rec *it, bool *added);
enum mp_status mp_pg_digest_pending(struct mp_store_sess *s, int64_t alert_id, const char *department, int64_t *n);
enum mp_status mp_pg_digest_take(struct mp_store_sess *s, int64_t alert_id, const char *department, int64_t outbox_id, int64_t *n);
enum mp_status mp_pg_digest_items(struct mp_store_sess *s, int64_t outbox_id, mp_digest_item_cb cb, void *ctx);
enum mp_status mp_pg_dept_schedule_get(struct mp_store_sess *s, const char *department, int64_t *next);
enum mp_status mp_pg_dept_schedule_set(struct mp_store_sess *s, const char *department, int64_t next);
/* end alerts */

#endif
