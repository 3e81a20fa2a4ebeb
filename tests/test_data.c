/*
 * The data module on small files the tests write themselves: CSV reader
 * edge cases, compressed input, profiles, schema re-encoding and round
 * trip. Normaliser and shared-dataset checks are in their own files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/num.h"
#include "fewflow/csv.h"
#include "fewflow/data.h"
#include "fewflow/err.h"
#include "testutil.h"

/* Writes text into a file of the test directory and returns its path. */
static const char *write_file(const char *name, const void *data, size_t n)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];

    snprintf(p, 512, "%s/%s", testutil_tmpdir(), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

static int load_one(const char *path, const struct data_options *opt,
                    struct schema **s, struct table **t)
{
    const char *paths[1] = { path };
    return data_load(paths, 1, opt, s, t, NULL);
}

static void snake_names_follow_the_documented_rule(void **state)
{
    char out[64];
    static const char *const cases[][2] = {
        { "Flow Duration", "flow_duration" },
        { " Fwd Packet Length Max", "fwd_packet_length_max" },
        { "Flow Bytes/s", "flow_bytes_s" },
        { "Init_Win_bytes_forward", "init_win_bytes_forward" },
        { "\xef\xbb\xbfid", "id" },
        { "Down/Up Ratio ", "down_up_ratio" },
        { "FWD Init Win Bytes", "fwd_init_win_bytes" },
        { "__a--b__", "a_b" },
        { "Type ", "type" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(data_column_snake(cases[i][0], out, sizeof(out)), 0);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(data_column_snake(" /// ", out, sizeof(out)),
                     ERR_INVALID);
    assert_int_equal(data_column_snake("abcdefgh", out, 4), ERR_RANGE);
}

/* The fast paths must give the same double as strtod, bit for bit. */
static void numbers_parse_exactly_like_strtod(void **state)
{
    static const char *const fixed[] = {
        "0", "0.00", "12983", "0.000011", "-2.5", "+.5", "1e3", "1E-7",
        "123456789012345", "1234567890123456789", "0.1", "9007199254740993",
        "3.4028234663852886e38", "2.2250738585072014e-308", " 7 ", "1.",
        "0.30000000000000004", "4.35e-5", "123456.789e3",
    };
    char buf[64];
    double a;
    unsigned long long x = 88172645463325252ULL;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        assert_int_equal(num_parse(fixed[i], strlen(fixed[i]), &a), 0);
        assert_true(a == strtod(fixed[i], NULL));
    }
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int digits = 1 + (int)(x % 18), dot = (int)((x >> 8) % 20);
        size_t n = 0;
        if ((x >> 20) & 1)
            buf[n++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == dot && d > 0)
                buf[n++] = '.';
            buf[n++] = (char)('0' + (x >> (24 + 2 * (d % 16))) % 10);
        }
        if ((x >> 60) % 4 == 0)
            n += (size_t)sprintf(buf + n, "e%d", (int)((x >> 40) % 60) - 30);
        buf[n] = '\0';
        assert_int_equal(num_parse(buf, n, &a), 0);
        if (a != strtod(buf, NULL))
            fail_msg("%s: %.17g != %.17g", buf, a, strtod(buf, NULL));
    }
    assert_int_equal(num_parse("nan", 3, &a), 1);
    assert_int_equal(num_parse("-Infinity", 9, &a), 1);
    assert_int_equal(num_parse("  ", 2, &a), 2);
    assert_int_equal(num_parse("1e", 2, &a), -1);
    assert_int_equal(num_parse("0x10", 4, &a), -1);
    assert_int_equal(num_parse("1.2.3", 5, &a), -1);
    assert_int_equal(num_parse("1e999", 5, &a), 0);
    assert_true(a == 1.7976931348623157e308);
}

