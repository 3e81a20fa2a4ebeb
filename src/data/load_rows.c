/*
 * The loader's bookkeeping: options applied to a new schema, row storage,
 * duplicate sets and turning stored rows into the table.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dups.h"
#include "data/hash.h"
#include "data/load_impl.h"
#include "fewflow/err.h"

int loader_init(struct loader *ld, const struct data_options *opt,
                const struct schema *fixed, struct data_stats *st)
{
    memset(ld, 0, sizeof(*ld));
    data_options_init(&ld->defaults);
    ld->opt = opt != NULL ? opt : &ld->defaults;
    ld->st = st;
    if (st != NULL)
        memset(st, 0, sizeof(*st));
    ld->profile = -1;
    ld->last_label = -1;
    if (ld->opt->profile != NULL && strcmp(ld->opt->profile, "auto") != 0)
        ld->profile = schema_profile_parse(ld->opt->profile);
    if (ld->profile < -1)
        return ld->profile;
    ld->fitting = fixed == NULL;
    if (fixed == NULL)
        return 0;
    if (loader_check_features(fixed) != 0)
        return ERR_INVALID;
    /* Never written through: with fitting == 0 the loader only reads. */
    ld->s = (struct schema *)fixed;
    ld->t = table_create(fixed->n_cols,
                         (const char *const *)fixed->col_names);
    return ld->t != NULL ? 0 : ERR_NOMEM;
}

void loader_fini(struct loader *ld, int failed)
{
    bigbuf_free(&ld->rows);
    free(ld->ys);
    free(ld->raw);
    free(ld->field_of);
    free(ld->jobs);
    bigbuf_free(&ld->hashes);
    vocab_fini(&ld->labels);
    if (ld->fitting)
        schema_destroy(ld->s);
    table_destroy(ld->t);
    (void)failed;
    memset(ld, 0, sizeof(*ld));
}

