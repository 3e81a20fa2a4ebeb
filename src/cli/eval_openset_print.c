#include <math.h>
#include <stdio.h>

#include "cli/eval_openset_impl.h"
#include "fewflow/alert.h"

void openset_print_text(const struct table *t,
                        const struct openset_report *r, const struct memo *m,
                        const struct os_args *a)
{
    const struct eval_conn *c = &a->conn;
    printf("open-set: AUROC %.4f (unknown vs known; %.4f with the decision "
           "score), benign false-alarm rate %.2f%% on %zu held-out benign "
           "rows (calibrated %.2f%%, target %.2f%%)\n", r->auroc,
           r->auroc_ratio, 100 * r->benign_fpr, r->n_benign,
           100.0 * m->benign_fpr, 100.0 * m->benign_fpr_target);
    printf("before enrolment: %.1f%% of novel rows unknown, %.1f%% of known "
           "rows to their class\n", 100 * r->unknown_recall,
           100 * r->known_accuracy);
    if (c->pred != NULL)
        printf("connections: %zu of %zu test rows continue an earlier row's "
               "TCP connection; %zu base decisions changed\n", c->n_linked,
               r->n_known + r->n_novel_rows, r->conn_base_changed);
    else
        printf("connections: rule off, each row judged alone\n");
    if (a->context_split)
        printf("context: %zu unlabelled rows (supports drawn from them), "
               "%zu rows scored, %zu idle; growth %s\n", a->ctx.n_ctx,
               a->ctx.n_scored, a->ctx.n_idle,
               a->os.grow.k > 0 ? "on" : "off");
    /* Each shot's block is 16 columns wide in all three lines, so that P
     * and R stand over their figures. */
    printf("%-24s", "enrolled class");
    for (uint32_t s = 0; s < r->n_shots; s++)
        printf("   K=%-11u", r->shots[s]);
    printf("\n%-24s", "");
    for (uint32_t s = 0; s < r->n_shots; s++)
        printf("   P     R      ");
    printf("\n");
    for (size_t j = 0; j < r->n_novel; j++) {
        printf("%-24s", t->class_names[r->novel_ids[j]]);
        for (uint32_t s = 0; s < r->n_shots; s++) {
            size_t at = j * r->n_shots + s;
            if (isnan(r->recall[at]))
                printf("     n/a   n/a  ");
            else
                printf("   %5.3f %5.3f  ", r->precision[at], r->recall[at]);
        }
        printf("\n");
    }
}

/* Mean over classes of one metric at shot s, skipping classes too small
 * for that shot. */
static double mean_at(const struct openset_report *r, const double *v,
                      uint32_t s)
{
    double sum = 0;
    size_t k = 0;
    for (size_t j = 0; j < r->n_novel; j++) {
        double x = v[j * r->n_shots + s];
        if (!isnan(x)) {
            sum += x;
            k++;
        }
    }
    return k ? sum / (double)k : NAN;
}

/* {"precision":p,"recall":q, left open for more members. */
static void json_pr(struct alert_buf *b, double p, double q)
{
    alert_buf_raw(b, "{\"precision\":", 13);
    alert_buf_json_num(b, p);
    alert_buf_raw(b, ",\"recall\":", 10);
    alert_buf_json_num(b, q);
}

/* Where a class's misses and false alarms came from: members of its
 * {"precision":..,"recall":..} object. */
static void json_where(struct alert_buf *b, const struct openset_cell *c)
{
    static const char *kinds[OPENSET_MISS_KINDS] = { "unknown", "benign",
                                                     "known", "enrolled" };
    alert_buf_raw(b, ",\"sd\":{\"precision\":", 19);
    alert_buf_json_num(b, c->precision_sd);
    alert_buf_raw(b, ",\"recall\":", 10);
    alert_buf_json_num(b, c->recall_sd);
    alert_buf_raw(b, "},\"missed\":{", 12);
    for (int k = 0; k < OPENSET_MISS_KINDS; k++) {
        alert_buf_printf(b, "%s\"%s\":", k ? "," : "", kinds[k]);
        alert_buf_json_num(b, c->missed[k]);
    }
    alert_buf_raw(b, "},\"false_from\":{\"novel\":", 24);
    alert_buf_json_num(b, c->false_novel);
    alert_buf_raw(b, ",\"known\":", 9);
    alert_buf_json_num(b, c->false_known);
    alert_buf_raw(b, "}", 1);
}

/* With --context-split: benign rows taken and, with growth, where the
 * grown rows came from (members of the same object). */
static void json_context_cell(struct alert_buf *b,
                              const struct openset_cell *c, int grow)
{
    static const char *kinds[OPENSET_FROM_KINDS] = { "own", "novel",
                                                     "benign", "known" };
    alert_buf_raw(b, ",\"benign_taken\":", 16);
    alert_buf_json_num(b, c->benign_taken);
    if (!grow)
        return;
    alert_buf_raw(b, ",\"grown\":{\"rows\":", 17);
    alert_buf_json_num(b, c->grown);
    for (int k = 0; k < OPENSET_FROM_KINDS; k++) {
        alert_buf_printf(b, ",\"%s\":", kinds[k]);
        alert_buf_json_num(b, c->grown_from[k]);
    }
    alert_buf_raw(b, "}", 1);
}

