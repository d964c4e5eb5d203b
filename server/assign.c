/* assign.c - manual assignment of clusters to departments and crews. */
#include "meldpunt/assign.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/scope.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/store_work.h"
#include "meldpunt/timeutil.h"

static bool is_crew(const struct mp_user_row *u)
{
    enum mp_role role;
    return mp_role_parse(u->role, &role) == MP_OK && role == MP_ROLE_CREW;
}

struct crew_found {
    const char *municipality; /* the job's (tenancy) */
    bool found, disabled, is_crew;
    char department[MP_DEPARTMENT_MAX];
};

static int take_crew(void *p, const struct mp_user_row *u)
{
    struct crew_found *c = p;
    c->found = true;
    c->disabled = u->disabled;
    /* Tenancy: a crew of another municipality is none of this job's. */
    c->is_crew = is_crew(u) && mp_scope_user_serves(u, c->municipality);
    snprintf(c->department, sizeof c->department, "%s", u->department ? u->department : "");
    return 0;
}

/* A crew of the name goes with its department: wa->department becomes the
 * crew's when the request names none, and must be it when it does. */
static enum mp_status check_crew(struct mp_ctx *ctx, const struct mp_assign_request *rq,
                                 const char *municipality, struct mp_work_assignment *wa,
                                 struct mp_error *err)
{
    struct crew_found cf = {.municipality = municipality};
    enum mp_status rc = mp_store_user_by_name(ctx->db, wa->crew, take_crew, &cf);
    if (rc && rc != MP_ENOTFOUND)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the accounts now");
    if (!cf.found || !cf.is_crew || cf.disabled)
        return mp_fail(err, MP_EINVAL, "unknown_crew",
                       "there is no active crew account named %.60s", wa->crew);
    if (!rq->set_department || !rq->department)
        snprintf(wa->department, sizeof wa->department, "%s", cf.department);
    else if (strcmp(wa->department, cf.department) != 0)
        return mp_fail(err, MP_EINVAL, "crew_department_mismatch",
                       "crew %.60s belongs to %.47s, not to %.47s", wa->crew, cf.department,
                       wa->department);
    return MP_OK;
}

/* The request as it was asked, for the audit log: a JSON object with the
 * members given, keys sorted. New string (free()), or NULL without memory. */
static char *asked(const struct mp_assign_request *rq)
{
    json_t *o = json_object();
    if (rq->set_department)
        json_object_set_new(o, "department",
                            rq->department ? json_string(rq->department) : json_null());
    if (rq->set_crew)
        json_object_set_new(o, "crew", rq->crew ? json_string(rq->crew) : json_null());
    if (rq->set_priority)
        json_object_set_new(o, "priority",
                            rq->priority ? json_integer(rq->priority) : json_null());
    if (rq->set_due_at)
        json_object_set_new(o, "due_at",
                            rq->due_at_text ? json_string(rq->due_at_text) : json_null());
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

/* The assignment with the request applied, in the open write transaction. */
static enum mp_status apply(struct mp_ctx *ctx, const struct mp_principal *who,
                            const struct mp_assign_request *rq, struct mp_error *err)
{
    struct mp_cluster_state st;
    struct mp_work_assignment wa;
    enum mp_status rc = mp_store_cluster_state(ctx->db, rq->cluster_id, &st);
    /* Tenancy: another municipality's cluster is answered as a missing one. */
    if (rc == MP_OK && !mp_scope_allows(who, st.municipality))
        rc = MP_ENOTFOUND;
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "there is no cluster %lld",
                       (long long)rq->cluster_id);
    if (rc || (rc = mp_store_work_get(ctx->db, rq->cluster_id, &wa)))
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the cluster right now");
    if (rq->set_department)
        snprintf(wa.department, sizeof wa.department, "%s", rq->department ? rq->department : "");
    if (rq->set_crew) {
        snprintf(wa.crew, sizeof wa.crew, "%s", rq->crew ? rq->crew : "");
        if (wa.crew[0] && (rc = check_crew(ctx, rq, st.municipality, &wa, err)))
            return rc;
    }
    if (rq->set_priority)
        wa.priority = rq->priority;
    if (rq->set_due_at)
        wa.due_at = rq->due_at;
    snprintf(wa.updated_by, sizeof wa.updated_by, "%s", who->name);
    char *detail = asked(rq);
    rc = mp_store_work_set(ctx->db, rq->cluster_id, &wa, mp_time_now());
    if (rc == MP_OK)
        rc = mp_auth_audit(ctx, who, "assign", "cluster", rq->cluster_id, detail);
    free(detail);
    if (rc)
        return mp_fail(err, rc == MP_EUNAVAIL ? MP_EUNAVAIL : MP_EDB, "unavailable",
                       "the assignment could not be stored; try again later");
    return MP_OK;
}

enum mp_status mp_assign_set(struct mp_ctx *ctx, const struct mp_automation *a,
                             const struct mp_principal *who, const struct mp_assign_request *rq,
                             struct mp_job *out, struct mp_error *err)
{
    enum mp_status rc;
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = apply(ctx, who, rq, err))) {
        mp_store_rollback(ctx->db);
        return rc;
    }
    /* A failed commit has rolled back already. */
    if ((rc = mp_store_commit(ctx->db, err)))
        return rc;
    return mp_worklist_job(ctx, a, rq->cluster_id, mp_time_now(), out, err);
}

struct crews {
    const struct mp_principal *who;
    mp_user_cb cb;
    void *ctx;
};

static int crew_only(void *p, const struct mp_user_row *u)
{
    struct crews *c = p;
    return is_crew(u) && mp_scope_user_visible(c->who, u) ? c->cb(c->ctx, u) : 0;
}

enum mp_status mp_assign_crews(struct mp_ctx *ctx, const struct mp_principal *who, mp_user_cb cb,
                               void *cb_ctx, struct mp_error *err)
{
    struct crews c = {who, cb, cb_ctx};
    if (mp_store_users(ctx->db, crew_only, &c) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the accounts right now");
    return MP_OK;
}
