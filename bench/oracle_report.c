/*
 * The tables of bench/openset_oracle.c: per stage the mean P / R of each
 * novel class over the draws, and the joint oracles (one trade-off
 * between R and P for every class and draw).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/oracle_run.h"

static const char *stage_names[N_STAGES] = {
    "model (eval)", "A: oracle radius, max P+R", "A: oracle radius, R at "
    "P>=.9", "nb: no benign competition, model radius", "A+nb, max P+R",
    "A+nb, R at P>=.9", "B: all rows, model radii", "B: all rows, max P+R",
    "B: all rows, R at P>=.9", "C: B+nb, model radii", "C: B+nb, max P+R",
    "C: B+nb, R at P>=.9", "", "L: all rows as exemplars (leave one "
    "out), max P+R", "L: R at P>=.9", "", "L+nb, max P+R",
    "L+nb, R at P>=.9" };

static const char *chain_names[N_CHAINS] = { "A", "A+nb", "B", "C", "L",
                                             "L+nb" };

static const char *short_name(const char *name)
{
    return strncmp(name, "DoS ", 4) == 0 ? name + 4 : name;
}

static size_t benign_rows(const struct run *u)
{
    size_t n = 0;
    for (size_t i = 0; i < u->s->n; i++)
        {
        int32_t k = u->s->known_of[u->s->y[i]];
        n += k >= 0 && (u->sp.m->cls[k].flags & MEMO_CLASS_BENIGN);
    }
    return n;
}

static void print_stage(const struct run *u, int st)
{
    double mp = 0, mr = 0, fpb = 0, fnb = 0;
    printf("| %s |", stage_names[st]);
    for (size_t j = 0; j < u->n_novel; j++) {
        const struct cell *c = &u->cells[st][j];
        double w = c->draws > 0 ? 1.0 / c->draws : 0;
        printf(" %.3f / %.3f |", c->p * w, c->r * w);
        mp += c->p * w / (double)u->n_novel;
        mr += c->r * w / (double)u->n_novel;
        fpb += c->fp_benign * w;
        fnb += c->fn_benign * w / (double)u->n_novel;
    }
    printf(" **%.3f / %.3f** | %.1f | %.3f |\n", mp, mr, fpb, fnb);
}

/* Mean P and R over classes when every draw takes the candidate with the
 * largest R + lam * P. */
static void joint_at(const struct run *u, int ch, double lam, double *cp,
                     double *cr, double *mp, double *mr)
{
    *mp = *mr = 0;
    for (size_t j = 0; j < u->n_novel; j++) {
        size_t nd = u->n_cv[ch][j];
        cp[j] = cr[j] = 0;
        for (size_t d = 0; d < nd; d++) {
            const struct curve *c = &u->cv[ch][j][d];
            size_t at = 0;
            for (size_t k = 1; k < c->n; k++)
                if (c->r[k] + lam * c->p[k] > c->r[at] + lam * c->p[at])
                    at = k;
            cp[j] += c->p[at] / (double)nd;
            cr[j] += c->r[at] / (double)nd;
        }
        *mp += cp[j] / (double)u->n_novel;
        *mr += cr[j] / (double)u->n_novel;
    }
}

/* The joint oracle of a chain: one trade-off lam for all classes and
 * draws (a grid from 1e-3 to 1e3), the one whose mean P and mean R have
 * the largest minimum: whether 0.90 / 0.90 is reachable at all. */
static void print_joint(const struct run *u, int ch, const char *label)
{
    double cp[MAX_EN], cr[MAX_EN], bp[MAX_EN], br[MAX_EN];
    double mp, mr, best = -1, bmp = 0, bmr = 0, blam = 0;
    for (int g = 0; g <= 400; g++) {
        double lam = pow(10, -3 + 6.0 * g / 400);
        joint_at(u, ch, lam, cp, cr, &mp, &mr);
        if ((mp < mr ? mp : mr) > best) {
            best = mp < mr ? mp : mr;
            bmp = mp;
            bmr = mr;
            blam = lam;
            memcpy(bp, cp, sizeof(bp));
            memcpy(br, cr, sizeof(br));
        }
    }
    printf("| %s, joint (lambda %.3g) |", label, blam);
    for (size_t j = 0; j < u->n_novel; j++)
        printf(" %.3f / %.3f |", bp[j], br[j]);
    printf(" **%.3f / %.3f** | | |\n", bmp, bmr);
}

