#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/grow.h"
#include "testutil.h"

/* Enrolment grown from unlabelled context (grow.c): cases whose right
 * answer is known by construction, in two dimensions. */

enum { SIDE = 6, CELL = SIDE * SIDE };

/* A SIDE × SIDE grid of spacing 0.3 whose lower left corner is (x0, y0). */
static void grid(float x0, float y0, float *z)
{
    for (int i = 0; i < CELL; i++) {
        z[2 * i] = x0 + 0.3f * (float)(i % SIDE);
        z[2 * i + 1] = y0 + 0.3f * (float)(i / SIDE);
    }
}

/* A memory holding one known attack class at (px, py), radius 0.5, and
 * a K-shot radius of 1 for every K (the grown class's r). */
static struct memo *memory_at(float px, float py)
{
    struct memo *m = memo_create(2, 2);
    const float p[2] = { px, py };
    assert_non_null(m);
    assert_true(memo_class_add(m, "known", 0, p, 1, 0.5f, NULL) >= 0);
    for (int k = 1; k < MEMO_ENROLL_CALIBRATE; k++)
        m->kshot_abs[k] = 1.0f;
    return m;
}

/* Own cluster A at the origin; a sister cluster B of the same shape 0.8
 * to its right: nearer than the class radius, but no row of B is among
 * the 4 nearest of a row of A, so no link crosses. Between them, a tight
 * clump D of DN rows 0.38 from A's edge: rows of A list rows of D among
 * their 4 nearest, but D's rows list only each other, so the links are
 * not mutual. */
enum { DN = 5, CTX = 2 * CELL + DN };

static void two_clusters(float *z)
{
    grid(0, 0, z);
    grid(1.5f + 0.8f, 0, z + 2 * CELL);
    for (int i = 0; i < DN; i++) {
        z[2 * (2 * CELL + i)] = 1.85f + 0.03f * (float)i;
        z[2 * (2 * CELL + i) + 1] = 0.75f;
    }
}

static const int32_t seeds[3] = { 0, 1, SIDE };   /* A's corner */

static void seed_rows(const float *ctx, float *z)
{
    for (int i = 0; i < 3; i++)
        memcpy(z + 2 * i, ctx + 2 * seeds[i], 2 * sizeof(float));
}

static void grows_over_own_cluster_not_sister(void **state)
{
    (void)state;
    float ctx[2 * CTX];
    int32_t added[MEMO_MAX_PROTOS];
    struct memo_context c;
    struct memo *m = memory_at(50, 50);

    two_clusters(ctx);
    assert_int_equal(memo_context_build(&c, m, ctx, CTX, 4), 0);
    long n = memo_grow(&c, seeds, 3, 1.0f, 1, MEMO_MAX_PROTOS, added);
    assert_int_equal(n, CELL - 3);
    for (long i = 0; i < n; i++) {
        assert_true(added[i] < CELL);
        for (int s = 0; s < 3; s++)
            assert_int_not_equal(added[i], seeds[s]);
    }
    /* With neighbourhoods wide enough for rows of A to list rows of B,
     * the chain crosses: the graph's k matters. */
    struct memo_context wide;
    assert_int_equal(memo_context_build(&wide, m, ctx, CTX, 40), 0);
    n = memo_grow(&wide, seeds, 3, 1.0f, 1, MEMO_MAX_PROTOS, added);
    assert_int_equal(n, CTX - 3);
    /* A radius shorter than the grid's spacing links nothing. */
    assert_int_equal(memo_grow(&c, seeds, 3, 0.29f, 1, 99, added), 0);
    /* The cap, and the same seed twice counts once. */
    const int32_t twice[4] = { 0, 0, 1, SIDE };
    assert_int_equal(memo_grow(&c, twice, 4, 1.0f, 1, 5, added), 5);
    memo_context_fini(&wide);
    memo_context_fini(&c);
    memo_destroy(m);
}

