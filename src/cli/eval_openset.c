#include "cli/cli.h"
#include "cli/eval_openset.h"
#include "fewflow/err.h"

/* Open-set evaluation belongs to the detect module; until its CLI code
 * replaces this file, the option fails loudly. */
int cmd_eval_openset(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    err_set(ERR_UNSUPPORTED, "'fewflow eval --openset' is not built yet");
    return cli_fail(ERR_UNSUPPORTED);
}
