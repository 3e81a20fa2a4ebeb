#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/episode.h"
#include "fewflow/err.h"
#include "fewflow/evalstats.h"
#include "fewflow/fewshot.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/protocol.h"
#include "fewflow/rng.h"
#include "learner_check.h"
#include "testutil.h"

#define DIM 8

/* Gaussian blobs: class c has a centre mu_c (N(0, 9)) on the first
 * INFORMATIVE features and rows mu_c + N(0, 0.25) there; the other
 * features are class-independent noise N(0, 9), so an untrained encoder
 * sees mostly noise. Two modes per class when bimodal. */
#define INFORMATIVE 3
static struct table *blobs(size_t n_classes, size_t rows, int bimodal,
                           uint64_t seed)
{
    const char *names[DIM] = { "a", "b", "c", "d", "e", "f", "g", "h" };
    struct table *t = table_create(DIM, names);
    struct rng rng;
    float mu[2][DIM], row[DIM];
    char label[32];

    assert_non_null(t);
    rng_seed(&rng, seed);
    for (size_t c = 0; c < n_classes; c++) {
        for (int m = 0; m < 2; m++)
            for (int k = 0; k < DIM; k++)
                mu[m][k] = 3.0f * rng_normal(&rng);
        snprintf(label, sizeof(label), "class%zu", c);
        for (size_t i = 0; i < rows; i++) {
            int m = bimodal ? (int)(i % 2) : 0;

            for (int k = 0; k < DIM; k++)
                row[k] = k < INFORMATIVE ?
                    mu[m][k] + 0.5f * rng_normal(&rng) :
                    3.0f * rng_normal(&rng);
            assert_int_equal(table_append(t, row, label), 0);
        }
    }
    return t;
}

static void all_ids(int32_t *ids, size_t n, int32_t first)
{
    for (size_t i = 0; i < n; i++)
        ids[i] = first + (int32_t)i;
}

static int row_in(const size_t *rows, size_t n, size_t r)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i] == r)
            return 1;
    }
    return 0;
}

static void sampler_draws_distinct_rows_of_the_right_classes(void **state)
{
    struct table *t = blobs(6, 30, 0, 1);
    struct episode_sampler s;
    struct episode ep;
    struct rng rng;
    int32_t ids[6];

    all_ids(ids, 6, 0);
    assert_int_equal(episode_sampler_init(&s, t, ids, 6, 2), 0);
    episode_init(&ep);
    rng_seed(&rng, 7);
    for (int e = 0; e < 50; e++) {
        assert_int_equal(episode_sample(&s, 5, 3, 4, &rng, &ep), 0);
        assert_int_equal(ep.n_support, 15);
        assert_int_equal(ep.n_query, 20);
        assert_int_equal(ep.n_short_classes, 0);
        for (size_t i = 0; i < ep.n_support; i++) {
            assert_int_equal(ep.ys[i], (int32_t)(i / 3));
            assert_int_equal(t->y[ep.support_rows[i]], ep.classes[ep.ys[i]]);
            assert_false(row_in(ep.support_rows, i, ep.support_rows[i]));
            assert_false(row_in(ep.query_rows, ep.n_query,
                                ep.support_rows[i]));
            assert_memory_equal(ep.xs + i * DIM,
                                table_row(t, ep.support_rows[i]),
                                DIM * sizeof(float));
        }
        for (size_t i = 0; i < ep.n_query; i++) {
            assert_int_equal(t->y[ep.query_rows[i]], ep.classes[ep.yq[i]]);
            assert_false(row_in(ep.query_rows, i, ep.query_rows[i]));
        }
        for (size_t j = 0; j < 5; j++)
            for (size_t k = 0; k < j; k++)
                assert_int_not_equal(ep.classes[j], ep.classes[k]);
    }
    episode_fini(&ep);
    episode_sampler_fini(&s);
    table_destroy(t);
}

