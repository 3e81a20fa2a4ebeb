#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/hash.h"
#include "data/schema_impl.h"
#include "fewflow/err.h"

static const char *const profile_names[] = {
    "generic", "nsl-kdd", "unsw-nb15", "cic-ids2017-improved",
    "cic-ids2017-mlcve",
};

const char *schema_profile_name(int profile)
{
    if (profile < 0 || profile > PROFILE_CIC_MLCVE)
        return "generic";
    return profile_names[profile];
}

int schema_profile_parse(const char *name)
{
    for (int p = 0; p <= PROFILE_CIC_MLCVE; p++) {
        if (strcmp(name, profile_names[p]) == 0)
            return p;
    }
    return err_set(ERR_INVALID, "unknown profile '%s' (nsl-kdd, unsw-nb15, "
                   "cic-ids2017-improved, cic-ids2017-mlcve, generic)", name);
}

struct schema *schema_new(int profile, size_t n_raw,
                          const char *const *names)
{
    struct schema *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->raw = calloc(n_raw + 1, sizeof(*s->raw))) == NULL)
        goto fail;
    s->profile = profile;
    s->has_header = 1;
    s->label = -1;
    for (; s->n_raw < n_raw; s->n_raw++) {
        s->raw[s->n_raw].name = strdup(names[s->n_raw]);
        if (s->raw[s->n_raw].name == NULL)
            goto fail;
    }
    if (schema_index_names(s) != 0)
        goto fail;
    return s;
fail:
    schema_destroy(s);
    err_set(ERR_NOMEM, "out of memory");
    return NULL;
}

void schema_destroy(struct schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->raw != NULL && i < s->n_raw; i++) {
        free(s->raw[i].name);
        vocab_fini(&s->raw[i].vocab);
    }
    vocab_fini(&s->index);
    for (size_t j = 0; s->col_names != NULL && j < s->n_cols; j++)
        free(s->col_names[j]);
    free(s->col_names);
    free(s->raw);
    free(s);
}

static int vocab_copy(struct vocab *dst, const struct vocab *src)
{
    for (size_t k = 0; k < src->n; k++) {
        const char *w = src->words[k];
        if (vocab_lookup(dst, w, strlen(w), 1) < 0)
            return ERR_NOMEM;
    }
    return 0;
}

struct schema *schema_clone(const struct schema *s)
{
    const char **names = malloc((s->n_raw + 1) * sizeof(*names));
    struct schema *c = NULL;

    if (names == NULL)
        goto fail;
    for (size_t i = 0; i < s->n_raw; i++)
        names[i] = s->raw[i].name;
    c = schema_new(s->profile, s->n_raw, names);
    free(names);
    if (c == NULL)
        return NULL;
    c->label_family = s->label_family;
    c->has_header = s->has_header;
    c->label = s->label;
    for (size_t i = 0; i < s->n_raw; i++) {
        c->raw[i].role = s->raw[i].role;
        c->raw[i].has_nonfinite = s->raw[i].has_nonfinite;
        if (vocab_copy(&c->raw[i].vocab, &s->raw[i].vocab) != 0)
            goto fail;
    }
    if (s->is_frozen && schema_freeze(c) != 0)
        goto fail;
    return c;
fail:
    schema_destroy(c);
    err_set(ERR_NOMEM, "out of memory");
    return NULL;
}

const char *schema_profile(const struct schema *s)
{
    return schema_profile_name(s->profile);
}

size_t schema_n_cols(const struct schema *s)
{
    return s->n_cols;
}

const char *schema_col_name(const struct schema *s, size_t i)
{
    return i < s->n_cols ? s->col_names[i] : NULL;
}

size_t schema_n_raw(const struct schema *s)
{
    return s->n_raw;
}

const char *schema_raw_name(const struct schema *s, size_t i)
{
    return i < s->n_raw ? s->raw[i].name : NULL;
}

enum schema_role schema_raw_role(const struct schema *s, size_t i)
{
    return i < s->n_raw ? s->raw[i].role : SCHEMA_ROLE_DROPPED;
}

size_t schema_raw_vocab_size(const struct schema *s, size_t i)
{
    if (i >= s->n_raw || s->raw[i].role != SCHEMA_ROLE_CATEGORICAL)
        return 0;
    return s->raw[i].vocab.n;
}

const char *schema_label_column(const struct schema *s)
{
    return s->label >= 0 ? s->raw[s->label].name : NULL;
}

int schema_label_family(const struct schema *s)
{
    return s->label_family;
}

