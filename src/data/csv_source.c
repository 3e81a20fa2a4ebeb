/*
 * Byte sources for the CSV reader: a file or a memory buffer, decoded as
 * plain text, gzip (zlib, RFC 1952) or xz (liblzma), chosen by magic bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/csv_source.h"
#include "fewflow/err.h"

#define SOURCE_IN_BYTES ((size_t)256 << 10)
#define XZ_MEMLIMIT ((uint64_t)256 << 20)
/* Below this compressed size a decoder thread costs more than it saves. */
#define PIPE_MIN_BYTES ((uint64_t)256 << 10)

static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

/* Refills the raw input buffer; 0, or ERR_IO with the detail recorded. */
static int raw_fill(struct csv_source *s)
{
    if (s->in_pos < s->in_len || s->raw_eof)
        return 0;
    s->in_pos = 0;
    s->in_len = 0;
    if (s->mem != NULL) {
        size_t n = s->mem_len - s->mem_pos;
        s->in_ptr = s->mem + s->mem_pos;
        s->in_len = n;
        s->mem_pos += n;
        s->raw_eof = 1;
        s->raw_read += n;
        return 0;
    }
    ssize_t n;
    do {
        n = read(s->fd, s->in_buf, SOURCE_IN_BYTES);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return err_set(ERR_IO, "%s: read failed: %s", s->name,
                       strerror(errno));
    s->in_ptr = s->in_buf;
    s->in_len = (size_t)n;
    s->raw_eof = n == 0;
    s->raw_read += (uint64_t)n;
    return 0;
}

/* A pipe may deliver the magic bytes over several reads. */
static int fill_magic(struct csv_source *s)
{
    while (s->fd >= 0 && s->in_len < 6 && !s->raw_eof) {
        ssize_t n = read(s->fd, s->in_buf + s->in_len,
                         SOURCE_IN_BYTES - s->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(ERR_IO, "%s: read failed: %s", s->name,
                           strerror(errno));
        s->raw_eof = n == 0;
        s->in_len += (size_t)n;
        s->raw_read += (uint64_t)n;
    }
    return 0;
}

static int detect_kind(struct csv_source *s)
{
    int rc = raw_fill(s);
    if (rc == 0)
        rc = fill_magic(s);
    if (rc != 0)
        return rc;
    if (s->in_len >= 6 && memcmp(s->in_ptr, xz_magic, 6) == 0)
        s->kind = SOURCE_XZ;
    else if (s->in_len >= 2 && s->in_ptr[0] == 0x1f && s->in_ptr[1] == 0x8b)
        s->kind = SOURCE_GZ;
    else
        s->kind = SOURCE_PLAIN;
    if (s->kind == SOURCE_XZ) {
        lzma_stream init = LZMA_STREAM_INIT;
        s->xz = init;
        if (lzma_stream_decoder(&s->xz, XZ_MEMLIMIT, LZMA_CONCATENATED)
            != LZMA_OK)
            return err_set(ERR_NOMEM, "%s: cannot start xz decoder", s->name);
        s->codec_ready = 1;
    } else if (s->kind == SOURCE_GZ) {
        memset(&s->gz, 0, sizeof(s->gz));
        if (inflateInit2(&s->gz, 16 + MAX_WBITS) != Z_OK)
            return err_set(ERR_NOMEM, "%s: cannot start gzip decoder",
                           s->name);
        s->codec_ready = 1;
    }
    return 0;
}

static int source_setup(struct csv_source *s, const char *name)
{
    s->name = strdup(name);
    if (s->name == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    return detect_kind(s);
}

int csv_source_open(struct csv_source *s, const char *path)
{
    struct stat st;

    memset(s, 0, sizeof(*s));
    s->is_stdin = strcmp(path, "-") == 0;
    s->fd = s->is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (s->fd < 0)
        return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
                       "%s: cannot open: %s", path, strerror(errno));
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (!s->is_stdin)
                close(s->fd);
            s->fd = -1;
            return err_set(ERR_IO, "%s: is a directory", path);
        }
        s->raw_total = (uint64_t)st.st_size;
    }
    s->in_buf = malloc(SOURCE_IN_BYTES);
    if (s->in_buf == NULL) {
        if (!s->is_stdin)
            close(s->fd);
        s->fd = -1;
        return err_set(ERR_NOMEM, "out of memory");
    }
    int rc = source_setup(s, s->is_stdin ? "stdin" : path);
    if (rc == 0 && s->kind != SOURCE_PLAIN && s->raw_total >= PIPE_MIN_BYTES)
        rc = csv_pipe_start(s);
    return rc;
}

int csv_source_open_mem(struct csv_source *s, const void *data, size_t len,
                        const char *name)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->mem = data;
    s->mem_len = len;
    s->raw_total = len;
    return source_setup(s, name);
}

void csv_source_close(struct csv_source *s)
{
    csv_pipe_stop(s);
    if (s->codec_ready && s->kind == SOURCE_XZ)
        lzma_end(&s->xz);
    if (s->codec_ready && s->kind == SOURCE_GZ)
        inflateEnd(&s->gz);
    if (s->fd >= 0 && !s->is_stdin)
        close(s->fd);
    free(s->in_buf);
    free(s->name);
    memset(s, 0, sizeof(*s));
    s->fd = -1;
}

