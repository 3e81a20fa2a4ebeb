/*
 * Class memory and the open-set decision: what a model remembers about each
 * class in embedding space, and how a flow's embedding becomes a known
 * class, a newly enrolled class, or `unknown`.
 *
 * Every class keeps one or more prototypes (points in the embedding space;
 * several for multi-modal classes such as benign traffic), each prototype
 * with its own radius. The distance of an embedding z to a class is the
 * Euclidean distance to the nearest of its prototypes; its ratio is the
 * smallest distance / radius over the class's prototypes, and z is inside
 * the class when that ratio is at most 1. A flow takes the nearest class
 * (by distance) among those it is inside; outside every class it is
 * unknown. One exception keeps a broad benign class from absorbing
 * attacks: a flow is benign only when that benign class is the nearest
 * class of all; inside it but nearer to another class it is unknown.
 * Its score is the ratio of the class it took, or, for an unknown flow,
 * the smallest ratio over all classes (or the nearer attack class's
 * ratio when benign was refused): a score above 1 means "outside".
 *
 * Radii come from held-out rows of each class: each held-out row goes to
 * its class's nearest prototype; a prototype's radius is its median row
 * distance times one tail factor per class, the coverage quantile of all
 * the class's held-out distances divided by their prototype's median.
 * Benign radii are then scaled so that the fraction of held-out benign
 * rows that would raise an alert (decided as anything but a benign class)
 * is at most a target false-alarm rate; the rate achieved is kept. A
 * reservoir of benign calibration embeddings stays in the memory so that
 * enrolment and forgetting can measure that rate again with no access to
 * the training data.
 *
 * Glossary: dim = embedding size, n_in = encoded input columns, z = one
 * embedding (dim floats), proto = prototype.
 *
 * Ownership: a memo owns its classes and every array in them; memo_destroy
 * frees them. Read-only use (decisions) is thread-safe; changes are not.
 */
#ifndef FEWFLOW_DETECT_H
#define FEWFLOW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"

#define MEMO_CLASS_BENIGN 1u    /* flows of this class raise no alert */
#define MEMO_CLASS_ENROLLED 2u  /* added after training from a few flows */

#define MEMO_MAX_CLASSES 4096
#define MEMO_MAX_PROTOS 256     /* per class */
#define MEMO_NAME_MAX 128       /* bytes in a class name */
#define MEMO_NEAR 3             /* nearest classes kept per decision */

struct memo_class {
    char *name;
    uint32_t flags;           /* MEMO_CLASS_* */
    uint32_t n_protos;
    float *protos;            /* n_protos × dim */
    float *radii;             /* n_protos, Euclidean, embedding units */
    float radius;             /* the largest of radii (for display) */
    float tail;               /* radii / typical spread of the prototype:
                                 ratio · tail is the threshold-free novelty
                                 (distance in units of the median spread) */
    uint64_t n_support;       /* rows the prototypes were built from */
    uint64_t n_calib;         /* held-out rows behind the radius; 0 = rule */
    float *x_mean;            /* n_in: mean normalised input of support */
};

#define MEMO_DIGEST_BYTES 32    /* SHA-256 of the encoder */

/*
 * The space the memory's vectors live in. Everything in the memory
 * (prototypes, radii, reservoir, K-shot figures) is in that space, and
 * `dim` is its width; "embedding" and z elsewhere in this header mean a
 * vector of that space.
 */
enum memo_space {
    MEMO_SPACE_Z,             /* the encoder's embedding (the default) */
    MEMO_SPACE_X,             /* the normalised input alone */
    MEMO_SPACE_XZ,            /* [a·x, z], a = x_scale (memo_space_scale) */
    MEMO_SPACES
};

/* From this many flows on, enrolment calibrates like training does. */
#define MEMO_ENROLL_CALIBRATE 40

