/*
 * libFuzzer entry point for the CSV path: the input is a whole file (plain
 * text, or gzip/xz bytes). It is read with the record reader, then loaded
 * into a table with a fitted schema; the schema is saved, read back and
 * used to load the same bytes again, which must give the same table.
 * Any crash, sanitizer report or mismatch is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/csv.h"
#include "fewflow/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_records(const uint8_t *data, size_t size)
{
    struct csv_reader *r = csv_open_mem(data, size, "fuzz.csv");
    struct csv_record rec;

    if (r == NULL)
        return;
    while (csv_next(r, &rec) > 0) {
        for (size_t i = 0; i < rec.n_fields; i++) {
            if (strlen(rec.fields[i]) > rec.lens[i])
                abort();
        }
    }
    csv_close(r);
}

static void reload_with(const struct schema *s, const struct table *t,
                        const uint8_t *data, size_t size)
{
    struct bytes_writer w;
    struct bytes_reader br;
    struct schema *back = NULL;
    struct table *t2 = NULL;

    bytes_writer_init(&w);
    if (schema_write(s, &w) != 0)
        abort();
    bytes_reader_init(&br, w.data, w.len);
    if (schema_read(&br, &back) != 0)
        abort();
    if (data_load_buffer(data, size, "fuzz.csv", back, NULL, NULL, &t2)
        != 0)
        abort();
    size_t n = t->n_rows * t->n_cols * sizeof(float);
    if (t2->n_rows != t->n_rows || t2->n_cols != t->n_cols ||
        (n > 0 && memcmp(t2->x, t->x, n) != 0))
        abort();
    table_destroy(t2);
    schema_destroy(back);
    bytes_writer_fini(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct schema *s = NULL;
    struct table *t = NULL;

    read_records(data, size);
    if (data_load_buffer(data, size, "fuzz.csv", NULL, NULL, &s, &t) == 0) {
        reload_with(s, t, data, size);
        table_destroy(t);
        schema_destroy(s);
    }
    return 0;
}
