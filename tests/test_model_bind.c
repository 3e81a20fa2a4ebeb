/*
 * A class memory is bound to the encoder that embedded its prototypes: a
 * MEMO (or HEAD) section moved between two models of the same widths is
 * refused at load, an older section without a binding still loads, and
 * every command that writes a memory writes the binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/mhead.h"
#include "fewflow/model.h"
#include "testutil.h"

#define ENC_AT 16   /* has_encoder in a version-3 MEMO section */
#define HEAD_ENC_AT 8

static char model_a[512], model_b[512];
static char *out;

#define run(...) testutil_runf(&out, __VA_ARGS__)

/* Two models of one shape that differ only in their seed. */
static int setup_models(void **state)
{
    (void)state;
    const char *opts = "--shot 2 --query 2 --episodes 5 --hidden 16 "
                       "--emb 8 --seed ";
    char o[128];

    snprintf(o, sizeof(o), "%s1", opts);
    if (testutil_train_small("bindA", "Botnet_736", "Heartbleed_11", o,
                             model_a, sizeof(model_a), &out) != 0)
        return -1;
    snprintf(o, sizeof(o), "%s2", opts);
    return testutil_train_small("bindB", "Botnet_736", "Heartbleed_11", o,
                                model_b, sizeof(model_b), &out) == 0 ? 0
                                                                     : -1;
}

static int teardown_models(void **state)
{
    (void)state;
    free(out);
    out = NULL;
    return 0;
}

/* A copy of a model's MEMO section (malloc'd). */
static uint8_t *memo_bytes(const char *path, size_t *len)
{
    struct model *m = model_load(path);
    const void *b;

    assert_non_null(m);
    assert_int_equal(model_section_get(m, "MEMO", &b, len), 0);
    uint8_t *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, b, *len);
    model_destroy(m);
    return copy;
}

/* Writes `path` = the model at `from` with its MEMO section replaced. */
static void save_with_memo(const char *from, const uint8_t *memo, size_t len,
                           const char *path)
{
    struct model *m = model_load(from);

    assert_non_null(m);
    assert_int_equal(model_section_set(m, "MEMO", memo, len), 0);
    assert_int_equal(model_save(m, path), 0);
    model_destroy(m);
}

/* The model's MEMO records the model's own encoder digest. */
static void assert_bound(const char *path)
{
    struct model *m = model_load(path);
    uint8_t want[MODEL_DIGEST_BYTES];
    const void *b;
    size_t len;

    assert_non_null(m);
    assert_int_equal(model_encoder_digest(m, want), 0);
    assert_int_equal(model_section_get(m, "MEMO", &b, &len), 0);
    const uint8_t *s = b;
    assert_true(len > ENC_AT + 1 + MODEL_DIGEST_BYTES);
    assert_int_equal(s[6], 3);
    assert_int_equal(s[ENC_AT], 1);
    assert_memory_equal(s + ENC_AT + 1, want, MODEL_DIGEST_BYTES);
    model_destroy(m);
}

/* Version 3 → version 2: the digest block goes, the checksum is redone. */
static uint8_t *memo_as_v2(const uint8_t *v3, size_t len, size_t *n2)
{
    size_t cut = 1 + MODEL_DIGEST_BYTES;
    uint8_t *v2 = malloc(len);

    assert_non_null(v2);
    memcpy(v2, v3, ENC_AT);
    memcpy(v2 + ENC_AT, v3 + ENC_AT + cut, len - ENC_AT - cut);
    *n2 = len - cut;
    v2[6] = 2;
    v2[7] = 0;
    uint32_t crc = bytes_crc32(0, v2, *n2 - 4);
    for (int i = 0; i < 4; i++)
        v2[*n2 - 4 + i] = (uint8_t)(crc >> (8 * i));
    return v2;
}

static void digest_is_stable_and_tells_models_apart(void **state)
{
    (void)state;
    struct model *a = model_load(model_a), *b = model_load(model_b);
    uint8_t da[MODEL_DIGEST_BYTES], da2[MODEL_DIGEST_BYTES];
    uint8_t db[MODEL_DIGEST_BYTES];

    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(model_encoder_digest(a, da), 0);
    assert_int_equal(model_encoder_digest(a, da2), 0);
    assert_int_equal(model_encoder_digest(b, db), 0);
    assert_memory_equal(da, da2, sizeof(da));
    assert_memory_not_equal(da, db, sizeof(da));
    /* Same widths: the shape check alone would let B's memory in. */
    assert_int_equal(a->arch.n_emb, b->arch.n_emb);
    assert_int_equal(a->n_params, b->n_params);
    /* One parameter changed is another encoder. */
    a->params[a->n_params / 2] += 1.0f;
    assert_int_equal(model_encoder_digest(a, da2), 0);
    assert_memory_not_equal(da, da2, sizeof(da));
    model_destroy(a);
    model_destroy(b);
}

