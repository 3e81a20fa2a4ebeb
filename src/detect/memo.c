#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/vec.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "detect/memo_impl.h"

struct memo *memo_create(uint32_t dim, uint32_t n_in)
{
    if (dim == 0) {
        err_set(ERR_INVALID, "class memory: embedding dimension is 0");
        return NULL;
    }
    struct memo *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        err_set(ERR_NOMEM, "class memory: out of memory");
        return NULL;
    }
    m->dim = dim;
    m->n_in = n_in;
    m->benign_fpr_target = 0.01f;
    m->coverage = 0.95f;
    m->space = MEMO_SPACE_Z;
    m->x_scale = 1;
    m->z_dim = dim;
    return m;
}

static void class_fini(struct memo_class *c)
{
    free(c->name);
    free(c->protos);
    free(c->radii);
    free(c->x_mean);
    memset(c, 0, sizeof(*c));
}

void memo_destroy(struct memo *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_classes; i++)
        class_fini(&m->cls[i]);
    free(m->cls);
    free(m->reservoir);
    free(m);
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* "DDoS" and "ddos" would be two classes here and one to an analyst or a
 * SIEM rule matching case-insensitively: ASCII letters are folded. Other
 * letters are not (no case tables here); enroll refuses combining marks,
 * so a precomposed and a decomposed accent cannot both come from it. */
int memo_names_collide(const char *a, const char *b)
{
    while (*a != '\0' && ascii_lower((unsigned char)*a) ==
                          ascii_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b);
}

int32_t memo_class_find(const struct memo *m, const char *name)
{
    /* The exact spelling first: a memory written before names were
     * folded may hold two that collide, and each must stay reachable
     * (forget one of them by its own spelling). */
    for (size_t i = 0; i < m->n_classes; i++) {
        if (strcmp(m->cls[i].name, name) == 0)
            return (int32_t)i;
    }
    for (size_t i = 0; i < m->n_classes; i++) {
        if (memo_names_collide(m->cls[i].name, name))
            return (int32_t)i;
    }
    return -1;
}

int memo_names_clash(const struct memo *m, size_t *a, size_t *b)
{
    for (size_t i = 0; i < m->n_classes; i++) {
        for (size_t j = i + 1; j < m->n_classes; j++) {
            if (memo_names_collide(m->cls[i].name, m->cls[j].name)) {
                *a = i;
                *b = j;
                return 1;
            }
        }
    }
    return 0;
}

size_t memo_benign_count(const struct memo *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_classes; i++)
        n += (m->cls[i].flags & MEMO_CLASS_BENIGN) != 0;
    return n;
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return 0;
    }
    return 1;
}

static int check_new_class(const struct memo *m, const char *name,
                           const float *protos, uint32_t n_protos,
                           float radius, int as_stored)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > MEMO_NAME_MAX)
        return err_set(ERR_INVALID, "class name must have 1 to %d bytes",
                       MEMO_NAME_MAX);
    int32_t same = memo_class_find(m, name);
    if (same >= 0 && strcmp(m->cls[same].name, name) == 0)
        return err_set(ERR_INVALID, "class '%s' already exists", name);
    if (same >= 0 && !as_stored)
        return err_set(ERR_INVALID, "class '%s' collides with class '%s' "
                       "(class names compare with ASCII case folded)", name,
                       m->cls[same].name);
    if (n_protos == 0 || n_protos > MEMO_MAX_PROTOS)
        return err_set(ERR_INVALID, "class '%s': %u prototypes (1 to %d)",
                       name, n_protos, MEMO_MAX_PROTOS);
    if (!all_finite(protos, (size_t)n_protos * m->dim) ||
        !isfinite(radius) || radius < 0)
        return err_set(ERR_INVALID, "class '%s': non-finite prototype "
                       "or bad radius", name);
    if (m->n_classes >= MEMO_MAX_CLASSES)
        return err_set(ERR_RANGE, "class memory is full (%d classes)",
                       MEMO_MAX_CLASSES);
    return 0;
}

static int grow_classes(struct memo *m)
{
    if (m->n_classes < m->cap_classes)
        return 0;
    size_t cap = m->cap_classes ? 2 * m->cap_classes : 8;
    struct memo_class *c = realloc(m->cls, cap * sizeof(*c));
    if (c == NULL)
        return err_set(ERR_NOMEM, "class memory: out of memory");
    m->cls = c;
    m->cap_classes = cap;
    return 0;
}

