/*
 * SHA-1 (FIPS 180-4, section 6.1) and base64 (RFC 4648, section 4), for
 * the Community ID of alert lines (community_id.h). SHA-1 is no longer
 * collision-resistant; it is here because the Community ID specification
 * names it, not to protect anything.
 *
 * Thread-safe: no global state.
 */
#ifndef FEWFLOW_SHA1_H
#define FEWFLOW_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1 {
    uint32_t h[5];
    uint64_t n_bytes;         /* message length so far */
    uint8_t block[64];        /* the unprocessed tail, n_bytes % 64 */
};

void sha1_init(struct sha1 *s);
void sha1_update(struct sha1 *s, const void *data, size_t n);
/* Pads, writes the 20-byte digest; s must be initialised again to reuse. */
void sha1_final(struct sha1 *s, uint8_t digest[SHA1_DIGEST_LEN]);

/* Standard base64 with '=' padding into out, NUL-terminated; out holds
 * 4 * ((n + 2) / 3) + 1 bytes. Returns the text's length. */
size_t base64_encode(const uint8_t *data, size_t n, char *out);

#endif