static void spliced_memory_is_refused(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    const char *spliced = testutil_tmp("spliced.model");
    size_t len;
    uint8_t *memo_b = memo_bytes(model_b, &len);

    assert_bound(model_a);
    assert_bound(model_b);
    save_with_memo(model_a, memo_b, len, spliced);
    assert_int_equal(run("%s classes --model %s", bin, model_a), 0);
    assert_int_equal(run("%s classes --model %s 2>&1", bin, spliced), 2);
    assert_non_null(strstr(out, spliced));
    assert_non_null(strstr(out, "another encoder"));
    assert_non_null(strstr(out, "offset 17 of the MEMO section"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
    assert_int_equal(run("%s -q detect --model %s --csv %s 2>&1", bin,
                         spliced, testutil_data_path("cic-ids2017-improved/"
                                                     "Heartbleed_11.csv.xz")),
                     2);
    assert_non_null(strstr(out, "another encoder"));
    free(memo_b);
}

/* A section written before the binding carries none and is taken on
 * trust, as it always was. */
static void old_memory_still_loads(void **state)
{
    (void)state;
    const char *old = testutil_tmp("old.model");
    size_t len, n2;
    uint8_t *v3 = memo_bytes(model_a, &len);
    uint8_t *v2 = memo_as_v2(v3, len, &n2);

    save_with_memo(model_a, v2, n2, old);
    assert_int_equal(run("%s classes --model %s", testutil_bin(), old), 0);
    assert_non_null(strstr(out, "Portscan"));
    /* Enrolling into it writes the binding. */
    const char *up = testutil_tmp("old-enrolled.model");
    assert_int_equal(run("%s -q enroll --model %s --name hb --shot 5 "
                         "--flows %s -o %s", testutil_bin(), old,
                         testutil_data_path("cic-ids2017-improved/"
                                            "Heartbleed_11.csv.xz"), up), 0);
    assert_bound(up);
    free(v3);
    free(v2);
}

static int files_equal(const char *x, const char *y)
{
    return run("cmp -s %s %s", x, y) == 0;
}

static void commands_write_the_binding(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    const char *hb = testutil_data_path("cic-ids2017-improved/"
                                        "Heartbleed_11.csv.xz");
    char e1[600], e2[600], f[600], o[600];
    snprintf(e1, sizeof(e1), "%s", testutil_tmp("e1.model"));
    snprintf(e2, sizeof(e2), "%s", testutil_tmp("e2.model"));
    snprintf(f, sizeof(f), "%s", testutil_tmp("f.model"));
    snprintf(o, sizeof(o), "%s", testutil_tmp("o.model"));

    assert_int_equal(run("%s -q enroll --model %s --name hb --shot 5 "
                         "--flows %s -o %s", bin, model_a, hb, e1), 0);
    assert_int_equal(run("%s -q enroll --model %s --name hb --shot 5 "
                         "--flows %s -o %s", bin, model_a, hb, e2), 0);
    assert_bound(e1);
    assert_true(files_equal(e1, e2));
    assert_int_equal(run("%s -q forget --model %s --name hb -o %s", bin, e1,
                         f), 0);
    assert_bound(f);
    assert_int_equal(run("%s -q eval --openset --model %s --shots 1 "
                         "--trials 1 -o %s", bin, model_a, o), 0);
    assert_bound(o);
}

/* The head refuses a memory of another encoder; a head written before
 * the binding (version 1) is still read. */
static void head_is_bound_to_the_memory_encoder(void **state)
{
    (void)state;
    float protos[3][2] = { { 0, 0 }, { 4, 0 }, { 0, 4 } };
    float mean[1] = { 0 };
    struct memo *m = memo_create(2, 1);
    const char *names[3] = { "A", "B", "C" };

    assert_non_null(m);
    for (int c = 0; c < 3; c++)
        assert_true(memo_class_add(m, names[c], 0, protos[c], 1, 1.0f,
                                   mean) >= 0);
    m->has_encoder = 1;
    memset(m->encoder, 0xab, sizeof(m->encoder));
    struct mhead *h = mhead_fit(m, 0.5f, 5);
    assert_non_null(h);
    struct bytes_writer w;
    bytes_writer_init(&w);
    assert_int_equal(mhead_write(h, m, &w), 0);
    assert_int_equal(w.data[HEAD_ENC_AT], 1);
    struct mhead *back = mhead_read(w.data, w.len, m, "h.model");
    assert_non_null(back);
    mhead_destroy(back);

    m->encoder[5] ^= 1;
    assert_null(mhead_read(w.data, w.len, m, "h.model"));
    assert_non_null(strstr(err_msg(), "h.model"));
    assert_non_null(strstr(err_msg(), "another encoder"));
    assert_non_null(strstr(err_msg(), "HEAD section"));
    m->has_encoder = 0;   /* an unbound memory cannot vouch for it */
    assert_null(mhead_read(w.data, w.len, m, "h.model"));

    /* Version 1: no digest block; read whatever the memory says. */
    size_t cut = 1 + MEMO_DIGEST_BYTES, n1 = w.len - cut;
    uint8_t *v1 = malloc(w.len);
    assert_non_null(v1);
    memcpy(v1, w.data, HEAD_ENC_AT);
    memcpy(v1 + HEAD_ENC_AT, w.data + HEAD_ENC_AT + cut,
           w.len - HEAD_ENC_AT - cut);
    v1[6] = 1;
    uint32_t crc = bytes_crc32(0, v1, n1 - 4);
    for (int i = 0; i < 4; i++)
        v1[n1 - 4 + i] = (uint8_t)(crc >> (8 * i));
    m->has_encoder = 1;
    back = mhead_read(v1, n1, m, "h.model");
    assert_non_null(back);
    mhead_destroy(back);
    free(v1);
    bytes_writer_fini(&w);
    mhead_destroy(h);
    memo_destroy(m);
}

/* The memory's own round trip keeps the digest; the check names the file,
 * the section and the offset. */
static void memory_round_trip_keeps_the_digest(void **state)
{
    (void)state;
    float p[2] = { 1, 2 }, mean[1] = { 0 };
    struct memo *m = memo_create(2, 1);
    uint8_t other[MEMO_DIGEST_BYTES];

    assert_non_null(m);
    assert_true(memo_class_add(m, "A", 0, p, 1, 1.0f, mean) >= 0);
    m->has_encoder = 1;
    memset(m->encoder, 0x5c, sizeof(m->encoder));
    struct bytes_writer w;
    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    struct memo *back = memo_read(w.data, w.len, "r.model");
    assert_non_null(back);
    assert_int_equal(back->has_encoder, 1);
    assert_memory_equal(back->encoder, m->encoder, sizeof(m->encoder));
    assert_int_equal(memo_check_encoder(back, m->encoder, "r.model"), 0);
    memcpy(other, m->encoder, sizeof(other));
    other[31] ^= 0x80;
    assert_int_equal(memo_check_encoder(back, other, "r.model"), ERR_FORMAT);
    assert_non_null(strstr(err_msg(), "r.model: "));
    assert_non_null(strstr(err_msg(), "offset 17 of the MEMO section"));
    back->has_encoder = 0;
    assert_int_equal(memo_check_encoder(back, other, "r.model"), 0);
    memo_destroy(back);
    /* A has_encoder byte other than 0 or 1 is damage, not a binding. */
    w.data[ENC_AT] = 2;
    w.len -= 4;
    bytes_put_u32(&w, bytes_crc32(0, w.data, w.len));
    assert_null(memo_read(w.data, w.len, "r.model"));
    assert_non_null(strstr(err_msg(), "offset 16 of the MEMO section"));
    bytes_writer_fini(&w);
    memo_destroy(m);
}

/* Where MEMO's bytes start in a saved file, found by reading the file:
 * its tag, then a little-endian u64 length equal to the section's. */
static size_t memo_offset_in_file(const char *path, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 22];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    for (size_t i = 0; i + 12 <= n; i++) {
        if (memcmp(buf + i, "MEMO", 4) != 0)
            continue;
        uint64_t l = 0;
        for (int k = 7; k >= 0; k--)
            l = l << 8 | buf[i + 4 + k];
        if (l == len)
            return i + 12;
    }
    fail_msg("no MEMO section header in %s", path);
    return 0;
}

/* A damaged class memory is reported with where its section starts in
 * the file, since the memory's own offsets count from there. */
static void damaged_memory_names_its_place_in_the_file(void **state)
{
    (void)state;
    const char *bad = testutil_tmp("damaged-memo.model");
    size_t len;
    uint8_t *memo = memo_bytes(model_a, &len);
    memo[len / 2] ^= 0x55;
    save_with_memo(model_a, memo, len, bad);
    size_t at = memo_offset_in_file(bad, len);

    struct model *m = model_load(bad);
    assert_non_null(m);
    assert_int_equal(model_section_at(m, "MEMO"), at);
    assert_int_equal(model_section_set(m, "MEMO", memo, len), 0);
    assert_int_equal(model_section_at(m, "MEMO"), 0);
    model_destroy(m);

    char want[700];
    snprintf(want, sizeof(want), "%s (MEMO section from byte %zu): class "
             "memory is damaged", bad, at);
    assert_int_equal(run("%s classes --model %s 2>&1", testutil_bin(), bad),
                     2);
    assert_non_null(strstr(out, want));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
    free(memo);
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(memory_round_trip_keeps_the_digest),
        cmocka_unit_test(head_is_bound_to_the_memory_encoder),
    };
    const struct CMUnitTest cli[] = {
        cmocka_unit_test(digest_is_stable_and_tells_models_apart),
        cmocka_unit_test(spliced_memory_is_refused),
        cmocka_unit_test(old_memory_still_loads),
        cmocka_unit_test(commands_write_the_binding),
        cmocka_unit_test(damaged_memory_names_its_place_in_the_file),
    };
    int failed = cmocka_run_group_tests_name("unit", unit, NULL, NULL);
    return failed | cmocka_run_group_tests_name("cli", cli, setup_models,
                                                teardown_models);
}
