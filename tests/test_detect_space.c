#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/alert.h"
#include "fewflow/bytes.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/normalizer.h"
#include "fewflow/rng.h"
#include "testutil.h"

/* The class memory's space (space.c): the input weight against a NumPy
 * reference, the memory vectors, the MEMO section's version 4 and the
 * versions before it, and a model trained with --memory-space xz end to
 * end. */

/* Four rows of three inputs and two embedding values. Reference:
 *   x = np.array([[0,1,2],[2,1,0],[1,3,1],[1,-1,1]], float)
 *   z = np.array([[1,0],[0,1],[2,2],[-1,1]], float)
 *   np.sqrt(z.var(axis=0).sum() / x.var(axis=0).sum())
 *   -> sqrt(1.75 / 3.0) = 0.7637626158259734 */
static const float tx[] = { 0, 1, 2, 2, 1, 0, 1, 3, 1, 1, -1, 1 };
static const float tz[] = { 1, 0, 0, 1, 2, 2, -1, 1 };

static void scale_matches_a_reference(void **state)
{
    assert_float_near(memo_space_scale(tx, 3, tz, 2, 4), 0.76376262, 1e-6);
    /* Both parts then have the same mean squared pairwise distance. */
    float a = memo_space_scale(tx, 3, tz, 2, 4);
    double dx = 0, dz = 0;
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            for (size_t c = 0; c < 3; c++) {
                double e = a * (tx[i * 3 + c] - tx[j * 3 + c]);
                dx += e * e;
            }
            for (size_t c = 0; c < 2; c++) {
                double e = tz[i * 2 + c] - tz[j * 2 + c];
                dz += e * e;
            }
        }
    }
    assert_float_near(dx / 16, 3.5, 1e-5);
    assert_float_near(dz / 16, 3.5, 1e-5);
    /* Nothing to match: the weight stays 1. */
    const float flat[] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
    assert_true(memo_space_scale(flat, 3, tz, 2, 4) == 1.0f);
    assert_true(memo_space_scale(tx, 3, flat, 2, 4) == 1.0f);
    assert_true(memo_space_scale(tx, 3, tz, 2, 1) == 1.0f);
}

static void map_builds_the_memory_vectors(void **state)
{
    struct memo *m = memo_create(5, 3);
    float out[20];

    assert_non_null(m);
    assert_int_equal(memo_space_set(m, MEMO_SPACE_XZ, 0.5f, 2), 0);
    memo_space_map(m, tx, tz, 4, out);
    /* Row 2: [0.5 · (1, 3, 1), (2, 2)]. */
    const float want[] = { 0.5f, 1.5f, 0.5f, 2, 2 };
    assert_memory_equal(out + 10, want, sizeof(want));
    memo_destroy(m);

    m = memo_create(3, 3);
    assert_int_equal(memo_space_set(m, MEMO_SPACE_X, 7, 2), 0);
    assert_true(m->x_scale == 1.0f);
    assert_int_equal(m->z_dim, 0);
    memo_space_map(m, tx, NULL, 4, out);
    assert_memory_equal(out, tx, sizeof(tx));
    /* A width that is not the space's is refused. */
    assert_int_equal(memo_space_set(m, MEMO_SPACE_XZ, 1, 2), ERR_INVALID);
    assert_int_equal(memo_space_set(m, MEMO_SPACE_Z, 1, 2), ERR_INVALID);
    memo_destroy(m);

    enum memo_space s = MEMO_SPACE_Z;
    assert_int_equal(memo_space_parse("xz", &s), 0);
    assert_int_equal(s, MEMO_SPACE_XZ);
    assert_int_equal(memo_space_parse("zx", &s), ERR_INVALID);
    assert_string_equal(memo_space_name(MEMO_SPACE_X), "x");
}

/* One attack class of two prototypes and a benign reservoir of 3 rows. */
static struct memo *small_memory(uint32_t dim, uint32_t n_in)
{
    struct memo *m = memo_create(dim, n_in);
    float p[2 * 8], res[3 * 8];
    assert_non_null(m);
    for (uint32_t i = 0; i < 2 * dim; i++)
        p[i] = (float)i * 0.25f;
    for (uint32_t i = 0; i < 3 * dim; i++)
        res[i] = 3.0f + (float)i;
    assert_true(memo_class_add(m, "A", 0, p, 2, 1.5f, NULL) >= 0);
    assert_int_equal(memo_reservoir_set(m, res, 3), 0);
    return m;
}

