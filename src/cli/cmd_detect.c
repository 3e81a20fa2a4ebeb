#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the detect command lands: fails loudly, never guesses. */
int cmd_detect(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow detect' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
