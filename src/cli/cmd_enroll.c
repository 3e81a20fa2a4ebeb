#include "cli/cli.h"
#include "fewflow/err.h"

/* Placeholder until the enroll command lands: fails loudly, never guesses. */
int cmd_enroll(int argc, char **argv)
{
    err_set(ERR_UNSUPPORTED, "'fewflow enroll' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
