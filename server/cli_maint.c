/* cli_maint.c - `meldpunt backup` and `meldpunt anonymise` (see maint.h).
 * Both work on a database that a running server is using. */
#include "meldpunt/maint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "meldpunt/store.h"
#include "meldpunt/timeutil.h"

#define MAX_RETENTION_DAYS 36500

static void usage_backup(FILE *out)
{
    fputs("usage: meldpunt backup [--db PATH] [--pages N] [--sleep-ms MS] [--no-verify] FILE\n"
          "\n"
          "Write a consistent copy of the database, as it stood when the backup began, to\n"
          "FILE while the server keeps serving (SQLite's online backup in small steps).\n"
          "The copy is checked (PRAGMA integrity_check), made a single self-contained\n"
          "file, synced and only then renamed to FILE, so FILE is never half written.\n"
          "\n"
          "On PostgreSQL use pg_dump or continuous archiving (PITR) instead.\n"
          "\n"
          "  --db PATH        database file (env MELDPUNT_DB; default var/meldpunt.sqlite)\n"
          "  --pages N        pages copied per step (default 64)\n"
          "  --sleep-ms MS    pause between steps (default 2)\n"
          "  --no-verify      skip the integrity check of the copy\n",
          out);
}

static void usage_anonymise(FILE *out)
{
    fputs("usage: meldpunt anonymise [--db PATH] [--days N] [--dry-run]\n"
          "\n"
          "Remove reporters' contact data (name, e-mail, phone; e-mail addresses and phone\n"
          "numbers typed into descriptions and Open311 attribute answers; Open311 device\n"
          "and account ids; their mail in the outbox, link tokens, mail subscriptions,\n"
          "satisfaction texts and photos) from reports whose cluster was fixed, closed\n"
          "or not_responsible more than N days ago, and the address of area alerts\n"
          "never confirmed or stopped more than N days ago.\n"
          "Public fields are kept. Safe while the server runs; written to the audit log.\n"
          "\n"
          "  --db PATH|URL    SQLite file or postgresql:// URL (env MELDPUNT_DB;\n"
          "                   default var/meldpunt.sqlite)\n"
          "  --days N         retention in days, 0-36500 (default: env MELDPUNT_RETENTION_DAYS)\n"
          "  --dry-run        only count what would be anonymised\n",
          out);
}

static int need_value(int argc, char **argv, int i, const char *cmd)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "meldpunt %s: %s needs a value\n", cmd, argv[i]);
        return -1;
    }
    return 0;
}

static int parse_uint(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || end == s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int set_db(struct mp_config *cfg, const char *v, const char *cmd)
{
    struct mp_error err = {{0}, {0}};
    if (mp_config_set_str(cfg->db_path, sizeof cfg->db_path, v, "--db", &err) != MP_OK) {
        fprintf(stderr, "meldpunt %s: %s\n", cmd, err.text);
        return -1;
    }
    return 0;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int mp_cli_backup(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_backup_opts o;
    struct mp_backup_stats st;
    struct mp_error err = {{0}, {0}};
    const char *file = NULL;
    long v;
    mp_backup_opts_default(&o);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_backup(stdout);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0) {
            if (need_value(argc, argv, i, "backup") || set_db(cfg, argv[++i], "backup"))
                return 2;
        } else if (strcmp(argv[i], "--pages") == 0) {
            if (need_value(argc, argv, i, "backup") || parse_uint(argv[++i], 1, 1 << 20, &v)) {
                fprintf(stderr, "meldpunt backup: --pages must be 1-%d\n", 1 << 20);
                return 2;
            }
            o.pages_per_step = (unsigned)v;
        } else if (strcmp(argv[i], "--sleep-ms") == 0) {
            if (need_value(argc, argv, i, "backup") || parse_uint(argv[++i], 0, 10000, &v)) {
                fprintf(stderr, "meldpunt backup: --sleep-ms must be 0-10000\n");
                return 2;
            }
            o.sleep_ms = (unsigned)v;
        } else if (strcmp(argv[i], "--no-verify") == 0) {
            o.verify = false;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "meldpunt backup: unknown option %s (try --help)\n", argv[i]);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            fprintf(stderr, "meldpunt backup: one backup file at a time\n");
            return 2;
        }
    }
    if (!file) {
        usage_backup(stderr);
        return 2;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum mp_status rc = mp_maint_backup(cfg->db_path, file, &o, &st, &err);
    if (rc) {
        fprintf(stderr, "meldpunt backup: %s\n", err.text[0] ? err.text : "failed");
        return rc == MP_EINVAL || rc == MP_ENOTFOUND ? 2 : 1;
    }
    printf("backup: %s\nreports: %lld\nlast report id: %lld\npages: %lld\nbytes: %lld\n"
           "steps: %lld\nrestarts: %lld\nverified: %s\nseconds: %.3f\n",
           file, (long long)st.reports, (long long)st.max_report_id, (long long)st.pages,
           (long long)st.bytes, (long long)st.steps, (long long)st.restarts,
           o.verify ? "yes" : "no", elapsed_s(&t0));
    return 0;
}

