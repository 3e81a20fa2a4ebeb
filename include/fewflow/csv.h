/*
 * A streaming CSV reader for flow datasets.
 *
 * Input is plain text, gzip or xz, told apart by the first bytes, so
 * compressed files are read as they are. The reader strips a UTF-8 BOM,
 * accepts LF and CRLF line ends, RFC 4180 quoting ("" inside a quoted
 * field is one quote; quoted fields may span lines) and skips blank lines.
 * Every record must have as many fields as the first one.
 *
 * Memory is bounded: one decode buffer that grows only to hold the longest
 * record, capped at CSV_MAX_RECORD_BYTES, and at most CSV_MAX_FIELDS
 * fields. Errors are recorded with err_set() as "NAME:LINE: what", where
 * LINE is the physical line on which the record starts.
 *
 * Glossary: a record is one logical CSV row; a field is one cell of it.
 * Ownership: the reader owns its buffers; fields of a record are borrowed
 * until the next csv_next() or csv_close(). Not thread-safe.
 */
#ifndef FEWFLOW_CSV_H
#define FEWFLOW_CSV_H

#include <stddef.h>
#include <stdint.h>

#define CSV_MAX_RECORD_BYTES ((size_t)64 << 20)
#define CSV_MAX_FIELDS 65536

struct csv_reader;

struct csv_record {
    size_t n_fields;
    char **fields;        /* NUL-terminated, unquoted, borrowed */
    size_t *lens;         /* byte length of each field */
    size_t line;          /* 1-based physical line where the record starts */
    uint64_t line_hash;   /* hash of the record's bytes as in the input */
};

/* Opens a file (plain, .gz or .xz content); "-" reads standard input,
 * named "stdin" in messages. NULL on failure, with the detail
 * "PATH: reason" recorded. */
struct csv_reader *csv_open(const char *path);

/* Reads from memory (plain, gzip or xz bytes); `name` is used in error
 * messages. The data is borrowed and must outlive the reader. */
struct csv_reader *csv_open_mem(const void *data, size_t len,
                                const char *name);

void csv_close(struct csv_reader *r);

/* The next record: 1 when one was read, 0 at the end of input, or a
 * negative ERR_* code (ERR_PARSE for malformed CSV, ERR_IO for read or
 * decompression failures, ERR_RANGE for a record over the limits). */
int csv_next(struct csv_reader *r, struct csv_record *rec);

/* For a live feed (a plain pipe, FIFO or terminal) with no whole record
 * buffered: waits up to ms milliseconds for a byte. 1 when csv_next()
 * may be called (a byte or the end came, a record is buffered, or the
 * input is a file or compressed, which never waits for a writer); 0
 * after ms of quiet; -1 when a signal came first. A caller writes what it
 * holds on 0, and looks at its stop flag on -1, so that a quiet live
 * feed neither holds rows back nor a signal. */
int csv_wait(struct csv_reader *r, int ms);

/* The name given at open time (borrowed). */
const char *csv_name(const struct csv_reader *r);

/* Compressed input bytes consumed so far and the input size (0 when
 * unknown), for progress reporting. */
uint64_t csv_bytes_read(const struct csv_reader *r);
uint64_t csv_bytes_total(const struct csv_reader *r);

/* Hash of the record's bytes as they stand in the input, line end
 * excluded (for counting identical lines). */
uint64_t csv_record_hash(const struct csv_record *rec);

#endif
