/*
 * enroll --pick and --filter: the flows an analyst picked from detect's
 * alert lines (or by flow_id number), or the packets a BPF filter keeps,
 * enrol exactly as a capture holding only those flows does; picks not
 * found and hostile pick files stop with exit 2 and a position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "pktbuild.h"

#include "fewflow/err.h"
#include "fewflow/pick.h"

#define SEC 1000000000LL
#define T0 (1600000000LL * SEC)
#define N_FLOWS 7

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("pick", model_path,
                                           sizeof(model_path), &last_out))

static void put_udp(struct pcap_out *o, int64_t t, const char *src,
                    const char *dst, uint16_t sport, uint16_t dport,
                    uint32_t payload)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = sport, .dport = dport,
                        .payload = payload };
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, src, dst, &l, 9, 0, 0, 0);
    pcap_out_write(o, t, &p, 0);
}

static void query(struct pcap_out *o, int64_t t, const char *client,
                  uint32_t payload)
{
    put_udp(o, t, client, "10.0.0.53", 5000, 53, payload);
    put_udp(o, t + SEC / 100, "10.0.0.53", client, 53, 5000, 3 * payload);
}

/* Flow i of the mixed capture; flow 6 has a 2.5 s pause, so that a 1 s
 * --active-timeout cuts it in two. */
static void flow(struct pcap_out *o, int i)
{
    static const char *const src[N_FLOWS] = {
        "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
        "10.0.0.6", "10.0.0.9" };
    int64_t t = T0 + i * SEC;
    switch (i) {
    case 0: pcap_out_session(o, t, src[i], 40000, "10.0.1.1", 80); break;
    case 2: pcap_out_session(o, t, src[i], 40001, "10.0.1.2", 22); break;
    case 4: pcap_out_session(o, t, src[i], 40002, "10.0.1.1", 443); break;
    case 6:
        for (int k = 0; k < 4; k++)
            put_udp(o, t + (k / 2) * 5 * SEC / 2 + (k % 2) * SEC / 2,
                    src[i], "10.0.0.10", 7000, 9999, 300);
        break;
    default: query(o, t, src[i], 20 + 30 * (uint32_t)i); break;
    }
}

/* A capture of the flows whose bit is set in mask, in time order. */
static const char *write_capture(const char *name, unsigned mask)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    struct pcap_out o;
    snprintf(p, 512, "%s/%s.pcap", testutil_tmpdir(), name);
    assert_int_equal(pcap_out_open(&o, p, DLT_EN10MB, 0), 0);
    for (int i = 0; i < N_FLOWS; i++) {
        if (mask & 1u << i)
            flow(&o, i);
    }
    pcap_out_close(&o);
    return p;
}

/* The line of text that names src_ip, appended to buf. */
static void append_line(const char *text, const char *src, char *buf,
                        size_t len)
{
    char key[64];
    snprintf(key, sizeof(key), "\"src_ip\":\"%s\"", src);
    const char *at = strstr(text, key);
    assert_non_null(at);
    while (at > text && at[-1] != '\n')
        at--;
    const char *end = strchr(at, '\n');
    assert_non_null(end);
    size_t have = strlen(buf);
    assert_true(have + (size_t)(end - at) + 2 < len);
    memcpy(buf + have, at, (size_t)(end - at) + 1);
    buf[have + (size_t)(end - at) + 1] = '\0';
}

static char *dup_out(void)
{
    char *s = strdup(last_out);
    assert_non_null(s);
    return s;
}

/* detect --all over the mixed capture with model m: each flow's class,
 * score and distances, which depend on the enrolled prototypes. */
static char *verdicts(const char *m, const char *capture)
{
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "-r %s", testutil_bin(), m, capture), 0);
    return dup_out();
}

static void enrol_ok(const char *args, const char *out_model)
{
    int rc = run_ok("%s enroll --model %s --name picked %s -o %s 2>&1",
                    testutil_bin(), model_path, args, out_model);
    if (rc != 0 || getenv("PICK_SHOW"))
        fprintf(stderr, "%s\n", last_out);
    assert_int_equal(rc, 0);
}

