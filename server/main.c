/* main.c - argv -> config -> app -> run. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "meldpunt/app.h"
#include "meldpunt/auth.h"
#include "meldpunt/cli.h"
#include "meldpunt/cli_export.h"
#include "meldpunt/store.h"
#include "meldpunt/store_auth.h"
#include "meldpunt/timeutil.h"
#include "meldpunt/config.h"
#include "meldpunt/http.h"
#include "meldpunt/import.h"
#include "meldpunt/ingest.h"
#include "meldpunt/mail_pack.h"
#include "meldpunt/maint.h"
#include "meldpunt/metrics.h"
#include "meldpunt/outbox.h"
#include "meldpunt/region.h"
#include "meldpunt/router.h"
#include "meldpunt/service.h"
#include "meldpunt/copystore.h" /* copystore */

static void usage_main(FILE *out)
{
    fputs("usage: meldpunt COMMAND [OPTIONS]\n"
          "\n"
          "Street-defect reporting server.\n"
          "\n"
          "commands:\n"
          "  serve     run the HTTP server\n"
          "  import    import reports from another system's export\n"
          "  user      manage staff accounts and API clients\n"
          "  export    write reports or clusters as GeoJSON, GeoJSON sequence or CSV\n"
          "  eval-duplicates  score duplicate folding against a labelled file\n"
          "  tune-duplicates  choose each category's duplicate rule from labelled files\n"
          "  recluster replay all reports under the current duplicate rules\n"
          "  backup    write a consistent copy of the live database to a file\n"
          "  anonymise remove contact data of reports closed more than N days ago\n"
          "  outbox    list, show and re-queue the mail the server sends\n"
          "  copy-store  copy a whole database between SQLite and PostgreSQL, verified\n"
          "\n"
          "Run 'meldpunt COMMAND --help' for the options of a command.\n",
          out);
}

static void usage_common(FILE *out)
{
    fputs("  --db PATH|URL    SQLite file or postgresql:// URL (env MELDPUNT_DB;\n"
          "                   default var/meldpunt.sqlite)\n"
          "  --city DIR       city pack folder (env MELDPUNT_CITY; default geodata/chicago)\n",
          out);
}

static void usage_serve(FILE *out)
{
    fputs("usage: meldpunt serve [--db PATH] [--listen HOST:PORT] [--city DIR] [--web DIR]\n"
          "\n"
          "Serve the JSON API and the map page. Stops cleanly on SIGTERM or SIGINT.\n"
          "\n",
          out);
    usage_common(out);
    fputs("  --listen H:P     address (env MELDPUNT_LISTEN; default 127.0.0.1:8080; port 0 = any)\n"
          "  --web DIR        static page folder (env MELDPUNT_WEB; default web)\n"
          "  --threads N      HTTP worker threads (env MELDPUNT_THREADS; default: cores)\n",
          out);
}

static void usage_import(FILE *out)
{
    fputs("usage: meldpunt import [--db PATH] [--city DIR] --format FORMAT FILE\n"
          "\n"
          "Import reports through the same validation and duplicate folding as live\n"
          "reports, in time order. Re-importing the same file adds nothing.\n"
          "\n",
          out);
    usage_common(out);
    fputs("  --format F       chicago311 (the City of Chicago 311 Service Requests CSV)\n", out);
}

static int arg_value(int argc, char **argv, int *i, const char **out)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "meldpunt: %s needs a value\n", argv[*i]);
        return -1;
    }
    *out = argv[++*i];
    return 0;
}

/* Create the database's folder (one level) so that a fresh checkout runs;
 * nothing for a database server's URL. */
static void ensure_dir_of(const char *path)
{
    char dir[512];
    if (mp_store_location_is_url(path))
        return;
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        fprintf(stderr, "meldpunt: cannot create %s: %s\n", dir, strerror(errno));
}

