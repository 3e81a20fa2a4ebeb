/*
 * Slow-connection rule (slow.h): what makes a flow slow, the count of
 * slow connections one client holds open at once, its bound memory, and
 * detect's output on a CSV of many idle connections from one client.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "fewflow/slow.h"

/* The columns the rule reads, shuffled, and one it does not. */
enum { C_RST, C_DURATION, C_OTHER, C_FWD_BYTES, C_BWD_PKTS, C_FIN,
       C_BWD_BYTES, N_C };
static const char *const cols[N_C] = {
    "rst_flag_count", "flow_duration", "syn_flag_count",
    "total_length_of_fwd_packet", "total_bwd_packets", "fin_flag_count",
    "total_length_of_bwd_packet",
};

static char *out;

/* A flow lasting secs seconds that moved bytes of payload, unclosed. */
static const float *row(double secs, float bytes)
{
    static float x[N_C];
    memset(x, 0, sizeof(x));
    x[C_DURATION] = (float)(secs * 1e6);
    x[C_FWD_BYTES] = bytes;
    x[C_BWD_PKTS] = 3;
    x[C_OTHER] = 2;
    return x;
}

static struct alert_flow flow(const char *src, uint16_t sport, double t)
{
    struct alert_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.src_ip, sizeof(f.src_ip), "%s", src);
    snprintf(f.dest_ip, sizeof(f.dest_ip), "192.0.2.80");
    f.src_port = sport;
    f.dest_port = 80;
    f.proto = 6;
    f.flow_id = 1000u + sport;
    f.first_s = f.last_s = t;
    return f;
}

/* n connections from src, each lasting 100 s with 200 bytes (2 B/s),
 * started gap seconds apart from t0; returns how many of them judge()
 * then reports (all noted first, as one output batch). */
static int batch(struct slow *s, const char *src, int n, double t0,
                 double gap)
{
    struct slow_mark m[128];
    char why[SLOW_REASON_LEN];
    int hits = 0;
    for (int i = 0; i < n; i++) {
        struct alert_flow f = flow(src, (uint16_t)(40000 + i), t0 + i * gap);
        m[i] = slow_note(s, row(100, 200), &f, 1);
        assert_true(m[i].slow);
    }
    for (int i = 0; i < n; i++)
        hits += slow_judge(s, &m[i], 1, why);
    return hits;
}

static void test_columns(void **state)
{
    (void)state;
    assert_true(slow_columns_present(cols, N_C));
    assert_false(slow_columns_present(cols + 1, N_C - 1));
    assert_null(slow_create(cols + 1, N_C - 1, 5));
}

static void test_count_reached_or_not(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 20);
    assert_non_null(s);
    assert_int_equal(batch(s, "10.0.0.1", 20, 1e9, 0.5), 20);
    assert_int_equal(batch(s, "10.0.0.2", 19, 1e9, 0.5), 0);
    /* Twenty in a row, each ending before the next starts: one at once. */
    assert_int_equal(batch(s, "10.0.0.3", 20, 1e9, 101), 0);
    struct slow_totals t;
    slow_totals_get(s, &t);
    assert_int_equal(t.slow_flows, 59);
    assert_int_equal(t.clients, 1);
    assert_int_equal(t.escalated, 20);
    slow_destroy(s);
}

static void test_what_is_slow(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 2);
    struct alert_flow f = flow("10.0.0.1", 1, 1e9);
    assert_true(slow_note(s, row(100, 200), &f, 1).slow);
    assert_false(slow_note(s, row(100, 200), &f, 0).slow);   /* not TCP */
    assert_false(slow_note(s, row(9.9, 20), &f, 1).slow);    /* short */
    assert_false(slow_note(s, row(100, 10001), &f, 1).slow); /* fast */
    assert_true(slow_note(s, row(100, 10000), &f, 1).slow);  /* 100 B/s */
    float x[N_C];
    memcpy(x, row(100, 200), sizeof(x));
    x[C_FIN] = 1;                                             /* closed */
    assert_false(slow_note(s, x, &f, 1).slow);
    memcpy(x, row(100, 200), sizeof(x));
    x[C_RST] = 1;
    assert_false(slow_note(s, x, &f, 1).slow);
    memcpy(x, row(100, 200), sizeof(x));
    x[C_BWD_PKTS] = 0;                                        /* no reply */
    assert_false(slow_note(s, x, &f, 1).slow);
    memcpy(x, row(100, 200), sizeof(x));
    x[C_FIN] = NAN;
    assert_false(slow_note(s, x, &f, 1).slow);
    assert_false(slow_note(s, row(100, NAN), &f, 1).slow);
    struct alert_flow g = f;
    g.src_ip[0] = '\0';                                       /* no address */
    assert_false(slow_note(s, row(100, 200), &g, 1).slow);
    g = f;
    g.first_s = 0;                                            /* no time */
    assert_false(slow_note(s, row(100, 200), &g, 1).slow);
    /* The limits move with slow_set_limits. */
    slow_set_limits(s, 200, 1);
    assert_false(slow_note(s, row(100, 50), &f, 1).slow);
    assert_true(slow_note(s, row(300, 200), &f, 1).slow);
    slow_destroy(s);
}

