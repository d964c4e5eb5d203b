/* test_route.c - the worklist's driving order: valid permutations, exact
 * answers where the optimum is obvious, and the heuristic measured against
 * brute force (every order of 9 stops) on many random sets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fixture.h"
#include "meldpunt/route.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double rnd(void)
{
    /* xorshift64*: deterministic, so a failure can be replayed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void assert_permutation(const size_t *order, size_t n)
{
    unsigned char *seen = calloc(n ? n : 1, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < n; i++) {
        assert_true(order[i] < n);
        assert_false(seen[order[i]]);
        seen[order[i]] = 1;
    }
    free(seen);
}

/* ---- brute force: every order, with branch and bound (still exact) ---- */

struct bf {
    const double *xy;
    size_t n;
    const double *start;
    double best;
    size_t path[16];
    unsigned char used[16];
};

static double d2(const double *a, const double *b) { return hypot(a[0] - b[0], a[1] - b[1]); }

static void bf_rec(struct bf *b, size_t depth, double len)
{
    if (len >= b->best)
        return;
    if (depth == b->n) {
        b->best = len;
        return;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (b->used[i])
            continue;
        double step = 0;
        if (depth > 0)
            step = d2(&b->xy[2 * b->path[depth - 1]], &b->xy[2 * i]);
        else if (b->start)
            step = d2(b->start, &b->xy[2 * i]);
        b->used[i] = 1;
        b->path[depth] = i;
        bf_rec(b, depth + 1, len + step);
        b->used[i] = 0;
    }
}

static double brute_force(const double *xy, size_t n, const double *start)
{
    struct bf b;
    memset(&b, 0, sizeof b);
    b.xy = xy;
    b.n = n;
    b.start = start;
    b.best = INFINITY;
    bf_rec(&b, 0, 0);
    return b.best;
}

/* ---- tests ---- */

static void test_small_inputs(void **state)
{
    (void)state;
    size_t order[3] = {9, 9, 9};
    double len = -1;
    assert_int_equal(mp_route_plan(NULL, 0, NULL, order, &len), MP_OK);
    assert_true(len == 0);

    double one[2] = {100, 200}, start[2] = {103, 204};
    assert_int_equal(mp_route_plan(one, 1, start, order, &len), MP_OK);
    assert_int_equal(order[0], 0);
    assert_near(len, 5.0, 1e-9);
    assert_int_equal(mp_route_plan(one, 1, NULL, order, &len), MP_OK);
    assert_near(len, 0.0, 1e-9);

    /* Two stops: the nearer one first. */
    double two[4] = {0, 1000, 0, 10};
    double origin[2] = {0, 0};
    assert_int_equal(mp_route_plan(two, 2, origin, order, &len), MP_OK);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
    assert_near(len, 1000.0, 1e-9);
}

static void test_rejects_bad_input(void **state)
{
    (void)state;
    size_t order[2];
    double xy[4] = {0, 0, NAN, 1};
    assert_int_equal(mp_route_plan(xy, 2, NULL, order, NULL), MP_EINVAL);
    double ok[4] = {0, 0, 1, 1}, start[2] = {INFINITY, 0};
    assert_int_equal(mp_route_plan(ok, 2, start, order, NULL), MP_EINVAL);
    assert_int_equal(mp_route_plan(ok, (size_t)MP_ROUTE_MAX + 1, NULL, order, NULL), MP_EINVAL);
}

/* Stops on one street, shuffled: the only sensible order is along it. */
static void test_collinear_is_exact(void **state)
{
    (void)state;
    enum { N = 40 };
    double xy[2 * N];
    size_t order[N];
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 17) % N; /* a fixed shuffle */
        xy[2 * i] = 500.0 + 37.0 * (double)k;
        xy[2 * i + 1] = 1200.0;
    }
    double start[2] = {0, 1200}, len;
    assert_int_equal(mp_route_plan(xy, N, start, order, &len), MP_OK);
    assert_permutation(order, N);
    assert_near(len, 500.0 + 37.0 * (N - 1), 1e-6);
    for (size_t p = 1; p < N; p++)
        assert_true(xy[2 * order[p]] > xy[2 * order[p - 1]]);
    /* Free start: the span of the street, from either end. */
    assert_int_equal(mp_route_plan(xy, N, NULL, order, &len), MP_OK);
    assert_near(len, 37.0 * (N - 1), 1e-6);
}

