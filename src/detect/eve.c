#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fewflow/alert.h"
#include "fewflow/bytes.h"
#include "fewflow/community_id.h"

/*
 * The alert line. Suricata's severity runs from 1 (high) to 3 (low):
 * a flow inside an attack class is 1, an unknown flow 2, a benign flow
 * (printed with --all) 3. The signature id is stable per class name so
 * that SIEM rules can key on it: 9100000 for unknown, otherwise
 * 9100001 + crc32(name) mod 99999. A flow of a kind the model never
 * learnt (support.h) is "unjudged": severity 3 like benign, but printed
 * without --all, signature id 9099999.
 */

#define SID_UNKNOWN 9100000u
#define SID_UNJUDGED 9099999u

static void put_unjudged_object(struct alert_buf *b, const char *reason)
{
    char sig[160];
    snprintf(sig, sizeof(sig), "FEWFLOW flow not judged: %s",
             reason ? reason : "kind absent from the training data");
    alert_buf_alert_head(b, SID_UNJUDGED, sig);
    alert_buf_raw(b, ",\"category\":", 12);
    alert_buf_json_str(b, "fewflow: not judged");
    alert_buf_raw(b, ",\"severity\":3}", 14);
}

static uint32_t signature_id(const struct memo_class *c)
{
    if (c == NULL)
        return SID_UNKNOWN;
    return SID_UNKNOWN + 1 +
           bytes_crc32(0, c->name, strlen(c->name)) % 99999u;
}

static void put_alert_object(struct alert_buf *b, const struct memo_class *c,
                             int held, const struct alert_flow *f)
{
    int benign = c && (c->flags & MEMO_CLASS_BENIGN);
    int enrolled = c && (c->flags & MEMO_CLASS_ENROLLED);
    const char *category = c == NULL ? "fewflow: unknown traffic"
                           : benign  ? "fewflow: benign traffic"
                           : enrolled ? "fewflow: enrolled attack class"
                                      : "fewflow: known attack class";

    char sig[MEMO_NAME_MAX + 64];
    if (c == NULL && f->beacon != NULL)
        snprintf(sig, sizeof(sig), "FEWFLOW unknown flow: one of a regular "
                 "series of sessions (beacon)");
    else if (c == NULL && f->repeated)
        snprintf(sig, sizeof(sig), "FEWFLOW unknown flow: one of a run of "
                 "repeated sessions");
    else if (c == NULL && f->slow)
        snprintf(sig, sizeof(sig), "FEWFLOW unknown flow: one of many slow "
                 "connections held open by one client");
    else if (c == NULL && held)
        snprintf(sig, sizeof(sig), "FEWFLOW unknown flow: inside a benign "
                 "class that may not take it");
    else if (c == NULL)
        snprintf(sig, sizeof(sig), "FEWFLOW unknown flow: outside every "
                 "class radius");
    else
        snprintf(sig, sizeof(sig), "FEWFLOW %s flow: inside class %s",
                 benign ? "benign" : "attack", c->name);
    alert_buf_alert_head(b, signature_id(c), sig);
    alert_buf_raw(b, ",\"category\":", 12);
    alert_buf_json_str(b, category);
    alert_buf_printf(b, ",\"severity\":%d}", c == NULL ? 2 : benign ? 3 : 1);
}

/* As EVE does, ICMP and ICMPv6 lines carry no ports (the meter's are 0),
 * and the message type and code where a capture gave them. */
static void put_header(struct alert_buf *b, const struct alert_flow *f)
{
    char ts[40], pbuf[8];
    int icmp = f->proto == 1 || f->proto == 58;

    alert_format_time(f->last_s, ts, sizeof(ts));
    alert_buf_printf(b, "{\"timestamp\":\"%s\",\"flow_id\":%llu,"
                     "\"event_type\":\"alert\"", ts,
                     (unsigned long long)f->flow_id);
    /* An unknown address is left out rather than written "": log stores
     * that type the field as an address refuse the alert for "". */
    if (f->src_ip[0] != '\0') {
        alert_buf_raw(b, ",\"src_ip\":", 10);
        alert_buf_json_str(b, f->src_ip);
    }
    if (!icmp)
        alert_buf_printf(b, ",\"src_port\":%u", f->src_port);
    if (f->dest_ip[0] != '\0') {
        alert_buf_raw(b, ",\"dest_ip\":", 11);
        alert_buf_json_str(b, f->dest_ip);
    }
    if (!icmp)
        alert_buf_printf(b, ",\"dest_port\":%u", f->dest_port);
    alert_buf_raw(b, ",\"proto\":", 9);
    alert_buf_json_str(b, alert_proto_name(f->proto, pbuf, sizeof(pbuf)));
    if (f->has_icmp)
        alert_buf_printf(b, ",\"icmp_type\":%u,\"icmp_code\":%u",
                         f->icmp_type, f->icmp_code);
    /* Left out, as Suricata does, when the flow lacks what the hash
     * needs: "" would join every such flow to every other. */
    char cid[COMMUNITY_ID_SIZE];
    if (community_id_of_flow(f, f->community_seed, cid) == 0)
        alert_buf_printf(b, ",\"community_id\":\"%s\"", cid);
}

/* The series a beacon alert belongs to: enough to find its other
 * flows (flow ids) and to judge the timer (period, jitter). */
