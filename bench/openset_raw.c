/*
 * The class memory on normalised raw features (no encoder): the open-set
 * figures a learned embedding has to beat, and a quick way to tune the
 * memory's settings. Classes as in protocols/cic-ids2017.proto.
 *
 * usage: openset_raw DATA_DIR [benign_fpr] [protos] [benign_protos]
 *                    [prior_weight] [max_protos] [coverage]
 */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/data.h"
#include "fewflow/detect.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/normalizer.h"

static const char *train[] = { "BENIGN", "DDoS", "DoS Hulk", "DoS GoldenEye",
                               "Portscan" };
static const char *test[] = { "DoS Slowloris", "DoS Slowhttptest",
                              "FTP-Patator", "SSH-Patator", "Botnet" };

static float *gather(const struct table *t, const size_t *idx, size_t n,
                     int32_t *y, const int32_t *map)
{
    float *x = malloc((n * t->n_cols + 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        memcpy(x + i * t->n_cols, table_row(t, idx[i]),
               t->n_cols * sizeof(float));
        if (y)
            y[i] = map ? map[t->y[idx[i]]] : t->y[idx[i]];
    }
    return x;
}

int main(int argc, char **argv)
{
    char pat[4096];
    glob_t g;
    struct schema *s;
    struct table *t;
    struct data_options o;

    snprintf(pat, sizeof(pat), "%s/cic-ids2017-improved/*.csv.xz", argv[1]);
    glob(pat, 0, NULL, &g);
    data_options_init(&o);
    if (data_load((const char *const *)g.gl_pathv, g.gl_pathc, &o, &s, &t,
                  NULL) != 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 2;
    }
    struct memo_fit_opts fo;
    struct openset_opts oo;
    memo_fit_opts_default(&fo);
    openset_opts_default(&oo);
    if (argc > 2) fo.benign_fpr = (float)atof(argv[2]);
    if (argc > 3) fo.n_protos = (uint32_t)atoi(argv[3]);
    if (argc > 4) fo.benign_protos = (uint32_t)atoi(argv[4]);
    if (argc > 5) oo.enroll.prior_weight = (float)atof(argv[5]);
    if (argc > 6) oo.enroll.max_protos = (uint32_t)atoi(argv[6]);
    if (argc > 7) fo.coverage = (float)atof(argv[7]);

    int32_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = table_class_id(t, train[i]);
    struct normalizer *nz = normalizer_fit_classes(t, ids, 5, 1);
    normalizer_apply_table(nz, t);

    struct detector_split sp, nv;
    detector_split_rows(t, train, 5, 0.6, 0.2, 1, 1, &sp);
    detector_split_rows(t, test, 5, 0, 0, 1, 1, &nv);
    int32_t map[64];
    for (size_t c = 0; c < t->n_classes; c++) {
        map[c] = -1;
        for (int i = 0; i < 5; i++)
            if (strcmp(t->class_names[c], train[i]) == 0)
                map[c] = i;
    }
    int32_t *yf = malloc(sp.n_fit * 4), *yc = malloc(sp.n_calib * 4);
    float *xf = gather(t, sp.fit, sp.n_fit, yf, map);
    float *xc = gather(t, sp.calib, sp.n_calib, yc, map);
    int benign[5] = { 1, 0, 0, 0, 0 };
    struct memo *m = memo_create((uint32_t)t->n_cols, (uint32_t)t->n_cols);
    struct memo_labelled lf = { xf, yf, sp.n_fit }, lc = { xc, yc, sp.n_calib };
    memo_fit(m, train, 5, benign, &lf, &lc, xf, &fo);

    size_t n = sp.n_test + nv.n_fit + nv.n_calib + nv.n_test, k = 0;
    size_t *all = malloc(n * sizeof(size_t));
    memcpy(all + k, sp.test, sp.n_test * sizeof(size_t)); k += sp.n_test;
    memcpy(all + k, nv.fit, nv.n_fit * sizeof(size_t)); k += nv.n_fit;
    memcpy(all + k, nv.calib, nv.n_calib * sizeof(size_t)); k += nv.n_calib;
    memcpy(all + k, nv.test, nv.n_test * sizeof(size_t));
    int32_t *yt = malloc(n * 4);
    float *xt = gather(t, all, n, yt, NULL);
    int32_t known_of[64];
    for (size_t c = 0; c < t->n_classes; c++)
        known_of[c] = memo_class_find(m, t->class_names[c]);
    struct memo_labelled lt = { xt, yt, n };
    struct openset_report r;
    if (openset_eval(m, &lt, known_of, t->n_classes, &oo, &r) != 0) {
        fprintf(stderr, "%s\n", err_msg());
        return 1;
    }
    printf("auroc %.4f benign_fpr %.4f (calib %.4f) unknown_recall %.3f "
           "known_acc %.3f\n", r.auroc, r.benign_fpr, m->benign_fpr,
           r.unknown_recall, r.known_accuracy);
    for (size_t c = 0; c < m->n_classes; c++)
        printf("  memory %-16s protos %u radius %.3f\n", m->cls[c].name,
               m->cls[c].n_protos, m->cls[c].radius);
    for (uint32_t s2 = 0; s2 < r.n_shots; s2++) {
        double mp = 0, mr = 0;
        for (size_t j = 0; j < r.n_novel; j++) {
            const struct openset_cell *cl = &r.cells[j * r.n_shots + s2];
            printf("  K=%-2u %-18s P %.3f R %.3f  missed: unknown %.3f "
                   "benign %.3f known %.3f\n", r.shots[s2],
                   t->class_names[r.novel_ids[j]], cl->precision,
                   cl->recall, cl->missed[OPENSET_MISS_UNKNOWN],
                   cl->missed[OPENSET_MISS_BENIGN],
                   cl->missed[OPENSET_MISS_KNOWN]);
            mp += r.precision[j * r.n_shots + s2];
            mr += r.recall[j * r.n_shots + s2];
        }
        printf("K=%u mean P %.3f R %.3f\n", r.shots[s2], mp / r.n_novel,
               mr / r.n_novel);
    }
    return 0;
}
