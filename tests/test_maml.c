/*
 * MAML, FOMAML, ANIL and Meta-SGD (src/meta/maml*.c).
 *
 * The meta-gradients are checked against quantities computed another way:
 * central finite differences of the post-adaptation query loss (which
 * only runs the forward inner loop), the query gradient at the fast
 * weights by finite differences, and the second-order term of MAML
 * rebuilt step by step from Hessian-vector products at each fast weight.
 * A tanh encoder keeps the loss smooth so that finite differences are
 * meaningful; the tolerances below are stated next to each check.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/model.h"
#include "fewflow/maml.h"
#include "fewflow/rng.h"
#include "fewflow/tensor.h"
#include "meta/maml_impl.h"
#include "testutil.h"

enum { D_IN = 3, WAY = 3, N_SUP = 6, N_QRY = 9, TINY_STEPS = 3 };

struct fixture {
    float xs[N_SUP * D_IN], xq[N_QRY * D_IN];
    int ys[N_SUP], yq[N_QRY];
    struct maml_task task;
    struct tensor_arena *ar;
};

static void fixture_init(struct fixture *f, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < N_SUP * D_IN; i++)
        f->xs[i] = rng_normal(&r);
    for (int i = 0; i < N_QRY * D_IN; i++)
        f->xq[i] = rng_normal(&r);
    for (int i = 0; i < N_SUP; i++)
        f->ys[i] = i % WAY;
    for (int i = 0; i < N_QRY; i++)
        f->yq[i] = i % WAY;
    f->task = (struct maml_task){f->xs, f->ys, N_SUP, f->xq, f->yq, N_QRY};
    f->ar = tensor_arena_create(0);
    assert_non_null(f->ar);
}

static struct maml_model *tiny_model(enum maml_method method, int meta_sgd,
                                     uint64_t seed)
{
    struct maml_config c;
    maml_config_default(&c);
    c.method = method;
    c.way = WAY;
    c.inner_lr = 0.4f;
    c.is_meta_sgd = meta_sgd;
    struct nn_mlp_config e = {.n_layers = 2, .widths = {D_IN, 4, 3},
                              .act = NN_ACT_TANH};
    struct rng r;
    rng_seed(&r, seed);
    struct maml_model *m = maml_model_create(&c, &e, &r);
    assert_non_null(m);
    return m;
}

/* Cross-entropy of phi on the query rows, in double from float logits. */
static double query_loss(const struct maml_model *m, struct fixture *f,
                         const float *phi)
{
    float logits[N_QRY * WAY];
    assert_int_equal(maml_logits(m, f->ar, phi, f->xq, N_QRY, logits), 0);
    double total = 0.0;
    for (int i = 0; i < N_QRY; i++) {
        const float *z = logits + i * WAY;
        double mx = z[0], s = 0.0;
        for (int j = 1; j < WAY; j++)
            mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < WAY; j++)
            s += exp(z[j] - mx);
        total += mx + log(s) - z[f->yq[i]];
    }
    return total / N_QRY;
}

/* The post-adaptation query loss as a function of theta alone. */
static double adapted_loss(struct maml_model *m, struct fixture *f,
                           float *phi)
{
    assert_int_equal(maml_adapt(m, f->ar, f->xs, f->ys, N_SUP, TINY_STEPS,
                                phi), 0);
    return query_loss(m, f, phi);
}

/* Central differences of adapted_loss over every float of theta. */
static void fd_meta_grad(struct maml_model *m, struct fixture *f,
                         double eps, double *fd)
{
    float *phi = malloc(m->params.size * sizeof(float));
    for (size_t i = 0; i < m->params.size; i++) {
        float keep = m->params.data[i];
        m->params.data[i] = keep + (float)eps;
        double up = adapted_loss(m, f, phi);
        m->params.data[i] = keep - (float)eps;
        double down = adapted_loss(m, f, phi);
        m->params.data[i] = keep;
        fd[i] = (up - down) / (2.0 * eps);
    }
    free(phi);
}

