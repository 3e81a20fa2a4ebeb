#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/suppress.h"

struct suppress {
    struct suppress_entry *e;      /* SUPPRESS_MAX places */
    size_t n;
    char *files[SUPPRESS_FILES_MAX];
    size_t n_files;
};

/* Where the parser is: the file, the line and its text. */
struct lex {
    const char *path;
    uint32_t line;
    const char *text;
    size_t len, pos;
};

struct token {
    char text[SUPPRESS_LINE_MAX];
    size_t len;
    uint32_t col;
    int quoted;
};

static const char *const rule_names[] = {
    "beacon", "slow", "lone", "repeat", "conn",
};

struct suppress *suppress_create(void)
{
    struct suppress *s = calloc(1, sizeof(*s));
    if (s != NULL)
        s->e = calloc(SUPPRESS_MAX, sizeof(*s->e));
    if (s == NULL || s->e == NULL) {
        free(s);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    return s;
}

void suppress_destroy(struct suppress *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->e);
    free(s);
}

static int fail(const struct lex *lx, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct lex *lx, size_t col, const char *fmt, ...)
{
    char msg[256], shown[4 * sizeof(msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* The message quotes the line's own words: a byte beyond printable
     * ASCII (a byte-order mark, a direction mark) is shown as \xNN, so
     * that the error reads as the bytes are and cannot reorder or hide
     * text on the operator's terminal. */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            shown[n++] = (char)*p;
        else
            n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\x%02x",
                                  *p);
    }
    shown[n] = '\0';
    return err_set(ERR_PARSE, "%s:%u:%zu: %s", lx->path, lx->line, col,
                   shown);
}

/* A quoted class name; \" and \\ are the only escapes. */
static int read_quoted(struct lex *lx, struct token *t)
{
    size_t col = lx->pos + 1;
    for (lx->pos++; lx->pos < lx->len; lx->pos++) {
        char ch = lx->text[lx->pos];
        if (ch == '"') {
            lx->pos++;
            t->text[t->len] = '\0';
            return 0;
        }
        if (ch == '\\') {
            char nx = lx->pos + 1 < lx->len ? lx->text[lx->pos + 1] : 0;
            if (nx != '"' && nx != '\\')
                return fail(lx, lx->pos + 1, "only \\\" and \\\\ escape "
                            "in a quoted name");
            ch = nx;
            lx->pos++;
        }
        t->text[t->len++] = ch;
    }
    return fail(lx, col, "quoted name without its closing quote");
}

/* The next token into t; 1 when there is one, 0 at the line's end or a
 * comment, or an error code. */
static int next_token(struct lex *lx, struct token *t)
{
    lx->pos += strspn(lx->text + lx->pos, " \t");
    t->len = 0;
    t->col = (uint32_t)lx->pos + 1;
    t->quoted = lx->pos < lx->len && lx->text[lx->pos] == '"';
    if (lx->pos >= lx->len || lx->text[lx->pos] == '#')
        return 0;
    if (t->quoted) {
        int rc = read_quoted(lx, t);
        if (rc != 0)
            return rc;
        if (lx->pos < lx->len && !strchr(" \t#", lx->text[lx->pos]))
            return fail(lx, lx->pos + 1, "a space must follow the quoted "
                        "name");
        return 1;
    }
    t->len = strcspn(lx->text + lx->pos, " \t");
    memcpy(t->text, lx->text + lx->pos, t->len);
    t->text[t->len] = '\0';
    lx->pos += t->len;
    return 1;
}

static int parse_what(struct lex *lx, const struct token *t,
                      struct suppress_entry *e)
{
    e->col = t->col;
    if (t->quoted) {
        if (t->len == 0 || t->len > MEMO_NAME_MAX)
            return fail(lx, t->col, "a class name has 1 to %d bytes",
                        MEMO_NAME_MAX);
        e->what = SUPPRESS_CLASS;
        memcpy(e->cls, t->text, t->len + 1);
        return 0;
    }
    e->what = strcmp(t->text, "*") == 0 ? SUPPRESS_ANY : SUPPRESS_UNKNOWN;
    if (e->what == SUPPRESS_ANY || strcmp(t->text, "unknown") == 0)
        return 0;
    for (size_t i = 0; i < sizeof(rule_names) / sizeof(*rule_names); i++) {
        if (strcmp(t->text, rule_names[i]) == 0) {
            e->what = SUPPRESS_RULE;
            e->rule = (uint8_t)(1u << i);
            return 0;
        }
    }
    return fail(lx, t->col, "'%.40s' is no rule (beacon, slow, lone, "
                "repeat, conn), 'unknown' or '*'; a class name goes in "
                "double quotes", t->text);
}

