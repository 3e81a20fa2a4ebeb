/*
 * Shared by the detect test executables: a small JSON syntax checker,
 * enough to prove an alert or a command's output parses. Static: each
 * test_detect_*.c is its own executable.
 */
#ifndef FEWFLOW_TESTS_JSONCHECK_H
#define FEWFLOW_TESTS_JSONCHECK_H

#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

static const char *json_value(const char *p);

static const char *json_string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p && *p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        p += *p == '\\' ? 2 : 1;
    }
    return *p == '"' ? p + 1 : NULL;
}

static const char *json_seq(const char *p, char close, int keyed)
{
    p = skip_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (keyed) {
            p = json_string(skip_ws(p));
            if (p == NULL || *(p = skip_ws(p)) != ':')
                return NULL;
            p++;
        }
        p = json_value(skip_ws(p));
        if (p == NULL)
            return NULL;
        p = skip_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p)
{
    char *end;
    if (*p == '{')
        return json_seq(p, '}', 1);
    if (*p == '[')
        return json_seq(p, ']', 0);
    if (*p == '"')
        return json_string(p);
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
        return p + 4;
    if (strncmp(p, "false", 5) == 0)
        return p + 5;
    strtod(p, &end);
    return end == p ? NULL : end;
}

static int json_line_ok(const char *s)
{
    const char *end = json_value(s);
    return end != NULL && strcmp(end, "\n") == 0;
}
#endif
