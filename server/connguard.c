/* connguard.c - see connguard.h.
 *
 * Waiting connections sit in one list in the order they started waiting, so
 * that the head deadline is checked from the front and stops at the first
 * one still in time, and the connection to evict is always the first. Body
 * connections are few (a request body in flight) and are scanned whole.
 *
 * Per-address counts live in an open-addressing table with linear probing
 * and backward-shift deletion (no tombstones), sized at twice the connection
 * cap, so it never fills and every probe is short.
 */
#include "meldpunt/connguard.h"

#include <linux/sockios.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "meldpunt/ratelimit.h"

enum phase { WAITING, BODY, BUSY, SENDING, KILLED };

struct mp_conn {
    struct mp_conn *prev, *next; /* in the waiting or the body list */
    enum phase phase;
    int fd;
    bool exempt;
    int64_t since_ms; /* start of waiting, or end of the head */
    uint64_t body_bytes; /* received (body) or handed to the socket (sending) */
    char key[MP_RATELIMIT_KEY_MAX];
};

struct list {
    struct mp_conn *head, *tail;
};

struct addr_slot {
    char key[MP_RATELIMIT_KEY_MAX];
    uint64_t hash;
    unsigned count; /* 0: empty */
};

struct mp_connguard {
    pthread_mutex_t lock;
    struct mp_connguard_limits lim;
    mp_connguard_kill_fn kill;
    void *ctx;
    struct list waiting, body, sending;
    unsigned open, live; /* tracked; tracked and not killed */
    struct mp_connguard_stats st;
    uint64_t seed;
    size_t mask;
    struct addr_slot *slots; /* owned */
    pthread_t sweeper;
    bool sweeping;
    unsigned sweep_ms;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
};

