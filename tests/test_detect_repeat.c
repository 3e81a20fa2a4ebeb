/*
 * Repeated-session rule (repeat.h): what counts as a session, grouping by
 * source, target and shape, the count and its window, the runs reported,
 * and detect's output for a run of sessions a benign class takes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/capture.h"
#include "fewflow/err.h"
#include "fewflow/repeat.h"

/* The columns the rule reads, shuffled. */
enum { C_BWD_BYTES, C_SYN, C_DURATION, C_FWD, C_BWD, C_FWD_BYTES, N_C };
static const char *const cols[N_C] = {
    "total_length_of_bwd_packet", "syn_flag_count", "flow_duration",
    "total_fwd_packet", "total_bwd_packets", "total_length_of_fwd_packet",
};

static const float *row(float fwd, float bwd, float fwd_bytes,
                        float bwd_bytes, float syn)
{
    static float x[N_C];
    x[C_FWD] = fwd;
    x[C_BWD] = bwd;
    x[C_FWD_BYTES] = fwd_bytes;
    x[C_BWD_BYTES] = bwd_bytes;
    x[C_SYN] = syn;
    x[C_DURATION] = 12345;  /* µs */
    return x;
}

/* Row x lasting us microseconds. */
static const float *lasting(const float *x, float us)
{
    static float y[N_C];
    memcpy(y, x, sizeof(y));
    y[C_DURATION] = us;
    return y;
}

/* A login attempt's counts. */
static const float *login(void)
{
    return row(22, 33, 2000, 2700, 2);
}

static struct alert_flow flow(const char *src, const char *dst,
                              uint16_t port, double t)
{
    struct alert_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.src_ip, sizeof(f.src_ip), "%s", src);
    snprintf(f.dest_ip, sizeof(f.dest_ip), "%s", dst);
    f.dest_port = port;
    f.src_port = 40000;
    f.proto = 6;
    f.first_s = f.last_s = t;
    return f;
}

static struct repeat_mark note(struct repeat *r, const float *x,
                               const char *src, uint16_t port, double t)
{
    struct alert_flow f = flow(src, "10.0.0.2", port, t);
    return repeat_note(r, x, &f, 1);
}

static void test_columns(void **state)
{
    (void)state;
    assert_true(repeat_columns_present(cols, N_C));
    assert_false(repeat_columns_present(cols + 1, N_C - 1));
    assert_null(repeat_create(cols, N_C - 1, 3, 60));
}

static void test_sessions_only(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 2, 60);
    assert_non_null(r);
    struct alert_flow f = flow("10.0.0.1", "10.0.0.2", 22, 1);
    /* Not TCP, no answered handshake, or nothing back: not a session. */
    assert_int_equal(repeat_note(r, login(), &f, 0).gen, 0);
    assert_int_equal(repeat_note(r, row(22, 33, 2000, 2700, 1), &f, 1).gen,
                     0);
    assert_int_equal(repeat_note(r, row(3, 0, 0, 0, 2), &f, 1).gen, 0);
    struct repeat_mark m = repeat_note(r, login(), &f, 1);
    assert_int_not_equal(m.gen, 0);
    char why[REPEAT_REASON_LEN];
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    /* Counts that are not numbers resemble nothing, themselves included. */
    struct alert_flow g = flow("10.0.0.1", "10.0.0.2", 23, 1);
    for (int i = 0; i < 2; i++)
        m = repeat_note(r, row(22, 33, NAN, 2700, 2), &g, 1);
    assert_int_not_equal(m.gen, 0);
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    repeat_destroy(r);
}

static int has_port(const struct repeat_ports *p, unsigned port)
{
    return (int)(p->bit[port / 64] >> (port % 64) & 1);
}