struct memo {
    uint32_t dim;
    uint32_t n_in;
    size_t n_classes;
    size_t cap_classes;
    struct memo_class *cls;
    float benign_fpr_target;  /* the false-alarm rate asked for */
    float benign_fpr;         /* achieved on the benign reservoir */
    float coverage;           /* quantile of own held-out rows per radius */
    uint32_t n_reservoir;
    float *reservoir;         /* n_reservoir × dim benign held-out z */
    /* Measured on the known attack classes' held-out rows (memo_kshot_fit),
     * indexed by K (1 .. MEMO_ENROLL_CALIBRATE − 1; 0 = not measured):
     * the median over classes of the coverage quantile of a class row's
     * distance to the nearest of K random flows of its class (abs), and
     * of that quantile divided by those K flows' own spread (rel). */
    float kshot_abs[MEMO_ENROLL_CALIBRATE];
    float kshot_rel[MEMO_ENROLL_CALIBRATE];
    /* The encoder the prototypes were embedded with (model.h's
     * model_encoder_digest), set by whoever stores the memory in a model;
     * has_encoder 0 for a memory read from a section written before the
     * binding existed, which is then taken on trust. */
    uint32_t has_encoder;
    uint8_t encoder[MEMO_DIGEST_BYTES];
    /* What a memory vector is made of (space.c): the space, the weight a
     * of the normalised input in MEMO_SPACE_XZ (1 otherwise) and the
     * encoder's width (dim itself in MEMO_SPACE_Z, 0 in MEMO_SPACE_X). */
    uint32_t space;
    float x_scale;
    uint32_t z_dim;
};

/* How an embedding relates to one class. */
struct memo_eval {
    float dist;               /* to the nearest prototype */
    float ratio;              /* smallest distance / radius */
    float radius;             /* radius of the prototype giving ratio */
};

struct memo_match {
    int32_t cls;              /* class index */
    float dist;               /* to the class's nearest prototype */
    float ratio;              /* the class's smallest distance / radius:
                                 <= 1 when the class holds the flow */
};

struct memo_decision {
    int32_t cls;              /* decided class, -1 = unknown */
    float dist;               /* to the prototype behind the score, in
                                 the decided class (for unknown, the class
                                 below); dist <= radius iff it holds */
    float radius;             /* of the prototype behind the score */
    float score;              /* a ratio, see the header comment; for an
                                 unknown flow that benign refused, the
                                 ratio of the nearer attack class, else the
                                 smallest ratio */
    uint8_t held;             /* some class's radius holds the flow; for
                                 an unknown flow, a benign class that may
                                 not take it (a nearer class, or the
                                 flow-kind rule in support.h) */
    uint32_t n_near;
    struct memo_match near[MEMO_NEAR];  /* nearest classes, ascending */
    float head_prob;          /* the adapted head's probability of cls
                                 (mhead.h); NAN without a head */
};

/* An empty memory. NULL (err_set) on failure or a zero dimension. */
struct memo *memo_create(uint32_t dim, uint32_t n_in);
void memo_destroy(struct memo *m);

/* Whether two class names are the same class: equal with ASCII letters
 * case-folded ("DDoS" and "ddos" are; "É" and "é" are not). */
int memo_names_collide(const char *a, const char *b);

/* The index of the class named exactly name, else of the one whose name
 * collides with it, or -1. */
int32_t memo_class_find(const struct memo *m, const char *name);

/* 1 and the first pair (*a < *b) when two classes' names collide (a
 * memory written before names were folded), else 0. */
int memo_names_clash(const struct memo *m, size_t *a, size_t *b);

/* Number of classes whose flags include MEMO_CLASS_BENIGN. */
size_t memo_benign_count(const struct memo *m);

/*
 * Adds a class with n_protos prototypes (copied), all with one radius
 * (memo_class_set_radii changes them one by one). x_mean may
 * be NULL (zeros are stored). Returns the new index, or ERR_INVALID (empty
 * or over-long name, duplicate name, bad count or non-finite value),
 * ERR_RANGE (too many classes) or ERR_NOMEM.
 */
int memo_class_add(struct memo *m, const char *name, uint32_t flags,
                   const float *protos, uint32_t n_protos, float radius,
                   const float *x_mean);

/* Sets the radii of class c (n_protos values, finite, ≥ 0). */
void memo_class_set_radii(struct memo *m, size_t c, const float *radii);

/* Multiplies every radius of class c by f. */
void memo_class_scale_radii(struct memo *m, size_t c, float f);

/* Removes a class by name. Returns 0 or ERR_NOTFOUND. */
int memo_class_forget(struct memo *m, const char *name);

