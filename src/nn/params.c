/* Flat parameter buffers with named views, and seeded initialisers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/nn.h"
#include "fewflow/rng.h"

void nn_params_init(struct nn_params *p)
{
    memset(p, 0, sizeof(*p));
}

void nn_params_fini(struct nn_params *p)
{
    free(p->data);
    nn_params_init(p);
}

int nn_params_add(struct nn_params *p, const char *name, int rows, int cols)
{
    if (p->data)
        return err_set(ERR_STATE, "nn: view %s added after allocation", name);
    if (p->n_views >= NN_MAX_VIEWS)
        return err_set(ERR_RANGE, "nn: more than %d parameter views",
                       NN_MAX_VIEWS);
    if (rows <= 0 || cols <= 0 || strlen(name) >= NN_NAME_MAX)
        return err_set(ERR_INVALID, "nn: bad view %s (%d x %d)", name, rows,
                       cols);
    struct nn_view *v = &p->views[p->n_views];
    snprintf(v->name, sizeof(v->name), "%s", name);
    v->offset = p->size;
    v->rows = rows;
    v->cols = cols;
    p->size += (size_t)rows * cols;
    return p->n_views++;
}

int nn_params_alloc(struct nn_params *p)
{
    if (p->data || p->size == 0)
        return err_set(ERR_STATE, "nn: parameters allocated twice or empty");
    p->data = calloc(p->size, sizeof(float));
    if (!p->data)
        return err_set(ERR_NOMEM, "nn: %zu parameters", p->size);
    return 0;
}

int nn_params_find(const struct nn_params *p, const char *name)
{
    for (int i = 0; i < p->n_views; i++)
        if (strcmp(p->views[i].name, name) == 0)
            return i;
    return err_set(ERR_NOTFOUND, "nn: no parameter view %s", name);
}

float *nn_params_view(const struct nn_params *p, int i)
{
    return p->data + p->views[i].offset;
}

int nn_params_leaves(struct tensor_arena *ar, const struct nn_params *p,
                     float *flat, int first, int n, struct tensor **out)
{
    if (first < 0 || n < 0 || first + n > p->n_views)
        return err_set(ERR_RANGE, "nn: views [%d, %d) of %d", first,
                       first + n, p->n_views);
    for (int k = 0; k < n; k++) {
        const struct nn_view *v = &p->views[first + k];
        out[k] = tensor_leaf(ar, flat + v->offset, v->rows, v->cols);
        if (!out[k])
            return tensor_arena_status(ar);
    }
    return 0;
}

int nn_params_scatter(const struct nn_params *p, int first, int n,
                      struct tensor *const *ts, float *dst)
{
    for (int k = 0; k < n; k++) {
        const struct nn_view *v = &p->views[first + k];
        if (!ts[k] || ts[k]->rows != v->rows || ts[k]->cols != v->cols)
            return err_set(ERR_INVALID, "nn: gradient for %s has the wrong "
                           "shape", v->name);
        tensor_read(ts[k], dst + v->offset);
    }
    return 0;
}

void nn_init_kaiming(float *w, int fan_in, int fan_out, struct rng *r)
{
    float sd = sqrtf(2.0f / (float)fan_in);

    for (long i = 0; i < (long)fan_in * fan_out; i++)
        w[i] = sd * rng_normal(r);
}

void nn_init_xavier(float *w, int fan_in, int fan_out, struct rng *r)
{
    float a = sqrtf(6.0f / (float)(fan_in + fan_out));

    for (long i = 0; i < (long)fan_in * fan_out; i++)
        w[i] = a * (2.0f * rng_uniform(r) - 1.0f);
}
