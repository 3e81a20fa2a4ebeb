/*
 * Progress reporting for long loops (training, reading big files).
 *
 * On a terminal the bar redraws one stderr line at most ten times a second
 * with done/total, rate and ETA. When stderr is not a terminal it prints a
 * plain line every `plain_interval_s` seconds (default 10) instead, so logs
 * stay readable. Nothing is printed when the log level is below info.
 * Caller-owned storage; not thread-safe.
 */
#ifndef FEWFLOW_PROGRESS_H
#define FEWFLOW_PROGRESS_H

#include <stdint.h>

struct progress {
    const char *label;     /* borrowed: what is counted, e.g. "episodes" */
    uint64_t total;        /* 0 when unknown: no ETA is shown */
    uint64_t done;
    double start_s;
    double last_draw_s;
    double plain_interval_s;
    int is_tty;
    int drawn;             /* a bar line is on screen and needs a newline */
    char extra[96];        /* free text shown after the rate (loss, acc) */
};

void progress_init(struct progress *p, const char *label, uint64_t total);

/* Sets the count of finished items and redraws if it is time to. `extra`
 * may be NULL; it is copied. */
void progress_update(struct progress *p, uint64_t done, const char *extra);

/* Draws the final state and ends the line. */
void progress_finish(struct progress *p);

/* Monotonic clock in seconds. */
double progress_now_s(void);

#endif
