/*
 * Detect module tests: class memory decisions, calibration, enrolment,
 * serialisation, open-set reports, alert JSON in the EVE shape. Every
 * figure is small enough to check by hand.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/alert.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"
#include "testutil.h"
#include "jsoncheck.h"

/* Two classes on a line, 2-D embeddings: every figure is checkable by hand. */
static struct memo *two_classes(float ra, float rb)
{
    struct memo *m = memo_create(2, 0);
    float a[2] = { 0, 0 }, b[2] = { 3, 0 };
    assert_non_null(m);
    assert_int_equal(memo_class_add(m, "A", 0, a, 1, ra, NULL), 0);
    assert_int_equal(memo_class_add(m, "B", MEMO_CLASS_BENIGN, b, 1, rb,
                                    NULL), 1);
    return m;
}

static void decision_takes_nearest_class_inside_its_radius(void **state)
{
    struct memo *m = two_classes(1, 1);
    struct memo_decision d;
    float inside_a[2] = { 0.5f, 0 }, between[2] = { 1.6f, 0 };

    memo_decide(m, inside_a, &d);
    assert_int_equal(d.cls, 0);
    assert_float_near(d.dist, 0.5, 1e-6);
    assert_float_near(d.score, 0.5, 1e-6);
    assert_int_equal(d.n_near, 2);
    assert_int_equal(d.near[1].cls, 1);
    assert_float_near(d.near[1].dist, 2.5, 1e-6);

    /* Outside both radii: unknown; the score is the smallest d/r, 1.4. */
    memo_decide(m, between, &d);
    assert_int_equal(d.cls, -1);
    assert_float_near(d.score, 1.4, 1e-6);
    assert_int_equal(d.near[0].cls, 1);
    memo_destroy(m);

    /* Inside the broad benign class B but nearer to attack class A (outside
     * A's radius 1): unknown, not benign. */
    m = two_classes(1, 10);
    float near_a[2] = { 1.3f, 0 };
    memo_decide(m, near_a, &d);
    assert_int_equal(d.cls, -1);
    assert_float_near(d.score, 1.3, 1e-6);   /* described by A, not B */
    assert_float_near(d.radius, 1.0, 1e-6);
    float near_b[2] = { 1.6f, 0 };
    memo_decide(m, near_b, &d);
    assert_int_equal(d.cls, 1);
    memo_destroy(m);

    /* Overlapping radii: both contain z; the nearer one (A, 1.4) wins. */
    m = two_classes(2, 2);
    float overlap[2] = { 1.4f, 0 };
    memo_decide(m, overlap, &d);
    assert_int_equal(d.cls, 0);
    assert_float_near(d.score, 0.7, 1e-6);
    memo_destroy(m);
}

static void several_prototypes_use_the_nearest(void **state)
{
    struct memo *m = memo_create(2, 0);
    float p[4] = { 0, 0, 10, 0 };
    struct memo_decision d;
    float z[2] = { 9, 0 };

    assert_int_equal(memo_class_add(m, "multi", 0, p, 2, 1.5f, NULL), 0);
    memo_decide(m, z, &d);
    assert_int_equal(d.cls, 0);
    assert_float_near(d.dist, 1.0, 1e-6);
    memo_destroy(m);
}

/* A flow near a tight prototype but outside every radius must not be
 * reported with a distance that looks inside the radius shown. */
static void unknown_reports_distance_and_radius_of_one_prototype(void **state)
{
    struct memo *m = memo_create(2, 0);
    float p[4] = { 0, 0, 3, 0 };
    float radii[2] = { 0.5f, 2.5f };
    float z[2] = { -1, 0 };
    struct memo_decision d;

    assert_int_equal(memo_class_add(m, "two", 0, p, 2, 1.0f, NULL), 0);
    memo_class_set_radii(m, 0, radii);
    memo_decide(m, z, &d);
    assert_int_equal(d.cls, -1);
    assert_float_near(d.radius, 2.5, 1e-6);
    assert_float_near(d.dist, 4.0, 1e-5);
    assert_true(d.dist > d.radius);
    assert_float_near(d.near[0].dist, 1.0, 1e-6);
    memo_destroy(m);
}

