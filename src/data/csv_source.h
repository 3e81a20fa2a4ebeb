/*
 * Internal: where the CSV reader's bytes come from. A source reads a file
 * descriptor or a memory buffer and undoes gzip or xz compression, chosen
 * by the magic bytes at the start (1f 8b for gzip, fd 37 7a 58 5a 00 for
 * xz). Concatenated streams of either kind decode as one.
 */
#ifndef FEWFLOW_DATA_CSV_SOURCE_H
#define FEWFLOW_DATA_CSV_SOURCE_H

#include <lzma.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

enum csv_source_kind { SOURCE_PLAIN, SOURCE_GZ, SOURCE_XZ };

struct csv_source {
    char *name;
    int fd;                   /* -1 for memory input */
    int is_stdin;             /* path "-": read fd 0, never close it */
    const uint8_t *mem;
    size_t mem_len;
    size_t mem_pos;
    uint8_t *in_buf;          /* raw (possibly compressed) input */
    const uint8_t *in_ptr;    /* current raw chunk: in_buf or mem */
    size_t in_len;
    size_t in_pos;
    int raw_eof;
    int dec_eof;              /* the compressed stream ended cleanly */
    int kind;
    int codec_ready;
    uint64_t raw_read;
    uint64_t raw_total;
    lzma_stream xz;
    z_stream gz;
    uint64_t gz_members_out;  /* bytes decoded by finished gzip members */
    struct csv_pipe *pipe;    /* decoder thread, for large compressed files */
};

/* 0 or an ERR_* code with "PATH: reason" recorded. On failure the source
 * still needs csv_source_close(). */
int csv_source_open(struct csv_source *s, const char *path);
int csv_source_open_mem(struct csv_source *s, const void *data, size_t len,
                        const char *name);
void csv_source_close(struct csv_source *s);

/* Decoded bytes into dst: the count, 0 at the end, or an ERR_* code. */
long csv_source_read(struct csv_source *s, uint8_t *dst, size_t cap);

/* The same, decoding in the calling thread (the pipe's worker uses it). */
long csv_source_decode(struct csv_source *s, uint8_t *dst, size_t cap);

/*
 * A decoder thread for compressed files, so decompression and parsing run
 * on two cores: the worker decodes into a small ring of chunks, the reader
 * copies out of it. Errors recorded in the worker are handed over with
 * their message. csv_pipe_start: 0 or ERR_NOMEM; csv_pipe_stop is safe
 * without a pipe.
 */
int csv_pipe_start(struct csv_source *s);
long csv_pipe_read(struct csv_source *s, uint8_t *dst, size_t cap);
void csv_pipe_stop(struct csv_source *s);
uint64_t csv_source_bytes_read(const struct csv_source *s);

#endif
