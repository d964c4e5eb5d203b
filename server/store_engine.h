/* store_engine.h - PRIVATE to server/store*.c: the seam between the store's
 * public interface (include/meldpunt/store*.h, the store parts of maint.h)
 * and the storage engines behind it (SpatiaLite: server/store_sqlite*.c,
 * PostgreSQL + PostGIS: server/store_pg*.c).
 *
 * An engine is a table of function pointers, one per public operation,
 * with the public operation's signature and contract (read the comment in
 * the public header; nothing here repeats it). Every public mp_store_*
 * function is a forwarder (FORWARD below) that calls the entry of the engine
 * that the store, session or cursor carries in its head; store.c holds those
 * of store.h, and each other public store header has its own file of them
 * (store_work.c for store_work.h, ...; store_maint.c for maint.h):
 *
 *   mp_store_report_insert(sess, r, id)  ->  sess->eng->report_insert(sess, r, id)
 *
 * The public types struct mp_store, struct mp_store_sess and struct
 * mp_export_cursor are the small heads below; each engine embeds the head
 * as the FIRST member of its own struct and converts a head pointer back to
 * its struct with a cast (see mp_sqlite_sess() in store_sqlite.h and
 * mp_pg_sess() in store_pg.h).
 *
 * An entry an engine does not implement is left NULL: its forwarder answers
 * MP_EUNSUPPORTED (and logs the engine and the operation) instead of
 * crashing; operations without a status (rollback, savepoint_undo) only log.
 *
 * The engine is chosen by the location string (mp_store_open,
 * mp_store_export_open_path, mp_maint_backup): "postgresql://..." or
 * "postgres://..." is PostgreSQL, anything else a SQLite file path.
 */
#ifndef MELDPUNT_STORE_ENGINE_H
#define MELDPUNT_STORE_ENGINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meldpunt/model.h"
#include "meldpunt/store_alerts.h"
#include "meldpunt/store_copy.h" /* copystore */
#include "meldpunt/store_merge.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/store_webhooks.h"
#include "meldpunt/status.h"

struct mp_store_place; /* store.h */

struct mp_store_engine;
/* Declared in store.h and maint.h; only pointers to them cross the seam (so
 * that this header, which store.c includes, includes neither: no include
 * cycle between the facade and the engines). */
struct mp_store_opts;
struct mp_backup_opts;
struct mp_backup_stats;
struct mp_anonymise_stats;

/* The heads of the public opaque types: first member of every engine's
 * store, session and export cursor. The store's head is also the pool of
 * its sessions (store.c): an engine's open fills it with
 * mp_store_pool_init and mp_store_pool_put, its close empties it with
 * mp_store_pool_destroy, and mp_store_acquire/release hand sessions out
 * and take them back, calling the engine's acquired/released hooks. */
struct mp_store {
    const struct mp_store_engine *eng;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mp_store_sess *free_list;
};

struct mp_store_sess {
    const struct mp_store_engine *eng;
    struct mp_store_sess *next_free; /* while in the pool */
};

struct mp_export_cursor {
    const struct mp_store_engine *eng;
};

struct mp_store_engine {
    const char *name; /* "sqlite", "postgresql": for log lines */

    /* ---- store.h: the store and its sessions ---- */
    enum mp_status (*open)(const char *location, const struct mp_store_opts *opts,
                           struct mp_store **out, struct mp_error *err);
    void (*close)(struct mp_store *s); /* never called with NULL */
    /* Hooks of mp_store_acquire (after a session leaves the pool; may be
     * NULL) and mp_store_release (before it goes back: end what the caller
     * left open). */
    void (*acquired)(struct mp_store_sess *sess);
    void (*released)(struct mp_store_sess *sess);
    int (*schema_version)(struct mp_store_sess *sess);
    /* Bytes of memory this engine holds in this process (mp_store_memory_used). */
    int64_t (*memory_used)(struct mp_store_sess *sess);