static char picks[8192];

/* Three flows picked from detect's alert lines (in the order 4, 1, 2)
 * enrol as a capture holding only those three does: the same support
 * count, and the same verdicts, scores and distances for every flow. */
static void test_pick_alert_lines(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char *base = verdicts(model_path, mixed);
    char a[600], b[600];
    picks[0] = '\0';
    append_line(base, "10.0.0.5", picks, sizeof(picks));
    append_line(base, "10.0.0.2", picks, sizeof(picks));
    append_line(base, "10.0.0.3", picks, sizeof(picks));
    const char *pf = testutil_write("picks.jsonl", picks);

    snprintf(a, sizeof(a), "%s/a.model", testutil_tmpdir());
    snprintf(b, sizeof(b), "%s/b.model", testutil_tmpdir());
    char args[1200];
    snprintf(args, sizeof(args), "--flows %s --pick %s", mixed, pf);
    enrol_ok(args, a);
    assert_non_null(strstr(last_out, "from 3 flows"));
    assert_non_null(strstr(last_out, "taking 3 picked flows"));
    assert_non_null(strstr(last_out, "src_ip 3 (10.0.0.2, 10.0.0.3, "
                                     "10.0.0.5)"));
    assert_non_null(strstr(last_out, "proto 2 (6, 17)"));
    snprintf(args, sizeof(args), "--flows %s",
             write_capture("only", 0x16));
    enrol_ok(args, b);

    char *va = verdicts(a, mixed), *vb = verdicts(b, mixed);
    assert_string_equal(va, vb);
    assert_true(strcmp(va, base) != 0);
    assert_int_equal(run_ok("%s -q classes --model %s", testutil_bin(), a),
                     0);
    char *ca = dup_out();
    assert_int_equal(run_ok("%s -q classes --model %s", testutil_bin(), b),
                     0);
    assert_string_equal(ca, last_out);
    free(ca);
    free(va);
    free(vb);

    /* --shot 2: the first two picks of the file, flows 4 and 1. */
    snprintf(args, sizeof(args), "--flows %s --pick %s --shot 2", mixed,
             pf);
    enrol_ok(args, a);
    assert_non_null(strstr(last_out, "from 2 flows"));
    snprintf(args, sizeof(args), "--flows %s",
             write_capture("only2", 0x12));
    enrol_ok(args, b);
    va = verdicts(a, mixed);
    vb = verdicts(b, mixed);
    assert_string_equal(va, vb);
    free(va);
    free(vb);
    free(base);
}

static unsigned long long id_of(const char *line)
{
    const char *at = strstr(line, "\"flow_id\":");
    assert_non_null(at);
    return strtoull(at + 10, NULL, 10);
}

/* Plain flow_id numbers, with a BOM, CRLF ends, spaces and a blank
 * line, pick the same flows as the alert lines they came from. */
static void test_pick_plain_ids(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char *base = verdicts(model_path, mixed);
    char only[4][2048] = { "", "", "" }, text[512], a[600], b[600];
    append_line(base, "10.0.0.6", only[0], sizeof(only[0]));
    append_line(base, "10.0.0.1", only[1], sizeof(only[1]));
    snprintf(text, sizeof(text), "\xef\xbb\xbf%llu\r\n\r\n  %llu \r\n%llu",
             id_of(only[0]), id_of(only[1]), id_of(only[0]));
    const char *pf = testutil_write("plain.txt", text);
    snprintf(a, sizeof(a), "%s/pa.model", testutil_tmpdir());
    snprintf(b, sizeof(b), "%s/pb.model", testutil_tmpdir());
    char args[1200];
    snprintf(args, sizeof(args), "--flows %s --pick %s", mixed, pf);
    enrol_ok(args, a);
    assert_non_null(strstr(last_out, "from 2 flows"));
    assert_non_null(strstr(last_out, "1 repeats"));
    /* Short of --shot: the pick list is named, not the capture. */
    snprintf(args, sizeof(args), "--flows %s --pick %s --shot 5", mixed,
             pf);
    enrol_ok(args, testutil_tmp("short.model"));
    assert_non_null(strstr(last_out, "plain.txt names only 2 flows of "));
    snprintf(args, sizeof(args), "--flows %s --filter 'host 10.0.0.3' "
             "--shot 5", mixed);
    enrol_ok(args, testutil_tmp("short.model"));
    assert_non_null(strstr(last_out, "holds only 1 flows that --filter "
                           "keeps"));
    snprintf(args, sizeof(args), "--flows %s",
             write_capture("only3", 0x21));
    enrol_ok(args, b);
    char *va = verdicts(a, mixed), *vb = verdicts(b, mixed);
    assert_string_equal(va, vb);
    free(va);
    free(vb);
    free(base);
}

