/* test_pg_outbox.c - the outbox with several servers on one PostgreSQL
 * database (each runs a sender): two senders leasing at the same time send
 * every message exactly once; a sender's look outside a transaction skips
 * the messages another is leasing without waiting for it; a server that
 * starts frees the leases of servers that are gone (kill -9) and those
 * that ran out, never one a live server holds.
 * (On SQLite one server owns the file, and a starting sender frees every
 * lease: store_notify.h.)
 *
 * Each "server" is a store of its own on the one database. Runs only with
 * MELDPUNT_TEST_ENGINE=pg (tests/CMakeLists.txt registers it with the
 * cluster of tests/pg/cluster.sh). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/store.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/timeutil.h"

#define MESSAGES 240
#define BATCH 8
#define LEASE_S 300

struct server {
    struct mp_store *st;
    struct mp_store_sess *s;
};

struct fx {
    struct fx_dbfile file;
    struct server a, b;
};

static struct fx_dbfile g_template;

static int group_setup(void **state)
{
    (void)state;
    if (!fx_engine_pg()) {
        fprintf(stderr, "test_pg_outbox runs with MELDPUNT_TEST_ENGINE=pg only\n");
        return -1;
    }
    return fx_template_make(&g_template);
}

static int group_teardown(void **state)
{
    (void)state;
    fx_rm_dir(g_template.dir);
    return 0;
}

static int server_open(struct server *v, const char *path)
{
    struct mp_error err = {{0}, {0}};
    struct mp_store_opts o;
    fx_store_opts(&o, 1);
    o.busy_ms = 5000;
    if (mp_store_open(path, &o, &v->st, &err) != MP_OK) {
        fprintf(stderr, "mp_store_open: %s\n", err.text);
        return -1;
    }
    v->s = mp_store_acquire(v->st);
    return 0;
}

static void server_close(struct server *v)
{
    if (!v->st)
        return;
    mp_store_release(v->st, v->s);
    mp_store_close(v->st);
    v->st = NULL;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || fx_dbfile_copy(&f->file, "mp-pg", &g_template) != 0) {
        free(f);
        return -1;
    }
    if (server_open(&f->a, f->file.path) || server_open(&f->b, f->file.path)) {
        server_close(&f->a);
        fx_rm_dir(f->file.dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    server_close(&f->a);
    server_close(&f->b);
    fx_rm_dir(f->file.dir);
    free(f);
    return 0;
}

/* Queue n mail messages due at `at`, each to an address of its own; the
 * first one's id (the others follow it). */
static int64_t queue(struct mp_store_sess *s, int n, int64_t at)
{
    int64_t first = 0;
    struct mp_error err = {{0}, {0}};
    assert_int_equal(mp_store_begin_write(s, &err), MP_OK);
    for (int i = 0; i < n; i++) {
        char rcpt[64], hash[64];
        snprintf(rcpt, sizeof rcpt, "r%d@example.org", i);
        snprintf(hash, sizeof hash, "hash-%d", i);
        struct mp_outbox_rec m = {.kind = "confirm",
                                  .channel = "mail",
                                  .rcpt = rcpt,
                                  .rcpt_hash = hash,
                                  .lang = "en",
                                  .created_at = at,
                                  .next_at = at};
        int64_t id = 0;
        assert_int_equal(mp_store_outbox_add(s, &m, &id), MP_OK);
        assert_true(id > 0);
        if (i == 0)
            first = id;
        else
            assert_int_equal(id, first + i);
    }
    assert_int_equal(mp_store_commit(s, &err), MP_OK);
    return first;
}

struct taken {
    int64_t ids[MESSAGES];
    size_t n;
};

static int take(void *ctx, const struct mp_outbox_row *r)
{
    struct taken *t = ctx;
    if (t->n < MESSAGES)
        t->ids[t->n++] = r->id;
    return 0;
}

/* What every server sent, shared by the two senders. */
struct sent {
    pthread_mutex_t lock;
    int64_t first;       /* the first message's id */
    int times[MESSAGES]; /* by message id - first */
    int64_t other;       /* ids out of range */
};

