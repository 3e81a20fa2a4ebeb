#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/eval_openset_checks.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/model.h"

/* A class with K rows or fewer cannot be enrolled from K and tested on
 * the rest; its cell is empty (n/a, JSON null) and said so, rather than a
 * bare "nan" that reads like a failure of the method. */
void openset_warn_too_small(const struct table *t,
                            const struct openset_report *r)
{
    for (size_t j = 0; j < r->n_novel; j++) {
        for (uint32_t s = 0; s < r->n_shots; s++) {
            if (!isnan(r->recall[j * r->n_shots + s]))
                continue;
            char buf[256];
            log_warn("eval", "class '%s' has %u rows or fewer: too few to "
                     "enrol from K=%u and test on the rest (n/a, left out "
                     "of the means)", cli_printable(t->class_names[
                         r->novel_ids[j]], buf, sizeof(buf)), r->shots[s],
                     r->shots[s]);
        }
    }
}

/* The memory written by -o is rebuilt from the protocol's data, so the
 * classes enrolled into MODEL (their flows are not kept) are not in it:
 * their names are kept here to say so, rather than be found missing by
 * detect. Returns how many there are. */
size_t openset_enrolled_names(const struct memo *m, char *names, size_t len)
{
    char buf[256];
    size_t n = 0, at = 0;
    for (size_t c = 0; m != NULL && c < m->n_classes; c++) {
        if (!(m->cls[c].flags & MEMO_CLASS_ENROLLED))
            continue;
        if (at < len)
            at += (size_t)snprintf(names + at, len - at, "%s'%s'",
                                   n ? ", " : "", cli_printable(
                                       m->cls[c].name, buf, sizeof(buf)));
        n++;
    }
    return n;
}

/* Data without the model's test classes gave "AUROC nan", an empty
 * table and exit 0; one missing class was left out without a word. */
int openset_check_test_classes(const struct detector *d,
                               const struct table *t)
{
    const struct model_record *r = &d->model->rec;
    size_t found = 0;
    char buf[256];
    for (size_t i = 0; i < r->n_test; i++) {
        if (table_class_id(t, r->test_classes[i]) >= 0)
            found++;
        else
            log_warn("eval", "test class '%s' is not in the data: left out",
                     cli_printable(r->test_classes[i], buf, sizeof(buf)));
    }
    return found > 0 || r->n_test == 0
           ? 0 : err_set(ERR_NOTFOUND, "none of the model's %zu test "
                         "classes is in the data (--data: the files that "
                         "hold them)", r->n_test);
}
