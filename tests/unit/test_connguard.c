/* test_connguard.c - the connection guard with a fake clock and a fake kill:
 * the per-address cap (trusted proxies exempt), eviction of the longest
 * waiting connection when the reserve is used, the total head deadline, the
 * minimum body rate, and the address table against a reference count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/connguard.h"

#define MAXFD 4096

struct killed {
    bool fd[MAXFD];
    unsigned n;
};

static void fake_kill(void *ctx, int fd)
{
    struct killed *k = ctx;
    assert_true(fd >= 0 && fd < MAXFD);
    assert_false(k->fd[fd]); /* never twice */
    k->fd[fd] = true;
    k->n++;
}

static struct mp_connguard *make(struct killed *k, unsigned max, unsigned reserve,
                                 unsigned per_addr, unsigned head_ms, unsigned rate)
{
    struct mp_connguard_limits lim = {.max_conns = max,
                                      .reserve = reserve,
                                      .per_addr = per_addr,
                                      .head_timeout_ms = head_ms,
                                      .body_min_rate = rate};
    struct mp_connguard *g = NULL;
    memset(k, 0, sizeof *k);
    assert_int_equal(mp_connguard_new(&lim, fake_kill, k, &g), MP_OK);
    return g;
}

static void test_bad_limits(void **state)
{
    (void)state;
    struct killed k;
    struct mp_connguard *g = (struct mp_connguard *)1;
    struct mp_connguard_limits zero = {0}, no_room = {.max_conns = 16, .reserve = 16};
    assert_int_equal(mp_connguard_new(&zero, fake_kill, &k, &g), MP_EINVAL);
    assert_null(g);
    assert_int_equal(mp_connguard_new(&no_room, fake_kill, &k, &g), MP_EINVAL);
    mp_connguard_free(NULL);
}

static void test_per_address_cap(void **state)
{
    (void)state;
    struct killed k;
    struct mp_connguard *g = make(&k, 1000, 8, 3, 0, 0);
    struct mp_conn *c[8];
    for (int i = 0; i < 3; i++) {
        assert_true(mp_connguard_admit(g, "192.0.2.1", false));
        c[i] = mp_connguard_open(g, i, "192.0.2.1", false, 0);
    }
    assert_int_equal(k.n, 0);
    assert_false(mp_connguard_admit(g, "192.0.2.1", false));
    assert_true(mp_connguard_admit(g, "192.0.2.2", false)); /* another client */
    assert_true(mp_connguard_admit(g, "192.0.2.1", true));  /* a trusted proxy */
    /* Past admit (two threads at once): the fourth is killed on open. */
    c[3] = mp_connguard_open(g, 3, "192.0.2.1", false, 0);
    assert_true(k.fd[3]);
    /* A proxy holds as many as it needs. */
    for (int i = 0; i < 4; i++)
        c[4 + i] = mp_connguard_open(g, 10 + i, "127.0.0.1", true, 0);
    assert_int_equal(k.n, 1);
    /* IPv6 counts per /64. */
    struct mp_conn *v6[3];
    for (int i = 0; i < 3; i++) {
        char a[64];
        snprintf(a, sizeof a, "2001:db8:1:2::%d", i + 1);
        v6[i] = mp_connguard_open(g, 20 + i, a, false, 0);
    }
    assert_false(mp_connguard_admit(g, "2001:db8:1:2:ffff::1", false));
    assert_true(mp_connguard_admit(g, "2001:db8:1:3::1", false));
    /* Closing frees the slot. */
    mp_connguard_close(g, c[3]);
    mp_connguard_close(g, c[0]);
    assert_true(mp_connguard_admit(g, "192.0.2.1", false));
    struct mp_connguard_stats st;
    mp_connguard_stats(g, &st);
    assert_int_equal(st.open, 9);
    assert_int_equal(st.refused_addr, 3); /* two at admit, one at open */
    for (int i = 1; i < 3; i++)
        mp_connguard_close(g, c[i]);
    for (int i = 4; i < 8; i++)
        mp_connguard_close(g, c[i]);
    for (int i = 0; i < 3; i++)
        mp_connguard_close(g, v6[i]);
    mp_connguard_stats(g, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.waiting, 0);
    mp_connguard_free(g);
}

