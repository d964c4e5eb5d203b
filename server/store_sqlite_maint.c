/* store_maint.c - SQL of the online backup and of retention (see maint.h). */
#include "meldpunt/maint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "meldpunt/store_auth.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "store_sqlite.h"
#include "store_sqlite_engine.h"

void mp_backup_opts_default(struct mp_backup_opts *o)
{
    o->pages_per_step = 64;
    o->sleep_ms = 2;
    o->verify = true;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Run SQL that returns nothing (or whose rows do not matter) on a private
 * connection; details go to the log, never to the caller. */
static enum mp_status run(sqlite3 *db, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "meldpunt: backup: %s: %s (%d)\n", what, msg ? msg : "error", rc);
        sqlite3_free(msg);
        return (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ||
                       (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_READONLY
                   ? MP_EIO
                   : MP_EDB;
    }
    return MP_OK;
}

/* The first column of the first row of sql as text (into out) or integers. */
static int first_row(sqlite3 *db, const char *sql, char *out, size_t cap, int64_t *a, int64_t *b)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(out, cap, "%s", t ? (const char *)t : "");
        }
        if (a)
            *a = sqlite3_column_int64(st, 0);
        if (b)
            *b = sqlite3_column_int64(st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static enum mp_status sync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return MP_EIO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? MP_OK : MP_EIO;
}

static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (!slash) {
        snprintf(out, cap, ".");
    } else if (n == 0) {
        snprintf(out, cap, "/");
    } else {
        if (n >= cap)
            n = cap - 1;
        memcpy(out, path, n);
        out[n] = '\0';
    }
}

/* Remove the temporary copy and whatever journal it left. */
static void remove_tmp(const char *tmp)
{
    char side[1100];
    (void)unlink(tmp);
    snprintf(side, sizeof side, "%s-journal", tmp);
    (void)unlink(side);
    snprintf(side, sizeof side, "%s-wal", tmp);
    (void)unlink(side);
    snprintf(side, sizeof side, "%s-shm", tmp);
    (void)unlink(side);
}

