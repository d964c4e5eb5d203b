/* store_pg_maint.c - retention on PostgreSQL: the steps of mp_maint_anonymise (the twin
 * of the retention part of store_sqlite_maint.c; contract in maint.h).
 *
 * The same steps and counts as on SQLite. Masking contacts in
 * free text is C (text.c), which PostgreSQL cannot call: the descriptions
 * and Open311 attribute answers to mask are read in pages by id, masked
 * here and written back one by one, in the write transaction that
 * store_maint.c opened for the whole run. */
#include "meldpunt/maint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/store_auth.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"
#include "store_pg.h"
#include "store_pg_engine.h"
#include "store_pg_filter.h"

/* Clusters that are resolved ($2: the resolved statuses of vocab.h, as a
 * JSON list) and whose last change is older than $1. updated_at moves with
 * every change of the cluster, so it is never earlier than the moment it was
 * closed: the rule can only keep data longer than asked, never remove it
 * early. */
#define OLD_CLOSED                                                                                 \
    "SELECT id FROM clusters WHERE status IN (SELECT json_array_elements_text($2::json))"          \
    " AND greatest(updated_at, fixed_at) < $1::bigint"
#define HAS_CONTACT                                                                                \
    "(contact_name IS NOT NULL OR contact_email IS NOT NULL OR contact_phone IS NOT NULL)"
#define HAS_O311_IDS "(device_id IS NOT NULL OR account_id IS NOT NULL)"
#define OLD_REPORTS "SELECT id FROM reports WHERE cluster_id IN (" OLD_CLOSED ")"

static const char sql_count_clusters[] =
    "SELECT count(*) FROM clusters WHERE status IN (SELECT json_array_elements_text($2::json))"
    " AND greatest(updated_at, fixed_at) < $1::bigint";
static const char sql_count_contacts[] =
    "SELECT count(*) FROM reports WHERE cluster_id IN (" OLD_CLOSED ") AND " HAS_CONTACT;
static const char sql_clear_contacts[] =
    "UPDATE reports SET contact_name = NULL, contact_email = NULL, contact_phone = NULL"
    " WHERE cluster_id IN (" OLD_CLOSED ") AND " HAS_CONTACT;
/* A page of the descriptions (after id $3), for masking in C. */
static const char sql_desc_page[] =
    "SELECT id, description FROM reports WHERE cluster_id IN (" OLD_CLOSED ")"
    " AND id > $3::bigint ORDER BY id LIMIT 500"; /* PAGE */
static const char sql_desc_set[] = "UPDATE reports SET description = $2 WHERE id = $1::bigint";
static const char sql_count_o311[] = "SELECT count(*) FROM open311_attributes WHERE " HAS_O311_IDS
                                     " AND report_id IN (" OLD_REPORTS ")";
static const char sql_clear_o311[] =
    "UPDATE open311_attributes SET device_id = NULL, account_id = NULL WHERE " HAS_O311_IDS
    " AND report_id IN (" OLD_REPORTS ")";
/* Answers to Open311 attributes, stored as the client sent them (JSON
 * objects: json those the service defines, extra those it does not): typed
 * text like a description, at any depth. A column that does not change is
 * sent as NULL and kept. */
static const char sql_attrs_page[] =
    "SELECT report_id, json, extra FROM open311_attributes WHERE report_id IN (" OLD_REPORTS ")"
    " AND report_id > $3::bigint ORDER BY report_id LIMIT 500"; /* PAGE */
static const char sql_attrs_set[] = "UPDATE open311_attributes SET json = coalesce($2, json),"
                                    " extra = coalesce($3, extra) WHERE report_id = $1::bigint";

/* The reporters' mail of those reports (outbox.h): messages (and sign-in
 * messages older than the cut-off, which belong to no report), tokens,
 * subscriptions, and what reporters wrote in the satisfaction check. The
 * stop list stays: it holds only hashes, and an opt-out must hold. */
#define OLD_MAIL "report_id IN (" OLD_REPORTS ") OR (report_id IS NULL AND created_at < $1::bigint)"
#define OLD_TOKENS "report_id IN (" OLD_REPORTS ") OR expires_at < $1::bigint"
#define KTO_WRITTEN "(text IS NOT NULL OR photo IS NOT NULL)"
static const char sql_count_outbox[] = "SELECT count(*) FROM outbox WHERE " OLD_MAIL;
static const char sql_clear_outbox[] = "DELETE FROM outbox WHERE " OLD_MAIL;
static const char sql_count_tokens[] = "SELECT count(*) FROM notify_tokens WHERE " OLD_TOKENS;
static const char sql_clear_tokens[] = "DELETE FROM notify_tokens WHERE " OLD_TOKENS;
static const char sql_count_subs[] =
    "SELECT count(*) FROM notify_subs WHERE report_id IN (" OLD_REPORTS ")";