/* Options shared by commands; returns 1 if argv[*i] was one of them. */
static int common_opt(struct mp_config *cfg, int argc, char **argv, int *i, int *bad)
{
    const char *v;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = MP_OK;
    if (strcmp(argv[*i], "--db") == 0) {
        if (arg_value(argc, argv, i, &v) == 0)
            rc = mp_config_set_str(cfg->db_path, sizeof cfg->db_path, v, "--db", &err);
        else
            *bad = 1;
    } else if (strcmp(argv[*i], "--city") == 0) {
        if (arg_value(argc, argv, i, &v) == 0)
            rc = mp_config_set_str(cfg->city_dir, sizeof cfg->city_dir, v, "--city", &err);
        else
            *bad = 1;
    } else {
        return 0;
    }
    if (rc) {
        fprintf(stderr, "meldpunt: %s\n", err.text);
        *bad = 1;
    }
    return 1;
}

/* Every connection is a descriptor. Raise the soft limit to the hard one
 * (a service manager's default soft limit is often 1024), and keep the
 * connection cap inside it with room for the database, the answer cache and
 * exports. */
static void fit_connections(struct mp_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return;
    }
    rlim_t room = rl.rlim_cur > 16 + 256 ? rl.rlim_cur - 256 : 16;
    if (cfg->max_conns > room) {
        fprintf(stderr,
                "meldpunt: %u connections need more file descriptors than the limit of %llu; "
                "serving %llu at most (raise LimitNOFILE / ulimit -n)\n",
                cfg->max_conns, (unsigned long long)rl.rlim_cur, (unsigned long long)room);
        cfg->max_conns = (unsigned)room;
    }
}

/* The writer's commits, counted for /metrics (ingest.h). */
static void batch_done(void *metrics, size_t jobs, double seconds)
{
    mp_metrics_batch(metrics, jobs, seconds);
}

