#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "fewflow/err.h"
#include "fewflow/support.h"

/*
 * Section layout: "FFKIND" u16 version | u32 n_classes | per class:
 * str name | u64 counts[SUPPORT_KINDS] | u32 crc32 of everything before.
 */

#define KIND_MAGIC "FFKIND"
#define KIND_VERSION 1
#define KIND_MAX_CLASSES 4096u
/* Far above any training set, and low enough that the counts of every
 * class and shape summed cannot overflow an int64_t. */
#define KIND_MAX_COUNT (UINT64_C(1) << 48)

enum {
    COL_ICMP_TYPE, COL_SEG_MIN, COL_TCP_TIME, COL_SYN, COL_ACK, COL_FIN,
    COL_RST, COL_FWD_PKTS, COL_BWD_PKTS, COL_FWD_HDR, COL_BWD_HDR, N_COLS
};

static const char *const col_name[N_COLS] = {
    "icmp_type", "fwd_seg_size_min", "total_tcp_flow_time",
    "syn_flag_count", "ack_flag_count", "fin_flag_count", "rst_flag_count",
    "total_fwd_packet", "total_bwd_packets", "fwd_header_length",
    "bwd_header_length",
};

struct support_class {
    char *name;
    uint64_t count[SUPPORT_KINDS];
};

struct support {
    size_t col[N_COLS];
    size_t n_classes, cap;
    struct support_class *cls;
};

static int find_cols(struct support *s, const char *const *names, size_t n)
{
    return names_find_all(s->col, col_name, N_COLS, names, n);
}

int support_columns_present(const char *const *col_names, size_t n_in)
{
    struct support s;
    return find_cols(&s, col_names, n_in) == 0;
}

