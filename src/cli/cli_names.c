#include "cli/cli.h"
#include "fewflow/detect.h"
#include "fewflow/log.h"

/* Each class that collides with an earlier one is named once, so that a
 * third spelling or a second colliding pair is not hidden until the
 * first is repaired. */
void cli_warn_name_clash(const char *cmd, const struct memo *m,
                         const char *path)
{
    char a[MEMO_NAME_MAX + 1], b[MEMO_NAME_MAX + 1];
    size_t i, j;
    if (!memo_names_clash(m, &i, &j))
        return;
    for (j = 1; j < m->n_classes; j++) {
        for (i = 0; i < j; i++) {
            if (!memo_names_collide(m->cls[i].name, m->cls[j].name))
                continue;
            log_warn(cmd, "%s: classes '%s' and '%s' differ only in case "
                     "(enrolled before names were compared that way): "
                     "alerts name both; forget one by its exact name", path,
                     cli_printable(m->cls[i].name, a, sizeof(a)),
                     cli_printable(m->cls[j].name, b, sizeof(b)));
            break;
        }
    }
}
