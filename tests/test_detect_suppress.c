/*
 * The operator's suppression list (suppress.h): the file's grammar and
 * its refusals, the matching, and detect --suppress end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fewflow/err.h"
#include "fewflow/suppress.h"
#include "testutil.h"

TESTUTIL_MODEL_FIXTURE(testutil_model_tiny("suppress", model_path,
                                           sizeof(model_path), &last_out))

/* Writes text to a file in the temporary directory; returns its path. */
static const char *write_file(const char *name, const char *text, size_t n)
{
    static char path[4][512];
    static int at;
    at = (at + 1) % 4;
    snprintf(path[at], sizeof(path[at]), "%s", testutil_tmp(name));
    FILE *f = fopen(path[at], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return path[at];
}

static const char *write_text(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

static void test_every_form(void **state)
{
    (void)state;
    const char *p = write_text("forms.conf",
        "# what   where\r\n"
        "\r\n"
        "beacon dst 203.0.113.10 port 443 proto tcp   # poller\r\n"
        "\tslow\tsrc 10.0.8.0/24  dst 10.0.0.5 port 80\n"
        "\"DoS Hulk\" src 10.0.0.9\n"
        "\"say \\\"hi\\\" \\\\o/\" proto 17\n"
        "unknown dst 2001:db8::/32\n"
        "* src ::ffff:10.0.0.0/104 host 10.0.0.0/8\n"
        "lone proto icmp\n"
        "repeat port 0\n"
        "conn   # the whole rule\n"
        "   # an indented comment\n");
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, p), 0);
    assert_int_equal(suppress_count(s), 9);
    const struct suppress_entry *e = suppress_entry_get(s, 0);
    assert_int_equal(e->line, 3);
    assert_int_equal(e->col, 1);
    assert_int_equal(e->what, SUPPRESS_RULE);
    assert_int_equal(e->rule, SUPPRESS_RULE_BEACON);
    assert_true(e->has_dst && !e->has_src);
    assert_int_equal(e->dst.prefix, 32);
    assert_int_equal(e->port, 443);
    assert_int_equal(e->proto, 6);
    e = suppress_entry_get(s, 1);
    assert_int_equal(e->col, 2);
    assert_int_equal(e->rule, SUPPRESS_RULE_SLOW);
    assert_int_equal(e->src.prefix, 24);
    assert_int_equal(e->proto, -1);
    e = suppress_entry_get(s, 2);
    assert_int_equal(e->what, SUPPRESS_CLASS);
    assert_string_equal(e->cls, "DoS Hulk");
    assert_string_equal(suppress_entry_get(s, 3)->cls, "say \"hi\" \\o/");
    assert_int_equal(suppress_entry_get(s, 3)->proto, 17);
    e = suppress_entry_get(s, 4);
    assert_int_equal(e->what, SUPPRESS_UNKNOWN);
    assert_true(e->dst.v6 && e->dst.prefix == 32);
    assert_int_equal(suppress_entry_get(s, 5)->what, SUPPRESS_ANY);
    assert_true(suppress_entry_get(s, 5)->has_host);
    assert_int_equal(suppress_entry_get(s, 5)->host.prefix, 8);
    assert_int_equal(suppress_entry_get(s, 6)->proto, 1);
    assert_int_equal(suppress_entry_get(s, 7)->port, 0);
    e = suppress_entry_get(s, 8);
    assert_int_equal(e->rule, SUPPRESS_RULE_CONN);
    assert_int_equal(e->line, 11);
    assert_string_equal(e->file, p);
    char buf[160];
    assert_string_equal(suppress_what_text(suppress_entry_get(s, 2), buf,
                                           sizeof(buf)), "\"DoS Hulk\"");
    assert_string_equal(suppress_what_text(e, buf, sizeof(buf)), "conn");
    suppress_destroy(s);
}

/* Each bad line: the file, the line and the column, and nothing of the
 * file kept. */
