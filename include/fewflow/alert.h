/*
 * Explained alerts: why a flow was decided as it was, and the alert line.
 *
 * An explanation names the input features that mattered most for the
 * decision. It measures each feature by occlusion: the feature is reset to
 * the training mean (0 after normalisation), the flow is embedded again,
 * and the change of its distance to the class it took is the feature's
 * effect. A positive effect means the feature's value pulled the flow
 * toward the class (removing it moves the flow away). For an unknown flow
 * the class is the nearest one, and the features reported are those that
 * pushed the flow away from it most (negative effects). Values are shown in
 * original units through the normaliser's inverse.
 *
 * Alert lines are JSON objects in the shape of Suricata's EVE alert events
 * (timestamp, flow_id, event_type "alert", the 5-tuple, proto, and an alert
 * object with action, gid, signature_id, rev, signature, category,
 * severity), with a "fewflow" object for the decision and its explanation.
 *
 * Not thread-safe per writer; the functions keep no global state.
 */
#ifndef FEWFLOW_ALERT_H
#define FEWFLOW_ALERT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fewflow/detect.h"

/* What detect needs from a trained model, as callbacks so that this module
 * knows nothing of how the encoder was trained. */
struct detect_encoder {
    void *ctx;
    uint32_t n_in;            /* normalised input columns */
    uint32_t dim;             /* embedding size */
    const char *const *col_names;  /* n_in names, borrowed */
    /* x: n × n_in normalised rows → z: n × dim. Returns 0 or ERR_*. */
    int (*embed)(void *ctx, const float *x, size_t n, float *z);
    /* A normalised value of column col in original units; NULL means the
     * values are already in original units. */
    double (*inverse)(void *ctx, uint32_t col, float v);
};

#define ALERT_MAX_PULLS 8

struct alert_pull {
    uint32_t col;             /* input column */
    float effect;             /* distance change when the feature is reset */
    double value;             /* the flow's value, original units */
    double class_value;       /* the class's mean support value, original */
};

struct alert_explain {
    int32_t cls;              /* the class measured against (-1: none) */
    int toward;               /* 1: pulls toward cls; 0: pushes away */
    size_t n_pulls;
    struct alert_pull pulls[ALERT_MAX_PULLS];
};

/*
 * Explains a decision for one normalised row x (n_in floats). scratch must
 * hold alert_explain_scratch(enc) floats. top ≤ ALERT_MAX_PULLS features
 * are reported. Returns 0 or the encoder's error.
 */
size_t alert_explain_scratch(const struct detect_encoder *enc);
int alert_explain(const struct detect_encoder *enc, const struct memo *m,
                  const float *x, const struct memo_decision *dec,
                  size_t top, float *scratch, struct alert_explain *out);

/* A flow's series when the beacon rule (beacon.h) decided it regular. */
#define ALERT_BEACON_IDS 8

struct alert_beacon {
    uint64_t sessions;        /* of the series, this one included */
    double period_s;          /* median interval between beats */
    double jitter_s;          /* their median absolute deviation */
    double since_s;           /* the series' first session */
    uint32_t n_ids;
    uint64_t ids[ALERT_BEACON_IDS];  /* earlier flows, newest first */
};