/* Decimal digits only, up to max. */
static int read_number(const char *s, long max, long *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 6 || strspn(s, "0123456789") != n)
        return -1;
    *out = strtol(s, NULL, 10);
    return *out <= max ? 0 : -1;
}

static int parse_proto(struct lex *lx, const struct token *v,
                       struct suppress_entry *e)
{
    static const struct { const char *name; int num; } names[] = {
        { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 },
        { "ipv6-icmp", 58 }, { "sctp", 132 },
    };
    long num;
    for (size_t i = 0; !v->quoted && i < sizeof(names) / sizeof(*names);
         i++) {
        if (strcmp(v->text, names[i].name) == 0) {
            e->proto = (int16_t)names[i].num;
            return 0;
        }
    }
    if (v->quoted || read_number(v->text, 255, &num) != 0)
        return fail(lx, v->col, "proto wants tcp, udp, icmp, icmp6, sctp "
                    "or a number from 0 to 255, not '%.40s'", v->text);
    e->proto = (int16_t)num;
    return 0;
}

static int parse_net(struct lex *lx, const struct token *k,
                     const struct token *v, struct beacon_net *net)
{
    if (v->quoted || beacon_net_read(v->text, net) != 0)
        return fail(lx, v->col, "%s wants an address or CIDR range "
                    "(10.0.0.0/8, 2001:db8::/32; a prefix up to /32 or "
                    "/128), not '%.60s'", k->text, v->text);
    return 0;
}

static const char *const track_names[] = {
    "by_src", "by_dst", "by_both", "by_rule",
};

const char *suppress_track_name(unsigned track)
{
    return track < 4 ? track_names[track] : "?";
}

/* A limit's own keys: track, count and seconds; 1 when k is none of
 * them, else 0 or an error code. */
static int parse_limit_key(struct lex *lx, const struct token *k,
                           const struct token *v, struct suppress_entry *e)
{
    int track = strcmp(k->text, "track") == 0;
    int count = strcmp(k->text, "count") == 0;
    long n;
    if (k->quoted || !e->limit ||
        !(track || count || strcmp(k->text, "seconds") == 0))
        return 1;
    if ((track && e->has_track) || (count && e->count > 0) ||
        (!track && !count && e->seconds > 0))
        return fail(lx, k->col, "%s given twice", k->text);
    if (v == NULL)
        return fail(lx, k->col + k->len, "%s wants a value", k->text);
    if (track) {
        for (unsigned i = 0; !v->quoted && i < 4; i++) {
            if (strcmp(v->text, track_names[i]) == 0) {
                e->track = (uint8_t)i;
                e->has_track = 1;
                return 0;
            }
        }
        return fail(lx, v->col, "track wants by_src, by_dst, by_both or "
                    "by_rule, not '%.40s'", v->text);
    }
    if (count) {
        if (v->quoted || read_number(v->text, 999999, &n) != 0 || n < 1)
            return fail(lx, v->col, "count wants a number from 1 to "
                        "999999, not '%.40s'", v->text);
        e->count = (uint32_t)n;
        return 0;
    }
    if (v->quoted || read_number(v->text, 604800, &n) != 0 || n < 1)
        return fail(lx, v->col, "seconds wants a whole number from 1 to "
                    "604800 (a week), not '%.40s'", v->text);
    e->seconds = (uint32_t)n;
    return 0;
}

/* One "KEY VALUE" of the where part. */
static int parse_where(struct lex *lx, const struct token *k,
                       const struct token *v, struct suppress_entry *e)
{
    long port;
    int lk = parse_limit_key(lx, k, v, e);
    if (lk != 1)
        return lk;
    int src = strcmp(k->text, "src") == 0, dst = strcmp(k->text, "dst") == 0;
    int host = strcmp(k->text, "host") == 0;
    int is_port = strcmp(k->text, "port") == 0;
    int is_proto = strcmp(k->text, "proto") == 0;
    if (k->quoted || !(src || dst || host || is_port || is_proto))
        return fail(lx, k->col, "expected src, dst, host, port or proto%s, "
                    "not '%.40s'", e->limit ? ", track, count or seconds"
                                            : "", k->text);
    if ((src && e->has_src) || (dst && e->has_dst) ||
        (host && e->has_host) || (is_port && e->port >= 0) ||
        (is_proto && e->proto >= 0))
        return fail(lx, k->col, "%s given twice", k->text);
    if (v == NULL)
        return fail(lx, k->col + k->len, "%s wants a value", k->text);
    if (is_proto)
        return parse_proto(lx, v, e);
    if (is_port) {
        if (v->quoted || read_number(v->text, 65535, &port) != 0)
            return fail(lx, v->col, "port wants a number from 0 to 65535, "
                        "not '%.40s'", v->text);
        e->port = (int32_t)port;
        return 0;
    }
    e->has_src |= (uint8_t)src;
    e->has_dst |= (uint8_t)dst;
    e->has_host |= (uint8_t)host;
    return parse_net(lx, k, v, src ? &e->src : dst ? &e->dst : &e->host);
}

