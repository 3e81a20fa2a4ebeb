#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the train command lands: fails loudly, never guesses. */
int cmd_train(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow train' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
