/*
 * Capture input tests: pcap timestamp precision, pcapng, snap length,
 * bounded memory under a flood, damaged and compressed files, the shared
 * captures and the command. Captures are written by the test itself;
 * expected values are worked out by hand in the comments.
 */
#include "capture_helpers.h"

#include <ctype.h>
#include <unistd.h>

/* Nanosecond pcap: 1.25 us between the packets survives. */
static void test_nanosecond_pcap(void **state)
{
    struct pcap_out o;
    const char *path = tmp("nano.pcap");

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 1), 0);
    udp_pkt(&o, T0 + 100, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, T0 + 1350, "10.2.2.2", "10.1.1.1", 2, 1, 5, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == T0 + 100);
    assert_feat(0, "flow_duration", 1.25);
    assert_feat(0, "flow_iat_mean", 1.25);
}

/* A classic pcap's seconds field is unsigned: 2039 is not 1903. */
static void test_pcap_after_2038(void **state)
{
    struct pcap_out o;
    const char *path = tmp("y2038.pcap");
    const int64_t t = INT64_C(2200000000) * 1000000000;

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    udp_pkt(&o, t, "10.1.1.1", "10.2.2.2", 1, 2, 5, -1);
    udp_pkt(&o, t + 2000000, "10.2.2.2", "10.1.1.1", 2, 1, 5, -1);
    pcap_out_close(&o);

    run(path);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == t);
    assert_feat(0, "flow_duration", 2000);
}

/*
 * pcapng with three interfaces: Ethernet at microseconds (default),
 * raw IP at nanoseconds (if_tsresol 9) and Linux cooked v1 at 2^-20 s
 * (if_tsresol 0x94). Packets at 1 s, 1.0005 s and 1.25 s of one flow.
 */
static void test_pcapng_interfaces(void **state)
{
    const char *path = tmp("multi.pcapng");
    FILE *f = fopen(path, "wb");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 1000, .dport = 2000,
                        .payload = 10 };

    assert_non_null(f);
    ng_shb(f);
    ng_idb(f, 1, -1);
    ng_idb(f, 101, 9);
    ng_idb(f, 113, 0x94);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 0, 1000000, p.b, p.len);
    l.sport = 2000;
    l.dport = 1000;
    l.payload = 30;
    memset(&p, 0, sizeof(p));
    pkt_ipv4(&p, "10.0.0.2", "10.0.0.1", &l, 1, 0, 0, 0);
    ng_epb(f, 1, 1000500000ull, p.b, p.len);
    /* Linux cooked v1: 16-byte header, protocol at offset 14 */
    memset(&p, 0, sizeof(p));
    p.b[14] = 0x08;
    p.len = 16;
    l.sport = 1000;
    l.dport = 2000;
    l.payload = 20;
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 2, 1310720, p.b, p.len); /* 1.25 * 2^20 */
    fclose(f);

    run(path);
    assert_int_equal(got.n, 1);
    assert_true(got.rec[0].first_ns == SEC);
    assert_true(got.rec[0].last_ns == SEC + 250 * MS);
    assert_feat(0, "total_fwd_packet", 2);
    assert_feat(0, "total_bwd_packets", 1);
    assert_feat(0, "flow_iat_min", 500);
    assert_feat(0, "flow_iat_max", 249500);
    assert_feat(0, "total_length_of_fwd_packet", 30);
    assert_feat(0, "total_length_of_bwd_packet", 30);
}

/* Snap length 54 keeps Ethernet+IP+TCP: lengths still come from the IP
 * header. A 40-byte capture cuts the TCP header: counted, no flow. */
