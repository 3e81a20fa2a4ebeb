/*
 * Enrolment from few flows and its evaluation: the K-shot radius figures
 * the memory measures on known classes, the radius rules built on them,
 * their storage, where an enrolled class's errors go, classes enrolled
 * together, and the split that keeps encoder-seen rows out of the test.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/rng.h"
#include "fewflow/table.h"
#include "testutil.h"

static void gaussian(struct rng *r, float cx, float cy, float sd, size_t n,
                     float *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = cx + sd * rng_normal(r);
        out[2 * i + 1] = cy + sd * rng_normal(r);
    }
}

/* BENIGN N(0, I) and one attack class N((10, 10), I), 2000 fit and 2000
 * held-out rows each, one prototype per class, coverage 0.95 and K-shot
 * coverage kcov (0: the default). */
static struct memo *two_class_memory_at(float kcov)
{
    static float zf[4000 * 2], zc[4000 * 2];
    static int32_t yf[4000], yc[4000];
    const char *names[2] = { "BENIGN", "attack" };
    int benign[2] = { 1, 0 };
    struct memo_fit_opts o;
    struct rng r;

    rng_seed(&r, 11);
    gaussian(&r, 0, 0, 1, 2000, zf);
    gaussian(&r, 10, 10, 1, 2000, zf + 4000);
    gaussian(&r, 0, 0, 1, 2000, zc);
    gaussian(&r, 10, 10, 1, 2000, zc + 4000);
    for (int i = 0; i < 4000; i++)
        yf[i] = yc[i] = i < 2000 ? 0 : 1;
    struct memo_labelled fit = { zf, yf, 4000 }, cal = { zc, yc, 4000 };
    memo_fit_opts_default(&o);
    o.n_protos = 1;
    o.benign_protos = 1;
    o.coverage = 0.95f;
    if (kcov > 0)
        o.kshot_coverage = kcov;
    o.max_reservoir = 500;
    struct memo *m = memo_create(2, 0);
    assert_int_equal(memo_fit(m, names, 2, benign, &fit, &cal, NULL, &o), 0);
    return m;
}

static struct memo *two_class_memory(void)
{
    return two_class_memory_at(0.95f);
}

/*
 * For a 2-D standard normal class, the 0.95 quantile of a row's distance
 * to the nearest of K random rows of the class, averaged over supports,
 * is 3.20 (K = 1), 1.89 (K = 5) and 1.48 (K = 10): a separate Monte Carlo
 * with NumPy (4000 supports × 4000 rows). The memory averages 8 supports,
 * hence tolerances of about three standard errors.
 */
/*
 * The default K-shot coverage is 0.99 (chosen on the open-set folds) while
 * calibrated radii stay at 0.95. The same NumPy Monte Carlo at the 0.99
 * quantile gives 3.82 (K = 1), 2.47 (K = 5) and 2.03 (K = 10); at 0.95
 * the K = 5 and 10 figures (1.89, 1.48) are outside these tolerances.
 */
static void kshot_figures_follow_the_default_kshot_coverage(void **state)
{
    struct memo_fit_opts d;

    (void)state;
    memo_fit_opts_default(&d);
    struct memo *m = two_class_memory_at(0);
    assert_float_near(m->coverage, 0.95, 1e-6);
    assert_float_near(m->kshot_abs[1], 3.82, 0.7);
    assert_float_near(m->kshot_abs[5], 2.47, 0.35);
    assert_float_near(m->kshot_abs[10], 2.03, 0.3);
    memo_destroy(m);
    assert_float_near(d.kshot_coverage, 0.99, 1e-6);
    assert_float_near(d.coverage, 0.95, 1e-6);
}

static void kshot_figures_match_a_gaussian_reference(void **state)
{
    (void)state;
    struct memo *m = two_class_memory();
    assert_float_near(m->kshot_abs[1], 3.20, 0.6);
    assert_float_near(m->kshot_abs[5], 1.89, 0.25);
    assert_float_near(m->kshot_abs[10], 1.48, 0.2);
    assert_true(m->kshot_abs[1] > m->kshot_abs[5]);
    assert_true(m->kshot_abs[20] < m->kshot_abs[10]);
    assert_true(m->kshot_abs[0] == 0 && m->kshot_rel[1] == 0);
    /* quantile over the support's spread: 1.26 at K = 5 (heavy tail) */
    assert_true(m->kshot_rel[5] > 0.6f && m->kshot_rel[5] < 2.5f);
    memo_destroy(m);
}