static void unlink_conn(struct list *l, struct mp_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static void append(struct list *l, struct mp_conn *c)
{
    c->prev = l->tail;
    c->next = NULL;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static struct list *list_of(struct mp_connguard *g, struct mp_conn *c)
{
    return c->phase == WAITING ? &g->waiting
           : c->phase == BODY  ? &g->body
           : c->phase == SENDING ? &g->sending
                                 : NULL;
}

/* Move c to phase p (into the tail of its list). */
static void set_phase(struct mp_connguard *g, struct mp_conn *c, enum phase p)
{
    struct list *from = list_of(g, c);
    if (from)
        unlink_conn(from, c);
    if (c->phase == WAITING)
        g->st.waiting--;
    if (p == KILLED && c->phase != KILLED)
        g->live--;
    c->phase = p;
    if (p == WAITING)
        g->st.waiting++;
    struct list *to = list_of(g, c);
    if (to)
        append(to, c);
}

static void kill_conn(struct mp_connguard *g, struct mp_conn *c)
{
    if (c->phase == KILLED)
        return;
    set_phase(g, c, KILLED);
    g->kill(g->ctx, c->fd);
}

static uint64_t hash_key(uint64_t seed, const char *k)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (; *k; k++) {
        h ^= (unsigned char)*k;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct addr_slot *slot_for(struct mp_connguard *g, const char *key, uint64_t h)
{
    size_t i = h & g->mask;
    while (g->slots[i].count && strcmp(g->slots[i].key, key) != 0)
        i = (i + 1) & g->mask;
    return &g->slots[i];
}

static void slot_release(struct mp_connguard *g, struct addr_slot *s)
{
    if (--s->count)
        return;
    /* Backward-shift: pull later entries of the probe run into the hole so
     * that lookups never stop early at it. */
    size_t i = (size_t)(s - g->slots), j = i;
    for (;;) {
        j = (j + 1) & g->mask;
        if (!g->slots[j].count)
            break;
        size_t home = g->slots[j].hash & g->mask;
        /* j's entry may move to i when its home is not in (i, j] cyclically */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            g->slots[i] = g->slots[j];
            i = j;
        }
    }
    memset(&g->slots[i], 0, sizeof g->slots[i]);
}

enum mp_status mp_connguard_new(const struct mp_connguard_limits *lim, mp_connguard_kill_fn kill,
                                void *ctx, struct mp_connguard **out)
{
    enum mp_status rc = MP_OK;
    struct mp_connguard *g = NULL;
    *out = NULL;
    if (!lim || !kill || lim->max_conns == 0 || lim->reserve >= lim->max_conns ||
        lim->max_conns > (1u << 24)) {
        rc = MP_EINVAL;
        goto out;
    }
    size_t cap = 64;
    while (cap < 2 * (size_t)lim->max_conns)
        cap <<= 1;
    g = calloc(1, sizeof *g);
    if (!g || !(g->slots = calloc(cap, sizeof *g->slots)) ||
        pthread_mutex_init(&g->lock, NULL) != 0) {
        rc = MP_ENOMEM;
        goto out;
    }
    if (pthread_mutex_init(&g->stop_lock, NULL) != 0 ||
        pthread_cond_init(&g->stop_cond, NULL) != 0) {
        pthread_mutex_destroy(&g->lock);
        rc = MP_ENOMEM;
        goto out;
    }
    g->lim = *lim;
    g->kill = kill;
    g->ctx = ctx;
    g->mask = cap - 1;
    if (getentropy(&g->seed, sizeof g->seed) != 0)
        g->seed = (uint64_t)(uintptr_t)g ^ (uint64_t)time(NULL);
    *out = g;
    g = NULL;
out:
    if (g) {
        free(g->slots);
        free(g);
    }
    return rc;
}

void mp_connguard_free(struct mp_connguard *g)
{
    if (!g)
        return;
    mp_connguard_stop_sweeper(g);
    pthread_cond_destroy(&g->stop_cond);
    pthread_mutex_destroy(&g->stop_lock);
    pthread_mutex_destroy(&g->lock);
    free(g->slots);
    free(g);
}

bool mp_connguard_admit(struct mp_connguard *g, const char *addr, bool exempt)
{
    if (!g || exempt || !g->lim.per_addr)
        return true;
    char key[MP_RATELIMIT_KEY_MAX];
    mp_ratelimit_key(addr, key, sizeof key);
    uint64_t h = hash_key(g->seed, key);
    pthread_mutex_lock(&g->lock);
    bool ok = slot_for(g, key, h)->count < g->lim.per_addr;
    if (!ok)
        g->st.refused_addr++;
    pthread_mutex_unlock(&g->lock);
    return ok;
}

struct mp_conn *mp_connguard_open(struct mp_connguard *g, int fd, const char *addr, bool exempt,
                                  int64_t now_ms)
{
    struct mp_conn *c = calloc(1, sizeof *c);
    if (!c) {
        g->kill(g->ctx, fd);
        return NULL;
    }
    c->fd = fd;
    c->exempt = exempt || !g->lim.per_addr;
    c->phase = BUSY; /* not in a list yet */
    if (!c->exempt)
        mp_ratelimit_key(addr, c->key, sizeof c->key);
    uint64_t h = c->exempt ? 0 : hash_key(g->seed, c->key);
    pthread_mutex_lock(&g->lock);
    g->open++;
    g->live++;
    set_phase(g, c, WAITING);
    c->since_ms = now_ms;
    if (!c->exempt) {
        struct addr_slot *s = slot_for(g, c->key, h);
        if (!s->count) {
            memcpy(s->key, c->key, sizeof s->key);
            s->hash = h;
        }
        s->count++;
        if (s->count > g->lim.per_addr) {
            g->st.refused_addr++;
            kill_conn(g, c);
        }
    }
    if (c->phase != KILLED && g->live > g->lim.max_conns - g->lim.reserve) {
        struct mp_conn *old = g->waiting.head;
        if (old && old != c) {
            g->st.evicted++;
            kill_conn(g, old);
        }
    }
    pthread_mutex_unlock(&g->lock);
    return c;
}

void mp_connguard_close(struct mp_connguard *g, struct mp_conn *c)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->phase != KILLED)
        set_phase(g, c, KILLED);
    g->open--;
    if (!c->exempt)
        slot_release(g, slot_for(g, c->key, hash_key(g->seed, c->key)));
    pthread_mutex_unlock(&g->lock);
    free(c);
}

static void move(struct mp_connguard *g, struct mp_conn *c, enum phase p, int64_t now_ms,
                 bool stamp)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->phase != KILLED) {
        set_phase(g, c, p);
        if (stamp)
            c->since_ms = now_ms;
        c->body_bytes = 0;
    }
    pthread_mutex_unlock(&g->lock);
}

void mp_connguard_head(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms)
{
    move(g, c, BODY, now_ms, true);
}

void mp_connguard_busy(struct mp_connguard *g, struct mp_conn *c) { move(g, c, BUSY, 0, false); }