    /* ---- store.h: transactions ---- */
    enum mp_status (*begin_write)(struct mp_store_sess *sess, struct mp_error *err);
    enum mp_status (*begin_read)(struct mp_store_sess *sess);
    enum mp_status (*commit)(struct mp_store_sess *sess, struct mp_error *err);
    void (*rollback)(struct mp_store_sess *sess);
    enum mp_status (*savepoint)(struct mp_store_sess *sess);
    enum mp_status (*savepoint_release)(struct mp_store_sess *sess);
    void (*savepoint_undo)(struct mp_store_sess *sess);
    /* Rows changed so far (mp_store_changes); may be NULL: then -1, and the
     * writer undoes every failed job with a savepoint. */
    int64_t (*changes)(struct mp_store_sess *sess);
    enum mp_status (*defer_foreign_keys)(struct mp_store_sess *sess);
    /* Like begin_write, for a writer that touches only the clusters of
     * places (mp_store_begin_write_places); may be NULL: then begin_write,
     * and the writer does not work the places out at all. */
    enum mp_status (*begin_write_places)(struct mp_store_sess *sess,
                                         const struct mp_store_place *places, size_t n,
                                         struct mp_error *err);
    /* Whether the transaction failed because another writer's got
     * in its way (deadlock, serialization failure): run again, it may
     * succeed (mp_store_tx_conflict). May be NULL: never. */
    bool (*tx_conflict)(struct mp_store_sess *sess);

    /* ---- store.h: clusters as the clustering code sees them ---- */
    enum mp_status (*cluster_candidates)(struct mp_store_sess *sess, const char *municipality,
                                         const char *category, double x, double y, double r,
                                         int64_t t, int64_t window, struct mp_cluster_state *out,
                                         size_t cap, size_t *n);
    enum mp_status (*cluster_state)(struct mp_store_sess *sess, int64_t id,
                                    struct mp_cluster_state *out);
    enum mp_status (*cluster_create)(struct mp_store_sess *sess, const struct mp_cluster_state *st,
                                     int64_t *id);
    enum mp_status (*cluster_update)(struct mp_store_sess *sess, const struct mp_cluster_state *st);
    enum mp_status (*cluster_set_status)(struct mp_store_sess *sess, int64_t id, const char *status,
                                         int64_t fixed_at, int64_t now);

    /* ---- store.h: corrections and re-clustering ---- */
    enum mp_status (*cluster_members)(struct mp_store_sess *sess, int64_t cluster_id,
                                      struct mp_member_stats *out);
    enum mp_status (*reports_move_all)(struct mp_store_sess *sess, int64_t from, int64_t to,
                                       const char *status);
    enum mp_status (*report_set_cluster)(struct mp_store_sess *sess, int64_t report_id,
                                         int64_t cluster_id, const char *status,
                                         const char *join_reason);
    enum mp_status (*cluster_delete)(struct mp_store_sess *sess, int64_t id, int64_t heir);
    enum mp_status (*correction_add)(struct mp_store_sess *sess, const struct mp_correction_rec *c);
    enum mp_status (*constraint_add)(struct mp_store_sess *sess, int64_t a, int64_t b, bool must,
                                     int64_t at);
    enum mp_status (*replay_reports)(struct mp_store_sess *sess, const char *category,
                                     mp_replay_cb cb, void *ctx);
    enum mp_status (*constraints)(struct mp_store_sess *sess, mp_constraint_cb cb, void *ctx);
    enum mp_status (*cluster_states_range)(struct mp_store_sess *sess, int64_t lo, int64_t hi,
                                           mp_state_cb cb, void *ctx);
    enum mp_status (*cluster_ids)(struct mp_store_sess *sess, mp_cluster_id_cb cb, void *ctx);
    enum mp_status (*cluster_max_id)(struct mp_store_sess *sess, int64_t *max);
    enum mp_status (*cluster_insert)(struct mp_store_sess *sess, const struct mp_cluster_state *c);

