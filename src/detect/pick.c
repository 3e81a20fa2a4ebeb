#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"
#include "fewflow/alert.h"
#include "fewflow/err.h"
#include "fewflow/pick.h"

/*
 * One line's parse. Only the top level's keys are decoded (into key[]),
 * and only to be compared with the two names read; deeper values are
 * checked against the grammar and dropped, so a line costs no memory
 * beyond its buffer and a recursion at most PICK_DEPTH_MAX deep.
 */
struct jp {
    const unsigned char *s;
    size_t n, i;
    const char *why;
    char why_buf[96];
    uint64_t id, cid;
    int has_id, has_cid;
    int is_json;
};

static int fail(struct jp *p, const char *why)
{
    p->why = why;
    return -1;
}

static int fail_byte(struct jp *p, const char *what)
{
    unsigned char c = p->s[p->i];
    if (c >= 0x20 && c < 0x7f)
        snprintf(p->why_buf, sizeof(p->why_buf), "%s '%c'", what, c);
    else
        snprintf(p->why_buf, sizeof(p->why_buf), "%s byte 0x%02x", what, c);
    p->why = p->why_buf;
    return -1;
}

static void skip_ws(struct jp *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static int hex4(struct jp *p, unsigned *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++, p->i++) {
        if (p->i >= p->n)
            return fail(p, "the line ends inside a \\u escape");
        unsigned char c = p->s[p->i];
        unsigned d = c >= '0' && c <= '9' ? c - 0x30u
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10u
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10u : 16u;
        if (d == 16)
            return fail_byte(p, "a \\u escape wants 4 hex digits, not");
        *v = *v << 4 | d;
    }
    return 0;
}

/* A \u escape (p->i past the 'u'); code points outside ASCII go into the
 * key as 0xff, which no name read here holds. */
static int unicode_escape(struct jp *p, unsigned *cp)
{
    unsigned lo;
    if (hex4(p, cp) != 0)
        return -1;
    if (*cp >= 0xdc00 && *cp <= 0xdfff)
        return fail(p, "a \\u escape holds a lone low surrogate");
    if (*cp < 0xd800 || *cp > 0xdbff)
        return 0;
    if (p->i + 1 >= p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
        return fail(p, "a high surrogate \\u escape without its low half");
    p->i += 2;
    if (hex4(p, &lo) != 0)
        return -1;
    if (lo < 0xdc00 || lo > 0xdfff)
        return fail(p, "a high surrogate \\u escape without its low half");
    return 0;
}

static int escape(struct jp *p, unsigned char *out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    unsigned cp;
    if (p->i >= p->n)
        return fail(p, "the line ends inside an escape");
    const char *at = memchr(from, p->s[p->i], sizeof(from) - 1);
    if (at != NULL && p->s[p->i] != '\0') {
        *out = (unsigned char)to[at - from];
        p->i++;
        return 0;
    }
    if (p->s[p->i] != 'u')
        return fail_byte(p, "unknown escape");
    p->i++;
    if (unicode_escape(p, &cp) != 0)
        return -1;
    *out = cp < 0x80 ? (unsigned char)cp : 0xff;
    return 0;
}

/* A string at p->i (its opening quote). With key non-NULL its decoded
 * bytes go there, cut at cap - 1 (a longer key is none read here). */
static int string(struct jp *p, char *key, size_t cap)
{
    size_t k = 0;
    p->i++;
    while (p->i < p->n && p->s[p->i] != '"') {
        unsigned char c = p->s[p->i], b = c;
        size_t len = 1;
        if (c < 0x20)
            return fail_byte(p, "a string holds control");
        if (c == '\\') {
            p->i++;
            if (escape(p, &b) != 0)
                return -1;
            len = 0;
        } else if (c >= 0x80 && (len = alert_utf8_len(p->s + p->i)) == 0) {
            return fail(p, "invalid UTF-8 in a string");
        }
        if (c >= 0x80 && (p->i + len > p->n))
            return fail(p, "invalid UTF-8 in a string");
        if (key != NULL && k + 1 < cap)
            key[k++] = (char)(c >= 0x80 ? 0xff : b);
        p->i += len;
    }
    if (p->i >= p->n)
        return fail(p, "the line ends inside a string");
    p->i++;
    if (key != NULL)
        key[k] = '\0';
    return 0;
}

static size_t digits(struct jp *p)
{
    size_t from = p->i;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
        p->i++;
    return p->i - from;
}

/* A number by the JSON grammar; *whole is set for one with no sign,
 * fraction or exponent, and *v then holds it (capped past 2^53). */
static int number(struct jp *p, int *whole, uint64_t *v)
{
    size_t from = p->i;
    int neg = p->s[p->i] == '-';
    p->i += (size_t)neg;
    if (p->i < p->n && p->s[p->i] == '0' && p->i + 1 < p->n &&
        p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')
        return fail(p, "a number with a leading zero");
    if (digits(p) == 0)
        return fail(p, "a number without digits");
    *v = 0;
    for (size_t j = from + (size_t)neg; j < p->i; j++)
        *v = *v > PICK_ID_MAX ? *v : *v * 10 + (uint64_t)(p->s[j] - '0');
    *whole = !neg;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        *whole = 0;
        if (digits(p) == 0)
            return fail(p, "a number with no digits after '.'");
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        *whole = 0;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (digits(p) == 0)
            return fail(p, "a number with no digits in its exponent");
    }
    return 0;
}

static int literal(struct jp *p)
{
    static const char *const words[] = { "true", "false", "null" };
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(words[k]);
        if (p->n - p->i >= len && memcmp(p->s + p->i, words[k], len) == 0) {
            p->i += len;
            return 0;
        }
    }
    if (p->n - p->i >= 3 && (memcmp(p->s + p->i, "NaN", 3) == 0 ||
                             memcmp(p->s + p->i, "Inf", 3) == 0))
        return fail(p, "NaN and Infinity are not JSON");
    return fail_byte(p, "unexpected");
}

