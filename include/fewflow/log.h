/*
 * Logging to stderr with levels. Only the CLI and the detect loop log;
 * leaf modules (tensor, nn, meta, data, capture) return codes instead.
 *
 * The level comes from log_set_level() (the CLI maps -q and -v to it) or
 * from FEWFLOW_LOG=error|warn|info|debug read by log_init_from_env(). The
 * level is checked before anything is formatted. Not thread-safe to change
 * the level while other threads log; logging itself writes whole lines.
 */
#ifndef FEWFLOW_LOG_H
#define FEWFLOW_LOG_H

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Reads FEWFLOW_LOG; returns 0, or ERR_INVALID for an unknown level name
 * (the level is then left unchanged). */
int log_init_from_env(void);

/* Writes "fewflow: <level>: <module>: message\n" to stderr. */
void log_write(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, mod, ...) \
    do { \
        if ((lvl) <= log_get_level()) \
            log_write((lvl), (mod), __VA_ARGS__); \
    } while (0)
#define log_error(mod, ...) LOG_AT(LOG_ERROR, mod, __VA_ARGS__)
#define log_warn(mod, ...) LOG_AT(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...) LOG_AT(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) LOG_AT(LOG_DEBUG, mod, __VA_ARGS__)

#endif