    /* ---- store.h: reports, photos, history ---- */
    enum mp_status (*report_insert)(struct mp_store_sess *sess, const struct mp_report_rec *r,
                                    int64_t *id);
    enum mp_status (*report_external_exists)(struct mp_store_sess *sess,
                                             const char *municipality, const char *ext,
                                             bool *exists);
    enum mp_status (*photo_put)(struct mp_store_sess *sess, int64_t report_id,
                                const struct mp_photo_rec *p);
    enum mp_status (*photo_get)(struct mp_store_sess *sess, int64_t report_id, bool thumb,
                                void **data, size_t *len);
    enum mp_status (*history_add)(struct mp_store_sess *sess, const struct mp_history_rec *h);

    /* ---- store.h: reading ---- */
    enum mp_status (*reports)(struct mp_store_sess *sess, const struct mp_query *q, mp_report_cb cb,
                              void *ctx);
    enum mp_status (*clusters)(struct mp_store_sess *sess, const struct mp_query *q,
                               mp_cluster_cb cb, void *ctx);
    enum mp_status (*report_get)(struct mp_store_sess *sess, int64_t id, bool with_private,
                                 mp_report_cb cb, void *ctx);
    enum mp_status (*cluster_get)(struct mp_store_sess *sess, int64_t id, mp_cluster_cb cb,
                                  void *ctx);
    enum mp_status (*cluster_reports)(struct mp_store_sess *sess, int64_t cluster_id,
                                      mp_report_cb cb, void *ctx);
    enum mp_status (*history)(struct mp_store_sess *sess, int64_t cluster_id, mp_history_cb cb,
                              void *ctx);
    enum mp_status (*cluster_grid)(struct mp_store_sess *sess, const struct mp_query *q,
                                   double cell_deg, mp_grid_cb cb, void *ctx);
    enum mp_status (*grid_pyramid)(struct mp_store_sess *sess, const struct mp_query *q, int zoom,
                                   mp_grid_cb cb, void *ctx);

    /* ---- store.h: figures ---- */
    enum mp_status (*change_counter)(struct mp_store_sess *sess, int64_t *n);
    enum mp_status (*counts)(struct mp_store_sess *sess, int64_t *reports, int64_t *clusters);
    enum mp_status (*sync_mode)(struct mp_store_sess *sess, int *mode);
    enum mp_status (*status_counts)(struct mp_store_sess *sess, bool clusters,
                                    void (*cb)(void *ctx, const char *status, int64_t n),
                                    void *ctx);
    enum mp_status (*size_bytes)(struct mp_store_sess *sess, int64_t *bytes);

    /* ---- store_auth.h ---- */
    enum mp_status (*user_add)(struct mp_store_sess *sess, const char *name, const char *role,
                               const char *department, const char *token_hash, int64_t *id);
    enum mp_status (*user_by_token)(struct mp_store_sess *sess, const char *token_hash,
                                    mp_user_cb cb, void *ctx);
    enum mp_status (*user_by_name)(struct mp_store_sess *sess, const char *name, mp_user_cb cb,
                                   void *ctx);
    enum mp_status (*user_set_token)(struct mp_store_sess *sess, const char *name,
                                     const char *token_hash);
    enum mp_status (*user_set_disabled)(struct mp_store_sess *sess, const char *name,
                                        bool disabled);
    enum mp_status (*users)(struct mp_store_sess *sess, mp_user_cb cb, void *ctx);
    enum mp_status (*audit_add)(struct mp_store_sess *sess, const struct mp_audit_rec *a);
    enum mp_status (*audit_for)(struct mp_store_sess *sess, const char *object_type,
                                int64_t object_id, mp_audit_cb cb, void *ctx);

    /* ---- store_export.h ---- */
    enum mp_status (*export_open_path)(const char *location, enum mp_export_what what,
                                       const struct mp_query *q, struct mp_export_cursor **out,
                                       struct mp_error *err);
    enum mp_status (*export_open)(struct mp_store_sess *sess, enum mp_export_what what,
                                  const struct mp_query *q, struct mp_export_cursor **out,
                                  struct mp_error *err);
    enum mp_status (*export_next)(struct mp_export_cursor *c, const struct mp_export_row **row);
    void (*export_close)(struct mp_export_cursor *c); /* never called with NULL */
    enum mp_status (*export_count)(struct mp_store_sess *sess, enum mp_export_what what,
                                   const struct mp_query *q, int64_t *n);
    enum mp_status (*export_time_extent)(struct mp_store_sess *sess, int64_t *first, int64_t *last);

