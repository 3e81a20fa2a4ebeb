/*
 * An operator's suppression list: alerts that are known and accepted on
 * this network (a monitoring server polling an outside API, a reverse
 * proxy holding idle connections) are held back from the output without
 * turning a whole rule off.
 *
 * A file holds one entry per line; '#' starts a comment, blank lines and
 * comment lines are skipped, a line may end in CRLF, and a UTF-8
 * byte-order mark at the file's start is skipped. An entry names what
 * it suppresses, then where:
 *
 *   beacon   dst 203.0.113.10 port 443 proto tcp   # the status API poller
 *   slow     src 10.0.8.0/24 dst 10.0.0.5 port 80  # reverse proxy pool
 *   "DoS Hulk" src 10.0.0.9                        # nightly load test
 *   *        src 2001:db8:5::/48                   # the scanner's network
 *
 * What: a rule that made or marked the alert (beacon, slow, lone, repeat,
 * conn), `unknown` (an alert with no class), a class name in double
 * quotes (compared as class names are: ASCII case folded; \" and \\
 * escape), or `*` (any alert; it needs a where part, since `*` alone
 * would hide everything). Where, each at most once, all of them holding:
 * `src CIDR` (the flow's originator), `dst CIDR` (its responder), `host
 * CIDR` (either of them), `port N` (the responder's port, 0-65535; TCP,
 * UDP and SCTP alerts only),
 * `proto P` (tcp, udp, icmp, icmp6, sctp, or a number 0-255). An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) lies in its IPv4 ranges, and
 * a range inside ::ffff:0:0/96 is the IPv4 range it maps.
 *
 * (detect holds a later part of a connection with the connection's
 * alert, and matches it the way round that alert's flow ran: see
 * docs/detect.md, "Running a sensor".)
 * The first entry that holds for an alert takes it and counts it, so an
 * entry shadowed by an earlier one counts nothing. Matching walks the
 * entries (at most SUPPRESS_MAX, over all files), so one alert costs a
 * bounded number of comparisons.
 *
 * A line led by the keyword `limit` is a rate limit instead (limit.h):
 *
 *   limit unknown dst 10.10.10.10 track by_dst count 10 seconds 60
 *   limit *       track by_src count 5 seconds 300
 *
 * It takes the same what and where, then `count N` (1-999999, alerts
 * written per window), `seconds S` (1-604800, the window) and
 * optionally `track by_src|by_dst|by_both|by_rule` (whose alerts share
 * a window; by_src when not given); `*` alone is allowed there. Limit
 * entries are matched apart from suppression entries (suppress_match
 * skips them, suppress_limit_match sees only them), so one file may mix
 * both in any order.
 *
 * Not thread-safe; no global state.
 */
#ifndef FEWFLOW_SUPPRESS_H
#define FEWFLOW_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/beacon.h"
#include "fewflow/detect.h"

#define SUPPRESS_MAX 1024          /* entries over all files */
#define SUPPRESS_LINE_MAX 1024     /* bytes in a line, its end not counted */
#define SUPPRESS_FILES_MAX 16

/* The rules an alert can carry (suppress_alert.rules). */
enum suppress_rule {
    SUPPRESS_RULE_BEACON = 1,
    SUPPRESS_RULE_SLOW = 2,
    SUPPRESS_RULE_LONE = 4,
    SUPPRESS_RULE_REPEAT = 8,
    SUPPRESS_RULE_CONN = 16,
};

/* Whose alerts share a limit's window (besides the entry and class). */
enum suppress_track {
    SUPPRESS_BY_SRC,
    SUPPRESS_BY_DST,
    SUPPRESS_BY_BOTH,          /* the source and destination pair */
    SUPPRESS_BY_RULE,          /* all of the entry's alerts */
};

enum suppress_what {
    SUPPRESS_ANY,              /* `*` */
    SUPPRESS_UNKNOWN,          /* an alert without a class */
    SUPPRESS_RULE,             /* entry.rule */
    SUPPRESS_CLASS,            /* entry.cls */
};

struct suppress_entry {
    const char *file;          /* owned by the list */
    uint32_t line, col;        /* of the what, 1-based */
    uint8_t what;              /* enum suppress_what */
    uint8_t rule;              /* enum suppress_rule, for SUPPRESS_RULE */
    char cls[MEMO_NAME_MAX + 1];
    uint8_t has_src, has_dst, has_host;
    struct beacon_net src, dst, host;
    int32_t port;              /* -1: any */
    int16_t proto;             /* -1: any */
    uint64_t hits;
    uint8_t limit;             /* a `limit` line: the fields below hold */
    uint8_t track;             /* enum suppress_track */
    uint8_t has_track;         /* given on the line */
    uint32_t count;            /* alerts written per window */
    uint32_t seconds;          /* the window */
};

/* An alert as the list sees it. */
struct suppress_alert {
    const char *cls;           /* the class name, NULL for unknown */
    unsigned rules;            /* enum suppress_rule bits */
    const char *src_ip, *dest_ip;  /* text; not an address: no CIDR holds */
    uint16_t dest_port;
    uint8_t proto;
};

struct suppress;

/* An empty list; NULL (err_set) when out of memory. */
struct suppress *suppress_create(void);
void suppress_destroy(struct suppress *s);

/* Adds the entries of the file at path. Returns 0, ERR_IO when it
 * cannot be read, or ERR_PARSE with "PATH:LINE:COLUMN: what is wrong"
 * (nothing of that file is kept then); ERR_INVALID past SUPPRESS_MAX
 * entries or SUPPRESS_FILES_MAX files. */
int suppress_load(struct suppress *s, const char *path);

size_t suppress_count(const struct suppress *s);
/* Entry i (< suppress_count), borrowed until the list is destroyed. */
const struct suppress_entry *suppress_entry_get(const struct suppress *s,
                                                size_t i);

/* The first suppression entry that holds for a, with its hit counted;
 * NULL when none does. */
const struct suppress_entry *suppress_match(struct suppress *s,
                                            const struct suppress_alert *a);
/* The same over the limit entries; *index gets the entry's place. */
const struct suppress_entry *suppress_limit_match(
    struct suppress *s, const struct suppress_alert *a, size_t *index);

/* "by_src", "by_dst", "by_both" or "by_rule". */
const char *suppress_track_name(unsigned track);

/* Entry i (< suppress_count) takes an alert that it held earlier in
 * another form (a later part of a connection it held): its hit is
 * counted and the entry returned. */
const struct suppress_entry *suppress_take(struct suppress *s, size_t i);

/* The index of entry e of s (suppress_entry_get's i). */
size_t suppress_entry_index(const struct suppress *s,
                            const struct suppress_entry *e);

/* The entry's what as text ("beacon", "*", "\"DoS Hulk\""), in buf. */
const char *suppress_what_text(const struct suppress_entry *e, char *buf,
                               size_t len);

#endif
