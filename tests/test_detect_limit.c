/*
 * Alert rate limits (limit.h and the `limit` lines of suppress.h): the
 * window at its edges, the track keys, eviction from a full table, the
 * grammar and its refusals, and detect end to end: closing records,
 * summary counts, suppression first, --all, --alert-limit, replay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fewflow/err.h"
#include "fewflow/limit.h"
#include "fewflow/suppress.h"
#include "testutil.h"

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("limit", model_path,
                                           sizeof(model_path), &last_out))

static struct limit_key key_of(uint32_t entry, int32_t cls, unsigned track,
                               uint8_t src, uint8_t dst)
{
    uint8_t s[16] = { 10, 0, 0, src }, d[16] = { 10, 1, 0, dst };
    struct limit_key k;
    limit_key_make(&k, entry, cls, track, s, 0, d, 0);
    return k;
}

/* Count 3 per 10 s: the 3rd alert is written, the 4th held, one 10 s
 * after the window's first opens the next window and reports the
 * held ones. */
static void test_window_edges(void **state)
{
    (void)state;
    struct limit *l = limit_create(64);
    struct limit_key k = key_of(0, 2, SUPPRESS_BY_SRC, 1, 1);
    struct limit_closed c;
    int closed;
    static const double t[] = { 100, 101, 102 };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(limit_check(l, &k, t[i], 3, 10, &c, &closed), 0);
        assert_int_equal(closed, 0);
    }
    assert_int_equal(limit_check(l, &k, 103, 3, 10, &c, &closed), 1);
    /* Out of time order: still this window. */
    assert_int_equal(limit_check(l, &k, 99, 3, 10, &c, &closed), 1);
    assert_int_equal(limit_check(l, &k, 109.999, 3, 10, &c, &closed), 1);
    assert_int_equal(closed, 0);
    assert_int_equal(limit_check(l, &k, 110, 3, 10, &c, &closed), 0);
    assert_int_equal(closed, 1);
    assert_int_equal(c.held, 3);
    assert_true(c.first_s == 103 && c.last_s == 109.999);
    assert_memory_equal(&c.key, &k, sizeof(k));
    /* The new window counts from 110. */
    assert_int_equal(limit_check(l, &k, 111, 3, 10, &c, &closed), 0);
    assert_int_equal(limit_check(l, &k, 112, 3, 10, &c, &closed), 0);
    assert_int_equal(limit_check(l, &k, 119, 3, 10, &c, &closed), 1);
    struct limit_slot_info info;
    size_t found = 0;
    for (size_t i = 0; i < limit_slots(l); i++) {
        if (limit_slot(l, i, &info)) {
            found++;
            assert_int_equal(info.alerts, 10);
            assert_int_equal(info.held, 4);
        }
    }
    assert_int_equal(found, 1);
    /* The input ends: the held one is reported once. */
    size_t cur = 0;
    assert_int_equal(limit_drain(l, &cur, &c), 1);
    assert_int_equal(c.held, 1);
    assert_int_equal(limit_drain(l, &cur, &c), 0);
    cur = 0;
    assert_int_equal(limit_drain(l, &cur, &c), 0);
    limit_destroy(l);
}

/* Whether b shares a's window (count 1: b is held after a). */
static int shared(const struct limit_key *a, const struct limit_key *b)
{
    struct limit *l = limit_create(64);
    struct limit_closed c;
    int closed;
    assert_int_equal(limit_check(l, a, 0, 1, 60, &c, &closed), 0);
    int held = limit_check(l, b, 1, 1, 60, &c, &closed);
    limit_destroy(l);
    return held;
}

