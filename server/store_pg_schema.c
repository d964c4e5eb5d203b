/* store_pg_schema.c - the PostgreSQL schema: migrations numbered like the
 * SQLite engine's schema versions (store.h), tracked in the table
 * schema_migrations (one row per applied version) and applied when the
 * store opens, in one transaction under an advisory lock.
 *
 * The schema starts at version 10 (what SQLite versions 1 to 10 built up,
 * in PostgreSQL's terms). Each later version appends one entry with the
 * same number as the SQLite migration that means the same; never edit an
 * entry once a release has shipped it. Until the PostgreSQL engine is
 * complete (tests/CMakeLists.txt: MELDPUNT_TEST_PG on), the helpers that
 * complete it may still change version 10 itself.
 *
 * Layout, and what differs from SQLite:
 * - Ids are identity columns (GENERATED ALWAYS AS IDENTITY): never reused,
 *   not even after a delete or a merge.
 * - Points: geom, geometry(Point, 4326) with a GiST index, for the map's
 *   bounding boxes; clusters also have metric, the city's metric
 *   coordinates (x, y, computed in C by PROJ as on SQLite, SRID 0 because
 *   the CRS is the city pack's) with a GiST index for the duplicate
 *   candidates (&& on a box around the new report).
 * - Photos are bytea ("image" and "thumb"; FULL is a reserved word).
 * - Times are Unix seconds (bigint), flags boolean.
 * - change_counter is bumped once per write transaction that changed
 *   reports or clusters, by the COMMIT itself (store_pg_pool.c
 *   mp_pg_commit: one round trip), so it changes exactly when the change
 *   becomes visible. Statement-level triggers of reports and clusters only
 *   mark the transaction (a transaction-local setting, meldpunt.changed:
 *   no row written, no lock; undone with the savepoint or transaction that
 *   set it). Up to version 12 the triggers updated the counter row
 *   themselves, many times per transaction: the hot row cost ingest ten
 *   times its speed (issue 15). (A sequence would need no row lock, but
 *   nextval is seen by other sessions before the commit: a reader could
 *   cache an answer made before the commit under the new number and serve
 *   it stale. The row's lock is taken while begin_write's advisory lock
 *   already serialises writers, so it costs no concurrency today; servers
 *   that write in parallel can move to LISTEN/NOTIFY, which is delivered at
 *   commit.)
 *
 * Municipalities (partitioning or sharding by municipality, e.g. Citus):
 * a table distributed or partitioned by municipality needs it in every
 * unique key and foreign key. Reports and clusters carry it in their
 * primary keys, (id, municipality), id first so that the look-ups by id
 * alone use the key's index; external_id is unique per municipality. The
 * tables whose rows the SQLite engine ties to a report or cluster by a
 * foreign key (history, photos, link_constraints, open311_attributes,
 * open311_updates, work_assignments) keep that tie here too, through (municipality,
 * cluster_id) or (municipality, report_id): they have a municipality
 * column, which their inserts take from the parent row (a missing parent
 * then fails as a foreign key would: NOT NULL), and it is in their keys.
 * Foreign keys are DEFERRABLE for mp_store_defer_foreign_keys. To
 * distribute the rest: work_notes, work_photos and corrections gain
 * municipality the same way (they deliberately have no foreign key: they
 * outlive cluster ids); users and audit become reference tables (copied to
 * every node); schema_migrations and change_counter stay on the
 * coordinator (or the counter moves to LISTEN/NOTIFY).
 */
#include "store_pg_schema.h"

#include <stdio.h>
#include <stdlib.h>

#include "meldpunt/timeutil.h"
#include "store_pg.h"

/* Taken for the migration transaction: servers that start together wait
 * for the first to finish instead of creating the tables twice. */
#define SCHEMA_LOCK "7236235361786931" /* "meldpunt schema" */

/* Version 10, in parts (ISO C bounds the length of a string literal):
 * reports and clusters, ... */
