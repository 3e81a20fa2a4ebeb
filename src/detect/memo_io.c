#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "detect/memo_impl.h"

/*
 * The class memory's section of a model file:
 *   "FFMEMO" u16 version | u32 dim | u32 n_in | u8 has_encoder |
 *   u8 encoder[32] | f32 target | f32 achieved |
 *   f32 coverage | u32 n_classes | classes | u32 n_reservoir |
 *   f32 reservoir[n_reservoir × dim] | u32 n_k | f32 kshot_abs[n_k] |
 *   f32 kshot_rel[n_k] | [version 4: u8 space | f32 x_scale | u32 z_dim]
 *   | u32 crc32 of everything before.
 * A class: str name | u32 flags | u32 n_protos | u64 n_support |
 *   u64 n_calib | f32 protos[n_protos × dim] | f32 radii[n_protos] |
 *   f32 tail | f32 x_mean[n_in].
 * Version 1 ended after the reservoir (no K-shot figures: enrolment then
 * keeps its first radius rule); version 2 had no encoder digest (the
 * memory is then taken on trust, as it always was); both are still read.
 * Version 4 adds the memory's space (space.c) and is written only for a
 * memory outside the encoder's embedding, so that a default memory's
 * bytes stay those of version 3; a section before 4 is an embedding one.
 * The digest sits at a fixed offset so that a refusal can name it.
 * The section carries its own checksum so that a memory copied between
 * model files (enrol, forget) is checked where it is read.
 */

#define MEMO_MAGIC "FFMEMO"
#define MEMO_VERSION 4
#define MEMO_VERSION_Z 3      /* what a MEMO_SPACE_Z memory is written as */
#define MEMO_ENCODER_AT 16u   /* offset of has_encoder in the section */
#define MEMO_MAX_DIM 65536u
#define MEMO_MAX_IN (1u << 20)

static void write_class(const struct memo *m, const struct memo_class *c,
                        struct bytes_writer *w)
{
    bytes_put_str(w, c->name);
    bytes_put_u32(w, c->flags);
    bytes_put_u32(w, c->n_protos);
    bytes_put_u64(w, c->n_support);
    bytes_put_u64(w, c->n_calib);
    bytes_put_f32s(w, c->protos, (size_t)c->n_protos * m->dim);
    bytes_put_f32s(w, c->radii, c->n_protos);
    bytes_put_f32(w, c->tail);
    bytes_put_f32s(w, c->x_mean, m->n_in);
}

int memo_write(const struct memo *m, struct bytes_writer *w)
{
    size_t start = w->len;

    uint32_t version = m->space == MEMO_SPACE_Z ? MEMO_VERSION_Z
                                                : MEMO_VERSION;

    bytes_put(w, MEMO_MAGIC, 6);
    bytes_put_u8(w, version & 0xff);
    bytes_put_u8(w, version >> 8);
    bytes_put_u32(w, m->dim);
    bytes_put_u32(w, m->n_in);
    memo_put_encoder(w, m);
    bytes_put_f32(w, m->benign_fpr_target);
    bytes_put_f32(w, m->benign_fpr);
    bytes_put_f32(w, m->coverage);
    bytes_put_u32(w, (uint32_t)m->n_classes);
    for (size_t i = 0; i < m->n_classes; i++)
        write_class(m, &m->cls[i], w);
    bytes_put_u32(w, m->n_reservoir);
    bytes_put_f32s(w, m->reservoir, (size_t)m->n_reservoir * m->dim);
    bytes_put_u32(w, MEMO_ENROLL_CALIBRATE);
    bytes_put_f32s(w, m->kshot_abs, MEMO_ENROLL_CALIBRATE);
    bytes_put_f32s(w, m->kshot_rel, MEMO_ENROLL_CALIBRATE);
    if (version >= 4) {
        bytes_put_u8(w, (uint8_t)m->space);
        bytes_put_f32(w, m->x_scale);
        bytes_put_u32(w, m->z_dim);
    }
    if (bytes_writer_status(w) != 0)
        return err_set(ERR_NOMEM, "class memory: out of memory");
    bytes_put_crc32(w, start);
    return bytes_writer_status(w) ? ERR_NOMEM : 0;
}

/* Reads n floats into a fresh array after checking they fit what is left,
 * so a forged count cannot make us allocate gigabytes. */
static float *get_floats(struct bytes_reader *r, size_t n)
{
    if (r->failed || n > (r->len - r->pos) / 4) {
        bytes_reader_fail(r);
        return NULL;
    }
    float *v = malloc((n ? n : 1) * sizeof(float));
    if (v == NULL) {
        bytes_reader_fail(r);
        return NULL;
    }
    bytes_get_f32s(r, v, n);
    for (size_t i = 0; i < n && !r->failed; i++) {
        if (!isfinite(v[i]))
            bytes_reader_fail(r);
    }
    return v;
}

