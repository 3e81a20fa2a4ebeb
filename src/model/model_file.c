#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/model.h"
#include "model/model_impl.h"

void model_arch_write(struct bytes_writer *w, const struct model_arch *a)
{
    bytes_put_u32(w, a->n_in);
    bytes_put_u32(w, a->n_hidden);
    for (uint32_t i = 0; i < a->n_hidden && i < MODEL_MAX_LAYERS; i++)
        bytes_put_u32(w, a->hidden[i]);
    bytes_put_u32(w, a->n_emb);
    bytes_put_str(w, a->activation);
    bytes_put_f32(w, a->dropout);
    bytes_put_u32(w, a->raw_skip);
    bytes_put_f32(w, a->skip_scale);
    bytes_put_u32(w, a->cosine);
    bytes_put_str(w, a->rule);
}

static int width_ok(uint32_t v)
{
    return v >= 1 && v <= MODEL_MAX_WIDTH;
}

/* Copies a string read from the file into a fixed field. */
static void get_fixed_str(struct bytes_reader *r, char *dst, size_t cap)
{
    char *s = bytes_get_str(r, cap - 1);

    dst[0] = '\0';
    if (s)
        memcpy(dst, s, strlen(s) + 1);
    free(s);
}

int model_arch_read(struct bytes_reader *r, struct model_arch *a)
{
    memset(a, 0, sizeof(*a));
    a->n_in = bytes_get_u32(r);
    a->n_hidden = bytes_get_u32(r);
    if (!width_ok(a->n_in) || a->n_hidden > MODEL_MAX_LAYERS)
        bytes_reader_fail(r);
    for (uint32_t i = 0; i < a->n_hidden && !r->failed; i++) {
        a->hidden[i] = bytes_get_u32(r);
        if (!width_ok(a->hidden[i]))
            bytes_reader_fail(r);
    }
    a->n_emb = bytes_get_u32(r);
    if (!width_ok(a->n_emb))
        bytes_reader_fail(r);
    get_fixed_str(r, a->activation, sizeof(a->activation));
    a->dropout = bytes_get_f32(r);
    if (!(a->dropout >= 0.0f && a->dropout < 1.0f))
        bytes_reader_fail(r);
    a->raw_skip = bytes_get_u32(r);
    a->skip_scale = bytes_get_f32(r);
    a->cosine = bytes_get_u32(r);
    get_fixed_str(r, a->rule, sizeof(a->rule));
    return r->failed ? ERR_PARSE : 0;
}

static void put_section_header(struct bytes_writer *w, const char *tag,
                               size_t len)
{
    bytes_put(w, tag, 4);
    bytes_put_u64(w, (uint64_t)len);
}

/* Writes a core section built in its own writer. */
static void put_built(struct bytes_writer *w, const char *tag,
                      struct bytes_writer *body)
{
    if (body->failed)
        w->failed = 1;
    put_section_header(w, tag, body->len);
    bytes_put(w, body->data, body->len);
    bytes_writer_fini(body);
}

static void put_core(struct bytes_writer *w, const struct model *m)
{
    struct bytes_writer body;

    bytes_writer_init(&body);
    model_arch_write(&body, &m->arch);
    put_built(w, "ARCH", &body);
    bytes_writer_init(&body);
    bytes_put_u64(&body, (uint64_t)m->n_params);
    bytes_put_f32s(&body, m->params, m->n_params);
    put_built(w, "PARM", &body);
    bytes_writer_init(&body);
    model_record_write(&body, &m->rec);
    put_built(w, "RECD", &body);
}

int model_to_bytes(const struct model *m, uint8_t **out, size_t *len)
{
    struct bytes_writer w;
    uint8_t sum[32];

    bytes_writer_init(&w);
    bytes_put(&w, MODEL_MAGIC, 8);
    bytes_put_u32(&w, MODEL_FORMAT_VERSION);
    bytes_put_u32(&w, MODEL_BOM);
    bytes_put_u64(&w, 0);             /* total length, patched below */
    bytes_put_u32(&w, (uint32_t)(3 + m->n_sections));
    put_core(&w, m);
    for (size_t i = 0; i < m->n_sections; i++) {
        put_section_header(&w, m->sections[i].tag, m->sections[i].len);
        bytes_put(&w, m->sections[i].data, m->sections[i].len);
    }
    if (bytes_writer_status(&w) != 0) {
        bytes_writer_fini(&w);
        return err_set(ERR_NOMEM, "model: out of memory serialising");
    }
    for (int i = 0; i < 8; i++)
        w.data[16 + i] = (uint8_t)((uint64_t)(w.len + 32) >> (8 * i));
    bytes_sha256(w.data, w.len, sum);
    bytes_put(&w, sum, 32);
    if (bytes_writer_status(&w) != 0) {
        bytes_writer_fini(&w);
        return err_set(ERR_NOMEM, "model: out of memory serialising");
    }
    *out = w.data;
    *len = w.len;
    return 0;
}