int mp_cli_anonymise(struct mp_config *cfg, int argc, char **argv)
{
    struct mp_error err = {{0}, {0}};
    struct mp_anonymise_stats st;
    struct mp_store *store = NULL;
    bool dry = false;
    long days = -1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage_anonymise(stdout);
            return 0;
        } else if (strcmp(argv[i], "--db") == 0) {
            if (need_value(argc, argv, i, "anonymise") || set_db(cfg, argv[++i], "anonymise"))
                return 2;
        } else if (strcmp(argv[i], "--days") == 0) {
            if (need_value(argc, argv, i, "anonymise") ||
                parse_uint(argv[++i], 0, MAX_RETENTION_DAYS, &days)) {
                fprintf(stderr, "meldpunt anonymise: --days must be a whole number 0-%d\n",
                        MAX_RETENTION_DAYS);
                return 2;
            }
        } else if (strcmp(argv[i], "--dry-run") == 0 || strcmp(argv[i], "-n") == 0) {
            dry = true;
        } else {
            fprintf(stderr, "meldpunt anonymise: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (days < 0) {
        /* Until the retention setting lives in struct mp_config, read it
         * here; the same variable the server will use. */
        const char *env = getenv("MELDPUNT_RETENTION_DAYS");
        if (!env || !*env) {
            fprintf(stderr, "meldpunt anonymise: give --days N or set MELDPUNT_RETENTION_DAYS\n");
            return 2;
        }
        if (parse_uint(env, 0, MAX_RETENTION_DAYS, &days)) {
            fprintf(stderr, "meldpunt anonymise: MELDPUNT_RETENTION_DAYS must be 0-%d\n",
                    MAX_RETENTION_DAYS);
            return 2;
        }
    }
    struct stat sb;
    if (!mp_store_location_is_url(cfg->db_path) && stat(cfg->db_path, &sb) != 0) {
        fprintf(stderr, "meldpunt anonymise: no database at %s\n", cfg->db_path);
        return 1;
    }
    struct mp_store_opts so;
    mp_store_opts_default(&so);
    so.pool_size = 1;
    so.sync_full = cfg->sync_full;
    enum mp_status rc = mp_store_open(cfg->db_path, &so, &store, &err);
    if (rc == MP_OK) {
        int64_t cutoff = mp_time_now() - (int64_t)days * 86400;
        struct mp_store_sess *sess = mp_store_acquire(store);
        rc = mp_maint_anonymise(sess, cutoff, dry, "command-line", &st, &err);
        mp_store_release(store, sess);
        if (rc == MP_OK) {
            char when[32];
            mp_time_format(cutoff, when, sizeof when);
            const char *verb = dry ? "would be " : "";
            printf("%sclosed clusters last changed before %s: %lld\n"
                   "reports whose contact data %scleared: %lld\n"
                   "descriptions %smasked: %lld\n"
                   "Open311 device/account ids %scleared: %lld\n"
                   "Open311 attribute answers %smasked: %lld\n"
                   "outbox messages %sdeleted: %lld\n"
                   "link tokens %sdeleted: %lld\n"
                   "mail subscriptions %sdeleted: %lld\n"
                   "satisfaction answers whose text and photo %scleared: %lld\n"
                   "area alert addresses %scleared: %lld\n",
                   dry ? "dry run: " : "", when, (long long)st.clusters,
                   dry ? "would be " : "was ", (long long)st.reports, verb,
                   (long long)st.descriptions, verb, (long long)st.open311, verb,
                   (long long)st.attributes, verb, (long long)st.outbox, verb,
                   (long long)st.tokens, verb, (long long)st.subscriptions,
                   dry ? "would be " : "were ", (long long)st.answers, verb,
                   (long long)st.alerts);
        }
    }
    mp_store_close(store);
    if (rc) {
        fprintf(stderr, "meldpunt anonymise: %s\n", err.text[0] ? err.text : "failed");
        return 1;
    }
    return 0;
}