static int class_add(struct memo *m, const char *name, uint32_t flags,
                     const float *protos, uint32_t n_protos, float radius,
                     const float *x_mean, int as_stored)
{
    int rc = check_new_class(m, name, protos, n_protos, radius, as_stored);
    if (rc == 0)
        rc = grow_classes(m);
    if (rc != 0)
        return rc;

    struct memo_class c = { 0 };
    size_t np = (size_t)n_protos * m->dim;
    c.name = strdup(name);
    c.protos = malloc(np * sizeof(float));
    c.radii = malloc(n_protos * sizeof(float));
    c.x_mean = calloc(m->n_in ? m->n_in : 1, sizeof(float));
    if (!c.name || !c.protos || !c.radii || !c.x_mean) {
        class_fini(&c);
        return err_set(ERR_NOMEM, "class memory: out of memory");
    }
    memcpy(c.protos, protos, np * sizeof(float));
    if (x_mean != NULL)
        memcpy(c.x_mean, x_mean, m->n_in * sizeof(float));
    c.flags = flags;
    c.n_protos = n_protos;
    c.radius = radius;
    c.tail = 1;
    for (uint32_t p = 0; p < n_protos; p++)
        c.radii[p] = radius;
    m->cls[m->n_classes] = c;
    return (int)m->n_classes++;
}

int memo_class_add(struct memo *m, const char *name, uint32_t flags,
                   const float *protos, uint32_t n_protos, float radius,
                   const float *x_mean)
{
    return class_add(m, name, flags, protos, n_protos, radius, x_mean, 0);
}

int memo_class_add_stored(struct memo *m, const char *name, uint32_t flags,
                          const float *protos, uint32_t n_protos,
                          float radius, const float *x_mean)
{
    return class_add(m, name, flags, protos, n_protos, radius, x_mean, 1);
}

void memo_class_set_radii(struct memo *m, size_t c, const float *radii)
{
    struct memo_class *cl = &m->cls[c];
    cl->radius = 0;
    for (uint32_t p = 0; p < cl->n_protos; p++) {
        cl->radii[p] = radii[p];
        if (radii[p] > cl->radius)
            cl->radius = radii[p];
    }
}

void memo_class_scale_radii(struct memo *m, size_t c, float f)
{
    struct memo_class *cl = &m->cls[c];
    cl->tail *= f;
    for (uint32_t p = 0; p < cl->n_protos; p++)
        cl->radii[p] *= f;
    cl->radius *= f;
}

int memo_class_forget(struct memo *m, const char *name)
{
    int32_t i = memo_class_find(m, name);
    if (i < 0)
        return err_set(ERR_NOTFOUND, "no class named '%s'", name);
    class_fini(&m->cls[i]);
    memmove(&m->cls[i], &m->cls[i + 1],
            (m->n_classes - (size_t)i - 1) * sizeof(m->cls[0]));
    m->n_classes--;
    m->benign_fpr = memo_benign_fpr(m);
    return 0;
}

int memo_reservoir_set(struct memo *m, const float *z, size_t n)
{
    float *r = NULL;

    if (n > UINT32_MAX)
        return err_set(ERR_RANGE, "benign reservoir too large");
    if (n > 0) {
        r = malloc(n * m->dim * sizeof(float));
        if (r == NULL)
            return err_set(ERR_NOMEM, "class memory: out of memory");
        memcpy(r, z, n * m->dim * sizeof(float));
    }
    free(m->reservoir);
    m->reservoir = r;
    m->n_reservoir = (uint32_t)n;
    return 0;
}

static float ratio(float dist, float radius)
{
    if (radius > 0)
        return dist / radius;
    return dist > 0 ? INFINITY : 0;
}

void memo_evaluate_one(const struct memo *m, size_t c, const float *z,
                       struct memo_eval *ev)
{
    const struct memo_class *cl = &m->cls[c];
    ev->dist = INFINITY;
    ev->ratio = INFINITY;
    ev->radius = 0;
    for (uint32_t p = 0; p < cl->n_protos; p++) {
        float d = sqrtf(vec_sqdist(z, cl->protos + (size_t)p * m->dim, m->dim));
        float r = ratio(d, cl->radii[p]);
        if (d < ev->dist)
            ev->dist = d;
        if (r < ev->ratio || (p == 0 && r == INFINITY)) {
            ev->ratio = r;
            ev->radius = cl->radii[p];
        }
    }
}