static void test_tracks(void **state)
{
    (void)state;
    struct limit_key a, b;
    static const unsigned tracks[] = { SUPPRESS_BY_SRC, SUPPRESS_BY_DST,
                                       SUPPRESS_BY_BOTH, SUPPRESS_BY_RULE };
    /* whether (src 1, dst 1) shares with: same src other dst, other src
     * same dst, other src and dst */
    static const int want[4][3] = {
        { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0 }, { 1, 1, 1 },
    };
    for (size_t t = 0; t < 4; t++) {
        a = key_of(0, 1, tracks[t], 1, 1);
        b = key_of(0, 1, tracks[t], 1, 2);
        assert_int_equal(shared(&a, &b), want[t][0]);
        b = key_of(0, 1, tracks[t], 2, 1);
        assert_int_equal(shared(&a, &b), want[t][1]);
        b = key_of(0, 1, tracks[t], 2, 2);
        assert_int_equal(shared(&a, &b), want[t][2]);
        /* Another class or entry never shares. */
        b = key_of(0, -1, tracks[t], 1, 1);
        assert_int_equal(shared(&a, &b), 0);
        b = key_of(1, 1, tracks[t], 1, 1);
        assert_int_equal(shared(&a, &b), 0);
        assert_int_equal(shared(&a, &a), 1);
    }
    /* by_src: an alert without a source shares with others without. */
    limit_key_make(&a, 0, 1, SUPPRESS_BY_SRC, NULL, 0, NULL, 0);
    assert_int_equal(shared(&a, &a), 1);
    b = key_of(0, 1, SUPPRESS_BY_SRC, 0, 1);
    assert_int_equal(shared(&a, &b), 0);
}

/* A full table pushes out the key whose last alert is oldest and
 * reports its held alerts; a key alerting all along stays. */
static void test_eviction(void **state)
{
    (void)state;
    struct limit *l = limit_create(1);
    struct limit_closed c;
    int closed;
    assert_int_equal(limit_slots(l), LIMIT_KEYS_MIN);
    struct limit_key a = key_of(7, 1, SUPPRESS_BY_RULE, 0, 0), k;
    assert_int_equal(limit_check(l, &a, 0, 1, 1e6, &c, &closed), 0);
    assert_int_equal(limit_check(l, &a, 0.5, 1, 1e6, &c, &closed), 1);
    uint32_t i = 0;
    int seen_a = 0;
    for (; i < 100000 && !seen_a; i++) {
        k = key_of(i + 100, 1, SUPPRESS_BY_RULE, 0, 0);
        assert_int_equal(limit_check(l, &k, 1 + i, 1, 1e6, &c, &closed), 0);
        seen_a = closed && memcmp(&c.key, &a, sizeof(a)) == 0;
    }
    assert_true(seen_a);
    assert_int_equal(c.held, 1);
    assert_int_equal(limit_evicted_holding(l), 1);
    /* Back after its eviction: a new window, written. */
    assert_int_equal(limit_check(l, &a, 1e5, 1, 1e6, &c, &closed), 0);
    limit_destroy(l);

    /* A million new keys, one alert each, in 64 slots: every key past
     * the first 64 evicts one; the key alerting between them, held each
     * time, is never the oldest of its set. */
    l = limit_create(64);
    a = key_of(3, 0, SUPPRESS_BY_SRC, 9, 9);
    uint64_t held_a = 0;
    for (i = 0; i < 1000000; i++) {
        uint8_t s[16] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
        limit_key_make(&k, 3, 0, SUPPRESS_BY_SRC, s, 0, NULL, 0);
        k.entry = 3 + (i >> 16);
        assert_int_equal(limit_check(l, &k, i, 1, 1e6, &c, &closed), 0);
        assert_int_equal(closed, 0);
        held_a += (uint64_t)limit_check(l, &a, i, 1, 1e6, &c, &closed);
        assert_int_equal(closed, 0);
    }
    assert_int_equal(held_a, 999999);
    assert_int_equal(limit_evicted(l), 1000000 + 1 - 64);
    assert_int_equal(limit_evicted_holding(l), 0);
    assert_int_equal(limit_slots(l), 64);
    limit_destroy(l);
}

/* A window that ended by the latest alert's time is reported by the
 * sweep once, and not again at the end. */