static int value(struct jp *p, int depth);

static int array(struct jp *p, int depth)
{
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        return 0;
    }
    for (;;) {
        if (value(p, depth) != 0)
            return -1;
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, "the line ends inside an array");
        if (p->s[p->i++] == ']')
            return 0;
        if (p->s[--p->i] != ',')
            return fail_byte(p, "expected ',' or ']', not");
        p->i++;
    }
}

/* The top level's "flow_id" and "community_id"; a repeat of either is
 * refused, since readers disagree on which one counts. */
static int top_member(struct jp *p, const char *key)
{
    int whole = 0;
    uint64_t v = 0;
    size_t at = p->i;
    if (strcmp(key, "flow_id") == 0) {
        if (p->has_id++)
            return fail(p, "a second \"flow_id\" in the object");
        if (p->i >= p->n || (p->s[p->i] != '-' &&
                             (p->s[p->i] < '0' || p->s[p->i] > '9')))
            return fail(p, "\"flow_id\" is not a number");
        if (number(p, &whole, &v) != 0)
            return -1;
        p->i = at;
        if (!whole)
            return fail(p, "\"flow_id\" is not a whole number >= 1");
        if (v == 0 || v > PICK_ID_MAX)
            return fail(p, v ? "\"flow_id\" is past 2^53 - 1 (detect "
                        "writes none so large)" : "\"flow_id\" 0 names "
                        "no flow");
        p->id = v;
    } else if (strcmp(key, "community_id") == 0) {
        if (p->has_cid++)
            return fail(p, "a second \"community_id\" in the object");
        if (p->i >= p->n || p->s[p->i] != '"')
            return fail(p, "\"community_id\" is not a string");
        if (value(p, 1) != 0)
            return -1;
        p->cid = pick_cid_hash((const char *)p->s + at + 1, p->i - at - 2);
        return 0;
    }
    return value(p, 1);
}