static void test_truncated_snaplen(void **state)
{
    struct pcap_out o;
    const char *path = tmp("snap.pcap");
    struct pkt p;
    struct pkt_l4 l = { .protocol = 6, .sport = 1, .dport = 2,
                        .flags = 0x18, .window = 100, .payload = 1000 };

    assert_int_equal(pcap_out_open(&o, path, DLT_EN10MB, 0), 0);
    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    pcap_out_write(&o, T0, &p, 54);
    pcap_out_write(&o, T0 + MS, &p, 40);
    pcap_out_close(&o);

    const struct flow_stats *st = run(path);
    assert_int_equal(st->truncated, 1);
    assert_int_equal(st->bytes, 2 * (14 + 20 + 20 + 1000));
    assert_int_equal(got.n, 1);
    assert_feat(0, "total_length_of_fwd_packet", 1000);
    assert_feat(0, "fwd_header_length", 20);
    assert_feat(0, "fwd_ip_bytes", 1040);
}

/* A flood of 50,000 spoofed SYNs and 20,000 first fragments against a
 * 1,000-flow, 64-fragment meter: the table never grows, every flow is
 * still emitted, and the overflow is counted. Packets are fed from memory
 * (no capture file needed). */
static void test_flood_bounded(void **state)
{
    struct flow_config cfg;
    struct capture_packet pkt = { .linktype = 1 };
    struct pkt p;
    struct pkt_l4 syn = { .protocol = 6, .dport = 80, .flags = 0x02,
                          .window = 512 };
    struct pkt_l4 frag = { .protocol = 17, .sport = 53, .dport = 9,
                           .payload = 64 };
    char src[32];

    flow_config_default(&cfg);
    cfg.max_flows = 1000;
    cfg.max_frags = 64;
    memset(&got, 0, sizeof(got));
    struct flow_meter *m = flow_meter_create(&cfg, collect, &got);
    assert_non_null(m);
    for (int i = 0; i < 70000; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.%d", (i >> 16) & 255,
                 (i >> 8) & 255, i & 255);
        pkt_eth(&p, -1, 0x0800);
        syn.sport = (uint16_t)(1024 + i % 50000);
        if (i < 50000)
            pkt_ipv4(&p, src, "10.10.10.10", &syn, 1, 0, 0, 0);
        else
            pkt_ipv4(&p, src, "10.10.10.10", &frag, (uint16_t)i, 0, 1, 0);
        pkt.ts_ns = T0 + i * US;
        pkt.caplen = pkt.wirelen = p.len;
        pkt.data = p.b;
        assert_int_equal(flow_meter_packet(m, &pkt), 0);
    }
    assert_int_equal(flow_meter_flush(m), 0);
    const struct flow_stats *st = flow_meter_stats(m);
    assert_int_equal(st->max_active, 1000);
    assert_int_equal(st->flows, 70000);
    assert_int_equal(got.n, 70000);
    assert_int_equal(st->evicted, 69000);
    assert_true(st->frag_evicted >= 20000 - 64);
    flow_meter_destroy(m);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void copy_prefix(const char *from, const char *to, long n,
                        const char *append)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    char *buf = malloc((size_t)n + 1);

    assert_true(in && out && buf);
    assert_int_equal(fread(buf, 1, (size_t)n, in), (size_t)n);
    fwrite(buf, 1, (size_t)n, out);
    if (append)
        fputs(append, out);
    free(buf);
    fclose(in);
    fclose(out);
}

/* A pcap cut inside its last record and a pcapng with garbage after the
 * valid blocks: the packets before are kept, the damage is counted. */
