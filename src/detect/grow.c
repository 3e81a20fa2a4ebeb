#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "detect/memo_impl.h"
#include "fewflow/err.h"
#include "fewflow/grow.h"

void memo_grow_opts_default(struct memo_grow_opts *o)
{
    o->k = 0;
    o->links = 1;
    o->as_flows = 0;
    o->local = 0;
    o->cover = 0;
}

void memo_context_fini(struct memo_context *c)
{
    free(c->z);
    free(c->nbr);
    free(c->nd);
    free(c->mutual);
    free(c->d_known);
    memset(c, 0, sizeof(*c));
}

/* Row i's k nearest other rows by squared distance, kept sorted by
 * insertion; a later row of equal distance stays behind the earlier. */
static void nearest(const struct memo_context *c, size_t i, int32_t *nb,
                    float *d2)
{
    uint32_t k = c->k, have = 0;
    const float *zi = c->z + i * c->dim;
    for (size_t j = 0; j < c->n; j++) {
        if (j == i)
            continue;
        float s = vec_sqdist(zi, c->z + j * c->dim, c->dim);
        if (have == k && !(s < d2[k - 1]))
            continue;
        uint32_t at = have < k ? have++ : k - 1;
        while (at > 0 && s < d2[at - 1]) {
            d2[at] = d2[at - 1];
            nb[at] = nb[at - 1];
            at--;
        }
        d2[at] = s;
        nb[at] = (int32_t)j;
    }
    for (uint32_t s = have; s < k; s++) {
        nb[s] = -1;
        d2[s] = INFINITY;
    }
}

static int has_neighbour(const struct memo_context *c, size_t i, int32_t j)
{
    const int32_t *nb = c->nbr + i * c->k;
    for (uint32_t s = 0; s < c->k; s++) {
        if (nb[s] == j)
            return 1;
    }
    return 0;
}

static int known_distances(struct memo_context *c, const struct memo *m)
{
    float *dist = malloc((m->n_classes + 1) * sizeof(float));
    if (dist == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < c->n; i++) {
        float best = INFINITY;
        memo_distances(m, c->z + i * c->dim, dist);
        for (size_t k = 0; k < m->n_classes; k++)
            best = dist[k] < best ? dist[k] : best;
        c->d_known[i] = best;
    }
    free(dist);
    return 0;
}

int memo_context_build(struct memo_context *c, const struct memo *m,
                       const float *z, size_t n, uint32_t k)
{
    memset(c, 0, sizeof(*c));
    if (n == 0 || n > MEMO_CONTEXT_MAX || k == 0 || k > MEMO_GROW_MAX_K)
        return err_set(ERR_INVALID, "context: %zu rows and %u neighbours "
                       "(1 to %d rows, 1 to %d neighbours)", n, k,
                       MEMO_CONTEXT_MAX, MEMO_GROW_MAX_K);
    c->dim = m->dim;
    c->k = k;
    c->n = n;
    c->z = malloc(n * m->dim * sizeof(float));
    c->nbr = malloc(n * k * sizeof(int32_t));
    c->nd = malloc(n * k * sizeof(float));
    c->mutual = malloc(n * k);
    c->d_known = malloc(n * sizeof(float));
    int rc = c->z && c->nbr && c->nd && c->mutual && c->d_known ? 0
                                                                : ERR_NOMEM;
    if (rc == 0) {
        memcpy(c->z, z, n * m->dim * sizeof(float));
        for (size_t i = 0; i < n; i++)
            nearest(c, i, c->nbr + i * k, c->nd + i * k);
        for (size_t i = 0; i < n * k; i++) {
            int32_t j = c->nbr[i];
            c->mutual[i] = j >= 0 && has_neighbour(c, (size_t)j,
                                                   (int32_t)(i / k));
            c->nd[i] = sqrtf(c->nd[i]);
        }
        rc = known_distances(c, m);
    }
    if (rc != 0) {
        memo_context_fini(c);
        return err_set(rc, "context: out of memory");
    }
    return 0;
}

struct walk {
    const struct memo_context *c;
    uint8_t *member;
    uint32_t *count;          /* member links of length ≤ r */
    int32_t *queue;           /* members in the order they joined */
    size_t n_members;
};

/* Whether row v is nearer to some member than to every prototype the
 * memory held (the member that links it is usually the nearest, but a
 * closer one may have joined since). */
static int nearer_to_members(const struct walk *w, int32_t v)
{
    const struct memo_context *c = w->c;
    const float *zv = c->z + (size_t)v * c->dim;
    float lim = c->d_known[v] * c->d_known[v];
    for (size_t i = 0; i < w->n_members; i++) {
        if (vec_sqdist(zv, c->z + (size_t)w->queue[i] * c->dim, c->dim) <
            lim)
            return 1;
    }
    return 0;
}

