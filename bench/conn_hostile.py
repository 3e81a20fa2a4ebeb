#!/usr/bin/python3
"""Hostile inputs for detect's connection and lone rules (qa6 review).

Writes CSVs (from the shared CIC-IDS2017 rows, read at run time) and
hand-built captures into OUTDIR; nothing is stored in the repository.
See bench/RESULTS.md, "Hostile review of the detection rules (qa6)", for
the commands run on them and what they showed.

usage: bench/conn_hostile.py OUTDIR
  OUTDIR/csv/*.csv  one attack per file (base, flood, future, reversed,
                    cont_first, benign_between, lone40_late, manyN, ...)
  OUTDIR/pcap/*.pcap  slow requests cut at a 30 s idle gap (starts.pcap
                    to enrol 'slow'; whole, rst, syn, rev, v6, flood,
                    reuse); run detect on them with --idle-timeout 30
"""
import csv
import datetime as dt
import lzma
import os
import socket
import struct
import sys

out = sys.argv[1]
data = os.environ.get('FEWFLOW_DATA') or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data')
cic = os.path.join(data, 'cic-ids2017-improved')
os.makedirs(os.path.join(out, 'csv'), exist_ok=True)
os.makedirs(os.path.join(out, 'pcap'), exist_ok=True)


def first_rows(name, n, keep=lambda c, r: True):
    with lzma.open(os.path.join(cic, name), 'rt') as f:
        r = csv.reader(f)
        h = next(r)
        c = {k: i for i, k in enumerate(h)}
        rows = []
        for row in r:
            if keep(c, row):
                rows.append(row)
            if len(rows) == n:
                return h, rows


h, ddos = first_rows('DDoS_5000.csv.xz', 1)
_, ben = first_rows('BENIGN_4066_no-thursday.csv.xz', 1)
c = {k: i for i, k in enumerate(h)}
T0 = dt.datetime(2017, 7, 7, 19, 0, 0)


def stamp(s):
    return (T0 + dt.timedelta(seconds=s)).strftime('%Y-%m-%d %H:%M:%S.%f')


def row(base, src, sport, dst, dport, t, dur_us=None, syn=None, fin=0,
        rst=0):
    r = list(base)
    r[c['Src IP']], r[c['Src Port']] = src, str(sport)
    r[c['Dst IP']], r[c['Dst Port']] = dst, str(dport)
    r[c['Protocol']] = '6'
    r[c['Timestamp']] = stamp(t)
    if dur_us is not None:
        r[c['Flow Duration']] = str(dur_us)
    if syn is not None:
        r[c['SYN Flag Count']] = str(syn)
    r[c['FIN Flag Count']] = str(fin)
    r[c['RST Flag Count']] = str(rst)
    return r


def head(src='172.16.0.1', sport=23123, dst='192.168.10.50', t=0):
    """A DDoS row left open: the connection's first flow."""
    return row(ddos[0], src, sport, dst, 80, t)


def cont(src='172.16.0.1', sport=23123, dst='192.168.10.50', t=100, **kw):
    """A BENIGN row's features, no SYN: a later part of the connection."""
    kw.setdefault('syn', 0)
    return row(ben[0], src, sport, dst, 80, t, **kw)


