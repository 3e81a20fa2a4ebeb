/*
 * A detector: a loaded model ready to turn flows into decisions. It joins
 * the model file's parts that detection needs: the data schema (how raw
 * columns become encoded columns), the normaliser, the learner's encoder
 * and the class memory ("MEMO" section, include/fewflow/detect.h).
 *
 * Rows go through: raw fields → schema encoding → normaliser → encoder →
 * embedding z → class memory decision. Every learner exposes an
 * embedding (learner_embed), so enrolment and the open-set decision work
 * the same way for every one; MAML-family models add an adapted head over the
 * memory's classes (mhead.h) that chooses among the classes holding a
 * flow.
 *
 * Loading goes through the meta module's embedder (embedder.h), so a
 * detector embeds exactly as evaluation does.
 *
 * Ownership: a detector owns everything it loaded; detector_destroy frees
 * it. Not thread-safe (the encoder keeps a workspace).
 */
#ifndef FEWFLOW_DETECTOR_H
#define FEWFLOW_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/alert.h"
#include "fewflow/detect.h"
#include "fewflow/table.h"

struct model;
struct schema;
struct normalizer;
struct learner;
struct embedder;
struct mhead;
struct support;

struct detector {
    struct model *model;
    struct embedder *emb;         /* the meta module's embedder, owned */
    const struct schema *schema;  /* borrowed from emb */
    const struct normalizer *norm;
    struct learner *learner;
    struct memo *memo;            /* NULL when the model has none yet */
    /* MAML-family models only: the adapted head over the memory's
     * classes ("HEAD" section, mhead.h), refitted by detector_save;
     * NULL for other learners and for files written before it. */
    struct mhead *head;
    struct detect_encoder enc;    /* callbacks over learner and norm */
    size_t n_in;                  /* encoded columns */
    size_t dim;                   /* width of the memory's vectors (the
                                     memory's space, detect.h; z_dim
                                     without a memory) */
    size_t z_dim;                 /* the encoder's embedding width */
    float *zbuf;                  /* encoder output before the memory's
                                     space is made of it; zbuf_rows rows */
    size_t zbuf_rows;
    const char **col_names;       /* n_in, borrowed from the schema */
    char *path;
    /* Columns that flows from captures leave at the training mean: a
     * feature the flow meter computes differently from the CSV the model
     * learnt from carries no information, only a shift. n_in flags. */
    uint8_t *neutral;
    float *neutral_value;         /* n_in: the training mean, raw units */
    /* Training rows per class and flow kind ("KIND" section, support.h),
     * counted when the memory is fitted; NULL for models without the
     * columns it needs and for files written before it existed. */
    struct support *support;
};

/*
 * Marks columns (comma-separated names) as neutral for capture input.
 * "default" means the columns known to differ between the CIC-IDS2017
 * CSVs and our flow meter, for models trained on a CIC-IDS2017 profile:
 * none at present (the meter follows the CSV's definitions,
 * docs/features.md); "" clears the list. Returns 0 or ERR_NOTFOUND naming an unknown column.
 * The number of neutral columns goes to *n_set when n_set is non-NULL.
 */
int detector_set_neutral(struct detector *d, const char *list,
                         size_t *n_set);

/*
 * Loads a model file. With need_memo set, a model without a class memory
 * is refused (ERR_STATE: "train wrote no class memory"); a memory or head
 * that records another encoder than the model's (copied between files)
 * is refused with ERR_FORMAT. NULL on failure with err_msg() naming the
 * file.
 */
struct detector *detector_load(const char *path, int need_memo);
void detector_destroy(struct detector *d);

/* Stores the memory as the model's "MEMO" section (and, for a MAML-family
 * learner, a head refitted over all its classes as "HEAD"), both bound to
 * the model's encoder digest, and writes the model atomically to path.
 * Returns 0 or ERR_*. */
int detector_save(struct detector *d, const char *path);