static void reader_handles_bom_crlf_quotes_and_blank_lines(void **state)
{
    const char *p = write_text("q.csv",
        "\xef\xbb\xbf" "a,\"b, quoted\",c\r\n"
        "1,\"x \"\"y\"\"\",\r\n"
        "\r\n"
        "2,\"multi\nline\",z");
    struct csv_reader *r = csv_open(p);
    struct csv_record rec;

    assert_non_null(r);
    assert_int_equal(csv_next(r, &rec), 1);
    assert_int_equal(rec.n_fields, 3);
    assert_string_equal(rec.fields[0], "a");
    assert_string_equal(rec.fields[1], "b, quoted");
    assert_int_equal(csv_next(r, &rec), 1);
    assert_string_equal(rec.fields[1], "x \"y\"");
    assert_string_equal(rec.fields[2], "");
    assert_int_equal(rec.line, 2);
    assert_int_equal(csv_next(r, &rec), 1);
    assert_int_equal(rec.line, 4);
    assert_string_equal(rec.fields[1], "multi\nline");
    assert_string_equal(rec.fields[2], "z");
    assert_int_equal(csv_next(r, &rec), 0);
    csv_close(r);
}

/* Unquoted records are split eight bytes at a time: fields of every
 * length around word boundaries, CRLF and a last line without newline
 * must come out exactly as written. */
static void unquoted_fields_split_exactly(void **state)
{
    enum { ROWS = 400, MAX_FIELDS = 37, MAX_LEN = 19 };
    static char text[ROWS * MAX_FIELDS * (MAX_LEN + 1) + ROWS * 2];
    static char want[ROWS][MAX_FIELDS][MAX_LEN + 1];
    const char alphabet[] = "abz019.-+ eE_";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t len = 0, n_fields = 1 + 36;

    for (size_t i = 0; i < ROWS; i++) {
        for (size_t j = 0; j < n_fields; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t k = (size_t)(x >> 59) % (MAX_LEN + 1);
            for (size_t c = 0; c < k; c++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                want[i][j][c] = alphabet[(x >> 40) % (sizeof(alphabet) - 1)];
            }
            want[i][j][k] = '\0';
            len += (size_t)sprintf(text + len, "%s%s", j ? "," : "",
                                   want[i][j]);
        }
        if (i + 1 < ROWS)
            len += (size_t)sprintf(text + len, "%s", i % 3 ? "\n" : "\r\n");
    }
    struct csv_reader *r = csv_open_mem(text, len, "split.csv");
    struct csv_record rec;
    assert_non_null(r);
    for (size_t i = 0; i < ROWS; i++) {
        if (csv_next(r, &rec) != 1)
            fail_msg("row %zu: %s", i, err_msg());
        assert_int_equal(rec.n_fields, n_fields);
        for (size_t j = 0; j < n_fields; j++) {
            assert_string_equal(rec.fields[j], want[i][j]);
            assert_int_equal(rec.lens[j], strlen(want[i][j]));
        }
    }
    assert_int_equal(csv_next(r, &rec), 0);
    csv_close(r);
}

static void wrong_field_count_names_file_and_line(void **state)
{
    const char *p = write_text("short.csv", "a,b,c\n1,2,3\n4,5\n");
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), ERR_PARSE);
    assert_null(t);
    assert_non_null(strstr(err_msg(), "short.csv:3: expected 3 fields, "
                           "found 2"));
}

static void bad_inputs_fail_with_a_clear_message(void **state)
{
    static const struct {
        const char *name, *text, *expect;
    } cases[] = {
        { "empty.csv", "", "empty.csv:1: empty file" },
        { "quote.csv", "a,b\n1,\"open\n", "quote.csv:2: unterminated" },
        { "after.csv", "a,b\n1,\"x\"y\n", "after.csv:2: text after a closing" },
        { "text.csv", "a,label\n1,x\nfoo,y\n", "text.csv:3: column 'a': not "
          "a number: 'foo'" },
        { "nul.csv", "a,b\n1,2\n3,\0\n", "nul.csv:3: NUL byte" },
        { "mac.csv", "a,label\r1,x\r2,y\r", "mac.csv:1: bare CR line" },
    };
    struct schema *s = NULL;
    struct table *t = NULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].text);
        if (strcmp(cases[i].name, "nul.csv") == 0)
            n = 12;
        const char *p = write_file(cases[i].name, cases[i].text, n);
        assert_true(load_one(p, NULL, &s, &t) < 0);
        assert_null(s);
        assert_null(t);
        if (strstr(err_msg(), cases[i].expect) == NULL)
            fail_msg("%s: got '%s'", cases[i].name, err_msg());
    }
    assert_int_equal(load_one("/nonexistent/x.csv", NULL, &s, &t),
                     ERR_NOTFOUND);
    assert_non_null(strstr(err_msg(), "/nonexistent/x.csv"));
}

