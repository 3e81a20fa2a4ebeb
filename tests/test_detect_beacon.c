/*
 * Beacon rule (beacon.h): a regular series is decided, a jittered or
 * irregular one is not, a missed beat does not break it, what counts as a
 * session and which servers are in scope, the table under a flood of
 * pairs, and detect's output with the rule on and off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/beacon.h"
#include "fewflow/capture.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

/* The columns the rule reads, among others. */
enum { C_DURATION, C_SYN, C_FWD_BYTES, N_C };
static const char *const cols[N_C] = {
    "flow_duration", "syn_flag_count", "total_length_of_fwd_packet",
};

#define SERVER "203.0.113.9"

static float x[N_C];

static const float *row(float fwd_bytes, float syn)
{
    x[C_DURATION] = 1000;
    x[C_SYN] = syn;
    x[C_FWD_BYTES] = fwd_bytes;
    return x;
}

static struct alert_flow flow(const char *src, const char *dst,
                              uint16_t port, double t, uint16_t sport)
{
    struct alert_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.src_ip, sizeof(f.src_ip), "%s", src);
    snprintf(f.dest_ip, sizeof(f.dest_ip), "%s", dst);
    f.dest_port = port;
    f.src_port = sport;
    f.proto = 6;
    f.first_s = t;
    f.last_s = t + 0.5;
    f.flow_id = (uint64_t)(t * 10) + 1;
    return f;
}

/* Notes a session of 10.0.0.5 → SERVER:443 at t; its mark. */
static struct beacon_mark note_at(struct beacon *b, double t, float bytes)
{
    static uint16_t sport = 30000;
    struct alert_flow f = flow("10.0.0.5", SERVER, 443, t, ++sport);
    struct beacon_mark m;
    beacon_note(b, row(bytes, 2), &f, &m);
    return m;
}

static struct beacon *make(uint32_t min_beats)
{
    struct beacon *b = beacon_create(cols, N_C, min_beats, 120);
    assert_non_null(b);
    return b;
}

/* Notes n sessions at times t[0..n); how many marks were decided, and
 * the index of the first (-1: none). */
static int decided_count(struct beacon *b, const double *t, int n,
                         int *first)
{
    int k = 0;
    *first = -1;
    for (int i = 0; i < n; i++) {
        if (note_at(b, t[i], 200).decided) {
            *first = *first < 0 ? i : *first;
            k++;
        }
    }
    return k;
}

/* A CSV row without a readable time is dated at the epoch (0): it would
 * join its series as a beat 47 years before the others, and take the
 * series' alert. */
static void test_untimed_rows_stay_out(void **state)
{
    (void)state;
    struct beacon *b = make(16);
    struct beacon_mark m;
    for (int i = 0; i < 20; i++)
        assert_int_equal(note_at(b, 1.5e9 + 60.0 * i, 300).decided, i >= 15);
    assert_false(note_at(b, 0, 300).decided);
    assert_false(note_at(b, NAN, 300).decided);
    m = note_at(b, 1.5e9 + 60.0 * 20, 300);
    assert_true(m.decided);
    assert_int_equal(m.info.sessions, 21);
    assert_float_near(m.info.since_s, 1.5e9, 1e-3);
    beacon_destroy(b);
}

static void test_columns(void **state)
{
    (void)state;
    assert_true(beacon_columns_present(cols, N_C));
    assert_false(beacon_columns_present(cols, N_C - 1));
    assert_null(beacon_create(cols, N_C - 1, 16, 120));
    /* Without syn_flag_count the rule still runs. */
    struct beacon *b = beacon_create(cols + 2, 1, 16, 120);
    assert_non_null(b);
    beacon_destroy(b);
}

