#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"

void bytes_writer_init(struct bytes_writer *w)
{
    memset(w, 0, sizeof(*w));
}

void bytes_writer_fini(struct bytes_writer *w)
{
    free(w->data);
    memset(w, 0, sizeof(*w));
}

void bytes_put(struct bytes_writer *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *grown = realloc(w->data, cap);
        if (grown == NULL) {
            w->failed = 1;
            return;
        }
        w->data = grown;
        w->cap = cap;
    }
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

void bytes_put_u8(struct bytes_writer *w, uint8_t v)
{
    bytes_put(w, &v, 1);
}

void bytes_put_u32(struct bytes_writer *w, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    bytes_put(w, b, 4);
}

void bytes_put_u64(struct bytes_writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    bytes_put(w, b, 8);
}

void bytes_put_f32(struct bytes_writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    bytes_put_u32(w, u);
}

void bytes_put_f64(struct bytes_writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    bytes_put_u64(w, u);
}

void bytes_put_f32s(struct bytes_writer *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bytes_put_f32(w, v[i]);
}

void bytes_put_str(struct bytes_writer *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    bytes_put_u32(w, (uint32_t)n);
    bytes_put(w, s, n);
}

int bytes_writer_status(const struct bytes_writer *w)
{
    return w->failed ? ERR_NOMEM : 0;
}

void bytes_reader_init(struct bytes_reader *r, const void *data, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->data = data;
    r->len = len;
}

void bytes_reader_fail(struct bytes_reader *r)
{
    if (!r->failed) {
        r->failed = 1;
        r->fail_pos = r->pos;
    }
}

int bytes_get(struct bytes_reader *r, void *p, size_t n)
{
    if (r->failed || n > r->len - r->pos) {
        bytes_reader_fail(r);
        memset(p, 0, n);
        return 0;
    }
    memcpy(p, r->data + r->pos, n);
    r->pos += n;
    return 1;
}

uint8_t bytes_get_u8(struct bytes_reader *r)
{
    uint8_t v;
    bytes_get(r, &v, 1);
    return v;
}

uint32_t bytes_get_u32(struct bytes_reader *r)
{
    uint8_t b[4];
    uint32_t v = 0;
    bytes_get(r, b, 4);
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

uint64_t bytes_get_u64(struct bytes_reader *r)
{
    uint8_t b[8];
    uint64_t v = 0;
    bytes_get(r, b, 8);
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

float bytes_get_f32(struct bytes_reader *r)
{
    uint32_t u = bytes_get_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

double bytes_get_f64(struct bytes_reader *r)
{
    uint64_t u = bytes_get_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

int bytes_get_f32s(struct bytes_reader *r, float *v, size_t n)
{
    if (r->failed || n > (r->len - r->pos) / 4) {
        bytes_reader_fail(r);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = bytes_get_f32(r);
    return 1;
}

char *bytes_get_str(struct bytes_reader *r, size_t max_len)
{
    size_t start = r->pos;
    uint32_t n = bytes_get_u32(r);

    if (r->failed)
        return NULL;
    if (n > max_len || n > r->len - r->pos ||
        memchr(r->data + r->pos, '\0', n) != NULL) {
        r->pos = start;
        bytes_reader_fail(r);
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        bytes_reader_fail(r);
        return NULL;
    }
    memcpy(s, r->data + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    return s;
}

void bytes_put_crc32(struct bytes_writer *w, size_t start)
{
    if (!w->failed)
        bytes_put_u32(w, bytes_crc32(0, w->data + start, w->len - start));
}

int bytes_crc32_trailer_ok(const void *data, size_t len)
{
    struct bytes_reader r;

    if (len < 4)
        return 0;
    bytes_reader_init(&r, (const uint8_t *)data + len - 4, 4);
    return bytes_get_u32(&r) == bytes_crc32(0, data, len - 4);
}

uint32_t bytes_crc32(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    const uint8_t *p = data;

    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const uint8_t *b)
{
    uint32_t w[64], v[8];

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
               (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        uint32_t s1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + sha_k[i] + w[i];
        uint32_t s0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        h[i] += v[i];
}

void bytes_sha256(const void *data, size_t n, uint8_t out[32])
{
    uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    const uint8_t *p = data;
    uint8_t tail[128] = { 0 };
    size_t full = n / 64 * 64, rest = n - full;

    for (size_t i = 0; i < full; i += 64)
        sha_block(h, p + i);
    memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tail_len; i += 64)
        sha_block(h, tail + i);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}
