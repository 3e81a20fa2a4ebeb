#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/model.h"
#include "model/model_impl.h"

struct model *model_create(void)
{
    struct model *m = calloc(1, sizeof(*m));

    if (!m)
        err_set(ERR_NOMEM, "model: out of memory");
    return m;
}

static void strs_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void model_record_fini(struct model_record *r)
{
    free(r->method);
    free(r->protocol);
    free(r->version);
    strs_free(r->train_classes, r->n_train);
    strs_free(r->val_classes, r->n_val);
    strs_free(r->test_classes, r->n_test);
    for (size_t i = 0; r->files && i < r->n_files; i++)
        free(r->files[i].path);
    free(r->files);
    for (size_t i = 0; r->metrics && i < r->n_metrics; i++)
        free(r->metrics[i].name);
    free(r->metrics);
    memset(r, 0, sizeof(*r));
}

void model_destroy(struct model *m)
{
    if (!m)
        return;
    free(m->params);
    model_record_fini(&m->rec);
    for (size_t i = 0; i < m->n_sections; i++)
        free(m->sections[i].data);
    free(m->sections);
    free(m);
}

int model_params_set(struct model *m, const float *p, size_t n)
{
    float *copy = malloc((n ? n : 1) * sizeof(float));

    if (!copy)
        return err_set(ERR_NOMEM, "model: out of memory");
    if (n)
        memcpy(copy, p, n * sizeof(float));
    free(m->params);
    m->params = copy;
    m->n_params = n;
    return 0;
}

int model_tag_valid(const char *tag)
{
    if (!tag || strlen(tag) != 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        if (tag[i] < 0x21 || tag[i] > 0x7e)
            return 0;
    }
    return 1;
}

int model_tag_core(const char *tag)
{
    return strcmp(tag, "ARCH") == 0 || strcmp(tag, "PARM") == 0 ||
        strcmp(tag, "RECD") == 0;
}

static long section_find(const struct model *m, const char *tag)
{
    for (size_t i = 0; i < m->n_sections; i++) {
        if (memcmp(m->sections[i].tag, tag, 4) == 0)
            return (long)i;
    }
    return -1;
}

int model_section_set(struct model *m, const char *tag, const void *bytes,
                      size_t len)
{
    long at;
    uint8_t *copy;

    if (!model_tag_valid(tag) || model_tag_core(tag))
        return err_set(ERR_INVALID, "model: section tag '%s' is not four "
                       "printable characters or is reserved",
                       tag ? tag : "(null)");
    if ((unsigned long long)len >= MODEL_MAX_SECTION_BYTES)
        return err_set(ERR_RANGE, "model: section '%s' too large", tag);
    copy = malloc(len ? len : 1);
    if (!copy)
        return err_set(ERR_NOMEM, "model: out of memory");
    if (len)
        memcpy(copy, bytes, len);
    at = section_find(m, tag);
    if (at < 0) {
        struct model_section *grown = realloc(m->sections,
            (m->n_sections + 1) * sizeof(*grown));

        if (!grown) {
            free(copy);
            return err_set(ERR_NOMEM, "model: out of memory");
        }
        m->sections = grown;
        at = (long)m->n_sections++;
        memcpy(m->sections[at].tag, tag, 4);
        m->sections[at].tag[4] = '\0';
    } else {
        free(m->sections[at].data);
    }
    m->sections[at].data = copy;
    m->sections[at].len = len;
    m->sections[at].at = 0;
    return 0;
}

size_t model_section_at(const struct model *m, const char *tag)
{
    long at = model_tag_valid(tag) ? section_find(m, tag) : -1;
    return at < 0 ? 0 : m->sections[at].at;
}

int model_section_get(const struct model *m, const char *tag,
                      const void **bytes, size_t *len)
{
    long at = model_tag_valid(tag) ? section_find(m, tag) : -1;

    if (at < 0)
        return err_set(ERR_NOTFOUND, "model has no '%s' section",
                       tag ? tag : "(null)");
    *bytes = m->sections[at].data;
    *len = m->sections[at].len;
    return 0;
}

int model_section_remove(struct model *m, const char *tag)
{
    long at = model_tag_valid(tag) ? section_find(m, tag) : -1;

    if (at < 0)
        return err_set(ERR_NOTFOUND, "model has no '%s' section",
                       tag ? tag : "(null)");
    free(m->sections[at].data);
    memmove(m->sections + at, m->sections + at + 1,
            (m->n_sections - (size_t)at - 1) * sizeof(*m->sections));
    m->n_sections--;
    return 0;
}

static void digest_section(struct bytes_writer *w, const struct model *m,
                           const char *tag)
{
    const void *bytes = NULL;
    size_t len = 0;

    if (model_section_get(m, tag, &bytes, &len) != 0)
        len = 0;
    bytes_put(w, tag, 4);
    bytes_put_u64(w, (uint64_t)len);
    if (len)
        bytes_put(w, bytes, len);
}

int model_encoder_digest(const struct model *m,
                         uint8_t out[MODEL_DIGEST_BYTES])
{
    struct bytes_writer w;

    /* The domain string keeps this digest apart from any other SHA-256
     * over similar bytes (the file's own checksum). */
    bytes_writer_init(&w);
    bytes_put_str(&w, "fewflow encoder 1");
    model_arch_write(&w, &m->arch);
    bytes_put_u64(&w, (uint64_t)m->n_params);
    bytes_put_f32s(&w, m->params, m->n_params);
    digest_section(&w, m, "SCHM");
    digest_section(&w, m, "NORM");
    int rc = bytes_writer_status(&w);
    if (rc == 0)
        bytes_sha256(w.data, w.len, out);
    bytes_writer_fini(&w);
    return rc ? err_set(ERR_NOMEM, "model: out of memory") : 0;
}
