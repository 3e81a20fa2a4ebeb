/*
 * The open-set branch of `fewflow eval --openset`, owned by the detect
 * module's CLI code: it gets the full argument vector of `eval`.
 */
#ifndef FEWFLOW_CLI_EVAL_OPENSET_H
#define FEWFLOW_CLI_EVAL_OPENSET_H

int cmd_eval_openset(int argc, char **argv);

#endif
