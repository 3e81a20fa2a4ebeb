/*
 * The stderr and JSON summaries of detect's per-host rules (repeated
 * sessions, beacons), apart from the detect loop.
 */
#ifndef FEWFLOW_CLI_DETECT_RULES_H
#define FEWFLOW_CLI_DETECT_RULES_H

#include <stdint.h>

#include "fewflow/alert.h"
#include "fewflow/beacon.h"
#include "fewflow/repeat.h"

/* Both do nothing for a rule that did not run (NULL). */
void detect_rules_repeat_log(const struct repeat *rep, uint32_t sessions);
void detect_rules_beacon_log(const struct beacon *b);

/* ",\"beacons\":{...}" (zeros when the rule did not run). */
void detect_rules_beacon_json(struct alert_buf *buf, const struct beacon *b);

#endif