/* Normalises n encoded rows in place, then maps them into the memory's
 * space: z gets n × dim (the encoder's embedding, the normalised input or
 * both, as the memory says; the embedding without a memory). Returns 0
 * or ERR_*. */
int detector_embed(struct detector *d, float *x, size_t n, float *z);

/* The same for rows x already normalised, with the encoder l (a pool
 * thread's own) and zbuf holding n × m->z_dim floats (NULL when m is
 * NULL or of MEMO_SPACE_Z). */
int detector_space_embed(const struct memo *m, struct learner *l,
                         const float *x, size_t n, float *zbuf, float *z);

/*
 * Classification on several threads (pool.c): rows of a batch are cut
 * into chunks of contiguous rows that the threads (the caller's among
 * them) take in turn, each with its own encoder workspace and scratch.
 * Decisions and embeddings are the same bits as detector_embed +
 * memo_decide_batch on the whole batch, in row order.
 * With more than one thread, OpenBLAS is set to one thread of its own
 * (process-wide). The detector must outlive the pool and its memory must
 * not change while the pool exists.
 */
#define DETECTOR_THREADS_DEFAULT_MAX 8
#define DETECTOR_THREADS_MAX 64

struct detector_pool;

/* Online cores, at most DETECTOR_THREADS_DEFAULT_MAX. */
size_t detector_threads_default(void);

/* threads (0 = 1) including the caller's; batches of up to max_batch
 * rows. NULL on failure (err_msg()): ERR_STATE without a class memory,
 * ERR_NOMEM. */
struct detector_pool *detector_pool_create(struct detector *d,
                                           size_t threads, size_t max_batch);
void detector_pool_destroy(struct detector_pool *p);
size_t detector_pool_threads(const struct detector_pool *p);

/* Normalises n encoded rows x in place, embeds them into z (n × dim) and
 * decides each into out[n]. Returns 0 or ERR_* (ERR_INVALID when n is
 * above the pool's max_batch). */
int detector_pool_classify(struct detector_pool *p, float *x, size_t n,
                           float *z, struct memo_decision *out);

/* Whether a class name denotes benign traffic: "benign", "normal" (any
 * case) or a name starting with "benign". */
int detector_is_benign_name(const char *name);

/*
 * Builds a fresh class memory from labelled encoded rows of t: rows
 * fit[0..n_fit) make prototypes, calib[0..n_calib) the radii and the
 * benign reservoir. Only classes listed in keep[0..n_keep) (names) are
 * used. The memory lives in o->space; in MEMO_SPACE_XZ its input weight
 * is memo_space_scale over the calibration rows. Replaces d->memo (and
 * d->dim with its width), and d->support with the flow kinds of the same
 * rows. Returns 0 or ERR_*.
 */
int detector_fit_memo(struct detector *d, const struct table *t,
                      const size_t *fit, size_t n_fit, const size_t *calib,
                      size_t n_calib, const char *const *keep, size_t n_keep,
                      const struct memo_fit_opts *o);

/*
 * Splits the rows of t whose classes are in keep[] into fit, calib and
 * (optionally) test index lists per class, seeded: fractions f_fit and
 * f_calib, the rest to test (when test is non-NULL) or to calib. Each
 * list is malloc'd. Returns 0 or ERR_NOMEM.
 */
struct detector_split {
    size_t *fit, *calib, *test;
    size_t n_fit, n_calib, n_test;
};
int detector_split_rows(const struct table *t, const char *const *keep,
                        size_t n_keep, double f_fit, double f_calib,
                        int want_test, uint64_t seed,
                        struct detector_split *out);
/* The same with the test rows given: rows with held[i] set are test rows;
 * the others of each class are shuffled and split f_fit / rest into fit
 * and calibration rows. */
int detector_split_rows_held(const struct table *t, const char *const *keep,
                             size_t n_keep, const uint8_t *held,
                             double f_fit, uint64_t seed,
                             struct detector_split *out);
void detector_split_fini(struct detector_split *s);