static void test_damaged_files(void **state)
{
    struct capture_source_stats sst;
    const char *cut = tmp("cut.pcap");
    copy_prefix(tmp("tcp_fin.pcap"), cut, file_size(tmp("tcp_fin.pcap")) - 7,
                NULL);
    run_cfg(cut, NULL, &sst);
    assert_int_equal(sst.truncated, 1);
    assert_int_equal(sst.packets, 8);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.rec[0].end_reason, FLOW_END_EOF);

    const char *junk = tmp("junk.pcapng");
    copy_prefix(tmp("multi.pcapng"), junk, file_size(tmp("multi.pcapng")),
                "garbage follows the last block!!");
    run_cfg(junk, NULL, &sst);
    assert_int_equal(sst.packets, 3);
    assert_int_equal(sst.bad_records, 1);
    assert_int_equal(got.n, 1);

    /* The second record claims 2 GB: libpcap refuses it, we count it. */
    const char *huge = tmp("huge.pcap");
    copy_prefix(tmp("tcp_fin.pcap"), huge, file_size(tmp("tcp_fin.pcap")),
                NULL);
    FILE *f = fopen(huge, "r+b");
    assert_non_null(f);
    fseek(f, 24 + 16 + 62 + 8, SEEK_SET);
    fwrite("\0\0\0\x7f", 1, 4, f);
    fclose(f);
    run_cfg(huge, NULL, &sst);
    assert_int_equal(sst.packets, 1);
    assert_int_equal(sst.bad_records + sst.truncated, 1);
    assert_int_equal(got.n, 1);

    const char *cutng = tmp("cut.pcapng");
    copy_prefix(tmp("multi.pcapng"), cutng,
                file_size(tmp("multi.pcapng")) - 3, NULL);
    run_cfg(cutng, NULL, &sst);
    assert_int_equal(sst.packets, 2);
    assert_int_equal(sst.truncated, 1);
}

static void ng_one_udp(FILE *f)
{
    struct pkt p;
    struct pkt_l4 l = { .protocol = 17, .sport = 1, .dport = 2 };

    pkt_eth(&p, -1, 0x0800);
    pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", &l, 1, 0, 0, 0);
    ng_epb(f, 0, 1000000, p.b, p.len);
}

/* Reads a damaged capture to its end, which must hold one good packet;
 * returns it still open for its stats. */
static struct capture_source *open_one_packet(const char *path)
{
    struct capture_source *src = capture_open_file(path);
    struct capture_packet pkt;
    int rc, n = 0;

    assert_non_null(src);
    while ((rc = capture_next(src, &pkt)) == 1)
        n++;
    assert_int_equal(rc, 0);
    assert_int_equal(n, 1);
    return src;
}

/* More interfaces than the reader keeps is damage in the file, not an
 * internal failure: the capture's packets before it still count, and
 * the error is not "out of memory" (which would exit 1). */
static void test_pcapng_interface_flood(void **state)
{
    const char *path = tmp("ifs.pcapng");
    FILE *f = fopen(path, "wb");
    struct capture_source_stats sst;

    assert_non_null(f);
    ng_shb(f);
    ng_idb(f, 1, -1);
    ng_one_udp(f);
    for (int i = 0; i < 5000; i++)
        ng_idb(f, 1, -1);
    fclose(f);
    struct capture_source *src = open_one_packet(path);
    sst = *capture_stats(src);
    assert_true(sst.bad_records > 0);
    assert_non_null(strstr(capture_damage(src), "interface"));
    capture_close(src);
}

/* An interface whose option claims more bytes than its block holds is
 * damage to report, not something to skip in silence; the interface is
 * kept so the packets that name it still count. */
static void test_pcapng_option_overrun(void **state)
{
    const char *path = tmp("optrun.pcapng");
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    ng_shb(f);
    ng_u32(f, 1);
    ng_u32(f, 28);
    ng_u16(f, 1);
    ng_u16(f, 0);
    ng_u32(f, 0);
    ng_u16(f, 9);
    ng_u16(f, 0xffff);      /* if_tsresol claiming 65,535 bytes */
    ng_u32(f, 6);
    ng_u32(f, 28);
    ng_one_udp(f);
    fclose(f);
    struct capture_source *src = open_one_packet(path);
    assert_int_equal(capture_stats(src)->bad_records, 1);
    assert_non_null(strstr(capture_damage(src), "byte 28: interface option"));
    capture_close(src);
}

