/*
 * One error type for the whole library.
 *
 * Fallible functions return 0 on success or a negative ERR_* code. The code
 * says what kind of failure it was; the detail (which file, line or byte
 * offset) is recorded with err_set() and read back with err_msg(). The
 * detail lives in thread-local storage, so it is valid until the same thread
 * records another error. Constructors that return a pointer return NULL on
 * failure and record the detail the same way.
 */
#ifndef FEWFLOW_ERR_H
#define FEWFLOW_ERR_H

enum err_code {
    ERR_OK = 0,
    ERR_NOMEM = -1,       /* an allocation failed */
    ERR_IO = -2,          /* open, read or write failed */
    ERR_PARSE = -3,       /* malformed input: CSV, capture, model file */
    ERR_INVALID = -4,     /* bad argument or option value */
    ERR_UNSUPPORTED = -5, /* a known limit: the input needs what we lack */
    ERR_FORMAT = -6,      /* a file of the wrong kind or version */
    ERR_CHECKSUM = -7,    /* a damaged file: checksum mismatch */
    ERR_NOTFOUND = -8,    /* a named column, class or file is absent */
    ERR_RANGE = -9,       /* a value or size outside what is allowed */
    ERR_STATE = -10,      /* a call out of order */
};

/* Short fixed text for a code, never NULL. */
const char *err_str(int code);

/*
 * Record detail for the current thread's last error and return code, so a
 * caller can write `return err_set(ERR_PARSE, "%s:%zu: ...", path, line);`.
 * The message is truncated to 512 bytes.
 */
int err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The detail of the last err_set() on this thread, or err_str() of the code
 * when no detail was recorded. Borrowed until the next err_set(). */
const char *err_msg(void);

/* The code of the last err_set() on this thread. */
int err_last(void);

/* Forget the recorded detail (err_msg() then returns ""). */
void err_clear(void);

#endif