/* Rows nearer to a prototype already in memory than to any member stay
 * out: with the known class at the centre of A, its four nearest grid
 * rows (0.21 away, members 0.3) are not taken; the rest are. */
static void rows_a_known_class_claims_stay_out(void **state)
{
    (void)state;
    float ctx[2 * CELL];
    int32_t added[MEMO_MAX_PROTOS];
    struct memo_context c;
    struct memo *m = memory_at(0.75f, 0.75f);

    grid(0, 0, ctx);
    assert_int_equal(memo_context_build(&c, m, ctx, CELL, 4), 0);
    assert_float_near(c.d_known[2 * SIDE + 2], 0.2121f, 1e-3);
    long n = memo_grow(&c, seeds, 3, 1.0f, 1, MEMO_MAX_PROTOS, added);
    assert_int_equal(n, CELL - 3 - 4);
    const int32_t centre[4] = { 2 * SIDE + 2, 2 * SIDE + 3, 3 * SIDE + 2,
                                3 * SIDE + 3 };
    for (long i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++)
            assert_int_not_equal(added[i], centre[k]);
    }
    memo_context_fini(&c);
    memo_destroy(m);
}

/* A thin line of rows leads out of A's corner. With links = 2 a row
 * needs two members linking it: the line's second and third rows have
 * one each (the row before them), so the chain stops where the line
 * leaves A, while A itself, where rows have many common neighbours,
 * still fills. With one link the whole line joins. */
static void two_links_stop_a_thin_chain(void **state)
{
    (void)state;
    float ctx[2 * (CELL + 3)];
    int32_t added[MEMO_MAX_PROTOS];
    struct memo_context c;
    struct memo *m = memory_at(50, 50);

    grid(0, 0, ctx);
    for (int i = 0; i < 3; i++) {
        ctx[2 * (CELL + i)] = 1.95f + 0.5f * (float)i;
        ctx[2 * (CELL + i) + 1] = 1.5f;
    }
    assert_int_equal(memo_context_build(&c, m, ctx, CELL + 3, 8), 0);
    long n = memo_grow(&c, seeds, 3, 1.0f, 1, MEMO_MAX_PROTOS, added);
    assert_int_equal(n, CELL + 3 - 3);
    n = memo_grow(&c, seeds, 3, 1.0f, 2, MEMO_MAX_PROTOS, added);
    int grid_rows = 0;
    for (long i = 0; i < n; i++) {
        assert_true(added[i] != CELL + 1 && added[i] != CELL + 2);
        grid_rows += added[i] < CELL;
    }
    assert_int_equal(grid_rows, CELL - 3);
    memo_context_fini(&c);
    memo_destroy(m);
}

/* The grown class: every member an exemplar with the labelled flows'
 * radius, so a row of A beyond that radius from the labelled corner is
 * now inside and B is not; as flows, the members are enrolled as 36
 * ordinary flows. */