/* Together: the trade-off whose ascent gave the largest min(mean P,
 * mean R). */
static void print_lam_joint(const struct run *u, int ch)
{
    double best = -1;
    int at = 0;
    for (int l = 0; l < N_LAMBDA; l++) {
        double mp = 0, mr = 0;
        for (size_t j = 0; j < u->n_novel; j++) {
            const struct cell *c = &u->lam_cells[ch][l][j];
            mp += c->p / c->draws / (double)u->n_novel;
            mr += c->r / c->draws / (double)u->n_novel;
        }
        if ((mp < mr ? mp : mr) > best) {
            best = mp < mr ? mp : mr;
            at = l;
        }
    }
    double mp = 0, mr = 0;
    printf("| %s, joint (lambda %g) |", chain_names[ch], ldexp(1, at - 3));
    for (size_t j = 0; j < u->n_novel; j++) {
        const struct cell *c = &u->lam_cells[ch][at][j];
        printf(" %.3f / %.3f |", c->p / c->draws, c->r / c->draws);
        mp += c->p / c->draws / (double)u->n_novel;
        mr += c->r / c->draws / (double)u->n_novel;
    }
    printf(" **%.3f / %.3f** | | |\n", mp, mr);
}

/* The multiplier of the grid whose mean P and R have the largest
 * minimum. */
static void print_grid(const struct run *u, int nb)
{
    double best = -1, mp[N_GRID] = { 0 }, mr[N_GRID] = { 0 };
    int at = 0;
    for (int g = 0; g < N_GRID; g++) {
        for (size_t j = 0; j < u->n_novel; j++) {
            const struct cell *c = &u->grid_cells[nb][g][j];
            mp[g] += c->p / c->draws / (double)u->n_novel;
            mr[g] += c->r / c->draws / (double)u->n_novel;
        }
        if ((mp[g] < mr[g] ? mp[g] : mr[g]) > best) {
            best = mp[g] < mr[g] ? mp[g] : mr[g];
            at = g;
        }
    }
    printf("| %s, one multiplier for every radius (%.1f) |",
           nb ? "A+nb" : "A", 0.5 + 0.1 * at);
    for (size_t j = 0; j < u->n_novel; j++) {
        const struct cell *c = &u->grid_cells[nb][at][j];
        printf(" %.3f / %.3f |", c->p / c->draws, c->r / c->draws);
    }
    printf(" **%.3f / %.3f** | | |\n", mp[at], mr[at]);
}

void oracle_print_run(const struct run *u, const char *mode)
{
    printf("\n%s space, %s, K=%d, %zu draws; %zu benign test rows\n\n",
           u->sp.name, mode, SHOT, u->trials, benign_rows(u));
    printf("| stage |");
    for (size_t j = 0; j < u->n_novel; j++)
        printf(" %s P / R |", short_name(u->s->t->class_names[u->novel[j]]));
    printf(" mean P / R | benign rows taken | to benign |\n|---|");
    for (size_t j = 0; j < u->n_novel + 3; j++)
        printf("---:|");
    printf("\n");
    for (int st = 0; st < N_STAGES; st++)
        if (stage_names[st][0] != '\0')
            print_stage(u, st);
    print_grid(u, 0);
    print_grid(u, 1);
    for (int ch = 0; ch < N_CHAINS && u->n_cv[0][0] > 0; ch++)
        print_joint(u, ch, chain_names[ch]);
    for (int ch = 0; ch < N_CHAINS && u->n_cv[0][0] == 0; ch++)
        print_lam_joint(u, ch);
    for (int ch = N_CHAINS; ch < N_CURVES && u->n_cv[0][0] > 0; ch++) {
        char label[64];
        int q = (ch - N_CHAINS) / 2, nb = (ch - N_CHAINS) % 2;
        snprintf(label, sizeof(label), "K = %zu exemplars%s",
                 oracle_curve_k[q], nb ? ", nb" : "");
        print_joint(u, ch, label);
    }
}
