/* copystore_cli.c - `meldpunt copy-store` (copystore.h): the command line
 * and its table. */
#include <stdio.h>
#include <string.h>

#include "meldpunt/copystore.h"

static void usage(FILE *out)
{
    fputs("usage: meldpunt copy-store [--force] [--verify-only] FROM TO\n"
          "\n"
          "Copy a whole database from FROM to TO, each a SQLite file or a postgresql:// URL\n"
          "(either direction; both at this build's schema version), then verify it: per\n"
          "table the rows and a SHA-256 over every row in a canonical form, and the id\n"
          "counter (TO hands out ids above the highest FROM ever gave). FROM is read in\n"
          "one snapshot and may stay in use; TO is written in one transaction and must be\n"
          "empty (a new file, or a new database with the schema: meldpunt makes it).\n"
          "Exit status 0 when every table matches, 1 on a mismatch or failure.\n"
          "\n"
          "  --force          delete the rows TO holds first\n"
          "  --verify-only    copy nothing: compare FROM and TO\n",
          out);
}

int mp_cli_copystore(struct mp_config *cfg, int argc, char **argv)
{
    (void)cfg; /* FROM and TO are given; MELDPUNT_DB does not choose either */
    struct mp_copy_opts opts = {0};
    const char *ends[2] = {NULL, NULL};
    size_t nends = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--force") == 0) {
            opts.force = true;
        } else if (strcmp(argv[i], "--verify-only") == 0) {
            opts.verify_only = true;
        } else if (argv[i][0] == '-' || nends == 2) {
            fprintf(stderr, "meldpunt copy-store: unexpected argument '%.60s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else {
            ends[nends++] = argv[i];
        }
    }
    if (nends != 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(ends[0], ends[1]) == 0) {
        fprintf(stderr, "meldpunt copy-store: FROM and TO are the same database\n");
        return 2;
    }
    struct mp_copy_result res;
    struct mp_error err = {{0}, {0}};
    enum mp_status rc = mp_copystore_run(ends[0], ends[1], &opts, &res, &err);
    if (rc != MP_OK) {
        fprintf(stderr, "meldpunt copy-store: %s\n", err.text);
        return 1;
    }
    mp_copystore_print(stdout, &res);
    return res.ok ? 0 : 1;
}
