/*
 * Connection rule (conn.h): which flow continues which, the verdict, the
 * whole-set form that eval --openset uses, the fixed-size table of
 * detect (expiry, a full table), and detect --csv end to end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "detect/conn_impl.h"
#include "fewflow/conn.h"
#include "fewflow/detect.h"
#include "fewflow/err.h"
#include "fewflow/rng.h"

/* A TCP flow from 10.0.0.1:sport to 10.0.0.2:80 over [start, end]. */
static struct conn_flow mk(uint16_t sport, double start, double end,
                           int syn, int closed)
{
    struct conn_flow f;
    memset(&f, 0, sizeof(f));
    snprintf(f.src_ip, sizeof(f.src_ip), "10.0.0.1");
    snprintf(f.dest_ip, sizeof(f.dest_ip), "10.0.0.2");
    f.src_port = sport;
    f.dest_port = 80;
    f.proto = 6;
    f.syn = (uint8_t)syn;
    f.closed = (uint8_t)closed;
    f.answered = 1;
    f.linkable = 1;
    f.start_s = 1e9 + start;
    f.end_s = 1e9 + end;
    return f;
}

/* BENIGN (0) and attack (1), two points in the plane. */
static struct memo *memory(void)
{
    float b[2] = { 0, 0 }, a[2] = { 10, 10 };
    struct memo *m = memo_create(2, 0);
    assert_non_null(m);
    assert_int_equal(memo_class_add(m, "BENIGN", MEMO_CLASS_BENIGN, b, 1,
                                    2.0f, NULL), 0);
    assert_int_equal(memo_class_add(m, "attack", 0, a, 1, 2.0f, NULL), 1);
    return m;
}

static void test_columns_and_flow(void **state)
{
    (void)state;
    const char *names[5] = { "fin_flag_count", "flow_duration", "x",
                             "rst_flag_count", "syn_flag_count" };
    struct conn_cols c;
    assert_false(conn_cols_find(&c, names, 4));
    assert_true(conn_cols_find(&c, names, 5));
    assert_int_equal(c.duration, 1);
    float x[5] = { 0, 2.5e6f, 7, 0, 1 };
    struct alert_flow id;
    memset(&id, 0, sizeof(id));
    snprintf(id.src_ip, sizeof(id.src_ip), "10.0.0.1");
    snprintf(id.dest_ip, sizeof(id.dest_ip), "10.0.0.2");
    id.proto = 6;
    id.first_s = 1000;
    id.last_s = 1000;
    struct conn_flow f;
    conn_flow_make(&c, x, &id, &f);
    assert_true(f.linkable && f.syn && !f.closed);
    assert_float_near(f.end_s, 1002.5, 1e-9);
    /* without a total_bwd_packets column a flow counts as answered */
    assert_true(f.answered);
    /* a NaN flag count, or a duration of years, is damage: not linked */
    x[4] = NAN;
    conn_flow_make(&c, x, &id, &f);
    assert_false(f.linkable);
    x[4] = 1;
    x[1] = 1e20f;
    conn_flow_make(&c, x, &id, &f);
    assert_false(f.linkable);
    x[1] = (float)(0.9 * CONN_MAX_SPAN_S * 1e6);
    conn_flow_make(&c, x, &id, &f);
    assert_true(f.linkable);
    x[1] = 2.5e6f;
    x[3] = 1;
    conn_flow_make(&c, x, &id, &f);
    assert_true(f.closed);
    /* UDP, no address, no time: never linked */
    id.proto = 17;
    conn_flow_make(&c, x, &id, &f);
    assert_false(f.linkable);
    id.proto = 6;
    id.src_ip[0] = '\0';
    conn_flow_make(&c, x, &id, &f);
    assert_false(f.linkable);
    snprintf(id.src_ip, sizeof(id.src_ip), "10.0.0.1");
    id.first_s = 0;
    conn_flow_make(&c, x, &id, &f);
    assert_false(f.linkable);
}

static void test_verdict(void **state)
{
    (void)state;
    struct memo *m = memory();
    float c[2] = { -10, 10 };
    assert_int_equal(memo_class_add(m, "other", 0, c, 1, 2.0f, NULL), 2);
    /* benign or unknown after a named class: the class */
    assert_int_equal(conn_verdict(m, 1, 0), 1);
    assert_int_equal(conn_verdict(m, 1, -1), 1);
    /* benign after unknown: unknown; unknown after unknown stays */
    assert_int_equal(conn_verdict(m, -1, 0), -1);
    assert_int_equal(conn_verdict(m, -1, -1), -1);
    /* a flow's own named class is kept */
    assert_int_equal(conn_verdict(m, 1, 2), 2);
    assert_int_equal(conn_verdict(m, -1, 2), 2);
    /* after a benign flow nothing changes, an alert stays an alert */
    assert_int_equal(conn_verdict(m, 0, 1), 1);
    assert_int_equal(conn_verdict(m, 0, -1), -1);
    assert_int_equal(conn_verdict(m, 0, 0), 0);
    memo_destroy(m);
}