static int cmd_serve(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_error err = {{0}, {0}};
    int bad = 0;
    for (int i = 2; i < argc && !bad; i++) {
        const char *v;
        enum mp_status rc = MP_OK;
        if (common_opt(cfg, argc, argv, &i, &bad))
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_serve(stdout);
            return 0;
        } else if (strcmp(argv[i], "--listen") == 0) {
            if (arg_value(argc, argv, &i, &v))
                return 2;
            rc = mp_config_set_listen(cfg, v, &err);
        } else if (strcmp(argv[i], "--web") == 0) {
            if (arg_value(argc, argv, &i, &v))
                return 2;
            rc = mp_config_set_str(cfg->web_dir, sizeof cfg->web_dir, v, "--web", &err);
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (arg_value(argc, argv, &i, &v))
                return 2;
            long n = strtol(v, NULL, 10);
            if (n < 1 || n > 256)
                rc = mp_fail(&err, MP_EINVAL, "config", "--threads must be 1-256");
            else
                cfg->threads = (unsigned)n;
        } else {
            fprintf(stderr, "meldpunt serve: unknown option %s (try --help)\n", argv[i]);
            return 2;
        }
        if (rc) {
            fprintf(stderr, "meldpunt serve: %s\n", err.text);
            return 2;
        }
    }
    if (bad)
        return 2;

    /* Block the stop signals in every thread; main waits for them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Map pages are built in buffers of a few hundred KiB, on several
     * threads. With glibc's adaptive threshold those end up on per-thread
     * heaps that keep what they once held; a fixed threshold sends them to
     * mmap and back to the system when freed, so memory stays flat. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 4);

    fit_connections(cfg);

    struct mp_app *app = NULL;
    struct mp_http *http = NULL;
    struct mp_mail_pack *pack = NULL;
    struct mp_outbox *outbox = NULL;
    struct mp_outbox_opts oo;
    struct mp_ctx sender = {0}, hooks = {0};
    unsigned threads = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    ensure_dir_of(cfg->db_path);
    /* One worker slot per HTTP thread, plus one spare for the main thread. */
    enum mp_status rc = mp_app_open(cfg, threads + 1, true, &app, &err);
    if (rc == MP_OK &&
        (rc = mp_metrics_new(mp_router_count(), mp_router_route, &app->metrics)) != MP_OK)
        mp_fail(&err, rc, "metrics", "cannot set up the metrics");
    if (rc == MP_OK && (rc = mp_mail_pack_load(cfg->city_dir, &pack, &err)) == MP_OK)
        app->mail = pack;
    if (rc == MP_OK) {
        mp_ingest_observe(app->ingest, batch_done, app->metrics);
        rc = mp_http_start(app, mp_router_dispatch, &http, &cfg->listen_port, &err);
    }
    if (rc == MP_OK) {
        /* The sender's and the webhook worker's own contexts: the sessions
         * app.c left free for them. */
        sender = (struct mp_ctx){.city = app->city, .tz = app->tz, .streets = app->streets,
                                 .db = mp_store_acquire(app->store), .rules = app->rules};
        hooks = sender;
        hooks.db = mp_store_acquire(app->store);
        mp_outbox_opts_from_config(cfg, &oo); /* after the listen port is known */
        rc = mp_outbox_start(&sender, &hooks, pack, &oo, &outbox, &err);
    }
    if (rc) {
        fprintf(stderr, "meldpunt: cannot start: %s\n", err.text);
        mp_http_stop(http);
        if (sender.db)
            mp_store_release(app->store, sender.db);
        if (hooks.db)
            mp_store_release(app->store, hooks.db);
        mp_app_close(app);
        mp_mail_pack_free(pack);
        return 1;
    }
    if (!cfg->smtp_url[0])
        fprintf(stderr, "meldpunt: MELDPUNT_SMTP_URL is not set: mail stays queued "
                        "(see it with 'meldpunt outbox list')\n");
    if (!cfg->public_url[0])
        fprintf(stderr, "meldpunt: MELDPUNT_PUBLIC_URL is not set: links in mail point at %s\n",
                oo.public_url);
    char url[128]; /* listen_host is at most 63 bytes */
    if (snprintf(url, sizeof url, "http://%s:%u", cfg->listen_host, cfg->listen_port) < 0)
        url[0] = '\0';
    printf("meldpunt: listening on %s\n", url);
    fflush(stdout);
    struct mp_service *service = NULL;
    if (mp_service_ready(app, url, &service) != MP_OK)
        fprintf(stderr, "meldpunt: cannot start the systemd watchdog\n");
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "meldpunt: signal %d, finishing requests and stopping\n", sig);
    mp_service_stopping(service);
    mp_http_stop(http);
    mp_outbox_stop(outbox); /* the round in flight finishes: nothing is sent twice */
    mp_store_release(app->store, sender.db);
    mp_store_release(app->store, hooks.db);
    mp_app_close(app);
    mp_mail_pack_free(pack);
    return 0;
}