static void batch_decisions_match_single_ones(void **state)
{
    struct rng r;
    struct memo *m = memo_create(8, 0);
    float p[3 * 8], z[50 * 8];

    rng_seed(&r, 7);
    for (int c = 0; c < 4; c++) {
        char name[8];
        for (int i = 0; i < 3 * 8; i++)
            p[i] = rng_normal(&r) * 2;
        snprintf(name, sizeof(name), "c%d", c);
        assert_true(memo_class_add(m, name, c == 0 ? MEMO_CLASS_BENIGN : 0,
                                   p, 1 + (uint32_t)c % 3, 2.5f, NULL) >= 0);
    }
    for (int i = 0; i < 50 * 8; i++)
        z[i] = rng_normal(&r) * 2;
    float *scratch = malloc(memo_batch_scratch(m, 50) * sizeof(float));
    struct memo_decision batch[50], one;
    memo_decide_batch(m, z, 50, scratch, batch);
    for (int i = 0; i < 50; i++) {
        memo_decide(m, z + i * 8, &one);
        assert_int_equal(batch[i].cls, one.cls);
        assert_float_near(batch[i].dist, one.dist, 1e-4);
        assert_int_equal(batch[i].near[0].cls, one.near[0].cls);
    }
    free(scratch);
    memo_destroy(m);
}

static void quantile_interpolates(void **state)
{
    float v[4] = { 4, 1, 3, 2 };
    assert_float_near(memo_quantile(v, 4, 0.5f), 2.5, 1e-6);
    assert_float_near(memo_quantile(v, 4, 1.0f), 4, 1e-6);
    assert_float_near(memo_quantile(v, 4, 0.0f), 1, 1e-6);
    float w[5] = { 0, 10, 20, 30, 40 };
    assert_float_near(memo_quantile(w, 5, 0.9f), 36, 1e-5);
}

static void kmeans_finds_separated_clusters(void **state)
{
    float z[8 * 2] = { 0, 0, 0, 1, 1, 0, 1, 1,
                       10, 10, 10, 11, 11, 10, 11, 11 };
    float c[3 * 2];
    assert_int_equal(memo_kmeans(z, 8, 2, 2, 3, c), 2);
    float lo = c[0] < c[2] ? 0 : 2, hi = 2 - lo;
    assert_float_near(c[(int)lo], 0.5, 1e-6);
    assert_float_near(c[(int)lo + 1], 0.5, 1e-6);
    assert_float_near(c[(int)hi], 10.5, 1e-6);
    /* Fewer distinct rows than k: no empty duplicate centres. */
    float same[3 * 2] = { 1, 1, 1, 1, 1, 1 };
    assert_int_equal(memo_kmeans(same, 3, 2, 3, 1, c), 1);
}

/* n rows of N(centre, sd²) in 2-D. */
static void gaussian(struct rng *r, float cx, float cy, float sd, size_t n,
                     float *z)
{
    for (size_t i = 0; i < n; i++) {
        z[2 * i] = cx + sd * rng_normal(r);
        z[2 * i + 1] = cy + sd * rng_normal(r);
    }
}

/* Benign N(0, I) and attack N((10,10), I), 2000 rows each, half to fit and
 * half to calibrate; labels 0 = BENIGN, 1 = attack. */
static struct memo *fitted_memory(float target, float coverage)
{
    static float z[8000 * 2];
    static int32_t y[8000];
    struct rng r;
    const char *names[2] = { "BENIGN", "attack" };
    int benign[2] = { 1, 0 };
    struct memo_fit_opts o;

    rng_seed(&r, 11);
    gaussian(&r, 0, 0, 1, 4000, z);
    gaussian(&r, 10, 10, 1, 4000, z + 8000);
    for (int i = 0; i < 8000; i++)
        y[i] = i < 4000 ? 0 : 1;
    /* interleave: even rows fit, odd rows calibrate */
    static float zf[4000 * 2], zc[4000 * 2];
    static int32_t yf[4000], yc[4000];
    for (int i = 0; i < 4000; i++) {
        memcpy(zf + 2 * i, z + 4 * i, 2 * sizeof(float));
        memcpy(zc + 2 * i, z + 4 * i + 2, 2 * sizeof(float));
        yf[i] = y[2 * i];
        yc[i] = y[2 * i + 1];
    }
    struct memo_labelled fit = { zf, yf, 4000 }, cal = { zc, yc, 4000 };
    memo_fit_opts_default(&o);
    o.n_protos = 1;
    o.benign_protos = 1;
    o.coverage = coverage;
    o.benign_fpr = target;
    o.max_reservoir = 1000;
    struct memo *m = memo_create(2, 0);
    assert_int_equal(memo_fit(m, names, 2, benign, &fit, &cal, NULL, &o), 0);
    return m;
}

