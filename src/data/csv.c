/*
 * The CSV record reader (RFC 4180 quoting, lenient about a quote inside an
 * unquoted field, which is kept literally as most CSV writers expect).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/csv_source.h"
#include "data/hash.h"
#include "fewflow/csv.h"
#include "fewflow/err.h"

#define CSV_CHUNK_BYTES ((size_t)1 << 20)

struct csv_reader {
    struct csv_source src;
    char *buf;
    size_t cap;           /* bytes allocated; one is kept for a final NUL */
    size_t len;           /* decoded bytes held */
    size_t pos;           /* start of the next record */
    int eof;
    int bom_checked;
    size_t line;          /* physical line of the next record */
    size_t n_expected;    /* fields per record, from the first record */
    char **fields;
    size_t *lens;
    size_t fields_cap;
    int quoted;           /* the record found last has a quote */
    int live;             /* a plain pipe, FIFO or terminal (csv_wait) */
};

enum scan_state { AT_FIELD, IN_PLAIN, IN_QUOTES, QUOTE_IN_QUOTES };

static struct csv_reader *reader_new(size_t cap)
{
    struct csv_reader *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->src.fd = -1;
    r->line = 1;
    r->cap = cap;
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        free(r);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    return r;
}

struct csv_reader *csv_open(const char *path)
{
    struct csv_reader *r = reader_new(CSV_CHUNK_BYTES);
    if (r == NULL)
        return NULL;
    if (csv_source_open(&r->src, path) != 0) {
        csv_close(r);
        return NULL;
    }
    struct stat st;
    r->live = r->src.kind == SOURCE_PLAIN && r->src.fd >= 0 &&
              fstat(r->src.fd, &st) == 0 && !S_ISREG(st.st_mode);
    return r;
}

struct csv_reader *csv_open_mem(const void *data, size_t len,
                                const char *name)
{
    /* Small buffers start small; the buffer grows when a record needs it. */
    struct csv_reader *r = reader_new(len < CSV_CHUNK_BYTES / 16
                                      ? CSV_CHUNK_BYTES / 16 : CSV_CHUNK_BYTES);
    if (r == NULL)
        return NULL;
    if (csv_source_open_mem(&r->src, data, len, name) != 0) {
        csv_close(r);
        return NULL;
    }
    return r;
}

void csv_close(struct csv_reader *r)
{
    if (r == NULL)
        return;
    csv_source_close(&r->src);
    free(r->buf);
    free(r->fields);
    free(r->lens);
    free(r);
}

const char *csv_name(const struct csv_reader *r)
{
    return r->src.name;
}

uint64_t csv_bytes_read(const struct csv_reader *r)
{
    return csv_source_bytes_read(&r->src);
}

uint64_t csv_bytes_total(const struct csv_reader *r)
{
    return r->src.raw_total;
}

/* Moves the unread tail to the front, grows the buffer when a record fills
 * it, and reads more. 0, or an ERR_* code. */
static int refill(struct csv_reader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len + 1 >= r->cap) {
        if (r->cap > CSV_MAX_RECORD_BYTES)
            return err_set(ERR_RANGE, "%s:%zu: record longer than %zu MiB",
                           r->src.name, r->line, CSV_MAX_RECORD_BYTES >> 20);
        char *grown = realloc(r->buf, r->cap * 2);
        if (grown == NULL)
            return err_set(ERR_NOMEM, "out of memory");
        r->buf = grown;
        r->cap *= 2;
    }
    long n = csv_source_read(&r->src, (uint8_t *)r->buf + r->len,
                             r->cap - 1 - r->len);
    if (n < 0)
        return (int)n;
    if (n == 0)
        r->eof = 1;
    r->len += (size_t)n;
    return 0;
}

/* Scans a record that contains quotes. Returns the offset of its ending
 * newline, -1 when the buffer ends first; *nl counts quoted newlines. */
static long scan_quoted(const char *p, size_t n, size_t *nl, int *open)
{
    int st = AT_FIELD;

    *nl = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (st == IN_QUOTES) {
            if (c == '"')
                st = QUOTE_IN_QUOTES;
            else if (c == '\n')
                (*nl)++;
            continue;
        }
        if (c == '\n')
            return (long)i;
        if (c == ',')
            st = AT_FIELD;
        else if (c == '"' && (st == AT_FIELD || st == QUOTE_IN_QUOTES))
            st = IN_QUOTES;
        else
            st = IN_PLAIN;
    }
    *open = st == IN_QUOTES;
    return -1;
}

