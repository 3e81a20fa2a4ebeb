/*
 * The loader's bookkeeping: options applied to a new schema, row storage,
 * duplicate sets and turning stored rows into the table.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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
    free(ld->rows);
    free(ld->ys);
    free(ld->raw);
    free(ld->field_of);
    free(ld->hashes);
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

/* Asks for transparent huge pages over the page-aligned inside of a large
 * block: filling tens of MiB then costs far fewer page faults. A hint
 * only; failure changes nothing. */
static void advise_huge(void *p, size_t bytes)
{
    uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);

    if (bytes >= ((size_t)4 << 20) && end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
}

static int grow_rows(struct loader *ld)
{
    size_t cap = ld->cap_rows ? ld->cap_rows * 2 : 1024;
    size_t w = ld->s->n_raw + 1;

    if (cap > SIZE_MAX / sizeof(float) / w)
        return err_set(ERR_NOMEM, "too many rows");
    float *rows = realloc(ld->rows, cap * w * sizeof(float));
    if (rows == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    ld->rows = rows;
    advise_huge(rows, cap * w * sizeof(float));
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

    if (!ld->fitting) {
        struct table *t = ld->t;
        int rc = table_reserve(t, t->n_rows + 1);
        if (rc != 0)
            return rc;
        schema_expand(ld->s, ld->raw, t->x + t->n_rows * t->n_cols);
        t->y[t->n_rows++] = id;
        ld->n_rows++;
        return 0;
    }
    if (ld->n_rows == ld->cap_rows) {
        int rc = grow_rows(ld);
        if (rc != 0)
            return rc;
    }
    memcpy(ld->rows + ld->n_rows * n_raw, ld->raw, n_raw * sizeof(float));
    ld->ys[ld->n_rows++] = id;
    return 0;
}

/* Keeps this row's line hash and raw-vector hash for the duplicate
 * counts made once all rows are in. */
int loader_note_row(struct loader *ld, uint64_t line_hash)
{
    if (ld->n_hashes + 2 > ld->cap_hashes) {
        size_t cap = ld->cap_hashes ? ld->cap_hashes * 2 : 4096;
        uint64_t *h = realloc(ld->hashes, cap * sizeof(uint64_t));
        if (h == NULL)
            return err_set(ERR_NOMEM, "out of memory");
        ld->hashes = h;
        ld->cap_hashes = cap;
    }
    ld->hashes[ld->n_hashes++] = line_hash;
    /* Fitting hashes the raw vector (the encoded row does not exist yet;
     * equal raw vectors are exactly the equal encoded rows then). With a
     * fixed schema the encoded row is hashed, as two raw values (NaN and 0
     * without an indicator column) can encode alike. */
    const void *row = ld->raw;
    size_t bytes = ld->s->n_raw * sizeof(float);
    if (!ld->fitting) {
        row = table_row(ld->t, ld->t->n_rows - 1);
        bytes = ld->t->n_cols * sizeof(float);
    }
    ld->hashes[ld->n_hashes++] = hash_mix(hash_bytes(HASH_SEED, row, bytes));
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

/* Narrowing rows (dropped columns, no one-hot) are encoded in place,
 * walking up, which never overwrites an unread raw row (row i's encoded
 * end (i + 1) * enc is at most its raw end): peak memory is then the raw
 * rows alone. Widening rows (one-hot) go into a fresh table, so peak is
 * raw plus table, the raw part being the smaller. */
static int expand_narrow(struct loader *ld)
{
    size_t raw_w = ld->s->n_raw, enc_w = ld->s->n_cols, n = ld->n_rows;
    float *tmp = malloc((raw_w + 1) * sizeof(float));

    if (tmp == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        memcpy(tmp, ld->rows + i * raw_w, raw_w * sizeof(float));
        schema_expand(ld->s, tmp, ld->rows + i * enc_w);
    }
    free(tmp);
    float *rows = realloc(ld->rows, (n * enc_w + 1) * sizeof(float));
    if (rows != NULL)
        ld->rows = rows;
    ld->t->x = ld->rows;
    ld->t->y = ld->ys;
    ld->t->n_rows = ld->t->cap_rows = n;
    ld->rows = NULL;
    ld->ys = NULL;
    return 0;
}

static int expand_wide(struct loader *ld)
{
    struct table *t = ld->t;

    if (table_reserve(t, ld->n_rows) != 0)
        return ERR_NOMEM;
    for (size_t i = 0; i < ld->n_rows; i++) {
        schema_expand(ld->s, ld->rows + i * ld->s->n_raw,
                      t->x + i * t->n_cols);
        t->y[i] = ld->ys[i];
    }
    t->n_rows = ld->n_rows;
    free(ld->rows);
    ld->rows = NULL;
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
        rc = s->n_cols <= s->n_raw ? expand_narrow(ld) : expand_wide(ld);
    return rc != 0 ? rc : add_classes(ld);
}

int loader_finish_fixed(struct loader *ld)
{
    return add_classes(ld);
}

int loader_count_duplicates(struct loader *ld)
{
    struct data_stats *st = ld->st;
    size_t n = ld->n_hashes / 2;

    if (st == NULL)
        return 0;
    int rc = dups_count(ld->hashes, 2, n, NULL, &st->dup_lines, NULL);
    if (rc == 0)
        rc = dups_count(ld->hashes + 1, 2, n, ld->t, &st->dup_features,
                        &st->dup_conflicts);
    return rc;
}
