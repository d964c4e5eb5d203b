/* cli_outbox.c - `meldpunt outbox`: what the server queued, sent, skipped or
 * gave up on (outbox.h), on the live database. The operator of the machine
 * may see the addresses (show); listings hide them. */
#include "meldpunt/outbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meldpunt/app.h"
#include "meldpunt/timeutil.h"

static void usage(FILE *out)
{
    fputs("usage: meldpunt outbox [list] [--state S] [--limit N] [--db PATH]\n"
          "       meldpunt outbox show ID [--db PATH]\n"
          "       meldpunt outbox retry ID|--failed [--db PATH]\n"
          "\n"
          "The mail the server sends (reporters' confirmations and updates, satisfaction\n"
          "checks, sign-in links). Without MELDPUNT_SMTP_URL it stays queued here.\n"
          "\n"
          "  list             newest first, with the counts per state; addresses hidden\n"
          "  --state S        queued, sent, failed or skipped\n"
          "  --limit N        at most N messages (1-1000, default 50)\n"
          "  show ID          one message, with its address, event and last error\n"
          "  retry ID         queue a failed message again (--failed: every failed one)\n"
          "  --db PATH        database file (env MELDPUNT_DB; default var/meldpunt.sqlite)\n",
          out);
}

static void when(int64_t t, char *out, size_t cap)
{
    if (t)
        mp_time_format(t, out, cap);
    else
        snprintf(out, cap, "-");
}

static int print_count(void *arg, const char *state, int64_t n)
{
    int *first = arg;
    printf("%s%s %lld", *first ? "" : ", ", state, (long long)n);
    *first = 0;
    return 0;
}

static int print_row(void *arg, const struct mp_outbox_row *r)
{
    (void)arg;
    char created[32], next[32], masked[MP_EMAIL_MAX];
    when(r->created_at, created, sizeof created);
    when(strcmp(r->state, MP_OUTBOX_SENT) == 0 ? r->sent_at : r->next_at, next, sizeof next);
    mp_outbox_mask(r->rcpt, masked, sizeof masked);
    printf("%-8lld %-8s %-9s %-28s report %-8lld %s  %s  tries %lld%s%s\n", (long long)r->id,
           r->state, r->kind, masked, (long long)r->report_id, created, next,
           (long long)r->attempts, r->last_error ? "  " : "", r->last_error ? r->last_error : "");
    return 0;
}

static int print_one(void *arg, const struct mp_outbox_row *r)
{
    (void)arg;
    char created[32], next[32], sent[32];
    when(r->created_at, created, sizeof created);
    when(r->next_at, next, sizeof next);
    when(r->sent_at, sent, sizeof sent);
    printf("id:          %lld\nstate:       %s\nkind:        %s\nchannel:     %s\n"
           "to:          %s\nlanguage:    %s\nreport:      %lld\ncluster:     %lld\n"
           "event:       %s\nmessage-id:  %s\ncreated:     %s\nnext try:    %s\n"
           "sent:        %s\nattempts:    %lld\nlast error:  %s\n",
           (long long)r->id, r->state, r->kind, r->channel, r->rcpt ? r->rcpt : "(anonymised)",
           r->lang[0] ? r->lang : "(default)", (long long)r->report_id, (long long)r->cluster_id,
           r->event_uid ? r->event_uid : "-", r->msg_key, created, next, sent,
           (long long)r->attempts, r->last_error ? r->last_error : "-");
    return 0;
}

static int parse_id(const char *s, int64_t *id)
{
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || end == s || *end || errno || v <= 0)
        return -1;
    *id = v;
    return 0;
}

int mp_cli_outbox(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_error err = {{0}, {0}};
    const char *verb = "list", *state = NULL, *arg = NULL;
    long limit = 50;
    int i = 2;
    bool failed = false;
    if (i < argc && argv[i][0] != '-')
        verb = argv[i++];
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            if (mp_config_set_str(cfg->db_path, sizeof cfg->db_path, argv[++i], "--db", &err)) {
                fprintf(stderr, "meldpunt outbox: %s\n", err.text);
                return 2;
            }
        } else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
            state = argv[++i];
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            limit = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--failed") == 0) {
            failed = true;
        } else if (argv[i][0] != '-' && !arg) {
            arg = argv[i];
        } else {
            fprintf(stderr, "meldpunt outbox: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    int64_t id = 0;
    bool list = strcmp(verb, "list") == 0, show = strcmp(verb, "show") == 0,
         retry = strcmp(verb, "retry") == 0;
    if ((!list && !show && !retry) || (list && arg) || (show && parse_id(arg, &id)) ||
        (retry && (failed == (arg != NULL) || (arg && parse_id(arg, &id))))) {
        usage(stderr);
        return 2;
    }
    struct mp_app *app = NULL;
    enum mp_status rc = mp_app_open(cfg, 1, false, &app, &err);
    if (rc) {
        fprintf(stderr, "meldpunt outbox: %s\n", err.text);
        return 1;
    }
    struct mp_ctx *ctx = mp_app_acquire(app);
    int64_t n = 0;
    if (list) {
        int first = 1;
        printf("outbox: ");
        if ((rc = mp_outbox_counts(ctx, print_count, &first, &err)) == MP_OK) {
            printf("%s\n", first ? "empty" : "");
            rc = mp_outbox_list(ctx, state, 0, (size_t)(limit > 0 ? limit : 0), print_row, NULL,
                                &err);
        }
    } else if (show) {
        rc = mp_outbox_get(ctx, id, print_one, NULL, &err);
    } else if ((rc = mp_outbox_retry(ctx, id, &n, &err)) == MP_OK) {
        printf("queued again: %lld\n", (long long)n);
    }
    mp_app_release(app, ctx);
    mp_app_close(app);
    if (rc) {
        fprintf(stderr, "meldpunt outbox: %s\n", err.text[0] ? err.text : "failed");
        return rc == MP_EINVAL ? 2 : 1;
    }
    return 0;
}