    /* ---- store_open311.h ---- */
    enum mp_status (*open311_put)(struct mp_store_sess *sess, const struct mp_open311_extra *x);
    enum mp_status (*open311_update_find)(struct mp_store_sess *sess, int64_t client_id,
                                          const char *client_update_id, int64_t *history_id,
                                          int64_t *report_id);
    enum mp_status (*open311_note_add)(struct mp_store_sess *sess,
                                       const struct mp_open311_note_rec *rec, int64_t *history_id);
    enum mp_status (*open311_requests)(struct mp_store_sess *sess, const struct mp_open311_query *q,
                                       mp_open311_cb cb, void *ctx);
    enum mp_status (*open311_request)(struct mp_store_sess *sess, int64_t id, mp_open311_cb cb,
                                      void *ctx);
    enum mp_status (*open311_updates)(struct mp_store_sess *sess, int64_t since, int64_t until,
                                      size_t limit, size_t offset, mp_open311_update_cb cb,
                                      void *ctx);

    /* ---- store_stats.h ---- */
    enum mp_status (*stats_reports)(struct mp_store_sess *sess, int64_t from, int64_t to,
                                    const char *category, const char *district, mp_stats_cb cb,
                                    void *ctx);

    /* ---- store_work.h ---- */
    enum mp_status (*work_get)(struct mp_store_sess *sess, int64_t cluster_id,
                               struct mp_work_assignment *out);
    enum mp_status (*work_set)(struct mp_store_sess *sess, int64_t cluster_id,
                               const struct mp_work_assignment *a, int64_t now);
    enum mp_status (*work_list)(struct mp_store_sess *sess, const struct mp_work_query *q,
                                mp_work_cb cb, void *ctx);
    enum mp_status (*work_note_add)(struct mp_store_sess *sess, int64_t cluster_id, int64_t at,
                                    const char *status, const char *note, const char *actor);
    enum mp_status (*work_notes)(struct mp_store_sess *sess, int64_t cluster_id, mp_work_note_cb cb,
                                 void *ctx);
    enum mp_status (*work_photo_put)(struct mp_store_sess *sess, int64_t cluster_id, int64_t at,
                                     const char *status, const char *actor,
                                     const struct mp_photo_rec *p, int64_t *id);
    enum mp_status (*work_photo_get)(struct mp_store_sess *sess, int64_t photo_id, bool thumb,
                                     void **data, size_t *len);
    enum mp_status (*work_photos)(struct mp_store_sess *sess, int64_t cluster_id,
                                  mp_work_photo_cb cb, void *ctx);
    enum mp_status (*work_cluster_merged)(struct mp_store_sess *sess, int64_t from, int64_t to);
    enum mp_status (*work_photo_cluster)(struct mp_store_sess *sess, int64_t photo_id,
                                         int64_t *cluster_id);

    /* ---- store_merge.h: recorded merges and their undo ---- */
    enum mp_status (*merge_add)(struct mp_store_sess *sess, const struct mp_merge_rec *m,
                                int64_t *id);
    enum mp_status (*merge_note_rows)(struct mp_store_sess *sess, int64_t id, int64_t from);
    enum mp_status (*merge_entry_add)(struct mp_store_sess *sess, int64_t id,
                                      enum mp_merge_entry which, const struct mp_history_rec *h);
    enum mp_status (*merge_get)(struct mp_store_sess *sess, int64_t id, struct mp_merge_row *out);
    enum mp_status (*merge_strays)(struct mp_store_sess *sess, int64_t id, int64_t into, int64_t *n,
                                   int64_t *report, int64_t *now_in);
    enum mp_status (*merge_restore)(struct mp_store_sess *sess, int64_t id, int64_t from,
                                    const char *status, int64_t at, const char *actor);
    enum mp_status (*merges_in_history)(struct mp_store_sess *sess, int64_t cluster, mp_merge_cb cb,
                                        void *ctx);
    enum mp_status (*merges_of_report)(struct mp_store_sess *sess, int64_t report, mp_merge_cb cb,
                                       void *ctx);
    enum mp_status (*merge_moved_in)(struct mp_store_sess *sess, int64_t cluster,
                                     mp_merge_moved_cb cb, void *ctx);