static int cmd_import(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_error err = {{0}, {0}};
    const char *format = NULL, *file = NULL;
    int bad = 0;
    for (int i = 2; i < argc && !bad; i++) {
        if (common_opt(cfg, argc, argv, &i, &bad))
            continue;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_import(stdout);
            return 0;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (arg_value(argc, argv, &i, &format))
                return 2;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "meldpunt import: unknown option %s (try --help)\n", argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "meldpunt import: one file at a time\n");
            return 2;
        }
    }
    if (bad)
        return 2;
    if (!format || !file) {
        usage_import(stderr);
        return 2;
    }
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "meldpunt import: cannot open %s: %s\n", file, strerror(errno));
        return 1;
    }
    struct mp_app *app = NULL;
    ensure_dir_of(cfg->db_path);
    enum mp_status rc = mp_app_open(cfg, 1, false, &app, &err);
    struct mp_import_stats st;
    memset(&st, 0, sizeof st);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (rc == MP_OK) {
        struct mp_ctx *ctx = mp_app_acquire(app);
        rc = mp_import_csv(ctx, format, f, &st, &err);
        mp_app_release(app, ctx);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (f != stdin)
        fclose(f);
    mp_app_close(app);
    if (rc) {
        fprintf(stderr, "meldpunt import: %s\n", err.text);
        return 1;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("rows: %ld\nimported: %ld\njoined existing cluster: %ld\n"
           "skipped information-only: %ld\nskipped unmapped type: %ld\n"
           "skipped without coordinates: %ld\nskipped outside service area: %ld\n"
           "skipped invalid: %ld\nskipped already imported: %ld\nstatus changes replayed: %ld\n"
           "city duplicate pairs: %ld\npairs in parent's cluster: %ld\nseconds: %.3f\n",
           st.rows, st.imported, st.joined, st.skipped_info, st.skipped_type,
           st.skipped_nocoord, st.skipped_area, st.skipped_invalid, st.skipped_existing,
           st.status_changes, st.dup_pairs, st.dup_pairs_same_cluster, secs);
    return 0;
}

static void usage_user(FILE *out)
{
    fputs("usage: meldpunt user add NAME --role ROLE [--department D]\n"
          "                         [--municipality A[,B...] | --region] [--db PATH]\n"
          "       meldpunt user scope NAME (--municipality A[,B...] | --region)\n"
          "       meldpunt user list | disable NAME | token NAME [--db PATH]\n"
          "\n"
          "Roles: admin, dispatcher, crew (needs --department), client (an API key,\n"
          "e.g. for Open311). 'add' and 'token' print a new token once; only its hash\n"
          "is stored.\n"
          "In a region pack an account works for the municipalities (member ids)\n"
          "it names, or with --region for all of them; a pack of several members\n"
          "needs one of the two, a city pack defaults to --region. 'scope' changes it.\n",
          out);
}

static int print_user(void *c, const struct mp_user_row *u)
{
    (void)c;
    char t[32] = "never";
    if (u->last_seen_at)
        mp_time_format(u->last_seen_at, t, sizeof t);
    printf("%-24s %-11s %-14s %-8s %s\n", u->name, u->role, u->department ? u->department : "-",
           u->disabled ? "disabled" : "active",
           u->region_wide ? "region"
                          : (u->municipalities && *u->municipalities ? u->municipalities : "none"));
    return 0;
}

static int cmd_user(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_error err = {{0}, {0}};
    const char *verb = argc > 2 ? argv[2] : NULL, *name = NULL, *role = NULL, *dept = NULL;
    const char *munis = NULL; /* tenancy: --municipality */
    bool region_wide = false; /* tenancy: --region */
    int bad = 0;
    if (!verb || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage_user(verb ? stdout : stderr);
        return verb ? 0 : 2;
    }
    for (int i = 3; i < argc && !bad; i++) {
        if (common_opt(cfg, argc, argv, &i, &bad))
            continue;
        if (strcmp(argv[i], "--role") == 0) {
            if (arg_value(argc, argv, &i, &role))
                return 2;
        } else if (strcmp(argv[i], "--department") == 0) {
            if (arg_value(argc, argv, &i, &dept))
                return 2;
        } else if (strcmp(argv[i], "--municipality") == 0) {
            if (arg_value(argc, argv, &i, &munis))
                return 2;
        } else if (strcmp(argv[i], "--region") == 0) {
            region_wide = true;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage_user(stdout);
            return 0;
        } else if (argv[i][0] != '-' && !name) {
            name = argv[i];
        } else {
            fprintf(stderr, "meldpunt user: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (bad)
        return 2;
    bool needs_name = strcmp(verb, "list") != 0;
    if (needs_name && !name) {
        usage_user(stderr);
        return 2;
    }
    struct mp_app *app = NULL;
    ensure_dir_of(cfg->db_path);
    enum mp_status rc = mp_app_open(cfg, 1, false, &app, &err);
    if (rc) {
        fprintf(stderr, "meldpunt user: %s\n", err.text);
        return 1;
    }
    struct mp_ctx *ctx = mp_app_acquire(app);
    char token[MP_TOKEN_LEN] = "";
    int ret = 0;
    if (strcmp(verb, "list") == 0) {
        rc = mp_store_users(ctx->db, print_user, NULL);
    } else if ((rc = mp_store_begin_write(ctx->db, &err)) == MP_OK) {
        struct mp_principal cli = {.name = "command-line"};
        if (strcmp(verb, "add") == 0) {
            enum mp_role r;
            if (mp_role_parse(role, &r) != MP_OK) {
                rc = mp_fail(&err, MP_EINVAL, "usage",
                             "--role must be admin, dispatcher, crew or client");
            } else {
                rc = mp_auth_user_add(ctx, name, r, dept, token, &err);
            }
            if (rc == MP_OK)
                rc = mp_auth_user_scope(ctx, name, region_wide, munis, &err);
        } else if (strcmp(verb, "scope") == 0) {
            if (!munis && !region_wide)
                rc = mp_fail(&err, MP_EINVAL, "usage",
                             "user scope needs --municipality A[,B...] or --region");
            else
                rc = mp_auth_user_scope(ctx, name, region_wide, munis, &err);
        } else if (strcmp(verb, "token") == 0) {
            rc = mp_auth_user_token(ctx, name, token, &err);
        } else if (strcmp(verb, "disable") == 0) {
            rc = mp_auth_user_disable(ctx, name, &err);
        } else {
            rc = mp_fail(&err, MP_EINVAL, "usage", "unknown user command '%.20s'", verb);
            ret = 2;
        }
        char detail[256] = "";
        if (rc == MP_OK && (munis || region_wide || strcmp(verb, "add") == 0))
            /* tenancy: what the account now works for (names checked by
             * mp_auth_user_scope: member ids, no quotes). */
            snprintf(detail, sizeof detail, "{\"user\":\"%.60s\",\"municipalities\":\"%.160s\"}",
                     name, munis && !region_wide ? munis : "region");
        if (rc == MP_OK)
            rc = mp_auth_audit(ctx, &cli, verb, "user", 0, detail[0] ? detail : NULL);
        if (rc == MP_OK)
            rc = mp_store_commit(ctx->db, &err);
        else
            mp_store_rollback(ctx->db);
    }
    if (rc && strcmp(err.code, "unknown_municipality") == 0 && ctx->region) {
        /* The error text holds a few; the operator gets every member id. */
        fputs("meldpunt user: the municipalities of this region:", stderr);
        for (size_t i = 0; i < ctx->region->nmembers; i++)
            fprintf(stderr, " %s", ctx->region->members[i].city->id);
        fputc('\n', stderr);
    }
    mp_app_release(app, ctx);
    mp_app_close(app);
    if (rc) {
        fprintf(stderr, "meldpunt user: %s\n", err.text[0] ? err.text : "failed");
        return ret ? ret : 1;
    }
    if (token[0])
        printf("%s\n", token);
    return 0;
}

int main(int argc, char **argv)
{
    struct mp_config cfg;
    struct mp_error err = {{0}, {0}};
    mp_config_defaults(&cfg);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("meldpunt %s\n", MP_VERSION);
        return 0;
    }
    if (mp_config_from_env(&cfg, &err) != MP_OK) {
        fprintf(stderr, "meldpunt: %s\n", err.text);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(&cfg, argc, argv);
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(&cfg, argc, argv);
    if (strcmp(argv[1], "user") == 0)
        return cmd_user(&cfg, argc, argv);
    if (strcmp(argv[1], "export") == 0)
        return mp_cli_export(&cfg, argc, argv);
    if (strcmp(argv[1], "eval-duplicates") == 0)
        return mp_cli_eval(&cfg, argc, argv);
    if (strcmp(argv[1], "tune-duplicates") == 0)
        return mp_cli_tune(&cfg, argc, argv);
    if (strcmp(argv[1], "recluster") == 0)
        return mp_cli_recluster(&cfg, argc, argv);
    if (strcmp(argv[1], "backup") == 0)
        return mp_cli_backup(&cfg, argc, argv);
    if (strcmp(argv[1], "anonymise") == 0)
        return mp_cli_anonymise(&cfg, argc, argv);
    if (strcmp(argv[1], "outbox") == 0)
        return mp_cli_outbox(&cfg, argc, argv);
    if (strcmp(argv[1], "copy-store") == 0) /* copystore */
        return mp_cli_copystore(&cfg, argc, argv);
    fprintf(stderr, "meldpunt: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
}