static double max_abs(const double *v, size_t n)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fabs(v[i]) > mx ? fabs(v[i]) : mx;
    return mx;
}

static double max_abs_diff(const float *a, const double *b, size_t n)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fabs(a[i] - b[i]) > mx ? fabs(a[i] - b[i]) : mx;
    return mx;
}

/*
 * Tolerance for gradient-versus-differences: eps = 1e-2 in float32 leaves
 * about 1e-5 rounding noise and O(eps^2) truncation in each difference.
 * Every entry must agree within 0.2% of the largest entry (measured: about
 * 0.03%; dropping the second-order terms misses by over 50%).
 */
#define FD_TOL 2e-3
static void check_against_fd(enum maml_method method, int meta_sgd)
{
    struct fixture f;
    fixture_init(&f, 11);
    struct maml_model *m = tiny_model(method, meta_sgd, 5);
    size_t n = m->params.size;
    float *g = malloc(n * sizeof(float));
    double *fd = malloc(n * sizeof(double));
    float loss;
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, TINY_STEPS, g, &loss),
                     0);
    fd_meta_grad(m, &f, 1e-2, fd);
    double scale = max_abs(fd, n), err = max_abs_diff(g, fd, n);
    assert_true(scale > 1e-3);
    print_message("%s%s: max |grad - fd| %.3g of scale %.3g\n",
                  maml_method_name(method), meta_sgd ? "+meta-sgd" : "",
                  err, scale);
    if (err > FD_TOL * scale)
        fail_msg("%s: meta-gradient off by %g (scale %g)",
                 maml_method_name(method), err, scale);
    free(g);
    free(fd);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

static void maml_meta_grad_matches_finite_differences(void **state)
{
    check_against_fd(MAML_SECOND_ORDER, 0);
}

static void anil_meta_grad_matches_finite_differences(void **state)
{
    check_against_fd(MAML_ANIL, 0);
}

static void meta_sgd_grad_matches_finite_differences(void **state)
{
    check_against_fd(MAML_SECOND_ORDER, 1);
}

/* Gradient of the support loss at phi (all model views) into out. */
static void support_grad(const struct maml_model *m, struct fixture *f,
                         float *phi, float *out)
{
    struct tensor *w[NN_MAX_VIEWS], *g[NN_MAX_VIEWS], xs;
    int nv = m->n_model_views;
    tensor_arena_reset(f->ar);
    tensor_init(&xs, f->xs, N_SUP, D_IN);
    assert_int_equal(nn_params_leaves(f->ar, &m->params, phi, 0, nv, w), 0);
    struct tensor *loss = tensor_cross_entropy(
        f->ar, maml_forward(m, f->ar, w, &xs), f->ys);
    assert_non_null(loss);
    assert_int_equal(tensor_grad(f->ar, loss, w, nv, 0, g), 0);
    assert_int_equal(nn_params_scatter(&m->params, 0, nv, g, out), 0);
}

/* Hessian of the support loss at phi times v, by differentiating
 * <grad L(phi), v> once more (double backward at a single point). */
static void support_hvp(const struct maml_model *m, struct fixture *f,
                        float *phi, float *v, float *out)
{
    struct tensor *w[NN_MAX_VIEWS], *g[NN_MAX_VIEWS], *h[NN_MAX_VIEWS], xs;
    int nv = m->n_model_views;
    tensor_arena_reset(f->ar);
    tensor_init(&xs, f->xs, N_SUP, D_IN);
    assert_int_equal(nn_params_leaves(f->ar, &m->params, phi, 0, nv, w), 0);
    struct tensor *loss = tensor_cross_entropy(
        f->ar, maml_forward(m, f->ar, w, &xs), f->ys);
    assert_int_equal(tensor_grad(f->ar, loss, w, nv, 1, g), 0);
    struct tensor *dot = NULL;
    for (int k = 0; k < nv; k++) {
        const struct nn_view *vw = &m->params.views[k];
        struct tensor *vk = tensor_from(f->ar, v + vw->offset, vw->rows,
                                        vw->cols);
        struct tensor *term = tensor_sum(f->ar, tensor_mul(f->ar, g[k], vk));
        dot = dot ? tensor_add(f->ar, dot, term) : term;
    }
    assert_non_null(dot);
    assert_int_equal(tensor_grad(f->ar, dot, w, nv, 0, h), 0);
    assert_int_equal(nn_params_scatter(&m->params, 0, nv, h, out), 0);
}

