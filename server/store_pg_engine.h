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
/* pgwrite: a deadlock or serialization failure since begin_write. */
bool mp_pg_tx_conflict(struct mp_store_sess *sess);
/* pgwrite: the database lock shared, the places' cells exclusive. */
enum mp_status mp_pg_begin_write_places(struct mp_store_sess *sess,
                                        const struct mp_store_place *places, size_t n,
                                        struct mp_error *err);
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

/* pgstaff */
/* store_pg_auth.c */
enum mp_status mp_pg_user_add(struct mp_store_sess *s, const char *name, const char *role,
                              const char *department, const char *token_hash, int64_t *id);
enum mp_status mp_pg_user_by_token(struct mp_store_sess *s, const char *hash, mp_user_cb cb,
                                   void *ctx);
enum mp_status mp_pg_user_by_name(struct mp_store_sess *s, const char *name, mp_user_cb cb,
                                  void *ctx);
enum mp_status mp_pg_users(struct mp_store_sess *s, mp_user_cb cb, void *ctx);
/* tenancy */
enum mp_status mp_pg_user_set_municipalities(struct mp_store_sess *s, const char *name,
                                             const struct mp_scope_set *set);
enum mp_status mp_pg_user_set_token(struct mp_store_sess *s, const char *name, const char *hash);
enum mp_status mp_pg_user_set_disabled(struct mp_store_sess *s, const char *name, bool disabled);
enum mp_status mp_pg_audit_add(struct mp_store_sess *s, const struct mp_audit_rec *a);
enum mp_status mp_pg_audit_for(struct mp_store_sess *s, const char *type, int64_t id,
                               mp_audit_cb cb, void *ctx);
/* store_pg_work.c */
enum mp_status mp_pg_work_get(struct mp_store_sess *s, int64_t cluster_id,
                              struct mp_work_assignment *out);
enum mp_status mp_pg_work_set(struct mp_store_sess *s, int64_t cluster_id,
                              const struct mp_work_assignment *a, int64_t now);
enum mp_status mp_pg_work_list(struct mp_store_sess *s, const struct mp_work_query *q,
                               mp_work_cb cb, void *ctx);
enum mp_status mp_pg_work_note_add(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                   const char *status, const char *note, const char *actor);
enum mp_status mp_pg_work_notes(struct mp_store_sess *s, int64_t cluster_id, mp_work_note_cb cb,
                                void *ctx);
enum mp_status mp_pg_work_photo_put(struct mp_store_sess *s, int64_t cluster_id, int64_t at,
                                    const char *status, const char *actor,
                                    const struct mp_photo_rec *ph, int64_t *id);
enum mp_status mp_pg_work_photo_get(struct mp_store_sess *s, int64_t photo_id, bool thumb,
                                    void **data, size_t *len);
enum mp_status mp_pg_work_photo_cluster(struct mp_store_sess *s, int64_t photo_id,
                                        int64_t *cluster_id);
enum mp_status mp_pg_work_photos(struct mp_store_sess *s, int64_t cluster_id, mp_work_photo_cb cb,
                                 void *ctx);
enum mp_status mp_pg_work_cluster_merged(struct mp_store_sess *s, int64_t from, int64_t to);

/* store_pg_corrections.c; cluster_insert in store_pg_clusters.c */
enum mp_status mp_pg_reports_move_all(struct mp_store_sess *s, int64_t from, int64_t to,
                                      const char *status);
enum mp_status mp_pg_report_set_cluster(struct mp_store_sess *s, int64_t report_id,
                                        int64_t cluster_id, const char *status, const char *why);
enum mp_status mp_pg_cluster_delete(struct mp_store_sess *s, int64_t id, int64_t heir);
enum mp_status mp_pg_correction_add(struct mp_store_sess *s, const struct mp_correction_rec *c);
enum mp_status mp_pg_cluster_insert(struct mp_store_sess *s, const struct mp_cluster_state *c);

/* store_pg_open311_write.c */
enum mp_status mp_pg_open311_put(struct mp_store_sess *s, const struct mp_open311_extra *x);
enum mp_status mp_pg_open311_update_find(struct mp_store_sess *s, int64_t client_id,
                                         const char *client_update_id, int64_t *history_id,
                                         int64_t *report_id);
enum mp_status mp_pg_open311_note_add(struct mp_store_sess *s,
                                      const struct mp_open311_note_rec *rec, int64_t *history_id);
