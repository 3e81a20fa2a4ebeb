/* Optimisers and gradient clipping over flat float buffers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/nn.h"

int nn_optim_init(struct nn_optim *o, const struct nn_optim_config *cfg,
                  size_t n)
{
    memset(o, 0, sizeof(*o));
    if ((unsigned)cfg->kind > NN_OPTIM_ADAMW || !(cfg->lr > 0.0f) ||
        cfg->momentum < 0.0f || cfg->weight_decay < 0.0f || n == 0)
        return err_set(ERR_INVALID, "nn: bad optimiser settings");
    o->cfg = *cfg;
    if (o->cfg.beta1 == 0.0f)
        o->cfg.beta1 = 0.9f;
    if (o->cfg.beta2 == 0.0f)
        o->cfg.beta2 = 0.999f;
    if (o->cfg.eps == 0.0f)
        o->cfg.eps = 1e-8f;
    o->n = n;
    o->m = calloc(n, sizeof(float));
    o->v = cfg->kind == NN_OPTIM_SGD ? NULL : calloc(n, sizeof(float));
    if (!o->m || (cfg->kind != NN_OPTIM_SGD && !o->v)) {
        nn_optim_fini(o);
        return err_set(ERR_NOMEM, "nn: optimiser state for %zu", n);
    }
    return 0;
}

void nn_optim_fini(struct nn_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

/* SGD as PyTorch defines it: v = mu v + g; step along v (or g + mu v). */
static void sgd_step(struct nn_optim *o, float *p, const float *grad)
{
    const struct nn_optim_config *c = &o->cfg;

    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i] + c->weight_decay * p[i];
        if (c->momentum > 0.0f) {
            o->m[i] = o->step == 1 ? g : c->momentum * o->m[i] + g;
            g = c->nesterov ? g + c->momentum * o->m[i] : o->m[i];
        }
        p[i] -= c->lr * g;
    }
}

static void adam_step(struct nn_optim *o, float *p, const float *grad)
{
    const struct nn_optim_config *c = &o->cfg;
    double bc1 = 1.0 - pow(c->beta1, (double)o->step);
    double bc2 = 1.0 - pow(c->beta2, (double)o->step);
    float step = (float)(c->lr / bc1);
    float root2 = (float)sqrt(bc2);
    int decoupled = c->kind == NN_OPTIM_ADAMW;

    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i];
        if (decoupled)
            p[i] -= c->lr * c->weight_decay * p[i];
        else
            g += c->weight_decay * p[i];
        o->m[i] = c->beta1 * o->m[i] + (1.0f - c->beta1) * g;
        o->v[i] = c->beta2 * o->v[i] + (1.0f - c->beta2) * g * g;
        p[i] -= step * o->m[i] / (sqrtf(o->v[i]) / root2 + c->eps);
    }
}

void nn_optim_step(struct nn_optim *o, float *params, const float *grad)
{
    o->step++;
    if (o->cfg.kind == NN_OPTIM_SGD)
        sgd_step(o, params, grad);
    else
        adam_step(o, params, grad);
}

float nn_clip_grad_norm(float *grad, size_t n, float max_norm)
{
    double s = 0;

    for (size_t i = 0; i < n; i++)
        s += (double)grad[i] * grad[i];
    float norm = (float)sqrt(s);
    if (isfinite(norm) && norm > max_norm && max_norm > 0.0f) {
        float k = max_norm / (norm + 1e-6f);
        for (size_t i = 0; i < n; i++)
            grad[i] *= k;
    }
    return norm;
}