static void hvp_helper_matches_gradient_differences(void **state)
{
    struct fixture f;
    fixture_init(&f, 3);
    struct maml_model *m = tiny_model(MAML_SECOND_ORDER, 0, 9);
    size_t n = m->n_model;
    float *v = malloc(n * sizeof(float)), *hv = malloc(n * sizeof(float));
    float *up = malloc(n * sizeof(float)), *dn = malloc(n * sizeof(float));
    float *p = malloc(n * sizeof(float));
    double *fd = malloc(n * sizeof(double));
    struct rng r;
    rng_seed(&r, 4);
    for (size_t i = 0; i < n; i++)
        v[i] = rng_normal(&r);
    support_hvp(m, &f, m->params.data, v, hv);
    const float eps = 1e-2f;
    for (size_t i = 0; i < n; i++)
        p[i] = m->params.data[i] + eps * v[i];
    support_grad(m, &f, p, up);
    for (size_t i = 0; i < n; i++)
        p[i] = m->params.data[i] - eps * v[i];
    support_grad(m, &f, p, dn);
    for (size_t i = 0; i < n; i++)
        fd[i] = ((double)up[i] - dn[i]) / (2.0 * eps);
    assert_true(max_abs_diff(hv, fd, n) <= FD_TOL * max_abs(fd, n));
    free(v); free(hv); free(up); free(dn); free(p); free(fd);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

static void fomaml_grad_is_query_grad_at_fast_weights(void **state)
{
    struct fixture f;
    fixture_init(&f, 21);
    struct maml_model *m = tiny_model(MAML_FIRST_ORDER, 0, 5);
    size_t n = m->params.size;
    float *g = malloc(n * sizeof(float)), *phi = malloc(n * sizeof(float));
    double *fd = malloc(n * sizeof(double));
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, TINY_STEPS, g, NULL),
                     0);
    assert_int_equal(maml_adapt(m, f.ar, f.xs, f.ys, N_SUP, TINY_STEPS,
                                phi), 0);
    const double eps = 1e-2;
    for (size_t i = 0; i < n; i++) {
        float keep = phi[i];
        phi[i] = keep + (float)eps;
        double up = query_loss(m, &f, phi);
        phi[i] = keep - (float)eps;
        double dn = query_loss(m, &f, phi);
        phi[i] = keep;
        fd[i] = (up - dn) / (2.0 * eps);
    }
    assert_true(max_abs_diff(g, fd, n) <= FD_TOL * max_abs(fd, n));
    free(g); free(phi); free(fd);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

/*
 * d L(phi_S) / d theta = (I - a H_0) ... (I - a H_{S-1}) g_S, with H_s the
 * support Hessian at phi_s and g_S the query gradient at phi_S (= FOMAML).
 * So MAML - FOMAML must equal that product minus g_S, rebuilt here one
 * Hessian-vector product at a time from the fast weights of each step.
 */