/* A port belongs to TCP, UDP and SCTP; `*` alone would hide everything. */
static int entry_check(struct lex *lx, const struct suppress_entry *e)
{
    int ported = e->proto < 0 || e->proto == 6 || e->proto == 17 ||
                 e->proto == 132;
    if (e->port >= 0 && !ported)
        return fail(lx, e->col, "a port is only for tcp, udp or sctp");
    if (e->limit && (e->count == 0 || e->seconds == 0))
        return fail(lx, e->col, "a limit wants count N and seconds S "
                    "(at most N alerts per S seconds)");
    if (!e->limit && e->what == SUPPRESS_ANY && !e->has_src && !e->has_dst &&
        !e->has_host && e->port < 0 && e->proto < 0)
        return fail(lx, e->col, "'*' without src, dst, host, port or "
                    "proto would suppress every alert");
    return 0;
}

/* The line's entry into e; 1 when it has one, 0 for a blank or comment
 * line, or an error code. */
static int parse_line(struct lex *lx, struct suppress_entry *e)
{
    struct token k, v;
    memset(e, 0, sizeof(*e));
    e->port = -1;
    e->proto = -1;
    int rc = next_token(lx, &k);
    if (rc <= 0)
        return rc;
    e->line = lx->line;
    if (!k.quoted && strcmp(k.text, "limit") == 0) {
        uint32_t col = k.col + 5;
        e->limit = 1;
        rc = next_token(lx, &k);
        if (rc == 0)
            return fail(lx, col, "limit wants what it limits: a rule, "
                        "unknown, * or a \"class name\"");
        if (rc < 0)
            return rc;
    }
    rc = parse_what(lx, &k, e);
    while (rc == 0 && (rc = next_token(lx, &k)) == 1) {
        int has_v = next_token(lx, &v);
        if (has_v < 0)
            return has_v;
        rc = parse_where(lx, &k, has_v ? &v : NULL, e);
    }
    if (rc == 0)
        rc = entry_check(lx, e);
    return rc == 0 ? 1 : rc;
}

/* Bytes a text file never holds; a tab separates like a space. */
static int line_check(struct lex *lx)
{
    for (size_t i = 0; i < lx->len; i++) {
        unsigned char ch = (unsigned char)lx->text[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return fail(lx, i + 1, "control character 0x%02x", ch);
    }
    return 0;
}

/* One line into buf without its LF or CRLF: 1, 0 at the end of the
 * file, or -1 when it is longer than the buffer. */
static int read_line(FILE *f, char *buf, size_t cap, size_t *len)
{
    int ch;
    *len = 0;
    while ((ch = getc(f)) != EOF && ch != '\n') {
        if (*len + 1 == cap)
            return -1;
        buf[(*len)++] = (char)ch;
    }
    if (ch == EOF && *len == 0)
        return 0;
    if (*len > 0 && buf[*len - 1] == '\r')
        (*len)--;
    buf[*len] = '\0';
    return 1;
}

/* Windows editors may start a UTF-8 file with a byte-order mark; it
 * draws nothing, so the error it caused ("'beacon' is no rule") showed
 * no fault. Columns count from after it, as an editor shows them. */
static void skip_bom(struct lex *lx)
{
    if (lx->line != 1 || lx->len < 3 ||
        memcmp(lx->text, "\xef\xbb\xbf", 3) != 0)
        return;
    lx->text += 3;
    lx->len -= 3;
}

static int load_lines(struct suppress *s, FILE *f, struct lex *lx)
{
    char buf[SUPPRESS_LINE_MAX + 1];
    struct suppress_entry e;
    int got;
    while ((got = read_line(f, buf, sizeof(buf), &lx->len)) != 0) {
        lx->line++;
        lx->text = buf;
        lx->pos = 0;
        skip_bom(lx);
        if (got < 0)
            return fail(lx, SUPPRESS_LINE_MAX, "line longer than %d bytes",
                        SUPPRESS_LINE_MAX);
        int rc = line_check(lx);
        if (rc == 0)
            rc = parse_line(lx, &e);
        if (rc == 1 && s->n == SUPPRESS_MAX)
            rc = err_set(ERR_INVALID, "%s:%u:1: more than %d suppression "
                         "entries in all", lx->path, lx->line, SUPPRESS_MAX);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            e.file = s->files[s->n_files];
            s->e[s->n++] = e;
        }
    }
    return ferror(f) ? err_set(ERR_IO, "%s: cannot read: %s", lx->path,
                               strerror(errno)) : 0;
}