static void test_bad_lines(void **state)
{
    (void)state;
    static const struct { const char *text, *where, *why; } bad[] = {
        { "beacon dst 10.0.0.0/ 8\n", "1:12", "CIDR" },
        { "beacon dst 10.0.0.0 /8\n", "1:21", "expected src" },
        { "beacon dst 10.0.0.0/33\n", "1:12", "CIDR" },
        { "# ok\nbeacon dst 2001:db8::/129\n", "2:12", "CIDR" },
        { "beacon port 65536\n", "1:13", "0 to 65535" },
        { "beacon port -1\n", "1:13", "0 to 65535" },
        { "beacon port 0x50\n", "1:13", "0 to 65535" },
        { "beacons dst 10.0.0.1\n", "1:1", "'beacons' is no rule" },
        { "Botnet src 10.0.0.1\n", "1:1", "double quotes" },
        { "slow src 10.0.0.1 src 10.0.0.2\n", "1:19", "src given twice" },
        { "slow host 10.0.0.1 host ::1\n", "1:20", "host given twice" },
        { "slow host 10.0.0.0/33\n", "1:11", "host wants an address" },
        { "slow hosts 10.0.0.1\n", "1:6", "expected src, dst, host" },
        { "slow src\n", "1:9", "src wants a value" },
        { "slow proto tcpp\n", "1:12", "proto wants" },
        { "slow proto 256\n", "1:12", "proto wants" },
        { "slow proto icmp port 7\n", "1:1", "only for tcp" },
        { "*\n", "1:1", "every alert" },
        { "* # all\n", "1:1", "every alert" },
        { "\"Bot src 10.0.0.1\n", "1:1", "closing quote" },
        { "\"Bot\"src 10.0.0.1\n", "1:6", "space must follow" },
        { "\"Bo\\t\" src 10.0.0.1\n", "1:4", "escape" },
        { "\"\" src 10.0.0.1\n", "1:1", "1 to 128 bytes" },
        { "slow src 10.0.0.1\x01\n", "1:18", "control character" },
        { "slow src\r10.0.0.1\n", "1:9", "control character" },
        { "beacon dst fe80::1%eth0\n", "1:12", "CIDR" },
        { "SLOW dst 10.0.0.1\n", "1:1", "no rule" },
        { "slow dst \"10.0.0.1\"\n", "1:10", "CIDR" },
        { "slow port \"80\"\n", "1:11", "port wants" },
        { "slow proto \"tcp\"\n", "1:12", "proto wants" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct suppress *s = suppress_create();
        const char *good = write_text("good.conf", "conn\n");
        assert_int_equal(suppress_load(s, good), 0);
        const char *p = write_text("bad.conf", bad[i].text);
        char want[600];
        snprintf(want, sizeof(want), "%s:%s: ", p, bad[i].where);
        int rc = suppress_load(s, p);
        if (rc != ERR_PARSE || strstr(err_msg(), want) != err_msg() ||
            strstr(err_msg(), bad[i].why) == NULL)
            fail_msg("line %zu '%s': rc %d, '%s'", i, bad[i].text, rc,
                     err_msg());
        assert_int_equal(suppress_count(s), 1);
        suppress_destroy(s);
    }
}

/* A NUL byte is a control character too, not the line's end. */
static void test_nul_byte(void **state)
{
    (void)state;
    struct suppress *s = suppress_create();
    const char *p = write_file("nul.conf", "conn\nslow\0 src 1.2.3.4\n", 23);
    assert_int_equal(suppress_load(s, p), ERR_PARSE);
    assert_non_null(strstr(err_msg(), ":2:5: control character 0x00"));
    assert_int_equal(suppress_count(s), 0);
    suppress_destroy(s);
}

static void test_empty_files(void **state)
{
    (void)state;
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, write_text("empty.conf", "")), 0);
    assert_int_equal(suppress_load(s, write_text("comments.conf",
                                                 "# none yet\r\n\n  \n")), 0);
    assert_int_equal(suppress_count(s), 0);
    assert_int_equal(suppress_load(s, testutil_tmp("no-such.conf")), ERR_IO);
    suppress_destroy(s);
}

/* 10 MB files: entries past the cap, one endless line, and comments only
 * (read through, in one pass). */
static void test_big_files(void **state)
{
    (void)state;
    size_t n = 10u << 20;
    char *text = malloc(n + 1);
    assert_non_null(text);
    const char line[] = "slow src 10.0.0.1\n";   /* 18 bytes */
    for (size_t i = 0; i < n; i++)
        text[i] = line[i % 18];
    struct suppress *s = suppress_create();
    const char *p = write_file("big.conf", text, n - n % 18);
    assert_int_equal(suppress_load(s, p), ERR_INVALID);
    assert_non_null(strstr(err_msg(), ":1025:1: more than 1024"));
    assert_int_equal(suppress_count(s), 0);
    memset(text, 'x', n);
    p = write_file("long.conf", text, n);
    assert_int_equal(suppress_load(s, p), ERR_PARSE);
    assert_non_null(strstr(err_msg(), ":1:1024: line longer than 1024"));
    for (size_t i = 0; i < n; i++)
        text[i] = i % 64 == 63 ? '\n' : i % 64 == 0 ? '#' : 'c';
    p = write_file("comments.conf", text, n);
    assert_int_equal(suppress_load(s, p), 0);
    assert_int_equal(suppress_count(s), 0);
    /* The cap counts over all files. */
    for (size_t i = 0; i < n; i++)
        text[i] = line[i % 18];
    assert_int_equal(suppress_load(s, write_file("1000.conf", text,
                                                 1000 * 18)), 0);
    assert_int_equal(suppress_load(s, write_file("30.conf", text, 30 * 18)),
                     ERR_INVALID);
    assert_non_null(strstr(err_msg(), "30.conf:25:1: more than 1024"));
    assert_int_equal(suppress_count(s), 1000);
    for (int i = 2; i < SUPPRESS_FILES_MAX; i++)
        assert_int_equal(suppress_load(s, write_text("one.conf", "conn\n")),
                         0);
    assert_int_equal(suppress_load(s, write_text("one.conf", "conn\n")),
                     ERR_INVALID);
    assert_int_equal(suppress_count(s), 1000 + SUPPRESS_FILES_MAX - 2);
    free(text);
    suppress_destroy(s);
}

