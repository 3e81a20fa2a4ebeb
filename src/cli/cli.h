/*
 * The fewflow command: one function per subcommand, each in its own file
 * src/cli/cmd_<name>.c. A subcommand gets argv with argv[0] set to its name
 * (so getopt_long works) and returns the process exit status: 0 on success,
 * 2 on bad input or usage, 1 on an internal failure. Only the CLI writes to
 * stdout and only the CLI exits.
 */
#ifndef FEWFLOW_CLI_H
#define FEWFLOW_CLI_H

#include <stddef.h>

int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_classes(int argc, char **argv);
int cmd_forget(int argc, char **argv);

/* Prints "fewflow: error: <err_msg()>" and returns the exit status for an
 * error code: 1 for ERR_NOMEM, 2 for everything else. */
int cli_fail(int code);

/* A name from a file (label, class) made safe for a terminal: control
 * bytes (ESC, BEL, ...) become '?'. Returns buf, truncated to size. */
const char *cli_printable(const char *s, char *buf, size_t size);
/* Whether name may name a class: UTF-8 text without control, invisible
 * or direction-changing characters and without spaces at its ends (the
 * rule enroll applies; combining marks are checked apart). */
int cli_name_is_text(const char *name);

/* How many of paths are "-" (standard input, which can be read once). */
size_t cli_stdin_count(const char *const *paths, size_t n);

/* ERR_INVALID, with a message, when out names an existing regular file
 * that is one of paths (the same inode, whatever the spelling): -o given
 * an input would truncate it or append to it while it is read. */
int cli_output_is_input(const char *out, const char *const *paths,
                        size_t n);

/* "--name" of the long option whose value is c in opts (a getopt_long
 * table), for messages; "this option" when none. A static buffer. */
struct option;
const char *cli_opt_name(const struct option *opts, int c);

/* Prints "fewflow <cmd>: <message>" for a usage mistake and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads v as a plain decimal number ("12", "-0.5", "1e-3"): 0 and *out,
 * or -1 for anything else, including what strtod also takes (leading
 * spaces, hexadecimal "0x10", "inf", "nan"), so that a mistyped option
 * value is refused rather than read as something unintended. */
int cli_decimal(const char *v, double *out);

/* Reads v as a plain whole number of at most max ("0", "12"): 0 and *out,
 * or -1 for anything else. strtol and strtoul also take leading spaces, a
 * sign (strtoul wraps "-4294967294" round to 2) and stop at the first
 * other character ("12.5" is 12), so a mistyped count would run. */
int cli_whole(const char *v, unsigned long long max, unsigned long long *out);

/* Warns when two of the memory's class names differ only in ASCII case
 * (a model enrolled before names were folded): alerts then carry two
 * spellings of one class, and `forget` takes each by its own. */
struct memo;
void cli_warn_name_clash(const char *cmd, const struct memo *m,
                         const char *path);

#endif