    /* ---- store_notify.h, store_webhooks.h: subscriptions, outbox, KTO, webhooks ---- */
    enum mp_status (*notify_event_add)(struct mp_store_sess *sess,
                                       const struct mp_notify_event_rec *e, int64_t *id);
    enum mp_status (*notify_event_get)(struct mp_store_sess *sess, int64_t id,
                                       mp_notify_event_cb cb, void *ctx);
    enum mp_status (*notify_sub_add)(struct mp_store_sess *sess, int64_t report_id,
                                     const char *email, const char *email_hash, const char *lang,
                                     int64_t at, int64_t *id, bool *active);
    enum mp_status (*notify_sub_get)(struct mp_store_sess *sess, int64_t id, mp_notify_sub_cb cb,
                                     void *ctx);
    enum mp_status (*notify_sub_by_report)(struct mp_store_sess *sess, int64_t report_id,
                                           mp_notify_sub_cb cb, void *ctx);
    enum mp_status (*notify_sub_stop)(struct mp_store_sess *sess, int64_t id, int64_t at);
    enum mp_status (*notify_stop_address)(struct mp_store_sess *sess, const char *email_hash,
                                          int64_t at);
    enum mp_status (*notify_address_stopped)(struct mp_store_sess *sess, const char *email_hash,
                                             bool *stopped);
    enum mp_status (*notify_address_known)(struct mp_store_sess *sess, const char *email,
                                           bool *known);
    enum mp_status (*notify_mine)(struct mp_store_sess *sess, const char *email,
                                  mp_notify_mine_cb cb, void *ctx);
    enum mp_status (*outbox_add)(struct mp_store_sess *sess, const struct mp_outbox_rec *m,
                                 int64_t *id);
    enum mp_status (*outbox_fanout)(struct mp_store_sess *sess, const struct mp_outbox_rec *m,
                                    int64_t cluster_id, int64_t *n);
    enum mp_status (*outbox_due)(struct mp_store_sess *sess, const char *channel, int64_t now,
                                 size_t max, mp_outbox_cb cb, void *ctx);
    enum mp_status (*outbox_lease)(struct mp_store_sess *sess, int64_t id, int64_t until);
    enum mp_status (*outbox_release_all)(struct mp_store_sess *sess);
    enum mp_status (*outbox_finish)(struct mp_store_sess *sess, int64_t id, const char *state,
                                    bool attempted, int64_t next_at, int64_t sent_at,
                                    const char *error);
    enum mp_status (*outbox_sent_since)(struct mp_store_sess *sess, const char *rcpt_hash,
                                        int64_t since, int64_t *n, int64_t *oldest);
    enum mp_status (*outbox_list)(struct mp_store_sess *sess, const char *state, int64_t before,
                                  size_t limit, mp_outbox_cb cb, void *ctx);
    enum mp_status (*outbox_get)(struct mp_store_sess *sess, int64_t id, mp_outbox_cb cb,
                                 void *ctx);
    enum mp_status (*outbox_retry)(struct mp_store_sess *sess, int64_t id, int64_t now, int64_t *n);
    enum mp_status (*outbox_counts)(struct mp_store_sess *sess,
                                    int (*cb)(void *ctx, const char *state, int64_t n), void *ctx);
    enum mp_status (*notify_followups)(struct mp_store_sess *sess, const struct mp_outbox_rec *m,
                                       const char *category, const char *const *statuses, size_t n,
                                       int64_t fixed_from, int64_t fixed_to, int64_t *added);
    enum mp_status (*notify_token_add)(struct mp_store_sess *sess,
                                       const struct mp_notify_token_rec *t);
    enum mp_status (*notify_token_get)(struct mp_store_sess *sess, const char *hash,
                                       mp_notify_token_cb cb, void *ctx);
    enum mp_status (*notify_token_use)(struct mp_store_sess *sess, const char *hash, int64_t at);
    enum mp_status (*notify_tokens_prune)(struct mp_store_sess *sess, int64_t now, int64_t *n);
    enum mp_status (*kto_add)(struct mp_store_sess *sess, const struct mp_kto_rec *k, int64_t *id);
    enum mp_status (*kto_detail)(struct mp_store_sess *sess, int64_t id, const char *reasons,
                                 const char *text, const struct mp_photo_rec *photo, int64_t at);
    enum mp_status (*kto_get)(struct mp_store_sess *sess, int64_t id, mp_kto_cb cb, void *ctx);
    enum mp_status (*kto_answered)(struct mp_store_sess *sess, int64_t sub_id, int64_t fixed_at,
                                   bool *answered);
    enum mp_status (*kto_for_cluster)(struct mp_store_sess *sess, int64_t cluster_id, mp_kto_cb cb,
                                      void *ctx);
    enum mp_status (*kto_photo)(struct mp_store_sess *sess, int64_t id, bool thumb, void **data,
                                size_t *len);
    enum mp_status (*webhook_add)(struct mp_store_sess *sess, const char *url, const char *secret,
                                  const char *events, bool contacts, int64_t at, int64_t *id);
    enum mp_status (*webhook_list)(struct mp_store_sess *sess, mp_webhook_cb cb, void *ctx);
    enum mp_status (*webhook_get)(struct mp_store_sess *sess, int64_t id, mp_webhook_cb cb,
                                  void *ctx);
    enum mp_status (*webhook_delete)(struct mp_store_sess *sess, int64_t id, int64_t at);
    enum mp_status (*webhook_fanout)(struct mp_store_sess *sess, int64_t event_id, const char *type,
                                     bool note, int64_t report_id, int64_t cluster_id, int64_t at,
                                     int64_t *n);
    enum mp_status (*webhook_deliveries)(struct mp_store_sess *sess, int64_t id, const char *state,
                                         size_t limit, mp_outbox_cb cb, void *ctx);
    enum mp_status (*webhook_contact)(struct mp_store_sess *sess, int64_t report_id,
                                      mp_webhook_contact_cb cb, void *ctx);