enum mp_status mp_sqlite_maint_backup(const char *db_path, const char *dest_path,
                                      const struct mp_backup_opts *opts,
                                      struct mp_backup_stats *stats, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    struct mp_backup_opts o;
    struct mp_backup_stats s;
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *bk = NULL;
    bool tmp_made = false, reading = false;
    char tmp[1024], dir[1024], check[64];
    struct stat st_src, st_dst;

    memset(&s, 0, sizeof s);
    if (opts)
        o = *opts;
    else
        mp_backup_opts_default(&o);
    if (o.pages_per_step == 0)
        o.pages_per_step = 1;
    if (stat(db_path, &st_src) != 0) {
        rc = mp_fail(err, MP_ENOTFOUND, "not_found", "no database at %.100s", db_path);
        goto out;
    }
    if (stat(dest_path, &st_dst) == 0 &&
        (S_ISDIR(st_dst.st_mode) ||
         (st_dst.st_dev == st_src.st_dev && st_dst.st_ino == st_src.st_ino))) {
        rc = mp_fail(err, MP_EINVAL, "usage",
                     "%.100s is the database itself or a folder; name a new file", dest_path);
        goto out;
    }
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dest_path, (long)getpid()) >= (int)sizeof tmp) {
        rc = mp_fail(err, MP_EINVAL, "usage", "the backup path is too long");
        goto out;
    }

    /* Read-write without create: the source must exist, and a WAL database
     * is most reliably read by a connection that may touch its -shm file.
     * This connection never writes. Read-only is the fallback for a
     * database on read-only storage. */
    int orc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (orc != SQLITE_OK) {
        sqlite3_close(src);
        src = NULL;
        orc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    }
    if (orc != SQLITE_OK) {
        fprintf(stderr, "meldpunt: backup: open %s: %s\n", db_path,
                src ? sqlite3_errmsg(src) : "out of memory");
        rc = mp_fail(err, MP_EIO, "io", "cannot open the database %.100s", db_path);
        goto out;
    }
    sqlite3_busy_timeout(src, 10000);
    /* One read transaction for the whole copy: every step reads the same
     * snapshot, so commits by the server neither disturb nor restart it. */
    if ((rc = run(src, "BEGIN", "begin"))) {
        rc = mp_fail(err, rc, "io", "cannot read the database");
        goto out;
    }
    reading = true;
    if (first_row(src, "SELECT count(*), IFNULL(max(id), 0) FROM reports", NULL, 0, &s.reports,
                  &s.max_report_id) != SQLITE_OK) {
        fprintf(stderr, "meldpunt: backup: %s\n", sqlite3_errmsg(src));
        rc = mp_fail(err, MP_EINVAL, "not_meldpunt", "%.100s is not a meldpunt database",
                     db_path);
        goto out;
    }

    remove_tmp(tmp);
    tmp_made = true;
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        fprintf(stderr, "meldpunt: backup: create %s: %s\n", tmp,
                dst ? sqlite3_errmsg(dst) : "out of memory");
        rc = mp_fail(err, MP_EIO, "io", "cannot create %.100s", tmp);
        goto out;
    }
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
        fprintf(stderr, "meldpunt: backup: %s\n", sqlite3_errmsg(dst));
        rc = mp_fail(err, MP_EIO, "io", "cannot start the copy");
        goto out;
    }
    int remaining = -1;
    for (;;) {
        int brc = sqlite3_backup_step(bk, (int)o.pages_per_step);
        s.steps++;
        int now_left = sqlite3_backup_remaining(bk);
        if (remaining >= 0 && now_left > remaining)
            s.restarts++;
        remaining = now_left;
        if (brc == SQLITE_DONE)
            break;
        if (brc != SQLITE_OK && brc != SQLITE_BUSY && brc != SQLITE_LOCKED) {
            fprintf(stderr, "meldpunt: backup: step: %s (%d)\n", sqlite3_errstr(brc), brc);
            rc = mp_fail(err, MP_EIO, "io", "copying failed (disk full or unreadable?)");
            goto out;
        }
        if (o.sleep_ms)
            sleep_ms(o.sleep_ms);
    }
    s.pages = sqlite3_backup_pagecount(bk);
    int frc = sqlite3_backup_finish(bk);
    bk = NULL;
    if (frc != SQLITE_OK) {
        fprintf(stderr, "meldpunt: backup: finish: %s\n", sqlite3_errstr(frc));
        rc = mp_fail(err, MP_EIO, "io", "copying failed");
        goto out;
    }
    (void)run(src, "COMMIT", "end read");
    reading = false;

    if (o.verify) {
        check[0] = '\0';
        if (first_row(dst, "PRAGMA integrity_check", check, sizeof check, NULL, NULL) !=
                SQLITE_OK ||
            strcmp(check, "ok") != 0) {
            fprintf(stderr, "meldpunt: backup: integrity_check of the copy: %s\n", check);
            rc = mp_fail(err, MP_EIO, "corrupt", "the copy failed its integrity check");
            goto out;
        }
    }
    /* The source is in WAL mode and the copy inherits that; a backup file
     * should stand alone, without -wal and -shm beside it. */
    check[0] = '\0';
    if (first_row(dst, "PRAGMA journal_mode = DELETE", check, sizeof check, NULL, NULL) !=
            SQLITE_OK ||
        strcmp(check, "delete") != 0) {
        rc = mp_fail(err, MP_EIO, "io", "cannot finish the copy");
        goto out;
    }
    if (sqlite3_close(dst) != SQLITE_OK) {
        rc = mp_fail(err, MP_EIO, "io", "cannot close the copy");
        goto out;
    }
    dst = NULL;
    struct stat st_tmp;
    if (sync_path(tmp, false) != MP_OK || stat(tmp, &st_tmp) != 0) {
        rc = mp_fail(err, MP_EIO, "io", "cannot sync %.100s: %s", tmp, strerror(errno));
        goto out;
    }
    s.bytes = (int64_t)st_tmp.st_size;
    if (rename(tmp, dest_path) != 0) {
        rc = mp_fail(err, MP_EIO, "io", "cannot rename the copy to %.100s: %s", dest_path,
                     strerror(errno));
        goto out;
    }
    tmp_made = false;
    dir_of(dest_path, dir, sizeof dir);
    if (sync_path(dir, true) != MP_OK) {
        rc = mp_fail(err, MP_EIO, "io", "cannot sync the folder %.100s", dir);
        goto out;
    }
