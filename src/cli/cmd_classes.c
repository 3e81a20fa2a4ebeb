#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the classes command lands: fails loudly, never guesses. */
int cmd_classes(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow classes' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