/* Five support flows with a hand-computed spread: nearest-neighbour
 * distances 0.5, 0.5, 1, 1, 2 → median 1, spread 2. */
static const float five[10] = { 10, 10, 10, 10.5f, 11, 10, 12, 10,
                                9, 10 };

static void enrolled_radius_follows_the_rule(void **state)
{
    (void)state;
    struct memo *m = two_class_memory();
    struct memo_enroll_opts o;
    float a = m->kshot_abs[5], rel = m->kshot_rel[5] * 2.0f;

    memo_enroll_opts_default(&o);
    assert_int_equal(o.rule, MEMO_RADIUS_KSHOT_GEO);
    o.rule = MEMO_RADIUS_KSHOT;
    assert_float_near(memo_enroll_radius_rule(m, five, 5, &o), a, 1e-6);
    o.rule = MEMO_RADIUS_KSHOT_REL;
    assert_float_near(memo_enroll_radius_rule(m, five, 5, &o), rel, 1e-5);
    o.rule = MEMO_RADIUS_KSHOT_GEO;
    assert_float_near(memo_enroll_radius_rule(m, five, 5, &o),
                      sqrt((double)a * rel), 1e-5);
    o.rule = MEMO_RADIUS_PRIOR;
    assert_float_near(memo_enroll_radius_rule(m, five, 5, &o),
                      memo_enroll_radius(m, five, 5, o.prior_weight), 1e-6);
    /* one flow has no spread: rel falls back to the K = 1 figure */
    o.rule = MEMO_RADIUS_KSHOT_REL;
    assert_float_near(memo_enroll_radius_rule(m, five, 1, &o),
                      m->kshot_abs[1], 1e-6);
    o.rule = MEMO_RADIUS_KSHOT;
    assert_true(memo_enroll(m, "new", five, 5, NULL, &o) >= 0);
    assert_float_near(m->cls[memo_class_find(m, "new")].radius, a, 1e-6);
    /* without figures (a memory from before them) the prior rule holds */
    memset(m->kshot_abs, 0, sizeof(m->kshot_abs));
    memset(m->kshot_rel, 0, sizeof(m->kshot_rel));
    assert_float_near(memo_enroll_radius_rule(m, five, 5, &o),
                      memo_enroll_radius(m, five, 5, o.prior_weight), 1e-6);
    memo_destroy(m);
}

/*
 * 39 copies of one flow get the K-shot radius; 40 or more are calibrated,
 * and their held-out copies all sit on the prototype. The calibrated
 * radius must not fall below what the rule gives 39 of the same flows
 * (it was 0: only exact copies matched). A benign class likewise keeps
 * its small-K radius, and a class that does spread keeps radii of its own
 * at least as wide.
 */
static void many_copies_keep_the_kshot_radius(void **state)
{
    (void)state;
    static float z[200 * 2];
    struct memo *m = two_class_memory();
    struct memo_enroll_opts o;
    struct rng r;

    memo_enroll_opts_default(&o);
    for (int i = 0; i < 200; i++) {
        z[2 * i] = -10;
        z[2 * i + 1] = 10;
    }
    float want = memo_enroll_radius_rule(m, z, MEMO_ENROLL_CALIBRATE - 1,
                                         &o);
    assert_float_near(want, m->kshot_abs[MEMO_ENROLL_CALIBRATE - 1], 1e-6);
    assert_true(want > 0.5f);
    const size_t ks[3] = { MEMO_ENROLL_CALIBRATE - 1,
                           MEMO_ENROLL_CALIBRATE, 200 };
    const char *names[3] = { "c39", "c40", "c200" };
    for (int t = 0; t < 3; t++) {
        assert_int_equal(memo_enroll(m, names[t], z, ks[t], NULL, &o), 0);
        const struct memo_class *c = &m->cls[memo_class_find(m, names[t])];
        for (uint32_t p = 0; p < c->n_protos; p++)
            assert_float_near(c->radii[p], want, 1e-6);
    }
    o.is_benign = 1;
    assert_int_equal(memo_enroll(m, "b39", z, 39, NULL, &o), 0);
    assert_int_equal(memo_enroll(m, "b60", z, 60, NULL, &o), 0);
    float b39 = m->cls[memo_class_find(m, "b39")].radius;
    assert_true(b39 > 0);
    assert_float_near(m->cls[memo_class_find(m, "b60")].radius, b39, 1e-6);
    o.is_benign = 0;
    rng_seed(&r, 3);
    gaussian(&r, 20, -20, 2, 200, z);
    assert_int_equal(memo_enroll(m, "wide", z, 200, NULL, &o), 0);
    const struct memo_class *w = &m->cls[memo_class_find(m, "wide")];
    assert_int_equal(w->n_calib, 100);
    for (uint32_t p = 0; p < w->n_protos; p++)
        assert_true(w->radii[p] >= want - 1e-6f);
    memo_destroy(m);
}

