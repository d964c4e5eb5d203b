/* store_checkpoint.c - the background WAL checkpointer (store_checkpoint.h). */
#include "store_sqlite_checkpoint.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#include "store_sqlite.h"

/* PASSIVE checkpoints never wait for readers or the writer: they copy what
 * every reader has moved past, so a long export delays them but does not
 * block anyone. Every CKPT_PERIOD_MS while frames are waiting.
 *
 * A WAL that is always in use by some reader (map reads all the time, back
 * to back exports) is never restarted by SQLite, and grows without bound
 * although every frame has been copied. Once it holds CKPT_TRUNCATE_FRAMES,
 * and a PASSIVE pass has copied all of it, the checkpointer asks for a
 * TRUNCATE checkpoint, which waits up to CKPT_TRUNCATE_WAIT_MS for the
 * readers of the old log to finish (new readers go on; writers wait that
 * long at most), then empties the file. When readers hold out, it tries
 * again CKPT_RETRY_MS later at the earliest, so writers lose at most a tenth
 * of their time to these waits, and only while the WAL is large. */
#define CKPT_PERIOD_MS 100
#define CKPT_TRUNCATE_FRAMES 4096 /* 16 MB of 4 KiB pages */
#define CKPT_TRUNCATE_WAIT_MS 50
#define CKPT_RETRY_MS 500

struct mp_store_checkpoint {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* wakes the thread to stop */
    bool started, stop;
    pthread_t thread;
    sqlite3 *db; /* its own connection */
};

static void *checkpoint_main(void *arg)
{
    struct mp_store_checkpoint *c = arg;
    int last_rc = SQLITE_OK;
    unsigned wait_truncate = 0; /* periods until the next TRUNCATE attempt */
    prctl(PR_SET_NAME, "mp-checkpoint", 0, 0, 0); /* for profilers and bench/run.sh */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        if (!c->stop) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += CKPT_PERIOD_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            (void)pthread_cond_timedwait(&c->cond, &c->lock, &until);
        }
        bool stop = c->stop;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            return NULL;
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (wait_truncate > 0)
            wait_truncate--;
        /* Everything copied means no reader holds an old snapshot right now
         * (between two exports, say): the moment a TRUNCATE succeeds. */
        if (rc == SQLITE_OK && log >= CKPT_TRUNCATE_FRAMES && done == log) {
            if (wait_truncate == 0) {
                sqlite3_busy_timeout(c->db, CKPT_TRUNCATE_WAIT_MS);
                rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                               NULL, NULL);
                sqlite3_busy_timeout(c->db, 0);
                if (rc == SQLITE_BUSY)
                    wait_truncate = CKPT_RETRY_MS / CKPT_PERIOD_MS;
            }
        }
        /* SQLITE_BUSY (readers or another checkpoint in the way) and
         * SQLITE_FULL (disk full: writers report it to their clients) are
         * retried; other failures are logged once per change so that a
         * broken disk does not flood the log. */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_FULL && rc != last_rc)
            fprintf(stderr, "meldpunt: store: background checkpoint: %s\n", sqlite3_errstr(rc));
        last_rc = rc;
    }
}

enum mp_status mp_store_checkpoint_start(const char *path, struct mp_store_checkpoint **out,
                                         struct mp_error *err)
{
    enum mp_status ret = MP_OK;
    struct mp_store_checkpoint *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return MP_ENOMEM;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ret = mp_fail(err, mp_db_status(c->db, rc, "open"), "store",
                      "cannot open database %.100s", path);
        goto out;
    }
    /* A connection learns that the file is in WAL mode on its first read;
     * until then checkpoints on it do nothing. */
    if (sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
        ret = mp_fail(err, MP_EDB, "store", "cannot configure database %.100s", path);
        goto out;
    }
    sqlite3_busy_timeout(c->db, 0);
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        ret = mp_fail(err, MP_ENOMEM, "internal", "cannot start the checkpoint thread");
        goto out;
    }
    c->started = true;
    *out = c;
    c = NULL;
out:
    mp_store_checkpoint_stop(c);
    return ret;
}

void mp_store_checkpoint_stop(struct mp_store_checkpoint *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    sqlite3_close_v2(c->db);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
