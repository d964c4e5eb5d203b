/* store_maint.c - the store parts of maint.h (backup, anonymise) as calls
 * through the engine table (store_engine.h), like store.c does for store.h.
 * A file of its own because maint.h belongs to the maintenance commands,
 * which themselves call the store: store.c including it would make a cycle. */
#include "meldpunt/maint.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/store_auth.h"
#include "meldpunt/timeutil.h"
#include "store_engine.h"

enum mp_status mp_maint_backup(const char *location, const char *dest_path,
                               const struct mp_backup_opts *opts, struct mp_backup_stats *stats,
                               struct mp_error *err)
{
    const struct mp_store_engine *e = mp_store_engine_for(location);
    if (!e->maint_backup)
        return mp_store_unsupported_fail(e, "maint_backup", err,
                                         "backup is not available on this database engine");
    return e->maint_backup(location, dest_path, opts, stats, err);
}

/* The audit entry of a run, in its transaction, by actor (NULL:
 * "retention"), with a's counts; none when the run changed nothing. */
static enum mp_status anonymise_audit(struct mp_store_sess *sess, int64_t cutoff,
                                      const struct mp_anonymise_stats *a, const char *actor)
{
    if (!(a->reports || a->descriptions || a->open311 || a->attributes || a->outbox || a->tokens ||
          a->subscriptions || a->answers || a->alerts))
        return MP_OK;
    char detail[420];
    snprintf(detail, sizeof detail,
             "{\"cutoff\":%lld,\"clusters\":%lld,\"reports\":%lld,\"descriptions\":%lld,"
             "\"open311\":%lld,\"attributes\":%lld,\"outbox\":%lld,\"tokens\":%lld,"
             "\"subscriptions\":%lld,\"answers\":%lld,\"alerts\":%lld}",
             (long long)cutoff, (long long)a->clusters, (long long)a->reports,
             (long long)a->descriptions, (long long)a->open311, (long long)a->attributes,
             (long long)a->outbox, (long long)a->tokens, (long long)a->subscriptions,
             (long long)a->answers, (long long)a->alerts);
    struct mp_audit_rec rec = {.at = mp_time_now(),
                               .user_name = actor ? actor : "retention",
                               .action = "anonymise",
                               .object_type = "retention",
                               .detail = detail};
    return mp_store_audit_add(sess, &rec);
}

/* One transaction for the whole run, on either engine: the engine's steps,
 * then the audit entry, then commit; a dry run reads in a read transaction
 * and rolls back, so that it can never change anything. */
enum mp_status mp_maint_anonymise(struct mp_store_sess *sess, int64_t cutoff, bool dry_run,
                                  const char *actor, struct mp_anonymise_stats *stats,
                                  struct mp_error *err)
{
    struct mp_anonymise_stats a;
    memset(&a, 0, sizeof a);
    enum mp_status rc = MP_OK;
    if (!sess->eng->maint_anonymise) {
        rc = mp_store_unsupported_fail(sess->eng, "maint_anonymise", err,
                                       "anonymisation is not available on this database engine yet");
        goto out;
    }
    rc = dry_run ? mp_store_begin_read(sess) : mp_store_begin_write(sess, err);
    if (rc) {
        if (dry_run)
            mp_fail(err, rc, "unavailable", "cannot read the database");
        goto out;
    }
    if ((rc = sess->eng->maint_anonymise(sess, cutoff, dry_run, &a)) ||
        (!dry_run && (rc = anonymise_audit(sess, cutoff, &a, actor)))) {
        mp_store_rollback(sess);
        rc = mp_fail(err, rc, rc == MP_EUNAVAIL ? "unavailable" : "store",
                     "anonymisation failed; nothing was changed");
        goto out;
    }
    if (dry_run)
        mp_store_rollback(sess);
    else
        rc = mp_store_commit(sess, err);
out:
    if (rc)
        memset(&a, 0, sizeof a);
    if (stats)
        *stats = a;
    return rc;
}