static void test_eviction_keeps_the_reserve(void **state)
{
    (void)state;
    struct killed k;
    /* Room for 16, 4 kept free: the 13th live connection evicts. */
    struct mp_connguard *g = make(&k, 16, 4, 0, 0, 0);
    struct mp_conn *c[20];
    for (int i = 0; i < 12; i++)
        c[i] = mp_connguard_open(g, i, "192.0.2.1", false, i);
    assert_int_equal(k.n, 0);
    /* Connection 0 is answering: never evicted. 1 waits longest. */
    mp_connguard_head(g, c[0], 100);
    mp_connguard_busy(g, c[0]);
    c[12] = mp_connguard_open(g, 12, "192.0.2.9", false, 200);
    assert_int_equal(k.n, 1);
    assert_true(k.fd[1]);
    /* Connection 2 finished a request and waits again: now the youngest. */
    mp_connguard_head(g, c[2], 300);
    mp_connguard_busy(g, c[2]);
    mp_connguard_idle(g, c[2], 301);
    c[13] = mp_connguard_open(g, 13, "192.0.2.9", false, 400);
    assert_true(k.fd[3]);
    assert_false(k.fd[2]);
    struct mp_connguard_stats st;
    mp_connguard_stats(g, &st);
    assert_int_equal(st.evicted, 2);
    for (int i = 0; i < 14; i++)
        mp_connguard_close(g, c[i]);
    mp_connguard_free(g);
}

static void test_head_deadline_is_total(void **state)
{
    (void)state;
    struct killed k;
    struct mp_connguard *g = make(&k, 100, 8, 0, 10000, 0);
    struct mp_conn *slow = mp_connguard_open(g, 1, "192.0.2.1", false, 0);
    struct mp_conn *late = mp_connguard_open(g, 2, "192.0.2.2", false, 5000);
    struct mp_conn *keep = mp_connguard_open(g, 3, "192.0.2.3", false, 0);
    mp_connguard_head(g, keep, 9000); /* head in time: no head deadline any more */
    mp_connguard_busy(g, keep);
    assert_int_equal(mp_connguard_sweep(g, 9999), 0);
    assert_int_equal(mp_connguard_sweep(g, 10000), 1);
    assert_true(k.fd[1]);
    assert_int_equal(mp_connguard_sweep(g, 14999), 0);
    assert_int_equal(mp_connguard_sweep(g, 15000), 1);
    assert_true(k.fd[2]);
    /* Busy for a minute: still there. Back to waiting: a fresh deadline. */
    assert_int_equal(mp_connguard_sweep(g, 70000), 0);
    mp_connguard_idle(g, keep, 70000);
    assert_int_equal(mp_connguard_sweep(g, 79999), 0);
    assert_int_equal(mp_connguard_sweep(g, 80000), 1);
    assert_int_equal(mp_connguard_sweep(g, 90000), 0); /* killed once */
    struct mp_connguard_stats st;
    mp_connguard_stats(g, &st);
    assert_int_equal(st.killed_deadline, 3);
    assert_int_equal(st.open, 3); /* until the HTTP layer closes them */
    mp_connguard_close(g, slow);
    mp_connguard_close(g, late);
    mp_connguard_close(g, keep);
    /* Phase changes on NULL (an untracked connection) are harmless. */
    mp_connguard_head(g, NULL, 0);
    mp_connguard_body(g, NULL, 5);
    mp_connguard_close(g, NULL);
    mp_connguard_free(g);
}

static void test_body_min_rate(void **state)
{
    (void)state;
    struct killed k;
    /* 10 s grace, then 1000 bytes/s on average. */
    struct mp_connguard *g = make(&k, 100, 8, 0, 10000, 1000);
    struct mp_conn *fast = mp_connguard_open(g, 1, "192.0.2.1", false, 0);
    struct mp_conn *slow = mp_connguard_open(g, 2, "192.0.2.2", false, 0);
    mp_connguard_head(g, fast, 1000);
    mp_connguard_head(g, slow, 1000);
    mp_connguard_body(g, fast, 5000);
    mp_connguard_body(g, slow, 1);
    assert_int_equal(mp_connguard_sweep(g, 11000), 0); /* grace */
    assert_int_equal(mp_connguard_sweep(g, 15000), 1); /* 4 s late: 4000 bytes owed */
    assert_true(k.fd[2]);
    assert_int_equal(mp_connguard_sweep(g, 16000), 0); /* fast has 5000 of 5000 */
    assert_int_equal(mp_connguard_sweep(g, 16001), 1);
    mp_connguard_close(g, fast);
    mp_connguard_close(g, slow);
    mp_connguard_free(g);
}

