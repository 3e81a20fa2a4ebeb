/*
 * Loading CSV files into a feature table, fitting a schema or using one.
 *
 * When fitting, rows are kept as raw vectors (one float per raw column)
 * until every file is read, because the one-hot width of a categorical
 * column and the non-finite indicators are known only at the end; then
 * they are expanded into the table. With a fixed schema rows are encoded
 * as they are read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/encode.h"
#include "data/load_impl.h"
#include "data/num.h"
#include "data/schema_impl.h"
#include "fewflow/csv.h"
#include "fewflow/data.h"
#include "fewflow/err.h"

#define PROGRESS_ROWS 8192

void data_options_init(struct data_options *o)
{
    memset(o, 0, sizeof(*o));
}

void data_stats_fini(struct data_stats *st)
{
    free(st->nonfinite);
    free(st->empty);
    free(st->unseen);
    memset(st, 0, sizeof(*st));
}

static int stats_start(struct loader *ld)
{
    struct data_stats *st = ld->st;
    size_t n = ld->s->n_raw + 1;

    if (st == NULL)
        return 0;
    st->n_raw = ld->s->n_raw;
    st->nonfinite = calloc(n, sizeof(uint64_t));
    st->empty = calloc(n, sizeof(uint64_t));
    st->unseen = calloc(n, sizeof(uint64_t));
    if (st->nonfinite == NULL || st->empty == NULL || st->unseen == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    return 0;
}

/* Puts "FILE:LINE: " before the recorded error detail. */
static int prefix_error(int code, const char *file, size_t line)
{
    char msg[512];

    snprintf(msg, sizeof(msg), "%s", err_msg());
    return err_set(code, "%s:%zu: %s", file, line, msg);
}

/* The snake_case name of field i, made unique with "_2", "_3", ... The
 * set `seen` and the next suffix per base name keep a header of n
 * repeated names linear rather than cubic. */
static int unique_name(const struct csv_record *rec, size_t i,
                       struct vocab *seen, size_t *next, char *buf,
                       size_t len)
{
    if (data_column_snake(rec->fields[i], buf, len - 16) != 0)
        snprintf(buf, len, "column_%zu", i + 1);
    size_t base_len = strlen(buf);
    long base = vocab_find(seen, buf, base_len);
    size_t k = base >= 0 ? next[base] : 2;

    while (vocab_find(seen, buf, strlen(buf)) >= 0)
        snprintf(buf + base_len, len - base_len, "_%zu", k++);
    if (base >= 0)
        next[base] = k;
    long id = vocab_lookup(seen, buf, strlen(buf), 1);
    if (id < 0)
        return ERR_NOMEM;
    next[id] = 2;
    return 0;
}

/* Snake_case names of a header record, unique within it. */
static char **header_names(const struct csv_record *rec, const char *file)
{
    char **names = calloc(rec->n_fields + 1, sizeof(char *));
    size_t *next = calloc(rec->n_fields + 1, sizeof(size_t));
    struct vocab seen = { .max = rec->n_fields };
    char buf[256];
    int rc = names != NULL && next != NULL ? 0 : ERR_NOMEM;

    for (size_t i = 0; rc == 0 && i < rec->n_fields; i++) {
        rc = unique_name(rec, i, &seen, next, buf, sizeof(buf));
        if (rc == 0 && (names[i] = strdup(buf)) == NULL)
            rc = ERR_NOMEM;
    }
    vocab_fini(&seen);
    free(next);
    if (rc != 0) {
        loader_names_free(names, rec->n_fields);
        err_set(ERR_NOMEM, "%s: out of memory", file);
        return NULL;
    }
    return names;
}

/* A first record is data, not a header, for a headerless NSL-KDD file. */
static int is_headerless(const struct loader *ld,
                         const struct csv_record *rec)
{
    if (ld->s != NULL && ld->s->has_header)
        return 0;
    if (ld->s == NULL && ld->profile != PROFILE_NSL_KDD &&
        ld->profile != -1)
        return 0;
    return profile_looks_nsl(rec->n_fields, rec->fields);
}

