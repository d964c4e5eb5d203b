/* kto.c - the satisfaction check (kto.h). */
#include "meldpunt/kto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/auth.h"
#include "meldpunt/buf.h"
#include "meldpunt/notify.h"
#include "meldpunt/notify_token.h"
#include "meldpunt/photo.h"
#include "meldpunt/report.h"
#include "meldpunt/scope.h"
#include "meldpunt/store.h"
#include "meldpunt/store_notify.h"
#include "meldpunt/text.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/vocab.h"

size_t mp_kto_fixed_statuses(const char **out, size_t cap)
{
    size_t n = 0, ns;
    const struct mp_vocab_status *st = mp_vocab_statuses(&ns);
    for (size_t i = 0; i < ns && n < cap; i++)
        if (strcmp(st[i].map_group, "fixed") == 0)
            out[n++] = st[i].code;
    return n;
}

static enum mp_status unavailable(struct mp_error *err)
{
    return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot record your answer right now");
}

enum mp_status mp_kto_answer(struct mp_ctx *ctx, const char *token, bool satisfied,
                             char *form_token, size_t cap, struct mp_kto_answered *out,
                             struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_KTO, NULL};
    struct mp_notify_token t;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    form_token[0] = '\0';
    if ((rc = mp_store_begin_write(ctx->db, err)))
        return rc;
    if ((rc = mp_notify_token_check(ctx, token, purposes, true, &t, err)) ||
        (rc = mp_notify_token_use(ctx, &t, err)))
        return mp_store_end(ctx->db, rc, err);
    int64_t now = mp_time_now(), id = 0;
    struct mp_kto_rec k = {.sub_id = t.sub_id,
                           .report_id = t.report_id,
                           .cluster_id = t.cluster_id,
                           .fixed_at = t.ref,
                           .at = now,
                           .satisfied = satisfied};
    rc = mp_store_kto_add(ctx->db, &k, &id);
    if (rc == MP_ECONFLICT)
        return mp_store_end(ctx->db,
                            mp_fail(err, MP_ECONFLICT, "already_answered",
                                    "you answered for this fix already; thank you"),
                            err);
    if (rc)
        return mp_store_end(ctx->db, unavailable(err), err);
    struct mp_notify_token_rec f = {.purpose = MP_TOKEN_KTO_FORM,
                                    .rcpt_hash = t.rcpt_hash,
                                    .sub_id = t.sub_id,
                                    .report_id = t.report_id,
                                    .cluster_id = t.cluster_id,
                                    .ref = id};
    if (mp_notify_token_mint(ctx, &f, MP_NOTIFY_KTO_FORM_TTL, form_token, cap)) {
        form_token[0] = '\0';
        return mp_store_end(ctx->db, unavailable(err), err);
    }
    out->answer_id = id;
    out->report_id = t.report_id;
    out->satisfied = satisfied;
    out->form_expires_at = now + MP_NOTIFY_KTO_FORM_TTL;
    return mp_store_end(ctx->db, MP_OK, err);
}

struct answer {
    bool found, satisfied;
    int64_t fixed_at, cluster_id, report_id;
};

static int take_answer(void *p, const struct mp_kto_row *k)
{
    struct answer *a = p;
    a->found = true;
    a->satisfied = k->satisfied;
    a->fixed_at = k->fixed_at;
    a->cluster_id = k->cluster_id;
    a->report_id = k->report_id;
    return 0;
}

/* The reasons as a JSON array, each checked against the pack and the
 * answer; *reopen when one of them asks to reopen. */