static void test_regular_series_flags(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    double t[24];
    struct rng r;
    rng_seed(&r, 7);
    /* Every 60 s, with a second of jitter either way. */
    for (int i = 0; i < 24; i++)
        t[i] = 1e9 + 60.0 * i + 2.0 * rng_uniform(&r) - 1.0;
    int first;
    assert_int_equal(decided_count(b, t, 24, &first), 24 - 15);
    assert_int_equal(first, BEACON_MIN_DEFAULT - 1);
    struct beacon_mark m = note_at(b, 1e9 + 60.0 * 24, 200);
    assert_true(m.decided);
    assert_int_equal(m.info.sessions, 25);
    assert_float_near(m.info.period_s, 60, 1.5);
    assert_true(m.info.jitter_s < 1.0);
    assert_int_equal(m.info.n_ids, ALERT_BEACON_IDS);
    /* The earlier flows, newest first (flow() derives ids from times). */
    assert_int_equal(m.info.ids[0], (uint64_t)(t[23] * 10) + 1);
    assert_int_equal(m.info.ids[1], (uint64_t)(t[22] * 10) + 1);
    struct beacon_totals tot;
    beacon_totals_get(b, &tot);
    assert_int_equal(tot.series, 1);
    assert_int_equal(tot.before, 15);
    char reason[BEACON_REASON_LEN];
    struct alert_flow f = flow("10.0.0.5", SERVER, 443, 0, 1);
    beacon_judge(b, &m, &f, reason);
    assert_non_null(strstr(reason, "beacon: 25 sessions every 60"));
    assert_non_null(strstr(reason, " s from 10.0.0.5 to " SERVER ":443"));
    beacon_totals_get(b, &tot);
    assert_int_equal(tot.alerts, 1);
    beacon_destroy(b);
}

static void test_irregular_series_does_not(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    double t[64], now = 1e9;
    int first;
    struct rng r;
    rng_seed(&r, 11);
    /* A person: exponential gaps, mean 60 s. */
    for (int i = 0; i < 64; i++) {
        now += 1.0 - 60.0 * log(1.0 - rng_uniform(&r));
        t[i] = now;
    }
    assert_int_equal(decided_count(b, t, 64, &first), 0);
    beacon_destroy(b);
    /* A timer with 75% jitter each way: 15, 45, 75, 105 s in turn
     * (median 60, MAD 30: half the period, well above 0.2). A uniform
     * jitter of ±60% is still caught (MAD/median 0.3 on average, under
     * 0.2 in about a fifth of 15-interval windows, bench/RESULTS.md). */
    b = make(BEACON_MIN_DEFAULT);
    now = 2e9;
    for (int i = 0; i < 64; i++) {
        now += 15.0 + 30.0 * (i % 4);
        t[i] = now;
    }
    assert_int_equal(decided_count(b, t, 64, &first), 0);
    beacon_destroy(b);
}

static void test_missed_beat_still_flags(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    double t[20];
    /* Every 30 s, the 6th beat missing (one 60 s gap). */
    for (int i = 0, k = 0; k < 20; i++) {
        if (i != 5)
            t[k++] = 1e9 + 30.0 * i;
    }
    int first;
    assert_int_equal(decided_count(b, t, 20, &first), 20 - 15);
    assert_int_equal(first, 15);
    beacon_destroy(b);
}

static void test_sizes_must_be_alike(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    int decided = 0;
    /* Regular timing, sizes 200, 600, 1000, 1400 in turn. (Every other
     * session ten times larger would pass: the median of an odd window is
     * the majority size and the MAD 0; MAD stands up to just under half
     * the sessions being odd.) */
    for (int i = 0; i < 40; i++)
        decided += note_at(b, 1e9 + 60.0 * i, 200 + 400 * (i % 4)).decided;
    assert_int_equal(decided, 0);
    beacon_destroy(b);
    /* Small variations below the floor of 32 bytes are alike. */
    b = make(BEACON_MIN_DEFAULT);
    for (int i = 0; i < 20; i++)
        decided += note_at(b, 1e9 + 60.0 * i, 100 + 25 * (i % 3)).decided;
    assert_int_equal(decided, 5);
    beacon_destroy(b);
}

static void test_burst_is_one_beat(void **state)
{
    (void)state;
    struct beacon *b = make(4);
    int decided = 0;
    /* Fifty sessions in the same second: one beat, no period. */
    for (int i = 0; i < 50; i++)
        decided += note_at(b, 1e9 + 0.01 * i, 200).decided;
    assert_int_equal(decided, 0);
    /* Pairs a fraction of a second apart, every 10 s: one beat each. */
    for (int i = 0; i < 8; i++) {
        decided += note_at(b, 2e9 + 10.0 * i, 200).decided;
        decided += note_at(b, 2e9 + 10.0 * i + 0.3, 200).decided;
    }
    assert_true(decided >= 8);
    beacon_destroy(b);
}