static const char sql_clear_subs[] = "DELETE FROM notify_subs WHERE report_id IN (" OLD_REPORTS ")";
static const char sql_count_kto[] =
    "SELECT count(*) FROM kto_answers WHERE " KTO_WRITTEN " AND report_id IN (" OLD_REPORTS ")";
static const char sql_clear_kto[] =
    "UPDATE kto_answers SET text = NULL, photo = NULL, photo_thumb = NULL WHERE " KTO_WRITTEN
    " AND report_id IN (" OLD_REPORTS ")";
/* Area alerts (store_alerts.h) that never got consent (unconfirmed and made
 * before the cut-off) or whose consent ended before it (stopped): their
 * address and their unsent digest items go; email_hash stays, for the stop
 * list and unsubscribe. Confirmed live alerts stay whole: the subscriber
 * asked for them and can stop them. These bind only $1 (apply_cutoff). */
#define OLD_ALERTS                                                                                 \
    "((confirmed_at = 0 AND created_at < $1::bigint)"                                              \
    " OR (stopped_at > 0 AND stopped_at < $1::bigint))"
static const char sql_count_alerts[] =
    "SELECT count(*) FROM alert_subs WHERE email IS NOT NULL AND " OLD_ALERTS;
static const char sql_clear_alerts[] =
    "UPDATE alert_subs SET email = NULL WHERE email IS NOT NULL AND " OLD_ALERTS;
#define OLD_ITEMS                                                                                  \
    "outbox_id = 0 AND department = '' AND alert_id IN (SELECT id FROM alert_subs WHERE " OLD_ALERTS ")"
static const char sql_count_items[] = "SELECT count(*) FROM digest_items WHERE " OLD_ITEMS;
static const char sql_clear_items[] = "DELETE FROM digest_items WHERE " OLD_ITEMS;

/* $1 and $2 of every statement: the cut-off and the resolved statuses. */
struct scope {
    int64_t cutoff;
    char *resolved; /* JSON list, owned */
};

static void add_scope(struct mp_pg_params *p, const struct scope *sc)
{
    mp_pg_params_init(p);
    mp_pg_int64(p, sc->cutoff);
    mp_pg_text(p, sc->resolved);
}

/* Count (dry run) or change (and count the changed rows) with one
 * statement. */
static enum mp_status apply(struct mp_store_sess *s, const struct scope *sc, const char *count_sql,
                            const char *change_sql, bool dry_run, int64_t *n)
{
    struct mp_pg_params p;
    add_scope(&p, sc);
    *n = 0;
    if (dry_run || !change_sql)
        return mp_pg_first(s, count_sql, &p, mp_pg_row_int64, n, "anonymise");
    return mp_pg_run(s, change_sql, &p, n, "anonymise");
}

/* As apply, for statements that take only the cut-off ($1): PostgreSQL
 * cannot prepare a statement with a parameter it never uses. */
static enum mp_status apply_cutoff(struct mp_store_sess *s, int64_t cutoff, const char *count_sql,
                                   const char *change_sql, bool dry_run, int64_t *n)
{
    struct mp_pg_params p;
    mp_pg_params_init(&p);
    mp_pg_int64(&p, cutoff);
    *n = 0;
    if (dry_run)
        return mp_pg_first(s, count_sql, &p, mp_pg_row_int64, n, "anonymise");
    return mp_pg_run(s, change_sql, &p, n, "anonymise");
}

/* Typed text to mask in C, read in pages by id: one or two columns of one
 * table (a page statement: $3 the id after which it starts, rows (id, text
 * [, text]); and the statement that writes a row back: $1 id, $2 [and $3]
 * the masked text, NULL for one that did not change). A row counts once. */
#define PAGE 500
#define PASS_COLS 2
struct text_pass {
    const char *page_sql, *set_sql;
    int cols; /* 1 or 2 (PASS_COLS) */
    /* The masked text of text, a NEW string, or NULL when it is unchanged
     * (*nomem when memory ran out). */
    char *(*mask)(const char *text, bool *nomem);
};

/* One page: the masked text of each row that changes. */
struct text_page {
    const struct text_pass *pass;
    int64_t last_id; /* of the page: where the next starts */
    int rows, n;
    int64_t ids[PAGE];
    char *masked[PAGE][PASS_COLS]; /* owned; NULL: unchanged */
    bool nomem;
};