static void calibration_meets_the_benign_target(void **state)
{
    struct memo *m = fitted_memory(0.05f, 0.9f);
    int32_t a = memo_class_find(m, "attack"), b = memo_class_find(m, "BENIGN");

    /* The 0.9 quantile of a 2-D standard normal's radius is
     * sqrt(-2 ln 0.1) = 2.146; 2000 held-out rows pin it to a few %. */
    assert_float_near(m->cls[a].radius, 2.146, 0.12);
    assert_int_equal(m->cls[a].n_calib, 2000);
    assert_true(m->cls[b].flags & MEMO_CLASS_BENIGN);
    /* The 5% target bounds the one-sided 95% Wilson upper limit: on
     * 1,000 rows 38 alerts give 4.93% and 39 give 5.04%, so the rate is
     * 3.8% and the radius the 0.962 quantile, sqrt(-2 ln 0.038). */
    assert_float_near(m->cls[b].radius, 2.557, 0.15);
    assert_true(m->benign_fpr <= 0.038f + 1e-6);
    assert_true(m->benign_fpr >= 0.036f);
    assert_int_equal(m->n_reservoir, 1000);
    memo_destroy(m);
}

/* A class with two modes of different spread: each prototype's radius
 * follows its own mode. For 2-D normal rows of spread s the distance is
 * Rayleigh: median 1.1774 s, 0.9 quantile 2.146 s, so both radii are the
 * 0.9 quantile of their mode: 2.146 and 6.438. */
static void prototype_radii_follow_their_mode(void **state)
{
    static float z[4000 * 2];
    static int32_t y[4000];
    struct rng r;
    const char *names[1] = { "two-modes" };
    int benign[1] = { 0 };
    struct memo_fit_opts o;

    rng_seed(&r, 21);
    for (int half = 0; half < 2; half++) {
        gaussian(&r, 0, 0, 1, 1000, z + half * 4000);
        gaussian(&r, 20, 0, 3, 1000, z + half * 4000 + 2000);
    }
    struct memo_labelled fit = { z, y, 2000 }, cal = { z + 4000, y, 2000 };
    memo_fit_opts_default(&o);
    o.n_protos = 2;
    o.coverage = 0.9f;
    struct memo *m = memo_create(2, 0);
    assert_int_equal(memo_fit(m, names, 1, benign, &fit, &cal, NULL, &o), 0);
    const struct memo_class *c = &m->cls[0];
    int narrow = c->protos[0] < 10 ? 0 : 1;
    assert_float_near(c->radii[narrow], 2.146, 0.15);
    assert_float_near(c->radii[1 - narrow], 6.438, 0.45);
    assert_float_near(c->tail, 2.146 / 1.1774, 0.1);
    memo_destroy(m);
}

/* A class nearer than benign to some benign rows makes them alert
 * whatever its radius; calibration reports the rate as it is. */
static void classes_on_benign_ground_raise_the_rate(void **state)
{
    struct memo *m = fitted_memory(0.02f, 0.9f);
    float before = m->benign_fpr;
    float p[2] = { 0.5f, 0 };
    int idx = memo_class_add(m, "mimic", 0, p, 1, 0.01f, NULL);
    assert_true(idx >= 0);
    /* Rows with x > 0.25 are nearer to it: about 40% of N(0, 1). */
    float rate = memo_benign_fpr(m);
    assert_float_near(rate, 0.40, 0.06);
    assert_int_equal(memo_calibrate_benign(m, 0.02f), 0);
    assert_float_near(m->benign_fpr, rate, 0.02);
    assert_true(m->benign_fpr > before);
    memo_destroy(m);
}

