/* cli_export.h - `meldpunt export`: the exports of export.h written to
 * stdout or a file from the command line, with the filters of the reports
 * API. Runs in the calling thread.
 */
#ifndef MELDPUNT_CLI_EXPORT_H
#define MELDPUNT_CLI_EXPORT_H

#include "meldpunt/config.h"

/* argv[1] is "export". Returns the process exit code: 0 on success, 1 on a
 * failure while exporting, 2 on a usage error. */
int mp_cli_export(struct mp_config *cfg, int argc, char **argv);

#endif