/* The identity of a flow, as the capture or the CSV gave it. */
struct alert_flow {
    uint64_t flow_id;
    char src_ip[48];
    char dest_ip[48];
    uint16_t src_port;
    uint16_t dest_port;
    uint8_t proto;            /* IP protocol number */
    /* ICMP and ICMPv6 flows from a capture: the first message's type and
     * code (EVE prints these instead of ports); has_icmp 0 otherwise. */
    uint8_t has_icmp;
    uint8_t icmp_type, icmp_code;
    /* TCP, UDP or SCTP ports the source could not give (an empty CSV
     * field): the ports printed are 0 and the line has no
     * community_id. */
    uint8_t ports_unknown;
    /* The Community ID seed (community_id.h) of community_id. */
    uint16_t community_seed;
    double first_s;           /* first packet, seconds since the epoch */
    double last_s;            /* last packet */
    /* The flow was still open when the input ended (captures only; CSV
     * rows carry no end reason). */
    uint8_t open_at_end;
    /* Set by detect when the flow-kind rules (support.h) overrode the
     * memory: unjudged makes the line a low-severity "unjudged" event;
     * reason (a static string, or NULL) is printed as fewflow.reason. */
    uint8_t unjudged;
    const char *reason;
    /* Set by detect when the repeated-session rule (repeat.h) made the
     * flow unknown: the signature says so. */
    uint8_t repeated;
    /* Set by detect when the flow belongs to a beacon series: printed as
     * fewflow.beacon. */
    const struct alert_beacon *beacon;
    /* Set by detect when the slow-connection rule (slow.h) made it
     * unknown. */
    uint8_t slow;
    /* Set by detect when an entry of the suppression list (suppress.h)
     * holds the alert back: "FILE:LINE", printed with --all as
     * fewflow.suppressed; NULL otherwise. */
    const char *suppressed;
    /* Set by detect when a rate limit (limit.h) holds the alert back:
     * "FILE:LINE" or "--alert-limit", printed with --all as
     * fewflow.limited; NULL otherwise. */
    const char *limited;
};

/* A growing text buffer for one JSON line. */
struct alert_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

void alert_buf_init(struct alert_buf *b);
void alert_buf_fini(struct alert_buf *b);
void alert_buf_reset(struct alert_buf *b);
void alert_buf_raw(struct alert_buf *b, const char *s, size_t n);
void alert_buf_printf(struct alert_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string: quotes, escapes for " \ and control characters, and
 * U+FFFD for bytes that are not valid UTF-8, so the line always parses. */
void alert_buf_json_str(struct alert_buf *b, const char *s);

/* Opens an EVE `alert` object, `,"alert":{"action":"allowed","gid":1,
 * "signature_id":SID,"rev":1,"signature":SIG`, as every line kind (flow
 * alerts, unjudged lines, rate-limit records) writes it; the caller adds
 * category and severity and closes it. */
void alert_buf_alert_head(struct alert_buf *b, unsigned sid,
                          const char *sig);

/* Length of the valid UTF-8 sequence at s (no overlongs, no surrogates,
 * at most U+10FFFF), or 0 when it is not valid; the JSON writer turns an
 * invalid byte into U+FFFD. */
size_t alert_utf8_len(const unsigned char *s);
/* A JSON number with up to 6 significant digits; null when not finite. */
void alert_buf_json_num(struct alert_buf *b, double v);

/* ISO-8601 UTC with microseconds and offset: 2017-07-04T12:00:00.000001+0000
 * (Suricata's form). buf must hold 32 bytes. */
void alert_format_time(double t_s, char *buf, size_t len);

/* "ADDR:PORT", with an IPv6 address in brackets ("[2001:db8::2]:22"),
 * since "2001:db8::2:22" reads either way; returns buf. */
const char *alert_format_endpoint(const char *ip, unsigned port, char *buf,
                                  size_t len);

/* Suricata-style protocol name ("TCP", "UDP", "ICMP", "IPv6-ICMP"), or
 * the number as text; buf holds at least 8 bytes. */
const char *alert_proto_name(uint8_t proto, char *buf, size_t len);

/* A stable flow id from the 5-tuple and start time, for sources that have
 * none; 52 bits so JSON readers keep it exact. */
uint64_t alert_flow_hash(const struct alert_flow *f);

/*
 * Formats one alert line (with '\n') into b: the EVE fields and the
 * "fewflow" object (class, score, distance, radius, enrolled, nearest
 * classes, features). ex may be NULL (no features).
 */
void alert_format(struct alert_buf *b, const struct alert_flow *f,
                  const struct memo *m, const struct memo_decision *dec,
                  const struct alert_explain *ex,
                  const struct detect_encoder *enc);

#endif
