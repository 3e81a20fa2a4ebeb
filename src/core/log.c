#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/log.h"

static enum log_level current = LOG_INFO;

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

int log_init_from_env(void)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    const char *env = getenv("FEWFLOW_LOG");

    if (env == NULL || env[0] == '\0')
        return 0;
    for (int i = 0; i < 4; i++) {
        if (strcmp(env, names[i]) == 0) {
            current = (enum log_level)i;
            return 0;
        }
    }
    return err_set(ERR_INVALID, "FEWFLOW_LOG=%s: expected error, warn, "
                   "info or debug", env);
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
    static const char *const tags[] = { "error", "warn", "info", "debug" };
    char line[1024];
    va_list ap;
    int n;

    n = snprintf(line, sizeof(line), "fewflow: %s: %s: ", tags[level],
                 module);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    /* One fputs per line keeps lines whole when several threads log. */
    strcat(line, "\n");
    fputs(line, stderr);
}