static struct suppress_alert alert(const char *cls, unsigned rules,
                                   const char *src, const char *dst,
                                   uint16_t port, uint8_t proto)
{
    struct suppress_alert a = { cls, rules, src, dst, port, proto };
    return a;
}

static int line_of(struct suppress *s, struct suppress_alert a)
{
    const struct suppress_entry *e = suppress_match(s, &a);
    return e ? (int)e->line : 0;
}

static void test_matching(void **state)
{
    (void)state;
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, write_text("m.conf",
        "beacon dst 203.0.113.0/24 port 443\n"        /* 1 */
        "\"DoS Hulk\" src 10.0.0.9 proto udp\n"      /* 2 */
        "unknown src 2001:db8:1::/48\n"               /* 3 */
        "slow dst 10.1.0.0/16\n"                      /* 4 */
        "* src 192.168.7.0/24 dst 10.0.0.0/8\n"       /* 5 */
        "lone port 22\n"                              /* 6 */
        "conn src 172.16.0.1\n"                       /* 7 */
        "* src 172.16.0.0/12\n"                       /* 8 */
        "* host 198.51.100.0/24 port 25\n")), 0);    /* 9 */
    const unsigned B = SUPPRESS_RULE_BEACON, L = SUPPRESS_RULE_LONE;
    assert_int_equal(line_of(s, alert(NULL, B, "10.0.0.1", "203.0.113.9",
                                      443, 6)), 1);
    /* Another server, port or rule: not line 1. */
    assert_int_equal(line_of(s, alert(NULL, B, "10.0.0.1", "203.0.114.9",
                                      443, 6)), 0);
    assert_int_equal(line_of(s, alert(NULL, B, "10.0.0.1", "203.0.113.9",
                                      444, 6)), 0);
    assert_int_equal(line_of(s, alert(NULL, SUPPRESS_RULE_SLOW, "10.0.0.1",
                                      "203.0.113.9", 443, 6)), 0);
    /* A port holds for TCP, UDP and SCTP only. */
    assert_int_equal(line_of(s, alert(NULL, B, "10.0.0.1", "203.0.113.9",
                                      443, 1)), 0);
    assert_int_equal(line_of(s, alert(NULL, B, "10.0.0.1", "203.0.113.9",
                                      443, 132)), 1);
    /* Class names fold ASCII case; the protocol must agree. */
    assert_int_equal(line_of(s, alert("dos hulk", 0, "10.0.0.9", "1.2.3.4",
                                      53, 17)), 2);
    assert_int_equal(line_of(s, alert("DoS Hulk", 0, "10.0.0.9", "1.2.3.4",
                                      80, 6)), 0);
    assert_int_equal(line_of(s, alert("DoS Hulks", 0, "10.0.0.9",
                                      "1.2.3.4", 53, 17)), 0);
    /* unknown is an alert without a class. */
    assert_int_equal(line_of(s, alert(NULL, 0, "2001:db8:1:ff::1", "::1",
                                      80, 6)), 3);
    assert_int_equal(line_of(s, alert("Bot", 0, "2001:db8:1:ff::1", "::1",
                                      80, 6)), 0);
    assert_int_equal(line_of(s, alert(NULL, 0, "2001:db8:2::1", "::1", 80,
                                      6)), 0);
    /* An IPv4-mapped address lies in its IPv4 ranges. */
    assert_int_equal(line_of(s, alert("Bot", 0, "::ffff:192.168.7.3",
                                      "10.9.9.9", 80, 6)), 5);
    assert_int_equal(line_of(s, alert("Bot", 0, "192.168.7.3", "11.0.0.1",
                                      80, 6)), 0);
    /* Text that is no address lies in no range. */
    assert_int_equal(line_of(s, alert("Bot", 0, "", "10.9.9.9", 80, 6)), 0);
    assert_int_equal(line_of(s, alert(NULL, L, "", "", 22, 6)), 6);
    /* The first entry that holds takes the alert. */
    assert_int_equal(line_of(s, alert(NULL, SUPPRESS_RULE_CONN,
                                      "172.16.0.1", "8.8.8.8", 1, 6)), 7);
    assert_int_equal(line_of(s, alert(NULL, SUPPRESS_RULE_CONN | B,
                                      "172.16.0.1", "8.8.8.8", 1, 6)), 7);
    assert_int_equal(line_of(s, alert("x", 0, "172.16.0.2", "8.8.8.8", 1,
                                      6)), 8);
    /* host: either end. */
    assert_int_equal(line_of(s, alert("x", 0, "198.51.100.7", "8.8.8.8", 25,
                                      6)), 9);
    assert_int_equal(line_of(s, alert("x", 0, "8.8.8.8", "198.51.100.7", 25,
                                      6)), 9);
    assert_int_equal(line_of(s, alert("x", 0, "8.8.8.8", "198.51.101.7", 25,
                                      6)), 0);
    size_t want[9] = { 2, 1, 1, 0, 1, 1, 2, 1, 2 };
    for (size_t i = 0; i < 9; i++)
        assert_int_equal(suppress_entry_get(s, i)->hits, want[i]);
    suppress_destroy(s);
}

