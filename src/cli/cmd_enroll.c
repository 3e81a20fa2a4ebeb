#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/detect_run.h"
#include "cli/enroll_pick.h"
#include "fewflow/alert.h"
#include "fewflow/flow.h"
#include "fewflow/detector.h"
#include "fewflow/err.h"
#include "fewflow/log.h"
#include "fewflow/support.h"

/* More flows than this are not needed to describe a class and would only
 * make enrolment slow; the first ones are kept. */
#define ENROLL_MAX_FLOWS 100000

static void usage(FILE *out)
{
    fprintf(out,
        "usage: fewflow enroll --model MODEL --name NAME --flows FILE "
        "[--shot K] -o MODEL2\n"
        "Adds class NAME to a model from flows of FILE (a capture or a "
        "flow CSV) with no\nretraining, and calibrates its radius. FILE "
        "- is standard input: a capture\nwhen it is a pipe.\n\n"
        "      --shot K     use the first K flows (default: all, up to "
        "%d);\n"
        "                   with --pick, the first K picks in P's order\n"
        "      --pick P     take only the flows whose flow_id P lists: "
        "detect's alert\n"
        "                   lines (JSON lines) or flow_id numbers, one a "
        "line ('-':\n"
        "                   stdin);"
        " all must be found: read FILE with the flow\n"
        "                   timeouts detect used\n"
        "      --community-id-seed N  the seed detect used (default 0), "
        "to check the\n"
        "                   picks' community_id\n"
        "      --filter EXPR  read only the capture's packets this BPF "
        "filter keeps\n"
        "                   (tcpdump syntax); not for a flow CSV\n"
        "      --benign     the class is benign traffic (raises no "
        "alerts)\n"
        "      --max-protos N  prototypes kept (default 16; more flows are "
        "clustered)\n"
        "      --neutral LIST  as for detect (default: 'default')\n"
        "      --idle-timeout S, --active-timeout S, --close-linger S  flow "
        "timeouts,\n"
        "                   as for detect\n"
        "  -o, --output F   where to write the new model (may be MODEL)\n",
        ENROLL_MAX_FLOWS);
}

/* Labels of a CSV's rows, counted to warn when one file mixes several. */
#define ENROLL_LABELS 4

struct collect {
    float *x;
    size_t n, cap, limit, n_in;
    size_t n_seen;                 /* flows read, picked or not */
    struct enroll_pick *pick;      /* --pick, or NULL */
    char label[ENROLL_LABELS][64];
    size_t label_n[ENROLL_LABELS + 1];  /* the last: any further label */
    size_t n_labels;
};

static void count_label(struct collect *c, const char *label)
{
    size_t i = 0;
    while (i < c->n_labels && strcmp(c->label[i], label) != 0)
        i++;
    if (i == c->n_labels && i < ENROLL_LABELS)
        snprintf(c->label[c->n_labels++], sizeof(c->label[0]), "%s", label);
    c->label_n[i]++;
}

static int on_flow(const struct detector_flow *f, void *user)
{
    struct collect *c = user;
    if (f == NULL)
        return 0;
    c->n_seen++;
    if (c->pick != NULL) {
        int took = enroll_pick_flow(c->pick, f);
        if (took > 0 && f->label != NULL)
            count_label(c, f->label);
        return took == 2 ? 1 : took < 0 ? took : 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        float *g = realloc(c->x, cap * c->n_in * sizeof(float));
        if (g == NULL)
            return err_set(ERR_NOMEM, "out of memory");
        c->x = g;
        c->cap = cap;
    }
    memcpy(c->x + c->n * c->n_in, f->x, c->n_in * sizeof(float));
    if (f->label != NULL)
        count_label(c, f->label);
    return ++c->n >= c->limit ? 1 : 0;
}

struct enroll_args {
    const char *model, *name, *flows, *out, *neutral, *pick, *filter;
    long shot;
    uint16_t cid_seed;
    struct memo_enroll_opts eo;
    struct flow_config fc;
};

static uint32_t utf8_code_point(const unsigned char *p, size_t n)
{
    static const unsigned char lead_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
    uint32_t cp = p[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3f);
    return cp;
}

/* Characters that draw nothing or reorder the text around them: a name
 * holding one shows as another name (U+202E turns "x<RLO>evil" into
 * "xlive" on screen), or as an empty one. U+2028/9 break lines in some
 * JSON readers. */
static int is_invisible(uint32_t cp)
{
    return cp == 0xad || cp == 0x61c || cp == 0x180e ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
           (cp >= 0xfff9 && cp <= 0xfffb) || (cp >= 0xe0000 && cp <= 0xe007f);
}