static void enrol_radius_rule_by_hand(void **state)
{
    struct memo *m = two_classes(2, 4);
    m->cls[0].n_calib = 100;  /* A is calibrated: prior = 2 */
    float one[2] = { 7, 7 };
    assert_float_near(memo_enroll_radius(m, one, 1, 2), 2.0, 1e-6);

    /* Three collinear points 1 apart: nearest-other distances 1, 1, 1;
     * r_loo = 1 · (3+1)/(3-1) = 2; pooled (3·2 + 2·2)/5 = 2. */
    float three[6] = { 0, 10, 1, 10, 2, 10 };
    assert_float_near(memo_enroll_radius(m, three, 3, 2), 2.0, 1e-6);
    /* Points 3 apart: r_loo = 6; pooled (3·6 + 2·2)/5 = 4.4. */
    float wide[6] = { 0, 10, 3, 10, 6, 10 };
    assert_float_near(memo_enroll_radius(m, wide, 3, 2), 4.4, 1e-5);
    /* No prior and one flow: half the distance to the nearest prototype. */
    m->cls[0].n_calib = 0;
    float lone[2] = { 0, 4 };
    assert_float_near(memo_enroll_radius(m, lone, 1, 2), 2.0, 1e-6);
    memo_destroy(m);
}

static void enrol_then_forget(void **state)
{
    struct memo *m = fitted_memory(0.05f, 0.9f);
    struct memo_enroll_opts o;
    struct rng r;
    float sup[5 * 2], probe[2] = { -10, 10 };
    struct memo_decision d;

    memo_enroll_opts_default(&o);
    rng_seed(&r, 3);
    gaussian(&r, -10, 10, 0.5f, 5, sup);
    memo_decide(m, probe, &d);
    assert_int_equal(d.cls, -1);
    float before = m->benign_fpr;
    assert_int_equal(memo_enroll(m, "novel", sup, 5, NULL, &o), 0);
    int32_t c = memo_class_find(m, "novel");
    assert_true(c >= 0);
    assert_true(m->cls[c].flags & MEMO_CLASS_ENROLLED);
    assert_int_equal(m->cls[c].n_protos, 5);
    assert_int_equal(m->cls[c].n_support, 5);
    memo_decide(m, probe, &d);
    assert_int_equal(d.cls, c);
    assert_float_near(m->benign_fpr, before, 1e-6);
    assert_int_equal(memo_enroll(m, "novel", sup, 5, NULL, &o),
                     ERR_INVALID);
    assert_int_equal(memo_class_forget(m, "novel"), 0);
    assert_int_equal(memo_class_forget(m, "novel"), ERR_NOTFOUND);
    memo_decide(m, probe, &d);
    assert_int_equal(d.cls, -1);
    memo_destroy(m);
}

/* A benign class from one flow must not borrow the attack prior: its
 * radius is twice the median nearest-neighbour distance of the stored
 * benign rows (for 512 points of a 2-D standard normal about 0.1), far
 * below the attack class's radius (about 2.1). */
static void few_flow_benign_enrolment_stays_tight(void **state)
{
    struct memo *m = fitted_memory(0.05f, 0.9f);
    struct memo_enroll_opts o;
    float one[2] = { 3, 3 };

    memo_enroll_opts_default(&o);
    o.rule = MEMO_RADIUS_PRIOR;
    assert_int_equal(memo_enroll(m, "attack-like", one, 1, NULL, &o), 0);
    float attack = m->cls[memo_class_find(m, "attack-like")].radius;
    assert_float_near(attack, m->cls[memo_class_find(m, "attack")].radius,
                      1e-5);
    o.is_benign = 1;
    assert_int_equal(memo_enroll(m, "local", one, 1, NULL, &o), 0);
    const struct memo_class *c = &m->cls[memo_class_find(m, "local")];
    assert_true(c->flags & MEMO_CLASS_BENIGN);
    assert_true(c->radius > 0.02f && c->radius < 0.3f);
    assert_true(c->radius < attack / 5);
    memo_destroy(m);
}

static void memory_round_trip_and_damage(void **state)
{
    struct memo *m = fitted_memory(0.05f, 0.9f);
    struct bytes_writer w;

    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    struct memo *back = memo_read(w.data, w.len, "t.model");
    assert_non_null(back);
    assert_int_equal(back->n_classes, m->n_classes);
    assert_int_equal(back->n_reservoir, m->n_reservoir);
    assert_true(back->cls[1].radius == m->cls[1].radius);
    assert_memory_equal(back->cls[0].protos, m->cls[0].protos,
                        m->cls[0].n_protos * 2 * sizeof(float));
    assert_true(back->benign_fpr == m->benign_fpr);
    memo_destroy(back);

    w.data[40] ^= 0x10;   /* one flipped bit */
    assert_null(memo_read(w.data, w.len, "t.model"));
    assert_int_equal(err_last(), ERR_CHECKSUM);
    assert_non_null(strstr(err_msg(), "t.model"));
    w.data[40] ^= 0x10;
    assert_null(memo_read(w.data, w.len - 9, "t.model"));
    assert_null(memo_read("FFMEMX\1\0", 8, "t.model"));
    assert_int_equal(err_last(), ERR_FORMAT);
    for (size_t cut = 0; cut < 64; cut++)
        assert_null(memo_read(w.data, cut, "t.model"));
    bytes_writer_fini(&w);
    memo_destroy(m);
}