/* store_pg_maint.c */
enum mp_status mp_pg_maint_anonymise(struct mp_store_sess *s, int64_t cutoff, bool dry_run,
                                     struct mp_anonymise_stats *stats);
/* end pgstaff */
/* pgnotify: store_pg_notify.c, store_pg_outbox.c, store_pg_kto.c, store_pg_webhooks.c */
enum mp_status mp_pg_notify_event_add(struct mp_store_sess *s, const struct mp_notify_event_rec *e,
                                      int64_t *id);
enum mp_status mp_pg_notify_event_get(struct mp_store_sess *s, int64_t id, mp_notify_event_cb cb,
                                      void *ctx);
enum mp_status mp_pg_notify_sub_add(struct mp_store_sess *s, int64_t report_id, const char *email,
                                    const char *email_hash, const char *lang, int64_t at,
                                    int64_t *id, bool *active);
enum mp_status mp_pg_notify_sub_get(struct mp_store_sess *s, int64_t id, mp_notify_sub_cb cb,
                                    void *ctx);
enum mp_status mp_pg_notify_sub_by_report(struct mp_store_sess *s, int64_t report_id,
                                          mp_notify_sub_cb cb, void *ctx);
enum mp_status mp_pg_notify_sub_stop(struct mp_store_sess *s, int64_t id, int64_t at);
enum mp_status mp_pg_notify_stop_address(struct mp_store_sess *s, const char *email_hash,
                                         int64_t at);
enum mp_status mp_pg_notify_address_stopped(struct mp_store_sess *s, const char *email_hash,
                                            bool *stopped);
enum mp_status mp_pg_notify_address_known(struct mp_store_sess *s, const char *email, bool *known);
enum mp_status mp_pg_notify_mine(struct mp_store_sess *s, const char *email, mp_notify_mine_cb cb,
                                 void *ctx);
enum mp_status mp_pg_outbox_add(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                int64_t *id);
enum mp_status mp_pg_outbox_fanout(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                   int64_t cluster_id, int64_t *n);
enum mp_status mp_pg_outbox_due(struct mp_store_sess *s, const char *channel, int64_t now,
                                size_t max, mp_outbox_cb cb, void *ctx);
enum mp_status mp_pg_outbox_lease(struct mp_store_sess *s, int64_t id, int64_t until);
enum mp_status mp_pg_outbox_release_all(struct mp_store_sess *s);
enum mp_status mp_pg_outbox_finish(struct mp_store_sess *s, int64_t id, const char *state,
                                   bool attempted, int64_t next_at, int64_t sent_at,
                                   const char *error);
enum mp_status mp_pg_outbox_sent_since(struct mp_store_sess *s, const char *rcpt_hash,
                                       int64_t since, int64_t *n, int64_t *oldest);
enum mp_status mp_pg_outbox_list(struct mp_store_sess *s, const char *state, int64_t before,
                                 size_t limit, mp_outbox_cb cb, void *ctx);
enum mp_status mp_pg_outbox_get(struct mp_store_sess *s, int64_t id, mp_outbox_cb cb, void *ctx);
enum mp_status mp_pg_outbox_retry(struct mp_store_sess *s, int64_t id, int64_t now, int64_t *n);
enum mp_status mp_pg_outbox_counts(struct mp_store_sess *s,
                                   int (*cb)(void *ctx, const char *state, int64_t n), void *ctx);
enum mp_status mp_pg_notify_followups(struct mp_store_sess *s, const struct mp_outbox_rec *m,
                                      const char *category, const char *const *statuses, size_t n,
                                      int64_t fixed_from, int64_t fixed_to, int64_t *added);
enum mp_status mp_pg_notify_token_add(struct mp_store_sess *s, const struct mp_notify_token_rec *t);
enum mp_status mp_pg_notify_token_get(struct mp_store_sess *s, const char *hash,
                                      mp_notify_token_cb cb, void *ctx);
enum mp_status mp_pg_notify_token_use(struct mp_store_sess *s, const char *hash, int64_t at);
enum mp_status mp_pg_notify_tokens_prune(struct mp_store_sess *s, int64_t now, int64_t *n);
enum mp_status mp_pg_kto_add(struct mp_store_sess *s, const struct mp_kto_rec *k, int64_t *id);
enum mp_status mp_pg_kto_detail(struct mp_store_sess *s, int64_t id, const char *reasons,
                                const char *text, const struct mp_photo_rec *photo, int64_t at);