static void maml_minus_fomaml_is_second_order_term(void **state)
{
    struct fixture f;
    fixture_init(&f, 31);
    struct maml_model *so = tiny_model(MAML_SECOND_ORDER, 0, 5);
    struct maml_model *fo = tiny_model(MAML_FIRST_ORDER, 0, 5);
    size_t n = so->params.size;
    assert_memory_equal(so->params.data, fo->params.data, n * sizeof(float));
    float *gs = malloc(n * sizeof(float)), *gf = malloc(n * sizeof(float));
    float *v = malloc(n * sizeof(float)), *hv = malloc(n * sizeof(float));
    float *phi = malloc(n * sizeof(float));
    double *term = calloc(n, sizeof(double));
    assert_int_equal(maml_task_grad(so, f.ar, &f.task, TINY_STEPS, gs, NULL),
                     0);
    assert_int_equal(maml_task_grad(fo, f.ar, &f.task, TINY_STEPS, gf, NULL),
                     0);
    memcpy(v, gf, n * sizeof(float));
    for (int s = TINY_STEPS - 1; s >= 0; s--) {
        assert_int_equal(maml_adapt(so, f.ar, f.xs, f.ys, N_SUP, s, phi), 0);
        support_hvp(so, &f, phi, v, hv);
        for (size_t i = 0; i < n; i++)
            v[i] -= so->cfg.inner_lr * hv[i];
    }
    for (size_t i = 0; i < n; i++)
        term[i] = (double)v[i] - gf[i];
    double scale = max_abs(term, n), err = 0.0, full = 0.0;
    for (size_t i = 0; i < n; i++) {
        err = fmax(err, fabs(((double)gs[i] - gf[i]) - term[i]));
        full = fmax(full, fabs(gs[i]));
    }
    /* The term is a sizeable part of the gradient here (not a vacuous
     * match), and the two routes agree to float32 rounding: 1e-4 of the
     * term's largest entry (measured: about 1e-7). */
    assert_true(scale > 0.05 * full);
    print_message("second-order term: max error %.3g of scale %.3g (full "
                  "gradient %.3g)\n", err, scale, full);
    if (err > 1e-4 * scale)
        fail_msg("second-order term off by %g (scale %g)", err, scale);
    free(gs); free(gf); free(v); free(hv); free(phi); free(term);
    maml_model_destroy(so);
    maml_model_destroy(fo);
    tensor_arena_destroy(f.ar);
}

static void anil_adapts_only_the_head(void **state)
{
    struct fixture f;
    fixture_init(&f, 41);
    struct maml_model *m = tiny_model(MAML_ANIL, 0, 5);
    size_t n = m->params.size;
    size_t head = m->params.views[m->head_view].offset;
    float *phi = malloc(n * sizeof(float)), *g = malloc(n * sizeof(float));
    assert_int_equal(maml_adapt(m, f.ar, f.xs, f.ys, N_SUP, 4, phi), 0);
    assert_memory_equal(phi, m->params.data, head * sizeof(float));
    assert_memory_not_equal(phi + head, m->params.data + head,
                            (n - head) * sizeof(float));
    /* The encoder still learns in the outer loop (through the head). */
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, 2, g, NULL), 0);
    double enc = 0.0;
    for (size_t i = 0; i < head; i++)
        enc += fabs(g[i]);
    assert_true(enc > 1e-4);
    free(phi); free(g);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

/* A few outer steps on random tasks; returns the model (caller frees). */
static struct maml_model *train_few(enum maml_method method, uint64_t seed)
{
    struct fixture f;
    fixture_init(&f, 51);
    struct maml_model *m = tiny_model(method, 0, seed);
    struct nn_optim o;
    assert_int_equal(maml_optim_init(m, &o), 0);
    float *scratch = malloc(2 * m->params.size * sizeof(float));
    struct maml_task tasks[2] = {f.task, f.task};
    tasks[1].xs = f.xq;
    tasks[1].ys = f.yq;
    tasks[1].n_support = N_QRY;
    for (int i = 0; i < 5; i++)
        assert_int_equal(maml_train_step(m, &o, f.ar, tasks, 2, scratch,
                                         NULL), 0);
    free(scratch);
    nn_optim_fini(&o);
    tensor_arena_destroy(f.ar);
    return m;
}

