/* notify_reporters.c - the reporters as recipients of events (notify.h):
 * what each event queues for them. The words are the city pack's templates
 * (mail_pack.h), chosen by the renderers of outbox.c's table when the
 * message is sent. */
#include "meldpunt/notify.h"

#include <string.h>

#include "meldpunt/store_notify.h"
#include "meldpunt/vocab.h"
#include "meldpunt/text.h"

/* The subscription's address and language, for the confirmation. */
struct sub {
    char email[MP_EMAIL_MAX];
    char hash[MP_TOKEN_HASH_LEN];
    char lang[MP_LANG_MAX];
    bool active;
};

static int take_sub(void *p, const struct mp_notify_sub_row *r)
{
    struct sub *s = p;
    mp_text_copy(s->email, sizeof s->email, r->email);
    mp_text_copy(s->hash, sizeof s->hash, r->email_hash);
    mp_text_copy(s->lang, sizeof s->lang, r->lang);
    s->active = r->stopped_at == 0 && r->email;
    return 0;
}

static enum mp_status confirm(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                              int64_t event_id)
{
    struct sub s = {0};
    enum mp_status rc = mp_store_notify_sub_get(ctx->db, ev->sub_id, take_sub, &s);
    if (rc || !s.active)
        return rc == MP_ENOTFOUND ? MP_OK : rc;
    struct mp_outbox_rec m = {.kind = "confirm",
                              .channel = MP_CHANNEL_MAIL,
                              .rcpt = s.email,
                              .rcpt_hash = s.hash,
                              .lang = s.lang,
                              .event_id = event_id,
                              .sub_id = ev->sub_id,
                              .report_id = ev->report_id,
                              .cluster_id = ev->cluster_id,
                              .created_at = ev->at,
                              .next_at = ev->at};
    return mp_store_outbox_add(ctx->db, &m, NULL);
}

enum mp_status mp_notify_reporters_fanout(struct mp_ctx *ctx, const struct mp_notify_event *ev,
                                          int64_t event_id)
{
    if (strcmp(ev->type, MP_EVENT_REPORT_CREATED) == 0)
        return ev->sub_id ? confirm(ctx, ev, event_id) : MP_OK;
    if (strcmp(ev->type, MP_EVENT_STATUS_CHANGED) != 0)
        return MP_OK; /* merges and moves: the reports' subscriptions follow them */
    const struct mp_vocab_status *st = mp_vocab_status_find(ev->to);
    if (!(st && st->mail) && !(ev->note && ev->note[0]))
        return MP_OK;
    struct mp_outbox_rec m = {.kind = "status",
                              .channel = MP_CHANNEL_MAIL,
                              .event_id = event_id,
                              .cluster_id = ev->cluster_id,
                              .created_at = ev->at,
                              .next_at = ev->at};
    return mp_store_outbox_fanout(ctx->db, &m, ev->cluster_id, NULL);
}
