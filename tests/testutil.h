/*
 * Helpers shared by the test executables (cmocka). Data-reading tests find
 * the shared datasets with testutil_data_path(); the CLI binary under test
 * is FEWFLOW_BIN, both set by CTest.
 */
#ifndef FEWFLOW_TESTUTIL_H
#define FEWFLOW_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Full path of a file under the shared data directory, in a static buffer
 * (valid until the next call). Fails the test when the directory is absent. */
const char *testutil_data_path(const char *relative);

/* How many times needle occurs in text (overlaps counted). */
size_t testutil_count(const char *text, const char *needle);

/* A fresh temporary directory for this process (created on first call),
 * removed with its contents when the process exits normally, unless
 * FEWFLOW_TEST_KEEP is set. */
const char *testutil_tmpdir(void);

/* Runs a shell command, captures stdout into *out (malloc'd, may be NULL)
 * and returns the exit status, or -1 when it could not be run. */
int testutil_run(const char *cmd, char **out);

/* Like testutil_run with the command built from fmt; frees *out first and
 * leaves the new stdout there. */
int testutil_runf(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Path of the fewflow binary under test. */
const char *testutil_bin(void);

/* NAME under testutil_tmpdir(), in one of four rotating static buffers. */
const char *testutil_tmp(const char *name);

/* Writes text to the file name in the temporary directory; its path
 * (testutil_tmp's buffer). Fails the test when it cannot. */
const char *testutil_write(const char *name, const char *text);

/* p1 and p2 in the temporary directory: the first 3,000 packets of the
 * spoofed SYN flood in pcaps/stopddos, restamped 2 ms apart so that flows
 * end by the idle timeout as the capture goes on; the first 2,000 in p1
 * with the file header, the rest in p2 (to be fed after it, as one
 * capture on a pipe). */
void testutil_synflood_parts(void);

/*
 * Trains the small CLI-test model: CIC-IDS2017 rows, training classes
 * BENIGN, DDoS and Portscan, test classes from the two files named by
 * their stem ("SSH-Patator_2961": the class is the part before '_'), in
 * that order. `opts` adds train options (sizes, episodes, method). The
 * model is NAME.model in the temporary directory; its path goes to
 * model. Returns train's exit status, its output left in *out.
 */
int testutil_train_small(const char *name, const char *test1,
                         const char *test2, const char *opts, char *model,
                         size_t len, char **out);

/* The two small models most CLI tests share, by testutil_train_small:
 * "tiny" has test classes Heartbleed and Botnet and a 16-8 encoder;
 * "ssh" has SSH-Patator and Heartbleed and a 32-16 encoder. Both train
 * for 20 episodes of 5 shots and 5 queries. */
int testutil_model_tiny(const char *name, char *model, size_t len,
                        char **out);
int testutil_model_ssh(const char *name, char *model, size_t len,
                       char **out);

/* The "tiny" model trained under name (its path in model), and beside it
 * MODEL.b: the same with the flows of capture enrolled as the benign
 * class "local" (this network's traffic). Returns 0, or the exit status
 * of the command that failed, its output in *out. */
int testutil_model_local(const char *name, const char *capture, char *model,
                         size_t len, char **out);

/*
 * The group fixture of a CLI test file: model_path, last_out (the last
 * command's output), run_ok(...) (testutil_runf into last_out) and
 * setup_model/teardown_model for cmocka_run_group_tests, the model
 * trained once by `train`, a call that writes model_path and last_out
 * and returns 0 on success.
 */
#define TESTUTIL_MODEL_FIXTURE(train)                                     \
    static char model_path[512];                                          \
    static char *last_out;                                                \
    static int setup_model(void **state)                                  \
    {                                                                     \
        (void)state;                                                      \
        return (train) == 0 ? 0 : -1;                                     \
    }                                                                     \
    static int teardown_model(void **state)                               \
    {                                                                     \
        (void)state;                                                      \
        free(last_out);                                                   \
        last_out = NULL;                                                  \
        return 0;                                                         \
    }
/* The same on the "ssh" model, trained under name. */
#define TESTUTIL_SSH_FIXTURE(name)                                        \
    TESTUTIL_MODEL_FIXTURE(testutil_model_ssh(name, model_path,           \
                                              sizeof(model_path),         \
                                              &last_out))
#define run_ok(...) testutil_runf(&last_out, __VA_ARGS__)

#define assert_float_near(a, b, tol) \
    assert_true(testutil_near((double)(a), (double)(b), (double)(tol), \
                              #a, #b, __FILE__, __LINE__))
int testutil_near(double a, double b, double tol, const char *sa,
                  const char *sb, const char *file, int line);

#endif
