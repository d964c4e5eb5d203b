/* health.c - the figures of /healthz, read through the store. */
#include "meldpunt/health.h"

#include <stdio.h>
#include <string.h>

#include "meldpunt/store.h"

enum mp_status mp_health_alive(struct mp_ctx *ctx, struct mp_error *err)
{
    if (mp_store_schema_version(ctx->db) <= 0)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "the database does not answer");
    return MP_OK;
}

enum mp_status mp_health_read(struct mp_ctx *ctx, struct mp_health *out, struct mp_error *err)
{
    memset(out, 0, sizeof *out);
    if (mp_store_counts(ctx->db, &out->reports, &out->clusters) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "the database does not answer");
    out->schema = mp_store_schema_version(ctx->db);
    out->store_memory_bytes = mp_store_memory_used(ctx->db);
    return MP_OK;
}

struct by_status {
    struct mp_metrics_status *s;
    size_t *n;
};

static void status_seen(void *p, const char *status, int64_t n)
{
    const struct by_status *b = p;
    struct mp_metrics_status *e = &b->s[*b->n];
    /* The vocabulary's codes are short; one that is not is left out, not cut. */
    int len =
        *b->n < MP_METRICS_STATUSES ? snprintf(e->status, sizeof e->status, "%s", status) : -1;
    if (len < 0 || (size_t)len >= sizeof e->status)
        return;
    e->n = n;
    (*b->n)++;
}

enum mp_status mp_health_figures(struct mp_ctx *ctx, struct mp_metrics_gauges *g,
                                 struct mp_error *err)
{
    struct by_status reports = {g->reports, &g->n_reports},
                     clusters = {g->clusters, &g->n_clusters};
    g->n_reports = g->n_clusters = 0;
    if (mp_store_size_bytes(ctx->db, &g->db_bytes) != MP_OK ||
        mp_store_status_counts(ctx->db, false, status_seen, &reports) != MP_OK ||
        mp_store_status_counts(ctx->db, true, status_seen, &clusters) != MP_OK)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "the database does not answer");
    return MP_OK;
}
