/* bench/worklist.c - the route planner alone (server/route.c): time and
 * length for worklists of 9 to 5,000 stops, uniform random and on a
 * jittered street grid. Built and run by bench/worklist.sh. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "meldpunt/route.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(const char *kind, size_t n, int grid)
{
    double *xy = malloc(2 * n * sizeof *xy), times[7], len = 0;
    size_t *order = malloc(n * sizeof *order);
    if (!xy || !order)
        return 1;
    double side = 20000;
    size_t cols = (size_t)ceil(sqrt((double)n));
    for (size_t i = 0; i < n; i++) {
        if (grid) {
            xy[2 * i] = (double)(i % cols) * 240 + (rnd() - 0.5) * 60;
            xy[2 * i + 1] = (double)(i / cols) * 240 + (rnd() - 0.5) * 60;
        } else {
            xy[2 * i] = rnd() * side;
            xy[2 * i + 1] = rnd() * side;
        }
    }
    double start[2] = {0, 0};
    for (int r = 0; r < 7; r++) {
        double t0 = now_ms();
        if (mp_route_plan(xy, n, start, order, &len) != MP_OK)
            return 1;
        times[r] = now_ms() - t0;
    }
    qsort(times, 7, sizeof *times, cmp);
    printf("route %-8s %5zu stops: median %8.2f ms (min %7.2f), %8.1f km, %6.1f m/stop\n", kind, n,
           times[3], times[0], len / 1000, len / (double)n);
    free(xy);
    free(order);
    return 0;
}

int main(void)
{
    static const size_t sizes[] = {9, 100, 500, 2000, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (run("uniform", sizes[i], 0) || run("grid", sizes[i], 1))
            return 1;
    return 0;
}