static void test_not_a_capture(void **state)
{
    const char *path = tmp("text.pcap");
    FILE *f = fopen(path, "w");
    fputs("hello, this is not a capture\n", f);
    fclose(f);
    assert_null(capture_open_file(path));
    assert_int_equal(err_last(), ERR_FORMAT);
    assert_non_null(strstr(err_msg(), "text.pcap"));
    assert_null(capture_open_file(tmp("does-not-exist.pcap")));
    assert_int_equal(err_last(), ERR_IO);
    /* A directory opens with fopen on Linux; say what it is. */
    assert_null(capture_open_file(testutil_tmpdir()));
    assert_non_null(strstr(err_msg(), "is a directory"));
}

/* gzip and xz copies read the same as the original. */
static void test_compressed(void **state)
{
    char cmd[2048];
    const char *src = tmp("tcp_fin.pcap");

    snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s.gz' && xz -c '%s' > "
             "'%s.xz'", src, src, src, src);
    assert_int_equal(testutil_run(cmd, NULL), 0);
    for (int i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof(path), "%s%s", src, i ? ".xz" : ".gz");
        run(path);
        assert_int_equal(got.n, 1);
        assert_feat(0, "total_fwd_packet", 6);
        assert_int_equal(got.rec[0].end_reason, FLOW_END_FIN);
    }
}

/* A pcap whose xz wrapper is cut short, in its header or among its
 * records: the error names the xz damage and the decoded offset, not a
 * stale errno passed on by libpcap ("Success", "Bad file descriptor"). */
static void check_xz_cut_reason(const char *why)
{
    assert_non_null(strstr(why, "xz"));
    assert_non_null(strstr(why, "byte"));
    assert_null(strstr(why, "Success"));
    assert_null(strstr(why, "descriptor"));
}

static void test_truncated_xz(void **state)
{
    char cmd[2048];
    const char *src = tmp("tcp_fin.pcap"), *xz = tmp("whole.pcap.xz");
    const char *cut = tmp("cut.pcap.xz");

    snprintf(cmd, sizeof(cmd), "xz -0 -c '%s' > '%s'", src, xz);
    assert_int_equal(testutil_run(cmd, NULL), 0);
    long n = file_size(xz);
    for (long keep = 20; keep < n - 12; keep += 24) {
        copy_prefix(xz, cut, keep, NULL);
        struct capture_source *s = capture_open_file(cut);
        if (!s) {
            check_xz_cut_reason(err_msg());
            continue;
        }
        struct capture_packet pkt;
        int rc;
        while ((rc = capture_next(s, &pkt)) == 1)
            ;
        assert_int_equal(rc, 0);
        check_xz_cut_reason(capture_damage(s));
        capture_close(s);
    }
}

/* Our names are the cic-ids2017-improved header, columns 9-89, put
 * through the snake_case rule, in the same order. */
static void test_feature_names_match_csv(void **state)
{
    char cmd[1024];
    char *out = NULL;
    snprintf(cmd, sizeof(cmd), "xz -dc '%s' | head -1", testutil_data_path(
             "cic-ids2017-improved/Heartbleed_11.csv.xz"));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);

    const char *const *names = flow_feature_names();
    int col = 0;
    size_t feat_i = 0;
    for (char *tok = strtok(out, ",\n"); tok; tok = strtok(NULL, ",\n")) {
        if (++col < 9 || col > 89)
            continue;
        char snake[128];
        size_t n = 0;
        for (const char *c = tok; *c && n < sizeof(snake) - 1; c++) {
            if (isalnum((unsigned char)*c))
                snake[n++] = (char)tolower((unsigned char)*c);
            else if (n > 0 && snake[n - 1] != '_')
                snake[n++] = '_';
        }
        while (n > 0 && snake[n - 1] == '_')
            n--;
        snake[n] = '\0';
        assert_string_equal(names[feat_i], snake);
        feat_i++;
    }
    assert_int_equal(feat_i, 81);
    assert_true(flow_feature_count() > 81);
    assert_null(names[flow_feature_count()]);
    free(out);
}