/* Distance from z to every class: dist holds n_classes floats. */
void memo_distances(const struct memo *m, const float *z, float *dist);

/* Distance, ratio and radius for every class (n_classes entries). */
void memo_evaluate(const struct memo *m, const float *z,
                   struct memo_eval *ev);

/* The decision from per-class evaluations (n_classes entries). */
void memo_decide_from(const struct memo *m, const struct memo_eval *ev,
                      struct memo_decision *out);

/* The open-set decision for one embedding. */
void memo_decide(const struct memo *m, const float *z,
                 struct memo_decision *out);

/*
 * Decisions for n embeddings (row-major n × dim) at once; faster than
 * memo_decide in a loop because prototypes are compared as a matrix
 * product. scratch must hold memo_batch_scratch(m, n) floats.
 */
size_t memo_batch_scratch(const struct memo *m, size_t n);
void memo_decide_batch(const struct memo *m, const float *z, size_t n,
                       float *scratch, struct memo_decision *out);

/* Replaces the benign reservoir with n embeddings (copied). 0 or ERR_*. */
int memo_reservoir_set(struct memo *m, const float *z, size_t n);

/* Serialisation into a model-file section (includes its own CRC-32). */
int memo_write(const struct memo *m, struct bytes_writer *w);
/* Reads what memo_write wrote; a damaged or foreign section gives NULL
 * with err_set naming `what` (a file name) and the byte offset. */
struct memo *memo_read(const void *data, size_t len, const char *what);
/* The encoder binding as MEMO and HEAD sections store it: u8 has_encoder
 * and the digest (zeros when there is none). */
struct bytes_writer;
void memo_put_encoder(struct bytes_writer *w, const struct memo *m);

/* Whether m was built with the encoder whose digest is given: 0 when it
 * was or when m records none (an older section); otherwise ERR_FORMAT
 * with one line naming `what`, the MEMO section and the digest's offset
 * in it. */
int memo_check_encoder(const struct memo *m,
                       const uint8_t digest[MEMO_DIGEST_BYTES],
                       const char *what);

/* ---- the memory's space (space.c) ---- */

/* "z", "x", "xz"; "?" for anything else. */
const char *memo_space_name(enum memo_space s);

/* The space named v, as memo_space_name spells it: 0 or ERR_INVALID. */
int memo_space_parse(const char *v, enum memo_space *out);

/* The width of a memory vector of space s (0 for an unknown space). */
uint32_t memo_space_dim(enum memo_space s, uint32_t n_in, uint32_t z_dim);

/*
 * The weight a of the input part of MEMO_SPACE_XZ: sqrt(Σ_j var(z_j) /
 * Σ_j var(x_j)) over n rows (population variances), so that both parts
 * have the same mean squared distance between two of the rows. 1 when
 * either sum is 0 or not finite, or n < 2.
 */
float memo_space_scale(const float *x, uint32_t n_in, const float *z,
                       uint32_t z_dim, size_t n);

/* Makes m a memory of space s: m->dim must be memo_space_dim(s, m->n_in,
 * z_dim) and x_scale finite and > 0 (ERR_INVALID otherwise). */
int memo_space_set(struct memo *m, enum memo_space s, float x_scale,
                   uint32_t z_dim);

/* Memory vectors of n rows into out (n × m->dim) from the normalised
 * inputs x (n × m->n_in) and the encoder's embeddings z (n × m->z_dim;
 * not read, and may be NULL, in MEMO_SPACE_X). */
void memo_space_map(const struct memo *m, const float *x, const float *z,
                    size_t n, float *out);

/* ---- building and calibrating (calibrate.c) ---- */

struct memo_fit_opts {
    uint32_t n_protos;        /* prototypes per class (k-means when > 1) */
    uint32_t benign_protos;   /* prototypes for benign classes */
    float coverage;           /* own held-out rows inside the radius */
    float kshot_coverage;     /* the same for a class enrolled from fewer
                                 than MEMO_ENROLL_CALIBRATE flows: the
                                 quantile of kshot_abs and kshot_rel */
    float benign_fpr;         /* target false-alarm rate on benign rows */
    uint32_t max_reservoir;   /* benign held-out embeddings kept */
    uint64_t seed;
    enum memo_space space;    /* where detector_fit_memo builds it */
};