static void test_port_lists(void **state)
{
    (void)state;
    struct repeat_ports p;
    assert_int_equal(repeat_ports_parse("auth", &p), 0);
    assert_true(has_port(&p, 22) && has_port(&p, 21) && has_port(&p, 3389));
    assert_true(has_port(&p, 445) && has_port(&p, 5432));
    assert_false(has_port(&p, 80) || has_port(&p, 443) || has_port(&p, 25));
    assert_false(has_port(&p, 2222) || has_port(&p, 0));
    assert_int_equal(repeat_ports_parse("auth,2222", &p), 0);
    assert_true(has_port(&p, 22) && has_port(&p, 2222));
    assert_int_equal(repeat_ports_parse("all", &p), 0);
    assert_true(has_port(&p, 0) && has_port(&p, 80) && has_port(&p, 65535));
    assert_int_equal(repeat_ports_parse("1000-1002,7", &p), 0);
    assert_true(has_port(&p, 1000) && has_port(&p, 1002) && has_port(&p, 7));
    assert_false(has_port(&p, 999) || has_port(&p, 1003) ||
                 has_port(&p, 22));
    static const char *const bad[] = {
        "", ",", "22,", ",22", "x", "65536", "5-3", "-5", "22-", " 22",
        "auth,ftp", "1-2-3", "0x16", "000022",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(repeat_ports_parse(bad[i], &p), ERR_INVALID);
    char text[256];
    repeat_ports_auth_text(text, sizeof(text));
    assert_int_equal(strncmp(text, "21,22,23,", 9), 0);
    assert_null(strstr(text, ",80,"));
    repeat_ports_auth_text(text, 5);
    assert_string_equal(text, "21,2");
}

/* By default only short sessions to a login service count. */
static void test_login_services_and_short_sessions(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 2, 60);
    assert_non_null(r);
    assert_int_equal(note(r, login(), "10.0.0.1", 80, 1).gen, 0);
    assert_int_equal(note(r, login(), "10.0.0.1", 443, 1).gen, 0);
    assert_int_not_equal(note(r, login(), "10.0.0.1", 22, 1).gen, 0);
    assert_int_not_equal(note(r, lasting(login(), 30e6f), "10.0.0.1", 22,
                              2).gen, 0);
    assert_int_equal(note(r, lasting(login(), 31e6f), "10.0.0.1", 22,
                          3).gen, 0);
    assert_int_equal(note(r, lasting(login(), NAN), "10.0.0.1", 22, 4).gen,
                     0);
    repeat_set_max_duration(r, 0);
    assert_int_not_equal(note(r, lasting(login(), 3600e6f), "10.0.0.1", 22,
                              5).gen, 0);
    struct repeat_ports p;
    assert_int_equal(repeat_ports_parse("80", &p), 0);
    repeat_set_ports(r, &p);
    assert_int_not_equal(note(r, login(), "10.0.0.1", 80, 6).gen, 0);
    assert_int_equal(note(r, login(), "10.0.0.1", 22, 7).gen, 0);
    repeat_destroy(r);
}

/* A flow whose source or target address is not known (a CSV without
 * address columns, or with text that is no address) cannot be told from
 * other hosts' flows: grouping them would make one run of many clients. */
static void test_unaddressed_flows_never_group(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 60);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN];
    struct repeat_mark m = { 0, 0, 0 };
    for (int i = 0; i < 10; i++) {
        struct alert_flow f = flow(i % 2 ? "" : "10.0.0.1",
                                   i % 2 ? "10.0.0.2" : "", 22, 1 + i);
        m = repeat_note(r, login(), &f, 1);
        assert_int_equal(m.gen, 0);
    }
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    assert_int_equal(repeat_runs(r, NULL, NULL), 0);
    repeat_destroy(r);
}

/* Rows without a readable time (dated 0) or with no number for it start
 * no session: thirty logins "at the epoch" are no run. */
static void test_untimed_flows_never_group(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 60);
    assert_non_null(r);
    for (int i = 0; i < 30; i++) {
        double t = i % 2 ? 0 : NAN;
        assert_int_equal(note(r, login(), "10.0.0.1", 22, t).gen, 0);
    }
    assert_int_equal(repeat_runs(r, NULL, NULL), 0);
    repeat_destroy(r);
}