/* A range written in IPv4-mapped form is that IPv4 range: the entry
 * named the flows' IPv4 addresses and held none of them. */
static void test_mapped_ranges(void **state)
{
    (void)state;
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, write_text("mapped.conf",
        "unknown src ::ffff:192.168.10.9\n"           /* 1 */
        "* dst ::FFFF:203.0.113.0/120 port 443\n"    /* 2 */
        "* src ::ffff:0:0/96 dst 198.51.100.1\n"      /* 3 */
        "* src ::/80 dst 198.51.100.2\n")), 0);        /* 4 */
    assert_int_equal(line_of(s, alert(NULL, 0, "192.168.10.9", "1.2.3.4",
                                      80, 6)), 1);
    assert_int_equal(line_of(s, alert(NULL, 0, "::ffff:192.168.10.9",
                                      "1.2.3.4", 80, 6)), 1);
    assert_int_equal(line_of(s, alert(NULL, 0, "192.168.10.8", "1.2.3.4",
                                      80, 6)), 0);
    assert_int_equal(line_of(s, alert("x", 0, "10.0.0.1", "203.0.113.77",
                                      443, 6)), 2);
    assert_int_equal(line_of(s, alert("x", 0, "10.0.0.1", "203.0.114.77",
                                      443, 6)), 0);
    /* ::ffff:0:0/96 is every IPv4 address, and only those. */
    assert_int_equal(line_of(s, alert("x", 0, "8.8.8.8", "198.51.100.1",
                                      80, 6)), 3);
    assert_int_equal(line_of(s, alert("x", 0, "2001:db8::1",
                                      "198.51.100.1", 80, 6)), 0);
    /* A shorter IPv6 range stays an IPv6 range. */
    assert_int_equal(line_of(s, alert("x", 0, "8.8.8.8", "198.51.100.2",
                                      80, 6)), 0);
    assert_int_equal(line_of(s, alert("x", 0, "::5", "198.51.100.2",
                                      80, 6)), 4);
    suppress_destroy(s);
}

/* A UTF-8 byte-order mark (Windows editors) starts the first line. */
static void test_byte_order_mark(void **state)
{
    (void)state;
    struct suppress *s = suppress_create();
    assert_int_equal(suppress_load(s, write_text("bom.conf",
        "\xef\xbb\xbf" "beacon dst 10.0.0.1\r\n"
        "\xef\xbb\xbf" "slow\r\n")), ERR_PARSE);
    /* Only the file's start: later it is a word that is no rule. */
    assert_non_null(strstr(err_msg(), "bom.conf:2:1: "));
    assert_int_equal(suppress_count(s), 0);
    assert_int_equal(suppress_load(s, write_text("bom.conf",
        "\xef\xbb\xbf" "beacon dst 10.0.0.1 x\r\n")), ERR_PARSE);
    assert_non_null(strstr(err_msg(), "bom.conf:1:21: "));
    assert_int_equal(suppress_load(s, write_text("bom.conf",
        "\xef\xbb\xbf" "beacon dst 10.0.0.1\r\n")), 0);
    assert_int_equal(suppress_count(s), 1);
    assert_int_equal(suppress_entry_get(s, 0)->rule, SUPPRESS_RULE_BEACON);
    assert_int_equal(suppress_entry_get(s, 0)->col, 1);
    suppress_destroy(s);
}

/* ---- detect --suppress, end to end ---- */


/* The Botnet rows sorted by time (two bots polling their C2 every 10 s);
 * the second bot's server moved to 198.51.100.7. */
static const char *poller_csv(void)
{
    const char *p = testutil_tmp("pollers.csv");
    assert_int_equal(testutil_runf(&last_out, "xz -dc %s | awk -F, -v OFS=, "
                                   "'NR == 1 { print; next } $3 == "
                                   "\"192.168.10.14\" { $5 = \"198.51.100.7\""
                                   " } { print | \"sort -t, -k8,8\" }' > %s",
                                   testutil_data_path("cic-ids2017-improved/"
                                                      "Botnet_736.csv.xz"),
                                   p), 0);
    return p;
}

