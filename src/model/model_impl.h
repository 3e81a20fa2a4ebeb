/* Internals shared by the model module's files. */
#ifndef FEWFLOW_MODEL_IMPL_H
#define FEWFLOW_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/bytes.h"
#include "fewflow/model.h"

struct model_section {
    char tag[5];
    uint8_t *data;
    size_t len;
    size_t at;      /* file offset of data when read from a file, else 0 */
};

#define MODEL_MAGIC "FEWFLOWM"
#define MODEL_BOM 0x01020304u
#define MODEL_HEADER_BYTES 28u
#define MODEL_SUM_BYTES 32u
#define MODEL_MAX_STR 4096u
#define MODEL_MAX_LIST 100000u
#define MODEL_MAX_WIDTH 65536u
#define MODEL_MAX_FILE_BYTES (1ull << 32)   /* 4 GiB */

int model_tag_valid(const char *tag);
int model_tag_core(const char *tag);
void model_record_fini(struct model_record *r);

void model_arch_write(struct bytes_writer *w, const struct model_arch *a);
int model_arch_read(struct bytes_reader *r, struct model_arch *a);
void model_record_write(struct bytes_writer *w, const struct model_record *rec);
int model_record_read(struct bytes_reader *r, struct model_record *rec);

#endif