/* A forged class count with a valid checksum must be refused, not trusted. */
static void forged_sizes_are_refused(void **state)
{
    struct memo *m = two_classes(1, 1);
    struct bytes_writer w;

    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    /* n_protos of class A sits after magic 8, dim 4, n_in 4, encoder
     * 1 + 32, 3 floats, count 4, name (4 + 1), flags 4: offset 74. */
    w.data[74] = 0xff;
    w.data[75] = 0xff;
    w.len -= 4;
    bytes_put_u32(&w, bytes_crc32(0, w.data, w.len));
    assert_null(memo_read(w.data, w.len, "f.model"));
    assert_int_equal(err_last(), ERR_PARSE);
    /* Relative to the section, and said so: the file offset differs. */
    assert_non_null(strstr(err_msg(), " of the MEMO section"));
    bytes_writer_fini(&w);
    memo_destroy(m);
}

static void json_strings_are_escaped(void **state)
{
    struct alert_buf b;
    alert_buf_init(&b);
    alert_buf_json_str(&b, "a\"b\\c\nd\x01" "e\xff" "f\xc3\xa9" "\t");
    assert_string_equal(b.data,
                        "\"a\\\"b\\\\c\\nd\\u0001e\\ufffdf\xc3\xa9\\t\"");
    alert_buf_reset(&b);
    /* overlong '/' and a lone surrogate are not valid UTF-8 */
    alert_buf_json_str(&b, "\xc0\xaf|\xed\xa0\x80");
    assert_string_equal(b.data,
                        "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\"");
    alert_buf_reset(&b);
    alert_buf_json_num(&b, NAN);
    alert_buf_json_num(&b, 0.25);
    assert_string_equal(b.data, "null0.25");
    alert_buf_fini(&b);
}

static void timestamps_have_microseconds_and_offset(void **state)
{
    char ts[40];
    alert_format_time(1499169600.000001, ts, sizeof(ts));
    assert_string_equal(ts, "2017-07-04T12:00:00.000001+0000");
    alert_format_time(1499169600.9999996, ts, sizeof(ts));
    assert_string_equal(ts, "2017-07-04T12:00:01.000000+0000");
}


static int ident_embed(void *ctx, const float *x, size_t n, float *z)
{
    memcpy(z, x, n * 2 * sizeof(float));
    return 0;
}

static double ident_inverse(void *ctx, uint32_t col, float v)
{
    return v * 10.0 + 5.0;
}

static const char *const toy_cols[2] = { "dst_port", "flow_duration" };

static struct detect_encoder toy_encoder(void)
{
    struct detect_encoder e = { NULL, 2, 2, toy_cols, ident_embed,
                                ident_inverse };
    return e;
}

static void explanation_by_occlusion(void **state)
{
    struct memo *m = memo_create(2, 2);
    float p[2] = { 1, 1 }, xm[2] = { 1, 1 }, x[2] = { 1, 0.2f };
    struct detect_encoder e = toy_encoder();
    struct alert_explain ex;
    struct memo_decision d;

    memo_class_add(m, "A", 0, p, 1, 2, xm);
    memo_decide(m, x, &d);
    float *scratch = malloc(alert_explain_scratch(&e) * sizeof(float));
    assert_int_equal(alert_explain(&e, m, x, &d, 3, scratch, &ex), 0);
    /* d0 = 0.8; feature 0 reset: |(0,0.2)-(1,1)| = 1.2806 → +0.4806;
     * feature 1 reset: |(1,0)-(1,1)| = 1 → +0.2. */
    assert_int_equal(ex.toward, 1);
    assert_int_equal(ex.n_pulls, 2);
    assert_int_equal(ex.pulls[0].col, 0);
    assert_float_near(ex.pulls[0].effect, 0.48062, 1e-4);
    assert_float_near(ex.pulls[0].value, 15.0, 1e-5);
    assert_float_near(ex.pulls[0].class_value, 15.0, 1e-5);
    assert_float_near(ex.pulls[1].effect, 0.2, 1e-5);
    assert_float_near(ex.pulls[1].value, 7.0, 1e-5);

    /* An unknown flow: features that push it away from the nearest. */
    float far[2] = { 1, 5 };
    memo_decide(m, far, &d);
    assert_int_equal(d.cls, -1);
    assert_int_equal(alert_explain(&e, m, far, &d, 3, scratch, &ex), 0);
    assert_int_equal(ex.toward, 0);
    assert_int_equal(ex.n_pulls, 1);
    assert_int_equal(ex.pulls[0].col, 1);
    assert_float_near(ex.pulls[0].effect, 1.0 - 4.0, 1e-5);
    free(scratch);
    memo_destroy(m);
}