/* A pick not in the capture: exit 2, how many and which, no model. */
static void test_pick_not_found(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char *base = verdicts(model_path, mixed);
    char text[4096] = "", out[600];
    append_line(base, "10.0.0.2", text, sizeof(text));
    strcat(text, "123456789\n{\"flow_id\":987654321}\n");
    const char *pf = testutil_write("missing.jsonl", text);
    snprintf(out, sizeof(out), "%s/missing.model", testutil_tmpdir());
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--pick %s -o %s 2>&1", testutil_bin(),
                            model_path, mixed, pf, out), 2);
    assert_non_null(strstr(last_out, "2 of 3 picked flows not found "
                                     "(first: 123456789, 987654321)"));
    assert_null(fopen(out, "r"));

    /* Found by flow_id, but the line's community_id is another flow's:
     * taken, with a warning. */
    char line[2048] = "";
    append_line(base, "10.0.0.2", line, sizeof(line));
    snprintf(text, sizeof(text), "{\"flow_id\":%llu,\"community_id\":"
             "\"1:notThisFlow=\"}\n", id_of(line));
    pf = testutil_write("other_cid.jsonl", text);
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--pick %s -o %s 2>&1", testutil_bin(),
                            model_path, mixed, pf, out), 0);
    assert_non_null(strstr(last_out, "1 flows taken have another "
                                     "community_id"));
    free(base);
}

/* The lines of text naming src_ip, all of them. */
static size_t append_all(const char *text, const char *src, char *buf,
                         size_t len)
{
    size_t n = 0;
    char key[64];
    snprintf(key, sizeof(key), "\"src_ip\":\"%s\"", src);
    const char *l = text;
    while (*l != '\0') {
        const char *end = strchr(l, '\n');
        assert_non_null(end);
        char *line = strndup(l, (size_t)(end - l));
        if (strstr(line, key) != NULL) {
            append_line(l, src, buf, len);
            n++;
        }
        free(line);
        l = end + 1;
    }
    return n;
}

/* Alerts of a run under --active-timeout 1 name a flow that the default
 * timeouts do not cut: the error says so, shows the timeouts and, by the
 * community_id of detect's seed, that the 5-tuple is there; the same
 * timeouts find both. */
static void test_pick_timeouts(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char text[8192] = "", out[600], args[1200];
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "--active-timeout 1 --community-id-seed 7 "
                            "-r %s", testutil_bin(), model_path, mixed), 0);
    char *cut = dup_out();
    assert_int_equal(append_all(cut, "10.0.0.9", text, sizeof(text)), 2);
    const char *pf = testutil_write("cut.jsonl", text);
    snprintf(out, sizeof(out), "%s/cut.model", testutil_tmpdir());
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--pick %s --community-id-seed 7 -o %s 2>&1",
                            testutil_bin(), model_path, mixed, pf, out), 2);
    assert_non_null(strstr(last_out, "1 of 2 picked flows not found"));
    assert_non_null(strstr(last_out, "--active-timeout 120"));
    assert_non_null(strstr(last_out, "1 of them name a 5-tuple, by "
                                     "community_id, that is here under "
                                     "another flow_id"));
    assert_null(fopen(out, "r"));
    snprintf(args, sizeof(args), "--flows %s --pick %s --active-timeout 1",
             mixed, pf);
    enrol_ok(args, out);
    assert_non_null(strstr(last_out, "from 2 flows"));
    /* Without detect's seed every community_id differs. */
    assert_non_null(strstr(last_out, "2 flows taken have another "
                                     "community_id"));
    free(cut);
}