static const char v10_core[] =
    "CREATE EXTENSION IF NOT EXISTS postgis;"

    "CREATE TABLE clusters ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " category text NOT NULL,"
    " status text NOT NULL DEFAULT 'new',"
    " report_count bigint NOT NULL DEFAULT 0,"
    " x double precision NOT NULL, y double precision NOT NULL,"
    " sum_x double precision NOT NULL, sum_y double precision NOT NULL,"
    " lon double precision NOT NULL, lat double precision NOT NULL,"
    " first_at bigint NOT NULL, last_at bigint NOT NULL, fixed_at bigint NOT NULL DEFAULT 0,"
    " district text, street text, location text,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL,"
    " geom geometry(Point, 4326) NOT NULL,"
    " metric geometry(Point) NOT NULL,"
    " PRIMARY KEY (id, municipality));"
    "CREATE INDEX clusters_geom ON clusters USING gist (geom);"
    "CREATE INDEX clusters_metric ON clusters USING gist (metric);"
    "CREATE INDEX clusters_status ON clusters (status);"

    "CREATE TABLE reports ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " cluster_id bigint NOT NULL,"
    " category text NOT NULL,"
    " description text NOT NULL DEFAULT '',"
    " address text,"
    " channel text NOT NULL,"
    " status text NOT NULL,"
    " district text,"
    " lon double precision NOT NULL, lat double precision NOT NULL,"
    " x double precision NOT NULL, y double precision NOT NULL,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL,"
    " external_id text,"
    " contact_name text, contact_email text, contact_phone text,"
    " join_reason text, street text, location text,"
    " geom geometry(Point, 4326) NOT NULL,"
    " PRIMARY KEY (id, municipality),"
    " UNIQUE (external_id, municipality),"
    /* Deferrable so that mp_store_defer_foreign_keys can move the check to
     * COMMIT (re-clustering points reports at clusters it inserts later). */
    " FOREIGN KEY (municipality, cluster_id) REFERENCES clusters (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX reports_cluster ON reports (cluster_id);"
    "CREATE INDEX reports_created ON reports (created_at);"
    "CREATE INDEX reports_geom ON reports USING gist (geom);"

    "CREATE TABLE history ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " cluster_id bigint NOT NULL,"
    " report_id bigint,"
    " at bigint NOT NULL,"
    " status text NOT NULL,"
    " note text,"
    " note_public boolean NOT NULL DEFAULT true,"
    " actor text,"
    " PRIMARY KEY (id, municipality),"
    " FOREIGN KEY (municipality, cluster_id) REFERENCES clusters (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE,"
    " FOREIGN KEY (municipality, report_id) REFERENCES reports (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX history_cluster ON history (cluster_id, at);"
    /* Open311's servicerequestupdates asks by time alone. */
    "CREATE INDEX history_at ON history (at);"

    "CREATE TABLE photos ("
    " report_id bigint NOT NULL,"
    " municipality text NOT NULL,"
    " mime text NOT NULL, width integer, height integer,"
    " image bytea NOT NULL, thumb bytea NOT NULL, created_at bigint NOT NULL,"
    " PRIMARY KEY (report_id, municipality),"
    " FOREIGN KEY (municipality, report_id) REFERENCES reports (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE);";

/* ... corrections, accounts and the audit log, ... */
static const char v10_people[] =
    "CREATE TABLE corrections ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " kind text NOT NULL,"
    " report_id bigint, from_cluster bigint, to_cluster bigint,"
    " actor text,"
    " at bigint NOT NULL);"
    /* Pairs of reports that staff corrections or citizens tied together
     * (must) or apart; re-clustering honours them. One row per pair, a < b. */
    "CREATE TABLE link_constraints ("
    " a bigint NOT NULL, b bigint NOT NULL,"
    " municipality text NOT NULL,"
    " must boolean NOT NULL,"
    " at bigint NOT NULL,"
    " PRIMARY KEY (a, b, municipality),"
    " FOREIGN KEY (municipality, a) REFERENCES reports (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE,"
    " FOREIGN KEY (municipality, b) REFERENCES reports (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX link_constraints_b ON link_constraints (b);"

    "CREATE TABLE users ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " name text NOT NULL UNIQUE,"
    " role text NOT NULL,"
    " department text,"
    " token_hash text NOT NULL UNIQUE,"
    " disabled boolean NOT NULL DEFAULT false,"
    " created_at bigint NOT NULL,"
    " last_seen_at bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE audit ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " user_id bigint,"
    " user_name text,"
    " action text NOT NULL,"
    " object_type text,"
    " object_id bigint,"
    " detail text,"
    " at bigint NOT NULL);"
    "CREATE INDEX audit_object ON audit (object_type, object_id, at);";