static int create_schema(struct loader *ld, const struct csv_record *first,
                         int headerless, const char *file)
{
    char **names = headerless ? NULL : header_names(first, file);
    const char *const *use = headerless ? profile_nsl_names
                                        : (const char *const *)names;
    int profile = ld->profile;

    if (!headerless && names == NULL)
        return ERR_NOMEM;
    if (headerless)
        profile = PROFILE_NSL_KDD;
    else if (profile < 0)
        profile = profile_detect(first->n_fields, use);
    ld->s = schema_new(profile, headerless ? 43 : first->n_fields, use);
    loader_names_free(names, first->n_fields);
    if (ld->s == NULL)
        return ERR_NOMEM;
    ld->s->has_header = !headerless;
    int rc = profile_apply(ld->s);
    if (rc == 0)
        rc = loader_apply_options(ld);
    if (rc != 0)
        return prefix_error(rc, file, 1);
    return stats_start(ld);
}

/* Maps this file's fields to raw columns; checks required columns. */
static int map_fields(struct loader *ld, const struct csv_record *first,
                      int headerless, const char *file)
{
    struct schema *s = ld->s;
    char **names = headerless ? NULL : header_names(first, file);

    if (!headerless && names == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < s->n_raw; i++)
        ld->field_of[i] = headerless && i < first->n_fields ? (long)i : -1;
    for (size_t f = 0; names != NULL && f < first->n_fields; f++) {
        long i = schema_raw_find(s, names[f]);
        if (i >= 0)
            ld->field_of[i] = (long)f;
    }
    loader_names_free(names, first->n_fields);
    for (size_t i = 0; i < s->n_raw; i++) {
        int need = s->raw[i].role == SCHEMA_ROLE_NUMERIC ||
                   s->raw[i].role == SCHEMA_ROLE_CATEGORICAL ||
                   (s->raw[i].role == SCHEMA_ROLE_LABEL && ld->fitting);
        if (need && ld->field_of[i] < 0)
            return err_set(ERR_NOTFOUND, "%s: required column '%s' is "
                           "missing", file, s->raw[i].name);
    }
    ld->has_label = s->label >= 0 && ld->field_of[s->label] >= 0 &&
                    !ld->opt->no_label;
    ld->n_jobs = 0;
    return 0;
}

/* Generic CSVs: a column whose first value is not a number is
 * categorical. */
static void guess_categorical(struct loader *ld, const struct csv_record *r)
{
    double v;

    for (size_t i = 0; i < ld->s->n_raw; i++) {
        struct raw_col *c = &ld->s->raw[i];
        long f = ld->field_of[i];
        if (c->role != SCHEMA_ROLE_NUMERIC || f < 0)
            continue;
        if (num_parse(r->fields[f], r->lens[f], &v) == NUM_INVALID)
            c->role = SCHEMA_ROLE_CATEGORICAL;
    }
    ld->guessed = 1;
}

static int field_error(const struct loader *ld, const struct csv_record *r,
                       const char *file, size_t i)
{
    long f = ld->field_of[i];
    return err_set(ERR_PARSE, "%s:%zu: column '%s': not a number: '%.40s'",
                   file, r->line, ld->s->raw[i].name, r->fields[f]);
}

static void count(uint64_t *a, size_t i)
{
    if (a != NULL)
        a[i]++;
}

static int fit_categorical(struct loader *ld, size_t i, const char *f,
                           size_t len, float *out)
{
    encode_trim(&f, &len);
    long k = vocab_lookup(&ld->s->raw[i].vocab, f, len, 1);
    if (k < -1)
        return (int)k;
    *out = (float)k;
    if (k < 0 && ld->st != NULL)
        ld->st->unseen[i]++;
    return 0;
}

