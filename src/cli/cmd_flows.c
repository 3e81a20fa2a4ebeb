#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/flows_out.h"
#include "fewflow/capture.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/log.h"

#define MAX_INPUTS 4096
#define OUT_BUF_BYTES (1 << 20)

struct flows_opts {
    const char *inputs[MAX_INPUTS];
    size_t n_inputs;
    const char *iface;
    const char *filter;
    const char *out_path;
    const char *label;
    int snaplen;
    int promisc;
    int json;
    uint64_t max_packets;
    struct flow_config cfg;
};

struct flows_run {
    FILE *out;
    const struct flows_opts *o;
    uint64_t packets;
    int damaged;              /* some capture was truncated or damaged */
    struct capture_source *stdin_src;  /* `-r -`, opened before output */
};

static struct capture_source *volatile live_src;
static volatile sig_atomic_t stopped;

/* Files and pipes too: `tcpdump -w - | fewflow flows -r -` stopped by
 * Ctrl-C or SIGTERM used to die with every flow still open unwritten.
 * The first signal ends the reading (the open flows are then written);
 * a second one ends the process as usual. */
static void on_signal(int sig)
{
    stopped = 1;
    if (live_src)
        capture_break(live_src);
    signal(sig, SIG_DFL);
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: fewflow flows -r CAPTURE... [-o OUT.csv | --json] [--label NAME]\n"
        "       fewflow flows -i IFACE [-f EXPR] [--snaplen N] [-o OUT.csv]\n"
        "\n"
        "Turns pcap/pcapng captures (plain, .gz or .xz, by magic bytes) or a\n"
        "live interface into one row of flow features per finished flow.\n"
        "\n"
        "  -r, --read FILE        capture, or - for stdin (repeatable; also positional)\n"
        "  -i, --interface IFACE  live capture (Ctrl-C ends it)\n"
        "  -f, --filter EXPR      BPF filter for -i\n"
        "      --snaplen N        bytes kept per packet for -i (262144)\n"
        "      --no-promisc       do not put the interface in promiscuous mode\n"
        "  -c, --count N          stop after N packets\n"
        "  -o, --output FILE      write there instead of stdout\n"
        "      --json             JSON lines instead of CSV\n"
        "      --label NAME       add a 'label' column with this value\n"
        "      --idle-timeout S   end a flow after S s without packets (120)\n"
        "      --active-timeout S split a flow after S s (120)\n"
        "      --activity-gap S   gap between active and idle periods (5)\n"
        "      --close-linger S   a TCP connection ended by FIN or RST takes\n"
        "                         its trailing packets this long (1; 0 = none)\n"
        "      --max-flows N      flow table size (262144); the oldest idle\n"
        "                         flow is ended early when it is full\n"
        "      --max-frags N      fragment table size (8192)\n"
        "      --frag-timeout S   fragment state lifetime (30)\n"
        "      --bulk-gap S       longest gap inside a bulk (1)\n"
        "\n"
        "Every feature is defined in docs/features.md.\n");
}

static int parse_seconds(const char *s, uint64_t *us)
{
    double v = 0;

    if (cli_decimal(s, &v) != 0 || !(v > 0.0) || v > 1e9)
        return -1;
    *us = (uint64_t)llround(v * 1e6);
    return *us > 0 ? 0 : -1;
}

static int parse_count(const char *s, uint64_t max, uint64_t *v)
{
    unsigned long long x = 0;

    if (cli_whole(s, max, &x) != 0 || x == 0)
        return -1;
    *v = x;
    return 0;
}

enum {
    OPT_SNAPLEN = 256, OPT_NO_PROMISC, OPT_JSON, OPT_LABEL, OPT_IDLE,
    OPT_ACTIVE, OPT_ACTIVITY, OPT_MAX_FLOWS, OPT_MAX_FRAGS, OPT_FRAG_TIMEOUT,
    OPT_BULK_GAP, OPT_LINGER,
};