out:
    if (bk)
        (void)sqlite3_backup_finish(bk);
    if (reading)
        (void)run(src, "ROLLBACK", "end read");
    sqlite3_close(src);
    sqlite3_close(dst);
    if (tmp_made && rc != MP_OK)
        remove_tmp(tmp);
    if (stats)
        *stats = s;
    return rc;
}

/* ---- retention ---- */

/* Clusters that are resolved (?2: the resolved statuses of vocab.h, as a
 * JSON list) and whose last change is older than ?1. updated_at moves with
 * every change of the cluster, so it is never earlier than the moment it was
 * closed: the rule can only keep data longer than asked, never remove it
 * early. */
#define OLD_CLOSED                                                                               \
    "SELECT id FROM clusters WHERE status IN (SELECT value FROM json_each(?2))"                 \
    " AND MAX(updated_at, fixed_at) < ?1"
#define HAS_CONTACT                                                                              \
    "(contact_name IS NOT NULL OR contact_email IS NOT NULL OR contact_phone IS NOT NULL)"
#define HAS_O311_IDS "(device_id IS NOT NULL OR account_id IS NOT NULL)"
/* Answers to Open311 attributes are stored as the client sent them, JSON
 * objects: json those the service defines ({code: text or [texts]}), extra
 * those it does not. Typed text like a description, at any depth (an answer
 * that is itself an object or a list too): mp_mask_json, in C, is the one
 * rule of both engines (store_pg_maint.c), and a row counts once when either
 * column changes. */
#define ATTRS_TO_MASK "(json IS NOT mp_mask_json(json) OR extra IS NOT mp_mask_json(extra))"
#define OF_OLD_CLOSED " AND report_id IN (SELECT id FROM reports WHERE cluster_id IN (" OLD_CLOSED "))"

static const char sql_count_clusters[] =
    "SELECT count(*) FROM clusters WHERE status IN (SELECT value FROM json_each(?2))"
    " AND MAX(updated_at, fixed_at) < ?1";
static const char sql_count_contacts[] =
    "SELECT count(*) FROM reports WHERE cluster_id IN (" OLD_CLOSED ") AND " HAS_CONTACT;
static const char sql_clear_contacts[] =
    "UPDATE reports SET contact_name = NULL, contact_email = NULL, contact_phone = NULL"
    " WHERE cluster_id IN (" OLD_CLOSED ") AND " HAS_CONTACT;
static const char sql_count_desc[] =
    "SELECT count(*) FROM reports WHERE cluster_id IN (" OLD_CLOSED ")"
    " AND description <> mp_mask_contacts(description)";
static const char sql_mask_desc[] =
    "UPDATE reports SET description = mp_mask_contacts(description)"
    " WHERE cluster_id IN (" OLD_CLOSED ") AND description <> mp_mask_contacts(description)";
static const char sql_count_o311[] =
    "SELECT count(*) FROM open311_attributes WHERE " HAS_O311_IDS
    " AND report_id IN (SELECT id FROM reports WHERE cluster_id IN (" OLD_CLOSED "))";
static const char sql_clear_o311[] =
    "UPDATE open311_attributes SET device_id = NULL, account_id = NULL WHERE " HAS_O311_IDS
    " AND report_id IN (SELECT id FROM reports WHERE cluster_id IN (" OLD_CLOSED "))";
