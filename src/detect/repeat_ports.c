#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/err.h"
#include "fewflow/repeat.h"

/*
 * The services whose sessions the repeated-session rule counts by
 * default: each asks for a password at the start of a session, so a
 * guesser opens one short session per try or per few tries, and the
 * common guessing tools (THC-Hydra, Medusa, Ncrack, Patator) have a
 * module for each. IANA port numbers.
 *
 * Left out on purpose: 25 (SMTP relay: mail servers open many alike
 * sessions to one another without logging in), 80/443/8080 (web logins
 * are guessed too, but most pollers, health checks and API clients talk
 * HTTP(S): add them with "auth,80,443" where that is wanted), 88
 * (Kerberos guessing is mostly UDP; the rule counts TCP sessions), and
 * SNMP and SIP (UDP).
 */
struct auth_port {
    uint16_t port;
    const char *service;
    const char *why;
};

static const struct auth_port auth_ports[] = {
    { 21, "ftp", "USER/PASS login (FTP-Patator in CIC-IDS2017)" },
    { 22, "ssh", "password login (SSH-Patator; Zeek's guessing notice)" },
    { 23, "telnet", "login prompt in clear text" },
    { 110, "pop3", "USER/PASS mailbox login" },
    { 139, "netbios-ssn", "SMB session setup over NetBIOS" },
    { 143, "imap", "LOGIN/AUTHENTICATE mailbox login" },
    { 389, "ldap", "simple bind with a password" },
    { 445, "microsoft-ds", "SMB session setup (NTLM)" },
    { 465, "submissions", "SMTP AUTH over TLS" },
    { 512, "exec", "rexec: user and password per command" },
    { 513, "login", "rlogin" },
    { 587, "submission", "SMTP AUTH before sending mail" },
    { 636, "ldaps", "simple bind over TLS" },
    { 993, "imaps", "IMAP login over TLS" },
    { 995, "pop3s", "POP3 login over TLS" },
    { 1433, "ms-sql-s", "SQL Server login" },
    { 1521, "oracle", "Oracle listener, database login" },
    { 3306, "mysql", "MySQL login" },
    { 3389, "ms-wbt-server", "RDP (CredSSP/NLA) login" },
    { 5432, "postgresql", "PostgreSQL login" },
    { 5900, "vnc", "VNC authentication (display :0)" },
    { 5901, "vnc-1", "VNC authentication (display :1)" },
    { 5985, "wsman", "WinRM over HTTP, Basic/NTLM login" },
    { 5986, "wsmans", "WinRM over HTTPS" },
    { 6379, "redis", "AUTH password" },
    { 27017, "mongodb", "SCRAM login" },
};

#define N_AUTH (sizeof(auth_ports) / sizeof(auth_ports[0]))

static void port_set(struct repeat_ports *p, unsigned port)
{
    p->bit[port / 64] |= 1ULL << (port % 64);
}

static void ports_auth(struct repeat_ports *p)
{
    for (size_t i = 0; i < N_AUTH; i++)
        port_set(p, auth_ports[i].port);
}

/* A port number 0..65535 from the whole of [s, end). */
static int port_number(const char *s, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (s == end || end - s > 5)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *out = v;
    return v <= 65535 ? 0 : -1;
}

/* One item of the list, [s, end): a word, a port, or a range. */
static int ports_item(struct repeat_ports *p, const char *s,
                      const char *end)
{
    size_t n = (size_t)(end - s);
    if (n == 4 && memcmp(s, "auth", 4) == 0) {
        ports_auth(p);
        return 0;
    }
    if (n == 3 && memcmp(s, "all", 3) == 0) {
        memset(p->bit, 0xff, sizeof(p->bit));
        return 0;
    }
    const char *dash = memchr(s, '-', n);
    unsigned lo, hi;
    if (port_number(s, dash ? dash : end, &lo) != 0)
        return -1;
    hi = lo;
    if (dash != NULL && port_number(dash + 1, end, &hi) != 0)
        return -1;
    if (lo > hi)
        return -1;
    for (unsigned k = lo; k <= hi; k++)
        port_set(p, k);
    return 0;
}

int repeat_ports_parse(const char *spec, struct repeat_ports *p)
{
    memset(p, 0, sizeof(*p));
    const char *s = spec;
    for (;;) {
        const char *end = strchr(s, ',');
        end = end ? end : s + strlen(s);
        if (ports_item(p, s, end) != 0)
            return err_set(ERR_INVALID, "'%.*s' is not a port, a range "
                           "LO-HI, 'auth' or 'all'", (int)(end - s), s);
        if (*end == '\0')
            return 0;
        s = end + 1;
    }
}

void repeat_ports_auth_text(char *buf, size_t len)
{
    size_t at = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < N_AUTH && at < len; i++) {
        int n = snprintf(buf + at, len - at, "%s%u", i ? "," : "",
                         (unsigned)auth_ports[i].port);
        if (n < 0)
            return;
        at += (size_t)n;
    }
}
