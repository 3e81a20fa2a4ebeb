/*
 * The adapted head of a MAML-family class memory (mhead.h): how it
 * chooses among the classes that hold a flow, its model section, and the
 * CLI path (train fomaml → head stored, refitted on enrol and forget,
 * reported in alerts).
 */
#include <math.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/mhead.h"
#include "testutil.h"

/* Three 2-d classes: A at (3,0), B at (0,3), benign N at (1,1). */
static struct memo *three_classes(float radius)
{
    struct memo *m = memo_create(2, 1);
    const float a[2] = {3, 0}, b[2] = {0, 3}, n[2] = {1, 1};
    assert_non_null(m);
    assert_int_equal(memo_class_add(m, "A", 0, a, 1, radius, NULL), 0);
    assert_int_equal(memo_class_add(m, "B", 0, b, 1, radius, NULL), 1);
    assert_int_equal(memo_class_add(m, "N", MEMO_CLASS_BENIGN, n, 1,
                                     radius, NULL), 2);
    return m;
}

/* A head by hand that scores z's second coordinate for B, nothing else. */
static struct mhead *prefers_b(void)
{
    struct mhead *h = mhead_create(3, 2);
    assert_non_null(h);
    h->w[1 * 3 + 1] = 10.0f;
    h->b[2] = 100.0f;          /* benign would win if it could be chosen */
    return h;
}

static void head_decides_among_classes_that_hold_the_flow(void **state)
{
    (void)state;
    struct memo *m = three_classes(4.0f);
    struct mhead *h = prefers_b();
    struct memo_decision d;
    const float z2[2] = {2.6f, 0.9f};  /* A 0.98, N 1.6, B 3.3 */
    memo_decide(m, z2, &d);
    assert_int_equal(d.cls, 0);
    assert_true(isnan(d.head_prob));
    mhead_choose(h, m, z2, &d);
    assert_int_equal(d.cls, 1);       /* B: inside, larger logit; N barred */
    struct memo_eval ev[3];
    memo_evaluate(m, z2, ev);
    assert_float_near(d.dist, ev[1].dist, 1e-6);
    assert_float_near(d.score, ev[1].ratio, 1e-6);
    float lg[3];
    mhead_logits(h, z2, lg);
    double s = exp(lg[0]) + exp(lg[1]) + exp(lg[2]);
    assert_float_near(d.head_prob, exp(lg[1]) / s, 1e-5);
    mhead_destroy(h);
    memo_destroy(m);
}

static void head_keeps_the_radius_rule(void **state)
{
    (void)state;
    struct memo *m = three_classes(1.0f);
    struct mhead *h = prefers_b();
    struct memo_decision d;
    const float in_a[2] = {2.6f, 0.4f}, far[2] = {9, 9};

    memo_decide(m, in_a, &d);        /* only A holds it */
    assert_int_equal(d.cls, 0);
    mhead_choose(h, m, in_a, &d);
    assert_int_equal(d.cls, 0);
    assert_true(d.head_prob > 0 && d.head_prob < 1);
    memo_decide(m, far, &d);         /* unknown stays unknown */
    mhead_choose(h, m, far, &d);
    assert_int_equal(d.cls, -1);
    assert_true(isnan(d.head_prob));
    mhead_destroy(h);
    memo_destroy(m);
}

static void fitted_head_names_each_prototype(void **state)
{
    (void)state;
    struct memo *m = three_classes(1.0f);
    struct mhead *h = mhead_fit(m, 0.5f, MHEAD_STEPS);
    float lg[3];
    assert_non_null(h);
    assert_int_equal(h->n_classes, 3);
    for (size_t c = 0; c < 3; c++) {
        mhead_logits(h, m->cls[c].protos, lg);
        for (size_t k = 0; k < 3; k++)
            assert_true(k == c || lg[c] > lg[k]);
    }
    mhead_destroy(h);
    memo_destroy(m);
}