static int is_space(uint32_t cp)
{
    return cp == ' ' || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

/* Combining marks (the general blocks): "e" + U+0301 shows as the "é"
 * of U+00E9 but is another byte string, so the two would be two classes.
 * Refusing them keeps names in the precomposed form that keyboards and
 * SIEM rules use; scripts whose letters need marks of their own blocks
 * (Devanagari, Thai, ...) are not affected. */
static int is_combining(uint32_t cp)
{
    return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
           (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
           (cp >= 0xfe20 && cp <= 0xfe2f);
}

static int has_combining(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    while (*p != '\0') {
        size_t n = alert_utf8_len(p);
        if (n == 0)
            return 0;
        if (is_combining(utf8_code_point(p, n)))
            return 1;
        p += n;
    }
    return 0;
}

/* C0 and C1 controls and DEL would reach a terminal or a log line raw;
 * invalid UTF-8 would read differently in the JSON alerts (U+FFFD);
 * invisible characters and spaces at the ends make two names that look
 * the same ("DDoS" and "DDoS "), or one that looks empty. */
int cli_name_is_text(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    uint32_t cp = 0;
    while (*p != '\0') {
        size_t n = alert_utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f)
            return 0;
        cp = utf8_code_point(p, n);
        if ((cp >= 0x80 && cp < 0xa0) || is_invisible(cp) ||
            (p == (const unsigned char *)name && is_space(cp)))
            return 0;
        p += n;
    }
    return !is_space(cp);
}

static int parse(int argc, char **argv, struct enroll_args *a)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "name", required_argument, 0, 'n' },
        { "flows", required_argument, 0, 'f' },
        { "shot", required_argument, 0, 'k' },
        { "benign", no_argument, 0, 'b' },
        { "max-protos", required_argument, 0, 'p' },
        { "output", required_argument, 0, 'o' },
        { "neutral", required_argument, 0, 'N' },
        { "idle-timeout", required_argument, 0, 'I' },
        { "active-timeout", required_argument, 0, 'A' },
        { "close-linger", required_argument, 0, 'L' },
        { "pick", required_argument, 0, 'P' },
        { "filter", required_argument, 0, 'F' },
        { "community-id-seed", required_argument, 0, 'C' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    unsigned long long n = 0;

    while ((c = getopt_long(argc, argv, "m:n:f:k:o:h", longs, 0)) != -1) {
        switch (c) {
        case 'm': a->model = optarg; break;
        case 'n': a->name = optarg; break;
        case 'f': a->flows = optarg; break;
        case 'o': a->out = optarg; break;
        case 'b': a->eo.is_benign = 1; break;
        case 'N': a->neutral = optarg; break;
        case 'P': a->pick = optarg; break;
        case 'F': a->filter = optarg; break;
        case 'C':
            if (cli_whole(optarg, 65535, &n) != 0)
                return cli_usage_error("enroll", "--community-id-seed "
                                       "wants 0 to 65535");
            a->cid_seed = (uint16_t)n;
            break;
        case 'I':
            if (cli_timeout("enroll", "--idle-timeout", optarg,
                            &a->fc.idle_timeout_us) != 0)
                return 2;
            break;
        case 'A':
            if (cli_timeout("enroll", "--active-timeout", optarg,
                            &a->fc.active_timeout_us) != 0)
                return 2;
            break;
        case 'L':
            if (cli_linger("enroll", optarg, &a->fc.close_linger_us) != 0)
                return 2;
            break;
        case 'k':
            if (cli_whole(optarg, ENROLL_MAX_FLOWS, &n) != 0 || n < 1)
                return cli_usage_error("enroll", "--shot wants 1 to %d",
                                       ENROLL_MAX_FLOWS);
            a->shot = (long)n;
            break;
        case 'p':
            if (cli_whole(optarg, MEMO_MAX_PROTOS, &n) != 0 || n < 1)
                return cli_usage_error("enroll", "--max-protos wants 1 to "
                                       "%d", MEMO_MAX_PROTOS);
            a->eo.max_protos = (uint32_t)n;
            break;
        case 'h': usage(stdout); return -1;
        default: return 2;
        }
    }
    if (optind < argc)
        return cli_usage_error("enroll", "unexpected argument '%s'",
                               argv[optind]);
    if (!a->model || !a->name || !a->flows || !a->out)
        return cli_usage_error("enroll", "--model, --name, --flows and -o "
                               "are required");
    if (a->pick != NULL && strcmp(a->pick, "-") == 0 &&
        strcmp(a->flows, "-") == 0)
        return cli_usage_error("enroll", "--pick and --flows cannot both "
                               "read standard input");
    /* The model is written whole after the flows are read, over any
     * file: -o naming the capture or the pick list would replace it. */
    const char *in[2] = { a->flows, a->pick != NULL ? a->pick : "-" };
    if (cli_output_is_input(a->out, in, 2) != 0)
        return cli_fail(err_last());
    /* Alerts and summaries use these words for verdicts, not classes. */
    if (memo_names_collide(a->name, "unknown") ||
        memo_names_collide(a->name, "unjudged"))
        return cli_usage_error("enroll", "the class name '%s' is reserved "
                               "for a verdict", a->name);
    size_t len = strlen(a->name);
    if (len == 0 || len > MEMO_NAME_MAX)
        return cli_usage_error("enroll", "--name: a class name has 1 to %d "
                               "bytes, not %zu", MEMO_NAME_MAX, len);
    if (!cli_name_is_text(a->name))
        return cli_usage_error("enroll", "--name: a class name must be "
                               "UTF-8 text without control characters, "
                               "invisible or direction-changing characters, "
                               "or spaces at its ends (it goes into alerts, "
                               "logs and terminals)");
    if (has_combining(a->name))
        return cli_usage_error("enroll", "--name: a class name may not hold "
                               "combining marks (U+0300 to U+036F, ...): "
                               "write an accented letter precomposed (NFC), "
                               "so that one name has one spelling");
    return 0;
}