static void short_class_gives_fewer_queries_and_says_so(void **state)
{
    struct table *t = blobs(3, 10, 0, 2);
    struct table *small = blobs(1, 4, 0, 3);
    struct episode_sampler s;
    struct episode ep;
    struct rng rng;
    int32_t ids[3] = { 0, 1, 2 };

    /* class0 of `small` has 4 rows: append them as a fourth class. */
    for (size_t i = 0; i < small->n_rows; i++)
        assert_int_equal(table_append(t, table_row(small, i), "tiny"), 0);
    ids[2] = table_class_id(t, "tiny");
    assert_int_equal(episode_sampler_init(&s, t, ids, 3, 4), 0);
    episode_init(&ep);
    rng_seed(&rng, 1);
    assert_int_equal(episode_sample(&s, 3, 3, 5, &rng, &ep), 0);
    assert_int_equal(ep.n_short_classes, 1);
    assert_int_equal(ep.n_query, 5 + 5 + 1);
    episode_fini(&ep);
    episode_sampler_fini(&s);
    assert_int_equal(episode_sampler_init(&s, t, ids, 3, 5), ERR_RANGE);
    assert_non_null(strstr(err_msg(), "tiny"));
    table_destroy(small);
    table_destroy(t);
}

static void sampler_is_reproducible_with_a_seed(void **state)
{
    struct table *t = blobs(6, 20, 0, 4);
    struct episode_sampler s;
    struct episode a, b;
    struct rng ra, rb;
    int32_t ids[6];

    all_ids(ids, 6, 0);
    assert_int_equal(episode_sampler_init(&s, t, ids, 6, 2), 0);
    episode_init(&a);
    episode_init(&b);
    rng_seed(&ra, 99);
    rng_seed(&rb, 99);
    for (int e = 0; e < 10; e++) {
        assert_int_equal(episode_sample(&s, 4, 2, 3, &ra, &a), 0);
        assert_int_equal(episode_sample(&s, 4, 2, 3, &rb, &b), 0);
        assert_memory_equal(a.support_rows, b.support_rows,
                            a.n_support * sizeof(size_t));
        assert_memory_equal(a.query_rows, b.query_rows,
                            a.n_query * sizeof(size_t));
    }
    episode_fini(&a);
    episode_fini(&b);
    episode_sampler_fini(&s);
    table_destroy(t);
}

static void ci_and_f1_match_hand_computed_values(void **state)
{
    double v[4] = { 1, 2, 3, 4 }, a[3] = { .5, .6, .7 }, b[3] = { .4, .6,
                                                                  .5 };
    double mean, half;
    struct eval_stats s;
    /* Two episodes over classes {0, 1, 2}: truth and predictions. */
    int32_t truth[6] = { 0, 0, 1, 1, 2, 2 }, pred[6] = { 0, 1, 1, 1, 2, 0 };
    int32_t classes[3] = { 0, 1, 2 };

    eval_mean_ci95(v, 4, &mean, &half);
    assert_float_near(mean, 2.5, 1e-12);
    /* s = sqrt(5/3), half = 1.96 s / 2. */
    assert_float_near(half, 1.96 * sqrt(5.0 / 3.0) / 2.0, 1e-12);
    eval_paired_ci95(a, b, 3, &mean, &half);
    assert_float_near(mean, 0.1, 1e-12);
    assert_float_near(half, 1.96 * 0.1 / sqrt(3.0), 1e-12);
    assert_int_equal(eval_stats_init(&s, 3), 0);
    assert_int_equal(eval_stats_add(&s, pred, truth, 6, classes, 3), 0);
    assert_float_near(s.acc[0], 4.0 / 6.0, 1e-12);
    /* recall 1/2, 1, 1/2; precision 1/2, 2/3, 1; F1 1/2, 4/5, 2/3. */
    assert_float_near(eval_recall(&s, 0), 0.5, 1e-12);
    assert_float_near(eval_precision(&s, 1), 2.0 / 3.0, 1e-12);
    assert_float_near(eval_macro_f1(&s), (0.5 + 0.8 + 2.0 / 3.0) / 3.0,
                      1e-12);
    pred[0] = 7;
    assert_int_equal(eval_stats_add(&s, pred, truth, 6, classes, 3),
                     ERR_INVALID);
    eval_stats_fini(&s);
}