static void alert_line_has_the_eve_shape(void **state)
{
    struct memo *m = memo_create(2, 2);
    float p[2] = { 1, 1 }, x[2] = { 1, 0.2f };
    struct detect_encoder e = toy_encoder();
    struct alert_flow f = { 0 };
    struct alert_explain ex;
    struct memo_decision d;
    struct alert_buf b;

    memo_class_add(m, "SSH \"Patator\"", 0, p, 1, 2, p);
    memo_decide(m, x, &d);
    float *scratch = malloc(alert_explain_scratch(&e) * sizeof(float));
    alert_explain(&e, m, x, &d, 3, scratch, &ex);
    snprintf(f.src_ip, sizeof(f.src_ip), "192.168.10.5");
    snprintf(f.dest_ip, sizeof(f.dest_ip), "fe80::1");
    f.src_port = 50096;
    f.dest_port = 22;
    f.proto = 6;
    f.first_s = 1499169600.5;
    f.last_s = 1499169601.25;
    f.flow_id = alert_flow_hash(&f);
    alert_buf_init(&b);
    alert_format(&b, &f, m, &d, &ex, &e);
    assert_true(json_line_ok(b.data));
    assert_true(strncmp(b.data, "{\"timestamp\":\"2017-07-04T12:00:01."
                        "250000+0000\",\"flow_id\":", 55) == 0);
    assert_non_null(strstr(b.data, "\"event_type\":\"alert\",\"src_ip\":"
                           "\"192.168.10.5\",\"src_port\":50096,\"dest_ip\":"
                           "\"fe80::1\",\"dest_port\":22,\"proto\":\"TCP\""));
    assert_non_null(strstr(b.data, "\"severity\":1}"));
    assert_non_null(strstr(b.data, "\"signature\":\"FEWFLOW attack flow: "
                           "inside class SSH \\\"Patator\\\"\""));
    assert_non_null(strstr(b.data, "\"fewflow\":{\"class\":\"SSH "
                           "\\\"Patator\\\"\",\"known\":true"));
    assert_non_null(strstr(b.data, "\"features\":[{\"name\":\"dst_port\","
                           "\"value\":15,"));
    assert_true(f.flow_id < (1ULL << 52));
    assert_non_null(strstr(b.data, "\"nearest\":[{\"class\":\"SSH "
                           "\\\"Patator\\\"\",\"distance\":0.8,\"score\":0.4,"
                           "\"inside\":true}]"));

    float far[2] = { 9, 9 };
    memo_decide(m, far, &d);
    alert_buf_reset(&b);
    alert_format(&b, &f, m, &d, NULL, &e);
    assert_true(json_line_ok(b.data));
    assert_non_null(strstr(b.data, "\"class\":\"unknown\",\"known\":false"));
    assert_non_null(strstr(b.data, "\"severity\":2}"));
    assert_non_null(strstr(b.data, "\"inside\":false}]"));
    alert_buf_fini(&b);
    free(scratch);
    memo_destroy(m);
}

/* An unknown flow that a benign radius holds (refused because an attack
 * class is nearer, or by the flow-kind rule) must not be signed "outside
 * every class radius": its nearest list shows benign inside. */