/* Standard input can be read only once: a pipe is taken as a capture
 * (`tcpdump -w - | ...`); a redirected file is sniffed and rewound. */
static int flows_are_capture(const char *path)
{
    if (strcmp(path, "-") != 0)
        return detector_is_capture(path);
    off_t at = lseek(STDIN_FILENO, 0, SEEK_CUR);
    if (at < 0)
        return 1;
    int capture = detector_is_capture(path);
    return lseek(STDIN_FILENO, at, SEEK_SET) == at ? capture : 1;
}

/* Why a capture gave nothing: a link type the meter does not read, or
 * no IP at all (ARP, LLDP); why a CSV did: every data row becomes a flow,
 * so it had none after its header. */
static int no_flows_error(const char *path, int capture,
                          const struct detector_input_stats *st)
{
    if (!capture && st->rows == 0)
        return err_set(ERR_INVALID, "%s: no flows to enrol from (0 rows "
                       "read: a header line and no data rows; blank lines "
                       "are not rows)", path);
    if (!capture)
        return err_set(ERR_INVALID, "%s: no flows to enrol from (%llu "
                       "rows read, none became a flow)", path,
                       (unsigned long long)st->rows);
    if (st->unsupported > 0)
        return err_set(ERR_INVALID, "%s: no flows to enrol from (%llu "
                       "packets of unsupported link type %u)", path,
                       (unsigned long long)st->unsupported,
                       (unsigned)st->unsupported_linktype);
    if (st->packets > 0)
        return err_set(ERR_INVALID, "%s: no flows to enrol from (%llu "
                       "packets, none in an IP flow)", path,
                       (unsigned long long)st->packets);
    return err_set(ERR_INVALID, "%s: no flows to enrol from", path);
}

static int read_support(struct detector *d, const char *path,
                        const char *filter, const struct flow_config *fc,
                        struct collect *c)
{
    struct detector_input in;
    struct detector_input_stats st;

    memset(&in, 0, sizeof(in));
    in.flow = fc;
    int capture = flows_are_capture(path);
    if (!capture && filter != NULL)
        return err_set(ERR_INVALID, "%s: --filter selects a capture's "
                       "packets, and this is a flow CSV (select its rows "
                       "with --pick)", path);
    if (capture) {
        in.captures = &path;
        in.n_captures = 1;
        in.file_filter = filter;
    } else {
        in.csvs = &path;
        in.n_csvs = 1;
    }
    int rc = detector_read_flows(d, &in, on_flow, c, &st);
    if (rc == 1)
        rc = 0;
    /* A pipe is read as a capture (it cannot be sniffed and rewound), so
     * `cat flows.csv | fewflow enroll --flows -` failed with only
     * "not a pcap or pcapng capture". */
    if (rc == ERR_FORMAT && capture && strcmp(path, "-") == 0 &&
        st.packets == 0)
        rc = err_set(rc, "%s (a flow CSV on standard input must come from "
                     "a file, '--flows - < flows.csv', not a pipe)",
                     err_msg());
    /* A class is not built from a capture that ended in damage. */
    if (rc == 0 && st.damaged_inputs)
        rc = err_set(ERR_PARSE, "%s", st.damage);
    if (rc == 0 && c->n_seen == 0 && st.filtered > 0)
        rc = err_set(ERR_INVALID, "%s: no flows to enrol from (--filter "
                     "'%s' left out all %llu packets)", path, filter,
                     (unsigned long long)st.filtered);
    if (rc == 0 && c->n_seen == 0)
        rc = no_flows_error(path, capture, &st);
    return rc;
}