static void nn1_and_ncm_follow_their_definitions(void **state)
{
    /* Class 0 has two modes (-10 and +10), class 1 one row at 3. */
    float xs[3] = { -10, 10, 3 }, xq[2] = { 9, 1 };
    int32_t ys[3] = { 0, 0, 1 }, pred[2];

    fewshot_nn1(xs, ys, 3, xq, 2, 1, pred);
    assert_int_equal(pred[0], 0);
    assert_int_equal(pred[1], 1);
    assert_int_equal(fewshot_ncm(xs, ys, 3, xq, 2, 1, 2, pred), 0);
    assert_int_equal(pred[0], 1);    /* |9 - 0| > |9 - 3| */
    assert_int_equal(pred[1], 0);    /* |1 - 0| < |1 - 3| */
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static void logreg_matches_the_closed_form_optimum(void **state)
{
    /* Rows -1 (class 0) and +1 (class 1), l2 = 1: by symmetry the biases
     * are equal and w1 = -w0 = u/2, so the objective is
     * 2 softplus(-u) + u²/4, minimal where u = 4 sigmoid(-u); the query at
     * 1 then has p1 = sigmoid(u). Solved by damped fixed-point iteration. */
    float xs[2] = { -1, 1 }, xq[1] = { 1 }, probs[2];
    int32_t ys[2] = { 0, 1 }, pred[1];
    struct logreg_opts o;
    double w = 0.5;

    for (int i = 0; i < 200; i++)
        w = 0.5 * w + 0.5 * 4.0 * sigmoid(-w);
    logreg_opts_default(&o);
    o.tol = 1e-9;
    o.max_iter = 5000;
    assert_int_equal(fewshot_logreg(xs, ys, 2, xq, 1, 1, 2, &o, probs,
                                    pred), 0);
    assert_int_equal(pred[0], 1);
    assert_float_near(probs[1], sigmoid(w), 1e-4);
    assert_float_near(probs[0] + probs[1], 1.0, 1e-6);
}

/* Plain gradient descent on the same objective, as a slow reference:
 * sum of cross-entropies + 0.5 l2 |W|², bias unpenalised. */
static void reference_logreg(const float *xs, const int32_t *ys, size_t n,
                             size_t d, size_t way, double *w)
{
    double g[3 * (DIM + 1)], z[3];

    memset(w, 0, way * (d + 1) * sizeof(double));
    for (int it = 0; it < 150000; it++) {
        memset(g, 0, sizeof(g));
        for (size_t c = 0; c < way; c++)
            for (size_t k = 0; k < d; k++)
                g[c * (d + 1) + k] = w[c * (d + 1) + k];
        for (size_t i = 0; i < n; i++) {
            double m = -1e300, sum = 0.0;

            for (size_t c = 0; c < way; c++) {
                z[c] = w[c * (d + 1) + d];
                for (size_t k = 0; k < d; k++)
                    z[c] += w[c * (d + 1) + k] * xs[i * d + k];
                m = z[c] > m ? z[c] : m;
            }
            for (size_t c = 0; c < way; c++)
                sum += (z[c] = exp(z[c] - m));
            for (size_t c = 0; c < way; c++) {
                double e = z[c] / sum - (ys[i] == (int32_t)c);

                for (size_t k = 0; k < d; k++)
                    g[c * (d + 1) + k] += e * xs[i * d + k];
                g[c * (d + 1) + d] += e;
            }
        }
        for (size_t k = 0; k < way * (d + 1); k++)
            w[k] -= 2e-4 * g[k];
    }
}

static void logreg_matches_a_reference_fit(void **state)
{
    struct table *t = blobs(3, 8, 0, 5);
    float xq[DIM] = { 0 }, probs[3];
    int32_t pred[1];
    double w[3 * (DIM + 1)], z[3], sum = 0.0;
    struct logreg_opts o;

    for (size_t k = 0; k < DIM; k++)
        xq[k] = 0.5f * table_row(t, 0)[k] + 0.5f * table_row(t, 9)[k];
    reference_logreg(t->x, t->y, t->n_rows, DIM, 3, w);
    for (size_t c = 0; c < 3; c++) {
        z[c] = w[c * (DIM + 1) + DIM];
        for (size_t k = 0; k < DIM; k++)
            z[c] += w[c * (DIM + 1) + k] * xq[k];
        sum += exp(z[c]);
    }
    logreg_opts_default(&o);
    o.tol = 1e-7;
    o.max_iter = 20000;
    assert_int_equal(fewshot_logreg(t->x, t->y, t->n_rows, xq, 1, DIM, 3,
                                    &o, probs, pred), 0);
    for (size_t c = 0; c < 3; c++)
        assert_float_near(probs[c], exp(z[c]) / sum, 2e-3);
    table_destroy(t);
}

/* Training on classes 0..7 of blobs, testing on 8..11. */
struct task {
    struct table *t;
    struct episode_sampler train, test;
};

static void task_init(struct task *k, int bimodal)
{
    int32_t ids[8];

    k->t = blobs(12, 40, bimodal, 11);
    all_ids(ids, 8, 0);
    assert_int_equal(episode_sampler_init(&k->train, k->t, ids, 8, 4), 0);
    all_ids(ids, 4, 8);
    assert_int_equal(episode_sampler_init(&k->test, k->t, ids, 4, 4), 0);
}

static void task_fini(struct task *k)
{
    episode_sampler_fini(&k->train);
    episode_sampler_fini(&k->test);
    table_destroy(k->t);
}

static struct learner *small_learner(const char *method, size_t steps,
                                     uint64_t seed)
{
    const struct learner_ops *ops = learner_find(method);
    struct learner_opts o;
    struct model_arch a;

    assert_non_null(ops);
    learner_opts_default(&o);
    o.way = 4;
    o.shot = 3;
    o.query = 5;
    o.episodes = steps;
    o.batch = 32;
    o.seed = seed;
    o.lr = 3e-3f;
    learner_arch_default(&a, DIM);
    a.hidden[0] = a.hidden[1] = 32;
    a.n_emb = 16;
    strcpy(a.rule, ops->default_rule);
    return learner_create(ops, &o, &a, 8, seed);
}

static double train_and_test(const char *method, struct task *k,
                             size_t steps)
{
    struct learner *l = small_learner(method, steps, 3);
    struct learner_data d = { k->t, &k->train };
    struct meta_train_result res;
    double acc, ci;

    assert_non_null(l);
    assert_int_equal(meta_train(l, &d, NULL, NULL, NULL, &res), 0);
    assert_int_equal(res.steps, steps);
    assert_int_equal(meta_validate(l, &k->test, 4, 3, 5, 50, 1, &acc, &ci),
                     0);
    learner_destroy(l);
    return acc;
}

static void every_learner_learns_new_classes(void **state)
{
    static const char *const methods[] = { "protonet", "siamese", "triplet",
                                           "baseline" };
    struct task k;

    task_init(&k, 0);
    for (size_t i = 0; i < 4; i++) {
        double untrained = train_and_test(methods[i], &k, 0);
        double trained = train_and_test(methods[i], &k, 150);

        print_message("%s: untrained %.3f trained %.3f (chance 0.25)\n",
                      methods[i], untrained, trained);
        assert_true(trained > 0.75);
        assert_true(trained > untrained + 0.1);
    }
    task_fini(&k);
}

static void every_rule_classifies_new_classes(void **state)
{
    static const char *const rules[] = { "mean", "nn", "logreg",
                                         "logreg_xz", "logreg_xz_st", "ens",
                                         "ens_st", "auto" };
    struct task k;
    struct learner *l = small_learner("protonet", 150, 3);
    struct learner_data d;
    struct meta_train_result res;

    task_init(&k, 0);
    d.train = k.t;
    d.train_sampler = &k.train;
    assert_int_equal(meta_train(l, &d, NULL, NULL, NULL, &res), 0);
    for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
        double acc1, acc3, ci;

        assert_true(learner_rule_known(rules[r]));
        strcpy(l->arch.rule, rules[r]);
        assert_int_equal(meta_validate(l, &k.test, 4, 1, 5, 20, 2, &acc1,
                                       &ci), 0);
        assert_int_equal(meta_validate(l, &k.test, 4, 3, 5, 20, 2, &acc3,
                                       &ci), 0);
        print_message("rule %-13s 1-shot %.3f 3-shot %.3f\n", rules[r],
                      acc1, acc3);
        assert_true(acc1 > 0.5 && acc3 > 0.6);
    }
    assert_false(learner_rule_known("median"));
    learner_destroy(l);
    task_fini(&k);
}

