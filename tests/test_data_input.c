/*
 * Compressed and damaged input, long records, headerless NSL-KDD files,
 * and what `fewflow data inspect` does with bad input (exit 2, one line on
 * stderr naming the file, nothing on stdout). All files are written here.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fewflow/csv.h"
#include "fewflow/data.h"
#include "fewflow/err.h"
#include "testutil.h"

static const char sample[] =
    "a,b,label\n1,2.5,x\n3,NaN,y\n5,6,x\n7,8,z\n";

static const char *tmp_path(const char *name)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];

    snprintf(p, 512, "%s/%s", testutil_tmpdir(), name);
    return p;
}

static const char *put(const char *name, const void *data, size_t n)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return p;
}

static size_t xz_compress(const void *in, size_t n, uint8_t *out, size_t cap)
{
    size_t pos = 0;

    /* Preset 0: the test needs xz bytes, not a small file. */
    assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC64, NULL, in,
                                             n, out, &pos, cap), LZMA_OK);
    return pos;
}

static size_t gz_compress(const void *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z;

    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}

static struct table *load(const char *path, int expect_rc)
{
    const char *paths[1] = { path };
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(data_load(paths, 1, NULL, &s, &t, NULL), expect_rc);
    schema_destroy(s);
    return t;
}

static void compressed_files_read_like_plain_ones(void **state)
{
    uint8_t buf[4096], two[8192];
    size_t n_xz = xz_compress(sample, strlen(sample), buf, sizeof(buf));
    struct table *plain = load(put("s.csv", sample, strlen(sample)), 0);
    struct table *xz = load(put("s.csv.xz", buf, n_xz), 0);
    size_t n_gz = gz_compress(sample, strlen(sample), buf, sizeof(buf));
    struct table *gz = load(put("s.gz", buf, n_gz), 0);

    assert_int_equal(plain->n_rows, 4);
    for (int k = 0; k < 2; k++) {
        struct table *c = k ? gz : xz;
        assert_int_equal(c->n_rows, plain->n_rows);
        assert_int_equal(c->n_cols, plain->n_cols);
        assert_memory_equal(c->x, plain->x,
                            plain->n_rows * plain->n_cols * sizeof(float));
    }
    /* Two gzip members one after the other read as one stream; the
     * second member's header line is a data line with text in it. */
    memcpy(two, buf, n_gz);
    memcpy(two + n_gz, buf, n_gz);
    struct table *cat = load(put("two.gz", two, 2 * n_gz), ERR_PARSE);
    assert_null(cat);
    assert_non_null(strstr(err_msg(), "two.gz:6: column 'a': not a number"));
    table_destroy(plain);
    table_destroy(xz);
    table_destroy(gz);
}

static void truncated_or_damaged_compression_is_an_error(void **state)
{
    uint8_t buf[4096];
    size_t n = xz_compress(sample, strlen(sample), buf, sizeof(buf));

    for (size_t cut = 6; cut < n; cut += 7) {
        assert_null(load(put("cut.csv.xz", buf, cut), ERR_IO));
        if (strstr(err_msg(), "cut.csv.xz: truncated xz") == NULL &&
            strstr(err_msg(), "cut.csv.xz: damaged xz") == NULL)
            fail_msg("cut at %zu: %s", cut, err_msg());
    }
    buf[n / 2] ^= 0x55;
    assert_null(load(put("bad.csv.xz", buf, n), ERR_IO));
    assert_non_null(strstr(err_msg(), "bad.csv.xz: damaged xz"));

    n = gz_compress(sample, strlen(sample), buf, sizeof(buf));
    for (size_t cut = 2; cut < n; cut += 5) {
        assert_null(load(put("cut.gz", buf, cut), ERR_IO));
        if (strstr(err_msg(), "cut.gz: ") == NULL)
            fail_msg("cut at %zu: %s", cut, err_msg());
    }
}

/* Bytes after a complete gzip member that are no gzip member: the error
 * counts every byte decoded, not those of the member being started. */
static void gzip_trailing_garbage_names_the_decoded_total(void **state)
{
    uint8_t buf[4096];
    char want[64];
    size_t n = gz_compress(sample, strlen(sample), buf, sizeof(buf));

    (void)state;
    memcpy(buf + n, "garbage!", 8);
    assert_null(load(put("trail.gz", buf, n + 8), ERR_IO));
    snprintf(want, sizeof(want), "after %zu decoded bytes", strlen(sample));
    if (strstr(err_msg(), want) == NULL)
        fail_msg("want '%s' in: %s", want, err_msg());
}

/* Blanks around a categorical value are not part of it, as for labels
 * and numbers: " tcp " is the category tcp, not two unseen new ones. */