static const char sql_count_attrs[] =
    "SELECT count(*) FROM open311_attributes WHERE " ATTRS_TO_MASK OF_OLD_CLOSED;
static const char sql_mask_attrs[] =
    "UPDATE open311_attributes SET json = mp_mask_json(json), extra = mp_mask_json(extra)"
    " WHERE " ATTRS_TO_MASK OF_OLD_CLOSED;

/* The reporters' mail of those reports (outbox.h): messages (and sign-in
 * messages older than the cut-off, which belong to no report), tokens,
 * subscriptions, and what reporters wrote in the satisfaction check. The
 * stop list stays: it holds only hashes, and an opt-out must hold. */
#define OLD_REPORTS "SELECT id FROM reports WHERE cluster_id IN (" OLD_CLOSED ")"
#define OLD_MAIL "report_id IN (" OLD_REPORTS ") OR (report_id IS NULL AND created_at < ?1)"
#define OLD_TOKENS "report_id IN (" OLD_REPORTS ") OR expires_at < ?1"
#define KTO_WRITTEN "(text IS NOT NULL OR photo IS NOT NULL)"
static const char sql_count_outbox[] = "SELECT count(*) FROM outbox WHERE " OLD_MAIL;
static const char sql_clear_outbox[] = "DELETE FROM outbox WHERE " OLD_MAIL;
static const char sql_count_tokens[] = "SELECT count(*) FROM notify_tokens WHERE " OLD_TOKENS;
static const char sql_clear_tokens[] = "DELETE FROM notify_tokens WHERE " OLD_TOKENS;
static const char sql_count_subs[] =
    "SELECT count(*) FROM notify_subs WHERE report_id IN (" OLD_REPORTS ")";
static const char sql_clear_subs[] =
    "DELETE FROM notify_subs WHERE report_id IN (" OLD_REPORTS ")";
static const char sql_count_kto[] = "SELECT count(*) FROM kto_answers WHERE " KTO_WRITTEN
                                    " AND report_id IN (" OLD_REPORTS ")";
static const char sql_clear_kto[] =
    "UPDATE kto_answers SET text = NULL, photo = NULL, photo_thumb = NULL WHERE " KTO_WRITTEN
    " AND report_id IN (" OLD_REPORTS ")";
/* Area alerts (store_alerts.h) that never got consent (unconfirmed and made
 * before the cut-off) or whose consent ended before it (stopped): their
 * address and their unsent digest items go; email_hash stays, for the stop
 * list and unsubscribe. Confirmed live alerts stay whole: the subscriber
 * asked for them and can stop them. These bind only ?1. */
#define OLD_ALERTS "((confirmed_at = 0 AND created_at < ?1) OR (stopped_at > 0 AND stopped_at < ?1))"
static const char sql_count_alerts[] =
    "SELECT count(*) FROM alert_subs WHERE email IS NOT NULL AND " OLD_ALERTS;
static const char sql_clear_alerts[] =
    "UPDATE alert_subs SET email = NULL WHERE email IS NOT NULL AND " OLD_ALERTS;
#define OLD_ITEMS                                                                                  \
    "outbox_id = 0 AND department = '' AND alert_id IN (SELECT id FROM alert_subs WHERE " OLD_ALERTS ")"
static const char sql_count_items[] = "SELECT count(*) FROM digest_items WHERE " OLD_ITEMS;
static const char sql_clear_items[] = "DELETE FROM digest_items WHERE " OLD_ITEMS;

/* SQL function mp_mask_contacts(text): the text as public output shows it. */
static void fn_mask(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *in = sqlite3_value_text(argv[0]);
    if (!in) {
        sqlite3_result_null(c);
        return;
    }
    char *out = mp_text_mask_contacts((const char *)in);
    if (!out) {
        sqlite3_result_error_nomem(c);
        return;
    }
    sqlite3_result_text(c, out, -1, free);
}

