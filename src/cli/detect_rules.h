/*
 * The stderr and JSON summaries of detect's per-host rules (repeated
 * sessions, beacons), apart from the detect loop.
 */
#ifndef FEWFLOW_CLI_DETECT_RULES_H
#define FEWFLOW_CLI_DETECT_RULES_H

#include <stdint.h>

#include "cli/detect_run.h"
#include "fewflow/alert.h"
#include "fewflow/beacon.h"
#include "fewflow/repeat.h"

/* The beacon rule for a run: *out stays NULL when it is off or the model
 * lacks its column. Returns 0 or ERR_NOMEM. */
int detect_rules_beacon_create(const struct detector *d,
                               const struct detect_run_opts *o,
                               struct beacon **out);

/* A written flow whose series is a beacon (m->decided): a benign verdict
 * (alert 0) becomes unknown with the reason; any other keeps its class
 * and gains the reason if it had none. Both print the beacon object. */
void detect_rules_beacon_apply(struct beacon *b, const struct beacon_mark *m,
                               int alert, char *reason, struct alert_flow *id,
                               int32_t *cls);

/* Both do nothing for a rule that did not run (NULL). */
void detect_rules_repeat_log(const struct repeat *rep, uint32_t sessions);
void detect_rules_beacon_log(const struct beacon *b);

/* ",\"beacons\":{...}" (zeros when the rule did not run). */
void detect_rules_beacon_json(struct alert_buf *buf, const struct beacon *b);

#endif