static void test_sweep(void **state)
{
    (void)state;
    struct limit *l = limit_create(64);
    struct limit_closed c;
    int closed;
    struct limit_key a = key_of(0, 1, SUPPRESS_BY_SRC, 1, 0);
    struct limit_key b = key_of(0, 1, SUPPRESS_BY_SRC, 2, 0);
    size_t cur = 0;
    limit_check(l, &a, 0, 1, 10, &c, &closed);
    assert_int_equal(limit_check(l, &a, 5, 1, 10, &c, &closed), 1);
    assert_int_equal(limit_sweep(l, &cur, 64, 9.9, &c), 0);
    assert_int_equal(cur, 0);
    assert_int_equal(limit_sweep(l, &cur, 64, 10, &c), 1);
    assert_memory_equal(&c.key, &a, sizeof(a));
    assert_int_equal(c.held, 1);
    assert_int_equal(limit_sweep(l, &cur, 64, 10, &c), 0);
    limit_check(l, &b, 20, 1, 10, &c, &closed);
    assert_int_equal(limit_check(l, &b, 21, 1, 10, &c, &closed), 1);
    cur = 0;
    assert_int_equal(limit_drain(l, &cur, &c), 1);
    assert_memory_equal(&c.key, &b, sizeof(b));
    assert_int_equal(limit_drain(l, &cur, &c), 0);
    /* a's next alert opens a window with nothing left to report. */
    assert_int_equal(limit_check(l, &a, 30, 1, 10, &c, &closed), 0);
    assert_int_equal(closed, 0);
    limit_destroy(l);
}

/* A clock set back by more than the window and the input's disorder
 * opens a new window: one alert dated years ahead must not hold its
 * key's later alerts back until that date. Within the disorder an
 * alert dated before its window's start still counts in it. */
static void test_clock_step(void **state)
{
    (void)state;
    struct limit *l = limit_create(64);
    struct limit_key k = key_of(0, 1, SUPPRESS_BY_SRC, 1, 0);
    struct limit_closed c;
    int closed;
    limit_set_disorder(l, 120);
    assert_int_equal(limit_check(l, &k, 1000, 1, 60, &c, &closed), 0);
    assert_int_equal(limit_check(l, &k, 1e9, 1, 60, &c, &closed), 0);
    assert_int_equal(limit_check(l, &k, 1e9 + 1, 1, 60, &c, &closed), 1);
    /* Back to the right time: the window ahead is reported. */
    assert_int_equal(limit_check(l, &k, 1100, 1, 60, &c, &closed), 0);
    assert_int_equal(closed, 1);
    assert_int_equal(c.held, 1);
    assert_true(c.first_s == 1e9 + 1);
    assert_int_equal(limit_check(l, &k, 1110, 1, 60, &c, &closed), 1);
    /* 119 s before the start: disorder, this window. */
    assert_int_equal(limit_check(l, &k, 981, 1, 60, &c, &closed), 1);
    assert_int_equal(closed, 0);
    /* 121 s before it: a step. */
    assert_int_equal(limit_check(l, &k, 979, 1, 60, &c, &closed), 0);
    assert_int_equal(closed, 1);
    assert_int_equal(c.held, 2);
    /* Without a disorder the window's length is the bound. */
    limit_set_disorder(l, 0);
    assert_int_equal(limit_check(l, &k, 920, 1, 60, &c, &closed), 1);
    assert_int_equal(limit_check(l, &k, 918, 1, 60, &c, &closed), 0);
    limit_destroy(l);
}

/* A window the sweep reported is over: an alert of its key dated
 * inside it that comes later (out of order) opens a new window, so the
 * window has one closing record, not a second one at the end. */
static void test_sweep_once(void **state)
{
    (void)state;
    struct limit *l = limit_create(64);
    struct limit_key a = key_of(0, 1, SUPPRESS_BY_SRC, 1, 0);
    struct limit_closed c;
    int closed;
    size_t cur = 0;
    assert_int_equal(limit_check(l, &a, 0, 1, 10, &c, &closed), 0);
    assert_int_equal(limit_check(l, &a, 5, 1, 10, &c, &closed), 1);
    assert_int_equal(limit_sweep(l, &cur, 64, 30, &c), 1);
    assert_int_equal(c.held, 1);
    assert_int_equal(limit_check(l, &a, 7, 1, 10, &c, &closed), 0);
    assert_int_equal(closed, 0);
    cur = 0;
    assert_int_equal(limit_drain(l, &cur, &c), 0);
    /* The new window counts from 7. */
    assert_int_equal(limit_check(l, &a, 8, 1, 10, &c, &closed), 1);
    cur = 0;
    assert_int_equal(limit_drain(l, &cur, &c), 1);
    assert_true(c.held == 1 && c.first_s == 8);
    limit_destroy(l);
}