/* Fast or closed connections beside the slow ones do not make up the
 * count. */
static void test_fast_and_closed_do_not_count(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 5);
    struct slow_mark m[4];
    char why[SLOW_REASON_LEN];
    for (int i = 0; i < 4; i++) {
        struct alert_flow f = flow("10.0.0.1", (uint16_t)(100 + i), 1e9);
        m[i] = slow_note(s, row(100, 200), &f, 1);
    }
    for (int i = 0; i < 10; i++) {
        struct alert_flow f = flow("10.0.0.1", (uint16_t)(200 + i), 1e9);
        float x[N_C];
        memcpy(x, row(100, i % 2 ? 50000 : 200), sizeof(x));
        x[C_FIN] = i % 2 ? 0 : 1;
        assert_false(slow_note(s, x, &f, 1).slow);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(slow_judge(s, &m[i], 1, why), 0);
    slow_destroy(s);
}

static void test_verdicts_and_reason(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 3);
    struct slow_mark m[3];
    char why[SLOW_REASON_LEN];
    for (int i = 0; i < 3; i++) {
        struct alert_flow f = flow("10.0.0.1", (uint16_t)(1 + i), 1e9 + i);
        m[i] = slow_note(s, row(100, (float)(100 * (i + 1))), &f, 1);
    }
    /* A flow already alerting is not reported again, but it counts. */
    assert_int_equal(slow_judge(s, &m[0], 0, why), 0);
    assert_int_equal(slow_judge(s, &m[1], 1, why), 1);
    assert_string_equal(why, "slow connections: 3 open to 192.0.2.80:80, "
                        "median 2 B/s");
    /* A flow noted without its judgement written does not fire twice. */
    struct slow_mark none;
    memset(&none, 0, sizeof(none));
    assert_int_equal(slow_judge(s, &none, 1, why), 0);
    slow_destroy(s);
}

/* Flows judged one at a time (batch 1): those written before the count
 * was reached stay benign and are counted. */
static void test_written_before(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 4);
    char why[SLOW_REASON_LEN];
    int hits = 0;
    for (int i = 0; i < 6; i++) {
        struct alert_flow f = flow("10.0.0.1", (uint16_t)(1 + i), 1e9 + i);
        struct slow_mark m = slow_note(s, row(100, 200), &f, 1);
        hits += slow_judge(s, &m, 1, why);
    }
    struct slow_totals t;
    slow_totals_get(s, &t);
    assert_int_equal(hits, 3);
    assert_int_equal(t.written_before, 3);
    slow_destroy(s);
}

/* More slow connections than a group keeps: the oldest-ending ones are
 * dropped, the count still reached. */
static void test_full_group(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, SLOW_MIN_MAX);
    /* Those dropped still count themselves with the 64 kept. */
    assert_int_equal(batch(s, "10.0.0.1", 100, 1e9, 0.1), 100);
    struct slow_totals t;
    slow_totals_get(s, &t);
    assert_int_equal(t.dropped, 100 - SLOW_KEEP);
    slow_destroy(s);
}

/* Stretches that overlap are kept as one, so a flow noted before the
 * count was reached is still covered after many more stretches. */
static void test_stretches_merge(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 2);
    char why[SLOW_REASON_LEN];
    struct slow_mark first;
    /* Connections of 250 s, one every 100 s: three open at each start. */
    for (int i = 0; i < 4 * SLOW_HOT; i++) {
        struct alert_flow f = flow("10.0.0.1", (uint16_t)(1 + i),
                                   1e9 + 100 * i);
        struct slow_mark m = slow_note(s, row(250, 500), &f, 1);
        if (i == 0)
            first = m;
    }
    assert_int_equal(first.peak, 0);
    assert_int_equal(slow_judge(s, &first, 1, why), 1);
    assert_string_equal(why, "slow connections: 3 open to 192.0.2.80:80, "
                        "median 2 B/s");
    slow_destroy(s);
}

/* A flow whose arrival reached the count keeps that in its mark, even
 * when the group's stretches have been replaced since. */