/* Name text safe for a one-line error: control bytes shown as '?'. */
static void name_shown(const char *name, char *out, size_t cap)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < cap; i++) {
        unsigned char b = (unsigned char)name[i];
        out[i] = b < 0x20 || b == 0x7f ? '?' : (char)b;
    }
    out[i] = '\0';
}

/* Two classes of one exact name cannot both be found by name; no
 * fewflow writes that. Names that differ in ASCII case only were
 * written before names were folded and are kept (memo_names_clash). */
static int check_twice(const struct memo *m, const char *name, size_t at,
                       const char *what)
{
    char a[MEMO_NAME_MAX + 1];
    int32_t same = memo_class_find(m, name);
    if (same < 0 || strcmp(m->cls[same].name, name) != 0)
        return 0;
    name_shown(name, a, sizeof(a));
    return err_set(ERR_INVALID, "%s: class memory: class '%s' at offset %zu "
                   "of the MEMO section is stored twice", what, a, at);
}

static int read_class(struct memo *m, struct bytes_reader *r,
                      const char *what)
{
    size_t at = r->pos;
    char *name = bytes_get_str(r, MEMO_NAME_MAX);
    if (name != NULL && !r->failed &&
        check_twice(m, name, at, what) != 0) {
        free(name);
        return ERR_INVALID;
    }
    uint32_t flags = bytes_get_u32(r);
    uint32_t n_protos = bytes_get_u32(r);
    uint64_t n_support = bytes_get_u64(r);
    uint64_t n_calib = bytes_get_u64(r);
    if (n_protos == 0 || n_protos > MEMO_MAX_PROTOS)
        bytes_reader_fail(r);
    float *protos = get_floats(r, (size_t)n_protos * m->dim);
    float *radii = get_floats(r, n_protos);
    float tail = bytes_get_f32(r);
    float *x_mean = get_floats(r, m->n_in);
    if (!(tail > 0) || !isfinite(tail))
        bytes_reader_fail(r);
    for (uint32_t p = 0; radii && !r->failed && p < n_protos; p++) {
        if (radii[p] < 0)
            bytes_reader_fail(r);
    }
    int rc = ERR_PARSE;

    if (!r->failed) {
        rc = memo_class_add_stored(m, name, flags, protos, n_protos, 0,
                                   x_mean);
        if (rc >= 0) {
            memo_class_set_radii(m, (size_t)rc, radii);
            m->cls[rc].tail = tail;
            m->cls[rc].n_support = n_support;
            m->cls[rc].n_calib = n_calib;
        }
    }
    free(name);
    free(protos);
    free(radii);
    free(x_mean);
    if (rc < 0)
        bytes_reader_fail(r);
    return rc < 0 ? rc : 0;
}

struct memo_header {
    uint32_t version, dim, n_in, has_encoder;
    uint8_t encoder[MEMO_DIGEST_BYTES];
};

static int read_header(struct bytes_reader *r, struct memo_header *h)
{
    char magic[6];
    bytes_get(r, magic, 6);
    if (r->failed || memcmp(magic, MEMO_MAGIC, 6) != 0)
        return ERR_FORMAT;
    h->version = bytes_get_u8(r);
    h->version |= (uint32_t)bytes_get_u8(r) << 8;
    if (h->version < 1 || h->version > MEMO_VERSION)
        return ERR_FORMAT;
    h->dim = bytes_get_u32(r);
    h->n_in = bytes_get_u32(r);
    if (h->dim == 0 || h->dim > MEMO_MAX_DIM || h->n_in > MEMO_MAX_IN)
        bytes_reader_fail(r);
    if (h->version >= 3 && !r->failed) {
        h->has_encoder = bytes_get_u8(r);
        bytes_get(r, h->encoder, MEMO_DIGEST_BYTES);
        if (h->has_encoder > 1) {
            r->pos = MEMO_ENCODER_AT;
            bytes_reader_fail(r);
        }
    }
    return r->failed ? ERR_PARSE : 0;
}

/* The K-shot figures of a version-2 section: finite, ≥ 0. */
static void read_kshot(struct memo *m, struct bytes_reader *r)
{
    uint32_t n_k = bytes_get_u32(r);
    if (n_k != MEMO_ENROLL_CALIBRATE) {
        bytes_reader_fail(r);
        return;
    }
    float *a = get_floats(r, n_k), *q = get_floats(r, n_k);
    for (uint32_t k = 0; a && q && !r->failed && k < n_k; k++) {
        if (a[k] < 0 || q[k] < 0)
            bytes_reader_fail(r);
    }
    if (!r->failed) {
        memcpy(m->kshot_abs, a, sizeof(m->kshot_abs));
        memcpy(m->kshot_rel, q, sizeof(m->kshot_rel));
    }
    free(a);
    free(q);
}