/* A flood of one-session groups (many clients of a busy service) between
 * a guesser's sessions: the memory is fixed, but the newcomers replace
 * each other, not the group whose sessions are adding up to a run. */
static void test_flood_keeps_the_run(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 600);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN], src[48];
    note(r, login(), "10.9.9.9", 22, 1);
    note(r, login(), "10.9.9.9", 22, 2);
    for (int i = 0; i < 4 * REPEAT_SLOTS; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255,
                 (i >> 8) & 255, i & 255);
        note(r, login(), src, 445, 3 + i * 0.01);
    }
    struct repeat_mark m = note(r, login(), "10.9.9.9", 22, 500);
    assert_int_equal(repeat_judge(r, &m, 1, why), 1);
    assert_string_equal(why, "repeated session: 3 sessions from 10.9.9.9 "
                             "to 10.0.0.2:22 in 499 s");
    repeat_destroy(r);
}

/* An IPv6 target is written in brackets before its port. */
static void test_ipv6_target_in_brackets(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 2, 60);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN];
    struct alert_flow f = flow("2001:db8::1", "2001:db8::2", 22, 1);
    repeat_note(r, login(), &f, 1);
    struct repeat_mark m = repeat_note(r, login(), &f, 1);
    assert_int_equal(repeat_judge(r, &m, 1, why), 1);
    assert_string_equal(why, "repeated session: 2 sessions from 2001:db8::1 "
                             "to [2001:db8::2]:22 in 0.0 s");
    repeat_destroy(r);
}

static void test_run_reaches_the_count(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 60);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN];
    struct repeat_mark m[4];
    /* Two sessions: not yet a run; the first one is written as benign. */
    m[0] = note(r, login(), "10.0.0.1", 22, 100);
    assert_int_equal(repeat_judge(r, &m[0], 1, why), 0);
    m[1] = note(r, row(23, 31, 2150, 2600, 2), "10.0.0.1", 22, 110);
    /* Other sources, ports and shapes do not count toward it. */
    note(r, login(), "10.0.0.3", 22, 111);
    note(r, login(), "10.0.0.1", 2222, 112);
    note(r, row(22, 33, 2000, 3300, 2), "10.0.0.1", 22, 113);
    note(r, row(22, 40, 2000, 2700, 2), "10.0.0.1", 22, 114);
    m[2] = note(r, login(), "10.0.0.3", 22, 115);
    assert_int_equal(repeat_judge(r, &m[2], 1, why), 0);
    assert_int_equal(repeat_runs(r, NULL, NULL), 0);
    /* The third within 20% of the first: the run is there, and flows
     * still waiting to be written are escalated, benign ones only. */
    m[3] = note(r, row(21, 35, 1900, 2800, 2), "10.0.0.1", 22, 130);
    assert_int_equal(repeat_judge(r, &m[1], 0, why), 0);
    assert_int_equal(repeat_judge(r, &m[1], 1, why), 1);
    assert_string_equal(why, "repeated session: 3 sessions from 10.0.0.1 "
                             "to 10.0.0.2:22 in 30 s; 1 written as benign "
                             "before");
    assert_int_equal(repeat_judge(r, &m[3], 1, why), 1);
    assert_int_equal(repeat_runs(r, NULL, NULL), 1);
    repeat_destroy(r);
}

struct seen {
    size_t n;
    struct repeat_run run;
};

static void keep_run(const struct repeat_run *run, void *user)
{
    struct seen *s = user;
    s->run = *run;
    s->n++;
}

