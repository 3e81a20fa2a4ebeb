/*
 * Writes a synthetic Ethernet/IPv4/TCP capture for the detect benchmark:
 * N packets in flows of P packets each (SYN, SYN-ACK, ACK, data both ways,
 * FIN from both sides), with C flows open at once, interleaved round-robin,
 * 20 µs apart. Deterministic (no randomness): the same arguments give the
 * same bytes. PACKETS_PER_FLOW 1 writes a lone SYN per flow, each from
 * its own source (10.0.0.0/8 by flow number): a spoofed SYN flood, whose
 * flows alert, for the rate-limit benchmark.
 *
 * usage: detect_gen_pcap OUT.pcap PACKETS [PACKETS_PER_FLOW] [CONCURRENT]
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t ip_checksum(const uint8_t *h)
{
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Packet k (0-based) of flow f, from client (dir 0) or server (dir 1). */
static size_t build(uint8_t *p, uint32_t f, int k, int last)
{
    int dir = k == 1 ? 1 : k >= 3 && !last ? k % 2 : k == last ? 1 : 0;
    size_t payload = k >= 3 && !last ? (dir ? 1200 : 300) : 0;
    uint8_t flags = k == 0 ? 0x02 : k == 1 ? 0x12 : 0x10;
    uint32_t cli = 0x0a000000u | (f & 0xffffff), srv = 0xc0a80001u;
    uint16_t sport = (uint16_t)(1024 + f % 60000), dport = 443;

    if (last && (k == last || k == last - 1))
        flags = 0x11;
    memset(p, 0, 54);
    memcpy(p, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
    p[12] = 0x08;
    uint8_t *ip = p + 14, *tcp = ip + 20;
    ip[0] = 0x45;
    uint16_t tot = (uint16_t)(40 + payload);
    ip[2] = (uint8_t)(tot >> 8);
    ip[3] = (uint8_t)tot;
    ip[8] = 64;
    ip[9] = 6;
    uint32_t a = dir ? srv : cli, b = dir ? cli : srv;
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(a >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(b >> (24 - 8 * i));
    }
    uint16_t c = ip_checksum(ip);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    uint16_t sp = dir ? dport : sport, dp = dir ? sport : dport;
    tcp[0] = (uint8_t)(sp >> 8);
    tcp[1] = (uint8_t)sp;
    tcp[2] = (uint8_t)(dp >> 8);
    tcp[3] = (uint8_t)dp;
    tcp[12] = 0x50;
    tcp[13] = flags;
    tcp[14] = 0xff;
    tcp[15] = 0xff;
    memset(p + 54, 'x', payload);
    return 54 + payload;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUT.pcap PACKETS [PER_FLOW] [OPEN]\n",
                argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    int per = argc > 3 ? atoi(argv[3]) : 10;
    long open = argc > 4 ? atol(argv[4]) : 20000;
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *out = pcap_dump_open(dead, argv[1]);
    if (out == NULL || (per < 4 && per != 1) || open < 1) {
        fprintf(stderr, "cannot write %s\n", argv[1]);
        return 1;
    }
    static uint8_t buf[2048];
    long written = 0;
    double t = 1.6e9;
    for (long wave = 0; written < n; wave++) {
        for (int k = 0; k < per && written < n; k++) {
            for (long f = 0; f < open && written < n; f++) {
                struct pcap_pkthdr h;
                /* A last packet of -1: none, so the SYN is the
                 * client's and nothing closes the flow. */
                size_t len = build(buf, (uint32_t)(wave * open + f), k,
                                   per > 1 ? per - 1 : -1);
                t += 20e-6;
                h.ts.tv_sec = (time_t)t;
                h.ts.tv_usec = (suseconds_t)((t - (double)(time_t)t) * 1e6);
                h.caplen = h.len = (bpf_u_int32)len;
                pcap_dump((u_char *)out, &h, buf);
                written++;
            }
        }
    }
    pcap_dump_close(out);
    pcap_close(dead);
    return 0;
}