/* What links and what does not, in any input order. */
static void test_link(void **state)
{
    (void)state;
    struct conn_flow f[9];
    f[3] = mk(1000, 0, 100, 1, 0);      /* the connection's start */
    f[0] = mk(1000, 160, 200, 0, 0);    /* continues 3: 60 s gap */
    f[5] = mk(1000, 799, 900, 0, 0);    /* continues 0: 599 s gap */
    f[1] = mk(1001, 0, 100, 1, 1);      /* closed by FIN or RST */
    f[2] = mk(1001, 150, 160, 0, 0);    /* after a closed flow: no */
    f[4] = mk(1002, 0, 100, 1, 0);
    f[6] = mk(1002, 120, 130, 1, 0);    /* carries a SYN: no */
    f[7] = mk(1003, 0, 100, 1, 0);
    f[8] = mk(1003, 701, 800, 0, 0);    /* 601 s gap: no */
    int32_t pred[9];
    size_t order[9];
    assert_int_equal(conn_link(f, 9, CONN_TIMEOUT_DEFAULT, pred, order), 2);
    int32_t want[9] = { 3, -1, -1, -1, -1, 0, -1, -1, -1 };
    for (int i = 0; i < 9; i++)
        assert_int_equal(pred[i], want[i]);
    /* the order puts a flow after the one it continues */
    size_t at[9];
    for (size_t k = 0; k < 9; k++)
        at[order[k]] = k;
    assert_true(at[3] < at[0] && at[0] < at[5]);
    /* another 5-tuple (here the other direction) does not link */
    struct conn_flow g[2] = { mk(1000, 0, 100, 1, 0),
                              mk(1000, 160, 200, 0, 0) };
    snprintf(g[1].src_ip, sizeof(g[1].src_ip), "10.0.0.2");
    snprintf(g[1].dest_ip, sizeof(g[1].dest_ip), "10.0.0.1");
    assert_int_equal(conn_link(g, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 0);
    g[1].linkable = 0;
    assert_int_equal(conn_link(g, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 0);
    /* the reversed 5-tuple is the same connection (the server spoke
     * first after the pause) */
    g[1] = mk(80, 160, 200, 0, 0);
    snprintf(g[1].src_ip, sizeof(g[1].src_ip), "10.0.0.2");
    snprintf(g[1].dest_ip, sizeof(g[1].dest_ip), "10.0.0.1");
    g[1].dest_port = 1000;
    assert_int_equal(conn_link(g, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 1);
    assert_int_equal(pred[1], 0);
    /* ... but not with one port different */
    g[1].dest_port = 1001;
    assert_int_equal(conn_link(g, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 0);
}

/* detect's table finds a connection from either direction. */
static void test_table_reversed(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN] = "";
    int32_t cls = 1;
    struct conn_flow a = mk(1000, 0, 100, 1, 0);
    conn_table_judge(t, m, &a, 7, &cls, reason);
    struct conn_flow b = mk(80, 300, 400, 0, 0);
    snprintf(b.src_ip, sizeof(b.src_ip), "10.0.0.2");
    snprintf(b.dest_ip, sizeof(b.dest_ip), "10.0.0.1");
    b.dest_port = 1000;
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &b, 8, &cls, reason), 1);
    assert_int_equal(cls, 1);
    assert_string_equal(reason, "continues the connection of flow_id 7 "
                                "(decided attack)");
    conn_table_destroy(t);
    memo_destroy(m);
}

/* A chain hands its first alert's tag on to its last part, with which
 * way round each part runs against that alert; a part with a class of
 * its own takes nothing over. */
static void test_table_carry(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN] = "";
    struct conn_carry c;
    int32_t cls = 1;
    struct conn_flow a = mk(1000, 0, 100, 1, 0);
    conn_table_judge_carry(t, m, &a, 7, &cls, reason, &c);
    assert_int_equal(c.carried, 0);
    conn_table_tag(t, &a, 7, 5);
    /* the server's side first, then the client's */
    struct conn_flow b = mk(80, 300, 400, 0, 0);
    snprintf(b.src_ip, sizeof(b.src_ip), "10.0.0.2");
    snprintf(b.dest_ip, sizeof(b.dest_ip), "10.0.0.1");
    b.dest_port = 1000;
    cls = 0;
    assert_int_equal(conn_table_judge_carry(t, m, &b, 8, &cls, reason, &c),
                     1);
    assert_true(c.carried && c.turned);
    assert_int_equal(c.tag, 5);
    struct conn_flow d = mk(1000, 500, 600, 0, 0);
    cls = -1;
    conn_table_judge_carry(t, m, &d, 9, &cls, reason, &c);
    assert_int_equal(cls, 1);
    assert_true(c.carried && !c.turned);
    assert_int_equal(c.tag, 5);
    /* a tag for another flow of the 5-tuple changes nothing */
    conn_table_tag(t, &a, 7, 6);
    struct conn_flow e = mk(1000, 700, 800, 0, 0);
    cls = 1;
    assert_int_equal(conn_table_judge_carry(t, m, &e, 10, &cls, reason, &c),
                     0);
    assert_true(c.carried);
    assert_int_equal(c.tag, 5);
    /* unknown after a named class takes the class; a benign head is no
     * connection alert, and a part after it takes nothing */
    struct conn_flow f = mk(1000, 900, 1000, 0, 0);
    cls = 0;
    conn_table_judge_carry(t, m, &f, 11, &cls, reason, &c);
    assert_int_equal(c.carried, 1);
    conn_table_destroy(t);
    t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    cls = 0;
    conn_table_judge_carry(t, m, &a, 7, &cls, reason, &c);
    cls = 1;
    conn_table_judge_carry(t, m, &b, 8, &cls, reason, &c);
    assert_int_equal(c.carried, 0);
    assert_int_equal(c.tag, 0);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* Chains carry the first flow's class; a benign start changes nothing. */
static void test_propagate(void **state)
{
    (void)state;
    struct memo *m = memory();
    int32_t pred[5] = { -1, 0, 1, -1, 3 };
    size_t order[5] = { 3, 0, 4, 1, 2 };
    int32_t cls[5] = { 1, 0, -1, 0, 1 };
    assert_int_equal(conn_propagate(m, pred, order, 5, cls), 2);
    assert_int_equal(cls[1], 1);
    assert_int_equal(cls[2], 1);
    assert_int_equal(cls[4], 1);    /* an alert after benign stays */
    assert_int_equal(cls[3], 0);
    memo_destroy(m);
}

static void test_table(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN] = "";
    int32_t cls = 1;
    struct conn_flow a = mk(1000, 0, 100, 1, 0);
    assert_int_equal(conn_table_judge(t, m, &a, 7, &cls, reason), 0);
    struct conn_flow b = mk(1000, 300, 400, 0, 0);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &b, 8, &cls, reason), 1);
    assert_int_equal(cls, 1);
    assert_string_equal(reason, "continues the connection of flow_id 7 "
                                "(decided attack)");
    /* transitive: the next part continues b (which took the class) */
    struct conn_flow c = mk(1000, 500, 600, 0, 0);
    cls = -1;
    assert_int_equal(conn_table_judge(t, m, &c, 9, &cls, reason), 1);
    assert_int_equal(cls, 1);
    assert_non_null(strstr(reason, "flow_id 8 "));
    /* an older row of the same connection (unsorted input) is alone */
    struct conn_flow old = mk(1000, 50, 60, 0, 0);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &old, 10, &cls, reason), 0);
    assert_int_equal(cls, 0);
    /* a part that ends with FIN/RST still takes the class, then the
     * connection is over */
    struct conn_flow d = mk(1000, 700, 710, 0, 1);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &d, 11, &cls, reason), 1);
    struct conn_flow e = mk(1000, 720, 730, 0, 0);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &e, 12, &cls, reason), 0);
    assert_int_equal(cls, 0);
    struct conn_totals tot;
    conn_table_totals(t, &tot);
    assert_int_equal(tot.linked, 3);
    assert_int_equal(tot.continued, 3);
    assert_int_equal(tot.out_of_order, 1);
    assert_int_equal(tot.before_head, 0);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* Judges f with decision cls; returns the decision after. */
