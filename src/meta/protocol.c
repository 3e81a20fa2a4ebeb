#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/learner.h"
#include "fewflow/paths.h"
#include "fewflow/protocol.h"

#define PROTOCOL_MAX_BYTES (1u << 20)

static char *trim(char *s)
{
    char *end;

    while (*s && isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static int list_push(char ***list, size_t *n, const char *item)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(char *));

    if (!grown)
        return ERR_NOMEM;
    *list = grown;
    grown[*n] = strdup(item);
    if (!grown[*n])
        return ERR_NOMEM;
    (*n)++;
    return 0;
}

static void list_free(char **list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i]);
    free(list);
}

/* Splits a comma-separated value into trimmed, non-empty items. */
static int list_parse(char ***list, size_t *n, char *value)
{
    char *save = NULL;

    for (char *tok = strtok_r(value, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *item = trim(tok);

        if (*item && list_push(list, n, item) != 0)
            return ERR_NOMEM;
    }
    return 0;
}

/* A key written twice is a slip (a line copied and half edited), and
 * appending the second list to the first would train or test on classes
 * the user meant to move: refused. Lists go on over indented lines. */
static int protocol_key_again(const struct protocol *p, const char *key)
{
    return (strcmp(key, "name") == 0 && p->name != NULL) ||
           (strcmp(key, "data") == 0 && p->n_data > 0) ||
           (strcmp(key, "train") == 0 && p->n_train > 0) ||
           (strcmp(key, "val") == 0 && p->n_val > 0) ||
           (strcmp(key, "test") == 0 && p->n_test > 0);
}

/* kaiming (1), torch (1/sqrt(6)) or a positive number, as --init-scale. */
static int protocol_set_init_scale(struct protocol *p, char *value,
                                   const char *where, size_t line)
{
    float s;

    if (p->maml_init_scale > 0.0f)
        return err_set(ERR_PARSE, "%s:%zu: 'maml_init_scale:' is given "
                       "twice", where, line);
    if (learner_init_scale_parse(trim(value), &s) != 0 || !(s < 1e6f))
        return err_set(ERR_PARSE, "%s:%zu: maml_init_scale must be "
                       "kaiming, torch or a positive number", where, line);
    p->maml_init_scale = s;
    return 0;
}

static int protocol_set(struct protocol *p, const char *key, char *value,
                        const char *where, size_t line)
{
    if (protocol_key_again(p, key))
        return err_set(ERR_PARSE, "%s:%zu: '%s:' is given twice (continue "
                       "a list on an indented line)", where, line, key);
    if (strcmp(key, "name") == 0) {
        free(p->name);
        p->name = strdup(trim(value));
        return p->name ? 0 : ERR_NOMEM;
    }
    if (strcmp(key, "val_fraction") == 0) {
        char *end;

        p->val_fraction = strtod(value, &end);
        if (end == value || *trim(end) || !(p->val_fraction >= 0.0) ||
            p->val_fraction >= 0.9)
            return err_set(ERR_PARSE, "%s:%zu: val_fraction must be a "
                           "number in [0, 0.9)", where, line);
        return 0;
    }
    if (strcmp(key, "maml_init_scale") == 0)
        return protocol_set_init_scale(p, value, where, line);
    if (strcmp(key, "data") == 0)
        return list_parse(&p->data, &p->n_data, value);
    if (strcmp(key, "train") == 0)
        return list_parse(&p->train, &p->n_train, value);
    if (strcmp(key, "val") == 0)
        return list_parse(&p->val, &p->n_val, value);
    if (strcmp(key, "test") == 0)
        return list_parse(&p->test, &p->n_test, value);
    return err_set(ERR_PARSE, "%s:%zu: unknown key '%s'", where, line, key);
}

int protocol_has(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], name) == 0)
            return 1;
    }
    return 0;
}