struct support *support_create(const char *const *col_names, size_t n_in)
{
    struct support *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (find_cols(s, col_names, n_in) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void support_destroy(struct support *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_classes; i++)
        free(s->cls[i].name);
    free(s->cls);
    free(s);
}

/* The protocol from the transport header lengths: TCP's are 20 to 60
 * bytes, UDP's 8, other protocols' 0 (ICMP's 8 too, but it has a type).
 * The forward minimum is 0 when a flow part starts with a backward packet
 * (the CSV's rule), so the mean over all packets decides; TCP is also
 * known by its flags or connection time. */
static int family(const struct support *s, const float *x)
{
    if (x[s->col[COL_ICMP_TYPE]] >= 0)
        return SUPPORT_ICMP;
    float seg = x[s->col[COL_SEG_MIN]];
    float flags = x[s->col[COL_SYN]] + x[s->col[COL_ACK]] +
                  x[s->col[COL_FIN]] + x[s->col[COL_RST]];
    float pkts = x[s->col[COL_FWD_PKTS]] + x[s->col[COL_BWD_PKTS]];
    float hdr = x[s->col[COL_FWD_HDR]] + x[s->col[COL_BWD_HDR]];
    float mean = pkts > 0 ? hdr / pkts : 0;
    if (seg >= 20 || mean >= 20 || flags > 0 || x[s->col[COL_TCP_TIME]] > 0)
        return SUPPORT_TCP;
    return seg == 8 || (mean > 7.5f && mean < 8.5f) ? SUPPORT_UDP
                                                   : SUPPORT_OTHER;
}

int support_kind(const struct support *s, const float *x)
{
    int shape = SUPPORT_TWO_WAY;
    if (!(x[s->col[COL_BWD_PKTS]] > 0))
        shape = x[s->col[COL_FWD_PKTS]] > 1 ? SUPPORT_ONE_WAY
                                            : SUPPORT_SINGLE;
    return family(s, x) * SUPPORT_SHAPES + shape;
}

const char *support_kind_name(int kind)
{
    static const char *const names[SUPPORT_KINDS] = {
        "TCP two-way", "TCP one-way", "TCP single packet",
        "UDP two-way", "UDP one-way", "UDP single packet",
        "ICMP two-way", "ICMP one-way", "ICMP single packet",
        "other protocol two-way", "other protocol one-way",
        "other protocol single packet",
    };
    return kind >= 0 && kind < SUPPORT_KINDS ? names[kind] : "?";
}

const char *support_reason(enum support_verdict v, int kind)
{
    static const char *const unjudged[SUPPORT_FAMILIES] = {
        "too few TCP flows in the training data to judge one",
        "too few UDP flows in the training data to judge one",
        "too few ICMP flows in the training data to judge one",
        "too few other-protocol flows in the training data to judge one",
    };
    static const char *const no_benign[SUPPORT_KINDS] = {
        "benign class learnt no TCP two-way flows",
        "benign class learnt no TCP one-way flows",
        "benign class learnt no TCP single-packet flows",
        "benign class learnt no UDP two-way flows",
        "benign class learnt no UDP one-way flows",
        "benign class learnt no UDP single-packet flows",
        "benign class learnt no ICMP two-way flows",
        "benign class learnt no ICMP one-way flows",
        "benign class learnt no ICMP single-packet flows",
        "benign class learnt no other-protocol two-way flows",
        "benign class learnt no other-protocol one-way flows",
        "benign class learnt no other-protocol single-packet flows",
    };
    if (v == SUPPORT_OK || kind < 0 || kind >= SUPPORT_KINDS)
        return NULL;
    return v == SUPPORT_UNJUDGED ? unjudged[kind / SUPPORT_SHAPES]
                                 : no_benign[kind];
}

static struct support_class *find_class(const struct support *s,
                                        const char *name)
{
    for (size_t i = 0; i < s->n_classes; i++) {
        if (strcmp(s->cls[i].name, name) == 0)
            return &s->cls[i];
    }
    return NULL;
}

static struct support_class *add_class(struct support *s, const char *name)
{
    if (s->n_classes == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct support_class *c = realloc(s->cls, cap * sizeof(*c));
        if (c == NULL)
            return NULL;
        s->cls = c;
        s->cap = cap;
    }
    struct support_class *c = &s->cls[s->n_classes];
    memset(c, 0, sizeof(*c));
    c->name = strdup(name);
    if (c->name == NULL)
        return NULL;
    s->n_classes++;
    return c;
}

int support_add(struct support *s, const char *name, const float *x)
{
    struct support_class *c = find_class(s, name);
    if (c == NULL && (c = add_class(s, name)) == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    c->count[support_kind(s, x)]++;
    return 0;
}

int support_add_rows(struct support *s, const char *name, const float *x,
                     size_t n, size_t n_in)
{
    struct support_class *c = find_class(s, name);
    if (c != NULL)
        memset(c->count, 0, sizeof(c->count));
    for (size_t i = 0; i < n; i++) {
        int rc = support_add(s, name, x + i * n_in);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int support_forget(struct support *s, const char *name)
{
    struct support_class *c = find_class(s, name);
    if (c == NULL)
        return 0;
    free(c->name);
    size_t at = (size_t)(c - s->cls);
    memmove(c, c + 1, (s->n_classes - at - 1) * sizeof(*c));
    s->n_classes--;
    return 1;
}

static int64_t class_total(const struct support_class *c)
{
    int64_t n = 0;
    for (int k = 0; k < SUPPORT_KINDS; k++)
        n += (int64_t)c->count[k];
    return n;
}

int64_t support_count(const struct support *s, const char *name, int kind)
{
    if (name != NULL) {
        const struct support_class *c = find_class(s, name);
        return c ? (int64_t)c->count[kind] : -1;
    }
    int64_t n = 0;
    for (size_t i = 0; i < s->n_classes; i++)
        n += (int64_t)s->cls[i].count[kind];
    return n;
}

static int64_t family_count(const struct support *s, int kind)
{
    int f = kind / SUPPORT_SHAPES;
    int64_t n = 0;
    for (int sh = 0; sh < SUPPORT_SHAPES; sh++)
        n += support_count(s, NULL, f * SUPPORT_SHAPES + sh);
    return n;
}

/* An analyst who enrols a class from flows of a family asks the model to
 * judge that family, however few the flows. */
static int enrolled_in_family(const struct support *s, const struct memo *m,
                              int kind)
{
    int f = kind / SUPPORT_SHAPES;
    for (size_t i = 0; i < s->n_classes; i++) {
        int32_t c = memo_class_find(m, s->cls[i].name);
        if (c < 0 || !(m->cls[c].flags & MEMO_CLASS_ENROLLED))
            continue;
        for (int sh = 0; sh < SUPPORT_SHAPES; sh++) {
            if (s->cls[i].count[f * SUPPORT_SHAPES + sh] > 0)
                return 1;
        }
    }
    return 0;
}

enum support_verdict support_check(const struct support *s,
                                   const struct memo *m, int kind,
                                   const struct memo_decision *dec,
                                   uint32_t n_min)
{
    if (s == NULL || n_min == 0 || kind < 0 || kind >= SUPPORT_KINDS)
        return SUPPORT_OK;
    if (family_count(s, kind) < (int64_t)n_min &&
        !enrolled_in_family(s, m, kind))
        return SUPPORT_UNJUDGED;
    if (dec->cls < 0 || !(m->cls[dec->cls].flags & MEMO_CLASS_BENIGN))
        return SUPPORT_OK;
    const struct support_class *c = find_class(s, m->cls[dec->cls].name);
    if (c == NULL)
        return SUPPORT_OK;
    /* A benign class enrolled from a few flows needs as many of the kind
     * as it has flows at all, not more. */
    int64_t need = class_total(c) < (int64_t)n_min ? class_total(c)
                                                    : (int64_t)n_min;
    return (int64_t)c->count[kind] < need ? SUPPORT_NO_BENIGN : SUPPORT_OK;
}

int support_write(const struct support *s, struct bytes_writer *w)
{
    size_t start = w->len;
    bytes_put(w, KIND_MAGIC, 6);
    bytes_put_u8(w, KIND_VERSION & 0xff);
    bytes_put_u8(w, KIND_VERSION >> 8);
    bytes_put_u32(w, (uint32_t)s->n_classes);
    for (size_t i = 0; i < s->n_classes; i++) {
        bytes_put_str(w, s->cls[i].name);
        for (int k = 0; k < SUPPORT_KINDS; k++)
            bytes_put_u64(w, s->cls[i].count[k]);
    }
    if (bytes_writer_status(w) != 0)
        return err_set(ERR_NOMEM, "out of memory");
    bytes_put_crc32(w, start);
    return bytes_writer_status(w) ? ERR_NOMEM : 0;
}

static int read_classes(struct support *s, struct bytes_reader *r)
{
    uint32_t n = bytes_get_u32(r);
    if (n > KIND_MAX_CLASSES)
        bytes_reader_fail(r);
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        char *name = bytes_get_str(r, MEMO_NAME_MAX);
        struct support_class *c = NULL;
        if (name != NULL && find_class(s, name) == NULL)
            c = add_class(s, name);
        free(name);
        if (c == NULL) {
            bytes_reader_fail(r);
            break;
        }
        for (int k = 0; k < SUPPORT_KINDS && !r->failed; k++) {
            size_t at = r->pos;
            c->count[k] = bytes_get_u64(r);
            if (c->count[k] > KIND_MAX_COUNT && !r->failed) {
                r->pos = at;
                bytes_reader_fail(r);
            }
        }
    }
    return r->failed ? ERR_PARSE : 0;
}

struct support *support_read(const void *data, size_t len,
                             const char *const *col_names, size_t n_in,
                             const char *what)
{
    struct bytes_reader r;
    char magic[6];
    if (len < 12 || !bytes_crc32_trailer_ok(data, len)) {
        err_set(ERR_CHECKSUM, "%s: flow-kind support is damaged "
                "(checksum mismatch over %zu bytes)", what, len);
        return NULL;
    }
    bytes_reader_init(&r, data, len - 4);
    bytes_get(&r, magic, 6);
    uint32_t version = bytes_get_u8(&r);
    version |= (uint32_t)bytes_get_u8(&r) << 8;
    if (memcmp(magic, KIND_MAGIC, 6) != 0 || version != KIND_VERSION) {
        err_set(ERR_FORMAT, "%s: not a fewflow flow-kind support section "
                "(offset 0 of the KIND section)", what);
        return NULL;
    }
    struct support *s = support_create(col_names, n_in);
    if (s == NULL) {
        err_set(ERR_FORMAT, "%s: flow-kind support needs columns the model "
                "does not have", what);
        return NULL;
    }
    if (read_classes(s, &r) != 0 || r.pos != r.len) {
        err_set(ERR_PARSE, "%s: flow-kind support: bad or truncated data "
                "at offset %zu of the KIND section", what,
                r.failed ? r.fail_pos : r.pos);
        support_destroy(s);
        return NULL;
    }
    return s;
}