def flood(n, t0, dst='192.168.10.51'):
    return [row(ddos[0], '10.9.%d.%d' % (i // 250, i % 250 + 1),
                1024 + i % 60000, dst, 80, t0 + i * 0.001) for i in range(n)]


def write_csv(name, rows, header=h):
    with open(os.path.join(out, 'csv', name + '.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


v6a, v6b = '2001:db8::1', '2001:db8::2'
cases = {
    'base': [head(), cont()],
    'flood': [head()] + flood(6000, 10) + [cont()],
    'future': [head(), row(ddos[0], '10.1.1.1', 5, '10.1.1.2', 80, 20,
                           dur_us='1e20')] + flood(6000, 30) + [cont()],
    'cont_first': [cont(), head()],
    'nan_syn': [head(), cont(syn='NaN')],
    'nan_dur': [head(), cont(dur_us='NaN')],
    'ipv6': [head(v6a, 40000, v6b), cont(v6a, 40000, v6b)],
    'reuse700': [head(), cont(t=900)],
    'equal_start': [head(), cont(t=0)],
    'reversed': [head(), cont(src='192.168.10.50', sport=80,
                              dst='172.16.0.1')],
    'benign_between': [head(), cont(t=50, fin=1), cont(t=100)],
}
for name, rows in cases.items():
    write_csv(name, rows)
for n in (1000, 2000, 3000, 4000, 8000):
    ips = ['172.16.%d.%d' % (i // 250, i % 250 + 1) for i in range(n)]
    write_csv('many%d' % n,
              [head(ips[i], 20000 + i, t=i * 0.01) for i in range(n)] +
              [cont(ips[i], 20000 + i, t=100 + i * 0.01) for i in range(n)])

# Lone refusals: one SYN answered by a RST, each from its own source to
# its own target.
hp, refusal = first_rows(
    'Portscan_5000.csv.xz', 1,
    lambda k, r: r[k['Total Fwd Packet']] == '1' and
    r[k['Total Bwd packets']] == '1' and float(r[k['RST Flag Count']]) >= 1
    and float(r[k['SYN Flag Count']]) >= 1
    and float(r[k['FIN Flag Count']]) == 0)
cp = {k: i for i, k in enumerate(hp)}


def lone(i, t):
    x = list(refusal[0])
    x[cp['Src IP']] = '10.1.%d.%d' % (i // 200, i % 200 + 1)
    x[cp['Dst IP']] = '10.2.%d.%d' % (i // 200, i % 200 + 1)
    x[cp['Src Port']], x[cp['Dst Port']] = str(40000 + i), str(1000 + i)
    x[cp['Timestamp']] = (T0 + dt.timedelta(seconds=t)).strftime(
        '%Y-%m-%d %H:%M:%S.%f')
    return x


burst = [lone(i, i * 0.1) for i in range(40)]
write_csv('lone40', burst, hp)
write_csv('lone40_late', burst + [lone(99, 1000)], hp)
write_csv('lone40_early', burst + [lone(99, -1000)], hp)

# ---- captures (checksums zero: the decoder does not check them) ----
TS = 1600000000.0


class Cap:
    def __init__(self, name):
        self.f = open(os.path.join(out, 'pcap', name), 'wb')
        self.f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535,
                                 1))

    def tcp(self, t, src, dst, sport, dport, flags, payload=0):
        tcp = struct.pack('!HHIIBBHHH', sport, dport, 1000, 0, 5 << 4, flags,
                          64240, 0, 0) + b'x' * payload
        if ':' in src:
            ip = struct.pack('!IHBB', 6 << 28, len(tcp), 6, 64) + \
                socket.inet_pton(socket.AF_INET6, src) + \
                socket.inet_pton(socket.AF_INET6, dst)
            et = 0x86dd
        else:
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 9, 0,
                             64, 6, 0, socket.inet_aton(src),
                             socket.inet_aton(dst))
            et = 0x0800
        fr = b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01' + struct.pack('!H', et) + \
            ip + tcp
        sec = int(t)
        us = int(round((t - sec) * 1e6))
        self.f.write(struct.pack('<IIII', sec, us, len(fr), len(fr)) + fr)

    def close(self):
        self.f.close()


def put(cap, t, fwd, sport, flags, payload=0, cli='10.0.0.1',
        srv='10.0.0.2'):
    if fwd:
        cap.tcp(t, cli, srv, sport, 80, flags, payload)
    else:
        cap.tcp(t, srv, cli, 80, sport, flags, payload)


def slow_start(cap, t, sport, **kw):
    """Handshake, a partial header, a header line every 2 s."""
    put(cap, t, 1, sport, 0x02, **kw)
    put(cap, t + .01, 0, sport, 0x12, **kw)
    put(cap, t + .02, 1, sport, 0x10, **kw)
    put(cap, t + .05, 1, sport, 0x18, 230, **kw)
    put(cap, t + .1, 0, sport, 0x10, **kw)
    for k in (1, 2, 3):
        put(cap, t + 2 * k, 1, sport, 0x18, 24, **kw)
        put(cap, t + 2 * k + .1, 0, sport, 0x10, **kw)


def slow_rest(cap, t, sport, server_first=False, **kw):
    """After a pause: two more lines and a close, without SYN."""
    if server_first:
        put(cap, t, 0, sport, 0x10, **kw)
        t += .1
    for dt_, fwd, fl, pl in ((0, 1, 0x18, 24), (.1, 0, 0x10, 0),
                             (2, 1, 0x18, 24), (2.1, 0, 0x10, 0),
                             (3, 1, 0x11, 0), (3.1, 0, 0x11, 0),
                             (3.2, 1, 0x10, 0)):
        put(cap, t + dt_, fwd, sport, fl, pl, **kw)


cap = Cap('starts.pcap')
for i in range(6):
    slow_start(cap, TS + i * 1000, 40000 + i)
cap.close()
P = 41000
for name, mid, rest_at, kw in (('whole', None, 60, {}),
                               ('rst', 0x04, 65, {}),
                               ('syn', 0x02, 60.5, {}),
                               ('rev', None, 60, {'server_first': True}),
                               ('reuse', None, 700, {})):
    cap = Cap(name + '.pcap')
    slow_start(cap, TS, P)
    if mid is not None:        # one packet the server would ignore
        put(cap, TS + 60, 1, P, mid)
    slow_rest(cap, TS + rest_at, P, **kw)
    cap.close()
cap = Cap('v6.pcap')
slow_start(cap, TS, P, cli=v6a, srv=v6b)
slow_rest(cap, TS + 60, P, cli=v6a, srv=v6b)
cap.close()
cap = Cap('flood.pcap')
slow_start(cap, TS, P)
for i in range(8000):
    cap.tcp(TS + 10 + i * 0.004, '172.16.%d.%d' % (i // 250, i % 250 + 1),
            '10.0.0.2', 1024 + i, 80, 0x02)
slow_rest(cap, TS + 60, P)
cap.close()
