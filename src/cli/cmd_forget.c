#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the forget command lands: fails loudly, never guesses. */
int cmd_forget(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow forget' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