/* Once the bytes read while detecting the format are used up, a plain
 * file is read straight into the caller's buffer: one copy fewer. */
static long read_direct(struct csv_source *s, uint8_t *dst, size_t cap)
{
    ssize_t n;

    do {
        n = read(s->fd, dst, cap);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return err_set(ERR_IO, "%s: read failed: %s", s->name,
                       strerror(errno));
    s->raw_eof = n == 0;
    s->raw_read += (uint64_t)n;
    return (long)n;
}

static long read_plain(struct csv_source *s, uint8_t *dst, size_t cap)
{
    if (s->in_pos == s->in_len && s->fd >= 0 && !s->raw_eof)
        return read_direct(s, dst, cap);
    int rc = raw_fill(s);
    if (rc != 0)
        return rc;
    size_t n = s->in_len - s->in_pos;
    if (n > cap)
        n = cap;
    memcpy(dst, s->in_ptr + s->in_pos, n);
    s->in_pos += n;
    return (long)n;
}

static long read_xz(struct csv_source *s, uint8_t *dst, size_t cap)
{
    s->xz.next_out = dst;
    s->xz.avail_out = cap;
    while (s->xz.avail_out == cap && !s->dec_eof) {
        int rc = raw_fill(s);
        if (rc != 0)
            return rc;
        s->xz.next_in = s->in_ptr + s->in_pos;
        s->xz.avail_in = s->in_len - s->in_pos;
        lzma_ret ret = lzma_code(&s->xz, s->raw_eof ? LZMA_FINISH : LZMA_RUN);
        s->in_pos = s->in_len - s->xz.avail_in;
        if (ret == LZMA_STREAM_END) {
            s->dec_eof = 1;
        } else if (ret == LZMA_BUF_ERROR && s->raw_eof) {
            return err_set(ERR_IO, "%s: truncated xz data after %llu "
                           "decoded bytes", s->name,
                           (unsigned long long)s->xz.total_out);
        } else if (ret == LZMA_MEMLIMIT_ERROR) {
            return err_set(ERR_UNSUPPORTED, "%s: xz stream needs more than "
                           "256 MiB to decode", s->name);
        } else if (ret != LZMA_OK) {
            return err_set(ERR_IO, "%s: damaged xz data (liblzma error %d) "
                           "after %llu decoded bytes", s->name, (int)ret,
                           (unsigned long long)s->xz.total_out);
        }
    }
    return (long)(cap - s->xz.avail_out);
}

static unsigned long long gz_decoded(const struct csv_source *s)
{
    return (unsigned long long)(s->gz_members_out + s->gz.total_out);
}

/* Concatenated gzip members (as `cat a.gz b.gz` makes) decode as one. */
static int gz_member_end(struct csv_source *s)
{
    int rc = raw_fill(s);
    if (rc != 0)
        return rc;
    if (s->in_pos >= s->in_len) {
        s->dec_eof = 1;
        return 0;
    }
    /* inflateReset zeroes total_out; errors count from the file's start. */
    s->gz_members_out += s->gz.total_out;
    if (inflateReset(&s->gz) != Z_OK)
        return err_set(ERR_IO, "%s: gzip decoder reset failed", s->name);
    return 0;
}

static long read_gz(struct csv_source *s, uint8_t *dst, size_t cap)
{
    s->gz.next_out = dst;
    s->gz.avail_out = (uInt)cap;
    while (s->gz.avail_out == cap && !s->dec_eof) {
        int rc = raw_fill(s);
        if (rc != 0)
            return rc;
        if (s->in_pos >= s->in_len && s->raw_eof)
            return err_set(ERR_IO, "%s: truncated gzip data after %llu "
                           "decoded bytes", s->name, gz_decoded(s));
        s->gz.next_in = (Bytef *)(s->in_ptr + s->in_pos);
        s->gz.avail_in = (uInt)(s->in_len - s->in_pos);
        int ret = inflate(&s->gz, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->gz.avail_in;
        if (ret == Z_STREAM_END) {
            rc = gz_member_end(s);
            if (rc != 0)
                return rc;
        } else if (ret == Z_MEM_ERROR) {
            return err_set(ERR_NOMEM, "%s: out of memory in gzip decoder",
                           s->name);
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            return err_set(ERR_IO, "%s: damaged gzip data after %llu decoded "
                           "bytes", s->name, gz_decoded(s));
        }
    }
    return (long)(cap - s->gz.avail_out);
}

long csv_source_decode(struct csv_source *s, uint8_t *dst, size_t cap)
{
    if (cap > ((size_t)1 << 30))
        cap = (size_t)1 << 30;
    switch (s->kind) {
    case SOURCE_XZ:
        return read_xz(s, dst, cap);
    case SOURCE_GZ:
        return read_gz(s, dst, cap);
    default:
        return read_plain(s, dst, cap);
    }
}

long csv_source_read(struct csv_source *s, uint8_t *dst, size_t cap)
{
    if (s->pipe != NULL)
        return csv_pipe_read(s, dst, cap);
    return csv_source_decode(s, dst, cap);
}
