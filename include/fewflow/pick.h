/*
 * Flows an analyst picked, by flow_id: the lines of a file of detect's
 * alert lines (JSON lines) or of plain flow_id numbers, one a line, read
 * for `enroll --pick`.
 *
 * The file is not trusted: every line is parsed in full by a small strict
 * JSON reader (RFC 8259 grammar, valid UTF-8 in strings, nesting at most
 * PICK_DEPTH_MAX, lines at most PICK_LINE_MAX bytes) that keeps only the
 * top-level "flow_id" (an integer from 1 to 2^53 - 1) and a hash of the
 * top-level "community_id" (a string). What it accepts beyond the
 * grammar: a UTF-8 BOM before the first line, CRLF line ends, blank lines.
 * An object with no flow_id (detect's rate-limit records name no flow) is
 * counted and skipped. Anything else stops with ERR_PARSE and the message
 * "FILE:LINE:COLUMN: why" (COLUMN counts bytes from 1).
 *
 * Ownership: pick_read fills caller storage that pick_fini frees.
 */
#ifndef FEWFLOW_PICK_H
#define FEWFLOW_PICK_H

#include <stddef.h>
#include <stdint.h>

#define PICK_MAX 100000          /* lines naming a flow */
#define PICK_LINE_MAX 65536      /* bytes in a line, its end excluded */
#define PICK_DEPTH_MAX 32        /* nested objects and arrays in a line */
#define PICK_ID_MAX ((1ULL << 53) - 1)

struct pick_set {
    uint64_t *ids;      /* distinct flow_ids, ascending */
    uint32_t *order;    /* ids[i]'s rank in input order (first mention) */
    uint64_t *cid;      /* ids[i]'s community_id, pick_cid_hash (first
                           mention), or 0 when it names none */
    size_t n_cid;       /* ids with a community_id */
    size_t n;           /* distinct ids */
    size_t lines;       /* lines naming a flow, repeats included */
    size_t no_id;       /* JSON objects without a flow_id, skipped */
    size_t json, plain; /* lines of each form */
};

/* Reads path ("-" for standard input) into s. Returns 0, ERR_IO,
 * ERR_NOMEM, or ERR_PARSE / ERR_INVALID with err_msg() naming the file
 * and position (no flow named at all is ERR_INVALID). */
int pick_read(const char *path, struct pick_set *s);
void pick_fini(struct pick_set *s);

/* A community_id string's hash (never 0), to compare without keeping
 * the strings. */
uint64_t pick_cid_hash(const char *cid, size_t len);

/* The index in s->ids of id, or -1. */
long pick_find(const struct pick_set *s, uint64_t id);

#endif
