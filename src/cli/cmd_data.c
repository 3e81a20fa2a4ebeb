#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the data command lands: fails loudly, never guesses. */
int cmd_data(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow data' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