static void json_by_shot(struct alert_buf *b, const struct openset_report *r,
                         size_t j, int mean, const struct os_args *a)
{
    alert_buf_raw(b, "{", 1);
    for (uint32_t s = 0; s < r->n_shots; s++) {
        size_t at = j * r->n_shots + s;
        alert_buf_printf(b, "%s\"%u\":", s ? "," : "", r->shots[s]);
        if (mean) {
            json_pr(b, mean_at(r, r->precision, s),
                    mean_at(r, r->recall, s));
        } else {
            json_pr(b, r->precision[at], r->recall[at]);
            if (!isnan(r->recall[at]))
                json_where(b, &r->cells[at]);
            if (!isnan(r->recall[at]) && a->context_split)
                json_context_cell(b, &r->cells[at], a->os.grow.k > 0);
        }
        alert_buf_raw(b, "}", 1);
    }
    alert_buf_raw(b, "}", 1);
}

static void json_conn(struct alert_buf *b, const struct openset_report *r,
                      const struct eval_conn *c)
{
    alert_buf_printf(b, ",\"connections\":{\"rule\":%s,\"linkable_rows\":"
                     "%zu,\"linked_rows\":%zu,\"base_changed\":%zu}",
                     c->pred ? "true" : "false", c->n_linkable, c->n_linked,
                     r->conn_base_changed);
}

static void json_context(struct alert_buf *b, const struct os_args *a)
{
    const struct memo_grow_opts *g = &a->os.grow;
    alert_buf_printf(b, ",\"context\":{\"rows\":%zu,\"scored_rows\":%zu,"
                     "\"idle_rows\":%zu,\"grow\":%u", a->ctx.n_ctx,
                     a->ctx.n_scored, a->ctx.n_idle, g->k);
    if (g->k > 0)
        alert_buf_printf(b, ",\"links\":%u,\"grow_as\":\"%s\"", g->links,
                         cli_grow_as_name(g));
    alert_buf_raw(b, "}", 1);
}

void openset_print_json(const struct table *t,
                        const struct openset_report *r, const struct memo *m,
                        const struct os_args *a)
{
    struct alert_buf b;
    alert_buf_init(&b);
    alert_buf_raw(&b, "{\"auroc\":", 9);
    alert_buf_json_num(&b, r->auroc);
    alert_buf_raw(&b, ",\"auroc_ratio\":", 15);
    alert_buf_json_num(&b, r->auroc_ratio);
    alert_buf_raw(&b, ",\"benign_fpr\":", 14);
    alert_buf_json_num(&b, r->benign_fpr);
    alert_buf_printf(&b, ",\"benign_fpr_target\":%g,\"benign_fpr_"
                     "calibration\":%g,\"unknown_recall\":",
                     (double)m->benign_fpr_target, (double)m->benign_fpr);
    alert_buf_json_num(&b, r->unknown_recall);
    alert_buf_raw(&b, ",\"known_accuracy\":", 18);
    alert_buf_json_num(&b, r->known_accuracy);
    alert_buf_printf(&b, ",\"known_test_rows\":\"%s\",\"head\":%s",
                     a->known_unseen ? "encoder-unseen" : "random",
                     a->os.head_lr > 0 ? "true" : "false");
    /* Said only off the default, so that a default report keeps its
     * bytes. */
    if (m->space != MEMO_SPACE_Z)
        alert_buf_printf(&b, ",\"memory_space\":\"%s\",\"x_scale\":%g",
                         memo_space_name((enum memo_space)m->space),
                         (double)m->x_scale);
    alert_buf_printf(&b, ",\"rows\":{\"known\":%zu,\"novel\":%zu,\"benign\":"
                     "%zu},\"trials\":%u,\"enrolment\":\"%s\"",
                     r->n_known, r->n_novel_rows, r->n_benign, a->os.trials,
                     a->os.together ? "together" : "alone");
    json_conn(&b, r, &a->conn);
    if (a->context_split)
        json_context(&b, a);
    alert_buf_raw(&b, ",\"enrolled\":{", 13);
    for (size_t j = 0; j < r->n_novel; j++) {
        alert_buf_raw(&b, j ? "," : "", j ? 1 : 0);
        alert_buf_json_str(&b, t->class_names[r->novel_ids[j]]);
        alert_buf_raw(&b, ":", 1);
        json_by_shot(&b, r, j, 0, a);
    }
    alert_buf_raw(&b, "},\"mean\":", 9);
    json_by_shot(&b, r, 0, 1, a);
    alert_buf_raw(&b, "}\n", 2);
    if (!b.failed)
        fwrite(b.data, 1, b.len, stdout);
    alert_buf_fini(&b);
}
