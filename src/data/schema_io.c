/*
 * Schema serialisation. Layout (little-endian, bytes.h): magic "FFSC",
 * u32 version, u8 profile, u8 label_family, u8 has_header, u32 label raw
 * index (0xffffffff = none), u32 n_raw, then per raw column: str name,
 * u8 role, u8 has_nonfinite, u32 vocabulary size, that many str words;
 * finally u32 n_cols, checked against the layout the columns imply.
 */
#include <stdlib.h>
#include <string.h>

#include "data/schema_impl.h"
#include "fewflow/err.h"

#define SCHEMA_MAGIC 0x43534646u /* "FFSC" */
#define SCHEMA_VERSION 1u
#define SCHEMA_MAX_RAW 65536u
#define SCHEMA_MAX_NAME 4096u

int schema_write(const struct schema *s, struct bytes_writer *w)
{
    bytes_put_u32(w, SCHEMA_MAGIC);
    bytes_put_u32(w, SCHEMA_VERSION);
    bytes_put_u8(w, (uint8_t)s->profile);
    bytes_put_u8(w, (uint8_t)s->label_family);
    bytes_put_u8(w, (uint8_t)s->has_header);
    bytes_put_u32(w, s->label >= 0 ? (uint32_t)s->label : 0xffffffffu);
    bytes_put_u32(w, (uint32_t)s->n_raw);
    for (size_t i = 0; i < s->n_raw; i++) {
        const struct raw_col *c = &s->raw[i];
        bytes_put_str(w, c->name);
        bytes_put_u8(w, (uint8_t)c->role);
        bytes_put_u8(w, (uint8_t)c->has_nonfinite);
        bytes_put_u32(w, (uint32_t)c->vocab.n);
        for (size_t k = 0; k < c->vocab.n; k++)
            bytes_put_str(w, c->vocab.words[k]);
    }
    bytes_put_u32(w, (uint32_t)s->n_cols);
    if (bytes_writer_status(w) != 0)
        return err_set(ERR_NOMEM, "out of memory writing a schema");
    return 0;
}

static int bad(struct bytes_reader *r, const char *what)
{
    if (!r->failed)
        bytes_reader_fail(r);
    return err_set(ERR_FORMAT, "offset %zu: schema: %s", r->fail_pos, what);
}

static int read_vocab(struct bytes_reader *r, struct raw_col *c)
{
    uint32_t n = bytes_get_u32(r);

    if (r->failed)
        return bad(r, "truncated");
    if (n > SCHEMA_MAX_VOCAB || (n > 0 && c->role != SCHEMA_ROLE_CATEGORICAL))
        return bad(r, "bad vocabulary size");
    for (uint32_t k = 0; k < n; k++) {
        char *word = bytes_get_str(r, SCHEMA_MAX_NAME);
        if (word == NULL)
            return bad(r, "bad vocabulary word");
        size_t len = strlen(word);
        int dup = vocab_find(&c->vocab, word, len) >= 0;
        long id = dup ? -1 : vocab_lookup(&c->vocab, word, len, 1);
        free(word);
        if (dup)
            return bad(r, "repeated vocabulary word");
        if (id < 0)
            return err_set(ERR_NOMEM, "out of memory");
    }
    return 0;
}

static int read_column(struct bytes_reader *r, struct schema *s, size_t i)
{
    struct raw_col *c = &s->raw[i];
    uint8_t role = bytes_get_u8(r);
    uint8_t nonfinite = bytes_get_u8(r);

    if (r->failed)
        return bad(r, "truncated");
    if (role > SCHEMA_ROLE_DROPPED || nonfinite > 1 ||
        (nonfinite && role != SCHEMA_ROLE_NUMERIC))
        return bad(r, "bad column role");
    if ((role == SCHEMA_ROLE_LABEL) != ((long)i == s->label))
        return bad(r, "label column mismatch");
    c->role = role;
    c->has_nonfinite = nonfinite;
    return read_vocab(r, c);
}

static int read_head(struct bytes_reader *r, int *profile, int *family,
                     int *has_header, long *label, uint32_t *n_raw)
{
    if (bytes_get_u32(r) != SCHEMA_MAGIC)
        return bad(r, "not a schema");
    if (bytes_get_u32(r) != SCHEMA_VERSION)
        return bad(r, "unsupported version");
    *profile = bytes_get_u8(r);
    *family = bytes_get_u8(r);
    *has_header = bytes_get_u8(r);
    uint32_t lab = bytes_get_u32(r);
    *n_raw = bytes_get_u32(r);
    if (r->failed)
        return bad(r, "truncated");
    if (*profile > PROFILE_CIC_MLCVE || *family > 1 || *has_header > 1)
        return bad(r, "bad header flags");
    if (*n_raw == 0 || *n_raw > SCHEMA_MAX_RAW)
        return bad(r, "bad column count");
    if (lab != 0xffffffffu && lab >= *n_raw)
        return bad(r, "bad label column");
    *label = lab == 0xffffffffu ? -1 : (long)lab;
    return 0;
}

static int read_name(struct bytes_reader *r, struct schema *s, size_t i)
{
    char *name = bytes_get_str(r, SCHEMA_MAX_NAME);

    if (name == NULL || name[0] == '\0') {
        free(name);
        return bad(r, "bad column name");
    }
    s->raw[i].name = name;
    s->n_raw = i + 1;
    if (vocab_find(&s->index, name, strlen(name)) >= 0)
        return bad(r, "repeated column name");
    if (vocab_lookup(&s->index, name, strlen(name), 1) != (long)i)
        return err_set(ERR_NOMEM, "out of memory");
    return 0;
}

static int read_body(struct bytes_reader *r, struct schema *s, uint32_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = read_name(r, s, i);
        if (rc == 0)
            rc = read_column(r, s, i);
    }
    if (rc == 0)
        rc = schema_freeze(s);
    if (rc == 0 && (bytes_get_u32(r) != s->n_cols || r->failed))
        rc = bad(r, "encoded column count does not match the columns");
    return rc;
}

int schema_read(struct bytes_reader *r, struct schema **out)
{
    int profile = 0, family = 0, has_header = 0;
    long label = -1;
    uint32_t n = 0;

    *out = NULL;
    int rc = read_head(r, &profile, &family, &has_header, &label, &n);
    if (rc != 0)
        return rc;
    struct schema *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->raw = calloc(n, sizeof(*s->raw))) == NULL) {
        free(s);
        return err_set(ERR_NOMEM, "out of memory");
    }
    s->index.max = n;
    s->profile = profile;
    s->label_family = family;
    s->has_header = has_header;
    s->label = label;
    rc = read_body(r, s, n);
    if (rc != 0) {
        schema_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}
