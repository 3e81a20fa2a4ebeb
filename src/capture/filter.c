#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/capture.h"
#include "fewflow/err.h"

/*
 * A BPF filter over packets read from files. libpcap compiles a filter
 * for one link type, and a pcapng file may mix interfaces of several, so
 * one program is compiled per link type as its first packet comes.
 */
#define FILTER_LINKS 8

struct capture_filter {
    char *expr;
    size_t n;
    uint32_t link[FILTER_LINKS];
    struct bpf_program prog[FILTER_LINKS];
};

/* Files store LINKTYPE_* numbers; libpcap's compiler wants DLT_* ones,
 * which differ only for raw IP among the link types decoded. */
static int dlt_of(uint32_t linktype)
{
    return linktype == CAPTURE_LINK_RAW ? DLT_RAW : (int)linktype;
}

static int compile(struct capture_filter *f, uint32_t linktype,
                   struct bpf_program *prog)
{
    pcap_t *dead = pcap_open_dead(dlt_of(linktype), 262144);
    if (dead == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    int rc = 0;
    if (pcap_compile(dead, prog, f->expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
        rc = err_set(ERR_INVALID, "filter '%s' (link type %u): %s",
                     f->expr, (unsigned)linktype, pcap_geterr(dead));
    pcap_close(dead);
    return rc;
}

struct capture_filter *capture_filter_create(const char *expr)
{
    struct bpf_program probe;
    /* libpcap compiles a blank expression to "keep everything", so an
     * unset shell variable would enrol the whole capture unnoticed. */
    if (expr[strspn(expr, " \t\r\n")] == '\0') {
        err_set(ERR_INVALID, "filter '%s': empty, so it would keep every "
                "packet (leave --filter out to read them all)", expr);
        return NULL;
    }
    struct capture_filter *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->expr = strdup(expr)) == NULL) {
        free(f);
        err_set(ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (compile(f, CAPTURE_LINK_ETHERNET, &probe) != 0) {
        capture_filter_destroy(f);
        return NULL;
    }
    f->link[0] = CAPTURE_LINK_ETHERNET;
    f->prog[0] = probe;
    f->n = 1;
    return f;
}

int capture_filter_match(struct capture_filter *f,
                         const struct capture_packet *pkt)
{
    size_t k = 0;
    while (k < f->n && f->link[k] != pkt->linktype)
        k++;
    if (k == f->n && k == FILTER_LINKS)
        return err_set(ERR_INVALID, "filter '%s': more than %d link types "
                       "in one capture", f->expr, FILTER_LINKS);
    if (k == f->n) {
        if (compile(f, pkt->linktype, &f->prog[k]) != 0)
            return err_last();
        f->link[f->n++] = pkt->linktype;
    }
    struct pcap_pkthdr hdr;
    memset(&hdr, 0, sizeof(hdr));
    hdr.ts.tv_sec = (time_t)(pkt->ts_ns / 1000000000);
    hdr.caplen = pkt->caplen;
    hdr.len = pkt->wirelen;
    return pcap_offline_filter(&f->prog[k], &hdr, pkt->data) != 0;
}

void capture_filter_destroy(struct capture_filter *f)
{
    if (f == NULL)
        return;
    for (size_t k = 0; k < f->n; k++)
        pcap_freecode(&f->prog[k]);
    free(f->expr);
    free(f);
}