static void training_is_reproducible_bit_for_bit(void **state)
{
    struct task k;
    struct learner *a, *b;
    struct learner_data d;
    struct meta_train_result res;

    task_init(&k, 0);
    d.train = k.t;
    d.train_sampler = &k.train;
    a = small_learner("protonet", 40, 9);
    b = small_learner("protonet", 40, 9);
    a->arch.dropout = b->arch.dropout = 0.1f;
    a->mlp.cfg.dropout = b->mlp.cfg.dropout = 0.1f;
    assert_int_equal(meta_train(a, &d, &k.test, NULL, NULL, &res), 0);
    assert_int_equal(meta_train(b, &d, &k.test, NULL, NULL, &res), 0);
    assert_int_equal(a->n_params, b->n_params);
    assert_memory_equal(a->params, b->params, a->n_params * sizeof(float));
    learner_destroy(b);
    b = small_learner("protonet", 40, 10);
    assert_int_equal(meta_train(b, &d, &k.test, NULL, NULL, &res), 0);
    assert_true(memcmp(a->params, b->params, a->n_params * sizeof(float)));
    learner_destroy(a);
    learner_destroy(b);
    task_fini(&k);
}

static void gradients_match_central_differences(void **state)
{
    static const char *const methods[] = { "protonet", "siamese", "triplet",
                                           "baseline" };
    struct task k;

    task_init(&k, 1);
    for (size_t m = 0; m < 4; m++) {
        struct learner *l = small_learner(methods[m], 1, 5);
        struct learner_data d = { k.t, &k.train };

        /* Unit-sphere distances are at most 2: every hinge is active. */
        l->opts.margin = 3.0f;
        l->data = &d;
        learner_check_gradients(l, 77, l->n_params / 23 + 1, methods[m]);
        l->data = NULL;
        learner_destroy(l);
    }
    task_fini(&k);
}

