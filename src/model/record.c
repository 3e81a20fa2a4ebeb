#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "fewflow/err.h"
#include "fewflow/model.h"
#include "model/model_impl.h"

static int set_str(char **dst, const char *s)
{
    char *copy = strdup(s ? s : "");

    if (!copy)
        return err_set(ERR_NOMEM, "model: out of memory");
    free(*dst);
    *dst = copy;
    return 0;
}

int model_record_set_method(struct model *m, const char *method)
{
    return set_str(&m->rec.method, method);
}

int model_record_set_protocol(struct model *m, const char *protocol)
{
    return set_str(&m->rec.protocol, protocol);
}

static int strs_copy(char ***dst, size_t *n_dst, const char *const *src,
                     size_t n)
{
    char **v = calloc(n ? n : 1, sizeof(char *));

    if (!v)
        return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(src[i]);
        if (!v[i]) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return ERR_NOMEM;
        }
    }
    for (size_t i = 0; *dst && i < *n_dst; i++)
        free((*dst)[i]);
    free(*dst);
    *dst = v;
    *n_dst = n;
    return 0;
}

int model_record_set_classes(struct model *m, const char *const *train,
                             size_t n_train, const char *const *val,
                             size_t n_val, const char *const *test,
                             size_t n_test)
{
    struct model_record *r = &m->rec;

    if (strs_copy(&r->train_classes, &r->n_train, train, n_train) != 0 ||
        strs_copy(&r->val_classes, &r->n_val, val, n_val) != 0 ||
        strs_copy(&r->test_classes, &r->n_test, test, n_test) != 0)
        return err_set(ERR_NOMEM, "model: out of memory");
    return 0;
}

/* Hashes a file in one read; model inputs are at most a few hundred MB. */
static int file_sha256(const char *path, uint8_t out[32], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (!f)
        return err_set(ERR_IO, "%s: cannot open to hash it", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return err_set(ERR_IO, "%s: cannot size the file", path);
    }
    buf = malloc(n ? (size_t)n : 1);
    if (!buf) {
        fclose(f);
        return err_set(ERR_NOMEM, "%s: out of memory hashing", path);
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return err_set(ERR_IO, "%s: read failed", path);
    }
    fclose(f);
    bytes_sha256(buf, (size_t)n, out);
    *size = (uint64_t)n;
    free(buf);
    return 0;
}

int model_record_add_file(struct model *m, const char *path)
{
    struct model_record *r = &m->rec;
    struct model_data_file *grown;
    struct model_data_file f = { 0 };
    int rc = file_sha256(path, f.sha256, &f.size);

    if (rc != 0)
        return rc;
    f.path = strdup(path);
    grown = f.path ? realloc(r->files, (r->n_files + 1) * sizeof(*grown))
        : NULL;
    if (!grown) {
        free(f.path);
        return err_set(ERR_NOMEM, "model: out of memory");
    }
    r->files = grown;
    r->files[r->n_files++] = f;
    return 0;
}

int model_record_set_metric(struct model *m, const char *name, double value)
{
    struct model_record *r = &m->rec;
    struct model_metric *grown;

    for (size_t i = 0; i < r->n_metrics; i++) {
        if (strcmp(r->metrics[i].name, name) == 0) {
            r->metrics[i].value = value;
            return 0;
        }
    }
    grown = realloc(r->metrics, (r->n_metrics + 1) * sizeof(*grown));
    if (!grown)
        return err_set(ERR_NOMEM, "model: out of memory");
    r->metrics = grown;
    grown[r->n_metrics].name = strdup(name);
    if (!grown[r->n_metrics].name)
        return err_set(ERR_NOMEM, "model: out of memory");
    grown[r->n_metrics++].value = value;
    return 0;
}

int model_record_get_metric(const struct model *m, const char *name,
                            double *value)
{
    for (size_t i = 0; i < m->rec.n_metrics; i++) {
        if (strcmp(m->rec.metrics[i].name, name) == 0) {
            *value = m->rec.metrics[i].value;
            return 0;
        }
    }
    return err_set(ERR_NOTFOUND, "model has no metric '%s'", name);
}