static void nonfinite_values_get_zero_and_an_indicator(void **state)
{
    const char *p = write_text("nf.csv",
        " Rate , Count,Label\n"
        "NaN,1,a\n"
        "Infinity,2,b\n"
        "-inf,3,a\n"
        ",4,b\n"
        "1e300,5,a\n"
        "2.5,-1e400,b\n");
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    assert_int_equal(t->n_rows, 6);
    assert_int_equal(t->n_cols, 3);
    assert_string_equal(t->col_names[0], "rate");
    assert_string_equal(t->col_names[1], "rate=<nonfinite>");
    assert_string_equal(t->col_names[2], "count");
    for (size_t i = 0; i < 4; i++) {
        assert_true(table_row(t, i)[0] == 0.0f);
        assert_true(table_row(t, i)[1] == 1.0f);
    }
    assert_true(table_row(t, 4)[0] == 3.4028234663852886e38f);
    assert_true(table_row(t, 4)[1] == 0.0f);
    assert_true(table_row(t, 5)[0] == 2.5f);
    assert_true(table_row(t, 5)[2] == -3.4028234663852886e38f);
    assert_int_equal(t->n_classes, 2);
    assert_string_equal(schema_label_column(s), "label");
    table_destroy(t);
    schema_destroy(s);
}

static void duplicate_headers_get_suffixes(void **state)
{
    const char *p = write_text("dup.csv", "x,X ,y,label\n1,2,3,a\n");
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    assert_int_equal(t->n_cols, 3);
    assert_string_equal(t->col_names[0], "x");
    assert_string_equal(t->col_names[1], "x_2");
    assert_true(table_row(t, 0)[1] == 2.0f);
    table_destroy(t);
    schema_destroy(s);

    /* A header that already has x_2 pushes the repeat to x_3. */
    p = write_text("dup2.csv", "x,x_2,x,label\n1,2,3,a\n");
    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    assert_string_equal(t->col_names[2], "x_3");
    table_destroy(t);
    schema_destroy(s);
}

/* Thousands of identical header names (hostile input) load in linear
 * time; a cubic renaming loop made this take minutes. */
static void wide_repeated_headers_stay_fast(void **state)
{
    size_t n = 20000;
    char *text = malloc(5 * n + 64), *p = text;
    struct schema *s = NULL;
    struct table *t = NULL;

    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "0 ,");
    p += sprintf(p, "label\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "1,");
    p += sprintf(p, "a\n");
    assert_int_equal(load_one(write_text("wide.csv", text), NULL, &s, &t), 0);
    assert_int_equal(t->n_cols, n);
    assert_string_equal(t->col_names[n - 1], "0_20000");
    table_destroy(t);
    schema_destroy(s);
    free(text);
}

static const char generic_csv[] =
    "proto,bytes,host,label\n"
    "tcp,10,h1,benign\n"
    "udp,20,h2,scan\n"
    "tcp,30,h3,benign\n";