    /* ---- store_alerts.h: area alerts, digests, department schedule ---- */
    enum mp_status (*alert_add)(struct mp_store_sess *sess, const struct mp_alert_rec *a, int64_t *id);
    enum mp_status (*alert_get)(struct mp_store_sess *sess, int64_t id, mp_alert_cb cb, void *ctx);
    enum mp_status (*alert_confirm)(struct mp_store_sess *sess, int64_t id, int64_t at, int64_t next_digest_at);
    enum mp_status (*alert_stop)(struct mp_store_sess *sess, int64_t id, int64_t at);
    enum mp_status (*alerts_match)(struct mp_store_sess *sess, const char *category, const char *district, double lon, double lat, mp_alert_cb cb, void *ctx);
    enum mp_status (*alerts_digest_due)(struct mp_store_sess *sess, int64_t now, mp_alert_cb cb, void *ctx);
    enum mp_status (*alert_digest_next)(struct mp_store_sess *sess, int64_t id, int64_t next);
    enum mp_status (*digest_item_add)(struct mp_store_sess *sess, const struct mp_digest_item_rec *it, bool *added);
    enum mp_status (*digest_pending)(struct mp_store_sess *sess, int64_t alert_id, const char *department, int64_t *n);
    enum mp_status (*digest_take)(struct mp_store_sess *sess, int64_t alert_id, const char *department, int64_t outbox_id, int64_t *n);
    enum mp_status (*digest_items)(struct mp_store_sess *sess, int64_t outbox_id, mp_digest_item_cb cb, void *ctx);
    enum mp_status (*dept_schedule_get)(struct mp_store_sess *sess, const char *department, int64_t *next);
    enum mp_status (*dept_schedule_set)(struct mp_store_sess *sess, const char *department, int64_t next);