/* SQL function mp_mask_json(text): the JSON text with every string in it
 * masked (text.h), or the text itself when nothing changes. */
static void fn_mask_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *in = sqlite3_value_text(argv[0]);
    bool nomem = false;
    char *out = in ? mp_text_mask_json((const char *)in, &nomem) : NULL;
    if (nomem)
        sqlite3_result_error_nomem(c);
    else if (out)
        sqlite3_result_text(c, out, -1, free);
    else
        sqlite3_result_value(c, argv[0]);
}

/* Count (dry run) or change (and count the changed rows) with one
 * statement bound to the cut-off and, when it has ?2, the resolved
 * statuses. */
static enum mp_status apply(struct mp_store_sess *s, const char *count_sql, const char *change_sql,
                            bool dry_run, int64_t cutoff, int64_t *n)
{
    const char *resolved[MP_VOCAB_STATUSES_MAX];
    size_t nresolved = mp_vocab_status_codes(MP_VOCAB_RESOLVED, resolved, MP_VOCAB_STATUSES_MAX);
    sqlite3_stmt *st = mp_stmt_id(s, dry_run || !change_sql ? count_sql : change_sql, cutoff);
    if (st && sqlite3_bind_parameter_count(st) >= 2 &&
        mp_bind_list(st, 2, resolved, nresolved, false) != MP_OK) {
        mp_stmt_done(st);
        return MP_ENOMEM;
    }
    enum mp_status rc = mp_stmt_first(s, st, mp_row_int64, n, "anonymise");
    if (rc == MP_ENOTFOUND) { /* a change returns no row: count what it changed */
        *n = sqlite3_changes64(mp_sq(s)->db);
        rc = MP_OK;
    }
    return rc;
}

enum mp_status mp_sqlite_maint_anonymise(struct mp_store_sess *s, int64_t cutoff, bool dry_run,
                                         struct mp_anonymise_stats *stats)
{
    struct mp_anonymise_stats a;
    memset(&a, 0, sizeof a);
    int64_t items = 0; /* digest items of those alerts: not reported on their own */
    enum mp_status rc = MP_OK;
    if (sqlite3_create_function(mp_sq(s)->db, "mp_mask_contacts", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                fn_mask, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(mp_sq(s)->db, "mp_mask_json", 1,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL,
                                fn_mask_json, NULL, NULL) != SQLITE_OK) {
        rc = MP_EDB;
        goto out;
    }
    if ((rc = apply(s, sql_count_clusters, NULL, dry_run, cutoff, &a.clusters)) ||
        (rc = apply(s, sql_count_contacts, sql_clear_contacts, dry_run, cutoff, &a.reports)) ||
        (rc = apply(s, sql_count_desc, sql_mask_desc, dry_run, cutoff, &a.descriptions)) ||
        (rc = apply(s, sql_count_o311, sql_clear_o311, dry_run, cutoff, &a.open311)) ||
        (rc = apply(s, sql_count_attrs, sql_mask_attrs, dry_run, cutoff, &a.attributes)) ||
        (rc = apply(s, sql_count_outbox, sql_clear_outbox, dry_run, cutoff, &a.outbox)) ||
        (rc = apply(s, sql_count_tokens, sql_clear_tokens, dry_run, cutoff, &a.tokens)) ||
        (rc = apply(s, sql_count_subs, sql_clear_subs, dry_run, cutoff, &a.subscriptions)) ||
        (rc = apply(s, sql_count_kto, sql_clear_kto, dry_run, cutoff, &a.answers)) ||
        (rc = apply(s, sql_count_items, sql_clear_items, dry_run, cutoff, &items)) ||
        (rc = apply(s, sql_count_alerts, sql_clear_alerts, dry_run, cutoff, &a.alerts)))
        goto out;
    *stats = a;
out:
    return rc;
}
