/* respcache.c - see respcache.h. Bodies live in sealed memfds: the kernel
 * sends a hit with sendfile straight from them (as a static file server
 * does), and the bytes are not in the process's heap. */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS */
#include "meldpunt/respcache.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KEY_MAX 512

struct entry {
    char key[KEY_MAX];
    int64_t version;
    int fd; /* sealed memfd holding the body; -1 when empty */
    size_t len;
    uint64_t used; /* clock of the last hit, for eviction */
};

/* Keys asked for recently but not yet kept (hashes), for second-sight
 * admission: a map panned by one user asks each box once, and writing
 * every such answer into a memfd would cost a copy and fresh pages for an
 * entry nobody reads again. */
#define SEEN_N 128

struct mp_respcache {
    pthread_mutex_t lock;
    struct entry *e;
    size_t n, max_body;
    uint64_t clock;
    bool second_sight;
    uint64_t seen[SEEN_N];
    size_t seen_next;
    struct mp_respcache_stats stats;
};

static uint64_t key_hash(const char *key, int64_t version)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)version;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h | 1; /* never 0, the empty slot */
}

/* True when key at version may be kept now; otherwise it is noted. Under
 * c->lock. */
static bool admit(struct mp_respcache *c, const char *key, int64_t version)
{
    if (!c->second_sight)
        return true;
    uint64_t h = key_hash(key, version);
    for (size_t i = 0; i < SEEN_N; i++)
        if (c->seen[i] == h) {
            c->seen[i] = 0;
            return true;
        }
    c->seen[c->seen_next] = h;
    c->seen_next = (c->seen_next + 1) % SEEN_N;
    return false;
}

enum mp_status mp_respcache_new(size_t entries, size_t max_body, bool second_sight,
                                struct mp_respcache **out)
{
    struct mp_respcache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !entries || !(c->e = calloc(entries, sizeof *c->e))) {
        free(c);
        return MP_ENOMEM;
    }
    for (size_t i = 0; i < entries; i++)
        c->e[i].fd = -1;
    pthread_mutex_init(&c->lock, NULL);
    c->n = entries;
    c->max_body = max_body;
    c->second_sight = second_sight;
    *out = c;
    return MP_OK;
}

void mp_respcache_free(struct mp_respcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        if (c->e[i].fd >= 0)
            close(c->e[i].fd);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The entry for key at version, or NULL. Under c->lock. */
static struct entry *find(struct mp_respcache *c, const char *key, int64_t version)
{
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->fd >= 0 && e->version == version && strcmp(e->key, key) == 0) {
            e->used = ++c->clock;
            return e;
        }
    }
    return NULL;
}

bool mp_respcache_get_fd(struct mp_respcache *c, const char *key, int64_t version, int *fd,
                         size_t *len)
{
    *fd = -1;
    *len = 0;
    if (!c)
        return false;
    pthread_mutex_lock(&c->lock);
    if (strlen(key) >= KEY_MAX) {
        c->stats.misses++;
        pthread_mutex_unlock(&c->lock);
        return false;
    }
    struct entry *e = find(c, key, version);
    /* A descriptor of its own: the entry may be evicted (and its descriptor
     * closed) while the answer is still being sent. */
    if (e && (*fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) >= 0)
        *len = e->len;
    if (*fd >= 0)
        c->stats.hits++;
    else
        c->stats.misses++;
    pthread_mutex_unlock(&c->lock);
    return *fd >= 0;
}

void mp_respcache_put(struct mp_respcache *c, const char *key, int64_t version, const char *body,
                      size_t len)
{
    if (!c || len > c->max_body || strlen(key) >= KEY_MAX)
        return;
    pthread_mutex_lock(&c->lock);
    bool now = admit(c, key, version);
    pthread_mutex_unlock(&c->lock);
    if (!now)
        return;
    int fd = memfd_create("meldpunt-answer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return;
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, body + put, len - put);
        if (n <= 0) {
            close(fd);
            return;
        }
        put += (size_t)n;
    }
    /* Sealed: nothing can change an answer that readers are being sent. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&c->lock);
    /* The same key (an older version) or the least recently used entry. */
    struct entry *victim = &c->e[0];
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->fd >= 0 && strcmp(e->key, key) == 0) {
            victim = e;
            break;
        }
        if (e->fd < 0 || e->used < victim->used)
            victim = e;
        if (victim->fd < 0)
            break;
    }
    if (victim->fd >= 0)
        close(victim->fd);
    memcpy(victim->key, key, strlen(key) + 1);
    victim->version = version;
    victim->fd = fd;
    victim->len = len;
    victim->used = ++c->clock;
    c->stats.stored++;
    pthread_mutex_unlock(&c->lock);
}

void mp_respcache_stats(struct mp_respcache *c, struct mp_respcache_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