    /* ---- store_copy.h: whole tables for copy-store (copystore) ---- */
    enum mp_status (*copy_count)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                 int64_t *n);
    enum mp_status (*copy_rows)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                mp_copy_row_cb cb, void *ctx);
    enum mp_status (*copy_insert)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                  const struct mp_copy_value *row);
    enum mp_status (*copy_flush)(struct mp_store_sess *sess);
    enum mp_status (*copy_check)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                 char *unknown, size_t cap);
    enum mp_status (*copy_clear)(struct mp_store_sess *sess, const struct mp_copy_table *t);
    enum mp_status (*copy_seq_get)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                   int64_t *hw);
    enum mp_status (*copy_seq_set)(struct mp_store_sess *sess, const struct mp_copy_table *t,
                                   int64_t hw);

    /* ---- maint.h: the store parts ---- */
    enum mp_status (*maint_backup)(const char *location, const char *dest_path,
                                   const struct mp_backup_opts *opts, struct mp_backup_stats *stats,
                                   struct mp_error *err);
    /* The steps of one anonymisation run inside the transaction that
     * mp_maint_anonymise (store_maint.c) opened: count (dry_run) or clear
     * each kind of personal data older than cutoff into *stats. The caller
     * owns begin, rollback, the audit entry and commit. */
    enum mp_status (*maint_anonymise)(struct mp_store_sess *sess, int64_t cutoff, bool dry_run,
                                      struct mp_anonymise_stats *stats);

    /* ---- regionfaces: store.h, re-keying old rows (SQLite only) ---- */
    enum mp_status (*set_municipality)(struct mp_store_sess *sess, bool cluster, int64_t id,
                                       const char *municipality);

    /* ---- tenancy (schema 12): an account's municipalities ---- */
    enum mp_status (*user_set_municipalities)(struct mp_store_sess *sess, const char *name,
                                              const struct mp_scope_set *set);
};

/* Every operation of the table but the optional hooks (acquired,
 * memory_used, changes, begin_write_places, tx_conflict), in the table's order: mp_store_missing_ops walks it, and
 * store.c checks at compile time that it names every member, so that an
 * operation added to the table is added here too. */