enum mp_status mp_pg_kto_get(struct mp_store_sess *s, int64_t id, mp_kto_cb cb, void *ctx);
enum mp_status mp_pg_kto_answered(struct mp_store_sess *s, int64_t sub_id, int64_t fixed_at,
                                  bool *answered);
enum mp_status mp_pg_kto_for_cluster(struct mp_store_sess *s, int64_t cluster_id, mp_kto_cb cb,
                                     void *ctx);
enum mp_status mp_pg_kto_photo(struct mp_store_sess *s, int64_t id, bool thumb, void **data,
                               size_t *len);
enum mp_status mp_pg_webhook_add(struct mp_store_sess *s, const char *url, const char *secret,
                                 const char *events, bool contacts, int64_t at, int64_t *id);
enum mp_status mp_pg_webhook_list(struct mp_store_sess *s, mp_webhook_cb cb, void *ctx);
enum mp_status mp_pg_webhook_get(struct mp_store_sess *s, int64_t id, mp_webhook_cb cb, void *ctx);
enum mp_status mp_pg_webhook_delete(struct mp_store_sess *s, int64_t id, int64_t at);
enum mp_status mp_pg_webhook_fanout(struct mp_store_sess *s, int64_t event_id, const char *type,
                                    bool note, int64_t report_id, int64_t cluster_id, int64_t at,
                                    int64_t *n);
enum mp_status mp_pg_webhook_deliveries(struct mp_store_sess *s, int64_t id, const char *state,
                                        size_t limit, mp_outbox_cb cb, void *ctx);
enum mp_status mp_pg_webhook_contact(struct mp_store_sess *s, int64_t report_id,
                                     mp_webhook_contact_cb cb, void *ctx);
/* pgreads: store_pg_reports.c, store_pg_read.c, store_pg_open311.c, ... */
/* store_pg_pool.c: /metrics' figures */
enum mp_status mp_pg_status_counts(struct mp_store_sess *s, bool clusters,
                                   void (*cb)(void *ctx, const char *status, int64_t n), void *ctx);
enum mp_status mp_pg_size_bytes(struct mp_store_sess *s, int64_t *bytes);
enum mp_status mp_pg_reports(struct mp_store_sess *s, const struct mp_query *q, mp_report_cb cb,
                             void *ctx);
enum mp_status mp_pg_clusters(struct mp_store_sess *s, const struct mp_query *q, mp_cluster_cb cb,
                              void *ctx);
enum mp_status mp_pg_cluster_get(struct mp_store_sess *s, int64_t id, mp_cluster_cb cb, void *ctx);
/* store_pg_grid.c */
enum mp_status mp_pg_cluster_grid(struct mp_store_sess *s, const struct mp_query *q,
                                  double cell_deg, mp_grid_cb cb, void *ctx);
enum mp_status mp_pg_grid_pyramid(struct mp_store_sess *s, const struct mp_query *q, int zoom,
                                  mp_grid_cb cb, void *ctx);
enum mp_status mp_pg_open311_requests(struct mp_store_sess *s, const struct mp_open311_query *q,
                                      mp_open311_cb cb, void *ctx);
enum mp_status mp_pg_open311_request(struct mp_store_sess *s, int64_t id, mp_open311_cb cb,
                                     void *ctx);
enum mp_status mp_pg_open311_updates(struct mp_store_sess *s, int64_t since, int64_t until,
                                     size_t limit, size_t offset, mp_open311_update_cb cb,
                                     void *ctx);
/* store_pg_clusters.c: not an entry; mp_pg_history_add with the new
 * entry's id, for the operations that point at it (merges, Open311 notes). */
enum mp_status mp_pg_history_insert(struct mp_store_sess *s, const struct mp_history_rec *h,
                                    int64_t *id);
/* store_pg_clusters.c, store_pg_recluster.c */
enum mp_status mp_pg_cluster_states_range(struct mp_store_sess *s, int64_t lo, int64_t hi,
                                          mp_state_cb cb, void *ctx);
enum mp_status mp_pg_cluster_ids(struct mp_store_sess *s, mp_cluster_id_cb cb, void *ctx);
enum mp_status mp_pg_cluster_max_id(struct mp_store_sess *s, int64_t *max);
enum mp_status mp_pg_replay_reports(struct mp_store_sess *s, const char *category, mp_replay_cb cb,
                                    void *ctx);
