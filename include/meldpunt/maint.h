/* maint.h - maintenance of a live database: an online, consistent backup
 * copy, and retention (anonymising the contact data of reports closed long
 * ago). Both run while the server keeps serving: SQLite's WAL lets one
 * writer and any number of readers work side by side.
 *
 * The SQL is in server/store_sqlite_maint.c; the command-line front ends
 * (`meldpunt backup`, `meldpunt anonymise`) in server/cli_maint.c.
 *
 * Threads: mp_maint_backup opens its own connections and may run on any
 * thread; mp_maint_anonymise uses the session it is given (one thread at a
 * time, as every store session).
 */
#ifndef MELDPUNT_MAINT_H
#define MELDPUNT_MAINT_H

#include <stdbool.h>
#include <stdint.h>

#include "meldpunt/config.h"
#include "meldpunt/status.h"

struct mp_store_sess;

struct mp_backup_opts {
    unsigned pages_per_step; /* pages copied per step (>= 1) */
    unsigned sleep_ms;       /* pause between steps, to leave the disk to the server */
    bool verify;             /* run PRAGMA integrity_check on the copy before keeping it */
};

/* 64 pages (256 KiB) per step, 2 ms pauses, verify on. */
void mp_backup_opts_default(struct mp_backup_opts *o);

struct mp_backup_stats {
    int64_t pages;    /* pages in the copy */
    int64_t steps;    /* backup steps taken */
    int64_t restarts; /* times the copy had to start over (0: the snapshot held) */
    int64_t reports;  /* reports in the copy */
    int64_t max_report_id;
    int64_t bytes;    /* size of the copy */
};

/* Copy the SQLite database at location into dest_path as it stood at one
 * instant (a postgresql:// location: MP_EUNSUPPORTED, whose message says to
 * use pg_dump or continuous archiving).
 * The copy is taken inside one read transaction on the source, so writers
 * go on unhindered and the copy never has to restart; it is written to a
 * temporary file beside dest_path, checked (opts->verify), switched to
 * rollback-journal mode so that it is one self-contained file, synced and
 * only then renamed over dest_path: dest_path either keeps its old content
 * or gets a complete copy. MP_EINVAL when dest_path is the database itself,
 * MP_ENOTFOUND when location does not exist, MP_EIO on a write or check
 * failure. stats may be NULL. */
enum mp_status mp_maint_backup(const char *location, const char *dest_path,
                               const struct mp_backup_opts *opts, struct mp_backup_stats *stats,
                               struct mp_error *err) MP_WUR;

struct mp_anonymise_stats {
    int64_t clusters;     /* closed clusters older than the cut-off */
    int64_t reports;      /* their reports that still held contact data */
    int64_t descriptions; /* descriptions in which typed-in contacts were masked */
    int64_t open311;      /* Open311 device_id/account_id pairs cleared */
    int64_t attributes;   /* Open311 attribute answers in which typed-in contacts were masked */
    int64_t outbox;       /* outbox messages deleted (with sign-in mail older than the cut-off) */
    int64_t tokens;       /* link tokens deleted (with every token expired by the cut-off) */
    int64_t subscriptions;/* reporters' subscriptions deleted */
    int64_t answers;      /* satisfaction answers whose text and photo were cleared */
    int64_t alerts;       /* area alerts (unconfirmed or stopped) whose address was cleared */
};

/* Remove the reporter's personal data from every report whose cluster is
 * fixed, closed or not_responsible and was last changed before `cutoff`
 * (Unix seconds): contact_name, contact_email and contact_phone become NULL,
 * e-mail addresses and phone numbers typed into the description and into
 * the answers to Open311 attributes are masked as in public output, and the
 * Open311 device and account ids are cleared; their reporters' mail goes
 * too: outbox messages (and sign-in mail older than the cut-off), link
 * tokens, subscriptions, and the text and photo of satisfaction answers
 * (the stop list, hashes only, stays). Area alerts (store_alerts.h) never
 * confirmed and created before the cut-off, or stopped before it, lose their
 * address and their unsent digest items (the hash stays, for the stop list
 * and unsubscribe); confirmed live alerts are kept: the subscriber consented
 * and can unsubscribe.
 * Public fields (category, place, status, times) are left as they were. Runs
 * in its own write transaction (MP_EUNAVAIL when the database is busy or
 * read-only), which also writes an audit entry by actor (NULL: "retention")
 * when anything changed. With dry_run nothing is changed and the counts say
 * what would be. */
enum mp_status mp_maint_anonymise(struct mp_store_sess *sess, int64_t cutoff, bool dry_run,
                                  const char *actor, struct mp_anonymise_stats *stats,
                                  struct mp_error *err) MP_WUR;

/* meldpunt backup [--db PATH] [--pages N] [--sleep-ms MS] [--no-verify] FILE */
int mp_cli_backup(struct mp_config *cfg, int argc, char **argv);
/* meldpunt anonymise [--db PATH] --days N [--dry-run] */
int mp_cli_anonymise(struct mp_config *cfg, int argc, char **argv);

#endif