static void test_own_stretch_kept(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 2);
    char why[SLOW_REASON_LEN];
    struct alert_flow f = flow("10.0.0.1", 1, 1e9);
    slow_note(s, row(1000, 200), &f, 1);
    struct slow_mark first;
    /* Short connections beside the long one, apart from each other:
     * each makes a stretch of its own. */
    for (int i = 0; i < 3 * SLOW_HOT; i++) {
        f = flow("10.0.0.1", (uint16_t)(2 + i), 1e9 + 30 * i);
        struct slow_mark m = slow_note(s, row(10, 20), &f, 1);
        if (i == 0)
            first = m;
    }
    assert_int_equal(first.peak, 2);
    assert_int_equal(slow_judge(s, &first, 1, why), 1);
    slow_destroy(s);
}

/* A flood of one-connection clients replaces its own kind: memory stays
 * slow_bytes() and a client adding up to the count keeps its place. */
static void test_flood_of_clients(void **state)
{
    (void)state;
    struct slow *s = slow_create(cols, N_C, 20);
    size_t bytes = slow_bytes();
    struct slow_mark m[20];
    char ip[48], why[SLOW_REASON_LEN];
    for (int i = 0; i < 19; i++) {
        struct alert_flow f = flow("198.51.100.7", (uint16_t)(1 + i), 1e9);
        m[i] = slow_note(s, row(100, 200), &f, 1);
    }
    for (int i = 0; i < 50000; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        struct alert_flow f = flow(ip, 1, 1e9 + 1);
        assert_true(slow_note(s, row(100, 200), &f, 1).slow);
    }
    struct alert_flow f = flow("198.51.100.7", 20, 1e9 + 2);
    m[19] = slow_note(s, row(100, 200), &f, 1);
    int hits = 0;
    for (int i = 0; i < 20; i++)
        hits += slow_judge(s, &m[i], 1, why);
    assert_int_equal(hits, 20);
    struct slow_totals t;
    slow_totals_get(s, &t);
    assert_true(t.replaced >= 50000 - SLOW_SLOTS);
    assert_int_equal(slow_bytes(), bytes);
    assert_true(slow_bytes() < 4u << 20);
    slow_destroy(s);
}

/* How many groups 10,000 one-connection clients push out, after one
 * slow flow dated future_s (0: none). */
static uint64_t flood_replaced(double future_s)
{
    struct slow *s = slow_create(cols, N_C, 20);
    char ip[48];
    if (future_s > 0) {
        struct alert_flow f = flow("198.51.100.9", 1, future_s);
        assert_true(slow_note(s, row(100, 200), &f, 1).slow);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(ip, sizeof(ip), "10.1.%d.%d", i >> 8, i & 255);
        struct alert_flow f = flow(ip, 1, 1e9 + 0.01 * i);
        assert_true(slow_note(s, row(100, 200), &f, 1).slow);
    }
    struct slow_totals t;
    slow_totals_get(s, &t);
    slow_destroy(s);
    return t.replaced;
}

/* One row dated years ahead (a bad clock, or a later capture read
 * first) must not make the groups of the present look stale: their
 * replacement is still counted. */
static void test_future_row_keeps_replacements_counted(void **state)
{
    (void)state;
    uint64_t plain = flood_replaced(0);
    assert_true(plain >= 10000 - SLOW_SLOTS);
    /* The future group itself may be one of those pushed out. */
    assert_true(flood_replaced(2e9) >= plain);
}

/* The first ten BENIGN rows that are slow (TCP, answered, unclosed, at
 * least 10 s, at most 100 B/s), each copied k times as connections from
 * one client per row (10.9.0.N) to one server; close=1 closes the first
 * copy of each (FIN). */
static const char awk_slow[] =
    "BEGIN { FS = OFS = \",\" }\n"
    "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }\n"
    "{\n"
    "    d = $c[\"Flow Duration\"]; b = $c[\"Total Length of Fwd Packet\"]\n"
    "    b += $c[\"Total Length of Bwd Packet\"]\n"
    "    if ($c[\"Protocol\"] != 6 || $c[\"FIN Flag Count\"] > 0 ||\n"
    "        $c[\"RST Flag Count\"] > 0 || $c[\"Total Bwd packets\"] < 1 ||\n"
    "        d < 10e6 || b / (d / 1e6) > 100 || n >= 10) next\n"
    "    n++\n"
    "    $c[\"Src IP\"] = \"10.9.0.\" n; $c[\"Dst IP\"] = \"192.0.2.80\"\n"
    "    for (i = 0; i < k; i++) {\n"
    "        $c[\"Src Port\"] = 50000 + i\n"
    "        $c[\"FIN Flag Count\"] = shut && i == 0 ? 1 : 0\n"
    "        print\n"
    "    }\n"
    "}\n";