static void grown_class_covers_its_cluster(void **state)
{
    (void)state;
    float ctx[2 * CTX], z[6];
    int32_t grown[MEMO_MAX_PROTOS];
    size_t n_grown = 0;
    struct memo_context c;
    struct memo *m = memory_at(50, 50);
    struct memo_grow_opts g = { 4, 1, 0, 0, 0 };
    struct memo_enroll_opts o;
    struct memo_decision d;

    memo_enroll_opts_default(&o);
    two_clusters(ctx);
    seed_rows(ctx, z);
    assert_int_equal(memo_context_build(&c, m, ctx, CTX, 4), 0);
    assert_int_equal(memo_enroll_grown(m, "new", z, 3, NULL, &c, NULL,
                                       seeds, 3, &g, &o, grown, &n_grown),
                     0);
    assert_int_equal(n_grown, CELL - 3);
    const struct memo_class *cl = &m->cls[memo_class_find(m, "new")];
    assert_int_equal(cl->n_protos, CELL);
    assert_int_equal(cl->n_support, CELL);
    assert_float_near(cl->radius, 1.0f, 1e-6);
    assert_true(cl->flags == MEMO_CLASS_ENROLLED);
    memo_decide(m, ctx + 2 * (CELL - 1), &d);     /* A's far corner */
    assert_int_equal(d.cls, memo_class_find(m, "new"));
    memo_decide(m, ctx + 2 * (2 * CELL - 1), &d);  /* B's far corner */
    assert_int_equal(d.cls, -1);

    /* local: each member's radius is its distance to its 4th nearest
     * context row (0.42 inside the grid, 0.6 at its corners), under r = 1 */
    g.local = 1;
    assert_int_equal(memo_enroll_grown(m, "local", z, 3, NULL, &c, NULL,
                                       seeds, 3, &g, &o, grown, &n_grown),
                     0);
    cl = &m->cls[memo_class_find(m, "local")];
    assert_int_equal(cl->n_protos, CELL);
    for (size_t i = 0; i < CELL; i++) {
        int32_t row = i < 3 ? seeds[i] : grown[i - 3];
        assert_float_near(cl->radii[i], c.nd[row * 4 + 3], 1e-6);
        assert_true(cl->radii[i] < 0.61f);
    }
    g.local = 2;     /* twice that, still under r */
    assert_int_equal(memo_enroll_grown(m, "local2", z, 3, NULL, &c, NULL,
                                       seeds, 3, &g, &o, grown, &n_grown),
                     0);
    cl = &m->cls[memo_class_find(m, "local2")];
    assert_float_near(cl->radii[2], 2 * c.nd[seeds[2] * 4 + 3], 1e-6);
    assert_float_near(cl->radii[0], 1.0f, 1e-6);    /* 2 × 0.6, capped */
    g.local = 0;
    g.as_flows = 1;
    assert_int_equal(memo_enroll_grown(m, "flows", z, 3, NULL, &c, NULL,
                                       seeds, 3, &g, &o, grown, &n_grown),
                     0);
    cl = &m->cls[memo_class_find(m, "flows")];
    assert_int_equal(cl->n_support, CELL);
    assert_int_equal(cl->n_protos, o.max_protos);
    memo_context_fini(&c);
    memo_destroy(m);
}

/* More members than a class holds prototypes: 256 centres, and every
 * member's own ball (its 4th-neighbour distance) inside a centre's. */
static void cover_holds_every_member(void **state)
{
    (void)state;
    enum { W = 20, NR = W * W };
    static float ctx[2 * NR];
    static int32_t grown[NR];
    float z[6];
    size_t n_grown = 0;
    struct memo_context c;
    struct memo *m = memory_at(50, 50);
    struct memo_grow_opts g = { 4, 1, 0, 1, 1 };
    struct memo_enroll_opts o;
    struct memo_eval ev[2];

    memo_enroll_opts_default(&o);
    for (int i = 0; i < NR; i++) {
        ctx[2 * i] = 0.3f * (float)(i % W);
        ctx[2 * i + 1] = 0.3f * (float)(i / W);
    }
    const int32_t corner[3] = { 0, 1, W };
    for (int i = 0; i < 3; i++)
        memcpy(z + 2 * i, ctx + 2 * corner[i], 2 * sizeof(float));
    assert_int_equal(memo_context_build(&c, m, ctx, NR, 4), 0);
    assert_int_equal(memo_enroll_grown(m, "cover", z, 3, NULL, &c, NULL,
                                       corner, 3, &g, &o, grown, &n_grown),
                     0);
    assert_int_equal(n_grown, NR - 3);      /* not capped at 253 */
    const struct memo_class *cl = &m->cls[1];
    assert_int_equal(cl->n_protos, MEMO_MAX_PROTOS);
    assert_int_equal(cl->n_support, NR);
    assert_memory_equal(cl->protos, z, sizeof(z));   /* labelled first */
    for (int i = 0; i < NR; i++) {
        float own = c.nd[i * 4 + 3];
        int inside = 0;
        for (uint32_t q = 0; q < cl->n_protos && !inside; q++) {
            float dx = ctx[2 * i] - cl->protos[2 * q];
            float dy = ctx[2 * i + 1] - cl->protos[2 * q + 1];
            inside = sqrtf(dx * dx + dy * dy) + own <= cl->radii[q] + 1e-5f;
        }
        assert_true(inside);
        memo_evaluate(m, ctx + 2 * i, ev);
        assert_true(ev[1].ratio <= 1.0f);
    }
    memo_context_fini(&c);
    memo_destroy(m);
}

