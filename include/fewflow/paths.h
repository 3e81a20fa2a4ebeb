/*
 * Where the shared datasets are: an explicit path wins, then FEWFLOW_DATA,
 * then ../shared/data beside the working directory, then ../shared/data
 * beside the source checkout this binary was built from.
 */
#ifndef FEWFLOW_PATHS_H
#define FEWFLOW_PATHS_H

#include <stddef.h>

/*
 * Writes the data directory into buf. `explicit_dir` may be NULL. Returns 0,
 * ERR_NOTFOUND when no candidate is an existing directory (buf then holds
 * the first candidate tried), or ERR_RANGE when buf is too small.
 */
int paths_data_dir(const char *explicit_dir, char *buf, size_t len);

/* Joins dir and name with one slash. Returns 0 or ERR_RANGE. */
int paths_join(char *buf, size_t len, const char *dir, const char *name);

#endif