static void categorical_columns_become_one_hot(void **state)
{
    const char *p = write_text("cat.csv", generic_csv);
    const char *drop[] = { "host" };
    struct data_options opt;
    struct schema *s = NULL;
    struct table *t = NULL;

    data_options_init(&opt);
    opt.drop = drop;
    opt.n_drop = 1;
    assert_int_equal(load_one(p, &opt, &s, &t), 0);
    assert_int_equal(t->n_cols, 4);
    assert_string_equal(t->col_names[0], "proto=tcp");
    assert_string_equal(t->col_names[1], "proto=udp");
    assert_string_equal(t->col_names[2], "proto=<other>");
    assert_string_equal(t->col_names[3], "bytes");
    assert_true(table_row(t, 1)[1] == 1.0f && table_row(t, 1)[0] == 0.0f);

    const char *names[] = { "Bytes", "proto", "label" };
    const char *values[] = { "7", "icmp", "x" };
    float out[4];
    assert_int_equal(schema_encode_pairs(s, 3, names, values, out), 0);
    assert_true(out[0] == 0.0f && out[1] == 0.0f && out[2] == 1.0f);
    assert_true(out[3] == 7.0f);
    assert_int_equal(schema_encode_pairs(s, 1, names, values, out),
                     ERR_NOTFOUND);
    assert_non_null(strstr(err_msg(), "'proto'"));
    table_destroy(t);
    schema_destroy(s);
}

static void unknown_label_and_drop_columns_are_errors(void **state)
{
    const char *p = write_text("lab.csv", generic_csv);
    const char *drop[] = { "nope" };
    struct data_options opt;
    struct schema *s = NULL;
    struct table *t = NULL;

    data_options_init(&opt);
    opt.label = "attack";
    assert_int_equal(load_one(p, &opt, &s, &t), ERR_NOTFOUND);
    assert_non_null(strstr(err_msg(), "lab.csv:1: --label: no column "
                           "'attack'"));
    data_options_init(&opt);
    opt.drop = drop;
    opt.n_drop = 1;
    assert_int_equal(load_one(p, &opt, &s, &t), ERR_NOTFOUND);
    assert_null(s);

    /* Nothing left to encode is an error too, from a file or a buffer. */
    const char *all[] = { "proto", "bytes", "host" };
    opt.drop = all;
    opt.n_drop = 3;
    assert_int_equal(load_one(p, &opt, &s, &t), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "lab.csv:1: no feature columns left"));
    assert_null(s);
    assert_null(t);
    assert_int_equal(data_load_buffer(generic_csv, strlen(generic_csv),
                                      "mem.csv", NULL, &opt, &s, &t),
                     ERR_INVALID);
    assert_null(s);
    assert_null(t);
}

static void schema_round_trip_encodes_identically(void **state)
{
    const char *p = write_text("rt.csv", generic_csv);
    struct schema *s = NULL, *back = NULL;
    struct table *t = NULL, *t2 = NULL;
    struct bytes_writer w;
    struct bytes_reader r;

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    bytes_writer_init(&w);
    assert_int_equal(schema_write(s, &w), 0);
    bytes_reader_init(&r, w.data, w.len);
    assert_int_equal(schema_read(&r, &back), 0);
    assert_int_equal(r.pos, w.len);
    assert_int_equal(schema_n_cols(back), schema_n_cols(s));
    for (size_t j = 0; j < schema_n_cols(s); j++)
        assert_string_equal(schema_col_name(back, j), schema_col_name(s, j));

    const char *paths[1] = { p };
    assert_int_equal(data_load_with(paths, 1, back, NULL, &t2, NULL), 0);
    assert_int_equal(t2->n_rows, t->n_rows);
    assert_memory_equal(t2->x, t->x, t->n_rows * t->n_cols * sizeof(float));

    /* Every truncation of the bytes fails cleanly. */
    for (size_t n = 0; n < w.len; n++) {
        struct schema *bad = NULL;
        bytes_reader_init(&r, w.data, n);
        assert_int_equal(schema_read(&r, &bad), ERR_FORMAT);
        assert_null(bad);
    }
    bytes_writer_fini(&w);
    table_destroy(t);
    table_destroy(t2);
    schema_destroy(s);
    schema_destroy(back);
}