struct sender {
    struct server *v;
    struct sent *sent;
    int rounds, errors;
};

/* The sender's cycle of outbox.c: take what is due and lease it in one
 * write transaction, "send" outside any, then mark it sent. */
static void *sender(void *p)
{
    struct sender *d = p;
    struct mp_store_sess *s = d->v->s;
    struct mp_error err = {{0}, {0}};
    for (;;) {
        struct taken t = {{0}, 0};
        int64_t now = mp_time_now();
        if (mp_store_begin_write(s, &err) != MP_OK) {
            d->errors++;
            return NULL;
        }
        enum mp_status rc = mp_store_outbox_due(s, "mail", now, BATCH, take, &t);
        for (size_t i = 0; rc == MP_OK && i < t.n; i++)
            rc = mp_store_outbox_lease(s, t.ids[i], now + LEASE_S);
        if (rc || mp_store_commit(s, &err) != MP_OK) {
            mp_store_rollback(s);
            d->errors++;
            return NULL;
        }
        if (t.n == 0)
            return NULL;
        d->rounds++;
        pthread_mutex_lock(&d->sent->lock);
        for (size_t i = 0; i < t.n; i++) {
            int64_t k = t.ids[i] - d->sent->first;
            if (k >= 0 && k < MESSAGES)
                d->sent->times[k]++;
            else
                d->sent->other++;
        }
        pthread_mutex_unlock(&d->sent->lock);
        (void)usleep(2000); /* the relay takes its time; the other sender goes on */
        if (mp_store_begin_write(s, &err) != MP_OK) {
            d->errors++;
            return NULL;
        }
        for (size_t i = 0; rc == MP_OK && i < t.n; i++)
            rc = mp_store_outbox_finish(s, t.ids[i], "sent", true, 0, now, NULL);
        if (rc || mp_store_commit(s, &err) != MP_OK) {
            mp_store_rollback(s);
            d->errors++;
            return NULL;
        }
    }
}

static int count_state(void *ctx, const char *state, int64_t n)
{
    if (strcmp(state, "sent") == 0)
        *(int64_t *)ctx = n;
    return 0;
}

static void test_two_senders_send_each_message_once(void **state)
{
    struct fx *f = *state;
    struct sent sent = {.other = 0};
    pthread_mutex_init(&sent.lock, NULL);
    sent.first = queue(f->a.s, MESSAGES, mp_time_now() - 1);

    struct sender da = {&f->a, &sent, 0, 0}, db = {&f->b, &sent, 0, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, sender, &da), 0);
    assert_int_equal(pthread_create(&tb, NULL, sender, &db), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_mutex_destroy(&sent.lock);

    assert_int_equal(da.errors + db.errors, 0);
    assert_int_equal(sent.other, 0);
    for (int k = 0; k < MESSAGES; k++)
        if (sent.times[k] != 1)
            fail_msg("message %lld was sent %d times", (long long)(sent.first + k), sent.times[k]);
    /* Both took part (a round is at most BATCH messages). */
    assert_true(da.rounds > 0 && db.rounds > 0);
    assert_int_equal(da.rounds + db.rounds, MESSAGES / BATCH);
    int64_t n = 0;
    assert_int_equal(mp_store_outbox_counts(f->b.s, count_state, &n), MP_OK);
    assert_int_equal(n, MESSAGES);
}

