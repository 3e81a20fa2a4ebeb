#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/eval_print.h"
#include "fewflow/evalstats.h"

static const char *const stat_names[3] = { "learner", "knn1", "logreg" };

static const char *class_name(const struct eval_run *r, size_t c)
{
    return r->test->class_names[r->sampler.class_ids[c]];
}

static void print_confusion(const struct eval_run *r,
                            const struct eval_stats *s)
{
    printf("confusion matrix (rows: true class, columns: predicted, in the "
           "order above)\n");
    for (size_t t = 0; t < s->n_classes; t++) {
        printf("  %-20.20s", class_name(r, t));
        for (size_t p = 0; p < s->n_classes; p++)
            printf(" %7llu",
                   (unsigned long long)s->confusion[t * s->n_classes + p]);
        printf("\n");
    }
}

static void print_baselines(const struct eval_run *r)
{
    const struct eval_stats *ls = &r->res.stats[META_EVAL_LEARNER];

    printf("baselines on the same episodes (raw normalised features)\n");
    for (int b = 1; b < r->res.n_stats; b++) {
        const struct eval_stats *bs = &r->res.stats[b];
        double acc, ci, diff, dci;

        eval_mean_ci95(bs->acc, bs->n_episodes, &acc, &ci);
        eval_paired_ci95(ls->acc, bs->acc, ls->n_episodes, &diff, &dci);
        printf("  %-7s accuracy %.4f ± %.4f  learner − %s %+.4f ± %.4f\n",
               stat_names[b], acc, ci, stat_names[b], diff, dci);
    }
}

int eval_print_text(const struct eval_args *a, const struct eval_run *r)
{
    const struct eval_stats *s = &r->res.stats[META_EVAL_LEARNER];
    double acc, ci;

    eval_mean_ci95(s->acc, s->n_episodes, &acc, &ci);
    printf("model %s: %s (rule %s), protocol %s\n", a->model,
           r->m->rec.method, r->l->arch.rule, r->m->rec.protocol);
    if (meta_record_init_scale(r->m) != 1.0f)
        printf("encoder init scale x%.4f\n",
               (double)meta_record_init_scale(r->m));
    printf("%zu-way %zu-shot, %zu queries, %zu episodes, seed %llu\n",
           a->o.way, a->o.shot, a->o.query, s->n_episodes,
           (unsigned long long)a->o.seed);
    printf("accuracy %.4f ± %.4f (95%% CI)  macro-F1 %.4f\n", acc, ci,
           eval_macro_f1(s));
    printf("per-class recall\n");
    for (size_t c = 0; c < s->n_classes; c++)
        printf("  %-20.20s %.4f\n", class_name(r, c), eval_recall(s, c));
    print_confusion(r, s);
    if (r->res.n_stats > 1)
        print_baselines(r);
    return 0;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        printf("null");
}

static void json_per_class(const struct eval_run *r,
                           const struct eval_stats *s)
{
    printf(",\"per_class\":{");
    for (size_t c = 0; c < s->n_classes; c++) {
        double rec = eval_recall(s, c), pre = eval_precision(s, c);

        printf(c ? "," : "");
        json_str(class_name(r, c));
        printf(":{\"recall\":");
        json_num(rec);
        printf(",\"precision\":");
        json_num(pre);
        printf("}");
    }
    printf("},\"confusion\":[");
    for (size_t t = 0; t < s->n_classes; t++) {
        printf(t ? ",[" : "[");
        for (size_t p = 0; p < s->n_classes; p++)
            printf(p ? ",%llu" : "%llu",
                   (unsigned long long)s->confusion[t * s->n_classes + p]);
        printf("]");
    }
    printf("]");
}

static void json_baselines(const struct eval_run *r)
{
    const struct eval_stats *ls = &r->res.stats[META_EVAL_LEARNER];

    printf(",\"baselines\":{");
    for (int b = 1; b < r->res.n_stats; b++) {
        const struct eval_stats *bs = &r->res.stats[b];
        double acc, ci, diff, dci;

        eval_mean_ci95(bs->acc, bs->n_episodes, &acc, &ci);
        eval_paired_ci95(ls->acc, bs->acc, ls->n_episodes, &diff, &dci);
        printf("%s\"%s\":{\"accuracy\":", b > 1 ? "," : "", stat_names[b]);
        json_num(acc);
        printf(",\"ci95\":");
        json_num(ci);
        printf(",\"macro_f1\":");
        json_num(eval_macro_f1(bs));
        printf(",\"diff\":");
        json_num(diff);
        printf(",\"diff_ci95\":");
        json_num(dci);
        printf("}");
    }
    printf("}");
}

int eval_print_json(const struct eval_args *a, const struct eval_run *r)
{
    const struct eval_stats *s = &r->res.stats[META_EVAL_LEARNER];
    double acc, ci;

    eval_mean_ci95(s->acc, s->n_episodes, &acc, &ci);
    printf("{\"model\":");
    json_str(a->model);
    printf(",\"method\":");
    json_str(r->m->rec.method ? r->m->rec.method : "");
    printf(",\"rule\":");
    json_str(r->l->arch.rule);
    printf(",\"init_scale\":");
    json_num(meta_record_init_scale(r->m));
    printf(",\"protocol\":");
    json_str(r->m->rec.protocol ? r->m->rec.protocol : "");
    printf(",\"way\":%zu,\"shot\":%zu,\"query\":%zu,\"episodes\":%zu,"
           "\"seed\":%llu,\"accuracy\":", a->o.way, a->o.shot, a->o.query,
           s->n_episodes, (unsigned long long)a->o.seed);
    json_num(acc);
    printf(",\"ci95\":");
    json_num(ci);
    printf(",\"macro_f1\":");
    json_num(eval_macro_f1(s));
    printf(",\"classes\":[");
    for (size_t c = 0; c < s->n_classes; c++) {
        printf(c ? "," : "");
        json_str(class_name(r, c));
    }
    printf("]");
    json_per_class(r, s);
    if (r->res.n_stats > 1)
        json_baselines(r);
    printf("}\n");
    return 0;
}