static enum mp_status reasons_json(const struct mp_mail_pack *pack, const struct mp_kto_details *d,
                                   bool satisfied, struct mp_buf *b,
                                   const struct mp_kto_reason **reopen, struct mp_error *err)
{
    *reopen = NULL;
    if (d->nreasons > MP_KTO_REASONS_MAX)
        return mp_fail(err, MP_EINVAL, "invalid_field", "at most %d reasons", MP_KTO_REASONS_MAX);
    mp_buf_addc(b, '[');
    for (size_t i = 0; i < d->nreasons; i++) {
        const struct mp_kto_reason *r = mp_mail_pack_reason(pack, d->reasons[i]);
        if (!r || r->satisfied != satisfied)
            return mp_fail(
                err, MP_EINVAL, "unknown_reason", "'%.32s' is not a reason for a%s answer",
                d->reasons[i] ? d->reasons[i] : "", satisfied ? " satisfied" : "n unsatisfied");
        for (size_t k = 0; k < i; k++)
            if (strcmp(d->reasons[k], d->reasons[i]) == 0)
                return mp_fail(err, MP_EINVAL, "invalid_field", "reason '%.32s' is given twice",
                               d->reasons[i]);
        if (i)
            mp_buf_addc(b, ',');
        mp_json_str(b, r->code);
        if (r->reopen && !*reopen)
            *reopen = r;
    }
    mp_buf_addc(b, ']');
    return mp_buf_status(b);
}

/* Reopen the job for the reporter when it is still in the fix answered
 * about and the status table has the reporter's move from where it is. */
static enum mp_status request_reopen(struct mp_ctx *ctx, const struct answer *a, const char *note,
                                     struct mp_kto_result *out, struct mp_error *err)
{
    struct mp_cluster_state st;
    enum mp_status rc = mp_store_cluster_state(ctx->db, a->cluster_id, &st);
    if (rc == MP_ENOTFOUND)
        return MP_OK; /* merged away: staff see the answer with the job's history */
    if (rc)
        return rc;
    snprintf(out->status, sizeof out->status, "%s", st.status);
    const struct mp_vocab_transition *t = mp_vocab_transition_find(st.status, "reopen_requested");
    if (!t || !t->reporter || st.fixed_at != a->fixed_at)
        return MP_OK;
    int64_t now = mp_time_now();
    if ((rc = mp_report_cluster_set_status(ctx, a->cluster_id, "reopen_requested", now, note,
                                           "reporter", err)))
        return rc;
    struct mp_notify_event ev = {.type = MP_EVENT_STATUS_CHANGED,
                                 .cluster_id = a->cluster_id,
                                 .report_id = a->report_id,
                                 .at = now,
                                 .from = st.status,
                                 .to = "reopen_requested"};
    struct mp_principal who = {.name = "reporter"};
    char detail[96];
    snprintf(detail, sizeof detail, "{\"from\":\"%.24s\",\"to\":\"reopen_requested\"}", st.status);
    if ((rc = mp_notify_emit(ctx, &ev, NULL)) ||
        (rc = mp_auth_audit(ctx, &who, "status", "cluster", a->cluster_id, detail)))
        return rc;
    out->reopen_requested = true;
    snprintf(out->status, sizeof out->status, "reopen_requested");
    return MP_OK;
}

