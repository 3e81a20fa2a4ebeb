/*
 * enroll --pick: the flows of --flows whose flow_id an analyst listed
 * (pick.h), gathered while the input is read, then checked (every pick
 * found), put in the picks' order and described in the log.
 */
#ifndef FEWFLOW_CLI_ENROLL_PICK_H
#define FEWFLOW_CLI_ENROLL_PICK_H

#include <stddef.h>
#include <stdint.h>

#include "fewflow/detector.h"
#include "fewflow/flow.h"

struct enroll_pick;

/* Reads the picks of path; flows' community_ids are computed with seed
 * (detect's --community-id-seed). NULL with err_msg() on failure. */
struct enroll_pick *enroll_pick_create(const char *path, size_t n_in,
                                       uint16_t seed);
void enroll_pick_destroy(struct enroll_pick *p);

/* One flow of the input: 0 when not picked, 1 when taken, 2 when taken
 * and every pick is now found (reading may stop), or a negative ERR_*. */
int enroll_pick_flow(struct enroll_pick *p, const struct detector_flow *f);

/*
 * After the input: ERR_NOTFOUND naming the picks not found (and the flow
 * timeouts fc in use, the usual cause) unless all were; else the rows
 * taken, in the picks' input order and cut at shot (0: all), go to *x
 * (malloc'd, n_in floats each) and *n, and the log describes them.
 */
int enroll_pick_finish(struct enroll_pick *p, const char *flows,
                       const struct flow_config *fc, size_t shot,
                       float **x, size_t *n);

#endif
