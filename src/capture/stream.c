#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/stream.h"
#include "fewflow/err.h"

enum stream_kind { STREAM_PLAIN, STREAM_GZIP, STREAM_XZ, STREAM_MEMORY };

#define Z_IN_BYTES 65536

struct stream {
    enum stream_kind kind;
    FILE *fp;                /* the file or pipe under any decoder */
    z_stream gz;
    int gz_member_done;      /* a member ended; more input starts anew */
    lzma_stream xz;
    uint8_t *z_in;           /* compressed input of either decoder */
    int z_done;
    const uint8_t *mem;
    size_t mem_len;
    size_t mem_pos;
    uint64_t offset;
    uint8_t peeked[16];      /* bytes read ahead by stream_peek */
    size_t n_peeked;
    size_t peek_pos;
    int pipe;                /* a pipe or socket: unbuffered, read as it
                                comes (see cookie_read) */
    int failed;
    char msg[128];
};

/* The first bytes are read into the peek buffer rather than rewound, so a
 * pipe (standard input) is sniffed the same way as a file. */
static enum stream_kind sniff(struct stream *s)
{
    s->n_peeked = fread(s->peeked, 1, 6, s->fp);
    const uint8_t *m = s->peeked;
    if (s->n_peeked >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return STREAM_GZIP;
    if (s->n_peeked == 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
        return STREAM_XZ;
    return STREAM_PLAIN;
}

/* Both decoders start with the sniffed bytes as their first input. */
static int open_decoder(struct stream *s)
{
    s->z_in = malloc(Z_IN_BYTES);
    if (!s->z_in)
        return ERR_NOMEM;
    memcpy(s->z_in, s->peeked, s->n_peeked);
    size_t have = s->n_peeked;
    s->n_peeked = 0;
    if (s->kind == STREAM_GZIP) {
        s->gz.next_in = s->z_in;
        s->gz.avail_in = (uInt)have;
        /* 16 + window bits: a gzip wrapper, not a zlib one. */
        return inflateInit2(&s->gz, 16 + MAX_WBITS) == Z_OK ? 0 : ERR_NOMEM;
    }
    lzma_stream init = LZMA_STREAM_INIT;
    s->xz = init;
    s->xz.next_in = s->z_in;
    s->xz.avail_in = have;
    if (lzma_stream_decoder(&s->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
        return ERR_NOMEM;
    return 0;
}

static FILE *open_input(const char *path)
{
    if (strcmp(path, "-") != 0)
        return fopen(path, "rb");
    /* A duplicate, so stream_close never closes the process's stdin. */
    int fd = dup(STDIN_FILENO);
    FILE *fp = fd < 0 ? NULL : fdopen(fd, "rb");
    if (!fp && fd >= 0)
        close(fd);
    return fp;
}

struct stream *stream_open_file(const char *path)
{
    const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
    struct stream *s = calloc(1, sizeof(*s));
    if (!s) {
        err_set(ERR_NOMEM, "%s: out of memory", name);
        return NULL;
    }
    s->fp = open_input(path);
    if (!s->fp) {
        err_set(ERR_IO, "%s: cannot open: %s", name, strerror(errno));
        free(s);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(s->fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        err_set(ERR_IO, "%s: is a directory", name);
        stream_close(s);
        return NULL;
    }
    /* A live writer (tcpdump -w -) must not wait for a buffer to fill:
     * no stdio buffer, so cookie_read may pass on what read() gives. */
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        setvbuf(s->fp, NULL, _IONBF, 0);
        s->pipe = 1;
    }
    s->kind = sniff(s);
    if (s->kind != STREAM_PLAIN && open_decoder(s) != 0) {
        err_set(ERR_NOMEM, "%s: cannot start the %s decoder", name,
                s->kind == STREAM_GZIP ? "gzip" : "xz");
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

static void stream_fail(struct stream *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void stream_fail(struct stream *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    s->failed = 1;
    vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
    va_end(ap);
}

static size_t read_xz(struct stream *s, uint8_t *buf, size_t n)
{
    s->xz.next_out = buf;
    s->xz.avail_out = n;
    while (s->xz.avail_out > 0 && !s->z_done) {
        lzma_action action = LZMA_RUN;
        if (s->xz.avail_in == 0) {
            s->xz.next_in = s->z_in;
            s->xz.avail_in = fread(s->z_in, 1, Z_IN_BYTES, s->fp);
            if (s->xz.avail_in == 0)
                action = LZMA_FINISH;
        }
        lzma_ret ret = lzma_code(&s->xz, action);
        if (ret == LZMA_STREAM_END) {
            s->z_done = 1;
        } else if (ret != LZMA_OK) {
            /* LZMA_BUF_ERROR at LZMA_FINISH: the input ended early. */
            stream_fail(s, ret == LZMA_BUF_ERROR ? "truncated xz data" :
                        "xz data damaged");
            s->z_done = 1;
        }
    }
    return n - s->xz.avail_out;
}

/* A gzip file may hold several members back to back (as `cat a.gz b.gz`
 * makes); each ends with Z_STREAM_END and the next starts afresh. */
static size_t read_gzip(struct stream *s, uint8_t *buf, size_t n)
{
    s->gz.next_out = buf;
    s->gz.avail_out = n > UINT_MAX ? UINT_MAX : (uInt)n;
    size_t want = s->gz.avail_out;
    while (s->gz.avail_out > 0 && !s->z_done) {
        if (s->gz.avail_in == 0) {
            s->gz.next_in = s->z_in;
            s->gz.avail_in = (uInt)fread(s->z_in, 1, Z_IN_BYTES, s->fp);
            if (s->gz.avail_in == 0) {
                if (!s->gz_member_done)
                    stream_fail(s, "truncated gzip data");
                s->z_done = 1;
                break;
            }
        }
        if (s->gz_member_done) {
            inflateReset(&s->gz);
            s->gz_member_done = 0;
        }
        int ret = inflate(&s->gz, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            s->gz_member_done = 1;
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            stream_fail(s, "gzip data damaged");
            s->z_done = 1;
        }
    }
    return want - s->gz.avail_out;
}

static size_t read_raw(struct stream *s, void *buf, size_t n)
{
    size_t got = 0;

    switch (s->kind) {
    case STREAM_PLAIN:
        got = fread(buf, 1, n, s->fp);
        if (got < n && ferror(s->fp))
            stream_fail(s, "read error: %s", strerror(errno));
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
    if (s->offset != 0 || s->peek_pos != 0 || n > sizeof(s->peeked))
        return 0;
    if (s->n_peeked < n)
        s->n_peeked += read_raw(s, s->peeked + s->n_peeked, n - s->n_peeked);
    size_t got = s->n_peeked < n ? s->n_peeked : n;
    memcpy(buf, s->peeked, got);
    return got;
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

int stream_idle(const struct stream *s)
{
    if (!s->pipe)
        return 0;
    struct pollfd p = { .fd = fileno(s->fp), .events = POLLIN };
    return poll(&p, 1, 0) == 0;
}

uint64_t stream_offset(const struct stream *s)
{
    return s->offset;
}

/* What one read() of a plain pipe gives now, at least one byte unless the
 * input ended; after the peeked bytes. */
static size_t read_available(struct stream *s, uint8_t *buf, size_t n)
{
    ssize_t got;

    if (s->peek_pos < s->n_peeked)
        return stream_read(s, buf, n < s->n_peeked - s->peek_pos
                                   ? n : s->n_peeked - s->peek_pos);
    do {
        got = read(fileno(s->fp), buf, n);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        stream_fail(s, "read error: %s", strerror(errno));
        return 0;
    }
    s->offset += (uint64_t)got;
    return (size_t)got;
}

/* libpcap asks for a whole stdio buffer; from a pipe it gets what has
 * arrived, so each packet is read as soon as it is written. */
static ssize_t cookie_read(void *cookie, char *buf, size_t n)
{
    struct stream *s = cookie;
    size_t got = s->pipe && s->kind == STREAM_PLAIN
                 ? read_available(s, (uint8_t *)buf, n)
                 : stream_read(s, buf, n);

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
    if (s->kind == STREAM_GZIP && s->z_in)
        inflateEnd(&s->gz);
    if (s->kind == STREAM_XZ && s->z_in)
        lzma_end(&s->xz);
    free(s->z_in);
    free(s);
}