/* A context with no row that chains to the flows (all of it far away),
 * growth turned off, or a benign class: the class is exactly what
 * memo_enroll makes. */
static void useless_context_changes_nothing(void **state)
{
    (void)state;
    float ctx[2 * CELL], z[6], all[2 * (CELL + 3)];
    int32_t grown[MEMO_MAX_PROTOS];
    size_t n_grown = 7;
    struct memo_context c;
    struct memo_grow_opts g = { 4, 1, 0, 0, 0 };
    struct memo_enroll_opts o;

    memo_enroll_opts_default(&o);
    grid(0, 0, all);
    seed_rows(all, z);
    grid(20, 20, ctx);
    memcpy(all, z, sizeof(z));
    memcpy(all + 6, ctx, sizeof(ctx));
    const int32_t own[3] = { 0, 1, 2 };
    for (int mode = 0; mode < 3; mode++) {
        struct memo *a = memory_at(50, 50), *b = memory_at(50, 50);
        o.is_benign = mode == 2;
        g.k = mode == 1 ? 0 : 4;
        assert_int_equal(memo_context_build(&c, a, all, CELL + 3, 4), 0);
        assert_int_equal(memo_enroll_grown(a, "new", z, 3, NULL, &c, NULL,
                                           own, 3, &g, &o, grown, &n_grown),
                         0);
        assert_int_equal(n_grown, 0);
        assert_int_equal(memo_enroll(b, "new", z, 3, NULL, &o), 0);
        const struct memo_class *x = &a->cls[1], *y = &b->cls[1];
        assert_int_equal(x->n_protos, y->n_protos);
        assert_int_equal(x->n_support, y->n_support);
        assert_int_equal(x->flags, y->flags);
        assert_memory_equal(x->protos, y->protos,
                            x->n_protos * 2 * sizeof(float));
        assert_memory_equal(x->radii, y->radii, x->n_protos * sizeof(float));
        assert_true(a->benign_fpr == b->benign_fpr);
        memo_context_fini(&c);
        memo_destroy(a);
        memo_destroy(b);
    }
}

static void context_refuses_bad_sizes(void **state)
{
    (void)state;
    float z[4] = { 0, 0, 1, 1 };
    struct memo_context c;
    struct memo *m = memory_at(50, 50);
    assert_int_equal(memo_context_build(&c, m, z, 0, 4), ERR_INVALID);
    assert_int_equal(memo_context_build(&c, m, z, 2, 0), ERR_INVALID);
    assert_int_equal(memo_context_build(&c, m, z, 2, MEMO_GROW_MAX_K + 1),
                     ERR_INVALID);
    assert_int_equal(memo_context_build(&c, m, z, MEMO_CONTEXT_MAX + 1, 4),
                     ERR_INVALID);
    /* Fewer rows than k + 1: the missing neighbours are padded. */
    assert_int_equal(memo_context_build(&c, m, z, 2, 4), 0);
    assert_int_equal(c.nbr[0], 1);
    assert_int_equal(c.nbr[1], -1);
    assert_true(c.mutual[0] == 1 && c.mutual[1] == 0);
    assert_float_near(c.nd[0], sqrtf(2), 1e-6);
    memo_context_fini(&c);
    memo_destroy(m);
}

/* The split: about half the rows on each side, every row of a
 * connection on its first row's side, the cap, and one seed one split. */
