/*
 * A byte stream over a plain, gzip or xz file, or a memory buffer, chosen
 * by the first bytes; the path "-" is standard input. Internal to the
 * capture module.
 *
 * Ownership: stream_open_* return a stream freed by stream_close. Not
 * thread-safe.
 */
#ifndef FEWFLOW_CAPTURE_STREAM_H
#define FEWFLOW_CAPTURE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct stream;

/* NULL on failure with err_msg() set (ERR_IO, ERR_NOMEM). */
struct stream *stream_open_file(const char *path);
struct stream *stream_open_memory(const void *data, size_t len);

/* Reads up to n bytes; returns the count, which is less than n only at the
 * end of the data or on an error (stream_error tells which). */
size_t stream_read(struct stream *s, void *buf, size_t n);

/* Reads up to n (at most 16) bytes from the start without consuming
 * them: the next stream_read returns them again. Only before any read. */
size_t stream_peek(struct stream *s, void *buf, size_t n);

/* Non-zero after a read or decompression error; its text is in msg. */
int stream_error(const struct stream *s, const char **msg);

/* Non-zero when the stream reads a pipe or socket and nothing more is
 * waiting there (checked without blocking); 0 for files and memory. */
int stream_idle(const struct stream *s);

/* Bytes delivered so far (decompressed offset). */
uint64_t stream_offset(const struct stream *s);

/* A stdio FILE reading the same bytes (for libpcap), valid until
 * stream_close. NULL on failure. The FILE must be fclose'd by whoever
 * takes it over (libpcap's pcap_close does); closing it does not close
 * the stream. */
FILE *stream_as_file(struct stream *s);

void stream_close(struct stream *s);

#endif