static int count_rows(void *ctx, const struct mp_outbox_row *r)
{
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_look_skips_what_another_leases(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    int64_t now = mp_time_now();
    queue(f->a.s, 3, now - 1);

    /* Server a takes the three and has not leased them yet. */
    struct taken t = {{0}, 0};
    assert_int_equal(mp_store_begin_write(f->a.s, &err), MP_OK);
    assert_int_equal(mp_store_outbox_due(f->a.s, "mail", now, BATCH, take, &t), MP_OK);
    assert_int_equal((int)t.n, 3);
    /* Server b's look outside a transaction (the webhook sender's) neither
     * waits for a nor sees what a is taking. */
    time_t t0 = time(NULL);
    int seen = 0;
    assert_int_equal(mp_store_outbox_due(f->b.s, "mail", now, BATCH, count_rows, &seen), MP_OK);
    assert_int_equal(seen, 0);
    assert_true(time(NULL) - t0 < 3); /* b's lock_timeout is 5 s */
    for (size_t i = 0; i < t.n; i++)
        assert_int_equal(mp_store_outbox_lease(f->a.s, t.ids[i], now + LEASE_S), MP_OK);
    assert_int_equal(mp_store_commit(f->a.s, &err), MP_OK);
    /* Leased: not due for anyone until the lease runs out. */
    assert_int_equal(mp_store_outbox_due(f->b.s, "mail", now, BATCH, count_rows, &seen), MP_OK);
    assert_int_equal(seen, 0);
    assert_int_equal(mp_store_outbox_due(f->b.s, "mail", now + LEASE_S, BATCH, count_rows, &seen),
                     MP_OK);
    assert_int_equal(seen, 3);
}

static void test_starting_server_keeps_others_leases(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    int64_t now = mp_time_now();
    queue(f->a.s, 2, now - 1);

    /* Server a leases both: one for the usual time, one whose lease ran
     * out (its server died a while ago). */
    struct taken t = {{0}, 0};
    assert_int_equal(mp_store_begin_write(f->a.s, &err), MP_OK);
    assert_int_equal(mp_store_outbox_due(f->a.s, "mail", now, BATCH, take, &t), MP_OK);
    assert_int_equal((int)t.n, 2);
    assert_int_equal(mp_store_outbox_lease(f->a.s, t.ids[0], now + LEASE_S), MP_OK);
    assert_int_equal(mp_store_outbox_lease(f->a.s, t.ids[1], now - 10), MP_OK);
    assert_int_equal(mp_store_commit(f->a.s, &err), MP_OK);

    /* Server b starts (outbox.c: release_all) and looks a little later:
     * a's live lease holds, the expired one is free. */
    assert_int_equal(mp_store_begin_write(f->b.s, &err), MP_OK);
    assert_int_equal(mp_store_outbox_release_all(f->b.s), MP_OK);
    assert_int_equal(mp_store_commit(f->b.s, &err), MP_OK);
    struct taken u = {{0}, 0};
    assert_int_equal(mp_store_outbox_due(f->b.s, "mail", now + 5, BATCH, take, &u), MP_OK);
    assert_int_equal((int)u.n, 1);
    assert_int_equal(u.ids[0], t.ids[1]);
}

static void test_dead_servers_leases_are_freed(void **state)
{
    struct fx *f = *state;
    struct mp_error err = {{0}, {0}};
    int64_t now = mp_time_now();
    queue(f->a.s, 1, now - 1);
    struct taken t = {{0}, 0};
    assert_int_equal(mp_store_begin_write(f->a.s, &err), MP_OK);
    assert_int_equal(mp_store_outbox_due(f->a.s, "mail", now, BATCH, take, &t), MP_OK);
    assert_int_equal((int)t.n, 1);
    assert_int_equal(mp_store_outbox_lease(f->a.s, t.ids[0], now + LEASE_S), MP_OK);
    assert_int_equal(mp_store_commit(f->a.s, &err), MP_OK);

    /* Server a dies (its connections end, as with kill -9); server b starts
     * and sends a's message at once, not after the lease. PostgreSQL ends
     * a's backend when it sees the connection close: a moment. */
    server_close(&f->a);
    struct taken u = {{0}, 0};
    for (int i = 0; i < 50 && u.n == 0; i++) {
        assert_int_equal(mp_store_begin_write(f->b.s, &err), MP_OK);
        assert_int_equal(mp_store_outbox_release_all(f->b.s), MP_OK);
        assert_int_equal(mp_store_commit(f->b.s, &err), MP_OK);
        assert_int_equal(mp_store_outbox_due(f->b.s, "mail", now + 1, BATCH, take, &u), MP_OK);
        if (u.n == 0)
            (void)usleep(100000);
    }
    assert_int_equal((int)u.n, 1);
    assert_int_equal(u.ids[0], t.ids[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_senders_send_each_message_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_look_skips_what_another_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starting_server_keeps_others_leases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_servers_leases_are_freed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