static int object(struct jp *p, int depth)
{
    char key[16];
    p->i++;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != '"')
            return p->i >= p->n ? fail(p, "the line ends inside an object")
                                : fail_byte(p, "expected a key, not");
        if (string(p, depth == 0 ? key : NULL, sizeof(key)) != 0)
            return -1;
        skip_ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
            return p->i >= p->n ? fail(p, "the line ends inside an object")
                                : fail_byte(p, "expected ':', not");
        p->i++;
        skip_ws(p);
        if ((depth == 0 ? top_member(p, key) : value(p, depth + 1)) != 0)
            return -1;
        skip_ws(p);
        if (p->i >= p->n)
            return fail(p, "the line ends inside an object");
        if (p->s[p->i++] == '}')
            return 0;
        if (p->s[--p->i] != ',')
            return fail_byte(p, "expected ',' or '}', not");
        p->i++;
    }
}

static int value(struct jp *p, int depth)
{
    int whole;
    uint64_t v;
    skip_ws(p);
    if (p->i >= p->n)
        return fail(p, "the line ends where a value was expected");
    if (depth > PICK_DEPTH_MAX)
        return fail(p, "nested more than 32 deep");
    unsigned char c = p->s[p->i];
    if (c == '{')
        return object(p, depth);
    if (c == '[')
        return array(p, depth + 1);
    if (c == '"')
        return string(p, NULL, 0);
    if (c == '-' || (c >= '0' && c <= '9'))
        return number(p, &whole, &v);
    return literal(p);
}

