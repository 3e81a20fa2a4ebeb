/*
 * The adapted head of a MAML-family model's class memory: a linear
 * softmax head over every class of the memory, fitted on the classes'
 * prototypes in embedding space (the memory keeps no support rows), as
 * the MAML model scores them: logits = relu(z) W + b.
 *
 * The open-set decision stays the memory's (detect.h): the head only
 * chooses among the classes whose radius holds the flow, and reports its
 * softmax probability for the class it chose.
 *
 * Fitting starts from a zero head (no output unit is tied to a class,
 * as with maml.h's is_zero_head) and takes `steps` full-batch gradient
 * steps on a class-balanced cross-entropy. Not thread-safe: choosing
 * uses scratch kept in the head.
 */
#ifndef FEWFLOW_MHEAD_H
#define FEWFLOW_MHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"

#define MHEAD_STEPS 100   /* gradient steps of one fit */

struct mhead {
    uint32_t n_classes;
    uint32_t dim;
    float *w;                 /* dim × n_classes */
    float *b;                 /* n_classes */
    float *logits;            /* scratch, n_classes */
    struct memo_eval *ev;     /* scratch, n_classes */
};

/* A head over all classes of m. NULL (err_set) on allocation failure, an
 * empty memory or a bad step size. */
struct mhead *mhead_fit(const struct memo *m, float lr, int steps);
/* A zero head (NULL on allocation failure, no err_set). */
struct mhead *mhead_create(size_t n_classes, uint32_t dim);
void mhead_destroy(struct mhead *h);

/* Logits of embedding z (n_classes floats into out). */
void mhead_logits(const struct mhead *h, const float *z, float *out);

/*
 * Re-chooses a known decision's class: among the classes whose radius
 * holds z (a benign class only when it was the decided one, so that the
 * memory's benign rule stands), the one with the largest logit; the
 * decision's dist, radius and score follow the chosen class, and
 * head_prob gets its softmax probability over all classes. An unknown
 * decision is left as it is.
 */
void mhead_choose(struct mhead *h, const struct memo *m, const float *z,
                  struct memo_decision *dec);

/* Serialisation as the model's "HEAD" section, bound to m's class names
 * (own magic, version and CRC-32). mhead_read refuses a damaged section,
 * or one for other classes, with `what` (a file name) and the offset. */
int mhead_write(const struct mhead *h, const struct memo *m,
                struct bytes_writer *w);
struct mhead *mhead_read(const void *data, size_t len, const struct memo *m,
                         const char *what);

#endif