static int32_t judge(struct conn_table *t, const struct memo *m,
                     struct conn_flow f, uint64_t id, int32_t cls)
{
    char reason[CONN_REASON_LEN];
    conn_table_judge(t, m, &f, id, &cls, reason);
    return cls;
}

/* A continuation that comes before its connection's first flow (a CSV
 * not sorted by time) is judged alone, as before, and now counted. */
static void test_table_continuation_before_head(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    struct conn_totals tot;
    /* port 2000: the part at 300 s, then its attack head at 0-100 s */
    assert_int_equal(judge(t, m, mk(2000, 300, 400, 0, 0), 1, 0), 0);
    assert_int_equal(judge(t, m, mk(2000, 0, 100, 1, 0), 2, 1), 1);
    /* a benign head would have changed nothing: not counted */
    judge(t, m, mk(3000, 300, 400, 0, 0), 3, 0);
    judge(t, m, mk(3000, 0, 100, 1, 0), 4, 0);
    /* too long after the head's end (900 s) or before its start */
    judge(t, m, mk(4000, 1000, 1100, 0, 0), 5, 0);
    judge(t, m, mk(4000, 0, 100, 1, 0), 6, 1);
    judge(t, m, mk(5000, 0, 50, 0, 0), 7, 0);
    judge(t, m, mk(5000, 10, 100, 1, 0), 8, 1);
    /* a closed head is no connection to continue */
    judge(t, m, mk(6000, 300, 400, 0, 0), 9, 0);
    judge(t, m, mk(6000, 0, 100, 1, 1), 10, 1);
    /* in time order the part links, and is not counted */
    judge(t, m, mk(7000, 0, 100, 1, 0), 11, 1);
    assert_int_equal(judge(t, m, mk(7000, 300, 400, 0, 0), 12, 0), 1);
    conn_table_totals(t, &tot);
    assert_int_equal(tot.before_head, 1);
    assert_int_equal(tot.linked, 1);
    /* counted once: the same head seen again claims nothing */
    judge(t, m, mk(2000, 0, 100, 1, 0), 13, 1);
    conn_table_totals(t, &tot);
    assert_int_equal(tot.before_head, 1);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* A flow with no backward packet is not answered: it is no connection. */
static void test_answered_column(void **state)
{
    (void)state;
    const char *names[4] = { "syn_flag_count", "fin_flag_count",
                             "rst_flag_count", "total_bwd_packets" };
    struct conn_cols c;
    assert_true(conn_cols_find(&c, names, 4));
    assert_int_equal(c.bwd_packets, 3);
    float x[4] = { 1, 0, 0, 0 };
    struct alert_flow id;
    memset(&id, 0, sizeof(id));
    snprintf(id.src_ip, sizeof(id.src_ip), "10.0.0.1");
    snprintf(id.dest_ip, sizeof(id.dest_ip), "10.0.0.2");
    id.proto = 6;
    id.first_s = id.last_s = 1000;
    struct conn_flow a, b;
    conn_flow_make(&c, x, &id, &a);
    assert_false(a.answered);
    x[0] = 0;
    id.first_s = id.last_s = 1100;
    conn_flow_make(&c, x, &id, &b);
    int32_t pred[2];
    struct conn_flow f[2] = { a, b };
    assert_int_equal(conn_link(f, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 0);
    f[0].answered = 1;
    assert_int_equal(conn_link(f, 2, CONN_TIMEOUT_DEFAULT, pred, NULL), 1);
    x[3] = NAN;
    conn_flow_make(&c, x, &id, &a);
    assert_false(a.answered);
}

/* A flood of n alerting, unclosed flows from n sources (10.A.B.last),
 * the i-th starting and ending at t0 + step * i, with flow ids from id0
 * on. */
static void flood(struct conn_table *t, struct memo *m, size_t n,
                  double t0, double step, int last, int answered,
                  uint64_t id0)
{
    char reason[CONN_REASON_LEN];
    for (size_t i = 0; i < n; i++) {
        double at = t0 + step * (double)i;
        struct conn_flow f = mk((uint16_t)(i % 60000), at, at, 1, 0);
        snprintf(f.src_ip, sizeof(f.src_ip), "10.%zu.%zu.%d", i / 60000,
                 i % 250, last);
        f.answered = (uint8_t)answered;
        int32_t cls = -1;
        conn_table_judge(t, m, &f, id0 + i, &cls, reason);
    }
}

/* A SYN flood (unanswered, alerting) takes no place in the table: a
 * slow connection opened before it is still followed after it. */
static void test_table_ignores_unanswered(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN];
    struct conn_flow slow = mk(1000, 0, 100, 1, 0);
    int32_t cls = 1;
    conn_table_judge(t, m, &slow, 1, &cls, reason);
    flood(t, m, 4 * CONN_SLOTS, 100, 0, 9, 0, 2);
    struct conn_totals tot;
    conn_table_totals(t, &tot);
    assert_int_equal(tot.replaced, 0);
    assert_int_equal(conn_table_live(t, 1e9 + 100), 1);
    struct conn_flow next = mk(1000, 200, 300, 0, 0);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &next, 9, &cls, reason), 1);
    assert_int_equal(cls, 1);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* No link after a closed flow, with a SYN, after a gap over 600 s, or
 * after a flow decided benign; an unknown after unknown is no change. */