static void existing_schema_names_a_missing_column(void **state)
{
    const char *p = write_text("fit.csv", generic_csv);
    const char *q = write_text("new.csv", "label,proto\nbenign,tcp\n");
    struct schema *s = NULL;
    struct table *t = NULL, *t2 = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    const char *paths[1] = { q };
    assert_int_equal(data_load_with(paths, 1, s, NULL, &t2, NULL),
                     ERR_NOTFOUND);
    assert_non_null(strstr(err_msg(), "new.csv: required column 'bytes'"));
    assert_null(t2);
    table_destroy(t);
    schema_destroy(s);
}

static void several_files_load_as_one_dataset(void **state)
{
    const char *a = write_text("part1.csv", "x,y,label\n1,2,p\n3,4,q\n");
    const char *b = write_text("part2.csv", "label,y,x,extra\nr,6,5,9\n");
    const char *c = write_text("part3.csv", "x,label\n7,p\n");
    const char *paths[3] = { a, b, c };
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(data_load(paths, 2, NULL, &s, &t, NULL), 0);
    assert_int_equal(t->n_rows, 3);
    assert_true(table_row(t, 2)[0] == 5.0f && table_row(t, 2)[1] == 6.0f);
    assert_string_equal(t->class_names[t->y[2]], "r");
    table_destroy(t);
    schema_destroy(s);
    assert_int_equal(data_load(paths, 3, NULL, &s, &t, NULL), ERR_NOTFOUND);
    assert_non_null(strstr(err_msg(), "part3.csv: required column 'y'"));
    assert_null(t);
}

static void numeric_pairs_follow_the_nonfinite_policy(void **state)
{
    const char *p = write_text("num.csv",
                               "Flow Bytes/s,n,label\nInfinity,1,a\n2,3,b\n");
    struct schema *s = NULL;
    struct table *t = NULL;
    float out[3];

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    assert_int_equal(schema_n_cols(s), 3);
    const char *names[] = { "n", "flow_bytes_s", "src_ip" };
    const double values[] = { 4.0, NAN, 1.0 };
    assert_int_equal(schema_encode_numeric(s, 3, names, values, out), 0);
    assert_true(out[0] == 0.0f && out[1] == 1.0f && out[2] == 4.0f);
    const double big[] = { 1e300, -0.0, 0 };
    assert_int_equal(schema_encode_numeric(s, 2, names, big, out), 0);
    assert_true(out[2] == 3.4028234663852886e38f && out[1] == 0.0f);
    assert_false(signbit(out[0]));
    table_destroy(t);
    schema_destroy(s);

    p = write_text("numcat.csv", "proto,label\ntcp,a\n");
    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    const char *pn[] = { "proto" };
    assert_int_equal(schema_encode_numeric(s, 1, pn, values, out),
                     ERR_INVALID);
    table_destroy(t);
    schema_destroy(s);
}

static void empty_labels_are_errors(void **state)
{
    const char *p = write_text("nolab.csv", "x,label\n1,a\n2, \n");
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "nolab.csv:3: empty label"));
}

static void table_selects_classes_in_the_order_asked(void **state)
{
    const char *names[] = { "v" };
    struct table *t = table_create(1, names);
    const char *labels[] = { "a", "b", "c", "b", "a" };

    for (int i = 0; i < 5; i++) {
        float v = (float)i;
        assert_int_equal(table_append(t, &v, labels[i]), 0);
    }
    size_t counts[3];
    table_class_counts(t, counts);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 2);
    const char *keep[] = { "b", "zz", "a" };
    struct table *s = table_select_classes(t, keep, 3);
    assert_int_equal(s->n_rows, 4);
    assert_int_equal(s->n_classes, 3);
    assert_string_equal(s->class_names[0], "b");
    assert_true(table_row(s, 0)[0] == 0.0f && s->y[0] == 2);
    assert_true(table_row(s, 1)[0] == 1.0f && s->y[1] == 0);
    assert_int_equal(table_col_index(s, "v"), 0);
    assert_int_equal(table_class_id(s, "c"), -1);
    table_destroy(s);
    table_destroy(t);
}

/* The original MachineLearningCVE layout: leading spaces in names, Fwd
 * Header Length twice, Infinity and NaN in the rate columns. */
