/*
 * The decoder thread of a compressed CSV source (see csv_source.h). The
 * worker owns the source's decoder state once started; the reader touches
 * only the ring, under the mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csv_source.h"
#include "fewflow/err.h"

#define PIPE_CHUNKS 4
#define PIPE_CHUNK_BYTES ((size_t)1 << 20)

struct csv_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *chunk[PIPE_CHUNKS];
    size_t len[PIPE_CHUNKS];
    size_t head;          /* next chunk to read */
    size_t count;         /* filled chunks */
    size_t offset;        /* read position in the head chunk */
    int done;             /* the worker has finished */
    int stop;             /* the reader asks the worker to finish */
    int err;
    char msg[512];
    uint64_t raw_read;    /* compressed bytes consumed, for progress */
};

/* Waits for a free chunk; 0 when told to stop. Called with mu held. */
static int wait_free(struct csv_pipe *p)
{
    while (p->count == PIPE_CHUNKS && !p->stop)
        pthread_cond_wait(&p->cv, &p->mu);
    return !p->stop;
}

static void finish(struct csv_pipe *p, long n)
{
    if (n < 0) {
        p->err = (int)n;
        snprintf(p->msg, sizeof(p->msg), "%s", err_msg());
    }
    p->done = 1;
}

static void *worker(void *arg)
{
    struct csv_source *s = arg;
    struct csv_pipe *p = s->pipe;

    pthread_mutex_lock(&p->mu);
    while (wait_free(p)) {
        size_t slot = (p->head + p->count) % PIPE_CHUNKS;
        pthread_mutex_unlock(&p->mu);
        long n = csv_source_decode(s, p->chunk[slot], PIPE_CHUNK_BYTES);
        pthread_mutex_lock(&p->mu);
        p->raw_read = s->raw_read;
        if (n <= 0) {
            finish(p, n);
            break;
        }
        p->len[slot] = (size_t)n;
        p->count++;
        pthread_cond_broadcast(&p->cv);
    }
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pipe_free(struct csv_pipe *p)
{
    for (size_t k = 0; k < PIPE_CHUNKS; k++)
        free(p->chunk[k]);
    free(p);
}

int csv_pipe_start(struct csv_source *s)
{
    struct csv_pipe *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < PIPE_CHUNKS; k++) {
        p->chunk[k] = malloc(PIPE_CHUNK_BYTES);
        if (p->chunk[k] == NULL) {
            pipe_free(p);
            return err_set(ERR_NOMEM, "out of memory");
        }
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    s->pipe = p;
    if (pthread_create(&p->thread, NULL, worker, s) != 0) {
        /* No thread: decode in the reader's thread as for small files. */
        s->pipe = NULL;
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        pipe_free(p);
    }
    return 0;
}

long csv_pipe_read(struct csv_source *s, uint8_t *dst, size_t cap)
{
    struct csv_pipe *p = s->pipe;
    long n = 0;

    pthread_mutex_lock(&p->mu);
    while (p->count == 0 && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->count > 0) {
        size_t left = p->len[p->head] - p->offset;
        size_t take = left < cap ? left : cap;
        memcpy(dst, p->chunk[p->head] + p->offset, take);
        p->offset += take;
        if (p->offset == p->len[p->head]) {
            p->head = (p->head + 1) % PIPE_CHUNKS;
            p->count--;
            p->offset = 0;
            pthread_cond_broadcast(&p->cv);
        }
        n = (long)take;
    } else if (p->err != 0) {
        n = err_set(p->err, "%s", p->msg);
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}

void csv_pipe_stop(struct csv_source *s)
{
    struct csv_pipe *p = s->pipe;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pipe_free(p);
    s->pipe = NULL;
}

uint64_t csv_source_bytes_read(const struct csv_source *s)
{
    struct csv_pipe *p = s->pipe;

    if (p == NULL)
        return s->raw_read;
    pthread_mutex_lock(&p->mu);
    uint64_t n = p->raw_read;
    pthread_mutex_unlock(&p->mu);
    return n;
}
