#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/detect_run.h"
#include "fewflow/err.h"
#include "fewflow/flow.h"
#include "fewflow/log.h"
#include "fewflow/beacon.h"
#include "fewflow/limit.h"
#include "fewflow/repeat.h"
#include "fewflow/slow.h"

static void usage(FILE *out)
{
    char auth[256];
    repeat_ports_auth_text(auth, sizeof(auth));
    fprintf(out,
        "usage: fewflow detect --model MODEL (-r CAPTURE... | -i IFACE | "
        "--csv FILE...) [options]\n"
        "Classifies every flow as it ends: a known class, an enrolled one, "
        "or unknown.\nOne JSON line per alert on stdout (Suricata EVE "
        "shape); a summary on stderr.\n\n"
        "  -o, --output FILE    append the alert lines to FILE (created "
        "0640) instead of\n"
        "                       stdout; a live run opens it again on "
        "SIGHUP (logrotate)\n"
        "  -r, --read FILE      capture file (pcap/pcapng, .gz/.xz), or - "
        "for stdin\n"
        "                       (tcpdump -U -w - | ...); repeatable\n"
        "  -i, --interface IF   live capture\n"
        "  -f, --filter EXPR    BPF filter for -i\n"
        "      --csv FILE       flow CSV rows instead of packets (- for "
        "stdin); repeatable;\n"
        "                       rows from a pipe are written after a "
        "second of quiet\n"
        "      --all            also print benign flows\n"
        "      --explain N      features in each explanation "
        "(default 3, 0 = none)\n"
        "      --explain-rate N at most N explanations per second; later "
        "alerts go out\n"
        "                       without one (default 1000 for -i, "
        "no limit otherwise; 0 = no limit)\n"
        "      --batch N        flows classified at a time (default 256, "
        "at most 256\n"
        "                       used): speed only, the output is the same "
        "for any N\n"
        "      --threads N      classification threads (default: online "
        "cores, at most 8)\n"
        "      --idle-timeout S flow idle timeout in seconds "
        "(default 120)\n"
        "      --active-timeout S  split longer flows after S seconds "
        "(default 120)\n"
        "      --close-linger S a TCP connection ended by FIN or RST takes "
        "its trailing\n"
        "                       packets this long (default 1, 0 = none)\n"
        "      --max-flows N    flow table size (default 262144)\n"
        "      --summary-json F write the summary as JSON to F\n"
        "      --community-id-seed N  seed of each line's community_id "
        "(the Community ID\n"
        "                       flow hash, as Suricata and Zeek write it; "
        "0-65535,\n"
        "                       default 0): set it as the other sensors "
        "have it\n"
        "      --neutral LIST   columns left at the training mean for "
        "capture input:\n"
        "                       'default' (features known to differ from "
        "the CIC CSVs:\n"
        "                       none at present),\n"
        "                       '' (none) or comma-separated names\n"
        "      --min-support N  training rows a flow kind needs: fewer in "
        "its protocol\n"
        "                       family makes the flow 'unjudged', fewer "
        "in a benign\n"
        "                       class keeps it out of that class "
        "(default 10, 0 = off)\n"
        "      --judge-cut      judge a TCP connection still open when the "
        "input ended\n"
        "                       (default: its alert is withheld as "
        "'unjudged')\n"
        "      --judge-lone     judge a lone refused connection or a lone "
        "flow unanswered\n"
        "                       when the input ended (default: its alert "
        "is withheld\n"
        "                       as 'unjudged' unless its source or target "
        "saw others\n"
        "                       like it within --idle-timeout)\n"
        "      --lone-prefix S4,S6,D4,D6  networks of the lone limit: "
        "past 32 lone\n"
        "                       alerts in a window from one source "
        "network or to one\n"
        "                       destination network, theirs alert "
        "(default 24,64,16,48;\n"
        "                       V4,V6 sets both sides; 0,0 = all "
        "together)\n"
        "      --judge-repeats  judge each session of a repeated run alone "
        "(default: when\n"
        "                       one source opens --repeat-sessions "
        "sessions of one shape\n"
        "                       to one host and port within "
        "--repeat-window, their benign\n"
        "                       verdicts are reported as unknown)\n"
        "      --judge-continuations  judge each flow of a TCP connection "
        "alone (default:\n"
        "                       a flow without SYN that continues, within "
        "600 s, an\n"
        "                       unclosed flow of its 5-tuple decided "
        "non-benign keeps\n"
        "                       that class instead of benign or unknown)\n"
        "      --repeat-sessions N  sessions that make a run (default 30)\n"
        "      --repeat-window S    seconds they must fall within "
        "(default 1800)\n"
        "      --repeat-ports LIST  destination ports whose sessions "
        "count: ports,\n"
        "                       ranges LO-HI, 'all', or 'auth' (the "
        "default): services\n"
        "                       with a password login, %s;\n"
        "                       e.g. auth,2222\n"
        "      --repeat-max-duration S  longer sessions do not count "
        "(default 30, 0 = any)\n"
        "      --judge-beacons  judge each session of a regular series "
        "alone (default: once\n"
        "                       one client's sessions to one server "
        "port come at a steady\n"
        "                       period, with similar sizes, their later "
        "sessions alert\n"
        "                       as a beacon: benign verdicts become "
        "unknown)\n"
        "      --beacon-min N   beats a series needs before it is judged "
        "(default %d,\n"
        "                       %d to %d)\n"
        "      --beacon-to WHERE  'external' (the default): only servers "
        "outside\n"
        "                       --beacon-local, DNS and NTP left out; "
        "'any': every series\n"
        "      --beacon-local LIST  the local networks: CIDR ranges, "
        "addresses and\n"
        "                       'private' (the default: RFC 1918, "
        "loopback, link-local,\n"
        "                       CGNAT, multicast, IPv6 ULA); e.g. "
        "private,203.0.113.0/24\n"
        "      --beacon-max-clients N  a series whose server more than N "
        "clients talk to\n"
        "                       is not reported (default 0: any number; "
        "at most %d)\n"
        "      --judge-slow     judge each slow connection alone (default: "
        "when one client\n"
        "                       holds --slow-min TCP connections to one "
        "host and port open\n"
        "                       at once, each unclosed, lasting "
        "--slow-min-duration and\n"
        "                       moving at most --slow-max-rate bytes/s, "
        "their benign\n"
        "                       verdicts are reported as unknown)\n"
        "      --slow-min N     slow connections at once that alert "
        "(default 20, 2-64)\n"
        "      --slow-min-duration S  shorter flows are not slow "
        "(default 10)\n"
        "      --slow-max-rate B  faster flows (payload bytes/s) are not "
        "slow (default 100)\n"
        "      --suppress FILE  alerts known to be fine, one entry a line "
        "(repeatable):\n"
        "                       WHAT [src|dst|host CIDR] [port N] "
        "[proto P]; WHAT is a\n"
        "                       rule (beacon, slow, lone, repeat, conn), "
        "unknown, * or a\n"
        "                       \"class name\"; counted in the summary, "
        "not written.\n"
        "                       A line 'limit WHAT [where] [track by_src|"
        "by_dst|by_both|\n"
        "                       by_rule] count N seconds S' writes at most "
        "N alerts of\n"
        "                       a class per track key per window of S "
        "seconds (flow\n"
        "                       time);"
        " each window that held alerts back ends in one\n"
        "                       closing record (signature_id 9099998) "
        "with the held count\n"
        "      --alert-limit N/S  the same for every alert no limit line "
        "takes: at most\n"
        "                       N alerts per source and class per S "
        "seconds\n"
        "      --limit-keys N   windows tracked at once (default %d, "
        "%u-%u);\n"
        "                       when full, the least recently alerting "
        "key of a set is\n"
        "                       dropped. Suppression applies first; "
        "limits hold alerts\n"
        "                       only, never unjudged lines. SIGHUP "
        "re-reads the\n"
        "                       --suppress files of a live run (-i, or "
        "input from a pipe\n"
        "                       or FIFO) and opens the -o file again; "
        "over files it\n"
        "                       ends the run as Ctrl-C does\n",
        auth, BEACON_MIN_DEFAULT, BEACON_MIN_LOWEST, BEACON_KEEP,
        BEACON_CLIENTS_MAX - 1, LIMIT_KEYS_DEFAULT, LIMIT_KEYS_MIN,
        LIMIT_KEYS_MAX);
}