/* Notes 20 sessions 60 s apart from src to dst:port (proto, syn, same or
 * new source port); how many marks were decided. */
static int series(struct beacon *b, const char *dst, uint16_t port,
                  uint8_t proto, float syn, int same_sport)
{
    int decided = 0;
    for (int i = 0; i < 20; i++) {
        struct alert_flow f = flow("10.0.0.5", dst, port, 1e9 + 60.0 * i,
                                   (uint16_t)(same_sport ? 5000 : 5000 + i));
        f.proto = proto;
        struct beacon_mark m;
        beacon_note(b, row(200, syn), &f, &m);
        decided += m.decided;
    }
    return decided;
}

static void test_what_counts(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    /* Local servers, DNS and NTP are out of scope by default. */
    assert_int_equal(series(b, "10.0.0.2", 443, 6, 2, 0), 0);
    assert_int_equal(series(b, "fd00::2", 443, 6, 2, 0), 0);
    assert_int_equal(series(b, SERVER, 53, 17, 0, 0), 0);
    assert_int_equal(series(b, "198.51.100.1", 123, 17, 0, 0), 0);
    /* TCP without a SYN continues a connection. */
    assert_int_equal(series(b, SERVER, 8443, 6, 0, 0), 0);
    /* UDP to an outside server counts, with a new port each time. */
    assert_int_equal(series(b, SERVER, 9999, 17, 0, 0), 5);
    /* The same port within the idle timeout (120 s): a long flow cut by
     * the meter, not new sessions. */
    assert_int_equal(series(b, SERVER, 9998, 17, 0, 1), 0);
    /* A TCP flow with a SYN is a new connection, whatever its port. */
    assert_int_equal(series(b, SERVER, 9997, 6, 2, 1), 5);
    struct beacon_nets any;
    assert_int_equal(beacon_nets_parse("192.0.2.0/24", &any), 0);
    beacon_set_scope(b, &any, 1);
    assert_int_equal(series(b, "10.0.0.3", 443, 6, 2, 0), 5);
    assert_int_equal(series(b, SERVER, 53, 17, 0, 0), 5);
    /* A local list that covers the server takes it out. */
    beacon_set_scope(b, &any, 0);
    assert_int_equal(series(b, "192.0.2.77", 443, 6, 2, 0), 0);
    beacon_destroy(b);
}

/* One long UDP stream (a VPN to an outside peer) that the meter cuts at
 * its 120 s active timeout: every part starts where the one before it
 * ended, from the same port. It is one session, not a series with a
 * period of two timeouts. as_csv: the identity carries only the start
 * (a CSV row), the end is in flow_duration. */
static int stream_parts(int as_csv)
{
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    int decided = 0;
    for (int i = 0; i < 60; i++) {
        struct alert_flow f = flow("10.0.0.5", SERVER, 51820,
                                   1e9 + 120.0 * i, 51820);
        f.proto = 17;
        f.last_s = as_csv ? f.first_s : f.first_s + 119.9;
        struct beacon_mark m;
        row(5000, 0);
        x[C_DURATION] = 119.9e6f;
        beacon_note(b, x, &f, &m);
        decided += m.decided;
    }
    beacon_destroy(b);
    return decided;
}

static void test_long_flow_parts_are_one_session(void **state)
{
    (void)state;
    assert_int_equal(stream_parts(0), 0);
    assert_int_equal(stream_parts(1), 0);
}

/* Notes one session of each of n other clients to SERVER:443 at t. */
static void other_clients(struct beacon *b, int n, double t)
{
    char src[48];
    for (int k = 1; k <= n; k++) {
        snprintf(src, sizeof(src), "10.0.1.%d", k);
        struct alert_flow f = flow(src, SERVER, 443, t + k, 7000);
        struct beacon_mark m;
        beacon_note(b, row(200, 2), &f, &m);
        assert_false(m.decided);
    }
}

