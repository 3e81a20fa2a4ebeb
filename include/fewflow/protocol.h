/*
 * Protocols: which classes a model meta-trains, validates and is tested on,
 * and which data files hold them. The text format is described in
 * protocols/README.md; the shipped ones are protocols/<name>.proto.
 *
 * Ownership: a protocol owns its strings; protocol_destroy frees them.
 */
#ifndef FEWFLOW_PROTOCOL_H
#define FEWFLOW_PROTOCOL_H

#include <stddef.h>

struct protocol {
    char *name;
    char *source;            /* the file it was read from */
    char **data;             /* file names or globs, data-dir relative */
    size_t n_data;
    char **train;
    size_t n_train;
    char **val;              /* may be empty */
    size_t n_val;
    char **test;
    size_t n_test;
    double val_fraction;     /* used when n_val == 0 */
    float maml_init_scale;   /* MAML-family encoder init scale; 0: unset */
};

/*
 * Parses protocol text; `where` names it in messages. NULL on failure with
 * ERR_PARSE ("where:line: ...") or ERR_NOMEM recorded.
 */
struct protocol *protocol_parse(const char *text, const char *where);

/*
 * Reads a protocol: a path (anything containing '/' or ending in .proto),
 * or a name looked up as NAME.proto in $FEWFLOW_PROTOCOLS, the source
 * checkout's protocols/ and the installed share/fewflow/protocols/. NULL
 * on failure (ERR_NOTFOUND listing where it looked, ERR_IO, ERR_PARSE).
 */
struct protocol *protocol_load(const char *name_or_path);

void protocol_destroy(struct protocol *p);

/* 1 if name is in list[0..n), else 0. */
int protocol_has(char *const *list, size_t n, const char *name);

/*
 * Expands the protocol's data entries against data_dir (globs allowed)
 * into a malloc'd array of malloc'd paths, sorted within each entry.
 * Returns 0, ERR_NOTFOUND naming an entry that matched nothing, or
 * ERR_NOMEM. Free with protocol_paths_free.
 */
int protocol_data_paths(const struct protocol *p, const char *data_dir,
                        char ***paths, size_t *n);
void protocol_paths_free(char **paths, size_t n);

#endif