/* Version 2 keeps the figures; a version-1 section (no figures, made by
 * cutting them off and fixing version and checksum) is still read. */
static void kshot_figures_are_stored_and_old_memories_read(void **state)
{
    (void)state;
    struct memo *m = two_class_memory();
    struct bytes_writer w;
    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    struct memo *back = memo_read(w.data, w.len, "t.model");
    assert_non_null(back);
    assert_memory_equal(back->kshot_abs, m->kshot_abs,
                        sizeof(m->kshot_abs));
    assert_memory_equal(back->kshot_rel, m->kshot_rel,
                        sizeof(m->kshot_rel));
    memo_destroy(back);

    /* Version 3's encoder digest (33 bytes from offset 16) goes too. */
    size_t tail = 4 + 2 * MEMO_ENROLL_CALIBRATE * 4;
    size_t n1 = w.len - 4 - tail - 33;
    uint8_t *v1 = malloc(n1 + 4);
    memcpy(v1, w.data, 16);
    memcpy(v1 + 16, w.data + 16 + 33, n1 - 16);
    v1[6] = 1;
    v1[7] = 0;
    uint32_t crc = bytes_crc32(0, v1, n1);
    for (int i = 0; i < 4; i++)
        v1[n1 + i] = (uint8_t)(crc >> (8 * i));
    back = memo_read(v1, n1 + 4, "old.model");
    assert_non_null(back);
    assert_int_equal(back->n_classes, m->n_classes);
    assert_true(back->kshot_abs[5] == 0 && back->kshot_rel[5] == 0);
    memo_destroy(back);
    /* a future version is refused */
    w.data[6] = 4;
    assert_null(memo_read(w.data, w.len, "t.model"));
    free(v1);
    bytes_writer_fini(&w);
    memo_destroy(m);
}

enum { N = 300 };

/* Test ids: 0 BENIGN, 1 attack (known), 2 and 3 novel and overlapping
 * (centres 1.2 apart, sd 0.7), 4 novel and far from everything. */
static void overlapping_novel(float *z, int32_t *y)
{
    struct rng r;
    rng_seed(&r, 5);
    gaussian(&r, 0, 0, 1, N, z);
    gaussian(&r, 10, 10, 1, N, z + 2 * N);
    gaussian(&r, -12, 8, 0.7f, N, z + 4 * N);
    gaussian(&r, -12, 9.2f, 0.7f, N, z + 6 * N);
    gaussian(&r, 12, -9, 0.7f, N, z + 8 * N);
    for (int i = 0; i < 5 * N; i++)
        y[i] = i / N;
}

/* Recall and the missed fractions sum to one; precision and the false
 * fractions too, except in trials where the class took no row at all
 * (all three are 0 there), so their mean is at most one. */
static void cell_sums_are_one(const struct openset_cell *c, int all_took)
{
    double miss = 0;
    for (int k = 0; k < OPENSET_MISS_KINDS; k++)
        miss += c->missed[k];
    assert_float_near(c->recall + miss, 1.0, 1e-9);
    double took = c->precision + c->false_novel + c->false_known;
    if (all_took)
        assert_float_near(took, 1.0, 1e-9);
    else
        assert_true(took <= 1.0 + 1e-9);
}

/* Alone, an overlapping novel class takes its neighbour's rows (false
 * alarms from novel rows, none of its misses to another enrolled class);
 * together, the two compete: misses to the other class appear and
 * precision rises. The far class is unaffected. */