static void test_limit_lines(void **state)
{
    (void)state;
    const char *p = testutil_write("lim.conf",
        "limit unknown dst 10.0.0.0/8 track by_dst count 10 seconds 60\n"
        "* src 192.0.2.7\n"
        "limit * count 1 seconds 604800   # by_src when not said\n"
        "limit \"DoS Hulk\" port 80 seconds 5 track by_both count 2\n"
        "\"limit\" src 10.0.0.1\n");
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, p), 0);
    assert_int_equal(suppress_count(s), 5);
    const struct suppress_entry *e = suppress_entry_get(s, 0);
    assert_true(e->limit && e->what == SUPPRESS_UNKNOWN && e->has_dst);
    assert_int_equal(e->col, 7);
    assert_int_equal(e->track, SUPPRESS_BY_DST);
    assert_int_equal(e->count, 10);
    assert_int_equal(e->seconds, 60);
    e = suppress_entry_get(s, 2);
    assert_true(e->limit && e->what == SUPPRESS_ANY);
    assert_int_equal(e->track, SUPPRESS_BY_SRC);
    assert_int_equal(e->seconds, 604800);
    e = suppress_entry_get(s, 3);
    assert_int_equal(e->track, SUPPRESS_BY_BOTH);
    assert_int_equal(e->port, 80);
    e = suppress_entry_get(s, 4);
    assert_true(!e->limit && e->what == SUPPRESS_CLASS);
    assert_string_equal(e->cls, "limit");
    /* Each kind is matched apart. */
    struct suppress_alert a = { NULL, 0, "192.0.2.7", "10.0.0.5", 80, 6 };
    size_t at = 99;
    assert_int_equal(suppress_match(s, &a)->line, 2);
    assert_int_equal(suppress_limit_match(s, &a, &at)->line, 1);
    assert_int_equal(at, 0);
    a.src_ip = "192.0.2.8";
    assert_null(suppress_match(s, &a));
    a.cls = "dos hulk";
    assert_int_equal(suppress_limit_match(s, &a, &at)->line, 3);
    assert_int_equal(at, 2);
    suppress_destroy(s);
}