/* detect on csv; more may start with "-v" for the info lines. */
static char *detect(const char *csv, const char *more)
{
    char *text = NULL;
    int loud = strncmp(more, "-v ", 3) == 0;
    assert_int_equal(testutil_runf(&text, "%s %s detect --model %s --csv %s "
                                   "--explain 0 %s", testutil_bin(),
                                   loud ? "" : "-q", model_path, csv,
                                   more + (loud ? 3 : 0)), 0);
    return text;
}

/* The lines of text that hold needle, in order. */
static char *lines_with(const char *text, const char *needle)
{
    char *all = calloc(1, strlen(text) + 1);
    assert_non_null(all);
    for (const char *p = text; *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) + 1 : strlen(p);
        char *line = strndup(p, len);
        if (strstr(line, needle) != NULL)
            strcat(all, line);
        free(line);
        p += len;
    }
    return all;
}

static void test_detect_suppresses_one_poller(void **state)
{
    (void)state;
    const char *csv = poller_csv();
    const char *a = "\"dest_ip\":\"205.174.165.73\"";
    const char *b = "\"dest_ip\":\"198.51.100.7\"";
    char *plain = detect(csv, "");
    char *a_plain = lines_with(plain, a);
    size_t a_bcn = testutil_count(a_plain, "\"beacon\":{");
    char *b_plain = lines_with(plain, b);
    assert_true(a_bcn >= 20);
    assert_true(testutil_count(b_plain, "\"beacon\":{") >= 20);
    const char *conf = write_text("poller.conf",
                                  "# the C2 that is really our API\n"
                                  "beacon dst 205.174.165.73 port 8080 "
                                  "proto tcp\n"
                                  "beacon dst 205.174.165.74\n");
    char opts[700];
    snprintf(opts, sizeof(opts), "-v --suppress %s --summary-json "
             "/dev/stderr 2>&1", conf);
    char *held = detect(csv, opts);
    /* The poller's beacon alerts are gone, counted on their line; the
     * other server's are written as before. */
    char *a_held = lines_with(held, a);
    assert_int_equal(testutil_count(a_held, "\"beacon\":{"), 0);
    char *b_held = lines_with(held, b);
    assert_string_equal(b_held, b_plain);
    char want[600];
    snprintf(want, sizeof(want), "\"suppressed\":{\"alerts\":%zu,"
             "\"entries\":[{\"file\":\"%s\",\"line\":2,\"what\":\"beacon\","
             "\"alerts\":%zu},{\"file\":\"%s\",\"line\":3,\"what\":"
             "\"beacon\",\"alerts\":0}]}", a_bcn, conf, a_bcn, conf);
    assert_non_null(strstr(held, want));
    snprintf(want, sizeof(want), "%s:2 beacon: %zu", conf, a_bcn);
    assert_non_null(strstr(held, want));
    assert_non_null(strstr(held, "1 of 2 suppression entries matched no "
                                 "alert"));
    /* --all writes them, marked. */
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    char *all = detect(csv, opts);
    snprintf(want, sizeof(want), "\"suppressed\":\"%s:2\"", conf);
    assert_int_equal(testutil_count(all, want), a_bcn);
    free(all);
    free(a_held);
    free(b_held);
    free(held);
    free(a_plain);
    free(b_plain);
    free(plain);
}

/* One slow BENIGN connection (TCP, answered, unclosed, >= 10 s, <= 100
 * B/s) copied 20 times from 10.9.9.9, the first `odd` of them with a
 * Down/Up Ratio no benign flow has (the model calls them unknown). */
static const char awk_mixed[] =
    "BEGIN { FS = OFS = \",\" }\n"
    "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }\n"
    "$c[\"Protocol\"] == 6 && $c[\"FIN Flag Count\"] + $c[\"RST Flag "
    "Count\"] == 0 && $c[\"Total Bwd packets\"] > 0 && $c[\"Flow "
    "Duration\"] >= 10e6 && ($c[\"Total Length of Fwd Packet\"] + "
    "$c[\"Total Length of Bwd Packet\"]) * 1e6 <= 100 * $c[\"Flow "
    "Duration\"] && !done {\n"
    "    done = 1; $c[\"Src IP\"] = \"10.9.9.9\"; ratio = $c[\"Down/Up "
    "Ratio\"]\n"
    "    for (i = 0; i < n; i++) {\n"
    "        $c[\"Src Port\"] = 40000 + i\n"
    "        $c[\"Down/Up Ratio\"] = i < odd ? 1e6 : ratio\n"
    "        print\n"
    "    }\n"
    "}\n";