void mp_connguard_idle(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms)
{
    move(g, c, WAITING, now_ms, true);
}

void mp_connguard_stream(struct mp_connguard *g, struct mp_conn *c, int64_t now_ms)
{
    move(g, c, SENDING, now_ms, true);
}

void mp_connguard_sent(struct mp_connguard *g, struct mp_conn *c, size_t bytes)
{
    mp_connguard_body(g, c, bytes);
}

/* Bytes a streaming connection's client has taken: handed to the socket,
 * less what its send queue still holds. */
static uint64_t taken(const struct mp_conn *c)
{
    int queued = 0;
    if (ioctl(c->fd, SIOCOUTQ, &queued) != 0 || queued < 0)
        queued = 0;
    return c->body_bytes > (uint64_t)queued ? c->body_bytes - (uint64_t)queued : 0;
}

/* Kill the streaming connections past their length or under their rate;
 * returns how many. Called with the lock held. */
static unsigned sweep_sending(struct mp_connguard *g, int64_t now_ms)
{
    unsigned n = 0;
    int64_t grace = g->lim.head_timeout_ms;
    for (struct mp_conn *c = g->sending.head, *next; c; c = next) {
        next = c->next;
        int64_t age = now_ms - c->since_ms, late = age - grace;
        if ((g->lim.send_max_ms && age >= (int64_t)g->lim.send_max_ms) ||
            (g->lim.send_min_rate && late > 0 &&
             taken(c) * 1000 < (uint64_t)late * g->lim.send_min_rate)) {
            kill_conn(g, c);
            n++;
        }
    }
    g->st.killed_send += n;
    return n;
}

void mp_connguard_body(struct mp_connguard *g, struct mp_conn *c, size_t bytes)
{
    if (!g || !c)
        return;
    pthread_mutex_lock(&g->lock);
    c->body_bytes += bytes;
    pthread_mutex_unlock(&g->lock);
}

unsigned mp_connguard_sweep(struct mp_connguard *g, int64_t now_ms)
{
    unsigned n = 0;
    int64_t grace = g->lim.head_timeout_ms;
    pthread_mutex_lock(&g->lock);
    if (grace > 0) {
        while (g->waiting.head && now_ms - g->waiting.head->since_ms >= grace) {
            kill_conn(g, g->waiting.head);
            n++;
        }
    }
    if (g->lim.body_min_rate) {
        for (struct mp_conn *c = g->body.head, *next; c; c = next) {
            next = c->next;
            int64_t late = now_ms - c->since_ms - grace;
            if (late > 0 && c->body_bytes * 1000 < (uint64_t)late * g->lim.body_min_rate) {
                kill_conn(g, c);
                n++;
            }
        }
    }
    g->st.killed_deadline += n;
    n += sweep_sending(g, now_ms);
    pthread_mutex_unlock(&g->lock);
    return n;
}

void mp_connguard_stats(struct mp_connguard *g, struct mp_connguard_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    *out = g->st;
    out->open = g->open;
    pthread_mutex_unlock(&g->lock);
}

static void *sweep_loop(void *arg)
{
    struct mp_connguard *g = arg;
    pthread_mutex_lock(&g->stop_lock);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (long)g->sweep_ms * 1000000L;
        until.tv_sec += ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        (void)pthread_cond_timedwait(&g->stop_cond, &g->stop_lock, &until);
        if (!g->stopping)
            (void)mp_connguard_sweep(g, mp_ratelimit_now_ms());
    }
    pthread_mutex_unlock(&g->stop_lock);
    return NULL;
}

enum mp_status mp_connguard_start_sweeper(struct mp_connguard *g, unsigned interval_ms)
{
    if (g->sweeping)
        return MP_OK;
    g->sweep_ms = interval_ms ? interval_ms : 1;
    g->stopping = false;
    if (pthread_create(&g->sweeper, NULL, sweep_loop, g) != 0)
        return MP_ENOMEM;
    g->sweeping = true;
    return MP_OK;
}

void mp_connguard_stop_sweeper(struct mp_connguard *g)
{
    if (!g || !g->sweeping)
        return;
    pthread_mutex_lock(&g->stop_lock);
    g->stopping = true;
    pthread_cond_signal(&g->stop_cond);
    pthread_mutex_unlock(&g->stop_lock);
    pthread_join(g->sweeper, NULL);
    g->sweeping = false;
}
