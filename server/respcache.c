#include "meldpunt/respcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 512

struct entry {
    char key[KEY_MAX];
    int64_t version;
    char *body; /* owned */
    size_t len;
    uint64_t used; /* clock of the last hit, for eviction */
};

struct mp_respcache {
    pthread_mutex_t lock;
    struct entry *e;
    size_t n, max_body;
    uint64_t clock;
};

enum mp_status mp_respcache_new(size_t entries, size_t max_body, struct mp_respcache **out)
{
    struct mp_respcache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !entries || !(c->e = calloc(entries, sizeof *c->e))) {
        free(c);
        return MP_ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->n = entries;
    c->max_body = max_body;
    *out = c;
    return MP_OK;
}

void mp_respcache_free(struct mp_respcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].body);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

bool mp_respcache_get(struct mp_respcache *c, const char *key, int64_t version,
                      struct mp_buf *out)
{
    bool hit = false;
    if (!c || strlen(key) >= KEY_MAX)
        return false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->body && e->version == version && strcmp(e->key, key) == 0) {
            size_t before = out->len;
            mp_buf_add(out, e->body, e->len);
            hit = !out->failed;
            if (!hit)
                out->len = before;
            e->used = ++c->clock;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void mp_respcache_put(struct mp_respcache *c, const char *key, int64_t version,
                      const char *body, size_t len)
{
    if (!c || len > c->max_body || strlen(key) >= KEY_MAX)
        return;
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    pthread_mutex_lock(&c->lock);
    /* The same key (an older version) or the least recently used entry. */
    struct entry *victim = &c->e[0];
    for (size_t i = 0; i < c->n; i++) {
        struct entry *e = &c->e[i];
        if (e->body && strcmp(e->key, key) == 0) {
            victim = e;
            break;
        }
        if (!e->body || e->used < victim->used)
            victim = e;
        if (!victim->body)
            break;
    }
    free(victim->body);
    memcpy(victim->key, key, strlen(key) + 1);
    victim->version = version;
    victim->body = copy;
    victim->len = len;
    victim->used = ++c->clock;
    pthread_mutex_unlock(&c->lock);
}
