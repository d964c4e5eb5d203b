/* route.h - the driving order of a worklist: an open path through n stops in
 * the city's metric plane (metres), from a fixed start point or from
 * wherever is best. Nearest neighbour builds a first path; 2-opt (segment
 * reversal) and Or-opt (moving runs of 1-3 stops) improve it until no move
 * shortens it, using the k nearest neighbours of each stop as candidates and
 * don't-look bits, so 2,000 stops take milliseconds, not seconds.
 *
 * A local optimum, not the optimum: tests/unit/test_route.c measures it
 * against brute force on small sets.
 *
 * Ownership: inputs are borrowed; outputs go into caller-provided arrays.
 * Thread-safety: pure and reentrant (working memory is allocated per call).
 */
#ifndef MELDPUNT_ROUTE_H
#define MELDPUNT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "meldpunt/status.h"

/* Most stops one plan takes: the neighbour lists are built in O(n^2). */
#define MP_ROUTE_MAX 10000

/* Plan the order of n stops. xy holds 2n doubles (x0, y0, x1, y1, ...) in
 * metres. start is NULL for a free start, or points at two doubles (x, y):
 * the path then begins there (the start is not a stop). The path ends at
 * whichever stop is best (open path, no return).
 * order (n entries, caller's array) receives the stop indices in driving
 * order; *length (may be NULL) the path length in metres, from the start
 * when there is one. MP_EINVAL for n > MP_ROUTE_MAX or non-finite input,
 * MP_ENOMEM. n = 0 is fine (length 0). */
enum mp_status mp_route_plan(const double *xy, size_t n, const double *start, size_t *order,
                             double *length) MP_WUR;

/* Length in metres of the path start (may be NULL) -> order[0] -> ... ->
 * order[n-1]. */
double mp_route_length(const double *xy, size_t n, const double *start, const size_t *order);

#endif