static void same_seed_trains_bit_for_bit(void **state)
{
    for (int method = 0; method < 3; method++) {
        struct maml_model *a = train_few(method, 77);
        struct maml_model *b = train_few(method, 77);
        struct maml_model *c = train_few(method, 78);
        size_t bytes = a->params.size * sizeof(float);
        assert_memory_equal(a->params.data, b->params.data, bytes);
        assert_memory_not_equal(a->params.data, c->params.data, bytes);
        maml_model_destroy(a);
        maml_model_destroy(b);
        maml_model_destroy(c);
    }
}

static void training_lowers_post_adaptation_loss(void **state)
{
    struct fixture f;
    fixture_init(&f, 51);
    struct maml_model *m0 = tiny_model(MAML_SECOND_ORDER, 0, 3);
    struct maml_model *m = train_few(MAML_SECOND_ORDER, 3);
    float *phi = malloc(m->params.size * sizeof(float));
    double before = adapted_loss(m0, &f, phi);
    double after = adapted_loss(m, &f, phi);
    assert_true(after < before);
    free(phi);
    maml_model_destroy(m0);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

static void zero_head_stays_zero_and_encoder_learns(void **state)
{
    struct fixture f;
    fixture_init(&f, 81);
    struct maml_config c;
    maml_config_default(&c);
    c.way = WAY;
    c.is_zero_head = 1;
    struct nn_mlp_config e = {.n_layers = 2, .widths = {D_IN, 4, 3},
                              .act = NN_ACT_TANH};
    struct rng r;
    rng_seed(&r, 1);
    struct maml_model *m = maml_model_create(&c, &e, &r);
    struct nn_optim o;
    assert_int_equal(maml_optim_init(m, &o), 0);
    size_t n = m->params.size, head = m->params.views[m->head_view].offset;
    float *scratch = malloc(2 * n * sizeof(float));
    float *before = malloc(n * sizeof(float));
    memcpy(before, m->params.data, n * sizeof(float));
    for (int i = 0; i < 3; i++)
        assert_int_equal(maml_train_step(m, &o, f.ar, &f.task, 1, scratch,
                                         NULL), 0);
    for (size_t i = head; i < n; i++)
        assert_true(m->params.data[i] == 0.0f);
    assert_memory_not_equal(before, m->params.data, head * sizeof(float));
    free(scratch);
    free(before);
    nn_optim_fini(&o);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

static void bad_tasks_are_refused(void **state)
{
    struct fixture f;
    fixture_init(&f, 61);
    struct maml_model *m = tiny_model(MAML_SECOND_ORDER, 0, 5);
    float *g = malloc(m->params.size * sizeof(float));
    f.ys[2] = WAY;
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, 2, g, NULL),
                     ERR_INVALID);
    f.ys[2] = -1;
    assert_int_equal(maml_adapt(m, f.ar, f.xs, f.ys, N_SUP, 2, g),
                     ERR_INVALID);
    f.ys[2] = 2;
    f.task.n_query = 0;
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, 2, g, NULL),
                     ERR_INVALID);
    f.task.n_query = N_QRY;
    assert_int_equal(maml_task_grad(m, f.ar, &f.task, 0, g, NULL),
                     ERR_INVALID);
    /* An arena bounded below one step's needs fails cleanly. */
    struct tensor_arena *small = tensor_arena_create(4096);
    assert_int_equal(maml_task_grad(m, small, &f.task, 3, g, NULL),
                     ERR_NOMEM);
    tensor_arena_destroy(small);
    free(g);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