static void put_strs(struct bytes_writer *w, char *const *v, size_t n)
{
    bytes_put_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        bytes_put_str(w, v[i]);
}

void model_record_write(struct bytes_writer *w, const struct model_record *r)
{
    bytes_put_str(w, r->method);
    bytes_put_str(w, r->protocol);
    bytes_put_str(w, r->version);
    bytes_put_u64(w, r->seed);
    bytes_put_u32(w, r->way);
    bytes_put_u32(w, r->shot);
    bytes_put_u32(w, r->query);
    bytes_put_u32(w, r->episodes);
    put_strs(w, r->train_classes, r->n_train);
    put_strs(w, r->val_classes, r->n_val);
    put_strs(w, r->test_classes, r->n_test);
    bytes_put_u32(w, (uint32_t)r->n_files);
    for (size_t i = 0; i < r->n_files; i++) {
        bytes_put_str(w, r->files[i].path);
        bytes_put(w, r->files[i].sha256, 32);
        bytes_put_u64(w, r->files[i].size);
    }
    bytes_put_u32(w, (uint32_t)r->n_metrics);
    for (size_t i = 0; i < r->n_metrics; i++) {
        bytes_put_str(w, r->metrics[i].name);
        bytes_put_f64(w, r->metrics[i].value);
    }
}

/* A count that must not exceed what the remaining bytes could hold. */
static size_t get_count(struct bytes_reader *r, size_t min_item_bytes)
{
    uint32_t n = bytes_get_u32(r);

    if (n > MODEL_MAX_LIST || (size_t)n * min_item_bytes > r->len - r->pos) {
        bytes_reader_fail(r);
        return 0;
    }
    return n;
}

static char **get_strs(struct bytes_reader *r, size_t *n)
{
    size_t count = get_count(r, 4);
    char **v = calloc(count ? count : 1, sizeof(char *));

    *n = 0;
    if (!v) {
        bytes_reader_fail(r);
        return NULL;
    }
    for (size_t i = 0; i < count && !r->failed; i++) {
        v[i] = bytes_get_str(r, MODEL_MAX_STR);
        if (v[i])
            *n = i + 1;
    }
    return v;
}

static void record_read_files(struct bytes_reader *r, struct model_record *rec)
{
    size_t n = get_count(r, 44);

    rec->files = calloc(n ? n : 1, sizeof(*rec->files));
    if (!rec->files) {
        bytes_reader_fail(r);
        return;
    }
    for (size_t i = 0; i < n && !r->failed; i++) {
        rec->files[i].path = bytes_get_str(r, MODEL_MAX_STR);
        rec->n_files = i + 1;
        bytes_get(r, rec->files[i].sha256, 32);
        rec->files[i].size = bytes_get_u64(r);
    }
}

static void record_read_metrics(struct bytes_reader *r,
                                struct model_record *rec)
{
    size_t n = get_count(r, 12);

    rec->metrics = calloc(n ? n : 1, sizeof(*rec->metrics));
    if (!rec->metrics) {
        bytes_reader_fail(r);
        return;
    }
    for (size_t i = 0; i < n && !r->failed; i++) {
        rec->metrics[i].name = bytes_get_str(r, MODEL_MAX_STR);
        rec->n_metrics = i + 1;
        rec->metrics[i].value = bytes_get_f64(r);
    }
}

int model_record_read(struct bytes_reader *r, struct model_record *rec)
{
    rec->method = bytes_get_str(r, MODEL_MAX_STR);
    rec->protocol = bytes_get_str(r, MODEL_MAX_STR);
    rec->version = bytes_get_str(r, MODEL_MAX_STR);
    rec->seed = bytes_get_u64(r);
    rec->way = bytes_get_u32(r);
    rec->shot = bytes_get_u32(r);
    rec->query = bytes_get_u32(r);
    rec->episodes = bytes_get_u32(r);
    rec->train_classes = get_strs(r, &rec->n_train);
    rec->val_classes = get_strs(r, &rec->n_val);
    rec->test_classes = get_strs(r, &rec->n_test);
    record_read_files(r, rec);
    record_read_metrics(r, rec);
    return r->failed ? ERR_PARSE : 0;
}