static const char *write_bytes(const char *name, const char *b, size_t n)
{
    const char *path = testutil_tmp(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* pick_read on bytes: its status, and err_msg() must hold want (the
 * path and "LINE:COL: why") when want is not NULL. */
static int read_bytes(const char *b, size_t n, const char *want,
                      struct pick_set *s)
{
    const char *path = write_bytes("bad.jsonl", b, n);
    char full[800];
    int rc = pick_read(path, s);
    if (want != NULL) {
        snprintf(full, sizeof(full), "%s:%s", path, want);
        if (strstr(err_msg(), full) == NULL)
            fail_msg("wanted '%s', got '%s'", full, err_msg());
    }
    return rc;
}

static void bad(const char *text, const char *want)
{
    struct pick_set s;
    assert_int_equal(read_bytes(text, strlen(text), want, &s), ERR_PARSE);
}

static void test_pick_malformed(void **state)
{
    (void)state;
    char deep[64] = "{\"a\":";
    memset(deep + 5, '[', 40);
    bad(deep, "1:38: nested more than 32 deep");
    bad("{\"flow_id\":4}\n{\"flow_id\":5,\"flow_id\":6}",
        "2:24: a second \"flow_id\" in the object");
    bad("{\"flow_id\":9007199254740992}", "1:12: \"flow_id\" is past 2^53");
    bad("9007199254740992", "1:1: a flow_id past 2^53");
    bad("{\"flow_id\":NaN}", "1:12: \"flow_id\" is not a number");
    bad("{\"flow_id\":7,\"x\":NaN}", "1:18: NaN and Infinity are not JSON");
    bad("{\"flow_id\":7,\"x\":-Infinity}", "1:19: a number without");
    bad("\x01\x02junk", "1:1: neither an alert line (a JSON object) nor "
        "a flow_id number: starts with byte 0x01");
    bad("{\"flow_id\":7,\"s\":\"a\xff\"}", "1:20: invalid UTF-8");
    bad("{\"flow_id\":7,\"s\":\"a\xc3\"}", "1:20: invalid UTF-8");
    bad("7\n\xef\xbb\xbf" "8\n", "2:1: neither");
    bad("{\"flow_id\":7} x", "1:15: text after the object: 'x'");
    bad("[7]", "1:1: neither");
    bad("{\"flow_id\":7.0}", "1:12: \"flow_id\" is not a whole number");
    bad("{\"flow_id\":-7}", "1:12: \"flow_id\" is not a whole number");
    bad("{\"flow_id\":\"7\"}", "1:12: \"flow_id\" is not a number");
    bad("{\"flow_id\":7,\"community_id\":5}",
        "1:29: \"community_id\" is not a string");
    bad("{\"flow_id\":7", "1:13: the line ends inside an object");
    bad("0\n", "1:1: flow_id 0 names no flow");
    bad("{\"flow_id\":7,\"s\":\"\\udc00\"}", "1:25: a \\u escape holds a "
        "lone low surrogate");
    bad("{\"flow_id\":7,\"s\":\"\\q\"}", "1:20: unknown escape 'q'");
    bad("{\"flow_id\":07}", "1:12: a number with a leading zero");
    bad("12 junk", "1:4: text after the flow_id number: 'j'");
    bad("7\n\t123abc\n", "2:5: text after the flow_id number: 'a'");
    bad("5.0", "1:2: text after the flow_id number: '.'");

    struct pick_set s;
    const char nul[] = "{\"flow_id\":7,\"s\":\"a\0\"}";
    assert_int_equal(read_bytes(nul, sizeof(nul) - 1, "1:20: a string holds "
                                "control byte 0x00", &s), ERR_PARSE);

    /* Too long a line, too many picks: refused, memory bounded. */
    size_t n = PICK_LINE_MAX + 100;
    char *big = malloc(PICK_MAX * 8 + 16);
    assert_non_null(big);
    memset(big, 'x', n);
    memcpy(big, "{\"flow_id\":7,\"s\":\"", 18);
    memcpy(big + n - 2, "\"}", 2);
    assert_int_equal(read_bytes(big, n, "1:65537: line longer than 65536 "
                                "bytes", &s), ERR_PARSE);
    n = 0;
    for (int i = 1; i <= PICK_MAX + 1; i++)
        n += (size_t)sprintf(big + n, "%d\n", i);
    assert_int_equal(read_bytes(big, n, "100001:1: more than 100000 lines "
                                "name a flow", &s), ERR_PARSE);
    free(big);

    /* Why a file cannot be read, not only that it cannot. */
    assert_int_equal(pick_read(testutil_tmp("no-such.ids"), &s), ERR_IO);
    assert_non_null(strstr(err_msg(), "no-such.ids: cannot open: No such "
                           "file or directory"));
    assert_int_equal(pick_read(testutil_tmpdir(), &s), ERR_IO);
    assert_non_null(strstr(err_msg(), ": Is a directory"));

    /* Only objects without a flow_id: nothing to enrol. */
    const char *none = "{\"event_type\":\"alert\",\"alert\":{}}\n";
    assert_int_equal(read_bytes(none, strlen(none), NULL, &s),
                     ERR_INVALID);
    assert_non_null(strstr(err_msg(), "no flow_id in 1 lines"));
}

/* What is accepted: nested values, escapes, CRLF, repeats, objects with
 * no flow_id (rate-limit records) skipped and counted. */
static void test_pick_accepted(void **state)
{
    (void)state;
    struct pick_set s;
    const char *text =
        "{\"timestamp\":\"x\",\"flow_id\":30,\"fewflow\":{\"nearest\":"
        "[{\"class\":\"a\\u00e9\\ud83d\\ude00\",\"d\":1.5e-3}],\"n\":null,"
        "\"t\":true,\"flow_id\":\"inner\"},\"community_id\":\"1:abc=\"}\r\n"
        "{\"event_type\":\"alert\",\"limited\":{\"alerts\":3}}\n"
        "  \n"
        "10\r\n"
        "{\"fl\\u006fw_id\" : 20 }\n"
        "30\n";
    assert_int_equal(read_bytes(text, strlen(text), NULL, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.lines, 4);
    assert_int_equal(s.no_id, 1);
    assert_int_equal(s.json, 2);
    assert_int_equal(s.plain, 2);
    assert_int_equal(s.ids[0], 10);
    assert_int_equal(s.ids[2], 30);
    /* Input order: 30 first, then 10, then 20. */
    assert_int_equal(s.order[2], 0);
    assert_int_equal(s.order[0], 1);
    assert_int_equal(s.order[1], 2);
    assert_int_equal(pick_find(&s, 20), 1);
    assert_int_equal(pick_find(&s, 21), -1);
    assert_int_equal(s.n_cid, 1);
    assert_true(s.cid[2] == pick_cid_hash("1:abc=", 6));
    assert_true(s.cid[0] == 0);
    pick_fini(&s);
}

/* --filter keeps the packets of one host: the class is that flow's, as
 * from a capture of it alone; a bad expression and a CSV are refused. */
static void test_filter(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char a[600], b[600], args[1200], csv[600];
    snprintf(a, sizeof(a), "%s/fa.model", testutil_tmpdir());
    snprintf(b, sizeof(b), "%s/fb.model", testutil_tmpdir());
    snprintf(args, sizeof(args), "--flows %s --filter 'host 10.0.0.3'",
             mixed);
    enrol_ok(args, a);
    assert_non_null(strstr(last_out, "from 1 flows"));
    snprintf(args, sizeof(args), "--flows %s", write_capture("only4", 0x4));
    enrol_ok(args, b);
    char *va = verdicts(a, mixed), *vb = verdicts(b, mixed);
    assert_string_equal(va, vb);
    free(va);
    free(vb);

    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--filter 'host' -o %s 2>&1", testutil_bin(),
                            model_path, mixed, a), 2);
    assert_non_null(strstr(last_out, "filter 'host'"));
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--filter 'host 10.9.9.9' -o %s 2>&1",
                            testutil_bin(), model_path, mixed, a), 2);
    assert_non_null(strstr(last_out, "left out all"));
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--filter ' ' -o %s 2>&1", testutil_bin(),
                            model_path, mixed, a), 2);
    assert_non_null(strstr(last_out, "filter ' ': empty"));

    snprintf(csv, sizeof(csv), "%s/mixed.csv", testutil_tmpdir());
    assert_int_equal(run_ok("%s -q flows -r %s -o %s", testutil_bin(),
                            mixed, csv), 0);
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--filter udp -o %s 2>&1", testutil_bin(),
                            model_path, csv, a), 2);
    assert_non_null(strstr(last_out, "is a flow CSV"));
}