static void split_keeps_connections_whole(void **state)
{
    (void)state;
    enum { R = 4000 };
    static int32_t pred[R];
    static size_t order[R], keys[R];
    static uint8_t role[R], again[R];
    /* rows 0..999 alone; 1000.. chains of four (i continues i - 1) */
    for (size_t i = 0; i < R; i++) {
        pred[i] = i >= 1000 && (i - 1000) % 4 ? (int32_t)i - 1 : -1;
        order[i] = i;
        keys[i] = 7 * i + 3;
    }
    assert_int_equal(openset_split(pred, order, keys, R, 9, R, role), 0);
    size_t ctx = 0;
    for (size_t i = 0; i < R; i++) {
        assert_true(role[i] <= OPENSET_ROLE_CONTEXT);
        ctx += role[i] == OPENSET_ROLE_CONTEXT;
        if (pred[i] >= 0)
            assert_int_equal(role[i], role[pred[i]]);
    }
    assert_true(ctx > R * 4 / 10 && ctx < R * 6 / 10);
    assert_int_equal(openset_split(pred, order, keys, R, 9, R, again), 0);
    assert_memory_equal(role, again, R);
    assert_int_equal(openset_split(pred, order, keys, R, 10, R, again), 0);
    assert_memory_not_equal(role, again, R);
    /* Capped: exactly 100 context rows, the others idle, none scored
     * that was context. */
    assert_int_equal(openset_split(pred, order, keys, R, 9, 100, again), 0);
    size_t kept = 0;
    for (size_t i = 0; i < R; i++) {
        kept += again[i] == OPENSET_ROLE_CONTEXT;
        assert_true((again[i] == OPENSET_ROLE_SCORED) ==
                    (role[i] == OPENSET_ROLE_SCORED));
    }
    assert_int_equal(kept, 100);
}

/* openset_eval with a role array: supports come from the class's
 * context rows only (a class with 6 of them has no K=10 cell), only
 * scored rows count, and grown rows are context rows of the class
 * itself here (the sister cluster B is not taken). */
static void eval_draws_and_grows_from_context_only(void **state)
{
    (void)state;
    enum { NK = 10, NT = NK + 3 * CELL };
    static float z[2 * NT];
    static int32_t y[NT], ctx_of[NT], ctx_rows[NT];
    static uint8_t role[NT];
    struct memo *m = memory_at(50, 50);
    int32_t known_of[4] = { 0, -1, -1, -1 };
    struct openset_opts o;
    struct openset_report plain, grown;
    struct memo_context c;
    size_t n_ctx = 0;
    static float cz[2 * NT];

    for (int i = 0; i < NK; i++) {
        z[2 * i] = 50;
        z[2 * i + 1] = 50 + 0.01f * (float)i;
        y[i] = 0;
    }
    grid(0, 0, z + 2 * NK);                 /* class 1: A */
    grid(2.3f, 0, z + 2 * (NK + CELL));     /* class 2: B, A's sister */
    grid(0, 20, z + 2 * (NK + 2 * CELL));   /* class 3: far, 6 context */
    for (int i = 0; i < NT; i++) {
        int j = i - NK;
        if (i >= NK)
            y[i] = 1 + j / CELL;
        role[i] = i < NK ? OPENSET_ROLE_SCORED
                : y[i] == 3 ? (j % CELL < 6 ? OPENSET_ROLE_CONTEXT
                                            : OPENSET_ROLE_SCORED)
                : (j % 2 ? OPENSET_ROLE_CONTEXT : OPENSET_ROLE_SCORED);
        ctx_of[i] = -1;
        if (role[i] == OPENSET_ROLE_CONTEXT) {
            memcpy(cz + 2 * n_ctx, z + 2 * i, 2 * sizeof(float));
            ctx_of[i] = (int32_t)n_ctx;
            ctx_rows[n_ctx++] = i;
        }
    }
    /* a radius that five flows of A do not cover A with */
    for (int k = 1; k < MEMO_ENROLL_CALIBRATE; k++)
        m->kshot_abs[k] = 0.65f;
    struct memo_labelled t = { z, y, NT };
    openset_opts_default(&o);
    o.shots[0] = 5;
    o.shots[1] = 10;
    o.n_shots = 2;
    o.trials = 4;
    o.role = role;
    assert_int_equal(openset_eval(m, &t, known_of, 4, &o, &plain), 0);
    assert_int_equal(plain.n_known, NK);
    assert_int_equal(plain.n_novel_rows, NT - NK - n_ctx);
    assert_true(isnan(plain.recall[2 * 2 + 1]));    /* class 3, K=10 */
    assert_false(isnan(plain.recall[2 * 2 + 0]));
    assert_true(plain.cells[0].grown == 0);

    assert_int_equal(memo_context_build(&c, m, cz, n_ctx, 4), 0);
    o.context = &c;
    o.ctx_of = ctx_of;
    o.ctx_rows = ctx_rows;
    o.grow.k = 4;
    assert_int_equal(openset_eval(m, &t, known_of, 4, &o, &grown), 0);
    assert_int_equal(m->n_classes, 1);
    const struct openset_cell *a = &grown.cells[0];   /* A at K=5 */
    assert_true(a->grown > 0 && a->grown <= CELL / 2 - 5);
    assert_float_near(a->grown_from[OPENSET_FROM_OWN], a->grown, 1e-9);
    assert_true(a->recall > plain.cells[0].recall);
    assert_float_near(a->precision, 1.0, 1e-12);
    memo_context_fini(&c);
    openset_report_fini(&plain);
    openset_report_fini(&grown);
    memo_destroy(m);
}

