/*
 * Column lookup by name for modules that read a few named columns of a
 * model's input row (flow-kind and context rules).
 */
#ifndef FEWFLOW_CORE_NAMES_H
#define FEWFLOW_CORE_NAMES_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"

/* Sets col[k] to the index of want[k] in names[0..n) for every k <
 * n_want; -1 when one is missing (col is then partly set). */
static inline int names_find_all(size_t *col, const char *const *want,
                                 size_t n_want, const char *const *names,
                                 size_t n)
{
    for (size_t k = 0; k < n_want; k++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], want[k]) != 0)
            j++;
        if (j == n)
            return -1;
        col[k] = j;
    }
    return 0;
}

/* Whether every one of the n_want names is among names[0..n). */
static inline int names_have_all(const char *const *want, size_t n_want,
                                 const char *const *names, size_t n)
{
    for (size_t k = 0; k < n_want; k++) {
        size_t j = 0;
        while (j < n && strcmp(names[j], want[k]) != 0)
            j++;
        if (j == n)
            return 0;
    }
    return 1;
}

/* A zeroed block of size bytes for a rule that reads the n_want named
 * columns, their indices set as above in the size_t array at byte
 * col_at of the block. NULL when a column is missing (the rule does not
 * run: no error is set) or when memory is out (err_set). */
static inline void *names_block_create(size_t size, size_t col_at,
                                       const char *const *want,
                                       size_t n_want,
                                       const char *const *names, size_t n)
{
    if (!names_have_all(want, n_want, names, n))
        return NULL;
    char *p = calloc(1, size);
    if (p == NULL)
        err_set(ERR_NOMEM, "out of memory");
    else
        names_find_all((size_t *)(p + col_at), want, n_want, names, n);
    return p;
}

#endif
