/* scope.c - tenancy rules (scope.h). */
#include "meldpunt/scope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/store.h"

bool mp_scope_allows(const struct mp_principal *p, const char *municipality)
{
    if (!p || p->region_wide)
        return true;
    if (!municipality || !*municipality)
        return false;
    for (size_t i = 0; i < p->nmunicipalities && i < MP_PRINCIPAL_MAX_MUNICIPALITIES; i++)
        if (strcmp(p->municipalities[i], municipality) == 0)
            return true;
    return false;
}

enum mp_status mp_scope_check(const struct mp_principal *p, const char *municipality,
                              struct mp_error *err, const char *fmt, ...)
{
    if (mp_scope_allows(p, municipality))
        return MP_OK;
    if (err) {
        va_list ap;
        snprintf(err->code, sizeof err->code, "not_found");
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof err->text, fmt, ap);
        va_end(ap);
    }
    return MP_ENOTFOUND;
}

/* Whether the comma-separated list has m as one of its items. */
static bool list_has(const char *list, const char *m)
{
    size_t n = strlen(m);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, m, n) == 0)
            return true;
        p += len + (p[len] == ',');
    }
    return false;
}

bool mp_scope_user_serves(const struct mp_user_row *u, const char *municipality)
{
    return u->region_wide ||
           (municipality && *municipality && list_has(u->municipalities, municipality));
}

bool mp_scope_user_visible(const struct mp_principal *p, const struct mp_user_row *u)
{
    if (!p || p->region_wide || u->region_wide)
        return true;
    for (size_t i = 0; i < p->nmunicipalities && i < MP_PRINCIPAL_MAX_MUNICIPALITIES; i++)
        if (list_has(u->municipalities, p->municipalities[i]))
            return true;
    return false;
}

struct municipality_of {
    char id[MP_MUNICIPALITY_MAXLEN];
};

static int take_municipality(void *p, const struct mp_report_row *r)
{
    struct municipality_of *m = p;
    snprintf(m->id, sizeof m->id, "%s", r->municipality ? r->municipality : "");
    return 0;
}

enum mp_status mp_scope_report(struct mp_ctx *ctx, const struct mp_principal *who,
                               int64_t report_id)
{
    struct municipality_of m = {{0}};
    if (!who || who->region_wide)
        return MP_OK;
    enum mp_status rc = mp_store_report_get(ctx->db, report_id, false, take_municipality, &m);
    if (rc == MP_OK && !mp_scope_allows(who, m.id))
        rc = MP_ENOTFOUND;
    return rc == MP_OK || rc == MP_ENOTFOUND ? rc : MP_EUNAVAIL;
}

enum mp_status mp_scope_cluster(struct mp_ctx *ctx, const struct mp_principal *who,
                                int64_t cluster_id)
{
    struct mp_cluster_state st;
    if (!who || who->region_wide)
        return MP_OK;
    enum mp_status rc = mp_store_cluster_state(ctx->db, cluster_id, &st);
    if (rc == MP_OK && !mp_scope_allows(who, st.municipality))
        rc = MP_ENOTFOUND;
    return rc == MP_OK || rc == MP_ENOTFOUND ? rc : MP_EUNAVAIL;
}

/* "halle, vilvoorde" (the whole names that fit in cap) for a refusal.
 * Appended by length, not snprintf: a name is never cut in the middle. */
static void names_of(const struct mp_principal *p, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->nmunicipalities && i < MP_PRINCIPAL_MAX_MUNICIPALITIES; i++) {
        const char *m = p->municipalities[i];
        const size_t sep = i ? 2 : 0, len = strnlen(m, MP_MUNICIPALITY_MAXLEN);
        if (o + sep + len + 1 > cap)
            break;
        memcpy(out + o, ", ", sep);
        memcpy(out + o + sep, m, len);
        o += sep + len;
        out[o] = '\0';
    }
}

enum mp_status mp_scope_list(const struct mp_principal *p, const char *asked, struct mp_scope *out,
                             struct mp_error *err)
{
    memset(out, 0, sizeof *out);
    if (asked && *asked) {
        if (!mp_scope_allows(p, asked)) {
            char mine[96];
            names_of(p, mine, sizeof mine);
            return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                           "municipality '%.40s' is not one of this account's (%s)", asked,
                           mine[0] ? mine : "none");
        }
        snprintf(out->one[0], sizeof out->one[0], "%s", asked);
        out->set.n = 1;
        out->set.names = (const char(*)[MP_MUNICIPALITY_MAXLEN])out->one;
        out->filter = &out->set;
        return MP_OK;
    }
    if (!p || p->region_wide)
        return MP_OK;
    out->set.n = p->nmunicipalities;
    out->set.names = (const char(*)[MP_MUNICIPALITY_MAXLEN])p->municipalities;
    out->filter = &out->set;
    return MP_OK;
}

enum mp_status mp_scope_intake(const struct mp_principal *who, const char *municipality,
                               const char *name, struct mp_error *err)
{
    if (mp_scope_allows(who, municipality))
        return MP_OK;
    return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                   "the point lies in %.48s, which is not one of this account's municipalities",
                   name && *name ? name : municipality);
}

enum mp_status mp_scope_region_only(const struct mp_principal *p, const char *what,
                                    struct mp_error *err)
{
    if (!p || p->region_wide)
        return MP_OK;
    return mp_fail(err, MP_EFORBIDDEN, "forbidden",
                   "%s applies to the whole region: only a region-wide account may use it", what);
}
