/*
 * Writes seed inputs for fuzz_schema: the saved schema and normaliser of a
 * few small CSVs, each prefixed with the selector byte fuzz_schema reads.
 * usage: schema_seed DIR
 */
#include <stdio.h>
#include <string.h>

#include "fewflow/data.h"
#include "fewflow/normalizer.h"

static const char *const csvs[] = {
    "a,b,label\n1,2,x\n3,4,y\n",
    "proto,bytes,Rate,label\ntcp,10,NaN,a\nudp,20,1,b\nicmp,,2,a\n",
    "0,tcp,http,SF,1,2,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,"
    "0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.00,0.00,0.00,0.00,0.00,"
    "0.00,normal,21\n",
};

static int put(const char *dir, const char *kind, size_t i,
               const struct bytes_writer *w)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%zu", dir, kind, i);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 1;
    fputc(kind[0] == 'n' ? 1 : 0, f);
    fwrite(w->data, 1, w->len, f);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    for (size_t i = 0; i < sizeof(csvs) / sizeof(csvs[0]); i++) {
        struct schema *s = NULL;
        struct table *t = NULL;
        struct bytes_writer w, v;
        if (data_load_buffer(csvs[i], strlen(csvs[i]), "seed.csv", NULL,
                             NULL, &s, &t) != 0)
            return 1;
        struct normalizer *nz = normalizer_fit(t, NULL, 0, 1);
        bytes_writer_init(&w);
        bytes_writer_init(&v);
        schema_write(s, &w);
        normalizer_write(nz, &v);
        if (put(argv[1], "schema", i, &w) || put(argv[1], "norm", i, &v))
            return 1;
        bytes_writer_fini(&w);
        bytes_writer_fini(&v);
        normalizer_destroy(nz);
        table_destroy(t);
        schema_destroy(s);
    }
    return 0;
}