static const struct option long_opts[] = {
    { "read", required_argument, NULL, 'r' },
    { "interface", required_argument, NULL, 'i' },
    { "filter", required_argument, NULL, 'f' },
    { "count", required_argument, NULL, 'c' },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { "snaplen", required_argument, NULL, OPT_SNAPLEN },
    { "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
    { "json", no_argument, NULL, OPT_JSON },
    { "label", required_argument, NULL, OPT_LABEL },
    { "idle-timeout", required_argument, NULL, OPT_IDLE },
    { "active-timeout", required_argument, NULL, OPT_ACTIVE },
    { "activity-gap", required_argument, NULL, OPT_ACTIVITY },
    { "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
    { "max-frags", required_argument, NULL, OPT_MAX_FRAGS },
    { "frag-timeout", required_argument, NULL, OPT_FRAG_TIMEOUT },
    { "bulk-gap", required_argument, NULL, OPT_BULK_GAP },
    { "close-linger", required_argument, NULL, OPT_LINGER },
    { NULL, 0, NULL, 0 },
};

static int add_input(struct flows_opts *o, const char *path)
{
    if (o->n_inputs == MAX_INPUTS)
        return cli_usage_error("flows", "more than %d captures",
                               MAX_INPUTS);
    o->inputs[o->n_inputs++] = path;
    return 0;
}

/* One option; returns 0, 1 for --help, or the usage-error status. */
static int parse_opt(int c, const char *arg, struct flows_opts *o)
{
    uint64_t v = 0;
    double zero = 1;
    int bad = 0;

    switch (c) {
    case 'r': return add_input(o, arg);
    case 'i': o->iface = arg; break;
    case 'f': o->filter = arg; break;
    case 'o': o->out_path = arg; break;
    case 'h': return 1;
    case 'c': bad = parse_count(arg, UINT64_MAX, &o->max_packets); break;
    case OPT_SNAPLEN:
        bad = parse_count(arg, 262144, &v);
        o->snaplen = (int)v;
        break;
    case OPT_NO_PROMISC: o->promisc = 0; break;
    case OPT_JSON: o->json = 1; break;
    case OPT_LABEL: o->label = arg; break;
    case OPT_IDLE: bad = parse_seconds(arg, &o->cfg.idle_timeout_us); break;
    case OPT_ACTIVE:
        bad = parse_seconds(arg, &o->cfg.active_timeout_us);
        break;
    case OPT_ACTIVITY:
        bad = parse_seconds(arg, &o->cfg.activity_gap_us);
        break;
    case OPT_FRAG_TIMEOUT:
        bad = parse_seconds(arg, &o->cfg.frag_timeout_us);
        break;
    case OPT_LINGER:
        o->cfg.close_linger_us = 0;
        if (cli_decimal(arg, &zero) != 0 || zero != 0)
            bad = parse_seconds(arg, &o->cfg.close_linger_us);
        break;
    case OPT_BULK_GAP:
        bad = parse_seconds(arg, &o->cfg.bulk_gap_us);
        break;
    case OPT_MAX_FLOWS:
        bad = parse_count(arg, 1u << 30, &v);
        o->cfg.max_flows = (size_t)v;
        break;
    case OPT_MAX_FRAGS:
        bad = parse_count(arg, 1u << 24, &v);
        o->cfg.max_frags = (size_t)v;
        break;
    default:
        return cli_usage_error("flows", "unknown option");
    }
    if (bad)
        return cli_usage_error("flows", "%s: bad value '%s'",
                               cli_opt_name(long_opts, c), arg);
    return 0;
}

static int parse_args(int argc, char **argv, struct flows_opts *o)
{
    int c;

    memset(o, 0, sizeof(*o));
    o->promisc = 1;
    flow_config_default(&o->cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:i:f:c:o:h", long_opts,
                            NULL)) != -1) {
        int rc = parse_opt(c, optarg, o);
        if (rc != 0)
            return rc;
    }
    for (int i = optind; i < argc; i++)
        if (add_input(o, argv[i]) != 0)
            return 2;
    if (!o->iface && o->n_inputs == 0)
        return cli_usage_error("flows", "give capture files (-r) or -i");
    if (o->iface && o->n_inputs > 0)
        return cli_usage_error("flows", "-r and -i exclude each other");
    if (cli_stdin_count(o->inputs, o->n_inputs) > 1)
        return cli_usage_error("flows", "standard input given more than "
                               "once (-r -)");
    if (o->filter && !o->iface)
        return cli_usage_error("flows", "-f needs -i");
    if (o->label && strpbrk(o->label, ",\"\n\r\\"))
        return cli_usage_error("flows", "a label cannot hold , \" \\ or "
                               "line breaks");
    return 0;
}

