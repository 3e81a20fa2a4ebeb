/*
 * Training support by flow kind: what kinds of flow the model learnt from,
 * so that detect does not let it judge flows it never saw.
 *
 * A flow's kind is its protocol family (TCP, UDP, ICMP incl. ICMPv6, other)
 * and its shape: two-way (packets both ways), one-way (several packets,
 * none back) or single (one packet). The shape matters because it decides
 * which features exist at all: a one-way flow has every backward feature at
 * 0, a single packet has no gap, duration or rate. An embedding learnt
 * without such rows places them anywhere, inside the benign class among
 * others (measured: every single-packet UDP reflection of the ISAKMP
 * capture fell inside a benign prototype's radius).
 *
 * The kind is read from the model's raw feature columns (before the
 * normaliser), by name, the same way for CSV training rows and for flows
 * from captures; models without these columns have no support table and
 * none of the rules below apply.
 *
 * The rules (support_check), with n_min the smallest count that counts:
 *   - a family with under n_min rows in all classes together (ICMP: 3 of
 *     37,345 CIC-IDS2017 rows), and no rows in an enrolled class, is not
 *     judged: the flow gets the verdict "unjudged" (reported, low
 *     severity, not an alert);
 *   - a benign class may take a flow only when it has at least n_min rows
 *     of that flow's kind (a class with fewer rows in all: that many);
 *     otherwise the flow is unknown. Classes with no entry are not
 *     restricted. Enrolment adds the enrolled flows under the class.
 * Neither rule ever turns an attack or unknown verdict into benign.
 */
#ifndef FEWFLOW_SUPPORT_H
#define FEWFLOW_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"
#include "fewflow/detect.h"

enum support_family {
    SUPPORT_TCP, SUPPORT_UDP, SUPPORT_ICMP, SUPPORT_OTHER, SUPPORT_FAMILIES
};
enum support_shape {
    SUPPORT_TWO_WAY, SUPPORT_ONE_WAY, SUPPORT_SINGLE, SUPPORT_SHAPES
};
#define SUPPORT_KINDS (SUPPORT_FAMILIES * SUPPORT_SHAPES)
#define SUPPORT_MIN_DEFAULT 10

enum support_verdict {
    SUPPORT_OK,           /* the decision stands */
    SUPPORT_UNJUDGED,     /* the family is absent from training */
    SUPPORT_NO_BENIGN     /* benign verdict without benign rows of kind */
};

struct support;

/* Whether col_names[0..n_in) has every column the kind is read from. */
int support_columns_present(const char *const *col_names, size_t n_in);

/* An empty table over those columns; NULL when one is missing or out of
 * memory (ERR_NOMEM set). */
struct support *support_create(const char *const *col_names, size_t n_in);
void support_destroy(struct support *s);

/* The kind (family * SUPPORT_SHAPES + shape) of a raw, encoded row. */
int support_kind(const struct support *s, const float *x);
const char *support_kind_name(int kind);

/* Counts one training row of class `name`. Returns 0 or ERR_NOMEM. */
int support_add(struct support *s, const char *name, const float *x);

/* Replaces class `name`'s counts by those of n raw rows (n_in columns
 * each): enrolment's flows. Returns 0 or ERR_NOMEM. */
int support_add_rows(struct support *s, const char *name, const float *x,
                     size_t n, size_t n_in);

/* Drops class `name`'s counts (forget): a forgotten class no longer
 * vouches for its kinds. Returns 1 when it had an entry, else 0. */
int support_forget(struct support *s, const char *name);

/* Training rows of `kind` in class `name`, -1 when the class has no
 * entry; in all classes together when name is NULL. */
int64_t support_count(const struct support *s, const char *name, int kind);

/* The rule above for one decision; n_min 0 disables both rules. */
enum support_verdict support_check(const struct support *s,
                                   const struct memo *m, int kind,
                                   const struct memo_decision *dec,
                                   uint32_t n_min);

/* A sentence saying why verdict v (not SUPPORT_OK) applies to a flow of
 * this kind; a static string. */
const char *support_reason(enum support_verdict v, int kind);

/* The "KIND" section of a model file, with its own CRC-32. */
int support_write(const struct support *s, struct bytes_writer *w);
/* NULL on damage with err_set naming `what` and the byte offset. The
 * columns are looked up again in col_names. */
struct support *support_read(const void *data, size_t len,
                             const char *const *col_names, size_t n_in,
                             const char *what);

#endif