static int text_row(void *ctx, const PGresult *r, int i)
{
    struct text_page *pg = ctx;
    char *m[PASS_COLS] = {NULL, NULL};
    pg->last_id = mp_pg_col_int64(r, i, 0);
    pg->rows++;
    for (int c = 0; c < pg->pass->cols && pg->n < PAGE && !pg->nomem; c++) {
        const char *text = mp_pg_col_text(r, i, c + 1);
        m[c] = text ? pg->pass->mask(text, &pg->nomem) : NULL;
    }
    if (pg->nomem) {
        free(m[0]);
        free(m[1]);
        return 1;
    }
    if (m[0] || m[1]) {
        pg->ids[pg->n] = pg->last_id;
        memcpy(pg->masked[pg->n++], m, sizeof m);
    }
    return 0;
}

/* Mask (or, dry, count) the contacts typed into the text of pass. */
static enum mp_status mask_texts(struct mp_store_sess *s, const struct scope *sc,
                                 const struct text_pass *pass, bool dry_run, int64_t *n)
{
    enum mp_status rc = MP_OK;
    struct text_page pg = {.pass = pass};
    *n = 0;
    for (;;) {
        struct mp_pg_params p;
        add_scope(&p, sc);
        mp_pg_int64(&p, pg.last_id);
        pg.rows = pg.n = 0;
        rc = mp_pg_each(s, pass->page_sql, &p, text_row, &pg, "anonymise");
        if (rc == MP_OK && pg.nomem)
            rc = MP_ENOMEM;
        for (int i = 0; i < pg.n; i++) {
            if (rc == MP_OK && !dry_run) {
                mp_pg_params_init(&p);
                mp_pg_int64(&p, pg.ids[i]);
                for (int c = 0; c < pass->cols; c++)
                    mp_pg_text(&p, pg.masked[i][c]);
                rc = mp_pg_run(s, pass->set_sql, &p, NULL, "anonymise");
            }
            free(pg.masked[i][0]);
            free(pg.masked[i][1]);
        }
        if (rc)
            return rc;
        *n += pg.n;
        if (pg.rows < PAGE)
            return MP_OK;
    }
}

/* A description as public output shows it. */
static char *mask_description(const char *text, bool *nomem)
{
    if (!mp_text_may_have_contacts(text))
        return NULL;
    char *m = mp_text_mask_contacts(text);
    if (!m)
        *nomem = true;
    else if (strcmp(m, text) == 0) {
        free(m);
        m = NULL;
    }
    return m;
}

static const struct text_pass descriptions = {sql_desc_page, sql_desc_set, 1, mask_description};

/* Answers to Open311 attributes: every text in them masked, at any depth, by
 * the function SQLite's mp_mask_json calls too. */
static const struct text_pass attributes = {sql_attrs_page, sql_attrs_set, 2, mp_text_mask_json};

enum mp_status mp_pg_maint_anonymise(struct mp_store_sess *s, int64_t cutoff, bool dry_run,
                                     struct mp_anonymise_stats *stats)
{
    enum mp_status rc = MP_OK;
    struct mp_anonymise_stats a;
    memset(&a, 0, sizeof a);
    int64_t items = 0; /* digest items of those alerts: not reported on their own */
    struct scope sc = {cutoff, NULL};
    const char *resolved[MP_VOCAB_STATUSES_MAX];
    size_t nresolved = mp_vocab_status_codes(MP_VOCAB_RESOLVED, resolved, MP_VOCAB_STATUSES_MAX);
    if ((rc = mp_pg_json_list(resolved, nresolved, &sc.resolved)) || !sc.resolved) {
        rc = MP_ENOMEM;
        goto out;
    }
    if ((rc = apply(s, &sc, sql_count_clusters, NULL, dry_run, &a.clusters)) ||
        (rc = apply(s, &sc, sql_count_contacts, sql_clear_contacts, dry_run, &a.reports)) ||
        (rc = mask_texts(s, &sc, &descriptions, dry_run, &a.descriptions)) ||
        (rc = apply(s, &sc, sql_count_o311, sql_clear_o311, dry_run, &a.open311)) ||
        (rc = mask_texts(s, &sc, &attributes, dry_run, &a.attributes)) ||
        (rc = apply(s, &sc, sql_count_outbox, sql_clear_outbox, dry_run, &a.outbox)) ||
        (rc = apply(s, &sc, sql_count_tokens, sql_clear_tokens, dry_run, &a.tokens)) ||
        (rc = apply(s, &sc, sql_count_subs, sql_clear_subs, dry_run, &a.subscriptions)) ||
        (rc = apply(s, &sc, sql_count_kto, sql_clear_kto, dry_run, &a.answers)) ||
        (rc = apply_cutoff(s, cutoff, sql_count_items, sql_clear_items, dry_run, &items)) ||
        (rc = apply_cutoff(s, cutoff, sql_count_alerts, sql_clear_alerts, dry_run, &a.alerts)))
        goto out;
    *stats = a;
out:
    free(sc.resolved);
    return rc;
}