static int on_flow(const struct flow_record *rec, void *user)
{
    struct flows_run *run = user;

    if (run->o->json)
        return flows_out_json(run->out, rec, run->o->label);
    return flows_out_csv_row(run->out, rec, run->o->label);
}

static void report_damage(struct flows_run *run,
                          const struct capture_source *src)
{
    const struct capture_source_stats *st = capture_stats(src);

    if (st->truncated == 0 && st->bad_records == 0)
        return;
    run->damaged = 1;
    log_error("flows", "%s (%" PRIu64 " truncated, %" PRIu64
              " damaged records; flows up to there were written)",
              capture_damage(src), st->truncated, st->bad_records);
}

/* Feeds one source to the meter until its end, a stop, or -c. */
static int pump(struct flows_run *run, struct capture_source *src,
                struct flow_meter *m)
{
    struct capture_packet pkt;
    int rc;

    while ((rc = capture_next(src, &pkt)) > 0) {
        if (rc == 2) {
            rc = flow_meter_advance(m, pkt.ts_ns);
            fflush(run->out);
        } else {
            rc = flow_meter_packet(m, &pkt);
            if (rc == 0 && capture_idle(src))
                rc = flow_meter_advance(m, pkt.ts_ns);
            run->packets++;
        }
        if (rc != 0)
            return rc;
        if (run->o->max_packets && run->packets >= run->o->max_packets)
            return 0;
    }
    return rc;
}

static int run_file(struct flows_run *run, const char *path,
                    struct flow_meter *m)
{
    struct capture_source *src = strcmp(path, "-") == 0 ? run->stdin_src :
                                 capture_open_file(path);
    if (!src)
        return err_last();
    if (src == run->stdin_src)
        run->stdin_src = NULL;
    log_debug("flows", "reading %s", path);
    live_src = src;
    if (stopped)
        capture_break(src);
    int rc = pump(run, src, m);
    live_src = NULL;
    report_damage(run, src);
    capture_close(src);
    if (rc == 0)
        rc = flow_meter_flush(m);
    return rc;
}

static int run_live(struct flows_run *run, struct flow_meter *m)
{
    const struct flows_opts *o = run->o;
    struct capture_source *src = capture_open_live(o->iface, o->filter,
                                                   o->snaplen, o->promisc);
    if (!src)
        return err_last();
    live_src = src;
    log_info("flows", "capturing on %s (Ctrl-C to stop)", o->iface);
    int rc = pump(run, src, m);
    live_src = NULL;
    if (rc == 0)
        rc = flow_meter_flush(m);
    const struct capture_source_stats *st = capture_stats(src);
    if (st->dropped)
        log_warn("flows", "%s: the kernel dropped %" PRIu64 " packets",
                 o->iface, st->dropped);
    capture_close(src);
    return rc;
}