/* maml_init_scale: the named scales, a number; anything else, or the key
 * twice, is refused with the file and line. */
static void protocol_names_an_init_scale(void **state)
{
    static const struct { const char *v; float want; } ok[] = {
        { "kaiming", 1.0f }, { "torch", LEARNER_INIT_SCALE_TORCH },
        { " 0.5 ", 0.5f },
    };
    static const char *const bad[] = { "0", "-1", "nan", "torch2", "",
                                       "1e9" };
    char text[200];
    struct protocol *p;

    (void)state;
    p = protocol_parse("name: t\ntrain: A, B\ntest: C, D\n", "t.proto");
    assert_non_null(p);
    assert_true(p->maml_init_scale == 0.0f);
    protocol_destroy(p);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(text, sizeof(text), "name: t\ntrain: A, B\ntest: C, D\n"
                 "maml_init_scale: %s\n", ok[i].v);
        p = protocol_parse(text, "t.proto");
        assert_non_null(p);
        assert_true(p->maml_init_scale == ok[i].want);
        protocol_destroy(p);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "name: t\ntrain: A, B\ntest: C, D\n"
                 "maml_init_scale: %s\n", bad[i]);
        assert_null(protocol_parse(text, "s.proto"));
        assert_non_null(strstr(err_msg(), "s.proto:4: maml_init_scale"));
    }
    assert_null(protocol_parse("name: t\ntrain: A, B\ntest: C, D\n"
                               "maml_init_scale: torch\n"
                               "maml_init_scale: torch\n", "w.proto"));
    assert_non_null(strstr(err_msg(), "w.proto:5: 'maml_init_scale:' is "
                           "given twice"));
}