static void test_table_no_link(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN];
    struct { struct conn_flow a, b; int32_t ca; } cases[] = {
        { mk(2000, 0, 100, 1, 1), mk(2000, 150, 160, 0, 0), 1 },
        { mk(2001, 0, 100, 1, 0), mk(2001, 150, 160, 1, 0), 1 },
        { mk(2002, 0, 100, 1, 0), mk(2002, 701, 710, 0, 0), 1 },
        { mk(2003, 0, 100, 1, 0), mk(2003, 150, 160, 0, 0), 0 },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        int32_t cls = cases[k].ca;
        conn_table_judge(t, m, &cases[k].a, 1, &cls, reason);
        cls = 0;
        assert_int_equal(conn_table_judge(t, m, &cases[k].b, 2, &cls,
                                          reason), 0);
        assert_int_equal(cls, 0);
    }
    struct conn_flow u = mk(2004, 0, 100, 1, 0), v = mk(2004, 150, 160, 0, 0);
    int32_t cls = -1;
    conn_table_judge(t, m, &u, 1, &cls, reason);
    assert_int_equal(conn_table_judge(t, m, &v, 2, &cls, reason), 0);
    assert_int_equal(cls, -1);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* A flood of alerting unclosed flows: the table keeps at most
 * CONN_SLOTS of them and replaces the oldest; expired places are
 * reused first. */
