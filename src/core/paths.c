#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fewflow/err.h"
#include "fewflow/paths.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int paths_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len)
        return err_set(ERR_RANGE, "path too long: %s/%s", dir, name);
    return 0;
}

int paths_data_dir(const char *explicit_dir, char *buf, size_t len)
{
    const char *candidates[4];
    int n = 0;

    if (explicit_dir != NULL && explicit_dir[0] != '\0')
        candidates[n++] = explicit_dir;
    const char *env = getenv("FEWFLOW_DATA");
    if (env != NULL && env[0] != '\0')
        candidates[n++] = env;
    candidates[n++] = "../shared/data";
    candidates[n++] = FEWFLOW_SOURCE_DIR "/../shared/data";
    for (int i = 0; i < n; i++) {
        if (is_dir(candidates[i])) {
            if ((size_t)snprintf(buf, len, "%s", candidates[i]) >= len)
                return err_set(ERR_RANGE, "path too long: %s", candidates[i]);
            return 0;
        }
    }
    snprintf(buf, len, "%s", candidates[0]);
    return err_set(ERR_NOTFOUND, "%s: no dataset directory (set FEWFLOW_DATA "
                   "or pass a path)", candidates[0]);
}