/* The model's meta-training and validation classes: a malloc'd array of
 * names borrowed from the model record (free the array only), or NULL. */
const char **detector_known_classes(const struct detector *d, size_t *n);

/* ---- flow input (source.c): captures, live interfaces, flow CSVs ---- */

/* One flow ready for the model. x holds the encoded (not yet normalised)
 * row; label is the true label of a CSV row (NULL otherwise). Borrowed for
 * the callback's duration. */
struct detector_flow {
    float *x;
    struct alert_flow id;
    const char *label;
    const char *origin;       /* the file or interface it came from */
};

/* Called per flow; with f == NULL when a live source has been idle (time
 * to flush pending output). A non-zero return stops reading and is
 * returned by detector_read_flows. */
typedef int (*detector_flow_fn)(const struct detector_flow *f, void *user);

struct flow_config;

struct detector_input {
    const char *const *captures;  /* -r files */
    size_t n_captures;
    const char *iface;            /* -i, or NULL */
    const char *filter;           /* BPF for -i, or NULL */
    const char *file_filter;      /* BPF for the capture files, or NULL */
    const char *const *csvs;      /* --csv files */
    size_t n_csvs;
    const struct flow_config *flow;   /* NULL: the flow meter's defaults */
    volatile int *stop;           /* set from a signal handler, or NULL */
};

/* Room for "file:line: 'text'" of the first unusable CSV row of a kind. */
#define STATS_FIRST_LEN 256

struct detector_input_stats {
    uint64_t packets, bytes, flows, rows;
    uint64_t damaged_inputs;      /* captures with counted damage */
    uint64_t max_active;          /* peak flows in the meter */
    char damage[256];             /* the first damage message, or "" */
    uint64_t untimed_rows;        /* CSV rows whose timestamp is unreadable */
    char untimed_first[STATS_FIRST_LEN]; /* "file:line: 'text'", first */
    uint64_t unaddressed_rows;    /* CSV rows with an address that is not
                                     IPv4/IPv6 text (left out of the alert) */
    char unaddressed_first[STATS_FIRST_LEN]; /* the same */
    uint64_t unsupported;         /* packets of a link type not decoded */
    uint32_t unsupported_linktype; /* the first such link type */
    uint64_t evicted;             /* flows ended early: flow table full */
    uint64_t filtered;            /* packets the file_filter left out */
    uint64_t clock_steps;         /* capture clock set back past the idle
                                     timeout: open flows ended there */
    int interrupted;              /* *stop was set: inputs not read to the
                                     end (the flows open then are flushed) */
};

/*
 * Reads every input in turn and calls fn for each flow as it ends (one
 * flow meter per capture file, flushed at its end). Returns 0, fn's
 * non-zero value, or an ERR_* with err_msg() naming the file and position
 * (a CSV line, a capture's byte offset, or a model column the input lacks).
 */
int detector_read_flows(struct detector *d, const struct detector_input *in,
                        detector_flow_fn fn, void *user,
                        struct detector_input_stats *st);

/*
 * The identity columns of a flow CSV (addresses, ports, protocol, time,
 * flow id) read as detect --csv reads them, for a caller that reads the
 * file's records itself (eval --openset, through the data loader's record
 * hooks). From the file's header record; NULL when out of memory.
 */
struct csv_record;
struct detector_csv_ident;
struct detector_csv_ident *detector_csv_ident_create(
    const struct detector *d, const struct csv_record *header);
void detector_csv_ident_destroy(struct detector_csv_ident *c);

/* Record rec's identity into id: 0, or ERR_PARSE for a port that is no
 * port (the message names the field, not the file). An unreadable time
 * gives first_s 0 and an unreadable address "" (as detect --csv has it). */
int detector_csv_ident_read(const struct detector_csv_ident *c,
                            const struct csv_record *rec,
                            struct alert_flow *id);

/* Whether a file starts with a pcap or pcapng magic number (possibly
 * compressed captures are not recognised here). */
int detector_is_capture(const char *path);

#endif
