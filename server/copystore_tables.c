/* copystore_tables.c - every table `meldpunt copy-store` copies and
 * verifies (store_copy.h): name, columns with their canonical types, key
 * order, id counter and, for PostgreSQL, where a row's municipality comes
 * from. The one place that lists them: a table a schema version adds is an
 * entry here.
 *
 * Left out on purpose, because the target derives or owns them: the
 * schema's own bookkeeping (PRAGMA user_version, schema_parts,
 * schema_migrations), change_counter, report_map and grid_cells (both
 * engines: the target's triggers or writer fill them from the copied rows),
 * SQLite's R*Trees, geometry columns and clusters.cell, PostgreSQL's geom
 * and metric columns and outbox.lease_owner (a server's process id: a lease
 * does not survive a move). Parents come before children (foreign keys). */
#include "meldpunt/copystore.h"

#define I MP_COPY_INT
#define R MP_COPY_REAL
#define T MP_COPY_TEXT
#define B MP_COPY_BLOB
#define F MP_COPY_BOOL
#define COLS(a) a, sizeof a / sizeof a[0]

static const struct mp_copy_col clusters[] = {
    {"id", I, 0},         {"municipality", T, 0}, {"category", T, 0},   {"status", T, 0},
    {"report_count", I, 0}, {"x", R, 0},          {"y", R, 0},          {"sum_x", R, 0},
    {"sum_y", R, 0},      {"lon", R, 0},          {"lat", R, 0},        {"first_at", I, 0},
    {"last_at", I, 0},    {"fixed_at", I, 0},     {"district", T, 0},   {"street", T, 0},
    {"location", T, 0},   {"created_at", I, 0},   {"updated_at", I, 0},
};
static const struct mp_copy_col reports[] = {
    {"id", I, 0},           {"municipality", T, 0}, {"cluster_id", I, 0},   {"category", T, 0},
    {"description", T, 0},  {"address", T, 0},      {"channel", T, 0},      {"status", T, 0},
    {"district", T, 0},     {"lon", R, 0},          {"lat", R, 0},          {"x", R, 0},
    {"y", R, 0},            {"created_at", I, 0},   {"updated_at", I, 0},   {"external_id", T, 0},
    {"contact_name", T, 0}, {"contact_email", T, 0}, {"contact_phone", T, 0}, {"join_reason", T, 0},
    {"street", T, 0},       {"location", T, 0},
};
static const struct mp_copy_col history[] = {
    {"id", I, 0},   {"cluster_id", I, 0}, {"report_id", I, 0},   {"at", I, 0},
    {"status", T, 0}, {"note", T, 0},     {"note_public", F, 0}, {"actor", T, 0},
};
static const struct mp_copy_col photos[] = {
    {"report_id", I, 0}, {"mime", T, 0},        {"width", I, 0},      {"height", I, 0},
    {"full", B, "image"}, {"thumb", B, 0},      {"created_at", I, 0},
};
static const struct mp_copy_col corrections[] = {
    {"id", I, 0},         {"kind", T, 0},  {"report_id", I, 0}, {"from_cluster", I, 0},
    {"to_cluster", I, 0}, {"actor", T, 0}, {"at", I, 0},
};
static const struct mp_copy_col link_constraints[] = {
    {"a", I, 0}, {"b", I, 0}, {"must", F, 0}, {"at", I, 0},
};
static const struct mp_copy_col users[] = {
    {"id", I, 0},       {"name", T, 0},       {"role", T, 0},       {"department", T, 0},
    {"token_hash", T, 0}, {"disabled", F, 0}, {"created_at", I, 0}, {"last_seen_at", I, 0},
    {"region_wide", F, 0}, /* schema 12 (tenancy) */
};
/* Schema 12 (tenancy): the municipalities of an account that is not
 * region-wide. */