static void protocol_text_is_parsed_and_checked(void **state)
{
    struct protocol *p = protocol_parse(
        "# comment\nname: t\ndata: a.csv, b/*.csv\n"
        "train: A, B C,\n  D\ntest: E, F\n", "t.proto");

    assert_non_null(p);
    assert_int_equal(p->n_train, 3);
    assert_string_equal(p->train[1], "B C");
    assert_string_equal(p->train[2], "D");
    assert_int_equal(p->n_data, 2);
    assert_float_near(p->val_fraction, 0.2, 1e-12);
    protocol_destroy(p);
    assert_null(protocol_parse("name: t\ntrain: A, B\ntest: B, C\n",
                               "bad.proto"));
    assert_non_null(strstr(err_msg(), "'B'"));
    assert_null(protocol_parse("name: t\nwhat: x\n", "bad2.proto"));
    assert_non_null(strstr(err_msg(), "bad2.proto:2"));
    /* A class listed twice is named as such (it used to surface later as
     * "fewer than 2 training classes have N rows"). */
    assert_null(protocol_parse("name: t\ntrain: A, A\ntest: B, C\n",
                               "twice.proto"));
    assert_non_null(strstr(err_msg(), "'A' is listed twice"));
    /* QA5: a UTF-8 BOM (Windows editors) made the first key unknown; a
     * key given twice appended its list to the first silently. */
    p = protocol_parse("\xef\xbb\xbfname: t\r\ntrain: A, B\r\n"
                       "test: C, D\r\n", "bom.proto");
    assert_non_null(p);
    assert_string_equal(p->name, "t");
    assert_string_equal(p->test[1], "D");
    protocol_destroy(p);
    assert_null(protocol_parse("name: t\ntrain: A, B\ntest: C, D\n"
                               "train: E\n", "again.proto"));
    assert_non_null(strstr(err_msg(), "again.proto:4: 'train:' is given "
                           "twice"));
    /* Binary data is named as such, not called an empty file. */
    char bin[600];
    snprintf(bin, sizeof(bin), "%s/binary.proto", testutil_tmpdir());
    FILE *bf = fopen(bin, "wb");
    assert_non_null(bf);
    fwrite("name: t\n\0\1\2", 1, 11, bf);
    fclose(bf);
    assert_null(protocol_load(bin));
    assert_non_null(strstr(err_msg(), "NUL byte at offset 8"));
    p = protocol_load("cic-ids2017");
    assert_non_null(p);
    assert_int_equal(p->n_test, 5);
    protocol_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sampler_draws_distinct_rows_of_the_right_classes),
        cmocka_unit_test(short_class_gives_fewer_queries_and_says_so),
        cmocka_unit_test(sampler_is_reproducible_with_a_seed),
        cmocka_unit_test(ci_and_f1_match_hand_computed_values),
        cmocka_unit_test(nn1_and_ncm_follow_their_definitions),
        cmocka_unit_test(logreg_matches_the_closed_form_optimum),
        cmocka_unit_test(logreg_matches_a_reference_fit),
        cmocka_unit_test(every_learner_learns_new_classes),
        cmocka_unit_test(every_rule_classifies_new_classes),
        cmocka_unit_test(training_is_reproducible_bit_for_bit),
        cmocka_unit_test(gradients_match_central_differences),
        cmocka_unit_test(protocol_text_is_parsed_and_checked),
        cmocka_unit_test(protocol_names_an_init_scale),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
