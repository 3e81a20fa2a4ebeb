#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/model.h"
#include "testutil.h"

#include <sys/stat.h>

/* A small model with every kind of field filled. */
static struct model *sample_model(void)
{
    struct model *m = model_create();
    const char *train[] = { "BENIGN", "DDoS" };
    const char *test[] = { "Botnet", "DoS Slowloris", "SSH-Patator" };
    float params[40];
    char path[512];
    FILE *f;

    assert_non_null(m);
    m->arch.n_in = 4;
    m->arch.n_hidden = 1;
    m->arch.hidden[0] = 6;
    m->arch.n_emb = 3;
    strcpy(m->arch.activation, "relu");
    strcpy(m->arch.rule, "mean");
    m->arch.dropout = 0.25f;
    for (int i = 0; i < 40; i++)
        params[i] = (float)i * 0.5f - 3.0f;
    assert_int_equal(model_params_set(m, params, 40), 0);
    assert_int_equal(model_record_set_method(m, "protonet"), 0);
    assert_int_equal(model_record_set_protocol(m, "cic-ids2017"), 0);
    assert_int_equal(model_record_set_classes(m, train, 2, NULL, 0, test, 3),
                     0);
    snprintf(path, sizeof(path), "%s/data.csv", testutil_tmpdir());
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("abc", f);
    fclose(f);
    assert_int_equal(model_record_add_file(m, path), 0);
    assert_int_equal(model_record_set_metric(m, "val_accuracy", 0.875), 0);
    m->rec.seed = 42;
    m->rec.way = 5;
    assert_int_equal(model_section_set(m, "MEMO", "\x01\x02\x03", 3), 0);
    return m;
}

static void roundtrip_keeps_every_field(void **state)
{
    struct model *m = sample_model(), *back;
    char path[512];
    double v = 0.0;
    const void *bytes;
    size_t len;
    /* SHA-256("abc"), FIPS 180-2 appendix B.1. */
    static const uint8_t abc[4] = { 0xba, 0x78, 0x16, 0xbf };

    snprintf(path, sizeof(path), "%s/m.ffm", testutil_tmpdir());
    assert_int_equal(model_save(m, path), 0);
    back = model_load(path);
    assert_non_null(back);
    assert_int_equal(back->arch.n_in, 4);
    assert_int_equal(back->arch.hidden[0], 6);
    assert_string_equal(back->arch.rule, "mean");
    assert_true(back->arch.dropout == 0.25f);
    assert_int_equal(back->n_params, 40);
    assert_memory_equal(back->params, m->params, 40 * sizeof(float));
    assert_string_equal(back->rec.method, "protonet");
    assert_string_equal(back->rec.test_classes[1], "DoS Slowloris");
    assert_int_equal(back->rec.n_val, 0);
    assert_memory_equal(back->rec.files[0].sha256, abc, 4);
    assert_int_equal(back->rec.files[0].size, 3);
    assert_int_equal(model_record_get_metric(back, "val_accuracy", &v), 0);
    assert_true(v == 0.875);
    assert_int_equal(back->rec.seed, 42);
    assert_int_equal(model_section_get(back, "MEMO", &bytes, &len), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "\x01\x02\x03", 3);
    model_destroy(back);
    model_destroy(m);
}

static void sections_replace_remove_and_refuse_core_tags(void **state)
{
    struct model *m = model_create();
    const void *bytes;
    size_t len;

    assert_int_equal(model_section_set(m, "MAML", "ab", 2), 0);
    assert_int_equal(model_section_set(m, "MAML", "xyz", 3), 0);
    assert_int_equal(m->n_sections, 1);
    assert_int_equal(model_section_get(m, "MAML", &bytes, &len), 0);
    assert_int_equal(len, 3);
    assert_int_equal(model_section_set(m, "PARM", "a", 1), ERR_INVALID);
    assert_int_equal(model_section_set(m, "TOOLONG", "a", 1), ERR_INVALID);
    assert_int_equal(model_section_set(m, "a b", "a", 1), ERR_INVALID);
    assert_int_equal(model_section_remove(m, "MAML"), 0);
    assert_int_equal(model_section_get(m, "MAML", &bytes, &len),
                     ERR_NOTFOUND);
    model_destroy(m);
}

static void every_truncation_is_refused(void **state)
{
    struct model *m = sample_model();
    uint8_t *buf;
    size_t len;

    assert_int_equal(model_to_bytes(m, &buf, &len), 0);
    for (size_t n = 0; n < len; n++) {
        struct model *back = model_from_bytes(buf, n, "cut.ffm");

        assert_null(back);
        assert_non_null(strstr(err_msg(), "cut.ffm"));
        assert_non_null(strstr(err_msg(), "offset"));
    }
    free(buf);
    model_destroy(m);
}