static void unknown_inside_benign_is_not_signed_outside(void **state)
{
    struct memo *m = two_classes(1, 10);
    struct detect_encoder e = toy_encoder();
    struct alert_flow f = { 0 };
    struct memo_decision d;
    struct alert_buf b;
    float near_a[2] = { 1.3f, 0 }, far[2] = { 20, 0 };

    (void)state;
    alert_buf_init(&b);
    memo_decide(m, near_a, &d);
    assert_int_equal(d.cls, -1);
    assert_true(d.held);
    alert_format(&b, &f, m, &d, NULL, &e);
    assert_non_null(strstr(b.data, "\"inside\":true}"));
    assert_null(strstr(b.data, "outside every class radius"));
    assert_non_null(strstr(b.data, "\"signature\":\"FEWFLOW unknown flow: "
                           "inside a benign class that may not take it\""));
    assert_non_null(strstr(b.data, "\"signature_id\":9100000,"));

    memo_decide(m, far, &d);
    assert_false(d.held);
    alert_buf_reset(&b);
    alert_format(&b, &f, m, &d, NULL, &e);
    assert_non_null(strstr(b.data, "outside every class radius"));
    alert_buf_fini(&b);
    memo_destroy(m);
}

static void auroc_by_hand(void **state)
{
    float s[4] = { 0.1f, 0.4f, 0.35f, 0.8f };
    uint8_t pos[4] = { 0, 0, 1, 1 };
    assert_float_near(openset_auroc(s, pos, 4), 0.75, 1e-9);
    float t[4] = { 1, 1, 1, 1 };
    assert_float_near(openset_auroc(t, pos, 4), 0.5, 1e-9);
    uint8_t none[4] = { 0 };
    assert_true(isnan(openset_auroc(s, none, 4)));
}

static void openset_on_separated_clusters(void **state)
{
    struct memo *m = fitted_memory(0.05f, 0.95f);
    struct rng r;
    enum { N = 300 };
    static float z[4 * N * 2];
    static int32_t y[4 * N];
    /* test ids: 0 BENIGN, 1 attack (known), 2 and 3 novel */
    int32_t known_of[4] = { memo_class_find(m, "BENIGN"),
                            memo_class_find(m, "attack"), -1, -1 };
    struct openset_opts o;
    struct openset_report rep;

    rng_seed(&r, 5);
    gaussian(&r, 0, 0, 1, N, z);
    gaussian(&r, 10, 10, 1, N, z + 2 * N);
    gaussian(&r, -12, 8, 0.7f, N, z + 4 * N);
    gaussian(&r, 12, -9, 0.7f, N, z + 6 * N);
    for (int i = 0; i < 4 * N; i++)
        y[i] = i / N;
    struct memo_labelled t = { z, y, 4 * N };
    openset_opts_default(&o);
    o.trials = 3;
    assert_int_equal(openset_eval(m, &t, known_of, 4, &o, &rep), 0);
    assert_true(rep.auroc > 0.99);
    assert_int_equal(rep.n_novel, 2);
    assert_int_equal(rep.n_benign, N);
    assert_true(rep.benign_fpr < 0.1);
    assert_true(rep.unknown_recall > 0.99);
    for (size_t j = 0; j < 2; j++) {
        assert_true(rep.recall[j * 3 + 1] > 0.8);     /* K = 5 */
        assert_true(rep.precision[j * 3 + 1] > 0.99);
    }
    assert_int_equal(m->n_classes, 2);   /* restored */
    openset_report_fini(&rep);
    memo_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decision_takes_nearest_class_inside_its_radius),
        cmocka_unit_test(several_prototypes_use_the_nearest),
        cmocka_unit_test(unknown_reports_distance_and_radius_of_one_prototype),
        cmocka_unit_test(batch_decisions_match_single_ones),
        cmocka_unit_test(quantile_interpolates),
        cmocka_unit_test(kmeans_finds_separated_clusters),
        cmocka_unit_test(calibration_meets_the_benign_target),
        cmocka_unit_test(prototype_radii_follow_their_mode),
        cmocka_unit_test(classes_on_benign_ground_raise_the_rate),
        cmocka_unit_test(enrol_radius_rule_by_hand),
        cmocka_unit_test(enrol_then_forget),
        cmocka_unit_test(few_flow_benign_enrolment_stays_tight),
        cmocka_unit_test(memory_round_trip_and_damage),
        cmocka_unit_test(forged_sizes_are_refused),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(timestamps_have_microseconds_and_offset),
        cmocka_unit_test(explanation_by_occlusion),
        cmocka_unit_test(alert_line_has_the_eve_shape),
        cmocka_unit_test(unknown_inside_benign_is_not_signed_outside),
        cmocka_unit_test(auroc_by_hand),
        cmocka_unit_test(openset_on_separated_clusters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