static void head_section_round_trip_and_damage(void **state)
{
    (void)state;
    struct memo *m = three_classes(1.0f);
    struct mhead *h = mhead_fit(m, 0.5f, 20);
    struct bytes_writer w;
    bytes_writer_init(&w);
    assert_int_equal(mhead_write(h, m, &w), 0);

    struct mhead *back = mhead_read(w.data, w.len, m, "t.model");
    assert_non_null(back);
    assert_memory_equal(back->w, h->w, 6 * sizeof(float));
    assert_memory_equal(back->b, h->b, 3 * sizeof(float));
    mhead_destroy(back);

    w.data[w.len - 10] ^= 0x40;      /* inside b: the CRC catches it */
    assert_null(mhead_read(w.data, w.len, m, "t.model"));
    assert_non_null(strstr(err_msg(), "t.model"));
    assert_non_null(strstr(err_msg(), "at byte"));
    w.data[w.len - 10] ^= 0x40;
    assert_null(mhead_read(w.data, w.len - 3, m, "t.model"));
    assert_null(mhead_read(w.data, 5, m, "t.model"));

    /* A head fitted for other classes is refused at the name. */
    free(m->cls[1].name);
    m->cls[1].name = strdup("C");
    assert_null(mhead_read(w.data, w.len, m, "t.model"));
    /* magic 8, encoder digest 33, dim 4, count 4, "A" (4 + 1): 54 */
    assert_non_null(strstr(err_msg(), "byte 54 "));
    bytes_writer_fini(&w);
    mhead_destroy(h);
    memo_destroy(m);
}

/* ---- CLI: a tiny fomaml model ---- */

TESTUTIL_MODEL_FIXTURE(testutil_train_small("mh", "SSH-Patator_2961",
                                             "Botnet_736", "--method fomaml "
                                             "--shot 5 --query 5 --episodes "
                                             "10 --hidden 16 --emb 8",
                                             model_path, sizeof(model_path),
                                             &last_out))

static size_t head_classes(const char *path)
{
    struct detector *d = detector_load(path, 1);
    assert_non_null(d);
    assert_non_null(d->head);
    size_t n = d->head->n_classes;
    assert_int_equal(n, d->memo->n_classes);
    detector_destroy(d);
    return n;
}

static void cli_head_follows_enrol_and_forget(void **state)
{
    (void)state;
    const char *bin = testutil_bin(), *dir = testutil_tmpdir();
    char hb[1024], m2[700], m3[700];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
        "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    snprintf(m2, sizeof(m2), "%s/mh-hb.model", dir);
    snprintf(m3, sizeof(m3), "%s/mh-back.model", dir);

    size_t n0 = head_classes(model_path);
    assert_int_equal(run_ok("%s -q enroll --model %s --name Heartbleed "
                            "--shot 5 --flows %s -o %s", bin, model_path,
                            hb, m2), 0);
    assert_int_equal(head_classes(m2), n0 + 1);
    /* Every known decision carries the head's probability, no unknown. */
    assert_int_equal(run_ok("%s -q detect --model %s --csv %s --all", bin,
                            m2, testutil_data_path(
                                "cic-ids2017-improved/Portscan_5000"
                                ".csv.xz")), 0);
    size_t known = 0;
    for (char *l = last_out; l && *l; ) {
        char *nl = strchr(l, '\n');
        assert_non_null(nl);
        *nl = '\0';
        int is_known = strstr(l, "\"known\":true") != NULL;
        known += is_known;
        assert_int_equal(is_known, strstr(l, "\"head_prob\":") != NULL);
        l = nl + 1;
    }
    assert_true(known > 0);
    assert_int_equal(run_ok("%s -q forget --model %s --name Heartbleed "
                            "-o %s", bin, m2, m3), 0);
    assert_int_equal(head_classes(m3), n0);
}

/* eval --openset decides with the head for a MAML-family model. */
static void cli_openset_uses_the_head(void **state)
{
    (void)state;
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 5 "
                            "--trials 1 --json", testutil_bin(),
                            model_path), 0);
    assert_non_null(strstr(last_out, "\"head\":true"));
    assert_non_null(strstr(last_out, "\"SSH-Patator\":{\"5\":{"));
    assert_int_equal(run_ok("%s -q eval --openset --model %s --shots 5 "
                            "--trials 1 --json --no-head", testutil_bin(),
                            model_path), 0);
    assert_non_null(strstr(last_out, "\"head\":false"));
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(head_decides_among_classes_that_hold_the_flow),
        cmocka_unit_test(head_keeps_the_radius_rule),
        cmocka_unit_test(fitted_head_names_each_prototype),
        cmocka_unit_test(head_section_round_trip_and_damage),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(cli_head_follows_enrol_and_forget),
        cmocka_unit_test(cli_openset_uses_the_head),
    };
    int rc = cmocka_run_group_tests(unit, NULL, NULL);
    return rc | cmocka_run_group_tests(cli, setup_model, teardown_model);
}