static void test_bad_limit_lines(void **state)
{
    (void)state;
    static const struct { const char *text, *where, *why; } bad[] = {
        { "limit\n", "1:6", "limit wants what it limits" },
        { "limit # no what\n", "1:6", "limit wants what" },
        { "limit * count 5\n", "1:7", "count N and seconds S" },
        { "limit * seconds 5\n", "1:7", "count N and seconds S" },
        { "limit * count 0 seconds 5\n", "1:15", "count wants" },
        { "limit * count 1000000 seconds 5\n", "1:15", "count wants" },
        { "limit * count 5 seconds 604801\n", "1:25", "seconds wants" },
        { "limit * count 5 seconds 1.5\n", "1:25", "seconds wants" },
        { "limit * count 5 seconds 0\n", "1:25", "seconds wants" },
        { "limit * count 1 seconds 1 count 2\n", "1:27", "count given "
          "twice" },
        { "limit * track by_either count 1 seconds 1\n", "1:15",
          "track wants by_src" },
        { "limit * track by_src track by_dst count 1 seconds 1\n", "1:22",
          "track given twice" },
        { "limit * count\n", "1:14", "count wants a value" },
        { "limit * count \"5\" seconds 1\n", "1:15", "count wants" },
        { "limit limits count 1 seconds 1\n", "1:7", "no rule" },
        { "slow count 5\n", "1:6", "expected src, dst, host, port or "
          "proto, not" },
        { "limit * cnt 5 seconds 1\n", "1:9", "track, count or seconds" },
        { "limit * count 1 seconds 1 port 7 proto icmp\n", "1:7",
          "only for tcp" },
        /* The line's words are quoted as bytes: a direction mark or a
         * byte-order mark mid-file reaches no terminal as it is. */
        { "limit \xe2\x80\xae* count 1 seconds 1\n", "1:7",
          "'\\xe2\\x80\\xae*' is no rule" },
        { "limit * count 1 seconds 1\n\xef\xbb\xbflimit * count 1\n",
          "2:1", "'\\xef\\xbb\\xbflimit' is no rule" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct suppress *s = suppress_create();
        const char *p = testutil_write("badlim.conf", bad[i].text);
        char want[600];
        snprintf(want, sizeof(want), "%s:%s: ", p, bad[i].where);
        int rc = suppress_load(s, p);
        if (rc != ERR_PARSE || strstr(err_msg(), want) != err_msg() ||
            strstr(err_msg(), bad[i].why) == NULL)
            fail_msg("line %zu: rc %d, '%s' (want %s ... %s)", i, rc,
                     err_msg(), want, bad[i].why);
        for (const char *m = err_msg(); *m; m++)
            assert_true((unsigned char)*m < 0x80);
        assert_int_equal(suppress_count(s), 0);
        suppress_destroy(s);
    }
}

/* A CSV of DDoS rows (one alert each), "SRC@SECONDS ..." (limit_rows.awk);
 * its path. The spec goes through a file: a long one would not fit a
 * command line built in a fixed buffer. */
static const char *rows_csv(const char *name, const char *spec)
{
    static char path[512];
    char spec_path[512];
    snprintf(spec_path, sizeof(spec_path), "%s",
             testutil_write("rows.spec", spec));
    snprintf(path, sizeof(path), "%s", testutil_tmp(name));
    assert_int_equal(testutil_runf(&last_out, "xz -dc %s | awk -v spec=\"$(cat "
                                   "%s)\" -f %s/tests/fixtures/"
                                   "limit_rows.awk > %s",
                                   testutil_data_path("cic-ids2017-improved/"
                                                      "DDoS_5000.csv.xz"),
                                   spec_path, getenv("FEWFLOW_SOURCE_DIR"),
                                   path), 0);
    return path;
}

/* detect's stdout (alert lines) for csv with opts; its exit status in
 * *rc when rc is given, else it must be 0. */
static char *detect(const char *csv, const char *opts, int *rc)
{
    char *text = NULL;
    int got = testutil_runf(&text, "%s -q detect --model %s --csv %s "
                            "--explain 0 %s", testutil_bin(), model_path, csv,
                            opts);
    if (rc != NULL)
        *rc = got;
    else
        assert_int_equal(got, 0);
    return text;
}

/* The text from the n-th (0-based) line of text on. */
static const char *line_at(const char *text, size_t n)
{
    for (; n > 0 && text != NULL; n--) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    assert_non_null(text);
    return text;
}

/* Whether the line starting at line holds needle. */
static int line_has(const char *line, const char *needle)
{
    const char *at = strstr(line, needle), *end = strchr(line, '\n');
    return at != NULL && (end == NULL || at < end);
}

static void test_detect_window(void **state)
{
    (void)state;
    /* Ten alerts a second apart, then two 60 s and 61 s after the
     * first: 5 written, 5 held and reported before the next window's
     * first alert, which is written with the one after it. */
    const char *csv = rows_csv("win.csv", "10.9.0.1@0 10.9.0.1@1 "
        "10.9.0.1@2 10.9.0.1@3 10.9.0.1@4 10.9.0.1@5 10.9.0.1@6 "
        "10.9.0.1@7 10.9.0.1@8 10.9.0.1@9 10.9.0.1@60 10.9.0.1@61");
    char *plain = detect(csv, "", NULL);
    assert_int_equal(testutil_count(plain, "\n"), 12);
    assert_int_equal(testutil_count(plain, "\"fewflow\":{\"class\":"
                                           "\"DDoS\""), 12);
    const char *conf = testutil_write("win.conf",
        "# five a minute from one source\n"
        "limit \"DDoS\" track by_src count 5 seconds 60\n");
    char opts[1200];
    snprintf(opts, sizeof(opts), "--suppress %s --summary-json %s", conf,
             testutil_tmp("win.json"));
    char *lim = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(lim, "\n"), 8);
    assert_int_equal(testutil_count(lim, "\"signature_id\":9099998"), 1);
    const char *rec = line_at(lim, 5);
    assert_true(strncmp(rec, "{\"timestamp\":", 13) == 0);
    assert_true(line_has(rec, "\"signature_id\":9099998"));
    assert_true(line_has(rec, "\"held\":5,"));
    assert_true(line_has(rec, "\"src_ip\":\"10.9.0.1\",\"alert\""));
    assert_false(line_has(line_at(lim, 6), "9099998"));
    /* The summary counts per entry and per key. */
    char *json = NULL;
    assert_int_equal(testutil_runf(&json, "cat %s",
                                   testutil_tmp("win.json")), 0);
    assert_non_null(strstr(json, "\"alerts\":7,"));
    assert_non_null(strstr(json, "\"limited\":{\"alerts\":5,\"records\":1,"));
    char want[900];
    snprintf(want, sizeof(want), "\"entries\":[{\"entry\":\"%s:2\",\"what\":"
             "\"\\\"DDoS\\\"\",\"alerts\":12,\"held\":5}]", conf);
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"held_keys\":1,\"keys\":[{\"entry\":"));
    assert_non_null(strstr(json, "\"class\":\"DDoS\",\"track\":\"by_src\","
                           "\"src_ip\":\"10.9.0.1\",\"alerts\":12,"
                           "\"held\":5}"));
    /* --all writes the held ones, marked with the entry. */
    snprintf(opts, sizeof(opts), "--all --suppress %s", conf);
    char *all = detect(csv, opts, NULL);
    snprintf(want, sizeof(want), "\"limited\":\"%s:2\"", conf);
    assert_int_equal(testutil_count(all, want), 5);
    assert_int_equal(testutil_count(all, "\n"), 13);
    /* The stderr summary's line per entry: held, of the alerts taken
     * (12 alone read as more held than the 5 in total). */
    assert_int_equal(testutil_runf(&json, "%s detect --model %s --csv %s "
                                   "--explain 0 --suppress %s 2>&1 "
                                   ">/dev/null", testutil_bin(), model_path,
                                   csv, conf), 0);
    assert_non_null(strstr(json, ":2 \"DDoS\": 5 of 12 held\n"));
    free(json);
    free(all);
    free(plain);
    free(lim);
}