static void test_popular_server_not_reported(void **state)
{
    (void)state;
    double t[20];
    int first;
    for (int i = 0; i < 20; i++)
        t[i] = 1e9 + 60.0 * i;
    /* Four clients of the server, at most three allowed: not reported. */
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    beacon_set_max_clients(b, 3);
    other_clients(b, 3, 1e9 - 100);
    assert_int_equal(decided_count(b, t, 20, &first), 0);
    struct beacon_totals tot;
    beacon_totals_get(b, &tot);
    assert_int_equal(tot.series, 0);
    /* Held back, not hidden: sessions 16 to 20 were regular. */
    assert_int_equal(tot.popular, 5);
    beacon_destroy(b);
    /* Four allowed: reported as usual. */
    b = make(BEACON_MIN_DEFAULT);
    beacon_set_max_clients(b, 4);
    other_clients(b, 3, 1e9 - 100);
    assert_int_equal(decided_count(b, t, 20, &first), 5);
    /* Decided, then the server turns out popular: later sessions are
     * held back and counted. */
    beacon_set_max_clients(b, 3);
    assert_false(note_at(b, 1e9 + 60.0 * 20, 200).decided);
    beacon_totals_get(b, &tot);
    assert_int_equal(tot.series, 1);
    assert_int_equal(tot.popular, 1);
    /* Off (0): any number of clients. */
    beacon_set_max_clients(b, 0);
    assert_true(note_at(b, 1e9 + 60.0 * 21, 200).decided);
    beacon_destroy(b);
}

static void test_nets(void **state)
{
    (void)state;
    struct beacon_nets n;
    assert_int_equal(beacon_nets_parse("private", &n), 0);
    assert_true(beacon_nets_has(&n, "10.1.2.3"));
    assert_true(beacon_nets_has(&n, "172.31.255.255"));
    assert_false(beacon_nets_has(&n, "172.32.0.1"));
    assert_true(beacon_nets_has(&n, "192.168.10.5"));
    assert_false(beacon_nets_has(&n, "205.174.165.73"));
    assert_true(beacon_nets_has(&n, "fe80::1"));
    assert_false(beacon_nets_has(&n, "2001:db8::1"));
    assert_true(beacon_nets_has(&n, "not an address"));
    /* IPv4-mapped IPv6 addresses are their IPv4 address. */
    assert_true(beacon_nets_has(&n, "::ffff:10.1.2.3"));
    assert_true(beacon_nets_has(&n, "::FFFF:192.168.10.5"));
    assert_false(beacon_nets_has(&n, "::ffff:205.174.165.73"));
    /* A local range written in mapped form holds IPv4 addresses. */
    assert_int_equal(beacon_nets_parse("::ffff:203.0.113.0/120", &n), 0);
    assert_true(beacon_nets_has(&n, "203.0.113.5"));
    assert_true(beacon_nets_has(&n, "::ffff:203.0.113.5"));
    assert_false(beacon_nets_has(&n, "203.0.114.5"));
    assert_int_equal(beacon_nets_parse("203.0.113.0/25,2001:db8::/33",
                                       &n), 0);
    assert_true(beacon_nets_has(&n, "203.0.113.127"));
    assert_false(beacon_nets_has(&n, "203.0.113.128"));
    assert_true(beacon_nets_has(&n, "2001:db8:7fff::1"));
    assert_false(beacon_nets_has(&n, "2001:db8:8000::1"));
    assert_false(beacon_nets_has(&n, "10.0.0.1"));
    static const char *const bad[] = {
        "", ",", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::/129",
        "10.0.0.0/8,", "private,,", "10.0.0.0/-1", "fe80::/1x", "localnet",
        "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/8 ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_int_equal(beacon_nets_parse(bad[i], &n), ERR_INVALID);
    assert_int_equal(beacon_nets_parse("localnet", &n), ERR_INVALID);
    assert_non_null(strstr(err_msg(), "'localnet'"));
}

static void test_flood_stays_bounded(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    char src[48];
    int decided = 0;
    const int flood = 200000, per_beat = flood / 40;
    /* Forty beats of the beacon, from the third on each followed by
     * 5,000 one-off pairs: they replace one another, not the series with
     * more sessions. */
    for (int i = 0, k = 0; i < 40; i++) {
        decided += note_at(b, 1e9 + 60.0 * i, 200).decided;
        for (int j = 0; i >= 2 && j < per_beat; j++, k++) {
            snprintf(src, sizeof(src), "11.%d.%d.%d", k >> 16 & 255,
                     k >> 8 & 255, k & 255);
            struct alert_flow f = flow(src, SERVER, 443,
                                       1e9 + 60.0 * i + 1, 1000);
            struct beacon_mark m;
            beacon_note(b, row(200, 2), &f, &m);
        }
    }
    assert_int_equal(decided, 40 - 15);
    struct beacon_totals t;
    beacon_totals_get(b, &t);
    int flooded = 38 * per_beat;
    assert_true(t.evicted >= (uint64_t)(flooded - BEACON_SLOTS));
    assert_true(t.evicted < (uint64_t)flooded);
    assert_int_equal(beacon_series_each(b, NULL, NULL), 1);
    beacon_destroy(b);
}

static void test_unsorted_rows_within_the_window(void **state)
{
    (void)state;
    struct beacon *b = make(BEACON_MIN_DEFAULT);
    int decided = 0;
    /* Pairs of rows swapped: the beats are kept in time order. */
    for (int i = 0; i < 20; i++)
        decided += note_at(b, 1e9 + 60.0 * (i ^ 1), 200).decided;
    assert_int_equal(decided, 20 - 15);
    beacon_destroy(b);
}

/* ---- detect on a hand-built capture ---- */

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)