enum mp_status mp_kto_detail(struct mp_ctx *ctx, const struct mp_mail_pack *pack,
                             const char *form_token, const struct mp_kto_details *d,
                             struct mp_kto_result *out, struct mp_error *err)
{
    static const char *const purposes[] = {MP_TOKEN_KTO_FORM, NULL};
    struct mp_notify_token t;
    struct answer a = {0};
    struct mp_photo photo = {0};
    struct mp_photo_rec rec;
    struct mp_buf reasons;
    const struct mp_kto_reason *reopen = NULL;
    const char *text = d->text && d->text[0] ? d->text : NULL;
    enum mp_status rc;
    memset(out, 0, sizeof *out);
    mp_buf_init(&reasons, 4096);
    if (text) {
        long chars = mp_utf8_chars(text, strlen(text));
        if (chars < 0)
            return mp_fail(err, MP_EINVAL, "invalid_field",
                           "text must be UTF-8 without control characters");
        if (chars > MP_KTO_TEXT_MAX)
            return mp_fail(err, MP_EINVAL, "too_long", "text is %ld characters; at most %d", chars,
                           MP_KTO_TEXT_MAX);
    }
    if (d->photo && d->photo_len) {
        struct mp_photo_limits lim;
        mp_photo_limits_default(&lim);
        if ((rc = mp_photo_process(d->photo, d->photo_len, &lim, &photo, err)))
            return rc;
        rec = (struct mp_photo_rec){.full = photo.full,
                                    .full_len = photo.full_len,
                                    .thumb = photo.thumb,
                                    .thumb_len = photo.thumb_len,
                                    .width = photo.width,
                                    .height = photo.height,
                                    .mime = "image/jpeg"};
    }
    if ((rc = mp_store_begin_write(ctx->db, err)))
        goto out;
    if ((rc = mp_notify_token_check(ctx, form_token, purposes, true, &t, err))) {
        rc = mp_store_end(ctx->db, rc, err);
        goto out;
    }
    if ((rc = mp_store_kto_get(ctx->db, t.ref, take_answer, &a)) || !a.found) {
        rc = mp_store_end(ctx->db,
                          rc == MP_ENOTFOUND || !a.found
                              ? mp_fail(err, MP_EAUTH, "invalid_token", "this link is not valid")
                              : unavailable(err),
                          err);
        goto out;
    }
    if ((rc = reasons_json(pack, d, a.satisfied, &reasons, &reopen, err)) ||
        (rc = mp_notify_token_use(ctx, &t, err))) {
        rc = mp_store_end(ctx->db, rc, err);
        goto out;
    }
    out->report_id = a.report_id;
    out->cluster_id = a.cluster_id;
    if (mp_store_kto_detail(ctx->db, t.ref, reasons.data, text, photo.full ? &rec : NULL,
                            mp_time_now())) {
        rc = mp_store_end(ctx->db, unavailable(err), err);
        goto out;
    }
    if (!a.satisfied && reopen) {
        const char *name = mp_mail_pack_reason_name(pack, reopen->code, d->lang ? d->lang : "");
        if ((rc = request_reopen(ctx, &a, name, out, err))) {
            rc = mp_store_end(ctx->db, rc == MP_EUNAVAIL || rc == MP_EDB ? unavailable(err) : rc,
                              err);
            goto out;
        }
    }
    rc = mp_store_end(ctx->db, MP_OK, err);
out:
    mp_buf_free(&reasons);
    mp_photo_clear(&photo);
    return rc;
}

enum mp_status mp_kto_list(struct mp_ctx *ctx, const struct mp_principal *who, int64_t cluster_id,
                           mp_kto_cb cb, void *arg, struct mp_error *err)
{
    /* Tenancy: another municipality's cluster has no answers to show. */
    enum mp_status rc = mp_scope_cluster(ctx, who, cluster_id);
    if (rc == MP_ENOTFOUND)
        return MP_OK;
    if (rc || mp_store_kto_for_cluster(ctx->db, cluster_id, cb, arg))
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the answers right now");
    return MP_OK;
}

static int take_report(void *p, const struct mp_kto_row *k)
{
    *(int64_t *)p = k->report_id;
    return 0;
}

enum mp_status mp_kto_photo(struct mp_ctx *ctx, const struct mp_principal *who, int64_t answer_id,
                            bool thumb, void **data, size_t *len, struct mp_error *err)
{
    enum mp_status rc = MP_OK;
    if (who && !who->region_wide) {
        /* Tenancy: an answer is of its report's municipality. */
        int64_t report_id = 0;
        rc = mp_store_kto_get(ctx->db, answer_id, take_report, &report_id);
        if (rc == MP_OK)
            rc = mp_scope_report(ctx, who, report_id);
    }
    if (rc == MP_OK)
        rc = mp_store_kto_photo(ctx->db, answer_id, thumb, data, len);
    if (rc == MP_ENOTFOUND)
        return mp_fail(err, rc, "not_found", "answer %lld has no photo", (long long)answer_id);
    if (rc)
        return mp_fail(err, MP_EUNAVAIL, "unavailable", "cannot read the photo right now");
    return MP_OK;
}
