/*
 * The encoder's starting scale: learner_opts.init_scale, choosing it on
 * validation data (meta_train_select, `train --init-scale auto`) and its
 * record in the model file.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/metatrain.h"
#include "fewflow/model.h"
#include "fewflow/rng.h"
#include "fewflow/table.h"
#include "testutil.h"

#define N_CLASSES 5
#define N_COLS 4

/* n_classes (up to 8) well separated gaussian classes: a few support rows
 * adapt to them easily, if the encoder's output responds to its input at
 * all. */
static struct table *blobs_n(uint64_t seed, int rows_per_class,
                             int n_classes)
{
    const char *cols[N_COLS] = { "a", "b", "c", "d" };
    const char *names[8] = { "k0", "k1", "k2", "k3", "k4", "k5", "k6",
                             "k7" };
    struct table *t = table_create(N_COLS, cols);
    struct rng r;

    assert_non_null(t);
    rng_seed(&r, seed);
    for (int i = 0; i < n_classes * rows_per_class; i++) {
        int k = i % n_classes;
        float row[N_COLS];

        for (int j = 0; j < N_COLS; j++)
            row[j] = 0.3f * rng_normal(&r) + (j == k % N_COLS ? 3.0f : 0.0f)
                - (k >= N_COLS ? 3.0f : 0.0f);
        assert_int_equal(table_append(t, row, names[k]), 0);
    }
    return t;
}

static struct table *blobs(uint64_t seed, int rows_per_class)
{
    return blobs_n(seed, rows_per_class, N_CLASSES);
}

struct task {
    struct table *train, *val;
    struct episode_sampler train_s, val_s;
    struct learner_data data;
};

static void task_init(struct task *t)
{
    int32_t ids[N_CLASSES] = { 0, 1, 2, 3, 4 };

    t->train = blobs(1, 20);
    t->val = blobs(2, 20);
    assert_int_equal(episode_sampler_init(&t->train_s, t->train, ids,
                                          N_CLASSES, 4), 0);
    assert_int_equal(episode_sampler_init(&t->val_s, t->val, ids,
                                          N_CLASSES, 4), 0);
    t->data.train = t->train;
    t->data.train_sampler = &t->train_s;
}

static void task_fini(struct task *t)
{
    episode_sampler_fini(&t->train_s);
    episode_sampler_fini(&t->val_s);
    table_destroy(t->train);
    table_destroy(t->val);
}

/*
 * A tiny MAML set-up whose meta step is negligible (lr 1e-9), so the
 * validation accuracy measures the starting point: at scale 1 the inner
 * loop adapts to the blobs, at scale 1e-3 the three-layer encoder's output
 * and its gradients are ~1e-9 of that, the inner loop cannot move the
 * logits and every query gets the same label (chance, 1/5).
 */
static void select_init(struct meta_select *sel)
{
    memset(sel, 0, sizeof(*sel));
    sel->ops = learner_find("maml");
    assert_non_null(sel->ops);
    learner_opts_default(&sel->opts);
    sel->opts.shot = 3;
    sel->opts.query = 4;
    sel->opts.episodes = 4;
    sel->opts.lr = 1e-9f;
    sel->opts.val_every = 2;
    sel->opts.val_episodes = 10;
    sel->opts.inner_steps = 2;
    sel->opts.inner_steps_test = 5;
    sel->opts.inner_lr = 0.5f;
    sel->opts.meta_batch = 1;
    sel->opts.seed = 7;
    learner_arch_default(&sel->arch, N_COLS);
    sel->arch.hidden[0] = sel->arch.hidden[1] = 16;
    sel->arch.n_emb = 8;
    sel->n_train_classes = N_CLASSES;
}

static size_t calls_begin, calls_end;

static void count_begin(void *ctx, size_t i, const struct meta_candidate *c)
{
    (void)ctx;
    (void)c;
    assert_int_equal(i, calls_begin);
    calls_begin++;
}

static void count_end(void *ctx, size_t i, const struct meta_candidate *c)
{
    (void)ctx;
    assert_int_equal(i, calls_end);
    assert_false(isnan(c->res.best_val));
    assert_false(isnan(c->first_val));
    calls_end++;
}

/* The candidate with the higher validation accuracy is kept, wherever it
 * stands in the list; the accuracies are reported for both. */