/* enroll takes every row of its file whatever its label: a CSV that
 * mixes BENIGN rows with the attack's makes a class that takes benign
 * traffic, which the user should hear of before it alerts. */
static void warn_labels(const struct collect *c, const char *path,
                        const char *name)
{
    char list[512] = "", b1[256], b2[256];
    size_t at = 0;
    if (c->n_labels < 2)
        return;
    for (size_t i = 0; i <= c->n_labels && at < sizeof(list); i++) {
        if (c->label_n[i] == 0)
            continue;
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s %zu",
                               at ? ", " : "", i < c->n_labels
                               ? cli_printable(c->label[i], b1, sizeof(b1))
                               : "other labels", c->label_n[i]);
    }
    log_warn("enroll", "%s holds rows of several labels (%s): all %zu are "
             "enrolled as '%s'", path, list, c->n,
             cli_printable(name, b2, sizeof(b2)));
}

/* Flows that an attack class already takes would give two names to one
 * kind of traffic, and the two classes then split its flows between them
 * (QA: 100 DDoS rows enrolled as a new class took half of DDoS). A novel
 * attack the model calls benign is the usual case, so benign is left out. */
static void warn_overlap(const struct memo *m, const char *name,
                         const float *z, size_t n)
{
    uint32_t *took = calloc(m->n_classes + 1, sizeof(uint32_t));
    struct memo_decision dec;
    if (took == NULL || n == 0) {
        free(took);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        memo_decide(m, z + i * m->dim, &dec);
        took[dec.cls < 0 ? m->n_classes : (size_t)dec.cls]++;
    }
    for (size_t c = 0; c < m->n_classes; c++) {
        if ((m->cls[c].flags & MEMO_CLASS_BENIGN) || 2 * took[c] <= n)
            continue;
        char b1[256], b2[256];
        log_warn("enroll", "%u of %zu flows of '%s' are already decided "
                 "'%s': the two classes will split that traffic", took[c], n,
                 cli_printable(name, b1, sizeof(b1)),
                 cli_printable(m->cls[c].name, b2, sizeof(b2)));
    }
    free(took);
}

/* The name is taken by a class spelt `have` (the same, or with other
 * ASCII case). */
static int name_taken(const struct enroll_args *a, const char *have)
{
    char b1[160], b2[160];
    if (strcmp(have, a->name) == 0)
        return err_set(ERR_INVALID, "%s: class '%s' already exists (forget "
                       "it first)", a->model,
                       cli_printable(a->name, b1, sizeof(b1)));
    return err_set(ERR_INVALID, "%s: class '%s' would be class '%s' (class "
                   "names compare with ASCII case folded): enrol under that "
                   "name after forgetting it, or choose another",
                   a->model, cli_printable(a->name, b1, sizeof(b1)),
                   cli_printable(have, b2, sizeof(b2)));
}

