/* scope.h - tenancy: which municipalities of a region pack a staff member
 * works for, decided once here for every staff read and write.
 *
 * A principal (auth.h) is region-wide or holds a set of member ids. The
 * rules (README, "Staff accounts in a region"):
 *  - one object (cluster, report, photo, note, outbox message, ...) of a
 *    municipality outside the set is answered exactly as a missing id
 *    (MP_ENOTFOUND, the caller's own "not found" text): no existence leak;
 *  - a list is limited to the set; an explicit municipality= outside the
 *    set is refused (MP_EFORBIDDEN, "forbidden");
 *  - what carries no municipality (webhook configuration) is for
 *    region-wide accounts only (MP_EFORBIDDEN).
 * A NULL principal is the public (or the system): no limit. The store binds
 * a list's set as one parameter (model.h struct mp_scope_set).
 *
 * Thread-safety: pure functions of their arguments.
 */
#ifndef MELDPUNT_SCOPE_H
#define MELDPUNT_SCOPE_H

#include <stdbool.h>

#include "meldpunt/auth.h"
#include "meldpunt/ctx.h"
#include "meldpunt/model.h"
#include "meldpunt/status.h"

/* Whether p may see or change an object of municipality m. */
bool mp_scope_allows(const struct mp_principal *p, const char *municipality);

/* MP_OK when p may see an object of municipality m, else MP_ENOTFOUND with
 * err filled as "not_found" and text (the caller passes the same words it
 * uses for a missing id, e.g. "no cluster 12"): a foreign object and a
 * missing one answer alike. */
enum mp_status mp_scope_check(const struct mp_principal *p, const char *municipality,
                              struct mp_error *err, const char *fmt, ...) MP_WUR
    __attribute__((format(printf, 4, 5)));

/* Whether the account of row u (a crew to assign, say) works for
 * municipality m: region-wide, or m is in its list. */
bool mp_scope_user_serves(const struct mp_user_row *u, const char *municipality);
/* Whether p may see account u: p is region-wide, or u works for one of p's
 * municipalities (a region-wide u works for all). */
bool mp_scope_user_visible(const struct mp_principal *p, const struct mp_user_row *u);

/* For objects known by the id of their report or cluster (feedback, Open311
 * requests): MP_OK when who may see it, MP_ENOTFOUND when it is missing or
 * of another municipality (err untouched: the caller words it as for a
 * missing id), MP_EUNAVAIL when the store fails. A region-wide (or NULL)
 * principal reads nothing and gets MP_OK. */
enum mp_status mp_scope_report(struct mp_ctx *ctx, const struct mp_principal *who,
                               int64_t report_id) MP_WUR;
enum mp_status mp_scope_cluster(struct mp_ctx *ctx, const struct mp_principal *who,
                                int64_t cluster_id) MP_WUR;

/* A list's filter. Filled by mp_scope_list; do not copy it (set points into
 * the principal or into one). */
struct mp_scope {
    const struct mp_scope_set *filter; /* NULL: no limit; else &set */
    struct mp_scope_set set;
    char one[1][MP_MUNICIPALITY_MAXLEN];
};

/* The filter of a list p asks for: asked (a municipality= parameter, or
 * NULL) must be within p's set (MP_EFORBIDDEN "forbidden" otherwise) and
 * then is the only one; without it, p's set (none for region-wide). p NULL:
 * the public, limited only by asked. */
enum mp_status mp_scope_list(const struct mp_principal *p, const char *asked, struct mp_scope *out,
                             struct mp_error *err) MP_WUR;

/* Staff (or an API client) recording a report at a pin that routed to
 * municipality m: MP_OK when it is one of who's (or who is NULL or
 * region-wide), else MP_EFORBIDDEN "forbidden" naming it. */
enum mp_status mp_scope_intake(const struct mp_principal *who, const char *municipality,
                               const char *name, struct mp_error *err) MP_WUR;

/* MP_OK for a region-wide principal; MP_EFORBIDDEN ("forbidden", naming
 * what) for one limited to some municipalities. For what has no
 * municipality, such as webhook configuration. */
enum mp_status mp_scope_region_only(const struct mp_principal *p, const char *what,
                                    struct mp_error *err) MP_WUR;

#endif