static void put_beacon(struct alert_buf *b, const struct alert_beacon *bc)
{
    char t0[40];
    alert_buf_printf(b, ",\"beacon\":{\"sessions\":%llu,\"period_s\":",
                     (unsigned long long)bc->sessions);
    alert_buf_json_num(b, bc->period_s);
    alert_buf_raw(b, ",\"jitter_s\":", 12);
    alert_buf_json_num(b, bc->jitter_s);
    alert_format_time(bc->since_s, t0, sizeof(t0));
    alert_buf_printf(b, ",\"since\":\"%s\",\"flow_ids\":[", t0);
    for (uint32_t k = 0; k < bc->n_ids; k++)
        alert_buf_printf(b, k ? ",%llu" : "%llu",
                         (unsigned long long)bc->ids[k]);
    alert_buf_raw(b, "]}", 2);
}

static void put_nearest(struct alert_buf *b, const struct memo *m,
                        const struct memo_decision *dec)
{
    alert_buf_raw(b, ",\"nearest\":[", 12);
    for (uint32_t i = 0; i < dec->n_near; i++) {
        const struct memo_class *c = &m->cls[dec->near[i].cls];
        alert_buf_raw(b, i ? ",{\"class\":" : "{\"class\":", i ? 10 : 9);
        alert_buf_json_str(b, c->name);
        alert_buf_raw(b, ",\"distance\":", 12);
        alert_buf_json_num(b, dec->near[i].dist);
        /* The class-wide radius beside a nearest-prototype distance would
         * read as inside when a tighter prototype excludes the flow; the
         * score and verdict come from the prototype that decides. */
        alert_buf_raw(b, ",\"score\":", 9);
        alert_buf_json_num(b, dec->near[i].ratio);
        alert_buf_raw(b, dec->near[i].ratio <= 1 ? ",\"inside\":true}"
                                                 : ",\"inside\":false}",
                      dec->near[i].ratio <= 1 ? 15 : 16);
    }
    alert_buf_raw(b, "]", 1);
}

static void put_features(struct alert_buf *b, const struct alert_explain *ex,
                         const struct detect_encoder *enc)
{
    alert_buf_raw(b, ",\"features\":[", 13);
    for (size_t i = 0; ex != NULL && i < ex->n_pulls; i++) {
        const struct alert_pull *p = &ex->pulls[i];
        alert_buf_raw(b, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
        alert_buf_json_str(b, enc && enc->col_names ? enc->col_names[p->col]
                                                    : "?");
        alert_buf_raw(b, ",\"value\":", 9);
        alert_buf_json_num(b, p->value);
        alert_buf_raw(b, ",\"class_typical\":", 17);
        alert_buf_json_num(b, p->class_value);
        alert_buf_raw(b, ",\"effect\":", 10);
        alert_buf_json_num(b, p->effect);
        alert_buf_raw(b, "}", 1);
    }
    alert_buf_raw(b, "]", 1);
    if (ex != NULL && ex->n_pulls > 0)
        alert_buf_printf(b, ",\"features_effect\":\"%s\"",
                         ex->toward ? "toward_class" : "away_from_nearest");
}

void alert_format(struct alert_buf *b, const struct alert_flow *f,
                  const struct memo *m, const struct memo_decision *dec,
                  const struct alert_explain *ex,
                  const struct detect_encoder *enc)
{
    const struct memo_class *c = dec->cls >= 0 ? &m->cls[dec->cls] : NULL;
    char t0[40];

    put_header(b, f);
    if (f->unjudged)
        put_unjudged_object(b, f->reason);
    else
        put_alert_object(b, c, dec->held, f);
    alert_buf_raw(b, ",\"fewflow\":{\"class\":", 20);
    alert_buf_json_str(b, f->unjudged ? "unjudged" : c ? c->name : "unknown");
    if (f->reason != NULL) {
        alert_buf_raw(b, ",\"reason\":", 10);
        alert_buf_json_str(b, f->reason);
    }
    if (f->suppressed != NULL) {
        alert_buf_raw(b, ",\"suppressed\":", 14);
        alert_buf_json_str(b, f->suppressed);
    }
    if (f->limited != NULL) {
        alert_buf_raw(b, ",\"limited\":", 11);
        alert_buf_json_str(b, f->limited);
    }
    alert_buf_printf(b, ",\"known\":%s,\"enrolled\":%s,\"score\":",
                     c ? "true" : "false",
                     c && (c->flags & MEMO_CLASS_ENROLLED) ? "true"
                                                            : "false");
    alert_buf_json_num(b, dec->score);
    alert_buf_raw(b, ",\"distance\":", 12);
    alert_buf_json_num(b, dec->dist);
    alert_buf_raw(b, ",\"radius\":", 10);
    alert_buf_json_num(b, dec->radius);
    if (isfinite(dec->head_prob)) {
        alert_buf_raw(b, ",\"head_prob\":", 13);
        alert_buf_json_num(b, dec->head_prob);
    }
    if (f->beacon != NULL)
        put_beacon(b, f->beacon);
    put_nearest(b, m, dec);
    put_features(b, ex, enc);
    alert_format_time(f->first_s, t0, sizeof(t0));
    alert_buf_printf(b, ",\"flow_start\":\"%s\",\"duration_s\":", t0);
    alert_buf_json_num(b, f->last_s - f->first_s);
    alert_buf_raw(b, "}}\n", 3);
}