void memo_fit_opts_default(struct memo_fit_opts *o);

/*
 * Prototypes of one class from `n` fit embeddings (n × dim): the mean when
 * k == 1, else k-means++ seeded then Lloyd iterations. Writes k × dim into
 * protos and returns the number of prototypes made (≤ k; fewer when there
 * are fewer distinct rows), or a negative ERR_*.
 */
int memo_kmeans(const float *z, size_t n, uint32_t dim, uint32_t k,
                uint64_t seed, float *protos);

/* The q-quantile (0..1, linear interpolation) of n values; sorts v. */
float memo_quantile(float *v, size_t n, float q);

/*
 * Builds a memory from labelled embeddings. fit rows make prototypes, calib
 * rows the radii; both are n × dim with class ids into names[0..n_names).
 * is_benign[c] marks benign classes. x_fit (n_fit × m->n_in, may be NULL)
 * gives the normalised inputs for x_mean. Classes with no calibration rows
 * take their radius from the fit rows. Returns 0 or ERR_*.
 */
struct memo_labelled {
    const float *z;
    const int32_t *y;
    size_t n;
};
int memo_fit(struct memo *m, const char *const *names, size_t n_names,
             const int *is_benign, const struct memo_labelled *fit,
             const struct memo_labelled *calib, const float *x_fit,
             const struct memo_fit_opts *o);

/*
 * Sets benign radii so that at most `target` of the reservoir rows are
 * decided non-benign, when the classes' layout allows it (rows nearer to
 * an attack class alert whatever the radii); stores the target and the
 * rate achieved. Returns 0, or ERR_STATE when there is no benign class or
 * reservoir.
 */
int memo_calibrate_benign(struct memo *m, float target);

/* The fraction of reservoir rows decided as something other than benign
 * (0 when the reservoir is empty). */
float memo_benign_fpr(const struct memo *m);

/*
 * Enrolment: adds class `name` from k support embeddings (k × dim) with no
 * retraining. Below MEMO_ENROLL_CALIBRATE flows, up to max_protos support
 * rows become prototypes as they are (exemplars; k-means beyond that) and
 * the radius follows memo_enroll_radius_rule (o->rule; every rule falls
 * back to memo_enroll_radius in a memory without K-shot figures). From
 * MEMO_ENROLL_CALIBRATE flows on, every other flow builds max_protos
 * k-means prototypes and the rest calibrate their radii at the memory's
 * coverage, as for training classes, but never below the radius the rule
 * above gives MEMO_ENROLL_CALIBRATE - 1 of the flows (evenly spaced).
 * A benign class from fewer flows takes no prior: its radius is at most
 * twice the median nearest-neighbour distance among the stored benign
 * rows (a wide benign radius would hide attacks).
 * x (k × n_in, may be NULL) gives x_mean. The benign false-alarm rate on
 * the reservoir is then measured again and stored: a class enrolled on
 * benign ground raises it, and `classes` shows it.
 */
enum memo_radius_rule {
    MEMO_RADIUS_KSHOT,        /* kshot_abs[K] */
    MEMO_RADIUS_KSHOT_REL,    /* kshot_rel[K] × the support's spread */
    MEMO_RADIUS_KSHOT_GEO,    /* geometric mean of the two above (default,
                                 chosen on leave-two-out folds of the
                                 training classes, bench/RESULTS.md) */
    MEMO_RADIUS_PRIOR,        /* memo_enroll_radius (the first rule) */
    MEMO_RADIUS_RULES
};

struct memo_enroll_opts {
    uint32_t max_protos;
    float prior_weight;       /* pseudo-count of the prior radius */
    enum memo_radius_rule rule;   /* radius of an attack class from
                                     fewer than MEMO_ENROLL_CALIBRATE */
    int is_benign;
    uint64_t seed;
};
void memo_enroll_opts_default(struct memo_enroll_opts *o);

/* Growth of an enrolled class from unlabelled context (grow.h). */
struct memo_grow_opts {
    uint32_t k;               /* neighbours of the graph; 0 = no growth */
    uint32_t links;           /* member links a row needs to join */
    int as_flows;             /* 0: every member an exemplar with the
                                 labelled flows' radius; 1: the members
                                 enrolled as ordinary flows */
    float local;              /* > 0 (exemplars): member i's radius is
                                 min(radius, local × its distance to its
                                 k-th nearest context row) */
    int cover;                /* with local: growth not capped; at most
                                 MEMO_MAX_PROTOS centres chosen farthest
                                 first cover the members, each centre's
                                 radius holding its members' own radii */
};
struct memo_context;

