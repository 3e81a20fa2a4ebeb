#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the eval command lands: fails loudly, never guesses. */
int cmd_eval(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow eval' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