static int list_unique(char *const *list, size_t n, const char *where)
{
    for (size_t i = 1; i < n; i++) {
        if (protocol_has(list, i, list[i]))
            return err_set(ERR_PARSE, "%s: class '%s' is listed twice",
                           where, list[i]);
    }
    return 0;
}

static int lists_disjoint(const struct protocol *p, const char *where)
{
    if (list_unique(p->train, p->n_train, where) != 0 ||
        list_unique(p->val, p->n_val, where) != 0 ||
        list_unique(p->test, p->n_test, where) != 0)
        return ERR_PARSE;
    for (size_t i = 0; i < p->n_test; i++) {
        if (protocol_has(p->train, p->n_train, p->test[i]) ||
            protocol_has(p->val, p->n_val, p->test[i]))
            return err_set(ERR_PARSE, "%s: class '%s' is both a test class "
                           "and a training or validation class", where,
                           p->test[i]);
    }
    for (size_t i = 0; i < p->n_val; i++) {
        if (protocol_has(p->train, p->n_train, p->val[i]))
            return err_set(ERR_PARSE, "%s: class '%s' is both a training "
                           "and a validation class", where, p->val[i]);
    }
    return 0;
}

static int protocol_check(const struct protocol *p, const char *where)
{
    if (!p->name)
        return err_set(ERR_PARSE, "%s: no 'name:' line", where);
    if (p->n_train < 2)
        return err_set(ERR_PARSE, "%s: 'train:' needs at least 2 classes",
                       where);
    if (p->n_test < 2)
        return err_set(ERR_PARSE, "%s: 'test:' needs at least 2 classes",
                       where);
    if (p->n_val == 1)
        return err_set(ERR_PARSE, "%s: 'val:' needs at least 2 classes",
                       where);
    return lists_disjoint(p, where);
}

/* Feeds one logical line (continuations joined) to protocol_set. */
static int protocol_line(struct protocol *p, char *text, const char *where,
                         size_t line)
{
    char *colon = strchr(text, ':');

    if (!colon)
        return err_set(ERR_PARSE, "%s:%zu: expected 'key: value'", where,
                       line);
    *colon = '\0';
    return protocol_set(p, trim(text), colon + 1, where, line);
}

struct protocol *protocol_parse(const char *text, const char *where)
{
    /* Windows editors start UTF-8 files with a BOM; the CSV reader skips
     * it too (the first key read as "\ufeffname", unknown). */
    if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
        text += 3;
    struct protocol *p = calloc(1, sizeof(*p));
    char *copy = strdup(text);
    char *logical = calloc(1, strlen(text) + 2);
    size_t line = 0, logical_line = 0;
    int rc = (p && copy && logical) ? 0 : ERR_NOMEM;
    char *save = NULL;

    if (p)
        p->val_fraction = 0.2;
    /* strsep keeps empty lines so line numbers stay right. */
    for (char *rest = copy, *ln; rc == 0 && rest &&
         (ln = strsep(&rest, "\n")) != NULL;) {
        line++;
        if (*trim(ln) == '\0' || *trim(ln) == '#')
            continue;
        if (isspace((unsigned char)ln[0]) && *logical) {
            strcat(logical, ",");
            strcat(logical, trim(ln));
            continue;
        }
        if (*logical)
            rc = protocol_line(p, logical, where, logical_line);
        strcpy(logical, trim(ln));
        logical_line = line;
    }
    (void)save;
    if (rc == 0 && *logical)
        rc = protocol_line(p, logical, where, logical_line);
    if (rc == 0)
        rc = protocol_check(p, where);
    if (rc == ERR_NOMEM)
        err_set(ERR_NOMEM, "%s: out of memory", where);
    free(copy);
    free(logical);
    if (rc != 0) {
        protocol_destroy(p);
        return NULL;
    }
    return p;
}