int suppress_load(struct suppress *s, const char *path)
{
    struct lex lx = { path, 0, NULL, 0, 0 };
    if (s->n_files == SUPPRESS_FILES_MAX)
        return err_set(ERR_INVALID, "%s: more than %d suppression files",
                       path, SUPPRESS_FILES_MAX);
    s->files[s->n_files] = strdup(path);
    if (s->files[s->n_files] == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        free(s->files[s->n_files]);
        return err_set(ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    size_t before = s->n;
    int rc = load_lines(s, f, &lx);
    fclose(f);
    if (rc != 0) {
        s->n = before;
        free(s->files[s->n_files]);
        return rc;
    }
    s->n_files++;
    return 0;
}

size_t suppress_count(const struct suppress *s)
{
    return s->n;
}

const struct suppress_entry *suppress_entry_get(const struct suppress *s,
                                                size_t i)
{
    return &s->e[i];
}

static int what_holds(const struct suppress_entry *e,
                      const struct suppress_alert *a)
{
    switch (e->what) {
    case SUPPRESS_ANY: return 1;
    case SUPPRESS_UNKNOWN: return a->cls == NULL;
    case SUPPRESS_RULE: return (a->rules & e->rule) != 0;
    default: return a->cls != NULL && memo_names_collide(e->cls, a->cls);
    }
}

/* An address that is no address (a CSV row without one) lies in no
 * range. */
struct addr {
    uint8_t a[16];
    int v6, ok;
};

static int net_holds(const struct beacon_net *net, const struct addr *ad)
{
    return ad->ok && beacon_net_has_ip(net, ad->a, ad->v6);
}

static int where_holds(const struct suppress_entry *e,
                       const struct suppress_alert *a,
                       const struct addr *src, const struct addr *dst)
{
    int ported = a->proto == 6 || a->proto == 17 || a->proto == 132;
    if (e->proto >= 0 && e->proto != a->proto)
        return 0;
    if (e->port >= 0 && (!ported || e->port != a->dest_port))
        return 0;
    if (e->has_src && !net_holds(&e->src, src))
        return 0;
    if (e->has_host && !net_holds(&e->host, src) &&
        !net_holds(&e->host, dst))
        return 0;
    return !e->has_dst || net_holds(&e->dst, dst);
}

static const struct suppress_entry *match_kind(
    struct suppress *s, const struct suppress_alert *a, int limit,
    size_t *index)
{
    struct addr src, dst;
    src.ok = a->src_ip && beacon_ip_read(a->src_ip, src.a, &src.v6) == 0;
    dst.ok = a->dest_ip && beacon_ip_read(a->dest_ip, dst.a, &dst.v6) == 0;
    for (size_t i = 0; i < s->n; i++) {
        struct suppress_entry *e = &s->e[i];
        if (e->limit == limit && what_holds(e, a) &&
            where_holds(e, a, &src, &dst)) {
            e->hits++;
            *index = i;
            return e;
        }
    }
    return NULL;
}

const struct suppress_entry *suppress_match(struct suppress *s,
                                            const struct suppress_alert *a)
{
    size_t i;
    return match_kind(s, a, 0, &i);
}

const struct suppress_entry *suppress_limit_match(
    struct suppress *s, const struct suppress_alert *a, size_t *index)
{
    return match_kind(s, a, 1, index);
}

const struct suppress_entry *suppress_take(struct suppress *s, size_t i)
{
    s->e[i].hits++;
    return &s->e[i];
}

size_t suppress_entry_index(const struct suppress *s,
                            const struct suppress_entry *e)
{
    return (size_t)(e - s->e);
}

const char *suppress_what_text(const struct suppress_entry *e, char *buf,
                               size_t len)
{
    const char *t = e->what == SUPPRESS_ANY ? "*" : "unknown";
    for (size_t i = 0; i < sizeof(rule_names) / sizeof(*rule_names); i++) {
        if (e->what == SUPPRESS_RULE && e->rule == (1u << i))
            t = rule_names[i];
    }
    if (e->what == SUPPRESS_CLASS)
        snprintf(buf, len, "\"%s\"", e->cls);
    else
        snprintf(buf, len, "%s", t);
    return buf;
}