/* -o naming the capture or the pick list would replace it with the
 * model: refused, the file untouched. */
static void test_output_not_input(void **state)
{
    (void)state;
    const char *cap = write_capture("keep", 0x7f);
    const char *ids = testutil_tmp("keep.ids");
    FILE *f = fopen(ids, "w");
    assert_non_null(f);
    fputs("12345\n", f);
    fclose(f);
    assert_int_equal(run_ok("cat %s %s | md5sum", cap, ids), 0);
    char before[64];
    snprintf(before, sizeof(before), "%s", last_out);
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "-o %s 2>&1", testutil_bin(), model_path, cap,
                            cap), 2);
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--pick %s -o %s 2>&1", testutil_bin(),
                            model_path, cap, ids, ids), 2);
    assert_non_null(strstr(last_out, "the output file is also the input"));
    assert_int_equal(run_ok("cat %s %s | md5sum", cap, ids), 0);
    assert_string_equal(last_out, before);
}

/* A flow CSV (as `flows` writes it, ids kept by detect --csv) takes
 * picks too, here from standard input. */
static void test_pick_csv_stdin(void **state)
{
    (void)state;
    const char *mixed = write_capture("mixed", 0x7f);
    char csv[600], out[600], text[4096] = "";
    snprintf(csv, sizeof(csv), "%s/pick.csv", testutil_tmpdir());
    snprintf(out, sizeof(out), "%s/csv.model", testutil_tmpdir());
    assert_int_equal(run_ok("%s -q flows -r %s -o %s", testutil_bin(),
                            mixed, csv), 0);
    assert_int_equal(run_ok("%s -q detect --model %s --all --explain 0 "
                            "--csv %s", testutil_bin(), model_path, csv), 0);
    append_line(last_out, "10.0.0.4", text, sizeof(text));
    append_line(last_out, "10.0.0.1", text, sizeof(text));
    const char *pf = testutil_write("csv_picks.jsonl", text);
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows %s "
                            "--pick - -o %s < %s 2>&1", testutil_bin(),
                            model_path, csv, out, pf), 0);
    assert_non_null(strstr(last_out, "from 2 flows"));
    assert_non_null(strstr(last_out, "src_ip 2 (10.0.0.1, 10.0.0.4)"));
    assert_int_equal(run_ok("%s enroll --model %s --name x --flows - "
                            "--pick - -o %s < %s 2>&1", testutil_bin(),
                            model_path, out, pf), 2);
    assert_non_null(strstr(last_out, "cannot both read standard input"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_malformed),
        cmocka_unit_test(test_pick_accepted),
        cmocka_unit_test(test_pick_alert_lines),
        cmocka_unit_test(test_pick_plain_ids),
        cmocka_unit_test(test_pick_not_found),
        cmocka_unit_test(test_pick_timeouts),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_pick_csv_stdin),
        cmocka_unit_test(test_output_not_input),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
