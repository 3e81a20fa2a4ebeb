#include "cli/cli.h"
#include "fewflow/detect.h"
#include "fewflow/log.h"

void cli_warn_name_clash(const char *cmd, const struct memo *m,
                         const char *path)
{
    char a[MEMO_NAME_MAX + 1], b[MEMO_NAME_MAX + 1];
    size_t i, j;
    if (!memo_names_clash(m, &i, &j))
        return;
    log_warn(cmd, "%s: classes '%s' and '%s' differ only in case (enrolled "
             "before names were compared that way): alerts name both; "
             "forget one by its exact name", path,
             cli_printable(m->cls[i].name, a, sizeof(a)),
             cli_printable(m->cls[j].name, b, sizeof(b)));
}
