/*
 * Open-set episodes for protonet (learner_opts.open_way): the loss against
 * its formula recomputed here in double from the encoder's embeddings,
 * its gradient against central differences for both open terms,
 * determinism, and the refusals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/episode.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/rng.h"
#include "learner_check.h"
#include "testutil.h"

#define DIM 6
#define N_CLASSES 8
#define WAY 3
#define OPEN_WAY 2
#define SHOT 2
#define QUERY 3
#define EMB 8

struct task {
    struct table *t;
    struct episode_sampler s;
};

/* Gaussian classes: centre N(0, 4) per feature, rows centre + N(0, 1). */
static void task_init(struct task *k)
{
    const char *names[DIM] = { "a", "b", "c", "d", "e", "f" };
    int32_t ids[N_CLASSES];
    float mu[DIM], row[DIM];
    char label[16];
    struct rng rng;

    k->t = table_create(DIM, names);
    assert_non_null(k->t);
    rng_seed(&rng, 5);
    for (int c = 0; c < N_CLASSES; c++) {
        for (int j = 0; j < DIM; j++)
            mu[j] = 2.0f * rng_normal(&rng);
        snprintf(label, sizeof(label), "c%d", c);
        for (int i = 0; i < 20; i++) {
            for (int j = 0; j < DIM; j++)
                row[j] = mu[j] + rng_normal(&rng);
            assert_int_equal(table_append(k->t, row, label), 0);
        }
        ids[c] = c;
    }
    assert_int_equal(episode_sampler_init(&k->s, k->t, ids, N_CLASSES,
                                          SHOT + 1), 0);
}

static void task_fini(struct task *k)
{
    episode_sampler_fini(&k->s);
    table_destroy(k->t);
}

static struct learner *open_learner(enum learner_open_loss kind,
                                    size_t open_way, uint64_t seed)
{
    struct learner_opts o;
    struct model_arch a;

    learner_opts_default(&o);
    o.way = WAY;
    o.shot = SHOT;
    o.query = QUERY;
    o.episodes = 30;
    o.seed = seed;
    o.open_way = open_way;
    o.open_weight = 0.7f;
    o.open_loss = kind;
    learner_arch_default(&a, DIM);
    a.hidden[0] = a.hidden[1] = 16;
    a.n_emb = EMB;
    strcpy(a.rule, "mean");
    return learner_create(learner_find("protonet"), &o, &a, N_CLASSES,
                          seed);
}

