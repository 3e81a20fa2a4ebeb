/*
 * The MAML section of a model file (maml.h): little-endian, in order
 *   u32 magic "MAML", u32 version,
 *   u32 method, way, inner_steps_train, inner_steps_test, is_meta_sgd,
 *       is_zero_head, meta_batch; f32 inner_lr, meta_lr, grad_clip;
 *   u32 encoder layers L, act; u32 widths[L + 1];
 *   u64 floats in theta; f32 theta[...].
 * Reading rebuilds the layout from the shape and refuses a section whose
 * theta length disagrees with it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/maml.h"
#include "fewflow/rng.h"

enum { MAML_MAGIC = 0x4c4d414d, MAML_VERSION = 1, MAX_WIDTH = 1 << 16 };

void maml_config_write(const struct maml_config *c, struct bytes_writer *w)
{
    bytes_put_u32(w, MAML_MAGIC);
    bytes_put_u32(w, MAML_VERSION);
    bytes_put_u32(w, (uint32_t)c->method);
    bytes_put_u32(w, (uint32_t)c->way);
    bytes_put_u32(w, (uint32_t)c->inner_steps_train);
    bytes_put_u32(w, (uint32_t)c->inner_steps_test);
    bytes_put_u32(w, (uint32_t)c->is_meta_sgd);
    bytes_put_u32(w, (uint32_t)c->is_zero_head);
    bytes_put_u32(w, (uint32_t)c->meta_batch);
    bytes_put_f32(w, c->inner_lr);
    bytes_put_f32(w, c->meta_lr);
    bytes_put_f32(w, c->grad_clip);
}

void maml_model_write(const struct maml_model *m, struct bytes_writer *w)
{
    const struct nn_mlp_config *e = &m->enc.cfg;
    maml_config_write(&m->cfg, w);
    bytes_put_u32(w, (uint32_t)e->n_layers);
    bytes_put_u32(w, (uint32_t)e->act);
    for (int i = 0; i <= e->n_layers; i++)
        bytes_put_u32(w, (uint32_t)e->widths[i]);
    bytes_put_u64(w, m->params.size);
    bytes_put_f32s(w, m->params.data, m->params.size);
}

static int fail(struct bytes_reader *r, int code, const char *what)
{
    size_t at = r->pos;
    bytes_reader_fail(r);
    return err_set(code, "maml section: offset %zu: %s", at, what);
}

int maml_config_read(struct bytes_reader *r, struct maml_config *c)
{
    if (bytes_get_u32(r) != MAML_MAGIC)
        return fail(r, ERR_FORMAT, "not a MAML section");
    if (bytes_get_u32(r) != MAML_VERSION)
        return fail(r, ERR_FORMAT, "unsupported MAML section version");
    maml_config_default(c);
    uint32_t method = bytes_get_u32(r);
    if (method > MAML_ANIL)
        return fail(r, ERR_PARSE, "unknown MAML method");
    c->method = (enum maml_method)method;
    c->way = (int)(bytes_get_u32(r) & 0x7fffffff);
    c->inner_steps_train = (int)(bytes_get_u32(r) & 0x7fffffff);
    c->inner_steps_test = (int)(bytes_get_u32(r) & 0x7fffffff);
    c->is_meta_sgd = bytes_get_u32(r) != 0;
    c->is_zero_head = bytes_get_u32(r) != 0;
    c->meta_batch = (int)(bytes_get_u32(r) & 0x7fffffff);
    c->inner_lr = bytes_get_f32(r);
    c->meta_lr = bytes_get_f32(r);
    c->grad_clip = bytes_get_f32(r);
    if (r->failed)
        return fail(r, ERR_PARSE, "truncated configuration");
    return 0;
}

static int read_encoder(struct bytes_reader *r, struct nn_mlp_config *e)
{
    memset(e, 0, sizeof(*e));
    uint32_t layers = bytes_get_u32(r), act = bytes_get_u32(r);
    if (layers < 1 || layers > NN_MLP_MAX_LAYERS || act > NN_ACT_NONE)
        return fail(r, ERR_PARSE, "bad encoder shape");
    e->n_layers = (int)layers;
    e->act = (enum nn_act)act;
    e->act_last = 1;
    for (uint32_t i = 0; i <= layers; i++) {
        uint32_t width = bytes_get_u32(r);
        if (width < 1 || width > MAX_WIDTH)
            return fail(r, ERR_PARSE, "bad encoder width");
        e->widths[i] = (int)width;
    }
    return 0;
}

static int read_theta(struct bytes_reader *r, struct maml_model *m)
{
    if (bytes_get_u64(r) != m->params.size)
        return fail(r, ERR_PARSE, "parameter count does not match the "
                    "encoder shape");
    size_t at = r->pos;
    if (!bytes_get_f32s(r, m->params.data, m->params.size))
        return fail(r, ERR_PARSE, "truncated parameters");
    for (size_t i = 0; i < m->params.size; i++) {
        if (!isfinite(m->params.data[i])) {
            bytes_reader_fail(r);
            return err_set(ERR_PARSE, "maml section: offset %zu: "
                           "non-finite parameter", at + 4 * i);
        }
    }
    return 0;
}

struct maml_model *maml_model_read(struct bytes_reader *r)
{
    struct maml_config c;
    struct nn_mlp_config e;
    if (maml_config_read(r, &c) < 0 || read_encoder(r, &e) < 0)
        return NULL;
    struct rng unused;
    rng_seed(&unused, 0);
    struct maml_model *m = maml_model_create(&c, &e, &unused);
    if (!m) {
        char why[256];
        snprintf(why, sizeof(why), "%s", err_msg());
        fail(r, ERR_PARSE, why);
        return NULL;
    }
    if (read_theta(r, m) < 0) {
        maml_model_destroy(m);
        return NULL;
    }
    return m;
}