/* The command writes a header and one row per flow, and a damaged input
 * makes it exit 2 with the file named. */
static void test_cli(void **state)
{
    char cmd[2048];
    char *out = NULL;

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --label web 2>/dev/null",
             testutil_bin(), tmp("tcp_fin.pcap"));
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(out);
    assert_true(strncmp(out, "flow_id,src_ip,src_port,dst_ip,", 31) == 0);
    /* The flow_id is a hash of the flow (test_detect_flowid), then the
     * 5-tuple and first packet's time. */
    const char *row = strchr(out, '\n');
    assert_non_null(row);
    char *rest = NULL;
    assert_true(strtoull(row + 1, &rest, 10) > 1000000);
    assert_true(strncmp(rest, ",10.0.0.1,40000,10.0.0.2,80,6,"
                        "2017-07-14 02:40:00.000000000,", 60) == 0);
    assert_non_null(strstr(out, ",fin,12000,6,3,100,300,"));
    /* fwd_packet_length_max, min, mean (float 100/6, nine digits) */
    assert_non_null(strstr(out, ",100,0,16.666666,"));
    assert_non_null(strstr(out, ",web\n"));
    free(out);

    /* The data loader reads a labelled flows CSV and drops the ten
     * identity columns: the 88 features remain. */
    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --label web -o '%s' "
             "2>/dev/null && '%s' data inspect '%s' 2>&1", testutil_bin(),
             tmp("frag.pcap"), tmp("flows.csv"), testutil_bin(),
             tmp("flows.csv"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 0);
    assert_non_null(strstr(out, "88 kept"));
    assert_non_null(strstr(out, "end_timestamp vlan_id end_reason"));
    free(out);

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' --json 2>&1 >/dev/null",
             testutil_bin(), tmp("cut.pcap"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 2);
    assert_non_null(strstr(out, "cut.pcap"));
    assert_non_null(strstr(out, "8 packets"));
    free(out);

    snprintf(cmd, sizeof(cmd), "'%s' flows -r '%s' 2>&1", testutil_bin(),
             tmp("text.pcap"));
    out = NULL;
    assert_int_equal(testutil_run(cmd, &out), 2);
    assert_non_null(strstr(out, "not a pcap or pcapng"));
    free(out);
}

/* `-r -` reads standard input, plain or compressed, exactly as the file;
 * junk after a gzip member is damage; an empty pipe leaves no output. */
static void test_stdin(void **state)
{
    const char *src = tmp("tcp_fin.pcap");
    char *want = NULL, *out = NULL;

    assert_int_equal(testutil_runf(&want, "'%s' -q flows -r '%s'",
                                   testutil_bin(), src), 0);
    assert_int_equal(testutil_runf(&out, "'%s' -q flows -r - < '%s'",
                                   testutil_bin(), src), 0);
    assert_string_equal(out, want);
    assert_int_equal(testutil_runf(&out, "gzip -c '%s' | '%s' -q flows -r -",
                                   src, testutil_bin()), 0);
    assert_string_equal(out, want);
    assert_int_equal(testutil_runf(&out, "xz -c '%s' | '%s' -q flows -r -",
                                   src, testutil_bin()), 0);
    assert_string_equal(out, want);
    assert_int_equal(testutil_runf(&out, "(gzip -c '%s'; echo junk) | "
                                   "'%s' -q flows -r - 2>&1 >/dev/null",
                                   src, testutil_bin()), 2);
    assert_non_null(strstr(out, "stdin: after packet 9: gzip data damaged"));
    const char *csv = tmp("stdin-empty.csv");
    remove(csv);
    assert_int_equal(testutil_runf(&out, "'%s' -q flows -r - -o '%s' "
                                   "</dev/null 2>&1", testutil_bin(), csv), 2);
    assert_non_null(strstr(out, "stdin: too short"));
    assert_int_equal(access(csv, F_OK), -1);
    free(want);
    free(out);
}

