/* service.c - sd_notify for systemd (service.h). The only file that
 * includes sd-daemon.h. */
#include "meldpunt/service.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "meldpunt/health.h"

struct mp_service {
    struct mp_app *app;
    uint64_t interval_us; /* between pings: half of WatchdogSec */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled to stop */
    bool stop, running;
};

/* Whether the database still answers a worker context: the same question
 * as the public /healthz. It waits for a free context, so a server whose
 * workers are all stuck stops pinging. */
static bool alive(struct mp_app *app)
{
    struct mp_error err;
    struct mp_ctx *ctx = mp_app_acquire(app);
    bool ok = ctx && mp_health_alive(ctx, &err) == MP_OK;
    mp_app_release(app, ctx);
    return ok;
}

static void *watchdog(void *arg)
{
    struct mp_service *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (s->interval_us % 1000000u) * 1000u;
        until.tv_sec += (time_t)(s->interval_us / 1000000u + ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        int rc = 0;
        while (!s->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&s->cond, &s->lock, &until);
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->lock);
        if (alive(s->app))
            (void)sd_notify(0, "WATCHDOG=1");
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

enum mp_status mp_service_ready(struct mp_app *app, const char *url, struct mp_service **out)
{
    char status[320];
    uint64_t usec = 0;
    *out = NULL;
    /* %.280s: always fits. */
    (void)snprintf(status, sizeof status, "READY=1\nSTATUS=listening on %.280s", url);
    (void)sd_notify(0, status);
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return MP_OK;
    struct mp_service *s = calloc(1, sizeof *s);
    if (!s)
        return MP_ENOMEM;
    s->app = app;
    s->interval_us = usec / 2;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, watchdog, s) != 0) {
        mp_service_stopping(s);
        return MP_ENOMEM;
    }
    s->running = true;
    /* The first ping at once: the interval starts counting at READY. */
    (void)sd_notify(0, "WATCHDOG=1");
    *out = s;
    return MP_OK;
}

void mp_service_stopping(struct mp_service *s)
{
    (void)sd_notify(0, "STOPPING=1");
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (s->running)
        pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