static void bad_configs_are_refused(void **state)
{
    struct maml_config c;
    struct nn_mlp_config e = {.n_layers = 1, .widths = {4, 3},
                              .act = NN_ACT_RELU};
    struct rng r;
    rng_seed(&r, 1);
    maml_config_default(&c);
    c.way = 1;
    assert_null(maml_model_create(&c, &e, &r));
    maml_config_default(&c);
    c.inner_lr = 0.0f;
    assert_null(maml_model_create(&c, &e, &r));
    maml_config_default(&c);
    c.method = MAML_FIRST_ORDER;
    c.is_meta_sgd = 1;
    assert_null(maml_model_create(&c, &e, &r));
    assert_int_equal(err_last(), ERR_UNSUPPORTED);
    enum maml_method meth;
    assert_int_equal(maml_method_parse("fomaml", &meth), 0);
    assert_int_equal(meth, MAML_FIRST_ORDER);
    assert_int_equal(maml_method_parse("reptile", &meth), ERR_INVALID);
}

/* Three well-separated clusters, a head of width 3 on a 5-way model. */
static void head_fit_learns_any_number_of_classes(void **state)
{
    struct fixture f;
    fixture_init(&f, 71);
    struct maml_config c;
    maml_config_default(&c);
    struct nn_mlp_config e = {.n_layers = 2, .widths = {D_IN, 16, 8},
                              .act = NN_ACT_RELU};
    struct rng r;
    rng_seed(&r, 2);
    struct maml_model *m = maml_model_create(&c, &e, &r);
    enum { N = 30 };
    float x[N * D_IN], w[8 * 3], b[3], logits[N * 3];
    int y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 3;
        for (int j = 0; j < D_IN; j++)
            x[i * D_IN + j] = 0.3f * rng_normal(&r) + (j == y[i] ? 3.0f : 0);
    }
    assert_int_equal(maml_head_fit(m, f.ar, x, y, N, 3, 100, w, b), 0);
    assert_int_equal(maml_head_logits(m, f.ar, w, b, 3, x, N, logits), 0);
    int hits = 0;
    for (int i = 0; i < N; i++) {
        const float *z = logits + i * 3;
        int best = z[1] > z[0] ? 1 : 0;
        best = z[2] > z[best] ? 2 : best;
        hits += best == y[i];
    }
    assert_int_equal(hits, N);
    y[0] = 0;
    for (int i = 0; i < N; i++)
        y[i] = y[i] == 2 ? 1 : y[i];
    assert_int_equal(maml_head_fit(m, f.ar, x, y, N, 3, 5, w, b),
                     ERR_INVALID);
    maml_model_destroy(m);
    tensor_arena_destroy(f.ar);
}

/* Arena high-water of one meta-gradient on the benchmark's shape. */
static size_t meta_grad_bytes(enum maml_method method, int steps)
{
    enum { D = 78, WY = 5, NS = 25, NQ = 75 };
    struct maml_config c;
    maml_config_default(&c);
    c.method = method;
    struct nn_mlp_config e = {.n_layers = 3, .widths = {D, 128, 128, 64},
                              .act = NN_ACT_RELU};
    struct rng r;
    rng_seed(&r, 1);
    struct maml_model *m = maml_model_create(&c, &e, &r);
    float *xs = malloc(NS * D * sizeof(float));
    float *xq = malloc(NQ * D * sizeof(float));
    int ys[NS], yq[NQ];
    for (int i = 0; i < NS * D; i++)
        xs[i] = rng_normal(&r);
    for (int i = 0; i < NQ * D; i++)
        xq[i] = rng_normal(&r);
    for (int i = 0; i < NS; i++)
        ys[i] = i % WY;
    for (int i = 0; i < NQ; i++)
        yq[i] = i % WY;
    struct maml_task t = {xs, ys, NS, xq, yq, NQ};
    float *g = malloc(m->params.size * sizeof(float));
    struct tensor_arena *ar = tensor_arena_create(0);
    assert_int_equal(maml_task_grad(m, ar, &t, steps, g, NULL), 0);
    size_t hw = tensor_arena_high_water(ar);
    tensor_arena_destroy(ar);
    free(xs); free(xq); free(g);
    maml_model_destroy(m);
    return hw;
}

/* MAML keeps every inner step's graph: equal growth per step (within 5%).
 * FOMAML keeps none: the same bytes for 1 and 10 steps (within 5%). */
