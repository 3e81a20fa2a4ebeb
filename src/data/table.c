#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fewflow/err.h"
#include "fewflow/table.h"

struct table *table_create(size_t n_cols, const char *const *col_names)
{
    struct table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        goto fail;
    t->n_cols = n_cols;
    t->col_names = calloc(n_cols ? n_cols : 1, sizeof(char *));
    if (t->col_names == NULL)
        goto fail;
    for (size_t j = 0; j < n_cols; j++) {
        t->col_names[j] = strdup(col_names[j] ? col_names[j] : "");
        if (t->col_names[j] == NULL)
            goto fail;
    }
    return t;
fail:
    table_destroy(t);
    err_set(ERR_NOMEM, "out of memory");
    return NULL;
}

void table_destroy(struct table *t)
{
    if (t == NULL)
        return;
    for (size_t j = 0; t->col_names != NULL && j < t->n_cols; j++)
        free(t->col_names[j]);
    for (size_t c = 0; c < t->n_classes; c++)
        free(t->class_names[c]);
    free(t->col_names);
    free(t->class_names);
    free(t->x);
    free(t->y);
    free(t);
}

/* A first large block asks for transparent huge pages: filling a table of
 * tens of MiB then costs a few hundred page faults instead of thousands. */
static float *alloc_rows(float *old, size_t bytes)
{
    const size_t huge = (size_t)2 << 20;

    if (old != NULL || bytes < 2 * huge)
        return realloc(old, bytes);
    size_t rounded = (bytes + huge - 1) / huge * huge;
    float *x = aligned_alloc(huge, rounded);
    if (x != NULL)
        madvise(x, rounded, MADV_HUGEPAGE);
    return x;
}

int table_reserve(struct table *t, size_t n_rows)
{
    if (n_rows <= t->cap_rows)
        return 0;
    size_t cap = t->cap_rows ? t->cap_rows : 64;
    while (cap < n_rows)
        cap *= 2;
    if (t->n_cols > 0 && cap > SIZE_MAX / sizeof(float) / t->n_cols)
        return err_set(ERR_NOMEM, "table too large");
    float *x = alloc_rows(t->x, cap * t->n_cols * sizeof(float) + 1);
    if (x == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    t->x = x;
    int32_t *y = realloc(t->y, cap * sizeof(int32_t));
    if (y == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    t->y = y;
    t->cap_rows = cap;
    return 0;
}

int32_t table_class_add(struct table *t, const char *name)
{
    int32_t id = table_class_id(t, name);
    if (id >= 0)
        return id;
    if (t->n_classes >= INT32_MAX)
        return err_set(ERR_RANGE, "too many classes");
    char **names = realloc(t->class_names,
                           (t->n_classes + 1) * sizeof(char *));
    if (names == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    t->class_names = names;
    names[t->n_classes] = strdup(name);
    if (names[t->n_classes] == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    return (int32_t)t->n_classes++;
}

int table_append(struct table *t, const float *row, const char *label)
{
    int32_t id = -1;

    if (label != NULL) {
        id = table_class_add(t, label);
        if (id < 0)
            return id;
    }
    int rc = table_reserve(t, t->n_rows + 1);
    if (rc != 0)
        return rc;
    if (t->n_cols > 0)
        memcpy(t->x + t->n_rows * t->n_cols, row, t->n_cols * sizeof(float));
    t->y[t->n_rows++] = id;
    return 0;
}

int32_t table_class_id(const struct table *t, const char *name)
{
    for (size_t c = 0; c < t->n_classes; c++) {
        if (strcmp(t->class_names[c], name) == 0)
            return (int32_t)c;
    }
    return -1;
}

long table_col_index(const struct table *t, const char *name)
{
    for (size_t j = 0; j < t->n_cols; j++) {
        if (strcmp(t->col_names[j], name) == 0)
            return (long)j;
    }
    return -1;
}

void table_class_counts(const struct table *t, size_t *counts)
{
    memset(counts, 0, t->n_classes * sizeof(*counts));
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->y[i] >= 0 && (size_t)t->y[i] < t->n_classes)
            counts[t->y[i]]++;
    }
}

/* Adds keep's names to out in order; returns old class id -> new id. */
static int32_t *class_remap(const struct table *t, struct table *out,
                            const char *const *keep, size_t n_keep)
{
    int32_t *map = malloc((t->n_classes + 1) * sizeof(*map));
    if (map == NULL)
        return NULL;
    for (size_t c = 0; c < t->n_classes; c++)
        map[c] = -1;
    for (size_t k = 0; k < n_keep; k++) {
        int32_t id_out = table_class_add(out, keep[k]);
        int32_t id = table_class_id(t, keep[k]);
        if (id_out < 0) {
            free(map);
            return NULL;
        }
        if (id >= 0)
            map[id] = id_out;
    }
    return map;
}

struct table *table_select_classes(const struct table *t,
                                   const char *const *keep, size_t n_keep)
{
    int32_t *map = NULL;
    struct table *out = table_create(t->n_cols,
                                     (const char *const *)t->col_names);
    if (out == NULL || (map = class_remap(t, out, keep, n_keep)) == NULL)
        goto fail;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->y[i] < 0 || map[t->y[i]] < 0)
            continue;
        if (table_reserve(out, out->n_rows + 1) != 0)
            goto fail;
        memcpy(out->x + out->n_rows * out->n_cols, table_row(t, i),
               t->n_cols * sizeof(float));
        out->y[out->n_rows++] = map[t->y[i]];
    }
    free(map);
    return out;
fail:
    free(map);
    table_destroy(out);
    err_set(ERR_NOMEM, "out of memory");
    return NULL;
}