static void every_flipped_byte_is_refused(void **state)
{
    struct model *m = sample_model();
    uint8_t *buf;
    size_t len;

    assert_int_equal(model_to_bytes(m, &buf, &len), 0);
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x10;
        assert_null(model_from_bytes(buf, len, "flip.ffm"));
        assert_true(err_last() == ERR_CHECKSUM || err_last() == ERR_FORMAT ||
                    err_last() == ERR_PARSE);
        buf[i] ^= 0x10;
    }
    model_destroy(m);
    m = model_from_bytes(buf, len, "ok.ffm");
    assert_non_null(m);
    free(buf);
    model_destroy(m);
}

/* A file holding one extra section twice (checksum recomputed) is refused:
 * which copy a reader takes would otherwise be up to the reader. */
static void a_section_given_twice_is_refused(void **state)
{
    struct model *m = sample_model();
    uint8_t *buf, *two;
    size_t len;

    (void)state;
    assert_int_equal(model_section_set(m, "KIND", "abcd", 4), 0);
    assert_int_equal(model_to_bytes(m, &buf, &len), 0);
    size_t body = len - 32, n2 = body + 16 + 32;
    two = malloc(n2);
    assert_non_null(two);
    memcpy(two, buf, body);
    memcpy(two + body, "KIND\4\0\0\0\0\0\0\0wxyz", 16);
    uint64_t total = n2;
    for (int i = 0; i < 8; i++)
        two[16 + i] = (uint8_t)(total >> (8 * i));
    two[24]++;
    bytes_sha256(two, n2 - 32, two + n2 - 32);
    assert_null(model_from_bytes(two, n2, "twice.ffm"));
    assert_int_equal(err_last(), ERR_PARSE);
    assert_non_null(strstr(err_msg(), "twice.ffm: offset"));
    assert_non_null(strstr(err_msg(), "second 'KIND' section"));
    free(two);
    free(buf);
    model_destroy(m);
}

static void foreign_and_future_files_are_refused(void **state)
{
    struct model *m = sample_model();
    const char *text = "id,label\n1,normal\n";
    uint8_t *buf;
    size_t len;

    assert_null(model_from_bytes((const uint8_t *)text, strlen(text),
                                 "x.csv"));
    assert_int_equal(err_last(), ERR_FORMAT);
    assert_non_null(strstr(err_msg(), "not a fewflow model"));
    assert_int_equal(model_to_bytes(m, &buf, &len), 0);
    buf[8] = 99;
    assert_null(model_from_bytes(buf, len, "new.ffm"));
    assert_int_equal(err_last(), ERR_FORMAT);
    assert_non_null(strstr(err_msg(), "version 99"));
    free(buf);
    model_destroy(m);
}

/* The rename that makes saving atomic must not replace what the given
 * path is: a symlink keeps pointing at its (updated) target, and a FIFO
 * or device (think "-o /dev/stdout" as root) is refused, not replaced
 * by a regular file. */
static void save_keeps_symlinks_and_refuses_special_files(void **state)
{
    struct model *m = sample_model();
    char target[512], link[512], fifo[512];
    struct stat st;

    (void)state;
    snprintf(target, sizeof(target), "%s/target.ffm", testutil_tmpdir());
    snprintf(link, sizeof(link), "%s/link.ffm", testutil_tmpdir());
    snprintf(fifo, sizeof(fifo), "%s/fifo.ffm", testutil_tmpdir());
    assert_int_equal(model_save(m, target), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(model_save(m, link), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(model_save(m, fifo), ERR_IO);
    assert_non_null(strstr(err_msg(), "not a regular file"));
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    model_destroy(m);
}

static void save_is_atomic_and_reports_io_errors(void **state)
{
    struct model *m = sample_model();
    char path[512], tmp[600];

    snprintf(path, sizeof(path), "%s/atomic.ffm", testutil_tmpdir());
    assert_int_equal(model_save(m, path), 0);
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(model_save(m, "/nonexistent-dir/m.ffm"), ERR_IO);
    /* The user's path and the reason, not only the temporary file. */
    assert_true(strncmp(err_msg(), "/nonexistent-dir/m.ffm: ", 24) == 0);
    assert_non_null(strstr(err_msg(), "No such file or directory"));
    assert_null(model_load("/nonexistent-dir/m.ffm"));
    assert_int_equal(err_last(), ERR_IO);
    model_destroy(m);
}

/* A tiny CSV (4 features, 8 classes) and a protocol over it. */
static void write_dataset(const char *dir)
{
    char path[600];
    FILE *f;
    struct { float a, b; } mu[8] = {
        { 0, 0 }, { 4, 0 }, { 0, 4 }, { 4, 4 },
        { -4, 0 }, { 0, -4 }, { -4, -4 }, { 8, 8 },
    };

    snprintf(path, sizeof(path), "%s/syn.csv", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "f1,f2,f3,f4,label\n");
    for (int c = 0; c < 8; c++)
        for (int i = 0; i < 20; i++)
            fprintf(f, "%.3f,%.3f,%.3f,%d,c%d\n", mu[c].a + 0.1 * (i % 5),
                    mu[c].b - 0.1 * (i % 3), (double)((i * 7) % 11), i % 2,
                    c);
    fclose(f);
    snprintf(path, sizeof(path), "%s/syn.proto", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "name: syn\ntrain: c0, c1, c2, c3\ntest: c4, c5, c6, c7\n");
    fclose(f);
}

static int run_train(const char *dir, const char *out, int seed)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), "%s -q train --protocol %s/syn.proto --data "
             "%s/syn.csv --way 4 --shot 2 --query 3 --episodes 30 "
             "--val-every 10 --seed %d -o %s/%s", testutil_bin(), dir, dir,
             seed, dir, out);
    return testutil_run(cmd, NULL);
}

