/* test_ratelimit.c - per-IP token buckets: refill and Retry-After, key
 * normalisation, bounded memory under a flood of addresses, and exact counts
 * under contention from many threads. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meldpunt/ratelimit.h"

static struct mp_ratelimit *make(double rate, double burst, size_t cap)
{
    struct mp_ratelimit *rl = NULL;
    assert_int_equal(mp_ratelimit_new(rate, burst, cap, &rl), MP_OK);
    assert_non_null(rl);
    return rl;
}

static void test_new_rejects_bad_settings(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = (struct mp_ratelimit *)1;
    assert_int_equal(mp_ratelimit_new(0, 5, 100, &rl), MP_EINVAL);
    assert_null(rl);
    assert_int_equal(mp_ratelimit_new(-1, 5, 100, &rl), MP_EINVAL);
    assert_int_equal(mp_ratelimit_new(1, 0.5, 100, &rl), MP_EINVAL);
    assert_int_equal(mp_ratelimit_new(INFINITY, 5, 100, &rl), MP_EINVAL);
    assert_int_equal(mp_ratelimit_new(NAN, 5, 100, &rl), MP_EINVAL);
    assert_int_equal(mp_ratelimit_new(1, NAN, 100, &rl), MP_EINVAL);
    assert_null(rl);
    mp_ratelimit_free(NULL);
}

static void test_null_table_allows_everything(void **state)
{
    (void)state;
    unsigned ra = 99;
    for (int i = 0; i < 1000; i++)
        assert_true(mp_ratelimit_take(NULL, "10.0.0.1", 0, &ra));
    assert_int_equal(ra, 0);
    assert_true(mp_ratelimit_peek(NULL, "10.0.0.1", 0, NULL));
    assert_int_equal(mp_ratelimit_size(NULL), 0);
}

static void test_burst_then_refill(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(2.0, 3.0, 100); /* 2 per second, 3 at once */
    unsigned ra = 0;
    int64_t t = 1000000;
    for (int i = 0; i < 3; i++) {
        assert_true(mp_ratelimit_take(rl, "192.0.2.7", t, &ra));
        assert_int_equal(ra, 0);
    }
    assert_false(mp_ratelimit_take(rl, "192.0.2.7", t, &ra));
    assert_int_equal(ra, 1); /* half a second to the next token: rounded up */
    assert_false(mp_ratelimit_take(rl, "192.0.2.7", t + 499, &ra));
    assert_int_equal(ra, 1);
    assert_true(mp_ratelimit_take(rl, "192.0.2.7", t + 500, &ra));
    assert_false(mp_ratelimit_take(rl, "192.0.2.7", t + 500, NULL));
    /* A long pause refills up to the burst, never beyond. */
    t += 3600 * 1000;
    for (int i = 0; i < 3; i++)
        assert_true(mp_ratelimit_take(rl, "192.0.2.7", t, NULL));
    assert_false(mp_ratelimit_take(rl, "192.0.2.7", t, NULL));
    /* Another client has its own bucket. */
    assert_true(mp_ratelimit_take(rl, "192.0.2.8", t, NULL));
    assert_int_equal(mp_ratelimit_size(rl), 2);
    mp_ratelimit_free(rl);
}

static void test_retry_after_slow_rate(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(0.1, 1.0, 100); /* one per ten seconds */
    unsigned ra = 0;
    assert_true(mp_ratelimit_take(rl, "198.51.100.1", 0, &ra));
    assert_false(mp_ratelimit_take(rl, "198.51.100.1", 0, &ra));
    assert_int_equal(ra, 10);
    assert_false(mp_ratelimit_take(rl, "198.51.100.1", 2500, &ra));
    assert_int_equal(ra, 8); /* 7.5 s rounded up */
    assert_false(mp_ratelimit_take(rl, "198.51.100.1", 9999, &ra));
    assert_int_equal(ra, 1);
    assert_true(mp_ratelimit_take(rl, "198.51.100.1", 10000, &ra));
    mp_ratelimit_free(rl);
}

static void test_clock_going_back_adds_nothing(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(1.0, 1.0, 100);
    assert_true(mp_ratelimit_take(rl, "203.0.113.5", 50000, NULL));
    assert_false(mp_ratelimit_take(rl, "203.0.113.5", 10000, NULL));
    assert_false(mp_ratelimit_take(rl, "203.0.113.5", 50500, NULL));
    assert_true(mp_ratelimit_take(rl, "203.0.113.5", 51000, NULL));
    mp_ratelimit_free(rl);
}

static void test_peek_does_not_take(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(1.0, 2.0, 100);
    unsigned ra = 0;
    /* Unknown clients are not stored by a peek. */
    assert_true(mp_ratelimit_peek(rl, "192.0.2.1", 0, &ra));
    assert_int_equal(mp_ratelimit_size(rl), 0);
    for (int i = 0; i < 10; i++)
        assert_true(mp_ratelimit_peek(rl, "192.0.2.1", 0, NULL));
    assert_true(mp_ratelimit_take(rl, "192.0.2.1", 0, NULL));
    assert_true(mp_ratelimit_peek(rl, "192.0.2.1", 0, NULL));
    assert_true(mp_ratelimit_take(rl, "192.0.2.1", 0, NULL));
    assert_false(mp_ratelimit_peek(rl, "192.0.2.1", 0, &ra));
    assert_int_equal(ra, 1);
    assert_true(mp_ratelimit_peek(rl, "192.0.2.1", 1000, NULL));
    mp_ratelimit_free(rl);
}

