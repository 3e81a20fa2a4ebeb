#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/pcapng.h"
#include "fewflow/err.h"

#define BLOCK_SHB 0x0a0d0d0au
#define BLOCK_IDB 1u
#define BLOCK_OPB 2u
#define BLOCK_SPB 3u
#define BLOCK_EPB 6u
#define BOM 0x1a2b3c4du
#define OPT_TSRESOL 9
#define OPT_TSOFFSET 14

/* Larger blocks are taken for garbage: no real packet block comes near. */
#define MAX_BLOCK_BYTES (16u << 20)
#define MAX_INTERFACES 4096
#define FIRST_BUF_BYTES (256u << 10)

struct pcapng_iface {
    uint32_t linktype;
    uint32_t snaplen;
    int is_pow2;             /* if_tsresol's top bit: 2^-k, else 10^-k */
    uint32_t resol;          /* k */
    int64_t offset_s;        /* if_tsoffset */
};

struct pcapng_reader {
    struct stream *s;
    const char *name;
    int swapped;             /* section byte order differs from ours */
    int in_section;
    uint8_t *buf;
    uint32_t cap;
    struct pcapng_iface *ifs;
    uint32_t n_ifs;
    int64_t last_ts_ns;
};

static uint32_t get32(const struct pcapng_reader *r, const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return r->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const struct pcapng_reader *r, const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, 2);
    return r->swapped ? __builtin_bswap16(v) : v;
}

struct pcapng_reader *pcapng_open(struct stream *s, const char *name)
{
    struct pcapng_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->s = s;
    r->name = name;
    r->cap = FIRST_BUF_BYTES;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        free(r);
        return NULL;
    }
    return r;
}

void pcapng_close(struct pcapng_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->ifs);
    free(r);
}

/* Units of the interface's resolution to ns, saturating on garbage. */
static int64_t ts_to_ns(const struct pcapng_iface *ifc, uint64_t units)
{
    __int128 ns;

    if (ifc->is_pow2) {
        uint32_t k = ifc->resol > 63 ? 63 : ifc->resol;
        ns = ((__int128)units * 1000000000) >> k;
    } else if (ifc->resol <= 9) {
        __int128 mul = 1;
        for (uint32_t i = ifc->resol; i < 9; i++)
            mul *= 10;
        ns = (__int128)units * mul;
    } else {
        __int128 div = 1;
        for (uint32_t i = 9; i < ifc->resol && i < 40; i++)
            div *= 10;
        ns = (__int128)units / div;
    }
    ns += (__int128)ifc->offset_s * 1000000000;
    if (ns > INT64_MAX)
        return INT64_MAX;
    if (ns < INT64_MIN)
        return INT64_MIN;
    return (int64_t)ns;
}

/* Returns -1 when an option runs past the block: the options read before
 * it still apply, and the caller counts the damage. */
static int parse_idb_options(const struct pcapng_reader *r,
                             const uint8_t *p, uint32_t len,
                             struct pcapng_iface *ifc)
{
    uint32_t i = 0;

    while (i + 4 <= len) {
        uint16_t code = get16(r, p + i);
        uint16_t olen = get16(r, p + i + 2);
        if (code == 0)
            return 0;
        if ((uint64_t)i + 4 + olen > len)
            return -1;
        if (code == OPT_TSRESOL && olen >= 1) {
            ifc->is_pow2 = p[i + 4] >> 7;
            ifc->resol = p[i + 4] & 0x7f;
        } else if (code == OPT_TSOFFSET && olen >= 8) {
            uint64_t v;
            memcpy(&v, p + i + 4, 8);
            ifc->offset_s = (int64_t)(r->swapped ? __builtin_bswap64(v) : v);
        }
        i += 4 + ((olen + 3u) & ~3u);
    }
    return 0;
}

/* Returns 0, or 1 for an interface refused, 2 for one kept (its packets
 * still decode) whose options are damaged, or ERR_NOMEM. */
static int add_interface(struct pcapng_reader *r, const uint8_t *body,
                         uint32_t len)
{
    /* 1, not -1: -1 is ERR_NOMEM, and a hostile file is not our failure. */
    if (len < 8 || r->n_ifs >= MAX_INTERFACES)
        return 1;
    if ((r->n_ifs & (r->n_ifs - 1)) == 0) {
        uint32_t n = r->n_ifs ? r->n_ifs * 2 : 4;
        void *p = realloc(r->ifs, n * sizeof(*r->ifs));
        if (!p)
            return ERR_NOMEM;
        r->ifs = p;
    }
    struct pcapng_iface *ifc = &r->ifs[r->n_ifs++];
    memset(ifc, 0, sizeof(*ifc));
    ifc->linktype = get16(r, body);
    ifc->snaplen = get32(r, body + 4);
    ifc->resol = 6;
    return parse_idb_options(r, body + 8, len - 8, ifc) == 0 ? 0 : 2;
}

static int packet_from(struct pcapng_reader *r, uint32_t if_id,
                       uint64_t units, uint32_t caplen, uint32_t wirelen,
                       const uint8_t *data, struct capture_packet *pkt)
{
    if (if_id >= r->n_ifs)
        return -1;
    pkt->if_index = if_id;
    pkt->linktype = r->ifs[if_id].linktype;
    pkt->ts_ns = ts_to_ns(&r->ifs[if_id], units);
    pkt->caplen = caplen;
    pkt->wirelen = wirelen < caplen ? caplen : wirelen;
    pkt->data = data;
    r->last_ts_ns = pkt->ts_ns;
    return 1;
}