/* ... what Open311 clients sent, the staff side of clusters, ... */
static const char v10_work[] =
    "CREATE TABLE open311_attributes ("
    " report_id bigint NOT NULL,"
    " municipality text NOT NULL,"
    " json text NOT NULL DEFAULT '{}',"
    " media_url text,"
    " device_id text,"
    " account_id text,"
    " client_id bigint,"
    " extra text,"
    " PRIMARY KEY (report_id, municipality),"
    " FOREIGN KEY (municipality, report_id) REFERENCES reports (municipality, id)"
    "  ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE);"
    /* The updates clients post (the history entry each became), under the
     * client's own id, taken once per client. */
    "CREATE TABLE open311_updates ("
    " history_id bigint NOT NULL,"
    " municipality text NOT NULL,"
    " report_id bigint NOT NULL,"
    " client_id bigint NOT NULL,"
    " client_update_id text NOT NULL,"
    " client_status text,"
    " client_at bigint,"
    " media_url text,"
    " PRIMARY KEY (history_id, municipality),"
    " UNIQUE (client_id, client_update_id, municipality),"
    " FOREIGN KEY (municipality, history_id) REFERENCES history (municipality, id)"
    "  ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE,"
    " FOREIGN KEY (municipality, report_id) REFERENCES reports (municipality, id)"
    "  ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE);"

    /* The staff side of a cluster (store_work.h). Notes and photos are
     * records of what staff did and outlive cluster ids; an assignment goes
     * with its cluster (deleting a cluster deletes its row). */
    "CREATE TABLE work_assignments ("
    " cluster_id bigint NOT NULL,"
    " municipality text NOT NULL,"
    " department text,"
    " crew text,"
    " priority integer,"
    " due_at bigint,"
    " updated_at bigint NOT NULL,"
    " updated_by text,"
    " PRIMARY KEY (cluster_id, municipality),"
    " FOREIGN KEY (municipality, cluster_id) REFERENCES clusters (municipality, id)"
    "  ON DELETE CASCADE DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX work_assignments_department ON work_assignments (department);"
    "CREATE TABLE work_notes ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " cluster_id bigint NOT NULL,"
    " at bigint NOT NULL,"
    " status text,"
    " note text NOT NULL,"
    " actor text);"
    "CREATE INDEX work_notes_cluster ON work_notes (cluster_id, at);"
    "CREATE TABLE work_photos ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " cluster_id bigint NOT NULL,"
    " at bigint NOT NULL,"
    " status text,"
    " actor text,"
    " mime text NOT NULL,"
    " width integer, height integer,"
    " image bytea NOT NULL, thumb bytea NOT NULL);"
    "CREATE INDEX work_photos_cluster ON work_photos (cluster_id, at);";

/* ... the reads' helper and the record of staff merges (pgreads), ... */
static const char v10_reads[] =
    /* The "kind" of a JSON object in text, NULL when the text is not JSON
     * (SQLite's json_valid guard): Open311's "joined" reads join_reason so,
     * and a damaged value must not fail a listing. */
    "CREATE FUNCTION meldpunt_json_kind(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS"
    " $$BEGIN RETURN t::jsonb ->> 'kind'; EXCEPTION WHEN others THEN RETURN NULL; END$$;"
    /* A merge keeps what it changed (store_merge.h), for its undo. No
     * foreign keys to clusters: the merged cluster is gone while the merge
     * stands, and the record outlives both jobs. municipality is the merged
     * cluster's (taken from it in the insert); ids are never reused. */
    "CREATE TABLE merges ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " from_cluster bigint NOT NULL,"
    " into_cluster bigint NOT NULL,"
    " at bigint NOT NULL,"
    " actor text,"
    " reason text,"
    " distance_m double precision NOT NULL,"
    " from_status text NOT NULL, into_status text NOT NULL, merged_status text NOT NULL,"
    " from_fixed_at bigint NOT NULL, into_fixed_at bigint NOT NULL,"
    " from_assigned boolean NOT NULL, from_department text, from_crew text,"
    " from_priority integer, from_due_at bigint,"
    " from_district text, from_street text, from_location text,"
    " entry_from bigint, entry_into bigint, entry_undo_from bigint, entry_undo_into bigint,"
    " undone_at bigint, undone_by text,"
    " PRIMARY KEY (id, municipality));"
    "CREATE INDEX merges_into ON merges (into_cluster);"
    /* What a merge moved: kind 'report', 'history', 'note' or 'photo'. */
    "CREATE TABLE merge_rows ("
    " merge_id bigint NOT NULL,"
    " municipality text NOT NULL,"
    " kind text NOT NULL,"
    " row_id bigint NOT NULL,"
    " PRIMARY KEY (merge_id, kind, row_id, municipality),"
    " FOREIGN KEY (merge_id, municipality) REFERENCES merges (id, municipality)"
    "  DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX merge_rows_row ON merge_rows (kind, row_id);";

/* ... and the change counter. */
static const char v10_counter[] =
    "CREATE TABLE change_counter ("
    " id integer PRIMARY KEY CHECK (id = 1),"
    " n bigint NOT NULL);"
    "INSERT INTO change_counter VALUES (1, 0);"
    "CREATE FUNCTION meldpunt_changed() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN UPDATE change_counter SET n = n + 1 WHERE id = 1; RETURN NULL; END$$;"
    "CREATE TRIGGER reports_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON reports"
    " FOR EACH STATEMENT EXECUTE FUNCTION meldpunt_changed();"
    "CREATE TRIGGER clusters_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clusters"
    " FOR EACH STATEMENT EXECUTE FUNCTION meldpunt_changed();";

/* ... the notification outbox (store_notify.h) and webhooks
 * (store_webhooks.h), as the SQLite engine's schema parts "notify" and
 * "webhooks" make them. Rows that point at a report or cluster carry its
 * municipality, taken in the insert; only subscriptions are tied to their
 * report by a foreign key (as on SQLite): events, messages, tokens and
 * answers are records that outlive cluster ids. */