/* Checks magic, version, byte order, length and checksum. */
static int check_envelope(const uint8_t *buf, size_t len, const char *name)
{
    struct bytes_reader r;
    uint32_t version, bom;
    uint64_t total;
    uint8_t sum[32];

    if (len < 8 || memcmp(buf, MODEL_MAGIC, 8) != 0)
        return err_set(ERR_FORMAT, "%s: offset 0: not a fewflow model file "
                       "(no FEWFLOWM magic)", name);
    if (len < MODEL_HEADER_BYTES + MODEL_SUM_BYTES)
        return err_set(ERR_PARSE, "%s: offset %zu: truncated model file "
                       "(header incomplete)", name, len);
    bytes_reader_init(&r, buf, len);
    r.pos = 8;
    version = bytes_get_u32(&r);
    bom = bytes_get_u32(&r);
    total = bytes_get_u64(&r);
    if (bom != MODEL_BOM)
        return err_set(ERR_FORMAT, "%s: offset 12: byte-order mark 0x%08x: "
                       "written on a machine of other byte order", name, bom);
    if (version != MODEL_FORMAT_VERSION)
        return err_set(ERR_FORMAT, "%s: offset 8: model format version %u, "
                       "this fewflow reads version %u", name, version,
                       MODEL_FORMAT_VERSION);
    if (total != len)
        return err_set(ERR_PARSE, "%s: offset %zu: %s model file (header "
                       "says %llu bytes)", name, len < total ? len : total,
                       len < total ? "truncated" : "overlong",
                       (unsigned long long)total);
    bytes_sha256(buf, len - MODEL_SUM_BYTES, sum);
    if (memcmp(sum, buf + len - MODEL_SUM_BYTES, MODEL_SUM_BYTES) != 0)
        return err_set(ERR_CHECKSUM, "%s: offset %zu: checksum mismatch: the "
                       "model file is damaged", name, len - MODEL_SUM_BYTES);
    return 0;
}

static int parse_params(struct bytes_reader *r, struct model *m)
{
    uint64_t n = bytes_get_u64(r);

    if (r->failed || n > (r->len - r->pos) / 4) {
        bytes_reader_fail(r);
        return ERR_PARSE;
    }
    m->params = malloc(n ? (size_t)n * sizeof(float) : 1);
    if (!m->params)
        return ERR_NOMEM;
    m->n_params = (size_t)n;
    bytes_get_f32s(r, m->params, (size_t)n);
    return r->failed ? ERR_PARSE : 0;
}

/* Parses one section's body, which spans [r->pos, end). */
static int parse_section(struct model *m, const char *tag,
                         struct bytes_reader *r, size_t end, int *seen)
{
    struct bytes_reader body;
    const void *had;
    size_t had_len;
    int rc;

    bytes_reader_init(&body, r->data, end);
    body.pos = r->pos;
    if (strcmp(tag, "ARCH") == 0 && !(seen[0]++))
        rc = model_arch_read(&body, &m->arch);
    else if (strcmp(tag, "PARM") == 0 && !(seen[1]++))
        rc = parse_params(&body, m);
    else if (strcmp(tag, "RECD") == 0 && !(seen[2]++))
        rc = model_record_read(&body, &m->rec);
    else if (model_tag_core(tag))
        rc = ERR_PARSE;
    else if (model_section_get(m, tag, &had, &had_len) == 0)
        rc = ERR_INVALID;   /* which copy to take would be a guess */
    else if ((rc = model_section_set(m, tag, r->data + r->pos,
                                     end - r->pos)) == 0)
        m->sections[m->n_sections - 1].at = r->pos;
    if (rc == 0 && body.pos != end && model_tag_core(tag))
        rc = ERR_PARSE;
    if (rc == ERR_PARSE)
        r->fail_pos = body.failed ? body.fail_pos : r->pos;
    r->pos = end;
    return rc;
}