static void test_ipv6_keyed_by_prefix(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(1.0, 2.0, 100);
    /* Two addresses of one /64 share a bucket... */
    assert_true(mp_ratelimit_take(rl, "2001:db8:1:2::1", 0, NULL));
    assert_true(mp_ratelimit_take(rl, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 0, NULL));
    assert_false(mp_ratelimit_take(rl, "2001:DB8:1:2::ffff", 0, NULL));
    /* ...another /64 has its own. */
    assert_true(mp_ratelimit_take(rl, "2001:db8:1:3::1", 0, NULL));
    /* IPv4-mapped addresses are IPv4 clients: never grouped. */
    assert_true(mp_ratelimit_take(rl, "::ffff:192.0.2.1", 0, NULL));
    assert_true(mp_ratelimit_take(rl, "::ffff:192.0.2.1", 0, NULL));
    assert_true(mp_ratelimit_take(rl, "::ffff:192.0.2.2", 0, NULL));
    assert_false(mp_ratelimit_take(rl, "::ffff:192.0.2.1", 0, NULL));
    /* Odd keys are taken literally and bounded. */
    char longkey[300];
    memset(longkey, 'x', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    assert_true(mp_ratelimit_take(rl, longkey, 0, NULL));
    assert_true(mp_ratelimit_take(rl, NULL, 0, NULL));
    assert_true(mp_ratelimit_take(rl, "", 0, NULL));
    assert_false(mp_ratelimit_take(rl, NULL, 0, NULL)); /* NULL and "" share one */
    mp_ratelimit_free(rl);
}

/* 5000 addresses pass through a table of 1024 while one busy client keeps
 * sending every 10 ms: memory stays at the capacity and the busy client,
 * always the most recently seen, is never forgotten, so it gets exactly
 * what an unbounded table would give it: the burst plus one per second. */
static void test_flood_is_bounded_and_keeps_active_client(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(1.0, 2.0, 1000);
    int allowed = 0, flood = 0;
    char ip[32];
    for (int64_t t = 0; t < 100000; t += 10) {
        if (mp_ratelimit_take(rl, "192.0.2.99", t, NULL))
            allowed++;
        if (t % 20 == 0) {
            snprintf(ip, sizeof ip, "10.%d.%d.%d", flood >> 16 & 255, flood >> 8 & 255,
                     flood & 255);
            assert_true(mp_ratelimit_take(rl, ip, t, NULL)); /* a new client is never refused */
            flood++;
        }
        assert_true(mp_ratelimit_size(rl) <= 1024);
    }
    assert_int_equal(flood, 5000);
    assert_int_equal(mp_ratelimit_size(rl), 1024);
    print_message("busy client allowed %d of 10000 over 100 s\n", allowed);
    assert_in_range(allowed, 101, 102);

    /* A flood far beyond capacity still allocates nothing more. */
    for (int i = 0; i < 200000; i++) {
        snprintf(ip, sizeof ip, "172.16.%d.%d", i >> 8 & 255, i & 255);
        (void)mp_ratelimit_take(rl, ip, 200000, NULL);
    }
    assert_int_equal(mp_ratelimit_size(rl), 1024);
    mp_ratelimit_free(rl);
}

#define THREADS 8
#define ROUNDS 20000

struct worker {
    struct mp_ratelimit *rl;
    int id;
    int shared_ok, own_ok;
};

static void *hammer(void *p)
{
    struct worker *w = p;
    char own[32], churn[32];
    snprintf(own, sizeof own, "198.51.100.%d", w->id);
    for (int i = 0; i < ROUNDS; i++) {
        /* The clock stands still: nothing refills, so the counts are exact. */
        if (mp_ratelimit_take(w->rl, "203.0.113.1", 1000, NULL))
            w->shared_ok++;
        if (mp_ratelimit_take(w->rl, own, 1000, NULL))
            w->own_ok++;
        (void)mp_ratelimit_peek(w->rl, "203.0.113.1", 1000, NULL);
        /* Churn other sets without ever evicting a busy bucket. */
        snprintf(churn, sizeof churn, "10.%d.%d.1", w->id, i % 4);
        (void)mp_ratelimit_take(w->rl, churn, 1000, NULL);
    }
    return NULL;
}

static void test_threads_share_exact_budget(void **state)
{
    (void)state;
    struct mp_ratelimit *rl = make(1.0, 5000.0, 16384);
    pthread_t th[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.rl = rl, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    int shared = 0;
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        shared += w[i].shared_ok;
        assert_int_equal(w[i].own_ok, 5000); /* each its own whole burst */
    }
    assert_int_equal(shared, 5000); /* never one token more or less */
    assert_int_equal(mp_ratelimit_size(rl), 1 + THREADS + THREADS * 4);
    mp_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_settings),
        cmocka_unit_test(test_null_table_allows_everything),
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_retry_after_slow_rate),
        cmocka_unit_test(test_clock_going_back_adds_nothing),
        cmocka_unit_test(test_peek_does_not_take),
        cmocka_unit_test(test_ipv6_keyed_by_prefix),
        cmocka_unit_test(test_flood_is_bounded_and_keeps_active_client),
        cmocka_unit_test(test_threads_share_exact_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