/* A row dated years ahead, then the rows go on at the right time: one
 * a minute is within "1 per 60 s", so each is written again once the
 * clock is back (the window ahead reported first); a row 10 h before a
 * window's start (a CSV's disorder is a day) still counts in it. */
static void test_detect_clock_step(void **state)
{
    (void)state;
    const char *csv = rows_csv("step.csv", "10.9.0.1@0 "
        "10.9.0.1@2030-01-01_10:00:00 10.9.0.1@2030-01-01_00:00:00 "
        "10.9.0.1@120 10.9.0.1@240");
    const char *conf = testutil_write("step.conf",
        "limit \"DDoS\" count 1 seconds 60\n");
    char opts[600];
    snprintf(opts, sizeof(opts), "--suppress %s", conf);
    char *lim = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(lim, "\n"), 5);
    assert_int_equal(testutil_count(lim, "\"signature_id\":9099998"), 1);
    const char *rec = line_at(lim, 2);
    assert_true(line_has(rec, "\"held\":1,"));
    assert_true(line_has(line_at(lim, 3), "\"flow_id\""));
    assert_true(line_has(line_at(lim, 4), "T10:04:04"));
    free(lim);
    /* Rows without a time (dated at the epoch) between dated ones are
     * no clock set back either: they share a window of their own. */
    csv = rows_csv("untimed.csv", "10.9.0.1@0 10.9.0.1@no_time "
                   "10.9.0.1@1 10.9.0.1@no_time 10.9.0.1@2 10.9.0.1@no_time");
    lim = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(lim, "\n"), 4);
    assert_int_equal(testutil_count(lim, "\"held\":2,"), 2);
    assert_int_equal(testutil_count(lim, "\"first_held\":\"1970-01-01T"),
                     1);
    free(lim);
    /* Rows shuffled within minutes (as the CIC-IDS2017 files are within
     * their day) are no clock set back: one window holds them. */
    csv = rows_csv("shuffled.csv", "10.9.0.1@600 10.9.0.1@0 10.9.0.1@300 "
                   "10.9.0.1@10 10.9.0.1@590");
    lim = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(lim, "\n"), 2);
    assert_int_equal(testutil_count(lim, "\"held\":4,"), 1);
    free(lim);
}

