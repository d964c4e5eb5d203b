#include "meldpunt/ingest.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "meldpunt/store.h"

struct mp_ingest {
    struct mp_ctx *ctx;
    size_t max_batch;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mp_ingest_job *head, *tail;
    size_t queued; /* jobs in head..tail, under lock */
    bool stopping, started;
    mp_ingest_batch_fn on_batch; /* set before the first submit */
    void *on_batch_ctx;
};

static void finish_all(struct mp_ingest_job *batch)
{
    while (batch) {
        struct mp_ingest_job *next = batch->next; /* done() may free the job */
        batch->done(batch->cookie);
        batch = next;
    }
}

static void fail_all(struct mp_ingest_job *batch, enum mp_status rc, const struct mp_error *err)
{
    for (struct mp_ingest_job *j = batch; j; j = j->next) {
        if (j->rc != MP_OK)
            continue; /* keeps its own validation error */
        j->rc = rc;
        j->err = *err;
        memset(&j->res, 0, sizeof j->res);
    }
}

/* Run the jobs of batch in the open write transaction. With savepoints each
 * job runs in one of its own, so that a failed job leaves nothing behind.
 * Without, a job that fails before it wrote anything (an unknown same_as, a
 * category mismatch: the usual failures) leaves nothing either, and false
 * means one failed after it wrote, or on a database error: the transaction
 * must be rolled back and the batch run again with savepoints. The fast path first, because a
 * savepoint copies every page a job changes before it changes it (about a
 * sixth of the writer's instructions per report). */
static bool run_jobs(struct mp_ctx *ctx, struct mp_ingest_job *batch, bool savepoints)
{
    enum mp_status rc;
    for (struct mp_ingest_job *j = batch; j; j = j->next) {
        if (savepoints && (rc = mp_store_savepoint(ctx->db))) {
            j->rc = mp_fail(&j->err, MP_EUNAVAIL, "unavailable",
                            "the report could not be stored; try again later");
            continue;
        }
        int64_t changes = mp_store_changes(ctx->db);
        j->rc = mp_report_submit(ctx, &j->in, false, &j->res, &j->err);
        if (j->rc == MP_OK && j->staff) {
            /* Staff intake on a caller's behalf is a staff action: audit it
             * in the same savepoint as the report. */
            char detail[64];
            snprintf(detail, sizeof detail, "{\"channel\":\"%.16s\"}", j->in.channel);
            if (mp_auth_audit(ctx, j->staff, "intake", "report", j->res.report_id, detail))
                j->rc = mp_fail(&j->err, MP_EUNAVAIL, "unavailable",
                                "the report could not be stored; try again later");
        }
        if (!savepoints) {
            /* A database error may have ended the transaction itself; an
             * engine that cannot count its changes (-1) gets savepoints. */
            if (j->rc && (j->rc == MP_EDB || j->rc == MP_EUNAVAIL || j->rc == MP_ENOMEM ||
                          changes < 0 || mp_store_changes(ctx->db) != changes))
                return false;
        } else if (j->rc) {
            mp_store_savepoint_undo(ctx->db);
        } else if (mp_store_savepoint_release(ctx->db) != MP_OK) {
            j->rc = mp_fail(&j->err, MP_EUNAVAIL, "unavailable",
                            "the report could not be stored; try again later");
        }
    }
    return true;
}

/* The write transaction of batch: where the engine locks places
 * rather than the database (PostgreSQL), only those of the batch's reports,
 * so that another server writing elsewhere goes on at the same time. */
static enum mp_status begin_batch(struct mp_ctx *ctx, struct mp_ingest_job *batch, size_t n,
                                  struct mp_error *err)
{
    struct mp_store_place *places =
        mp_store_locks_places(ctx->db) ? malloc(n * sizeof *places) : NULL;
    size_t k = 0;
    for (struct mp_ingest_job *j = batch; places && j && k < n; j = j->next)
        if (!mp_report_place(ctx, &j->in, &places[k++])) {
            free(places);
            places = NULL;
        }
    enum mp_status rc = places ? mp_store_begin_write_places(ctx->db, places, k, err)
                               : mp_store_begin_write(ctx->db, err);
    free(places);
    return rc;
}

/* How often a batch that lost to another writer (PostgreSQL:
 * deadlock detected, serialization failure; two servers' batches whose
 * rows are shared by different places) is run again, from the start,
 * before its reports are answered 503. Nothing is acknowledged before
 * COMMIT, so a try that lost has told nobody anything. */
#define CONFLICT_TRIES 5

/* A short pause before the next try, longer each time and jittered so that
 * two writers that collided do not collide again in step. */
static void conflict_pause(int tries)
{
    static unsigned seed;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    seed = seed * 1103515245u + 12345u + (unsigned)now.tv_nsec;
    long ms = 5L * tries + (long)((seed >> 16) % 10u);
    struct timespec d = {0, ms * 1000000L};
    nanosleep(&d, NULL);
}

