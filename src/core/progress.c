#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fewflow/log.h"
#include "fewflow/progress.h"

double progress_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void progress_init(struct progress *p, const char *label, uint64_t total)
{
    memset(p, 0, sizeof(*p));
    p->label = label;
    p->total = total;
    p->start_s = progress_now_s();
    p->last_draw_s = p->start_s;
    p->plain_interval_s = 10.0;
    p->is_tty = isatty(STDERR_FILENO);
}

static void format_eta(char *buf, size_t len, double seconds)
{
    if (seconds < 0 || seconds > 360000) {
        snprintf(buf, len, "--:--");
        return;
    }
    int s = (int)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%02d:%02d", s / 60, s % 60);
}

static void draw(struct progress *p, double now, int final)
{
    double elapsed = now - p->start_s;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0.0;
    char eta[32] = "";

    if (p->total > 0 && rate > 0 && !final)
        format_eta(eta, sizeof(eta),
                   (double)(p->total - p->done) / rate);
    if (p->total == 0) {
        /* No total, no bar or ETA: "12/0" would read as a broken count. */
        fprintf(stderr, "%s%s %llu %.1f/s%s%s",
                p->is_tty ? "\r\033[K" : "fewflow: info: progress: ",
                p->label, (unsigned long long)p->done, rate, p->extra,
                p->is_tty ? "" : "\n");
        p->drawn = p->is_tty;
    } else if (p->is_tty) {
        int width = 24;
        int fill = p->total ? (int)(width * p->done / p->total) : 0;
        char bar[32];

        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %llu/%llu %.1f/s %s%s%s",
                p->label, bar, (unsigned long long)p->done,
                (unsigned long long)p->total, rate, eta[0] ? "ETA " : "",
                eta, p->extra);
        p->drawn = 1;
    } else {
        fprintf(stderr, "fewflow: info: progress: %s %llu/%llu %.1f/s%s%s%s\n",
                p->label, (unsigned long long)p->done,
                (unsigned long long)p->total, rate, eta[0] ? " ETA " : "",
                eta, p->extra);
    }
    p->last_draw_s = now;
}

void progress_update(struct progress *p, uint64_t done, const char *extra)
{
    if (log_get_level() < LOG_INFO)
        return;
    p->done = done;
    double now = progress_now_s();
    double interval = p->is_tty ? 0.1 : p->plain_interval_s;
    if (now - p->last_draw_s < interval)
        return;
    if (extra != NULL)
        snprintf(p->extra, sizeof(p->extra), " %s", extra);
    draw(p, now, 0);
}

void progress_finish(struct progress *p)
{
    if (log_get_level() < LOG_INFO)
        return;
    double now = progress_now_s();
    if (p->is_tty) {
        draw(p, now, 1);
        fputc('\n', stderr);
    } else if (now - p->start_s >= p->plain_interval_s) {
        draw(p, now, 1);
    }
    p->drawn = 0;
}
