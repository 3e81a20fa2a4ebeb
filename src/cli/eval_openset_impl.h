/*
 * `fewflow eval --openset`'s parts shared by its files: the parsed
 * arguments, the report printers and the context split
 * (--context-split, bench/RESULTS.md "Enrolment with unlabelled
 * context").
 */
#ifndef FEWFLOW_CLI_EVAL_OPENSET_IMPL_H
#define FEWFLOW_CLI_EVAL_OPENSET_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "cli/eval_conn.h"
#include "cli/openset.h"
#include "fewflow/detect.h"
#include "fewflow/grow.h"
#include "fewflow/table.h"

/* The test rows split once into a context half, whose rows are given to
 * enrolment unlabelled, and a scored half. */
struct eval_context {
    uint8_t *role;            /* per test row, OPENSET_ROLE_* */
    int32_t *ctx_of;          /* test row -> context row, or -1 */
    int32_t *ctx_rows;        /* context row -> test row */
    size_t n_ctx, n_scored, n_idle;
    struct memo_context graph;    /* built when growth is on */
};

struct os_args {
    const char *model, *out, *protocol;
    const char **data;
    size_t n_data;
    int json;
    int known_unseen;         /* known test rows are encoder-unseen */
    int no_head;              /* MAML-family: decide without the head */
    int no_conn;              /* no connection rule (conn.h) */
    int space_given;          /* --memory-space: else the model's */
    int context_split;        /* --context-split */
    struct eval_conn conn;
    struct eval_conn_rows conn_rows;   /* identities, kept as t loads */
    struct eval_context ctx;
    struct openset_memory_opts mem;
    struct openset_opts os;
};

void openset_print_text(const struct table *t,
                        const struct openset_report *r, const struct memo *m,
                        const struct os_args *a);
void openset_print_json(const struct table *t,
                        const struct openset_report *r, const struct memo *m,
                        const struct os_args *a);

/*
 * Splits the n test rows (table_rows[i]: row i's table row) by a seeded
 * hash of each TCP connection's first row (a->conn's chains; each row
 * alone without the rule), so that a connection lies on one side. Over
 * MEMO_CONTEXT_MAX context rows, a seeded sample of that many is kept
 * and the rest are idle. With growth on (a->os.grow.k > 0), builds the
 * context graph over the context rows' vectors z (n × m->dim). Points
 * a->os at the result. 0 or ERR_*.
 */
int eval_context_setup(struct os_args *a, const struct memo *m,
                       const float *z, const size_t *table_rows, size_t n,
                       uint64_t seed);
void eval_context_fini(struct eval_context *c);

/* --grow-as: exemplars, flows, local1, local2, cover1 or cover2 into
 * g; 0 or a usage error (2) for command cmd. */
int cli_grow_as(const char *cmd, const char *v, struct memo_grow_opts *g);
const char *cli_grow_as_name(const struct memo_grow_opts *g);

#endif
