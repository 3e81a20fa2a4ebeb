/*
 * Little-endian byte buffers for file formats (model file sections, saved
 * schemas and normalisers). A writer grows as needed; a reader never reads
 * past its end and records the byte offset of the first failure, so a
 * damaged file yields "file: offset N: ..." rather than a crash.
 *
 * Ownership: bytes_writer owns data until bytes_writer_fini. A reader
 * borrows its buffer. Not thread-safe.
 */
#ifndef FEWFLOW_BYTES_H
#define FEWFLOW_BYTES_H

#include <stddef.h>
#include <stdint.h>

struct bytes_writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed;           /* an allocation failed; later puts are ignored */
};

void bytes_writer_init(struct bytes_writer *w);
void bytes_writer_fini(struct bytes_writer *w);
void bytes_put(struct bytes_writer *w, const void *p, size_t n);
void bytes_put_u8(struct bytes_writer *w, uint8_t v);
void bytes_put_u32(struct bytes_writer *w, uint32_t v);
void bytes_put_u64(struct bytes_writer *w, uint64_t v);
void bytes_put_f32(struct bytes_writer *w, float v);
void bytes_put_f64(struct bytes_writer *w, double v);
void bytes_put_f32s(struct bytes_writer *w, const float *v, size_t n);
/* A u32 length then the bytes, no terminator; NULL is written as length 0. */
void bytes_put_str(struct bytes_writer *w, const char *s);
/* 0, or ERR_NOMEM when any put failed. */
int bytes_writer_status(const struct bytes_writer *w);

struct bytes_reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    int failed;           /* a get ran past the end or met a bad value */
    size_t fail_pos;      /* offset where the first failure happened */
};

void bytes_reader_init(struct bytes_reader *r, const void *data, size_t len);
/* Each get returns 0 (and zeroes the output) once the reader has failed. */
int bytes_get(struct bytes_reader *r, void *p, size_t n);
uint8_t bytes_get_u8(struct bytes_reader *r);
uint32_t bytes_get_u32(struct bytes_reader *r);
uint64_t bytes_get_u64(struct bytes_reader *r);
float bytes_get_f32(struct bytes_reader *r);
double bytes_get_f64(struct bytes_reader *r);
int bytes_get_f32s(struct bytes_reader *r, float *v, size_t n);
/* A malloc'd NUL-terminated copy, or NULL (reader failed, or a string over
 * max_len bytes, or one containing NUL, which marks the reader failed). */
char *bytes_get_str(struct bytes_reader *r, size_t max_len);
/* Marks the reader failed at the current offset (for semantic checks). */
void bytes_reader_fail(struct bytes_reader *r);

/* CRC-32 (IEEE 802.3 polynomial, reflected), chainable from crc = 0. */
uint32_t bytes_crc32(uint32_t crc, const void *data, size_t n);

/* Appends, as a u32, the CRC-32 of what w holds from offset start on: a
 * section's checksum trailer. Nothing is added to a failed writer. */
void bytes_put_crc32(struct bytes_writer *w, size_t start);

/* Whether data ends in the CRC-32 of the bytes before it, as
 * bytes_put_crc32 writes it; 0 when len < 4. */
int bytes_crc32_trailer_ok(const void *data, size_t len);

/* SHA-256 of a buffer (FIPS 180-4); out holds 32 bytes. */
void bytes_sha256(const void *data, size_t n, uint8_t out[32]);

#endif