static const char v10_notify[] =
    "CREATE TABLE notify_events ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " uid text NOT NULL UNIQUE,"
    " type text NOT NULL,"
    " municipality text,"
    " cluster_id bigint, report_id bigint,"
    " data text NOT NULL,"
    " at bigint NOT NULL);"
    "CREATE INDEX notify_events_at ON notify_events (at);"
    "CREATE TABLE notify_subs ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " report_id bigint NOT NULL,"
    " email text,"
    " email_hash text NOT NULL,"
    " lang text NOT NULL,"
    " created_at bigint NOT NULL,"
    " stopped_at bigint NOT NULL DEFAULT 0,"
    " PRIMARY KEY (id, municipality),"
    " UNIQUE (report_id, municipality),"
    " FOREIGN KEY (municipality, report_id) REFERENCES reports (municipality, id)"
    "  DEFERRABLE INITIALLY IMMEDIATE);"
    "CREATE INDEX notify_subs_hash ON notify_subs (email_hash);"
    /* Only the hash of an address: an opt-out outlives the reports. */
    "CREATE TABLE notify_stop (email_hash text PRIMARY KEY, at bigint NOT NULL);"
    "CREATE TABLE outbox ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " event_id bigint,"
    " kind text NOT NULL,"
    " channel text NOT NULL,"
    " rcpt text,"
    " rcpt_hash text NOT NULL,"
    " municipality text,"
    " sub_id bigint, report_id bigint, cluster_id bigint,"
    " lang text NOT NULL,"
    " msg_key text NOT NULL UNIQUE,"
    " dedup text UNIQUE,"
    " state text NOT NULL DEFAULT 'queued',"
    " attempts bigint NOT NULL DEFAULT 0,"
    " created_at bigint NOT NULL,"
    " next_at bigint NOT NULL,"
    " lease_until bigint NOT NULL DEFAULT 0,"
    /* The backend (pg_backend_pid) of the sender that leased the row. */
    " lease_owner integer,"
    " sent_at bigint NOT NULL DEFAULT 0,"
    " last_error text);"
    "CREATE INDEX outbox_due ON outbox (channel, state, next_at);"
    "CREATE INDEX outbox_rcpt ON outbox (rcpt_hash, sent_at);"
    "CREATE INDEX outbox_report ON outbox (report_id);"
    "CREATE INDEX outbox_webhook ON outbox (channel, rcpt_hash, id);"
    "CREATE TABLE notify_tokens ("
    " hash text PRIMARY KEY,"
    " purpose text NOT NULL,"
    " rcpt_hash text, email text,"
    " municipality text,"
    " sub_id bigint, report_id bigint, cluster_id bigint, ref bigint,"
    " created_at bigint NOT NULL,"
    " expires_at bigint NOT NULL,"
    " used_at bigint NOT NULL DEFAULT 0);"
    "CREATE INDEX notify_tokens_expiry ON notify_tokens (expires_at);"
    "CREATE INDEX notify_tokens_report ON notify_tokens (report_id);"
    "CREATE TABLE kto_answers ("
    " id bigint GENERATED ALWAYS AS IDENTITY,"
    " municipality text NOT NULL,"
    " sub_id bigint NOT NULL,"
    " report_id bigint NOT NULL,"
    " cluster_id bigint NOT NULL,"
    " fixed_at bigint NOT NULL,"
    " satisfied boolean NOT NULL,"
    " reasons text, text text, photo bytea, photo_thumb bytea,"
    " created_at bigint NOT NULL,"
    " detailed_at bigint NOT NULL DEFAULT 0,"
    " PRIMARY KEY (id, municipality),"
    " UNIQUE (sub_id, fixed_at, municipality));"
    "CREATE INDEX kto_answers_cluster ON kto_answers (cluster_id, created_at);"
    /* Receivers are the city's, not a municipality's. */
    "CREATE TABLE webhooks ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " url text NOT NULL,"
    " secret text NOT NULL,"
    " events text NOT NULL,"
    " contacts boolean NOT NULL DEFAULT false,"
    " created_at bigint NOT NULL,"
    " deleted_at bigint NOT NULL DEFAULT 0);"
    /* "My reports" looks reports up by their address without case;
     * follow-ups look for clusters fixed within a window. */
    "CREATE INDEX reports_contact_email ON reports (lower(contact_email))"
    " WHERE contact_email IS NOT NULL;"
    "CREATE INDEX clusters_fixed_at ON clusters (fixed_at) WHERE fixed_at > 0;";

/* Each schema version and its SQL, in up to MAX_PARTS parts run in order. */
#define MAX_PARTS 8
/* Version 11: area alerts and department digests (store_pg_alerts.c), as
 * SQLite's migration 10 -> 11 (store_sqlite_alerts.c). They refer to no
 * report or cluster by key: an item outlives merges, and a digest lists what
 * is still there when it goes out. */
