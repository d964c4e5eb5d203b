/* cli_recluster.c - `meldpunt recluster [--category C | --reroute]`. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "meldpunt/app.h"
#include "meldpunt/cli.h"
#include "meldpunt/corrections.h"

static void usage(FILE *out)
{
    fputs("usage: meldpunt recluster [--db PATH] [--city DIR] [--category CODE | --reroute]\n"
          "\n"
          "Replays all reports (or one category's) in time order under the city pack's\n"
          "current rules, in one transaction, keeping staff corrections (merges, moves)\n"
          "as constraints. Clusters keep their id and status where their first report\n"
          "still starts them. Live writes wait while it runs.\n"
          "\n"
          "--reroute (a region pack): first give each report that no member holds yet (a\n"
          "database from before municipalities keyed them by the region) the member its\n"
          "pin lies in, and each such cluster the member of its centre; then replay.\n",
          out);
}

int mp_cli_recluster(struct mp_config *cfg, int argc, char **argv)
{
    const char *category = NULL;
    bool reroute = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--category") == 0 && i + 1 < argc) {
            category = argv[++i];
        } else if (strcmp(argv[i], "--reroute") == 0) {
            reroute = true;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            snprintf(cfg->db_path, sizeof cfg->db_path, "%s", argv[++i]);
        } else if (strcmp(argv[i], "--city") == 0 && i + 1 < argc) {
            snprintf(cfg->city_dir, sizeof cfg->city_dir, "%s", argv[++i]);
        } else {
            fprintf(stderr, "meldpunt recluster: unexpected %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    struct mp_error err = {{0}, {0}};
    struct mp_app *app = NULL;
    /* Two worker contexts: one replays and writes, the other reads and
     * snaps the reports on a second connection and thread. */
    if (mp_app_open(cfg, 2, false, &app, &err) != MP_OK) {
        fprintf(stderr, "meldpunt recluster: %s\n", err.text);
        return 1;
    }
    if (reroute && category) {
        fputs("meldpunt recluster: --reroute replays every category (drop --category)\n", stderr);
        mp_app_close(app);
        return 2;
    }
    struct mp_ctx *ctx = mp_app_acquire(app), *reader = mp_app_acquire(app);
    struct mp_recluster_stats st;
    struct mp_reroute_stats rr;
    memset(&rr, 0, sizeof rr);
    enum mp_status rc = reroute ? mp_reroute(ctx, reader, &rr, &err)
                                : mp_recluster_with(ctx, reader, category, &st, &err);
    if (reroute)
        st = rr.recluster;
    mp_app_release(app, reader);
    mp_app_release(app, ctx);
    mp_app_close(app);
    if (rc) {
        fprintf(stderr, "meldpunt recluster: %s\n", err.text);
        return 1;
    }
    if (reroute)
        printf("reports re-routed: %ld\nclusters re-routed: %ld\noutside every member: %ld\n",
               rr.reports, rr.clusters, rr.unrouted);
    printf("reports: %ld\nclusters before: %ld\nclusters after: %ld\nreports moved: %ld\n"
           "constraints: %ld\nclusters in memory at most: %ld\nseconds: %.3f\n",
           st.reports, st.clusters_before, st.clusters_after, st.reports_moved, st.constraints,
           st.peak_open, st.seconds);
    return 0;
}