static void categorical_values_ignore_surrounding_blanks(void **state)
{
    static const char text[] =
        "a,proto,label\n1,tcp,x\n2, tcp ,y\n3,tcp\t,x\n4,udp,y\n";
    const char *path = put("blanks.csv", text, strlen(text));
    const char *paths[1] = { path };
    static const char *const cat[1] = { "proto" };
    struct data_options opt;
    struct schema *s = NULL;
    struct table *t = NULL;

    (void)state;
    data_options_init(&opt);
    opt.categorical = cat;
    opt.n_categorical = 1;
    assert_int_equal(data_load(paths, 1, &opt, &s, &t, NULL), 0);
    /* a, proto=tcp, proto=udp, proto=<other> */
    assert_int_equal(t->n_cols, 4);
    for (size_t r = 1; r < 3; r++)
        assert_float_equal(t->x[r * t->n_cols + 1], 1.0f, 0.0f);
    /* Loading again with the fitted schema maps them the same way. */
    struct table *u = NULL;
    assert_int_equal(data_load_with(paths, 1, s, &opt, &u, NULL), 0);
    assert_memory_equal(u->x, t->x, t->n_rows * t->n_cols * sizeof(float));
    table_destroy(u);
    table_destroy(t);
    schema_destroy(s);
}

/* Over 256 KiB compressed, a decoder thread feeds the parser: the table
 * must equal the plain file's, and a cut must still be an error. */
static void large_compressed_files_decode_alongside_parsing(void **state)
{
    size_t cap = 1200u << 10, n = 0, out_cap = 2u << 20;
    char *text = malloc(cap);
    uint8_t *packed = malloc(out_cap);
    unsigned long long x = 0x9e3779b97f4a7c15ULL;

    n += (size_t)sprintf(text, "a,b,c,label\n");
    while (n + 100 < cap) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        n += (size_t)sprintf(text + n, "%llu,%llu.%llu,%llu,k%llu\n",
                             x % 1000003, (x >> 20) % 9973, (x >> 9) % 97,
                             (x >> 33) % 65536, (x >> 50) % 7);
    }
    struct table *plain = load(put("big.csv", text, n), 0);
    for (int k = 0; k < 2; k++) {
        size_t m = k ? gz_compress(text, n, packed, out_cap)
                     : xz_compress(text, n, packed, out_cap);
        assert_true(m > (256u << 10));
        const char *name = k ? "big.csv.gz" : "big.csv.xz";
        struct table *t = load(put(name, packed, m), 0);
        assert_int_equal(t->n_rows, plain->n_rows);
        assert_memory_equal(t->x, plain->x,
                            t->n_rows * t->n_cols * sizeof(float));
        table_destroy(t);
        assert_null(load(put(name, packed, m - m / 3), ERR_IO));
        assert_non_null(strstr(err_msg(), name));
    }
    table_destroy(plain);
    free(text);
    free(packed);
}

static void a_record_longer_than_the_buffer_is_read_whole(void **state)
{
    size_t big = 3u << 20;
    char *text = malloc(big + 64);
    size_t n = (size_t)sprintf(text, "name,label\n\"");

    memset(text + n, 'q', big);
    n += big;
    n += (size_t)sprintf(text + n, "\",x\n");
    struct csv_reader *r = csv_open(put("long.csv", text, n));
    struct csv_record rec;
    assert_non_null(r);
    assert_int_equal(csv_next(r, &rec), 1);
    assert_int_equal(csv_next(r, &rec), 1);
    assert_int_equal(rec.lens[0], big);
    assert_string_equal(rec.fields[1], "x");
    assert_int_equal(csv_next(r, &rec), 0);
    csv_close(r);
    free(text);
}

static const char nsl_rows[] =
    "0,tcp,http,SF,215,45076,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,"
    "0.00,0.00,1.00,0.00,0.00,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,"
    "normal,21\n"
    "0,udp,private,SF,105,146,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,"
    "0.00,0.00,1.00,0.00,0.00,255,254,1.00,0.01,0.00,0.00,0.00,0.00,0.00,"
    "0.00,snmpgetattack,11\n";

static void headerless_nsl_kdd_is_recognised(void **state)
{
    const char *p = put("kdd.txt", nsl_rows, strlen(nsl_rows));
    const char *paths[1] = { p };
    struct data_options opt;
    struct schema *s = NULL;
    struct table *t = NULL;

    data_options_init(&opt);
    opt.label_family = 1;
    assert_int_equal(data_load(paths, 1, &opt, &s, &t, NULL), 0);
    assert_string_equal(schema_profile(s), "nsl-kdd");
    assert_int_equal(t->n_rows, 2);
    /* 38 numeric + protocol 2+1, service 2+1, flag 1+1 one-hot. */
    assert_int_equal(t->n_cols, 38 + 3 + 3 + 2);
    assert_string_equal(t->class_names[t->y[1]], "R2L");
    assert_int_equal(table_col_index(t, "difficulty"), -1);
    assert_true(table_col_index(t, "service=http") >= 0);
    table_destroy(t);
    schema_destroy(s);

    /* Naming a column the profile already one-hot encodes changes
     * nothing (it used to be called "the label or dropped"). */
    const char *cat[] = { "flag" };
    opt.categorical = cat;
    opt.n_categorical = 1;
    assert_int_equal(data_load(paths, 1, &opt, &s, &t, NULL), 0);
    assert_int_equal(t->n_cols, 38 + 3 + 3 + 2);
    table_destroy(t);
    schema_destroy(s);
}