static void auto_keeps_the_better_validated_scale(void **state)
{
    struct task t;
    struct meta_select sel;
    const float order[2][2] = { { 1e-3f, 1.0f }, { 1.0f, 1e-3f } };

    (void)state;
    task_init(&t);
    select_init(&sel);
    sel.begin = count_begin;
    sel.end = count_end;
    for (int o = 0; o < 2; o++) {
        struct meta_candidate c[2];
        struct learner *l = NULL;
        size_t chosen = 9;
        size_t good = order[o][0] == 1.0f ? 0 : 1;

        memset(c, 0, sizeof(c));
        c[0].init_scale = order[o][0];
        c[1].init_scale = order[o][1];
        calls_begin = calls_end = 0;
        assert_int_equal(meta_train_select(&sel, &t.data, &t.val_s, c, 2,
                                           &l, &chosen), 0);
        assert_non_null(l);
        assert_int_equal(chosen, good);
        assert_int_equal(calls_begin, 2);
        assert_int_equal(calls_end, 2);
        assert_true(c[good].res.best_val > 0.5);
        assert_float_near(c[1 - good].res.best_val, 1.0 / N_CLASSES, 0.02);
        assert_true(l->opts.init_scale == 1.0f);
        learner_destroy(l);
    }
    task_fini(&t);
}

/* The kept learner is bit for bit what a plain run at its scale gives, and
 * choosing twice gives the same bits. */
static void kept_learner_is_the_plain_run(void **state)
{
    struct task t;
    struct meta_select sel;
    struct meta_candidate c[2] = { { .init_scale = 1e-3f },
                                   { .init_scale = 1.0f } };
    struct learner *kept = NULL, *again = NULL, *plain;
    struct meta_train_result res;
    size_t chosen = 0;

    (void)state;
    task_init(&t);
    select_init(&sel);
    sel.opts.lr = 1e-2f;
    assert_int_equal(meta_train_select(&sel, &t.data, &t.val_s, c, 2,
                                       &kept, &chosen), 0);
    assert_int_equal(meta_train_select(&sel, &t.data, &t.val_s, c, 2,
                                       &again, &chosen), 0);
    sel.opts.init_scale = c[chosen].init_scale;
    plain = learner_create(sel.ops, &sel.opts, &sel.arch, N_CLASSES,
                           sel.opts.seed);
    assert_non_null(plain);
    assert_int_equal(meta_train(plain, &t.data, &t.val_s, NULL, NULL, &res),
                     0);
    assert_int_equal(plain->n_params, kept->n_params);
    assert_memory_equal(plain->params, kept->params,
                        kept->n_params * sizeof(float));
    assert_memory_equal(again->params, kept->params,
                        kept->n_params * sizeof(float));
    assert_true(res.best_val == c[chosen].res.best_val);
    learner_destroy(plain);
    learner_destroy(again);
    learner_destroy(kept);
    task_fini(&t);
}

/* Without validation classes the choice is made on held-out training
 * classes: the scale that adapts still wins, in either order, the draw is
 * repeatable, and fewer than 4 classes cannot be split. */
static void held_out_classes_choose_the_better_scale(void **state)
{
    struct table *t = blobs_n(3, 20, 6);
    int32_t ids[6] = { 0, 1, 2, 3, 4, 5 };
    struct episode_sampler s;
    struct learner_data data = { t, &s };
    struct meta_select sel;
    const float order[2][2] = { { 1e-3f, 1.0f }, { 1.0f, 1e-3f } };
    double first[2] = { 0.0, 0.0 };

    (void)state;
    assert_int_equal(episode_sampler_init(&s, t, ids, 6, 4), 0);
    select_init(&sel);
    for (int o = 0; o < 3; o++) {
        struct meta_candidate c[2];
        size_t chosen = 9, good = order[o % 2][0] == 1.0f ? 0 : 1;

        memset(c, 0, sizeof(c));
        c[0].init_scale = order[o % 2][0];
        c[1].init_scale = order[o % 2][1];
        int32_t held[6] = { -1, -1, -1, -1, -1, -1 };
        size_t n_held = 0;

        assert_int_equal(meta_select_on_classes(&sel, &data, c, 2, &chosen,
                                                held, &n_held), 0);
        assert_int_equal(chosen, good);
        assert_int_equal(n_held, 2);
        assert_true(held[0] >= 0 && held[0] < 6 && held[1] >= 0 &&
                    held[1] < 6 && held[0] != held[1] && held[2] == -1);
        /* 2 of 6 classes held out: validation episodes are 2-way. */
        assert_float_near(c[1 - good].res.best_val, 0.5, 0.05);
        assert_true(c[good].res.best_val > 0.75);
        if (o == 2)
            assert_true(c[good].res.best_val == first[0] &&
                        c[1 - good].res.best_val == first[1]);
        first[0] = c[good].res.best_val;
        first[1] = c[1 - good].res.best_val;
    }
    episode_sampler_fini(&s);
    assert_int_equal(episode_sampler_init(&s, t, ids, 3, 4), 0);
    size_t chosen = 0;
    struct meta_candidate c[1] = { { .init_scale = 1.0f } };
    assert_int_equal(meta_select_on_classes(&sel, &data, c, 1, &chosen,
                                            NULL, NULL), ERR_INVALID);
    episode_sampler_fini(&s);
    table_destroy(t);
}