static const char *mixed_csv(int n, int odd)
{
    const char *awk = write_text("mixed.awk", awk_mixed);
    const char *p = testutil_tmp("mixed.csv");
    assert_int_equal(testutil_runf(&last_out, "xz -dc %s | awk -v n=%d "
                                   "-v odd=%d -f %s > %s", testutil_data_path(
                                   "cic-ids2017-improved/BENIGN_4066_no-"
                                   "thursday.csv.xz"), n, odd, awk, p), 0);
    return p;
}

/* A suppressed alert still counts for the rules: here the unknown flows
 * held back by the entry are among the twenty slow connections that make
 * the others alert. */
static void test_suppressed_alerts_still_count(void **state)
{
    (void)state;
    const char *conf = write_text("unknown.conf", "unknown src 10.9.9.9\n");
    char opts[600];
    char *alone = detect(mixed_csv(20, 5), "--all --judge-slow");
    int odd = (int)testutil_count(alone, "\"class\":\"unknown\"");
    assert_true(odd >= 1 && odd <= 5);
    assert_int_equal(testutil_count(alone, "\n"), 20);
    snprintf(opts, sizeof(opts), "--all --suppress %s", conf);
    char *held = detect(mixed_csv(20, 5), opts);
    assert_int_equal(testutil_count(held, "slow connections: 20 open"),
                     20 - odd);
    assert_int_equal(testutil_count(held, "\"suppressed\":"), 20);
    free(held);
    snprintf(opts, sizeof(opts), "--suppress %s --summary-json /dev/stdout",
             conf);
    held = detect(mixed_csv(20, 5), opts);
    assert_non_null(strstr(held, "\"alerts\":0,"));
    assert_non_null(strstr(held, "\"suppressed\":{\"alerts\":20,"));
    free(held);
    /* Without the unknown flows, too few: nothing is slow. */
    held = detect(mixed_csv(20 - odd, 0), opts);
    assert_null(strstr(held, "slow connections"));
    assert_non_null(strstr(held, "\"escalated\":0,"));
    free(held);
    free(alone);
}

/* One answered, unclosed BENIGN connection from 10.9.9.9:40000 whose
 * first part has a Down/Up Ratio no benign flow has (unknown), then its
 * later part as the meter starts it from the server's side: no SYN,
 * ends swapped. Alone that part is benign; it takes the unknown verdict
 * of the connection. */
/* STEM.csv in the temporary directory: CIC-IDS2017 benign rows passed
 * through the awk program (which adds the flows a test needs). */
static const char *benign_through(const char *stem, const char *program)
{
    static char csv[4096];
    char name[64];
    snprintf(name, sizeof(name), "%s.awk", stem);
    const char *awk = write_text(name, program);
    snprintf(name, sizeof(name), "%s.csv", stem);
    snprintf(csv, sizeof(csv), "%s", testutil_tmp(name));
    assert_int_equal(testutil_runf(&last_out, "xz -dc %s | awk -f %s > %s",
                                   testutil_data_path("cic-ids2017-improved/"
                                   "BENIGN_4066_no-thursday.csv.xz"), awk,
                                   csv), 0);
    return csv;
}

static const char awk_turned[] =
    "BEGIN { FS = OFS = \",\" }\n"
    "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }\n"
    "$c[\"Protocol\"] == 6 && $c[\"FIN Flag Count\"] + $c[\"RST Flag "
    "Count\"] == 0 && $c[\"Total Bwd packets\"] > 0 && !done {\n"
    "    done = 1; $c[\"Src IP\"] = \"10.9.9.9\"; $c[\"Src Port\"] = 40000\n"
    "    d = $c[\"Dst IP\"]; p = $c[\"Dst Port\"]; r = $c[\"Down/Up Ratio\"]\n"
    "    $c[\"Down/Up Ratio\"] = 1e6; print\n"
    "    $c[\"Down/Up Ratio\"] = r; $c[\"SYN Flag Count\"] = 0\n"
    "    $c[\"Src IP\"] = d; $c[\"Src Port\"] = p\n"
    "    $c[\"Dst IP\"] = \"10.9.9.9\"; $c[\"Dst Port\"] = 40000; print\n"
    "}\n";

/* An entry that holds a connection's first part holds its later parts,
 * whichever way the meter turned them. */