static double sqdist(const float *a, const double *b)
{
    double s = 0.0;

    for (int j = 0; j < EMB; j++)
        s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

/* Squared distances of every query to the closed classes' prototypes;
 * the step draws its episode first, so the same seed gives this one. */
static void reference_distances(struct learner *l, const struct task *k,
                                uint64_t seed, struct episode *ep,
                                double *d)
{
    float zs[WAY * SHOT * EMB], zq[(WAY + OPEN_WAY) * QUERY * EMB];
    double proto[WAY][EMB] = { { 0 } };
    struct rng rng;

    rng_seed(&rng, seed);
    assert_int_equal(episode_sample(&k->s, WAY + OPEN_WAY, SHOT, QUERY,
                                    &rng, ep), 0);
    assert_int_equal(ep->n_query, (WAY + OPEN_WAY) * QUERY);
    assert_int_equal(learner_embed(l, ep->xs, WAY * SHOT, zs), 0);
    assert_int_equal(learner_embed(l, ep->xq, ep->n_query, zq), 0);
    for (int i = 0; i < WAY * SHOT; i++)
        for (int j = 0; j < EMB; j++)
            proto[ep->ys[i]][j] += zs[i * EMB + j] / (double)SHOT;
    for (size_t q = 0; q < ep->n_query; q++)
        for (int c = 0; c < WAY; c++)
            d[q * WAY + c] = sqdist(zq + q * EMB, proto[c]);
}

/* The documented loss, from the distances: closed cross-entropy plus
 * 0.7 times the open term. */
static double reference_loss(const struct episode *ep, const double *d,
                             enum learner_open_loss kind, int *active)
{
    double ce = 0.0, own = 0.0, term = 0.0;
    size_t nc = WAY * QUERY, no = OPEN_WAY * QUERY;

    for (size_t q = 0; q < nc; q++) {
        double z = 0.0;

        for (int c = 0; c < WAY; c++)
            z += exp(-d[q * WAY + c]);
        ce += d[q * WAY + ep->yq[q]] + log(z);
        own += d[q * WAY + ep->yq[q]];
    }
    ce /= (double)nc;
    own /= (double)nc;
    for (size_t q = nc; q < nc + no; q++) {
        double z = 0.0;

        for (int c = 0; c < WAY; c++)
            z += exp(-d[q * WAY + c]);
        for (int c = 0; c < WAY; c++) {
            double p = exp(-d[q * WAY + c]) / z;
            double r = 1.0 - d[q * WAY + c] / (4.0 * own);

            *active += r > 0.0;

            term += kind == LEARNER_OPEN_MARGIN ? (r > 0.0 ? r : 0.0) / WAY
                : p * log(p);
        }
    }
    return ce + 0.7 * term / (double)no;
}

static void loss_follows_its_formula(void **state)
{
    static const enum learner_open_loss kinds[] = { LEARNER_OPEN_ENTROPY,
                                                    LEARNER_OPEN_MARGIN };
    struct task k;
    struct episode ep;
    double d[(WAY + OPEN_WAY) * QUERY * WAY];

    (void)state;
    task_init(&k);
    episode_init(&ep);
    for (int i = 0; i < 2; i++) {
        struct learner *l = open_learner(kinds[i], OPEN_WAY, 3);
        struct learner_data data = { k.t, &k.s };
        float *g = malloc(l->n_params * sizeof(float));
        double want, got;
        int active = 0;

        l->data = &data;
        got = learner_check_loss(l, 41, g);
        reference_distances(l, &k, 41, &ep, d);
        want = reference_loss(&ep, d, kinds[i], &active);
        print_message("open loss %d: step %.6f reference %.6f\n", i, got,
                      want);
        assert_float_near(got, want, 1e-4 * fabs(want) + 1e-5);
        /* The margin must bind for some pairs and not others, or the
         * check above proves little about it. */
        print_message("margin active for %d of %d pairs\n", active,
                      OPEN_WAY * QUERY * WAY);
        assert_true(active > 0 && active < OPEN_WAY * QUERY * WAY);
        l->data = NULL;
        free(g);
        learner_destroy(l);
    }
    episode_fini(&ep);
    task_fini(&k);
}

static void gradients_match_central_differences(void **state)
{
    struct task k;

    (void)state;
    task_init(&k);
    for (int kind = 0; kind < 2; kind++) {
        struct learner *l = open_learner((enum learner_open_loss)kind,
                                         OPEN_WAY, 9);
        struct learner_data data = { k.t, &k.s };
        char what[32];

        snprintf(what, sizeof(what), "open loss %d", kind);
        l->data = &data;
        learner_check_gradients(l, 77, l->n_params / 29 + 1, what);
        l->data = NULL;
        learner_destroy(l);
    }
    task_fini(&k);
}

static struct learner *trained(const struct task *k, size_t open_way,
                               uint64_t seed)
{
    struct learner *l = open_learner(LEARNER_OPEN_MARGIN, open_way, seed);
    struct learner_data data = { k->t, &k->s };
    struct meta_train_result res;

    assert_non_null(l);
    assert_int_equal(meta_train(l, &data, NULL, NULL, NULL, &res), 0);
    assert_int_equal(res.steps, 30);
    return l;
}

static void training_is_reproducible_and_the_option_acts(void **state)
{
    struct task k;
    struct learner *a, *b, *off;

    (void)state;
    task_init(&k);
    a = trained(&k, OPEN_WAY, 4);
    b = trained(&k, OPEN_WAY, 4);
    off = trained(&k, 0, 4);
    assert_memory_equal(a->params, b->params, a->n_params * sizeof(float));
    assert_true(memcmp(a->params, off->params,
                       a->n_params * sizeof(float)) != 0);
    learner_destroy(a);
    learner_destroy(b);
    learner_destroy(off);
    task_fini(&k);
}

static void impossible_shapes_are_refused(void **state)
{
    struct task k;
    struct learner *l;
    struct learner_data data;
    float *g;

    (void)state;
    task_init(&k);
    data.train = k.t;
    data.train_sampler = &k.s;
    l = open_learner(LEARNER_OPEN_ENTROPY, N_CLASSES - 1, 2);
    g = calloc(l->n_params, sizeof(float));
    l->data = &data;
    {
        struct rng rng;
        float loss;

        rng_seed(&rng, 1);
        assert_int_equal(l->ops->train_step(l, &rng, g, &loss),
                         ERR_INVALID);
        assert_non_null(strstr(err_msg(), "--open-way 7 needs at least 9"));
        l->opts.open_way = 1;
        l->arch.cosine = 1;
        assert_int_equal(l->ops->train_step(l, &rng, g, &loss),
                         ERR_INVALID);
        assert_non_null(strstr(err_msg(), "--cosine"));
    }
    l->data = NULL;
    free(g);
    learner_destroy(l);
    task_fini(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loss_follows_its_formula),
        cmocka_unit_test(gradients_match_central_differences),
        cmocka_unit_test(training_is_reproducible_and_the_option_acts),
        cmocka_unit_test(impossible_shapes_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