static const struct mp_copy_col user_municipalities[] = {
    {"user_id", I, 0},
    {"municipality", T, 0},
};
static const struct mp_copy_col audit[] = {
    {"id", I, 0},          {"user_id", I, 0},   {"user_name", T, 0}, {"action", T, 0},
    {"object_type", T, 0}, {"object_id", I, 0}, {"detail", T, 0},    {"at", I, 0},
};
static const struct mp_copy_col open311_attributes[] = {
    {"report_id", I, 0},  {"json", T, 0},      {"media_url", T, 0}, {"device_id", T, 0},
    {"account_id", T, 0}, {"client_id", I, 0}, {"extra", T, 0},
};
static const struct mp_copy_col open311_updates[] = {
    {"history_id", I, 0},    {"report_id", I, 0}, {"client_id", I, 0}, {"client_update_id", T, 0},
    {"client_status", T, 0}, {"client_at", I, 0}, {"media_url", T, 0},
};
static const struct mp_copy_col work_assignments[] = {
    {"cluster_id", I, 0}, {"department", T, 0}, {"crew", T, 0},       {"priority", I, 0},
    {"due_at", I, 0},     {"updated_at", I, 0}, {"updated_by", T, 0},
};
static const struct mp_copy_col work_notes[] = {
    {"id", I, 0}, {"cluster_id", I, 0}, {"at", I, 0}, {"status", T, 0}, {"note", T, 0},
    {"actor", T, 0},
};
static const struct mp_copy_col work_photos[] = {
    {"id", I, 0},   {"cluster_id", I, 0}, {"at", I, 0},     {"status", T, 0},
    {"actor", T, 0}, {"mime", T, 0},      {"width", I, 0},  {"height", I, 0},
    {"full", B, "image"}, {"thumb", B, 0},
};
static const struct mp_copy_col merges[] = {
    {"id", I, 0},              {"from_cluster", I, 0},    {"into_cluster", I, 0},
    {"at", I, 0},              {"actor", T, 0},           {"reason", T, 0},
    {"distance_m", R, 0},      {"from_status", T, 0},     {"into_status", T, 0},
    {"merged_status", T, 0},   {"from_fixed_at", I, 0},   {"into_fixed_at", I, 0},
    {"from_assigned", F, 0},   {"from_department", T, 0}, {"from_crew", T, 0},
    {"from_priority", I, 0},   {"from_due_at", I, 0},     {"from_district", T, 0},
    {"from_street", T, 0},     {"from_location", T, 0},   {"entry_from", I, 0},
    {"entry_into", I, 0},      {"entry_undo_from", I, 0}, {"entry_undo_into", I, 0},
    {"undone_at", I, 0},       {"undone_by", T, 0},
};
static const struct mp_copy_col merge_rows[] = {
    {"merge_id", I, 0}, {"kind", T, 0}, {"row_id", I, 0},
};
static const struct mp_copy_col notify_events[] = {
    {"id", I, 0},        {"uid", T, 0},  {"type", T, 0}, {"cluster_id", I, 0},
    {"report_id", I, 0}, {"data", T, 0}, {"at", I, 0},
};
static const struct mp_copy_col notify_subs[] = {
    {"id", I, 0},   {"report_id", I, 0},  {"email", T, 0},      {"email_hash", T, 0},
    {"lang", T, 0}, {"created_at", I, 0}, {"stopped_at", I, 0},
};
static const struct mp_copy_col notify_stop[] = {
    {"email_hash", T, 0},
    {"at", I, 0},
};
static const struct mp_copy_col outbox[] = {
    {"id", I, 0},          {"event_id", I, 0},   {"kind", T, 0},        {"channel", T, 0},
    {"rcpt", T, 0},        {"rcpt_hash", T, 0},  {"sub_id", I, 0},      {"report_id", I, 0},
    {"cluster_id", I, 0},  {"lang", T, 0},       {"msg_key", T, 0},     {"dedup", T, 0},
    {"state", T, 0},       {"attempts", I, 0},   {"created_at", I, 0},  {"next_at", I, 0},
    {"lease_until", I, 0}, {"sent_at", I, 0},    {"last_error", T, 0},
};
static const struct mp_copy_col notify_tokens[] = {
    {"hash", T, 0},      {"purpose", T, 0},    {"rcpt_hash", T, 0},  {"email", T, 0},
    {"sub_id", I, 0},    {"report_id", I, 0},  {"cluster_id", I, 0}, {"ref", I, 0},
    {"created_at", I, 0}, {"expires_at", I, 0}, {"used_at", I, 0},
};
static const struct mp_copy_col kto_answers[] = {
    {"id", I, 0},          {"sub_id", I, 0},      {"report_id", I, 0}, {"cluster_id", I, 0},
    {"fixed_at", I, 0},    {"satisfied", F, 0},   {"reasons", T, 0},   {"text", T, 0},
    {"photo", B, 0},       {"photo_thumb", B, 0}, {"created_at", I, 0}, {"detailed_at", I, 0},
};
static const struct mp_copy_col webhooks[] = {
    {"id", I, 0},       {"url", T, 0},        {"secret", T, 0},     {"events", T, 0},
    {"contacts", F, 0}, {"created_at", I, 0}, {"deleted_at", I, 0},
};
static const struct mp_copy_col alert_subs[] = {
    {"id", I, 0},         {"email", T, 0},        {"email_hash", T, 0},   {"lang", T, 0},
    {"district", T, 0},   {"category", T, 0},     {"frequency", T, 0},    {"lon", R, 0},
    {"lat", R, 0},        {"radius_m", R, 0},     {"lon_min", R, 0},      {"lon_max", R, 0},
    {"lat_min", R, 0},    {"lat_max", R, 0},      {"created_at", I, 0},   {"confirmed_at", I, 0},
    {"stopped_at", I, 0}, {"next_digest_at", I, 0},
};
static const struct mp_copy_col digest_items[] = {
    {"id", I, 0},        {"alert_id", I, 0},   {"department", T, 0}, {"what", T, 0},
    {"report_id", I, 0}, {"cluster_id", I, 0}, {"at", I, 0},         {"outbox_id", I, 0},
};
static const struct mp_copy_col dept_schedule[] = {
    {"department", T, 0},
    {"next_digest_at", I, 0},
};