/* One row dated years ahead must not end the other keys' windows at the
 * next sweep: 10.9.0.1's 400 rows within a minute stay in one window
 * (written 1, held 400, one record at the end), though the sweep passes
 * every slot of the 64 after the first block of 256 rows. */
static void test_detect_sweep_after_step(void **state)
{
    (void)state;
    char spec[400 * 24 + 64];
    size_t n = (size_t)snprintf(spec, sizeof(spec),
                                "10.9.0.1@0 10.9.0.2@2030-01-01_10:00:00");
    for (int i = 1; i <= 400; i++)
        n += (size_t)snprintf(spec + n, sizeof(spec) - n, " 10.9.0.1@%d.%d",
                              i / 10, i % 10);
    const char *csv = rows_csv("ahead.csv", spec);
    const char *conf = testutil_write("ahead.conf",
        "limit \"DDoS\" count 1 seconds 60\n");
    char opts[600];
    snprintf(opts, sizeof(opts), "--suppress %s --limit-keys 64", conf);
    char *lim = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(lim, "\n"), 3);
    assert_int_equal(testutil_count(lim, "\"held\":400,"), 1);
    free(lim);
}

/* Suppression first: its alerts do not use up the limit. */
static void test_detect_suppression_first(void **state)
{
    (void)state;
    const char *csv = rows_csv("sup.csv", "10.9.0.1@0 10.9.0.1@1 "
        "10.9.0.1@2 10.9.0.1@3 10.9.0.2@4 10.9.0.2@5 10.9.0.2@6");
    const char *conf = testutil_write("sup.conf",
        "limit * track by_rule count 2 seconds 600\n"
        "* src 10.9.0.1\n");
    char opts[1200];
    snprintf(opts, sizeof(opts), "--suppress %s --summary-json %s", conf,
             testutil_tmp("sup.json"));
    char *text = detect(csv, opts, NULL);
    assert_int_equal(testutil_count(text, "\n"), 3);
    assert_int_equal(testutil_count(text, "\"src_ip\":\"10.9.0.2\""), 2);
    assert_true(line_has(line_at(text, 2), "\"held\":1,"));
    char *json = NULL;
    assert_int_equal(testutil_runf(&json, "cat %s",
                                   testutil_tmp("sup.json")), 0);
    assert_non_null(strstr(json, "\"suppressed\":{\"alerts\":4,"));
    assert_non_null(strstr(json, "\"limited\":{\"alerts\":1,"));
    free(json);
    free(text);
}

static void test_detect_alert_limit(void **state)
{
    (void)state;
    const char *csv = rows_csv("cli.csv", "10.9.0.1@0 10.9.0.2@1 "
        "10.9.0.1@2 2001:db8::7@3 10.9.0.2@4 10.9.0.1@5 2001:db8::7@6");
    char *text = detect(csv, "--alert-limit 1/60", NULL);
    /* One per source, then one record per source that had more. */
    assert_int_equal(testutil_count(text, "\n"), 6);
    assert_int_equal(testutil_count(text, "\"entry\":\"--alert-limit\""),
                     3);
    assert_non_null(strstr(text, "\"src_ip\":\"10.9.0.1\",\"alert\":{"));
    assert_non_null(strstr(text, "\"src_ip\":\"2001:db8::7\",\"alert\":{"));
    assert_int_equal(testutil_count(text, "\"held\":2,"), 1);
    /* The stderr summary says held out of taken. */
    assert_int_equal(testutil_runf(&text, "%s detect --model %s --csv %s "
                                   "--explain 0 --alert-limit 1/60 2>&1 "
                                   ">/dev/null", testutil_bin(), model_path,
                                   csv), 0);
    assert_non_null(strstr(text, "--alert-limit 1/60: 4 of 7 held\n"));
    free(text);
    text = NULL;
    static const char *bad[] = { "1", "0/60", "1/0", "/60", "1/", "a/60",
                                 "1/604801", "1000000/1", "1/60/2",
                                 "-1/60", "1.5/60" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char opts[64];
        int rc;
        snprintf(opts, sizeof(opts), "--alert-limit '%s' 2>&1", bad[i]);
        text = detect(csv, opts, &rc);
        assert_int_equal(rc, 2);
        assert_non_null(strstr(text, "--alert-limit wants N/S"));
        free(text);
    }
}

