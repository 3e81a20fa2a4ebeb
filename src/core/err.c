#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fewflow/err.h"

static _Thread_local char last_msg[512];
static _Thread_local int last_code;

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK: return "success";
    case ERR_NOMEM: return "out of memory";
    case ERR_IO: return "input/output error";
    case ERR_PARSE: return "malformed input";
    case ERR_INVALID: return "invalid argument";
    case ERR_UNSUPPORTED: return "unsupported";
    case ERR_FORMAT: return "wrong file format";
    case ERR_CHECKSUM: return "checksum mismatch";
    case ERR_NOTFOUND: return "not found";
    case ERR_RANGE: return "out of range";
    case ERR_STATE: return "invalid state";
    default: return "unknown error";
    }
}

/* Formats into a scratch buffer first: callers add context by passing
 * err_msg() itself as an argument, which must stay intact while read. */
int err_set(int code, const char *fmt, ...)
{
    char msg[sizeof(last_msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memcpy(last_msg, msg, sizeof(msg));
    last_code = code;
    return code;
}

const char *err_msg(void)
{
    if (last_msg[0] == '\0' && last_code != 0)
        return err_str(last_code);
    return last_msg;
}

int err_last(void)
{
    return last_code;
}

void err_clear(void)
{
    last_msg[0] = '\0';
    last_code = 0;
}
