/*
 * Encoding raw values with a schema: numbers through the non-finite
 * policy, categorical values through the vocabularies.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/encode.h"
#include "data/num.h"
#include "data/schema_impl.h"
#include "fewflow/data.h"
#include "fewflow/err.h"

#define STACK_RAW 256

int encode_field(const struct raw_col *c, const char *f, size_t len,
                 float *out)
{
    double v = 0.0;

    if (c->role == SCHEMA_ROLE_CATEGORICAL) {
        encode_trim(&f, &len);
        long k = vocab_find(&c->vocab, f, len);
        *out = (float)k;
        return k >= 0 ? ENCODE_OK : ENCODE_UNSEEN;
    }
    if (num_parse_simple(f, len, &v)) {
        *out = encode_number(v);
        return ENCODE_OK;
    }
    int kind = num_parse(f, len, &v);
    if (kind == NUM_INVALID)
        return ENCODE_INVALID;
    *out = kind == NUM_FINITE ? encode_number(v) : NAN;
    if (kind == NUM_EMPTY)
        return ENCODE_EMPTY;
    return kind == NUM_NONFINITE ? ENCODE_NONFINITE : ENCODE_OK;
}

static int is_feature(const struct raw_col *c)
{
    return c->role == SCHEMA_ROLE_NUMERIC ||
           c->role == SCHEMA_ROLE_CATEGORICAL;
}

/* Marks every feature column as not yet given. */
static float *raw_start(const struct schema *s, float *stack, char **given)
{
    float *raw = s->n_raw <= STACK_RAW ? stack
                                       : malloc(s->n_raw * sizeof(float));
    *given = calloc(s->n_raw + 1, 1);
    if (raw == NULL || *given == NULL) {
        if (raw != stack)
            free(raw);
        free(*given);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    return raw;
}

static int raw_finish(const struct schema *s, float *raw, float *stack,
                      char *given, float *out)
{
    int rc = 0;

    for (size_t i = 0; i < s->n_raw && rc == 0; i++) {
        if (is_feature(&s->raw[i]) && !given[i])
            rc = err_set(ERR_NOTFOUND, "required column '%s' is missing",
                         s->raw[i].name);
    }
    if (rc == 0)
        schema_expand(s, raw, out);
    if (raw != stack)
        free(raw);
    free(given);
    return rc;
}

/* The raw index of a feature column named `name`, or -1. */
static long feature_index(const struct schema *s, const char *name)
{
    char snake[256];

    if (name == NULL || data_column_snake(name, snake, sizeof(snake)) != 0)
        return -1;
    long i = schema_raw_find(s, snake);
    return i >= 0 && is_feature(&s->raw[i]) ? i : -1;
}

int schema_encode_pairs(const struct schema *s, size_t n,
                        const char *const *names, const char *const *values,
                        float *out)
{
    float stack[STACK_RAW];
    char *given;
    float *raw = raw_start(s, stack, &given);

    if (raw == NULL)
        return ERR_NOMEM;
    for (size_t p = 0; p < n; p++) {
        long i = feature_index(s, names[p]);
        if (i < 0 || given[i])
            continue;
        const char *v = values[p] ? values[p] : "";
        if (encode_field(&s->raw[i], v, strlen(v), &raw[i])
            == ENCODE_INVALID) {
            if (raw != stack)
                free(raw);
            free(given);
            return err_set(ERR_PARSE, "column '%s': not a number: '%.40s'",
                           s->raw[i].name, v);
        }
        given[i] = 1;
    }
    return raw_finish(s, raw, stack, given, out);
}

int schema_encode_numeric(const struct schema *s, size_t n,
                          const char *const *names, const double *values,
                          float *out)
{
    float stack[STACK_RAW];
    char *given;
    float *raw = raw_start(s, stack, &given);

    if (raw == NULL)
        return ERR_NOMEM;
    for (size_t p = 0; p < n; p++) {
        long i = feature_index(s, names[p]);
        if (i < 0 || given[i])
            continue;
        raw[i] = encode_number(values[p]);
        given[i] = 1;
    }
    for (size_t i = 0; i < s->n_raw; i++) {
        if (s->raw[i].role != SCHEMA_ROLE_CATEGORICAL)
            continue;
        if (raw != stack)
            free(raw);
        free(given);
        return err_set(ERR_INVALID, "column '%s' is categorical and needs "
                       "text values", s->raw[i].name);
    }
    return raw_finish(s, raw, stack, given, out);
}