static void test_table_full(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN];
    size_t n = 4 * CONN_SLOTS;
    flood(t, m, n, 0, 0.001, 1, 1, 1);
    struct conn_totals tot;
    conn_table_totals(t, &tot);
    size_t live = conn_table_live(t, 1e9 + 20);
    assert_true(live <= CONN_SLOTS);
    assert_int_equal(live + tot.replaced, n);
    assert_true(conn_table_bytes() < 2 * 1024 * 1024);
    /* The very first connection was pushed out: judged alone. */
    struct conn_flow first = mk(0, 0, 0, 1, 0), next;
    snprintf(first.src_ip, sizeof(first.src_ip), "10.0.0.1");
    next = first;
    next.syn = 0;
    next.start_s = next.end_s = 1e9 + 30;
    int32_t cls = 0;
    assert_int_equal(conn_table_judge(t, m, &next, 1, &cls, reason), 0);
    /* 700 s later everything has expired: new flows take expired places
     * and replace nothing live. */
    for (size_t i = 0; i < 100; i++) {
        struct conn_flow f = mk((uint16_t)i, 800, 800, 1, 0);
        snprintf(f.src_ip, sizeof(f.src_ip), "10.9.9.%zu", i);
        cls = -1;
        conn_table_judge(t, m, &f, i + 1, &cls, reason);
    }
    conn_table_totals(t, &tot);
    assert_int_equal(live + tot.replaced, n);
    assert_int_equal(conn_table_live(t, 1e9 + 800), 100);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* One row with an absurd Flow Duration (a CSV can carry 1e18 µs) must
 * not make the live entries look expired: a flood that then pushes the
 * first connection out is counted, as without that row. */
static void test_table_clock(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN];
    struct conn_flow head = mk(1000, 0, 100, 1, 0);
    struct conn_flow bogus = mk(1, 10, 1e12, 1, 0);
    int32_t cls = 1;
    conn_table_judge(t, m, &head, 1, &cls, reason);
    conn_table_judge(t, m, &bogus, 2, &cls, reason);
    size_t n = 4 * CONN_SLOTS;
    flood(t, m, n, 20, 0.001, 2, 1, 3);
    struct conn_totals tot;
    conn_table_totals(t, &tot);
    /* every entry made is live (nothing is 600 s old) or counted */
    assert_int_equal(conn_table_live(t, 1e9 + 100) + tot.replaced, n + 2);
    struct conn_flow next = mk(1000, 200, 210, 0, 0);
    cls = 0;
    int linked = conn_table_judge(t, m, &next, 9, &cls, reason);
    conn_table_totals(t, &tot);
    assert_int_equal(tot.linked, (uint64_t)linked);
    assert_true(linked || tot.replaced > 0);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* A bucket with a free place keeps its entries, whatever the clock says:
 * a capture older than the one read before it (-r new -r old). */