static void test_detect_suppresses_a_turned_continuation(void **state)
{
    (void)state;
    const char *csv = benign_through("turned", awk_turned);
    char *plain = detect(csv, "");
    /* Both parts alert, the later one through the connection rule. */
    assert_int_equal(testutil_count(plain, "\"class\":\"unknown\""), 2);
    assert_int_equal(testutil_count(plain, "continues the connection"), 1);
    free(plain);
    const char *conf = write_text("turned.conf", "unknown src 10.9.9.9\n");
    char opts[600], want[600];
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    char *held = detect(csv, opts);
    snprintf(want, sizeof(want), "\"suppressed\":\"%s:1\"", conf);
    assert_int_equal(testutil_count(held, want), 2);
    free(held);
    /* A limit line takes the turned part as its connection too, in the
     * client's window: the second part is held. */
    conf = write_text("turned-limit.conf",
                      "limit unknown src 10.9.9.9 count 1 seconds 600\n");
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    held = detect(csv, opts);
    snprintf(want, sizeof(want), "\"limited\":\"%s:1\"", conf);
    assert_int_equal(testutil_count(held, want), 1);
    assert_int_equal(testutil_count(held, "\"held\":1,"), 1);
    assert_int_equal(testutil_count(held, "\"src_ip\":\"10.9.9.9\","
                                    "\"alert\""), 1);
    free(held);
    /* An entry naming the server as source held that part alone, though
     * not the connection: no longer. */
    char *part = lines_with(held = detect(csv, ""), "continues the");
    const char *at = strstr(part, "\"src_ip\":\"");
    assert_non_null(at);
    char server[64];
    assert_int_equal(sscanf(at + 10, "%63[^\"]", server), 1);
    snprintf(want, sizeof(want), "unknown src %s\n", server);
    conf = write_text("server.conf", want);
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    free(held);
    held = detect(csv, opts);
    assert_null(strstr(held, "\"suppressed\":"));
    free(held);
    free(part);
}

/* Twenty slow connections from 10.9.9.9 to one server (benign alone, the
 * slow rule makes them unknown), then a later part of the last one that
 * the meter started from the server's side: no SYN, ends swapped. */
static const char awk_slow_part[] =
    "BEGIN { FS = OFS = \",\" }\n"
    "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }\n"
    "$c[\"Protocol\"] == 6 && $c[\"FIN Flag Count\"] + $c[\"RST Flag "
    "Count\"] == 0 && $c[\"Total Bwd packets\"] > 0 && $c[\"Flow "
    "Duration\"] >= 10e6 && ($c[\"Total Length of Fwd Packet\"] + "
    "$c[\"Total Length of Bwd Packet\"]) * 1e6 <= 100 * $c[\"Flow "
    "Duration\"] && !done {\n"
    "    done = 1; $c[\"Src IP\"] = \"10.9.9.9\"\n"
    "    for (i = 0; i < 20; i++) { $c[\"Src Port\"] = 40000 + i; print }\n"
    "    d = $c[\"Dst IP\"]; p = $c[\"Dst Port\"]; $c[\"SYN Flag Count\"] = 0\n"
    "    $c[\"Src IP\"] = d; $c[\"Src Port\"] = p\n"
    "    $c[\"Dst IP\"] = \"10.9.9.9\"; $c[\"Dst Port\"] = 40019; print\n"
    "}\n";

/* A part is held back when its connection's alert was, by the same entry,
 * though it lacks what made the entry hold that alert (here the slow
 * rule's mark). */
static void test_detect_holds_a_part_with_its_connection(void **state)
{
    (void)state;
    const char *csv = benign_through("slowpart", awk_slow_part);
    char *plain = detect(csv, "");
    assert_int_equal(testutil_count(plain, "slow connections: 20 open"), 20);
    assert_int_equal(testutil_count(plain, "continues the connection"), 1);
    free(plain);
    const char *conf = write_text("slowpart.conf", "slow src 10.9.9.9\n");
    char opts[600], want[600];
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    char *held = detect(csv, opts);
    snprintf(want, sizeof(want), "\"suppressed\":\"%s:1\"", conf);
    assert_int_equal(testutil_count(held, want), 21);
    free(held);
}

/* A limit line matches and keys a part the way round its connection ran,
 * as suppression does: the turned part, whose source is the server, is
 * the client's twenty-first alert, held by "src CLIENT" (it escaped the
 * entry, and was written, when matched as it ran). */
static void test_detect_limits_a_part_as_its_connection(void **state)
{
    (void)state;
    const char *csv = benign_through("limpart", awk_slow_part);
    const char *conf = write_text("limpart.conf", "limit unknown src "
                                  "10.9.9.9 count 1 seconds 3600\n");
    char opts[600], want[600];
    snprintf(opts, sizeof(opts), "--suppress %s --all", conf);
    char *held = detect(csv, opts);
    snprintf(want, sizeof(want), "\"limited\":\"%s:1\"", conf);
    assert_int_equal(testutil_count(held, want), 20);
    assert_int_equal(testutil_count(held, "rate limit: 20 alerts"), 1);
    free(held);
}