void memo_distances_one(const struct memo *m, size_t c, const float *z,
                        float *dist)
{
    struct memo_eval ev;
    memo_evaluate_one(m, c, z, &ev);
    *dist = ev.dist;
}

void memo_evaluate(const struct memo *m, const float *z,
                   struct memo_eval *ev)
{
    for (size_t i = 0; i < m->n_classes; i++)
        memo_evaluate_one(m, i, z, &ev[i]);
}

void memo_distances(const struct memo *m, const float *z, float *dist)
{
    for (size_t i = 0; i < m->n_classes; i++)
        memo_distances_one(m, i, z, &dist[i]);
}

/* Keeps the MEMO_NEAR smallest distances in ascending order. */
static void near_insert(struct memo_decision *out, int32_t cls, float dist,
                        float ratio)
{
    uint32_t n = out->n_near;
    if (n == MEMO_NEAR && dist >= out->near[n - 1].dist)
        return;
    uint32_t i = n < MEMO_NEAR ? n : MEMO_NEAR - 1;
    while (i > 0 && out->near[i - 1].dist > dist) {
        out->near[i] = out->near[i - 1];
        i--;
    }
    out->near[i].cls = cls;
    out->near[i].dist = dist;
    out->near[i].ratio = ratio;
    if (n < MEMO_NEAR)
        out->n_near = n + 1;
}

void memo_decide_from(const struct memo *m, const struct memo_eval *ev,
                      struct memo_decision *out)
{
    float best_in = INFINITY, best_ratio = INFINITY;
    int32_t in = -1, by_ratio = -1;

    memset(out, 0, sizeof(*out));
    out->head_prob = NAN;
    for (size_t i = 0; i < m->n_classes; i++) {
        near_insert(out, (int32_t)i, ev[i].dist, ev[i].ratio);
        if (ev[i].ratio <= 1 && ev[i].dist < best_in) {
            best_in = ev[i].dist;
            in = (int32_t)i;
        }
        if (ev[i].ratio < best_ratio || by_ratio < 0) {
            best_ratio = ev[i].ratio;
            by_ratio = (int32_t)i;
        }
    }
    /* A broad benign class must not absorb a flow that another class is
     * nearer to: a benign decision needs the benign class to be the
     * nearest class of all. */
    int demoted = in >= 0 && (m->cls[in].flags & MEMO_CLASS_BENIGN) &&
                  in != out->near[0].cls;
    out->held = in >= 0;
    if (demoted)
        in = -1;
    out->cls = in;
    /* An unknown flow is described by the class that made it unknown:
     * the nearer attack class when benign was refused, else the class it
     * is least far outside of. */
    int32_t shown = in >= 0 ? in : demoted ? out->near[0].cls : by_ratio;
    if (shown < 0) {
        out->cls = -1;
        out->dist = INFINITY;
        out->score = INFINITY;
        return;
    }
    /* Distance and radius are reported for the same prototype, the one
     * behind the score, so that an alert's distance is inside its radius
     * exactly when the class holds the flow. The nearest prototype may be
     * a tighter one the flow is outside of; near[] lists that distance. */
    const struct memo_eval *e = &ev[shown];
    out->radius = e->radius;
    out->score = e->ratio;
    out->dist = e->radius > 0 && isfinite(e->radius) && isfinite(e->ratio)
                    ? e->ratio * e->radius : e->dist;
}

void memo_decide(const struct memo *m, const float *z,
                 struct memo_decision *out)
{
    struct memo_eval stack[32];
    struct memo_eval *ev = m->n_classes <= 32
                           ? stack : malloc(m->n_classes * sizeof(*ev));
    if (ev == NULL) {
        memset(out, 0, sizeof(*out));
        out->cls = -1;
        out->score = INFINITY;
        return;
    }
    memo_evaluate(m, z, ev);
    memo_decide_from(m, ev, out);
    if (ev != stack)
        free(ev);
}

float memo_novelty(const struct memo *m, const struct memo_eval *ev)
{
    float best = INFINITY;
    for (size_t c = 0; c < m->n_classes; c++) {
        float v = ev[c].ratio * m->cls[c].tail;
        best = v < best ? v : best;
    }
    return best;
}
