/*
 * The cost of community_id on detect's lines: nanoseconds per Community
 * ID (community_id_of_flow: two inet_pton, one SHA-1 block, base64) and
 * per whole alert line (alert_format, which computes it), on a mix of
 * IPv4 TCP, IPv6 UDP and ICMP flows; median of `reps` runs. The line
 * without the ID costs the difference.
 *
 * usage: community_id_speed [FLOWS] [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fewflow/alert.h"
#include "fewflow/community_id.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void make_flows(struct alert_flow *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memset(&f[i], 0, sizeof(f[i]));
        unsigned a = (unsigned)(i * 2654435761u);
        if (i % 3 == 1) {
            snprintf(f[i].src_ip, sizeof(f[i].src_ip), "2001:db8::%x:%x",
                     a >> 16, a & 0xffff);
            snprintf(f[i].dest_ip, sizeof(f[i].dest_ip), "2001:db8:1::53");
            f[i].proto = 17;
        } else {
            snprintf(f[i].src_ip, sizeof(f[i].src_ip), "10.%u.%u.%u",
                     a >> 24, (a >> 16) & 255, (a >> 8) & 255);
            snprintf(f[i].dest_ip, sizeof(f[i].dest_ip), "192.168.1.10");
            f[i].proto = i % 3 == 0 ? 6 : 1;
            f[i].has_icmp = f[i].proto == 1;
            f[i].icmp_type = 8;
        }
        f[i].src_port = (uint16_t)(1024 + a % 60000);
        f[i].dest_port = 443;
        f[i].first_s = 1.5e9 + (double)i;
        f[i].last_s = f[i].first_s + 0.25;
        f[i].flow_id = alert_flow_hash(&f[i]);
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 200000;
    int reps = argc > 2 ? atoi(argv[2]) : 7;
    struct alert_flow *f = malloc(n * sizeof(*f));
    double *t_id = malloc((size_t)reps * sizeof(double));
    double *t_line = malloc((size_t)reps * sizeof(double));
    struct memo *m = memo_create(2, 2);
    float p[2] = { 1, 1 }, q[2] = { 3, 1 }, z[2] = { 1.2f, 0.9f };
    struct memo_decision d;
    struct alert_buf b;
    char id[COMMUNITY_ID_SIZE];
    size_t sink = 0;

    if (f == NULL || t_id == NULL || t_line == NULL || m == NULL ||
        n == 0 || reps < 1)
        return 1;
    make_flows(f, n);
    memo_class_add(m, "BENIGN", MEMO_CLASS_BENIGN, p, 1, 2, p);
    memo_class_add(m, "DDoS", 0, q, 1, 2, q);
    memo_decide(m, z, &d);
    alert_buf_init(&b);
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (size_t i = 0; i < n; i++)
            sink += (size_t)community_id_of_flow(&f[i], 0, id) + id[3];
        t_id[r] = (now_s() - t0) / (double)n * 1e9;
        t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            alert_buf_reset(&b);
            alert_format(&b, &f[i], m, &d, NULL, NULL);
            sink += b.len;
        }
        t_line[r] = (now_s() - t0) / (double)n * 1e9;
    }
    qsort(t_id, (size_t)reps, sizeof(double), cmp);
    qsort(t_line, (size_t)reps, sizeof(double), cmp);
    double idm = t_id[reps / 2], line = t_line[reps / 2];
    printf("flows %zu reps %d: community_id %.0f ns, alert line %.0f ns "
           "(%.0f ns without the ID, +%.1f%%) [sink %zu]\n", n, reps, idm,
           line, line - idm, 100.0 * idm / (line - idm), sink % 10);
    alert_buf_fini(&b);
    memo_destroy(m);
    free(f);
    free(t_id);
    free(t_line);
    return 0;
}
