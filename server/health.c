/* health.c - the figures of /healthz, read through the store. */
#include "meldpunt/health.h"

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
