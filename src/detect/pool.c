#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fewflow/detector.h"
#include "fewflow/embedder.h"
#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/normalizer.h"

/*
 * Classification on several cores. A batch is cut into chunks of
 * contiguous rows that the threads take in turn; every row is normalised,
 * embedded and decided by the same code as on one thread. The caller's
 * thread takes chunks too, with the detector's own encoder; the others
 * keep an embedder each, because an encoder keeps a workspace. Chunks
 * rather than one slice per thread: on a busy machine a worker may wake
 * late, and the caller then does its share instead of waiting for it.
 *
 * Every matrix product sees the same shape: POOL_CHUNK rows, a short
 * chunk padded with zero rows. BLAS picks its kernels by shape (a single
 * row went another way than 256), and each kernel sums in its own order,
 * so a flow's score once depended on how many flows were classified with
 * it (--batch). Within one shape every row is computed alike, so a row's
 * result is the same in any batch and on any thread.
 */

/* Rows per chunk: small enough to share a 256-flow batch, large enough
 * for the matrix products to stay efficient. */
#define POOL_CHUNK 64

struct slot {
    struct detector_pool *pool;
    struct embedder *emb;           /* NULL for the caller's slot */
    const struct normalizer *norm;
    struct learner *learner;
    float *scratch;
    float *zbuf;                    /* encoder output, memory not in z */
    float *xpad, *zpad;             /* a short chunk, padded */
    struct memo_decision *dpad;
    pthread_t th;
};

struct detector_pool {
    struct detector *d;
    size_t n_threads, max_batch, n_started;
    struct slot *slots;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;
    int quit;
    float *x, *z;                   /* the batch being classified */
    struct memo_decision *out;
    size_t n, next, busy;           /* rows, next row to take, chunks out */
    int rc;                         /* first failure of this batch */
};

size_t detector_threads_default(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > DETECTOR_THREADS_DEFAULT_MAX ? DETECTOR_THREADS_DEFAULT_MAX
                                            : (size_t)n;
}

static int slot_chunk(struct slot *s, float *x, float *z,
                      struct memo_decision *out)
{
    struct detector_pool *p = s->pool;
    int rc = detector_space_embed(p->d->memo, s->learner, x, POOL_CHUNK,
                                  s->zbuf, z);
    if (rc == 0)
        memo_decide_batch(p->d->memo, z, POOL_CHUNK, s->scratch, out);
    return rc;
}

/* Rows [from, from + n), n <= POOL_CHUNK, in one fixed-shape chunk. */
static int slot_run_one(struct slot *s, size_t from, size_t n)
{
    struct detector_pool *p = s->pool;
    size_t n_in = p->d->n_in, dim = p->d->dim;
    float *x = p->x + from * n_in, *z = p->z + from * dim;

    normalizer_apply(s->norm, x, n);
    if (n == POOL_CHUNK)
        return slot_chunk(s, x, z, p->out + from);
    memcpy(s->xpad, x, n * n_in * sizeof(float));
    memset(s->xpad + n * n_in, 0, (POOL_CHUNK - n) * n_in * sizeof(float));
    int rc = slot_chunk(s, s->xpad, s->zpad, s->dpad);
    if (rc == 0) {
        memcpy(z, s->zpad, n * dim * sizeof(float));
        memcpy(p->out + from, s->dpad, n * sizeof(*s->dpad));
    }
    return rc;
}

static int slot_run(struct slot *s, size_t from, size_t n)
{
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += POOL_CHUNK)
        rc = slot_run_one(s, from + at,
                          n - at < POOL_CHUNK ? n - at : POOL_CHUNK);
    return rc;
}

/* Takes and runs chunks until none is left; called with p->mu held and
 * returns with it held. */
static void take_chunks(struct slot *s)
{
    struct detector_pool *p = s->pool;
    while (p->next < p->n) {
        size_t from = p->next;
        size_t n = p->n - from < POOL_CHUNK ? p->n - from : POOL_CHUNK;
        p->next += n;
        p->busy++;
        pthread_mutex_unlock(&p->mu);
        int rc = slot_run(s, from, n);
        pthread_mutex_lock(&p->mu);
        if (rc != 0 && p->rc == 0)
            p->rc = rc;
        if (--p->busy == 0 && p->next == p->n)
            pthread_cond_signal(&p->done);
    }
}

