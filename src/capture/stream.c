#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "capture/stream.h"
#include "fewflow/err.h"

enum stream_kind { STREAM_PLAIN, STREAM_GZIP, STREAM_XZ, STREAM_MEMORY };

#define XZ_IN_BYTES 65536

struct stream {
    enum stream_kind kind;
    FILE *fp;                /* plain and xz input */
    gzFile gz;
    lzma_stream xz;
    uint8_t *xz_in;
    int xz_done;
    const uint8_t *mem;
    size_t mem_len;
    size_t mem_pos;
    uint64_t offset;
    uint8_t peeked[16];      /* bytes read ahead by stream_peek */
    size_t n_peeked;
    size_t peek_pos;
    int failed;
    char msg[128];
};

static enum stream_kind sniff(FILE *fp)
{
    uint8_t m[6] = { 0 };
    size_t n = fread(m, 1, sizeof(m), fp);

    rewind(fp);
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return STREAM_GZIP;
    if (n == 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
        return STREAM_XZ;
    return STREAM_PLAIN;
}

static int open_xz(struct stream *s)
{
    s->xz_in = malloc(XZ_IN_BYTES);
    if (!s->xz_in)
        return ERR_NOMEM;
    lzma_stream init = LZMA_STREAM_INIT;
    s->xz = init;
    if (lzma_stream_decoder(&s->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return ERR_NOMEM;
    return 0;
}

static int open_gzip(struct stream *s, const char *path)
{
    s->gz = gzopen(path, "rb");
    if (!s->gz)
        return err_set(ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(s->gz, 1 << 17);
    fclose(s->fp);
    s->fp = NULL;
    return 0;
}

struct stream *stream_open_file(const char *path)
{
    struct stream *s = calloc(1, sizeof(*s));
    if (!s) {
        err_set(ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    s->fp = fopen(path, "rb");
    if (!s->fp) {
        err_set(ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        free(s);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(s->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        err_set(ERR_IO, "%s: is a directory", path);
        stream_close(s);
        return NULL;
    }
    s->kind = sniff(s->fp);
    int rc = 0;
    if (s->kind == STREAM_GZIP)
        rc = open_gzip(s, path);
    else if (s->kind == STREAM_XZ && open_xz(s) != 0)
        rc = err_set(ERR_NOMEM, "%s: cannot start xz decoder", path);
    if (rc != 0) {
        stream_close(s);
        return NULL;
    }
    return s;
}

struct stream *stream_open_memory(const void *data, size_t len)
{
    struct stream *s = calloc(1, sizeof(*s));
    if (!s) {
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->kind = STREAM_MEMORY;
    s->mem = data;
    s->mem_len = len;
    return s;
}

static size_t read_xz(struct stream *s, uint8_t *buf, size_t n)
{
    s->xz.next_out = buf;
    s->xz.avail_out = n;
    while (s->xz.avail_out > 0 && !s->xz_done) {
        lzma_action action = LZMA_RUN;
        if (s->xz.avail_in == 0) {
            s->xz.next_in = s->xz_in;
            s->xz.avail_in = fread(s->xz_in, 1, XZ_IN_BYTES, s->fp);
            if (s->xz.avail_in == 0)
                action = LZMA_FINISH;
        }
        lzma_ret ret = lzma_code(&s->xz, action);
        if (ret == LZMA_STREAM_END) {
            s->xz_done = 1;
        } else if (ret != LZMA_OK) {
            s->failed = 1;
            /* LZMA_BUF_ERROR at LZMA_FINISH: the input ended early. */
            snprintf(s->msg, sizeof(s->msg), ret == LZMA_BUF_ERROR ?
                     "truncated xz data" : "xz data damaged (code %d)",
                     (int)ret);
            s->xz_done = 1;
        }
    }
    return n - s->xz.avail_out;
}

static size_t read_gzip(struct stream *s, uint8_t *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        unsigned chunk = n - got > (1u << 30) ? 1u << 30 : (unsigned)(n - got);
        int r = gzread(s->gz, buf + got, chunk);
        if (r <= 0) {
            int code = 0;
            const char *m = gzerror(s->gz, &code);
            if (r < 0 || (code != Z_OK && code != Z_BUF_ERROR)) {
                s->failed = 1;
                snprintf(s->msg, sizeof(s->msg), "gzip data damaged: %s", m);
            }
            break;
        }
        got += (size_t)r;
    }
    return got;
}

static size_t read_raw(struct stream *s, void *buf, size_t n)
{
    size_t got = 0;

    switch (s->kind) {
    case STREAM_PLAIN:
        got = fread(buf, 1, n, s->fp);
        if (got < n && ferror(s->fp)) {
            s->failed = 1;
            snprintf(s->msg, sizeof(s->msg), "read error: %s",
                     strerror(errno));
        }
        break;
    case STREAM_GZIP:
        got = read_gzip(s, buf, n);
        break;
    case STREAM_XZ:
        got = read_xz(s, buf, n);
        break;
    case STREAM_MEMORY:
        got = s->mem_len - s->mem_pos < n ? s->mem_len - s->mem_pos : n;
        memcpy(buf, s->mem + s->mem_pos, got);
        s->mem_pos += got;
        break;
    }
    return got;
}

size_t stream_peek(struct stream *s, void *buf, size_t n)
{
    if (s->offset != 0 || s->n_peeked != 0 || n > sizeof(s->peeked))
        return 0;
    s->n_peeked = read_raw(s, s->peeked, n);
    memcpy(buf, s->peeked, s->n_peeked);
    return s->n_peeked;
}

size_t stream_read(struct stream *s, void *buf, size_t n)
{
    size_t got = 0;

    if (s->peek_pos < s->n_peeked) {
        got = s->n_peeked - s->peek_pos < n ? s->n_peeked - s->peek_pos : n;
        memcpy(buf, s->peeked + s->peek_pos, got);
        s->peek_pos += got;
    }
    if (got < n)
        got += read_raw(s, (uint8_t *)buf + got, n - got);
    s->offset += got;
    return got;
}

int stream_error(const struct stream *s, const char **msg)
{
    if (msg)
        *msg = s->msg;
    return s->failed;
}

uint64_t stream_offset(const struct stream *s)
{
    return s->offset;
}

static ssize_t cookie_read(void *cookie, char *buf, size_t n)
{
    struct stream *s = cookie;
    size_t got = stream_read(s, buf, n);

    return got == 0 && s->failed ? -1 : (ssize_t)got;
}

FILE *stream_as_file(struct stream *s)
{
    cookie_io_functions_t io = { .read = cookie_read };

    return fopencookie(s, "rb", io);
}

void stream_close(struct stream *s)
{
    if (!s)
        return;
    if (s->fp)
        fclose(s->fp);
    if (s->gz)
        gzclose(s->gz);
    if (s->kind == STREAM_XZ)
        lzma_end(&s->xz);
    free(s->xz_in);
    free(s);
}
