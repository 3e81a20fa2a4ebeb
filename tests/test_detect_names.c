/*
 * Class names that differ only in ASCII case are one class: enroll
 * refuses the second, forget finds the class by either spelling; a
 * model file holding two of them (from an older fewflow) still loads and
 * each keeps its own spelling, the same name twice is refused.
 * Combining marks are refused in enrolled names (one spelling per name).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "detect/memo_impl.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "testutil.h"

TESTUTIL_SSH_FIXTURE("names")

static void names_collide_with_ascii_case_folded(void **state)
{
    (void)state;
    assert_true(memo_names_collide("DDoS", "ddos"));
    assert_true(memo_names_collide("SSH-Patator", "ssh-PATATOR"));
    assert_true(memo_names_collide("", ""));
    assert_false(memo_names_collide("DDoS", "DDoS "));
    assert_false(memo_names_collide("DDoS", "DDo"));
    assert_false(memo_names_collide("a", "ab"));
    /* Only ASCII is folded: É (C3 89) and é (C3 A9). */
    assert_false(memo_names_collide("\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9"));
    assert_false(memo_names_collide("@", "`"));
}

static void memory_refuses_a_colliding_class(void **state)
{
    (void)state;
    struct memo *m = memo_create(2, 0);
    float p[2] = { 0, 0 };
    assert_int_equal(memo_class_add(m, "DDoS", 0, p, 1, 1, NULL), 0);
    assert_int_equal(memo_class_add(m, "ddos", 0, p, 1, 1, NULL),
                     ERR_INVALID);
    assert_non_null(strstr(err_msg(), "'ddos' collides with class 'DDoS'"));
    assert_int_equal(memo_class_add(m, "DDoS", 0, p, 1, 1, NULL),
                     ERR_INVALID);
    assert_non_null(strstr(err_msg(), "already exists"));
    assert_int_equal(memo_class_find(m, "dDOs"), 0);
    assert_int_equal(memo_class_forget(m, "DDOS"), 0);
    assert_int_equal(m->n_classes, 0);
    memo_destroy(m);
}

/* Writes a memory of "DDoS" and "xdos", then renames the second to
 * name2 in the bytes (an older fewflow wrote such memories); returns the
 * read-back memory or NULL, and where the renamed name starts. */
static struct memo *read_renamed(const char *name2, size_t *at_out)
{
    struct memo *m = memo_create(2, 0);
    float p[2] = { 0, 0 };
    struct bytes_writer w;
    assert_int_equal(memo_class_add(m, "DDoS", 0, p, 1, 1, NULL), 0);
    assert_int_equal(memo_class_add(m, "xdos", 0, p, 1, 1, NULL), 1);
    bytes_writer_init(&w);
    assert_int_equal(memo_write(m, &w), 0);
    uint8_t *at = memmem(w.data, w.len, "xdos", 4);
    assert_non_null(at);
    memcpy(at, name2, 4);
    uint32_t crc = bytes_crc32(0, w.data, w.len - 4);
    for (int i = 0; i < 4; i++)
        w.data[w.len - 4 + i] = (uint8_t)(crc >> (8 * i));
    *at_out = (size_t)(at - w.data) - 4;
    struct memo *back = memo_read(w.data, w.len, "t.model");
    bytes_writer_fini(&w);
    memo_destroy(m);
    return back;
}

/* Such a memory must stay usable: refusing it left its owner unable even
 * to forget one of the two names. Each name finds its own class. */
