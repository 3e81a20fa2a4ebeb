#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/eval_openset_impl.h"
#include "fewflow/err.h"

static const char *grow_as_names[] = { "exemplars", "flows", "local1",
                                       "local2", "cover1", "cover2" };

int cli_grow_as(const char *cmd, const char *v, struct memo_grow_opts *g)
{
    for (int i = 0; i < 6; i++) {
        if (strcmp(v, grow_as_names[i]) == 0) {
            g->as_flows = i == 1;
            g->local = i >= 2 ? (float)(1 + i % 2) : 0;
            g->cover = i >= 4;
            return 0;
        }
    }
    return cli_usage_error(cmd, "--grow-as wants exemplars, flows, local1, "
                           "local2, cover1 or cover2");
}

const char *cli_grow_as_name(const struct memo_grow_opts *g)
{
    if (g->as_flows || g->local <= 0)
        return grow_as_names[g->as_flows ? 1 : 0];
    return grow_as_names[(g->cover ? 4 : 2) + (g->local >= 2)];
}

void eval_context_fini(struct eval_context *c)
{
    free(c->role);
    free(c->ctx_of);
    free(c->ctx_rows);
    memo_context_fini(&c->graph);
    memset(c, 0, sizeof(*c));
}

int eval_context_setup(struct os_args *a, const struct memo *m,
                       const float *z, const size_t *table_rows, size_t n,
                       uint64_t seed)
{
    struct eval_context *c = &a->ctx;
    c->role = malloc(n + 1);
    c->ctx_of = malloc((n + 1) * sizeof(int32_t));
    c->ctx_rows = malloc((n + 1) * sizeof(int32_t));
    float *cz = NULL;
    int rc = c->role && c->ctx_of && c->ctx_rows ? 0 : ERR_NOMEM;
    if (rc == 0)
        rc = openset_split(a->conn.pred, a->conn.order, table_rows, n, seed,
                           MEMO_CONTEXT_MAX, c->role);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        c->ctx_of[i] = -1;
        if (c->role[i] == OPENSET_ROLE_CONTEXT) {
            c->ctx_of[i] = (int32_t)c->n_ctx;
            c->ctx_rows[c->n_ctx++] = (int32_t)i;
        }
        c->n_scored += c->role[i] == OPENSET_ROLE_SCORED;
        c->n_idle += c->role[i] == OPENSET_ROLE_IDLE;
    }
    if (rc == 0 && a->os.grow.k > 0 && c->n_ctx > 0) {
        cz = malloc(c->n_ctx * m->dim * sizeof(float));
        rc = cz ? 0 : ERR_NOMEM;
        for (size_t k = 0; rc == 0 && k < c->n_ctx; k++)
            memcpy(cz + k * m->dim, z + (size_t)c->ctx_rows[k] * m->dim,
                   m->dim * sizeof(float));
        if (rc == 0)
            rc = memo_context_build(&c->graph, m, cz, c->n_ctx,
                                    a->os.grow.k);
        a->os.context = rc == 0 ? &c->graph : NULL;
    }
    free(cz);
    if (rc == ERR_NOMEM)
        return err_set(rc, "eval: out of memory");
    a->os.role = c->role;
    a->os.ctx_of = c->ctx_of;
    a->os.ctx_rows = c->ctx_rows;
    return rc;
}