static void test_window(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 60);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN];
    /* Three sessions 40 s apart: never three within 60 s. */
    struct repeat_mark m;
    for (int i = 0; i < 3; i++)
        m = note(r, login(), "10.0.0.1", 22, 40.0 * i);
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    /* Three within a minute make a run; it goes on into the next epoch
     * (one session there is enough) and stops once an epoch falls short. */
    for (int i = 0; i < 3; i++)
        m = note(r, login(), "10.0.0.1", 22, 1000 + 10.0 * i);
    assert_int_equal(repeat_judge(r, &m, 1, why), 1);
    m = note(r, login(), "10.0.0.1", 22, 1070);
    assert_int_equal(repeat_judge(r, &m, 1, why), 1);
    assert_string_equal(why, "repeated session: 4 sessions from 10.0.0.1 "
                             "to 10.0.0.2:22 in 70 s");
    struct seen s = { 0, { 0 } };
    assert_int_equal(repeat_runs(r, keep_run, &s), 1);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.run.sessions, 4);
    assert_int_equal(s.run.escalated, 2);
    assert_int_equal(s.run.benign_before, 0);
    assert_int_equal(s.run.dest_port, 22);
    m = note(r, login(), "10.0.0.1", 22, 1140);
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    /* The totals keep the run that the table has since let go. */
    assert_int_equal(repeat_runs(r, NULL, NULL), 0);
    struct repeat_totals t;
    repeat_totals_get(r, &t);
    assert_int_equal(t.runs, 1);
    assert_int_equal(t.escalated, 2);
    /* A burst within a second says so with a decimal. */
    for (int i = 0; i < 3; i++)
        m = note(r, login(), "10.0.0.1", 22, 5000 + 0.25 * i);
    assert_int_equal(repeat_judge(r, &m, 1, why), 1);
    assert_string_equal(why, "repeated session: 3 sessions from 10.0.0.1 "
                             "to 10.0.0.2:22 in 0.5 s");
    repeat_totals_get(r, &t);
    assert_int_equal(t.runs, 2);
    /* A run that paused for a whole window is over, however long. */
    m = note(r, login(), "10.0.0.1", 22, 5080);
    assert_int_equal(repeat_judge(r, &m, 1, why), 0);
    repeat_destroy(r);
}

static void test_benign_before(void **state)
{
    (void)state;
    struct repeat *r = repeat_create(cols, N_C, 3, 60);
    assert_non_null(r);
    char why[REPEAT_REASON_LEN];
    /* Written one at a time (a batch of one): the first two are benign
     * before the run is there, and the summary says so. */
    int up = 0;
    for (int i = 0; i < 5; i++) {
        struct repeat_mark m = note(r, login(), "10.0.0.1", 22, 1 + i);
        up += repeat_judge(r, &m, 1, why);
    }
    assert_int_equal(up, 3);
    assert_string_equal(why, "repeated session: 5 sessions from 10.0.0.1 "
                             "to 10.0.0.2:22 in 4.0 s; 2 written as benign "
                             "before");
    struct seen s = { 0, { 0 } };
    assert_int_equal(repeat_runs(r, keep_run, &s), 1);
    assert_int_equal(s.run.benign_before, 2);
    assert_int_equal(s.run.escalated, 3);
    assert_string_equal(s.run.src_ip, "10.0.0.1");
    struct repeat_totals t;
    repeat_totals_get(r, &t);
    assert_int_equal(t.runs, 1);
    assert_int_equal(t.benign_before, 2);
    assert_int_equal(t.escalated, 3);
    repeat_destroy(r);
}

/* ---- detect on hand-built sessions ---- */

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)

/* One complete session from client to 10.0.0.2. */
static void session(struct pcap_out *o, int64_t t, uint16_t sport,
                    uint16_t dport, const char *client)
{
    pcap_out_session(o, t, client, sport, "10.0.0.2", dport);
}

/* Four sessions from 10.0.0.1 to port 22 ten seconds apart, one from
 * 10.0.0.5; then four alike from 10.0.0.7 to port 8080 (a poller). */
static const char *write_capture(void)
{
    static char path[512];
    struct pcap_out o;
    snprintf(path, sizeof(path), "%s/repeat.pcap", testutil_tmpdir());
    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    for (int i = 0; i < 4; i++)
        session(&o, T0 + i * 10 * SEC, (uint16_t)(40000 + i), 22,
                "10.0.0.1");
    session(&o, T0 + 35 * SEC, 41000, 22, "10.0.0.5");
    for (int i = 0; i < 4; i++)
        session(&o, T0 + (40 + i * 10) * SEC, (uint16_t)(42000 + i), 8080,
                "10.0.0.7");
    pcap_out_close(&o);
    return path;
}

