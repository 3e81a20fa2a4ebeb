#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the flows command lands: fails loudly, never guesses. */
int cmd_flows(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow flows' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