static void memory_grows_linearly_with_inner_steps(void **state)
{
    size_t h1 = meta_grad_bytes(MAML_SECOND_ORDER, 1);
    size_t h5 = meta_grad_bytes(MAML_SECOND_ORDER, 5);
    size_t h10 = meta_grad_bytes(MAML_SECOND_ORDER, 10);
    double per_a = (double)(h5 - h1) / 4.0, per_b = (double)(h10 - h5) / 5.0;
    print_message("maml arena high-water: 1 step %zu B, 5 steps %zu B, "
                  "10 steps %zu B\n", h1, h5, h10);
    assert_true(h1 < h5 && h5 < h10);
    assert_true(fabs(per_a - per_b) <= 0.05 * per_b);
    size_t f1 = meta_grad_bytes(MAML_FIRST_ORDER, 1);
    size_t f10 = meta_grad_bytes(MAML_FIRST_ORDER, 10);
    print_message("fomaml arena high-water: 1 step %zu B, 10 steps %zu B\n",
                  f1, f10);
    assert_true(fabs((double)f10 - (double)f1) <= 0.05 * (double)f1);
}

static void model_section_round_trips_and_refuses_damage(void **state)
{
    struct maml_model *m = tiny_model(MAML_ANIL, 1, 5);
    struct bytes_writer w;
    bytes_writer_init(&w);
    maml_model_write(m, &w);
    assert_int_equal(bytes_writer_status(&w), 0);
    struct bytes_reader r;
    bytes_reader_init(&r, w.data, w.len);
    struct maml_model *back = maml_model_read(&r);
    assert_non_null(back);
    assert_int_equal(back->cfg.method, MAML_ANIL);
    assert_int_equal(back->lr_view, m->lr_view);
    assert_int_equal(back->params.size, m->params.size);
    assert_memory_equal(back->params.data, m->params.data,
                        m->params.size * sizeof(float));
    maml_model_destroy(back);
    for (size_t cut = 0; cut < w.len; cut += 7) {
        bytes_reader_init(&r, w.data, cut);
        assert_null(maml_model_read(&r));
    }
    w.data[0] ^= 1;
    bytes_reader_init(&r, w.data, w.len);
    assert_null(maml_model_read(&r));
    assert_int_equal(err_last(), ERR_FORMAT);
    w.data[0] ^= 1;
    memcpy(w.data + w.len - 4, &(float){NAN}, 4);
    bytes_reader_init(&r, w.data, w.len);
    assert_null(maml_model_read(&r));
    assert_int_equal(err_last(), ERR_PARSE);
    bytes_writer_fini(&w);
    maml_model_destroy(m);
}

/* Six gaussian classes in 4 features: a table for the learner path. */
static struct table *cluster_table(uint64_t seed)
{
    const char *cols[] = {"a", "b", "c", "d"};
    const char *names[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
    struct table *t = table_create(4, cols);
    struct rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < 6 * 30; i++) {
        int k = i % 6;
        float row[4];
        for (int j = 0; j < 4; j++)
            row[j] = rng_normal(&r) * 0.5f + (float)((k >> (j % 3)) & 1) * 2;
        assert_int_equal(table_append(t, row, names[k]), 0);
    }
    return t;
}

/* Registered learners train, save to a model, reload from it and then
 * classify an episode exactly as before. */