/* The end (offset of '\n' from pos) of the next record, or -1. */
static long record_end(struct csv_reader *r, size_t *nl, int *open)
{
    const char *p = r->buf + r->pos;
    size_t n = r->len - r->pos;
    const char *q = memchr(p, '\n', n);
    size_t upto = q != NULL ? (size_t)(q - p) : n;

    *nl = 0;
    *open = 0;
    r->quoted = memchr(p, '"', upto) != NULL;
    if (!r->quoted)
        return q != NULL ? (long)upto : -1;
    return scan_quoted(p, n, nl, open);
}

static int check_bom(struct csv_reader *r)
{
    while (r->len - r->pos < 3 && !r->eof) {
        int rc = refill(r);
        if (rc != 0)
            return rc;
    }
    if (r->len - r->pos >= 3 && memcmp(r->buf + r->pos, "\xef\xbb\xbf", 3) == 0)
        r->pos += 3;
    r->bom_checked = 1;
    return 0;
}

static int grow_fields(struct csv_reader *r)
{
    if (r->fields_cap >= CSV_MAX_FIELDS)
        return err_set(ERR_RANGE, "%s:%zu: more than %d fields",
                       r->src.name, r->line, CSV_MAX_FIELDS);
    size_t cap = r->fields_cap ? r->fields_cap * 2 : 64;
    char **fields = realloc(r->fields, cap * sizeof(*fields));
    if (fields == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    r->fields = fields;
    size_t *lens = realloc(r->lens, cap * sizeof(*lens));
    if (lens == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    r->lens = lens;
    r->fields_cap = cap;
    return 0;
}

static inline int push_field(struct csv_reader *r, size_t *n, char *f,
                             size_t len)
{
    if (*n == r->fields_cap) {
        int rc = grow_fields(r);
        if (rc != 0)
            return rc;
    }
    r->fields[*n] = f;
    r->lens[*n] = len;
    (*n)++;
    return 0;
}

/* Unquotes a field starting at the quote *pp; leaves *pp after it. */
static int split_quoted(struct csv_reader *r, char **pp, char *e,
                        size_t *n)
{
    char *f = *pp, *w = f, *p = f + 1;

    for (;;) {
        if (p >= e)
            return err_set(ERR_PARSE, "%s:%zu: unterminated quoted field",
                           r->src.name, r->line);
        if (*p == '"') {
            if (p + 1 < e && p[1] == '"') {
                *w++ = '"';
                p += 2;
                continue;
            }
            p++;
            break;
        }
        *w++ = *p++;
    }
    if (p < e && *p != ',')
        return err_set(ERR_PARSE, "%s:%zu: text after a closing quote in "
                       "field %zu", r->src.name, r->line, *n + 1);
    *w = '\0';
    *pp = p;
    return push_field(r, n, f, (size_t)(w - f));
}

/* Splits [s, e) into fields in place; *e is writable scratch. */
static int split_quoting(struct csv_reader *r, char *s, char *e, size_t *n)
{
    char *p = s;
    int rc;

    *n = 0;
    for (;;) {
        if (p < e && *p == '"') {
            rc = split_quoted(r, &p, e, n);
        } else {
            char *q = p;
            while (q < e && *q != ',')
                q++;
            *q = '\0';
            rc = push_field(r, n, p, (size_t)(q - p));
            p = q;
        }
        if (rc != 0)
            return rc;
        if (p >= e)
            return 0;
        p++;
    }
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* 0x80 in each byte of w that is a comma, 0 elsewhere. Exact: the sums
 * cannot carry from one byte into the next. */
static inline uint64_t comma_bytes(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    uint64_t x = w ^ 0x2c2c2c2c2c2c2c2cULL;

    return ~(((x & low7) + low7) | x | low7);
}

/* A record without quotes, the common case: commas are found eight bytes
 * at a time, then the tail byte by byte. Equal to split_quoting there. */
static int split_plain(struct csv_reader *r, char *s, char *e, size_t *n)
{
    char *f = s, *p = s;
    int rc = 0;

    *n = 0;
    for (; p + 8 <= e && rc == 0; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        for (uint64_t m = comma_bytes(w); m != 0 && rc == 0; m &= m - 1) {
            char *c = p + (__builtin_ctzll(m) >> 3);
            *c = '\0';
            rc = push_field(r, n, f, (size_t)(c - f));
            f = c + 1;
        }
    }
    for (; p < e && rc == 0; p++) {
        if (*p == ',') {
            *p = '\0';
            rc = push_field(r, n, f, (size_t)(p - f));
            f = p + 1;
        }
    }
    if (rc != 0)
        return rc;
    *e = '\0';
    return push_field(r, n, f, (size_t)(e - f));
}
#else
static int split_plain(struct csv_reader *r, char *s, char *e, size_t *n)
{
    return split_quoting(r, s, e, n);
}
#endif

static int split(struct csv_reader *r, char *s, char *e, size_t *n)
{
    if (r->quoted)
        return split_quoting(r, s, e, n);
    return split_plain(r, s, e, n);
}

/* A bare CR inside a short or long record most likely joined lines of a
 * file with mixed line ends; say so, or the count alone misleads. */
static int check_count(struct csv_reader *r, size_t n, const char *s,
                       const char *e)
{
    if (r->n_expected == 0)
        r->n_expected = n;
    else if (n != r->n_expected)
        return err_set(ERR_PARSE, "%s:%zu: expected %zu fields, found %zu%s",
                       r->src.name, r->line, r->n_expected, n,
                       !r->quoted && memchr(s, '\r', (size_t)(e - s))
                           ? " (the line holds a bare CR: mixed line ends? "
                             "convert CR to LF)" : "");
    return 0;
}

/* Finds the next record's extent, reading more as needed. 1 with
 * [*s, *e) set and *nl quoted newlines, 0 at the end, or an error. */
static int next_extent(struct csv_reader *r, size_t *start, size_t *end,
                       size_t *nl)
{
    for (;;) {
        int open;
        long off = record_end(r, nl, &open);
        if (off >= 0) {
            *start = r->pos;
            *end = r->pos + (size_t)off;
            return 1;
        }
        if (r->eof) {
            if (open)
                return err_set(ERR_PARSE, "%s:%zu: unterminated quoted "
                               "field at end of input", r->src.name, r->line);
            if (r->pos == r->len)
                return 0;
            *start = r->pos;
            *end = r->len;
            return 1;
        }
        int rc = refill(r);
        if (rc != 0)
            return rc;
    }
}

int csv_wait(struct csv_reader *r, int ms)
{
    size_t nl;
    int open;
    if (!r->live || r->eof || r->src.in_pos < r->src.in_len ||
        record_end(r, &nl, &open) >= 0)
        return 1;
    /* poll is never restarted after a signal handler, unlike read, so a
     * signal on a quiet feed is seen at once. */
    struct pollfd p = { .fd = r->src.fd, .events = POLLIN };
    int n = poll(&p, 1, ms);
    if (n < 0 && errno == EINTR)
        return -1;
    return n != 0;
}

int csv_next(struct csv_reader *r, struct csv_record *rec)
{
    int rc = r->bom_checked ? 0 : check_bom(r);

    while (rc == 0) {
        size_t s = 0, e = 0, nl = 0, n = 0;
        rc = next_extent(r, &s, &e, &nl);
        if (rc <= 0)
            return rc;
        size_t next = e < r->len ? e + 1 : e;
        if (e > s && r->buf[e - 1] == '\r')
            e--;
        if (e == s) {
            r->pos = next;
            r->line += 1 + nl;
            rc = 0;
            continue;
        }
        if (memchr(r->buf + s, '\0', e - s) != NULL)
            return err_set(ERR_PARSE, "%s:%zu: NUL byte in text (binary "
                           "data?)", r->src.name, r->line);
        if (r->n_expected == 0 && !r->quoted &&
            memchr(r->buf + s, '\r', e - s) != NULL)
            return err_set(ERR_PARSE, "%s:%zu: bare CR line ends (classic "
                           "Mac); convert them to LF first, e.g. with "
                           "tr '\\r' '\\n'", r->src.name, r->line);
        rec->line_hash = fmix64(hash_bytes(HASH_SEED, r->buf + s, e - s));
        rc = split(r, r->buf + s, r->buf + e, &n);
        if (rc == 0)
            rc = check_count(r, n, r->buf + s, r->buf + e);
        if (rc != 0)
            return rc;
        rec->n_fields = n;
        rec->fields = r->fields;
        rec->lens = r->lens;
        rec->line = r->line;
        r->pos = next;
        r->line += 1 + nl;
        return 1;
    }
    return rc;
}

uint64_t csv_record_hash(const struct csv_record *rec)
{
    return rec->line_hash;
}
