/*
 * Gradient checks shared by the learner tests: the loss of one training
 * step, and its gradient against central finite differences.
 * Header-only, so that only the learner tests link the learners.
 */
#ifndef FEWFLOW_TESTS_LEARNER_CHECK_H
#define FEWFLOW_TESTS_LEARNER_CHECK_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/learner.h"
#include "fewflow/rng.h"
#include "testutil.h"

/* The loss of one training step at the current parameters, drawing the
 * same episode as a step from `seed` would. */
static inline float learner_check_loss(struct learner *l, uint64_t seed,
                                       float *grad)
{
    struct rng rng;
    float loss = NAN;

    rng_seed(&rng, seed);
    memset(grad, 0, l->n_params * sizeof(float));
    assert_int_equal(l->ops->train_step(l, &rng, grad, &loss), 0);
    return loss;
}

/* Every `stride`-th parameter's gradient (l->data set) against central
 * differences with step 1e-3, to 2% + 2e-3 (float32 losses). */
static inline void learner_check_gradients(struct learner *l, uint64_t seed,
                                           size_t stride, const char *what)
{
    float *g = malloc(l->n_params * sizeof(float));
    float *scratch = malloc(l->n_params * sizeof(float));
    const float h = 1e-3f;

    assert_non_null(g);
    assert_non_null(scratch);
    learner_check_loss(l, seed, g);
    for (size_t i = 0; i < l->n_params; i += stride) {
        float keep = l->params[i], up, down, fd;

        l->params[i] = keep + h;
        up = learner_check_loss(l, seed, scratch);
        l->params[i] = keep - h;
        down = learner_check_loss(l, seed, scratch);
        l->params[i] = keep;
        fd = (up - down) / (2.0f * h);
        if (fabs(g[i] - fd) > 2e-2 * fabs(fd) + 2e-3)
            print_message("%s param %zu\n", what, i);
        assert_float_near(g[i], fd, 2e-2 * fabs(fd) + 2e-3);
    }
    free(g);
    free(scratch);
}

#endif