static void learners_train_save_reload_and_classify(void **state)
{
    const char *methods[] = {"maml", "fomaml", "anil"};
    struct table *t = cluster_table(5);
    int32_t classes[6] = {0, 1, 2, 3, 4, 5};
    struct episode_sampler s;
    assert_int_equal(episode_sampler_init(&s, t, classes, 6, 6), 0);
    struct learner_data data = {t, &s};
    for (int k = 0; k < 3; k++) {
        const struct learner_ops *ops = learner_find(methods[k]);
        assert_non_null(ops);
        struct learner_opts o;
        learner_opts_default(&o);
        o.episodes = 20;
        o.meta_sgd = k == 0;
        o.zero_head = k == 2;
        o.inner_steps = 2;
        struct model_arch a;
        learner_arch_default(&a, 4);
        a.hidden[0] = a.hidden[1] = 16;
        a.n_emb = 8;
        struct learner *l = learner_create(ops, &o, &a, 6, 3);
        assert_non_null(l);
        struct meta_train_result res;
        assert_int_equal(meta_train(l, &data, NULL, NULL, NULL, &res), 0);
        struct model *m = model_create();
        assert_int_equal(learner_to_model(l, m), 0);
        struct learner *back = learner_from_model(m);
        assert_non_null(back);
        assert_memory_equal(back->params, l->params,
                            l->n_params * sizeof(float));
        struct episode ep;
        episode_init(&ep);
        struct rng r;
        rng_seed(&r, 9);
        assert_int_equal(episode_sample(&s, 5, 3, 5, &r, &ep), 0);
        int32_t p1[25], p2[25];
        assert_int_equal(learner_classify(l, &ep, p1), 0);
        assert_int_equal(learner_classify(back, &ep, p2), 0);
        assert_memory_equal(p1, p2, ep.n_query * sizeof(int32_t));
        /* Another width than the trained head still classifies. */
        assert_int_equal(episode_sample(&s, 3, 3, 5, &r, &ep), 0);
        assert_int_equal(learner_classify(back, &ep, p2), 0);
        assert_non_null(maml_learner_model(back));
        episode_fini(&ep);
        learner_destroy(back);
        /* A model without its MAML section, or with a damaged one, is
         * refused rather than guessed at. */
        const void *sec;
        size_t len;
        assert_int_equal(model_section_get(m, "MAML", &sec, &len), 0);
        uint8_t bad[256];
        assert_true(len <= sizeof(bad));
        memcpy(bad, sec, len);
        bad[8] = 7;
        assert_int_equal(model_section_set(m, "MAML", bad, len), 0);
        assert_null(learner_from_model(m));
        assert_int_equal(model_section_remove(m, "MAML"), 0);
        assert_null(learner_from_model(m));
        assert_int_equal(err_last(), ERR_FORMAT);
        learner_destroy(l);
        model_destroy(m);
    }
    assert_null(maml_learner_model(NULL));
    /* MAML needs each episode to give classes to outputs afresh. */
    struct episode ep;
    struct rng r;
    episode_init(&ep);
    rng_seed(&r, 4);
    int moved = 0, first = -1;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(episode_sample(&s, 5, 1, 1, &r, &ep), 0);
        first = first < 0 ? ep.classes[0] : first;
        moved |= ep.classes[0] != first;
    }
    assert_true(moved);
    episode_fini(&ep);
    episode_sampler_fini(&s);
    table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maml_meta_grad_matches_finite_differences),
        cmocka_unit_test(anil_meta_grad_matches_finite_differences),
        cmocka_unit_test(meta_sgd_grad_matches_finite_differences),
        cmocka_unit_test(hvp_helper_matches_gradient_differences),
        cmocka_unit_test(fomaml_grad_is_query_grad_at_fast_weights),
        cmocka_unit_test(maml_minus_fomaml_is_second_order_term),
        cmocka_unit_test(anil_adapts_only_the_head),
        cmocka_unit_test(same_seed_trains_bit_for_bit),
        cmocka_unit_test(training_lowers_post_adaptation_loss),
        cmocka_unit_test(zero_head_stays_zero_and_encoder_learns),
        cmocka_unit_test(bad_tasks_are_refused),
        cmocka_unit_test(bad_configs_are_refused),
        cmocka_unit_test(head_fit_learns_any_number_of_classes),
        cmocka_unit_test(memory_grows_linearly_with_inner_steps),
        cmocka_unit_test(model_section_round_trips_and_refuses_damage),
        cmocka_unit_test(learners_train_save_reload_and_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