long memo_grow(const struct memo_context *c, const int32_t *seeds,
               size_t n_seeds, float r, uint32_t links, size_t max_add,
               int32_t *added)
{
    struct walk w = { c, calloc(c->n + 1, 1),
                      calloc(c->n + 1, sizeof(uint32_t)),
                      malloc((c->n + 1) * sizeof(int32_t)), 0 };
    long n_add = 0;
    if (w.member == NULL || w.count == NULL || w.queue == NULL) {
        n_add = err_set(ERR_NOMEM, "context: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_seeds; i++) {
        int32_t s = seeds[i];
        if (s >= 0 && (size_t)s < c->n && !w.member[s]) {
            w.member[s] = 1;
            w.queue[w.n_members++] = s;
        }
    }
    links = links ? links : 1;
    for (size_t q = 0; q < w.n_members && (size_t)n_add < max_add; q++) {
        size_t u = (size_t)w.queue[q];
        for (uint32_t s = 0; s < c->k && (size_t)n_add < max_add; s++) {
            int32_t v = c->nbr[u * c->k + s];
            if (v < 0 || w.member[v] || !c->mutual[u * c->k + s] ||
                !(c->nd[u * c->k + s] <= r))
                continue;
            /* The linking member is usually near enough; the scan over
             * every member is needed only when it is not. */
            if (++w.count[v] < links ||
                !(c->nd[u * c->k + s] < c->d_known[v] ||
                  nearer_to_members(&w, v)))
                continue;
            w.member[v] = 1;
            w.queue[w.n_members++] = v;
            added[n_add++] = v;
        }
    }
done:
    free(w.member);
    free(w.count);
    free(w.queue);
    return n_add;
}

/* The mean input of the members: the labelled rows' x and the grown
 * rows' cx, whichever are given. */
static void members_x_mean(const struct memo *m, const float *x, size_t k,
                           const float *cx, const int32_t *grown,
                           size_t n_grown, float *xm)
{
    size_t n = (x ? k : 0) + (cx ? n_grown : 0);
    for (uint32_t j = 0; n > 0 && j < m->n_in; j++) {
        double acc = 0;
        for (size_t i = 0; x && i < k; i++)
            acc += x[i * m->n_in + j];
        for (size_t i = 0; cx && i < n_grown; i++)
            acc += cx[(size_t)grown[i] * m->n_in + j];
        xm[j] = (float)(acc / (double)n);
    }
}

struct members {
    const int32_t *seeds;     /* labelled row i is context row seeds[i] */
    size_t n_seeds;
    const int32_t *grown;
    size_t n_grown;
};

/* Member radii that follow the grown set's density: min(r, f × the
 * member's distance to its k-th nearest context row); r for a labelled
 * row that is not in the context. */
static void local_radii(struct memo *m, size_t cls,
                        const struct memo_context *c, size_t k,
                        const struct members *mb, float r, float f);

/* A member's own radius for the cover: f × its k-th neighbour distance,
 * r for a labelled row outside the context. */
static float member_radius(const struct memo_context *c, size_t k,
                           const struct members *mb, size_t i, float r,
                           float f)
{
    int32_t row = i >= k ? mb->grown[i - k]
                : i < mb->n_seeds ? mb->seeds[i] : -1;
    float d = row >= 0 && (size_t)row < c->n
                  ? c->nd[(size_t)row * c->k + c->k - 1] * f : r;
    return d < r ? d : r;
}

/*
 * More members than a class holds prototypes: centres chosen farthest
 * first (the labelled rows first, then each time the member farthest
 * from every centre so far; greedy k-centre), each member assigned to its
 * nearest centre, and a centre's radius the largest over its members of
 * distance + the member's own radius (capped at r), so that every
 * member's ball lies inside its centre's. Writes the centres to protos
 * and their radii; returns their number, or ERR_NOMEM.
 */
static long cover_centres(const struct memo_context *c, size_t k,
                          const struct members *mb, const float *all,
                          size_t n, float r, float f, float *protos,
                          float *radii)
{
    size_t d = c->dim, nc = n < MEMO_MAX_PROTOS ? n : MEMO_MAX_PROTOS;
    float *mind = malloc(n * sizeof(float));
    uint32_t *near = malloc(n * sizeof(uint32_t));
    if (mind == NULL || near == NULL) {
        free(mind);
        free(near);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        mind[i] = INFINITY;
    for (size_t q = 0; q < nc; q++) {
        size_t pick = q;
        if (q >= k) {
            for (size_t i = 0; i < n; i++)
                pick = mind[i] > mind[pick] ? i : pick;
        }
        memcpy(protos + q * d, all + pick * d, d * sizeof(float));
        for (size_t i = 0; i < n; i++) {
            float s = vec_sqdist(all + i * d, all + pick * d, d);
            if (s < mind[i]) {
                mind[i] = s;
                near[i] = (uint32_t)q;
            }
        }
    }
    for (size_t q = 0; q < nc; q++)
        radii[q] = 0;
    for (size_t i = 0; i < n; i++) {
        float e = sqrtf(mind[i]) + member_radius(c, k, mb, i, r, f);
        radii[near[i]] = e > radii[near[i]] ? e : radii[near[i]];
    }
    for (size_t q = 0; q < nc; q++)
        radii[q] = radii[q] < r ? radii[q] : r;
    free(mind);
    free(near);
    return (long)nc;
}

static void local_radii(struct memo *m, size_t cls,
                        const struct memo_context *c, size_t k,
                        const struct members *mb, float r, float f)
{
    float radii[MEMO_MAX_PROTOS];
    for (size_t i = 0; i < k + mb->n_grown; i++)
        radii[i] = member_radius(c, k, mb, i, r, f);
    memo_class_set_radii(m, cls, radii);
}

static int add_cover(struct memo *m, const char *name, size_t k,
                     const struct memo_context *c, const struct members *mb,
                     const float *all, size_t n, float r, float f,
                     const float *xm)
{
    float *protos = malloc(MEMO_MAX_PROTOS * m->dim * sizeof(float));
    float radii[MEMO_MAX_PROTOS];
    long nc = protos ? cover_centres(c, k, mb, all, n, r, f, protos, radii)
                     : ERR_NOMEM;
    int rc = nc < 0 ? (int)nc
                    : memo_class_add(m, name, MEMO_CLASS_ENROLLED, protos,
                                     (uint32_t)nc, r, xm);
    if (rc >= 0)
        memo_class_set_radii(m, (size_t)rc, radii);
    free(protos);
    return rc;
}

static int add_members(struct memo *m, const char *name, const float *z,
                       size_t k, const float *x, const struct memo_context *c,
                       const float *cx, const struct members *mb, float r,
                       const struct memo_grow_opts *g,
                       const struct memo_enroll_opts *o)
{
    const int32_t *grown = mb->grown;
    size_t n_grown = mb->n_grown;
    size_t n = k + n_grown, d = m->dim;
    float *all = malloc(n * d * sizeof(float));
    float *xall = x && cx ? malloc(n * m->n_in * sizeof(float)) : NULL;
    float *xm = calloc(m->n_in + 1, sizeof(float));
    int rc = all && xm && (xall || !(x && cx)) ? 0 : ERR_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const float *src = i < k ? z + i * d
                                 : c->z + (size_t)grown[i - k] * d;
        memcpy(all + i * d, src, d * sizeof(float));
        if (xall != NULL)
            memcpy(xall + i * m->n_in,
                   i < k ? x + i * m->n_in
                         : cx + (size_t)grown[i - k] * m->n_in,
                   m->n_in * sizeof(float));
    }
    if (rc == 0 && g->as_flows) {
        rc = memo_enroll(m, name, all, n, xall ? xall : (n == k ? x : NULL),
                         o);
    } else if (rc == 0) {
        members_x_mean(m, x, k, cx, grown, n_grown, xm);
        rc = g->cover ? add_cover(m, name, k, c, mb, all, n, r,
                                  g->local > 0 ? g->local : 1, xm)
                      : memo_class_add(m, name, MEMO_CLASS_ENROLLED, all,
                                       (uint32_t)n, r, xm);
        if (rc >= 0 && g->local > 0 && !g->cover)
            local_radii(m, (size_t)rc, c, k, mb, r, g->local);
        if (rc >= 0) {
            m->cls[rc].n_support = n;
            m->benign_fpr = memo_benign_fpr(m);
            rc = 0;
        }
    }
    free(all);
    free(xall);
    free(xm);
    return rc == ERR_NOMEM ? err_set(rc, "enrolment: out of memory") : rc;
}

int memo_enroll_grown(struct memo *m, const char *name, const float *z,
                      size_t k, const float *x, const struct memo_context *c,
                      const float *cx, const int32_t *seeds, size_t n_seeds,
                      const struct memo_grow_opts *g,
                      const struct memo_enroll_opts *o, int32_t *grown,
                      size_t *n_grown)
{
    *n_grown = 0;
    if (c == NULL || g->k == 0 || o->is_benign || k == 0 ||
        k >= MEMO_ENROLL_CALIBRATE || c->dim != m->dim)
        return memo_enroll(m, name, z, k, x, o);
    float r = memo_enroll_radius_rule(m, z, k, o);
    long got = memo_grow(c, seeds, n_seeds, r, g->links,
                         g->cover ? c->n : MEMO_MAX_PROTOS - k, grown);
    if (got < 0)
        return (int)got;
    if (got == 0)
        return memo_enroll(m, name, z, k, x, o);
    *n_grown = (size_t)got;
    struct members mb = { seeds, n_seeds, grown, *n_grown };
    return add_members(m, name, z, k, x, c, cx, &mb, r, g, o);
}