static void test_duplicate_points(void **state)
{
    (void)state;
    double xy[10] = {5, 5, 5, 5, 5, 5, 9, 5, 5, 5};
    size_t order[5];
    double start[2] = {0, 5}, len;
    assert_int_equal(mp_route_plan(xy, 5, start, order, &len), MP_OK);
    assert_permutation(order, 5);
    assert_near(len, 9.0, 1e-9);
    assert_int_equal(order[4], 3);
}

/* Random sets of 9 stops against every possible order. The requirement is
 * 10%; the figures are printed for the record. */
static void run_optimality(const char *what, size_t sets, double side, bool clustered,
                           bool with_start)
{
    enum { N = 9 };
    double worst = 1.0, sum = 0;
    size_t optimal = 0;
    for (size_t s = 0; s < sets; s++) {
        double xy[2 * N], start[2];
        for (size_t i = 0; i < N; i++) {
            if (clustered) {
                /* Three neighbourhoods of a few stops: a crew's typical day. */
                double cx = (double)(i % 3) * side / 3, cy = (double)((i / 3) % 2) * side / 2;
                xy[2 * i] = cx + rnd() * side / 10;
                xy[2 * i + 1] = cy + rnd() * side / 10;
            } else {
                xy[2 * i] = rnd() * side;
                xy[2 * i + 1] = rnd() * side;
            }
        }
        start[0] = rnd() * side;
        start[1] = rnd() * side;
        size_t order[N];
        double len;
        const double *st = with_start ? start : NULL;
        assert_int_equal(mp_route_plan(xy, N, st, order, &len), MP_OK);
        assert_permutation(order, N);
        assert_near(len, mp_route_length(xy, N, st, order), 1e-6);
        double best = brute_force(xy, N, st);
        assert_true(len >= best - 1e-6);
        double ratio = len / best;
        if (ratio > worst)
            worst = ratio;
        sum += ratio;
        if (ratio < 1 + 1e-9)
            optimal++;
        if (ratio > 1.10)
            fail_msg("%s set %zu: route %.1f m vs optimal %.1f m (%.1f%% over)", what, s, len,
                     best, (ratio - 1) * 100);
    }
    printf("# route 9 stops, %s: %zu sets, %zu optimal, mean %.3f%% over, worst %.3f%% over\n",
           what, sets, optimal, (sum / (double)sets - 1) * 100, (worst - 1) * 100);
}

static void test_nine_stops_vs_brute_force(void **state)
{
    (void)state;
    run_optimality("uniform, fixed start", 150, 5000, false, true);
    run_optimality("uniform, free start", 80, 5000, false, false);
    run_optimality("clustered, fixed start", 80, 8000, true, true);
}

/* A big list: a valid order, much shorter than the input order, near the
 * known constant for random uniform points (about 0.71 sqrt(n A) for the
 * optimal tour), and fast. */
static void test_two_thousand_stops(void **state)
{
    (void)state;
    enum { N = 2000 };
    double *xy = malloc(2 * N * sizeof *xy);
    size_t *order = malloc(N * sizeof *order), *ident = malloc(N * sizeof *ident);
    assert_non_null(xy);
    assert_non_null(order);
    assert_non_null(ident);
    const double side = 20000;
    for (size_t i = 0; i < N; i++) {
        xy[2 * i] = rnd() * side;
        xy[2 * i + 1] = rnd() * side;
        ident[i] = i;
    }
    double start[2] = {side / 2, 0}, len;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(mp_route_plan(xy, N, start, order, &len), MP_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_permutation(order, N);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    double bound = sqrt((double)N * side * side);
    printf("# route 2000 stops: %.0f m (%.3f sqrt(nA)), input order %.0f m, %.1f ms\n", len,
           len / bound, mp_route_length(xy, N, start, ident), ms);
    assert_true(len < 0.80 * bound);
    free(xy);
    free(order);
    free(ident);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_inputs),
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_collinear_is_exact),
        cmocka_unit_test(test_duplicate_points),
        cmocka_unit_test(test_nine_stops_vs_brute_force),
        cmocka_unit_test(test_two_thousand_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