/* Kept as written: clang-format would reflow the list into a staircase. */
// clang-format off
#define MP_STORE_ENGINE_OPS(X) \
    X(open) X(close) X(released) X(schema_version) X(begin_write) X(begin_read) X(commit) \
    X(rollback) X(savepoint) X(savepoint_release) X(savepoint_undo) X(defer_foreign_keys) \
    X(cluster_candidates) X(cluster_state) X(cluster_create) X(cluster_update) \
    X(cluster_set_status) X(cluster_members) X(reports_move_all) X(report_set_cluster) \
    X(cluster_delete) X(correction_add) X(constraint_add) X(replay_reports) X(constraints) \
    X(cluster_states_range) X(cluster_ids) X(cluster_max_id) X(cluster_insert) X(report_insert) \
    X(report_external_exists) X(photo_put) X(photo_get) X(history_add) X(reports) X(clusters) \
    X(report_get) X(cluster_get) X(cluster_reports) X(history) X(cluster_grid) X(grid_pyramid) \
    X(change_counter) X(counts) X(sync_mode) X(status_counts) X(size_bytes) X(user_add) X(user_by_token) X(user_by_name) \
    X(user_set_token) X(user_set_disabled) X(users) X(audit_add) X(audit_for) X(export_open_path) \
    X(export_open) X(export_next) X(export_close) X(export_count) X(export_time_extent) \
    X(open311_put) X(open311_update_find) X(open311_note_add) X(open311_requests) \
    X(open311_request) X(open311_updates) X(stats_reports) X(work_get) X(work_set) X(work_list) \
    X(work_note_add) X(work_notes) X(work_photo_put) X(work_photo_get) X(work_photos) \
    X(work_cluster_merged) X(work_photo_cluster) X(merge_add) X(merge_note_rows) \
    X(merge_entry_add) X(merge_get) X(merge_strays) X(merge_restore) X(merges_in_history) \
    X(merges_of_report) X(merge_moved_in) \
    X(copy_count) X(copy_rows) X(copy_insert) X(copy_flush) X(copy_check) X(copy_clear) X(copy_seq_get) X(copy_seq_set) \
    X(notify_event_add) X(notify_event_get) X(notify_sub_add) X(notify_sub_get) \
    X(notify_sub_by_report) X(notify_sub_stop) X(notify_stop_address) X(notify_address_stopped) \
    X(notify_address_known) X(notify_mine) X(outbox_add) X(outbox_fanout) X(outbox_due) \
    X(outbox_lease) X(outbox_release_all) X(outbox_finish) X(outbox_sent_since) X(outbox_list) \
    X(outbox_get) X(outbox_retry) X(outbox_counts) X(notify_followups) X(notify_token_add) \
    X(notify_token_get) X(notify_token_use) X(notify_tokens_prune) X(kto_add) X(kto_detail) \
    X(kto_get) X(kto_answered) X(kto_for_cluster) X(kto_photo) X(webhook_add) X(webhook_list) \
    X(webhook_get) X(webhook_delete) X(webhook_fanout) X(webhook_deliveries) X(webhook_contact) \
    X(alert_add) X(alert_get) X(alert_confirm) X(alert_stop) X(alerts_match) X(alerts_digest_due) X(alert_digest_next) X(digest_item_add) X(digest_pending) X(digest_take) X(digest_items) X(dept_schedule_get) X(dept_schedule_set) \
    X(maint_backup) X(maint_anonymise) \
    X(set_municipality) \
    X(user_set_municipalities)
// clang-format on

/* The engines (server/store_sqlite_engine.c, server/store_pg_engine.c). */
extern const struct mp_store_engine mp_sqlite_engine;
extern const struct mp_store_engine mp_pg_engine;

/* The pool in a store's head: init before the first put (with the engine
 * the store's head gets), put each session that is open, destroy when
 * every session is back and closed. */
void mp_store_pool_init(struct mp_store *s, const struct mp_store_engine *e);
void mp_store_pool_put(struct mp_store *s, struct mp_store_sess *sess);
void mp_store_pool_destroy(struct mp_store *s);

/* Both engines cache a connection's prepared statements in an
 * open-addressing table of MP_STORE_SQL_SLOTS slots keyed by the address of
 * the static SQL text. The first slot to try: Fibonacci hashing of the
 * address (static strings lie a few bytes to a few hundred apart, and the
 * multiply spreads them over the top bits). */
#define MP_STORE_SQL_SLOTS 256
static inline unsigned mp_store_sql_slot(const char *sql)
{
    return (unsigned)(((uint64_t)(uintptr_t)sql * UINT64_C(0x9E3779B97F4A7C15)) >> 56);
}

/* The engine that serves location (see the top of this file). */
const struct mp_store_engine *mp_store_engine_for(const char *location);

/* The answer for an operation engine e leaves NULL: logs "<engine>: <op> is
 * not implemented" and returns MP_EUNSUPPORTED. */
enum mp_status mp_store_unsupported(const struct mp_store_engine *e, const char *op);
/* mp_store_unsupported for an operation that reports its errors in err:
 * also fills err (code "not_implemented", text). */
enum mp_status mp_store_unsupported_fail(const struct mp_store_engine *e, const char *op,
                                         struct mp_error *err, const char *text);

/* The engine entry op of x (a store, session or cursor) called with the
 * arguments after op, or the answer for an operation the engine does not
 * have yet: what every forwarder of store*.c returns. */
#define FORWARD(x, op, ...)                                                                        \
    ((x)->eng->op ? (x)->eng->op(__VA_ARGS__) : mp_store_unsupported((x)->eng, #op))

#endif
