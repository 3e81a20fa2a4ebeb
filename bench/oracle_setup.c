/*
 * eval --openset's test set, rebuilt through the public API (oracle.h).
 * The CLI keeps these steps static in src/cli/eval_openset.c; they are
 * restated here in the same order with the same seeds, and the bench
 * checks the result by reproducing eval's JSON figures at radius scale 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/oracle.h"
#include "fewflow/data.h"
#include "fewflow/err.h"
#include "fewflow/model.h"
#include "fewflow/normalizer.h"
#include "fewflow/paths.h"
#include "fewflow/protocol.h"
#include "fewflow/rng.h"

/* The files the model records, else its protocol's files. */
static int data_paths(const struct detector *d, char ***paths, size_t *n)
{
    const struct model_record *r = &d->model->rec;
    char dir[4096];
    int all = r->n_files > 0;
    for (size_t i = 0; i < r->n_files; i++)
        all = all && access(r->files[i].path, R_OK) == 0;
    if (all) {
        *paths = malloc(r->n_files * sizeof(char *));
        for (size_t i = 0; *paths && i < r->n_files; i++)
            (*paths)[i] = strdup(r->files[i].path);
        *n = r->n_files;
        return *paths ? 0 : ERR_NOMEM;
    }
    struct protocol *p = protocol_load(r->protocol ? r->protocol : "");
    int rc = p ? paths_data_dir(NULL, dir, sizeof(dir)) : err_last();
    if (rc == 0)
        rc = protocol_data_paths(p, dir, paths, n);
    protocol_destroy(p);
    return rc;
}

/* The training classes' validation rows, drawn as meta_setup.c drew them
 * (eval_openset.c's unseen_rows, restated). */
static uint8_t *unseen_rows(const struct table *t, const struct detector *d)
{
    const struct model_record *rec = &d->model->rec;
    struct protocol *p = rec->protocol ? protocol_load(rec->protocol) : NULL;
    double f = p && p->n_val == 0 ? p->val_fraction : 0;
    uint8_t *held = f > 0 ? calloc(t->n_rows + 1, 1) : NULL;
    uint8_t *train = calloc(t->n_classes + 1, 1);
    struct rng g;

    protocol_destroy(p);
    for (size_t i = 0; held && train && i < rec->n_train; i++) {
        int32_t id = table_class_id(t, rec->train_classes[i]);
        if (id >= 0)
            train[id] = 1;
    }
    rng_seed(&g, rec->seed ^ 0x7a11dULL);
    for (size_t i = 0; held && train && i < t->n_rows; i++) {
        if (t->y[i] >= 0 && train[t->y[i]])
            held[i] = rng_uniform(&g) < (float)f;
    }
    free(train);
    err_clear();
    return held;
}

static int load_rows(struct oracle_set *s)
{
    char **paths = NULL;
    size_t n = 0;
    struct data_options opt;
    struct conn_cols cols;
    int rc = data_paths(s->d, &paths, &n);

    data_options_init(&opt);
    if (conn_cols_find(&cols, s->d->col_names, s->d->n_in))
        eval_conn_rows_hook(&s->conn_rows, s->d, &opt);
    if (rc == 0)
        rc = data_load_with((const char *const *)paths, n, s->d->schema,
                            &opt, &s->t, NULL);
    protocol_paths_free(paths, n);
    return rc;
}

/* Copies rows idx (table order) into x, normalised; y gets keep indices
 * through map. */
static float *gather(const struct oracle_set *s, const size_t *idx,
                     size_t n, const int32_t *map, int32_t *y)
{
    size_t w = s->d->n_in;
    float *x = malloc((n * w + 1) * sizeof(float));
    for (size_t i = 0; x && i < n; i++) {
        memcpy(x + i * w, table_row(s->t, idx[i]), w * sizeof(float));
        y[i] = map[s->t->y[idx[i]]];
    }
    if (x)
        normalizer_apply(s->d->norm, x, n);
    return x;
}

/* The input-space memory: memo_fit on the same rows, same options. */
static int fit_input_memo(struct oracle_set *s, const struct detector_split *sp,
                          const char *const *known, size_t n_known,
                          const struct memo_fit_opts *o)
{
    int32_t *map = malloc((s->t->n_classes + 1) * sizeof(int32_t));
    int *benign = calloc(n_known + 1, sizeof(int));
    int32_t *yf = malloc((sp->n_fit + 1) * sizeof(int32_t));
    int32_t *yc = malloc((sp->n_calib + 1) * sizeof(int32_t));
    for (size_t c = 0; map && c < s->t->n_classes; c++) {
        map[c] = -1;
        for (size_t k = 0; k < n_known; k++)
            if (strcmp(s->t->class_names[c], known[k]) == 0)
                map[c] = (int32_t)k;
    }
    for (size_t k = 0; benign && k < n_known; k++)
        benign[k] = detector_is_benign_name(known[k]);
    float *xf = map && yf ? gather(s, sp->fit, sp->n_fit, map, yf) : NULL;
    float *xc = map && yc ? gather(s, sp->calib, sp->n_calib, map, yc) : NULL;
    s->mx = memo_create((uint32_t)s->d->n_in, (uint32_t)s->d->n_in);
    int rc = xf && xc && benign && s->mx ? 0 : ERR_NOMEM;
    struct memo_labelled lf = { xf, yf, sp->n_fit };
    struct memo_labelled lc = { xc, yc, sp->n_calib };
    if (rc == 0)
        rc = memo_fit(s->mx, known, n_known, benign, &lf, &lc, xf, o);
    free(map);
    free(benign);
    free(yf);
    free(yc);
    free(xf);
    free(xc);
    return rc;
}