/* One poll from 10.0.0.7 to server:8080. */
static void poll_once(struct pcap_out *o, int64_t t, uint16_t sport,
                      const char *server)
{
    pcap_out_session(o, t, "10.0.0.7", sport, server, 8080);
}

/* 20 polls every 30 s to an outside server and 20 to a local one; then
 * 20 at irregular times to another outside server. */
static const char *write_capture(void)
{
    static char path[512];
    static const int odd[20] = { 0, 3, 40, 41, 90, 200, 207, 230, 400, 402,
                                 403, 500, 640, 641, 700, 705, 900, 960,
                                 961, 1100 };
    struct pcap_out o;
    snprintf(path, sizeof(path), "%s/beacon.pcap", testutil_tmpdir());
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 20; i++) {
        int64_t t = T0 + (int64_t)i * 30 * SEC;
        poll_once(&o, t, (uint16_t)(40000 + i), SERVER);
        poll_once(&o, t + 2 * SEC, (uint16_t)(41000 + i), "10.0.0.2");
    }
    for (int i = 0; i < 20; i++)
        poll_once(&o, T0 + (600 + odd[i]) * SEC, (uint16_t)(42000 + i),
                  "198.51.100.4");
    pcap_out_close(&o);
    return path;
}

static char *out;

static void test_detect_reports_beacons(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    const char *cap = write_capture();
    /* The polls are this network's benign traffic, one by one. */
    assert_int_equal(testutil_model_local("beacon", cap, model,
                                          sizeof(model), &out), 0);
    /* Rule off: the old output, nothing printed. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--judge-beacons --summary-json "
                                   "/dev/stderr 2>&1", bin, model, cap), 0);
    assert_null(strstr(out, "\"event_type\""));
    assert_non_null(strstr(out, "\"beacons\":{\"rule\":false,"));
    /* On: polls 16 to 20 of the outside series alert. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0", bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\"event_type\""), 5);
    assert_int_equal(testutil_count(out, "\"class\":\"unknown\""), 5);
    assert_int_equal(testutil_count(out, "\"dest_ip\":\"" SERVER "\""), 5);
    assert_int_equal(testutil_count(out, "\"signature\":\"FEWFLOW unknown "
                                         "flow: one of a regular series of "
                                         "sessions (beacon)\""), 5);
    assert_non_null(strstr(out, "\"reason\":\"beacon: 16 sessions every "
                                "30 s \xc2\xb1 0 s from 10.0.0.7 to "
                                SERVER ":8080\""));
    assert_non_null(strstr(out, "\"beacon\":{\"sessions\":20,"
                                "\"period_s\":30,\"jitter_s\":0,"));
    /* The local server's polls count with --beacon-to any. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --beacon-to any", bin, model,
                                   cap), 0);
    assert_int_equal(testutil_count(out, "\"event_type\""), 10);
    assert_int_equal(testutil_count(out, "\"dest_ip\":\"10.0.0.2\""), 5);
    assert_null(strstr(out, "198.51.100.4"));
    /* --beacon-min and the summary: 20 - 9 + 1 alerts, 9 before. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --beacon-min 10 --batch 1 "
                                   "--summary-json /dev/stderr 2>&1", bin,
                                   model, cap), 0);
    assert_int_equal(testutil_count(out, "\"event_type\""), 11);
    assert_non_null(strstr(out, "\"beacons\":{\"rule\":true,\"series\":1,"
                                "\"reported\":11,\"before\":9,"
                                "\"evicted\":0,\"popular\":0}"));
    /* One "alerts" and one "flows" key in the summary: the quickstart
     * reads them with sed, which takes the last one. */
    assert_int_equal(testutil_count(out, "\"alerts\":"), 1);
    assert_int_equal(testutil_count(out, "\"flows\":"), 1);
    /* The outside server has one client: --beacon-max-clients 1 keeps
     * it; the local one (any) has one too. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--explain 0 --beacon-max-clients 1",
                                   bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\"event_type\""), 5);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--beacon-max-clients 16 2>&1", bin,
                                   model, cap), 2);
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--beacon-local private,10.0.0.0/40 2>&1",
                                   bin, model, cap), 2);
    assert_non_null(strstr(out, "'10.0.0.0/40'"));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--beacon-min 3 2>&1", bin, model, cap),
                     2);
    free(out);
    out = NULL;
}

/* The Botnet rows in time order, the 60th of one bot's polls with a time
 * that cannot be read: it stays out of the series (it was a beat at the
 * epoch and took the series' alert), and the summary says why. */
static void test_detect_leaves_untimed_rows_out(void **state)
{
    (void)state;
    char model[512];
    assert_int_equal(testutil_model_tiny("beacon-t", model, sizeof(model),
                                         &out), 0);
    const char *csv = testutil_tmp("untimed.csv");
    assert_int_equal(testutil_runf(&out, "xz -dc %s | awk -F, -v OFS=, "
                                   "'NR == 1 { print; next } { print | "
                                   "\"sort -t, -k8,8\" }' | awk -F, -v "
                                   "OFS=, '$3 == \"192.168.10.5\" && ++n "
                                   "== 60 { $8 = \"garbage\"; $1 = "
                                   "\"untimed\" } { print }' > %s",
                                   testutil_data_path("cic-ids2017-improved/"
                                                      "Botnet_736.csv.xz"),
                                   csv), 0);
    assert_int_equal(testutil_runf(&out, "%s detect --model %s --csv %s "
                                   "--explain 0 --all 2>&1", testutil_bin(),
                                   model, csv), 0);
    const char *line = strstr(out, "\"flow_start\":\"1970-01-01");
    assert_non_null(line);
    const char *start = line;
    while (start > out && start[-1] != '\n')
        start--;
    char *row = strndup(start, (size_t)(line - start));
    assert_null(strstr(row, "\"beacon\":{"));
    free(row);
    assert_non_null(strstr(out, "1 CSV row(s) had no readable timestamp "
                                "and are dated 1970-01-01; the beacon, "
                                "slow, repeated-session, connection and "
                                "lone rules leave them out"));
    /* The series still has its other polls. */
    assert_true(testutil_count(out, "\"src_ip\":\"192.168.10.5\"") > 100);
    assert_non_null(strstr(out, "beacon: 192.168.10.5 to "
                                "205.174.165.73:8080/TCP, 108 sessions"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_untimed_rows_stay_out),
        cmocka_unit_test(test_regular_series_flags),
        cmocka_unit_test(test_irregular_series_does_not),
        cmocka_unit_test(test_missed_beat_still_flags),
        cmocka_unit_test(test_sizes_must_be_alike),
        cmocka_unit_test(test_burst_is_one_beat),
        cmocka_unit_test(test_what_counts),
        cmocka_unit_test(test_long_flow_parts_are_one_session),
        cmocka_unit_test(test_popular_server_not_reported),
        cmocka_unit_test(test_nets),
        cmocka_unit_test(test_flood_stays_bounded),
        cmocka_unit_test(test_unsorted_rows_within_the_window),
        cmocka_unit_test(test_detect_reports_beacons),
        cmocka_unit_test(test_detect_leaves_untimed_rows_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