enum mp_status mp_pg_constraints(struct mp_store_sess *s, mp_constraint_cb cb, void *ctx);
/* store_pg_stats.c */
enum mp_status mp_pg_stats_reports(struct mp_store_sess *s, int64_t from, int64_t to,
                                   const char *category, const char *district, mp_stats_cb cb,
                                   void *ctx);
/* store_pg_export.c */
enum mp_status mp_pg_export_open_path(const char *location, enum mp_export_what what,
                                      const struct mp_query *q, struct mp_export_cursor **out,
                                      struct mp_error *err);
enum mp_status mp_pg_export_open(struct mp_store_sess *sess, enum mp_export_what what,
                                 const struct mp_query *q, struct mp_export_cursor **out,
                                 struct mp_error *err);
enum mp_status mp_pg_export_next(struct mp_export_cursor *c, const struct mp_export_row **row);
void mp_pg_export_close(struct mp_export_cursor *c);
enum mp_status mp_pg_export_count(struct mp_store_sess *sess, enum mp_export_what what,
                                  const struct mp_query *q, int64_t *n);
enum mp_status mp_pg_export_time_extent(struct mp_store_sess *sess, int64_t *first, int64_t *last);
/* store_pg_merge.c */
enum mp_status mp_pg_merge_add(struct mp_store_sess *s, const struct mp_merge_rec *m, int64_t *id);
enum mp_status mp_pg_merge_note_rows(struct mp_store_sess *s, int64_t id, int64_t from);
enum mp_status mp_pg_merge_entry_add(struct mp_store_sess *s, int64_t id, enum mp_merge_entry which,
                                     const struct mp_history_rec *h);
enum mp_status mp_pg_merge_get(struct mp_store_sess *s, int64_t id, struct mp_merge_row *out);
enum mp_status mp_pg_merge_strays(struct mp_store_sess *s, int64_t id, int64_t into, int64_t *n,
                                  int64_t *report, int64_t *now_in);
enum mp_status mp_pg_merge_restore(struct mp_store_sess *s, int64_t id, int64_t from,
                                   const char *status, int64_t at, const char *actor);
enum mp_status mp_pg_merges_in_history(struct mp_store_sess *s, int64_t cluster, mp_merge_cb cb,
                                       void *ctx);
enum mp_status mp_pg_merges_of_report(struct mp_store_sess *s, int64_t report, mp_merge_cb cb,
                                      void *ctx);
enum mp_status mp_pg_merge_moved_in(struct mp_store_sess *s, int64_t cluster, mp_merge_moved_cb cb,
                                    void *ctx);
/* end pgreads */
/* pgmap: store_pg_map.c, the public map list from report_map (the
 * engine's reports operation: other listings go on to mp_pg_reports) */
enum mp_status mp_pg_map_reports(struct mp_store_sess *s, const struct mp_query *q,
                                 mp_report_cb cb, void *ctx);
/* end pgmap */
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

/* regionfaces: re-keying old rows (store_pg_reroute.c) */
enum mp_status mp_pg_set_municipality(struct mp_store_sess *s, bool cluster, int64_t id,
                                      const char *municipality);

/* copystore (store_sqlite_copy.c / store_pg_copy.c) */
enum mp_status mp_pg_copy_count(struct mp_store_sess *s, const struct mp_copy_table *t, int64_t *n);
enum mp_status mp_pg_copy_rows(struct mp_store_sess *s, const struct mp_copy_table *t,
                              mp_copy_row_cb cb, void *ctx);
enum mp_status mp_pg_copy_insert(struct mp_store_sess *s, const struct mp_copy_table *t,
                                const struct mp_copy_value *row);
enum mp_status mp_pg_copy_flush(struct mp_store_sess *s);
enum mp_status mp_pg_copy_check(struct mp_store_sess *s, const struct mp_copy_table *t,
                                char *unknown, size_t cap);
enum mp_status mp_pg_copy_clear(struct mp_store_sess *s, const struct mp_copy_table *t);
enum mp_status mp_pg_copy_seq_get(struct mp_store_sess *s, const struct mp_copy_table *t,
                                 int64_t *hw);
enum mp_status mp_pg_copy_seq_set(struct mp_store_sess *s, const struct mp_copy_table *t,
                                 int64_t hw);
/* end copystore */

#endif