static void *worker(void *arg)
{
    struct slot *s = arg;
    struct detector_pool *p = s->pool;
    uint64_t seen = 0;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->quit)
            break;
        seen = p->gen;
        take_chunks(s);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static int slot_init(struct detector_pool *p, size_t i)
{
    struct slot *s = &p->slots[i];
    s->pool = p;
    const struct memo *m = p->d->memo;
    size_t rows = POOL_CHUNK;
    s->scratch = malloc(memo_batch_scratch(m, rows) * sizeof(float) + 1);
    s->xpad = malloc(rows * p->d->n_in * sizeof(float) + 1);
    s->zpad = malloc(rows * p->d->dim * sizeof(float) + 1);
    s->dpad = malloc(rows * sizeof(*s->dpad));
    if (m->space != MEMO_SPACE_Z)
        s->zbuf = malloc((rows * m->z_dim + 1) * sizeof(float));
    if (s->scratch == NULL || s->xpad == NULL || s->zpad == NULL ||
        s->dpad == NULL || (m->space != MEMO_SPACE_Z && s->zbuf == NULL))
        return err_set(ERR_NOMEM, "out of memory");
    if (i == 0) {
        s->norm = p->d->norm;
        s->learner = p->d->learner;
        return 0;
    }
    s->emb = embedder_create(p->d->model);
    if (s->emb == NULL)
        return err_last() ? err_last() : ERR_NOMEM;
    s->norm = embedder_normalizer(s->emb);
    s->learner = embedder_learner(s->emb);
    if (pthread_create(&s->th, NULL, worker, s) != 0)
        return err_set(ERR_NOMEM, "cannot start a detection thread");
    p->n_started++;
    return 0;
}

struct detector_pool *detector_pool_create(struct detector *d,
                                           size_t threads, size_t max_batch)
{
    struct detector_pool *p;

    if (d->memo == NULL) {
        err_set(ERR_STATE, "%s: the model has no class memory", d->path);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL || (p->slots = calloc(threads ? threads : 1,
                                        sizeof(*p->slots))) == NULL) {
        free(p);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    p->d = d;
    p->n_threads = threads ? threads : 1;
    p->max_batch = max_batch ? max_batch : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    /* Workers already fill the cores; BLAS threads of their own would
     * only compete with them. */
    if (p->n_threads > 1)
        openblas_set_num_threads(1);
    int rc = 0;
    for (size_t i = 0; i < p->n_threads && rc == 0; i++)
        rc = slot_init(p, i);
    if (rc != 0) {
        detector_pool_destroy(p);
        return NULL;
    }
    return p;
}

void detector_pool_destroy(struct detector_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 1; i <= p->n_started; i++)
        pthread_join(p->slots[i].th, NULL);
    for (size_t i = 0; i < p->n_threads; i++) {
        embedder_destroy(p->slots[i].emb);
        free(p->slots[i].scratch);
        free(p->slots[i].zbuf);
        free(p->slots[i].xpad);
        free(p->slots[i].zpad);
        free(p->slots[i].dpad);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->slots);
    free(p);
}

size_t detector_pool_threads(const struct detector_pool *p)
{
    return p->n_threads;
}

int detector_pool_classify(struct detector_pool *p, float *x, size_t n,
                           float *z, struct memo_decision *out)
{
    if (n > p->max_batch)
        return err_set(ERR_INVALID, "batch of %zu rows, the pool was made "
                       "for %zu", n, p->max_batch);
    if (n == 0)
        return 0;
    pthread_mutex_lock(&p->mu);
    p->x = x;
    p->z = z;
    p->out = out;
    p->n = n;
    p->next = 0;
    p->rc = 0;
    if (p->n_threads > 1 && n > POOL_CHUNK) {
        p->gen++;
        pthread_cond_broadcast(&p->go);
    } else {
        p->next = n;
        pthread_mutex_unlock(&p->mu);
        return slot_run(&p->slots[0], 0, n);
    }
    take_chunks(&p->slots[0]);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    int rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    return rc;
}