static struct memo *round_trip(const struct memo *m, uint8_t *version)
{
    struct bytes_writer w;

    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    *version = w.data[6];
    struct memo *back = memo_read(w.data, w.len, "r.model");
    bytes_writer_fini(&w);
    return back;
}

static void section_keeps_the_space(void **state)
{
    struct memo *m = small_memory(5, 3);
    uint8_t version = 0;

    assert_int_equal(memo_space_set(m, MEMO_SPACE_XZ, 0.625f, 2), 0);
    struct memo *back = round_trip(m, &version);
    assert_non_null(back);
    assert_int_equal(version, 4);
    assert_int_equal(back->space, MEMO_SPACE_XZ);
    assert_true(back->x_scale == 0.625f);
    assert_int_equal(back->z_dim, 2);
    assert_memory_equal(back->cls[0].protos, m->cls[0].protos,
                        2 * 5 * sizeof(float));
    memo_destroy(back);
    memo_destroy(m);

    /* A memory in the embedding keeps version 3's bytes. */
    m = small_memory(2, 3);
    back = round_trip(m, &version);
    assert_non_null(back);
    assert_int_equal(version, 3);
    assert_int_equal(back->space, MEMO_SPACE_Z);
    assert_int_equal(back->z_dim, 2);
    memo_destroy(back);
    memo_destroy(m);
}

/* A space block that does not fit the section is refused at its offset,
 * with a valid checksum (so the block itself is what is judged). */
static void damaged_space_block_is_refused(void **state)
{
    struct memo *m = small_memory(5, 3);
    struct bytes_writer w;
    char at[32];

    assert_int_equal(memo_space_set(m, MEMO_SPACE_XZ, 0.5f, 2), 0);
    const uint8_t bad_space[] = { 9, 1 };   /* no such space; x says 3 */
    for (size_t k = 0; k < 2; k++) {
        bytes_writer_init(&w);
        assert_int_equal(memo_write(m, &w), 0);
        size_t block = w.len - 4 - 9;
        w.data[block] = bad_space[k];
        w.len -= 4;
        bytes_put_u32(&w, bytes_crc32(0, w.data, w.len));
        assert_null(memo_read(w.data, w.len, "s.model"));
        assert_int_equal(err_last(), ERR_PARSE);
        snprintf(at, sizeof(at), "offset %zu of", block);
        assert_non_null(strstr(err_msg(), at));
        bytes_writer_fini(&w);
    }
    memo_destroy(m);
}

/* A version-3 section written out by hand as fewflow 3 wrote it: it
 * loads as a memory in the embedding. */
static void version_3_section_reads_as_z(void **state)
{
    struct bytes_writer w;
    const float proto[2] = { 1, 2 }, zero40[MEMO_ENROLL_CALIBRATE] = { 0 };
    const uint8_t digest[MEMO_DIGEST_BYTES] = { 0 };

    bytes_writer_init(&w);
    bytes_put(&w, "FFMEMO", 6);
    bytes_put_u8(&w, 3);
    bytes_put_u8(&w, 0);
    bytes_put_u32(&w, 2);               /* dim */
    bytes_put_u32(&w, 1);               /* n_in */
    bytes_put_u8(&w, 0);
    bytes_put(&w, digest, sizeof(digest));
    bytes_put_f32(&w, 0.01f);
    bytes_put_f32(&w, 0.0f);
    bytes_put_f32(&w, 0.95f);
    bytes_put_u32(&w, 1);               /* one class */
    bytes_put_str(&w, "A");
    bytes_put_u32(&w, 0);
    bytes_put_u32(&w, 1);
    bytes_put_u64(&w, 5);
    bytes_put_u64(&w, 0);
    bytes_put_f32s(&w, proto, 2);
    bytes_put_f32(&w, 1.0f);            /* radius */
    bytes_put_f32(&w, 1.0f);            /* tail */
    bytes_put_f32(&w, 0.0f);            /* x_mean */
    bytes_put_u32(&w, 0);               /* reservoir */
    bytes_put_u32(&w, MEMO_ENROLL_CALIBRATE);
    bytes_put_f32s(&w, zero40, MEMO_ENROLL_CALIBRATE);
    bytes_put_f32s(&w, zero40, MEMO_ENROLL_CALIBRATE);
    bytes_put_crc32(&w, 0);
    struct memo *m = memo_read(w.data, w.len, "old.model");
    assert_non_null(m);
    assert_int_equal(m->space, MEMO_SPACE_Z);
    assert_int_equal(m->z_dim, 2);
    assert_true(m->x_scale == 1.0f);
    memo_destroy(m);
    bytes_writer_fini(&w);
}

