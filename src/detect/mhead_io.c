/*
 * The "HEAD" model section (mhead.h):
 *   "FFHEAD" u16 version | u8 has_encoder | u8 encoder[32] | u32 dim |
 *   u32 n_classes | str name[n_classes] | f32 w[dim × n_classes] |
 *   f32 b[n_classes] | u32 crc32 of all before.
 * Class names bind the head to the memory it was fitted with: a head for
 * other classes would silently pick wrong ones. The encoder digest (the
 * memory's, detect.h) binds its weights to the embedding space: a head
 * copied with its memory from a model of the same widths and classes
 * would otherwise pass. Version 1 had no digest and is still read.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/mhead.h"

#define MHEAD_MAGIC "FFHEAD"
#define MHEAD_VERSION 2
#define MHEAD_ENCODER_AT 8u   /* offset of has_encoder in the section */

int mhead_write(const struct mhead *h, const struct memo *m,
                struct bytes_writer *w)
{
    size_t start = w->len;

    if (m->n_classes != h->n_classes || m->dim != h->dim)
        return err_set(ERR_STATE, "class memory head: fitted for other "
                       "classes");
    bytes_put(w, MHEAD_MAGIC, 6);
    bytes_put_u8(w, MHEAD_VERSION & 0xff);
    bytes_put_u8(w, MHEAD_VERSION >> 8);
    memo_put_encoder(w, m);
    bytes_put_u32(w, h->dim);
    bytes_put_u32(w, h->n_classes);
    for (uint32_t c = 0; c < h->n_classes; c++)
        bytes_put_str(w, m->cls[c].name);
    bytes_put_f32s(w, h->w, (size_t)h->dim * h->n_classes);
    bytes_put_f32s(w, h->b, h->n_classes);
    if (bytes_writer_status(w) != 0)
        return err_set(ERR_NOMEM, "class memory head: out of memory");
    bytes_put_crc32(w, start);
    return bytes_writer_status(w) ? ERR_NOMEM : 0;
}

/* A version-2 head's digest against its memory's: a head that records
 * one must match a memory that records the same (an unbound memory with
 * a bound head can only come from copying sections between files). */
static int check_encoder(struct bytes_reader *r, const struct memo *m)
{
    uint8_t enc[MEMO_DIGEST_BYTES];
    uint32_t has = bytes_get_u8(r);

    bytes_get(r, enc, sizeof(enc));
    if (r->failed || has > 1) {
        r->pos = MHEAD_ENCODER_AT;
        bytes_reader_fail(r);
        return -1;
    }
    if (has && (!m->has_encoder ||
                memcmp(enc, m->encoder, sizeof(enc)) != 0))
        return 1;
    return 0;
}

static int check_header(struct bytes_reader *r, const struct memo *m,
                        int *foreign)
{
    char magic[6];
    bytes_get(r, magic, 6);
    uint32_t ver = bytes_get_u8(r);
    ver |= (uint32_t)bytes_get_u8(r) << 8;
    if (r->failed || memcmp(magic, MHEAD_MAGIC, 6) != 0 || ver < 1 ||
        ver > MHEAD_VERSION) {
        r->pos = 0;
        bytes_reader_fail(r);
        return -1;
    }
    if (ver >= 2 && (*foreign = check_encoder(r, m)) != 0)
        return -1;
    size_t at = r->pos;
    uint32_t dim = bytes_get_u32(r), n = bytes_get_u32(r);
    if (!r->failed && (dim != m->dim || n != m->n_classes)) {
        r->pos = at;
        bytes_reader_fail(r);
    }
    return r->failed ? -1 : 0;
}

static void check_names(struct bytes_reader *r, const struct memo *m)
{
    for (size_t c = 0; c < m->n_classes && !r->failed; c++) {
        size_t at = r->pos;
        char *name = bytes_get_str(r, MEMO_NAME_MAX);
        if (name != NULL && strcmp(name, m->cls[c].name) != 0) {
            r->pos = at;
            bytes_reader_fail(r);
        }
        free(name);
    }
}

static void get_finite(struct bytes_reader *r, float *v, size_t n)
{
    if (n > (r->len - r->pos) / 4) {
        bytes_reader_fail(r);
        return;
    }
    size_t at = r->pos;
    bytes_get_f32s(r, v, n);
    for (size_t i = 0; i < n && !r->failed; i++) {
        if (!isfinite(v[i])) {
            r->pos = at + 4 * i;
            bytes_reader_fail(r);
        }
    }
}

static int check_crc(struct bytes_reader *r, const uint8_t *data)
{
    size_t body = r->pos;
    uint32_t want = bytes_get_u32(r);
    if (r->failed || want != bytes_crc32(0, data, body) || r->pos != r->len) {
        r->pos = body;
        bytes_reader_fail(r);
        return -1;
    }
    return 0;
}

/* A head of another encoder is said to be so, unless its bytes are
 * damaged (a flipped digest is damage, not a foreign head). */
static int foreign_refused(struct bytes_reader *r, const void *data,
                           size_t len, const char *what)
{
    if (!bytes_crc32_trailer_ok(data, len)) {
        r->pos = len >= 4 ? len - 4 : 0;
        bytes_reader_fail(r);
        return 0;
    }
    err_set(ERR_FORMAT, "%s: class memory head was fitted with another "
            "encoder (digest at offset %u of the HEAD section): it was "
            "copied from another model", what, MHEAD_ENCODER_AT + 1);
    return 1;
}

struct mhead *mhead_read(const void *data, size_t len, const struct memo *m,
                         const char *what)
{
    struct bytes_reader r;
    struct mhead *h = NULL;
    int foreign = 0;

    bytes_reader_init(&r, data, len);
    if (check_header(&r, m, &foreign) == 0)
        check_names(&r, m);
    if (foreign > 0 && foreign_refused(&r, data, len, what))
        return NULL;
    if (!r.failed && (h = mhead_create(m->n_classes, m->dim)) == NULL) {
        err_set(ERR_NOMEM, "%s: out of memory", what);
        return NULL;
    }
    if (!r.failed)
        get_finite(&r, h->w, (size_t)m->dim * m->n_classes);
    if (!r.failed)
        get_finite(&r, h->b, m->n_classes);
    if (!r.failed)
        check_crc(&r, data);
    if (r.failed) {
        mhead_destroy(h);
        err_set(ERR_FORMAT, "%s: class memory head damaged or not for this "
                "memory at byte %zu of its section", what, r.fail_pos);
        return NULL;
    }
    return h;
}
