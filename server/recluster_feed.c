/* recluster_feed.c - the replay's feeder: with a second context, a reader
 * thread steps the time-ordered cursor on its own connection and snaps the
 * reports that may need it to their street, in batches, while the calling
 * thread replays and writes (mp_recluster_feed, recluster_impl.h).
 *
 * The reader's snapshot is the database as it was when the write
 * transaction began (the replay's writes are not committed until the end,
 * and the write lock keeps everyone else out), which is what the replay
 * must read: the reports with their old clusters. It snaps reports the
 * replay would not need to (the first report of each stored cluster, which
 * usually starts it again, even when it then joins): more CPU, less wall
 * time.
 *
 * Ownership: the batches, their address arenas and the reader's bit set of
 * stored ids met belong to struct feed, on mp_recluster_feed's stack, and
 * are freed before it returns; a batch is the reader's while it fills it
 * and the replay's from publication until handed back (full[] under lock).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/store.h"
#include "recluster_impl.h"

#define BATCH 4096
#define NBATCH 8

struct feed {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct row *rows; /* NBATCH batches of BATCH */
    size_t n[NBATCH];
    bool full[NBATCH];
    bool done, stop;
    enum mp_status rc;
    /* Addresses of the rows left for the replay to snap, per batch. */
    char *arena[NBATCH];
    size_t alen[NBATCH], acap[NBATCH];
    /* reader side */
    struct mp_ctx *reader;
    const char *only;
    const struct mp_category *last;
    uint64_t *seen; /* stored cluster ids met so far */
    int64_t max_old;
    int wslot;
    size_t wn;
};

/* Hand the batch being filled over; wait for the next one to be free
 * unless this was the last. Returns false when told to stop. */
static bool feed_publish(struct feed *f, bool last)
{
    bool go;
    pthread_mutex_lock(&f->lock);
    f->n[f->wslot] = f->wn;
    f->full[f->wslot] = f->wn > 0;
    f->wslot = (f->wslot + 1) % NBATCH;
    f->wn = 0;
    if (last)
        f->done = true;
    pthread_cond_broadcast(&f->cond);
    while (!last && f->full[f->wslot] && !f->stop)
        pthread_cond_wait(&f->cond, &f->lock);
    f->alen[f->wslot] = 0;
    go = !f->stop;
    pthread_mutex_unlock(&f->lock);
    return go;
}

static int feed_row(void *p, const struct mp_replay_row *r)
{
    struct feed *f = p;
    const struct mp_city *city = f->reader->city;
    const struct mp_category *cat = mp_recluster_row_category(city, r->category, &f->last);
    if (!cat)
        return 0;
    struct row *d = &f->rows[(size_t)f->wslot * BATCH + f->wn++];
    mp_recluster_row_fill(d, r, (uint32_t)(cat - city->categories));
    /* A point-rule report is snapped only if it may start a cluster: the
     * first of its stored cluster (in the usual replay it starts it
     * again). The rest most likely join, which needs no street; the
     * replay snaps those that do not, from a copy of the address. */
    int64_t id = r->cluster_id;
    bool known = id > 0 && id <= f->max_old, first = !known || !bit_get(f->seen, id);
    if (known)
        bit_set(f->seen, id);
    d->address = NULL; /* the cursor's, gone with the next row */
    d->addr_off = 0;
    if (mp_recluster_row_needs_probe(cat, r->address) || first) {
        d->address = r->address;
        mp_recluster_row_probe(f->reader, d);
        d->address = NULL;
    } else if (r->address) {
        int s = f->wslot;
        size_t len = strlen(r->address) + 1;
        if (f->alen[s] + len > f->acap[s]) {
            size_t cap = (f->acap[s] ? f->acap[s] * 2 : 65536) + len;
            char *a = realloc(f->arena[s], cap);
            if (!a) {
                f->rc = MP_ENOMEM;
                return 1;
            }
            f->arena[s] = a;
            f->acap[s] = cap;
        }
        memcpy(f->arena[s] + f->alen[s], r->address, len);
        d->addr_off = f->alen[s] + 1;
        f->alen[s] += len;
    }
    return f->wn == BATCH && !feed_publish(f, false);
}

static void *feed_main(void *p)
{
    struct feed *f = p;
    enum mp_status rc = mp_store_replay_reports(f->reader->db, f->only, feed_row, f);
    pthread_mutex_lock(&f->lock);
    if (f->rc == MP_OK)
        f->rc = rc;
    pthread_mutex_unlock(&f->lock);
    (void)feed_publish(f, true);
    return NULL;
}

enum mp_status mp_recluster_feed(struct work *w, struct mp_ctx *reader)
{
    enum mp_status rc = MP_OK;
    struct feed f = {.reader = reader, .only = w->only, .max_old = w->max_old};
    pthread_t th;
    int rslot = 0;
    f.rows = malloc((size_t)NBATCH * BATCH * sizeof *f.rows);
    f.seen = calloc((size_t)(w->max_old >> 6) + 1, sizeof *f.seen);
    if (!f.rows || !f.seen) {
        free(f.rows);
        free(f.seen);
        return MP_ENOMEM;
    }
    if (pthread_mutex_init(&f.lock, NULL) != 0) {
        free(f.rows);
        free(f.seen);
        return MP_ENOMEM;
    }
    if (pthread_cond_init(&f.cond, NULL) != 0) {
        pthread_mutex_destroy(&f.lock);
        free(f.rows);
        free(f.seen);
        return MP_ENOMEM;
    }
    if (pthread_create(&th, NULL, feed_main, &f) != 0) {
        rc = MP_ENOMEM;
        goto out;
    }
    for (;;) {
        pthread_mutex_lock(&f.lock);
        while (!f.full[rslot] && !f.done)
            pthread_cond_wait(&f.cond, &f.lock);
        bool have = f.full[rslot];
        size_t n = f.n[rslot];
        pthread_mutex_unlock(&f.lock);
        if (!have)
            break;
        struct row *b = &f.rows[(size_t)rslot * BATCH];
        for (size_t i = 0; i < n; i++)
            if (b[i].addr_off)
                b[i].address = f.arena[rslot] + b[i].addr_off - 1;
        for (size_t i = 0; i < n && rc == MP_OK; i++) {
            w->nreps++;
            rc = mp_recluster_replay_one(w, &b[i]);
        }
        pthread_mutex_lock(&f.lock);
        f.full[rslot] = false;
        if (rc)
            f.stop = true;
        pthread_cond_broadcast(&f.cond);
        pthread_mutex_unlock(&f.lock);
        if (rc)
            break;
        rslot = (rslot + 1) % NBATCH;
    }
    pthread_join(th, NULL);
    if (rc == MP_OK)
        rc = f.rc;
out:
    pthread_cond_destroy(&f.cond);
    pthread_mutex_destroy(&f.lock);
    free(f.rows);
    free(f.seen);
    for (int i = 0; i < NBATCH; i++)
        free(f.arena[i]);
    return rc;
}