static void test_detect_bad_line(void **state)
{
    (void)state;
    const char *csv = rows_csv("bad.csv", "10.9.0.1@0");
    const char *conf = testutil_write("bad.conf",
        "limit * count 5 seconds 60\n"
        "limit * count 5 seconds 60 track by_host\n");
    char opts[600], want[700];
    int rc;
    snprintf(opts, sizeof(opts), "--suppress %s 2>&1", conf);
    char *text = detect(csv, opts, &rc);
    assert_int_equal(rc, 2);
    snprintf(want, sizeof(want), "%s:2:34: track wants", conf);
    assert_non_null(strstr(text, want));
    assert_int_equal(testutil_count(text, "\n"), 1);
    free(text);
}

/* The same input twice gives the same lines and summary, a table too
 * small for the sources included. */
static void test_detect_replay(void **state)
{
    (void)state;
    char spec[8192];
    size_t at = 0;
    /* Twenty sources alerting every 4 s between 150 that alert once. */
    for (int i = 0; i < 300; i++)
        at += (size_t)snprintf(spec + at, sizeof(spec) - at,
                               i % 2 ? "10.7.0.%d@%d.%d " : "10.8.0.%d@%d.%d ",
                               i % 2 ? i / 2 : i / 2 % 20, i / 10, i % 10);
    const char *csv = rows_csv("flood.csv", spec);
    char opts[1200];
    snprintf(opts, sizeof(opts), "--alert-limit 1/20 --limit-keys 64 "
             "--summary-json %s", testutil_tmp("r1.json"));
    char *a = detect(csv, opts, NULL);
    snprintf(opts, sizeof(opts), "--alert-limit 1/20 --limit-keys 64 "
             "--summary-json %s", testutil_tmp("r2.json"));
    char *b = detect(csv, opts, NULL);
    assert_string_equal(a, b);
    assert_true(testutil_count(a, "9099998") > 0);
    char *diff = NULL;
    /* The summaries differ in their times only. */
    assert_int_equal(testutil_runf(&diff, "cd %s && grep -o '\"limited\".*' "
                                   "r1.json > l1 && grep -o '\"limited\".*' "
                                   "r2.json > l2 && cmp l1 l2",
                                   testutil_tmpdir()), 0);
    assert_int_equal(testutil_runf(&diff, "grep -o '\"evicted_keys\":[0-9]*'"
                                   " %s", testutil_tmp("r1.json")), 0);
    assert_string_not_equal(diff, "\"evicted_keys\":0\n");
    free(diff);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_edges),
        cmocka_unit_test(test_tracks),
        cmocka_unit_test(test_eviction),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_sweep_once),
        cmocka_unit_test(test_clock_step),
        cmocka_unit_test(test_limit_lines),
        cmocka_unit_test(test_bad_limit_lines),
        cmocka_unit_test(test_detect_window),
        cmocka_unit_test(test_detect_clock_step),
        cmocka_unit_test(test_detect_sweep_after_step),
        cmocka_unit_test(test_detect_suppression_first),
        cmocka_unit_test(test_detect_alert_limit),
        cmocka_unit_test(test_detect_bad_line),
        cmocka_unit_test(test_detect_replay),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