static void run_batch(struct mp_ingest *ing, struct mp_ingest_job *batch, size_t n)
{
    struct mp_ctx *ctx = ing->ctx;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc;
    struct timespec t0 = {0, 0}, t1 = {0, 0};
    for (int tries = 1;; tries++) {
        const bool again = tries < CONFLICT_TRIES;
        rc = begin_batch(ctx, batch, n, &err);
        if (rc == MP_OK && !run_jobs(ctx, batch, false)) {
            mp_store_rollback(ctx->db);
            if (again && mp_store_tx_conflict(ctx->db)) {
                conflict_pause(tries);
                continue;
            }
            if ((rc = begin_batch(ctx, batch, n, &err)) == MP_OK)
                (void)run_jobs(ctx, batch, true);
        }
        if (again && mp_store_tx_conflict(ctx->db)) { /* a job (or the begin) lost */
            mp_store_rollback(ctx->db);
            conflict_pause(tries);
            continue;
        }
        if (rc) {
            for (struct mp_ingest_job *j = batch; j; j = j->next)
                j->rc = MP_OK; /* so that fail_all overwrites every job */
            fail_all(batch, rc, &err);
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = mp_store_commit(ctx->db, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (rc && again && mp_store_tx_conflict(ctx->db)) {
            conflict_pause(tries);
            continue;
        }
        if (rc)
            fail_all(batch, rc, &err); /* nothing of the batch was kept */
        break;
    }
    if (ing->on_batch)
        ing->on_batch(ing->on_batch_ctx, n,
                      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

static void *writer(void *arg)
{
    struct mp_ingest *ing = arg;
    /* A name of its own, so that a profiler and bench/run.sh can tell the
     * writer's CPU time from the HTTP threads' (/proc/PID/task/TID/comm). */
    prctl(PR_SET_NAME, "mp-writer", 0, 0, 0);
    for (;;) {
        pthread_mutex_lock(&ing->lock);
        while (!ing->head && !ing->stopping)
            pthread_cond_wait(&ing->cond, &ing->lock);
        if (!ing->head && ing->stopping) {
            pthread_mutex_unlock(&ing->lock);
            return NULL;
        }
        /* Take up to max_batch jobs; the rest wait for the next commit. */
        struct mp_ingest_job *batch = ing->head, *last = batch;
        size_t n = 1;
        if (!batch) { /* cannot happen: the wait above ensures a job */
            pthread_mutex_unlock(&ing->lock);
            continue;
        }
        while (last->next && n < ing->max_batch) {
            last = last->next;
            n++;
        }
        ing->head = last->next;
        ing->queued -= n;
        if (!ing->head)
            ing->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&ing->lock);
        run_batch(ing, batch, n);
        finish_all(batch);
    }
}

enum mp_status mp_ingest_start(struct mp_ctx *ctx, size_t max_batch, struct mp_ingest **out,
                               struct mp_error *err)
{
    struct mp_ingest *ing = calloc(1, sizeof *ing);
    *out = NULL;
    if (!ing)
        return MP_ENOMEM;
    ing->ctx = ctx;
    ing->max_batch = max_batch ? max_batch : 1;
    pthread_mutex_init(&ing->lock, NULL);
    pthread_cond_init(&ing->cond, NULL);
    if (pthread_create(&ing->thread, NULL, writer, ing) != 0) {
        pthread_cond_destroy(&ing->cond);
        pthread_mutex_destroy(&ing->lock);
        free(ing);
        return mp_fail(err, MP_ENOMEM, "internal", "cannot start the writer thread");
    }
    ing->started = true;
    *out = ing;
    return MP_OK;
}

void mp_ingest_stop(struct mp_ingest *ing)
{
    if (!ing)
        return;
    pthread_mutex_lock(&ing->lock);
    ing->stopping = true;
    pthread_cond_signal(&ing->cond);
    pthread_mutex_unlock(&ing->lock);
    if (ing->started)
        pthread_join(ing->thread, NULL);
    pthread_cond_destroy(&ing->cond);
    pthread_mutex_destroy(&ing->lock);
    free(ing);
}

void mp_ingest_submit(struct mp_ingest *ing, struct mp_ingest_job *job)
{
    job->next = NULL;
    job->rc = MP_OK;
    pthread_mutex_lock(&ing->lock);
    if (ing->tail)
        ing->tail->next = job;
    else
        ing->head = job;
    ing->tail = job;
    ing->queued++;
    pthread_cond_signal(&ing->cond);
    pthread_mutex_unlock(&ing->lock);
}

void mp_ingest_observe(struct mp_ingest *ing, mp_ingest_batch_fn fn, void *ctx)
{
    if (!ing)
        return;
    pthread_mutex_lock(&ing->lock);
    ing->on_batch = fn;
    ing->on_batch_ctx = ctx;
    pthread_mutex_unlock(&ing->lock);
}

size_t mp_ingest_queue_depth(struct mp_ingest *ing)
{
    if (!ing)
        return 0;
    pthread_mutex_lock(&ing->lock);
    size_t n = ing->queued;
    pthread_mutex_unlock(&ing->lock);
    return n;
}