static char *out;

static void test_detect_escalates_runs(void **state)
{
    (void)state;
    const char *bin = testutil_bin();
    char model[512];
    const char *cap = write_capture();
    /* The sessions are this network's benign traffic. */
    assert_int_equal(testutil_model_local("repeat", cap, model,
                                          sizeof(model), &out), 0);
    /* Rule off: all nine are benign, nothing is printed. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--judge-repeats --repeat-sessions 3",
                                   bin, model, cap), 0);
    assert_null(strstr(out, "\"event_type\""));
    /* On: the four sessions are a run, all in one output batch. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--repeat-sessions 3 --explain 0",
                                   bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\"class\":\"unknown\""), 4);
    assert_int_equal(testutil_count(out, "\"reason\":\"repeated "
                                         "session: 4 sessions from 10.0.0.1 "
                                         "to 10.0.0.2:22 in 30 s\""), 4);
    assert_int_equal(testutil_count(out, "\"signature\":\"FEWFLOW unknown "
                                         "flow: one of a run of repeated "
                                         "sessions\""), 4);
    assert_null(strstr(out, "10.0.0.5"));
    /* The poller's port is not a login service: left alone, unless the
     * port list says otherwise. */
    assert_null(strstr(out, "10.0.0.7"));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--repeat-sessions 3 --explain 0 "
                                   "--repeat-ports 21,8000-8080",
                                   bin, model, cap), 0);
    assert_int_equal(testutil_count(out, "\"reason\":\"repeated "
                                         "session: 4 sessions from 10.0.0.7 "
                                         "to 10.0.0.2:8080 in 30 s\""), 4);
    assert_null(strstr(out, "10.0.0.1\""));
    /* Sessions longer than the limit (these last 7 ms) do not count. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--repeat-sessions 3 --explain 0 "
                                   "--repeat-ports all --repeat-max-duration "
                                   "0.005", bin, model, cap), 0);
    assert_null(strstr(out, "\"event_type\""));
    /* 0 is no limit however it is written. */
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--repeat-sessions 3 --explain 0 "
                                   "--repeat-ports all --repeat-max-duration "
                                   "0.0", bin, model, cap), 0);
    assert_non_null(strstr(out, "\"reason\":\"repeated session: 4 "));
    assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b -r %s "
                                   "--repeat-ports 22,http 2>&1", bin, model,
                                   cap), 2);
    assert_non_null(strstr(out, "'http' is not a port"));
    /* Classified one, three or 256 at a time, the flows are judged in the
     * same blocks: the same bytes, scores included. Before, a batch of one
     * wrote the first two as benign before the run was there, and a
     * single row took another BLAS kernel that moved the last digits. */
    char *ref = NULL;
    assert_int_equal(testutil_runf(&ref, "%s -q detect --model %s.b -r %s "
                                   "--repeat-sessions 3 --all --batch 256",
                                   bin, model, cap), 0);
    assert_int_equal(testutil_count(ref, "\"reason\":\"repeated "), 4);
    const int batches[] = { 1, 3 };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(testutil_runf(&out, "%s -q detect --model %s.b "
                                       "-r %s --repeat-sessions 3 --all "
                                       "--batch %d --threads %d", bin,
                                       model, cap, batches[k], k + 1), 0);
        assert_string_equal(out, ref);
    }
    free(ref);
    free(out);
    out = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_sessions_only),
        cmocka_unit_test(test_port_lists),
        cmocka_unit_test(test_login_services_and_short_sessions),
        cmocka_unit_test(test_unaddressed_flows_never_group),
        cmocka_unit_test(test_untimed_flows_never_group),
        cmocka_unit_test(test_flood_keeps_the_run),
        cmocka_unit_test(test_ipv6_target_in_brackets),
        cmocka_unit_test(test_run_reaches_the_count),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_benign_before),
        cmocka_unit_test(test_detect_escalates_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