int schema_index_names(struct schema *s)
{
    vocab_fini(&s->index);
    s->index.max = s->n_raw;
    for (size_t i = 0; i < s->n_raw; i++) {
        const char *name = s->raw[i].name;
        if (vocab_find(&s->index, name, strlen(name)) >= 0)
            return err_set(ERR_FORMAT, "column name '%s' repeats", name);
        if (vocab_lookup(&s->index, name, strlen(name), 1) < 0)
            return ERR_NOMEM;
    }
    return 0;
}

long schema_raw_find(const struct schema *s, const char *snake)
{
    return vocab_find(&s->index, snake, strlen(snake));
}

int schema_label_map(const struct schema *s, const char *raw, char *out,
                     size_t len)
{
    size_t n = strlen(raw);

    while (n > 0 && (*raw == ' ' || *raw == '\t')) {
        raw++;
        n--;
    }
    while (n > 0 && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
        n--;
    if (n == 0)
        return err_set(ERR_INVALID, "empty label");
    if (n >= len)
        return err_set(ERR_RANGE, "label longer than %zu bytes", len - 1);
    memcpy(out, raw, n);
    out[n] = '\0';
    if (s->label_family && s->profile == PROFILE_NSL_KDD) {
        const char *fam = profile_nsl_family(out);
        if (strlen(fam) >= len)
            return err_set(ERR_RANGE, "label too long");
        memmove(out, fam, strlen(fam) + 1);
    }
    return 0;
}

/* ---- vocabularies: small open-addressing hash sets of strings ---- */

long vocab_find(const struct vocab *v, const char *word, size_t len)
{
    if (v->n_slots == 0)
        return -1;
    size_t mask = v->n_slots - 1;
    size_t h = (size_t)fmix64(hash_bytes(HASH_SEED, word, len)) & mask;
    for (;; h = (h + 1) & mask) {
        uint32_t k = v->slots[h];
        if (k == 0)
            return -1;
        if (v->lens[k - 1] == len && memcmp(v->words[k - 1], word, len) == 0)
            return (long)k - 1;
    }
}

/* Keeps the slot table at most half full, so probes stay short. */
static int vocab_grow(struct vocab *v)
{
    size_t n_slots = v->n_slots ? v->n_slots * 2 : 64;
    uint32_t *slots = calloc(n_slots, sizeof(*slots));
    char **words = realloc(v->words, (n_slots / 2) * sizeof(*words));

    if (words != NULL)
        v->words = words;
    uint32_t *lens = realloc(v->lens, (n_slots / 2) * sizeof(*lens));
    if (lens != NULL)
        v->lens = lens;
    if (slots == NULL || words == NULL || lens == NULL) {
        free(slots);
        return ERR_NOMEM;
    }
    for (size_t k = 0; k < v->n; k++) {
        const char *w = v->words[k];
        size_t h = (size_t)fmix64(hash_bytes(HASH_SEED, w, v->lens[k]));
        while (slots[h & (n_slots - 1)] != 0)
            h++;
        slots[h & (n_slots - 1)] = (uint32_t)k + 1;
    }
    free(v->slots);
    v->slots = slots;
    v->n_slots = n_slots;
    return 0;
}

static int vocab_insert(struct vocab *v, const char *word, size_t len)
{
    if (len > UINT32_MAX)
        return ERR_NOMEM;
    if (2 * (v->n + 1) > v->n_slots && vocab_grow(v) != 0)
        return ERR_NOMEM;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return ERR_NOMEM;
    memcpy(copy, word, len);
    copy[len] = '\0';
    size_t mask = v->n_slots - 1;
    size_t h = (size_t)fmix64(hash_bytes(HASH_SEED, word, len)) & mask;
    while (v->slots[h] != 0)
        h = (h + 1) & mask;
    v->words[v->n] = copy;
    v->lens[v->n] = (uint32_t)len;
    v->slots[h] = (uint32_t)++v->n;
    return (int)(v->n - 1);
}

long vocab_lookup(struct vocab *v, const char *word, size_t len, int add)
{
    long k = vocab_find(v, word, len);
    if (k >= 0 || !add || v->n >= (v->max ? v->max : SCHEMA_MAX_VOCAB))
        return k;
    int rc = vocab_insert(v, word, len);
    if (rc < 0)
        return err_set(ERR_NOMEM, "out of memory");
    return rc;
}

void vocab_fini(struct vocab *v)
{
    size_t max = v->max;

    for (size_t k = 0; k < v->n; k++)
        free(v->words[k]);
    free(v->words);
    free(v->lens);
    free(v->slots);
    memset(v, 0, sizeof(*v));
    v->max = max;
}

/* ---- the encoded layout ---- */

static size_t raw_width(const struct raw_col *c)
{
    if (c->role == SCHEMA_ROLE_NUMERIC)
        return 1 + (c->has_nonfinite != 0);
    if (c->role == SCHEMA_ROLE_CATEGORICAL)
        return c->vocab.n + 1;
    return 0;
}

static char *name_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s=%s", a, b);
    return s;
}