/* Enhanced (6) and obsolete (2) packet blocks differ only in the width of
 * the interface id; simple (3) has no timestamp and uses interface 0. */
static int packet_block(struct pcapng_reader *r, uint32_t type,
                        const uint8_t *b, uint32_t len,
                        struct capture_packet *pkt)
{
    if (type == BLOCK_SPB) {
        if (len < 4 || r->n_ifs == 0)
            return -1;
        uint32_t wire = get32(r, b);
        uint32_t cap = len - 4 < wire ? len - 4 : wire;
        if (r->ifs[0].snaplen && cap > r->ifs[0].snaplen)
            cap = r->ifs[0].snaplen;
        int rc = packet_from(r, 0, 0, cap, wire, b + 4, pkt);
        pkt->ts_ns = r->last_ts_ns;
        return rc;
    }
    if (len < 20)
        return -1;
    uint32_t if_id = type == BLOCK_EPB ? get32(r, b) : get16(r, b);
    uint64_t units = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
    uint32_t cap = get32(r, b + 12);
    if (cap > len - 20)
        return -1;
    return packet_from(r, if_id, units, cap, get32(r, b + 16), b + 20, pkt);
}

static int section_header(struct pcapng_reader *r, const uint8_t *b,
                           uint32_t len)
{
    if (len < 4)
        return -1;
    uint32_t bom;
    memcpy(&bom, b, 4);
    if (bom != BOM && bom != __builtin_bswap32(BOM))
        return -1;
    r->swapped = bom != BOM;
    r->in_section = 1;
    r->n_ifs = 0;
    return 0;
}

static int damage(struct capture_source_stats *st, char *msg, size_t len,
                  int truncated, const char *name, uint64_t off,
                  const char *what)
{
    if (truncated)
        st->truncated++;
    else
        st->bad_records++;
    if (msg[0] == '\0')
        snprintf(msg, len, "%s: byte %llu: %s", name, (unsigned long long)off,
             what);
    return 0;
}

static int grow(struct pcapng_reader *r, uint32_t need)
{
    if (need <= r->cap)
        return 0;
    uint8_t *p = realloc(r->buf, need);
    if (!p)
        return err_set(ERR_NOMEM, "%s: out of memory", r->name);
    r->buf = p;
    r->cap = need;
    return 0;
}

/* Reads one block's header and body into r->buf. Returns the body length
 * via *len, 1 on success, 0 at the end or on damage (recorded). */
static int read_block(struct pcapng_reader *r, uint32_t *type, uint32_t *len,
                      struct capture_source_stats *st, char *msg,
                      size_t msg_len)
{
    uint8_t hdr[8];
    uint64_t at = stream_offset(r->s);
    size_t got = stream_read(r->s, hdr, 8);
    if (got == 0)
        return 0;
    if (got < 8)
        return damage(st, msg, msg_len, 1, r->name, at, "truncated block");
    memcpy(type, hdr, 4);
    if (*type == BLOCK_SHB) {
        uint8_t bom[4];
        if (stream_read(r->s, bom, 4) < 4)
            return damage(st, msg, msg_len, 1, r->name, at, "truncated block");
        uint32_t v;
        memcpy(&v, bom, 4);
        r->swapped = v != BOM;
        memcpy(r->buf, bom, 4);
    } else if (!r->in_section) {
        return damage(st, msg, msg_len, 0, r->name, at, "no section header");
    } else {
        *type = get32(r, hdr);
    }
    uint32_t total = get32(r, hdr + 4);
    if (total < 12 || total % 4 != 0 || total > MAX_BLOCK_BYTES)
        return damage(st, msg, msg_len, 0, r->name, at, "absurd block length");
    int rc = grow(r, total);
    if (rc != 0)
        return rc;
    uint32_t pre = *type == BLOCK_SHB ? 4 : 0;
    size_t want = total - 8 - pre;
    if (stream_read(r->s, r->buf + pre, want) < want)
        return damage(st, msg, msg_len, 1, r->name, at, "truncated block");
    if (get32(r, r->buf + total - 12) != total)
        return damage(st, msg, msg_len, 0, r->name, at,
                      "block lengths disagree");
    *len = total - 12;
    return 1;
}

int pcapng_next(struct pcapng_reader *r, struct capture_packet *pkt,
                struct capture_source_stats *st, char *msg, size_t msg_len)
{
    for (;;) {
        uint32_t type = 0, len = 0;
        uint64_t at = stream_offset(r->s);
        int rc = read_block(r, &type, &len, st, msg, msg_len);
        if (rc <= 0)
            return rc;
        if (type == BLOCK_SHB) {
            if (section_header(r, r->buf, len) != 0)
                return damage(st, msg, msg_len, 0, r->name, at,
                              "bad section header");
            continue;
        }
        if (type == BLOCK_IDB) {
            rc = add_interface(r, r->buf, len);
            if (rc == ERR_NOMEM)
                return err_set(ERR_NOMEM, "%s: out of memory", r->name);
            if (rc == 2)
                damage(st, msg, msg_len, 0, r->name, at,
                       "interface option runs past its block");
            else if (rc != 0)
                damage(st, msg, msg_len, 0, r->name, at, "bad interface");
            continue;
        }
        if (type != BLOCK_EPB && type != BLOCK_SPB && type != BLOCK_OPB)
            continue;
        if (packet_block(r, type, r->buf, len, pkt) == 1)
            return 1;
        damage(st, msg, msg_len, 0, r->name, at, "bad packet block");
    }
}