int memo_enroll(struct memo *m, const char *name, const float *z, size_t k,
                const float *x, const struct memo_enroll_opts *o);

/*
 * The radius rule for a class known from k flows. The prior r_prior is
 * the typical radius in this space: the median over the calibrated attack
 * classes of their median prototype radius. With k ≥ 2 the support itself
 * gives r_loo, twice the median distance from a support flow to its
 * nearest other one; the two are pooled as (k·r_loo + w·r_prior) / (k + w)
 * with w = prior_weight (default 20: measured on cic-ids2017, the prior
 * alone beats any rule built from 5 or 10 flows, see bench/RESULTS.md).
 * With k = 1 or no calibrated class the one estimate that exists is used;
 * with neither, half the distance to the nearest prototype in memory.
 */
float memo_enroll_radius(const struct memo *m, const float *z, size_t k,
                         float prior_weight);

/*
 * Measures kshot_abs and kshot_rel (see struct memo) from held-out rows:
 * for each non-benign class with at least K + 16 of them and each K, 8
 * seeded draws of K support rows, the `coverage` quantile of the distance
 * from up to 256 other rows to the nearest support row. The median over
 * classes is stored. memo_fit calls it with o->kshot_coverage. 0 or
 * ERR_NOMEM.
 */
int memo_kshot_fit(struct memo *m, const struct memo_labelled *calib,
                   const int *is_benign, size_t n_names, float coverage,
                   uint64_t seed);

/* The radius an attack class enrolled from k flows gets under rule. */
float memo_enroll_radius_rule(const struct memo *m, const float *z,
                              size_t k, const struct memo_enroll_opts *o);

/* ---- open-set evaluation (openset.c) ---- */

#define OPENSET_MAX_SHOTS 8
#define OPENSET_MAX_NOVEL 256   /* novel classes evaluated */

struct openset_opts {
    uint32_t shots[OPENSET_MAX_SHOTS];
    uint32_t n_shots;
    uint32_t trials;          /* random support draws per class and shot */
    uint64_t seed;
    /* 0: each novel class is enrolled alone, so the other novel classes'
     * rows can only be unknown or taken by it; 1: all novel classes are
     * enrolled together (each from its own K rows, the same draws as
     * alone) and compete for their rows. */
    int together;
    /* > 0: after each enrolment an adapted head (mhead.h) is fitted over
     * the memory with this step size and chooses among the classes that
     * hold a flow, as detect does for MAML-family models; 0: none. */
    float head_lr;
    struct memo_enroll_opts enroll;
    /* The connection rule (conn.h) over the test rows, or NULL (off):
     * conn_pred[i] is the row that row i continues (-1: none) and
     * conn_order the rows by start time. Every row, support rows too, is
     * decided by the memory, then the verdicts follow the chains; scores
     * (AUROC) stay each row's own. */
    const int32_t *conn_pred;
    const size_t *conn_order;
    /* NULL: every test row is scored and a class's supports are drawn
     * from all its rows. Else per test row an OPENSET_ROLE_*: supports
     * come from the class's context rows, and only scored rows count in
     * any figure (AUROC and benign FPR too). */
    const uint8_t *role;
    /* Growth (grow.h) from unlabelled context, or NULL: context row c is
     * test row ctx_rows[c], test row i is context row ctx_of[i] (-1: not
     * in it). Only the figures read the labels of the grown rows. */
    const struct memo_context *context;
    const int32_t *ctx_of;
    const int32_t *ctx_rows;
    struct memo_grow_opts grow;
};

enum { OPENSET_ROLE_SCORED, OPENSET_ROLE_CONTEXT, OPENSET_ROLE_IDLE };

void openset_opts_default(struct openset_opts *o);