/* Known test rows, then the novel classes' fit, calib and test rows, as
 * eval_openset.c's embed_test orders them. */
static int test_rows(struct oracle_set *s, const struct detector_split *a,
                     const struct detector_split *b)
{
    size_t n = a->n_test + b->n_test + b->n_fit + b->n_calib;
    size_t w = s->d->n_in;
    s->x = malloc((n * w + 1) * sizeof(float));
    s->z = malloc((n * s->d->dim + 1) * sizeof(float));
    s->y = malloc((n + 1) * sizeof(int32_t));
    s->row = malloc((n + 1) * sizeof(size_t));
    if (!s->x || !s->z || !s->y || !s->row)
        return err_set(ERR_NOMEM, "out of memory");
    const size_t *lists[4] = { a->test, b->fit, b->calib, b->test };
    size_t counts[4] = { a->n_test, b->n_fit, b->n_calib, b->n_test };
    for (int l = 0; l < 4; l++) {
        for (size_t i = 0; i < counts[l]; i++, s->n++) {
            size_t r = lists[l][i];
            memcpy(s->x + s->n * w, table_row(s->t, r), w * sizeof(float));
            s->y[s->n] = s->t->y[r];
            s->row[s->n] = r;
        }
    }
    return detector_embed(s->d, s->x, s->n, s->z);
}

static int build(struct oracle_set *s, uint64_t seed)
{
    const struct model_record *rec = &s->d->model->rec;
    struct detector_split sp = { 0 }, nv = { 0 };
    struct memo_fit_opts fo;
    size_t n_known = 0;
    const char **known = detector_known_classes(s->d, &n_known);
    uint8_t *held = unseen_rows(s->t, s->d);
    int rc = known ? 0 : ERR_NOMEM;

    memo_fit_opts_default(&fo);
    fo.seed = seed;
    if (rc == 0)
        rc = held ? detector_split_rows_held(s->t, known, n_known, held,
                                             0.75, seed, &sp)
                  : detector_split_rows(s->t, known, n_known, 0.6, 0.2, 1,
                                        seed, &sp);
    if (rc == 0)
        rc = detector_split_rows(s->t, (const char *const *)rec->test_classes,
                                 rec->n_test, 0, 0, 1, seed, &nv);
    if (rc == 0)
        rc = detector_fit_memo(s->d, s->t, sp.fit, sp.n_fit, sp.calib,
                               sp.n_calib, known, n_known, &fo);
    if (rc == 0)
        rc = fit_input_memo(s, &sp, known, n_known, &fo);
    if (rc == 0)
        rc = test_rows(s, &sp, &nv);
    if (rc == 0)
        rc = eval_conn_link(s->d, s->t, &s->conn_rows, s->row, s->n,
                            &s->conn);
    if (held == NULL)
        fprintf(stderr, "warning: known test rows include training rows\n");
    detector_split_fini(&sp);
    detector_split_fini(&nv);
    free(known);
    free(held);
    return rc;
}

int oracle_set_load(struct oracle_set *s, const char *model, uint64_t seed)
{
    memset(s, 0, sizeof(*s));
    s->d = detector_load(model, 0);
    int rc = s->d ? 0 : err_last();
    /* eval builds the memory in the model's space; the oracle's two
     * spaces are the encoder's z and the input x, built here. */
    if (rc == 0 && s->d->memo && s->d->memo->space != MEMO_SPACE_Z)
        rc = err_set(ERR_INVALID, "%s: memory space %s; this bench "
                     "covers z memories", model,
                     memo_space_name((enum memo_space)s->d->memo->space));
    if (rc == 0)
        rc = load_rows(s);
    if (rc == 0)
        rc = build(s, seed);
    if (rc == 0 && s->d->model->rec.method &&
        strncmp(s->d->model->rec.method, "maml", 4) == 0)
        rc = err_set(ERR_INVALID, "%s: MAML-family models decide with a "
                     "head; this bench covers the memory alone", model);
    s->known_of = rc == 0 ? malloc((s->t->n_classes + 1) * sizeof(int32_t))
                          : NULL;
    for (size_t c = 0; s->known_of && c < s->t->n_classes; c++)
        s->known_of[c] = memo_class_find(s->d->memo, s->t->class_names[c]);
    return rc == 0 && s->known_of == NULL ? ERR_NOMEM : rc;
}

void oracle_set_fini(struct oracle_set *s)
{
    eval_conn_fini(&s->conn);
    eval_conn_rows_fini(&s->conn_rows);
    memo_destroy(s->mx);
    free(s->x);
    free(s->z);
    free(s->y);
    free(s->row);
    free(s->known_of);
    table_destroy(s->t);
    detector_destroy(s->d);
    memset(s, 0, sizeof(*s));
}

int oracle_all_rows(const struct oracle_set *s, float **x, float **z)
{
    size_t n = s->t->n_rows, w = s->d->n_in;
    *x = malloc((n * w + 1) * sizeof(float));
    *z = malloc((n * s->d->dim + 1) * sizeof(float));
    if (*x == NULL || *z == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        memcpy(*x + i * w, table_row(s->t, i), w * sizeof(float));
    return detector_embed(s->d, *x, n, *z);
}
