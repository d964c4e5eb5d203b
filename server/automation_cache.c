/* automation_cache.c - the pack's automation rules kept between look-ups,
 * read again when the file changes (see automation_cache.h). */
#include "meldpunt/automation_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_MAX_ 1100 /* as mp_automation_load's */

/* What stat() says of the file: a change in any of these reads it again.
 * The modification time alone can miss a rewrite within the clock's tick
 * (a few ms); the size, inode (a file replaced by rename) and change time
 * narrow that to a same-size rewrite in the same tick. */
struct stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
};

struct entry {
    const struct mp_city *city; /* the key: city object and file */
    char path[PATH_MAX_];
    bool read;                   /* stamp, rules, rc and err are of a load */
    struct stamp stamp;
    struct mp_automation *rules; /* one reference, or NULL after a failed load */
    enum mp_status rc;           /* of that load */
    struct mp_error err;
};

struct mp_automation_cache {
    pthread_mutex_t lock;
    struct entry *entries;
    size_t n, cap;
    uint64_t loads; /* under lock */
};

enum mp_status mp_automation_cache_new(struct mp_automation_cache **out)
{
    struct mp_automation_cache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return MP_ENOMEM;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return MP_ENOMEM;
    }
    *out = c;
    return MP_OK;
}

void mp_automation_cache_free(struct mp_automation_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        mp_automation_free(c->entries[i].rules);
    free(c->entries);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static void stamp_of(const char *path, struct stamp *s)
{
    struct stat st;
    memset(s, 0, sizeof *s);
    /* A file that cannot be looked at is read as missing, as
     * mp_automation_load reads a file it cannot open: no rules. */
    if (stat(path, &st) != 0)
        return;
    s->exists = true;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    s->ctime = st.st_ctim;
}

static bool same_stamp(const struct stamp *a, const struct stamp *b)
{
    return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
           a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec && a->ctime.tv_sec == b->ctime.tv_sec &&
           a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* The entry of city and path, a new empty one if there is none (NULL when
 * out of memory). Under c->lock. */
static struct entry *entry_of(struct mp_automation_cache *c, const struct mp_city *city,
                              const char *path)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->entries[i].city == city && strcmp(c->entries[i].path, path) == 0)
            return &c->entries[i];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        struct entry *e = realloc(c->entries, cap * sizeof *e);
        if (!e)
            return NULL;
        c->entries = e;
        c->cap = cap;
    }
    struct entry *e = &c->entries[c->n++];
    memset(e, 0, sizeof *e);
    e->city = city;
    snprintf(e->path, sizeof e->path, "%s", path);
    return e;
}

enum mp_status mp_automation_cache_get(struct mp_automation_cache *c, const struct mp_city *city,
                                       struct mp_automation **out, struct mp_error *err)
{
    char path[PATH_MAX_];
    struct stamp now;
    enum mp_status rc;
    *out = NULL;
    if (!c)
        return mp_automation_load(city, out, err);
    if (!mp_city_file(city, MP_AUTOMATION_FILE, path, sizeof path))
        return mp_fail(err, MP_EINVAL, "automation", "city pack path too long");
    /* Looked at before it is read: a change after this stat is seen by the
     * next look-up, never lost. */
    stamp_of(path, &now);
    pthread_mutex_lock(&c->lock);
    struct entry *e = entry_of(c, city, path);
    if (!e) {
        rc = MP_ENOMEM;
        goto out;
    }
    if (!e->read || !same_stamp(&e->stamp, &now)) {
        /* Read under the lock: a few kilobytes, and the threads that would
         * otherwise read it at the same moment wait for this one instead. */
        struct mp_automation *fresh = NULL;
        memset(&e->err, 0, sizeof e->err);
        e->rc = mp_automation_load(city, &fresh, &e->err);
        c->loads++;
        mp_automation_free(e->rules);
        e->rules = fresh;
        e->stamp = now;
        /* Out of memory says nothing about the file: read it again next time. */
        e->read = e->rc != MP_ENOMEM;
    }
    rc = e->rc;
    if (rc == MP_OK)
        *out = mp_automation_ref(e->rules);
    else if (err)
        *err = e->err;
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

uint64_t mp_automation_cache_loads(struct mp_automation_cache *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t n = c->loads;
    pthread_mutex_unlock(&c->lock);
    return n;
}
