/*
 * libFuzzer entry point for the saved schema and normaliser formats (the
 * parts of a model file the data module reads). The first byte picks the
 * reader. Whatever reads successfully must write back to exactly the bytes
 * it consumed (the formats have one encoding), and a schema must encode a
 * row without touching memory outside its columns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/normalizer.h"
#include "fewflow/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const struct bytes_writer *w,
                       const struct bytes_reader *r)
{
    if (w->len != r->pos || memcmp(w->data, r->data, w->len) != 0)
        abort();
}

static void try_schema(const uint8_t *data, size_t size)
{
    struct bytes_reader r;
    struct bytes_writer w;
    struct schema *s = NULL;

    bytes_reader_init(&r, data, size);
    if (schema_read(&r, &s) != 0)
        return;
    bytes_writer_init(&w);
    if (schema_write(s, &w) != 0)
        abort();
    check_same(&w, &r);
    float *out = malloc((schema_n_cols(s) + 1) * sizeof(float));
    const char *names[2] = { schema_raw_name(s, 0), "x" };
    const char *values[2] = { "1.5", "y" };
    schema_encode_pairs(s, 2, names, values, out);
    free(out);
    bytes_writer_fini(&w);
    schema_destroy(s);
}

static void try_normalizer(const uint8_t *data, size_t size)
{
    struct bytes_reader r;
    struct bytes_writer w;
    struct normalizer *nz = NULL;

    bytes_reader_init(&r, data, size);
    if (normalizer_read(&r, &nz) != 0)
        return;
    bytes_writer_init(&w);
    if (normalizer_write(nz, &w) != 0)
        abort();
    check_same(&w, &r);
    bytes_writer_fini(&w);
    normalizer_destroy(nz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        try_normalizer(data + 1, size - 1);
    else
        try_schema(data + 1, size - 1);
    return 0;
}