/* Encodes field f of raw column i through every rule: the vocabulary
 * (adding to it when fitting), non-finite and empty values, statistics. */
static int encode_one(struct loader *ld, const struct csv_record *r,
                      const char *file, size_t i, size_t f)
{
    struct raw_col *c = &ld->s->raw[i];
    struct data_stats *st = ld->st;

    if (c->role == SCHEMA_ROLE_CATEGORICAL && ld->fitting)
        return fit_categorical(ld, i, r->fields[f], r->lens[f], &ld->raw[i]);
    int e = encode_field(c, r->fields[f], r->lens[f], &ld->raw[i]);
    if (e == ENCODE_INVALID)
        return field_error(ld, r, file, i);
    if (e == ENCODE_NONFINITE || e == ENCODE_EMPTY)
        c->has_nonfinite |= ld->fitting;
    if (st != NULL && e != ENCODE_OK)
        count(e == ENCODE_NONFINITE ? st->nonfinite
              : e == ENCODE_EMPTY ? st->empty : st->unseen, i);
    return 0;
}

/* The feature fields of the current file, in raw column order (so the
 * first bad field reported is the same whatever the file's order). */
static int plan_jobs(struct loader *ld)
{
    struct schema *s = ld->s;

    if (ld->jobs == NULL &&
        (ld->jobs = calloc(s->n_raw + 1, sizeof(*ld->jobs))) == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    ld->n_jobs = 0;
    for (size_t i = 0; i < s->n_raw; i++) {
        enum schema_role role = s->raw[i].role;
        if (ld->field_of[i] < 0 || (role != SCHEMA_ROLE_NUMERIC &&
                                    role != SCHEMA_ROLE_CATEGORICAL))
            continue;
        struct field_job *jb = &ld->jobs[ld->n_jobs++];
        jb->field = (uint32_t)ld->field_of[i];
        jb->raw = (uint32_t)i;
        jb->numeric = role == SCHEMA_ROLE_NUMERIC;
        jb->last = -1;
    }
    return 0;
}

/* Whether word k of v is f[0..len): categorical columns and labels often
 * repeat the previous record's value, which this checks before hashing. */
static inline int vocab_is(const struct vocab *v, long k, const char *f,
                           size_t len)
{
    return k >= 0 && v->lens[k] == len && memcmp(v->words[k], f, len) == 0;
}

/* Encodes a data record's feature fields into ld->raw. Short unsigned
 * decimals, most fields, take the direct path: such a value is finite,
 * non-negative and below 1e16, so encode_number would return it as is. */
static int encode_record(struct loader *ld, const struct csv_record *r,
                         const char *file)
{
    float *raw = ld->raw;

    for (size_t j = 0; j < ld->n_jobs; j++) {
        struct field_job *jb = &ld->jobs[j];
        const char *f = r->fields[jb->field];
        size_t len = r->lens[jb->field];
        double v;
        if (jb->numeric && num_parse_simple(f, len, &v)) {
            raw[jb->raw] = (float)v;
            continue;
        }
        if (!jb->numeric &&
            vocab_is(&ld->s->raw[jb->raw].vocab, jb->last, f, len)) {
            raw[jb->raw] = (float)jb->last;
            continue;
        }
        int rc = encode_one(ld, r, file, jb->raw, jb->field);
        if (rc != 0)
            return rc;
        if (!jb->numeric)
            jb->last = raw[jb->raw] >= 0.0f ? (long)raw[jb->raw] : -1;
    }
    return 0;
}

/* The label text of a record without surrounding blanks, or NULL when
 * it is empty or too long (schema_label_map then names the problem). */
static const char *label_span(const char *w, size_t n, size_t max,
                              size_t *len)
{
    while (n > 0 && (*w == ' ' || *w == '\t')) {
        w++;
        n--;
    }
    while (n > 0 && (w[n - 1] == ' ' || w[n - 1] == '\t'))
        n--;
    *len = n;
    return n > 0 && n < max ? w : NULL;
}

static int record_label(struct loader *ld, const struct csv_record *r,
                        const char *file, int32_t *id)
{
    char buf[512];

    *id = -1;
    if (!ld->has_label)
        return 0;
    long f = ld->field_of[ld->s->label];
    size_t len;
    const char *w = label_span(r->fields[f], r->lens[f], sizeof(buf), &len);
    if (w == NULL || ld->s->label_family) {
        int rc = schema_label_map(ld->s, r->fields[f], buf, sizeof(buf));
        if (rc != 0)
            return prefix_error(rc, file, r->line);
        w = buf;
        len = strlen(buf);
    }
    if (vocab_is(&ld->labels, ld->last_label, w, len)) {
        *id = (int32_t)ld->last_label;
        return 0;
    }
    long k = vocab_lookup(&ld->labels, w, len, 1);
    ld->last_label = k;
    if (k == -1)
        return err_set(ERR_RANGE, "%s:%zu: more than %d distinct labels in "
                       "column '%s' (is it really the label?)", file, r->line,
                       SCHEMA_MAX_VOCAB, ld->s->raw[ld->s->label].name);
    if (k < 0)
        return (int)k;
    *id = (int32_t)k;
    return 0;
}

static int add_record(struct loader *ld, const struct csv_record *r,
                      const char *file)
{
    int32_t id;
    int rc = ld->n_jobs == 0 ? plan_jobs(ld) : 0;

    if (rc == 0)
        rc = encode_record(ld, r, file);

    if (rc == 0)
        rc = record_label(ld, r, file, &id);
    if (rc == 0)
        rc = loader_push_row(ld, id);
    if (rc == 0 && ld->opt->on_row != NULL)
        rc = ld->opt->on_row(ld->opt->records_ctx, ld->n_rows - 1, r, file);
    if (rc == 0 && ld->st != NULL)
        rc = loader_note_row(ld, csv_record_hash(r));
    return rc;
}

static void report(struct loader *ld, struct csv_reader *cr)
{
    if (ld->opt->progress == NULL || ld->n_rows % PROGRESS_ROWS != 0)
        return;
    ld->opt->progress(ld->opt->progress_ctx,
                      ld->bytes_before + csv_bytes_read(cr), ld->bytes_total);
}

static int prepare_file(struct loader *ld, const struct csv_record *first,
                        const char *file, int *is_data)
{
    int headerless = is_headerless(ld, first);
    int rc = 0;

    if (ld->s == NULL)
        rc = create_schema(ld, first, headerless, file);
    if (rc == 0 && ld->field_of == NULL) {
        ld->field_of = calloc(ld->s->n_raw + 1, sizeof(long));
        ld->raw = calloc(ld->s->n_raw + 1, sizeof(float));
        if (ld->field_of == NULL || ld->raw == NULL)
            rc = err_set(ERR_NOMEM, "out of memory");
    }
    if (rc == 0)
        rc = map_fields(ld, first, headerless, file);
    if (rc == 0 && ld->opt->on_header != NULL)
        rc = ld->opt->on_header(ld->opt->records_ctx,
                                headerless ? NULL : first, file);
    *is_data = headerless;
    return rc;
}

static int load_reader(struct loader *ld, struct csv_reader *cr)
{
    struct csv_record rec;
    const char *name = csv_name(cr);
    int is_data = 0;
    int rc = csv_next(cr, &rec);

    if (rc == 0)
        rc = err_set(ERR_PARSE, "%s:1: empty file (no header, no rows)",
                     name);
    if (rc > 0)
        rc = prepare_file(ld, &rec, name, &is_data);
    while (rc == 0) {
        if (!is_data && (rc = csv_next(cr, &rec)) <= 0)
            break;
        is_data = 0;
        if (ld->fitting && !ld->guessed && ld->s->profile == PROFILE_GENERIC)
            guess_categorical(ld, &rec);
        rc = add_record(ld, &rec, name);
        report(ld, cr);
    }
    ld->bytes_before += csv_bytes_total(cr);
    return rc < 0 ? rc : 0;
}

/* Where rows come from: files, or one buffer (data != NULL). */
struct load_input {
    const char *const *paths;
    size_t n;
    const void *data;
    size_t len;
    const char *name;
};

static int load_one(struct loader *ld, const struct load_input *in,
                    size_t k)
{
    struct csv_reader *cr = in->data != NULL
                            ? csv_open_mem(in->data, in->len, in->name)
                            : csv_open(in->paths[k]);
    if (cr == NULL)
        return err_last();
    int rc = load_reader(ld, cr);
    csv_close(cr);
    return rc;
}

static int load_all(struct loader *ld, const struct load_input *in)
{
    struct stat sb;

    if (in->n == 0)
        return err_set(ERR_INVALID, "no input files");
    for (size_t k = 0; in->data == NULL && k < in->n; k++) {
        if (stat(in->paths[k], &sb) == 0)
            ld->bytes_total += (uint64_t)sb.st_size;
    }
    if (in->data != NULL)
        ld->bytes_total = in->len;
    for (size_t k = 0; k < in->n; k++) {
        int rc = load_one(ld, in, k);
        if (rc != 0)
            return rc;
    }
    if (ld->st != NULL) {
        ld->st->n_files = in->n;
        ld->st->n_rows = ld->n_rows;
    }
    return 0;
}

/* Reads the input with ld set up (fitting or not) and hands out the
 * results; on failure frees everything. */
static int run(struct loader *ld, const struct load_input *in,
               struct schema **schema_out, struct table **table_out)
{
    int rc = ld->fitting ? 0 : stats_start(ld);

    if (schema_out != NULL)
        *schema_out = NULL;
    *table_out = NULL;
    if (rc == 0)
        rc = load_all(ld, in);
    if (rc == 0)
        rc = ld->fitting ? loader_finish_fit(ld) : loader_finish_fixed(ld);
    if (rc == 0)
        rc = loader_count_duplicates(ld);
    if (rc != 0) {
        if (ld->st != NULL)
            data_stats_fini(ld->st);
        loader_fini(ld, 1);
        return rc;
    }
    if (schema_out != NULL) {
        *schema_out = ld->s;
        ld->s = NULL;
    }
    *table_out = ld->t;
    ld->t = NULL;
    loader_fini(ld, 0);
    return 0;
}

int data_load(const char *const *paths, size_t n,
              const struct data_options *opt, struct schema **schema_out,
              struct table **table_out, struct data_stats *stats)
{
    struct load_input in = { paths, n, NULL, 0, NULL };
    struct loader ld;

    *schema_out = NULL;
    *table_out = NULL;
    int rc = loader_init(&ld, opt, NULL, stats);

    return rc != 0 ? rc : run(&ld, &in, schema_out, table_out);
}

int data_load_with(const char *const *paths, size_t n,
                   const struct schema *s, const struct data_options *opt,
                   struct table **table_out, struct data_stats *stats)
{
    struct load_input in = { paths, n, NULL, 0, NULL };
    struct loader ld;

    *table_out = NULL;
    int rc = loader_init(&ld, opt, s, stats);

    return rc != 0 ? rc : run(&ld, &in, NULL, table_out);
}

int data_load_buffer(const void *data, size_t len, const char *name,
                     const struct schema *s, const struct data_options *opt,
                     struct schema **schema_out, struct table **table_out)
{
    struct load_input in = { NULL, 1, data != NULL ? data : "", len, name };
    struct loader ld;

    *table_out = NULL;
    int rc = loader_init(&ld, opt, s, NULL);

    if (rc != 0)
        return rc;
    return run(&ld, &in, s == NULL ? schema_out : NULL, table_out);
}