/* A line of plain digits, spaces and tabs around them allowed. */
static int plain_id(const unsigned char *s, size_t n, struct jp *p)
{
    size_t a = 0, b = n;
    while (a < b && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    if (a == b || s[a] < '0' || s[a] > '9')
        return 0;
    p->i = a;
    for (size_t j = a; j < b; j++) {
        if (s[j] >= '0' && s[j] <= '9')
            continue;
        /* Point at what follows the number, not at the line's start:
         * "123 abc" is a number with trailing text, not a non-number. */
        p->i = j;
        while (s[p->i] == ' ' || s[p->i] == '\t')
            p->i++;
        return fail_byte(p, "text after the flow_id number:");
    }
    p->id = 0;
    for (size_t j = a; j < b && p->id <= PICK_ID_MAX; j++)
        p->id = p->id * 10 + (uint64_t)(s[j] - '0');
    if (p->id == 0 || p->id > PICK_ID_MAX)
        return fail(p, p->id ? "a flow_id past 2^53 - 1 (detect writes "
                    "none so large)" : "flow_id 0 names no flow");
    p->has_id = 1;
    return 1;
}

/* One line (no line end). Returns 1 with p->id for a flow, 0 for a line
 * that names none, -1 with p->why and p->i on an error. */
static int parse_line(struct jp *p, const unsigned char *s, size_t n)
{
    memset(p, 0, sizeof(*p));
    p->s = s;
    p->n = n;
    int plain = plain_id(s, n, p);
    if (plain != 0)
        return plain;
    skip_ws(p);
    if (p->i == n)
        return 0;
    if (s[p->i] != '{')
        return fail_byte(p, "neither an alert line (a JSON object) nor "
                         "a flow_id number: starts with");
    p->is_json = 1;
    if (object(p, 0) != 0)
        return -1;
    skip_ws(p);
    if (p->i < n)
        return fail_byte(p, "text after the object:");
    return p->has_id ? 1 : 0;
}

struct raw {
    uint64_t id, cid;
    uint32_t order;
};

static int raw_cmp(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int order_cmp(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the ids named, keeps each one's first mention. */
static int finish(struct pick_set *s, struct raw *r, size_t n)
{
    qsort(r, n, sizeof(*r), raw_cmp);
    s->ids = malloc((n + 1) * sizeof(*s->ids));
    s->order = malloc((n + 1) * sizeof(*s->order));
    s->cid = malloc((n + 1) * sizeof(*s->cid));
    if (s->ids == NULL || s->order == NULL || s->cid == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (s->n > 0 && s->ids[s->n - 1] == r[i].id)
            continue;
        s->ids[s->n] = r[i].id;
        s->cid[s->n] = r[i].cid;
        s->n_cid += r[i].cid != 0;
        s->order[s->n++] = r[i].order;
    }
    /* Ranks 0..n-1 in input order, so the first K picks are ranks < K. */
    struct raw *byorder = r;
    for (size_t i = 0; i < s->n; i++) {
        byorder[i].id = i;
        byorder[i].order = s->order[i];
    }
    qsort(byorder, s->n, sizeof(*byorder), order_cmp);
    for (size_t i = 0; i < s->n; i++)
        s->order[byorder[i].id] = (uint32_t)i;
    return 0;
}

struct reader {
    FILE *fp;
    const char *name;
    unsigned char *buf;   /* PICK_LINE_MAX + 1 */
    size_t line;
    struct raw *raw;
    size_t n_raw;
};

/* The next line into r->buf without its end (and a CR before it);
 * returns its length, -1 at the end of the file, -2 when too long. */
static long next_line(struct reader *r, int *at_eof)
{
    size_t n = 0;
    int c;
    while ((c = getc(r->fp)) != EOF && c != '\n') {
        if (n == PICK_LINE_MAX)
            return -2;
        r->buf[n++] = (unsigned char)c;
    }
    *at_eof = c == EOF;
    if (c == EOF && n == 0)
        return -1;
    if (n > 0 && r->buf[n - 1] == '\r')
        n--;
    r->buf[n] = '\0';
    return (long)n;
}

static int where(const struct reader *r, size_t col, const char *why)
{
    return err_set(ERR_PARSE, "%s:%zu:%zu: %s", r->name, r->line, col,
                   why);
}

static int read_lines(struct reader *r, struct pick_set *s)
{
    struct jp p;
    int eof = 0;
    long n;
    while (!eof && (n = next_line(r, &eof)) != -1) {
        size_t skip = 0;
        r->line++;
        if (n == -2)
            return where(r, PICK_LINE_MAX + 1, "line longer than 65536 "
                         "bytes (detect's alert lines are far shorter)");
        if (r->line == 1 && n >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0)
            skip = 3;
        int got = parse_line(&p, r->buf + skip, (size_t)n - skip);
        if (got < 0)
            return where(r, p.i + skip + 1, p.why);
        if (got == 0 && p.is_json)
            s->no_id++;
        if (got == 0)
            continue;
        if (r->n_raw == PICK_MAX)
            return where(r, 1, "more than 100000 lines name a flow");
        r->raw[r->n_raw].id = p.id;
        r->raw[r->n_raw].cid = p.cid;
        r->raw[r->n_raw].order = (uint32_t)r->n_raw;
        r->n_raw++;
        *(p.is_json ? &s->json : &s->plain) += 1;
    }
    if (ferror(r->fp))
        return err_set(ERR_IO, "%s: read error after line %zu: %s",
                       r->name, r->line, strerror(errno));
    return 0;
}

int pick_read(const char *path, struct pick_set *s)
{
    struct reader r = { 0 };
    int is_stdin = strcmp(path, "-") == 0;
    memset(s, 0, sizeof(*s));
    r.name = is_stdin ? "stdin" : path;
    r.fp = is_stdin ? stdin : fopen(path, "rb");
    if (r.fp == NULL)
        return err_set(ERR_IO, "%s: cannot open: %s", path,
                       strerror(errno));
    r.buf = malloc(PICK_LINE_MAX + 1);
    r.raw = malloc(PICK_MAX * sizeof(*r.raw));
    int rc = r.buf && r.raw ? read_lines(&r, s)
                            : err_set(ERR_NOMEM, "out of memory");
    s->lines = r.n_raw;
    if (rc == 0 && r.n_raw == 0)
        rc = err_set(ERR_INVALID, "%s: no flow_id in %zu lines (alert "
                     "lines of detect, or flow_id numbers one a line)",
                     r.name, r.line);
    if (rc == 0)
        rc = finish(s, r.raw, r.n_raw);
    if (!is_stdin)
        fclose(r.fp);
    free(r.buf);
    free(r.raw);
    if (rc != 0)
        pick_fini(s);
    return rc;
}

void pick_fini(struct pick_set *s)
{
    free(s->ids);
    free(s->order);
    free(s->cid);
    memset(s, 0, sizeof(*s));
}

uint64_t pick_cid_hash(const char *cid, size_t len)
{
    uint64_t h = fnv1a(FNV1A_OFFSET, cid, len);
    return h != 0 ? h : 1;
}

long pick_find(const struct pick_set *s, uint64_t id)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ids[lo] == id ? (long)lo : -1;
}
