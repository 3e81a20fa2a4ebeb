/* nftw() is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fewflow/paths.h"
#include "testutil.h"

const char *testutil_data_path(const char *relative)
{
    static char dir[4096];
    static char path[8192];

    if (paths_data_dir(NULL, dir, sizeof(dir)) != 0)
        fail_msg("shared data not found (set FEWFLOW_DATA): %s", dir);
    snprintf(path, sizeof(path), "%s/%s", dir, relative);
    return path;
}

static char tmp_dir[256];
static pid_t tmp_owner;

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Every test process used to leave its directory behind: thousands of
 * them, gigabytes, piled up in /tmp over a day of landing. A child forked
 * without exec shares the static path and must not remove it under its
 * parent. FEWFLOW_TEST_KEEP keeps the files to look at after a failure. */
static void tmpdir_remove(void)
{
    if (getpid() != tmp_owner || getenv("FEWFLOW_TEST_KEEP") != NULL)
        return;
    nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *testutil_tmpdir(void)
{
    if (tmp_dir[0] == '\0') {
        snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/fewflow-test-XXXXXX");
        if (mkdtemp(tmp_dir) == NULL)
            fail_msg("mkdtemp failed");
        tmp_owner = getpid();
        atexit(tmpdir_remove);
    }
    return tmp_dir;
}

int testutil_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 4096, len = 0;
    char *buf;

    if (p == NULL)
        return -1;
    buf = malloc(cap);
    for (;;) {
        if (len + 1024 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    buf[len] = '\0';
    int status = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int testutil_runf(char **out, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    free(*out);
    *out = NULL;
    return testutil_run(cmd, out);
}

const char *testutil_bin(void)
{
    const char *bin = getenv("FEWFLOW_BIN");
    if (bin == NULL)
        fail_msg("FEWFLOW_BIN is not set (run the tests through ctest)");
    return bin;
}

int testutil_near(double a, double b, double tol, const char *sa,
                  const char *sb, const char *file, int line)
{
    if (fabs(a - b) <= tol && !isnan(a) && !isnan(b))
        return 1;
    print_error("%s:%d: %s = %.9g, %s = %.9g, |diff| %.3g > %.3g\n", file,
                line, sa, a, sb, b, fabs(a - b), tol);
    return 0;
}

const char *testutil_tmp(const char *name)
{
    static char path[4][512];
    static int turn;
    char *p = path[turn++ % 4];

    snprintf(p, 512, "%s/%s", testutil_tmpdir(), name);
    return p;
}

const char *testutil_write(const char *name, const char *text)
{
    const char *path = testutil_tmp(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

static int class_of(const char *stem)
{
    const char *u = strrchr(stem, '_');
    return u ? (int)(u - stem) : (int)strlen(stem);
}

int testutil_train_small(const char *name, const char *test1,
                         const char *test2, const char *opts, char *model,
                         size_t len, char **out)
{
    char proto[512];

    snprintf(proto, sizeof(proto), "%s/%s.proto", testutil_tmpdir(), name);
    snprintf(model, len, "%s/%s.model", testutil_tmpdir(), name);
    FILE *f = fopen(proto, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "name: %s\n"
            "data: cic-ids2017-improved/BENIGN_4066_no-thursday.csv.xz, "
            "cic-ids2017-improved/DDoS_5000.csv.xz, "
            "cic-ids2017-improved/Portscan_5000.csv.xz, "
            "cic-ids2017-improved/%s.csv.xz, "
            "cic-ids2017-improved/%s.csv.xz\n"
            "train: BENIGN, DDoS, Portscan\n"
            "test: %.*s, %.*s\n", name, test1, test2, class_of(test1),
            test1, class_of(test2), test2);
    fclose(f);
    return testutil_runf(out, "%s -q train --protocol %s --way 3 --no-val "
                         "%s -o %s 2>&1", testutil_bin(), proto, opts, model);
}

int testutil_model_tiny(const char *name, char *model, size_t len,
                        char **out)
{
    return testutil_train_small(name, "Heartbleed_11", "Botnet_736",
                                "--shot 5 --query 5 --episodes 20 "
                                "--hidden 16 --emb 8", model, len, out);
}

int testutil_model_local(const char *name, const char *capture, char *model,
                         size_t len, char **out)
{
    int rc = testutil_model_tiny(name, model, len, out);
    if (rc != 0)
        return rc;
    return testutil_runf(out, "%s -q enroll --model %s --name local "
                         "--benign --flows %s -o %s.b 2>&1", testutil_bin(),
                         model, capture, model);
}

int testutil_model_ssh(const char *name, char *model, size_t len,
                       char **out)
{
    return testutil_train_small(name, "SSH-Patator_2961", "Heartbleed_11",
                                "--shot 5 --query 5 --episodes 20 "
                                "--hidden 32 --emb 16", model, len, out);
}

size_t testutil_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void testutil_synflood_parts(void)
{
    FILE *in = fopen(testutil_data_path("pcaps/stopddos/"
                                        "pkt.TCP.synflood.spoofed.pcap"),
                     "rb");
    assert_non_null(in);
    FILE *p1 = fopen(testutil_tmp("p1"), "wb");
    FILE *p2 = fopen(testutil_tmp("p2"), "wb");
    assert_true(p1 != NULL && p2 != NULL);
    uint8_t head[24], rec[16], data[65536];
    assert_int_equal(fread(head, 1, 24, in), 24);
    assert_int_equal(le32(head), 0xa1b2c3d4u);
    fwrite(head, 1, 24, p1);
    for (uint32_t n = 0; n < 3000; n++) {
        assert_int_equal(fread(rec, 1, 16, in), 16);
        uint32_t len = le32(rec + 8);
        assert_true(len <= sizeof(data));
        assert_int_equal(fread(data, 1, len, in), len);
        put_le32(rec, 1619605821u + n * 2000 / 1000000);
        put_le32(rec + 4, n * 2000 % 1000000);
        fwrite(rec, 1, 16, n < 2000 ? p1 : p2);
        fwrite(data, 1, len, n < 2000 ? p1 : p2);
    }
    fclose(in);
    fclose(p1);
    fclose(p2);
}