static int name_raw(struct schema *s, const struct raw_col *c, size_t *j)
{
    char **names = s->col_names;

    if (c->role == SCHEMA_ROLE_NUMERIC) {
        names[(*j)++] = strdup(c->name);
        if (c->has_nonfinite)
            names[(*j)++] = name_join(c->name, "<nonfinite>");
    } else {
        for (size_t k = 0; k < c->vocab.n; k++)
            names[(*j)++] = name_join(c->name, c->vocab.words[k]);
        names[(*j)++] = name_join(c->name, "<other>");
    }
    for (size_t k = c->enc; k < *j; k++) {
        if (names[k] == NULL)
            return err_set(ERR_NOMEM, "out of memory");
    }
    return 0;
}

int schema_freeze(struct schema *s)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n_raw; i++) {
        s->raw[i].enc = n;
        n += raw_width(&s->raw[i]);
    }
    s->col_names = calloc(n + 1, sizeof(char *));
    if (s->col_names == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    s->n_cols = n;
    size_t j = 0;
    for (size_t i = 0; i < s->n_raw; i++) {
        if (raw_width(&s->raw[i]) == 0)
            continue;
        int rc = name_raw(s, &s->raw[i], &j);
        if (rc != 0)
            return rc;
    }
    s->is_frozen = 1;
    return 0;
}

void schema_expand(const struct schema *s, const float *raw, float *out)
{
    for (size_t i = 0; i < s->n_raw; i++) {
        const struct raw_col *c = &s->raw[i];
        float v = raw[i];
        float *o = out + c->enc;
        if (c->role == SCHEMA_ROLE_NUMERIC) {
            o[0] = isnan(v) ? 0.0f : v + 0.0f;
            if (c->has_nonfinite)
                o[1] = isnan(v) ? 1.0f : 0.0f;
        } else if (c->role == SCHEMA_ROLE_CATEGORICAL) {
            memset(o, 0, (c->vocab.n + 1) * sizeof(float));
            long k = v >= 0.0f ? (long)v : (long)c->vocab.n;
            o[k <= (long)c->vocab.n ? k : (long)c->vocab.n] = 1.0f;
        }
    }
}

/* A feature column as expansion needs it, gathered once for many rows. */
struct expand_step {
    uint32_t raw;
    uint32_t enc;
    int32_t other;        /* categorical: vocabulary size; numeric: -1 */
    int indicator;        /* numeric with a non-finite indicator */
};

/* schema_expand into zeroed memory: one-hot zeros are already there. */
static void expand_into_zeros(const struct expand_step *st, size_t n_st,
                              const float *raw, float *out)
{
    for (size_t j = 0; j < n_st; j++) {
        float v = raw[st[j].raw];
        float *o = out + st[j].enc;
        if (st[j].other < 0) {
            o[0] = isnan(v) ? 0.0f : v + 0.0f;
            if (st[j].indicator && isnan(v))
                o[1] = 1.0f;
        } else {
            long k = v >= 0.0f ? (long)v : (long)st[j].other;
            o[k <= st[j].other ? k : st[j].other] = 1.0f;
        }
    }
}

void schema_expand_rows(const struct schema *s, const float *raw, size_t n,
                        float *out)
{
    struct expand_step stack[64];
    struct expand_step *st = s->n_raw <= 64 ? stack
                             : malloc(s->n_raw * sizeof(*st));
    size_t n_st = 0;

    for (size_t i = 0; st != NULL && i < s->n_raw; i++) {
        const struct raw_col *c = &s->raw[i];
        if (c->role != SCHEMA_ROLE_NUMERIC &&
            c->role != SCHEMA_ROLE_CATEGORICAL)
            continue;
        st[n_st].raw = (uint32_t)i;
        st[n_st].enc = (uint32_t)c->enc;
        st[n_st].other = c->role == SCHEMA_ROLE_NUMERIC
                         ? -1 : (int32_t)c->vocab.n;
        st[n_st++].indicator = c->has_nonfinite;
    }
    for (size_t r = 0; r < n; r++) {
        float *o = out + r * s->n_cols;
        if (st != NULL)
            expand_into_zeros(st, n_st, raw + r * s->n_raw, o);
        else
            schema_expand(s, raw + r * s->n_raw, o);
    }
    if (st != stack)
        free(st);
}