/* Parents of a row's municipality on PostgreSQL. */
#define BY_CLUSTER {{"clusters", "cluster_id"}}
#define BY_REPORT {{"reports", "report_id"}}

const struct mp_copy_table mp_copy_tables[] = {
    {"clusters", COLS(clusters), 1, true, {{0}}, false},
    {"reports", COLS(reports), 1, true, {{0}}, false},
    {"history", COLS(history), 1, true, BY_CLUSTER, true},
    {"photos", COLS(photos), 1, false, BY_REPORT, true},
    {"corrections", COLS(corrections), 1, true, {{0}}, false},
    {"link_constraints", COLS(link_constraints), 2, false, {{"reports", "a"}}, true},
    {"users", COLS(users), 1, true, {{0}}, false},
    {"user_municipalities", COLS(user_municipalities), 2, false, {{0}}, false},
    {"audit", COLS(audit), 1, true, {{0}}, false},
    {"open311_attributes", COLS(open311_attributes), 1, false, BY_REPORT, true},
    {"open311_updates", COLS(open311_updates), 1, false, BY_REPORT, true},
    {"work_assignments", COLS(work_assignments), 1, false, BY_CLUSTER, true},
    {"work_notes", COLS(work_notes), 1, true, {{0}}, false},
    {"work_photos", COLS(work_photos), 1, true, {{0}}, false},
    /* The merged cluster is gone while the merge stands: its municipality
     * is the surviving one's. */
    {"merges", COLS(merges), 1, true, {{"clusters", "from_cluster"}, {"clusters", "into_cluster"}},
     true},
    {"merge_rows", COLS(merge_rows), 3, false, {{"merges", "merge_id"}}, true},
    {"notify_events", COLS(notify_events), 1, true, {{"clusters", "cluster_id"}, {"reports", "report_id"}},
     false},
    {"notify_subs", COLS(notify_subs), 1, true, BY_REPORT, true},
    {"notify_stop", COLS(notify_stop), 1, false, {{0}}, false},
    {"outbox", COLS(outbox), 1, true, {{"reports", "report_id"}, {"clusters", "cluster_id"}}, false},
    {"notify_tokens", COLS(notify_tokens), 1, false,
     {{"reports", "report_id"}, {"clusters", "cluster_id"}}, false},
    {"kto_answers", COLS(kto_answers), 1, true, {{"reports", "report_id"}, {"clusters", "cluster_id"}},
     true},
    {"webhooks", COLS(webhooks), 1, true, {{0}}, false},
    {"alert_subs", COLS(alert_subs), 1, true, {{0}}, false},
    {"digest_items", COLS(digest_items), 1, true, {{0}}, false},
    {"dept_schedule", COLS(dept_schedule), 1, false, {{0}}, false},
};

const size_t mp_copy_ntables = sizeof mp_copy_tables / sizeof mp_copy_tables[0];
