/* ingest.h - group commit for new reports: one writer thread takes every
 * queued report, folds and stores them in ONE transaction (a savepoint each,
 * so one bad report does not undo the others), commits once, and only then
 * tells each submitter. Durability per report at the cost of one fsync per
 * batch instead of one per report.
 *
 * Threads: mp_ingest_submit may be called from any thread; the done callback
 * runs on the writer thread and must not block.
 */
#ifndef MELDPUNT_INGEST_H
#define MELDPUNT_INGEST_H

#include <stddef.h>

#include "meldpunt/auth.h"
#include "meldpunt/ctx.h"
#include "meldpunt/report.h"
#include "meldpunt/status.h"

struct mp_ingest;

struct mp_ingest_job {
    struct mp_report_input in;  /* the caller's; read-only to the writer */
    struct mp_submit_result res;/* filled by the writer */
    struct mp_error err;        /* filled on failure */
    enum mp_status rc;          /* MP_OK once committed */
    const struct mp_principal *staff; /* staff entering it for a caller, audited; or NULL */
    void (*done)(void *cookie); /* called once, after commit or failure */
    void *cookie;
    struct mp_ingest_job *next; /* queue link: the writer's */
};

/* Start the writer on ctx (borrowed: a worker context of its own, used only
 * by the writer thread). max_batch bounds a transaction. New object in *out. */
enum mp_status mp_ingest_start(struct mp_ctx *ctx, size_t max_batch, struct mp_ingest **out,
                               struct mp_error *err) MP_WUR;
/* Finish queued jobs, stop the thread, free. Accepts NULL. */
void mp_ingest_stop(struct mp_ingest *ing);
/* Called on the writer thread after each commit (also a failed one) with
 * the batch's number of jobs and the seconds the commit took (its fsync):
 * for /metrics. Set it before the first submit; it must not block. */
typedef void (*mp_ingest_batch_fn)(void *ctx, size_t jobs, double commit_seconds);
void mp_ingest_observe(struct mp_ingest *ing, mp_ingest_batch_fn fn, void *ctx);
/* Jobs queued and not yet taken by the writer (0 for NULL). Thread-safe. */
size_t mp_ingest_queue_depth(struct mp_ingest *ing);

/* Queue job (borrowed until its done callback has run). */
void mp_ingest_submit(struct mp_ingest *ing, struct mp_ingest_job *job);

#endif