/* A capture on a pipe that stays open (tcpdump -w - | fewflow flows -r -)
 * gets each row out when its flow ends, not when the pipe closes: the
 * writer below keeps the pipe open until the row is there (30 s at most),
 * so with rows held back the marker file is never made. */
static void test_stdin_rows_come_as_flows_end(void **state)
{
    const char *src = tmp("tcp_fin.pcap"), *csv = tmp("live-rows.csv");
    const char *mark = tmp("live-rows.early");
    char *out = NULL;

    remove(mark);
    assert_int_equal(testutil_runf(&out, "(cat '%s'; i=0; n=0; "
                                   "while [ $i -lt 300 ] && [ $n -lt 2 ]; do "
                                   "sleep 0.1; i=$((i+1)); "
                                   "n=$(cat '%s' 2>/dev/null | wc -l); done; "
                                   "[ $n -ge 2 ] && touch '%s') | "
                                   "'%s' -q flows -r - --close-linger 0 "
                                   "> '%s'", src, csv, mark, testutil_bin(),
                                   csv), 0);
    assert_int_equal(access(mark, F_OK), 0);
    free(out);
}

/* Every shared capture reads to its end with the packet count capinfos
 * gave (LABELS.csv), no damage, and at least one flow when it has IP. */
static void test_shared_pcaps(void **state)
{
    char labels[1024], line[1024];
    snprintf(labels, sizeof(labels), "%s",
             testutil_data_path("pcaps/LABELS.csv"));
    FILE *f = fopen(labels, "r");
    assert_non_null(f);
    int files = 0;
    struct flow_config cfg;
    flow_config_default(&cfg);
    cfg.max_flows = 65536; /* more than any file has open at once */
    assert_non_null(fgets(line, sizeof(line), f));
    while (fgets(line, sizeof(line), f)) {
        char rel[512];
        unsigned long packets = 0;
        int field = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, ",", &save); t;
             t = strtok_r(NULL, ",", &save), field++) {
            if (field == 0)
                snprintf(rel, sizeof(rel), "pcaps/%s", t);
            else if (field == 6)
                packets = strtoul(t, NULL, 10);
        }
        struct capture_source_stats sst;
        const struct flow_stats *st = run_cfg(testutil_data_path(rel), &cfg,
                                              &sst);
        assert_int_equal(st->evicted, 0);
        if (sst.packets != packets || sst.truncated || sst.bad_records)
            fail_msg("%s: %llu of %lu packets, damage %llu/%llu", rel,
                     (unsigned long long)sst.packets, packets,
                     (unsigned long long)sst.truncated,
                     (unsigned long long)sst.bad_records);
        assert_int_equal(st->malformed, 0);
        assert_true(got.n > 0 || st->non_ip == st->packets);
        files++;
    }
    fclose(f);
    assert_int_equal(files, 109);
}

/* Some tests here damage, compress or convert captures that the flow tests
 * write; each executable writes its own copies first. */
static int setup_captures(void **state)
{
    if (write_tcp_fin(tmp("tcp_fin.pcap")) != 0)
        return -1;
    return write_frag(tmp("frag.pcap"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nanosecond_pcap),
        cmocka_unit_test(test_pcap_after_2038),
        cmocka_unit_test(test_pcapng_interfaces),
        cmocka_unit_test(test_truncated_snaplen),
        cmocka_unit_test(test_flood_bounded),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_pcapng_interface_flood),
        cmocka_unit_test(test_pcapng_option_overrun),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_stdin_rows_come_as_flows_end),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_truncated_xz),
        cmocka_unit_test(test_feature_names_match_csv),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_shared_pcaps),
    };
    return cmocka_run_group_tests(tests, setup_captures, NULL);
}