/*
 * Splits n test rows once into context and scored rows (role, n
 * entries) for an evaluation whose enrolment may read unlabelled rows:
 * a row's side is a seeded hash of its key (e.g. its table row), and a
 * row that continues a connection (pred[i] >= 0; order lists a row after
 * the row it continues; pred NULL: none) takes the side of the row it
 * continues, so that a connection lies on one side. Beyond cap context
 * rows a seeded sample of cap is kept and the rest are idle. 0 or
 * ERR_NOMEM.
 */
int openset_split(const int32_t *pred, const size_t *order,
                  const size_t *keys, size_t n, uint64_t seed, size_t cap,
                  uint8_t *role);

/* Where an enrolled class's missed rows went (openset_cell.missed). */
enum {
    OPENSET_MISS_UNKNOWN,     /* outside every radius */
    OPENSET_MISS_BENIGN,      /* a benign class */
    OPENSET_MISS_KNOWN,       /* a known attack class */
    OPENSET_MISS_ENROLLED,    /* another enrolled class (together only) */
    OPENSET_MISS_KINDS
};

/* Where a grown row came from (openset_cell.grown_from). */
enum {
    OPENSET_FROM_OWN,         /* the enrolled class itself */
    OPENSET_FROM_NOVEL,       /* another novel class */
    OPENSET_FROM_BENIGN,
    OPENSET_FROM_KNOWN,       /* a known attack class */
    OPENSET_FROM_KINDS
};

/* One class at one shot, means over trials. precision + false_novel +
 * false_known = 1 when the class took any row; recall + the missed
 * fractions = 1. */
struct openset_cell {
    double precision, recall;
    double precision_sd, recall_sd;     /* over the trials' draws */
    double missed[OPENSET_MISS_KINDS];  /* fractions of the class's rows */
    double false_novel;       /* of the rows it took: other novel classes */
    double false_known;       /* of the rows it took: known classes */
    /* With a role array: scored benign rows the class took (fraction);
     * with growth: rows grown, and how many of them were of the class
     * itself, another novel class, benign, a known attack. */
    double benign_taken;
    double grown, grown_from[OPENSET_FROM_KINDS];
};

struct openset_report {
    double auroc;             /* novel (positive) vs known test rows */
    double auroc_ratio;       /* the same with the decision's ratio (min
                                 distance / radius) as the score */
    double benign_fpr;        /* benign test rows decided non-benign */
    double unknown_recall;    /* novel rows decided unknown, no enrolment */
    double known_accuracy;    /* known test rows decided as their class */
    size_t conn_base_changed; /* base decisions the connection rule
                                 changed (0 without it) */
    size_t n_known, n_novel_rows, n_benign;
    size_t n_novel;           /* novel classes */
    uint32_t n_shots;
    uint32_t shots[OPENSET_MAX_SHOTS];
    /* n_novel × n_shots, means over trials (NAN when a class had too few
     * rows for that shot); malloc'd, freed by openset_report_fini. */
    double *precision;
    double *recall;
    int32_t *novel_ids;       /* class ids (into the test set's names) */
    struct openset_cell *cells;   /* n_novel × n_shots, the same means
                                     with the errors' breakdown */
};

void openset_report_fini(struct openset_report *r);

/*
 * Open-set evaluation on embeddings. base holds the known classes; test
 * rows carry class ids, and known_of[id] is the memory index of a known
 * class or -1 for a novel one. (a) AUROC of the novelty score (smallest
 * distance / radius) for novel versus known rows; (b) for every novel
 * class with more than K rows, enrol it from K random rows (alone, or
 * with all other novel classes, o->together) and measure precision and
 * recall of that class on all other test rows, with where its misses and
 * false alarms came from; support rows are never scored; (c) benign
 * false-alarm rate of the base memory. base is changed during the run and
 * restored. Returns 0 or ERR_*.
 */
int openset_eval(struct memo *base, const struct memo_labelled *test,
                 const int32_t *known_of, size_t n_ids,
                 const struct openset_opts *o, struct openset_report *out);

/* The threshold-free novelty of z: the smallest over classes of ratio ·
 * tail, i.e. distance in units of each prototype's median spread. */
float memo_novelty(const struct memo *m, const struct memo_eval *ev);

/* Area under the ROC curve of scores for positives vs negatives (ties
 * count one half; Mann-Whitney). NAN when either side is empty. */
double openset_auroc(const float *score, const uint8_t *positive, size_t n);

#endif