static size_t json_count(const char *json, const char *key)
{
    const char *p = strstr(json, key);
    return p != NULL ? (size_t)strtoull(p + strlen(key), NULL, 10)
                     : (size_t)-1;
}

/* Through `eval --openset`: the rows counted are exactly the scored
 * ones, the context is reported, growth needs the split, and without
 * the split the report has none of its members. */
static void eval_cli_context_split(void **state)
{
    (void)state;
    char model[512];
    char *out = NULL;
    const char *bin = testutil_bin();
    assert_int_equal(testutil_model_tiny("grow", model, sizeof(model),
                                         &out), 0);
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--shots 5 --trials 2 --json "
                                   "--context-split --grow 10 2>&1", bin,
                                   model), 0);
    size_t known = json_count(out, "\"known\":");
    size_t novel = json_count(out, "\"novel\":");
    size_t ctx = json_count(out, "\"context\":{\"rows\":");
    size_t scored = json_count(out, "\"scored_rows\":");
    assert_true(ctx > 0 && ctx != (size_t)-1);
    assert_int_equal(known + novel, scored);
    assert_non_null(strstr(out, "\"grow\":10,\"links\":1,"
                                "\"grow_as\":\"exemplars\"}"));
    assert_non_null(strstr(out, "\"grown\":{\"rows\":"));
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--shots 5 --trials 2 --json 2>&1", bin,
                                   model), 0);
    assert_null(strstr(out, "\"context\""));
    assert_null(strstr(out, "benign_taken"));
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--grow 10 2>&1", bin, model), 2);
    assert_non_null(strstr(out, "--grow needs --context-split"));
    assert_int_equal(testutil_runf(&out, "%s -q eval --openset --model %s "
                                   "--context-split --grow-as many 2>&1",
                                   bin, model), 2);
    assert_int_equal(testutil_count(out, "\n"), 1);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_over_own_cluster_not_sister),
        cmocka_unit_test(rows_a_known_class_claims_stay_out),
        cmocka_unit_test(two_links_stop_a_thin_chain),
        cmocka_unit_test(grown_class_covers_its_cluster),
        cmocka_unit_test(useless_context_changes_nothing),
        cmocka_unit_test(cover_holds_every_member),
        cmocka_unit_test(context_refuses_bad_sizes),
        cmocka_unit_test(split_keeps_connections_whole),
        cmocka_unit_test(eval_draws_and_grows_from_context_only),
        cmocka_unit_test(eval_cli_context_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
