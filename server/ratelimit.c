/* ratelimit.c - per-client token buckets in a fixed, set-associative table.
 *
 * Why set-associative and not open addressing with probing: a key may only
 * live in the WAYS slots of its set, so a lookup scans a fixed, small window
 * and a slot can be reused in place without tombstones or rehashing. That
 * keeps memory and the time under the mutex bounded whatever clients send.
 */
#include "meldpunt/ratelimit.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAYS 8
#define MIN_CAPACITY 64
#define MAX_CAPACITY ((size_t)1 << 24)
#define MAX_RETRY_S 86400u

struct bucket {
    char key[MP_RATELIMIT_KEY_MAX];
    double tokens;
    int64_t last_ms; /* time of the last refill (last use) */
    bool used;
};

struct mp_ratelimit {
    pthread_mutex_t lock;
    double rate_per_ms, burst;
    size_t mask; /* capacity - 1; capacity is a power of two and a multiple of WAYS */
    size_t used;
    uint64_t seed;
    struct bucket *slots; /* owned: capacity entries */
};

int64_t mp_ratelimit_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t make_seed(const void *salt)
{
    uint64_t s = 0;
    if (getentropy(&s, sizeof s) != 0) {
        /* No entropy source: a weaker but still per-process seed. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)salt ^
            (uint64_t)getpid();
    }
    return s;
}

/* FNV-1a over the key, started from the seed, then the splitmix64 finisher
 * so that the low bits (the set index) depend on every byte. */
static uint64_t hash_key(uint64_t seed, const char *k)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (; *k; k++) {
        h ^= (unsigned char)*k;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

void mp_ratelimit_key(const char *ip, char *out, size_t cap)
{
    struct in6_addr a6;
    size_t n = 0;
    if (!ip)
        ip = "";
    if (strchr(ip, ':') && strlen(ip) < INET6_ADDRSTRLEN && inet_pton(AF_INET6, ip, &a6) == 1 &&
        !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(&a6.s6_addr[8], 0, 8);
        if (inet_ntop(AF_INET6, &a6, out, (socklen_t)cap)) {
            n = strlen(out);
            if (n + 3 < cap)
                memcpy(out + n, "/64", 4);
            return;
        }
    }
    n = strlen(ip);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, ip, n);
    out[n] = '\0';
}

enum mp_status mp_ratelimit_new(double rate_per_s, double burst, size_t capacity,
                                struct mp_ratelimit **out)
{
    enum mp_status rc = MP_OK;
    struct mp_ratelimit *rl = NULL;
    *out = NULL;
    if (!(rate_per_s > 0) || !isfinite(rate_per_s) || rate_per_s > 1e6 || !(burst >= 1) ||
        !isfinite(burst) || burst > 1e9) {
        rc = MP_EINVAL;
        goto out;
    }
    size_t cap = MIN_CAPACITY;
    while (cap < capacity && cap < MAX_CAPACITY)
        cap <<= 1;
    rl = calloc(1, sizeof *rl);
    if (!rl || !(rl->slots = calloc(cap, sizeof *rl->slots))) {
        rc = MP_ENOMEM;
        goto out;
    }
    if (pthread_mutex_init(&rl->lock, NULL) != 0) {
        rc = MP_ENOMEM;
        goto out;
    }
    rl->rate_per_ms = rate_per_s / 1000.0;
    rl->burst = burst;
    rl->mask = cap - 1;
    rl->seed = make_seed(rl);
    *out = rl;
    rl = NULL;
out:
    if (rl) {
        free(rl->slots);
        free(rl);
    }
    return rc;
}

void mp_ratelimit_free(struct mp_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

/* Tokens of b at now (not stored). */
static double refilled(const struct mp_ratelimit *rl, const struct bucket *b, int64_t now_ms)
{
    int64_t dt = now_ms - b->last_ms;
    if (dt <= 0)
        return b->tokens;
    double t = b->tokens + (double)dt * rl->rate_per_ms;
    return t > rl->burst ? rl->burst : t;
}

static unsigned retry_after(const struct mp_ratelimit *rl, double tokens)
{
    double s = ceil((1.0 - tokens) / (rl->rate_per_ms * 1000.0));
    if (!(s >= 1))
        return 1;
    return s > MAX_RETRY_S ? MAX_RETRY_S : (unsigned)s;
}

/* The bucket of key, or NULL when absent and !create. With create, a slot
 * of the set is reused when needed: an empty one, else one whose bucket is
 * full again (forgetting it changes nothing), else the least recently seen.
 * Called with the lock held. */
static struct bucket *find(struct mp_ratelimit *rl, const char *key, int64_t now_ms, bool create)
{
    struct bucket *set = &rl->slots[hash_key(rl->seed, key) & rl->mask & ~(size_t)(WAYS - 1)];
    struct bucket *empty = NULL, *idle = NULL, *oldest = NULL;
    for (int i = 0; i < WAYS; i++) {
        struct bucket *b = &set[i];
        if (!b->used) {
            if (!empty)
                empty = b;
            continue;
        }
        if (strcmp(b->key, key) == 0)
            return b;
        if (!idle && refilled(rl, b, now_ms) >= rl->burst)
            idle = b;
        if (!oldest || b->last_ms < oldest->last_ms)
            oldest = b;
    }
    if (!create)
        return NULL;
    struct bucket *b = empty ? empty : idle ? idle : oldest;
    if (empty)
        rl->used++;
    memcpy(b->key, key, strlen(key) + 1);
    b->tokens = rl->burst;
    b->last_ms = now_ms;
    b->used = true;
    return b;
}

static bool take_or_peek(struct mp_ratelimit *rl, const char *ip, int64_t now_ms,
                         unsigned *retry_after_s, bool take)
{
    char key[MP_RATELIMIT_KEY_MAX];
    bool ok;
    if (retry_after_s)
        *retry_after_s = 0;
    if (!rl)
        return true;
    mp_ratelimit_key(ip, key, sizeof key);
    pthread_mutex_lock(&rl->lock);
    struct bucket *b = find(rl, key, now_ms, take);
    if (!b) { /* peek at an unknown client: its bucket would be full */
        pthread_mutex_unlock(&rl->lock);
        return true;
    }
    double t = refilled(rl, b, now_ms);
    ok = t >= 1.0;
    if (take) {
        b->tokens = ok ? t - 1.0 : t;
        if (now_ms > b->last_ms)
            b->last_ms = now_ms;
    }
    if (!ok && retry_after_s)
        *retry_after_s = retry_after(rl, t);
    pthread_mutex_unlock(&rl->lock);
    return ok;
}

bool mp_ratelimit_take(struct mp_ratelimit *rl, const char *key, int64_t now_ms,
                       unsigned *retry_after_s)
{
    return take_or_peek(rl, key, now_ms, retry_after_s, true);
}

bool mp_ratelimit_peek(struct mp_ratelimit *rl, const char *key, int64_t now_ms,
                       unsigned *retry_after_s)
{
    return take_or_peek(rl, key, now_ms, retry_after_s, false);
}

size_t mp_ratelimit_size(struct mp_ratelimit *rl)
{
    if (!rl)
        return 0;
    pthread_mutex_lock(&rl->lock);
    size_t n = rl->used;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