static void select_needs_validation(void **state)
{
    struct task t;
    struct meta_select sel;
    struct meta_candidate c[1] = { { .init_scale = 1.0f } };
    struct learner *l = (struct learner *)&t;
    size_t chosen = 0;

    (void)state;
    task_init(&t);
    select_init(&sel);
    assert_int_equal(meta_train_select(&sel, &t.data, NULL, c, 1, &l,
                                       &chosen), ERR_INVALID);
    assert_null(l);
    c[0].init_scale = -1.0f;
    assert_int_equal(meta_train_select(&sel, &t.data, &t.val_s, c, 1, &l,
                                       &chosen), ERR_INVALID);
    assert_null(l);
    task_fini(&t);
}

/* The scale multiplies the encoder's weight matrices and nothing else,
 * after the same random draws; a scale that is not above 0 is refused. */
static void scale_multiplies_encoder_weights_only(void **state)
{
    struct meta_select sel;
    struct learner *one, *half;
    const float bad[] = { 0.0f, -1.0f, NAN, INFINITY };

    (void)state;
    select_init(&sel);
    one = learner_create(sel.ops, &sel.opts, &sel.arch, N_CLASSES, 3);
    sel.opts.init_scale = 0.5f;
    half = learner_create(sel.ops, &sel.opts, &sel.arch, N_CLASSES, 3);
    assert_non_null(one);
    assert_non_null(half);
    for (int v = 0; v < one->layout.n_views; v++) {
        const struct nn_view *view = &one->layout.views[v];
        size_t n = (size_t)view->rows * (size_t)view->cols;
        int k = v - one->mlp.first_view;
        int is_weight = k >= 0 && k < 2 * one->mlp.cfg.n_layers && k % 2 == 0;

        for (size_t i = 0; i < n; i++) {
            float a = one->params[view->offset + i];
            float b = half->params[view->offset + i];

            assert_true(b == (is_weight ? 0.5f * a : a));
        }
    }
    learner_destroy(one);
    learner_destroy(half);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sel.opts.init_scale = bad[i];
        assert_null(learner_create(sel.ops, &sel.opts, &sel.arch,
                                   N_CLASSES, 3));
        assert_int_equal(err_last(), ERR_INVALID);
    }
}

/* The choice goes into the model file and comes back; a model written
 * before the option existed reads as the encoder as drawn (1). */
static void choice_round_trips_through_the_model_file(void **state)
{
    struct meta_select sel;
    struct meta_candidate c[2] = { { .init_scale = 1.0f },
                                   { .init_scale = LEARNER_INIT_SCALE_TORCH } };
    const char *names[2] = { "kaiming", "torch" };
    struct learner *l;
    struct model *m = model_create(), *back;
    const char *path = testutil_tmp("init.ffm");
    double v = 0.0;

    (void)state;
    c[0].res.best_val = 0.61;
    c[1].res.best_val = 0.72;
    select_init(&sel);
    l = learner_create(sel.ops, &sel.opts, &sel.arch, N_CLASSES, 3);
    assert_non_null(l);
    assert_non_null(m);
    assert_int_equal(learner_to_model(l, m), 0);
    assert_true(meta_record_init_scale(m) == 1.0f);
    assert_int_equal(model_save(m, path), 0);
    back = model_load(path);
    assert_non_null(back);
    assert_true(meta_record_init_scale(back) == 1.0f);
    model_destroy(back);

    assert_int_equal(meta_record_init_choice(m, c, names, 2, 1), 0);
    assert_int_equal(meta_record_init_choice(m, c, names, 2, 2),
                     ERR_INVALID);
    assert_int_equal(model_save(m, path), 0);
    back = model_load(path);
    assert_non_null(back);
    assert_true(meta_record_init_scale(back) == LEARNER_INIT_SCALE_TORCH);
    assert_int_equal(model_record_get_metric(back, "val_accuracy_kaiming",
                                             &v), 0);
    assert_true(v == 0.61);
    assert_int_equal(model_record_get_metric(back, "val_accuracy_torch",
                                             &v), 0);
    assert_true(v == 0.72);
    struct learner *again = learner_from_model(back);
    assert_non_null(again);
    assert_memory_equal(again->params, l->params,
                        l->n_params * sizeof(float));
    learner_destroy(again);
    model_destroy(back);
    learner_destroy(l);
    model_destroy(m);
}