static const char *slow_csv(const char *name, int k, int close)
{
    static char path[4][512];
    static int at;
    char rel[] = "cic-ids2017-improved/BENIGN_4066_no-thursday.csv.xz";
    const char *awk = testutil_tmp("slow.awk");
    FILE *f = fopen(awk, "w");
    assert_non_null(f);
    fputs(awk_slow, f);
    fclose(f);
    at = (at + 1) % 4;
    snprintf(path[at], sizeof(path[at]), "%s", testutil_tmp(name));
    assert_int_equal(testutil_runf(&out, "xz -dc %s | awk -v k=%d -v "
                                   "shut=%d -f %s > %s",
                                   testutil_data_path(rel), k, close, awk,
                                   path[at]), 0);
    return path[at];
}

static char *detect(const char *model, const char *csv, const char *more)
{
    char *text = NULL;
    assert_int_equal(testutil_runf(&text, "%s -q detect --model %s --csv %s "
                                   "--all --explain 0 %s", testutil_bin(),
                                   model, csv, more), 0);
    return text;
}

static void test_detect_csv(void **state)
{
    (void)state;
    char model[512];
    assert_int_equal(testutil_model_tiny("slow", model,
                                         sizeof(model), &out), 0);
    const char *c20 = slow_csv("slow20.csv", 20, 0);
    const char *c19 = slow_csv("slow19.csv", 19, 0);
    const char *closed = slow_csv("slow20c.csv", 20, 1);
    /* Alone, some groups of twenty are benign. */
    char *off = detect(model, c20, "--judge-slow");
    size_t benign = testutil_count(off, "\"fewflow\":{\"class\":\"BENIGN\"");
    assert_int_equal(testutil_count(off, "\n"), 200);
    assert_true(benign >= 20);
    assert_int_equal(benign % 20, 0);
    /* Twenty at once from one client: every benign one is reported. */
    char *on = detect(model, c20, "--summary-json /dev/stderr 2>&1");
    assert_int_equal(testutil_count(on, "\"reason\":\"slow connections: 20 "
                                        "open to 192.0.2.80:"), benign);
    assert_int_equal(testutil_count(on, "\"fewflow\":{\"class\":\"unknown\","
                                        "\"reason\":\"slow"), benign);
    assert_int_equal(testutil_count(on, "\"fewflow\":{\"class\":"
                                        "\"BENIGN\""), 0);
    assert_int_equal(testutil_count(on, "one of many slow connections"),
                     benign);
    char want[128];
    snprintf(want, sizeof(want), "\"slow\":{\"rule\":true,\"slow_flows\":200,"
             "\"clients\":%zu,\"escalated\":%zu,", benign / 20, benign);
    assert_non_null(strstr(on, want));
    free(on);
    free(off);
    /* Nineteen, or twenty with one closed: the output without the rule. */
    const char *short_of[2] = { c19, closed };
    for (int k = 0; k < 2; k++) {
        off = detect(model, short_of[k], "--judge-slow");
        on = detect(model, short_of[k], "");
        assert_string_equal(on, off);
        assert_null(strstr(on, "slow connections"));
        free(on);
        free(off);
    }
    on = detect(model, c20, "--judge-slow --summary-json /dev/stdout");
    assert_non_null(strstr(on, "\"slow\":{\"rule\":false,"));
    free(on);
    /* --slow-min moves the count. */
    on = detect(model, c19, "--slow-min 19");
    assert_int_equal(testutil_count(on, "slow connections: 19 open"),
                     benign / 20 * 19);
    free(on);
}

static void test_bad_options(void **state)
{
    (void)state;
    const char *bad[] = { "--slow-min 1", "--slow-min 65", "--slow-min x",
                          "--slow-min-duration 0", "--slow-max-rate -1",
                          "--slow-max-rate 1e10", "--slow-min-duration y" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(testutil_runf(&out, "%s detect --model x --csv y %s "
                                       "2>&1", testutil_bin(), bad[i]), 2);
        assert_non_null(strstr(out, "--slow-"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_count_reached_or_not),
        cmocka_unit_test(test_what_is_slow),
        cmocka_unit_test(test_fast_and_closed_do_not_count),
        cmocka_unit_test(test_verdicts_and_reason),
        cmocka_unit_test(test_written_before),
        cmocka_unit_test(test_full_group),
        cmocka_unit_test(test_stretches_merge),
        cmocka_unit_test(test_own_stretch_kept),
        cmocka_unit_test(test_flood_of_clients),
        cmocka_unit_test(test_future_row_keeps_replacements_counted),
        cmocka_unit_test(test_detect_csv),
        cmocka_unit_test(test_bad_options),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(out);
    return rc;
}