static int parse_sections(struct model *m, const uint8_t *buf, size_t len,
                          const char *name)
{
    struct bytes_reader r;
    size_t end_all = len - MODEL_SUM_BYTES;
    int seen[3] = { 0, 0, 0 };
    uint32_t n;

    bytes_reader_init(&r, buf, end_all);
    r.pos = 24;
    n = bytes_get_u32(&r);
    for (uint32_t i = 0; i < n; i++) {
        char tag[5] = { 0 };
        size_t at = r.pos;
        uint64_t slen;
        int rc;

        bytes_get(&r, tag, 4);
        slen = bytes_get_u64(&r);
        if (r.failed || !model_tag_valid(tag) || slen > end_all - r.pos)
            return err_set(ERR_PARSE, "%s: offset %zu: bad section header",
                           name, at);
        rc = parse_section(m, tag, &r, r.pos + (size_t)slen, seen);
        if (rc == ERR_NOMEM)
            return err_set(ERR_NOMEM, "%s: out of memory", name);
        if (rc == ERR_INVALID)
            return err_set(ERR_PARSE, "%s: offset %zu: a second '%s' "
                           "section", name, at, tag);
        if (rc != 0)
            return err_set(ERR_PARSE, "%s: offset %zu: malformed '%s' "
                           "section", name, r.fail_pos, tag);
    }
    if (!seen[0] || !seen[1] || !seen[2])
        return err_set(ERR_PARSE, "%s: offset %zu: a core section (ARCH, "
                       "PARM, RECD) is missing", name, r.pos);
    if (r.pos != end_all)
        return err_set(ERR_PARSE, "%s: offset %zu: stray bytes after the "
                       "last section", name, r.pos);
    return 0;
}

struct model *model_from_bytes(const uint8_t *buf, size_t len,
                               const char *name)
{
    struct model *m;

    if (check_envelope(buf, len, name) != 0)
        return NULL;
    m = model_create();
    if (m && parse_sections(m, buf, len, name) != 0) {
        model_destroy(m);
        return NULL;
    }
    return m;
}

/* Errors name the path the user gave; the temporary file beside it is
 * ours. */
static int write_all(const char *path, const char *tmp, const uint8_t *buf,
                     size_t len)
{
    FILE *f = fopen(tmp, "wb");
    int ok;

    if (!f)
        return err_set(ERR_IO, "%s: cannot create: %s", path,
                       strerror(errno));
    ok = fwrite(buf, 1, len, f) == len;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        return err_set(ERR_IO, "%s: write failed: %s", path,
                       strerror(errno));
    }
    return 0;
}

/* Where the rename must land: an existing path is resolved so that a
 * symlink keeps pointing at its updated target, and anything but a
 * regular file is refused, since renaming over a FIFO or a device node
 * (-o /dev/stdout as root) would replace it. NULL with err_msg() set. */
static char *save_target(const char *path)
{
    struct stat st;
    char *real;

    if (lstat(path, &st) != 0) {
        real = strdup(path);
        if (!real)
            err_set(ERR_NOMEM, "%s: out of memory", path);
        return real;
    }
    real = realpath(path, NULL);
    if (!real || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(real);
        err_set(ERR_IO, "%s: not a regular file (a model is written to a "
                "temporary file and renamed)", path);
        return NULL;
    }
    return real;
}

int model_save(const struct model *m, const char *path)
{
    char tmp[4096];
    uint8_t *buf;
    size_t len;
    int rc;
    char *dest = save_target(path);

    if (!dest)
        return err_last();
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", dest, (long)getpid()) >=
        (int)sizeof(tmp)) {
        free(dest);
        return err_set(ERR_IO, "%s: path too long", path);
    }
    rc = model_to_bytes(m, &buf, &len);
    if (rc == 0)
        rc = write_all(path, tmp, buf, len);
    free(buf);
    if (rc == 0 && rename(tmp, dest) != 0) {
        rc = err_set(ERR_IO, "%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(dest);
    return rc;
}

/* Whether the bytes so far already settle the outcome, so an endless or
 * huge input (/dev/zero, a pipe, a foreign file) is not read to its end:
 * a wrong magic, more bytes than the header's length, or more than any
 * model could need. check_envelope then names the problem. */
static int read_enough(const uint8_t *buf, size_t n)
{
    uint64_t total = 0;

    if (n >= 8 && memcmp(buf, MODEL_MAGIC, 8) != 0)
        return 1;
    if (n < 24)
        return 0;
    for (int i = 0; i < 8; i++)
        total |= (uint64_t)buf[16 + i] << (8 * i);
    return n > total || total > MODEL_MAX_FILE_BYTES;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    if (!f) {
        err_set(ERR_IO, "%s: cannot open model: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *grown = realloc(buf, cap ? 2 * cap : 65536);

            if (!grown) {
                free(buf);
                fclose(f);
                err_set(ERR_NOMEM, "%s: out of memory reading", path);
                return NULL;
            }
            buf = grown;
            cap = cap ? 2 * cap : 65536;
        }
        size_t got = fread(buf + n, 1, cap - n, f);

        n += got;
        if (got == 0 || read_enough(buf, n))
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        err_set(ERR_IO, "%s: read failed", path);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

struct model *model_load(const char *path)
{
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    struct model *m;

    if (!buf)
        return NULL;
    m = model_from_bytes(buf, len, path);
    free(buf);
    return m;
}