/* A bad file stops detect before any input, naming the place. */
static void test_detect_refuses_a_bad_file(void **state)
{
    (void)state;
    const char *conf = write_text("bad.conf", "# fine\nslow dst 10.0.0.0/33\n");
    char *text = NULL;
    assert_int_equal(testutil_runf(&text, "%s detect --model %s --csv "
                                   "/nonexistent.csv --suppress %s 2>&1",
                                   testutil_bin(), model_path, conf), 2);
    char want[600];
    snprintf(want, sizeof(want), "fewflow: error: %s:2:10: dst wants an "
             "address or CIDR range", conf);
    assert_non_null(strstr(text, want));
    assert_int_equal(testutil_count(text, "\n"), 1);
    free(text);
    /* A quoted name no class can have: a direction mark, a space at an
     * end. A name merely absent from the model is only warned about. */
    static const char *const odd[] = {
        "# x\n  \"\xe2\x80\xae" "Botnet\" src 10.0.0.1\n",
        "# x\n  \"Botnet \"\n",
        "# x\n  \"\xff\"\n",
        "# x\n  \"unknown\"\n",
        "# x\n  \"UnJudged\" src 10.0.0.1\n",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
        conf = write_text("name.conf", odd[i]);
        text = NULL;
        assert_int_equal(testutil_runf(&text, "%s detect --model %s --csv "
                                       "/nonexistent.csv --suppress %s "
                                       "2>&1", testutil_bin(), model_path,
                                       conf), 2);
        snprintf(want, sizeof(want), "fewflow: error: %s:2:3: no class can "
                 "be named so", conf);
        assert_non_null(strstr(text, want));
        assert_int_equal(testutil_count(text, "\n"), 1);
        free(text);
    }
    conf = write_text("name.conf", "\"Caf\xc3\xa9 scan\"\n");
    char opts0[600];
    snprintf(opts0, sizeof(opts0), "-v --suppress %s 2>&1 >/dev/null",
             conf);
    text = detect(poller_csv(), opts0);
    assert_non_null(strstr(text, "has no class \"Caf\xc3\xa9 scan\""));
    /* Nothing held back: no entry list is promised. */
    assert_non_null(strstr(text, "suppressed no alerts"));
    assert_null(strstr(text, "by entry"));
    free(text);
    const char *empty = write_text("empty.conf", "# nothing yet\n");
    text = detect(poller_csv(), "--suppress /dev/null 2>&1 >/dev/null");
    assert_non_null(strstr(text, "/dev/null holds no suppression entry"));
    free(text);
    char opts[600];
    snprintf(opts, sizeof(opts), "--suppress %s 2>&1 >/dev/null", empty);
    text = detect(poller_csv(), opts);
    assert_non_null(strstr(text, "holds no suppression entry"));
    free(text);
}

/* The summary names each entry by its file, line and what, however long
 * the file's path. */
static void test_detect_names_entries_of_a_long_path(void **state)
{
    (void)state;
    const char *name = "a-directory-whose-name-is-long-enough-that-the-"
                       "path-to-the-file-passes-128-bytes-by-itself-xxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    char dir[512], conf[600], opts[700], want[700];
    snprintf(dir, sizeof(dir), "%s/%s", testutil_tmp(name), name);
    assert_int_equal(testutil_runf(&last_out, "mkdir -p %s", dir), 0);
    snprintf(conf, sizeof(conf), "%s/s.conf", dir);
    assert_true(strlen(conf) > 300);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fputs("beacon dst 205.174.165.73\n\"Nope\" src 10.0.0.1\n", f);
    fclose(f);
    snprintf(opts, sizeof(opts), "-v --suppress %s 2>&1 >/dev/null", conf);
    char *text = detect(poller_csv(), opts);
    snprintf(want, sizeof(want), "%s:1 beacon: ", conf);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof(want), "%s:2 \"Nope\": 0", conf);
    assert_non_null(strstr(text, want));
    free(text);
    /* --all marks each held line with the whole FILE:LINE. */
    snprintf(opts, sizeof(opts), "--all --suppress %s", conf);
    text = detect(poller_csv(), opts);
    snprintf(want, sizeof(want), "\"suppressed\":\"%s:1\"", conf);
    assert_true(testutil_count(text, want) >= 20);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_form),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_big_files),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_mapped_ranges),
        cmocka_unit_test(test_byte_order_mark),
        cmocka_unit_test(test_detect_suppresses_one_poller),
        cmocka_unit_test(test_detect_refuses_a_bad_file),
        cmocka_unit_test(test_detect_names_entries_of_a_long_path),
        cmocka_unit_test(test_detect_suppresses_a_turned_continuation),
        cmocka_unit_test(test_detect_holds_a_part_with_its_connection),
        cmocka_unit_test(test_detect_limits_a_part_as_its_connection),
        cmocka_unit_test(test_suppressed_alerts_still_count),
    };
    return cmocka_run_group_tests(tests, setup_model, teardown_model);
}