static void summary(const struct flow_meter *m)
{
    const struct flow_stats *s = flow_meter_stats(m);

    log_info("flows", "%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
             " flows (peak %" PRIu64 " open), %" PRIu64 " fragments (%"
             PRIu64 " orphaned), %" PRIu64 " non-IP, %" PRIu64
             " unsupported, %" PRIu64 " truncated, %" PRIu64 " malformed, %"
             PRIu64 " evicted, %" PRIu64 " out-of-order timestamps",
             s->packets, s->bytes, s->flows, s->max_active, s->fragments,
             s->orphan_fragments, s->non_ip, s->unsupported, s->truncated,
             s->malformed, s->evicted, s->ts_backwards);
    if (s->unsupported)
        log_warn("flows", "%" PRIu64 " packets of unsupported link type %"
                 PRIu32 " (first seen) were skipped", s->unsupported,
                 s->unsupported_linktype);
    if (s->clock_steps)
        log_warn("flows", "the capture clock went back by more than the "
                 "idle timeout %" PRIu64 " time(s): the flows open then "
                 "were ended there", s->clock_steps);
    if (s->evicted)
        log_warn("flows", "the flow table (--max-flows) was full: %" PRIu64
                 " flows ended early", s->evicted);
}

static int run_all(struct flows_run *run, struct flow_meter *m)
{
    const struct flows_opts *o = run->o;

    int rc = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    if (o->iface)
        rc = run_live(run, m);
    for (size_t i = 0; !o->iface && rc == 0 && i < o->n_inputs; i++) {
        rc = run_file(run, o->inputs[i], m);
        if (o->max_packets && run->packets >= o->max_packets)
            break;
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (rc == 0 && stopped && !o->iface)
        log_warn("flows", "stopped by a signal before the end of the input: "
                 "the flows up to there were written, the rest was not "
                 "read");
    return rc;
}

/* Every capture must at least open before the output file is created,
 * so a mistyped name leaves no header-only CSV behind. Standard input
 * (named once at most: parse_args) cannot be opened twice, so it stays
 * open for the run. */
static int inputs_readable(const struct flows_opts *o, struct flows_run *run)
{
    for (size_t i = 0; i < o->n_inputs; i++) {
        if (strcmp(o->inputs[i], "-") == 0) {
            run->stdin_src = capture_open_file("-");
            if (!run->stdin_src)
                return err_last();
            continue;
        }
        struct capture_source *src = capture_open_file(o->inputs[i]);
        if (!src)
            return err_last();
        capture_close(src);
    }
    return 0;
}

static FILE *open_output(const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        err_set(ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    return f;
}

int cmd_flows(int argc, char **argv)
{
    struct flows_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0)
        return rc;
    struct flows_run run = { .o = &o };
    rc = cli_output_is_input(o.out_path, (const char *const *)o.inputs,
                             o.n_inputs);
    if (rc == 0)
        rc = inputs_readable(&o, &run);
    if (rc != 0) {
        capture_close(run.stdin_src);
        return cli_fail(rc);
    }
    run.out = open_output(o.out_path);
    if (!run.out) {
        capture_close(run.stdin_src);
        return cli_fail(ERR_IO);
    }
    /* Live rows, and rows from standard input (tcpdump -w - | fewflow
     * flows -r -), must show up as flows end, not when a buffer fills. */
    static char out_buf[OUT_BUF_BYTES];
    setvbuf(run.out, out_buf, o.iface || run.stdin_src ? _IOLBF : _IOFBF,
            sizeof(out_buf));
    struct flow_meter *m = flow_meter_create(&o.cfg, on_flow, &run);
    if (!m) {
        capture_close(run.stdin_src);
        return cli_fail(err_last());
    }
    if (!o.json)
        flows_out_csv_header(run.out, o.label != NULL);
    rc = run_all(&run, m);
    capture_close(run.stdin_src);
    summary(m);
    flow_meter_destroy(m);
    if (fflush(run.out) != 0 && rc == 0)
        rc = err_set(ERR_IO, "%s: write failed",
                     o.out_path ? o.out_path : "stdout");
    if (run.out != stdout)
        fclose(run.out);
    if (rc != 0)
        return cli_fail(rc);
    return run.damaged ? 2 : 0;
}
