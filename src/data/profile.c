/*
 * Dataset profiles: which column is the label, which are identifiers to
 * drop and which are categorical, for the layouts the shared data has.
 * docs/data.md explains each choice.
 */
#include <stdlib.h>
#include <string.h>

#include "data/num.h"
#include "data/schema_impl.h"
#include "fewflow/err.h"

const char *const profile_nsl_names[43] = {
    "duration", "protocol_type", "service", "flag", "src_bytes",
    "dst_bytes", "land", "wrong_fragment", "urgent", "hot",
    "num_failed_logins", "logged_in", "num_compromised", "root_shell",
    "su_attempted", "num_root", "num_file_creations", "num_shells",
    "num_access_files", "num_outbound_cmds", "is_host_login",
    "is_guest_login", "count", "srv_count", "serror_rate",
    "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
    "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate",
    "dst_host_diff_srv_rate", "dst_host_same_src_port_rate",
    "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate",
    "dst_host_srv_rerror_rate", "label", "difficulty",
};

/* Per profile: label column, columns to drop, categorical columns, each
 * list ending with NULL. */
struct profile_rule {
    const char *label;
    const char *drop[16];
    const char *categorical[4];
    const char *required[6];
};

static const struct profile_rule rules[] = {
    [PROFILE_GENERIC] = { "label", { NULL }, { NULL }, { NULL } },
    [PROFILE_NSL_KDD] = {
        "label", { "difficulty", NULL },
        { "protocol_type", "service", "flag", NULL },
        { "protocol_type", "service", "flag", "src_bytes", "label", NULL },
    },
    [PROFILE_UNSW_NB15] = {
        "attack_cat", { "id", "label", NULL },
        { "proto", "service", "state", NULL },
        { "attack_cat", "sttl", "dttl", "proto", "state", NULL },
    },
    /* Columns 1-8 identify a flow (row number, 5-tuple, time) rather than
     * describe it; with them a learner memorises hosts and days.
     * Attempted Category is derived from the label. `fewflow flows`
     * writes this layout with three more identity columns. */
    [PROFILE_CIC_IMPROVED] = {
        "label",
        { "id", "flow_id", "src_ip", "src_port", "dst_ip", "dst_port",
          "protocol", "timestamp", "attempted_category", "end_timestamp",
          "vlan_id", "end_reason", NULL },
        { NULL },
        { "flow_id", "src_ip", "dst_ip", "timestamp", "flow_duration",
          NULL },
    },
    /* The port is the one identifier left in this layout; it is dropped as
     * in the improved layout so both describe flows alike. The original
     * files repeat Fwd Header Length; the copy adds nothing. */
    [PROFILE_CIC_MLCVE] = {
        "label", { "destination_port", "fwd_header_length_2", NULL },
        { NULL },
        { "flow_duration", "init_win_bytes_forward", "label", NULL },
    },
};

static int has_name(size_t n, const char *const *names, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], want) == 0)
            return 1;
    }
    return 0;
}

static int has_required(size_t n, const char *const *names, int profile)
{
    for (const char *const *r = rules[profile].required; *r != NULL; r++) {
        if (!has_name(n, names, *r))
            return 0;
    }
    return 1;
}

int profile_detect(size_t n, const char *const *names)
{
    static const int order[] = {
        PROFILE_UNSW_NB15, PROFILE_CIC_IMPROVED, PROFILE_CIC_MLCVE,
        PROFILE_NSL_KDD,
    };

    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (has_required(n, names, order[k]))
            return order[k];
    }
    return PROFILE_GENERIC;
}

int profile_looks_nsl(size_t n, char **fields)
{
    double v;

    if (n != 43 || num_parse(fields[0], strlen(fields[0]), &v) != NUM_FINITE)
        return 0;
    return strcmp(fields[1], "tcp") == 0 || strcmp(fields[1], "udp") == 0 ||
           strcmp(fields[1], "icmp") == 0;
}

static int set_role(struct schema *s, const char *name, int role,
                    int must_exist)
{
    long i = schema_raw_find(s, name);
    if (i < 0) {
        if (!must_exist)
            return 0;
        return err_set(ERR_NOTFOUND, "profile %s needs column '%s', which "
                       "the header lacks", schema_profile_name(s->profile),
                       name);
    }
    s->raw[i].role = role;
    if (role == SCHEMA_ROLE_LABEL)
        s->label = i;
    return 0;
}

int profile_apply(struct schema *s)
{
    const struct profile_rule *r = &rules[s->profile];
    int rc = 0;

    for (const char *const *d = r->drop; rc == 0 && *d != NULL; d++)
        rc = set_role(s, *d, SCHEMA_ROLE_DROPPED, 0);
    for (const char *const *c = r->categorical; rc == 0 && *c != NULL; c++)
        rc = set_role(s, *c, SCHEMA_ROLE_CATEGORICAL, 1);
    if (rc == 0)
        rc = set_role(s, r->label, SCHEMA_ROLE_LABEL,
                      s->profile != PROFILE_GENERIC);
    return rc;
}

static const char *const nsl_dos[] = {
    "back", "land", "neptune", "pod", "smurf", "teardrop", "apache2",
    "mailbomb", "processtable", "udpstorm", NULL,
};
static const char *const nsl_probe[] = {
    "ipsweep", "nmap", "portsweep", "satan", "mscan", "saint", NULL,
};
static const char *const nsl_u2r[] = {
    "buffer_overflow", "loadmodule", "perl", "rootkit", "ps", "sqlattack",
    "xterm", NULL,
};

static int in_list(const char *const *list, const char *name)
{
    for (; *list != NULL; list++) {
        if (strcmp(*list, name) == 0)
            return 1;
    }
    return 0;
}

/* The mapping Tavallaee et al. use (as in data/nsl-kdd/SOURCE.md); every
 * attack not listed, including test-only names, is R2L. */
const char *profile_nsl_family(const char *attack)
{
    if (strcmp(attack, "normal") == 0)
        return "normal";
    if (in_list(nsl_dos, attack))
        return "DoS";
    if (in_list(nsl_probe, attack))
        return "Probe";
    if (in_list(nsl_u2r, attack))
        return "U2R";
    return "R2L";
}
