/*
 * SIGHUP on a live detect (-i, or a capture or CSV on a pipe, with
 * --suppress): the suppression and limit files are read again, as a
 * daemon re-reads its configuration, so an operator silences a new
 * false alarm without losing the flows in flight.
 *
 * The new lists are read whole before anything changes: a file that no
 * longer parses leaves the old lists in force, with one error line. The
 * old limits' open windows end there, each that held alerts back with
 * its closing record, since their entries may be gone; per-entry and
 * per-key counts then start again with the new lists, while the run's
 * totals (alerts suppressed, held, records) go on.
 *
 * The same signal opens the -o file again, as daemons do for logrotate:
 * the file was renamed, the lines already written stay in it, and the
 * lines after the signal go to a new file under the name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/detect_run_impl.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

int detect_reload_wanted(const struct detect_run_opts *o)
{
    struct stat st;
    if (o->n_suppress == 0 && o->output == NULL)
        return 0;
    if (o->in.iface != NULL)
        return 1;
    for (size_t i = 0; i < o->n_captures + o->n_csvs; i++) {
        const char *p = i < o->n_captures ? o->captures[i]
                                          : o->csvs[i - o->n_captures];
        if (p[0] == '-' && p[1] == '\0')
            return 1;
        if (stat(p, &st) == 0 && S_ISFIFO(st.st_mode))
            return 1;
    }
    return 0;
}

int detect_reload(struct run *r)
{
    struct suppress *old = r->sup;
    r->sup = NULL;
    int rc = detect_suppress_load(r);
    struct suppress *fresh = r->sup;
    r->sup = old;
    if (rc == ERR_NOMEM) {
        suppress_destroy(fresh);
        return rc;
    }
    if (rc != 0) {
        suppress_destroy(fresh);
        log_error("detect", "%s: not re-read (SIGHUP); the lists read "
                  "before stay in force", err_msg());
        return 0;
    }
    rc = detect_limit_finish(r);
    if (rc != 0) {
        suppress_destroy(fresh);
        return rc;
    }
    limit_destroy(r->lim);
    free(r->lim_held);
    r->lim = NULL;
    r->lim_held = NULL;
    r->lim_cursor = 0;
    r->lim_cli_seen = 0;
    suppress_destroy(old);
    r->sup = fresh;
    log_info("detect", "re-read the --suppress files (SIGHUP): %zu "
             "entries; counts per entry and key start again",
             fresh != NULL ? suppress_count(fresh) : (size_t)0);
    return detect_limit_init(r);
}

FILE *detect_output_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (f == NULL) {
        err_set(ERR_IO, "%s: cannot open for the alerts: %s", path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

int detect_output_reopen(struct run *r)
{
    const char *path = r->o->output;
    if (fflush(r->out) != 0 || ferror(r->out))
        return err_set(ERR_IO, "%s: cannot write the alerts: %s", path,
                       strerror(errno));
    FILE *fresh = detect_output_open(path);
    if (fresh == NULL) {
        log_error("detect", "%s (SIGHUP); the alerts go on to the file "
                  "open before", err_msg());
        return 0;
    }
    fclose(r->out);
    r->out = fresh;
    log_info("detect", "opened %s again (SIGHUP)", path);
    return 0;
}