static void original_mlcve_layout_is_recognised(void **state)
{
    const char *p = write_text("mlcve.csv",
        " Destination Port, Flow Duration, Flow Bytes/s, Fwd Header Length,"
        " Fwd Header Length, Init_Win_bytes_forward, Label\n"
        "80,0,Infinity,20,20,8192,BENIGN\n"
        "22,10,NaN,32,32,29200,SSH-Patator\n"
        "21,5,100.5,40,40,-1,FTP-Patator\n");
    struct schema *s = NULL;
    struct table *t = NULL;

    assert_int_equal(load_one(p, NULL, &s, &t), 0);
    assert_string_equal(schema_profile(s), "cic-ids2017-mlcve");
    assert_int_equal(t->n_cols, 5);
    assert_string_equal(t->col_names[0], "flow_duration");
    assert_string_equal(t->col_names[1], "flow_bytes_s");
    assert_string_equal(t->col_names[2], "flow_bytes_s=<nonfinite>");
    assert_string_equal(t->col_names[3], "fwd_header_length");
    assert_string_equal(t->col_names[4], "init_win_bytes_forward");
    assert_true(table_row(t, 2)[1] == 100.5f && table_row(t, 2)[2] == 0.0f);
    assert_true(table_row(t, 1)[1] == 0.0f && table_row(t, 1)[2] == 1.0f);
    assert_int_equal(t->n_classes, 3);
    table_destroy(t);
    schema_destroy(s);
}

/* With a fixed schema, statistics are about the rows as encoded: NaN in
 * a column without an indicator encodes as 0, so it duplicates a 0 row. */
static void fixed_schema_stats_count_encoded_duplicates(void **state)
{
    const char *a = write_text("fitA.csv", "x,y,label\n1,2,p\n");
    const char *b = write_text("newB.csv",
                               "x,y,label\nNaN,2,p\n0,2,q\n0,2,p\n");
    const char *paths[1] = { a };
    struct data_stats st;
    struct schema *s = NULL;
    struct table *t = NULL, *t2 = NULL;

    assert_int_equal(data_load(paths, 1, NULL, &s, &t, NULL), 0);
    paths[0] = b;
    assert_int_equal(data_load_with(paths, 1, s, NULL, &t2, &st), 0);
    assert_int_equal(st.n_rows, 3);
    assert_int_equal(st.nonfinite[0], 1);
    assert_int_equal(st.dup_lines, 0);
    assert_int_equal(st.dup_features, 2);
    assert_int_equal(st.dup_conflicts, 1);
    data_stats_fini(&st);
    table_destroy(t2);
    table_destroy(t);
    schema_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(snake_names_follow_the_documented_rule),
        cmocka_unit_test(numbers_parse_exactly_like_strtod),
        cmocka_unit_test(reader_handles_bom_crlf_quotes_and_blank_lines),
        cmocka_unit_test(unquoted_fields_split_exactly),
        cmocka_unit_test(wrong_field_count_names_file_and_line),
        cmocka_unit_test(bad_inputs_fail_with_a_clear_message),
        cmocka_unit_test(nonfinite_values_get_zero_and_an_indicator),
        cmocka_unit_test(duplicate_headers_get_suffixes),
        cmocka_unit_test(wide_repeated_headers_stay_fast),
        cmocka_unit_test(categorical_columns_become_one_hot),
        cmocka_unit_test(unknown_label_and_drop_columns_are_errors),
        cmocka_unit_test(schema_round_trip_encodes_identically),
        cmocka_unit_test(existing_schema_names_a_missing_column),
        cmocka_unit_test(several_files_load_as_one_dataset),
        cmocka_unit_test(numeric_pairs_follow_the_nonfinite_policy),
        cmocka_unit_test(empty_labels_are_errors),
        cmocka_unit_test(table_selects_classes_in_the_order_asked),
        cmocka_unit_test(original_mlcve_layout_is_recognised),
        cmocka_unit_test(fixed_schema_stats_count_encoded_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