static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;

    if (!f)
        return NULL;
    buf = malloc(PROTOCOL_MAX_BYTES + 1);
    if (buf)
        n = fread(buf, 1, PROTOCOL_MAX_BYTES + 1, f);
    fclose(f);
    if (buf && n > PROTOCOL_MAX_BYTES) {
        free(buf);
        return NULL;
    }
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static struct protocol *protocol_read(const char *path)
{
    size_t len = 0;
    char *text = read_small_file(path, &len);
    struct protocol *p;

    if (!text) {
        err_set(ERR_IO, "%s: cannot read protocol file (missing, "
                "unreadable or over 1 MiB)", path);
        return NULL;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL || len == 0) {
        if (nul != NULL)
            err_set(ERR_PARSE, "%s: binary data (NUL byte at offset %zu), "
                    "not a protocol file", path, (size_t)(nul - text));
        else
            err_set(ERR_PARSE, "%s: empty protocol file", path);
        free(text);
        return NULL;
    }
    p = protocol_parse(text, path);
    free(text);
    if (p)
        p->source = strdup(path);
    if (p && !p->source) {
        protocol_destroy(p);
        err_set(ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    return p;
}

static int is_path(const char *s)
{
    size_t n = strlen(s);

    return strchr(s, '/') != NULL ||
        (n > 6 && strcmp(s + n - 6, ".proto") == 0);
}

struct protocol *protocol_load(const char *name_or_path)
{
    const char *env = getenv("FEWFLOW_PROTOCOLS");
    const char *dirs[3] = {
        env, FEWFLOW_SOURCE_DIR "/protocols", "/usr/local/share/fewflow/"
        "protocols",
    };
    char path[4096];

    if (is_path(name_or_path))
        return protocol_read(name_or_path);
    for (size_t i = 0; i < 3; i++) {
        FILE *f;

        if (!dirs[i])
            continue;
        snprintf(path, sizeof(path), "%s/%s.proto", dirs[i], name_or_path);
        f = fopen(path, "rb");
        if (f) {
            fclose(f);
            return protocol_read(path);
        }
    }
    err_set(ERR_NOTFOUND, "protocol '%s' not found (looked for %s.proto in "
            "$FEWFLOW_PROTOCOLS, %s/protocols, /usr/local/share/fewflow/"
            "protocols)", name_or_path, name_or_path, FEWFLOW_SOURCE_DIR);
    return NULL;
}

void protocol_destroy(struct protocol *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->source);
    list_free(p->data, p->n_data);
    list_free(p->train, p->n_train);
    list_free(p->val, p->n_val);
    list_free(p->test, p->n_test);
    free(p);
}

void protocol_paths_free(char **paths, size_t n)
{
    list_free(paths, n);
}

static int expand_one(const char *pattern, char ***paths, size_t *n)
{
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);

    if (rc == GLOB_NOMATCH)
        return err_set(ERR_NOTFOUND, "data '%s' matches no file", pattern);
    if (rc != 0)
        return err_set(ERR_IO, "data '%s': cannot list files", pattern);
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
        rc = list_push(paths, n, g.gl_pathv[i]);
    globfree(&g);
    return rc == 0 ? 0 : err_set(ERR_NOMEM, "out of memory");
}

int protocol_data_paths(const struct protocol *p, const char *data_dir,
                        char ***paths, size_t *n)
{
    char full[4096];
    int rc = 0;

    *paths = NULL;
    *n = 0;
    if (p->n_data == 0)
        return err_set(ERR_NOTFOUND, "protocol '%s' names no data files: "
                       "give --data", p->name);
    for (size_t i = 0; i < p->n_data && rc == 0; i++) {
        rc = p->data[i][0] == '/' ?
            (snprintf(full, sizeof(full), "%s", p->data[i]), 0) :
            paths_join(full, sizeof(full), data_dir, p->data[i]);
        if (rc == 0)
            rc = expand_one(full, paths, n);
    }
    if (rc != 0) {
        list_free(*paths, *n);
        *paths = NULL;
        *n = 0;
    }
    return rc;
}
