#include <string.h>

#include "fewflow/data.h"
#include "fewflow/err.h"

static int is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

int data_column_snake(const char *header, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)header;
    size_t n = 0;
    int gap = 0;

    if (len == 0)
        return err_set(ERR_RANGE, "no room for a column name");
    /* A BOM's bytes are not name characters, so it vanishes like any
     * other leading punctuation. */
    for (; *p != '\0'; p++) {
        if (!is_name_char(*p)) {
            gap = n > 0;
            continue;
        }
        if (n + gap + 1 >= len)
            return err_set(ERR_RANGE, "column name too long: '%.40s'",
                           header);
        if (gap)
            out[n++] = '_';
        gap = 0;
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    out[n] = '\0';
    if (n == 0)
        return err_set(ERR_INVALID, "column name '%.40s' has no letter or "
                       "digit", header);
    return 0;
}