/* The CLI refuses auto without validation, and a scale that is no number
 * above 0, with a usage error (exit 2). */
static void cli_refuses_bad_init_scales(void **state)
{
    const char *bad[] = { "auto --no-val", "0", "-1", "nan", "big" };
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = testutil_runf(&out, "%s -q train --protocol nsl-kdd "
                               "--method fomaml --init-scale %s -o %s "
                               "2>&1", testutil_bin(), bad[i],
                               testutil_tmp("never.ffm"));

        assert_int_equal(rc, 2);
        assert_non_null(strstr(out, "--"));
    }
    free(out);
}

/* Reads a whole file; its length in *n. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 22);

    assert_non_null(f);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 22, f);
    fclose(f);
    return buf;
}

/* Trains `method` with extra options on a protocol whose
 * maml_init_scale is torch; returns the model's bytes. */
static char *train_with_key(const char *method, const char *opts,
                            const char *name, size_t *n)
{
    char proto[512], model[512], *out = NULL;
    FILE *f;

    snprintf(proto, sizeof(proto), "%s/initkey.proto", testutil_tmpdir());
    snprintf(model, sizeof(model), "%s/%s.ffm", testutil_tmpdir(), name);
    f = fopen(proto, "w");
    assert_non_null(f);
    fprintf(f, "name: initkey\n"
            "data: cic-ids2017-improved/BENIGN_4066_no-thursday.csv.xz, "
            "cic-ids2017-improved/DDoS_5000.csv.xz, "
            "cic-ids2017-improved/Portscan_5000.csv.xz, "
            "cic-ids2017-improved/Botnet_736.csv.xz, "
            "cic-ids2017-improved/Heartbleed_11.csv.xz\n"
            "train: BENIGN, DDoS, Portscan\ntest: Botnet, Heartbleed\n"
            "maml_init_scale: torch\n");
    fclose(f);
    assert_int_equal(testutil_runf(&out, "%s -q train --protocol %s "
                                   "--method %s --way 3 --shot 2 --query 2 "
                                   "--episodes 3 --hidden 8 --emb 4 "
                                   "--no-val --benign-fpr 0 %s -o %s 2>&1",
                                   testutil_bin(), proto, method, opts,
                                   model), 0);
    free(out);
    return slurp(model, n);
}

/* A protocol's maml_init_scale is what a MAML-family run starts from
 * unless --init-scale says otherwise; other learners ignore it. */
static void protocol_key_sets_the_maml_scale(void **state)
{
    size_t n_key, n_opt, n_kai;
    char *key, *opt, *kai;

    (void)state;
    key = train_with_key("fomaml", "", "key", &n_key);
    opt = train_with_key("fomaml", "--init-scale torch", "opt", &n_opt);
    kai = train_with_key("fomaml", "--init-scale kaiming", "kai", &n_kai);
    assert_int_equal(n_key, n_opt);
    assert_memory_equal(key, opt, n_key);
    assert_false(n_key == n_kai && memcmp(key, kai, n_key) == 0);
    free(key);
    free(opt);
    free(kai);
    /* protonet: the key changes nothing and records no scale */
    key = train_with_key("protonet", "", "pkey", &n_key);
    opt = train_with_key("protonet", "--init-scale torch", "popt", &n_opt);
    assert_false(n_key == n_opt && memcmp(key, opt, n_key) == 0);
    free(key);
    free(opt);
    struct model *m = model_load(testutil_tmp("pkey.ffm"));
    double v;
    assert_non_null(m);
    assert_int_not_equal(model_record_get_metric(m, "init_scale", &v), 0);
    model_destroy(m);
    m = model_load(testutil_tmp("key.ffm"));
    assert_non_null(m);
    assert_true(meta_record_init_scale(m) == LEARNER_INIT_SCALE_TORCH);
    model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auto_keeps_the_better_validated_scale),
        cmocka_unit_test(kept_learner_is_the_plain_run),
        cmocka_unit_test(held_out_classes_choose_the_better_scale),
        cmocka_unit_test(select_needs_validation),
        cmocka_unit_test(scale_multiplies_encoder_weights_only),
        cmocka_unit_test(choice_round_trips_through_the_model_file),
        cmocka_unit_test(cli_refuses_bad_init_scales),
        cmocka_unit_test(protocol_key_sets_the_maml_scale),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