static int enrol(struct detector *d, const struct enroll_args *a)
{
    struct collect c = { .limit = a->shot ? (size_t)a->shot
                                          : ENROLL_MAX_FLOWS,
                         .n_in = d->n_in };
    float *z = NULL;
    int32_t same = memo_class_find(d->memo, a->name);
    int rc = same >= 0 ? name_taken(a, d->memo->cls[same].name) : 0;
    if (rc == 0 && a->pick != NULL &&
        (c.pick = enroll_pick_create(a->pick, d->n_in,
                                     a->cid_seed)) == NULL)
        rc = err_last();
    if (rc == 0)
        rc = read_support(d, a->flows, a->filter, &a->fc, &c);
    if (rc == 0 && c.pick != NULL)
        rc = enroll_pick_finish(c.pick, a->flows, &a->fc, (size_t)a->shot,
                                &c.x, &c.n);
    enroll_pick_destroy(c.pick);

    /* The flows' kinds join the model's support table (support.h) before
     * embedding normalises them in place. */
    if (rc == 0 && d->support != NULL)
        rc = support_add_rows(d->support, a->name, c.x, c.n, d->n_in);
    if (rc == 0 && (z = malloc(c.n * d->dim * sizeof(float))) == NULL)
        rc = err_set(ERR_NOMEM, "out of memory");
    if (rc == 0)
        rc = detector_embed(d, c.x, c.n, z);
    if (rc == 0) {
        warn_labels(&c, a->flows, a->name);
        warn_overlap(d->memo, a->name, z, c.n);
    }
    /* A failure here comes from the model's stored memory (a forged or
     * damaged section can give absurd radii), so the model is named. */
    if (rc == 0 && (rc = memo_enroll(d->memo, a->name, z, c.n, c.x,
                                     &a->eo)) != 0)
        rc = err_set(rc, "%s: %s", a->model, err_msg());
    /* Name what ran short: the pick list, or what the filter kept, not
     * the capture, which may hold many more flows. */
    if (rc == 0 && a->shot && c.n < (size_t)a->shot && a->pick != NULL)
        log_warn("enroll", "%s names only %zu flows of %s (asked for %ld)",
                 strcmp(a->pick, "-") ? a->pick : "stdin", c.n, a->flows,
                 a->shot);
    else if (rc == 0 && a->shot && c.n < (size_t)a->shot)
        log_warn("enroll", "%s holds only %zu flows%s (asked for %ld)",
                 a->flows, c.n, a->filter ? " that --filter keeps" : "",
                 a->shot);
    free(c.x);
    free(z);
    return rc;
}

/* An attack class that takes held-out benign flows costs false alarms
 * the calibration was meant to bound; the operator should hear of it
 * rather than read it off a number in the result line. `before` was
 * measured in this run on the same held-out benign flows: the rate
 * stored in the model may predate classes enrolled since (by older
 * rules), and comparing with it blamed this class for their alarms. */
static void warn_benign_cost(const struct memo *m, const char *name,
                             float before)
{
    char buf[256];
    const char *shown = cli_printable(name, buf, sizeof(buf));
    if (m->benign_fpr <= m->benign_fpr_target)
        return;
    if (m->benign_fpr > before)
        log_warn("enroll", "'%s' raises the benign false-alarm rate from "
                 "%.2f%% to %.2f%% on the same %u held-out benign flows "
                 "(target %.2f%%): it takes some of them", shown,
                 100.0 * before, 100.0 * m->benign_fpr, m->n_reservoir,
                 100.0 * m->benign_fpr_target);
    else
        log_warn("enroll", "the benign false-alarm rate is %.2f%% before "
                 "and %.2f%% after enrolling '%s' (target %.2f%%): classes "
                 "already in the model take held-out benign flows, not this "
                 "one", 100.0 * before, 100.0 * m->benign_fpr, shown,
                 100.0 * m->benign_fpr_target);
}

/* The rate stored in the model, when it is no longer what the model
 * does on its own held-out benign flows. */
static void note_stale_rate(const struct memo *m, const char *model,
                            float now)
{
    if (fabsf(m->benign_fpr - now) * (float)m->n_reservoir < 0.5f)
        return;
    log_info("enroll", "%s stored a benign false-alarm rate of %.2f%%; its "
             "classes give %.2f%% on its held-out benign flows now (classes "
             "enrolled or rules changed since)", model,
             100.0 * m->benign_fpr, 100.0 * now);
}

int cmd_enroll(int argc, char **argv)
{
    struct enroll_args a = { 0 };
    memo_enroll_opts_default(&a.eo);
    a.neutral = "default";
    flow_config_default(&a.fc);
    int rc = parse(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    struct detector *d = detector_load(a.model, 1);
    if (d == NULL)
        return cli_fail(err_last());
    cli_warn_name_clash("enroll", d->memo, a.model);
    rc = detector_set_neutral(d, a.neutral, NULL);
    float fpr_before = memo_benign_fpr(d->memo);
    note_stale_rate(d->memo, a.model, fpr_before);
    if (rc == 0)
        rc = enrol(d, &a);
    if (rc == 0)
        warn_benign_cost(d->memo, a.name, fpr_before);
    if (rc == 0)
        rc = detector_save(d, a.out);
    if (rc == 0) {
        const struct memo_class *cl =
            &d->memo->cls[memo_class_find(d->memo, a.name)];
        printf("enrolled %s from %llu flows: %u prototypes, radius %.4g; "
               "benign false-alarm rate %.2f%% (target %.2f%%)\n", a.name,
               (unsigned long long)cl->n_support, cl->n_protos,
               (double)cl->radius, 100.0 * d->memo->benign_fpr,
               100.0 * d->memo->benign_fpr_target);
    }
    detector_destroy(d);
    return rc == 0 ? 0 : cli_fail(rc);
}