static void loader_keeps_names_differing_in_case(void **state)
{
    (void)state;
    size_t at, a = 9, b = 9;
    struct memo *m = read_renamed("ddos", &at);
    assert_non_null(m);
    assert_int_equal(m->n_classes, 2);
    assert_true(memo_names_clash(m, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(memo_class_find(m, "DDoS"), 0);
    assert_int_equal(memo_class_find(m, "ddos"), 1);
    assert_int_equal(memo_class_find(m, "DDOS"), 0);
    assert_int_equal(memo_class_forget(m, "ddos"), 0);
    assert_string_equal(m->cls[0].name, "DDoS");
    assert_false(memo_names_clash(m, &a, &b));
    memo_destroy(m);
}

/* The same name twice is damage (no fewflow writes it). */
static void loader_refuses_a_name_twice_with_the_offset(void **state)
{
    (void)state;
    size_t at;
    assert_null(read_renamed("DDoS", &at));
    assert_int_equal(err_last(), ERR_INVALID);
    char want[160];
    snprintf(want, sizeof(want), "t.model: class memory: class 'DDoS' at "
             "offset %zu of the MEMO section is stored twice", at);
    assert_non_null(strstr(err_msg(), want));
}

static void enrol_and_forget_fold_ascii_case(void **state)
{
    (void)state;
    const char *m = testutil_tmp("fold.model");
    char hb[1024];
    snprintf(hb, sizeof(hb), "%s", testutil_data_path(
                 "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(run_ok("cp %s %s", model_path, m), 0);
    assert_int_equal(run_ok("%s -q enroll --model %s --name ddos --flows %s "
                            "-o %s 2>&1", testutil_bin(), m, hb, m), 2);
    assert_non_null(strstr(last_out, "class 'ddos' would be class 'DDoS'"));
    assert_int_equal(run_ok("%s -q enroll --model %s --name UNKNOWN "
                            "--flows %s -o %s 2>&1", testutil_bin(), m, hb,
                            m), 2);
    assert_non_null(strstr(last_out, "reserved"));
    /* e + U+0301 refused; the precomposed U+00E9 enrolled. */
    assert_int_equal(run_ok("%s -q enroll --model %s --name \"$(printf "
                            "'cafe\\314\\201')\" --flows %s -o %s 2>&1", testutil_bin(),
                            m, hb, m), 2);
    assert_non_null(strstr(last_out, "combining marks"));
    assert_int_equal(run_ok("%s -q enroll --model %s --name \"$(printf "
                            "'caf\\303\\251')\" --flows %s -o %s 2>&1", testutil_bin(), m, hb,
                            m), 0);
    assert_int_equal(run_ok("%s forget --model %s --name \"$(printf "
                            "'CAF\\303\\211')\" -o %s 2>&1", testutil_bin(), m, m), 2);
    assert_int_equal(run_ok("%s forget --model %s --name portSCAN -o %s "
                            "2>&1", testutil_bin(), m, m), 0);
    assert_non_null(strstr(last_out, "forgot Portscan;"));
    assert_int_equal(run_ok("%s classes --model %s", testutil_bin(), m), 0);
    assert_null(strstr(last_out, "Portscan"));
    assert_non_null(strstr(last_out, "caf\xc3\xa9"));
}

/* The small model with copies of its DDoS class under the names given,
 * as an older fewflow could write them; its path. */
static const char *twin_model(const char *file, const char *const *names,
                              size_t n)
{
    const char *m = testutil_tmp(file);
    struct detector *d = detector_load(model_path, 1);
    assert_non_null(d);
    int32_t c = memo_class_find(d->memo, "DDoS");
    assert_true(c >= 0);
    for (size_t i = 0; i < n; i++) {
        /* Adding may move the class array: look the class up each time. */
        const struct memo_class *cl = &d->memo->cls[c];
        assert_true(memo_class_add_stored(d->memo, names[i], cl->flags,
                                          cl->protos, cl->n_protos,
                                          cl->radius, cl->x_mean) > 0);
    }
    assert_int_equal(detector_save(d, m), 0);
    detector_destroy(d);
    return m;
}

/* The owner of a model enrolled before names were folded is told, and
 * can forget one spelling without retraining. */
static void old_model_with_a_case_twin_is_usable(void **state)
{
    (void)state;
    static const char *const twins[] = { "ddos" };
    const char *m = twin_model("twin.model", twins, 1);
    assert_int_equal(run_ok("%s classes --model %s 2>&1", testutil_bin(), m),
                     0);
    assert_non_null(strstr(last_out, "classes 'DDoS' and 'ddos' differ only "
                           "in case"));
    assert_int_equal(run_ok("%s forget --model %s --name ddos -o %s 2>&1",
                            testutil_bin(), m, m), 0);
    assert_non_null(strstr(last_out, "forgot ddos;"));
    assert_null(strstr(last_out, "differ only in case"));
    assert_int_equal(run_ok("%s classes --model %s 2>&1", testutil_bin(), m),
                     0);
    assert_non_null(strstr(last_out, "DDoS"));
    assert_null(strstr(last_out, "ddos"));
}

/* Three spellings of one name in an old model: a fourth names none of
 * them, and forget must not guess which one was meant. */
static void forget_refuses_an_ambiguous_spelling(void **state)
{
    (void)state;
    static const char *const twins[] = { "ddos", "Ddos" };
    const char *m = twin_model("twins3.model", twins, 2);
    /* Every twin is named, not only the first pair. */
    assert_int_equal(run_ok("%s classes --model %s 2>&1", testutil_bin(), m),
                     0);
    assert_non_null(strstr(last_out, "classes 'DDoS' and 'ddos' differ"));
    assert_non_null(strstr(last_out, "classes 'DDoS' and 'Ddos' differ"));
    assert_int_equal(run_ok("%s forget --model %s --name DDOS -o %s 2>&1",
                            testutil_bin(), m, m), 2);
    assert_non_null(strstr(last_out, "'DDOS' could be class 'DDoS' or "
                           "'ddos'"));
    assert_int_equal(run_ok("%s classes --model %s 2>&1", testutil_bin(), m),
                     0);
    assert_non_null(strstr(last_out, "DDoS "));
    assert_non_null(strstr(last_out, "ddos "));
    assert_non_null(strstr(last_out, "Ddos "));
    assert_int_equal(run_ok("%s forget --model %s --name Ddos -o %s 2>&1",
                            testutil_bin(), m, m), 0);
    assert_non_null(strstr(last_out, "forgot Ddos;"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_collide_with_ascii_case_folded),
        cmocka_unit_test(memory_refuses_a_colliding_class),
        cmocka_unit_test(loader_keeps_names_differing_in_case),
        cmocka_unit_test(loader_refuses_a_name_twice_with_the_offset),
        cmocka_unit_test_setup_teardown(forget_refuses_an_ambiguous_spelling,
                                        setup_model, teardown_model),
        cmocka_unit_test_setup_teardown(old_model_with_a_case_twin_is_usable,
                                        setup_model, teardown_model),
        cmocka_unit_test_setup_teardown(enrol_and_forget_fold_ascii_case,
                                        setup_model, teardown_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