static void test_table_free_first(void **state)
{
    (void)state;
    struct memo *m = memory();
    struct conn_table *t = conn_table_create(CONN_TIMEOUT_DEFAULT);
    char reason[CONN_REASON_LEN];
    struct conn_flow late = mk(7, 5000, 5000, 1, 0);
    snprintf(late.src_ip, sizeof(late.src_ip), "10.7.7.7");
    int32_t cls = 1;
    conn_table_judge(t, m, &late, 1, &cls, reason);
    /* the older capture: a connection, then two other alerting flows
     * that fall in its bucket (which keeps a free place) */
    struct conn_flow head = mk(1000, 0, 100, 1, 0);
    conn_table_judge(t, m, &head, 2, &cls, reason);
    size_t buckets = CONN_SLOTS / CONN_WAYS, put = 0;
    for (uint16_t p = 2000; put < 2; p++) {
        struct conn_flow f = mk(p, 110, 110, 1, 0);
        if (conn_tuple_hash(&f) % buckets != conn_tuple_hash(&head) % buckets)
            continue;
        cls = -1;
        conn_table_judge(t, m, &f, 3 + put++, &cls, reason);
    }
    struct conn_flow next = mk(1000, 200, 210, 0, 0);
    cls = 0;
    assert_int_equal(conn_table_judge(t, m, &next, 9, &cls, reason),
                     1);
    assert_int_equal(cls, 1);
    conn_table_destroy(t);
    memo_destroy(m);
}

/* eval --openset: a novel class whose later fragments sit on benign
 * ground. Alone they are misses; following their connections they are
 * the enrolled class's. */
static void test_openset_follows_connections(void **state)
{
    (void)state;
    enum { NB = 40, NC = 20, NF = 10, N = NB + NC + NF };
    static float z[N * 2];
    static int32_t y[N];
    int32_t pred[N];
    size_t order[N];
    struct rng r;
    struct memo *m = memory();
    rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        float cx = i < NB ? 0 : i < NB + NC ? -10 : 0;
        float cy = i < NB ? 0 : i < NB + NC ? 10 : 0;
        z[2 * i] = cx + 0.3f * (rng_uniform(&r) - 0.5f);
        z[2 * i + 1] = cy + 0.3f * (rng_uniform(&r) - 0.5f);
        y[i] = i < NB ? 0 : 1;
        pred[i] = i >= NB + NC ? NB + (i - NB - NC) : -1;
        order[i] = (size_t)i;
    }
    int32_t known_of[2] = { 0, -1 };
    struct memo_labelled t = { z, y, N };
    struct openset_opts o;
    struct openset_report off, on;
    openset_opts_default(&o);
    o.shots[0] = 5;
    o.n_shots = 1;
    o.trials = 4;
    assert_int_equal(openset_eval(m, &t, known_of, 2, &o, &off), 0);
    o.conn_pred = pred;
    o.conn_order = order;
    assert_int_equal(openset_eval(m, &t, known_of, 2, &o, &on), 0);
    assert_true(off.cells[0].missed[OPENSET_MISS_BENIGN] > 0.2);
    assert_true(on.cells[0].missed[OPENSET_MISS_BENIGN] == 0);
    assert_true(on.recall[0] > off.recall[0] + 0.2);
    assert_true(on.precision[0] >= off.precision[0]);
    /* before enrolment the fragments follow unknown rows: unknown too */
    assert_int_equal(on.conn_base_changed, NF);
    assert_int_equal(off.conn_base_changed, 0);
    assert_float_near(on.auroc, off.auroc, 1e-12);
    assert_float_near(on.benign_fpr, off.benign_fpr, 1e-12);
    openset_report_fini(&off);
    openset_report_fini(&on);
    memo_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_and_flow),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_propagate),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_table_no_link),
        cmocka_unit_test(test_table_reversed),
        cmocka_unit_test(test_table_carry),
        cmocka_unit_test(test_table_continuation_before_head),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_table_clock),
        cmocka_unit_test(test_table_free_first),
        cmocka_unit_test(test_answered_column),
        cmocka_unit_test(test_table_ignores_unanswered),
        cmocka_unit_test(test_openset_follows_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
