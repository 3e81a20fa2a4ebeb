/*
 * Packet sources: capture files and live interfaces.
 *
 * A file is recognised by its first bytes, never by its name: classic pcap
 * (microsecond or nanosecond, either byte order) is read through libpcap,
 * pcapng by our own block reader (libpcap refuses pcapng files whose
 * interfaces have different link types), and either may be gzip or xz
 * compressed. A live interface is read through libpcap with a BPF filter and
 * a snap length.
 *
 * Glossary: pkt = one captured packet; caplen = bytes captured; wirelen =
 * bytes on the wire; linktype = a LINKTYPE_* number from the tcpdump.org
 * registry (pcap and pcapng files store these, not DLT_* values).
 *
 * Ownership: capture_open_* return a source owned by the caller, freed by
 * capture_close. A packet's data is borrowed until the next capture_next on
 * the same source. A source is not thread-safe; distinct sources are.
 */
#ifndef FEWFLOW_CAPTURE_H
#define FEWFLOW_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* Link types we decode (tcpdump.org LINKTYPE_* numbers). */
enum capture_link {
    CAPTURE_LINK_NULL = 0,        /* BSD loopback, host-order AF word */
    CAPTURE_LINK_ETHERNET = 1,    /* with 802.1Q / 802.1ad / QinQ tags */
    CAPTURE_LINK_RAW = 101,       /* raw IPv4 or IPv6 */
    CAPTURE_LINK_LOOP = 108,      /* OpenBSD loopback, network-order AF */
    CAPTURE_LINK_LINUX_SLL = 113, /* Linux cooked v1 */
    CAPTURE_LINK_IPV4 = 228,
    CAPTURE_LINK_IPV6 = 229,
    CAPTURE_LINK_LINUX_SLL2 = 276 /* Linux cooked v2 */
};

struct capture_packet {
    int64_t ts_ns;          /* ns since the Unix epoch, as the file says */
    uint32_t caplen;        /* bytes in data */
    uint32_t wirelen;       /* original length on the wire */
    uint32_t linktype;      /* LINKTYPE_* of the packet's interface */
    uint32_t if_index;      /* pcapng interface number, 0 otherwise */
    const uint8_t *data;    /* borrowed until the next capture_next */
};

/* Damage found while reading, counted rather than fatal. */
struct capture_source_stats {
    uint64_t packets;       /* packets returned */
    uint64_t truncated;     /* the file ended inside a record: 0 or 1 */
    uint64_t bad_records;   /* records skipped or ending the file: absurd
                               lengths, unknown interface, garbage */
    uint64_t dropped;       /* live: dropped by the kernel (pcap_stats) */
};

struct capture_source;

/* Opens a capture file: pcap or pcapng, plain, .gz or .xz (by magic).
 * NULL on failure with err_msg() naming the file: ERR_IO when it cannot be
 * opened, ERR_FORMAT when it is none of these formats, ERR_PARSE when its
 * file header is damaged. */
struct capture_source *capture_open_file(const char *path);

/* Opens a capture from memory (pcap or pcapng, uncompressed); `data` is
 * borrowed for the source's life. For tests and fuzzing. */
struct capture_source *capture_open_memory(const void *data, size_t len,
                                           const char *name);

/* Opens a live interface. filter may be NULL (everything); snaplen 0 means
 * 262144. promisc non-zero asks for promiscuous mode. NULL on failure
 * (ERR_IO: no such interface or no permission; ERR_INVALID: bad filter). */
struct capture_source *capture_open_live(const char *iface,
                                         const char *filter,
                                         int snaplen, int promisc);

/*
 * Reads the next packet into *pkt. Returns 1 for a packet, 0 at the end of
 * a file, 2 when a live source timed out with no packet (pkt->ts_ns then
 * holds the current wall-clock time, so idle flows can be expired), or a
 * negative ERR_* on a failure that stops reading (err_msg() names the file
 * and byte offset). Truncation at the end of a file is not a failure: it
 * is counted in the stats and reported as the end.
 */
int capture_next(struct capture_source *src, struct capture_packet *pkt);

/* Asks a live source to stop; safe from a signal handler. capture_next
 * then returns 0. */
void capture_break(struct capture_source *src);

const struct capture_source_stats *capture_stats(
    const struct capture_source *src);

/* Non-zero when the source reads a pipe (tcpdump -w - | fewflow ...) and
 * nothing more has arrived: the moment to end the flows whose time has
 * passed and write them out, not when the next packet comes. Batching
 * stays while a fast writer keeps the pipe full. 0 for files and live
 * interfaces. */
int capture_idle(const struct capture_source *src);

/* The name given at open (path or interface), borrowed. */
const char *capture_name(const struct capture_source *src);

/* A description of the first counted damage ("" when none), e.g.
 * "x.pcapng: byte 1234: truncated block"; borrowed until capture_close. */
const char *capture_damage(const struct capture_source *src);

void capture_close(struct capture_source *src);

/*
 * A BPF filter (tcpdump's expression language, libpcap's compiler) for
 * packets read from files, compiled for each link type as it appears.
 * create checks the expression at once (for Ethernet): NULL with
 * ERR_INVALID naming the error, or ERR_NOMEM. match returns 1 when the
 * packet passes, 0 when not, or a negative ERR_* when the expression
 * does not compile for the packet's link type.
 */
struct capture_filter;
struct capture_filter *capture_filter_create(const char *expr);
int capture_filter_match(struct capture_filter *f,
                         const struct capture_packet *pkt);
void capture_filter_destroy(struct capture_filter *f);

#endif
