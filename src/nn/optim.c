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

struct adam_k {
    float step, inv_root2, b1, b2, eps, l2, keep;
};

/* One parameter's update (Kingma & Ba, 2015, Algorithm 1). */
static inline void adam_one(const struct adam_k *k, float *p, float *m,
                            float *v, float grad)
{
    float g = grad + k->l2 * *p;
    *m = k->b1 * *m + (1.0f - k->b1) * g;
    *v = k->b2 * *v + (1.0f - k->b2) * g * g;
    *p = k->keep * *p - k->step * *m / (sqrtf(*v) * k->inv_root2 + k->eps);
}

/* Wider vectors when the CPU has them; the loader picks the clone. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && \
    !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void adam_step(struct nn_optim *o, float *restrict p,
                      const float *restrict grad)
{
    const struct nn_optim_config *c = &o->cfg;
    int decoupled = c->kind == NN_OPTIM_ADAMW;
    struct adam_k k = {
        .step = (float)(c->lr / (1.0 - pow(c->beta1, (double)o->step))),
        .inv_root2 = (float)(1.0 / sqrt(1.0 - pow(c->beta2,
                                                  (double)o->step))),
        .b1 = c->beta1, .b2 = c->beta2, .eps = c->eps,
        .l2 = decoupled ? 0.0f : c->weight_decay,
        .keep = decoupled ? 1.0f - c->lr * c->weight_decay : 1.0f,
    };
    float *restrict m = o->m, *restrict v = o->v;

    /* Vectorised thanks to -fno-math-errno on this module (CMakeLists). */
    for (size_t i = 0; i < o->n; i++)
        adam_one(&k, p + i, m + i, v + i, grad[i]);
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