/* Issue 19: a streamed answer (an export) must keep a minimum pace after
 * the grace and end within its length, whatever its client does. The fds
 * here are no sockets, so nothing counts as still queued. */
static void test_send_rate_and_length(void **state)
{
    (void)state;
    struct killed k;
    struct mp_connguard_limits lim = {.max_conns = 100,
                                      .reserve = 8,
                                      .head_timeout_ms = 10000,
                                      .send_min_rate = 1000,
                                      .send_max_ms = 60000};
    struct mp_connguard *g = NULL;
    memset(&k, 0, sizeof k);
    assert_int_equal(mp_connguard_new(&lim, fake_kill, &k, &g), MP_OK);
    struct mp_conn *fast = mp_connguard_open(g, 5, "192.0.2.1", false, 0);
    struct mp_conn *slow = mp_connguard_open(g, 6, "192.0.2.2", false, 0);
    struct mp_conn *plain = mp_connguard_open(g, 7, "192.0.2.3", false, 0);
    for (int i = 0; i < 3; i++)
        mp_connguard_head(g, (struct mp_conn *[]){fast, slow, plain}[i], 1000);
    mp_connguard_busy(g, plain); /* an answer that does not stream: no pace */
    mp_connguard_stream(g, fast, 1000);
    mp_connguard_stream(g, slow, 1000);
    mp_connguard_sent(g, fast, 10000);
    mp_connguard_sent(g, slow, 10);
    assert_int_equal(mp_connguard_sweep(g, 11000), 0); /* grace */
    assert_int_equal(mp_connguard_sweep(g, 12000), 1); /* 1 s late: 1000 bytes owed */
    assert_true(k.fd[6]);
    mp_connguard_sent(g, fast, 1000000);
    assert_int_equal(mp_connguard_sweep(g, 60999), 0);
    assert_int_equal(mp_connguard_sweep(g, 61000), 1); /* fast enough, but too long */
    assert_true(k.fd[5]);
    assert_false(k.fd[7]);
    struct mp_connguard_stats st;
    mp_connguard_stats(g, &st);
    assert_int_equal(st.killed_send, 2);
    assert_int_equal(st.killed_deadline, 0);
    /* The next request on a connection is no longer watched as a stream. */
    mp_connguard_idle(g, plain, 61000);
    mp_connguard_close(g, fast);
    mp_connguard_close(g, slow);
    mp_connguard_close(g, plain);
    mp_connguard_free(g);
}

/* Many addresses opened and closed in random order: the table's counts match
 * a plain array's (backward-shift deletion keeps probe runs intact). */
static void test_address_table_matches_reference(void **state)
{
    (void)state;
    struct killed k;
    enum { N = 600, ADDRS = 150, CAP = 4 };
    struct mp_connguard *g = make(&k, 1000, 8, CAP, 0, 0);
    struct mp_conn *c[N] = {0};
    int addr_of[N], count[ADDRS] = {0};
    srand(7);
    for (int step = 0; step < 20000; step++) {
        int i = rand() % N;
        if (c[i]) {
            mp_connguard_close(g, c[i]);
            c[i] = NULL;
            count[addr_of[i]]--;
            continue;
        }
        int a = rand() % ADDRS;
        char text[32];
        snprintf(text, sizeof text, "10.%d.%d.1", a / 7, a % 7);
        bool admit = mp_connguard_admit(g, text, false);
        assert_int_equal(admit, count[a] < CAP);
        if (!admit)
            continue;
        c[i] = mp_connguard_open(g, i, text, false, 0);
        addr_of[i] = a;
        count[a]++;
    }
    for (int i = 0; i < N; i++)
        mp_connguard_close(g, c[i]);
    struct mp_connguard_stats st;
    mp_connguard_stats(g, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(k.n, 0);
    mp_connguard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_limits),
        cmocka_unit_test(test_per_address_cap),
        cmocka_unit_test(test_eviction_keeps_the_reserve),
        cmocka_unit_test(test_head_deadline_is_total),
        cmocka_unit_test(test_body_min_rate),
        cmocka_unit_test(test_send_rate_and_length),
        cmocka_unit_test(test_address_table_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