/* The space block of a version-4 section: a known space whose width is
 * the section's dim; the failure points at the block. */
static void read_space(struct memo *m, struct bytes_reader *r)
{
    size_t at = r->pos;
    uint32_t space = bytes_get_u8(r);
    float a = bytes_get_f32(r);
    uint32_t z_dim = bytes_get_u32(r);
    if (!r->failed && (space >= MEMO_SPACES ||
                       memo_space_set(m, (enum memo_space)space, a,
                                      z_dim) != 0)) {
        r->pos = at;
        bytes_reader_fail(r);
    }
}

static int read_body(struct memo *m, struct bytes_reader *r,
                     uint32_t version, const char *what)
{
    m->benign_fpr_target = bytes_get_f32(r);
    m->benign_fpr = bytes_get_f32(r);
    m->coverage = bytes_get_f32(r);
    uint32_t n_classes = bytes_get_u32(r);
    if (n_classes > MEMO_MAX_CLASSES)
        bytes_reader_fail(r);
    for (uint32_t i = 0; i < n_classes && !r->failed; i++) {
        if (read_class(m, r, what) == ERR_INVALID)
            return ERR_INVALID;
    }
    uint32_t n_res = bytes_get_u32(r);
    float *res = get_floats(r, (size_t)n_res * m->dim);
    if (!r->failed && memo_reservoir_set(m, res, n_res) != 0)
        bytes_reader_fail(r);
    free(res);
    if (version >= 2 && !r->failed)
        read_kshot(m, r);
    if (version >= 4 && !r->failed)
        read_space(m, r);
    return r->failed ? ERR_PARSE : 0;
}

struct memo *memo_read(const void *data, size_t len, const char *what)
{
    struct bytes_reader r;
    struct memo_header h = { 0 };
    struct memo *m = NULL;

    bytes_reader_init(&r, data, len >= 4 ? len - 4 : 0);
    int rc = read_header(&r, &h);
    if (rc == ERR_FORMAT) {
        err_set(rc, "%s: not a fewflow class memory (offset %zu of the "
                "MEMO section)", what, r.pos);
        return NULL;
    }
    if (rc == 0 && !bytes_crc32_trailer_ok(data, len)) {
        err_set(ERR_CHECKSUM, "%s: class memory is damaged "
                "(checksum mismatch over %zu bytes)", what, len);
        return NULL;
    }
    if (rc == 0 && (m = memo_create(h.dim, h.n_in)) == NULL)
        return NULL;
    if (m != NULL) {
        m->has_encoder = h.has_encoder;
        memcpy(m->encoder, h.encoder, MEMO_DIGEST_BYTES);
    }
    if (rc == 0)
        rc = read_body(m, &r, h.version, what);
    if (rc == ERR_INVALID) {
        memo_destroy(m);
        return NULL;
    }
    if (rc != 0 || r.pos != r.len) {
        size_t at = r.failed ? r.fail_pos : r.pos;
        err_set(ERR_PARSE, "%s: class memory: bad or truncated data at "
                "offset %zu of the MEMO section", what, at);
        memo_destroy(m);
        return NULL;
    }
    return m;
}

void memo_put_encoder(struct bytes_writer *w, const struct memo *m)
{
    static const uint8_t none[MEMO_DIGEST_BYTES];
    bytes_put_u8(w, m->has_encoder ? 1 : 0);
    bytes_put(w, m->has_encoder ? m->encoder : none, MEMO_DIGEST_BYTES);
}

/* The first bytes of a digest in hex, enough to tell two apart. */
static void digest_hex(const uint8_t *d, char out[17])
{
    static const char hex[] = "0123456789abcdef";

    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[16] = '\0';
}

int memo_check_encoder(const struct memo *m,
                       const uint8_t digest[MEMO_DIGEST_BYTES],
                       const char *what)
{
    char have[17], want[17];

    if (!m->has_encoder ||
        memcmp(m->encoder, digest, MEMO_DIGEST_BYTES) == 0)
        return 0;
    digest_hex(m->encoder, have);
    digest_hex(digest, want);
    return err_set(ERR_FORMAT, "%s: class memory was built with another "
                   "encoder (digest %s... at offset %u of the MEMO section, "
                   "this model's is %s...): it was copied from another "
                   "model; enrol its classes again with this one", what,
                   have, MEMO_ENCODER_AT + 1, want);
}