static volatile int stop_flag;

/* The first signal asks for an orderly stop; a second one, while the
 * open flows are still being classified, ends the process as usual. */
static void on_signal(int sig)
{
    stop_flag = 1;
    signal(sig, SIG_DFL);
}

static volatile sig_atomic_t reload_flag;

/* SIGHUP on a live run: the lists are re-read between batches. */
static void on_reload(int sig)
{
    (void)sig;
    reload_flag = 1;
}

static int add_path(const char ***list, size_t *n, const char *p)
{
    const char **grown = realloc(*list, (*n + 1) * sizeof(char *));
    if (grown == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    grown[(*n)++] = p;
    *list = grown;
    return 0;
}

int cli_timeout(const char *cmd, const char *opt, const char *v,
                uint64_t *us)
{
    double s = 0;
    if (cli_decimal(v, &s) != 0 || !(s >= 1e-6 && s <= 86400 * 7))
        return cli_usage_error(cmd, "%s wants seconds (e.g. 120 or 0.5), "
                               "not '%s'", opt, v);
    *us = (uint64_t)(s * 1e6 + 0.5);
    return 0;
}

/* Seconds, or 0 for none, however the zero is written ("0.0", "00"), as
 * --repeat-max-duration takes it. */
int cli_linger(const char *cmd, const char *v, uint64_t *us)
{
    double zero = 1;
    *us = 0;
    return cli_decimal(v, &zero) == 0 && zero == 0
               ? 0 : cli_timeout(cmd, "--close-linger", v, us);
}

static int parse_count(const char *cmd, const char *opt, const char *v,
                       long lo, long hi, long *out)
{
    unsigned long long x = 0;
    if (lo < 0 || hi < lo || cli_whole(v, (unsigned long long)hi, &x) != 0 ||
        x < (unsigned long long)lo)
        return cli_usage_error(cmd, "%s wants a number from %ld to %ld, "
                               "not '%s'", opt, lo, hi, v);
    *out = (long)x;
    return 0;
}

static int parse_ports(const char *v, struct repeat_ports *p)
{
    if (repeat_ports_parse(v, p) != 0)
        return cli_usage_error("detect", "--repeat-ports: %s", err_msg());
    return 0;
}

static int parse_nets(const char *v, struct beacon_nets *n)
{
    if (beacon_nets_parse(v, n) != 0)
        return cli_usage_error("detect", "--beacon-local: %s", err_msg());
    return 0;
}

static int parse_beacon_to(const char *v, struct detect_run_opts *o)
{
    if (strcmp(v, "external") != 0 && strcmp(v, "any") != 0)
        return cli_usage_error("detect", "--beacon-to wants 'external' or "
                               "'any', not '%s'", v);
    o->beacon_any_dest = strcmp(v, "any") == 0;
    return 0;
}

/* Seconds, or 0 for no limit (written "0", "0.0", "00", ...). */
static int parse_duration(const char *v, double *s)
{
    uint64_t us = 0;
    double zero = 1;
    int rc = cli_decimal(v, &zero) == 0 && zero == 0
                 ? 0 : cli_timeout("detect", "--repeat-max-duration", v, &us);
    *s = (double)us / 1e6;
    return rc;
}

/* "S4,S6,D4,D6" or "V4,V6" (both sides): the lone limit's networks. */
static int parse_lone_prefix(const char *v, struct detect_run_opts *o)
{
    unsigned p[4];
    int end = -1;
    int n = sscanf(v, "%3u,%3u%n,%3u,%3u%n", &p[0], &p[1], &end, &p[2],
                   &p[3], &end);
    int ok = (n == 2 || n == 4) && end > 0 && v[end] == '\0' &&
             strspn(v, "0123456789,") == strlen(v);
    if (n == 2) {
        p[2] = p[0];
        p[3] = p[1];
    }
    for (int i = 0; ok && i < 4; i++)
        ok = p[i] <= (i % 2 ? 128u : 32u);
    if (!ok)
        return cli_usage_error("detect", "--lone-prefix wants prefix "
                               "lengths SRC4,SRC6,DST4,DST6 or V4,V6 (at "
                               "most 32 and 128), e.g. 24,64,16,48; not "
                               "'%s'", v);
    memcpy(o->lone_prefix, p, sizeof(p));
    return 0;
}

/* A positive number of at most hi, in decimal. */
static int parse_positive(const char *opt, const char *v, double hi,
                          double *out)
{
    double x = 0;
    if (cli_decimal(v, &x) != 0 || !(x > 0 && x <= hi))
        return cli_usage_error("detect", "%s wants a number above 0 and "
                               "at most %g, not '%s'", opt, hi, v);
    *out = x;
    return 0;
}

enum { OPT_CSV = 256, OPT_ALL, OPT_EXPLAIN, OPT_EXPLAIN_RATE, OPT_BATCH,
       OPT_IDLE, OPT_ACTIVE, OPT_MAX,
       OPT_SUMMARY, OPT_NEUTRAL, OPT_THREADS, OPT_MIN_SUPPORT, OPT_LINGER,
       OPT_JUDGE_CUT, OPT_JUDGE_LONE, OPT_JUDGE_REPEATS, OPT_REPEAT_N,
       OPT_REPEAT_W, OPT_REPEAT_PORTS, OPT_REPEAT_DURATION,
       OPT_JUDGE_CONT, OPT_JUDGE_BEACONS, OPT_BEACON_MIN, OPT_BEACON_TO,
       OPT_BEACON_LOCAL, OPT_BEACON_CLIENTS, OPT_JUDGE_SLOW, OPT_SLOW_MIN,
       OPT_SLOW_DURATION, OPT_SLOW_RATE, OPT_LONE_PREFIX, OPT_SUPPRESS,
       OPT_ALERT_LIMIT, OPT_LIMIT_KEYS, OPT_CID_SEED };

/* "N/S": at most N alerts per S seconds, whole numbers as a limit line
 * takes them. */
static int parse_alert_limit(const char *v, struct detect_run_opts *o)
{
    unsigned long long n = 0, sec = 0;
    char num[16];
    const char *slash = strchr(v, '/');
    size_t len = slash ? (size_t)(slash - v) : 0;
    int ok = len > 0 && len < sizeof(num);
    if (ok) {
        snprintf(num, sizeof(num), "%.*s", (int)len, v);
        ok = cli_whole(num, 999999, &n) == 0 && n >= 1 &&
             cli_whole(slash + 1, 604800, &sec) == 0 && sec >= 1;
    }
    if (!ok)
        return cli_usage_error("detect", "--alert-limit wants N/S: at most "
                               "N alerts (1-999999) per source and class "
                               "per S seconds (1-604800), e.g. 10/60; not "
                               "'%s'", v);
    o->alert_limit = (uint32_t)n;
    o->alert_limit_s = (uint32_t)sec;
    return 0;
}

/* The slow-connection rule's numbers (slow.h). */
static int parse_slow(int opt, const char *v, struct detect_run_opts *o)
{
    long n = 0;
    int rc;
    if (opt == OPT_SLOW_DURATION)
        return parse_positive("--slow-min-duration", v, 86400,
                              &o->slow_min_duration_s);
    if (opt == OPT_SLOW_RATE)
        return parse_positive("--slow-max-rate", v, 1e9, &o->slow_max_rate);
    rc = parse_count("detect", "--slow-min", v, 2, SLOW_MIN_MAX, &n);
    o->slow_min = (uint32_t)n;
    return rc;
}

static int parse(int argc, char **argv, struct detect_run_opts *o,
                 struct flow_config *fc)
{
    static const struct option longs[] = {
        { "model", required_argument, 0, 'm' },
        { "output", required_argument, 0, 'o' },
        { "read", required_argument, 0, 'r' },
        { "interface", required_argument, 0, 'i' },
        { "filter", required_argument, 0, 'f' },
        { "csv", required_argument, 0, OPT_CSV },
        { "all", no_argument, 0, OPT_ALL },
        { "explain", required_argument, 0, OPT_EXPLAIN },
        { "explain-rate", required_argument, 0, OPT_EXPLAIN_RATE },
        { "batch", required_argument, 0, OPT_BATCH },
        { "threads", required_argument, 0, OPT_THREADS },
        { "idle-timeout", required_argument, 0, OPT_IDLE },
        { "active-timeout", required_argument, 0, OPT_ACTIVE },
        { "max-flows", required_argument, 0, OPT_MAX },
        { "summary-json", required_argument, 0, OPT_SUMMARY },
        { "neutral", required_argument, 0, OPT_NEUTRAL },
        { "min-support", required_argument, 0, OPT_MIN_SUPPORT },
        { "close-linger", required_argument, 0, OPT_LINGER },
        { "judge-cut", no_argument, 0, OPT_JUDGE_CUT },
        { "judge-lone", no_argument, 0, OPT_JUDGE_LONE },
        { "judge-repeats", no_argument, 0, OPT_JUDGE_REPEATS },
        { "judge-continuations", no_argument, 0, OPT_JUDGE_CONT },
        { "lone-prefix", required_argument, 0, OPT_LONE_PREFIX },
        { "repeat-sessions", required_argument, 0, OPT_REPEAT_N },
        { "repeat-window", required_argument, 0, OPT_REPEAT_W },
        { "repeat-ports", required_argument, 0, OPT_REPEAT_PORTS },
        { "repeat-max-duration", required_argument, 0,
          OPT_REPEAT_DURATION },
        { "judge-beacons", no_argument, 0, OPT_JUDGE_BEACONS },
        { "beacon-min", required_argument, 0, OPT_BEACON_MIN },
        { "beacon-to", required_argument, 0, OPT_BEACON_TO },
        { "beacon-local", required_argument, 0, OPT_BEACON_LOCAL },
        { "beacon-max-clients", required_argument, 0, OPT_BEACON_CLIENTS },
        { "judge-slow", no_argument, 0, OPT_JUDGE_SLOW },
        { "slow-min", required_argument, 0, OPT_SLOW_MIN },
        { "slow-min-duration", required_argument, 0, OPT_SLOW_DURATION },
        { "slow-max-rate", required_argument, 0, OPT_SLOW_RATE },
        { "suppress", required_argument, 0, OPT_SUPPRESS },
        { "alert-limit", required_argument, 0, OPT_ALERT_LIMIT },
        { "limit-keys", required_argument, 0, OPT_LIMIT_KEYS },
        { "community-id-seed", required_argument, 0, OPT_CID_SEED },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c, rc = 0;
    long v = 0;

    while (rc == 0 &&
           (c = getopt_long(argc, argv, "m:o:r:i:f:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'o': o->output = optarg; break;
        case 'r': rc = add_path(&o->captures, &o->n_captures, optarg);
                  break;
        case 'i': o->in.iface = optarg; break;
        case 'f': o->in.filter = optarg; break;
        case OPT_CSV: rc = add_path(&o->csvs, &o->n_csvs, optarg);
                      break;
        case OPT_ALL: o->all = 1; break;
        case OPT_EXPLAIN:
            rc = parse_count("detect", "--explain", optarg, 0, 8, &v);
            o->explain = (size_t)v;
            break;
        case OPT_EXPLAIN_RATE:
            rc = parse_count("detect", "--explain-rate", optarg, 0, 10000000,
                             &v);
            o->explain_rate = (double)v;
            o->explain_rate_set = 1;
            break;
        case OPT_BATCH:
            rc = parse_count("detect", "--batch", optarg, 1, 65536, &v);
            o->batch = (size_t)v;
            break;
        case OPT_THREADS:
            rc = parse_count("detect", "--threads", optarg, 1,
                             DETECTOR_THREADS_MAX, &v);
            o->threads = (size_t)v;
            break;
        case OPT_IDLE:
            rc = cli_timeout("detect", "--idle-timeout", optarg,
                             &fc->idle_timeout_us);
            break;
        case OPT_ACTIVE:
            rc = cli_timeout("detect", "--active-timeout", optarg,
                             &fc->active_timeout_us);
            break;
        case OPT_LINGER:
            rc = cli_linger("detect", optarg, &fc->close_linger_us);
            break;
        case OPT_MAX:
            rc = parse_count("detect", "--max-flows", optarg, 16, 1L << 26,
                             &v);
            fc->max_flows = (size_t)v;
            break;
        case OPT_SUMMARY: o->summary_json = optarg; break;
        case OPT_NEUTRAL: o->neutral = optarg; break;
        case OPT_MIN_SUPPORT:
            rc = parse_count("detect", "--min-support", optarg, 0,
                             1000000000, &v);
            o->min_support = (uint32_t)v;
            break;
        case OPT_JUDGE_CUT: o->hold_cut = 0; break;
        case OPT_JUDGE_LONE: o->hold_lone = 0; break;
        case OPT_JUDGE_REPEATS: o->repeats = 0; break;
        case OPT_JUDGE_CONT: o->connections = 0; break;
        case OPT_LONE_PREFIX: rc = parse_lone_prefix(optarg, o); break;
        case OPT_REPEAT_N:
            rc = parse_count("detect", "--repeat-sessions", optarg, 2,
                             1000000000, &v);
            o->repeat_sessions = (uint32_t)v;
            break;
        case OPT_REPEAT_W:
            rc = cli_timeout("detect", "--repeat-window", optarg,
                             &o->repeat_window_us);
            break;
        case OPT_REPEAT_PORTS:
            rc = parse_ports(optarg, &o->repeat_ports);
            break;
        case OPT_REPEAT_DURATION:
            rc = parse_duration(optarg, &o->repeat_max_duration_s);
            break;
        case OPT_JUDGE_BEACONS: o->beacons = 0; break;
        case OPT_BEACON_MIN:
            rc = parse_count("detect", "--beacon-min", optarg,
                             BEACON_MIN_LOWEST, BEACON_KEEP, &v);
            o->beacon_min = (uint32_t)v;
            break;
        case OPT_BEACON_TO: rc = parse_beacon_to(optarg, o); break;
        case OPT_BEACON_LOCAL:
            rc = parse_nets(optarg, &o->beacon_local);
            break;
        case OPT_BEACON_CLIENTS:
            rc = parse_count("detect", "--beacon-max-clients", optarg, 0,
                             BEACON_CLIENTS_MAX - 1, &v);
            o->beacon_max_clients = (uint32_t)v;
            break;
        case OPT_JUDGE_SLOW: o->slow = 0; break;
        case OPT_SUPPRESS:
            rc = add_path(&o->suppress, &o->n_suppress, optarg);
            break;
        case OPT_ALERT_LIMIT: rc = parse_alert_limit(optarg, o); break;
        case OPT_LIMIT_KEYS:
            rc = parse_count("detect", "--limit-keys", optarg,
                             LIMIT_KEYS_MIN, LIMIT_KEYS_MAX, &v);
            o->limit_keys = (size_t)v;
            break;
        case OPT_CID_SEED:
            rc = parse_count("detect", "--community-id-seed", optarg, 0,
                             65535, &v);
            o->community_seed = (uint16_t)v;
            break;
        case OPT_SLOW_MIN:
        case OPT_SLOW_DURATION:
        case OPT_SLOW_RATE:
            rc = parse_slow(c, optarg, o);
            break;
        case 'h': usage(stdout); return -1;
        default: return 2;
        }
    }
    if (rc != 0)
        return rc == ERR_NOMEM ? cli_fail(rc) : rc;
    if (optind < argc)
        return cli_usage_error("detect", "unexpected argument '%s'",
                               argv[optind]);
    if (o->model == NULL)
        return cli_usage_error("detect", "--model is required");
    if (!o->n_captures && !o->in.iface && !o->n_csvs)
        return cli_usage_error("detect", "give -r CAPTURE, -i IFACE or "
                               "--csv FILE");
    if (cli_stdin_count(o->captures, o->n_captures) +
        cli_stdin_count(o->csvs, o->n_csvs) > 1)
        return cli_usage_error("detect", "standard input given more than "
                               "once (-r - or --csv -)");
    return 0;
}

int cmd_detect(int argc, char **argv)
{
    struct detect_run_opts o;
    struct flow_config fc;

    detect_run_opts_default(&o);
    flow_config_default(&fc);
    o.in.flow = &fc;
    o.in.stop = &stop_flag;
    int rc = parse(argc, argv, &o, &fc);
    if (rc == 0) {
        /* A closed terminal (SIGHUP) ends the run as Ctrl-C does: with
         * the open flows classified and the summary written; a live run
         * with --suppress files or -o re-reads the files and opens the
         * output again instead, as daemons do. */
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        if (detect_reload_wanted(&o)) {
            o.reload = &reload_flag;
            signal(SIGHUP, on_reload);
        } else {
            signal(SIGHUP, on_signal);
        }
        rc = detect_run(&o, stdout);
    }
    free(o.captures);
    free(o.csvs);
    free(o.suppress);
    return rc < 0 ? 0 : rc;
}