static const char v11_alerts[] =
    "CREATE TABLE IF NOT EXISTS alert_subs ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " email text,"
    " email_hash text NOT NULL,"
    " lang text NOT NULL,"
    " district text, category text,"
    " frequency text NOT NULL,"
    " lon float8 NOT NULL, lat float8 NOT NULL, radius_m float8 NOT NULL,"
    " lon_min float8 NOT NULL, lon_max float8 NOT NULL, lat_min float8 NOT NULL,"
    " lat_max float8 NOT NULL,"
    " created_at bigint NOT NULL,"
    " confirmed_at bigint NOT NULL DEFAULT 0,"
    " stopped_at bigint NOT NULL DEFAULT 0,"
    " next_digest_at bigint NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS alert_subs_live ON alert_subs (lat_min, lat_max)"
    " WHERE confirmed_at > 0 AND stopped_at = 0;"
    "CREATE INDEX IF NOT EXISTS alert_subs_hash ON alert_subs (email_hash);"
    "CREATE TABLE IF NOT EXISTS digest_items ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " alert_id bigint NOT NULL DEFAULT 0,"
    " department text NOT NULL DEFAULT '',"
    " what text NOT NULL,"
    " report_id bigint NOT NULL DEFAULT 0,"
    " cluster_id bigint NOT NULL DEFAULT 0,"
    " at bigint NOT NULL,"
    " outbox_id bigint NOT NULL DEFAULT 0,"
    " UNIQUE (alert_id, department, what, cluster_id, report_id));"
    "CREATE INDEX IF NOT EXISTS digest_items_waiting ON digest_items (alert_id, department) WHERE outbox_id = 0;"
    "CREATE INDEX IF NOT EXISTS digest_items_outbox ON digest_items (outbox_id) WHERE outbox_id > 0;"
    "CREATE TABLE IF NOT EXISTS dept_schedule (department text PRIMARY KEY, next_digest_at bigint NOT NULL);";

/* Version 12: tenancy, as SQLite's 11 -> 12 (core) and the auth part's
 * migration 2: an account works for the whole region or for the
 * municipalities listed. Accounts that exist stay region-wide. A reference
 * table like users (copied to every node under Citus). */
static const char v12_tenancy[] =
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS region_wide boolean NOT NULL DEFAULT true;"
    "CREATE TABLE IF NOT EXISTS user_municipalities ("
    " user_id bigint NOT NULL REFERENCES users (id),"
    " municipality text NOT NULL,"
    " PRIMARY KEY (user_id, municipality));";

/* Version 13 (pgingest): the counter triggers only mark the transaction;
 * mp_pg_commit bumps the counter once (see the top comment). SQLite has a
 * no-op step 13. */
static const char v13_counter[] =
    "CREATE OR REPLACE FUNCTION meldpunt_changed() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN PERFORM set_config('meldpunt.changed', 'on', true); RETURN NULL; END$$;";

/* Version 14 (pgmap): the map's two read tables, kept by triggers in the
 * writer's own transaction whatever writes (the server, copy-store, an
 * operator's psql), as SQLite's report_map and grid_cells are
 * (store_sqlite_map.h, store_sqlite_schema.c 4 -> 5). SQLite has a no-op
 * step 14. Issue 15: the uncached map read visited about 1,000 scattered
 * heap pages of reports (stored in time order) and 4,000 index and heap
 * pages of clusters (one look-up per row for report_count), 12-15 ms of
 * PostgreSQL CPU at 1M; the grid summed every cluster in the box.
 *
 * report_map: one row per report with its public map properties and its
 * cluster's report_count, written in (strip, lon) order at the migration
 * (strip = a band of latitude 1/1000 degree wide, as SQLite's), so that a
 * box's rows lie on a few dozen neighbouring pages, found through
 * report_map_strip one band at a time (store_pg_map.c). Rows written later
 * go where PostgreSQL puts them (the end of the table, or the page of the
 * version they replace: fillfactor leaves room for the count updates of
 * joins); a box then reads a few more pages, and CLUSTER report_map USING
 * report_map_strip restores the order. municipality is in the key, as in
 * reports'. */