/* ---- a model trained with --memory-space xz (a few seconds) ---- */

static char model_path[512];
static char *out;

static int setup_model(void **state)
{
    int rc = testutil_train_small("space", "SSH-Patator_2961", "Botnet_736",
                                  "--shot 5 --query 5 --episodes 20 "
                                  "--hidden 16 --emb 8 --memory-space xz",
                                  model_path, sizeof(model_path), &out);
    if (rc != 0)
        fprintf(stderr, "%s", out ? out : "");
    return rc == 0 ? 0 : -1;
}

static int teardown_model(void **state)
{
    free(out);
    out = NULL;
    return 0;
}

/* Rows spread over the normalised range, as test_detect_threads makes,
 * but with no negative counts or rates (which the normaliser clips). */
static float *rows(const struct detector *d, size_t n)
{
    struct rng r;
    float *x = malloc(n * d->n_in * sizeof(float));
    assert_non_null(x);
    rng_seed(&r, 11);
    for (size_t i = 0; i < n * d->n_in; i++)
        x[i] = fabsf((float)normalizer_inverse_value(
            d->norm, (uint32_t)(i % d->n_in), rng_normal(&r)));
    return x;
}

static void detector_embeds_into_x_and_z(void **state)
{
    struct detector *d = detector_load(model_path, 1);
    const size_t n = 200;

    assert_non_null(d);
    assert_int_equal(d->memo->space, MEMO_SPACE_XZ);
    assert_int_equal(d->dim, d->n_in + d->z_dim);
    assert_true(d->memo->x_scale > 0 && d->memo->x_scale != 1.0f);
    float *x = rows(d, n), *x2 = rows(d, n);
    float *v = malloc(n * d->dim * sizeof(float));
    float *z = malloc(n * d->z_dim * sizeof(float));
    assert_true(v && z);
    assert_int_equal(detector_embed(d, x, n, v), 0);
    normalizer_apply(d->norm, x2, n);
    assert_int_equal(learner_embed(d->learner, x2, n, z), 0);
    for (size_t i = 0; i < n; i++) {
        const float *vi = v + i * d->dim;
        for (size_t j = 0; j < d->n_in; j++)
            assert_true(vi[j] == d->memo->x_scale * x2[i * d->n_in + j]);
        assert_memory_equal(vi + d->n_in, z + i * d->z_dim,
                            d->z_dim * sizeof(float));
    }
    /* The threaded path makes the same vectors and decisions. */
    float *v2 = calloc(n * d->dim, sizeof(float));
    float *s = malloc(memo_batch_scratch(d->memo, n) * sizeof(float));
    struct memo_decision *ref = malloc(n * sizeof(*ref));
    struct memo_decision *got = malloc(n * sizeof(*got));
    assert_true(v2 && s && ref && got);
    memo_decide_batch(d->memo, v, n, s, ref);
    free(x2);
    x2 = rows(d, n);
    struct detector_pool *p = detector_pool_create(d, 2, n);
    assert_non_null(p);
    assert_int_equal(detector_pool_classify(p, x2, n, v2, got), 0);
    detector_pool_destroy(p);
    assert_memory_equal(v, v2, n * d->dim * sizeof(float));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ref[i].cls, got[i].cls);
    free(x);
    free(x2);
    free(v);
    free(v2);
    free(z);
    free(s);
    free(ref);
    free(got);
    detector_destroy(d);
}

