/* store_pg_engine.c - the PostgreSQL (PostGIS) engine's table: the
 * operations of store_engine.h it has, each implemented in the store_pg_*.c
 * file of its concern (declared in store_pg_engine.h). An operation left
 * out here is NULL: store.c answers MP_EUNSUPPORTED and logs its name
 * (see the top of store_pg.h for how to add one). */
#include "store_pg_engine.h"

const struct mp_store_engine mp_pg_engine = {
    .name = "postgresql",
    .open = mp_pg_open,
    .close = mp_pg_close,
    .acquired = mp_pg_acquired,
    .released = mp_pg_released,
    .schema_version = mp_pg_schema_version,
    .memory_used = mp_pg_memory_used,
    .begin_write = mp_pg_begin_write,
    .begin_read = mp_pg_begin_read,
    .commit = mp_pg_commit,
    .rollback = mp_pg_rollback,
    .savepoint = mp_pg_savepoint,
    .savepoint_release = mp_pg_savepoint_release,
    .savepoint_undo = mp_pg_savepoint_undo,
    .defer_foreign_keys = mp_pg_defer_foreign_keys,
    .change_counter = mp_pg_change_counter,
    .counts = mp_pg_counts,
    .sync_mode = mp_pg_sync_mode,
    .maint_backup = mp_pg_maint_backup,
    .cluster_candidates = mp_pg_cluster_candidates,
    .cluster_state = mp_pg_cluster_state,
    .cluster_create = mp_pg_cluster_create,
    .cluster_update = mp_pg_cluster_update,
    .cluster_set_status = mp_pg_cluster_set_status,
    .history_add = mp_pg_history_add,
    .history = mp_pg_history,
    .cluster_members = mp_pg_cluster_members,
    .constraint_add = mp_pg_constraint_add,
    .report_insert = mp_pg_report_insert,
    .report_external_exists = mp_pg_report_external_exists,
    .photo_put = mp_pg_photo_put,
    .photo_get = mp_pg_photo_get,
    .report_get = mp_pg_report_get,
    .cluster_reports = mp_pg_cluster_reports,
    /* alerts */
    .alert_add = mp_pg_alert_add,
    .alert_get = mp_pg_alert_get,
    .alert_confirm = mp_pg_alert_confirm,
    .alert_stop = mp_pg_alert_stop,
    .alerts_match = mp_pg_alerts_match,
    .alerts_digest_due = mp_pg_alerts_digest_due,
    .alert_digest_next = mp_pg_alert_digest_next,
    .digest_item_add = mp_pg_digest_item_add,
    .digest_pending = mp_pg_digest_pending,
    .digest_take = mp_pg_digest_take,
    .digest_items = mp_pg_digest_items,
    .dept_schedule_get = mp_pg_dept_schedule_get,
    .dept_schedule_set = mp_pg_dept_schedule_set,
    /* end alerts */
};