static void cli_train_is_reproducible_and_eval_reports_json(void **state)
{
    const char *dir = testutil_tmpdir();
    char cmd[2048], pa[600], pb[600], *out = NULL;
    struct model *a, *b;
    uint8_t *ba, *bb;
    size_t la, lb;

    write_dataset(dir);
    assert_int_equal(run_train(dir, "a.ffm", 3), 0);
    assert_int_equal(run_train(dir, "b.ffm", 3), 0);
    snprintf(pa, sizeof(pa), "%s/a.ffm", dir);
    snprintf(pb, sizeof(pb), "%s/b.ffm", dir);
    a = model_load(pa);
    b = model_load(pb);
    assert_non_null(a);
    assert_non_null(b);
    /* Same seed, same file, byte for byte. */
    snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", pa, pb);
    assert_int_equal(testutil_run(cmd, NULL), 0);
    assert_int_equal(model_to_bytes(a, &ba, &la), 0);
    assert_int_equal(model_to_bytes(b, &bb, &lb), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    free(ba);
    free(bb);
    model_destroy(a);
    model_destroy(b);
    snprintf(cmd, sizeof(cmd), "%s -q eval --model %s --way 4 --shot 2 "
             "--episodes 20 --json --baselines", testutil_bin(), pa);
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "\"accuracy\":"));
    assert_non_null(strstr(out, "\"ci95\":"));
    assert_non_null(strstr(out, "\"way\":4,\"shot\":2"));
    assert_non_null(strstr(out, "\"per_class\":{\"c4\""));
    assert_non_null(strstr(out, "\"knn1\":{\"accuracy\""));
    assert_non_null(strstr(out, "\"diff_ci95\":"));
    free(out);
}

static void cli_refuses_a_damaged_model(void **state)
{
    const char *dir = testutil_tmpdir();
    char path[600], cmd[2048];
    FILE *f;

    write_dataset(dir);
    assert_int_equal(run_train(dir, "d.ffm", 1), 0);
    snprintf(path, sizeof(path), "%s/d.ffm", dir);
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    fputc(0x5a, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s eval --model %s 2>&1", testutil_bin(),
             path);
    char *out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 2);
    assert_non_null(out);
    assert_non_null(strstr(out, "d.ffm: offset"));
    free(out);
}

/* A model path that is an endless stream (/dev/zero, a pipe) is refused
 * from its first bytes instead of being read into memory until it runs
 * out: the writer of 200 MB must see the reader stop early (SIGPIPE). */
static void endless_input_is_refused_early(void **state)
{
    char cmd[1024];
    char *out = NULL;

    (void)state;
    snprintf(cmd, sizeof(cmd), "bash -c 'head -c 200000000 /dev/zero | "
             "%s classes --model /dev/stdin 2>&1; "
             "echo \"status ${PIPESTATUS[0]} ${PIPESTATUS[1]}\"'",
             testutil_bin());
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);
    assert_non_null(strstr(out, "not a fewflow model"));
    if (strstr(out, "status 141 2") == NULL)
        fail_msg("the whole stream was read: %s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_keeps_every_field),
        cmocka_unit_test(sections_replace_remove_and_refuse_core_tags),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(every_flipped_byte_is_refused),
        cmocka_unit_test(foreign_and_future_files_are_refused),
        cmocka_unit_test(a_section_given_twice_is_refused),
        cmocka_unit_test(save_is_atomic_and_reports_io_errors),
        cmocka_unit_test(save_keeps_symlinks_and_refuses_special_files),
        cmocka_unit_test(cli_train_is_reproducible_and_eval_reports_json),
        cmocka_unit_test(cli_refuses_a_damaged_model),
        cmocka_unit_test(endless_input_is_refused_early),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