void loader_names_free(char **names, size_t n)
{
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

/* The raw index of a column the user named, or ERR_NOTFOUND. */
static long option_column(struct schema *s, const char *name,
                          const char *what)
{
    char snake[256];

    if (data_column_snake(name, snake, sizeof(snake)) != 0)
        return err_set(ERR_INVALID, "%s: bad column name '%s'", what, name);
    long i = schema_raw_find(s, snake);
    if (i < 0)
        return err_set(ERR_NOTFOUND, "%s: no column '%s' in the header",
                       what, name);
    return i;
}

static void set_label(struct schema *s, long i)
{
    if (s->label >= 0)
        s->raw[s->label].role = SCHEMA_ROLE_DROPPED;
    s->label = i;
    if (i >= 0)
        s->raw[i].role = SCHEMA_ROLE_LABEL;
}

static int apply_lists(struct loader *ld)
{
    const struct data_options *o = ld->opt;
    struct schema *s = ld->s;

    for (size_t k = 0; k < o->n_drop; k++) {
        long i = option_column(s, o->drop[k], "--drop");
        if (i < 0)
            return (int)i;
        if (i == s->label)
            s->label = -1;
        s->raw[i].role = SCHEMA_ROLE_DROPPED;
    }
    for (size_t k = 0; k < o->n_categorical; k++) {
        long i = option_column(s, o->categorical[k], "--categorical");
        if (i < 0)
            return (int)i;
        if (s->raw[i].role == SCHEMA_ROLE_CATEGORICAL)
            continue;
        if (s->raw[i].role != SCHEMA_ROLE_NUMERIC)
            return err_set(ERR_INVALID, "--categorical: column '%s' is the "
                           "label or dropped", o->categorical[k]);
        s->raw[i].role = SCHEMA_ROLE_CATEGORICAL;
    }
    return 0;
}

int loader_apply_options(struct loader *ld)
{
    const struct data_options *o = ld->opt;
    struct schema *s = ld->s;

    if (o->label != NULL) {
        long i = option_column(s, o->label, "--label");
        if (i < 0)
            return (int)i;
        set_label(s, i);
    }
    if (o->no_label)
        set_label(s, -1);
    if (o->label_family && s->profile != PROFILE_NSL_KDD)
        return err_set(ERR_INVALID, "label families exist for nsl-kdd only "
                       "(this is %s)", schema_profile_name(s->profile));
    s->label_family = o->label_family;
    int rc = apply_lists(ld);
    return rc != 0 ? rc : loader_check_features(s);
}

/* A table needs at least one feature column to be of any use. */
int loader_check_features(const struct schema *s)
{
    for (size_t i = 0; i < s->n_raw; i++) {
        if (s->raw[i].role == SCHEMA_ROLE_NUMERIC ||
            s->raw[i].role == SCHEMA_ROLE_CATEGORICAL)
            return 0;
    }
    return err_set(ERR_INVALID, "no feature columns left (every column is "
                   "the label or dropped)");
}

static int grow_rows(struct loader *ld)
{
    size_t cap = ld->cap_rows ? ld->cap_rows * 2 : 1024;
    size_t w = ld->s->n_raw + 1;

    if (cap > SIZE_MAX / sizeof(float) / w)
        return err_set(ERR_NOMEM, "too many rows");
    int rc = bigbuf_reserve(&ld->rows, cap * w * sizeof(float));
    if (rc != 0)
        return rc;
    int32_t *ys = realloc(ld->ys, cap * sizeof(int32_t));
    if (ys == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    ld->ys = ys;
    ld->cap_rows = cap;
    return 0;
}

int loader_push_row(struct loader *ld, int32_t id)
{
    size_t n_raw = ld->s->n_raw;

    if (ld->n_rows == ld->cap_rows) {
        int rc = grow_rows(ld);
        if (rc != 0)
            return rc;
    }
    memcpy((float *)ld->rows.p + ld->n_rows * n_raw, ld->raw,
           n_raw * sizeof(float));
    ld->ys[ld->n_rows++] = id;
    return 0;
}

/* Keeps this row's line hash and room for its feature hash, for the
 * duplicate counts made once all rows are in. */
int loader_note_row(struct loader *ld, uint64_t line_hash)
{
    int rc = bigbuf_reserve(&ld->hashes,
                            (ld->n_hashes + 2) * sizeof(uint64_t));
    if (rc != 0)
        return rc;
    uint64_t *hashes = ld->hashes.p;

    hashes[ld->n_hashes++] = line_hash;
    /* Fitting hashes the raw vector now (equal raw vectors are exactly
     * the equal encoded rows then). With a fixed schema the encoded row
     * is hashed once the table is built, as two raw values (NaN and 0
     * without an indicator column) can encode alike. */
    hashes[ld->n_hashes++] = ld->fitting
        ? fmix64(hash_bytes(HASH_SEED, ld->raw,
                              ld->s->n_raw * sizeof(float)))
        : 0;
    return 0;
}

static int add_classes(struct loader *ld)
{
    for (size_t k = 0; k < ld->labels.n; k++) {
        if (table_class_add(ld->t, ld->labels.words[k]) < 0)
            return ERR_NOMEM;
    }
    return 0;
}

/* Bytes of raw rows expanded between handing consumed memory back. */
#define EXPAND_STEP_BYTES ((size_t)2 << 20)

/* Tables at least this large are expanded by two threads when there are
 * two cores: half of the rows each, page faults included. */
#define EXPAND_THREAD_BYTES ((size_t)16 << 20)

struct expand_part {
    struct loader *ld;
    size_t from, to;      /* rows */
};

/* Expands rows [from, to) front to back, handing each consumed stretch
 * of raw rows back to the kernel: peak memory stays near the table's
 * size rather than table plus raw rows. With a fixed schema it also
 * hashes each encoded row while it is in cache, for the duplicate
 * counts. */
static void *expand_part_run(void *arg)
{
    const struct expand_part *p = arg;
    struct loader *ld = p->ld;
    struct table *t = ld->t;
    size_t raw_w = ld->s->n_raw, w = t->n_cols;
    size_t step = EXPAND_STEP_BYTES / sizeof(float) / (raw_w + 1) + 1;
    size_t dropped = p->from * raw_w * sizeof(float);
    const float *raw = ld->rows.p;
    /* Two hashes per row exist only when statistics are kept. */
    uint64_t *hashes = !ld->fitting && ld->n_hashes >= 2 * ld->n_rows
                       ? ld->hashes.p : NULL;

    for (size_t i = p->from; i < p->to; i += step) {
        size_t m = p->to - i < step ? p->to - i : step;
        schema_expand_rows(ld->s, raw + i * raw_w, m, t->x + i * w);
        for (size_t k = i; hashes != NULL && k < i + m; k++)
            hashes[2 * k + 1] = fmix64(
                hash_bytes(HASH_SEED, t->x + k * w, w * sizeof(float)));
        dropped = bigbuf_drop(&ld->rows, dropped,
                              (i + m) * raw_w * sizeof(float));
    }
    return NULL;
}

/* Expands the raw rows into a fresh table. The table comes from calloc,
 * which for a block this size maps fresh zeroed pages without writing
 * them, so one-hot zeros need no writing either. */
static int expand_rows(struct loader *ld)
{
    struct table *t = ld->t;
    size_t n = ld->n_rows, w = t->n_cols;

    if (w > 0 && n > SIZE_MAX / sizeof(float) / w)
        return err_set(ERR_NOMEM, "table too large");
    size_t bytes = n * w * sizeof(float);
    t->x = calloc(bytes + sizeof(float), 1);
    if (t->x == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    bigbuf_advise(t->x, bytes);
    struct expand_part parts[2] = { { ld, 0, n }, { ld, n, n } };
    pthread_t thread;
    int threaded = bytes >= EXPAND_THREAD_BYTES &&
                   sysconf(_SC_NPROCESSORS_ONLN) > 1;
    if (threaded) {
        parts[0].to = parts[1].from = n / 2;
        threaded = pthread_create(&thread, NULL, expand_part_run,
                                  &parts[1]) == 0;
    }
    expand_part_run(&parts[0]);
    if (threaded)
        pthread_join(thread, NULL);
    else
        expand_part_run(&parts[1]);
    bigbuf_free(&ld->rows);
    t->y = ld->ys;
    ld->ys = NULL;
    t->n_rows = t->cap_rows = n;
    return 0;
}

int loader_finish_fit(struct loader *ld)
{
    struct schema *s = ld->s;
    int rc = schema_freeze(s);

    if (rc != 0)
        return rc;
    ld->t = table_create(s->n_cols, (const char *const *)s->col_names);
    if (ld->t == NULL)
        return ERR_NOMEM;
    if (ld->n_rows > 0)
        rc = expand_rows(ld);
    return rc != 0 ? rc : add_classes(ld);
}

int loader_finish_fixed(struct loader *ld)
{
    int rc = ld->n_rows > 0 ? expand_rows(ld) : 0;

    return rc != 0 ? rc : add_classes(ld);
}

int loader_count_duplicates(struct loader *ld)
{
    struct data_stats *st = ld->st;
    size_t n = ld->n_hashes / 2;

    if (st == NULL || n == 0)
        return 0;
    const uint64_t *hashes = ld->hashes.p;
    struct bigbuf scratch = { 0 };
    int rc = dups_count(hashes, 2, n, NULL, &scratch, &st->dup_lines, NULL);
    if (rc == 0)
        rc = dups_count(hashes + 1, 2, n, ld->t, &scratch, &st->dup_features,
                        &st->dup_conflicts);
    bigbuf_free(&scratch);
    return rc;
}