/* Runs the CLI; returns the exit status, stdout and stderr (malloc'd). */
static int run_cli(const char *args, char **out, char **err)
{
    char cmd[2048];
    const char *errf = tmp_path("stderr.txt");

    snprintf(cmd, sizeof(cmd), "'%s' data inspect %s 2>'%s'",
             testutil_bin(), args, errf);
    int rc = testutil_run(cmd, out);
    snprintf(cmd, sizeof(cmd), "cat '%s'", errf);
    assert_int_equal(testutil_run(cmd, err), 0);
    return rc;
}

static void inspect_reports_bad_input_with_exit_2(void **state)
{
    uint8_t buf[4096];
    size_t n = xz_compress(sample, strlen(sample), buf, sizeof(buf));
    char args[1024], *out, *err;
    const char *cases[][2] = {
        { put("short.csv", "a,b\n1,2\n3\n", 10), ":3: expected 2 fields" },
        { put("trunc.csv.xz", buf, n - 9), "trunc.csv.xz: " },
        { tmp_path("absent.csv"), "absent.csv: cannot open" },
        { put("empty.csv", "", 0), "empty.csv:1: empty file" },
    };

    for (size_t i = 0; i < 4; i++) {
        snprintf(args, sizeof(args), "'%s'", cases[i][0]);
        assert_int_equal(run_cli(args, &out, &err), 2);
        assert_string_equal(out, "");
        if (strstr(err, cases[i][1]) == NULL)
            fail_msg("%s: stderr was '%s'", cases[i][0], err);
        assert_non_null(strchr(err, '\n'));
        assert_string_equal(strchr(err, '\n'), "\n");
        free(out);
        free(err);
    }
    snprintf(args, sizeof(args), "--label nope '%s'",
             put("ok.csv", sample, strlen(sample)));
    assert_int_equal(run_cli(args, &out, &err), 2);
    assert_non_null(strstr(err, "ok.csv:1: --label: no column 'nope'"));
    free(out);
    free(err);
}

/* Dropping every feature column leaves nothing to learn from: an error,
 * not an empty table reported as a success. */
static void inspect_rejects_a_table_without_features(void **state)
{
    char args[1024], *out, *err;
    const char *ok = put("ok.csv", sample, strlen(sample));
    const char *cases[] = {
        "--drop a,b", "--drop a --label b", "--drop b,a --no-label",
    };

    for (size_t i = 0; i < 3; i++) {
        snprintf(args, sizeof(args), "%s '%s'", cases[i], ok);
        assert_int_equal(run_cli(args, &out, &err), 2);
        assert_string_equal(out, "");
        if (strstr(err, "ok.csv:1: no feature columns left") == NULL)
            fail_msg("%s: stderr was '%s'", cases[i], err);
        assert_string_equal(strchr(err, '\n'), "\n");
        free(out);
        free(err);
    }
    snprintf(args, sizeof(args), "--drop a '%s'", ok);
    assert_int_equal(run_cli(args, &out, &err), 0);
    free(out);
    free(err);
}

static void inspect_json_lists_counts(void **state)
{
    char args[1024], cmd[2048], *out, *err;

    /* "-" reads standard input, compressed or not. */
    uint8_t buf[4096];
    size_t n = xz_compress(sample, strlen(sample), buf, sizeof(buf));
    snprintf(cmd, sizeof(cmd), "'%s' -q data inspect --json - < '%s'",
             testutil_bin(), put("stdin.xz", buf, n));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "\"rows\":4,"));
    free(out);

    snprintf(args, sizeof(args), "--json '%s'",
             put("ok.csv", sample, strlen(sample)));
    assert_int_equal(run_cli(args, &out, &err), 0);
    assert_non_null(strstr(out, "\"rows\":4,"));
    assert_non_null(strstr(out, "\"labels\":{\"x\":2,\"y\":1,\"z\":1}"));
    assert_non_null(strstr(out, "\"nonfinite\":{\"total\":1,\"columns\":"
                           "{\"b\":1}}"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compressed_files_read_like_plain_ones),
        cmocka_unit_test(truncated_or_damaged_compression_is_an_error),
        cmocka_unit_test(gzip_trailing_garbage_names_the_decoded_total),
        cmocka_unit_test(categorical_values_ignore_surrounding_blanks),
        cmocka_unit_test(large_compressed_files_decode_alongside_parsing),
        cmocka_unit_test(a_record_longer_than_the_buffer_is_read_whole),
        cmocka_unit_test(headerless_nsl_kdd_is_recognised),
        cmocka_unit_test(inspect_reports_bad_input_with_exit_2),
        cmocka_unit_test(inspect_rejects_a_table_without_features),
        cmocka_unit_test(inspect_json_lists_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
