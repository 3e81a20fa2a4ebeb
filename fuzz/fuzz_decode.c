/*
 * libFuzzer entry point for the capture decoder. Each input is used twice:
 * as one packet of every link type we decode, and as a whole capture file
 * (pcap or pcapng, by its magic) run through a small flow meter, so the
 * file readers, the decoder, the fragment table and the flow table all
 * see hostile bytes. Findings are crashes, sanitizer reports and
 * non-finite features.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "capture/decode.h"
#include "fewflow/capture.h"
#include "fewflow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t links[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229,
                                  276, 147 };

static int check(const struct flow_record *r, void *user)
{
    (void)user;
    for (size_t i = 0; i < flow_feature_count(); i++)
        if (!isfinite(r->features[i]))
            abort();
    if (r->last_ns < r->first_ns || r->features[0] < 0.0f)
        abort();
    return 0;
}

static void as_packets(const uint8_t *data, size_t size)
{
    struct decoded d;

    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        decode_packet(links[i], data, (uint32_t)size, &d);
}

static void as_file(const uint8_t *data, size_t size)
{
    struct flow_config cfg;
    struct capture_packet pkt;

    flow_config_default(&cfg);
    cfg.max_flows = 16;
    cfg.max_frags = 16;
    cfg.idle_timeout_us = 1000000;
    cfg.active_timeout_us = 2000000;
    struct capture_source *src = capture_open_memory(data, size, "fuzz");
    if (!src)
        return;
    struct flow_meter *m = flow_meter_create(&cfg, check, NULL);
    if (m) {
        for (int n = 0; n < 4096 && capture_next(src, &pkt) == 1; n++)
            flow_meter_packet(m, &pkt);
        flow_meter_flush(m);
        flow_meter_destroy(m);
    }
    capture_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    as_packets(data, size);
    as_file(data, size);
    return 0;
}
