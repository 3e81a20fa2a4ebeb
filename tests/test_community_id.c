/*
 * The Community ID of alert lines (community_id.h): SHA-1 and base64
 * against their standards' test vectors, the hash against the vectors
 * the specification publishes (corelight/community-id-spec,
 * baseline/baseline_deflt.json and baseline_seed1.json), one-way ICMP
 * kept in its direction, and the flows an ID cannot be given to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "fewflow/alert.h"
#include "fewflow/community_id.h"
#include "fewflow/sha1.h"

#include "jsoncheck.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha1_text(const char *msg, size_t repeat, char *out)
{
    struct sha1 s;
    uint8_t d[SHA1_DIGEST_LEN];
    sha1_init(&s);
    for (size_t i = 0; i < repeat; i++)
        sha1_update(&s, msg, strlen(msg));
    sha1_final(&s, d);
    hex(d, sizeof(d), out);
}

/* FIPS 180-2 appendix A and the NIST example values. */
static void sha1_matches_the_standard(void **state)
{
    char h[41];
    (void)state;
    sha1_text("", 1, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_text("abc", 1, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
              h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_text("a", 1000000, h);
    assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    /* 64 bytes and more in uneven pieces: the block edge. */
    sha1_text("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
              "+/", 3, h);
    char one[200] = "";
    for (int i = 0; i < 3; i++)
        strcat(one, "0123456789abcdefghijklmnopqrstuvwxyz"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZ+/");
    char h1[41];
    sha1_text(one, 1, h1);
    assert_string_equal(h, h1);
}

/* RFC 4648, section 10. */
static void base64_matches_rfc4648(void **state)
{
    static const char *const in[] = { "", "f", "fo", "foo", "foob",
                                      "fooba", "foobar" };
    static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
    char buf[16];
    (void)state;
    for (size_t i = 0; i < 7; i++) {
        size_t n = base64_encode((const uint8_t *)in[i], strlen(in[i]), buf);
        assert_string_equal(buf, out[i]);
        assert_int_equal(n, strlen(out[i]));
    }
}

struct vector {
    uint8_t proto;
    const char *saddr, *daddr;
    int sport, dport;         /* -1: none; ICMP: type and code */
    const char *deflt, *seed1;
};

/* The specification's baseline, both seeds. */
static const struct vector spec[] = {
    { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
    { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
      "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
    { 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
      "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
    { 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135,
      "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
    { 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
      "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
    { 58, "3ffe:501:410:0:2c0:dfff:fe47:33e",
      "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
      "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
    { 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
      "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
    { 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
      "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
    { 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134,
      "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=" },
    { 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133,
      "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=" },
    { 1, "192.168.0.89", "192.168.0.1", 8, 0,
      "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
    { 1, "192.168.0.1", "192.168.0.89", 0, 8,
      "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
    { 1, "10.0.0.1", "10.0.0.2", 11, 0,
      "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
    { 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
      63943, 25,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
      25, 63943,
      "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
    { 132, "192.168.170.8", "192.168.170.56", 7, 7,
      "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
    { 132, "192.168.170.56", "192.168.170.8", 7, 7,
      "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
    { 6, "128.232.110.120", "66.35.250.204", 34855, 80,
      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
    { 6, "66.35.250.204", "128.232.110.120", 80, 34855,
      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
    { 17, "192.168.1.52", "8.8.8.8", 54585, 53,
      "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
    { 17, "8.8.8.8", "192.168.1.52", 53, 54585,
      "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
    { 46, "10.1.12.1", "10.1.12.2", -1, -1,
      "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
    { 46, "10.1.12.2", "10.1.12.1", -1, -1,
      "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

/* A vector as a source gives it: ICMP's type and code in their fields. */
static void flow_of(const struct vector *v, struct alert_flow *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->src_ip, sizeof(f->src_ip), "%s", v->saddr);
    snprintf(f->dest_ip, sizeof(f->dest_ip), "%s", v->daddr);
    f->proto = v->proto;
    if (v->proto == 1 || v->proto == 58) {
        f->has_icmp = 1;
        f->icmp_type = (uint8_t)v->sport;
        f->icmp_code = (uint8_t)v->dport;
    } else if (v->sport >= 0) {
        f->src_port = (uint16_t)v->sport;
        f->dest_port = (uint16_t)v->dport;
    }
}

static void spec_vectors_match(void **state)
{
    struct alert_flow f;
    char id[COMMUNITY_ID_SIZE];
    (void)state;
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
        flow_of(&spec[i], &f);
        assert_int_equal(community_id_of_flow(&f, 0, id), 0);
        assert_string_equal(id, spec[i].deflt);
        assert_int_equal(community_id_of_flow(&f, 1, id), 0);
        assert_string_equal(id, spec[i].seed1);
    }
}

/* The hash input written out byte by byte, not through the ordering
 * code: seed, the addresses as given, proto, 0, the two ports. */
static void direct_id(uint16_t seed, const char *a, const char *b,
                      uint8_t proto, uint16_t pa, uint16_t pb, char *out)
{
    uint8_t buf[12], d[SHA1_DIGEST_LEN];
    struct sha1 s;
    inet_pton(AF_INET, a, buf + 2);
    inet_pton(AF_INET, b, buf + 6);
    uint8_t tail[6] = { proto, 0, (uint8_t)(pa >> 8), (uint8_t)pa,
                        (uint8_t)(pb >> 8), (uint8_t)pb };
    buf[0] = (uint8_t)(seed >> 8);
    buf[1] = (uint8_t)seed;
    sha1_init(&s);
    sha1_update(&s, buf, 10);
    sha1_update(&s, tail, 6);
    sha1_final(&s, d);
    memcpy(out, "1:", 2);
    base64_encode(d, sizeof(d), out + 2);
}

/* A type without a counterpart (time exceeded, unreachable) is hashed
 * in its own direction even from the larger address, and so differs
 * from the same message sent back; echo request and reply share one. */
static void one_way_icmp_keeps_its_direction(void **state)
{
    struct alert_flow f;
    char id[COMMUNITY_ID_SIZE], want[COMMUNITY_ID_SIZE];
    char back[COMMUNITY_ID_SIZE];
    struct vector v = { 1, "10.0.0.9", "10.0.0.2", 3, 3, NULL, NULL };
    (void)state;
    flow_of(&v, &f);
    assert_int_equal(community_id_of_flow(&f, 7, id), 0);
    direct_id(7, "10.0.0.9", "10.0.0.2", 1, 3, 3, want);
    assert_string_equal(id, want);
    struct vector w = { 1, "10.0.0.2", "10.0.0.9", 3, 3, NULL, NULL };
    flow_of(&w, &f);
    assert_int_equal(community_id_of_flow(&f, 7, back), 0);
    assert_string_not_equal(back, id);

    struct vector req = { 1, "10.0.0.9", "10.0.0.2", 8, 0, NULL, NULL };
    struct vector rep = { 1, "10.0.0.2", "10.0.0.9", 0, 0, NULL, NULL };
    flow_of(&req, &f);
    community_id_of_flow(&f, 0, id);
    direct_id(0, "10.0.0.2", "10.0.0.9", 1, 0, 8, want);
    assert_string_equal(id, want);
    flow_of(&rep, &f);
    community_id_of_flow(&f, 0, back);
    assert_string_equal(back, id);

    uint16_t sp, dp;
    assert_int_equal(community_icmp_ports(58, 130, 0, &sp, &dp), 0);
    assert_int_equal(dp, 131);
    assert_int_equal(community_icmp_ports(58, 145, 0, &sp, &dp), 0);
    assert_int_equal(dp, 144);
    assert_int_equal(community_icmp_ports(1, 9, 0, &sp, &dp), 0);
    assert_int_equal(dp, 10);
    assert_int_equal(community_icmp_ports(1, 128, 5, &sp, &dp), 1);
    assert_int_equal(dp, 5);
}

/* Equal addresses: the smaller port first. */
static void equal_addresses_order_by_port(void **state)
{
    struct alert_flow f;
    char id[COMMUNITY_ID_SIZE], want[COMMUNITY_ID_SIZE];
    struct vector v = { 6, "10.0.0.1", "10.0.0.1", 5000, 80, NULL, NULL };
    (void)state;
    flow_of(&v, &f);
    assert_int_equal(community_id_of_flow(&f, 0, id), 0);
    direct_id(0, "10.0.0.1", "10.0.0.1", 6, 80, 5000, want);
    assert_string_equal(id, want);
}

/* Nothing a hash could stand on: no ID rather than a wrong one. */
static void flows_without_an_id(void **state)
{
    struct alert_flow f;
    char id[COMMUNITY_ID_SIZE];
    struct vector tcp = { 6, "10.0.0.1", "10.0.0.2", 1234, 80, NULL, NULL };
    (void)state;
    flow_of(&tcp, &f);
    f.ports_unknown = 1;
    assert_int_equal(community_id_of_flow(&f, 0, id), -1);
    assert_string_equal(id, "");
    f.ports_unknown = 0;
    f.proto = 0;
    assert_int_equal(community_id_of_flow(&f, 0, id), -1);
    f.proto = 6;
    snprintf(f.dest_ip, sizeof(f.dest_ip), "2001:db8::1");
    assert_int_equal(community_id_of_flow(&f, 0, id), -1);
    f.dest_ip[0] = '\0';
    assert_int_equal(community_id_of_flow(&f, 0, id), -1);
    struct vector icmp = { 1, "10.0.0.1", "10.0.0.2", 8, 0, NULL, NULL };
    flow_of(&icmp, &f);
    f.has_icmp = 0;
    assert_int_equal(community_id_of_flow(&f, 0, id), -1);
}

/* The line carries it as Suricata's EVE does, a top-level string; a
 * flow without one has no such field. */
static void alert_line_carries_it(void **state)
{
    struct memo *m = memo_create(2, 2);
    float p[2] = { 1, 1 };
    struct alert_flow f;
    struct memo_decision d;
    struct alert_buf b;
    (void)state;
    memo_class_add(m, "a", 0, p, 1, 2, p);
    memo_decide(m, p, &d);
    flow_of(&spec[17], &f);
    f.community_seed = 1;
    alert_buf_init(&b);
    alert_format(&b, &f, m, &d, NULL, NULL);
    assert_true(json_line_ok(b.data));
    assert_non_null(strstr(b.data, "\"proto\":\"TCP\",\"community_id\":"
                           "\"1:3V71V58M3Ksw/yuFALMcW0LAHvc=\""));
    f.ports_unknown = 1;
    alert_buf_reset(&b);
    alert_format(&b, &f, m, &d, NULL, NULL);
    assert_true(json_line_ok(b.data));
    assert_null(strstr(b.data, "community_id"));
    alert_buf_fini(&b);
    memo_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_matches_the_standard),
        cmocka_unit_test(base64_matches_rfc4648),
        cmocka_unit_test(spec_vectors_match),
        cmocka_unit_test(one_way_icmp_keeps_its_direction),
        cmocka_unit_test(equal_addresses_order_by_port),
        cmocka_unit_test(flows_without_an_id),
        cmocka_unit_test(alert_line_carries_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