/* The explanation's values are the flow's own, in original units,
 * whatever space the memory decided in. */
static void explanation_stays_in_original_units(void **state)
{
    struct detector *d = detector_load(model_path, 1);
    const size_t n = 40;

    assert_non_null(d);
    float *raw = rows(d, n), *x = rows(d, n);
    float *v = malloc(n * d->dim * sizeof(float));
    float *s = malloc(alert_explain_scratch(&d->enc) * sizeof(float));
    assert_true(v && s);
    assert_int_equal(d->enc.dim, d->dim);
    assert_int_equal(detector_embed(d, x, n, v), 0);
    size_t pulls = 0;
    for (size_t i = 0; i < n; i++) {
        struct memo_decision dec;
        struct alert_explain ex;
        memo_decide(d->memo, v + i * d->dim, &dec);
        assert_int_equal(alert_explain(&d->enc, d->memo, x + i * d->n_in,
                                       &dec, 3, s, &ex), 0);
        for (size_t k = 0; k < ex.n_pulls; k++) {
            double want = raw[i * d->n_in + ex.pulls[k].col];
            assert_true(fabs(ex.pulls[k].value - want) <=
                        1e-3 * fabs(want) + 1e-4);
        }
        pulls += ex.n_pulls;
    }
    assert_true(pulls > 0);
    free(raw);
    free(x);
    free(v);
    free(s);
    detector_destroy(d);
}

static void commands_use_the_stored_space(void **state)
{
    const char *bin = testutil_bin();
    const char *csv = testutil_data_path(
        "cic-ids2017-improved/SSH-Patator_2961.csv.xz");
    const char *m2 = testutil_tmp("space-ssh.model");

    assert_int_equal(testutil_runf(&out, "%s classes --model %s --json",
                                   bin, model_path), 0);
    assert_non_null(strstr(out, "\"memory_space\":\"xz\""));
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--shots 5 --trials 1 --json", bin,
                                   model_path), 0);
    assert_non_null(strstr(out, "\"memory_space\":\"xz\""));
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--shots 5 --trials 1 --json "
                                   "--memory-space z", bin, model_path), 0);
    assert_null(strstr(out, "\"memory_space\""));
    assert_int_equal(testutil_runf(&out, "%s -q enroll --model %s --name "
                                   "ssh --flows %s --shot 5 -o %s", bin,
                                   model_path, csv, m2), 0);
    assert_int_equal(testutil_runf(&out, "%s classes --model %s", bin, m2),
                     0);
    assert_non_null(strstr(out, "memory space xz"));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s --csv %s "
                                   "--all | head -n 50", bin, m2, csv), 0);
    assert_true(testutil_count(out, "\"event_type\":\"alert\"") > 0);
    assert_true(testutil_count(out, "\"class\":\"ssh\"") > 0);
    assert_true(testutil_count(out, "\"features\":[{") > 0);
    /* detect says which space its distances are in. */
    assert_int_equal(testutil_runf(&out, "%s detect --model %s --csv %s "
                                   "--summary-json /dev/stderr 2>&1 "
                                   ">/dev/null", bin, m2, csv), 0);
    assert_non_null(strstr(out, "\"memory_space\":\"xz\""));
    assert_non_null(strstr(out, "class memory in space xz"));
    assert_int_equal(testutil_runf(&out, "%s -q train --protocol x "
                                   "--memory-space zx 2>&1", bin), 2);
    assert_non_null(strstr(out, "--memory-space wants z, x or xz"));
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(scale_matches_a_reference),
        cmocka_unit_test(map_builds_the_memory_vectors),
        cmocka_unit_test(section_keeps_the_space),
        cmocka_unit_test(damaged_space_block_is_refused),
        cmocka_unit_test(version_3_section_reads_as_z),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(detector_embeds_into_x_and_z),
        cmocka_unit_test(explanation_stays_in_original_units),
        cmocka_unit_test(commands_use_the_stored_space),
    };
    int rc = cmocka_run_group_tests(unit, NULL, NULL);
    return rc + cmocka_run_group_tests(cli, setup_model, teardown_model);
}
