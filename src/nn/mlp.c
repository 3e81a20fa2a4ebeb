/* The MLP encoder and linear head as pure functions of their parameters. */
#include <stdio.h>

#include "fewflow/err.h"
#include "fewflow/nn.h"
#include "fewflow/rng.h"

static int config_ok(const struct nn_mlp_config *cfg)
{
    if (cfg->n_layers < 1 || cfg->n_layers > NN_MLP_MAX_LAYERS)
        return 0;
    for (int l = 0; l <= cfg->n_layers; l++)
        if (cfg->widths[l] <= 0)
            return 0;
    if ((unsigned)cfg->act > NN_ACT_NONE)
        return 0;
    return cfg->dropout >= 0.0f && cfg->dropout < 1.0f;
}

int nn_mlp_init(struct nn_mlp *m, const struct nn_mlp_config *cfg,
                struct nn_params *p, const char *prefix)
{
    if (!config_ok(cfg))
        return err_set(ERR_INVALID, "nn: bad MLP config (%d layers)",
                       cfg->n_layers);
    m->cfg = *cfg;
    m->first_view = p->n_views;
    for (int l = 0; l < cfg->n_layers; l++) {
        char name[NN_NAME_MAX];
        snprintf(name, sizeof(name), "%.30s.W%d", prefix, l);
        int rc = nn_params_add(p, name, cfg->widths[l], cfg->widths[l + 1]);
        if (rc < 0)
            return rc;
        snprintf(name, sizeof(name), "%.30s.b%d", prefix, l);
        rc = nn_params_add(p, name, 1, cfg->widths[l + 1]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int nn_mlp_n_views(const struct nn_mlp *m)
{
    return 2 * m->cfg.n_layers;
}

void nn_mlp_reset(const struct nn_mlp *m, struct nn_params *p,
                  struct rng *r)
{
    int relu_like = m->cfg.act == NN_ACT_RELU ||
                    m->cfg.act == NN_ACT_LEAKY_RELU;

    for (int l = 0; l < m->cfg.n_layers; l++) {
        int in = m->cfg.widths[l], out = m->cfg.widths[l + 1];
        float *w = nn_params_view(p, m->first_view + 2 * l);
        float *b = nn_params_view(p, m->first_view + 2 * l + 1);
        if (relu_like)
            nn_init_kaiming(w, in, out, r);
        else
            nn_init_xavier(w, in, out, r);
        for (int j = 0; j < out; j++)
            b[j] = 0.0f;
    }
}

static struct tensor *activate(struct tensor_arena *ar, enum nn_act act,
                               struct tensor *h)
{
    switch (act) {
    case NN_ACT_RELU:       return tensor_relu(ar, h);
    case NN_ACT_TANH:       return tensor_tanh(ar, h);
    case NN_ACT_LEAKY_RELU: return tensor_leaky_relu(ar, h, 0.01f);
    default:                return h;
    }
}

struct tensor *nn_mlp_forward(struct tensor_arena *ar, const struct nn_mlp *m,
                              struct tensor *const *w, struct tensor *x,
                              struct rng *dropout_rng)
{
    const struct nn_mlp_config *cfg = &m->cfg;
    struct tensor *h = x;

    for (int l = 0; l < cfg->n_layers && h; l++) {
        h = tensor_linear(ar, h, w[2 * l], w[2 * l + 1]);
        int last = l == cfg->n_layers - 1;
        if (!last || cfg->act_last)
            h = activate(ar, cfg->act, h);
        if (!last && dropout_rng && cfg->dropout > 0.0f)
            h = tensor_dropout(ar, h, cfg->dropout, dropout_rng);
    }
    return h;
}

struct tensor *nn_linear_forward(struct tensor_arena *ar, struct tensor *w,
                                 struct tensor *b, struct tensor *x)
{
    return tensor_linear(ar, x, w, b);
}