static void enrolment_alone_and_together(void **state)
{
    (void)state;
    static float z[5 * N * 2];
    static int32_t y[5 * N];
    struct memo *m = two_class_memory();
    int32_t known_of[5] = { memo_class_find(m, "BENIGN"),
                            memo_class_find(m, "attack"), -1, -1, -1 };
    struct openset_opts o;
    struct openset_report alone, both;

    overlapping_novel(z, y);
    struct memo_labelled t = { z, y, 5 * N };
    openset_opts_default(&o);
    o.trials = 3;
    assert_int_equal(openset_eval(m, &t, known_of, 5, &o, &alone), 0);
    o.together = 1;
    assert_int_equal(openset_eval(m, &t, known_of, 5, &o, &both), 0);
    assert_int_equal(m->n_classes, 2);
    assert_int_equal(alone.n_novel, 3);
    for (size_t c = 0; c < 3 * alone.n_shots; c++) {
        cell_sums_are_one(&alone.cells[c], 1);
        cell_sums_are_one(&both.cells[c], 1);
        assert_true(alone.cells[c].missed[OPENSET_MISS_ENROLLED] == 0);
    }
    const struct openset_cell *a = &alone.cells[1], *b = &both.cells[1];
    assert_true(a->false_novel > 0.1);
    assert_true(b->missed[OPENSET_MISS_ENROLLED] > 0.05);
    assert_true(b->precision > a->precision + 0.05);
    /* the same supports were drawn: the far class scores identically */
    assert_float_near(alone.cells[2 * alone.n_shots + 1].recall,
                      both.cells[2 * both.n_shots + 1].recall, 1e-12);
    assert_float_near(alone.recall[1], a->recall, 1e-12);
    /* the spread over draws: zero where every draw gives the same
     * figure, positive for the overlapping pair */
    assert_true(a->precision_sd > 0.001 && a->precision_sd < 0.5);
    assert_true(both.cells[2 * both.n_shots + 1].precision_sd < 1e-9);
    /* With an adapted head choosing among the classes that hold a row:
     * the same bookkeeping, and a head never turns unknown into a class,
     * so the far class (nothing else near) scores as without it. */
    struct openset_report head;
    o.head_lr = 0.1f;
    assert_int_equal(openset_eval(m, &t, known_of, 5, &o, &head), 0);
    for (size_t c = 0; c < 3 * head.n_shots; c++)
        cell_sums_are_one(&head.cells[c], 0);
    assert_float_near(head.cells[2 * head.n_shots + 1].recall,
                      both.cells[2 * both.n_shots + 1].recall, 1e-12);
    assert_int_equal(m->n_classes, 2);
    openset_report_fini(&head);
    openset_report_fini(&alone);
    openset_report_fini(&both);
    memo_destroy(m);
}

/* Held rows become the test rows; the others split 75/25. */
static void held_rows_are_the_test_rows(void **state)
{
    (void)state;
    const char *cols[1] = { "x" };
    struct table *t = table_create(1, cols);
    uint8_t held[200];
    struct detector_split sp;
    const char *keep[2] = { "a", "b" };

    for (int i = 0; i < 200; i++) {
        float v = (float)i;
        assert_int_equal(table_append(t, &v, i % 2 ? "b" : "a"), 0);
        held[i] = i % 5 == 0;
    }
    assert_int_equal(detector_split_rows_held(t, keep, 2, held, 0.75, 1,
                                              &sp), 0);
    assert_int_equal(sp.n_test, 40);
    assert_int_equal(sp.n_fit + sp.n_calib, 160);
    assert_int_equal(sp.n_fit, 120);
    for (size_t i = 0; i < sp.n_test; i++)
        assert_true(held[sp.test[i]]);
    for (size_t i = 0; i < sp.n_fit; i++)
        assert_false(held[sp.fit[i]]);
    for (size_t i = 0; i < sp.n_calib; i++)
        assert_false(held[sp.calib[i]]);
    detector_split_fini(&sp);
    table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kshot_figures_match_a_gaussian_reference),
        cmocka_unit_test(kshot_figures_follow_the_default_kshot_coverage),
        cmocka_unit_test(enrolled_radius_follows_the_rule),
        cmocka_unit_test(many_copies_keep_the_kshot_radius),
        cmocka_unit_test(kshot_figures_are_stored_and_old_memories_read),
        cmocka_unit_test(enrolment_alone_and_together),
        cmocka_unit_test(held_rows_are_the_test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
