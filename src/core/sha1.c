#include <string.h>

#include "fewflow/sha1.h"

static uint32_t rol32(uint32_t x, unsigned k)
{
    return (x << k) | (x >> (32 - k));
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* One 512-bit block: the message schedule of 80 words and the four
 * rounds of 20 steps (FIPS 180-4, 6.1.2). */
static void compress(uint32_t h[5], const uint8_t *block)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = be32(block + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdcu;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6u;
        }
        uint32_t tmp = rol32(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_init(struct sha1 *s)
{
    static const uint32_t h0[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu,
                                    0x10325476u, 0xc3d2e1f0u };
    memcpy(s->h, h0, sizeof(h0));
    s->n_bytes = 0;
}

void sha1_update(struct sha1 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0) {
        size_t at = (size_t)(s->n_bytes % 64);
        size_t take = 64 - at < n ? 64 - at : n;
        memcpy(s->block + at, p, take);
        s->n_bytes += take;
        p += take;
        n -= take;
        if (at + take == 64)
            compress(s->h, s->block);
    }
}

void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN])
{
    uint64_t bits = s->n_bytes * 8;
    uint8_t pad[72] = { 0x80 };
    size_t at = (size_t)(s->n_bytes % 64);
    /* 0x80, zeros up to 56 mod 64, then the bit length big-endian. */
    size_t n_pad = (at < 56 ? 56 - at : 120 - at);
    for (int i = 0; i < 8; i++)
        pad[n_pad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    sha1_update(s, pad, n_pad + 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(s->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)s->h[i];
    }
}

size_t base64_encode(const uint8_t *data, size_t n, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        out[len++] = abc[v >> 18 & 63];
        out[len++] = abc[v >> 12 & 63];
        out[len++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[len++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[len] = '\0';
    return len;
}
