/*
 * Gradient-buffer reuse in tensor_grad without create_graph: the reverse
 * pass may hold little more than the graph it walks, and reusing buffers
 * must never change a gradient, also when gradients alias each other
 * (pass-through rules, transposes, slices of a concatenation, one tensor
 * used twice).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fewflow/rng.h"
#include "fewflow/tensor.h"
#include "testutil.h"

enum { DIM = 32, DEPTH = 64, N_LEAVES = 3, LEAF_ELEMS = 64 };

/*
 * y = sum(h_L), h_k = tanh(h_{k-1} W) with one shared W: every layer's
 * gradient is dead once the layer below has it. Without reuse the reverse
 * pass allocates more than the whole graph (one gradient per node plus the
 * rules' temporaries); with it, a few live buffers plus bookkeeping.
 */
static void reverse_pass_holds_far_less_than_the_graph(void **state)
{
    static float w[DIM * DIM], x[DIM * DIM];
    struct rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < DIM * DIM; i++) {
        w[i] = 0.2f * rng_normal(&r);
        x[i] = rng_normal(&r);
    }
    struct tensor_arena *ar = tensor_arena_create(0);
    struct tensor *wl = tensor_leaf(ar, w, DIM, DIM), *h, xc, *g;
    tensor_init(&xc, x, DIM, DIM);
    h = &xc;
    for (int k = 0; k < DEPTH; k++)
        h = tensor_tanh(ar, tensor_matmul(ar, h, wl, 0, 0));
    struct tensor *y = tensor_sum(ar, h);
    size_t graph = tensor_arena_used(ar);
    assert_int_equal(tensor_grad(ar, y, &wl, 1, 0, &g), 0);
    size_t pass = tensor_arena_high_water(ar) - graph;
    printf("graph %zu B, reverse pass %zu B\n", graph, pass);
    assert_true(pass < graph / 4);
    tensor_arena_destroy(ar);
}

static struct tensor *pick(struct rng *r, struct tensor **pool, int n)
{
    return pool[rng_below(r, (uint64_t)n)];
}

/* Operations whose backward rules alias or slice their incoming gradient,
 * mixed with ones that make fresh buffers; shapes are kept valid. */
static struct tensor *aliasing_op(struct tensor_arena *ar, struct rng *r,
                                  struct tensor *a, struct tensor *b)
{
    int same = a->rows == b->rows && a->cols == b->cols;

    switch (rng_below(r, 9)) {
    case 0:  return same ? tensor_add(ar, a, b) : tensor_copy(ar, a);
    case 1:  return tensor_transpose(ar, a);
    case 2:  return a->rows == b->rows ? tensor_concat_cols(ar, a, b)
                                       : tensor_concat_rows(ar, a, a);
    case 3:  return a->cols > 1 ? tensor_cols(ar, a, 1, a->cols - 1)
                                : tensor_tanh(ar, a);
    case 4:  return tensor_mul(ar, a, a);
    case 5:  return a->cols == b->rows ? tensor_matmul(ar, a, b, 0, 0)
                                       : tensor_matmul(ar, a, a, 1, 0);
    case 6:  return tensor_reshape(ar, a, a->cols, a->rows);
    case 7:  return tensor_sum_rows(ar, a);
    default: return tensor_tanh(ar, tensor_scale(ar, a, 0.5f));
    }
}

/* Largest |a - b| / (1 + |b|) over the leaves' gradients. */
static float max_diff(struct tensor **ga, struct tensor **gb)
{
    float worst = 0.0f;

    for (int k = 0; k < N_LEAVES; k++)
        for (int i = 0; i < ga[k]->rows; i++)
            for (int j = 0; j < ga[k]->cols; j++) {
                float a = tensor_at(ga[k], i, j), b = tensor_at(gb[k], i, j);
                float d = fabsf(a - b) / (1.0f + fabsf(b));
                worst = d > worst || isnan(d) ? d : worst;
            }
    return worst;
}

static struct tensor *random_graph(struct tensor_arena *ar, struct rng *r,
                                   float *data, struct tensor **leaves)
{
    struct tensor *pool[24];
    int n = 0;

    for (; n < N_LEAVES; n++)
        pool[n] = leaves[n] = tensor_leaf(ar, data + n * LEAF_ELEMS,
                                          2 + (int)rng_below(r, 3),
                                          2 + (int)rng_below(r, 3));
    for (; n < 24; n++)
        pool[n] = aliasing_op(ar, r, pick(r, pool, n), pick(r, pool, n));
    struct tensor *y = tensor_sum(ar, tensor_square(ar, pool[n - 1]));
    for (int k = n - 8; k < n - 1; k++)
        y = tensor_add(ar, y, tensor_sum(ar, pool[k]));
    return y;
}

/*
 * 300 random graphs (fixed seed): the gradients of the pass that reuses
 * buffers equal those of the create_graph pass, which reuses nothing, to
 * float rounding (the two accumulate in the same order; the bound leaves
 * room for the view shortcut). A buffer freed while a gradient still lived
 * in it would be overwritten by a later result and show up here.
 */
static void reuse_never_changes_a_gradient(void **state)
{
    static float data[N_LEAVES * LEAF_ELEMS];
    struct tensor_arena *ar = tensor_arena_create(0);
    struct rng r;
    rng_seed(&r, 77);
    for (int i = 0; i < N_LEAVES * LEAF_ELEMS; i++)
        data[i] = 0.5f * rng_normal(&r);
    for (int round = 0; round < 300; round++) {
        tensor_arena_reset(ar);
        struct tensor *leaves[N_LEAVES], *g0[N_LEAVES], *g1[N_LEAVES];
        struct tensor *y = random_graph(ar, &r, data, leaves);
        assert_int_equal(tensor_grad(ar, y, leaves, N_LEAVES, 0, g0), 0);
        assert_int_equal(tensor_grad(ar, y, leaves, N_LEAVES, 1, g1), 0);
        assert_true(max_diff(g0, g1) <= 1e-5f);
    }
    tensor_arena_destroy(ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reverse_pass_holds_far_less_than_the_graph),
        cmocka_unit_test(reuse_never_changes_a_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