static const char v14_map[] =
    "CREATE TABLE report_map ("
    " id bigint NOT NULL, municipality text NOT NULL,"
    " strip integer NOT NULL, lon double precision NOT NULL, lat double precision NOT NULL,"
    " cluster_id bigint NOT NULL, cluster_count bigint NOT NULL,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL, has_photo boolean NOT NULL,"
    " category text, status text, district text, channel text, description text,"
    " address text, location text,"
    " PRIMARY KEY (id, municipality)) WITH (fillfactor = 90);"
    "INSERT INTO report_map SELECT r.id, r.municipality, trunc((r.lat + 90) * 1000)::integer,"
    " r.lon, r.lat, r.cluster_id, coalesce(c.report_count, 0), r.created_at, r.updated_at,"
    " EXISTS (SELECT 1 FROM photos p WHERE p.report_id = r.id), r.category, r.status,"
    " r.district, r.channel, r.description, r.address, r.location FROM reports r"
    " LEFT JOIN clusters c ON c.id = r.cluster_id AND c.municipality = r.municipality"
    " ORDER BY 3, 4, 1;"
    "CREATE INDEX report_map_strip ON report_map (strip, lon);"
    "CREATE INDEX report_map_cluster ON report_map (cluster_id);"
    /* A report's row, written again whole on any change of what it shows. */
    "CREATE FUNCTION meldpunt_map_report() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.id <> NEW.id"
    "  OR OLD.municipality <> NEW.municipality) THEN"
    "  DELETE FROM report_map WHERE id = OLD.id AND municipality = OLD.municipality;"
    " END IF;"
    " IF TG_OP <> 'DELETE' THEN"
    "  INSERT INTO report_map VALUES (NEW.id, NEW.municipality,"
    "   trunc((NEW.lat + 90) * 1000)::integer, NEW.lon, NEW.lat, NEW.cluster_id,"
    "   coalesce((SELECT c.report_count FROM clusters c WHERE c.id = NEW.cluster_id"
    "    AND c.municipality = NEW.municipality), 0), NEW.created_at, NEW.updated_at,"
    "   EXISTS (SELECT 1 FROM photos p WHERE p.report_id = NEW.id),"
    "   NEW.category, NEW.status, NEW.district, NEW.channel, NEW.description, NEW.address,"
    "   NEW.location)"
    "  ON CONFLICT (id, municipality) DO UPDATE SET strip = excluded.strip,"
    "   lon = excluded.lon, lat = excluded.lat, cluster_id = excluded.cluster_id,"
    "   cluster_count = excluded.cluster_count, created_at = excluded.created_at,"
    "   updated_at = excluded.updated_at, has_photo = excluded.has_photo,"
    "   category = excluded.category, status = excluded.status, district = excluded.district,"
    "   channel = excluded.channel, description = excluded.description,"
    "   address = excluded.address, location = excluded.location;"
    " END IF;"
    " RETURN NULL; END$$;"
    "CREATE TRIGGER reports_map AFTER INSERT OR DELETE ON reports"
    " FOR EACH ROW EXECUTE FUNCTION meldpunt_map_report();"
    "CREATE TRIGGER reports_map_update AFTER UPDATE OF id, municipality, cluster_id, category,"
    " description, address, channel, status, district, lon, lat, created_at, updated_at,"
    " location ON reports FOR EACH ROW EXECUTE FUNCTION meldpunt_map_report();"
    /* A cluster's count changes at every join: only that column of its
     * members' rows is written (through report_map_cluster). On insert too:
     * re-clustering points reports at clusters it inserts later. */
    "CREATE FUNCTION meldpunt_map_count() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " UPDATE report_map SET cluster_count = NEW.report_count WHERE cluster_id = NEW.id"
    "  AND municipality = NEW.municipality AND cluster_count <> NEW.report_count;"
    " RETURN NULL; END$$;"
    "CREATE TRIGGER clusters_map AFTER INSERT ON clusters"
    " FOR EACH ROW EXECUTE FUNCTION meldpunt_map_count();"
    "CREATE TRIGGER clusters_map_count AFTER UPDATE OF report_count ON clusters FOR EACH ROW"
    " WHEN (OLD.report_count IS DISTINCT FROM NEW.report_count)"
    " EXECUTE FUNCTION meldpunt_map_count();"
    "CREATE FUNCTION meldpunt_map_photo() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " IF TG_OP <> 'INSERT' THEN UPDATE report_map SET has_photo = EXISTS (SELECT 1 FROM photos p"
    "  WHERE p.report_id = OLD.report_id) WHERE id = OLD.report_id; END IF;"
    " IF TG_OP <> 'DELETE' THEN UPDATE report_map SET has_photo = true"
    "  WHERE id = NEW.report_id AND NOT has_photo; END IF;"
    " RETURN NULL; END$$;"
    "CREATE TRIGGER photos_map AFTER INSERT OR DELETE OR UPDATE OF report_id ON photos"
    " FOR EACH ROW EXECUTE FUNCTION meldpunt_map_photo();"
    "CREATE FUNCTION meldpunt_map_truncate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " TRUNCATE report_map; RETURN NULL; END$$;"
    "CREATE TRIGGER reports_map_truncate AFTER TRUNCATE ON reports"
    " FOR EACH STATEMENT EXECUTE FUNCTION meldpunt_map_truncate();";

/* ... and grid_cells: clusters and reports per cell of the global lattice
 * at levels 10, 12 and 14 (cell side 90 / 2^level degrees, the cells of
 * SQLite's grid_cells), per category, status and municipality, kept exact
 * by triggers on every change of a cluster, so that the grid reads a few
 * hundred cells however many clusters lie under them (store_pg_grid.c).
 * Written in key order, with room on each page for the updates (which then
 * stay on their page: no indexed column changes), so that a box's cells
 * lie together; counts are integer because sum(integer) is a bigint, where
 * sum(bigint) would add numerics. */
#define GRID_LEVELS_SQL                                                                            \
    "(VALUES (10::smallint, 0.087890625::float8), (12::smallint, 0.02197265625::float8),"         \
    " (14::smallint, 0.0054931640625::float8)) l(level, side)"
static const char v14_grid[] =
    "CREATE TABLE grid_cells ("
    " level smallint NOT NULL, gx bigint NOT NULL, gy bigint NOT NULL,"
    " category text NOT NULL, status text NOT NULL, municipality text NOT NULL,"
    " clusters integer NOT NULL, reports integer NOT NULL,"
    " sum_lon double precision NOT NULL, sum_lat double precision NOT NULL,"
    " PRIMARY KEY (level, gx, gy, category, status, municipality)) WITH (fillfactor = 70);"
    "INSERT INTO grid_cells SELECT l.level, trunc((c.lon + 180) / l.side)::bigint,"
    " trunc((c.lat + 90) / l.side)::bigint, c.category, c.status, c.municipality, count(*),"
    " sum(c.report_count), sum(c.lon), sum(c.lat) FROM clusters c CROSS JOIN " GRID_LEVELS_SQL
    " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6;"
    /* One cluster (its municipality, category, status, lon, lat and report
     * count) added (sign 1) to or taken (-1) from its three cells. PL/pgSQL,
     * not SQL: its statements' plans are kept for the session, where an SQL
     * function called from a trigger is planned again at every call. */
    "CREATE FUNCTION meldpunt_grid_add(m text, cat text, st text, x float8, y float8, n bigint,"
    " sign integer) RETURNS void LANGUAGE plpgsql AS $$BEGIN"
    " INSERT INTO grid_cells SELECT l.level, trunc((x + 180) / l.side)::bigint,"
    "  trunc((y + 90) / l.side)::bigint, cat, st, m, sign, sign * n, sign * x, sign * y"
    "  FROM " GRID_LEVELS_SQL
    "  ON CONFLICT (level, gx, gy, category, status, municipality) DO UPDATE SET"
    "  clusters = grid_cells.clusters + excluded.clusters,"
    "  reports = grid_cells.reports + excluded.reports,"
    "  sum_lon = grid_cells.sum_lon + excluded.sum_lon,"
    "  sum_lat = grid_cells.sum_lat + excluded.sum_lat;"
    " END$$;"
    /* A join changes a cluster's count and moves it a little: mostly within
     * its level-14 cell, and so within its level-12 and 10 cells (sides in
     * powers of two: the division is exact scaling). Then one statement
     * changes the three rows in place (the sums as SQLite's two upserts
     * round them: minus the old value, then plus the new). */
    "CREATE FUNCTION meldpunt_grid() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " IF TG_OP = 'UPDATE' AND OLD.municipality = NEW.municipality"
    "  AND OLD.category = NEW.category AND OLD.status = NEW.status"
    "  AND trunc((OLD.lon + 180) / 0.0054931640625) = trunc((NEW.lon + 180) / 0.0054931640625)"
    "  AND trunc((OLD.lat + 90) / 0.0054931640625) = trunc((NEW.lat + 90) / 0.0054931640625) THEN"
    "  UPDATE grid_cells SET reports = reports - OLD.report_count + NEW.report_count,"
    "   sum_lon = sum_lon - OLD.lon + NEW.lon, sum_lat = sum_lat - OLD.lat + NEW.lat"
    "   WHERE (level, gx, gy) IN (SELECT l.level, trunc((NEW.lon + 180) / l.side)::bigint,"
    "    trunc((NEW.lat + 90) / l.side)::bigint FROM " GRID_LEVELS_SQL ")"
    "   AND category = NEW.category AND status = NEW.status AND municipality = NEW.municipality;"
    "  RETURN NULL;"
    " END IF;"
    " IF TG_OP <> 'INSERT' THEN PERFORM meldpunt_grid_add(OLD.municipality, OLD.category,"
    "  OLD.status, OLD.lon, OLD.lat, OLD.report_count, -1); END IF;"
    " IF TG_OP <> 'DELETE' THEN PERFORM meldpunt_grid_add(NEW.municipality, NEW.category,"
    "  NEW.status, NEW.lon, NEW.lat, NEW.report_count, 1); END IF;"
    " RETURN NULL; END$$;"
    "CREATE TRIGGER clusters_grid AFTER INSERT OR DELETE ON clusters"
    " FOR EACH ROW EXECUTE FUNCTION meldpunt_grid();"
    "CREATE TRIGGER clusters_grid_update AFTER UPDATE OF municipality, category, status,"
    " report_count, lon, lat ON clusters FOR EACH ROW"
    " WHEN ((OLD.municipality, OLD.category, OLD.status, OLD.report_count, OLD.lon, OLD.lat)"
    " IS DISTINCT FROM (NEW.municipality, NEW.category, NEW.status, NEW.report_count, NEW.lon,"
    " NEW.lat)) EXECUTE FUNCTION meldpunt_grid();"
    "CREATE FUNCTION meldpunt_grid_truncate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " TRUNCATE grid_cells; RETURN NULL; END$$;"
    "CREATE TRIGGER clusters_grid_truncate AFTER TRUNCATE ON clusters"
    " FOR EACH STATEMENT EXECUTE FUNCTION meldpunt_grid_truncate();"
    "ANALYZE report_map; ANALYZE grid_cells;";
/* Version 15 (sqlwriter): nothing on PostgreSQL. SQLite drops the reports'
 * R*Tree (its boxes read report_map); the GiST index here costs a report
 * far less than SQLite's R*Tree did. */
static const char v15_noop[] = "SELECT 1;";

static const struct {
    int version;
    const char *parts[MAX_PARTS];
} migrations[] = {
    {10,
     {
         v10_core,    /* reports, clusters, history, photos */
         v10_people,  /* corrections, link constraints, users, audit */
         v10_work,    /* Open311, work */
         v10_counter, /* change_counter */
         v10_notify,  /* outbox, subscriptions, tokens, KTO, webhooks (pgnotify) */
         v10_reads,   /* merges, meldpunt_json_kind (pgreads) */
     }},
    {11, {v11_alerts}}, /* alerts */
    {12, {v12_tenancy}}, /* tenancy: accounts' municipalities */
    {13, {v13_counter}}, /* change counter bumped at commit (pgingest) */
    {MP_PG_SCHEMA_MAP, {v14_map, v14_grid}}, /* map table and grid pyramid (pgmap) */
    {15, {v15_noop}}, /* SQLite drops the R*Trees (sqlwriter) */
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

_Static_assert(MP_PG_SCHEMA_VERSION == 15, "the last entry of migrations is the schema version");

static const char sql_create_log[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
    " applied_at bigint NOT NULL)";
static const char sql_version[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
static const char sql_log[] = "INSERT INTO schema_migrations VALUES ($1, $2)";

enum mp_status mp_pg_exec_script(struct mp_pg_sess *s, const char *sql, const char *what)
{
    PGresult *r = PQexec(s->conn, sql);
    ExecStatusType st = PQresultStatus(r);
    enum mp_status rc =
        st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? MP_OK : mp_pg_status(s, r, what);
    PQclear(r);
    return rc;
}

int mp_pg_schema_read_version(struct mp_pg_sess *s)
{
    int64_t v = -1;
    /* A database without the table has no schema at all: version 0. */
    static const char sql_exists[] = "SELECT to_regclass('schema_migrations') IS NOT NULL";
    bool exists = false;
    PGresult *r = PQexecParams(s->conn, sql_exists, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        exists = mp_pg_col_bool(r, 0, 0);
    else
        v = -2;
    PQclear(r);
    if (v == -2)
        return -1;
    if (!exists)
        return 0;
    if (mp_pg_first(&s->head, sql_version, NULL, mp_pg_row_int64, &v, "schema version"))
        return -1;
    return (int)v;
}

enum mp_status mp_pg_schema_migrate(struct mp_pg_sess *s, struct mp_error *err)
{
    enum mp_status rc;
    int64_t v = -1;
    struct mp_pg_params p;
    if ((rc = mp_pg_exec_script(s, "BEGIN; SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")",
                                "schema lock")))
        return mp_fail(err, rc, "store", "cannot lock the database to check its schema");
    s->in_tx = true; /* a lost connection must not be replaced halfway */
    if ((rc = mp_pg_exec_script(s, sql_create_log, "schema")) ||
        (rc = mp_pg_first(&s->head, sql_version, NULL, mp_pg_row_int64, &v, "schema version"))) {
        rc = mp_fail(err, rc, "store", "cannot read the schema version");
        goto out;
    }
    if (v > MP_PG_SCHEMA_VERSION) {
        rc = mp_fail(err, MP_EDB, "store",
                     "database schema version %lld is newer than this build (%d)", (long long)v,
                     MP_PG_SCHEMA_VERSION);
        goto out;
    }
    for (size_t i = 0; i < NMIGRATIONS; i++) {
        if (migrations[i].version <= v)
            continue;
        mp_pg_params_init(&p);
        mp_pg_int64(&p, migrations[i].version);
        mp_pg_int64(&p, mp_time_now());
        for (size_t k = 0; rc == MP_OK && k < MAX_PARTS && migrations[i].parts[k]; k++)
            rc = mp_pg_exec_script(s, migrations[i].parts[k], "schema upgrade");
        if (rc || (rc = mp_pg_run(&s->head, sql_log, &p, NULL, "schema upgrade"))) {
            rc = mp_fail(err, rc, "store", "schema upgrade to version %d failed",
                         migrations[i].version);
            goto out;
        }
    }
    rc = mp_pg_exec_script(s, "COMMIT", "schema commit");
    if (rc)
        rc = mp_fail(err, rc, "store", "cannot save the schema");
out:
    if (rc)
        (void)mp_pg_exec_script(s, "ROLLBACK", "schema rollback");
    s->in_tx = false;
    /* The statements prepared inside the transaction may refer to tables
     * it created; after a rollback they would point at nothing. */
    mp_pg_stmt_forget(s);
    (void)mp_pg_exec_script(s, "DEALLOCATE ALL", "schema");
    return rc;
}
