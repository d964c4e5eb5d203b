/* cli.h - subcommands beyond serve and import, each a main() of its own:
 * argv[1] is the command name. Return the process exit status (0 ok, 1
 * failure, 2 usage). Run in the calling thread; not reentrant.
 */
#ifndef MELDPUNT_CLI_H
#define MELDPUNT_CLI_H

#include "meldpunt/config.h"

/* meldpunt eval-duplicates [--format F] [--baselines] FILE */
int mp_cli_eval(struct mp_config *cfg, int argc, char **argv);
/* meldpunt tune-duplicates [--format F] [--folds K] [--output FILE] FILE... */
int mp_cli_tune(struct mp_config *cfg, int argc, char **argv);
/* meldpunt recluster [--category C] */
int mp_cli_recluster(struct mp_config *cfg, int argc, char **argv);

#endif
